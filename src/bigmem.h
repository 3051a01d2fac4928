/*
 * bigmem.h — large buffers (workspaces, packed and flat weights) on
 * transparent huge pages where the system offers them.
 */
#ifndef RECUR_BIGMEM_H
#define RECUR_BIGMEM_H

#include <stddef.h>

/* bytes (> 0) of memory aligned to big_alignment(bytes), released with
 * free(); NULL when out of memory. From 2 MiB up (Linux), whole 2 MiB
 * pages advised as transparent huge pages ("madvise" mode). */
void *big_alloc(size_t bytes);

/* The alignment big_alloc gives a block of that many bytes: 2 MiB from
 * 2 MiB up where huge pages can be advised, else 64. */
size_t big_alignment(size_t bytes);

/* n zeroed floats (n > 0) like calloc (aligned as calloc aligns, pages
 * untouched until written), the whole 2 MiB extents inside advised as
 * huge pages; released with free(); NULL when out of memory or when
 * n · sizeof(float) overflows. */
float *big_floats_zeroed(size_t n);

#endif
