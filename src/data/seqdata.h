/*
 * seqdata.h — a set of examples for the supervised tasks (classify,
 * forecast, music): each example is a sequence of steps with a target,
 * stored flat. The task readers (labeled.h, series.h, pianoroll.h) build
 * one; the sequence model (seqmodel.h) and its trainer (fit.h) read it.
 *
 * Example i covers steps [offset[i], offset[i+1]) of the step arrays; a
 * step is a token id (token input: features == 0, tokens != NULL) or a
 * vector of `features` floats (dense input: x != NULL). Every example has
 * at least one step.
 *
 * Targets, by task:
 *   label   [n] class ids in [0, outputs)          (classify; y == NULL)
 *   y       [n, outputs] one vector per example    (forecast; per_step 0)
 *           [offset[n], outputs] one per step      (music; per_step 1)
 */
#ifndef RECUR_SEQDATA_H
#define RECUR_SEQDATA_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t n;          /* examples */
    size_t *offset;    /* n + 1 entries, offset[0] = 0, strictly increasing */
    size_t features;   /* dense input: floats per step; 0: token input */
    int32_t *tokens;   /* token input: [offset[n]] ids */
    float *x;          /* dense input: [offset[n], features] */
    size_t outputs;    /* K: classes, forecast values, or keys per step */
    int per_step;      /* y holds one target vector per step (music) */
    int32_t *label;    /* [n] (classify) or NULL */
    float *y;          /* see above, or NULL */
} seq_data;

/* Frees the arrays (not the struct) and zeroes it; NULL is allowed. */
void seq_data_free(seq_data *d);

/* Steps of example i. */
static inline size_t seq_len(const seq_data *d, size_t i)
{
    return d->offset[i + 1] - d->offset[i];
}

#endif
