/* parts.c — initialisation, dropout and checkpoint pieces (parts.h). */
#include "model/parts.h"
#include "base/bigmem.h"
#include "base/error.h"
#include "io/st_meta.h"
#include "kernels/gemm.h"
#include "stack/stack.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

recur_status parts_flat_arrays(size_t n, float **params, float **grads)
{
    float *p = big_floats_zeroed(n), *g = big_floats_zeroed(n);
    if (!p || !g) {
        big_free(p);
        big_free(g);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for %zu parameters", n);
    }
    *params = p;
    *grads = g;
    return RECUR_OK;
}

void parts_attach_stack(recur_rnn *rnn, float *params, float *grads, float p,
                        rng_state *rng)
{
    stack_bind(rnn, params, grads);
    recur_rnn_set_prefix(rnn, "rnn.");
    recur_regularizers reg = {.dropout = p};
    stack_set_regularizers(rnn, &reg, rng);
}

void parts_init_normal(float *p, size_t n, rng_state *rng)
{
    for (size_t i = 0; i < n; i += 2) {
        float u1 = rng_uniform(rng), u2 = rng_uniform(rng);
        float r = sqrtf(-2.0f * logf(u1 > 0 ? u1 : 1e-12f));
        p[i] = r * cosf(6.2831853f * u2);
        if (i + 1 < n)
            p[i + 1] = r * sinf(6.2831853f * u2);
    }
}

void parts_init_uniform(float *p, size_t n, float bound, rng_state *rng)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (2.0f * rng_uniform(rng) - 1.0f) * bound;
}

void parts_dropout(rng_state *rng, float p, float *x, float *mask, size_t n)
{
    float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++) {
        mask[i] = rng_uniform(rng) < p ? 0.0f : keep;
        x[i] *= mask[i];
    }
}

recur_status parts_carve(float **block, const parts_view *views, size_t count,
                         const char *what)
{
    size_t total = 0, n;
    for (size_t i = 0; i < count; i++)
        if (!size_mul_ok(views[i].rows, views[i].cols, &n) ||
            !size_add_ok(total, n, &total) || total > SIZE_MAX / sizeof(float))
            return error_fail(RECUR_ERR_MEMORY, "%s is too large", what);
    float *w = big_alloc((total ? total : 1) * sizeof(float));
    if (!w)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for %s (%zu floats)",
                          what, total);
    big_free(*block);
    *block = w;
    for (size_t i = 0; i < count; i++) {
        *views[i].view = w;
        w += views[i].rows * views[i].cols;
    }
    return RECUR_OK;
}

void parts_linear_forward(const float *W, const float *b, const float *x,
                          size_t R, size_t F, size_t K, float *out)
{
    for (size_t r = 0; r < R; r++)
        memcpy(out + r * K, b, K * sizeof(float));
    gemm(0, 1, R, K, F, 1.0f, x, F, W, F, 1.0f, out, K);
}

void parts_linear_backward(const float *W, const float *x, const float *dout,
                           size_t R, size_t F, size_t K, float *gW, float *gb,
                           float *dx)
{
    gemm(1, 0, K, F, R, 1.0f, dout, K, x, F, 1.0f, gW, F);
    for (size_t r = 0; r < R; r++)
        for (size_t k = 0; k < K; k++)
            gb[k] += dout[r * K + k];
    if (dx)
        gemm(0, 0, R, F, K, 1.0f, dout, K, W, F, 0.0f, dx, F);
}

recur_status parts_check_format(const st_file *st, const char *path,
                                const char *format, const char *what)
{
    const char *have = st_meta(st, "format");
    if (!have || strcmp(have, format) != 0)
        return error_fail(RECUR_ERR_FORMAT, "%s: not a recur %s checkpoint "
                          "(__metadata__ format is '%.40s', expected '%s')",
                          path, what, have ? have : "(none)", format);
    return RECUR_OK;
}

recur_status parts_read_dropout(const st_file *st, const char *path,
                                float *dropout)
{
    double p = 0;
    recur_status s = meta_double(st, path, "dropout", &p);
    if (!s && !(p >= 0 && p < 1))
        s = error_fail(RECUR_ERR_FORMAT, "%s: __metadata__ dropout %g is not in "
                       "[0, 1)", path, p);
    if (!s)
        *dropout = (float)p;
    return s;
}

recur_status parts_write_rnn_meta(st_writer *w, const recur_rnn_config *c)
{
    recur_status s = st_writer_meta(w, "mode", recur_mode_str(c->mode));
    if (!s) s = meta_put(w, "input_size", "%zu", c->input_size);
    if (!s) s = meta_put(w, "hidden_size", "%zu", c->hidden_size);
    if (!s) s = meta_put(w, "proj_size", "%zu", c->proj_size);
    if (!s) s = meta_put(w, "num_layers", "%zu", c->num_layers);
    if (!s) s = meta_put(w, "bidirectional", "%d", c->bidirectional);
    if (!s) s = meta_put(w, "bias", "%d", c->bias);
    if (!s) s = meta_put(w, "layer_norm", "%d", c->layer_norm);
    return s;
}

recur_status parts_read_rnn_meta(const st_file *st, const char *path,
                                 recur_rnn_config *c)
{
    memset(c, 0, sizeof *c);
    const char *mode = st_meta(st, "mode");
    if (!mode || recur_mode_parse(mode, &c->mode))
        return error_fail(RECUR_ERR_FORMAT, "%s: __metadata__ mode '%.40s' "
                          "is not a known cell", path, mode ? mode : "(none)");
    size_t big = (size_t)1 << 24, bidir = 0, bias = 0, ln = 0;
    recur_status s = meta_size(st, path, "input_size", big, &c->input_size);
    if (!s) s = meta_size(st, path, "hidden_size", big, &c->hidden_size);
    if (!s) s = meta_size(st, path, "proj_size", big, &c->proj_size);
    if (!s) s = meta_size(st, path, "num_layers", RECUR_MAX_LAYERS, &c->num_layers);
    if (!s) s = meta_size(st, path, "bidirectional", 1, &bidir);
    if (!s) s = meta_size(st, path, "bias", 1, &bias);
    if (!s) s = meta_size(st, path, "layer_norm", 1, &ln);
    c->bidirectional = (int)bidir;
    c->bias = (int)bias;
    c->layer_norm = (int)ln;
    return s;
}

recur_status parts_check_stack(const st_file *st, const char *path,
                               const char *prefix, const recur_rnn_config *c)
{
    const size_t H = c->hidden_size;
    const size_t P = c->proj_size ? c->proj_size : H;
    const size_t D = c->bidirectional ? 2 : 1;
    const size_t G = c->mode == RECUR_LSTM ? 4
                     : c->mode == RECUR_GRU || c->mode == RECUR_GRU_RESET_BEFORE ? 3
                     : 1;
    char name[RECUR_PREFIX_MAX + RECUR_NAME_MAX];
    recur_status s = RECUR_OK;
    for (size_t l = 0; !s && l < c->num_layers; l++) {
        snprintf(name, sizeof name, "%sweight_ih_l%zu", prefix, l);
        s = st_check_2d(st, path, name, G * H, l ? D * P : c->input_size);
        snprintf(name, sizeof name, "%sweight_hh_l%zu", prefix, l);
        if (!s)
            s = st_check_2d(st, path, name, G * H, P);
    }
    return s;
}

recur_status parts_write_tensors(st_writer *w, const void *model, size_t count,
                                 parts_tensor_fn *tensor, const float *params)
{
    char name[RECUR_PREFIX_MAX + RECUR_NAME_MAX];
    recur_status s = RECUR_OK;
    for (size_t i = 0; !s && i < count; i++) {
        size_t offset, shape[2], ndim;
        tensor(model, i, name, sizeof name, &offset, shape, &ndim);
        s = st_writer_add(w, name, RECUR_DT_F32, ndim, shape, params + offset);
    }
    return s;
}

recur_status parts_read_tensors(const st_file *st, const char *path,
                                const void *model, size_t count,
                                parts_tensor_fn *tensor, float *params)
{
    char name[RECUR_PREFIX_MAX + RECUR_NAME_MAX];
    recur_status s = RECUR_OK;
    for (size_t i = 0; !s && i < count; i++) {
        size_t offset, shape[2], ndim;
        tensor(model, i, name, sizeof name, &offset, shape, &ndim);
        const st_tensor *t = st_find(st, name);
        char want[48];
        if (ndim == 2)
            snprintf(want, sizeof want, "[%zu,%zu]", shape[0], shape[1]);
        else
            snprintf(want, sizeof want, "[%zu]", shape[0]);
        if (!t || t->ndim != ndim || t->shape[0] != shape[0] ||
            (ndim == 2 && t->shape[1] != shape[1]))
            s = error_fail(RECUR_ERR_FORMAT, "%s: tensor '%s' is %s, expected "
                           "%s as the metadata implies", path, name,
                           t ? "of another shape" : "missing", want);
        else if (st_to_f32(t, params + offset))
            s = error_fail(RECUR_ERR_FORMAT, "%s: tensor '%s' has dtype %s, "
                           "expected a float type", path, name,
                           st_dtype_str(t->dtype));
    }
    return s;
}
