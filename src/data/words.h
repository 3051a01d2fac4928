/*
 * words.h — word-level text and the vocabulary of a word language model
 * (internal API).
 *
 * A file is strict UTF-8 (text.h's rules, checked first). It is cut into
 * lines at '\n' (text after the last '\n' is a line when not empty); each
 * line is split at runs of ASCII whitespace (space, \t, \v, \f, \r) into
 * words, and the token "<eos>" follows each line's words — PyTorch's
 * word_language_model and Zaremba et al.'s Penn Treebank setup.
 *
 * The vocabulary is the sorted set (byte order, which is code-point order)
 * of the distinct tokens of the training and validation texts; an id is a
 * position in it.
 * Checkpoints store it as its words, one per line. Encoding other text maps
 * a word missing from the vocabulary to "<unk>" when the vocabulary has it
 * (Penn Treebank does) and is an error naming the word and its line
 * otherwise.
 *
 * Thread safety: no shared state; a vocabulary is read-only once built.
 */
#ifndef RECUR_WORDS_H
#define RECUR_WORDS_H

#include "recur.h"

#include <stddef.h>
#include <stdint.h>

#define RECUR_EOS "<eos>"
#define RECUR_UNK "<unk>"

/* A tokenised text: count tokens, each a NUL-terminated word inside the
 * text's own buffer (or RECUR_EOS), with the 1-based line it came from. */
typedef struct {
    char *buf;          /* the file's bytes, cut in place */
    const char **token; /* [count] */
    uint32_t *line;     /* [count] */
    size_t count;
} word_list;

/* Reads and tokenises a file (at most RECUR_TEXT_MAX_BYTES). Errors:
 * RECUR_ERR_IO / RECUR_ERR_UNSUPPORTED as file_read;
 * RECUR_ERR_FORMAT for invalid UTF-8 or a NUL byte (line and byte) and for
 * a text without a single word; RECUR_ERR_MEMORY. *out is untouched on
 * failure. */
recur_status words_read(const char *path, word_list *out);
/* The same over bytes[0..n) (copied); `what` names them in messages. */
recur_status words_split(const unsigned char *bytes, size_t n,
                               const char *what, word_list *out);
void words_free(word_list *w);

typedef struct word_vocab word_vocab;

/* The distinct tokens of w (and of w2 when not NULL), sorted. The caller
 * owns *out. */
recur_status word_vocab_build(const word_list *w, word_vocab **out);
recur_status word_vocab_build2(const word_list *w, const word_list *w2,
                                    word_vocab **out);
/* From the stored form: V words, one per line (no trailing newline),
 * strictly ascending, none empty or holding whitespace, else
 * RECUR_ERR_FORMAT naming the entry. */
recur_status word_vocab_parse(const char *text, size_t V,
                                   word_vocab **out);
/* The stored form (malloc'd, NUL-terminated; caller frees), or NULL when
 * out of memory. */
char *word_vocab_join(const word_vocab *v);
void word_vocab_free(word_vocab *v);
size_t word_vocab_size(const word_vocab *v);
/* The word of id (NULL when id >= V). */
const char *word_vocab_word(const word_vocab *v, size_t id);
/* The id of a word, or -1. O(log V). */
int64_t word_vocab_find(const word_vocab *v, const char *word);
/* Maps w's tokens to ids out[0..count): unknown words to <unk> when the
 * vocabulary has it, else RECUR_ERR_FORMAT "what: line L: word 'x' is not
 * in the vocabulary (which has no <unk>)". out is untouched on failure. */
recur_status word_vocab_encode(const word_vocab *v,
                                    const word_list *w, const char *what,
                                    int32_t *out);
/* How many of w's tokens the vocabulary lacks: the words
 * word_vocab_encode reads as <unk> (a "<unk>" written in the text is in a
 * vocabulary that has it, and is not counted). O(count log V). */
size_t word_vocab_count_missing(const word_vocab *v, const word_list *w);

#endif
