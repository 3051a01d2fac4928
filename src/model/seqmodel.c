/*
 * seqmodel.c — the sequence model of seqmodel.h: a batch of examples
 * forward and backward, one step at a time for generation, checkpoints.
 *
 * Dropout is PyTorch's inverted dropout (masks stored scaled by 1/(1−p)),
 * drawn per element from the model's generator in a fixed order: the
 * embedded input, the stack's own (between layers), the features.
 */
#include "model/seqmodel.h"
#include "base/bigmem.h"
#include "base/error.h"
#include "io/st_meta.h"
#include "data/pianoroll.h"
#include "model/loss.h"
#include "model/parts.h"
#include "stack/stack.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct seq_model {
    seq_config config;
    size_t I, P, D, F, K, L, H;
    float *params, *grads;
    size_t n_params, rnn_offset, fc_w_offset, fc_b_offset;
    recur_rnn *rnn;          /* parameters bound into params/grads */
    rng_state rng;
    int training;
    /* Batch workspace, for up to rows_cap = T·B rows and B_cap examples. */
    size_t rows_cap, B_cap;
    float *work;
    float *x, *x_mask, *dx;        /* [rows, I] */
    float *y, *dy;                 /* [rows, F] */
    float *feat, *feat_mask, *dfeat; /* [rows, F] (pooled: the first B) */
    float *logits;                 /* [rows, K] */
    float *h_n, *dh_n;             /* [L·D, B, P] */
    size_t *index;                 /* argmax [B, F], then lengths' room */
    int64_t *lengths;              /* [B] */
    int32_t *target;               /* [B] class ids */
    /* Streaming state: h, c, h_n, c_n of one example ([L, 1, P|H]). */
    float *stream;
    int streaming;
};

static const char *const pool_names[] = {"last", "mean", "max", "step"};
static const char *const loss_names[] = {"xent", "mse", "mae", "huber", "bce"};

const char *seq_pool_str(seq_pool pool)
{
    return (unsigned)pool < 4 ? pool_names[pool] : NULL;
}

const char *seq_loss_str(seq_loss loss)
{
    return (unsigned)loss < 5 ? loss_names[loss] : NULL;
}

recur_status seq_pool_parse(const char *name, seq_pool *pool)
{
    for (int i = 0; name && i < 4; i++)
        if (!strcmp(name, pool_names[i])) {
            *pool = (seq_pool)i;
            return RECUR_OK;
        }
    return error_fail(RECUR_ERR_ARGUMENT, "pooling '%.40s' is not one of "
                      "last, mean, max, step", name ? name : "(null)");
}

recur_status seq_loss_parse(const char *name, seq_loss *loss)
{
    for (int i = 0; name && i < 5; i++)
        if (!strcmp(name, loss_names[i])) {
            *loss = (seq_loss)i;
            return RECUR_OK;
        }
    return error_fail(RECUR_ERR_ARGUMENT, "loss '%.40s' is not one of "
                      "xent, mse, mae, huber, bce", name ? name : "(null)");
}

/* ---- creation ---- */

static recur_status check_config(const seq_config *c)
{
    if (!c)
        return error_fail(RECUR_ERR_ARGUMENT, "sequence model configuration is NULL");
    if ((unsigned)c->pool > SEQ_POOL_STEP || (unsigned)c->loss > SEQ_LOSS_BCE)
        return error_fail(RECUR_ERR_ARGUMENT, "unknown pooling or loss");
    if (c->outputs == 0 || c->outputs > ((size_t)1 << 24))
        return error_fail(RECUR_ERR_ARGUMENT, "outputs %zu not in [1, 2^24]",
                          c->outputs);
    if (c->vocab_size && (c->embed_size == 0 || c->rnn.input_size != c->embed_size))
        return error_fail(RECUR_ERR_ARGUMENT, "token input: embed_size (%zu) "
                          "must be >= 1 and equal the stack's input_size (%zu)",
                          c->embed_size, c->rnn.input_size);
    if (c->vocab_size > (size_t)INT32_MAX)
        return error_fail(RECUR_ERR_ARGUMENT, "vocab_size %zu too large",
                          c->vocab_size);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f))
        return error_fail(RECUR_ERR_ARGUMENT, "dropout %g is not in [0, 1)",
                          (double)c->dropout);
    if (c->loss == SEQ_LOSS_XENT && c->pool == SEQ_POOL_STEP)
        return error_fail(RECUR_ERR_ARGUMENT, "the xent loss needs one "
                          "prediction per example (pooling last, mean or max)");
    if (c->loss == SEQ_LOSS_BCE && c->pool != SEQ_POOL_STEP)
        return error_fail(RECUR_ERR_ARGUMENT, "the bce loss scores every step "
                          "(pooling step)");
    if (c->pool == SEQ_POOL_STEP && c->loss != SEQ_LOSS_BCE)
        return error_fail(RECUR_ERR_ARGUMENT, "per-step predictions are scored "
                          "by bce only");
    return stack_check_config(&c->rnn);
}

static void init_params(seq_model *m, uint64_t seed)
{
    rng_state rng;
    rng_seed(&rng, seed);
    float *p = m->params;
    parts_init_normal(p, m->config.vocab_size * m->config.embed_size, &rng);
    memset(p, 0, m->config.embed_size * sizeof(float)); /* padding row */
    parts_init_uniform(p + m->rnn_offset, recur_rnn_get_flat_size(m->rnn),
                       1.0f / sqrtf((float)m->H), &rng);
    parts_init_uniform(p + m->fc_w_offset, m->n_params - m->fc_w_offset,
                       1.0f / sqrtf((float)m->F), &rng);
    stack_init_layer_norm(m->rnn);
}

recur_status seq_model_create(const seq_config *config, uint64_t seed,
                              seq_model **out)
{
    if (!out)
        return error_fail(RECUR_ERR_ARGUMENT, "output handle pointer is NULL");
    recur_status s = check_config(config);
    if (s)
        return s;
    seq_model *m = calloc(1, sizeof *m);
    if (!m)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    m->config = *config;
    if ((s = stack_alloc(&config->rnn, &m->rnn)) != RECUR_OK) {
        free(m);
        return s;
    }
    m->I = config->rnn.input_size;
    m->H = config->rnn.hidden_size;
    m->L = config->rnn.num_layers;
    m->P = recur_rnn_get_output_size(m->rnn);
    m->D = config->rnn.bidirectional ? 2 : 1;
    m->F = m->D * m->P;
    m->K = config->outputs;
    size_t n = config->vocab_size * config->embed_size;
    m->rnn_offset = n;
    n += recur_rnn_get_flat_size(m->rnn);
    m->fc_w_offset = n;
    n += m->K * m->F;
    m->fc_b_offset = n;
    n += m->K;
    m->n_params = n;
    if ((s = parts_flat_arrays(n, &m->params, &m->grads)) != RECUR_OK) {
        seq_model_free(m);
        return s;
    }
    seq_model_set_seed(m, seed);
    parts_attach_stack(m->rnn, m->params + m->rnn_offset, m->grads + m->rnn_offset,
                       config->dropout, &m->rng);
    init_params(m, seed);
    *out = m;
    return RECUR_OK;
}

void seq_model_free(seq_model *m)
{
    if (!m)
        return;
    recur_rnn_free(m->rnn);
    big_free(m->params);
    big_free(m->grads);
    big_free(m->work);
    free(m->index);
    free(m->stream);
    free(m);
}

const seq_config *seq_model_config(const seq_model *m) { return &m->config; }
size_t seq_model_size(const seq_model *m) { return m->n_params; }
float *seq_model_params(seq_model *m) { return m->params; }
float *seq_model_grads(seq_model *m) { return m->grads; }

void seq_model_set_training(seq_model *m, int training)
{
    m->training = training;
    stack_set_training(m->rnn, training);
}

void seq_model_set_seed(seq_model *m, uint64_t seed)
{
    rng_seed(&m->rng, seed ^ 0xD1B54A32D192ED03ull);
}

/* ---- the batch ---- */

static recur_status ensure_work(seq_model *m, size_t rows, size_t B)
{
    if (rows <= m->rows_cap && B <= m->B_cap)
        return RECUR_OK;
    const size_t I = m->I, F = m->F, K = m->K, LD = m->L * m->D;
    size_t per_row = 3 * I + 5 * F + K, total, state, idx;
    if (!size_mul_ok(rows, per_row, &total) ||
        !size_mul_ok(LD * B, 2 * m->P, &state) ||
        !size_add_ok(total, state, &total) || total > SIZE_MAX / sizeof(float) ||
        !size_mul_ok(B, F + 2, &idx) || idx > SIZE_MAX / sizeof(size_t))
        return error_fail(RECUR_ERR_MEMORY, "batch of %zu steps too large", rows);
    float *w = big_alloc(total * sizeof(float));
    size_t *ix = malloc(idx * sizeof(size_t));
    if (!w || !ix) {
        big_free(w);
        free(ix);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for a batch of "
                          "%zu steps", rows);
    }
    big_free(m->work);
    free(m->index);
    m->work = w;
    m->x = w;
    m->x_mask = m->x + rows * I;
    m->dx = m->x_mask + rows * I;
    m->y = m->dx + rows * I;
    m->dy = m->y + rows * F;
    m->feat = m->dy + rows * F;
    m->feat_mask = m->feat + rows * F;
    m->dfeat = m->feat_mask + rows * F;
    m->logits = m->dfeat + rows * F;
    m->h_n = m->logits + rows * K;
    m->dh_n = m->h_n + LD * B * m->P;
    /* One block of size_t slots: argmax [B, F], then B lengths (int64) and
     * B targets (int32), one slot each. */
    _Static_assert(sizeof(size_t) >= sizeof(int64_t) &&
                       _Alignof(size_t) >= _Alignof(int64_t),
                   "a size_t slot holds an int64_t");
    m->index = ix;
    m->lengths = (int64_t *)(ix + B * F);
    m->target = (int32_t *)(ix + B * (F + 1));
    m->rows_cap = rows;
    m->B_cap = B;
    return RECUR_OK;
}

static recur_status check_batch(const seq_model *m, const seq_data *d,
                                const size_t *idx, size_t B, size_t *T)
{
    const seq_config *c = &m->config;
    if (!d || !idx || B == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "empty or NULL batch");
    if (c->vocab_size ? !d->tokens : (!d->x || d->features != m->I))
        return error_fail(RECUR_ERR_ARGUMENT, "the data's input (%zu features) "
                          "does not fit the model (%s)", d->features,
                          c->vocab_size ? "token ids" : "dense");
    if (d->outputs != m->K)
        return error_fail(RECUR_ERR_ARGUMENT, "the data has %zu outputs, the "
                          "model %zu", d->outputs, m->K);
    int want_labels = c->loss == SEQ_LOSS_XENT;
    if (want_labels ? !d->label : !d->y || d->per_step != (c->pool == SEQ_POOL_STEP))
        return error_fail(RECUR_ERR_ARGUMENT, "the data's targets do not fit "
                          "the model's loss (%s)", seq_loss_str(c->loss));
    *T = 0;
    for (size_t b = 0; b < B; b++) {
        if (idx[b] >= d->n)
            return error_fail(RECUR_ERR_ARGUMENT, "example %zu of %zu", idx[b], d->n);
        size_t len = seq_len(d, idx[b]);
        if (len == 0)
            return error_fail(RECUR_ERR_ARGUMENT, "example %zu is empty", idx[b]);
        *T = len > *T ? len : *T;
        if (want_labels && (d->label[idx[b]] < 0 || (size_t)d->label[idx[b]] >= m->K))
            return error_fail(RECUR_ERR_ARGUMENT, "example %zu: label %d not in "
                              "[0, %zu)", idx[b], (int)d->label[idx[b]], m->K);
        if (c->vocab_size)
            for (size_t i = d->offset[idx[b]]; i < d->offset[idx[b] + 1]; i++)
                if (d->tokens[i] < 0 || (size_t)d->tokens[i] >= c->vocab_size)
                    return error_fail(RECUR_ERR_ARGUMENT, "example %zu: token "
                                      "%d not in [0, %zu)", idx[b],
                                      (int)d->tokens[i], c->vocab_size);
    }
    return RECUR_OK;
}

/* x *= mask with mask ~ Bernoulli(1 − p) / (1 − p) per element. */
static void dropout(seq_model *m, float *x, float *mask, size_t n)
{
    parts_dropout(&m->rng, m->config.dropout, x, mask, n);
}

/* The embedded or copied input [T, B, I], zeros past each end. */
static void gather_input(seq_model *m, const seq_data *d, const size_t *idx,
                         size_t T, size_t B)
{
    const size_t I = m->I;
    const float *emb = m->params;
    memset(m->x, 0, T * B * I * sizeof(float));
    for (size_t b = 0; b < B; b++) {
        size_t o = d->offset[idx[b]], len = seq_len(d, idx[b]);
        for (size_t t = 0; t < len; t++) {
            float *row = m->x + (t * B + b) * I;
            const float *src = m->config.vocab_size
                                   ? emb + (size_t)d->tokens[o + t] * I
                                   : d->x + (o + t) * I;
            memcpy(row, src, I * sizeof(float));
        }
    }
}

/* features [B, F] (pooled) from the stack's outputs y [T, B, F] and h_n. */
static void pool_forward(seq_model *m, size_t T, size_t B)
{
    const size_t F = m->F, P = m->P;
    switch (m->config.pool) {
    case SEQ_POOL_LAST:
        for (size_t dir = 0; dir < m->D; dir++)
            for (size_t b = 0; b < B; b++)
                memcpy(m->feat + b * F + dir * P,
                       m->h_n + (((m->L - 1) * m->D + dir) * B + b) * P,
                       P * sizeof(float));
        break;
    case SEQ_POOL_MEAN:
        for (size_t b = 0; b < B; b++) {
            float *f = m->feat + b * F;
            size_t len = (size_t)m->lengths[b];
            memset(f, 0, F * sizeof(float));
            for (size_t t = 0; t < len; t++)
                for (size_t j = 0; j < F; j++)
                    f[j] += m->y[(t * B + b) * F + j];
            for (size_t j = 0; j < F; j++)
                f[j] /= (float)len;
        }
        break;
    case SEQ_POOL_MAX:
        for (size_t b = 0; b < B; b++) {
            float *f = m->feat + b * F;
            size_t *arg = m->index + b * F, len = (size_t)m->lengths[b];
            memcpy(f, m->y + b * F, F * sizeof(float));
            memset(arg, 0, F * sizeof(size_t));
            for (size_t t = 1; t < len; t++)
                for (size_t j = 0; j < F; j++)
                    if (m->y[(t * B + b) * F + j] > f[j]) {
                        f[j] = m->y[(t * B + b) * F + j];
                        arg[j] = t;
                    }
        }
        break;
    case SEQ_POOL_STEP:
        memcpy(m->feat, m->y, T * B * F * sizeof(float));
        break;
    }
}

/* The gradient of the features back to the stack: dy [T, B, F] or dh_n. */
static void pool_backward(seq_model *m, size_t T, size_t B)
{
    const size_t F = m->F, P = m->P;
    if (m->config.pool == SEQ_POOL_LAST) {
        memset(m->dh_n, 0, m->L * m->D * B * P * sizeof(float));
        for (size_t dir = 0; dir < m->D; dir++)
            for (size_t b = 0; b < B; b++)
                memcpy(m->dh_n + (((m->L - 1) * m->D + dir) * B + b) * P,
                       m->dfeat + b * F + dir * P, P * sizeof(float));
        return;
    }
    if (m->config.pool == SEQ_POOL_STEP) {
        memcpy(m->dy, m->dfeat, T * B * F * sizeof(float));
        return;
    }
    memset(m->dy, 0, T * B * F * sizeof(float));
    for (size_t b = 0; b < B; b++) {
        const float *g = m->dfeat + b * F;
        size_t len = (size_t)m->lengths[b];
        if (m->config.pool == SEQ_POOL_MEAN) {
            for (size_t t = 0; t < len; t++)
                for (size_t j = 0; j < F; j++)
                    m->dy[(t * B + b) * F + j] = g[j] / (float)len;
        } else {
            for (size_t j = 0; j < F; j++)
                m->dy[(m->index[b * F + j] * B + b) * F + j] = g[j];
        }
    }
}

static float sigmoid(float z) { return 1.0f / (1.0f + expf(-z)); }

/* The loss over R rows of logits, its gradient (of the mean) in place when
 * grads, the predictions into out when given. */
static double loss_forward(seq_model *m, const seq_data *d, const size_t *idx,
                           size_t T, size_t B, int grads, size_t *counted,
                           float *out)
{
    const size_t K = m->K;
    float *z = m->logits;
    double sum = 0;
    switch (m->config.loss) {
    case SEQ_LOSS_XENT:
        for (size_t b = 0; b < B; b++)
            m->target[b] = d->label[idx[b]];
        if (out)
            for (size_t b = 0; b < B; b++) {
                float mx = z[b * K];
                for (size_t k = 1; k < K; k++)
                    mx = fmaxf(mx, z[b * K + k]);
                double s = 0;
                for (size_t k = 0; k < K; k++)
                    s += exp((double)z[b * K + k] - mx);
                for (size_t k = 0; k < K; k++)
                    out[b * K + k] = (float)(exp((double)z[b * K + k] - mx) / s);
            }
        return softmax_xent(z, B, K, m->target, 1.0f / (float)B,
                                  grads ? z : NULL, counted);
    case SEQ_LOSS_MSE:
    case SEQ_LOSS_MAE:
    case SEQ_LOSS_HUBER: {
        if (out)
            memcpy(out, z, B * K * sizeof(float));
        const float scale = 1.0f / (float)(B * K);
        for (size_t b = 0; b < B; b++)
            for (size_t k = 0; k < K; k++) {
                float diff = z[b * K + k] - d->y[idx[b] * K + k], a = fabsf(diff);
                float sign = diff > 0 ? 1.0f : diff < 0 ? -1.0f : 0.0f, g;
                if (m->config.loss == SEQ_LOSS_MSE) {
                    sum += (double)diff * diff;
                    g = 2.0f * diff;
                } else if (m->config.loss == SEQ_LOSS_MAE || a >= 1.0f) {
                    sum += m->config.loss == SEQ_LOSS_MAE ? a : a - 0.5;
                    g = sign;
                } else {
                    sum += 0.5 * (double)diff * diff;
                    g = diff;
                }
                z[b * K + k] = g * scale;
            }
        *counted = B * K;
        return sum;
    }
    case SEQ_LOSS_BCE: {
        size_t frames = 0;
        for (size_t b = 0; b < B; b++)
            frames += (size_t)m->lengths[b];
        if (out)
            memset(out, 0, T * B * K * sizeof(float));
        const float scale = 1.0f / (float)frames;
        for (size_t t = 0; t < T; t++)
            for (size_t b = 0; b < B; b++) {
                float *row = z + (t * B + b) * K;
                if (t >= (size_t)m->lengths[b]) {
                    memset(row, 0, K * sizeof(float));
                    continue;
                }
                const float *y = d->y + (d->offset[idx[b]] + t) * K;
                for (size_t k = 0; k < K; k++) {
                    /* max(z, 0) − z·y + log(1 + e^−|z|), as PyTorch. */
                    float v = row[k], p = sigmoid(v);
                    sum += fmax(v, 0) - (double)v * y[k] + log1p(exp(-fabs(v)));
                    if (out)
                        out[(t * B + b) * K + k] = p;
                    row[k] = (p - y[k]) * scale;
                }
            }
        *counted = frames;
        return sum;
    }
    }
    return sum;
}

recur_status seq_model_batch(seq_model *m, const seq_data *d,
                             const size_t *idx, size_t B, int grads,
                             double *loss_sum, size_t *counted, float *out)
{
    size_t T = 0, rows;
    recur_status s = check_batch(m, d, idx, B, &T);
    if (s)
        return s;
    if (!size_mul_ok(T, B, &rows))
        return error_fail(RECUR_ERR_ARGUMENT, "batch too large");
    if ((s = ensure_work(m, rows, B)) != RECUR_OK)
        return s;
    m->streaming = 0;
    const size_t I = m->I, F = m->F, K = m->K;
    const int drop = m->training && m->config.dropout > 0.0f;
    const int tokens = m->config.vocab_size != 0;
    for (size_t b = 0; b < B; b++)
        m->lengths[b] = (int64_t)seq_len(d, idx[b]);

    gather_input(m, d, idx, T, B);
    if (drop && tokens)
        dropout(m, m->x, m->x_mask, rows * I);
    s = recur_rnn_forward(m->rnn, T, B, m->x, m->lengths, NULL, NULL, m->y,
                          m->h_n, NULL);
    if (s)
        return s;
    pool_forward(m, T, B);
    const size_t R = m->config.pool == SEQ_POOL_STEP ? rows : B;
    if (drop)
        dropout(m, m->feat, m->feat_mask, R * F);
    const float *fc_w = m->params + m->fc_w_offset;
    parts_linear_forward(fc_w, m->params + m->fc_b_offset, m->feat, R, F, K,
                         m->logits);
    size_t count = 0;
    double sum = loss_forward(m, d, idx, T, B, grads, &count, out);

    if (grads) {
        parts_linear_backward(fc_w, m->feat, m->logits, R, F, K,
                              m->grads + m->fc_w_offset,
                              m->grads + m->fc_b_offset, m->dfeat);
        if (drop)
            for (size_t i = 0; i < R * F; i++)
                m->dfeat[i] *= m->feat_mask[i];
        pool_backward(m, T, B);
        int last = m->config.pool == SEQ_POOL_LAST;
        s = recur_rnn_backward(m->rnn, last ? NULL : m->dy, last ? m->dh_n : NULL,
                               NULL, tokens ? m->dx : NULL, NULL, NULL);
        if (s)
            return s;
        if (tokens) {
            if (drop)
                for (size_t i = 0; i < rows * I; i++)
                    m->dx[i] *= m->x_mask[i];
            for (size_t b = 0; b < B; b++) {
                size_t o = d->offset[idx[b]], len = (size_t)m->lengths[b];
                for (size_t t = 0; t < len; t++) {
                    int32_t id = d->tokens[o + t];
                    if (id == 0) /* padding_idx: no gradient */
                        continue;
                    float *g = m->grads + (size_t)id * I;
                    const float *dxr = m->dx + (t * B + b) * I;
                    for (size_t k = 0; k < I; k++)
                        g[k] += dxr[k];
                }
            }
        }
    }
    *loss_sum = sum;
    *counted = count;
    return RECUR_OK;
}

/* ---- one step at a time ---- */

recur_status seq_model_reset_stream(seq_model *m)
{
    if (m->D != 1)
        return error_fail(RECUR_ERR_ARGUMENT, "a bidirectional model cannot "
                          "run one step at a time");
    size_t n = 2 * m->L * (m->P + m->H);
    if (!m->stream && !(m->stream = malloc(n * sizeof(float))))
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    memset(m->stream, 0, n * sizeof(float));
    recur_status s = ensure_work(m, 1, 1);
    if (s)
        return s;
    m->streaming = 1;
    return RECUR_OK;
}

recur_status seq_model_check_music(const seq_model *m, const char *path)
{
    const seq_config *c = &m->config;
    if (c->vocab_size || c->rnn.input_size != RECUR_PIANO_KEYS ||
        c->outputs != RECUR_PIANO_KEYS || c->loss != SEQ_LOSS_BCE ||
        c->pool != SEQ_POOL_STEP || c->rnn.bidirectional)
        return error_fail(RECUR_ERR_FORMAT, "%s: not a music model (%zu inputs, "
                          "%zu outputs, loss %s, pool %s, %s; expected %d, %d, "
                          "bce, step, one direction)", path, c->rnn.input_size,
                          c->outputs, seq_loss_str(c->loss), seq_pool_str(c->pool),
                          c->rnn.bidirectional ? "two directions" : "one direction",
                          RECUR_PIANO_KEYS, RECUR_PIANO_KEYS);
    return RECUR_OK;
}

recur_status seq_model_stream(seq_model *m, const float *x, float *out)
{
    if (!m->streaming)
        return error_fail(RECUR_ERR_STATE, "a step of a stream that was "
                          "not started (reset the stream first)");
    const size_t LP = m->L * m->P, LH = m->L * m->H, K = m->K;
    int lstm = m->config.rnn.mode == RECUR_LSTM;
    float *h = m->stream, *c = h + LP, *h_n = c + LH, *c_n = h_n + LP;
    int training = m->training;
    seq_model_set_training(m, 0);
    const float *in = x;
    if (m->config.vocab_size) {
        /* Range first: converting a negative, huge or NaN float to size_t
         * is undefined. A fraction is no token either. */
        if (!(x[0] >= 0 && (double)x[0] < (double)m->config.vocab_size) ||
            x[0] != floorf(x[0])) {
            seq_model_set_training(m, training);
            return error_fail(RECUR_ERR_ARGUMENT, "token %g is not an id in "
                              "[0, %zu)", (double)x[0], m->config.vocab_size);
        }
        in = m->params + (size_t)x[0] * m->I;
    }
    recur_status s = recur_rnn_forward(m->rnn, 1, 1, in, NULL, h, lstm ? c : NULL,
                                       m->y, h_n, lstm ? c_n : NULL);
    seq_model_set_training(m, training);
    if (s)
        return s;
    memcpy(h, h_n, LP * sizeof(float));
    memcpy(c, c_n, LH * sizeof(float));
    const float *fc_w = m->params + m->fc_w_offset, *fc_b = m->params + m->fc_b_offset;
    for (size_t k = 0; k < K; k++) {
        float v = fc_b[k];
        for (size_t j = 0; j < m->F; j++)
            v += fc_w[k * m->F + j] * m->y[j];
        out[k] = m->config.loss == SEQ_LOSS_BCE ? sigmoid(v) : v;
    }
    if (m->config.loss == SEQ_LOSS_XENT) {
        float mx = out[0];
        for (size_t k = 1; k < K; k++)
            mx = fmaxf(mx, out[k]);
        double sum = 0;
        for (size_t k = 0; k < K; k++)
            sum += exp((double)out[k] - mx);
        for (size_t k = 0; k < K; k++)
            out[k] = (float)(exp((double)out[k] - mx) / sum);
    }
    return RECUR_OK;
}

/* ---- checkpoints ---- */

size_t seq_model_tensor_count(const seq_model *m)
{
    return (m->config.vocab_size ? 1 : 0) + recur_rnn_get_param_count(m->rnn) + 2;
}

void seq_model_tensor(const seq_model *m, size_t i, char *name, size_t size,
                      size_t *offset, size_t shape[2], size_t *ndim)
{
    size_t nr = recur_rnn_get_param_count(m->rnn);
    *ndim = 2;
    if (m->config.vocab_size) {
        if (i == 0) {
            snprintf(name, size, "embedding.weight");
            *offset = 0;
            shape[0] = m->config.vocab_size;
            shape[1] = m->config.embed_size;
            return;
        }
        i--;
    }
    if (i < nr) {
        const char *pname;
        float *data;
        recur_rnn_get_param(m->rnn, i, &pname, &data, &shape[0], &shape[1]);
        snprintf(name, size, "rnn.%s", pname);
        *offset = (size_t)(data - m->params);
        *ndim = stack_param_ndim(pname);
    } else if (i == nr) {
        snprintf(name, size, "fc.weight");
        *offset = m->fc_w_offset;
        shape[0] = m->K;
        shape[1] = m->F;
    } else {
        snprintf(name, size, "fc.bias");
        *offset = m->fc_b_offset;
        shape[0] = m->K;
        shape[1] = 1;
        *ndim = 1;
    }
}

static void tensor_of(const void *m, size_t i, char *name, size_t size,
                      size_t *offset, size_t shape[2], size_t *ndim)
{
    seq_model_tensor(m, i, name, size, offset, shape, ndim);
}

recur_status seq_model_write(const seq_model *m, const char *task,
                             st_writer *w)
{
    const seq_config *c = &m->config;
    recur_status s = parts_write_tensors(w, m, seq_model_tensor_count(m),
                                         tensor_of, m->params);
    if (!s) s = st_writer_meta(w, "format", "recur-seq");
    if (!s) s = st_writer_meta(w, "task", task);
    if (!s) s = parts_write_rnn_meta(w, &c->rnn);
    if (!s) s = meta_put(w, "vocab_size", "%zu", c->vocab_size);
    if (!s) s = meta_put(w, "embed_size", "%zu", c->embed_size);
    if (!s) s = meta_put(w, "outputs", "%zu", c->outputs);
    if (!s) s = st_writer_meta(w, "pool", seq_pool_str(c->pool));
    if (!s) s = st_writer_meta(w, "loss", seq_loss_str(c->loss));
    if (!s) s = meta_put_float(w, "dropout", c->dropout);
    return s;
}

static recur_status read_config(const st_file *st, const char *path,
                                seq_config *c)
{
    recur_status s = parts_check_format(st, path, "recur-seq", "sequence-model");
    if (s)
        return s;
    memset(c, 0, sizeof *c);
    if ((s = parts_read_rnn_meta(st, path, &c->rnn)) != RECUR_OK)
        return s;
    const char *pool = st_meta(st, "pool"), *loss = st_meta(st, "loss");
    if (!pool || seq_pool_parse(pool, &c->pool) || !loss ||
        seq_loss_parse(loss, &c->loss))
        return error_fail(RECUR_ERR_FORMAT, "%s: __metadata__ pool '%.20s' or "
                          "loss '%.20s' is not known", path, pool ? pool : "(none)",
                          loss ? loss : "(none)");
    size_t big = (size_t)1 << 24;
    s = meta_size(st, path, "vocab_size", (size_t)INT32_MAX, &c->vocab_size);
    if (!s) s = meta_size(st, path, "embed_size", big, &c->embed_size);
    if (!s) s = meta_size(st, path, "outputs", big, &c->outputs);
    if (!s) s = parts_read_dropout(st, path, &c->dropout);
    return s;
}

/* Every big tensor the configuration implies is in the file with that
 * shape, before anything of that size is allocated. */
static recur_status check_backed(const st_file *st, const char *path,
                                 const seq_config *c)
{
    const size_t P = c->rnn.proj_size ? c->rnn.proj_size : c->rnn.hidden_size;
    const size_t D = c->rnn.bidirectional ? 2 : 1;
    recur_status s = c->vocab_size ? st_check_2d(st, path, "embedding.weight",
                                                 c->vocab_size, c->embed_size)
                                   : RECUR_OK;
    if (!s)
        s = st_check_2d(st, path, "fc.weight", c->outputs, D * P);
    if (!s)
        s = parts_check_stack(st, path, "rnn.", &c->rnn);
    return s;
}

recur_status seq_model_read(const st_file *st, const char *path,
                            seq_model **out)
{
    seq_config c;
    seq_model *m = NULL;
    recur_status s = read_config(st, path, &c);
    if (!s)
        s = check_backed(st, path, &c);
    if (!s && (s = seq_model_create(&c, 0, &m)) != RECUR_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", recur_last_error());
        return error_fail(RECUR_ERR_FORMAT, "%s: %s", path, why);
    }
    if (!s)
        s = parts_read_tensors(st, path, m, seq_model_tensor_count(m),
                               tensor_of, m->params);
    if (s) {
        seq_model_free(m);
        return s;
    }
    *out = m;
    return RECUR_OK;
}
