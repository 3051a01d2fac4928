/*
 * task_run.c — running the supervised tasks' commands in the CLI tests and
 * reading what they print and write (task_run.h).
 */
#include "task_run.h"
#include "io/safetensors.h"
#include "scratch.h"
#include "test.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Runs c; it must exit 0. The result (caller frees) has out == NULL when
 * it did not. */
spawn_result task_run_ok(const char *what, const cmdline *c)
{
    spawn_result r = spawn_recur(capture, c->v);
    CHECK(r.status == 0, "%s: exit status %d; stderr: %s", what, r.status,
          r.err ? r.err : "");
    if (r.status != 0)
        spawn_result_free(&r);
    return r;
}

/* Runs c; it must exit `want` with a "recur <cmd>: " message naming each
 * of the needles (up to NULL) on stderr, and leave the scratch directory
 * with as many entries as before. */
void task_refusal(const char *what, const cmdline *c, int want, ...)
{
    int before = spawn_count_entries(scratch);
    spawn_result r = spawn_recur(capture, c->v);
    if (!r.err)
        return;
    CHECK(r.status == want, "%s: exit status %d, expected %d; stderr: %s",
          what, r.status, want, r.err);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "recur %s: ", c->v[0]);
    CHECK(strstr(r.err, prefix) != NULL, "%s: no '%s' message: %s", what,
          prefix, r.err);
    va_list ap;
    va_start(ap, want);
    for (const char *needle; (needle = va_arg(ap, const char *)) != NULL;)
        CHECK(strstr(r.err, needle) != NULL, "%s: stderr does not mention "
              "'%s': %s", what, needle, r.err);
    va_end(ap);
    CHECK(spawn_count_entries(scratch) == before, "%s: the failed run left "
          "files in %s", what, scratch);
    spawn_result_free(&r);
}

/* stdout of a --json run: one line, one object (caller decrefs; NULL when
 * it is not). */
json_t *task_json_line(const char *what, const char *out)
{
    json_error_t error;
    size_t len = strlen(out);
    CHECK(len > 0 && strchr(out, '\n') == out + len - 1,
          "%s: stdout is not one line: %s", what, out);
    json_t *o = json_loads(out, 0, &error);
    CHECK(json_is_object(o), "%s: not a JSON object (%s): %s", what,
          error.text, out);
    if (!json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* A finite number member of o (NaN, with a failed CHECK, when missing). */
double task_number(const char *what, json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    int ok = json_is_number(v) && isfinite(json_number_value(v));
    CHECK(ok, "%s: no finite '%s' in the JSON", what, key);
    return ok ? json_number_value(v) : NAN;
}

/* The lines of text (split in place); returns how many, at most max. */
size_t task_split_lines(char *text, char **line, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l && n < max;
         l = strtok_r(NULL, "\n", &save))
        line[n++] = l;
    return n;
}

void task_check_file(const char *path, const char *starts)
{
    char *bytes = spawn_read_file(path, NULL);
    CHECK(bytes && strncmp(bytes, starts, strlen(starts)) == 0,
          "%s is missing or does not start with '%s'", path, starts);
    free(bytes);
}

/* The training log beside a checkpoint: its header and `epochs` rows
 * numbered 1.. with finite losses. */
void task_check_metrics(const char *path, size_t epochs)
{
    static const char header[] = "step,epoch,train_loss,val_loss,best,lr,seconds";
    char *csv = spawn_read_file(path, NULL), *line[64];
    CHECK(csv != NULL, "no metrics log %s", path);
    if (!csv)
        return;
    size_t n = task_split_lines(csv, line, 64), bad = 0;
    size_t hl = strlen(header);
    CHECK(n > 0 && !strncmp(line[0], header, hl) &&
          (!line[0][hl] || !strncmp(line[0] + hl, ",val_", 5)),
          "%s: the header is not '%s' (and a validation figure)", path, header);
    for (size_t i = 1; i < n; i++) {
        char *step_end, *end;
        strtoull(line[i], &step_end, 10);
        unsigned long epoch = strtoul(step_end + 1, &end, 10);
        bad += epoch != i || *step_end != ',' || *end != ',' ||
               !isfinite(strtod(end + 1, NULL));
    }
    CHECK(n == epochs + 1 && bad == 0, "%s: %zu rows (%zu malformed), "
          "expected %zu epochs", path, n - 1, bad, epochs);
    free(csv);
}

/* The checkpoint, its metrics log with `epochs` rows and its loss plot. */
void task_check_files(const char *model, size_t epochs)
{
    char path[400];
    size_t stem = strlen(model) - strlen(".safetensors");
    st_file *st = NULL;
    CHECK(st_read(model, &st) == RECUR_OK, "%s is not a checkpoint", model);
    st_free(st);
    snprintf(path, sizeof path, "%.*s.metrics.csv", (int)stem, model);
    task_check_metrics(path, epochs);
    snprintf(path, sizeof path, "%.*s.loss.svg", (int)stem, model);
    task_check_file(path, "<");
    char *svg = spawn_read_file(path, NULL);
    CHECK(svg && strstr(svg, "</svg>"), "%s is not a whole SVG document", path);
    free(svg);
}

const char *task_meta_of(const char *model, const char *key, char *buf,
                           size_t size)
{
    st_file *st = NULL;
    buf[0] = '\0';
    if (st_read(model, &st) == RECUR_OK && st_meta(st, key))
        snprintf(buf, size, "%s", st_meta(st, key));
    st_free(st);
    return buf;
}

