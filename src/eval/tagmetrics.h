/*
 * tagmetrics.h — scores of a tagger against gold tags (internal API):
 *   accuracy       share of tokens tagged right
 *   oov_accuracy   the same over the tokens flagged out-of-vocabulary
 *                  (NaN when there are none)
 *   per tag        precision, recall, F1 and support (gold count)
 *   macro_f1       the mean F1 over the tags that occur in gold or
 *                  prediction
 *   entities       for BIO tags (IOB2 and IOB1, as conlleval reads them:
 *                  "B-X", "I-X", "O"; an I-X that does not continue an X
 *                  chunk starts one), chunk-level precision, recall and F1
 *                  overall and per type, exactly as conlleval.pl computes
 *                  them; has_entities 0 when no tag has a "B-"/"I-" form
 */
#ifndef RECUR_TAGMETRICS_H
#define RECUR_TAGMETRICS_H

#include "recur.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    double precision, recall, f1;
    size_t support, predicted, correct;
} tag_prf;

typedef struct {
    size_t tokens, correct, oov, oov_correct;
    double accuracy, oov_accuracy, macro_f1;
    size_t n_tags;
    tag_prf *per_tag;          /* [n_tags] */
    int has_entities;
    tag_prf entity;            /* overall chunks */
    size_t n_types;
    char **types;              /* [n_types] entity types, sorted */
    tag_prf *per_type;         /* [n_types] */
} tag_metrics;

/* gold, pred: [N] tag ids in [0, n_tags); sent_offset [n_sent + 1] the
 * sentence boundaries (chunks never cross them); oov (may be NULL) [N]
 * flags; names[n_tags] the tags' names. */
recur_status tag_metrics_compute(const int32_t *gold, const int32_t *pred,
                                 const uint8_t *oov, size_t N,
                                 const size_t *sent_offset, size_t n_sent,
                                 const char *const *names, size_t n_tags,
                                 tag_metrics *out);
void tag_metrics_free(tag_metrics *m);
/* A readable report (accuracy, per-tag table, entity scores). */
recur_status tag_metrics_print(FILE *f, const tag_metrics *m,
                               const char *const *names);

#endif
