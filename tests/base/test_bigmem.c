/*
 * test_bigmem.c — large buffers (src/base/bigmem.h): aligned as promised
 * (big_alignment: 2 MiB for large blocks only where huge pages can be
 * advised), zeroed when asked, usable end to end, and NULL (not a
 * wrapped-around small block) for sizes that cannot be had.
 */
#include "test.h"
#include "base/bigmem.h"

#include <stdint.h>
#include <string.h>

void test_bigmem(void)
{
    static const size_t sizes[] = {1, 63, 4096, (2u << 20) - 4,
                                   2u << 20, (5u << 20) + 12};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i] / sizeof(float) ? sizes[i] / sizeof(float) : 1;
        /* A block of the same size written all over and released first:
         * the allocator hands small ones straight back, so zeros here are
         * big_floats_zeroed's, not merely fresh pages'. */
        unsigned char *dirty = big_alloc(n * sizeof(float));
        if (dirty)
            memset(dirty, 0xA5, n * sizeof(float));
        big_free(dirty);
        float *p = big_floats_zeroed(n);
        CHECK(p != NULL, "big_floats_zeroed(%zu) failed", n);
        if (!p)
            continue;
        size_t align = big_alignment(n * sizeof(float));
        CHECK((uintptr_t)p % align == 0, "%zu floats at %p: not %zu-aligned",
              n, (void *)p, align);
        size_t nonzero = 0;
        for (size_t k = 0; k < n; k++)
            nonzero += p[k] != 0.0f;
        CHECK(nonzero == 0, "%zu of %zu floats not zeroed", nonzero, n);
        p[n - 1] = 2.0f, p[0] = 1.0f; /* both ends writable */
        CHECK(p[0] == 1.0f && p[n - 1] == (n > 1 ? 2.0f : 1.0f),
              "ends of %zu floats", n);
        big_free(p);
    }
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t align = big_alignment(sizes[i]);
        unsigned char *p = big_alloc(sizes[i]);
        CHECK(p != NULL && (uintptr_t)p % align == 0,
              "big_alloc(%zu) at %p: not %zu-aligned", sizes[i], (void *)p,
              align);
        CHECK(align == 64 || (align == (2u << 20) && sizes[i] >= align),
              "big_alignment(%zu) = %zu", sizes[i], align);
        if (p)
            p[0] = 1, p[sizes[i] - 1] = 2; /* both ends writable */
        big_free(p);
    }
    CHECK(big_alloc(0) == NULL, "big_alloc(0) gave memory");
    CHECK(big_alloc(SIZE_MAX) == NULL, "big_alloc(SIZE_MAX) gave memory");
    CHECK(big_alloc(SIZE_MAX - 4096) == NULL, "big_alloc near SIZE_MAX");
    CHECK(big_floats_zeroed(0) == NULL, "big_floats_zeroed(0) gave memory");
    big_free(NULL);
    CHECK(big_floats_zeroed(SIZE_MAX / 2) == NULL,
          "big_floats_zeroed overflowing the byte count gave memory");
}
