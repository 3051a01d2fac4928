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
 * by eval (the last part of any file with the same columns), with one
 * verdict against the better baseline.
 *
 * The checkpoint keeps what predicting needs in __metadata__: lookback,
 * horizon, strategy, the columns (target, features, date), the missing-
 * value policy and the normalisation (mean and std per column); with a
 * date column also the step between its dates (dates.h: "P1M" monthly,
 * "P1D" daily; "" when they have none) and the last training date, so that
 * the plots and predict's forecasts carry dates ("1961-01") rather than
 * step numbers. Dates without a constant step fall back to step numbers,
 * and the run says so. That metadata, the target's transforms and the
 * forecasting around the network are the library's (model/forecaster.h),
 * which recur_model_forecast shares; the dates on the plots and predict's
 * output are the CLI's (date_axis below).
 */
#include "cli.h"
#include "guard.h"
#include "base/error.h"
#include "forecast_plot.h"
#include "data/dates.h"
#include "data/series.h"
#include "model/forecaster.h"
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
    .save = "forecast.safetensors",
};

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
    if (!s) s = forecaster_write_meta((void *)e->f, w);
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

/* Step indices as dates for a chart's x axis: step i of the series is its
 * date[i], and a step outside it (a forecast's) whole steps from its first
 * or last date. */
typedef struct {
    const char *const *date; /* [n] */
    size_t n;
    date_step step;
    double steps[16];        /* tick spacings in steps, 0-terminated */
    plot_x_labels axis;
} date_axis;

static void date_label(const void *ctx, double x, char *buf, size_t size)
{
    const date_axis *d = ctx;
    long i = lround(x), last = (long)d->n - 1;
    if (i >= 0 && i <= last)
        snprintf(buf, size, "%s", d->date[i]);
    else if (date_step_add(&d->step, d->date[i < 0 ? 0 : last],
                           i < 0 ? i : i - last, buf, size) != RECUR_OK)
        snprintf(buf, size, "%ld", i);
}

/* The axis of dates[0..n) at `step`. Monthly data gets ticks at 1, 2, 3 and
 * 6 months and 1, 2, 5, 10... years (those a whole number of steps), the
 * yearly ones on Januaries; daily data the usual 1-2-5 spacing. */
static void date_axis_init(date_axis *d, const char *const *date, size_t n,
                           const date_step *step)
{
    memset(d, 0, sizeof *d);
    d->date = date;
    d->n = n;
    d->step = *step;
    d->axis = (plot_x_labels){.label = date_label, .ctx = d, .steps = NULL,
                              .origin = 0};
    date_ymd first;
    if (!step->months || date_parse(date[0], &first))
        return;
    static const long spans[] = {1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200,
                                 2400, 6000};
    size_t k = 0;
    for (size_t i = 0; i < sizeof spans / sizeof *spans && k < 15; i++)
        if (spans[i] % step->months == 0)
            d->steps[k++] = (double)(spans[i] / step->months);
    d->axis.steps = d->steps;
    long before = (first.month - 1) % step->months ? 0 : first.month - 1;
    d->axis.origin = -(double)(before / step->months);
}

static void print_row(const char *name, const forecast_metrics *mt)
{
    printf("  %-16s %10.4f %10.4f %9.3f %9.3f\n", name, mt->rmse, mt->mae,
           mt->mape, mt->smape);
}

/* The test part scored (train's end and eval): the truth, the forecasts
 * and the baselines in the data's units, windows × horizon values each,
 * their metrics, and the better baseline by RMSE, which the model must
 * beat to be worth having. */
typedef struct {
    double *truth, *fc, *naive, *seasonal;
    size_t values;
    int have_seasonal;            /* a seasonal-naive baseline (--season) */
    forecast_metrics mt[3];       /* recur, naive, seasonal naive; zeroed
                                     until scored */
    int seasonal_better;          /* the seasonal-naive baseline is the
                                     better one */
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
        s = forecaster_run(m, win, f, batch, t->fc);
    if (!s)
        forecaster_untransform(f, ser, w->first, w->count, t->fc);
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
    if (s) /* a failed run's figures are not read */
        memset(t->mt, 0, sizeof t->mt);
    t->seasonal_better = t->have_seasonal && t->mt[2].rmse < t->mt[1].rmse;
    return s;
}

static const char *base_name(const test_scores *t)
{
    return t->seasonal_better ? "seasonal-naive" : "naive";
}

static double base_rmse(const test_scores *t)
{
    return t->mt[t->seasonal_better ? 2 : 1].rmse;
}

/* The scores as JSON members: "test_values": N, "rmse": ..., up to the
 * seasonal baseline's (NaN, as where every actual value is 0, as null),
 * then the verdict: "baseline", "baseline_rmse", "beats_baseline". */
static void print_scores_json(const test_scores *t)
{
    const forecast_metrics *mt = t->mt;
    char v[6][32];
    printf("\"test_values\": %zu, \"rmse\": %s, \"mae\": %s, \"mape\": %s, "
           "\"smape\": %s, \"naive_rmse\": %.6g, \"naive_mae\": %.6g, "
           "\"naive_mape\": %s", t->values,
           seqtask_json_number(v[0], 32, "%.6g", mt[0].rmse),
           seqtask_json_number(v[1], 32, "%.6g", mt[0].mae),
           seqtask_json_number(v[2], 32, "%.6g", mt[0].mape),
           seqtask_json_number(v[3], 32, "%.6g", mt[0].smape),
           mt[1].rmse, mt[1].mae,
           seqtask_json_number(v[4], 32, "%.6g", mt[1].mape));
    if (t->have_seasonal)
        printf(", \"seasonal_rmse\": %.6g, \"seasonal_mae\": %.6g, "
               "\"seasonal_mape\": %s", mt[2].rmse, mt[2].mae,
               seqtask_json_number(v[5], 32, "%.6g", mt[2].mape));
    printf(", \"baseline\": \"%s\", \"baseline_rmse\": %.6g, "
           "\"beats_baseline\": %s",
           t->seasonal_better ? "seasonal_naive" : "naive", base_rmse(t),
           seqtask_verdict("RMSE", mt[0].rmse, base_name(t), base_rmse(t), 1, 0)
               ? "true" : "false");
}

/* The scores as a table, one row per forecast, and the verdict line
 * ("result: ..."). The test part's first and last target dates follow
 * its first step where the series has a date column. */
static void print_scores(const test_scores *t, const forecaster *f,
                         const series_data *ser, const window_set *w)
{
    char dates[128] = "";
    if (ser->date && w->count)
        snprintf(dates, sizeof dates, " (%.40s to %.40s)", ser->date[w->first],
                 ser->date[w->first + w->count - 1 + f->horizon - 1]);
    printf("test part: %zu windows from step %zu%s, horizon %zu (%zu values)\n",
           w->count, w->first, dates, f->horizon, t->values);
    printf("  %-16s %10s %10s %9s %9s\n", "forecast", "RMSE", "MAE", "MAPE%",
           "sMAPE%");
    print_row(f->recursive ? "recur (recursive)" : "recur", &t->mt[0]);
    print_row("naive", &t->mt[1]);
    if (t->have_seasonal)
        print_row("seasonal naive", &t->mt[2]);
    seqtask_verdict("RMSE", t->mt[0].rmse, base_name(t), base_rmse(t), 1, 1);
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
        {.name = "--task", .type = OPT_CHOICE, .dest = &task, .help = "what to learn", .choices = "forecast"},
        {.name = "--data", .type = OPT_STRING, .dest = &data, .help = "CSV file with a header row, one row per time step, oldest first (required)", .metavar = "FILE"},
        {.name = "--target", .type = OPT_STRING, .dest = &f.target, .help = "column to forecast: header name or 1-based index (default: the last column)", .metavar = "COL"},
        {.name = "--features", .type = OPT_STRING, .dest = &features, .help = "extra input columns, comma-separated (names or indices); direct strategy only", .metavar = "COLS"},
        {.name = "--date", .type = OPT_STRING, .dest = &f.date, .help = "date column: labels of the forecast CSV and, for ISO dates (YYYY-MM, YYYY-MM-DD) at a constant step of months or days, of the plots' x axis and predict's forecasts", .metavar = "COL"},
        {.name = "--missing", .type = OPT_CHOICE, .dest = &f.missing, .def = "error", .help = "what to do with a missing value (empty, NA, NaN, ?): refuse it, carry the last value forward, interpolate linearly, or drop the row", .choices = "error|ffill|interp|drop"},
        {.name = "--lookback", .type = OPT_SIZE, .dest = &f.lookback, .def = "12", .help = "steps of history each forecast reads", .min = 1, .max = 100000, .metavar = "L"},
        {.name = "--horizon", .type = OPT_SIZE, .dest = &f.horizon, .def = "1", .help = "steps ahead to forecast", .min = 1, .max = 10000, .metavar = "H"},
        {.name = "--strategy", .type = OPT_CHOICE, .dest = &strategy, .def = "direct", .help = "multi-step forecasts: all horizon values at once, or one step at a time fed back", .choices = "direct|recursive"},
        {.name = "--log", .type = OPT_FLAG, .dest = &f.log, .help = "model the logarithm of the target (positive series whose swings grow with their level)"},
        {.name = "--difference", .type = OPT_FLAG, .dest = &f.difference, .help = "model the change from one step to the next (trending series); forecasts are accumulated from the last observed value"},
        {.name = "--calendar", .type = OPT_FLAG, .dest = &f.calendar, .help = "add the --date column's place in the year (sine and cosine of the month or day of the year) as inputs; direct strategy only"},
        {.name = "--season", .type = OPT_SIZE, .dest = &f.season, .def = "0", .help = "season length for the seasonal-naive baseline (12 monthly, 365 daily; 0: none)", .min = 0, .max = 100000, .metavar = "M"},
        {.name = "--loss", .type = OPT_CHOICE, .dest = &loss_name, .def = "mse", .help = "training loss on the normalised values", .choices = "mse|mae|huber"},
        {.name = "--test", .type = OPT_SIZE, .dest = &test_n, .def = "0", .help = "the last N steps are the test part (0: --test-fraction)", .min = 0, .max = 100000000, .metavar = "N"},
        {.name = "--test-fraction", .type = OPT_FLOAT, .dest = &test_fraction, .def = "0.2", .help = "fraction of the steps in the test part", .min = 0.0, .max = 0.9},
        {.name = "--val", .type = OPT_SIZE, .dest = &val_n, .def = "0", .help = "the N steps before the test part are the validation part (0: --val-fraction)", .min = 0, .max = 100000000, .metavar = "N"},
        {.name = "--val-fraction", .type = OPT_FLOAT, .dest = &val_fraction, .def = "0.1", .help = "fraction of the steps in the validation part (0: none; the last epoch is kept)", .min = 0.0, .max = 0.9},
        {.name = "--forecast-csv", .type = OPT_STRING, .dest = &csv_out, .help = "the test forecasts as CSV (default: beside --save, PATH.forecast.csv)", .metavar = "PATH"},
        {.name = "--plot", .type = OPT_STRING, .dest = &plot_out, .help = "SVG of the test part: history, truth, one-step-ahead forecast and baseline (default: beside --save, PATH.forecast.svg)", .metavar = "PATH"},
        {.name = "--export-data", .type = OPT_STRING, .dest = &export_path, .help = "also write the prepared windows for tools/seq_torch.py", .metavar = "PATH"},
        {.name = "--json", .type = OPT_FLAG, .dest = &json, .help = "the results as one JSON object on stdout"},
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
    /* From here every path ends at guard_end. */
    if ((rc = guard_begin("train", o.save)) != EXIT_OK)
        return rc;
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
    recur_status s = forecaster_split_features(&f, features);
    if (!s)
        s = read_series(&f, data, &ser);
    date_step step = {0, 0};
    if (!s && f.date && forecaster_set_dates(&f, &ser, &step) != RECUR_OK)
        fprintf(stderr, "recur train: --date %s: %s; the plot and predict "
                "number the steps instead of dating them\n", f.date,
                recur_last_error());
    date_axis dates;
    if (*f.date_step)
        date_axis_init(&dates, ser.date, ser.n, &step);
    if (!s) {
        f.target = ser.name[0]; /* the resolved header name */
        split_spec ss = {.test = test_n, .valid = val_n,
                         .test_fraction = test_fraction,
                         .valid_fraction = val_fraction};
        s = series_split(ser.n, &ss, &split);
    }
    /* tser: the series as the model sees it (transform); ser stays in the
     * data's units for the truth, the baselines and the plots. */
    double *tvalue = NULL;
    if (!s)
        s = forecaster_transform(&f, &ser, data, &tvalue);
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
        export_ctx ex = {.f = &f, .ser = &ser, .test = &w[2], .buf = NULL};
        s = seqtask_export(export_path, parts, write_export, &ex);
        free(ex.buf);
    }
    if (!s)
        s = seq_loss_parse(loss_name, &loss);
    if (!s)
        s = seqtask_config(&o, 0, ser.columns, fit_h, loss, &c);
    if (!s)
        s = seqtask_train("forecast", &o, &c, &win[0],
                          win[1].n ? &win[1] : NULL, forecaster_write_meta, &f,
                          &m, &run);
    if (!s && run.signal) { /* SIGINT, SIGTERM: saved, the test not scored */
        rc = seqtask_stopped("train", "forecast", &o, &run);
        goto done;
    }
    /* The test part in original units: the model and the baselines. */
    if (!s)
        s = score_test(m, &f, &ser, &w[2], &win[2], o.batch, "train", &ts);
    const double *truth = ts.truth, *fc = ts.fc, *naive = ts.naive,
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
            forecast_chart chart = {
                .title = title, .ylabel = ser.name[0], .origin = origin,
                .history = history, .n_history = hist, .truth = one_truth,
                .forecast = one_fc, .n = T, .baseline = one_base,
                .baseline_name = have_seasonal ? "seasonal naive" : "naive",
                .x_labels = *f.date_step ? &dates.axis : NULL,
                .xlabel = *f.date_step ? f.date : NULL};
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
        print_scores(&ts, &f, &ser, &w[2]);
    }
    if (!rc)
        seqtask_saved("train", &o, &run);
    free(csv_path);
    free(svg_path);
done:
    test_scores_free(&ts);
    for (int p = 0; p < 3; p++)
        seq_data_free(&win[p]);
    series_norm_free(&f.norm);
    free(tvalue);
    series_free(&ser);
    seq_model_free(m);
    guard_end();
    return rc;
}

/* The checkpoint at model as a forecaster, and its columns of data (eval,
 * predict). */
static recur_status open_forecaster(const char *model, const char *data,
                                    seq_model **m, st_file **st, forecaster *f,
                                    series_data *ser)
{
    recur_status s = seqtask_load(model, "forecast", m, st);
    if (!s)
        s = forecaster_read(*st, model, f, seq_model_config(*m));
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
        {.name = "--task", .type = OPT_CHOICE, .dest = &task, .help = "what the model does (default: the checkpoint's task)", .choices = "forecast"},
        {.name = "--model", .type = OPT_STRING, .dest = &model, .help = "checkpoint written by recur train --task forecast (required)", .metavar = "PATH"},
        {.name = "--data", .type = OPT_STRING, .dest = &data, .help = "CSV with the same columns as in training; its last part is scored (required)", .metavar = "FILE"},
        {.name = "--test", .type = OPT_SIZE, .dest = &test_n, .def = "0", .help = "the last N steps are the test part (0: --test-fraction)", .min = 0, .max = 100000000, .metavar = "N"},
        {.name = "--test-fraction", .type = OPT_FLOAT, .dest = &test_fraction, .def = "0.2", .help = "fraction of the steps in the test part (as in training)", .min = 0.0, .max = 0.9},
        {.name = "--batch", .type = OPT_SIZE, .dest = &batch, .def = "32", .help = "windows per batch", .min = 1, .max = 1000000, .metavar = "B"},
        {.name = "--threads", .type = OPT_SIZE, .dest = &threads, .def = "0", .help = "threads (0: all cores)", .min = 0, .max = 1024, .metavar = "N"},
        {.name = "--json", .type = OPT_FLAG, .dest = &json, .help = "one JSON object on stdout"},
    };
    int rc = opt_parse("eval", "[--task forecast] --model PATH --data FILE.csv [options]",
                       "Scores a forecaster on the test part of a series (its "
                       "last --test steps, or --test-fraction of them, as recur "
                       "train --task forecast splits it): RMSE, MAE, MAPE and "
                       "sMAPE in the data's units beside the naive and, with the "
                       "checkpoint's season, the seasonal-naive forecasts of the "
                       "same values, and whether the model beats the better of "
                       "them (the 'result:' line). Given the training file and "
                       "split, the figures are those training printed at its "
                       "end.",
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
        split_spec ss = {.test = test_n, .valid = 0,
                         .test_fraction = test_fraction, .valid_fraction = 0.0};
        s = series_split(ser.n, &ss, &split);
    }
    if (!s)
        s = forecaster_transform(&f, &ser, data, &tvalue);
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
        print_scores(&ts, &f, &ser, &w);
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
        {.name = "--task", .type = OPT_CHOICE, .dest = &task, .help = "what the model does (default: the checkpoint's task)", .choices = "forecast"},
        {.name = "--model", .type = OPT_STRING, .dest = &model, .help = "checkpoint written by recur train --task forecast (required)", .metavar = "PATH"},
        {.name = "--data", .type = OPT_STRING, .dest = &data, .help = "CSV with the same columns as in training; the forecast starts after its last row (required)", .metavar = "FILE"},
        {.name = "--plot", .type = OPT_STRING, .dest = &plot_out, .help = "also draw the history and the forecast as SVG", .metavar = "PATH"},
        {.name = "--threads", .type = OPT_SIZE, .dest = &threads, .def = "1", .help = "threads", .min = 0, .max = 1024, .metavar = "N"},
    };
    int rc = opt_parse("predict", "[--task forecast] --model PATH --data FILE.csv [options]",
                       "Forecasts the --horizon steps after the end of a series "
                       "with a trained forecaster; prints CSV (date, forecast) "
                       "on stdout, the dates following the file's last at the "
                       "training data's step, or (step, forecast) when the "
                       "training data had no dates at a constant step.",
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
    double *fc = NULL;
    recur_status s = open_forecaster(model, data, &m, &st, &f, &ser);
    if (!s && !(fc = malloc(f.horizon * sizeof(double))))
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
    if (!s)
        s = forecaster_predict(m, &f, &ser, data, fc);
    const size_t I = ser.columns;
    /* The forecasts' dates: the checkpoint's step from this file's last
     * date; step numbers when there is none, saying why. */
    date_step step;
    date_axis dates;
    char when[32];
    int dated = !s && f.date && ser.n > 0 &&
                date_step_parse(f.date_step, &step) == RECUR_OK &&
                date_step_add(&step, ser.date[ser.n - 1], 1, when,
                              sizeof when) == RECUR_OK;
    if (dated)
        date_axis_init(&dates, ser.date, ser.n, &step);
    else if (!s && f.date)
        fprintf(stderr, "recur predict: the forecasts are numbered by step, "
                "not dated: %s\n", !*f.date_step
                    ? "the training data's dates had no constant step (or the "
                      "checkpoint predates dated forecasts)"
                    : recur_last_error());
    if (s) {
        rc = cli_fail("predict", s);
    } else {
        printf("%s,forecast\n", dated ? "date" : "step");
        for (size_t k = 0; k < f.horizon; k++) {
            if (dated)
                date_label(&dates, (double)(ser.n + k), when, sizeof when);
            else
                snprintf(when, sizeof when, "%zu", ser.n + k);
            printf("%s,%.10g\n", when, fc[k]);
        }
        if (plot_out) {
            size_t hist = ser.n < 4 * f.lookback ? ser.n : 4 * f.lookback;
            double *history = malloc(hist * sizeof(double));
            for (size_t i = 0; history && i < hist; i++)
                history[i] = ser.value[(ser.n - hist + i) * I];
            forecast_chart chart = {
                .title = "forecast", .ylabel = ser.name[0], .origin = ser.n,
                .history = history, .n_history = hist, .truth = NULL,
                .forecast = fc, .n = f.horizon, .baseline = NULL,
                .baseline_name = NULL, .x_labels = dated ? &dates.axis : NULL,
                .xlabel = dated ? f.date : NULL};
            if (!history || forecast_plot(plot_out, &chart)) {
                cli_error("predict", "cannot write %s: %s", plot_out, strerror(errno));
                rc = EXIT_FAILURE_DATA;
            }
            free(history);
        }
    }
    free(fc);
    series_norm_free(&f.norm);
    series_free(&ser);
    seq_model_free(m);
    st_free(st);
    return rc;
}
