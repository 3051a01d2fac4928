/*
 * dates.h — the dates of a series' date column and the step between them
 * (internal API): what lets a forecast be labelled "1961-01" rather than
 * "step 144".
 *
 * Dates are ISO 8601 calendar dates in the proleptic Gregorian calendar,
 * written "YYYY-MM" (a month) or "YYYY-MM-DD" (a day), years 0000-9999.
 *
 * A series' step is a whole number of months (monthly, quarterly, yearly
 * data: "YYYY-MM", or "YYYY-MM-DD" all on one day of the month, at most
 * the 28th so that every month has it) or of days ("YYYY-MM-DD"). It is
 * the difference between most consecutive dates: all of them, or all but
 * at most 1 % (a daily series missing a day or two, such as the Melbourne
 * temperatures without 31 December of the leap years); the dates beyond
 * the last one are the last one plus whole steps. Stored as an ISO 8601
 * duration: "P1M", "P3M", "P1D", "P7D".
 *
 * Thread safety: no shared state.
 */
#ifndef RECUR_DATES_H
#define RECUR_DATES_H

#include "recur.h"

#include <stddef.h>

/* A parsed date: day 0 for the form "YYYY-MM". */
typedef struct {
    int year, month, day;
} date_ymd;

/* 0 when text is exactly "YYYY-MM" or "YYYY-MM-DD" (a real day of that
 * month), -1 otherwise; *out untouched then. */
int date_parse(const char *text, date_ymd *out);

/* 1 in a leap year. */
int date_leap(int year);

/* The day's number, consecutive across months and years (0 = 1970-01-01);
 * the first of the month for "YYYY-MM". */
long date_day_number(const date_ymd *d);

typedef struct {
    long months; /* the step in months, or 0 */
    long days;   /* the step in days, or 0; exactly one of the two is set */
} date_step;

/* The step of dates[0..n) (n >= 2), as the header says. RECUR_ERR_FORMAT
 * saying why there is none: a date that is not ISO ("line" names it by its
 * index), the two forms mixed, a step of 0 or backwards, or steps that
 * differ for more than 1 % of the pairs. RECUR_ERR_ARGUMENT for NULLs or
 * n < 2. *out untouched on failure. */
recur_status date_step_infer(const char *const *dates, size_t n,
                             date_step *out);

/* The date k steps after `date` (k < 0: before), in date's form, into
 * buf. RECUR_ERR_FORMAT when date is not ISO, a day step meets a "YYYY-MM"
 * date, or a month step a day after the 28th; RECUR_ERR_ARGUMENT when the
 * result leaves years 0000-9999 or does not fit buf (11 bytes always do). */
recur_status date_step_add(const date_step *step, const char *date, long k,
                           char *buf, size_t size);

/* The stored form ("P1M", "P1D") into buf (16 bytes always do). */
void date_step_format(const date_step *step, char *buf, size_t size);
/* Reads the stored form: "P<N>M" or "P<N>D", N from 1 to 100000;
 * RECUR_ERR_FORMAT otherwise. */
recur_status date_step_parse(const char *text, date_step *out);

#endif
