/*
 * tagger_chars.c — the tagger's character model (tagger_chars.h).
 *
 * The batch's N tokens are read as U <= N forms: tokens with the same
 * chars share one (a hash table over the char ids finds them), numbered
 * in the order of their first token. The forms are the batch of the char
 * stack: form u's chars c_1..c_len (len >= 1) are sequence u, embedded
 * time-major into x [Tc, U, Ec] with Tc the longest form (zeros past each
 * end; the stack runs the real lengths, as pack_padded_sequence does, and
 * its workspace holds only those; its outputs y, never used, are not
 * written out). The feature of form u is [h_n[0, u], h_n[1, u]]: the
 * forward direction's state after c_len, the backward direction's after
 * c_1; token n gets its form's.
 *
 * Running a form once for all its tokens computes what running every
 * token would (the char model draws nothing at random): forward copies
 * the form's feature to each token; backward, the map from dh_n to the
 * parameters' gradient being linear, feeds in the sum over the form's
 * tokens of their features' gradients, dh_n[u] = Σ_{form(n) = u} dfeat_n
 * (tokens in order; no gradient reaches y), and scatters dx into the char
 * embedding's rows. In a sentence batch most tokens repeat a form (EWT:
 * about half of the tokens of 32 sentences), so this halves the char
 * model's time and rows.
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
    free(c->index);
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

/* The forms' index for N tokens: form [N], at [N] and a hash table of a
 * power of 2 >= 2·N slots (at most half full). */
static recur_status ensure_index(tagger_chars *c, size_t N)
{
    if (N <= c->N_cap)
        return RECUR_OK;
    size_t table = 16, total;
    while (table / 2 < N) {
        if (table > SIZE_MAX / 4)
            return error_fail(RECUR_ERR_MEMORY, "a batch of %zu tokens is too "
                              "large for the char model", N);
        table *= 2;
    }
    size_t *ix = size_add_ok(2 * N, table, &total) &&
                         total <= SIZE_MAX / sizeof(size_t)
                     ? malloc(total * sizeof(size_t))
                     : NULL;
    if (!ix)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the char model "
                          "of %zu tokens", N);
    free(c->index);
    c->index = ix;
    c->form = ix;
    c->at = ix + N;
    c->slot = ix + 2 * N;
    c->table = table;
    c->N_cap = N;
    return RECUR_OK;
}

/* Room for rows = Tc·U char rows and U forms. */
static recur_status ensure_work(tagger_chars *c, size_t rows, size_t U)
{
    if (rows <= c->rows_cap && U <= c->U_cap)
        return RECUR_OK;
    rows = rows > c->rows_cap ? rows : c->rows_cap;
    U = U > c->U_cap ? U : c->U_cap;
    int64_t *len = malloc(U * sizeof(int64_t)); /* U <= N: no overflow */
    if (!len)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the char model "
                          "of %zu words", U);
    const parts_view views[] = {
        {&c->x, rows, c->Ec}, {&c->h_n, U, 2 * c->Hc}, {&c->dh_n, U, 2 * c->Hc},
    };
    recur_status s = parts_carve(&c->work, views, 3, "the char model's workspace");
    if (s) {
        free(len);
        return s;
    }
    c->dx = c->x;
    free(c->lengths);
    c->lengths = len;
    c->rows_cap = rows;
    c->U_cap = U;
    return RECUR_OK;
}

/* FNV-1a over a form's char ids. */
static size_t form_hash(const int32_t *ch, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t t = 0; t < len; t++) {
        h ^= (uint32_t)ch[t];
        h *= 1099511628211ull;
    }
    return (size_t)(h ^ (h >> 32));
}

/* form[n] for tokens token[0..N), at[u] and lengths[u] for the U forms
 * (in the order of their first token); *T the longest form. */
static size_t find_forms(tagger_chars *c, const tag_data *d,
                         const size_t *token, size_t N, size_t *T)
{
    const size_t mask = c->table - 1;
    size_t U = 0;
    *T = 0;
    memset(c->slot, 0, c->table * sizeof(size_t));
    for (size_t n = 0; n < N; n++) {
        const size_t o = d->char_offset[token[n]];
        const size_t len = d->char_offset[token[n] + 1] - o;
        const int32_t *ch = d->chars + o;
        size_t i = form_hash(ch, len) & mask;
        for (; c->slot[i]; i = (i + 1) & mask) {
            size_t u = c->slot[i] - 1, k = c->at[u];
            size_t ou = d->char_offset[k];
            if (d->char_offset[k + 1] - ou == len &&
                !memcmp(d->chars + ou, ch, len * sizeof(int32_t)))
                break;
        }
        if (!c->slot[i]) {
            c->at[U] = token[n];
            c->slot[i] = ++U;
            *T = len > *T ? len : *T;
        }
        c->form[n] = c->slot[i] - 1;
    }
    return U;
}

recur_status tagger_chars_forward(tagger_chars *c, const tag_data *d,
                                  const size_t *token, size_t N, float *feat)
{
    size_t T, rows;
    recur_status s = ensure_index(c, N);
    if (s)
        return s;
    const size_t U = find_forms(c, d, token, N, &T);
    if (!size_mul_ok(T, U, &rows))
        return error_fail(RECUR_ERR_MEMORY, "a batch of %zu tokens is too large "
                          "for the char model", N);
    if ((s = ensure_work(c, rows, U)) != RECUR_OK)
        return s;
    const size_t Ec = c->Ec, Hc = c->Hc;
    memset(c->x, 0, rows * Ec * sizeof(float));
    for (size_t u = 0; u < U; u++) {
        size_t o = d->char_offset[c->at[u]];
        size_t len = d->char_offset[c->at[u] + 1] - o;
        c->lengths[u] = (int64_t)len;
        for (size_t t = 0; t < len; t++)
            memcpy(c->x + (t * U + u) * Ec, c->emb + (size_t)d->chars[o + t] * Ec,
                   Ec * sizeof(float));
    }
    s = stack_forward(c->rnn, T, U, c->x, c->lengths, NULL, NULL, NULL,
                      c->h_n, NULL);
    if (s)
        return s;
    for (size_t n = 0; n < N; n++)
        for (size_t dir = 0; dir < 2; dir++)
            memcpy(feat + n * 2 * Hc + dir * Hc,
                   c->h_n + (dir * U + c->form[n]) * Hc, Hc * sizeof(float));
    c->T = T;
    c->N = N;
    c->U = U;
    return RECUR_OK;
}

recur_status tagger_chars_backward(tagger_chars *c, const tag_data *d,
                                   const float *dfeat)
{
    const size_t Ec = c->Ec, Hc = c->Hc, N = c->N, U = c->U;
    memset(c->dh_n, 0, 2 * U * Hc * sizeof(float));
    for (size_t n = 0; n < N; n++)
        for (size_t dir = 0; dir < 2; dir++) {
            float *dh = c->dh_n + (dir * U + c->form[n]) * Hc;
            const float *df = dfeat + n * 2 * Hc + dir * Hc;
            for (size_t k = 0; k < Hc; k++)
                dh[k] += df[k];
        }
    recur_status s = recur_rnn_backward(c->rnn, NULL, c->dh_n, NULL, c->dx,
                                        NULL, NULL);
    if (s)
        return s;
    for (size_t u = 0; u < U; u++) {
        size_t o = d->char_offset[c->at[u]], len = (size_t)c->lengths[u];
        for (size_t t = 0; t < len; t++) {
            int32_t id = d->chars[o + t];
            if (id == 0) /* padding_idx: no gradient */
                continue;
            float *g = c->g_emb + (size_t)id * Ec;
            const float *dx = c->dx + (t * U + u) * Ec;
            for (size_t k = 0; k < Ec; k++)
                g[k] += dx[k];
        }
    }
    return RECUR_OK;
}
