/*
 * vmath_speed.c — vmath_sigmoid and vmath_tanh alone on one row of n
 * floats that stays in L1 (the gate pass calls them on rows of H or 2H):
 * REPS calls per sample, 20 samples; prints the fastest sample (the
 * machine is shared: the minimum is the least disturbed) in ns per element.
 *     build/vmath_speed [n] [REPS]          (defaults 1024 10000)
 * Build: make build/vmath_speed
 */
#define _POSIX_C_SOURCE 200809L
#include "base/clock.h"
#include "kernels/vmath.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
    long reps = argc > 2 ? atol(argv[2]) : 10000;
    if (n == 0 || n > 1 << 20 || reps < 1) {
        fprintf(stderr, "usage: vmath_speed [n in 1..2^20] [REPS >= 1]\n");
        return 2;
    }
    float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
    if (!x || !y) {
        fprintf(stderr, "vmath_speed: out of memory\n");
        return 1;
    }
    /* Pre-activations over [-5, 5): both branches of tanh, σ's tails. */
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(i % 200) * 0.05f - 5.0f;
    static const char *const names[] = {"sigmoid", "tanh"};
    for (int f = 0; f < 2; f++) {
        double best = 1e30;
        for (int s = 0; s < 20; s++) {
            double t0 = clock_seconds();
            for (long r = 0; r < reps; r++) {
                if (f)
                    vmath_tanh(y, x, n);
                else
                    vmath_sigmoid(y, x, n);
                /* a dependence, so that no call is skipped */
                x[r % n] += y[(r * 7) % n] * 1e-9f;
            }
            double t = clock_seconds() - t0;
            best = t < best ? t : best;
        }
        printf("%s: n=%zu  %.3f ns per element\n", names[f], n,
               best / (double)reps / (double)n * 1e9);
    }
    free(x), free(y);
    return 0;
}
