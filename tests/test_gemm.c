/*
 * test_gemm.c — the packed kernels (src/kernels/gemm_packed.c) against a plain
 * double-precision product: every row count 1..2·MR+1 and column count
 * around the 32-wide panels, op(B) both ways, alpha/beta, row blocks of the
 * long input projection, the transposed-A weight gradient with its chunks
 * of K, 1 and 2 threads; a bias row added at the store (the same bits as
 * filling C with it first); a recurrent step's two products and rows'
 * pass in one call (the bits of the separate calls); and that where the
 * kernel does not run the handle falls back to gemm.
 */
#include "kernels/gemm.h"
#include "recur.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static float *random_matrix(size_t n, unsigned *seed)
{
    float *m = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        m[i] = (float)((*seed >> 8) & 0xFFFF) / 65536.0f - 0.5f;
    }
    return m;
}

/* max |got − want| / (1 + |want|) over C[M, N], want in double:
 * alpha·op(A)·op(B) + beta·C0. */
static double check_product(size_t M, size_t N, size_t K, int ta, int tb,
                            float alpha, const float *A, size_t lda,
                            const float *B, size_t ldb, float beta,
                            const float *C0, const float *C, size_t ldc)
{
    double worst = 0;
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            double acc = 0;
            for (size_t k = 0; k < K; k++)
                acc += (double)(ta ? A[k * lda + i] : A[i * lda + k]) *
                       (double)(tb ? B[j * ldb + k] : B[k * ldb + j]);
            double want = alpha * acc + beta * (double)C0[i * ldc + j];
            double e = fabs((double)C[i * ldc + j] - want) / (1 + fabs(want));
            worst = e > worst ? e : worst;
        }
    return worst;
}

static void packed_case(size_t M, size_t N, size_t K, int tb, float alpha,
                        float beta, unsigned seed)
{
    size_t lda = K + 3, ldb = (tb ? K : N) + 5, ldc = N + 7;
    float *A = random_matrix(M * lda, &seed);
    float *B = random_matrix((tb ? N : K) * ldb, &seed);
    float *C0 = random_matrix(M * ldc, &seed);
    float *C = malloc(M * ldc * sizeof(float));
    memcpy(C, C0, M * ldc * sizeof(float));
    size_t floats = gemm_pack_floats(N, K);
    float *buf = floats ? malloc(floats * sizeof(float)) : NULL;
    gemm_b pb;
    gemm_pack(&pb, tb, N, K, B, ldb, buf);
    CHECK((pb.packed != NULL) == (floats > 0), "packed iff the kernel runs");
    gemm_packed(M, alpha, A, lda, &pb, beta, C, ldc);
    double e = check_product(M, N, K, 0, tb, alpha, A, lda, B, ldb, beta, C0,
                             C, ldc);
    CHECK(e < 2e-6 * sqrt((double)K + 1), "packed M=%zu N=%zu K=%zu tb=%d "
          "alpha=%g beta=%g: error %.3g", M, N, K, tb, alpha, beta, e);
    /* Columns past N in each row are never written. */
    int spill = 0;
    for (size_t i = 0; i < M; i++)
        spill |= memcmp(C + i * ldc + N, C0 + i * ldc + N,
                        (ldc - N) * sizeof(float)) != 0;
    CHECK(!spill, "packed M=%zu N=%zu: wrote past column N", M, N);
    free(A), free(B), free(C0), free(C), free(buf);
}

/* gemm_packed_bias against what it replaces: C filled with the
 * bias row, then gemm_packed with beta 1 (beta 0), or the product
 * then the bias added (beta not 0) — bit for bit, packed or not; columns
 * past N untouched. */
static void bias_case(size_t M, size_t N, size_t K, float beta, int pack,
                      unsigned seed)
{
    size_t lda = K + 1, ldc = N + 3;
    float *A = random_matrix(M * lda, &seed), *B = random_matrix(N * K, &seed);
    float *bias = random_matrix(N, &seed), *C0 = random_matrix(M * ldc, &seed);
    float *C = malloc(M * ldc * sizeof(float));
    float *R = malloc(M * ldc * sizeof(float));
    size_t floats = pack ? gemm_pack_floats(N, K) : 0;
    float *buf = floats ? malloc(floats * sizeof(float)) : NULL;
    gemm_b pb;
    gemm_pack(&pb, 1, N, K, B, K, buf);
    memcpy(C, C0, M * ldc * sizeof(float));
    memcpy(R, C0, M * ldc * sizeof(float));
    gemm_packed_bias(M, 1.0f, A, lda, &pb, beta, bias, C, ldc);
    if (beta == 0.0f) {
        for (size_t i = 0; i < M; i++)
            memcpy(R + i * ldc, bias, N * sizeof(float));
        gemm_packed(M, 1.0f, A, lda, &pb, 1.0f, R, ldc);
    } else {
        gemm_packed(M, 1.0f, A, lda, &pb, beta, R, ldc);
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++)
                R[i * ldc + j] += bias[j];
    }
    CHECK(memcmp(C, R, M * ldc * sizeof(float)) == 0,
          "bias M=%zu N=%zu K=%zu beta=%g packed=%d: not the bits of the "
          "bias rows then the product", M, N, K, beta, pb.packed != NULL);
    /* And the sums themselves (bias rows in C0 for the plain check). */
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++)
            R[i * ldc + j] = beta * C0[i * ldc + j] + bias[j];
    double e = check_product(M, N, K, 0, 1, 1.0f, A, lda, B, K, 1.0f, R, C,
                             ldc);
    CHECK(e < 2e-6 * sqrt((double)K + 1), "bias M=%zu N=%zu K=%zu: error %.3g",
          M, N, K, e);
    free(A), free(B), free(bias), free(C0), free(C), free(R), free(buf);
}

/* A last panel of at most 16 columns (N = 65: 1 column of 32) runs a
 * half-width kernel: its columns must be the bits of the same columns of
 * a wider product, where they fall in a full panel. */
static void half_case(size_t M, size_t N, size_t K, unsigned seed)
{
    const size_t wide = (N + 31) / 32 * 32 + 32;
    float *A = random_matrix(M * K, &seed), *B = random_matrix(wide * K, &seed);
    float *C = calloc(M * N, sizeof(float));
    float *W = calloc(M * wide, sizeof(float));
    size_t floats = gemm_pack_floats(wide, K);
    float *buf = malloc((floats ? floats : 1) * sizeof(float));
    gemm_b pb;
    gemm_pack(&pb, 1, N, K, B, K, floats ? buf : NULL);
    gemm_packed(M, 1.0f, A, K, &pb, 0.0f, C, N);
    gemm_pack(&pb, 1, wide, K, B, K, floats ? buf : NULL);
    gemm_packed(M, 1.0f, A, K, &pb, 0.0f, W, wide);
    int same = 1;
    for (size_t i = 0; i < M; i++)
        same &= memcmp(C + i * N, W + i * wide, N * sizeof(float)) == 0;
    CHECK(same, "half panel M=%zu N=%zu K=%zu: not the bits of N=%zu", M, N,
          K, wide);
    free(A), free(B), free(C), free(W), free(buf);
}

/* gemm_col_sums against the plain loop, bit for bit (both add the rows
 * in turn), at the thread count in force. The values are spread over 17
 * binades, so their sums round and another order of the rows would give
 * other bits. */
static void col_sums_case(size_t rows, size_t cols, size_t lda, unsigned seed)
{
    float *A = random_matrix(rows * lda, &seed);
    float *d = random_matrix(cols, &seed);
    for (size_t i = 0; A && i < rows * lda; i++)
        A[i] = ldexpf(A[i] + 0.3f / (float)(i % 7 + 3), (int)(i % 17) - 8);
    float *want = malloc(cols * sizeof(float));
    memcpy(want, d, cols * sizeof(float));
    for (size_t i = 0; i < rows; i++)
        for (size_t k = 0; k < cols; k++)
            want[k] += A[i * lda + k];
    gemm_col_sums(d, A, rows, cols, lda);
    CHECK(memcmp(d, want, cols * sizeof(float)) == 0,
          "col sums rows=%zu cols=%zu lda=%zu: not the plain loop's bits",
          rows, cols, lda);
    free(A), free(d), free(want);
}

static void tn_case(size_t M, size_t N, size_t K, size_t cap, float beta,
                    unsigned seed)
{
    size_t lda = M + 1, ldb = N + 2, ldc = N + 3;
    float *A = random_matrix(K * lda, &seed);
    float *B = random_matrix(K * ldb, &seed);
    float *C0 = random_matrix(M * ldc, &seed);
    float *C = malloc(M * ldc * sizeof(float));
    float *buf = malloc((cap ? cap : 1) * sizeof(float));
    memcpy(C, C0, M * ldc * sizeof(float));
    gemm_tn(M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc, buf, cap);
    double e = check_product(M, N, K, 1, 0, 1.0f, A, lda, B, ldb, beta, C0, C,
                             ldc);
    CHECK(e < 2e-6 * sqrt((double)K + 1),
          "tn M=%zu N=%zu K=%zu cap=%zu: error %.3g", M, N, K, cap, e);
    free(A), free(B), free(C0), free(C), free(buf);
}

/* The rows' pass of step_case: marks each row it is given (a row given
 * twice or never shows), after checking that C's row is already final. */
typedef struct {
    const float *C, *want;
    size_t M, N, ldc;
    int *seen;
    int early; /* a row reached before its products were written */
} step_rows;

static void mark_rows(void *ctx, size_t part, size_t parts)
{
    step_rows *r = ctx;
    size_t r0 = r->M * part / parts, r1 = r->M * (part + 1) / parts;
    for (size_t i = r0; i < r1; i++) {
        if (memcmp(r->C + i * r->ldc, r->want + i * r->ldc,
                   r->N * sizeof(float)) != 0)
            r->early = 1;
        __atomic_fetch_add(&r->seen[i], 1, __ATOMIC_RELAXED);
    }
}

/* gemm_packed_step against what it stands for: the input product
 * with its bias row (beta 0), then the state's with beta 1 (one row:
 * gemm_packed_row), then the rows' pass — bit for bit, packed or not,
 * with and without an input product; the rows' pass sees every row once,
 * after C is written. One row's input product sums in k order like a row
 * of a taller product. */
static void step_case(size_t M, size_t N, size_t KX, size_t KH, int with_x,
                      int pack, int sep, unsigned seed)
{
    /* sep: the state's product into a buffer of its own, with beta 0.5
     * (a GRU's h·W_hhᵀ stays apart from the input side's). */
    size_t ldx = KX + 2, ldh = KH + 1, ldc = N + 3;
    float *X = random_matrix(M * ldx, &seed), *Hs = random_matrix(M * ldh, &seed);
    float *WX = random_matrix(N * KX, &seed), *WH = random_matrix(N * KH, &seed);
    float *bias = random_matrix(N, &seed), *C0 = random_matrix(M * ldc, &seed);
    float *C = malloc(M * ldc * sizeof(float)), *R = malloc(M * ldc * sizeof(float));
    size_t fx = pack ? gemm_pack_floats(N, KX) : 0;
    size_t fh = pack ? gemm_pack_floats(N, KH) : 0;
    float *bx = malloc((fx ? fx : 1) * sizeof(float));
    float *bh = malloc((fh ? fh : 1) * sizeof(float));
    gemm_b wx, wh;
    gemm_pack(&wx, 1, N, KX, WX, KX, fx ? bx : NULL);
    gemm_pack(&wh, 1, N, KH, WH, KH, fh ? bh : NULL);
    memcpy(R, C0, M * ldc * sizeof(float));
    if (with_x) {
        /* Packed, the reference's one-row input product goes through a
         * product of two rows (the second a copy), which sums in k order. */
        float *X2 = malloc(2 * ldx * sizeof(float)), *R2 = malloc(2 * ldc * sizeof(float));
        if (M == 1 && wx.packed) {
            memcpy(X2, X, ldx * sizeof(float));
            memcpy(X2 + ldx, X, ldx * sizeof(float));
            gemm_packed_bias(2, 1.0f, X2, ldx, &wx, 0.0f, bias, R2, ldc);
            memcpy(R, R2, N * sizeof(float));
        } else {
            gemm_packed_bias(M, 1.0f, X, ldx, &wx, 0.0f, bias, R, ldc);
        }
        free(X2), free(R2);
    }
    float *H0 = random_matrix(M * ldc, &seed);
    float *Ch = malloc(M * ldc * sizeof(float)), *Rh = malloc(M * ldc * sizeof(float));
    float *rh = sep ? Rh : R, beta_h = sep ? 0.5f : 1.0f;
    memcpy(Rh, H0, M * ldc * sizeof(float));
    if (M == 1)
        gemm_packed_row(Hs, &wh, beta_h, rh, 1);
    else
        gemm_packed(M, 1.0f, Hs, ldh, &wh, beta_h, rh, ldc);
    memcpy(C, C0, M * ldc * sizeof(float));
    memcpy(Ch, H0, M * ldc * sizeof(float));
    int *seen = calloc(M, sizeof(int));
    step_rows r = {.C = sep ? Ch : C, .want = rh, .M = M, .N = N, .ldc = ldc,
                   .seen = seen, .early = 0};
    gemm_packed_step(M, X, ldx, with_x ? &wx : NULL, bias, C, ldc, Hs,
                           ldh, &wh, beta_h, sep ? Ch : C, ldc, 1, mark_rows,
                           &r);
    int same = 1, once = 1;
    for (size_t i = 0; i < M; i++) {
        same &= memcmp(C + i * ldc, R + i * ldc, N * sizeof(float)) == 0;
        same &= !sep || memcmp(Ch + i * ldc, Rh + i * ldc, N * sizeof(float)) == 0;
        once &= seen[i] == 1;
    }
    CHECK(same, "step M=%zu N=%zu KX=%zu KH=%zu x=%d packed=%d sep=%d: not "
          "the bits of the two products", M, N, KX, KH, with_x, pack, sep);
    CHECK(once && !r.early, "step M=%zu N=%zu: rows' pass %s", M, N,
          r.early ? "ran before its row was written" : "missed or repeated a row");
    free(X), free(Hs), free(WX), free(WH), free(bias), free(C0), free(C),
        free(R), free(bx), free(bh), free(seen), free(H0), free(Ch), free(Rh);
}

void test_gemm_packed(void)
{
    const size_t rows[] = {1, 2, 7, 8, 11, 12, 13, 25};
    const size_t cols[] = {1, 15, 16, 17, 31, 32, 33, 64, 100};
    unsigned seed = 1;
    for (int threads = 1; threads <= 2; threads++) {
        recur_set_threads(threads);
        for (size_t r = 0; r < sizeof rows / sizeof *rows; r++)
            for (size_t c = 0; c < sizeof cols / sizeof *cols; c++)
                for (int tb = 0; tb <= 1; tb++)
                    packed_case(rows[r], cols[c], 1 + (r * 7 + c * 13) % 70,
                                tb, 1.0f, (r + c) % 2 ? 1.0f : 0.0f, seed++);
        packed_case(64, 2048, 512, 1, 1.0f, 1.0f, seed++); /* threads split */
        half_case(25, 65, 130, seed++);
        half_case(50, 80, 64, seed++);
        half_case(13, 40, 33, seed++);
        packed_case(20, 96, 37, 0, 0.5f, -2.0f, seed++);
        packed_case(700, 70, 300, 1, 1.0f, 0.0f, seed++); /* row blocks */
        for (int pack = 0; pack <= 1; pack++) {
            bias_case(1, 33, 20, 0.0f, pack, seed++);
            bias_case(13, 100, 65, 0.0f, pack, seed++);
            bias_case(64, 2048, 96, 0.0f, pack, seed++); /* threads split */
            bias_case(700, 70, 300, 0.0f, pack, seed++); /* row blocks */
            bias_case(25, 47, 30, 0.5f, pack, seed++);
        }
        tn_case(70, 45, 1000, 64 * 64, 1.0f, seed++); /* chunks of K */
        tn_case(33, 100, 300, 128 * 600, 0.0f, seed++);
        tn_case(2048, 64, 150, 64 * 512, 1.0f, seed++);
        tn_case(16, 16, 50, 0, 1.0f, seed++); /* no buffer: gemm */
        col_sums_case(3, 5, 7, seed++);
        col_sums_case(400, 800, 800, seed++); /* threads share columns */
        col_sums_case(100, 1000, 1003, seed++); /* a masked last line */
        for (int pack = 0; pack <= 1; pack++)
            for (int k = 0; k < 4; k++) {
                int with_x = k & 1, sep = k >> 1;
                step_case(1, 100, 65, 33, with_x, pack, sep, seed++);
                step_case(2, 47, 20, 30, with_x, pack, sep, seed++);
                step_case(13, 96, 40, 64, with_x, pack, sep, seed++);
                step_case(64, 2048, 96, 128, with_x, pack, sep, seed++);
            }
    }
    /* Threads split panels or rows, never a dot product: bit-identical. */
    const size_t shapes[][4] = {{64, 2048, 512, 1}, {700, 70, 300, 0},
                                {50, 100, 64, 1}, {400, 224, 200, 0}};
    for (size_t k = 0; k < 4; k++) {
        size_t M = shapes[k][0], N = shapes[k][1], K = shapes[k][2];
        int tb = (int)shapes[k][3];
        float *A = random_matrix(M * K, &seed), *B = random_matrix(N * K, &seed);
        float *C1 = calloc(M * N, sizeof(float)), *C2 = calloc(M * N, sizeof(float));
        size_t floats = gemm_pack_floats(N, K);
        float *buf = malloc((floats ? floats : 1) * sizeof(float));
        gemm_b pb;
        gemm_pack(&pb, tb, N, K, B, tb ? K : N, floats ? buf : NULL);
        recur_set_threads(1);
        gemm_packed(M, 1.0f, A, K, &pb, 0.0f, C1, N);
        recur_set_threads(2);
        gemm_packed(M, 1.0f, A, K, &pb, 0.0f, C2, N);
        CHECK(memcmp(C1, C2, M * N * sizeof(float)) == 0,
              "M=%zu N=%zu K=%zu: 1 and 2 threads differ", M, N, K);
        float *W1 = calloc(K * N, sizeof(float)), *W2 = calloc(K * N, sizeof(float));
        size_t cap = 256 * 1024;
        float *tbuf = malloc(cap * sizeof(float));
        recur_set_threads(1); /* Aᵀ·B with A [K=M, M=...]: reuse A as [M, K] */
        gemm_tn(K, N, M, 1.0f, A, K, C1, N, 0.0f, W1, N, tbuf, cap);
        recur_set_threads(2);
        gemm_tn(K, N, M, 1.0f, A, K, C1, N, 0.0f, W2, N, tbuf, cap);
        CHECK(memcmp(W1, W2, K * N * sizeof(float)) == 0,
              "tn M=%zu N=%zu K=%zu: 1 and 2 threads differ", K, N, M);
        free(A), free(B), free(C1), free(C2), free(buf), free(W1), free(W2),
            free(tbuf);
    }
    /* A row's result does not depend on the rows beside it: the first 50
     * rows of 64 (tiles 11, 11, 11, 11, 10, 10) are those of a product of
     * 50 (10 × 5), of 13 (7, 6) and of 25 (9, 8, 8), bit for bit. */
    {
        const size_t N = 100, K = 77, Ms[] = {50, 13, 25};
        float *A = random_matrix(64 * K, &seed), *B = random_matrix(N * K, &seed);
        float *C64 = calloc(64 * N, sizeof(float)), *Cm = calloc(64 * N, sizeof(float));
        size_t floats = gemm_pack_floats(N, K);
        float *buf = malloc((floats ? floats : 1) * sizeof(float));
        gemm_b pb;
        gemm_pack(&pb, 1, N, K, B, K, floats ? buf : NULL);
        recur_set_threads(1);
        gemm_packed(64, 1.0f, A, K, &pb, 0.0f, C64, N);
        for (size_t m = 0; m < 3; m++) {
            gemm_packed(Ms[m], 1.0f, A, K, &pb, 0.0f, Cm, N);
            CHECK(!floats || memcmp(C64, Cm, Ms[m] * N * sizeof(float)) == 0,
                  "rows of a product of %zu differ from those of 64", Ms[m]);
        }
        free(A), free(B), free(C64), free(Cm), free(buf);
    }
    recur_set_threads(1);
    /* No buffer: the handle keeps B and the product is gemm's. */
    gemm_b pb;
    float B[6] = {1, 2, 3, 4, 5, 6}, A[3] = {1, 1, 1}, C[2] = {0, 0};
    gemm_pack(&pb, 1, 2, 3, B, 3, NULL);
    CHECK(pb.packed == NULL, "no buffer: not packed");
    gemm_packed(1, 1.0f, A, 3, &pb, 0.0f, C, 2);
    CHECK(C[0] == 6.0f && C[1] == 15.0f, "fallback: got %g %g, want 6 15",
          (double)C[0], (double)C[1]);
}
