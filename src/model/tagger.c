/*
 * tagger.c — the sequence tagger of tagger.h: creation, parameters, and a
 * batch of sentences forward and backward. The char model is
 * tagger_chars.c, checkpoints tagger_io.c.
 *
 * A batch: B sentences idx[0..B) of lengths len_b (T the longest), N
 * tokens in all, token n = the t-th of sentence b at n = start[b] + t
 * (the sentences one after another in idx order: the order of emissions,
 * tags and predictions).
 *   word ids     w_n, <unk> (1) in place of w with probability
 *                α / (α + count[w]) in training (word dropout, w >= 2)
 *   input        x [T, B, I] time-major, row (t, b) = [E[w_n], char_n],
 *                zeros past each sentence's end; × dropout mask
 *   stack        y [T, B, F] (F = D·P), the real lengths
 *   features     feat [N, F] = the real rows of y; × dropout mask
 *   emissions    emit [N, K] = feat · fcᵀ + b
 *   loss         softmax: Σ_n −log softmax(emit_n)[tag_n];
 *                crf: Σ_b nll_b (crf.h); either divided by N
 * Backward runs the same path in reverse with dloss = 1/N per token:
 * d_emit → fc → dfeat × mask → dy (0 at padding) → the stack → dx × mask
 * → the word embedding's rows (not row 0) and the char features' gradient
 * → the char model.
 *
 * Random draws (training only) come from m->rng in this order: word
 * dropout (one per token whose id is >= 2, when α > 0), the input mask
 * [T·B·I], the stack's masks between layers, the feature mask [N·F].
 */
#include "model/tagger.h"
#include "model/tagger_chars.h"
#include "base/bigmem.h"
#include "base/error.h"
#include "base/rng.h"
#include "kernels/gemm.h"
#include "model/crf.h"
#include "model/loss.h"
#include "model/parts.h"
#include "stack/stack.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tagger {
    tagger_config config;
    size_t E, C, I, P, F, K;     /* C = 2·Hc (0: no char model) */
    float *params, *grads;
    size_t n_params;
    size_t char_offset, rnn_offset, fc_w_offset, fc_b_offset, crf_offset;
    tagger_chars chars;          /* chars.rnn NULL: no char model */
    recur_rnn *rnn;              /* "rnn.", bound into params/grads */
    rng_state rng;
    int training;
    float alpha;                 /* word dropout; 0: off */
    uint32_t *count;             /* [Vw] training counts, or NULL */

    /* Batch workspace for up to rows_cap = T·B rows, N_cap tokens, B_cap
     * sentences and T_cap tokens in one sentence; grown, never shrunk. */
    size_t rows_cap, N_cap, B_cap, T_cap;
    float *work;
    /* dx shares x's buffer and dy y's: x is read only by the stack's
     * forward (which keeps its own copy), y only until feat is taken. */
    float *x, *x_mask, *dx;          /* [rows, I] */
    float *y, *dy;                   /* [rows, F] */
    float *feat, *feat_mask, *dfeat; /* [N, F] */
    float *emit, *d_emit;            /* [N, K] */
    float *cfeat, *dcfeat;           /* [N, C] char features */
    void *index;                     /* the integer arrays below */
    size_t *token;                   /* [N] index into d->word */
    size_t *start;                   /* [B + 1] */
    int64_t *lengths;                /* [B] */
    double *crf_work;                /* crf_work_size(T_cap, K) */
    int32_t *word, *tag, *bp;        /* [N], [N], [T_cap · K] */
};

/* ---- creation ---- */

static recur_status check_config(const tagger_config *c)
{
    const size_t big = (size_t)1 << 24;
    if (!c)
        return error_fail(RECUR_ERR_ARGUMENT, "tagger configuration is NULL");
    if (c->words < 2 || c->words > (size_t)INT32_MAX)
        return error_fail(RECUR_ERR_ARGUMENT, "word vocabulary of %zu is not in "
                          "[2, 2^31) (ids 0 <pad> and 1 <unk> come first)",
                          c->words);
    if (c->tags == 0 || c->tags > big)
        return error_fail(RECUR_ERR_ARGUMENT, "%zu tags not in [1, 2^24]", c->tags);
    if (c->word_embed == 0 || c->word_embed > big)
        return error_fail(RECUR_ERR_ARGUMENT, "word embedding size %zu not in "
                          "[1, 2^24]", c->word_embed);
    if ((c->char_embed == 0) != (c->char_hidden == 0) || c->char_embed > big ||
        c->char_hidden > big)
        return error_fail(RECUR_ERR_ARGUMENT, "char embedding %zu and char hidden "
                          "size %zu: both 0 (no char model) or both in [1, 2^24]",
                          c->char_embed, c->char_hidden);
    if (c->char_embed && (c->chars < 2 || c->chars > (size_t)INT32_MAX))
        return error_fail(RECUR_ERR_ARGUMENT, "char vocabulary of %zu is not in "
                          "[2, 2^31)", c->chars);
    if (c->rnn.input_size != c->word_embed + 2 * c->char_hidden)
        return error_fail(RECUR_ERR_ARGUMENT, "the sentence stack's input_size "
                          "%zu is not word_embed + 2·char_hidden = %zu",
                          c->rnn.input_size, c->word_embed + 2 * c->char_hidden);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f))
        return error_fail(RECUR_ERR_ARGUMENT, "dropout %g is not in [0, 1)",
                          (double)c->dropout);
    if (c->crf != 0 && c->crf != 1)
        return error_fail(RECUR_ERR_ARGUMENT, "crf is %d, not 0 or 1", c->crf);
    return stack_check_config(&c->rnn);
}

/* PyTorch's defaults (tagger.h), in parameter order, from one generator. */
static void init_params(tagger *m, uint64_t seed)
{
    rng_state rng;
    rng_seed(&rng, seed);
    const tagger_config *c = &m->config;
    float *p = m->params;
    parts_init_normal(p, c->words * m->E, &rng);
    memset(p, 0, m->E * sizeof(float)); /* padding row */
    if (m->C) {
        float *emb = p + m->char_offset;
        parts_init_normal(emb, c->chars * c->char_embed, &rng);
        memset(emb, 0, c->char_embed * sizeof(float));
        parts_init_uniform(emb + c->chars * c->char_embed,
                           recur_rnn_get_flat_size(m->chars.rnn),
                           1.0f / sqrtf((float)c->char_hidden), &rng);
    }
    parts_init_uniform(p + m->rnn_offset, recur_rnn_get_flat_size(m->rnn),
                       1.0f / sqrtf((float)c->rnn.hidden_size), &rng);
    parts_init_uniform(p + m->fc_w_offset, m->K * m->F + m->K,
                       1.0f / sqrtf((float)m->F), &rng);
    if (c->crf)
        parts_init_uniform(p + m->crf_offset, 2 * m->K + m->K * m->K, 0.1f, &rng);
    stack_init_layer_norm(m->rnn);
}

recur_status tagger_create(const tagger_config *config, uint64_t seed,
                           tagger **out)
{
    if (!out)
        return error_fail(RECUR_ERR_ARGUMENT, "output handle pointer is NULL");
    recur_status s = check_config(config);
    if (s)
        return s;
    tagger *m = calloc(1, sizeof *m);
    if (!m)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    m->config = *config;
    if ((s = stack_alloc(&config->rnn, &m->rnn)) != RECUR_OK ||
        (config->char_embed &&
         (s = tagger_chars_init(&m->chars, config->chars, config->char_embed,
                                config->char_hidden)) != RECUR_OK)) {
        tagger_free(m);
        return s;
    }
    m->E = config->word_embed;
    m->C = 2 * config->char_hidden;
    m->I = config->rnn.input_size;
    m->K = config->tags;
    m->P = recur_rnn_get_output_size(m->rnn);
    m->F = (config->rnn.bidirectional ? 2 : 1) * m->P;
    /* The flat array: word_embedding.weight at 0, then each part below
     * after the one before it (Vw·E <= 2^55, the other sizes below 2^50:
     * no overflow). */
    size_t *const ends[] = {&m->char_offset, &m->rnn_offset, &m->fc_w_offset,
                            &m->fc_b_offset, &m->crf_offset, &m->n_params};
    const size_t parts[] = {config->words * m->E,
                            m->C ? tagger_chars_size(&m->chars) : 0,
                            recur_rnn_get_flat_size(m->rnn), m->K * m->F, m->K,
                            config->crf ? 2 * m->K + m->K * m->K : 0};
    for (size_t i = 0, end = 0; i < 6; i++)
        *ends[i] = end += parts[i];
    if ((s = parts_flat_arrays(m->n_params, &m->params, &m->grads)) != RECUR_OK) {
        tagger_free(m);
        return s;
    }
    if (m->C)
        tagger_chars_bind(&m->chars, m->params + m->char_offset,
                          m->grads + m->char_offset);
    tagger_set_seed(m, seed);
    parts_attach_stack(m->rnn, m->params + m->rnn_offset, m->grads + m->rnn_offset,
                       config->dropout, &m->rng);
    init_params(m, seed);
    *out = m;
    return RECUR_OK;
}

void tagger_free(tagger *m)
{
    if (!m)
        return;
    recur_rnn_free(m->rnn);
    if (m->chars.rnn)
        tagger_chars_free(&m->chars);
    big_free(m->params);
    big_free(m->grads);
    big_free(m->work);
    free(m->index);
    free(m->count);
    free(m);
}

const tagger_config *tagger_get_config(const tagger *m) { return &m->config; }
size_t tagger_size(const tagger *m) { return m->n_params; }
float *tagger_params(tagger *m) { return m->params; }
float *tagger_grads(tagger *m) { return m->grads; }

size_t tagger_tensor_count(const tagger *m)
{
    return 1 + (m->C ? 1 + recur_rnn_get_param_count(m->chars.rnn) : 0) +
           recur_rnn_get_param_count(m->rnn) + 2 + (m->config.crf ? 3 : 0);
}

/* Tensor i of a stack under its prefix. */
static void stack_tensor(const tagger *m, recur_rnn *rnn, const char *prefix,
                         size_t i, char *name, size_t size, size_t *offset,
                         size_t shape[2], size_t *ndim)
{
    const char *pname;
    float *data;
    recur_rnn_get_param(rnn, i, &pname, &data, &shape[0], &shape[1]);
    snprintf(name, size, "%s%s", prefix, pname);
    *offset = (size_t)(data - m->params);
    *ndim = stack_param_ndim(pname);
}

void tagger_tensor(const tagger *m, size_t i, char *name, size_t size,
                   size_t *offset, size_t shape[2], size_t *ndim)
{
    const size_t K = m->K;
    *ndim = 2;
    if (i == 0) {
        snprintf(name, size, "word_embedding.weight");
        *offset = 0;
        shape[0] = m->config.words;
        shape[1] = m->E;
        return;
    }
    i--;
    if (m->C) {
        size_t nc = recur_rnn_get_param_count(m->chars.rnn);
        if (i == 0) {
            snprintf(name, size, "char_embedding.weight");
            *offset = m->char_offset;
            shape[0] = m->config.chars;
            shape[1] = m->config.char_embed;
            return;
        }
        if (i <= nc) {
            stack_tensor(m, m->chars.rnn, "char_rnn.", i - 1, name, size, offset,
                         shape, ndim);
            return;
        }
        i -= 1 + nc;
    }
    size_t nr = recur_rnn_get_param_count(m->rnn);
    if (i < nr) {
        stack_tensor(m, m->rnn, "rnn.", i, name, size, offset, shape, ndim);
        return;
    }
    /* fc.weight [K, F], fc.bias [K], then the CRF's: start [K], end [K],
     * transitions [K, K], one after another in the array. */
    static const char *const tail[] = {"fc.weight", "fc.bias",
                                       "crf.start_transitions",
                                       "crf.end_transitions", "crf.transitions"};
    i -= nr;
    snprintf(name, size, "%s", tail[i]);
    const size_t offsets[] = {m->fc_w_offset, m->fc_b_offset, m->crf_offset,
                              m->crf_offset + K, m->crf_offset + 2 * K};
    *offset = offsets[i];
    shape[0] = K;
    shape[1] = i == 0 ? m->F : i == 4 ? K : 1;
    *ndim = i == 0 || i == 4 ? 2 : 1;
}

void tagger_set_training(tagger *m, int training)
{
    m->training = training;
    stack_set_training(m->rnn, training);
}

void tagger_set_seed(tagger *m, uint64_t seed)
{
    rng_seed(&m->rng, seed ^ 0x7461676765720000ull); /* "tagger" */
}

recur_status tagger_set_word_dropout(tagger *m, float alpha,
                                     const uint32_t *count)
{
    if (!m || !(alpha >= 0.0f && isfinite(alpha)))
        return error_fail(RECUR_ERR_ARGUMENT, "word dropout α %g is not a "
                          "finite number >= 0", m ? (double)alpha : 0.0);
    if (alpha > 0.0f && !count)
        return error_fail(RECUR_ERR_ARGUMENT, "word dropout needs the words' "
                          "training counts");
    uint32_t *copy = NULL;
    if (alpha > 0.0f) {
        if (!(copy = malloc(m->config.words * sizeof(uint32_t))))
            return error_fail(RECUR_ERR_MEMORY, "out of memory");
        memcpy(copy, count, m->config.words * sizeof(uint32_t));
    }
    free(m->count);
    m->count = copy;
    m->alpha = alpha;
    return RECUR_OK;
}

/* ---- the batch ---- */

/* Room for rows = T·B rows, N tokens, B sentences, T tokens in one. */
static recur_status ensure_work(tagger *m, size_t rows, size_t N, size_t B,
                                size_t T)
{
    if (rows <= m->rows_cap && N <= m->N_cap && B <= m->B_cap && T <= m->T_cap)
        return RECUR_OK;
    rows = rows > m->rows_cap ? rows : m->rows_cap;
    N = N > m->N_cap ? N : m->N_cap;
    B = B > m->B_cap ? B : m->B_cap;
    T = T > m->T_cap ? T : m->T_cap;
    const size_t I = m->I, F = m->F, K = m->K, C = m->C;
    /* 8-byte slots: token [N], start [B + 1], lengths [B], the CRF's work;
     * then int32 word [N], tag [N], bp [T·K], two to a slot. */
    size_t crf = m->config.crf ? crf_work_size(T, K) : 0, ints, slots;
    if (crf == SIZE_MAX || !size_mul_ok(T, K, &ints) ||
        !size_add_ok(ints, 2 * N + 1, &ints) ||
        !size_add_ok(N + 2 * B + 1, crf, &slots) ||
        !size_add_ok(slots, ints / 2 + 1, &slots) ||
        slots > SIZE_MAX / sizeof(double))
        return error_fail(RECUR_ERR_MEMORY, "a batch of %zu tokens is too large", N);
    double *ix = malloc(slots * sizeof(double));
    if (!ix)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for a batch of %zu "
                          "tokens", N);
    const parts_view views[] = {
        {&m->x, rows, I},      {&m->x_mask, rows, I}, {&m->y, rows, F},
        {&m->feat, N, F},      {&m->feat_mask, N, F}, {&m->dfeat, N, F},
        {&m->emit, N, K},      {&m->d_emit, N, K},    {&m->cfeat, N, C},
        {&m->dcfeat, N, C},
    };
    recur_status s = parts_carve(&m->work, views, sizeof views / sizeof *views,
                                 "the batch's workspace");
    if (s) {
        free(ix);
        return s;
    }
    m->dx = m->x;
    m->dy = m->y;
    _Static_assert(sizeof(size_t) == sizeof(double) &&
                       sizeof(int64_t) == sizeof(double),
                   "8-byte slots");
    free(m->index);
    m->index = ix;
    m->token = (size_t *)ix;
    m->start = m->token + N;
    m->lengths = (int64_t *)(m->start + B + 1);
    m->crf_work = (double *)(m->lengths + B);
    m->word = (int32_t *)(m->crf_work + crf);
    m->tag = m->word + N;
    m->bp = m->tag + N;
    m->rows_cap = rows;
    m->N_cap = N;
    m->B_cap = B;
    m->T_cap = T;
    return RECUR_OK;
}

/* Every id and offset the batch reads, before anything is read through
 * them; *N the tokens, *T the longest sentence. */
static recur_status check_batch(const tagger *m, const tag_data *d,
                                const size_t *idx, size_t B, int labels,
                                size_t *N, size_t *T)
{
    const tagger_config *c = &m->config;
    if (!d || !idx || B == 0 || !d->offset || !d->word ||
        (m->C && (!d->char_offset || !d->chars)))
        return error_fail(RECUR_ERR_ARGUMENT, "the tagger got no sentences "
                          "(a NULL array or an empty batch)");
    if (labels && !d->tag)
        return error_fail(RECUR_ERR_ARGUMENT, "the loss needs the sentences' "
                          "tags, and the data has none");
    *N = 0;
    *T = 0;
    for (size_t b = 0; b < B; b++) {
        size_t i = idx[b];
        if (i >= d->n)
            return error_fail(RECUR_ERR_ARGUMENT, "sentence %zu of %zu", i, d->n);
        if (d->offset[i + 1] <= d->offset[i])
            return error_fail(RECUR_ERR_ARGUMENT, "sentence %zu has no token", i);
        size_t len = tag_len(d, i);
        *T = len > *T ? len : *T;
        if (!size_add_ok(*N, len, N))
            return error_fail(RECUR_ERR_ARGUMENT, "batch too large");
        for (size_t k = d->offset[i]; k < d->offset[i + 1]; k++) {
            if (d->word[k] < 0 || (size_t)d->word[k] >= c->words)
                return error_fail(RECUR_ERR_ARGUMENT, "sentence %zu: word id %d "
                                  "not in [0, %zu)", i, (int)d->word[k], c->words);
            if (labels && (d->tag[k] < 0 || (size_t)d->tag[k] >= m->K))
                return error_fail(RECUR_ERR_ARGUMENT, "sentence %zu: tag id %d "
                                  "not in [0, %zu)", i, (int)d->tag[k], m->K);
            if (!m->C)
                continue;
            if (d->char_offset[k + 1] <= d->char_offset[k])
                return error_fail(RECUR_ERR_ARGUMENT, "sentence %zu: token %zu "
                                  "has no char", i, k - d->offset[i]);
            for (size_t j = d->char_offset[k]; j < d->char_offset[k + 1]; j++)
                if (d->chars[j] < 0 || (size_t)d->chars[j] >= c->chars)
                    return error_fail(RECUR_ERR_ARGUMENT, "sentence %zu: char id "
                                      "%d not in [0, %zu)", i, (int)d->chars[j],
                                      c->chars);
        }
    }
    if (*N > gemm_max_dim())
        return error_fail(RECUR_ERR_ARGUMENT, "a batch of %zu tokens is more "
                          "than a product takes (%zu)", *N, gemm_max_dim());
    return RECUR_OK;
}

/* The word ids of the batch's tokens, each read as <unk> with probability
 * α / (α + count[w]) in training (w >= 2). */
static void read_words(tagger *m, const tag_data *d, size_t N)
{
    const int drop = m->training && m->alpha > 0.0f;
    for (size_t n = 0; n < N; n++) {
        int32_t w = d->word[m->token[n]];
        if (drop && w >= 2) {
            float a = m->alpha, keep = a / (a + (float)m->count[w]);
            if (rng_uniform(&m->rng) < keep)
                w = 1;
        }
        m->word[n] = w;
    }
}

/* x [T, B, I]: row (t, b) = [word embedding, char feature] of token
 * start[b] + t, zeros past each end. */
static void gather_input(tagger *m, size_t T, size_t B)
{
    const size_t I = m->I, E = m->E, C = m->C;
    memset(m->x, 0, T * B * I * sizeof(float));
    for (size_t b = 0; b < B; b++)
        for (size_t n = m->start[b]; n < m->start[b + 1]; n++) {
            float *row = m->x + ((n - m->start[b]) * B + b) * I;
            memcpy(row, m->params + (size_t)m->word[n] * E, E * sizeof(float));
            if (C)
                memcpy(row + E, m->cfeat + n * C, C * sizeof(float));
        }
}

/* The loss summed over the batch (and, with grads, its gradient of the
 * mean into d_emit); the predictions into pred when given. */
static recur_status emissions_loss(tagger *m, size_t B, int grads, int labels,
                                   double *sum, int32_t *pred)
{
    const size_t K = m->K, N = m->start[B];
    const float scale = 1.0f / (float)N;
    if (!m->config.crf) {
        for (size_t n = 0; pred && n < N; n++) {
            const float *e = m->emit + n * K;
            size_t best = 0;
            for (size_t k = 1; k < K; k++)
                best = e[k] > e[best] ? k : best;
            pred[n] = (int32_t)best;
        }
        size_t counted;
        if (labels)
            *sum = softmax_xent(m->emit, N, K, m->tag, scale,
                                grads ? m->d_emit : NULL, &counted);
        return RECUR_OK;
    }
    const float *p = m->params + m->crf_offset;
    float *g = m->grads + m->crf_offset;
    const crf_params cp = {.start = p, .end = p + K, .trans = p + 2 * K};
    const crf_grads cg = {.start = g, .end = g + K, .trans = g + 2 * K};
    if (grads)
        memset(m->d_emit, 0, N * K * sizeof(float));
    *sum = 0;
    for (size_t b = 0; b < B; b++) {
        size_t o = m->start[b], len = m->start[b + 1] - o;
        recur_status s = RECUR_OK;
        if (pred)
            s = crf_viterbi(&cp, m->emit + o * K, len, K, m->crf_work, m->bp,
                            pred + o, NULL);
        double nll = 0;
        if (!s && labels)
            s = crf_nll(&cp, m->emit + o * K, m->tag + o, len, K, scale,
                        grads ? m->d_emit + o * K : NULL, grads ? &cg : NULL,
                        m->crf_work, &nll);
        if (s)
            return s;
        *sum += nll;
    }
    return RECUR_OK;
}

/* From d_emit back to every parameter. */
static recur_status backward(tagger *m, const tag_data *d, size_t T, size_t B,
                             int drop)
{
    const size_t I = m->I, E = m->E, F = m->F, K = m->K, C = m->C;
    const size_t N = m->start[B];
    parts_linear_backward(m->params + m->fc_w_offset, m->feat, m->d_emit, N, F,
                          K, m->grads + m->fc_w_offset, m->grads + m->fc_b_offset,
                          m->dfeat);
    if (drop)
        for (size_t i = 0; i < N * F; i++)
            m->dfeat[i] *= m->feat_mask[i];
    memset(m->dy, 0, T * B * F * sizeof(float));
    for (size_t b = 0; b < B; b++)
        for (size_t n = m->start[b]; n < m->start[b + 1]; n++)
            memcpy(m->dy + ((n - m->start[b]) * B + b) * F, m->dfeat + n * F,
                   F * sizeof(float));
    recur_status s = recur_rnn_backward(m->rnn, m->dy, NULL, NULL, m->dx, NULL,
                                        NULL);
    if (s)
        return s;
    if (drop)
        for (size_t i = 0; i < T * B * I; i++)
            m->dx[i] *= m->x_mask[i];
    for (size_t b = 0; b < B; b++)
        for (size_t n = m->start[b]; n < m->start[b + 1]; n++) {
            const float *row = m->dx + ((n - m->start[b]) * B + b) * I;
            if (m->word[n] != 0) { /* padding_idx: no gradient */
                float *g = m->grads + (size_t)m->word[n] * E;
                for (size_t k = 0; k < E; k++)
                    g[k] += row[k];
            }
            if (C)
                memcpy(m->dcfeat + n * C, row + E, C * sizeof(float));
        }
    return C ? tagger_chars_backward(&m->chars, d, m->dcfeat)
             : RECUR_OK;
}

recur_status tagger_batch(tagger *m, const tag_data *d, const size_t *idx,
                          size_t B, int grads, double *loss_sum,
                          size_t *counted, int32_t *pred)
{
    if (!m)
        return error_fail(RECUR_ERR_ARGUMENT, "tagger handle is NULL");
    const int labels = grads || loss_sum;
    size_t N = 0, T = 0, rows;
    recur_status s = check_batch(m, d, idx, B, labels, &N, &T);
    if (s)
        return s;
    if (!size_mul_ok(T, B, &rows))
        return error_fail(RECUR_ERR_ARGUMENT, "batch too large");
    if ((s = ensure_work(m, rows, N, B, T)) != RECUR_OK)
        return s;
    const size_t I = m->I, F = m->F, K = m->K;
    const int drop = m->training && m->config.dropout > 0.0f;
    m->start[0] = 0;
    for (size_t b = 0; b < B; b++) {
        size_t o = d->offset[idx[b]], len = tag_len(d, idx[b]);
        m->lengths[b] = (int64_t)len;
        m->start[b + 1] = m->start[b] + len;
        for (size_t t = 0; t < len; t++) {
            m->token[m->start[b] + t] = o + t;
            if (labels)
                m->tag[m->start[b] + t] = d->tag[o + t];
        }
    }
    read_words(m, d, N);
    if (m->C && (s = tagger_chars_forward(&m->chars, d, m->token, N,
                                          m->cfeat)) != RECUR_OK)
        return s;
    gather_input(m, T, B);
    if (drop)
        parts_dropout(&m->rng, m->config.dropout, m->x, m->x_mask, rows * I);
    s = recur_rnn_forward(m->rnn, T, B, m->x, m->lengths, NULL, NULL, m->y,
                          NULL, NULL);
    if (s)
        return s;
    for (size_t b = 0; b < B; b++)
        for (size_t n = m->start[b]; n < m->start[b + 1]; n++)
            memcpy(m->feat + n * F, m->y + ((n - m->start[b]) * B + b) * F,
                   F * sizeof(float));
    if (drop)
        parts_dropout(&m->rng, m->config.dropout, m->feat, m->feat_mask, N * F);
    parts_linear_forward(m->params + m->fc_w_offset, m->params + m->fc_b_offset,
                         m->feat, N, F, K, m->emit);
    double sum = 0;
    if ((s = emissions_loss(m, B, grads, labels, &sum, pred)) != RECUR_OK)
        return s;
    if (grads && (s = backward(m, d, T, B, drop)) != RECUR_OK)
        return s;
    if (loss_sum)
        *loss_sum = sum;
    if (counted)
        *counted = N;
    return RECUR_OK;
}
