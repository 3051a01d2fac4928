/*
 * tagged.c — reading sentences of tagged tokens (CoNLL-U, two columns,
 * plain; tagged.h) and writing tags back into a CoNLL-U text. The
 * vocabularies and the encoding as ids are tag_encode.c's.
 *
 * The whole input is one buffer (gz_read's or gz_inflate's) checked once for
 * UTF-8 and NUL bytes; the forms and tags are NUL-terminated in place and
 * point into it. Arrays grow by doubling: a sentence's tokens are only
 * known when it is read.
 */
#include "data/tagged.h"
#include "base/error.h"
#include "data/gz.h"
#include "data/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tagged_free(tagged_set *s)
{
    if (!s)
        return;
    free(s->offset);
    free(s->form);
    free(s->tag);
    free(s->line);
    free(s->path);
    free(s->buf);
    memset(s, 0, sizeof *s);
}

__attribute__((format(printf, 3, 4)))
static recur_status bad_line(const char *name, size_t line, const char *fmt,
                             ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return error_fail(RECUR_ERR_FORMAT, "%s: line %zu: %s", name, line, why);
}

/* ------------------------------------------------------------------------ */
/* Lines and columns                                                         */

/* The lines of text[0..size), a leading byte-order mark skipped. */
typedef struct {
    const char *text;
    size_t size, pos;
    size_t number; /* 1-based, of the line last returned */
} lines;

static lines lines_of(const char *text, size_t size)
{
    int bom = size >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3);
    return (lines){.text = text, .size = size, .pos = bom ? 3 : 0};
}

/* The next line, [*start, *start + *len) without its "\n" or "\r\n"; 0 at
 * the end. A last line without '\n' counts; an empty tail after a final
 * '\n' does not. */
static int next_line(lines *it, const char **start, size_t *len)
{
    if (it->pos >= it->size)
        return 0;
    const char *s = it->text + it->pos;
    const char *nl = memchr(s, '\n', it->size - it->pos);
    size_t n = nl ? (size_t)(nl - s) : it->size - it->pos;
    it->pos += n + (nl != NULL);
    it->number++;
    if (n > 0 && s[n - 1] == '\r')
        n--;
    *start = s;
    *len = n;
    return 1;
}

/* Cuts line[0..len) at TABs: the first max fields' starts and lengths in
 * field[], flen[]. Returns the number of fields (all of them, even beyond
 * max). */
static size_t split_tabs(const char *line, size_t len, const char **field,
                         size_t *flen, size_t max)
{
    size_t count = 0;
    const char *p = line, *end = line + len;
    for (;;) {
        const char *tab = memchr(p, '\t', (size_t)(end - p));
        const char *stop = tab ? tab : end;
        if (count < max) {
            field[count] = p;
            flen[count] = (size_t)(stop - p);
        }
        count++;
        if (!tab)
            return count;
        p = tab + 1;
    }
}

/* ------------------------------------------------------------------------ */
/* CoNLL-U word lines                                                        */

enum { CONLLU_COLUMNS = 10, CONLLU_FORM = 1, CONLLU_UPOS = 3, CONLLU_XPOS = 4 };

typedef enum { ID_WORD, ID_RANGE, ID_EMPTY_NODE } id_kind;

/* The decimal number s[0..len) (digits only, at most 9) in *v; 0 when it
 * is not one. */
static int number(const char *s, size_t len, size_t *v)
{
    if (len == 0 || len > 9)
        return 0;
    size_t x = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        x = x * 10 + (size_t)(s[i] - '0');
    }
    *v = x;
    return 1;
}

/* A CoNLL-U line that is neither blank nor a comment, cut into its ten
 * columns (f, fl), and its ID: a word "a", a range "a-b" or an empty node
 * "a.b". A wrong column count or an ID of another form is
 * RECUR_ERR_FORMAT naming the line. */
static recur_status conllu_line(const char *name, size_t number_of_line,
                                const char *line, size_t len, const char **f,
                                size_t *fl, id_kind *kind, size_t *a, size_t *b)
{
    size_t n = split_tabs(line, len, f, fl, CONLLU_COLUMNS);
    if (n != CONLLU_COLUMNS)
        return bad_line(name, number_of_line, "%zu column%s (CoNLL-U has 10, "
                        "TAB-separated)", n, n == 1 ? "" : "s");
    const char *id = f[0];
    size_t idlen = fl[0];
    const char *sep = id;
    while (sep < id + idlen && *sep != '-' && *sep != '.')
        sep++;
    size_t head = (size_t)(sep - id);
    if (sep == id + idlen && number(id, idlen, a)) {
        *kind = ID_WORD;
        return RECUR_OK;
    }
    if (sep < id + idlen && number(id, head, a) &&
        number(sep + 1, idlen - head - 1, b)) {
        *kind = *sep == '-' ? ID_RANGE : ID_EMPTY_NODE;
        return RECUR_OK;
    }
    return bad_line(name, number_of_line, "id '%.*s' is not a word id (N), a "
                    "range (N-M) or an empty node (N.M)",
                    (int)(idlen > 32 ? 32 : idlen), id);
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                   */

typedef struct {
    tagged_set s;
    size_t cap, cap_sentences; /* room in form/tag/line, in offset */
    int tagged;
    const char *name;
} reader;

/* The array at p (void **) resized to c elements of elem bytes. */
static recur_status resize(void *p, size_t c, size_t elem, const char *name)
{
    void **arr = p;
    size_t bytes;
    void *q = size_mul_ok(c, elem, &bytes) ? realloc(*arr, bytes) : NULL;
    if (!q)
        return error_fail(RECUR_ERR_MEMORY, "%s: out of memory for %zu "
                          "tokens or sentences", name, c);
    *arr = q;
    return RECUR_OK;
}

/* Doubles a capacity (1024 at first). It stays below twice the input's
 * bytes, which are in memory: no overflow. */
static size_t doubled(size_t cap) { return cap ? cap * 2 : 1024; }

/* Appends a token (form[0..flen), tag[0..tlen) or no tag), NUL-terminating
 * both in place: the byte after each is a TAB, a space or a line end. */
static recur_status add_token(reader *r, size_t line, char *form, size_t flen,
                              char *tag, size_t tlen)
{
    tagged_set *s = &r->s;
    if (flen == 0)
        return bad_line(r->name, line, "empty form");
    if (flen > TAGGED_MAX_TOKEN_BYTES)
        return bad_line(r->name, line, "a token of %zu bytes (at most %d)",
                        flen, TAGGED_MAX_TOKEN_BYTES);
    if (tag && tlen == 0)
        return bad_line(r->name, line, "empty tag");
    if (tag && tlen > TAGGED_MAX_TOKEN_BYTES)
        return bad_line(r->name, line, "a tag of %zu bytes (at most %d)",
                        tlen, TAGGED_MAX_TOKEN_BYTES);
    if (s->tokens - s->offset[s->n] >= TAGGED_MAX_SENTENCE)
        return bad_line(r->name, line, "a sentence of more than %d tokens",
                        TAGGED_MAX_SENTENCE);
    if (s->tokens == r->cap) {
        size_t cap = doubled(r->cap);
        recur_status st = resize(&s->form, cap, sizeof *s->form, r->name);
        if (!st && r->tagged)
            st = resize(&s->tag, cap, sizeof *s->tag, r->name);
        if (!st)
            st = resize(&s->line, cap, sizeof *s->line, r->name);
        if (st)
            return st;
        r->cap = cap;
    }
    form[flen] = '\0';
    s->form[s->tokens] = form;
    if (tag) {
        tag[tlen] = '\0';
        s->tag[s->tokens] = tag;
    }
    s->line[s->tokens++] = line;
    return RECUR_OK;
}

/* Closes the sentence being read (tokens offset[n] up to now). */
static recur_status end_sentence(reader *r)
{
    tagged_set *s = &r->s;
    if (s->n + 2 > r->cap_sentences) {
        size_t cap = doubled(r->cap_sentences);
        recur_status st = resize(&s->offset, cap, sizeof *s->offset, r->name);
        if (st)
            return st;
        r->cap_sentences = cap;
    }
    s->offset[++s->n] = s->tokens;
    return RECUR_OK;
}

/* The buffer is the reader's own: a line's bytes may be written. */
static char *own(const char *line) { return (char *)line; }

/* CoNLL-U. A sentence is open from its first line that is not a comment
 * (first) to a blank line or the end; word ids run 1, 2, ... (next is the
 * one expected); a range starts at the next word and ends inside the
 * sentence, an empty node follows the last word read. */
static recur_status read_conllu(reader *r, lines *it, tagged_column column)
{
    size_t col = column == TAGGED_XPOS ? CONLLU_XPOS : CONLLU_UPOS;
    size_t first = 0, next = 1, range_end = 0, range_line = 0;
    const char *line, *f[CONLLU_COLUMNS];
    size_t len, fl[CONLLU_COLUMNS];
    recur_status st = RECUR_OK;
    for (int more = 1; !st && more;) {
        more = next_line(it, &line, &len);
        if (more && len > 0 && line[0] == '#')
            continue;
        if (!more || len == 0) {
            if (!first)
                continue;
            if (next == 1)
                st = bad_line(r->name, first, "a sentence without a token "
                              "(no word line, only ranges or empty nodes)");
            else if (range_end >= next)
                st = bad_line(r->name, range_line, "the range ends at word "
                              "%zu, after the sentence's last word %zu",
                              range_end, next - 1);
            else
                st = end_sentence(r);
            first = 0, next = 1, range_end = 0;
            continue;
        }
        first = first ? first : it->number;
        id_kind kind;
        size_t a, b = 0;
        st = conllu_line(r->name, it->number, line, len, f, fl, &kind, &a, &b);
        if (st)
            break;
        if (kind == ID_WORD && a != next)
            st = bad_line(r->name, it->number, "word id %zu out of order "
                          "(expected %zu)", a, next);
        else if (kind == ID_RANGE && (a != next || b <= a))
            st = bad_line(r->name, it->number, "range %zu-%zu %s", a, b,
                          a != next ? "does not start at the next word id"
                                    : "does not end after its start");
        else if (kind == ID_EMPTY_NODE && (a != next - 1 || b == 0))
            st = bad_line(r->name, it->number, "empty node %zu.%zu out of "
                          "order (after word %zu)", a, b, next - 1);
        else if (kind == ID_RANGE && b > range_end)
            range_end = b, range_line = it->number;
        else if (kind == ID_WORD) {
            st = add_token(r, it->number, own(f[CONLLU_FORM]), fl[CONLLU_FORM],
                           own(f[col]), fl[col]);
            next++;
        }
    }
    return st;
}

/* Two columns: token TAB tag; sentences between blank lines. */
static recur_status read_columns(reader *r, lines *it)
{
    int open = 0;
    const char *line, *f[2];
    size_t len, fl[2];
    recur_status st = RECUR_OK;
    for (int more = 1; !st && more;) {
        more = next_line(it, &line, &len);
        if (!more || len == 0) {
            if (open)
                st = end_sentence(r);
            open = 0;
            continue;
        }
        size_t n = split_tabs(line, len, f, fl, 2);
        if (n != 2)
            st = bad_line(r->name, it->number, "%zu column%s (expected 2: "
                          "token TAB tag)", n, n == 1 ? "" : "s");
        else
            st = add_token(r, it->number, own(f[0]), fl[0], own(f[1]), fl[1]);
        open = 1;
    }
    return st;
}

/* Plain: a sentence per line that is not empty, tokens between runs of
 * spaces and TABs. */
static recur_status read_plain(reader *r, lines *it)
{
    const char *line;
    size_t len;
    recur_status st = RECUR_OK;
    while (!st && next_line(it, &line, &len)) {
        if (len == 0)
            continue;
        size_t before = r->s.tokens;
        for (size_t i = 0; !st && i < len;) {
            size_t j = i;
            while (j < len && line[j] != ' ' && line[j] != '\t')
                j++;
            if (j > i)
                st = add_token(r, it->number, own(line + i), j - i, NULL, 0);
            i = j + 1;
        }
        if (!st && r->s.tokens == before)
            st = bad_line(r->name, it->number, "a sentence without a token "
                          "(only spaces)");
        if (!st)
            st = end_sentence(r);
    }
    return st;
}

/* Parses buf[0..size) (a NUL at buf[size]), which it takes. */
static recur_status parse_owned(char *buf, size_t size, const char *name,
                                tagged_format format, tagged_column column,
                                tagged_set *out)
{
    if (format == TAGGED_AUTO)
        format = tagged_detect(buf, size);
    reader r = {.tagged = format != TAGGED_PLAIN, .name = name};
    r.s.buf = buf;
    r.s.path = strdup(name);
    recur_status st = r.s.path ? RECUR_OK
                               : error_fail(RECUR_ERR_MEMORY, "out of memory");
    if (!st)
        st = text_check((const unsigned char *)buf, size, name);
    if (!st) {
        r.cap_sentences = doubled(0);
        st = resize(&r.s.offset, r.cap_sentences, sizeof *r.s.offset, name);
    }
    if (!st) {
        r.s.offset[0] = 0;
        lines it = lines_of(buf, size);
        st = format == TAGGED_CONLLU    ? read_conllu(&r, &it, column)
             : format == TAGGED_COLUMNS ? read_columns(&r, &it)
                                        : read_plain(&r, &it);
    }
    if (!st && r.s.n == 0)
        st = error_fail(RECUR_ERR_FORMAT, "%s: no sentences", name);
    if (st) {
        tagged_free(&r.s);
        return st;
    }
    *out = r.s;
    return RECUR_OK;
}

static int bad_format(tagged_format format, tagged_column column)
{
    return (format != TAGGED_CONLLU && format != TAGGED_COLUMNS &&
            format != TAGGED_PLAIN && format != TAGGED_AUTO) ||
           (column != TAGGED_UPOS && column != TAGGED_XPOS);
}

/* The arguments' check of tagged_parse and tagged_read: *out zeroed. */
static recur_status check_call(int missing, tagged_format format,
                               tagged_column column, tagged_set *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (missing || !out || bad_format(format, column))
        return error_fail(RECUR_ERR_ARGUMENT, "nothing to read (NULL) or not "
                          "a tagged format (%d, column %d)", (int)format,
                          (int)column);
    return RECUR_OK;
}

recur_status tagged_parse(const char *text, size_t size, const char *name,
                          tagged_format format, tagged_column column,
                          tagged_set *out)
{
    recur_status st = check_call(!text && size, format, column, out);
    if (st)
        return st;
    /* A copy of the text (inflated, when it is gzip in memory). */
    name = name ? name : "text";
    unsigned char *buf;
    st = gz_inflate((const unsigned char *)text, size, name, TAGGED_MAX_BYTES,
                    &buf, &size);
    return st ? st : parse_owned((char *)buf, size, name, format, column, out);
}

recur_status tagged_read(const char *path, tagged_format format,
                         tagged_column column, tagged_set *out)
{
    recur_status st = check_call(!path, format, column, out);
    if (st)
        return st;
    unsigned char *buf;
    size_t size;
    st = gz_read(path, TAGGED_MAX_BYTES, &buf, &size);
    return st ? st : parse_owned((char *)buf, size, path, format, column, out);
}

tagged_format tagged_detect(const char *text, size_t size)
{
    if (!text)
        return TAGGED_COLUMNS;
    lines it = lines_of(text, size);
    const char *line, *f[1];
    size_t len, fl[1];
    while (next_line(&it, &line, &len))
        if (len > 0 && line[0] != '#')
            return split_tabs(line, len, f, fl, 1) == CONLLU_COLUMNS
                       ? TAGGED_CONLLU
                       : TAGGED_COLUMNS;
    return TAGGED_COLUMNS;
}

/* ------------------------------------------------------------------------ */
/* Filling a CoNLL-U text                                                    */

/* One pass over text: counts the word lines (*words) and the bytes of the
 * filled text (*bytes); with dst, writes it there too. Every byte but the
 * replaced columns is copied as it is (a byte-order mark, comments, "\r"). */
static recur_status fill_pass(const char *text, size_t size, const char *name,
                              size_t col, const char *const *tags,
                              size_t count, char *dst, size_t *words,
                              size_t *bytes)
{
    lines it = lines_of(text, size);
    const char *line, *f[CONLLU_COLUMNS];
    size_t len, fl[CONLLU_COLUMNS], copied = 0, k = 0, b = 0;
    while (next_line(&it, &line, &len)) {
        if (len == 0 || line[0] == '#')
            continue;
        id_kind kind;
        size_t a, c;
        recur_status st = conllu_line(name, it.number, line, len, f, fl,
                                      &kind, &a, &c);
        if (st)
            return st;
        if (kind != ID_WORD)
            continue;
        if (k < count) {
            size_t start = (size_t)(f[col] - text), tlen = strlen(tags[k]);
            if (dst) {
                memcpy(dst + b, text + copied, start - copied);
                memcpy(dst + b + start - copied, tags[k], tlen);
            }
            /* b + (start - copied) + tlen <= size + the tags' bytes. */
            if (!size_add_ok(b, start - copied, &b) ||
                !size_add_ok(b, tlen, &b))
                return error_fail(RECUR_ERR_MEMORY, "%s: too large to fill",
                                  name);
            copied = start + fl[col];
        }
        k++;
    }
    if (dst)
        memcpy(dst + b, text + copied, size - copied);
    if (!size_add_ok(b, size - copied, &b))
        return error_fail(RECUR_ERR_MEMORY, "%s: too large to fill", name);
    *words = k;
    *bytes = b;
    return RECUR_OK;
}

recur_status tagged_conllu_fill(const char *text, size_t size, const char *name,
                                tagged_column column, const char *const *tags,
                                size_t count, char **out, size_t *out_size)
{
    if ((!text && size) || (!tags && count) || !out || !out_size ||
        bad_format(TAGGED_CONLLU, column))
        return error_fail(RECUR_ERR_ARGUMENT, "no text, tags or output to "
                          "fill (NULL), or column %d", (int)column);
    name = name ? name : "text";
    for (size_t k = 0; k < count; k++) {
        const unsigned char *t = (const unsigned char *)tags[k];
        int ok = t && *t;
        for (; ok && *t; t++)
            ok = *t >= 0x20 && *t != 0x7F;
        if (!ok)
            return error_fail(RECUR_ERR_ARGUMENT, "tag %zu to fill in is "
                              "NULL, empty or holds a control character", k);
    }
    size_t col = column == TAGGED_XPOS ? CONLLU_XPOS : CONLLU_UPOS;
    size_t words, bytes;
    recur_status st = fill_pass(text ? text : "", size, name, col, tags,
                                count, NULL, &words, &bytes);
    if (st)
        return st;
    if (words != count)
        return error_fail(RECUR_ERR_FORMAT, "%s: %zu word lines, not the %zu "
                          "tags to fill in", name, words, count);
    char *buf = malloc(bytes + 1);
    if (!buf)
        return error_fail(RECUR_ERR_MEMORY, "%s: out of memory to fill", name);
    fill_pass(text ? text : "", size, name, col, tags, count, buf, &words,
              &bytes);
    buf[bytes] = '\0';
    *out = buf;
    *out_size = bytes;
    return RECUR_OK;
}
