/*
 * progress.h — the training progress display.
 *
 * On a terminal one live line is rewritten in place ('\r', then "erase to
 * end of line"), at most 10 times a second:
 *   step 1200/8000 15%  epoch 1.37  loss 1.5321  12.3k tok/s  ETA 4m12s
 * Elsewhere (a log file, a pipe, TERM=dumb) the same text is printed as a
 * plain line for the first update, then at most every 10 seconds, and for
 * the last step. Other messages go through progress_line, which clears the
 * live line, prints, and redraws it, so the two never garble each other.
 *
 * The ETA comes from the mean time per step so far and the steps left, or
 * from the time limit, whichever ends first; the percentage follows the
 * same one: with a time limit that comes first the line reads
 *   step 1200  45% of --time-limit 10m00s  epoch 1.37  ...  ETA 5m30s
 * without a step total the run will not reach. Times use CLOCK_MONOTONIC.
 */
#ifndef RECUR_CLI_PROGRESS_H
#define RECUR_CLI_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    FILE *out;
    int live;              /* 1: rewrite one line on a terminal */
    uint64_t total_steps;  /* 0: unknown */
    double time_limit;     /* seconds; 0: none */
    double start, last_shown;  /* monotonic seconds */
    uint64_t first_step;   /* step of the first update (rates exclude
                              what came before, e.g. a resumed run's) */
    double first_time;
    int have;              /* an update has been recorded */
    int shown;             /* the recorded update is what is displayed */
    int on_screen;         /* the live line is drawn (live mode) */
    uint64_t step;         /* the last update's values */
    double epoch, loss, tokens_per_sec;
} progress;

/* Starts the clock. out is typically stderr; it is flushed after every
 * write. total_steps 0 = unknown; time_limit in seconds, 0 = none. */
void progress_init(progress *p, FILE *out, uint64_t total_steps, double time_limit);

/* Records the state after `step` steps and shows it when due. A negative
 * epoch_float is left out (unknown); a loss or tokens_per_sec that is NaN
 * or negative shows as "-". */
void progress_update(progress *p, uint64_t step, double epoch_float, double loss,
                     double tokens_per_sec);

/* Prints one full line (a newline is added) without garbling the live
 * line: clears it, prints, redraws it. */
void progress_line(progress *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Shows the last update if it is not on screen yet and ends the live
 * line with a newline. Afterwards progress_line prints plain lines; a new
 * display starts with progress_init. */
void progress_done(progress *p);

/* Seconds since progress_init. */
double progress_elapsed(const progress *p);

/* Formats a duration as "42s", "4m12s", "3h07m" or "125h". */
void progress_format_duration(double seconds, char *buf, size_t size);

#endif
