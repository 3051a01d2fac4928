/*
 * classifier.h — what a text classifier's checkpoint holds beside its
 * sequence model (`recur train --task classify`): the tokenizer, the
 * vocabulary and the class names, in __metadata__ tokens ("word" or
 * "char"), lowercase (0 or 1), vocab (tokens.h's stored form) and labels
 * (labeled.h's), and the encoding of one text for the model. Shared by the
 * CLI (train, eval, predict) and the public recur_model (model.c), so that
 * both classify a text with the same code. Internal to the library.
 */
#ifndef RECUR_CLASSIFIER_H
#define RECUR_CLASSIFIER_H

#include "data/seqdata.h"
#include "data/tokens.h"
#include "io/safetensors.h"
#include "model/seqmodel.h"

typedef struct {
    tokenizer tk;
    const tok_vocab *vocab;
    const char *const *labels; /* [K] */
    size_t K;
} classifier;

/* Adds the tokenizer, vocabulary and labels to a checkpoint's metadata
 * (ctx: a const classifier *; a seqtask_meta_fn of the CLI). */
recur_status classifier_write_meta(void *ctx, st_writer *w);

/* The tokenizer, vocabulary and classes a checkpoint of model m holds, into
 * *c; the vocabulary and the label array are allocated into *vocab and
 * *labels (the caller frees them with tok_vocab_free and free, also on
 * failure). RECUR_ERR_FORMAT, naming path, for a checkpoint without them or
 * whose vocabulary or labels do not match the model. */
recur_status classifier_read(const st_file *st, const char *path,
                             const seq_model *m, classifier *c,
                             tok_vocab **vocab, char ***labels);

/* One text (valid UTF-8) as the tokens of a one-example seq_data d (n = 1,
 * offset with room for 2, tokens reallocated as needed): tokens outside the
 * vocabulary as <unk>, a text without a token as one <unk>, as in
 * training. tok is the tokenizer's reused buffer. */
recur_status classifier_encode(const classifier *c, const char *text,
                               token_list *tok, seq_data *d);

/* One text's class probabilities p[K] and the most probable class (the
 * lowest index among equals): classifier_encode, then the network, as
 * `recur predict` prints them. tok and d as for classifier_encode; d->label
 * points at a class id below K (the loss, unused here, reads it). */
recur_status classifier_predict(seq_model *m, const classifier *c,
                                const char *text, token_list *tok,
                                seq_data *d, float *p, size_t *best);

#endif
