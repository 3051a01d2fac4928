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

recur_status tagger_write(const tagger *m, st_writer *w)
{
    if (!m || !w)
        return error_fail(RECUR_ERR_ARGUMENT, "writing a tagger checkpoint: a "
                          "NULL argument");
    const tagger_config *c = tagger_get_config(m);
    /* tagger_params is not const; the tensors are only read. */
    recur_status s = parts_write_tensors(w, m, tagger_tensor_count(m), tensor_of,
                                         tagger_params((tagger *)m));
    if (!s) s = st_writer_meta(w, "format", "recur-tagger");
    if (!s) s = st_writer_meta(w, "task", "tag");
    if (!s) s = meta_put(w, "words", "%zu", c->words);
    if (!s) s = meta_put(w, "chars", "%zu", c->chars);
    if (!s) s = meta_put(w, "tags", "%zu", c->tags);
    if (!s) s = meta_put(w, "word_embed", "%zu", c->word_embed);
    if (!s) s = meta_put(w, "char_embed", "%zu", c->char_embed);
    if (!s) s = meta_put(w, "char_hidden", "%zu", c->char_hidden);
    if (!s) s = parts_write_rnn_meta(w, &c->rnn);
    if (!s) s = meta_put_float(w, "dropout", c->dropout);
    if (!s) s = meta_put(w, "crf", "%d", c->crf);
    return s;
}

static recur_status read_config(const st_file *st, const char *path,
                                tagger_config *c)
{
    const char *format = st_meta(st, "format");
    if (!format || strcmp(format, "recur-tagger") != 0)
        return error_fail(RECUR_ERR_FORMAT, "%s: not a recur tagger checkpoint "
                          "(__metadata__ format is '%.40s', expected "
                          "'recur-tagger')", path, format ? format : "(none)");
    memset(c, 0, sizeof *c);
    const size_t big = (size_t)1 << 24;
    size_t crf = 0;
    double dropout = 0;
    recur_status s = parts_read_rnn_meta(st, path, &c->rnn);
    if (!s) s = meta_size(st, path, "words", (size_t)INT32_MAX, &c->words);
    if (!s) s = meta_size(st, path, "chars", (size_t)INT32_MAX, &c->chars);
    if (!s) s = meta_size(st, path, "tags", big, &c->tags);
    if (!s) s = meta_size(st, path, "word_embed", big, &c->word_embed);
    if (!s) s = meta_size(st, path, "char_embed", big, &c->char_embed);
    if (!s) s = meta_size(st, path, "char_hidden", big, &c->char_hidden);
    if (!s) s = meta_size(st, path, "crf", 1, &crf);
    if (!s) s = meta_double(st, path, "dropout", &dropout);
    if (!s && !(dropout >= 0 && dropout < 1))
        s = error_fail(RECUR_ERR_FORMAT, "%s: __metadata__ dropout %g is not in "
                       "[0, 1)", path, dropout);
    c->crf = (int)crf;
    c->dropout = (float)dropout;
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
        return error_fail(RECUR_ERR_ARGUMENT, "reading a tagger checkpoint: a NULL argument");
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
