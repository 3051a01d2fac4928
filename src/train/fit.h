/*
 * fit.h — training a model of the supervised tasks on a set of examples,
 * the way Keras' fit and the usual PyTorch loop do it. Any model with flat
 * parameters that scores a minibatch of examples trains here (fit_model);
 * the sequence model (seqmodel.h) and the tagger (tagger.h) do:
 *
 *   Each epoch shuffles the training examples (seeded), groups them into
 *   minibatches of similar length (bucketing: the shuffled order is cut into
 *   pools of 50 batches, each pool sorted by length and cut into batches,
 *   and the batches shuffled — little padding, still random), and takes one
 *   optimizer step per minibatch on its mean loss, after clipping the global
 *   gradient norm. After each epoch the validation set is scored (dropout
 *   off) and the best parameters are kept; training stops after `epochs`,
 *   the time limit, or `patience` epochs without a better validation loss
 *   (early stopping). The learning rate is multiplied by lr_decay after
 *   every epoch that did not improve (ReduceLROnPlateau with patience 0).
 */
#ifndef RECUR_FIT_H
#define RECUR_FIT_H

#include "train/optim.h"
#include "model/seqmodel.h"

/* What fit trains: the model's flat parameters and gradients, and how it
 * reads a data set (an opaque pointer of the model's kind: seq_data for
 * the sequence model, tag_data for the tagger). */
typedef struct {
    void *model;
    size_t size;                /* parameters */
    float *params, *grads;
    /* examples in data, and example i's length (for bucketing) */
    size_t (*count)(const void *data);
    size_t (*length)(const void *data, size_t i);
    void (*set_training)(void *model, int training);
    void (*set_seed)(void *model, uint64_t seed);
    /* forward (and with grads != 0, backward: the gradient of the mean
     * loss accumulated into grads) over examples idx[0..B): the summed
     * loss and the number of terms it averages over */
    recur_status (*batch)(void *model, const void *data, const size_t *idx,
                          size_t B, int grads, double *loss_sum,
                          size_t *counted);
    /* Optional: scores the validation set, the mean loss and a figure
     * where higher is better (its name in `metric`, "accuracy"), which
     * then picks the best epoch (a tie: the lower loss) and drives patience
     * and the learning-rate decay instead of the loss (Keras'
     * monitor="val_accuracy"). NULL: the loss does (fit_score). */
    const char *metric;
    recur_status (*validate)(void *model, const void *data, size_t batch,
                             double *mean_loss, double *value);
} fit_model;

/* The sequence model as a fit_model. */
fit_model fit_seq_model(seq_model *m);

typedef struct {
    size_t batch;               /* examples per step */
    optim_config optim;
    float lr;
    float lr_decay;             /* in (0, 1]; 1 = constant */
    float clip;                 /* max global gradient norm; 0 = none */
    uint64_t seed;              /* shuffling and dropout */
    size_t epochs;              /* >= 1 */
    size_t patience;            /* 0 = no early stopping */
    double time_limit;          /* seconds; 0 = none */
} fit_config;

typedef enum { FIT_STEP, FIT_EPOCH } fit_event_kind;

typedef struct {
    fit_event_kind kind;
    size_t epoch;               /* epochs done (EPOCH) or this one's (STEP) */
    uint64_t step;              /* optimizer steps so far */
    uint64_t steps_per_epoch;
    double loss;                /* STEP: this batch's mean loss; EPOCH: the
                                   epoch's mean training loss */
    double val_loss;            /* EPOCH: NaN without validation data */
    double val_metric;          /* EPOCH: fit_model's metric, or NaN */
    int best;                   /* EPOCH: a new best validation loss */
    float lr, grad_norm;
    double elapsed;             /* seconds since the run started */
} fit_event;

/* Called after each event; a non-zero return stops the run. */
typedef int (*fit_callback)(void *ctx, const fit_event *ev);

/* Trains m on train, scoring val (may be NULL or empty) after each epoch.
 * best (NULL or m->size floats) receives the parameters of the best
 * validation epoch (the last epoch's without validation) and *best_val
 * (may be NULL) that loss. The model is left with the last epoch's
 * parameters, in evaluation mode. */
recur_status fit_train(const fit_model *m, const void *train, const void *val,
                       const fit_config *config, fit_callback cb, void *ctx,
                       float *best, double *best_val);
/* The mean loss over every example of d (dropout off), in batches of
 * `batch` sorted by length. */
recur_status fit_score(const fit_model *m, const void *d, size_t batch,
                       double *mean_loss);

/* fit_train of the sequence model. */
recur_status fit_run(seq_model *m, const seq_data *train, const seq_data *val,
                     const fit_config *config, fit_callback cb, void *ctx,
                     float *best, double *best_val);

/* The mean loss over every example of d (dropout off), in batches of
 * `batch` sorted by length; with pred != NULL (pooled models only), the
 * predictions [d->n, K] in the examples' order. */
recur_status fit_evaluate(seq_model *m, const seq_data *d, size_t batch,
                          double *mean_loss, float *pred);

#endif
