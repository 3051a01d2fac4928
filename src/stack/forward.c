/*
 * forward.c — recur_rnn_forward through L layers × D directions, and
 * stack_forward, the same with the outputs y left out (NULL) where only
 * the final states are wanted.
 *
 * Layer l > 0 reads the concatenated [forward, backward] outputs of layer
 * l − 1 ([N, D*P] packed). States h_n / c_n are [L*D, B, .] indexed
 * layer*D + direction, as PyTorch. The workspace is planned (workspace.c)
 * and the batch packed (varlen.c) first; before each layer its cells'
 * masks are drawn (masks.c), then its directions run in turn or at once
 * (parallel.c), each in segments (segment.c).
 */
#include "stack/stack_internal.h"
#include "base/error.h"

#include <stdint.h>

/* The packed rows layer l reads: the input, the previous layer's output,
 * or that output after dropout. */
const float *stack_layer_input_rows(const recur_rnn *rnn, size_t l)
{
    if (l == 0)
        return rnn->x_rows;
    return rnn->dropped ? rnn->drop_in[l - 1] : rnn->out[l - 1];
}

/* Direction dir of layer lp->l, forward (stack_each_direction's fn): the
 * scratch set up for it, then the cell over its segments. */
static void forward_direction(void *ctx, size_t dir)
{
    const layer_pass *lp = ctx;
    recur_rnn *rnn = lp->rnn;
    const size_t D = rnn->D, P = rnn->P, B = rnn->B, c = lp->l * D + dir;
    const int lstm = rnn->config.mode == RECUR_LSTM;
    cell_params p;
    cell_scratch *s = stack_dir_scratch(rnn, dir, lp->both);
    stack_layer_params(rnn, lp->l, dir, 0, &p);
    s->lean = lp->lean;
    s->test_hooks.per_step_inputs =
        &rnn->test_hooks.per_step_inputs[lp->both && dir ? 1 : 0];
    if (dir == 0)
        rnn->test_hooks.direction_team = stack_team_threads();
    s->fixed_ih = rnn->fixed ? rnn->fixed + 2 * c : NULL;
    s->fixed_hh = rnn->fixed ? rnn->fixed + 2 * c + 1 : NULL;
    s->sweep = rnn->fixed && !rnn->test_hooks.plain_step
                   ? rnn->fixed_sweep + c
                   : NULL;
    stack_cell_forward(rnn, lp->l, dir, lp->fwd, lp->d, &p, lp->in,
                       lp->out + dir * P, D * P, rnn->h_state + c * B * P,
                       lstm ? rnn->c_state + c * B * rnn->config.hidden_size
                            : NULL,
                       s);
}

recur_status recur_rnn_forward(recur_rnn *rnn, size_t T, size_t B,
                               const float *x, const int64_t *lengths,
                               const float *h0, const float *c0, float *y,
                               float *h_n, float *c_n)
{
    if (rnn && !y) {
        rnn->have_forward = 0;
        return error_fail(RECUR_ERR_ARGUMENT,
                          "recur_rnn_forward: x and y must not be NULL");
    }
    return stack_forward(rnn, T, B, x, lengths, h0, c0, y, h_n, c_n);
}

recur_status stack_forward(recur_rnn *rnn, size_t T, size_t B, const float *x,
                           const int64_t *lengths, const float *h0,
                           const float *c0, float *y, float *h_n, float *c_n)
{
    if (!rnn)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_rnn_forward: NULL handle");
    /* A failed forward leaves nothing for backward to go through. */
    rnn->have_forward = 0;
    if (!x)
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
    /* R: the packed rows (T·B without lengths; stack_plan checks T·B). */
    size_t R = T * B;
    if (lengths) {
        R = 0;
        for (size_t b = 0; b < B; b++) {
            if (lengths[b] < 1 || (uint64_t)lengths[b] > T)
                return error_fail(RECUR_ERR_ARGUMENT,
                                  "lengths[%zu] = %lld is not in [1, %zu]", b,
                                  (long long)lengths[b], T);
            R += (size_t)lengths[b];
        }
    }
    const size_t L = rnn->config.num_layers, D = rnn->D, P = rnn->P;
    /* Decided before plan: the workspace holds only the masks in use. */
    rnn->dropped = rnn->training && rnn->reg.dropout > 0.0f && L > 1;
    rnn->per_sequence = rnn->dropped && rnn->reg.variational;
    recur_status st = stack_plan(rnn, T, B, R);
    if (st)
        return st;
    stack_pack_layout(rnn, T, B, lengths);

    const size_t H = rnn->config.hidden_size, I = rnn->config.input_size;
    cell_forward_fn *fwd;
    cell_backward_fn *bwd;
    stack_cell_fns(rnn->config.mode, &fwd, &bwd);

    /* Weights packed for inference: no backward can follow (it refuses,
     * and unpacking forgets this forward), so the cells keep no cache of
     * what enters each step, and where the caller's layout is the packed
     * one (time-major, every sequence T steps: nothing to sort or pad) x
     * is read and y written where they are. */
    const int lean = rnn->fixed != NULL;
    /* Where the layouts agree the last layer's output goes straight to y,
     * in training too: backward never reads a layer's output, and a
     * recomputed segment writes out[L - 1], not y. */
    const int y_direct = y && stack_layout_is_callers(rnn);
    const int in_place = lean && y_direct;
    rnn->lean_forward = lean;
    rnn->x_rows = in_place ? x : rnn->x_packed;
    if (!in_place)
        stack_gather_seq(rnn, x, I, rnn->x_packed);
    stack_gather_state(rnn, h0, P, rnn->h_state);
    if (lstm)
        stack_gather_state(rnn, c0, H, rnn->c_state);

    rnn->seg_stale = 0;
    const int both = stack_parallel_directions(rnn);
    for (size_t l = 0; l < L; l++) {
        cell_dims d;
        stack_layer_dims(rnn, l, &d);
        const float *in = stack_layer_input_rows(rnn, l);
        /* The masks are drawn in the cells' order before either runs. */
        for (size_t dir = 0; dir < D; dir++)
            stack_draw_cell_masks(rnn, rnn->cache + l * D + dir);
        layer_pass lp = {.rnn = rnn, .l = l, .both = both, .lean = lean,
                         .fwd = fwd, .bwd = NULL, .d = &d, .in = in,
                         .out = y_direct && l + 1 == L ? y : rnn->out[l],
                         .dout = NULL, .dinp = NULL, .dinp_rev = NULL};
        stack_each_direction(D, both, forward_direction, &lp);
        if (rnn->dropped && l + 1 < L)
            stack_drop_layer_output(rnn, l);
    }

    if (y && !y_direct)
        stack_scatter_seq(rnn, rnn->out[L - 1], D * P, y);
    if (h_n)
        stack_scatter_state(rnn, rnn->h_state, P, h_n);
    if (c_n)
        stack_scatter_state(rnn, rnn->c_state, H, c_n);
    rnn->have_forward = 1;
    return RECUR_OK;
}
