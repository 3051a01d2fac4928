/*
 * tag.c — `recur train|eval|predict --task tag`: sequence tagging, one tag
 * per token (part of speech, named entities), many-to-many aligned: a word
 * + character BiLSTM with a softmax or CRF output (model/tagger.h). Data:
 * CoNLL-U (the UPOS or XPOS column) or two columns token TAB tag
 * (data/tagged.h). The checkpoint keeps the vocabularies and the tag set
 * (model/tagging.h), so eval and predict read raw sentences.
 *
 * Training reports, on --test-data, the accuracy, the accuracy on words
 * unseen in training (out of vocabulary: the word's key is <unk>), macro
 * F1, per-tag scores and, for BIO tags, entity F1 as conlleval computes it
 * (eval/tagmetrics.h), beside the most-frequent-tag baseline (each known
 * word's most frequent training tag, the most frequent tag overall for
 * unknown words).
 */
#include "cli.h"
#include "guard.h"
#include "seqtask.h"
#include "base/error.h"
#include "data/gz.h"
#include "data/tagged.h"
#include "eval/tagmetrics.h"
#include "model/tagging.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const seqtask_defaults tag_defaults = {
    .hidden = "300", .layers = "2", .embed = "100", .batch = "32",
    .epochs = "50", .lr = "2e-3", .dropout = "0.5", .patience = "15",
    .lr_decay = "0.8",
    .pool = "step", .pools = NULL, .clip = "5", .bidirectional = 1,
    .save = "tag.safetensors",
};

/* The data options shared by train, eval and predict. */
typedef struct {
    const char *format, *column;
} data_opts;

#define DATA_SPECS(f, coldef, colchoices)                                                  \
    {.name = "--format", .type = OPT_CHOICE, .dest = &(f)->format, .def = "auto", .help = "CoNLL-U (ten columns, '#' comments) or two columns token TAB tag with a blank line between sentences; auto: CoNLL-U when the first line that is not a comment has ten columns (gzip-compressed files are read as they are)", .choices = "auto|conllu|columns"}, \
    {.name = "--tag-column", .type = OPT_CHOICE, .dest = &(f)->column, .def = coldef, .help = "CoNLL-U: the column holding the tags (model: the one the model was trained on)", .choices = colchoices}

static tagged_format data_format(const data_opts *f)
{
    return !strcmp(f->format, "conllu")    ? TAGGED_CONLLU
           : !strcmp(f->format, "columns") ? TAGGED_COLUMNS
                                           : TAGGED_AUTO;
}

static tagged_column data_column(const char *c)
{
    return !strcmp(c, "xpos") ? TAGGED_XPOS : TAGGED_UPOS;
}

/* ---- the tagger as fit's model ---- */

static size_t tag_count(const void *d) { return ((const tag_data *)d)->n; }
static size_t tag_length(const void *d, size_t i) { return tag_len(d, i); }
static void tag_training(void *m, int on) { tagger_set_training(m, on); }
static void tag_seed(void *m, uint64_t seed) { tagger_set_seed(m, seed); }
static recur_status tag_batch(void *m, const void *d, const size_t *idx,
                              size_t B, int grads, double *loss_sum,
                              size_t *counted)
{
    return tagger_batch(m, d, idx, B, grads, loss_sum, counted, NULL);
}

/* The best epoch is the one of the best validation accuracy, as taggers
 * are compared (the loss keeps falling while the accuracy levels off, and
 * rises again once the model grows overconfident). */
static recur_status tag_validate(void *m, const void *data, size_t batch,
                                 double *mean_loss, double *accuracy)
{
    const tag_data *d = data;
    const size_t N = d->offset[d->n];
    int32_t *pred = malloc(N * sizeof *pred);
    if (!pred)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    recur_status s = tagging_run(m, d, batch, pred, mean_loss);
    size_t right = 0;
    for (size_t k = 0; !s && k < N; k++)
        right += pred[k] == d->tag[k];
    free(pred);
    if (!s)
        *accuracy = (double)right / (double)N;
    return s;
}

static fit_model fit_tagger(tagger *m)
{
    return (fit_model){.model = m, .size = tagger_size(m),
                       .params = tagger_params(m), .grads = tagger_grads(m),
                       .count = tag_count, .length = tag_length,
                       .set_training = tag_training, .set_seed = tag_seed,
                       .batch = tag_batch, .metric = "accuracy",
                       .validate = tag_validate};
}

/* ---- scoring ---- */

/* The most-frequent-tag baseline's predictions for d: each word id's most
 * frequent tag in train (the lowest id on a tie), the most frequent tag
 * overall for <unk> and words never tagged in train. */
static recur_status baseline_predict(const tag_data *train, const tag_data *d,
                                     size_t V, int32_t *pred)
{
    const size_t K = train->tags, N = train->offset[train->n];
    if (V > SIZE_MAX / K / sizeof(uint32_t))
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    uint32_t *count = calloc(V * K, sizeof *count);
    size_t *total = calloc(K, sizeof *total);
    if (!count || !total) {
        free(count);
        free(total);
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    }
    for (size_t k = 0; k < N; k++) {
        count[(size_t)train->word[k] * K + (size_t)train->tag[k]]++;
        total[train->tag[k]]++;
    }
    size_t top = 0;
    for (size_t t = 1; t < K; t++)
        if (total[t] > total[top])
            top = t;
    for (size_t k = 0; k < d->offset[d->n]; k++) {
        const uint32_t *c = count + (size_t)d->word[k] * K;
        size_t best = top;
        if (d->word[k] != RECUR_TOKEN_UNK)
            for (size_t t = 0; t < K; t++)
                if (c[t] > c[best] || (c[t] == c[best] && c[t] && t < best))
                    best = t;
        pred[k] = (int32_t)best;
    }
    free(count);
    free(total);
    return RECUR_OK;
}

/* Tags d with m and scores the tags against d's: *mt (free with
 * tag_metrics_free), *loss the mean loss per token. base (may be NULL):
 * the baseline's predictions, scored into *bmt. */
static recur_status score(tagger *m, const tag_data *d, const tag_vocabs *v,
                          size_t batch, const int32_t *base, tag_metrics *mt,
                          tag_metrics *bmt, double *loss)
{
    const size_t N = d->offset[d->n];
    int32_t *pred = malloc(N * sizeof *pred);
    uint8_t *oov = malloc(N);
    recur_status s = pred && oov ? RECUR_OK
                                 : error_fail(RECUR_ERR_MEMORY, "out of memory");
    for (size_t k = 0; !s && k < N; k++)
        oov[k] = d->word[k] == RECUR_TOKEN_UNK;
    if (!s)
        s = tagging_run(m, d, batch, pred, loss);
    const char *const *names = (const char *const *)v->tags;
    if (!s)
        s = tag_metrics_compute(d->tag, pred, oov, N, d->offset, d->n, names,
                                v->n_tags, mt);
    if (!s && base)
        s = tag_metrics_compute(d->tag, base, oov, N, d->offset, d->n, names,
                                v->n_tags, bmt);
    free(pred);
    free(oov);
    return s;
}

/* The figures as JSON members (no braces): accuracy, oov_accuracy,
 * macro_f1, per_tag, and entity scores for BIO tags. */
static void print_json_metrics(const tag_metrics *mt, const tag_vocabs *v)
{
    char a[32], o[32], f[32];
    printf("\"accuracy\": %s, \"oov_accuracy\": %s, \"oov_tokens\": %zu, "
           "\"macro_f1\": %s, \"per_tag\": {",
           seqtask_json_number(a, sizeof a, "%.6f", mt->accuracy),
           seqtask_json_number(o, sizeof o, "%.6f", mt->oov_accuracy), mt->oov,
           seqtask_json_number(f, sizeof f, "%.6f", mt->macro_f1));
    for (size_t t = 0; t < mt->n_tags; t++) {
        const tag_prf *p = &mt->per_tag[t];
        printf("%s", t ? ", " : "");
        seqtask_json_string(stdout, v->tags[t]);
        printf(": {\"precision\": %s, \"recall\": %s, \"f1\": %s, "
               "\"support\": %zu}",
               seqtask_json_number(a, sizeof a, "%.6f", p->precision),
               seqtask_json_number(o, sizeof o, "%.6f", p->recall),
               seqtask_json_number(f, sizeof f, "%.6f", p->f1), p->support);
    }
    printf("}");
    if (mt->has_entities)
        printf(", \"entity_precision\": %s, \"entity_recall\": %s, "
               "\"entity_f1\": %s",
               seqtask_json_number(a, sizeof a, "%.6f", mt->entity.precision),
               seqtask_json_number(o, sizeof o, "%.6f", mt->entity.recall),
               seqtask_json_number(f, sizeof f, "%.6f", mt->entity.f1));
}

/* ---- train ---- */

int cmd_train_tag(int argc, char **argv)
{
    seqtask_opts o;
    data_opts fo;
    const char *task = NULL, *data = NULL, *val_data = NULL, *test_data = NULL;
    size_t min_count, max_vocab, char_embed, char_hidden;
    double word_dropout;
    int lowercase = 0, crf = 0, json = 0;
    opt_spec specs[SEQTASK_SPECS + 20] = {
        {.name = "--task", .type = OPT_CHOICE, .dest = &task, .help = "what to learn", .choices = "tag"},
        {.name = "--data", .type = OPT_STRING, .dest = &data, .help = "training sentences, CoNLL-U or two columns (required)", .metavar = "FILE"},
        {.name = "--val-data", .type = OPT_STRING, .dest = &val_data, .help = "validation sentences: the best epoch on them is kept, and early stopping watches them (without: the last epoch is kept)", .metavar = "FILE"},
        {.name = "--test-data", .type = OPT_STRING, .dest = &test_data, .help = "test sentences, scored at the end beside the most-frequent-tag baseline", .metavar = "FILE"},
        DATA_SPECS(&fo, "upos", "upos|xpos"),
        {.name = "--crf", .type = OPT_FLAG, .dest = &crf, .help = "a linear-chain CRF output layer (Viterbi decoding) instead of a softmax per token: the usual choice for entity tags"},
        {.name = "--char-embed", .type = OPT_SIZE, .dest = &char_embed, .def = "32", .help = "character embedding size", .min = 1, .max = 4096, .metavar = "E"},
        {.name = "--char-hidden", .type = OPT_SIZE, .dest = &char_hidden, .def = "100", .help = "hidden units of the character BiLSTM per direction (0: no character model, words only)", .min = 0, .max = 4096, .metavar = "H"},
        {.name = "--word-dropout", .type = OPT_FLOAT, .dest = &word_dropout, .def = "0.25", .help = "alpha: in training a word seen c times is read as <unk> with probability alpha/(alpha+c), so that <unk> is learnt (0: never)", .min = 0.0, .max = 1000.0, .metavar = "A"},
        {.name = "--min-count", .type = OPT_SIZE, .dest = &min_count, .def = "1", .help = "words seen fewer times in training get no embedding of their own (<unk>; the characters still tell them apart)", .min = 1, .max = 1000000, .metavar = "N"},
        {.name = "--max-vocab", .type = OPT_SIZE, .dest = &max_vocab, .def = "0", .help = "at most this many word ids, <pad> and <unk> included (0: no limit)", .min = 0, .max = 100000000, .metavar = "V"},
        {.name = "--lowercase", .type = OPT_FLAG, .dest = &lowercase, .help = "word embeddings keyed by the ASCII-lowercased word (the characters keep the case)"},
        {.name = "--json", .type = OPT_FLAG, .dest = &json, .help = "the results as one JSON object on stdout"},
    };
    size_t own = seqtask_count(specs);
    size_t n = own + seqtask_specs(&o, &tag_defaults, specs + own);
    int rc = opt_parse("train", "--task tag --data FILE [--val-data FILE] [--test-data FILE] [options]",
                       "Trains a sequence tagger (word embedding + character "
                       "BiLSTM -> bidirectional RNN stack -> a softmax or a "
                       "CRF over the tags) on tagged sentences; reports "
                       "accuracy, accuracy on unseen words, macro F1, per-tag "
                       "scores and, for BIO tags, entity F1 on --test-data.",
                       specs, n, argc, argv);
    if (rc)
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    if (!data) {
        cli_error("train", "--data FILE is required");
        return EXIT_USAGE;
    }
    recur_set_threads((int)o.threads);
    if ((rc = guard_begin("train", o.save)) != EXIT_OK)
        return rc;
    const tagged_format fmt = data_format(&fo);
    const tagged_column col = data_column(fo.column);
    tagged_set set[3];
    tag_data d[3];
    memset(set, 0, sizeof set);
    memset(d, 0, sizeof d);
    tag_vocabs v = {0};
    tagger *m = NULL;
    seqtask_run run = {0};
    tag_metrics mt = {0}, bmt = {0};
    uint32_t *count = NULL;
    int32_t *base = NULL;
    const char *path[3] = {data, val_data, test_data};
    recur_status s = RECUR_OK;
    for (int p = 0; !s && p < 3; p++)
        if (path[p])
            s = tagged_read(path[p], fmt, col, &set[p]);
    if (!s)
        s = tag_vocabs_build(&set[0], min_count, max_vocab, lowercase, &v);
    if (!s && v.n_tags < 2)
        s = error_fail(RECUR_ERR_ARGUMENT, "%s: every token is tagged '%.40s': "
                       "a tagger needs 2 or more tags", data, v.tags[0]);
    for (int p = 0; !s && p < 3; p++)
        if (path[p])
            s = tag_data_encode(&set[p], &v, &d[p]);
    tagger_config c = {0};
    if (!s) {
        cli_parse_cell(o.cell, &c.rnn.mode); /* a choice: always known */
        c.words = tok_vocab_size(v.words);
        c.chars = char_hidden ? tok_vocab_size(v.chars) : 0;
        c.tags = v.n_tags;
        c.word_embed = o.embed;
        c.char_embed = char_hidden ? char_embed : 0;
        c.char_hidden = char_hidden;
        c.rnn.input_size = o.embed + 2 * char_hidden;
        c.rnn.hidden_size = o.hidden;
        c.rnn.num_layers = o.layers;
        c.rnn.bidirectional = o.bidirectional && !o.unidirectional;
        c.rnn.bias = 1;
        c.dropout = (float)o.dropout;
        c.crf = crf;
        s = tagger_create(&c, o.seed, &m);
    }
    /* Word dropout reads how often each word id occurs in training. */
    if (!s && !(count = calloc(c.words, sizeof *count)))
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
    for (size_t k = 0; !s && k < d[0].offset[d[0].n]; k++)
        count[d[0].word[k]]++;
    if (!s)
        s = tagger_set_word_dropout(m, (float)word_dropout, count);
    if (!s) {
        fit_model fm = fit_tagger(m);
        s = seqtask_fit("tag", &o, &fm, &d[0], d[0].n, &d[1], d[1].n, &run);
    }
    if (!s)
        s = tagging_save(m, &v, col, o.save);
    if (!s && run.signal) { /* SIGINT, SIGTERM: saved, the test not scored */
        rc = seqtask_stopped("train", "tag", &o, &run);
        goto done;
    }
    double test_loss = NAN;
    if (!s && test_data) {
        if (!(base = malloc(d[2].offset[d[2].n] * sizeof *base)))
            s = error_fail(RECUR_ERR_MEMORY, "out of memory");
        if (!s)
            s = baseline_predict(&d[0], &d[2], c.words, base);
        if (!s)
            s = score(m, &d[2], &v, o.batch, base, &mt, &bmt, &test_loss);
    }
    char num[32];
    if (s) {
        rc = cli_fail("train", s);
    } else if (json) {
        printf("{\"task\": \"tag\", \"tag_column\": \"%s\", \"crf\": %s, "
               "\"epochs\": %zu, \"best_epoch\": %zu, \"train_seconds\": %.2f, "
               "\"best_val_loss\": %s, \"params\": %zu, \"words\": %zu, "
               "\"chars\": %zu, \"tags\": %zu, \"train\": %zu, \"val\": %zu, "
               "\"test\": %zu", fo.column, crf ? "true" : "false", run.epochs,
               run.best_epoch, run.seconds,
               seqtask_json_number(num, sizeof num, "%.6g", run.best_val),
               tagger_size(m), c.words, c.chars, c.tags, d[0].n, d[1].n,
               d[2].n);
        if (test_data) {
            printf(", \"tokens\": %zu, \"test_loss\": %.6f, ",
                   d[2].offset[d[2].n], test_loss);
            print_json_metrics(&mt, &v);
            printf(", \"baseline_accuracy\": %.6f", bmt.accuracy);
        }
        printf("}\n");
    } else if (test_data) {
        printf("test: %zu sentences, %zu tokens, loss %.4f\n", d[2].n,
               d[2].offset[d[2].n], test_loss);
        s = tag_metrics_print(stdout, &mt, (const char *const *)v.tags);
        printf("most frequent tag per word (the baseline): accuracy %.4f, "
               "on unseen words %.4f\n", bmt.accuracy, bmt.oov_accuracy);
        seqtask_verdict("accuracy", mt.accuracy, "most-frequent-tag",
                        bmt.accuracy, 0, 1);
        if (s)
            rc = cli_fail("train", s);
    }
    if (!rc)
        seqtask_saved("train", &o, &run);
done:
    tag_metrics_free(&mt);
    tag_metrics_free(&bmt);
    free(base);
    free(count);
    tagger_free(m);
    for (int p = 0; p < 3; p++) {
        tag_data_free(&d[p]);
        tagged_free(&set[p]);
    }
    tag_vocabs_free(&v);
    guard_end();
    return rc;
}

/* ---- eval ---- */

int cmd_eval_tag(int argc, char **argv)
{
    data_opts fo;
    const char *task = NULL, *model = NULL, *data = NULL;
    size_t threads, batch;
    int json = 0;
    const opt_spec specs[] = {
        {.name = "--task", .type = OPT_CHOICE, .dest = &task, .help = "what the model does (default: the checkpoint's task)", .choices = "tag"},
        {.name = "--model", .type = OPT_STRING, .dest = &model, .help = "checkpoint written by recur train --task tag (required)", .metavar = "PATH"},
        {.name = "--data", .type = OPT_STRING, .dest = &data, .help = "tagged sentences to score (required)", .metavar = "FILE"},
        DATA_SPECS(&fo, "model", "model|upos|xpos"),
        {.name = "--batch", .type = OPT_SIZE, .dest = &batch, .def = "64", .help = "sentences per batch", .min = 1, .max = 100000, .metavar = "B"},
        {.name = "--threads", .type = OPT_SIZE, .dest = &threads, .def = "1", .help = "threads (0: all cores)", .min = 0, .max = 1024, .metavar = "N"},
        {.name = "--json", .type = OPT_FLAG, .dest = &json, .help = "one JSON object on stdout"},
    };
    int rc = opt_parse("eval", "[--task tag] --model PATH --data FILE [options]",
                       "Scores a tagger on tagged sentences: accuracy, accuracy "
                       "on words unseen in training, macro F1, per-tag "
                       "precision, recall and F1, and entity F1 for BIO tags.",
                       specs, sizeof specs / sizeof *specs, argc, argv);
    if (rc)
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    if (!model || !data) {
        cli_error("eval", "--model and --data are required");
        return EXIT_USAGE;
    }
    recur_set_threads((int)threads);
    tagger *m = NULL;
    tag_vocabs v = {0};
    tagged_column col;
    tagged_set set = {0};
    tag_data d = {0};
    tag_metrics mt = {0};
    double loss = NAN;
    recur_status s = tagging_load(model, &m, &v, &col);
    if (!s && strcmp(fo.column, "model"))
        col = data_column(fo.column);
    if (!s)
        s = tagged_read(data, data_format(&fo), col, &set);
    if (!s)
        s = tag_data_encode(&set, &v, &d);
    if (!s)
        s = score(m, &d, &v, batch, NULL, &mt, NULL, &loss);
    if (s) {
        rc = cli_fail("eval", s);
    } else if (json) {
        printf("{\"examples\": %zu, \"tokens\": %zu, \"loss\": %.6f, ", d.n,
               d.offset[d.n], loss);
        print_json_metrics(&mt, &v);
        printf("}\n");
    } else {
        printf("%zu sentences, %zu tokens, loss %.4f\n", d.n, d.offset[d.n], loss);
        if ((s = tag_metrics_print(stdout, &mt, (const char *const *)v.tags)))
            rc = cli_fail("eval", s);
    }
    tag_metrics_free(&mt);
    tag_data_free(&d);
    tagged_free(&set);
    tag_vocabs_free(&v);
    tagger_free(m);
    return rc;
}

/* ---- predict ---- */

/* Only blank lines (ASCII spaces, tabs, line ends) or nothing. */
static int text_is_blank(const char *text, size_t size)
{
    for (size_t i = 0; i < size; i++)
        if (!text[i] || !strchr(" \t\r\n", text[i]))
            return 0;
    return 1;
}

/* All of a stream (standard input), at most TAGGED_MAX_BYTES. */
static recur_status read_stream(FILE *in, const char *name, char **out,
                                size_t *size)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, in);
        if (n < cap)
            break;
        if (cap >= TAGGED_MAX_BYTES) {
            free(buf);
            return error_fail(RECUR_ERR_UNSUPPORTED, "%s: more than %llu bytes",
                              name, (unsigned long long)TAGGED_MAX_BYTES);
        }
        char *more = realloc(buf, cap * 2);
        if (!more)
            free(buf);
        buf = more;
        cap *= 2;
    }
    if (!buf)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    if (ferror(in)) {
        free(buf);
        return error_fail(RECUR_ERR_IO, "%s: read error", name);
    }
    *out = buf;
    *size = n;
    return RECUR_OK;
}

int cmd_predict_tag(int argc, char **argv)
{
    const char *task = NULL, *model = NULL, *input = NULL, *conllu = NULL,
               *column = NULL;
    size_t threads, batch;
    const opt_spec specs[] = {
        {.name = "--task", .type = OPT_CHOICE, .dest = &task, .help = "what the model does (default: the checkpoint's task)", .choices = "tag"},
        {.name = "--model", .type = OPT_STRING, .dest = &model, .help = "checkpoint written by recur train --task tag (required)", .metavar = "PATH"},
        {.name = "--data", .type = OPT_STRING, .dest = &input, .def = "-", .help = "sentences to tag, one per line, tokens separated by spaces (UTF-8; - reads standard input)", .metavar = "FILE"},
        {.name = "--conllu", .type = OPT_STRING, .dest = &conllu, .help = "tag a CoNLL-U file instead: it is printed whole with its tag column filled in", .metavar = "FILE"},
        {.name = "--tag-column", .type = OPT_CHOICE, .dest = &column, .def = "model", .help = "--conllu: the column to fill (model: the one the model was trained on)", .choices = "model|upos|xpos"},
        {.name = "--batch", .type = OPT_SIZE, .dest = &batch, .def = "64", .help = "sentences per batch", .min = 1, .max = 100000, .metavar = "B"},
        {.name = "--threads", .type = OPT_SIZE, .dest = &threads, .def = "1", .help = "threads", .min = 0, .max = 1024, .metavar = "N"},
    };
    int rc = opt_parse("predict", "[--task tag] --model PATH [--data FILE | --conllu FILE]",
                       "Tags sentences: prints token TAB tag lines, a blank "
                       "line after each sentence; with --conllu, the file "
                       "with its tag column filled in.",
                       specs, sizeof specs / sizeof *specs, argc, argv);
    if (rc)
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    if (!model) {
        cli_error("predict", "--model is required");
        return EXIT_USAGE;
    }
    recur_set_threads((int)threads);
    tagger *m = NULL;
    tag_vocabs v = {0};
    tagged_column col;
    tagged_set set = {0};
    tag_data d = {0};
    char *text = NULL, *filled = NULL;
    size_t size = 0, filled_size = 0;
    int32_t *pred = NULL;
    const char **names = NULL;
    const char *name = conllu ? conllu : strcmp(input, "-") ? input : "standard input";
    recur_status s = tagging_load(model, &m, &v, &col);
    if (!s && strcmp(column, "model"))
        col = data_column(column);
    if (!s && (conllu || strcmp(input, "-")))
        s = gz_read(name, TAGGED_MAX_BYTES, (unsigned char **)&text, &size);
    else if (!s)
        s = read_stream(stdin, name, &text, &size);
    /* No sentence at all (an empty input, blank lines): nothing to print. */
    int blank = !s && !conllu && text_is_blank(text, size);
    if (!s && !blank)
        s = tagged_parse(text, size, name, conllu ? TAGGED_CONLLU : TAGGED_PLAIN,
                         col, &set);
    if (!s && set.n) { /* the file's own tags are not read */
        const char **tags = set.tag;
        set.tag = NULL;
        s = tag_data_encode(&set, &v, &d);
        set.tag = tags;
    }
    const size_t N = set.tokens;
    if (!s && N && (!(pred = malloc(N * sizeof *pred)) ||
                    !(names = malloc(N * sizeof *names))))
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
    if (!s && set.n)
        s = tagging_run(m, &d, batch, pred, NULL);
    for (size_t k = 0; !s && k < N; k++)
        names[k] = v.tags[pred[k]];
    if (!s && conllu) {
        s = tagged_conllu_fill(text, size, name, col, names, N, &filled,
                               &filled_size);
        if (!s)
            fwrite(filled, 1, filled_size, stdout);
    } else if (!s) {
        for (size_t i = 0; i < set.n; i++) {
            for (size_t k = set.offset[i]; k < set.offset[i + 1]; k++)
                printf("%s\t%s\n", set.form[k], names[k]);
            printf("\n");
        }
    }
    if (!s && (fflush(stdout) || ferror(stdout)))
        s = error_fail(RECUR_ERR_IO, "cannot write the tags to standard output");
    if (s)
        rc = cli_fail("predict", s);
    free(names);
    free(pred);
    free(filled);
    free(text);
    tag_data_free(&d);
    tagged_free(&set);
    tag_vocabs_free(&v);
    tagger_free(m);
    return rc;
}
