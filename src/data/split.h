/*
 * split.h — a seeded, stratified split of a set of examples into a
 * held-out part (test or validation) and the rest (internal API).
 *
 * Thread safety: reentrant (no shared state).
 */
#ifndef RECUR_SPLIT_H
#define RECUR_SPLIT_H

#include "recur.h"

#include <stddef.h>
#include <stdint.h>

/* Splits the examples pool[0..m) (indices into label[], whose values are
 * class ids in [0, K)) class by class: of a class's c examples,
 * round(fraction * c) (halves up) are held out, but at least 1 and at most
 * c - 1 when c >= 2 (a class with a single example is kept), so that each
 * class is held out in proportion and is on both sides when it can be.
 * Which ones is drawn by shuffling each class's examples (Fisher-Yates
 * with rng.h seeded with seed, classes in id order): the same inputs and
 * seed always give the same split, and another seed another one.
 *
 * held and kept are the caller's, with room for m entries each; they
 * receive pool's entries (indices into label), in pool's order, and
 * *n_held + *n_kept = m. pool NULL means 0..m-1. To split three ways,
 * split the kept part again. RECUR_ERR_ARGUMENT for NULLs, m = 0, K = 0, a
 * fraction outside (0, 1) or a label outside [0, K) (outputs then
 * untouched); RECUR_ERR_MEMORY. */
recur_status split_stratified(const int32_t *label, const size_t *pool,
                                    size_t m, size_t K, double fraction,
                                    uint64_t seed, size_t *held,
                                    size_t *n_held, size_t *kept,
                                    size_t *n_kept);

#endif
