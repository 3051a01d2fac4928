/*
 * schedule.c — learning-rate schedules (see schedule.h for the formulas).
 *
 * STEP     lr(e) = base                         for e < k
 *                = base * factor^(e-k+1)        for e >= k    (by epoch)
 * COSINE   lr(s) = base*(s+1)/W                 for s < W     (by step)
 *                = min + (base-min)*(1+cos(pi*(s-W)/(S-W)))/2   for W <= s < S
 *                = min                          for s >= S
 * PLATEAU  ReduceLROnPlateau(mode="min", threshold_mode="rel", eps=1e-8):
 *          better  <=>  loss < best*(1-threshold); the reduction
 *          max(lr*factor, min_lr) is computed in double from the float lr.
 */
#include "train/schedule.h"
#include "base/error.h"

#include <math.h>
#include <string.h>

static const char *const kind_names[] = {"constant", "step", "cosine", "plateau"};
#define KIND_COUNT (sizeof kind_names / sizeof kind_names[0])

/* ReduceLROnPlateau's eps: reductions smaller than this are skipped. */
#define PLATEAU_EPS 1e-8

const char *sched_str(sched_kind kind)
{
    if ((unsigned)kind >= KIND_COUNT)
        return NULL;
    return kind_names[kind];
}

recur_status sched_parse(const char *name, sched_kind *kind)
{
    if (!name || !kind)
        return error_fail(RECUR_ERR_ARGUMENT, "no schedule name to read (NULL)");
    for (size_t k = 0; k < KIND_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0) {
            *kind = (sched_kind)k;
            return RECUR_OK;
        }
    return error_fail(RECUR_ERR_ARGUMENT,
                      "unknown schedule '%.64s' (expected constant, step, cosine "
                      "or plateau)", name);
}

sched_config sched_default(sched_kind kind, float base_lr)
{
    sched_config c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.base_lr = base_lr;
    switch (kind) {
    case RECUR_SCHED_CONSTANT:
    case RECUR_SCHED_COSINE:
        break;
    case RECUR_SCHED_STEP:
        c.decay_after = 4;
        c.factor = 0.5f;
        break;
    case RECUR_SCHED_PLATEAU:
        c.factor = 0.1f;
        c.patience = 10;
        c.threshold = 1e-4f;
        break;
    }
    return c;
}

recur_status sched_check(const sched_config *c)
{
    if (!c)
        return error_fail(RECUR_ERR_ARGUMENT, "no learning-rate schedule to "
                          "check (NULL)");
    const char *k = sched_str(c->kind);
    if (!k)
        return error_fail(RECUR_ERR_ARGUMENT, "%d is not a learning-rate "
                          "schedule", (int)c->kind);
    if (!isfinite(c->base_lr) || c->base_lr < 0)
        return error_fail(RECUR_ERR_ARGUMENT, "%s schedule: base_lr = %g must be finite "
                          "and >= 0", k, (double)c->base_lr);
    switch (c->kind) {
    case RECUR_SCHED_CONSTANT:
        break;
    case RECUR_SCHED_STEP:
        if (!(c->factor > 0 && c->factor <= 1))
            return error_fail(RECUR_ERR_ARGUMENT, "step schedule: factor = %g must be "
                              "in (0, 1]", (double)c->factor);
        break;
    case RECUR_SCHED_COSINE:
        if (c->total_steps == 0)
            return error_fail(RECUR_ERR_ARGUMENT,
                              "cosine schedule: total_steps must be set (>= 1)");
        if (c->warmup_steps > c->total_steps)
            return error_fail(RECUR_ERR_ARGUMENT,
                              "cosine schedule: warmup_steps = %llu exceeds "
                              "total_steps = %llu",
                              (unsigned long long)c->warmup_steps,
                              (unsigned long long)c->total_steps);
        if (!(c->min_lr >= 0 && c->min_lr <= c->base_lr))
            return error_fail(RECUR_ERR_ARGUMENT, "cosine schedule: min_lr = %g must "
                              "be in [0, base_lr = %g]", (double)c->min_lr,
                              (double)c->base_lr);
        break;
    case RECUR_SCHED_PLATEAU:
        if (!(c->factor > 0 && c->factor < 1))
            return error_fail(RECUR_ERR_ARGUMENT, "plateau schedule: factor = %g must "
                              "be in (0, 1)", (double)c->factor);
        if (!isfinite(c->min_lr) || c->min_lr < 0)
            return error_fail(RECUR_ERR_ARGUMENT, "plateau schedule: min_lr = %g must "
                              "be finite and >= 0", (double)c->min_lr);
        if (!(c->threshold >= 0 && c->threshold < 1))
            return error_fail(RECUR_ERR_ARGUMENT, "plateau schedule: threshold = %g "
                              "must be in [0, 1)", (double)c->threshold);
        break;
    }
    return RECUR_OK;
}

void sched_init(const sched_config *c, sched_state *s)
{
    if (!c || !s)
        return;
    s->lr = c->base_lr;
    s->best = INFINITY;
    s->bad_epochs = 0;
    s->cooldown_left = 0;
}

static double cosine_lr(const sched_config *c, uint64_t step)
{
    const double base = c->base_lr, min = c->min_lr;
    const uint64_t W = c->warmup_steps, S = c->total_steps;
    if (step < W)
        return base * (double)(step + 1) / (double)W;
    if (step >= S)
        return min;
    const double pi = 3.14159265358979323846;
    double x = (double)(step - W) / (double)(S - W);
    return min + (base - min) * (1.0 + cos(pi * x)) / 2.0;
}

float sched_lr(const sched_config *c, sched_state *s, uint64_t step,
                     size_t epoch)
{
    if (!c || !s)
        return 0.0f;
    switch (c->kind) {
    case RECUR_SCHED_CONSTANT:
        s->lr = c->base_lr;
        break;
    case RECUR_SCHED_STEP:
        s->lr = epoch < c->decay_after
                    ? c->base_lr
                    : (float)((double)c->base_lr *
                              pow((double)c->factor, (double)(epoch - c->decay_after) + 1.0));
        break;
    case RECUR_SCHED_COSINE:
        s->lr = (float)cosine_lr(c, step);
        break;
    case RECUR_SCHED_PLATEAU:
        break;
    }
    return s->lr;
}

void sched_observe(const sched_config *c, sched_state *s,
                         float val_loss)
{
    if (!c || !s || c->kind != RECUR_SCHED_PLATEAU)
        return;
    /* NaN compares false: a bad epoch, as in PyTorch. */
    if ((double)val_loss < (double)s->best * (1.0 - (double)c->threshold)) {
        s->best = val_loss;
        s->bad_epochs = 0;
    } else {
        s->bad_epochs++;
    }
    if (s->cooldown_left > 0) {
        s->cooldown_left--;
        s->bad_epochs = 0;
    }
    if (s->bad_epochs > c->patience) {
        double old = s->lr, lr = fmax(old * (double)c->factor, (double)c->min_lr);
        if (old - lr > PLATEAU_EPS)
            s->lr = (float)lr;
        s->cooldown_left = c->cooldown;
        s->bad_epochs = 0;
    }
}
