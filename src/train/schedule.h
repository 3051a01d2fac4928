/*
 * schedule.h — learning-rate schedules for training: constant, step decay
 * by epoch (Zaremba et al. 2014), linear warm-up then cosine decay by step,
 * and reduce-on-plateau by validation loss (torch.optim.lr_scheduler.
 * ReduceLROnPlateau, mode "min", threshold_mode "rel").
 *
 * A schedule is a configuration (constant during a run) and a small state
 * (sched_state: what PLATEAU learns from validations, and the current
 * lr for every kind), both plain structs owned by the caller and saved in
 * checkpoints as they are. No allocation. Functions on distinct states may
 * run in different threads; one state must not be used by two at once.
 *
 * Values are computed in double and returned as float.
 */
#ifndef RECUR_SCHEDULE_H
#define RECUR_SCHEDULE_H

#include "recur.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    RECUR_SCHED_CONSTANT,
    RECUR_SCHED_STEP,
    RECUR_SCHED_COSINE,
    RECUR_SCHED_PLATEAU
} sched_kind;

/* Fields a kind does not use are ignored (and not validated). */
typedef struct {
    sched_kind kind;
    float base_lr;         /* finite, >= 0 */
    size_t decay_after;    /* STEP: epochs 0..k-1 (0-based) run at base_lr; epoch
                              e >= k at base_lr * factor^(e-k+1) (Zaremba et al.
                              2014, "small": k = 4, factor 0.5) */
    float factor;          /* STEP: in (0, 1]; PLATEAU: in (0, 1) (PyTorch 0.1) */
    uint64_t warmup_steps; /* COSINE: lr = base_lr*(step+1)/warmup_steps for
                              step < warmup_steps; <= total_steps */
    uint64_t total_steps;  /* COSINE: then min_lr + (base_lr-min_lr)*(1+cos(pi*
                              (step-warmup)/(total-warmup)))/2, min_lr from step
                              total on; >= 1 */
    float min_lr;          /* COSINE: in [0, base_lr]; PLATEAU: finite, >= 0 */
    size_t patience;       /* PLATEAU: bad epochs tolerated (PyTorch 10) */
    float threshold;       /* PLATEAU: relative improvement that counts, in
                              [0, 1) (PyTorch 1e-4) */
    size_t cooldown;       /* PLATEAU: epochs after a reduction with bad epochs
                              ignored (PyTorch 0) */
} sched_config;

/* The evolving state. lr is the current learning rate for every kind;
 * best (+inf until the first validation), bad_epochs and cooldown_left
 * are ReduceLROnPlateau's best, num_bad_epochs and cooldown_counter. */
typedef struct {
    float lr;
    float best;
    size_t bad_epochs;
    size_t cooldown_left;
} sched_state;

/* A configuration with base_lr and the defaults: STEP k = 4, factor 0.5
 * (Zaremba's small model); COSINE no warm-up, min_lr 0 and total_steps 0,
 * which the caller must set (sched_check rejects 0); PLATEAU
 * PyTorch's factor 0.1, patience 10, threshold 1e-4, cooldown 0, min_lr 0. */
sched_config sched_default(sched_kind kind, float base_lr);

/* "constant", "step", "cosine", "plateau" (static storage); NULL for an
 * unknown value. */
const char *sched_str(sched_kind kind);

/* The inverse (exact, lower case); RECUR_ERR_ARGUMENT naming the bad name
 * and listing the valid ones, *kind untouched. */
recur_status sched_parse(const char *name, sched_kind *kind);

/* RECUR_ERR_ARGUMENT, with a message naming the field, for a NULL, an
 * unknown kind or a value outside the ranges above. */
recur_status sched_check(const sched_config *c);

/* Starts a run: lr = base_lr, best = +inf, counters 0. */
void sched_init(const sched_config *c, sched_state *s);

/* The learning rate for this step (0-based step over the whole run and
 * 0-based epoch); also stored in s->lr. PLATEAU returns s->lr, which only
 * sched_observe changes. The config must have passed
 * sched_check; NULLs give 0. */
float sched_lr(const sched_config *c, sched_state *s, uint64_t step,
                     size_t epoch);

/* After a validation: PLATEAU does what ReduceLROnPlateau.step(val_loss)
 * does (mode min, relative threshold): val_loss < best*(1 - threshold) is
 * an improvement; otherwise a bad epoch (NaN included); during a cooldown
 * bad epochs are not counted; more than patience bad epochs multiply lr by
 * factor, not below min_lr (a change of at most 1e-8 is skipped), and start
 * a cooldown. A no-op for the other kinds and for NULLs. */
void sched_observe(const sched_config *c, sched_state *s,
                         float val_loss);

#endif
