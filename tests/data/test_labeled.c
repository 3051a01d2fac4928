/*
 * test_labeled.c — labelled text (src/data/labeled.h): both layouts and
 * label columns, CRLF, quoting, a header, every malformed record naming
 * its file and line; the classes and their stored form; encoding with a
 * vocabulary (unknown tokens, empty examples); every prefix and seeded
 * mutations of a file parse or are refused. A check on the real SMS spam
 * file runs when $RECUR_DATA has it (else a SKIP). The tokens and their
 * vocabulary are test_tokens.c's, the stratified split test_split.c's.
 */
#include "base/error.h"
#include "data/labeled.h"
#include "data/tokens.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const labeled_format TSV_LABEL_FIRST = {RECUR_LABELED_TSV, 0, 0};
static const labeled_format TSV_LABEL_LAST = {RECUR_LABELED_TSV, 1, 0};
static const labeled_format CSV_GUESS = {RECUR_LABELED_CSV, 0, -1};

static recur_status parse(const char *text, const labeled_format *f,
                          labeled_set *d)
{
    return labeled_parse((const unsigned char *)text, strlen(text),
                               "in.txt", f, d);
}

/* d holds n examples with these labels and texts. */
static int holds(const labeled_set *d, size_t n, const char *const *label,
                 const char *const *text)
{
    if (d->n != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(d->label_name[i], label[i]) || strcmp(d->text[i], text[i]) ||
            strcmp(d->class_name[d->label[i]], label[i]))
            return 0;
    return 1;
}

static void layouts(void)
{
    labeled_set d = {0};
    /* Label first, CRLF, an empty line, a U+0085 inside a sentence. */
    CHECK(parse("ham\tGo home\r\n\r\nspam\tWIN \xC2\x85 now!\nham\tok\n",
                &TSV_LABEL_FIRST, &d) == RECUR_OK &&
              holds(&d, 3, (const char *[]){"ham", "spam", "ham"},
                    (const char *[]){"Go home", "WIN \xC2\x85 now!", "ok"}) &&
              d.classes == 2 && !strcmp(d.class_name[0], "ham") &&
              d.label[1] == 1 && d.line[1] == 3 && d.line[2] == 4,
          "TSV, label first: %s", recur_last_error());
    labeled_free(&d);
    /* Label last, no final newline, a byte-order mark, quotes are text. */
    CHECK(parse("\xEF\xBB\xBFGood \"case\".\t1\nBad, bad.  \t0", &TSV_LABEL_LAST,
                &d) == RECUR_OK &&
              holds(&d, 2, (const char *[]){"1", "0"},
                    (const char *[]){"Good \"case\".", "Bad, bad.  "}) &&
              d.label[0] == 1 && d.label[1] == 0,
          "TSV, label last: %s", recur_last_error());
    labeled_free(&d);
    /* CSV: a header (guessed), quoting with commas, quotes and a newline,
     * CRLF, spaces around a label trimmed. */
    const char *csv = "label,text\r\n"
                      "spam,\"Free, \"\"really\"\" free\"\r\n"
                      " ham ,plain text\r\n"
                      "ham,\"two\r\nlines\"\r\n"
                      "\r\n"
                      "spam,last\n";
    CHECK(parse(csv, &CSV_GUESS, &d) == RECUR_OK &&
              holds(&d, 4, (const char *[]){"spam", "ham", "ham", "spam"},
                    (const char *[]){"Free, \"really\" free", "plain text",
                                     "two\nlines", "last"}) &&
              d.line[0] == 2 && d.line[2] == 4 && d.line[3] == 7,
          "CSV with a header: %s", recur_last_error());
    labeled_free(&d);
    /* The same guess keeps a first record whose label repeats... */
    CHECK(parse("a,x\nb,y\na,z\n", &CSV_GUESS, &d) == RECUR_OK && d.n == 3,
          "CSV without a header: %zu examples", d.n);
    labeled_free(&d);
    /* ...and header = 1 drops it regardless; label last. */
    const labeled_format csv_last = {RECUR_LABELED_CSV, 1, 1};
    CHECK(parse("text,label\n\"x,y\",1\nz,1\n", &csv_last, &d) == RECUR_OK &&
              holds(&d, 2, (const char *[]){"1", "1"},
                    (const char *[]){"x,y", "z"}) && d.classes == 1,
          "CSV, label last, header: %s", recur_last_error());
    labeled_free(&d);
}

static void malformed(void)
{
    static const struct {
        int csv;
        const char *text, *want;
    } bad[] = {
        {0, "a\tx\nb no tab\n", "in.txt: line 2: no TAB"},
        {0, "a\tx\n\nb\ty\tz\n", "in.txt: line 3: more than one TAB"},
        {0, "a\tx\n\t text\n", "in.txt: line 2: empty label"},
        {0, "a\tx\n  \t text\n", "in.txt: line 2: empty label"},
        {0, "a\tx\r\nb\t\r\n", "in.txt: line 2: empty text"},
        {0, "a\tx\nb\x01\ty\n", "in.txt: line 2: the label holds a control"},
        {0, "a\tx\nb\ty\xC3(\n", "in.txt: line 2, byte 7: invalid UTF-8"},
        {0, "a\tx\nb\ty\0z\n", "in.txt: line 2, byte 7: a NUL"},
        {0, "\n\r\n", "in.txt has no examples"},
        {0, "", "in.txt has no examples"},
        {1, "a,x\nb\n", "in.txt: line 2: 1 field (expected 2"},
        {1, "a,x\nb,\"y,z\",w\n", "in.txt: line 2: 3 fields"},
        {1, "a,x\nb,\"y\nz\nw\n", "in.txt: line 2: a quote opened on line 2 "
                                  "is never closed"},
        {1, "a,x\nb,\"y\nz\"w\n", "in.txt: line 3: text after a closing"},
        {1, "a,x\nb,y\"z\n", "in.txt: line 2: a quote inside an unquoted"},
        {1, "a,x\n,y\n", "in.txt: line 2: empty label"},
        {1, "a,x\nb,\"\"\n", "in.txt: line 2: empty text"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        labeled_set d = {0};
        const labeled_format f = {bad[i].csv ? RECUR_LABELED_CSV
                                                   : RECUR_LABELED_TSV, 0, 0};
        /* Built with a length, as some cases hold a NUL. */
        size_t n = strlen(bad[i].text);
        if (strstr(bad[i].want, "NUL"))
            n = 10;
        recur_status s = labeled_parse((const unsigned char *)bad[i].text,
                                             n, "in.txt", &f, &d);
        CHECK(s == RECUR_ERR_FORMAT && d.n == 0 && d.buf == NULL &&
                  strstr(recur_last_error(), bad[i].want),
              "bad input %zu: %s: \"%s\" (want \"%s\")", i,
              recur_status_str(s), recur_last_error(), bad[i].want);
    }
    labeled_set d = {0};
    const labeled_format odd = {RECUR_LABELED_TSV, 2, 0};
    CHECK(parse("a\tb\n", &odd, &d) == RECUR_ERR_ARGUMENT, "label column 2");
    CHECK(labeled_read("/nonexistent/x.tsv", &TSV_LABEL_FIRST, &d) ==
              RECUR_ERR_IO,
          "missing file: %s", recur_last_error());
}

static void classes(void)
{
    labeled_set d = {0};
    CHECK(parse("pos\ta\nneg\tb\nneu\tc\nneg\td\n", &TSV_LABEL_FIRST, &d) ==
              RECUR_OK && d.classes == 3,
          "three classes");
    if (d.classes != 3) {
        labeled_free(&d);
        return;
    }
    char *text = labels_join(d.class_name, d.classes);
    CHECK(text && !strcmp(text, "neg\nneu\npos"), "join: %s",
          text ? text : "(null)");
    char **names = NULL;
    size_t K = 0;
    CHECK(text && labels_parse(text, &names, &K) == RECUR_OK && K == 3 &&
              !strcmp(names[2], "pos"),
          "parse of the joined form");
    free(text);
    static const char *const bad[] = {"b\na", "a\na", "a\n\nb", "", "a\n",
                                      "a\tb", "a\nb\xC3"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char **x = NULL;
        size_t k = 99;
        CHECK(labels_parse(bad[i], &x, &k) == RECUR_ERR_FORMAT &&
                  x == NULL && k == 99,
              "class names %zu accepted", i);
    }
    /* Renumbered by a model's list, which has one class more. */
    const char *model[] = {"aaa", "neg", "neu", "pos"};
    CHECK(labeled_relabel(&d, "in.txt", model, 4) == RECUR_OK &&
              d.classes == 4 && d.label[0] == 3 && d.label[1] == 1 &&
              d.label[2] == 2 && !strcmp(d.class_name[0], "aaa"),
          "relabel: %s", recur_last_error());
    CHECK(labeled_relabel(&d, "in.txt", (const char *const *)names, 2) ==
                  RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "in.txt: line 1: label 'pos'") &&
              d.classes == 4 && d.label[0] == 3,
          "relabel with a class missing: %s", recur_last_error());
    free(names);
    labeled_free(&d);
}

static void encoding(void)
{
    labeled_set d = {0};
    CHECK(parse("x\tthe cat!\ny\tthe dog\nx\t   \ny\tzebra the\n",
                &TSV_LABEL_FIRST, &d) == RECUR_OK && d.n == 4,
          "parse for encoding");
    if (d.n != 4) {
        labeled_free(&d);
        return;
    }
    tokenizer tk = {RECUR_TOKENS_WORD, 0};
    tok_vocab *v = NULL;
    const size_t train[] = {0, 1};
    CHECK(tok_vocab_build(d.text, train, 2, &tk, 1, 0, &v) == RECUR_OK,
          "vocabulary");
    /* the 2, then !, cat, dog: ids 2 3 4 5. */
    seq_data sd = {0};
    const size_t idx[] = {3, 2, 0};
    CHECK(v && labeled_encode(&d, idx, 3, &tk, v, &sd) == RECUR_OK,
          "encode: %s", recur_last_error());
    const size_t off[] = {0, 2, 3, 6};
    const int32_t tok[] = {1, 2, 1, 2, 4, 3};
    int ok = sd.n == 3 && sd.features == 0 && sd.outputs == 2 && !sd.y &&
             !sd.x && sd.per_step == 0 && sd.label && sd.label[0] == 1 &&
             sd.label[1] == 0 && sd.label[2] == 0;
    for (size_t i = 0; ok && i < 4; i++)
        ok = sd.offset[i] == off[i];
    for (size_t i = 0; ok && i < 6; i++)
        ok = sd.tokens[i] == tok[i];
    CHECK(ok, "encoded: unknown -> 1, empty -> one <unk>");
    seq_data_free(&sd);
    /* idx NULL: the first m examples, as idx {0, 1, 2} would give. */
    seq_data all = {0}, listed = {0};
    const size_t first3[] = {0, 1, 2};
    CHECK(v && labeled_encode(&d, NULL, 3, &tk, v, &all) == RECUR_OK &&
              labeled_encode(&d, first3, 3, &tk, v, &listed) == RECUR_OK &&
              all.n == 3 && all.offset[3] == listed.offset[3] &&
              !memcmp(all.offset, listed.offset, 4 * sizeof(size_t)) &&
              !memcmp(all.tokens, listed.tokens, all.offset[3] * sizeof(int32_t)) &&
              !memcmp(all.label, listed.label, 3 * sizeof(int32_t)),
          "encode of NULL idx = the first m examples");
    seq_data_free(&all);
    seq_data_free(&listed);
    CHECK(v && labeled_encode(&d, NULL, 5, &tk, v, &sd) ==
                   RECUR_ERR_ARGUMENT && sd.n == 0,
          "NULL idx past the examples");
    const size_t out_of_range[] = {4};
    CHECK(v && labeled_encode(&d, out_of_range, 1, &tk, v, &sd) ==
                   RECUR_ERR_ARGUMENT && sd.n == 0,
          "index out of range");
    tok_vocab_free(v);
    labeled_free(&d);
}

/* Every prefix of a CSV and a TSV file, and seeded byte mutations of
 * them, parse or fail with RECUR_ERR_FORMAT (the sanitizer build checks
 * that nothing is read out of bounds). */
static void hostile(void)
{
    static const char csv[] = "label,text\r\nspam,\"Free, \"\"x\"\"\r\nfree\"\r\n"
                              " ham ,plain\n\nham,\"\"\"\"\nspam,\"a\"\"b\"";
    static const char tsv[] = "ham\tGo\r\n\r\nspam\tWIN \xC2\x85 now!\nx\ty";
    const char *inputs[] = {csv, tsv};
    size_t sizes[] = {sizeof csv - 1, sizeof tsv - 1}, failures = 0;
    static const unsigned char noise[] = {'"', ',', '\n', '\r', '\t', ' ', 0xC3};
    uint64_t x = 12345;
    for (size_t in = 0; in < 2; in++) {
        for (size_t layout = 0; layout < 2; layout++) {
            labeled_format f = {(labeled_layout)layout,
                                      (int)(in ^ layout) & 1, -1};
            for (size_t len = 0; len <= sizes[in]; len++) {
                /* A copy of exactly len bytes, so that reading past it
                 * is caught. */
                unsigned char *b = malloc(len ? len : 1);
                for (int round = 0; b && round < 4; round++) {
                    memcpy(b, inputs[in], len);
                    for (int k = 0; round > 0 && len > 0 && k < round; k++) {
                        x = x * 6364136223846793005ull + 1442695040888963407ull;
                        b[(x >> 33) % len] = noise[(x >> 20) % sizeof noise];
                    }
                    labeled_set d = {0};
                    recur_status s = labeled_parse(b, len, "h", &f, &d);
                    failures += s != RECUR_OK && s != RECUR_ERR_FORMAT;
                    failures += s == RECUR_OK && (d.n == 0 || d.classes == 0);
                    labeled_free(&d);
                }
                free(b);
            }
        }
    }
    CHECK(failures == 0, "%zu hostile inputs gave another status or an "
          "empty result", failures);
}

/* The SMS spam collection, when present: its size and classes. */
static void real_file(void)
{
    char path[4096];
    if (!test_data_file(path, sizeof path, "sms_spam/SMSSpamCollection")) {
        SKIP("the SMS spam collection's size and classes: no %s (set "
             "RECUR_DATA to the data mirror)", path);
        return;
    }
    labeled_set d = {0};
    CHECK(labeled_read(path, &TSV_LABEL_FIRST, &d) == RECUR_OK &&
              d.n == 5574 && d.classes == 2 &&
              !strcmp(d.class_name[1], "spam"),
          "%s: %zu examples, %zu classes: %s", path, d.n, d.classes,
          recur_last_error());
    labeled_free(&d);
}

void test_labeled(void)
{
    layouts();
    malformed();
    classes();
    encoding();
    hostile();
    real_file();
}
