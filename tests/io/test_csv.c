/*
 * test_csv.c — the strict CSV reader (src/io/csv.h): quoting and "" escapes,
 * embedded commas and newlines, CRLF and LF, a missing final newline, a
 * byte-order mark, blank lines; ragged rows, unterminated and misplaced
 * quotes, bare CR, NUL bytes, an empty file, a header alone; column lookup
 * by name and by index; reading a real file through csv_read.
 */
#include "io/csv.h"
#include "base/error.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static recur_status parse(const char *text, csv_table *t)
{
    return csv_parse((const unsigned char *)text, strlen(text), "t.csv", t);
}

/* The message of a failed parse holds every one of the strings. */
static void check_refused(const char *text, size_t n, recur_status want,
                          const char *s1, const char *s2)
{
    csv_table t = {0};
    recur_status s = csv_parse((const unsigned char *)text, n, "t.csv", &t);
    const char *msg = recur_last_error();
    CHECK(s == want && strstr(msg, "t.csv") && (!s1 || strstr(msg, s1)) &&
              (!s2 || strstr(msg, s2)) && t.block == NULL,
          "refusing %.30s: status %s, message \"%s\"", text,
          recur_status_str(s), msg);
    csv_free(&t);
}

static void quoting(void)
{
    csv_table t = {0};
    const char *text = "\xEF\xBB\xBF\"Month\",\"Pass\"\"engers\"\r\n"
                       "\"1949-01\",112\r\n"
                       "\"a, b\",\"line1\nline2\"\n"
                       "\n"
                       "plain,\"\"\r\n"
                       ",7";
    recur_status s = parse(text, &t);
    CHECK(s == RECUR_OK && t.rows == 4 && t.cols == 2,
          "parse: %s rows %zu cols %zu", recur_last_error(), t.rows, t.cols);
    if (s)
        return;
    const char *want[5][2] = {{"Month", "Pass\"engers"},
                              {"1949-01", "112"},
                              {"a, b", "line1\nline2"},
                              {"plain", ""},
                              {"", "7"}};
    const size_t lines[5] = {1, 2, 3, 6, 7};
    int ok = 1;
    for (size_t r = 0; r < 5; r++) {
        for (size_t c = 0; c < 2; c++)
            ok &= !strcmp(t.cell[r * 2 + c], want[r][c]);
        ok &= t.line[r] == lines[r];
    }
    CHECK(ok, "fields and the lines where records begin");
    CHECK(!strcmp(csv_header(&t, 1), "Pass\"engers") &&
              !strcmp(csv_cell(&t, 1, 1), "line1\nline2") &&
              csv_line(&t, 2) == 6 && !strcmp(t.name, "t.csv"),
          "accessors");
    csv_free(&t);
    CHECK(t.block == NULL && t.rows == 0, "free zeroes the table");
    csv_free(NULL);

    /* A quoted CRLF inside a field is kept; a header alone is a table. */
    CHECK(parse("a\r\n\"x\r\ny\"", &t) == RECUR_OK && t.rows == 1 &&
              !strcmp(csv_cell(&t, 0, 0), "x\r\ny"),
          "quoted CRLF: %s", recur_last_error());
    csv_free(&t);
    CHECK(parse("only,a,header\n", &t) == RECUR_OK && t.rows == 0 &&
              t.cols == 3 && !strcmp(csv_header(&t, 2), "header"),
          "header only: %s", recur_last_error());
    csv_free(&t);
    /* A trailing comma is one more, empty, field. */
    CHECK(parse("a,b\n1,\n", &t) == RECUR_OK && t.rows == 1 &&
              !strcmp(csv_cell(&t, 0, 1), ""),
          "trailing comma: %s", recur_last_error());
    csv_free(&t);
}

static void hostile(void)
{
    const char *ragged = "a,b\r\n1,2\r\n3,4,5\r\n";
    check_refused(ragged, strlen(ragged), RECUR_ERR_FORMAT,
                  "line 3: 3 fields, header has 2", NULL);
    const char *short_row = "a,b\n\"x\ny\",2\n3\n";
    check_refused(short_row, strlen(short_row), RECUR_ERR_FORMAT,
                  "line 4: 1 field, header has 2", NULL);
    /* The quote opens on line 3 and the file ends on line 5. */
    const char *open = "a,b\n1,2\n3,\"four\n\n5,6\n";
    check_refused(open, strlen(open), RECUR_ERR_FORMAT, "line 3",
                  "never closed");
    const char *after = "a,b\n\"1\"x,2\n";
    check_refused(after, strlen(after), RECUR_ERR_FORMAT, "line 2",
                  "after the closing quote");
    const char *inside = "a,b\n1,2\"3\n";
    check_refused(inside, strlen(inside), RECUR_ERR_FORMAT, "line 2",
                  "quote inside");
    const char *bare_cr = "a,b\r1,2\n";
    check_refused(bare_cr, strlen(bare_cr), RECUR_ERR_FORMAT, "line 1",
                  "carriage return");
    static const char nul[] = "a,b\n1,2\n3,\0\n";
    check_refused(nul, sizeof nul - 1, RECUR_ERR_FORMAT, "line 3", "NUL");
    check_refused("", 0, RECUR_ERR_FORMAT, "empty", NULL);
    check_refused("\xEF\xBB\xBF\r\n\n", 5, RECUR_ERR_FORMAT, "empty", NULL);

    csv_table t = {0};
    CHECK(csv_read("/nonexistent/x.csv", &t) == RECUR_ERR_IO &&
              t.block == NULL,
          "missing file: %s", recur_last_error());
    CHECK(csv_parse(NULL, 3, "t", &t) == RECUR_ERR_ARGUMENT, "NULL bytes");
}

static void columns(void)
{
    csv_table t = {0};
    if (parse("Month, Passengers ,3\n1,2,3\n", &t) != RECUR_OK) {
        CHECK(0, "parse: %s", recur_last_error());
        return;
    }
    size_t col = 99;
    CHECK(csv_column(&t, "Month", &col) == RECUR_OK && col == 0, "by name");
    CHECK(csv_column(&t, "Passengers", &col) == RECUR_OK && col == 1,
          "by name, spaces trimmed");
    CHECK(csv_column(&t, "2", &col) == RECUR_OK && col == 1, "by index");
    CHECK(csv_column(&t, "3", &col) == RECUR_OK && col == 2,
          "a header that is a number wins (it is also column 3)");
    col = 99;
    CHECK(csv_column(&t, "4", &col) == RECUR_ERR_ARGUMENT && col == 99 &&
              strstr(recur_last_error(), "has 3"),
          "index out of range: %s", recur_last_error());
    CHECK(csv_column(&t, "0", &col) == RECUR_ERR_ARGUMENT, "index 0");
    CHECK(csv_column(&t, "99999999999999999999999", &col) ==
              RECUR_ERR_ARGUMENT,
          "huge index");
    CHECK(csv_column(&t, "Date", &col) == RECUR_ERR_ARGUMENT &&
              strstr(recur_last_error(), "\"Date\"") &&
              strstr(recur_last_error(), "\"Month\", \" Passengers \""),
          "unknown name lists the columns: %s", recur_last_error());
    csv_free(&t);
    CHECK(parse("x,y,x\n1,2,3\n", &t) == RECUR_OK, "duplicate header parses");
    CHECK(csv_column(&t, "x", &col) == RECUR_ERR_ARGUMENT &&
              strstr(recur_last_error(), "ambiguous"),
          "duplicate name: %s", recur_last_error());
    csv_free(&t);
}

static void from_file(void)
{
    char path[] = "/tmp/recur_csv_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        CHECK(0, "mkstemp");
        return;
    }
    static const char text[] = "\"Month\",\"Passengers\"\r\n\"1949-01\",112\r\n"
                               "\"1949-02\",118";
    int wrote = write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1);
    close(fd);
    csv_table t = {0};
    recur_status s = wrote ? csv_read(path, &t) : RECUR_ERR_IO;
    CHECK(s == RECUR_OK && t.rows == 2 && !strcmp(t.name, path) &&
              !strcmp(csv_cell(&t, 1, 0), "1949-02") &&
              !strcmp(csv_cell(&t, 1, 1), "118"),
          "read a file: %s", recur_last_error());
    csv_free(&t);
    unlink(path);
}

void test_csv(void)
{
    quoting();
    hostile();
    columns();
    from_file();
}
