/*
 * seqtask.h — what the supervised tasks (classify, forecast, music) share
 * on the command line: the model and training options, the training run
 * with its progress lines, metrics log and loss plot, and the checkpoint.
 * Each task adds its data options, its reader and its metrics.
 */
#ifndef RECUR_CLI_SEQTASK_H
#define RECUR_CLI_SEQTASK_H

#include "train/fit.h"
#include "options.h"
#include "io/safetensors.h"
#include "model/seqmodel.h"

#include <stdio.h>

/* Option values shared by the tasks' `train`. */
typedef struct {
    const char *cell, *optimizer, *save, *pool;
    size_t hidden, layers, embed, batch, epochs, patience, seed, threads;
    double lr, dropout, clip, lr_decay, time_limit, weight_decay;
    int bidirectional, unidirectional, quiet;
    int weight_decay_given;
} seqtask_opts;

/* Per-task defaults (as option text) of the shared options. embed NULL:
 * no --embed (dense input); pools NULL: no --pool (pool is then fixed);
 * causal: no --bidirectional (a model that predicts the next step must not
 * read the future). */
typedef struct {
    const char *hidden, *layers, *embed, *batch, *epochs, *lr, *dropout,
        *patience, *pool, *pools, *clip;
    const char *lr_decay; /* NULL: "1" */
    const char *save; /* "TASK.safetensors": --save's default */
    int bidirectional, causal;
} seqtask_defaults;

enum { SEQTASK_SPECS = 24 };

/* The task's own specs at the start of an array: those before the first
 * unnamed (zeroed) entry. */
size_t seqtask_count(const opt_spec *specs);

/* Writes the shared options' specs into specs (room for SEQTASK_SPECS);
 * returns how many. */
size_t seqtask_specs(seqtask_opts *o, const seqtask_defaults *def,
                     opt_spec *specs);

/* The model configuration from the options, for input (vocab_size > 0:
 * token ids embedded in --embed; else `features` floats per step), K
 * outputs and a loss. */
recur_status seqtask_config(const seqtask_opts *o, size_t vocab_size,
                            size_t features, size_t outputs, seq_loss loss,
                            seq_config *out);

/* Adds the task's own __metadata__ (vocabulary, labels, normalisation...). */
typedef recur_status (*seqtask_meta_fn)(void *ctx, st_writer *w);

/* What a training run did (for the JSON results). */
typedef struct {
    size_t epochs;          /* epochs run */
    size_t best_epoch;      /* the epoch whose parameters were kept */
    double seconds;         /* training time, validation included */
    double best_val;        /* the kept epoch's validation loss (NaN: none) */
    int signal;             /* SIGINT or SIGTERM that stopped it (guard.h); 0 */
} seqtask_run;

/* The training run of any model (fit.h's fit_model) with the options' run
 * settings: one line per epoch to stderr (unless --quiet), PATH.metrics.csv
 * and PATH.loss.svg beside --save; at the end m holds the best validation
 * epoch's parameters (the caller saves them). A signal (guard.h) stops it
 * at the next step as at the end, run->signal saying which. */
recur_status seqtask_fit(const char *task, const seqtask_opts *o,
                         const fit_model *m, const void *train, size_t n_train,
                         const void *val, size_t n_val, seqtask_run *run);

/* Trains a fresh model (seed --seed) on train, validating on val, printing
 * one line per epoch to stderr (unless --quiet), logging PATH.metrics.csv
 * and drawing PATH.loss.svg beside --save; at the end the model holds the
 * best validation epoch's parameters and is saved at --save with the task's
 * metadata. SIGINT or SIGTERM (guard.h; the caller has called guard_begin)
 * stops it at the next step and it saves as at the end, run->signal saying
 * which. *out gets the model (caller frees), *run (may be NULL) what the
 * run did. */
recur_status seqtask_train(const char *task, const seqtask_opts *o,
                           const seq_config *config, const seq_data *train,
                           const seq_data *val,
                           seqtask_meta_fn meta, void *meta_ctx,
                           seq_model **out, seqtask_run *run);

/* The run's last line on stderr after a signal stopped seqtask_train:
 * what was saved where, and what to do next. Returns the exit status,
 * 128 + the signal's number. */
int seqtask_stopped(const char *cmd, const char *task, const seqtask_opts *o,
                    const seqtask_run *run);
/* ... after a run to its end: where the model, log and plot are. */
void seqtask_saved(const char *cmd, const seqtask_opts *o,
                   const seqtask_run *run);

/* Writes the model and the task's metadata to path (atomically). */
recur_status seqtask_save(const seq_model *m, const char *task,
                          seqtask_meta_fn meta, void *meta_ctx,
                          const char *path);

/* Reads a checkpoint: the model and the open file (for the task's metadata);
 * RECUR_ERR_FORMAT when its task is not `task`. */
recur_status seqtask_load(const char *path, const char *task, seq_model **m,
                          st_file **st);

/* The value of --task among the arguments (either form), or NULL. */
const char *seqtask_arg(int argc, char **argv, const char *name);

/* v for a --json line: printed with fmt (one double conversion) into buf,
 * or "null" when v is not finite (JSON has no NaN: a run without
 * validation has no best_val). Returns buf. */
const char *seqtask_json_number(char *buf, size_t size, const char *fmt,
                                double v);

/* s (UTF-8) as a JSON string, quotes included: '"' and '\\' escaped,
 * control bytes as \u00XX. */
void seqtask_json_string(FILE *f, const char *s);

/* The run against its better baseline on the test part: model and base are
 * one metric (named `metric`, "RMSE"; lower_is_better for errors, not for
 * accuracy) of the model and of the better baseline (`baseline`, its name,
 * "seasonal naive"). Returns 1 when the model is strictly better (a NaN
 * never is). print: one line on stdout saying so, plainly when it is not:
 *     result: worse than the seasonal-naive baseline on the test part (RMSE
 *     68.83 against 49.99): the baseline is the better forecast here
 */
int seqtask_verdict(const char *metric, double model, const char *baseline,
                    double base, int lower_is_better, int print);

/* Writes the prepared examples (train, validation, test; any may be NULL)
 * as safetensors: <part>.offset [n+1] int64, <part>.tokens [steps] int32 or
 * <part>.x [steps, I], <part>.label [n] int32 or <part>.y [n|steps, K], for
 * tools/seq_torch.py to train PyTorch on exactly the same data; the task's
 * metadata (labels, normalisation) in __metadata__. */
recur_status seqtask_export(const char *path, const seq_data *const parts[3],
                            seqtask_meta_fn meta, void *meta_ctx);

#endif
