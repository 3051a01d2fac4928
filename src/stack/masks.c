/*
 * masks.c — the regularisers' masks, drawn per forward from the handle's
 * generator: dropout between layers (per element, or per sequence with
 * `variational`), applied forward and backward, and each cell's recurrent
 * dropout and zoneout masks (cell.h).
 */
#include "stack/stack_internal.h"
#include "base/rng.h"

/* Inverted dropout (PyTorch): keep with probability 1 − p, scale by
 * 1/(1 − p); the scaled mask is kept for backward. */
static void dropout_mask(rng_state *rng, float p, float *mask, size_t n)
{
    const float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++)
        mask[i] = rng_uniform(rng) < p ? 0.0f : keep;
}

/* x[N, w] *= the mask of each row: row j of every step takes mask row j
 * (per sequence, [B, w]) or its own row (per element, [N, w]). */
void stack_apply_mask(const recur_rnn *rnn, const float *mask, size_t w,
                      const float *x, float *out)
{
    const packed_layout *lay = &rnn->layout;
    for (size_t t = 0; t < lay->T; t++)
        for (size_t j = 0; j < lay->batch[t]; j++) {
            size_t row = lay->offset[t] + j;
            const float *m = mask + (rnn->per_sequence ? j : row) * w;
            for (size_t k = 0; k < w; k++)
                out[row * w + k] = x[row * w + k] * m[k];
        }
}

/* Dropout on layer l's output: drop_in[l] = out[l] ∘ mask, the mask drawn
 * per element or (variational) per sequence. */
void stack_drop_layer_output(recur_rnn *rnn, size_t l)
{
    const size_t w = rnn->D * rnn->P;
    dropout_mask(rnn->rng, rnn->reg.dropout, rnn->drop_mask[l],
                 (rnn->per_sequence ? rnn->B : rnn->N) * w);
    stack_apply_mask(rnn, rnn->drop_mask[l], w, rnn->out[l],
                     rnn->drop_in[l]);
}

/* The masks of one cell, drawn before it runs: recurrent dropout [B, P]
 * (one per sequence), then zoneout of h [N, P] and of c [N, H] (one per
 * element and step; 1 = keep the previous value). In evaluation zoneout's
 * masks hold z itself, its expectation. */
void stack_draw_cell_masks(recur_rnn *rnn, const cell_cache *cc)
{
    const size_t P = rnn->P, H = rnn->config.hidden_size, N = rnn->N;
    const float z = rnn->reg.zoneout;
    if (cc->rmask)
        dropout_mask(rnn->rng, rnn->reg.recurrent_dropout, cc->rmask, rnn->B * P);
    float *zm[2] = {cc->zh, cc->zc};
    size_t zn[2] = {N * P, N * H};
    for (int m = 0; m < 2; m++)
        for (size_t i = 0; zm[m] && i < zn[m]; i++)
            zm[m][i] = !rnn->training ? z
                       : rng_uniform(rnn->rng) < z ? 1.0f : 0.0f;
}
