/*
 * segment.c — one layer and direction of the stack run in segments of S
 * time steps: the mechanism behind memory-lean training
 * (recur_rnn_set_recompute).
 *
 * Forward runs the cell over each segment in its visiting order (the
 * reverse direction from the last segment to the first), the caches
 * holding only the segment's rows, and keeps the state entering each
 * segment (a checkpoint, [B, P] and [B, H]). Backward visits the segments
 * in the opposite order; before each but the first (whose caches are still
 * those forward left) it recomputes the segment's forward from its
 * checkpoint, then runs the cell's backward over it, the state gradient
 * carried from segment to segment. A cell sees a segment as a whole
 * packed batch (its own packed_layout, rows rebased to 0), so the cells
 * need nothing for this. Without recompute S = T: one segment, nothing
 * kept, nothing recomputed.
 *
 * What stays whole-sequence: each layer's output (the next layer's input,
 * which backward needs anyway), the zoneout masks (drawn once per forward),
 * the input and output gradients.
 */
#include "stack/stack.h"

#include <string.h>

size_t stack_segments(const recur_rnn *rnn)
{
    return (rnn->layout.T + rnn->seg_len - 1) / rnn->seg_len;
}



/* The k-th segment a direction visits: steps [t0, t1), its layout in sub
 * (offsets rebased into rnn->seg_offset), its first row returned. A single
 * segment is the whole layout, shared unwritten: the two directions of a
 * layer may run at once (stack_parallel_directions). */
static size_t segment(const recur_rnn *rnn, int reverse, size_t k,
                      packed_layout *sub)
{
    const size_t T = rnn->layout.T, S = rnn->seg_len;
    size_t n = stack_segments(rnn), j = reverse ? n - 1 - k : k;
    if (n == 1) {
        *sub = rnn->layout;
        return 0;
    }
    size_t t0 = j * S, t1 = t0 + S < T ? t0 + S : T;
    const size_t *offset = rnn->layout.offset;
    for (size_t i = 0; i <= t1 - t0; i++)
        rnn->seg_offset[i] = offset[t0 + i] - offset[t0];
    sub->T = t1 - t0;
    sub->batch = rnn->layout.batch + t0;
    sub->offset = rnn->seg_offset;
    return offset[t0];
}

/* The cache as the segment starting at row `base` sees it: per-segment
 * buffers from their start, the whole-sequence zoneout masks from base. */
static cell_cache segment_cache(const recur_rnn *rnn, size_t c, size_t base)
{
    cell_cache cc = rnn->cache[c];
    if (cc.zh)
        cc.zh += base * rnn->P;
    if (cc.zc)
        cc.zc += base * rnn->config.hidden_size;
    return cc;
}

/* Over several segments, the forward products use w_ihᵀ and w_hhᵀ packed
 * once here (the cells would pack them at every segment): sets the
 * scratch's fixed packs unless the handle's own (recur_rnn_pack_weights)
 * are there. Returns whether it did. */
static int pack_once(recur_rnn *rnn, const cell_dims *d, const cell_params *p,
                     cell_scratch *s)
{
    if (stack_segments(rnn) < 2 || !rnn->seg_pack || s->fixed_ih)
        return 0;
    const size_t GH = d->G * d->H;
    gemm_pack(&rnn->seg_fixed[0], 1, GH, d->I, p->w_ih, d->I,
                    rnn->seg_pack);
    gemm_pack(&rnn->seg_fixed[1], 1, GH, d->P, p->w_hh, d->P,
                    rnn->seg_pack + rnn->seg_pack_ih);
    s->fixed_ih = &rnn->seg_fixed[0];
    s->fixed_hh = &rnn->seg_fixed[1];
    return 1;
}

static void unpack_once(cell_scratch *s, int packed)
{
    if (packed)
        s->fixed_ih = s->fixed_hh = NULL;
}

/* Checkpoint k of cell c: the states entering its k-th visited segment. */
static float *checkpoint(const recur_rnn *rnn, size_t c, size_t k, int cell)
{
    const size_t B = rnn->B, n = stack_segments(rnn);
    if (cell)
        return rnn->ckpt_c + (c * n + k) * B * rnn->config.hidden_size;
    return rnn->ckpt_h + (c * n + k) * B * rnn->P;
}

void stack_cell_forward(recur_rnn *rnn, size_t l, size_t dir,
                        cell_forward_fn *fwd, const cell_dims *d,
                        const cell_params *p, const float *in, float *y,
                        size_t ldy, float *h, float *c, cell_scratch *s)
{
    const size_t B = rnn->B, H = rnn->config.hidden_size, P = rnn->P;
    const size_t cell = l * rnn->D + dir, n = stack_segments(rnn);
    int packed = pack_once(rnn, d, p, s);
    for (size_t k = 0; k < n; k++) {
        packed_layout sub;
        size_t base = segment(rnn, (int)dir, k, &sub);
        if (n > 1) {
            memcpy(checkpoint(rnn, cell, k, 0), h, B * P * sizeof(float));
            if (c)
                memcpy(checkpoint(rnn, cell, k, 1), c, B * H * sizeof(float));
        }
        cell_cache cc = segment_cache(rnn, cell, base);
        fwd(d, p, &sub, (int)dir, in + base * d->I, d->I, y + base * ldy, ldy,
            h, c, &cc, s);
    }
    unpack_once(s, packed);
}

void stack_cell_backward(recur_rnn *rnn, size_t l, size_t dir,
                         cell_forward_fn *fwd, cell_backward_fn *bwd,
                         const cell_dims *d, const cell_params *p,
                         const cell_params *g, const float *in, float *y,
                         const float *dy, size_t ldy, float *dx, float *dh,
                         float *dc, cell_scratch *s)
{
    const size_t B = rnn->B, H = rnn->config.hidden_size, P = rnn->P;
    const size_t cell = l * rnn->D + dir, n = stack_segments(rnn);
    /* The recomputation must repeat the forward bit for bit: the same
     * packed weights (the cells' backward products ignore these). */
    int packed = pack_once(rnn, d, p, s);
    for (size_t k = n; k-- > 0;) {
        packed_layout sub;
        size_t base = segment(rnn, (int)dir, k, &sub);
        cell_cache cc = segment_cache(rnn, cell, base);
        if (k + 1 < n || rnn->seg_stale) { /* caches hold another segment */
            memcpy(rnn->seg_h, checkpoint(rnn, cell, k, 0),
                   B * P * sizeof(float));
            if (dc)
                memcpy(rnn->seg_c, checkpoint(rnn, cell, k, 1),
                       B * H * sizeof(float));
            fwd(d, p, &sub, (int)dir, in + base * d->I, d->I, y + base * ldy,
                ldy, rnn->seg_h, dc ? rnn->seg_c : NULL, &cc, s);
        }
        bwd(d, p, g, &sub, (int)dir, in + base * d->I, d->I, dy + base * ldy,
            ldy, dx ? dx + base * d->I : NULL, d->I, dh, dc, &cc, s);
    }
    unpack_once(s, packed);
}
