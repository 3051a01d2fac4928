/*
 * lm.c — the language model of lm.h: forward and backward of one chunk of
 * truncated BPTT, and the one-token-at-a-time state for sampling.
 *
 * Dropout follows PyTorch (inverted dropout): in training, each element is
 * kept with probability 1 − p and scaled by 1/(1 − p); the masks are
 * stored scaled, so backward multiplies by the same mask. Variational
 * dropout (Gal & Ghahramani 2016) draws one mask per stream and feature,
 * [B, E] and [B, P], reused at every step of the chunk (row t*B + b takes
 * mask row b). Masks are drawn from lm->rng in a fixed order (embedding;
 * the stack's, per layer: recurrent dropout, zoneout, dropout after the
 * layer; output), which makes a run reproducible from a saved RNG state.
 */
#include "model/lm.h"
#include "base/bigmem.h"
#include "base/error.h"
#include "kernels/gemm.h"
#include "model/loss.h"
#include "stack/stack.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- creation ---- */

static recur_status check_config(const lm_config *config)
{
    if (!config)
        return error_fail(RECUR_ERR_ARGUMENT, "language model configuration is NULL");
    const recur_lm_config *c = &config->arch;
    if (c->vocab_size == 0 || c->embed_size == 0)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "vocab_size (%zu) and embed_size (%zu) must be >= 1",
                          c->vocab_size, c->embed_size);
    if (c->rnn.input_size != c->embed_size)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "the stack's input_size (%zu) must equal embed_size (%zu)",
                          c->rnn.input_size, c->embed_size);
    if (c->rnn.bidirectional)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "a language model reads left to right: bidirectional "
                          "must be 0");
    recur_status s = stack_check_regularizers(config, &config->reg,
                                              "language model");
    if (s)
        return s;
    size_t P = c->rnn.proj_size ? c->rnn.proj_size : c->rnn.hidden_size;
    if (c->tie_weights && c->embed_size != P)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "tied weights need embed_size (%zu) == the stack's "
                          "output size (%zu)", c->embed_size, P);
    if (c->vocab_size > (size_t)INT32_MAX)
        return error_fail(RECUR_ERR_ARGUMENT, "vocab_size %zu too large",
                          c->vocab_size);
    return RECUR_OK;
}

/* Orthogonal Q (rows x cols, rows >= cols or not) from a Gaussian matrix by
 * modified Gram-Schmidt over the shorter side, as torch.nn.init.orthogonal_
 * produces (up to the random draw). */
static void orthogonal(float *w, size_t rows, size_t cols, rng_state *rng)
{
    int by_rows = rows <= cols;   /* orthonormalise the shorter side */
    size_t n = by_rows ? rows : cols, len = by_rows ? cols : rows;
    for (size_t i = 0; i < rows * cols; i++) {
        /* Box-Muller */
        float u1 = rng_uniform(rng), u2 = rng_uniform(rng);
        w[i] = sqrtf(-2.0f * logf(u1 > 0 ? u1 : 1e-12f)) * cosf(6.2831853f * u2);
    }
#define AT(v, k) (*(by_rows ? w + (v) * cols + (k) : w + (k) * cols + (v)))
    for (size_t v = 0; v < n; v++) {
        for (size_t u = 0; u < v; u++) {
            double d = 0;
            for (size_t k = 0; k < len; k++)
                d += (double)AT(v, k) * AT(u, k);
            for (size_t k = 0; k < len; k++)
                AT(v, k) -= (float)d * AT(u, k);
        }
        double norm = 0;
        for (size_t k = 0; k < len; k++)
            norm += (double)AT(v, k) * AT(v, k);
        float inv = norm > 0 ? (float)(1.0 / sqrt(norm)) : 0.0f;
        for (size_t k = 0; k < len; k++)
            AT(v, k) *= inv;
    }
#undef AT
}

void lm_init_uniform(recur_lm *lm, float r, uint64_t seed)
{
    rng_state rng;
    rng_seed(&rng, seed ^ 0x756e69666f726dull); /* "uniform" */
    for (size_t i = 0; i < lm->n_params; i++)
        lm->params[i] = (2.0f * rng_uniform(&rng) - 1.0f) * r;
    stack_init_layer_norm(lm->rnn);
}

static void init_params(recur_lm *lm, uint64_t seed, int flags)
{
    rng_state rng;
    rng_seed(&rng, seed);
    float *p = lm->params;
    /* nn.Embedding: N(0, 1). */
    for (size_t i = 0; i < lm->V * lm->E; i += 2) {
        float u1 = rng_uniform(&rng), u2 = rng_uniform(&rng);
        float r = sqrtf(-2.0f * logf(u1 > 0 ? u1 : 1e-12f));
        p[i] = r * cosf(6.2831853f * u2);
        if (i + 1 < lm->V * lm->E)
            p[i + 1] = r * sinf(6.2831853f * u2);
    }
    /* The stack: U(±1/√H) as nn.LSTM. */
    float bound = 1.0f / sqrtf((float)lm->H);
    size_t rnn_n = recur_rnn_get_flat_size(lm->rnn);
    for (size_t i = 0; i < rnn_n; i++)
        p[lm->rnn_offset + i] = (2.0f * rng_uniform(&rng) - 1.0f) * bound;
    /* nn.Linear: weight and bias U(±1/√fan_in). */
    float fb = 1.0f / sqrtf((float)lm->P);
    if (!lm->config.arch.tie_weights)
        for (size_t i = 0; i < lm->V * lm->P; i++)
            p[lm->fc_weight_offset + i] = (2.0f * rng_uniform(&rng) - 1.0f) * fb;
    for (size_t i = 0; i < lm->V; i++)
        p[lm->fc_bias_offset + i] = (2.0f * rng_uniform(&rng) - 1.0f) * fb;

    const size_t G = lm->rnn->G, H = lm->H;
    for (size_t i = 0; i < recur_rnn_get_param_count(lm->rnn); i++) {
        const char *name;
        float *w;
        size_t rows, cols;
        recur_rnn_get_param(lm->rnn, i, &name, &w, &rows, &cols);
        if ((flags & LM_INIT_ORTHOGONAL) && !strncmp(name, "weight_hh", 9))
            for (size_t g = 0; g < G; g++)
                orthogonal(w + g * H * cols, H, cols, &rng);
        if ((flags & LM_INIT_FORGET_BIAS) &&
            lm->config.arch.rnn.mode == RECUR_LSTM &&
            (!strncmp(name, "bias_ih", 7) || !strncmp(name, "bias_hh", 7)))
            for (size_t k = 0; k < H; k++)
                w[H + k] = name[5] == 'i' ? 1.0f : 0.0f;
    }
    /* Layer norm as nn.LayerNorm: gains 1, biases 0. */
    stack_init_layer_norm(lm->rnn);
}

/* The masks' generator, from the regularisers' seed: xor a constant keeps
 * it apart from the initialisation's stream when both come from one seed
 * (`recur train --seed`). */
static void seed_masks(recur_lm *lm)
{
    rng_seed(&lm->rng, lm->config.reg.seed ^ 0xD1B54A32D192ED03ull);
    stack_set_regularizers(lm->rnn, &lm->config.reg, &lm->rng);
}

recur_status lm_create(const lm_config *config, uint64_t seed, int init_flags,
                       recur_lm **out)
{
    if (!out)
        return error_fail(RECUR_ERR_ARGUMENT, "output handle pointer is NULL");
    recur_status s = check_config(config);
    if (s)
        return s;
    recur_lm *lm = calloc(1, sizeof *lm);
    if (!lm)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    lm->config = *config;
    if ((s = stack_alloc(&config->arch.rnn, &lm->rnn)) != RECUR_OK) {
        free(lm);
        return s;
    }
    const recur_lm_config *a = &config->arch;
    lm->V = a->vocab_size;
    lm->E = a->embed_size;
    lm->P = recur_rnn_get_output_size(lm->rnn);
    lm->H = a->rnn.hidden_size;
    lm->L = a->rnn.num_layers;
    size_t n = lm->V * lm->E;
    lm->rnn_offset = n;
    n += recur_rnn_get_flat_size(lm->rnn);
    lm->fc_weight_offset = a->tie_weights ? 0 : n;
    n += a->tie_weights ? 0 : lm->V * lm->P;
    lm->fc_bias_offset = n;
    n += lm->V;
    lm->n_params = n;
    lm->params = big_floats_zeroed(n);
    lm->grads = big_floats_zeroed(n);
    if (!lm->params || !lm->grads) {
        recur_lm_free(lm);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for %zu parameters", n);
    }
    size_t fwd = gemm_pack_floats(lm->V, lm->P);
    size_t bwd = gemm_pack_floats(lm->P, lm->V);
    lm->fc_pack_floats = fwd > bwd ? fwd : bwd;
    if (lm->fc_pack_floats &&
        !(lm->fc_pack = big_alloc((lm->fc_pack_floats + 15) / 16 * 16 *
                                         sizeof(float)))) {
        recur_lm_free(lm);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the output "
                          "layer's workspace");
    }
    stack_bind(lm->rnn, lm->params + lm->rnn_offset, lm->grads + lm->rnn_offset);
    recur_rnn_set_prefix(lm->rnn, "rnn.");
    seed_masks(lm);
    init_params(lm, seed, init_flags);
    *out = lm;
    return RECUR_OK;
}

void recur_lm_free(recur_lm *lm)
{
    if (!lm)
        return;
    recur_rnn_free(lm->rnn);
    big_free(lm->params);
    big_free(lm->grads);
    big_free(lm->emb);
    free(lm->state_block);
    big_free(lm->fc_pack);
    free(lm->vocab);
    word_vocab_free(lm->words);
    free(lm);
}

const recur_lm_config *recur_lm_get_config(const recur_lm *lm)
{
    return lm ? &lm->config.arch : NULL;
}

recur_status recur_lm_get_regularizers(const recur_lm *lm,
                                       recur_regularizers *out)
{
    if (!lm || !out)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "recur_lm_get_regularizers: NULL argument");
    *out = lm->config.reg;
    return RECUR_OK;
}

recur_status recur_lm_set_regularizers(recur_lm *lm,
                                       const recur_regularizers *regularizers)
{
    recur_status s = stack_check_regularizers(lm, regularizers,
                                              "recur_lm_set_regularizers");
    if (s)
        return s;
    lm->config.reg = *regularizers;
    seed_masks(lm);
    return RECUR_OK;
}

size_t lm_tensor_count(const recur_lm *lm)
{
    return 3 + recur_rnn_get_param_count(lm->rnn);
}

void lm_tensor(const recur_lm *lm, size_t i, char *name, size_t name_size,
               size_t *offset, size_t shape[2], size_t *ndim)
{
    size_t nr = recur_rnn_get_param_count(lm->rnn);
    *ndim = 2;
    if (i == 0) {
        snprintf(name, name_size, "embedding.weight");
        *offset = 0;
        shape[0] = lm->V;
        shape[1] = lm->E;
    } else if (i <= nr) {
        const char *pname;
        float *data;
        recur_rnn_get_param(lm->rnn, i - 1, &pname, &data, &shape[0], &shape[1]);
        snprintf(name, name_size, "rnn.%s", pname);
        *offset = (size_t)(data - lm->params);
        *ndim = stack_param_ndim(pname);
    } else if (i == nr + 1) {
        snprintf(name, name_size, "fc.weight");
        *offset = lm->fc_weight_offset;
        shape[0] = lm->V;
        shape[1] = lm->P;
    } else {
        snprintf(name, name_size, "fc.bias");
        *offset = lm->fc_bias_offset;
        shape[0] = lm->V;
        shape[1] = 1;
        *ndim = 1;
    }
}

void lm_set_training(recur_lm *lm, int training)
{
    lm->training = training;
    stack_set_training(lm->rnn, training);
}

/* ---- workspace and state ---- */

static recur_status ensure_rows(recur_lm *lm, size_t rows)
{
    if (rows <= lm->rows_cap)
        return RECUR_OK;
    size_t E = lm->E, P = lm->P, V = lm->V, total;
    /* emb, emb_mask, d_emb: 3E; out, out_drop, out_mask, d_out: 4P; logits V */
    if (!size_mul_ok(rows, 3 * E + 4 * P + V, &total) ||
        total > SIZE_MAX / sizeof(float))
        return error_fail(RECUR_ERR_MEMORY, "chunk of %zu tokens too large", rows);
    float *w = big_alloc(total * sizeof(float));
    if (!w)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for a chunk of %zu "
                          "tokens", rows);
    big_free(lm->emb);
    lm->emb = w;
    lm->emb_mask = lm->emb + rows * E;
    lm->d_emb = lm->emb_mask + rows * E;
    lm->out = lm->d_emb + rows * E;
    lm->out_drop = lm->out + rows * P;
    lm->out_mask = lm->out_drop + rows * P;
    lm->d_out = lm->out_mask + rows * P;
    lm->logits = lm->d_out + rows * P;
    lm->rows_cap = rows;
    return RECUR_OK;
}

recur_status lm_reset_state(recur_lm *lm, size_t B)
{
    if (B == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "batch of 0 streams");
    if (B > lm->B_cap) {
        size_t n = lm->L * B * (lm->P + lm->H);
        float *s = malloc(2 * n * sizeof(float));
        if (!s)
            return error_fail(RECUR_ERR_MEMORY, "out of memory");
        free(lm->state_block);
        lm->state_block = s;
        lm->B_cap = B;
    }
    size_t np = lm->L * B * lm->P, nh = lm->L * B * lm->H;
    lm->h = lm->state_block;
    lm->c = lm->h + np;
    lm->h_n = lm->c + nh;
    lm->c_n = lm->h_n + np;
    memset(lm->h, 0, (np + nh) * sizeof(float));
    lm->state_B = B;
    return RECUR_OK;
}

/* x[rows, w] *= mask: per element ([rows, w]), or variational ([B, w],
 * row t*B + b taking mask row b). */
static void apply_mask(const recur_lm *lm, float *x, const float *mask,
                       size_t rows, size_t B, size_t w)
{
    size_t period = lm->config.reg.variational ? B * w : rows * w;
    for (size_t r = 0; r < rows * w; r += period)
        for (size_t i = 0; i < period; i++)
            x[r + i] *= mask[i];
}

/* In training with p > 0: x *= mask, mask ~ Bernoulli(1-p)/(1-p), drawn
 * for every element, or for B rows when variational. */
static void dropout(recur_lm *lm, float *x, float *mask, size_t rows,
                    size_t B, size_t w)
{
    float p = lm->config.reg.dropout, keep = 1.0f / (1.0f - p);
    size_t n = lm->config.reg.variational ? B * w : rows * w;
    for (size_t i = 0; i < n; i++)
        mask[i] = rng_uniform(&lm->rng) < p ? 0.0f : keep;
    apply_mask(lm, x, mask, rows, B, w);
}

void lm_logits(const recur_lm *lm, size_t rows, const float *top,
               float *logits)
{
    const size_t V = lm->V, P = lm->P;
    for (size_t i = 0; i < rows; i++)
        memcpy(logits + i * V, lm->params + lm->fc_bias_offset, V * sizeof(float));
    gemm_b wb;
    gemm_pack(&wb, 1, V, P, lm->params + lm->fc_weight_offset, P,
                    rows >= 16 ? lm->fc_pack : NULL);
    gemm_packed(rows, 1.0f, top, P, &wb, 1.0f, logits, V);
}

void lm_swap_state(float **h, float **h_n, float **c, float **c_n)
{
    float *t = *h;
    *h = *h_n;
    *h_n = t;
    t = *c;
    *c = *c_n;
    *c_n = t;
}

recur_status lm_chunk(recur_lm *lm, size_t T, size_t B, const int32_t *x,
                      const int32_t *y, int grads, double *loss_sum,
                      size_t *counted)
{
    size_t rows;
    if (!x || !y || T == 0 || B == 0 || !size_mul_ok(T, B, &rows))
        return error_fail(RECUR_ERR_ARGUMENT, "an empty chunk of tokens (no "
                          "steps, no streams or NULL)");
    const size_t E = lm->E, P = lm->P, V = lm->V;
    for (size_t i = 0; i < rows; i++)
        if (x[i] < 0 || (size_t)x[i] >= V || y[i] >= (int32_t)V)
            return error_fail(RECUR_ERR_ARGUMENT,
                              "token %zu of the chunk is out of range [0, %zu)",
                              i, V);
    recur_status s = ensure_rows(lm, rows);
    if (!s && lm->state_B != B)
        s = lm_reset_state(lm, B);
    if (s)
        return s;
    const int drop = lm->training && lm->config.reg.dropout > 0.0f;
    const float *emb_w = lm->params;
    const float *fc_w = lm->params + lm->fc_weight_offset;

    for (size_t i = 0; i < rows; i++)
        memcpy(lm->emb + i * E, emb_w + (size_t)x[i] * E, E * sizeof(float));
    if (drop)
        dropout(lm, lm->emb, lm->emb_mask, rows, B, E);
    s = recur_rnn_forward(lm->rnn, T, B, lm->emb, NULL, lm->h,
                          lm->config.arch.rnn.mode == RECUR_LSTM ? lm->c : NULL,
                          lm->out, lm->h_n,
                          lm->config.arch.rnn.mode == RECUR_LSTM ? lm->c_n : NULL);
    if (s)
        return s;
    const float *top = lm->out;
    if (drop) {
        memcpy(lm->out_drop, lm->out, rows * P * sizeof(float));
        dropout(lm, lm->out_drop, lm->out_mask, rows, B, P);
        top = lm->out_drop;
    }
    lm_logits(lm, rows, top, lm->logits);

    size_t count = 0;
    for (size_t i = 0; i < rows; i++)
        count += y[i] >= 0;
    /* The loss, and with grads d(mean loss)/dlogits in place, one pass. */
    double sum = softmax_xent(lm->logits, rows, V, y,
                                    count ? 1.0f / (float)count : 0.0f,
                                    grads && count ? lm->logits : NULL, &count);
    if (grads && count > 0) {
        float *g_fc_w = lm->grads + lm->fc_weight_offset;
        float *g_fc_b = lm->grads + lm->fc_bias_offset;
        gemm_tn(V, P, rows, 1.0f, lm->logits, V, top, P, 1.0f, g_fc_w,
                      P, lm->fc_pack, lm->fc_pack_floats);
        for (size_t i = 0; i < rows; i++)
            for (size_t v = 0; v < V; v++)
                g_fc_b[v] += lm->logits[i * V + v];
        gemm_b wb;
        gemm_pack(&wb, 0, P, V, fc_w, P, rows >= 16 ? lm->fc_pack : NULL);
        gemm_packed(rows, 1.0f, lm->logits, V, &wb, 0.0f, lm->d_out, P);
        if (drop)
            apply_mask(lm, lm->d_out, lm->out_mask, rows, B, P);
        s = recur_rnn_backward(lm->rnn, lm->d_out, NULL, NULL, lm->d_emb, NULL,
                               NULL);
        if (s)
            return s;
        if (drop)
            apply_mask(lm, lm->d_emb, lm->emb_mask, rows, B, E);
        for (size_t i = 0; i < rows; i++) {
            float *g = lm->grads + (size_t)x[i] * E;
            for (size_t k = 0; k < E; k++)
                g[k] += lm->d_emb[i * E + k];
        }
    }
    /* Carry the final state into the next chunk (its gradient stops here). */
    lm_swap_state(&lm->h, &lm->h_n, &lm->c, &lm->c_n);
    *loss_sum = sum;
    *counted = count;
    return RECUR_OK;
}
