/*
 * text.h — training text as Unicode code points, and the vocabulary of a
 * character-level language model (internal API).
 *
 * A text file is UTF-8, decoded strictly: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF, no stray continuation bytes. A
 * leading byte-order mark is dropped. Errors say where: the line (1-based,
 * counting '\n') and the byte offset from the start of the input (0-based,
 * as xxd and od show it) of the sequence that is wrong.
 *
 * The vocabulary is the sorted set of distinct code points of the training
 * text (char-rnn sorts its characters the same way); a token id is a
 * position in it. Checkpoints store it as its code points.
 *
 * Thread safety: no shared state; a vocabulary is read-only once built.
 */
#ifndef RECUR_TEXT_H
#define RECUR_TEXT_H

#include "recur.h"

#include <stddef.h>
#include <stdint.h>

/* The largest file text_read accepts. */
#define RECUR_TEXT_MAX_BYTES ((uint64_t)2 << 30)

/* Decodes n bytes of UTF-8. `what` names the input in messages (a file
 * name; NULL reads "text"). On success *out is malloc'd, owned by the
 * caller, and holds *n_out >= 1 code points. Errors: RECUR_ERR_FORMAT for
 * invalid UTF-8 ("data.txt: line 12, byte 3401: invalid UTF-8 (byte 0xC3
 * not followed by a continuation byte)") and for an input that is empty
 * (or only a byte-order mark); RECUR_ERR_ARGUMENT for NULLs;
 * RECUR_ERR_MEMORY. Outputs are untouched on failure. */
recur_status utf8_decode(const unsigned char *bytes, size_t n,
                               const char *what, uint32_t **out,
                               size_t *n_out);

/* Validates as utf8_decode does (same rules, byte-order mark, empty
 * input and messages) without decoding or allocating. */
recur_status utf8_check(const unsigned char *bytes, size_t n,
                              const char *what);

/* utf8_check, and a NUL byte refused too (it is valid UTF-8 but not text
 * a parser can keep in C strings): RECUR_ERR_FORMAT "what: line N, byte
 * B: a NUL byte (U+0000) is not text". */
recur_status text_check(const unsigned char *bytes, size_t n,
                        const char *what);

/* Checks n bytes against the same rules without decoding (a byte-order
 * mark is not special here). Returns 1 when they are valid UTF-8; else 0,
 * with the 0-based offset of the first bad sequence in *at and what is
 * wrong with it in why (NUL-terminated, at most why_size bytes), e.g. for
 * a caller that reads a stream line by line and names the line itself. */
int utf8_is_valid(const unsigned char *bytes, size_t n, size_t *at,
                     char *why, size_t why_size);

/* Reads a whole regular file of at most RECUR_TEXT_MAX_BYTES and decodes
 * it as utf8_decode does, naming the file in messages. RECUR_ERR_IO
 * (with the path and the system's reason) when it cannot be opened or
 * read or is not a regular file; RECUR_ERR_UNSUPPORTED when too large. */
recur_status text_read(const char *path, uint32_t **out, size_t *n_out);

/* Writes the UTF-8 form of cp into buf (room for 4 bytes) and returns its
 * length, 1 to 4. A value that is not a Unicode scalar value (a surrogate
 * or above U+10FFFF) is written as U+FFFD, the replacement character. */
size_t utf8_encode(uint32_t cp, char *buf);

typedef struct char_vocab char_vocab;

/* The distinct code points of text[0..n), ascending; id = position.
 * n >= 1, and every value a Unicode scalar value, else RECUR_ERR_ARGUMENT.
 * The caller owns *out (char_vocab_free). O(n + 0x110000/8). */
recur_status char_vocab_build(const uint32_t *text, size_t n,
                               char_vocab **out);

/* A vocabulary from its code points, as stored in a checkpoint (copied):
 * V >= 1, strictly ascending, each a Unicode scalar value, else
 * RECUR_ERR_FORMAT saying which entry is wrong. */
recur_status char_vocab_from_codepoints(const uint32_t *cps, size_t V,
                                         char_vocab **out);

/* NULL is allowed. */
void char_vocab_free(char_vocab *v);

/* V, the number of token ids. */
size_t char_vocab_size(const char_vocab *v);

/* The code point of token id; UINT32_MAX when id >= V. */
uint32_t char_vocab_codepoint(const char_vocab *v, size_t id);

/* The V code points, ascending; valid as long as the vocabulary. */
const uint32_t *char_vocab_codepoints(const char_vocab *v);

/* Maps text[0..n) to token ids out[0..n). A code point missing from the
 * vocabulary is RECUR_ERR_FORMAT naming `what` (NULL reads "text"), the
 * line and column (1-based, in characters) and the character, e.g.
 * "val.txt: line 3, column 17: character 'Q' (U+0051) is not in the
 * vocabulary". out is untouched on failure. O(n log V) at worst; code
 * points below U+0800 take a table lookup. */
recur_status char_vocab_encode(const char_vocab *v, const uint32_t *text,
                                size_t n, const char *what, int32_t *out);

#endif
