/*
 * test_text.c — UTF-8 decoding (every class of invalid input, with the
 * exact status and the line and byte offset in the message), text files,
 * and the character vocabulary (build, encode, unknown characters,
 * checkpoint code points), and an encode/decode round trip of every
 * Unicode scalar value.
 */
#define _POSIX_C_SOURCE 200809L

#include "test.h"
#include "data/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t sentinel_text[1];

/* Decodes a C string literal of n bytes; returns the status, and on
 * success the code points (caller frees). */
static recur_status decode(const char *s, size_t n, uint32_t **out, size_t *n_out)
{
    *out = sentinel_text;
    *n_out = 12345;
    return utf8_decode((const unsigned char *)s, n, "data.txt", out, n_out);
}

static void check_valid(const char *s, size_t n, const uint32_t *want, size_t n_want)
{
    uint32_t *cps;
    size_t count;
    recur_status st = decode(s, n, &cps, &count);
    CHECK(st == RECUR_OK, "decode of valid text: %s (%s)", recur_status_str(st),
          recur_last_error());
    if (st != RECUR_OK)
        return;
    CHECK(count == n_want, "decoded %zu code points, expected %zu", count, n_want);
    for (size_t i = 0; i < count && i < n_want; i++)
        CHECK(cps[i] == want[i], "code point %zu is U+%04X, expected U+%04X", i,
              (unsigned)cps[i], (unsigned)want[i]);
    free(cps);
}

/* Invalid input: RECUR_ERR_FORMAT, outputs untouched, and the message holds
 * "line L, byte B: invalid UTF-8" and the given detail. */
static void check_invalid(const char *s, size_t n, size_t line, size_t byte,
                          const char *detail)
{
    uint32_t *cps;
    size_t count;
    recur_status st = decode(s, n, &cps, &count);
    CHECK(st == RECUR_ERR_FORMAT, "invalid UTF-8 (%s): got %s", detail,
          recur_status_str(st));
    CHECK(cps == sentinel_text && count == 12345, "outputs touched on failure (%s)",
          detail);
    if (st == RECUR_OK && cps != sentinel_text)
        free(cps);
    char where[96];
    snprintf(where, sizeof where, "data.txt: line %zu, byte %zu: invalid UTF-8 (", line,
             byte);
    const char *msg = recur_last_error();
    CHECK(strncmp(msg, where, strlen(where)) == 0, "message '%s' should start '%s'", msg,
          where);
    CHECK(strstr(msg, detail) != NULL, "message '%s' should mention '%s'", msg, detail);
}

#define S(lit) lit, sizeof(lit) - 1

static void test_decode(void)
{
    /* 1-, 2-, 3- and 4-byte sequences, the extremes of each length. */
    const uint32_t mixed[] = {0x61, 0xE9, 0x20AC, 0x1F600, 0x0A, 0x00, 0x7F,
                              0x80, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF,
                              0xD7FF, 0xE000};
    check_valid(S("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\n\0\x7F\xC2\x80\xDF\xBF"
                  "\xE0\xA0\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"
                  "\xED\x9F\xBF\xEE\x80\x80"),
                mixed, sizeof mixed / sizeof *mixed);
    /* A leading BOM is dropped; one elsewhere is a character. */
    const uint32_t bom[] = {0x61, 0xFEFF, 0x62};
    check_valid(S("\xEF\xBB\xBF" "a\xEF\xBB\xBF" "b"), bom, 3);

    uint32_t *cps;
    size_t count;
    recur_status st = decode("", 0, &cps, &count);
    CHECK(st == RECUR_ERR_FORMAT && strstr(recur_last_error(), "data.txt: empty"),
          "empty input: %s '%s'", recur_status_str(st), recur_last_error());
    st = decode(S("\xEF\xBB\xBF"), &cps, &count);
    CHECK(st == RECUR_ERR_FORMAT && strstr(recur_last_error(), "empty"),
          "only a BOM: %s '%s'", recur_status_str(st), recur_last_error());
    CHECK(cps == sentinel_text, "outputs touched for empty input");
    st = utf8_decode(NULL, 3, "x", &cps, &count);
    CHECK(st == RECUR_ERR_ARGUMENT, "NULL bytes: %s", recur_status_str(st));
    st = utf8_decode((const unsigned char *)"a", 1, "x", NULL, &count);
    CHECK(st == RECUR_ERR_ARGUMENT, "NULL out: %s", recur_status_str(st));

    /* Truncated at the end, after 0, 1 and 2 of the continuation bytes. */
    check_invalid(S("ab\ncd\xC3"), 2, 5, "truncated");
    check_invalid(S("\xE2\x82"), 1, 0, "truncated");
    check_invalid(S("x\n\n\xF0\x9F\x98"), 3, 3, "truncated");
    /* A continuation byte missing inside the text. */
    check_invalid(S("\xC3\x41zz"), 1, 0, "byte 0xC3 not followed by a continuation byte");
    check_invalid(S("ok\n\xE2\x82\x41"), 2, 3, "byte 3 of it is 0x41");
    check_invalid(S("\xF0\x9F\x98\n"), 1, 0, "byte 4 of it is 0x0A");
    /* Overlong forms of each length. */
    check_invalid(S("x\xC0\x80"), 1, 1, "overlong encoding of U+0000 (0xC0 0x80)");
    check_invalid(S("\xC1\xBF"), 1, 0, "overlong");
    check_invalid(S("\xE0\x80\xAF"), 1, 0, "overlong encoding of U+002F");
    check_invalid(S("\xF0\x8F\xBF\xBF"), 1, 0, "overlong encoding of U+FFFF");
    /* Surrogates, first and last. */
    check_invalid(S("\n\n\xED\xA0\x80"), 3, 2, "surrogate U+D800 (0xED 0xA0 0x80)");
    check_invalid(S("\xED\xBF\xBF"), 1, 0, "surrogate U+DFFF");
    /* Above U+10FFFF. */
    check_invalid(S("\xF4\x90\x80\x80"), 1, 0, "U+110000 is above U+10FFFF");
    check_invalid(S("\xF7\xBF\xBF\xBF"), 1, 0, "above U+10FFFF");
    /* Stray continuation bytes and bytes that never occur. */
    check_invalid(S("a\x80"), 1, 1, "unexpected continuation byte 0x80");
    check_invalid(S("\xC3\xA9\xBF"), 1, 2, "unexpected continuation byte 0xBF");
    check_invalid(S("\xFF"), 1, 0, "byte 0xFF never occurs in UTF-8");
    check_invalid(S("line\n\xF8\x88\x80\x80\x80"), 2, 5, "byte 0xF8 never occurs");
    check_invalid(S("\xFE"), 1, 0, "0xFE");
    /* Offsets count the BOM: they are positions in the file. */
    check_invalid(S("\xEF\xBB\xBF\x80"), 1, 3, "continuation");
}

static void test_encode_roundtrip(void)
{
    /* Every Unicode scalar value, encoded then decoded. */
    size_t n_cp = 0x110000 - 0x800;
    char *bytes = malloc(n_cp * 4);
    uint32_t *want = malloc(n_cp * sizeof *want);
    if (!bytes || !want) {
        CHECK(0, "out of memory");
        free(bytes);
        free(want);
        return;
    }
    size_t len = 0, k = 0;
    int lengths_ok = 1;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        if (cp == 0xFEFF && k == 0)
            continue; /* would be taken for a BOM */
        size_t l = utf8_encode(cp, bytes + len);
        size_t expect = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        lengths_ok &= l == expect;
        len += l;
        want[k++] = cp;
    }
    CHECK(lengths_ok, "utf8_encode lengths");
    uint32_t *got;
    size_t count;
    recur_status st = decode(bytes, len, &got, &count);
    CHECK(st == RECUR_OK && count == k, "round trip: %s, %zu of %zu code points",
          recur_status_str(st), count, k);
    if (st == RECUR_OK) {
        CHECK(memcmp(got, want, k * sizeof *want) == 0,
              "round trip changed code points");
        free(got);
    }
    free(bytes);
    free(want);

    char buf[4];
    CHECK(utf8_encode(0xD800, buf) == 3 && memcmp(buf, "\xEF\xBF\xBD", 3) == 0,
          "a surrogate encodes as U+FFFD");
    CHECK(utf8_encode(0x110000, buf) == 3 && memcmp(buf, "\xEF\xBF\xBD", 3) == 0,
          "U+110000 encodes as U+FFFD");
    CHECK(utf8_encode(0x1F600, buf) == 4 && memcmp(buf, "\xF0\x9F\x98\x80", 4) == 0,
          "U+1F600");
}

static void test_read_file(void)
{
    char path[] = "/tmp/recur_text_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    if (fd < 0)
        return;
    const char content[] = "\xEF\xBB\xBFh\xC3\xA9llo\n";
    CHECK(write(fd, content, sizeof content - 1) == (ssize_t)(sizeof content - 1),
          "write");
    close(fd);
    uint32_t *cps = NULL;
    size_t n = 0;
    recur_status st = text_read(path, &cps, &n);
    const uint32_t want[] = {'h', 0xE9, 'l', 'l', 'o', '\n'};
    CHECK(st == RECUR_OK && n == 6 && memcmp(cps, want, sizeof want) == 0,
          "text_read: %s (%s), %zu code points", recur_status_str(st),
          recur_last_error(), n);
    if (st == RECUR_OK)
        free(cps);

    /* A decoding error names the file. */
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs("one\ntwo\xC3(\n", f);
        fclose(f);
    }
    cps = sentinel_text;
    st = text_read(path, &cps, &n);
    char where[96];
    snprintf(where, sizeof where, "%s: line 2, byte 7: invalid UTF-8", path);
    CHECK(st == RECUR_ERR_FORMAT && strstr(recur_last_error(), where),
          "bad file: %s '%s'", recur_status_str(st), recur_last_error());
    CHECK(cps == sentinel_text, "output touched");

    f = fopen(path, "wb");
    if (f)
        fclose(f);
    st = text_read(path, &cps, &n);
    CHECK(st == RECUR_ERR_FORMAT && strstr(recur_last_error(), "empty"),
          "empty file: %s '%s'", recur_status_str(st), recur_last_error());
    unlink(path);

    st = text_read(path, &cps, &n);
    CHECK(st == RECUR_ERR_IO && strstr(recur_last_error(), path) &&
              strstr(recur_last_error(), "No such file"),
          "missing file: %s '%s'", recur_status_str(st), recur_last_error());
    st = text_read("/tmp", &cps, &n);
    CHECK(st == RECUR_ERR_IO && strstr(recur_last_error(), "not a regular file"),
          "directory: %s '%s'", recur_status_str(st), recur_last_error());
    CHECK(text_read(NULL, &cps, &n) == RECUR_ERR_ARGUMENT, "NULL path");
    CHECK(cps == sentinel_text, "output touched");
}

/* Decodes a literal (valid by construction). */
static uint32_t *cps_of(const char *s, size_t *n)
{
    uint32_t *cps = NULL;
    if (utf8_decode((const unsigned char *)s, strlen(s), "lit", &cps, n) != RECUR_OK)
        return NULL;
    return cps;
}

static void test_vocab(void)
{
    size_t n;
    uint32_t *text = cps_of("hello\nw\xC3\xB6rld \xE2\x82\xAC\xF0\x9F\x98\x80 hello", &n);
    CHECK(text != NULL, "decode");
    if (!text)
        return;
    char_vocab *v = NULL;
    recur_status st = char_vocab_build(text, n, &v);
    CHECK(st == RECUR_OK, "vocab_build: %s", recur_status_str(st));
    if (st != RECUR_OK) {
        free(text);
        return;
    }
    const uint32_t want[] = {'\n', ' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w', 0xF6,
                             0x20AC, 0x1F600};
    size_t V = char_vocab_size(v);
    CHECK(V == 12, "vocabulary size %zu, expected 12", V);
    CHECK(V == 12 && memcmp(char_vocab_codepoints(v), want, sizeof want) == 0,
          "vocabulary is not the sorted distinct code points");
    for (size_t id = 0; id < V && id < 12; id++)
        CHECK(char_vocab_codepoint(v, id) == want[id], "codepoint(%zu)", id);
    CHECK(char_vocab_codepoint(v, V) == UINT32_MAX, "codepoint(V) out of range");

    int32_t *ids = malloc(n * sizeof *ids);
    st = ids ? char_vocab_encode(v, text, n, "train.txt", ids) : RECUR_ERR_MEMORY;
    CHECK(st == RECUR_OK, "vocab_encode: %s", recur_status_str(st));
    int ok = st == RECUR_OK;
    for (size_t i = 0; ok && i < n; i++)
        ok = ids[i] >= 0 && (size_t)ids[i] < V && want[ids[i]] == text[i];
    CHECK(ok, "encode does not map each character to its position");

    /* Characters not in the vocabulary: printable, control, beyond U+0800. */
    size_t m;
    uint32_t *other = cps_of("he\nllo\nwoQ", &m);
    int32_t keep[16];
    for (size_t i = 0; i < 16; i++)
        keep[i] = -7;
    st = char_vocab_encode(v, other, m, "val.txt", keep);
    CHECK(st == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(),
                     "val.txt: line 3, column 3: character 'Q' (U+0051) is not in "
                     "the vocabulary"),
          "unknown character: %s '%s'", recur_status_str(st), recur_last_error());
    CHECK(keep[0] == -7 && keep[1] == -7, "out touched on failure");
    free(other);
    other = cps_of("hello\tworld", &m);
    st = char_vocab_encode(v, other, m, "val.txt", keep);
    CHECK(st == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "line 1, column 6: character U+0009 is not"),
          "tab: %s '%s'", recur_status_str(st), recur_last_error());
    free(other);
    other = cps_of("\xE4\xB8\xAD", &m);
    st = char_vocab_encode(v, other, m, NULL, keep);
    CHECK(st == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(),
                     "text: line 1, column 1: character '\xE4\xB8\xAD' (U+4E2D)"),
          "CJK: %s '%s'", recur_status_str(st), recur_last_error());
    free(other);
    other = cps_of("\xF0\x9F\x98\x81", &m);
    st = char_vocab_encode(v, other, m, "x", keep);
    CHECK(st == RECUR_ERR_FORMAT && strstr(recur_last_error(), "(U+1F601)"),
          "emoji: %s '%s'", recur_status_str(st), recur_last_error());
    free(other);

    /* The same vocabulary from its code points, as a checkpoint stores it. */
    char_vocab *w = NULL;
    st = char_vocab_from_codepoints(want, 12, &w);
    CHECK(st == RECUR_OK && char_vocab_size(w) == 12 &&
              memcmp(char_vocab_codepoints(w), want, sizeof want) == 0,
          "from_codepoints: %s", recur_status_str(st));
    int32_t *ids2 = malloc(n * sizeof *ids2);
    if (st == RECUR_OK && ids && ids2) {
        st = char_vocab_encode(w, text, n, "t", ids2);
        CHECK(st == RECUR_OK && memcmp(ids, ids2, n * sizeof *ids) == 0,
              "a rebuilt vocabulary encodes differently");
    }
    free(ids2);
    free(ids);
    char_vocab_free(w);
    char_vocab_free(v);
    free(text);
    char_vocab_free(NULL);

    const uint32_t unsorted[] = {'a', 'c', 'b'};
    const uint32_t duplicate[] = {'a', 'b', 'b'};
    const uint32_t surrogate[] = {'a', 0xDC00};
    const uint32_t too_big[] = {'a', 0x110000};
    const struct {
        const uint32_t *cps;
        size_t V;
        const char *detail;
    } bad[] = {
        {unsorted, 3, "entry 2 = U+0062 is below entry 1 = U+0063"},
        {duplicate, 3, "entry 2 = U+0062 repeats entry 1"},
        {surrogate, 2, "entry 1 = 0xDC00 is not a Unicode scalar value"},
        {too_big, 2, "entry 1 = 0x110000"},
        {unsorted, 0, "empty"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        w = (char_vocab *)&w;
        st = char_vocab_from_codepoints(bad[k].cps, bad[k].V, &w);
        CHECK(st == RECUR_ERR_FORMAT && strstr(recur_last_error(), bad[k].detail),
              "from_codepoints case %zu: %s '%s'", k, recur_status_str(st),
              recur_last_error());
        CHECK(w == (char_vocab *)&w, "out touched on failure");
    }
    const uint32_t invalid_text[] = {'a', 0xD800};
    CHECK(char_vocab_build(invalid_text, 2, &w) == RECUR_ERR_ARGUMENT,
          "build from a surrogate");
    CHECK(char_vocab_build(invalid_text, 0, &w) == RECUR_ERR_ARGUMENT,
          "build from nothing");
    CHECK(char_vocab_from_codepoints(NULL, 1, &w) == RECUR_ERR_ARGUMENT, "NULL cps");
}

/* utf8_check says what utf8_decode says, without decoding. */
static void test_check(void)
{
    static const char *const inputs[] = {
        "ok\n\xC3\xA9", "a\nb\n\xC3(", "\xEF\xBB\xBF", "", "x\xED\xA0\x80",
        "\xEF\xBB\xBFy\n\n\xF8", "\xF0\x9F\x98",
    };
    for (size_t k = 0; k < sizeof inputs / sizeof *inputs; k++) {
        const unsigned char *b = (const unsigned char *)inputs[k];
        size_t n = strlen(inputs[k]), ncp;
        uint32_t *cps = NULL;
        recur_status d = utf8_decode(b, n, "in.txt", &cps, &ncp);
        char want[512];
        snprintf(want, sizeof want, "%s", recur_last_error());
        free(cps);
        recur_status c = utf8_check(b, n, "in.txt");
        CHECK(c == d && (d == RECUR_OK || !strcmp(want, recur_last_error())),
              "check of input %zu: %s '%s', decode %s '%s'", k,
              recur_status_str(c), recur_last_error(), recur_status_str(d), want);
    }
}

void test_text(void)
{
    test_check();
    test_decode();
    test_encode_roundtrip();
    test_read_file();
    test_vocab();
}
