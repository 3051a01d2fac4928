/*
 * model.c — the public recur_model: a checkpoint of any task of `recur
 * train`, loaded and run (recur.h, "Trained models of any task").
 *
 * A checkpoint's __metadata__ format says which network it holds:
 * "recur-lm" a language model (lm_io.c; task charlm or wordlm, or, in a
 * checkpoint without a task, whichever its vocabulary is), "recur-seq" a
 * sequence model (seqmodel.c) whose task says what surrounds it: a
 * classifier's tokenizer, vocabulary and labels (classifier.h), a
 * forecaster's transforms and normalisation (forecaster.h), or nothing
 * (music: 88-key frames in and out). The handle keeps the network and that
 * task's part, and the file is let go after loading. Each task's functions
 * run the code the CLI runs for `recur predict` / `recur sample`.
 */
#include "base/error.h"
#include "base/rng.h"
#include "data/text.h"
#include "data/tokens.h"
#include "io/safetensors.h"
#include "model/classifier.h"
#include "model/forecaster.h"
#include "model/lm.h"
#include "model/lm_io.h"
#include "model/sample.h"
#include "model/seqmodel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct recur_model {
    recur_task task;
    recur_lm *lm;                  /* charlm, wordlm */
    seq_model *seq;                /* classify, forecast, music */

    /* classify: the checkpoint's tokenizer, vocabulary and labels; the
     * last text as a one-example set, and its probabilities */
    classifier cls;
    tok_vocab *vocab;
    char **labels;                 /* [K], one allocation */
    token_list tok;
    size_t text_offset[2];
    int32_t text_label;            /* a target the loss reads; unused */
    seq_data text;
    float *probs;                  /* [K] */

    /* forecast: the checkpoint's forecaster (its features point into its
     * own text, so it stays where it is), the target's name and the last
     * training date (copied: the file is gone) and every column's */
    forecaster fc;
    char *target;
    char *date_last;
    const char *column[FORECASTER_MAX_FEATURES + 3];
    recur_forecast_config forecast;

    /* music: the generator of recur_model_sample_frame */
    rng_state rng;
};

static const char *const task_names[] = {"none", "charlm", "wordlm",
                                         "classify", "forecast", "music"};

const char *recur_task_str(recur_task task)
{
    return (unsigned)task < sizeof task_names / sizeof *task_names
               ? task_names[task]
               : NULL;
}

recur_status recur_task_parse(const char *name, recur_task *task)
{
    if (!name || !task)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_task_parse: NULL argument");
    for (unsigned t = RECUR_TASK_CHARLM; t <= RECUR_TASK_MUSIC; t++)
        if (!strcmp(name, task_names[t])) {
            *task = (recur_task)t;
            return RECUR_OK;
        }
    return error_fail(RECUR_ERR_ARGUMENT, "'%.40s' is not a task (charlm, "
                      "wordlm, classify, forecast, music)", name);
}

/* RECUR_OK when model is a model of task a or b (which may be a): what fn
 * runs; else RECUR_ERR_ARGUMENT naming both. */
static recur_status check_task(const recur_model *model, const char *fn,
                               recur_task a, recur_task b)
{
    if (!model)
        return error_fail(RECUR_ERR_ARGUMENT, "%s: NULL model", fn);
    if (model->task == a || model->task == b)
        return RECUR_OK;
    return error_fail(RECUR_ERR_ARGUMENT, "%s runs a %s%s%s model; this one is "
                      "a %s model", fn, task_names[a], a != b ? " or " : "",
                      a != b ? task_names[b] : "", task_names[model->task]);
}

/* ------------------------------------------------------------------------ */
/* Loading                                                                   */

/* Which language model: the checkpoint's task must agree with its
 * vocabulary; without a task, the vocabulary says. */
static recur_status lm_task(recur_model *m, const char *path, const char *task)
{
    recur_task t = m->lm->words ? RECUR_TASK_WORDLM : RECUR_TASK_CHARLM;
    if (task && strcmp(task, task_names[t]) != 0)
        return error_fail(RECUR_ERR_FORMAT, "%s: a language model of %s for task "
                          "'%.40s' (expected %s)", path,
                          m->lm->words ? "words" : "characters", task,
                          task_names[t]);
    m->task = t;
    return RECUR_OK;
}

static recur_status load_classifier(recur_model *m, const st_file *st,
                                    const char *path)
{
    recur_status s = classifier_read(st, path, m->seq, &m->cls, &m->vocab,
                                     &m->labels);
    if (!s && !(m->probs = malloc(m->cls.K * sizeof(float))))
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
    m->text = (seq_data){.n = 1, .offset = m->text_offset,
                         .label = &m->text_label, .outputs = m->cls.K};
    return s;
}

static recur_status load_forecaster(recur_model *m, const st_file *st,
                                    const char *path)
{
    forecaster *f = &m->fc;
    recur_status s = forecaster_read(st, path, f, seq_model_config(m->seq));
    if (s)
        return s;
    if (!(m->target = strdup(f->target)) ||
        !(m->date_last = strdup(f->date_last ? f->date_last : "")))
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    /* Nothing may point into the file after loading. */
    f->target = m->target;
    f->date_last = m->date_last;
    f->date = f->missing = NULL;
    size_t n = 0;
    m->column[n++] = m->target;
    for (size_t i = 0; i < f->n_features; i++)
        m->column[n++] = f->features[i];
    if (f->calendar) {
        m->column[n++] = "year_sin";
        m->column[n++] = "year_cos";
    }
    m->forecast = (recur_forecast_config){
        .lookback = f->lookback, .horizon = f->horizon, .columns = n,
        .history = f->lookback + (size_t)f->difference,
        .recursive = f->recursive, .log = f->log, .difference = f->difference,
        .calendar = f->calendar, .date_step = f->date_step,
        .date_last = m->date_last};
    return RECUR_OK;
}

/* The sequence model of a "recur-seq" checkpoint and its task's part. */
static recur_status load_seq(recur_model *m, const st_file *st,
                             const char *path, const char *task)
{
    if (!task)
        return error_fail(RECUR_ERR_FORMAT, "%s: a sequence model without a "
                          "task (__metadata__ task)", path);
    if (recur_task_parse(task, &m->task) != RECUR_OK)
        return error_fail(RECUR_ERR_UNSUPPORTED, "%s: task '%.40s' is not one "
                          "this library runs (classify, forecast, music)",
                          path, task);
    if (m->task != RECUR_TASK_CLASSIFY && m->task != RECUR_TASK_FORECAST &&
        m->task != RECUR_TASK_MUSIC)
        return error_fail(RECUR_ERR_FORMAT, "%s: a sequence model for task "
                          "%s, which is a language model's", path, task);
    recur_status s = seq_model_read(st, path, &m->seq);
    if (s)
        return s;
    seq_model_set_training(m->seq, 0);
    switch (m->task) {
    case RECUR_TASK_CLASSIFY:
        return load_classifier(m, st, path);
    case RECUR_TASK_FORECAST:
        return load_forecaster(m, st, path);
    default:
        s = seq_model_check_music(m->seq, path);
        return s ? s : seq_model_reset_stream(m->seq);
    }
}

recur_status recur_model_load(const char *path, recur_model **out)
{
    if (!path || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_model_load: NULL argument");
    st_file *st = NULL;
    recur_status s = st_read(path, &st);
    if (s)
        return s;
    recur_model *m = calloc(1, sizeof *m);
    if (!m) {
        st_free(st);
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    }
    rng_seed(&m->rng, 0);
    const char *format = st_meta(st, "format"), *task = st_meta(st, "task");
    if (format && !strcmp(format, "recur-lm")) {
        s = lm_read(st, path, &m->lm);
        if (!s)
            s = lm_task(m, path, task);
    } else if (format && !strcmp(format, "recur-seq")) {
        s = load_seq(m, st, path, task);
    } else {
        s = error_fail(RECUR_ERR_FORMAT, "%s: not a checkpoint of recur train "
                       "(__metadata__ format is '%.40s', expected 'recur-lm' or "
                       "'recur-seq'; a bare RNN stack loads with recur_rnn_load)",
                       path, format ? format : "(none)");
    }
    st_free(st);
    if (s) {
        recur_model_free(m);
        return s;
    }
    *out = m;
    return RECUR_OK;
}

void recur_model_free(recur_model *model)
{
    if (!model)
        return;
    recur_lm_free(model->lm);
    seq_model_free(model->seq);
    tok_vocab_free(model->vocab);
    free(model->labels);
    tokens_free(&model->tok);
    free(model->text.tokens);
    free(model->probs);
    series_norm_free(&model->fc.norm);
    free(model->target);
    free(model->date_last);
    free(model);
}

/* ------------------------------------------------------------------------ */
/* What it is                                                                */

recur_task recur_model_get_task(const recur_model *model)
{
    return model ? model->task : RECUR_TASK_NONE;
}

const recur_rnn_config *recur_model_get_rnn_config(const recur_model *model)
{
    if (!model)
        return NULL;
    return model->lm ? &model->lm->config.arch.rnn
                     : &seq_model_config(model->seq)->rnn;
}

size_t recur_model_get_vocab_size(const recur_model *model)
{
    if (!model)
        return 0;
    return model->lm ? model->lm->V : seq_model_config(model->seq)->vocab_size;
}

recur_status recur_model_get_lm(recur_model *model, recur_lm **lm)
{
    recur_status s = check_task(model, "recur_model_get_lm", RECUR_TASK_CHARLM,
                                RECUR_TASK_WORDLM);
    if (!s && !lm)
        s = error_fail(RECUR_ERR_ARGUMENT, "recur_model_get_lm: NULL argument");
    if (!s)
        *lm = model->lm;
    return s;
}

size_t recur_model_get_label_count(const recur_model *model)
{
    return model && model->task == RECUR_TASK_CLASSIFY ? model->cls.K : 0;
}

const char *recur_model_get_label(const recur_model *model, size_t index)
{
    return index < recur_model_get_label_count(model) ? model->cls.labels[index]
                                                      : NULL;
}

const recur_forecast_config *
recur_model_get_forecast_config(const recur_model *model)
{
    return model && model->task == RECUR_TASK_FORECAST ? &model->forecast : NULL;
}

const char *recur_model_get_column_name(const recur_model *model, size_t index)
{
    const recur_forecast_config *c = recur_model_get_forecast_config(model);
    return c && index < c->columns ? model->column[index] : NULL;
}

/* ------------------------------------------------------------------------ */
/* classify                                                                  */

recur_status recur_model_classify(recur_model *model, const char *text,
                                  float *probs, size_t capacity, size_t *label)
{
    recur_status s = check_task(model, "recur_model_classify",
                                RECUR_TASK_CLASSIFY, RECUR_TASK_CLASSIFY);
    if (s)
        return s;
    const size_t K = model->cls.K;
    if (!text)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_model_classify: NULL text");
    if (probs && capacity < K)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_model_classify: room for "
                          "%zu probabilities, the model has %zu labels",
                          capacity, K);
    size_t bad_at;
    char why[160];
    if (!utf8_is_valid((const unsigned char *)text, strlen(text), &bad_at, why,
                       sizeof why))
        return error_fail(RECUR_ERR_ARGUMENT, "recur_model_classify: the text "
                          "is not valid UTF-8 at byte %zu (%s)", bad_at, why);
    size_t best;
    s = classifier_predict(model->seq, &model->cls, text, &model->tok,
                           &model->text, model->probs, &best);
    if (s)
        return s;
    if (probs)
        memcpy(probs, model->probs, K * sizeof(float));
    if (label)
        *label = best;
    return RECUR_OK;
}

/* ------------------------------------------------------------------------ */
/* forecast                                                                  */

recur_status recur_model_forecast(recur_model *model, const double *history,
                                  size_t steps, size_t columns,
                                  double *forecast, size_t capacity)
{
    static const char fn[] = "recur_model_forecast";
    recur_status s = check_task(model, fn, RECUR_TASK_FORECAST,
                                RECUR_TASK_FORECAST);
    if (s)
        return s;
    const recur_forecast_config *c = &model->forecast;
    if (!history || !forecast)
        return error_fail(RECUR_ERR_ARGUMENT, "%s: NULL argument", fn);
    if (columns != c->columns)
        return error_fail(RECUR_ERR_ARGUMENT, "%s: %zu columns of history; the "
                          "model reads %zu (%s first)", fn, columns, c->columns,
                          model->column[0]);
    if (steps < c->history)
        return error_fail(RECUR_ERR_ARGUMENT, "%s: %zu steps of history; the "
                          "model needs %zu", fn, steps, c->history);
    if (capacity < c->horizon)
        return error_fail(RECUR_ERR_ARGUMENT, "%s: room for %zu values, the "
                          "horizon is %zu", fn, capacity, c->horizon);
    /* Only the last c->history steps are read: those are checked (and
     * numbered from the start of history in messages). */
    const size_t first = steps - c->history;
    const double *v = history + first * columns;
    for (size_t t = 0; t < c->history; t++)
        for (size_t j = 0; j < columns; j++) {
            double x = v[t * columns + j];
            if (!isfinite(x))
                return error_fail(RECUR_ERR_ARGUMENT, "%s: history step %zu, "
                                  "column %s: %g is not finite", fn, first + t,
                                  model->column[j], x);
            if (c->log && j == 0 && !(x > 0))
                return error_fail(RECUR_ERR_ARGUMENT, "%s: history step %zu: "
                                  "%s = %g is not positive (the model forecasts "
                                  "its logarithm)", fn, first + t,
                                  model->column[0], x);
        }
    /* A view of those steps as the series the CLI reads from a file (read
     * only: the cast is for series_data's field). */
    series_data view = {.n = c->history, .columns = columns,
                        .value = (double *)v, .name = model->column};
    return forecaster_predict(model->seq, &model->fc, &view, fn, forecast);
}

/* ------------------------------------------------------------------------ */
/* music                                                                     */

recur_status recur_model_reset(recur_model *model)
{
    recur_status s = check_task(model, "recur_model_reset", RECUR_TASK_MUSIC,
                                RECUR_TASK_MUSIC);
    return s ? s : seq_model_reset_stream(model->seq);
}

recur_status recur_model_feed_frame(recur_model *model, const float *frame,
                                    size_t keys, float *probs)
{
    recur_status s = check_task(model, "recur_model_feed_frame",
                                RECUR_TASK_MUSIC, RECUR_TASK_MUSIC);
    if (!s && (!frame || !probs || keys != RECUR_MUSIC_KEYS))
        s = error_fail(RECUR_ERR_ARGUMENT, "recur_model_feed_frame: %s",
                       frame && probs ? "a frame has 88 keys" : "NULL argument");
    return s ? s : seq_model_stream(model->seq, frame, probs);
}

recur_status recur_model_sample_frame(recur_model *model, const float *probs,
                                      size_t keys, float temperature,
                                      float *frame)
{
    static const char fn[] = "recur_model_sample_frame";
    recur_status s = check_task(model, fn, RECUR_TASK_MUSIC, RECUR_TASK_MUSIC);
    if (s)
        return s;
    if (!probs || !frame || keys != RECUR_MUSIC_KEYS)
        return error_fail(RECUR_ERR_ARGUMENT, "%s: %s", fn,
                          probs && frame ? "a frame has 88 keys" : "NULL argument");
    if (!(temperature > 0.0f) || isinf(temperature))
        return error_fail(RECUR_ERR_ARGUMENT, "%s: temperature %g is not > 0 and "
                          "finite", fn, (double)temperature);
    /* Checked before anything is drawn: a failure leaves the generator. */
    for (size_t k = 0; k < keys; k++)
        if (!(probs[k] >= 0.0f && probs[k] <= 1.0f))
            return error_fail(RECUR_ERR_ARGUMENT, "%s: probs[%zu] = %g is not a "
                              "probability", fn, k, (double)probs[k]);
    sample_frame(probs, keys, temperature, &model->rng, frame);
    return RECUR_OK;
}

recur_status recur_model_set_seed(recur_model *model, uint64_t seed)
{
    if (!model)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_model_set_seed: NULL model");
    rng_seed(&model->rng, seed);
    return RECUR_OK;
}
