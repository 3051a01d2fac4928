/* dates.c — ISO dates and the step of a series of them (dates.h). */
#include "data/dates.h"
#include "base/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int date_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days[month - 1] + (month == 2 && date_leap(year));
}

int date_parse(const char *text, date_ymd *out)
{
    size_t len = text ? strlen(text) : 0;
    if (len != 7 && len != 10)
        return -1;
    for (size_t i = 0; i < len; i++)
        if ((i == 4 || i == 7) ? text[i] != '-' : (text[i] < '0' || text[i] > '9'))
            return -1;
    date_ymd d = {atoi(text), (text[5] - '0') * 10 + (text[6] - '0'), 0};
    if (d.month < 1 || d.month > 12)
        return -1;
    if (len == 10) {
        d.day = (text[8] - '0') * 10 + (text[9] - '0');
        if (d.day < 1 || d.day > days_in_month(d.year, d.month))
            return -1;
    }
    *out = d;
    return 0;
}

/* Howard Hinnant's days_from_civil and civil_from_days (public domain):
 * day numbers of the proleptic Gregorian calendar, 0 = 1970-01-01, in
 * eras of 400 years. */
long date_day_number(const date_ymd *d)
{
    long y = d->year - (d->month <= 2);
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long mp = (d->month + 9) % 12; /* March = 0 */
    long doy = (153 * mp + 2) / 5 + (d->day ? d->day : 1) - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static date_ymd from_day_number(long z)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    date_ymd d;
    d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    d.year = (int)(yoe + era * 400 + (d.month <= 2));
    return d;
}

static long month_number(const date_ymd *d) { return d->year * 12L + d->month - 1; }

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* The most frequent of the n differences diff[] (sorted in place) and how
 * often it occurs. */
static long mode_of(long *diff, size_t n, size_t *count)
{
    qsort(diff, n, sizeof *diff, cmp_long);
    long best = diff[0];
    size_t best_run = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && diff[j] == diff[i])
            j++;
        if (j - i > best_run)
            best = diff[i], best_run = j - i;
        i = j;
    }
    *count = best_run;
    return best;
}

/* The step in months (by_month) or days between consecutive dates d[],
 * when all of them or all but 1 % of the n - 1 pairs share it. */
static recur_status step_of(const date_ymd *d, size_t n, int by_month,
                            long *diff, long *step)
{
    for (size_t i = 1; i < n; i++) {
        diff[i - 1] = by_month ? month_number(&d[i]) - month_number(&d[i - 1])
                               : date_day_number(&d[i]) - date_day_number(&d[i - 1]);
        if (diff[i - 1] <= 0)
            return error_fail(RECUR_ERR_FORMAT, "date %zu does not come after "
                              "date %zu", i + 1, i);
    }
    size_t count;
    long mode = mode_of(diff, n - 1, &count);
    if ((n - 1 - count) * 100 > n - 1)
        return error_fail(RECUR_ERR_FORMAT, "the dates are not at a constant "
                          "step: %zu of the %zu steps between them are %ld "
                          "%s%s, the others differ", count, n - 1, mode,
                          by_month ? "month" : "day", mode == 1 ? "" : "s");
    *step = mode;
    return RECUR_OK;
}

recur_status date_step_infer(const char *const *dates, size_t n,
                             date_step *out)
{
    if (!dates || !out || n < 2)
        return error_fail(RECUR_ERR_ARGUMENT, "no step between fewer than 2 "
                          "dates (or none: NULL)");
    date_ymd *d = malloc(n * sizeof *d);
    long *diff = malloc((n - 1) * sizeof *diff);
    recur_status s = d && diff ? RECUR_OK
                               : error_fail(RECUR_ERR_MEMORY, "out of memory");
    int same_day = 1;
    for (size_t i = 0; !s && i < n; i++) {
        if (date_parse(dates[i], &d[i]))
            s = error_fail(RECUR_ERR_FORMAT, "date %zu (\"%.40s\") is not a "
                           "date YYYY-MM or YYYY-MM-DD", i + 1, dates[i]);
        else if ((d[i].day == 0) != (d[0].day == 0))
            s = error_fail(RECUR_ERR_FORMAT, "date %zu (\"%.40s\") is not in "
                           "the form of date 1 (\"%.40s\")", i + 1, dates[i],
                           dates[0]);
        else
            same_day &= d[i].day == d[0].day;
    }
    date_step st = {0, 0};
    /* Months when every date is a month or the same early day of one;
     * days otherwise (and when the months are not regular). */
    int months = !s && same_day && d[0].day <= 28;
    if (months) {
        recur_status m = step_of(d, n, 1, diff, &st.months);
        if (m && d[0].day == 0) /* a "YYYY-MM" series has no days to try */
            s = m;
        else if (m)
            st.months = 0, months = 0;
    }
    if (!s && !months)
        s = step_of(d, n, 0, diff, &st.days);
    if (!s)
        *out = st;
    free(d);
    free(diff);
    return s;
}

recur_status date_step_add(const date_step *step, const char *date, long k,
                           char *buf, size_t size)
{
    date_ymd d;
    if (!step || !date || !buf)
        return error_fail(RECUR_ERR_ARGUMENT, "no date or step to add (NULL)");
    if (date_parse(date, &d))
        return error_fail(RECUR_ERR_FORMAT, "\"%.40s\" is not a date YYYY-MM "
                          "or YYYY-MM-DD", date);
    if (step->days ? d.day == 0 : d.day > 28)
        return error_fail(RECUR_ERR_FORMAT, "\"%.40s\" cannot move by %s", date,
                          step->days ? "days (it has none)"
                                     : "months (not every month has its day)");
    if (k > 100000000L || k < -100000000L)
        return error_fail(RECUR_ERR_ARGUMENT, "%ld steps are too many to add "
                          "to a date", k);
    date_ymd r = d;
    if (step->days) {
        r = from_day_number(date_day_number(&d) + k * step->days);
    } else {
        long m = month_number(&d) + k * step->months;
        long y = (m >= 0 ? m : m - 11) / 12;
        r.year = (int)y;
        r.month = (int)(m - y * 12 + 1);
    }
    if (r.year < 0 || r.year > 9999 ||
        (size_t)snprintf(buf, size, r.day ? "%04d-%02d-%02d" : "%04d-%02d",
                         r.year, r.month, r.day) >= size)
        return error_fail(RECUR_ERR_ARGUMENT, "%ld steps from %s leave the "
                          "years 0000-9999 or the buffer", k, date);
    return RECUR_OK;
}

void date_step_format(const date_step *step, char *buf, size_t size)
{
    snprintf(buf, size, "P%ld%c", step->days ? step->days : step->months,
             step->days ? 'D' : 'M');
}

recur_status date_step_parse(const char *text, date_step *out)
{
    char *end;
    long v = text && text[0] == 'P' && text[1] >= '1' && text[1] <= '9'
                 ? strtol(text + 1, &end, 10)
                 : 0;
    if (v < 1 || v > 100000 || (*end != 'M' && *end != 'D') || end[1])
        return error_fail(RECUR_ERR_FORMAT, "\"%.40s\" is not a step P<N>M or "
                          "P<N>D", text ? text : "(null)");
    out->months = *end == 'M' ? v : 0;
    out->days = *end == 'D' ? v : 0;
    return RECUR_OK;
}
