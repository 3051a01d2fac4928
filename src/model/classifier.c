/*
 * classifier.c — a text classifier's checkpoint metadata and the encoding
 * of one text (classifier.h).
 */
#include "model/classifier.h"
#include "base/error.h"
#include "data/labeled.h"
#include "io/st_meta.h"

#include <stdlib.h>
#include <string.h>

recur_status classifier_write_meta(void *ctx, st_writer *w)
{
    const classifier *c = ctx;
    char *vocab = tok_vocab_join(c->vocab);
    char *labels = labels_join(c->labels, c->K);
    recur_status s = vocab && labels ? RECUR_OK
                                     : error_fail(RECUR_ERR_MEMORY, "out of memory");
    if (!s) s = st_writer_meta(w, "tokens", c->tk.mode == RECUR_TOKENS_CHAR ? "char" : "word");
    if (!s) s = meta_put(w, "lowercase", "%d", c->tk.lowercase);
    if (!s) s = st_writer_meta(w, "vocab", vocab);
    if (!s) s = st_writer_meta(w, "labels", labels);
    free(vocab);
    free(labels);
    return s;
}

recur_status classifier_read(const st_file *st, const char *path,
                             const seq_model *m, classifier *c,
                             tok_vocab **vocab, char ***labels)
{
    const char *tokens = st_meta(st, "tokens"), *v = st_meta(st, "vocab"),
               *l = st_meta(st, "labels");
    size_t lower = 0;
    if (!tokens || !v || !l || (strcmp(tokens, "word") && strcmp(tokens, "char")))
        return error_fail(RECUR_ERR_FORMAT, "%s: not a classifier's checkpoint "
                          "(__metadata__ tokens, vocab or labels missing)", path);
    recur_status s = meta_size(st, path, "lowercase", 1, &lower);
    if (!s)
        s = tok_vocab_parse(v, seq_model_config(m)->vocab_size, vocab);
    if (!s)
        s = labels_parse(l, labels, &c->K);
    if (!s && c->K != seq_model_config(m)->outputs)
        s = error_fail(RECUR_ERR_FORMAT, "%s: %zu labels for %zu outputs", path,
                       c->K, seq_model_config(m)->outputs);
    /* The outputs are read as class probabilities of the whole text. */
    if (!s && (seq_model_config(m)->loss != SEQ_LOSS_XENT ||
               seq_model_config(m)->pool == SEQ_POOL_STEP))
        s = error_fail(RECUR_ERR_FORMAT, "%s: a classifier must be pooled with "
                       "loss xent (this one: pool %s, loss %s)", path,
                       seq_pool_str(seq_model_config(m)->pool),
                       seq_loss_str(seq_model_config(m)->loss));
    c->tk.mode = !strcmp(tokens, "char") ? RECUR_TOKENS_CHAR : RECUR_TOKENS_WORD;
    c->tk.lowercase = (int)lower;
    c->vocab = *vocab;
    c->labels = (const char *const *)*labels;
    return s;
}

recur_status classifier_encode(const classifier *c, const char *text,
                               token_list *tok, seq_data *d)
{
    recur_status s = tokenize(&c->tk, text, tok);
    if (s)
        return s;
    size_t n = tok->count ? tok->count : 1;
    int32_t *t = realloc(d->tokens, n * sizeof(int32_t));
    if (!t)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    d->tokens = t;
    t[0] = RECUR_TOKEN_UNK; /* an empty text is one <unk>, as in training */
    for (size_t i = 0; i < tok->count; i++)
        t[i] = tok_vocab_find(c->vocab, tok->token[i]);
    d->offset[1] = n;
    return RECUR_OK;
}

recur_status classifier_predict(seq_model *m, const classifier *c,
                                const char *text, token_list *tok,
                                seq_data *d, float *p, size_t *best)
{
    double loss;
    size_t counted, first = 0;
    recur_status s = classifier_encode(c, text, tok, d);
    if (!s)
        s = seq_model_batch(m, d, &first, 1, 0, &loss, &counted, p);
    if (s)
        return s;
    *best = 0;
    for (size_t k = 1; k < c->K; k++)
        if (p[k] > p[*best])
            *best = k;
    return RECUR_OK;
}
