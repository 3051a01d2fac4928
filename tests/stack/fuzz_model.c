/*
 * fuzz_model.c — libFuzzer entry point for loading an RNN stack from a
 * safetensors file (st_parse + rnn_from_st) and running it.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *       -D_POSIX_C_SOURCE=200809L src/*/*.c tests/stack/fuzz_model.c \
 *       -lopenblas -ljansson -lm -o fuzz_model
 *   mkdir -p /tmp/corpus && for f in lstm_proj-bi-L3 gru_rb-uni-L1 gru-nobias \
 *       rnn_relu-bi-L1; do cp tests/fixtures/$f/model.safetensors /tmp/corpus/$f; done
 *   OPENBLAS_NUM_THREADS=1 ./fuzz_model -max_total_time=180 -dict=DICT \
 *       -malloc_limit_mb=512 /tmp/corpus
 *
 * DICT holds JSON tokens and the state_dict names ("weight_ih_l0",
 * "_reverse", "bias_hh_l1", "weight_hr_l0", "mode", "GRU_RESET_BEFORE", ...).
 * A stack that loads runs forward and backward on T = 3, B = 2, lengths
 * {3, 1}: outputs and input gradients at the padded steps must be exactly 0,
 * and a second backward after zeroing the gradients must reproduce them
 * bit for bit; a violation aborts, which libFuzzer reports as a crash.
 * Stacks too big to run quickly (more than 1e6 parameters, sizes above
 * 4096) are loaded and freed but not run. -malloc_limit_mb reports any
 * allocation out of proportion to the file as a crash.
 */
#include "stack/rnn_io.h"
#include "io/safetensors.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { T = 3, B = 2 };

/* Sequence 1 has length 1: its rows at steps 1 and 2 of a [T, B, w]
 * tensor are padding and must be exactly 0. */
static void check_padding(const float *v, size_t w)
{
    for (size_t t = 1; t < T; t++)
        for (size_t k = 0; k < w; k++)
            if (v[(t * B + 1) * w + k] != 0.0f)
                abort();
}

static void run(recur_rnn *rnn)
{
    const recur_rnn_config *c = recur_rnn_get_config(rnn);
    size_t I = c->input_size, H = c->hidden_size, P = recur_rnn_get_output_size(rnn);
    size_t LD = c->num_layers * (c->bidirectional ? 2u : 1u);
    size_t DP = (c->bidirectional ? 2u : 1u) * P;
    int lstm = c->mode == RECUR_LSTM;
    const int64_t lengths[B] = {3, 1};
    size_t flat = recur_rnn_get_flat_size(rnn);

    float *x = malloc(T * B * I * sizeof(float));
    float *dx = malloc(T * B * I * sizeof(float));
    float *y = malloc(T * B * DP * sizeof(float));
    float *dy = malloc(T * B * DP * sizeof(float));
    float *h_n = malloc(LD * B * P * sizeof(float));
    float *c_n = malloc(LD * B * H * sizeof(float));
    float *dh0 = malloc(LD * B * P * sizeof(float));
    float *dc0 = malloc(LD * B * H * sizeof(float));
    float *g1 = malloc(flat * sizeof(float));
    if (!x || !dx || !y || !dy || !h_n || !c_n || !dh0 || !dc0 || !g1)
        abort();
    for (size_t i = 0; i < T * B * I; i++)
        x[i] = (float)((i * 37) % 17) / 8.0f - 1.0f;
    for (size_t i = 0; i < T * B * DP; i++)
        dy[i] = (float)((i * 13) % 11) / 5.0f - 1.0f;

    if (recur_rnn_forward(rnn, T, B, x, lengths, NULL, NULL, y, h_n,
                          lstm ? c_n : NULL) != RECUR_OK)
        abort();
    check_padding(y, DP);
    if (recur_rnn_backward(rnn, dy, NULL, NULL, dx, dh0,
                           lstm ? dc0 : NULL) != RECUR_OK)
        abort();
    check_padding(dx, I);
    memcpy(g1, recur_rnn_get_flat_grads(rnn), flat * sizeof(float));
    recur_rnn_zero_grad(rnn);
    if (recur_rnn_backward(rnn, dy, NULL, NULL, dx, dh0,
                           lstm ? dc0 : NULL) != RECUR_OK ||
        memcmp(g1, recur_rnn_get_flat_grads(rnn), flat * sizeof(float)) != 0)
        abort();

    free(x); free(dx); free(y); free(dy); free(h_n); free(c_n);
    free(dh0); free(dc0); free(g1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    st_file *st = NULL;
    if (st_parse(data, size, "fuzz", &st) != RECUR_OK)
        return 0;
    recur_rnn *rnn = NULL;
    if (rnn_from_st(st, "fuzz", &rnn) == RECUR_OK) {
        const recur_rnn_config *c = recur_rnn_get_config(rnn);
        if (recur_rnn_get_flat_size(rnn) <= 1000000 && c->hidden_size <= 4096 &&
            c->input_size <= 4096)
            run(rnn);
        recur_rnn_free(rnn);
    }
    st_free(st);
    return 0;
}
