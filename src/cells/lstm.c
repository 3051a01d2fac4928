/*
 * lstm.c — LSTM layer, one direction, as torch.nn.LSTM.
 *
 * Gate rows of w_ih [4H, I], w_hh [4H, P], b_ih, b_hh [4H] are ordered
 * i, f, g, o:
 *     i = σ(W_ii x + b_ii + W_hi h + b_hi)
 *     f = σ(W_if x + b_if + W_hf h + b_hf)
 *     g = tanh(W_ig x + b_ig + W_hg h + b_hg)
 *     o = σ(W_io x + b_io + W_ho h + b_ho)
 *     c' = f ∘ c + i ∘ g
 *     h' = o ∘ tanh(c')                 (P = H)
 *     h' = W_hr (o ∘ tanh(c'))          (projection: w_hr [P, H], P < H)
 * The recurrent state is h' (size P) and c' (size H); the output is h'.
 *
 * Regularisers (cell.h): recurrent dropout uses h∘m in W_h· h (the cell
 * path is not masked); zoneout keeps each element of h and of c with its
 * own mask: c' = d_c∘c + (1 − d_c)∘c̃, h' = d_h∘h + (1 − d_h)∘h̃, where c̃
 * and h̃ are the values above (tanh_c caches tanh(c̃)).
 *
 * Layer norm (Ba, Kiros & Hinton 2016, sec. 3.1, in PyTorch's gate order;
 * LN(v; γ, β) over the 4H values of a product, or the H of c', cell.h):
 *     (i, f, g, o) pre-activations = LN(W_ih x; γ_ih, β_ih)
 *                                  + LN(W_hh h; γ_hh, β_hh) + b_ih + b_hh
 *     c' = f ∘ c + i ∘ g
 *     h' = o ∘ tanh(LN(c'; γ_c, β_c))   (then W_hr with a projection)
 * The state carried on (and zoned out) is the un-normalised c'.
 *
 * Forward: one GEMM projects the inputs of every step (both biases folded
 * in; with layer norm, normalised first, then the biases added); each step
 * adds h·w_hhᵀ into its rows of that buffer with one GEMM (with layer
 * norm: into scratch, normalised and added), then one fused pass applies
 * the gates and updates c and h in place (with layer norm, c' is
 * normalised between two passes). With 32 rows or more per step (and no
 * layer norm), each step's input product runs with its recurrent one
 * instead, panel by panel into the same hot columns, and the gate pass
 * over shares of the rows in the products' threads
 * (gemm_packed_step). A streaming call (one step of one row,
 * weights packed by recur_rnn_pack_weights) runs both products in one
 * pass (cell_step_products). All three give the same sums, the same bits.
 * Backward: one fused pass per step turns dh, dc into the gate
 * pre-activation gradients dG, one GEMM carries them back to h (with layer
 * norm, through LN(W_hh h) first, into dgates_h; without it or a
 * projection, each step's GEMM and the next step's pass share one team of
 * threads, cell_backward_steps); the weight gradients and dx are then
 * whole-sequence GEMMs over dG (through LN(W_ih x) first).
 */
#include "cells/cell.h"
#include "kernels/gemm.h"
#include "kernels/vmath.h"

#include <string.h>

/* One row's gate pre-activations [i f g o] (4H) to σ, σ, tanh, σ. */
static void lstm_activate(float *a, size_t H)
{
    vmath_sigmoid(a, a, 2 * H);
    vmath_tanh(a + 2 * H, a + 2 * H, H);
    vmath_sigmoid(a + 3 * H, a + 3 * H, H);
}

/* The layer-norm gate pass over one step's n rows (starting at packed row
 * `row`): the activations, c' into c, tanh(LN(c')) into tcn, o∘tanh(...)
 * into hraw (projection) or y; c then zoned out against cp. */
static void gates_ln(const cell_dims *d, const cell_params *p, size_t n,
                     size_t row, float *gates, const float *cp, float *c,
                     float *tcn, const float *zc, float *y, size_t ldy,
                     const cell_cache *cache)
{
    const size_t H = d->H, GH = 4 * H;
    for (size_t j = 0; j < n; j++) {
        float *a = gates + j * GH;
        lstm_activate(a, H);
        for (size_t k = 0; k < H; k++)
            c[j * H + k] = a[H + k] * cp[j * H + k] + a[k] * a[2 * H + k];
    }
    cell_ln_forward(c, H, tcn, H, 0, n, H, p->ln_c_w, p->ln_c_b,
                    cache->ln_c + row * H, cache->ln_r + row * 3 + 2, 3);
    vmath_tanh(tcn, tcn, n * H);
    for (size_t j = 0; j < n; j++) {
        const float *a = gates + j * GH;
        float *hr = p->w_hr ? cache->hraw + (row + j) * H : y + (row + j) * ldy;
        for (size_t k = 0; k < H; k++) {
            hr[k] = a[3 * H + k] * tcn[j * H + k];
            if (zc)
                c[j * H + k] = cell_zone(zc[j * H + k], cp[j * H + k],
                                         c[j * H + k]);
        }
    }
}

/* The new state of one row: y zoned out against h (zh NULL: as it is),
 * then copied into h. */
static inline void lstm_state_row(size_t P, const float *zh, float *h,
                                  float *y)
{
    for (size_t k = 0; zh && k < P; k++)
        y[k] = cell_zone(zh[k], h[k], y[k]);
    memcpy(h, y, P * sizeof(float));
}

/* One step's rows, for the gate pass (gemm_rows_fn). */
typedef struct {
    size_t n, H, P;   /* n rows */
    const float *zc;  /* zoneout of c, or NULL */
    float *gates, *cp, *c, *tcn, *hr;  /* rows of the step */
    size_t ldhr;
    float *h, *hp;    /* hp: h is copied there first (or NULL) */
    int keep_c;       /* c is copied into cp first (else updated in place) */
    int state;        /* no projection: the new state too (lstm_state_row) */
    const float *zh;  /* zoneout of h, or NULL */
} lstm_rows;

/* A share of the rows: c kept in cp, the activations, c' into c, tanh(c')
 * into tcn, o∘tanh(c') into hr (y, or hraw with a projection); c then
 * zoned out; without a projection, h and y then take the new state. Each
 * row alone, whichever thread runs it. */
static void lstm_gate_rows(void *ctx, size_t part, size_t parts)
{
    const lstm_rows *r = ctx;
    const size_t H = r->H, P = r->P, GH = 4 * H;
    size_t j0, j1;
    cell_share(r->n, part, parts, &j0, &j1);
    for (size_t j = j0; j < j1; j++) {
        float *a = r->gates + j * GH, *hr = r->hr + j * r->ldhr;
        float *cj = r->c + j * H, *tj = r->tcn + j * H, *cpj = r->cp + j * H;
        if (r->hp)
            memcpy(r->hp + j * P, r->h + j * P, P * sizeof(float));
        if (r->keep_c)
            memcpy(cpj, cj, H * sizeof(float));
        else
            cpj = cj; /* f∘c + i∘g element by element: the same values */
        lstm_activate(a, H);
        for (size_t k = 0; k < H; k++)
            cj[k] = a[H + k] * cpj[k] + a[k] * a[2 * H + k];
        vmath_tanh(tj, cj, H);
        for (size_t k = 0; k < H; k++) {
            hr[k] = a[3 * H + k] * tj[k];
            if (r->zc)
                cj[k] = cell_zone(r->zc[j * H + k], cpj[k], cj[k]);
        }
        if (r->state)
            lstm_state_row(P, r->zh ? r->zh + j * P : NULL, r->h + j * P, hr);
    }
}

void lstm_cell_forward(const cell_dims *d, const cell_params *p,
                       const packed_layout *lay, int reverse, const float *x,
                       size_t ldx, float *y, size_t ldy, float *h, float *c,
                       const cell_cache *cache, const cell_scratch *s)
{
    const size_t H = d->H, P = d->P, GH = 4 * H;
    const int fold[4] = {1, 1, 1, 1};
    const int proj = p->w_hr != NULL;
    /* A streaming call (one step, one row, fixed weights) runs both
     * products in one pass, in the loop; with rows enough, each step runs
     * its own input product; else all steps' come first. */
    const int one = cell_one_step(d, lay, s);
    cell_inputs in;
    cell_forward_inputs(d, p, lay, x, ldx, fold, one, cache, s, &in);
    gemm_b whh;
    cell_pack_recurrent(d, p, lay, 0, s, &whh);

    for (size_t i = 0; i < lay->T; i++) {
        size_t t = cell_step(lay, reverse, i);
        size_t n = lay->batch[t], row = lay->offset[t];
        float *gates = cache->gates + row * GH;
        float *hp = cache->hprev + row * P;
        float *cp = cache->cprev + row * H;
        float *tcn = cache->tanh_c + row * H;
        const float *zh = cache->zh ? cache->zh + row * P : NULL;
        const float *zc = cache->zc ? cache->zc + row * H : NULL;
        if (d->layer_norm) {
            cell_recurrent_input(cache, n, P, h, hp, NULL);
            memcpy(cp, c, n * H * sizeof(float));
            cell_recurrent_product(n, hp, P, &whh, 0.0f, s->step, GH, i);
            cell_ln_forward(s->step, GH, gates, GH, 1, n, GH, p->ln_hh_w,
                            p->ln_hh_b, cache->ln_hh + row * GH,
                            cache->ln_r + row * 3 + 1, 3);
            gates_ln(d, p, n, row, gates, cp, c, tcn, zc, y, ldy, cache);
        } else {
            /* Without a recurrent mask the product reads h itself, which
             * the rows' pass copies to hp before replacing it. */
            const int masked = cache->rmask != NULL;
            if (masked)
                cell_recurrent_input(cache, n, P, h, hp, NULL);
            /* Lean (no backward follows): hp and cp are not kept, but c's
             * zoneout reads the previous c. */
            lstm_rows r = {.n = n, .H = H, .P = P, .zc = zc,
                           .gates = gates, .cp = cp, .c = c, .tcn = tcn,
                           .hr = proj ? cache->hraw + row * H : y + row * ldy,
                           .ldhr = proj ? H : ldy, .h = h,
                           .hp = masked || s->lean ? NULL : hp,
                           .keep_c = !s->lean || zc, .state = !proj,
                           .zh = zh};
            if (one) {
                cell_step_products(d, p, x, masked ? hp : h, fold, gates, s);
                lstm_gate_rows(&r, 0, 1);
            } else {
                gemm_packed_step(n, x + row * ldx, ldx, in.wx, in.bias,
                                       gates, GH, masked ? hp : h, P, &whh,
                                       1.0f, gates, GH, (int)(i & 1),
                                       lstm_gate_rows, &r);
            }
        }
        if (!proj && !d->layer_norm)
            continue; /* the gate pass did the rest */
        float *yt = y + row * ldy;
        if (proj)
            gemm(0, 1, n, P, H, 1.0f, cache->hraw + row * H, H,
                       p->w_hr, H, 0.0f, yt, ldy);
        for (size_t j = 0; j < n; j++)
            lstm_state_row(P, zh ? zh + j * P : NULL, h + j * P,
                           yt + j * ldy);
    }
}

/* One row's gate pre-activation gradients da [4H] from dL/dh̃ (dhr) and
 * the carried dc (replaced by the previous cell's); dcl: with layer norm,
 * dL/dc' through tanh(LN(c')), else NULL. */
static inline void lstm_grad_row(size_t H, const float *a, const float *cp,
                                 const float *tc, const float *dhr,
                                 const float *dcl, const float *zc, float *dc,
                                 float *da)
{
    for (size_t k = 0; k < H; k++) {
        float ig = a[k], fg = a[H + k], gg = a[2 * H + k], og = a[3 * H + k];
        float dhv = dhr[k], dcin = dc[k], keep = 0.0f;
        if (zc) {
            keep = dcin * zc[k];
            dcin *= 1.0f - zc[k];
        }
        float dcv = dcin + (dcl ? dcl[k] : dhv * og * (1.0f - tc[k] * tc[k]));
        da[k] = dcv * gg * ig * (1.0f - ig);
        da[H + k] = dcv * cp[k] * fg * (1.0f - fg);
        da[2 * H + k] = dcv * ig * (1.0f - gg * gg);
        da[3 * H + k] = dhv * tc[k] * og * (1.0f - og);
        dc[k] = zc ? dcv * fg + keep : dcv * fg;
    }
}

/* Backward without layer norm or projection (cell_backward_steps): what
 * row j of a step needs besides the cache. */
typedef struct {
    float *dc, *dhr; /* [B, H] each */
} lstm_back;

/* dL/dh of the row (dh + dy, zoneout's share kept in dh), then dG, dc. */
static void lstm_back_row(const cell_back *b, size_t j)
{
    const lstm_back *c = b->cell;
    const cell_cache *cache = b->cache;
    const size_t H = b->P, GH = 4 * H, row = b->first + j;
    cell_zone_grad(H, b->dh + j * H, b->dy + row * b->lddy,
                   cache->zh ? cache->zh + row * H : NULL, c->dhr + j * H);
    lstm_grad_row(H, cache->gates + row * GH, cache->cprev + row * H,
                  cache->tanh_c + row * H, c->dhr + j * H, NULL,
                  cache->zc ? cache->zc + row * H : NULL, c->dc + j * H,
                  b->s->dgates + row * GH);
}

/* The steps of backward with layer norm or a projection: per step the
 * rows' pass (through LN(c') and W_hr where they are), then the product
 * into dh, in turn. */
static void backward_steps_ln_proj(const cell_dims *d, const cell_params *p,
                                   const cell_params *g,
                                   const packed_layout *lay, int reverse,
                                   const gemm_b *whh, const float *dy,
                                   size_t lddy, float *dh, float *dc,
                                   const cell_cache *cache,
                                   const cell_scratch *s)
{
    const size_t H = d->H, P = d->P, GH = 4 * H;
    const int proj = p->w_hr != NULL;
    for (size_t i = lay->T; i-- > 0;) {
        size_t t = cell_step(lay, reverse, i);
        size_t n = lay->batch[t], row = lay->offset[t];
        const float *gates = cache->gates + row * GH;
        const float *cp = cache->cprev + row * H;
        const float *tcn = cache->tanh_c + row * H;
        const float *zh = cache->zh ? cache->zh + row * P : NULL;
        const float *zc = cache->zc ? cache->zc + row * H : NULL;
        float *dG = s->dgates + row * GH;

        /* dL/dh of this step's output: carried state gradient + dy; with
         * zoneout, the share 1 − d goes to h̃ and d straight to the
         * previous h (left in dh). */
        float *dhr = s->step2;
        float *dhp = proj ? s->dh_all + row * P : dhr;
        for (size_t j = 0; j < n; j++)
            cell_zone_grad(P, dh + j * P, dy + (row + j) * lddy,
                           zh ? zh + j * P : NULL, dhp + j * P);
        if (proj)
            gemm(0, 0, n, H, P, 1.0f, dhp, P, p->w_hr, H, 0.0f, dhr, H);

        /* Layer norm: dL/dc' through tanh(LN(c')), into dcl (the per-step
         * scratch, free until the products below). */
        float *dcl = s->step;
        if (d->layer_norm) {
            for (size_t j = 0; j < n; j++)
                for (size_t k = 0; k < H; k++) {
                    float tc = tcn[j * H + k];
                    dcl[j * H + k] = dhr[j * H + k] * gates[j * GH + 3 * H + k] *
                                     (1.0f - tc * tc);
                }
            cell_ln_backward(dcl, H, n, H, p->ln_c_w, cache->ln_c + row * H,
                             cache->ln_r + row * 3 + 2, 3, g->ln_c_w,
                             g->ln_c_b);
        }

        for (size_t j = 0; j < n; j++)
            lstm_grad_row(H, gates + j * GH, cp + j * H, tcn + j * H,
                          dhr + j * H, d->layer_norm ? dcl + j * H : NULL,
                          zc ? zc + j * H : NULL, dc + j * H, dG + j * GH);
        /* Layer norm: the recurrent product's gradient, through
         * LN(W_hh h), kept in dgates_h for w_hh's gradient. */
        const float *dGr = dG;
        if (d->layer_norm) {
            float *dGh = s->dgates_h + row * GH;
            memcpy(dGh, dG, n * GH * sizeof(float));
            cell_ln_backward(dGh, GH, n, GH, p->ln_hh_w,
                             cache->ln_hh + row * GH, cache->ln_r + row * 3 + 1,
                             3, g->ln_hh_w, g->ln_hh_b);
            dGr = dGh;
        }
        if (cache->rmask) {
            cell_recurrent_product(n, dGr, GH, whh, 0.0f, s->step, P, i);
            cell_recurrent_grad(cache->rmask, n, P, s->step, zh != NULL,
                                dh);
        } else {
            cell_recurrent_product(n, dGr, GH, whh, zh ? 1.0f : 0.0f, dh, P,
                                   i);
        }
    }
}

void lstm_cell_backward(const cell_dims *d, const cell_params *p,
                        const cell_params *g, const packed_layout *lay,
                        int reverse, const float *x, size_t ldx,
                        const float *dy, size_t lddy, float *dx, size_t lddx,
                        float *dh, float *dc, const cell_cache *cache,
                        const cell_scratch *s)
{
    const size_t H = d->H, P = d->P, GH = 4 * H;
    const size_t N = lay->offset[lay->T];
    const int proj = p->w_hr != NULL;
    gemm_b whh;
    cell_pack_recurrent(d, p, lay, 1, s, &whh);

    /* Without layer norm or projection, each step's product runs with the
     * next step's pass (cell_backward_steps). */
    if (d->layer_norm || proj) {
        backward_steps_ln_proj(d, p, g, lay, reverse, &whh, dy, lddy, dh, dc,
                               cache, s);
    } else {
        lstm_back c = {.dc = dc, .dhr = s->step2};
        cell_back b = {.cache = cache, .s = s, .dh = dh, .P = P, .dy = dy,
                       .lddy = lddy, .dGr = s->dgates, .GH = GH,
                       .beta = cache->zh ? 1.0f : 0.0f,
                       .mask_add = cache->zh != NULL, .row = lstm_back_row,
                       .cell = &c, .first = 0, .n = 0, .n_prod = 0};
        cell_backward_steps(lay, reverse, &whh, &b);
    }

    /* b_hh first: with layer norm the input side rewrites dgates. */
    if (g->b_hh)
        cell_bias_grad(g->b_hh, s->dgates, N, GH, GH);
    cell_weight_grad(s, GH, P, N, d->layer_norm ? s->dgates_h : s->dgates,
                     GH, cache->hprev, P, g->w_hh, P);
    cell_input_backward(d, p, g, x, ldx, N, s->dgates, dx, lddx, cache, s);
    if (proj)
        cell_weight_grad(s, P, H, N, s->dh_all, P, cache->hraw, H, g->w_hr, H);
}
