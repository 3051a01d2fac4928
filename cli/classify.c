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
 * read raw text; reading them and encoding a text are the library's
 * (model/classifier.h), which recur_model_classify shares.
 */
#include "eval/bow.h"
#include "eval/classmetrics.h"
#include "cli.h"
#include "guard.h"
#include "base/error.h"
#include "data/labeled.h"
#include "model/classifier.h"
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
    .bidirectional = 1, .save = "classify.safetensors",
};

/* The data options shared by train and eval. */
typedef struct {
    const char *format, *label_column, *header;
} format_opts;

#define FORMAT_SPECS(f)                                                        \
    {.name = "--format", .type = OPT_CHOICE, .dest = &(f)->format, .def = "tsv", .help = "file layout: tab-separated (no quoting) or comma-separated with RFC-4180 quotes", .choices = "tsv|csv"},  \
    {.name = "--label-column", .type = OPT_CHOICE, .dest = &(f)->label_column, .def = "first", .help = "where the label is: before the text (SMS spam) or after it (the sentiment sets)", .choices = "first|last"}, \
    {.name = "--header", .type = OPT_CHOICE, .dest = &(f)->header, .def = "auto", .help = "CSV: the first record is a header (auto: when its label appears nowhere else)", .choices = "auto|yes|no"}

static labeled_format layout(const format_opts *f)
{
    labeled_format lf = {
        .layout = !strcmp(f->format, "csv") ? RECUR_LABELED_CSV : RECUR_LABELED_TSV,
        .label_column = !strcmp(f->label_column, "last"),
        .header = !strcmp(f->header, "yes") ? 1 : !strcmp(f->header, "no") ? 0 : -1,
    };
    return lf;
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

/* The majority-class baseline: the class most frequent among the training
 * labels (the lowest id on a tie), and its accuracy on test. */
static double majority_accuracy(const seq_data *train, const seq_data *test,
                                size_t K, size_t *cls)
{
    size_t *count = calloc(K, sizeof(size_t)), best = 0, hit = 0;
    for (size_t i = 0; count && i < train->n; i++)
        count[train->label[i]]++;
    for (size_t k = 1; count && k < K; k++)
        if (count[k] > count[best])
            best = k;
    for (size_t i = 0; i < test->n; i++)
        hit += (size_t)test->label[i] == best;
    free(count);
    *cls = best;
    return test->n ? (double)hit / (double)test->n : NAN;
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
        {.name = "--task", .type = OPT_CHOICE, .dest = &task, .help = "what to learn", .choices = "classify"},
        {.name = "--data", .type = OPT_STRING, .dest = &data, .help = "labelled texts, one per line (required)", .metavar = "FILE"},
        FORMAT_SPECS(&fo),
        {.name = "--val-data", .type = OPT_STRING, .dest = &val_data, .help = "validation examples (default: --val-fraction of --data)", .metavar = "FILE"},
        {.name = "--test-data", .type = OPT_STRING, .dest = &test_data, .help = "test examples (default: --test-fraction of --data)", .metavar = "FILE"},
        {.name = "--test-fraction", .type = OPT_FLOAT, .dest = &test_fraction, .def = "0.2", .help = "share of --data held out for testing, stratified by class and seeded by --seed", .min = 0.01, .max = 0.9},
        {.name = "--val-fraction", .type = OPT_FLOAT, .dest = &val_fraction, .def = "0.1", .help = "share of --data held out for validation (the best epoch is kept)", .min = 0.01, .max = 0.9},
        {.name = "--tokens", .type = OPT_CHOICE, .dest = &tokens, .def = "word", .help = "tokens: words (lowercased, punctuation separate) or characters", .choices = "word|char"},
        {.name = "--lowercase", .type = OPT_FLAG, .dest = &lowercase, .help = "character tokens: lowercase ASCII letters"},
        {.name = "--min-count", .type = OPT_SIZE, .dest = &min_count, .def = "2", .help = "tokens seen fewer times in training become <unk>", .min = 1, .max = 1000000, .metavar = "N"},
        {.name = "--max-vocab", .type = OPT_SIZE, .dest = &max_vocab, .def = "0", .help = "at most this many token ids, <pad> and <unk> included (0: no limit)", .min = 0, .max = 100000000, .metavar = "V"},
        {.name = "--bow-epochs", .type = OPT_SIZE, .dest = &bow_epochs, .def = "10", .help = "epochs of the bag-of-words baseline (0: no baseline)", .min = 0, .max = 100000, .metavar = "N"},
        {.name = "--export-data", .type = OPT_STRING, .dest = &export_path, .help = "also write the prepared examples for tools/seq_torch.py", .metavar = "PATH"},
        {.name = "--json", .type = OPT_FLAG, .dest = &json, .help = "the results as one JSON object on stdout"},
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
    /* From here every path ends at guard_end. */
    if ((rc = guard_begin("train", o.save)) != EXIT_OK)
        return rc;
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
        s = seqtask_export(export_path, parts, classifier_write_meta, &cl);
    }
    seq_config c;
    if (!s)
        s = seqtask_config(&o, tok_vocab_size(vocab), 0, all.classes,
                           SEQ_LOSS_XENT, &c);
    if (!s)
        s = seqtask_train("classify", &o, &c, &d[0], &d[1],
                          classifier_write_meta, &cl, &m, &run);
    if (!s && run.signal) { /* SIGINT, SIGTERM: saved, the test not scored */
        rc = seqtask_stopped("train", "classify", &o, &run);
        goto done;
    }
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
    /* The better baseline by accuracy: bag-of-words or the majority class. */
    size_t major = 0;
    double major_acc = s ? NAN : majority_accuracy(&d[0], &d[2], all.classes, &major);
    int bow_better = bow_epochs && bmt.accuracy > major_acc;
    const char *base_name = bow_better ? "bag-of-words" : "majority-class";
    double base_acc = bow_better ? bmt.accuracy : major_acc;
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
        char major_text[32], base_text[32]; /* no test examples: null */
        printf(", \"majority_accuracy\": %s, \"baseline\": \"%s\", "
               "\"baseline_accuracy\": %s, \"beats_baseline\": %s}\n",
               seqtask_json_number(major_text, sizeof major_text, "%.6f",
                                   major_acc),
               bow_better ? "bow" : "majority",
               seqtask_json_number(base_text, sizeof base_text, "%.6f", base_acc),
               seqtask_verdict("accuracy", mt.accuracy, base_name, base_acc,
                               0, 0) ? "true" : "false");
    } else {
        printf("test loss %.4f\n", test_loss);
        if (bow_epochs)
            printf("bag-of-words logistic regression on the same examples: "
                   "accuracy %.4f, macro-F1 %.4f\n", bmt.accuracy, bmt.macro_f1);
        printf("majority class (%s, the most frequent in training): accuracy "
               "%.4f\n", all.class_name[major], major_acc);
        seqtask_verdict("accuracy", mt.accuracy, base_name, base_acc, 0, 1);
    }
    if (!rc)
        seqtask_saved("train", &o, &run);
done:
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
    guard_end();
    return rc;
}

int cmd_eval_classify(int argc, char **argv)
{
    format_opts fo;
    const char *task = NULL, *model = NULL, *data = NULL;
    size_t threads, batch;
    int json = 0;
    const opt_spec specs[] = {
        {.name = "--task", .type = OPT_CHOICE, .dest = &task, .help = "what the model does (default: the checkpoint's task)", .choices = "classify"},
        {.name = "--model", .type = OPT_STRING, .dest = &model, .help = "checkpoint written by recur train --task classify (required)", .metavar = "PATH"},
        {.name = "--data", .type = OPT_STRING, .dest = &data, .help = "labelled texts to score (required)", .metavar = "FILE"},
        FORMAT_SPECS(&fo),
        {.name = "--batch", .type = OPT_SIZE, .dest = &batch, .def = "64", .help = "examples per batch", .min = 1, .max = 100000, .metavar = "B"},
        {.name = "--threads", .type = OPT_SIZE, .dest = &threads, .def = "0", .help = "threads (0: all cores)", .min = 0, .max = 1024, .metavar = "N"},
        {.name = "--json", .type = OPT_FLAG, .dest = &json, .help = "one JSON object on stdout"},
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
        s = classifier_read(st, model, m, &cl, &vocab, &labels);
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

int cmd_predict_classify(int argc, char **argv)
{
    const char *task = NULL, *model = NULL, *input = NULL;
    size_t threads;
    const opt_spec specs[] = {
        {.name = "--task", .type = OPT_CHOICE, .dest = &task, .help = "what the model does (default: the checkpoint's task)", .choices = "classify"},
        {.name = "--model", .type = OPT_STRING, .dest = &model, .help = "checkpoint written by recur train --task classify (required)", .metavar = "PATH"},
        {.name = "--data", .type = OPT_STRING, .dest = &input, .def = "-", .help = "texts to classify, one per line (UTF-8; - reads standard input)", .metavar = "FILE"},
        {.name = "--threads", .type = OPT_SIZE, .dest = &threads, .def = "1", .help = "threads", .min = 0, .max = 1024, .metavar = "N"},
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
    size_t offset[2] = {0, 0};
    int32_t label = 0;
    seq_data d = {.n = 1, .offset = offset, .label = &label};
    char *line = NULL;
    size_t cap = 0, line_no = 0;
    FILE *in = NULL;
    recur_status s = seqtask_load(model, "classify", &m, &st);
    if (!s)
        s = classifier_read(st, model, m, &cl, &vocab, &labels);
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
        size_t best;
        s = classifier_predict(m, &cl, line, &tok, &d, p, &best);
        if (s) {
            char inner[512];
            snprintf(inner, sizeof inner, "%s", recur_last_error());
            s = error_fail(s, "%s: line %zu: %s", input, line_no, inner);
            break;
        }
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
