/*
 * plot.c — SVG line charts. See plot.h.
 *
 * Layout (pixels): an 800 x 480 canvas; the plot area is the rectangle
 * [LEFT, WIDTH - RIGHT] x [TOP, HEIGHT - BOTTOM]. Axis ranges are the data
 * extents rounded out to whole multiples of a "nice" tick step, 1, 2 or 5
 * times a power of ten (as in Heckbert, Graphics Gems 1990), so the frame
 * starts and ends on a tick, except that y data touching an end push it
 * out by 3% so the line clears the frame. A logarithmic axis (plot_loss_svg)
 * spans the data's logarithms padded by 3%, with ticks at 1, 2, 5 (or
 * every digit, or every few decades) times powers of ten.
 */
#include "plot.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WIDTH 800.0
#define HEIGHT 480.0
#define LEFT 76.0
#define RIGHT 24.0
#define TOP 44.0
#define BOTTOM 56.0
#define MAX_TICKS 7
#define MARKED_SERIES 40 /* series this short get a marker on every point */
#define FONT "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                      "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                      "#bcbd22", "#17becf"};

typedef struct {
    double lo, hi;     /* the frame's range (log10 of it when log) */
    double first, step; /* ticks at first + k step, k < ticks */
    size_t ticks;
    int log;           /* logarithmic: ticks at value[k] instead */
    double value[MAX_TICKS];
} axis;

/* Tick k's value. */
static double tick_value(const axis *a, size_t k)
{
    return a->log ? a->value[k] : a->first + (double)k * a->step;
}

/* A logarithmic axis over [lo, hi], 0 < lo <= hi: the logarithms padded by
 * 3% of their range (a single value by a tenth of a decade), ticks the
 * richest of every digit, 1-2-5 and 1 times the powers of ten (then every
 * 2nd, 5th, 10th... decade) that needs at most MAX_TICKS. */
static axis make_log_axis(double lo, double hi)
{
    axis a = {.log = 1};
    double L = log10(lo), H = log10(hi), range = H - L;
    if (range < 1e-9)
        L -= 0.05, H += 0.05, range = 0.1;
    a.lo = L - 0.03 * range;
    a.hi = H + 0.03 * range;
    static const double digits[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, ones[] = {1, 2, 5};
    const struct { const double *m; size_t n; } sets[3] = {
        {digits, 9}, {ones, 3}, {digits, 1}};
    for (int k = 0;; k++) { /* every 1, 2, 5, 10, 20... decades */
        double stride = ones[k % 3] * pow(10, k / 3);
        for (int set = k ? 2 : 0; set < 3; set++) {
            double v[64];
            size_t n = 0;
            for (double d = floor(a.lo); d <= ceil(a.hi) && n < 64; d++) {
                if (fmod(d, stride) != 0)
                    continue;
                for (size_t j = 0; j < sets[set].n && n < 64; j++) {
                    double x = sets[set].m[j] * pow(10, d), lx = log10(x);
                    if (lx >= a.lo && lx <= a.hi)
                        v[n++] = x;
                }
            }
            if (n <= MAX_TICKS || stride > 1000) {
                a.ticks = n < MAX_TICKS ? n : MAX_TICKS;
                memcpy(a.value, v, a.ticks * sizeof(double));
                return a;
            }
        }
    }
}

/* The axis over [lo, hi]: the smallest step of 1, 2 or 5 times a power of
 * ten that needs at most MAX_TICKS ticks, the range rounded out to ticks.
 * With pad, an end that data would touch is moved out by pad times the
 * range (off the tick), so lines and markers clear the frame. */
static axis make_axis(double lo, double hi, int any, double pad)
{
    axis a;
    if (!any)
        lo = 0, hi = 1;
    /* Keep the arithmetic finite and the step above rounding noise. */
    lo = fmax(lo, -1e300);
    hi = fmin(hi, 1e300);
    double mag = fmax(fabs(lo), fabs(hi));
    if (hi - lo <= mag * 1e-9) {
        double widen = mag > 0 ? mag * 0.05 : 1;
        lo -= widen;
        hi += widen;
    }
    static const double mantissa[3] = {1, 2, 5};
    double e = floor(log10((hi - lo) / MAX_TICKS)) - 1;
    for (int k = 0;; k++) {
        double step = mantissa[k % 3] * pow(10, e + k / 3);
        a.lo = a.first = floor(lo / step) * step;
        a.hi = ceil(hi / step) * step;
        a.step = step;
        a.ticks = (size_t)llround((a.hi - a.lo) / step) + 1;
        if (a.ticks <= MAX_TICKS || k > 30)
            break;
    }
    double range = a.hi - a.lo;
    if (any && lo - a.lo < pad * range)
        a.lo -= pad * range;
    if (any && a.hi - hi < pad * range)
        a.hi += pad * range;
    return a;
}

/* The axis over [lo, hi] with ticks at origin + k step, step the first of
 * steps (0-terminated) that needs at most MAX_TICKS, the range rounded out
 * to ticks; make_axis's when none does. */
static axis make_steps_axis(double lo, double hi, int any, const double *steps,
                            double origin)
{
    for (size_t i = 0; any && steps && steps[i] > 0; i++) {
        double step = steps[i];
        axis a = {.step = step};
        a.lo = a.first = origin + floor((lo - origin) / step) * step;
        a.hi = origin + ceil((hi - origin) / step) * step;
        if (a.hi <= a.lo)
            a.hi = a.lo + step;
        a.ticks = (size_t)llround((a.hi - a.lo) / step) + 1;
        if (a.ticks <= MAX_TICKS)
            return a;
    }
    return make_axis(lo, hi, any, 0);
}

/* A tick label: as many decimals as the step needs; k, M, G from 10^4,
 * 10^6, 10^9; exponents beyond 10^12 or for tiny values. */
static void tick_label(const axis *a, double v, char *buf, size_t size)
{
    if (a->log) {
        snprintf(buf, size, "%g", v);
        return;
    }
    if (fabs(v) < a->step * 1e-6)
        v = 0;
    double mag = fmax(fabs(a->lo), fabs(a->hi));
    double scale = 1;
    const char *suffix = "";
    if (mag >= 1e12 || mag < 1e-5 || a->step < 1e-6) {
        int sig = (int)(floor(log10(mag)) - floor(log10(a->step) + 1e-9)) + 1;
        sig = sig < 1 ? 1 : sig > 15 ? 15 : sig;
        snprintf(buf, size, "%.*g", sig, v);
        return;
    }
    if (mag >= 1e9)
        scale = 1e9, suffix = "G";
    else if (mag >= 1e6)
        scale = 1e6, suffix = "M";
    else if (mag >= 1e4)
        scale = 1e3, suffix = "k";
    int decimals = (int)-floor(log10(a->step / scale) + 1e-9);
    if (decimals < 0)
        decimals = 0;
    if (v == 0 && *suffix)
        snprintf(buf, size, "0");
    else
        snprintf(buf, size, "%.*f%s", decimals, v / scale, suffix);
}

/* Series k's colour: its own, else the palette's next, counting only the
 * series before it that took one from the palette. */
static const char *color_of(const plot_series *series, size_t k)
{
    if (series[k].color)
        return series[k].color;
    size_t used = 0;
    for (size_t j = 0; j < k; j++)
        used += !series[j].color;
    return palette[used % (sizeof palette / sizeof *palette)];
}

static void put_escaped(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            /* XML 1.0 forbids most control characters. */
            if ((unsigned char)*s >= 0x20 || *s == '\t' || *s == '\n')
                fputc(*s, f);
        }
    }
}

typedef struct {
    axis x, y;
    double left, right, top, bottom; /* plot area in pixels */
    const plot_x_labels *x_labels;   /* NULL: numbers */
} frame;

static double px(const frame *fr, double x)
{
    double v = fr->left + (x - fr->x.lo) / (fr->x.hi - fr->x.lo) * (fr->right - fr->left);
    return fmax(-1e5, fmin(1e5, v));
}

static double py(const frame *fr, double y)
{
    if (fr->y.log)
        y = log10(y);
    double v = fr->bottom - (y - fr->y.lo) / (fr->y.hi - fr->y.lo) * (fr->bottom - fr->top);
    return fmax(-1e5, fmin(1e5, v));
}

static int finite_point(const plot_series *s, size_t i)
{
    return isfinite(s->x[i]) && isfinite(s->y[i]);
}

/* The line of one series as path data. Within a pixel column only the
 * first, lowest, highest and last points are kept (in their order), so a
 * 10^6-step loss curve costs ~4 points per column and draws the same. */
typedef struct {
    FILE *f;
    int started;     /* a "M" was written for the current run */
    long column;
    size_t count;    /* points in the pending column */
    double first_y, last_y, min_y, max_y, first_x, last_x, min_x, max_x;
    size_t min_at, max_at;
} thinner;

static void emit(thinner *t, double x, double y)
{
    fprintf(t->f, "%s%.1f,%.1f", t->started ? " L" : " M", x, y);
    t->started = 1;
}

static void flush_column(thinner *t)
{
    if (!t->count)
        return;
    emit(t, t->first_x, t->first_y);
    if (t->count > 1) {
        int min_first = t->min_at <= t->max_at;
        double ax = min_first ? t->min_x : t->max_x, ay = min_first ? t->min_y : t->max_y;
        double bx = min_first ? t->max_x : t->min_x, by = min_first ? t->max_y : t->min_y;
        if (ay != t->first_y)
            emit(t, ax, ay);
        if (by != ay)
            emit(t, bx, by);
        if (t->last_y != by || t->last_x != bx)
            emit(t, t->last_x, t->last_y);
    }
    t->count = 0;
}

static void thin_point(thinner *t, double x, double y, size_t index)
{
    long column = (long)floor(x);
    if (t->count && column != t->column)
        flush_column(t);
    if (!t->count) {
        t->column = column;
        t->first_x = t->min_x = t->max_x = t->last_x = x;
        t->first_y = t->min_y = t->max_y = t->last_y = y;
        t->min_at = t->max_at = index;
    } else {
        if (y < t->min_y)
            t->min_y = y, t->min_x = x, t->min_at = index;
        if (y > t->max_y)
            t->max_y = y, t->max_x = x, t->max_at = index;
        t->last_x = x, t->last_y = y;
    }
    t->count++;
}

static void thin_break(thinner *t)
{
    flush_column(t);
    t->started = 0;
}

static void draw_series(FILE *f, const frame *fr, const plot_series *s,
                        const char *color)
{
    size_t finite = 0;
    for (size_t i = 0; i < s->n; i++)
        finite += finite_point(s, i);
    if (!finite)
        return;
    fputs("<path fill=\"none\" stroke=\"", f);
    put_escaped(f, color);
    fputs("\" stroke-width=\"1.8\" stroke-linejoin=\"round\" stroke-linecap=\"round\" "
          "d=\"", f);
    thinner t = {.f = f};
    for (size_t i = 0; i < s->n; i++) {
        if (finite_point(s, i))
            thin_point(&t, px(fr, s->x[i]), py(fr, s->y[i]), i);
        else
            thin_break(&t);
    }
    thin_break(&t);
    fputs("\"/>\n", f);
    /* Markers: every point of a short series, else isolated points. */
    for (size_t i = 0; i < s->n; i++) {
        if (!finite_point(s, i))
            continue;
        int isolated = (i == 0 || !finite_point(s, i - 1)) &&
                       (i + 1 == s->n || !finite_point(s, i + 1));
        if (finite <= MARKED_SERIES || isolated) {
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"",
                    px(fr, s->x[i]), py(fr, s->y[i]), isolated ? 3.0 : 2.5);
            put_escaped(f, color);
            fputs("\"/>\n", f);
        }
    }
}

static void draw_axes(FILE *f, const frame *fr)
{
    char label[64];
    fputs("<g stroke=\"#e6e6e6\" stroke-width=\"1\">\n", f);
    for (size_t k = 0; k < fr->x.ticks; k++) {
        double x = px(fr, fr->x.first + (double)k * fr->x.step);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, fr->top,
                x, fr->bottom);
    }
    for (size_t k = 0; k < fr->y.ticks; k++) {
        double y = py(fr, tick_value(&fr->y, k));
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", fr->left,
                y, fr->right, y);
    }
    fputs("</g>\n", f);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
            "stroke=\"#333\" stroke-width=\"1\"/>\n", fr->left, fr->top,
            fr->right - fr->left, fr->bottom - fr->top);
    fprintf(f, "<g " FONT " font-size=\"12\" fill=\"#333\" text-anchor=\"middle\">\n");
    for (size_t k = 0; k < fr->x.ticks; k++) {
        double v = fr->x.first + (double)k * fr->x.step, x = px(fr, v);
        if (fr->x_labels)
            fr->x_labels->label(fr->x_labels->ctx, v, label, sizeof label);
        else
            tick_label(&fr->x, v, label, sizeof label);
        /* A long last label would run off the canvas: end it at the edge. */
        double half = 3.6 * (double)strlen(label), tx = x;
        const char *anchor = "";
        if (x + half > WIDTH - 2)
            tx = WIDTH - 2, anchor = " text-anchor=\"end\"";
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
                "<text x=\"%.1f\" y=\"%.1f\"%s>%s</text>\n", x, fr->bottom, x,
                fr->bottom + 5, tx, fr->bottom + 19, anchor, label);
    }
    fputs("</g>\n", f);
    fprintf(f, "<g " FONT " font-size=\"12\" fill=\"#333\" text-anchor=\"end\">\n");
    for (size_t k = 0; k < fr->y.ticks; k++) {
        double v = tick_value(&fr->y, k), y = py(fr, v);
        tick_label(&fr->y, v, label, sizeof label);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
                "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", fr->left - 5, y, fr->left, y,
                fr->left - 8, y + 4, label);
    }
    fputs("</g>\n", f);
}

/* Does the segment (ax,ay)-(bx,by) meet the rectangle [x0,x1] x [y0,y1]?
 * (Liang-Barsky clipping.) */
static int segment_meets(double ax, double ay, double bx, double by, double x0,
                         double y0, double x1, double y1)
{
    double t0 = 0, t1 = 1, dx = bx - ax, dy = by - ay;
    double p[4] = {-dx, dx, -dy, dy}, q[4] = {ax - x0, x1 - ax, ay - y0, y1 - ay};
    for (int k = 0; k < 4; k++) {
        if (p[k] == 0) {
            if (q[k] < 0)
                return 0;
        } else {
            double t = q[k] / p[k];
            if (p[k] < 0)
                t0 = fmax(t0, t);
            else
                t1 = fmin(t1, t);
            if (t0 > t1)
                return 0;
        }
    }
    return 1;
}

/* How much of the data a rectangle (pixels) would hide: the points and
 * line segments that meet it. */
static size_t data_under(const frame *fr, const plot_series *series, size_t n_series,
                         double x0, double y0, double x1, double y1)
{
    size_t count = 0;
    for (size_t k = 0; k < n_series; k++) {
        const plot_series *s = &series[k];
        for (size_t i = 0; i < s->n; i++) {
            if (!finite_point(s, i))
                continue;
            double ax = px(fr, s->x[i]), ay = py(fr, s->y[i]);
            if (i + 1 < s->n && finite_point(s, i + 1))
                count += segment_meets(ax, ay, px(fr, s->x[i + 1]), py(fr, s->y[i + 1]),
                                       x0, y0, x1, y1);
            else
                count += ax >= x0 && ax <= x1 && ay >= y0 && ay <= y1;
        }
    }
    return count;
}

static void draw_legend(FILE *f, const frame *fr, const plot_series *series,
                        size_t n_series)
{
    size_t named = 0, longest = 0;
    for (size_t k = 0; k < n_series; k++)
        if (series[k].name) {
            named++;
            size_t len = strlen(series[k].name);
            longest = len > longest ? len : longest;
        }
    if (!named)
        return;
    double row = 18, w = 48 + 7.4 * (double)(longest > 60 ? 60 : longest);
    double h = 8 + row * (double)named, margin = 10;
    /* The corner hiding the least data (with a 4-pixel halo): top-right,
     * top-left, bottom-right, bottom-left; ties keep the earlier. */
    double xs[4] = {fr->right - margin - w, fr->left + margin, fr->right - margin - w,
                    fr->left + margin};
    double ys[4] = {fr->top + margin, fr->top + margin, fr->bottom - margin - h,
                    fr->bottom - margin - h};
    size_t best = 0, best_count = (size_t)-1;
    for (size_t c = 0; c < 4; c++) {
        size_t n = data_under(fr, series, n_series, xs[c] - 4, ys[c] - 4, xs[c] + w + 4,
                              ys[c] + h + 4);
        if (n < best_count)
            best_count = n, best = c;
    }
    double x = xs[best], y = ys[best];
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fff\" "
            "fill-opacity=\"0.85\" stroke=\"#bbb\" rx=\"3\"/>\n", x, y, w, h);
    size_t r = 0;
    for (size_t k = 0; k < n_series; k++) {
        if (!series[k].name)
            continue;
        double cy = y + 4 + row * ((double)r + 0.5);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"",
                x + 8, cy, x + 30, cy);
        put_escaped(f, color_of(series, k));
        fprintf(f, "\" stroke-width=\"2.5\"/><text x=\"%.1f\" y=\"%.1f\" " FONT
                " font-size=\"12\" fill=\"#222\">", x + 36, cy + 4);
        put_escaped(f, series[k].name);
        fputs("</text>\n", f);
        r++;
    }
}

static void write_chart(FILE *f, const char *title, const char *xlabel,
                        const char *ylabel, const plot_series *series, size_t n_series,
                        int log_auto, const plot_x_labels *xl)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    int any = 0;
    for (size_t k = 0; k < n_series; k++)
        for (size_t i = 0; i < series[k].n; i++) {
            if (!finite_point(&series[k], i))
                continue;
            any = 1;
            xlo = fmin(xlo, series[k].x[i]);
            xhi = fmax(xhi, series[k].x[i]);
            ylo = fmin(ylo, series[k].y[i]);
            yhi = fmax(yhi, series[k].y[i]);
        }
    int log_y = log_auto && any && ylo > 0 && yhi >= PLOT_LOG_SPAN * ylo;
    frame fr = {.x = xl ? make_steps_axis(xlo, xhi, any, xl->steps, xl->origin)
                        : make_axis(xlo, xhi, any, 0),
                .y = log_y ? make_log_axis(ylo, yhi)
                           : make_axis(ylo, yhi, any, 0.03),
                .left = LEFT, .right = WIDTH - RIGHT, .top = TOP,
                .bottom = HEIGHT - BOTTOM, .x_labels = xl};

    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\">\n", WIDTH, HEIGHT, WIDTH, HEIGHT);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
    /* The clip only guards against coordinates clamped far outside; it is
     * a little larger than the frame so edge markers show whole. */
    fprintf(f, "<defs><clipPath id=\"plot-area\"><rect x=\"%.1f\" y=\"%.1f\" "
            "width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>\n", fr.left - 4,
            fr.top - 4, fr.right - fr.left + 8, fr.bottom - fr.top + 8);
    if (title) {
        fprintf(f, "<text x=\"%.1f\" y=\"28\" " FONT " font-size=\"16\" "
                "font-weight=\"bold\" fill=\"#222\" text-anchor=\"middle\">",
                (fr.left + fr.right) / 2);
        put_escaped(f, title);
        fputs("</text>\n", f);
    }
    draw_axes(f, &fr);
    if (xlabel) {
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" " FONT " font-size=\"13\" fill=\"#222\" "
                "text-anchor=\"middle\">", (fr.left + fr.right) / 2, HEIGHT - 14);
        put_escaped(f, xlabel);
        fputs("</text>\n", f);
    }
    if (ylabel) {
        double cx = 18, cy = (fr.top + fr.bottom) / 2;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" transform=\"rotate(-90 %.1f %.1f)\" " FONT
                " font-size=\"13\" fill=\"#222\" text-anchor=\"middle\">", cx, cy, cx, cy);
        put_escaped(f, ylabel);
        if (log_y)
            fputs(" (log scale)", f);
        fputs("</text>\n", f);
    }

    fputs("<g clip-path=\"url(#plot-area)\">\n", f);
    for (size_t k = 0; k < n_series; k++)
        draw_series(f, &fr, &series[k], color_of(series, k));
    fputs("</g>\n", f);
    if (!any)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" " FONT " font-size=\"14\" fill=\"#888\" "
                "text-anchor=\"middle\">no data</text>\n", (fr.left + fr.right) / 2,
                (fr.top + fr.bottom) / 2);
    draw_legend(f, &fr, series, n_series);
    fputs("</svg>\n", f);
}

static int write_svg(const char *path, const char *title, const char *xlabel,
                     const char *ylabel, const plot_series *series,
                     size_t n_series, int log_auto, const plot_x_labels *xl)
{
    if (!path || !*path || (n_series && !series) || (xl && !xl->label)) {
        errno = EINVAL;
        return -1;
    }
    for (size_t k = 0; k < n_series; k++)
        if (series[k].n && (!series[k].x || !series[k].y)) {
            errno = EINVAL;
            return -1;
        }
    size_t len = strlen(path);
    char *tmp = malloc(len + 5);
    if (!tmp) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(tmp, path, len);
    memcpy(tmp + len, ".tmp", 5);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        int err = errno;
        free(tmp);
        errno = err;
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int err = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        errno = err;
        return -1;
    }
    write_chart(f, title, xlabel, ylabel, series, n_series, log_auto, xl);
    int ok = fflush(f) == 0 && !ferror(f);
    int err = ok ? 0 : errno ? errno : EIO;
    if (ok && fsync(fd) != 0)
        ok = 0, err = errno;
    if (fclose(f) != 0 && ok)
        ok = 0, err = errno;
    if (ok && rename(tmp, path) != 0)
        ok = 0, err = errno;
    if (!ok)
        unlink(tmp);
    free(tmp);
    if (!ok) {
        errno = err;
        return -1;
    }
    return 0;
}

int plot_svg(const char *path, const char *title, const char *xlabel,
             const char *ylabel, const plot_series *series, size_t n_series)
{
    return write_svg(path, title, xlabel, ylabel, series, n_series, 0, NULL);
}

int plot_svg_labelled(const char *path, const char *title, const char *xlabel,
                      const char *ylabel, const plot_x_labels *x,
                      const plot_series *series, size_t n_series)
{
    return write_svg(path, title, xlabel, ylabel, series, n_series, 0, x);
}

int plot_loss_svg(const char *path, const char *title, const char *xlabel,
                  const char *ylabel, const plot_series *series,
                  size_t n_series)
{
    return write_svg(path, title, xlabel, ylabel, series, n_series, 1, NULL);
}
