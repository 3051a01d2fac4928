/*
 * test.h — the suite's tiny harness. Each test file defines functions
 * `void test_xxx(void)` registered in tests/main.c; CHECK counts one
 * assertion, printing file:line and the message when it fails. A test
 * that cannot run here calls SKIP with the reason instead of passing in
 * silence. The runner ends with "N passed, N failed, N skipped" and exits
 * non-zero on any failure (a skip is not one).
 */
#ifndef RECUR_TEST_H
#define RECUR_TEST_H

#include <stddef.h>
#include <stdio.h>

extern int test_passed, test_failed, test_skipped;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (cond) {                                                           \
            test_passed++;                                                    \
        } else {                                                              \
            test_failed++;                                                    \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);              \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

/* What a test does where it cannot run (a data set missing under
 * $RECUR_DATA, a CPU without the instructions of a kernel, running as
 * root, ...): SKIP("reason", ...), printf-style, then return or go on with
 * what it can run. Each call counts one skip; the runner prints the group,
 * file:line and reason at once and again in a list before its closing
 * line. The reason says what was not tested and why. */
#define SKIP(...) test_skip(__FILE__, __LINE__, __VA_ARGS__)
void test_skip(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Where the committed fixtures live (tests/fixtures unless
 * RECUR_FIXTURES is set). */
const char *test_fixture_dir(void);

/* $RECUR_DATA/name (data/name where RECUR_DATA is unset or empty) into
 * path; 1 when that file can be read, else 0 (the caller SKIPs). */
int test_data_file(char *path, size_t size, const char *name);

#endif
