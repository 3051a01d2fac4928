/*
 * forward.c — `recur forward --model M --input IN --output OUT`, the interop
 * contract with PyTorch:
 *   M   an RNN stack under state_dict names (see rnn_io.c);
 *   IN  input F32 [T,B,I]; optional lengths I64/I32 [B]; h0 [L*D,B,P];
 *       c0 [L*D,B,H] (LSTM); grad_output [T,B,D*P]; grad_h_n [L*D,B,P];
 *       grad_c_n [L*D,B,H] (LSTM). Any other tensor name is an error.
 *   OUT output [T,B,D*P], h_n, c_n (LSTM); with any output gradient also
 *       grad_input, grad_h0 / grad_c0 (when h0 / c0 were given) and
 *       grad.<name> for every parameter under its name in M.
 * Output gradients not given count as zero. OUT is written atomically:
 * on any error no file is left behind.
 */
#include "cli.h"
#include "io/safetensors.h"
#include "stack/stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: recur forward --model M.safetensors --input IN.safetensors\n"
    "                     --output OUT.safetensors\n"
    "\n"
    "Runs the RNN stack stored in M (PyTorch state_dict names such as\n"
    "weight_ih_l0, optionally under a prefix like 'rnn.'; __metadata__ 'mode'\n"
    "= LSTM | GRU | GRU_RESET_BEFORE | RNN_TANH | RNN_RELU overrides the cell\n"
    "kind read off the shapes) on the tensors in IN, and writes OUT.\n"
    "\n"
    "IN:  input F32 [T,B,I]          lengths I64|I32 [B], each in [1,T]\n"
    "     h0 [L*D,B,P]  c0 [L*D,B,H] (LSTM)\n"
    "     grad_output [T,B,D*P]  grad_h_n [L*D,B,P]  grad_c_n [L*D,B,H]\n"
    "OUT: output [T,B,D*P]  h_n [L*D,B,P]  c_n [L*D,B,H] (LSTM)\n"
    "     and, when any grad_* is given: grad_input, grad_h0, grad_c0,\n"
    "     grad.<parameter name as in M>\n"
    "\n"
    "options:\n"
    "  --model PATH    the model (required)\n"
    "  --input PATH    the inputs (required)\n"
    "  --output PATH   where to write the results (required; replaced\n"
    "                  atomically)\n"
    "  -h, --help      this text\n";

static const char *const known_inputs[] = {"input",       "lengths",  "h0",
                                           "c0",          "grad_output",
                                           "grad_h_n",    "grad_c_n"};

typedef struct {
    const char *path;
    const st_file *st;
} input_file;

static void shape_str(const size_t *shape, size_t ndim, char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n, "[");
    for (size_t k = 0; k < ndim && used < n; k++)
        used += (size_t)snprintf(buf + used, n - used, "%s%zu", k ? "," : "",
                                 shape[k]);
    if (used < n)
        snprintf(buf + used, n - used, "]");
}

/* Finds an optional float tensor of exactly the given shape and converts
 * it; *out stays NULL when the tensor is absent. */
static int read_f32(const input_file *in, const char *name, size_t ndim,
                    const size_t *shape, float **out)
{
    const st_tensor *t = st_find(in->st, name);
    *out = NULL;
    if (!t)
        return 0;
    int ok = t->ndim == ndim;
    for (size_t k = 0; ok && k < ndim; k++)
        ok = t->shape[k] == shape[k];
    if (!ok) {
        char got[160], want[160];
        shape_str(t->shape, t->ndim, got, sizeof got);
        shape_str(shape, ndim, want, sizeof want);
        cli_error("forward", "%s: '%s' has shape %s, expected %s", in->path,
                  name, got, want);
        return -1;
    }
    float *buf = malloc((t->numel ? t->numel : 1) * sizeof(float));
    if (!buf) {
        cli_error("forward", "out of memory reading '%s'", name);
        return -1;
    }
    if (st_to_f32(t, buf)) {
        cli_error("forward", "%s: '%s' has dtype %s, expected F32", in->path,
                  name, st_dtype_str(t->dtype));
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

typedef struct {
    size_t T, B, L, D, P, H, I;
    int lstm;
    float *x, *h0, *c0, *dy, *dh_n, *dc_n;
    int64_t *lengths;
    float *y, *h_n, *c_n, *dx, *dh0, *dc0;
} job;

static void job_free(job *j)
{
    free(j->x); free(j->h0); free(j->c0); free(j->dy); free(j->dh_n);
    free(j->dc_n); free(j->lengths); free(j->y); free(j->h_n); free(j->c_n);
    free(j->dx); free(j->dh0); free(j->dc0);
}

static int read_inputs(const input_file *in, recur_rnn *rnn, job *j)
{
    for (size_t i = 0; i < st_count(in->st); i++) {
        const char *name = st_at(in->st, i)->name;
        int known = 0;
        for (size_t k = 0; k < sizeof known_inputs / sizeof *known_inputs; k++)
            known |= strcmp(name, known_inputs[k]) == 0;
        if (!known) {
            cli_error("forward",
                      "%s: unknown tensor '%s' (expected input, lengths, h0, "
                      "c0, grad_output, grad_h_n, grad_c_n)", in->path, name);
            return -1;
        }
    }
    const st_tensor *x = st_find(in->st, "input");
    if (!x) {
        cli_error("forward", "%s: no tensor 'input' [T,B,I]", in->path);
        return -1;
    }
    if (x->ndim != 3 || x->shape[0] == 0 || x->shape[1] == 0 ||
        x->shape[2] != j->I) {
        char got[160];
        shape_str(x->shape, x->ndim, got, sizeof got);
        cli_error("forward",
                  "%s: 'input' has shape %s, expected [T,B,%zu] with T, B >= 1",
                  in->path, got, j->I);
        return -1;
    }
    j->T = x->shape[0];
    j->B = x->shape[1];
    size_t LD = j->L * j->D;
    size_t s_in[3] = {j->T, j->B, j->I}, s_out[3] = {j->T, j->B, j->D * j->P};
    size_t s_h[3] = {LD, j->B, j->P}, s_c[3] = {LD, j->B, j->H};
    if (!j->lstm)
        for (size_t k = 0; k < 2; k++) {
            const char *c = k ? "grad_c_n" : "c0";
            if (st_find(in->st, c)) {
                cli_error("forward", "%s: '%s' is for LSTM only, the model is %s",
                          in->path, c, recur_mode_str(recur_rnn_get_config(rnn)->mode));
                return -1;
            }
        }
    if (read_f32(in, "input", 3, s_in, &j->x) ||
        read_f32(in, "h0", 3, s_h, &j->h0) ||
        read_f32(in, "c0", 3, s_c, &j->c0) ||
        read_f32(in, "grad_output", 3, s_out, &j->dy) ||
        read_f32(in, "grad_h_n", 3, s_h, &j->dh_n) ||
        read_f32(in, "grad_c_n", 3, s_c, &j->dc_n))
        return -1;

    const st_tensor *len = st_find(in->st, "lengths");
    if (len) {
        if (len->ndim != 1 || len->shape[0] != j->B) {
            char got[160];
            shape_str(len->shape, len->ndim, got, sizeof got);
            cli_error("forward", "%s: 'lengths' has shape %s, expected [%zu]",
                      in->path, got, j->B);
            return -1;
        }
        j->lengths = malloc(j->B * sizeof(int64_t));
        if (!j->lengths || st_to_i64(len, j->lengths)) {
            cli_error("forward", "%s: 'lengths' has dtype %s, expected I64 or I32",
                      in->path, st_dtype_str(len->dtype));
            return -1;
        }
        for (size_t b = 0; b < j->B; b++)
            if (j->lengths[b] < 1 || (uint64_t)j->lengths[b] > j->T) {
                cli_error("forward", "%s: lengths[%zu] = %lld is not in [1, %zu]",
                          in->path, b, (long long)j->lengths[b], j->T);
                return -1;
            }
    }
    return 0;
}

static int write_outputs(const char *path, recur_rnn *rnn, const job *j,
                         int backward)
{
    size_t LD = j->L * j->D;
    size_t s_in[3] = {j->T, j->B, j->I}, s_out[3] = {j->T, j->B, j->D * j->P};
    size_t s_h[3] = {LD, j->B, j->P}, s_c[3] = {LD, j->B, j->H};
    st_writer *w;
    recur_status s = st_writer_new(&w);
    if (s)
        return cli_fail("forward", s);
    s = st_writer_add(w, "output", RECUR_DT_F32, 3, s_out, j->y);
    if (!s)
        s = st_writer_add(w, "h_n", RECUR_DT_F32, 3, s_h, j->h_n);
    if (!s && j->lstm)
        s = st_writer_add(w, "c_n", RECUR_DT_F32, 3, s_c, j->c_n);
    if (!s && backward) {
        s = st_writer_add(w, "grad_input", RECUR_DT_F32, 3, s_in, j->dx);
        if (!s && j->h0)
            s = st_writer_add(w, "grad_h0", RECUR_DT_F32, 3, s_h, j->dh0);
        if (!s && j->c0)
            s = st_writer_add(w, "grad_c0", RECUR_DT_F32, 3, s_c, j->dc0);
        char name[600];
        for (size_t i = 0; !s && i < recur_rnn_get_param_count(rnn); i++) {
            const char *pname;
            size_t shape[2];
            float *g;
            recur_rnn_get_param(rnn, i, &pname, NULL, &shape[0], &shape[1]);
            recur_rnn_get_grad(rnn, i, &g);
            snprintf(name, sizeof name, "grad.%s%s", recur_rnn_get_prefix(rnn), pname);
            size_t ndim = stack_param_ndim(pname);
            s = st_writer_add(w, name, RECUR_DT_F32, ndim, shape, g);
        }
    }
    if (!s)
        s = st_writer_write(w, path);
    st_writer_free(w);
    return s ? cli_fail("forward", s) : EXIT_OK;
}

static float *alloc_f32(size_t a, size_t b, size_t c)
{
    return malloc(a * b * c * sizeof(float));
}

int cmd_forward(int argc, char **argv)
{
    const char *model = NULL, *input = NULL, *output = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return EXIT_OK;
        }
        const char **slot = strcmp(a, "--model") == 0    ? &model
                            : strcmp(a, "--input") == 0  ? &input
                            : strcmp(a, "--output") == 0 ? &output
                                                         : NULL;
        if (!slot) {
            cli_error("forward", "unknown option '%s' (see recur forward --help)", a);
            return EXIT_USAGE;
        }
        if (i + 1 >= argc) {
            cli_error("forward", "option %s needs a value", a);
            return EXIT_USAGE;
        }
        *slot = argv[++i];
    }
    if (!model || !input || !output) {
        cli_error("forward", "--model, --input and --output are required "
                  "(see recur forward --help)");
        return EXIT_USAGE;
    }

    recur_rnn *rnn = NULL;
    st_file *st = NULL;
    recur_status s = recur_rnn_load(model, &rnn);
    if (s)
        return cli_fail("forward", s);
    if ((s = st_read(input, &st)) != RECUR_OK) {
        recur_rnn_free(rnn);
        return cli_fail("forward", s);
    }
    const recur_rnn_config *c = recur_rnn_get_config(rnn);
    job j = {0};
    j.L = c->num_layers;
    j.D = c->bidirectional ? 2 : 1;
    j.P = recur_rnn_get_output_size(rnn);
    j.H = c->hidden_size;
    j.I = c->input_size;
    j.lstm = c->mode == RECUR_LSTM;
    input_file in = {input, st};
    int rc = read_inputs(&in, rnn, &j) ? EXIT_FAILURE_DATA : EXIT_OK;
    int backward = j.dy || j.dh_n || j.dc_n;
    size_t LD = j.L * j.D;
    if (rc == EXIT_OK) {
        j.y = alloc_f32(j.T, j.B, j.D * j.P);
        j.h_n = alloc_f32(LD, j.B, j.P);
        j.c_n = alloc_f32(LD, j.B, j.H);
        j.dx = alloc_f32(j.T, j.B, j.I);
        j.dh0 = alloc_f32(LD, j.B, j.P);
        j.dc0 = alloc_f32(LD, j.B, j.H);
        if (!j.y || !j.h_n || !j.c_n || !j.dx || !j.dh0 || !j.dc0) {
            cli_error("forward", "out of memory for T=%zu, B=%zu", j.T, j.B);
            rc = EXIT_FAILURE_DATA;
        }
    }
    if (rc == EXIT_OK) {
        s = recur_rnn_forward(rnn, j.T, j.B, j.x, j.lengths, j.h0, j.c0, j.y,
                              j.h_n, j.lstm ? j.c_n : NULL);
        if (!s && backward) {
            recur_rnn_zero_grad(rnn);
            s = recur_rnn_backward(rnn, j.dy, j.dh_n, j.lstm ? j.dc_n : NULL,
                                   j.dx, j.dh0, j.lstm ? j.dc0 : NULL);
        }
        rc = s ? cli_fail("forward", s) : write_outputs(output, rnn, &j, backward);
    }
    job_free(&j);
    st_free(st);
    recur_rnn_free(rnn);
    return rc;
}
