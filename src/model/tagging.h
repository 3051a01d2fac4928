/*
 * tagging.h — what a tagger's checkpoint holds beside the network
 * (`recur train --task tag`), and tagging a whole set of sentences.
 *
 * __metadata__ beside the tagger's own (tagger.h): word_vocab and
 * char_vocab (the vocabularies in tokens.h's stored form), tag_names (one
 * per line),
 * lowercase (0 or 1: the word keys' case folding) and tag_column (upos or
 * xpos: what the model was trained on, the column eval reads and predict
 * fills by default). Shared by the CLI and, later, the public API, so
 * that both tag with the same code. Internal to the library.
 */
#ifndef RECUR_TAGGING_H
#define RECUR_TAGGING_H

#include "data/tagged.h"
#include "model/tagger.h"

/* Writes m and the vocabularies to path atomically. */
recur_status tagging_save(const tagger *m, const tag_vocabs *v,
                          tagged_column column, const char *path);

/* Reads a checkpoint written by tagging_save: the model (*m, caller frees)
 * and the vocabularies (*v, tag_vocabs_free, also on failure).
 * RECUR_ERR_FORMAT naming path for another task's checkpoint or
 * vocabularies that do not match the network. */
recur_status tagging_load(const char *path, tagger **m, tag_vocabs *v,
                          tagged_column *column);

/* Tags every sentence of d (in batches of `batch` sentences of similar
 * length, dropout off): pred[N] the tag ids in d's token order. With
 * mean_loss != NULL (d labelled), the mean loss per token too. */
recur_status tagging_run(tagger *m, const tag_data *d, size_t batch,
                         int32_t *pred, double *mean_loss);

#endif
