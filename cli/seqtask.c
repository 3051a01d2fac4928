/*
 * seqtask.c — the supervised tasks' shared command-line pieces (seqtask.h).
 */
#include "seqtask.h"
#include "cli.h"
#include "guard.h"
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
        {.name = "--cell", .type = OPT_CHOICE, .dest = &o->cell, .def = "lstm", .help = "recurrent cell", .choices = "lstm|gru|gru_reset_before|rnn|rnn_relu"},
        {.name = "--hidden", .type = OPT_SIZE, .dest = &o->hidden, .def = def->hidden, .help = "hidden units per layer and direction", .min = 1, .max = 16384, .metavar = "H"},
        {.name = "--layers", .type = OPT_SIZE, .dest = &o->layers, .def = def->layers, .help = "stacked layers", .min = 1, .max = 64, .metavar = "L"},
        {.name = "--bidirectional", .type = OPT_FLAG, .dest = &o->bidirectional, .def = def->bidirectional ? "1" : NULL, .help = "read each sequence both ways (features of both directions concatenated)"},
        {.name = "--unidirectional", .type = OPT_FLAG, .dest = &o->unidirectional, .help = "one direction only (overrides --bidirectional)"},
        {.name = "--embed", .type = OPT_SIZE, .dest = &o->embed, .def = def->embed, .help = "embedding size (token input)", .min = 1, .max = 16384, .metavar = "E"},
        {.name = "--pool", .type = OPT_CHOICE, .dest = &o->pool, .def = def->pool, .help = "what the output layer reads: the last state of each direction, or the outputs' mean or maximum over the steps", .choices = def->pools},
        {.name = "--dropout", .type = OPT_FLOAT, .dest = &o->dropout, .def = def->dropout, .help = "dropout on the embeddings, between layers and before the output layer", .min = 0.0, .max = 0.95, .metavar = "P"},
        {.name = "--batch", .type = OPT_SIZE, .dest = &o->batch, .def = def->batch, .help = "examples per step", .min = 1, .max = 1000000, .metavar = "B"},
        {.name = "--epochs", .type = OPT_SIZE, .dest = &o->epochs, .def = def->epochs, .help = "passes over the training examples", .min = 1, .max = 1000000, .metavar = "N"},
        {.name = "--optimizer", .type = OPT_CHOICE, .dest = &o->optimizer, .def = "adam", .help = "optimizer", .choices = "adam|adamw|sgd|rmsprop|adagrad"},
        {.name = "--lr", .type = OPT_FLOAT, .dest = &o->lr, .def = def->lr, .help = "learning rate", .min = 1e-12, .max = 100.0},
        {.name = "--lr-decay", .type = OPT_FLOAT, .dest = &o->lr_decay, .def = def->lr_decay ? def->lr_decay : "1", .help = "multiply the learning rate by this after every epoch that does not improve the validation loss (the tagger: accuracy)", .min = 1e-6, .max = 1.0},
        {.name = "--weight-decay", .type = OPT_FLOAT, .dest = &o->weight_decay, .def = "0", .help = "L2 weight decay (adamw: decoupled, and 0.01 unless given)", .min = 0.0, .max = 1.0, .given = &o->weight_decay_given},
        {.name = "--clip", .type = OPT_FLOAT, .dest = &o->clip, .def = def->clip, .help = "clip the global gradient norm to this (0: no clipping)", .min = 0.0, .max = 1e6},
        {.name = "--patience", .type = OPT_SIZE, .dest = &o->patience, .def = def->patience, .help = "stop after this many epochs without a better validation loss (0: never)", .min = 0, .max = 1000000, .metavar = "N"},
        {.name = "--time-limit", .type = OPT_FLOAT, .dest = &o->time_limit, .def = "0", .help = "stop training after this many seconds (0: no limit)", .min = 0.0, .max = 1e9, .metavar = "S"},
        {.name = "--seed", .type = OPT_SIZE, .dest = &o->seed, .def = "1", .help = "seed of the initialisation, the split, shuffling and dropout"},
        {.name = "--threads", .type = OPT_SIZE, .dest = &o->threads, .def = "0", .help = "threads (0: all cores)", .min = 0, .max = 1024, .metavar = "N"},
        {.name = "--quiet", .type = OPT_FLAG, .dest = &o->quiet, .help = "no per-epoch lines on stderr"},
        {.name = "--save", .type = OPT_STRING, .dest = &o->save, .def = def->save, .help = "checkpoint to write (the best validation epoch's parameters); also PATH.metrics.csv and PATH.loss.svg. Locked while the run writes it (PATH.lock): a second run given the same PATH is refused (exit status 1). Ctrl-C (SIGINT) or SIGTERM stops at the next step with the best model so far saved here (exit status 130, 143)", .metavar = "PATH"},
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

void seqtask_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

int seqtask_verdict(const char *metric, double model, const char *baseline,
                    double base, int lower_is_better, int print)
{
    int beats = lower_is_better ? model < base : model > base;
    int ties = model == base;
    if (print && beats)
        printf("result: better than the %s baseline on the test part (%s "
               "%.4g against %.4g)\n", baseline, metric, model, base);
    else if (print)
        printf("result: %s the %s baseline on the test part (%s %.4g against "
               "%.4g): the baseline is the better model here\n",
               ties ? "no better than" : "WORSE than", baseline, metric, model,
               base);
    return beats;
}

/* ---- the training run ---- */

typedef struct {
    int quiet;
    const char *metric;        /* the model's validation figure, or NULL */
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
        {.name = "training", .x = log->x, .y = log->train, .n = log->n,
         .color = NULL},
        {.name = "validation", .x = log->x, .y = log->val, .n = log->n,
         .color = NULL},
    };
    if (log->svg)
        plot_loss_svg(log->svg, "loss per epoch", "epoch", "mean loss", s, 2);
}

/* A non-zero return (after SIGINT or SIGTERM, guard.h) stops fit_run at
 * this step; it then scores the epoch so far and keeps the best. */
static int on_event(void *ctx, const fit_event *ev)
{
    run_log *log = ctx;
    if (ev->kind != FIT_EPOCH)
        return guard_signal() != 0;
    log->run.epochs = ev->epoch;
    log->run.seconds = ev->elapsed;
    if (ev->best) {
        log->run.best_epoch = ev->epoch;
        log->run.best_val = ev->val_loss;
    }
    char metric[64] = "";
    if (log->metric)
        snprintf(metric, sizeof metric, "  val %s %.4f", log->metric,
                 ev->val_metric);
    if (!log->quiet)
        fprintf(stderr, "epoch %zu/%zu  train %.4f  val %.4f%s%s  lr %.3g  %.1f s\n",
                ev->epoch, log->epochs, ev->loss, ev->val_loss, metric,
                ev->best ? " *" : "", (double)ev->lr, ev->elapsed);
    if (log->csv) {
        char lr[32];
        fprintf(log->csv, "%llu,%zu,%.6f,%.6f,%d,%s,%.3f",
                (unsigned long long)ev->step, ev->epoch, ev->loss, ev->val_loss,
                ev->best, floatfmt_shortest(lr, sizeof lr, ev->lr), ev->elapsed);
        if (log->metric)
            fprintf(log->csv, ",%.6f", ev->val_metric);
        fprintf(log->csv, "\n");
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
    return guard_signal() != 0;
}

recur_status seqtask_fit(const char *task, const seqtask_opts *o,
                         const fit_model *m, const void *train, size_t n_train,
                         const void *val, size_t n_val, seqtask_run *run)
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
    size_t n = m->size;
    run_log log = {.quiet = o->quiet, .epochs = o->epochs, .metric = m->metric};
    char *csv_path = cli_beside(o->save, ".metrics.csv", 0);
    char *svg_path = cli_beside(o->save, ".loss.svg", 0);
    log.svg = svg_path;
    float *best = malloc(n * sizeof(float));
    size_t cap = o->epochs < 100000 ? o->epochs : 100000;
    log.x = malloc(3 * cap * sizeof(double));
    if (!best || !log.x || !csv_path || !svg_path) {
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
        goto done;
    }
    log.epochs = cap;
    log.train = log.x + cap;
    log.val = log.train + cap;
    /* What an earlier run killed in a save left behind. */
    cli_remove_stale_temps("train", o->save);
    log.csv = fopen(csv_path, "w");
    if (!log.csv) {
        s = error_fail(RECUR_ERR_IO, "cannot write %s", csv_path);
        goto done;
    }
    /* step, epoch first, as in the language models' log (metrics.c) */
    fprintf(log.csv, "step,epoch,train_loss,val_loss,best,lr,seconds%s%s\n",
            m->metric ? ",val_" : "", m->metric ? m->metric : "");
    if (!o->quiet)
        fprintf(stderr, "%s: %zu parameters, %zu training and %zu validation "
                "examples\n", task, n, n_train, n_val);
    double best_val;
    s = fit_train(m, train, n_val ? val : NULL, &fc, on_event, &log, best,
                  &best_val);
    plot_log(&log);
    if (!s)
        memcpy(m->params, best, n * sizeof(float));
done:
    if (log.csv)
        fclose(log.csv);
    free(log.x);
    free(best);
    free(csv_path);
    free(svg_path);
    log.run.signal = guard_signal();
    if (!s && run)
        *run = log.run;
    return s;
}

recur_status seqtask_train(const char *task, const seqtask_opts *o,
                           const seq_config *config, const seq_data *train,
                           const seq_data *val,
                           seqtask_meta_fn meta, void *meta_ctx,
                           seq_model **out, seqtask_run *run)
{
    seq_model *m = NULL;
    recur_status s = seq_model_create(config, o->seed, &m);
    if (s)
        return s;
    fit_model fm = fit_seq_model(m);
    s = seqtask_fit(task, o, &fm, train, train->n, val, val ? val->n : 0, run);
    if (!s)
        s = seqtask_save(m, task, meta, meta_ctx, o->save);
    if (s) {
        seq_model_free(m);
        return s;
    }
    *out = m;
    return RECUR_OK;
}

int seqtask_stopped(const char *cmd, const char *task, const seqtask_opts *o,
                    const seqtask_run *run)
{
    char *csv = cli_beside(o->save, ".metrics.csv", 0);
    char *svg = cli_beside(o->save, ".loss.svg", 0);
    const char *use = strcmp(task, "forecast") ? "recur eval" : "recur predict";
    fprintf(stderr, "recur %s: interrupted by %s in epoch %zu; saved the best "
            "model so far (epoch %zu) at %s, log %s, plot %s; the test part "
            "was not scored. Use the model with `%s --model %s --data FILE`, or "
            "train again from the start (--task %s has no --resume)\n", cmd,
            guard_signal_name(run->signal), run->epochs, run->best_epoch,
            o->save, csv ? csv : "", svg ? svg : "", use, o->save, task);
    free(csv);
    free(svg);
    return 128 + run->signal;
}

void seqtask_saved(const char *cmd, const seqtask_opts *o,
                   const seqtask_run *run)
{
    char *csv = cli_beside(o->save, ".metrics.csv", 0);
    char *svg = cli_beside(o->save, ".loss.svg", 0);
    fprintf(stderr, "recur %s: done after %zu epochs; saved the best model "
            "(epoch %zu) at %s, log %s, plot %s\n", cmd, run->epochs,
            run->best_epoch, o->save, csv ? csv : "", svg ? svg : "");
    free(csv);
    free(svg);
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
