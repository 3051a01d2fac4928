/*
 * test_cli_bench.c — `recur bench` as a user runs it ($RECUR_BIN, through
 * spawn.h), on tiny shapes only (H = 8, T = 4, B = 2, --repeat 2): the
 * timings are not checked, only that every mode (with --varlen and
 * --bidirectional too) exits 0 with one JSON object holding the
 * configuration, a positive ms_median and gflops, the FLOP count of the
 * formula, and us_per_step exactly in step mode; and that bad options exit
 * 2 with a message and nothing on stdout.
 */
#include "spawn.h"
#include "test.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define END ((const char *)NULL)

static char scratch[256];

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

typedef struct {
    const char *what, *cell, *mode;
    int layers, bidir, varlen;
    double gates;
    const char *recompute; /* --recompute, or NULL */
} bench_case;

static void run_case(const bench_case *c)
{
    const char *args[32] = {"bench", "--cell", c->cell, "--mode", c->mode,
                            "--input-size", "5", "--hidden", "8",
                            "--layers", c->layers == 2 ? "2" : "1",
                            "--batch", "2", "--seq-len", "4", "--repeat", "2",
                            "--warmup", "1", "--threads", "1", "--json"};
    size_t n = 22;
    if (c->bidir)
        args[n++] = "--bidirectional";
    if (c->varlen)
        args[n++] = "--varlen";
    if (c->recompute) {
        args[n++] = "--recompute";
        args[n++] = c->recompute;
    }
    args[n] = END;
    spawn_result r = spawn_recur(scratch, args);
    CHECK(r.status == 0, "bench %s: exit %d: %s", c->what, r.status, r.err ? r.err : "");
    json_error_t error;
    json_t *o = r.out ? json_loads(r.out, 0, &error) : NULL;
    CHECK(json_is_object(o), "bench %s: stdout is not one JSON object: %s", c->what,
          r.out ? r.out : "");
    if (json_is_object(o)) {
        const char *keys[] = {"cell", "input_size", "hidden", "layers", "bidirectional",
                              "batch", "seq_len", "varlen", "mode", "threads", "repeat",
                              "ms_median", "ms_min", "gflops", "tokens_per_sec",
                              "openblas_core", "flops", "peak_rss_mib", "recompute"};
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
            CHECK(json_object_get(o, keys[k]) != NULL, "bench %s: no \"%s\"", c->what,
                  keys[k]);
        CHECK(strcmp(str(o, "cell"), c->cell) == 0 && strcmp(str(o, "mode"), c->mode) == 0,
              "bench %s: cell or mode not echoed", c->what);
        CHECK(num(o, "hidden") == 8 && num(o, "input_size") == 5 && num(o, "batch") == 2 &&
                  num(o, "seq_len") == 4 && num(o, "repeat") == 2 &&
                  num(o, "layers") == c->layers,
              "bench %s: shapes not echoed", c->what);
        CHECK(json_is_boolean(json_object_get(o, "bidirectional")) &&
                  json_is_true(json_object_get(o, "bidirectional")) == c->bidir &&
                  json_is_true(json_object_get(o, "varlen")) == c->varlen,
              "bench %s: flags not echoed", c->what);
        CHECK(num(o, "recompute") == (c->recompute ? atof(c->recompute) : 0) &&
                  num(o, "peak_rss_mib") > 0,
              "bench %s: recompute %g, peak_rss_mib %g", c->what,
              num(o, "recompute"), num(o, "peak_rss_mib"));
        double med = num(o, "ms_median"), mn = num(o, "ms_min");
        CHECK(med > 0 && isfinite(med) && mn > 0 && mn <= med,
              "bench %s: ms_median %g, ms_min %g", c->what, med, mn);
        CHECK(num(o, "gflops") > 0 && isfinite(num(o, "gflops")) &&
                  num(o, "tokens_per_sec") > 0,
              "bench %s: gflops %g, tokens/s %g", c->what, num(o, "gflops"),
              num(o, "tokens_per_sec"));
        /* FLOPs: 2 G H (I_l + H) per token, layer and direction; x3 train. */
        double D = c->bidir ? 2 : 1, per = 0;
        for (int l = 0; l < c->layers; l++)
            per += D * 2 * c->gates * 8 * ((l ? D * 8 : 5) + 8);
        double tokens = c->varlen ? num(o, "tokens") : 4 * 2;
        CHECK(tokens >= 2 * 1 && tokens <= 8, "bench %s: %g tokens", c->what, tokens);
        double want = per * tokens * (strcmp(c->mode, "train") == 0 ? 3 : 1);
        CHECK(num(o, "flops") == want, "bench %s: flops %.0f, expected %.0f", c->what,
              num(o, "flops"), want);
        CHECK(fabs(num(o, "gflops") - want / (med * 1e-3) / 1e9) <=
                  1e-3 * num(o, "gflops") + 1e-4,
              "bench %s: gflops is not flops / ms_median", c->what);
        int step = strcmp(c->mode, "step") == 0;
        json_t *us = json_object_get(o, "us_per_step");
        CHECK(step ? json_is_number(us) && json_number_value(us) > 0 : us == NULL,
              "bench %s: us_per_step %s", c->what, step ? "missing" : "present");
        if (step && json_is_number(us))
            CHECK(fabs(json_number_value(us) * 4 - med * 1e3) <= 1e-3 * med * 1e3 + 1e-3,
                  "bench %s: us_per_step is not ms_median / T", c->what);
    }
    json_decref(o);
    spawn_result_free(&r);
}

void test_cli_bench(void)
{
    snprintf(scratch, sizeof scratch, "/tmp/recur-bench-XXXXXX");
    if (!mkdtemp(scratch)) {
        CHECK(0, "cannot create a scratch directory");
        return;
    }
    static const bench_case cases[] = {
        {.what = "lstm infer", .cell = "lstm", .mode = "infer", .layers = 1,
         .bidir = 0, .varlen = 0, .gates = 4, .recompute = NULL},
        {.what = "lstm train", .cell = "lstm", .mode = "train", .layers = 1,
         .bidir = 0, .varlen = 0, .gates = 4, .recompute = NULL},
        {.what = "lstm step", .cell = "lstm", .mode = "step", .layers = 1,
         .bidir = 0, .varlen = 0, .gates = 4, .recompute = NULL},
        {.what = "gru infer L2", .cell = "gru", .mode = "infer", .layers = 2,
         .bidir = 0, .varlen = 0, .gates = 3, .recompute = NULL},
        {.what = "gru train L2", .cell = "gru", .mode = "train", .layers = 2,
         .bidir = 0, .varlen = 0, .gates = 3, .recompute = NULL},
        {.what = "gru step L2", .cell = "gru", .mode = "step", .layers = 2,
         .bidir = 0, .varlen = 0, .gates = 3, .recompute = NULL},
        {.what = "rnn infer", .cell = "rnn", .mode = "infer", .layers = 1,
         .bidir = 0, .varlen = 0, .gates = 1, .recompute = NULL},
        {.what = "rnn_relu train", .cell = "rnn_relu", .mode = "train",
         .layers = 1, .bidir = 0, .varlen = 0, .gates = 1, .recompute = NULL},
        {.what = "gru_reset_before step", .cell = "gru_reset_before",
         .mode = "step", .layers = 1, .bidir = 0, .varlen = 0, .gates = 3,
         .recompute = NULL},
        {.what = "lstm bidir infer", .cell = "lstm", .mode = "infer",
         .layers = 2, .bidir = 1, .varlen = 0, .gates = 4, .recompute = NULL},
        {.what = "lstm bidir train", .cell = "lstm", .mode = "train",
         .layers = 2, .bidir = 1, .varlen = 0, .gates = 4, .recompute = NULL},
        {.what = "lstm varlen infer", .cell = "lstm", .mode = "infer",
         .layers = 1, .bidir = 0, .varlen = 1, .gates = 4, .recompute = NULL},
        {.what = "lstm bidir varlen train", .cell = "lstm", .mode = "train",
         .layers = 2, .bidir = 1, .varlen = 1, .gates = 4, .recompute = NULL},
        {.what = "gru bidir varlen train", .cell = "gru", .mode = "train",
         .layers = 2, .bidir = 1, .varlen = 1, .gates = 3, .recompute = NULL},
        {.what = "lstm bidir varlen train, recompute 3", .cell = "lstm",
         .mode = "train", .layers = 2, .bidir = 1, .varlen = 1, .gates = 4,
         .recompute = "3"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++)
        run_case(&cases[k]);

    /* The human line names the step path. */
    spawn_expect(scratch, "bench step human line",
                 (const char *[]){"bench", "--mode", "step", "--hidden", "8",
                                  "--input-size", "4", "--seq-len", "3", "--repeat",
                                  "1", END},
                 0, "recur_rnn_forward", "stdout");

    static const char *const bad[][6] = {
        {"--hidden", "0", END},
        {"--mode", "banana", END},
        {"--cell", "transformer", END},
        {"--batch", "0", END},
        {"--seq-len", "-1", END},
        {"--layers", "65", END},
        {"--repeat", "0", END},
        {"--threads", "x", END},
        {"--mode", "step", "--bidirectional", END},
        {"--mode", "step", "--varlen", END},
        {"--hiden", "8", END},
        {"stray", END},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        const char *args[8] = {"bench"};
        size_t n = 1;
        for (size_t j = 0; bad[k][j]; j++)
            args[n++] = bad[k][j];
        args[n] = END;
        spawn_result r = spawn_recur(scratch, args);
        CHECK(r.status == 2, "bench %s %s: exit %d, expected 2", bad[k][0],
              bad[k][1] ? bad[k][1] : "", r.status);
        CHECK(r.err && strstr(r.err, "recur bench: "), "bench %s: no message: %s",
              bad[k][0], r.err ? r.err : "");
        CHECK(r.out && !*r.out, "bench %s: printed on stdout: %s", bad[k][0],
              r.out ? r.out : "");
        spawn_result_free(&r);
    }
    spawn_remove_tree(scratch);
    CHECK(!spawn_exists(scratch), "could not remove %s", scratch);
}
