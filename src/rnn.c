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
#include "cell.h"
#include "gemm.h"
#include "vmath.h"

#include <string.h>

void rnn_cell_forward(const cell_dims *d, const cell_params *p,
                      const packed_layout *lay, int reverse, const float *x,
                      size_t ldx, float *y, size_t ldy, float *h, float *c,
                      const cell_cache *cache, const cell_scratch *s)
{
    (void)c;
    const size_t H = d->H;
    const int fold[1] = {1};
    const int relu = d->mode == RECUR_RNN_RELU;
    const int one = cell_one_step(d, lay, s); /* as in lstm.c */
    if (!one)
        cell_project_inputs(d, p, x, ldx, lay->offset[lay->T], fold,
                            cache->gates, cache, s);
    recur_gemm_b whh;
    cell_pack_recurrent(d, p, lay, 0, s, &whh);

    for (size_t i = 0; i < lay->T; i++) {
        size_t t = cell_step(lay, reverse, i);
        size_t n = lay->batch[t], row = lay->offset[t];
        float *a = cache->gates + row * H;
        float *hp = cache->hprev + row * H;
        const float *zh = cache->zh ? cache->zh + row * H : NULL;
        cell_recurrent_input(cache, n, H, h, hp, NULL);
        if (one)
            cell_step_products(d, p, x, hp, fold, a, s);
        else
            cell_recurrent_product(n, hp, H, &whh, 1.0f, a, H, i);
        if (relu)
            for (size_t k = 0; k < n * H; k++)
                a[k] = a[k] > 0.0f ? a[k] : 0.0f;
        else
            recur_vtanh(a, a, n * H);
        for (size_t j = 0; j < n; j++)
            for (size_t k = 0; k < H; k++) {
                float v = a[j * H + k];
                if (zh)
                    v = cell_zone(zh[j * H + k], h[j * H + k], v);
                h[j * H + k] = v;
                y[(row + j) * ldy + k] = v;
            }
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
    recur_gemm_b whh;
    cell_pack_recurrent(d, p, lay, 1, s, &whh);

    for (size_t i = lay->T; i-- > 0;) {
        size_t t = cell_step(lay, reverse, i);
        size_t n = lay->batch[t], row = lay->offset[t];
        const float *hv = cache->gates + row * H;
        const float *zh = cache->zh ? cache->zh + row * H : NULL;
        float *dG = s->dgates + row * H;
        for (size_t j = 0; j < n; j++)
            for (size_t k = 0; k < H; k++) {
                float v = hv[j * H + k];
                float dv = dh[j * H + k] + dy[(row + j) * lddy + k];
                if (zh) {
                    /* d kept the previous state, 1 − d took h'. */
                    float zd = zh[j * H + k];
                    dh[j * H + k] = dv * zd;
                    dv *= 1.0f - zd;
                }
                dG[j * H + k] =
                    relu ? (v > 0.0f ? dv : 0.0f) : dv * (1.0f - v * v);
            }
        if (cache->rmask) {
            cell_recurrent_product(n, dG, H, &whh, 0.0f, s->step, H, i);
            cell_recurrent_grad(cache, n, H, s->step, zh != NULL, dh);
        } else {
            cell_recurrent_product(n, dG, H, &whh, zh ? 1.0f : 0.0f, dh, H, i);
        }
    }

    cell_input_backward(d, p, g, x, ldx, N, s->dgates, dx, lddx, cache, s);
    cell_weight_grad(s, H, H, N, s->dgates, H, cache->hprev, H, g->w_hh, H);
    if (g->b_hh)
        cell_bias_grad(g->b_hh, s->dgates, N, H, H);
}
