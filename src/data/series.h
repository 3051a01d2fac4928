/*
 * series.h — the data side of forecasting (`recur train --task forecast`):
 * a numeric series from CSV columns, a chronological split, z-score
 * normalisation fitted on the training part, windows of it as a seq_data,
 * the naive and seasonal-naive baselines, error metrics and the forecast
 * CSV (internal API).
 *
 * Steps are indexed 0..n-1 in file order (after SERIES_MISSING_DROP, the
 * kept rows). Column 0 of a series is the target; columns 1.. are the
 * feature columns. A window with look-back L and horizon h whose first
 * target is step t reads steps t-L..t-1 (every column, normalised) and
 * predicts the target at steps t..t+h-1.
 *
 * A part [start, end) of the series (train, validation or test) holds the
 * windows whose targets lie wholly inside it; their inputs may reach back
 * into the parts before (the first test windows look at the last training
 * and validation steps). That is the standard protocol: the forecaster
 * knows the history up to each origin and is scored on unseen targets.
 * The normalisation is fitted on the training part only, so nothing about
 * the validation or test values leaks into the inputs' scaling.
 *
 * Thread safety: no shared state.
 */
#ifndef RECUR_SERIES_H
#define RECUR_SERIES_H

#include "io/csv.h"
#include "recur.h"
#include "data/seqdata.h"

#include <stddef.h>
#include <stdio.h>

/* What to do with a missing value: an empty field, "NA", "NaN" or "?"
 * (spaces around it ignored; case matters, so "nan" is a bad number). */
typedef enum {
    SERIES_MISSING_ERROR = 0, /* refuse, naming the file, line and column */
    SERIES_MISSING_FFILL,     /* the column's previous value; a leading gap
                                 takes the first value */
    SERIES_MISSING_INTERP,    /* linear in the step index between the values
                                 around the gap; a leading gap takes the first
                                 value, a trailing one the last */
    SERIES_MISSING_DROP       /* drop the row (if any selected column misses) */
} series_missing;

/* "error", "ffill", "interp" or "drop"; RECUR_ERR_ARGUMENT otherwise. */
recur_status series_missing_parse(const char *name, series_missing *out);

/* Which columns, each a header name or a 1-based index (csv_column). */
typedef struct {
    const char *target;           /* NULL: the last column */
    const char *const *features;  /* [n_features] extra inputs, or NULL */
    size_t n_features;
    const char *date;             /* kept as text labels for the output, or
                                     NULL; otherwise a date column is ignored */
    series_missing missing;
    int calendar;                 /* non-zero: two more input columns,
                                     "year_sin" and "year_cos", the sine and
                                     cosine of 2 pi (month - 1) / 12 for a
                                     date "YYYY-MM", of 2 pi (day of year - 1)
                                     / (365 or 366) for "YYYY-MM-DD"; needs
                                     date */
} series_spec;

typedef struct {
    size_t n;            /* steps */
    size_t columns;      /* 1 + n_features (+ 2 with calendar); column 0 is
                            the target, the calendar columns come last */
    double *value;       /* [n, columns], original units, all finite */
    size_t *line;        /* [n] the file line of each step */
    const char **date;   /* [n] the date column's text, or NULL */
    const char **name;   /* [columns] the header names (then "year_sin",
                            "year_cos") */
    void *block;         /* the one allocation behind all of the above */
} series_data;

/* The columns of t that spec selects, numbers parsed strictly: the whole
 * field (spaces around it trimmed) must be a decimal number (digits, sign,
 * point, exponent) that strtod reads completely and that is finite, so
 * "1e999", "inf", "nan" and "0x10" are refused. Missing values follow
 * spec->missing. Errors: RECUR_ERR_ARGUMENT for an unknown or repeated
 * column or calendar without date; RECUR_ERR_FORMAT naming file, line and
 * column for a bad number or date, a missing value under
 * SERIES_MISSING_ERROR, a column without any value,
 * a table without data rows or no rows left after dropping;
 * RECUR_ERR_MEMORY. The series copies what it keeps (t may be freed). The
 * caller owns *out (series_free); untouched on failure. */
recur_status series_from_csv(const csv_table *t,
                                   const series_spec *spec,
                                   series_data *out);
/* csv_read, then series_from_csv. */
recur_status series_read(const char *path, const series_spec *spec,
                               series_data *out);
void series_free(series_data *s);

/* ---- chronological split ---------------------------------------------- */

/* The last `test` steps are the test part, the `valid` steps before them
 * the validation part, the rest training. A count of 0 means: use the
 * fraction of n instead, rounded to nearest (a fraction of 0: no such
 * part). Airline convention: test = 24 (months). */
typedef struct {
    size_t test, valid;
    double test_fraction, valid_fraction; /* in [0, 1) */
} split_spec;

#define RECUR_SPLIT_DEFAULT                                                    \
    ((split_spec){.test = 0, .valid = 0, .test_fraction = 0.2,                 \
                  .valid_fraction = 0.1})

/* Steps [0, train) train, [train, train + valid) validation,
 * [train + valid, n) test. */
typedef struct {
    size_t train, valid, test;
} split_sets;

/* RECUR_ERR_ARGUMENT when a fraction is outside [0, 1) or nothing is left
 * for training. */
recur_status series_split(size_t n, const split_spec *spec,
                                split_sets *out);

/* ---- normalisation ------------------------------------------------------ */

/* Per column z-score: (v - mean) / std, the population standard deviation
 * (divide by n, as scikit-learn's StandardScaler); a std of 0, or below
 * 1e-10 |mean| (a constant column up to rounding), counts as 1. mean and
 * std share one allocation. */
typedef struct {
    size_t columns;
    double *mean, *std;
} series_norm;

/* Fits on steps [start, end) of s (the training part; start > 0 skips
 * steps a transform left undefined). RECUR_ERR_ARGUMENT when the range is
 * empty or reaches past s->n; RECUR_ERR_FORMAT when a column's values are
 * too large for their spread to be finite. */
recur_status series_norm_fit(const series_data *s, size_t start, size_t end,
                            series_norm *out);
void series_norm_free(series_norm *z);

static inline double series_norm_apply(const series_norm *z, size_t col, double v)
{
    return (v - z->mean[col]) / z->std[col];
}

static inline double series_norm_invert(const series_norm *z, size_t col, double v)
{
    return v * z->std[col] + z->mean[col];
}

/* ---- windows ------------------------------------------------------------ */

/* The windows of a part: window i (i < count) has its first target at
 * step first + i, targets first+i .. first+i+horizon-1, inputs the
 * lookback steps before first + i. */
typedef struct {
    size_t first, count, lookback, horizon;
} window_set;

/* Every window of [start, end) (stride 1): first = max(start, lookback),
 * the last one ends at end. `part` names the part in messages ("test").
 * RECUR_ERR_ARGUMENT for lookback or horizon 0 or start > end; also when
 * the part holds no window, saying how many steps it would need. */
recur_status window_plan(const char *part, size_t start, size_t end,
                                size_t lookback, size_t horizon,
                                window_set *out);

/* The windows as examples: features = s->columns (the target's own
 * history first), each example lookback steps, y = the horizon targets
 * (outputs = horizon, per_step 0), all normalised with z (NULL: original
 * units). RECUR_ERR_ARGUMENT when w reaches past s->n or z's column count
 * differs; RECUR_ERR_FORMAT when a value does not fit a float;
 * RECUR_ERR_MEMORY. The caller owns *out (seq_data_free); untouched on
 * failure. */
recur_status series_windows(const series_data *s, const series_norm *z,
                                  const window_set *w, seq_data *out);

/* The targets of w in original units: out[i * horizon + k] is the target
 * at step first + i + k. out holds count * horizon values. */
recur_status series_truth(const series_data *s, const window_set *w,
                                double *out);
/* Naive: the last observed target (step first + i - 1) for every k. */
recur_status series_naive(const series_data *s, const window_set *w,
                                double *out);
/* Seasonal naive with period m (12 monthly, 365 daily...): the target one
 * season before, from the last season observed at the origin, so that
 * step t + k gets the value at t + k - m (floor(k / m) + 1) (Hyndman &
 * Athanasopoulos, FPP 5.2), whatever the look-back: it reads the series'
 * history. RECUR_ERR_ARGUMENT when m is 0 or the first window has fewer
 * than m steps of history before its first target. */
recur_status series_seasonal_naive(const series_data *s,
                                         const window_set *w, size_t m,
                                         double *out);

/* ---- metrics -------------------------------------------------------------- */

/* Over n (actual A, forecast F) pairs, all horizon values alike:
 *   rmse  = sqrt(mean (F - A)^2)      mae = mean |F - A|
 *   mape  = 100 mean |F - A| / |A| over the pairs with A != 0, which it
 *           skips (mape_skipped of them; NaN when every A is 0)
 *   smape = mean 200 |F - A| / (|A| + |F|), a term being 0 when A = F = 0
 *           (so 0..200). A NaN forecast makes every metric NaN; an infinite one
 *           makes RMSE, MAE and MAPE infinite and sMAPE NaN. */
typedef struct {
    size_t count, mape_skipped;
    double rmse, mae, mape, smape;
} forecast_metrics;

/* RECUR_ERR_ARGUMENT for NULL or n = 0. */
recur_status forecast_metrics_compute(const double *actual,
                                            const double *forecast, size_t n,
                                            forecast_metrics *out);

/* ---- the forecast CSV -------------------------------------------------- */

/* Writes the windows' forecasts to f, one row per target value:
 *   index,date,actual,forecast,naive,seasonal_naive
 * index is the target's step (0-based), date its date text (the column
 * only when s has dates, quoted as RFC 4180 needs), then the original-unit
 * values (%.10g). When horizon > 1 a column `step` (1..horizon) follows
 * index (or date): each target then appears once per window that predicts
 * it. forecast, naive and seasonal hold count * horizon values as
 * series_truth's; naive or seasonal NULL leaves its column out.
 * `what` names f in messages. RECUR_ERR_IO when a write fails. */
recur_status forecast_csv_write(FILE *f, const char *what,
                                      const series_data *s,
                                      const window_set *w,
                                      const double *forecast,
                                      const double *naive,
                                      const double *seasonal);

#endif
