/*
 * forecaster.c — a forecaster's checkpoint metadata and the forecasting
 * around its network (forecaster.h).
 */
#include "model/forecaster.h"
#include "base/error.h"
#include "io/st_meta.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

recur_status forecaster_split_features(forecaster *f, const char *list)
{
    f->n_features = 0;
    if (!list || !*list)
        return RECUR_OK;
    if (strlen(list) >= sizeof f->feature_text)
        return error_fail(RECUR_ERR_ARGUMENT, "feature list too long");
    strcpy(f->feature_text, list);
    for (char *p = f->feature_text; p;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = 0;
        if (!*p || f->n_features == FORECASTER_MAX_FEATURES)
            return error_fail(RECUR_ERR_ARGUMENT, "features '%.60s': an empty "
                              "name or more than %d columns", list,
                              FORECASTER_MAX_FEATURES);
        f->features[f->n_features++] = p;
        p = comma ? comma + 1 : NULL;
    }
    return RECUR_OK;
}

recur_status forecaster_set_dates(forecaster *f, const series_data *s,
                                  date_step *step)
{
    f->date_step[0] = '\0';
    f->date_last = s->date && s->n ? s->date[s->n - 1] : NULL;
    if (!s->date)
        return error_fail(RECUR_ERR_ARGUMENT, "no dates to step through: the "
                          "series has no date column");
    if (s->n < 2)
        return error_fail(RECUR_ERR_FORMAT, "a single date");
    date_step found;
    recur_status st = date_step_infer(s->date, s->n, &found);
    if (st)
        return st;
    date_step_format(&found, f->date_step, sizeof f->date_step);
    if (step)
        *step = found;
    return RECUR_OK;
}

/* "v0,v1,..." of n doubles, exactly (%.17g). */
static recur_status put_doubles(st_writer *w, const char *key,
                                const double *v, size_t n)
{
    char *buf = malloc(n * 26 + 1), *p = buf;
    if (!buf)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    *p = 0;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%.17g", i ? "," : "", v[i]);
    recur_status s = st_writer_meta(w, key, buf);
    free(buf);
    return s;
}

recur_status forecaster_write_meta(void *ctx, st_writer *w)
{
    const forecaster *f = ctx;
    char features[1024] = "";
    for (size_t i = 0, at = 0; i < f->n_features; i++)
        at += (size_t)snprintf(features + at, sizeof features - at, "%s%s",
                               i ? "," : "", f->features[i]);
    recur_status s = meta_put(w, "lookback", "%zu", f->lookback);
    if (!s) s = meta_put(w, "horizon", "%zu", f->horizon);
    if (!s) s = meta_put(w, "season", "%zu", f->season);
    if (!s) s = st_writer_meta(w, "strategy", f->recursive ? "recursive" : "direct");
    if (!s) s = meta_put(w, "log", "%d", f->log);
    if (!s) s = meta_put(w, "difference", "%d", f->difference);
    if (!s) s = meta_put(w, "calendar", "%d", f->calendar);
    if (!s) s = st_writer_meta(w, "target", f->target);
    if (!s) s = st_writer_meta(w, "features", features);
    if (!s) s = st_writer_meta(w, "date", f->date ? f->date : "");
    if (!s) s = st_writer_meta(w, "date_step", f->date_step);
    if (!s) s = st_writer_meta(w, "date_last", f->date_last ? f->date_last : "");
    if (!s) s = st_writer_meta(w, "missing", f->missing);
    if (!s) s = put_doubles(w, "norm_mean", f->norm.mean, f->norm.columns);
    if (!s) s = put_doubles(w, "norm_std", f->norm.std, f->norm.columns);
    /* For tools/seq_torch.py: the target's scale. */
    if (!s) s = meta_put(w, "target_mean", "%.17g", f->norm.mean[0]);
    if (!s) s = meta_put(w, "target_std", "%.17g", f->norm.std[0]);
    return s;
}

recur_status forecaster_transform(const forecaster *f, const series_data *s,
                                  const char *what, double **value)
{
    const size_t n = s->n, C = s->columns;
    double *v = malloc(n * C * sizeof(double));
    if (!v)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    memcpy(v, s->value, n * C * sizeof(double));
    for (size_t t = 0; f->log && t < n; t++) {
        if (!(v[t * C] > 0)) {
            free(v);
            return error_fail(RECUR_ERR_FORMAT, "%s: %s %zu: %s = %g is not "
                              "positive (--log)", what, s->line ? "line" : "step",
                              s->line ? s->line[t] : t, s->name[0], s->value[t * C]);
        }
        v[t * C] = log(v[t * C]);
    }
    for (size_t t = n; f->difference && t-- > 1;)
        v[t * C] -= v[(t - 1) * C];
    if (f->difference)
        v[0] = 0;
    *value = v;
    return RECUR_OK;
}

void forecaster_untransform(const forecaster *f, const series_data *s,
                            size_t first, size_t count, double *out)
{
    const size_t h = f->horizon, C = s->columns;
    for (size_t i = 0; i < count; i++) {
        double level = 0;
        if (f->difference) {
            double last = s->value[(first + i - 1) * C];
            level = f->log ? log(last) : last;
        }
        for (size_t k = 0; k < h; k++) {
            double v = out[i * h + k];
            if (f->difference)
                v = level += v;
            out[i * h + k] = f->log ? exp(v) : v;
        }
    }
}

/* The predictions [n, K] of the examples of d, `batch` at a time in index
 * order. The windows are all lookback steps long, so this is the order
 * (and so are the numbers) of train/fit.c's fit_evaluate, which sorts by
 * length, ties by index. */
static recur_status predict_windows(seq_model *m, const seq_data *d,
                                    size_t batch, float *pred)
{
    seq_model_set_training(m, 0);
    const size_t K = seq_model_config(m)->outputs;
    size_t *idx = malloc(batch * sizeof *idx);
    recur_status s = idx ? RECUR_OK : error_fail(RECUR_ERR_MEMORY, "out of memory");
    for (size_t i = 0; !s && i < d->n; i += batch) {
        size_t B = d->n - i < batch ? d->n - i : batch, counted;
        double loss_sum;
        for (size_t b = 0; b < B; b++)
            idx[b] = i + b;
        s = seq_model_batch(m, d, idx, B, 0, &loss_sum, &counted, pred + i * K);
    }
    free(idx);
    return s;
}

recur_status forecaster_run(seq_model *m, const seq_data *win,
                            const forecaster *f, size_t batch, double *out)
{
    const size_t n = win->n, K = seq_model_config(m)->outputs, I = win->features;
    const size_t L = f->lookback, h = f->horizon;
    seq_data d = *win;
    d.outputs = K;
    d.per_step = 0;
    d.label = NULL;
    d.x = malloc(win->offset[n] * I * sizeof(float));
    d.y = calloc(n * K, sizeof(float));
    float *pred = malloc(n * K * sizeof(float));
    recur_status s = RECUR_OK;
    if (!d.x || !d.y || !pred)
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
    else
        memcpy(d.x, win->x, win->offset[n] * I * sizeof(float));
    if (!s && batch == 0)
        s = error_fail(RECUR_ERR_ARGUMENT, "no windows per batch (batch 0)");
    for (size_t r = 0; !s && r < (f->recursive ? h : 1); r++) {
        if ((s = predict_windows(m, &d, batch, pred)) != RECUR_OK)
            break;
        for (size_t i = 0; i < n; i++) {
            if (!f->recursive) {
                for (size_t k = 0; k < h; k++)
                    out[i * h + k] = series_norm_invert(&f->norm, 0, pred[i * K + k]);
                continue;
            }
            out[i * h + r] = series_norm_invert(&f->norm, 0, pred[i]);
            float *x = d.x + d.offset[i] * I; /* L steps of one value */
            memmove(x, x + 1, (L - 1) * sizeof(float));
            x[L - 1] = pred[i];
        }
    }
    free(d.x);
    free(d.y);
    free(pred);
    return s;
}

static recur_status read_doubles(const st_file *st, const char *path,
                                 const char *key, double *out, size_t n)
{
    const char *v = st_meta(st, key);
    char *end;
    for (size_t i = 0; v && i < n; i++) {
        errno = 0;
        out[i] = strtod(v, &end);
        if (errno || end == v || !isfinite(out[i]) ||
            *end != (i + 1 < n ? ',' : '\0'))
            break;
        v = end + (i + 1 < n);
        if (i + 1 == n)
            return RECUR_OK;
    }
    return error_fail(RECUR_ERR_FORMAT, "%s: __metadata__ '%s' is not %zu "
                      "numbers", path, key, n);
}

recur_status forecaster_read(const st_file *st, const char *path,
                             forecaster *f, const seq_config *c)
{
    const size_t columns = c->rnn.input_size, outputs = c->outputs;
    const char *strategy = st_meta(st, "strategy");
    const char *features = st_meta(st, "features");
    f->target = st_meta(st, "target");
    f->date = st_meta(st, "date");
    f->missing = st_meta(st, "missing");
    if (!strategy || !features || !f->target || !f->date || !f->missing)
        return error_fail(RECUR_ERR_FORMAT, "%s: not a forecaster's checkpoint "
                          "(__metadata__ lacks strategy, target, features, date "
                          "or missing)", path);
    /* Windows of values in, one value per output out. */
    if (c->vocab_size || c->pool == SEQ_POOL_STEP || c->loss == SEQ_LOSS_XENT ||
        c->loss == SEQ_LOSS_BCE)
        return error_fail(RECUR_ERR_FORMAT, "%s: not a forecaster's network "
                          "(%s input, pool %s, loss %s)", path,
                          c->vocab_size ? "token" : "dense",
                          seq_pool_str(c->pool), seq_loss_str(c->loss));
    if (!*f->date)
        f->date = NULL;
    /* Absent from checkpoints older than the dated forecasts. */
    const char *step = st_meta(st, "date_step");
    date_step parsed;
    if (step && *step && (strlen(step) >= sizeof f->date_step ||
                          date_step_parse(step, &parsed) != RECUR_OK))
        return error_fail(RECUR_ERR_FORMAT, "%s: __metadata__ date_step '%.40s' "
                          "is not a step of months or days (P1M, P1D)", path,
                          step);
    snprintf(f->date_step, sizeof f->date_step, "%s", step ? step : "");
    f->date_last = st_meta(st, "date_last");
    if (f->date_last && !*f->date_last)
        f->date_last = NULL;
    if (strcmp(strategy, "direct") != 0 && strcmp(strategy, "recursive") != 0)
        return error_fail(RECUR_ERR_FORMAT, "%s: __metadata__ strategy '%.40s' "
                          "is not direct or recursive", path, strategy);
    f->recursive = !strcmp(strategy, "recursive");
    recur_status s = forecaster_split_features(f, features);
    if (!s) s = meta_size(st, path, "lookback", 100000, &f->lookback);
    if (!s) s = meta_size(st, path, "horizon", 10000, &f->horizon);
    /* The seasonal-naive baseline's season (recur eval scores against it). */
    f->season = 0;
    if (!s && st_meta(st, "season"))
        s = meta_size(st, path, "season", 100000, &f->season);
    size_t lg = 0, diff = 0, cal = 0;
    if (!s) s = meta_size(st, path, "log", 1, &lg);
    if (!s) s = meta_size(st, path, "difference", 1, &diff);
    if (!s) s = meta_size(st, path, "calendar", 1, &cal);
    f->log = (int)lg;
    f->difference = (int)diff;
    f->calendar = (int)cal;
    if (!s && (f->lookback == 0 || f->horizon == 0 ||
               1 + f->n_features + 2 * (size_t)f->calendar != columns))
        s = error_fail(RECUR_ERR_FORMAT, "%s: lookback, horizon or features do "
                       "not match the model", path);
    /* forecaster_run reads horizon outputs (direct) or one (recursive). */
    if (!s && outputs != (f->recursive ? 1 : f->horizon))
        s = error_fail(RECUR_ERR_FORMAT, "%s: a %s forecaster of horizon %zu "
                       "with %zu outputs (expected %zu)", path,
                       f->recursive ? "recursive" : "direct", f->horizon,
                       outputs, f->recursive ? (size_t)1 : f->horizon);
    /* ... and a recursive one feeds its forecast back as the only input. */
    if (!s && f->recursive && columns != 1)
        s = error_fail(RECUR_ERR_FORMAT, "%s: a recursive forecaster with %zu "
                       "input columns (expected 1)", path, columns);
    if (!s) {
        f->norm.columns = columns;
        f->norm.mean = malloc(2 * columns * sizeof(double));
        if (!f->norm.mean)
            return error_fail(RECUR_ERR_MEMORY, "out of memory");
        f->norm.std = f->norm.mean + columns;
        s = read_doubles(st, path, "norm_mean", f->norm.mean, columns);
    }
    if (!s)
        s = read_doubles(st, path, "norm_std", f->norm.std, columns);
    for (size_t i = 0; !s && i < columns; i++)
        if (!(f->norm.std[i] > 0))
            s = error_fail(RECUR_ERR_FORMAT, "%s: norm_std must be positive", path);
    return s;
}


recur_status forecaster_predict(seq_model *m, const forecaster *f,
                                const series_data *s, const char *what,
                                double *out)
{
    const size_t I = s->columns, L = f->lookback;
    if (s->n < L + (size_t)f->difference)
        return error_fail(RECUR_ERR_FORMAT, "%s: %zu steps, the model reads %zu",
                          what, s->n, L + (size_t)f->difference);
    double *tvalue = NULL;
    recur_status st = forecaster_transform(f, s, what, &tvalue);
    if (st)
        return st;
    /* One window: the last lookback steps, normalised. */
    size_t offset[2] = {0, L};
    seq_data win = {.n = 1, .offset = offset, .features = I,
                    .outputs = seq_model_config(m)->outputs};
    win.x = malloc(L * I * sizeof(float));
    double *fc = malloc(f->horizon * sizeof(double));
    if (!win.x || !fc)
        st = error_fail(RECUR_ERR_MEMORY, "out of memory");
    for (size_t t = 0; !st && t < L; t++)
        for (size_t j = 0; j < I; j++)
            win.x[t * I + j] = (float)series_norm_apply(
                &f->norm, j, tvalue[(s->n - L + t) * I + j]);
    if (!st)
        st = forecaster_run(m, &win, f, 1, fc);
    if (!st) {
        forecaster_untransform(f, s, s->n, 1, fc);
        memcpy(out, fc, f->horizon * sizeof(double));
    }
    free(win.x);
    free(fc);
    free(tvalue);
    return st;
}
