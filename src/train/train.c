/*
 * train.c — the truncated-BPTT trainer of train.h, and its checkpoints.
 *
 * A training checkpoint is a model checkpoint (lm_io.c) plus:
 *   tensors  optim.<buffer> [n_params] (the optimizer's moments, flat, in
 *            parameter order), train.h [L,B,P] and train.c [L,B,H] (the
 *            carried state, LSTM's c only), train.rng I64 [4] (the state of
 *            the generator of every dropout and zoneout mask)
 *   metadata train.* — step, epoch, chunk, batch, seq_len, seed, clip,
 *            optimizer and its settings, schedule and its state, best
 *            validation loss, and the data's fingerprint (sizes and an
 *            FNV-1a hash of the ids), which a resume must match.
 * Floats go to metadata with 9 significant digits and doubles with 17, so
 * they read back bit for bit.
 */
#define _POSIX_C_SOURCE 200809L

#include "train/train.h"
#include "base/error.h"
#include "model/lm_io.h"
#include "model/lm_streams.h"
#include "io/st_meta.h"
#include "base/clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct trainer {
    recur_lm *lm;
    optimizer *opt;
    train_config config;
    sched_state sched;
    char task[32];
    int32_t *train, *val;
    size_t n_train, n_val;
    size_t chunks, val_chunks;   /* per epoch */
    uint64_t step;
    size_t epoch, chunk;
    double best_val;
    uint64_t data_hash;
    int32_t *x, *y;              /* [T*B] chunk buffers */
    float *stash;                /* carried training state during validation */
};

static uint64_t fnv1a(uint64_t h, const int32_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)ids[i];
        for (int k = 0; k < 4; k++) {
            h ^= (v >> (8 * k)) & 0xFF;
            h *= 0x100000001B3ull;
        }
    }
    return h;
}

/* The chunk of T steps starting at step `start` of the B streams over ids:
 * x, y [T, B] time-major, y one step ahead. */
static size_t state_floats(const recur_lm *lm, size_t B)
{
    return lm->L * B * (lm->P + lm->H);
}

static recur_status alloc_run(trainer *t, const int32_t *train, size_t n_train,
                              const int32_t *val, size_t n_val)
{
    const size_t B = t->config.batch, T = t->config.seq_len;
    recur_status s = lm_streams_check("training", n_train, B, T);
    if (!s && n_val)
        s = lm_streams_check("validation", n_val, B, T);
    if (s)
        return s;
    t->train = malloc(n_train * sizeof(int32_t));
    t->val = malloc((n_val ? n_val : 1) * sizeof(int32_t));
    t->x = malloc(2 * B * T * sizeof(int32_t));
    t->stash = malloc(state_floats(t->lm, B) * sizeof(float));
    if (!t->train || !t->val || !t->x || !t->stash)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the data");
    memcpy(t->train, train, n_train * sizeof(int32_t));
    if (n_val)
        memcpy(t->val, val, n_val * sizeof(int32_t));
    t->y = t->x + B * T;
    t->n_train = n_train;
    t->n_val = n_val;
    t->chunks = lm_streams_chunks(n_train, B, T);
    t->val_chunks = n_val ? lm_streams_chunks(n_val, B, T) : 0;
    t->data_hash = fnv1a(fnv1a(0xCBF29CE484222325ull, train, n_train), val, n_val);
    return lm_reset_state(t->lm, B);
}

recur_status trainer_create(recur_lm *lm, const char *task,
                            const train_config *config, const int32_t *train,
                            size_t n_train, const int32_t *val, size_t n_val,
                            trainer **out)
{
    if (!lm || !config || !train || !out || (n_val && !val))
        return error_fail(RECUR_ERR_ARGUMENT, "no model, settings, training "
                          "tokens or place for the trainer (NULL)");
    if (config->batch == 0 || config->seq_len == 0 ||
        !(config->clip >= 0.0f) || !(config->sched.base_lr >= 0.0f))
        return error_fail(RECUR_ERR_ARGUMENT,
                          "the batch and the sequence length must be >= 1, "
                          "the clip and the learning rate >= 0");
    recur_status s = sched_check(&config->sched);
    if (s)
        return s;
    for (size_t i = 0; i < n_train; i++)
        if (train[i] < 0 || (size_t)train[i] >= lm->V)
            return error_fail(RECUR_ERR_ARGUMENT, "training id %zu out of range", i);
    for (size_t i = 0; i < n_val; i++)
        if (val[i] < 0 || (size_t)val[i] >= lm->V)
            return error_fail(RECUR_ERR_ARGUMENT, "validation id %zu out of range", i);
    trainer *t = calloc(1, sizeof *t);
    if (!t)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    t->lm = lm;
    t->config = *config;
    snprintf(t->task, sizeof t->task, "%s", task);
    t->best_val = INFINITY;
    sched_init(&t->config.sched, &t->sched);
    s = optim_create(&config->optim, lm->n_params, &t->opt);
    if (!s)
        s = alloc_run(t, train, n_train, val, n_val);
    if (s) {
        t->lm = NULL; /* the caller keeps lm on failure */
        trainer_free(t);
        return s;
    }
    *out = t;
    return RECUR_OK;
}

void trainer_free(trainer *t)
{
    if (!t)
        return;
    recur_lm_free(t->lm);
    optim_free(t->opt);
    free(t->train);
    free(t->val);
    free(t->x);
    free(t->stash);
    free(t);
}

recur_lm *trainer_model(trainer *t) { return t->lm; }
const train_config *trainer_config(const trainer *t) { return &t->config; }
uint64_t trainer_step(const trainer *t) { return t->step; }
size_t trainer_chunks_per_epoch(const trainer *t) { return t->chunks; }

/* ---- validation ---- */

recur_status trainer_validate(trainer *t, double *loss, size_t *tokens)
{
    if (!t->n_val)
        return error_fail(RECUR_ERR_STATE, "no validation data");
    const size_t B = t->config.batch;
    recur_lm *lm = t->lm;
    /* The carried training state is h then c in one block (lm.c). */
    memcpy(t->stash, lm->h, lm->L * B * lm->P * sizeof(float));
    memcpy(t->stash + lm->L * B * lm->P, lm->c, lm->L * B * lm->H * sizeof(float));
    double sum;
    recur_status s = lm_evaluate(lm, t->val, t->n_val, B, t->config.seq_len, 0,
                                 &sum, tokens);
    lm_reset_state(lm, B);
    memcpy(lm->h, t->stash, lm->L * B * lm->P * sizeof(float));
    memcpy(lm->c, t->stash + lm->L * B * lm->P, lm->L * B * lm->H * sizeof(float));
    if (s)
        return s;
    *loss = sum / (double)*tokens;
    return RECUR_OK;
}

/* ---- the loop ---- */

/* One optimizer step on the next chunk. */
static recur_status train_step(trainer *t, double *loss, float *lr,
                               float *grad_norm)
{
    const size_t B = t->config.batch, T = t->config.seq_len;
    recur_lm *lm = t->lm;
    recur_status s = RECUR_OK;
    if (t->chunk == 0)
        s = lm_reset_state(lm, B);
    lm_streams_fill(t->train, t->n_train, B, t->chunk * T, T, t->x, t->y);
    memset(lm->grads, 0, lm->n_params * sizeof(float));
    lm_set_training(lm, 1);
    double sum = 0;
    size_t count = 0;
    if (!s)
        s = lm_chunk(lm, T, B, t->x, t->y, 1, &sum, &count);
    if (s)
        return s;
    *grad_norm = clip_grad_norm(lm->grads, lm->n_params,
                                      t->config.clip > 0.0f ? t->config.clip
                                                            : INFINITY);
    if (!isfinite(sum) || !isfinite(*grad_norm))
        return error_fail(RECUR_ERR_STATE,
                          "training diverged at step %llu (loss %g, gradient "
                          "norm %g); try a lower learning rate or --clip",
                          (unsigned long long)t->step + 1, sum / (double)count,
                          (double)*grad_norm);
    *lr = sched_lr(&t->config.sched, &t->sched, t->step, t->epoch);
    s = optim_step(t->opt, lm->params, lm->grads, *lr);
    if (s)
        return s;
    *loss = sum / (double)count;
    t->step++;
    if (++t->chunk == t->chunks) {
        t->chunk = 0;
        t->epoch++;
    }
    return RECUR_OK;
}

static int emit(train_callback cb, void *ctx, const train_event *ev)
{
    return cb ? cb(ctx, ev) : 0;
}

/* Validates, reports, feeds the schedule (at epoch ends only, so that
 * extra validations never change the trajectory), saves a new best. */
static recur_status validate_and_report(trainer *t, const train_limits *lim,
                                        int epoch_end, train_event *ev,
                                        train_callback cb, void *ctx, int *stop)
{
    double loss;
    size_t tokens;
    recur_status s = trainer_validate(t, &loss, &tokens);
    if (s)
        return s;
    if (epoch_end)
        sched_observe(&t->config.sched, &t->sched, (float)loss);
    ev->kind = TRAIN_VALIDATION;
    ev->val_loss = loss;
    ev->val_tokens = tokens;
    ev->best = loss < t->best_val;
    if (ev->best)
        t->best_val = loss;
    *stop |= emit(cb, ctx, ev);
    if (ev->best && lim->best_path) {
        if ((s = trainer_save(t, lim->best_path)) != RECUR_OK)
            return s;
        ev->kind = TRAIN_SAVED;
        ev->path = lim->best_path;
        *stop |= emit(cb, ctx, ev);
    }
    return RECUR_OK;
}

recur_status trainer_run(trainer *t, const train_limits *lim,
                         train_callback cb, void *ctx)
{
    if (!t || !lim)
        return error_fail(RECUR_ERR_ARGUMENT, "no trainer or limits to run "
                          "with (NULL)");
    const double start = clock_seconds();
    const uint64_t first = t->step;
    const size_t tokens_per_step = t->config.batch * t->config.seq_len;
    uint64_t total = 0;
    if (lim->steps)
        total = lim->steps;
    if (lim->epochs && (!total || lim->epochs * t->chunks < total))
        total = lim->epochs * t->chunks;
    recur_status s = RECUR_OK;
    int stop = 0, validated_last = 0;
    train_event ev = {0};
    while (!s && !stop) {
        if (lim->steps && t->step >= lim->steps)
            break;
        if (lim->epochs && t->epoch >= lim->epochs)
            break;
        if (lim->time_limit > 0 && clock_seconds() - start >= lim->time_limit)
            break;
        memset(&ev, 0, sizeof ev);
        size_t epoch_before = t->epoch;
        ev.kind = TRAIN_STEP;
        s = train_step(t, &ev.loss, &ev.lr, &ev.grad_norm);
        if (s)
            break;
        ev.step = t->step;
        ev.total_steps = total;
        ev.epoch = (double)t->epoch + (double)t->chunk / (double)t->chunks;
        ev.elapsed = clock_seconds() - start;
        ev.tokens_per_sec = (double)((t->step - first) * tokens_per_step) /
                            (ev.elapsed > 0 ? ev.elapsed : 1e-9);
        stop |= emit(cb, ctx, &ev);
        int epoch_end = t->epoch != epoch_before;
        validated_last = 0;
        if (t->n_val && (epoch_end || (lim->val_every &&
                                       t->step % lim->val_every == 0))) {
            s = validate_and_report(t, lim, epoch_end, &ev, cb, ctx, &stop);
            validated_last = 1;
        }
        if (!s && lim->save_every && lim->save_path &&
            t->step % lim->save_every == 0) {
            s = trainer_save(t, lim->save_path);
            ev.kind = TRAIN_SAVED;
            ev.path = lim->save_path;
            if (!s)
                stop |= emit(cb, ctx, &ev);
        }
    }
    if (!s && t->n_val && !validated_last && t->step > first) {
        ev.elapsed = clock_seconds() - start;
        s = validate_and_report(t, lim, 0, &ev, cb, ctx, &stop);
    }
    if (!s && lim->save_path) {
        s = trainer_save(t, lim->save_path);
        ev.kind = TRAIN_SAVED;
        ev.path = lim->save_path;
        if (!s)
            emit(cb, ctx, &ev);
    }
    return s;
}

/* ---- checkpoints ---- */

recur_status trainer_save(trainer *t, const char *path)
{
    st_writer *w;
    recur_status s = st_writer_new(&w);
    if (s)
        return s;
    recur_lm *lm = t->lm;
    const train_config *c = &t->config;
    const size_t B = c->batch, n = lm->n_params;
    char name[64];
    s = lm_write(lm, t->task, w);
    for (size_t i = 0; !s && i < optim_buffer_count(t->opt); i++) {
        const char *bname;
        float *buf = optim_buffer(t->opt, i, &bname);
        snprintf(name, sizeof name, "optim.%s", bname);
        s = st_writer_add(w, name, RECUR_DT_F32, 1, &n, buf);
    }
    size_t hs[3] = {lm->L, B, lm->P}, cs[3] = {lm->L, B, lm->H}, four = 4;
    if (!s) s = st_writer_add(w, "train.h", RECUR_DT_F32, 3, hs, lm->h);
    if (!s && lm->config.arch.rnn.mode == RECUR_LSTM)
        s = st_writer_add(w, "train.c", RECUR_DT_F32, 3, cs, lm->c);
    if (!s) s = st_writer_add(w, "train.rng", RECUR_DT_U64, 1, &four, lm->rng.s);
    const optim_config *o = &c->optim;
    const sched_config *k = &c->sched;
    if (!s) s = meta_put(w, "train.step", "%llu", (unsigned long long)t->step);
    if (!s) s = meta_put(w, "train.epoch", "%zu", t->epoch);
    if (!s) s = meta_put(w, "train.chunk", "%zu", t->chunk);
    if (!s) s = meta_put(w, "train.batch", "%zu", c->batch);
    if (!s) s = meta_put(w, "train.seq_len", "%zu", c->seq_len);
    if (!s) s = meta_put(w, "train.seed", "%llu", (unsigned long long)c->seed);
    if (!s) s = meta_put_float(w, "train.clip", c->clip);
    if (!s) s = meta_put(w, "train.best_val", "%.17g", t->best_val);
    if (!s) s = meta_put(w, "train.n_train", "%zu", t->n_train);
    if (!s) s = meta_put(w, "train.n_val", "%zu", t->n_val);
    if (!s) s = meta_put(w, "train.data_hash", "%llu", (unsigned long long)t->data_hash);
    if (!s) s = st_writer_meta(w, "optim.kind", optim_str(o->kind));
    if (!s) s = meta_put(w, "optim.steps", "%llu",
                         (unsigned long long)optim_steps(t->opt));
    if (!s) s = meta_put_float(w, "optim.momentum", o->momentum);
    if (!s) s = meta_put_float(w, "optim.dampening", o->dampening);
    if (!s) s = meta_put(w, "optim.nesterov", "%d", o->nesterov);
    if (!s) s = meta_put_float(w, "optim.weight_decay", o->weight_decay);
    if (!s) s = meta_put_float(w, "optim.beta1", o->beta1);
    if (!s) s = meta_put_float(w, "optim.beta2", o->beta2);
    if (!s) s = meta_put_float(w, "optim.eps", o->eps);
    if (!s) s = meta_put_float(w, "optim.alpha", o->alpha);
    if (!s) s = meta_put(w, "optim.centered", "%d", o->centered);
    if (!s) s = meta_put_float(w, "optim.lr_decay", o->lr_decay);
    if (!s) s = meta_put_float(w, "optim.initial_accumulator_value",
                               o->initial_accumulator_value);
    if (!s) s = st_writer_meta(w, "sched.kind", sched_str(k->kind));
    if (!s) s = meta_put_float(w, "sched.base_lr", k->base_lr);
    if (!s) s = meta_put(w, "sched.decay_after", "%zu", k->decay_after);
    if (!s) s = meta_put_float(w, "sched.factor", k->factor);
    if (!s) s = meta_put(w, "sched.warmup_steps", "%llu", (unsigned long long)k->warmup_steps);
    if (!s) s = meta_put(w, "sched.total_steps", "%llu", (unsigned long long)k->total_steps);
    if (!s) s = meta_put_float(w, "sched.min_lr", k->min_lr);
    if (!s) s = meta_put(w, "sched.patience", "%zu", k->patience);
    if (!s) s = meta_put_float(w, "sched.threshold", k->threshold);
    if (!s) s = meta_put(w, "sched.cooldown", "%zu", k->cooldown);
    if (!s) s = meta_put_float(w, "sched.lr", t->sched.lr);
    if (!s) s = meta_put_float(w, "sched.best", t->sched.best);
    if (!s) s = meta_put(w, "sched.bad_epochs", "%zu", t->sched.bad_epochs);
    if (!s) s = meta_put(w, "sched.cooldown_left", "%zu", t->sched.cooldown_left);
    if (!s)
        s = st_writer_write(w, path);
    st_writer_free(w);
    return s;
}

/* Reads a float32 tensor of exactly n elements into dst. */
static recur_status read_exact(const st_file *st, const char *path,
                               const char *name, size_t n, float *dst)
{
    const st_tensor *t = st_find(st, name);
    if (!t || t->numel != n || t->dtype != RECUR_DT_F32)
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: training state '%s' is missing or not F32 of "
                          "%zu elements", path, name, n);
    return st_to_f32(t, dst);
}

#define META_SIZE(key, max, dst)                                              \
    do {                                                                      \
        size_t v_;                                                            \
        if (!s && !(s = meta_size(st, path, key, max, &v_)))                  \
            dst = v_;                                                         \
    } while (0)
#define META_FLOAT(key, dst)                                                  \
    do {                                                                      \
        double v_;                                                            \
        if (!s && !(s = meta_double(st, path, key, &v_)))                     \
            dst = (float)v_;                                                  \
    } while (0)

static recur_status read_config(const st_file *st, const char *path,
                                train_config *c, trainer *t)
{
    recur_status s = RECUR_OK;
    const char *okind = st_meta(st, "optim.kind");
    const char *skind = st_meta(st, "sched.kind");
    if (!okind || !skind || optim_parse(okind, &c->optim.kind) ||
        sched_parse(skind, &c->sched.kind))
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: not a training checkpoint (no valid optim.kind / "
                          "sched.kind in __metadata__)", path);
    const size_t big = (size_t)1 << 30, huge = SIZE_MAX;
    size_t nesterov = 0, centered = 0, seed = 0;
    META_SIZE("train.batch", big, c->batch);
    META_SIZE("train.seq_len", big, c->seq_len);
    META_SIZE("train.seed", huge, seed);
    META_FLOAT("train.clip", c->clip);
    META_FLOAT("optim.momentum", c->optim.momentum);
    META_FLOAT("optim.dampening", c->optim.dampening);
    META_SIZE("optim.nesterov", 1, nesterov);
    META_FLOAT("optim.weight_decay", c->optim.weight_decay);
    META_FLOAT("optim.beta1", c->optim.beta1);
    META_FLOAT("optim.beta2", c->optim.beta2);
    META_FLOAT("optim.eps", c->optim.eps);
    META_FLOAT("optim.alpha", c->optim.alpha);
    META_SIZE("optim.centered", 1, centered);
    META_FLOAT("optim.lr_decay", c->optim.lr_decay);
    META_FLOAT("optim.initial_accumulator_value", c->optim.initial_accumulator_value);
    META_FLOAT("sched.base_lr", c->sched.base_lr);
    META_SIZE("sched.decay_after", big, c->sched.decay_after);
    META_FLOAT("sched.factor", c->sched.factor);
    META_SIZE("sched.warmup_steps", huge, c->sched.warmup_steps);
    META_SIZE("sched.total_steps", huge, c->sched.total_steps);
    META_FLOAT("sched.min_lr", c->sched.min_lr);
    META_SIZE("sched.patience", big, c->sched.patience);
    META_FLOAT("sched.threshold", c->sched.threshold);
    META_SIZE("sched.cooldown", big, c->sched.cooldown);
    META_FLOAT("sched.lr", t->sched.lr);
    META_FLOAT("sched.best", t->sched.best);
    META_SIZE("sched.bad_epochs", big, t->sched.bad_epochs);
    META_SIZE("sched.cooldown_left", big, t->sched.cooldown_left);
    c->optim.nesterov = (int)nesterov;
    c->optim.centered = (int)centered;
    c->seed = seed;
    return s;
}

recur_status trainer_resume(const char *path, const int32_t *train,
                            size_t n_train, const int32_t *val, size_t n_val,
                            trainer **out)
{
    if (!path || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no checkpoint path or place for "
                          "the trainer (NULL)");
    st_file *st;
    recur_status s = st_read(path, &st);
    if (s)
        return s;
    recur_lm *lm = NULL;
    trainer *t = NULL;
    train_config c = {0};
    sched_state sched = {0};
    trainer tmp = {0};
    s = lm_read(st, path, &lm);
    if (!s)
        s = read_config(st, path, &c, &tmp);
    sched = tmp.sched;
    const char *task = st_meta(st, "task");
    if (!s)
        s = trainer_create(lm, task ? task : "", &c, train, n_train, val, n_val, &t);
    if (s) {
        recur_lm_free(lm);
        st_free(st);
        return s;
    }
    t->sched = sched;
    size_t step = 0, n_tr = 0, n_va = 0, hash = 0;
    double best = INFINITY;
    META_SIZE("train.step", SIZE_MAX, step);
    META_SIZE("train.epoch", SIZE_MAX, t->epoch);
    META_SIZE("train.chunk", SIZE_MAX, t->chunk);
    META_SIZE("train.n_train", SIZE_MAX, n_tr);
    META_SIZE("train.n_val", SIZE_MAX, n_va);
    META_SIZE("train.data_hash", SIZE_MAX, hash);
    if (!s)
        s = meta_double(st, path, "train.best_val", &best);
    if (!s && (n_tr != n_train || n_va != n_val || hash != t->data_hash))
        s = error_fail(RECUR_ERR_ARGUMENT,
                       "%s was trained on other data (%zu training and %zu "
                       "validation tokens, fingerprint %zx; these are %zu and "
                       "%zu, %llx)", path, n_tr, n_va, hash, n_train, n_val,
                       (unsigned long long)t->data_hash);
    if (!s && t->chunk >= t->chunks)
        s = error_fail(RECUR_ERR_FORMAT, "%s: train.chunk %zu out of range", path,
                       t->chunk);
    const size_t B = c.batch;
    for (size_t i = 0; !s && i < optim_buffer_count(t->opt); i++) {
        const char *bname;
        float *buf = optim_buffer(t->opt, i, &bname);
        char name[64];
        snprintf(name, sizeof name, "optim.%s", bname);
        s = read_exact(st, path, name, lm->n_params, buf);
    }
    if (!s)
        s = read_exact(st, path, "train.h", lm->L * B * lm->P, lm->h);
    if (!s && lm->config.arch.rnn.mode == RECUR_LSTM)
        s = read_exact(st, path, "train.c", lm->L * B * lm->H, lm->c);
    const st_tensor *rng = st_find(st, "train.rng");
    if (!s && (!rng || rng->dtype != RECUR_DT_U64 || rng->numel != 4))
        s = error_fail(RECUR_ERR_FORMAT, "%s: train.rng is missing or not U64 [4]",
                       path);
    if (!s)
        memcpy(lm->rng.s, rng->data, sizeof lm->rng.s);
    st_free(st);
    if (s) {
        trainer_free(t);
        return s;
    }
    t->step = step;
    t->best_val = best;
    optim_set_steps(t->opt, step);
    *out = t;
    return RECUR_OK;
}
