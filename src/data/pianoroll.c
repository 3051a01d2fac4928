/* pianoroll.c — piano-roll text files and next-step examples (pianoroll.h). */
#include "data/pianoroll.h"
#include "base/error.h"
#include "base/file.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define K RECUR_PIANO_KEYS
#define HIGHEST (RECUR_PIANO_LOWEST + K - 1)

void pianoroll_free(pianoroll_set *p)
{
    if (!p)
        return;
    free(p->offset);
    free(p->roll);
    memset(p, 0, sizeof *p);
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* A byte as a message shows it: 'x' when printable, else 0xHH. */
static const char *show(char c, char buf[8])
{
    unsigned char u = (unsigned char)c;
    if (u >= 0x20 && u < 0x7F)
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "0x%02X", u);
    return buf;
}

/* RECUR_ERR_FORMAT "what: line N, step S: problem". */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static recur_status bad(const char *what, size_t line, size_t step,
                        const char *fmt, ...)
{
    char problem[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    return error_fail(RECUR_ERR_FORMAT, "%s: line %zu, step %zu: %s", what,
                      line, step, problem);
}

/* The notes of one step, from *at up to the next ' ' or e, set in frame;
 * *at is left at that ' ' or e. */
static recur_status parse_notes(const char **at, const char *e, const char *what,
                                size_t line, size_t step, unsigned char *frame)
{
    char b[8];
    const char *p = *at;
    for (int last = -1;;) {
        const char *q = p;
        while (q < e && is_digit(*q))
            q++;
        int len = (int)(q - p < 16 ? q - p : 16); /* as messages show it */
        if (len == 0)
            return p < e && *p != ',' && *p != ' '
                       ? bad(what, line, step, "%s where a MIDI note number "
                             "should be", show(*p, b))
                       : bad(what, line, step, "empty note (a ',' with no "
                             "number on one side)");
        if (*p == '0')
            return bad(what, line, step, "note '%.*s' has a leading zero", len, p);
        int midi = 0;
        for (const char *d = p; d < q && d < p + 4; d++)
            midi = midi * 10 + (*d - '0');
        if (q - p > 3 || midi < RECUR_PIANO_LOWEST || midi > HIGHEST)
            return bad(what, line, step, "note %.*s is not a piano key (MIDI "
                       "%d..%d)", len, p, RECUR_PIANO_LOWEST, HIGHEST);
        if (midi <= last)
            return bad(what, line, step, "note %d after %d (the notes of a step "
                       "must strictly ascend)", midi, last);
        frame[midi - RECUR_PIANO_LOWEST] = 1;
        last = midi;
        p = q;
        if (p == e || *p == ' ')
            break;
        if (*p != ',')
            return bad(what, line, step, "%s after note %d (expected ',', ' ' "
                       "or the line end)", show(*p, b), midi);
        p++;
    }
    *at = p;
    return RECUR_OK;
}

/* Line [s, e) without its line end: one piece, its frames into roll (zeroed,
 * room for one frame per space + 1), *frames set to how many. */
static recur_status parse_line(const char *s, const char *e, const char *what,
                               size_t line, unsigned char *roll, size_t *frames)
{
    char b[8];
    if (s == e)
        return bad(what, line, 1, "empty line (a piece needs at least one step)");
    size_t step = 1;
    for (const char *p = s;; step++) {
        if (p == e || *p == ' ')
            return bad(what, line, step, "empty step (steps are separated by "
                       "one space)");
        if (*p == '-') {
            if (++p < e && *p != ' ')
                return bad(what, line, step, "'-' (no note) must stand alone, "
                           "not be followed by %s", show(*p, b));
        } else {
            recur_status st = parse_notes(&p, e, what, line, step,
                                          roll + (step - 1) * K);
            if (st)
                return st;
        }
        if (p == e)
            break;
        p++; /* the space */
    }
    *frames = step;
    return RECUR_OK;
}

/* The end of the line starting at s (its '\n', or end), and the end of its
 * content (before a "\r\n"). */
static const char *line_end(const char *s, const char *end, const char **content)
{
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    const char *e = nl ? nl : end;
    *content = nl && e > s && e[-1] == '\r' ? e - 1 : e;
    return e;
}

recur_status pianoroll_parse(const char *text, size_t n,
                                   const char *what, pianoroll_set *out)
{
    if (!text || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no piano-roll text to read (NULL)");
    what = what ? what : "text";
    const char *end = text + n, *c;
    /* First the sizes: a line per piece, a space more than frames per line
     * (an upper bound when the line is malformed, which the parse refuses). */
    size_t pieces = 0, frames = 0;
    for (const char *s = text; s < end; pieces++) {
        const char *e = line_end(s, end, &c);
        frames++;
        for (const char *p = s; p < c; p++)
            frames += *p == ' ';
        s = e < end ? e + 1 : end;
    }
    if (pieces == 0)
        return error_fail(RECUR_ERR_FORMAT, "%s has no pieces", what);
    if (frames > RECUR_PIANOROLL_MAX_FRAMES)
        return error_fail(RECUR_ERR_UNSUPPORTED, "%s: %zu frames, more than the "
                          "%zu recur reads", what, frames,
                          RECUR_PIANOROLL_MAX_FRAMES);
    pianoroll_set p = {.n = pieces,
                       .offset = malloc((pieces + 1) * sizeof(size_t)),
                       .roll = calloc(frames, K)};
    if (!p.offset || !p.roll) {
        pianoroll_free(&p);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the %zu frames "
                          "of %s", frames, what);
    }
    p.offset[0] = 0;
    size_t line = 1;
    for (const char *s = text; s < end; line++) {
        const char *e = line_end(s, end, &c);
        const char *cr = memchr(s, '\r', (size_t)(c - s));
        size_t got = 0, step = 1;
        for (const char *q = s; cr && q < cr; q++)
            step += *q == ' ';
        recur_status st =
            cr ? bad(what, line, step, "a '\\r' not ending the line")
               : parse_line(s, c, what, line, p.roll + p.offset[line - 1] * K,
                            &got);
        if (st) {
            pianoroll_free(&p);
            return st;
        }
        p.offset[line] = p.offset[line - 1] + got;
        s = e < end ? e + 1 : end;
    }
    *out = p;
    return RECUR_OK;
}

recur_status pianoroll_read(const char *path, pianoroll_set *out)
{
    if (!path || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no piano-roll file to read (NULL)");
    unsigned char *file;
    size_t size;
    recur_status s =
        file_read(path, RECUR_PIANOROLL_MAX_BYTES, &file, &size);
    if (s)
        return s;
    s = pianoroll_parse((const char *)file, size, path, out);
    free(file);
    return s;
}

recur_status pianoroll_format(const unsigned char *roll, size_t frames,
                                    char **out)
{
    if (!roll || !out || frames == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "%s",
                          frames ? "no piano roll to write (NULL)"
                                 : "a piece of no frames to write");
    /* At most "108," per key or "-" per frame, and a space after each frame
     * (the last one's room holds the NUL). */
    size_t cap;
    if (!size_mul_ok(frames, 4 * K + 1, &cap))
        return error_fail(RECUR_ERR_MEMORY, "a piece of %zu frames is too long "
                          "to write", frames);
    char *text = malloc(cap), *q = text;
    if (!text)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for a piece of %zu "
                          "frames", frames);
    for (size_t t = 0; t < frames; t++) {
        const unsigned char *frame = roll + t * K;
        char *first = q;
        for (int k = 0; k < K; k++)
            if (frame[k])
                q += sprintf(q, q == first ? "%d" : ",%d",
                             k + RECUR_PIANO_LOWEST);
        if (q == first)
            *q++ = '-';
        *q++ = ' ';
    }
    q[-1] = '\0';
    *out = text;
    return RECUR_OK;
}

recur_status pianoroll_examples(const pianoroll_set *p, size_t max_len,
                                      seq_data *out)
{
    if (!p || !out || p->n == 0 || !p->offset || !p->roll)
        return error_fail(RECUR_ERR_ARGUMENT, "%s",
                          p && out ? "no pieces of music"
                                   : "no pieces to cut into examples (NULL)");
    size_t frames = p->offset[p->n], n = 0, floats, bytes;
    for (size_t i = 0; i < p->n; i++) {
        size_t T = p->offset[i + 1] - p->offset[i];
        n += max_len ? (T + max_len - 1) / max_len : 1;
    }
    if (!size_mul_ok(frames, K, &floats) ||
        !size_mul_ok(floats, sizeof(float), &bytes) ||
        n > SIZE_MAX / sizeof(size_t) - 1)
        return error_fail(RECUR_ERR_MEMORY, "%zu frames are too many", frames);
    seq_data d = {.n = n, .offset = malloc((n + 1) * sizeof(size_t)),
                  .features = K, .x = malloc(bytes ? bytes : 1), .outputs = K,
                  .per_step = 1, .y = malloc(bytes ? bytes : 1)};
    if (!d.offset || !d.x || !d.y) {
        seq_data_free(&d);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the examples of "
                          "%zu frames", frames);
    }
    /* Chunks are consecutive and in order, so example rows are the frames'
     * rows: only the offsets depend on max_len. */
    size_t e = 0;
    d.offset[0] = 0;
    for (size_t i = 0; i < p->n; i++) {
        size_t start = p->offset[i], T = p->offset[i + 1] - start;
        for (size_t t = 0; t < T; t++) {
            float *x = d.x + (start + t) * K, *y = d.y + (start + t) * K;
            const unsigned char *v = p->roll + (start + t) * K;
            const unsigned char *before = t ? v - K : NULL;
            for (int k = 0; k < K; k++) {
                x[k] = before && before[k] ? 1.0f : 0.0f;
                y[k] = v[k] ? 1.0f : 0.0f;
            }
            if (t + 1 == T || (max_len && (t + 1) % max_len == 0))
                d.offset[++e] = start + t + 1;
        }
    }
    *out = d;
    return RECUR_OK;
}
