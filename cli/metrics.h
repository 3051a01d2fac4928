/*
 * metrics.h — the training metrics log (CSV, one row per step and per
 * validation) and the loss plot drawn from it.
 */
#ifndef RECUR_CLI_METRICS_H
#define RECUR_CLI_METRICS_H

#include "train/train.h"

typedef struct metrics_log metrics_log;

/* Opens path for writing (append: keep what a resumed run logged); unit
 * names what the loss is per in the plot ("character", "word"). NULL on
 * failure (errno set). */
metrics_log *metrics_open(const char *path, int append, const char *unit);
void metrics_step(metrics_log *log, const train_event *ev);
void metrics_validation(metrics_log *log, const train_event *ev);
/* Redraws the SVG plot of training (smoothed) and validation loss against
 * step from everything in the log so far. */
void metrics_plot(metrics_log *log, const char *svg_path);
void metrics_close(metrics_log *log);

#endif
