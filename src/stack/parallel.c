/*
 * parallel.c — the threading of a layer's two directions: whether they run
 * at once, one thread each (stack_parallel_directions), the scratch each
 * runs in, and the OpenMP region that runs them. The stack's only OpenMP
 * code: this file alone is compiled with -fopenmp (Makefile); without it
 * the directions run in turn.
 */
#include "stack/stack_internal.h"
#include "kernels/gemm.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Whether the two directions of each layer run at once, one thread each
 * (their products then run alone in it; each row's sums are the same at
 * any thread count, so the bits do not change): a bidirectional stack
 * without segments, given two threads, whose cells make no BLAS call
 * (no projection, not the reset-before GRU; rows enough and more than one
 * step, so that every product is packed; G·H ≥ 64, so that the weight
 * gradients' chunks of K are long enough for gemm_tn to pack them).
 * Exactly two: with more, each direction would run its products alone in
 * a nested region of one thread and leave the other cores idle. */
int stack_parallel_directions(const recur_rnn *rnn)
{
    return rnn->D == 2 && rnn->scratch_rev.step && stack_segments(rnn) == 1 &&
           rnn->T > 1 && rnn->N >= 16 &&
           rnn->G * rnn->config.hidden_size >= 64 &&
           !rnn->config.proj_size &&
           rnn->config.mode != RECUR_GRU_RESET_BEFORE &&
           gemm_packed_available() &&
           gemm_packed_thread_count() == 2;
}

/* The scratch direction dir runs in. */
cell_scratch *stack_dir_scratch(recur_rnn *rnn, size_t dir, int both)
{
    return both && dir ? &rnn->scratch_rev : &rnn->scratch;
}

/* fn(ctx, dir) for the D directions of a layer: at once, one thread each,
 * when `both`; else in turn in this thread, outside any OpenMP region (in
 * one, even of a single thread, each product's own team would be a nested
 * one: at 2 threads deepbench_lstm inference ran 10% slower). */
void stack_each_direction(size_t D, int both,
                          void (*fn)(void *ctx, size_t dir), void *ctx)
{
#ifdef _OPENMP
    if (both) {
#pragma omp parallel for num_threads(2)
        for (size_t dir = 0; dir < 2; dir++)
            fn(ctx, dir);
        return;
    }
#else
    (void)both;
#endif
    for (size_t dir = 0; dir < D; dir++)
        fn(ctx, dir);
}

int stack_team_threads(void)
{
#ifdef _OPENMP
    return omp_get_level() ? omp_get_num_threads() : 0;
#else
    return 0;
#endif
}
