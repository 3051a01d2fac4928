/*
 * stack_internal.h — what the files of src/stack/ share among themselves
 * and with nobody else. The handle and what other layers call are in
 * stack.h; each function's file is named above it.
 */
#ifndef RECUR_STACK_INTERNAL_H
#define RECUR_STACK_INTERNAL_H

#include "stack/stack.h"

#include <stdint.h>

/* ---- stack.c ---- */

/* The forward and backward of a mode's cell. */
void stack_cell_fns(recur_mode mode, cell_forward_fn **fwd,
                    cell_backward_fn **bwd);

/* ---- workspace.c ---- */

/* Sizes the workspace for T, B, R packed rows (the lengths' sum, <= T*B)
 * and the settings of this forward (set in rnn before the call) and points
 * every view into it, growing the block when needed; a repeated shape and
 * settings keep the views. */
recur_status stack_plan(recur_rnn *rnn, size_t T, size_t B, size_t R);

/* ---- varlen.c ---- */

/* Sorts the batch by decreasing length and fills the packed layout and the
 * permutation (lengths NULL: every sequence T steps). */
void stack_pack_layout(recur_rnn *rnn, size_t T, size_t B,
                       const int64_t *lengths);
/* Caller layout <-> packed rows [N, w] (src NULL gathers zeros; scatter
 * writes zeros at padded steps). */
void stack_gather_seq(const recur_rnn *rnn, const float *src, size_t w,
                      float *dst);
void stack_scatter_seq(const recur_rnn *rnn, const float *src, size_t w,
                       float *dst);
/* States [L*D, B, w]: caller order <-> sorted order (src NULL: zeros). */
void stack_gather_state(const recur_rnn *rnn, const float *src, size_t w,
                        float *dst);
void stack_scatter_state(const recur_rnn *rnn, const float *src, size_t w,
                         float *dst);
/* Whether the packed layout is the caller's own (nothing to sort or pad). */
int stack_layout_is_callers(const recur_rnn *rnn);

/* ---- masks.c ---- */

/* out[N, w] = x ∘ the mask of each row (per sequence or per element). */
void stack_apply_mask(const recur_rnn *rnn, const float *mask, size_t w,
                      const float *x, float *out);
/* Dropout on layer l's output into drop_in[l], its mask drawn. */
void stack_drop_layer_output(recur_rnn *rnn, size_t l);
/* One cell's recurrent dropout and zoneout masks, drawn. */
void stack_draw_cell_masks(recur_rnn *rnn, const cell_cache *cc);

/* ---- parallel.c (stack_parallel_directions: stack.h) ---- */

/* The scratch direction dir runs in (both: the directions run at once). */
cell_scratch *stack_dir_scratch(recur_rnn *rnn, size_t dir, int both);
/* fn(ctx, dir) for the D directions of a layer: at once, one thread each,
 * when `both`; else in turn. */
void stack_each_direction(size_t D, int both,
                          void (*fn)(void *ctx, size_t dir), void *ctx);
/* Tests (recur_rnn.test_hooks.direction_team): the threads of the OpenMP team the
 * caller runs in, 0 outside any parallel region or without OpenMP. */
int stack_team_threads(void);

/* ---- forward.c, backward.c ---- */

/* The packed rows layer l reads (the last forward's). */
const float *stack_layer_input_rows(const recur_rnn *rnn, size_t l);

/* One layer of forward or backward, for stack_each_direction. */
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

#endif
