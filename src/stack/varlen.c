/*
 * varlen.c — variable lengths and the caller's layout. Sequences follow
 * pack_padded_sequence(enforce_sorted=False) + pad_packed_sequence: the
 * batch is sorted by decreasing length and packed (cell.h), so padded
 * positions cost nothing and come out as zeros. The caller's tensors
 * ([T, B, .], or [B, T, .] with batch_first) and states ([L*D, B, .]) are
 * gathered into the packed, sorted order here and scattered back.
 */
#include "stack/stack_internal.h"

#include <stdint.h>
#include <string.h>

/* Sorts the batch by decreasing length (stable, a counting sort) and fills
 * batch[], offset[] and perm. Lengths were checked to lie in [1, T]. */
void stack_pack_layout(recur_rnn *rnn, size_t T, size_t B,
                       const int64_t *lengths)
{
    size_t *batch = rnn->steps, *offset = batch + T, *perm = offset + T + 1;
    size_t *cursor = perm + B;
    rnn->seg_offset = cursor + T;
    if (lengths) {
        for (size_t t = 0; t < T; t++)
            batch[t] = 0;
        for (size_t b = 0; b < B; b++)
            batch[lengths[b] - 1]++;
        /* batch[t] = number of sequences longer than t. */
        for (size_t t = T - 1; t-- > 0;)
            batch[t] += batch[t + 1];
        /* Sequences of length t+1 take sorted places [batch[t+1], batch[t]). */
        for (size_t t = 0; t < T; t++)
            cursor[t] = t + 1 < T ? batch[t + 1] : 0;
        for (size_t b = 0; b < B; b++)
            perm[cursor[lengths[b] - 1]++] = b;
    } else {
        for (size_t b = 0; b < B; b++)
            perm[b] = b;
        for (size_t t = 0; t < T; t++)
            batch[t] = B;
    }
    offset[0] = 0;
    for (size_t t = 0; t < T; t++)
        offset[t + 1] = offset[t] + batch[t];
    rnn->layout.T = T;
    rnn->layout.batch = batch;
    rnn->layout.offset = offset;
    rnn->perm = perm;
    rnn->T = T;
    rnn->B = B;
    rnn->N = offset[T];
}

/* Row of the caller's [T, B, .] (or [B, T, .]) tensor at step t, batch b. */
static size_t seq_row(const recur_rnn *rnn, size_t t, size_t b)
{
    return rnn->batch_first ? b * rnn->T + t : t * rnn->B + b;
}

/* Packs src (caller layout, width w) into dst [N, w]; src NULL gives 0. */
void stack_gather_seq(const recur_rnn *rnn, const float *src, size_t w,
                      float *dst)
{
    const packed_layout *lay = &rnn->layout;
    for (size_t t = 0; t < lay->T; t++)
        for (size_t j = 0; j < lay->batch[t]; j++) {
            float *d = dst + (lay->offset[t] + j) * w;
            if (src)
                memcpy(d, src + seq_row(rnn, t, rnn->perm[j]) * w,
                       w * sizeof(float));
            else
                memset(d, 0, w * sizeof(float));
        }
}

/* Unpacks src [N, w] into dst (caller layout), zeros at padded steps. */
void stack_scatter_seq(const recur_rnn *rnn, const float *src, size_t w,
                       float *dst)
{
    const packed_layout *lay = &rnn->layout;
    for (size_t t = 0; t < lay->T; t++)
        for (size_t j = 0; j < rnn->B; j++) {
            float *d = dst + seq_row(rnn, t, rnn->perm[j]) * w;
            if (j < lay->batch[t])
                memcpy(d, src + (lay->offset[t] + j) * w, w * sizeof(float));
            else
                memset(d, 0, w * sizeof(float));
        }
}

/* States [L*D, B, w]: caller order <-> sorted order. */
void stack_gather_state(const recur_rnn *rnn, const float *src, size_t w,
                        float *dst)
{
    size_t cells = rnn->config.num_layers * rnn->D, B = rnn->B;
    for (size_t c = 0; c < cells; c++)
        for (size_t j = 0; j < B; j++) {
            float *d = dst + (c * B + j) * w;
            if (src)
                memcpy(d, src + (c * B + rnn->perm[j]) * w, w * sizeof(float));
            else
                memset(d, 0, w * sizeof(float));
        }
}

void stack_scatter_state(const recur_rnn *rnn, const float *src, size_t w,
                         float *dst)
{
    size_t cells = rnn->config.num_layers * rnn->D, B = rnn->B;
    for (size_t c = 0; c < cells; c++)
        for (size_t j = 0; j < B; j++)
            memcpy(dst + (c * B + rnn->perm[j]) * w, src + (c * B + j) * w,
                   w * sizeof(float));
}

/* The packed layout is the caller's own: time-major, every sequence T
 * steps (nothing sorted or padded). */
int stack_layout_is_callers(const recur_rnn *rnn)
{
    return !rnn->batch_first && rnn->N == rnn->T * rnn->B;
}
