/*
 * test_cli.c — the `recur` binary as a user runs it ($RECUR_BIN, default
 * build/recur): `recur forward` on every committed PyTorch fixture against
 * its expected tensors, and on files built here that are wrong in one way
 * each — the exit status, a message naming the problem, and no output file
 * left behind (an existing one left as it was). Usage errors exit 2, data
 * errors 1. The binary runs through spawn.h.
 */
#define _POSIX_C_SOURCE 200809L

#include "io/safetensors.h"
#include "spawn.h"
#include "test.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Files and directories                                                     */

/* The scratch directory of the running test: captures, variants, outputs. */
static char scratch[256];

static const char *scratch_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", scratch, name);
    return buf;
}

static const char *fixture_path(char *buf, size_t size, const char *name,
                                const char *file)
{
    snprintf(buf, size, "%s/%s/%s.safetensors", test_fixture_dir(), name, file);
    return buf;
}

static int scratch_open(void)
{
    snprintf(scratch, sizeof scratch, "/tmp/recur-cli-XXXXXX");
    int ok = mkdtemp(scratch) != NULL;
    char out[300];
    ok = ok && mkdir(scratch_path(out, sizeof out, "out"), 0700) == 0;
    CHECK(ok, "cannot create the scratch directory %s", scratch);
    return ok;
}

static void scratch_close(void)
{
    spawn_remove_tree(scratch);
    struct stat sb;
    CHECK(stat(scratch, &sb) != 0, "could not remove %s", scratch);
}

/* Runs the command (captures in the scratch directory) and checks its exit
 * status and that stderr or stdout contains needle (when not NULL). */
static int expect_exit(const char *what, const char *const *args, int want,
                       const char *needle, const char *stream_name)
{
    return spawn_expect(scratch, what, args, want, needle, stream_name);
}

/* ------------------------------------------------------------------------ */
/* Comparing outputs with expected tensors                                   */

static float *to_f32(const st_tensor *t)
{
    float *v = malloc((t->numel ? t->numel : 1) * sizeof(float));
    if (v && st_to_f32(t, v) != RECUR_OK) {
        free(v);
        v = NULL;
    }
    return v;
}

static int same_shape(const st_tensor *a, const st_tensor *b)
{
    if (a->ndim != b->ndim)
        return 0;
    for (size_t k = 0; k < a->ndim; k++)
        if (a->shape[k] != b->shape[k])
            return 0;
    return 1;
}

static const char *shape_str(const st_tensor *t, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (size_t k = 0; k < t->ndim && used < size; k++)
        used += (size_t)snprintf(buf + used, size - used, "%s%zu", k ? "," : "",
                                 t->shape[k]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
    return buf;
}

typedef struct {
    double state, grad;  /* worst error / tolerance seen, by kind */
} worst_errors;

/* OUT must hold exactly the tensors of EXPECTED, same shapes, values within
 * tol * max(1, max|expected|): 2e-5 for output/h_n/c_n, 1e-4 for grad*. */
static void compare_results(const char *name, const char *out_path,
                            const char *expected_path, worst_errors *worst)
{
    st_file *out = NULL, *exp = NULL;
    recur_status s = st_read(out_path, &out);
    CHECK(s == RECUR_OK, "%s: cannot read the output: %s", name,
          recur_last_error());
    recur_status e = st_read(expected_path, &exp);
    CHECK(e == RECUR_OK, "%s: cannot read expected: %s", name,
          recur_last_error());
    if (s || e) {
        st_free(out);
        st_free(exp);
        return;
    }
    for (size_t i = 0; i < st_count(out); i++) {
        const char *tname = st_at(out, i)->name;
        CHECK(st_find(exp, tname) != NULL,
              "%s: output has '%s', which expected does not", name, tname);
    }
    for (size_t i = 0; i < st_count(exp); i++) {
        const st_tensor *b = st_at(exp, i);
        const st_tensor *a = st_find(out, b->name);
        CHECK(a != NULL, "%s: output lacks '%s'", name, b->name);
        if (!a)
            continue;
        char got[128], want[128];
        CHECK(same_shape(a, b), "%s: '%s' has shape %s, expected %s", name,
              b->name, shape_str(a, got, sizeof got),
              shape_str(b, want, sizeof want));
        if (!same_shape(a, b))
            continue;
        float *va = to_f32(a), *vb = to_f32(b);
        CHECK(va && vb, "%s: '%s' is not a float tensor", name, b->name);
        if (va && vb) {
            double err = 0, scale = 1;
            for (size_t k = 0; k < b->numel; k++) {
                err = fmax(err, fabs((double)va[k] - vb[k]));
                scale = fmax(scale, fabs((double)vb[k]));
            }
            for (size_t k = 0; k < a->numel; k++)
                if (isnan(va[k]))
                    err = INFINITY; /* fmax would skip a NaN */
            int grad = strncmp(b->name, "grad", 4) == 0;
            double tol = (grad ? 1e-4 : 2e-5) * scale;
            double *w = grad ? &worst->grad : &worst->state;
            *w = fmax(*w, err / tol);
            CHECK(err <= tol, "%s: %s max error %.3g (tolerance %.3g)", name,
                  b->name, err, tol);
        }
        free(va);
        free(vb);
    }
    st_free(out);
    st_free(exp);
}

/* Runs `recur forward` on (model, input) into out_path; on exit 0 compares
 * with the expected file. Returns the exit status. */
static int forward_and_compare(const char *what, const char *model,
                               const char *input, const char *expected,
                               const char *out_path, worst_errors *worst)
{
    const char *args[] = {"forward", "--model", model, "--input", input,
                          "--output", out_path, NULL};
    int status = expect_exit(what, args, 0, NULL, "stderr");
    if (status == 0)
        compare_results(what, out_path, expected, worst);
    return status;
}

void test_cli_forward_fixtures(void)
{
    if (!scratch_open())
        return;
    char index_path[512], out_path[300];
    snprintf(index_path, sizeof index_path, "%s/INDEX", test_fixture_dir());
    char *index = spawn_read_file(index_path, NULL);
    CHECK(index != NULL, "cannot read %s", index_path);
    scratch_path(out_path, sizeof out_path, "out/out.safetensors");
    worst_errors worst = {0, 0};
    size_t cases = 0;
    for (char *save = NULL, *line = index ? strtok_r(index, "\n", &save) : NULL;
         line; line = strtok_r(NULL, "\n", &save)) {
        line[strcspn(line, " \t\r#")] = '\0';
        if (!line[0])
            continue;
        char model[512], input[512], expected[512];
        fixture_path(model, sizeof model, line, "model");
        fixture_path(input, sizeof input, line, "input");
        fixture_path(expected, sizeof expected, line, "expected");
        forward_and_compare(line, model, input, expected, out_path, &worst);
        unlink(out_path);
        cases++;
    }
    CHECK(cases > 0, "%s lists no cases", index_path);
    printf("  cli forward: %zu fixture cases; worst error / tolerance: "
           "outputs %.3g, gradients %.3g\n", cases, worst.state, worst.grad);
    free(index);
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* Variant files                                                             */

typedef struct {
    const char *name;
    st_dtype dtype;
    size_t ndim;
    size_t shape[4];
    const void *data;  /* NULL: zeros */
} tensor_spec;

/* A copy of a fixture file with some tensors left out, some added (adding
 * a dropped name replaces it) and the metadata "mode" changed. */
typedef struct {
    const char *drop[3];
    tensor_spec add[3];
    const char *mode;  /* NULL: as in the source; "": none */
} variant;

static int write_variant(const char *src, const char *dst, const variant *v)
{
    st_file *st = NULL;
    st_writer *w = NULL;
    void *zeros[3] = {NULL, NULL, NULL};
    recur_status s = st_read(src, &st);
    if (!s)
        s = st_writer_new(&w);
    for (size_t i = 0; !s && i < st_count(st); i++) {
        const st_tensor *t = st_at(st, i);
        int dropped = 0;
        for (size_t k = 0; k < 3; k++)
            dropped |= v->drop[k] && strcmp(v->drop[k], t->name) == 0;
        if (!dropped)
            s = st_writer_add(w, t->name, t->dtype, t->ndim, t->shape,
                                    t->data);
    }
    for (size_t k = 0; !s && k < 3 && v->add[k].name; k++) {
        const tensor_spec *a = &v->add[k];
        const void *data = a->data;
        if (!data) {
            size_t n = st_dtype_size(a->dtype);
            for (size_t d = 0; d < a->ndim; d++)
                n *= a->shape[d];
            data = zeros[k] = calloc(n ? n : 1, 1);
        }
        s = data ? st_writer_add(w, a->name, a->dtype, a->ndim, a->shape,
                                       data)
                 : RECUR_ERR_MEMORY;
    }
    const char *mode = v->mode ? v->mode : (st ? st_meta(st, "mode") : NULL);
    if (!s && mode && mode[0])
        s = st_writer_meta(w, "mode", mode);
    if (!s)
        s = st_writer_write(w, dst);
    CHECK(s == RECUR_OK, "cannot build a variant of %s: %s", src,
          recur_last_error());
    st_writer_free(w);
    st_free(st);
    for (size_t k = 0; k < 3; k++)
        free(zeros[k]);
    return s == RECUR_OK;
}

/* ------------------------------------------------------------------------ */
/* Refusals                                                                  */

#define OLD_CONTENT "an earlier output that must survive a failed run\n"

/* `recur forward` on (model, input) must exit `want` naming `needle`, leave
 * no file at out_path, and leave an existing one there byte for byte. */
static void expect_refused(const char *what, const char *model,
                           const char *input, const char *out_path, int want,
                           const char *needle)
{
    char out_dir[300];
    scratch_path(out_dir, sizeof out_dir, "out");
    const char *args[] = {"forward", "--model", model, "--input", input,
                          "--output", out_path, NULL};
    unlink(out_path);
    expect_exit(what, args, want, needle, "stderr");
    CHECK(!spawn_exists(out_path), "%s: the failed run left %s", what, out_path);
    CHECK(spawn_count_entries(out_dir) == 0, "%s: the failed run left files in %s",
          what, out_dir);

    if (!spawn_write_file(out_path, OLD_CONTENT, strlen(OLD_CONTENT)))
        return; /* an output path that cannot be written: nothing to keep */
    expect_exit(what, args, want, needle, "stderr");
    char *now = spawn_read_file(out_path, NULL);
    CHECK(now && strcmp(now, OLD_CONTENT) == 0,
          "%s: the failed run changed the existing output", what);
    CHECK(spawn_count_entries(out_dir) == 1, "%s: the failed run left temporary "
          "files in %s", what, out_dir);
    free(now);
    unlink(out_path);
}

/* Fixtures the variants start from (see tests/fixtures/INDEX):
 *   LSTM1  LSTM, prefix "encoder.lstm.", T=5 B=2 I=4 H=1, lengths, h0, c0
 *   LSTM2  LSTM, prefix "rnn.", 2 layers, H=3, lengths, c0
 *   GRU1   GRU, prefix "encoder.lstm.", T=6 B=2 I=4 H=6, h0 */
#define LSTM1 "lstm-uni-L1-len-h0"
#define LSTM2 "lstm-only_c0"
#define GRU1 "gru-uni-L1-h0"

typedef struct {
    const char *what;
    const char *base;  /* fixture case */
    int of_model;      /* 1: the variant is the model file; 0: the input */
    variant v;
    const char *needle;
} bad_case;

static const int64_t len_zero[2] = {5, 0}, len_long[2] = {6, 1},
                     len_negative[2] = {1, -1}, len_three[3] = {1, 5, 5};
static const float len_float[2] = {1.0f, 5.0f};

static const bad_case bad_cases[] = {
    {.what = "model lacking weight_hh_l0", .base = LSTM1, .of_model = 1,
     .v = {.drop = {"encoder.lstm.weight_hh_l0"}}, .needle = "weight_hh_l0"},
    {.what = "2-layer model lacking weight_ih_l1", .base = LSTM2, .of_model = 1,
     .v = {.drop = {"rnn.weight_ih_l1"}}, .needle = "weight_ih_l1"},
    {.what = "bias_ih without bias_hh", .base = LSTM1, .of_model = 1,
     .v = {.drop = {"encoder.lstm.bias_hh_l0"}}, .needle = "bias_hh"},
    {.what = "mode GRU on LSTM weights", .base = LSTM1, .of_model = 1,
     .v = {.mode = "GRU"}, .needle = "GRU"},
    {.what = "mode BANANA", .base = LSTM1, .of_model = 1,
     .v = {.mode = "BANANA"}, .needle = "BANANA"},
    {.what = "weight_hh_l0 with 2 columns", .base = LSTM1, .of_model = 1,
     .v = {.drop = {"encoder.lstm.weight_hh_l0"},
           .add = {{.name = "encoder.lstm.weight_hh_l0", .dtype = RECUR_DT_F32,
                    .ndim = 2, .shape = {4, 2}, .data = NULL}}},
     .needle = "weight_hh_l0"},
    {.what = "weight_hh_l1 with 4 columns", .base = LSTM2, .of_model = 1,
     .v = {.drop = {"rnn.weight_hh_l1"},
           .add = {{.name = "rnn.weight_hh_l1", .dtype = RECUR_DT_F32,
                    .ndim = 2, .shape = {12, 4}, .data = NULL}}},
     .needle = "weight_hh_l1"},
    {.what = "a second stack", .base = LSTM1, .of_model = 1,
     .v = {.add = {{.name = "decoder.weight_ih_l0", .dtype = RECUR_DT_F32,
                    .ndim = 2, .shape = {4, 4}, .data = NULL}}},
     .needle = "decoder.weight_ih_l0"},
    {.what = "weight_hr on a GRU", .base = GRU1, .of_model = 1,
     .v = {.add = {{.name = "encoder.lstm.weight_hr_l0", .dtype = RECUR_DT_F32,
                    .ndim = 2, .shape = {6, 6}, .data = NULL}}},
     .needle = "weight_hr"},
    {.what = "no 'input'", .base = LSTM1, .of_model = 0,
     .v = {.drop = {"input"}}, .needle = "'input'"},
    {.what = "input [T,B,I+1]", .base = LSTM1, .of_model = 0,
     .v = {.drop = {"input"},
           .add = {{.name = "input", .dtype = RECUR_DT_F32,
                    .ndim = 3, .shape = {5, 2, 5}, .data = NULL}}},
     .needle = "'input'"},
    {.what = "input 2-D", .base = LSTM1, .of_model = 0,
     .v = {.drop = {"input"},
           .add = {{.name = "input", .dtype = RECUR_DT_F32,
                    .ndim = 2, .shape = {10, 4}, .data = NULL}}},
     .needle = "'input'"},
    {.what = "input I64", .base = LSTM1, .of_model = 0,
     .v = {.drop = {"input"},
           .add = {{.name = "input", .dtype = RECUR_DT_I64,
                    .ndim = 3, .shape = {5, 2, 4}, .data = NULL}}},
     .needle = "'input'"},
    {.what = "lengths with a 0", .base = LSTM1, .of_model = 0,
     .v = {.drop = {"lengths"},
           .add = {{.name = "lengths", .dtype = RECUR_DT_I64,
                    .ndim = 1, .shape = {2}, .data = len_zero}}},
     .needle = "lengths"},
    {.what = "lengths with T+1", .base = LSTM1, .of_model = 0,
     .v = {.drop = {"lengths"},
           .add = {{.name = "lengths", .dtype = RECUR_DT_I64,
                    .ndim = 1, .shape = {2}, .data = len_long}}},
     .needle = "lengths"},
    {.what = "lengths with -1", .base = LSTM1, .of_model = 0,
     .v = {.drop = {"lengths"},
           .add = {{.name = "lengths", .dtype = RECUR_DT_I64,
                    .ndim = 1, .shape = {2}, .data = len_negative}}},
     .needle = "lengths"},
    {.what = "lengths [B+1]", .base = LSTM1, .of_model = 0,
     .v = {.drop = {"lengths"},
           .add = {{.name = "lengths", .dtype = RECUR_DT_I64,
                    .ndim = 1, .shape = {3}, .data = len_three}}},
     .needle = "lengths"},
    {.what = "lengths F32", .base = LSTM1, .of_model = 0,
     .v = {.drop = {"lengths"},
           .add = {{.name = "lengths", .dtype = RECUR_DT_F32,
                    .ndim = 1, .shape = {2}, .data = len_float}}},
     .needle = "lengths"},
    {.what = "h0 of the wrong shape", .base = LSTM1, .of_model = 0,
     .v = {.drop = {"h0"},
           .add = {{.name = "h0", .dtype = RECUR_DT_F32,
                    .ndim = 3, .shape = {1, 2, 2}, .data = NULL}}},
     .needle = "'h0'"},
    {.what = "c0 given to a GRU", .base = GRU1, .of_model = 0,
     .v = {.add = {{.name = "c0", .dtype = RECUR_DT_F32,
                    .ndim = 3, .shape = {1, 2, 6}, .data = NULL}}},
     .needle = "'c0'"},
    {.what = "unknown tensor h_0", .base = LSTM1, .of_model = 0,
     .v = {.add = {{.name = "h_0", .dtype = RECUR_DT_F32,
                    .ndim = 3, .shape = {1, 2, 1}, .data = NULL}}},
     .needle = "'h_0'"},
    {.what = "grad_output of the wrong shape", .base = LSTM1, .of_model = 0,
     .v = {.drop = {"grad_output"},
           .add = {{.name = "grad_output", .dtype = RECUR_DT_F32,
                    .ndim = 3, .shape = {5, 2, 2}, .data = NULL}}},
     .needle = "'grad_output'"},
};

/* Files that are not models at all, and an output that cannot be written. */
static void refuse_broken_files(const char *out_path)
{
    char model[512], input[512], path[300], missing[300];
    fixture_path(model, sizeof model, LSTM1, "model");
    fixture_path(input, sizeof input, LSTM1, "input");

    scratch_path(path, sizeof path, "absent.safetensors");
    expect_refused("model file missing", path, input, out_path, 1, path);

    size_t size = 0;
    char *bytes = spawn_read_file(model, &size);
    CHECK(bytes && size > 16, "cannot read %s", model);
    scratch_path(path, sizeof path, "truncated.safetensors");
    if (bytes && spawn_write_file(path, bytes, size / 2))
        expect_refused("model truncated to half", path, input, out_path, 1,
                       path);
    free(bytes);

    static const char text[] = "weight_ih_l0 = [[1, 2], [3, 4]]\n"
                               "this is a text file, not safetensors\n";
    scratch_path(path, sizeof path, "text.safetensors");
    if (spawn_write_file(path, text, strlen(text)))
        expect_refused("model is a text file", path, input, out_path, 1, path);

    scratch_path(missing, sizeof missing, "no-such-dir");
    scratch_path(path, sizeof path, "no-such-dir/out.safetensors");
    expect_refused("output in a missing directory", model, input, path, 1,
                   "no-such-dir");
    CHECK(!spawn_exists(missing), "the failed run created %s", missing);
}

static void check_usage(const char *model)
{
    char out_path[300];
    scratch_path(out_path, sizeof out_path, "out/out.safetensors");
    const char *none[] = {NULL};
    const char *fwd[] = {"forward", NULL};
    const char *unknown[] = {"forward", "--model", model, "--frobnicate",
                             "--output", out_path, NULL};
    const char *no_output[] = {"forward", "--model", model, "--input", model,
                               NULL};
    const char *no_value[] = {"forward", "--model", NULL};
    const char *help[] = {"--help", NULL};
    const char *fwd_help[] = {"forward", "--help", NULL};
    const char *info[] = {"info", model, NULL};
    const char *bogus[] = {"bogus", NULL};
    expect_exit("recur (no arguments)", none, 2, "usage", "stderr");
    expect_exit("recur forward (no arguments)", fwd, 2, "--model", "stderr");
    expect_exit("unknown option", unknown, 2, "--frobnicate", "stderr");
    expect_exit("missing --output", no_output, 2, "--output", "stderr");
    expect_exit("--model without a value", no_value, 2, "--model", "stderr");
    expect_exit("recur --help", help, 0, "usage", "stdout");
    expect_exit("recur forward --help", fwd_help, 0, "--output", "stdout");
    expect_exit("recur info", info, 0, "weight_ih_l0", "stdout");
    expect_exit("recur bogus", bogus, 2, "bogus", "stderr");
    CHECK(!spawn_exists(out_path), "a usage error left %s", out_path);
}

void test_cli_bad_inputs(void)
{
    if (!scratch_open())
        return;
    char out_path[300], variant_path[300], model[512], input[512];
    scratch_path(out_path, sizeof out_path, "out/out.safetensors");

    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const bad_case *c = bad_cases + i;
        fixture_path(model, sizeof model, c->base, "model");
        fixture_path(input, sizeof input, c->base, "input");
        scratch_path(variant_path, sizeof variant_path,
                     c->of_model ? "m.safetensors" : "x.safetensors");
        if (!write_variant(c->of_model ? model : input, variant_path, &c->v))
            continue;
        expect_refused(c->what, c->of_model ? variant_path : model,
                       c->of_model ? input : variant_path, out_path, 1,
                       c->needle);
        unlink(variant_path);
    }
    refuse_broken_files(out_path);

    /* Unrelated tensors around a prefixed stack are ignored; a good run
     * replaces an existing output. */
    char expected[512];
    fixture_path(model, sizeof model, LSTM1, "model");
    fixture_path(input, sizeof input, LSTM1, "input");
    fixture_path(expected, sizeof expected, LSTM1, "expected");
    static const int64_t step = 1000;
    const variant extras = {.add = {
        {.name = "fc.weight", .dtype = RECUR_DT_F32,
         .ndim = 2, .shape = {3, 1}, .data = NULL},
        {.name = "encoder.embedding.weight", .dtype = RECUR_DT_F16,
         .ndim = 2, .shape = {10, 4}, .data = NULL},
        {.name = "step", .dtype = RECUR_DT_I64,
         .ndim = 0, .shape = {0}, .data = &step}}};
    scratch_path(variant_path, sizeof variant_path, "m.safetensors");
    worst_errors worst = {0, 0};
    if (spawn_write_file(out_path, OLD_CONTENT, strlen(OLD_CONTENT)) &&
        write_variant(model, variant_path, &extras) &&
        forward_and_compare("model with extra tensors over an existing output",
                            variant_path, input, expected, out_path,
                            &worst) == 0) {
        char *now = spawn_read_file(out_path, NULL);
        CHECK(now && strcmp(now, OLD_CONTENT) != 0,
              "a good run did not replace the existing output");
        free(now);
    }
    unlink(out_path);
    unlink(variant_path);

    check_usage(model);
    scratch_close();
}
