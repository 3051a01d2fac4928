/*
 * test_train.c — the language model's trainer (src/train/train.h) on a
 * small LSTM or GRU model: the loss goes down on a learnable pattern (from
 * uniform guessing, ln 7, to under 0.6 nats); training 23 steps straight
 * equals 9 steps, save, resume and 14 more, bit for bit, across epoch
 * boundaries, with dropout, with every regulariser, with layer norm; a
 * resume on other data is refused; the checkpoint loads on its own with
 * its regularisers; lm_evaluate (recur eval's reading) scores all n - 1
 * next tokens with the tail, as feeding them one at a time does. The model
 * itself is tests/model/test_lm.c's.
 */
#include "fixture.h"
#include "model/lm.h"
#include "model/lm_io.h"
#include "model/lm_streams.h"
#include "test.h"
#include "train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { V = 7, T = 4, B = 3 };

/* A 2-layer model of V tokens, embeddings of 5, 6 units, trained with reg. */
static lm_config small_lm(recur_mode mode, recur_regularizers reg)
{
    lm_config c = {.arch = {.vocab_size = V,
                            .embed_size = 5,
                            .rnn = recur_rnn_config_default(mode, 5, 6)},
                   .reg = reg};
    c.arch.rnn.num_layers = 2;
    return c;
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
    c.optim = optim_default(RECUR_OPT_ADAM);
    c.sched = sched_default(RECUR_SCHED_COSINE, 0.02f);
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
    lm_config c = small_lm(RECUR_LSTM, (recur_regularizers){.dropout = 0.1f});
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
    st_file *x, *y;
    if (st_read(a, &x))
        return 0;
    if (st_read(b, &y)) {
        st_free(x);
        return 0;
    }
    int same = st_count(x) == st_count(y);
    for (size_t i = 0; same && i < st_count(x); i++) {
        const st_tensor *p = st_at(x, i);
        const st_tensor *q = st_find(y, p->name);
        same = q && q->nbytes == p->nbytes && !memcmp(p->data, q->data, p->nbytes);
        if (!same)
            fprintf(stderr, "  tensor %s differs\n", p->name);
    }
    const char *keys[] = {"train.step", "train.epoch", "train.chunk", "sched.lr",
                          "optim.steps"};
    for (size_t k = 0; same && k < sizeof keys / sizeof *keys; k++) {
        const char *u = st_meta(x, keys[k]), *v = st_meta(y, keys[k]);
        same = u && v && !strcmp(u, v);
    }
    st_free(x);
    st_free(y);
    return same;
}

/* Training 23 steps straight equals 9 steps, save, resume, 14 more — bit
 * for bit — across epoch boundaries (10 chunks per epoch), with dropout,
 * then with every regulariser. */
static void resume_case(const char *what, lm_config config)
{
    static int32_t ids[160];
    pattern_text(ids, 160);
    fixture_random_ids(ids + 100, 20, V, 4);
    char dir[] = "/tmp/recur-test-resume-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char straight[128], half[128], resumed[128];
    snprintf(straight, sizeof straight, "%s/straight.safetensors", dir);
    snprintf(half, sizeof half, "%s/half.safetensors", dir);
    snprintf(resumed, sizeof resumed, "%s/resumed.safetensors", dir);
    const char *paths[2] = {straight, half};
    const uint64_t steps[2] = {23, 9};
    for (int run = 0; run < 2; run++) {
        lm_config c = config;
        recur_lm *lm;
        trainer *t = NULL;
        lm_create(&c, 1, 0, &lm);
        train_config tc = small_train();
        trainer_create(lm, "test", &tc, ids, 130, ids + 130, 30, &t);
        CHECK(t && trainer_chunks_per_epoch(t) == 10, "%s: chunks per epoch",
              what);
        train_limits lim = {0};
        lim.steps = steps[run];
        lim.save_path = paths[run];
        CHECK(t && trainer_run(t, &lim, NULL, NULL) == RECUR_OK, "%s: run %d",
              what, run);
        trainer_free(t);
    }
    trainer *t = NULL;
    CHECK(trainer_resume(half, ids, 130, ids + 130, 30, &t) == RECUR_OK,
          "%s: resume: %s", what, recur_last_error());
    train_limits lim = {0};
    lim.steps = 23;
    lim.save_path = resumed;
    CHECK(t && trainer_run(t, &lim, NULL, NULL) == RECUR_OK, "%s: resumed run",
          what);
    trainer_free(t);
    CHECK(same_tensors(straight, resumed),
          "%s: resumed training is not bit-identical to uninterrupted training",
          what);
    /* Other data is refused. */
    t = NULL;
    CHECK(trainer_resume(half, ids + 1, 130, ids + 130, 30, &t) == RECUR_ERR_ARGUMENT,
          "%s: resume on other data accepted", what);
    trainer_free(t);
    /* The model loads on its own, with its regularisers. */
    recur_lm *lm = NULL;
    CHECK(recur_lm_load(resumed, &lm) == RECUR_OK, "%s: load: %s", what,
          recur_last_error());
    recur_regularizers r = {0};
    CHECK(lm && recur_lm_get_regularizers(lm, &r) == RECUR_OK &&
              r.dropout == config.reg.dropout &&
              r.variational == config.reg.variational &&
              r.recurrent_dropout == config.reg.recurrent_dropout &&
              r.zoneout == config.reg.zoneout,
          "%s: the regularisers do not read back", what);
    recur_lm_free(lm);
    unlink(straight);
    unlink(half);
    unlink(resumed);
    rmdir(dir);
}

void test_lm_resume(void)
{
    resume_case("LSTM dropout",
                small_lm(RECUR_LSTM, (recur_regularizers){.dropout = 0.25f}));
    resume_case("LSTM variational, recurrent dropout, zoneout",
                small_lm(RECUR_LSTM, (recur_regularizers){
                                         .dropout = 0.25f, .variational = 1,
                                         .recurrent_dropout = 0.2f,
                                         .zoneout = 0.15f}));
    resume_case("GRU recurrent dropout, zoneout",
                small_lm(RECUR_GRU, (recur_regularizers){
                                        .dropout = 0.1f,
                                        .recurrent_dropout = 0.3f,
                                        .zoneout = 0.1f}));
    lm_config c = small_lm(RECUR_LSTM, (recur_regularizers){.dropout = 0.25f});
    c.arch.rnn.layer_norm = 1;
    resume_case("LSTM layer norm", c);
}

/* recur eval's reading: with the tail, one stream scores all n - 1 next
 * tokens, and its loss is what feeding them one at a time gives. */
void test_lm_evaluate_tail(void)
{
    lm_config c = small_lm(RECUR_GRU, (recur_regularizers){0});
    recur_lm *lm;
    recur_lm_state *st;
    lm_create(&c, 8, 0, &lm);
    int32_t ids[23];
    fixture_random_ids(ids, 23, V, 12);
    double sum = 0, want = 0;
    size_t tokens = 0;
    CHECK(lm_evaluate(lm, ids, 23, 1, 5, 1, &sum, &tokens) == RECUR_OK &&
          tokens == 22, "evaluate with tail: %zu tokens", tokens);
    recur_lm_state_create(lm, &st);
    for (int i = 0; i < 22; i++) {
        float p[V];
        recur_lm_state_feed(st, (size_t)ids[i]);
        recur_lm_state_get_probs(st, 1.0f, p);
        want -= log(p[ids[i + 1]]);
    }
    CHECK(fabs(sum - want) < 1e-4 * want, "tail loss %.6f, step by step %.6f", sum,
          want);
    CHECK(lm_evaluate(lm, ids, 23, 1, 5, 0, &sum, &tokens) == RECUR_OK &&
          tokens == 20, "whole chunks only: %zu tokens", tokens);
    CHECK(lm_evaluate(lm, ids, 3, 2, 5, 1, &sum, &tokens) == RECUR_ERR_ARGUMENT,
          "streams of 1 token accepted");
    recur_lm_state_free(st);
    recur_lm_free(lm);
}
