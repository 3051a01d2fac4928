/*
 * tagger_chars.h — the tagger's character model (tagger.h): every token of
 * a batch read as its own sequence of chars, through the char embedding
 * and a one-layer bidirectional LSTM; the token's feature is the LSTM's
 * final state of each direction, [h_n forward, h_n backward] (2·Hc), as
 * nn.LSTM(Ec, Hc, bidirectional=True) over packed sequences gives it.
 * Internal to the tagger.
 */
#ifndef RECUR_TAGGER_CHARS_H
#define RECUR_TAGGER_CHARS_H

#include "recur.h"
#include "data/tagged.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t Vc, Ec, Hc;
    float *emb, *g_emb;  /* char_embedding.weight [Vc, Ec] and its gradient */
    recur_rnn *rnn;      /* "char_rnn.": LSTM Ec → Hc, 1 layer, both directions */
    /* The last forward's shape and workspace, for up to rows_cap = Tc·N
     * char rows and N_cap tokens; grown, never shrunk. */
    size_t T, N, rows_cap, N_cap;
    float *work;
    float *x, *dx;       /* [Tc, N, Ec] char embeddings, time-major */
    float *y;            /* [Tc, N, 2·Hc] (the stack writes it; unused) */
    float *h_n, *dh_n;   /* [2, N, Hc] */
    int64_t *lengths;    /* [N] chars per token */
} tagger_chars;

/* The stack, with zeroed parameters; *c zeroed first. */
recur_status tagger_chars_init(tagger_chars *c, size_t Vc, size_t Ec, size_t Hc);
void tagger_chars_free(tagger_chars *c);
/* Floats of the char embedding [Vc, Ec] and the stack after it. */
size_t tagger_chars_size(const tagger_chars *c);
/* Both into the tagger's flat arrays from params / grads on (the
 * embedding first, then the stack); what the stack held is moved. */
void tagger_chars_bind(tagger_chars *c, float *params, float *grads);

/* The features feat [N, 2·Hc] of tokens token[0..N) of d (indices into
 * d->word; each has >= 1 char, ids < Vc: the caller checked). */
recur_status tagger_chars_forward(tagger_chars *c, const tag_data *d,
                                  const size_t *token, size_t N, float *feat);
/* Backward through the last forward from dfeat [N, 2·Hc]: gradients
 * accumulate (+=) into the bound ones, the embedding's row 0 (padding)
 * getting none. */
recur_status tagger_chars_backward(tagger_chars *c, const tag_data *d,
                                   const size_t *token, const float *dfeat);

#endif
