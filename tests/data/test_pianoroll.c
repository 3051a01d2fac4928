/*
 * test_pianoroll.c — piano-roll text files (src/data/pianoroll.h): the format
 * with '-' steps and CRLF line ends; every malformed input's message with
 * its line and step; the next-step shift worked out by hand on a 3-frame
 * piece, and chunking; text -> roll -> text; the frame limit; and, when
 * $RECUR_DATA has it, JSB chorales' train split (229 pieces, 13,807
 * frames, MIDI 43..96) read and written back byte for byte.
 */
#include "base/error.h"
#include "base/file.h"
#include "data/pianoroll.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static recur_status parse(const char *text, pianoroll_set *p)
{
    return pianoroll_parse(text, strlen(text), "t.txt", p);
}

/* The keys of frame f as MIDI numbers, "60,64" or "-". */
static const char *frame_str(const pianoroll_set *p, size_t f, char *buf)
{
    char *q = buf;
    for (int k = 0; k < RECUR_PIANO_KEYS; k++)
        if (p->roll[f * RECUR_PIANO_KEYS + k])
            q += sprintf(q, q == buf ? "%d" : ",%d", k + RECUR_PIANO_LOWEST);
    if (q == buf)
        *q++ = '-';
    *q = '\0';
    return buf;
}

/* All pieces in the text format, a '\n' after each (caller frees). */
static char *format_all(const pianoroll_set *p)
{
    size_t cap = 1, used = 0;
    char *all = malloc(cap);
    for (size_t i = 0; all && i < p->n; i++) {
        size_t T;
        const unsigned char *roll = pianoroll_piece(p, i, &T);
        char *line;
        if (pianoroll_format(roll, T, &line)) {
            free(all);
            return NULL;
        }
        size_t len = strlen(line);
        char *grown = realloc(all, cap + len + 1);
        if (grown) {
            all = grown;
            cap += len + 1;
            memcpy(all + used, line, len);
            used += len;
            all[used++] = '\n';
        } else {
            free(all);
            all = NULL;
        }
        free(line);
    }
    if (all)
        all[used] = '\0';
    return all;
}

static void format_ok(void)
{
    pianoroll_set p = {0};
    recur_status s = parse("60,64,67 - 62,65\n21 108\n", &p);
    CHECK(s == RECUR_OK && p.n == 2 && p.offset[0] == 0 && p.offset[1] == 3 &&
              p.offset[2] == 5,
          "two pieces: status %s, n %zu", recur_status_str(s), p.n);
    if (s == RECUR_OK && p.n == 2) {
        static const char *const want[] = {"60,64,67", "-", "62,65", "21", "108"};
        char buf[400];
        for (size_t f = 0; f < 5; f++)
            CHECK(!strcmp(frame_str(&p, f, buf), want[f]),
                  "frame %zu is %s, want %s", f, buf, want[f]);
        size_t T;
        const unsigned char *r = pianoroll_piece(&p, 1, &T);
        CHECK(T == 2 && r == p.roll + 3 * RECUR_PIANO_KEYS && r[0] == 1 &&
                  r[RECUR_PIANO_KEYS + 87] == 1,
              "piece 1: %zu frames", T);
    }
    pianoroll_free(&p);

    /* CRLF line ends, a last line without its line end, a piece of one '-'. */
    s = parse("60 -\r\n-\r\n62,63", &p);
    CHECK(s == RECUR_OK && p.n == 3 && p.offset[1] == 2 && p.offset[2] == 3 &&
              p.offset[3] == 4 && p.roll[60 - 21] && !p.roll[88 + 60 - 21] &&
              p.roll[3 * 88 + 62 - 21] && p.roll[3 * 88 + 63 - 21],
          "CRLF and no final newline: status %s (%s), n %zu",
          recur_status_str(s), recur_last_error(), p.n);
    pianoroll_free(&p);
    pianoroll_free(NULL);
}

static void malformed(void)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"60\n\n62\n", "t.txt: line 2, step 1: empty line"},
        {"\n", "t.txt: line 1, step 1: empty line"},
        {"60\n\r\n", "t.txt: line 2, step 1: empty line"},
        {"60  62\n", "t.txt: line 1, step 2: empty step"},
        {" 60\n", "t.txt: line 1, step 1: empty step"},
        {"60 \n", "t.txt: line 1, step 2: empty step"},
        {"60\n61 62 20\n", "t.txt: line 2, step 3: note 20 is not a piano key"},
        {"109\n", "t.txt: line 1, step 1: note 109 is not a piano key"},
        {"60 1000\n", "t.txt: line 1, step 2: note 1000 is not a piano key"},
        {"60 99999999999999999999\n", "t.txt: line 1, step 2: note "
                                      "9999999999999999 is not a piano key"},
        {"60,60\n", "t.txt: line 1, step 1: note 60 after 60 (the notes"},
        {"- 64,60\n", "t.txt: line 1, step 2: note 60 after 64"},
        {"60,,62\n", "t.txt: line 1, step 1: empty note"},
        {"60,\n", "t.txt: line 1, step 1: empty note"},
        {"60, 62\n", "t.txt: line 1, step 1: empty note"},
        {",60\n", "t.txt: line 1, step 1: empty note"},
        {"-,60\n", "t.txt: line 1, step 1: '-' (no note) must stand alone, "
                   "not be followed by ','"},
        {"60 --\n", "t.txt: line 1, step 2: '-' (no note) must stand alone"},
        {"060\n", "t.txt: line 1, step 1: note '060' has a leading zero"},
        {"60;62\n", "t.txt: line 1, step 1: ';' after note 60"},
        {"60\t62\n", "t.txt: line 1, step 1: 0x09 after note 60"},
        {"60 x\n", "t.txt: line 1, step 2: 'x' where a MIDI note number "
                   "should be"},
        {"+60\n", "t.txt: line 1, step 1: '+' where a MIDI note number"},
        {"60 6-\n", "t.txt: line 1, step 2: note 6 is not a piano key"},
        {"60 61-\n", "t.txt: line 1, step 2: '-' after note 61"},
        {"60\r62\n", "t.txt: line 1, step 1: a '\\r' not ending the line"},
        {"60 61 62\r", "t.txt: line 1, step 3: a '\\r' not ending the line"},
        {"", "t.txt has no pieces"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pianoroll_set p = {.n = 77};
        recur_status s = parse(cases[i].text, &p);
        CHECK(s == RECUR_ERR_FORMAT && strstr(recur_last_error(), cases[i].want) &&
                  p.n == 77 && !p.roll,
              "case %zu: status %s, \"%s\", want \"%s\"", i,
              recur_status_str(s), recur_last_error(), cases[i].want);
    }
    /* A NUL byte, which strlen would hide. */
    static const char nul[] = "60\n62 \0\n";
    pianoroll_set p = {0};
    recur_status s = pianoroll_parse(nul, sizeof nul - 1, NULL, &p);
    CHECK(s == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "text: line 2, step 2: 0x00 where"),
          "NUL: %s", recur_last_error());
    CHECK(pianoroll_parse(NULL, 0, "x", &p) == RECUR_ERR_ARGUMENT &&
              pianoroll_read("/nonexistent/music.txt", &p) == RECUR_ERR_IO &&
              strstr(recur_last_error(), "/nonexistent/music.txt"),
          "NULL text, missing file: %s", recur_last_error());

    /* Above the frame limit: refused before the roll is allocated. */
    size_t steps = RECUR_PIANOROLL_MAX_FRAMES + 1, n = 2 * steps;
    char *big = malloc(n);
    if (big) {
        for (size_t i = 0; i < n; i += 2) {
            big[i] = '-';
            big[i + 1] = ' ';
        }
        big[n - 1] = '\n';
        s = pianoroll_parse(big, n, "big.txt", &p);
        CHECK(s == RECUR_ERR_UNSUPPORTED && strstr(recur_last_error(), "big.txt") &&
                  strstr(recur_last_error(), "4194305 frames"),
              "frame limit: %s %s", recur_status_str(s), recur_last_error());
        s = pianoroll_parse(big, n - 3, "big.txt", &p);
        CHECK(s == RECUR_OK && p.n == 1 && p.offset[1] == steps - 1,
              "just under the limit: %s %s", recur_status_str(s),
              recur_last_error());
        pianoroll_free(&p);
        free(big);
    }
}

/* Row r of a [rows, 88] float matrix has ones exactly at the MIDI numbers
 * listed (ascending, ending with 0). */
static int row_is(const float *m, size_t r, const int *midi)
{
    for (int k = 0; k < RECUR_PIANO_KEYS; k++) {
        float want = *midi == k + RECUR_PIANO_LOWEST ? 1.0f : 0.0f;
        if (want == 1.0f)
            midi++;
        if (m[r * RECUR_PIANO_KEYS + k] != want)
            return 0;
    }
    return *midi == 0;
}

static void examples(void)
{
    pianoroll_set p = {0};
    seq_data d = {0};
    CHECK(parse("60,64 - 67\n72\n", &p) == RECUR_OK, "%s", recur_last_error());
    static const int none[] = {0}, c_e[] = {60, 64, 0}, g[] = {67, 0},
                     c5[] = {72, 0};
    recur_status s = pianoroll_examples(&p, 0, &d);
    CHECK(s == RECUR_OK && d.n == 2 && d.offset[0] == 0 && d.offset[1] == 3 &&
              d.offset[2] == 4 && d.features == 88 && d.outputs == 88 &&
              d.per_step == 1 && !d.tokens && !d.label && d.x && d.y,
          "whole pieces: %s, n %zu", recur_status_str(s), d.n);
    if (s == RECUR_OK && d.n == 2) {
        /* Piece 1 (60,64 | - | 67): inputs 0, {60,64}, -; targets {60,64}, -, 67.
         * Piece 2 (72) starts again from the zero frame. */
        CHECK(row_is(d.x, 0, none) && row_is(d.x, 1, c_e) && row_is(d.x, 2, none) &&
                  row_is(d.x, 3, none),
              "inputs are the frames shifted one step, a zero frame first");
        CHECK(row_is(d.y, 0, c_e) && row_is(d.y, 1, none) && row_is(d.y, 2, g) &&
                  row_is(d.y, 3, c5),
              "targets are every frame");
    }
    seq_data_free(&d);

    /* Cut into chunks of 2: [0,2) [2,3) of piece 1, [3,4) of piece 2; the
     * second chunk's input is the real frame before it, not silence. */
    s = pianoroll_examples(&p, 2, &d);
    CHECK(s == RECUR_OK && d.n == 3 && d.offset[1] == 2 && d.offset[2] == 3 &&
              d.offset[3] == 4 && row_is(d.x, 2, none) && row_is(d.y, 2, g) &&
              row_is(d.x, 1, c_e),
          "max_len 2: %s, n %zu", recur_status_str(s), d.n);
    seq_data_free(&d);
    s = pianoroll_examples(&p, 1, &d);
    CHECK(s == RECUR_OK && d.n == 4 && d.offset[4] == 4 && row_is(d.x, 1, c_e),
          "max_len 1: %s, n %zu", recur_status_str(s), d.n);
    seq_data_free(&d);
    s = pianoroll_examples(&p, 3, &d);
    CHECK(s == RECUR_OK && d.n == 2 && d.offset[1] == 3,
          "max_len 3 = the longest piece: n %zu", d.n);
    seq_data_free(&d);

    pianoroll_set empty = {0};
    CHECK(pianoroll_examples(&empty, 0, &d) == RECUR_ERR_ARGUMENT &&
              pianoroll_examples(NULL, 0, &d) == RECUR_ERR_ARGUMENT,
          "no pieces: %s", recur_last_error());
    pianoroll_free(&p);
}

static void round_trip(void)
{
    static const char text[] =
        "21,22,23 - 60,64,67 108\n"
        "- - 99,100 100,101,107,108\n"
        "47\n";
    pianoroll_set p = {0};
    CHECK(parse(text, &p) == RECUR_OK, "%s", recur_last_error());
    char *back = format_all(&p);
    CHECK(back && !strcmp(back, text), "text -> roll -> text gives\n%s", back);
    free(back);

    /* Through a file; and a roll with every key (a byte >1 counts as on). */
    char path[] = "/tmp/recur_pianoroll_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) {
        close(fd);
        file_part part = {text, sizeof text - 1};
        pianoroll_set q = {0};
        recur_status s = file_write(path, &part, 1);
        if (!s)
            s = pianoroll_read(path, &q);
        CHECK(s == RECUR_OK && q.n == 3 && q.offset[3] == 9 &&
                  !memcmp(q.roll, p.roll, 9 * RECUR_PIANO_KEYS),
              "read from a file: %s", recur_last_error());
        pianoroll_free(&q);
        unlink(path);
    }
    unsigned char all[2 * RECUR_PIANO_KEYS] = {0};
    memset(all + RECUR_PIANO_KEYS, 7, RECUR_PIANO_KEYS);
    char *line = NULL;
    recur_status s = pianoroll_format(all, 2, &line);
    CHECK(s == RECUR_OK && line && !strncmp(line, "- 21,22,", 8) &&
              strlen(line) == 2 + 79 * 2 + 9 * 3 + 87 &&
              !strcmp(line + strlen(line) - 8, ",107,108"),
          "every key: %s", line ? line : recur_last_error());
    free(line);
    CHECK(pianoroll_format(all, 0, &line) == RECUR_ERR_ARGUMENT,
          "no frames: %s", recur_last_error());
    pianoroll_free(&p);
}

/* JSB chorales (data/jsb_chorales/PROVENANCE.md): train 229 pieces, 13,807
 * frames, MIDI 43..96, at most 4 notes and 18 empty frames. */
static void real_data(void)
{
    char path[4096];
    if (!test_data_file(path, sizeof path, "jsb_chorales/train.txt")) {
        SKIP("JSB chorales read and written back: no %s (set RECUR_DATA "
             "to the data mirror)", path);
        return;
    }
    pianoroll_set p = {0};
    recur_status s = pianoroll_read(path, &p);
    CHECK(s == RECUR_OK && p.n == 229 && p.offset[229] == 13807,
          "%s: %s, %zu pieces, %zu frames", path, recur_last_error(), p.n,
          s ? 0 : p.offset[p.n]);
    if (s)
        return;
    int low = 200, high = 0, most = 0, empty = 0;
    for (size_t f = 0; f < p.offset[p.n]; f++) {
        int count = 0;
        for (int k = 0; k < RECUR_PIANO_KEYS; k++) {
            if (!p.roll[f * RECUR_PIANO_KEYS + k])
                continue;
            int midi = k + RECUR_PIANO_LOWEST;
            low = midi < low ? midi : low;
            high = midi > high ? midi : high;
            count++;
        }
        most = count > most ? count : most;
        empty += count == 0;
    }
    CHECK(low == 43 && high == 96 && most == 4 && empty == 18,
          "notes %d..%d, at most %d a frame, %d empty frames", low, high, most,
          empty);

    unsigned char *bytes;
    size_t size;
    char *back = format_all(&p);
    if (file_read(path, RECUR_PIANOROLL_MAX_BYTES, &bytes, &size) == RECUR_OK) {
        CHECK(back && strlen(back) == size && !memcmp(back, bytes, size),
              "%s written back differs", path);
        free(bytes);
    }
    free(back);

    seq_data d = {0};
    s = pianoroll_examples(&p, 0, &d);
    CHECK(s == RECUR_OK && d.n == 229 && d.offset[229] == 13807,
          "examples: %s", recur_last_error());
    seq_data_free(&d);
    s = pianoroll_examples(&p, 100, &d);
    size_t want = 0;
    for (size_t i = 0; i < p.n; i++)
        want += (p.offset[i + 1] - p.offset[i] + 99) / 100;
    CHECK(s == RECUR_OK && d.n == want && want > 229 && d.offset[d.n] == 13807,
          "chunks of 100: %zu examples, want %zu", d.n, want);
    seq_data_free(&d);
    pianoroll_free(&p);
}

void test_pianoroll(void)
{
    format_ok();
    malformed();
    examples();
    round_trip();
    real_data();
}
