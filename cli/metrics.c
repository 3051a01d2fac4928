/*
 * metrics.c — the CSV metrics log and its plot. Columns:
 *     step,epoch,lr,train_loss,grad_norm,val_loss,elapsed,tokens_per_sec
 * (step and epoch first, as in every task's log); a step row leaves
 * val_loss empty, a validation row the training columns. The learning rate
 * is the shortest decimal that reads back as the float the run used.
 * The plot is drawn from the file itself, so a resumed run's plot shows
 * the whole history.
 */
#include "metrics.h"
#include "plot.h"
#include "base/floatfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct metrics_log {
    FILE *f;
    char *path;
    char unit[32];
};

static const char header[] =
    "step,epoch,lr,train_loss,grad_norm,val_loss,elapsed,tokens_per_sec\n";

metrics_log *metrics_open(const char *path, int append, const char *unit)
{
    metrics_log *log = calloc(1, sizeof *log);
    if (!log)
        return NULL;
    snprintf(log->unit, sizeof log->unit, "%s", unit ? unit : "token");
    FILE *old = append ? fopen(path, "r") : NULL;
    int has_header = 0;
    if (old) {
        char line[128];
        has_header = fgets(line, sizeof line, old) && !strcmp(line, header);
        fclose(old);
    }
    log->f = fopen(path, append && has_header ? "a" : "w");
    log->path = malloc(strlen(path) + 1);
    if (!log->f || !log->path) {
        metrics_close(log);
        return NULL;
    }
    strcpy(log->path, path);
    if (!(append && has_header))
        fputs(header, log->f);
    return log;
}

void metrics_step(metrics_log *log, const train_event *ev)
{
    char lr[32];
    fprintf(log->f, "%llu,%.6f,%s,%.6f,%.6f,,%.3f,%.1f\n",
            (unsigned long long)ev->step, ev->epoch,
            floatfmt_shortest(lr, sizeof lr, ev->lr), ev->loss,
            (double)ev->grad_norm, ev->elapsed, ev->tokens_per_sec);
}

void metrics_validation(metrics_log *log, const train_event *ev)
{
    fprintf(log->f, "%llu,%.6f,,,,%.6f,%.3f,\n", (unsigned long long)ev->step,
            ev->epoch, ev->val_loss, ev->elapsed);
    fflush(log->f);
}

typedef struct {
    double *x, *y;
    size_t n, cap;
} series;

static int push(series *s, double x, double y)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        double *nx = realloc(s->x, cap * sizeof(double));
        if (!nx)
            return -1;
        s->x = nx;
        double *ny = realloc(s->y, cap * sizeof(double));
        if (!ny)
            return -1;
        s->y = ny;
        s->cap = cap;
    }
    s->x[s->n] = x;
    s->y[s->n++] = y;
    return 0;
}

void metrics_plot(metrics_log *log, const char *svg_path)
{
    if (!log)
        return;
    fflush(log->f);
    FILE *f = fopen(log->path, "r");
    if (!f)
        return;
    series train = {0}, val = {0};
    char line[512];
    double smooth = NAN;
    while (fgets(line, sizeof line, f)) {
        /* Split the 8 columns in place. */
        char *col[8] = {0}, *p = line;
        int n = 0;
        while (n < 8) {
            col[n++] = p;
            p = strchr(p, ',');
            if (!p)
                break;
            *p++ = '\0';
        }
        if (n < 6 || !strcmp(col[0], "step"))
            continue;
        double step = strtod(col[0], NULL);
        if (*col[3]) {
            double loss = strtod(col[3], NULL);
            /* Exponential moving average: a readable curve from noisy steps. */
            smooth = isnan(smooth) ? loss : 0.95 * smooth + 0.05 * loss;
            push(&train, step, smooth);
        }
        if (*col[5])
            push(&val, step, strtod(col[5], NULL));
    }
    fclose(f);
    plot_series s[2] = {
        {.name = "training (moving average)", .x = train.x, .y = train.y,
         .n = train.n, .color = NULL},
        {.name = "validation", .x = val.x, .y = val.y, .n = val.n,
         .color = NULL},
    };
    char title[64], ylabel[64];
    snprintf(title, sizeof title, "Loss per %s", log->unit);
    snprintf(ylabel, sizeof ylabel, "cross-entropy (nats per %s)", log->unit);
    plot_loss_svg(svg_path, title, "step", ylabel, s, 2);
    free(train.x);
    free(train.y);
    free(val.x);
    free(val.y);
}

void metrics_close(metrics_log *log)
{
    if (!log)
        return;
    if (log->f)
        fclose(log->f);
    free(log->path);
    free(log);
}
