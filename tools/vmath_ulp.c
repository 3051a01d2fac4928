/*
 * vmath_ulp.c — the largest and mean error of vmath_exp, vmath_sigmoid
 * and vmath_tanh against double-precision libm, in ulp of the exact
 * value, on every STEP-th float bit pattern (default 7: 613 million
 * inputs, about 40 s; NaN and inf left out, exp only where it is finite
 * and exact results below 1e-30 skipped), in the variant the CPU picks or
 * the one named (src/kernels/vmath.h). Prints the worst input.
 *     make build/vmath_ulp && build/vmath_ulp [STEP [plain|avx2|avx512]]
 */
#include "kernels/vmath.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK = 4096 };

static double ulp_of(double r)
{
    float f = (float)fabs(r);
    return (double)nextafterf(f, INFINITY) - (double)f;
}

static double exact(int f, double x)
{
    return f == 0 ? exp(x) : f == 1 ? 1.0 / (1.0 + exp(-x)) : tanh(x);
}

int main(int argc, char **argv)
{
    uint64_t step = argc > 1 ? strtoull(argv[1], NULL, 10) : 7;
    static const char *const paths[] = {"auto", "plain", "avx2", "avx512",
                                        "fused"};
    int path = VMATH_AUTO;
    for (int p = 1; argc > 2 && p < 5; p++)
        path = strcmp(argv[2], paths[p]) == 0 ? p : path;
    if (step == 0 || step > 0xFFFFFFFFu || argc > 3 ||
        (argc > 2 && path == VMATH_AUTO)) {
        fprintf(stderr, "usage: vmath_ulp [STEP in 1..2^32-1 "
                        "[plain|avx2|avx512|fused]]\n");
        return 2;
    }
    vmath_force(path);
    printf("variant: %s\n", paths[vmath_path()]);
    static float x[CHUNK], y[CHUNK];
    static const char *const names[] = {"exp", "sigmoid", "tanh"};
    for (int f = 0; f < 3; f++) {
        double worst = 0, sum = 0;
        float at = 0;
        size_t n = 0, count = 0;
        for (uint64_t b = 0; b <= 0xFFFFFFFFu; b += step) {
            uint32_t u = (uint32_t)b;
            float v;
            memcpy(&v, &u, sizeof v);
            if (isfinite(v) && (f != 0 || (v < 88.7f && v > -87.0f)))
                x[n++] = v;
            if (n < CHUNK && b + step <= 0xFFFFFFFFu)
                continue;
            if (f == 0)
                vmath_exp(y, x, n);
            else if (f == 1)
                vmath_sigmoid(y, x, n);
            else
                vmath_tanh(y, x, n);
            for (size_t i = 0; i < n; i++) {
                double r = exact(f, (double)x[i]);
                if (fabs(r) < 1e-30)
                    continue;
                double e = fabs((double)y[i] - r) / ulp_of(r);
                if (e > worst)
                    worst = e, at = x[i];
                sum += e;
                count++;
            }
            n = 0;
        }
        printf("%s: max %.3f ulp at %a (%g), mean %.4f ulp, %zu inputs\n",
               names[f], worst, (double)at, (double)at,
               count ? sum / (double)count : 0.0, count);
    }
    return 0;
}
