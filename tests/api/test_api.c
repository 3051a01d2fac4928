/*
 * test_api.c — the public API as a caller sees it: every misuse returns its
 * exact status and leaves the outputs untouched; backward accumulates; one
 * handle run over changing shapes gives bit for bit what a fresh handle
 * gives (workspace re-planning); batch_first is a pure transpose; and save /
 * load round-trips every mode, configuration, prefix and parameter exactly;
 * recur_version() is the header's RECUR_VERSION.
 */
#define _POSIX_C_SOURCE 200809L

#include "fixture.h"
#include "kernels/gemm.h"
#include "recur.h"
#include "spawn.h"
#include "test.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

#define SENTINEL 12345.5f

/* Deterministic values in [-1, 1) from a seed (xorshift64*). */
static void fill_random(float *v, size_t n, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        uint64_t r = s * 0x2545F4914F6CDD1Dull;
        v[i] = (float)(r >> 40) / 8388608.0f - 1.0f;
    }
}

static float *random_buffer(size_t n, uint64_t seed)
{
    float *v = malloc((n ? n : 1) * sizeof(float));
    if (v)
        fill_random(v, n, seed);
    return v;
}

static recur_rnn *create(const recur_rnn_config *c, uint64_t seed)
{
    recur_rnn *rnn = NULL;
    recur_status s = recur_rnn_create(c, seed, &rnn);
    CHECK(s == RECUR_OK && rnn, "recur_rnn_create: %s (%s)",
          recur_status_str(s), recur_last_error());
    return s == RECUR_OK ? rnn : NULL;
}

#define CHECK_STATUS(call, want)                                              \
    do {                                                                      \
        recur_status got_ = (call);                                           \
        CHECK(got_ == (want), "%s gave %s, expected %s (%s)", #call,           \
              recur_status_str(got_), recur_status_str(want),                 \
              recur_last_error());                                            \
    } while (0)

/* Runs call() in a child process so that a crash is a failed check, not
 * the end of the suite: its status, or -1 when the child died or exited
 * otherwise (a sanitizer report exits 1). */
#define CHILD_BASE 100
static int status_in_child(recur_status (*call)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(CHILD_BASE + (int)call());
    int wstatus;
    if (pid < 0 || waitpid(pid, &wstatus, 0) != pid || !WIFEXITED(wstatus) ||
        WEXITSTATUS(wstatus) < CHILD_BASE)
        return -1;
    return WEXITSTATUS(wstatus) - CHILD_BASE;
}

static int all_equal(const float *v, size_t n, float value)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] != value)
            return 0;
    return 1;
}

static void make_temp_dir(char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/recur-api-XXXXXX");
    if (!mkdtemp(dir))
        dir[0] = '\0';
}

/* Every buffer one forward + backward reads or writes, sized for a shape. */
typedef struct {
    size_t T, B, I, H, P, LD, DP;
    int lstm;
    float *x, *h0, *c0, *dy, *dh_n, *dc_n;
    int64_t *lengths;
    float *y, *h_n, *c_n, *dx, *dh0, *dc0, *grads;
    size_t flat;
} run_buffers;

static void buffers_free(run_buffers *r)
{
    float *all[] = {r->x, r->h0, r->c0, r->dy, r->dh_n, r->dc_n, r->y,
                    r->h_n, r->c_n, r->dx, r->dh0, r->dc0, r->grads};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        free(all[i]);
    free(r->lengths);
    memset(r, 0, sizeof *r);
}

/* Inputs depend only on (shape, seed); outputs are filled with SENTINEL.
 * Lengths are unsorted, in [1, T], with at least one T. On failure *r is
 * left empty; buffers_free is always safe after it. */
static int buffers_init(run_buffers *r, const recur_rnn *rnn, size_t T,
                        size_t B, int with_lengths, uint64_t seed)
{
    const recur_rnn_config *c = recur_rnn_get_config(rnn);
    memset(r, 0, sizeof *r);
    r->T = T;
    r->B = B;
    r->I = c->input_size;
    r->H = c->hidden_size;
    r->P = recur_rnn_get_output_size(rnn);
    r->LD = c->num_layers * (c->bidirectional ? 2 : 1);
    r->DP = (c->bidirectional ? 2 : 1) * r->P;
    r->lstm = c->mode == RECUR_LSTM;
    r->flat = recur_rnn_get_flat_size(rnn);
    seed = seed * 1000003 + T * 31 + B;
    r->x = random_buffer(T * B * r->I, seed + 1);
    r->h0 = random_buffer(r->LD * B * r->P, seed + 2);
    r->c0 = random_buffer(r->LD * B * r->H, seed + 3);
    r->dy = random_buffer(T * B * r->DP, seed + 4);
    r->dh_n = random_buffer(r->LD * B * r->P, seed + 5);
    r->dc_n = random_buffer(r->LD * B * r->H, seed + 6);
    r->y = random_buffer(T * B * r->DP, 0);
    r->h_n = random_buffer(r->LD * B * r->P, 0);
    r->c_n = random_buffer(r->LD * B * r->H, 0);
    r->dx = random_buffer(T * B * r->I, 0);
    r->dh0 = random_buffer(r->LD * B * r->P, 0);
    r->dc0 = random_buffer(r->LD * B * r->H, 0);
    r->grads = random_buffer(r->flat, 0);
    if (with_lengths) {
        r->lengths = malloc(B * sizeof(int64_t));
        if (r->lengths)
            for (size_t b = 0; b < B; b++)
                r->lengths[b] = b == B / 2 ? (int64_t)T
                                           : (int64_t)(1 + (b * 5 + T) % T);
    }
    int ok = r->x && r->h0 && r->c0 && r->dy && r->dh_n && r->dc_n && r->y &&
             r->h_n && r->c_n && r->dx && r->dh0 && r->dc0 && r->grads &&
             (!with_lengths || r->lengths);
    CHECK(ok, "out of memory for T=%zu B=%zu buffers", T, B);
    if (!ok) {
        buffers_free(r);
        return 0;
    }
    float *outs[] = {r->y, r->h_n, r->c_n, r->dx, r->dh0, r->dc0, r->grads};
    size_t sizes[] = {T * B * r->DP, r->LD * B * r->P, r->LD * B * r->H,
                      T * B * r->I, r->LD * B * r->P, r->LD * B * r->H,
                      r->flat};
    for (size_t k = 0; k < sizeof outs / sizeof *outs; k++)
        for (size_t i = 0; i < sizes[k]; i++)
            outs[k][i] = SENTINEL;
    return 1;
}

/* zero_grad, forward, backward; copies the parameter gradients out. */
static int run_once(recur_rnn *rnn, run_buffers *r)
{
    recur_rnn_zero_grad(rnn);
    recur_status s = recur_rnn_forward(rnn, r->T, r->B, r->x, r->lengths,
                                       r->h0, r->lstm ? r->c0 : NULL, r->y,
                                       r->h_n, r->lstm ? r->c_n : NULL);
    CHECK(s == RECUR_OK, "forward T=%zu B=%zu: %s (%s)", r->T, r->B,
          recur_status_str(s), recur_last_error());
    if (s)
        return 0;
    s = recur_rnn_backward(rnn, r->dy, r->dh_n, r->lstm ? r->dc_n : NULL,
                           r->dx, r->dh0, r->lstm ? r->dc0 : NULL);
    CHECK(s == RECUR_OK, "backward T=%zu B=%zu: %s (%s)", r->T, r->B,
          recur_status_str(s), recur_last_error());
    if (s)
        return 0;
    memcpy(r->grads, recur_rnn_get_flat_grads(rnn), r->flat * sizeof(float));
    return 1;
}

/* Compares every result of two runs of the same shape: bit for bit when
 * tol is 0, else |a − b| <= tol · max(1, |b|) element by element. */
static void check_runs_close(const run_buffers *a, const run_buffers *b,
                             const char *what, double tol)
{
    const struct {
        const char *name;
        const float *x, *y;
        size_t n;
        int used;
    } parts[] = {
        {"y", a->y, b->y, a->T * a->B * a->DP, 1},
        {"h_n", a->h_n, b->h_n, a->LD * a->B * a->P, 1},
        {"c_n", a->c_n, b->c_n, a->LD * a->B * a->H, a->lstm},
        {"dx", a->dx, b->dx, a->T * a->B * a->I, 1},
        {"dh0", a->dh0, b->dh0, a->LD * a->B * a->P, 1},
        {"dc0", a->dc0, b->dc0, a->LD * a->B * a->H, a->lstm},
        {"grads", a->grads, b->grads, a->flat, 1},
    };
    for (size_t k = 0; k < sizeof parts / sizeof *parts; k++) {
        if (!parts[k].used)
            continue;
        double worst = 0;
        for (size_t i = 0; tol > 0 && i < parts[k].n; i++)
            worst = fmax(worst, fabs((double)parts[k].x[i] - parts[k].y[i]) /
                                    fmax(1.0, fabs((double)parts[k].y[i])));
        CHECK(tol > 0 ? worst <= tol
                      : memcmp(parts[k].x, parts[k].y,
                               parts[k].n * sizeof(float)) == 0,
              "%s (T=%zu, B=%zu): %s differs (%g)", what, a->T, a->B,
              parts[k].name, worst);
        CHECK(!all_equal(parts[k].x, parts[k].n, SENTINEL),
              "%s (T=%zu, B=%zu): %s was never written", what, a->T, a->B,
              parts[k].name);
    }
}

/* [A, C, w] -> [C, A, w]. */
static void transpose01(const float *src, size_t A, size_t C, size_t w,
                        float *dst)
{
    for (size_t a = 0; a < A; a++)
        for (size_t c = 0; c < C; c++)
            memcpy(dst + (c * A + a) * w, src + (a * C + c) * w,
                   w * sizeof(float));
}

/* [B, T, w] -> [T, B, w] in place. */
static int to_time_major(float *v, size_t B, size_t T, size_t w)
{
    float *tmp = malloc(B * T * w * sizeof(float));
    CHECK(tmp != NULL, "out of memory");
    if (!tmp)
        return 0;
    transpose01(v, B, T, w, tmp);
    memcpy(v, tmp, B * T * w * sizeof(float));
    free(tmp);
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Misuse                                                                    */

static recur_status create_null_out(void)
{
    recur_rnn_config c = recur_rnn_config_default(RECUR_LSTM, 3, 4);
    return recur_rnn_create(&c, 1, NULL);
}

static void misuse_create(void)
{
    static char marker;
    recur_rnn *const untouched = (recur_rnn *)(void *)&marker;
    recur_rnn *rnn = untouched;

    CHECK_STATUS(recur_rnn_create(NULL, 1, &rnn), RECUR_ERR_ARGUMENT);
    int child = status_in_child(create_null_out);
    CHECK(child == RECUR_ERR_ARGUMENT, "recur_rnn_create(config, seed, NULL) "
          "gave %s, expected RECUR_ERR_ARGUMENT",
          child < 0 ? "a crash (or a sanitizer report)"
          : recur_status_str((recur_status)child));

    const struct {
        const char *what;
        recur_rnn_config c;
    } bad[] = {
        {"hidden_size 0", fixture_config(RECUR_LSTM, 3, 0, 0, 1, 0, 1)},
        {"input_size 0", fixture_config(RECUR_LSTM, 0, 4, 0, 1, 0, 1)},
        {"num_layers 0", fixture_config(RECUR_LSTM, 3, 4, 0, 0, 0, 1)},
        {"proj_size on GRU", fixture_config(RECUR_GRU, 3, 4, 2, 1, 0, 1)},
        {"proj_size on RNN_TANH", fixture_config(RECUR_RNN_TANH, 3, 4, 2, 1, 0, 1)},
        {"proj_size == hidden", fixture_config(RECUR_LSTM, 3, 4, 4, 1, 0, 1)},
        {"proj_size > hidden", fixture_config(RECUR_LSTM, 3, 4, 5, 1, 0, 1)},
        {"bidirectional 2", fixture_config(RECUR_LSTM, 3, 4, 0, 1, 2, 1)},
        {"bias 2", fixture_config(RECUR_LSTM, 3, 4, 0, 1, 0, 2)},
        {"mode 99", fixture_config((recur_mode)99, 3, 4, 0, 1, 0, 1)},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        recur_status s = recur_rnn_create(&bad[i].c, 1, &rnn);
        CHECK(s == RECUR_ERR_ARGUMENT, "create with %s gave %s, expected "
              "RECUR_ERR_ARGUMENT", bad[i].what, recur_status_str(s));
        CHECK(recur_last_error()[0] != '\0', "create with %s: no message",
              bad[i].what);
        CHECK(rnn == untouched, "create with %s wrote *out", bad[i].what);
    }
    CHECK_STATUS(recur_rnn_load("/nonexistent/recur/model.safetensors", &rnn),
                 RECUR_ERR_IO);
    CHECK(rnn == untouched, "failed load wrote *out");
    recur_rnn_free(NULL);
}

static void misuse_names(void)
{
    recur_mode m = (recur_mode)77;
    CHECK_STATUS(recur_mode_parse("lstm", &m), RECUR_ERR_ARGUMENT);
    CHECK_STATUS(recur_mode_parse("", &m), RECUR_ERR_ARGUMENT);
    CHECK_STATUS(recur_mode_parse("LSTM ", &m), RECUR_ERR_ARGUMENT);
    CHECK_STATUS(recur_mode_parse(NULL, &m), RECUR_ERR_ARGUMENT);
    CHECK(m == (recur_mode)77, "failed recur_mode_parse wrote *mode");
    const recur_mode modes[] = {RECUR_RNN_TANH, RECUR_RNN_RELU, RECUR_LSTM,
                                RECUR_GRU, RECUR_GRU_RESET_BEFORE};
    const char *const names[] = {"RNN_TANH", "RNN_RELU", "LSTM", "GRU",
                                 "GRU_RESET_BEFORE"};
    for (size_t i = 0; i < 5; i++) {
        const char *name = recur_mode_str(modes[i]);
        CHECK(name && strcmp(name, names[i]) == 0, "recur_mode_str(%zu) = %s",
              i, name ? name : "NULL");
        recur_mode back = (recur_mode)77;
        CHECK(name && recur_mode_parse(name, &back) == RECUR_OK &&
                  back == modes[i], "mode %s does not round-trip", names[i]);
    }
    CHECK(recur_mode_str((recur_mode)5) == NULL, "recur_mode_str(5) not NULL");
    CHECK(recur_mode_str((recur_mode)-1) == NULL, "recur_mode_str(-1) not NULL");

    const recur_status all[] = {RECUR_OK,        RECUR_ERR_ARGUMENT,
                                RECUR_ERR_MEMORY, RECUR_ERR_IO,
                                RECUR_ERR_FORMAT, RECUR_ERR_SHAPE,
                                RECUR_ERR_STATE,  RECUR_ERR_UNSUPPORTED};
    const size_t n = sizeof all / sizeof *all;
    for (size_t i = 0; i < n; i++) {
        const char *a = recur_status_str(all[i]);
        CHECK(a && a[0], "recur_status_str(%zu) is empty", i);
        for (size_t j = 0; a && j < i; j++) {
            const char *b = recur_status_str(all[j]);
            CHECK(b && strcmp(a, b) != 0, "statuses %zu and %zu share the name "
                  "%s", j, i, a);
        }
    }
    CHECK(recur_status_str((recur_status)99) != NULL,
          "recur_status_str of an unknown value is NULL");
    CHECK(recur_last_error() != NULL, "recur_last_error is NULL");
}

/* Forward / backward argument checks on an LSTM (T=4, B=3) and a GRU. */
static void misuse_forward(void)
{
    recur_rnn_config c = fixture_config(RECUR_LSTM, 2, 3, 0, 2, 1, 1);
    recur_rnn *rnn = create(&c, 7);
    if (!rnn)
        return;
    run_buffers r;
    if (!buffers_init(&r, rnn, 4, 3, 1, 7)) {
        recur_rnn_free(rnn);
        return;
    }
    const size_t T = r.T, B = r.B;
    size_t ny = T * B * r.DP, nh = r.LD * B * r.P, nc = r.LD * B * r.H;

    /* Backward before any forward; dx must stay untouched. */
    CHECK_STATUS(recur_rnn_backward(rnn, r.dy, NULL, NULL, r.dx, NULL, NULL),
                 RECUR_ERR_STATE);
    CHECK(all_equal(r.dx, T * B * r.I, SENTINEL), "failed backward wrote dx");

    CHECK_STATUS(recur_rnn_forward(rnn, T, B, NULL, NULL, NULL, NULL, r.y,
                                   NULL, NULL), RECUR_ERR_ARGUMENT);
    CHECK_STATUS(recur_rnn_forward(rnn, T, B, r.x, NULL, NULL, NULL, NULL,
                                   NULL, NULL), RECUR_ERR_ARGUMENT);
    CHECK_STATUS(recur_rnn_forward(NULL, T, B, r.x, NULL, NULL, NULL, r.y,
                                   NULL, NULL), RECUR_ERR_ARGUMENT);
    CHECK_STATUS(recur_rnn_forward(rnn, 0, B, r.x, NULL, NULL, NULL, r.y,
                                   NULL, NULL), RECUR_ERR_ARGUMENT);
    CHECK_STATUS(recur_rnn_forward(rnn, T, 0, r.x, NULL, NULL, NULL, r.y,
                                   NULL, NULL), RECUR_ERR_ARGUMENT);

    /* A bad length at index 1; y, h_n and c_n keep their sentinels. */
    const int64_t bad_values[] = {0, (int64_t)T + 1, -1, INT64_MIN};
    for (size_t k = 0; k < sizeof bad_values / sizeof *bad_values; k++) {
        int64_t lengths[3] = {(int64_t)T, bad_values[k], 1};
        recur_status s = recur_rnn_forward(rnn, T, B, r.x, lengths, r.h0, r.c0,
                                           r.y, r.h_n, r.c_n);
        CHECK(s == RECUR_ERR_ARGUMENT, "lengths[1] = %lld gave %s",
              (long long)bad_values[k], recur_status_str(s));
        CHECK(strstr(recur_last_error(), "lengths[1]") != NULL,
              "lengths[1] = %lld: message '%s' does not name lengths[1]",
              (long long)bad_values[k], recur_last_error());
        CHECK(all_equal(r.y, ny, SENTINEL) && all_equal(r.h_n, nh, SENTINEL) &&
                  all_equal(r.c_n, nc, SENTINEL),
              "lengths[1] = %lld: failed forward wrote its outputs",
              (long long)bad_values[k]);
    }
    CHECK(all_equal(recur_rnn_get_flat_grads(rnn), r.flat, 0.0f),
          "failed calls changed the gradients");

    /* Backward after a good forward works; after a failed forward that
     * followed it, it must refuse (the handle's forward state is stale). */
    CHECK_STATUS(recur_rnn_forward(rnn, T, B, r.x, r.lengths, r.h0, r.c0, r.y,
                                   r.h_n, r.c_n), RECUR_OK);
    CHECK_STATUS(recur_rnn_backward(rnn, r.dy, NULL, NULL, r.dx, NULL, NULL),
                 RECUR_OK);
    int64_t bad[3] = {(int64_t)T, 0, 1};
    CHECK_STATUS(recur_rnn_forward(rnn, T, B, r.x, bad, r.h0, r.c0, r.y,
                                   r.h_n, r.c_n), RECUR_ERR_ARGUMENT);
    CHECK_STATUS(recur_rnn_backward(rnn, r.dy, NULL, NULL, r.dx, NULL, NULL),
                 RECUR_ERR_STATE);

    size_t count = recur_rnn_get_param_count(rnn);
    const char *name;
    float *data, *grad;
    size_t rows, cols;
    CHECK(count == 2 * 2 * 4, "LSTM L=2 D=2 with bias has %zu parameters",
          count);
    CHECK_STATUS(recur_rnn_get_param(rnn, count - 1, &name, &data, &rows, &cols),
                 RECUR_OK);
    CHECK_STATUS(recur_rnn_get_param(rnn, count, &name, &data, &rows, &cols),
                 RECUR_ERR_ARGUMENT);
    CHECK_STATUS(recur_rnn_get_param(rnn, SIZE_MAX, &name, &data, &rows, &cols),
                 RECUR_ERR_ARGUMENT);
    CHECK_STATUS(recur_rnn_get_grad(rnn, count, &grad), RECUR_ERR_ARGUMENT);
    CHECK_STATUS(recur_rnn_get_grad(rnn, SIZE_MAX, &grad), RECUR_ERR_ARGUMENT);
    CHECK_STATUS(recur_rnn_set_batch_first(rnn, 2), RECUR_ERR_ARGUMENT);
    recur_rnn_free(rnn);

    /* c0 / c_n / dc_n are for LSTM only. */
    recur_rnn_config g = fixture_config(RECUR_GRU, 2, 3, 0, 1, 0, 1);
    recur_rnn *gru = create(&g, 8);
    if (gru) {
        CHECK_STATUS(recur_rnn_forward(gru, T, B, r.x, NULL, NULL, r.c0, r.y,
                                       NULL, NULL), RECUR_ERR_ARGUMENT);
        CHECK_STATUS(recur_rnn_forward(gru, T, B, r.x, NULL, NULL, NULL, r.y,
                                       NULL, r.c_n), RECUR_ERR_ARGUMENT);
        CHECK_STATUS(recur_rnn_forward(gru, T, B, r.x, NULL, NULL, NULL, r.y,
                                       NULL, NULL), RECUR_OK);
        CHECK_STATUS(recur_rnn_backward(gru, NULL, NULL, r.dc_n, NULL, NULL,
                                        NULL), RECUR_ERR_ARGUMENT);
        recur_rnn_free(gru);
    }
    buffers_free(&r);
}

/* Two backward calls after one forward give 2x one backward's gradients;
 * zero_grad zeroes them. */
static void misuse_accumulate(void)
{
    recur_rnn_config c = fixture_config(RECUR_LSTM, 3, 4, 2, 2, 1, 1);
    recur_rnn *rnn = create(&c, 11);
    run_buffers r = {0};
    if (!rnn || !buffers_init(&r, rnn, 5, 3, 1, 11)) {
        recur_rnn_free(rnn);
        return;
    }
    size_t n = r.flat, nx = r.T * r.B * r.I;
    float *once = malloc(n * sizeof(float)), *dx1 = malloc(nx * sizeof(float));
    const float *grads = recur_rnn_get_flat_grads(rnn);
    if (once && dx1 && run_once(rnn, &r)) {
        memcpy(once, grads, n * sizeof(float));
        memcpy(dx1, r.dx, nx * sizeof(float));
        float scale = 0;
        for (size_t i = 0; i < n; i++)
            scale = fmaxf(scale, fabsf(once[i]));
        CHECK(scale > 0, "backward left every gradient at zero");

        recur_rnn_zero_grad(rnn);
        CHECK(all_equal(grads, n, 0.0f), "zero_grad left a non-zero gradient");
        for (int k = 0; k < 2; k++)
            CHECK_STATUS(recur_rnn_backward(rnn, r.dy, r.dh_n, r.dc_n, r.dx,
                                            r.dh0, r.dc0), RECUR_OK);
        double worst = 0;
        for (size_t i = 0; i < n; i++)
            worst = fmax(worst, fabs((double)grads[i] - 2.0 * once[i]));
        CHECK(worst <= 1e-6 * 2.0 * scale,
              "two backwards: max |g2 - 2 g1| = %.3g (scale %.3g)", worst,
              2.0 * scale);
        CHECK(memcmp(dx1, r.dx, nx * sizeof(float)) == 0,
              "a second backward after one forward gives another dx");
        recur_rnn_zero_grad(rnn);
        CHECK(all_equal(grads, n, 0.0f), "zero_grad left a non-zero gradient");
    }
    free(once);
    free(dx1);
    buffers_free(&r);
    recur_rnn_free(rnn);
}

void test_api_misuse(void)
{
    misuse_create();
    misuse_names();
    misuse_forward();
    misuse_accumulate();
}

/* ------------------------------------------------------------------------ */
/* Version                                                                   */

/* RECUR_VERSION is built from the three numbers, and the library linked
 * says the version of the header. */
void test_api_version(void)
{
    char numbers[64];
    snprintf(numbers, sizeof numbers, "%d.%d.%d", RECUR_VERSION_MAJOR,
             RECUR_VERSION_MINOR, RECUR_VERSION_PATCH);
    CHECK(strcmp(numbers, RECUR_VERSION) == 0,
          "RECUR_VERSION is '%s', the numbers say '%s'", RECUR_VERSION,
          numbers);
    const char *v = recur_version();
    CHECK(v && strcmp(v, RECUR_VERSION) == 0,
          "recur_version() is '%s', the header RECUR_VERSION '%s'",
          v ? v : "(null)", RECUR_VERSION);
}

/* ------------------------------------------------------------------------ */
/* Workspace re-planning and batch_first                                     */

static void workspace_batch_first(const recur_rnn_config *c, uint64_t seed)
{
    recur_rnn *rnn = create(c, seed);
    run_buffers tm = {0}, bf = {0};
    if (rnn && buffers_init(&tm, rnn, 7, 5, 1, 3) &&
        buffers_init(&bf, rnn, 7, 5, 1, 3) && run_once(rnn, &tm)) {
        const size_t T = tm.T, B = tm.B;
        transpose01(tm.x, T, B, tm.I, bf.x);
        transpose01(tm.dy, T, B, tm.DP, bf.dy);
        CHECK_STATUS(recur_rnn_set_batch_first(rnn, 1), RECUR_OK);
        CHECK(recur_rnn_get_batch_first(rnn) == 1,
              "recur_rnn_get_batch_first does not say 1");
        /* y and dx come back [B, T, .]: turned time-major they must equal
         * the first run's; states [L*D, B, .] and gradients equal as they are. */
        if (run_once(rnn, &bf) && to_time_major(bf.y, B, T, tm.DP) &&
            to_time_major(bf.dx, B, T, tm.I))
            check_runs_close(&tm, &bf, "batch_first (transposed) vs "
                             "time-major", 0);
    }
    buffers_free(&tm);
    buffers_free(&bf);
    recur_rnn_free(rnn);
}

void test_api_workspace(void)
{
    const recur_rnn_config c = fixture_config(RECUR_LSTM, 3, 5, 2, 2, 1, 1);
    const uint64_t seed = 2024;
    const size_t shapes[][2] = {{3, 2}, {7, 5}, {2, 1}, {7, 5}};
    recur_rnn *shared = create(&c, seed);
    if (!shared)
        return;
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        const size_t T = shapes[k][0], B = shapes[k][1];
        recur_rnn *fresh = create(&c, seed);
        run_buffers a = {0}, b = {0};
        if (fresh && buffers_init(&a, shared, T, B, 1, k) &&
            buffers_init(&b, shared, T, B, 1, k) && run_once(shared, &a) &&
            run_once(fresh, &b))
            check_runs_close(&a, &b, "reused handle vs fresh handle", 0);
        buffers_free(&a);
        buffers_free(&b);
        recur_rnn_free(fresh);
    }
    recur_rnn_free(shared);
    workspace_batch_first(&c, seed);
}

/* ------------------------------------------------------------------------ */
/* Save and load                                                             */

static void check_same_model(recur_rnn *a, recur_rnn *b, const char *what)
{
    const recur_rnn_config *ca = recur_rnn_get_config(a);
    const recur_rnn_config *cb = recur_rnn_get_config(b);
    CHECK(ca->mode == cb->mode && ca->input_size == cb->input_size &&
              ca->hidden_size == cb->hidden_size &&
              ca->proj_size == cb->proj_size &&
              ca->num_layers == cb->num_layers &&
              ca->bidirectional == cb->bidirectional && ca->bias == cb->bias,
          "%s: loaded config differs (mode %d/%d I %zu/%zu H %zu/%zu P %zu/%zu "
          "L %zu/%zu D %d/%d bias %d/%d)", what, (int)ca->mode, (int)cb->mode,
          ca->input_size, cb->input_size, ca->hidden_size, cb->hidden_size,
          ca->proj_size, cb->proj_size, ca->num_layers, cb->num_layers,
          ca->bidirectional, cb->bidirectional, ca->bias, cb->bias);
    CHECK(recur_rnn_get_batch_first(b) == 0, "%s: batch_first is %d after "
          "load", what, recur_rnn_get_batch_first(b));
    CHECK(strcmp(recur_rnn_get_prefix(a), recur_rnn_get_prefix(b)) == 0,
          "%s: prefix '%s' came back as '%s'", what, recur_rnn_get_prefix(a),
          recur_rnn_get_prefix(b));
    size_t n = recur_rnn_get_param_count(a);
    CHECK(recur_rnn_get_param_count(b) == n, "%s: %zu parameters, loaded %zu",
          what, n, recur_rnn_get_param_count(b));
    for (size_t i = 0; i < n && i < recur_rnn_get_param_count(b); i++) {
        const char *na, *nb;
        float *da, *db;
        size_t ra, rb, ka, kb;
        recur_rnn_get_param(a, i, &na, &da, &ra, &ka);
        recur_rnn_get_param(b, i, &nb, &db, &rb, &kb);
        CHECK(strcmp(na, nb) == 0 && ra == rb && ka == kb &&
                  memcmp(da, db, ra * ka * sizeof(float)) == 0,
              "%s: parameter %zu (%s [%zu,%zu]) differs from loaded %s "
              "[%zu,%zu]", what, i, na, ra, ka, nb, rb, kb);
    }
    if (!(ca->mode == cb->mode && ca->input_size == cb->input_size &&
          ca->num_layers == cb->num_layers && ca->bidirectional == cb->bidirectional &&
          recur_rnn_get_output_size(a) == recur_rnn_get_output_size(b) &&
          ca->hidden_size == cb->hidden_size))
        return;
    run_buffers ra = {0}, rb = {0};
    if (buffers_init(&ra, a, 4, 3, 1, 5) && buffers_init(&rb, b, 4, 3, 1, 5) &&
        run_once(a, &ra) && run_once(b, &rb))
        check_runs_close(&ra, &rb, what, 0);
    buffers_free(&ra);
    buffers_free(&rb);
}

void test_api_save_load(void)
{
    char dir[256], path[512];
    make_temp_dir(dir, sizeof dir);
    CHECK(dir[0], "cannot create a temporary directory");
    if (!dir[0])
        return;
    const struct {
        const char *what, *prefix;
        recur_rnn_config c;
    } models[] = {
        {"RNN_TANH", "", fixture_config(RECUR_RNN_TANH, 3, 4, 0, 2, 1, 1)},
        {"RNN_RELU", "rnn.", fixture_config(RECUR_RNN_RELU, 2, 5, 0, 1, 0, 1)},
        {"LSTM", "encoder.lstm.", fixture_config(RECUR_LSTM, 4, 3, 0, 3, 0, 1)},
        {"LSTM+proj", "encoder.lstm.", fixture_config(RECUR_LSTM, 3, 5, 2, 2, 1, 1)},
        {"GRU", "model.gru.", fixture_config(RECUR_GRU, 4, 3, 0, 2, 1, 1)},
        {"GRU_RESET_BEFORE", "dec.", fixture_config(RECUR_GRU_RESET_BEFORE, 2, 4, 0, 2, 0, 1)},
        {"LSTM bias=0", "encoder.lstm.", fixture_config(RECUR_LSTM, 3, 4, 0, 2, 1, 0)},
        {"GRU bias=0", "", fixture_config(RECUR_GRU, 3, 4, 0, 1, 0, 0)},
    };
    const size_t n = sizeof models / sizeof *models;
    for (size_t i = 0; i < n; i++) {
        recur_rnn *rnn = create(&models[i].c, 100 + i), *back = NULL;
        if (!rnn)
            continue;
        CHECK_STATUS(recur_rnn_set_prefix(rnn, models[i].prefix), RECUR_OK);
        snprintf(path, sizeof path, "%s/model%zu.safetensors", dir, i);
        recur_status s = recur_rnn_save(rnn, path);
        CHECK(s == RECUR_OK, "%s: save: %s (%s)", models[i].what,
              recur_status_str(s), recur_last_error());
        if (!s) {
            s = recur_rnn_load(path, &back);
            CHECK(s == RECUR_OK, "%s: load: %s (%s)", models[i].what,
                  recur_status_str(s), recur_last_error());
        }
        if (back)
            check_same_model(rnn, back, models[i].what);
        recur_rnn_free(back);
        recur_rnn_free(rnn);
    }
    CHECK(spawn_count_entries(dir) == (int)n, "%d files in %s after %zu saves",
          spawn_count_entries(dir), dir, n);

    /* Saving into a directory that does not exist creates nothing. */
    recur_rnn_config c = fixture_config(RECUR_GRU, 2, 3, 0, 1, 0, 1);
    recur_rnn *rnn = create(&c, 1);
    if (rnn) {
        char missing[300];
        snprintf(missing, sizeof missing, "%s/no-such-dir", dir);
        snprintf(path, sizeof path, "%s/model.safetensors", missing);
        CHECK_STATUS(recur_rnn_save(rnn, path), RECUR_ERR_IO);
        struct stat sb;
        CHECK(stat(missing, &sb) != 0, "failed save created %s", missing);
        CHECK(spawn_count_entries(dir) == (int)n, "failed save left files in %s",
              dir);
        recur_rnn_free(rnn);
    }

    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/model%zu.safetensors", dir, i);
        unlink(path);
    }
    CHECK(rmdir(dir) == 0, "could not remove %s (files left behind?)", dir);
}

/* ------------------------------------------------------------------------ */
/* Packed weights                                                            */

/* y of one forward (T steps, or T calls of one step when stepwise, the
 * state carried) of a B-batch from zero state; caller frees. */
static float *forward_y(recur_rnn *rnn, const recur_rnn_config *c, size_t T,
                        size_t B, const float *x, int stepwise)
{
    const size_t D = c->bidirectional ? 2 : 1;
    const size_t P = c->proj_size ? c->proj_size : c->hidden_size;
    const size_t L = c->num_layers, H = c->hidden_size;
    const int lstm = c->mode == RECUR_LSTM;
    float *y = calloc(T * B * D * P, sizeof(float));
    float *h = calloc(2 * L * D * B * P, sizeof(float));
    float *cs = calloc(2 * L * D * B * H, sizeof(float));
    recur_status s = y && h && cs ? RECUR_OK : RECUR_ERR_MEMORY;
    if (!stepwise && !s)
        s = recur_rnn_forward(rnn, T, B, x, NULL, NULL, NULL, y, NULL, NULL);
    for (size_t t = 0; stepwise && !s && t < T; t++) {
        float *hi = h + (t & 1) * L * D * B * P, *ho = h + !(t & 1) * L * D * B * P;
        float *ci = cs + (t & 1) * L * D * B * H, *co = cs + !(t & 1) * L * D * B * H;
        s = recur_rnn_forward(rnn, 1, B, x + t * B * c->input_size, NULL, hi,
                              lstm ? ci : NULL, y + t * B * D * P, ho,
                              lstm ? co : NULL);
    }
    CHECK(s == RECUR_OK, "forward: %s", recur_last_error());
    free(h);
    free(cs);
    if (s) {
        free(y);
        return NULL;
    }
    return y;
}

static double max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)a[i] - (double)b[i]));
    return m;
}

/* recur_rnn_pack_weights: bit-identical forward at T > 1, rounding-close
 * one step at a time, parameter changes unseen until repacked or
 * unpacked, and training's backward unaffected. */
void test_api_pack_weights(void)
{
    const recur_rnn_config configs[] = {
        fixture_config(RECUR_LSTM, 5, 40, 0, 2, 0, 1),
        fixture_config(RECUR_LSTM, 3, 9, 4, 2, 1, 1),
        fixture_config(RECUR_GRU, 7, 33, 0, 3, 0, 0),
        fixture_config(RECUR_GRU_RESET_BEFORE, 4, 17, 0, 1, 1, 1),
        fixture_config(RECUR_RNN_TANH, 6, 64, 0, 2, 0, 1),
    };
    const size_t T = 6, B = 3;
    /* Where the CPU has no packed kernel nothing is packed (recur.h): the
     * forward then keeps its caches and sees changed weights. */
    const int packs = gemm_packed_available();
    if (!packs)
        SKIP("a forward while packed refusing backward and not seeing "
             "changed weights: nothing is packed without the packed kernel "
             "(AVX-512F on x86-64), which this CPU lacks");
    for (size_t k = 0; k < sizeof configs / sizeof *configs; k++) {
        const recur_rnn_config *c = &configs[k];
        const size_t D = c->bidirectional ? 2 : 1;
        const size_t P = c->proj_size ? c->proj_size : c->hidden_size;
        const size_t ny = T * B * D * P;
        recur_rnn *rnn = create(c, 7 + k);
        float *x = random_buffer(T * B * c->input_size, 99 + k);
        if (!rnn || !x) {
            recur_rnn_free(rnn);
            free(x);
            continue;
        }
        float *plain = forward_y(rnn, c, T, B, x, 0);
        float *plain_steps = D == 1 ? forward_y(rnn, c, T, B, x, 1) : NULL;
        CHECK_STATUS(recur_rnn_pack_weights(rnn), RECUR_OK);
        float *packed = forward_y(rnn, c, T, B, x, 0);
        if (packs) {
            float *dy = calloc(ny, sizeof(float));
            CHECK_STATUS(recur_rnn_backward(rnn, dy, NULL, NULL, NULL, NULL,
                                            NULL),
                         RECUR_ERR_STATE);
            free(dy);
        }
        CHECK(plain && packed && memcmp(plain, packed, ny * sizeof(float)) == 0,
              "config %zu: packed weights changed the T = %zu forward "
              "(max diff %g)", k, T, plain && packed ? max_diff(plain, packed, ny) : -1.0);
        if (D == 1) {
            float *steps = forward_y(rnn, c, T, B, x, 1);
            double e = plain_steps && steps ? max_diff(plain_steps, steps, ny) : 1;
            CHECK(e <= 1e-5, "config %zu: packed one-step forward differs "
                  "by %g", k, e);
            free(steps);
        }
        /* A changed weight_ih_l0 is not seen while packed (the copy is
         * used); everything is after unpacking or repacking. */
        float *w = recur_rnn_get_flat_params(rnn);
        size_t n = recur_rnn_get_flat_size(rnn), rows = 0, cols = 0;
        float *w_ih = NULL, *saved = malloc(n * sizeof(float));
        const char *name = NULL;
        CHECK_STATUS(recur_rnn_get_param(rnn, 0, &name, &w_ih, &rows, &cols),
                     RECUR_OK);
        if (packs && saved && w_ih) {
            memcpy(saved, w, n * sizeof(float));
            for (size_t i = 0; i < rows * cols; i++)
                w_ih[i] *= 0.5f;
            float *stale = forward_y(rnn, c, T, B, x, 0);
            CHECK(stale && plain && memcmp(stale, plain, ny * sizeof(float)) == 0,
                  "config %zu: a forward while packed saw a changed %s", k,
                  name);
            recur_rnn_unpack_weights(rnn);
            float *fresh = forward_y(rnn, c, T, B, x, 0);
            CHECK_STATUS(recur_rnn_pack_weights(rnn), RECUR_OK);
            float *repacked = forward_y(rnn, c, T, B, x, 0);
            CHECK(fresh && repacked && plain &&
                      memcmp(fresh, repacked, ny * sizeof(float)) == 0 &&
                      memcmp(fresh, plain, ny * sizeof(float)) != 0,
                  "config %zu: unpacked / repacked forward after a change", k);
            memcpy(w, saved, n * sizeof(float));
            free(stale);
            free(fresh);
            free(repacked);
        }
        free(saved);
        recur_rnn_unpack_weights(rnn);
        recur_rnn_unpack_weights(rnn); /* twice is harmless */
        free(plain);
        free(plain_steps);
        free(packed);
        free(x);
        recur_rnn_free(rnn);
    }
    CHECK_STATUS(recur_rnn_pack_weights(NULL), RECUR_ERR_ARGUMENT);
    recur_rnn_unpack_weights(NULL);
}

/* ------------------------------------------------------------------------ */
/* Memory-lean training (recompute)                                          */

/* recur_rnn_set_recompute: for every segment length (1 step, uneven
 * segments, exactly T, more than T) the results equal the cached run's
 * (rounding aside), with unsorted variable lengths, both directions,
 * projection, layer norm and, in training mode, dropout between layers,
 * recurrent dropout and zoneout; a second backward gives the same again. */
void test_api_recompute(void)
{
    recur_rnn_config configs[] = {
        fixture_config(RECUR_LSTM, 4, 9, 5, 2, 1, 1),
        fixture_config(RECUR_GRU, 3, 8, 0, 2, 1, 1),
        fixture_config(RECUR_GRU_RESET_BEFORE, 5, 6, 0, 1, 0, 1),
        fixture_config(RECUR_RNN_TANH, 6, 7, 0, 3, 0, 0),
        fixture_config(RECUR_LSTM, 3, 10, 0, 1, 0, 1),
    };
    configs[4].layer_norm = 1;
    const size_t T = 7, B = 4, segs[] = {1, 2, 3, 6, 7, 20};
    for (size_t k = 0; k < sizeof configs / sizeof *configs; k++)
        for (int training = 0; training <= 1; training++)
            for (size_t s = 0; s < sizeof segs / sizeof *segs; s++) {
                recur_rnn *ref = create(&configs[k], 31 + k);
                recur_rnn *lean = create(&configs[k], 31 + k);
                run_buffers a = {0}, b = {0};
                if (ref && lean) {
                    recur_rnn *both[2] = {ref, lean};
                    const recur_regularizers reg = {
                        .dropout = 0.3f, .zoneout = 0.25f, .seed = 5,
                        .recurrent_dropout =
                            configs[k].mode != RECUR_RNN_TANH ? 0.2f : 0.0f};
                    for (int i = 0; i < 2; i++) {
                        recur_rnn_set_training(both[i], training);
                        if (training)
                            recur_rnn_set_regularizers(both[i], &reg);
                    }
                    CHECK_STATUS(recur_rnn_set_recompute(lean, segs[s]),
                                 RECUR_OK);
                }
                char what[96];
                snprintf(what, sizeof what, "config %zu, %s, recompute %zu", k,
                         training ? "training" : "evaluation", segs[s]);
                if (ref && lean && buffers_init(&a, ref, T, B, 1, k) &&
                    buffers_init(&b, lean, T, B, 1, k) && run_once(ref, &a) &&
                    run_once(lean, &b)) {
                    check_runs_close(&b, &a, what, 2e-5);
                    /* Again from the same forward: the checkpoints suffice. */
                    recur_status st = recur_rnn_backward(
                        lean, b.dy, b.dh_n, b.lstm ? b.dc_n : NULL, b.dx, b.dh0,
                        b.lstm ? b.dc0 : NULL);
                    const float *g2 = recur_rnn_get_flat_grads(lean);
                    double worst = 0;
                    for (size_t i = 0; !st && i < b.flat; i++)
                        worst = fmax(worst, fabs(g2[i] - 2.0 * a.grads[i]) /
                                                fmax(1.0, fabs(2.0 * a.grads[i])));
                    CHECK(st == RECUR_OK && worst <= 4e-5,
                          "%s: a second backward accumulates %g off", what,
                          worst);
                }
                buffers_free(&a);
                buffers_free(&b);
                recur_rnn_free(ref);
                recur_rnn_free(lean);
            }
    CHECK_STATUS(recur_rnn_set_recompute(NULL, 3), RECUR_ERR_ARGUMENT);
}
