/*
 * guard.h — what guards a training run (`recur train`, every task):
 *
 *   A lock beside the checkpoint, PATH.lock, made exclusively (O_EXCL)
 *   when the run starts and removed when it ends (done, failed, or stopped
 *   by one signal or two, below), so that a second run given the same
 *   --save is refused before it writes anything. It is a text file of
 *   three lines:
 *       pid 1234
 *       host build-7
 *       started 2026-12-07 21:40:03 +0100
 *   A lock whose process is gone (same host, kill(pid, 0) fails with
 *   ESRCH, as after kill -9) is stale: the next run takes it over and says
 *   so. One on another host cannot be checked and is obeyed; the refusal
 *   says which file to delete when that run is gone.
 *
 *   A stop on SIGINT or SIGTERM: the handler only records the signal
 *   (async-signal-safe); the training loop's callback reads guard_signal()
 *   and stops at the next step boundary, the run saves as at a normal end
 *   and exits with 128 + the signal's number (130, 143). A second signal
 *   ends the process at once, removing the lock: a save in progress then
 *   leaves the previous file in place (saves are atomic, file.h), and its
 *   temporary file is removed by the next run.
 *
 * The CLI holds at most one guard at a time (one training per process).
 */
#ifndef RECUR_CLI_GUARD_H
#define RECUR_CLI_GUARD_H

/* Takes the lock of checkpoint `save` (refusing, with one message on
 * stderr naming the holder and the lock file, when another live run holds
 * it) and installs the SIGINT and SIGTERM handlers. EXIT_OK, or
 * EXIT_FAILURE_DATA after the message (nothing written). */
int guard_begin(const char *cmd, const char *save);

/* 0, or the first of SIGINT / SIGTERM caught since guard_begin. */
int guard_signal(void);

/* "SIGINT", "SIGTERM" (static storage). */
const char *guard_signal_name(int sig);

/* Removes the lock (when it is still this process's) and restores the
 * signals' default handling. Safe to call again, or without guard_begin. */
void guard_end(void);

#endif
