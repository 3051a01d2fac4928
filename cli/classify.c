/*
 * classify.c — `recur train|eval|predict --task classify`: text
 * classification, many-to-one (the article's LSTMClassifier): tokens
 * (words or characters, tokens.h) → embedding → bidirectional RNN stack →
 * the final states of both directions (or the mean / max over the steps)
 * → linear → softmax. Data: one labelled text per line, TSV or CSV
 * (labeled.h). Without a test file the examples are split, stratified and
 * seeded: --test-fraction for testing, --val-fraction for validation.
 * A bag-of-words logistic regression (bow.h) trained on the same examples
 * is the baseline, scored in the same run.
 *
 * The checkpoint keeps the tokenizer, the vocabulary and the class names
 * in __metadata__ (tokens, lowercase, vocab, labels), so eval and predict
 * read raw text.
 */
#include "eval/bow.h"
#include "eval/classmetrics.h"
#include "cli.h"
#include "base/error.h"
#include "data/labeled.h"
#include "io/st_meta.h"
#include "seqtask.h"
#include "data/split.h"
#include "data/text.h"
#include "data/tokens.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const seqtask_defaults classify_defaults = {
    .hidden = "64", .layers = "1", .embed = "64", .batch = "32",
    .epochs = "10", .lr = "2e-3", .dropout = "0.3", .patience = "3",
    .pool = "last", .pools = "last|mean|max", .clip = "5",
    .bidirectional = 1,
};

/* The data options shared by train and eval. */
typedef struct {
    const char *format, *label_column, *header;
} format_opts;

#define FORMAT_SPECS(f)                                                        \
    {"--format", OPT_CHOICE, &(f)->format, "tsv", "file layout: tab-separated (no quoting) or comma-separated with RFC-4180 quotes", "tsv|csv", 0, 0, NULL, NULL},  \
    {"--label-column", OPT_CHOICE, &(f)->label_column, "first", "where the label is: before the text (SMS spam) or after it (the sentiment sets)", "first|last", 0, 0, NULL, NULL}, \
    {"--header", OPT_CHOICE, &(f)->header, "auto", "CSV: the first record is a header (auto: when its label appears nowhere else)", "auto|yes|no", 0, 0, NULL, NULL}

static labeled_format layout(const format_opts *f)
{
    labeled_format lf = {
        .layout = !strcmp(f->format, "csv") ? RECUR_LABELED_CSV : RECUR_LABELED_TSV,
        .label_column = !strcmp(f->label_column, "last"),
        .header = !strcmp(f->header, "yes") ? 1 : !strcmp(f->header, "no") ? 0 : -1,
    };
    return lf;
}

typedef struct {
    tokenizer tk;
    const tok_vocab *vocab;
    const char *const *labels;
    size_t K;
} classifier;

static recur_status write_meta(void *ctx, st_writer *w)
{
    const classifier *c = ctx;
    char *vocab = tok_vocab_join(c->vocab);
    char *labels = labels_join(c->labels, c->K);
    recur_status s = vocab && labels ? RECUR_OK
                                     : error_fail(RECUR_ERR_MEMORY, "out of memory");
    if (!s) s = st_writer_meta(w, "tokens", c->tk.mode == RECUR_TOKENS_CHAR ? "char" : "word");
    if (!s) s = meta_put(w, "lowercase", "%d", c->tk.lowercase);
    if (!s) s = st_writer_meta(w, "vocab", vocab);
    if (!s) s = st_writer_meta(w, "labels", labels);
    free(vocab);
    free(labels);
    return s;
}

/* The tokenizer, vocabulary and classes a checkpoint holds. */
static recur_status read_classifier(const st_file *st, const char *path,
                                    const seq_model *m, classifier *c,
                                    tok_vocab **vocab, char ***labels)
{
    const char *tokens = st_meta(st, "tokens"), *v = st_meta(st, "vocab"),
               *l = st_meta(st, "labels");
    size_t lower = 0;
    if (!tokens || !v || !l || (strcmp(tokens, "word") && strcmp(tokens, "char")))
        return error_fail(RECUR_ERR_FORMAT, "%s: not a classifier's checkpoint "
                          "(__metadata__ tokens, vocab or labels missing)", path);
    recur_status s = meta_size(st, path, "lowercase", 1, &lower);
    if (!s)
        s = tok_vocab_parse(v, seq_model_config(m)->vocab_size, vocab);
    if (!s)
        s = labels_parse(l, labels, &c->K);
    if (!s && c->K != seq_model_config(m)->outputs)
        s = error_fail(RECUR_ERR_FORMAT, "%s: %zu labels for %zu outputs", path,
                       c->K, seq_model_config(m)->outputs);
    c->tk.mode = !strcmp(tokens, "char") ? RECUR_TOKENS_CHAR : RECUR_TOKENS_WORD;
    c->tk.lowercase = (int)lower;
    c->vocab = *vocab;
    c->labels = (const char *const *)*labels;
    return s;
}

/* Predicted class of each example: the argmax of pred [n, K]. */
static void argmax_rows(const float *pred, size_t n, size_t K, int32_t *out)
{
    for (size_t i = 0; i < n; i++) {
        size_t best = 0;
        for (size_t k = 1; k < K; k++)
            if (pred[i * K + k] > pred[i * K + best])
                best = k;
        out[i] = (int32_t)best;
    }
}

/* Scores m on d: the report on stdout (or the figures for JSON). */
static recur_status score(seq_model *m, const seq_data *d, size_t batch,
                          const char *const *names, int print,
                          class_metrics *mt, double *loss)
{
    const size_t K = d->outputs;
    float *pred = malloc(d->n * K * sizeof(float));
    int32_t *cls = malloc(d->n * sizeof(int32_t));
    recur_status s = pred && cls ? RECUR_OK : error_fail(RECUR_ERR_MEMORY, "out of memory");
    if (!s)
        s = fit_evaluate(m, d, batch, loss, pred);
    if (!s) {
        argmax_rows(pred, d->n, K, cls);
        s = class_metrics_compute(d->label, cls, d->n, K, mt);
    }
    if (!s && print)
        s = class_metrics_print(stdout, mt, names);
    free(pred);
    free(cls);
    return s;
}

int cmd_train_classify(int argc, char **argv)
{
    seqtask_opts o;
    format_opts fo;
    const char *task = NULL, *data = NULL, *test_data = NULL, *val_data = NULL,
               *tokens = NULL, *export_path = NULL;
    size_t min_count, max_vocab, bow_epochs;
    double test_fraction, val_fraction;
    int lowercase = 0, json = 0;
    opt_spec specs[SEQTASK_SPECS + 20] = {
        {"--task", OPT_CHOICE, &task, NULL, "what to learn", "classify", 0, 0, NULL, NULL},
        {"--data", OPT_STRING, &data, NULL, "labelled texts, one per line (required)", NULL, 0, 0, "FILE", NULL},
        FORMAT_SPECS(&fo),
        {"--val-data", OPT_STRING, &val_data, NULL, "validation examples (default: --val-fraction of --data)", NULL, 0, 0, "FILE", NULL},
        {"--test-data", OPT_STRING, &test_data, NULL, "test examples (default: --test-fraction of --data)", NULL, 0, 0, "FILE", NULL},
        {"--test-fraction", OPT_FLOAT, &test_fraction, "0.2", "share of --data held out for testing, stratified by class and seeded by --seed", NULL, 0.01, 0.9, NULL, NULL},
        {"--val-fraction", OPT_FLOAT, &val_fraction, "0.1", "share of --data held out for validation (the best epoch is kept)", NULL, 0.01, 0.9, NULL, NULL},
        {"--tokens", OPT_CHOICE, &tokens, "word", "tokens: words (lowercased, punctuation separate) or characters", "word|char", 0, 0, NULL, NULL},
        {"--lowercase", OPT_FLAG, &lowercase, NULL, "character tokens: lowercase ASCII letters", NULL, 0, 0, NULL, NULL},
        {"--min-count", OPT_SIZE, &min_count, "2", "tokens seen fewer times in training become <unk>", NULL, 1, 1000000, "N", NULL},
        {"--max-vocab", OPT_SIZE, &max_vocab, "0", "at most this many token ids, <pad> and <unk> included (0: no limit)", NULL, 0, 100000000, "V", NULL},
        {"--bow-epochs", OPT_SIZE, &bow_epochs, "10", "epochs of the bag-of-words baseline (0: no baseline)", NULL, 0, 100000, "N", NULL},
        {"--export-data", OPT_STRING, &export_path, NULL, "also write the prepared examples for tools/seq_torch.py", NULL, 0, 0, "PATH", NULL},
        {"--json", OPT_FLAG, &json, NULL, "the results as one JSON object on stdout", NULL, 0, 0, NULL, NULL},
    };
    size_t own = seqtask_count(specs);
    size_t n = own + seqtask_specs(&o, &classify_defaults, specs + own);
    int rc = opt_parse("train", "--task classify --data FILE [options]",
                       "Trains a text classifier (embedding -> bidirectional RNN "
                       "-> final states -> linear -> softmax) on labelled lines; "
                       "reports accuracy, per-class precision, recall and F1 and "
                       "the confusion matrix on the test examples, beside a "
                       "bag-of-words logistic regression trained on the same "
                       "examples.",
                       specs, n, argc, argv);
    if (rc)
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    if (!data) {
        cli_error("train", "--data FILE is required");
        return EXIT_USAGE;
    }
    recur_set_threads((int)o.threads);
    labeled_format lf = layout(&fo);
    labeled_set all = {0}, test = {0}, val = {0};
    tok_vocab *vocab = NULL;
    seq_data d[3];
    memset(d, 0, sizeof d);
    size_t *idx = NULL, n_idx[3] = {0, 0, 0};
    seq_model *m = NULL;
    seqtask_run run = {0};
    bow_model *bow = NULL;
    class_metrics mt = {0}, bmt = {0};
    classifier cl = {.tk = {!strcmp(tokens, "char") ? RECUR_TOKENS_CHAR : RECUR_TOKENS_WORD,
                            lowercase}};
    recur_status s = labeled_read(data, &lf, &all);
    if (!s && all.classes < 2)
        s = error_fail(RECUR_ERR_ARGUMENT, "%s: every example is of class "
                       "'%.40s': a classifier needs examples of 2 or more",
                       data, all.class_name[0]);
    if (!s && test_data && !(s = labeled_read(test_data, &lf, &test)))
        s = labeled_relabel(&test, test_data, all.class_name, all.classes);
    if (!s && val_data && !(s = labeled_read(val_data, &lf, &val)))
        s = labeled_relabel(&val, val_data, all.class_name, all.classes);
    /* idx: [train | val | test] indices into `all` for the parts taken from it. */
    if (!s && !(idx = malloc(3 * all.n * sizeof(size_t))))
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
    if (!s) {
        size_t *train = idx, *vpart = idx + all.n, *tpart = idx + 2 * all.n;
        size_t kept = all.n;
        for (size_t i = 0; i < all.n; i++)
            train[i] = i;
        if (!test_data) {
            s = split_stratified(all.label, NULL, all.n, all.classes,
                                       test_fraction, o.seed, tpart, &n_idx[2],
                                       train, &kept);
        }
        if (!s && !val_data) {
            size_t *pool = malloc(kept * sizeof(size_t));
            if (!pool) {
                s = error_fail(RECUR_ERR_MEMORY, "out of memory");
            } else {
                memcpy(pool, train, kept * sizeof(size_t));
                double f = val_fraction / (test_data ? 1.0 : 1.0 - test_fraction);
                s = split_stratified(all.label, pool, kept, all.classes,
                                           f < 0.9 ? f : 0.9, o.seed + 1, vpart,
                                           &n_idx[1], train, &kept);
                free(pool);
            }
        }
        n_idx[0] = kept;
    }
    /* A part the split leaves empty, said in the options' terms. */
    static const char *const part_name[3] = {"training", "validation", "test"};
    for (int p = 0; !s && p < 3; p++)
        if (n_idx[p] == 0 && !(p == 1 && val_data) && !(p == 2 && test_data))
            s = error_fail(RECUR_ERR_ARGUMENT, "%s: %zu example%s none "
                           "for the %s part (--test-fraction %g, "
                           "--val-fraction %g, each class split alike); give "
                           "more examples%s", data, all.n,
                           all.n == 1 ? " leaves" : "s leave", part_name[p],
                           test_fraction,
                           val_fraction,
                           p == 1 ? " or --val-data"
                           : p == 2 ? " or --test-data" : "");
    if (!s)
        s = tok_vocab_build(all.text, idx, n_idx[0], &cl.tk, min_count,
                                 max_vocab, &vocab);
    if (!s)
        s = labeled_encode(&all, idx, n_idx[0], &cl.tk, vocab, &d[0]);
    if (!s && val_data) {
        s = labeled_encode(&val, NULL, val.n, &cl.tk, vocab, &d[1]);
    } else if (!s) {
        s = labeled_encode(&all, idx + all.n, n_idx[1], &cl.tk, vocab, &d[1]);
    }
    if (!s && test_data) {
        s = labeled_encode(&test, NULL, test.n, &cl.tk, vocab, &d[2]);
    } else if (!s) {
        s = labeled_encode(&all, idx + 2 * all.n, n_idx[2], &cl.tk, vocab, &d[2]);
    }
    cl.vocab = vocab;
    cl.labels = all.class_name;
    cl.K = all.classes;
    if (!s && export_path) {
        const seq_data *parts[3] = {&d[0], &d[1], &d[2]};
        s = seqtask_export(export_path, parts, write_meta, &cl);
    }
    seq_config c;
    if (!s)
        s = seqtask_config(&o, tok_vocab_size(vocab), 0, all.classes,
                           SEQ_LOSS_XENT, &c);
    if (!s)
        s = seqtask_train("train", "classify", &o, &c, &d[0], &d[1], write_meta,
                          &cl, &m, &run);
    double test_loss = NAN;
    if (!s && !json)
        printf("test: %zu examples\n", d[2].n);
    if (!s)
        s = score(m, &d[2], o.batch, all.class_name, !json, &mt, &test_loss);
    /* The baseline on the same examples. */
    if (!s && bow_epochs) {
        bow_options bo = bow_defaults();
        bo.epochs = bow_epochs;
        bo.seed = o.seed;
        int32_t *pred = malloc(d[2].n * sizeof(int32_t));
        if (!pred)
            s = error_fail(RECUR_ERR_MEMORY, "out of memory");
        if (!s)
            s = bow_train(&d[0], tok_vocab_size(vocab), &bo, &bow);
        if (!s)
            s = bow_predict(bow, &d[2], pred, NULL);
        if (!s)
            s = class_metrics_compute(d[2].label, pred, d[2].n, all.classes, &bmt);
        free(pred);
    }
    if (s) {
        rc = cli_fail("train", s);
    } else if (json) {
        char best_val[32];
        printf("{\"task\": \"classify\", \"epochs\": %zu, \"best_epoch\": %zu, \"train_seconds\": %.2f, \"best_val_loss\": %s, \"params\": %zu, \"vocab\": %zu, "
               "\"train\": %zu, \"val\": %zu, \"test\": %zu, \"test_loss\": %.6f, "
               "\"accuracy\": %.6f, \"macro_f1\": %.6f", run.epochs, run.best_epoch, run.seconds,
               seqtask_json_number(best_val, sizeof best_val, "%.6g", run.best_val),
               seq_model_size(m), tok_vocab_size(vocab), d[0].n, d[1].n, d[2].n, test_loss,
               mt.accuracy, mt.macro_f1);
        if (bow_epochs)
            printf(", \"bow_accuracy\": %.6f, \"bow_macro_f1\": %.6f",
                   bmt.accuracy, bmt.macro_f1);
        printf("}\n");
    } else {
        printf("test loss %.4f\n", test_loss);
        if (bow_epochs)
            printf("bag-of-words logistic regression on the same examples: "
                   "accuracy %.4f, macro-F1 %.4f\n", bmt.accuracy, bmt.macro_f1);
    }
    class_metrics_free(&mt);
    class_metrics_free(&bmt);
    bow_free(bow);
    for (int i = 0; i < 3; i++)
        seq_data_free(&d[i]);
    free(idx);
    tok_vocab_free(vocab);
    seq_model_free(m);
    labeled_free(&all);
    labeled_free(&test);
    labeled_free(&val);
    return rc;
}

int cmd_eval_classify(int argc, char **argv)
{
    format_opts fo;
    const char *task = NULL, *model = NULL, *data = NULL;
    size_t threads, batch;
    int json = 0;
    const opt_spec specs[] = {
        {"--task", OPT_CHOICE, &task, NULL, "what the model does (default: the checkpoint's task)", "classify", 0, 0, NULL, NULL},
        {"--model", OPT_STRING, &model, NULL, "checkpoint written by recur train --task classify (required)", NULL, 0, 0, "PATH", NULL},
        {"--data", OPT_STRING, &data, NULL, "labelled texts to score (required)", NULL, 0, 0, "FILE", NULL},
        FORMAT_SPECS(&fo),
        {"--batch", OPT_SIZE, &batch, "64", "examples per batch", NULL, 1, 100000, "B", NULL},
        {"--threads", OPT_SIZE, &threads, "0", "threads (0: all cores)", NULL, 0, 1024, "N", NULL},
        {"--json", OPT_FLAG, &json, NULL, "one JSON object on stdout", NULL, 0, 0, NULL, NULL},
    };
    int rc = opt_parse("eval", "[--task classify] --model PATH --data FILE [options]",
                       "Scores a classifier on labelled texts: accuracy, "
                       "per-class precision, recall and F1, confusion matrix.",
                       specs, sizeof specs / sizeof *specs, argc, argv);
    if (rc)
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    if (!model || !data) {
        cli_error("eval", "--model and --data are required");
        return EXIT_USAGE;
    }
    recur_set_threads((int)threads);
    labeled_format lf = layout(&fo);
    seq_model *m = NULL;
    st_file *st = NULL;
    tok_vocab *vocab = NULL;
    char **labels = NULL;
    classifier cl = {0};
    labeled_set lab = {0};
    seq_data d = {0};
    class_metrics mt = {0};
    double loss = NAN;
    recur_status s = seqtask_load(model, "classify", &m, &st);
    if (!s)
        s = read_classifier(st, model, m, &cl, &vocab, &labels);
    if (!s)
        s = labeled_read(data, &lf, &lab);
    if (!s)
        s = labeled_relabel(&lab, data, cl.labels, cl.K);
    if (!s)
        s = labeled_encode(&lab, NULL, lab.n, &cl.tk, vocab, &d);
    if (!s)
        s = score(m, &d, batch, cl.labels, !json, &mt, &loss);
    if (s)
        rc = cli_fail("eval", s);
    else if (json)
        printf("{\"examples\": %zu, \"loss\": %.6f, \"accuracy\": %.6f, "
               "\"macro_f1\": %.6f}\n", d.n, loss, mt.accuracy, mt.macro_f1);
    else
        printf("loss %.4f over %zu examples\n", loss, d.n);
    class_metrics_free(&mt);
    seq_data_free(&d);
    labeled_free(&lab);
    free(labels);
    tok_vocab_free(vocab);
    seq_model_free(m);
    st_free(st);
    return rc;
}

/* One text as the tokens of a one-example seq_data. */
static recur_status encode_text(const classifier *cl, const char *text,
                                token_list *tok, seq_data *d)
{
    recur_status s = tokenize(&cl->tk, text, tok);
    if (s)
        return s;
    size_t n = tok->count ? tok->count : 1;
    int32_t *t = realloc(d->tokens, n * sizeof(int32_t));
    if (!t)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    d->tokens = t;
    t[0] = RECUR_TOKEN_UNK; /* an empty text is one <unk>, as in training */
    for (size_t i = 0; i < tok->count; i++)
        t[i] = tok_vocab_find(cl->vocab, tok->token[i]);
    d->offset[1] = n;
    return RECUR_OK;
}

int cmd_predict_classify(int argc, char **argv)
{
    const char *task = NULL, *model = NULL, *input = NULL;
    size_t threads;
    const opt_spec specs[] = {
        {"--task", OPT_CHOICE, &task, NULL, "what the model does (default: the checkpoint's task)", "classify", 0, 0, NULL, NULL},
        {"--model", OPT_STRING, &model, NULL, "checkpoint written by recur train --task classify (required)", NULL, 0, 0, "PATH", NULL},
        {"--data", OPT_STRING, &input, "-", "texts to classify, one per line (UTF-8; - reads standard input)", NULL, 0, 0, "FILE", NULL},
        {"--threads", OPT_SIZE, &threads, "1", "threads", NULL, 0, 1024, "N", NULL},
    };
    int rc = opt_parse("predict", "[--task classify] --model PATH [--data FILE]",
                       "Classifies texts, one per line: prints the predicted "
                       "label and the probability of every class (tab-separated, "
                       "a header line first).",
                       specs, sizeof specs / sizeof *specs, argc, argv);
    if (rc)
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    if (!model) {
        cli_error("predict", "--model is required");
        return EXIT_USAGE;
    }
    recur_set_threads((int)threads);
    seq_model *m = NULL;
    st_file *st = NULL;
    tok_vocab *vocab = NULL;
    char **labels = NULL;
    classifier cl = {0};
    token_list tok = {0};
    size_t offset[2] = {0, 0}, zero = 0;
    int32_t label = 0;
    seq_data d = {.n = 1, .offset = offset, .label = &label};
    char *line = NULL;
    size_t cap = 0, line_no = 0;
    FILE *in = NULL;
    recur_status s = seqtask_load(model, "classify", &m, &st);
    if (!s)
        s = read_classifier(st, model, m, &cl, &vocab, &labels);
    if (!s && !(in = strcmp(input, "-") ? fopen(input, "r") : stdin))
        s = error_fail(RECUR_ERR_IO, "cannot open %s", input);
    float *p = s ? NULL : malloc(cl.K * sizeof(float));
    if (!s && !p)
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
    if (!s) {
        printf("label");
        for (size_t k = 0; k < cl.K; k++)
            printf("\tp(%s)", cl.labels[k]);
        printf("\n");
    }
    d.outputs = cl.K;
    ssize_t len;
    size_t line_start = 0; /* the line's byte offset in the input */
    while (!s && (len = getline(&line, &cap, in)) >= 0) {
        line_no++;
        size_t next_start = line_start + (size_t)len, bad_at;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        char why[160];
        if ((size_t)len != strlen(line)) { /* getline reads NUL bytes too */
            s = error_fail(RECUR_ERR_FORMAT, "%s: line %zu, byte %zu: a NUL "
                           "byte is not text", input, line_no,
                           line_start + strlen(line));
            break;
        }
        if (!utf8_is_valid((const unsigned char *)line, (size_t)len,
                              &bad_at, why, sizeof why)) {
            s = error_fail(RECUR_ERR_FORMAT, "%s: line %zu, byte %zu: invalid "
                           "UTF-8 (%s)", input, line_no, line_start + bad_at, why);
            break;
        }
        line_start = next_start;
        double loss;
        size_t counted;
        s = encode_text(&cl, line, &tok, &d);
        if (!s)
            s = seq_model_batch(m, &d, &zero, 1, 0, &loss, &counted, p);
        if (s) {
            char inner[512];
            snprintf(inner, sizeof inner, "%s", recur_last_error());
            s = error_fail(s, "%s: line %zu: %s", input, line_no, inner);
            break;
        }
        size_t best = 0;
        for (size_t k = 1; k < cl.K; k++)
            if (p[k] > p[best])
                best = k;
        printf("%s", cl.labels[best]);
        for (size_t k = 0; k < cl.K; k++)
            printf("\t%.4f", p[k]);
        printf("\n");
    }
    if (s)
        rc = cli_fail("predict", s);
    if (in && in != stdin)
        fclose(in);
    free(line);
    free(p);
    free(d.tokens);
    tokens_free(&tok);
    free(labels);
    tok_vocab_free(vocab);
    seq_model_free(m);
    st_free(st);
    return rc;
}
