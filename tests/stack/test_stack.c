/*
 * test_stack.c — the stack (src/stack/stack.c) beyond what PyTorch's
 * numbers check (tests/api/test_parity.c) and finite differences
 * (tests/cells/): the faster paths that must keep the bits, the streaming
 * step, and the regularisers.
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
 *
 * test_stream_step: the streaming step (one call per step, batch 1,
 * weights packed by recur_rnn_pack_weights): its one-pass product
 * (gemm_packed_pair, cell_step_products; the kernel itself is
 * tests/kernels/test_gemm_packed.c's) against the plain path of two packed
 * products, bit for bit, at 1 and 2 threads, each cell sweeping once a
 * step.
 *
 * test_regularizers: the regularisers beyond their gradients
 * (tests/cells/): zoneout in evaluation is exactly its expectation on a
 * case worked by hand; recurrent dropout is off in evaluation; variational
 * dropout between layers uses one mask per sequence, in the packed layout
 * with unsorted lengths; the setters refuse bad values; a saved stack
 * keeps its zoneout.
 *
 * test_packed_rows: the workspace holds the batch's packed rows (the
 * lengths' sum), not T·B: short sequences, then the same T and B with
 * every sequence whole (more rows), then short ones again on one handle
 * give the bits of a fresh handle each time; and stack_forward with y NULL
 * (only the final states wanted) gives the bits of recur_rnn_forward,
 * forward and backward, with segments and regularisers too, while
 * recur_rnn_forward still refuses y NULL.
 *
 * All but test_training_in_place, test_packed_rows and test_regularizers
 * need the packed kernel (AVX-512F): on CPUs without it they are SKIPs.
 */
#include "fixture.h"
#include "io/safetensors.h"
#include "kernels/gemm.h"
#include "recur.h"
#include "stack/stack.h"
#include "test.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    if (!gemm_packed_available()) {
        SKIP("per-step input products against the up-front ones: the path "
             "needs the packed kernel (AVX-512F on x86-64), which this CPU "
             "lacks, so both runs would be the up-front path");
        return;
    }
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
    if (!gemm_packed_available()) {
        SKIP("both directions at once at 2 threads, the bits of 1 thread: "
             "that needs the packed kernel (AVX-512F on x86-64), which this "
             "CPU lacks; OpenBLAS's bits depend on the thread count");
        return;
    }
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
    if (!gemm_packed_available()) {
        SKIP("the lean inference forward of packed weights: without the "
             "packed kernel (AVX-512F on x86-64), which this CPU lacks, "
             "nothing is packed and forward keeps its caches");
        return;
    }
    lean_case(RECUR_LSTM, 48, 0, 0, 0, 0, 0, 40, 1); /* x, y in place */
    lean_case(RECUR_LSTM, 48, 0, 1, 0, 1, 0, 8, 2);  /* zoneout, bi */
    lean_case(RECUR_LSTM, 40, 16, 1, 1, 0, 0, 36, 3); /* projection, varlen */
    lean_case(RECUR_LSTM, 32, 0, 0, 0, 0, 1, 33, 4);  /* batch-first */
    lean_case(RECUR_GRU, 40, 0, 1, 0, 1, 0, 40, 5);
    lean_case(RECUR_RNN_TANH, 40, 0, 0, 1, 0, 0, 12, 6);
    lean_case(RECUR_GRU_RESET_BEFORE, 24, 0, 1, 0, 0, 1, 9, 7);
}

/* ------------------------------------------------------------------------ */
/* The streaming step                                                       */

/* T one-step calls at batch 1, state carried; y of every step. */
static float *stream(recur_rnn *rnn, const recur_rnn_config *c, size_t T,
                     const float *x)
{
    const size_t D = c->bidirectional ? 2 : 1, L = c->num_layers;
    const size_t P = c->proj_size ? c->proj_size : c->hidden_size;
    const size_t H = c->hidden_size, hs = L * D * P, cs = L * D * H;
    const int lstm = c->mode == RECUR_LSTM;
    float *y = calloc(T * D * P, sizeof(float));
    float *h = calloc(2 * hs, sizeof(float)), *cc = calloc(2 * cs, sizeof(float));
    recur_status s = y && h && cc ? RECUR_OK : RECUR_ERR_MEMORY;
    for (size_t t = 0; !s && t < T; t++) {
        size_t i = t & 1, o = !i;
        s = recur_rnn_forward(rnn, 1, 1, x + t * c->input_size, NULL,
                              h + i * hs, lstm ? cc + i * cs : NULL,
                              y + t * D * P, h + o * hs,
                              lstm ? cc + o * cs : NULL);
    }
    CHECK(s == RECUR_OK, "stream: %s", recur_last_error());
    free(h);
    free(cc);
    if (s) {
        free(y);
        return NULL;
    }
    return y;
}

static void stream_case(recur_mode mode, size_t I, size_t H, size_t proj,
                        size_t L, int bidirectional, int bias, uint64_t seed)
{
    recur_rnn_config c =
        fixture_config(mode, I, H, proj, L, bidirectional, bias);
    const size_t T = 5, D = bidirectional ? 2 : 1, P = proj ? proj : H;
    const size_t ny = T * D * P;
    recur_rnn *rnn = NULL;
    float *x = random_floats(T * I, &seed);
    if (recur_rnn_create(&c, seed, &rnn) || !x ||
        recur_rnn_pack_weights(rnn)) {
        CHECK(0, "set-up: %s", recur_last_error());
        recur_rnn_free(rnn);
        free(x);
        return;
    }
    stack_set_plain_step(rnn, 1);
    recur_set_threads(1);
    float *plain = stream(rnn, &c, T, x);
    stack_set_plain_step(rnn, 0);
    float *one = stream(rnn, &c, T, x);
    recur_set_threads(2);
    float *two = stream(rnn, &c, T, x);
    recur_set_threads(1);
    CHECK(plain && one && memcmp(plain, one, ny * sizeof(float)) == 0,
          "mode %s I=%zu H=%zu P=%zu L=%zu D=%zu bias=%d: one-pass steps "
          "differ from the plain path", recur_mode_str(mode), I, H, P, L, D,
          bias);
    CHECK(one && two && memcmp(one, two, ny * sizeof(float)) == 0,
          "mode %s H=%zu: 1 and 2 threads differ", recur_mode_str(mode), H);
    /* The one-pass path ran (LSTM and RNN; GRU keeps the plain one), and
     * swept each cell once per step: 2·T steps after the two runs. */
    int fused = mode != RECUR_GRU && mode != RECUR_GRU_RESET_BEFORE &&
                gemm_packed_available();
    for (size_t k = 0; k < L * D; k++)
        CHECK(rnn->fixed_sweep[k] == (fused ? 2 * T : 0),
              "mode %s: cell %zu swept %u times, want %zu",
              recur_mode_str(mode), k, rnn->fixed_sweep[k],
              fused ? 2 * T : 0);
    free(plain);
    free(one);
    free(two);
    free(x);
    recur_rnn_free(rnn);
}

void test_stream_step(void)
{
    /* Without the kernel nothing is packed and the one-pass path never
     * runs: both sides of every comparison would be the plain path. */
    if (!gemm_packed_available()) {
        SKIP("the one-pass streaming step against the plain path: it needs "
             "the packed kernel (AVX-512F on x86-64), which this CPU lacks");
        return;
    }
    stream_case(RECUR_LSTM, 37, 70, 0, 1, 0, 1, 11);
    stream_case(RECUR_LSTM, 256, 256, 0, 1, 0, 1, 12); /* threads split */
    stream_case(RECUR_LSTM, 9, 64, 0, 2, 1, 1, 18);
    stream_case(RECUR_LSTM, 9, 40, 13, 2, 1, 1, 13);   /* projection */
    stream_case(RECUR_LSTM, 9, 96, 13, 2, 1, 1, 19);
    stream_case(RECUR_LSTM, 6, 20, 0, 2, 0, 0, 14);    /* no biases */
    stream_case(RECUR_RNN_TANH, 7, 64, 0, 2, 1, 1, 15);
    stream_case(RECUR_RNN_RELU, 300, 33, 0, 1, 0, 0, 16);
    stream_case(RECUR_GRU, 5, 24, 0, 1, 0, 1, 17);
}

/* ------------------------------------------------------------------------ */
/* Regularisers                                                             */

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

/* ---- packed rows ---- */

/* The regularisers' generator back to run's seed. */
static recur_status reseed(recur_rnn *rnn)
{
    recur_regularizers reg;
    recur_status s = recur_rnn_get_regularizers(rnn, &reg);
    reg.seed = 77;
    return s ? s : recur_rnn_set_regularizers(rnn, &reg);
}

/* A fresh handle's run of b (its parameters) with lengths len. */
static int fresh_run(const recur_rnn_config *c, const batch *b,
                     const int64_t *len, size_t recompute, run_out *o)
{
    recur_rnn *rnn = NULL;
    const recur_regularizers reg = {.recurrent_dropout = 0.3f, .zoneout = 0.2f};
    int ok = recur_rnn_create(c, 1, &rnn) == RECUR_OK;
    if (ok)
        memcpy(recur_rnn_get_flat_params(rnn), recur_rnn_get_flat_params(b->rnn),
               recur_rnn_get_flat_size(rnn) * sizeof(float));
    ok = ok &&
             (!b->regularised || recur_rnn_set_regularizers(rnn, &reg) == RECUR_OK) &&
             (!recompute || recur_rnn_set_recompute(rnn, recompute) == RECUR_OK) &&
             run(rnn, b->T, b->B, b->x, len, b->dy, b->regularised, o);
    recur_rnn_free(rnn);
    return ok;
}

static void packed_rows_case(recur_mode mode, int regularised,
                             size_t recompute, uint64_t seed)
{
    const size_t T = 7, B = 9, I = 5, H = 6;
    recur_rnn_config c = recur_rnn_config_default(mode, I, H);
    c.num_layers = 2;
    c.bidirectional = 1;
    batch b;
    int64_t whole[9];
    for (size_t k = 0; k < B; k++)
        whole[k] = (int64_t)T;
    if (!batch_make(&c, T, B, 1, regularised, seed, &b) ||
        (recompute && recur_rnn_set_recompute(b.rnn, recompute))) {
        CHECK(0, "set-up: %s", recur_last_error());
        batch_free(&b);
        return;
    }
    const int64_t *order[3] = {b.len, whole, b.len};
    for (int i = 0; i < 3; i++) {
        run_out got = {0}, want = {0};
        int ok = run(b.rnn, T, B, b.x, order[i], b.dy, regularised, &got) &&
                 fresh_run(&c, &b, order[i], recompute, &want);
        CHECK(ok && same_forward(&got, &want) && same_backward(&got, &want),
              "%s regularised=%d recompute=%zu, run %d (%s lengths): a "
              "reused workspace differs from a fresh one", recur_mode_str(mode),
              regularised, recompute, i, i == 1 ? "whole" : "short");
        run_free(&got);
        run_free(&want);
    }
    /* y NULL: the same states and gradients. */
    run_out ref = {0};
    int ok = run(b.rnn, T, B, b.x, b.len, NULL, regularised, &ref);
    const int lstm = mode == RECUR_LSTM;
    float *hn = malloc(ref.nh * sizeof(float)), *cn = calloc(ref.nc, sizeof(float));
    float *dx = malloc(ref.nx * sizeof(float)), *dh0 = malloc(ref.nh * sizeof(float));
    uint64_t s2 = seed + 1;
    float *dh = random_floats(ref.nh, &s2);
    recur_status st = ok && hn && cn && dx && dh0 && dh ? RECUR_OK
                                                        : RECUR_ERR_MEMORY;
    recur_rnn_zero_grad(b.rnn);
    if (!st)
        st = reseed(b.rnn);
    if (!st)
        st = recur_rnn_forward(b.rnn, T, B, b.x, b.len, NULL, NULL, ref.y,
                               ref.hn, lstm ? ref.cn : NULL);
    if (!st)
        st = recur_rnn_backward(b.rnn, NULL, dh, NULL, ref.dx, ref.dh0, NULL);
    if (!st)
        memcpy(ref.grads, recur_rnn_get_flat_grads(b.rnn), ref.ng * sizeof(float));
    recur_rnn_zero_grad(b.rnn);
    if (!st)
        st = reseed(b.rnn);
    if (!st)
        st = stack_forward(b.rnn, T, B, b.x, b.len, NULL, NULL, NULL, hn,
                           lstm ? cn : NULL);
    if (!st)
        st = recur_rnn_backward(b.rnn, NULL, dh, NULL, dx, dh0, NULL);
    CHECK(st == RECUR_OK && same(hn, ref.hn, ref.nh) &&
              (!lstm || same(cn, ref.cn, ref.nc)) && same(dx, ref.dx, ref.nx) &&
              same(dh0, ref.dh0, ref.nh) &&
              same(recur_rnn_get_flat_grads(b.rnn), ref.grads, ref.ng),
          "%s regularised=%d recompute=%zu: stack_forward without y differs "
          "(%s)", recur_mode_str(mode), regularised, recompute,
          st ? recur_last_error() : "bits");
    CHECK(recur_rnn_forward(b.rnn, T, B, b.x, b.len, NULL, NULL, NULL, hn,
                            NULL) == RECUR_ERR_ARGUMENT &&
              recur_rnn_backward(b.rnn, NULL, dh, NULL, dx, NULL, NULL) != RECUR_OK,
          "recur_rnn_forward with y NULL refused, leaving nothing for backward");
    free(hn), free(cn), free(dx), free(dh0), free(dh);
    run_free(&ref);
    batch_free(&b);
}

void test_packed_rows(void)
{
    packed_rows_case(RECUR_LSTM, 0, 0, 21);
    packed_rows_case(RECUR_LSTM, 1, 0, 22);  /* recurrent dropout, zoneout */
    packed_rows_case(RECUR_LSTM, 0, 3, 23);  /* segments of 3 */
    packed_rows_case(RECUR_GRU, 1, 2, 24);
}
