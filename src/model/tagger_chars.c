/*
 * tagger_chars.c — the tagger's character model (tagger_chars.h).
 *
 * The N tokens of a batch are the batch of the char stack: token n's chars
 * c_1..c_len (len >= 1) are sequence n, embedded time-major into
 * x [Tc, N, Ec] with Tc the longest token (zeros past each end; the stack
 * runs the real lengths, as pack_padded_sequence does). The feature of
 * token n is [h_n[0, n], h_n[1, n]]: the forward direction's state after
 * c_len, the backward direction's after c_1. Backward feeds the features'
 * gradient in as dh_n (no gradient reaches y) and scatters dx into the
 * char embedding's rows.
 */
#include "model/tagger_chars.h"
#include "base/bigmem.h"
#include "base/error.h"
#include "model/parts.h"
#include "stack/stack.h"

#include <stdlib.h>
#include <string.h>

recur_status tagger_chars_init(tagger_chars *c, size_t Vc, size_t Ec, size_t Hc)
{
    memset(c, 0, sizeof *c);
    recur_rnn_config rc = recur_rnn_config_default(RECUR_LSTM, Ec, Hc);
    rc.bidirectional = 1;
    recur_status s = stack_alloc(&rc, &c->rnn);
    if (s)
        return s;
    recur_rnn_set_prefix(c->rnn, "char_rnn.");
    c->Vc = Vc;
    c->Ec = Ec;
    c->Hc = Hc;
    return RECUR_OK;
}

void tagger_chars_free(tagger_chars *c)
{
    recur_rnn_free(c->rnn);
    big_free(c->work);
    free(c->lengths);
    memset(c, 0, sizeof *c);
}

size_t tagger_chars_size(const tagger_chars *c)
{
    return c->Vc * c->Ec + recur_rnn_get_flat_size(c->rnn);
}

void tagger_chars_bind(tagger_chars *c, float *params, float *grads)
{
    c->emb = params;
    c->g_emb = grads;
    stack_bind(c->rnn, params + c->Vc * c->Ec, grads + c->Vc * c->Ec);
}

/* Room for rows = Tc·N char rows and N tokens. */
static recur_status ensure_work(tagger_chars *c, size_t rows, size_t N)
{
    if (rows <= c->rows_cap && N <= c->N_cap)
        return RECUR_OK;
    rows = rows > c->rows_cap ? rows : c->rows_cap;
    N = N > c->N_cap ? N : c->N_cap;
    int64_t *len = N <= SIZE_MAX / sizeof(int64_t) ? malloc(N * sizeof(int64_t))
                                                   : NULL;
    if (!len)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the char model "
                          "of %zu tokens", N);
    const parts_view views[] = {
        {&c->x, rows, c->Ec},     {&c->dx, rows, c->Ec}, {&c->y, rows, 2 * c->Hc},
        {&c->h_n, N, 2 * c->Hc}, {&c->dh_n, N, 2 * c->Hc},
    };
    recur_status s = parts_carve(&c->work, views, 5, "the char model's workspace");
    if (s) {
        free(len);
        return s;
    }
    free(c->lengths);
    c->lengths = len;
    c->rows_cap = rows;
    c->N_cap = N;
    return RECUR_OK;
}

recur_status tagger_chars_forward(tagger_chars *c, const tag_data *d,
                                  const size_t *token, size_t N, float *feat)
{
    size_t T = 0, rows;
    for (size_t n = 0; n < N; n++) {
        size_t len = d->char_offset[token[n] + 1] - d->char_offset[token[n]];
        T = len > T ? len : T;
    }
    if (!size_mul_ok(T, N, &rows))
        return error_fail(RECUR_ERR_MEMORY, "a batch of %zu tokens is too large "
                          "for the char model", N);
    recur_status s = ensure_work(c, rows, N);
    if (s)
        return s;
    const size_t Ec = c->Ec, Hc = c->Hc;
    memset(c->x, 0, rows * Ec * sizeof(float));
    for (size_t n = 0; n < N; n++) {
        size_t o = d->char_offset[token[n]];
        size_t len = d->char_offset[token[n] + 1] - o;
        c->lengths[n] = (int64_t)len;
        for (size_t t = 0; t < len; t++)
            memcpy(c->x + (t * N + n) * Ec, c->emb + (size_t)d->chars[o + t] * Ec,
                   Ec * sizeof(float));
    }
    s = recur_rnn_forward(c->rnn, T, N, c->x, c->lengths, NULL, NULL, c->y,
                          c->h_n, NULL);
    if (s)
        return s;
    for (size_t n = 0; n < N; n++)
        for (size_t dir = 0; dir < 2; dir++)
            memcpy(feat + n * 2 * Hc + dir * Hc, c->h_n + (dir * N + n) * Hc,
                   Hc * sizeof(float));
    c->T = T;
    c->N = N;
    return RECUR_OK;
}

recur_status tagger_chars_backward(tagger_chars *c, const tag_data *d,
                                   const size_t *token, const float *dfeat)
{
    const size_t Ec = c->Ec, Hc = c->Hc, N = c->N;
    for (size_t n = 0; n < N; n++)
        for (size_t dir = 0; dir < 2; dir++)
            memcpy(c->dh_n + (dir * N + n) * Hc, dfeat + n * 2 * Hc + dir * Hc,
                   Hc * sizeof(float));
    recur_status s = recur_rnn_backward(c->rnn, NULL, c->dh_n, NULL, c->dx,
                                        NULL, NULL);
    if (s)
        return s;
    for (size_t n = 0; n < N; n++) {
        size_t o = d->char_offset[token[n]], len = (size_t)c->lengths[n];
        for (size_t t = 0; t < len; t++) {
            int32_t id = d->chars[o + t];
            if (id == 0) /* padding_idx: no gradient */
                continue;
            float *g = c->g_emb + (size_t)id * Ec;
            const float *dx = c->dx + (t * N + n) * Ec;
            for (size_t k = 0; k < Ec; k++)
                g[k] += dx[k];
        }
    }
    return RECUR_OK;
}
