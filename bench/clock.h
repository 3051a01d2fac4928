/*
 * clock.h — the bench programs' clock: seconds on CLOCK_MONOTONIC (the
 * including file defines _POSIX_C_SOURCE 200809L before any header).
 */
#ifndef RECUR_BENCH_CLOCK_H
#define RECUR_BENCH_CLOCK_H

#include <time.h>

static inline double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#endif
