/*
 * bigmem.h — large buffers (workspaces, packed and flat weights) on
 * transparent huge pages where the system offers them.
 */
#ifndef RECUR_BIGMEM_H
#define RECUR_BIGMEM_H

#include <stddef.h>

/* bytes (> 0) of memory aligned to 64 bytes, released with free();
 * NULL when out of memory. From 2 MiB up, aligned to 2 MiB and advised
 * as huge pages (Linux, transparent huge pages in "madvise" mode). */
void *big_alloc(size_t bytes);

/* big_alloc of n zeroed floats (n > 0), or NULL (out of memory, or
 * n · sizeof(float) overflows). */
float *big_floats_zeroed(size_t n);

#endif
