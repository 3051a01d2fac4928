/*
 * stack.c — the recur_rnn handle: configuration, parameters, and forward /
 * backward through L layers × D directions.
 *
 * Layer l > 0 reads the concatenated [forward, backward] outputs of layer
 * l − 1 ([N, D*P] packed). States h_n / c_n are [L*D, B, .] indexed
 * layer*D + direction, as PyTorch. Variable lengths follow
 * pack_padded_sequence(enforce_sorted=False) + pad_packed_sequence: the
 * batch is sorted by decreasing length and packed (cell.h), so padded
 * positions cost nothing and come out as zeros.
 */
#include "stack/stack.h"
#include "base/bigmem.h"
#include "base/error.h"
#include "kernels/gemm.h"
#include "base/rng.h"

#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- configuration ---- */

static const char *const mode_names[] = {"RNN_TANH", "RNN_RELU", "LSTM", "GRU",
                                         "GRU_RESET_BEFORE"};

const char *recur_mode_str(recur_mode mode)
{
    if ((unsigned)mode >= sizeof mode_names / sizeof mode_names[0])
        return NULL;
    return mode_names[mode];
}

recur_status recur_mode_parse(const char *name, recur_mode *mode)
{
    if (!name || !mode)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_mode_parse: NULL argument");
    for (size_t m = 0; m < sizeof mode_names / sizeof mode_names[0]; m++)
        if (strcmp(name, mode_names[m]) == 0) {
            *mode = (recur_mode)m;
            return RECUR_OK;
        }
    return error_fail(RECUR_ERR_ARGUMENT,
                      "unknown mode '%.64s' (expected LSTM, GRU, "
                      "GRU_RESET_BEFORE, RNN_TANH or RNN_RELU)", name);
}

recur_rnn_config recur_rnn_config_default(recur_mode mode, size_t input_size,
                                          size_t hidden_size)
{
    recur_rnn_config c = {0};
    c.mode = mode;
    c.input_size = input_size;
    c.hidden_size = hidden_size;
    c.num_layers = 1;
    c.bias = 1;
    return c;
}

static size_t gates_of(recur_mode mode)
{
    switch (mode) {
    case RECUR_LSTM: return 4;
    case RECUR_GRU:
    case RECUR_GRU_RESET_BEFORE: return 3;
    default: return 1;
    }
}

recur_status stack_check_config(const recur_rnn_config *c)
{
    if (!c)
        return error_fail(RECUR_ERR_ARGUMENT, "configuration is NULL");
    if (!recur_mode_str(c->mode))
        return error_fail(RECUR_ERR_ARGUMENT, "unknown mode %d", (int)c->mode);
    if (c->input_size == 0 || c->hidden_size == 0)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "input_size (%zu) and hidden_size (%zu) must be >= 1",
                          c->input_size, c->hidden_size);
    if (c->num_layers == 0 || c->num_layers > RECUR_MAX_LAYERS)
        return error_fail(RECUR_ERR_ARGUMENT, "num_layers %zu not in [1, %d]",
                          c->num_layers, RECUR_MAX_LAYERS);
    if (c->proj_size && c->mode != RECUR_LSTM)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "proj_size is only for LSTM, not %s",
                          recur_mode_str(c->mode));
    if (c->proj_size >= c->hidden_size && c->proj_size)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "proj_size %zu must be smaller than hidden_size %zu",
                          c->proj_size, c->hidden_size);
    if ((c->bidirectional | c->bias | c->layer_norm) & ~1)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "bidirectional, bias and layer_norm must be 0 or 1");
    if (c->layer_norm && c->mode != RECUR_LSTM && c->mode != RECUR_GRU)
        return error_fail(RECUR_ERR_UNSUPPORTED,
                          "layer_norm is for LSTM and GRU (linear before "
                          "reset) only, not %s", recur_mode_str(c->mode));
    /* Every dimension and leading dimension handed to the BLAS must fit. */
    size_t G = gates_of(c->mode), D = c->bidirectional ? 2 : 1;
    size_t P = c->proj_size ? c->proj_size : c->hidden_size, GH, wide, cells;
    size_t in = c->input_size > D * P ? c->input_size : D * P;
    if (!size_mul_ok(G, c->hidden_size, &GH) || !size_mul_ok(GH, in, &cells) ||
        !size_mul_ok(D, P, &wide) || cells > gemm_max_dim() ||
        in > gemm_max_dim())
        return error_fail(RECUR_ERR_ARGUMENT,
                          "sizes too large (input %zu, hidden %zu)",
                          c->input_size, c->hidden_size);
    return RECUR_OK;
}

/* ---- parameters ---- */

/* Layer-norm tensors per cell: γ, β of W_ih x and W_hh h; LSTM: of c'. */
static size_t ln_per_cell(const recur_rnn *rnn)
{
    if (!rnn->config.layer_norm)
        return 0;
    return rnn->config.mode == RECUR_LSTM ? 6 : 4;
}

static size_t params_per_cell(const recur_rnn *rnn)
{
    return 2 + (rnn->config.bias ? 2 : 0) + (rnn->config.proj_size ? 1 : 0) +
           ln_per_cell(rnn);
}

static size_t layer_input(const recur_rnn *rnn, size_t l)
{
    return l == 0 ? rnn->config.input_size : rnn->D * rnn->P;
}

void stack_layer_dims(const recur_rnn *rnn, size_t l, cell_dims *d)
{
    d->mode = rnn->config.mode;
    d->I = layer_input(rnn, l);
    d->H = rnn->config.hidden_size;
    d->P = rnn->P;
    d->G = rnn->G;
    d->layer_norm = rnn->config.layer_norm;
}

void stack_layer_params(const recur_rnn *rnn, size_t l, size_t dir, int grads,
                        cell_params *out)
{
    float *base = grads ? rnn->grads : rnn->params;
    const stack_param *t = rnn->table + (l * rnn->D + dir) * params_per_cell(rnn);
    memset(out, 0, sizeof *out);
    out->w_ih = base + t[0].offset;
    out->w_hh = base + t[1].offset;
    if (rnn->config.bias) {
        out->b_ih = base + t[2].offset;
        out->b_hh = base + t[3].offset;
    }
    if (rnn->config.proj_size)
        out->w_hr = base + t[rnn->config.bias ? 4 : 2].offset;
    if (rnn->config.layer_norm) {
        t += params_per_cell(rnn) - ln_per_cell(rnn);
        out->ln_ih_w = base + t[0].offset;
        out->ln_ih_b = base + t[1].offset;
        out->ln_hh_w = base + t[2].offset;
        out->ln_hh_b = base + t[3].offset;
        if (rnn->config.mode == RECUR_LSTM) {
            out->ln_c_w = base + t[4].offset;
            out->ln_c_b = base + t[5].offset;
        }
    }
}

/* Appends a parameter to the table; 0 when the total size overflows. */
static int add_param(recur_rnn *rnn, const char *kind, size_t l, size_t dir,
                     size_t rows, size_t cols)
{
    stack_param *t = rnn->table + rnn->param_count++;
    snprintf(t->name, sizeof t->name, "%s_l%zu%s", kind, l,
             dir ? "_reverse" : "");
    t->offset = rnn->flat_size;
    t->rows = rows;
    t->cols = cols;
    size_t n;
    return size_mul_ok(rows, cols, &n) &&
           size_add_ok(rnn->flat_size, n, &rnn->flat_size);
}

recur_status stack_alloc(const recur_rnn_config *config, recur_rnn **out)
{
    if (!out)
        return error_fail(RECUR_ERR_ARGUMENT, "output handle pointer is NULL");
    recur_status st = stack_check_config(config);
    if (st)
        return st;
    recur_rnn *rnn = calloc(1, sizeof *rnn);
    if (!rnn)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    rnn->config = *config;
    rnn->G = gates_of(config->mode);
    rnn->P = config->proj_size ? config->proj_size : config->hidden_size;
    rnn->D = config->bidirectional ? 2 : 1;
    size_t L = config->num_layers, D = rnn->D, H = config->hidden_size;
    size_t GH = rnn->G * H;

    rnn->table = calloc(L * D * params_per_cell(rnn), sizeof *rnn->table);
    rnn->out = calloc(L, sizeof *rnn->out);
    rnn->cache = calloc(L * D, sizeof *rnn->cache);
    rnn->drop_in = calloc(L, sizeof *rnn->drop_in);
    rnn->drop_mask = calloc(L, sizeof *rnn->drop_mask);
    rnn->owns_params = 1;
    /* Seeded, so that masks are random even before
     * recur_rnn_set_regularizers. */
    rng_seed(&rnn->own_rng, 0);
    rnn->rng = &rnn->own_rng;
    if (!rnn->table || !rnn->out || !rnn->cache || !rnn->drop_in ||
        !rnn->drop_mask) {
        recur_rnn_free(rnn);
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    }
    int ok = 1;
    for (size_t l = 0; l < L; l++)
        for (size_t dir = 0; dir < D; dir++) {
            ok &= add_param(rnn, "weight_ih", l, dir, GH, layer_input(rnn, l));
            ok &= add_param(rnn, "weight_hh", l, dir, GH, rnn->P);
            if (config->bias) {
                ok &= add_param(rnn, "bias_ih", l, dir, GH, 1);
                ok &= add_param(rnn, "bias_hh", l, dir, GH, 1);
            }
            if (config->proj_size)
                ok &= add_param(rnn, "weight_hr", l, dir, rnn->P, H);
            if (config->layer_norm) {
                ok &= add_param(rnn, "weight_ln_ih", l, dir, GH, 1);
                ok &= add_param(rnn, "bias_ln_ih", l, dir, GH, 1);
                ok &= add_param(rnn, "weight_ln_hh", l, dir, GH, 1);
                ok &= add_param(rnn, "bias_ln_hh", l, dir, GH, 1);
            }
            if (config->layer_norm && config->mode == RECUR_LSTM) {
                ok &= add_param(rnn, "weight_ln_c", l, dir, H, 1);
                ok &= add_param(rnn, "bias_ln_c", l, dir, H, 1);
            }
        }
    if (!ok) {
        recur_rnn_free(rnn);
        return error_fail(RECUR_ERR_MEMORY, "too many parameters");
    }
    rnn->params = big_floats_zeroed(rnn->flat_size);
    rnn->grads = big_floats_zeroed(rnn->flat_size);
    if (!rnn->params || !rnn->grads) {
        size_t flat_size = rnn->flat_size;
        recur_rnn_free(rnn);
        return error_fail(RECUR_ERR_MEMORY,
                          "out of memory for %zu parameters", flat_size);
    }
    *out = rnn;
    return RECUR_OK;
}

void stack_init_layer_norm(recur_rnn *rnn)
{
    for (size_t i = 0; i < rnn->param_count; i++) {
        const stack_param *t = rnn->table + i;
        int gain = !strncmp(t->name, "weight_ln_", 10);
        if (gain || !strncmp(t->name, "bias_ln_", 8))
            for (size_t k = 0; k < t->rows * t->cols; k++)
                rnn->params[t->offset + k] = gain ? 1.0f : 0.0f;
    }
}

recur_status recur_rnn_create(const recur_rnn_config *config, uint64_t seed,
                              recur_rnn **out)
{
    if (!out)
        return error_fail(RECUR_ERR_ARGUMENT, "output handle pointer is NULL");
    recur_rnn *rnn;
    recur_status st = stack_alloc(config, &rnn);
    if (st)
        return st;
    /* PyTorch: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)). */
    float bound = 1.0f / sqrtf((float)config->hidden_size);
    rng_state rng;
    rng_seed(&rng, seed);
    for (size_t i = 0; i < rnn->flat_size; i++)
        rnn->params[i] = (2.0f * rng_uniform(&rng) - 1.0f) * bound;
    stack_init_layer_norm(rnn);
    *out = rnn;
    return RECUR_OK;
}

void recur_rnn_free(recur_rnn *rnn)
{
    if (!rnn)
        return;
    if (rnn->owns_params) {
        big_free(rnn->params);
        big_free(rnn->grads);
    }
    free(rnn->table);
    free(rnn->out);
    free(rnn->cache);
    free(rnn->drop_in);
    free(rnn->drop_mask);
    big_free(rnn->work);
    free(rnn->steps);
    recur_rnn_unpack_weights(rnn);
    free(rnn);
}

recur_status recur_rnn_set_recompute(recur_rnn *rnn, size_t steps)
{
    if (!rnn)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_rnn_set_recompute: NULL");
    rnn->recompute = steps;
    rnn->have_forward = 0; /* the next forward plans for it */
    return RECUR_OK;
}

void recur_rnn_unpack_weights(recur_rnn *rnn)
{
    if (!rnn)
        return;
    free(rnn->fixed);
    big_free(rnn->fixed_block);
    free(rnn->fixed_sweep);
    rnn->fixed = NULL;
    rnn->fixed_block = NULL;
    rnn->fixed_sweep = NULL;
    if (rnn->lean_forward) /* it kept nothing for backward */
        rnn->have_forward = 0;
}

void stack_set_plain_step(recur_rnn *rnn, int plain)
{
    rnn->plain_step = plain;
    rnn->scratch.whole_inputs = rnn->scratch_rev.whole_inputs = plain;
}

recur_status recur_rnn_pack_weights(recur_rnn *rnn)
{
    if (!rnn)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_rnn_pack_weights: NULL");
    recur_rnn_unpack_weights(rnn);
    if (!gemm_packed_available())
        return RECUR_OK;
    const size_t cells = rnn->config.num_layers * rnn->D;
    /* Each packed matrix starts on a 64-byte boundary: sizes in 16s. */
    size_t total = 0;
    for (size_t c = 0; c < cells; c++) {
        cell_dims d;
        stack_layer_dims(rnn, c / rnn->D, &d);
        size_t GH = d.G * d.H;
        total += (gemm_pack_floats(GH, d.I) + 15) / 16 * 16 +
                 (gemm_pack_floats(GH, d.P) + 15) / 16 * 16;
    }
    gemm_b *fixed = calloc(2 * cells, sizeof *fixed);
    unsigned *sweep = calloc(cells, sizeof *sweep);
    float *block = total <= SIZE_MAX / sizeof(float)
                       ? big_alloc((total ? total : 16) * sizeof(float))
                       : NULL;
    if (!fixed || !sweep || !block) {
        free(fixed);
        free(sweep);
        big_free(block);
        return error_fail(RECUR_ERR_MEMORY,
                          "recur_rnn_pack_weights: out of memory (%zu floats)",
                          total);
    }
    float *at = block;
    for (size_t c = 0; c < cells; c++) {
        cell_dims d;
        cell_params p;
        stack_layer_dims(rnn, c / rnn->D, &d);
        stack_layer_params(rnn, c / rnn->D, c % rnn->D, 0, &p);
        size_t GH = d.G * d.H;
        gemm_pack(fixed + 2 * c, 1, GH, d.I, p.w_ih, d.I, at);
        at += (gemm_pack_floats(GH, d.I) + 15) / 16 * 16;
        gemm_pack(fixed + 2 * c + 1, 1, GH, d.P, p.w_hh, d.P, at);
        at += (gemm_pack_floats(GH, d.P) + 15) / 16 * 16;
    }
    rnn->fixed = fixed;
    rnn->fixed_block = block;
    rnn->fixed_sweep = sweep;
    return RECUR_OK;
}

void stack_bind(recur_rnn *rnn, float *params, float *grads)
{
    memcpy(params, rnn->params, rnn->flat_size * sizeof(float));
    memcpy(grads, rnn->grads, rnn->flat_size * sizeof(float));
    if (rnn->owns_params) {
        big_free(rnn->params);
        big_free(rnn->grads);
    }
    rnn->params = params;
    rnn->grads = grads;
    rnn->owns_params = 0;
}

recur_status stack_check_regularizers(const void *handle,
                                      const recur_regularizers *r,
                                      const char *who)
{
    if (!handle || !r)
        return error_fail(RECUR_ERR_ARGUMENT, "%s: NULL argument", who);
    if (!(r->dropout >= 0.0f && r->dropout < 1.0f))
        return error_fail(RECUR_ERR_ARGUMENT, "%s: dropout %g is not in [0, 1)",
                          who, (double)r->dropout);
    if (!(r->recurrent_dropout >= 0.0f && r->recurrent_dropout < 1.0f))
        return error_fail(RECUR_ERR_ARGUMENT,
                          "%s: recurrent_dropout %g is not in [0, 1)", who,
                          (double)r->recurrent_dropout);
    if (!(r->zoneout >= 0.0f && r->zoneout < 1.0f))
        return error_fail(RECUR_ERR_ARGUMENT, "%s: zoneout %g is not in [0, 1)",
                          who, (double)r->zoneout);
    if (r->variational & ~1)
        return error_fail(RECUR_ERR_ARGUMENT, "%s: variational must be 0 or 1",
                          who);
    return RECUR_OK;
}

void stack_set_regularizers(recur_rnn *rnn, const recur_regularizers *reg,
                            rng_state *rng)
{
    rnn->reg = *reg;
    rnn->rng = rng;
}

void stack_set_training(recur_rnn *rnn, int training)
{
    rnn->training = training != 0;
}

recur_status recur_rnn_set_regularizers(recur_rnn *rnn,
                                        const recur_regularizers *regularizers)
{
    recur_status s = stack_check_regularizers(rnn, regularizers,
                                              "recur_rnn_set_regularizers");
    if (s)
        return s;
    rng_seed(&rnn->own_rng, regularizers->seed);
    stack_set_regularizers(rnn, regularizers, &rnn->own_rng);
    return RECUR_OK;
}

recur_status recur_rnn_get_regularizers(const recur_rnn *rnn,
                                        recur_regularizers *out)
{
    if (!rnn || !out)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "recur_rnn_get_regularizers: NULL argument");
    *out = rnn->reg;
    return RECUR_OK;
}

void recur_rnn_set_training(recur_rnn *rnn, int training)
{
    if (rnn)
        stack_set_training(rnn, training);
}

int recur_rnn_get_training(const recur_rnn *rnn)
{
    return rnn ? rnn->training : 0;
}

const recur_rnn_config *recur_rnn_get_config(const recur_rnn *rnn)
{
    return rnn ? &rnn->config : NULL;
}

size_t recur_rnn_get_output_size(const recur_rnn *rnn) { return rnn ? rnn->P : 0; }

recur_status recur_rnn_set_batch_first(recur_rnn *rnn, int batch_first)
{
    if (!rnn || (batch_first & ~1))
        return error_fail(RECUR_ERR_ARGUMENT,
                          "recur_rnn_set_batch_first: NULL handle or value "
                          "other than 0/1");
    rnn->batch_first = batch_first;
    /* The cached forward was in the other layout. */
    rnn->have_forward = 0;
    return RECUR_OK;
}

int recur_rnn_get_batch_first(const recur_rnn *rnn)
{
    return rnn ? rnn->batch_first : 0;
}

recur_status recur_rnn_set_prefix(recur_rnn *rnn, const char *prefix)
{
    if (!rnn || !prefix)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_rnn_set_prefix: NULL argument");
    if (strlen(prefix) >= RECUR_PREFIX_MAX)
        return error_fail(RECUR_ERR_ARGUMENT, "prefix longer than %d bytes",
                          RECUR_PREFIX_MAX - 1);
    strcpy(rnn->prefix, prefix);
    return RECUR_OK;
}

const char *recur_rnn_get_prefix(const recur_rnn *rnn)
{
    return rnn ? rnn->prefix : "";
}

size_t recur_rnn_get_param_count(const recur_rnn *rnn)
{
    return rnn ? rnn->param_count : 0;
}

recur_status recur_rnn_get_param(recur_rnn *rnn, size_t index,
                                 const char **name, float **data, size_t *rows,
                                 size_t *cols)
{
    if (!rnn || index >= rnn->param_count)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "recur_rnn_get_param: NULL handle or index %zu out of range",
                          index);
    const stack_param *t = rnn->table + index;
    if (name) *name = t->name;
    if (data) *data = rnn->params + t->offset;
    if (rows) *rows = t->rows;
    if (cols) *cols = t->cols;
    return RECUR_OK;
}

recur_status recur_rnn_get_grad(recur_rnn *rnn, size_t index, float **grad)
{
    if (!rnn || !grad || index >= rnn->param_count)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "recur_rnn_get_grad: NULL argument or index %zu out of range",
                          index);
    *grad = rnn->grads + rnn->table[index].offset;
    return RECUR_OK;
}

size_t recur_rnn_get_flat_size(const recur_rnn *rnn)
{
    return rnn ? rnn->flat_size : 0;
}

float *recur_rnn_get_flat_params(recur_rnn *rnn)
{
    return rnn ? rnn->params : NULL;
}

float *recur_rnn_get_flat_grads(recur_rnn *rnn)
{
    return rnn ? rnn->grads : NULL;
}

void recur_rnn_zero_grad(recur_rnn *rnn)
{
    if (rnn)
        memset(rnn->grads, 0, rnn->flat_size * sizeof(float));
}

/* ---- workspace ---- */

/* Hands out consecutive pieces of the workspace, each on a 64-byte
 * boundary (the block is: bigmem.h), so that a view's rows start on cache
 * lines wherever its width allows. Run once with base NULL to size the
 * block (every product checked), then again to carve it. */
typedef struct {
    float *base;
    size_t used;
    int ok;
} carver;

static float *take(carver *cv, size_t a, size_t b, size_t c)
{
    size_t n, start;
    if (!cv->ok || !size_mul_ok(a, b, &n) || !size_mul_ok(n, c, &n)) {
        cv->ok = 0;
        return NULL;
    }
    if (n == 0)
        return NULL;
    if (!size_add_ok(cv->used, 15, &start) ||
        !size_add_ok(start / 16 * 16, n, &cv->used)) {
        cv->ok = 0;
        return NULL;
    }
    return cv->base ? cv->base + start / 16 * 16 : NULL;
}

/* One cell_scratch's views for B sequences and Nc rows: step and step2
 * from seq (floats per sequence), dgates, dgates_h and dh_all from row
 * (floats per row), wpack, ihpack and bias from row too (per stack);
 * nothing (NULL views) unless `used`. */
static void carve_scratch(carver *cv, cell_scratch *s, int used, size_t B,
                          size_t Nc, const cell_scratch_floats *seq,
                          const cell_scratch_floats *row)
{
    const size_t u = used ? 1 : 0;
    s->step = take(cv, B * u, seq->step, 1);
    s->step2 = take(cv, B * u, seq->step2, 1);
    s->dgates = take(cv, Nc * u, row->dgates, 1);
    s->dgates_h = take(cv, Nc * u, row->dgates_h, 1);
    s->dh_all = take(cv, Nc * u, row->dh_all, 1);
    s->wpack = take(cv, u, row->wpack, 1);
    s->wpack_floats = s->wpack ? row->wpack : 0;
    /* Only where cell_forward_inputs may take per-step input products. */
    const size_t steps =
        B >= CELL_STEP_INPUT_ROWS && row->ihpack && row->bias ? u : 0;
    s->ihpack = take(cv, steps, row->ihpack, 1);
    s->bias = take(cv, steps, row->bias, 1);
}

static void carve(recur_rnn *rnn, carver *cv, size_t N, size_t B)
{
    const size_t L = rnn->config.num_layers, D = rnn->D, P = rnn->P;
    const size_t H = rnn->config.hidden_size, I = rnn->config.input_size;
    const size_t wide = I > D * P ? I : D * P;
    /* Caches and per-row scratch: one segment's rows (all, without
     * recompute); checkpoints when there are several segments. */
    const size_t S = rnn->seg_len, nseg = (N / B + S - 1) / S;
    const size_t Nc = S * B < N ? S * B : N;
    cell_dims d;
    cell_cache_floats per_row;             /* times Nc below */
    cell_scratch_floats scratch_seq, scratch_row;
    stack_layer_dims(rnn, 0, &d);
    cell_cache_sizes(&d, 1, &per_row);
    cell_scratch_sizes(&d, 1, 0, &scratch_seq); /* per sequence */
    cell_scratch_sizes(&d, 0, 1, &scratch_row); /* per row */
    if (L > 1) { /* the per-stack packs: the widest input may be layer 1's */
        cell_scratch_floats layer1;
        stack_layer_dims(rnn, 1, &d);
        cell_scratch_sizes(&d, 0, 1, &layer1);
        scratch_row.wpack = layer1.wpack > scratch_row.wpack
                                ? layer1.wpack : scratch_row.wpack;
        scratch_row.ihpack = layer1.ihpack > scratch_row.ihpack
                                 ? layer1.ihpack : scratch_row.ihpack;
        scratch_row.bias = layer1.bias > scratch_row.bias
                               ? layer1.bias : scratch_row.bias;
    }

    /* What this forward uses (set before plan): masks sized 0 are NULL.
     * Every setting read here is in plan's key (rnn->planned). */
    const int lstm = rnn->config.mode == RECUR_LSTM, gru = rnn->G == 3;
    const int rec = rnn->training && rnn->reg.recurrent_dropout > 0.0f;
    const int zone = rnn->reg.zoneout > 0.0f;
    rnn->x_packed = take(cv, N, I, 1);
    for (size_t l = 0; l < L; l++)
        rnn->out[l] = take(cv, N, D, P);
    for (size_t l = 0; l + 1 < L; l++) {
        size_t w = rnn->dropped ? D * P : 0;
        rnn->drop_in[l] = take(cv, N, w, 1);
        rnn->drop_mask[l] = take(cv, rnn->per_sequence ? B : N, w, 1);
    }
    rnn->h_state = take(cv, L * D, B, P);
    rnn->c_state = take(cv, L * D, B, rnn->config.mode == RECUR_LSTM ? H : 0);
    rnn->d_in = take(cv, N, wide, 1);
    rnn->d_out = take(cv, N, wide, 1);
    /* A bidirectional stack without segments runs its directions at once
     * (stack_parallel_directions): the reverse one in scratch_rev. */
    const int rev = D == 2 && nseg == 1;
    rnn->d_in_rev = take(cv, rev ? N : 0, wide, 1);
    for (size_t c = 0; c < L * D; c++) {
        cell_cache *cc = rnn->cache + c;
        cc->gates = take(cv, Nc, per_row.gates, 1);
        cc->hprev = take(cv, Nc, per_row.hprev, 1);
        cc->tanh_c = take(cv, Nc, per_row.tanh_c, 1);
        cc->cprev = take(cv, Nc, per_row.cprev, 1);
        cc->hraw = take(cv, Nc, per_row.hraw, 1);
        cc->aux = take(cv, Nc, per_row.aux, 1);
        cc->ln_ih = take(cv, Nc, per_row.ln_ih, 1);
        cc->ln_hh = take(cv, Nc, per_row.ln_hh, 1);
        cc->ln_c = take(cv, Nc, per_row.ln_c, 1);
        cc->ln_r = take(cv, Nc, per_row.ln_r, 1);
        cc->rmask = take(cv, B, rec ? P : 0, 1);
        cc->hfull = take(cv, Nc, rec && gru ? P : 0, 1);
        cc->zh = take(cv, N, zone ? P : 0, 1);
        cc->zc = take(cv, N, zone && lstm ? H : 0, 1);
    }
    carve_scratch(cv, &rnn->scratch, 1, B, Nc, &scratch_seq, &scratch_row);
    carve_scratch(cv, &rnn->scratch_rev, rev, B, Nc, &scratch_seq,
                  &scratch_row);
    const size_t ck = nseg > 1 ? L * D * nseg : 0;
    rnn->ckpt_h = take(cv, ck, B, P);
    rnn->ckpt_c = take(cv, ck, B, lstm ? H : 0);
    rnn->seg_h = take(cv, ck ? B : 0, P, 1);
    rnn->seg_c = take(cv, ck ? B : 0, lstm ? H : 0, 1);
    size_t pih = 0, phh = 0;
    for (size_t l = 0; ck && l < L; l++) {
        cell_dims dl;
        stack_layer_dims(rnn, l, &dl);
        size_t a = gemm_pack_floats(dl.G * dl.H, dl.I);
        pih = a > pih ? a : pih;
        phh = gemm_pack_floats(dl.G * dl.H, dl.P);
    }
    pih = (pih + 15) / 16 * 16; /* W_hh's packing on a line after W_ih's */
    rnn->seg_pack = take(cv, 1, pih && phh ? pih + phh : 0, 1);
    rnn->seg_pack_ih = pih;
}

/* Sizes the workspace for T, B (at most N = T*B rows) and points every view
 * into it, growing the block when this shape needs more. The views depend
 * on T, B and what the forward uses (the settings carve reads, kept in
 * rnn->planned): unchanged since the last plan, they are left as they are
 * (a streaming caller's one-step calls plan once). */
static recur_status plan(recur_rnn *rnn, size_t T, size_t B)
{
    size_t N, steps;
    carver cv = {.base = NULL, .used = 0, .ok = 1};
    rnn->seg_len = rnn->recompute && rnn->recompute < T ? rnn->recompute : T;
    const int recurrent = rnn->training && rnn->reg.recurrent_dropout > 0.0f;
    const int zoneout = rnn->reg.zoneout > 0.0f;
    if (rnn->have_plan && rnn->planned.T == T && rnn->planned.B == B &&
        rnn->planned.seg_len == rnn->seg_len &&
        rnn->planned.dropped == rnn->dropped &&
        rnn->planned.per_sequence == rnn->per_sequence &&
        rnn->planned.recurrent == recurrent && rnn->planned.zoneout == zoneout)
        return RECUR_OK;
    rnn->have_plan = 0;
    int ok = size_mul_ok(T, B, &N) && N <= gemm_max_dim() &&
             size_mul_ok(T + 1, 4, &steps) && size_add_ok(steps, B, &steps);
    if (ok)
        carve(rnn, &cv, N, B);
    if (!ok || !cv.ok || cv.used > SIZE_MAX / sizeof(float))
        return error_fail(RECUR_ERR_MEMORY, "T=%zu, B=%zu is too large", T, B);

    if (cv.used > rnn->work_size) {
        float *w = big_alloc(cv.used * sizeof(float));
        if (!w)
            return error_fail(RECUR_ERR_MEMORY,
                              "out of memory for a %zu-float workspace", cv.used);
        big_free(rnn->work);
        rnn->work = w;
        rnn->work_size = cv.used;
    }
    if (steps > rnn->steps_size) {
        size_t *s = malloc(steps * sizeof(size_t));
        if (!s)
            return error_fail(RECUR_ERR_MEMORY, "out of memory");
        free(rnn->steps);
        rnn->steps = s;
        rnn->steps_size = steps;
    }
    carver real = {.base = rnn->work, .used = 0, .ok = 1};
    carve(rnn, &real, N, B);
    rnn->planned.T = T;
    rnn->planned.B = B;
    rnn->planned.seg_len = rnn->seg_len;
    rnn->planned.dropped = rnn->dropped;
    rnn->planned.per_sequence = rnn->per_sequence;
    rnn->planned.recurrent = recurrent;
    rnn->planned.zoneout = zoneout;
    rnn->have_plan = 1;
    return RECUR_OK;
}

/* ---- packing ---- */

/* Sorts the batch by decreasing length (stable, a counting sort) and fills
 * batch[], offset[] and perm. Lengths were checked to lie in [1, T]. */
static void pack_layout(recur_rnn *rnn, size_t T, size_t B,
                        const int64_t *lengths)
{
    size_t *batch = rnn->steps, *offset = batch + T, *perm = offset + T + 1;
    size_t *cursor = perm + B;
    rnn->seg_offset = cursor + T;
    if (lengths) {
        for (size_t t = 0; t < T; t++)
            batch[t] = 0;
        for (size_t b = 0; b < B; b++)
            batch[lengths[b] - 1]++;
        /* batch[t] = number of sequences longer than t. */
        for (size_t t = T - 1; t-- > 0;)
            batch[t] += batch[t + 1];
        /* Sequences of length t+1 take sorted places [batch[t+1], batch[t]). */
        for (size_t t = 0; t < T; t++)
            cursor[t] = t + 1 < T ? batch[t + 1] : 0;
        for (size_t b = 0; b < B; b++)
            perm[cursor[lengths[b] - 1]++] = b;
    } else {
        for (size_t b = 0; b < B; b++)
            perm[b] = b;
        for (size_t t = 0; t < T; t++)
            batch[t] = B;
    }
    offset[0] = 0;
    for (size_t t = 0; t < T; t++)
        offset[t + 1] = offset[t] + batch[t];
    rnn->layout.T = T;
    rnn->layout.batch = batch;
    rnn->layout.offset = offset;
    rnn->perm = perm;
    rnn->T = T;
    rnn->B = B;
    rnn->N = offset[T];
}

/* Row of the caller's [T, B, .] (or [B, T, .]) tensor at step t, batch b. */
static size_t seq_row(const recur_rnn *rnn, size_t t, size_t b)
{
    return rnn->batch_first ? b * rnn->T + t : t * rnn->B + b;
}

/* Packs src (caller layout, width w) into dst [N, w]; src NULL gives 0. */
static void gather_seq(const recur_rnn *rnn, const float *src, size_t w,
                       float *dst)
{
    const packed_layout *lay = &rnn->layout;
    for (size_t t = 0; t < lay->T; t++)
        for (size_t j = 0; j < lay->batch[t]; j++) {
            float *d = dst + (lay->offset[t] + j) * w;
            if (src)
                memcpy(d, src + seq_row(rnn, t, rnn->perm[j]) * w,
                       w * sizeof(float));
            else
                memset(d, 0, w * sizeof(float));
        }
}

/* Unpacks src [N, w] into dst (caller layout), zeros at padded steps. */
static void scatter_seq(const recur_rnn *rnn, const float *src, size_t w,
                        float *dst)
{
    const packed_layout *lay = &rnn->layout;
    for (size_t t = 0; t < lay->T; t++)
        for (size_t j = 0; j < rnn->B; j++) {
            float *d = dst + seq_row(rnn, t, rnn->perm[j]) * w;
            if (j < lay->batch[t])
                memcpy(d, src + (lay->offset[t] + j) * w, w * sizeof(float));
            else
                memset(d, 0, w * sizeof(float));
        }
}

/* States [L*D, B, w]: caller order <-> sorted order. */
static void gather_state(const recur_rnn *rnn, const float *src, size_t w,
                         float *dst)
{
    size_t cells = rnn->config.num_layers * rnn->D, B = rnn->B;
    for (size_t c = 0; c < cells; c++)
        for (size_t j = 0; j < B; j++) {
            float *d = dst + (c * B + j) * w;
            if (src)
                memcpy(d, src + (c * B + rnn->perm[j]) * w, w * sizeof(float));
            else
                memset(d, 0, w * sizeof(float));
        }
}

static void scatter_state(const recur_rnn *rnn, const float *src, size_t w,
                          float *dst)
{
    size_t cells = rnn->config.num_layers * rnn->D, B = rnn->B;
    for (size_t c = 0; c < cells; c++)
        for (size_t j = 0; j < B; j++)
            memcpy(dst + (c * B + rnn->perm[j]) * w, src + (c * B + j) * w,
                   w * sizeof(float));
}

/* ---- forward and backward ---- */

static void cell_fns(recur_mode mode, cell_forward_fn **fwd,
                     cell_backward_fn **bwd)
{
    switch (mode) {
    case RECUR_LSTM:
        *fwd = lstm_cell_forward;
        *bwd = lstm_cell_backward;
        break;
    case RECUR_GRU:
    case RECUR_GRU_RESET_BEFORE:
        *fwd = gru_cell_forward;
        *bwd = gru_cell_backward;
        break;
    default:
        *fwd = rnn_cell_forward;
        *bwd = rnn_cell_backward;
        break;
    }
}

/* The packed rows layer l reads: the input, the previous layer's output,
 * or that output after dropout. */
static const float *layer_input_rows(const recur_rnn *rnn, size_t l)
{
    if (l == 0)
        return rnn->x_rows;
    return rnn->dropped ? rnn->drop_in[l - 1] : rnn->out[l - 1];
}

/* Inverted dropout (PyTorch): keep with probability 1 − p, scale by
 * 1/(1 − p); the scaled mask is kept for backward. */
static void dropout_mask(rng_state *rng, float p, float *mask, size_t n)
{
    const float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++)
        mask[i] = rng_uniform(rng) < p ? 0.0f : keep;
}

/* x[N, w] *= the mask of each row: row j of every step takes mask row j
 * (per sequence, [B, w]) or its own row (per element, [N, w]). */
static void apply_mask(const recur_rnn *rnn, const float *mask, size_t w,
                       const float *x, float *out)
{
    const packed_layout *lay = &rnn->layout;
    for (size_t t = 0; t < lay->T; t++)
        for (size_t j = 0; j < lay->batch[t]; j++) {
            size_t row = lay->offset[t] + j;
            const float *m = mask + (rnn->per_sequence ? j : row) * w;
            for (size_t k = 0; k < w; k++)
                out[row * w + k] = x[row * w + k] * m[k];
        }
}

/* Dropout on layer l's output: drop_in[l] = out[l] ∘ mask, the mask drawn
 * per element or (variational) per sequence. */
static void drop_layer_output(recur_rnn *rnn, size_t l)
{
    const size_t w = rnn->D * rnn->P;
    dropout_mask(rnn->rng, rnn->reg.dropout, rnn->drop_mask[l],
                 (rnn->per_sequence ? rnn->B : rnn->N) * w);
    apply_mask(rnn, rnn->drop_mask[l], w, rnn->out[l], rnn->drop_in[l]);
}

/* The masks of one cell, drawn before it runs: recurrent dropout [B, P]
 * (one per sequence), then zoneout of h [N, P] and of c [N, H] (one per
 * element and step; 1 = keep the previous value). In evaluation zoneout's
 * masks hold z itself, its expectation. */
static void draw_cell_masks(recur_rnn *rnn, const cell_cache *cc)
{
    const size_t P = rnn->P, H = rnn->config.hidden_size, N = rnn->N;
    const float z = rnn->reg.zoneout;
    if (cc->rmask)
        dropout_mask(rnn->rng, rnn->reg.recurrent_dropout, cc->rmask, rnn->B * P);
    float *zm[2] = {cc->zh, cc->zc};
    size_t zn[2] = {N * P, N * H};
    for (int m = 0; m < 2; m++)
        for (size_t i = 0; zm[m] && i < zn[m]; i++)
            zm[m][i] = !rnn->training ? z
                       : rng_uniform(rnn->rng) < z ? 1.0f : 0.0f;
}

/* Whether the two directions of each layer run at once, one thread each
 * (their products then run alone in it; each row's sums are the same at
 * any thread count, so the bits do not change): a bidirectional stack
 * without segments, given two threads, whose cells make no BLAS call
 * (no projection, not the reset-before GRU; rows enough and more than one
 * step, so that every product is packed; G·H ≥ 64, so that the weight
 * gradients' chunks of K are long enough for gemm_tn to pack them).
 * Exactly two: with more, each direction would run its products alone in
 * a nested region of one thread and leave the other cores idle. */
int stack_parallel_directions(const recur_rnn *rnn)
{
    return rnn->D == 2 && rnn->scratch_rev.step && stack_segments(rnn) == 1 &&
           rnn->T > 1 && rnn->N >= 16 &&
           rnn->G * rnn->config.hidden_size >= 64 &&
           !rnn->config.proj_size &&
           rnn->config.mode != RECUR_GRU_RESET_BEFORE &&
           gemm_packed_available() &&
           gemm_packed_thread_count() == 2;
}

/* The scratch direction dir runs in. */
static cell_scratch *dir_scratch(recur_rnn *rnn, size_t dir, int both)
{
    return both && dir ? &rnn->scratch_rev : &rnn->scratch;
}

/* fn(ctx, dir) for the D directions of a layer: at once, one thread each,
 * when `both`; else in turn in this thread, outside any OpenMP region (in
 * one, even of a single thread, each product's own team would be a nested
 * one: at 2 threads deepbench_lstm inference ran 10% slower). */
static void each_direction(size_t D, int both,
                           void (*fn)(void *ctx, size_t dir), void *ctx)
{
#ifdef _OPENMP
    if (both) {
#pragma omp parallel for num_threads(2)
        for (size_t dir = 0; dir < 2; dir++)
            fn(ctx, dir);
        return;
    }
#else
    (void)both;
#endif
    for (size_t dir = 0; dir < D; dir++)
        fn(ctx, dir);
}

/* One layer of forward or backward, for each_direction. */
typedef struct {
    recur_rnn *rnn;
    size_t l;
    int both, lean;
    cell_forward_fn *fwd;
    cell_backward_fn *bwd;
    const cell_dims *d;
    const float *in;
    float *out;            /* forward: the layer's output rows */
    const float *dout;     /* backward: their gradient */
    float *dinp, *dinp_rev; /* backward: the input gradient's shares */
} layer_pass;

static void forward_direction(void *ctx, size_t dir)
{
    const layer_pass *lp = ctx;
    recur_rnn *rnn = lp->rnn;
    const size_t D = rnn->D, P = rnn->P, B = rnn->B, c = lp->l * D + dir;
    const int lstm = rnn->config.mode == RECUR_LSTM;
    cell_params p;
    cell_scratch *s = dir_scratch(rnn, dir, lp->both);
    stack_layer_params(rnn, lp->l, dir, 0, &p);
    s->lean = lp->lean;
    s->per_step_inputs = &rnn->per_step_inputs[lp->both && dir ? 1 : 0];
#ifdef _OPENMP
    if (dir == 0)
        rnn->direction_team = omp_get_level() ? omp_get_num_threads() : 0;
#else
    rnn->direction_team = 0;
#endif
    s->fixed_ih = rnn->fixed ? rnn->fixed + 2 * c : NULL;
    s->fixed_hh = rnn->fixed ? rnn->fixed + 2 * c + 1 : NULL;
    s->sweep = rnn->fixed && !rnn->plain_step ? rnn->fixed_sweep + c : NULL;
    stack_cell_forward(rnn, lp->l, dir, lp->fwd, lp->d, &p, lp->in,
                       lp->out + dir * P, D * P, rnn->h_state + c * B * P,
                       lstm ? rnn->c_state + c * B * rnn->config.hidden_size
                            : NULL,
                       s);
}

static void backward_direction(void *ctx, size_t dir)
{
    const layer_pass *lp = ctx;
    recur_rnn *rnn = lp->rnn;
    const size_t D = rnn->D, P = rnn->P, B = rnn->B, c = lp->l * D + dir;
    const int lstm = rnn->config.mode == RECUR_LSTM;
    cell_params p, g;
    stack_layer_params(rnn, lp->l, dir, 0, &p);
    stack_layer_params(rnn, lp->l, dir, 1, &g);
    stack_cell_backward(rnn, lp->l, dir, lp->fwd, lp->bwd, lp->d, &p, &g,
                        lp->in, rnn->out[lp->l] + dir * P, lp->dout + dir * P,
                        D * P, dir ? lp->dinp_rev : lp->dinp,
                        rnn->h_state + c * B * P,
                        lstm ? rnn->c_state +
                                   c * B * rnn->config.hidden_size
                             : NULL,
                        dir_scratch(rnn, dir, lp->both));
}

/* The packed layout is the caller's own: time-major, every sequence T
 * steps (nothing sorted or padded). */
static int layout_is_callers(const recur_rnn *rnn)
{
    return !rnn->batch_first && rnn->N == rnn->T * rnn->B;
}

recur_status recur_rnn_forward(recur_rnn *rnn, size_t T, size_t B,
                               const float *x, const int64_t *lengths,
                               const float *h0, const float *c0, float *y,
                               float *h_n, float *c_n)
{
    if (!rnn)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_rnn_forward: NULL handle");
    /* A failed forward leaves nothing for backward to go through. */
    rnn->have_forward = 0;
    if (!x || !y)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "recur_rnn_forward: x and y must not be NULL");
    if (T == 0 || B == 0)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "recur_rnn_forward: T (%zu) and B (%zu) must be >= 1",
                          T, B);
    const int lstm = rnn->config.mode == RECUR_LSTM;
    if (!lstm && (c0 || c_n))
        return error_fail(RECUR_ERR_ARGUMENT,
                          "recur_rnn_forward: c0 and c_n are for LSTM only, "
                          "this is %s", recur_mode_str(rnn->config.mode));
    if (lengths)
        for (size_t b = 0; b < B; b++)
            if (lengths[b] < 1 || (uint64_t)lengths[b] > T)
                return error_fail(RECUR_ERR_ARGUMENT,
                                  "lengths[%zu] = %lld is not in [1, %zu]", b,
                                  (long long)lengths[b], T);
    const size_t L = rnn->config.num_layers, D = rnn->D, P = rnn->P;
    /* Decided before plan: the workspace holds only the masks in use. */
    rnn->dropped = rnn->training && rnn->reg.dropout > 0.0f && L > 1;
    rnn->per_sequence = rnn->dropped && rnn->reg.variational;
    recur_status st = plan(rnn, T, B);
    if (st)
        return st;
    pack_layout(rnn, T, B, lengths);

    const size_t H = rnn->config.hidden_size, I = rnn->config.input_size;
    cell_forward_fn *fwd;
    cell_backward_fn *bwd;
    cell_fns(rnn->config.mode, &fwd, &bwd);

    /* Weights packed for inference: no backward can follow (it refuses,
     * and unpacking forgets this forward), so the cells keep no cache of
     * what enters each step, and where the caller's layout is the packed
     * one (time-major, every sequence T steps: nothing to sort or pad) x
     * is read and y written where they are. */
    const int lean = rnn->fixed != NULL;
    /* Where the layouts agree the last layer's output goes straight to y,
     * in training too: backward never reads a layer's output, and a
     * recomputed segment writes out[L - 1], not y. */
    const int y_direct = layout_is_callers(rnn);
    const int in_place = lean && y_direct;
    rnn->lean_forward = lean;
    rnn->x_rows = in_place ? x : rnn->x_packed;
    if (!in_place)
        gather_seq(rnn, x, I, rnn->x_packed);
    gather_state(rnn, h0, P, rnn->h_state);
    if (lstm)
        gather_state(rnn, c0, H, rnn->c_state);

    rnn->seg_stale = 0;
    const int both = stack_parallel_directions(rnn);
    for (size_t l = 0; l < L; l++) {
        cell_dims d;
        stack_layer_dims(rnn, l, &d);
        const float *in = layer_input_rows(rnn, l);
        /* The masks are drawn in the cells' order before either runs. */
        for (size_t dir = 0; dir < D; dir++)
            draw_cell_masks(rnn, rnn->cache + l * D + dir);
        layer_pass lp = {.rnn = rnn, .l = l, .both = both, .lean = lean,
                         .fwd = fwd, .bwd = NULL, .d = &d, .in = in,
                         .out = y_direct && l + 1 == L ? y : rnn->out[l],
                         .dout = NULL, .dinp = NULL, .dinp_rev = NULL};
        each_direction(D, both, forward_direction, &lp);
        if (rnn->dropped && l + 1 < L)
            drop_layer_output(rnn, l);
    }

    if (!y_direct)
        scatter_seq(rnn, rnn->out[L - 1], D * P, y);
    if (h_n)
        scatter_state(rnn, rnn->h_state, P, h_n);
    if (c_n)
        scatter_state(rnn, rnn->c_state, H, c_n);
    rnn->have_forward = 1;
    return RECUR_OK;
}

recur_status recur_rnn_backward(recur_rnn *rnn, const float *dy,
                                const float *dh_n, const float *dc_n,
                                float *dx, float *dh0, float *dc0)
{
    if (!rnn)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_rnn_backward: NULL handle");
    if (!rnn->have_forward)
        return error_fail(RECUR_ERR_STATE,
                          "recur_rnn_backward: no successful forward to go "
                          "back through");
    if (rnn->fixed)
        return error_fail(RECUR_ERR_STATE,
                          "recur_rnn_backward: the weights are packed for "
                          "inference (recur_rnn_pack_weights); unpack them "
                          "before training");
    const int lstm = rnn->config.mode == RECUR_LSTM;
    if (!lstm && (dc_n || dc0))
        return error_fail(RECUR_ERR_ARGUMENT,
                          "recur_rnn_backward: dc_n and dc0 are for LSTM only, "
                          "this is %s", recur_mode_str(rnn->config.mode));

    const size_t L = rnn->config.num_layers, D = rnn->D, P = rnn->P;
    const size_t H = rnn->config.hidden_size, N = rnn->N;
    cell_forward_fn *fwd;
    cell_backward_fn *bwd;
    cell_fns(rnn->config.mode, &fwd, &bwd);
    /* Recomputation multiplies by the parameters themselves. */
    cell_scratch *scratches[2] = {&rnn->scratch, &rnn->scratch_rev};
    for (int k = 0; k < 2; k++) {
        scratches[k]->fixed_ih = scratches[k]->fixed_hh = NULL;
        scratches[k]->sweep = NULL;
        scratches[k]->lean = 0;
    }
    const int both = stack_parallel_directions(rnn);

    /* h_state / c_state now carry dL/dh, dL/dc (the forward's states are
     * not needed any more: the caches hold everything). Where the layouts
     * agree, dy is read where it is and the first layer's input gradient
     * is written straight into dx (unless the two overlap). */
    const size_t I = rnn->config.input_size;
    const uintptr_t ya = (uintptr_t)dy, xa = (uintptr_t)dx;
    const int in_place =
        layout_is_callers(rnn) &&
        (!dx || !dy || ya + N * D * P * sizeof(float) <= xa ||
         xa + N * I * sizeof(float) <= ya);
    float *d_out = rnn->d_out, *d_in = rnn->d_in;
    const float *d_top = in_place && dy ? dy : d_out;
    if (d_top == d_out)
        gather_seq(rnn, dy, D * P, d_out);
    gather_state(rnn, dh_n, P, rnn->h_state);
    if (lstm)
        gather_state(rnn, dc_n, H, rnn->c_state);

    for (size_t l = L; l-- > 0;) {
        cell_dims d;
        stack_layer_dims(rnn, l, &d);
        const float *in = layer_input_rows(rnn, l);
        float *dinp = l > 0 ? d_in : in_place ? dx : dx ? d_in : NULL;
        /* Directions at once: the reverse one's share of the input
         * gradient gathers apart, then is added (fl(rev + fwd), as when
         * it was added to the forward one's share in place). */
        float *dinp_rev = both && dinp ? rnn->d_in_rev : dinp;
        if (dinp)
            memset(dinp, 0, N * d.I * sizeof(float));
        if (dinp_rev != dinp)
            memset(dinp_rev, 0, N * d.I * sizeof(float));
        layer_pass lp = {.rnn = rnn, .l = l, .both = both, .lean = 0,
                         .fwd = fwd, .bwd = bwd, .d = &d, .in = in,
                         .out = NULL, .dout = l + 1 == L ? d_top : d_out,
                         .dinp = dinp, .dinp_rev = dinp_rev};
        each_direction(D, both, backward_direction, &lp);
        for (size_t i = 0; dinp_rev != dinp && i < N * d.I; i++)
            dinp[i] = dinp_rev[i] + dinp[i];
        if (l > 0 && rnn->dropped)
            apply_mask(rnn, rnn->drop_mask[l - 1], D * P, d_in, d_in);
        float *tmp = d_out;
        d_out = d_in;
        d_in = tmp;
    }

    if (dx && !in_place)
        scatter_seq(rnn, d_out, I, dx);
    if (dh0)
        scatter_state(rnn, rnn->h_state, P, dh0);
    if (dc0)
        scatter_state(rnn, rnn->c_state, H, dc0);
    /* The state buffers were overwritten: a second backward must still
     * work, and it only needs the caches, which are intact — or, after
     * recomputing segments, the checkpoints, from which it recomputes. */
    rnn->seg_stale = stack_segments(rnn) > 1;
    return RECUR_OK;
}
