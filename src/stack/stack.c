/*
 * stack.c — the recur_rnn handle: configuration, the parameter table and
 * its flat storage, create and free, the settings (regularisers, training
 * mode, batch_first, prefix, recompute) and the accessors of recur.h.
 * Forward and backward are in forward.c and backward.c, the workspace they
 * run in in workspace.c, the weights packed for inference in
 * pack_weights.c.
 */
#include "stack/stack_internal.h"
#include "base/bigmem.h"
#include "base/error.h"
#include "kernels/gemm.h"
#include "base/rng.h"

#include <math.h>
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

void stack_cell_fns(recur_mode mode, cell_forward_fn **fwd,
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

void stack_set_plain_step(recur_rnn *rnn, int plain)
{
    rnn->test_hooks.plain_step = plain;
    rnn->scratch.test_hooks.whole_inputs = plain;
    rnn->scratch_rev.test_hooks.whole_inputs = plain;
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
