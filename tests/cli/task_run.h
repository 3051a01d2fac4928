/*
 * task_run.h — the CLI tests' runs of the supervised tasks (classify,
 * forecast, music, tag: tests/cli/test_tasks.c, test_tag.c) through the
 * `recur` binary in the scratch directory (scratch.h), and checks of what
 * they print and write.
 */
#ifndef RECUR_TEST_TASK_RUN_H
#define RECUR_TEST_TASK_RUN_H

#include "spawn.h"

#include <jansson.h>
#include <stddef.h>

#define END ((const char *)NULL)

typedef spawn_args cmdline;
#define push spawn_args_add

/* The tiny model and run of every training here. */
#define TINY "--hidden", "8", "--threads", "1", "--quiet"

/* Runs c; it must exit 0. The result (caller frees) has out == NULL when
 * it did not. */
spawn_result task_run_ok(const char *what, const cmdline *c);

/* Runs c; it must exit `want` with a "recur <cmd>: " message naming each
 * of the needles (up to NULL) on stderr, and leave the scratch directory
 * with as many entries as before. */
void task_refusal(const char *what, const cmdline *c, int want, ...);

/* stdout of a --json run: one line, one object (caller decrefs; NULL when
 * it is not). */
json_t *task_json_line(const char *what, const char *out);

/* A finite number member of o (NaN, with a failed CHECK, when missing). */
double task_number(const char *what, json_t *o, const char *key);

/* The lines of text (split in place); returns how many, at most max. */
size_t task_split_lines(char *text, char **line, size_t max);

/* path exists and starts with `starts`. */
void task_check_file(const char *path, const char *starts);

/* The training log beside a checkpoint: its header (with a last column
 * val_<figure> where the model picks epochs by one) and `epochs` rows
 * numbered 1.. with finite losses. */
void task_check_metrics(const char *path, size_t epochs);

/* The checkpoint, its metrics log with `epochs` rows and its loss plot. */
void task_check_files(const char *model, size_t epochs);

/* A checkpoint's __metadata__ value of key into buf ("" when absent). */
const char *task_meta_of(const char *model, const char *key, char *buf,
                         size_t size);

#endif
