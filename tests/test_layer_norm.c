/*
 * test_layer_norm.c — layer-normalised cells around the numerics (those are
 * the ln_* fixtures and test_gradcheck): which modes accept layer_norm, the
 * parameters and their initialisation, files (round trip, all-or-none,
 * metadata that must agree) and language-model checkpoints.
 */
#include "model/lm.h"
#include "model/lm_io.h"
#include "io/safetensors.h"
#include "stack/stack.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static recur_rnn_config ln_config(recur_mode mode, size_t proj, int bidirectional)
{
    recur_rnn_config c = recur_rnn_config_default(mode, 3, 4);
    c.proj_size = proj;
    c.num_layers = 2;
    c.bidirectional = bidirectional;
    c.layer_norm = 1;
    return c;
}

/* Writes rnn's tensors (all but `skip`) and the given metadata. */
static recur_status write_model(recur_rnn *rnn, const char *path,
                                const char *skip, const char *mode,
                                const char *layer_norm)
{
    st_writer *w;
    recur_status s = st_writer_new(&w);
    for (size_t i = 0; !s && i < recur_rnn_get_param_count(rnn); i++) {
        const char *name;
        float *v;
        size_t shape[2];
        recur_rnn_get_param(rnn, i, &name, &v, &shape[0], &shape[1]);
        if (skip && !strcmp(name, skip))
            continue;
        s = st_writer_add(w, name, RECUR_DT_F32, stack_param_ndim(name),
                                shape, v);
    }
    if (!s && mode)
        s = st_writer_meta(w, "mode", mode);
    if (!s && layer_norm)
        s = st_writer_meta(w, "layer_norm", layer_norm);
    if (!s)
        s = st_writer_write(w, path);
    if (w)
        st_writer_free(w);
    return s;
}

void test_layer_norm_api(void)
{
    static const recur_mode other[] = {RECUR_RNN_TANH, RECUR_RNN_RELU,
                                       RECUR_GRU_RESET_BEFORE};
    for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
        recur_rnn_config c = ln_config(other[i], 0, 0);
        recur_rnn *rnn = NULL;
        CHECK(recur_rnn_create(&c, 1, &rnn) == RECUR_ERR_UNSUPPORTED && !rnn &&
                  strstr(recur_last_error(), "layer_norm"),
              "layer_norm on %s: not refused as unsupported (%s)",
              recur_mode_str(other[i]), recur_last_error());
    }
    recur_rnn_config c = ln_config(RECUR_LSTM, 0, 0);
    c.layer_norm = 2;
    recur_rnn *rnn = NULL;
    CHECK(recur_rnn_create(&c, 1, &rnn) == RECUR_ERR_ARGUMENT && !rnn,
          "layer_norm 2 accepted");

    /* Names, order, shapes and nn.LayerNorm's initialisation. */
    c = ln_config(RECUR_LSTM, 2, 1);
    CHECK(recur_rnn_create(&c, 1, &rnn) == RECUR_OK, "create: %s",
          recur_last_error());
    if (!rnn)
        return;
    static const char *const cell[] = {
        "weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr",
        "weight_ln_ih", "bias_ln_ih", "weight_ln_hh", "bias_ln_hh",
        "weight_ln_c", "bias_ln_c"};
    const size_t per = sizeof cell / sizeof *cell;
    CHECK(recur_rnn_get_param_count(rnn) == 4 * per, "%zu parameters, expected %zu",
          recur_rnn_get_param_count(rnn), 4 * per);
    for (size_t i = 0; i < recur_rnn_get_param_count(rnn) && i < 4 * per; i++) {
        const char *name;
        float *v;
        size_t rows, cols;
        recur_rnn_get_param(rnn, i, &name, &v, &rows, &cols);
        char want[64];
        size_t k = i % per, cellno = i / per;
        snprintf(want, sizeof want, "%s_l%zu%s", cell[k], cellno / 2,
                 cellno % 2 ? "_reverse" : "");
        CHECK(!strcmp(name, want), "parameter %zu is %s, expected %s", i, name,
              want);
        if (k < 5)
            continue;
        size_t n = k >= 9 ? 4 : 16;
        int ok = rows == n && cols == 1;
        for (size_t j = 0; ok && j < n; j++)
            ok = v[j] == (k % 2 ? 1.0f : 0.0f);
        CHECK(ok, "%s: [%zu,%zu], not %zu of %s", name, rows, cols, n,
              k % 2 ? "1" : "0");
    }

    /* Files: round trip; all or none; the metadata agrees. */
    char dir[] = "/tmp/recur-test-ln-XXXXXX", path[128];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    for (size_t i = 0; i < recur_rnn_get_flat_size(rnn); i++)
        recur_rnn_get_flat_params(rnn)[i] = (float)(i % 7) * 0.125f - 0.375f;
    recur_rnn *back = NULL;
    CHECK(recur_rnn_save(rnn, path) == RECUR_OK &&
              recur_rnn_load(path, &back) == RECUR_OK,
          "save and load: %s", recur_last_error());
    if (back) {
        CHECK(recur_rnn_get_config(back)->layer_norm == 1 &&
                  recur_rnn_get_flat_size(back) == recur_rnn_get_flat_size(rnn) &&
                  !memcmp(recur_rnn_get_flat_params(back),
                          recur_rnn_get_flat_params(rnn),
                          recur_rnn_get_flat_size(rnn) * sizeof(float)),
              "a layer-norm LSTM does not load back as it was saved");
        st_file *st;
        CHECK(st_read(path, &st) == RECUR_OK &&
                  st_meta(st, "layer_norm") &&
                  !strcmp(st_meta(st, "layer_norm"), "1"),
              "recur_rnn_save wrote no layer_norm = 1");
        st_free(st);
        recur_rnn_free(back);
        back = NULL;
    }
    static const struct {
        const char *skip, *mode, *layer_norm, *names;
        recur_status want;
    } bad[] = {
        {.skip = "bias_ln_hh_l0", .mode = NULL, .layer_norm = NULL,
         .names = "bias_ln_hh_l0", .want = RECUR_ERR_SHAPE},
        {.skip = "weight_ln_ih_l1_reverse", .mode = NULL, .layer_norm = NULL,
         .names = "weight_ln_ih_l1_reverse", .want = RECUR_ERR_SHAPE},
        {.skip = "weight_ln_c_l0", .mode = NULL, .layer_norm = NULL,
         .names = "weight_ln_c_l0", .want = RECUR_ERR_SHAPE},
        {.skip = NULL, .mode = NULL, .layer_norm = "0", .names = "layer_norm",
         .want = RECUR_ERR_SHAPE},
        {.skip = NULL, .mode = "GRU", .layer_norm = NULL, .names = "GRU",
         .want = RECUR_ERR_SHAPE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK(write_model(rnn, path, bad[i].skip, bad[i].mode,
                          bad[i].layer_norm) == RECUR_OK, "write");
        recur_status s = recur_rnn_load(path, &back);
        CHECK(s == bad[i].want && !back && strstr(recur_last_error(), bad[i].names),
              "case %zu: load gave %s (%s), expected %s naming %s", i,
              recur_status_str(s), recur_last_error(),
              recur_status_str(bad[i].want), bad[i].names);
        recur_rnn_free(back);
        back = NULL;
    }
    recur_rnn_free(rnn);

    /* A layer-norm GRU called GRU_RESET_BEFORE; a plain GRU that claims
     * layer norm. */
    c = ln_config(RECUR_GRU, 0, 0);
    CHECK(recur_rnn_create(&c, 2, &rnn) == RECUR_OK, "create GRU");
    CHECK(write_model(rnn, path, NULL, "GRU_RESET_BEFORE", "1") == RECUR_OK &&
              recur_rnn_load(path, &back) == RECUR_ERR_UNSUPPORTED && !back,
          "a layer-norm GRU_RESET_BEFORE file: %s", recur_last_error());
    CHECK(write_model(rnn, path, NULL, "GRU", "1") == RECUR_OK &&
              recur_rnn_load(path, &back) == RECUR_OK && back &&
              recur_rnn_get_config(back)->layer_norm == 1,
          "a layer-norm GRU file: %s", recur_last_error());
    recur_rnn_free(back);
    back = NULL;
    recur_rnn_free(rnn);
    c.layer_norm = 0;
    CHECK(recur_rnn_create(&c, 2, &rnn) == RECUR_OK, "create GRU");
    CHECK(write_model(rnn, path, NULL, NULL, "1") == RECUR_OK &&
              recur_rnn_load(path, &back) == RECUR_ERR_SHAPE && !back,
          "layer_norm = 1 without the tensors: %s", recur_last_error());
    recur_rnn_free(rnn);
    unlink(path);
    rmdir(dir);
}

/* Checkpoints: layer_norm in the metadata; gains 1 and biases 0 at creation
 * (--forget-bias leaves the LN biases alone); a checkpoint whose metadata
 * lost the key while holding the tensors is refused. */
void test_lm_layer_norm(void)
{
    lm_config c = {0};
    c.arch.vocab_size = 5;
    c.arch.embed_size = 4;
    c.arch.rnn = recur_rnn_config_default(RECUR_LSTM, 4, 3);
    c.arch.rnn.layer_norm = 1;
    recur_lm *lm = NULL;
    CHECK(lm_create(&c, 1, LM_INIT_FORGET_BIAS | LM_INIT_ORTHOGONAL, &lm) ==
              RECUR_OK, "create: %s", recur_last_error());
    if (!lm)
        return;
    for (size_t i = 0; i < recur_rnn_get_param_count(lm->rnn); i++) {
        const char *name;
        float *v;
        size_t rows, cols;
        recur_rnn_get_param(lm->rnn, i, &name, &v, &rows, &cols);
        int gain = !strncmp(name, "weight_ln_", 10);
        if (!gain && strncmp(name, "bias_ln_", 8))
            continue;
        int ok = 1;
        for (size_t k = 0; k < rows * cols; k++)
            ok &= v[k] == (gain ? 1.0f : 0.0f);
        CHECK(ok, "%s is not all %d at creation", name, gain);
    }
    char dir[] = "/tmp/recur-test-lmln-XXXXXX", path[128];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    st_writer *w;
    CHECK(st_writer_new(&w) == RECUR_OK && lm_write(lm, "test", w) == RECUR_OK &&
              st_writer_write(w, path) == RECUR_OK,
          "write: %s", recur_last_error());
    st_writer_free(w);
    recur_lm *back = NULL;
    CHECK(recur_lm_load(path, &back) == RECUR_OK && back &&
              back->config.arch.rnn.layer_norm == 1 &&
              back->n_params == lm->n_params &&
              !memcmp(back->params, lm->params, lm->n_params * sizeof(float)),
          "a layer-norm checkpoint does not load back: %s", recur_last_error());
    recur_lm_free(back);
    back = NULL;

    /* The key renamed out of the way. */
    FILE *f = fopen(path, "rb");
    static char buf[1 << 16];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    char *key = NULL;
    for (size_t i = 0; !key && i + 12 <= n; i++)
        if (!memcmp(buf + i, "\"layer_norm\"", 12))
            key = buf + i;
    CHECK(key != NULL, "no layer_norm key in the checkpoint");
    if (key) {
        key[1] = 'x';
        st_file *st;
        CHECK(st_parse(buf, n, "old", &st) == RECUR_OK, "parse");
        CHECK(lm_read(st, "old", &back) == RECUR_ERR_FORMAT && !back &&
                  strstr(recur_last_error(), "weight_ln_ih_l0"),
              "layer-norm tensors without layer_norm = 1 accepted: %s",
              recur_last_error());
        st_free(st);
    }
    recur_lm_free(lm);
    unlink(path);
    rmdir(dir);
}
