/*
 * clock.h — the one clock for elapsed time: seconds on CLOCK_MONOTONIC, as a
 * double (training limits and rates, progress lines, benchmarks, test
 * timeouts). The including file defines _POSIX_C_SOURCE 200809L first (the
 * Makefile does).
 */
#ifndef RECUR_CLOCK_H
#define RECUR_CLOCK_H

#include <time.h>

static inline double clock_seconds(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
