/* words.c — word-level text and its vocabulary (words.h). */
#include "data/words.h"
#include "base/error.h"
#include "base/file.h"
#include "data/text.h"

#include <stdlib.h>
#include <string.h>

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

void words_free(word_list *w)
{
    if (!w)
        return;
    free(w->buf);
    free(w->token);
    free(w->line);
    memset(w, 0, sizeof *w);
}

/* Takes ownership of buf (n bytes + a NUL), valid UTF-8. */
static recur_status split(char *buf, size_t n, const char *what,
                          word_list *out)
{
    /* Tokens: at most one per two bytes, plus an <eos> per line. */
    size_t lines = 1, cap;
    for (size_t i = 0; i < n; i++)
        lines += buf[i] == '\n';
    if (!size_add_ok(n / 2 + 1, lines, &cap) ||
        cap > SIZE_MAX / sizeof(const char *)) {
        free(buf);
        return error_fail(RECUR_ERR_MEMORY, "%s: too many words", what);
    }
    word_list w = {.buf = buf, .token = malloc(cap * sizeof(const char *)),
                   .line = malloc(cap * sizeof(uint32_t)), .count = 0};
    if (!w.token || !w.line) {
        words_free(&w);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the words of %s",
                          what);
    }
    size_t i = 0, words = 0;
    /* Words are C strings: a NUL would cut one (or make an empty one). */
    const char *nul = memchr(buf, '\0', n);
    if (nul) {
        size_t at = (size_t)(nul - buf), line_of = 1;
        for (size_t k = 0; k < at; k++)
            line_of += buf[k] == '\n';
        words_free(&w);
        return error_fail(RECUR_ERR_FORMAT, "%s: line %zu, byte %zu: a NUL "
                          "byte (U+0000) is not text", what, line_of, at);
    }
    /* A byte-order mark is not part of the first word. */
    if (n >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
        i = 3;
    uint32_t line = 1;
    while (i < n) {
        size_t end = i;
        while (end < n && buf[end] != '\n')
            end++;
        /* The line [i, end): its words, then <eos> (not for an empty last
         * piece after the final newline, which cannot reach here). */
        for (size_t j = i; j < end;) {
            while (j < end && is_space((unsigned char)buf[j]))
                buf[j++] = '\0';
            if (j == end)
                break;
            w.token[w.count] = buf + j;
            w.line[w.count++] = line;
            words++;
            while (j < end && !is_space((unsigned char)buf[j]))
                j++;
        }
        if (end < n)
            buf[end] = '\0';
        w.token[w.count] = RECUR_EOS;
        w.line[w.count++] = line;
        i = end + 1;
        line++;
    }
    if (words == 0) {
        words_free(&w);
        return error_fail(RECUR_ERR_FORMAT, "%s has no words", what);
    }
    *out = w;
    return RECUR_OK;
}

recur_status words_split(const unsigned char *bytes, size_t n,
                               const char *what, word_list *out)
{
    if (!bytes || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no text to split into words (NULL)");
    what = what ? what : "text";
    recur_status s = utf8_check(bytes, n, what);
    if (s)
        return s;
    char *buf = malloc(n + 1);
    if (!buf)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for %s", what);
    memcpy(buf, bytes, n);
    buf[n] = '\0';
    return split(buf, n, what, out);
}

recur_status words_read(const char *path, word_list *out)
{
    if (!path || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no text file to read words from (NULL)");
    unsigned char *file;
    size_t size;
    recur_status s = file_read(path, RECUR_TEXT_MAX_BYTES, &file, &size);
    if (s)
        return s;
    s = words_split(file, size, path, out);
    free(file);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Vocabulary                                                                */

struct word_vocab {
    size_t V;
    char **word; /* [V], ascending, into block */
    char *block;
};

void word_vocab_free(word_vocab *v)
{
    if (!v)
        return;
    free(v->word);
    free(v->block);
    free(v);
}

size_t word_vocab_size(const word_vocab *v) { return v ? v->V : 0; }

const char *word_vocab_word(const word_vocab *v, size_t id)
{
    return v && id < v->V ? v->word[id] : NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A vocabulary over V sorted, distinct words (copied into one block). */
static recur_status vocab_new(const char *const *words, size_t V,
                              word_vocab **out)
{
    size_t bytes = 0;
    for (size_t i = 0; i < V; i++)
        bytes += strlen(words[i]) + 1;
    word_vocab *v = calloc(1, sizeof *v);
    if (v) {
        v->word = malloc((V ? V : 1) * sizeof(char *));
        v->block = malloc(bytes ? bytes : 1);
    }
    if (!v || !v->word || !v->block) {
        word_vocab_free(v);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for a vocabulary");
    }
    char *p = v->block;
    for (size_t i = 0; i < V; i++) {
        size_t k = strlen(words[i]) + 1;
        memcpy(p, words[i], k);
        v->word[i] = p;
        p += k;
    }
    v->V = V;
    *out = v;
    return RECUR_OK;
}

recur_status word_vocab_build(const word_list *w, word_vocab **out)
{
    return word_vocab_build2(w, NULL, out);
}

recur_status word_vocab_build2(const word_list *w, const word_list *w2,
                                    word_vocab **out)
{
    if (!w || !out || w->count == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "no words to build a vocabulary of");
    size_t n = w->count + (w2 ? w2->count : 0);
    const char **sorted = malloc(n * sizeof(const char *));
    if (!sorted)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for a vocabulary");
    memcpy(sorted, w->token, w->count * sizeof(const char *));
    if (w2)
        memcpy(sorted + w->count, w2->token, w2->count * sizeof(const char *));
    qsort(sorted, n, sizeof *sorted, cmp_str);
    size_t V = 0;
    for (size_t i = 0; i < n; i++)
        if (V == 0 || strcmp(sorted[V - 1], sorted[i]) != 0)
            sorted[V++] = sorted[i];
    recur_status s = V > (size_t)INT32_MAX
                         ? error_fail(RECUR_ERR_UNSUPPORTED,
                                      "%zu distinct words are too many", V)
                         : vocab_new(sorted, V, out);
    free(sorted);
    return s;
}

recur_status word_vocab_parse(const char *text, size_t V,
                                   word_vocab **out)
{
    if (!text || !out || V == 0)
        return error_fail(RECUR_ERR_FORMAT, "the word vocabulary is empty");
    size_t n = strlen(text);
    char *copy = malloc(n + 1);
    const char **words = malloc(V * sizeof(const char *));
    recur_status s = RECUR_OK;
    if (!copy || !words)
        s = error_fail(RECUR_ERR_MEMORY, "out of memory for a vocabulary");
    size_t count = 0;
    if (!s) {
        memcpy(copy, text, n + 1);
        char *p = copy;
        for (;;) {
            char *nl = strchr(p, '\n');
            if (nl)
                *nl = '\0';
            if (count == V) {
                s = error_fail(RECUR_ERR_FORMAT, "the word vocabulary has more "
                               "than its %zu words", V);
                break;
            }
            int bad = *p == '\0';
            for (const char *q = p; *q && !bad; q++)
                bad = is_space((unsigned char)*q);
            if (!bad && count > 0 && strcmp(words[count - 1], p) >= 0)
                bad = 2;
            if (bad) {
                s = error_fail(RECUR_ERR_FORMAT, "word %zu of the vocabulary "
                               "is %s", count, bad == 2 ? "out of order or "
                               "repeated" : "empty or holds whitespace");
                break;
            }
            words[count++] = p;
            if (!nl)
                break;
            p = nl + 1;
        }
        if (!s && count != V)
            s = error_fail(RECUR_ERR_FORMAT, "the word vocabulary has %zu "
                           "words, not %zu", count, V);
    }
    if (!s)
        s = vocab_new(words, V, out);
    free(words);
    free(copy);
    return s;
}

char *word_vocab_join(const word_vocab *v)
{
    size_t bytes = 1;
    for (size_t i = 0; i < v->V; i++)
        bytes += strlen(v->word[i]) + 1;
    char *text = malloc(bytes), *p = text;
    for (size_t i = 0; text && i < v->V; i++) {
        size_t k = strlen(v->word[i]);
        memcpy(p, v->word[i], k);
        p += k;
        if (i + 1 < v->V)
            *p++ = '\n';
    }
    if (text)
        *p = '\0';
    return text;
}

int64_t word_vocab_find(const word_vocab *v, const char *word)
{
    size_t lo = 0, hi = v->V;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(v->word[mid], word);
        if (c == 0)
            return (int64_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

recur_status word_vocab_encode(const word_vocab *v,
                                    const word_list *w, const char *what,
                                    int32_t *out)
{
    if (!v || !w || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no words or vocabulary to "
                          "encode (NULL)");
    int64_t unk = word_vocab_find(v, RECUR_UNK);
    /* Without <unk>, every word is checked first: out stays untouched. */
    for (size_t i = 0; unk < 0 && i < w->count; i++) {
        if (word_vocab_find(v, w->token[i]) < 0)
            return error_fail(RECUR_ERR_FORMAT, "%s: line %u: word '%.64s' is "
                              "not in the vocabulary (which has no %s)",
                              what ? what : "text", (unsigned)w->line[i],
                              w->token[i], RECUR_UNK);
    }
    for (size_t i = 0; i < w->count; i++) {
        int64_t id = word_vocab_find(v, w->token[i]);
        out[i] = (int32_t)(id < 0 ? unk : id);
    }
    return RECUR_OK;
}

size_t word_vocab_count_missing(const word_vocab *v, const word_list *w)
{
    size_t missing = 0;
    for (size_t i = 0; v && w && i < w->count; i++)
        missing += word_vocab_find(v, w->token[i]) < 0;
    return missing;
}
