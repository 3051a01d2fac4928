/*
 * test_fit.c — the trainer of sequence models (src/train/fit.h) on a task
 * a bidirectional GRU learns in a few epochs (class 1 when token 5 occurs):
 * accuracy and validation loss after 15 epochs, the best epoch's
 * parameters giving the best validation loss, two runs of one seed bit for
 * bit the same; early stopping `patience` epochs after the best on noise
 * labels; a learning rate of 0 refused. The model itself is
 * tests/model/test_seqmodel.c's. And a model that picks its epoch by a
 * validation figure rather than the loss (fit_model.validate).
 */
#include "base/rng.h"
#include "model/seqmodel.h"
#include "test.h"
#include "train/fit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Token sequences of lengths 2..9 over ids 1..5; class 1 when id 5 occurs. */
static void contains_task(size_t n, uint64_t seed, seq_data *d)
{
    rng_state rng;
    rng_seed(&rng, seed);
    memset(d, 0, sizeof *d);
    d->n = n;
    d->outputs = 2;
    d->offset = malloc((n + 1) * sizeof(size_t));
    d->tokens = malloc(n * 9 * sizeof(int32_t));
    d->label = malloc(n * sizeof(int32_t));
    d->offset[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = 2 + rng_below(&rng, 8), o = d->offset[i];
        d->label[i] = 0;
        for (size_t t = 0; t < len; t++) {
            d->tokens[o + t] = 1 + (int32_t)rng_below(&rng, 4 + (i % 2));
            d->label[i] |= d->tokens[o + t] == 5;
        }
        d->offset[i + 1] = o + len;
    }
}

static int count_epochs(void *ctx, const fit_event *ev)
{
    if (ev->kind == FIT_EPOCH)
        ++*(size_t *)ctx;
    return 0;
}

/* ctx[0] = epochs done, ctx[1] = the last best epoch. */
static int track_best(void *ctx, const fit_event *ev)
{
    size_t *seen = ctx;
    if (ev->kind == FIT_EPOCH) {
        seen[0] = ev->epoch;
        if (ev->best)
            seen[1] = ev->epoch;
    }
    return 0;
}

void test_fit(void)
{
    seq_config c = {.rnn = {.mode = RECUR_GRU,
                            .input_size = 4,
                            .hidden_size = 16,
                            .num_layers = 1,
                            .bidirectional = 1,
                            .bias = 1},
                    .vocab_size = 6,
                    .embed_size = 4,
                    .outputs = 2,
                    .pool = SEQ_POOL_MAX,
                    .loss = SEQ_LOSS_XENT,
                    .dropout = 0.1f};
    seq_data train, val;
    contains_task(400, 1, &train);
    contains_task(200, 2, &val);
    fit_config fc = {.batch = 16, .optim = optim_default(RECUR_OPT_ADAM),
                     .lr = 1e-2f, .lr_decay = 1.0f, .clip = 5.0f, .seed = 3,
                     .epochs = 15};
    float *params[2] = {NULL, NULL};
    double before = 0, after[2] = {0, 0};
    size_t n_params = 0;
    for (int run = 0; run < 2; run++) {
        seq_model *m = NULL;
        seq_model_create(&c, 9, &m);
        if (run == 0)
            fit_evaluate(m, &val, 32, &before, NULL);
        size_t n = seq_model_size(m), epochs = 0;
        n_params = n;
        float *best = malloc(n * sizeof(float));
        double best_val;
        recur_status s = fit_run(m, &train, &val, &fc, count_epochs, &epochs,
                                 best, &best_val);
        CHECK(s == RECUR_OK && epochs == 15, "fit: %s, %zu epochs",
              recur_last_error(), epochs);
        memcpy(seq_model_params(m), best, n * sizeof(float));
        float *pred = malloc(val.n * 2 * sizeof(float));
        fit_evaluate(m, &val, 32, &after[run], pred);
        size_t right = 0;
        for (size_t i = 0; i < val.n; i++)
            right += (pred[2 * i + 1] > pred[2 * i]) == val.label[i];
        CHECK(fabs(after[run] - best_val) < 1e-9, "best parameters give the "
              "best validation loss (%.6f vs %.6f)", after[run], best_val);
        if (run == 0)
            CHECK(right >= 0.97 * val.n && after[0] < 0.2 * before,
                  "learned 'contains 5': accuracy %zu/%zu, validation loss "
                  "%.4f from %.4f", right, val.n, after[0], before);
        params[run] = best;
        free(pred);
        seq_model_free(m);
    }
    CHECK(!memcmp(params[0], params[1], n_params * sizeof(float)) && after[0] == after[1],
          "two runs with one seed are identical");
    free(params[0]);
    free(params[1]);

    /* Early stopping: labels that are noise stop improving on validation
     * soon; the run ends `patience` epochs after the best one. */
    for (size_t i = 0; i < val.n; i++)
        val.label[i] = (int32_t)((i * 7919) % 11 % 2);
    seq_model *m = NULL;
    seq_model_create(&c, 9, &m);
    size_t seen[2] = {0, 0};
    fc.patience = 2;
    fc.epochs = 40;
    fit_run(m, &train, &val, &fc, track_best, seen, NULL, NULL);
    CHECK(seen[0] < 40 && seen[0] == seen[1] + 2, "patience 2: stopped after "
          "epoch %zu, best epoch %zu", seen[0], seen[1]);
    fc.lr = 0;
    CHECK(fit_run(m, &train, &val, &fc, NULL, NULL, NULL, NULL) ==
              RECUR_ERR_ARGUMENT, "lr 0 refused");
    seq_model_free(m);
    seq_data_free(&train);
    seq_data_free(&val);
}

/* ---- a model that picks its epoch by a validation figure ---- */

/* One parameter p that SGD walks up by 1 per step (the loss of a batch is
 * −p, its gradient −1); the validation loss is p (rising: the loss would
 * keep epoch 1) and the figure −(p − 3)² (best at p = 3). */
static size_t one_count(const void *d) { (void)d; return 4; }
static size_t one_length(const void *d, size_t i) { (void)d; return i + 1; }
static void one_training(void *m, int on) { (void)m; (void)on; }
static void one_seed(void *m, uint64_t seed) { (void)m; (void)seed; }
static recur_status one_batch(void *m, const void *d, const size_t *idx,
                              size_t B, int grads, double *loss_sum,
                              size_t *counted)
{
    float *p = m;
    (void)d;
    (void)idx;
    if (grads)
        p[1] -= 1.0f; /* the gradient, after p[0] */
    *loss_sum = -(double)p[0] * (double)B;
    *counted = B;
    return RECUR_OK;
}
static recur_status one_validate(void *m, const void *d, size_t batch,
                                 double *mean_loss, double *value)
{
    const float *p = m;
    (void)d;
    (void)batch;
    *mean_loss = p[0];
    *value = -((double)p[0] - 3.0) * ((double)p[0] - 3.0);
    return RECUR_OK;
}

void test_fit_metric(void)
{
    float pg[2] = {0, 0}, best = -1;
    fit_model m = {.model = pg, .size = 1, .params = pg, .grads = pg + 1,
                   .count = one_count, .length = one_length,
                   .set_training = one_training, .set_seed = one_seed,
                   .batch = one_batch, .metric = "accuracy",
                   .validate = one_validate};
    fit_config fc = {.batch = 4, .optim = optim_default(RECUR_OPT_SGD),
                     .lr = 1, .lr_decay = 1, .epochs = 8, .patience = 2};
    size_t seen[2] = {0, 0};
    double best_val = NAN;
    int dummy = 0;
    CHECK(fit_train(&m, &dummy, &dummy, &fc, track_best, seen, &best,
                    &best_val) == RECUR_OK, "fit_train: %s", recur_last_error());
    CHECK(best == 3.0f && seen[1] == 3, "the figure's best epoch is 3 (p = 3), "
          "got epoch %zu, p = %g", seen[1], (double)best);
    CHECK(seen[0] == 5, "patience 2 after epoch 3 stops after epoch 5, not %zu",
          seen[0]);
    CHECK(best_val == 3.0, "best_val is the kept epoch's loss 3, not %g", best_val);
    /* Without the figure the batches' loss −p picks: the last epoch. */
    pg[0] = 0;
    m.validate = NULL;
    m.metric = NULL;
    seen[0] = seen[1] = 0;
    CHECK(fit_train(&m, &dummy, &dummy, &fc, track_best, seen, &best,
                    &best_val) == RECUR_OK, "fit_train: %s", recur_last_error());
    CHECK(seen[1] == 8 && best == 8.0f, "without the figure the epoch of the "
          "lowest loss (the last, 8) is kept, got %zu (p = %g)", seen[1],
          (double)best);
}
