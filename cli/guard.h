/*
 * guard.h — what guards a training run (`recur train`, every task):
 *
 *   A lock beside the checkpoint, PATH.lock, made exclusively (O_EXCL)
 *   when the run starts and removed when it ends, done or failed, so that
 *   a second run given the same --save is refused before it writes
 *   anything. It is a text file of three lines:
 *       pid 1234
 *       host build-7
 *       started 2026-12-07 21:40:03 +0100
 *   A lock whose process is gone (same host, kill(pid, 0) fails with
 *   ESRCH; a process killed by a signal leaves its lock) is stale: the
 *   next run takes it over and says so. One on
 *   another host cannot be checked and is obeyed; the refusal says which
 *   file to delete when that run is gone.
 *
 * The CLI holds at most one guard at a time (one training per process).
 */
#ifndef RECUR_CLI_GUARD_H
#define RECUR_CLI_GUARD_H

/* Takes the lock of checkpoint `save` (refusing, with one message on
 * stderr naming the holder and the lock file, when another live run holds
 * it). EXIT_OK, or EXIT_FAILURE_DATA after the message (nothing
 * written). */
int guard_begin(const char *cmd, const char *save);

/* Removes the lock (when it is still this process's). Safe to call
 * again, or without guard_begin. */
void guard_end(void);

#endif
