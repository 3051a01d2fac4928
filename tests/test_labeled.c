/*
 * test_labeled.c — labelled text (src/data/labeled.h), its tokens and
 * vocabulary (src/data/tokens.h) and the stratified split (src/data/split.h): both
 * layouts and label columns, CRLF, quoting, a header, every malformed
 * record naming its file and line; the classes and their stored form;
 * tokeniser cases; the vocabulary's order, min_count, max_size, stored
 * form (escapes, hostile input); encoding with unknown tokens and empty
 * examples; the split's proportions and determinism. A check on the real
 * SMS spam file runs when $RECUR_DATA has it.
 */
#include "base/error.h"
#include "data/labeled.h"
#include "data/split.h"
#include "test.h"
#include "data/tokens.h"

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

static void check_tokens(tokens_mode mode, int lower, const char *text,
                         const char *const *want, size_t n)
{
    tokenizer tk = {mode, lower};
    token_list t = {0};
    recur_status s = tokenize(&tk, text, &t);
    int ok = s == RECUR_OK && t.count == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = !strcmp(t.token[i], want[i]);
    CHECK(ok, "tokens of \"%s\": %zu (want %zu), first \"%s\"", text, t.count,
          n, t.count ? t.token[0] : "");
    tokens_free(&t);
}

static void tokens(void)
{
    const tokens_mode W = RECUR_TOKENS_WORD, C = RECUR_TOKENS_CHAR;
    check_tokens(W, 0, "Wow... Loved this place!!", (const char *[]){"wow", ".",
                 ".", ".", "loved", "this", "place", "!", "!"}, 9);
    check_tokens(W, 0, "I don't 'like' dogs' toys, 2nd?", (const char *[]){
                 "i", "don't", "'", "like", "'", "dogs", "'", "toys", ",",
                 "2nd", "?"}, 11);
    /* U+2019 as an apostrophe, non-ASCII letters kept, £ and … symbols,
     * U+0085 and U+00A0 spaces. */
    check_tokens(W, 0, "Don\xE2\x80\x99t \xC3\x9C" "ber caf\xC3\xA9\xC2\x85"
                 "\xC2\xA3" "5\xE2\x80\xA6\xC2\xA0ok", (const char *[]){"don't",
                 "\xC3\x9C" "ber", "caf\xC3\xA9", "\xC2\xA3", "5",
                 "\xE2\x80\xA6", "ok"}, 7);
    check_tokens(W, 0, "<unk> \t\r\n", (const char *[]){"<", "unk", ">"}, 3);
    check_tokens(W, 0, " \xC2\x85 ", NULL, 0);
    check_tokens(C, 0, "aB \xC3\xA9\n", (const char *[]){"a", "B", " ",
                 "\xC3\xA9", "\n"}, 5);
    check_tokens(C, 1, "aB", (const char *[]){"a", "b"}, 2);
    tokenizer bad = {(tokens_mode)7, 0};
    token_list t = {0};
    CHECK(tokenize(&bad, "x", &t) == RECUR_ERR_ARGUMENT, "unknown mode");
    tokens_free(&t);
}

static void vocabulary(void)
{
    /* Counts: a 4, b 3, c 3, d 1, e 1 ("." 2 in the last text, unseen). */
    const char *text[] = {"a b c a", "b c a d", "a b c e", "never . ."};
    const size_t idx[] = {0, 1, 2};
    tokenizer tk = {RECUR_TOKENS_WORD, 0};
    tok_vocab *v = NULL, *w = NULL;
    CHECK(tok_vocab_build(text, idx, 3, &tk, 1, 0, &v) == RECUR_OK &&
              tok_vocab_size(v) == 7,
          "build: %zu", tok_vocab_size(v));
    const char *want[] = {"<pad>", "<unk>", "a", "b", "c", "d", "e"};
    int ok = v != NULL;
    for (size_t i = 0; ok && i < 7; i++)
        ok = !strcmp(tok_vocab_token(v, i), want[i]) &&
             tok_vocab_find(v, want[i]) == (int32_t)i;
    CHECK(ok && tok_vocab_token(v, 7) == NULL &&
              tok_vocab_find(v, "never") == RECUR_TOKEN_UNK,
          "ids: by count, ties bytewise; unseen is <unk>");
    tok_vocab_free(v);
    v = NULL;
    CHECK(tok_vocab_build(text, idx, 3, &tk, 2, 0, &v) == RECUR_OK &&
              tok_vocab_size(v) == 5 &&
              !strcmp(tok_vocab_token(v, 4), "c"),
          "min_count 2");
    tok_vocab_free(v);
    v = NULL;
    CHECK(tok_vocab_build(text, idx, 3, &tk, 1, 3, &v) == RECUR_OK &&
              tok_vocab_size(v) == 3 &&
              !strcmp(tok_vocab_token(v, 2), "a"),
          "max_size 3");
    tok_vocab_free(v);
    v = NULL;
    CHECK(tok_vocab_build(text, idx, 3, &tk, 1, 1, &v) ==
              RECUR_ERR_ARGUMENT && v == NULL,
          "max_size 1");

    /* Char tokens that need escapes round-trip. */
    const char *odd[] = {"a\\\n\tb\x7F\xC3\xA9"};
    tokenizer ch = {RECUR_TOKENS_CHAR, 0};
    const size_t zero[] = {0};
    CHECK(tok_vocab_build(odd, zero, 1, &ch, 1, 0, &v) == RECUR_OK &&
              tok_vocab_size(v) == 9,
          "char vocabulary: %s", recur_last_error());
    char *stored = v ? tok_vocab_join(v) : NULL;
    CHECK(stored && !strcmp(stored, "<pad>\n<unk>\n\\x09\n\\x0A\n\\\\\na\nb\n\\x7F\n"
                      "\xC3\xA9"),
          "escaped form: %s", stored ? stored : "(null)");
    CHECK(stored && tok_vocab_parse(stored, 9, &w) == RECUR_OK &&
              tok_vocab_size(w) == 9 &&
              !strcmp(tok_vocab_token(w, 3), "\n") &&
              !strcmp(tok_vocab_token(w, 4), "\\") &&
              tok_vocab_find(w, "\x7F") == 7,
          "round trip: %s", recur_last_error());
    free(stored);
    tok_vocab_free(w);
    tok_vocab_free(v);

    static const struct {
        const char *text;
        size_t V;
    } bad[] = {{"<pad>\n<unk>\na", 2}, {"<pad>\n<unk>\na", 4},
               {"<pad>", 1}, {"<unk>\n<pad>", 2}, {"<pad>\n<unk>\n", 3},
               {"<pad>\n<unk>\na\na", 4}, {"<pad>\n<unk>\n<unk>", 3},
               {"<pad>\n<unk>\na\tb", 3}, {"<pad>\n<unk>\n\\x00", 3},
               {"<pad>\n<unk>\n\\x41", 3}, {"<pad>\n<unk>\n\\x0a", 3},
               {"<pad>\n<unk>\n\\n", 3}, {"<pad>\n<unk>\n\\", 3},
               {"<pad>\n<unk>\n\\x0", 3}, {"<pad>\n<unk>\n\xC3", 3},
               {"<pad>\r\n<unk>", 2}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tok_vocab *x = NULL;
        CHECK(tok_vocab_parse(bad[i].text, bad[i].V, &x) ==
                  RECUR_ERR_FORMAT && x == NULL,
              "stored vocabulary %zu accepted", i);
    }
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

static void split(void)
{
    /* 100 of class 0, 30 of class 1, 1 of class 2, interleaved. */
    enum { N = 131 };
    int32_t label[N];
    for (size_t i = 0; i < N; i++)
        label[i] = i == 77 ? 2 : i % 13 < 3 && i < 130 ? 1 : 0;
    size_t count[3] = {0};
    for (size_t i = 0; i < N; i++)
        count[label[i]]++;
    CHECK(count[0] == 100 && count[1] == 30 && count[2] == 1, "the labels");
    size_t held[N], kept[N], nh = 0, nk = 0, held2[N], kept2[N], nh2, nk2;
    CHECK(split_stratified(label, NULL, N, 3, 0.2, 42, held, &nh, kept,
                                 &nk) == RECUR_OK && nh == 26 && nk == 105,
          "split: %zu held, %zu kept", nh, nk);
    size_t per[3] = {0};
    int ascending = 1;
    for (size_t i = 0; i < nh; i++) {
        per[label[held[i]]]++;
        ascending &= i == 0 || held[i] > held[i - 1];
    }
    CHECK(per[0] == 20 && per[1] == 6 && per[2] == 0 && ascending,
          "in proportion: %zu %zu %zu", per[0], per[1], per[2]);
    CHECK(split_stratified(label, NULL, N, 3, 0.2, 42, held2, &nh2,
                                 kept2, &nk2) == RECUR_OK && nh2 == nh &&
              !memcmp(held, held2, nh * sizeof *held),
          "same seed, same split");
    CHECK(split_stratified(label, NULL, N, 3, 0.2, 43, held2, &nh2,
                                 kept2, &nk2) == RECUR_OK && nh2 == nh &&
              memcmp(held, held2, nh * sizeof *held),
          "another seed, another split");
    /* The kept part split again: indices stay those of label[]. */
    size_t nh3, nk3;
    CHECK(split_stratified(label, kept, nk, 3, 0.5, 1, held2, &nh3,
                                 kept2, &nk3) == RECUR_OK && nh3 + nk3 == nk,
          "split of a pool");
    int inside = 1;
    for (size_t i = 0; i < nh3; i++) {
        int found = 0;
        for (size_t j = 0; j < nk; j++)
            found |= kept[j] == held2[i];
        inside &= found;
    }
    CHECK(inside, "a pool's split holds the pool's indices");
    /* Extremes: two examples of a class split one and one at any fraction. */
    const int32_t two[] = {0, 0};
    CHECK(split_stratified(two, NULL, 2, 1, 0.01, 1, held, &nh, kept,
                                 &nk) == RECUR_OK && nh == 1 && nk == 1,
          "at least one held");
    CHECK(split_stratified(two, NULL, 2, 1, 0.99, 1, held, &nh, kept,
                                 &nk) == RECUR_OK && nh == 1 && nk == 1,
          "at least one kept");
    CHECK(split_stratified(two, NULL, 2, 1, 1.0, 1, held, &nh, kept,
                                 &nk) == RECUR_ERR_ARGUMENT,
          "fraction 1");
    CHECK(split_stratified(two, NULL, 2, 0, 0.5, 1, held, &nh, kept,
                                 &nk) == RECUR_ERR_ARGUMENT,
          "K 0");
    const int32_t wrong[] = {0, 3};
    CHECK(split_stratified(wrong, NULL, 2, 2, 0.5, 1, held, &nh, kept,
                                 &nk) == RECUR_ERR_ARGUMENT,
          "a label out of range");
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
    tokens();
    vocabulary();
    encoding();
    split();
    hostile();
    real_file();
}
