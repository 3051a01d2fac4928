/*
 * test_tagger.c — the sequence tagger (src/model/tagger.h): loss,
 * predictions and every gradient against PyTorch (tests/fixtures/tag, from
 * tools/gen_tag_fixtures.py) for softmax and CRF, LSTM and GRU, 1 and 2
 * layers, with and without the char model; finite differences with
 * dropout and word dropout on; dropout in evaluation and training modes;
 * checkpoints and hostile ones; bad configurations and batches.
 */
#include "base/rng.h"
#include "fixture.h"
#include "model/tagger.h"
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void data_free(tag_data *d)
{
    free(d->offset);
    free(d->word);
    free(d->tag);
    free(d->char_offset);
    free(d->chars);
    memset(d, 0, sizeof *d);
}

/* An int64 tensor of a fixture into a fresh int32 or size_t array. */
static int32_t *ids32(const st_file *st, const char *name, size_t *numel)
{
    const st_tensor *t = st_find(st, name);
    if (!t)
        return NULL;
    int64_t *tmp = malloc((t->numel + 1) * sizeof(int64_t));
    int32_t *v = malloc((t->numel + 1) * sizeof(int32_t));
    st_to_i64(t, tmp);
    for (size_t i = 0; i < t->numel; i++)
        v[i] = (int32_t)tmp[i];
    free(tmp);
    if (numel)
        *numel = t->numel;
    return v;
}

static size_t *sizes(const st_file *st, const char *name, size_t *numel)
{
    size_t n = 0;
    int32_t *v = ids32(st, name, &n);
    if (!v)
        return NULL;
    size_t *s = malloc((n + 1) * sizeof(size_t));
    for (size_t i = 0; i < n; i++)
        s[i] = (size_t)v[i];
    free(v);
    if (numel)
        *numel = n;
    return s;
}

static void load_data(const st_file *st, size_t K, tag_data *d)
{
    memset(d, 0, sizeof *d);
    size_t n = 0;
    d->offset = sizes(st, "offset", &n);
    d->n = n - 1;
    d->word = ids32(st, "word", NULL);
    d->tag = ids32(st, "tag", NULL);
    d->char_offset = sizes(st, "char_offset", NULL);
    d->chars = ids32(st, "chars", NULL);
    d->tags = K;
}

static void tensor_of(const void *m, size_t i, char *name, size_t size,
                      size_t *offset, size_t shape[2], size_t *ndim)
{
    tagger_tensor(m, i, name, size, offset, shape, ndim);
}

static void parity_case(const char *name)
{
    char path[512];
    st_file *mst, *dst;
    tagger *m = NULL;
    if (!fixture_open_case("tag", name, &mst, path, sizeof path, &dst))
        return;
    recur_status s = tagger_read(mst, path, &m);
    st_free(mst);
    CHECK(s == RECUR_OK, "%s: %s", name, recur_last_error());
    if (s) {
        st_free(dst);
        return;
    }
    const size_t K = tagger_get_config(m)->tags;
    tag_data d;
    load_data(dst, K, &d);
    size_t B = 0, N = 0;
    size_t *idx = sizes(dst, "idx", &B);
    int32_t *want_pred = ids32(dst, "pred", &N);
    int32_t *pred = calloc(N, sizeof(int32_t));
    double sum = 0;
    size_t counted = 0;
    s = tagger_batch(m, &d, idx, B, 1, &sum, &counted, pred);
    CHECK(s == RECUR_OK, "%s: batch: %s", name, recur_last_error());
    float *want_loss = fixture_f32(dst, "loss");
    double got = sum / (double)counted;
    CHECK(counted == N &&
              fabs(got - want_loss[0]) <= 1e-5 * fmax(1.0, fabs(want_loss[0])),
          "%s: loss %.9g over %zu tokens, PyTorch %.9g over %zu", name, got,
          counted, (double)want_loss[0], N);
    size_t wrong = 0;
    for (size_t n = 0; n < N; n++)
        wrong += pred[n] != want_pred[n];
    CHECK(wrong == 0, "%s: %zu of %zu predictions differ from PyTorch's", name,
          wrong, N);
    char worst[300] = "";
    double max_err = fixture_compare_grads(name, dst, m, tagger_tensor_count(m),
                                           tensor_of, tagger_grads(m),
                                           TOL_GRAD, worst, sizeof worst);
    printf("  tag %-26s loss %.8f (PyTorch %.8f), max relative gradient "
           "error %.2e (%s)\n", name, got, (double)want_loss[0], max_err, worst);
    free(want_loss);
    free(pred);
    free(want_pred);
    free(idx);
    data_free(&d);
    tagger_free(m);
    st_free(dst);
}

void test_tagger_parity(void)
{
    size_t cases = fixture_each_case("tag", parity_case);
    CHECK(cases >= 6, "%zu tagger fixtures", cases);
}

/* ---- small models and random sentences ---- */

static tagger_config small(recur_mode mode, size_t layers, int chars, int crf,
                           float dropout)
{
    tagger_config c;
    memset(&c, 0, sizeof c);
    c.words = 7;
    c.chars = chars ? 6 : 0;
    c.tags = 3;
    c.word_embed = 3;
    c.char_embed = chars ? 2 : 0;
    c.char_hidden = chars ? 2 : 0;
    c.rnn = recur_rnn_config_default(mode, c.word_embed + 2 * c.char_hidden, 3);
    c.rnn.num_layers = layers;
    c.rnn.bidirectional = 1;
    c.dropout = dropout;
    c.crf = crf;
    return c;
}

/* n sentences of 1..T tokens (the first T), words of 1..5 chars (every
 * id of the vocabularies used, 0 included). */
static void random_data(const tagger_config *c, size_t n, size_t T,
                        uint64_t seed, tag_data *d)
{
    rng_state rng;
    rng_seed(&rng, seed);
    memset(d, 0, sizeof *d);
    d->n = n;
    d->tags = c->tags;
    d->offset = malloc((n + 1) * sizeof(size_t));
    d->offset[0] = 0;
    for (size_t i = 0; i < n; i++)
        d->offset[i + 1] = d->offset[i] + (i == 0 ? T : 1 + rng_below(&rng, T));
    size_t N = d->offset[n];
    d->word = malloc(N * sizeof(int32_t));
    d->tag = malloc(N * sizeof(int32_t));
    d->char_offset = malloc((N + 1) * sizeof(size_t));
    d->char_offset[0] = 0;
    for (size_t k = 0; k < N; k++) {
        d->word[k] = (int32_t)rng_below(&rng, c->words);
        d->tag[k] = (int32_t)rng_below(&rng, c->tags);
        d->char_offset[k + 1] = d->char_offset[k] + 1 + rng_below(&rng, 5);
    }
    d->chars = malloc(d->char_offset[N] * sizeof(int32_t));
    for (size_t j = 0; j < d->char_offset[N]; j++)
        d->chars[j] = (int32_t)rng_below(&rng, c->chars ? c->chars : 1);
}

/* The mean loss of a batch, drawing from the same generator state (a
 * fixture_batch's loss). */
static double batch_loss(void *model, const void *data, const size_t *idx,
                         size_t B, uint64_t seed)
{
    tagger_set_seed(model, seed);
    double sum = 0;
    size_t counted = 1;
    recur_status s = tagger_batch(model, data, idx, B, 0, &sum, &counted, NULL);
    return s ? NAN : sum / (double)counted;
}

/* ---- finite differences ---- */

static void gradcheck(const char *what, tagger_config c, float alpha)
{
    tagger *m = NULL;
    CHECK(tagger_create(&c, 7, &m) == RECUR_OK, "%s: create: %s", what,
          recur_last_error());
    if (!m)
        return;
    tag_data d;
    random_data(&c, 4, 5, 11, &d);
    uint32_t count[7] = {0, 0, 1, 3, 0, 2, 9};
    tagger_set_word_dropout(m, alpha, count);
    size_t idx[3] = {2, 0, 3};
    tagger_set_training(m, c.dropout > 0 || alpha > 0);
    tagger_set_seed(m, 5);
    double sum;
    size_t counted, n = tagger_size(m);
    CHECK(tagger_batch(m, &d, idx, 3, 1, &sum, &counted, NULL) == RECUR_OK,
          "%s: batch: %s", what, recur_last_error());
    float *analytic = malloc(n * sizeof(float));
    memcpy(analytic, tagger_grads(m), n * sizeof(float));
    fixture_batch batch = {.loss = batch_loss, .model = m, .data = &d,
                           .idx = idx, .B = 3, .seed = 5};
    int bad = fixture_central_differences(what, tagger_params(m), analytic, n,
                                          fixture_batch_loss, &batch);
    CHECK(bad == 0, "%s: %d of %zu gradients disagree with finite differences",
          what, bad, n);
    free(analytic);
    data_free(&d);
    tagger_free(m);
}

void test_tagger_gradcheck(void)
{
    gradcheck("LSTM L2 chars CRF", small(RECUR_LSTM, 2, 1, 1, 0.0f), 0.0f);
    gradcheck("GRU L1 chars softmax dropout 0.3 word dropout 1",
              small(RECUR_GRU, 1, 1, 0, 0.3f), 1.0f);
    gradcheck("LSTM L2 words CRF dropout 0.2", small(RECUR_LSTM, 2, 0, 1, 0.2f), 0.0f);
}

/* ---- dropout ---- */

void test_tagger_dropout(void)
{
    tagger_config c = small(RECUR_LSTM, 2, 1, 1, 0.5f), c0 = c;
    c0.dropout = 0.0f;
    tagger *m = NULL, *m0 = NULL;
    tagger_create(&c, 3, &m);
    tagger_create(&c0, 3, &m0);
    tag_data d;
    random_data(&c, 6, 7, 4, &d);
    size_t idx[4] = {5, 1, 0, 3}, N = 0;
    for (size_t b = 0; b < 4; b++)
        N += tag_len(&d, idx[b]);
    CHECK(!memcmp(tagger_params(m), tagger_params(m0),
                  tagger_size(m) * sizeof(float)), "same seed, same parameters");
    uint32_t count[7] = {0, 0, 1, 1, 1, 1, 1};
    tagger_set_word_dropout(m, 0.5f, count);
    double eval = batch_loss(m, &d, idx, 4, 1), eval0 = batch_loss(m0, &d, idx, 4, 1);
    CHECK(eval == eval0, "evaluation mode: dropout and word dropout off (loss "
          "%.9g, without them %.9g)", eval, eval0);
    int32_t pred[64], pred0[64];
    tagger_batch(m, &d, idx, 4, 0, NULL, NULL, pred);
    tagger_batch(m0, &d, idx, 4, 0, NULL, NULL, pred0);
    CHECK(N <= 64 && !memcmp(pred, pred0, N * sizeof(int32_t)),
          "evaluation mode: the same predictions");

    tagger_set_training(m, 1);
    double a = batch_loss(m, &d, idx, 4, 9), b = batch_loss(m, &d, idx, 4, 9);
    double other = batch_loss(m, &d, idx, 4, 10);
    CHECK(a == b && a != eval && other != a, "training mode: loss %.9g and "
          "again %.9g with the same seed, %.9g with another, %.9g in "
          "evaluation", a, b, other, eval);
    /* Word dropout of words never seen in training (count 0: probability
     * α / α = 1) reads every word id >= 2 as <unk> (1). */
    uint32_t unseen[7] = {0};
    tagger_set_training(m0, 1);
    tagger_set_word_dropout(m0, 1.0f, unseen);
    double w = batch_loss(m0, &d, idx, 4, 9);
    tagger_set_training(m0, 0);
    int32_t *words = d.word;
    size_t n_words = d.offset[d.n];
    d.word = malloc(n_words * sizeof(int32_t));
    for (size_t k = 0; k < n_words; k++)
        d.word[k] = words[k] >= 2 ? 1 : words[k];
    double unk = batch_loss(m0, &d, idx, 4, 9);
    free(d.word);
    d.word = words;
    CHECK(w == unk && w != eval0, "word dropout of unseen words: loss %.9g, "
          "every word <unk> %.9g, without word dropout %.9g", w, unk, eval0);
    CHECK(tagger_set_word_dropout(m0, 1.0f, NULL) == RECUR_ERR_ARGUMENT &&
              tagger_set_word_dropout(m0, -1.0f, count) == RECUR_ERR_ARGUMENT &&
              tagger_set_word_dropout(m0, NAN, count) == RECUR_ERR_ARGUMENT &&
              tagger_set_word_dropout(m0, 0.0f, NULL) == RECUR_OK,
          "word dropout arguments checked");
    data_free(&d);
    tagger_free(m);
    tagger_free(m0);
}

/* The workspace grows and is reused: a batch gives the same loss before
 * and after larger and smaller ones, and prediction needs no tags. */
void test_tagger_workspace(void)
{
    tagger_config c = small(RECUR_GRU, 2, 1, 1, 0.0f);
    tagger *m = NULL;
    tagger_create(&c, 5, &m);
    tag_data d;
    random_data(&c, 12, 9, 8, &d);
    size_t all[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, two[2] = {7, 3};
    double first = batch_loss(m, &d, two, 2, 1);
    batch_loss(m, &d, all, 12, 1);
    batch_loss(m, &d, all + 5, 1, 1);
    double again = batch_loss(m, &d, two, 2, 1);
    CHECK(first == again, "loss %.9g, after other batches %.9g", first, again);
    int32_t with[32], without[32];
    size_t N = tag_len(&d, 7) + tag_len(&d, 3);
    tagger_batch(m, &d, two, 2, 0, NULL, NULL, with);
    int32_t *tags = d.tag;
    d.tag = NULL;
    CHECK(tagger_batch(m, &d, two, 2, 0, NULL, NULL, without) == RECUR_OK &&
              !memcmp(with, without, N * sizeof(int32_t)),
          "prediction without tags: %s", recur_last_error());
    double sum;
    CHECK(tagger_batch(m, &d, two, 2, 0, &sum, NULL, NULL) == RECUR_ERR_ARGUMENT &&
              tagger_batch(m, &d, two, 2, 1, NULL, NULL, NULL) == RECUR_ERR_ARGUMENT,
          "a loss without tags refused");
    d.tag = tags;
    data_free(&d);
    tagger_free(m);
}

/* The char model runs each distinct form of a batch once and sums its
 * tokens' gradients: a batch holding a sentence twice has that sentence's
 * mean loss and gradients, every form now with twice the tokens. */
void test_tagger_repeated_forms(void)
{
    tagger_config c = small(RECUR_LSTM, 1, 1, 0, 0.0f);
    tagger *m = NULL;
    tagger_create(&c, 2, &m);
    tag_data d;
    random_data(&c, 3, 6, 5, &d);
    const size_t n = tagger_size(m), one[1] = {0}, twice[2] = {0, 0};
    double sum1, sum2;
    size_t n1, n2;
    memset(tagger_grads(m), 0, n * sizeof(float));
    recur_status s1 = tagger_batch(m, &d, one, 1, 1, &sum1, &n1, NULL);
    float *g1 = malloc(n * sizeof(float));
    memcpy(g1, tagger_grads(m), n * sizeof(float));
    memset(tagger_grads(m), 0, n * sizeof(float));
    recur_status s2 = tagger_batch(m, &d, twice, 2, 1, &sum2, &n2, NULL);
    const float *g2 = tagger_grads(m);
    double worst = 0, big = 0;
    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs((double)g2[i] - g1[i]));
        big = fmax(big, fabs((double)g1[i]));
    }
    /* The char stack's gradients are in the comparison and not zero. */
    const size_t chars = c.words * c.word_embed;
    double char_grad = 0;
    for (size_t i = chars; i < chars + c.chars * c.char_embed; i++)
        char_grad += fabs((double)g1[i]);
    CHECK(s1 == RECUR_OK && s2 == RECUR_OK && n2 == 2 * n1 &&
              fabs(sum2 / (double)n2 - sum1 / (double)n1) <= 1e-6 * sum1 / (double)n1,
          "mean loss %.9g over %zu tokens, the sentence twice %.9g over %zu",
          sum1 / (double)n1, n1, sum2 / (double)n2, n2);
    CHECK(char_grad > 0 && worst <= 1e-5 * big, "gradients of the sentence "
          "twice differ by %.3g (largest %.3g)", worst, big);
    free(g1);
    data_free(&d);
    tagger_free(m);
}

/* ---- checkpoints ---- */

static recur_status write_model(const tagger *m, const char *path)
{
    st_writer *w = NULL;
    recur_status s = st_writer_new(&w);
    if (!s) s = tagger_write(m, w);
    if (!s) s = st_writer_write(w, path);
    st_writer_free(w);
    return s;
}

/* A copy of the checkpoint at src into dst with tensor `drop` left out,
 * or replaced by one of `bad_rows` rows when bad_rows != 0. */
static recur_status copy_without(const char *src, const char *dst,
                                 const char *drop, size_t bad_rows)
{
    st_file *st = NULL;
    st_writer *w = NULL;
    recur_status s = st_read(src, &st);
    if (!s) s = st_writer_new(&w);
    float *zeros = calloc(4096, sizeof(float));
    for (size_t i = 0; !s && i < st_meta_count(st); i++) {
        const char *key, *value;
        st_meta_at(st, i, &key, &value);
        s = st_writer_meta(w, key, value);
    }
    /* The writer keeps the pointers until it writes. */
    size_t n = s ? 0 : st_count(st);
    float **values = calloc(n + 1, sizeof(float *));
    for (size_t i = 0; !s && i < n; i++) {
        const st_tensor *t = st_at(st, i);
        values[i] = malloc(t->numel * sizeof(float));
        st_to_f32(t, values[i]);
        if (strcmp(t->name, drop) != 0)
            s = st_writer_add(w, t->name, RECUR_DT_F32, t->ndim, t->shape, values[i]);
        else if (bad_rows) {
            size_t shape[2] = {bad_rows, t->ndim == 2 ? t->shape[1] : 1};
            s = st_writer_add(w, t->name, RECUR_DT_F32, t->ndim, shape, zeros);
        }
    }
    if (!s) s = st_writer_write(w, dst);
    for (size_t i = 0; i < n; i++)
        free(values[i]);
    free(values);
    free(zeros);
    st_writer_free(w);
    st_free(st);
    return s;
}

static recur_status read_model(const char *path, tagger **out)
{
    st_file *st = NULL;
    *out = NULL;
    recur_status s = st_read(path, &st);
    if (!s)
        s = tagger_read(st, path, out);
    st_free(st);
    return s;
}

void test_tagger_checkpoint(void)
{
    tagger_config c = small(RECUR_LSTM, 2, 1, 1, 0.25f);
    tagger *m = NULL, *back = NULL;
    tagger_create(&c, 21, &m);
    char path[] = "/tmp/recur_tagXXXXXX", bad[] = "/tmp/recur_tagbadXXXXXX";
    close(mkstemp(path));
    close(mkstemp(bad));
    recur_status s = write_model(m, path);
    if (!s)
        s = read_model(path, &back);
    CHECK(s == RECUR_OK, "write and read back: %s", recur_last_error());
    if (back) {
        const tagger_config *b = tagger_get_config(back);
        CHECK(tagger_size(back) == tagger_size(m) &&
                  !memcmp(tagger_params(back), tagger_params(m),
                          tagger_size(m) * sizeof(float)) &&
                  b->crf == 1 && b->dropout == 0.25f && b->char_hidden == 2 &&
                  b->rnn.num_layers == 2 && b->rnn.mode == RECUR_LSTM,
              "the checkpoint holds the same model");
        tag_data d;
        random_data(&c, 5, 6, 2, &d);
        size_t idx[3] = {4, 0, 2};
        double l1 = batch_loss(m, &d, idx, 3, 1), l2 = batch_loss(back, &d, idx, 3, 1);
        CHECK(l1 == l2, "the same loss: %.9g, read back %.9g", l1, l2);
        data_free(&d);
    }
    tagger_free(back);

    /* A tensor missing, or of another shape: refused, naming it. */
    static const char *const tensors[] = {"fc.bias", "char_rnn.weight_hh_l0_reverse",
                                          "crf.transitions", "word_embedding.weight",
                                          "rnn.bias_ih_l1", "crf.end_transitions"};
    for (size_t i = 0; i < 6; i++)
        for (size_t rows = 0; rows <= 5; rows += 5) {
            s = copy_without(path, bad, tensors[i], rows);
            if (!s)
                s = read_model(bad, &back);
            CHECK(s == RECUR_ERR_FORMAT && !back &&
                      strstr(recur_last_error(), tensors[i]) &&
                      strstr(recur_last_error(), bad),
                  "tensor %s %s refused (got %s: %s)", tensors[i],
                  rows ? "of 5 rows" : "missing", recur_status_str(s),
                  recur_last_error());
            tagger_free(back);
        }

    /* Hostile metadata: each edit refused with a message naming the file. */
    static const char *const edits[][2] = {
        {"format", "recur-seq"}, {"tags", "4"},      {"words", "99999999999"},
        {"char_hidden", "3"},    {"crf", "2"},       {"dropout", "1.5"},
        {"mode", "GRU"},         {"input_size", "8"},
        {"num_layers", "3"},     {"char_embed", "0"}, {"bidirectional", "0"},
    };
    for (size_t e = 0; e < sizeof edits / sizeof *edits; e++) {
        st_writer *w = NULL;
        st_writer_new(&w);
        tagger_write(m, w);
        st_writer_meta(w, edits[e][0], edits[e][1]);
        s = st_writer_write(w, bad);
        st_writer_free(w);
        if (!s)
            s = read_model(bad, &back);
        CHECK(s == RECUR_ERR_FORMAT && !back && strstr(recur_last_error(), bad),
              "metadata %s = %s refused (got %s: %s)", edits[e][0], edits[e][1],
              recur_status_str(s), recur_last_error());
        tagger_free(back);
    }
    unlink(path);
    unlink(bad);
    tagger_free(m);
}

/* ---- misuse ---- */

void test_tagger_misuse(void)
{
    static const struct {
        const char *what;
        size_t field; /* which edit below */
    } bad[] = {{"1 word", 0},       {"0 tags", 1},          {"word_embed 0", 2},
               {"char_embed alone", 3}, {"input_size", 4},   {"dropout 1", 5},
               {"crf 2", 6},        {"1 char", 7},          {"GRU projection", 8}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tagger_config c = small(RECUR_LSTM, 1, 1, 0, 0.0f);
        switch (bad[i].field) {
        case 0: c.words = 1; break;
        case 1: c.tags = 0; break;
        case 2: c.word_embed = 0; break;
        case 3: c.char_hidden = 0; c.rnn.input_size = c.word_embed; break;
        case 4: c.rnn.input_size++; break;
        case 5: c.dropout = 1.0f; break;
        case 6: c.crf = 2; break;
        case 7: c.chars = 1; break;
        default: c.rnn.mode = RECUR_GRU; c.rnn.proj_size = 1; break;
        }
        tagger *m = NULL;
        recur_status s = tagger_create(&c, 1, &m);
        CHECK(s == RECUR_ERR_ARGUMENT && !m && *recur_last_error(),
              "configuration with %s refused (got %s)", bad[i].what,
              recur_status_str(s));
        tagger_free(m);
    }
    tagger *m = NULL;
    CHECK(tagger_create(NULL, 1, &m) == RECUR_ERR_ARGUMENT, "NULL configuration");

    tagger_config c = small(RECUR_LSTM, 1, 1, 1, 0.0f);
    CHECK(tagger_create(&c, 1, NULL) == RECUR_ERR_ARGUMENT, "NULL output");
    CHECK(tagger_create(&c, 1, &m) == RECUR_OK, "create");
    tag_data d;
    random_data(&c, 3, 4, 2, &d);
    size_t idx[2] = {0, 2}, out_of_range = 3, counted;
    double sum;
    struct {
        const char *what;
        int32_t *at, value;
    } ids[] = {{"word id 7", &d.word[1], 7},  {"word id -1", &d.word[0], -1},
               {"char id 6", &d.chars[2], 6}, {"char id -3", &d.chars[0], -3},
               {"tag 3", &d.tag[2], 3},       {"tag -1", &d.tag[0], -1}};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        int32_t keep = *ids[i].at;
        *ids[i].at = ids[i].value;
        CHECK(tagger_batch(m, &d, idx, 2, 1, &sum, &counted, NULL) ==
                  RECUR_ERR_ARGUMENT, "%s refused", ids[i].what);
        *ids[i].at = keep;
    }
    CHECK(tagger_batch(m, &d, &out_of_range, 1, 0, &sum, &counted, NULL) ==
              RECUR_ERR_ARGUMENT, "sentence index out of range");
    CHECK(tagger_batch(m, &d, idx, 0, 0, &sum, &counted, NULL) ==
              RECUR_ERR_ARGUMENT, "an empty batch");
    CHECK(tagger_batch(m, NULL, idx, 2, 0, &sum, &counted, NULL) ==
              RECUR_ERR_ARGUMENT, "no data");
    size_t keep = d.char_offset[1];
    d.char_offset[1] = d.char_offset[0];
    CHECK(tagger_batch(m, &d, idx, 2, 0, &sum, &counted, NULL) ==
              RECUR_ERR_ARGUMENT, "a token without chars refused");
    d.char_offset[1] = keep;
    keep = d.offset[1];
    d.offset[1] = 0;
    CHECK(tagger_batch(m, &d, idx, 2, 0, &sum, &counted, NULL) ==
              RECUR_ERR_ARGUMENT, "an empty sentence refused");
    d.offset[1] = keep;
    CHECK(tagger_batch(m, &d, idx, 2, 1, &sum, &counted, NULL) == RECUR_OK &&
              counted == tag_len(&d, 0) + tag_len(&d, 2) && sum > 0,
          "a good batch after the refused ones: %s", recur_last_error());
    data_free(&d);
    tagger_free(m);
}
