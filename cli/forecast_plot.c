/* forecast_plot.c — the forecast chart (forecast_plot.h). */
#include "forecast_plot.h"
#include "base/error.h"

#include <errno.h>
#include <stdlib.h>

/* Fills xs/ys with the joining history point (when there is one) and then
 * the n values of v from step origin; returns the point count. */
static size_t joined(const forecast_chart *c, const double *v, double *xs,
                     double *ys)
{
    size_t k = 0;
    if (c->n_history > 0) {
        xs[k] = (double)(c->origin - 1);
        ys[k++] = c->history[c->n_history - 1];
    }
    for (size_t i = 0; i < c->n; i++) {
        xs[k] = (double)(c->origin + i);
        ys[k++] = v[i];
    }
    return k;
}

int forecast_plot(const char *path, const forecast_chart *c)
{
    if (!path || !c || !c->forecast || c->n == 0 ||
        c->n_history > c->origin || (c->n_history && !c->history)) {
        errno = EINVAL;
        return -1;
    }
    /* x and y of: history, then truth, forecast and baseline (each with
     * its joining point). */
    size_t each, total, bytes;
    double *xs = size_add_ok(c->n, 1, &each) && size_mul_ok(each, 3, &total) &&
                         size_add_ok(total, c->n_history, &total) &&
                         size_mul_ok(total, 2 * sizeof(double), &bytes)
                     ? malloc(bytes)
                     : NULL;
    if (!xs) {
        errno = ENOMEM;
        return -1;
    }
    double *ys = xs + total;
    plot_series s[4];
    size_t n_series = 0, at = 0;
    if (c->n_history > 0) {
        for (size_t i = 0; i < c->n_history; i++) {
            xs[i] = (double)(c->origin - c->n_history + i);
            ys[i] = c->history[i];
        }
        s[n_series++] = (plot_series){.name = "history", .x = xs, .y = ys,
                                      .n = c->n_history, .color = "#555555"};
        at = c->n_history;
    }
    const double *lines[3] = {c->truth, c->forecast, c->baseline};
    const char *names[3] = {"actual", "forecast",
                            c->baseline_name ? c->baseline_name : "baseline"};
    const char *colors[3] = {"#1f77b4", "#d62728", "#2ca02c"};
    for (int l = 0; l < 3; l++) {
        if (!lines[l])
            continue;
        size_t k = joined(c, lines[l], xs + at, ys + at);
        s[n_series++] = (plot_series){.name = names[l], .x = xs + at,
                                      .y = ys + at, .n = k, .color = colors[l]};
        at += k;
    }
    int rc = plot_svg_labelled(path, c->title, c->xlabel ? c->xlabel : "step",
                               c->ylabel, c->x_labels, s, n_series);
    int err = errno;
    free(xs);
    errno = err;
    return rc;
}
