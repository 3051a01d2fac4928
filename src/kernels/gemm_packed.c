/*
 * gemm_packed.c — the recurrent step's product with weights packed once.
 *
 * A recurrent layer multiplies the same weight matrix by a small state
 * (B rows) at every step. A BLAS repacks the weights on every call; here
 * op(B) is packed once per forward or backward pass into panels of NR = 32
 * columns, each K × 32 floats contiguous (zero-padded past N), and every
 * step runs an AVX-512 micro-kernel of up to MR rows × 32 columns over it:
 * 24 accumulators (MR = 12), per k two panel loads, MR broadcasts of A,
 * 2·MR FMAs.
 * Panels are the outer loop within a block of rows (a step's rows are one
 * block), so each is brought into L2 once per block and reused by all its
 * rows; with threads, each takes a contiguous share of the panels (OpenMP,
 * as many as recur_set_threads asked for). The input projection of a
 * whole sequence and its gradient use the same kernel with many blocks.
 *
 * The kernel is compiled for AVX-512F only (a function attribute, so the
 * library as a whole stays baseline x86-64) and chosen at run time; on
 * other CPUs gemm_pack leaves the matrix unpacked and
 * gemm_packed calls gemm with the original — the plain
 * reference, which the suite also checks the kernel against.
 *
 * One row (batch 1) is bound by reading the panels, not by arithmetic:
 * gemm_packed_row and gemm_packed_pair (a streaming step's
 * x·W_ihᵀ and h·W_hhᵀ in one pass) can sweep the panels last to first,
 * which a step loop alternates, so that what the last sweep read last is
 * still in L2 when the next one starts: a weight of twice L2 then streams
 * half of itself from L3, not all of it.
 *
 * Each output element is one dot product accumulated in k order, then
 * alpha·acc + beta·C: the same sums in the same order as the reference
 * loop, not necessarily bit-identical to the BLAS's (which splits K).
 */
#include "kernels/gemm.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define PACKED_X86 1
#include <immintrin.h>
#endif

#ifdef _OPENMP
#include <omp.h>
#endif

enum { NR = 32, MR = 12 };

/* 0: OpenMP's default (every core, or OMP_NUM_THREADS). */
static int packed_threads = 0;

void gemm_packed_threads(int threads)
{
    packed_threads = threads > 0 ? threads : 0;
}

static int thread_count(void)
{
#ifdef _OPENMP
    return packed_threads > 0 ? packed_threads : omp_get_max_threads();
#else
    return 1;
#endif
}

int gemm_packed_thread_count(void)
{
    return thread_count();
}

int gemm_packed_available(void)
{
#ifdef PACKED_X86
    /* Cheap, and free of a lazily written static (calls may race). */
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
#else
    return 0;
#endif
}

#ifdef PACKED_X86
/* r[0..16) rows of 16 floats become its 16 columns (r[c][q] = old
 * r[q][c]): unpacks within 128-bit lanes, then lane shuffles. */
__attribute__((target("avx512f"), always_inline)) static inline void
transpose16(__m512 r[16])
{
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
        __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
        r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    /* r[4i + m], lane L: rows 4i..4i+3 at column 4L + m. */
    for (int m = 0; m < 4; m++) {
        __m512 a = _mm512_shuffle_f32x4(r[m], r[4 + m], 0x88);
        __m512 b = _mm512_shuffle_f32x4(r[m], r[4 + m], 0xDD);
        __m512 c = _mm512_shuffle_f32x4(r[8 + m], r[12 + m], 0x88);
        __m512 d = _mm512_shuffle_f32x4(r[8 + m], r[12 + m], 0xDD);
        t[m] = _mm512_shuffle_f32x4(a, c, 0x88);
        t[8 + m] = _mm512_shuffle_f32x4(a, c, 0xDD);
        t[4 + m] = _mm512_shuffle_f32x4(b, d, 0x88);
        t[12 + m] = _mm512_shuffle_f32x4(b, d, 0xDD);
    }
    for (int i = 0; i < 16; i++)
        r[i] = t[i];
}

/* A full panel of op(B) = B: 32 columns from j0 of K rows. */
__attribute__((target("avx512f"))) static void
pack_n_panel(float *dst, const float *B, size_t ldb, size_t j0, size_t K)
{
    for (size_t k = 0; k < K; k++) {
        const float *src = B + k * ldb + j0;
        _mm512_storeu_ps(dst + k * NR, _mm512_loadu_ps(src));
        _mm512_storeu_ps(dst + k * NR + 16, _mm512_loadu_ps(src + 16));
    }
}

/* A full panel of op(B) = Bᵀ: rows j0..j0+31 of B become its columns,
 * 16×16 blocks at a time; returns how many k were done (a multiple of 16). */
__attribute__((target("avx512f"))) static size_t
pack_t_panel(float *dst, const float *B, size_t ldb, size_t j0, size_t K)
{
    size_t k = 0;
    for (; k + 16 <= K; k += 16)
        for (int h = 0; h < 2; h++) {
            __m512 r[16];
            for (int q = 0; q < 16; q++)
                r[q] = _mm512_loadu_ps(B + (j0 + 16 * h + q) * ldb + k);
            transpose16(r);
            for (int c = 0; c < 16; c++)
                _mm512_storeu_ps(dst + (k + c) * NR + 16 * h, r[c]);
        }
    return k;
}
#endif

size_t gemm_pack_floats(size_t N, size_t K)
{
    if (!gemm_packed_available())
        return 0;
    return (N + NR - 1) / NR * NR * K;
}

void gemm_pack(gemm_b *pb, int trans_b, size_t N, size_t K,
                     const float *B, size_t ldb, float *buf)
{
    pb->b = B;
    pb->ldb = ldb;
    pb->trans_b = trans_b;
    pb->N = N;
    pb->K = K;
    pb->packed = NULL;
    if (!buf || !gemm_packed_available() || N == 0 || K == 0)
        return;
    size_t panels = (N + NR - 1) / NR;
    /* Panels are independent: threads take shares of a large weight's. */
#ifdef _OPENMP
#pragma omp parallel for num_threads(thread_count()) if (N * K >= 1 << 16)
#endif
    for (size_t p = 0; p < panels; p++) {
        float *dst = buf + p * K * NR;
        size_t j0 = p * NR, w = N - j0 < NR ? N - j0 : NR;
        if (trans_b) { /* op(B)[k][j] = B[j][k]: rows of B become columns */
            size_t k0 = 0;
#ifdef PACKED_X86
            if (w == NR)
                k0 = pack_t_panel(dst, B, ldb, j0, K);
#endif
            for (size_t jj = 0; jj < w; jj++) {
                const float *src = B + (j0 + jj) * ldb;
                for (size_t k = k0; k < K; k++)
                    dst[k * NR + jj] = src[k];
            }
        } else {
#ifdef PACKED_X86
            if (w == NR) {
                pack_n_panel(dst, B, ldb, j0, K);
                continue;
            }
#endif
            for (size_t k = 0; k < K; k++)
                memcpy(dst + k * NR, B + k * ldb + j0, w * sizeof(float));
        }
        for (size_t k = 0; k < K && w < NR; k++)
            memset(dst + k * NR + w, 0, (NR - w) * sizeof(float));
    }
    pb->packed = buf;
}

#ifdef PACKED_X86
/* One row of a tile: c[0..w) = alpha · (r0 | r1) + beta · c (c not read
 * when beta is 0), then + bias[0..w) when bias is given, masked past w. */
__attribute__((target("avx512f"), always_inline)) static inline void
store_row(float *c, __m512 r0, __m512 r1, float alpha, float beta,
          const float *bias, size_t w)
{
    __mmask16 m0 = (__mmask16)(w >= 16 ? 0xFFFF : (1u << w) - 1);
    __mmask16 m1 = (__mmask16)(w >= 32 ? 0xFFFF
                               : w <= 16 ? 0
                                         : (1u << (w - 16)) - 1);
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    r0 = _mm512_mul_ps(va, r0);
    r1 = _mm512_mul_ps(va, r1);
    if (beta != 0.0f) {
        r0 = _mm512_add_ps(r0, _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m0, c)));
        r1 = _mm512_add_ps(r1,
                           _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m1, c + 16)));
    }
    if (bias) {
        r0 = _mm512_add_ps(r0, _mm512_maskz_loadu_ps(m0, bias));
        r1 = _mm512_add_ps(r1, _mm512_maskz_loadu_ps(m1, bias + 16));
    }
    _mm512_mask_storeu_ps(c, m0, r0);
    _mm512_mask_storeu_ps(c + 16, m1, r1);
}

/* C[mr, w] = alpha · op(A)[mr, K] · panel[K, 32] + beta · C, w ≤ 32
 * columns stored (masked); op(A)[i][k] = A[i·lda + k], or A[k·lda + i]
 * when ta is set. half: w ≤ 16, only the panel's first 16 columns are
 * multiplied (the last panel of N = 65: 1 column of 32), each sum the
 * same FMAs in the same order as in the full kernel. mr, ta and half are
 * constants after inlining (KERNEL_ROWS). */
__attribute__((target("avx512f"), always_inline)) static inline void
kernel(int mr, int ta, int half, size_t K, float alpha, const float *A,
       size_t lda,
       const float *panel, float beta, const float *bias, float *C,
       size_t ldc, size_t w, const float *next)
{
    /* The tile of C is read (beta) and written only after the k loop,
     * and its rows lie a whole row of C apart (the gates of a step: 8 KiB
     * for H = 512), where no hardware prefetcher looks: fetched now, its
     * misses overlap the loop instead of following it (the input
     * projection with I = 65 ran at 45% of its speed without this). */
    __m512 acc[MR][2];
#pragma GCC unroll 12
    for (int i = 0; i < mr; i++) {
        acc[i][0] = acc[i][1] = _mm512_setzero_ps();
        _mm_prefetch((const char *)(C + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(C + i * ldc + 16), _MM_HINT_T0);
    }
    for (size_t k = 0; k < K; k++) {
        if (next) {
            _mm_prefetch((const char *)(next + k * NR), _MM_HINT_T1);
            _mm_prefetch((const char *)(next + k * NR + 16), _MM_HINT_T1);
        }
        __m512 b0 = _mm512_loadu_ps(panel + k * NR);
        __m512 b1 = half ? b0 : _mm512_loadu_ps(panel + k * NR + 16);
#pragma GCC unroll 12
        for (int i = 0; i < mr; i++) {
            __m512 a = _mm512_set1_ps(ta ? A[k * lda + i] : A[i * lda + k]);
            acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
            if (!half)
                acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
        }
    }
#pragma GCC unroll 12
    for (int i = 0; i < mr; i++)
        store_row(C + i * ldc, acc[i][0], acc[i][1], alpha, beta, bias, w);
}

/* The transposed-A kernels (gemm_tn) take no bias: passed on,
 * kernel_t12 ran 1.5x slower. */
#define KERNEL_FN(NAME, R, TA, HALF)                                          \
    __attribute__((target("avx512f"))) static void NAME(                     \
        size_t K, float alpha, const float *A, size_t lda,                    \
        const float *panel, float beta, const float *bias, float *C,          \
        size_t ldc, size_t w, const float *next)                              \
    {                                                                         \
        kernel(R, TA, HALF, K, alpha, A, lda, panel, beta, TA ? NULL : bias,  \
               C, ldc, w, next);                                              \
    }
#define KERNEL_ROWS(R)                                                        \
    KERNEL_FN(kernel_##R, R, 0, 0)                                            \
    KERNEL_FN(kernel_h##R, R, 0, 1)                                           \
    KERNEL_FN(kernel_t##R, R, 1, 0)
/* One row (batch 1, streaming): a single chain of FMAs per half-panel
 * would wait on the FMA latency at every k, so k runs four ways, each with
 * its own accumulators, summed at the end ((k ≡ 0 + k ≡ 1) + (k ≡ 2 +
 * k ≡ 3) mod 4) into s[0], s[1]; bound by reading the panel. */
__attribute__((target("avx512f"), always_inline)) static inline void
sums_one(int ta, size_t K, const float *A, size_t lda, const float *panel,
         __m512 s[2])
{
    __m512 acc[4][2];
    for (int u = 0; u < 4; u++)
        acc[u][0] = acc[u][1] = _mm512_setzero_ps();
    size_t k = 0;
    for (; k + 4 <= K; k += 4)
#pragma GCC unroll 4
        for (int u = 0; u < 4; u++) {
            __m512 a = _mm512_set1_ps(ta ? A[(k + u) * lda] : A[k + u]);
            const float *b = panel + (k + u) * NR;
            acc[u][0] = _mm512_fmadd_ps(a, _mm512_loadu_ps(b), acc[u][0]);
            acc[u][1] = _mm512_fmadd_ps(a, _mm512_loadu_ps(b + 16), acc[u][1]);
        }
    for (; k < K; k++) {
        __m512 a = _mm512_set1_ps(ta ? A[k * lda] : A[k]);
        const float *b = panel + k * NR;
        acc[0][0] = _mm512_fmadd_ps(a, _mm512_loadu_ps(b), acc[0][0]);
        acc[0][1] = _mm512_fmadd_ps(a, _mm512_loadu_ps(b + 16), acc[0][1]);
    }
    s[0] = _mm512_add_ps(_mm512_add_ps(acc[0][0], acc[1][0]),
                         _mm512_add_ps(acc[2][0], acc[3][0]));
    s[1] = _mm512_add_ps(_mm512_add_ps(acc[0][1], acc[1][1]),
                         _mm512_add_ps(acc[2][1], acc[3][1]));
}

__attribute__((target("avx512f"))) static void
kernel_one(int ta, size_t K, float alpha, const float *A, size_t lda,
           const float *panel, float beta, const float *bias, float *C,
           size_t w)
{
    __m512 s[2];
    if (ta)
        sums_one(1, K, A, lda, panel, s);
    else
        sums_one(0, K, A, lda, panel, s);
    store_row(C, s[0], s[1], alpha, beta, bias, w);
}

/* kernel_one as a kernel_fn, for a product of one row (M = 1); a row of
 * a taller product goes through kernel_1, whose sums are those of every
 * other tile (k in order), so that a row's result does not depend on how
 * many rows its product has or how they are cut into tiles. */
__attribute__((target("avx512f"))) static void
kernel_lone(size_t K, float alpha, const float *A, size_t lda,
            const float *panel, float beta, const float *bias, float *C,
            size_t ldc, size_t w, const float *next)
{
    (void)ldc, (void)next;
    kernel_one(0, K, alpha, A, lda, panel, beta, bias, C, w);
}

__attribute__((target("avx512f"))) static void
kernel_tlone(size_t K, float alpha, const float *A, size_t lda,
             const float *panel, float beta, const float *bias, float *C,
             size_t ldc, size_t w, const float *next)
{
    (void)ldc, (void)next;
    kernel_one(1, K, alpha, A, lda, panel, beta, bias, C, w);
}
KERNEL_ROWS(1)
KERNEL_ROWS(2)
KERNEL_ROWS(3)
KERNEL_ROWS(4)
KERNEL_ROWS(5)
KERNEL_ROWS(6)
KERNEL_ROWS(7)
KERNEL_ROWS(8)
KERNEL_ROWS(9)
KERNEL_ROWS(10)
KERNEL_ROWS(11)
KERNEL_ROWS(12)

typedef void kernel_fn(size_t, float, const float *, size_t, const float *,
                       float, const float *, float *, size_t, size_t,
                       const float *);
/* [half][ta][mr] */
static kernel_fn *const kernels[2][2][MR + 1] = {
    {{NULL, kernel_1, kernel_2, kernel_3, kernel_4, kernel_5, kernel_6,
      kernel_7, kernel_8, kernel_9, kernel_10, kernel_11, kernel_12},
     {NULL, kernel_t1, kernel_t2, kernel_t3, kernel_t4, kernel_t5,
      kernel_t6, kernel_t7, kernel_t8, kernel_t9, kernel_t10, kernel_t11,
      kernel_t12}},
    {{NULL, kernel_h1, kernel_h2, kernel_h3, kernel_h4, kernel_h5,
      kernel_h6, kernel_h7, kernel_h8, kernel_h9, kernel_h10, kernel_h11,
      kernel_h12},
     {NULL}},
};
static kernel_fn *const kernels_lone[2] = {kernel_lone, kernel_tlone};

/* Rows [0, M) of the product against panel p (lone: the whole product is
 * this one row); the first tile prefetches `next` into L2 when given. */
static void panel_tiles(size_t p, size_t M, int lone, int ta, float alpha,
                        const float *A, size_t lda, const gemm_b *pb,
                        float beta, const float *bias, float *C, size_t ldc,
                        const float *next)
{
    const size_t K = pb->K, j0 = p * NR;
    const size_t w = pb->N - j0 < NR ? pb->N - j0 : NR;
    const float *panel = pb->packed + p * K * NR;
    /* Tiles of balanced heights (64 rows: 11, 11, 11, 11, 10, 10, not
     * 5 × 12 + 4): a short tile has too few accumulators to keep both FMA
     * pipes busy, and as many loads as FMAs. */
    for (size_t i = 0, mr; i < M; i += mr) {
        size_t left = M - i, tiles = (left + MR - 1) / MR;
        mr = (left + tiles - 1) / tiles;
        /* Not for transposed A: there the half kernel waits on A's
         * strided loads with half the FMAs to hide them behind (2048 × 65
         * × 2500 ran 12% slower). */
        kernel_fn *kf = lone ? kernels_lone[ta]
                             : kernels[w <= 16 && !ta][ta][mr];
        kf(K, alpha, ta ? A + i : A + i * lda, lda, panel, beta,
           bias ? bias + j0 : NULL, C + i * ldc + j0, ldc, w,
           i == 0 ? next : NULL);
    }
}

/* A step's few rows (up to 8 tiles) use each panel briefly: their first
 * tile brings the next panel into L2 as it goes (a recurrent weight of
 * 4 MiB or more comes from L3 at every step; 64 × 4096 × 1024 ran 5-15%
 * faster). A taller block uses each panel long enough, and there this
 * cost 3-4%. */
static int prefetching(size_t rows)
{
    return rows <= 8 * MR;
}

/* Rows [0, M) of the product (lone: the whole product is this one row)
 * against panels [p0, p1). */
static void panels_range(size_t p0, size_t p1, size_t M, int lone, int ta,
                         float alpha, const float *A, size_t lda,
                         const gemm_b *pb, float beta,
                         const float *bias, float *C, size_t ldc)
{
    const size_t K = pb->K;
    /* Rows in blocks of at most about 512 KiB of A, which stay in L2 while
     * every panel of the range passes over them; blocks of equal size (a
     * short last block would stream every panel again for a few rows). */
    size_t mb = (size_t)131072 / K;
    mb = mb < MR ? MR : mb;
    size_t nb = (M + mb - 1) / mb;
    mb = ((M + nb - 1) / nb + MR - 1) / MR * MR;
    for (size_t i0 = 0; i0 < M; i0 += mb) {
        size_t i1 = M - i0 < mb ? M : i0 + mb;
        for (size_t p = p0; p < p1; p++) {
            const float *next = p + 1 < p1 && prefetching(i1 - i0)
                                    ? pb->packed + (p + 1) * K * NR
                                    : NULL;
            panel_tiles(p, i1 - i0, lone, ta, alpha,
                        ta ? A + i0 : A + i0 * lda, lda, pb, beta, bias,
                        C + i0 * ldc, ldc, next);
        }
    }
}

/* Threads that share `panels` panels: as many as asked for, but at
 * least two panels each (fewer threads, or one). Four each, as before,
 * left zaremba_small's backward products (H 200: 7 panels) on one thread;
 * two made its 2-thread training 9% faster (4.43 -> 4.05 ms). */
enum { PANELS_PER_THREAD = 2 };
static size_t panel_threads(size_t panels)
{
    size_t threads = (size_t)thread_count();
    if (panels < PANELS_PER_THREAD * threads)
        threads = panels / PANELS_PER_THREAD > 0 ? panels / PANELS_PER_THREAD
                                                 : 1;
    return threads;
}

/* Whether a items share out among n threads more evenly than b items:
 * the largest share, as a fraction of the whole, is smaller. */
static int evener(size_t a, size_t b, size_t n)
{
    return (a + n - 1) / n * b < (b + n - 1) / n * a;
}

/* The product over all panels, split among threads: by panels when there
 * are a few for each, else by rows when there are many (a tall, narrow
 * product: the output layer's weight gradient), else not at all. Every
 * row of a product of several is one k-ordered dot product whatever tile
 * it falls in (only a product of one row sums four ways, kernel_lone):
 * results depend neither on the thread count nor on the tiling. */
static void run_panels(size_t M, int ta, float alpha, const float *A,
                       size_t lda, const gemm_b *pb, float beta,
                       const float *bias, float *C, size_t ldc)
{
    size_t panels = (pb->N + NR - 1) / NR;
    size_t threads = panel_threads(panels);
    const size_t all = (size_t)thread_count(), blocks = (M + MR - 1) / MR;
    /* By rows where there are rows enough and the panels are too few to
     * share, or share out less evenly than the tiles of rows (a weight
     * gradient of N = 200, 7 panels, ran 3 against 4 panels). */
    int by_rows = 0;
    if (M >= 4 * MR * all &&
        (threads < all || evener(blocks, panels, all))) {
        by_rows = 1;
        threads = all;
    }
    /* Worth a thread hand-off (a few µs): a million multiply-adds, or a
     * weight of 1 MiB to stream (batch 1, bound by reading it). */
    if (threads <= 1 || (M * pb->K * pb->N < (size_t)1 << 20 &&
                         pb->K * pb->N < (size_t)1 << 18)) {
        panels_range(0, panels, M, M == 1, ta, alpha, A, lda, pb, beta, bias,
                     C, ldc);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads((int)threads)
    {
        size_t t = (size_t)omp_get_thread_num(),
               n = (size_t)omp_get_num_threads();
        if (by_rows) {
            size_t r0 = blocks * t / n * MR, r1 = blocks * (t + 1) / n * MR;
            r1 = r1 < M ? r1 : M;
            if (r0 < r1)
                panels_range(0, panels, r1 - r0, 0, ta, alpha,
                             ta ? A + r0 : A + r0 * lda, lda, pb, beta,
                             bias, C + r0 * ldc, ldc);
        } else {
            panels_range(panels * t / n, panels * (t + 1) / n, M, M == 1, ta,
                         alpha, A, lda, pb, beta, bias, C, ldc);
        }
    }
#else
    panels_range(0, panels, M, M == 1, ta, alpha, A, lda, pb, beta, bias, C,
                 ldc);
#endif
}
#endif

void gemm_packed(size_t M, float alpha, const float *A, size_t lda,
                       const gemm_b *pb, float beta, float *C,
                       size_t ldc)
{
    gemm_packed_bias(M, alpha, A, lda, pb, beta, NULL, C, ldc);
}

void gemm_packed_bias(size_t M, float alpha, const float *A,
                            size_t lda, const gemm_b *pb, float beta,
                            const float *bias, float *C, size_t ldc)
{
    if (!pb->packed || M == 0) {
        /* The plain path: C = bias row by row, then the product added to
         * it (beta 0), or the bias added after it (beta not 0). */
        if (bias && beta == 0.0f) {
            for (size_t i = 0; i < M; i++)
                memcpy(C + i * ldc, bias, pb->N * sizeof(float));
            beta = 1.0f;
            bias = NULL;
        }
        gemm(0, pb->trans_b, M, pb->N, pb->K, alpha, A, lda, pb->b,
                   pb->ldb, beta, C, ldc);
        for (size_t i = 0; bias && i < M; i++)
            for (size_t j = 0; j < pb->N; j++)
                C[i * ldc + j] += bias[j];
        return;
    }
#ifdef PACKED_X86
    run_panels(M, 0, alpha, A, lda, pb, beta, bias, C, ldc);
#endif
}

#ifdef PACKED_X86
/* Panels [p0, p1) of gemm_packed_step's products over M > 1 rows,
 * panel by panel: the input's product, then the state's (into the same
 * columns, while they are in L1, when Ch is C); each product's first tile
 * prefetches the other's next panel. */
static void step_range(size_t p0, size_t p1, size_t M, const float *X,
                       size_t ldx, const gemm_b *wx, const float *bias,
                       float *C, size_t ldc, const float *Hs, size_t ldh,
                       const gemm_b *wh, float beta_h, float *Ch,
                       size_t ldch)
{
    const int pf = prefetching(M);
    for (size_t p = p0; p < p1; p++) {
        const float *hpanel = wh->packed + p * wh->K * NR;
        const float *next = NULL;
        if (pf && p + 1 < p1)
            next = wx ? wx->packed + (p + 1) * wx->K * NR : hpanel + wh->K * NR;
        if (wx)
            panel_tiles(p, M, 0, 0, 1.0f, X, ldx, wx, 0.0f, bias, C, ldc,
                        pf ? hpanel : NULL);
        panel_tiles(p, M, 0, 0, 1.0f, Hs, ldh, wh, beta_h, NULL, Ch, ldch,
                    next);
    }
}
#endif

void gemm_packed_step(size_t M, const float *X, size_t ldx,
                            const gemm_b *wx, const float *bias,
                            float *C, size_t ldc, const float *Hs,
                            size_t ldh, const gemm_b *wh, float beta_h,
                            float *Ch, size_t ldch, int backwards,
                            gemm_rows_fn *rows, void *ctx)
{
    if (M == 0)
        return;
#ifdef PACKED_X86
    if (M > 1 && wh->packed && (!wx || (wx->packed && wx->N == wh->N))) {
        /* Threads as run_panels gives them by panels; each then owns its
         * columns of C, so the second product follows the first without
         * waiting, and only the rows' pass waits for all of C. */
        size_t panels = (wh->N + NR - 1) / NR;
        size_t threads = panel_threads(panels);
        size_t K = wh->K + (wx ? wx->K : 0);
#ifdef _OPENMP
        if (threads > 1 && M * K * wh->N >= (size_t)1 << 20) {
#pragma omp parallel num_threads((int)threads)
            {
                size_t t = (size_t)omp_get_thread_num(),
                       n = (size_t)omp_get_num_threads();
                step_range(panels * t / n, panels * (t + 1) / n, M, X, ldx,
                           wx, bias, C, ldc, Hs, ldh, wh, beta_h, Ch, ldch);
                if (rows) {
#pragma omp barrier
                    rows(ctx, t, n);
                }
            }
            return;
        }
#endif
        step_range(0, panels, M, X, ldx, wx, bias, C, ldc, Hs, ldh, wh,
                   beta_h, Ch, ldch);
        if (rows)
            rows(ctx, 0, 1);
        return;
    }
    /* One row: its input product in k order like any row of a taller
     * one (not kernel_lone's four ways), so that it has the bits of the
     * whole sequence's projection. */
    if (wx && wx->packed && M == 1) {
        panels_range(0, (wx->N + NR - 1) / NR, 1, 0, 0, 1.0f, X, ldx, wx,
                     0.0f, bias, C, ldc);
        wx = NULL;
    }
#endif
    if (wx)
        gemm_packed_bias(M, 1.0f, X, ldx, wx, 0.0f, bias, C, ldc);
    if (M == 1)
        gemm_packed_row(Hs, wh, beta_h, Ch, backwards);
    else
        gemm_packed(M, 1.0f, Hs, ldh, wh, beta_h, Ch, ldch);
    if (rows)
        rows(ctx, 0, 1);
}

#ifdef PACKED_X86
/* Panels [p0, p1) of gemm_packed_pair (gemm_packed_row: b
 * NULL), last to first when backwards (and then b's panel before a's: the
 * exact reverse of the forward reads). Per panel the sums and stores of
 * kernel_one calls. */
__attribute__((target("avx512f"))) static void
pair_range(size_t p0, size_t p1, int backwards, const float *a,
           const gemm_b *wa, float beta, const float *b,
           const gemm_b *wb, float *c)
{
    const size_t N = wa->N;
    for (size_t q = p0; q < p1; q++) {
        size_t p = backwards ? p1 - 1 - (q - p0) : q;
        size_t j0 = p * NR, w = N - j0 < NR ? N - j0 : NR;
        const float *pa = wa->packed + p * wa->K * NR;
        const float *pb = b ? wb->packed + p * wb->K * NR : NULL;
        __m512 sa[2], sb[2];
        if (b && backwards)
            sums_one(0, wb->K, b, 1, pb, sb);
        sums_one(0, wa->K, a, 1, pa, sa);
        if (b && !backwards)
            sums_one(0, wb->K, b, 1, pb, sb);
        store_row(c + j0, sa[0], sa[1], 1.0f, beta, NULL, w);
        if (b)
            store_row(c + j0, sb[0], sb[1], 1.0f, 1.0f, NULL, w);
    }
}
#endif

/* The products of one row (b, wb NULL: a's alone), packed. */
static void sweep(const float *a, const gemm_b *wa, float beta,
                  const float *b, const gemm_b *wb, float *c,
                  int backwards)
{
#ifdef PACKED_X86
    /* Threads as run_panels gives them to one row: contiguous shares of
     * the panels, each swept in the same direction. */
    size_t panels = (wa->N + NR - 1) / NR;
    size_t threads = panel_threads(panels);
    size_t K = wa->K + (b ? wb->K : 0);
    if (threads <= 1 || K * wa->N < (size_t)1 << 18) {
        pair_range(0, panels, backwards, a, wa, beta, b, wb, c);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads((int)threads)
    {
        size_t t = (size_t)omp_get_thread_num(),
               n = (size_t)omp_get_num_threads();
        pair_range(panels * t / n, panels * (t + 1) / n, backwards, a, wa,
                   beta, b, wb, c);
    }
#else
    pair_range(0, panels, backwards, a, wa, beta, b, wb, c);
#endif
#else
    (void)a, (void)wa, (void)beta, (void)b, (void)wb, (void)c,
        (void)backwards;
#endif
}

void gemm_packed_pair(const float *a, const gemm_b *wa,
                            float beta, const float *b,
                            const gemm_b *wb, float *c, int backwards)
{
    if (!wa->packed || !wb->packed || wa->N != wb->N) {
        gemm_packed(1, 1.0f, a, wa->K, wa, beta, c, wa->N);
        gemm_packed(1, 1.0f, b, wb->K, wb, 1.0f, c, wb->N);
        return;
    }
    sweep(a, wa, beta, b, wb, c, backwards);
}

void gemm_packed_row(const float *a, const gemm_b *w, float beta,
                           float *c, int backwards)
{
    if (!w->packed) {
        gemm_packed(1, 1.0f, a, w->K, w, beta, c, w->N);
        return;
    }
    sweep(a, w, beta, NULL, NULL, c, backwards);
}

/* Columns [k0, k1) of gemm_col_sums: row by row, 16 columns at a time. */
#ifdef PACKED_X86
__attribute__((target("avx512f"))) static void
col_sums_avx512(float *d, const float *A, size_t rows, size_t lda, size_t k0,
                size_t k1)
{
    /* Masked only at the tail: masked stores are slow (a mask on every
     * 16 columns ran at half the speed of GCC's SSE loop). */
    const size_t full = k0 + (k1 - k0) / 16 * 16;
    const __mmask16 m = (__mmask16)((1u << (k1 - full)) - 1);
    for (size_t i = 0; i < rows; i++) {
        const float *a = A + i * lda;
        for (size_t k = k0; k < full; k += 16)
            _mm512_storeu_ps(d + k, _mm512_add_ps(_mm512_loadu_ps(d + k),
                                                  _mm512_loadu_ps(a + k)));
        if (m)
            _mm512_mask_storeu_ps(
                d + full, m,
                _mm512_add_ps(_mm512_maskz_loadu_ps(m, d + full),
                              _mm512_maskz_loadu_ps(m, a + full)));
    }
}
#endif

static void col_sums(float *d, const float *A, size_t rows, size_t lda,
                     size_t k0, size_t k1)
{
#ifdef PACKED_X86
    if (gemm_packed_available()) {
        col_sums_avx512(d, A, rows, lda, k0, k1);
        return;
    }
#endif
    for (size_t i = 0; i < rows; i++)
        for (size_t k = k0; k < k1; k++)
            d[k] += A[i * lda + k];
}

void gemm_col_sums(float *d, const float *A, size_t rows, size_t cols,
                    size_t lda)
{
    /* Shares of whole cache lines of d (16 floats) for each thread. */
    size_t lines = (cols + 15) / 16;
#ifdef _OPENMP
#pragma omp parallel num_threads(thread_count())                              \
    if (rows * cols >= 1 << 16 && lines > 1)
#endif
    {
        size_t t = 0, n = 1;
#ifdef _OPENMP
        t = (size_t)omp_get_thread_num();
        n = (size_t)omp_get_num_threads();
#endif
        size_t k0 = lines * t / n * 16, k1 = lines * (t + 1) / n * 16;
        k1 = k1 < cols ? k1 : cols;
        if (k0 < k1)
            col_sums(d, A, rows, lda, k0, k1);
    }
}

void gemm_tn(size_t M, size_t N, size_t K, float alpha, const float *A,
                   size_t lda, const float *B, size_t ldb, float beta,
                   float *C, size_t ldc, float *buf, size_t cap)
{
    size_t npad = (N + NR - 1) / NR * NR;
    size_t kc = npad ? cap / npad : 0;
    kc = kc > 512 ? 512 : kc;
    if (!buf || !gemm_packed_available() || kc < 64 || M == 0 ||
        N == 0 || K == 0) {
        gemm(1, 0, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
#ifdef PACKED_X86
    /* K in chunks of kc rows of B, packed in turn; C gathers the chunks. */
    for (size_t k0 = 0; k0 < K; k0 += kc) {
        size_t k = K - k0 < kc ? K - k0 : kc;
        gemm_b pb;
        gemm_pack(&pb, 0, N, k, B + k0 * ldb, ldb, buf);
        run_panels(M, 1, alpha, A + k0 * lda, lda, &pb, k0 ? 1.0f : beta,
                   NULL, C, ldc);
    }
#endif
}
