/*
 * scratch.h — the scratch directory of the CLI tests that run `recur` on
 * files they write (tests/cli/test_inspect.c, test_tasks.c, test_output.c,
 * test_signals.c, test_train.c). One is open at a time: the tests run one
 * after another, and each opens its own and closes it before it returns.
 */
#ifndef RECUR_TEST_SCRATCH_H
#define RECUR_TEST_SCRATCH_H

#include <stddef.h>

/* The open scratch directory, /tmp/PREFIX-XXXXXX, and its subdirectory
 * "cap" for the captures of spawn_recur (so that captures never count
 * among the files a run leaves). */
extern char scratch[256], capture[300];

/* Creates a fresh scratch directory; 1 when done, else one failed CHECK. */
int scratch_open(const char *prefix);
/* Removes it and everything in it (one CHECK that it is gone). */
void scratch_close(void);
/* buf := scratch/name; returns buf. */
const char *in_scratch(char *buf, size_t size, const char *name);
/* Writes the string (without its NUL) to path; 1 when written whole. */
int write_text(const char *path, const char *text);

#endif
