/*
 * packed_gemm.c — the packed kernel alone on one product shape:
 *     C[M,N] = A[M,K] · Wᵀ + C   (W [N,K] packed once, as a recurrent step)
 * run REPS times per sample, 9 samples; prints the fastest sample (the
 * machine is shared: the minimum is the least disturbed) in µs and GFLOP/s.
 *     build/packed_gemm M N K REPS
 * or a weight gradient, gemm_tn (B packed in K chunks as a layer's
 * backward does, with a scratch of pack_floats(M, max(N, 512)) floats):
 *     C[M,N] = A[K,M]ᵀ · B[K,N] + C
 *     build/packed_gemm tn M N K REPS
 * e.g. tn 2048 512 3200 (deepbench dW_ih/dW_hh), tn 2048 65 2500 (charrnn's
 * first dW_ih), tn 2048 512 2500, tn 4096 1024 1600 (big).
 * Shapes of docs/PERFORMANCE.md: 64 2048 512 (step, H 512, B 64), 3200 2048
 * 512 (its input projection), 2500 2048 65 (charrnn's first projection),
 * 64 4096 1024 (step, H 1024). C stays hot between repeats, unlike in a
 * forward, where a step's gates were written long before.
 * Build: make build/packed_gemm
 */
#define _POSIX_C_SOURCE 200809L
#include "base/clock.h"
#include "kernels/gemm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    int tn = argc == 6 && strcmp(argv[1], "tn") == 0;
    if (argc != 5 && !tn) {
        fprintf(stderr, "usage: packed_gemm [tn] M N K REPS\n");
        return 2;
    }
    argv += tn;
    size_t M = strtoul(argv[1], NULL, 10), N = strtoul(argv[2], NULL, 10),
           K = strtoul(argv[3], NULL, 10);
    int reps = atoi(argv[4]);
    if (!M || !N || !K || reps < 1 || M > 100000 || N > 100000 || K > 100000) {
        fprintf(stderr, "packed_gemm: sizes in [1, 100000], REPS >= 1\n");
        return 2;
    }
    size_t floats = tn ? gemm_pack_floats(M, N > 512 ? N : 512)
                       : gemm_pack_floats(N, K);
    float *A = malloc(M * K * sizeof(float)), *W = malloc(N * K * sizeof(float));
    float *C = calloc(M * N, sizeof(float));
    float *buf = aligned_alloc(64, (floats + 16) * sizeof(float));
    if (!A || !W || !C || !buf) {
        fprintf(stderr, "packed_gemm: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < M * K; i++)
        A[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < N * K; i++)
        W[i] = (float)(i % 5) * 0.01f;
    gemm_packed_threads(1);
    gemm_b pb;
    if (!tn)
        gemm_pack(&pb, 1, N, K, W, K, floats ? buf : NULL);
    double best = 1e30;
    for (int r = 0; r < 9; r++) {
        double t0 = clock_seconds();
        for (int i = 0; i < reps; i++)
            if (tn)
                gemm_tn(M, N, K, 1.0f, A, M, W, N, 1.0f, C, N, buf,
                              floats);
            else
                gemm_packed(M, 1.0f, A, K, &pb, 1.0f, C, N);
        double t = (clock_seconds() - t0) / reps;
        best = t < best ? t : best;
    }
    printf("%sM=%zu N=%zu K=%zu  %.1f us  %.1f GFLOP/s%s\n", tn ? "tn " : "",
           M, N, K, best * 1e6, 2.0 * (double)M * (double)N * (double)K / best / 1e9,
           floats ? "" : "  (not packed: gemm)");
    free(A), free(W), free(C), free(buf);
    return 0;
}
