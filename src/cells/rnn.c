/*
 * rnn.c — vanilla (Elman) RNN layer, one direction, as torch.nn.RNN:
 *     h' = act(W_ih x + b_ih + W_hh h + b_hh),   act = tanh or relu
 * w_ih [H, I], w_hh [H, H], b_ih, b_hh [H]. The cache's gates buffer holds
 * h' itself: both derivatives are written from it (tanh' = 1 − h'²,
 * relu' = [h' > 0], 0 at 0 as PyTorch's threshold_backward).
 *
 * Regularisers (cell.h): recurrent dropout uses h∘m in W_hh h; zoneout
 * makes the state and output d∘h + (1 − d)∘h', the cache keeping h'.
 */
#include "cells/cell.h"
#include "kernels/gemm.h"
#include "kernels/vmath.h"

#include <string.h>

/* One step's rows, for the activation pass (gemm_rows_fn). */
typedef struct {
    size_t n, H; /* n rows */
    int relu;
    float *a;        /* the step's pre-activations, then h' */
    const float *zh; /* zoneout of h, or NULL */
    float *h, *y;
    size_t ldy;
} rnn_rows;

/* A share of the rows: act(a) in place, zoned out against h, into h and
 * y. */
static void rnn_act_rows(void *ctx, size_t part, size_t parts)
{
    const rnn_rows *r = ctx;
    const size_t H = r->H;
    size_t j0, j1;
    cell_share(r->n, part, parts, &j0, &j1);
    float *a = r->a + j0 * H;
    if (r->relu)
        for (size_t k = 0; k < (j1 - j0) * H; k++)
            a[k] = a[k] > 0.0f ? a[k] : 0.0f;
    else
        vmath_tanh(a, a, (j1 - j0) * H);
    for (size_t j = j0; j < j1; j++)
        for (size_t k = 0; k < H; k++) {
            float v = r->a[j * H + k];
            if (r->zh)
                v = cell_zone(r->zh[j * H + k], r->h[j * H + k], v);
            r->h[j * H + k] = v;
            r->y[j * r->ldy + k] = v;
        }
}

void rnn_cell_forward(const cell_dims *d, const cell_params *p,
                      const packed_layout *lay, int reverse, const float *x,
                      size_t ldx, float *y, size_t ldy, float *h, float *c,
                      const cell_cache *cache, const cell_scratch *s)
{
    (void)c;
    const size_t H = d->H;
    const int fold[1] = {1};
    /* As in lstm.c: a streaming call, or per-step input products, or all
     * steps' up front. */
    const int one = cell_one_step(d, lay, s);
    cell_inputs in;
    cell_forward_inputs(d, p, lay, x, ldx, fold, one, cache, s, &in);
    gemm_b whh;
    cell_pack_recurrent(d, p, lay, 0, s, &whh);

    for (size_t i = 0; i < lay->T; i++) {
        size_t t = cell_step(lay, reverse, i);
        size_t n = lay->batch[t], row = lay->offset[t];
        float *a = cache->gates + row * H;
        float *hp = cache->hprev + row * H;
        rnn_rows r = {.n = n, .H = H, .relu = d->mode == RECUR_RNN_RELU,
                      .a = a, .zh = cache->zh ? cache->zh + row * H : NULL,
                      .h = h, .y = y + row * ldy, .ldy = ldy};
        cell_recurrent_input(cache, n, H, h, hp, NULL);
        if (one) {
            cell_step_products(d, p, x, hp, fold, a, s);
            rnn_act_rows(&r, 0, 1);
        } else {
            gemm_packed_step(n, x + row * ldx, ldx, in.wx, in.bias, a,
                                   H, hp, H, &whh, 1.0f, a, H, (int)(i & 1),
                                   rnn_act_rows, &r);
        }
    }
}

/* Backward (cell_backward_steps), row j of a step: dL/dh' of the row
 * (dh + dy; with zoneout the share d stays in dh for the previous state),
 * then dG through the activation (b->cell: the relu flag). */
static void rnn_back_row(const cell_back *b, size_t j)
{
    const int relu = *(const int *)b->cell;
    const size_t H = b->P, row = b->first + j;
    const float *hv = b->cache->gates + row * H, *dy = b->dy + row * b->lddy;
    const float *zh = b->cache->zh ? b->cache->zh + row * H : NULL;
    float *dG = b->s->dgates + row * H;
    cell_zone_grad(H, b->dh + j * H, dy, zh, dG);
    for (size_t k = 0; k < H; k++) {
        float v = hv[k], dv = dG[k];
        dG[k] = relu ? (v > 0.0f ? dv : 0.0f) : dv * (1.0f - v * v);
    }
}

void rnn_cell_backward(const cell_dims *d, const cell_params *p,
                       const cell_params *g, const packed_layout *lay,
                       int reverse, const float *x, size_t ldx,
                       const float *dy, size_t lddy, float *dx, size_t lddx,
                       float *dh, float *dc, const cell_cache *cache,
                       const cell_scratch *s)
{
    (void)dc;
    const size_t H = d->H, N = lay->offset[lay->T];
    const int relu = d->mode == RECUR_RNN_RELU;
    gemm_b whh;
    cell_pack_recurrent(d, p, lay, 1, s, &whh);

    cell_back b = {.cache = cache, .s = s, .dh = dh, .P = H, .dy = dy,
                   .lddy = lddy, .dGr = s->dgates, .GH = H,
                   .beta = cache->zh ? 1.0f : 0.0f,
                   .mask_add = cache->zh != NULL, .row = rnn_back_row,
                   .cell = &relu, .first = 0, .n = 0, .n_prod = 0};
    cell_backward_steps(lay, reverse, &whh, &b);

    cell_input_backward(d, p, g, x, ldx, N, s->dgates, dx, lddx, cache, s);
    cell_weight_grad(s, H, H, N, s->dgates, H, cache->hprev, H, g->w_hh, H);
    if (g->b_hh)
        cell_bias_grad(g->b_hh, s->dgates, N, H, H);
}
