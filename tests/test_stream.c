/*
 * test_stream.c — the streaming step (one call per step, batch 1, weights
 * packed by recur_rnn_pack_weights): its one-pass product
 * (gemm_packed_pair, cell_step_products) against the plain path of
 * two packed products, bit for bit, in both sweep directions, at 1 and 2
 * threads; and against a double-precision product. Also the one-row
 * product a batch-1 step loop sweeps both ways (gemm_packed_row). On CPUs
 * without the packed kernel (AVX-512F) only the unpacked handles' products
 * are checked, and the rest is a SKIP.
 */
#include "fixture.h"
#include "kernels/gemm.h"
#include "recur.h"
#include "stack/stack.h"
#include "test.h"

#include <math.h>
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

/* c = a·Waᵀ + beta·c, then + b·Wbᵀ (Wa [N, Ka], Wb [N, Kb], row-major):
 * the pair against the two products it replaces and against double. */
static void pair_case(size_t N, size_t Ka, size_t Kb, float beta,
                      uint64_t seed)
{
    float *a = random_floats(Ka, &seed), *b = random_floats(Kb, &seed);
    float *Wa = random_floats(N * Ka, &seed);
    float *Wb = random_floats(N * Kb, &seed);
    float *c0 = random_floats(N + 5, &seed); /* 5 columns that stay */
    float *want = malloc((N + 5) * sizeof(float));
    float *got = malloc((N + 5) * sizeof(float));
    size_t fa = gemm_pack_floats(N, Ka);
    size_t fb = gemm_pack_floats(N, Kb);
    float *ba = fa ? malloc(fa * sizeof(float)) : NULL;
    float *bb = fb ? malloc(fb * sizeof(float)) : NULL;
    if (!a || !b || !Wa || !Wb || !c0 || !want || !got || (fa && !ba) ||
        (fb && !bb)) {
        CHECK(0, "out of memory");
        goto done;
    }
    gemm_b pa, pb;
    gemm_pack(&pa, 1, N, Ka, Wa, Ka, ba);
    gemm_pack(&pb, 1, N, Kb, Wb, Kb, bb);
    memcpy(want, c0, (N + 5) * sizeof(float));
    gemm_packed(1, 1.0f, a, Ka, &pa, beta, want, N);
    gemm_packed(1, 1.0f, b, Kb, &pb, 1.0f, want, N);
    for (int backwards = 0; backwards <= 1; backwards++) {
        memcpy(got, c0, (N + 5) * sizeof(float));
        gemm_packed_pair(a, &pa, beta, b, &pb, got, backwards);
        CHECK(memcmp(got, want, (N + 5) * sizeof(float)) == 0,
              "pair N=%zu Ka=%zu Kb=%zu beta=%g backwards=%d: not the two "
              "products' bits", N, Ka, Kb, (double)beta, backwards);
    }
    /* One product alone, both ways. */
    float *one = malloc((N + 5) * sizeof(float));
    memcpy(want, c0, (N + 5) * sizeof(float));
    gemm_packed(1, 1.0f, b, Kb, &pb, beta, want, N);
    for (int backwards = 0; one && backwards <= 1; backwards++) {
        memcpy(one, c0, (N + 5) * sizeof(float));
        gemm_packed_row(b, &pb, beta, one, backwards);
        CHECK(memcmp(one, want, (N + 5) * sizeof(float)) == 0,
              "row N=%zu K=%zu beta=%g backwards=%d: not gemm_packed's "
              "bits", N, Kb, (double)beta, backwards);
    }
    free(one);
    double worst = 0;
    for (size_t j = 0; j < N; j++) {
        double acc = beta * (double)c0[j];
        for (size_t k = 0; k < Ka; k++)
            acc += (double)a[k] * Wa[j * Ka + k];
        for (size_t k = 0; k < Kb; k++)
            acc += (double)b[k] * Wb[j * Kb + k];
        double e = fabs((double)got[j] - acc) / (1 + fabs(acc));
        worst = e > worst ? e : worst;
    }
    CHECK(worst < 2e-6 * sqrt((double)(Ka + Kb) + 1),
          "pair N=%zu Ka=%zu Kb=%zu: error %.3g against double", N, Ka, Kb,
          worst);
done:
    free(a), free(b), free(Wa), free(Wb), free(c0), free(want), free(got);
    free(ba), free(bb);
}

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
    /* Unpacked handles: the two products themselves. */
    float Wa[6] = {1, 2, 3, 4, 5, 6}, Wb[2] = {1, -1}, a[3] = {1, 1, 1},
          b[1] = {2}, cv[2] = {10, 20};
    gemm_b pa, pb;
    gemm_pack(&pa, 1, 2, 3, Wa, 3, NULL);
    gemm_pack(&pb, 1, 2, 1, Wb, 1, NULL);
    gemm_packed_pair(a, &pa, 1.0f, b, &pb, cv, 1);
    CHECK(cv[0] == 18.0f && cv[1] == 33.0f, "unpacked pair: %g %g, want 18 33",
          (double)cv[0], (double)cv[1]);
    gemm_packed_row(b, &pb, 0.0f, cv, 0);
    CHECK(cv[0] == 2.0f && cv[1] == -2.0f, "unpacked row: %g %g, want 2 -2",
          (double)cv[0], (double)cv[1]);
    /* Without the kernel nothing is packed and the one-pass path never
     * runs: both sides of every comparison would be the plain path. */
    if (!gemm_packed_available()) {
        SKIP("the one-pass streaming step and gemm_packed_pair/_row against "
             "the plain path: they need the packed kernel (AVX-512F on "
             "x86-64), which this CPU lacks");
        return;
    }

    const size_t shapes[][3] = {{1, 1, 1},     {33, 5, 70},   {100, 37, 64},
                                {280, 37, 70}, {1024, 256, 256}};
    uint64_t seed = 3;
    for (int threads = 1; threads <= 2; threads++) {
        recur_set_threads(threads);
        for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++)
            for (int beta = 0; beta <= 1; beta++)
                pair_case(shapes[k][0], shapes[k][1], shapes[k][2],
                          (float)beta, seed++);
    }
    recur_set_threads(1);

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
