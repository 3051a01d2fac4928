/*
 * train.c — `recur train --task charlm|wordlm`: trains a character- or
 * word-level (words.h) language model on a UTF-8 text file (train.h says
 * how), showing progress, writing
 * checkpoints, a metrics log and a loss plot beside the checkpoint:
 *     PATH                 latest checkpoint (every --save-every steps, end)
 *     PATH.best            ... at the best validation loss ("m.safetensors"
 *                          gives "m.best.safetensors")
 *     PATH.metrics.csv     one row per step and per validation
 *     PATH.loss.svg        training and validation loss against step
 */
#include "cli.h"
#include "guard.h"
#include "metrics.h"
#include "options.h"
#include "progress.h"
#include "base/error.h"
#include "base/file.h"
#include "base/floatfmt.h"
#include "io/safetensors.h"
#include "data/text.h"
#include "data/words.h"
#include "train/train.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char synopsis[] = "--task charlm|wordlm --data FILE [options]";
static const char description[] =
    "Trains a character- or word-level language model (embedding -> RNN "
    "stack -> linear -> softmax) on a UTF-8 text file by truncated backpropagation "
    "through time: the text is cut into --batch parallel streams read in "
    "chunks of --seq-len steps, the state carried from chunk to chunk and "
    "reset each epoch. Writes the checkpoint at --save, the best one beside "
    "it, a metrics log (.metrics.csv) and a loss plot (.loss.svg), and locks "
    "it while running (--save PATH makes PATH.lock: a second run given the "
    "same --save is refused, exit status 1). Ctrl-C (SIGINT) or SIGTERM "
    "stops at the next step and saves as at the end; --resume continues. "
    "Exit status: 0 done, 1 data or file error, 2 usage error, 130 stopped "
    "by SIGINT, 143 by SIGTERM. The supervised tasks have their own options: "
    "recur train --task classify|forecast|music|tag --help.";

typedef struct {
    const char *task, *data, *val_data, *cell, *optimizer, *schedule, *init;
    const char *save, *resume;
    double val_fraction, lr, dropout, recurrent_dropout, zoneout, clip,
        momentum, weight_decay, beta1, beta2, eps, decay_factor, min_lr,
        time_limit, init_range;
    size_t hidden, layers, embed, proj, seq_len, batch, epochs, steps,
        decay_after, warmup, patience, val_every, save_every, seed, threads,
        recompute;
    int tie, forget_bias, nesterov, no_bias, variational, layer_norm, json;
    /* Which options the command line gave (opt_spec.given), each by its
     * name: a default is told from a value the user chose (the optimizer's
     * own defaults stand unless --momentum ... --eps are given), and
     * check_resume_options holds every given model (cell ... layer_norm)
     * or training (seq_len ... seed) option to the checkpoint's value. */
    struct {
        int task, save;
        int cell, hidden, layers, embed, proj, tie, no_bias, dropout, init,
            init_range, forget_bias, variational, recurrent_dropout, zoneout,
            layer_norm;
        int seq_len, batch, optimizer, lr, momentum, nesterov, weight_decay,
            beta1, beta2, eps, schedule, decay_after, decay_factor, warmup,
            min_lr, patience, clip, seed;
    } given;
} train_opts;

/* ---- data ---- */

typedef struct {
    int32_t *train, *val;
    size_t n_train, n_val;
    char_vocab *vocab;     /* charlm */
    word_vocab *words; /* wordlm */
    size_t val_unseen; /* wordlm: validation tokens absent from the training
                          part, which the model only ever sees as inputs
                          and targets it was never trained on */
} corpus;

static void corpus_free(corpus *c)
{
    free(c->train);
    free(c->val);
    char_vocab_free(c->vocab);
    word_vocab_free(c->words);
}

/* The validation tokens whose ids never occur in the training part: the
 * vocabulary is built over both texts, so no validation word is read as
 * <unk>, and these are the words that are out of vocabulary for what the
 * model learns. */
static recur_status count_unseen(corpus *c)
{
    size_t V = word_vocab_size(c->words);
    unsigned char *seen = calloc(V ? V : 1, 1);
    if (!seen)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    for (size_t i = 0; i < c->n_train; i++)
        seen[c->train[i]] = 1;
    c->val_unseen = 0;
    for (size_t i = 0; i < c->n_val; i++)
        c->val_unseen += !seen[c->val[i]];
    free(seen);
    return RECUR_OK;
}

/* wordlm: the tokens of the training text, validation from --val-data or
 * the last --val-fraction of the tokens, the vocabulary over both (as for
 * characters, and as PyTorch's word_language_model builds its dictionary;
 * on Penn Treebank the training words alone are all 10,000); words.h has
 * the rules. */
static int load_word_corpus(const train_opts *o, corpus *c)
{
    word_list text = {0}, vtext = {0};
    recur_status s = words_read(o->data, &text);
    if (!s && o->val_data)
        s = words_read(o->val_data, &vtext);
    size_t split = text.count, nv = vtext.count;
    if (!s && !o->val_data) {
        split = (size_t)((double)text.count * (1.0 - o->val_fraction));
        nv = text.count - split;
    }
    word_list train = text;
    train.count = split;
    if (!s)
        s = word_vocab_build2(&text, o->val_data ? &vtext : NULL,
                                   &c->words);
    if (!s && (!(c->train = malloc((split ? split : 1) * sizeof(int32_t))) ||
               !(c->val = malloc((nv ? nv : 1) * sizeof(int32_t)))))
        s = error_fail(RECUR_ERR_MEMORY, "out of memory for %zu words",
                       split + nv);
    if (!s)
        s = word_vocab_encode(c->words, &train, o->data, c->train);
    if (!s && nv) {
        word_list held = o->val_data ? vtext : text;
        if (!o->val_data) {
            held.token += split;
            held.line += split;
        }
        held.count = nv;
        s = word_vocab_encode(c->words, &held,
                                   o->val_data ? o->val_data : o->data, c->val);
    }
    c->n_train = split;
    c->n_val = nv;
    if (!s)
        s = count_unseen(c);
    words_free(&text);
    words_free(&vtext);
    return s ? cli_fail("train", s) : EXIT_OK;
}

/* Reads the text, splits off validation, builds the vocabulary over both
 * (as char-rnn does) and encodes; wordlm: load_word_corpus. */
static int load_corpus(const train_opts *o, corpus *c)
{
    if (!strcmp(o->task, "wordlm"))
        return load_word_corpus(o, c);
    uint32_t *text = NULL, *vtext = NULL, *all = NULL;
    size_t n = 0, nv = 0;
    recur_status s = text_read(o->data, &text, &n);
    if (!s && o->val_data)
        s = text_read(o->val_data, &vtext, &nv);
    if (s) {
        free(text);
        return cli_fail("train", s);
    }
    size_t split = n;
    if (!o->val_data) {
        /* nanoGPT's split: the first int(N * (1 - f)) code points train. */
        split = (size_t)((double)n * (1.0 - o->val_fraction));
        nv = n - split;
    }
    all = malloc((n + (o->val_data ? nv : 0)) * sizeof(uint32_t));
    c->train = malloc((split ? split : 1) * sizeof(int32_t));
    c->val = malloc((nv ? nv : 1) * sizeof(int32_t));
    int rc = EXIT_OK;
    if (!all || !c->train || !c->val) {
        cli_error("train", "out of memory for %zu characters", n + nv);
        rc = EXIT_FAILURE_DATA;
    }
    if (!rc) {
        memcpy(all, text, n * sizeof(uint32_t));
        if (o->val_data)
            memcpy(all + n, vtext, nv * sizeof(uint32_t));
        s = char_vocab_build(all, n + (o->val_data ? nv : 0), &c->vocab);
        if (!s)
            s = char_vocab_encode(c->vocab, text, split, o->data, c->train);
        if (!s && nv)
            s = char_vocab_encode(c->vocab, o->val_data ? vtext : text + split,
                                   nv, o->val_data ? o->val_data : o->data, c->val);
        if (s)
            rc = cli_fail("train", s);
    }
    c->n_train = split;
    c->n_val = nv;
    free(text);
    free(vtext);
    free(all);
    return rc;
}

/* ---- model and trainer from options ---- */

static int new_trainer(const train_opts *o, corpus *c, trainer **out)
{
    lm_config lc = {0};
    recur_mode mode = RECUR_LSTM;
    cli_parse_cell(o->cell, &mode);
    lc.arch.vocab_size = c->words ? word_vocab_size(c->words)
                                  : char_vocab_size(c->vocab);
    lc.arch.embed_size = o->embed;
    lc.arch.rnn = recur_rnn_config_default(mode, o->embed, o->hidden);
    lc.arch.rnn.num_layers = o->layers;
    lc.arch.rnn.proj_size = o->proj;
    lc.arch.rnn.bias = !o->no_bias;
    lc.arch.rnn.layer_norm = o->layer_norm;
    lc.arch.tie_weights = o->tie;
    lc.reg.dropout = (float)o->dropout;
    lc.reg.variational = o->variational;
    lc.reg.recurrent_dropout = (float)o->recurrent_dropout;
    lc.reg.zoneout = (float)o->zoneout;
    lc.reg.seed = o->seed;

    train_config tc = {0};
    optim_kind kind;
    sched_kind sk;
    optim_parse(o->optimizer, &kind);
    sched_parse(o->schedule, &sk);
    tc.batch = o->batch;
    tc.seq_len = o->seq_len;
    tc.optim = optim_default(kind);
    if (o->given.momentum) tc.optim.momentum = (float)o->momentum;
    if (o->given.weight_decay) tc.optim.weight_decay = (float)o->weight_decay;
    if (o->given.beta1) tc.optim.beta1 = (float)o->beta1;
    if (o->given.beta2) tc.optim.beta2 = (float)o->beta2;
    if (o->given.eps) tc.optim.eps = (float)o->eps;
    tc.optim.nesterov = o->nesterov;
    tc.sched = sched_default(sk, (float)o->lr);
    tc.sched.decay_after = o->decay_after;
    tc.sched.factor = (float)o->decay_factor;
    tc.sched.min_lr = (float)o->min_lr;
    tc.sched.patience = o->patience;
    tc.sched.warmup_steps = o->warmup;
    if (sk == RECUR_SCHED_COSINE) {
        /* Cosine needs its horizon: --steps, or --epochs of this data. */
        size_t chunks = (c->n_train / o->batch - 1) / o->seq_len;
        tc.sched.total_steps = o->steps ? o->steps : o->epochs * chunks;
        if (tc.sched.total_steps == 0)
            tc.sched.total_steps = 1;
    }
    tc.clip = (float)o->clip;
    tc.seed = o->seed;

    int flags = (!strcmp(o->init, "orthogonal") ? LM_INIT_ORTHOGONAL : 0) |
                (o->forget_bias ? LM_INIT_FORGET_BIAS : 0);
    recur_lm *lm;
    recur_status s = lm_create(&lc, o->seed, flags, &lm);
    if (s)
        return cli_fail("train", s);
    if (!strcmp(o->init, "uniform"))
        lm_init_uniform(lm, (float)o->init_range, o->seed);
    if (c->words) { /* the model takes the corpus's vocabulary */
        lm->words = c->words;
        c->words = NULL;
    } else if ((lm->vocab = malloc(lc.arch.vocab_size * sizeof(uint32_t)))) {
        memcpy(lm->vocab, char_vocab_codepoints(c->vocab),
               lc.arch.vocab_size * sizeof(uint32_t));
    } else {
        recur_lm_free(lm);
        cli_error("train", "out of memory");
        return EXIT_FAILURE_DATA;
    }
    s = trainer_create(lm, o->task, &tc, c->train, c->n_train, c->val, c->n_val, out);
    if (s) {
        recur_lm_free(lm);
        return cli_fail("train", s);
    }
    return EXIT_OK;
}

/* ---- options given with --resume ---- */

/* Options a checkpoint does not record: each decides only the parameters a
 * new run starts from, and a resumed run starts from the checkpoint's
 * parameters instead. Given with --resume such an option would be ignored,
 * and nothing could tell whether it matches the run being continued, so it
 * is refused. */
static const char *const unrecorded[] = {"--init", "--init-range",
                                         "--forget-bias"};

/* Compares an option given with --resume with what the checkpoint holds
 * for it, both in the type the run uses: a size; a float (the option's
 * double narrowed as a new run narrows it, so --lr 2e-3 equals a stored
 * 0.002); on/off; the cell, optimizer or schedule a choice names. Writes
 * both values as text into given and held. Returns 0 when equal, 1 when
 * not, -1 when the checkpoint does not record the option. */
static int resume_compare(const opt_spec *spec, const lm_config *model,
                          const train_config *tc, char *given, char *held,
                          size_t size)
{
    const recur_lm_config *lc = &model->arch;
    const recur_regularizers *rg = &model->reg;
    const optim_config *op = &tc->optim;
    const sched_config *sc = &tc->sched;
    const char *n = spec->name;
    if (spec->type == OPT_SIZE) {
        const struct { const char *name; uint64_t value; } sizes[] = {
            {"--hidden", lc->rnn.hidden_size}, {"--layers", lc->rnn.num_layers},
            {"--embed", lc->embed_size}, {"--proj", lc->rnn.proj_size},
            {"--seq-len", tc->seq_len}, {"--batch", tc->batch},
            {"--decay-after", sc->decay_after}, {"--warmup", sc->warmup_steps},
            {"--patience", sc->patience}, {"--seed", tc->seed}};
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
            if (!strcmp(n, sizes[i].name)) {
                uint64_t v = *(const size_t *)spec->dest;
                snprintf(given, size, "%llu", (unsigned long long)v);
                snprintf(held, size, "%llu", (unsigned long long)sizes[i].value);
                return v != sizes[i].value;
            }
    } else if (spec->type == OPT_FLOAT) {
        const struct { const char *name; float value; } reals[] = {
            {"--dropout", rg->dropout},
            {"--recurrent-dropout", rg->recurrent_dropout},
            {"--zoneout", rg->zoneout}, {"--lr", sc->base_lr},
            {"--momentum", op->momentum}, {"--weight-decay", op->weight_decay},
            {"--beta1", op->beta1}, {"--beta2", op->beta2}, {"--eps", op->eps},
            {"--decay-factor", sc->factor}, {"--min-lr", sc->min_lr},
            {"--clip", tc->clip}};
        for (size_t i = 0; i < sizeof reals / sizeof *reals; i++)
            if (!strcmp(n, reals[i].name)) {
                float v = (float)*(const double *)spec->dest;
                floatfmt_shortest(given, size, v);
                floatfmt_shortest(held, size, reals[i].value);
                return v != reals[i].value;
            }
    } else if (spec->type == OPT_FLAG) {
        const struct { const char *name; int value; } flags[] = {
            {"--tie", lc->tie_weights}, {"--no-bias", !lc->rnn.bias},
            {"--variational", rg->variational},
            {"--layer-norm", lc->rnn.layer_norm}, {"--nesterov", op->nesterov}};
        for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
            if (!strcmp(n, flags[i].name)) {
                int v = *(const int *)spec->dest;
                snprintf(given, size, "%s", v ? "on" : "off");
                snprintf(held, size, "%s", flags[i].value ? "on" : "off");
                return !v != !flags[i].value;
            }
    } else if (spec->type == OPT_CHOICE) {
        const char *name = *(const char *const *)spec->dest;
        int v = -1, have;
        const char *have_name;
        if (!strcmp(n, "--cell")) {
            recur_mode m;
            if (!cli_parse_cell(name, &m))
                v = (int)m;
            have = (int)lc->rnn.mode;
            have_name = cli_cell_name(lc->rnn.mode);
        } else if (!strcmp(n, "--optimizer")) {
            optim_kind k;
            if (!optim_parse(name, &k))
                v = (int)k;
            have = (int)op->kind;
            have_name = optim_str(op->kind);
        } else if (!strcmp(n, "--schedule")) {
            sched_kind k;
            if (!sched_parse(name, &k))
                v = (int)k;
            have = (int)sc->kind;
            have_name = sched_str(sc->kind);
        } else {
            return -1;
        }
        snprintf(given, size, "%s", name);
        snprintf(held, size, "%s", have_name ? have_name : "(unknown)");
        return v != have;
    }
    return -1;
}

/* A resumed run keeps the checkpoint's model and training settings: every
 * such option given with --resume must equal the checkpoint's value (see
 * resume_compare), else the run is refused naming both values. The data,
 * the limits (--epochs, --steps, --time-limit), --val-every, --save,
 * --save-every, --threads, --recompute and --json carry no `given` flag (or
 * are skipped here) and may change. Returns EXIT_OK or EXIT_USAGE. */
static int check_resume_options(const opt_spec *specs, size_t n_specs,
                                const train_opts *o, trainer *t)
{
    const lm_config *lc = &trainer_model(t)->config;
    const train_config *tc = trainer_config(t);
    for (size_t i = 0; i < n_specs; i++) {
        const opt_spec *spec = &specs[i];
        if (!spec->given || !*spec->given || spec->given == &o->given.task ||
            spec->given == &o->given.save)
            continue;
        char given[64], held[64];
        int c = resume_compare(spec, lc, tc, given, held, sizeof given);
        if (c == 0)
            continue;
        if (c > 0 && spec->type == OPT_FLAG)
            cli_error("train", "%s is %s here but %s in the checkpoint (%s); "
                      "drop it or start a new run", spec->name, given, held,
                      o->resume);
        else if (c > 0)
            cli_error("train", "%s %s differs from the checkpoint's %s (%s); "
                      "drop it or start a new run", spec->name, given, held,
                      o->resume);
        for (size_t k = 0; c < 0 && k < sizeof unrecorded / sizeof *unrecorded; k++)
            if (!strcmp(spec->name, unrecorded[k])) {
                cli_error("train", "%s cannot be given with --resume: %s "
                          "does not record it, and it decides only the "
                          "parameters a new run starts from, while a resumed "
                          "run starts from the checkpoint's; drop it",
                          spec->name, o->resume);
                c = 2;
            }
        if (c < 0)
            cli_error("train", "%s cannot be given with --resume: the "
                      "checkpoint's run keeps its own setting; drop it",
                      spec->name);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* ---- reporting ---- */

typedef struct {
    const train_opts *opts;
    progress bar;
    metrics_log *log;
    const char *plot_path;
    double last_loss;
    size_t val_oov, val_tokens; /* wordlm: corpus.val_unseen of n_val */
} reporter;

static int report(void *ctx, const train_event *ev)
{
    reporter *r = ctx;
    switch (ev->kind) {
    case TRAIN_STEP:
        r->last_loss = ev->loss;
        progress_update(&r->bar, ev->step, ev->epoch, ev->loss, ev->tokens_per_sec);
        metrics_step(r->log, ev);
        break;
    case TRAIN_VALIDATION:
        progress_line(&r->bar, "step %llu  epoch %.2f  validation loss %.4f  "
                      "(%.4f bits/%s, perplexity %.3f)%s",
                      (unsigned long long)ev->step, ev->epoch, ev->val_loss,
                      ev->val_loss / log(2.0),
                      strcmp(r->opts->task, "wordlm") ? "char" : "word",
                      exp(ev->val_loss), ev->best ? "  best" : "");
        metrics_validation(r->log, ev);
        metrics_plot(r->log, r->plot_path);
        if (r->opts->json)
            printf("{\"step\": %llu, \"epoch\": %.4f, \"train_loss\": %.6f, "
                   "\"val_loss\": %.6f, \"%s\": %.6f, \"ppl\": %.6f, "
                   "\"tokens\": %zu, \"elapsed\": %.3f, \"best\": %s",
                   (unsigned long long)ev->step, ev->epoch, r->last_loss,
                   ev->val_loss,
                   strcmp(r->opts->task, "wordlm") ? "bpc" : "bits_per_word",
                   ev->val_loss / log(2.0), exp(ev->val_loss),
                   ev->val_tokens, ev->elapsed, ev->best ? "true" : "false");
        if (r->opts->json && !strcmp(r->opts->task, "wordlm"))
            printf(", \"val_oov_tokens\": %zu, \"val_oov_rate\": %.6f",
                   r->val_oov, cli_percent(r->val_oov, r->val_tokens) / 100.0);
        if (r->opts->json)
            printf("}\n");
        fflush(stdout);
        break;
    case TRAIN_SAVED:
        break;
    }
    return guard_signal() != 0; /* SIGINT, SIGTERM: stop at this step */
}

int cmd_train(int argc, char **argv)
{
    int task_rc;
    if (task_dispatch("train", argc, argv, &task_rc))
        return task_rc;
    train_opts o = {0};
    const opt_spec specs[] = {
        {.name = "--task", .type = OPT_CHOICE, .dest = &o.task, .def = "charlm", .help = "what to train: a character-level or a word-level language model (words: whitespace-separated, <eos> at each line end, the vocabulary of the training text, <unk> for unseen words where it has one); classify, forecast, music and tag are described by `recur train --task TASK --help`", .choices = "charlm|wordlm|classify|forecast|music|tag", .given = &o.given.task},
        {.name = "--data", .type = OPT_STRING, .dest = &o.data, .help = "UTF-8 training text (required)", .metavar = "FILE"},
        {.name = "--val-data", .type = OPT_STRING, .dest = &o.val_data, .help = "validation text; without it the last --val-fraction of --data", .metavar = "FILE"},
        {.name = "--val-fraction", .type = OPT_FLOAT, .dest = &o.val_fraction, .def = "0.1", .help = "fraction of --data held out for validation (its end)", .min = 0.0, .max = 0.9},
        {.name = "--cell", .type = OPT_CHOICE, .dest = &o.cell, .def = "lstm", .help = "recurrent cell", .choices = "lstm|gru|gru_reset_before|rnn|rnn_relu", .given = &o.given.cell},
        {.name = "--hidden", .type = OPT_SIZE, .dest = &o.hidden, .def = "256", .help = "hidden units per layer", .min = 1, .max = 16384, .metavar = "H", .given = &o.given.hidden},
        {.name = "--layers", .type = OPT_SIZE, .dest = &o.layers, .def = "2", .help = "stacked layers", .min = 1, .max = 64, .metavar = "L", .given = &o.given.layers},
        {.name = "--embed", .type = OPT_SIZE, .dest = &o.embed, .def = "64", .help = "embedding size", .min = 1, .max = 16384, .metavar = "E", .given = &o.given.embed},
        {.name = "--proj", .type = OPT_SIZE, .dest = &o.proj, .def = "0", .help = "LSTM projection size (0: none)", .min = 0, .max = 16384, .metavar = "P", .given = &o.given.proj},
        {.name = "--tie", .type = OPT_FLAG, .dest = &o.tie, .help = "tie the output matrix to the embedding (needs --embed = output size)", .given = &o.given.tie},
        {.name = "--no-bias", .type = OPT_FLAG, .dest = &o.no_bias, .help = "cells without biases", .given = &o.given.no_bias},
        {.name = "--dropout", .type = OPT_FLOAT, .dest = &o.dropout, .def = "0.1", .help = "dropout on the embedding, between layers and on the output", .min = 0.0, .max = 0.95, .metavar = "P", .given = &o.given.dropout},
        {.name = "--init", .type = OPT_CHOICE, .dest = &o.init, .def = "pytorch", .help = "initialisation: PyTorch's defaults, orthogonal recurrent matrices, or every parameter uniform in [-R, R] (Zaremba et al.)", .choices = "pytorch|orthogonal|uniform", .given = &o.given.init},
        {.name = "--init-range", .type = OPT_FLOAT, .dest = &o.init_range, .def = "0.1", .help = "R of --init uniform", .min = 1e-6, .max = 10.0, .metavar = "R", .given = &o.given.init_range},
        {.name = "--forget-bias", .type = OPT_FLAG, .dest = &o.forget_bias, .help = "LSTM forget-gate bias 1 at initialisation", .given = &o.given.forget_bias},
        {.name = "--variational", .type = OPT_FLAG, .dest = &o.variational, .help = "variational dropout: one --dropout mask per stream, reused at every step (Gal & Ghahramani 2016)", .given = &o.given.variational},
        {.name = "--recurrent-dropout", .type = OPT_FLOAT, .dest = &o.recurrent_dropout, .def = "0", .help = "dropout on the recurrent state where it enters W_hh, one mask per stream and chunk (Gal & Ghahramani 2016)", .min = 0.0, .max = 0.95, .metavar = "Q", .given = &o.given.recurrent_dropout},
        {.name = "--zoneout", .type = OPT_FLOAT, .dest = &o.zoneout, .def = "0", .help = "zoneout: each state unit keeps its previous value with this probability at each step (Krueger et al. 2016)", .min = 0.0, .max = 0.95, .metavar = "Z", .given = &o.given.zoneout},
        {.name = "--layer-norm", .type = OPT_FLAG, .dest = &o.layer_norm, .help = "layer-normalised cells (Ba, Kiros & Hinton 2016; lstm and gru only)", .given = &o.given.layer_norm},
        {.name = "--seq-len", .type = OPT_SIZE, .dest = &o.seq_len, .def = "100", .help = "steps per chunk (truncated BPTT length)", .min = 1, .max = 100000, .metavar = "T", .given = &o.given.seq_len},
        {.name = "--batch", .type = OPT_SIZE, .dest = &o.batch, .def = "64", .help = "parallel streams", .min = 1, .max = 100000, .metavar = "B", .given = &o.given.batch},
        {.name = "--optimizer", .type = OPT_CHOICE, .dest = &o.optimizer, .def = "adam", .help = "optimizer", .choices = "adam|adamw|sgd|rmsprop|adagrad", .given = &o.given.optimizer},
        {.name = "--lr", .type = OPT_FLOAT, .dest = &o.lr, .def = "2e-3", .help = "learning rate", .min = 0.0, .max = 100.0, .given = &o.given.lr},
        {.name = "--momentum", .type = OPT_FLOAT, .dest = &o.momentum, .def = "0", .help = "momentum (sgd, rmsprop)", .min = 0.0, .max = 0.9999, .given = &o.given.momentum},
        {.name = "--nesterov", .type = OPT_FLAG, .dest = &o.nesterov, .help = "Nesterov momentum (sgd)", .given = &o.given.nesterov},
        {.name = "--weight-decay", .type = OPT_FLOAT, .dest = &o.weight_decay, .def = "0", .help = "weight decay (adamw: decoupled, default 0.01)", .min = 0.0, .max = 1.0, .given = &o.given.weight_decay},
        {.name = "--beta1", .type = OPT_FLOAT, .dest = &o.beta1, .def = "0.9", .help = "Adam beta1", .min = 0.0, .max = 0.9999999, .given = &o.given.beta1},
        {.name = "--beta2", .type = OPT_FLOAT, .dest = &o.beta2, .def = "0.999", .help = "Adam beta2", .min = 0.0, .max = 0.9999999, .given = &o.given.beta2},
        {.name = "--eps", .type = OPT_FLOAT, .dest = &o.eps, .def = "1e-8", .help = "epsilon (adam, adamw, rmsprop; adagrad 1e-10)", .min = 0.0, .max = 1.0, .given = &o.given.eps},
        {.name = "--schedule", .type = OPT_CHOICE, .dest = &o.schedule, .def = "constant", .help = "learning-rate schedule", .choices = "constant|step|cosine|plateau", .given = &o.given.schedule},
        {.name = "--decay-after", .type = OPT_SIZE, .dest = &o.decay_after, .def = "4", .help = "step: epochs at the full rate before decay starts", .min = 0, .max = 1000000, .metavar = "K", .given = &o.given.decay_after},
        {.name = "--decay-factor", .type = OPT_FLOAT, .dest = &o.decay_factor, .def = "0.5", .help = "step: factor per epoch; plateau: factor per reduction", .min = 1e-6, .max = 1.0, .given = &o.given.decay_factor},
        {.name = "--warmup", .type = OPT_SIZE, .dest = &o.warmup, .def = "0", .help = "cosine: warm-up steps", .min = 0, .max = 100000000, .metavar = "N", .given = &o.given.warmup},
        {.name = "--min-lr", .type = OPT_FLOAT, .dest = &o.min_lr, .def = "0", .help = "cosine, plateau: the lowest learning rate", .min = 0.0, .max = 100.0, .given = &o.given.min_lr},
        {.name = "--patience", .type = OPT_SIZE, .dest = &o.patience, .def = "1", .help = "plateau: epochs without improvement before a reduction", .min = 0, .max = 1000000, .metavar = "N", .given = &o.given.patience},
        {.name = "--clip", .type = OPT_FLOAT, .dest = &o.clip, .def = "5", .help = "clip the global gradient norm to this (0: no clipping)", .min = 0.0, .max = 1e9, .given = &o.given.clip},
        {.name = "--epochs", .type = OPT_SIZE, .dest = &o.epochs, .def = "10", .help = "stop after this many epochs (0: no limit)", .min = 0, .max = 1000000, .metavar = "N"},
        {.name = "--steps", .type = OPT_SIZE, .dest = &o.steps, .def = "0", .help = "stop after this many steps in all (0: no limit)", .min = 0, .max = 1e15, .metavar = "N"},
        {.name = "--time-limit", .type = OPT_FLOAT, .dest = &o.time_limit, .def = "0", .help = "stop after this many seconds of training (0: no limit)", .min = 0.0, .max = 1e9, .metavar = "SECONDS"},
        {.name = "--val-every", .type = OPT_SIZE, .dest = &o.val_every, .def = "0", .help = "also validate every N steps (0: at the end of each epoch)", .min = 0, .max = 1e15, .metavar = "N"},
        {.name = "--save", .type = OPT_STRING, .dest = &o.save, .help = "checkpoint path (default: TASK.safetensors in the current directory, charlm.safetensors or wordlm.safetensors; with --resume: the resumed checkpoint)", .metavar = "PATH", .given = &o.given.save},
        {.name = "--save-every", .type = OPT_SIZE, .dest = &o.save_every, .def = "500", .help = "checkpoint every N steps (0: at the end only)", .min = 0, .max = 1e15, .metavar = "N"},
        {.name = "--resume", .type = OPT_STRING, .dest = &o.resume, .help = "continue the run saved in this checkpoint, with its model and training settings (same --data), saving back to PATH unless --save is given. A model or training option may be repeated only with the checkpoint's value (--lr 2e-3 equals a stored 0.002); one that differs is refused, and so are --init, --init-range and --forget-bias, which a checkpoint does not record. The limits (--epochs, --steps, --time-limit), --val-every, --save, --save-every, --threads, --recompute and --json may change", .metavar = "PATH"},
        {.name = "--seed", .type = OPT_SIZE, .dest = &o.seed, .def = "1", .help = "random seed (initialisation, dropout)", .metavar = "S", .given = &o.given.seed},
        {.name = "--threads", .type = OPT_SIZE, .dest = &o.threads, .def = "0", .help = "BLAS threads (0: all cores); a run is bit-identical only at the same count", .min = 0, .max = 1024, .metavar = "N"},
        {.name = "--recompute", .type = OPT_SIZE, .dest = &o.recompute, .def = "0", .help = "memory-lean: cache S steps at a time, recompute the rest in backward (about a third more time; 0: cache all; bit-identity holds at the same S)", .min = 0, .max = 1000000, .metavar = "S"},
        {.name = "--json", .type = OPT_FLAG, .dest = &o.json, .help = "one JSON object per validation on stdout"},
    };
    int rc = opt_parse("train", synopsis, description, specs,
                       sizeof specs / sizeof *specs, argc, argv);
    if (rc)
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    if (!o.data) {
        cli_error("train", "--data FILE is required (see recur train --help)");
        return EXIT_USAGE;
    }
    recur_mode mode = RECUR_LSTM;
    if (cli_parse_cell(o.cell, &mode) == 0 && o.proj && mode != RECUR_LSTM) {
        cli_error("train", "--proj is for --cell lstm only");
        return EXIT_USAGE;
    }
    if (o.layer_norm && mode != RECUR_LSTM && mode != RECUR_GRU) {
        cli_error("train", "--layer-norm is for --cell lstm and gru only");
        return EXIT_USAGE;
    }
    if (o.variational && o.dropout == 0.0) {
        cli_error("train", "--variational changes how --dropout draws its "
                  "masks: it needs --dropout above 0");
        return EXIT_USAGE;
    }
    /* A continued run goes back where it came from unless told otherwise. */
    if (o.resume && !o.given.save)
        o.save = o.resume;
    else if (!o.given.save)
        o.save = !strcmp(o.task, "wordlm") ? "wordlm.safetensors"
                                            : "charlm.safetensors";
    /* Found now rather than when the first checkpoint is written. */
    struct stat sb;
    if (stat(o.save, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        cli_error("train", "--save %s is a directory; give a file path", o.save);
        return EXIT_FAILURE_DATA;
    }
    recur_set_threads((int)o.threads);

    corpus c = {0};
    trainer *t = NULL;
    char task[32] = "";
    if (o.resume) { /* the data is read as the checkpoint's task reads it */
        st_file *st = NULL;
        recur_status s = st_read(o.resume, &st);
        const char *tk = s ? NULL : st_meta(st, "task");
        snprintf(task, sizeof task, "%s", tk ? tk : "");
        st_free(st);
        if (s)
            return cli_fail("train", s);
        if (strcmp(task, "charlm") && strcmp(task, "wordlm")) {
            cli_error("train", "%s is not a checkpoint of recur train (its "
                      "task is '%s'; expected charlm or wordlm)", o.resume,
                      task);
            return EXIT_FAILURE_DATA;
        }
        if (o.given.task && strcmp(o.task, task)) {
            cli_error("train", "--task %s, but %s is a %s checkpoint", o.task,
                      o.resume, task);
            return EXIT_USAGE;
        }
        o.task = task;
    }
    /* From here every path ends at guard_end. */
    if ((rc = guard_begin("train", o.save)) != EXIT_OK)
        return rc;
    rc = load_corpus(&o, &c);
    if (!rc && o.resume) {
        recur_status s = trainer_resume(o.resume, c.train, c.n_train, c.val,
                                        c.n_val, &t);
        if (s)
            rc = cli_fail("train", s);
        if (!rc)
            rc = check_resume_options(specs, sizeof specs / sizeof *specs, &o, t);
        if (!rc && o.steps && o.steps <= trainer_step(t)) {
            cli_error("train", "%s is at step %llu already: --steps %zu leaves "
                      "nothing to do", o.resume,
                      (unsigned long long)trainer_step(t), o.steps);
            rc = EXIT_USAGE;
        }
        if (!rc && !strcmp(o.task, "wordlm") && !trainer_model(t)->words) {
            cli_error("train", "%s is a wordlm checkpoint without its words "
                      "(__metadata__ \"words\")", o.resume);
            rc = EXIT_FAILURE_DATA;
        }
    } else if (!rc) {
        rc = new_trainer(&o, &c, &t);
    }
    if (!rc)
        recur_rnn_set_recompute(trainer_model(t)->rnn, o.recompute);
    char *best = cli_beside(o.save, ".best", 1);
    char *csv = cli_beside(o.save, ".metrics.csv", 0);
    char *svg = cli_beside(o.save, ".loss.svg", 0);
    if (!rc && (!best || !csv || !svg)) {
        cli_error("train", "out of memory");
        rc = EXIT_FAILURE_DATA;
    }
    reporter r = {.opts = &o, .bar = {0}, .log = NULL, .plot_path = svg,
                  .last_loss = NAN, .val_oov = c.val_unseen,
                  .val_tokens = c.n_val};
    /* What an earlier run killed in the middle of a save left behind. */
    const char *written[2] = {o.save, best};
    for (int i = 0; !rc && i < 2; i++)
        cli_remove_stale_temps("train", written[i]);
    if (!rc && !(r.log = metrics_open(csv, o.resume != NULL,
                                      strcmp(o.task, "wordlm") ? "character"
                                                               : "word"))) {
        cli_error("train", "cannot write the metrics log %s: %s", csv,
                  strerror(errno));
        rc = EXIT_FAILURE_DATA;
    }
    if (!rc) {
        const recur_lm_config *lc = recur_lm_get_config(trainer_model(t));
        int words = !strcmp(o.task, "wordlm");
        fprintf(stderr,
                "recur train: %s %zux%zu, vocabulary %zu, %zu training and %zu "
                "validation %s, %zu chunks of %zux%zu per epoch%s\n",
                recur_mode_str(lc->rnn.mode), lc->rnn.num_layers,
                lc->rnn.hidden_size, lc->vocab_size, c.n_train, c.n_val,
                words ? "tokens (words and <eos>)" : "characters",
                trainer_chunks_per_epoch(t), trainer_config(t)->batch,
                trainer_config(t)->seq_len,
                o.resume ? ", resumed" : "");
        if (words && c.n_val) {
            double pct = cli_percent(c.val_unseen, c.n_val);
            fprintf(stderr, "recur train: out of vocabulary: %zu of the %zu "
                    "validation tokens (%.2f %%) never occur in the training "
                    "text\n", c.val_unseen, c.n_val, pct);
            if (pct > CLI_OOV_WARN_PERCENT)
                fprintf(stderr, "recur train: warning: %.1f %% of the "
                        "validation tokens (above %.0f %%) are words absent "
                        "from the training text: the model never learns "
                        "them, and the validation loss and perplexity count "
                        "them\n", pct, CLI_OOV_WARN_PERCENT);
        }
        train_limits lim = {0};
        lim.epochs = o.epochs;
        lim.steps = o.steps;
        lim.time_limit = o.time_limit;
        lim.val_every = o.val_every;
        lim.save_every = o.save_every;
        lim.save_path = o.save;
        lim.best_path = best;
        uint64_t total = o.steps;
        if (o.epochs && (!total || o.epochs * trainer_chunks_per_epoch(t) < total))
            total = o.epochs * trainer_chunks_per_epoch(t);
        progress_init(&r.bar, stderr, total, o.time_limit);
        recur_status s = trainer_run(t, &lim, report, &r);
        int sig = guard_signal();
        progress_done(&r.bar);
        metrics_plot(r.log, svg);
        if (s) {
            rc = cli_fail("train", s);
        } else if (sig) {
            /* Stopped at a step boundary and saved as at a normal end. */
            fprintf(stderr, "recur train: interrupted by %s at step %llu; "
                    "saved checkpoint %s, best %s, log %s, plot %s; continue "
                    "with: recur train --resume %s --data %s%s%s\n",
                    guard_signal_name(sig), (unsigned long long)trainer_step(t),
                    o.save, c.n_val ? best : "none (no validation data)", csv,
                    svg, o.save, o.data, o.val_data ? " --val-data " : "",
                    o.val_data ? o.val_data : "");
            rc = 128 + sig;
        } else {
            fprintf(stderr, "recur train: done after %llu steps; checkpoint %s, "
                    "best %s, log %s, plot %s\n",
                    (unsigned long long)trainer_step(t), o.save,
                    c.n_val ? best : "none (no validation data)", csv, svg);
        }
    }
    metrics_close(r.log);
    free(best);
    free(csv);
    free(svg);
    trainer_free(t);
    corpus_free(&c);
    guard_end();
    return rc;
}
