/*
 * text.c — strict UTF-8 decoding, text files, and the character
 * vocabulary. See text.h for the contract.
 *
 * UTF-8 (RFC 3629, Unicode 15 table 3-7): a lead byte says the length,
 *   00..7F       1 byte
 *   C2..DF       2 bytes (C0, C1 could only start overlong forms)
 *   E0..EF       3 bytes (E0 80..9F overlong; ED A0..BF surrogates)
 *   F0..F4       4 bytes (F0 80..8F overlong; F4 90.. above U+10FFFF)
 * and every following byte is a continuation 80..BF. The decoder reads the
 * whole sequence the lead byte announces and then judges the value, so an
 * error names the form that is wrong (overlong, surrogate, too large)
 * rather than the first byte that gave it away.
 */
#include "data/text.h"
#include "base/error.h"
#include "base/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CODEPOINT 0x10FFFFu
#define TABLE_SIZE 0x800u /* direct lookup for code points below U+0800 */

struct char_vocab {
    size_t size;
    uint32_t *codepoints;     /* size entries, strictly ascending */
    int32_t table[TABLE_SIZE]; /* id of code point c < TABLE_SIZE, or -1 */
};

static int is_scalar(uint32_t cp)
{
    return cp <= MAX_CODEPOINT && (cp < 0xD800 || cp > 0xDFFF);
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                  */

/* Decodes the sequence at bytes[i]. Returns its length and sets *cp, or
 * returns 0 and writes what is wrong into why. */
static size_t decode_one(const unsigned char *bytes, size_t n, size_t i,
                         uint32_t *cp, char *why, size_t why_size)
{
    unsigned b = bytes[i];
    size_t len;
    uint32_t value, min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if (b < 0xC0) {
        snprintf(why, why_size, "unexpected continuation byte 0x%02X", b);
        return 0;
    } else if (b < 0xE0) {
        len = 2, value = b & 0x1F, min = 0x80;
    } else if (b < 0xF0) {
        len = 3, value = b & 0x0F, min = 0x800;
    } else if (b < 0xF8) {
        len = 4, value = b & 0x07, min = 0x10000;
    } else {
        snprintf(why, why_size, "byte 0x%02X never occurs in UTF-8", b);
        return 0;
    }
    for (size_t k = 1; k < len; k++) {
        if (i + k >= n) {
            snprintf(why, why_size,
                     "truncated at the end of the input: byte 0x%02X starts "
                     "a %zu-byte sequence, %zu byte%s follow%s", b, len,
                     k - 1, k == 2 ? "" : "s", k == 2 ? "s" : "");
            return 0;
        }
        unsigned c = bytes[i + k];
        if ((c & 0xC0) != 0x80) {
            if (k == 1)
                snprintf(why, why_size,
                         "byte 0x%02X not followed by a continuation byte "
                         "(0x%02X)", b, c);
            else
                snprintf(why, why_size,
                         "byte 0x%02X starts a %zu-byte sequence, but byte "
                         "%zu of it is 0x%02X, not a continuation byte",
                         b, len, k + 1, c);
            return 0;
        }
        value = value << 6 | (c & 0x3F);
    }
    char form[24];
    size_t used = 0;
    for (size_t k = 0; k < len; k++)
        used += (size_t)snprintf(form + used, sizeof form - used, "%s0x%02X",
                                 k ? " " : "", bytes[i + k]);
    if (value < min) {
        snprintf(why, why_size, "overlong encoding of U+%04X (%s)",
                 (unsigned)value, form);
        return 0;
    }
    if (value >= 0xD800 && value <= 0xDFFF) {
        snprintf(why, why_size, "surrogate U+%04X (%s)", (unsigned)value, form);
        return 0;
    }
    if (value > MAX_CODEPOINT) {
        snprintf(why, why_size, "U+%X is above U+10FFFF (%s)",
                 (unsigned)value, form);
        return 0;
    }
    *cp = value;
    return len;
}

int utf8_is_valid(const unsigned char *bytes, size_t n, size_t *at,
                     char *why, size_t why_size)
{
    uint32_t cp;
    for (size_t i = 0, len; i < n; i += len)
        if ((len = decode_one(bytes, n, i, &cp, why, why_size)) == 0) {
            *at = i;
            return 0;
        }
    return 1;
}

/* Pass 1 of decoding: the byte-order mark skipped (*start), the input
 * validated and its code points counted (*count). */
static recur_status check(const unsigned char *bytes, size_t n,
                          const char *what, size_t *start, size_t *count)
{
    *start = 0;
    if (n >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF)
        *start = 3;
    if (n == *start)
        return error_fail(RECUR_ERR_FORMAT, "%s: empty%s", what,
                          *start ? " (only a byte-order mark)" : "");
    size_t line = 1;
    char why[160];
    *count = 0;
    for (size_t i = *start; i < n; ++*count) {
        uint32_t cp;
        size_t len = decode_one(bytes, n, i, &cp, why, sizeof why);
        if (!len)
            return error_fail(RECUR_ERR_FORMAT,
                              "%s: line %zu, byte %zu: invalid UTF-8 (%s)",
                              what, line, i, why);
        line += cp == '\n';
        i += len;
    }
    return RECUR_OK;
}

recur_status utf8_check(const unsigned char *bytes, size_t n,
                              const char *what)
{
    if (!bytes && n)
        return error_fail(RECUR_ERR_ARGUMENT, "no text to check (NULL)");
    size_t start, count;
    return check(bytes, n, what ? what : "text", &start, &count);
}

recur_status text_check(const unsigned char *bytes, size_t n,
                        const char *what)
{
    recur_status s = utf8_check(bytes, n, what);
    if (s)
        return s;
    const unsigned char *nul = memchr(bytes, '\0', n);
    if (!nul)
        return RECUR_OK;
    size_t at = (size_t)(nul - bytes), line = 1;
    for (size_t k = 0; k < at; k++)
        line += bytes[k] == '\n';
    return error_fail(RECUR_ERR_FORMAT, "%s: line %zu, byte %zu: a NUL byte "
                      "(U+0000) is not text", what ? what : "text", line, at);
}

recur_status utf8_decode(const unsigned char *bytes, size_t n,
                               const char *what, uint32_t **out,
                               size_t *n_out)
{
    if (!what)
        what = "text";
    if ((!bytes && n) || !out || !n_out)
        return error_fail(RECUR_ERR_ARGUMENT, "no %s (NULL)",
                          !out || !n_out ? "place for the decoded text"
                                         : "text to decode");
    /* Pass 1 validates and counts, so that the result is allocated once at
     * its exact size (4 bytes per code point, not per byte). */
    size_t start, count;
    recur_status s = check(bytes, n, what, &start, &count);
    if (s)
        return s;
    size_t bytes_out;
    if (!size_mul_ok(count, sizeof(uint32_t), &bytes_out))
        return error_fail(RECUR_ERR_MEMORY, "%s: %zu characters overflow size_t",
                          what, count);
    uint32_t *text = malloc(bytes_out);
    if (!text)
        return error_fail(RECUR_ERR_MEMORY,
                          "%s: out of memory for %zu characters", what, count);
    char why[160];
    size_t j = 0;
    for (size_t i = start; i < n; j++)
        i += decode_one(bytes, n, i, &text[j], why, sizeof why);
    *out = text;
    *n_out = count;
    return RECUR_OK;
}

size_t utf8_encode(uint32_t cp, char *buf)
{
    unsigned char *b = (unsigned char *)buf;
    if (!is_scalar(cp))
        cp = 0xFFFD;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | cp >> 6);
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | cp >> 12);
        b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (unsigned char)(0xF0 | cp >> 18);
    b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    b[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                     */

recur_status text_read(const char *path, uint32_t **out, size_t *n_out)
{
    if (!path || !out || !n_out)
        return error_fail(RECUR_ERR_ARGUMENT, "no %s (NULL)",
                          !path ? "text file to read" : "place for the text");
    unsigned char *file;
    size_t size;
    recur_status s = file_read(path, RECUR_TEXT_MAX_BYTES, &file, &size);
    if (s)
        return s;
    s = utf8_decode(file, size, path, out, n_out);
    free(file);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Vocabulary                                                                */

/* Takes ownership of cps (V entries, already validated). */
static recur_status vocab_new(uint32_t *cps, size_t V, char_vocab **out)
{
    char_vocab *v = malloc(sizeof *v);
    if (!v) {
        free(cps);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for a vocabulary");
    }
    v->size = V;
    v->codepoints = cps;
    for (size_t c = 0; c < TABLE_SIZE; c++)
        v->table[c] = -1;
    for (size_t id = 0; id < V && cps[id] < TABLE_SIZE; id++)
        v->table[cps[id]] = (int32_t)id;
    *out = v;
    return RECUR_OK;
}

recur_status char_vocab_build(const uint32_t *text, size_t n,
                               char_vocab **out)
{
    if (!text || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no %s (NULL)",
                          text ? "place for the vocabulary" : "text to build a vocabulary of");
    if (n == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "an empty text has no vocabulary");
    /* One bit per possible code point (136 KiB): O(n) and sorted for free. */
    uint64_t *seen = calloc((MAX_CODEPOINT + 1) / 64, sizeof *seen);
    if (!seen)
        return error_fail(RECUR_ERR_MEMORY, "out of memory building a vocabulary");
    for (size_t i = 0; i < n; i++) {
        uint32_t c = text[i];
        if (!is_scalar(c)) {
            free(seen);
            return error_fail(RECUR_ERR_ARGUMENT,
                              "character %zu of the text, 0x%X, is not a "
                              "Unicode scalar value", i, (unsigned)c);
        }
        seen[c >> 6] |= (uint64_t)1 << (c & 63);
    }
    size_t V = 0;
    for (size_t w = 0; w < (MAX_CODEPOINT + 1) / 64; w++)
        for (uint64_t bits = seen[w]; bits; bits &= bits - 1)
            V++;
    uint32_t *cps = malloc(V * sizeof *cps);
    if (!cps) {
        free(seen);
        return error_fail(RECUR_ERR_MEMORY, "out of memory building a vocabulary");
    }
    size_t id = 0;
    for (uint32_t c = 0; c <= MAX_CODEPOINT; c++)
        if (seen[c >> 6] >> (c & 63) & 1)
            cps[id++] = c;
    free(seen);
    return vocab_new(cps, V, out);
}

recur_status char_vocab_from_codepoints(const uint32_t *cps, size_t V,
                                         char_vocab **out)
{
    if (!cps || !out)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "no %s (NULL)",
                          cps ? "place for the vocabulary" : "vocabulary characters");
    if (V == 0)
        return error_fail(RECUR_ERR_FORMAT, "vocabulary: empty");
    if (V > (size_t)MAX_CODEPOINT + 1)
        return error_fail(RECUR_ERR_FORMAT,
                          "vocabulary: %zu entries, more than there are code points", V);
    for (size_t id = 0; id < V; id++) {
        if (!is_scalar(cps[id]))
            return error_fail(RECUR_ERR_FORMAT,
                              "vocabulary: entry %zu = 0x%X is not a Unicode "
                              "scalar value", id, (unsigned)cps[id]);
        if (id > 0 && cps[id] <= cps[id - 1])
            return error_fail(RECUR_ERR_FORMAT,
                              "vocabulary: entry %zu = U+%04X %s entry %zu = U+%04X "
                              "(must be strictly ascending)", id, (unsigned)cps[id],
                              cps[id] == cps[id - 1] ? "repeats" : "is below",
                              id - 1, (unsigned)cps[id - 1]);
    }
    uint32_t *copy = malloc(V * sizeof *copy);
    if (!copy)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for a vocabulary");
    memcpy(copy, cps, V * sizeof *copy);
    return vocab_new(copy, V, out);
}

void char_vocab_free(char_vocab *v)
{
    if (!v)
        return;
    free(v->codepoints);
    free(v);
}

size_t char_vocab_size(const char_vocab *v) { return v ? v->size : 0; }

uint32_t char_vocab_codepoint(const char_vocab *v, size_t id)
{
    return v && id < v->size ? v->codepoints[id] : UINT32_MAX;
}

const uint32_t *char_vocab_codepoints(const char_vocab *v)
{
    return v ? v->codepoints : NULL;
}

/* The id of cp, or -1. */
static int32_t lookup(const char_vocab *v, uint32_t cp)
{
    if (cp < TABLE_SIZE)
        return v->table[cp];
    size_t lo = 0, hi = v->size;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->codepoints[mid] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->size && v->codepoints[lo] == cp ? (int32_t)lo : -1;
}

/* "'x' (U+0078)" for a visible character, "U+000A" for a control. */
static void describe_char(uint32_t cp, char *buf, size_t size)
{
    int control = cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) ||
                  !is_scalar(cp);
    if (control) {
        snprintf(buf, size, "U+%04X", (unsigned)cp);
        return;
    }
    char utf8[5];
    utf8[utf8_encode(cp, utf8)] = '\0';
    snprintf(buf, size, "'%s' (U+%04X)", utf8, (unsigned)cp);
}

recur_status char_vocab_encode(const char_vocab *v, const uint32_t *text,
                                size_t n, const char *what, int32_t *out)
{
    if (!what)
        what = "text";
    if (!v || (!text && n) || (!out && n))
        return error_fail(RECUR_ERR_ARGUMENT, "no %s to encode (NULL)",
                          !v ? "vocabulary" : !text ? "text" : "place for the ids");
    /* Check everything before writing, so out is untouched on failure. */
    for (size_t i = 0; i < n; i++) {
        if (lookup(v, text[i]) >= 0)
            continue;
        size_t line = 1, column = 1;
        for (size_t k = 0; k < i; k++) {
            if (text[k] == '\n')
                line++, column = 1;
            else
                column++;
        }
        char c[32];
        describe_char(text[i], c, sizeof c);
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: line %zu, column %zu: character %s is not in "
                          "the vocabulary", what, line, column, c);
    }
    for (size_t i = 0; i < n; i++)
        out[i] = lookup(v, text[i]);
    return RECUR_OK;
}
