/*
 * test_tokens.c — tokens and their vocabulary (src/data/tokens.h): the word
 * tokeniser (punctuation, apostrophes, UTF-8 letters and spaces, "<unk>"
 * as text) and the character one, lower-casing, an unknown mode; the
 * vocabulary's order, min_count, max_size, its stored form (escapes) and
 * every way that form can be wrong. Encoding labelled examples with it is
 * tests/data/test_labeled.c's.
 */
#include "base/error.h"
#include "data/tokens.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

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

void test_tokens(void)
{
    tokens();
    vocabulary();
}
