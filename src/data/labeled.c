/* labeled.c — labelled text files, their classes, and their encoding as a
 * seq_data (labeled.h). */
#include "data/labeled.h"
#include "base/error.h"
#include "base/file.h"
#include "data/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void labeled_free(labeled_set *d)
{
    if (!d)
        return;
    free(d->text);
    free(d->label_name);
    free(d->label);
    free(d->line);
    free(d->class_name);
    free(d->buf);
    memset(d, 0, sizeof *d);
}

static int is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

/* The records of a file as they are cut: two fields and the line where the
 * record starts. */
typedef struct {
    char *field[2];
    size_t line;
} record;

typedef struct {
    char *buf;
    size_t n, pos, line; /* bytes; where the scan is; its line */
    const char *what;
} scanner;

static recur_status bad_line(const scanner *sc, size_t line, const char *why)
{
    return error_fail(RECUR_ERR_FORMAT, "%s: line %zu: %s", sc->what, line,
                      why);
}

/* TSV: the next line holding anything, as a record; 0 at the end. */
static int tsv_next(scanner *sc, record *r, recur_status *s)
{
    while (sc->pos < sc->n) {
        char *start = sc->buf + sc->pos;
        char *nl = memchr(start, '\n', sc->n - sc->pos);
        char *end = nl ? nl : sc->buf + sc->n;
        size_t line = sc->line++;
        sc->pos = (size_t)(end - sc->buf) + 1;
        if (end > start && end[-1] == '\r')
            end--;
        *end = '\0';
        if (end == start)
            continue;
        char *tab = memchr(start, '\t', (size_t)(end - start));
        char *tab2 = tab ? memchr(tab + 1, '\t', (size_t)(end - tab - 1)) : NULL;
        if (!tab || tab2) {
            *s = bad_line(sc, line, tab ? "more than one TAB (expected one "
                          "between the label and the text)" : "no TAB between "
                          "the label and the text");
            return 0;
        }
        *tab = '\0';
        *r = (record){{start, tab + 1}, line};
        return 1;
    }
    return 0;
}

/* CSV: one field at sc->pos, unquoted in place. Returns the character that
 * ended it (',', '\n' or '\0' at the end of the input), or -1 with *s set. */
static int csv_field(scanner *sc, size_t record_line, char **field,
                     recur_status *s)
{
    char *b = sc->buf;
    size_t i = sc->pos;
    if (b[i] == '"') {
        size_t out = i, open_line = sc->line;
        *field = b + i;
        for (i++;; i++) {
            if (i >= sc->n) {
                char why[96];
                snprintf(why, sizeof why, "a quote opened on line %zu is "
                         "never closed", open_line);
                *s = bad_line(sc, record_line, why);
                return -1;
            }
            if (b[i] == '"' && b[i + 1] == '"') {
                b[out++] = '"';
                i++;
            } else if (b[i] == '"') {
                break;
            } else if (b[i] == '\r' && b[i + 1] == '\n') {
                continue;
            } else {
                sc->line += b[i] == '\n';
                b[out++] = b[i];
            }
        }
        i++; /* the closing quote */
        if (b[i] == '\r' && b[i + 1] == '\n')
            i++;
        int end = b[i];
        if (end != ',' && end != '\n' && end != '\0') {
            *s = bad_line(sc, sc->line, "text after a closing quote (a quote "
                          "inside a quoted field is written \"\")");
            return -1;
        }
        b[out] = '\0';
        sc->pos = i + (i < sc->n);
        return end;
    }
    *field = b + i;
    while (i < sc->n && b[i] != ',' && b[i] != '\n') {
        if (b[i] == '"') {
            *s = bad_line(sc, sc->line, "a quote inside an unquoted field "
                          "(quote the whole field)");
            return -1;
        }
        i++;
    }
    int end = b[i];
    size_t stop = i;
    if (end != ',' && stop > sc->pos && b[stop - 1] == '\r')
        stop--;
    b[stop] = '\0';
    sc->pos = i + (i < sc->n);
    return end;
}

/* CSV: the next record that is not an empty line; 0 at the end. */
static int csv_next(scanner *sc, record *r, recur_status *s)
{
    while (sc->pos < sc->n) {
        size_t line = sc->line, fields = 0;
        int end;
        do {
            char *field;
            end = csv_field(sc, line, &field, s);
            if (end < 0)
                return 0;
            if (fields < 2)
                r->field[fields] = field;
            fields++;
        } while (end == ',');
        if (end == '\n')
            sc->line++;
        if (fields == 1 && !*r->field[0])
            continue;
        if (fields != 2) {
            char why[96];
            snprintf(why, sizeof why, "%zu field%s (expected 2: a label and a "
                     "text)", fields, fields == 1 ? "" : "s");
            *s = bad_line(sc, line, why);
            return 0;
        }
        r->line = line;
        return 1;
    }
    return 0;
}

/* Trims spaces around a label in place. */
static char *trim(char *s)
{
    while (*s == ' ')
        s++;
    size_t k = strlen(s);
    while (k > 0 && s[k - 1] == ' ')
        s[--k] = '\0';
    return s;
}

static recur_status check_record(const scanner *sc, const char *label,
                                 const char *text, size_t line)
{
    if (!*label)
        return bad_line(sc, line, "empty label");
    for (const char *p = label; *p; p++)
        if (is_control((unsigned char)*p))
            return bad_line(sc, line, "the label holds a control character");
    if (!*text)
        return bad_line(sc, line, "empty text");
    return RECUR_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Position of s in sorted[0..K), or -1. */
static int32_t find(const char *const *sorted, size_t K, const char *s)
{
    const char *const *hit = bsearch(&s, sorted, K, sizeof *sorted, cmp_str);
    return hit ? (int32_t)(hit - sorted) : -1;
}

/* The classes of d's n label names: sorted, distinct; the ids. */
static recur_status classify(labeled_set *d)
{
    d->class_name = malloc(d->n * sizeof *d->class_name);
    if (!d->class_name)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for labels");
    memcpy(d->class_name, d->label_name, d->n * sizeof *d->class_name);
    qsort(d->class_name, d->n, sizeof *d->class_name, cmp_str);
    size_t K = 0;
    for (size_t i = 0; i < d->n; i++)
        if (K == 0 || strcmp(d->class_name[K - 1], d->class_name[i]))
            d->class_name[K++] = d->class_name[i];
    d->classes = K;
    for (size_t i = 0; i < d->n; i++)
        d->label[i] = find(d->class_name, K, d->label_name[i]);
    return RECUR_OK;
}

/* Takes ownership of buf (n bytes and a NUL, valid UTF-8, no NUL). */
static recur_status parse(char *buf, size_t n, const char *what,
                          const labeled_format *f, labeled_set *out)
{
    /* At most one record per line. */
    size_t lines = 1;
    for (size_t i = 0; i < n; i++)
        lines += buf[i] == '\n';
    labeled_set d = {0};
    d.buf = buf;
    d.text = malloc(lines * sizeof *d.text);
    d.label_name = malloc(lines * sizeof *d.label_name);
    d.label = malloc(lines * sizeof *d.label);
    d.line = malloc(lines * sizeof *d.line);
    if (!d.text || !d.label_name || !d.label || !d.line) {
        labeled_free(&d);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for %s", what);
    }
    scanner sc = {.buf = buf, .n = n, .pos = 0, .line = 1, .what = what};
    /* A byte-order mark is not part of the first label. */
    if (n >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
        sc.pos = 3;
    int csv = f->layout == RECUR_LABELED_CSV, lc = f->label_column;
    recur_status s = RECUR_OK;
    record r;
    while (csv ? csv_next(&sc, &r, &s) : tsv_next(&sc, &r, &s)) {
        d.label_name[d.n] = trim(r.field[lc]);
        d.text[d.n] = r.field[1 - lc];
        d.line[d.n++] = (uint32_t)r.line;
    }
    /* The header, when there is one or it looks like one. */
    size_t first = 0;
    if (!s && csv && d.n > 0 && f->header != 0) {
        first = f->header == 1;
        for (size_t i = 1; !first && i < d.n; i++)
            if (!strcmp(d.label_name[0], d.label_name[i]))
                break;
            else if (i + 1 == d.n)
                first = 1;
    }
    if (first) {
        d.n--;
        memmove(d.text, d.text + 1, d.n * sizeof *d.text);
        memmove(d.label_name, d.label_name + 1, d.n * sizeof *d.label_name);
        memmove(d.line, d.line + 1, d.n * sizeof *d.line);
    }
    for (size_t i = 0; !s && i < d.n; i++)
        s = check_record(&sc, d.label_name[i], d.text[i], d.line[i]);
    if (!s && d.n == 0)
        s = error_fail(RECUR_ERR_FORMAT, "%s has no examples", what);
    if (!s)
        s = classify(&d);
    if (s) {
        labeled_free(&d);
        return s;
    }
    *out = d;
    return RECUR_OK;
}

recur_status labeled_parse(const unsigned char *bytes, size_t n,
                                 const char *what,
                                 const labeled_format *format,
                                 labeled_set *out)
{
    if ((!bytes && n) || !format || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no labelled text or format to "
                          "read (NULL)");
    if ((format->layout != RECUR_LABELED_TSV &&
         format->layout != RECUR_LABELED_CSV) ||
        (format->label_column != 0 && format->label_column != 1) ||
        format->header < -1 || format->header > 1)
        return error_fail(RECUR_ERR_ARGUMENT, "not a labelled-text format "
                          "(layout %d, label column %d, header %d)",
                          (int)format->layout, format->label_column,
                          format->header);
    what = what ? what : "text";
    if (n == 0)
        return error_fail(RECUR_ERR_FORMAT, "%s has no examples", what);
    recur_status s = text_check(bytes, n, what);
    if (s)
        return s;
    if (n > UINT32_MAX)
        return error_fail(RECUR_ERR_UNSUPPORTED, "%s is larger than 4 GiB",
                          what);
    char *buf = malloc(n + 1);
    if (!buf)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for %s", what);
    memcpy(buf, bytes, n);
    buf[n] = '\0';
    return parse(buf, n, what, format, out);
}

recur_status labeled_read(const char *path,
                                const labeled_format *format,
                                labeled_set *out)
{
    if (!path || !format || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no labelled-text file or format "
                          "to read (NULL)");
    unsigned char *file;
    size_t size;
    recur_status s = file_read(path, RECUR_LABELED_MAX_BYTES, &file,
                                     &size);
    if (s)
        return s;
    s = labeled_parse(file, size, path, format, out);
    free(file);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Class names                                                               */

recur_status labeled_relabel(labeled_set *d, const char *what,
                                   const char *const *names, size_t K)
{
    if (!d || !names || K == 0 || K > (size_t)INT32_MAX)
        return error_fail(RECUR_ERR_ARGUMENT, "%s",
                          K ? "no examples or class names to relabel (NULL)"
                            : "a model without classes");
    for (size_t k = 1; k < K; k++)
        if (strcmp(names[k - 1], names[k]) >= 0)
            return error_fail(RECUR_ERR_ARGUMENT, "the model's "
                              "class names are not strictly ascending");
    for (size_t i = 0; i < d->n; i++)
        if (find(names, K, d->label_name[i]) < 0)
            return error_fail(RECUR_ERR_FORMAT, "%s: line %u: label '%.64s' "
                              "is not one of the model's %zu classes",
                              what ? what : "text", (unsigned)d->line[i],
                              d->label_name[i], K);
    const char **class_name = malloc(K * sizeof *class_name);
    if (!class_name)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for labels");
    memcpy(class_name, names, K * sizeof *class_name);
    for (size_t i = 0; i < d->n; i++)
        d->label[i] = find(names, K, d->label_name[i]);
    free(d->class_name);
    d->class_name = class_name;
    d->classes = K;
    return RECUR_OK;
}

char *labels_join(const char *const *names, size_t K)
{
    if (!names)
        return NULL;
    size_t bytes = 1;
    for (size_t k = 0; k < K; k++)
        if (!size_add_ok(bytes, strlen(names[k]) + 1, &bytes))
            return NULL;
    char *text = malloc(bytes), *p = text;
    for (size_t k = 0; text && k < K; k++) {
        size_t len = strlen(names[k]);
        if (k > 0)
            *p++ = '\n';
        memcpy(p, names[k], len);
        p += len;
    }
    if (text)
        *p = '\0';
    return text;
}

recur_status labels_parse(const char *text, char ***names, size_t *K)
{
    if (!text || !names || !K)
        return error_fail(RECUR_ERR_ARGUMENT, "no class names to read (NULL)");
    size_t n = strlen(text), count = 1, bytes;
    for (size_t i = 0; i < n; i++)
        count += text[i] == '\n';
    recur_status s = n ? utf8_check((const unsigned char *)text, n,
                                          "the class names")
                       : RECUR_OK;
    if (s)
        return s;
    if (!size_mul_ok(count, sizeof(char *), &bytes) ||
        !size_add_ok(bytes, n + 1, &bytes))
        return error_fail(RECUR_ERR_MEMORY, "too many class names");
    char **list = malloc(bytes);
    if (!list)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for class names");
    char *p = (char *)(list + count);
    memcpy(p, text, n + 1);
    for (size_t k = 0; k < count; k++) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        list[k] = p;
        const char *why = !*p ? "is empty"
                          : k > 0 && strcmp(list[k - 1], p) >= 0
                              ? "is out of order or repeated"
                              : NULL;
        for (const char *q = p; *q && !why; q++)
            if (is_control((unsigned char)*q))
                why = "holds a control character";
        if (why) {
            free(list);
            return error_fail(RECUR_ERR_FORMAT, "class name %zu %s", k, why);
        }
        p = nl ? nl + 1 : p + strlen(p);
    }
    *names = list;
    *K = count;
    return RECUR_OK;
}

/* ------------------------------------------------------------------------ */
/* Encoding                                                                  */

recur_status labeled_encode(const labeled_set *d, const size_t *idx,
                                  size_t m, const tokenizer *tk,
                                  const tok_vocab *v, seq_data *out)
{
    if (!d || !tk || !v || !out || m == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "%s",
                          m ? "no examples, tokenizer or vocabulary to encode with (NULL)"
                            : "no examples to encode");
#define EXAMPLE(i) (idx ? idx[i] : (i))
    /* At most one token per byte, and one <unk> for an empty example. */
    size_t cap = 0, bytes;
    for (size_t i = 0; i < m; i++) {
        if (EXAMPLE(i) >= d->n)
            return error_fail(RECUR_ERR_ARGUMENT, "there is no "
                              "example %zu among %zu", EXAMPLE(i), d->n);
        if (!size_add_ok(cap, strlen(d->text[EXAMPLE(i)]) + 1, &cap))
            return error_fail(RECUR_ERR_MEMORY, "too many tokens");
    }
    if (!size_mul_ok(cap, sizeof(int32_t), &bytes) ||
        !size_mul_ok(m + 1, sizeof(size_t), &(size_t){0}))
        return error_fail(RECUR_ERR_MEMORY, "too many tokens");
    seq_data sd = {0};
    sd.offset = malloc((m + 1) * sizeof *sd.offset);
    sd.tokens = malloc(bytes);
    sd.label = malloc(m * sizeof *sd.label);
    token_list t = {0};
    recur_status s = RECUR_OK;
    if (!sd.offset || !sd.tokens || !sd.label)
        s = error_fail(RECUR_ERR_MEMORY, "out of memory for %zu examples", m);
    size_t k = 0;
    for (size_t i = 0; !s && i < m; i++) {
        s = tokenize(tk, d->text[EXAMPLE(i)], &t);
        sd.offset[i] = k;
        for (size_t j = 0; !s && j < t.count; j++)
            sd.tokens[k++] = tok_vocab_find(v, t.token[j]);
        if (!s && t.count == 0)
            sd.tokens[k++] = RECUR_TOKEN_UNK;
        sd.label[i] = d->label[EXAMPLE(i)];
    }
#undef EXAMPLE
    tokens_free(&t);
    if (s) {
        seq_data_free(&sd);
        return s;
    }
    sd.offset[m] = k;
    int32_t *fit = realloc(sd.tokens, k * sizeof *fit);
    if (fit)
        sd.tokens = fit;
    sd.n = m;
    sd.outputs = d->classes;
    *out = sd;
    return RECUR_OK;
}
