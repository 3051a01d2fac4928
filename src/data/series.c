/*
 * series.c — a numeric series from CSV columns, its chronological split
 * and normalisation (series.h). Windows, baselines, metrics and the
 * forecast CSV are in series_window.c.
 */
#include "data/series.h"
#include "data/dates.h"
#include "base/error.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

recur_status series_missing_parse(const char *name, series_missing *out)
{
    static const char *const names[] = {"error", "ffill", "interp", "drop"};
    for (size_t i = 0; name && out && i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i])) {
            *out = (series_missing)i;
            return RECUR_OK;
        }
    return error_fail(RECUR_ERR_ARGUMENT,
                      "unknown missing-value policy \"%s\" (error, ffill, "
                      "interp or drop)", name ? name : "(null)");
}

void series_free(series_data *s)
{
    if (!s)
        return;
    free(s->block);
    memset(s, 0, sizeof *s);
}

enum { NUMBER, MISSING, BAD };

/* field as a finite decimal number in *v, or MISSING, or BAD. */
static int parse_number(const char *field, double *v)
{
    while (*field == ' ' || *field == '\t')
        field++;
    size_t len = strlen(field);
    while (len > 0 && (field[len - 1] == ' ' || field[len - 1] == '\t'))
        len--;
    static const char *const missing[] = {"", "NA", "NaN", "?"};
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++)
        if (strlen(missing[i]) == len && !memcmp(field, missing[i], len))
            return MISSING;
    /* strtod alone would take "inf", "nan", hex and leading spaces. */
    int digit = 0;
    for (size_t i = 0; i < len; i++) {
        char c = field[i];
        digit |= c >= '0' && c <= '9';
        if (!((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' ||
              c == 'e' || c == 'E'))
            return BAD;
    }
    if (!digit)
        return BAD;
    char *end;
    double x = strtod(field, &end); /* an overflow gives HUGE_VAL */
    if (end != field + len || !isfinite(x))
        return BAD;
    *v = x;
    return NUMBER;
}

/* Fills the NaN gaps of column c (stride `columns`, n steps) by policy.
 * 0 when the column has no value at all. */
static int fill_gaps(double *v, size_t n, size_t columns, size_t c,
                     series_missing policy)
{
    size_t first = SIZE_MAX;
    for (size_t t = 0; t < n && first == SIZE_MAX; t++)
        if (!isnan(v[t * columns + c]))
            first = t;
    if (first == SIZE_MAX)
        return 0;
    for (size_t t = 0; t < first; t++)
        v[t * columns + c] = v[first * columns + c];
    size_t last = first; /* the latest step with a value */
    for (size_t t = first + 1; t < n; t++) {
        if (isnan(v[t * columns + c]))
            continue;
        if (t > last + 1) {
            double a = v[last * columns + c], b = v[t * columns + c];
            for (size_t g = last + 1; g < t; g++)
                v[g * columns + c] =
                    policy == SERIES_MISSING_INTERP
                        ? a + (b - a) * (double)(g - last) / (double)(t - last)
                        : a;
        }
        last = t;
    }
    for (size_t t = last + 1; t < n; t++)
        v[t * columns + c] = v[last * columns + c];
    return 1;
}

#define TWO_PI 6.283185307179586476925286766559

/* The angle of a date "YYYY-MM" (month of year) or "YYYY-MM-DD" (day of
 * year) in its year's cycle, in [0, 2 pi); -1 when it is neither. */
static double year_angle(const char *text)
{
    date_ymd d, jan1;
    if (date_parse(text, &d))
        return -1;
    if (!d.day)
        return TWO_PI * (d.month - 1) / 12;
    jan1 = (date_ymd){d.year, 1, 1};
    long doy = date_day_number(&d) - date_day_number(&jan1);
    return TWO_PI * (double)doy / (365 + date_leap(d.year));
}

/* Columns c, c + 1 of v[rows, columns]: sine and cosine of each row's
 * date in its year. */
static recur_status calendar_columns(const csv_table *t, size_t date_col,
                                     size_t columns, size_t c, double *v)
{
    for (size_t r = 0; r < t->rows; r++) {
        const char *d = csv_cell(t, r, date_col);
        double a = year_angle(d);
        if (a < 0)
            return error_fail(RECUR_ERR_FORMAT,
                              "%s: line %zu: column \"%s\": \"%.40s\" is not a "
                              "date YYYY-MM or YYYY-MM-DD",
                              t->name, csv_line(t, r),
                              csv_header(t, date_col), d);
        v[r * columns + c] = sin(a);
        v[r * columns + c + 1] = cos(a);
    }
    return RECUR_OK;
}

/* The selected columns' indices: sel[0] the target, then the features. */
static recur_status select_columns(const csv_table *t,
                                   const series_spec *spec, size_t *sel,
                                   size_t *date_col)
{
    recur_status s;
    if (spec->target) {
        if ((s = csv_column(t, spec->target, &sel[0])))
            return s;
    } else {
        sel[0] = t->cols - 1;
    }
    for (size_t f = 0; f < spec->n_features; f++) {
        if (!spec->features[f])
            return error_fail(RECUR_ERR_ARGUMENT,
                              "feature column %zu is not named (NULL)", f);
        if ((s = csv_column(t, spec->features[f], &sel[1 + f])))
            return s;
    }
    *date_col = SIZE_MAX;
    if (spec->date && (s = csv_column(t, spec->date, date_col)))
        return s;
    for (size_t a = 0; a <= spec->n_features; a++) {
        for (size_t b = 0; b < a; b++)
            if (sel[a] == sel[b])
                return error_fail(RECUR_ERR_ARGUMENT,
                                  "%s: column \"%s\" is selected twice", t->name,
                                  csv_header(t, sel[a]));
        if (sel[a] == *date_col)
            return error_fail(RECUR_ERR_ARGUMENT,
                              "%s: column \"%s\" cannot be both the date and a "
                              "value", t->name, csv_header(t, sel[a]));
    }
    return RECUR_OK;
}

/* Parses the `picked` selected columns into the first columns of
 * v[rows, columns], NaN for missing values, refusing them under
 * SERIES_MISSING_ERROR. */
static recur_status parse_rows(const csv_table *t, const size_t *sel,
                               size_t picked, size_t columns,
                               series_missing policy, double *v)
{
    for (size_t r = 0; r < t->rows; r++)
        for (size_t c = 0; c < picked; c++) {
            const char *field = csv_cell(t, r, sel[c]);
            double *x = &v[r * columns + c];
            int kind = parse_number(field, x);
            if (kind == BAD)
                return error_fail(RECUR_ERR_FORMAT,
                                  "%s: line %zu: column \"%s\": \"%.40s\" is not "
                                  "a finite decimal number (a missing value is "
                                  "written as an empty field, NA, NaN or ?)",
                                  t->name, csv_line(t, r),
                                  csv_header(t, sel[c]), field);
            if (kind == MISSING && policy == SERIES_MISSING_ERROR)
                return error_fail(RECUR_ERR_FORMAT,
                                  "%s: line %zu: column \"%s\" has a missing "
                                  "value (\"%s\") and the missing-value policy "
                                  "is to refuse them",
                                  t->name, csv_line(t, r),
                                  csv_header(t, sel[c]), field);
            if (kind == MISSING)
                *x = NAN;
        }
    return RECUR_OK;
}

/* Byte count of what the series copies: names, then dates of kept rows. */
static int text_bytes(const csv_table *t, const size_t *sel, size_t picked,
                      size_t date_col, const unsigned char *keep, size_t *out)
{
    size_t bytes = 0;
    for (size_t c = 0; c < picked; c++)
        if (!size_add_ok(bytes, strlen(csv_header(t, sel[c])) + 1, &bytes))
            return 0;
    for (size_t r = 0; date_col != SIZE_MAX && r < t->rows; r++)
        if (keep[r] &&
            !size_add_ok(bytes, strlen(csv_cell(t, r, date_col)) + 1,
                          &bytes))
            return 0;
    *out = bytes;
    return 1;
}

static char *copy_text(char **at, const char *s)
{
    size_t k = strlen(s) + 1;
    char *p = memcpy(*at, s, k);
    *at += k;
    return p;
}

/* The series' block: values, lines, date and name pointers, then text. */
static recur_status build(const csv_table *t, const size_t *sel, size_t picked,
                          size_t columns, size_t date_col, const double *v,
                          const unsigned char *keep, size_t n, series_data *out)
{
    size_t cells, value_bytes, line_bytes, date_bytes, name_bytes, text, total;
    if (!size_mul_ok(n, columns, &cells) ||
        !size_mul_ok(cells, sizeof(double), &value_bytes) ||
        !size_mul_ok(n, sizeof(size_t), &line_bytes) ||
        !size_mul_ok(date_col != SIZE_MAX ? n : 0, sizeof(char *), &date_bytes) ||
        !size_mul_ok(columns, sizeof(char *), &name_bytes) ||
        !text_bytes(t, sel, picked, date_col, keep, &text) ||
        !size_add_ok(value_bytes, line_bytes, &total) ||
        !size_add_ok(total, date_bytes, &total) ||
        !size_add_ok(total, name_bytes, &total) ||
        !size_add_ok(total, text, &total))
        return error_fail(RECUR_ERR_MEMORY, "%s: too large a series", t->name);
    unsigned char *block = malloc(total);
    if (!block)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the series of %s",
                          t->name);
    series_data s = {
        .n = n,
        .columns = columns,
        .value = (double *)(void *)block,
        .line = (size_t *)(void *)(block + value_bytes),
        .date = date_col != SIZE_MAX
                    ? (const char **)(void *)(block + value_bytes + line_bytes)
                    : NULL,
        .name = (const char **)(void *)(block + value_bytes + line_bytes +
                                        date_bytes),
        .block = block};
    char *at = (char *)block + value_bytes + line_bytes + date_bytes + name_bytes;
    for (size_t c = 0; c < picked; c++)
        s.name[c] = copy_text(&at, csv_header(t, sel[c]));
    if (columns > picked) {
        s.name[picked] = "year_sin";
        s.name[picked + 1] = "year_cos";
    }
    size_t k = 0;
    for (size_t r = 0; r < t->rows; r++) {
        if (!keep[r])
            continue;
        memcpy(&s.value[k * columns], &v[r * columns], columns * sizeof(double));
        s.line[k] = csv_line(t, r);
        if (s.date)
            s.date[k] = copy_text(&at, csv_cell(t, r, date_col));
        k++;
    }
    *out = s;
    return RECUR_OK;
}

recur_status series_from_csv(const csv_table *t,
                                   const series_spec *spec,
                                   series_data *out)
{
    if (!t || !spec || !out || (spec->n_features && !spec->features))
        return error_fail(RECUR_ERR_ARGUMENT, "no CSV table or columns to read "
                          "a series from (NULL)");
    if ((unsigned)spec->missing > SERIES_MISSING_DROP)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "%d is not a missing-value policy",
                          (int)spec->missing);
    if (spec->n_features >= t->cols)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "%s: %zu feature columns and a target, but the file "
                          "has %zu columns", t->name, spec->n_features, t->cols);
    if (t->rows == 0)
        return error_fail(RECUR_ERR_FORMAT, "%s has a header but no data rows",
                          t->name);
    if (spec->calendar && !spec->date)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "%s: calendar features need the date column", t->name);
    size_t picked = spec->n_features + 1, cells, date_col;
    size_t columns = picked + (spec->calendar ? 2 : 0);
    size_t *sel = malloc(picked * sizeof *sel);
    double *v = size_mul_ok(t->rows, columns, &cells) &&
                        cells <= SIZE_MAX / sizeof(double)
                    ? malloc(cells * sizeof(double))
                    : NULL;
    unsigned char *keep = malloc(t->rows);
    recur_status s = RECUR_OK;
    if (!sel || !v || !keep)
        s = error_fail(RECUR_ERR_MEMORY, "out of memory for the series of %s",
                       t->name);
    if (!s)
        s = select_columns(t, spec, sel, &date_col);
    if (!s)
        s = parse_rows(t, sel, picked, columns, spec->missing, v);
    if (!s && spec->calendar)
        s = calendar_columns(t, date_col, columns, picked, v);
    size_t n = 0;
    for (size_t r = 0; !s && r < t->rows; r++) {
        keep[r] = 1;
        for (size_t c = 0; spec->missing == SERIES_MISSING_DROP && c < columns; c++)
            keep[r] &= !isnan(v[r * columns + c]);
        n += keep[r];
    }
    if (!s && n == 0)
        s = error_fail(RECUR_ERR_FORMAT,
                       "%s: no rows left after dropping those with missing "
                       "values", t->name);
    for (size_t c = 0; !s && c < picked; c++)
        if (!fill_gaps(v, t->rows, columns, c, spec->missing))
            s = error_fail(RECUR_ERR_FORMAT, "%s: column \"%s\" has no values",
                           t->name, csv_header(t, sel[c]));
    if (!s)
        s = build(t, sel, picked, columns, date_col, v, keep, n, out);
    free(sel);
    free(v);
    free(keep);
    return s;
}

recur_status series_read(const char *path, const series_spec *spec,
                               series_data *out)
{
    csv_table t;
    recur_status s = csv_read(path, &t);
    if (s)
        return s;
    s = series_from_csv(&t, spec, out);
    csv_free(&t);
    return s;
}

/* ---- split ---------------------------------------------------------------- */

static recur_status part_size(size_t n, size_t count, double fraction,
                              const char *part, size_t *out)
{
    if (count) {
        *out = count;
        return RECUR_OK;
    }
    if (!(fraction >= 0 && fraction < 1))
        return error_fail(RECUR_ERR_ARGUMENT,
                          "the %s fraction %g is not in [0, 1)", part, fraction);
    *out = (size_t)floor(fraction * (double)n + 0.5);
    return RECUR_OK;
}

recur_status series_split(size_t n, const split_spec *spec,
                                split_sets *out)
{
    if (!spec || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no split of the series to make (NULL)");
    size_t test = 0, valid = 0, held;
    recur_status s = part_size(n, spec->test, spec->test_fraction, "test", &test);
    if (!s)
        s = part_size(n, spec->valid, spec->valid_fraction, "validation", &valid);
    if (s)
        return s;
    if (!size_add_ok(test, valid, &held) || held >= n)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "a split of %zu steps into %zu validation and %zu test "
                          "leaves none for training", n, valid, test);
    *out = (split_sets){.train = n - held, .valid = valid, .test = test};
    return RECUR_OK;
}

/* ---- normalisation ---------------------------------------------------- */

void series_norm_free(series_norm *z)
{
    if (!z)
        return;
    free(z->mean);
    memset(z, 0, sizeof *z);
}

recur_status series_norm_fit(const series_data *s, size_t start, size_t end,
                            series_norm *out)
{
    if (!s || !out || !s->value)
        return error_fail(RECUR_ERR_ARGUMENT, "no series to normalise (NULL)");
    if (start >= end || end > s->n)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "steps [%zu, %zu) to normalise over are not "
                          "in a series of %zu",
                          start, end, s->n);
    const size_t count = end - start;
    double *mean = malloc(2 * s->columns * sizeof(double));
    if (!mean)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for a normalisation");
    double *std = mean + s->columns;
    for (size_t c = 0; c < s->columns; c++) {
        /* Two passes: the mean, then squared deviations from it. */
        double sum = 0, dev = 0;
        for (size_t t = start; t < end; t++)
            sum += s->value[t * s->columns + c];
        mean[c] = sum / (double)count;
        for (size_t t = start; t < end; t++) {
            double d = s->value[t * s->columns + c] - mean[c];
            dev += d * d;
        }
        std[c] = sqrt(dev / (double)count);
        if (!isfinite(mean[c]) || !isfinite(std[c])) {
            free(mean);
            return error_fail(RECUR_ERR_FORMAT,
                              "column \"%s\": values too large to normalise",
                              s->name ? s->name[c] : "?");
        }
        if (std[c] == 0 || std[c] < 1e-10 * fabs(mean[c]))
            std[c] = 1;
    }
    *out = (series_norm){.columns = s->columns, .mean = mean, .std = std};
    return RECUR_OK;
}
