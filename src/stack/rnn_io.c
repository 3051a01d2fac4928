/*
 * rnn_io.c — an RNN stack to and from a safetensors file under PyTorch's
 * state_dict names:
 *     [prefix]weight_ih_l{k}[_reverse]  [G*H, I or D*P]
 *     [prefix]weight_hh_l{k}[_reverse]  [G*H, P]
 *     [prefix]bias_ih_l{k}[_reverse]    [G*H]      (bias=True)
 *     [prefix]bias_hh_l{k}[_reverse]    [G*H]      (bias=True)
 *     [prefix]weight_hr_l{k}[_reverse]  [P, H]     (LSTM with proj_size)
 *     [prefix]weight_ln_ih_l{k}[_reverse], bias_ln_ih_l{k}[_reverse],
 *             weight_ln_hh_l{k}[_reverse], bias_ln_hh_l{k}[_reverse]
 *                                       [G*H]      (layer norm)
 *     [prefix]weight_ln_c_l{k}[_reverse], bias_ln_c_l{k}[_reverse]
 *                                       [H]        (layer-norm LSTM)
 * The layer-norm tensors make a layer_norm model: all of them or none;
 * __metadata__ "layer_norm" ("0" or "1"), when present, must agree.
 * The prefix is whatever precedes the one tensor named *weight_ih_l0; other
 * tensors of the file are ignored. Layers, directions, sizes and the cell
 * kind are read off the names and shapes (G = 4 LSTM, 3 GRU, 1 RNN_TANH);
 * __metadata__ "mode" overrides the kind and must agree with the shapes.
 * A set that does not add up is refused with the name of what is wrong.
 */
#include "stack/rnn_io.h"
#include "base/error.h"
#include "base/floatfmt.h"
#include "stack/stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { W_IH, W_HH, B_IH, B_HH, W_HR, LN_IH_W, LN_IH_B, LN_HH_W, LN_HH_B,
       LN_C_W, LN_C_B, KINDS };
/* No name is a prefix of another followed by "_l". */
static const char *const kind_names[KINDS] = {
    "weight_ih",    "weight_hh",  "bias_ih",      "bias_hh",
    "weight_hr",    "weight_ln_ih", "bias_ln_ih", "weight_ln_hh",
    "bias_ln_hh",   "weight_ln_c", "bias_ln_c"};

typedef struct {
    const st_tensor *t[RECUR_MAX_LAYERS][2][KINDS];
    size_t layers;
    int reverse;
} found_set;

/* Parses "kind_l{k}[_reverse]". Returns 1 on a match, 0 when the name is
 * not an RNN parameter at all, -1 when it looks like one but is malformed. */
static int parse_param(const char *rest, int *kind, size_t *layer, int *rev)
{
    for (int k = 0; k < KINDS; k++) {
        size_t n = strlen(kind_names[k]);
        if (strncmp(rest, kind_names[k], n) != 0 || strncmp(rest + n, "_l", 2))
            continue;
        const char *p = rest + n + 2;
        size_t v = 0, digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 6) {
            v = v * 10 + (size_t)(*p++ - '0');
            digits++;
        }
        if (digits == 0 || (digits > 1 && rest[n + 2] == '0'))
            return -1;
        if (strcmp(p, "_reverse") == 0)
            *rev = 1;
        else if (*p == '\0')
            *rev = 0;
        else
            return -1;
        *kind = k;
        *layer = v;
        return 1;
    }
    return 0;
}

static recur_status find_prefix(const st_file *st, const char *path,
                                char *prefix)
{
    const char *first = NULL;
    size_t first_len = 0, suffix = strlen("weight_ih_l0");
    for (size_t i = 0; i < st_count(st); i++) {
        const char *name = st_at(st, i)->name;
        size_t n = strlen(name);
        if (n < suffix || strcmp(name + n - suffix, "weight_ih_l0") != 0)
            continue;
        if (first)
            return error_fail(RECUR_ERR_SHAPE,
                              "%s: more than one RNN stack ('%s' and '%s'); "
                              "keep one per file", path, first, name);
        first = name;
        first_len = n - suffix;
    }
    if (!first)
        return error_fail(RECUR_ERR_SHAPE,
                          "%s: no RNN parameters (no tensor named "
                          "[prefix]weight_ih_l0)", path);
    if (first_len >= RECUR_PREFIX_MAX)
        return error_fail(RECUR_ERR_SHAPE, "%s: prefix of '%s' is too long",
                          path, first);
    memcpy(prefix, first, first_len);
    prefix[first_len] = '\0';
    return RECUR_OK;
}

static recur_status collect(const st_file *st, const char *path,
                            const char *prefix, found_set *fs)
{
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < st_count(st); i++) {
        const st_tensor *t = st_at(st, i);
        if (strncmp(t->name, prefix, plen) != 0)
            continue;
        int kind, rev;
        size_t layer;
        int m = parse_param(t->name + plen, &kind, &layer, &rev);
        if (m == 0)
            continue;
        if (m < 0 || layer >= RECUR_MAX_LAYERS)
            return error_fail(RECUR_ERR_SHAPE,
                              "%s: '%s' looks like an RNN parameter but is "
                              "not one (expected %s<kind>_l<layer>[_reverse], "
                              "layer < %d)", path, t->name, prefix,
                              RECUR_MAX_LAYERS);
        fs->t[layer][rev][kind] = t;
        if (layer + 1 > fs->layers)
            fs->layers = layer + 1;
        fs->reverse |= rev;
    }
    return RECUR_OK;
}

static recur_status check_complete(const found_set *fs, const char *path,
                                   const char *prefix)
{
    size_t D = fs->reverse ? 2 : 1;
    const st_tensor *const *first = fs->t[0][0];
    for (size_t l = 0; l < fs->layers; l++)
        for (size_t d = 0; d < D; d++)
            for (int k = 0; k < KINDS; k++) {
                int want = k <= W_HH || first[k] != NULL;
                if (want && !fs->t[l][d][k])
                    return error_fail(RECUR_ERR_SHAPE,
                                      "%s: %s%s_l%zu%s is missing", path,
                                      prefix, kind_names[k], l,
                                      d ? "_reverse" : "");
                if (!want && fs->t[l][d][k])
                    return error_fail(RECUR_ERR_SHAPE,
                                      "%s: '%s' present but %s%s_l0 is not",
                                      path, fs->t[l][d][k]->name, prefix,
                                      kind_names[k]);
            }
    if ((first[B_IH] != NULL) != (first[B_HH] != NULL))
        return error_fail(RECUR_ERR_SHAPE,
                          "%s: %sbias_ih_l0 and %sbias_hh_l0 must both be "
                          "present or both absent", path, prefix, prefix);
    /* Layer norm: the four of W_ih x and W_hh h together (c's pair is
     * checked against the mode in infer_config). */
    for (int k = LN_IH_B; k <= LN_HH_B; k++)
        if ((first[k] != NULL) != (first[LN_IH_W] != NULL))
            return error_fail(RECUR_ERR_SHAPE,
                              "%s: layer norm needs all of %sweight_ln_ih_l0, "
                              "bias_ln_ih_l0, weight_ln_hh_l0 and "
                              "bias_ln_hh_l0 (%s%s_l0 is %s)", path, prefix,
                              prefix, kind_names[k],
                              first[k] ? "present, weight_ln_ih_l0 not"
                                       : "missing");
    if ((first[LN_C_W] != NULL) != (first[LN_C_B] != NULL))
        return error_fail(RECUR_ERR_SHAPE,
                          "%s: %sweight_ln_c_l0 and %sbias_ln_c_l0 must both "
                          "be present or both absent", path, prefix, prefix);
    return RECUR_OK;
}

static recur_status infer_config(const st_file *st, const found_set *fs,
                                 const char *path, recur_rnn_config *c)
{
    const st_tensor *whh = fs->t[0][0][W_HH], *wih = fs->t[0][0][W_IH];
    const st_tensor *whr = fs->t[0][0][W_HR];
    const st_tensor *not_2d = whh->ndim != 2   ? whh
                                    : wih->ndim != 2 ? wih
                                    : whr && whr->ndim != 2 ? whr
                                                            : NULL;
    if (not_2d)
        return error_fail(RECUR_ERR_SHAPE,
                          "%s: weight_ih_l0, weight_hh_l0 and weight_hr_l0 "
                          "must be 2-D ('%s' has %zu dims)", path,
                          not_2d->name, not_2d->ndim);
    size_t rows = whh->shape[0], P = whh->shape[1];
    size_t H = whr ? whr->shape[1] : P;
    if (whr && whr->shape[0] != P)
        return error_fail(RECUR_ERR_SHAPE,
                          "%s: '%s' has shape [%zu,%zu] but weight_hh_l0 has "
                          "%zu columns; expected [%zu, H]", path, whr->name,
                          whr->shape[0], whr->shape[1], P, P);
    if (H == 0 || P == 0 || rows == 0 || rows % H != 0)
        return error_fail(RECUR_ERR_SHAPE,
                          "%s: '%s' has shape [%zu,%zu]: rows must be a "
                          "multiple (1, 3 or 4) of the hidden size %zu", path,
                          whh->name, rows, P, H);
    size_t G = rows / H;
    recur_mode mode;
    const char *meta = st_meta(st, "mode");
    if (meta) {
        if (recur_mode_parse(meta, &mode))
            return error_fail(RECUR_ERR_SHAPE,
                              "%s: __metadata__ mode '%.64s' is not one of "
                              "LSTM, GRU, GRU_RESET_BEFORE, RNN_TANH, RNN_RELU",
                              path, meta);
        size_t want = mode == RECUR_LSTM ? 4
                      : (mode == RECUR_GRU || mode == RECUR_GRU_RESET_BEFORE) ? 3
                                                                              : 1;
        if (want != G)
            return error_fail(RECUR_ERR_SHAPE,
                              "%s: mode %s needs '%s' to have %zu*H = %zu rows, "
                              "it has %zu", path, meta, whh->name, want,
                              want * H, rows);
    } else if (G == 4) {
        mode = RECUR_LSTM;
    } else if (G == 3) {
        mode = RECUR_GRU;
    } else if (G == 1) {
        mode = RECUR_RNN_TANH;
    } else {
        return error_fail(RECUR_ERR_SHAPE,
                          "%s: '%s' has %zu rows for hidden size %zu: %zu gates "
                          "is no known cell (4 LSTM, 3 GRU, 1 RNN)", path,
                          whh->name, rows, H, G);
    }
    if (whr && mode != RECUR_LSTM)
        return error_fail(RECUR_ERR_SHAPE,
                          "%s: '%s' (projection) is only for LSTM, this is %s",
                          path, whr->name, recur_mode_str(mode));
    int ln = fs->t[0][0][LN_IH_W] != NULL, ln_c = fs->t[0][0][LN_C_W] != NULL;
    const char *ln_meta = st_meta(st, "layer_norm");
    if (ln_meta && strcmp(ln_meta, ln ? "1" : "0") != 0)
        return error_fail(RECUR_ERR_SHAPE,
                          "%s: __metadata__ layer_norm is '%.16s' but the file "
                          "%s the layer-norm tensors (weight_ln_ih_l0, ...)",
                          path, ln_meta, ln ? "holds" : "lacks");
    if (ln_c != (ln && mode == RECUR_LSTM))
        return error_fail(RECUR_ERR_SHAPE,
                          "%s: weight_ln_c_l0 and bias_ln_c_l0 belong to a "
                          "layer-norm LSTM, this is %s%s", path,
                          ln ? "a layer-norm " : "", recur_mode_str(mode));
    *c = recur_rnn_config_default(mode, wih->shape[1], H);
    c->proj_size = whr ? P : 0;
    c->num_layers = fs->layers;
    c->bidirectional = fs->reverse;
    c->bias = fs->t[0][0][B_IH] != NULL;
    c->layer_norm = ln;
    return RECUR_OK;
}

/* Checks the shape and dtype of every tensor against the configuration read
 * off layer 0, before anything is allocated: a file whose layer 0 is large
 * and whose other layers are empty or of an integer dtype must not make
 * stack_alloc reserve L·D times layer 0. Once this passes, the stack holds
 * no more floats than the file holds elements. c has passed
 * stack_check_config, so D*P does not overflow. */
static recur_status check_tensors(const found_set *fs, const recur_rnn_config *c,
                                  const char *path)
{
    size_t D = c->bidirectional ? 2 : 1, H = c->hidden_size;
    size_t P = c->proj_size ? c->proj_size : H;
    size_t GH = fs->t[0][0][W_HH]->shape[0];
    for (size_t l = 0; l < fs->layers; l++)
        for (size_t d = 0; d < D; d++)
            for (int k = 0; k < KINDS; k++) {
                const st_tensor *t = fs->t[l][d][k];
                if (!t)
                    continue;
                size_t rows = k == W_HR ? P
                              : k == LN_C_W || k == LN_C_B ? H
                                                           : GH;
                size_t cols = k == W_IH   ? (l ? D * P : c->input_size)
                              : k == W_HH ? P
                              : k == W_HR ? H
                                          : 0; /* biases, LN are 1-D */
                int ok = cols ? t->ndim == 2 && t->shape[0] == rows &&
                                    t->shape[1] == cols
                              : t->ndim == 1 && t->shape[0] == rows;
                if (!ok) {
                    char got[128] = "", *p = got;
                    for (size_t i = 0; i < t->ndim && p < got + sizeof got - 24; i++)
                        p += sprintf(p, "%s%zu", i ? "," : "", t->shape[i]);
                    if (!cols)
                        return error_fail(RECUR_ERR_SHAPE,
                                          "%s: '%s' has shape [%s], expected [%zu]",
                                          path, t->name, got, rows);
                    return error_fail(RECUR_ERR_SHAPE,
                                      "%s: '%s' has shape [%s], expected [%zu,%zu]",
                                      path, t->name, got, rows, cols);
                }
                if (t->dtype != RECUR_DT_F32 && t->dtype != RECUR_DT_F64 &&
                    t->dtype != RECUR_DT_F16 && t->dtype != RECUR_DT_BF16)
                    return error_fail(RECUR_ERR_SHAPE,
                                      "%s: '%s' has dtype %s; parameters must be "
                                      "F32, F64, F16 or BF16", path, t->name,
                                      st_dtype_str(t->dtype));
            }
    return RECUR_OK;
}

/* Copies every parameter from the file (check_tensors has passed). */
static recur_status fill(recur_rnn *rnn, const found_set *fs, const char *path)
{
    size_t per = recur_rnn_get_param_count(rnn) / (fs->layers * rnn->D);
    for (size_t i = 0; i < rnn->param_count; i++) {
        const stack_param *sp = rnn->table + i;
        size_t cell = i / per, l = cell / rnn->D, d = cell % rnn->D;
        int kind = -1;
        for (int k = 0; k < KINDS; k++) {
            size_t n = strlen(kind_names[k]);
            if (strncmp(sp->name, kind_names[k], n) == 0 &&
                strncmp(sp->name + n, "_l", 2) == 0)
                kind = k;
        }
        const st_tensor *t = fs->t[l][d][kind];
        /* The table's shapes and check_tensors' must agree: the copy below
         * writes numel floats into a slot of rows*cols. */
        if (t->numel != sp->rows * sp->cols)
            return error_fail(RECUR_ERR_SHAPE,
                              "%s: '%s' has %zu elements, expected %zu", path,
                              t->name, t->numel, sp->rows * sp->cols);
        recur_status s = st_to_f32(t, rnn->params + sp->offset);
        if (s)
            return s;
    }
    return RECUR_OK;
}

/* Prefixes the last error message with the file's path. */
static recur_status with_path(recur_status s, const char *path)
{
    char why[512];
    snprintf(why, sizeof why, "%s", recur_last_error());
    return error_fail(s, "%s: %s", path, why);
}

/* Zoneout changes what the stack computes in evaluation (the state moves
 * only by 1 − z), so a file trained with it says so in __metadata__
 * "zoneout" (recur_rnn_save and language-model checkpoints write it). */
static recur_status read_zoneout(const st_file *st, const char *path,
                                 recur_rnn *rnn)
{
    const char *v = st_meta(st, "zoneout");
    if (!v)
        return RECUR_OK;
    char *end;
    double z = strtod(v, &end);
    if (end == v || *end || !(z >= 0.0 && z < 1.0))
        return error_fail(RECUR_ERR_SHAPE,
                          "%s: __metadata__ zoneout '%.40s' is not a number in "
                          "[0, 1)", path, v);
    recur_regularizers reg = {.zoneout = (float)z};
    return recur_rnn_set_regularizers(rnn, &reg);
}

recur_status rnn_from_st(const st_file *st, const char *path, recur_rnn **out)
{
    char prefix[RECUR_PREFIX_MAX];
    recur_status s = find_prefix(st, path, prefix);
    return s ? s : rnn_from_st_prefix(st, path, prefix, out);
}

recur_status rnn_from_st_prefix(const st_file *st, const char *path,
                                const char *prefix, recur_rnn **out)
{
    if (strlen(prefix) >= RECUR_PREFIX_MAX)
        return error_fail(RECUR_ERR_SHAPE, "%s: the prefix '%.40s...' is too "
                          "long", path, prefix);
    found_set *fs = calloc(1, sizeof *fs);
    recur_rnn_config config;
    recur_rnn *rnn = NULL;
    recur_status s = RECUR_OK;
    if (!fs)
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
    if (!s)
        s = collect(st, path, prefix, fs);
    if (!s)
        s = check_complete(fs, path, prefix);
    if (!s)
        s = infer_config(st, fs, path, &config);
    /* Sizes recur cannot run are the file's fault: RECUR_ERR_SHAPE. A
     * layer-norm GRU_RESET_BEFORE stays RECUR_ERR_UNSUPPORTED. */
    if (!s && (s = stack_check_config(&config)) != RECUR_OK)
        s = with_path(s == RECUR_ERR_UNSUPPORTED ? s : RECUR_ERR_SHAPE, path);
    if (!s)
        s = check_tensors(fs, &config, path);
    if (!s && (s = stack_alloc(&config, &rnn)) != RECUR_OK)
        s = with_path(s, path);
    if (!s)
        s = fill(rnn, fs, path);
    if (!s)
        s = recur_rnn_set_prefix(rnn, prefix);
    if (!s)
        s = read_zoneout(st, path, rnn);
    free(fs);
    if (s) {
        recur_rnn_free(rnn);
        return s;
    }
    *out = rnn;
    return RECUR_OK;
}

recur_status recur_rnn_load(const char *path, recur_rnn **out)
{
    if (!path || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_rnn_load: NULL argument");
    st_file *st;
    recur_status s = st_read(path, &st);
    if (s)
        return s;
    s = rnn_from_st(st, path, out);
    st_free(st);
    return s;
}

recur_status recur_rnn_save(const recur_rnn *rnn, const char *path)
{
    if (!rnn || !path)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_rnn_save: NULL argument");
    st_writer *w;
    recur_status s = st_writer_new(&w);
    if (s)
        return s;
    char name[RECUR_PREFIX_MAX + RECUR_NAME_MAX];
    for (size_t i = 0; !s && i < rnn->param_count; i++) {
        const stack_param *sp = rnn->table + i;
        size_t shape[2] = {sp->rows, sp->cols};
        snprintf(name, sizeof name, "%s%s", rnn->prefix, sp->name);
        size_t ndim = stack_param_ndim(sp->name);
        s = st_writer_add(w, name, RECUR_DT_F32, ndim, shape,
                                rnn->params + sp->offset);
    }
    if (!s)
        s = st_writer_meta(w, "mode", recur_mode_str(rnn->config.mode));
    if (!s && rnn->config.layer_norm)
        s = st_writer_meta(w, "layer_norm", "1");
    if (!s && rnn->reg.zoneout > 0.0f) {
        char z[32];
        s = st_writer_meta(w, "zoneout",
                           floatfmt_shortest(z, sizeof z, rnn->reg.zoneout));
    }
    if (!s)
        s = st_writer_write(w, path);
    st_writer_free(w);
    return s;
}
