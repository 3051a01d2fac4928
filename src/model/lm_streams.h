/*
 * lm_streams.h — a token sequence as B parallel streams read in chunks of T
 * steps, and a language model evaluated over it (lm_streams.c).
 *
 * Stream b is ids[b*L .. b*L + L - 1], L = n / B (the tail n mod B is not
 * read); a chunk starting at step `start` holds, for each step t < T and
 * stream b, the input ids[b*L + start + t] and the target one further.
 */
#ifndef RECUR_LM_STREAMS_H
#define RECUR_LM_STREAMS_H

#include "model/lm.h"

/* The chunk's inputs x [T, B] and targets y [T, B]. */
void lm_streams_fill(const int32_t *ids, size_t n, size_t B, size_t start,
                     size_t T, int32_t *x, int32_t *y);
/* Whole chunks of T steps in n tokens read as B streams. */
size_t lm_streams_chunks(size_t n, size_t B, size_t T);
/* RECUR_ERR_ARGUMENT, naming `what` ("training", "validation"), when n
 * tokens do not make one whole chunk. */
recur_status lm_streams_check(const char *what, size_t n, size_t B, size_t T);

/* Streams the ids through the model (B streams of T-step chunks, state
 * carried, dropout off) and sums the loss: evaluation of a text. With tail,
 * every stream predicts all its L - 1 next tokens (a last, shorter chunk);
 * without, only whole chunks, as validation during training reads it. */
recur_status lm_evaluate(recur_lm *lm, const int32_t *ids, size_t n, size_t B,
                         size_t T, int tail, double *loss_sum, size_t *tokens);

#endif
