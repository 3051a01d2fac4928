/* tokens.c — a classifier's tokens and their vocabulary (tokens.h). */
#include "data/tokens.h"
#include "base/error.h"
#include "data/text.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Tokenising                                                                */

/* The code point at s, valid UTF-8 (checked when the file was read). */
static uint32_t next_cp(const unsigned char *s, size_t *len)
{
    unsigned b = s[0];
    if (b < 0x80) {
        *len = 1;
        return b;
    }
    size_t n = b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    uint32_t cp = b & (0x7Fu >> n);
    for (size_t k = 1; k < n; k++)
        cp = cp << 6 | (s[k] & 0x3Fu);
    *len = n;
    return cp;
}

static int is_space(uint32_t c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static int is_word(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9');
    return !is_space(c) && c > 0x9F && !(c >= 0xA1 && c <= 0xBF) &&
           c != 0xD7 && c != 0xF7 && !(c >= 0x2010 && c <= 0x205E) &&
           !(c >= 0xFEFF && c <= 0xFFFF);
}

static int is_apostrophe(uint32_t c) { return c == '\'' || c == 0x2019; }

/* Appends code point c (its bytes at src, len of them) to the token being
 * written at *p: lowercased when it is an ASCII capital and lower is set,
 * U+2019 as "'" when quote is set. */
static void put(char **p, const unsigned char *src, size_t len, uint32_t c,
                int lower, int quote)
{
    if (lower && c >= 'A' && c <= 'Z')
        *(*p)++ = (char)(c - 'A' + 'a');
    else if (quote && c == 0x2019)
        *(*p)++ = '\'';
    else {
        memcpy(*p, src, len);
        *p += len;
    }
}

/* Writes the tokens of text into bytes (room for 2 * strlen(text) + 1) and
 * their starts into token (room for strlen(text) + 1). Returns the count;
 * *used says how many bytes were written. */
static size_t split(const tokenizer *tk, const char *text, char *bytes,
                    const char **token, size_t *used)
{
    const unsigned char *s = (const unsigned char *)text;
    char *p = bytes;
    size_t count = 0, len;
    int word_mode = tk->mode == RECUR_TOKENS_WORD;
    int lower = word_mode || tk->lowercase;
    while (*s) {
        uint32_t c = next_cp(s, &len);
        if (word_mode && is_space(c)) {
            s += len;
            continue;
        }
        token[count++] = p;
        put(&p, s, len, c, lower, word_mode);
        s += len;
        while (word_mode && is_word(c) && *s) {
            size_t len2;
            uint32_t c2 = next_cp(s, &len);
            if (is_apostrophe(c2) && s[len] &&
                is_word(next_cp(s + len, &len2))) {
                *p++ = '\'';
                s += len;
            } else if (!is_word(c2)) {
                break;
            } else {
                put(&p, s, len, c2, 1, 1);
                s += len;
            }
        }
        *p++ = '\0';
    }
    *used = (size_t)(p - bytes);
    return count;
}

/* Room for the tokens of a text of n bytes: bytes (each token at most its
 * own bytes, plus a NUL) and token starts. 0 on overflow. */
static int room(size_t n, size_t *bytes, size_t *tokens)
{
    return size_mul_ok(n, 2, bytes) && size_add_ok(*bytes, 1, bytes) &&
           size_add_ok(n, 1, tokens) &&
           size_mul_ok(*tokens, sizeof(const char *), &(size_t){0});
}

recur_status tokenize(const tokenizer *tk, const char *text,
                            token_list *t)
{
    if (!tk || !text || !t)
        return error_fail(RECUR_ERR_ARGUMENT, "no text or tokenizer to "
                          "tokenize with (NULL)");
    if (tk->mode != RECUR_TOKENS_WORD && tk->mode != RECUR_TOKENS_CHAR)
        return error_fail(RECUR_ERR_ARGUMENT, "%d is not a tokenizer mode "
                          "(word or char)",
                          (int)tk->mode);
    t->count = 0;
    size_t bytes, tokens;
    if (!room(strlen(text), &bytes, &tokens))
        return error_fail(RECUR_ERR_MEMORY, "a text too long to tokenise");
    if (bytes > t->cap_bytes) {
        char *b = realloc(t->buf, bytes);
        if (!b)
            return error_fail(RECUR_ERR_MEMORY, "out of memory for tokens");
        t->buf = b;
        t->cap_bytes = bytes;
    }
    if (tokens > t->cap_tokens) {
        const char **p = realloc(t->token, tokens * sizeof *p);
        if (!p)
            return error_fail(RECUR_ERR_MEMORY, "out of memory for tokens");
        t->token = p;
        t->cap_tokens = tokens;
    }
    size_t used;
    t->count = split(tk, text, t->buf, t->token, &used);
    return RECUR_OK;
}

void tokens_free(token_list *t)
{
    if (!t)
        return;
    free(t->buf);
    free(t->token);
    memset(t, 0, sizeof *t);
}

/* ------------------------------------------------------------------------ */
/* Vocabulary                                                                */

typedef struct {
    const char *token;
    int32_t id;
} entry;

struct tok_vocab {
    size_t V;
    const char **token; /* [V] in id order, into block */
    entry *by_bytes;    /* [V] the same, in ascending byte order */
    char *block;
};

void tok_vocab_free(tok_vocab *v)
{
    if (!v)
        return;
    free(v->token);
    free(v->by_bytes);
    free(v->block);
    free(v);
}

size_t tok_vocab_size(const tok_vocab *v) { return v ? v->V : 0; }

const char *tok_vocab_token(const tok_vocab *v, size_t id)
{
    return v && id < v->V ? v->token[id] : NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A vocabulary over token[0..V) (copied), which must be distinct: else
 * RECUR_ERR_FORMAT naming the later of two equal entries. */
static recur_status vocab_new(const char *const *token, size_t V,
                              tok_vocab **out)
{
    if (V > (size_t)INT32_MAX)
        return error_fail(RECUR_ERR_UNSUPPORTED, "%zu tokens are too many", V);
    size_t bytes = 0;
    for (size_t i = 0; i < V; i++)
        bytes += strlen(token[i]) + 1;
    tok_vocab *v = calloc(1, sizeof *v);
    if (v) {
        v->token = malloc(V * sizeof *v->token);
        v->by_bytes = malloc(V * sizeof *v->by_bytes);
        v->block = malloc(bytes);
    }
    if (!v || !v->token || !v->by_bytes || !v->block) {
        tok_vocab_free(v);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for a vocabulary");
    }
    char *p = v->block;
    for (size_t i = 0; i < V; i++) {
        size_t k = strlen(token[i]) + 1;
        memcpy(p, token[i], k);
        v->token[i] = p;
        v->by_bytes[i] = (entry){p, (int32_t)i};
        p += k;
    }
    v->V = V;
    /* cmp_str reads an entry's first member, its token. */
    qsort(v->by_bytes, V, sizeof *v->by_bytes, cmp_str);
    for (size_t i = 1; i < V; i++) {
        int32_t a = v->by_bytes[i - 1].id, b = v->by_bytes[i].id;
        if (!strcmp(v->token[a], v->token[b])) {
            tok_vocab_free(v);
            return error_fail(RECUR_ERR_FORMAT, "token %d of the vocabulary "
                              "repeats token %d", a > b ? a : b, a < b ? a : b);
        }
    }
    *out = v;
    return RECUR_OK;
}

int32_t tok_vocab_find(const tok_vocab *v, const char *token)
{
    size_t lo = 0, hi = v->V;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(v->by_bytes[mid].token, token);
        if (c == 0)
            return v->by_bytes[mid].id;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return RECUR_TOKEN_UNK;
}

typedef struct {
    const char *token;
    size_t count;
} counted;

static int cmp_counted(const void *a, const void *b)
{
    const counted *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->token, y->token);
}

static int is_reserved(const char *t)
{
    return !strcmp(t, RECUR_PAD) || !strcmp(t, RECUR_UNKNOWN);
}

recur_status tok_vocab_from_strings(const char *const *s, size_t n,
                                    size_t min_count, size_t max_size,
                                    tok_vocab **out)
{
    if ((!s && n) || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no tokens to build a "
                          "vocabulary of (NULL)");
    if (max_size == 1)
        return error_fail(RECUR_ERR_ARGUMENT, "a vocabulary of at most 1 token "
                          "cannot hold <pad> and <unk>");
    if (!size_mul_ok(n + 2, sizeof(counted), &(size_t){0}))
        return error_fail(RECUR_ERR_MEMORY, "too many tokens");
    /* all[] holds the tokens sorted, then the ids' tokens: up to 2 more. */
    const char **all = malloc((n + 2) * sizeof *all);
    counted *kinds = malloc((n ? n : 1) * sizeof *kinds);
    if (!all || !kinds) {
        free(all);
        free(kinds);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the "
                          "vocabulary of %zu tokens", n);
    }
    size_t m = 0, K = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_reserved(s[i]))
            all[m++] = s[i];
    qsort(all, m, sizeof *all, cmp_str);
    for (size_t i = 0; i < m; i++) {
        if (K > 0 && !strcmp(kinds[K - 1].token, all[i]))
            kinds[K - 1].count++;
        else
            kinds[K++] = (counted){all[i], 1};
    }
    size_t kept = 0;
    for (size_t i = 0; i < K; i++)
        if (kinds[i].count >= min_count)
            kinds[kept++] = kinds[i];
    qsort(kinds, kept, sizeof *kinds, cmp_counted);
    if (max_size && kept > max_size - 2)
        kept = max_size - 2;
    all[0] = RECUR_PAD;
    all[1] = RECUR_UNKNOWN;
    for (size_t i = 0; i < kept; i++)
        all[2 + i] = kinds[i].token;
    recur_status st = vocab_new(all, kept + 2, out);
    free(kinds);
    free(all);
    return st;
}

recur_status tok_vocab_build(const char *const *text, const size_t *idx,
                                  size_t m, const tokenizer *tk,
                                  size_t min_count, size_t max_size,
                                  tok_vocab **out)
{
    if (!text || !idx || !tk || !out || m == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "%s",
                          m ? "no texts or tokenizer to build a vocabulary with (NULL)"
                            : "no texts to build a vocabulary of");
    if (max_size == 1)
        return error_fail(RECUR_ERR_ARGUMENT, "a vocabulary of at most 1 token "
                          "cannot hold <pad> and <unk>");
    if (tk->mode != RECUR_TOKENS_WORD && tk->mode != RECUR_TOKENS_CHAR)
        return error_fail(RECUR_ERR_ARGUMENT, "%d is not a "
                          "tokenizer mode (word or char)", (int)tk->mode);
    /* Every token of every text, in one block sized from the texts. */
    size_t bytes = 0, tokens = 0;
    for (size_t i = 0; i < m; i++) {
        size_t b, t;
        if (!room(strlen(text[idx[i]]), &b, &t) ||
            !size_add_ok(bytes, b, &bytes) ||
            !size_add_ok(tokens, t, &tokens) ||
            !size_mul_ok(tokens, sizeof(const char *), &(size_t){0}))
            return error_fail(RECUR_ERR_MEMORY, "too many tokens");
    }
    char *block = malloc(bytes);
    const char **all = malloc(tokens * sizeof *all);
    recur_status s = RECUR_OK;
    if (!block || !all)
        s = error_fail(RECUR_ERR_MEMORY, "out of memory for the tokens of %zu "
                       "texts", m);
    size_t n = 0, used = 0;
    for (size_t i = 0; !s && i < m; i++) {
        size_t b;
        n += split(tk, text[idx[i]], block + used, all + n, &b);
        used += b;
    }
    if (!s)
        s = tok_vocab_from_strings(all, n, min_count, max_size, out);
    free(all);
    free(block);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Stored form                                                               */

static int needs_escape(unsigned char c) { return c < 0x20 || c == 0x7F; }

char *tok_vocab_join(const tok_vocab *v)
{
    if (!v)
        return NULL;
    size_t bytes = 1;
    for (size_t i = 0; i < v->V; i++) {
        size_t k = strlen(v->token[i]) + 1;
        /* An escape is at most 4 bytes for 1. */
        if (!size_mul_ok(k, 4, &k) || !size_add_ok(bytes, k, &bytes))
            return NULL;
    }
    char *text = malloc(bytes), *p = text;
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; text && i < v->V; i++) {
        if (i > 0)
            *p++ = '\n';
        for (const unsigned char *s = (const unsigned char *)v->token[i]; *s;
             s++) {
            if (*s == '\\') {
                *p++ = '\\';
                *p++ = '\\';
            } else if (needs_escape(*s)) {
                *p++ = '\\';
                *p++ = 'x';
                *p++ = hex[*s >> 4];
                *p++ = hex[*s & 15];
            } else {
                *p++ = (char)*s;
            }
        }
    }
    if (text)
        *p = '\0';
    return text;
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                                  : -1;
}

/* Unescapes the line at *p (up to '\n' or the end) in place; *p moves past
 * it. Returns 0 and the problem in *why when it is malformed. */
static int unescape(char **p, const char **why)
{
    char *in = *p, *out = *p;
    for (; *in && *in != '\n'; in++) {
        unsigned char c = (unsigned char)*in;
        if (needs_escape(c)) {
            *why = "holds a raw control byte";
            return 0;
        }
        if (c != '\\') {
            *out++ = (char)c;
            continue;
        }
        if (in[1] == '\\') {
            *out++ = '\\';
            in++;
            continue;
        }
        int hi = in[1] == 'x' ? hex_value(in[2]) : -1;
        int lo = hi >= 0 ? hex_value(in[3]) : -1;
        if (lo < 0 || !needs_escape((unsigned char)(hi << 4 | lo)) ||
            (hi | lo) == 0) {
            *why = "holds an escape other than \\\\ or \\xHH of a control "
                   "byte";
            return 0;
        }
        *out++ = (char)(hi << 4 | lo);
        in += 3;
    }
    *p = *in ? in + 1 : in;
    *out = '\0';
    return 1;
}

recur_status tok_vocab_parse(const char *text, size_t V,
                                  tok_vocab **out)
{
    if (!text || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no token vocabulary to read (NULL)");
    size_t n = strlen(text), lines = 1;
    for (size_t i = 0; i < n; i++)
        lines += text[i] == '\n';
    if (V < 2 || lines != V)
        return error_fail(RECUR_ERR_FORMAT, "the token vocabulary has %zu "
                          "lines, not %zu%s", lines, V,
                          V < 2 ? " (and needs at least <pad> and <unk>)" : "");
    recur_status s = utf8_check((const unsigned char *)text, n,
                                      "the token vocabulary");
    if (s)
        return s;
    char *copy = malloc(n + 1);
    const char **token = malloc(V * sizeof *token);
    if (!copy || !token)
        s = error_fail(RECUR_ERR_MEMORY, "out of memory for a vocabulary");
    char *p = copy;
    if (!s)
        memcpy(copy, text, n + 1);
    for (size_t i = 0; !s && i < V; i++) {
        const char *why = NULL;
        token[i] = p;
        if (!unescape(&p, &why))
            ;
        else if (!*token[i])
            why = "is empty";
        else if (i < 2 && strcmp(token[i], i ? RECUR_UNKNOWN : RECUR_PAD))
            why = i ? "is not <unk>" : "is not <pad>";
        if (why)
            s = error_fail(RECUR_ERR_FORMAT, "token %zu of the vocabulary %s",
                           i, why);
    }
    if (!s)
        s = vocab_new(token, V, out);
    free(token);
    free(copy);
    return s;
}
