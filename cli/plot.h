/*
 * plot.h — line charts as self-contained SVG files (loss curves for
 * `recur train`): title, axes with about five "nice" ticks (1, 2 or 5
 * times a power of ten) and labels, a light grid, one line per series and
 * a legend in the emptiest corner.
 */
#ifndef RECUR_CLI_PLOT_H
#define RECUR_CLI_PLOT_H

#include <stddef.h>

typedef struct {
    const char *name;  /* legend entry; NULL: not in the legend */
    const double *x, *y; /* n points each */
    size_t n;
    const char *color; /* any SVG colour ("#1f77b4", "red"); NULL: the next
                          of a ten-colour palette */
} plot_series;

/* Writes the chart to path. title, xlabel, ylabel may be NULL. Points with
 * a NaN or infinite coordinate are skipped and break the line; an isolated
 * point, and every point of a series of at most 40, gets a marker. A
 * single point, all-equal values, empty series and no series at all give
 * a sensible chart ("no data" when nothing is finite). Many points are
 * thinned to the first, lowest, highest and last of each pixel column,
 * which looks identical and keeps the file small.
 * Written atomically: PATH.tmp, fsync, rename. Returns 0, or -1 with errno
 * set (EINVAL for a NULL path or a series with n > 0 and NULL x or y),
 * leaving any existing file at path as it was. */
int plot_svg(const char *path, const char *title, const char *xlabel,
             const char *ylabel, const plot_series *series, size_t n_series);

/* An x axis labelled by the caller, as dates at step indices: ticks at
 * origin + k step for the smallest of `steps` (ascending, 0-terminated;
 * 12 months from a January make yearly ticks) that needs at most 7 of
 * them (none does: the usual 1-2-5 ticks), each tick's text written by
 * label into buf. */
typedef struct {
    void (*label)(const void *ctx, double x, char *buf, size_t size);
    const void *ctx;
    const double *steps;
    double origin;
} plot_x_labels;

/* plot_svg with the x axis labelled by x (NULL: as plot_svg); EINVAL also
 * for an x without its label function. */
int plot_svg_labelled(const char *path, const char *title, const char *xlabel,
                      const char *ylabel, const plot_x_labels *x,
                      const plot_series *series, size_t n_series);

/* A loss curve's y data spanning this factor or more (max / min, all
 * positive) get a logarithmic axis: a first epoch at 54 nats would
 * otherwise flatten a tail between 8.0 and 8.6 into a line. */
#define PLOT_LOG_SPAN 5.0

/* plot_svg for loss curves: the y axis is logarithmic, and the y label
 * says "(log scale)", when every finite y is positive and they span a
 * factor of PLOT_LOG_SPAN or more; otherwise as plot_svg. Ticks on a log
 * axis are 1, 2 and 5 (or every digit, or every few decades) times powers
 * of ten, whichever gives enough of them. */
int plot_loss_svg(const char *path, const char *title, const char *xlabel,
                  const char *ylabel, const plot_series *series,
                  size_t n_series);

#endif
