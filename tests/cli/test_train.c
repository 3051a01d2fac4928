/*
 * test_train.c — `recur train`, `recur eval` and `recur sample` as a
 * user runs them ($RECUR_BIN, through spawn.h), on a tiny LSTM and a
 * synthetic UTF-8 text of a few KB with multi-byte characters:
 *   - train --json: one JSON object per validation; the checkpoint, the
 *     best one, the metrics log (exact header, one row per step and per
 *     validation) and the SVG plot beside --save;
 *   - resume through the CLI (30 steps straight against 12, then --resume
 *     to 30, with dropout so the RNG state matters) gives bit-identical
 *     tensors; the same again with every option repeated at the
 *     checkpoint's value gives the same file byte for byte; without --save
 *     the run goes back into the resumed checkpoint;
 *   - stale temporary files of an interrupted save (x.safetensors.tmp.
 *     and six letters) are removed at the next training's start, nothing
 *     else;
 *   - eval --json: bpc = loss / ln 2, ppl = exp(loss);
 *   - sample: the prime, then --length characters of the training text's
 *     alphabet, the same for the same --seed (and at temperature 0);
 *   - every refusal (an option given with --resume that differs from the
 *     checkpoint's value names both): exit status 2 for usage, 1 for data
 *     and files, a message naming the problem, no sanitizer report, nothing
 *     printed on stdout, no checkpoint left where there was none and an
 *     existing one (with its log and plot) byte for byte as it was.
 */
#include "base/error.h"
#include "model/lm.h"
#include "io/safetensors.h"
#include "model/sample.h"
#include "scratch.h"
#include "spawn.h"
#include "test.h"
#include "data/text.h"
#include "data/words.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define END ((const char *)NULL)

/* ------------------------------------------------------------------------ */
/* Arguments (the scratch directory: scratch.h)                              */

typedef spawn_args arglist;
#define add spawn_args_add

static void add_list(arglist *a, const char *const *list)
{
    for (; list && *list; list++)
        add(a, *list, END);
}

/* The tiny model and run every training here uses. */
#define TINY "--hidden", "16", "--layers", "1", "--embed", "8", "--batch", "4", \
             "--seq-len", "8", "--threads", "1", "--epochs", "0"

static spawn_result run(const arglist *a)
{
    return spawn_recur(capture, a->v);
}

/* ------------------------------------------------------------------------ */
/* The training text                                                         */

/* A few KB of lines of lowercase words, some with 'é', 'ï', 'à', and '—'
 * between clauses; deterministic. Has no 'Q', 'z' or Cyrillic. */
static char *make_text(size_t *size)
{
    static const char *const words[] = {
        "the", "river", "runs", "past", "old", "café", "stones", "and", "été",
        "naïve", "light", "falls", "on", "water", "déjà", "vu", "à", "la",
        "carte", "while", "bells", "ring", "over", "the", "town", "—", "slow",
        "fields", "of", "grain", "élan", "morning"};
    const size_t n_words = sizeof words / sizeof *words;
    size_t cap = 8192, used = 0;
    char *text = malloc(cap);
    uint64_t x = 12345;
    for (int line = 0; text && line < 70; line++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        int count = 6 + (int)((x >> 33) % 6);
        for (int w = 0; w < count; w++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            const char *word = words[(x >> 33) % n_words];
            used += (size_t)snprintf(text + used, cap - used, "%s%s",
                                     w ? " " : "", word);
        }
        used += (size_t)snprintf(text + used, cap - used, "%s\n",
                                 line % 3 == 2 ? "." : ",");
    }
    CHECK(text && used > 2000 && used < cap, "the synthetic text is %zu bytes",
          used);
    *size = used;
    return text;
}

/* The distinct code points of text (a small bitmap of the BMP). */
typedef struct {
    unsigned char seen[0x10000 / 8];
} alphabet;

static int alphabet_has(const alphabet *a, uint32_t cp)
{
    return cp < 0x10000 && (a->seen[cp / 8] >> (cp % 8) & 1);
}

static void alphabet_of(const char *text, size_t size, alphabet *a)
{
    memset(a, 0, sizeof *a);
    uint32_t *cps = NULL;
    size_t n = 0;
    recur_status s = utf8_decode((const unsigned char *)text, size, "text",
                                       &cps, &n);
    CHECK(s == RECUR_OK, "the synthetic text does not decode: %s",
          recur_last_error());
    for (size_t i = 0; !s && i < n; i++)
        if (cps[i] < 0x10000)
            a->seen[cps[i] / 8] |= (unsigned char)(1u << (cps[i] % 8));
    free(cps);
}

/* ------------------------------------------------------------------------ */
/* Checkpoints                                                               */

/* 1 when both files hold the same tensors, bit for bit (names, dtypes,
 * shapes, bytes) and the same values of the metadata keys listed; when
 * report, each difference is one failed CHECK. */
static int same_checkpoints(const char *what, const char *a_path,
                            const char *b_path, int report)
{
    static const char *const keys[] = {
        "format", "mode", "vocab", "train.step", "train.epoch", "train.chunk",
        "train.batch", "train.seq_len", "train.data_hash", "optim.steps",
        "sched.lr"};
    st_file *a = NULL, *b = NULL;
    int same = 1;
    recur_status sa = st_read(a_path, &a), sb = st_read(b_path, &b);
    CHECK(sa == RECUR_OK && sb == RECUR_OK, "%s: cannot read the checkpoints: %s",
          what, recur_last_error());
    if (sa || sb) {
        st_free(a);
        st_free(b);
        return 0;
    }
    if (st_count(a) != st_count(b)) {
        same = 0;
        if (report)
            CHECK(0, "%s: %zu tensors against %zu", what, st_count(a),
                  st_count(b));
    }
    for (size_t i = 0; i < st_count(a); i++) {
        const st_tensor *ta = st_at(a, i);
        const st_tensor *tb = st_find(b, ta->name);
        int ok = tb && ta->dtype == tb->dtype && ta->ndim == tb->ndim &&
                 ta->nbytes == tb->nbytes;
        for (size_t k = 0; ok && k < ta->ndim; k++)
            ok = ta->shape[k] == tb->shape[k];
        ok = ok && memcmp(ta->data, tb->data, ta->nbytes) == 0;
        if (!ok) {
            same = 0;
            if (report)
                CHECK(0, "%s: tensor '%s' differs between %s and %s", what,
                      ta->name, a_path, b_path);
        }
    }
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        const char *va = st_meta(a, keys[k]), *vb = st_meta(b, keys[k]);
        if (!va || !vb || strcmp(va, vb) != 0) {
            same = 0;
            if (report)
                CHECK(0, "%s: metadata %s is '%s' against '%s'", what, keys[k],
                      va ? va : "(none)", vb ? vb : "(none)");
        }
    }
    if (report)
        CHECK(same, "%s: %s and %s differ", what, a_path, b_path);
    st_free(a);
    st_free(b);
    return same;
}

/* The metadata value of key in a checkpoint, copied into buf ("" when
 * the file or the key is missing). */
static const char *meta_of(const char *path, const char *key, char *buf,
                           size_t size)
{
    st_file *st = NULL;
    buf[0] = '\0';
    if (st_read(path, &st) == RECUR_OK) {
        const char *v = st_meta(st, key);
        snprintf(buf, size, "%s", v ? v : "");
    }
    st_free(st);
    return buf;
}

/* ------------------------------------------------------------------------ */
/* A training run and what it writes                                         */

/* Checks stdout of --json: one object per line, each with a finite
 * val_loss and its bpc; their steps into steps[] (up to max). Returns the
 * count of lines. */
static size_t check_json_lines(const char *out, uint64_t *steps,
                               double *losses, size_t max)
{
    size_t lines = 0;
    const char *p = out;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        CHECK(nl != NULL, "train --json: the last line has no newline: %s", p);
        json_error_t error;
        json_t *o = json_loadb(p, len, 0, &error);
        CHECK(o && json_is_object(o), "train --json: line %zu is not a JSON "
              "object (%s): %.*s", lines + 1, error.text, (int)len, p);
        json_t *vl = o ? json_object_get(o, "val_loss") : NULL;
        json_t *bpc = o ? json_object_get(o, "bpc") : NULL;
        json_t *step = o ? json_object_get(o, "step") : NULL;
        CHECK(json_is_number(vl) && isfinite(json_number_value(vl)) &&
                  json_number_value(vl) > 0,
              "train --json: line %zu has no positive val_loss: %.*s",
              lines + 1, (int)len, p);
        CHECK(json_is_number(bpc) && json_is_number(vl) &&
                  fabs(json_number_value(bpc) - json_number_value(vl) / log(2.0)) <= 1e-5,
              "train --json: line %zu: bpc is not val_loss / ln 2: %.*s",
              lines + 1, (int)len, p);
        CHECK(json_is_integer(step), "train --json: line %zu has no integer "
              "step: %.*s", lines + 1, (int)len, p);
        if (lines < max) {
            steps[lines] = json_is_integer(step) ? (uint64_t)json_integer_value(step) : 0;
            losses[lines] = json_is_number(vl) ? json_number_value(vl) : NAN;
        }
        json_decref(o);
        lines++;
        p += len + (nl != NULL);
    }
    return lines;
}

/* Splits a CSV line in place into exactly 8 columns; 0 when it has another
 * number of them. */
static int split8(char *line, char **col)
{
    int n = 0;
    for (char *p = line;; n++) {
        if (n == 8)
            return 0;
        col[n] = p;
        p = strchr(p, ',');
        if (!p)
            return n + 1 == 8;
        *p++ = '\0';
    }
}

/* The metrics log: steps first_step.. (`steps` of them), validations at
 * val_steps[0..n_val) with the losses val_losses (NULL: not compared). */
static void check_metrics(const char *path, uint64_t first_step, uint64_t steps,
                          const uint64_t *val_steps, const double *val_losses,
                          size_t n_val)
{
    static const char header[] =
        "step,epoch,lr,train_loss,grad_norm,val_loss,elapsed,tokens_per_sec\n";
    char *csv = spawn_read_file(path, NULL);
    CHECK(csv != NULL, "no metrics log %s", path);
    if (!csv)
        return;
    CHECK(strncmp(csv, header, strlen(header)) == 0,
          "%s: the header is not '%.*s'", path, (int)strlen(header) - 1, header);
    uint64_t next_step = first_step;
    size_t step_rows = 0, val_rows = 0, bad = 0;
    char *save = NULL;
    for (char *line = strtok_r(csv + strlen(header), "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *col[8];
        if (!split8(line, col)) {
            bad++;
            continue;
        }
        uint64_t step = strtoull(col[0], NULL, 10);
        if (*col[3] && !*col[5]) { /* a step row */
            bad += step != next_step || !isfinite(strtod(col[3], NULL)) ||
                   !*col[2] || !*col[4];
            next_step = step + 1;
            step_rows++;
        } else if (*col[5] && !*col[3]) { /* a validation row */
            int ok = val_rows < n_val && step == val_steps[val_rows] &&
                     isfinite(strtod(col[5], NULL)) &&
                     (!val_losses || fabs(strtod(col[5], NULL) -
                                          val_losses[val_rows]) <= 1e-5);
            bad += !ok;
            val_rows++;
        } else {
            bad++;
        }
    }
    CHECK(step_rows == steps && next_step == first_step + steps,
          "%s: %zu step rows, expected steps %llu to %llu", path, step_rows,
          (unsigned long long)first_step,
          (unsigned long long)(first_step + steps - 1));
    CHECK(val_rows == n_val, "%s: %zu validation rows, expected %zu", path,
          val_rows, n_val);
    CHECK(bad == 0, "%s: %zu rows malformed, out of order, or not matching "
          "the JSON lines", path, bad);
    free(csv);
}

static void check_plot(const char *path)
{
    char *svg = spawn_read_file(path, NULL);
    CHECK(svg && (strncmp(svg, "<?xml", 5) == 0 || strncmp(svg, "<svg", 4) == 0),
          "%s is missing or not SVG", path);
    CHECK(svg && strstr(svg, "</svg>"), "%s is not a complete SVG document", path);
    free(svg);
}

/* `recur train` on text into save; the extra arguments follow the tiny
 * model's. Returns the exit status (checked to be 0). */
static int train(const char *what, const char *text, const char *save,
                 const char *const *extra, spawn_result *keep)
{
    arglist a = {{NULL}, 0};
    add(&a, "train", "--task", "charlm", "--data", text, TINY, "--save", save,
        END);
    add_list(&a, extra);
    spawn_result r = run(&a);
    CHECK(r.status == 0, "%s: exit status %d; stderr: %s", what, r.status,
          r.err ? r.err : "");
    int status = r.status;
    if (keep)
        *keep = r;
    else
        spawn_result_free(&r);
    return status;
}

static void check_train_outputs(const char *text)
{
    char m[300], best[300], csv[300], svg[300];
    in_scratch(m, sizeof m, "m.safetensors");
    in_scratch(best, sizeof best, "m.best.safetensors");
    in_scratch(csv, sizeof csv, "m.metrics.csv");
    in_scratch(svg, sizeof svg, "m.loss.svg");
    const char *extra[] = {"--steps", "30", "--val-every", "10", "--json", NULL};
    spawn_result r;
    if (train("train --json", text, m, extra, &r) != 0) {
        spawn_result_free(&r);
        return;
    }
    uint64_t steps[8] = {0};
    double losses[8] = {0};
    size_t n = check_json_lines(r.out ? r.out : "", steps, losses, 8);
    CHECK(n == 3 && steps[0] == 10 && steps[1] == 20 && steps[2] == 30,
          "train --json: %zu lines, expected validations at steps 10, 20, 30:\n%s",
          n, r.out ? r.out : "");
    spawn_result_free(&r);

    char buf[64];
    CHECK(strcmp(meta_of(m, "train.step", buf, sizeof buf), "30") == 0,
          "%s: train.step is '%s', expected 30", m, buf);
    CHECK(strcmp(meta_of(best, "format", buf, sizeof buf), "recur-lm") == 0,
          "%s is missing or not a recur-lm checkpoint", best);
    check_metrics(csv, 1, 30, steps, losses, n < 8 ? n : 8);
    check_plot(svg);
}

/* The command of run B again with --resume added, every model and
 * training option spelt out, some in other words than the first run's
 * defaults (--lr 0.002 for 2e-3, --clip 5.0, --eps 1e-08): accepted, and
 * the continued run D is byte for byte the run C resumed without them. */
static void check_resume_same_options(const char *text, const char *b,
                                      const char *c)
{
    char d[300];
    in_scratch(d, sizeof d, "d.safetensors");
    arglist args = {{NULL}, 0};
    add(&args, "train", "--task", "charlm", "--data", text, TINY,
        "--dropout", "0.2", "--val-every", "10", "--steps", "30", "--cell",
        "lstm", "--proj", "0", "--recurrent-dropout", "0", "--zoneout", "0.0",
        "--optimizer", "adam", "--lr", "0.002", "--beta1", "0.9", "--beta2",
        "0.999", "--eps", "1e-08", "--momentum", "0", "--schedule",
        "constant", "--decay-factor", ".5", "--min-lr", "0", "--patience",
        "1", "--clip", "5.0", "--seed", "1", "--resume", b, "--save", d, END);
    spawn_result r = run(&args);
    CHECK(r.status == 0, "train --resume with the checkpoint's own options: "
          "exit status %d; stderr: %s", r.status, r.err ? r.err : "");
    spawn_result_free(&r);
    size_t c_size = 0, d_size = 0;
    char *c_bytes = spawn_read_file(c, &c_size);
    char *d_bytes = spawn_read_file(d, &d_size);
    CHECK(c_bytes && d_bytes && c_size == d_size &&
              memcmp(c_bytes, d_bytes, c_size) == 0,
          "resumed with the checkpoint's options, %s is not byte for byte %s "
          "(resumed without them)", d, c);
    free(c_bytes);
    free(d_bytes);
}

/* Run A: 30 steps straight. Run B: 12 steps, then --resume to 30 into C.
 * A and C must be the same bit for bit. */
static void check_resume(const char *text)
{
    char a[300], b[300], c[300], c_csv[300];
    in_scratch(a, sizeof a, "a.safetensors");
    in_scratch(b, sizeof b, "b.safetensors");
    in_scratch(c, sizeof c, "c.safetensors");
    in_scratch(c_csv, sizeof c_csv, "c.metrics.csv");
    const char *straight[] = {"--dropout", "0.2", "--val-every", "10",
                              "--steps", "30", NULL};
    const char *part[] = {"--dropout", "0.2", "--val-every", "10",
                          "--steps", "12", NULL};
    if (train("resume: run A, 30 steps", text, a, straight, NULL) != 0 ||
        train("resume: run B, 12 steps", text, b, part, NULL) != 0)
        return;
    char buf[64];
    CHECK(strcmp(meta_of(b, "train.step", buf, sizeof buf), "12") == 0,
          "%s: train.step is '%s', expected 12", b, buf);
    /* Otherwise comparing A with C proves nothing. */
    CHECK(!same_checkpoints("resume", a, b, 0),
          "12 steps and 30 steps gave the same checkpoint");

    arglist args = {{NULL}, 0};
    add(&args, "train", "--task", "charlm", "--data", text, "--resume", b,
        "--steps", "30", "--epochs", "0", "--val-every", "10", "--threads",
        "1", "--save", c, END);
    spawn_result r = run(&args);
    CHECK(r.status == 0, "train --resume: exit status %d; stderr: %s", r.status,
          r.err ? r.err : "");
    CHECK(r.err && strstr(r.err, "resumed"), "train --resume does not say it "
          "resumed: %s", r.err ? r.err : "");
    spawn_result_free(&r);
    if (!spawn_exists(c)) {
        CHECK(0, "train --resume wrote no %s", c);
        return;
    }
    same_checkpoints("30 steps against 12 + resumed 18", a, c, 1);
    /* The resumed run's own log starts at step 13. */
    const uint64_t val_steps[] = {20, 30};
    check_metrics(c_csv, 13, 18, val_steps, NULL, 2);
    check_resume_same_options(text, b, c);
}

/* --resume without --save, started in a directory of its own holding a
 * copy of run B's checkpoint (12 steps): the continued run goes back into
 * that copy, which then equals run A (30 steps straight) bit for bit, and
 * nothing else is written (no charlm.safetensors where it was started). */
static void check_resume_writes_back(const char *text)
{
    char dir[300], w[400], b[300], a[300], path[400];
    in_scratch(dir, sizeof dir, "back");
    in_scratch(a, sizeof a, "a.safetensors");
    in_scratch(b, sizeof b, "b.safetensors");
    snprintf(w, sizeof w, "%s/w.safetensors", dir);
    size_t size = 0;
    char *bytes = spawn_read_file(b, &size);
    int ok = bytes && mkdir(dir, 0700) == 0 && spawn_write_file(w, bytes, size);
    free(bytes);
    CHECK(ok, "cannot copy %s into %s", b, dir);
    if (!ok)
        return;
    arglist args = {{NULL}, 0};
    add(&args, "train", "--data", text, "--resume", "w.safetensors", "--steps",
        "30", "--epochs", "0", "--val-every", "10", "--threads", "1", END);
    spawn_result r = spawn_recur_in(dir, capture, args.v);
    CHECK(r.status == 0, "train --resume without --save: exit status %d; "
          "stderr: %s", r.status, r.err ? r.err : "");
    spawn_result_free(&r);
    char buf[64];
    CHECK(strcmp(meta_of(w, "train.step", buf, sizeof buf), "30") == 0,
          "train --resume without --save: %s is at step '%s', expected 30 "
          "(saved back into it)", w, buf);
    same_checkpoints("12 steps resumed to 30 in place against 30 straight",
                     a, w, 1);
    snprintf(path, sizeof path, "%s/charlm.safetensors", dir);
    CHECK(!spawn_exists(path), "train --resume without --save wrote %s", path);
    static const char *const beside[] = {"w.best.safetensors", "w.metrics.csv",
                                         "w.loss.svg"};
    for (size_t i = 0; i < sizeof beside / sizeof *beside; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, beside[i]);
        CHECK(spawn_exists(path), "train --resume without --save wrote no %s",
              path);
    }
    CHECK(spawn_count_entries(dir) == 4, "train --resume without --save left "
          "%d files in %s, expected w.safetensors and the 3 beside it",
          spawn_count_entries(dir), dir);
}

/* A save killed between creating its temporary file and renaming it
 * leaves x.safetensors.tmp.XXXXXX behind: the next training that writes
 * x.safetensors removes those of x.safetensors and of its .best sibling
 * (started where they are, --save relative) and nothing else, not even a
 * name one letter off the pattern. */
static void check_stale_temps(const char *text)
{
    static const char *const stale[] = {"x.safetensors.tmp.ABC123",
                                        "x.best.safetensors.tmp.zZ09aB"};
    static const char *const kept[] = {
        "x.safetensors.tmp.keep-me-longer", "y.safetensors.tmp.ABC123",
        "ax.safetensors.tmp.ABC123", "x.safetensors.tmp.ABC12",
        "x.safetensors.tmp.ABC1234", "x.safetensors.tmp.AB-123",
        "x.safetensors.tmp.", "x.safetensors.ABC123"};
    char dir[300], path[400];
    in_scratch(dir, sizeof dir, "stale");
    int ok = mkdir(dir, 0700) == 0;
    for (size_t i = 0; ok && i < sizeof stale / sizeof *stale; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, stale[i]);
        ok = spawn_write_file(path, "half a checkpoint", 17);
    }
    for (size_t i = 0; ok && i < sizeof kept / sizeof *kept; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, kept[i]);
        ok = spawn_write_file(path, "not ours", 8);
    }
    /* A directory of the pattern's name is not a temporary file. */
    snprintf(path, sizeof path, "%s/x.safetensors.tmp.DIR123", dir);
    ok = ok && mkdir(path, 0700) == 0;
    CHECK(ok, "cannot plant the temporary files in %s", dir);
    if (!ok)
        return;
    arglist args = {{NULL}, 0};
    add(&args, "train", "--task", "charlm", "--data", text, TINY, "--steps",
        "2", "--save", "x.safetensors", END);
    spawn_result r = spawn_recur_in(dir, capture, args.v);
    CHECK(r.status == 0, "train beside stale temporary files: exit status %d; "
          "stderr: %s", r.status, r.err ? r.err : "");
    CHECK(r.err && strstr(r.err, "stale temporary file"), "train does not say "
          "it removed stale temporary files: %s", r.err ? r.err : "");
    spawn_result_free(&r);
    for (size_t i = 0; i < sizeof stale / sizeof *stale; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, stale[i]);
        CHECK(!spawn_exists(path), "train left the stale %s", path);
    }
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, kept[i]);
        char *bytes = spawn_read_file(path, NULL);
        CHECK(bytes && !strcmp(bytes, "not ours"), "train removed or changed "
              "%s, which is no temporary file of its checkpoints", path);
        free(bytes);
    }
    snprintf(path, sizeof path, "%s/x.safetensors.tmp.DIR123", dir);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && S_ISDIR(sb.st_mode), "train removed the "
          "directory %s", path);
    snprintf(path, sizeof path, "%s/x.safetensors", dir);
    CHECK(spawn_exists(path), "train beside stale temporary files wrote no %s",
          path);
}

/* --layer-norm: a layer-norm GRU trains, its checkpoint says so and holds
 * the LN tensors, and a resumed run keeps it (told again here: --cell gru
 * and --layer-norm equal the checkpoint's, so they are accepted). */
static void check_layer_norm(const char *text)
{
    char ln[300], resumed[300], buf[64];
    in_scratch(ln, sizeof ln, "ln.safetensors");
    in_scratch(resumed, sizeof resumed, "ln2.safetensors");
    const char *extra[] = {"--cell", "gru", "--layer-norm", "--steps", "3", NULL};
    if (train("--layer-norm", text, ln, extra, NULL) != 0)
        return;
    CHECK(strcmp(meta_of(ln, "layer_norm", buf, sizeof buf), "1") == 0,
          "%s: layer_norm is '%s', expected 1", ln, buf);
    st_file *st = NULL;
    CHECK(st_read(ln, &st) == RECUR_OK &&
              st_find(st, "rnn.weight_ln_hh_l0") &&
              st_find(st, "rnn.bias_ln_ih_l0"),
          "%s holds no layer-norm tensors", ln);
    st_free(st);
    arglist args = {{NULL}, 0};
    add(&args, "train", "--task", "charlm", "--data", text, "--resume", ln,
        "--cell", "gru", "--layer-norm", "--steps", "5", "--save", resumed,
        END);
    spawn_result r = run(&args);
    CHECK(r.status == 0, "train --resume of a layer-norm run: exit status %d; "
          "stderr: %s", r.status, r.err ? r.err : "");
    spawn_result_free(&r);
    CHECK(strcmp(meta_of(resumed, "layer_norm", buf, sizeof buf), "1") == 0,
          "%s: layer_norm is '%s' after resuming, expected 1", resumed, buf);
}

/* ------------------------------------------------------------------------ */
/* eval and sample                                                           */

static void check_eval(const char *model, const char *text, size_t chars)
{
    arglist a = {{NULL}, 0};
    add(&a, "eval", "--model", model, "--data", text, "--json", "--threads",
        "1", END);
    spawn_result r = run(&a);
    CHECK(r.status == 0, "eval --json: exit status %d; stderr: %s", r.status,
          r.err ? r.err : "");
    if (!r.out || r.status != 0) {
        spawn_result_free(&r);
        return;
    }
    size_t len = strlen(r.out);
    CHECK(len > 0 && r.out[len - 1] == '\n' && strchr(r.out, '\n') == r.out + len - 1,
          "eval --json: stdout is not one line: %s", r.out);
    json_error_t error;
    json_t *o = json_loads(r.out, 0, &error);
    CHECK(json_is_object(o), "eval --json: not a JSON object (%s): %s",
          error.text, r.out);
    json_t *loss = json_object_get(o, "loss"), *bpc = json_object_get(o, "bpc"),
           *ppl = json_object_get(o, "ppl"), *tokens = json_object_get(o, "tokens");
    CHECK(json_is_number(loss) && json_is_number(bpc) && json_is_number(ppl) &&
              json_is_integer(tokens),
          "eval --json: missing loss, bpc, ppl or tokens: %s", r.out);
    if (json_is_number(loss) && json_is_number(bpc) && json_is_number(ppl) &&
        json_is_integer(tokens)) {
        double l = json_number_value(loss), b = json_number_value(bpc),
               p = json_number_value(ppl);
        json_int_t t = json_integer_value(tokens);
        CHECK(isfinite(l) && l > 0 && l < 10, "eval: loss %g", l);
        CHECK(fabs(b - l / log(2.0)) <= 1e-4, "eval: bpc %.6f is not loss / ln 2 "
              "= %.6f", b, l / log(2.0));
        CHECK(fabs(p - exp(l)) <= 1e-4 * exp(l), "eval: ppl %.6f is not "
              "exp(loss) = %.6f", p, exp(l));
        CHECK(t > 0 && (size_t)t < chars, "eval: %lld tokens of a text of %zu "
              "characters", (long long)t, chars);
    }
    json_decref(o);
    spawn_result_free(&r);
}

/* `recur sample` with the given temperature ("" for the default) and seed;
 * the output, checked to start with the prime 'é' followed by 50 characters
 * of the alphabet and a newline. Caller frees. */
static char *sample(const char *model, const char *temperature,
                    const char *seed, const alphabet *abc)
{
    arglist a = {{NULL}, 0};
    add(&a, "sample", "--model", model, "--length", "50", "--seed", seed,
        "--prime", "é", END);
    if (*temperature)
        add(&a, "--temperature", temperature, END);
    spawn_result r = run(&a);
    CHECK(r.status == 0, "sample (temperature %s, seed %s): exit status %d; "
          "stderr: %s", *temperature ? temperature : "default", seed, r.status,
          r.err ? r.err : "");
    char *out = r.out;
    r.out = NULL;
    spawn_result_free(&r);
    if (!out)
        return NULL;
    CHECK(strncmp(out, "é", strlen("é")) == 0, "sample: the output does not "
          "start with the prime 'é': %s", out);
    uint32_t *cps = NULL;
    size_t n = 0;
    recur_status s = utf8_decode((const unsigned char *)out, strlen(out),
                                       "sample output", &cps, &n);
    CHECK(s == RECUR_OK, "sample: the output is not UTF-8: %s", recur_last_error());
    if (s == RECUR_OK) {
        /* prime + 50 + the final newline */
        CHECK(n == 52 && cps[n - 1] == '\n', "sample: %zu characters after "
              "the prime, expected 50 and a newline: %s", n - 1, out);
        size_t foreign = 0;
        for (size_t i = 1; i < n; i++)
            foreign += !alphabet_has(abc, cps[i]);
        CHECK(foreign == 0, "sample: %zu characters not in the training text: "
              "%s", foreign, out);
    }
    free(cps);
    return out;
}

static void check_sample(const char *model, const alphabet *abc)
{
    char *one = sample(model, "", "3", abc), *two = sample(model, "", "3", abc);
    char *other = sample(model, "", "4", abc);
    CHECK(one && two && strcmp(one, two) == 0,
          "sample --seed 3 twice gave two texts:\n%s\n%s", one, two);
    CHECK(one && other && strcmp(one, other) != 0,
          "sample --seed 3 and --seed 4 gave the same text: %s", one);
    char *cold1 = sample(model, "0", "3", abc), *cold2 = sample(model, "0", "4", abc);
    CHECK(cold1 && cold2 && strcmp(cold1, cold2) == 0,
          "sample --temperature 0 is not deterministic:\n%s\n%s", cold1, cold2);
    free(one);
    free(two);
    free(other);
    free(cold1);
    free(cold2);
}

/* Text from the library's step API as `recur sample --temperature 1
 * --seed 7` draws it: feed the given code points from the zero state, then
 * `length` draws; returns the generated part as UTF-8 (caller frees), NULL
 * on failure. */
static char *library_text(const char *model, const uint32_t *feed, size_t n,
                          size_t length)
{
    recur_lm *lm = NULL;
    recur_lm_state *st = NULL;
    char *out = calloc(4 * length + 1, 1), buf[4];
    void *work = NULL;
    rng_state rng;
    rng_seed(&rng, 7);
    size_t used = 0, id;
    recur_status s = recur_lm_load(model, &lm);
    if (!s)
        s = recur_lm_state_create(lm, &st);
    if (!s) /* as recur sample does */
        s = recur_lm_pack_weights(lm);
    if (!s && !(work = malloc(sample_scratch_size(lm->V))))
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
    for (size_t i = 0; !s && i < n; i++) {
        s = recur_lm_get_token(lm, feed[i], &id);
        if (!s)
            s = recur_lm_state_feed(st, id);
    }
    for (size_t i = 0; !s && out && i < length; i++) {
        s = sample_token(recur_lm_state_get_logits(st), lm->V, 1.0f, 0,
                               1.0f, &rng, work, &id);
        if (!s) {
            size_t k = utf8_encode(recur_lm_get_codepoint(lm, id), buf);
            memcpy(out + used, buf, k);
            used += k;
            s = recur_lm_state_feed(st, id);
        }
    }
    CHECK(s == RECUR_OK, "text from %s: %s", model, recur_last_error());
    recur_lm_state_free(st);
    recur_lm_free(lm);
    free(work);
    if (s) {
        free(out);
        return NULL;
    }
    return out;
}

/* What `recur sample` feeds before the prime: an unprinted newline unless
 * --raw-start or the prime begins with one. The CLI's output must be the
 * prime followed by the library's text from exactly that feed (the model
 * is small enough that the newline changes the draws: checked too). */
static void check_raw_start(const char *model)
{
    char *outs[4] = {NULL};
    static const struct {
        const char *prime;
        int raw;
        uint32_t feed[3];
        size_t n;
    } cases[] = {
        {"é", 0, {'\n', 0xE9}, 2},
        {"é", 1, {0xE9}, 1},
        {"\né", 0, {'\n', 0xE9}, 2},
        {"\né", 1, {'\n', 0xE9}, 2},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        arglist a = {{NULL}, 0};
        add(&a, "sample", "--model", model, "--length", "40", "--temperature",
            "1", "--seed", "7", "--prime", cases[c].prime, END);
        if (cases[c].raw)
            add(&a, "--raw-start", END);
        spawn_result r = run(&a);
        char *want = library_text(model, cases[c].feed, cases[c].n, 40);
        size_t lp = strlen(cases[c].prime);
        int ok = r.status == 0 && r.out && want &&
                 strncmp(r.out, cases[c].prime, lp) == 0 &&
                 strncmp(r.out + lp, want, strlen(want)) == 0 &&
                 strcmp(r.out + lp + strlen(want), "\n") == 0;
        CHECK(ok, "sample --prime %s%s: got \"%s\", want the prime then "
              "\"%s\" (exit %d)", c >= 2 ? "'\\né'" : "'é'",
              cases[c].raw ? " --raw-start" : "", r.out ? r.out : "",
              want ? want : "", r.status);
        free(want);
        outs[c] = r.out;
        r.out = NULL;
        spawn_result_free(&r);
    }
    CHECK(outs[0] && outs[1] && strcmp(outs[0], outs[1]) != 0,
          "sample --prime 'é' gave the same text with and without --raw-start "
          "(the test cannot tell them apart): %s", outs[0] ? outs[0] : "");
    for (int c = 0; c < 4; c++)
        free(outs[c]);
}

/* --task wordlm end to end on the synthetic text read as words: the
 * checkpoint's task and words, eval (nats per word, no bpc, every next
 * word scored), sample (words of the text, <eos> as line breaks), resume
 * (the task from the checkpoint, a contradicting --task refused), and an
 * unseen word without <unk> refused naming its line. */
static void check_wordlm(const char *text_path, const char *text, size_t size)
{
    char model[300], buf[8192], other[300];
    in_scratch(model, sizeof model, "w.safetensors");
    arglist a = {{NULL}, 0};
    add(&a, "train", "--task", "wordlm", "--data", text_path, TINY, "--steps",
        "30", "--optimizer", "sgd", "--lr", "1", "--init", "uniform",
        "--save", model, END);
    spawn_result r = run(&a);
    CHECK(r.status == 0, "train --task wordlm: exit %d: %s", r.status,
          r.err ? r.err : "");
    spawn_result_free(&r);
    CHECK(!strcmp(meta_of(model, "task", buf, sizeof buf), "wordlm"),
          "wordlm checkpoint task '%s'", buf);
    word_list w = {0};
    word_vocab *v = NULL;
    int ok = words_split((const unsigned char *)text, size, NULL, &w) ==
                 RECUR_OK &&
             word_vocab_build(&w, &v) == RECUR_OK;
    CHECK(ok, "the synthetic text as words");
    meta_of(model, "words", buf, sizeof buf);
    /* The vocabulary of the first 90% of the words: a prefix's words are a
     * subset, checked word by word. */
    word_vocab *got = NULL;
    size_t lines = 1;
    for (const char *p = buf; *p; p++)
        lines += *p == '\n';
    CHECK(*buf && word_vocab_parse(buf, lines, &got) == RECUR_OK,
          "wordlm checkpoint words: %s", recur_last_error());
    for (size_t i = 0; got && v && i < word_vocab_size(got); i++)
        CHECK(word_vocab_find(v, word_vocab_word(got, i)) >= 0,
              "checkpoint word '%s' is not in the text",
              word_vocab_word(got, i));

    arglist e = {{NULL}, 0};
    add(&e, "eval", "--model", model, "--data", text_path, "--json", END);
    r = run(&e);
    json_error_t jerr;
    json_t *o = r.out ? json_loads(r.out, 0, &jerr) : NULL;
    json_t *tokens = json_object_get(o, "tokens");
    CHECK(r.status != 0 || (json_is_number(json_object_get(o, "loss")) &&
                            json_is_number(json_object_get(o, "ppl")) &&
                            !json_object_get(o, "bpc") &&
                            json_is_integer(tokens) &&
                            (size_t)json_integer_value(tokens) == w.count - 1),
          "eval of a word model: %s", r.out ? r.out : "");
    CHECK(r.status == 0, "eval of a word model: exit %d: %s", r.status,
          r.err ? r.err : "");
    json_decref(o);
    spawn_result_free(&r);

    arglist s = {{NULL}, 0};
    add(&s, "sample", "--model", model, "--length", "25", "--seed", "3",
        "--prime", "the river", END);
    r = run(&s);
    int foreign = 0, count = 0;
    if (r.status == 0 && r.out && got) {
        word_list out = {0};
        if (words_split((const unsigned char *)r.out, strlen(r.out),
                              NULL, &out) == RECUR_OK) {
            for (size_t i = 0; i < out.count; i++) {
                foreign += word_vocab_find(got, out.token[i]) < 0;
                count += strcmp(out.token[i], RECUR_EOS) != 0;
            }
            words_free(&out);
        }
    }
    CHECK(r.status == 0 && r.out && !strncmp(r.out, "the river", 9) &&
              foreign == 0 && count >= 2,
          "sample of a word model (exit %d, %d words not in the model): %s",
          r.status, foreign, r.out ? r.out : "");
    spawn_result_free(&r);

    arglist re = {{NULL}, 0};
    add(&re, "train", "--resume", model, "--data", text_path, "--steps", "35",
        "--threads", "1", "--save", model, END);
    r = run(&re);
    CHECK(r.status == 0, "resume of a wordlm run: exit %d: %s", r.status,
          r.err ? r.err : "");
    spawn_result_free(&r);
    arglist bad = {{NULL}, 0};
    add(&bad, "train", "--task", "charlm", "--resume", model, "--data",
        text_path, "--steps", "40", "--save", model, END);
    r = run(&bad);
    CHECK(r.status == 2 && r.err && strstr(r.err, "wordlm"),
          "resume of a wordlm run with --task charlm: exit %d: %s", r.status,
          r.err ? r.err : "");
    spawn_result_free(&r);

    in_scratch(other, sizeof other, "unseen.txt");
    const char unseen[] = "the river\nzyzzyva runs\n";
    CHECK(spawn_write_file(other, unseen, strlen(unseen)), "write %s", other);
    arglist u = {{NULL}, 0};
    add(&u, "eval", "--model", model, "--data", other, END);
    r = run(&u);
    CHECK(r.status == 1 && r.err && strstr(r.err, "line 2") &&
              strstr(r.err, "zyzzyva"),
          "eval with an unseen word: exit %d: %s", r.status,
          r.err ? r.err : "");
    spawn_result_free(&r);
    word_vocab_free(got);
    word_vocab_free(v);
    words_free(&w);
}

void test_cli_train_run(void)
{
    if (!scratch_open("recur-train"))
        return;
    char text_path[300], model[300];
    size_t size = 0;
    char *text = make_text(&size);
    in_scratch(text_path, sizeof text_path, "text.txt");
    in_scratch(model, sizeof model, "m.safetensors");
    int ok = text && spawn_write_file(text_path, text, size);
    CHECK(ok, "cannot write %s", text_path);
    if (ok) {
        alphabet abc;
        alphabet_of(text, size, &abc);
        uint32_t *cps = NULL;
        size_t chars = 0;
        utf8_decode((const unsigned char *)text, size, NULL, &cps, &chars);
        free(cps);
        check_train_outputs(text_path);
        check_resume(text_path);
        check_resume_writes_back(text_path);
        check_stale_temps(text_path);
        check_layer_norm(text_path);
        if (spawn_exists(model)) {
            check_eval(model, text_path, chars);
            check_sample(model, &abc);
            check_raw_start(model);
        }
        check_wordlm(text_path, text, size);
    }
    free(text);
    scratch_close();
}

/* ------------------------------------------------------------------------ */
/* Refusals                                                                  */

/* The existing checkpoint the refusals must leave alone: ck/m.safetensors
 * and what was written beside it. */
static const char *const ck_files[] = {"m.safetensors", "m.best.safetensors",
                                       "m.metrics.csv", "m.loss.svg"};
enum { N_CK = sizeof ck_files / sizeof *ck_files };

typedef struct {
    char dir[300];
    char *bytes[N_CK];
    size_t size[N_CK];
    int scratch_entries; /* entries of the scratch directory */
} snapshot;

static void snapshot_take(snapshot *s)
{
    char path[400];
    for (size_t i = 0; i < N_CK; i++) {
        snprintf(path, sizeof path, "%s/%s", s->dir, ck_files[i]);
        s->bytes[i] = spawn_read_file(path, &s->size[i]);
        CHECK(s->bytes[i] != NULL, "the first run did not write %s", path);
    }
    s->scratch_entries = spawn_count_entries(scratch);
}

static void snapshot_free(snapshot *s)
{
    for (size_t i = 0; i < N_CK; i++)
        free(s->bytes[i]);
}

/* The checkpoint directory holds exactly the snapshot's files, unchanged,
 * and the scratch directory no new entry. */
static void snapshot_check(const snapshot *s, const char *what)
{
    char path[400];
    for (size_t i = 0; i < N_CK; i++) {
        snprintf(path, sizeof path, "%s/%s", s->dir, ck_files[i]);
        size_t size = 0;
        char *now = spawn_read_file(path, &size);
        CHECK(now && s->bytes[i] && size == s->size[i] &&
                  memcmp(now, s->bytes[i], size) == 0,
              "%s: the failed run changed %s", what, path);
        free(now);
    }
    CHECK(spawn_count_entries(s->dir) == N_CK, "%s: the failed run left files "
          "in %s", what, s->dir);
    CHECK(spawn_count_entries(scratch) == s->scratch_entries, "%s: the failed "
          "run left files in %s", what, scratch);
}

/* Runs args; it must exit `want` (-1: 1 or 2) with a "recur <cmd>: "
 * message on stderr naming needle and needle2 (when not NULL) and print
 * nothing on stdout. */
static void expect_refusal(const char *what, const arglist *a, int want,
                           const char *needle, const char *needle2)
{
    spawn_result r = run(a);
    if (!r.err)
        return;
    CHECK(want < 0 ? r.status == 1 || r.status == 2 : r.status == want,
          "%s: exit status %d, expected %s; stderr: %s", what, r.status,
          want == 1 ? "1" : want == 2 ? "2" : "1 or 2", r.err);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "recur %s: ", a->v[0]);
    CHECK(strstr(r.err, prefix) != NULL, "%s: no '%s' message on stderr: %s",
          what, prefix, r.err);
    if (needle)
        CHECK(strstr(r.err, needle) != NULL, "%s: stderr does not mention "
              "'%s': %s", what, needle, r.err);
    if (needle2)
        CHECK(strstr(r.err, needle2) != NULL, "%s: stderr does not mention "
              "'%s': %s", what, needle2, r.err);
    CHECK(r.out[0] == '\0', "%s: printed on stdout: %s", what, r.out);
    spawn_result_free(&r);
}

typedef struct {
    const char *what;
    int tiny;                /* 1: the tiny model's options come first */
    const char *args[12];    /* after "train --task charlm" */
    int want;                /* exit status; -1: 1 or 2 */
    const char *needle, *needle2;
} train_case;

/* Each case twice: saving to a new path (nothing must appear there) and
 * over the existing checkpoint (which must stay as it was). */
static void refuse_train(const train_case *c, const snapshot *snap)
{
    char fresh[400], existing[400];
    snprintf(fresh, sizeof fresh, "%s/new.safetensors", snap->dir);
    snprintf(existing, sizeof existing, "%s/m.safetensors", snap->dir);
    const char *saves[2] = {fresh, existing};
    for (int pass = 0; pass < 2; pass++) {
        arglist a = {{NULL}, 0};
        add(&a, "train", "--task", "charlm", END);
        if (c->tiny)
            add(&a, TINY, "--steps", "3", END);
        add_list(&a, c->args);
        add(&a, "--save", saves[pass], END);
        char what[256];
        snprintf(what, sizeof what, "train, %s (%s)", c->what,
                 pass ? "over a checkpoint" : "new checkpoint");
        expect_refusal(what, &a, c->want, c->needle, c->needle2);
        snapshot_check(snap, what);
    }
}

/* Files the refusals read, in the scratch directory. */
typedef struct {
    char text[300], other[300], empty[300], bad[300], small[300], adir[300],
        absent[300], absent_ck[300], novocab[300], fixture[512], nodir[300],
        nodir_save[300], model[300];
} bad_files;

static int make_bad_files(bad_files *f, const char *text, size_t size)
{
    in_scratch(f->text, sizeof f->text, "text.txt");
    in_scratch(f->other, sizeof f->other, "other.txt");
    in_scratch(f->empty, sizeof f->empty, "empty.txt");
    in_scratch(f->bad, sizeof f->bad, "latin1.txt");
    in_scratch(f->small, sizeof f->small, "small.txt");
    in_scratch(f->adir, sizeof f->adir, "adir");
    in_scratch(f->absent, sizeof f->absent, "absent.txt");
    in_scratch(f->absent_ck, sizeof f->absent_ck, "absent.safetensors");
    in_scratch(f->novocab, sizeof f->novocab, "novocab.txt");
    in_scratch(f->nodir, sizeof f->nodir, "nodir");
    in_scratch(f->nodir_save, sizeof f->nodir_save, "nodir/m.safetensors");
    in_scratch(f->model, sizeof f->model, "ck/m.safetensors");
    snprintf(f->fixture, sizeof f->fixture, "%s/lstm-uni-L1/model.safetensors",
             test_fixture_dir());
    /* The text with one word changed: same length, other data. */
    char *other = malloc(size + 1), *novocab = malloc(size + 8);
    int ok = other && novocab;
    if (ok) {
        memcpy(other, text, size);
        other[size] = '\0';
        char *w = strstr(other, "river");
        ok = w != NULL;
        if (w)
            memcpy(w, "rivet", 5);
        /* 'Ж' (U+0416) in the middle of line 2. */
        const char *nl = strchr(text, '\n');
        size_t at = nl ? (size_t)(nl - text) + 4 : 0;
        memcpy(novocab, text, at);
        memcpy(novocab + at, "Ж", strlen("Ж"));
        memcpy(novocab + at + strlen("Ж"), text + at, size - at);
    }
    static const char latin1[] = "first line\nsecond line, caf\xe9 au lait\n";
    static const char small[] = "the river runs past old stones\n";
    ok = ok && spawn_write_file(f->text, text, size) &&
         spawn_write_file(f->other, other, size) &&
         spawn_write_file(f->empty, "", 0) &&
         spawn_write_file(f->bad, latin1, strlen(latin1)) &&
         spawn_write_file(f->small, small, strlen(small)) &&
         spawn_write_file(f->novocab, novocab, size + strlen("Ж")) &&
         mkdir(f->adir, 0700) == 0;
    free(other);
    free(novocab);
    CHECK(ok, "cannot write the test files in %s", scratch);
    return ok;
}

static void refuse_train_cases(const bad_files *f, const snapshot *snap)
{
    const train_case cases[] = {
        {.what = "no --data", .tiny = 1, .args = {NULL}, .want = 2,
         .needle = "--data", .needle2 = NULL},
        {.what = "--data missing", .tiny = 1, .args = {"--data", f->absent},
         .want = 1, .needle = f->absent, .needle2 = NULL},
        {.what = "--data a directory", .tiny = 1, .args = {"--data", f->adir},
         .want = 1, .needle = f->adir, .needle2 = NULL},
        {.what = "--data empty", .tiny = 1, .args = {"--data", f->empty},
         .want = 1, .needle = "empty", .needle2 = NULL},
        {.what = "--data not UTF-8", .tiny = 1, .args = {"--data", f->bad},
         .want = 1, .needle = "UTF-8", .needle2 = "line 2"},
        {.what = "--data too small for a batch", .tiny = 1,
         .args = {"--data", f->small, "--batch", "64", "--seq-len", "100"},
         .want = 1, .needle = "too small", .needle2 = NULL},
        {.what = "--hidden 0", .tiny = 1,
         .args = {"--data", f->text, "--hidden", "0"}, .want = 2,
         .needle = "--hidden", .needle2 = NULL},
        {.what = "--seq-len -1", .tiny = 1,
         .args = {"--data", f->text, "--seq-len", "-1"}, .want = 2,
         .needle = "--seq-len", .needle2 = NULL},
        {.what = "--lr nan", .tiny = 1,
         .args = {"--data", f->text, "--lr", "nan"}, .want = 2,
         .needle = "--lr", .needle2 = NULL},
        {.what = "--cell banana", .tiny = 1,
         .args = {"--data", f->text, "--cell", "banana"}, .want = 2,
         .needle = "--cell", .needle2 = "banana"},
        {.what = "--optimizer banana", .tiny = 1,
         .args = {"--data", f->text, "--optimizer", "banana"}, .want = 2,
         .needle = "--optimizer", .needle2 = "banana"},
        {.what = "--proj with --cell gru", .tiny = 1,
         .args = {"--data", f->text, "--proj", "4", "--cell", "gru"}, .want = 2,
         .needle = "--proj", .needle2 = NULL},
        {.what = "--layer-norm with --cell rnn", .tiny = 1,
         .args = {"--data", f->text, "--layer-norm", "--cell", "rnn"},
         .want = 2, .needle = "--layer-norm", .needle2 = NULL},
        {.what = "--layer-norm with --cell gru_reset_before", .tiny = 1,
         .args = {"--data", f->text, "--layer-norm", "--cell",
                  "gru_reset_before"},
         .want = 2, .needle = "--layer-norm", .needle2 = NULL},
        {.what = "--variational with --dropout 0", .tiny = 1,
         .args = {"--data", f->text, "--variational", "--dropout", "0"},
         .want = 2, .needle = "--variational", .needle2 = "--dropout"},
        {.what = "--tie with --embed 8 != --hidden 16", .tiny = 1,
         .args = {"--data", f->text, "--tie"}, .want = -1, .needle = "tie",
         .needle2 = NULL},
        {.what = "unknown option", .tiny = 1,
         .args = {"--data", f->text, "--frobnicate"}, .want = 2,
         .needle = "--frobnicate", .needle2 = NULL},
        {.what = "--resume missing", .tiny = 0,
         .args = {"--data", f->text, "--resume", f->absent_ck, "--steps", "3"},
         .want = 1, .needle = f->absent_ck, .needle2 = NULL},
        {.what = "--resume of a plain RNN file", .tiny = 0,
         .args = {"--data", f->text, "--resume", f->fixture, "--steps", "3"},
         .want = 1, .needle = f->fixture, .needle2 = NULL},
        {.what = "--resume on other data", .tiny = 0,
         .args = {"--data", f->other, "--resume", f->model, "--steps", "6"},
         .want = 1, .needle = "other data", .needle2 = NULL},
        {.what = "--resume with --hidden 32", .tiny = 0,
         .args = {"--data", f->text, "--resume", f->model, "--steps", "6",
                  "--hidden", "32"},
         .want = 2, .needle = "--hidden 32 differs",
         .needle2 = "checkpoint's 16"},
        {.what = "--resume with --batch 8", .tiny = 0,
         .args = {"--data", f->text, "--resume", f->model, "--steps", "6",
                  "--batch", "8"},
         .want = 2, .needle = "--batch 8 differs", .needle2 = "checkpoint's 4"},
        {.what = "--resume with --cell gru", .tiny = 0,
         .args = {"--data", f->text, "--resume", f->model, "--steps", "6",
                  "--cell", "gru"},
         .want = 2, .needle = "--cell gru differs",
         .needle2 = "checkpoint's lstm"},
        {.what = "--resume with --optimizer sgd", .tiny = 0,
         .args = {"--data", f->text, "--resume", f->model, "--steps", "6",
                  "--optimizer", "sgd"},
         .want = 2, .needle = "--optimizer sgd differs",
         .needle2 = "checkpoint's adam"},
        {.what = "--resume with --seed 2", .tiny = 0,
         .args = {"--data", f->text, "--resume", f->model, "--steps", "6",
                  "--seed", "2"},
         .want = 2, .needle = "--seed 2 differs", .needle2 = "checkpoint's 1"},
        {.what = "--resume with --layer-norm", .tiny = 0,
         .args = {"--data", f->text, "--resume", f->model, "--steps", "6",
                  "--layer-norm"},
         .want = 2, .needle = "--layer-norm is on here",
         .needle2 = "off in the checkpoint"},
        {.what = "--resume with --zoneout 0.1", .tiny = 0,
         .args = {"--data", f->text, "--resume", f->model, "--steps", "6",
                  "--zoneout", "0.1"},
         .want = 2, .needle = "--zoneout 0.1 differs",
         .needle2 = "checkpoint's 0 "},
        {.what = "--resume with --recurrent-dropout 0.1", .tiny = 0,
         .args = {"--data", f->text, "--resume", f->model, "--steps", "6",
                  "--recurrent-dropout", "0.1"},
         .want = 2, .needle = "--recurrent-dropout 0.1 differs",
         .needle2 = "checkpoint's 0 "},
        {.what = "--resume with --variational", .tiny = 0,
         .args = {"--data", f->text, "--resume", f->model, "--steps", "6",
                  "--variational"},
         .want = 2, .needle = "--variational is on here",
         .needle2 = "off in the checkpoint"},
        {.what = "--resume with --init uniform (not recorded)", .tiny = 0,
         .args = {"--data", f->text, "--resume", f->model, "--steps", "6",
                  "--init", "uniform"},
         .want = 2, .needle = "--init cannot be given with --resume",
         .needle2 = "does not record"},
        {.what = "--resume with --forget-bias (not recorded)", .tiny = 0,
         .args = {"--data", f->text, "--resume", f->model, "--steps", "6",
                  "--forget-bias"},
         .want = 2, .needle = "--forget-bias cannot be given with --resume",
         .needle2 = "does not record"},
        {.what = "--resume with --steps at the checkpoint's step", .tiny = 0,
         .args = {"--data", f->text, "--resume", f->model, "--steps", "3"},
         .want = 2, .needle = "at step 3 already", .needle2 = "nothing to do"},
        {.what = "--resume with --lr 0.1", .tiny = 0,
         .args = {"--data", f->text, "--resume", f->model, "--steps", "6",
                  "--lr", "0.1"},
         .want = 2, .needle = "--lr 0.1 differs",
         .needle2 = "checkpoint's 0.002"},
        {.what = "--resume with --lr 0.002 equal but --clip 1 not", .tiny = 0,
         .args = {"--data", f->text, "--resume", f->model, "--steps", "6",
                  "--lr", "0.002", "--clip", "1"},
         .want = 2, .needle = "--clip 1 differs", .needle2 = "checkpoint's 5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        refuse_train(&cases[i], snap);

    /* --save where no file can go: into a missing directory, or a path
     * that is a directory. */
    arglist a = {{NULL}, 0};
    add(&a, "train", "--task", "charlm", TINY, "--steps", "3", "--data", f->text,
        "--save", f->nodir_save, END);
    expect_refusal("train --save into a missing directory", &a, 1, "nodir", NULL);
    CHECK(!spawn_exists(f->nodir), "train --save into a missing directory "
          "created it");
    snapshot_check(snap, "train --save into a missing directory");
    arglist d = {{NULL}, 0};
    add(&d, "train", "--task", "charlm", TINY, "--steps", "3", "--data", f->text,
        "--save", f->adir, END);
    expect_refusal("train --save a directory", &d, 1, f->adir, NULL);
    CHECK(spawn_count_entries(f->adir) == 0, "train --save a directory wrote "
          "into it");
    snapshot_check(snap, "train --save a directory");
}

static void refuse_eval_sample(const bad_files *f, const snapshot *snap)
{
    struct {
        const char *what;
        const char *args[10];
        int want;
        const char *needle, *needle2;
    } cases[] = {
        {.what = "eval, model missing",
         .args = {"eval", "--model", f->absent_ck, "--data", f->text},
         .want = 1, .needle = f->absent_ck, .needle2 = NULL},
        {.what = "eval, no --data", .args = {"eval", "--model", f->model},
         .want = 2, .needle = "--data", .needle2 = NULL},
        {.what = "eval, a character not in the vocabulary",
         .args = {"eval", "--model", f->model, "--data", f->novocab}, .want = 1,
         .needle = "vocabulary", .needle2 = "line 2"},
        {.what = "eval, a plain RNN file",
         .args = {"eval", "--model", f->fixture, "--data", f->text}, .want = 1,
         .needle = f->fixture, .needle2 = NULL},
        {.what = "sample, no --model", .args = {"sample", "--length", "5"},
         .want = 2, .needle = "--model", .needle2 = NULL},
        {.what = "sample, --prime of an unknown character",
         .args = {"sample", "--model", f->model, "--prime", "Ж"}, .want = 1,
         .needle = "vocabulary", .needle2 = NULL},
        {.what = "sample, --prime ending in an unknown character",
         .args = {"sample", "--model", f->model, "--prime", "the riveQ"},
         .want = 1, .needle = "vocabulary", .needle2 = NULL},
        {.what = "sample, --top-p 0",
         .args = {"sample", "--model", f->model, "--top-p", "0"}, .want = 2,
         .needle = "--top-p", .needle2 = NULL},
        {.what = "sample, --temperature -1",
         .args = {"sample", "--model", f->model, "--temperature", "-1"},
         .want = 2, .needle = "--temperature", .needle2 = NULL},
        {.what = "sample, a plain RNN file",
         .args = {"sample", "--model", f->fixture}, .want = 1,
         .needle = f->fixture, .needle2 = NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        arglist a = {{NULL}, 0};
        add_list(&a, cases[i].args);
        expect_refusal(cases[i].what, &a, cases[i].want, cases[i].needle,
                       cases[i].needle2);
        snapshot_check(snap, cases[i].what);
    }
}

static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void check_help(void)
{
    static const char *const train_options[] = {
        "--task", "--data", "--val-data", "--val-fraction", "--cell", "--hidden",
        "--layers", "--embed", "--proj", "--tie", "--no-bias", "--dropout",
        "--init", "--forget-bias", "--layer-norm", "--seq-len", "--batch", "--optimizer",
        "--lr", "--momentum", "--nesterov", "--weight-decay", "--beta1",
        "--beta2", "--eps", "--schedule", "--decay-after", "--decay-factor",
        "--warmup", "--min-lr", "--patience", "--clip", "--epochs", "--steps",
        "--time-limit", "--val-every", "--save", "--save-every", "--resume",
        "--seed", "--threads", "--json", NULL};
    static const char *const eval_options[] = {
        "--model", "--data", "--batch", "--seq-len", "--threads", "--json", NULL};
    static const char *const sample_options[] = {
        "--model", "--prime", "--length", "--temperature", "--top-k", "--top-p",
        "--seed", "--threads", NULL};
    static const struct {
        const char *cmd;
        const char *const *options;
    } commands[] = {{"train", train_options}, {"eval", eval_options},
                    {"sample", sample_options}};
    for (size_t i = 0; i < 3; i++) {
        arglist a = {{NULL}, 0};
        add(&a, commands[i].cmd, "--help", END);
        spawn_result r = run(&a);
        if (!r.out)
            continue;
        CHECK(r.status == 0, "recur %s --help: exit status %d", commands[i].cmd,
              r.status);
        char usage[64];
        snprintf(usage, sizeof usage, "usage: recur %s", commands[i].cmd);
        CHECK(strncmp(r.out, usage, strlen(usage)) == 0,
              "recur %s --help does not start with '%s'", commands[i].cmd, usage);
        for (const char *const *o = commands[i].options; *o; o++) {
            char listed[64];
            snprintf(listed, sizeof listed, "\n  %s ", *o);
            char listed_eol[64];
            snprintf(listed_eol, sizeof listed_eol, "\n  %s\n", *o);
            CHECK(strstr(r.out, listed) || strstr(r.out, listed_eol),
                  "recur %s --help does not list %s", commands[i].cmd, *o);
        }
        if (i == 0)
            CHECK(count_of(r.out, "(default") >= 20,
                  "recur train --help gives %zu defaults", count_of(r.out, "(default"));
        spawn_result_free(&r);
    }
}

void test_cli_train_bad_inputs(void)
{
    if (!scratch_open("recur-train"))
        return;
    size_t size = 0;
    char *text = make_text(&size);
    bad_files f;
    snapshot snap = {.dir = {0}, .bytes = {NULL}, .size = {0},
                     .scratch_entries = 0};
    in_scratch(snap.dir, sizeof snap.dir, "ck");
    if (text && make_bad_files(&f, text, size) && mkdir(snap.dir, 0700) == 0) {
        const char *extra[] = {"--steps", "3", NULL};
        if (train("the checkpoint the refusals keep", f.text, f.model, extra,
                  NULL) == 0) {
            snapshot_take(&snap);
            refuse_train_cases(&f, &snap);
            refuse_eval_sample(&f, &snap);
        }
    }
    check_help();
    snapshot_free(&snap);
    free(text);
    scratch_close();
}
