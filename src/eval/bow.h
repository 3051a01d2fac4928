/*
 * bow.h — the baseline a sequence classifier has to beat: bag-of-words
 * multinomial logistic regression (internal API).
 *
 * An example's features are binary: x_v = 1 when token id v occurs in it
 * (any number of times), else 0; the order of the tokens is ignored. The
 * model is logits z = x W + b (W [V, K], b [K]), softmax, and the loss
 * the mean cross-entropy of a minibatch plus (l2 / 2) ||W||^2 (the bias
 * is not regularised). It starts from zeros and is trained with Adam
 * (optim.h; betas 0.9, 0.999, eps 1e-8) for a fixed number of epochs, the
 * examples shuffled each epoch by rng.h seeded with seed, so the same data
 * and options give the same weights bit for bit.
 *
 * Thread safety: a model is read-only once trained; training is
 * single-threaded and touches no shared state.
 */
#ifndef RECUR_BOW_H
#define RECUR_BOW_H

#include "recur.h"
#include "data/seqdata.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t epochs; /* passes over the training examples, >= 1 */
    size_t batch;  /* examples per step, >= 1 */
    float lr;      /* Adam's learning rate, > 0 */
    float l2;      /* >= 0 */
    uint64_t seed;
} bow_options;

/* epochs 10, batch 32, lr 0.01, l2 1e-4, seed 1. */
bow_options bow_defaults(void);

typedef struct bow_model bow_model;

/* Trains on a token seq_data for classification (features 0, tokens and
 * label set, outputs = K >= 2 classes) whose token ids are below V, the
 * vocabulary's size. RECUR_ERR_ARGUMENT for NULLs, bad options, a
 * seq_data of another kind, a token id outside [0, V) or a label outside
 * [0, K), naming the example; RECUR_ERR_MEMORY. The caller owns *out
 * (bow_free); it is untouched on failure. */
recur_status bow_train(const seq_data *train, size_t V,
                             const bow_options *options,
                             bow_model **out);

/* NULL is allowed. */
void bow_free(bow_model *m);

/* The most probable class of each example of d (pred[d->n]; ties go to
 * the lower id), and its K probabilities when prob ([d->n, K]) is not
 * NULL. A token id at or above V counts as nothing (it was never seen in
 * training); d's labels are not read. RECUR_ERR_ARGUMENT for NULLs or a
 * seq_data without tokens (or with a negative id). */
recur_status bow_predict(const bow_model *m, const seq_data *d,
                               int32_t *pred, float *prob);

#endif
