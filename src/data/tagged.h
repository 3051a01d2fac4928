/*
 * tagged.h — sentences whose tokens carry one tag each, for sequence
 * tagging (part of speech, named entities): reading them, their
 * vocabularies, and encoding them as ids for the tagger (internal API).
 *
 * Files. Strict UTF-8 (a leading byte-order mark dropped, a NUL byte or a
 * malformed sequence refused), '\n' or "\r\n" line ends, gzip-compressed
 * files read as their content (zlib; the content is bounded like a file).
 *   TAGGED_CONLLU      CoNLL-U: ten TAB-separated columns ID FORM LEMMA UPOS
 *                      XPOS FEATS HEAD DEPREL DEPS MISC; '#' lines are
 *                      comments; a blank line ends a sentence; multi-word
 *                      token ranges ("1-2") and empty nodes ("1.1") are
 *                      skipped; word ids must run 1, 2, 3... within a
 *                      sentence. The tag is the UPOS or XPOS column
 *                      (tagged_column); "_" there is a tag like any other.
 *   TAGGED_COLUMNS     two columns, token TAB tag (BIO tags included); a
 *                      blank line between sentences; no comments.
 *   TAGGED_PLAIN       unlabelled: one sentence per line, tokens separated
 *                      by spaces or TABs (what `recur predict` reads); tags
 *                      are NULL. Empty lines are skipped.
 * A wrong column count, an empty form or tag, a non-integer or out-of-order
 * id, a sentence without a token, a token of more than
 * TAGGED_MAX_TOKEN_BYTES bytes or a sentence of more than
 * TAGGED_MAX_SENTENCE tokens is RECUR_ERR_FORMAT "file: line N: problem".
 *
 * Vocabularies (built from the training set only):
 *   words  tokens.h's tok_vocab: 0 "<pad>", 1 "<unk>", then the word keys
 *          seen at least min_count times by descending count (the key is
 *          the form, ASCII-lowercased when `lowercase`)
 *   chars  the same over the forms' code points (min_count 1, not lowered)
 *   tags   the sorted (bytewise) distinct tags; an id is a position (a
 *          tag holding a control character cannot be stored: refused,
 *          RECUR_ERR_FORMAT naming the file and line)
 * A form whose key is "<pad>" or "<unk>" is no word of the vocabulary; it
 * is encoded as <unk> (never as the padding id).
 * Encoding maps a word or char outside its vocabulary to <unk>; a tag
 * outside the tag set is RECUR_ERR_FORMAT naming the file, line and tag
 * ("tag X was not seen in training"). A word's chars are its first
 * TAGGED_MAX_CHARS code points.
 *
 * Thread safety: no shared state; structures are read-only once built.
 */
#ifndef RECUR_TAGGED_H
#define RECUR_TAGGED_H

#include "recur.h"
#include "data/tokens.h"

#include <stddef.h>
#include <stdint.h>

#define TAGGED_MAX_BYTES ((uint64_t)1 << 30)
#define TAGGED_MAX_TOKEN_BYTES 1024
#define TAGGED_MAX_SENTENCE 4096
#define TAGGED_MAX_CHARS 64

/* TAGGED_AUTO: CoNLL-U or two columns, as tagged_detect says of the
 * (inflated) content. */
typedef enum {
    TAGGED_CONLLU, TAGGED_COLUMNS, TAGGED_PLAIN, TAGGED_AUTO
} tagged_format;
typedef enum { TAGGED_UPOS, TAGGED_XPOS } tagged_column;

/* A read file: n sentences, sentence i = tokens [offset[i], offset[i+1]). */
typedef struct {
    size_t n;
    size_t *offset;     /* [n + 1] */
    size_t tokens;      /* offset[n] */
    const char **form;  /* [tokens] NUL-terminated, into buf */
    const char **tag;   /* [tokens], or NULL (TAGGED_PLAIN) */
    size_t *line;       /* [tokens] 1-based line of each token */
    char *path;         /* the name messages use */
    char *buf;
} tagged_set;

/* Reads path (gzip or plain). On failure *out is zeroed. */
recur_status tagged_read(const char *path, tagged_format format,
                         tagged_column column, tagged_set *out);
/* The same over text[0..size) in memory (name for messages; gzip bytes
 * are inflated here too). */
recur_status tagged_parse(const char *text, size_t size, const char *name,
                          tagged_format format, tagged_column column,
                          tagged_set *out);
/* "auto" detection: TAGGED_CONLLU when the first line that is neither a
 * comment nor blank has ten TAB-separated columns, else TAGGED_COLUMNS. */
tagged_format tagged_detect(const char *text, size_t size);
/* Frees the arrays and zeroes *s; NULL is allowed. */
void tagged_free(tagged_set *s);

/* A CoNLL-U text with column `column` of token k (the k-th word line,
 * ranges and empty nodes not counted) replaced by tags[k]; every other
 * byte as it was. *out malloc'd (caller frees), *out_size its length.
 * RECUR_ERR_FORMAT when the text's word lines are not `count`. */
recur_status tagged_conllu_fill(const char *text, size_t size, const char *name,
                                tagged_column column, const char *const *tags,
                                size_t count, char **out, size_t *out_size);

typedef struct {
    tok_vocab *words, *chars;
    char **tags;        /* [n_tags] sorted */
    size_t n_tags;
    int lowercase;
} tag_vocabs;

recur_status tag_vocabs_build(const tagged_set *train, size_t min_count,
                              size_t max_words, int lowercase, tag_vocabs *out);
void tag_vocabs_free(tag_vocabs *v);
/* The tag set stored as one name per line (labels' form) and back. */
char *tag_vocabs_join_tags(const tag_vocabs *v);
recur_status tag_vocabs_parse_tags(const char *text, tag_vocabs *v);
/* The id of a tag, -1 when absent. */
int32_t tag_vocabs_find_tag(const tag_vocabs *v, const char *tag);

/* Sentences as ids, what the tagger reads. */
typedef struct {
    size_t n;             /* sentences */
    size_t *offset;       /* [n + 1] token ranges */
    int32_t *word;        /* [N] word ids */
    int32_t *tag;         /* [N] tag ids, or NULL (unlabelled) */
    size_t *char_offset;  /* [N + 1]: token k's chars [char_offset[k], char_offset[k+1]) */
    int32_t *chars;       /* char ids */
    size_t tags;          /* K, the number of tag ids */
} tag_data;

/* Encodes s with v (tags encoded when s has them). */
recur_status tag_data_encode(const tagged_set *s, const tag_vocabs *v,
                             tag_data *out);
void tag_data_free(tag_data *d);
static inline size_t tag_len(const tag_data *d, size_t i)
{
    return d->offset[i + 1] - d->offset[i];
}

#endif
