/*
 * backward.c — recur_rnn_backward: the layers in reverse, each direction's
 * cell backward run through segment.c (which recomputes what memory-lean
 * training did not keep), accumulating into the parameter gradients; the
 * state gradients travel in the forward's state buffers, the input
 * gradient goes down layer by layer through the dropout masks.
 */
#include "stack/stack_internal.h"
#include "base/error.h"

#include <stdint.h>
#include <string.h>

/* Direction dir of layer lp->l, backward (stack_each_direction's fn). */
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
                        stack_dir_scratch(rnn, dir, lp->both));
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
    stack_cell_fns(rnn->config.mode, &fwd, &bwd);
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
        stack_layout_is_callers(rnn) &&
        (!dx || !dy || ya + N * D * P * sizeof(float) <= xa ||
         xa + N * I * sizeof(float) <= ya);
    float *d_out = rnn->d_out, *d_in = rnn->d_in;
    const float *d_top = in_place && dy ? dy : d_out;
    if (d_top == d_out)
        stack_gather_seq(rnn, dy, D * P, d_out);
    stack_gather_state(rnn, dh_n, P, rnn->h_state);
    if (lstm)
        stack_gather_state(rnn, dc_n, H, rnn->c_state);

    for (size_t l = L; l-- > 0;) {
        cell_dims d;
        stack_layer_dims(rnn, l, &d);
        const float *in = stack_layer_input_rows(rnn, l);
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
        stack_each_direction(D, both, backward_direction, &lp);
        for (size_t i = 0; dinp_rev != dinp && i < N * d.I; i++)
            dinp[i] = dinp_rev[i] + dinp[i];
        if (l > 0 && rnn->dropped)
            stack_apply_mask(rnn, rnn->drop_mask[l - 1], D * P, d_in,
                             d_in);
        float *tmp = d_out;
        d_out = d_in;
        d_in = tmp;
    }

    if (dx && !in_place)
        stack_scatter_seq(rnn, d_out, I, dx);
    if (dh0)
        stack_scatter_state(rnn, rnn->h_state, P, dh0);
    if (dc0)
        stack_scatter_state(rnn, rnn->c_state, H, dc0);
    /* The state buffers were overwritten: a second backward must still
     * work, and it only needs the caches, which are intact — or, after
     * recomputing segments, the checkpoints, from which it recomputes. */
    rnn->seg_stale = stack_segments(rnn) > 1;
    return RECUR_OK;
}
