/*
 * spawn.h — the CLI tests' way of running the `recur` binary as a user
 * does ($RECUR_BIN, default build/recur), stdout and stderr captured, and
 * the file helpers they share. Every run is one CHECK that it started, and
 * one that it exited by itself: not killed by a signal, not stopped by the
 * timeout ($RECUR_TEST_TIMEOUT seconds, default 300), and with no sanitizer
 * report on stderr (a sanitizer exits 1 too, and must never pass for a
 * refusal).
 */
#ifndef RECUR_TEST_SPAWN_H
#define RECUR_TEST_SPAWN_H

#include <stddef.h>

typedef struct {
    int status; /* exit status; -1 when it could not run or was killed */
    char *out;  /* what it printed on stdout, NUL-terminated */
    char *err;  /* ... on stderr; both NULL only when out of memory */
} spawn_result;

/* The arguments of a run, built up by spawn_args_add. */
typedef struct {
    const char *v[64];
    size_t n;
} spawn_args;

/* Appends the strings up to a NULL (one failed CHECK when they overflow);
 * a->v stays NULL-terminated. */
void spawn_args_add(spawn_args *a, ...);

/* Creates a fresh directory /tmp/PREFIX-XXXXXX into dir and its
 * subdirectory "cap" for the captures into capture (so that captures
 * never count among the files a run leaves). 1 when done; else one failed
 * CHECK. Remove it with spawn_remove_tree. */
int spawn_scratch_open(const char *prefix, char *dir, size_t dir_size,
                       char *capture, size_t capture_size);

/* $RECUR_BIN, or build/recur. */
const char *spawn_recur_bin(void);

/* Runs `recur args...` (args NULL-terminated, at most 62), stdin from
 * /dev/null, capturing into capture_dir/stdout.txt and stderr.txt (removed
 * again). */
spawn_result spawn_recur(const char *capture_dir, const char *const *args);
/* The same with dir as the working directory (NULL: this one), for what
 * a run writes where it is started; a relative $RECUR_BIN is resolved from
 * here first. capture_dir and relative paths among args: as seen from dir. */
spawn_result spawn_recur_in(const char *dir, const char *capture_dir,
                            const char *const *args);
void spawn_result_free(spawn_result *r);

/* Runs the command and checks its exit status and that the stream named
 * stream_name ("stdout" or "stderr") contains needle (when not NULL).
 * Returns the status, -1 when it could not run. */
int spawn_expect(const char *capture_dir, const char *what,
                 const char *const *args, int want, const char *needle,
                 const char *stream_name);

/* The whole file, NUL-terminated (*size bytes before the NUL; size may be
 * NULL); NULL when it cannot be read. */
char *spawn_read_file(const char *path, size_t *size);
/* 1 when the file was written whole. */
int spawn_write_file(const char *path, const void *bytes, size_t size);
int spawn_exists(const char *path);
/* Entries of a directory other than . and ..; -1 when it cannot be read. */
int spawn_count_entries(const char *dir);
/* Removes a file, or a directory and everything in it. */
void spawn_remove_tree(const char *path);

#endif
