/*
 * test_dates.c — data/dates.h: ISO dates "YYYY-MM" and "YYYY-MM-DD"
 * parsed strictly; the step of a series inferred (monthly, quarterly, a
 * day of the month, daily across month, year and leap-day boundaries, a
 * daily series missing at most 1 % of its days) or refused saying why
 * (mixed forms, backwards, irregular); dates moved by whole steps both
 * ways (1960-12 + 1 month = 1961-01), checked day by day against a plain
 * calendar over three centuries; the stored form ("P1M") read back.
 */
#include "data/dates.h"
#include "test.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void parse(void)
{
    static const char *const good[] = {"1949-01", "2020-02-29", "2000-02-29",
                                       "0000-01", "9999-12-31"};
    static const char *const bad[] = {"2020-13", "2020-00", "2019-02-29",
                                      "1900-02-29", "2020-04-31", "2020-1-01",
                                      "20200101", "2020-01-1", " 2020-01",
                                      "2020-01 ", "2020/01", "", "2020-01-00"};
    date_ymd d;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        CHECK(date_parse(good[i], &d) == 0, "date_parse refused %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(date_parse(bad[i], &d) == -1, "date_parse accepted '%s'", bad[i]);
    CHECK(date_parse("1961-07", &d) == 0 && d.year == 1961 && d.month == 7 &&
              d.day == 0,
          "1961-07: %d %d %d", d.year, d.month, d.day);
}

/* Infers the step of the dates (up to NULL); 0 when refused. */
static int infer(date_step *st, ...)
{
    const char *dates[16];
    size_t n = 0;
    va_list ap;
    va_start(ap, st);
    for (const char *d; n < 16 && (d = va_arg(ap, const char *)) != NULL;)
        dates[n++] = d;
    va_end(ap);
    return date_step_infer(dates, n, st) == RECUR_OK;
}

static void steps(void)
{
    date_step st;
    CHECK(infer(&st, "1960-11", "1960-12", "1961-01", (char *)NULL) &&
              st.months == 1 && st.days == 0,
          "monthly: %ld months %ld days", st.months, st.days);
    CHECK(infer(&st, "2019-10", "2020-01", "2020-04", (char *)NULL) &&
              st.months == 3,
          "quarterly: %ld months", st.months);
    CHECK(infer(&st, "2020-01-15", "2020-02-15", "2020-03-15", (char *)NULL) &&
              st.months == 1,
          "the 15th of each month: %ld months", st.months);
    CHECK(infer(&st, "2020-02-28", "2020-02-29", "2020-03-01", (char *)NULL) &&
              st.days == 1 && st.months == 0,
          "daily over a leap day: %ld days", st.days);
    CHECK(infer(&st, "2020-12-25", "2021-01-01", "2021-01-08", (char *)NULL) &&
              st.days == 7,
          "weekly over a new year: %ld days", st.days);
    /* Month ends are not one day of the month, nor days apart by one step. */
    CHECK(!infer(&st, "2020-01-31", "2020-02-29", "2020-03-31", (char *)NULL) &&
              strstr(recur_last_error(), "not at a constant step"),
          "month ends: %s", recur_last_error());
    CHECK(!infer(&st, "2020-01", "2020-02-01", (char *)NULL) &&
              strstr(recur_last_error(), "date 2"),
          "mixed forms: %s", recur_last_error());
    CHECK(!infer(&st, "2020-03", "2020-02", (char *)NULL) &&
              strstr(recur_last_error(), "does not come after"),
          "backwards: %s", recur_last_error());
    CHECK(!infer(&st, "2020-01", "2020-13", (char *)NULL) &&
              strstr(recur_last_error(), "\"2020-13\""),
          "not a date: %s", recur_last_error());
    CHECK(!infer(&st, "2020-01", "2020-02", "2020-04", (char *)NULL) &&
              strstr(recur_last_error(), "1 of the 2 steps"),
          "a short irregular series: %s", recur_last_error());

    /* 201 days with one missing (1 of 200 steps differs): daily; with three
     * missing, not. */
    static char text[210][11];
    const char *dates[210];
    date_step day = {0, 1};
    for (int gaps = 1; gaps <= 3; gaps += 2) {
        size_t n = 0;
        for (long k = 0; n < 201; k++) {
            if ((gaps >= 1 && k == 50) || (gaps == 3 && (k == 90 || k == 130)))
                continue;
            date_step_add(&day, "1984-12-01", k, text[n], sizeof text[n]);
            dates[n] = text[n];
            n++;
        }
        recur_status s = date_step_infer(dates, n, &st);
        CHECK(gaps == 1 ? s == RECUR_OK && st.days == 1 : s == RECUR_ERR_FORMAT,
              "%d missing days in 201: status %d", gaps, (int)s);
    }
}

static void add(void)
{
    static const struct {
        date_step step;
        const char *from;
        long k;
        const char *want; /* NULL: refused */
    } cases[] = {
        {{1, 0}, "1960-12", 1, "1961-01"},
        {{1, 0}, "1961-01", -1, "1960-12"},
        {{1, 0}, "1960-12", 25, "1963-01"},
        {{3, 0}, "2020-11", 1, "2021-02"},
        {{1, 0}, "2020-01-15", 1, "2020-02-15"},
        {{0, 1}, "2020-12-31", 1, "2021-01-01"},
        {{0, 1}, "2020-02-28", 1, "2020-02-29"},
        {{0, 1}, "2019-02-28", 1, "2019-03-01"},
        {{0, 1}, "2021-01-01", -366, "2020-01-01"},
        {{0, 7}, "1999-12-27", 1, "2000-01-03"},
        {{0, 1}, "2020-01", 1, NULL},     /* no day to move */
        {{1, 0}, "2020-01-31", 1, NULL},  /* not every month has the 31st */
        {{1, 0}, "9999-12", 1, NULL},
        {{1, 0}, "0000-01", -1, NULL},
        {{1, 0}, "2020-1", 1, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[16] = "";
        recur_status s = date_step_add(&cases[i].step, cases[i].from, cases[i].k,
                                       buf, sizeof buf);
        CHECK(cases[i].want ? s == RECUR_OK && !strcmp(buf, cases[i].want)
                            : s != RECUR_OK,
              "%s + %ld x (%ld months, %ld days): %s (status %d)", cases[i].from,
              cases[i].k, cases[i].step.months, cases[i].step.days, buf, (int)s);
    }
    /* Day by day from 1890-01-01 for 300 years against a plain calendar. */
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    date_step day = {0, 1};
    int y = 1890, m = 1, d = 1, ok = 1;
    char want[32] = "", got[32] = "";
    long k = 0;
    for (; ok && k < 300 * 366L; k++) {
        snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
        ok = date_step_add(&day, "1890-01-01", k, got, sizeof got) == RECUR_OK &&
             !strcmp(got, want);
        if (++d > mdays[m - 1] + (m == 2 && date_leap(y)))
            d = 1, m++;
        if (m > 12)
            m = 1, y++;
    }
    CHECK(ok, "1890-01-01 + %ld days: %s, expected %s", k - 1, got, want);
}

static void stored(void)
{
    static const char *const good[] = {"P1M", "P3M", "P12M", "P1D", "P7D"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        date_step st;
        char back[16] = "";
        if (date_step_parse(good[i], &st) == RECUR_OK)
            date_step_format(&st, back, sizeof back);
        CHECK(!strcmp(back, good[i]), "%s read back as %s", good[i], back);
    }
    static const char *const bad[] = {"P0M", "1M", "P1Y", "P1MX", "", "P",
                                      "PM", "P-1D", "P01M", "P100001D"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        date_step st;
        CHECK(date_step_parse(bad[i], &st) == RECUR_ERR_FORMAT,
              "'%s' read as a step", bad[i]);
    }
}

void test_dates(void)
{
    parse();
    steps();
    add();
    stored();
}
