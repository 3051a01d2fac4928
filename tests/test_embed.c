/*
 * test_embed.c — the public API a program embedding a trained model uses:
 *   - test_embed_file: recur_file over a file of every float dtype, an
 *     integer tensor, a scalar and metadata: listing, lookups, reads
 *     converted to float32 (exact values of F16, BF16 and F64), the
 *     caller's buffer checked, metadata by index and by key; NULL and
 *     out-of-range arguments; hostile files (truncated at every part of
 *     the header and the data, an unknown dtype, a shape its bytes do not
 *     fill) refused at open;
 *   - test_embed_model: recur_model on checkpoints of every task written
 *     here through the library's own writers: each task's functions give
 *     exactly what the code of `recur predict` / `recur sample` gives
 *     (classifier_encode + seq_model_batch, forecaster_predict,
 *     seq_model_stream, sample_frame, sample_token), the word and
 *     character lookups round trip, <unk> handling, every function of one
 *     task refused on a model of every other task with RECUR_ERR_ARGUMENT
 *     naming both, NULL handles, and broken checkpoints (labels that do not
 *     match, a horizon that does not, a music task on a classifier, an
 *     unknown task, a bare RNN, a truncated file) refused with their
 *     status;
 *   - test_embed_program: examples/embed.c ($RECUR_EMBED, default
 *     build/embed) on checkpoints trained here by the CLI ($RECUR_BIN) for
 *     every task: its prediction is byte for byte what `recur sample` or
 *     `recur predict` prints for the same checkpoint and inputs; its
 *     refusals.
 */
#include "data/labeled.h"
#include "data/series.h"
#include "data/tokens.h"
#include "data/words.h"
#include "io/safetensors.h"
#include "model/classifier.h"
#include "model/forecaster.h"
#include "model/lm.h"
#include "model/lm_io.h"
#include "model/sample.h"
#include "model/seqmodel.h"
#include "spawn.h"
#include "test.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define END ((const char *)NULL)

static char scratch[256], capture[300];

static const char *in_scratch(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", scratch, name);
    return buf;
}

/* The status was `want` and the message names every needle (up to NULL). */
static void expect(const char *what, recur_status got, recur_status want, ...)
{
    CHECK(got == want, "%s: %s, expected %s (%s)", what, recur_status_str(got),
          recur_status_str(want), recur_last_error());
    va_list ap;
    va_start(ap, want);
    for (const char *n; (n = va_arg(ap, const char *)) != NULL;)
        CHECK(strstr(recur_last_error(), n) != NULL, "%s: the message does "
              "not mention '%s': %s", what, n, recur_last_error());
    va_end(ap);
}

/* ------------------------------------------------------------------------ */
/* recur_file                                                                */

/* F16 1.5, -2, 0.25, 65504; BF16 1, -3.5, 0.5, 256: exact in both. */
static const uint16_t half_bits[4] = {0x3E00, 0xC000, 0x3400, 0x7BFF};
static const float half_values[4] = {1.5f, -2.0f, 0.25f, 65504.0f};
static const uint16_t bf16_bits[4] = {0x3F80, 0xC060, 0x3F00, 0x4380};
static const float bf16_values[4] = {1.0f, -3.5f, 0.5f, 256.0f};
static const double f64_values[3] = {0.1, -1e300, 2.5};

static int write_tensors(const char *path, int with_meta)
{
    static const float a[6] = {1, 2, 3, 4, 5, 6}, scalar = 7;
    static const int32_t ids[2] = {3, -4};
    st_writer *w = NULL;
    int ok = st_writer_new(&w) == RECUR_OK &&
             st_writer_add(w, "a", RECUR_DT_F32, 2, (size_t[]){2, 3}, a) == RECUR_OK &&
             st_writer_add(w, "h", RECUR_DT_F16, 1, (size_t[]){4}, half_bits) == RECUR_OK &&
             st_writer_add(w, "b", RECUR_DT_BF16, 2, (size_t[]){2, 2}, bf16_bits) == RECUR_OK &&
             st_writer_add(w, "d", RECUR_DT_F64, 1, (size_t[]){3}, f64_values) == RECUR_OK &&
             st_writer_add(w, "i", RECUR_DT_I32, 1, (size_t[]){2}, ids) == RECUR_OK &&
             st_writer_add(w, "s", RECUR_DT_F32, 0, NULL, &scalar) == RECUR_OK;
    if (ok && with_meta)
        ok = st_writer_meta(w, "zeta", "\xc3\xa9t\xc3\xa9") == RECUR_OK &&
             st_writer_meta(w, "format", "test") == RECUR_OK &&
             st_writer_meta(w, "alpha", "1") == RECUR_OK;
    ok = ok && st_writer_write(w, path) == RECUR_OK;
    st_writer_free(w);
    CHECK(ok, "cannot write %s: %s", path, recur_last_error());
    return ok;
}

static void check_listing(recur_file *f)
{
    static const struct {
        const char *name, *dtype;
        size_t ndim, shape[2], numel;
    } want[] = {{"a", "F32", 2, {2, 3}, 6}, {"h", "F16", 1, {4, 0}, 4},
                {"b", "BF16", 2, {2, 2}, 4}, {"d", "F64", 1, {3, 0}, 3},
                {"i", "I32", 1, {2, 0}, 2}, {"s", "F32", 0, {0, 0}, 1}};
    const size_t n = sizeof want / sizeof *want;
    CHECK(recur_file_get_tensor_count(f) == n, "%zu tensors, expected %zu",
          recur_file_get_tensor_count(f), n);
    /* Listed in the order of their data, which is the writer's to choose:
     * each expected tensor exactly once. */
    int seen[6] = {0};
    for (size_t i = 0; i < n; i++) {
        recur_tensor_info t, by_name;
        memset(&t, 0xAB, sizeof t);
        recur_status s = recur_file_get_tensor(f, i, &t);
        size_t e = 0;
        while (s == RECUR_OK && e < n && strcmp(t.name, want[e].name))
            e++;
        int ok = s == RECUR_OK && e < n && !seen[e]++ &&
                 !strcmp(t.dtype, want[e].dtype) && t.ndim == want[e].ndim &&
                 t.numel == want[e].numel;
        for (size_t d = 0; ok && d < RECUR_TENSOR_MAX_DIMS; d++)
            ok = t.shape[d] == (d < 2 ? want[e].shape[d] : 0);
        CHECK(ok, "tensor %zu (%s): not as written", i, s ? "?" : t.name);
        s = ok ? recur_file_find_tensor(f, want[e].name, &by_name) : RECUR_ERR_STATE;
        CHECK(s == RECUR_OK && !memcmp(&t, &by_name, sizeof t),
              "find_tensor does not give get_tensor(%zu)", i);
    }
    recur_tensor_info t;
    expect("get_tensor past the end", recur_file_get_tensor(f, n, &t),
           RECUR_ERR_ARGUMENT, "6", END);
    expect("get_tensor NULL info", recur_file_get_tensor(f, 0, NULL),
           RECUR_ERR_ARGUMENT, END);
    expect("find_tensor absent", recur_file_find_tensor(f, "nope", &t),
           RECUR_ERR_SHAPE, "nope", END);
    expect("find_tensor NULL name", recur_file_find_tensor(f, NULL, &t),
           RECUR_ERR_ARGUMENT, END);
    expect("find_tensor NULL info", recur_file_find_tensor(f, "a", NULL),
           RECUR_ERR_ARGUMENT, END);
}

static void check_reads(recur_file *f)
{
    float got[8];
    int ok = recur_file_read_tensor(f, "h", got, 8) == RECUR_OK &&
             !memcmp(got, half_values, sizeof half_values);
    CHECK(ok, "F16 read: %g %g %g %g", got[0], got[1], got[2], got[3]);
    ok = recur_file_read_tensor(f, "b", got, 4) == RECUR_OK &&
         !memcmp(got, bf16_values, sizeof bf16_values);
    CHECK(ok, "BF16 read: %g %g %g %g", got[0], got[1], got[2], got[3]);
    ok = recur_file_read_tensor(f, "d", got, 3) == RECUR_OK && got[0] == 0.1f &&
         isinf(got[1]) && got[1] < 0 && got[2] == 2.5f;
    CHECK(ok, "F64 read (rounded, -1e300 to -inf): %g %g %g", got[0], got[1], got[2]);
    ok = recur_file_read_tensor(f, "a", got, 6) == RECUR_OK && got[0] == 1 &&
         got[5] == 6;
    CHECK(ok, "F32 read: %g .. %g", got[0], got[5]);
    ok = recur_file_read_tensor(f, "s", got, 1) == RECUR_OK && got[0] == 7;
    CHECK(ok, "scalar read: %g", got[0]);

    /* Refusals leave the buffer as it was. */
    for (size_t i = 0; i < 8; i++)
        got[i] = -9;
    expect("read into 5 floats of 6", recur_file_read_tensor(f, "a", got, 5),
           RECUR_ERR_ARGUMENT, "6", "5", END);
    expect("read an I32 tensor", recur_file_read_tensor(f, "i", got, 8),
           RECUR_ERR_SHAPE, "I32", END);
    expect("read an absent tensor", recur_file_read_tensor(f, "zz", got, 8),
           RECUR_ERR_SHAPE, "zz", END);
    expect("read NULL dst", recur_file_read_tensor(f, "a", NULL, 8),
           RECUR_ERR_ARGUMENT, END);
    expect("read NULL name", recur_file_read_tensor(f, NULL, got, 8),
           RECUR_ERR_ARGUMENT, END);
    expect("read NULL file", recur_file_read_tensor(NULL, "a", got, 8),
           RECUR_ERR_ARGUMENT, END);
    int untouched = 1;
    for (size_t i = 0; i < 8; i++)
        untouched &= got[i] == -9;
    CHECK(untouched, "a refused read wrote into the buffer");
}

static void check_meta(recur_file *f)
{
    static const char *const keys[3] = {"alpha", "format", "zeta"};
    static const char *const values[3] = {"1", "test", "\xc3\xa9t\xc3\xa9"};
    CHECK(recur_file_get_meta_count(f) == 3, "%zu metadata entries, expected 3",
          recur_file_get_meta_count(f));
    for (size_t i = 0; i < 3; i++) {
        const char *k = NULL, *v = NULL;
        int ok = recur_file_get_meta(f, i, &k, &v) == RECUR_OK && k && v &&
                 !strcmp(k, keys[i]) && !strcmp(v, values[i]);
        CHECK(ok, "metadata %zu: '%s' = '%s', expected '%s' = '%s' (key order)",
              i, k ? k : "", v ? v : "", keys[i], values[i]);
        const char *found = recur_file_find_meta(f, keys[i]);
        CHECK(found && !strcmp(found, values[i]), "find_meta(%s)", keys[i]);
    }
    const char *v = NULL;
    CHECK(recur_file_get_meta(f, 1, NULL, &v) == RECUR_OK && !strcmp(v, "test"),
          "get_meta with key not wanted");
    expect("get_meta past the end", recur_file_get_meta(f, 3, NULL, NULL),
           RECUR_ERR_ARGUMENT, "3", END);
    expect("get_meta NULL file", recur_file_get_meta(NULL, 0, NULL, NULL),
           RECUR_ERR_ARGUMENT, END);
    CHECK(!recur_file_find_meta(f, "absent") && !recur_file_find_meta(f, NULL) &&
              !recur_file_find_meta(NULL, "alpha"),
          "find_meta of an absent key or NULL is not NULL");
}

/* Copies of a good file, each broken one way: open refuses them all. */
static void check_hostile_files(const char *good)
{
    size_t size = 0;
    char *bytes = spawn_read_file(good, &size), bad[400], what[128];
    CHECK(bytes && size > 100, "cannot read back %s", good);
    if (!bytes)
        return;
    uint64_t header = 0;
    memcpy(&header, bytes, 8); /* little-endian machines only, as recur */
    in_scratch(bad, sizeof bad, "bad.safetensors");
    /* Truncated: in the length, in the JSON, at its end, in the data. */
    const size_t cuts[] = {0, 5, 8, 9, 8 + header / 2, 8 + header, size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        recur_file *f = NULL;
        snprintf(what, sizeof what, "open a copy cut to %zu of %zu bytes",
                 cuts[i], size);
        if (!spawn_write_file(bad, bytes, cuts[i]))
            continue;
        expect(what, recur_file_open(bad, &f), RECUR_ERR_FORMAT, END);
        CHECK(!f, "%s: a handle came back", what);
    }
    /* An unknown dtype, a shape its bytes do not fill (same lengths). */
    static const char *const swaps[2][2] = {{"\"F16\"", "\"F17\""},
                                            {"\"shape\":[4]", "\"shape\":[5]"}};
    for (size_t i = 0; i < 2; i++) {
        char *copy = malloc(size), *at = NULL;
        if (!copy)
            break;
        memcpy(copy, bytes, size);
        for (size_t j = 8; !at && j + strlen(swaps[i][0]) < 8 + header; j++)
            if (!memcmp(copy + j, swaps[i][0], strlen(swaps[i][0])))
                at = copy + j;
        CHECK(at != NULL, "no %s in the header", swaps[i][0]);
        if (at && (memcpy(at, swaps[i][1], strlen(swaps[i][1])), 1) &&
            spawn_write_file(bad, copy, size)) {
            recur_file *f = NULL;
            snprintf(what, sizeof what, "open with %s for %s", swaps[i][1],
                     swaps[i][0]);
            expect(what, recur_file_open(bad, &f), RECUR_ERR_FORMAT, END);
        }
        free(copy);
    }
    free(bytes);
    recur_file *f = NULL;
    expect("open a missing file",
           recur_file_open(in_scratch(bad, sizeof bad, "none.safetensors"), &f),
           RECUR_ERR_IO, "none.safetensors", END);
    expect("open NULL path", recur_file_open(NULL, &f), RECUR_ERR_ARGUMENT, END);
    expect("open NULL out", recur_file_open(good, NULL), RECUR_ERR_ARGUMENT, END);
}

void test_embed_file(void)
{
    if (!spawn_scratch_open("recur-embed", scratch, sizeof scratch, capture,
                            sizeof capture))
        return;
    char path[400], plain[400];
    in_scratch(path, sizeof path, "t.safetensors");
    in_scratch(plain, sizeof plain, "plain.safetensors");
    recur_file *f = NULL;
    if (write_tensors(path, 1) && recur_file_open(path, &f) == RECUR_OK) {
        check_listing(f);
        check_reads(f);
        check_meta(f);
        check_hostile_files(path);
    }
    CHECK(f != NULL, "open %s: %s", path, recur_last_error());
    recur_file_free(f);
    f = NULL;
    if (write_tensors(plain, 0) && recur_file_open(plain, &f) == RECUR_OK)
        CHECK(recur_file_get_meta_count(f) == 0 && !recur_file_find_meta(f, "format"),
              "a file without metadata lists some");
    recur_file_free(f);
    recur_file_free(NULL);
    CHECK(recur_file_get_tensor_count(NULL) == 0 && recur_file_get_meta_count(NULL) == 0,
          "counts of a NULL file are not 0");
    spawn_remove_tree(scratch);
}

/* ------------------------------------------------------------------------ */
/* recur_model on checkpoints written here                                   */

static int save_lm(recur_lm *lm, const char *task, const char *path)
{
    st_writer *w = NULL;
    int ok = st_writer_new(&w) == RECUR_OK && lm_write(lm, task, w) == RECUR_OK &&
             st_writer_write(w, path) == RECUR_OK;
    st_writer_free(w);
    CHECK(ok, "cannot write %s: %s", path, recur_last_error());
    return ok;
}

static int save_seq(const seq_model *m, const char *task,
                    recur_status (*meta)(void *, st_writer *), void *ctx,
                    const char *path)
{
    st_writer *w = NULL;
    int ok = st_writer_new(&w) == RECUR_OK &&
             seq_model_write(m, task, w) == RECUR_OK &&
             (!meta || meta(ctx, w) == RECUR_OK) &&
             st_writer_write(w, path) == RECUR_OK;
    st_writer_free(w);
    CHECK(ok, "cannot write %s: %s", path, recur_last_error());
    return ok;
}

static recur_model *load(const char *what, const char *path)
{
    recur_model *m = NULL;
    recur_status s = recur_model_load(path, &m);
    CHECK(s == RECUR_OK && m, "%s: recur_model_load: %s: %s", what,
          recur_status_str(s), recur_last_error());
    return s == RECUR_OK ? m : NULL;
}

/* Every task's functions on a model of another task: RECUR_ERR_ARGUMENT,
 * the message naming the function and the model's task. */
static void check_wrong_kinds(recur_model *m)
{
    const recur_task task = recur_model_get_task(m);
    const char *name = recur_task_str(task);
    float probs[RECUR_MUSIC_KEYS] = {0}, frame[RECUR_MUSIC_KEYS] = {0};
    double history[64] = {0}, out[8];
    recur_lm *lm = NULL;
    size_t label = 99;
#define WRONG(fn, call)                                                         \
    do {                                                                        \
        char what_[96];                                                         \
        snprintf(what_, sizeof what_, "%s on a %s model", fn, name);            \
        expect(what_, call, RECUR_ERR_ARGUMENT, fn, name, END);                 \
    } while (0)
    if (task != RECUR_TASK_CHARLM && task != RECUR_TASK_WORDLM)
        WRONG("recur_model_get_lm", recur_model_get_lm(m, &lm));
    if (task != RECUR_TASK_CLASSIFY)
        WRONG("recur_model_classify",
              recur_model_classify(m, "text", probs, 88, &label));
    if (task != RECUR_TASK_FORECAST)
        WRONG("recur_model_forecast",
              recur_model_forecast(m, history, 64, 1, out, 8));
    if (task != RECUR_TASK_MUSIC) {
        WRONG("recur_model_reset", recur_model_reset(m));
        WRONG("recur_model_feed_frame",
              recur_model_feed_frame(m, frame, RECUR_MUSIC_KEYS, probs));
        WRONG("recur_model_sample_frame",
              recur_model_sample_frame(m, probs, RECUR_MUSIC_KEYS, 1, frame));
    }
#undef WRONG
    CHECK(!lm && label == 99, "%s: a refused call wrote its output", name);
    if (task != RECUR_TASK_CLASSIFY)
        CHECK(recur_model_get_label_count(m) == 0 && !recur_model_get_label(m, 0),
              "%s: labels of a model that has none", name);
    if (task != RECUR_TASK_FORECAST)
        CHECK(!recur_model_get_forecast_config(m) &&
                  !recur_model_get_column_name(m, 0),
              "%s: a forecaster's configuration of a model that is none", name);
}

/* ---- language models ---- */

static recur_lm *small_lm(size_t V, uint64_t seed)
{
    lm_config c = {0};
    c.arch.vocab_size = V;
    c.arch.embed_size = 4;
    c.arch.rnn = recur_rnn_config_default(RECUR_LSTM, 4, 6);
    recur_lm *lm = NULL;
    CHECK(lm_create(&c, seed, 0, &lm) == RECUR_OK, "lm_create: %s",
          recur_last_error());
    return lm;
}

/* recur_lm_state_sample draws what sample_token draws from the same
 * logits with a generator seeded alike (what `recur sample` runs). */
static void check_state_sample(recur_lm *lm)
{
    recur_lm_state *a = NULL, *b = NULL;
    if (recur_lm_state_create(lm, &a) || recur_lm_state_create(lm, &b)) {
        CHECK(0, "state_create: %s", recur_last_error());
        recur_lm_state_free(a);
        return;
    }
    const size_t V = recur_lm_get_config(lm)->vocab_size;
    size_t id = 0, want = 0, first = 0;
    expect("sample before a feed", recur_lm_state_sample(a, 1, 0, 1, &id),
           RECUR_ERR_ARGUMENT, "fed", END);
    rng_state rng;
    rng_seed(&rng, 9);
    void *work = malloc(sample_scratch_size(V));
    int same = work && recur_lm_state_set_seed(a, 9) == RECUR_OK &&
               recur_lm_state_feed(a, 2) == RECUR_OK &&
               recur_lm_state_feed(b, 2) == RECUR_OK;
    for (size_t i = 0; same && i < 30; i++) {
        same = recur_lm_state_sample(a, 0.9f, 3, 0.95f, &id) == RECUR_OK &&
               sample_token(recur_lm_state_get_logits(b), V, 0.9f, 3, 0.95f,
                            &rng, work, &want) == RECUR_OK &&
               id == want && recur_lm_state_feed(a, id) == RECUR_OK &&
               recur_lm_state_feed(b, want) == RECUR_OK;
        if (i == 0)
            first = id;
    }
    CHECK(same, "state_sample and sample_token part at a draw (%zu, %zu)", id,
          want);
    /* Reset keeps the generator; set_seed restarts it. */
    recur_lm_state_reset(a);
    same = recur_lm_state_set_seed(a, 9) == RECUR_OK &&
           recur_lm_state_feed(a, 2) == RECUR_OK &&
           recur_lm_state_sample(a, 0.9f, 3, 0.95f, &id) == RECUR_OK && id == first;
    CHECK(same, "the same seed after a reset gives another first token");
    /* Temperature 0: the most likely token (the lowest among equals). */
    const float *logits = recur_lm_state_get_logits(a);
    size_t best = 0;
    for (size_t v = 1; v < V; v++)
        best = logits[v] > logits[best] ? v : best;
    CHECK(recur_lm_state_sample(a, 0, 0, 1, &id) == RECUR_OK && id == best,
          "temperature 0 gives %zu, the argmax is %zu", id, best);
    expect("sample at temperature -1", recur_lm_state_sample(a, -1, 0, 1, &id),
           RECUR_ERR_ARGUMENT, END);
    expect("sample with top_p 0", recur_lm_state_sample(a, 1, 0, 0, &id),
           RECUR_ERR_ARGUMENT, END);
    expect("sample NULL id", recur_lm_state_sample(a, 1, 0, 1, NULL),
           RECUR_ERR_ARGUMENT, END);
    expect("sample NULL state", recur_lm_state_sample(NULL, 1, 0, 1, &id),
           RECUR_ERR_ARGUMENT, END);
    expect("set_seed NULL", recur_lm_state_set_seed(NULL, 1),
           RECUR_ERR_ARGUMENT, END);
    free(work);
    recur_lm_state_free(a);
    recur_lm_state_free(b);
}

static void check_charlm(void)
{
    static const uint32_t cps[5] = {'\n', ' ', 'a', 'b', 0xE9};
    char path[400];
    recur_lm *lm = small_lm(5, 3);
    if (!lm)
        return;
    lm->vocab = malloc(sizeof cps);
    if (lm->vocab)
        memcpy(lm->vocab, cps, sizeof cps);
    int saved = lm->vocab && save_lm(lm, "charlm", in_scratch(path, sizeof path, "c.safetensors"));
    recur_model *m = saved ? load("charlm", path) : NULL;
    recur_lm *got = NULL;
    if (m) {
        CHECK(recur_model_get_task(m) == RECUR_TASK_CHARLM, "task %d, not charlm",
              (int)recur_model_get_task(m));
        CHECK(recur_model_get_vocab_size(m) == 5 &&
                  recur_model_get_rnn_config(m)->hidden_size == 6 &&
                  recur_model_get_rnn_config(m)->mode == RECUR_LSTM,
              "charlm: vocabulary %zu, not 5, or the stack is not LSTM 6",
              recur_model_get_vocab_size(m));
        CHECK(recur_model_get_lm(m, &got) == RECUR_OK && got, "get_lm: %s",
              recur_last_error());
        expect("get_lm NULL out", recur_model_get_lm(m, NULL), RECUR_ERR_ARGUMENT, END);
        check_wrong_kinds(m);
    }
    if (got) {
        int ok = 1;
        for (size_t id = 0; id < 5; id++) {
            size_t back = 99;
            ok &= recur_lm_get_codepoint(got, id) == cps[id] &&
                  recur_lm_get_token(got, cps[id], &back) == RECUR_OK && back == id;
        }
        CHECK(ok, "codepoints do not round trip");
        size_t id;
        CHECK(!recur_lm_get_word(got, 0), "a character model gives a word");
        expect("get_word_token of a character model",
               recur_lm_get_word_token(got, "a", &id), RECUR_ERR_ARGUMENT,
               "word vocabulary", END);
        /* The model's language model is the file's: same logits. */
        recur_lm_state *a = NULL, *b = NULL;
        recur_lm *direct = NULL;
        ok = recur_lm_load(path, &direct) == RECUR_OK &&
             recur_lm_state_create(got, &a) == RECUR_OK &&
             recur_lm_state_create(direct, &b) == RECUR_OK &&
             recur_lm_state_feed(a, 4) == RECUR_OK &&
             recur_lm_state_feed(b, 4) == RECUR_OK &&
             !memcmp(recur_lm_state_get_logits(a), recur_lm_state_get_logits(b),
                     5 * sizeof(float));
        CHECK(ok, "recur_model_get_lm and recur_lm_load give other logits");
        recur_lm_state_free(a);
        recur_lm_state_free(b);
        recur_lm_free(direct);
        check_state_sample(got);
    }
    recur_model_free(m);
    /* A character model that calls itself a word model. */
    if (save_lm(lm, "wordlm", path)) {
        m = NULL;
        expect("a charlm saved as wordlm", recur_model_load(path, &m),
               RECUR_ERR_FORMAT, "wordlm", END);
        CHECK(!m, "a refused load gave a model");
    }
    recur_lm_free(lm);
}

static void check_wordlm(void)
{
    static const char *const words[5] = {"<eos>", "<unk>", "cat", "dog", "sat"};
    char path[400], nounk[400];
    recur_lm *lm = small_lm(5, 4), *lm2 = small_lm(5, 4);
    int ok = lm && lm2 &&
             word_vocab_parse("<eos>\n<unk>\ncat\ndog\nsat", 5, &lm->words) == RECUR_OK &&
             word_vocab_parse("<eos>\ncat\ndog\nsat\nzoo", 5, &lm2->words) == RECUR_OK &&
             save_lm(lm, "wordlm", in_scratch(path, sizeof path, "w.safetensors")) &&
             save_lm(lm2, "wordlm", in_scratch(nounk, sizeof nounk, "w2.safetensors"));
    recur_model *m = ok ? load("wordlm", path) : NULL,
                *m2 = ok ? load("wordlm without <unk>", nounk) : NULL;
    recur_lm *got = NULL, *got2 = NULL;
    if (m && m2) {
        CHECK(recur_model_get_task(m) == RECUR_TASK_WORDLM, "task %d, not wordlm",
              (int)recur_model_get_task(m));
        ok = recur_model_get_lm(m, &got) == RECUR_OK &&
             recur_model_get_lm(m2, &got2) == RECUR_OK;
        check_wrong_kinds(m);
    }
    if (got && got2) {
        ok = 1;
        for (size_t id = 0; id < 5; id++) {
            size_t back = 99;
            const char *w = recur_lm_get_word(got, id);
            ok &= w && !strcmp(w, words[id]) &&
                  recur_lm_get_word_token(got, w, &back) == RECUR_OK && back == id;
        }
        CHECK(ok, "words do not round trip");
        size_t id = 99;
        CHECK(!recur_lm_get_word(got, 5) && recur_lm_get_codepoint(got, 0) == 0,
              "a word past V, or a code point of a word model");
        CHECK(recur_lm_get_word_token(got, "zebra", &id) == RECUR_OK && id == 1,
              "an unseen word is %zu, not <unk> (1)", id);
        id = 99;
        expect("an unseen word without <unk>",
               recur_lm_get_word_token(got2, "zebra", &id), RECUR_ERR_ARGUMENT,
               "zebra", "<unk>", END);
        CHECK(id == 99, "a refused lookup wrote the id");
        expect("get_token of a word model", recur_lm_get_token(got, 'a', &id),
               RECUR_ERR_ARGUMENT, END);
        expect("get_word_token NULL word", recur_lm_get_word_token(got, NULL, &id),
               RECUR_ERR_ARGUMENT, END);
        CHECK(!recur_lm_get_word(NULL, 0), "a word of a NULL model");
    }
    recur_model_free(m);
    recur_model_free(m2);
    if (lm && save_lm(lm, "charlm", path)) {
        m = NULL;
        expect("a wordlm saved as charlm", recur_model_load(path, &m),
               RECUR_ERR_FORMAT, "charlm", END);
    }
    recur_lm_free(lm);
    recur_lm_free(lm2);
}

/* ---- classify ---- */

static seq_config seq_small(size_t input, size_t V, size_t K, seq_pool pool,
                            seq_loss loss, int bidirectional)
{
    seq_config c = {0};
    c.rnn = recur_rnn_config_default(RECUR_LSTM, V ? 4 : input, 5);
    c.rnn.bidirectional = bidirectional;
    c.vocab_size = V;
    c.embed_size = V ? 4 : 0;
    c.outputs = K;
    c.pool = pool;
    c.loss = loss;
    return c;
}

/* What predict computes for one text: classifier_encode, seq_model_batch. */
static int reference_classify(seq_model *m, const classifier *cl,
                              const char *text, float *p)
{
    token_list tok = {0};
    size_t offset[2] = {0, 0}, zero = 0, counted;
    int32_t label = 0;
    double loss;
    seq_data d = {.n = 1, .offset = offset, .label = &label, .outputs = cl->K};
    int ok = classifier_encode(cl, text, &tok, &d) == RECUR_OK &&
             seq_model_batch(m, &d, &zero, 1, 0, &loss, &counted, p) == RECUR_OK;
    free(d.tokens);
    tokens_free(&tok);
    return ok;
}

static void check_classify(void)
{
    static const char *const texts[] = {"the good film", "Bad!", "",
                                        "unheard-of words only", "film film film"};
    char path[400], bad[400];
    seq_config c = seq_small(0, 6, 3, SEQ_POOL_LAST, SEQ_LOSS_XENT, 1);
    seq_model *net = NULL;
    tok_vocab *vocab = NULL;
    char **labels = NULL;
    size_t K = 0;
    int ok = seq_model_create(&c, 11, &net) == RECUR_OK &&
             tok_vocab_parse("<pad>\n<unk>\ngood\nbad\nfilm\nthe", 6, &vocab) == RECUR_OK &&
             labels_parse("neg\nneu\npos", &labels, &K) == RECUR_OK;
    CHECK(ok, "the classifier: %s", recur_last_error());
    classifier cl = {.tk = {RECUR_TOKENS_WORD, 0}, .vocab = vocab,
                     .labels = (const char *const *)labels, .K = K};
    ok = ok && save_seq(net, "classify", classifier_write_meta, &cl,
                        in_scratch(path, sizeof path, "cl.safetensors"));
    recur_model *m = ok ? load("classify", path) : NULL;
    if (m) {
        CHECK(recur_model_get_task(m) == RECUR_TASK_CLASSIFY &&
                  recur_model_get_vocab_size(m) == 6 &&
                  recur_model_get_label_count(m) == 3 &&
                  !strcmp(recur_model_get_label(m, 0), "neg") &&
                  !strcmp(recur_model_get_label(m, 2), "pos") &&
                  !recur_model_get_label(m, 3) &&
                  recur_model_get_rnn_config(m)->bidirectional == 1,
              "classify: task, vocabulary, labels or stack not as saved");
        for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
            float p[4] = {-1, -1, -1, -1}, want[3];
            size_t label = 99, best = 0;
            int same = reference_classify(net, &cl, texts[i], want) &&
                       recur_model_classify(m, texts[i], p, 4, &label) == RECUR_OK &&
                       !memcmp(p, want, sizeof want) && p[3] == -1;
            for (size_t k = 1; k < 3; k++)
                best = want[k] > want[best] ? k : best;
            CHECK(same && label == best, "classify '%s': %g %g %g, label %zu; "
                  "predict's %g %g %g, label %zu", texts[i], p[0], p[1], p[2],
                  label, want[0], want[1], want[2], best);
        }
        size_t label = 99;
        CHECK(recur_model_classify(m, "good", NULL, 0, &label) == RECUR_OK &&
                  label < 3,
              "classify with probs not wanted");
        float p[3] = {-1, -1, -1};
        label = 99;
        expect("classify into 2 floats", recur_model_classify(m, "good", p, 2, &label),
               RECUR_ERR_ARGUMENT, "3 labels", END);
        expect("classify invalid UTF-8", recur_model_classify(m, "caf\xe9 good", p, 3, &label),
               RECUR_ERR_ARGUMENT, "UTF-8", "byte 3", END);
        expect("classify NULL text", recur_model_classify(m, NULL, p, 3, &label),
               RECUR_ERR_ARGUMENT, END);
        CHECK(p[0] == -1 && p[2] == -1 && label == 99,
              "a refused classify wrote its outputs");
        expect("classify NULL model", recur_model_classify(NULL, "x", p, 3, &label),
               RECUR_ERR_ARGUMENT, END);
        check_wrong_kinds(m);
    }
    recur_model_free(m);

    /* Two labels for three outputs; the classifier network as music. */
    in_scratch(bad, sizeof bad, "bad.safetensors");
    cl.K = 2;
    m = NULL;
    if (ok && save_seq(net, "classify", classifier_write_meta, &cl, bad))
        expect("2 labels for 3 outputs", recur_model_load(bad, &m),
               RECUR_ERR_FORMAT, "2 labels", END);
    if (ok && save_seq(net, "music", NULL, NULL, bad))
        expect("a classifier as music", recur_model_load(bad, &m),
               RECUR_ERR_FORMAT, "not a music model", END);
    if (ok && save_seq(net, "translate", NULL, NULL, bad))
        expect("task translate", recur_model_load(bad, &m), RECUR_ERR_UNSUPPORTED,
               "translate", END);
    if (ok && save_seq(net, "charlm", NULL, NULL, bad))
        expect("a sequence model as charlm", recur_model_load(bad, &m),
               RECUR_ERR_FORMAT, "charlm", END);
    if (ok && save_seq(net, "classify", NULL, NULL, bad))
        expect("a classifier without its metadata", recur_model_load(bad, &m),
               RECUR_ERR_FORMAT, "vocab", END);
    /* The checkpoint cut in its data. */
    size_t size = 0;
    char *bytes = spawn_read_file(path, &size);
    if (bytes && spawn_write_file(bad, bytes, size - 7))
        expect("a truncated classifier", recur_model_load(bad, &m),
               RECUR_ERR_FORMAT, END);
    CHECK(!m, "a refused load gave a model");
    free(bytes);
    free(labels);
    tok_vocab_free(vocab);
    seq_model_free(net);
}

/* ---- forecast ---- */

static void check_forecaster(const char *what, seq_model *net, forecaster *f,
                             double *history, size_t steps)
{
    char path[400];
    recur_model *m = save_seq(net, "forecast", forecaster_write_meta, f,
                              in_scratch(path, sizeof path, "f.safetensors"))
                         ? load(what, path)
                         : NULL;
    if (!m)
        return;
    const recur_forecast_config *c = recur_model_get_forecast_config(m);
    const size_t C = 1 + f->n_features, need = f->lookback + (size_t)f->difference;
    CHECK(c && c->lookback == f->lookback && c->horizon == f->horizon &&
              c->columns == C && c->history == need &&
              c->recursive == f->recursive && c->log == f->log &&
              c->difference == f->difference && c->calendar == 0 &&
              recur_model_get_vocab_size(m) == 0,
          "%s: the configuration is not the checkpoint's", what);
    CHECK(c && c->date_step && c->date_last &&
              !strcmp(c->date_step, f->date_step) &&
              !strcmp(c->date_last, f->date_last ? f->date_last : ""),
          "%s: dates '%s' '%s', the checkpoint's '%s' '%s'", what,
          c && c->date_step ? c->date_step : "(null)",
          c && c->date_last ? c->date_last : "(null)", f->date_step,
          f->date_last ? f->date_last : "");
    CHECK(!strcmp(recur_model_get_column_name(m, 0), "load") &&
              (C == 1 || !strcmp(recur_model_get_column_name(m, 1), "temp")) &&
              !recur_model_get_column_name(m, C),
          "%s: column names", what);
    /* What `recur predict` computes from a file of these steps. */
    const char *names[2] = {"load", "temp"};
    series_data all = {.n = steps, .columns = C, .value = history, .name = names};
    double want[4] = {0}, got[5] = {0, 0, 0, 0, -7};
    int ok = forecaster_predict(net, f, &all, what, want) == RECUR_OK &&
             recur_model_forecast(m, history, steps, C, got, 5) == RECUR_OK &&
             !memcmp(got, want, f->horizon * sizeof(double)) && got[4] == -7;
    CHECK(ok, "%s: forecast %.9g %.9g, predict's %.9g %.9g (%s)", what, got[0],
          got[1], want[0], want[1], recur_last_error());
    CHECK(isfinite(want[0]) && want[0] != 0, "%s: the forecast is %g", what, want[0]);

    /* Only the last `history` steps are read: a NaN before them is none of
     * its business; one among them is refused. */
    double saved = history[0];
    history[0] = NAN;
    ok = recur_model_forecast(m, history, steps, C, got, 5) == RECUR_OK &&
         !memcmp(got, want, f->horizon * sizeof(double));
    CHECK(ok, "%s: a NaN before the steps read changed the forecast", what);
    history[0] = saved;
    double keep[4];
    memcpy(keep, got, sizeof keep);
    saved = history[(steps - 1) * C];
    history[(steps - 1) * C] = INFINITY;
    char step[32];
    snprintf(step, sizeof step, "step %zu", steps - 1);
    expect("forecast an infinite value", recur_model_forecast(m, history, steps, C, got, 5),
           RECUR_ERR_ARGUMENT, step, "load", END);
    if (f->log) {
        history[(steps - 1) * C] = 0;
        expect("forecast a log of 0", recur_model_forecast(m, history, steps, C, got, 5),
               RECUR_ERR_ARGUMENT, step, "not positive", END);
    }
    history[(steps - 1) * C] = saved;
    expect("forecast with too short a history",
           recur_model_forecast(m, history + C, need - 1, C, got, 5),
           RECUR_ERR_ARGUMENT, "steps", END);
    expect("forecast with other columns",
           recur_model_forecast(m, history, steps, C + 1, got, 5),
           RECUR_ERR_ARGUMENT, "columns", END);
    expect("forecast into too small a buffer",
           recur_model_forecast(m, history, steps, C, got, f->horizon - 1),
           RECUR_ERR_ARGUMENT, "horizon", END);
    expect("forecast NULL history", recur_model_forecast(m, NULL, steps, C, got, 5),
           RECUR_ERR_ARGUMENT, END);
    CHECK(!memcmp(got, keep, sizeof keep), "%s: a refused forecast wrote", what);
    check_wrong_kinds(m);
    recur_model_free(m);
}

static void check_forecast(void)
{
    enum { STEPS = 9 };
    double history[STEPS * 2], level[STEPS];
    for (size_t t = 0; t < STEPS; t++) {
        history[2 * t] = 10 + 0.5 * (double)t + sin((double)t);
        history[2 * t + 1] = (double)(t % 3);
        level[t] = history[2 * t];
    }
    /* Direct, horizon 2, the target and one feature. */
    seq_config c = seq_small(2, 0, 2, SEQ_POOL_LAST, SEQ_LOSS_MSE, 0);
    c.rnn.mode = RECUR_GRU;
    seq_model *net = NULL;
    forecaster f;
    memset(&f, 0, sizeof f);
    double stats[4] = {12, 1, 2.5, 0.8};
    f.lookback = 4;
    f.horizon = 2;
    f.target = "load";
    f.missing = "error";
    f.norm = (series_norm){.columns = 2, .mean = stats, .std = stats + 2};
    /* Monthly dates to 1960-12 (recur_forecast_config.date_step, date_last). */
    f.date = "month";
    strcpy(f.date_step, "P1M");
    f.date_last = "1960-12";
    if (seq_model_create(&c, 5, &net) == RECUR_OK &&
        forecaster_split_features(&f, "temp") == RECUR_OK)
        check_forecaster("direct forecaster", net, &f, history, STEPS);
    /* A horizon the outputs do not match. */
    char bad[400];
    recur_model *m = NULL;
    f.horizon = 3;
    if (net && save_seq(net, "forecast", forecaster_write_meta, &f,
                        in_scratch(bad, sizeof bad, "bad.safetensors")))
        expect("horizon 3 with 2 outputs", recur_model_load(bad, &m),
               RECUR_ERR_FORMAT, "horizon 3", END);
    /* A date step that is none. */
    f.horizon = 2;
    strcpy(f.date_step, "P0M");
    if (net && save_seq(net, "forecast", forecaster_write_meta, &f,
                        in_scratch(bad, sizeof bad, "bad.safetensors")))
        expect("date_step P0M", recur_model_load(bad, &m), RECUR_ERR_FORMAT,
               "date_step 'P0M'", END);
    seq_model_free(net);

    /* Recursive over 3 steps of the logarithm's changes. */
    c = seq_small(1, 0, 1, SEQ_POOL_LAST, SEQ_LOSS_MSE, 0);
    net = NULL;
    memset(&f, 0, sizeof f);
    double stats1[2] = {0.01, 0.05};
    f.lookback = 4;
    f.horizon = 3;
    f.recursive = f.log = f.difference = 1;
    f.target = "load";
    f.missing = "error";
    f.norm = (series_norm){.columns = 1, .mean = stats1, .std = stats1 + 1};
    if (seq_model_create(&c, 6, &net) == RECUR_OK)
        check_forecaster("recursive log-difference forecaster", net, &f, level,
                         STEPS);
    seq_model_free(net);
}

/* ---- music ---- */

static void check_music(void)
{
    enum { K = RECUR_MUSIC_KEYS };
    char path[400];
    seq_config c = seq_small(K, 0, K, SEQ_POOL_STEP, SEQ_LOSS_BCE, 0);
    seq_model *net = NULL;
    recur_model *m = seq_model_create(&c, 8, &net) == RECUR_OK &&
                             save_seq(net, "music", NULL, NULL,
                                      in_scratch(path, sizeof path, "m.safetensors"))
                         ? load("music", path)
                         : NULL;
    if (!m) {
        seq_model_free(net);
        return;
    }
    CHECK(recur_model_get_task(m) == RECUR_TASK_MUSIC &&
              recur_model_get_vocab_size(m) == 0 &&
              recur_model_get_rnn_config(m)->input_size == K,
          "music: task, vocabulary or stack");
    /* Three frames: what seq_model_stream gives, after a reset the same. */
    float frame[K] = {0}, got[K], want[K], first[K];
    int same = seq_model_reset_stream(net) == RECUR_OK;
    for (int t = 0; same && t < 3; t++) {
        same = recur_model_feed_frame(m, frame, K, got) == RECUR_OK &&
               seq_model_stream(net, frame, want) == RECUR_OK &&
               !memcmp(got, want, sizeof got);
        if (t == 0)
            memcpy(first, got, sizeof got);
        for (int k = 0; k < K; k++)
            frame[k] = (float)((k * 7 + t) % 5 == 0);
    }
    CHECK(same, "feed_frame is not seq_model_stream");
    memset(frame, 0, sizeof frame);
    CHECK(recur_model_reset(m) == RECUR_OK &&
              recur_model_feed_frame(m, frame, K, got) == RECUR_OK &&
              !memcmp(got, first, sizeof got),
          "after reset, the first frame's probabilities differ");
    /* Draws: sample_frame's, from the seed; probs and frame may be one. */
    rng_state rng;
    rng_seed(&rng, 5);
    float drawn[K], copy[K];
    memcpy(copy, got, sizeof got);
    sample_frame(got, K, 0.7f, &rng, want);
    CHECK(recur_model_set_seed(m, 5) == RECUR_OK &&
              recur_model_sample_frame(m, copy, K, 0.7f, copy) == RECUR_OK &&
              !memcmp(copy, want, sizeof want),
          "sample_frame in place is not the CLI's draw");
    sample_frame(got, K, 0.7f, &rng, want); /* the next draw */
    float bad[K];
    memcpy(bad, got, sizeof bad);
    bad[40] = 1.5f;
    memset(drawn, 0, sizeof drawn);
    expect("sample a probability of 1.5", recur_model_sample_frame(m, bad, K, 0.7f, drawn),
           RECUR_ERR_ARGUMENT, "1.5", END);
    expect("sample at temperature 0", recur_model_sample_frame(m, got, K, 0, drawn),
           RECUR_ERR_ARGUMENT, "temperature", END);
    expect("sample 87 keys", recur_model_sample_frame(m, got, K - 1, 1, drawn),
           RECUR_ERR_ARGUMENT, "88", END);
    expect("sample NULL frame", recur_model_sample_frame(m, got, K, 1, NULL),
           RECUR_ERR_ARGUMENT, END);
    CHECK(recur_model_sample_frame(m, got, K, 0.7f, drawn) == RECUR_OK &&
              !memcmp(drawn, want, sizeof want),
          "a refused draw moved the generator");
    expect("feed 89 keys", recur_model_feed_frame(m, frame, K + 1, got),
           RECUR_ERR_ARGUMENT, "88", END);
    expect("feed NULL probs", recur_model_feed_frame(m, frame, K, NULL),
           RECUR_ERR_ARGUMENT, END);
    check_wrong_kinds(m);
    recur_model_free(m);
    seq_model_free(net);
}

void test_embed_model(void)
{
    if (!spawn_scratch_open("recur-embed", scratch, sizeof scratch, capture,
                            sizeof capture))
        return;
    check_charlm();
    check_wordlm();
    check_classify();
    check_forecast();
    check_music();

    /* Tasks by name. */
    int ok = 1;
    for (recur_task t = RECUR_TASK_CHARLM; t <= RECUR_TASK_MUSIC; t++) {
        recur_task back = RECUR_TASK_NONE;
        ok &= recur_task_parse(recur_task_str(t), &back) == RECUR_OK && back == t;
    }
    CHECK(ok, "task names do not round trip");
    recur_task t = RECUR_TASK_MUSIC;
    CHECK(!strcmp(recur_task_str(RECUR_TASK_NONE), "none") &&
              !recur_task_str((recur_task)99),
          "recur_task_str of none or an unknown value");
    expect("parse 'none'", recur_task_parse("none", &t), RECUR_ERR_ARGUMENT, "none", END);
    expect("parse NULL", recur_task_parse(NULL, &t), RECUR_ERR_ARGUMENT, END);
    CHECK(t == RECUR_TASK_MUSIC, "a refused parse wrote the task");

    /* NULL handles and files that are no checkpoint of recur train. */
    CHECK(recur_model_get_task(NULL) == RECUR_TASK_NONE &&
              !recur_model_get_rnn_config(NULL) && recur_model_get_vocab_size(NULL) == 0 &&
              recur_model_get_label_count(NULL) == 0 && !recur_model_get_label(NULL, 0) &&
              !recur_model_get_forecast_config(NULL) &&
              !recur_model_get_column_name(NULL, 0),
          "getters of a NULL model");
    expect("set_seed NULL", recur_model_set_seed(NULL, 1), RECUR_ERR_ARGUMENT, END);
    expect("reset NULL", recur_model_reset(NULL), RECUR_ERR_ARGUMENT, END);
    recur_model_free(NULL);
    char path[400];
    recur_model *m = NULL;
    expect("load NULL path", recur_model_load(NULL, &m), RECUR_ERR_ARGUMENT, END);
    expect("load a missing file",
           recur_model_load(in_scratch(path, sizeof path, "none"), &m),
           RECUR_ERR_IO, END);
    recur_rnn_config rc = recur_rnn_config_default(RECUR_GRU, 3, 4);
    recur_rnn *rnn = NULL;
    in_scratch(path, sizeof path, "rnn.safetensors");
    if (recur_rnn_create(&rc, 1, &rnn) == RECUR_OK && recur_rnn_save(rnn, path) == RECUR_OK)
        expect("load a bare RNN", recur_model_load(path, &m), RECUR_ERR_FORMAT,
               "recur_rnn_load", END);
    CHECK(!m, "a refused load gave a model");
    recur_rnn_free(rnn);
    spawn_remove_tree(scratch);
}

/* ------------------------------------------------------------------------ */
/* examples/embed.c against the CLI                                          */

typedef struct {
    int status;
    char *out, *err;
} run_result;

static const char *embed_bin(void)
{
    const char *b = getenv("RECUR_EMBED");
    return b && *b ? b : "build/embed";
}

/* embed ARGS <input (NULL: /dev/null), stdout and stderr captured. */
static run_result run_embed(const char *args, const char *input)
{
    run_result r = {-1, NULL, NULL};
    char cmd[2048], err_path[400];
    snprintf(err_path, sizeof err_path, "%s/embed.err", capture);
    snprintf(cmd, sizeof cmd, "%s %s <%s 2>%s", embed_bin(), args,
             input ? input : "/dev/null", err_path);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL, "cannot run %s", cmd);
    if (!p)
        return r;
    size_t n = 0, cap = 4096, got;
    r.out = malloc(cap + 1);
    while (r.out && (got = fread(r.out + n, 1, cap - n, p)) > 0)
        if ((n += got) == cap) {
            char *bigger = realloc(r.out, 2 * cap + 1);
            if (!bigger)
                free(r.out);
            r.out = bigger;
            cap *= 2;
        }
    if (r.out)
        r.out[n] = '\0';
    int status = pclose(p);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = spawn_read_file(err_path, NULL);
    CHECK(r.out && r.err, "%s: no output captured", cmd);
    CHECK(!r.err || (!strstr(r.err, "Sanitizer") && !strstr(r.err, "runtime error")),
          "%s: sanitizer report:\n%s", cmd, r.err);
    return r;
}

static void run_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

/* `recur ARGS...` must exit 0; its stdout (caller frees), or NULL. */
static char *recur_out(const char *what, const char *const *args)
{
    spawn_result r = spawn_recur(capture, args);
    CHECK(r.status == 0, "%s: exit %d: %s", what, r.status, r.err ? r.err : "");
    char *out = r.status == 0 ? r.out : NULL;
    if (out)
        r.out = NULL;
    spawn_result_free(&r);
    return out;
}

/* embed on model (extra arguments, stdin from input) says its task and
 * predicts what `recur ARGS` prints. */
static void compare(const char *what, const char *model, const char *extra,
                    const char *input, const char *task, const char *const *args)
{
    char cmd[1024], head[64];
    snprintf(cmd, sizeof cmd, "%s %s", model, extra ? extra : "");
    run_result r = run_embed(cmd, input);
    char *want = recur_out(what, args);
    snprintf(head, sizeof head, "task: %s\n", task);
    const char *pred = r.out ? strstr(r.out, "\nprediction:\n") : NULL;
    CHECK(r.status == 0, "%s: embed exit %d: %s", what, r.status, r.err ? r.err : "");
    CHECK(r.out && !strncmp(r.out, head, strlen(head)) &&
              strstr(r.out, "\nfile: ") && strstr(r.out, "  format = recur-"),
          "%s: embed does not start with '%s' and list the file:\n%s", what,
          head, r.out ? r.out : "");
    CHECK(pred && want && !strcmp(pred + 13, want),
          "%s: embed predicts\n%s\nrecur prints\n%s", what,
          pred ? pred + 13 : "(nothing)", want ? want : "(nothing)");
    CHECK(want && strlen(want) > 8, "%s: recur printed almost nothing: %s", what,
          want ? want : "");
    free(want);
    run_free(&r);
}

static const char *const lm_words[] = {"the", "cat", "sat", "on", "a", "mat",
                                       "and", "dog", "ran", "to", "big", "red"};

static int write_corpus(const char *path)
{
    FILE *f = fopen(path, "w");
    uint64_t x = 7;
    for (int line = 0; f && line < 150; line++) {
        for (int w = 0; w < 3 + line % 5; w++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            fprintf(f, "%s%s", w ? " " : "", lm_words[(x >> 33) % 12]);
        }
        fputc('\n', f);
    }
    return f && fclose(f) == 0;
}

static int write_reviews(const char *path)
{
    static const char *const filler[] = {"the", "a", "movie", "was", "plot", "film"};
    FILE *f = fopen(path, "w");
    for (int i = 0; f && i < 60; i++)
        fprintf(f, "%d\t%s %s %s\n", i % 2, filler[i % 6], i % 2 ? "good" : "bad",
                filler[(i / 6) % 6]);
    return f && fclose(f) == 0;
}

/* The series as the CSV predict reads and as embed's history (load, temp;
 * or load alone), the same text of each value. */
static int write_series(const char *csv, const char *two, const char *one)
{
    FILE *c = fopen(csv, "w"), *t = fopen(two, "w"), *o = fopen(one, "w");
    if (c)
        fputs("date,temp,load\n", c);
    for (int i = 0; c && t && o && i < 120; i++) {
        char v[32];
        snprintf(v, sizeof v, "%.4f", 10 + 0.05 * i + 3 * sin(6.283185307 * i / 12));
        fprintf(c, "2020-01-%03d,%d,%s\n", i, i % 7, v);
        fprintf(t, "%s,%d\n", v, i % 7);
        fprintf(o, "%s\n", v);
    }
    int ok = c && t && o;
    ok &= c && fclose(c) == 0;
    ok &= t && fclose(t) == 0;
    ok &= o && fclose(o) == 0;
    return ok;
}

static int write_rolls(const char *dir)
{
    static const char *const chords[4] = {"60,64,67", "62,65,69", "-", "64,67,71"};
    char path[600];
    int ok = mkdir(dir, 0700) == 0;
    for (int s = 0; ok && s < 3; s++) {
        snprintf(path, sizeof path, "%s/%s", dir,
                 s == 0 ? "train.txt" : s == 1 ? "valid.txt" : "test.txt");
        FILE *f = fopen(path, "w");
        for (int piece = 0; f && piece < 3; piece++)
            for (int t = 0; t < 12; t++)
                fprintf(f, "%s%s", chords[(piece + t) % 4], t < 11 ? " " : "\n");
        ok = f && fclose(f) == 0;
    }
    return ok;
}

static int train(const char *what, const char *const *args)
{
    spawn_result r = spawn_recur(capture, args);
    CHECK(r.status == 0, "%s: exit %d: %s", what, r.status, r.err ? r.err : "");
    spawn_result_free(&r);
    return r.status == 0;
}

#define LM_TINY "--hidden", "16", "--embed", "8", "--batch", "4", "--seq-len", \
                "8", "--threads", "1", "--epochs", "0", "--steps", "30"
#define SEQ_TINY "--hidden", "8", "--threads", "1", "--quiet", "--epochs", "4"

void test_embed_program(void)
{
    if (!spawn_scratch_open("recur-embed", scratch, sizeof scratch, capture,
                            sizeof capture))
        return;
    char text[400], ch[400], wd[400], tsv[400], cl[400], line[400], csv[400],
        two[400], one[400], fd[400], fr[400], rolls[400], mu[400], mid[400];
    in_scratch(text, sizeof text, "text.txt");
    in_scratch(ch, sizeof ch, "char.safetensors");
    in_scratch(wd, sizeof wd, "word.safetensors");
    in_scratch(tsv, sizeof tsv, "reviews.tsv");
    in_scratch(cl, sizeof cl, "cl.safetensors");
    in_scratch(line, sizeof line, "line.txt");
    in_scratch(csv, sizeof csv, "series.csv");
    in_scratch(two, sizeof two, "history2.txt");
    in_scratch(one, sizeof one, "history1.txt");
    in_scratch(fd, sizeof fd, "direct.safetensors");
    in_scratch(fr, sizeof fr, "recursive.safetensors");
    in_scratch(rolls, sizeof rolls, "rolls");
    in_scratch(mu, sizeof mu, "music.safetensors");
    in_scratch(mid, sizeof mid, "x.mid");
    int ok = write_corpus(text) && write_reviews(tsv) &&
             spawn_write_file(line, "Really GOOD film, unseen-words\n", 31) &&
             write_series(csv, two, one) && write_rolls(rolls);
    CHECK(ok, "cannot write the inputs in %s", scratch);

    /* Language models: the text of recur sample --length 60. */
    const char *tc[] = {"train", "--task", "charlm", "--data", text, LM_TINY,
                        "--save", ch, END};
    const char *tw[] = {"train", "--task", "wordlm", "--data", text, LM_TINY,
                        "--save", wd, END};
    const char *sc[] = {"sample", "--model", ch, "--length", "60", END};
    const char *sw[] = {"sample", "--model", wd, "--length", "60", END};
    if (ok && train("train charlm", tc))
        compare("charlm", ch, "60", NULL, "charlm", sc);
    if (ok && train("train wordlm", tw))
        compare("wordlm", wd, "60", NULL, "wordlm", sw);

    /* A classifier: predict of the same line. */
    const char *tcl[] = {"train", "--task", "classify", "--data", tsv, SEQ_TINY,
                         "--embed", "8", "--bow-epochs", "0", "--save", cl, END};
    const char *pcl[] = {"predict", "--model", cl, "--data", line, END};
    if (ok && train("train classify", tcl))
        compare("classify", cl, NULL, line, "classify", pcl);

    /* Forecasters: direct with a feature; recursive, log, differenced. */
    const char *tfd[] = {"train", "--task", "forecast", "--data", csv, SEQ_TINY,
                         "--target", "load", "--features", "temp", "--lookback",
                         "8", "--horizon", "2", "--save", fd, END};
    const char *tfr[] = {"train", "--task", "forecast", "--data", csv, SEQ_TINY,
                         "--target", "load", "--lookback", "8", "--horizon", "3",
                         "--strategy", "recursive", "--log", "--difference",
                         "--save", fr, END};
    const char *pfd[] = {"predict", "--model", fd, "--data", csv, END};
    const char *pfr[] = {"predict", "--model", fr, "--data", csv, END};
    if (ok && train("train forecast direct", tfd))
        compare("forecast direct", fd, NULL, two, "forecast", pfd);
    if (ok && train("train forecast recursive", tfr))
        compare("forecast recursive", fr, NULL, one, "forecast", pfr);

    /* Music: 16 frames from silence. */
    const char *tmu[] = {"train", "--task", "music", "--data", rolls, SEQ_TINY,
                         "--save", mu, END};
    const char *smu[] = {"sample", "--model", mu, "--steps", "16", "--output",
                         mid, END};
    if (ok && train("train music", tmu))
        compare("music", mu, "16", NULL, "music", smu);

    /* Refusals: usage, a file that is no checkpoint, no line to classify,
     * a history that is not numbers. */
    run_result r = run_embed("", NULL);
    CHECK(r.status == 2 && r.err && strstr(r.err, "usage: embed MODEL"),
          "embed without a model: exit %d: %s", r.status, r.err ? r.err : "");
    run_free(&r);
    char args[600];
    snprintf(args, sizeof args, "%s", tsv);
    r = run_embed(args, NULL);
    CHECK(r.status == 1 && r.err && strstr(r.err, "RECUR_ERR_FORMAT"),
          "embed on a TSV file: exit %d: %s", r.status, r.err ? r.err : "");
    run_free(&r);
    snprintf(args, sizeof args, "%s", cl);
    r = run_embed(args, NULL);
    CHECK(r.status == 1 && r.err && strstr(r.err, "no line"),
          "embed classify without input: exit %d: %s", r.status, r.err ? r.err : "");
    run_free(&r);
    snprintf(args, sizeof args, "%s", fd);
    r = run_embed(args, csv);
    CHECK(r.status == 1 && r.err && strstr(r.err, "line 1"),
          "embed forecast of a CSV with a header: exit %d: %s", r.status,
          r.err ? r.err : "");
    run_free(&r);
    spawn_remove_tree(scratch);
}
