/*
 * forecast_plot.h — the forecast chart of `recur train --task forecast`
 * (SVG through plot.h): the history before the forecast origin, then the
 * truth and the forecast (and optionally a baseline) after it.
 *
 * Two uses, one function:
 *   - one origin: history = the last N points before it, truth and
 *     forecast = the horizon values from it;
 *   - the whole test part, one step ahead: history = the last N points
 *     before the test part, truth = the test values, forecast = each
 *     step's one-step-ahead forecast.
 * x is the step index (history at origin - n_history .. origin - 1, the
 * rest at origin .. origin + n - 1), labelled with numbers or, given
 * x_labels, with what it writes (the dates of the steps). The truth and
 * forecast lines start at the last history point so that they join the
 * history.
 */
#ifndef RECUR_CLI_FORECAST_PLOT_H
#define RECUR_CLI_FORECAST_PLOT_H

#include "plot.h"

#include <stddef.h>

typedef struct {
    const char *title, *ylabel;   /* may be NULL */
    size_t origin;                /* the step of truth[0] and forecast[0] */
    const double *history;        /* [n_history], may be NULL when 0 */
    size_t n_history;             /* at most origin */
    const double *truth;          /* [n], or NULL: not drawn */
    const double *forecast;       /* [n] */
    size_t n;
    const double *baseline;       /* [n], or NULL */
    const char *baseline_name;    /* its legend entry ("seasonal naive") */
    const plot_x_labels *x_labels; /* NULL: step numbers */
    const char *xlabel;           /* NULL: "step" */
} forecast_chart;

/* Writes the chart to path (atomically, as plot_svg). Returns 0, or -1
 * with errno set: EINVAL for a NULL path, chart or forecast, n == 0 or
 * n_history > origin; ENOMEM; or plot_svg's. */
int forecast_plot(const char *path, const forecast_chart *c);

#endif
