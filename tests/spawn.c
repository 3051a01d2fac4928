/* spawn.c — running the `recur` binary from the tests; see spawn.h. */
#include "spawn.h"
#include "test.h"
#include "base/clock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ------------------------------------------------------------------------ */
/* Files and directories                                                     */

char *spawn_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap + 1);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n < cap)
            continue;
        char *bigger = realloc(buf, 2 * cap + 1);
        if (!bigger)
            free(buf);
        buf = bigger;
        cap *= 2;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    if (size)
        *size = n;
    return buf;
}

int spawn_write_file(const char *path, const void *bytes, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    int ok = fwrite(bytes, 1, size, f) == size;
    return fclose(f) == 0 && ok;
}

int spawn_exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

int spawn_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

void spawn_remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        char child[1024];
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            spawn_remove_tree(child);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

int spawn_scratch_open(const char *prefix, char *dir, size_t dir_size,
                       char *capture, size_t capture_size)
{
    snprintf(dir, dir_size, "/tmp/%s-XXXXXX", prefix);
    int ok = mkdtemp(dir) != NULL;
    snprintf(capture, capture_size, "%s/cap", dir);
    ok = ok && mkdir(capture, 0700) == 0;
    CHECK(ok, "cannot create the scratch directory %s", dir);
    return ok;
}

/* ------------------------------------------------------------------------ */
/* Running the binary                                                        */

void spawn_args_add(spawn_args *a, ...)
{
    const size_t max = sizeof a->v / sizeof *a->v;
    va_list ap;
    va_start(ap, a);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;) {
        CHECK(a->n + 1 < max, "too many arguments");
        if (a->n + 1 < max)
            a->v[a->n++] = s;
    }
    a->v[a->n] = NULL;
    va_end(ap);
}

const char *spawn_recur_bin(void)
{
    const char *bin = getenv("RECUR_BIN");
    return bin && *bin ? bin : "build/recur";
}

void spawn_result_free(spawn_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

static double timeout_seconds(void)
{
    const char *t = getenv("RECUR_TEST_TIMEOUT");
    double v = t && *t ? strtod(t, NULL) : 0;
    return v > 0 ? v : 300;
}

/* Waits for pid, killing it after the timeout. 1 when it was reaped. */
static int wait_for(pid_t pid, int *wstatus, int *timed_out)
{
    double deadline = clock_seconds() + timeout_seconds();
    long nap_ns = 200000; /* 0.2 ms, doubling to 10 ms */
    *timed_out = 0;
    for (;;) {
        pid_t got = waitpid(pid, wstatus, WNOHANG);
        if (got == pid)
            return 1;
        if (got < 0 && errno != EINTR)
            return 0;
        if (!*timed_out && clock_seconds() > deadline) {
            *timed_out = 1;
            kill(pid, SIGKILL);
            return waitpid(pid, wstatus, 0) == pid;
        }
        struct timespec nap = {0, nap_ns};
        nanosleep(&nap, NULL);
        if (nap_ns < 10000000)
            nap_ns *= 2;
    }
}

spawn_result spawn_recur(const char *capture_dir, const char *const *args)
{
    return spawn_recur_in(NULL, capture_dir, args);
}

spawn_result spawn_recur_in(const char *dir, const char *capture_dir,
                            const char *const *args)
{
    spawn_result r = {-1, NULL, NULL};
    const char *bin = spawn_recur_bin();
    char abs_bin[4096], cwd[3072];
    /* A relative $RECUR_BIN names the binary from here, not from dir. */
    if (dir && bin[0] != '/') {
        int ok = getcwd(cwd, sizeof cwd) != NULL;
        CHECK(ok, "cannot resolve %s: getcwd: %s", bin, strerror(errno));
        if (ok) {
            snprintf(abs_bin, sizeof abs_bin, "%s/%s", cwd, bin);
            bin = abs_bin;
        }
    }
    enum { MAX_ARGS = 64 };
    char out_path[512], err_path[512], line[1024] = "recur";
    const char *argv[MAX_ARGS] = {bin};
    size_t argc = 1;
    for (; args[argc - 1] && argc < MAX_ARGS - 1; argc++) {
        argv[argc] = args[argc - 1];
        snprintf(line + strlen(line), sizeof line - strlen(line), " %s",
                 args[argc - 1]);
    }
    argv[argc] = NULL;
    CHECK(!args[argc - 1], "%s: more than %d arguments", line, MAX_ARGS - 2);
    snprintf(out_path, sizeof out_path, "%s/stdout.txt", capture_dir);
    snprintf(err_path, sizeof err_path, "%s/stderr.txt", capture_dir);

    if (access(bin, X_OK) != 0) {
        CHECK(0, "%s: binary %s is missing (set RECUR_BIN)", line, bin);
    } else {
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int rc, wstatus = 0, timed_out = 0;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, out_path,
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&fa, 2, err_path,
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
        /* posix_spawn has no portable chdir action: the child inherits
         * this process's directory, changed around the call (the tests run
         * in one thread). */
        int here = dir ? open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (dir && (here < 0 || chdir(dir) != 0)) {
            rc = errno;
        } else {
            rc = posix_spawn(&pid, bin, &fa, NULL, (char *const *)argv, environ);
            CHECK(!dir || fchdir(here) == 0, "cannot return from %s: %s", dir,
                  strerror(errno));
        }
        if (here >= 0)
            close(here);
        posix_spawn_file_actions_destroy(&fa);
        CHECK(rc == 0, "%s: cannot start%s%s: %s", line, dir ? " in " : "",
              dir ? dir : "", strerror(rc));
        if (rc == 0 && wait_for(pid, &wstatus, &timed_out)) {
            if (WIFEXITED(wstatus) && !timed_out)
                r.status = WEXITSTATUS(wstatus);
            CHECK(!timed_out, "%s: still running after %g s; killed", line,
                  timeout_seconds());
            CHECK(timed_out || WIFEXITED(wstatus), "%s: killed by signal %d",
                  line, WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
        }
    }
    r.out = spawn_read_file(out_path, NULL);
    r.err = spawn_read_file(err_path, NULL);
    unlink(out_path);
    unlink(err_path);
    if (!r.out)
        r.out = calloc(1, 1);
    if (!r.err)
        r.err = calloc(1, 1);
    if (!r.out || !r.err) {
        spawn_result_free(&r);
        r.status = -1;
    }
    CHECK(!r.err || (!strstr(r.err, "Sanitizer") && !strstr(r.err, "runtime error")),
          "%s: sanitizer report:\n%s", line, r.err);
    return r;
}

int spawn_expect(const char *capture_dir, const char *what,
                 const char *const *args, int want, const char *needle,
                 const char *stream_name)
{
    spawn_result r = spawn_recur(capture_dir, args);
    if (!r.err)
        return -1;
    const char *text = strcmp(stream_name, "stdout") == 0 ? r.out : r.err;
    CHECK(r.status == want, "%s: exit status %d, expected %d; stderr: %s",
          what, r.status, want, r.err);
    if (needle)
        CHECK(strstr(text, needle) != NULL, "%s: %s does not mention '%s': %s",
              what, stream_name, needle, text);
    int status = r.status;
    spawn_result_free(&r);
    return status;
}
