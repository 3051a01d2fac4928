/*
 * gru.c — GRU layer, one direction. Gate rows of w_ih [3H, I], w_hh [3H, H],
 * b_ih, b_hh [3H] are ordered r, z, n (PyTorch's order).
 *
 * Linear before reset (RECUR_GRU; torch.nn.GRU, cuDNN, Keras
 * reset_after=True, ONNX linear_before_reset=1):
 *     r = σ(W_ir x + b_ir + W_hr h + b_hr)
 *     z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *     n = tanh(W_in x + b_in + r ∘ (W_hn h + b_hn))
 *     h' = (1 − z) ∘ n + z ∘ h
 * Reset before (RECUR_GRU_RESET_BEFORE; Cho et al. 2014, Keras
 * reset_after=False, ONNX linear_before_reset=0): the same but
 *     n = tanh(W_in x + b_in + W_hn (r ∘ h) + b_hn)
 * which needs r before the n-gate product: two GEMMs per step.
 *
 * The cache's gates hold r, z, n after activation; aux holds W_hn h + b_hn
 * (linear before reset) or r ∘ h (reset before), the factor the backward
 * of the n gate needs.
 *
 * Layer norm (RECUR_GRU only; Ba, Kiros & Hinton 2016; LN over the 3H
 * values of each product, cell.h): the two products become
 *     gi = LN(W_ih x; γ_ih, β_ih) + b_ih,   gh = LN(W_hh h; γ_hh, β_hh) + b_hh
 * and r, z, n, h' follow from gi and gh as above (n = tanh(gi_n + r ∘ gh_n)).
 * aux then holds gh_n.
 *
 * Regularisers (cell.h): recurrent dropout replaces h by h∘m in every
 * product with W_hh (W_hn h, or W_hn (r ∘ h∘m)) but not in z ∘ h, which
 * reads the unmasked h (cached in hfull); zoneout makes the state and
 * output d∘h + (1 − d)∘h̃, h̃ being h' above.
 */
#include "cells/cell.h"
#include "kernels/gemm.h"
#include "kernels/vmath.h"

#include <string.h>

/* The new state from the candidate h' = (1 − z)∘n + z∘hu: zoned out
 * against hu when zh is set. hu is the unmasked state entering the step. */
static inline float gru_state(const float *zh, size_t i, float z, float nv,
                              float hu)
{
    float v = (1.0f - z) * nv + z * hu;
    return zh ? cell_zone(zh[i], hu, v) : v;
}

/* One linear-before-reset step's rows, for the gate pass (gemm_rows_fn).
 * hp: the state as it entered the product (times the recurrent dropout
 * mask); hu: as it enters z ∘ h; h: the new state, written, and y. */
typedef struct {
    size_t n, H;             /* n rows */
    const float *b_hh;       /* or NULL */
    float *a;                /* input side's pre-activations, then r, z, n */
    const float *gh;         /* the product h·w_hhᵀ (after layer norm) */
    const float *hu, *zh;
    float *aux, *h, *y;
    size_t ldy;
} gru_rows;

/* A share of a linear-before-reset step's rows. */
static void gru_lbr_rows(void *ctx, size_t part, size_t parts)
{
    const gru_rows *r = ctx;
    const size_t H = r->H, GH = 3 * H;
    size_t j0, j1;
    cell_share(r->n, part, parts, &j0, &j1);
    for (size_t j = j0; j < j1; j++) {
        float *g = r->a + j * GH, *auxj = r->aux + j * H;
        const float *q = r->gh + j * GH;
        for (size_t k = 0; k < 2 * H; k++)
            g[k] += q[k];
        vmath_sigmoid(g, g, 2 * H);
        for (size_t k = 0; k < H; k++) {
            float hn_lin = q[2 * H + k] + (r->b_hh ? r->b_hh[2 * H + k] : 0.0f);
            auxj[k] = hn_lin;
            g[2 * H + k] += g[k] * hn_lin;
        }
        vmath_tanh(g + 2 * H, g + 2 * H, H);
        for (size_t k = 0; k < H; k++)
            r->h[j * H + k] = gru_state(r->zh, j * H + k, g[H + k],
                                        g[2 * H + k], r->hu[j * H + k]);
        memcpy(r->y + j * r->ldy, r->h + j * H, H * sizeof(float));
    }
}

/* Reset before: r and z from h·w_hh[r,z]ᵀ, then n from (r∘h)·w_hnᵀ. */
static void forward_step_rb(const cell_dims *d, const cell_params *p,
                            size_t n, float *a, const float *hp,
                            const float *hu, const float *zh, float *hn,
                            float *aux, float *gh)
{
    const size_t H = d->H, GH = 3 * H;
    gemm(0, 1, n, 2 * H, H, 1.0f, hp, H, p->w_hh, H, 0.0f, gh, 2 * H);
    for (size_t j = 0; j < n; j++) {
        float *g = a + j * GH;
        const float *q = gh + j * 2 * H;
        for (size_t k = 0; k < 2 * H; k++)
            g[k] += q[k];
        vmath_sigmoid(g, g, 2 * H);
        for (size_t k = 0; k < H; k++)
            aux[j * H + k] = g[k] * hp[j * H + k];
    }
    gemm(0, 1, n, H, H, 1.0f, aux, H, p->w_hh + 2 * H * H, H, 1.0f,
               a + 2 * H, GH);
    for (size_t j = 0; j < n; j++) {
        float *g = a + j * GH;
        vmath_tanh(g + 2 * H, g + 2 * H, H);
        for (size_t k = 0; k < H; k++)
            hn[j * H + k] = gru_state(zh, j * H + k, g[H + k], g[2 * H + k],
                                      hu[j * H + k]);
    }
}

void gru_cell_forward(const cell_dims *d, const cell_params *p,
                      const packed_layout *lay, int reverse, const float *x,
                      size_t ldx, float *y, size_t ldy, float *h, float *c,
                      const cell_cache *cache, const cell_scratch *s)
{
    (void)c;
    const size_t H = d->H, GH = 3 * H;
    const int rb = d->mode == RECUR_GRU_RESET_BEFORE;
    /* b_hn stays outside r in the linear-before-reset form. */
    const int fold[3] = {1, 1, rb};
    cell_inputs in;
    cell_forward_inputs(d, p, lay, x, ldx, fold, 0, cache, s, &in);
    gemm_b whh; /* linear before reset: all three gates at once */
    if (!rb)
        cell_pack_recurrent(d, p, lay, 0, s, &whh);

    for (size_t i = 0; i < lay->T; i++) {
        size_t t = cell_step(lay, reverse, i);
        size_t n = lay->batch[t], row = lay->offset[t];
        float *a = cache->gates + row * GH;
        float *hp = cache->hprev + row * H;
        float *aux = cache->aux + row * H;
        float *hu = cache->hfull ? cache->hfull + row * H : hp;
        const float *zh = cache->zh ? cache->zh + row * H : NULL;
        cell_recurrent_input(cache, n, H, h, hp, cache->hfull ? hu : NULL);
        if (rb) {
            forward_step_rb(d, p, n, a, hp, hu, zh, h, aux, s->step);
            for (size_t j = 0; j < n; j++)
                memcpy(y + (row + j) * ldy, h + j * H, H * sizeof(float));
            continue;
        }
        gru_rows r = {.n = n, .H = H, .b_hh = p->b_hh, .a = a,
                      .gh = s->step, .hu = hu, .zh = zh, .aux = aux, .h = h,
                      .y = y + row * ldy, .ldy = ldy};
        if (d->layer_norm) {
            gemm_packed(n, 1.0f, hp, H, &whh, 0.0f, s->step, GH);
            cell_ln_forward(s->step, GH, s->step, GH, 0, n, GH, p->ln_hh_w,
                            p->ln_hh_b, cache->ln_hh + row * GH,
                            cache->ln_r + row * 3 + 1, 3);
            gru_lbr_rows(&r, 0, 1);
        } else {
            gemm_packed_step(n, x + row * ldx, ldx, in.wx, in.bias, a,
                                   GH, hp, H, &whh, 0.0f, s->step, GH,
                                   (int)(i & 1), gru_lbr_rows, &r);
        }
    }
}

/* Pass 1 of a backward step on one row: the z and n gates' gradients
 * (into both sides' dG); dh is overwritten with the direct paths
 * dL/dh · z (and zoneout's d), the products add the rest. */
static inline void gru_back_zn(size_t H, const float *gv, const float *hu,
                               const float *zh, const float *dy, float *dh,
                               float *dGi, float *dGh)
{
    for (size_t k = 0; k < H; k++) {
        float z = gv[H + k], nv = gv[2 * H + k];
        float dhv = dh[k] + dy[k];
        float keep = 0.0f;
        if (zh) {
            keep = dhv * zh[k];
            dhv *= 1.0f - zh[k];
        }
        float dn = dhv * (1.0f - z) * (1.0f - nv * nv);
        float dz = dhv * (hu[k] - nv) * z * (1.0f - z);
        dGi[H + k] = dz;
        dGh[H + k] = dz;
        dGi[2 * H + k] = dn;
        dh[k] = zh ? dhv * z + keep : dhv * z;
    }
}

/* Linear before reset, one row: r's gradient from dn and W_hn h + b_hn. */
static inline void gru_back_r(size_t H, const float *gv, const float *aux,
                              float *dGi, float *dGh)
{
    for (size_t k = 0; k < H; k++) {
        float r = gv[k];
        float dn = dGi[2 * H + k];
        float dr = dn * aux[k] * r * (1.0f - r);
        dGi[k] = dr;
        dGh[k] = dr;
        dGh[2 * H + k] = dn * r;
    }
}

/* Linear-before-reset backward without layer norm
 * (cell_backward_steps): row j of a step. */
static void gru_back_row(const cell_back *b, size_t j)
{
    const cell_cache *cache = b->cache;
    const size_t H = b->P, GH = 3 * H, row = b->first + j;
    const float *gv = cache->gates + row * GH;
    const float *hu = (cache->hfull ? cache->hfull : cache->hprev) + row * H;
    float *dGi = b->s->dgates + row * GH, *dGh = b->s->dgates_h + row * GH;
    gru_back_zn(H, gv, hu, cache->zh ? cache->zh + row * H : NULL,
                b->dy + row * b->lddy, b->dh + j * H, dGi, dGh);
    gru_back_r(H, gv, cache->aux + row * H, dGi, dGh);
}

/* The steps of backward for the reset-before GRU or with layer norm: per
 * step the rows' pass, then the products (whh NULL: reset before, through
 * w_hh itself), in turn. */
static void backward_steps_rb_ln(const cell_dims *d, const cell_params *p,
                                 const cell_params *g,
                                 const packed_layout *lay, int reverse,
                                 const gemm_b *whh, const float *dy,
                                 size_t lddy, float *dh,
                                 const cell_cache *cache,
                                 const cell_scratch *s)
{
    const size_t H = d->H, GH = 3 * H;
    const int rb = d->mode == RECUR_GRU_RESET_BEFORE;
    for (size_t i = lay->T; i-- > 0;) {
        size_t t = cell_step(lay, reverse, i);
        size_t n = lay->batch[t], row = lay->offset[t];
        const float *a = cache->gates + row * GH;
        const float *hp = cache->hprev + row * H;
        const float *hu = cache->hfull ? cache->hfull + row * H : hp;
        const float *zh = cache->zh ? cache->zh + row * H : NULL;
        const float *aux = cache->aux + row * H;
        float *dGi = s->dgates + row * GH;   /* input side   */
        float *dGh = s->dgates_h + row * GH; /* recurrent side */
        /* With recurrent dropout the products' gradient dL/d(h∘m) gathers
         * in dm, then reaches dh times m; without, straight in dh. */
        const int masked = cache->rmask != NULL;
        float *dm = masked ? s->step : dh;

        /* Pass 1: z and n gates (gru_back_zn). */
        for (size_t j = 0; j < n; j++)
            gru_back_zn(H, a + j * GH, hu + j * H, zh ? zh + j * H : NULL,
                        dy + (row + j) * lddy, dh + j * H, dGi + j * GH,
                        dGh + j * GH);
        if (rb) {
            /* d(r∘h) = dn · w_hn; then r's gradient and r's share of dh. */
            float *drh = s->step2;
            gemm(0, 0, n, H, H, 1.0f, dGi + 2 * H, GH,
                       p->w_hh + 2 * H * H, H, 0.0f, drh, H);
            for (size_t j = 0; j < n; j++)
                for (size_t k = 0; k < H; k++) {
                    float r = a[j * GH + k];
                    float dr = drh[j * H + k] * hp[j * H + k] * r * (1.0f - r);
                    dGi[j * GH + k] = dr;
                    dGh[j * GH + k] = dr;
                    dGh[j * GH + 2 * H + k] = dGi[j * GH + 2 * H + k];
                    if (masked)
                        dm[j * H + k] = drh[j * H + k] * r;
                    else
                        dh[j * H + k] += drh[j * H + k] * r;
                }
            gemm(0, 0, n, H, 2 * H, 1.0f, dGh, GH, p->w_hh, H, 1.0f, dm,
                       H);
        } else {
            for (size_t j = 0; j < n; j++)
                gru_back_r(H, a + j * GH, aux + j * H, dGi + j * GH,
                           dGh + j * GH);
            if (d->layer_norm) {
                /* dGh is dL/dgh: b_hh's gradient now, then through
                 * LN(W_hh h) in place (for the product and w_hh). */
                if (g->b_hh)
                    cell_bias_grad(g->b_hh, dGh, n, GH, GH);
                cell_ln_backward(dGh, GH, n, GH, p->ln_hh_w,
                                 cache->ln_hh + row * GH,
                                 cache->ln_r + row * 3 + 1, 3, g->ln_hh_w,
                                 g->ln_hh_b);
            }
            gemm_packed(n, 1.0f, dGh, GH, whh, masked ? 0.0f : 1.0f,
                              dm, H);
        }
        if (masked)
            cell_recurrent_grad(cache->rmask, n, H, dm, 1, dh);
    }
}

void gru_cell_backward(const cell_dims *d, const cell_params *p,
                       const cell_params *g, const packed_layout *lay,
                       int reverse, const float *x, size_t ldx,
                       const float *dy, size_t lddy, float *dx, size_t lddx,
                       float *dh, float *dc, const cell_cache *cache,
                       const cell_scratch *s)
{
    (void)dc;
    const size_t H = d->H, GH = 3 * H, N = lay->offset[lay->T];
    const int rb = d->mode == RECUR_GRU_RESET_BEFORE;
    gemm_b whh;
    if (!rb)
        cell_pack_recurrent(d, p, lay, 1, s, &whh);

    /* Linear before reset without layer norm: each step's product runs
     * with the next step's pass (cell_backward_steps). */
    if (rb || d->layer_norm) {
        backward_steps_rb_ln(d, p, g, lay, reverse, rb ? NULL : &whh, dy,
                             lddy, dh, cache, s);
    } else {
        cell_back b = {.cache = cache, .s = s, .dh = dh, .P = H, .dy = dy,
                       .lddy = lddy, .dGr = s->dgates_h, .GH = GH,
                       .beta = 1.0f, .mask_add = 1, .row = gru_back_row,
                       .cell = NULL, .first = 0, .n = 0, .n_prod = 0};
        cell_backward_steps(lay, reverse, &whh, &b);
    }

    cell_input_backward(d, p, g, x, ldx, N, s->dgates, dx, lddx, cache, s);
    if (rb) {
        cell_weight_grad(s, 2 * H, H, N, s->dgates_h, GH, cache->hprev, H,
                         g->w_hh, H);
        cell_weight_grad(s, H, H, N, s->dgates_h + 2 * H, GH, cache->aux, H,
                         g->w_hh + 2 * H * H, H);
    } else {
        cell_weight_grad(s, GH, H, N, s->dgates_h, GH, cache->hprev, H,
                         g->w_hh, H);
    }
    if (g->b_hh && !d->layer_norm)
        cell_bias_grad(g->b_hh, s->dgates_h, N, GH, GH);
}
