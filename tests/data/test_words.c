/*
 * test_words.c — word-level text (src/data/words.h): tokens and their lines,
 * <eos> at every line end, whitespace, a byte-order mark, invalid and empty
 * input; the vocabulary (sorted, distinct), its stored form and every way
 * that form can be wrong; encoding with and without <unk>.
 */
#include "base/error.h"
#include "test.h"
#include "data/words.h"

#include <stdlib.h>
#include <string.h>

static recur_status split(const char *text, word_list *w)
{
    return words_split((const unsigned char *)text, strlen(text),
                             "t.txt", w);
}

static void check_tokens(const char *text, const char *const *want,
                         const uint32_t *lines, size_t n)
{
    word_list w = {0};
    recur_status s = split(text, &w);
    int ok = s == RECUR_OK && w.count == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = !strcmp(w.token[i], want[i]) && w.line[i] == lines[i];
    CHECK(ok, "split of \"%s\": %zu tokens (want %zu), status %s", text,
          w.count, n, recur_status_str(s));
    words_free(&w);
}

static void tokens(void)
{
    check_tokens("a b\n\nc  d\te", (const char *[]){"a", "b", "<eos>", "<eos>",
                 "c", "d", "e", "<eos>"}, (const uint32_t[]){1, 1, 1, 2, 3, 3, 3, 3}, 8);
    check_tokens(" x \r\n", (const char *[]){"x", "<eos>"},
                 (const uint32_t[]){1, 1}, 2);
    check_tokens("\xEF\xBB\xBFz\n", (const char *[]){"z", "<eos>"},
                 (const uint32_t[]){1, 1}, 2);
    check_tokens("caf\xC3\xA9 <unk> N\n", (const char *[]){"caf\xC3\xA9", "<unk>",
                 "N", "<eos>"}, (const uint32_t[]){1, 1, 1, 1}, 4);
    word_list w = {0};
    CHECK(split(" \n\t\n", &w) == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "no words"),
          "whitespace only: %s", recur_last_error());
    CHECK(split("ok \xC3(\n", &w) == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "UTF-8"),
          "invalid UTF-8: %s", recur_last_error());
    static const unsigned char nul[] = "a b\nc\0d\n";
    CHECK(words_split(nul, sizeof nul - 1, "t.txt", &w) ==
                  RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "line 2") &&
              strstr(recur_last_error(), "NUL"),
          "a NUL byte: %s", recur_last_error());
    CHECK(words_read("/nonexistent/words.txt", &w) == RECUR_ERR_IO,
          "missing file: %s", recur_last_error());
}

static void vocabulary(void)
{
    word_list w = {0};
    word_vocab *v = NULL, *back = NULL;
    CHECK(split("the cat\nthe dog <unk>\n", &w) == RECUR_OK, "split");
    CHECK(word_vocab_build(&w, &v) == RECUR_OK, "build: %s",
          recur_last_error());
    if (!v) {
        words_free(&w);
        return;
    }
    const char *sorted[] = {"<eos>", "<unk>", "cat", "dog", "the"};
    int ok = word_vocab_size(v) == 5;
    for (size_t i = 0; ok && i < 5; i++)
        ok = !strcmp(word_vocab_word(v, i), sorted[i]) &&
             word_vocab_find(v, sorted[i]) == (int64_t)i;
    CHECK(ok && word_vocab_word(v, 5) == NULL &&
              word_vocab_find(v, "cow") == -1,
          "vocabulary: sorted, distinct, found");
    char *text = word_vocab_join(v);
    CHECK(text && !strcmp(text, "<eos>\n<unk>\ncat\ndog\nthe"), "join: %s",
          text ? text : "(null)");
    CHECK(text && word_vocab_parse(text, 5, &back) == RECUR_OK &&
              word_vocab_size(back) == 5 &&
              !strcmp(word_vocab_word(back, 4), "the"),
          "parse of the joined form");
    free(text);

    /* Encoding: an unseen word is <unk> here... */
    word_list other = {0};
    int32_t ids[4] = {-9, -9, -9, -9};
    CHECK(split("the cow\n", &other) == RECUR_OK &&
              word_vocab_encode(v, &other, "o.txt", ids) == RECUR_OK &&
              ids[0] == 4 && ids[1] == 1 && ids[2] == 0,
          "encode with <unk>: %d %d %d", ids[0], ids[1], ids[2]);
    words_free(&other);
    /* ...and an error naming it and its line without <unk>. */
    word_vocab *plain = NULL;
    CHECK(word_vocab_parse("<eos>\na\nb", 3, &plain) == RECUR_OK,
          "parse <eos>, a, b");
    int32_t keep[3] = {7, 7, 7};
    CHECK(split("a\nb zebra\n", &other) == RECUR_OK && plain &&
              word_vocab_encode(plain, &other, "o.txt", keep) ==
                  RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "o.txt: line 2") &&
              strstr(recur_last_error(), "'zebra'") && keep[0] == 7,
          "encode without <unk>: %s", recur_last_error());
    words_free(&other);

    /* The stored form, wrong every way. */
    static const struct {
        const char *text;
        size_t V;
    } bad[] = {{"b\na", 2}, {"a\na", 2}, {"a\n\nb", 3}, {"a b\nc", 2},
               {"a\nb", 3}, {"a\nb\nc", 2}, {"", 1}, {"a", 0}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        word_vocab *x = NULL;
        CHECK(word_vocab_parse(bad[i].text, bad[i].V, &x) ==
                  RECUR_ERR_FORMAT && x == NULL,
              "parse of bad form %zu accepted", i);
    }
    word_vocab_free(plain);
    word_vocab_free(back);
    word_vocab_free(v);
    words_free(&w);
}

void test_words(void)
{
    tokens();
    vocabulary();
}
