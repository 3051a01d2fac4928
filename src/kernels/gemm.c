/* gemm.c — gemm over CBLAS (OpenBLAS from Debian's packages), and
 * the BLAS's thread count. */
#include "kernels/gemm.h"
#include "recur.h"

#include <cblas.h>
#include <limits.h>

size_t gemm_max_dim(void) { return (size_t)INT_MAX; }

void recur_set_threads(int threads)
{
    if (threads > 0) {
        openblas_set_num_threads(threads);
        gemm_packed_threads(threads);
    }
}

void gemm(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                float alpha, const float *A, size_t lda, const float *B,
                size_t ldb, float beta, float *C, size_t ldc)
{
    if (M == 0 || N == 0)
        return;
    if (K == 0) { /* C = beta·C, which a BLAS may skip */
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++)
                C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return;
    }
    if (M == 1 && !trans_a) { /* a row times op(B): the BLAS's gemv */
        cblas_sgemv(CblasRowMajor, trans_b ? CblasNoTrans : CblasTrans,
                    trans_b ? (int)N : (int)K, trans_b ? (int)K : (int)N,
                    alpha, B, (int)ldb, A, 1, beta, C, 1);
        return;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K,
                alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
}
