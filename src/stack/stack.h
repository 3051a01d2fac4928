/*
 * stack.h — the recur_rnn handle: L layers × D directions of one cell kind,
 * with flat parameter and gradient storage and a workspace that grows with
 * the largest (T, B) and packed rows (the lengths' sum) seen. Internal to
 * the library.
 */
#ifndef RECUR_STACK_H
#define RECUR_STACK_H

#include "cells/cell.h"
#include "base/rng.h"

#include <string.h>

#define RECUR_PREFIX_MAX 256
/* The most layers a stack may have (created or read from a file). */
#define RECUR_MAX_LAYERS 1024
#define RECUR_NAME_MAX 64

/* One parameter tensor: its place in the flat arrays and its name. */
typedef struct {
    char name[RECUR_NAME_MAX];   /* state_dict name without prefix */
    size_t offset, rows, cols;
} stack_param;

struct recur_rnn {
    recur_rnn_config config;
    int batch_first;             /* sequences [B, T, .] at the API
                                    (recur_rnn_set_batch_first) */
    size_t G, P, D;
    char prefix[RECUR_PREFIX_MAX];

    float *params, *grads;       /* flat, flat_size floats each */
    int owns_params;             /* 0 after stack_bind */
    size_t flat_size;
    stack_param *table;          /* param_count entries */
    size_t param_count;

    /* Workspace: one block, carved per forward into the views below. */
    float *work;
    size_t work_size;
    /* What the views were last carved for (workspace.c: stack_plan), valid
     * when have_plan: a forward of the same shape and settings reuses
     * them. */
    struct {
        size_t T, B, R, seg_len;   /* R: packed rows, the lengths' sum */
        int dropped, per_sequence, recurrent, zoneout;
    } planned;
    int have_plan;
    size_t *steps;               /* batch[T], offset[T+1], perm[B], cursor[T] */
    size_t steps_size;

    /* The last forward's shape and views, for backward. */
    int have_forward;
    size_t T, B, N;
    packed_layout layout;
    size_t *perm;                /* sorted position j -> caller's batch row */
    float *x_packed;             /* [N, I] */
    const float *x_rows;         /* layer 0's rows: x_packed, or the
                                    caller's x itself (forward.c: lean) */
    int lean_forward;            /* the last forward ran with packed
                                    weights and kept nothing for backward */
    /* Test hooks. Production code never sets plain_step (only
     * stack_set_plain_step does, for tests) and never reads the other two,
     * which it keeps up to date for the tests to read. */
    struct {
        unsigned per_step_inputs[2]; /* cell forwards that ran per-step
                                        input products, per scratch */
        int direction_team;          /* threads of the OpenMP team the last
                                        layer's forward direction 0 ran in,
                                        0 outside any region */
        int plain_step;              /* 1: one-row steps with fixed weights
                                        take the plain path (fixed_sweep) */
    } test_hooks;
    float **out;                 /* per layer [N, D*P] */
    cell_cache *cache;           /* per layer*D + direction */
    float *h_state, *c_state;    /* [L*D, B, P], [L*D, B, H]: states in
                                    forward, their gradients in backward */
    float *d_in, *d_out;         /* [N, max(I, D*P)] each */
    cell_scratch scratch;
    /* Directions at once (stack_parallel_directions): the reverse
     * direction's scratch, and its share of a layer's input gradient
     * [N, max(I, D*P)]; unused (NULL views) otherwise. */
    cell_scratch scratch_rev;
    float *d_in_rev;

    /* Dropout between layers: drop_in[l] = out[l] * drop_mask[l] feeds
     * layer l+1 when the forward ran in training mode with p > 0. The mask
     * is [N, D*P], one per element, or with `variational` [B, D*P], one
     * per sequence reused at every step (row j of each step: mask row j).
     * Regularisers of the recurrent state (cell.h): recurrent_dropout q
     * (training only) and zoneout z (training: random; evaluation: the
     * expectation), their masks in each cell's cache. All in reg; the
     * masks come from rng: own_rng, seeded with reg.seed, or a model's. */
    recur_regularizers reg;
    int training, dropped, per_sequence; /* the last forward's dropout */
    rng_state own_rng, *rng;
    float **drop_in, **drop_mask; /* per layer but the last */

    /* recur_rnn_pack_weights: per layer and direction, w_ihᵀ and w_hhᵀ
     * packed once (fixed[2c], fixed[2c + 1]) in one block; NULL when not
     * packed. */
    gemm_b *fixed;
    float *fixed_block;
    /* ... and per cell, the count of one-row steps through them
     * (cell.h: cell_scratch.sweep); test_hooks.plain_step sends those
     * steps down the plain path instead, and every step's input product up
     * front (stack_set_plain_step). */
    unsigned *fixed_sweep;

    /* Memory-lean training (segment.c): recompute = the segment length
     * asked for (0: off); seg_len the one this forward uses (T when off).
     * The caches and per-row scratch hold seg_len·B rows; ckpt_h / ckpt_c
     * keep the state entering each segment, per cell ([L·D, segments, B,
     * P] and [.., H]); seg_h / seg_c [B, P], [B, H] carry recomputation's
     * state; seg_offset[seg_len + 1] is a segment's rebased offsets. */
    size_t recompute, seg_len;
    int seg_stale; /* a backward recomputed: caches no longer forward's */
    float *ckpt_h, *ckpt_c, *seg_h, *seg_c;
    size_t *seg_offset;
    /* With segments: the cell's w_ihᵀ and w_hhᵀ packed once per pass
     * (seg_pack, 64-byte aligned, seg_pack_ih floats then the rest) instead
     * of once per segment; NULL where the packed kernel does not run. */
    float *seg_pack;
    size_t seg_pack_ih;
    gemm_b seg_fixed[2];
};

/* recur_rnn_forward, y NULL allowed: only the final states are wanted
 * (a tagger's char model), so nothing [T, B, .] is written (forward.c). */
recur_status stack_forward(recur_rnn *rnn, size_t T, size_t B, const float *x,
                           const int64_t *lengths, const float *h0,
                           const float *c0, float *y, float *h_n, float *c_n);
/* Segments of the last forward (1 without recompute). */
size_t stack_segments(const recur_rnn *rnn);
/* One layer and direction of forward / backward, in segments (segment.c):
 * y is the layer output [N, .] (row stride ldy, also dy's), in its input
 * [N, d->I], dx (or NULL) its gradient; h, c / dh, dc the [B, .] state
 * buffers of that cell; s the scratch it runs in (rnn->scratch, or
 * scratch_rev for a reverse direction running beside the forward one,
 * which needs a single segment). */
void stack_cell_forward(recur_rnn *rnn, size_t l, size_t dir,
                        cell_forward_fn *fwd, const cell_dims *d,
                        const cell_params *p, const float *in, float *y,
                        size_t ldy, float *h, float *c, cell_scratch *s);
void stack_cell_backward(recur_rnn *rnn, size_t l, size_t dir,
                         cell_forward_fn *fwd, cell_backward_fn *bwd,
                         const cell_dims *d, const cell_params *p,
                         const cell_params *g, const float *in, float *y,
                         const float *dy, size_t ldy, float *dx, float *dh,
                         float *dc, cell_scratch *s);

/* Whether a forward or backward of the last forward's shape, at the
 * thread count now set, runs the two directions of each layer at once,
 * one per thread (the conditions: parallel.c). */
int stack_parallel_directions(const recur_rnn *rnn);

/* Parameter views of layer l, direction dir (params or grads). */
void stack_layer_params(const recur_rnn *rnn, size_t l, size_t dir,
                        int grads, cell_params *out);
/* The cell dims of layer l. */
void stack_layer_dims(const recur_rnn *rnn, size_t l, cell_dims *out);

/* Validates a configuration (sizes, proj only for LSTM, overflow). */
recur_status stack_check_config(const recur_rnn_config *config);

/* Layer-norm gains to 1 and biases to 0 (nn.LayerNorm's initialisation). */
void stack_init_layer_norm(recur_rnn *rnn);

/* Dimensions of a parameter in a file: biases and layer-norm gains are
 * 1-D, the weight matrices 2-D. */
static inline size_t stack_param_ndim(const char *name)
{
    return strncmp(name, "bias", 4) == 0 || strncmp(name, "weight_ln_", 10) == 0
               ? 1 : 2;
}

/* Creates a handle with zeroed parameters and gradients. */
recur_status stack_alloc(const recur_rnn_config *config, recur_rnn **out);

/* Moves the parameters and gradients into caller storage (flat_size floats
 * each, outliving the handle), e.g. a model's one flat array. */
void stack_bind(recur_rnn *rnn, float *params, float *grads);
/* Tests: 1 sends streaming steps (cell_one_step) down the plain path of
 * two products, the reference for the one-pass path, and has every
 * forward project all steps' inputs up front (cell_forward_inputs); 0
 * (the default) back. */
void stack_set_plain_step(recur_rnn *rnn, int plain);

/* Checks the arguments of who (a set_regularizers, or a model being
 * created): handle and reg not NULL, dropout, recurrent_dropout and zoneout
 * in [0, 1), variational 0 or 1; the message starts with who. */
recur_status stack_check_regularizers(const void *handle,
                                      const recur_regularizers *reg,
                                      const char *who);
/* Sets regularisers (checked by the caller) whose masks come from rng,
 * borrowed: the stack's own_rng or a model's generator. */
void stack_set_regularizers(recur_rnn *rnn, const recur_regularizers *reg,
                            rng_state *rng);
void stack_set_training(recur_rnn *rnn, int training);

#endif
