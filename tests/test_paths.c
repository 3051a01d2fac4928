/*
 * test_paths.c — the faster paths that must keep the bits.
 *
 * test_step_inputs: a forward with rows enough per step runs each step's
 * input product with its recurrent one (cell_forward_inputs,
 * gemm_packed_step) instead of all steps' up front, and its gate
 * pass in the product's threads: every output and gradient must keep the
 * bits of the up-front path (stack_set_plain_step), at 1 and 2 threads,
 * for LSTM, RNN and GRU, with variable lengths (steps of a single row), a
 * projection, no biases, recurrent dropout and zoneout.
 *
 * test_parallel_directions: at 2 threads a bidirectional stack runs the
 * two directions of a layer at once, one per thread: the same bits as at
 * 1 thread, where they run in turn.
 *
 * test_training_in_place: in the packed layout (time-major, every
 * sequence T steps) training writes y and dx and reads dy where they are:
 * the same bits as batch-first, which gathers and scatters them, also in
 * training mode with recurrent dropout and zoneout, with recomputed
 * segments and with dy NULL; and with dx in dy's own buffer (they
 * overlap, so dy is gathered first) too.
 *
 * test_inference_lean: with weights packed for inference a forward keeps
 * no caches for backward and, in the packed layout, reads x and writes y
 * in place: the same bits as the unpacked forward; after unpacking,
 * backward refuses until a new forward.
 */
#include "fixture.h"
#include "kernels/gemm.h"
#include "recur.h"
#include "stack/stack.h"
#include "test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static float *random_floats(size_t n, uint64_t *s)
{
    float *v = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; v && i < n; i++) {
        *s = *s * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = (float)(*s >> 40) / 16777216.0f - 0.5f;
    }
    return v;
}

typedef struct {
    float *y, *hn, *cn, *dx, *dh0, *dc0, *grads;
    size_t ny, nh, nc, nx, ng;
} run_out;

static void run_free(run_out *o)
{
    free(o->y), free(o->hn), free(o->cn), free(o->dx), free(o->dh0),
        free(o->dc0), free(o->grads);
}

/* Forward and backward of one batch; regularisers' masks replayed from
 * the same seed. Returns 0 on failure (reported). */
static int run(recur_rnn *rnn, size_t T, size_t B, const float *x,
               const int64_t *len, const float *dy, int training, run_out *o)
{
    const recur_rnn_config *c = recur_rnn_get_config(rnn);
    const size_t D = c->bidirectional ? 2 : 1, L = c->num_layers;
    const size_t P = recur_rnn_get_output_size(rnn), H = c->hidden_size;
    o->ny = T * B * D * P, o->nh = L * D * B * P, o->nc = L * D * B * H;
    o->nx = T * B * c->input_size, o->ng = recur_rnn_get_flat_size(rnn);
    o->y = malloc(o->ny * sizeof(float));
    o->hn = malloc(o->nh * sizeof(float));
    o->cn = malloc(o->nc * sizeof(float));
    o->dx = malloc(o->nx * sizeof(float));
    o->dh0 = malloc(o->nh * sizeof(float));
    o->dc0 = malloc(o->nc * sizeof(float));
    o->grads = malloc(o->ng * sizeof(float));
    recur_rnn_set_training(rnn, training);
    recur_rnn_zero_grad(rnn);
    const int lstm = c->mode == RECUR_LSTM;
    recur_regularizers reg;
    recur_status s = o->y && o->hn && o->cn && o->dx && o->dh0 && o->dc0 &&
                             o->grads
                         ? recur_rnn_get_regularizers(rnn, &reg)
                         : RECUR_ERR_MEMORY;
    reg.seed = 77;
    if (!s)
        s = recur_rnn_set_regularizers(rnn, &reg);
    if (!s)
        s = recur_rnn_forward(rnn, T, B, x, len, NULL, NULL, o->y, o->hn,
                              lstm ? o->cn : NULL);
    if (!s)
        s = recur_rnn_backward(rnn, dy, NULL, NULL, o->dx, o->dh0,
                               lstm ? o->dc0 : NULL);
    if (!lstm) /* compared all the same */
        memset(o->cn, 0, o->nc * sizeof(float)),
            memset(o->dc0, 0, o->nc * sizeof(float));
    CHECK(s == RECUR_OK, "run: %s", recur_last_error());
    if (s)
        return 0;
    memcpy(o->grads, recur_rnn_get_flat_grads(rnn), o->ng * sizeof(float));
    return 1;
}

static int same(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, n * sizeof(float)) == 0;
}

/* Whether two runs gave the same bits: forward (outputs, final states)
 * and backward (input, state and parameter gradients). */
static int same_forward(const run_out *a, const run_out *b)
{
    return same(a->y, b->y, a->ny) && same(a->hn, b->hn, a->nh) &&
           same(a->cn, b->cn, a->nc);
}

static int same_backward(const run_out *a, const run_out *b)
{
    return same(a->dx, b->dx, a->nx) && same(a->dh0, b->dh0, a->nh) &&
           same(a->dc0, b->dc0, a->nc) && same(a->grads, b->grads, a->ng);
}

/* A network with its batch: x [T, B, I], dy for its output, lengths from
 * T down to 1 (varlen; the last steps then have a single row), recurrent
 * dropout and zoneout when regularised. */
typedef struct {
    recur_rnn *rnn;
    size_t T, B;
    float *x, *dy;
    int64_t *len; /* NULL: every sequence has T steps */
    int regularised;
} batch;

static int batch_make(const recur_rnn_config *c, size_t T, size_t B, int varlen,
                      int regularised, uint64_t seed, batch *b)
{
    const size_t D = c->bidirectional ? 2 : 1;
    const size_t P = c->proj_size ? c->proj_size : c->hidden_size;
    *b = (batch){.rnn = NULL, .T = T, .B = B,
                 .x = random_floats(T * B * c->input_size, &seed),
                 .dy = random_floats(T * B * D * P, &seed),
                 .len = malloc(B * sizeof(int64_t)),
                 .regularised = regularised};
    const recur_regularizers reg = {.recurrent_dropout = 0.3f, .zoneout = 0.2f};
    if (recur_rnn_create(c, seed, &b->rnn) || !b->x || !b->dy || !b->len ||
        (regularised && recur_rnn_set_regularizers(b->rnn, &reg))) {
        CHECK(0, "set-up: %s", recur_last_error());
        return 0;
    }
    for (size_t k = 0; k < B; k++)
        b->len[k] = varlen ? (int64_t)(1 + (k * 7 + 3) % T) : (int64_t)T;
    b->len[B / 2] = varlen ? 1 : (int64_t)T;
    b->len[0] = (int64_t)T;
    return 1;
}

static void batch_free(batch *b)
{
    free(b->x), free(b->dy), free(b->len);
    recur_rnn_free(b->rnn);
}

static int batch_run(batch *b, run_out *o)
{
    return run(b->rnn, b->T, b->B, b->x, b->len, b->dy, b->regularised, o);
}

static void step_inputs_case(recur_mode mode, size_t I, size_t H,
                             size_t proj, size_t L, int bidirectional,
                             int bias, int varlen, int regularised, size_t B,
                             uint64_t seed)
{
    recur_rnn_config c =
        fixture_config(mode, I, H, proj, L, bidirectional, bias);
    batch b;
    if (!batch_make(&c, 9, B, varlen, regularised, seed, &b)) {
        batch_free(&b);
        return;
    }
    for (int threads = 1; threads <= 2; threads++) {
        recur_set_threads(threads);
        run_out up = {0}, step = {0};
        stack_set_plain_step(b.rnn, 1);
        int ok = batch_run(&b, &up);
        unsigned *count = b.rnn->test_hooks.per_step_inputs;
        unsigned up_count = count[0] + count[1];
        count[0] = count[1] = 0;
        stack_set_plain_step(b.rnn, 0);
        ok = ok && batch_run(&b, &step);
        /* The path ran, in every cell, where the kernel does (rows enough;
         * not for the reset-before GRU), and not in the up-front run. */
        int want = gemm_packed_available() && B >= 32 &&
                   mode != RECUR_GRU_RESET_BEFORE;
        unsigned cells = (unsigned)(L * (bidirectional ? 2 : 1));
        CHECK(!ok || (up_count == 0 && count[0] + count[1] ==
                                            (want ? cells : 0u)),
              "%s B=%zu: per-step input products in %u cells (up front: %u), "
              "want %u", recur_mode_str(mode), B, count[0] + count[1],
              up_count, want ? cells : 0u);
        count[0] = count[1] = 0;
        CHECK(!ok || same_forward(&up, &step),
              "%s I=%zu H=%zu P=%zu L=%zu bi=%d B=%zu varlen=%d reg=%d "
              "threads=%d: forward differs from the up-front projection",
              recur_mode_str(mode), I, H, proj, L, bidirectional, B, varlen,
              regularised, threads);
        CHECK(!ok || same_backward(&up, &step),
              "%s I=%zu H=%zu P=%zu B=%zu varlen=%d reg=%d threads=%d: "
              "gradients differ from the up-front projection",
              recur_mode_str(mode), I, H, proj, B, varlen, regularised,
              threads);
        run_free(&up);
        run_free(&step);
    }
    recur_set_threads(1);
    batch_free(&b);
}

void test_step_inputs(void)
{
    const recur_mode L = RECUR_LSTM;
    step_inputs_case(L, 20, 48, 0, 2, 1, 1, 1, 0, 40, 1);
    step_inputs_case(L, 33, 64, 0, 1, 0, 1, 0, 0, 64, 2); /* threads split */
    step_inputs_case(L, 12, 40, 16, 2, 0, 1, 1, 0, 36, 3); /* projection */
    step_inputs_case(L, 7, 32, 0, 1, 1, 0, 1, 0, 32, 4);   /* no biases */
    step_inputs_case(L, 16, 48, 0, 2, 1, 1, 1, 1, 40, 5);  /* regularised */
    step_inputs_case(L, 16, 48, 0, 1, 0, 1, 1, 0, 31, 6);  /* too few rows */
    const recur_mode others[] = {RECUR_RNN_TANH, RECUR_RNN_RELU, RECUR_GRU,
                                 RECUR_GRU_RESET_BEFORE};
    for (size_t m = 0; m < 4; m++) {
        step_inputs_case(others[m], 20, 48, 0, 2, 1, 1, 1, 0, 40, 10 + m);
        step_inputs_case(others[m], 33, 200, 0, 1, 0, 1, 0, 0, 64, 20 + m);
        step_inputs_case(others[m], 7, 32, 0, 1, 1, 0, 1, 1, 33, 30 + m);
    }
}

static void directions_case(recur_mode mode, size_t I, size_t H, size_t L,
                            int varlen, int regularised, size_t B,
                            uint64_t seed)
{
    recur_rnn_config c = recur_rnn_config_default(mode, I, H);
    c.num_layers = L;
    c.bidirectional = 1;
    batch b;
    if (!batch_make(&c, 11, B, varlen, regularised, seed, &b)) {
        batch_free(&b);
        return;
    }
    run_out one = {0}, two = {0};
    recur_set_threads(1);
    int ok = batch_run(&b, &one);
    CHECK(!ok || !stack_parallel_directions(b.rnn),
          "1 thread: directions at once");
    recur_set_threads(2);
    ok = ok && batch_run(&b, &two);
    const size_t G = mode == RECUR_LSTM ? 4 : mode == RECUR_GRU ? 3 : 1;
    int want = gemm_packed_available() &&
               mode != RECUR_GRU_RESET_BEFORE && G * H >= 64;
    CHECK(!ok || stack_parallel_directions(b.rnn) == want,
          "%s, 2 threads: directions at once %d, want %d",
          recur_mode_str(mode), stack_parallel_directions(b.rnn), want);
    /* ... and they did run in a team of two (else outside any region: in
     * one, each product's team would be a nested one). */
    CHECK(!ok || b.rnn->test_hooks.direction_team == (want ? 2 : 0),
          "%s, 2 threads: directions ran in a team of %d",
          recur_mode_str(mode), b.rnn->test_hooks.direction_team);
    recur_set_threads(1);
    CHECK(!ok || same_forward(&one, &two),
          "%s H=%zu L=%zu B=%zu varlen=%d reg=%d: forward at 2 threads "
          "differs from 1", recur_mode_str(mode), H, L, B, varlen,
          regularised);
    CHECK(!ok || same_backward(&one, &two),
          "%s H=%zu L=%zu B=%zu varlen=%d reg=%d: gradients at 2 threads "
          "differ from 1", recur_mode_str(mode), H, L, B, varlen, regularised);
    run_free(&one);
    run_free(&two);
    batch_free(&b);
}

void test_parallel_directions(void)
{
    const recur_mode modes[] = {RECUR_LSTM, RECUR_GRU, RECUR_RNN_TANH,
                                RECUR_GRU_RESET_BEFORE};
    for (size_t m = 0; m < 4; m++) {
        directions_case(modes[m], 20, 48, 2, 1, 0, 40, 1 + m);
        directions_case(modes[m], 9, 64, 1, 0, 1, 24, 11 + m);
        directions_case(modes[m], 16, 40, 3, 1, 1, 8, 21 + m);
    }
}

/* One forward (inference mode): y, h_n, c_n into o (backward left out). */
static int forward_only(batch *b, int batch_first, run_out *o)
{
    const recur_rnn_config *c = recur_rnn_get_config(b->rnn);
    const size_t D = c->bidirectional ? 2 : 1, L = c->num_layers;
    const size_t P = recur_rnn_get_output_size(b->rnn), H = c->hidden_size;
    const int lstm = c->mode == RECUR_LSTM;
    o->ny = b->T * b->B * D * P, o->nh = L * D * b->B * P;
    o->nc = L * D * b->B * H;
    o->y = malloc(o->ny * sizeof(float));
    o->hn = malloc(o->nh * sizeof(float));
    o->cn = calloc(o->nc, sizeof(float));
    recur_rnn_set_training(b->rnn, 0);
    recur_status s = o->y && o->hn && o->cn
                         ? recur_rnn_set_batch_first(b->rnn, batch_first)
                         : RECUR_ERR_MEMORY;
    if (!s)
        s = recur_rnn_forward(b->rnn, b->T, b->B, b->x, b->len, NULL, NULL,
                              o->y, o->hn, lstm ? o->cn : NULL);
    CHECK(s == RECUR_OK, "forward: %s", recur_last_error());
    return s == RECUR_OK;
}

static void lean_case(recur_mode mode, size_t H, size_t proj, int bi,
                      int varlen, int zoneout, int batch_first, size_t B,
                      uint64_t seed)
{
    recur_rnn_config c = recur_rnn_config_default(mode, 13, H);
    c.num_layers = 2;
    c.bidirectional = bi;
    c.proj_size = proj;
    batch b;
    if (!batch_make(&c, 7, B, varlen, 0, seed, &b) ||
        (zoneout && recur_rnn_set_regularizers(
                        b.rnn, &(recur_regularizers){.zoneout = 0.25f}))) {
        CHECK(0, "set-up: %s", recur_last_error());
        batch_free(&b);
        return;
    }
    const size_t nx = b.T * b.B * 13;
    float *x0 = malloc(nx * sizeof(float));
    if (x0)
        memcpy(x0, b.x, nx * sizeof(float));
    for (int threads = 1; threads <= 2; threads++) {
        recur_set_threads(threads);
        run_out plain = {0}, lean = {0};
        int ok = forward_only(&b, batch_first, &plain);
        ok = ok && recur_rnn_pack_weights(b.rnn) == RECUR_OK;
        ok = ok && forward_only(&b, batch_first, &lean);
        CHECK(!ok || same_forward(&plain, &lean),
              "%s H=%zu P=%zu bi=%d varlen=%d zoneout=%d batch_first=%d "
              "threads=%d: packed forward differs from unpacked",
              recur_mode_str(mode), H, proj, bi, varlen, zoneout, batch_first,
              threads);
        /* In the packed layout x is read where it is, and left as it was. */
        int in_place = gemm_packed_available() && !varlen &&
                       !batch_first;
        CHECK(!ok || (b.rnn->x_rows == b.x) == in_place,
              "%s varlen=%d batch_first=%d: x %s in place",
              recur_mode_str(mode), varlen, batch_first,
              b.rnn->x_rows == b.x ? "read" : "not read");
        CHECK(!x0 || same(x0, b.x, nx), "the caller's x changed");
        /* Unpacking forgets the lean forward: backward refuses. */
        recur_rnn_unpack_weights(b.rnn);
        CHECK(recur_rnn_backward(b.rnn, NULL, NULL, NULL, NULL, NULL, NULL) ==
                  RECUR_ERR_STATE,
              "backward after unpacking a lean forward: not refused");
        run_free(&plain);
        run_free(&lean);
    }
    recur_set_threads(1);
    /* A new forward trains again; packing and unpacking after a forward
     * that kept its caches does not forget it. */
    run_out again = {0};
    recur_rnn_set_batch_first(b.rnn, 0);
    CHECK(batch_run(&b, &again), "forward and backward after unpacking");
    recur_rnn_set_training(b.rnn, 1);
    recur_status st = recur_rnn_forward(b.rnn, b.T, b.B, b.x, b.len, NULL,
                                        NULL, again.y, NULL, NULL);
    if (!st)
        st = recur_rnn_pack_weights(b.rnn);
    recur_rnn_unpack_weights(b.rnn);
    if (!st)
        st = recur_rnn_backward(b.rnn, b.dy, NULL, NULL, NULL, NULL, NULL);
    CHECK(st == RECUR_OK, "backward after pack and unpack: %s",
          recur_last_error());
    run_free(&again);
    free(x0);
    batch_free(&b);
}

/* regularised: training on, with recurrent dropout and zoneout;
 * recompute: segments of that many steps (0: none); no_dy: dy NULL. */
static void in_place_case(recur_mode mode, size_t L, int bi, size_t B,
                          int regularised, size_t recompute, int no_dy,
                          uint64_t seed)
{
    const size_t T = 6, I = 24, H = 24;
    recur_rnn_config c = recur_rnn_config_default(mode, I, H);
    c.num_layers = L;
    c.bidirectional = bi;
    const size_t D = bi ? 2 : 1;
    batch b;
    if (!batch_make(&c, T, B, 0, regularised, seed, &b) ||
        (recompute && recur_rnn_set_recompute(b.rnn, recompute))) {
        CHECK(0, "set-up: %s", recur_last_error());
        batch_free(&b);
        return;
    }
    run_out tm = {0}, bf = {0};
    float *xb = fixture_transpose_tb(b.x, T, B, I);
    float *dyb = fixture_transpose_tb(b.dy, T, B, D * H);
    int ok = xb && dyb &&
             run(b.rnn, T, B, b.x, NULL, no_dy ? NULL : b.dy, regularised,
                 &tm);
    ok = ok && recur_rnn_set_batch_first(b.rnn, 1) == RECUR_OK &&
         run(b.rnn, T, B, xb, NULL, no_dy ? NULL : dyb, regularised, &bf);
    recur_rnn_set_batch_first(b.rnn, 0);
    float *y = ok ? fixture_transpose_tb(bf.y, B, T, D * H) : NULL;
    float *dx = ok ? fixture_transpose_tb(bf.dx, B, T, I) : NULL;
    CHECK(!ok || (y && dx && same(tm.y, y, tm.ny) && same(tm.dx, dx, tm.nx) &&
                  same(tm.hn, bf.hn, tm.nh) && same(tm.cn, bf.cn, tm.nc) &&
                  same(tm.dh0, bf.dh0, tm.nh) && same(tm.dc0, bf.dc0, tm.nc) &&
                  same(tm.grads, bf.grads, tm.ng)),
          "%s L=%zu bi=%d B=%zu regularised=%d recompute=%zu no_dy=%d: "
          "time-major training differs from batch-first",
          recur_mode_str(mode), L, bi, B, regularised, recompute, no_dy);
    /* dx into dy's own buffer (I = D·H only without a second direction). */
    if (ok && !bi && !regularised && !no_dy) {
        float *buf = malloc(tm.nx * sizeof(float));
        recur_status s = buf ? RECUR_OK : RECUR_ERR_MEMORY;
        if (!s) {
            memcpy(buf, b.dy, tm.nx * sizeof(float));
            s = recur_rnn_forward(b.rnn, T, B, b.x, NULL, NULL, NULL, tm.y,
                                  NULL, NULL);
        }
        if (!s)
            s = recur_rnn_backward(b.rnn, buf, NULL, NULL, buf, NULL, NULL);
        CHECK(s == RECUR_OK && same(buf, tm.dx, tm.nx),
              "%s L=%zu: dx written over dy differs", recur_mode_str(mode), L);
        free(buf);
    }
    free(xb), free(dyb), free(y), free(dx);
    run_free(&tm);
    run_free(&bf);
    batch_free(&b);
}

void test_training_in_place(void)
{
    for (int threads = 1; threads <= 2; threads++) {
        recur_set_threads(threads);
        in_place_case(RECUR_LSTM, 2, 0, 40, 0, 0, 0, 11); /* per-step inputs */
        in_place_case(RECUR_LSTM, 1, 1, 5, 0, 0, 0, 12);
        in_place_case(RECUR_GRU, 2, 1, 36, 0, 0, 0, 13);
        in_place_case(RECUR_RNN_TANH, 1, 0, 7, 0, 0, 0, 14);
        in_place_case(RECUR_LSTM, 2, 1, 33, 1, 0, 0, 15); /* regularised */
        in_place_case(RECUR_LSTM, 2, 0, 9, 0, 2, 0, 16);  /* segments of 2 */
        in_place_case(RECUR_GRU, 3, 1, 6, 1, 4, 0, 17);
        in_place_case(RECUR_RNN_TANH, 2, 0, 8, 0, 0, 1, 18); /* dy NULL */
    }
    recur_set_threads(1);
}

void test_inference_lean(void)
{
    lean_case(RECUR_LSTM, 48, 0, 0, 0, 0, 0, 40, 1); /* x, y in place */
    lean_case(RECUR_LSTM, 48, 0, 1, 0, 1, 0, 8, 2);  /* zoneout, bi */
    lean_case(RECUR_LSTM, 40, 16, 1, 1, 0, 0, 36, 3); /* projection, varlen */
    lean_case(RECUR_LSTM, 32, 0, 0, 0, 0, 1, 33, 4);  /* batch-first */
    lean_case(RECUR_GRU, 40, 0, 1, 0, 1, 0, 40, 5);
    lean_case(RECUR_RNN_TANH, 40, 0, 0, 1, 0, 0, 12, 6);
    lean_case(RECUR_GRU_RESET_BEFORE, 24, 0, 1, 0, 0, 1, 9, 7);
}
