/*
 * cli/test_inspect.c — what the `recur` binary says about files and about
 * itself ($RECUR_BIN through spawn.h), on tiny models trained in a scratch
 * directory:
 *   - info: every __metadata__ key and value (long ones shortened with
 *     their length), the summary line of a checkpoint of each task, --json
 *     with the metadata whole;
 *   - info tells a stack's gradients (recur forward's grad.<name>) from a
 *     stack, alone and in one file with the stack;
 *   - a text file given as a model is "not a safetensors file", for every
 *     command that reads one, and for the library's readers;
 *   - eval --task forecast gives the figures train printed at its end;
 *   - a checkpoint of the wrong task: what the file is and what the
 *     command needs, for every command;
 *   - --help of eval and sample describes every task; --task lists them;
 *     the task-specific helps differ where the options do;
 *   - a misspelt command gets the nearest one;
 *   - no error message names the function that noticed (a scan of src/ and
 *     cli/), and the classifier's empty split says which part and why;
 *   - one column order (step, epoch first) in every metrics log, learning
 *     rates as the shortest decimal that reads back (floatfmt.h);
 *   - with --time-limit the progress line follows what ends the run.
 */
#include "base/floatfmt.h"
#include "io/safetensors.h"
#include "scratch.h"
#include "spawn.h"
#include "test.h"

#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define END ((const char *)NULL)

/* ------------------------------------------------------------------------ */
/* Runs (the scratch directory: scratch.h)                                   */

/* Runs `recur` with the arguments up to END; the result (caller frees). */
static spawn_result run(const char *first, ...)
{
    spawn_args a = {{NULL}, 0};
    spawn_args_add(&a, first, END);
    va_list ap;
    va_start(ap, first);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        spawn_args_add(&a, s, END);
    va_end(ap);
    return spawn_recur(capture, a.v);
}

/* r exited with `status` and `text` (its stdout or stderr) holds every
 * needle up to END. */
static void expect(const char *what, const spawn_result *r, int status,
                   const char *text, ...)
{
    CHECK(r->status == status, "%s: exit status %d, expected %d; stderr: %s",
          what, r->status, status, r->err ? r->err : "");
    va_list ap;
    va_start(ap, text);
    for (const char *n; (n = va_arg(ap, const char *)) != NULL;)
        CHECK(text && strstr(text, n), "%s: no '%s' in: %s", what, n,
              text ? text : "(nothing)");
    va_end(ap);
}

/* ------------------------------------------------------------------------ */
/* Data and tiny models                                                      */

/* 300 lines of words from a small set: a character vocabulary with '\n'. */
static int write_words(const char *path)
{
    static const char *const w[] = {"the", "cat", "sat", "on", "a", "mat",
                                    "dog", "ran"};
    FILE *f = fopen(path, "w");
    if (!f)
        return 0;
    unsigned x = 12345;
    for (int line = 0; line < 300; line++)
        for (int k = 0; k < 8; k++) {
            x = x * 1103515245u + 12345u;
            fprintf(f, "%s%c", w[(x >> 16) % 8], k == 7 ? '\n' : ' ');
        }
    return fclose(f) == 0;
}

/* 200 steps of "date,temp,load": load a sine of period 12 plus a trend;
 * the dates monthly (ISO, a constant step) or labels without a step. */
static int write_series(const char *path, int monthly)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return 0;
    fprintf(f, "date,temp,load\n");
    for (int i = 0; i < 200; i++) {
        char date[16];
        if (monthly) /* 2000-01 to 2016-08, ISO at a constant step */
            snprintf(date, sizeof date, "%04d-%02d", 2000 + i / 12, i % 12 + 1);
        else         /* labels without a step */
            snprintf(date, sizeof date, "2020-01-%03d", i);
        fprintf(f, "%s,%d,%.6f\n", date, i % 7,
                10 + 3 * sin(i * 2 * 3.14159265358979 / 12) + 0.05 * i);
    }
    return fclose(f) == 0;
}

/* 40 labelled lines, "good" texts positive. */
static int write_reviews(const char *path)
{
    static const char *const t[] = {"good film", "bad film", "good day",
                                    "bad day", "very good", "very bad",
                                    "good show", "bad show"};
    FILE *f = fopen(path, "w");
    if (!f)
        return 0;
    for (int i = 0; i < 40; i++)
        fprintf(f, "%s\t%s %d\n", i % 2 ? "neg" : "pos", t[i % 8], i);
    return fclose(f) == 0;
}

#define TINY "--hidden", "8", "--threads", "1"

/* The models of the groups below, trained on demand in the scratch
 * directory; 1 when they all were. */
typedef struct {
    char text[400], series[400], reviews[400], rolls[400];
    char charlm[400], wordlm[400], classifier[400], forecaster[400],
        music[400];
} models;

static int train(const char *what, const char *first, ...)
{
    spawn_args a = {{NULL}, 0};
    spawn_args_add(&a, first, END);
    va_list ap;
    va_start(ap, first);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        spawn_args_add(&a, s, END);
    va_end(ap);
    spawn_result r = spawn_recur(capture, a.v);
    CHECK(r.status == 0, "%s: exit %d: %s", what, r.status, r.err ? r.err : "");
    int ok = r.status == 0;
    spawn_result_free(&r);
    return ok;
}

static int make_models(models *m)
{
    in_scratch(m->text, 400, "words.txt");
    in_scratch(m->series, 400, "series.csv");
    in_scratch(m->reviews, 400, "reviews.tsv");
    in_scratch(m->rolls, 400, "rolls.txt");
    in_scratch(m->charlm, 400, "c.safetensors");
    in_scratch(m->wordlm, 400, "w.safetensors");
    in_scratch(m->classifier, 400, "k.safetensors");
    in_scratch(m->forecaster, 400, "f.safetensors");
    in_scratch(m->music, 400, "m.safetensors");
    int ok = write_words(m->text) && write_series(m->series, 0) &&
             write_reviews(m->reviews) &&
             write_text(m->rolls, "60,64 62 -\n64 65 60,64,67\n60 62 64\n");
    CHECK(ok, "cannot write the data in %s", scratch);
    return ok &&
           train("train charlm", "train", "--data", m->text, TINY, "--layers",
                 "1", "--embed", "8", "--epochs", "1", "--seq-len", "20",
                 "--batch", "4", "--save", m->charlm, END) &&
           train("train wordlm", "train", "--task", "wordlm", "--data", m->text,
                 TINY, "--layers", "1", "--embed", "8", "--epochs", "1",
                 "--seq-len", "10", "--batch", "4", "--save", m->wordlm, END) &&
           train("train classify", "train", "--task", "classify", "--data",
                 m->reviews, TINY, "--epochs", "1", "--quiet", "--bow-epochs",
                 "0", "--save", m->classifier, END) &&
           train("train forecast", "train", "--task", "forecast", "--data",
                 m->series, TINY, "--target", "load", "--date", "date",
                 "--epochs", "2", "--quiet", "--save", m->forecaster, END) &&
           train("train music", "train", "--task", "music", "--train", m->rolls,
                 "--val", m->rolls, TINY, "--epochs", "1", "--quiet", "--save",
                 m->music, END);
}

/* ------------------------------------------------------------------------ */
/* info                                                                      */

/* Every metadata entry of path is on a line of out: "  key = value", or
 * for a long value or one with control characters "  key (". */
static void check_meta_lines(const char *what, const char *path, const char *out)
{
    st_file *st = NULL;
    CHECK(st_read(path, &st) == RECUR_OK, "%s: cannot read %s", what, path);
    size_t missing = 0, n = st_meta_count(st);
    for (size_t i = 0; i < n; i++) {
        const char *key = NULL, *v = NULL;
        st_meta_at(st, i, &key, &v);
        int plain = strlen(v) <= 60;
        for (const char *p = v; *p; p++)
            plain &= (unsigned char)*p >= ' ';
        char *line = malloc(strlen(key) + strlen(v) + 16);
        if (!line)
            continue;
        if (plain)
            sprintf(line, "\n  %s = %s\n", key, v);
        else
            sprintf(line, "\n  %s (", key);
        if (!strstr(out, line)) {
            missing++;
            fprintf(stderr, "  %s: no line '%s'\n", what, line + 1);
        }
        free(line);
    }
    CHECK(n > 10 && missing == 0, "%s: %zu of %zu metadata entries not shown",
          what, missing, n);
    st_free(st);
}

/* `recur info --json`: the metadata whole, the tensors, the summary. */
static void check_info_json(const char *what, const char *path,
                            const char *task, const char *summary_start)
{
    spawn_result r = run("info", path, "--json", END);
    expect(what, &r, 0, r.out, END);
    json_error_t error;
    json_t *o = r.out ? json_loads(r.out, 0, &error) : NULL;
    CHECK(json_is_object(o), "%s: not one JSON object: %s", what,
          r.out ? r.out : "");
    st_file *st = NULL;
    if (o && st_read(path, &st) == RECUR_OK) {
        json_t *meta = json_object_get(o, "metadata");
        size_t same = 0;
        for (size_t i = 0; i < st_meta_count(st); i++) {
            const char *key = NULL, *v = NULL;
            st_meta_at(st, i, &key, &v);
            json_t *j = json_object_get(meta, key);
            same += json_is_string(j) && !strcmp(json_string_value(j), v);
        }
        CHECK(same == st_meta_count(st) &&
                  json_object_size(meta) == st_meta_count(st),
              "%s: %zu of %zu metadata values whole in the JSON", what, same,
              st_meta_count(st));
        CHECK(json_array_size(json_object_get(o, "tensors")) == st_count(st),
              "%s: %zu tensors in the JSON, %zu in the file", what,
              json_array_size(json_object_get(o, "tensors")), st_count(st));
        const char *t = json_string_value(json_object_get(o, "task"));
        const char *s = json_string_value(json_object_get(o, "summary"));
        CHECK(t && !strcmp(t, task), "%s: task '%s', expected '%s'", what,
              t ? t : "(none)", task);
        CHECK(s && !strncmp(s, summary_start, strlen(summary_start)),
              "%s: summary '%s', expected it to start '%s'", what,
              s ? s : "(none)", summary_start);
    }
    st_free(st);
    json_decref(o);
    spawn_result_free(&r);
}

/* A file of its own: long values, a list of labels, a short one. */
static void check_shortened(void)
{
    char path[400], long_value[101], labels[400] = "";
    memset(long_value, 'x', 100);
    long_value[100] = '\0';
    for (int i = 0; i < 30; i++)
        snprintf(labels + strlen(labels), sizeof labels - strlen(labels),
                 "%sclass%02d", i ? "\n" : "", i);
    st_writer *w = NULL;
    float v[2] = {1, 2};
    size_t shape[1] = {2};
    int ok = st_writer_new(&w) == RECUR_OK &&
             st_writer_add(w, "w", RECUR_DT_F32, 1, shape, v) == RECUR_OK &&
             st_writer_meta(w, "long", long_value) == RECUR_OK &&
             st_writer_meta(w, "labels", labels) == RECUR_OK &&
             st_writer_meta(w, "note", "short") == RECUR_OK &&
             st_writer_write(w, in_scratch(path, sizeof path, "meta.safetensors")) ==
                 RECUR_OK;
    st_writer_free(w);
    CHECK(ok, "cannot write %s: %s", path, recur_last_error());
    if (!ok)
        return;
    spawn_result r = run("info", path, END);
    char want[200];
    snprintf(want, sizeof want, "\n  long (100 characters): \"%.40s\xe2\x80\xa6\"\n",
             long_value);
    expect("info of long values", &r, 0, r.out, want,
           "\n  labels (30 labels): \"class00\\nclass01\\n", "\n  note = short\n",
           "3 metadata keys", END);
    spawn_result_free(&r);
}

void test_cli_inspect_info(void)
{
    if (!scratch_open("recur-inspect"))
        return;
    models m;
    if (make_models(&m)) {
        spawn_result r = run("info", m.charlm, END);
        expect("info charlm", &r, 0, r.out, "\n  vocab (",
               " characters): \"\\n a", "\n  task = charlm\n",
               "\n  train.step = ",
               "\nsummary: a character language model (task charlm): LSTM, 1 "
               "layer of 8 units, embedding 8, vocabulary of ",
               "; trained ", "best validation loss ",
               "\nRNN stack 'rnn.': LSTM", END);
        if (r.out)
            check_meta_lines("info charlm", m.charlm, r.out);
        spawn_result_free(&r);
        check_info_json("info --json charlm", m.charlm, "charlm",
                        "a character language model (task charlm)");

        r = run("info", m.wordlm, END);
        expect("info wordlm", &r, 0, r.out, "\n  words (9 words): \"<eos>\\na\\n",
               "summary: a word language model (task wordlm)",
               "vocabulary of 9 words", END);
        spawn_result_free(&r);

        r = run("info", m.classifier, END);
        expect("info classify", &r, 0, r.out,
               "summary: a text classifier (task classify): LSTM, "
               "bidirectional, 1 layer of 8 units", "2 classes (neg, pos)", END);
        if (r.out)
            check_meta_lines("info classify", m.classifier, r.out);
        spawn_result_free(&r);
        check_info_json("info --json classify", m.classifier, "classify",
                        "a text classifier");

        r = run("info", m.forecaster, END);
        expect("info forecast", &r, 0, r.out, "\n  lookback = 12\n",
               "summary: a forecaster (task forecast): LSTM, 1 layer of 8 "
               "units, target 'load' from 12 steps, horizon 1 (direct), dated "
               "by column 'date' at no constant step (predict numbers the "
               "forecasts by step), its training data ending 2020-01-199",
               "\n  date_step = \n", "\n  date_last = 2020-01-199\n", END);
        spawn_result_free(&r);

        r = run("info", m.music, END);
        expect("info music", &r, 0, r.out,
               "summary: a music model (task music)", "88 keys", END);
        spawn_result_free(&r);
    }
    check_shortened();
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* A stack's gradients                                                       */

/* path: the tensors of a and of b (NULL: none) in one file. */
static int merge(const char *path, const char *a, const char *b)
{
    st_file *fa = NULL, *fb = NULL;
    st_writer *w = NULL;
    int ok = st_read(a, &fa) == RECUR_OK && st_read(b, &fb) == RECUR_OK &&
             st_writer_new(&w) == RECUR_OK;
    const st_file *files[2] = {fa, fb};
    for (int f = 0; ok && f < 2; f++)
        for (size_t i = 0; ok && i < st_count(files[f]); i++) {
            const st_tensor *t = st_at(files[f], i);
            if (f == 1 && strncmp(t->name, "grad.", 5))
                continue; /* of recur forward's output, the gradients only */
            ok = st_writer_add(w, t->name, t->dtype, t->ndim, t->shape,
                               t->data) == RECUR_OK;
        }
    ok = ok && st_writer_write(w, path) == RECUR_OK;
    CHECK(ok, "cannot write %s: %s", path, recur_last_error());
    st_writer_free(w);
    st_free(fa);
    st_free(fb);
    return ok;
}

void test_cli_inspect_gradients(void)
{
    if (!scratch_open("recur-inspect"))
        return;
    char model[512], input[512], out[400], both[400];
    snprintf(model, sizeof model, "%s/lstm-uni-L1/model.safetensors",
             test_fixture_dir());
    snprintf(input, sizeof input, "%s/lstm-uni-L1/input.safetensors",
             test_fixture_dir());
    in_scratch(out, sizeof out, "out.safetensors");
    spawn_result r = run("forward", "--model", model, "--input", input,
                         "--output", out, END);
    expect("forward", &r, 0, r.err, END);
    spawn_result_free(&r);

    /* recur forward's output: outputs and the gradients, no stack. */
    r = run("info", out, END);
    expect("info of forward's output", &r, 0, r.out,
           "\nsummary: the output of recur forward (output, h_n, c_n, "
           "grad_input) with the gradients of an RNN stack (grad.<name>)",
           "\ngradients of an RNN stack (grad.encoder.lstm.<name>): LSTM, "
           "input 4, hidden 2, 1 layer", END);
    CHECK(r.out && !strstr(r.out, "RNN stack 'grad."),
          "info of forward's output names a stack 'grad.': %s",
          r.out ? r.out : "");
    spawn_result_free(&r);

    /* The stack and its gradients in one file: each named as what it is. */
    if (merge(in_scratch(both, sizeof both, "both.safetensors"), model, out)) {
        r = run("info", both, END);
        expect("info of a stack and its gradients", &r, 0, r.out,
               "\nsummary: an RNN stack and its gradients (grad.<name>)",
               "\nRNN stack 'encoder.lstm.': LSTM, input 4, hidden 2",
               "\ngradients of RNN stack 'encoder.lstm.' "
               "(grad.encoder.lstm.<name>): 64 values", END);
        spawn_result_free(&r);
        r = run("info", both, "--json", END);
        json_t *o = r.out ? json_loads(r.out, 0, NULL) : NULL;
        json_t *stacks = json_object_get(o, "stacks");
        size_t grads = 0, of = 0;
        for (size_t i = 0; i < json_array_size(stacks); i++) {
            json_t *s = json_array_get(stacks, i);
            grads += json_is_true(json_object_get(s, "gradients"));
            const char *g = json_string_value(json_object_get(s, "gradients_of"));
            of += g && !strcmp(g, "encoder.lstm.");
        }
        CHECK(json_array_size(stacks) == 2 && grads == 1 && of == 1,
              "info --json of a stack and its gradients: %zu stacks, %zu of "
              "gradients, %zu of 'encoder.lstm.': %s", json_array_size(stacks),
              grads, of, r.out ? r.out : "");
        json_decref(o);
        spawn_result_free(&r);
    }
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* A text file given as a model                                              */

void test_cli_inspect_not_safetensors(void)
{
    if (!scratch_open("recur-inspect"))
        return;
    char text[400], series[400], out[400], mid[400], words[400], cut[400];
    in_scratch(text, sizeof text, "notes.safetensors");
    in_scratch(series, sizeof series, "series.csv");
    in_scratch(out, sizeof out, "o.safetensors");
    in_scratch(mid, sizeof mid, "x.mid");
    in_scratch(words, sizeof words, "words.txt");
    int ok = write_text(text, "weight_ih_l0 = [[1, 2], [3, 4]]\n"
                              "this is a text file, not safetensors\n") &&
             write_series(series, 0) && write_words(words);
    CHECK(ok, "cannot write the files in %s", scratch);
    const char *cmds[][12] = {
        {"info", text, END},
        {"info", text, "--json", END},
        {"eval", "--model", text, "--data", words, END},
        {"eval", "--task", "forecast", "--model", text, "--data", series, END},
        {"eval", "--task", "classify", "--model", text, "--data", words, END},
        {"eval", "--task", "music", "--model", text, "--data", words, END},
        {"sample", "--model", text, END},
        {"sample", "--task", "music", "--model", text, "--output", mid, END},
        {"predict", "--model", text, "--data", series, END},
        {"predict", "--task", "forecast", "--model", text, "--data", series, END},
        {"forward", "--model", text, "--input", text, "--output", out, END},
        {"train", "--resume", text, "--data", words, END},
    };
    char want[500];
    snprintf(want, sizeof want, "%s is not a safetensors file (its first 8 "
             "bytes are not a header length", text);
    for (size_t i = 0; ok && i < sizeof cmds / sizeof *cmds; i++) {
        spawn_result r = spawn_recur(capture, cmds[i]);
        char what[80];
        snprintf(what, sizeof what, "recur %s %s given a text file", cmds[i][0],
                 cmds[i][1]);
        expect(what, &r, 1, r.err, want, END);
        CHECK(r.err && !strstr(r.err, "header length 7"), "%s: %s", what, r.err);
        spawn_result_free(&r);
    }
    CHECK(!spawn_exists(out), "forward wrote %s", out);

    /* The library's readers say it the same way... */
    st_file *st = NULL;
    char buf[16];
    int found;
    CHECK(st_read(text, &st) == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "is not a safetensors file"),
          "st_read of a text file: %s", recur_last_error());
    CHECK(st_peek_meta(text, "task", buf, sizeof buf, &found) == RECUR_ERR_FORMAT &&
              strstr(recur_last_error(), "is not a safetensors file"),
          "st_peek_meta of a text file: %s", recur_last_error());
    /* ...and a safetensors file cut inside its header is a truncated one. */
    char model[512];
    snprintf(model, sizeof model, "%s/lstm-uni-L1/model.safetensors",
             test_fixture_dir());
    size_t size = 0;
    char *bytes = spawn_read_file(model, &size);
    in_scratch(cut, sizeof cut, "cut.safetensors");
    if (bytes && size > 40 && spawn_write_file(cut, bytes, 40)) {
        CHECK(st_read(cut, &st) == RECUR_ERR_FORMAT &&
                  strstr(recur_last_error(), "truncated") &&
                  !strstr(recur_last_error(), "not a safetensors file"),
              "st_read of a file cut in its header: %s", recur_last_error());
        CHECK(st_peek_meta(cut, "task", buf, sizeof buf, &found) ==
                      RECUR_ERR_FORMAT &&
                  strstr(recur_last_error(), "truncated"),
              "st_peek_meta of a file cut in its header: %s",
              recur_last_error());
    }
    free(bytes);
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* eval --task forecast                                                      */

static json_t *json_of(const char *what, const spawn_result *r)
{
    json_t *o = r->out ? json_loads(r->out, 0, NULL) : NULL;
    CHECK(json_is_object(o), "%s: stdout is not one JSON object: %s", what,
          r->out ? r->out : "");
    return o;
}

/* The test part's figures and the verdict against the better baseline of
 * a training run's --json against eval's. */
static void same_scores(const char *what, json_t *trained, json_t *scored)
{
    static const char *const keys[] = {
        "test_values", "rmse", "mae", "mape", "smape", "naive_rmse",
        "naive_mae", "naive_mape", "seasonal_rmse", "seasonal_mae",
        "seasonal_mape", "baseline_rmse"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        json_t *a = json_object_get(trained, keys[i]),
               *b = json_object_get(scored, keys[i]);
        CHECK(json_is_number(a) && json_is_number(b) &&
                  json_number_value(a) == json_number_value(b),
              "%s: %s is %g in training, %g in eval", what, keys[i],
              json_number_value(a), json_number_value(b));
    }
    const char *a = json_string_value(json_object_get(trained, "baseline")),
               *b = json_string_value(json_object_get(scored, "baseline"));
    CHECK(a && b && !strcmp(a, b), "%s: baseline %s in training, %s in eval",
          what, a ? a : "(none)", b ? b : "(none)");
    json_t *beats_a = json_object_get(trained, "beats_baseline"),
           *beats_b = json_object_get(scored, "beats_baseline");
    CHECK(json_is_boolean(beats_a) && json_is_boolean(beats_b) &&
              json_is_true(beats_a) == json_is_true(beats_b),
          "%s: beats_baseline differs between training and eval", what);
}

void test_cli_inspect_eval_forecast(void)
{
    if (!scratch_open("recur-inspect"))
        return;
    char series[400], f[400], r[400];
    in_scratch(series, sizeof series, "series.csv");
    in_scratch(f, sizeof f, "f.safetensors");
    in_scratch(r, sizeof r, "r.safetensors");
    CHECK(write_series(series, 0), "cannot write %s", series);

    /* Direct, with the seasonal baseline: eval of the same file and split
     * gives what training printed at its end. */
    spawn_result t = run("train", "--task", "forecast", "--data", series, TINY,
                         "--quiet", "--target", "load", "--date", "date",
                         "--season", "12", "--epochs", "5", "--save", f,
                         "--json", END);
    expect("train forecast", &t, 0, t.err, END);
    json_t *trained = json_of("train forecast", &t);
    spawn_result e = run("eval", "--model", f, "--data", series, "--threads",
                         "1", "--json", END);
    expect("eval of a forecaster", &e, 0, e.err, END);
    json_t *scored = json_of("eval of a forecaster", &e);
    if (trained && scored)
        same_scores("eval of a forecaster", trained, scored);
    const char *task = json_string_value(json_object_get(scored, "task"));
    CHECK(task && !strcmp(task, "forecast"), "eval --json: task '%s'",
          task ? task : "(none)");
    json_decref(trained);
    json_decref(scored);
    spawn_result_free(&t);
    spawn_result_free(&e);

    /* --task forecast named; the table; another split. */
    e = run("eval", "--task", "forecast", "--model", f, "--data", series,
            "--threads", "1", END);
    expect("eval --task forecast", &e, 0, e.out,
           "test part: 40 windows from step 160 (2020-01-160 to 2020-01-199), "
           "horizon 1 (40 values)",
           "\n  recur ", "\n  naive ", "\n  seasonal naive ",
           "\nresult: ", " the seasonal-naive baseline on the test part (RMSE ",
           END);
    spawn_result_free(&e);
    e = run("eval", "--model", f, "--data", series, "--test", "30", "--json",
            END);
    scored = json_of("eval --test 30", &e);
    CHECK(json_number_value(json_object_get(scored, "test_values")) == 30,
          "eval --test 30: %s", e.out ? e.out : "");
    json_decref(scored);
    spawn_result_free(&e);

    /* Recursive over 3 steps, differenced: the same again. */
    t = run("train", "--task", "forecast", "--data", series, TINY, "--quiet",
            "--target", "load", "--strategy", "recursive", "--horizon", "3",
            "--difference", "--season", "12", "--epochs", "3", "--save", r,
            "--json", END);
    expect("train recursive", &t, 0, t.err, END);
    trained = json_of("train recursive", &t);
    e = run("eval", "--model", r, "--data", series, "--threads", "1", "--json",
            END);
    scored = json_of("eval recursive", &e);
    if (trained && scored)
        same_scores("eval of a recursive forecaster", trained, scored);
    json_decref(trained);
    json_decref(scored);
    spawn_result_free(&t);
    spawn_result_free(&e);

    /* Monthly dates: eval prints what training printed, word for word (the
     * table, the test part's dates, the result line), and info says how
     * the forecasts are dated. */
    char monthly[400], d[400], head[900];
    in_scratch(monthly, sizeof monthly, "monthly.csv");
    in_scratch(d, sizeof d, "d.safetensors");
    CHECK(write_series(monthly, 1), "cannot write %s", monthly);
    t = run("train", "--task", "forecast", "--data", monthly, TINY, "--quiet",
            "--target", "load", "--date", "date", "--season", "12", "--epochs",
            "3", "--save", d,
            END);
    expect("train dated", &t, 0, t.out,
           "test part: 40 windows from step 160 (2013-05 to 2016-08), "
           "horizon 1 (40 values)", "\nresult: ", END);
    e = run("eval", "--model", d, "--data", monthly, "--threads", "1", END);
    snprintf(head, sizeof head, "%s on %s:\n", d, monthly);
    CHECK(t.out && e.out && !strncmp(e.out, head, strlen(head)) &&
              !strcmp(e.out + strlen(head), t.out),
          "eval of a dated forecaster printed\n%s\nwhere training printed\n%s",
          e.out ? e.out : "", t.out ? t.out : "");
    spawn_result_free(&t);
    spawn_result_free(&e);
    spawn_result info = run("info", d, END);
    expect("info of a dated forecaster", &info, 0, info.out,
           "dated by column 'date', monthly (P1M), its training data ending "
           "2016-08", "\n  date_step = P1M\n", END);
    spawn_result_free(&info);
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* A checkpoint of the wrong kind                                            */

void test_cli_inspect_wrong_model(void)
{
    if (!scratch_open("recur-inspect"))
        return;
    models m;
    char out[400], mid[400], model[512], input[512];
    if (!make_models(&m)) {
        scratch_close();
        return;
    }
    in_scratch(mid, sizeof mid, "x.mid");
    spawn_result r = run("predict", "--model", m.charlm, "--data", m.text, END);
    expect("predict with a charlm", &r, 1, r.err,
           "is a character language model (task charlm); recur predict needs "
           "a text classifier, a forecaster or a sequence tagger (task classify, forecast or tag)", END);
    spawn_result_free(&r);
    r = run("predict", "--model", m.music, "--data", m.text, END);
    expect("predict with a music model", &r, 1, r.err,
           "is a music model (task music); recur predict needs", END);
    spawn_result_free(&r);
    r = run("sample", "--model", m.classifier, END);
    expect("sample with a classifier", &r, 1, r.err,
           "is a text classifier (task classify); recur sample needs a "
           "character language model, a word language model or a music model "
           "(task charlm, wordlm or music)", END);
    spawn_result_free(&r);
    r = run("sample", "--task", "music", "--model", m.forecaster, "--output",
            mid, END);
    expect("sample --task music with a forecaster", &r, 1, r.err,
           "is a forecaster (task forecast); recur sample --task music needs "
           "a music model (task music)", END);
    spawn_result_free(&r);
    r = run("eval", "--task", "forecast", "--model", m.music, "--data",
            m.series, END);
    expect("eval --task forecast with a music model", &r, 1, r.err,
           "is a music model (task music); recur eval --task forecast needs a "
           "forecaster (task forecast)", END);
    spawn_result_free(&r);
    r = run("sample", "--task", "charlm", "--model", m.wordlm, END);
    expect("sample --task charlm with a wordlm", &r, 1, r.err,
           "is a word language model (task wordlm)", END);
    spawn_result_free(&r);
    r = run("eval", "--model", m.forecaster, "--data", m.text, "--task",
            "classify", END);
    expect("eval --task classify with a forecaster", &r, 1, r.err,
           "is a forecaster (task forecast); recur eval --task classify needs "
           "a text classifier (task classify)", END);
    spawn_result_free(&r);
    r = run("predict", "--task", "music", "--model", m.music, END);
    expect("predict --task music", &r, 2, r.err,
           "there is no recur predict --task music", END);
    spawn_result_free(&r);

    /* A file without a task: recur forward's output. */
    snprintf(model, sizeof model, "%s/lstm-uni-L1/model.safetensors",
             test_fixture_dir());
    snprintf(input, sizeof input, "%s/lstm-uni-L1/input.safetensors",
             test_fixture_dir());
    in_scratch(out, sizeof out, "out.safetensors");
    r = run("forward", "--model", model, "--input", input, "--output", out, END);
    spawn_result_free(&r);
    const char *cmds[3] = {"eval", "sample", "predict"};
    for (int i = 0; i < 3; i++) {
        r = run(cmds[i], "--model", out, "--data", m.text, END);
        char what[64];
        snprintf(what, sizeof what, "%s with a file without a task", cmds[i]);
        expect(what, &r, 1, r.err, "has no task in its metadata", "needs", END);
        spawn_result_free(&r);
    }
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* --help                                                                    */

void test_cli_inspect_help(void)
{
    if (!scratch_open("recur-inspect"))
        return;
    static const char *const all = "--task charlm|wordlm|classify|forecast|music|tag";
    spawn_result r = run("eval", "--help", END);
    expect("eval --help", &r, 0, r.out, all, "classify:", "forecast:", "music:", "tag:",
           "recur eval --task TASK --help", "--seq-len", END);
    CHECK(r.out && !strstr(r.out, "--test-fraction"),
          "eval --help lists the forecaster's options");
    spawn_result_free(&r);
    r = run("train", "--help", END);
    expect("train --help", &r, 0, r.out, all, END);
    spawn_result_free(&r);
    r = run("sample", "--help", END);
    expect("sample --help", &r, 0, r.out, "--task charlm|wordlm|music",
           "wordlm", "music:", "recur sample --task music --help",
           "(default: \\n)", END);
    spawn_result_free(&r);

    /* Each task's own help, where the options differ. */
    r = run("eval", "--task", "forecast", "--help", END);
    expect("eval --task forecast --help", &r, 0, r.out,
           "usage: recur eval [--task forecast]", "--test-fraction", "RMSE",
           END);
    CHECK(r.out && !strstr(r.out, "--seq-len"),
          "eval --task forecast --help lists the language models' options");
    spawn_result_free(&r);
    r = run("eval", "--task", "classify", "--help", END);
    expect("eval --task classify --help", &r, 0, r.out, "--format", END);
    spawn_result_free(&r);
    r = run("eval", "--task", "music", "--help", END);
    expect("eval --task music --help", &r, 0, r.out, "piano rolls", END);
    spawn_result_free(&r);
    r = run("eval", "--task", "wordlm", "--help", END);
    expect("eval --task wordlm --help", &r, 0, r.out, "nats per word", END);
    spawn_result_free(&r);
    r = run("sample", "--task", "wordlm", "--help", END);
    expect("sample --task wordlm --help", &r, 0, r.out, "words to generate",
           "word language model", END);
    spawn_result_free(&r);
    r = run("sample", "--task", "charlm", "--help", END);
    expect("sample --task charlm --help", &r, 0, r.out,
           "characters to generate", END);
    spawn_result_free(&r);
    r = run("predict", "--task", "forecast", "--help", END);
    expect("predict --task forecast --help", &r, 0, r.out, "--plot", END);
    spawn_result_free(&r);
    r = run("predict", "--task", "classify", "--help", END);
    expect("predict --task classify --help", &r, 0, r.out,
           "usage: recur predict [--task classify]", END);
    spawn_result_free(&r);
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* A misspelt command                                                        */

void test_cli_inspect_commands(void)
{
    if (!scratch_open("recur-inspect"))
        return;
    static const char *const slips[][2] = {
        {"trian", "train"}, {"sampel", "sample"}, {"evl", "eval"},
        {"predcit", "predict"}, {"inf", "info"}, {"forwad", "forward"},
        {"bnech", "bench"}};
    for (size_t i = 0; i < sizeof slips / sizeof *slips; i++) {
        spawn_result r = run(slips[i][0], END);
        char want[80], what[64];
        snprintf(want, sizeof want, "recur: unknown command '%s'; did you mean "
                 "%s?", slips[i][0], slips[i][1]);
        snprintf(what, sizeof what, "recur %s", slips[i][0]);
        expect(what, &r, 2, r.err, want, END);
        spawn_result_free(&r);
    }
    spawn_result r = run("frobnicate", END);
    expect("recur frobnicate", &r, 2, r.err, "unknown command 'frobnicate'", END);
    CHECK(r.err && !strstr(r.err, "did you mean"), "recur frobnicate: %s", r.err);
    spawn_result_free(&r);
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* Error messages in the user's terms                                        */

/* The format strings of error_fail and cli_error calls in every .c file of
 * dir: none may begin "name: " with name a word of code (a function such
 * as labeled_encode or fit) rather than the file, option or value. The
 * public API's recur_* names are the embedder's own terms; a few words are
 * what the user typed (--optimizer sgd) or reads (vocabulary). */
static size_t scan_messages(const char *dir, size_t *calls)
{
    static const char *const users_words[] = {"vocabulary", "sgd", "adam",
                                              "adamw", "rmsprop", "adagrad"};
    DIR *d = opendir(dir);
    CHECK(d != NULL, "cannot read %s", dir);
    if (!d)
        return 0;
    size_t bad = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (n < 2 || strcmp(e->d_name + n - 2, ".c")) {
            if (!strchr(e->d_name, '.'))
                bad += scan_messages(path, calls); /* a layer's folder */
            continue;
        }
        char *src = spawn_read_file(path, NULL);
        for (char *p = src; p && (p = strstr(p, "error_fail(")) != NULL; p++) {
            (*calls)++;
            char *q = strchr(p, '"'), *close = strchr(p, ';');
            if (!q || (close && close < q))
                continue;
            size_t w = 0;
            while (islower((unsigned char)q[1 + w]) || isdigit((unsigned char)q[1 + w]) ||
                   q[1 + w] == '_')
                w++;
            if (w == 0 || q[1 + w] != ':' || !strncmp(q + 1, "recur_", 6))
                continue;
            int users = 0;
            for (size_t k = 0; k < sizeof users_words / sizeof *users_words; k++)
                users |= strlen(users_words[k]) == w &&
                         !strncmp(q + 1, users_words[k], w);
            if (!users) {
                bad++;
                fprintf(stderr, "  %s: a message begins with '%.*s:'\n", path,
                        (int)w, q + 1);
            }
        }
        free(src);
    }
    closedir(d);
    return bad;
}

void test_cli_inspect_messages(void)
{
    /* The sources, from the fixtures' directory (tests/fixtures). */
    char src[1024], cli[1024];
    snprintf(src, sizeof src, "%s/../../src", test_fixture_dir());
    snprintf(cli, sizeof cli, "%s/../../cli", test_fixture_dir());
    size_t calls = 0, bad = scan_messages(src, &calls) + scan_messages(cli, &calls);
    CHECK(calls > 300 && bad == 0, "%zu of %zu error messages begin with the "
          "name of the code that noticed", bad, calls);

    /* What used to say "labeled_encode: no examples". */
    if (!scratch_open("recur-inspect"))
        return;
    char two[400], one[400];
    in_scratch(two, sizeof two, "two.tsv");
    in_scratch(one, sizeof one, "one.tsv");
    if (write_text(two, "pos\tgood\nneg\tbad\n") && write_text(one, "pos\tgood\npos\tfine\n")) {
        spawn_result r = run("train", "--task", "classify", "--data", two, TINY,
                             "--epochs", "1", END);
        expect("train classify on 2 examples", &r, 1, r.err, two,
               "2 examples leave none for the validation part",
               "--val-fraction 0.1", "--val-data", END);
        CHECK(r.err && !strstr(r.err, "labeled_encode"), "%s", r.err);
        spawn_result_free(&r);
        r = run("train", "--task", "classify", "--data", one, TINY, "--epochs",
                "1", END);
        expect("train classify on one class", &r, 1, r.err, one,
               "every example is of class 'pos'", "2 or more", END);
        spawn_result_free(&r);
    }
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* Metrics logs and learning rates                                           */

/* Column col (0-based) of the first data row of a CSV file: into buf. */
static const char *csv_cell(const char *path, size_t col, char *buf, size_t size)
{
    char *text = spawn_read_file(path, NULL);
    buf[0] = '\0';
    const char *row = text ? strchr(text, '\n') : NULL;
    for (size_t c = 0; row && c < col; c++)
        row = strchr(row + 1, ',');
    if (row) {
        size_t len = strcspn(row + 1, ",\n");
        snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), row + 1);
    }
    free(text);
    return buf;
}

void test_cli_inspect_metrics(void)
{
    /* The shortest text that reads back. */
    static const struct {
        float v;
        const char *text;
    } known[] = {{2e-3f, "0.002"}, {0.1f, "0.1"}, {1.0f / 3.0f, "0.33333334"},
                 {1e-8f, "1e-08"},  {3e-3f, "0.003"}, {0.0f, "0"},
                 {-2.5f, "-2.5"},   {16777216.0f, "16777216"}};
    char buf[32];
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        CHECK(!strcmp(floatfmt_shortest(buf, sizeof buf, known[i].v), known[i].text),
              "floatfmt_shortest(%.9g) = '%s', expected '%s'", (double)known[i].v,
              buf, known[i].text);
    size_t bad = 0;
    uint32_t x = 2463534242u;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        float v;
        memcpy(&v, &x, sizeof v);
        if (!isfinite(v))
            continue;
        floatfmt_shortest(buf, sizeof buf, v);
        bad += strtof(buf, NULL) != v || (float)strtod(buf, NULL) != v;
    }
    CHECK(bad == 0, "%zu of 100000 floats do not read back from their "
          "shortest text", bad);

    if (!scratch_open("recur-inspect"))
        return;
    models m;
    char csv[400], cell[64], header[80];
    if (make_models(&m)) {
        /* The language model's log: step, epoch, then lr 0.002 as given. */
        in_scratch(csv, sizeof csv, "c.metrics.csv");
        char *text = spawn_read_file(csv, NULL);
        CHECK(text && !strncmp(text, "step,epoch,", 11), "%s: header %.60s",
              csv, text ? text : "(none)");
        free(text);
        CHECK(!strcmp(csv_cell(csv, 2, cell, sizeof cell), "0.002"),
              "%s: lr '%s', expected '0.002'", csv, cell);
        /* A supervised task's log: the same first columns; lr 0.003. */
        in_scratch(csv, sizeof csv, "f.metrics.csv");
        text = spawn_read_file(csv, NULL);
        snprintf(header, sizeof header, "%.*s", (int)strcspn(text ? text : "", "\n"),
                 text ? text : "");
        CHECK(!strcmp(header, "step,epoch,train_loss,val_loss,best,lr,seconds"),
              "%s: header '%s'", csv, header);
        free(text);
        CHECK(!strcmp(csv_cell(csv, 5, cell, sizeof cell), "0.003"),
              "%s: lr '%s', expected '0.003'", csv, cell);
        CHECK(!strcmp(csv_cell(csv, 1, cell, sizeof cell), "1"),
              "%s: epoch '%s' in the second column, expected '1'", csv, cell);
        /* The checkpoint's metadata: as set, not 0.00200000009. */
        spawn_result r = run("info", m.charlm, END);
        expect("info charlm's rates", &r, 0, r.out, "\n  sched.base_lr = 0.002\n",
               "\n  dropout = 0.1\n", "\n  optim.beta1 = 0.9\n", END);
        spawn_result_free(&r);
    }
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* The progress line under --time-limit                                      */

/* Some "step N/" in text: a step total. */
static int has_step_total(const char *text)
{
    for (const char *p = text; p && (p = strstr(p, "step ")) != NULL; p += 5) {
        const char *q = p + 5;
        while (isdigit((unsigned char)*q))
            q++;
        if (q > p + 5 && *q == '/')
            return 1;
    }
    return 0;
}

void test_cli_inspect_progress(void)
{
    if (!scratch_open("recur-inspect"))
        return;
    char text[400], save[400];
    in_scratch(text, sizeof text, "words.txt");
    in_scratch(save, sizeof save, "p.safetensors");
    CHECK(write_words(text), "cannot write %s", text);
    /* 1000 epochs in 0.3 s: the time limit ends the run, and the line
     * follows it. */
    spawn_result r = run("train", "--data", text, TINY, "--layers", "1",
                         "--embed", "8", "--seq-len", "20", "--batch", "4",
                         "--epochs", "1000", "--time-limit", "0.3",
                         "--save-every", "0", "--save", save, END);
    expect("train --time-limit 0.3", &r, 0, r.err, "% of --time-limit 0.3s",
           END);
    CHECK(r.err && !has_step_total(r.err), "train --time-limit 0.3: a step "
          "total the run will not reach: %s", r.err ? r.err : "");
    spawn_result_free(&r);
    /* One epoch long before the limit: the steps end the run. */
    r = run("train", "--data", text, TINY, "--layers", "1", "--embed", "8",
            "--seq-len", "20", "--batch", "4", "--epochs", "1", "--time-limit",
            "1000", "--save-every", "0", "--save", save, END);
    expect("train --time-limit 1000 --epochs 1", &r, 0, r.err, END);
    CHECK(r.err && has_step_total(r.err) && !strstr(r.err, "of --time-limit"),
          "train --epochs 1 --time-limit 1000: %s", r.err ? r.err : "");
    spawn_result_free(&r);
    scratch_close();
}
