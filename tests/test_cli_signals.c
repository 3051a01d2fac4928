/*
 * test_cli_signals.c — how a training run starts and ends, through the
 * `recur` binary ($RECUR_BIN), on tiny models and data written here:
 *   - a supervised run without --save writes TASK.safetensors (with its log
 *     and plot) in its working directory and names it in its last line.
 */
#include "spawn.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define END ((const char *)NULL)

/* The tiny model of the supervised tasks' runs. */
#define SEQ_TINY "--hidden", "8", "--threads", "1", "--quiet"

/* ------------------------------------------------------------------------ */
/* Scratch directory                                                         */

static char scratch[256], capture[300];

static const char *in_scratch(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", scratch, name);
    return buf;
}

static int scratch_open(void)
{
    return spawn_scratch_open("recur-signals", scratch, sizeof scratch,
                              capture, sizeof capture);
}

static void scratch_close(void)
{
    spawn_remove_tree(scratch);
    CHECK(!spawn_exists(scratch), "could not remove %s", scratch);
}

/* ------------------------------------------------------------------------ */
/* Data                                                                      */

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

/* ------------------------------------------------------------------------ */
/* --save's default                                                          */

void test_cli_signals_default_save(void)
{
    char tsv[400], csv[400], dir[400], work[400], path[500];
    if (!scratch_open())
        return;
    int ok = write_reviews(in_scratch(tsv, sizeof tsv, "r.tsv")) &&
             write_series(in_scratch(csv, sizeof csv, "s.csv")) &&
             write_rolls(in_scratch(dir, sizeof dir, "rolls")) &&
             mkdir(in_scratch(work, sizeof work, "work"), 0700) == 0;
    CHECK(ok, "cannot write the data into %s", scratch);
    const char *tasks[3] = {"classify", "forecast", "music"};
    const char *data[3] = {tsv, csv, dir};
    for (int i = 0; ok && i < 3; i++) {
        const char *args[] = {"train", "--task", tasks[i], "--data", data[i],
                              SEQ_TINY, "--epochs", "1", END};
        spawn_result r = spawn_recur_in(work, capture, args);
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
    }
    scratch_close();
}
