/*
 * tagger_io.c — the tagger to and from a safetensors checkpoint
 * (tagger.h). Tensors: the parameters under PyTorch's names
 * (tagger_tensor), so tools/tag_torch.py loads them with load_state_dict.
 * __metadata__ (strings):
 *     format       "recur-tagger"       task         "tag"
 *     words, chars, tags                 the vocabulary sizes Vw, Vc, K
 *     word_embed, char_embed, char_hidden
 *     mode, input_size, hidden_size, proj_size, num_layers, bidirectional,
 *     bias, layer_norm                   the sentence stack (parts.h)
 *     dropout      the training dropout  crf          0 | 1
 * The caller adds its own (the vocabularies) to the same writer.
 */
#include "model/tagger.h"
#include "base/error.h"
#include "io/st_meta.h"
#include "model/parts.h"

#include <stdio.h>
#include <string.h>

static void tensor_of(const void *m, size_t i, char *name, size_t size,
                      size_t *offset, size_t shape[2], size_t *ndim)
{
    tagger_tensor(m, i, name, size, offset, shape, ndim);
}

/* The sizes of the configuration under their __metadata__ keys, with the
 * largest value a file may give. */
typedef struct {
    const char *key;
    size_t *value, max;
} size_key;

static size_t size_keys(tagger_config *c, size_key keys[6])
{
    const size_t big = (size_t)1 << 24;
    const size_key k[6] = {
        {"words", &c->words, (size_t)INT32_MAX}, {"chars", &c->chars, (size_t)INT32_MAX},
        {"tags", &c->tags, big},                 {"word_embed", &c->word_embed, big},
        {"char_embed", &c->char_embed, big},     {"char_hidden", &c->char_hidden, big},
    };
    memcpy(keys, k, sizeof k);
    return 6;
}

recur_status tagger_write(const tagger *m, st_writer *w)
{
    if (!m || !w)
        return error_fail(RECUR_ERR_ARGUMENT, "writing a tagger checkpoint: a "
                          "NULL argument");
    tagger_config c = *tagger_get_config(m);
    size_key keys[6];
    /* tagger_params is not const; the tensors are only read. */
    recur_status s = parts_write_tensors(w, m, tagger_tensor_count(m), tensor_of,
                                         tagger_params((tagger *)m));
    if (!s) s = st_writer_meta(w, "format", "recur-tagger");
    if (!s) s = st_writer_meta(w, "task", "tag");
    for (size_t i = 0, n = size_keys(&c, keys); !s && i < n; i++)
        s = meta_put(w, keys[i].key, "%zu", *keys[i].value);
    if (!s) s = parts_write_rnn_meta(w, &c.rnn);
    if (!s) s = meta_put_float(w, "dropout", c.dropout);
    if (!s) s = meta_put(w, "crf", "%d", c.crf);
    return s;
}

static recur_status read_config(const st_file *st, const char *path,
                                tagger_config *c)
{
    recur_status s = parts_check_format(st, path, "recur-tagger", "tagger");
    if (s)
        return s;
    memset(c, 0, sizeof *c);
    size_key keys[6];
    size_t crf = 0;
    s = parts_read_rnn_meta(st, path, &c->rnn);
    for (size_t i = 0, n = size_keys(c, keys); !s && i < n; i++)
        s = meta_size(st, path, keys[i].key, keys[i].max, keys[i].value);
    if (!s) s = meta_size(st, path, "crf", 1, &crf);
    if (!s) s = parts_read_dropout(st, path, &c->dropout);
    c->crf = (int)crf;
    return s;
}

/* Every big tensor the configuration implies is in the file with that
 * shape, before anything of that size is allocated. */
static recur_status check_backed(const st_file *st, const char *path,
                                 const tagger_config *c)
{
    const size_t P = c->rnn.proj_size ? c->rnn.proj_size : c->rnn.hidden_size;
    const size_t D = c->rnn.bidirectional ? 2 : 1;
    recur_status s = st_check_2d(st, path, "word_embedding.weight", c->words,
                                 c->word_embed);
    if (!s && c->char_embed) {
        recur_rnn_config cr = recur_rnn_config_default(RECUR_LSTM, c->char_embed,
                                                       c->char_hidden);
        cr.bidirectional = 1;
        s = st_check_2d(st, path, "char_embedding.weight", c->chars,
                        c->char_embed);
        if (!s)
            s = parts_check_stack(st, path, "char_rnn.", &cr);
    }
    if (!s)
        s = parts_check_stack(st, path, "rnn.", &c->rnn);
    if (!s)
        s = st_check_2d(st, path, "fc.weight", c->tags, D * P);
    if (!s && c->crf)
        s = st_check_2d(st, path, "crf.transitions", c->tags, c->tags);
    return s;
}

recur_status tagger_read(const st_file *st, const char *path, tagger **out)
{
    if (!st || !path || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "reading a tagger checkpoint: a "
                          "NULL argument");
    tagger_config c;
    tagger *m = NULL;
    recur_status s = read_config(st, path, &c);
    if (!s)
        s = check_backed(st, path, &c);
    if (!s && (s = tagger_create(&c, 0, &m)) != RECUR_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", recur_last_error());
        return error_fail(RECUR_ERR_FORMAT, "%s: %s", path, why);
    }
    if (!s)
        s = parts_read_tensors(st, path, m, tagger_tensor_count(m), tensor_of,
                               tagger_params(m));
    if (s) {
        tagger_free(m);
        return s;
    }
    *out = m;
    return RECUR_OK;
}
