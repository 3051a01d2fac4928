/* cell_common.c — the whole-sequence products shared by every cell, and
 * layer normalisation. */
#include "cells/cell.h"
#include "kernels/gemm.h"

#include <math.h>
#include <string.h>

void cell_scratch_sizes(const cell_dims *d, size_t B, size_t N,
                        cell_scratch_floats *s)
{
    size_t GH = d->G * d->H;
    size_t wide = d->H > d->P ? d->H : d->P;
    int gru = d->mode == RECUR_GRU || d->mode == RECUR_GRU_RESET_BEFORE;
    s->step = B * GH;
    s->step2 = B * wide;
    s->dgates = N * GH;
    s->dgates_h = gru || d->layer_norm ? N * GH : 0;
    s->dh_all = d->mode == RECUR_LSTM && d->P != d->H ? N * d->P : 0;
    /* w_hhᵀ, w_hh, w_ihᵀ, w_ih packed */
    size_t packs[4] = {
        gemm_pack_floats(GH, d->P), gemm_pack_floats(d->P, GH),
        gemm_pack_floats(GH, d->I), gemm_pack_floats(d->I, GH)};
    s->wpack = 0;
    for (int i = 0; i < 4; i++)
        s->wpack = packs[i] > s->wpack ? packs[i] : s->wpack;
    int step_inputs =
        d->mode != RECUR_GRU_RESET_BEFORE && !d->layer_norm;
    s->ihpack = step_inputs ? packs[2] : 0;
    s->bias = step_inputs && s->ihpack ? GH : 0;
}

/* C[N, GH] (+)= x · w_ihᵀ (+ bias[GH] each row), or C[N, I] += dG · w_ih
 * (backward), through the packed kernel when there are rows enough to pay
 * for the packing. */
static void input_product(const cell_dims *d, const cell_params *p,
                          int backward, size_t N, const float *A, size_t lda,
                          float beta, const float *bias, float *C, size_t ldc,
                          const cell_scratch *s)
{
    const size_t GH = d->G * d->H, I = d->I;
    gemm_b wb;
    float *buf = N >= 16 ? s->wpack : NULL;
    if (!backward && s->fixed_ih)
        wb = *s->fixed_ih;
    else if (backward)
        gemm_pack(&wb, 0, I, GH, p->w_ih, I, buf);
    else
        gemm_pack(&wb, 1, GH, I, p->w_ih, I, buf);
    gemm_packed_bias(N, 1.0f, A, lda, &wb, beta, bias, C, ldc);
}

void cell_pack_recurrent(const cell_dims *d, const cell_params *p,
                         const packed_layout *lay, int backward,
                         const cell_scratch *s, gemm_b *wb)
{
    const size_t GH = d->G * d->H, P = d->P;
    float *buf = lay->T > 1 ? s->wpack : NULL;
    if (!backward && s->fixed_hh) {
        *wb = *s->fixed_hh;
        return;
    }
    if (backward)
        gemm_pack(wb, 0, P, GH, p->w_hh, P, buf);
    else
        gemm_pack(wb, 1, GH, P, p->w_hh, P, buf);
}

void cell_cache_sizes(const cell_dims *d, size_t N, cell_cache_floats *s)
{
    int lstm = d->mode == RECUR_LSTM;
    int gru = d->mode == RECUR_GRU || d->mode == RECUR_GRU_RESET_BEFORE;
    int ln = d->layer_norm;
    s->gates = N * d->G * d->H;
    s->hprev = N * d->P;
    s->tanh_c = lstm ? N * d->H : 0;
    s->cprev = lstm ? N * d->H : 0;
    s->hraw = lstm && d->P != d->H ? N * d->H : 0;
    s->aux = gru ? N * d->H : 0;
    s->ln_ih = ln ? N * d->G * d->H : 0;
    s->ln_hh = ln ? N * d->G * d->H : 0;
    s->ln_c = ln && lstm ? N * d->H : 0;
    s->ln_r = ln ? N * 3 : 0;
}

void cell_ln_stats(const float *v, size_t w, float *mean, float *r)
{
    double sum = 0, sq = 0;
    for (size_t k = 0; k < w; k++)
        sum += v[k];
    double m = sum / (double)w;
    for (size_t k = 0; k < w; k++)
        sq += ((double)v[k] - m) * ((double)v[k] - m);
    *mean = (float)m;
    *r = (float)(1.0 / sqrt(sq / (double)w + CELL_LN_EPS));
}

void cell_ln_forward(const float *v, size_t ldv, float *out, size_t ldo,
                     int add, size_t n, size_t w, const float *gamma,
                     const float *beta, float *xhat, float *r, size_t rstride)
{
    for (size_t j = 0; j < n; j++) {
        const float *vj = v + j * ldv;
        float *o = out + j * ldo, *xh = xhat + j * w, mean, rj;
        cell_ln_stats(vj, w, &mean, &rj);
        r[j * rstride] = rj;
        for (size_t k = 0; k < w; k++) {
            xh[k] = (vj[k] - mean) * rj;
            float y = gamma[k] * xh[k] + beta[k];
            o[k] = add ? o[k] + y : y;
        }
    }
}

void cell_ln_backward(float *dv, size_t ld, size_t n, size_t w,
                      const float *gamma, const float *xhat, const float *r,
                      size_t rstride, float *dgamma, float *dbeta)
{
    for (size_t j = 0; j < n; j++) {
        float *dy = dv + j * ld;
        const float *xh = xhat + j * w;
        double m1 = 0, m2 = 0;
        for (size_t k = 0; k < w; k++) {
            float gd = gamma[k] * dy[k];
            dgamma[k] += dy[k] * xh[k];
            dbeta[k] += dy[k];
            m1 += gd;
            m2 += (double)gd * xh[k];
        }
        /* In double: the three terms cancel when r is large. */
        double a = m1 / (double)w, b = m2 / (double)w;
        for (size_t k = 0; k < w; k++)
            dy[k] = (float)(((double)gamma[k] * dy[k] - a - xh[k] * b) *
                            r[j * rstride]);
    }
}

/* Layer norm: out = LN(x · w_ihᵀ) + b_ih + folded b_hh. */
static void project_inputs_ln(const cell_dims *d, const cell_params *p,
                              const float *x, size_t ldx, size_t N,
                              const int *fold, float *out,
                              const cell_cache *cache, const cell_scratch *s)
{
    size_t H = d->H, GH = d->G * H;
    input_product(d, p, 0, N, x, ldx, 0.0f, NULL, out, GH, s);
    cell_ln_forward(out, GH, out, GH, 0, N, GH, p->ln_ih_w, p->ln_ih_b,
                    cache->ln_ih, cache->ln_r, 3);
    if (!p->b_ih && !p->b_hh)
        return;
    for (size_t n = 0; n < N; n++)
        for (size_t k = 0; k < GH; k++)
            out[n * GH + k] += (p->b_ih ? p->b_ih[k] : 0.0f) +
                               (p->b_hh && fold[k / H] ? p->b_hh[k] : 0.0f);
}

/* out[G*H] = b_ih + (b_hh where fold[gate] is set); returns 0, out
 * untouched, when there is no bias to add. */
static int bias_row(const cell_dims *d, const cell_params *p, const int *fold,
                    float *out)
{
    size_t H = d->H, GH = d->G * H;
    int any = p->b_ih != NULL;
    for (size_t gate = 0; gate < d->G; gate++)
        any |= p->b_hh != NULL && fold[gate];
    if (!any)
        return 0;
    for (size_t k = 0; k < GH; k++)
        out[k] = p->b_ih ? p->b_ih[k] : 0.0f;
    if (p->b_hh)
        for (size_t gate = 0; gate < d->G; gate++)
            if (fold[gate])
                for (size_t k = 0; k < H; k++)
                    out[gate * H + k] += p->b_hh[gate * H + k];
    return 1;
}

void cell_project_inputs(const cell_dims *d, const cell_params *p,
                         const float *x, size_t ldx, size_t N,
                         const int *fold, float *out, const cell_cache *cache,
                         const cell_scratch *s)
{
    if (d->layer_norm) {
        project_inputs_ln(d, p, x, ldx, N, fold, out, cache, s);
        return;
    }
    /* The summed bias (in s->step, free before the steps) is added by the
     * product's store: out is written, never read (it was filled with the
     * bias rows and read back, 26 MB for 3200 rows of 2048). */
    int any = bias_row(d, p, fold, s->step);
    input_product(d, p, 0, N, x, ldx, 0.0f, any ? s->step : NULL, out,
                  d->G * d->H, s);
}

void cell_forward_inputs(const cell_dims *d, const cell_params *p,
                         const packed_layout *lay, const float *x,
                         size_t ldx, const int *fold, int one,
                         const cell_cache *cache, const cell_scratch *s,
                         cell_inputs *in)
{
    /* Per step, it pays with rows enough (1 thread, LSTM: B 64, H 512 5%
     * faster, B 32 8%, B 50 8%; B 20 8% slower). */
    in->wx = NULL;
    in->bias = NULL;
    if (!one && !d->layer_norm && d->mode != RECUR_GRU_RESET_BEFORE &&
        !s->test_hooks.whole_inputs && lay->T > 1 &&
        lay->batch[0] >= CELL_STEP_INPUT_ROWS && (s->fixed_ih || s->ihpack) &&
        s->bias) {
        if (s->fixed_ih)
            in->w = *s->fixed_ih;
        else
            gemm_pack(&in->w, 1, d->G * d->H, d->I, p->w_ih, d->I,
                            s->ihpack);
        in->wx = &in->w;
        in->bias = bias_row(d, p, fold, s->bias) ? s->bias : NULL;
        if (s->test_hooks.per_step_inputs)
            ++*s->test_hooks.per_step_inputs;
    } else if (!one) {
        cell_project_inputs(d, p, x, ldx, lay->offset[lay->T], fold,
                            cache->gates, cache, s);
    }
}

int cell_one_step(const cell_dims *d, const packed_layout *lay,
                  const cell_scratch *s)
{
    return s->sweep && s->fixed_ih && s->fixed_hh && !d->layer_norm &&
           lay->T == 1 && lay->batch[0] == 1;
}

void cell_step_products(const cell_dims *d, const cell_params *p,
                        const float *x, const float *hp, const int *fold,
                        float *out, const cell_scratch *s)
{
    int any = bias_row(d, p, fold, out);
    gemm_packed_pair(x, s->fixed_ih, any ? 1.0f : 0.0f, hp,
                           s->fixed_hh, out, (int)(*s->sweep & 1u));
    ++*s->sweep;
}

void cell_weight_grad(const cell_scratch *s, size_t M, size_t N, size_t K,
                      const float *A, size_t lda, const float *B, size_t ldb,
                      float *C, size_t ldc)
{
    gemm_tn(M, N, K, 1.0f, A, lda, B, ldb, 1.0f, C, ldc, s->wpack,
                  s->wpack_floats);
}

void cell_bias_grad(float *db, const float *dG, size_t N, size_t cols,
                    size_t ld)
{
    gemm_col_sums(db, dG, N, cols, ld);
}

void cell_input_backward(const cell_dims *d, const cell_params *p,
                         const cell_params *g, const float *x, size_t ldx,
                         size_t N, float *dG, float *dx, size_t lddx,
                         const cell_cache *cache, const cell_scratch *s)
{
    size_t GH = d->G * d->H;
    if (g->b_ih)
        cell_bias_grad(g->b_ih, dG, N, GH, GH);
    if (d->layer_norm)
        cell_ln_backward(dG, GH, N, GH, p->ln_ih_w, cache->ln_ih, cache->ln_r,
                         3, g->ln_ih_w, g->ln_ih_b);
    cell_weight_grad(s, GH, d->I, N, dG, GH, x, ldx, g->w_ih, d->I);
    if (dx)
        input_product(d, p, 1, N, dG, GH, 1.0f, NULL, dx, lddx, s);
}

void cell_recurrent_input(const cell_cache *cache, size_t n, size_t w,
                          const float *h, float *hp, float *full)
{
    if (full)
        memcpy(full, h, n * w * sizeof(float));
    if (!cache->rmask) {
        memcpy(hp, h, n * w * sizeof(float));
        return;
    }
    /* Rows j < n of the step are sequences j: mask rows j, contiguous. */
    for (size_t i = 0; i < n * w; i++)
        hp[i] = h[i] * cache->rmask[i];
}

/* A share of a backward step's rows: the product just run carried through
 * the recurrent mask (rows below n_prod), then the cell's row work (rows
 * below n). */
static void back_rows(void *ctx, size_t part, size_t parts)
{
    const cell_back *b = ctx;
    const float *m = b->cache->rmask, *prod = b->s->step;
    size_t j0, j1;
    cell_share(b->n > b->n_prod ? b->n : b->n_prod, part, parts, &j0, &j1);
    for (size_t j = j0; j < j1; j++) {
        if (m && j < b->n_prod)
            cell_recurrent_grad(m + j * b->P, 1, b->P, prod + j * b->P,
                                b->mask_add, b->dh + j * b->P);
        if (j < b->n)
            b->row(b, j);
    }
}

void cell_backward_steps(const packed_layout *lay, int reverse,
                         const gemm_b *whh, cell_back *b)
{
    /* With a mask the product goes to s->step (beta 0), then through it. */
    const int masked = b->cache->rmask != NULL;
    float *out = masked ? b->s->step : b->dh;
    const float beta = masked ? 0.0f : b->beta;
    size_t prev = 0;
    b->n_prod = 0;
    for (size_t i = lay->T + 1; i-- > 0;) {
        /* i = T..1: step i-1's pass after step i's product; i = 0: the
         * first visited step's product alone. */
        b->n = 0;
        if (i > 0) {
            size_t t = cell_step(lay, reverse, i - 1);
            b->first = lay->offset[t];
            b->n = lay->batch[t];
        }
        if (b->n_prod)
            gemm_packed_step(b->n_prod, NULL, 0, NULL, NULL, NULL, 0,
                                   b->dGr + prev * b->GH, b->GH, whh, beta,
                                   out, b->P, (int)(i & 1),
                                   b->n || masked ? back_rows : NULL, b);
        else if (b->n)
            back_rows(b, 0, 1);
        b->n_prod = b->n;
        prev = b->first;
    }
}

void cell_recurrent_grad(const float *m, size_t n, size_t w,
                         const float *dm, int add, float *dh)
{
    for (size_t i = 0; i < n * w; i++)
        dh[i] = (add ? dh[i] : 0.0f) + dm[i] * m[i];
}
