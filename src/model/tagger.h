/*
 * tagger.h — the sequence tagger: one tag per token (part of speech, named
 * entities), the word + character BiLSTM of Plank et al. (2016) and Lample
 * et al. (2016), with an optional CRF output layer (crf.h).
 *
 *   token k of a sentence, word id w_k, chars c_k,1..c_k,n (tagged.h)
 *   char model  char embedding (id 0 padding) → one-layer LSTM over the
 *               word's chars, both directions, hidden Hc each; the word's
 *               char feature is [h_n forward, h_n backward] (2·Hc),
 *               computed once per distinct form in a batch (tagger_chars.h)
 *   input       [word embedding (E, id 0 padding), char feature] → dropout
 *   sentence    LSTM/GRU stack over the sentence's tokens, bidirectional,
 *               dropout between layers → dropout
 *   output      fc: emissions [K] per token
 *   loss        softmax: cross-entropy, mean over the batch's tokens
 *               crf: the CRF's negative log-likelihood summed over the
 *               batch's sentences, divided by its tokens (pytorch-crf's
 *               reduction "token_mean"), so one learning rate serves both
 *   decoding    softmax: argmax per token; crf: Viterbi
 * Word dropout (training only): a token whose word id w >= 2 occurred
 * count[w] times in training is read as <unk> with probability
 * α / (α + count[w]) (Kiperwasser & Goldberg 2016), so <unk> learns.
 * Dropout is PyTorch's inverted dropout; every random draw comes from the
 * model's generator (tagger_set_seed).
 *
 * Parameters: one flat array under PyTorch's names (tools/tag_torch.py
 * loads a checkpoint into its twin module):
 *   word_embedding.weight [Vw, E]       row 0 zero, no gradient
 *   char_embedding.weight [Vc, Ec]      row 0 zero, no gradient
 *   char_rnn.<stack names>              LSTM, input Ec, hidden Hc, 1 layer, bidirectional
 *   rnn.<stack names>                   input E + 2·Hc
 *   fc.weight [K, D·H], fc.bias [K]
 *   crf.start_transitions [K], crf.end_transitions [K],
 *   crf.transitions [K, K]              (crf only)
 * Initialisation as PyTorch's defaults: embeddings N(0, 1) (padding row
 * zeroed), stacks U(±1/√H), fc U(±1/√F), CRF U(−0.1, 0.1) as pytorch-crf.
 * Internal to the library.
 */
#ifndef RECUR_TAGGER_H
#define RECUR_TAGGER_H

#include "recur.h"
#include "data/tagged.h"
#include "io/safetensors.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t words, chars, tags;   /* Vw, Vc, K (vocabulary sizes) */
    size_t word_embed;           /* E >= 1 */
    size_t char_embed;           /* Ec; 0 with char_hidden 0: no char model */
    size_t char_hidden;          /* Hc */
    recur_rnn_config rnn;        /* input_size E + 2·Hc */
    float dropout;               /* [0, 1) */
    int crf;
} tagger_config;

typedef struct tagger tagger;

recur_status tagger_create(const tagger_config *config, uint64_t seed,
                           tagger **out);
void tagger_free(tagger *m);
const tagger_config *tagger_get_config(const tagger *m);

size_t tagger_size(const tagger *m);
float *tagger_params(tagger *m);
float *tagger_grads(tagger *m);
size_t tagger_tensor_count(const tagger *m);
void tagger_tensor(const tagger *m, size_t i, char *name, size_t size,
                   size_t *offset, size_t shape[2], size_t *ndim);

void tagger_set_training(tagger *m, int training);
void tagger_set_seed(tagger *m, uint64_t seed);
/* Word dropout's α and the training counts (count[Vw], copied); α 0: off. */
recur_status tagger_set_word_dropout(tagger *m, float alpha,
                                     const uint32_t *count);

/* Forward (and with grads != 0, backward: gradients of the batch's mean
 * loss, accumulated into tagger_grads) over sentences idx[0..B) of d.
 * *loss_sum: the summed loss; *counted: the tokens it is averaged over.
 * pred (may be NULL): the predicted tag of every token of the batch, the
 * sentences one after another in idx order. d->tag may be NULL when
 * grads is 0 and loss_sum is NULL (prediction only). */
recur_status tagger_batch(tagger *m, const tag_data *d, const size_t *idx,
                          size_t B, int grads, double *loss_sum,
                          size_t *counted, int32_t *pred);

/* Checkpoints: the parameters under the names above and __metadata__
 * format "recur-tagger", task "tag" and the configuration; the caller adds
 * its own metadata (vocabularies) to w. */
recur_status tagger_write(const tagger *m, st_writer *w);
recur_status tagger_read(const st_file *st, const char *path, tagger **out);

#endif
