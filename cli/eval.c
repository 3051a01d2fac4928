/*
 * eval.c — `recur eval --model PATH --data FILE`: scores a model of any
 * task (tasks.c sends the supervised ones to their own code); here the
 * loss of a language model on a text, in nats per token (character or word), bits per
 * character (character models) and perplexity. The text is read as --batch streams in chunks of --seq-len
 * (train.h), each stream from a zero state, every stream predicting all
 * its next tokens; --batch 1 (the default) reads it as one sequence, which
 * is the exact figure: all N - 1 characters after the first are scored.
 * Characters the model has never seen are an error naming them; words are
 * read as in training (words.h): unseen ones become <unk> where the
 * vocabulary has it, else an error naming them. How many became <unk> (out
 * of vocabulary) is reported beside the figures, with a warning above
 * CLI_OOV_WARN_PERCENT: a perplexity over a text most of whose words are
 * <unk> says little about the text.
 */
#include "cli.h"
#include "base/error.h"
#include "model/lm.h"
#include "options.h"
#include "data/text.h"
#include "train/train.h"
#include "model/lm_streams.h"
#include "data/words.h"
#include "seqtask.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_eval(int argc, char **argv)
{
    int task_rc;
    if (task_dispatch("eval", argc, argv, &task_rc))
        return task_rc;
    const char *task = NULL, *model = NULL, *data = NULL;
    size_t batch, seq_len, threads;
    int json = 0;
    const opt_spec specs[] = {
        {.name = "--task", .type = OPT_CHOICE, .dest = &task, .help = "the model's task (default: the checkpoint's); classify, forecast, music and tag have their own options: recur eval --task TASK --help", .choices = "charlm|wordlm|classify|forecast|music|tag"},
        {.name = "--model", .type = OPT_STRING, .dest = &model, .help = "checkpoint written by recur train (required)", .metavar = "PATH"},
        {.name = "--data", .type = OPT_STRING, .dest = &data, .help = "UTF-8 text to evaluate (required)", .metavar = "FILE"},
        {.name = "--batch", .type = OPT_SIZE, .dest = &batch, .def = "1", .help = "parallel streams (1: the whole text as one sequence)", .min = 1, .max = 100000, .metavar = "B"},
        {.name = "--seq-len", .type = OPT_SIZE, .dest = &seq_len, .def = "100", .help = "steps per chunk", .min = 1, .max = 100000, .metavar = "T"},
        {.name = "--threads", .type = OPT_SIZE, .dest = &threads, .def = "0", .help = "BLAS threads (0: all cores)", .min = 0, .max = 1024, .metavar = "N"},
        {.name = "--json", .type = OPT_FLAG, .dest = &json, .help = "one JSON object on stdout"},
    };
    /* The help of --task charlm or wordlm is that model's alone. */
    const char *given = seqtask_arg(argc, argv, "--task");
    const char *about =
        !given ? "Scores a trained model on data, by the model's task (read "
                 "from the checkpoint, or --task): charlm and wordlm, the "
                 "options below: the loss of a text in nats per character or "
                 "word, bits per character and perplexity; classify: "
                 "accuracy, per-class precision, recall and F1 of labelled "
                 "texts; forecast: RMSE, MAE, MAPE and sMAPE of a series' test "
                 "part beside the naive forecasts, and whether it beats the "
                 "better of them; music: the negative "
                 "log-likelihood per frame of piano rolls; tag: accuracy, "
                 "accuracy on unseen words, per-tag and entity F1 of tagged "
                 "sentences. Those four have their own options: recur eval --task TASK --help."
        : !strcmp(given, "wordlm")
            ? "Scores a word language model on a text (read as in training: "
              "<eos> at each line end, unseen words <unk> where the "
              "vocabulary has it): loss in nats per word, perplexity and the "
              "words out of the vocabulary."
            : "Scores a character language model on a text: loss in nats per "
              "character, bits per character and perplexity.";
    int rc = opt_parse("eval", "[--task TASK] --model PATH --data FILE [options]",
                       about, specs, sizeof specs / sizeof *specs, argc, argv);
    if (rc)
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    if (!model || !data) {
        cli_error("eval", "--model and --data are required (see recur eval --help)");
        return EXIT_USAGE;
    }
    recur_set_threads((int)threads);
    recur_lm *lm = NULL;
    uint32_t *text = NULL;
    int32_t *ids = NULL;
    char_vocab *vocab = NULL;
    size_t n = 0, tokens = 0, oov = 0;
    double sum = 0;
    word_list words = {0};
    recur_status s = recur_lm_load(model, &lm);
    if (!s && !lm->vocab && !lm->words)
        s = error_fail(RECUR_ERR_FORMAT, "%s has no vocabulary", model);
    if (!s && lm->words) {
        s = words_read(data, &words);
        n = words.count;
        if (!s && !(ids = malloc(n * sizeof(int32_t))))
            s = error_fail(RECUR_ERR_MEMORY, "out of memory for %zu words", n);
        if (!s)
            s = word_vocab_encode(lm->words, &words, data, ids);
        if (!s)
            oov = word_vocab_count_missing(lm->words, &words);
        if (!s)
            s = lm_evaluate(lm, ids, n, batch, seq_len, 1, &sum, &tokens);
    } else if (!s) {
        s = text_read(data, &text, &n);
        if (!s)
            s = char_vocab_from_codepoints(lm->vocab, lm->V, &vocab);
        if (!s && !(ids = malloc(n * sizeof(int32_t))))
            s = error_fail(RECUR_ERR_MEMORY, "out of memory for %zu characters",
                           n);
        if (!s)
            s = char_vocab_encode(vocab, text, n, data, ids);
        if (!s)
            s = lm_evaluate(lm, ids, n, batch, seq_len, 1, &sum, &tokens);
    }
    if (s) {
        rc = cli_fail("eval", s);
    } else if (lm->words) {
        /* Out of vocabulary: of the n tokens read, those read as <unk>. */
        double loss = sum / (double)tokens, pct = cli_percent(oov, n);
        if (json)
            printf("{\"loss\": %.6f, \"ppl\": %.6f, \"tokens\": %zu, "
                   "\"oov_tokens\": %zu, \"oov_rate\": %.6f}\n", loss,
                   exp(loss), tokens, oov, pct / 100.0);
        else
            printf("%s on %s: loss %.4f nats/word, perplexity %.3f over %zu "
                   "words; out of vocabulary: %zu of %zu tokens (%.2f %%) read "
                   "as %s\n", model, data, loss, exp(loss), tokens, oov, n, pct,
                   RECUR_UNK);
        if (pct > CLI_OOV_WARN_PERCENT)
            fprintf(stderr, "recur eval: warning: %.1f %% of the tokens of %s "
                    "(above %.0f %%) are not in the model's vocabulary and "
                    "were read as %s: the loss and perplexity are those of a "
                    "text with every unknown word the same word, not of %s as "
                    "written\n", pct, data, CLI_OOV_WARN_PERCENT, RECUR_UNK,
                    data);
    } else {
        double loss = sum / (double)tokens;
        if (json)
            printf("{\"loss\": %.6f, \"bpc\": %.6f, \"ppl\": %.6f, \"tokens\": %zu}\n",
                   loss, loss / log(2.0), exp(loss), tokens);
        else
            printf("%s on %s: loss %.4f nats/char, %.4f bits/char, perplexity "
                   "%.3f over %zu characters\n", model, data, loss,
                   loss / log(2.0), exp(loss), tokens);
    }
    free(ids);
    free(text);
    words_free(&words);
    char_vocab_free(vocab);
    recur_lm_free(lm);
    return rc;
}
