/* cell_common.c — the whole-sequence products shared by every cell. */
#include "cell.h"
#include "gemm.h"

#include <string.h>

void cell_scratch_sizes(const cell_dims *d, size_t B, size_t N, size_t s[5])
{
    size_t GH = d->G * d->H;
    size_t wide = d->H > d->P ? d->H : d->P;
    int gru = d->mode == RECUR_GRU || d->mode == RECUR_GRU_RESET_BEFORE;
    s[0] = B * GH;
    s[1] = B * wide;
    s[2] = N * GH;
    s[3] = gru ? N * GH : 0;
    s[4] = d->mode == RECUR_LSTM && d->P != d->H ? N * d->P : 0;
}

void cell_cache_sizes(const cell_dims *d, size_t N, size_t s[6])
{
    int lstm = d->mode == RECUR_LSTM;
    int gru = d->mode == RECUR_GRU || d->mode == RECUR_GRU_RESET_BEFORE;
    s[0] = N * d->G * d->H;
    s[1] = N * d->P;
    s[2] = lstm ? N * d->H : 0;
    s[3] = lstm ? N * d->H : 0;
    s[4] = lstm && d->P != d->H ? N * d->H : 0;
    s[5] = gru ? N * d->H : 0;
}

void cell_project_inputs(const cell_dims *d, const cell_params *p,
                         const float *x, size_t ldx, size_t N,
                         const int *fold, float *out)
{
    size_t H = d->H, GH = d->G * H;
    int any = p->b_ih != NULL;
    for (size_t gate = 0; gate < d->G; gate++)
        any |= p->b_hh != NULL && fold[gate];
    if (any && N > 0) {
        /* Row 0 gets the summed bias, then every other row copies it. */
        for (size_t k = 0; k < GH; k++)
            out[k] = p->b_ih ? p->b_ih[k] : 0.0f;
        if (p->b_hh)
            for (size_t gate = 0; gate < d->G; gate++)
                if (fold[gate])
                    for (size_t k = 0; k < H; k++)
                        out[gate * H + k] += p->b_hh[gate * H + k];
        for (size_t n = 1; n < N; n++)
            memcpy(out + n * GH, out, GH * sizeof(float));
    }
    recur_gemm(0, 1, N, GH, d->I, 1.0f, x, ldx, p->w_ih, d->I,
               any ? 1.0f : 0.0f, out, GH);
}

void cell_bias_grad(float *db, const float *dG, size_t N, size_t cols,
                    size_t ld)
{
    for (size_t n = 0; n < N; n++)
        for (size_t k = 0; k < cols; k++)
            db[k] += dG[n * ld + k];
}

void cell_input_backward(const cell_dims *d, const cell_params *p,
                         const cell_params *g, const float *x, size_t ldx,
                         size_t N, const float *dG, float *dx, size_t lddx)
{
    size_t GH = d->G * d->H;
    recur_gemm(1, 0, GH, d->I, N, 1.0f, dG, GH, x, ldx, 1.0f, g->w_ih, d->I);
    if (g->b_ih)
        cell_bias_grad(g->b_ih, dG, N, GH, GH);
    if (dx)
        recur_gemm(0, 0, N, d->I, GH, 1.0f, dG, GH, p->w_ih, d->I, 1.0f, dx,
                   lddx);
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

void cell_recurrent_grad(const cell_cache *cache, size_t n, size_t w,
                         const float *dm, int add, float *dh)
{
    const float *m = cache->rmask;
    for (size_t i = 0; i < n * w; i++)
        dh[i] = (add ? dh[i] : 0.0f) + dm[i] * m[i];
}
