/*
 * loss.h — softmax cross-entropy, fused with its backward.
 */
#ifndef RECUR_LOSS_H
#define RECUR_LOSS_H

#include <stddef.h>
#include <stdint.h>

/* For N rows of V logits and targets in [0, V) — or negative for a row
 * that does not count (masked, as PyTorch's ignore_index) — returns the
 * SUM of -log softmax(logits)[target] over the counted rows (in double) and
 * sets *counted. When dlogits is not NULL it receives
 * scale · (softmax − onehot(target)) per counted row and 0 for masked rows
 * (dlogits may alias logits). Stable: the row maximum is subtracted before
 * exponentiating (vmath_exp, float, within 1 ulp), the sum of each row
 * and the loss are accumulated in double. Targets >= V must not occur
 * (callers check). */
double softmax_xent(const float *logits, size_t N, size_t V,
                          const int32_t *targets, float scale, float *dlogits,
                          size_t *counted);

#endif
