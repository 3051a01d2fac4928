/*
 * info.c — `recur info FILE.safetensors [--json]`: what a safetensors file
 * holds — every __metadata__ key and value (long ones shortened, with
 * their length), a summary line of what the file is when recur knows the
 * format (a checkpoint of recur train: its task and architecture; an RNN
 * stack; the output of recur forward), one line per tensor with dtype,
 * shape and, for float tensors, min / max / mean, and the RNN stacks recur
 * reads off it: a stack and its gradients (grad.<name>, as recur forward
 * writes them) are told apart. --json gives all of it, the metadata
 * values whole, as one JSON object.
 */
#include "cli.h"
#include "data/dates.h"
#include "io/safetensors.h"
#include "stack/rnn_io.h"
#include "stack/stack.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: recur info FILE.safetensors [--json]\n"
    "\n"
    "Lists what a safetensors file holds: every __metadata__ key and value\n"
    "(long values shortened, with their length), what the file is when recur\n"
    "knows the format (a checkpoint's task and architecture, an RNN stack, the\n"
    "output of recur forward), the tensors (dtype, shape, min/max/mean of\n"
    "float tensors) and the RNN stacks it holds, a stack's gradients\n"
    "(grad.<name>) named as such.\n"
    "\n"
    "options:\n"
    "  --json                everything as one JSON object on stdout, the\n"
    "                        metadata values whole\n"
    "  -h, --help            this text\n";

enum { MAX_STACKS = 8, PREVIEW = 40, SHORT_VALUE = 60 };

/* An RNN stack of the file: where it is, and whose gradients it holds. */
typedef struct {
    char prefix[RECUR_PREFIX_MAX];
    recur_rnn *rnn;
    int gradient_of;           /* index of the stack, -1: none in the file,
                                  -2: not gradients */
} stack_found;

typedef struct {
    const char *path;
    const st_file *st;
    stack_found stack[MAX_STACKS];
    size_t stacks;
    size_t params;             /* float tensor elements, a trainer's state
                                  (optim.*, train.*) left out */
} file_info;

/* ---- the stacks ---- */

static void find_stacks(file_info *fi)
{
    const char *suffix = "weight_ih_l0";
    size_t ns = strlen(suffix);
    for (size_t i = 0; i < st_count(fi->st) && fi->stacks < MAX_STACKS; i++) {
        const char *name = st_at(fi->st, i)->name;
        size_t n = strlen(name);
        if (n < ns || strcmp(name + n - ns, suffix) || n - ns >= RECUR_PREFIX_MAX)
            continue;
        stack_found *sf = &fi->stack[fi->stacks];
        memcpy(sf->prefix, name, n - ns);
        sf->prefix[n - ns] = '\0';
        if (rnn_from_st_prefix(fi->st, fi->path, sf->prefix, &sf->rnn) == RECUR_OK)
            fi->stacks++;
    }
    /* "grad.P" holds the gradients of the stack at P (recur forward names
     * them grad.<name in M>); without that stack in the file, of one
     * elsewhere. */
    for (size_t i = 0; i < fi->stacks; i++) {
        stack_found *sf = &fi->stack[i];
        sf->gradient_of = -2;
        if (strncmp(sf->prefix, "grad.", 5) != 0)
            continue;
        sf->gradient_of = -1;
        for (size_t j = 0; j < fi->stacks; j++)
            if (j != i && !strcmp(fi->stack[j].prefix, sf->prefix + 5) &&
                recur_rnn_get_flat_size(fi->stack[j].rnn) ==
                    recur_rnn_get_flat_size(sf->rnn))
                sf->gradient_of = (int)j;
    }
}

/* "LSTM, input 5, hidden 6, 1 layer, bidirectional, no bias, 744
 * parameters" */
static void stack_text(const recur_rnn *rnn, char *buf, size_t size)
{
    const recur_rnn_config *c = recur_rnn_get_config(rnn);
    char proj[32] = "";
    if (c->proj_size)
        snprintf(proj, sizeof proj, ", proj %zu", c->proj_size);
    snprintf(buf, size, "%s, input %zu, hidden %zu%s, %zu layer%s, %s, %s%s, "
             "%zu parameters", recur_mode_str(c->mode), c->input_size,
             c->hidden_size, proj, c->num_layers, c->num_layers > 1 ? "s" : "",
             c->bidirectional ? "bidirectional" : "unidirectional",
             c->bias ? "bias" : "no bias", c->layer_norm ? ", layer norm" : "",
             recur_rnn_get_flat_size(rnn));
}

/* ---- metadata values ---- */

/* How a long value is counted: the characters of a character vocabulary,
 * the entries of a newline-separated list, else its characters. */
static const char *value_unit(const file_info *fi, const char *key, int *lines)
{
    const char *format = st_meta(fi->st, "format");
    int lm = format && !strcmp(format, "recur-lm");
    *lines = 1;
    if (!strcmp(key, "words"))
        return "words";
    if (!strcmp(key, "vocab") && !lm)
        return "tokens";
    if (!strcmp(key, "labels"))
        return "labels";
    *lines = 0;
    return "characters";
}

static size_t count_units(const char *v, int lines)
{
    size_t n = 0;
    if (lines) {
        n = *v != '\0';
        for (const char *p = v; *p; p++)
            n += *p == '\n';
    } else {
        for (const unsigned char *p = (const unsigned char *)v; *p; p++)
            n += (*p & 0xC0) != 0x80; /* UTF-8 lead bytes */
    }
    return n;
}

static int needs_quoting(const char *v)
{
    if (strlen(v) > SHORT_VALUE)
        return 1;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < ' ' || *p == 0x7f)
            return 1;
    return 0;
}

/* `key = value`, or for a long value or one with control characters
 * `key (N units): "its first characters, escaped…"`. */
static void print_meta(const file_info *fi, const char *key, const char *v)
{
    if (!needs_quoting(v)) {
        printf("  %s = %s\n", key, v);
        return;
    }
    int lines;
    const char *unit = value_unit(fi, key, &lines);
    size_t n = count_units(v, lines);
    printf("  %s (%zu %s): \"", key, n, unit);
    size_t shown = 0;
    const unsigned char *p = (const unsigned char *)v;
    for (; *p && shown < PREVIEW; shown++) {
        if (*p == '\n' || *p == '\t' || *p == '\r' || *p == '"' || *p == '\\') {
            printf("\\%c", *p == '\n' ? 'n' : *p == '\t' ? 't' : *p == '\r' ? 'r' : *p);
            p++;
        } else if (*p < ' ' || *p == 0x7f) {
            printf("\\x%02x", *p++);
        } else { /* one code point, all its bytes */
            do
                putchar(*p++);
            while ((*p & 0xC0) == 0x80);
        }
    }
    printf("%s\"\n", *p ? "\xe2\x80\xa6" : ""); /* … */
}

/* ---- what the file is ---- */

static const char *meta_or(const file_info *fi, const char *key, const char *dflt)
{
    const char *v = st_meta(fi->st, key);
    return v && *v ? v : dflt;
}

static int meta_on(const file_info *fi, const char *key)
{
    const char *v = st_meta(fi->st, key);
    return v && !strcmp(v, "1");
}

#define ADD(...)                                                              \
    do {                                                                      \
        if (used < size)                                                      \
            used += (size_t)snprintf(buf + used, size - used, __VA_ARGS__);   \
    } while (0)

/* "LSTM, bidirectional, 2 layers of 256 units (projection 64), layer norm" */
static size_t arch_text(const file_info *fi, char *buf, size_t size)
{
    size_t used = 0;
    const char *layers = meta_or(fi, "num_layers", "?");
    ADD("%s%s, %s layer%s of %s units", meta_or(fi, "mode", "?"),
        meta_on(fi, "bidirectional") ? ", bidirectional" : "", layers,
        strcmp(layers, "1") ? "s" : "", meta_or(fi, "hidden_size", "?"));
    const char *proj = st_meta(fi->st, "proj_size");
    if (proj && strcmp(proj, "0"))
        ADD(" (projection %s)", proj);
    if (meta_on(fi, "layer_norm"))
        ADD(", layer norm");
    return used;
}

/* A forecaster's dates: "dated by column 'month', monthly (P1M), the
 * training data up to 1960-12"; nothing without a date column. A
 * checkpoint without date_step predates dated forecasts; an empty one had
 * dates at no constant step. Either way predict numbers its forecasts by
 * step, and this says so. */
static size_t dates_text(const file_info *fi, char *buf, size_t size)
{
    size_t used = 0;
    const char *date = st_meta(fi->st, "date");
    if (!date || !*date)
        return 0;
    ADD(", dated by column '%.40s'", date);
    const char *step = st_meta(fi->st, "date_step");
    date_step ds;
    if (!step) {
        ADD(" (saved before forecasts had dates: predict numbers them by step)");
        return used;
    }
    if (!*step)
        ADD(" at no constant step (predict numbers the forecasts by step)");
    else if (date_step_parse(step, &ds) != RECUR_OK)
        ADD(" at a step recur cannot read ('%.20s')", step);
    else {
        /* "monthly", "quarterly", "every 2 months"; "daily", "every 3 days" */
        long n = ds.months ? ds.months : ds.days;
        const char *word = ds.months ? (n == 1 ? "monthly" : n == 3 ? "quarterly"
                                        : n == 12 ? "yearly" : NULL)
                                     : (n == 1 ? "daily" : n == 7 ? "weekly"
                                                                  : NULL);
        if (word)
            ADD(", %s (%s)", word, step);
        else
            ADD(", every %ld %s (%s)", n, ds.months ? "months" : "days", step);
    }
    const char *last = st_meta(fi->st, "date_last");
    if (last && *last)
        ADD(", its training data ending %.40s", last);
    return used;
}

/* The first few entries of a newline-separated list: "neg, pos". */
static size_t list_text(const char *v, size_t most, char *buf, size_t size)
{
    size_t used = 0, k = 0;
    for (const char *p = v; *p && k < most; k++) {
        size_t len = strcspn(p, "\n");
        ADD("%s%.*s", k ? ", " : "", (int)(len < 40 ? len : 40), p);
        p += len + (p[len] == '\n');
        if (k + 1 == most && *p)
            ADD(", ...");
    }
    return used;
}

static int summary_text(const file_info *fi, char *buf, size_t size)
{
    size_t used = 0;
    const char *format = st_meta(fi->st, "format");
    const char *task = st_meta(fi->st, "task");
    const char *noun = cli_task_noun(task);
    if (format && !strcmp(format, "recur-tagger")) {
        ADD("%s (task tag): ", noun ? noun : "a sequence tagger");
        used += arch_text(fi, buf + used, used < size ? size - used : 0);
        ADD(" over word embeddings (%s, %s words)", meta_or(fi, "word_embed", "?"),
            meta_or(fi, "words", "?"));
        if (strcmp(meta_or(fi, "char_hidden", "0"), "0"))
            ADD(" and a character BiLSTM (%s per direction, %s characters)",
                meta_or(fi, "char_hidden", "?"), meta_or(fi, "chars", "?"));
        ADD(", %s %s tags (", meta_or(fi, "tags", "?"),
            meta_or(fi, "tag_column", "?"));
        const char *tags = st_meta(fi->st, "tag_names");
        if (tags)
            used += list_text(tags, 6, buf + used, used < size ? size - used : 0);
        ADD(") by %s, %zu parameters", meta_on(fi, "crf") ? "a CRF" : "softmax",
            fi->params);
        return 1;
    }
    if (format && (!strcmp(format, "recur-lm") || !strcmp(format, "recur-seq"))) {
        ADD("%s (task %s): ", noun ? noun : "a model of an unknown task",
            task ? task : "none");
        used += arch_text(fi, buf + used, used < size ? size - used : 0);
        const char *vocab = st_meta(fi->st, "words");
        if (!vocab)
            vocab = st_meta(fi->st, "vocab");
        if (vocab && !strcmp(format, "recur-lm"))
            ADD(", embedding %s, vocabulary of %zu %s%s",
                meta_or(fi, "embed_size", "?"),
                count_units(vocab, st_meta(fi->st, "words") != NULL),
                st_meta(fi->st, "words") ? "words" : "characters",
                meta_on(fi, "tie_weights") ? " (tied)" : "");
        if (task && !strcmp(task, "classify")) {
            ADD(", %s tokens, vocabulary of %s", meta_or(fi, "tokens", "?"),
                meta_or(fi, "vocab_size", "?"));
            const char *labels = st_meta(fi->st, "labels");
            if (labels) {
                ADD(", %zu classes (", count_units(labels, 1));
                used += list_text(labels, 6, buf + used,
                                  used < size ? size - used : 0);
                ADD(")");
            }
        } else if (task && !strcmp(task, "forecast")) {
            ADD(", target '%s' from %s steps", meta_or(fi, "target", "?"),
                meta_or(fi, "lookback", "?"));
            const char *features = st_meta(fi->st, "features");
            if (features && *features)
                ADD(" (with %s)", features);
            ADD(", horizon %s (%s)", meta_or(fi, "horizon", "?"),
                meta_or(fi, "strategy", "?"));
            used += dates_text(fi, buf + used, used < size ? size - used : 0);
        } else if (task && !strcmp(task, "music")) {
            ADD(", %s keys", meta_or(fi, "outputs", "?"));
        }
        ADD(", %zu parameters", fi->params);
        const char *step = st_meta(fi->st, "train.step");
        if (step) {
            ADD("; trained %s steps (epoch %s)", step,
                meta_or(fi, "train.epoch", "?"));
            double best = strtod(meta_or(fi, "train.best_val", "nan"), NULL);
            if (isfinite(best))
                ADD(", best validation loss %.4f", best);
        }
        return 1;
    }
    /* Files of recur forward: its inputs, its output. */
    int grads = 0, plain = 0;
    for (size_t i = 0; i < fi->stacks; i++) {
        grads += fi->stack[i].gradient_of != -2;
        plain += fi->stack[i].gradient_of == -2;
    }
    if (st_find(fi->st, "output") && st_find(fi->st, "h_n")) {
        ADD("the output of recur forward (output, h_n%s%s)",
            st_find(fi->st, "c_n") ? ", c_n" : "",
            st_find(fi->st, "grad_input") ? ", grad_input" : "");
        if (grads)
            ADD(" with the gradients of an RNN stack (grad.<name>)");
        return 1;
    }
    if (st_find(fi->st, "input") && !fi->stacks) {
        ADD("inputs for recur forward");
        return 1;
    }
    if (plain && grads)
        ADD("an RNN stack and its gradients (grad.<name>)");
    else if (plain)
        ADD("an RNN stack%s", plain > 1 ? "s" : "");
    else if (grads)
        ADD("the gradients of an RNN stack (grad.<name>)");
    return used > 0;
}

#undef ADD

/* ---- tensors ---- */

/* min, max, mean of a float tensor; 0 for another dtype or none. */
static int tensor_stats(const st_tensor *t, double *lo, double *hi, double *mean)
{
    if (t->numel == 0)
        return 0;
    float *v = malloc(t->numel * sizeof(float));
    if (!v || st_to_f32(t, v)) {
        free(v);
        return 0;
    }
    double sum = 0;
    *lo = *hi = v[0];
    for (size_t i = 0; i < t->numel; i++) {
        *lo = v[i] < *lo ? v[i] : *lo;
        *hi = v[i] > *hi ? v[i] : *hi;
        sum += v[i];
    }
    *mean = sum / (double)t->numel;
    free(v);
    return 1;
}

/* ---- output ---- */

static void print_text(const file_info *fi, const char *summary)
{
    size_t nm = st_meta_count(fi->st);
    printf("%s: %zu tensors, %zu metadata key%s\n", fi->path, st_count(fi->st),
           nm, nm == 1 ? "" : "s");
    if (nm)
        printf("metadata:\n");
    for (size_t i = 0; i < nm; i++) {
        const char *key = NULL, *v = NULL;
        st_meta_at(fi->st, i, &key, &v);
        print_meta(fi, key, v);
    }
    if (summary)
        printf("summary: %s\n", summary);
    for (size_t i = 0; i < st_count(fi->st); i++) {
        const st_tensor *t = st_at(fi->st, i);
        char shape[160] = "[";
        double lo, hi, mean;
        for (size_t k = 0; k < t->ndim; k++)
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape),
                     "%s%zu", k ? "," : "", t->shape[k]);
        strncat(shape, "]", sizeof shape - strlen(shape) - 1);
        printf("%-32s %-5s %-14s", t->name, st_dtype_str(t->dtype), shape);
        if (tensor_stats(t, &lo, &hi, &mean))
            printf("  min %-11.5g max %-11.5g mean %.5g", lo, hi, mean);
        putchar('\n');
    }
    for (size_t i = 0; i < fi->stacks; i++) {
        const stack_found *sf = &fi->stack[i];
        char text[256];
        stack_text(sf->rnn, text, sizeof text);
        if (sf->gradient_of >= 0)
            printf("gradients of RNN stack '%s' (%s<name>): %zu values\n",
                   fi->stack[sf->gradient_of].prefix, sf->prefix,
                   recur_rnn_get_flat_size(sf->rnn));
        else if (sf->gradient_of == -1)
            printf("gradients of an RNN stack (%s<name>): %s\n", sf->prefix, text);
        else
            printf("RNN stack '%s': %s\n", sf->prefix, text);
    }
}

/* A number, or null where JSON has none (NaN, inf). */
static json_t *json_number(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static int print_json(const file_info *fi, const char *summary)
{
    json_t *o = json_object(), *meta = json_object(), *tensors = json_array(),
           *stacks = json_array();
    json_object_set_new(o, "path", json_string(fi->path));
    const char *task = st_meta(fi->st, "task");
    json_object_set_new(o, "task", task ? json_string(task) : json_null());
    json_object_set_new(o, "summary", summary ? json_string(summary) : json_null());
    for (size_t i = 0; i < st_meta_count(fi->st); i++) {
        const char *key = NULL, *v = NULL;
        st_meta_at(fi->st, i, &key, &v);
        json_object_set_new(meta, key, json_string(v));
    }
    json_object_set_new(o, "metadata", meta);
    for (size_t i = 0; i < st_count(fi->st); i++) {
        const st_tensor *t = st_at(fi->st, i);
        json_t *shape = json_array(), *e = json_object();
        for (size_t k = 0; k < t->ndim; k++)
            json_array_append_new(shape, json_integer((json_int_t)t->shape[k]));
        json_object_set_new(e, "name", json_string(t->name));
        json_object_set_new(e, "dtype", json_string(st_dtype_str(t->dtype)));
        json_object_set_new(e, "shape", shape);
        double lo, hi, mean;
        if (tensor_stats(t, &lo, &hi, &mean)) {
            json_object_set_new(e, "min", json_number(lo));
            json_object_set_new(e, "max", json_number(hi));
            json_object_set_new(e, "mean", json_number(mean));
        }
        json_array_append_new(tensors, e);
    }
    json_object_set_new(o, "tensors", tensors);
    for (size_t i = 0; i < fi->stacks; i++) {
        const stack_found *sf = &fi->stack[i];
        const recur_rnn_config *c = recur_rnn_get_config(sf->rnn);
        json_t *e = json_object();
        json_object_set_new(e, "prefix", json_string(sf->prefix));
        json_object_set_new(e, "gradients", json_boolean(sf->gradient_of != -2));
        json_object_set_new(e, "gradients_of",
                            sf->gradient_of >= 0
                                ? json_string(fi->stack[sf->gradient_of].prefix)
                                : json_null());
        json_object_set_new(e, "mode", json_string(recur_mode_str(c->mode)));
        json_object_set_new(e, "input_size", json_integer((json_int_t)c->input_size));
        json_object_set_new(e, "hidden_size", json_integer((json_int_t)c->hidden_size));
        json_object_set_new(e, "proj_size", json_integer((json_int_t)c->proj_size));
        json_object_set_new(e, "num_layers", json_integer((json_int_t)c->num_layers));
        json_object_set_new(e, "bidirectional", json_boolean(c->bidirectional));
        json_object_set_new(e, "bias", json_boolean(c->bias));
        json_object_set_new(e, "layer_norm", json_boolean(c->layer_norm));
        json_object_set_new(e, "parameters",
                            json_integer((json_int_t)recur_rnn_get_flat_size(sf->rnn)));
        json_array_append_new(stacks, e);
    }
    json_object_set_new(o, "stacks", stacks);
    char *text = json_dumps(o, JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII |
                                   JSON_REAL_PRECISION(9));
    json_decref(o);
    if (!text) {
        cli_error("info", "out of memory");
        return EXIT_FAILURE_DATA;
    }
    printf("%s\n", text);
    free(text);
    return EXIT_OK;
}

int cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return EXIT_OK;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            cli_error("info", "unknown option '%s' (see recur info --help)",
                      argv[i]);
            return EXIT_USAGE;
        } else if (path) {
            cli_error("info", "one file at a time (got '%s' and '%s')", path,
                      argv[i]);
            return EXIT_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    st_file *st;
    recur_status s = st_read(path, &st);
    if (s)
        return cli_fail("info", s);
    file_info fi = {.path = path, .st = st};
    for (size_t i = 0; i < st_count(st); i++) {
        const st_tensor *t = st_at(st, i);
        if ((t->dtype == RECUR_DT_F32 || t->dtype == RECUR_DT_F64 ||
             t->dtype == RECUR_DT_F16 || t->dtype == RECUR_DT_BF16) &&
            strncmp(t->name, "optim.", 6) && strncmp(t->name, "train.", 6))
            fi.params += t->numel;
    }
    find_stacks(&fi);
    char summary[1024];
    int have = summary_text(&fi, summary, sizeof summary);
    int rc = EXIT_OK;
    if (json)
        rc = print_json(&fi, have ? summary : NULL);
    else
        print_text(&fi, have ? summary : NULL);
    for (size_t i = 0; i < fi.stacks; i++)
        recur_rnn_free(fi.stack[i].rnn);
    st_free(st);
    return rc;
}
