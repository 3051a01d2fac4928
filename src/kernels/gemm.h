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

void gemm(int trans_a, int trans_b, size_t M, size_t N, size_t K,
                float alpha, const float *A, size_t lda, const float *B,
                size_t ldb, float beta, float *C, size_t ldc);

/* The largest dimension or leading dimension gemm accepts. */
size_t gemm_max_dim(void);

/*
 * Products with a matrix used many times (a recurrent weight, once per
 * step): op(B) [K, N] packed once (gemm_packed.c), then
 *     C[M,N] = alpha * A[M,K] * op(B) + beta * C
 * as often as wanted. Where the packed kernel does not run (no AVX-512, or
 * no buffer given), the handle keeps B as it is and gemm_packed calls
 * gemm: callers need no second path.
 */
typedef struct {
    const float *b; /* the original, row stride ldb */
    size_t ldb;
    int trans_b;
    size_t N, K;
    float *packed;  /* NULL: not packed */
} gemm_b;

/* Whether the packed kernel runs on this CPU. */
int gemm_packed_available(void);
/* Floats of the packed copy of a [K, N] op(B); 0 where it is not used. */
size_t gemm_pack_floats(size_t N, size_t K);
/* Describes op(B) in pb and packs it into buf (gemm_pack_floats(N,
 * K) floats; buf may be NULL). B must not change while pb is used. */
void gemm_pack(gemm_b *pb, int trans_b, size_t N, size_t K,
                     const float *B, size_t ldb, float *buf);
void gemm_packed(size_t M, float alpha, const float *A, size_t lda,
                       const gemm_b *pb, float beta, float *C,
                       size_t ldc);
/* The same with a bias row added at the store:
 *     C[M,N] = alpha * A[M,K] * op(B) + beta * C + bias[N] (each row)
 * (alpha·acc + beta·C first, then + bias; bias NULL: gemm_packed).
 * With beta 0, C is written without being read: an input projection need
 * not fill its output with the biases first. Unpacked handles do just
 * that (C = bias, then gemm with beta 1): the same bits as the
 * kernel's alpha·acc + bias when alpha is 1. */
void gemm_packed_bias(size_t M, float alpha, const float *A,
                            size_t lda, const gemm_b *pb, float beta,
                            const float *bias, float *C, size_t ldc);
/* One row through two packed products of the same width N (a recurrent
 * step with fixed weights: x·W_ihᵀ and h·W_hhᵀ), in one pass:
 *     c[N] = a · op(A) + beta · c,  then  c = b · op(B) + c
 * — the same sums, bit for bit, as gemm_packed(1, 1, a, ., wa, beta,
 * c, .) followed by gemm_packed(1, 1, b, ., wb, 1, c, .). Column
 * blocks are visited last to first when `backwards` is set, which changes
 * no result: a caller alternating it from one call to the next finds in
 * L2 the share of the weights the previous call read last (they stream
 * from L3 once they outgrow L2). Unpacked handles fall back to the two
 * calls. */
void gemm_packed_pair(const float *a, const gemm_b *wa,
                            float beta, const float *b,
                            const gemm_b *wb, float *c, int backwards);
/* The same for one product: c[N] = a · op(W) + beta · c, bit for bit
 * gemm_packed(1, 1, a, ., w, beta, c, .), swept backwards when
 * asked (a step loop alternates it). */
void gemm_packed_row(const float *a, const gemm_b *w, float beta,
                           float *c, int backwards);
/* The part-th of `parts` shares of the work that follows a step's
 * products (a cell's gate pass over its rows), once they are written;
 * ctx is the caller's. */
typedef void gemm_rows_fn(void *ctx, size_t part, size_t parts);
/* One step of a recurrent layer over M rows, in one team of threads:
 *     C  = X · op(Wx) + bias         (wx NULL: skipped)
 *     Ch = Hs · op(Wh) + beta_h · Ch  (Ch = C, beta_h 1: added to it)
 * then rows(ctx, part, parts) in each of `parts` threads once both are
 * written (rows NULL: none). Wx and Wh have the same N. The same bits as
 * gemm_packed_bias(M, 1, X, ., wx, 0, bias, C, .) — each row summed
 * in k order, as in a taller product, even when M is 1 — then
 * gemm_packed(M, 1, Hs, ., wh, beta_h, Ch, .) (M = 1:
 * gemm_packed_row(Hs, wh, beta_h, Ch, backwards)), then
 * rows(ctx, 0, 1), provided the shares of the rows' work are independent:
 * a step's input product can run with its recurrent one, the columns of C
 * hot, instead of the whole sequence's up front (cold C, 26 MB for 3200
 * rows of 2048), and the rows' work (a cell's gate pass) runs in every
 * thread. */
void gemm_packed_step(size_t M, const float *X, size_t ldx,
                            const gemm_b *wx, const float *bias,
                            float *C, size_t ldc, const float *Hs,
                            size_t ldh, const gemm_b *wh, float beta_h,
                            float *Ch, size_t ldch, int backwards,
                            gemm_rows_fn *rows, void *ctx);
/* C[M,N] = alpha * Aᵀ * B + beta * C with A [K, M] and B [K, N] (a weight
 * gradient: K runs over every row of a sequence), B packed up to 512 rows
 * at a time into buf (cap floats; gemm when too small or NULL). */
void gemm_tn(size_t M, size_t N, size_t K, float alpha, const float *A,
                   size_t lda, const float *B, size_t ldb, float beta,
                   float *C, size_t ldc, float *buf, size_t cap);
/* d[k] += Σ_i A[i·lda + k] over rows i = 0, 1, ... in turn, k < cols (a
 * bias gradient); threads share the columns, so the sums are the same at
 * any thread count. */
void gemm_col_sums(float *d, const float *A, size_t rows, size_t cols,
                    size_t lda);
/* Threads of the packed kernel (recur_set_threads sets it with the BLAS's). */
void gemm_packed_threads(int threads);
/* The threads a packed product may use now (1 without OpenMP). */
int gemm_packed_thread_count(void);

#endif
