/*
 * test_lm.c — the language model (src/model/lm.h): gradients (with
 * dropout, tied weights, variational and recurrent dropout, zoneout)
 * against finite differences, the step API against the chunk forward,
 * masks per sequence constant over time, the public configuration and
 * regularisers (the same seed replays the same masks). Checkpoints are
 * test_lm_io.c's; training, evaluation, loss going down and bit-identical
 * resume are tests/train/test_train.c's.
 */
#include "fixture.h"
#include "model/lm.h"
#include "stack/stack.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    fixture_random_ids(ids, n, V, seed);
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

typedef struct {
    recur_lm *lm;
    const rng_state *rng;
    const int32_t *x, *y;
} chunk_ctx;

static double chunk_loss_of(void *ctx)
{
    chunk_ctx *c = ctx;
    return chunk_loss(c->lm, c->rng, c->x, c->y);
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
    chunk_ctx ctx = {.lm = lm, .rng = &rng, .x = x, .y = y};
    int bad = fixture_central_differences(what, lm->params, analytic,
                                          lm->n_params, chunk_loss_of, &ctx);
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
