/*
 * bitcheck.c — writes the outputs, final states and every gradient of a
 * fixed set of networks to one file, for comparing two versions of the
 * library byte for byte: a change that claims "the same bits" (a faster
 * kernel, a reordered loop) must leave the file unchanged.
 *
 * The set: LSTM (plain, with projection, layer-normalised), RNN tanh and
 * relu, GRU (linear before and after reset, layer-normalised); each with
 * and without recurrent dropout + zoneout (training mode), one and two
 * directions, full and variable lengths (down to one running sequence),
 * all steps kept or recomputed in segments of 3; 2 layers, B = 40 (so
 * per-step input products run), at 1 and 2 threads. Then each network's
 * inference forward with its weights packed (recur_rnn_pack_weights).
 *
 *     make build/bitcheck && build/bitcheck new.bin
 *     (the same in a checkout of the other version, e.g. a git worktree)
 *     cmp old.bin new.bin
 *
 * Exit status 1 (and a message) when a call fails; the file is then
 * incomplete.
 */
#include "recur.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static float *random_floats(size_t n, uint64_t *s)
{
    float *v = calloc(n ? n : 1, sizeof(float));
    for (size_t i = 0; v && i < n; i++) {
        *s = *s * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = (float)(*s >> 40) / 16777216.0f - 0.5f;
    }
    return v;
}

typedef struct {
    recur_mode mode;
    size_t proj;
    int layer_norm;
} net;

static int run(FILE *f, const net *nt, int regularised, int bidirectional,
               int varlen, int recompute, uint64_t seed)
{
    const size_t I = 24, H = 64, T = 7, B = 40, L = 2;
    const size_t D = bidirectional ? 2 : 1, P = nt->proj ? nt->proj : H;
    const int lstm = nt->mode == RECUR_LSTM;
    recur_rnn_config c = recur_rnn_config_default(nt->mode, I, H);
    c.num_layers = L;
    c.bidirectional = bidirectional;
    c.proj_size = nt->proj;
    c.layer_norm = nt->layer_norm;
    recur_rnn *r = NULL;
    size_t ny = T * B * D * P, nh = L * D * B * P, nc = L * D * B * H;
    float *x = random_floats(T * B * I, &seed), *dy = random_floats(ny, &seed);
    float *y = calloc(ny, 4), *hn = calloc(nh, 4), *cn = calloc(nc, 4);
    float *dx = calloc(T * B * I, 4), *dh0 = calloc(nh, 4), *dc0 = calloc(nc, 4);
    int64_t len[40];
    for (size_t b = 0; b < B; b++)
        len[b] = varlen ? (int64_t)(1 + (b * 5 + 2) % T) : (int64_t)T;
    len[3] = (int64_t)T;
    recur_status s = x && dy && y && hn && cn && dx && dh0 && dc0
                         ? recur_rnn_create(&c, seed, &r)
                         : RECUR_ERR_MEMORY;
    const recur_regularizers reg = {
        .recurrent_dropout = regularised ? 0.3f : 0.0f,
        .zoneout = regularised ? 0.2f : 0.0f, .seed = 9};
    if (!s && regularised)
        recur_rnn_set_training(r, 1);
    if (!s && recompute)
        s = recur_rnn_set_recompute(r, 3);
    if (!s)
        s = recur_rnn_set_regularizers(r, &reg);
    if (!s)
        s = recur_rnn_forward(r, T, B, x, len, NULL, NULL, y, hn,
                              lstm ? cn : NULL);
    if (!s)
        s = recur_rnn_backward(r, dy, NULL, NULL, dx, dh0, lstm ? dc0 : NULL);
    if (!s) {
        fwrite(y, 4, ny, f);
        fwrite(hn, 4, nh, f);
        fwrite(dx, 4, T * B * I, f);
        fwrite(dh0, 4, nh, f);
        if (lstm) {
            fwrite(cn, 4, nc, f);
            fwrite(dc0, 4, nc, f);
        }
        fwrite(recur_rnn_get_flat_grads(r), 4, recur_rnn_get_flat_size(r), f);
        /* Inference with packed weights (evaluation mode). */
        recur_rnn_set_training(r, 0);
        s = recur_rnn_pack_weights(r);
        if (!s)
            s = recur_rnn_forward(r, T, B, x, varlen ? len : NULL, NULL, NULL,
                                  y, hn, lstm ? cn : NULL);
        if (!s) {
            fwrite(y, 4, ny, f);
            fwrite(hn, 4, nh, f);
            if (lstm)
                fwrite(cn, 4, nc, f);
        }
    }
    if (s) {
        fprintf(stderr, "bitcheck: %s: %s\n", recur_mode_str(nt->mode),
                recur_last_error());
    }
    recur_rnn_free(r);
    free(x), free(dy), free(y), free(hn), free(cn), free(dx), free(dh0),
        free(dc0);
    return s == RECUR_OK;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bitcheck OUT\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "wb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    const net nets[] = {
        {RECUR_LSTM, 0, 0},     {RECUR_LSTM, 20, 0},
        {RECUR_LSTM, 0, 1},     {RECUR_RNN_TANH, 0, 0},
        {RECUR_RNN_RELU, 0, 0}, {RECUR_GRU, 0, 0},
        {RECUR_GRU, 0, 1},      {RECUR_GRU_RESET_BEFORE, 0, 0},
    };
    int ok = 1;
    for (int threads = 1; threads <= 2; threads++) {
        recur_set_threads(threads);
        for (size_t k = 0; k < sizeof nets / sizeof *nets; k++)
            for (int v = 0; v < 16; v++)
                ok &= run(f, nets + k, v & 1, (v >> 1) & 1, (v >> 2) & 1,
                          v >> 3, 5 + 10 * k + (v & 1));
    }
    ok &= fclose(f) == 0;
    return ok ? 0 : 1;
}
