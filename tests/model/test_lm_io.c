/*
 * test_lm_io.c — language-model checkpoints (src/model/lm_io.h): the
 * metadata holds the regularisers, a checkpoint from before they existed
 * reads as all off, a value out of range is refused; a checkpoint whose
 * metadata asks for a huge model is refused for its missing tensors before
 * anything is allocated from those sizes; layer norm in the metadata, its
 * gains and biases at creation, and tensors without the key refused.
 * Training's checkpoints and resuming from them are
 * tests/train/test_train.c's.
 */
#include "model/lm.h"
#include "model/lm_io.h"
#include "io/safetensors.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    lm_config c = {.arch = {.vocab_size = 7,
                            .embed_size = 5,
                            .rnn = recur_rnn_config_default(RECUR_GRU, 5, 6)},
                   .reg = {.dropout = 0.25f,
                           .variational = 1,
                           .recurrent_dropout = 0.375f,
                           .zoneout = 0.125f}};
    c.arch.rnn.num_layers = 2;
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
