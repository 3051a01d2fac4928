/*
 * test_signals.c — what guards a training run (cli/guard.h), through
 * the `recur` binary ($RECUR_BIN) started as a child that the test signals
 * while it trains (tiny models on data written here, --epochs or --steps
 * unbounded so that only the signal ends the run):
 *   - SIGINT mid-run, every task (charlm, wordlm, classify, forecast,
 *     music): exit status 130, one "interrupted by SIGINT" line, the
 *     checkpoint written and usable (eval or predict on it succeeds), the
 *     metrics log ending in a whole line, no lock left, nothing on stdout
 *     for the supervised tasks (the test part is not scored); for the
 *     language models the line says --resume, and --resume from the
 *     checkpoint (at whatever step k the signal caught) to step k + 5 gives
 *     the tensors of an uninterrupted run to k + 5, bit for bit;
 *   - SIGTERM: exit status 143 (charlm, classify);
 *   - two signals in a row: no lock left, and a checkpoint, when there is
 *     one, that reads whole;
 *   - the lock: a second run given the same --save (a language model's, a
 *     classifier's) is refused with exit status 1 naming the lock and the
 *     first run's pid, and the first run's log is not touched; a stale lock
 *     (the pid of a process that has exited, this host) is taken over with
 *     a notice; a lock of another host is obeyed and left in place; a run
 *     that fails after taking the lock removes it;
 *   - a supervised run without --save writes TASK.safetensors (with its log
 *     and plot) in its working directory, names it in its last line and
 *     leaves no lock.
 */
#include "io/safetensors.h"
#include "scratch.h"
#include "spawn.h"
#include "test.h"
#include "base/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define END ((const char *)NULL)

/* The tiny language model of every run here; --epochs 0: no limit. */
#define LM_TINY "--hidden", "16", "--layers", "1", "--embed", "8", "--batch", \
                "4", "--seq-len", "8", "--threads", "1", "--epochs", "0"
/* ... and the supervised tasks'. */
#define SEQ_TINY "--hidden", "8", "--threads", "1", "--quiet"

/* ------------------------------------------------------------------------ */
/* A run in the background                                                   */

typedef struct {
    const char *what;
    pid_t pid;
    int done, wstatus;
    char out_path[400], err_path[400];
} child;

/* Starts `recur args...` (NULL-terminated) with stdout and stderr into
 * capture/TAG.out and .err. 1 when it started. */
static int child_start(child *c, const char *what, const char *tag,
                       const char *const *args)
{
    memset(c, 0, sizeof *c);
    c->what = what;
    snprintf(c->out_path, sizeof c->out_path, "%s/%s.out", capture, tag);
    snprintf(c->err_path, sizeof c->err_path, "%s/%s.err", capture, tag);
    const char *argv[64] = {spawn_recur_bin()};
    size_t n = 1;
    for (; args[n - 1] && n < 63; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, c->out_path,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, c->err_path,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int rc = posix_spawn(&c->pid, argv[0], &fa, NULL, (char *const *)argv,
                         environ);
    posix_spawn_file_actions_destroy(&fa);
    CHECK(rc == 0, "%s: cannot start %s: %s", what, argv[0], strerror(rc));
    return rc == 0;
}

/* Has it ended? (reaps it once) */
static int child_ended(child *c)
{
    if (!c->done && waitpid(c->pid, &c->wstatus, WNOHANG) == c->pid)
        c->done = 1;
    return c->done;
}

static void nap_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Lines in a file (0 when missing). */
static size_t lines_in(const char *path)
{
    size_t n = 0;
    char *text = spawn_read_file(path, NULL);
    for (const char *p = text; p && *p; p++)
        n += *p == '\n';
    free(text);
    return n;
}

/* Waits until path has at least `lines` lines while c runs; 1 then, 0
 * (one failed CHECK) when c ended first or 60 s went by. */
static int wait_lines(child *c, const char *path, size_t lines)
{
    double deadline = clock_seconds() + 60;
    while (lines_in(path) < lines) {
        if (child_ended(c) || clock_seconds() > deadline) {
            CHECK(0, "%s: %s did not reach %zu lines (the run %s)", c->what,
                  path, lines, c->done ? "ended" : "is still running");
            return 0;
        }
        nap_ms(1);
    }
    return 1;
}

/* Waits for the end (killing it after 60 s). Returns its exit status, or
 * -1 when a signal killed it (*sig gets which, when sig is not NULL).
 * stderr and stdout, read into err and out when not NULL (caller frees),
 * must hold no sanitizer report. */
static int child_wait(child *c, int *sig, char **out, char **err)
{
    double deadline = clock_seconds() + 60;
    while (!child_ended(c) && clock_seconds() < deadline)
        nap_ms(2);
    if (!c->done) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, &c->wstatus, 0);
        c->done = 1;
        CHECK(0, "%s: still running after 60 s; killed", c->what);
    }
    char *e = spawn_read_file(c->err_path, NULL);
    CHECK(e && !strstr(e, "Sanitizer") && !strstr(e, "runtime error"),
          "%s: sanitizer report:\n%s", c->what, e ? e : "(no stderr)");
    if (err)
        *err = e ? e : calloc(1, 1);
    else
        free(e);
    if (out) {
        *out = spawn_read_file(c->out_path, NULL);
        if (!*out)
            *out = calloc(1, 1);
    }
    if (sig)
        *sig = WIFSIGNALED(c->wstatus) ? WTERMSIG(c->wstatus) : 0;
    return WIFEXITED(c->wstatus) ? WEXITSTATUS(c->wstatus) : -1;
}

/* ------------------------------------------------------------------------ */
/* Data and files                                                            */

/* Lines of eight words of a small vocabulary (deterministic): text for
 * charlm and wordlm alike. */
static int write_words(const char *path, int lines)
{
    static const char *const words[] = {"the", "river", "runs", "past", "old",
                                        "stones", "and", "light", "falls",
                                        "on", "water", "while", "bells",
                                        "ring", "over", "town"};
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    uint64_t x = 7;
    for (int i = 0; i < lines; i++)
        for (int w = 0; w < 8; w++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            fprintf(f, "%s%s", words[(x >> 33) % 16], w < 7 ? " " : "\n");
        }
    return fclose(f) == 0;
}

/* Labelled lines: class 1 has "good" in it. */
static int write_reviews(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    for (int i = 0; i < 80; i++)
        fprintf(f, "%d\tthe film was %s and %s\n", i % 2,
                i % 2 ? "good" : "bad", i % 3 ? "long" : "short");
    return fclose(f) == 0;
}

/* A trend and a season of 12 steps. */
static int write_series(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fputs("date,load\n", f);
    for (int i = 0; i < 120; i++)
        fprintf(f, "2020-%03d,%.3f\n", i, 10 + 0.05 * i + (double)(i % 12) / 4);
    return fclose(f) == 0;
}

/* DIR/train.txt, valid.txt, test.txt: piano rolls of a chord pattern. */
static int write_rolls(const char *dir)
{
    static const char *const chords[4] = {"60,64,67", "62,65,69", "64,67,71", "-"};
    if (mkdir(dir, 0700) != 0)
        return 0;
    static const char *const names[3] = {"train.txt", "valid.txt", "test.txt"};
    for (int k = 0; k < 3; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        FILE *f = fopen(path, "wb");
        if (!f)
            return 0;
        for (int piece = 0; piece < 4; piece++)
            for (int t = 0; t < 12 + piece; t++)
                fprintf(f, "%s%s", chords[(piece + t) % 4], t < 11 + piece ? " " : "\n");
        if (fclose(f) != 0)
            return 0;
    }
    return 1;
}

/* "m.safetensors" -> "m" + suffix (the CLI's names beside a checkpoint). */
static const char *beside(char *buf, size_t size, const char *model,
                          const char *suffix)
{
    size_t n = strlen(model), e = strlen(".safetensors");
    if (n > e && !strcmp(model + n - e, ".safetensors"))
        n -= e;
    snprintf(buf, size, "%.*s%s", (int)n, model, suffix);
    return buf;
}

static const char *lock_of(char *buf, size_t size, const char *model)
{
    snprintf(buf, size, "%s.lock", model);
    return buf;
}

/* train.step of a checkpoint; 0 when it cannot be read. */
static unsigned long long step_of(const char *path)
{
    st_file *st = NULL;
    unsigned long long step = 0;
    if (st_read(path, &st) == RECUR_OK) {
        const char *v = st_meta(st, "train.step");
        step = v ? strtoull(v, NULL, 10) : 0;
    }
    st_free(st);
    return step;
}

/* Every tensor of a is in b with the same dtype, shape and bytes, and the
 * counts are equal. */
static int same_tensors(const char *what, const char *a_path, const char *b_path)
{
    st_file *a = NULL, *b = NULL;
    int ok = st_read(a_path, &a) == RECUR_OK && st_read(b_path, &b) == RECUR_OK;
    CHECK(ok, "%s: cannot read %s or %s", what, a_path, b_path);
    ok = ok && st_count(a) == st_count(b);
    for (size_t i = 0; ok && i < st_count(a); i++) {
        const st_tensor *ta = st_at(a, i), *tb = st_find(b, ta->name);
        int same = tb && ta->dtype == tb->dtype && ta->nbytes == tb->nbytes &&
                   !memcmp(ta->data, tb->data, ta->nbytes);
        CHECK(same, "%s: tensor '%s' differs between %s and %s", what,
              ta->name, a_path, b_path);
        ok = same;
    }
    st_free(a);
    st_free(b);
    return ok;
}

/* Runs `recur args...` to completion; its exit status. */
static int run_status(const char *what, const char *const *args, int want)
{
    spawn_result r = spawn_recur(capture, args);
    CHECK(r.status == want, "%s: exit status %d, expected %d; stderr: %s",
          what, r.status, want, r.err ? r.err : "");
    int status = r.status;
    spawn_result_free(&r);
    return status;
}

/* ------------------------------------------------------------------------ */
/* SIGINT and SIGTERM                                                        */

static const char *signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : "SIGTERM";
}

/* What every interrupted run must show: exit status 128 + sig, the line,
 * the checkpoint, a log ending in a whole line, no lock. Returns 1 when
 * it exited so. */
static int check_interrupted(child *c, int sig, const char *model,
                             const char *hint, char **out)
{
    char *err = NULL, want[64], path[450];
    int got_sig = 0, status = child_wait(c, &got_sig, out, &err);
    snprintf(want, sizeof want, "interrupted by %s", signal_name(sig));
    CHECK(status == 128 + sig, "%s: exit status %d (signal %d), expected %d; "
          "stderr: %s", c->what, status, got_sig, 128 + sig, err);
    CHECK(strstr(err, want) && strstr(err, model) && strstr(err, hint),
          "%s: stderr does not say '%s', %s and '%s': %s", c->what, want,
          model, hint, err);
    free(err);
    CHECK(spawn_exists(model), "%s: no checkpoint %s", c->what, model);
    CHECK(!spawn_exists(lock_of(path, sizeof path, model)), "%s: the lock %s "
          "is left", c->what, path);
    size_t size = 0;
    char *log = spawn_read_file(beside(path, sizeof path, model, ".metrics.csv"),
                                &size);
    CHECK(log && size > 0 && log[size - 1] == '\n' && lines_in(path) >= 2,
          "%s: the log %s is missing, empty or cut in a line", c->what, path);
    free(log);
    return status == 128 + sig;
}

/* A language model trained until sig; with resume, --resume from the
 * checkpoint to k + 5 equals a run straight to k + 5. */
static void lm_interrupt(const char *task, const char *text, int sig, int resume)
{
    char model[400], csv[450], what[64], tag[64];
    snprintf(tag, sizeof tag, "%s-%s", task, signal_name(sig));
    snprintf(what, sizeof what, "train --task %s, %s", task, signal_name(sig));
    char name[128];
    snprintf(name, sizeof name, "%s.safetensors", tag);
    in_scratch(model, sizeof model, name);
    beside(csv, sizeof csv, model, ".metrics.csv");
    const char *args[] = {"train", "--task", task, "--data", text, LM_TINY,
                          "--save", model, END};
    child c;
    if (!child_start(&c, what, tag, args))
        return;
    /* The header and three steps: well inside the first epoch. */
    if (wait_lines(&c, csv, 4))
        kill(c.pid, sig);
    else
        kill(c.pid, SIGKILL);
    if (!check_interrupted(&c, sig, model, "--resume", NULL))
        return;
    unsigned long long k = step_of(model);
    CHECK(k >= 3, "%s: the checkpoint is at step %llu", what, k);
    const char *eval[] = {"eval", "--model", model, "--data", text, "--threads",
                          "1", END};
    run_status("eval of the interrupted checkpoint", eval, 0);
    if (!resume || k < 3)
        return;
    char steps[32], ref[400], resumed[400];
    snprintf(steps, sizeof steps, "%llu", k + 5);
    snprintf(name, sizeof name, "%s-ref.safetensors", tag);
    in_scratch(ref, sizeof ref, name);
    snprintf(name, sizeof name, "%s-resumed.safetensors", tag);
    in_scratch(resumed, sizeof resumed, name);
    const char *straight[] = {"train", "--task", task, "--data", text, LM_TINY,
                              "--steps", steps, "--save", ref, END};
    const char *cont[] = {"train", "--resume", model, "--data", text,
                          "--threads", "1", "--steps", steps, "--save", resumed,
                          END};
    if (run_status("the uninterrupted run", straight, 0) ||
        run_status("--resume from the interrupted checkpoint", cont, 0))
        return;
    CHECK(step_of(resumed) == k + 5 && step_of(ref) == k + 5,
          "%s: resumed to step %llu, straight to %llu, expected %llu", what,
          step_of(resumed), step_of(ref), k + 5);
    same_tensors("resumed after the signal against straight", resumed, ref);
}

/* A supervised task trained until sig: the best model so far is saved and
 * usable (use: the command and its arguments after --model PATH), the
 * test part not scored. */
static void task_interrupt(const char *task, const char *const *data, int sig,
                           const char *const *use)
{
    char model[400], csv[450], what[64], tag[64], name[128];
    snprintf(tag, sizeof tag, "%s-%s", task, signal_name(sig));
    snprintf(what, sizeof what, "train --task %s, %s", task, signal_name(sig));
    snprintf(name, sizeof name, "%s.safetensors", tag);
    in_scratch(model, sizeof model, name);
    beside(csv, sizeof csv, model, ".metrics.csv");
    spawn_args a = {{NULL}, 0};
    spawn_args_add(&a, "train", "--task", task, SEQ_TINY, "--epochs", "1000000",
                   "--patience", "0", "--save", model, END);
    for (; *data; data++)
        spawn_args_add(&a, *data, END);
    child c;
    if (!child_start(&c, what, tag, a.v))
        return;
    /* The header and one epoch's row. */
    if (wait_lines(&c, csv, 2))
        kill(c.pid, sig);
    else
        kill(c.pid, SIGKILL);
    char *out = NULL;
    if (check_interrupted(&c, sig, model, "no --resume", &out))
        CHECK(out[0] == '\0', "%s: scored the test part after the signal: %s",
              what, out);
    free(out);
    spawn_args u = {{NULL}, 0};
    spawn_args_add(&u, use[0], "--model", model, END);
    for (use++; *use; use++)
        spawn_args_add(&u, *use, END);
    run_status("the interrupted run's model", u.v, 0);
}

void test_cli_signals_lm(void)
{
    char text[400];
    if (!scratch_open("recur-signals"))
        return;
    if (write_words(in_scratch(text, sizeof text, "text.txt"), 250)) {
        lm_interrupt("charlm", text, SIGINT, 1);
        lm_interrupt("wordlm", text, SIGINT, 1);
        lm_interrupt("charlm", text, SIGTERM, 0);
    }
    scratch_close();
}

void test_cli_signals_tasks(void)
{
    char tsv[400], csv[400], dir[400], test[450];
    if (!scratch_open("recur-signals"))
        return;
    int ok = write_reviews(in_scratch(tsv, sizeof tsv, "r.tsv")) &&
             write_series(in_scratch(csv, sizeof csv, "s.csv")) &&
             write_rolls(in_scratch(dir, sizeof dir, "rolls"));
    CHECK(ok, "cannot write the data into %s", scratch);
    snprintf(test, sizeof test, "%s/test.txt", dir);
    if (ok) {
        const char *cls[] = {"--data", tsv, END};
        const char *cls_use[] = {"eval", "--data", tsv, "--threads", "1", END};
        task_interrupt("classify", cls, SIGINT, cls_use);
        task_interrupt("classify", cls, SIGTERM, cls_use);
        const char *fc[] = {"--data", csv, "--lookback", "6", END};
        const char *fc_use[] = {"predict", "--data", csv, END};
        task_interrupt("forecast", fc, SIGINT, fc_use);
        const char *mus[] = {"--data", dir, END};
        const char *mus_use[] = {"eval", "--data", test, END};
        task_interrupt("music", mus, SIGINT, mus_use);
    }
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* Two signals                                                               */

/* A second SIGINT ends the run at once: whatever moment it hits, the lock
 * goes and the checkpoint, when there is one, reads whole. */
static void double_signal(const char *text)
{
    char model[400], csv[450], lock[450];
    in_scratch(model, sizeof model, "twice.safetensors");
    beside(csv, sizeof csv, model, ".metrics.csv");
    const char *args[] = {"train", "--data", text, LM_TINY, "--save-every",
                          "1", "--save", model, END};
    child c;
    if (!child_start(&c, "train, two SIGINTs", "twice", args))
        return;
    if (wait_lines(&c, csv, 4)) {
        kill(c.pid, SIGINT);
        nap_ms(1);
        kill(c.pid, SIGINT);
    } else {
        kill(c.pid, SIGKILL);
    }
    int sig = 0, status = child_wait(&c, &sig, NULL, NULL);
    CHECK(status == 130 || sig == SIGINT, "train, two SIGINTs: exit status "
          "%d, signal %d", status, sig);
    CHECK(!spawn_exists(lock_of(lock, sizeof lock, model)),
          "train, two SIGINTs: the lock %s is left", lock);
    st_file *st = NULL;
    CHECK(!spawn_exists(model) || st_read(model, &st) == RECUR_OK,
          "train, two SIGINTs: %s does not read: %s", model, recur_last_error());
    st_free(st);
}

/* ------------------------------------------------------------------------ */
/* The lock                                                                  */

/* A second run on a running one's --save: refused, naming the lock and the
 * holder's pid, the first run's log untouched. */
static void concurrent(const char *text, const char *tsv)
{
    char model[400], csv[450], lock[450], pid[32];
    in_scratch(model, sizeof model, "busy.safetensors");
    beside(csv, sizeof csv, model, ".metrics.csv");
    lock_of(lock, sizeof lock, model);
    const char *first[] = {"train", "--data", text, LM_TINY, "--save", model,
                           END};
    child c;
    if (!child_start(&c, "the first run", "first", first))
        return;
    if (!wait_lines(&c, csv, 4)) {
        kill(c.pid, SIGKILL);
        child_wait(&c, NULL, NULL, NULL);
        return;
    }
    snprintf(pid, sizeof pid, "pid %ld", (long)c.pid);
    size_t before = 0;
    char *log = spawn_read_file(csv, &before);
    /* Bounded, should they run. */
    const char *second_lm[] = {"train", "--data", text, LM_TINY, "--steps",
                               "3", "--save", model, END};
    const char *second_cls[] = {"train", "--task", "classify", "--data", tsv,
                                SEQ_TINY, "--epochs", "1", "--save", model, END};
    const char *const *second[2] = {second_lm, second_cls};
    for (int i = 0; i < 2; i++) {
        const char *what = i ? "a classifier on a running --save"
                             : "a second run on a running --save";
        spawn_result r = spawn_recur(capture, second[i]);
        CHECK(r.status == 1 && strstr(r.err, pid) && strstr(r.err, lock) &&
                  strstr(r.err, "is being written by"),
              "%s: exit status %d, expected 1 with '%s' and %s: %s", what,
              r.status, pid, lock, r.err ? r.err : "");
        CHECK(r.out && r.out[0] == '\0', "%s: printed on stdout: %s", what,
              r.out ? r.out : "");
        spawn_result_free(&r);
    }
    size_t after = 0;
    char *now = spawn_read_file(csv, &after);
    CHECK(log && now && after >= before && !memcmp(log, now, before),
          "the refused runs touched the first run's log %s", csv);
    free(log);
    free(now);
    CHECK(spawn_exists(lock), "the refused runs removed %s", lock);
    kill(c.pid, SIGINT);
    check_interrupted(&c, SIGINT, model, "--resume", NULL);
}

/* The pid of a process that has exited. */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    CHECK(pid > 0, "fork: %s", strerror(errno));
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return pid;
}

static int plant_lock(const char *lock, long pid, const char *host)
{
    char text[512];
    int n = snprintf(text, sizeof text, "pid %ld\nhost %s\nstarted "
                     "2026-01-02 03:04:05 +0000\n", pid, host);
    int ok = spawn_write_file(lock, text, (size_t)n);
    CHECK(ok, "cannot plant %s", lock);
    return ok;
}

/* A lock whose process is gone is taken over; one of another host is
 * obeyed. */
static void stale_and_foreign(const char *text)
{
    char model[400], lock[450], host[256] = "", pid[32];
    in_scratch(model, sizeof model, "stale.safetensors");
    lock_of(lock, sizeof lock, model);
    gethostname(host, sizeof host - 1);
    pid_t gone = dead_pid();
    snprintf(pid, sizeof pid, "pid %ld", (long)gone);
    const char *args[] = {"train", "--data", text, LM_TINY, "--steps", "3",
                          "--save", model, END};
    if (gone > 0 && plant_lock(lock, (long)gone, host)) {
        spawn_result r = spawn_recur(capture, args);
        CHECK(r.status == 0 && strstr(r.err, "took over the stale lock") &&
                  strstr(r.err, pid),
              "a stale lock (%s): exit status %d, expected 0 and a notice "
              "naming it: %s", pid, r.status, r.err ? r.err : "");
        spawn_result_free(&r);
        CHECK(step_of(model) == 3, "a stale lock: no checkpoint at step 3");
        CHECK(!spawn_exists(lock), "a stale lock: %s is left", lock);
    }
    in_scratch(model, sizeof model, "foreign.safetensors");
    lock_of(lock, sizeof lock, model);
    if (plant_lock(lock, 1, "elsewhere.invalid")) {
        spawn_result r = spawn_recur(capture, args); /* args name model */
        CHECK(r.status == 1 && strstr(r.err, "pid 1 on host elsewhere.invalid") &&
                  strstr(r.err, lock),
              "a lock of another host: exit status %d, expected 1 naming it: "
              "%s", r.status, r.err ? r.err : "");
        spawn_result_free(&r);
        CHECK(spawn_exists(lock) && !spawn_exists(model),
              "a lock of another host: the lock went or a checkpoint came");
    }
}

/* A FIFO planted as the lock is refused at once, not read (a read would
 * block). */
static void fifo_lock(const char *text)
{
    char model[400], lock[450];
    in_scratch(model, sizeof model, "fifo.safetensors");
    lock_of(lock, sizeof lock, model);
    if (mkfifo(lock, 0600) != 0) {
        CHECK(0, "cannot make the FIFO %s", lock);
        return;
    }
    const char *args[] = {"train", "--data", text, LM_TINY, "--steps", "1",
                          "--save", model, END};
    spawn_result r = spawn_recur(capture, args);
    CHECK(r.status == 1 && r.err && strstr(r.err, lock),
          "a FIFO as the lock: exit status %d, expected 1 naming it: %s",
          r.status, r.err ? r.err : "");
    spawn_result_free(&r);
    CHECK(!spawn_exists(model), "a FIFO as the lock: a checkpoint was written");
    unlink(lock);
}

/* A run that fails after taking the lock leaves none. */
static void failed_run(void)
{
    char model[400], lock[450], missing[400];
    in_scratch(model, sizeof model, "failed.safetensors");
    in_scratch(missing, sizeof missing, "no-such-text.txt");
    const char *args[] = {"train", "--data", missing, LM_TINY, "--save", model,
                          END};
    run_status("train on a missing file", args, 1);
    CHECK(!spawn_exists(lock_of(lock, sizeof lock, model)),
          "a failed run left its lock %s", lock);
}

void test_cli_signals_lock(void)
{
    char text[400], tsv[400];
    if (!scratch_open("recur-signals"))
        return;
    if (write_words(in_scratch(text, sizeof text, "text.txt"), 250) &&
        write_reviews(in_scratch(tsv, sizeof tsv, "r.tsv"))) {
        concurrent(text, tsv);
        stale_and_foreign(text);
        failed_run();
        fifo_lock(text);
        double_signal(text);
    }
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* --save's default                                                          */

void test_cli_signals_default_save(void)
{
    char text[400], tsv[400], csv[400], dir[400], work[400], path[500];
    if (!scratch_open("recur-signals"))
        return;
    int ok = write_words(in_scratch(text, sizeof text, "text.txt"), 250) &&
             write_reviews(in_scratch(tsv, sizeof tsv, "r.tsv")) &&
             write_series(in_scratch(csv, sizeof csv, "s.csv")) &&
             write_rolls(in_scratch(dir, sizeof dir, "rolls")) &&
             mkdir(in_scratch(work, sizeof work, "work"), 0700) == 0;
    CHECK(ok, "cannot write the data into %s", scratch);
    const char *tasks[5] = {"charlm", "wordlm", "classify", "forecast", "music"};
    const char *data[5] = {text, text, tsv, csv, dir};
    for (int i = 0; ok && i < 5; i++) {
        const char *lm[] = {"train", "--task", tasks[i], "--data", data[i],
                            LM_TINY, "--steps", "3", END};
        const char *seq[] = {"train", "--task", tasks[i], "--data", data[i],
                             SEQ_TINY, "--epochs", "1", END};
        spawn_result r = spawn_recur_in(work, capture, i < 2 ? lm : seq);
        char name[64];
        snprintf(name, sizeof name, "%s.safetensors", tasks[i]);
        const char *last = r.err ? r.err + strlen(r.err) : "";
        while (last > r.err && last[-1] == '\n')
            last--;
        while (last > r.err && last[-1] != '\n')
            last--;
        CHECK(r.status == 0 && strstr(last, name),
              "train --task %s without --save: exit status %d; the last line "
              "does not name %s: %s", tasks[i], r.status, name,
              r.err ? r.err : "");
        spawn_result_free(&r);
        static const char *const files[3] = {".safetensors", ".metrics.csv",
                                             ".loss.svg"};
        for (int k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "%s/%s%s", work, tasks[i], files[k]);
            CHECK(spawn_exists(path), "train --task %s without --save: no %s",
                  tasks[i], path);
        }
        snprintf(path, sizeof path, "%s/%s.safetensors.lock", work, tasks[i]);
        CHECK(!spawn_exists(path), "train --task %s: the lock %s is left",
              tasks[i], path);
    }
    scratch_close();
}
