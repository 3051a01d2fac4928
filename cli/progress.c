/*
 * progress.c — the training progress display. See progress.h.
 */
#include "progress.h"
#include "base/clock.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LIVE_INTERVAL 0.1 /* seconds between redraws of the live line */
#define LOG_INTERVAL 10.0 /* seconds between plain lines */

void progress_format_duration(double seconds, char *buf, size_t size)
{
    if (!(seconds >= 0) || seconds > 1e9) {
        snprintf(buf, size, "?");
        return;
    }
    unsigned long s = (unsigned long)seconds;
    if (s < 60)
        snprintf(buf, size, "%lus", s);
    else if (s < 3600)
        snprintf(buf, size, "%lum%02lus", s / 60, s % 60);
    else if (s < 100 * 3600)
        snprintf(buf, size, "%luh%02lum", s / 3600, s / 60 % 60);
    else
        snprintf(buf, size, "%luh", s / 3600);
}

void progress_init(progress *p, FILE *out, uint64_t total_steps, double time_limit)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    const char *term = getenv("TERM");
    p->live = out && isatty(fileno(out)) && !(term && strcmp(term, "dumb") == 0);
    p->total_steps = total_steps;
    p->time_limit = time_limit > 0 ? time_limit : 0;
    p->start = clock_seconds();
}

double progress_elapsed(const progress *p) { return clock_seconds() - p->start; }

/* Seconds left until the step count ends the run, or a negative number
 * when unknown. */
static double eta_steps(const progress *p, double now)
{
    if (p->total_steps && p->step >= p->total_steps)
        return 0;
    if (!p->total_steps || p->step == 0)
        return -1;
    double per_step;
    if (p->step > p->first_step && now > p->first_time)
        per_step = (now - p->first_time) / (double)(p->step - p->first_step);
    else
        per_step = (now - p->start) / (double)p->step;
    return per_step * (double)(p->total_steps - p->step);
}

/* Is the time limit what will end the run: no step count, or one that at
 * the rate so far would take longer? */
static int time_ends(const progress *p, double now)
{
    if (!(p->time_limit > 0))
        return 0;
    double by_steps = eta_steps(p, now);
    double by_time = p->time_limit - (now - p->start);
    return by_steps < 0 || by_time < by_steps;
}

/* Seconds left by whichever ends first, or a negative number when
 * unknown. */
static double eta(const progress *p, double now)
{
    if (!time_ends(p, now))
        return eta_steps(p, now);
    double by_time = p->time_limit - (now - p->start);
    return by_time > 0 ? by_time : 0;
}

/* The status text of the last update (no newline). */
static void format_status(const progress *p, double now, char *buf, size_t size)
{
    size_t used = 0;
#define ADD(...)                                                                 \
    do {                                                                         \
        if (used < size)                                                         \
            used += (size_t)snprintf(buf + used, size - used, __VA_ARGS__);      \
    } while (0)
    /* The percentage, the step count and the ETA all follow what ends the
     * run: the steps ("step 78/1560 5%"), or the time limit ("step 78  45%
     * of --time-limit 10s", no step total that will not be reached). */
    char t[32];
    if (time_ends(p, now)) {
        if (p->time_limit < 60) /* as given: "0.5s" */
            snprintf(t, sizeof t, "%gs", p->time_limit);
        else
            progress_format_duration(p->time_limit, t, sizeof t);
        ADD("step %llu  %.0f%% of --time-limit %s", (unsigned long long)p->step,
            fmin(100, floor(100.0 * (now - p->start) / p->time_limit)), t);
    } else if (p->total_steps) {
        ADD("step %llu/%llu %.0f%%", (unsigned long long)p->step,
            (unsigned long long)p->total_steps,
            floor(100.0 * (double)p->step / (double)p->total_steps));
    } else {
        ADD("step %llu", (unsigned long long)p->step);
    }
    if (p->epoch >= 0)
        ADD("  epoch %.2f", p->epoch);
    if (p->loss >= 0 && isfinite(p->loss))
        ADD("  loss %.4f", p->loss);
    else
        ADD("  loss -");
    double r = p->tokens_per_sec;
    if (!(r >= 0) || !isfinite(r))
        ADD("  - tok/s");
    else if (r < 1e3)
        ADD("  %.0f tok/s", r);
    else if (r < 1e6)
        ADD("  %.1fk tok/s", r / 1e3);
    else
        ADD("  %.2fM tok/s", r / 1e6);
    double left = eta(p, now);
    int finished = p->total_steps && p->step >= p->total_steps;
    if (left >= 0 && !finished) {
        progress_format_duration(left, t, sizeof t);
        ADD("  ETA %s", t);
    }
    if (!p->live || left < 0 || finished) {
        progress_format_duration(now - p->start, t, sizeof t);
        ADD("  elapsed %s", t);
    }
#undef ADD
}

static void show(progress *p, double now)
{
    char line[256];
    format_status(p, now, line, sizeof line);
    if (p->live) {
        fprintf(p->out, "\r%s\033[K", line);
        p->on_screen = 1;
    } else {
        fprintf(p->out, "%s\n", line);
    }
    fflush(p->out);
    p->shown = 1;
    p->last_shown = now;
}

void progress_update(progress *p, uint64_t step, double epoch_float, double loss,
                     double tokens_per_sec)
{
    if (!p->out)
        return;
    double now = clock_seconds();
    int first = !p->have;
    if (first) {
        p->first_step = step;
        p->first_time = now;
    }
    p->have = 1;
    p->shown = 0;
    p->step = step;
    p->epoch = epoch_float;
    p->loss = loss;
    p->tokens_per_sec = tokens_per_sec;
    int last = p->total_steps && step >= p->total_steps;
    double interval = p->live ? LIVE_INTERVAL : LOG_INTERVAL;
    if (first || last || now - p->last_shown >= interval)
        show(p, now);
}

void progress_line(progress *p, const char *fmt, ...)
{
    if (!p->out)
        return;
    if (p->live && p->on_screen)
        fputs("\r\033[K", p->out);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(p->out, fmt, ap);
    va_end(ap);
    fputc('\n', p->out);
    p->on_screen = 0;
    if (p->live && p->have) {
        /* Redraw with the latest values; the throttle's clock stays. */
        double last = p->last_shown;
        show(p, clock_seconds());
        p->last_shown = last;
    }
    fflush(p->out);
}

void progress_done(progress *p)
{
    if (!p->out)
        return;
    if (p->have && !p->shown)
        show(p, clock_seconds());
    if (p->live && p->on_screen)
        fputc('\n', p->out);
    p->on_screen = 0;
    p->have = 0; /* later progress_line calls print plain lines */
    fflush(p->out);
}
