/*
 * test_lm.c — the language model and its trainer: gradients (with dropout,
 * tied weights, variational and recurrent dropout, zoneout) against finite
 * differences, the step API against the chunk forward, masks per sequence
 * constant over time, loss going down, checkpoints, and bit-identical
 * resume.
 */
#include "model/lm.h"
#include "model/lm_io.h"
#include "model/lm_streams.h"
#include "stack/stack.h"
#include "test.h"
#include "train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { V = 7, T = 4, B = 3 };

static lm_config small_config(recur_mode mode, int tie, float dropout)
{
    lm_config c = {0};
    c.arch.vocab_size = V;
    c.arch.embed_size = 5;
    c.arch.rnn = recur_rnn_config_default(mode, 5, tie ? 5 : 6);
    c.arch.rnn.num_layers = 2;
    c.arch.tie_weights = tie;
    c.reg.dropout = dropout;
    return c;
}

static lm_config reg_config(recur_mode mode, float dropout, int variational,
                            float recurrent_dropout, float zoneout)
{
    lm_config c = small_config(mode, 0, dropout);
    c.reg.variational = variational;
    c.reg.recurrent_dropout = recurrent_dropout;
    c.reg.zoneout = zoneout;
    return c;
}

static void random_ids(int32_t *ids, size_t n, uint64_t seed)
{
    rng_state r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        ids[i] = (int32_t)rng_below(&r, V);
}

/* Mean loss of one chunk from a zero state with the dropout generator at a
 * fixed state, so that every evaluation draws the same masks. */
static double chunk_loss(recur_lm *lm, const rng_state *rng, const int32_t *x,
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

static void gradcheck(const char *what, lm_config c)
{
    recur_lm *lm;
    CHECK(lm_create(&c, 3, 0, &lm) == RECUR_OK, "%s: create: %s", what,
          recur_last_error());
    if (!lm)
        return;
    /* Layer norm: random gains and biases (1 and 0 would hide mistakes). */
    rng_state pr;
    rng_seed(&pr, 4);
    for (size_t i = 0; i < recur_rnn_get_param_count(lm->rnn); i++) {
        const char *name;
        float *v;
        size_t rows, cols;
        recur_rnn_get_param(lm->rnn, i, &name, &v, &rows, &cols);
        int gain = !strncmp(name, "weight_ln_", 10);
        if (gain || !strncmp(name, "bias_ln_", 8))
            for (size_t k = 0; k < rows * cols; k++)
                v[k] = (gain ? 0.5f : -0.5f) + rng_uniform(&pr);
    }
    int32_t x[T * B], y[T * B];
    random_ids(x, T * B, 1);
    random_ids(y, T * B, 2);
    y[4] = -1; /* a masked target */
    lm_set_training(lm, 1);
    rng_state rng = lm->rng;
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
    gradcheck("LSTM variational 0.3 + recurrent dropout 0.3",
              reg_config(RECUR_LSTM, 0.3f, 1, 0.3f, 0.0f));
    gradcheck("GRU recurrent dropout 0.3",
              reg_config(RECUR_GRU, 0.0f, 0, 0.3f, 0.0f));
    gradcheck("GRU_RESET_BEFORE recurrent dropout 0.3",
              reg_config(RECUR_GRU_RESET_BEFORE, 0.0f, 0, 0.3f, 0.0f));
    gradcheck("LSTM zoneout 0.3", reg_config(RECUR_LSTM, 0.0f, 0, 0.0f, 0.3f));
    gradcheck("GRU zoneout 0.3", reg_config(RECUR_GRU, 0.0f, 0, 0.0f, 0.3f));
    gradcheck("RNN_TANH zoneout 0.3",
              reg_config(RECUR_RNN_TANH, 0.0f, 0, 0.0f, 0.3f));
    gradcheck("LSTM everything",
              reg_config(RECUR_LSTM, 0.2f, 1, 0.25f, 0.2f));
    lm_config c = reg_config(RECUR_LSTM, 0.2f, 1, 0.25f, 0.2f);
    c.arch.rnn.layer_norm = 1;
    gradcheck("LSTM layer norm, everything", c);
    c = small_config(RECUR_GRU, 1, 0.2f);
    c.arch.rnn.layer_norm = 1;
    gradcheck("GRU layer norm tied dropout 0.2", c);
}

/* feed() one token at a time gives the logits of the chunk forward (in
 * evaluation: dropouts off, zoneout as its expectation in both). */
static void step_api(lm_config c)
{
    recur_lm *lm;
    recur_lm_state *st;
    CHECK(lm_create(&c, 5, LM_INIT_ORTHOGONAL | LM_INIT_FORGET_BIAS, &lm) == RECUR_OK,
          "create");
    CHECK(recur_lm_state_create(lm, &st) == RECUR_OK, "state");
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
        const float *l = recur_lm_state_get_logits(st);
        for (int v = 0; v < V; v++)
            err = fmax(err, fabs(l[v] - chunk_logits[t * V + v]));
    }
    CHECK(err < 1e-5, "step logits differ from the chunk's by %g", err);
    float probs[V];
    CHECK(recur_lm_state_get_probs(st, 0.5f, probs) == RECUR_OK, "probs");
    double total = 0;
    for (int v = 0; v < V; v++)
        total += probs[v];
    CHECK(fabs(total - 1.0) < 1e-5, "probabilities sum to %g", total);
    CHECK(recur_lm_state_feed(st, V) == RECUR_ERR_ARGUMENT, "token V accepted");
    recur_lm_state_free(st);
    recur_lm_free(lm);
}

void test_lm_step_api(void)
{
    step_api(small_config(RECUR_LSTM, 0, 0.0f));
    step_api(reg_config(RECUR_LSTM, 0.3f, 1, 0.3f, 0.3f));
    step_api(reg_config(RECUR_GRU, 0.0f, 0, 0.0f, 0.4f));
}

/* Whether element k of row (t, b) of x [T, B, w] is zero, for every t the
 * same (per sequence) or not; counts the zeros. */
static int zeros_constant_over_t(const float *x, size_t T_, size_t t0,
                                 size_t B_, size_t w, size_t *zeros)
{
    int same = 1;
    *zeros = 0;
    for (size_t t = t0; t < T_; t++)
        for (size_t b = 0; b < B_; b++)
            for (size_t k = 0; k < w; k++) {
                int z = x[(t * B_ + b) * w + k] == 0.0f;
                *zeros += (size_t)z;
                same &= z == (x[(t0 * B_ + b) * w + k] == 0.0f);
            }
    return same;
}

/* Variational dropout: the embedding, between layers and at the output,
 * each (stream, feature) is dropped at every step or at none; recurrent
 * dropout: the state entering W_hh has the same units zeroed at every
 * step after the first (h0 = 0). Without `variational` the dropout
 * pattern changes over time (so the check can fail). */
void test_lm_regularizer_masks(void)
{
    enum { TT = 6 };
    for (int variational = 1; variational >= 0; variational--) {
        lm_config c = reg_config(RECUR_LSTM, 0.5f, variational, 0.5f, 0.0f);
        recur_lm *lm;
        CHECK(lm_create(&c, 2, 0, &lm) == RECUR_OK, "create");
        int32_t x[TT * B], y[TT * B];
        random_ids(x, TT * B, 5);
        random_ids(y, TT * B, 6);
        lm_set_training(lm, 1);
        lm_reset_state(lm, B);
        double sum;
        size_t count, zeros;
        CHECK(lm_chunk(lm, TT, B, x, y, 0, &sum, &count) == RECUR_OK, "chunk");
        const size_t E = lm->E, P = lm->P, n_emb = TT * B * E, n_out = TT * B * P;
        const char *v = variational ? "variational" : "per element";
        const struct {
            const char *what;
            const float *x;
            size_t w, n;
        } dropped[] = {{"embedding", lm->emb, E, n_emb},
                       {"between layers", lm->rnn->drop_in[0], P, n_out},
                       {"output", lm->out_drop, P, n_out}};
        for (size_t i = 0; i < 3; i++) {
            int same = zeros_constant_over_t(dropped[i].x, TT, 0, B,
                                             dropped[i].w, &zeros);
            CHECK(same == variational, "%s dropout %s: the dropped units %s "
                  "over time", v, dropped[i].what,
                  same ? "stay the same" : "change");
            CHECK(zeros > dropped[i].n / 5 && zeros < dropped[i].n * 4 / 5,
                  "%s dropout %s: %zu of %zu dropped at p = 0.5", v,
                  dropped[i].what, zeros, dropped[i].n);
        }
        for (size_t l = 0; l < lm->L; l++) {
            const float *hp = lm->rnn->cache[l].hprev;
            CHECK(zeros_constant_over_t(hp, TT, 1, B, P, &zeros) &&
                      zeros > (TT - 1) * B * P / 5 &&
                      zeros < (TT - 1) * B * P * 4 / 5,
                  "recurrent dropout, layer %zu: %zu of %zu state units "
                  "zeroed, not the same at every step", l, zeros,
                  (size_t)(TT - 1) * B * P);
        }
        recur_lm_free(lm);
    }
}

/* Summed training loss of one chunk from a zero state (masks drawn). */
static double training_loss(recur_lm *lm, const int32_t *x, const int32_t *y)
{
    double sum;
    size_t count;
    lm_set_training(lm, 1);
    lm_reset_state(lm, B);
    return lm_chunk(lm, T, B, x, y, 0, &sum, &count) ? NAN : sum;
}

/* The public face of the configuration: recur_lm_get_config is the
 * architecture, recur_lm_get_regularizers what it trains with; setting the
 * regularisers again with the same seed replays the same masks, another
 * seed draws others; bad values are refused and not kept. */
void test_lm_public_config(void)
{
    lm_config c = reg_config(RECUR_LSTM, 0.25f, 1, 0.2f, 0.1f);
    c.reg.seed = 7;
    recur_lm *lm;
    CHECK(lm_create(&c, 3, 0, &lm) == RECUR_OK, "create: %s",
          recur_last_error());
    if (!lm)
        return;
    const recur_lm_config *a = recur_lm_get_config(lm);
    CHECK(a && a->vocab_size == V && a->embed_size == 5 && !a->tie_weights &&
              a->rnn.mode == RECUR_LSTM && a->rnn.num_layers == 2 &&
              a->rnn.hidden_size == 6,
          "recur_lm_get_config is not the architecture created");
    recur_regularizers r = {0};
    CHECK(recur_lm_get_regularizers(lm, &r) == RECUR_OK &&
              !memcmp(&r, &c.reg, sizeof r),
          "recur_lm_get_regularizers is not what it was created with");
    int32_t x[T * B], y[T * B];
    random_ids(x, T * B, 13);
    random_ids(y, T * B, 14);
    CHECK(recur_lm_set_regularizers(lm, &c.reg) == RECUR_OK, "set: %s",
          recur_last_error());
    double first = training_loss(lm, x, y), other = training_loss(lm, x, y);
    recur_lm_set_regularizers(lm, &c.reg);
    double again = training_loss(lm, x, y);
    CHECK(first == again && first != other,
          "the same seed does not replay the masks (%.17g, %.17g; next "
          "draw %.17g)", first, again, other);
    r = c.reg;
    r.seed = 8;
    recur_lm_set_regularizers(lm, &r);
    CHECK(training_loss(lm, x, y) != first, "seed 8 drew seed 7's masks");
    recur_regularizers bad = c.reg;
    bad.zoneout = 1.0f;
    CHECK(recur_lm_set_regularizers(lm, &bad) == RECUR_ERR_ARGUMENT &&
              strstr(recur_last_error(), "zoneout") &&
              recur_lm_get_regularizers(lm, &bad) == RECUR_OK &&
              !memcmp(&bad, &r, sizeof r),
          "zoneout 1 accepted or kept: %s", recur_last_error());
    CHECK(recur_lm_set_regularizers(NULL, &r) == RECUR_ERR_ARGUMENT &&
              recur_lm_set_regularizers(lm, NULL) == RECUR_ERR_ARGUMENT &&
              recur_lm_get_regularizers(lm, NULL) == RECUR_ERR_ARGUMENT &&
              !recur_lm_get_config(NULL),
          "NULL accepted");
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
    lm_config c = small_config(RECUR_LSTM, 0, 0.1f);
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
    resume_case("LSTM dropout", small_config(RECUR_LSTM, 0, 0.25f));
    resume_case("LSTM variational, recurrent dropout, zoneout",
                reg_config(RECUR_LSTM, 0.25f, 1, 0.2f, 0.15f));
    resume_case("GRU recurrent dropout, zoneout",
                reg_config(RECUR_GRU, 0.1f, 0, 0.3f, 0.1f));
    lm_config c = small_config(RECUR_LSTM, 0, 0.25f);
    c.arch.rnn.layer_norm = 1;
    resume_case("LSTM layer norm", c);
}

/* Overwrites the first occurrence of `from` in the buffer by `to` (same
 * length), after the first occurrence of `after`; 0 if not found. */
static int patch(char *buf, size_t n, const char *after, const char *from,
                 const char *to)
{
    size_t la = strlen(after), lf = strlen(from);
    for (size_t i = 0; i + la <= n; i++)
        if (!memcmp(buf + i, after, la))
            for (size_t j = i; j + lf <= n; j++)
                if (!memcmp(buf + j, from, lf)) {
                    memcpy(buf + j, to, lf);
                    return 1;
                }
    return 0;
}

/* The model metadata holds the regularisers; a checkpoint from before they
 * existed (no keys) reads as all off; a value out of range is refused. */
void test_lm_metadata_regs(void)
{
    char dir[] = "/tmp/recur-test-regs-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[128];
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    lm_config c = reg_config(RECUR_GRU, 0.25f, 1, 0.375f, 0.125f);
    recur_lm *lm;
    st_writer *w;
    CHECK(lm_create(&c, 1, 0, &lm) == RECUR_OK, "create");
    CHECK(st_writer_new(&w) == RECUR_OK && lm_write(lm, "test", w) == RECUR_OK &&
              st_writer_write(w, path) == RECUR_OK,
          "write: %s", recur_last_error());
    st_writer_free(w);
    recur_lm_free(lm);
    FILE *f = fopen(path, "rb");
    static char buf[1 << 16];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    CHECK(n > 0 && n < sizeof buf, "read back %zu bytes", n);
    st_file *st;
    CHECK(st_parse(buf, n, "new", &st) == RECUR_OK, "parse");
    lm = NULL;
    CHECK(lm_read(st, "new", &lm) == RECUR_OK &&
              lm->config.reg.variational == 1 &&
              lm->config.reg.recurrent_dropout == 0.375f &&
              lm->config.reg.zoneout == 0.125f,
          "the regularisers do not read back");
    recur_lm_free(lm);
    st_free(st);

    /* Out of range: zoneout "0.125" -> "1.125". */
    static char bad[sizeof buf];
    memcpy(bad, buf, n);
    CHECK(patch(bad, n, "\"zoneout\"", "\"0.125\"", "\"1.125\""), "patch");
    lm = NULL;
    CHECK(st_parse(bad, n, "bad", &st) == RECUR_OK &&
              lm_read(st, "bad", &lm) == RECUR_ERR_FORMAT && !lm &&
              strstr(recur_last_error(), "zoneout"),
          "zoneout 1.125 accepted or not named: %s", recur_last_error());
    st_free(st);

    /* An older checkpoint: the keys renamed out of the way. */
    CHECK(patch(buf, n, "", "\"variational\"", "\"xariational\"") &&
              patch(buf, n, "", "\"recurrent_dropout\"", "\"xecurrent_dropout\"") &&
              patch(buf, n, "", "\"zoneout\"", "\"xoneout\""),
          "patch");
    CHECK(st_parse(buf, n, "old", &st) == RECUR_OK, "parse old");
    lm = NULL;
    CHECK(lm_read(st, "old", &lm) == RECUR_OK &&
              lm->config.reg.variational == 0 &&
              lm->config.reg.recurrent_dropout == 0.0f &&
              lm->config.reg.zoneout == 0.0f && lm->config.reg.dropout == 0.25f,
          "an older checkpoint: %s", recur_last_error());
    recur_lm_free(lm);
    st_free(st);
    unlink(path);
    rmdir(dir);
}

/* A checkpoint whose metadata asks for a big model but whose file holds
 * none of its tensors is refused for the missing tensor, before anything
 * is allocated from those sizes: here 64 layers of 16384 units, some
 * 550 GB of parameters, from a file of a few hundred bytes (allocating
 * first failed on the memory, or, where it fitted, ran out of it). */
void test_lm_read_sizes_backed(void)
{
    char json[600];
    int len = snprintf(json, sizeof json,
        "{\"__metadata__\":{\"format\":\"recur-lm\",\"task\":\"charlm\","
        "\"mode\":\"LSTM\",\"hidden_size\":\"16384\",\"proj_size\":\"0\","
        "\"num_layers\":\"64\",\"bias\":\"1\",\"vocab_size\":\"3\","
        "\"embed_size\":\"16384\",\"tie_weights\":\"0\",\"dropout\":\"0\","
        "\"vocab\":\"abc\"},"
        "\"embedding.weight\":{\"dtype\":\"F32\",\"shape\":[1],"
        "\"data_offsets\":[0,4]}}");
    static unsigned char buf[8 + 600 + 4];
    size_t n = 8 + (size_t)len + 4;
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((size_t)len >> (8 * i));
    memcpy(buf + 8, json, (size_t)len);
    memset(buf + 8 + len, 0, 4);
    st_file *st = NULL;
    CHECK(st_parse(buf, n, "big", &st) == RECUR_OK, "parse: %s",
          recur_last_error());
    if (!st)
        return;
    recur_lm *lm = NULL;
    recur_status s = lm_read(st, "big", &lm);
    CHECK(s == RECUR_ERR_FORMAT && !lm &&
              strstr(recur_last_error(), "'embedding.weight' is missing"),
          "a 64 x 16384 model with no tensors: status %s, %s",
          recur_status_str(s), recur_last_error());
    recur_lm_free(lm);
    st_free(st);
}

/* recur eval's reading: with the tail, one stream scores all n - 1 next
 * tokens, and its loss is what feeding them one at a time gives. */
void test_lm_evaluate_tail(void)
{
    lm_config c = small_config(RECUR_GRU, 0, 0.0f);
    recur_lm *lm;
    recur_lm_state *st;
    lm_create(&c, 8, 0, &lm);
    int32_t ids[23];
    random_ids(ids, 23, 12);
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
