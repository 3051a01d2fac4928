/*
 * test_output.c — what the CLI tells its user about a result, checked
 * through the `recur` binary ($RECUR_BIN, spawn.h) on small generated data
 * in a scratch directory:
 *   - word models say tokens, not characters (training header, loss plot),
 *     and report the out-of-vocabulary share beside every word-level figure:
 *     validation words absent from the training text (header, --json),
 *     tokens read as <unk> by eval (text and --json) and in a sample's
 *     prime, each with a warning line above 5 % and none at 0;
 *   - a forecaster or classifier says plainly whether it beats its better
 *     baseline on the test part ("result: ..." and --json beats_baseline):
 *     a purely seasonal series, which the seasonal-naive forecast predicts
 *     exactly, cannot be beaten; an alternating one, on which the naive
 *     forecast is always wrong by the full swing, is; a classifier's
 *     verdict agrees with its accuracy, the bag-of-words baseline's and the
 *     majority class's;
 *   - a loss plot whose values span a factor of 5 or more has a logarithmic
 *     y axis (its ticks' pixel heights linear in the logarithm of their
 *     labels, "(log scale)" in the label); one spanning less keeps a linear
 *     axis;
 *   - a forecaster trained with --date remembers the dates' step and last
 *     date (__metadata__ date_step, date_last): its plots label the x axis
 *     with dates, and predict's CSV dates its forecasts ("date,forecast",
 *     1960-12 then 1961-01...), monthly ("YYYY-MM") and daily
 *     ("YYYY-MM-DD"); dates without a constant step fall back to step
 *     numbers, and both train and predict say so.
 */
#include "data/dates.h"
#include "data/words.h"
#include "io/safetensors.h"
#include "scratch.h"
#include "spawn.h"
#include "test.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define END ((const char *)NULL)

/* Writes `lines` copies of line (which ends in '\n') to scratch/name. */
static const char *write_lines(char *path, size_t size, const char *name,
                               const char *line, size_t lines)
{
    in_scratch(path, size, name);
    size_t len = strlen(line);
    char *text = malloc(len * lines + 1);
    for (size_t i = 0; text && i < lines; i++)
        memcpy(text + i * len, line, len);
    CHECK(text && spawn_write_file(path, text, len * lines), "cannot write %s",
          path);
    free(text);
    return path;
}

/* Runs the command; it must exit 0. Free the result. */
static spawn_result run_ok(const char *what, const spawn_args *a)
{
    spawn_result r = spawn_recur(capture, a->v);
    CHECK(r.status == 0 && r.out && r.err, "%s: exit status %d; stderr: %s",
          what, r.status, r.err ? r.err : "");
    return r;
}

static int has(const char *text, const char *needle)
{
    return text && strstr(text, needle) != NULL;
}

/* The last line of out that starts with '{', parsed (caller decrefs). */
static json_t *last_json(const char *what, const char *out)
{
    const char *at = NULL;
    for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "")
        if (*p == '{')
            at = p;
    json_error_t error;
    json_t *o = at ? json_loadb(at, strcspn(at, "\n"), 0, &error) : NULL;
    CHECK(json_is_object(o), "%s: no JSON object on stdout: %s", what,
          out ? out : "");
    return o;
}

static double json_num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* ------------------------------------------------------------------------ */
/* Word models: tokens and out-of-vocabulary words                           */

/* The library's count, on a vocabulary with and without <unk>. */
static void count_missing(void)
{
    word_list w = {0}, other = {0};
    word_vocab *v = NULL;
    const char *train = "the cat <unk>\nthe dog\n", *text = "the yak <unk> zebu\n";
    CHECK(words_split((const unsigned char *)train, strlen(train), "t", &w) ==
                  RECUR_OK &&
              word_vocab_build(&w, &v) == RECUR_OK &&
              words_split((const unsigned char *)text, strlen(text), "o",
                          &other) == RECUR_OK,
          "words: %s", recur_last_error());
    /* "yak" and "zebu"; a written "<unk>" is in the vocabulary. */
    CHECK(word_vocab_count_missing(v, &other) == 2,
          "word_vocab_count_missing: %zu, expected 2",
          word_vocab_count_missing(v, &other));
    CHECK(word_vocab_count_missing(v, &w) == 0,
          "the training words are all in their vocabulary");
    word_vocab_free(v);
    words_free(&w);
    words_free(&other);
}

void test_cli_output_words(void)
{
    count_missing();
    if (!scratch_open("recur-output"))
        return;
    char train[300], val[300], other[300], model[300], svg[300];
    /* 5 tokens a validation line ("zebra" unseen): 20 of 100 tokens. */
    write_lines(train, sizeof train, "train.txt",
                "the cat sat on the mat <unk>\nthe dog ran to the cat\n", 60);
    write_lines(val, sizeof val, "val.txt", "the cat zebra sat\n", 20);
    /* 4 tokens a line, "yak" unseen: 10 of 40 read as <unk>. */
    write_lines(other, sizeof other, "other.txt", "the dog yak\n", 10);
    in_scratch(model, sizeof model, "w.safetensors");
    spawn_args a = {{NULL}, 0};
    spawn_args_add(&a, "train", "--task", "wordlm", "--data", train,
                   "--val-data", val, "--hidden", "8", "--layers", "1",
                   "--embed", "4", "--batch", "2", "--seq-len", "5",
                   "--epochs", "1", "--threads", "1", "--json", "--save",
                   model, END);
    spawn_result r = run_ok("train --task wordlm", &a);
    CHECK(has(r.err, "validation tokens (words and <eos>)") &&
              !has(r.err, "characters"),
          "wordlm header counts characters: %s", r.err ? r.err : "");
    CHECK(has(r.err, "out of vocabulary: 20 of the 100 validation tokens "
                     "(20.00 %)"),
          "wordlm header: no validation OOV count: %s", r.err ? r.err : "");
    CHECK(has(r.err, "recur train: warning: 20.0 %"),
          "wordlm: no warning for 20 %% OOV validation: %s",
          r.err ? r.err : "");
    json_t *o = r.out ? last_json("train --json", r.out) : NULL;
    CHECK(json_num(o, "val_oov_tokens") == 20 &&
              fabs(json_num(o, "val_oov_rate") - 0.2) < 1e-9,
          "train --json: val_oov_tokens %g, val_oov_rate %g",
          json_num(o, "val_oov_tokens"), json_num(o, "val_oov_rate"));
    json_decref(o);
    spawn_result_free(&r);
    char *plot = spawn_read_file(in_scratch(svg, sizeof svg, "w.loss.svg"), NULL);
    CHECK(has(plot, ">Loss per word<") && has(plot, "nats per word") &&
              !has(plot, "character"),
          "wordlm loss plot: not titled per word");
    free(plot);

    /* eval: text and --json, a warning above 5 %, none at 0. */
    spawn_args e = {{NULL}, 0};
    spawn_args_add(&e, "eval", "--model", model, "--data", other, END);
    r = run_ok("eval of a text with unseen words", &e);
    CHECK(has(r.out, "out of vocabulary: 10 of 40 tokens (25.00 %) read as "
                     "<unk>"),
          "eval: no OOV count: %s", r.out ? r.out : "");
    CHECK(has(r.err, "recur eval: warning: 25.0 %"), "eval: no OOV warning: %s",
          r.err ? r.err : "");
    spawn_result_free(&r);
    spawn_args_add(&e, "--json", END);
    r = run_ok("eval --json", &e);
    o = r.out ? last_json("eval --json", r.out) : NULL;
    CHECK(json_num(o, "oov_tokens") == 10 &&
              fabs(json_num(o, "oov_rate") - 0.25) < 1e-9,
          "eval --json: oov_tokens %g, oov_rate %g", json_num(o, "oov_tokens"),
          json_num(o, "oov_rate"));
    json_decref(o);
    spawn_result_free(&r);
    spawn_args k = {{NULL}, 0};
    spawn_args_add(&k, "eval", "--model", model, "--data", train, END);
    r = run_ok("eval of the training text", &k);
    CHECK(has(r.out, "out of vocabulary: 0 of 900 tokens (0.00 %)") &&
              !has(r.err, "warning"),
          "eval of the training text: %s / %s", r.out ? r.out : "",
          r.err ? r.err : "");
    spawn_result_free(&r);

    /* sample: the prime's unseen words named, nothing for a known prime. */
    spawn_args s = {{NULL}, 0};
    spawn_args_add(&s, "sample", "--model", model, "--prime", "the yak sat",
                   "--length", "3", END);
    r = run_ok("sample with an unseen prime word", &s);
    CHECK(has(r.err, "out of vocabulary: 1 of its 3 tokens (33.3 %) read as "
                     "<unk>: 'yak'") && has(r.err, "warning"),
          "sample: prime OOV not reported: %s", r.err ? r.err : "");
    spawn_result_free(&r);
    spawn_args q = {{NULL}, 0};
    spawn_args_add(&q, "sample", "--model", model, "--prime", "the cat",
                   "--length", "3", END);
    r = run_ok("sample with a known prime", &q);
    CHECK(r.err && !has(r.err, "vocabulary"), "sample: a known prime gave: %s",
          r.err ? r.err : "");
    spawn_result_free(&r);
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* Results against baselines                                                 */

/* A CSV "t,y" of n steps, y = value(i). */
static const char *write_series(char *path, size_t size, const char *name,
                                size_t n, double (*value)(size_t))
{
    in_scratch(path, size, name);
    FILE *f = fopen(path, "w");
    for (size_t i = 0; f && i <= n; i++) {
        if (i == 0)
            fputs("t,y\n", f);
        else
            fprintf(f, "%zu,%.6f\n", i - 1, value(i - 1));
    }
    CHECK(f && fclose(f) == 0, "cannot write %s", path);
    return path;
}

static double seasonal_value(size_t i)
{
    static const double season[12] = {3, 5, 4, 9, 12, 15, 14, 11, 8, 6, 4, 2};
    return 100 + season[i % 12];
}

static double alternating_value(size_t i) { return i % 2 ? 10 : 0; }

/* A forecast run's summary and --json: the verdict against the better
 * baseline (baseline_name in JSON). */
static void check_forecast(const char *data, const char *season, int want_beats,
                           const char *baseline_name, const char *line)
{
    char model[300];
    in_scratch(model, sizeof model, "f.safetensors");
    spawn_args a = {{NULL}, 0};
    spawn_args_add(&a, "train", "--task", "forecast", "--data", data,
                   "--target", "y", "--lookback", "4", "--season", season,
                   "--test", "24", "--val", "12", "--hidden", "8", "--epochs",
                   "30", "--threads", "1", "--quiet", "--save", model, END);
    spawn_result r = run_ok("train --task forecast", &a);
    CHECK(has(r.out, line), "forecast summary without '%s': %s", line,
          r.out ? r.out : "");
    spawn_result_free(&r);
    spawn_args_add(&a, "--json", END);
    r = run_ok("train --task forecast --json", &a);
    json_t *o = r.out ? last_json("forecast --json", r.out) : NULL;
    const json_t *beats = json_object_get(o, "beats_baseline");
    const char *name = json_string_value(json_object_get(o, "baseline"));
    CHECK(json_is_boolean(beats) && json_is_true(beats) == want_beats &&
              name && !strcmp(name, baseline_name),
          "forecast --json: beats_baseline %s, baseline %s; expected %s, %s",
          json_is_true(beats) ? "true" : "false", name ? name : "(none)",
          want_beats ? "true" : "false", baseline_name);
    double rmse = json_num(o, "rmse"), base = json_num(o, "baseline_rmse");
    CHECK(want_beats ? rmse < base : !(rmse < base),
          "forecast --json: rmse %g, baseline_rmse %g", rmse, base);
    json_decref(o);
    spawn_result_free(&r);
}

void test_cli_output_baselines(void)
{
    if (!scratch_open("recur-output"))
        return;
    char data[300], reviews[300], model[300];
    /* Exactly seasonal: the seasonal-naive error is 0. */
    write_series(data, sizeof data, "seasonal.csv", 120, seasonal_value);
    check_forecast(data, "12", 0, "seasonal_naive",
                   "the seasonal-naive baseline on the test part (RMSE ");
    /* Alternating 0, 10: the naive forecast is off by 10 every time, the
     * mean alone by 5. */
    write_series(data, sizeof data, "alternating.csv", 120, alternating_value);
    check_forecast(data, "0", 1, "naive",
                   "result: better than the naive baseline on the test part");

    /* classify: the verdict agrees with the figures. */
    in_scratch(reviews, sizeof reviews, "reviews.tsv");
    FILE *f = fopen(reviews, "w");
    static const char *const words[] = {"good", "bad", "fine", "poor", "film"};
    for (size_t i = 0; f && i < 300; i++)
        fprintf(f, "%d\t%s %s %s\n", (int)(i % 3 == 0), words[i % 5],
                words[(i * 7) % 5], words[(i / 3) % 5]);
    CHECK(f && fclose(f) == 0, "cannot write %s", reviews);
    in_scratch(model, sizeof model, "c.safetensors");
    spawn_args a = {{NULL}, 0};
    spawn_args_add(&a, "train", "--task", "classify", "--data", reviews,
                   "--hidden", "4", "--embed", "4", "--epochs", "2",
                   "--threads", "1", "--quiet", "--save", model, END);
    spawn_result r = run_ok("train --task classify", &a);
    CHECK(has(r.out, "majority class (0, the most frequent in training): "
                     "accuracy ") && has(r.out, "\nresult: "),
          "classify summary: %s", r.out ? r.out : "");
    spawn_result_free(&r);
    spawn_args_add(&a, "--json", END);
    r = run_ok("train --task classify --json", &a);
    json_t *o = r.out ? last_json("classify --json", r.out) : NULL;
    double acc = json_num(o, "accuracy"), bow = json_num(o, "bow_accuracy"),
           major = json_num(o, "majority_accuracy");
    const char *name = json_string_value(json_object_get(o, "baseline"));
    /* 200 of the 300 are class 0; the test part is stratified. */
    CHECK(fabs(major - 2.0 / 3.0) < 0.02, "majority_accuracy %g", major);
    CHECK(name && !strcmp(name, bow > major ? "bow" : "majority") &&
              json_num(o, "baseline_accuracy") == (bow > major ? bow : major),
          "classify --json: baseline %s (bow %g, majority %g)",
          name ? name : "(none)", bow, major);
    CHECK(json_is_true(json_object_get(o, "beats_baseline")) ==
              (acc > (bow > major ? bow : major)),
          "classify --json: beats_baseline disagrees with accuracy %g", acc);
    json_decref(o);
    spawn_result_free(&r);
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* Loss plots                                                                */

/* The y ticks of a plot.c chart: the labels of the group anchored at the
 * end (the y axis), as (pixel height, value). Returns how many. */
static size_t y_ticks(const char *svg, double *y, double *v, size_t max)
{
    const char *g = svg ? strstr(svg, "text-anchor=\"end\">") : NULL;
    const char *end = g ? strstr(g, "</g>") : NULL;
    size_t n = 0;
    for (const char *p = g; p && p < end && n < max; p++) {
        p = strstr(p, "<text x=\"");
        if (!p || p > end)
            break;
        double x;
        if (sscanf(p, "<text x=\"%lf\" y=\"%lf\">%lf<", &x, &y[n], &v[n]) == 3)
            n++;
    }
    return n;
}

/* 1 when the ticks' heights are linear in log10 of their values (to a
 * pixel), 0 when linear in the values, -1 when neither or too few. */
static int tick_scale(const double *y, const double *v, size_t n)
{
    if (n < 3)
        return -1;
    int lin = 1, lg = 1;
    for (size_t i = 2; i < n; i++) {
        double a = (y[i] - y[0]) / (v[i] - v[0]), b = (y[1] - y[0]) / (v[1] - v[0]);
        lin &= fabs(a - b) * fabs(v[i] - v[0]) < 1.0;
        double c = (y[i] - y[0]) / log10(v[i] / v[0]),
               d = (y[1] - y[0]) / log10(v[1] / v[0]);
        lg &= v[0] > 0 && fabs(c - d) * fabs(log10(v[i] / v[0])) < 1.0;
    }
    return lg && !lin ? 1 : lin && !lg ? 0 : -1;
}

void test_cli_output_plot(void)
{
    if (!scratch_open("recur-output"))
        return;
    char data[300], model[300], svg[300];
    double y[16], v[16];
    /* The alternating series: the training MSE falls from about 1 to
     * nearly 0, a factor well above 5. */
    write_series(data, sizeof data, "alternating.csv", 120, alternating_value);
    in_scratch(model, sizeof model, "f.safetensors");
    spawn_args a = {{NULL}, 0};
    spawn_args_add(&a, "train", "--task", "forecast", "--data", data,
                   "--target", "y", "--lookback", "4", "--test", "24", "--val",
                   "12", "--hidden", "8", "--epochs", "30", "--threads", "1",
                   "--quiet", "--save", model, END);
    spawn_result r = run_ok("train --task forecast", &a);
    spawn_result_free(&r);
    char *plot = spawn_read_file(in_scratch(svg, sizeof svg, "f.loss.svg"), NULL);
    size_t n = y_ticks(plot, y, v, 16);
    CHECK(has(plot, "mean loss (log scale)") && tick_scale(y, v, n) == 1,
          "a loss falling by more than 5x: no log axis (%zu ticks, scale %d)",
          n, tick_scale(y, v, n));
    free(plot);
    /* A word model's first epoch: the loss falls by less than 5x. */
    write_lines(data, sizeof data, "t.txt", "the cat sat on the mat\n", 40);
    in_scratch(model, sizeof model, "w.safetensors");
    spawn_args w = {{NULL}, 0};
    spawn_args_add(&w, "train", "--task", "wordlm", "--data", data, "--hidden",
                   "8", "--layers", "1", "--embed", "4", "--batch", "2",
                   "--seq-len", "5", "--epochs", "1", "--threads", "1",
                   "--save", model, END);
    r = run_ok("train --task wordlm", &w);
    spawn_result_free(&r);
    plot = spawn_read_file(in_scratch(svg, sizeof svg, "w.loss.svg"), NULL);
    n = y_ticks(plot, y, v, 16);
    CHECK(plot && !has(plot, "log scale") && tick_scale(y, v, n) == 0,
          "a loss within a factor of 5: not a linear axis (%zu ticks, scale %d)",
          n, tick_scale(y, v, n));
    free(plot);
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* Dated forecasts                                                           */

/* A CSV "when,y" of n steps from the dates first + k step, y seasonal. */
static const char *write_dated(char *path, size_t size, const char *name,
                               size_t n, const char *first, long months,
                               long days)
{
    in_scratch(path, size, name);
    FILE *f = fopen(path, "w");
    date_step st = {months, days};
    for (size_t i = 0; f && i <= n; i++) {
        char when[32];
        if (i == 0) {
            fputs("\"when\",\"y\"\n", f);
            continue;
        }
        CHECK(date_step_add(&st, first, (long)i - 1, when, sizeof when) ==
                  RECUR_OK, "date %zu: %s", i, recur_last_error());
        fprintf(f, "\"%s\",%.4f\n", when, seasonal_value(i - 1));
    }
    CHECK(f && fclose(f) == 0, "cannot write %s", path);
    return path;
}

static const char *meta(const char *model, const char *key, char *buf,
                        size_t size)
{
    int found = 0;
    buf[0] = '\0';
    if (st_peek_meta(model, key, buf, size, &found) != RECUR_OK || !found)
        buf[0] = '\0';
    return buf;
}

/* The x tick labels of a plot.c chart (the first group anchored in the
 * middle): 1 when there are at least 3 and each is a date of `len`
 * characters (7: "YYYY-MM", and then each the first month of a quarter:
 * ticks 3, 6 or 12 months apart from January; 10: "YYYY-MM-DD"), or
 * with len 0 a number. */
static int x_ticks_are(const char *svg, size_t len)
{
    const char *g = svg ? strstr(svg, "fill=\"#333\" text-anchor=\"middle\">") : NULL;
    const char *end = g ? strstr(g, "</g>") : NULL;
    size_t n = 0;
    int ok = g && end;
    for (const char *p = g; ok && (p = strstr(p, "<text ")) && p < end; p++) {
        char label[64];
        const char *at = strchr(p, '>');
        size_t k = at ? strcspn(at + 1, "<") : sizeof label;
        if (k == 0 || k >= sizeof label)
            return 0;
        memcpy(label, at + 1, k);
        label[k] = '\0';
        date_ymd d;
        if (len)
            ok = strlen(label) == len && !date_parse(label, &d) &&
                 (len != 7 || (d.month - 1) % 3 == 0);
        else
            ok = label[strspn(label, "0123456789")] == '\0';
        n++;
    }
    return ok && n >= 3;
}

/* Lines of text. */
static size_t lines(const char *text)
{
    size_t n = 0;
    for (; text && *text; text++)
        n += *text == '\n';
    return n;
}

/* Trains on data (with --date when), then predicts 3 steps; the CSV must
 * start with `want`, the plots' x axes be labelled with dates of `len`
 * characters (0: numbers). */
static void check_dated(const char *data, const char *step, const char *last,
                        const char *want, size_t len)
{
    char model[300], svg[300], buf[256];
    in_scratch(model, sizeof model, "d.safetensors");
    spawn_args a = {{NULL}, 0};
    spawn_args_add(&a, "train", "--task", "forecast", "--data", data, "--date",
                   "when", "--target", "y", "--lookback", "4", "--horizon", "3",
                   "--test", "24", "--val", "12", "--hidden", "4", "--epochs",
                   "2", "--threads", "1", "--quiet", "--save", model, END);
    spawn_result r = run_ok("train --task forecast --date", &a);
    CHECK(*step ? !has(r.err, "number the steps")
                : has(r.err, "recur train: --date when: the dates are not at "
                             "a constant step"),
          "train --date (step '%s'): %s", step, r.err ? r.err : "");
    spawn_result_free(&r);
    CHECK(!strcmp(meta(model, "date_step", buf, sizeof buf), step),
          "date_step '%s', expected '%s'", buf, step);
    CHECK(!strcmp(meta(model, "date_last", buf, sizeof buf), last),
          "date_last '%s', expected '%s'", buf, last);
    char *plot = spawn_read_file(in_scratch(svg, sizeof svg, "d.forecast.svg"),
                                 NULL);
    CHECK(x_ticks_are(plot, len) &&
              has(plot, len ? ">when</text>" : ">step</text>"),
          "forecast plot: x labels not %s", len ? "dates" : "numbers");
    free(plot);

    in_scratch(svg, sizeof svg, "next.svg");
    spawn_args p = {{NULL}, 0};
    spawn_args_add(&p, "predict", "--model", model, "--data", data, "--plot",
                   svg, END);
    r = run_ok("predict", &p);
    CHECK(r.out && !strncmp(r.out, want, strlen(want)) && lines(r.out) == 4,
          "predict CSV: %s; expected 3 rows from %s", r.out ? r.out : "", want);
    CHECK(*step ? !has(r.err, "numbered by step")
                : has(r.err, "recur predict: the forecasts are numbered by "
                             "step, not dated"),
          "predict stderr: %s", r.err ? r.err : "");
    spawn_result_free(&r);
    plot = spawn_read_file(svg, NULL);
    CHECK(x_ticks_are(plot, len), "predict plot: x axis not %s",
          len ? "dates" : "numbers");
    free(plot);
}

void test_cli_output_dates(void)
{
    if (!scratch_open("recur-output"))
        return;
    char data[300];
    /* 120 months to 1960-12: forecasts 1961-01..03; ticks on Januaries
     * and Julys. */
    write_dated(data, sizeof data, "monthly.csv", 120, "1951-01", 1, 0);
    check_dated(data, "P1M", "1960-12",
                "date,forecast\n1961-01,1", 7);
    /* Daily to 2020-12-29: 2020-12-30, 2020-12-31, 2021-01-01. */
    write_dated(data, sizeof data, "daily.csv", 120, "2020-09-01", 0, 1);
    check_dated(data, "P1D", "2020-12-29", "date,forecast\n2020-12-30,1", 10);
    /* Irregular dates: step numbers, said. */
    in_scratch(data, sizeof data, "irregular.csv");
    FILE *f = fopen(data, "w");
    for (size_t i = 0; f && i <= 120; i++) {
        if (i == 0)
            fputs("when,y\n", f);
        else
            fprintf(f, "%04zu-%02zu,%.4f\n", 1900 + i / 7, 1 + i % 7,
                    seasonal_value(i));
    }
    CHECK(f && fclose(f) == 0, "cannot write %s", data);
    check_dated(data, "", "1917-02", "step,forecast\n120,1", 0);
    scratch_close();
}
