/*
 * labeled.h — labelled text for classification (internal API): reading a
 * file of (label, text) examples, the class names, and encoding a subset
 * of the examples as a seq_data.
 *
 * Files. Strict UTF-8 (text.h's rules; a leading byte-order mark is
 * dropped; a NUL byte is refused), one example per record, in one of two
 * layouts, the label in column 0 or 1 and the text in the other:
 *   RECUR_LABELED_TSV  a record is a line (cut at '\n' only: U+0085 and
 *                      U+2028 inside a sentence are text); a line holds
 *                      exactly one TAB between its two fields. No quoting.
 *   RECUR_LABELED_CSV  RFC 4180: fields separated by ',', a field may be
 *                      quoted ("...") and then hold ',', '\n' and '""'
 *                      (one quote); exactly two fields per record. A quote
 *                      inside an unquoted field, text after a closing
 *                      quote and an unterminated quote are errors. The
 *                      first record may be a header (see header below).
 * In both, a '\r' before '\n' is dropped (CRLF files), empty lines are
 * skipped, and spaces around a label are trimmed ("spam " is "spam"). A
 * record with the wrong number of separators, an empty label, a label with
 * a control character, or an empty text is RECUR_ERR_FORMAT
 * "file: line N: problem" (N, 1-based, is the line where the record
 * starts).
 *
 * Classes. The sorted (bytewise) set of distinct labels; a class id is a
 * position in it. Checkpoints store the names one per line
 * (labels_join / labels_parse).
 *
 * Tokens and the vocabulary are tokens.h's. Encoding maps an example
 * without a single token (its text only spaces) to one <unk> step, so
 * that every example has at least one step.
 *
 * Thread safety: no shared state; the structures are read-only once built.
 */
#ifndef RECUR_LABELED_H
#define RECUR_LABELED_H

#include "recur.h"
#include "data/seqdata.h"
#include "data/tokens.h"

#include <stddef.h>
#include <stdint.h>

/* The largest file labeled_read accepts. */
#define RECUR_LABELED_MAX_BYTES ((uint64_t)1 << 30)

typedef enum { RECUR_LABELED_TSV, RECUR_LABELED_CSV } labeled_layout;

typedef struct {
    labeled_layout layout;
    int label_column; /* 0: label first, 1: label last */
    /* CSV only: 1 the first record is a header and skipped, 0 it is not,
     * -1 guess: a header when its label field equals no label of the
     * other records (a header's "label" or "class" cell never repeats; a
     * real class almost always does). */
    int header;
} labeled_format;

/* The examples of one file. The strings point into buf. */
typedef struct {
    size_t n;                /* examples, >= 1 */
    const char **text;       /* [n] UTF-8, NUL-terminated */
    const char **label_name; /* [n] the label as written (trimmed) */
    int32_t *label;          /* [n] class ids in [0, classes) */
    uint32_t *line;          /* [n] 1-based line where the record starts */
    size_t classes;          /* K, distinct labels, >= 1 */
    const char **class_name; /* [K] sorted, distinct */
    char *buf;
} labeled_set;

/* Reads a whole file (at most RECUR_LABELED_MAX_BYTES). Errors:
 * RECUR_ERR_IO / RECUR_ERR_UNSUPPORTED as file_read;
 * RECUR_ERR_FORMAT for invalid UTF-8 or a NUL byte (line and byte), a
 * malformed record ("file: line N: ...") or a file without examples;
 * RECUR_ERR_ARGUMENT for NULLs or a bad format; RECUR_ERR_MEMORY. The
 * caller owns *out (labeled_free); it is untouched on failure. */
recur_status labeled_read(const char *path,
                                const labeled_format *format,
                                labeled_set *out);
/* The same over bytes[0..n) (copied); `what` names them in messages (NULL
 * reads "text"). */
recur_status labeled_parse(const unsigned char *bytes, size_t n,
                                 const char *what,
                                 const labeled_format *format,
                                 labeled_set *out);
/* Frees the arrays (not the struct) and zeroes it; NULL is allowed. */
void labeled_free(labeled_set *d);

/* Renumbers d's labels by another list of class names (a model's, from its
 * checkpoint; strictly ascending as labels_parse gives, else
 * RECUR_ERR_ARGUMENT): d->label[i] becomes the position of
 * d->label_name[i] in names[0..K), and d->classes and d->class_name
 * follow (d->class_name's entries then point into names, which must
 * outlive their use). A label not in the list is RECUR_ERR_FORMAT
 * "file: line N: label 'x' is not one of the model's K classes", with d
 * untouched; `what` names the file (NULL reads "text"). */
recur_status labeled_relabel(labeled_set *d, const char *what,
                                   const char *const *names, size_t K);

/* Class names, stored one per line (no trailing newline). join: malloc'd,
 * NUL-terminated (caller frees), NULL when out of memory. parse: K >= 1
 * names, strictly ascending in byte order (so none repeated), none empty
 * or holding a control byte (below 0x20, or 0x7F), valid UTF-8, else
 * RECUR_ERR_FORMAT naming the entry; *names is one malloc'd block (the K
 * pointers, then the strings: one free) and *names, *K are untouched on
 * failure. */
char *labels_join(const char *const *names, size_t K);
recur_status labels_parse(const char *text, char ***names, size_t *K);

/* The examples idx[0..m) of d (m >= 1, each < d->n, in that order; idx
 * NULL: the first m) as a
 * seq_data for classification: features 0, tokens (ids from v; see the
 * header for unknown tokens and empty examples), label copied from d,
 * outputs = d->classes, per_step 0, x and y NULL. The caller owns *out
 * (seq_data_free); it is untouched on failure. RECUR_ERR_ARGUMENT for
 * NULLs (but idx), m = 0 or an index out of range; RECUR_ERR_MEMORY. */
recur_status labeled_encode(const labeled_set *d, const size_t *idx,
                                  size_t m, const tokenizer *tk,
                                  const tok_vocab *v, seq_data *out);

#endif
