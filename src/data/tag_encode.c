/*
 * tag_encode.c — the vocabularies of a tagged training set and the
 * encoding of sentences as ids (tagged.h).
 *
 * Words are tokens.h's vocabulary over the word keys (the form, ASCII
 * letters lowered when `lowercase`); chars the same over each code point
 * of the forms, written as its own UTF-8 string. A form whose key is
 * "<pad>" or "<unk>" is not counted in the vocabulary
 * (tok_vocab_from_strings) and is encoded as <unk>, never as the padding
 * id. The tag set is stored and read as labeled.h's class names, so the
 * in-memory set is exactly what its stored form parses back to.
 */
#include "base/error.h"
#include "data/labeled.h"
#include "data/tagged.h"

#include <stdlib.h>
#include <string.h>

/* Bytes of the UTF-8 sequence that starts with b (valid text). */
static size_t cp_len(unsigned char b)
{
    return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

/* The word key of form into key (strlen(form) + 1 bytes). */
static void word_key(const char *form, int lowercase, char *key)
{
    size_t i = 0;
    for (; form[i]; i++)
        key[i] = lowercase && form[i] >= 'A' && form[i] <= 'Z'
                     ? (char)(form[i] - 'A' + 'a')
                     : form[i];
    key[i] = '\0';
}

/* The id of a word key: <unk> for a key outside the vocabulary, and for
 * one that is a reserved name (which find gives as its own id). */
static int32_t word_id(const tok_vocab *words, const char *key)
{
    int32_t id = tok_vocab_find(words, key);
    return id == RECUR_TOKEN_PAD ? RECUR_TOKEN_UNK : id;
}

/* The name of s in messages. */
static const char *name_of(const tagged_set *s)
{
    return s->path ? s->path : "text";
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted distinct tags of s, as labels_parse gives them (one block). */
static recur_status tag_set(const tagged_set *s, char ***tags, size_t *K)
{
    for (size_t k = 0; k < s->tokens; k++)
        for (const unsigned char *p = (const unsigned char *)s->tag[k]; *p;
             p++)
            if (*p < 0x20 || *p == 0x7F)
                return error_fail(RECUR_ERR_FORMAT, "%s: line %zu: the tag "
                                  "holds a control character (byte 0x%02X)",
                                  name_of(s), s->line[k], *p);
    const char **sorted = malloc(s->tokens * sizeof *sorted);
    if (!sorted)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the tags");
    memcpy(sorted, s->tag, s->tokens * sizeof *sorted);
    qsort(sorted, s->tokens, sizeof *sorted, cmp_str);
    size_t n = 0;
    for (size_t k = 0; k < s->tokens; k++)
        if (n == 0 || strcmp(sorted[n - 1], sorted[k]))
            sorted[n++] = sorted[k];
    char *joined = labels_join(sorted, n);
    free(sorted);
    if (!joined)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the tags");
    recur_status st = labels_parse(joined, tags, K);
    free(joined);
    return st;
}

/* The word keys (chars 0) or the code points (chars 1) of every form of s,
 * as strings in one block: *block and (*all)[0..*n). */
static recur_status strings_of(const tagged_set *s, int chars, int lowercase,
                               char **block, const char ***all, size_t *n)
{
    /* A key is its form and a NUL; a code point at most its bytes and a
     * NUL: 2 bytes per form byte, and a string per form byte, at most. */
    size_t bytes = 0;
    for (size_t k = 0; k < s->tokens; k++)
        if (!size_add_ok(bytes, strlen(s->form[k]) + 1, &bytes))
            return error_fail(RECUR_ERR_MEMORY, "too many tokens");
    if (!size_mul_ok(bytes, 2, &bytes) ||
        !size_mul_ok(bytes, sizeof **all, &(size_t){0}))
        return error_fail(RECUR_ERR_MEMORY, "too many tokens");
    *block = malloc(bytes);
    *all = malloc((chars ? bytes / 2 : s->tokens) * sizeof **all);
    if (!*block || !*all) {
        free(*block);
        free(*all);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for a vocabulary");
    }
    char *p = *block;
    size_t m = 0;
    for (size_t k = 0; k < s->tokens; k++) {
        const char *f = s->form[k];
        if (!chars) {
            word_key(f, lowercase, p);
            (*all)[m++] = p;
            p += strlen(p) + 1;
            continue;
        }
        for (size_t i = 0, len; f[i]; i += len) {
            len = cp_len((unsigned char)f[i]);
            memcpy(p, f + i, len);
            p[len] = '\0';
            (*all)[m++] = p;
            p += len + 1;
        }
    }
    *n = m;
    return RECUR_OK;
}

/* The vocabulary of the word keys (chars 0) or code points (chars 1). */
static recur_status vocab_of(const tagged_set *s, int chars, int lowercase,
                             size_t min_count, size_t max_size, tok_vocab **out)
{
    char *block = NULL;
    const char **all = NULL;
    size_t n = 0;
    recur_status st = strings_of(s, chars, lowercase, &block, &all, &n);
    if (st)
        return st;
    st = tok_vocab_from_strings(all, n, min_count, max_size, out);
    free(all);
    free(block);
    return st;
}

void tag_vocabs_free(tag_vocabs *v)
{
    if (!v)
        return;
    tok_vocab_free(v->words);
    tok_vocab_free(v->chars);
    free(v->tags);
    memset(v, 0, sizeof *v);
}

recur_status tag_vocabs_build(const tagged_set *train, size_t min_count,
                              size_t max_words, int lowercase, tag_vocabs *out)
{
    if (!train || !out || !train->tag || train->tokens == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "no tagged training set to "
                          "build vocabularies of (NULL, untagged or empty)");
    tag_vocabs v = {.lowercase = lowercase != 0};
    recur_status st = vocab_of(train, 0, v.lowercase, min_count, max_words,
                               &v.words);
    if (!st)
        st = vocab_of(train, 1, 0, 1, 0, &v.chars);
    if (!st)
        st = tag_set(train, &v.tags, &v.n_tags);
    if (!st && v.n_tags > (size_t)INT32_MAX)
        st = error_fail(RECUR_ERR_UNSUPPORTED, "%zu tags are too many",
                        v.n_tags);
    if (st) {
        tag_vocabs_free(&v);
        return st;
    }
    *out = v;
    return RECUR_OK;
}

char *tag_vocabs_join_tags(const tag_vocabs *v)
{
    return v && v->tags ? labels_join((const char *const *)v->tags, v->n_tags)
                        : NULL;
}

recur_status tag_vocabs_parse_tags(const char *text, tag_vocabs *v)
{
    if (!text || !v)
        return error_fail(RECUR_ERR_ARGUMENT, "no tag set to read (NULL)");
    char **tags;
    size_t K;
    recur_status st = labels_parse(text, &tags, &K);
    if (st)
        return st;
    if (K > (size_t)INT32_MAX) {
        free(tags);
        return error_fail(RECUR_ERR_UNSUPPORTED, "%zu tags are too many", K);
    }
    free(v->tags);
    v->tags = tags;
    v->n_tags = K;
    return RECUR_OK;
}

int32_t tag_vocabs_find_tag(const tag_vocabs *v, const char *tag)
{
    if (!v || !v->tags || !tag)
        return -1;
    char **hit = bsearch(&tag, v->tags, v->n_tags, sizeof *v->tags, cmp_str);
    return hit ? (int32_t)(hit - v->tags) : -1;
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */

void tag_data_free(tag_data *d)
{
    if (!d)
        return;
    free(d->offset);
    free(d->word);
    free(d->tag);
    free(d->char_offset);
    free(d->chars);
    memset(d, 0, sizeof *d);
}

/* The code points of a form, at most TAGGED_MAX_CHARS. */
static size_t chars_of(const char *form)
{
    size_t n = 0;
    for (size_t i = 0; form[i] && n < TAGGED_MAX_CHARS;
         i += cp_len((unsigned char)form[i]))
        n++;
    return n;
}

/* Tag, word and char ids of token k into d (chars from d->char_offset[k]),
 * key as scratch. */
static recur_status encode_token(const tagged_set *s, const tag_vocabs *v,
                                 size_t k, char *key, tag_data *d)
{
    if (d->tag) {
        d->tag[k] = tag_vocabs_find_tag(v, s->tag[k]);
        if (d->tag[k] < 0)
            return error_fail(RECUR_ERR_FORMAT, "%s: line %zu: tag %.64s was "
                              "not seen in training", name_of(s), s->line[k],
                              s->tag[k]);
    }
    const char *f = s->form[k];
    word_key(f, v->lowercase, key);
    d->word[k] = word_id(v->words, key);
    size_t c = d->char_offset[k], end = c + chars_of(f);
    for (size_t i = 0; c < end; c++) {
        size_t len = cp_len((unsigned char)f[i]);
        memcpy(key, f + i, len);
        key[len] = '\0';
        d->chars[c] = tok_vocab_find(v->chars, key);
        i += len;
    }
    d->char_offset[k + 1] = end;
    return RECUR_OK;
}

recur_status tag_data_encode(const tagged_set *s, const tag_vocabs *v,
                             tag_data *out)
{
    if (!s || !v || !out || !s->offset || !v->words || !v->chars ||
        (s->tag && !v->tags))
        return error_fail(RECUR_ERR_ARGUMENT, "no sentences or vocabularies "
                          "to encode (NULL)");
    size_t N = s->tokens, C = 0, longest = 0;
    for (size_t k = 0; k < N; k++) {
        size_t len = strlen(s->form[k]);
        longest = len > longest ? len : longest;
        C += chars_of(s->form[k]);
    }
    tag_data d = {.n = s->n, .tags = v->n_tags};
    d.offset = malloc((s->n + 1) * sizeof *d.offset);
    d.word = malloc((N ? N : 1) * sizeof *d.word);
    d.tag = s->tag ? malloc((N ? N : 1) * sizeof *d.tag) : NULL;
    d.char_offset = malloc((N + 1) * sizeof *d.char_offset);
    d.chars = malloc((C ? C : 1) * sizeof *d.chars);
    char *key = malloc(longest + 1 > 5 ? longest + 1 : 5);
    recur_status st = RECUR_OK;
    if (!d.offset || !d.word || (s->tag && !d.tag) || !d.char_offset ||
        !d.chars || !key)
        st = error_fail(RECUR_ERR_MEMORY, "out of memory to encode %s",
                        name_of(s));
    if (!st) {
        memcpy(d.offset, s->offset, (s->n + 1) * sizeof *d.offset);
        d.char_offset[0] = 0;
    }
    for (size_t k = 0; !st && k < N; k++)
        st = encode_token(s, v, k, key, &d);
    free(key);
    if (st) {
        tag_data_free(&d);
        return st;
    }
    *out = d;
    return RECUR_OK;
}
