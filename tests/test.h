/*
 * test.h — the suite's tiny harness. Each test file defines functions
 * `void test_xxx(void)` registered in tests/main.c; CHECK counts one
 * assertion, printing file:line and the message when it fails. The runner
 * ends with "N passed, N failed" and exits non-zero on any failure.
 */
#ifndef RECUR_TEST_H
#define RECUR_TEST_H

#include <stdio.h>

extern int test_passed, test_failed;

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

/* Where the committed fixtures live (tests/fixtures unless
 * RECUR_FIXTURES is set). */
const char *test_fixture_dir(void);

#endif
