/*
 * activation.h — scalar nonlinearities used by the fused gate passes.
 * libm's expf/tanhf: accurate to an ulp or two, well inside the parity
 * tolerance. Derivatives are written from the outputs (σ' = s(1−s),
 * tanh' = 1−t²), which is what the caches hold.
 */
#ifndef RECUR_ACTIVATION_H
#define RECUR_ACTIVATION_H

#include <math.h>

static inline float sigmoidf(float x)
{
    /* Both branches avoid overflow of expf for large |x|. */
    if (x >= 0.0f) {
        float e = expf(-x);
        return 1.0f / (1.0f + e);
    }
    float e = expf(x);
    return e / (1.0f + e);
}

#endif
