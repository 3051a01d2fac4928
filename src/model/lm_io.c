/*
 * lm_io.c — a language model to and from a safetensors checkpoint.
 *
 * Tensors: the model's parameters under PyTorch's names (lm.h); a tied
 * model writes fc.weight too, equal to embedding.weight, so the file loads
 * into the PyTorch module with load_state_dict. __metadata__ (strings):
 *     format      "recur-lm"            task        e.g. "charlm"
 *     mode        LSTM | GRU | ...      hidden_size, proj_size, num_layers,
 *     bias        0 | 1                 vocab_size, embed_size, tie_weights
 *     dropout     the training dropout  vocab       the characters, in id
 *                                                   order, as one UTF-8 string
 *                                       words       (word models) the words,
 *                                                   in id order, one per line
 *     variational 0 | 1                 recurrent_dropout, zoneout
 *     layer_norm  0 | 1
 *                 (the last four absent in older checkpoints: 0)
 * A training checkpoint adds the trainer's state (train.c).
 */
#include "model/lm_io.h"
#include "io/st_meta.h"
#include "base/error.h"
#include "stack/stack.h"
#include "data/text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

recur_status lm_write(const recur_lm *lm, const char *task, st_writer *w)
{
    const recur_lm_config *c = &lm->config.arch;
    const recur_regularizers *r = &lm->config.reg;
    recur_status s = RECUR_OK;
    char name[RECUR_PREFIX_MAX + RECUR_NAME_MAX];
    for (size_t i = 0; !s && i < lm_tensor_count(lm); i++) {
        size_t offset, shape[2], ndim;
        lm_tensor(lm, i, name, sizeof name, &offset, shape, &ndim);
        s = st_writer_add(w, name, RECUR_DT_F32, ndim, shape,
                                lm->params + offset);
    }
    if (!s) s = st_writer_meta(w, "format", "recur-lm");
    if (!s) s = st_writer_meta(w, "task", task);
    if (!s) s = st_writer_meta(w, "mode", recur_mode_str(c->rnn.mode));
    if (!s) s = meta_put(w, "hidden_size", "%zu", c->rnn.hidden_size);
    if (!s) s = meta_put(w, "proj_size", "%zu", c->rnn.proj_size);
    if (!s) s = meta_put(w, "num_layers", "%zu", c->rnn.num_layers);
    if (!s) s = meta_put(w, "bias", "%d", c->rnn.bias);
    if (!s) s = meta_put(w, "vocab_size", "%zu", c->vocab_size);
    if (!s) s = meta_put(w, "embed_size", "%zu", c->embed_size);
    if (!s) s = meta_put(w, "tie_weights", "%d", c->tie_weights);
    if (!s) s = meta_put_float(w, "dropout", r->dropout);
    if (!s) s = meta_put(w, "variational", "%d", r->variational);
    if (!s) s = meta_put_float(w, "recurrent_dropout", r->recurrent_dropout);
    if (!s) s = meta_put_float(w, "zoneout", r->zoneout);
    if (!s) s = meta_put(w, "layer_norm", "%d", c->rnn.layer_norm);
    if (!s && lm->words) {
        char *text = word_vocab_join(lm->words);
        if (!text)
            return error_fail(RECUR_ERR_MEMORY, "out of memory");
        s = st_writer_meta(w, "words", text);
        free(text);
    }
    if (!s && lm->vocab) {
        /* At most 4 bytes per code point. */
        char *text = malloc(4 * lm->V + 1), *p = text;
        if (!text)
            return error_fail(RECUR_ERR_MEMORY, "out of memory");
        for (size_t v = 0; v < lm->V; v++)
            p += utf8_encode(lm->vocab[v], p);
        *p = '\0';
        s = st_writer_meta(w, "vocab", text);
        free(text);
    }
    return s;
}

/* A probability in [0, 1), checked before it is narrowed to a float. */
static recur_status meta_probability(const st_file *st, const char *path,
                                     const char *key, double *out)
{
    recur_status s = meta_double(st, path, key, out);
    if (!s && !(*out >= 0.0 && *out < 1.0))
        s = error_fail(RECUR_ERR_FORMAT,
                       "%s: __metadata__ '%s' = %g is not in [0, 1)", path,
                       key, *out);
    return s;
}

static recur_status read_config(const st_file *st, const char *path,
                                lm_config *config)
{
    recur_lm_config *c = &config->arch;
    recur_regularizers *r = &config->reg;
    const char *format = st_meta(st, "format");
    if (!format || strcmp(format, "recur-lm") != 0)
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: not a recur language-model checkpoint "
                          "(__metadata__ format is '%.40s', expected 'recur-lm')",
                          path, format ? format : "(none)");
    const char *mode = st_meta(st, "mode");
    memset(config, 0, sizeof *config);
    if (!mode || recur_mode_parse(mode, &c->rnn.mode))
        return error_fail(RECUR_ERR_FORMAT, "%s: __metadata__ mode '%.40s' "
                          "is not a known cell", path, mode ? mode : "(none)");
    size_t bias = 0, tie = 0, variational = 0, layer_norm = 0;
    size_t big = (size_t)1 << 24;
    double dropout = 0, recurrent_dropout = 0, zoneout = 0;
    recur_status s = meta_size(st, path, "hidden_size", big, &c->rnn.hidden_size);
    if (!s) s = meta_size(st, path, "proj_size", big, &c->rnn.proj_size);
    if (!s) s = meta_size(st, path, "num_layers", 4096, &c->rnn.num_layers);
    if (!s) s = meta_size(st, path, "bias", 1, &bias);
    if (!s) s = meta_size(st, path, "vocab_size", (size_t)INT32_MAX, &c->vocab_size);
    if (!s) s = meta_size(st, path, "embed_size", big, &c->embed_size);
    if (!s) s = meta_size(st, path, "tie_weights", 1, &tie);
    if (!s) s = meta_double(st, path, "dropout", &dropout);
    /* Added later: a checkpoint without them had them off. */
    if (!s && st_meta(st, "variational"))
        s = meta_size(st, path, "variational", 1, &variational);
    if (!s && st_meta(st, "recurrent_dropout"))
        s = meta_probability(st, path, "recurrent_dropout", &recurrent_dropout);
    if (!s && st_meta(st, "zoneout"))
        s = meta_probability(st, path, "zoneout", &zoneout);
    if (!s && st_meta(st, "layer_norm"))
        s = meta_size(st, path, "layer_norm", 1, &layer_norm);
    if (s)
        return s;
    c->rnn.input_size = c->embed_size;
    c->rnn.bias = (int)bias;
    c->rnn.layer_norm = (int)layer_norm;
    c->tie_weights = (int)tie;
    r->dropout = (float)dropout;
    r->variational = (int)variational;
    r->recurrent_dropout = (float)recurrent_dropout;
    r->zoneout = (float)zoneout;
    return RECUR_OK;
}

static recur_status read_vocab(const st_file *st, const char *path,
                               recur_lm *lm)
{
    const char *words = st_meta(st, "words");
    if (words) {
        recur_status s = word_vocab_parse(words, lm->V, &lm->words);
        if (s) {
            char why[256];
            snprintf(why, sizeof why, "%s", recur_last_error());
            return error_fail(s, "%s: __metadata__ words: %s", path, why);
        }
        return RECUR_OK;
    }
    const char *text = st_meta(st, "vocab");
    if (!text)
        return RECUR_OK;
    uint32_t *cps;
    size_t n;
    recur_status s = utf8_decode((const unsigned char *)text, strlen(text),
                                       path, &cps, &n);
    if (s)
        return s;
    int ok = n == lm->V;
    for (size_t i = 1; ok && i < n; i++)
        ok = cps[i - 1] < cps[i];
    if (!ok) {
        free(cps);
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: __metadata__ vocab must hold %zu distinct "
                          "characters in ascending order", path, lm->V);
    }
    lm->vocab = cps;
    return RECUR_OK;
}

/* One tensor the configuration implies, missing or of another shape. */
/* The matrices the metadata's sizes imply must be in the file before
 * anything is allocated from those sizes: every other parameter is no
 * larger than one of them, so the model is then at most a few times the
 * file (a file of 300 bytes asked for 550 GB). */
static recur_status check_sizes_backed(const st_file *st, const char *path,
                                       const recur_lm_config *c)
{
    const size_t H = c->rnn.hidden_size, E = c->embed_size, V = c->vocab_size;
    const size_t P = c->rnn.proj_size ? c->rnn.proj_size : H;
    const recur_mode m = c->rnn.mode;
    const size_t G = m == RECUR_LSTM ? 4
                     : m == RECUR_GRU || m == RECUR_GRU_RESET_BEFORE ? 3
                                                                     : 1;
    recur_status s = st_check_2d(st, path, "embedding.weight", V, E);
    if (!s)
        s = st_check_2d(st, path, "fc.weight", V, P);
    char name[64];
    for (size_t l = 0; !s && l < c->rnn.num_layers; l++) {
        snprintf(name, sizeof name, "rnn.weight_ih_l%zu", l);
        s = st_check_2d(st, path, name, G * H, l ? P : E);
        snprintf(name, sizeof name, "rnn.weight_hh_l%zu", l);
        if (!s)
            s = st_check_2d(st, path, name, G * H, P);
    }
    return s;
}

recur_status lm_read(const st_file *st, const char *path, recur_lm **out)
{
    lm_config c;
    recur_lm *lm = NULL;
    recur_status s = read_config(st, path, &c);
    if (!s && !c.arch.rnn.layer_norm &&
        st_find(st, "rnn.weight_ln_ih_l0"))
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: holds rnn.weight_ln_ih_l0 (layer norm) but "
                          "__metadata__ layer_norm is not 1", path);
    if (!s)
        s = check_sizes_backed(st, path, &c.arch);
    if (!s && (s = lm_create(&c, 0, 0, &lm)) != RECUR_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", recur_last_error());
        return error_fail(RECUR_ERR_FORMAT, "%s: %s", path, why);
    }
    char name[RECUR_PREFIX_MAX + RECUR_NAME_MAX];
    for (size_t i = 0; !s && i < lm_tensor_count(lm); i++) {
        size_t offset, shape[2], ndim;
        lm_tensor(lm, i, name, sizeof name, &offset, shape, &ndim);
        const st_tensor *t = st_find(st, name);
        int ok = t && t->ndim == ndim && t->shape[0] == shape[0] &&
                 (ndim == 1 || t->shape[1] == shape[1]);
        if (!ok) {
            s = error_fail(RECUR_ERR_FORMAT,
                           "%s: tensor '%s' is missing or not [%zu%s%zu] as "
                           "the metadata implies", path, name, shape[0],
                           ndim == 2 ? "," : "", ndim == 2 ? shape[1] : 0);
            break;
        }
        /* A tied fc.weight must be the embedding itself. */
        if (c.arch.tie_weights && !strcmp(name, "fc.weight")) {
            float *tmp = malloc(t->numel * sizeof(float));
            ok = tmp && !st_to_f32(t, tmp) &&
                 !memcmp(tmp, lm->params + offset, t->numel * sizeof(float));
            free(tmp);
            if (!ok)
                s = error_fail(RECUR_ERR_FORMAT, "%s: tie_weights is 1 but "
                               "fc.weight differs from embedding.weight", path);
        } else if (st_to_f32(t, lm->params + offset)) {
            s = error_fail(RECUR_ERR_FORMAT, "%s: tensor '%s' has dtype %s, "
                           "expected a float type", path, name,
                           st_dtype_str(t->dtype));
        }
    }
    if (!s)
        s = read_vocab(st, path, lm);
    if (s) {
        recur_lm_free(lm);
        return s;
    }
    *out = lm;
    return RECUR_OK;
}

recur_status recur_lm_load(const char *path, recur_lm **out)
{
    if (!path || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_lm_load: NULL argument");
    st_file *st;
    recur_status s = st_read(path, &st);
    if (s)
        return s;
    s = lm_read(st, path, out);
    st_free(st);
    return s;
}

uint32_t recur_lm_get_codepoint(const recur_lm *lm, size_t id)
{
    return lm && lm->vocab && id < lm->V ? lm->vocab[id] : 0;
}

recur_status recur_lm_get_token(const recur_lm *lm, uint32_t cp, size_t *id)
{
    if (!lm || !id || !lm->vocab)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "recur_lm_get_token: NULL argument or no vocabulary");
    size_t lo = 0, hi = lm->V;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lm->vocab[mid] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == lm->V || lm->vocab[lo] != cp)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "character U+%04X is not in the model's vocabulary",
                          (unsigned)cp);
    *id = lo;
    return RECUR_OK;
}

const char *recur_lm_get_word(const recur_lm *lm, size_t id)
{
    return lm && lm->words ? word_vocab_word(lm->words, id) : NULL;
}

recur_status recur_lm_get_word_token(const recur_lm *lm, const char *word,
                                     size_t *id)
{
    if (!lm || !word || !id || !lm->words)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_lm_get_word_token: NULL "
                          "argument or no word vocabulary");
    int64_t at = word_vocab_find(lm->words, word);
    if (at < 0)
        at = word_vocab_find(lm->words, RECUR_UNK);
    if (at < 0)
        return error_fail(RECUR_ERR_ARGUMENT, "word '%.100s' is not in the "
                          "model's vocabulary (which has no %s)", word, RECUR_UNK);
    *id = (size_t)at;
    return RECUR_OK;
}
