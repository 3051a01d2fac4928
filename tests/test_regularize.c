/*
 * test_regularize.c — the stack's regularisers beyond their gradients
 * (test_gradcheck.c): zoneout in evaluation is exactly its expectation on
 * a case worked by hand; recurrent dropout is off in evaluation; variational
 * dropout between layers uses one mask per sequence, in the packed layout
 * with unsorted lengths; the setters refuse bad values; a saved stack
 * keeps its zoneout.
 */
#include "io/safetensors.h"
#include "stack/stack.h"
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One tanh unit, I = H = 1, no bias: h̃_t = tanh(a·x_t + b·h_{t−1}),
 * h_t = z·h_{t−1} + (1 − z)·h̃_t. a and b are powers of two, so both
 * products are exact and the pre-activation is one rounding whatever the
 * BLAS does: the result must match bit for bit. */
static void zoneout_by_hand(void)
{
    enum { TT = 4 };
    const float a = 0.5f, b = -0.25f, z = 0.3f, h0 = 0.75f;
    const float x[TT] = {1.0f, -2.0f, 0.375f, 3.0f};
    recur_rnn_config cfg = recur_rnn_config_default(RECUR_RNN_TANH, 1, 1);
    cfg.bias = 0;
    recur_rnn *rnn;
    CHECK(recur_rnn_create(&cfg, 1, &rnn) == RECUR_OK, "create");
    if (!rnn)
        return;
    float *w;
    recur_rnn_get_param(rnn, 0, NULL, &w, NULL, NULL);
    *w = a;
    recur_rnn_get_param(rnn, 1, NULL, &w, NULL, NULL);
    *w = b;
    /* Recurrent dropout does nothing in evaluation. */
    recur_regularizers reg = {.zoneout = z, .recurrent_dropout = 0.5f};
    CHECK(recur_rnn_set_regularizers(rnn, &reg) == RECUR_OK, "regularizers");
    recur_rnn_set_training(rnn, 0);
    float y[TT], h_n;
    CHECK(recur_rnn_forward(rnn, TT, 1, x, NULL, &h0, NULL, y, &h_n, NULL) ==
              RECUR_OK, "forward: %s", recur_last_error());
    float h = h0;
    int exact = 1;
    for (int t = 0; t < TT; t++) {
        float cand = tanhf(a * x[t] + b * h);
        h = z * h + (1.0f - z) * cand;
        exact &= y[t] == h;
        if (y[t] != h)
            fprintf(stderr, "  step %d: y %.9g, by hand %.9g\n", t, y[t], h);
    }
    CHECK(exact && h_n == h, "zoneout in evaluation is not z·h + (1 − z)·h̃");

    /* Training with z close to 1 keeps nearly every previous value; with
     * the same seed the run repeats exactly. */
    float y2[TT];
    recur_rnn_set_training(rnn, 1);
    reg = (recur_regularizers){.zoneout = 0.999f, .seed = 5};
    CHECK(recur_rnn_set_regularizers(rnn, &reg) == RECUR_OK, "regularizers");
    recur_rnn_forward(rnn, TT, 1, x, NULL, &h0, NULL, y, NULL, NULL);
    recur_rnn_set_regularizers(rnn, &reg);
    recur_rnn_forward(rnn, TT, 1, x, NULL, &h0, NULL, y2, NULL, NULL);
    CHECK(!memcmp(y, y2, sizeof y), "the same seed drew other masks");
    CHECK(y[0] == h0 && y[TT - 1] == h0,
          "zoneout 0.999 in training changed the state: %g %g", y[0],
          y[TT - 1]);
    recur_rnn_free(rnn);
}

/* A 2-layer stack with unsorted lengths and variational dropout: packed
 * row j of every step (sorted sequence j) is dropped where mask row j is,
 * and the previous layer's outputs are never 0 by themselves. */
static void variational_packed(void)
{
    enum { TT = 5, BB = 4, I = 3, H = 8 };
    static const int64_t lengths[BB] = {3, 5, 1, 4};
    recur_rnn_config cfg = recur_rnn_config_default(RECUR_GRU, I, H);
    cfg.num_layers = 2;
    cfg.bidirectional = 1;
    recur_rnn *rnn;
    CHECK(recur_rnn_create(&cfg, 3, &rnn) == RECUR_OK, "create");
    if (!rnn)
        return;
    float x[TT * BB * I], y[TT * BB * 2 * H];
    for (size_t i = 0; i < TT * BB * I; i++)
        x[i] = (float)((i * 7) % 11) / 5.0f - 1.0f;
    for (int variational = 1; variational >= 0; variational--) {
        recur_rnn_set_training(rnn, 1);
        const recur_regularizers reg = {.dropout = 0.5f,
                                        .variational = variational, .seed = 9};
        CHECK(recur_rnn_set_regularizers(rnn, &reg) == RECUR_OK,
              "regularizers");
        CHECK(recur_rnn_forward(rnn, TT, BB, x, lengths, NULL, NULL, y, NULL,
                                NULL) == RECUR_OK,
              "forward: %s", recur_last_error());
        const packed_layout *lay = &rnn->layout;
        const float *out = rnn->out[0], *in = rnn->drop_in[0];
        const size_t w = 2 * H;
        int same = 1, nonzero = 1;
        size_t zeros = 0;
        for (size_t t = 0; t < TT; t++)
            for (size_t j = 0; j < lay->batch[t]; j++)
                for (size_t k = 0; k < w; k++) {
                    size_t row = lay->offset[t] + j;
                    int dropped = in[row * w + k] == 0.0f;
                    nonzero &= out[row * w + k] != 0.0f;
                    zeros += (size_t)dropped;
                    /* Step 0 holds every sequence. */
                    same &= dropped == (in[j * w + k] == 0.0f);
                }
        CHECK(nonzero, "a layer output is exactly 0");
        CHECK(same == variational, "%s dropout between layers: the dropped "
              "units %s over time", variational ? "variational" : "per element",
              same ? "stay the same" : "change");
        CHECK(zeros > 0 && zeros < rnn->N * w, "%zu of %zu dropped", zeros,
              rnn->N * w);
    }
    recur_rnn_free(rnn);
}

/* What is set reads back; each bad field is refused, named in the
 * message, and leaves the regularisers as they were. */
static void setters_refuse(void)
{
    recur_rnn_config cfg = recur_rnn_config_default(RECUR_LSTM, 2, 3);
    recur_rnn *rnn;
    CHECK(recur_rnn_create(&cfg, 1, &rnn) == RECUR_OK, "create");
    if (!rnn)
        return;
    const recur_regularizers good = {.dropout = 0.25f, .variational = 1,
                                     .recurrent_dropout = 0.125f,
                                     .zoneout = 0.5f, .seed = 42};
    recur_regularizers got = {0};
    CHECK(recur_rnn_get_regularizers(rnn, &got) == RECUR_OK &&
              !memcmp(&got, &(recur_regularizers){0}, sizeof got),
          "a new stack has regularisers");
    CHECK(recur_rnn_set_regularizers(rnn, &good) == RECUR_OK &&
              recur_rnn_get_regularizers(rnn, &got) == RECUR_OK &&
              !memcmp(&got, &good, sizeof got),
          "the regularisers do not read back: %s", recur_last_error());
    const float bad[] = {-0.1f, 1.0f, 2.0f, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        for (int field = 0; field < 3; field++) {
            recur_regularizers r = good;
            *(field == 0 ? &r.dropout
              : field == 1 ? &r.recurrent_dropout : &r.zoneout) = bad[i];
            const char *name = field == 0 ? "dropout"
                               : field == 1 ? "recurrent_dropout" : "zoneout";
            CHECK(recur_rnn_set_regularizers(rnn, &r) == RECUR_ERR_ARGUMENT &&
                      strstr(recur_last_error(), name),
                  "%s %g accepted or not named: %s", name, (double)bad[i],
                  recur_last_error());
        }
    recur_regularizers r = good;
    r.variational = 2;
    CHECK(recur_rnn_set_regularizers(rnn, &r) == RECUR_ERR_ARGUMENT &&
              strstr(recur_last_error(), "variational"),
          "variational 2 accepted");
    CHECK(recur_rnn_set_regularizers(NULL, &good) == RECUR_ERR_ARGUMENT &&
              recur_rnn_set_regularizers(rnn, NULL) == RECUR_ERR_ARGUMENT &&
              recur_rnn_get_regularizers(NULL, &got) == RECUR_ERR_ARGUMENT &&
              recur_rnn_get_regularizers(rnn, NULL) == RECUR_ERR_ARGUMENT,
          "NULL accepted");
    CHECK(recur_rnn_get_regularizers(rnn, &got) == RECUR_OK &&
              !memcmp(&got, &good, sizeof got),
          "a refused value was kept");
    CHECK(recur_rnn_get_training(rnn) == 0, "a new stack is in training mode");
    recur_rnn_set_training(rnn, 1);
    CHECK(recur_rnn_get_training(rnn) == 1, "training mode does not read back");
    CHECK(recur_rnn_get_training(NULL) == 0, "a NULL handle is training");
    recur_rnn_free(rnn);
}

/* Zoneout changes the evaluation function, so a saved stack keeps it: the
 * reloaded stack computes the same outputs; a bad value in a file is
 * refused. */
static void zoneout_saved(void)
{
    recur_rnn_config c = recur_rnn_config_default(RECUR_LSTM, 3, 4);
    recur_rnn *rnn, *back = NULL;
    recur_rnn_create(&c, 5, &rnn);
    recur_rnn_set_regularizers(rnn, &(recur_regularizers){.zoneout = 0.3f});
    char dir[] = "/tmp/recur-test-zoneout-XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(path, sizeof path, "%s/z.safetensors", dir);
    CHECK(recur_rnn_save(rnn, path) == RECUR_OK, "save: %s", recur_last_error());
    CHECK(recur_rnn_load(path, &back) == RECUR_OK, "load: %s", recur_last_error());
    if (back) {
        recur_regularizers r = {0};
        recur_rnn_get_regularizers(back, &r);
        CHECK(r.zoneout == 0.3f, "zoneout %g after loading", (double)r.zoneout);
        float x[5 * 2 * 3], y1[5 * 2 * 4], y2[5 * 2 * 4];
        for (int i = 0; i < 30; i++)
            x[i] = (float)(i % 7) / 7.0f - 0.4f;
        recur_rnn_forward(rnn, 5, 2, x, NULL, NULL, NULL, y1, NULL, NULL);
        recur_rnn_forward(back, 5, 2, x, NULL, NULL, NULL, y2, NULL, NULL);
        CHECK(!memcmp(y1, y2, sizeof y1), "reloaded stack computes another function");
    }
    recur_rnn_free(back);
    /* The same file with zoneout 1.5 is refused. */
    st_file *st;
    st_read(path, &st);
    st_writer *w;
    st_writer_new(&w);
    for (size_t i = 0; i < st_count(st); i++) {
        const st_tensor *t = st_at(st, i);
        st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, t->data);
    }
    st_writer_meta(w, "mode", "LSTM");
    st_writer_meta(w, "zoneout", "1.5");
    st_writer_write(w, path);
    st_writer_free(w);
    st_free(st);
    back = NULL;
    CHECK(recur_rnn_load(path, &back) == RECUR_ERR_SHAPE &&
              strstr(recur_last_error(), "zoneout"),
          "zoneout 1.5 in a file accepted");
    recur_rnn_free(back);
    recur_rnn_free(rnn);
    unlink(path);
    rmdir(dir);
}

void test_regularizers(void)
{
    zoneout_by_hand();
    variational_packed();
    setters_refuse();
    zoneout_saved();
}
