/*
 * tokens.h — the tokens of a classifier's texts and their vocabulary
 * (internal API).
 *
 * RECUR_TOKENS_WORD. ASCII letters are lowercased and U+2019 (’) is
 * written as the ASCII apostrophe. A word is a maximal run of word
 * characters — ASCII letters and digits, and every code point from U+0080
 * up except the spaces and symbols below — in which an apostrophe joins two
 * word characters: "don't" is one token, "'tis" is "'" "tis", "dogs'" is
 * "dogs" "'". Every other character that is not a space is a token of its
 * own ("!", "?", ".", "£"), so punctuation counts. Spaces separate and are
 * dropped: ASCII whitespace and Unicode's White_Space (U+0085, U+00A0,
 * U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
 * Symbols: the C1 controls U+0080..U+009F (but U+0085, a space), Latin-1
 * punctuation and signs U+00A1..U+00BF, U+00D7, U+00F7, General
 * Punctuation U+2010..U+205E, and U+FEFF..U+FFFF. Non-ASCII letters are
 * kept as they are (there are no case tables here).
 *
 * RECUR_TOKENS_CHAR. Each code point is a token, spaces and newlines
 * included; ASCII letters are lowercased when `lowercase` is set.
 *
 * The vocabulary. Built from training texts only: id 0 "<pad>", id 1
 * "<unk>", then every token seen at least min_count times, by descending
 * count, ties in ascending byte order; at most max_size ids in all (0: no
 * limit). Neither reserved name can be a token ("<" and ">" are tokens of
 * their own in word mode; a char token is one code point). Encoding maps a
 * token outside the vocabulary to id 1, <unk>.
 *
 * Thread safety: no shared state; a vocabulary is read-only once built.
 */
#ifndef RECUR_TOKENS_H
#define RECUR_TOKENS_H

#include "recur.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { RECUR_TOKENS_WORD, RECUR_TOKENS_CHAR } tokens_mode;

typedef struct {
    tokens_mode mode;
    int lowercase; /* RECUR_TOKENS_CHAR only: lowercase ASCII letters */
} tokenizer;

/* The tokens of one text: count NUL-terminated strings in buf. */
typedef struct {
    char *buf;
    const char **token; /* [count] */
    size_t count;
    size_t cap_bytes, cap_tokens; /* room, reused by the next call */
} token_list;

/* Tokenises text (valid UTF-8, NUL-terminated: a labeled_set's texts
 * are) into *t, replacing what it held and reusing its buffers. Start from
 * a zeroed token_list; free with tokens_free. Errors:
 * RECUR_ERR_ARGUMENT for NULLs or an unknown mode; RECUR_ERR_MEMORY (t
 * then holds no tokens, and can still be freed). */
recur_status tokenize(const tokenizer *tk, const char *text,
                            token_list *t);
/* Frees the buffers and zeroes *t; NULL is allowed. */
void tokens_free(token_list *t);

#define RECUR_PAD "<pad>"
#define RECUR_UNKNOWN "<unk>"
#define RECUR_TOKEN_PAD 0
#define RECUR_TOKEN_UNK 1

typedef struct tok_vocab tok_vocab;

/* The vocabulary of the texts text[idx[0..m)] (m >= 1), as the header
 * says. min_count 0 counts as 1; max_size is 0 or >= 2, else
 * RECUR_ERR_ARGUMENT, as for NULLs or m = 0. The caller owns *out
 * (tok_vocab_free); it is untouched on failure. */
recur_status tok_vocab_build(const char *const *text, const size_t *idx,
                                  size_t m, const tokenizer *tk,
                                  size_t min_count, size_t max_size,
                                  tok_vocab **out);
/* The vocabulary of the tokens s[0..n) themselves (no tokenizer), with
 * the same ids, min_count and max_size as tok_vocab_build (n may be 0).
 * A string equal to "<pad>" or "<unk>" is not counted: it stays outside
 * the vocabulary, and tok_vocab_find then gives the reserved id of its
 * name, so a caller whose strings can be these maps them to <unk> itself
 * (tagged.h's words do). Errors and ownership as tok_vocab_build. */
recur_status tok_vocab_from_strings(const char *const *s, size_t n,
                                    size_t min_count, size_t max_size,
                                    tok_vocab **out);
/* NULL is allowed. */
void tok_vocab_free(tok_vocab *v);
/* V, the number of ids (>= 2; 0 for NULL). */
size_t tok_vocab_size(const tok_vocab *v);
/* The token of id (NULL when id >= V). */
const char *tok_vocab_token(const tok_vocab *v, size_t id);
/* The id of a token, RECUR_TOKEN_UNK when it is absent. O(log V). */
int32_t tok_vocab_find(const tok_vocab *v, const char *token);

/* The stored form: the V tokens in id order, one per line (no trailing
 * newline), escaped so that a line holds no control byte: '\' is written
 * "\\", and a byte below 0x20 or 0x7F as "\xHH" (two upper-case hex
 * digits), e.g. the char token '\n' is "\x0A". Nothing else is escaped.
 * join: malloc'd, NUL-terminated (caller frees), NULL when out of memory.
 * parse: exactly V lines, line 0 "<pad>" and line 1 "<unk>", no other line
 * empty, repeated or reserved, every escape one of the two forms for a
 * byte that needs it (not "\x00", not "\x41"), no raw control byte,
 * valid UTF-8; else RECUR_ERR_FORMAT naming the entry. *out is untouched
 * on failure. */
char *tok_vocab_join(const tok_vocab *v);
recur_status tok_vocab_parse(const char *text, size_t V,
                                  tok_vocab **out);

#endif
