/*
 * test_tagged.c — tagged sentences (src/data/tagged.h): each format
 * (CoNLL-U comments, ranges, empty nodes, UPOS or XPOS, CRLF, a byte-order
 * mark, a last sentence without a blank line; two columns; plain), every
 * malformed input refused with its line; gzip files (src/data/gz.h) the
 * same as their content, truncated, corrupt, a bomb past the bound;
 * tagged_conllu_fill keeping every other byte; the vocabularies (ordering,
 * reserved names) and the encoding (unknown words and chars, the char
 * limit, an unseen tag). With $RECUR_DATA/ud_en_ewt, the UD English EWT
 * splits are read and counted (else a SKIP).
 */
#include "base/error.h"
#include "data/gz.h"
#include "data/tagged.h"
#include "scratch.h"
#include "test.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static recur_status parse(const char *text, tagged_format f, tagged_column c,
                          tagged_set *s)
{
    return tagged_parse(text, strlen(text), "in.txt", f, c, s);
}

/* s holds these forms (and tags, unless tag is NULL), split into sentences
 * at `offset`, and the lines. */
static int holds(const tagged_set *s, size_t n, const size_t *offset,
                 const char *const *form, const char *const *tag,
                 const size_t *line)
{
    if (s->n != n || !s->offset || (tag == NULL) != (s->tag == NULL))
        return 0;
    for (size_t i = 0; i <= n; i++)
        if (s->offset[i] != offset[i])
            return 0;
    for (size_t k = 0; k < s->tokens; k++)
        if (strcmp(s->form[k], form[k]) || (tag && strcmp(s->tag[k], tag[k])) ||
            s->line[k] != line[k])
            return 0;
    return s->tokens == offset[n];
}

/* A CoNLL-U text with a byte-order mark, CRLF, comments, a multi-word
 * token (1-2), an empty node (3.1) and a last sentence without a line end. */
static const char CONLLU[] =
    "\xEF\xBB\xBF# sent_id = 1\r\n"
    "# text = Don't go.\r\n"
    "1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_\r\n"
    "1\tDo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_\r\n"
    "2\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t_\t_\r\n"
    "3\tgo\tgo\tVERB\tVB\t_\t0\troot\t_\tSpaceAfter=No\r\n"
    "3.1\tgo\t_\t_\t_\t_\t_\t_\t3:conj\t_\r\n"
    "4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_\r\n"
    "\r\n"
    "\r\n"
    "# sent_id = 2\n"
    "1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_";

static void formats(void)
{
    tagged_set s = {0};
    const char *forms[] = {"Do", "n't", "go", ".", "Hi"};
    const size_t lines[] = {4, 5, 6, 8, 12}, off[] = {0, 4, 5};
    CHECK(parse(CONLLU, TAGGED_CONLLU, TAGGED_UPOS, &s) == RECUR_OK &&
              holds(&s, 2, off, forms,
                    (const char *[]){"AUX", "PART", "VERB", "PUNCT", "INTJ"},
                    lines) &&
              !strcmp(s.path, "in.txt"),
          "CoNLL-U, UPOS: %s", recur_last_error());
    tagged_free(&s);
    CHECK(s.n == 0 && s.buf == NULL && s.form == NULL, "tagged_free zeroes");
    CHECK(parse(CONLLU, TAGGED_CONLLU, TAGGED_XPOS, &s) == RECUR_OK &&
              holds(&s, 2, off, forms,
                    (const char *[]){"VBP", "RB", "VB", ".", "UH"}, lines),
          "CoNLL-U, XPOS: %s", recur_last_error());
    tagged_free(&s);
    /* "_" is a tag like any other. */
    CHECK(parse("1\ta\ta\t_\tX\t_\t0\troot\t_\t_\n", TAGGED_CONLLU,
                TAGGED_UPOS, &s) == RECUR_OK &&
              s.tokens == 1 && !strcmp(s.tag[0], "_"),
          "CoNLL-U, tag _: %s", recur_last_error());
    tagged_free(&s);

    /* Two columns: several blank lines, CRLF, '#' is a token, no final
     * newline; spaces inside a token are kept. */
    CHECK(parse("EU\tB-ORG\nrejects\tO\n\n\n#\tO\r\nNew York\tB-LOC\r\n\r\n"
                "Peter\tB-PER",
                TAGGED_COLUMNS, TAGGED_UPOS, &s) == RECUR_OK &&
              holds(&s, 3, (const size_t[]){0, 2, 4, 5},
                    (const char *[]){"EU", "rejects", "#", "New York",
                                     "Peter"},
                    (const char *[]){"B-ORG", "O", "O", "B-LOC", "B-PER"},
                    (const size_t[]){1, 2, 5, 6, 8}),
          "two columns: %s", recur_last_error());
    tagged_free(&s);

    /* Plain: runs of spaces and TABs, empty lines skipped, no tags. */
    CHECK(parse("\xEF\xBB\xBFthe cat\t sat\n\n  dogs  run \r\n", TAGGED_PLAIN,
                TAGGED_UPOS, &s) == RECUR_OK &&
              holds(&s, 2, (const size_t[]){0, 3, 5},
                    (const char *[]){"the", "cat", "sat", "dogs", "run"},
                    NULL, (const size_t[]){1, 1, 1, 3, 3}),
          "plain: %s", recur_last_error());
    tagged_free(&s);

    /* Detection. */
    CHECK(tagged_detect(CONLLU, strlen(CONLLU)) == TAGGED_CONLLU,
          "detect CoNLL-U");
    const char *cols = "# not a comment in columns\n\nEU\tB-ORG\n";
    CHECK(tagged_detect(cols, strlen(cols)) == TAGGED_COLUMNS &&
              tagged_detect("", 0) == TAGGED_COLUMNS &&
              tagged_detect(NULL, 0) == TAGGED_COLUMNS,
          "detect two columns");

    /* Misuse. */
    CHECK(parse("a\tb\n", (tagged_format)7, TAGGED_UPOS, &s) ==
                  RECUR_ERR_ARGUMENT &&
              parse("a\tb\n", TAGGED_COLUMNS, (tagged_column)2, &s) ==
                  RECUR_ERR_ARGUMENT &&
              tagged_parse(NULL, 3, "x", TAGGED_COLUMNS, TAGGED_UPOS, &s) ==
                  RECUR_ERR_ARGUMENT,
          "bad format, column, NULL text");
    CHECK(tagged_read("/nonexistent/x.conllu", TAGGED_CONLLU, TAGGED_UPOS,
                      &s) == RECUR_ERR_IO &&
              strstr(recur_last_error(), "/nonexistent/x.conllu") && s.n == 0,
          "missing file: %s", recur_last_error());
    tagged_free(NULL);
}

/* A CoNLL-U word line: id, form, upos. */
static char *word(char *p, const char *id, const char *form, const char *upos)
{
    return p + sprintf(p, "%s\t%s\t_\t%s\tX\t_\t0\tdep\t_\t_\n", id, form,
                       upos);
}

static void hostile(void)
{
    static const struct {
        tagged_format f;
        const char *text, *want;
    } bad[] = {
        {TAGGED_CONLLU, "1\ta\ta\tX\tX\t_\t0\troot\t_\n",
         "in.txt: line 1: 9 columns (CoNLL-U has 10"},
        {TAGGED_CONLLU, "# c\n1\ta\ta\tX\tX\t_\t0\troot\t_\t_\tmore\n",
         "in.txt: line 2: 11 columns"},
        {TAGGED_CONLLU, "1\ta\ta\tX\tX\t_\t0\troot\t_\t_\nx\tb\tb\tX\tX\t_\t0"
                        "\troot\t_\t_\n",
         "in.txt: line 2: id 'x' is not a word id"},
        {TAGGED_CONLLU, "1.\ta\ta\tX\tX\t_\t0\troot\t_\t_\n",
         "in.txt: line 1: id '1.' is not"},
        {TAGGED_CONLLU, "-1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n",
         "in.txt: line 1: id '-1' is not"},
        {TAGGED_CONLLU, "1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n3\tb\tb\tX\tX\t_\t0"
                        "\troot\t_\t_\n",
         "in.txt: line 2: word id 3 out of order (expected 2)"},
        {TAGGED_CONLLU, "1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n\n2\tb\tb\tX\tX\t_"
                        "\t0\troot\t_\t_\n",
         "in.txt: line 3: word id 2 out of order (expected 1)"},
        {TAGGED_CONLLU, "0\ta\ta\tX\tX\t_\t0\troot\t_\t_\n",
         "in.txt: line 1: word id 0 out of order (expected 1)"},
        {TAGGED_CONLLU, "# c\n1-2\tab\t_\t_\t_\t_\t_\t_\t_\t_\n\n",
         "in.txt: line 2: a sentence without a token"},
        {TAGGED_CONLLU, "1-2\tab\t_\t_\t_\t_\t_\t_\t_\t_\n1\ta\ta\tX\tX\t_\t0"
                        "\troot\t_\t_\n",
         "in.txt: line 1: the range ends at word 2, after the sentence's "
         "last word 1"},
        {TAGGED_CONLLU, "1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n3-4\tab\t_\t_\t_\t_"
                        "\t_\t_\t_\t_\n",
         "in.txt: line 2: range 3-4 does not start at the next word id"},
        {TAGGED_CONLLU, "1-1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n",
         "in.txt: line 1: range 1-1 does not end after its start"},
        {TAGGED_CONLLU, "1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n2.1\tb\t_\t_\t_\t_"
                        "\t_\t_\t_\t_\n",
         "in.txt: line 2: empty node 2.1 out of order (after word 1)"},
        {TAGGED_CONLLU, "1\t\ta\tX\tX\t_\t0\troot\t_\t_\n",
         "in.txt: line 1: empty form"},
        {TAGGED_CONLLU, "1\ta\ta\t\tX\t_\t0\troot\t_\t_\n",
         "in.txt: line 1: empty tag"},
        {TAGGED_CONLLU, "1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n2\tb\xC3(\tb\tX\tX"
                        "\t_\t0\troot\t_\t_\n",
         "in.txt: line 2, byte 26: invalid UTF-8"},
        {TAGGED_CONLLU, "1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n2\tb@\tb\tX\tX\t_\t0"
                        "\troot\t_\t_\n",
         "in.txt: line 2, byte 26: a NUL"},
        {TAGGED_CONLLU, "# only a comment\n\n", "in.txt: no sentences"},
        {TAGGED_CONLLU, "", "in.txt: empty"},
        {TAGGED_CONLLU, "\xEF\xBB\xBF", "in.txt: empty (only a byte-order"},
        {TAGGED_COLUMNS, "a\tO\nb\n",
         "in.txt: line 2: 1 column (expected 2: token TAB tag)"},
        {TAGGED_COLUMNS, "a\tO\n\nb\tO\tx\n", "in.txt: line 3: 3 columns"},
        {TAGGED_COLUMNS, "a\tO\n\tO\n", "in.txt: line 2: empty form"},
        {TAGGED_COLUMNS, "a\tO\r\nb\t\r\n", "in.txt: line 2: empty tag"},
        {TAGGED_COLUMNS, "\n\n\r\n", "in.txt: no sentences"},
        {TAGGED_PLAIN, "a b\n \t \n", "in.txt: line 2: a sentence without a "
                                      "token"},
        {TAGGED_PLAIN, "a b\n\xFF\n", "in.txt: line 2, byte 4: invalid UTF-8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tagged_set s = {.n = 99};
        /* '@' stands for a NUL byte. */
        char text[256];
        size_t n = strlen(bad[i].text);
        memcpy(text, bad[i].text, n);
        char *at = memchr(text, '@', n);
        if (at)
            *at = '\0';
        recur_status st = tagged_parse(text, n, "in.txt", bad[i].f,
                                       TAGGED_UPOS, &s);
        CHECK(st == RECUR_ERR_FORMAT && s.n == 0 && s.buf == NULL &&
                  s.form == NULL && strstr(recur_last_error(), bad[i].want),
              "bad input %zu: %s: \"%s\" (want \"%s\")", i,
              recur_status_str(st), recur_last_error(), bad[i].want);
    }

    /* A token of TAGGED_MAX_TOKEN_BYTES is read; one byte more is not,
     * as a form or as a tag, in each format. */
    char *text = malloc(2 * (TAGGED_MAX_SENTENCE + 2) * 64 + 4096);
    char longest[TAGGED_MAX_TOKEN_BYTES + 2];
    memset(longest, 'x', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    tagged_set s = {0};
    sprintf(text, "a\tO\n%s\tO\n", longest + 1);
    CHECK(parse(text, TAGGED_COLUMNS, TAGGED_UPOS, &s) == RECUR_OK &&
              strlen(s.form[1]) == TAGGED_MAX_TOKEN_BYTES,
          "a token of the largest size: %s", recur_last_error());
    tagged_free(&s);
    sprintf(text, "a\tO\n%s\tO\n", longest);
    CHECK(parse(text, TAGGED_COLUMNS, TAGGED_UPOS, &s) == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "in.txt: line 2: a token of 1025 "
                                         "bytes (at most 1024)"),
          "a token too long: %s", recur_last_error());
    sprintf(text, "a\t%s\n", longest);
    CHECK(parse(text, TAGGED_COLUMNS, TAGGED_UPOS, &s) == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "in.txt: line 1: a tag of 1025 "),
          "a tag too long: %s", recur_last_error());
    sprintf(text, "a b\nc %s\n", longest);
    CHECK(parse(text, TAGGED_PLAIN, TAGGED_UPOS, &s) == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "in.txt: line 2: a token of 1025 "),
          "a plain token too long: %s", recur_last_error());
    char *p = word(text, "1", longest, "X");
    CHECK(parse(text, TAGGED_CONLLU, TAGGED_UPOS, &s) == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "in.txt: line 1: a token of 1025 "),
          "a CoNLL-U form too long: %s", recur_last_error());

    /* A sentence of TAGGED_MAX_SENTENCE words is read; one more is not
     * (on the line of the word too many: line 1 is a comment). */
    p = text + sprintf(text, "# long\n");
    for (int k = 1; k <= TAGGED_MAX_SENTENCE; k++) {
        char id[16];
        sprintf(id, "%d", k);
        p = word(p, id, "w", "X");
    }
    CHECK(parse(text, TAGGED_CONLLU, TAGGED_UPOS, &s) == RECUR_OK &&
              s.n == 1 && s.tokens == TAGGED_MAX_SENTENCE,
          "a sentence of the largest size: %s", recur_last_error());
    tagged_free(&s);
    word(p, "4097", "w", "X");
    CHECK(parse(text, TAGGED_CONLLU, TAGGED_UPOS, &s) == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "in.txt: line 4098: a sentence of "
                                         "more than 4096 tokens"),
          "a sentence too long: %s", recur_last_error());
    free(text);
}

/* A parsed set is well formed: sentences of 1 to TAGGED_MAX_SENTENCE
 * tokens, none empty. */
static int well_formed(const tagged_set *s)
{
    if (s->n == 0 || s->offset[0] != 0 || s->offset[s->n] != s->tokens)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->offset[i + 1] <= s->offset[i] ||
            s->offset[i + 1] - s->offset[i] > TAGGED_MAX_SENTENCE)
            return 0;
    for (size_t k = 0; k < s->tokens; k++)
        if (!*s->form[k] || (s->tag && !*s->tag[k]))
            return 0;
    return 1;
}

/* Every prefix of a CoNLL-U and a two-column text, and seeded byte
 * mutations of them, in every format: parsed well formed or refused with
 * RECUR_ERR_FORMAT (the sanitizer build checks that nothing is read out of
 * bounds); a CoNLL-U text that parses is filled back to itself. */
static void mutations(void)
{
    static const char cols[] = "EU\tB-ORG\r\nrejects\tO\n\n#\tO\nx y\tI-X";
    const char *inputs[] = {CONLLU, cols};
    size_t sizes[] = {sizeof CONLLU - 1, sizeof cols - 1}, failures = 0;
    static const unsigned char noise[] = {'\t', '\n', '\r', '-', '.', '#',
                                          '1', '0', ' ', 0xC3};
    uint64_t x = 12345;
    for (size_t in = 0; in < 2; in++)
        for (size_t len = 0; len <= sizes[in]; len++) {
            /* Exactly len bytes, so that reading past them is caught. */
            char *b = malloc(len ? len : 1);
            for (int round = 0; b && round < 4; round++) {
                memcpy(b, inputs[in], len);
                for (int k = 0; len > 0 && k < round; k++) {
                    x = x * 6364136223846793005ull + 1442695040888963407ull;
                    b[(x >> 33) % len] = (char)noise[(x >> 20) % sizeof noise];
                }
                for (int f = 0; f < 3; f++) {
                    tagged_set s = {0};
                    recur_status st = tagged_parse(b, len, "m",
                                                   (tagged_format)f,
                                                   TAGGED_XPOS, &s);
                    failures += st != RECUR_OK && st != RECUR_ERR_FORMAT;
                    failures += st == RECUR_OK && !well_formed(&s);
                    char *out = NULL;
                    size_t size = 0;
                    if (st == RECUR_OK && f == TAGGED_CONLLU)
                        failures += tagged_conllu_fill(b, len, "m",
                                                       TAGGED_XPOS, s.tag,
                                                       s.tokens, &out,
                                                       &size) != RECUR_OK ||
                                    size != len || memcmp(out, b, len);
                    free(out);
                    tagged_free(&s);
                }
            }
            free(b);
        }
    CHECK(failures == 0, "%zu hostile inputs gave another status, a set "
          "not well formed, or a fill that is not the text", failures);
}

/* ------------------------------------------------------------------------ */
/* gzip                                                                      */

/* text[0..n) gzip-compressed (zlib, windowBits 16 + 15) into a malloc'd
 * buffer; *size its length. */
static unsigned char *gzip(const void *text, size_t n, size_t *size)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong)n);
    unsigned char *out = malloc(cap);
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int ret = out ? deflate(&z, Z_FINISH) : Z_MEM_ERROR;
    *size = cap - z.avail_out;
    deflateEnd(&z);
    if (ret != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static int write_bytes(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(b, 1, n, f) == n;
    return (f && fclose(f) == 0) && ok;
}

/* The same sentences, tokens, tags and lines. */
static int same_set(const tagged_set *a, const tagged_set *b)
{
    if (a->n != b->n || a->tokens != b->tokens)
        return 0;
    for (size_t i = 0; i <= a->n; i++)
        if (a->offset[i] != b->offset[i])
            return 0;
    for (size_t k = 0; k < a->tokens; k++)
        if (strcmp(a->form[k], b->form[k]) || strcmp(a->tag[k], b->tag[k]) ||
            a->line[k] != b->line[k])
            return 0;
    return 1;
}

static void gz_files(void)
{
    if (!scratch_open("recur-tagged"))
        return;
    char plain[300], gz[300], cut[300], bad[300];
    in_scratch(plain, sizeof plain, "x.conllu");
    in_scratch(gz, sizeof gz, "x.conllu.gz");
    in_scratch(cut, sizeof cut, "cut.conllu.gz");
    in_scratch(bad, sizeof bad, "bad.conllu.gz");
    size_t n = strlen(CONLLU), zn;
    unsigned char *z = gzip(CONLLU, n, &zn);
    CHECK(z && write_bytes(plain, CONLLU, n) && write_bytes(gz, z, zn) &&
              write_bytes(cut, z, zn - 9),
          "writing the test files");
    tagged_set a = {0}, b = {0};
    CHECK(tagged_read(plain, TAGGED_CONLLU, TAGGED_UPOS, &a) == RECUR_OK &&
              tagged_read(gz, TAGGED_CONLLU, TAGGED_UPOS, &b) == RECUR_OK &&
              same_set(&a, &b) && a.n == 2 && !strcmp(b.path, gz),
          "gzip'd reads as plain: %s", recur_last_error());
    tagged_free(&b);
    CHECK(z && tagged_parse((const char *)z, zn, "mem.gz", TAGGED_CONLLU,
                            TAGGED_UPOS, &b) == RECUR_OK &&
              same_set(&a, &b),
          "gzip'd bytes in memory: %s", recur_last_error());
    tagged_free(&a);
    tagged_free(&b);
    /* Cut: the trailer (CRC, size) missing. */
    recur_status st = tagged_read(cut, TAGGED_CONLLU, TAGGED_UPOS, &a);
    CHECK(st == RECUR_ERR_FORMAT && strstr(recur_last_error(), cut) &&
              strstr(recur_last_error(), "truncated") && a.n == 0,
          "truncated gzip: %s: %s", recur_status_str(st), recur_last_error());
    /* Corrupt: bytes of the compressed data changed (a bad block or a CRC
     * that does not match). */
    for (size_t i = 12; z && i < zn - 8; i += 3)
        z[i] ^= 0x5A;
    CHECK(z && write_bytes(bad, z, zn), "writing the corrupt file");
    st = tagged_read(bad, TAGGED_CONLLU, TAGGED_UPOS, &a);
    CHECK(st == RECUR_ERR_FORMAT && strstr(recur_last_error(), bad) &&
              strstr(recur_last_error(), "gzip") && a.n == 0,
          "corrupt gzip: %s: %s", recur_status_str(st), recur_last_error());
    /* Just the magic bytes. */
    CHECK(write_bytes(bad, "\x1F\x8B", 2) &&
              tagged_read(bad, TAGGED_CONLLU, TAGGED_UPOS, &a) ==
                  RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "truncated"),
          "gzip magic alone: %s", recur_last_error());
    free(z);
    scratch_close();
}

static void gz_memory(void)
{
    /* 100 000 zeros: a bomb when the bound is smaller. */
    size_t n = 100000, zn, size;
    char *zeros = calloc(n, 1);
    unsigned char *z = gzip(zeros, n, &zn), *out = NULL;
    CHECK(z && zn < 1000, "100000 zeros compress to %zu bytes", zn);
    recur_status st = gz_inflate(z, zn, "bomb.gz", n - 1, &out, &size);
    CHECK(st == RECUR_ERR_UNSUPPORTED && out == NULL &&
              strstr(recur_last_error(), "bomb.gz: gzip: more than the 99999 "
                                         "bytes"),
          "a bomb: %s: %s", recur_status_str(st), recur_last_error());
    st = gz_inflate(z, zn, "ok.gz", n, &out, &size);
    CHECK(st == RECUR_OK && size == n && out && out[n] == '\0' &&
              !memcmp(out, zeros, n),
          "content of exactly the bound: %s", recur_last_error());
    free(out);
    /* Two members are read one after the other, as gzip -d does; bytes
     * after the last member that are no member are refused. */
    size_t an, bn;
    unsigned char *a = gzip("one\n", 4, &an), *b = gzip("two\n", 4, &bn);
    unsigned char both[256];
    CHECK(a && b && an + bn + 3 < sizeof both, "compressing two members");
    if (a && b && an + bn + 3 < sizeof both) {
        memcpy(both, a, an);
        memcpy(both + an, b, bn);
        out = NULL;
        CHECK(gz_inflate(both, an + bn, "two.gz", 100, &out, &size) ==
                      RECUR_OK &&
                  size == 8 && !memcmp(out, "one\ntwo\n", 8),
              "two members: %s", recur_last_error());
        free(out);
        memcpy(both + an + bn, "xyz", 3);
        out = NULL;
        st = gz_inflate(both, an + bn + 3, "tail.gz", 100, &out, &size);
        CHECK(st == RECUR_ERR_FORMAT && !out &&
                  strstr(recur_last_error(), "tail.gz: gzip: 3 bytes after"),
              "trailing bytes: %s", recur_last_error());
    }
    /* Not gzip: copied, bounded too. */
    CHECK(gz_inflate((const unsigned char *)"abc", 3, "p", 3, &out, &size) ==
                  RECUR_OK &&
              size == 3 && !memcmp(out, "abc", 4),
          "plain copy: %s", recur_last_error());
    free(out);
    CHECK(gz_inflate((const unsigned char *)"abc", 3, "p", 2, &out, &size) ==
              RECUR_ERR_UNSUPPORTED,
          "plain past the bound");
    CHECK(gz_is_gzip((const unsigned char *)"\x1F\x8B", 2) &&
              !gz_is_gzip((const unsigned char *)"\x1F", 1),
          "gz_is_gzip");
    /* Every prefix of a gzip'd text and seeded mutations: its content,
     * or RECUR_ERR_FORMAT. */
    size_t cn, failures = 0;
    unsigned char *c = gzip(CONLLU, sizeof CONLLU - 1, &cn);
    uint64_t x = 777;
    for (size_t len = 3; c && len <= cn; len++) {
        unsigned char *m = malloc(len);
        for (int round = 0; m && round < 4; round++) {
            memcpy(m, c, len);
            for (int k = 0; k < round; k++) {
                x = x * 6364136223846793005ull + 1442695040888963407ull;
                m[2 + (x >> 33) % (len - 2)] ^= (unsigned char)(1 + (x >> 20) % 255);
            }
            out = NULL;
            st = gz_inflate(m, len, "m.gz", 4096, &out, &size);
            /* A mutation may inflate past the bound before its CRC. */
            failures += st != RECUR_OK && st != RECUR_ERR_FORMAT &&
                        !(round > 0 && st == RECUR_ERR_UNSUPPORTED);
            failures += st == RECUR_OK &&
                        (round == 0 ? len != cn || size != sizeof CONLLU - 1 ||
                                          memcmp(out, CONLLU, size)
                                    : !out);
            free(out);
        }
        free(m);
    }
    CHECK(c && failures == 0, "%zu gzip prefixes or mutations gave another "
          "status or other content", failures);
    free(c);
    free(a);
    free(b);
    free(z);
    free(zeros);
}

/* ------------------------------------------------------------------------ */
/* Filling                                                                   */

static void fill(void)
{
    tagged_set s = {0};
    size_t n = strlen(CONLLU);
    CHECK(parse(CONLLU, TAGGED_CONLLU, TAGGED_XPOS, &s) == RECUR_OK,
          "parse: %s", recur_last_error());
    char *out = NULL;
    size_t size = 0;
    /* The file's own tags give the same bytes. */
    CHECK(tagged_conllu_fill(CONLLU, n, "in.txt", TAGGED_XPOS, s.tag,
                             s.tokens, &out, &size) == RECUR_OK &&
              size == n && !memcmp(out, CONLLU, n) && out[n] == '\0',
          "fill with its own tags: %s", recur_last_error());
    free(out);
    /* Other tags, of other lengths, in UPOS: only that column changes. */
    const char *tags[] = {"A", "BB", "CCC", "DDDD", "E"};
    CHECK(tagged_conllu_fill(CONLLU, n, "in.txt", TAGGED_UPOS, tags, 5, &out,
                             &size) == RECUR_OK,
          "fill: %s", recur_last_error());
    const char want[] =
        "\xEF\xBB\xBF# sent_id = 1\r\n"
        "# text = Don't go.\r\n"
        "1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_\r\n"
        "1\tDo\tdo\tA\tVBP\t_\t3\taux\t_\t_\r\n"
        "2\tn't\tnot\tBB\tRB\t_\t3\tadvmod\t_\t_\r\n"
        "3\tgo\tgo\tCCC\tVB\t_\t0\troot\t_\tSpaceAfter=No\r\n"
        "3.1\tgo\t_\t_\t_\t_\t_\t_\t3:conj\t_\r\n"
        "4\t.\t.\tDDDD\t.\t_\t3\tpunct\t_\t_\r\n"
        "\r\n"
        "\r\n"
        "# sent_id = 2\n"
        "1\tHi\thi\tE\tUH\t_\t0\troot\t_\t_";
    CHECK(out && size == strlen(want) && !memcmp(out, want, size),
          "filled text: \"%.*s\"", (int)size, out ? out : "");
    free(out);
    out = NULL;
    /* Four tags for five word lines; a tag that would break the line. */
    CHECK(tagged_conllu_fill(CONLLU, n, "in.txt", TAGGED_UPOS, tags, 4, &out,
                             &size) == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "in.txt: 5 word lines, not the 4 ") &&
              !out,
          "fill, wrong count: %s", recur_last_error());
    tags[1] = "B\tB";
    CHECK(tagged_conllu_fill(CONLLU, n, "in.txt", TAGGED_UPOS, tags, 5, &out,
                             &size) == RECUR_ERR_ARGUMENT &&
              !out,
          "fill, a tag with a TAB: %s", recur_last_error());
    tags[1] = "BB";
    const char *broken = "1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n1\tb\tb\tX\n";
    CHECK(tagged_conllu_fill(broken, strlen(broken), "in.txt", TAGGED_UPOS,
                             tags, 2, &out, &size) == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "in.txt: line 2: 4 columns"),
          "fill, a broken line: %s", recur_last_error());
    tagged_free(&s);
}

/* ------------------------------------------------------------------------ */
/* Vocabularies and encoding                                                 */

static void vocab_order(void)
{
    /* By descending count, ties in byte order; reserved names not counted. */
    const char *tok[] = {"b", "a", "b", "c", "<pad>", "a", "b", "<unk>",
                         "<unk>", "<unk>"};
    tok_vocab *v = NULL;
    CHECK(tok_vocab_from_strings(tok, 10, 1, 0, &v) == RECUR_OK &&
              tok_vocab_size(v) == 5 &&
              !strcmp(tok_vocab_token(v, 0), "<pad>") &&
              !strcmp(tok_vocab_token(v, 1), "<unk>") &&
              !strcmp(tok_vocab_token(v, 2), "b") &&
              !strcmp(tok_vocab_token(v, 3), "a") &&
              !strcmp(tok_vocab_token(v, 4), "c"),
          "ordering: %s", recur_last_error());
    tok_vocab_free(v);
    v = NULL;
    CHECK(tok_vocab_from_strings(tok, 10, 2, 0, &v) == RECUR_OK &&
              tok_vocab_size(v) == 4 && tok_vocab_find(v, "c") == 1,
          "min_count 2");
    tok_vocab_free(v);
    v = NULL;
    CHECK(tok_vocab_from_strings(tok, 10, 1, 3, &v) == RECUR_OK &&
              tok_vocab_size(v) == 3 && tok_vocab_find(v, "b") == 2,
          "max_size 3");
    tok_vocab_free(v);
    v = NULL;
    CHECK(tok_vocab_from_strings(NULL, 0, 1, 0, &v) == RECUR_OK &&
              tok_vocab_size(v) == 2,
          "no strings: %s", recur_last_error());
    tok_vocab_free(v);
    CHECK(tok_vocab_from_strings(tok, 10, 1, 1, &v) == RECUR_ERR_ARGUMENT,
          "max_size 1");
}

static const char TRAIN[] = "The\tDET\ncat\tNOUN\nsat\tVERB\n\n"
                            "the\tDET\nCAFÉ\tNOUN\n<PAD>\tX\n\n"
                            "<unk>\tX\nthe\tDET\n";

static void vocabs(void)
{
    tagged_set s = {0};
    tag_vocabs v = {0};
    CHECK(parse(TRAIN, TAGGED_COLUMNS, TAGGED_UPOS, &s) == RECUR_OK &&
              tag_vocabs_build(&s, 1, 0, 1, &v) == RECUR_OK,
          "build: %s", recur_last_error());
    if (!v.words) {
        tagged_free(&s);
        return;
    }
    /* Words, lowered: the 3, then café (the É stays), cat, sat; <pad> and
     * <unk> are no words. */
    const char *words[] = {"<pad>", "<unk>", "the", "cafÉ", "cat", "sat"};
    int ok = tok_vocab_size(v.words) == 6;
    for (size_t i = 0; ok && i < 6; i++)
        ok = !strcmp(tok_vocab_token(v.words, i), words[i]);
    CHECK(ok, "word vocabulary (%zu ids)", tok_vocab_size(v.words));
    /* Chars, not lowered: e ×3 (The, the ×2), t ×4 ... counted per code
     * point; É is one char of two bytes; < and > from <PAD> and <unk>. */
    CHECK(tok_vocab_find(v.chars, "É") >= 2 &&
              tok_vocab_find(v.chars, "T") >= 2 &&
              tok_vocab_find(v.chars, "<") >= 2 &&
              !strcmp(tok_vocab_token(v.chars, 2), "t") &&
              tok_vocab_find(v.chars, "q") == RECUR_TOKEN_UNK,
          "char vocabulary: id 2 is '%s'", tok_vocab_token(v.chars, 2));
    CHECK(v.n_tags == 4 && !strcmp(v.tags[0], "DET") &&
              !strcmp(v.tags[1], "NOUN") && !strcmp(v.tags[2], "VERB") &&
              !strcmp(v.tags[3], "X") && tag_vocabs_find_tag(&v, "X") == 3 &&
              tag_vocabs_find_tag(&v, "ADJ") == -1,
          "tags");
    /* min_count and max_words. */
    tag_vocabs w = {0};
    CHECK(tag_vocabs_build(&s, 2, 0, 1, &w) == RECUR_OK &&
              tok_vocab_size(w.words) == 3 && w.lowercase == 1,
          "min_count 2: %zu", tok_vocab_size(w.words));
    tag_vocabs_free(&w);
    CHECK(tag_vocabs_build(&s, 1, 4, 0, &w) == RECUR_OK &&
              tok_vocab_size(w.words) == 4 &&
              !strcmp(tok_vocab_token(w.words, 2), "the") &&
              !strcmp(tok_vocab_token(w.words, 3), "<PAD>") && w.lowercase == 0,
          "max_words 4, not lowered (\"<PAD>\" is a word then)");
    tag_vocabs_free(&w);
    /* The stored tag set and back. */
    char *joined = tag_vocabs_join_tags(&v);
    CHECK(joined && !strcmp(joined, "DET\nNOUN\nVERB\nX"), "join: %s",
          joined ? joined : "NULL");
    CHECK(tag_vocabs_parse_tags("B-PER\nI-PER\nO", &w) == RECUR_OK &&
              w.n_tags == 3 && tag_vocabs_find_tag(&w, "O") == 2,
          "parse tags: %s", recur_last_error());
    CHECK(tag_vocabs_parse_tags("O\nB-PER", &w) == RECUR_ERR_FORMAT &&
              w.n_tags == 3,
          "parse tags out of order, untouched");
    tag_vocabs_free(&w);
    free(joined);
    /* A tag with a control character cannot be stored. */
    tagged_set c = {0};
    CHECK(parse("a\tO\nb\tX\x01\n", TAGGED_COLUMNS, TAGGED_UPOS, &c) ==
                  RECUR_OK &&
              tag_vocabs_build(&c, 1, 0, 0, &w) == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "in.txt: line 2: the tag holds a "
                                         "control character"),
          "control character in a tag: %s", recur_last_error());
    tagged_free(&c);
    CHECK(parse("a b\n", TAGGED_PLAIN, TAGGED_UPOS, &c) == RECUR_OK &&
              tag_vocabs_build(&c, 1, 0, 0, &w) == RECUR_ERR_ARGUMENT,
          "vocabularies of untagged sentences");
    tagged_free(&c);
    tag_vocabs_free(&v);
    tagged_free(&s);
}

static void encode(void)
{
    tagged_set train = {0}, dev = {0};
    tag_vocabs v = {0};
    CHECK(parse(TRAIN, TAGGED_COLUMNS, TAGGED_UPOS, &train) == RECUR_OK &&
              tag_vocabs_build(&train, 1, 0, 1, &v) == RECUR_OK,
          "build: %s", recur_last_error());
    /* Unknown word "dog", unknown char "q", the word "<pad>" and a word of
     * 70 code points (two bytes each) of which 64 are kept. */
    char dev_text[512], *p = dev_text;
    p += sprintf(p, "THE\tDET\nqat\tNOUN\n\n<pad>\tX\n");
    for (int i = 0; i < 70; i++)
        p += sprintf(p, "é");
    sprintf(p, "\tNOUN\n");
    CHECK(parse(dev_text, TAGGED_COLUMNS, TAGGED_UPOS, &dev) == RECUR_OK,
          "dev: %s", recur_last_error());
    tag_data d = {0};
    CHECK(tag_data_encode(&dev, &v, &d) == RECUR_OK, "encode: %s",
          recur_last_error());
    if (!d.word) {
        tag_vocabs_free(&v);
        tagged_free(&train);
        tagged_free(&dev);
        return;
    }
    int32_t the = tok_vocab_find(v.words, "the"),
            t = tok_vocab_find(v.chars, "t"), a = tok_vocab_find(v.chars, "a");
    CHECK(d.n == 2 && d.offset[0] == 0 && d.offset[1] == 2 &&
              d.offset[2] == 4 && tag_len(&d, 1) == 2 && d.tags == 4,
          "sentences");
    CHECK(d.word[0] == the && d.word[1] == RECUR_TOKEN_UNK &&
              d.word[2] == RECUR_TOKEN_UNK && d.word[3] == RECUR_TOKEN_UNK,
          "word ids %d %d %d %d", d.word[0], d.word[1], d.word[2], d.word[3]);
    CHECK(d.tag && d.tag[0] == 0 && d.tag[1] == 1 && d.tag[2] == 3 &&
              d.tag[3] == 1,
          "tag ids");
    /* "THE" in chars: T is known (from "The"), H and E are not. */
    int32_t T = tok_vocab_find(v.chars, "T");
    CHECK(d.char_offset[0] == 0 && d.char_offset[1] == 3 &&
              d.char_offset[2] == 6 && d.char_offset[3] == 11 &&
              d.char_offset[4] == 11 + TAGGED_MAX_CHARS &&
              d.chars[0] == T && d.chars[1] == RECUR_TOKEN_UNK &&
              d.chars[2] == RECUR_TOKEN_UNK && d.chars[3] == RECUR_TOKEN_UNK &&
              d.chars[4] == a && d.chars[5] == t &&
              d.chars[6] == tok_vocab_find(v.chars, "<"),
          "char ids and offsets");
    tag_data_free(&d);
    CHECK(d.word == NULL && d.n == 0, "tag_data_free zeroes");
    /* An unseen tag. */
    tagged_set bad = {0};
    CHECK(tagged_parse("the\tDET\n\ncat\tB-MISC\n", 20, "dev.txt",
                       TAGGED_COLUMNS, TAGGED_UPOS, &bad) == RECUR_OK,
          "parse: %s", recur_last_error());
    d.n = 7;
    CHECK(tag_data_encode(&bad, &v, &d) == RECUR_ERR_FORMAT && d.n == 7 &&
              strstr(recur_last_error(), "dev.txt: line 3: tag B-MISC was not "
                                         "seen in training"),
          "unseen tag: %s", recur_last_error());
    tagged_free(&bad);
    /* Untagged sentences: words and chars, no tags. */
    CHECK(parse("the cat\n", TAGGED_PLAIN, TAGGED_UPOS, &bad) == RECUR_OK &&
              tag_data_encode(&bad, &v, &d) == RECUR_OK && d.tag == NULL &&
              d.word[0] == the && d.char_offset[2] == 6,
          "plain: %s", recur_last_error());
    tag_data_free(&d);
    tagged_free(&bad);
    CHECK(tag_data_encode(NULL, &v, &d) == RECUR_ERR_ARGUMENT, "NULL set");
    tag_vocabs_free(&v);
    tagged_free(&train);
    tagged_free(&dev);
}

/* ------------------------------------------------------------------------ */
/* UD English EWT                                                            */

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void ud_ewt(void)
{
    /* Counted independently (sentences: blank-line blocks; words: lines
     * whose ID is an integer; distinct UPOS):
     *   python3 -c "import gzip, sys
     *   for f in sys.argv[1:]:
     *       t = gzip.open(f, 'rt', encoding='utf-8').read()
     *       w = [l.split('\t') for l in t.split('\n')
     *            if l.split('\t')[0].isdigit()]
     *       print(f, len([b for b in t.split('\n\n') if b.strip()]),
     *             len(w), len({x[3] for x in w}))" en_ewt-ud-*.conllu.gz
     * train 12544 204579 17, dev 2001 25149 17, test 2077 25094 17. */
    static const struct {
        const char *name;
        size_t sentences, words;
    } split[] = {
        {"ud_en_ewt/en_ewt-ud-train.conllu.gz", 12544, 204579},
        {"ud_en_ewt/en_ewt-ud-dev.conllu.gz", 2001, 25149},
        {"ud_en_ewt/en_ewt-ud-test.conllu.gz", 2077, 25094},
    };
    tagged_set s[3] = {{0}};
    char path[3][512];
    for (int i = 0; i < 3; i++)
        if (!test_data_file(path[i], sizeof path[i], split[i].name)) {
            SKIP("%s is absent: UD English EWT not read", path[i]);
            return;
        }
    double t0 = seconds();
    for (int i = 0; i < 3; i++) {
        CHECK(tagged_read(path[i], TAGGED_CONLLU, TAGGED_UPOS, &s[i]) ==
                      RECUR_OK &&
                  s[i].n == split[i].sentences && s[i].tokens == split[i].words,
              "%s: %zu sentences, %zu words (%s)", split[i].name, s[i].n,
              s[i].tokens, recur_last_error());
    }
    double t = seconds() - t0;
    printf("  UD EWT: train, dev and test read in %.3f s\n", t);
    CHECK(t < 10, "reading UD EWT took %.1f s", t);
    tag_vocabs v = {0};
    tag_data d[3] = {{0}};
    CHECK(tag_vocabs_build(&s[0], 1, 0, 0, &v) == RECUR_OK && v.n_tags == 17 &&
              tag_vocabs_find_tag(&v, "PROPN") >= 0,
          "17 UPOS tags: %zu (%s)", v.n_tags, recur_last_error());
    for (int i = 0; i < 3; i++)
        CHECK(tag_data_encode(&s[i], &v, &d[i]) == RECUR_OK &&
                  d[i].offset[d[i].n] == split[i].words,
              "encoding %s: %s", split[i].name, recur_last_error());
    printf("  UD EWT: %zu words, %zu chars in the vocabularies; %.3f s in "
           "all\n",
           tok_vocab_size(v.words), tok_vocab_size(v.chars), seconds() - t0);
    /* The train file filled with its own tags is itself. */
    unsigned char *text = NULL;
    size_t size = 0, filled_size = 0;
    char *filled = NULL;
    CHECK(gz_read(path[0], TAGGED_MAX_BYTES, &text, &size) == RECUR_OK &&
              tagged_conllu_fill((const char *)text, size, path[0],
                                 TAGGED_UPOS, s[0].tag, s[0].tokens, &filled,
                                 &filled_size) == RECUR_OK &&
              filled_size == size && !memcmp(filled, text, size),
          "train filled with its own tags: %s", recur_last_error());
    free(filled);
    free(text);
    for (int i = 0; i < 3; i++) {
        tag_data_free(&d[i]);
        tagged_free(&s[i]);
    }
    tag_vocabs_free(&v);
}

void test_tagged(void)
{
    formats();
    hostile();
    mutations();
    gz_files();
    gz_memory();
    fill();
    vocab_order();
    vocabs();
    encode();
    ud_ewt();
}
