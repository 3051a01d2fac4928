/*
 * forecast.c — `recur train|eval|predict --task forecast`: time-series
 * forecasting from a CSV file (series.h). A window of --lookback steps
 * (the target's history and any feature columns, z-scored with the
 * training part's statistics) predicts the next --horizon target values,
 * either all at once (direct: --horizon outputs) or one step at a time,
 * each prediction fed back as the next input (recursive: one output).
 * The split is chronological: training, validation, then the test part;
 * the test windows are scored in original units against the naive and
 * seasonal-naive forecasts of the same targets, at the end of training and
 * by eval (the last part of any file with the same columns).
 *
 * The checkpoint keeps what predicting needs in __metadata__: lookback,
 * horizon, strategy, the columns (target, features, date), the missing-
 * value policy and the normalisation (mean and std per column).
 */
#include "cli.h"
#include "base/error.h"
#include "forecast_plot.h"
#include "io/st_meta.h"
#include "data/series.h"
#include "seqtask.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const seqtask_defaults forecast_defaults = {
    .hidden = "32", .layers = "1", .batch = "32",
    .epochs = "200", .lr = "3e-3", .dropout = "0", .patience = "20",
    .pool = "last", .pools = "last|mean|max", .clip = "1",
};

enum { MAX_FEATURES = 64 };

/* What a forecaster is: stored in the checkpoint, read back by predict. */
typedef struct {
    size_t lookback, horizon, season;
    int recursive;
    int log, difference;          /* target transforms, in this order */
    int calendar;                 /* the date's place in the year as inputs */
    const char *target, *date, *missing;
    const char *features[MAX_FEATURES];
    size_t n_features;
    char feature_text[1024];      /* the comma-separated list, split in place */
    series_norm norm;
} forecaster;

static recur_status split_features(forecaster *f, const char *list)
{
    f->n_features = 0;
    if (!list || !*list)
        return RECUR_OK;
    if (strlen(list) >= sizeof f->feature_text)
        return error_fail(RECUR_ERR_ARGUMENT, "feature list too long");
    strcpy(f->feature_text, list);
    for (char *p = f->feature_text; p;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = 0;
        if (!*p || f->n_features == MAX_FEATURES)
            return error_fail(RECUR_ERR_ARGUMENT, "features '%.60s': an empty "
                              "name or more than %d columns", list, MAX_FEATURES);
        f->features[f->n_features++] = p;
        p = comma ? comma + 1 : NULL;
    }
    return RECUR_OK;
}

/* "v0,v1,..." of n doubles, exactly (%.17g). */
static recur_status put_doubles(st_writer *w, const char *key,
                                const double *v, size_t n)
{
    char *buf = malloc(n * 26 + 1), *p = buf;
    if (!buf)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    *p = 0;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%.17g", i ? "," : "", v[i]);
    recur_status s = st_writer_meta(w, key, buf);
    free(buf);
    return s;
}

static recur_status write_meta(void *ctx, st_writer *w)
{
    const forecaster *f = ctx;
    char features[1024] = "";
    for (size_t i = 0, at = 0; i < f->n_features; i++)
        at += (size_t)snprintf(features + at, sizeof features - at, "%s%s",
                               i ? "," : "", f->features[i]);
    recur_status s = meta_put(w, "lookback", "%zu", f->lookback);
    if (!s) s = meta_put(w, "horizon", "%zu", f->horizon);
    if (!s) s = meta_put(w, "season", "%zu", f->season);
    if (!s) s = st_writer_meta(w, "strategy", f->recursive ? "recursive" : "direct");
    if (!s) s = meta_put(w, "log", "%d", f->log);
    if (!s) s = meta_put(w, "difference", "%d", f->difference);
    if (!s) s = meta_put(w, "calendar", "%d", f->calendar);
    if (!s) s = st_writer_meta(w, "target", f->target);
    if (!s) s = st_writer_meta(w, "features", features);
    if (!s) s = st_writer_meta(w, "date", f->date ? f->date : "");
    if (!s) s = st_writer_meta(w, "missing", f->missing);
    if (!s) s = put_doubles(w, "norm_mean", f->norm.mean, f->norm.columns);
    if (!s) s = put_doubles(w, "norm_std", f->norm.std, f->norm.columns);
    /* For tools/seq_torch.py: the target's scale. */
    if (!s) s = meta_put(w, "target_mean", "%.17g", f->norm.mean[0]);
    if (!s) s = meta_put(w, "target_std", "%.17g", f->norm.std[0]);
    return s;
}

/* What tools/seq_torch.py needs beyond the windows to score a forecast in
 * the data's units: the test targets (test.truth [windows, horizon]) and the
 * value before each window's first target (test.last [windows]), from
 * which a differenced forecast is accumulated. */
typedef struct {
    const forecaster *f;
    const series_data *ser;
    const window_set *test;
    double *buf;                  /* the tensors' data, freed by the caller
                                     after the write (the writer borrows it) */
} export_ctx;

static recur_status write_export(void *ctx, st_writer *w)
{
    const export_ctx *e = ctx;
    const size_t n = e->test->count, h = e->test->horizon;
    double *truth = ((export_ctx *)ctx)->buf = malloc((n * h + n) * sizeof(double));
    if (!truth)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    double *last = truth + n * h;
    for (size_t i = 0; i < n; i++)
        last[i] = e->ser->value[(e->test->first + i - 1) * e->ser->columns];
    size_t shape[2] = {n, h};
    recur_status s = series_truth(e->ser, e->test, truth);
    if (!s) s = write_meta((void *)e->f, w);
    if (!s) s = st_writer_add(w, "test.truth", RECUR_DT_F64, 2, shape, truth);
    if (!s) s = st_writer_add(w, "test.last", RECUR_DT_F64, 1, shape, last);
    return s;
}

/* The forecaster's columns of a CSV file, its missing-value policy applied. */
static recur_status read_series(const forecaster *f, const char *path,
                                series_data *ser)
{
    series_missing missing;
    recur_status s = series_missing_parse(f->missing, &missing);
    series_spec spec = {.target = f->target, .features = f->features,
                              .n_features = f->n_features, .date = f->date,
                              .missing = missing, .calendar = f->calendar};
    return s ? s : series_read(path, &spec, ser);
}

/* The series the model sees: the target (column 0) as its logarithm
 * (--log; every value must be positive) and/or as the change from the step
 * before (--difference; step 0 gets 0 and is never read: the windows start
 * one step later). Features are left as they are. *value is a fresh copy of
 * s->value (caller frees). */
static recur_status transform(const forecaster *f, const series_data *s,
                              const char *path, double **value)
{
    const size_t n = s->n, C = s->columns;
    double *v = malloc(n * C * sizeof(double));
    if (!v)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    memcpy(v, s->value, n * C * sizeof(double));
    for (size_t t = 0; f->log && t < n; t++) {
        if (!(v[t * C] > 0)) {
            free(v);
            return error_fail(RECUR_ERR_FORMAT, "%s: line %zu: %s = %g is not "
                              "positive (--log)", path, s->line[t], s->name[0],
                              s->value[t * C]);
        }
        v[t * C] = log(v[t * C]);
    }
    for (size_t t = n; f->difference && t-- > 1;)
        v[t * C] -= v[(t - 1) * C];
    if (f->difference)
        v[0] = 0;
    *value = v;
    return RECUR_OK;
}

/* Back to the data's units: forecasts out[i * horizon + k] of the windows
 * whose first target is step first + i, made on the transformed scale. A
 * differenced forecast is accumulated from the last observed value. */
static void untransform(const forecaster *f, const series_data *s,
                        size_t first, size_t count, double *out)
{
    const size_t h = f->horizon, C = s->columns;
    for (size_t i = 0; i < count; i++) {
        double level = 0;
        if (f->difference) {
            double last = s->value[(first + i - 1) * C];
            level = f->log ? log(last) : last;
        }
        for (size_t k = 0; k < h; k++) {
            double v = out[i * h + k];
            if (f->difference)
                v = level += v;
            out[i * h + k] = f->log ? exp(v) : v;
        }
    }
}

/* Forecasts for every example of win (normalised inputs, one per window):
 * out[i * horizon + k] in original units. Direct: the model's horizon
 * outputs; recursive: horizon rounds of one step, each prediction shifted
 * into its window as the newest input. */
static recur_status run_forecast(seq_model *m, const seq_data *win,
                                 const forecaster *f, size_t batch, double *out)
{
    const size_t n = win->n, K = seq_model_config(m)->outputs, I = win->features;
    const size_t L = f->lookback, h = f->horizon;
    seq_data d = *win;
    d.outputs = K;
    d.per_step = 0;
    d.label = NULL;
    d.x = malloc(win->offset[n] * I * sizeof(float));
    d.y = calloc(n * K, sizeof(float));
    float *pred = malloc(n * K * sizeof(float));
    recur_status s = RECUR_OK;
    if (!d.x || !d.y || !pred)
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
    else
        memcpy(d.x, win->x, win->offset[n] * I * sizeof(float));
    for (size_t r = 0; !s && r < (f->recursive ? h : 1); r++) {
        double loss;
        if ((s = fit_evaluate(m, &d, batch, &loss, pred)) != RECUR_OK)
            break;
        for (size_t i = 0; i < n; i++) {
            if (!f->recursive) {
                for (size_t k = 0; k < h; k++)
                    out[i * h + k] = series_norm_invert(&f->norm, 0, pred[i * K + k]);
                continue;
            }
            out[i * h + r] = series_norm_invert(&f->norm, 0, pred[i]);
            float *x = d.x + d.offset[i] * I; /* L steps of one value */
            memmove(x, x + 1, (L - 1) * sizeof(float));
            x[L - 1] = pred[i];
        }
    }
    free(d.x);
    free(d.y);
    free(pred);
    return s;
}

static void print_row(const char *name, const forecast_metrics *mt)
{
    printf("  %-16s %10.4f %10.4f %9.3f %9.3f\n", name, mt->rmse, mt->mae,
           mt->mape, mt->smape);
}

/* The test part scored (train's end and eval): the truth, the forecasts
 * and the baselines in the data's units, windows × horizon values each,
 * and their metrics. */
typedef struct {
    double *truth, *fc, *naive, *seasonal;
    size_t values;
    int have_seasonal;            /* a seasonal-naive baseline (--season) */
    forecast_metrics mt[3];       /* recur, naive, seasonal naive */
} test_scores;

static void test_scores_free(test_scores *t)
{
    free(t->truth);
    free(t->fc);
    free(t->naive);
    free(t->seasonal);
}

/* Forecasts the windows win (w in ser) with m and scores them against the
 * naive and, with f->season, the seasonal-naive forecasts; a seasonal
 * baseline the series is too short for is left out with a warning. */
static recur_status score_test(seq_model *m, const forecaster *f,
                               const series_data *ser, const window_set *w,
                               const seq_data *win, size_t batch,
                               const char *cmd, test_scores *t)
{
    memset(t, 0, sizeof *t);
    t->values = win->n * f->horizon;
    t->truth = malloc(t->values * sizeof(double));
    t->fc = malloc(t->values * sizeof(double));
    t->naive = malloc(t->values * sizeof(double));
    t->seasonal = malloc(t->values * sizeof(double));
    recur_status s = RECUR_OK;
    if (!t->truth || !t->fc || !t->naive || !t->seasonal)
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
    if (!s)
        s = series_truth(ser, w, t->truth);
    if (!s)
        s = series_naive(ser, w, t->naive);
    if (!s)
        s = run_forecast(m, win, f, batch, t->fc);
    if (!s)
        untransform(f, ser, w->first, w->count, t->fc);
    if (!s && f->season) {
        t->have_seasonal = series_seasonal_naive(ser, w, f->season,
                                                 t->seasonal) == RECUR_OK;
        if (!t->have_seasonal)
            fprintf(stderr, "recur %s: no seasonal-naive baseline: %s\n", cmd,
                    recur_last_error());
    }
    if (!s)
        s = forecast_metrics_compute(t->truth, t->fc, t->values, &t->mt[0]);
    if (!s)
        s = forecast_metrics_compute(t->truth, t->naive, t->values, &t->mt[1]);
    if (!s && t->have_seasonal)
        s = forecast_metrics_compute(t->truth, t->seasonal, t->values, &t->mt[2]);
    return s;
}

/* The scores as JSON members: "test_values": N, "rmse": ..., up to the
 * seasonal baseline's (NaN, as where every actual value is 0, as null). */
static void print_scores_json(const test_scores *t)
{
    const forecast_metrics *mt = t->mt;
    char v[7][32];
    printf("\"test_values\": %zu, \"rmse\": %s, \"mae\": %s, \"mape\": %s, "
           "\"smape\": %s, \"naive_rmse\": %.6g, \"naive_mae\": %.6g, "
           "\"naive_mape\": %s", t->values,
           seqtask_json_number(v[1], 32, "%.6g", mt[0].rmse),
           seqtask_json_number(v[2], 32, "%.6g", mt[0].mae),
           seqtask_json_number(v[3], 32, "%.6g", mt[0].mape),
           seqtask_json_number(v[4], 32, "%.6g", mt[0].smape),
           mt[1].rmse, mt[1].mae,
           seqtask_json_number(v[5], 32, "%.6g", mt[1].mape));
    if (t->have_seasonal)
        printf(", \"seasonal_rmse\": %.6g, \"seasonal_mae\": %.6g, "
               "\"seasonal_mape\": %s", mt[2].rmse, mt[2].mae,
               seqtask_json_number(v[6], 32, "%.6g", mt[2].mape));
}

/* The scores as a table, one row per forecast. */
static void print_scores(const test_scores *t, const forecaster *f,
                         const window_set *w)
{
    printf("test part: %zu windows from step %zu, horizon %zu (%zu values)\n",
           w->count, w->first, f->horizon, t->values);
    printf("  %-16s %10s %10s %9s %9s\n", "forecast", "RMSE", "MAE", "MAPE%",
           "sMAPE%");
    print_row(f->recursive ? "recur (recursive)" : "recur", &t->mt[0]);
    print_row("naive", &t->mt[1]);
    if (t->have_seasonal)
        print_row("seasonal naive", &t->mt[2]);
}

int cmd_train_forecast(int argc, char **argv)
{
    seqtask_opts o;
    forecaster f;
    memset(&f, 0, sizeof f);
    const char *task = NULL, *data = NULL, *features = NULL, *strategy = NULL,
               *loss_name = NULL, *export_path = NULL, *csv_out = NULL,
               *plot_out = NULL;
    size_t test_n, val_n;
    double test_fraction, val_fraction;
    int json = 0;
    opt_spec specs[SEQTASK_SPECS + 20] = {
        {"--task", OPT_CHOICE, &task, NULL, "what to learn", "forecast", 0, 0, NULL, NULL},
        {"--data", OPT_STRING, &data, NULL, "CSV file with a header row, one row per time step, oldest first (required)", NULL, 0, 0, "FILE", NULL},
        {"--target", OPT_STRING, &f.target, NULL, "column to forecast: header name or 1-based index (default: the last column)", NULL, 0, 0, "COL", NULL},
        {"--features", OPT_STRING, &features, NULL, "extra input columns, comma-separated (names or indices); direct strategy only", NULL, 0, 0, "COLS", NULL},
        {"--date", OPT_STRING, &f.date, NULL, "date column, kept as labels in the forecast CSV (otherwise ignored)", NULL, 0, 0, "COL", NULL},
        {"--missing", OPT_CHOICE, &f.missing, "error", "what to do with a missing value (empty, NA, NaN, ?): refuse it, carry the last value forward, interpolate linearly, or drop the row", "error|ffill|interp|drop", 0, 0, NULL, NULL},
        {"--lookback", OPT_SIZE, &f.lookback, "12", "steps of history each forecast reads", NULL, 1, 100000, "L", NULL},
        {"--horizon", OPT_SIZE, &f.horizon, "1", "steps ahead to forecast", NULL, 1, 10000, "H", NULL},
        {"--strategy", OPT_CHOICE, &strategy, "direct", "multi-step forecasts: all horizon values at once, or one step at a time fed back", "direct|recursive", 0, 0, NULL, NULL},
        {"--log", OPT_FLAG, &f.log, NULL, "model the logarithm of the target (positive series whose swings grow with their level)", NULL, 0, 0, NULL, NULL},
        {"--difference", OPT_FLAG, &f.difference, NULL, "model the change from one step to the next (trending series); forecasts are accumulated from the last observed value", NULL, 0, 0, NULL, NULL},
        {"--calendar", OPT_FLAG, &f.calendar, NULL, "add the --date column's place in the year (sine and cosine of the month or day of the year) as inputs; direct strategy only", NULL, 0, 0, NULL, NULL},
        {"--season", OPT_SIZE, &f.season, "0", "season length for the seasonal-naive baseline (12 monthly, 365 daily; 0: none)", NULL, 0, 100000, "M", NULL},
        {"--loss", OPT_CHOICE, &loss_name, "mse", "training loss on the normalised values", "mse|mae|huber", 0, 0, NULL, NULL},
        {"--test", OPT_SIZE, &test_n, "0", "the last N steps are the test part (0: --test-fraction)", NULL, 0, 100000000, "N", NULL},
        {"--test-fraction", OPT_FLOAT, &test_fraction, "0.2", "fraction of the steps in the test part", NULL, 0.0, 0.9, NULL, NULL},
        {"--val", OPT_SIZE, &val_n, "0", "the N steps before the test part are the validation part (0: --val-fraction)", NULL, 0, 100000000, "N", NULL},
        {"--val-fraction", OPT_FLOAT, &val_fraction, "0.1", "fraction of the steps in the validation part (0: none; the last epoch is kept)", NULL, 0.0, 0.9, NULL, NULL},
        {"--forecast-csv", OPT_STRING, &csv_out, NULL, "the test forecasts as CSV (default: beside --save, PATH.forecast.csv)", NULL, 0, 0, "PATH", NULL},
        {"--plot", OPT_STRING, &plot_out, NULL, "SVG of the test part: history, truth, one-step-ahead forecast and baseline (default: beside --save, PATH.forecast.svg)", NULL, 0, 0, "PATH", NULL},
        {"--export-data", OPT_STRING, &export_path, NULL, "also write the prepared windows for tools/seq_torch.py", NULL, 0, 0, "PATH", NULL},
        {"--json", OPT_FLAG, &json, NULL, "the results as one JSON object on stdout", NULL, 0, 0, NULL, NULL},
    };
    size_t own = seqtask_count(specs);
    size_t n = own + seqtask_specs(&o, &forecast_defaults, specs + own);
    int rc = opt_parse("train", "--task forecast --data FILE.csv [options]",
                       "Trains a forecaster on a time series: windows of "
                       "--lookback steps predict the next --horizon values of "
                       "the target column. The split is chronological "
                       "(training, validation, test = the last part); inputs "
                       "are z-scored with the training part's statistics. "
                       "Reports RMSE, MAE, MAPE and sMAPE on the test part in "
                       "the data's units beside the naive and seasonal-naive "
                       "forecasts, writes the forecasts as CSV and a plot.",
                       specs, n, argc, argv);
    if (rc)
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    if (!data) {
        cli_error("train", "--data FILE.csv is required");
        return EXIT_USAGE;
    }
    f.recursive = !strcmp(strategy, "recursive");
    if (f.recursive && (features || f.calendar)) {
        cli_error("train", "--strategy recursive feeds its forecasts back as "
                  "the only input, so it cannot use --features or --calendar "
                  "(their future values are not fed back)");
        return EXIT_USAGE;
    }
    recur_set_threads((int)o.threads);
    series_data ser = {0};
    seq_data win[3];
    memset(win, 0, sizeof win);
    seq_model *m = NULL;
    seqtask_run run = {0};
    seq_config c;
    seq_loss loss = SEQ_LOSS_MSE;
    split_sets split;
    window_set w[3];
    test_scores ts = {0};
    recur_status s = split_features(&f, features);
    if (!s)
        s = read_series(&f, data, &ser);
    if (!s) {
        f.target = ser.name[0]; /* the resolved header name */
        split_spec ss = {test_n, val_n, test_fraction, val_fraction};
        s = series_split(ser.n, &ss, &split);
    }
    /* tser: the series as the model sees it (transform); ser stays in the
     * data's units for the truth, the baselines and the plots. */
    double *tvalue = NULL;
    if (!s)
        s = transform(&f, &ser, data, &tvalue);
    series_data tser = ser;
    tser.value = tvalue;
    if (!s)
        s = series_norm_fit(&tser, f.difference ? 1 : 0, split.train, &f.norm);
    const size_t fit_h = f.recursive ? 1 : f.horizon;
    const size_t bounds[4] = {0, split.train, split.train + split.valid, ser.n};
    static const char *const part_names[3] = {"training", "validation", "test"};
    for (int p = 0; !s && p < 3; p++) {
        if (bounds[p + 1] == bounds[p])
            continue;
        size_t start = bounds[p];
        if (f.difference && start < f.lookback + 1) /* step 0 has no change */
            start = f.lookback + 1 < bounds[p + 1] ? f.lookback + 1 : bounds[p + 1];
        s = window_plan(part_names[p], start, bounds[p + 1], f.lookback,
                               p == 2 ? f.horizon : fit_h, &w[p]);
        if (!s)
            s = series_windows(&tser, &f.norm, &w[p], &win[p]);
    }
    if (!s && win[2].n == 0)
        s = error_fail(RECUR_ERR_ARGUMENT, "%s: no test part (--test or "
                       "--test-fraction)", data);
    if (!s && export_path) {
        const seq_data *parts[3] = {&win[0], win[1].n ? &win[1] : NULL, &win[2]};
        export_ctx ex = {&f, &ser, &w[2], NULL};
        s = seqtask_export(export_path, parts, write_export, &ex);
        free(ex.buf);
    }
    if (!s)
        s = seq_loss_parse(loss_name, &loss);
    if (!s)
        s = seqtask_config(&o, 0, ser.columns, fit_h, loss, &c);
    if (!s)
        s = seqtask_train("train", "forecast", &o, &c, &win[0],
                          win[1].n ? &win[1] : NULL, write_meta, &f, &m, &run);
    /* The test part in original units: the model and the baselines. */
    if (!s)
        s = score_test(m, &f, &ser, &w[2], &win[2], o.batch, "train", &ts);
    double *truth = ts.truth, *fc = ts.fc, *naive = ts.naive,
           *seasonal = ts.seasonal;
    const int have_seasonal = ts.have_seasonal;
    /* The forecast CSV and the plot of the test part. */
    char *csv_path = NULL, *svg_path = NULL;
    if (!s && (csv_out || o.save)) {
        if (!csv_out)
            csv_path = cli_beside(o.save, ".forecast.csv", 0);
        const char *path = csv_out ? csv_out : csv_path;
        FILE *out = path ? fopen(path, "w") : NULL;
        if (!path)
            s = error_fail(RECUR_ERR_MEMORY, "out of memory");
        else if (!out)
            s = error_fail(RECUR_ERR_IO, "cannot write %s: %s", path, strerror(errno));
        else {
            s = forecast_csv_write(out, path, &ser, &w[2], fc, naive,
                                         have_seasonal ? seasonal : NULL);
            if (fclose(out) && !s)
                s = error_fail(RECUR_ERR_IO, "cannot write %s", path);
        }
    }
    if (!s && (plot_out || o.save)) {
        if (!plot_out)
            svg_path = cli_beside(o.save, ".forecast.svg", 0);
        size_t origin = w[2].first, T = w[2].count, hist = 3 * f.lookback;
        if (f.season && 2 * f.season > hist)
            hist = 2 * f.season;
        hist = hist < origin ? hist : origin;
        double *history = malloc((hist + 3 * T) * sizeof(double));
        if (history) {
            double *one_truth = history + hist, *one_fc = one_truth + T,
                   *one_base = one_fc + T;
            for (size_t i = 0; i < hist; i++)
                history[i] = ser.value[(origin - hist + i) * ser.columns];
            for (size_t i = 0; i < T; i++) {
                one_truth[i] = truth[i * f.horizon];
                one_fc[i] = fc[i * f.horizon];
                one_base[i] = have_seasonal ? seasonal[i * f.horizon] : naive[i * f.horizon];
            }
            char title[256];
            snprintf(title, sizeof title, "%s: test part, one step ahead (%s %zu-%zu)",
                     ser.name[0], recur_mode_str(c.rnn.mode),
                     o.layers, o.hidden);
            forecast_chart chart = {title, ser.name[0], origin, history, hist,
                                    one_truth, one_fc, T, one_base,
                                    have_seasonal ? "seasonal naive" : "naive"};
            if ((!plot_out && !svg_path) ||
                forecast_plot(plot_out ? plot_out : svg_path, &chart))
                fprintf(stderr, "recur train: cannot write the plot: %s\n",
                        strerror(errno));
        }
        free(history);
    }
    if (s) {
        rc = cli_fail("train", s);
    } else if (json) {
        char v[32]; /* NaN (no validation) as null */
        printf("{\"task\": \"forecast\", \"epochs\": %zu, \"best_epoch\": %zu, \"train_seconds\": %.2f, \"best_val_loss\": %s, \"params\": %zu, ",
               run.epochs, run.best_epoch, run.seconds,
               seqtask_json_number(v, 32, "%.6g", run.best_val),
               seq_model_size(m));
        print_scores_json(&ts);
        printf("}\n");
    } else {
        print_scores(&ts, &f, &w[2]);
    }
    free(csv_path);
    free(svg_path);
    test_scores_free(&ts);
    for (int p = 0; p < 3; p++)
        seq_data_free(&win[p]);
    series_norm_free(&f.norm);
    free(tvalue);
    series_free(&ser);
    seq_model_free(m);
    return rc;
}

/* ---- reading a forecaster back ---- */

static recur_status read_doubles(const st_file *st, const char *path,
                                 const char *key, double *out, size_t n)
{
    const char *v = st_meta(st, key);
    char *end;
    for (size_t i = 0; v && i < n; i++) {
        errno = 0;
        out[i] = strtod(v, &end);
        if (errno || end == v || !isfinite(out[i]) ||
            *end != (i + 1 < n ? ',' : '\0'))
            break;
        v = end + (i + 1 < n);
        if (i + 1 == n)
            return RECUR_OK;
    }
    return error_fail(RECUR_ERR_FORMAT, "%s: __metadata__ '%s' is not %zu "
                      "numbers", path, key, n);
}

static recur_status read_forecaster(const st_file *st, const char *path,
                                    forecaster *f, size_t columns,
                                    size_t outputs)
{
    const char *strategy = st_meta(st, "strategy");
    const char *features = st_meta(st, "features");
    f->target = st_meta(st, "target");
    f->date = st_meta(st, "date");
    f->missing = st_meta(st, "missing");
    if (!strategy || !features || !f->target || !f->date || !f->missing)
        return error_fail(RECUR_ERR_FORMAT, "%s: not a forecaster's checkpoint "
                          "(__metadata__ lacks strategy, target, features, date "
                          "or missing)", path);
    if (!*f->date)
        f->date = NULL;
    if (strcmp(strategy, "direct") != 0 && strcmp(strategy, "recursive") != 0)
        return error_fail(RECUR_ERR_FORMAT, "%s: __metadata__ strategy '%.40s' "
                          "is not direct or recursive", path, strategy);
    f->recursive = !strcmp(strategy, "recursive");
    recur_status s = split_features(f, features);
    if (!s) s = meta_size(st, path, "lookback", 100000, &f->lookback);
    if (!s) s = meta_size(st, path, "horizon", 10000, &f->horizon);
    if (!s && st_meta(st, "season"))
        s = meta_size(st, path, "season", 100000, &f->season);
    size_t lg = 0, diff = 0, cal = 0;
    if (!s) s = meta_size(st, path, "log", 1, &lg);
    if (!s) s = meta_size(st, path, "difference", 1, &diff);
    if (!s) s = meta_size(st, path, "calendar", 1, &cal);
    f->log = (int)lg;
    f->difference = (int)diff;
    f->calendar = (int)cal;
    if (!s && (f->lookback == 0 || f->horizon == 0 ||
               1 + f->n_features + 2 * (size_t)f->calendar != columns))
        s = error_fail(RECUR_ERR_FORMAT, "%s: lookback, horizon or features do "
                       "not match the model", path);
    /* run_forecast reads horizon outputs (direct) or one (recursive). */
    if (!s && outputs != (f->recursive ? 1 : f->horizon))
        s = error_fail(RECUR_ERR_FORMAT, "%s: a %s forecaster of horizon %zu "
                       "with %zu outputs (expected %zu)", path,
                       f->recursive ? "recursive" : "direct", f->horizon,
                       outputs, f->recursive ? (size_t)1 : f->horizon);
    /* ... and a recursive one feeds its forecast back as the only input. */
    if (!s && f->recursive && columns != 1)
        s = error_fail(RECUR_ERR_FORMAT, "%s: a recursive forecaster with %zu "
                       "input columns (expected 1)", path, columns);
    if (!s) {
        f->norm.columns = columns;
        f->norm.mean = malloc(2 * columns * sizeof(double));
        if (!f->norm.mean)
            return error_fail(RECUR_ERR_MEMORY, "out of memory");
        f->norm.std = f->norm.mean + columns;
        s = read_doubles(st, path, "norm_mean", f->norm.mean, columns);
    }
    if (!s)
        s = read_doubles(st, path, "norm_std", f->norm.std, columns);
    for (size_t i = 0; !s && i < columns; i++)
        if (!(f->norm.std[i] > 0))
            s = error_fail(RECUR_ERR_FORMAT, "%s: norm_std must be positive", path);
    return s;
}

/* The checkpoint at model as a forecaster, and its columns of data (eval,
 * predict). */
static recur_status open_forecaster(const char *model, const char *data,
                                    seq_model **m, st_file **st, forecaster *f,
                                    series_data *ser)
{
    recur_status s = seqtask_load(model, "forecast", m, st);
    if (!s)
        s = read_forecaster(*st, model, f, seq_model_config(*m)->rnn.input_size,
                            seq_model_config(*m)->outputs);
    if (!s)
        s = read_series(f, data, ser);
    return s;
}

/* ---- eval: the test part of a file, scored as at the end of training ---- */

int cmd_eval_forecast(int argc, char **argv)
{
    const char *task = NULL, *model = NULL, *data = NULL;
    size_t test_n, batch, threads;
    double test_fraction;
    int json = 0;
    const opt_spec specs[] = {
        {"--task", OPT_CHOICE, &task, NULL, "what the model does (default: the checkpoint's task)", "forecast", 0, 0, NULL, NULL},
        {"--model", OPT_STRING, &model, NULL, "checkpoint written by recur train --task forecast (required)", NULL, 0, 0, "PATH", NULL},
        {"--data", OPT_STRING, &data, NULL, "CSV with the same columns as in training; its last part is scored (required)", NULL, 0, 0, "FILE", NULL},
        {"--test", OPT_SIZE, &test_n, "0", "the last N steps are the test part (0: --test-fraction)", NULL, 0, 100000000, "N", NULL},
        {"--test-fraction", OPT_FLOAT, &test_fraction, "0.2", "fraction of the steps in the test part (as in training)", NULL, 0.0, 0.9, NULL, NULL},
        {"--batch", OPT_SIZE, &batch, "32", "windows per batch", NULL, 1, 1000000, "B", NULL},
        {"--threads", OPT_SIZE, &threads, "0", "threads (0: all cores)", NULL, 0, 1024, "N", NULL},
        {"--json", OPT_FLAG, &json, NULL, "one JSON object on stdout", NULL, 0, 0, NULL, NULL},
    };
    int rc = opt_parse("eval", "[--task forecast] --model PATH --data FILE.csv [options]",
                       "Scores a forecaster on the test part of a series (its "
                       "last --test steps, or --test-fraction of them, as recur "
                       "train --task forecast splits it): RMSE, MAE, MAPE and "
                       "sMAPE in the data's units beside the naive and, with the "
                       "checkpoint's season, the seasonal-naive forecasts of the "
                       "same values. Given the training file and split, the "
                       "figures are those training printed at its end.",
                       specs, sizeof specs / sizeof *specs, argc, argv);
    if (rc)
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    if (!model || !data) {
        cli_error("eval", "--model and --data are required (see recur eval "
                  "--task forecast --help)");
        return EXIT_USAGE;
    }
    recur_set_threads((int)threads);
    seq_model *m = NULL;
    st_file *st = NULL;
    forecaster f;
    memset(&f, 0, sizeof f);
    series_data ser = {0};
    seq_data win = {0};
    window_set w;
    split_sets split;
    test_scores ts = {0};
    double *tvalue = NULL;
    recur_status s = open_forecaster(model, data, &m, &st, &f, &ser);
    if (!s) {
        split_spec ss = {test_n, 0, test_fraction, 0.0};
        s = series_split(ser.n, &ss, &split);
    }
    if (!s)
        s = transform(&f, &ser, data, &tvalue);
    if (!s) {
        series_data tser = ser;
        tser.value = tvalue;
        size_t start = split.train; /* no validation part: the test's start */
        if (f.difference && start < f.lookback + 1) /* step 0 has no change */
            start = f.lookback + 1 < ser.n ? f.lookback + 1 : ser.n;
        s = window_plan("test", start, ser.n, f.lookback, f.horizon, &w);
        if (!s)
            s = series_windows(&tser, &f.norm, &w, &win);
    }
    if (!s && win.n == 0)
        s = error_fail(RECUR_ERR_ARGUMENT, "%s: no test part (--test or "
                       "--test-fraction)", data);
    if (!s)
        s = score_test(m, &f, &ser, &w, &win, batch, "eval", &ts);
    if (s) {
        rc = cli_fail("eval", s);
    } else if (json) {
        printf("{\"task\": \"forecast\", ");
        print_scores_json(&ts);
        printf("}\n");
    } else {
        printf("%s on %s:\n", model, data);
        print_scores(&ts, &f, &w);
    }
    test_scores_free(&ts);
    free(tvalue);
    seq_data_free(&win);
    series_norm_free(&f.norm);
    series_free(&ser);
    seq_model_free(m);
    st_free(st);
    return rc;
}

/* ---- predict: forecast the steps after the end of a file ---- */

int cmd_predict_forecast(int argc, char **argv)
{
    const char *task = NULL, *model = NULL, *data = NULL, *plot_out = NULL;
    size_t threads;
    const opt_spec specs[] = {
        {"--task", OPT_CHOICE, &task, NULL, "what the model does (default: the checkpoint's task)", "forecast", 0, 0, NULL, NULL},
        {"--model", OPT_STRING, &model, NULL, "checkpoint written by recur train --task forecast (required)", NULL, 0, 0, "PATH", NULL},
        {"--data", OPT_STRING, &data, NULL, "CSV with the same columns as in training; the forecast starts after its last row (required)", NULL, 0, 0, "FILE", NULL},
        {"--plot", OPT_STRING, &plot_out, NULL, "also draw the history and the forecast as SVG", NULL, 0, 0, "PATH", NULL},
        {"--threads", OPT_SIZE, &threads, "1", "threads", NULL, 0, 1024, "N", NULL},
    };
    int rc = opt_parse("predict", "[--task forecast] --model PATH --data FILE.csv [options]",
                       "Forecasts the --horizon steps after the end of a series "
                       "with a trained forecaster; prints CSV (step, forecast) on "
                       "stdout.",
                       specs, sizeof specs / sizeof *specs, argc, argv);
    if (rc)
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    if (!model || !data) {
        cli_error("predict", "--model and --data are required");
        return EXIT_USAGE;
    }
    recur_set_threads((int)threads);
    seq_model *m = NULL;
    st_file *st = NULL;
    forecaster f;
    memset(&f, 0, sizeof f);
    series_data ser = {0};
    seq_data win = {0};
    double *fc = NULL;
    recur_status s = open_forecaster(model, data, &m, &st, &f, &ser);
    if (!s && ser.n < f.lookback + (size_t)f.difference)
        s = error_fail(RECUR_ERR_FORMAT, "%s: %zu steps, the model reads %zu",
                       data, ser.n, f.lookback + (size_t)f.difference);
    double *tvalue = NULL;
    if (!s)
        s = transform(&f, &ser, data, &tvalue);
    /* One window: the last lookback steps, normalised. */
    const size_t I = ser.columns;
    if (!s) {
        win.n = 1;
        win.features = I;
        win.outputs = seq_model_config(m)->outputs;
        win.offset = malloc(2 * sizeof(size_t));
        win.x = malloc(f.lookback * I * sizeof(float));
        fc = malloc(f.horizon * sizeof(double));
        if (!win.offset || !win.x || !fc)
            s = error_fail(RECUR_ERR_MEMORY, "out of memory");
    }
    if (!s) {
        win.offset[0] = 0;
        win.offset[1] = f.lookback;
        for (size_t t = 0; t < f.lookback; t++)
            for (size_t j = 0; j < I; j++)
                win.x[t * I + j] = (float)series_norm_apply(
                    &f.norm, j, tvalue[(ser.n - f.lookback + t) * I + j]);
        s = run_forecast(m, &win, &f, 1, fc);
        if (!s)
            untransform(&f, &ser, ser.n, 1, fc);
    }
    if (s) {
        rc = cli_fail("predict", s);
    } else {
        printf("step,forecast\n");
        for (size_t k = 0; k < f.horizon; k++)
            printf("%zu,%.10g\n", ser.n + k, fc[k]);
        if (plot_out) {
            size_t hist = ser.n < 4 * f.lookback ? ser.n : 4 * f.lookback;
            double *history = malloc(hist * sizeof(double));
            for (size_t i = 0; history && i < hist; i++)
                history[i] = ser.value[(ser.n - hist + i) * I];
            forecast_chart chart = {"forecast", ser.name[0], ser.n, history, hist,
                                    NULL, fc, f.horizon, NULL, NULL};
            if (!history || forecast_plot(plot_out, &chart)) {
                cli_error("predict", "cannot write %s: %s", plot_out, strerror(errno));
                rc = EXIT_FAILURE_DATA;
            }
            free(history);
        }
    }
    free(fc);
    free(tvalue);
    seq_data_free(&win);
    series_norm_free(&f.norm);
    series_free(&ser);
    seq_model_free(m);
    st_free(st);
    return rc;
}
