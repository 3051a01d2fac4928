/*
 * fit.c — the minibatch training loop of fit.h.
 */
#include "train/fit.h"
#include "base/error.h"
#include "base/clock.h"
#include "base/order.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { POOL_BATCHES = 50 };

/* idx[0..n) sorted by example length, ties by index; keys has room for n. */
static void sort_by_length(const fit_model *m, const void *d, size_t *idx,
                           size_t n, len_key *keys)
{
    for (size_t i = 0; i < n; i++)
        keys[i] = (len_key){m->length(d, idx[i]), idx[i]};
    len_key_sort(keys, n);
    for (size_t i = 0; i < n; i++)
        idx[i] = keys[i].idx;
}

static void shuffle(size_t *a, size_t n, rng_state *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(rng, i), t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

recur_status fit_score(const fit_model *m, const void *d, size_t batch,
                       double *mean_loss)
{
    const size_t n = d ? m->count(d) : 0;
    if (n == 0 || batch == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "nothing to evaluate");
    size_t *idx = malloc(n * sizeof *idx);
    len_key *keys = malloc(n * sizeof *keys);
    if (!idx || !keys) {
        free(idx);
        free(keys);
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    sort_by_length(m, d, idx, n, keys);
    free(keys);
    m->set_training(m->model, 0);
    double total = 0;
    size_t count = 0;
    recur_status s = RECUR_OK;
    for (size_t i = 0; !s && i < n; i += batch) {
        size_t B = n - i < batch ? n - i : batch, c;
        double sum;
        s = m->batch(m->model, d, idx + i, B, 0, &sum, &c);
        total += sum;
        count += c;
    }
    free(idx);
    if (!s)
        *mean_loss = total / (double)count;
    return s;
}

/* ---- the sequence model as a fit_model ---- */

static size_t seq_count(const void *d) { return ((const seq_data *)d)->n; }
static size_t seq_length(const void *d, size_t i) { return seq_len(d, i); }
static void seq_training(void *m, int on) { seq_model_set_training(m, on); }
static void seq_seed(void *m, uint64_t seed) { seq_model_set_seed(m, seed); }
static recur_status seq_batch(void *m, const void *d, const size_t *idx,
                              size_t B, int grads, double *loss_sum,
                              size_t *counted)
{
    return seq_model_batch(m, d, idx, B, grads, loss_sum, counted, NULL);
}

fit_model fit_seq_model(seq_model *m)
{
    return (fit_model){.model = m, .size = seq_model_size(m),
                       .params = seq_model_params(m),
                       .grads = seq_model_grads(m), .count = seq_count,
                       .length = seq_length, .set_training = seq_training,
                       .set_seed = seq_seed, .batch = seq_batch};
}

/* fit_evaluate's predictions: the model's output of each batch copied to
 * its examples' rows of pred. */
typedef struct {
    seq_model *m;
    float *out, *pred;
    size_t K;
} seq_predict;

static void predict_training(void *p, int on)
{
    seq_model_set_training(((seq_predict *)p)->m, on);
}

static recur_status predict_batch(void *p, const void *d, const size_t *idx,
                                  size_t B, int grads, double *loss_sum,
                                  size_t *counted)
{
    seq_predict *sp = p;
    recur_status s = seq_model_batch(sp->m, d, idx, B, grads, loss_sum,
                                     counted, sp->out);
    for (size_t b = 0; !s && b < B; b++)
        memcpy(sp->pred + idx[b] * sp->K, sp->out + b * sp->K,
               sp->K * sizeof(float));
    return s;
}

recur_status fit_evaluate(seq_model *m, const seq_data *d, size_t batch,
                          double *mean_loss, float *pred)
{
    fit_model fm = fit_seq_model(m);
    if (!pred)
        return fit_score(&fm, d, batch, mean_loss);
    if (seq_model_config(m)->pool == SEQ_POOL_STEP)
        return error_fail(RECUR_ERR_ARGUMENT, "per-example predictions need a "
                          "pooled model (this one predicts every step)");
    seq_predict sp = {.m = m, .pred = pred, .K = seq_model_config(m)->outputs};
    if (batch && !(sp.out = malloc(batch * sp.K * sizeof(float))))
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    fm.model = &sp;
    fm.set_training = predict_training;
    fm.batch = predict_batch;
    recur_status s = fit_score(&fm, d, batch, mean_loss);
    free(sp.out);
    return s;
}

/* The batches of one epoch: order[] holds the examples, batch after batch;
 * start[k] where batch k begins (start[n_batches] = n). */
static void plan_epoch(const fit_model *m, const void *d, size_t batch,
                       rng_state *rng,
                       size_t *order, len_key *keys, size_t *start,
                       size_t *batch_order, size_t *n_batches)
{
    const size_t n = m->count(d);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    shuffle(order, n, rng);
    size_t pool = batch * POOL_BATCHES;
    for (size_t i = 0; i < n; i += pool)
        sort_by_length(m, d, order + i, n - i < pool ? n - i : pool, keys);
    size_t k = 0;
    for (size_t i = 0; i < n; i += batch)
        start[k++] = i;
    start[k] = n;
    *n_batches = k;
    for (size_t i = 0; i < k; i++)
        batch_order[i] = i;
    shuffle(batch_order, k, rng);
}

recur_status fit_run(seq_model *m, const seq_data *train, const seq_data *val,
                     const fit_config *c, fit_callback cb, void *ctx,
                     float *best, double *best_val)
{
    if (!m)
        return error_fail(RECUR_ERR_ARGUMENT, "nothing to train: no model");
    fit_model fm = fit_seq_model(m);
    return fit_train(&fm, train, val, c, cb, ctx, best, best_val);
}

recur_status fit_train(const fit_model *m, const void *train, const void *val,
                       const fit_config *c, fit_callback cb, void *ctx,
                       float *best, double *best_val)
{
    if (!m || !train || !c || m->count(train) == 0 || c->batch == 0 ||
        c->epochs == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "nothing to train: no model, no "
                          "training examples, a batch of 0 or 0 epochs");
    if (!(c->lr > 0) || !(c->lr_decay > 0 && c->lr_decay <= 1) || !(c->clip >= 0))
        return error_fail(RECUR_ERR_ARGUMENT, "learning rate %g, learning-rate "
                          "decay %g or clip %g out of range", (double)c->lr,
                          (double)c->lr_decay, (double)c->clip);
    const size_t n = m->count(train), np = m->size;
    const size_t max_batches = (n + c->batch - 1) / c->batch;
    optimizer *opt = NULL;
    recur_status s = optim_create(&c->optim, np, &opt);
    if (s)
        return s;
    size_t *order = malloc(n * sizeof *order);
    size_t *start = malloc((max_batches + 1) * sizeof *start);
    size_t *batch_order = malloc(max_batches * sizeof *batch_order);
    len_key *keys = malloc(n * sizeof *keys);
    if (!order || !start || !batch_order || !keys) {
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
        goto done;
    }
    rng_state rng;
    rng_seed(&rng, c->seed ^ 0x73687566666c65ull); /* "shuffle" */
    m->set_seed(m->model, c->seed);
    float *params = m->params, *grads = m->grads;
    const int have_val = val && m->count(val) > 0;
    double best_loss = INFINITY, best_metric = -INFINITY, t0 = clock_seconds();
    float lr = c->lr;
    uint64_t step = 0;
    size_t stale = 0;
    int stop = 0;
    for (size_t epoch = 0; !s && !stop && epoch < c->epochs; epoch++) {
        size_t n_batches;
        plan_epoch(m, train, c->batch, &rng, order, keys, start, batch_order,
                   &n_batches);
        double total = 0;
        size_t count = 0;
        m->set_training(m->model, 1);
        for (size_t k = 0; !s && !stop && k < n_batches; k++) {
            size_t b0 = start[batch_order[k]], B = start[batch_order[k] + 1] - b0;
            double sum;
            size_t counted;
            memset(grads, 0, np * sizeof(float));
            s = m->batch(m->model, train, order + b0, B, 1, &sum, &counted);
            if (s)
                break;
            float norm = c->clip > 0 ? clip_grad_norm(grads, np, c->clip)
                                     : clip_grad_norm(grads, np, INFINITY);
            if (!isfinite(norm) || !isfinite(sum)) {
                s = error_fail(RECUR_ERR_STATE, "the loss or the gradient "
                               "is not finite at step %llu (epoch %zu): lower the "
                               "learning rate or clip", (unsigned long long)step + 1,
                               epoch + 1);
                break;
            }
            if ((s = optim_step(opt, params, grads, lr)) != RECUR_OK)
                break;
            step++;
            total += sum;
            count += counted;
            double elapsed = clock_seconds() - t0;
            if (cb) {
                fit_event ev = {.kind = FIT_STEP, .epoch = epoch, .step = step,
                                .steps_per_epoch = n_batches,
                                .loss = sum / (double)counted, .lr = lr,
                                .grad_norm = norm, .elapsed = elapsed};
                stop = cb(ctx, &ev);
            }
            if (c->time_limit > 0 && elapsed >= c->time_limit)
                stop = 1;
        }
        if (s || count == 0)
            break;
        double vloss = NAN, vmetric = NAN;
        int is_best = 0;
        if (have_val && m->validate) {
            if ((s = m->validate(m->model, val, c->batch, &vloss, &vmetric)))
                break;
            /* a tie on the figure goes to the lower loss */
            is_best = vmetric > best_metric ||
                      (vmetric == best_metric && vloss < best_loss);
        } else if (have_val) {
            if ((s = fit_score(m, val, c->batch, &vloss)) != RECUR_OK)
                break;
            is_best = vloss < best_loss;
        } else {
            is_best = 1;
        }
        if (is_best) {
            best_loss = have_val ? vloss : total / (double)count;
            best_metric = vmetric;
            stale = 0;
            if (best)
                memcpy(best, params, np * sizeof(float));
        } else {
            stale++;
            lr *= c->lr_decay;
            if (c->patience && stale >= c->patience)
                stop = 1;
        }
        if (cb) {
            fit_event ev = {.kind = FIT_EPOCH, .epoch = epoch + 1, .step = step,
                            .steps_per_epoch = n_batches,
                            .loss = total / (double)count, .val_loss = vloss,
                            .val_metric = vmetric, .best = is_best, .lr = lr, .elapsed = clock_seconds() - t0};
            stop |= cb(ctx, &ev);
        }
    }
    if (!s && best_val)
        *best_val = best_loss;
done:
    m->set_training(m->model, 0);
    optim_free(opt);
    free(order);
    free(start);
    free(batch_order);
    free(keys);
    return s;
}
