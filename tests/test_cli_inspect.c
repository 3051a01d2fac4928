/*
 * test_cli_inspect.c — what the `recur` binary says about files and about
 * itself ($RECUR_BIN through spawn.h), on tiny models trained in a scratch
 * directory:
 *   - eval --task forecast gives the figures train printed at its end;
 *   - a checkpoint of the wrong task: what the file is and what the
 *     command needs, for every command;
 *   - --help of eval and sample describes every task; --task lists them;
 *     the task-specific helps differ where the options do;
 */
#include "io/safetensors.h"
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
/* Scratch directory and runs                                                */

static char scratch[256], capture[300];

static const char *in_scratch(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", scratch, name);
    return buf;
}

static int scratch_open(void)
{
    return spawn_scratch_open("recur-inspect", scratch, sizeof scratch,
                              capture, sizeof capture);
}

static void scratch_close(void)
{
    spawn_remove_tree(scratch);
    CHECK(!spawn_exists(scratch), "could not remove %s", scratch);
}

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

static int write_text(const char *path, const char *text)
{
    return spawn_write_file(path, text, strlen(text));
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

/* 200 steps of "date,temp,load": load a sine of period 12 plus a trend. */
static int write_series(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return 0;
    fprintf(f, "date,temp,load\n");
    for (int i = 0; i < 200; i++)
        fprintf(f, "2020-01-%03d,%d,%.6f\n", i, i % 7,
                10 + 3 * sin(i * 2 * 3.14159265358979 / 12) + 0.05 * i);
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
    int ok = write_words(m->text) && write_series(m->series) &&
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
/* eval --task forecast                                                      */

static json_t *json_of(const char *what, const spawn_result *r)
{
    json_t *o = r->out ? json_loads(r->out, 0, NULL) : NULL;
    CHECK(json_is_object(o), "%s: stdout is not one JSON object: %s", what,
          r->out ? r->out : "");
    return o;
}

/* The test part's figures of a training run's --json against eval's. */
static void same_scores(const char *what, json_t *trained, json_t *scored)
{
    static const char *const keys[] = {
        "test_values", "rmse", "mae", "mape", "smape", "naive_rmse",
        "naive_mae", "naive_mape", "seasonal_rmse", "seasonal_mae",
        "seasonal_mape"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        json_t *a = json_object_get(trained, keys[i]),
               *b = json_object_get(scored, keys[i]);
        CHECK(json_is_number(a) && json_is_number(b) &&
                  json_number_value(a) == json_number_value(b),
              "%s: %s is %g in training, %g in eval", what, keys[i],
              json_number_value(a), json_number_value(b));
    }
}

void test_cli_inspect_eval_forecast(void)
{
    if (!scratch_open())
        return;
    char series[400], f[400], r[400];
    in_scratch(series, sizeof series, "series.csv");
    in_scratch(f, sizeof f, "f.safetensors");
    in_scratch(r, sizeof r, "r.safetensors");
    CHECK(write_series(series), "cannot write %s", series);

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
           "test part: 40 windows from step 160, horizon 1 (40 values)",
           "\n  recur ", "\n  naive ", "\n  seasonal naive ", END);
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
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* A checkpoint of the wrong kind                                            */

void test_cli_inspect_wrong_model(void)
{
    if (!scratch_open())
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
           "a text classifier or a forecaster (task classify or forecast)", END);
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
    if (!scratch_open())
        return;
    static const char *const all = "--task charlm|wordlm|classify|forecast|music";
    spawn_result r = run("eval", "--help", END);
    expect("eval --help", &r, 0, r.out, all, "classify:", "forecast:", "music:",
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

