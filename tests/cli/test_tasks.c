/*
 * test_tasks.c — the supervised tasks end to end through the `recur`
 * binary ($RECUR_BIN, through spawn.h), on small generated inputs in a
 * scratch directory and tiny models (--hidden 8, a few epochs, one thread):
 *   - classify: TSV (label first) and CSV (label last, quoted text with
 *     commas, a header) of an easy rule (a text with "good" is class 1);
 *     train --json (accuracy, the bag-of-words baseline, counts), the
 *     checkpoint, metrics log and plot; eval of the test file gives the
 *     training run's test figures; predict (header, one line per input,
 *     probabilities summing to 1, the label their argmax); --tokens char;
 *     refusals naming file and line (invalid UTF-8, an unseen label, no
 *     TAB, an empty label, a NUL byte) with nothing written;
 *   - forecast: a CSV (sine + trend, quoted dates, CRLF); train --json
 *     with the seasonal baseline, the forecast CSV (one row per test value,
 *     its actual column the file's values) and plots; the recursive
 *     strategy over 3 steps; predict; missing values refused or
 *     interpolated; --features with --strategy recursive refused;
 *   - music: a piano-roll directory of a repeating chord pattern; train
 *     --json (NLL below the untrained model's), eval gives train's
 *     test_nll, sample (MIDI file, one piano-roll line of prime + steps
 *     frames starting with the prime, the same for the same seed);
 *     refusals (a note out of range, a piece beyond the file,
 *     --bidirectional);
 *   - a model of one task given to another task's command is refused;
 *   - --help of every command of every task lists each of its options.
 */
#include "data/pianoroll.h"
#include "io/safetensors.h"
#include "scratch.h"
#include "spawn.h"
#include "task_run.h"
#include "test.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------------ */
/* classify                                                                  */

typedef enum { TSV_LABEL_FIRST, CSV_LABEL_LAST } review_layout;

/* n reviews of a few filler words with "good" (class 1, or "pos") or "bad"
 * (class 0, "neg") somewhere among them, alternating; deterministic from
 * seed. The CSV has a header, and every third text is quoted, with a comma
 * and a doubled quote inside. */
static int write_reviews(const char *path, size_t n, uint64_t seed,
                         review_layout layout)
{
    static const char *const filler[] = {"the", "a", "movie", "was", "really",
                                         "quite", "very", "plot", "story",
                                         "film", "acting"};
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    if (layout == CSV_LABEL_LAST)
        fputs("review,sentiment\n", f);
    for (size_t i = 0; i < n; i++) {
        int good = i % 2;
        char text[256] = "";
        size_t at = (seed >> 7) % 5;
        for (size_t w = 0; w < 5; w++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            const char *word = w == at ? (good ? "good" : "bad")
                                       : filler[(seed >> 33) % 11];
            snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s",
                     w ? (w == 2 && i % 3 == 0 ? ", " : " ") : "", word);
        }
        if (layout == TSV_LABEL_FIRST)
            fprintf(f, "%d\t%s\n", good, text);
        else if (i % 3 == 0)
            fprintf(f, "\"%s \"\"quoted\"\"\",%s\n", text, good ? "pos" : "neg");
        else
            fprintf(f, "%s,%s\n", text, good ? "pos" : "neg");
    }
    return fclose(f) == 0;
}

/* Runs c, then the extra arguments, and returns its --json object (NULL
 * when it failed). */
static json_t *train_json(const char *what, cmdline *c, va_list extra)
{
    for (const char *s; (s = va_arg(extra, const char *)) != NULL;)
        push(c, s, END);
    spawn_result r = task_run_ok(what, c);
    json_t *o = r.out ? task_json_line(what, r.out) : NULL;
    spawn_result_free(&r);
    return o;
}

/* Trains a classifier on data (extra arguments up to END) for 20 epochs,
 * --patience 0 so that the log has every one; returns the --json object
 * (NULL when it failed). */
static json_t *train_classifier(const char *what, const char *data,
                                const char *model, ...)
{
    /* What a run killed in a save left (removed at the start) beside what
     * is not ours (kept). */
    char stale[300], kept[300];
    snprintf(stale, sizeof stale, "%s.tmp.Qw3rt9", model);
    snprintf(kept, sizeof kept, "%s.tmp.keep-me", model);
    CHECK(spawn_write_file(stale, "half", 4) && spawn_write_file(kept, "ours", 4),
          "cannot plant temporary files beside %s", model);
    cmdline c = {{NULL}, 0};
    push(&c, "train", "--task", "classify", "--data", data, TINY, "--embed",
         "8", "--epochs", "20", "--patience", "0", "--lr", "0.03", "--batch",
         "8", "--save", model, "--json", END);
    va_list ap;
    va_start(ap, model);
    json_t *o = train_json(what, &c, ap);
    va_end(ap);
    if (o)
        task_check_files(model, 20);
    CHECK(!spawn_exists(stale), "%s: train --task classify left the stale %s",
          what, stale);
    CHECK(spawn_exists(kept), "%s: train --task classify removed %s", what, kept);
    remove(kept);
    return o;
}

/* One row of predict's output: the label and p(0), p(1). */
static int predict_row(char *line, char **label, double p[2])
{
    char *tab = strchr(line, '\t'), *end;
    if (!tab)
        return 0;
    *tab = '\0';
    *label = line;
    p[0] = strtod(tab + 1, &end);
    if (*end != '\t')
        return 0;
    p[1] = strtod(end + 1, &end);
    return *end == '\0';
}

/* predict on lines whose class is known (a text with "good" is 1). */
static void check_predict(const char *model)
{
    static const char *const texts[] = {"the good movie", "a bad plot",
                                        "really good acting", "", "bad bad",
                                        "unheard-of words only"};
    const size_t n = sizeof texts / sizeof *texts;
    char input[400], all[512] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(all + strlen(all), sizeof all - strlen(all), "%s\n", texts[i]);
    if (!write_text(in_scratch(input, sizeof input, "predict.txt"), all))
        return;
    cmdline c = {{NULL}, 0};
    push(&c, "predict", "--model", model, "--data", input, END);
    spawn_result r = task_run_ok("predict", &c);
    if (!r.out)
        return;
    char *line[16];
    size_t lines = task_split_lines(r.out, line, 16), bad = 0, wrong = 0;
    CHECK(lines == n + 1 && !strcmp(line[0], "label\tp(0)\tp(1)"),
          "predict: %zu lines, expected the header 'label\\tp(0)\\tp(1)' and "
          "%zu rows", lines, n);
    for (size_t i = 1; i < lines && i <= n; i++) {
        char *label;
        double p[2];
        int ok = predict_row(line[i], &label, p);
        bad += !ok || fabs(p[0] + p[1] - 1) > 2e-4 ||
               strcmp(label, p[1] > p[0] ? "1" : "0") != 0;
        if (ok && (strstr(texts[i - 1], "good") || strstr(texts[i - 1], "bad")))
            wrong += strcmp(label, strstr(texts[i - 1], "good") ? "1" : "0") != 0;
    }
    CHECK(bad == 0, "predict: %zu rows whose probabilities do not sum to 1 or "
          "whose label is not their argmax", bad);
    CHECK(wrong == 0, "predict: %zu of the easy texts misclassified", wrong);
    spawn_result_free(&r);

    /* An invalid UTF-8 byte on line 3 (at byte 29 of the input). */
    char bad_input[400];
    in_scratch(bad_input, sizeof bad_input, "predict-latin1.txt");
    if (!write_text(bad_input, "the good movie\na bad plot\ncaf\xe9 good\n"))
        return;
    cmdline b = {{NULL}, 0};
    push(&b, "predict", "--model", model, "--data", bad_input, END);
    task_refusal("predict, invalid UTF-8", &b, 1, bad_input, "line 3, byte 29",
                   "UTF-8", END);
}

/* Files with one defect on line 5 each; training on them must be refused
 * naming the file and the line, and write nothing. */
static void refuse_bad_training_files(void)
{
    static const char good4[] = "0\tbad movie\n1\tgood film\n0\ta bad plot\n"
                                "1\tgood acting\n";
    static const struct {
        const char *name, *line5, *needle;
        size_t len5; /* 0: strlen */
    } cases[] = {
        {"notab.tsv", "1 good story\n", "TAB", 0},
        {"nolabel.tsv", "\tgood story\n", "empty label", 0},
        {"nul.tsv", "1\tgood \0story\n", "NUL", 14},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[400], model[400], bytes[128], what[128], where[450];
        size_t n5 = cases[i].len5 ? cases[i].len5 : strlen(cases[i].line5);
        memcpy(bytes, good4, strlen(good4));
        memcpy(bytes + strlen(good4), cases[i].line5, n5);
        in_scratch(path, sizeof path, cases[i].name);
        if (!spawn_write_file(path, bytes, strlen(good4) + n5))
            continue;
        in_scratch(model, sizeof model, "refused.safetensors");
        snprintf(what, sizeof what, "train on %s", cases[i].name);
        snprintf(where, sizeof where, "%s: line 5", path);
        cmdline c = {{NULL}, 0};
        push(&c, "train", "--task", "classify", "--data", path, TINY,
             "--epochs", "1", "--save", model, END);
        task_refusal(what, &c, 1, where, cases[i].needle, END);
        CHECK(!spawn_exists(model), "%s wrote %s", what, model);
    }
}

void test_cli_tasks_classify(void)
{
    if (!scratch_open("recur-tasks"))
        return;
    char tsv[400], test_tsv[400], val_tsv[400], csv[400], m[400], m2[400],
        mc[400], buf[64];
    in_scratch(tsv, sizeof tsv, "reviews.tsv");
    in_scratch(test_tsv, sizeof test_tsv, "test.tsv");
    in_scratch(val_tsv, sizeof val_tsv, "val.tsv");
    in_scratch(csv, sizeof csv, "reviews.csv");
    in_scratch(m, sizeof m, "m.safetensors");
    in_scratch(m2, sizeof m2, "m2.safetensors");
    in_scratch(mc, sizeof mc, "mc.safetensors");
    int ok = write_reviews(tsv, 120, 1, TSV_LABEL_FIRST) &&
             write_reviews(test_tsv, 40, 2, TSV_LABEL_FIRST) &&
             write_reviews(val_tsv, 20, 3, TSV_LABEL_FIRST) &&
             write_reviews(csv, 120, 4, CSV_LABEL_LAST);
    CHECK(ok, "cannot write the reviews in %s", scratch);

    /* The TSV, split 0.2 test / 0.1 validation. */
    json_t *o = ok ? train_classifier("train TSV", tsv, m, END) : NULL;
    if (o) {
        double acc = task_number("train TSV", o, "accuracy"),
               bow = task_number("train TSV", o, "bow_accuracy");
        double train = task_number("train TSV", o, "train"),
               val = task_number("train TSV", o, "val"),
               test = task_number("train TSV", o, "test");
        CHECK(acc >= 0.9 && acc <= 1, "train TSV: accuracy %g on an easy rule", acc);
        CHECK(bow >= 0 && bow <= 1, "train TSV: bow_accuracy %g", bow);
        CHECK(train + val + test == 120 && test == 24 && val == 12,
              "train TSV: %g + %g + %g examples, expected 84 + 12 + 24", train,
              val, test);
        json_decref(o);

        /* eval on the training file: every line an example. */
        cmdline c = {{NULL}, 0};
        push(&c, "eval", "--model", m, "--data", tsv, "--json", "--threads",
             "1", END);
        spawn_result r = task_run_ok("eval on the training file", &c);
        json_t *e = r.out ? task_json_line("eval", r.out) : NULL;
        if (e) {
            double a = task_number("eval", e, "accuracy");
            CHECK(a >= 0.9 && a <= 1, "eval on the training file: accuracy %g", a);
            CHECK(task_number("eval", e, "examples") == 120, "eval: %g examples of "
                  "120 lines", task_number("eval", e, "examples"));
        }
        json_decref(e);
        spawn_result_free(&r);
        check_predict(m);
    }

    /* --test-data and --val-data: eval of the test file gives the run's
     * test figures. */
    o = ok ? train_classifier("train --test-data --val-data", tsv, m2,
                              "--test-data", test_tsv, "--val-data", val_tsv,
                              END)
           : NULL;
    if (o) {
        CHECK(task_number("--test-data", o, "train") == 120 &&
                  task_number("--test-data", o, "val") == 20 &&
                  task_number("--test-data", o, "test") == 40,
              "train --test-data --val-data: not 120 + 20 + 40 examples");
        cmdline c = {{NULL}, 0};
        push(&c, "eval", "--model", m2, "--data", test_tsv, "--json", END);
        spawn_result r = task_run_ok("eval on --test-data", &c);
        json_t *e = r.out ? task_json_line("eval", r.out) : NULL;
        if (e) {
            double a = task_number("eval", e, "accuracy"), l = task_number("eval", e, "loss");
            double ta = task_number("train", o, "accuracy"), tl = task_number("train", o, "test_loss");
            CHECK(task_number("eval", e, "examples") == 40 && a == ta &&
                      fabs(l - tl) <= 1e-5 + 1e-4 * tl,
                  "eval of the test file: accuracy %g loss %g, training's test "
                  "figures %g and %g", a, l, ta, tl);
        }
        json_decref(e);
        spawn_result_free(&r);
        json_decref(o);

        /* A label the model never saw, on line 4 of eval's file. */
        char unseen[400];
        in_scratch(unseen, sizeof unseen, "unseen.tsv");
        if (write_text(unseen, "0\tbad\n1\tgood\n0\tbad plot\n2\tgood story\n")) {
            cmdline u = {{NULL}, 0};
            push(&u, "eval", "--model", m2, "--data", unseen, END);
            char where[450];
            snprintf(where, sizeof where, "%s: line 4", unseen);
            task_refusal("eval, an unseen label", &u, 1, where, "'2'", END);
        }
    }

    /* The CSV: label last, header found, quoted texts read whole. */
    o = ok ? train_classifier("train CSV", csv, m2, "--format", "csv",
                              "--label-column", "last", END)
           : NULL;
    if (o) {
        double sum = task_number("CSV", o, "train") + task_number("CSV", o, "val") +
                     task_number("CSV", o, "test");
        CHECK(sum == 120, "train CSV: %g examples of 120 records (the header "
              "is not one)", sum);
        CHECK(task_number("CSV", o, "accuracy") >= 0.9, "train CSV: accuracy %g",
              task_number("CSV", o, "accuracy"));
        task_meta_of(m2, "labels", buf, sizeof buf);
        CHECK(strstr(buf, "neg") && strstr(buf, "pos") && !strstr(buf, "sentiment"),
              "train CSV: the checkpoint's labels are '%s'", buf);
    }
    json_decref(o);

    /* --tokens char. */
    o = ok ? train_classifier("train --tokens char", tsv, mc, "--tokens", "char",
                              END)
           : NULL;
    if (o) {
        CHECK(!strcmp(task_meta_of(mc, "tokens", buf, sizeof buf), "char"),
              "--tokens char: the checkpoint's tokens are '%s'", buf);
        CHECK(task_number("char", o, "vocab") < 40, "--tokens char: %g tokens "
              "from a text of a few letters", task_number("char", o, "vocab"));
    }
    json_decref(o);

    refuse_bad_training_files();
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* forecast                                                                  */

enum { SERIES_ROWS = 200 };

/* Row i's value: a trend plus a season of 12 steps. */
static double series_value(size_t i)
{
    const double pi = 3.14159265358979323846;
    return 10 + 0.05 * (double)i + 3 * sin(2 * pi * (double)i / 12);
}

/* "date","temp","load" with CRLF line ends; row missing_row (1-based data
 * row, 0: none) has NA for load. Values as %.4f, so the file's value of row
 * i is exactly what series_text(i) prints. */
static void series_text(size_t i, char *buf, size_t size)
{
    snprintf(buf, size, "%.4f", series_value(i));
}

static int write_series(const char *path, size_t missing_row)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fputs("\"date\",\"temp\",\"load\"\r\n", f);
    for (size_t i = 0; i < SERIES_ROWS; i++) {
        char v[32];
        series_text(i, v, sizeof v);
        fprintf(f, "\"2020-01-%03zu\",%zu,%s\r\n", i, i % 7,
                i + 1 == missing_row ? "NA" : v);
    }
    return fclose(f) == 0;
}

/* The forecast CSV of a run with `horizon` (1: no step column) over
 * `values` test values: its header, and each row's date and actual value
 * those of the file's row `index`. */
static void check_forecast_csv(const char *path, size_t horizon, size_t values)
{
    char *csv = spawn_read_file(path, NULL), *line[512];
    CHECK(csv != NULL, "no forecast CSV %s", path);
    if (!csv)
        return;
    size_t n = task_split_lines(csv, line, 512), bad = 0;
    const char *header = horizon > 1
                             ? "index,date,step,actual,forecast,naive"
                             : "index,date,actual,forecast,naive,seasonal_naive";
    CHECK(n > 0 && !strcmp(line[0], header), "%s: the header is '%s', "
          "expected '%s'", path, n ? line[0] : "", header);
    for (size_t i = 1; i < n; i++) {
        char *end, date[32], want[32];
        size_t index = strtoul(line[i], &end, 10);
        snprintf(date, sizeof date, ",2020-01-%03zu,", index);
        int ok = index < SERIES_ROWS && !strncmp(end, date, strlen(date));
        char *actual = end + strlen(date);
        if (ok && horizon > 1) {
            unsigned long step = strtoul(actual, &actual, 10);
            ok = step >= 1 && step <= horizon && *actual++ == ',';
        }
        if (ok) {
            series_text(index, want, sizeof want);
            ok = fabs(strtod(actual, NULL) - strtod(want, NULL)) <= 1e-9;
        }
        bad += !ok;
    }
    CHECK(n == values + 1 && bad == 0, "%s: %zu rows (%zu not the file's date "
          "and value), expected %zu", path, n - 1, bad, values);
    free(csv);
}

/* Trains a forecaster of load on data for 10 epochs (extra arguments up
 * to END); returns the --json object (NULL when it failed). */
static json_t *train_forecaster(const char *what, const char *data,
                                const char *model, ...)
{
    cmdline c = {{NULL}, 0};
    push(&c, "train", "--task", "forecast", "--data", data, TINY, "--date",
         "date", "--target", "load", "--lookback", "12", "--epochs", "10",
         "--patience", "0", "--save", model, "--json", END);
    va_list ap;
    va_start(ap, model);
    json_t *o = train_json(what, &c, ap);
    va_end(ap);
    return o;
}

void test_cli_tasks_forecast(void)
{
    if (!scratch_open("recur-tasks"))
        return;
    char data[400], missing[400], f[400], r[400], z[400], path[400];
    in_scratch(data, sizeof data, "series.csv");
    in_scratch(missing, sizeof missing, "missing.csv");
    in_scratch(f, sizeof f, "f.safetensors");
    in_scratch(r, sizeof r, "r.safetensors");
    in_scratch(z, sizeof z, "z.safetensors");
    int ok = write_series(data, 0) && write_series(missing, 51);
    CHECK(ok, "cannot write the series in %s", scratch);

    /* Direct, one step, with the seasonal baseline: 40 test values. */
    json_t *o = ok ? train_forecaster("train forecast", data, f, "--season",
                                      "12", END)
                   : NULL;
    if (o) {
        double rmse = task_number("forecast", o, "rmse"),
               naive = task_number("forecast", o, "naive_rmse"),
               seasonal = task_number("forecast", o, "seasonal_rmse");
        CHECK(rmse > 0 && naive > 0 && seasonal > 0,
              "train forecast: rmse %g, naive %g, seasonal %g", rmse, naive,
              seasonal);
        /* The seasonal naive forecast is off by the trend over 12 steps. */
        CHECK(fabs(seasonal - 0.6) < 1e-3, "seasonal_rmse %g, expected 0.6",
              seasonal);
        CHECK(task_number("forecast", o, "test_values") == 40, "test_values %g, "
              "expected 40", task_number("forecast", o, "test_values"));
        task_check_files(f, 10);
        check_forecast_csv(in_scratch(path, sizeof path, "f.forecast.csv"), 1, 40);
        task_check_file(in_scratch(path, sizeof path, "f.forecast.svg"), "<");
        /* A checkpoint whose horizon (9) is not its outputs (1) is refused:
         * predict would read 9 forecasts of 1. */
        size_t size = 0;
        char *bytes = spawn_read_file(f, &size), *at = NULL;
        if (bytes)
            for (size_t i = 0; !at && i + 13 <= size; i++)
                if (!memcmp(bytes + i, "\"horizon\":\"1\"", 13))
                    at = bytes + i;
        CHECK(at != NULL, "%s: no \"horizon\":\"1\" in the header", f);
        char h9[400];
        in_scratch(h9, sizeof h9, "h9.safetensors");
        FILE *out = at ? fopen(h9, "wb") : NULL;
        if (out) {
            at[11] = '9';
            int wrote = fwrite(bytes, 1, size, out) == size;
            CHECK(fclose(out) == 0 && wrote, "cannot write %s", h9);
            cmdline c = {{NULL}, 0};
            push(&c, "predict", "--model", h9, "--data", data, END);
            task_refusal("predict, horizon 9 of 1 output", &c, 1, h9,
                           "horizon 9 with 1 outputs", END);
        }
        /* A checkpoint that claims the music task without 88 keys in and
         * out is refused by sample (which feeds it 88-key frames). */
        at = NULL;
        for (size_t i = 0; bytes && !at && i + 17 <= size; i++)
            if (!memcmp(bytes + i, "\"task\":\"forecast\"", 17))
                at = bytes + i;
        CHECK(at != NULL, "%s: no \"task\":\"forecast\" in the header", f);
        char mus[400], mid[400];
        in_scratch(mus, sizeof mus, "not-music.safetensors");
        out = at ? fopen(mus, "wb") : NULL;
        if (out) {
            memcpy(at, "\"task\":\"music\"   ", 17); /* JSON spaces */
            int wrote = fwrite(bytes, 1, size, out) == size;
            CHECK(fclose(out) == 0 && wrote, "cannot write %s", mus);
            cmdline c = {{NULL}, 0};
            push(&c, "sample", "--task", "music", "--model", mus, "--output",
                 in_scratch(mid, sizeof mid, "x.mid"), "--steps", "2", END);
            task_refusal("sample music with a forecaster", &c, 1, mus,
                           "not a music model", END);
        }
        free(bytes);
    }
    json_decref(o);

    /* Recursive over 3 steps: 38 windows of 3 values; predict continues
     * the file by 3 steps. */
    o = ok ? train_forecaster("train --strategy recursive", data, r,
                              "--strategy", "recursive", "--horizon", "3", END)
           : NULL;
    if (o) {
        CHECK(task_number("recursive", o, "test_values") == 38 * 3,
              "recursive: test_values %g, expected 114",
              task_number("recursive", o, "test_values"));
        check_forecast_csv(in_scratch(path, sizeof path, "r.forecast.csv"), 3,
                           38 * 3);
        cmdline c = {{NULL}, 0};
        push(&c, "predict", "--model", r, "--data", data, END);
        spawn_result p = task_run_ok("predict a forecast", &c);
        if (p.out) {
            char *line[8], *end;
            size_t n = task_split_lines(p.out, line, 8), bad = 0;
            for (size_t i = 1; i < n; i++) {
                bad += strtoul(line[i], &end, 10) != SERIES_ROWS + i - 1 ||
                       *end != ',' || !isfinite(strtod(end + 1, &end)) || *end;
            }
            CHECK(n == 4 && !strcmp(line[0], "step,forecast") && bad == 0,
                  "predict: not 'step,forecast' and steps 200..202");
        }
        spawn_result_free(&p);
    }
    json_decref(o);

    /* Missing values: refused by default naming line and column, or
     * interpolated. */
    cmdline c = {{NULL}, 0};
    push(&c, "train", "--task", "forecast", "--data", missing, TINY, "--date",
         "date", "--target", "load", "--epochs", "1", "--save", z, END);
    task_refusal("train, a missing value", &c, 1, missing, "line 52",
                   "\"load\"", END);
    o = ok ? train_forecaster("--missing interp", missing, z, "--missing",
                              "interp", "--val-fraction", "0", END)
           : NULL;
    CHECK(o && task_number("interp", o, "rmse") > 0, "--missing interp: no rmse");
    /* Without validation there is no best validation loss: JSON's null
     * (printf's "nan" is not JSON, so the line would not parse). */
    CHECK(o && json_is_null(json_object_get(o, "best_val_loss")),
          "--val-fraction 0: best_val_loss is not null");
    json_decref(o);

    /* --log --difference: the forecasts come back to the data's units (a
     * slip there, a level left as a change or a logarithm, is off by ~10);
     * --log refuses a value that is not positive, naming file and line. */
    o = ok ? train_forecaster("--log --difference", data, z, "--log",
                              "--difference", END)
           : NULL;
    CHECK(o && task_number("log", o, "rmse") < 3 * task_number("log", o, "naive_rmse"),
          "--log --difference: rmse %g against the naive %g",
          o ? task_number("log", o, "rmse") : NAN,
          o ? task_number("log", o, "naive_rmse") : NAN);
    json_decref(o);
    cmdline lg = {{NULL}, 0};
    push(&lg, "train", "--task", "forecast", "--data", data, "--target", "temp",
         "--log", "--save", z, END);
    task_refusal("--log of a zero", &lg, 1, data, "line 2", "not positive", END);

    cmdline ft = {{NULL}, 0};
    push(&ft, "train", "--task", "forecast", "--data", data, "--features",
         "temp", "--strategy", "recursive", "--save",
         in_scratch(path, sizeof path, "nf.safetensors"), END);
    task_refusal("--features with --strategy recursive", &ft, 2, "--features",
                   "recursive", END);
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* music                                                                     */

static const char *const chords[4] = {"60,64,67", "62,65,69", "64,67,71", "-"};

/* Pieces of 16 + i frames of the chords in turn, piece i starting at
 * chord first + i. */
static int write_pieces(const char *path, size_t pieces, size_t first)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    for (size_t i = 0; i < pieces; i++)
        for (size_t t = 0; t < 16 + i; t++)
            fprintf(f, "%s%s", chords[(first + i + t) % 4],
                    t + 1 < 16 + i ? " " : "\n");
    return fclose(f) == 0;
}

/* train --json; *test_nll gets test_nll (NaN when it failed). */
static void train_music(const char *what, const char *dir, const char *model,
                        const char *epochs, const char *lr, double *test_nll)
{
    cmdline c = {{NULL}, 0};
    push(&c, "train", "--task", "music", "--data", dir, TINY, "--epochs",
         epochs, "--patience", "0", "--lr", lr, "--save", model, "--json", END);
    spawn_result r = task_run_ok(what, &c);
    json_t *o = r.out ? task_json_line(what, r.out) : NULL;
    *test_nll = NAN;
    if (o) {
        double tr = task_number(what, o, "train_nll"), va = task_number(what, o, "val_nll");
        *test_nll = task_number(what, o, "test_nll");
        CHECK(tr > 0 && va > 0 && *test_nll > 0, "%s: NLL %g %g %g", what, tr,
              va, *test_nll);
    }
    json_decref(o);
    spawn_result_free(&r);
}

/* sample: stdout (caller frees), checked to be one piano-roll line of
 * `frames` frames. */
static char *sample_music(const cmdline *c, size_t frames, pianoroll_set *roll)
{
    spawn_result r = task_run_ok("sample --task music", c);
    if (!r.out)
        return NULL;
    size_t len = strlen(r.out);
    CHECK(len > 1 && strchr(r.out, '\n') == r.out + len - 1,
          "sample: not one line: %s", r.out);
    recur_status s = pianoroll_parse(r.out, len, "sample output", roll);
    CHECK(s == RECUR_OK && roll->n == 1 && roll->offset[1] == frames,
          "sample: not one piece of %zu frames: %s", frames, r.out);
    char *out = r.out;
    r.out = NULL;
    spawn_result_free(&r);
    return out;
}

static void check_sample(const char *model, const char *prime)
{
    char mid[400], mid2[400], piece2[64];
    in_scratch(mid, sizeof mid, "x.mid");
    in_scratch(mid2, sizeof mid2, "y.mid");
    cmdline c = {{NULL}, 0}, again = {{NULL}, 0};
    push(&c, "sample", "--task", "music", "--model", model, "--output", mid,
         "--steps", "10", "--seed", "3", "--prime", prime, "--piece", "2",
         "--prime-steps", "4", END);
    /* The same without --task: the checkpoint's task decides. */
    push(&again, "sample", "--model", model, "--output", mid2, "--steps", "10",
         "--seed", "3", "--prime", prime, "--piece", "2", "--prime-steps", "4",
         END);
    pianoroll_set a = {0}, b = {0};
    char *one = sample_music(&c, 14, &a), *two = sample_music(&again, 14, &b);
    /* Piece 2 starts at chord 1 + 1: its first four frames. */
    snprintf(piece2, sizeof piece2, "%s %s %s %s ", chords[2], chords[3],
             chords[0], chords[1]);
    CHECK(one && !strncmp(one, piece2, strlen(piece2)), "sample: does not "
          "start with the prime's frames '%s': %s", piece2, one ? one : "");
    CHECK(one && two && !strcmp(one, two), "sample: the same seed gave two "
          "outputs:\n%s%s", one ? one : "", two ? two : "");
    size_t n1 = 0, n2 = 0;
    char *b1 = spawn_read_file(mid, &n1), *b2 = spawn_read_file(mid2, &n2);
    CHECK(b1 && n1 > 14 && !memcmp(b1, "MThd", 4), "%s is not a MIDI file", mid);
    CHECK(b1 && b2 && n1 == n2 && !memcmp(b1, b2, n1), "sample: the same seed "
          "gave two MIDI files");
    free(b1);
    free(b2);
    free(one);
    free(two);
    pianoroll_free(&a);
    pianoroll_free(&b);

    cmdline beyond = {{NULL}, 0};
    push(&beyond, "sample", "--task", "music", "--model", model, "--output",
         in_scratch(mid2, sizeof mid2, "z.mid"), "--prime", prime, "--piece",
         "3", END);
    task_refusal("sample --piece beyond the file", &beyond, 1, prime,
                   "2 pieces", END);
}

void test_cli_tasks_music(void)
{
    if (!scratch_open("recur-tasks"))
        return;
    char dir[400], path[400], test[400], mu[400], mu0[400], bad[400];
    in_scratch(dir, sizeof dir, "rolls");
    in_scratch(mu, sizeof mu, "mu.safetensors");
    in_scratch(mu0, sizeof mu0, "mu0.safetensors");
    in_scratch(test, sizeof test, "rolls/test.txt");
    int ok = mkdir(dir, 0700) == 0 &&
             write_pieces(in_scratch(path, sizeof path, "rolls/train.txt"), 6, 0) &&
             write_pieces(in_scratch(path, sizeof path, "rolls/valid.txt"), 2, 3) &&
             write_pieces(test, 2, 1);
    CHECK(ok, "cannot write the piano rolls in %s", dir);
    double untrained = NAN, trained = NAN;
    if (ok) {
        train_music("train music, untrained", dir, mu0, "1", "1e-12", &untrained);
        train_music("train music", dir, mu, "20", "0.03", &trained);
        task_check_files(mu, 20);
    }
    CHECK(trained < untrained - 5, "music: test_nll %g after training, %g "
          "untrained", trained, untrained);

    /* eval of the test file gives train's test_nll: 16 + 17 frames. */
    cmdline c = {{NULL}, 0};
    push(&c, "eval", "--model", mu, "--data", test, "--json", END);
    spawn_result r = ok ? task_run_ok("eval music", &c) : (spawn_result){-1, NULL, NULL};
    json_t *o = r.out ? task_json_line("eval music", r.out) : NULL;
    if (o) {
        double nll = task_number("eval", o, "nll");
        CHECK(fabs(nll - trained) <= 1e-5, "eval: nll %.6f, train's test_nll "
              "%.6f", nll, trained);
        CHECK(task_number("eval", o, "frames") == 33 && task_number("eval", o, "pieces") == 2,
              "eval: %g frames of %g pieces, expected 33 of 2",
              task_number("eval", o, "frames"), task_number("eval", o, "pieces"));
    }
    json_decref(o);
    spawn_result_free(&r);
    if (ok)
        check_sample(mu, test);

    /* Line 3, step 2 of a training file has note 200. */
    in_scratch(bad, sizeof bad, "bad.txt");
    if (write_text(bad, "60 62\n64 65\n60,64 60,200 -\n")) {
        char where[450];
        snprintf(where, sizeof where, "%s: line 3, step 2", bad);
        cmdline b = {{NULL}, 0};
        push(&b, "train", "--task", "music", "--train", bad, "--val", test,
             TINY, "--epochs", "1", "--save",
             in_scratch(path, sizeof path, "bad.safetensors"), END);
        task_refusal("train music, note 200", &b, 1, where, END);
    }
    cmdline bi = {{NULL}, 0};
    push(&bi, "train", "--task", "music", "--data", dir, "--bidirectional", END);
    task_refusal("train music --bidirectional", &bi, 2, "--bidirectional", END);
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* A model given to another task's command; --help                           */

/* Trains one tiny model of each task into the scratch directory. */
static int tiny_models(char cls[400], char fc[400], char mus[400])
{
    char data[400], rolls[400];
    in_scratch(cls, 400, "c.safetensors");
    in_scratch(fc, 400, "f.safetensors");
    in_scratch(mus, 400, "m.safetensors");
    in_scratch(rolls, sizeof rolls, "roll.txt");
    int ok = write_reviews(in_scratch(data, sizeof data, "r.tsv"), 40, 1,
                           TSV_LABEL_FIRST) &&
             write_pieces(rolls, 3, 0);
    const char *cmds[3][20] = {
        {"train", "--task", "classify", "--data", data, TINY, "--epochs", "1",
         "--save", cls, END},
        {"train", "--task", "music", "--train", rolls, "--val", rolls, TINY,
         "--epochs", "1", "--save", mus, END},
        {"train", "--task", "forecast", "--data", "", TINY, "--epochs", "1",
         "--save", fc, END},
    };
    char series[400];
    ok = ok && write_series(in_scratch(series, sizeof series, "s.csv"), 0);
    cmds[2][4] = series;
    for (int i = 0; ok && i < 3; i++) {
        spawn_result r = spawn_recur(capture, cmds[i]);
        CHECK(r.status == 0, "%s %s: exit %d: %s", cmds[i][0], cmds[i][2],
              r.status, r.err ? r.err : "");
        ok = r.status == 0;
        spawn_result_free(&r);
    }
    return ok;
}

static void refuse_other_tasks(const char *cls, const char *fc, const char *mus)
{
    char data[400];
    in_scratch(data, sizeof data, "s.csv");
    cmdline a = {{NULL}, 0}, b = {{NULL}, 0}, c = {{NULL}, 0};
    push(&a, "sample", "--model", fc, END);
    task_refusal("sample of a forecaster", &a, 1, "sample", "forecast", END);
    push(&b, "predict", "--model", mus, "--data", data, END);
    task_refusal("predict of a music model", &b, 1, "predict", "music", END);
    push(&c, "sample", "--task", "music", "--model", cls, "--output",
         in_scratch(data, sizeof data, "x.mid"), END);
    task_refusal("sample --task music of a classifier", &c, 1, "classify",
                   "music", END);
}

/* Runs `recur <args> --help` (args up to END): exit 0, usage first, and
 * every option of `options` (NULL-terminated) listed. */
static void check_help(const char *const *options, ...)
{
    cmdline c = {{NULL}, 0};
    char what[200] = "recur";
    va_list ap;
    va_start(ap, options);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;) {
        push(&c, s, END);
        if (strncmp(s, "/", 1))
            snprintf(what + strlen(what), sizeof what - strlen(what), " %s", s);
    }
    va_end(ap);
    push(&c, "--help", END);
    spawn_result r = task_run_ok(what, &c);
    if (!r.out)
        return;
    char usage[64];
    snprintf(usage, sizeof usage, "usage: recur %s", c.v[0]);
    CHECK(!strncmp(r.out, usage, strlen(usage)), "%s --help does not start "
          "with '%s'", what, usage);
    for (const char *const *o = options; *o; o++) {
        char listed[64], alone[64];
        snprintf(listed, sizeof listed, "\n  %s ", *o);
        snprintf(alone, sizeof alone, "\n  %s\n", *o);
        CHECK(strstr(r.out, listed) || strstr(r.out, alone),
              "%s --help does not list %s", what, *o);
    }
    spawn_result_free(&r);
}

/* The options seqtask.c gives every task's train. */
#define SHARED "--cell", "--hidden", "--layers", "--dropout", "--batch", \
               "--epochs", "--optimizer", "--lr", "--lr-decay",          \
               "--weight-decay", "--clip", "--patience", "--time-limit", \
               "--seed", "--threads", "--quiet", "--save"

void test_cli_tasks_help(void)
{
    static const char *const train_classify[] = {
        "--task", "--data", "--format", "--label-column", "--header",
        "--val-data", "--test-data", "--test-fraction", "--val-fraction",
        "--tokens", "--lowercase", "--min-count", "--max-vocab", "--bow-epochs",
        "--export-data", "--json", "--bidirectional", "--unidirectional",
        "--embed", "--pool", SHARED, NULL};
    static const char *const train_forecast[] = {
        "--task", "--data", "--target", "--features", "--date", "--missing",
        "--lookback", "--horizon", "--strategy", "--season", "--loss", "--test",
        "--test-fraction", "--val", "--val-fraction", "--forecast-csv",
        "--plot", "--export-data", "--json", "--bidirectional",
        "--unidirectional", "--pool", SHARED, NULL};
    static const char *const train_music[] = {
        "--task", "--data", "--train", "--val", "--test", "--max-len",
        "--export-data", "--json", SHARED, NULL};
    static const char *const eval_classify[] = {
        "--model", "--data", "--format", "--label-column", "--header", "--batch",
        "--threads", "--json", NULL};
    static const char *const predict_classify[] = {"--model", "--data",
                                                   "--threads", NULL};
    static const char *const predict_forecast[] = {"--model", "--data", "--plot",
                                                   "--threads", NULL};
    static const char *const eval_music[] = {"--model", "--data", "--batch",
                                             "--threads", "--json", NULL};
    static const char *const train_tag[] = {
        "--task", "--data", "--val-data", "--test-data", "--format",
        "--tag-column", "--crf", "--char-embed", "--char-hidden",
        "--word-dropout", "--min-count", "--max-vocab", "--lowercase", "--json",
        "--bidirectional", "--unidirectional", "--embed", SHARED, NULL};
    static const char *const sample_music[] = {
        "--task", "--model", "--output", "--steps", "--prime", "--piece",
        "--prime-steps", "--temperature", "--seed", "--bpm", "--ticks-per-step",
        "--threads", NULL};
    if (!scratch_open("recur-tasks"))
        return;
    check_help(train_classify, "train", "--task", "classify", END);
    check_help(train_forecast, "train", "--task", "forecast", END);
    check_help(train_music, "train", "--task", "music", END);
    check_help(train_tag, "train", "--task", "tag", END);
    check_help(sample_music, "sample", "--task", "music", END);
    char cls[400], fc[400], mus[400];
    if (tiny_models(cls, fc, mus)) {
        check_help(eval_classify, "eval", "--model", cls, END);
        check_help(predict_classify, "predict", "--model", cls, END);
        check_help(predict_forecast, "predict", "--model", fc, END);
        check_help(eval_music, "eval", "--model", mus, END);
        check_help(sample_music, "sample", "--model", mus, END);
        refuse_other_tasks(cls, fc, mus);
    }
    scratch_close();
}
