/*
 * classmetrics.h — how well a classifier did: accuracy, per-class
 * precision, recall and F1, macro-F1 and the confusion matrix, from the
 * true and the predicted class ids; and the report as text (internal API).
 *
 * For class c, with tp the examples of class c predicted c:
 *   precision = tp / (examples predicted c)   0 when none is predicted c
 *   recall    = tp / (examples of class c)    0 when the class has none
 *   F1        = 2 p r / (p + r)               0 when p + r = 0
 * (scikit-learn's zero_division=0). Macro-F1 is the mean of the K F1
 * values, classes without examples included.
 *
 * Thread safety: reentrant (no shared state).
 */
#ifndef RECUR_CLASSMETRICS_H
#define RECUR_CLASSMETRICS_H

#include "recur.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    size_t K, n;        /* classes, examples */
    double accuracy;    /* correct / n */
    double macro_f1;
    double *precision;  /* [K] */
    double *recall;     /* [K] */
    double *f1;         /* [K] */
    size_t *support;    /* [K] examples of each class */
    size_t *confusion;  /* [K, K] row-major: [true][predicted] */
} class_metrics;

/* The metrics of n >= 1 predictions pred[] of truth[], class ids in
 * [0, K). The arrays of *out are malloc'd (class_metrics_free).
 * RECUR_ERR_ARGUMENT for NULLs, n = 0, K = 0 or an id outside [0, K)
 * (naming the example); RECUR_ERR_MEMORY. *out is untouched on failure. */
recur_status class_metrics_compute(const int32_t *truth,
                                        const int32_t *pred, size_t n,
                                        size_t K, class_metrics *out);

/* Frees the arrays (not the struct) and zeroes it; NULL is allowed. */
void class_metrics_free(class_metrics *m);

/* Writes the report to f: the accuracy and macro-F1, a table of the
 * classes (name, precision, recall, F1, support), and the confusion
 * matrix (rows true, columns predicted) headed by the class names. names
 * holds K strings, or is NULL for "0", "1", ... Names are printed as
 * given (at most 24 bytes of each in the table). RECUR_ERR_IO when a write
 * fails; RECUR_ERR_ARGUMENT for NULLs. */
recur_status class_metrics_print(FILE *f, const class_metrics *m,
                                      const char *const *names);

#endif
