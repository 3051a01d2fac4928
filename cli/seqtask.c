/*
 * seqtask.c — the supervised tasks' shared command-line pieces (seqtask.h).
 */
#include "seqtask.h"
#include "cli.h"
#include "base/error.h"
#include "base/floatfmt.h"
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t seqtask_count(const opt_spec *specs)
{
    size_t n = 0;
    while (specs[n].name)
        n++;
    return n;
}

size_t seqtask_specs(seqtask_opts *o, const seqtask_defaults *def,
                     opt_spec *specs)
{
    const opt_spec s[] = {
        {"--cell", OPT_CHOICE, &o->cell, "lstm", "recurrent cell", "lstm|gru|gru_reset_before|rnn|rnn_relu", 0, 0, NULL, NULL},
        {"--hidden", OPT_SIZE, &o->hidden, def->hidden, "hidden units per layer and direction", NULL, 1, 16384, "H", NULL},
        {"--layers", OPT_SIZE, &o->layers, def->layers, "stacked layers", NULL, 1, 64, "L", NULL},
        {"--bidirectional", OPT_FLAG, &o->bidirectional, def->bidirectional ? "1" : NULL, "read each sequence both ways (features of both directions concatenated)", NULL, 0, 0, NULL, NULL},
        {"--unidirectional", OPT_FLAG, &o->unidirectional, NULL, "one direction only (overrides --bidirectional)", NULL, 0, 0, NULL, NULL},
        {"--embed", OPT_SIZE, &o->embed, def->embed, "embedding size (token input)", NULL, 1, 16384, "E", NULL},
        {"--pool", OPT_CHOICE, &o->pool, def->pool, "what the output layer reads: the last state of each direction, or the outputs' mean or maximum over the steps", def->pools, 0, 0, NULL, NULL},
        {"--dropout", OPT_FLOAT, &o->dropout, def->dropout, "dropout on the embeddings, between layers and before the output layer", NULL, 0.0, 0.95, "P", NULL},
        {"--batch", OPT_SIZE, &o->batch, def->batch, "examples per step", NULL, 1, 1000000, "B", NULL},
        {"--epochs", OPT_SIZE, &o->epochs, def->epochs, "passes over the training examples", NULL, 1, 1000000, "N", NULL},
        {"--optimizer", OPT_CHOICE, &o->optimizer, "adam", "optimizer", "adam|adamw|sgd|rmsprop|adagrad", 0, 0, NULL, NULL},
        {"--lr", OPT_FLOAT, &o->lr, def->lr, "learning rate", NULL, 1e-12, 100.0, NULL, NULL},
        {"--lr-decay", OPT_FLOAT, &o->lr_decay, "1", "multiply the learning rate by this after every epoch that does not improve the validation loss", NULL, 1e-6, 1.0, NULL, NULL},
        {"--weight-decay", OPT_FLOAT, &o->weight_decay, "0", "L2 weight decay (adamw: decoupled, and 0.01 unless given)", NULL, 0.0, 1.0, NULL, &o->weight_decay_given},
        {"--clip", OPT_FLOAT, &o->clip, def->clip, "clip the global gradient norm to this (0: no clipping)", NULL, 0.0, 1e6, NULL, NULL},
        {"--patience", OPT_SIZE, &o->patience, def->patience, "stop after this many epochs without a better validation loss (0: never)", NULL, 0, 1000000, "N", NULL},
        {"--time-limit", OPT_FLOAT, &o->time_limit, "0", "stop training after this many seconds (0: no limit)", NULL, 0.0, 1e9, "S", NULL},
        {"--seed", OPT_SIZE, &o->seed, "1", "seed of the initialisation, the split, shuffling and dropout", NULL, 0, 0, NULL, NULL},
        {"--threads", OPT_SIZE, &o->threads, "0", "threads (0: all cores)", NULL, 0, 1024, "N", NULL},
        {"--quiet", OPT_FLAG, &o->quiet, NULL, "no per-epoch lines on stderr", NULL, 0, 0, NULL, NULL},
        {"--save", OPT_STRING, &o->save, NULL, "checkpoint to write (the best validation epoch's parameters); also PATH.metrics.csv and PATH.loss.svg", NULL, 0, 0, "PATH", NULL},
    };
    /* Options a task has no use for are left out (and so refused). */
    size_t n = 0;
    for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
        const char *name = s[i].name;
        if ((!def->embed && !strcmp(name, "--embed")) ||
            (!def->pools && !strcmp(name, "--pool")) ||
            (def->causal && (!strcmp(name, "--bidirectional") ||
                             !strcmp(name, "--unidirectional"))))
            continue;
        specs[n++] = s[i];
    }
    o->embed = 0;
    o->pool = def->pool;
    o->bidirectional = o->unidirectional = 0;
    return n;
}

recur_status seqtask_config(const seqtask_opts *o, size_t vocab_size,
                            size_t features, size_t outputs, seq_loss loss,
                            seq_config *out)
{
    seq_config c;
    memset(&c, 0, sizeof c);
    cli_parse_cell(o->cell, &c.rnn.mode); /* a choice: always known */
    c.rnn.input_size = vocab_size ? o->embed : features;
    c.rnn.hidden_size = o->hidden;
    c.rnn.num_layers = o->layers;
    c.rnn.bidirectional = o->bidirectional && !o->unidirectional;
    c.rnn.bias = 1;
    c.vocab_size = vocab_size;
    c.embed_size = vocab_size ? o->embed : 0;
    c.outputs = outputs;
    c.loss = loss;
    c.dropout = (float)o->dropout;
    recur_status s = seq_pool_parse(o->pool, &c.pool);
    if (!s)
        *out = c;
    return s;
}

recur_status seqtask_save(const seq_model *m, const char *task,
                          seqtask_meta_fn meta, void *meta_ctx,
                          const char *path)
{
    st_writer *w = NULL;
    recur_status s = st_writer_new(&w);
    if (!s)
        s = seq_model_write(m, task, w);
    if (!s && meta)
        s = meta(meta_ctx, w);
    if (!s)
        s = st_writer_write(w, path);
    st_writer_free(w);
    return s;
}

recur_status seqtask_load(const char *path, const char *task, seq_model **m,
                          st_file **st)
{
    recur_status s = st_read(path, st);
    if (s)
        return s;
    const char *t = st_meta(*st, "task");
    if (!t || strcmp(t, task) != 0)
        s = error_fail(RECUR_ERR_FORMAT, "%s is %s (task %.40s), not %s (task "
                       "%s)", path,
                       cli_task_noun(t) ? cli_task_noun(t) : "not a model of recur",
                       t ? t : "none", cli_task_noun(task), task);
    if (!s)
        s = seq_model_read(*st, path, m);
    if (s) {
        st_free(*st);
        *st = NULL;
    }
    return s;
}

const char *seqtask_arg(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], name) && i + 1 < argc)
            return argv[i + 1];
        if (!strncmp(argv[i], name, n) && argv[i][n] == '=')
            return argv[i] + n + 1;
    }
    return NULL;
}

const char *seqtask_json_number(char *buf, size_t size, const char *fmt,
                                double v)
{
    if (isfinite(v))
        snprintf(buf, size, fmt, v);
    else
        snprintf(buf, size, "null");
    return buf;
}

/* ---- the training run ---- */

typedef struct {
    const char *cmd;
    int quiet;
    FILE *csv;
    const char *svg;
    size_t epochs;
    double *x, *train, *val;   /* one entry per epoch */
    size_t n;
    double plotted;            /* elapsed seconds at the last plot */
    seqtask_run run;
} run_log;

static void plot_log(const run_log *log)
{
    plot_series s[2] = {
        {"training", log->x, log->train, log->n, NULL},
        {"validation", log->x, log->val, log->n, NULL},
    };
    if (log->svg)
        plot_svg(log->svg, "loss per epoch", "epoch", "mean loss", s, 2);
}

static int on_event(void *ctx, const fit_event *ev)
{
    run_log *log = ctx;
    if (ev->kind != FIT_EPOCH)
        return 0;
    log->run.epochs = ev->epoch;
    log->run.seconds = ev->elapsed;
    if (ev->best) {
        log->run.best_epoch = ev->epoch;
        log->run.best_val = ev->val_loss;
    }
    if (!log->quiet)
        fprintf(stderr, "epoch %zu/%zu  train %.4f  val %.4f%s  lr %.3g  %.1f s\n",
                ev->epoch, log->epochs, ev->loss, ev->val_loss,
                ev->best ? " *" : "", (double)ev->lr, ev->elapsed);
    if (log->csv) {
        char lr[32];
        fprintf(log->csv, "%llu,%zu,%.6f,%.6f,%d,%s,%.3f\n",
                (unsigned long long)ev->step, ev->epoch, ev->loss, ev->val_loss,
                ev->best, floatfmt_shortest(lr, sizeof lr, ev->lr), ev->elapsed);
        fflush(log->csv);
    }
    if (log->n < log->epochs) {
        log->x[log->n] = (double)ev->epoch;
        log->train[log->n] = ev->loss;
        log->val[log->n] = ev->val_loss;
        log->n++;
        /* The plot is rewritten (and synced) at most every 5 s: a small
         * model's epoch can take milliseconds. The end draws it again. */
        if (ev->elapsed - log->plotted >= 5.0 || log->n == 1) {
            plot_log(log);
            log->plotted = ev->elapsed;
        }
    }
    return 0;
}

recur_status seqtask_train(const char *cmd, const char *task,
                           const seqtask_opts *o, const seq_config *config,
                           const seq_data *train, const seq_data *val,
                           seqtask_meta_fn meta, void *meta_ctx,
                           seq_model **out, seqtask_run *run)
{
    optim_kind kind;
    recur_status s = optim_parse(o->optimizer, &kind);
    if (s)
        return s;
    fit_config fc = {.batch = o->batch, .optim = optim_default(kind),
                     .lr = (float)o->lr, .lr_decay = (float)o->lr_decay,
                     .clip = (float)o->clip, .seed = o->seed,
                     .epochs = o->epochs, .patience = o->patience,
                     .time_limit = o->time_limit};
    if (kind != RECUR_OPT_ADAMW || o->weight_decay_given)
        fc.optim.weight_decay = (float)o->weight_decay;
    seq_model *m = NULL;
    if ((s = seq_model_create(config, o->seed, &m)) != RECUR_OK)
        return s;
    size_t n = seq_model_size(m);
    run_log log = {.cmd = cmd, .quiet = o->quiet, .epochs = o->epochs};
    char *csv_path = o->save ? cli_beside(o->save, ".metrics.csv", 0) : NULL;
    char *svg_path = o->save ? cli_beside(o->save, ".loss.svg", 0) : NULL;
    log.svg = svg_path;
    float *best = malloc(n * sizeof(float));
    size_t cap = o->epochs < 100000 ? o->epochs : 100000;
    log.epochs = o->epochs;
    log.x = malloc(3 * cap * sizeof(double));
    if (!best || !log.x) {
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
        goto done;
    }
    log.epochs = cap;
    log.train = log.x + cap;
    log.val = log.train + cap;
    if (o->save) /* what an earlier run killed in a save left behind */
        cli_remove_stale_temps("train", o->save);
    if (csv_path) {
        log.csv = fopen(csv_path, "w");
        if (!log.csv) {
            s = error_fail(RECUR_ERR_IO, "cannot write %s", csv_path);
            goto done;
        }
        /* step, epoch first, as in the language models' log (metrics.c) */
        fprintf(log.csv, "step,epoch,train_loss,val_loss,best,lr,seconds\n");
    }
    if (!o->quiet)
        fprintf(stderr, "%s: %zu parameters, %zu training and %zu validation "
                "examples\n", task, n, train->n, val ? val->n : 0);
    double best_val;
    s = fit_run(m, train, val, &fc, on_event, &log, best, &best_val);
    plot_log(&log);
    if (!s) {
        memcpy(seq_model_params(m), best, n * sizeof(float));
        if (o->save)
            s = seqtask_save(m, task, meta, meta_ctx, o->save);
    }
done:
    if (log.csv)
        fclose(log.csv);
    free(log.x);
    free(best);
    free(csv_path);
    free(svg_path);
    if (s) {
        seq_model_free(m);
        return s;
    }
    *out = m;
    if (run)
        *run = log.run;
    return RECUR_OK;
}

/* ---- the prepared examples, for the PyTorch twin ---- */

static recur_status add_split(st_writer *w, const char *part,
                              const seq_data *d, int64_t *off)
{
    char name[64];
    size_t steps = d->offset[d->n], shape[2];
    for (size_t i = 0; i <= d->n; i++)
        off[i] = (int64_t)d->offset[i];
    snprintf(name, sizeof name, "%s.offset", part);
    shape[0] = d->n + 1;
    recur_status s = st_writer_add(w, name, RECUR_DT_I64, 1, shape, off);
    if (!s && d->tokens) {
        snprintf(name, sizeof name, "%s.tokens", part);
        shape[0] = steps;
        s = st_writer_add(w, name, RECUR_DT_I32, 1, shape, d->tokens);
    }
    if (!s && d->x) {
        snprintf(name, sizeof name, "%s.x", part);
        shape[0] = steps;
        shape[1] = d->features;
        s = st_writer_add(w, name, RECUR_DT_F32, 2, shape, d->x);
    }
    if (!s && d->label) {
        snprintf(name, sizeof name, "%s.label", part);
        shape[0] = d->n;
        s = st_writer_add(w, name, RECUR_DT_I32, 1, shape, d->label);
    }
    if (!s && d->y) {
        snprintf(name, sizeof name, "%s.y", part);
        shape[0] = d->per_step ? steps : d->n;
        shape[1] = d->outputs;
        s = st_writer_add(w, name, RECUR_DT_F32, 2, shape, d->y);
    }
    return s;
}

recur_status seqtask_export(const char *path, const seq_data *const parts[3],
                            seqtask_meta_fn meta, void *meta_ctx)
{
    static const char *const names[3] = {"train", "val", "test"};
    st_writer *w = NULL;
    int64_t *off[3] = {NULL, NULL, NULL};
    recur_status s = st_writer_new(&w);
    for (int i = 0; !s && i < 3; i++) {
        if (!parts[i] || parts[i]->n == 0)
            continue;
        if (!(off[i] = malloc((parts[i]->n + 1) * sizeof(int64_t))))
            s = error_fail(RECUR_ERR_MEMORY, "out of memory");
        else
            s = add_split(w, names[i], parts[i], off[i]);
    }
    if (!s && meta)
        s = meta(meta_ctx, w);
    if (!s)
        s = st_writer_write(w, path);
    st_writer_free(w);
    for (int i = 0; i < 3; i++)
        free(off[i]);
    return s;
}
