/*
 * test_parity.c — every committed PyTorch reference case through the C API
 * (tests/fixtures/INDEX, from tools/gen_fixtures.py): forward outputs and
 * every gradient, time-major and batch-first. The cases cover the whole
 * stack — each cell (tanh and ReLU RNN, LSTM with and without projection,
 * GRU both ways, layer-norm LSTM and GRU), 1 to 3 layers, one and two
 * directions, no bias, variable lengths, initial states — so the cells'
 * (tests/cells/) and the stack's (tests/stack/) own tests leave PyTorch's
 * numbers to it.
 */
#include "fixture.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t T, B, I, LD, P, H, DP;
    float *x, *h0, *c0, *dy, *dh_n, *dc_n;
    int64_t *lengths;
} case_inputs;

static void free_inputs(case_inputs *c)
{
    free(c->x); free(c->h0); free(c->c0); free(c->dy); free(c->dh_n);
    free(c->dc_n); free(c->lengths);
}


static int read_inputs(const st_file *in, recur_rnn *rnn, case_inputs *c)
{
    const st_tensor *x = st_find(in, "input");
    const recur_rnn_config *cfg = recur_rnn_get_config(rnn);
    if (!x || x->ndim != 3)
        return 0;
    c->T = x->shape[0];
    c->B = x->shape[1];
    c->I = x->shape[2];
    c->LD = cfg->num_layers * (cfg->bidirectional ? 2 : 1);
    c->P = recur_rnn_get_output_size(rnn);
    c->H = cfg->hidden_size;
    c->DP = (cfg->bidirectional ? 2 : 1) * c->P;
    c->x = fixture_f32(in, "input");
    c->h0 = fixture_f32(in, "h0");
    c->c0 = fixture_f32(in, "c0");
    c->dy = fixture_f32(in, "grad_output");
    c->dh_n = fixture_f32(in, "grad_h_n");
    c->dc_n = fixture_f32(in, "grad_c_n");
    const st_tensor *len = st_find(in, "lengths");
    if (len) {
        c->lengths = malloc(c->B * sizeof(int64_t));
        if (!c->lengths || st_to_i64(len, c->lengths))
            return 0;
    }
    return c->x != NULL;
}

static void run_case(const char *name, int batch_first)
{
    char path[512], what[300];
    recur_rnn *rnn = NULL;
    st_file *in = NULL, *exp = NULL;
    case_inputs c = {0};
    snprintf(what, sizeof what, "%s%s", name, batch_first ? " (batch-first)" : "");

    fixture_path(path, sizeof path, name, "model.safetensors");
    recur_status s = recur_rnn_load(path, &rnn);
    CHECK(s == RECUR_OK, "%s: load: %s", what, recur_last_error());
    fixture_path(path, sizeof path, name, "input.safetensors");
    int ok = !s && st_read(path, &in) == RECUR_OK;
    fixture_path(path, sizeof path, name, "expected.safetensors");
    ok = ok && st_read(path, &exp) == RECUR_OK && read_inputs(in, rnn, &c);
    CHECK(ok, "%s: cannot read the case's files", what);
    if (!ok)
        goto done;

    int lstm = recur_rnn_get_config(rnn)->mode == RECUR_LSTM;
    size_t T = c.T, B = c.B;
    float *y = malloc(T * B * c.DP * sizeof(float));
    float *h_n = malloc(c.LD * B * c.P * sizeof(float));
    float *c_n = malloc(c.LD * B * c.H * sizeof(float));
    float *dx = malloc(T * B * c.I * sizeof(float));
    float *dh0 = malloc(c.LD * B * c.P * sizeof(float));
    float *dc0 = malloc(c.LD * B * c.H * sizeof(float));
    float *x = c.x, *dy = c.dy;
    if (batch_first) {
        recur_rnn_set_batch_first(rnn, 1);
        x = fixture_transpose_tb(c.x, T, B, c.I);
        dy = c.dy ? fixture_transpose_tb(c.dy, T, B, c.DP) : NULL;
    }
    s = recur_rnn_forward(rnn, T, B, x, c.lengths, c.h0, c.c0, y, h_n,
                          lstm ? c_n : NULL);
    CHECK(s == RECUR_OK, "%s: forward: %s", what, recur_last_error());
    if (s == RECUR_OK) {
        recur_rnn_zero_grad(rnn);
        s = recur_rnn_backward(rnn, dy, c.dh_n, lstm ? c.dc_n : NULL, dx, dh0,
                               lstm ? dc0 : NULL);
        CHECK(s == RECUR_OK, "%s: backward: %s", what, recur_last_error());
    }
    if (s == RECUR_OK) {
        float *y_tm = batch_first ? fixture_transpose_tb(y, B, T, c.DP) : y;
        float *dx_tm = batch_first ? fixture_transpose_tb(dx, B, T, c.I) : dx;
        size_t compared = 0;
        for (size_t i = 0; i < st_count(exp); i++) {
            const st_tensor *ref = st_at(exp, i);
            const float *got = NULL;
            if (!strcmp(ref->name, "output")) got = y_tm;
            else if (!strcmp(ref->name, "h_n")) got = h_n;
            else if (!strcmp(ref->name, "c_n")) got = c_n;
            else if (!strcmp(ref->name, "grad_input")) got = dx_tm;
            else if (!strcmp(ref->name, "grad_h0")) got = dh0;
            else if (!strcmp(ref->name, "grad_c0")) got = dc0;
            else
                for (size_t k = 0; k < recur_rnn_get_param_count(rnn); k++) {
                    const char *pname;
                    float *g;
                    char full[400];
                    recur_rnn_get_param(rnn, k, &pname, NULL, NULL, NULL);
                    snprintf(full, sizeof full, "grad.%s%s",
                             recur_rnn_get_prefix(rnn), pname);
                    if (!strcmp(ref->name, full) && !recur_rnn_get_grad(rnn, k, &g))
                        got = g;
                }
            CHECK(got != NULL, "%s: expected tensor '%s' has no counterpart",
                  what, ref->name);
            if (got) {
                fixture_compare(what, ref->name, got, ref, fixture_tol(ref->name));
                compared++;
            }
        }
        /* Every parameter gradient and the forward results were checked. */
        CHECK(compared >= recur_rnn_get_param_count(rnn) + 3, "%s: only %zu tensors "
              "compared", what, compared);
        if (batch_first) {
            free(y_tm);
            free(dx_tm);
        }
    }
    if (batch_first) {
        free(x);
        free(dy);
    }
    free(y); free(h_n); free(c_n); free(dx); free(dh0); free(dc0);
done:
    free_inputs(&c);
    st_free(in);
    st_free(exp);
    recur_rnn_free(rnn);
}

static void run_all(int batch_first)
{
    char **names;
    size_t n = fixture_names(&names);
    CHECK(n >= 96, "only %zu reference cases in INDEX", n);
    for (size_t i = 0; i < n; i++)
        run_case(names[i], batch_first);
    fixture_free_names(names, n);
}

void test_parity_fixtures(void) { run_all(0); }
void test_parity_batch_first(void) { run_all(1); }
