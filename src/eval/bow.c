/* bow.c — bag-of-words logistic regression, the classification baseline
 * (bow.h). */
#include "eval/bow.h"
#include "base/error.h"
#include "train/optim.h"
#include "base/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct bow_model {
    size_t V, K;
    float *param; /* W [V, K] row-major, then b [K] */
};

bow_options bow_defaults(void)
{
    return (bow_options){.epochs = 10, .batch = 32, .lr = 0.01f, .l2 = 1e-4f,
                         .seed = 1};
}

void bow_free(bow_model *m)
{
    if (!m)
        return;
    free(m->param);
    free(m);
}

/* The distinct token ids below V of each example (CSR: the ids of example
 * i are id[start[i] .. start[i+1])), deduplicated with a stamp per id. */
typedef struct {
    size_t *start;
    int32_t *id;
} features;

/* Frees and clears, so that a second call (features_of's failure path,
 * then its caller's cleanup) does nothing. */
static void features_free(features *f)
{
    free(f->start);
    free(f->id);
    f->start = NULL;
    f->id = NULL;
}

static recur_status features_of(const seq_data *d, size_t V, features *f)
{
    size_t steps = d->offset[d->n];
    f->start = malloc((d->n + 1) * sizeof *f->start);
    f->id = malloc((steps ? steps : 1) * sizeof *f->id);
    size_t *stamp = malloc(V * sizeof *stamp);
    if (!f->start || !f->id || !stamp) {
        free(stamp);
        features_free(f);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the features "
                          "of %zu examples", d->n);
    }
    for (size_t v = 0; v < V; v++)
        stamp[v] = SIZE_MAX;
    size_t k = 0;
    for (size_t i = 0; i < d->n; i++) {
        f->start[i] = k;
        for (size_t t = d->offset[i]; t < d->offset[i + 1]; t++) {
            int32_t v = d->tokens[t];
            if ((size_t)v < V && stamp[v] != i) {
                stamp[v] = i;
                f->id[k++] = v;
            }
        }
    }
    f->start[d->n] = k;
    free(stamp);
    return RECUR_OK;
}

/* Softmax of the logits of example i into p[K] (max subtracted first). */
static void probabilities(const bow_model *m, const features *f, size_t i,
                          float *p)
{
    size_t K = m->K;
    const float *b = m->param + m->V * K;
    for (size_t k = 0; k < K; k++)
        p[k] = b[k];
    for (size_t j = f->start[i]; j < f->start[i + 1]; j++) {
        const float *w = m->param + (size_t)f->id[j] * K;
        for (size_t k = 0; k < K; k++)
            p[k] += w[k];
    }
    float max = p[0], sum = 0;
    for (size_t k = 1; k < K; k++)
        max = p[k] > max ? p[k] : max;
    for (size_t k = 0; k < K; k++)
        sum += p[k] = expf(p[k] - max);
    for (size_t k = 0; k < K; k++)
        p[k] /= sum;
}

/* d holds token examples; `what` is what they are for ("training"). */
static recur_status check_data(const seq_data *d, const char *what)
{
    if (!d || !d->offset || !d->tokens || d->features != 0 || d->n == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "bag-of-words baseline: no "
                          "token examples for %s", what);
    for (size_t i = 0; i < d->n; i++)
        for (size_t t = d->offset[i]; t < d->offset[i + 1]; t++)
            if (d->tokens[t] < 0)
                return error_fail(RECUR_ERR_ARGUMENT, "bag-of-words baseline: "
                                  "%s example %zu has token id %d", what, i,
                                  (int)d->tokens[t]);
    return RECUR_OK;
}

static recur_status check_training(const seq_data *d, size_t V,
                                   const bow_options *o)
{
    recur_status s = check_data(d, "training");
    if (s)
        return s;
    if (!o || o->epochs == 0 || o->batch == 0 || !(o->lr > 0) ||
        !isfinite(o->lr) || !(o->l2 >= 0) || !isfinite(o->l2))
        return error_fail(RECUR_ERR_ARGUMENT, "bag-of-words baseline: options out of "
                          "range (epochs and batch >= 1, lr > 0, l2 >= 0)");
    if (!d->label || d->outputs < 2 || V == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "bag-of-words baseline: it needs labels, "
                          "2 or more classes and a vocabulary");
    for (size_t i = 0; i < d->n; i++) {
        if (d->label[i] < 0 || (size_t)d->label[i] >= d->outputs)
            return error_fail(RECUR_ERR_ARGUMENT, "bag-of-words baseline: example "
                              "%zu has class %d of %zu", i, (int)d->label[i],
                              d->outputs);
        for (size_t t = d->offset[i]; t < d->offset[i + 1]; t++)
            if ((size_t)d->tokens[t] >= V)
                return error_fail(RECUR_ERR_ARGUMENT, "bag-of-words "
                                  "baseline: example %zu has token id %d, outside a "
                                  "vocabulary of %zu", i, (int)d->tokens[t],
                                  V);
    }
    return RECUR_OK;
}

/* One epoch of minibatch steps over the examples in `order`. */
static recur_status epoch(bow_model *m, const seq_data *d, const features *f,
                          const size_t *order, const bow_options *o,
                          optimizer *opt, float *grad, float *p)
{
    size_t K = m->K;
    float *gb = grad + m->V * K;
    for (size_t lo = 0; lo < d->n; lo += o->batch) {
        size_t hi = lo + o->batch < d->n ? lo + o->batch : d->n;
        float scale = 1.0f / (float)(hi - lo);
        for (size_t j = 0; j < m->V * K; j++)
            grad[j] = o->l2 * m->param[j];
        memset(gb, 0, K * sizeof *gb);
        for (size_t r = lo; r < hi; r++) {
            size_t i = order[r];
            probabilities(m, f, i, p);
            p[d->label[i]] -= 1;
            for (size_t k = 0; k < K; k++)
                gb[k] += p[k] * scale;
            for (size_t j = f->start[i]; j < f->start[i + 1]; j++) {
                float *g = grad + (size_t)f->id[j] * K;
                for (size_t k = 0; k < K; k++)
                    g[k] += p[k] * scale;
            }
        }
        recur_status s = optim_step(opt, m->param, grad, o->lr);
        if (s)
            return s;
    }
    return RECUR_OK;
}

recur_status bow_train(const seq_data *train, size_t V,
                             const bow_options *o, bow_model **out)
{
    if (!out)
        return error_fail(RECUR_ERR_ARGUMENT, "bag-of-words baseline: no place "
                          "for the model (NULL)");
    recur_status s = check_training(train, V, o);
    if (s)
        return s;
    size_t K = train->outputs, n_param;
    if (!size_mul_ok(V, K, &n_param) || !size_add_ok(n_param, K, &n_param) ||
        !size_mul_ok(n_param, sizeof(float), &(size_t){0}))
        return error_fail(RECUR_ERR_MEMORY, "%zu tokens by %zu classes are too "
                          "many weights", V, K);
    bow_model *m = calloc(1, sizeof *m);
    float *grad = malloc(n_param * sizeof *grad), *p = malloc(K * sizeof *p);
    size_t *order = malloc(train->n * sizeof *order);
    if (m) {
        m->V = V;
        m->K = K;
        m->param = calloc(n_param, sizeof *m->param);
    }
    features f = {0};
    optimizer *opt = NULL;
    optim_config cfg = optim_default(RECUR_OPT_ADAM);
    if (!m || !m->param || !grad || !p || !order)
        s = error_fail(RECUR_ERR_MEMORY, "out of memory for a bag-of-words "
                       "model of %zu weights", n_param);
    if (!s)
        s = features_of(train, V, &f);
    if (!s)
        s = optim_create(&cfg, n_param, &opt);
    rng_state rng;
    rng_seed(&rng, o->seed);
    for (size_t i = 0; !s && i < train->n; i++)
        order[i] = i;
    for (size_t e = 0; !s && e < o->epochs; e++) {
        for (size_t i = train->n; i > 1; i--) {
            size_t r = (size_t)rng_below(&rng, i), t = order[i - 1];
            order[i - 1] = order[r];
            order[r] = t;
        }
        s = epoch(m, train, &f, order, o, opt, grad, p);
    }
    optim_free(opt);
    features_free(&f);
    free(order);
    free(p);
    free(grad);
    if (s) {
        bow_free(m);
        return s;
    }
    *out = m;
    return RECUR_OK;
}

recur_status bow_predict(const bow_model *m, const seq_data *d,
                               int32_t *pred, float *prob)
{
    if (!m || !pred)
        return error_fail(RECUR_ERR_ARGUMENT, "bag-of-words baseline: no model "
                          "or place for the predictions (NULL)");
    recur_status s = check_data(d, "prediction");
    if (s)
        return s;
    features f = {0};
    float *p = malloc(m->K * sizeof *p);
    if (!p)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    s = features_of(d, m->V, &f);
    for (size_t i = 0; !s && i < d->n; i++) {
        probabilities(m, &f, i, p);
        size_t best = 0;
        for (size_t k = 1; k < m->K; k++)
            best = p[k] > p[best] ? k : best;
        pred[i] = (int32_t)best;
        if (prob)
            memcpy(prob + i * m->K, p, m->K * sizeof *p);
    }
    features_free(&f);
    free(p);
    return s;
}
