/*
 * test_series.c — the data side of forecasting (src/data/series.h): strict
 * numbers, each missing-value policy on a hand-checked column, column
 * selection, split sizes, a normalisation fitted on the training part
 * only, the windows of a 10-step series entry by entry, the naive and
 * seasonal-naive baselines and their metrics computed by hand, MAPE/sMAPE
 * edge cases, the forecast CSV byte for byte, and the real airline series
 * when $RECUR_DATA has it.
 */
#include "io/csv.h"
#include "base/error.h"
#include "data/series.h"
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int near(double a, double b) { return fabs(a - b) <= 1e-9 * (1 + fabs(b)); }

static recur_status from_text(const char *text, const series_spec *spec,
                              series_data *s)
{
    csv_table t;
    recur_status st = csv_parse((const unsigned char *)text, strlen(text),
                                      "s.csv", &t);
    if (st)
        return st;
    st = series_from_csv(&t, spec, s);
    csv_free(&t);
    return st;
}

static int target_is(const series_data *s, const double *want, size_t n)
{
    if (s->n != n || s->columns < 1)
        return 0;
    for (size_t t = 0; t < n; t++)
        if (!near(s->value[t * s->columns], want[t]))
            return 0;
    return 1;
}

/* Leading gap, a two-step gap, a trailing gap, in every missing spelling. */
static const char gaps[] = "t,v\n1,\n2,2\n3,NA\n4, NaN \n5,8\n6,?\n";

static void missing_values(void)
{
    series_data s = {0};
    series_spec spec = {0};
    CHECK(from_text(gaps, &spec, &s) == RECUR_ERR_FORMAT && s.block == NULL &&
              strstr(recur_last_error(), "s.csv: line 2: column \"v\"") &&
              strstr(recur_last_error(), "missing"),
          "policy error: %s", recur_last_error());

    spec.missing = SERIES_MISSING_FFILL;
    CHECK(from_text(gaps, &spec, &s) == RECUR_OK &&
              target_is(&s, (const double[]){2, 2, 2, 2, 8, 8}, 6),
          "ffill: %s", recur_last_error());
    series_free(&s);

    spec.missing = SERIES_MISSING_INTERP;
    CHECK(from_text(gaps, &spec, &s) == RECUR_OK &&
              target_is(&s, (const double[]){2, 2, 4, 6, 8, 8}, 6),
          "interp: %s", recur_last_error());
    series_free(&s);

    spec.missing = SERIES_MISSING_DROP;
    CHECK(from_text(gaps, &spec, &s) == RECUR_OK &&
              target_is(&s, (const double[]){2, 8}, 2) && s.line[0] == 3 &&
              s.line[1] == 6,
          "drop: %s", recur_last_error());
    series_free(&s);

    /* Drop a row when any selected column misses; an unselected one
     * ("junk") does not count. */
    const char *two = "v,f,junk\n1,10,\n,20,x\n3,,x\n4,40,x\n";
    const char *feat[] = {"f"};
    spec = (series_spec){.target = "v", .features = feat, .n_features = 1,
                                .missing = SERIES_MISSING_DROP};
    CHECK(from_text(two, &spec, &s) == RECUR_OK && s.n == 2 && s.columns == 2 &&
              s.value[0] == 1 && s.value[1] == 10 && s.value[2] == 4 &&
              s.value[3] == 40 && !strcmp(s.name[1], "f"),
          "drop over two columns: %s", recur_last_error());
    series_free(&s);
    spec.missing = SERIES_MISSING_INTERP;
    CHECK(from_text(two, &spec, &s) == RECUR_OK && s.n == 4 &&
              s.value[2] == 2 && s.value[5] == 30,
          "interp per column: %s", recur_last_error());
    series_free(&s);

    spec = (series_spec){.missing = SERIES_MISSING_FFILL};
    CHECK(from_text("a\nNA\n?\n", &spec, &s) == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "no values"),
          "a column without values: %s", recur_last_error());
    spec.missing = SERIES_MISSING_DROP;
    CHECK(from_text("a\nNA\n?\n", &spec, &s) == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "no rows left"),
          "everything dropped: %s", recur_last_error());

    series_missing m = SERIES_MISSING_ERROR;
    CHECK(series_missing_parse("interp", &m) == RECUR_OK &&
              m == SERIES_MISSING_INTERP &&
              series_missing_parse("bfill", &m) == RECUR_ERR_ARGUMENT &&
              m == SERIES_MISSING_INTERP,
          "policy names");
}

static void numbers(void)
{
    static const char *const bad[] = {"1e999", "nan", "inf", "-Infinity",
                                      "0x10", "1.5.2", "12abc", "1e",
                                      "+", ".", "1 2", "1_000"};
    char text[64];
    series_data s = {0};
    series_spec spec = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "d,v\nx,1\ny,%s\n", bad[i]);
        recur_status st = from_text(text, &spec, &s);
        CHECK(st == RECUR_ERR_FORMAT && strstr(recur_last_error(), "line 3") &&
                  strstr(recur_last_error(), "not a finite"),
              "\"%s\" refused: %s %s", bad[i], recur_status_str(st),
              recur_last_error());
        series_free(&s);
    }
    CHECK(from_text("d,v\nx, 3 \ny,-2.5e-1\nz,+7.\nw,1e-400\nq,\"8\"\n", &spec,
                    &s) == RECUR_OK &&
              target_is(&s, (const double[]){3, -0.25, 7, 0, 8}, 5),
          "good numbers: %s", recur_last_error());
    series_free(&s);

    /* Column selection: the date is text, the default target the last. */
    spec.date = "d";
    CHECK(from_text("d,v\n\"1949-01\",112\n", &spec, &s) == RECUR_OK &&
              s.date && !strcmp(s.date[0], "1949-01") &&
              !strcmp(s.name[0], "v"),
          "date column: %s", recur_last_error());
    series_free(&s);
    spec = (series_spec){.target = "1", .date = "1"};
    CHECK(from_text("a,b\n1,2\n", &spec, &s) == RECUR_ERR_ARGUMENT &&
              strstr(recur_last_error(), "both"),
          "date and target the same: %s", recur_last_error());
    const char *twice[] = {"a"};
    spec = (series_spec){.target = "a", .features = twice, .n_features = 1};
    CHECK(from_text("a,b\n1,2\n", &spec, &s) == RECUR_ERR_ARGUMENT &&
              strstr(recur_last_error(), "twice"),
          "a column twice: %s", recur_last_error());
    spec = (series_spec){.target = "c"};
    CHECK(from_text("a,b\n1,2\n", &spec, &s) == RECUR_ERR_ARGUMENT,
          "unknown target");
    spec.target = NULL;
    CHECK(from_text("a,b\n", &spec, &s) == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "no data rows"),
          "header only: %s", recur_last_error());
}

static void calendar(void)
{
    const double tau = 6.283185307179586;
    series_data s = {0};
    series_spec spec = {.date = "d", .calendar = 1};
    /* (sin, cos) of 2 pi (month - 1) / 12: months 1, 4, 7, 10 a quarter
     * turn apart, then February at 30 degrees. */
    CHECK(from_text("d,v\n1949-01,1\n1949-04,2\n1949-07,3\n1949-10,4\n"
                    "1950-02,5\n", &spec, &s) == RECUR_OK &&
              s.columns == 3 && !strcmp(s.name[1], "year_sin") &&
              !strcmp(s.name[2], "year_cos") && s.value[3] == 2 &&
              near(s.value[1], 0) && near(s.value[2], 1) &&
              near(s.value[4], 1) && fabs(s.value[5]) < 1e-15 &&
              fabs(s.value[7]) < 1e-15 && near(s.value[8], -1) &&
              near(s.value[10], -1) && fabs(s.value[11]) < 1e-15 &&
              near(s.value[13], 0.5) && near(s.value[14], sqrt(3) / 2),
          "monthly calendar: %s", recur_last_error());
    series_free(&s);
    /* Days: Jan 1; Dec 31 of leap 1980 (day 366 of 366); 2 July 1981 (day
     * 183: 31+28+31+30+31+30 + 2); 29 Feb 1980 (day 60). */
    CHECK(from_text("d,v\n1981-01-01,1\n1980-12-31,2\n1981-07-02,3\n"
                    "1980-02-29,4\n", &spec, &s) == RECUR_OK &&
              near(s.value[1], 0) && near(s.value[2], 1) &&
              near(s.value[4], sin(tau * 365 / 366)) &&
              near(s.value[7], sin(tau * 182 / 365)) &&
              near(s.value[8], cos(tau * 182 / 365)) &&
              near(s.value[11], cos(tau * 59 / 366)),
          "daily calendar: %s", recur_last_error());
    series_free(&s);
    static const char *const bad[] = {"1981-02-29", "1949-13", "1949-00",
                                      "Jan 1949", "1949-1", "1949/01",
                                      "1981-04-31", ""};
    char text[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "d,v\n1949-01,1\n%s,2\n", bad[i]);
        CHECK(from_text(text, &spec, &s) == RECUR_ERR_FORMAT &&
                  strstr(recur_last_error(), "line 3") &&
                  strstr(recur_last_error(), "not a date"),
              "date \"%s\": %s", bad[i], recur_last_error());
    }
    spec.date = NULL;
    CHECK(from_text("d,v\n1949-01,1\n", &spec, &s) == RECUR_ERR_ARGUMENT,
          "calendar without a date column");
}

static void split(void)
{
    split_sets p;
    split_spec def = RECUR_SPLIT_DEFAULT;
    CHECK(series_split(144, &def, &p) == RECUR_OK && p.test == 29 &&
              p.valid == 14 && p.train == 101,
          "144 by default: %zu %zu %zu", p.train, p.valid, p.test);
    CHECK(series_split(10, &def, &p) == RECUR_OK && p.test == 2 &&
              p.valid == 1 && p.train == 7,
          "10 by default: %zu %zu %zu", p.train, p.valid, p.test);
    split_spec airline = {.test = 24, .valid = 12, .test_fraction = 0,
                          .valid_fraction = 0};
    CHECK(series_split(144, &airline, &p) == RECUR_OK && p.test == 24 &&
              p.valid == 12 && p.train == 108,
          "airline counts");
    split_spec none = {.test = 0, .valid = 0, .test_fraction = 0.25,
                       .valid_fraction = 0};
    CHECK(series_split(8, &none, &p) == RECUR_OK && p.test == 2 &&
              p.valid == 0 && p.train == 6,
          "no validation part");
    split_spec all = {.test = 5, .valid = 5, .test_fraction = 0,
                      .valid_fraction = 0};
    CHECK(series_split(10, &all, &p) == RECUR_ERR_ARGUMENT &&
              strstr(recur_last_error(), "none for training"),
          "nothing left: %s", recur_last_error());
    split_spec bad = {.test = 0, .valid = 0, .test_fraction = 1.0,
                      .valid_fraction = 0};
    CHECK(series_split(10, &bad, &p) == RECUR_ERR_ARGUMENT, "fraction 1");
    bad.test_fraction = NAN;
    CHECK(series_split(10, &bad, &p) == RECUR_ERR_ARGUMENT, "fraction NaN");
}

static void normalisation(void)
{
    series_data s = {0};
    series_spec spec = {.target = "v", .features = (const char *[]){"c"},
                              .n_features = 1};
    if (from_text("v,c\n1,0.1\n2,0.1\n3,0.1\n4,0.1\n100,50\n", &spec, &s)) {
        CHECK(0, "series: %s", recur_last_error());
        return;
    }
    series_norm z = {0};
    /* Training = the first 4 steps: the 100 and the 50 must not count. */
    CHECK(series_norm_fit(&s, 0, 4, &z) == RECUR_OK && z.columns == 2 &&
              near(z.mean[0], 2.5) && near(z.std[0], sqrt(1.25)) &&
              near(z.mean[1], 0.1) && z.std[1] == 1,
          "fit on train: mean %g std %g, constant column std %g", z.mean[0],
          z.std[0], z.std[1]);
    CHECK(near(series_norm_apply(&z, 0, 100), 97.5 / sqrt(1.25)) &&
              near(series_norm_invert(&z, 0, series_norm_apply(&z, 0, 7)), 7) &&
              near(series_norm_apply(&z, 1, 0.1), 0),
          "apply and invert");
    series_norm_free(&z);
    /* From step 1 (what --difference leaves defined): 2, 3, 4. */
    CHECK(series_norm_fit(&s, 1, 4, &z) == RECUR_OK && near(z.mean[0], 3) &&
              near(z.std[0], sqrt(2.0 / 3.0)),
          "fit on [1, 4): mean %g std %g", z.mean[0], z.std[0]);
    series_norm_free(&z);
    CHECK(series_norm_fit(&s, 0, 0, &z) == RECUR_ERR_ARGUMENT &&
              series_norm_fit(&s, 2, 2, &z) == RECUR_ERR_ARGUMENT &&
              series_norm_fit(&s, 0, 6, &z) == RECUR_ERR_ARGUMENT && z.mean == NULL,
          "an empty range or one beyond the series");
    series_free(&s);
}

/* v = 10, 20, ..., 100 at steps 0..9 and a feature f = the step. */
static recur_status ten(series_data *s)
{
    char text[256] = "v,f\n";
    for (int t = 0; t < 10; t++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%d,%d\n",
                 10 * (t + 1), t);
    series_spec spec = {.target = "v", .features = (const char *[]){"f"},
                              .n_features = 1};
    return from_text(text, &spec, s);
}

static void windows(void)
{
    series_data s = {0};
    if (ten(&s)) {
        CHECK(0, "series: %s", recur_last_error());
        return;
    }
    /* Split 6 / 2 / 2, look-back 3, horizon 2. */
    window_set train, valid, test;
    CHECK(window_plan("train", 0, 6, 3, 2, &train) == RECUR_OK &&
              train.first == 3 && train.count == 2,
          "train plan: first %zu count %zu", train.first, train.count);
    CHECK(window_plan("validation", 6, 8, 3, 2, &valid) == RECUR_OK &&
              valid.first == 6 && valid.count == 1,
          "validation plan");
    CHECK(window_plan("test", 8, 10, 3, 2, &test) == RECUR_OK &&
              test.first == 8 && test.count == 1,
          "test plan");
    window_set w;
    CHECK(window_plan("test", 8, 10, 3, 3, &w) == RECUR_ERR_ARGUMENT &&
              strstr(recur_last_error(), "test part") &&
              strstr(recur_last_error(), "holds no window"),
          "too short a part: %s", recur_last_error());
    CHECK(window_plan("train", 0, 4, 3, 2, &w) == RECUR_ERR_ARGUMENT,
          "look-back eats the part");
    CHECK(window_plan("x", 0, 9, 0, 1, &w) == RECUR_ERR_ARGUMENT,
          "look-back 0");

    seq_data d = {0};
    CHECK(series_windows(&s, NULL, &train, &d) == RECUR_OK && d.n == 2 &&
              d.features == 2 && d.outputs == 2 && d.per_step == 0 &&
              d.tokens == NULL && d.label == NULL,
          "train windows: %s", recur_last_error());
    if (d.n == 2) {
        static const float x[2][3][2] = {{{10, 0}, {20, 1}, {30, 2}},
                                         {{20, 1}, {30, 2}, {40, 3}}};
        static const float y[2][2] = {{40, 50}, {50, 60}};
        int ok = d.offset[0] == 0 && d.offset[1] == 3 && d.offset[2] == 6;
        ok &= !memcmp(d.x, x, sizeof x) && !memcmp(d.y, y, sizeof y);
        CHECK(ok, "train windows by hand");
    }
    seq_data_free(&d);
    /* The test window looks back into validation and training. */
    CHECK(series_windows(&s, NULL, &test, &d) == RECUR_OK && d.n == 1 &&
              d.x[0] == 60 && d.x[1] == 5 && d.x[4] == 80 && d.x[5] == 7 &&
              d.y[0] == 90 && d.y[1] == 100,
          "test window by hand");
    seq_data_free(&d);

    /* Normalised with train's statistics (steps 0..5: v mean 35). */
    series_norm z = {0};
    CHECK(series_norm_fit(&s, 0, 6, &z) == RECUR_OK, "fit");
    double sd = sqrt((625 + 225 + 25) * 2 / 6.0), sdf = sqrt(17.5 / 6);
    CHECK(series_windows(&s, &z, &test, &d) == RECUR_OK &&
              near(z.mean[0], 35) && near(z.std[0], sd) &&
              fabsf(d.y[1] - (float)(65 / sd)) < 1e-6f &&
              fabsf(d.x[1] - (float)(2.5 / sdf)) < 1e-6f,
          "normalised test window: y %g want %g", d.n ? d.y[1] : 0, 65 / sd);
    seq_data_free(&d);
    series_norm_free(&z);

    window_set past = {.first = 9, .count = 1, .lookback = 3, .horizon = 2};
    CHECK(series_windows(&s, NULL, &past, &d) == RECUR_ERR_ARGUMENT &&
              d.x == NULL,
          "windows past the end");
    series_free(&s);
}

static void baselines(void)
{
    /* A season of 4 that climbs by one each season. */
    const char *text = "v\n1\n2\n3\n4\n2\n3\n4\n5\n3\n4\n5\n6\n";
    series_data s = {0};
    series_spec spec = {0};
    if (from_text(text, &spec, &s)) {
        CHECK(0, "series: %s", recur_last_error());
        return;
    }
    window_set w;
    CHECK(window_plan("test", 8, 12, 2, 2, &w) == RECUR_OK &&
              w.first == 8 && w.count == 3,
          "plan");
    double truth[6], naive[6], seasonal[6];
    CHECK(series_truth(&s, &w, truth) == RECUR_OK &&
              !memcmp(truth, (double[]){3, 4, 4, 5, 5, 6}, sizeof truth),
          "truth");
    CHECK(series_naive(&s, &w, naive) == RECUR_OK &&
              !memcmp(naive, (double[]){5, 5, 3, 3, 4, 4}, sizeof naive),
          "naive: the last value before each origin");
    /* Look-back 2 < m = 4: the series' history is used. */
    CHECK(series_seasonal_naive(&s, &w, 4, seasonal) == RECUR_OK &&
              !memcmp(seasonal, (double[]){2, 3, 3, 4, 4, 5}, sizeof seasonal),
          "seasonal naive, m = 4");

    forecast_metrics m;
    CHECK(forecast_metrics_compute(truth, naive, 6, &m) == RECUR_OK &&
              m.count == 6 && m.mape_skipped == 0 && near(m.mae, 9 / 6.0) &&
              near(m.rmse, sqrt(15 / 6.0)) &&
              near(m.mape, 100 / 6.0 * (2 / 3.0 + 1 / 4.0 + 1 / 4.0 + 2 / 5.0 +
                                        1 / 5.0 + 2 / 6.0)) &&
              near(m.mape, 35) &&
              near(m.smape, 200 / 6.0 * (2 / 8.0 + 1 / 9.0 + 1 / 7.0 +
                                         2 / 8.0 + 1 / 9.0 + 2 / 10.0)),
          "naive metrics: rmse %g mae %g mape %g smape %g", m.rmse, m.mae,
          m.mape, m.smape);
    CHECK(forecast_metrics_compute(truth, seasonal, 6, &m) == RECUR_OK &&
              near(m.mae, 1) && near(m.rmse, 1) && near(m.mape, 140 / 6.0),
          "seasonal metrics: mape %g", m.mape);

    /* Horizon 3 > m = 2 from origin 9: steps 9, 10 take 7, 8; step 11
     * takes 11 - 4 = 7, from the last season seen, not the unseen 9. */
    window_set w3 = {.first = 9, .count = 1, .lookback = 1, .horizon = 3};
    CHECK(series_seasonal_naive(&s, &w3, 2, seasonal) == RECUR_OK &&
              seasonal[0] == 5 && seasonal[1] == 3 && seasonal[2] == 5,
          "seasonal naive, horizon past the period: %g %g %g", seasonal[0],
          seasonal[1], seasonal[2]);
    window_set early = {.first = 2, .count = 1, .lookback = 2, .horizon = 1};
    CHECK(series_seasonal_naive(&s, &early, 4, seasonal) ==
                  RECUR_ERR_ARGUMENT &&
              strstr(recur_last_error(), "period 4"),
          "too little history: %s", recur_last_error());
    CHECK(series_seasonal_naive(&s, &w, 0, seasonal) == RECUR_ERR_ARGUMENT,
          "period 0");
    series_free(&s);
}

static void metric_edges(void)
{
    forecast_metrics m;
    /* Zero actuals: MAPE skips them; sMAPE's 0/0 term is 0. */
    CHECK(forecast_metrics_compute((double[]){0, 2, 0},
                                         (double[]){1, 1, 0}, 3, &m) == RECUR_OK &&
              m.mape_skipped == 2 && near(m.mape, 50) &&
              near(m.smape, (200 + 200 / 3.0 + 0) / 3),
          "zeros: mape %g (%zu skipped) smape %g", m.mape, m.mape_skipped,
          m.smape);
    CHECK(forecast_metrics_compute((double[]){0, 0}, (double[]){0, 3}, 2,
                                         &m) == RECUR_OK &&
              isnan(m.mape) && m.mape_skipped == 2 && near(m.smape, 100) &&
              near(m.mae, 1.5),
          "all actuals zero: mape NaN");
    CHECK(forecast_metrics_compute((double[]){1}, (double[]){-1}, 1, &m) ==
                  RECUR_OK &&
              near(m.smape, 200) && near(m.mape, 200),
          "opposite signs: smape 200");
    CHECK(forecast_metrics_compute((double[]){1}, (double[]){1}, 0, &m) ==
              RECUR_ERR_ARGUMENT,
          "n = 0");
}

/* The forecast CSV as a string (caller frees), or NULL on failure. */
static char *write_csv(const series_data *s, const window_set *w,
                       const double *fc, const double *nv, const double *sn)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;
    recur_status st = forecast_csv_write(f, "mem", s, w, fc, nv, sn);
    fclose(f);
    if (st) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void forecast_csv(void)
{
    series_data s = {0};
    series_spec spec = {.target = "v", .date = "d"};
    if (from_text("d,v\na,1\n\"b,2\",2\nc,3\nd,4.5\n", &spec, &s)) {
        CHECK(0, "series: %s", recur_last_error());
        return;
    }
    window_set w = {.first = 2, .count = 2, .lookback = 1, .horizon = 1};
    double fc[2] = {2.5, 0.125}, nv[2] = {2, 3};
    char *buf = write_csv(&s, &w, fc, nv, NULL);
    CHECK(buf && !strcmp(buf, "index,date,actual,forecast,naive\n"
                              "2,c,3,2.5,2\n"
                              "3,d,4.5,0.125,3\n"),
          "one-step CSV:\n%s", buf ? buf : "(none)");
    free(buf);

    w = (window_set){.first = 1, .count = 2, .lookback = 1, .horizon = 2};
    double fc2[4] = {1, 2, 3, 4}, nv2[4] = {1, 1, 2, 2}, sn[4] = {5, 6, 7, 8};
    buf = write_csv(&s, &w, fc2, nv2, sn);
    CHECK(buf && !strcmp(buf, "index,date,step,actual,forecast,naive,seasonal_naive\n"
                              "1,\"b,2\",1,2,1,1,5\n"
                              "2,c,2,3,2,1,6\n"
                              "2,c,1,3,3,2,7\n"
                              "3,d,2,4.5,4,2,8\n"),
          "multi-step CSV:\n%s", buf ? buf : "(none)");
    free(buf);
    series_free(&s);
}

static void airline(void)
{
    const char *dir = getenv("RECUR_DATA");
    char path[512];
    snprintf(path, sizeof path, "%s/timeseries/airline-passengers.csv",
             dir && *dir ? dir : "data");
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return; /* not here: skipped */
    fclose(probe);
    series_data s = {0};
    series_spec spec = {.target = "Passengers", .date = "Month"};
    recur_status st = series_read(path, &spec, &s);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t t = 0; !st && t < s.n; t++) {
        lo = fmin(lo, s.value[t]);
        hi = fmax(hi, s.value[t]);
    }
    CHECK(st == RECUR_OK && s.n == 144 && s.value[0] == 112 &&
              s.value[143] == 432 && lo == 104 && hi == 622 &&
              !strcmp(s.date[0], "1949-01") && !strcmp(s.date[143], "1960-12") &&
              s.line[143] == 145,
          "airline: %s, %zu values", recur_last_error(), s.n);
    /* The last 24 months one step ahead; the RMSEs as computed
     * independently in Python from the same file. */
    window_set w;
    double truth[24], naive[24], seasonal[24];
    forecast_metrics mn = {0}, ms = {0};
    int ok = !st && !window_plan("test", 120, 144, 12, 1, &w) &&
             w.count == 24 && !series_truth(&s, &w, truth) &&
             !series_naive(&s, &w, naive) &&
             !series_seasonal_naive(&s, &w, 12, seasonal) &&
             !forecast_metrics_compute(truth, naive, 24, &mn) &&
             !forecast_metrics_compute(truth, seasonal, 24, &ms);
    CHECK(ok && near(mn.rmse, 51.781994940326506) && near(mn.mae, 44.208333333333336) &&
              near(ms.rmse, 49.98666488841466) && near(ms.smape, 11.166612762539101),
          "airline baselines: naive rmse %g, seasonal rmse %g", mn.rmse, ms.rmse);
    series_free(&s);
}

void test_series(void)
{
    missing_values();
    numbers();
    calendar();
    split();
    normalisation();
    windows();
    baselines();
    metric_edges();
    forecast_csv();
    airline();
}
