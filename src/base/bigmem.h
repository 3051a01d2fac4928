/*
 * bigmem.h — large buffers (workspaces, packed and flat weights) on
 * transparent huge pages where the system offers them.
 */
#ifndef RECUR_BIGMEM_H
#define RECUR_BIGMEM_H

#include <stddef.h>

/* bytes (> 0) of memory aligned to big_alignment(bytes), released with
 * big_free; NULL when out of memory. From 2 MiB up (Linux), the whole
 * 2 MiB pages inside are advised as transparent huge pages ("madvise"
 * mode). */
void *big_alloc(size_t bytes);

/* n (> 0) floats, zeroed and aligned like big_alloc's (the zeros come
 * from calloc: pages untouched until written take no memory); released
 * with big_free; NULL when out of memory or when n · sizeof(float)
 * overflows. */
float *big_floats_zeroed(size_t n);

/* Releases a block of big_alloc or big_floats_zeroed (NULL: nothing). */
void big_free(void *p);

/* The alignment of a block of that many bytes: 2 MiB from 2 MiB up where
 * huge pages can be advised, else 64. */
size_t big_alignment(size_t bytes);

#endif
