/*
 * tagger_chars.h — the tagger's character model (tagger.h): every distinct
 * form (char sequence) among a batch's tokens read once as a sequence of
 * chars, through the char embedding and a one-layer bidirectional LSTM;
 * the form's feature is the LSTM's final state of each direction,
 * [h_n forward, h_n backward] (2·Hc), as nn.LSTM(Ec, Hc,
 * bidirectional=True) over packed sequences gives it, and every token of
 * the form gets it. Internal to the tagger.
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
    /* The last forward's shape: N tokens, U forms, Tc chars in the longest. */
    size_t T, N, U;
    /* Float workspace for up to rows_cap = Tc·U char rows and U_cap forms;
     * the forms' index for up to N_cap tokens; grown, never shrunk. */
    size_t rows_cap, U_cap, N_cap;
    float *work;
    float *x, *dx;       /* [Tc, U, Ec] char embeddings, time-major, and
                            their gradient: one buffer (the stack reads x
                            only during forward, keeping its own copy) */
    float *h_n, *dh_n;   /* [2, U, Hc] */
    int64_t *lengths;    /* [U] chars per form */
    void *index;         /* the arrays below, one block */
    size_t *form;        /* [N] token n's form */
    size_t *at;          /* [N] (U used) form u's first token, index into d */
    size_t *slot;        /* [table] hash table of forms, u + 1 (0: empty) */
    size_t table;        /* its size, a power of 2 >= 2·N_cap */
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
/* Backward through the last forward (on the same d) from dfeat
 * [N, 2·Hc]: a form's gradient is the sum over its tokens; gradients
 * accumulate (+=) into the bound ones, the embedding's row 0 (padding)
 * getting none. */
recur_status tagger_chars_backward(tagger_chars *c, const tag_data *d,
                                   const float *dfeat);

#endif
