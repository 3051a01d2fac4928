/*
 * guard.c — the run's lock and its stop on SIGINT / SIGTERM (guard.h).
 */
#include "guard.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* The first signal caught; the lock's path and whether this process holds
 * it, read by the handler (so no allocation there). */
static volatile sig_atomic_t caught, held;
static char lock_path[4096];
static int installed, registered;
static struct sigaction old_int, old_term;

static void on_signal(int sig)
{
    if (!caught) {
        caught = sig;
        return;
    }
    /* The second: end now, as the default would, without leaving the lock.
     * unlink, signal and raise are async-signal-safe; the raised signal is
     * delivered when this handler returns. */
    if (held)
        unlink(lock_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

int guard_signal(void)
{
    return caught;
}

const char *guard_signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

/* ---- the lock ---- */

typedef struct {
    long pid;            /* 0 when the file does not say */
    char host[256];
    char started[64];
} holder;

static void this_host(char *host, size_t size)
{
    if (gethostname(host, size) != 0)
        snprintf(host, size, "unknown");
    host[size - 1] = '\0';
}

/* What the lock file says; 0 when it cannot be read (ENOENT: it went). */
static int read_holder(const char *path, holder *h)
{
    memset(h, 0, sizeof *h);
    /* Only a regular file is read, and only its first lines: a FIFO or a
     * link to a device planted as the lock must not hang the run (it reads
     * as a lock that names no holder, which is refused). */
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return 0;
    struct stat sb;
    FILE *f = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ? fdopen(fd, "r")
                                                          : NULL;
    if (!f) {
        close(fd);
        return 1;
    }
    char line[512];
    for (int n = 0; n < 8 && fgets(line, sizeof line, f); n++) {
        line[strcspn(line, "\n")] = '\0';
        if (!strncmp(line, "pid ", 4))
            h->pid = strtol(line + 4, NULL, 10);
        else if (!strncmp(line, "host ", 5))
            snprintf(h->host, sizeof h->host, "%.255s", line + 5);
        else if (!strncmp(line, "started ", 8))
            snprintf(h->started, sizeof h->started, "%.63s", line + 8);
    }
    fclose(f);
    return 1;
}

/* The holder's process is gone: on this host and no such process (or this
 * process's own pid, which no other run can have). */
static int stale(const holder *h)
{
    char host[256];
    this_host(host, sizeof host);
    if (h->pid <= 0 || h->pid > INT_MAX || strcmp(h->host, host) != 0)
        return 0;
    if (h->pid == (long)getpid())
        return 1;
    return kill((pid_t)h->pid, 0) != 0 && errno == ESRCH;
}

/* Writes this process's three lines into the fresh lock file fd. */
static int write_holder(int fd)
{
    char host[256], started[64], text[512];
    this_host(host, sizeof host);
    time_t now = time(NULL);
    struct tm tm;
    if (!localtime_r(&now, &tm) ||
        !strftime(started, sizeof started, "%Y-%m-%d %H:%M:%S %z", &tm))
        snprintf(started, sizeof started, "unknown");
    int n = snprintf(text, sizeof text, "pid %ld\nhost %s\nstarted %s\n",
                     (long)getpid(), host, started);
    for (int done = 0; done < n;) {
        ssize_t w = write(fd, text + done, (size_t)(n - done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (int)w;
    }
    return 0;
}

static void refuse(const char *cmd, const char *save, const holder *h)
{
    if (h->pid > 0)
        cli_error(cmd, "%s is being written by pid %ld on host %s since %s; "
                  "if that run is gone, delete %s", save, h->pid,
                  h->host[0] ? h->host : "(unknown)",
                  h->started[0] ? h->started : "(unknown)", lock_path);
    else
        cli_error(cmd, "%s is being written by another run (its lock %s does "
                  "not say which); if that run is gone, delete %s", save,
                  lock_path, lock_path);
}

/* Makes the lock, taking a stale one over; EXIT_OK or EXIT_FAILURE_DATA
 * after a message. */
static int take_lock(const char *cmd, const char *save)
{
    holder gone = {0};
    int took_over = 0;
    /* A few tries: a stale lock is removed and made again, and a holder
     * may remove its lock between our open and our read. */
    for (int attempt = 0; attempt < 4; attempt++) {
        int fd = open(lock_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd >= 0) {
            int bad = write_holder(fd) != 0;
            if (close(fd) != 0)
                bad = 1;
            if (bad) {
                int e = errno;
                unlink(lock_path);
                cli_error(cmd, "cannot write the lock %s: %s", lock_path,
                          strerror(e));
                return EXIT_FAILURE_DATA;
            }
            held = 1;
            if (took_over)
                fprintf(stderr, "recur %s: took over the stale lock %s: its "
                        "run (pid %ld on this host, since %s) is gone\n", cmd,
                        lock_path, gone.pid,
                        gone.started[0] ? gone.started : "(unknown)");
            return EXIT_OK;
        }
        if (errno != EEXIST) {
            cli_error(cmd, "cannot create the lock %s beside the checkpoint: "
                      "%s", lock_path, strerror(errno));
            return EXIT_FAILURE_DATA;
        }
        holder h;
        if (!read_holder(lock_path, &h)) {
            if (errno == ENOENT)
                continue; /* its run just ended */
            cli_error(cmd, "cannot read the lock %s: %s", lock_path,
                      strerror(errno));
            return EXIT_FAILURE_DATA;
        }
        if (took_over || !stale(&h)) {
            refuse(cmd, save, &h);
            return EXIT_FAILURE_DATA;
        }
        if (unlink(lock_path) != 0 && errno != ENOENT) {
            cli_error(cmd, "cannot remove the stale lock %s: %s", lock_path,
                      strerror(errno));
            return EXIT_FAILURE_DATA;
        }
        gone = h;
        took_over = 1;
    }
    cli_error(cmd, "cannot take the lock %s: it keeps coming and going",
              lock_path);
    return EXIT_FAILURE_DATA;
}

int guard_begin(const char *cmd, const char *save)
{
    if (held || installed) {
        cli_error(cmd, "one training per process");
        return EXIT_FAILURE_DATA;
    }
    if ((size_t)snprintf(lock_path, sizeof lock_path, "%s.lock", save) >=
        sizeof lock_path) {
        cli_error(cmd, "--save %s: the path is too long", save);
        return EXIT_FAILURE_DATA;
    }
    int rc = take_lock(cmd, save);
    if (rc)
        return rc;
    if (!registered && atexit(guard_end) == 0)
        registered = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* a read or write in progress goes on */
    caught = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    installed = 1;
    return EXIT_OK;
}

void guard_end(void)
{
    if (held) {
        /* Only our own: a lock someone deleted and another run made since
         * is that run's. */
        holder h;
        char host[256];
        this_host(host, sizeof host);
        held = 0;
        if (read_holder(lock_path, &h) && h.pid == (long)getpid() &&
            !strcmp(h.host, host))
            unlink(lock_path);
    }
    if (installed) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        installed = 0;
    }
}
