/*
 * order.h — putting examples in order of length (shortest first, ties by
 * index, so the order is the same on every platform): what batching by
 * length does in the trainers and the taggers.
 */
#ifndef RECUR_ORDER_H
#define RECUR_ORDER_H

#include <stddef.h>
#include <stdlib.h>

/* An example's length and index. */
typedef struct {
    size_t len, idx;
} len_key;

static inline int len_key_cmp(const void *a, const void *b)
{
    const len_key *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Sorts keys[0..n) by length, then index. */
static inline void len_key_sort(len_key *keys, size_t n)
{
    qsort(keys, n, sizeof *keys, len_key_cmp);
}

#endif
