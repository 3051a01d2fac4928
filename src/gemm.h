/*
 * gemm.h — the one door to matrix products. Row-major
 *     C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C
 * with op(X) = X or Xᵀ. Every product in the library goes through here, so
 * a faster engine replaces one function. Callers guarantee sizes fit the
 * BLAS integer type (checked once when a shape is planned).
 */
#ifndef RECUR_GEMM_H
#define RECUR_GEMM_H

#include <stddef.h>

void recur_gemm(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                float alpha, const float *A, size_t lda, const float *B,
                size_t ldb, float beta, float *C, size_t ldc);

/* The largest dimension or leading dimension recur_gemm accepts. */
size_t recur_gemm_max_dim(void);

#endif
