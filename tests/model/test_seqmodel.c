/*
 * test_seqmodel.c — the sequence model (src/model/seqmodel.h): loss, predictions
 * and every gradient against PyTorch (tests/fixtures/seq, from
 * tools/gen_seq_fixtures.py) for each pooling and loss; finite differences
 * with dropout on; one step at a time against the batch; checkpoints and
 * hostile ones; misuse. Training it is tests/train/test_fit.c's.
 */
#include "base/error.h"
#include "fixture.h"
#include "model/seqmodel.h"
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The examples of a fixture's data file as a seq_data. */
static int load_data(const st_file *st, seq_data *d, size_t K, size_t I)
{
    memset(d, 0, sizeof *d);
    const st_tensor *off = st_find(st, "offset");
    if (!off)
        return 0;
    d->n = off->numel - 1;
    int64_t *tmp = malloc(off->numel * sizeof(int64_t));
    d->offset = malloc(off->numel * sizeof(size_t));
    st_to_i64(off, tmp);
    for (size_t i = 0; i <= d->n; i++)
        d->offset[i] = (size_t)tmp[i];
    free(tmp);
    size_t steps = d->offset[d->n];
    const st_tensor *t;
    if ((t = st_find(st, "tokens"))) {
        tmp = malloc(steps * sizeof(int64_t));
        d->tokens = malloc(steps * sizeof(int32_t));
        st_to_i64(t, tmp);
        for (size_t i = 0; i < steps; i++)
            d->tokens[i] = (int32_t)tmp[i];
        free(tmp);
    } else {
        d->features = I;
        d->x = fixture_f32(st, "x");
    }
    d->outputs = K;
    if ((t = st_find(st, "label"))) {
        tmp = malloc(d->n * sizeof(int64_t));
        d->label = malloc(d->n * sizeof(int32_t));
        st_to_i64(t, tmp);
        for (size_t i = 0; i < d->n; i++)
            d->label[i] = (int32_t)tmp[i];
        free(tmp);
    } else {
        d->y = fixture_f32(st, "y");
        d->per_step = st_find(st, "y")->numel == steps * K;
    }
    return 1;
}

static void tensor_of(const void *m, size_t i, char *name, size_t size,
                      size_t *offset, size_t shape[2], size_t *ndim)
{
    seq_model_tensor(m, i, name, size, offset, shape, ndim);
}

static void parity_case(const char *name)
{
    char path[512];
    st_file *mst, *dst;
    seq_model *m = NULL;
    if (!fixture_open_case("seq", name, &mst, path, sizeof path, &dst))
        return;
    recur_status s = seq_model_read(mst, path, &m);
    CHECK(s == RECUR_OK, "%s: reading: %s", name, recur_last_error());
    if (s) {
        st_free(mst);
        st_free(dst);
        return;
    }
    const seq_config *c = seq_model_config(m);
    seq_data d;
    load_data(dst, &d, c->outputs, c->rnn.input_size);
    size_t *idx = malloc(d.n * sizeof(size_t));
    for (size_t i = 0; i < d.n; i++)
        idx[i] = i;
    const st_tensor *ref_out = st_find(dst, "out");
    float *out = calloc(ref_out->numel, sizeof(float));
    double sum;
    size_t counted;
    s = seq_model_batch(m, &d, idx, d.n, 1, &sum, &counted, out);
    CHECK(s == RECUR_OK, "%s: batch: %s", name, recur_last_error());
    float *want_loss = fixture_f32(dst, "loss");
    double got = sum / (double)counted;
    CHECK(fabs(got - want_loss[0]) <= 1e-5 * fmax(1.0, fabs(want_loss[0])),
          "%s: loss %.9g, PyTorch %.9g", name, got, (double)want_loss[0]);
    fixture_compare(name, "out", out, ref_out, TOL_OUTPUT);
    char worst[300];
    fixture_compare_grads(name, dst, m, seq_model_tensor_count(m), tensor_of,
                          seq_model_grads(m), TOL_GRAD, worst, sizeof worst);
    free(want_loss);
    free(out);
    free(idx);
    seq_data_free(&d);
    seq_model_free(m);
    st_free(mst);
    st_free(dst);
}

void test_seqmodel_parity(void)
{
    size_t cases = fixture_each_case("seq", parity_case);
    CHECK(cases >= 8, "%zu sequence-model fixtures", cases);
}

/* ---- finite differences ---- */

/* Random examples of lengths 1..T for config c. */
static void random_data(const seq_config *c, size_t n, size_t T, uint64_t seed,
                        seq_data *d)
{
    rng_state rng;
    rng_seed(&rng, seed);
    memset(d, 0, sizeof *d);
    d->n = n;
    d->offset = malloc((n + 1) * sizeof(size_t));
    d->offset[0] = 0;
    for (size_t i = 0; i < n; i++)
        d->offset[i + 1] = d->offset[i] + 1 + (i == 0 ? T - 1 : rng_below(&rng, T));
    size_t steps = d->offset[n], K = c->outputs, I = c->rnn.input_size;
    d->outputs = K;
    if (c->vocab_size) {
        d->tokens = malloc(steps * sizeof(int32_t));
        for (size_t i = 0; i < steps; i++)
            d->tokens[i] = 1 + (int32_t)rng_below(&rng, c->vocab_size - 1);
    } else {
        d->features = I;
        d->x = malloc(steps * I * sizeof(float));
        for (size_t i = 0; i < steps * I; i++)
            d->x[i] = 2.0f * rng_uniform(&rng) - 1.0f;
    }
    if (c->loss == SEQ_LOSS_XENT) {
        d->label = malloc(n * sizeof(int32_t));
        for (size_t i = 0; i < n; i++)
            d->label[i] = (int32_t)rng_below(&rng, K);
    } else {
        d->per_step = c->pool == SEQ_POOL_STEP;
        size_t rows = d->per_step ? steps : n;
        d->y = malloc(rows * K * sizeof(float));
        for (size_t i = 0; i < rows * K; i++)
            d->y[i] = d->per_step ? (float)(rng_uniform(&rng) < 0.3f)
                                  : 3.0f * (2.0f * rng_uniform(&rng) - 1.0f);
    }
}

/* The mean loss (a fixture_batch's loss). */
static double batch_loss(void *model, const void *data, const size_t *idx,
                         size_t B, uint64_t seed)
{
    seq_model_set_seed(model, seed); /* the same dropout masks every time */
    double sum;
    size_t counted;
    seq_model_batch(model, data, idx, B, 0, &sum, &counted, NULL);
    return sum / (double)counted;
}

static seq_config small(recur_mode mode, size_t V, int bidir, size_t layers,
                        seq_pool pool, seq_loss loss, size_t K, float dropout)
{
    seq_config c;
    memset(&c, 0, sizeof c);
    c.rnn.mode = mode;
    c.rnn.input_size = V ? 4 : 3;
    c.rnn.hidden_size = 5;
    c.rnn.num_layers = layers;
    c.rnn.bidirectional = bidir;
    c.rnn.bias = 1;
    c.vocab_size = V;
    c.embed_size = V ? 4 : 0;
    c.outputs = K;
    c.pool = pool;
    c.loss = loss;
    c.dropout = dropout;
    return c;
}

static void gradcheck(const char *what, seq_config c)
{
    seq_model *m = NULL;
    CHECK(seq_model_create(&c, 7, &m) == RECUR_OK, "%s: create: %s", what,
          recur_last_error());
    if (!m)
        return;
    seq_data d;
    random_data(&c, 4, 6, 11, &d);
    size_t idx[3] = {2, 0, 3};
    seq_model_set_training(m, 1);
    seq_model_set_seed(m, 5);
    double sum;
    size_t counted;
    size_t n = seq_model_size(m);
    memset(seq_model_grads(m), 0, n * sizeof(float));
    CHECK(seq_model_batch(m, &d, idx, 3, 1, &sum, &counted, NULL) == RECUR_OK,
          "%s: batch", what);
    float *analytic = malloc(n * sizeof(float));
    memcpy(analytic, seq_model_grads(m), n * sizeof(float));
    fixture_batch batch = {.loss = batch_loss, .model = m, .data = &d,
                           .idx = idx, .B = 3, .seed = 5};
    int bad = fixture_central_differences(what, seq_model_params(m), analytic, n,
                                          fixture_batch_loss, &batch);
    CHECK(bad == 0, "%s: %d of %zu gradients disagree with finite differences",
          what, bad, n);
    free(analytic);
    seq_data_free(&d);
    seq_model_free(m);
}

void test_seqmodel_gradcheck(void)
{
    gradcheck("LSTM bi tokens last xent dropout 0.3",
              small(RECUR_LSTM, 7, 1, 2, SEQ_POOL_LAST, SEQ_LOSS_XENT, 3, 0.3f));
    gradcheck("GRU tokens mean xent dropout 0.2",
              small(RECUR_GRU, 6, 0, 1, SEQ_POOL_MEAN, SEQ_LOSS_XENT, 2, 0.2f));
    gradcheck("RNN bi dense max xent",
              small(RECUR_RNN_TANH, 0, 1, 1, SEQ_POOL_MAX, SEQ_LOSS_XENT, 3, 0.0f));
    gradcheck("LSTM dense last mse dropout 0.2",
              small(RECUR_LSTM, 0, 0, 2, SEQ_POOL_LAST, SEQ_LOSS_MSE, 3, 0.2f));
    gradcheck("GRU dense last huber",
              small(RECUR_GRU, 0, 0, 1, SEQ_POOL_LAST, SEQ_LOSS_HUBER, 2, 0.0f));
    gradcheck("LSTM dense step bce dropout 0.2",
              small(RECUR_LSTM, 0, 0, 2, SEQ_POOL_STEP, SEQ_LOSS_BCE, 4, 0.2f));
}

/* ---- streaming, checkpoints, misuse ---- */

/* One step at a time gives the batch's per-step probabilities. */
void test_seqmodel_stream(void)
{
    seq_config c = small(RECUR_LSTM, 0, 0, 2, SEQ_POOL_STEP, SEQ_LOSS_BCE, 4, 0.0f);
    seq_model *m = NULL;
    seq_model_create(&c, 3, &m);
    seq_data d;
    random_data(&c, 1, 6, 4, &d);
    size_t idx = 0, T = seq_len(&d, 0), counted;
    float *out = malloc(T * 4 * sizeof(float)), step[4];
    double sum, err = 0;
    CHECK(seq_model_batch(m, &d, &idx, 1, 0, &sum, &counted, out) == RECUR_OK,
          "batch");
    CHECK(seq_model_reset_stream(m) == RECUR_OK, "reset");
    for (size_t t = 0; t < T; t++) {
        CHECK(seq_model_stream(m, d.x + t * 3, step) == RECUR_OK, "step %zu", t);
        for (size_t k = 0; k < 4; k++)
            err = fmax(err, fabs(step[k] - out[t * 4 + k]));
    }
    CHECK(err < 1e-6, "stream vs batch: max error %g over %zu steps", err, T);
    free(out);
    seq_data_free(&d);
    seq_model_free(m);

    c = small(RECUR_GRU, 0, 1, 1, SEQ_POOL_LAST, SEQ_LOSS_MSE, 2, 0.0f);
    seq_model_create(&c, 3, &m);
    CHECK(seq_model_reset_stream(m) == RECUR_ERR_ARGUMENT,
          "a bidirectional model cannot stream");
    seq_model_free(m);
}

void test_seqmodel_checkpoint(void)
{
    seq_config c = small(RECUR_GRU, 9, 1, 2, SEQ_POOL_MEAN, SEQ_LOSS_XENT, 3, 0.1f);
    seq_model *m = NULL, *back = NULL;
    seq_model_create(&c, 21, &m);
    char path[] = "/tmp/recur_seqXXXXXX";
    int fd = mkstemp(path);
    close(fd);
    st_writer *w = NULL;
    recur_status s = st_writer_new(&w);
    if (!s) s = seq_model_write(m, "classify", w);
    if (!s) s = st_writer_write(w, path);
    st_writer_free(w);
    st_file *st = NULL;
    if (!s) s = st_read(path, &st);
    if (!s) s = seq_model_read(st, path, &back);
    CHECK(s == RECUR_OK, "write and read back: %s", recur_last_error());
    if (back) {
        CHECK(seq_model_size(back) == seq_model_size(m) &&
              !memcmp(seq_model_params(back), seq_model_params(m),
                      seq_model_size(m) * sizeof(float)) &&
              seq_model_config(back)->pool == SEQ_POOL_MEAN &&
              seq_model_config(back)->rnn.bidirectional == 1 &&
              seq_model_config(back)->dropout == 0.1f,
              "the checkpoint holds the same model");
        CHECK(!strcmp(st_meta(st, "task"), "classify"), "task kept");
    }
    st_free(st);
    seq_model_free(back);

    /* Hostile metadata: each edit must be refused with a message. */
    static const char *const edits[][2] = {
        {"format", "recur-lm"}, {"pool", "median"}, {"loss", "hinge"},
        {"outputs", "4"},       {"hidden_size", "99999999"},
        {"num_layers", "-1"},   {"dropout", "1.5"}, {"vocab_size", "8"},
        {"bidirectional", "2"}, {"mode", "TRANSFORMER"},
    };
    for (size_t e = 0; e < sizeof edits / sizeof *edits; e++) {
        st_writer_new(&w);
        seq_model_write(m, "classify", w);
        st_writer_meta(w, edits[e][0], edits[e][1]);
        s = st_writer_write(w, path);
        st_writer_free(w);
        st = NULL;
        back = NULL;
        if (!s)
            s = st_read(path, &st);
        if (!s)
            s = seq_model_read(st, path, &back);
        CHECK(s == RECUR_ERR_FORMAT && back == NULL &&
              strstr(recur_last_error(), path) != NULL,
              "metadata %s = %s refused (got %s: %s)", edits[e][0], edits[e][1],
              recur_status_str(s), recur_last_error());
        st_free(st);
        seq_model_free(back);
    }
    unlink(path);
    seq_model_free(m);
}

void test_seqmodel_misuse(void)
{
    seq_model *m = NULL;
    seq_config c = small(RECUR_LSTM, 5, 0, 1, SEQ_POOL_STEP, SEQ_LOSS_XENT, 3, 0.0f);
    CHECK(seq_model_create(&c, 1, &m) == RECUR_ERR_ARGUMENT && !m,
          "xent with per-step pooling refused");
    c = small(RECUR_LSTM, 5, 0, 1, SEQ_POOL_LAST, SEQ_LOSS_BCE, 3, 0.0f);
    CHECK(seq_model_create(&c, 1, &m) == RECUR_ERR_ARGUMENT, "pooled bce refused");
    c = small(RECUR_LSTM, 5, 0, 1, SEQ_POOL_LAST, SEQ_LOSS_XENT, 3, 1.0f);
    CHECK(seq_model_create(&c, 1, &m) == RECUR_ERR_ARGUMENT, "dropout 1 refused");
    c = small(RECUR_LSTM, 5, 0, 1, SEQ_POOL_LAST, SEQ_LOSS_XENT, 3, 0.0f);
    CHECK(seq_model_create(&c, 1, &m) == RECUR_OK, "create");
    seq_data d;
    random_data(&c, 3, 4, 2, &d);
    size_t idx[2] = {0, 1}, bad_idx = 3, counted;
    double sum;
    CHECK(seq_model_batch(m, &d, &bad_idx, 1, 0, &sum, &counted, NULL) ==
              RECUR_ERR_ARGUMENT, "example index out of range");
    d.tokens[0] = 5;
    CHECK(seq_model_batch(m, &d, idx, 2, 0, &sum, &counted, NULL) ==
              RECUR_ERR_ARGUMENT, "token id out of range");
    d.tokens[0] = 1;
    d.label[1] = 3;
    CHECK(seq_model_batch(m, &d, idx, 2, 0, &sum, &counted, NULL) ==
              RECUR_ERR_ARGUMENT, "label out of range");
    d.label[1] = 0;
    d.outputs = 2;
    CHECK(seq_model_batch(m, &d, idx, 2, 0, &sum, &counted, NULL) ==
              RECUR_ERR_ARGUMENT, "outputs mismatch");
    d.outputs = 3;
    CHECK(seq_model_batch(m, &d, idx, 2, 0, &sum, &counted, NULL) == RECUR_OK &&
              counted == 2 && sum > 0, "a good batch");
    CHECK(seq_model_stream(m, d.x, NULL) == RECUR_ERR_STATE,
          "stream before reset");
    /* A token fed one step at a time is a whole number in [0, V). */
    float out[3], bad_ids[4] = {2.5f, -1.0f, 5.0f, 1e30f};
    seq_model_set_training(m, 1);
    CHECK(seq_model_reset_stream(m) == RECUR_OK, "reset the stream");
    for (int i = 0; i < 4; i++)
        CHECK(seq_model_stream(m, &bad_ids[i], out) == RECUR_ERR_ARGUMENT,
              "stream token %g refused", (double)bad_ids[i]);
    CHECK(seq_model_stream(m, &(float){4.0f}, out) == RECUR_OK,
          "stream token 4: %s", recur_last_error());
    seq_data_free(&d);
    seq_model_free(m);

    /* A refused step leaves the model in training mode: the batch after it
     * draws dropout as one in training mode does. */
    c = small(RECUR_LSTM, 5, 0, 1, SEQ_POOL_LAST, SEQ_LOSS_XENT, 3, 0.5f);
    CHECK(seq_model_create(&c, 1, &m) == RECUR_OK, "create with dropout");
    random_data(&c, 3, 4, 2, &d);
    double after, fresh;
    seq_model_set_training(m, 1);
    seq_model_reset_stream(m);
    seq_model_stream(m, &(float){-1.0f}, out);
    seq_model_set_seed(m, 9);
    seq_model_batch(m, &d, idx, 2, 0, &after, &counted, NULL);
    seq_model_set_training(m, 1);
    seq_model_set_seed(m, 9);
    seq_model_batch(m, &d, idx, 2, 0, &fresh, &counted, NULL);
    CHECK(after == fresh, "after a refused step the loss is %.9g, in "
          "training mode %.9g", after, fresh);
    seq_data_free(&d);
    seq_model_free(m);
}
