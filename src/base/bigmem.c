/*
 * bigmem.c — large buffers on transparent huge pages (bigmem.h).
 *
 * A recurrent layer's products stride through large buffers: each step's
 * rows of the gates lie a row apart (8–16 KiB), the weight gradients read
 * a column tile of the gate gradients one row per k, and every packed
 * panel is 128–512 KiB. With 4 KiB pages nearly each of those accesses
 * needs its own TLB entry; on 2 MiB pages a whole buffer needs a few.
 * And every block starts on a cache line (malloc's large ones start 16
 * bytes past a page, so each row of a weight straddled two lines).
 * Measured on the benchmark cases (docs/PERFORMANCE.md, "Large buffers on
 * huge pages"): 2–4% of an LSTM's training step, 2% of its inference, the
 * same bits; part of it is the alignment. madvise is advice: where it
 * fails, or transparent huge pages are off, the buffer is an ordinary one.
 */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE */
#include "base/bigmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#define HUGE_PAGE ((size_t)2 << 20)

/* Advises the whole 2 MiB extents inside [p, p + bytes) as huge pages. */
static void advise_huge(void *p, size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    uintptr_t a = ((uintptr_t)p + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    uintptr_t b = ((uintptr_t)p + bytes) / HUGE_PAGE * HUGE_PAGE;
    if (a < b)
        (void)madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
    (void)p, (void)bytes;
#endif
}

size_t big_alignment(size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= HUGE_PAGE)
        return HUGE_PAGE;
#endif
    (void)bytes;
    return 64;
}

/* bytes from malloc or calloc (zero: calloc), moved up to the alignment,
 * the block's own address kept in the pointer just below for big_free.
 * The slack (up to 2 MiB) is address space: never touched, never
 * resident. */
static void *aligned_block(size_t bytes, int zero)
{
    size_t align = big_alignment(bytes), total;
    if (bytes == 0 || bytes > SIZE_MAX - align - sizeof(void *))
        return NULL;
    total = bytes + align + sizeof(void *);
    void *raw = zero ? calloc(1, total) : malloc(total);
    if (!raw)
        return NULL;
    uintptr_t at = ((uintptr_t)raw + sizeof(void *) + align - 1) / align * align;
    memcpy((void **)at - 1, &raw, sizeof raw);
    if (align == HUGE_PAGE)
        advise_huge((void *)at, bytes);
    return (void *)at;
}

void *big_alloc(size_t bytes)
{
    return aligned_block(bytes, 0);
}

float *big_floats_zeroed(size_t n)
{
    /* calloc, not malloc and memset: a large block comes zeroed from the
     * kernel, page by page as it is touched, so a buffer never written
     * (an inference handle's gradients) takes no memory. */
    if (n > SIZE_MAX / sizeof(float))
        return NULL;
    return aligned_block(n * sizeof(float), 1);
}

void big_free(void *p)
{
    if (p) {
        void *raw;
        memcpy(&raw, (void **)p - 1, sizeof raw);
        free(raw);
    }
}
