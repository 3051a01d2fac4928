/*
 * train.h — training a language model by truncated backpropagation through
 * time, the way language models are trained (Zaremba et al. 2014):
 *
 *   The training ids are cut into B parallel streams of L = n / B tokens
 *   (the remainder is dropped); an epoch reads them in chunks of T steps,
 *   chunk i being inputs streams[:, iT : iT+T] and targets shifted by one,
 *   (L − 1) / T chunks. The recurrent state is carried from chunk to chunk
 *   (the gradient is cut at the boundary) and reset to zeros at the start
 *   of each epoch. Each chunk is one optimizer step on the mean
 *   cross-entropy of its B·T tokens, after clipping the global gradient
 *   norm. Validation reads the validation ids the same way (same B and T,
 *   state from zeros, dropout off) and reports the mean loss over every
 *   predicted token.
 *
 * Everything that decides the next step — parameters, optimizer moments,
 * schedule state, dropout RNG, carried state, step / epoch / chunk — is in
 * a checkpoint, so a resumed run is bit-identical to an uninterrupted one
 * with the same thread count.
 */
#ifndef RECUR_TRAIN_H
#define RECUR_TRAIN_H

#include "model/lm.h"
#include "train/optim.h"
#include "train/schedule.h"

typedef struct {
    size_t batch;                /* B streams */
    size_t seq_len;              /* T steps per chunk */
    optim_config optim;
    sched_config sched;    /* base_lr is the learning rate */
    float clip;                  /* max global gradient norm; 0 = none */
    uint64_t seed;
} train_config;

typedef struct {
    size_t epochs;               /* stop after this many epochs; 0 = no limit */
    uint64_t steps;              /* stop at this many steps in all; 0 = none */
    double time_limit;           /* seconds; 0 = none */
    uint64_t val_every;          /* also validate every N steps; 0 = epochs only */
    uint64_t save_every;         /* checkpoint every N steps; 0 = only at the end */
    const char *save_path;       /* latest checkpoint; NULL = none */
    const char *best_path;       /* checkpoint at the best validation; NULL = none */
} train_limits;

typedef enum { TRAIN_STEP, TRAIN_VALIDATION, TRAIN_SAVED } train_event_kind;

typedef struct {
    train_event_kind kind;
    uint64_t step;               /* steps done */
    uint64_t total_steps;        /* when known from the limits, else 0 */
    double epoch;                /* epochs done, fractional */
    double loss;                 /* STEP: this step's mean loss */
    double val_loss;             /* VALIDATION: mean loss per token */
    size_t val_tokens;
    int best;                    /* VALIDATION: a new best */
    float lr, grad_norm;         /* STEP */
    double elapsed;              /* seconds since run started */
    double tokens_per_sec;       /* STEP: average over this run */
    const char *path;            /* SAVED */
} train_event;

/* Called after each event; a non-zero return stops the run (cleanly, with
 * the final checkpoint written). */
typedef int (*train_callback)(void *ctx, const train_event *ev);

typedef struct trainer trainer;

/* A new run: takes ownership of lm; copies the ids. Refuses data too small
 * for one chunk of B streams × T steps (training or validation). */
recur_status trainer_create(recur_lm *lm, const char *task,
                            const train_config *config, const int32_t *train,
                            size_t n_train, const int32_t *val, size_t n_val,
                            trainer **out);
/* Continues the run saved at path on the same data (its fingerprint must
 * match). */
recur_status trainer_resume(const char *path, const int32_t *train,
                            size_t n_train, const int32_t *val, size_t n_val,
                            trainer **out);
void trainer_free(trainer *t);

recur_lm *trainer_model(trainer *t);
const train_config *trainer_config(const trainer *t);
uint64_t trainer_step(const trainer *t);
size_t trainer_chunks_per_epoch(const trainer *t);

/* Trains until a limit is reached, validating and saving as asked; at the
 * end validates (unless it just did) and writes save_path. */
recur_status trainer_run(trainer *t, const train_limits *limits,
                         train_callback callback, void *ctx);

/* Mean loss over the validation stream (training state untouched). */
recur_status trainer_validate(trainer *t, double *loss, size_t *tokens);

/* Writes a checkpoint (model + the whole training state), atomically. */
recur_status trainer_save(trainer *t, const char *path);

#endif
