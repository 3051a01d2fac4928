/*
 * fma_peak.c — the machine's measured f32 FMA peak: 16 independent vector
 * accumulators (zmm with AVX-512F, else ymm with AVX2+FMA) each doing
 * acc = acc * a + b in a loop, on 1 thread and on N threads (one loop per
 * thread, pthreads), best of 3 runs. Prints one JSON object:
 *   {"isa": "avx512f", "lanes": 16, "gflops": {"1": 217.0, "2": 450.1}}
 *     bench/fma_peak [ITERATIONS_MILLIONS (default 200)] [MAX_THREADS (2)]
 * Built by bench/run.py: cc -O2 -pthread bench/fma_peak.c -o build/fma_peak
 */
#define _POSIX_C_SOURCE 200809L
#include "base/clock.h"

#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define ACC16(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

__attribute__((target("avx512f"))) static float loop512(long n, float seed)
{
    __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
#define DECL(k) __m512 r##k = _mm512_set1_ps(seed + (float)(k));
#define STEP(k) r##k = _mm512_fmadd_ps(r##k, a, b);
#define SUM(k) s = _mm512_add_ps(s, r##k);
    ACC16(DECL)
    for (long i = 0; i < n; i++) {
        ACC16(STEP)
        __asm__ volatile("" ::: "memory");
    }
    __m512 s = _mm512_setzero_ps();
    ACC16(SUM)
    return _mm512_reduce_add_ps(s);
#undef DECL
#undef STEP
#undef SUM
}

__attribute__((target("avx2,fma"))) static float loop256(long n, float seed)
{
    __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
#define DECL(k) __m256 r##k = _mm256_set1_ps(seed + (float)(k));
#define STEP(k) r##k = _mm256_fmadd_ps(r##k, a, b);
#define SUM(k) s = _mm256_add_ps(s, r##k);
    ACC16(DECL)
    for (long i = 0; i < n; i++) {
        ACC16(STEP)
        __asm__ volatile("" ::: "memory");
    }
    __m256 s = _mm256_setzero_ps();
    ACC16(SUM)
    float v[8];
    _mm256_storeu_ps(v, s);
    return v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
#undef DECL
#undef STEP
#undef SUM
}

static int avx512;
static long iterations;
static volatile float sink;

static void *worker(void *arg)
{
    float seed = (float)(size_t)arg;
    sink = avx512 ? loop512(iterations, seed) : loop256(iterations, seed);
    return NULL;
}

/* GFLOP/s of `threads` loops run at the same time; best of 3. */
static double measure(int threads)
{
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        pthread_t tid[64];
        double t0 = clock_seconds();
        for (int k = 0; k < threads; k++)
            pthread_create(&tid[k], NULL, worker, (void *)(size_t)k);
        for (int k = 0; k < threads; k++)
            pthread_join(tid[k], NULL);
        double dt = clock_seconds() - t0;
        double flops = 2.0 * 16 * (avx512 ? 16 : 8) * (double)iterations * threads;
        if (flops / dt / 1e9 > best)
            best = flops / dt / 1e9;
    }
    return best;
}

int main(int argc, char **argv)
{
    double millions = argc > 1 ? atof(argv[1]) : 200;
    int max_threads = argc > 2 ? atoi(argv[2]) : 2;
    if (millions <= 0 || max_threads < 1 || max_threads > 64) {
        fprintf(stderr, "usage: fma_peak [ITERATIONS_MILLIONS > 0] [MAX_THREADS 1..64]\n");
        return 2;
    }
    iterations = (long)(millions * 1e6 / 16); /* 16 FMAs per iteration */
    if (iterations < 1)
        iterations = 1;
    __builtin_cpu_init();
    avx512 = __builtin_cpu_supports("avx512f");
    if (!avx512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
        fprintf(stderr, "fma_peak: neither AVX-512F nor AVX2+FMA\n");
        return 1;
    }
    printf("{\"isa\": \"%s\", \"lanes\": %d, \"accumulators\": 16, \"gflops\": {",
           avx512 ? "avx512f" : "avx2+fma", avx512 ? 16 : 8);
    for (int t = 1; t <= max_threads; t++)
        printf("%s\"%d\": %.1f", t > 1 ? ", " : "", t, measure(t));
    printf("}}\n");
    return 0;
}
