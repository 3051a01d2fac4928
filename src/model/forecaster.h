/*
 * forecaster.h — what a forecaster's checkpoint holds beside its sequence
 * model (`recur train --task forecast`), and the forecasting around the
 * network: the target's transforms (logarithm, differencing) and their
 * inverse, the z-score normalisation, direct and recursive multi-step
 * forecasts. Shared by the CLI (train, predict) and the public recur_model
 * (model.c), so that both forecast with the same code. Internal to the
 * library.
 *
 * __metadata__: lookback, horizon, season, strategy (direct | recursive),
 * log, difference, calendar (0 | 1), target, features (comma-separated),
 * date, date_step (the dates' step as data/dates.h stores it, "P1M",
 * "P1D"; "" when they have none), date_last (the training data's last
 * date; "" without a date column), missing, norm_mean and norm_std (one
 * number per input column, %.17g), target_mean and target_std (for
 * tools/seq_torch.py). date_step and date_last are absent from checkpoints
 * older than dated forecasts, and read as "" and NULL.
 */
#ifndef RECUR_FORECASTER_H
#define RECUR_FORECASTER_H

#include "data/dates.h"
#include "data/series.h"
#include "io/safetensors.h"
#include "model/seqmodel.h"

enum { FORECASTER_MAX_FEATURES = 64 };

/* What a forecaster is: stored in the checkpoint, read back by predict.
 * features[] point into feature_text: a forecaster is not copied by value
 * once split_features has run. target, date, date_last and missing are
 * borrowed (from the options, the series, or the checkpoint's st_file). */
typedef struct {
    size_t lookback, horizon, season;
    int recursive;
    int log, difference;          /* target transforms, in this order */
    int calendar;                 /* the date's place in the year as inputs */
    const char *target, *date, *missing;
    const char *features[FORECASTER_MAX_FEATURES];
    size_t n_features;
    char feature_text[1024];      /* the comma-separated list, split in place */
    series_norm norm;
    char date_step[16];           /* the dates' step ("P1M"), "" for none */
    const char *date_last;        /* the training data's last date, or NULL */
} forecaster;

/* Splits a comma-separated list of feature columns into f->features
 * (NULL or "": none); RECUR_ERR_ARGUMENT for an empty name, too many
 * columns or too long a list. */
recur_status forecaster_split_features(forecaster *f, const char *list);

/* The dates of s (its date column, s->date; none: RECUR_ERR_ARGUMENT)
 * recorded in f: f->date_last borrows the last one, f->date_step is the
 * step between them (date_step_infer; *step gets it, step may be NULL).
 * Without a constant step (fewer than two dates, dates that are not ISO or
 * not evenly spaced) RECUR_ERR_FORMAT says why, f->date_step is "" and
 * date_last is still set: the forecasts are then numbered by step. */
recur_status forecaster_set_dates(forecaster *f, const series_data *s,
                                  date_step *step);

/* Adds the forecaster's metadata to a checkpoint (ctx: a const forecaster
 * *; a seqtask_meta_fn of the CLI). */
recur_status forecaster_write_meta(void *ctx, st_writer *w);

/* The forecaster a checkpoint holds for the network c (its inputs are the
 * columns, its outputs the horizon or one); RECUR_ERR_FORMAT naming path
 * when the metadata is missing, malformed or does not match the network,
 * or the network reads tokens or predicts classes or every step, or its
 * date_step is neither "" nor a step date_step_parse reads. f->norm is
 * allocated (series_norm_free; also on failure); target, date, date_last
 * (NULL when absent or "") and missing point into st; season is 0 where
 * the metadata has none. */
recur_status forecaster_read(const st_file *st, const char *path,
                             forecaster *f, const seq_config *c);

/* The series the model sees: the target (column 0) as its logarithm (log;
 * every value must be positive) and/or as the change from the step before
 * (difference; step 0 gets 0 and is never read: the windows start one step
 * later). Features are left as they are. *value is a fresh copy of
 * s->value (caller frees). A value that is not positive under log is
 * RECUR_ERR_FORMAT "what: line L: name = v is not positive (--log)" (step
 * instead of line where s->line is NULL). */
recur_status forecaster_transform(const forecaster *f, const series_data *s,
                                  const char *what, double **value);

/* Back to the data's units: forecasts out[i * horizon + k] of the windows
 * whose first target is step first + i, made on the transformed scale. A
 * differenced forecast is accumulated from the last observed value. */
void forecaster_untransform(const forecaster *f, const series_data *s,
                            size_t first, size_t count, double *out);

/* Forecasts for every example of win (normalised inputs, one window each,
 * all of lookback steps): out[i * horizon + k] on the transformed scale
 * (not yet forecaster_untransform'ed). Direct: the model's horizon
 * outputs; recursive: horizon rounds of one step, each prediction shifted
 * into its window as the newest input. The windows go through the model
 * `batch` at a time in index order, dropout off. */
recur_status forecaster_run(seq_model *m, const seq_data *win,
                            const forecaster *f, size_t batch, double *out);

/* The horizon values after the last step of s (s->n >= lookback +
 * difference, else RECUR_ERR_FORMAT naming `what`), in the data's units:
 * transform, the last lookback steps normalised as one window, run, back
 * to the data's units. What `recur predict` prints. */
recur_status forecaster_predict(seq_model *m, const forecaster *f,
                                const series_data *s, const char *what,
                                double *out);

#endif
