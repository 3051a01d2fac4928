/*
 * series_window.c — windows of a series as examples, the naive and
 * seasonal-naive baselines on the same windows, error metrics and the
 * forecast CSV (series.h).
 */
#include "base/error.h"
#include "data/series.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

recur_status window_plan(const char *part, size_t start, size_t end,
                                size_t lookback, size_t horizon,
                                window_set *out)
{
    part = part ? part : "series";
    if (!out)
        return error_fail(RECUR_ERR_ARGUMENT, "no windows to plan (NULL)");
    if (lookback == 0 || horizon == 0 || start > end)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "no windows of look-back %zu and horizon %zu "
                          "in steps [%zu, %zu)", lookback, horizon, start, end);
    size_t first = start > lookback ? start : lookback;
    if (first > end || end - first < horizon)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "the %s part (steps %zu to %zu, %zu of them) holds no "
                          "window: a horizon of %zu after a look-back of %zu "
                          "needs its targets from step %zu on, so it must end "
                          "at step %zu or later",
                          part, start, end, end - start, horizon, lookback,
                          first, first + horizon);
    *out = (window_set){.first = first, .count = end - first - horizon + 1,
                        .lookback = lookback, .horizon = horizon};
    return RECUR_OK;
}

/* w valid for s: non-empty and inside the series; `what` is what is being
 * made of them ("the naive forecasts"). */
static recur_status check(const series_data *s, const window_set *w,
                          const void *buf, const char *what)
{
    if (!s || !w || !buf || !s->value)
        return error_fail(RECUR_ERR_ARGUMENT, "no series, windows or place "
                          "for %s (NULL)", what);
    if (w->count == 0 || w->lookback == 0 || w->horizon == 0 ||
        w->first < w->lookback || w->first > s->n ||
        s->n - w->first < w->count || s->n - w->first - w->count < w->horizon - 1)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "%s: %zu windows from step %zu (look-back %zu, horizon "
                          "%zu) do not fit a series of %zu steps",
                          what, w->count, w->first, w->lookback, w->horizon, s->n);
    return RECUR_OK;
}

recur_status series_windows(const series_data *s, const series_norm *z,
                                  const window_set *w, seq_data *out)
{
    recur_status st = check(s, w, out, "windows");
    if (st)
        return st;
    if (z && z->columns != s->columns)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "a normalisation of %zu columns "
                          "for a series of %zu", z->columns, s->columns);
    size_t C = s->columns, steps, xs, ys;
    if (!size_mul_ok(w->count, w->lookback, &steps) ||
        !size_mul_ok(steps, C, &xs) || xs > SIZE_MAX / sizeof(float) ||
        !size_mul_ok(w->count, w->horizon, &ys) ||
        ys > SIZE_MAX / sizeof(float) || w->count >= SIZE_MAX / sizeof(size_t))
        return error_fail(RECUR_ERR_MEMORY, "too many windows");
    seq_data d = {0};
    d.n = w->count;
    d.features = C;
    d.outputs = w->horizon;
    d.offset = malloc((w->count + 1) * sizeof(size_t));
    d.x = malloc(xs * sizeof(float));
    d.y = malloc(ys * sizeof(float));
    if (!d.offset || !d.x || !d.y) {
        seq_data_free(&d);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for %zu windows",
                          w->count);
    }
    for (size_t i = 0; i <= w->count; i++)
        d.offset[i] = i * w->lookback;
    for (size_t i = 0; i < w->count; i++) {
        size_t t0 = w->first + i;
        for (size_t j = 0; j < w->lookback; j++) {
            const double *v = &s->value[(t0 - w->lookback + j) * C];
            float *x = &d.x[(i * w->lookback + j) * C];
            for (size_t c = 0; c < C; c++)
                x[c] = (float)(z ? series_norm_apply(z, c, v[c]) : v[c]);
        }
        for (size_t k = 0; k < w->horizon; k++) {
            double v = s->value[(t0 + k) * C];
            d.y[i * w->horizon + k] = (float)(z ? series_norm_apply(z, 0, v) : v);
        }
    }
    for (size_t k = 0; k < xs; k++)
        if (!isfinite(d.x[k])) {
            seq_data_free(&d);
            return error_fail(RECUR_ERR_FORMAT,
                              "a value of the windows does not fit a float "
                              "(|v| > %g)", (double)FLT_MAX);
        }
    /* y's values are inputs of later windows or of the part's last ones. */
    for (size_t k = 0; k < ys; k++)
        if (!isfinite(d.y[k])) {
            seq_data_free(&d);
            return error_fail(RECUR_ERR_FORMAT,
                              "a target does not fit a float (|v| > %g)",
                              (double)FLT_MAX);
        }
    *out = d;
    return RECUR_OK;
}

enum { TRUTH, NAIVE, SEASONAL };

/* out[i * horizon + k] for window i, target k: the truth, or a baseline's
 * forecast (m: the season of SEASONAL). */
static recur_status gather(const series_data *s, const window_set *w,
                           int kind, size_t m, double *out, const char *what)
{
    recur_status st = check(s, w, out, what);
    if (st)
        return st;
    if (kind == SEASONAL && (m == 0 || w->first < m))
        return error_fail(RECUR_ERR_ARGUMENT,
                          "seasonal naive with period %zu needs %zu steps before "
                          "the first target, which is step %zu",
                          m, m, w->first);
    for (size_t i = 0; i < w->count; i++)
        for (size_t k = 0; k < w->horizon; k++) {
            size_t t = w->first + i; /* the origin: the first target */
            /* Seasonal: t + k - m (floor(k/m) + 1) >= t - m >= 0, and < t. */
            size_t from = kind == TRUTH ? t + k
                          : kind == NAIVE ? t - 1
                                          : t + k - m * (k / m + 1);
            out[i * w->horizon + k] = s->value[from * s->columns];
        }
    return RECUR_OK;
}

recur_status series_truth(const series_data *s, const window_set *w,
                                double *out)
{
    return gather(s, w, TRUTH, 0, out, "the actual values");
}

recur_status series_naive(const series_data *s, const window_set *w,
                                double *out)
{
    return gather(s, w, NAIVE, 0, out, "the naive forecasts");
}

recur_status series_seasonal_naive(const series_data *s,
                                         const window_set *w, size_t m,
                                         double *out)
{
    return gather(s, w, SEASONAL, m, out, "the seasonal-naive forecasts");
}

recur_status forecast_metrics_compute(const double *actual,
                                            const double *forecast, size_t n,
                                            forecast_metrics *out)
{
    if (!actual || !forecast || !out || n == 0)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "%s",
                          n == 0 ? "no values to score a forecast on"
                                 : "no values or forecasts to score (NULL)");
    double se = 0, ae = 0, ape = 0, sape = 0;
    size_t skipped = 0;
    for (size_t i = 0; i < n; i++) {
        double a = actual[i], f = forecast[i], e = fabs(f - a);
        se += e * e;
        ae += e;
        if (a == 0)
            skipped++;
        else
            ape += e / fabs(a);
        double denom = fabs(a) + fabs(f);
        sape += denom == 0 ? 0 : e / denom;
    }
    *out = (forecast_metrics){
        n, skipped, sqrt(se / (double)n), ae / (double)n,
        skipped == n ? NAN : 100 * ape / (double)(n - skipped),
        200 * sape / (double)n};
    return RECUR_OK;
}

/* One CSV field: quoted (with "" for ") when it holds , " CR or LF. */
static void put_field(FILE *f, const char *text)
{
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, f);
        return;
    }
    fputc('"', f);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

recur_status forecast_csv_write(FILE *f, const char *what,
                                      const series_data *s,
                                      const window_set *w,
                                      const double *forecast,
                                      const double *naive,
                                      const double *seasonal)
{
    recur_status st = check(s, w, forecast, "the forecast CSV");
    if (st)
        return st;
    if (!f)
        return error_fail(RECUR_ERR_ARGUMENT, "no file to write the forecast "
                          "CSV to (NULL)");
    what = what ? what : "the forecast CSV";
    int steps = w->horizon > 1;
    fprintf(f, "index%s%s,actual,forecast%s%s\n", s->date ? ",date" : "",
            steps ? ",step" : "", naive ? ",naive" : "",
            seasonal ? ",seasonal_naive" : "");
    for (size_t i = 0; i < w->count; i++)
        for (size_t k = 0; k < w->horizon; k++) {
            size_t t = w->first + i + k, at = i * w->horizon + k;
            fprintf(f, "%zu", t);
            if (s->date) {
                fputc(',', f);
                put_field(f, s->date[t]);
            }
            if (steps)
                fprintf(f, ",%zu", k + 1);
            fprintf(f, ",%.10g,%.10g", s->value[t * s->columns], forecast[at]);
            if (naive)
                fprintf(f, ",%.10g", naive[at]);
            if (seasonal)
                fprintf(f, ",%.10g", seasonal[at]);
            fputc('\n', f);
        }
    if (fflush(f) != 0 || ferror(f))
        return error_fail(RECUR_ERR_IO, "%s: a write failed", what);
    return RECUR_OK;
}
