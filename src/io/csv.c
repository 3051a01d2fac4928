/*
 * csv.c — the strict CSV reader (csv.h).
 *
 * One scanner runs twice over the bytes: first to check everything and
 * count records and text, then, into the single allocation sized from
 * those counts, to copy the fields out. The block holds, in order: the
 * cell pointers, the record lines, the name, the field text.
 */
#include "io/csv.h"
#include "base/error.h"
#include "base/file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void csv_free(csv_table *t)
{
    if (!t)
        return;
    free(t->block);
    memset(t, 0, sizeof *t);
}

/* Where the second pass writes; NULL members on the first. */
typedef struct {
    const char **cell;
    size_t *line;
    char *text;
} sink;

typedef struct {
    size_t records; /* the header included */
    size_t cols;
    size_t text;    /* bytes of field text, NULs included */
} shape;

static int line_end(const unsigned char *b, size_t n, size_t i)
{
    return b[i] == '\n' || (b[i] == '\r' && i + 1 < n && b[i + 1] == '\n');
}

static recur_status scan(const unsigned char *b, size_t n, const char *name,
                         const sink *out, shape *sh)
{
    size_t i = n >= 3 && !memcmp(b, "\xEF\xBB\xBF", 3) ? 3 : 0;
    size_t line = 1, records = 0, cols = 0, text = 0;
    while (i < n) {
        if (line_end(b, n, i)) { /* a blank line */
            i += b[i] == '\r' ? 2 : 1;
            line++;
            continue;
        }
        size_t begin = line, fields = 0;
        for (;;) { /* a field; the second pass only sees well-formed rows */
            if (out)
                out->cell[records * cols + fields] = out->text + text;
            if (i < n && b[i] == '"') {
                size_t opened = line;
                for (i++;; i++) {
                    if (i >= n)
                        return error_fail(RECUR_ERR_FORMAT,
                                          "%s: line %zu: the quote that opens "
                                          "field %zu is never closed",
                                          name, opened, fields + 1);
                    if (b[i] == '"') {
                        if (i + 1 < n && b[i + 1] == '"')
                            i++;
                        else
                            break;
                    } else if (b[i] == '\n') {
                        line++;
                    }
                    if (out)
                        out->text[text] = (char)b[i];
                    text++;
                }
                i++;
                if (i < n && b[i] != ',' && !line_end(b, n, i) && b[i] != '\r')
                    return error_fail(RECUR_ERR_FORMAT,
                                      "%s: line %zu: text after the closing "
                                      "quote of field %zu",
                                      name, line, fields + 1);
            } else {
                for (; i < n && b[i] != ',' && b[i] != '\n' && b[i] != '\r';
                     i++) {
                    if (b[i] == '"')
                        return error_fail(RECUR_ERR_FORMAT,
                                          "%s: line %zu: a quote inside unquoted "
                                          "field %zu (quote the whole field and "
                                          "double the quote)",
                                          name, line, fields + 1);
                    if (out)
                        out->text[text] = (char)b[i];
                    text++;
                }
            }
            if (out)
                out->text[text] = '\0';
            text++;
            fields++;
            if (i < n && b[i] == ',') {
                i++;
                continue;
            }
            break;
        }
        if (records == 0) {
            cols = fields;
        } else if (fields != cols) {
            return error_fail(RECUR_ERR_FORMAT,
                              "%s: line %zu: %zu field%s, header has %zu", name,
                              begin, fields, fields == 1 ? "" : "s", cols);
        }
        if (i < n) {
            if (b[i] == '\r' && !(i + 1 < n && b[i + 1] == '\n'))
                return error_fail(RECUR_ERR_FORMAT,
                                  "%s: line %zu: a carriage return not followed "
                                  "by a line feed",
                                  name, line);
            i += b[i] == '\r' ? 2 : 1;
            line++;
        }
        if (out)
            out->line[records] = begin;
        records++;
    }
    if (records == 0)
        return error_fail(RECUR_ERR_FORMAT, "%s is empty: no header row", name);
    sh->records = records;
    sh->cols = cols;
    sh->text = text;
    return RECUR_OK;
}

recur_status csv_parse(const unsigned char *bytes, size_t n,
                             const char *name, csv_table *out)
{
    if (!out || (!bytes && n > 0))
        return error_fail(RECUR_ERR_ARGUMENT, "no CSV text to read (NULL)");
    name = name ? name : "CSV";
    const unsigned char *nul = n ? memchr(bytes, '\0', n) : NULL;
    if (nul) {
        size_t at = (size_t)(nul - bytes), line = 1;
        for (size_t k = 0; k < at; k++)
            line += bytes[k] == '\n';
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: line %zu, byte %zu: a NUL byte is not text", name,
                          line, at);
    }
    shape sh;
    recur_status s = scan(bytes, n, name, NULL, &sh);
    if (s)
        return s;
    /* Field text is at most the file's bytes plus one NUL per field, so
     * the counts are bounded by n; the arithmetic is checked all the same. */
    size_t cells, ptr_bytes, line_bytes, name_bytes = strlen(name) + 1, total;
    if (!size_mul_ok(sh.records, sh.cols, &cells) ||
        !size_mul_ok(cells, sizeof(char *), &ptr_bytes) ||
        !size_mul_ok(sh.records, sizeof(size_t), &line_bytes) ||
        !size_add_ok(ptr_bytes, line_bytes, &total) ||
        !size_add_ok(total, name_bytes, &total) ||
        !size_add_ok(total, sh.text, &total))
        return error_fail(RECUR_ERR_MEMORY, "%s: too large a table", name);
    unsigned char *block = malloc(total);
    if (!block)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the table of %s",
                          name);
    sink sk = {.cell = (const char **)(void *)block,
               .line = (size_t *)(void *)(block + ptr_bytes), .text = NULL};
    char *name_copy = (char *)block + ptr_bytes + line_bytes;
    memcpy(name_copy, name, name_bytes);
    sk.text = name_copy + name_bytes;
    s = scan(bytes, n, name, &sk, &sh);
    if (s) { /* cannot happen: the first pass accepted the same bytes */
        free(block);
        return s;
    }
    *out = (csv_table){.name = name_copy, .rows = sh.records - 1,
                       .cols = sh.cols, .cell = sk.cell, .line = sk.line,
                       .block = block};
    return RECUR_OK;
}

recur_status csv_read(const char *path, csv_table *out)
{
    if (!path || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no CSV file to read (NULL)");
    unsigned char *bytes;
    size_t size;
    recur_status s = file_read(path, RECUR_CSV_MAX_BYTES, &bytes, &size);
    if (s)
        return s;
    s = csv_parse(bytes, size, path, out);
    free(bytes);
    return s;
}

/* s without leading and trailing spaces and tabs equals name[0..len)? */
static int same_trimmed(const char *s, const char *name, size_t len)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t k = strlen(s);
    while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
        k--;
    return k == len && !memcmp(s, name, len);
}

/* "a", "b", "c" into buf (truncated with "..."). */
static const char *list_columns(const csv_table *t, char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t c = 0; c < t->cols && at < size; c++) {
        int k = snprintf(buf + at, size - at, "%s\"%s\"", c ? ", " : "",
                         csv_header(t, c));
        if (k < 0 || (size_t)k >= size - at) {
            if (size >= 4)
                memcpy(buf + size - 4, "...", 4);
            break;
        }
        at += (size_t)k;
    }
    return buf;
}

recur_status csv_column(const csv_table *t, const char *spec, size_t *col)
{
    if (!t || !spec || !col)
        return error_fail(RECUR_ERR_ARGUMENT, "no table or column name to look "
                          "up (NULL)");
    char cols[256];
    const char *name = spec;
    while (*name == ' ' || *name == '\t')
        name++;
    size_t len = strlen(name);
    while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t'))
        len--;
    size_t found = SIZE_MAX;
    for (size_t c = 0; c < t->cols; c++) {
        if (!same_trimmed(csv_header(t, c), name, len))
            continue;
        if (found != SIZE_MAX)
            return error_fail(RECUR_ERR_ARGUMENT,
                              "%s: column name \"%s\" is ambiguous: columns %zu "
                              "and %zu have it",
                              t->name, spec, found + 1, c + 1);
        found = c;
    }
    if (found != SIZE_MAX) {
        *col = found;
        return RECUR_OK;
    }
    size_t index = 0, digits = 0;
    for (; digits < len && name[digits] >= '0' && name[digits] <= '9'; digits++)
        index = index > SIZE_MAX / 10 ? SIZE_MAX : index * 10 +
                                                       (size_t)(name[digits] - '0');
    if (len > 0 && digits == len) {
        if (index >= 1 && index <= t->cols) {
            *col = index - 1;
            return RECUR_OK;
        }
        return error_fail(RECUR_ERR_ARGUMENT,
                          "%s: no column %s: the file has %zu (%s)", t->name,
                          spec, t->cols, list_columns(t, cols, sizeof cols));
    }
    return error_fail(RECUR_ERR_ARGUMENT,
                      "%s: no column named \"%s\"; the columns are %s", t->name,
                      spec, list_columns(t, cols, sizeof cols));
}
