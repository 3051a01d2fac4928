/*
 * test_lm.c — the language model and its trainer: gradients (with dropout,
 * tied weights) against finite differences, the step API against the
 * chunk forward, loss going down, checkpoints, and bit-identical resume.
 */
#include "lm.h"
#include "lm_io.h"
#include "test.h"
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { V = 7, T = 4, B = 3 };

static recur_lm_config small_config(recur_mode mode, int tie, float dropout)
{
    recur_lm_config c = {0};
    c.vocab_size = V;
    c.embed_size = 5;
    c.rnn = recur_config_default(mode, 5, tie ? 5 : 6);
    c.rnn.num_layers = 2;
    c.dropout = dropout;
    c.tie_weights = tie;
    return c;
}

static void random_ids(int32_t *ids, size_t n, uint64_t seed)
{
    recur_rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        ids[i] = (int32_t)rng_below(&r, V);
}

/* Mean loss of one chunk from a zero state with the dropout generator at a
 * fixed state, so that every evaluation draws the same masks. */
static double chunk_loss(recur_lm *lm, const recur_rng *rng, const int32_t *x,
                         const int32_t *y)
{
    double sum;
    size_t count;
    lm->rng = *rng;
    lm_reset_state(lm, B);
    if (lm_chunk(lm, T, B, x, y, 0, &sum, &count))
        return NAN;
    return sum / (double)count;
}

static void gradcheck(const char *what, recur_lm_config c)
{
    recur_lm *lm;
    CHECK(lm_create(&c, 3, 0, &lm) == RECUR_OK, "%s: create: %s", what,
          recur_last_error());
    if (!lm)
        return;
    int32_t x[T * B], y[T * B];
    random_ids(x, T * B, 1);
    random_ids(y, T * B, 2);
    y[4] = -1; /* a masked target */
    lm_set_training(lm, 1);
    recur_rng rng = lm->rng;
    double sum;
    size_t count;
    lm_reset_state(lm, B);
    memset(lm->grads, 0, lm->n_params * sizeof(float));
    CHECK(lm_chunk(lm, T, B, x, y, 1, &sum, &count) == RECUR_OK && count == T * B - 1,
          "%s: chunk", what);
    float *analytic = malloc(lm->n_params * sizeof(float));
    memcpy(analytic, lm->grads, lm->n_params * sizeof(float));
    int bad = 0;
    const float eps = 1e-3f;
    for (size_t i = 0; i < lm->n_params; i++) {
        float keep = lm->params[i];
        lm->params[i] = keep + eps;
        double up = chunk_loss(lm, &rng, x, y);
        lm->params[i] = keep - eps;
        double down = chunk_loss(lm, &rng, x, y);
        lm->params[i] = keep;
        double num = (up - down) / (2.0 * eps);
        if (!(fabs(num - analytic[i]) <= 1e-3 + 2e-2 * fabs(analytic[i])) &&
            bad++ < 3)
            fprintf(stderr, "  %s param %zu: numeric %.6g analytic %.6g\n",
                    what, i, num, analytic[i]);
    }
    CHECK(bad == 0, "%s: %d of %zu gradients disagree with finite differences",
          what, bad, lm->n_params);
    free(analytic);
    recur_lm_free(lm);
}

void test_lm_gradcheck(void)
{
    gradcheck("LSTM dropout 0.3", small_config(RECUR_LSTM, 0, 0.3f));
    gradcheck("GRU tied dropout 0.2", small_config(RECUR_GRU, 1, 0.2f));
    gradcheck("RNN_TANH no dropout", small_config(RECUR_RNN_TANH, 0, 0.0f));
}

/* feed() one token at a time gives the logits of the chunk forward. */
void test_lm_step_api(void)
{
    recur_lm_config c = small_config(RECUR_LSTM, 0, 0.0f);
    recur_lm *lm;
    recur_lm_state *st;
    CHECK(lm_create(&c, 5, LM_INIT_ORTHOGONAL | LM_INIT_FORGET_BIAS, &lm) == RECUR_OK,
          "create");
    CHECK(recur_lm_state_new(lm, &st) == RECUR_OK, "state");
    int32_t x[8], y[8];
    random_ids(x, 8, 9);
    random_ids(y, 8, 10);
    double sum;
    size_t count;
    lm_set_training(lm, 0);
    lm_reset_state(lm, 1);
    CHECK(lm_chunk(lm, 8, 1, x, y, 0, &sum, &count) == RECUR_OK, "chunk");
    float chunk_logits[8 * V];
    memcpy(chunk_logits, lm->logits, sizeof chunk_logits);
    double err = 0;
    for (int t = 0; t < 8; t++) {
        CHECK(recur_lm_state_feed(st, (size_t)x[t]) == RECUR_OK, "feed");
        const float *l = recur_lm_state_logits(st);
        for (int v = 0; v < V; v++)
            err = fmax(err, fabs(l[v] - chunk_logits[t * V + v]));
    }
    CHECK(err < 1e-5, "step logits differ from the chunk's by %g", err);
    float probs[V];
    CHECK(recur_lm_state_probs(st, 0.5f, probs) == RECUR_OK, "probs");
    double total = 0;
    for (int v = 0; v < V; v++)
        total += probs[v];
    CHECK(fabs(total - 1.0) < 1e-5, "probabilities sum to %g", total);
    CHECK(recur_lm_state_feed(st, V) == RECUR_ERR_ARGUMENT, "token V accepted");
    recur_lm_state_free(st);
    recur_lm_free(lm);
}

/* A text with structure: "abcd" repeated with a twist every 7th letter. */
static size_t pattern_text(int32_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ids[i] = (int32_t)(i % 7 == 6 ? 5 + (i / 7) % 2 : i % 4);
    return n;
}

static train_config small_train(void)
{
    train_config c = {0};
    c.batch = B;
    c.seq_len = T;
    c.optim = recur_optim_default(RECUR_OPT_ADAM);
    c.sched = recur_sched_default(RECUR_SCHED_COSINE, 0.02f);
    c.sched.warmup_steps = 5;
    c.sched.total_steps = 400;
    c.clip = 1.0f;
    c.seed = 11;
    return c;
}

void test_lm_training(void)
{
    static int32_t ids[3000];
    pattern_text(ids, 3000);
    recur_lm_config c = small_config(RECUR_LSTM, 0, 0.1f);
    recur_lm *lm;
    trainer *t = NULL;
    lm_create(&c, 1, 0, &lm);
    train_config tc = small_train();
    CHECK(trainer_create(lm, "test", &tc, ids, 2400, ids + 2400, 600, &t) == RECUR_OK,
          "trainer: %s", recur_last_error());
    if (!t)
        return;
    double before, after;
    size_t tokens;
    trainer_validate(t, &before, &tokens);
    train_limits lim = {0};
    lim.steps = 300;
    CHECK(trainer_run(t, &lim, NULL, NULL) == RECUR_OK, "run: %s", recur_last_error());
    trainer_validate(t, &after, &tokens);
    /* Uniform guessing costs ln 7 = 1.95 nats; the pattern is learnable. */
    CHECK(before > 1.5 && after < 0.6, "validation loss %.3f -> %.3f", before, after);
    trainer_free(t);
}

static int same_tensors(const char *a, const char *b)
{
    recur_st *x, *y;
    if (recur_st_read(a, &x))
        return 0;
    if (recur_st_read(b, &y)) {
        recur_st_free(x);
        return 0;
    }
    int same = recur_st_count(x) == recur_st_count(y);
    for (size_t i = 0; same && i < recur_st_count(x); i++) {
        const recur_st_tensor *p = recur_st_at(x, i);
        const recur_st_tensor *q = recur_st_find(y, p->name);
        same = q && q->nbytes == p->nbytes && !memcmp(p->data, q->data, p->nbytes);
        if (!same)
            fprintf(stderr, "  tensor %s differs\n", p->name);
    }
    const char *keys[] = {"train.step", "train.epoch", "train.chunk", "sched.lr",
                          "optim.steps"};
    for (size_t k = 0; same && k < sizeof keys / sizeof *keys; k++) {
        const char *u = recur_st_meta(x, keys[k]), *v = recur_st_meta(y, keys[k]);
        same = u && v && !strcmp(u, v);
    }
    recur_st_free(x);
    recur_st_free(y);
    return same;
}

/* Training 23 steps straight equals 9 steps, save, resume, 14 more — bit
 * for bit — across epoch boundaries (8 chunks per epoch), with dropout. */
void test_lm_resume(void)
{
    static int32_t ids[160];
    pattern_text(ids, 160);
    random_ids(ids + 100, 20, 4);
    char dir[] = "/tmp/recur-test-resume-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char straight[128], half[128], resumed[128];
    snprintf(straight, sizeof straight, "%s/straight.safetensors", dir);
    snprintf(half, sizeof half, "%s/half.safetensors", dir);
    snprintf(resumed, sizeof resumed, "%s/resumed.safetensors", dir);
    const char *paths[2] = {straight, half};
    const uint64_t steps[2] = {23, 9};
    for (int run = 0; run < 2; run++) {
        recur_lm_config c = small_config(RECUR_LSTM, 0, 0.25f);
        recur_lm *lm;
        trainer *t = NULL;
        lm_create(&c, 1, 0, &lm);
        train_config tc = small_train();
        trainer_create(lm, "test", &tc, ids, 130, ids + 130, 30, &t);
        CHECK(t && trainer_chunks_per_epoch(t) == 10, "chunks per epoch");
        train_limits lim = {0};
        lim.steps = steps[run];
        lim.save_path = paths[run];
        CHECK(t && trainer_run(t, &lim, NULL, NULL) == RECUR_OK, "run %d", run);
        trainer_free(t);
    }
    trainer *t = NULL;
    CHECK(trainer_resume(half, ids, 130, ids + 130, 30, &t) == RECUR_OK,
          "resume: %s", recur_last_error());
    train_limits lim = {0};
    lim.steps = 23;
    lim.save_path = resumed;
    CHECK(t && trainer_run(t, &lim, NULL, NULL) == RECUR_OK, "resumed run");
    trainer_free(t);
    CHECK(same_tensors(straight, resumed),
          "resumed training is not bit-identical to uninterrupted training");
    /* Other data is refused. */
    t = NULL;
    CHECK(trainer_resume(half, ids + 1, 130, ids + 130, 30, &t) == RECUR_ERR_ARGUMENT,
          "resume on other data accepted");
    trainer_free(t);
    /* The model loads on its own. */
    recur_lm *lm = NULL;
    CHECK(recur_lm_load(resumed, &lm) == RECUR_OK, "load: %s", recur_last_error());
    recur_lm_free(lm);
    unlink(straight);
    unlink(half);
    unlink(resumed);
    rmdir(dir);
}
