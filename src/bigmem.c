/*
 * bigmem.c — large buffers on transparent huge pages (bigmem.h).
 *
 * A recurrent layer's products stride through large buffers: each step's
 * rows of the gates lie a row apart (8–16 KiB), the weight gradients read
 * a column tile of the gate gradients one row per k, and every packed
 * panel is 128–512 KiB. With 4 KiB pages nearly each of those accesses
 * needs its own TLB entry; on 2 MiB pages a whole buffer needs a few.
 * Measured on the benchmark cases (docs/PERFORMANCE.md): 1–2% of a
 * forward or a training step, the same bits. madvise is advice: where it
 * fails, or transparent huge pages are off, the buffer is an ordinary one.
 */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#include "bigmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#define HUGE_PAGE ((size_t)2 << 20)

void *big_alloc(size_t bytes)
{
    if (bytes == 0 || bytes > SIZE_MAX - HUGE_PAGE)
        return NULL;
    void *p = NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= HUGE_PAGE) {
        size_t n = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        if (posix_memalign(&p, HUGE_PAGE, n) != 0)
            return NULL;
        (void)madvise(p, n, MADV_HUGEPAGE);
        return p;
    }
#endif
    if (posix_memalign(&p, 64, bytes) != 0)
        return NULL;
    return p;
}

float *big_floats_zeroed(size_t n)
{
    if (n == 0 || n > SIZE_MAX / sizeof(float))
        return NULL;
    float *p = big_alloc(n * sizeof(float));
    if (p)
        memset(p, 0, n * sizeof(float));
    return p;
}
