/*
 * tagging.c — a tagger's checkpoint beside the network, and tagging a set
 * of sentences in batches (tagging.h).
 */
#include "model/tagging.h"
#include "base/error.h"
#include "base/order.h"
#include "io/st_meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *column_name(tagged_column c)
{
    return c == TAGGED_XPOS ? "xpos" : "upos";
}

recur_status tagging_save(const tagger *m, const tag_vocabs *v,
                          tagged_column column, const char *path)
{
    st_writer *w = NULL;
    char *words = tok_vocab_join(v->words);
    char *chars = v->chars ? tok_vocab_join(v->chars) : NULL;
    char *tags = tag_vocabs_join_tags(v);
    recur_status s = words && tags && (chars || !v->chars)
                         ? st_writer_new(&w)
                         : error_fail(RECUR_ERR_MEMORY, "out of memory");
    if (!s) s = tagger_write(m, w);
    if (!s) s = st_writer_meta(w, "word_vocab", words);
    if (!s && chars) s = st_writer_meta(w, "char_vocab", chars);
    if (!s) s = st_writer_meta(w, "tag_names", tags);
    if (!s) s = meta_put(w, "lowercase", "%d", v->lowercase);
    if (!s) s = st_writer_meta(w, "tag_column", column_name(column));
    if (!s) s = st_writer_write(w, path);
    st_writer_free(w);
    free(words);
    free(chars);
    free(tags);
    return s;
}

recur_status tagging_load(const char *path, tagger **out, tag_vocabs *v,
                          tagged_column *column)
{
    memset(v, 0, sizeof *v);
    st_file *st = NULL;
    tagger *m = NULL;
    recur_status s = st_read(path, &st);
    const char *task = s ? NULL : st_meta(st, "task");
    if (!s && (!task || strcmp(task, "tag")))
        s = error_fail(RECUR_ERR_FORMAT, "%s is not a tagger (task %.40s; "
                       "recur train --task tag writes one)", path,
                       task ? task : "none");
    if (!s)
        s = tagger_read(st, path, &m);
    const char *words = s ? NULL : st_meta(st, "word_vocab");
    const char *chars = s ? NULL : st_meta(st, "char_vocab");
    const char *tags = s ? NULL : st_meta(st, "tag_names");
    const char *col = s ? NULL : st_meta(st, "tag_column");
    const tagger_config *c = s ? NULL : tagger_get_config(m);
    if (!s && (!words || !tags || !col || (c->chars && !chars)))
        s = error_fail(RECUR_ERR_FORMAT, "%s: a tagger without its "
                       "vocabularies (__metadata__ word_vocab, char_vocab, "
                       "tag_names or tag_column missing)", path);
    if (!s && strcmp(col, "upos") && strcmp(col, "xpos"))
        s = error_fail(RECUR_ERR_FORMAT, "%s: __metadata__ tag_column '%.20s' "
                       "is not upos or xpos", path, col);
    size_t lower = 0;
    if (!s) s = meta_size(st, path, "lowercase", 1, &lower);
    if (!s) s = tok_vocab_parse(words, c->words, &v->words);
    if (!s && c->chars) s = tok_vocab_parse(chars, c->chars, &v->chars);
    if (!s) s = tag_vocabs_parse_tags(tags, v);
    if (!s && v->n_tags != c->tags)
        s = error_fail(RECUR_ERR_FORMAT, "%s: %zu tags in __metadata__ tag_names, "
                       "but the network has %zu outputs", path, v->n_tags,
                       c->tags);
    if (s && s != RECUR_ERR_MEMORY && st && strstr(recur_last_error(), path) == NULL) {
        char inner[400];
        snprintf(inner, sizeof inner, "%s", recur_last_error());
        s = error_fail(s, "%s: %s", path, inner);
    }
    if (!s)
        *column = !strcmp(col, "xpos") ? TAGGED_XPOS : TAGGED_UPOS;
    st_free(st); /* col points into it */
    if (s) {
        tagger_free(m);
        tag_vocabs_free(v);
        return s;
    }
    v->lowercase = (int)lower;
    *out = m;
    return RECUR_OK;
}

recur_status tagging_run(tagger *m, const tag_data *d, size_t batch,
                         int32_t *pred, double *mean_loss)
{
    if (!d || d->n == 0 || batch == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "no sentences to tag");
    const size_t n = d->n, N = d->offset[n];
    len_key *keys = malloc(n * sizeof *keys);
    size_t *idx = malloc(n * sizeof *idx);
    int32_t *out = malloc(N * sizeof *out);
    if (!keys || !idx || !out) {
        free(keys);
        free(idx);
        free(out);
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = (len_key){tag_len(d, i), i};
    len_key_sort(keys, n);
    for (size_t i = 0; i < n; i++)
        idx[i] = keys[i].idx;
    tagger_set_training(m, 0);
    double total = 0;
    size_t count = 0;
    recur_status s = RECUR_OK;
    for (size_t i = 0; !s && i < n; i += batch) {
        size_t B = n - i < batch ? n - i : batch, c = 0;
        double sum = 0;
        s = tagger_batch(m, d, idx + i, B, 0, mean_loss ? &sum : NULL, &c, out);
        total += sum;
        count += c;
        /* out: the batch's sentences one after another, in idx order */
        for (size_t b = 0, k = 0; !s && b < B; b++) {
            size_t j = idx[i + b], len = tag_len(d, j);
            memcpy(pred + d->offset[j], out + k, len * sizeof *out);
            k += len;
        }
    }
    free(keys);
    free(idx);
    free(out);
    if (!s && mean_loss)
        *mean_loss = count ? total / (double)count : 0;
    return s;
}
