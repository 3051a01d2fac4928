/*
 * vmath.h — the nonlinearities of the gate passes, over arrays.
 *
 * expf, tanhf and the logistic function as branch-free float code the
 * compiler vectorises (vmath.c is built with -O3 and, on x86-64, compiled
 * for AVX-512, AVX2+FMA and baseline SSE2, picked at each call by the CPU).
 * Accuracy, checked against double precision by the suite over the whole
 * float range (tests/kernels/test_vmath.c, every 1031st bit pattern, in every
 * variant; tools/vmath_ulp.c on every 7th found at most exp 0.89, σ 2.47,
 * tanh 1.36 ulp with FMAs, 0.98, 2.47, 1.32 without): exp within 2 ulp, σ
 * and tanh within 3 ulp (tanh: or 1e-7 absolute near 0) — the parity
 * tolerance is a hundred times wider. libm's
 * versions (1 ulp, scalar, a call per element) were ~20% of training time.
 *
 * NaN in gives NaN out; ±inf give the limits (0, 1, ±1, 0/inf); exp
 * results below 2^-124 (x < −86.6) are flushed to 0. Every
 * function may be called in place (y == x); otherwise y and x must not
 * overlap.
 */
#ifndef RECUR_VMATH_H
#define RECUR_VMATH_H

#include <stddef.h>

/* y[i] = exp(x[i]) */
void vmath_exp(float *y, const float *x, size_t n);
/* y[i] = 1 / (1 + exp(-x[i])) */
void vmath_sigmoid(float *y, const float *x, size_t n);
/* y[i] = tanh(x[i]) */
void vmath_tanh(float *y, const float *x, size_t n);

/* The variants (vmath.c): multiply-adds as a multiply and an add
 * (PLAIN), or fused, for AVX2, for AVX-512, or where fmaf is fast on
 * other CPUs (FUSED). The fused ones give the same bits. */
enum { VMATH_AUTO, VMATH_PLAIN, VMATH_AVX2, VMATH_AVX512, VMATH_FUSED };
/* The variant the functions run now: the CPU's best, or the one forced. */
int vmath_path(void);
/* Tests: run `path` where the CPU can (else its best); VMATH_AUTO: the
 * best. Not thread-safe; for nothing but tests. */
void vmath_force(int path);

#endif
