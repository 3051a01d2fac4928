/*
 * sample.c — `recur sample --model PATH`: generates from a model (tasks.c
 * sends music models to music.c); here text from a character or word
 * language model, one token at a time through the public step API
 * (recur_lm_state), printing each as it comes. --prime text is fed first
 * (and printed); its characters must be in the model's vocabulary.
 *
 * From the zero state a model has seen few beginnings (one per stream and
 * epoch), and a prime such as "ROMEO:" fed straight into it can send it
 * into a loop of rare characters — PyTorch gives the same text from the
 * same checkpoint. So, unless --raw-start, a newline (when the vocabulary
 * has one and the prime does not begin with it) is fed first, unprinted:
 * the prime then starts a line, as names do in the training text.
 */
#include "cli.h"
#include "base/error.h"
#include "model/lm.h"
#include "options.h"
#include "model/sample.h"
#include "data/text.h"
#include "data/words.h"
#include "seqtask.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t length;
    float temperature;
    size_t top_k;
    float top_p;
    int raw_start;
} sample_settings;

/* Word models: the prime's words (words.h: a line's end is <eos>; unseen
 * words are <unk> where the vocabulary has it), after an unprinted <eos>
 * unless raw_start, then `length` words, each printed after a space, <eos>
 * as a line break. A prime of only whitespace is one <eos>. */
static recur_status sample_words(recur_lm *lm, recur_lm_state *st,
                                 const char *prime, const sample_settings *set,
                                 rng_state *rng, void *scratch)
{
    word_list w = {0};
    int32_t *ids = NULL;
    size_t n = 0;
    int blank = 1;
    for (const char *p = prime; *p && blank; p++)
        blank = strchr(" \t\v\f\r\n", *p) != NULL;
    int64_t eos = word_vocab_find(lm->words, RECUR_EOS);
    if (blank && eos < 0)
        return error_fail(RECUR_ERR_ARGUMENT, "the model's vocabulary has no "
                          "%s to start from: give --prime words", RECUR_EOS);
    recur_status s = RECUR_OK;
    if (!blank) {
        s = words_split((const unsigned char *)prime, strlen(prime),
                              "--prime", &w);
        /* No line end after the last word: no <eos> either. */
        n = w.count - (s == RECUR_OK && prime[strlen(prime) - 1] != '\n');
        if (!s && !(ids = malloc(w.count * sizeof(int32_t))))
            s = error_fail(RECUR_ERR_MEMORY, "out of memory");
        if (!s)
            s = word_vocab_encode(lm->words, &w, "--prime", ids);
    }
    if (!s && eos >= 0 && (blank || !set->raw_start))
        s = recur_lm_state_feed(st, (size_t)eos);
    int at_line_start = 1;
    for (size_t i = 0; !s && i < n; i++) {
        s = recur_lm_state_feed(st, (size_t)ids[i]);
        int is_eos = ids[i] == eos;
        printf("%s%s", at_line_start || is_eos ? "" : " ",
               is_eos ? "\n" : w.token[i]);
        at_line_start = is_eos;
    }
    for (size_t i = 0; !s && i < set->length; i++) {
        size_t id;
        s = sample_token(recur_lm_state_get_logits(st), lm->V,
                               set->temperature, set->top_k, set->top_p, rng,
                               scratch, &id);
        if (!s) {
            int is_eos = (int64_t)id == eos;
            printf("%s%s", at_line_start || is_eos ? "" : " ",
                   is_eos ? "\n" : word_vocab_word(lm->words, id));
            at_line_start = is_eos;
            fflush(stdout);
            s = recur_lm_state_feed(st, id);
        }
    }
    if (!s && !at_line_start)
        putchar('\n');
    free(ids);
    words_free(&w);
    return s;
}

int cmd_sample(int argc, char **argv)
{
    int task_rc;
    if (task_dispatch("sample", argc, argv, &task_rc))
        return task_rc;
    const char *task = NULL, *model = NULL, *prime = NULL;
    size_t length, top_k, seed, threads;
    double temperature, top_p;
    int raw_start = 0;
    /* The help of --task charlm or wordlm is that model's alone. */
    const char *given = seqtask_arg(argc, argv, "--task");
    int words = given && !strcmp(given, "wordlm");
    const opt_spec specs[] = {
        {"--task", OPT_CHOICE, &task, NULL, "the model's task (default: the checkpoint's); music has its own options: recur sample --task music --help", "charlm|wordlm|music", 0, 0, NULL, NULL},
        {"--model", OPT_STRING, &model, NULL, "checkpoint written by recur train (required)", NULL, 0, 0, "PATH", NULL},
        {"--prime", OPT_STRING, &prime, "\n", words ? "words fed before sampling, a line end as <eos> (a newline alone: one <eos>)" : "text fed before sampling", NULL, 0, 0, "TEXT", NULL},
        {"--length", OPT_SIZE, &length, "500", !given ? "characters (charlm) or words (wordlm) to generate" : words ? "words to generate" : "characters to generate", NULL, 0, 1e12, "N", NULL},
        {"--temperature", OPT_FLOAT, &temperature, "0.8", "softmax temperature (0: always the most likely)", NULL, 0.0, 100.0, "T", NULL},
        {"--top-k", OPT_SIZE, &top_k, "0", "sample among the K most likely (0: all)", NULL, 0, 1e9, "K", NULL},
        {"--top-p", OPT_FLOAT, &top_p, "1", "nucleus sampling: the smallest set with this probability", NULL, 1e-9, 1.0, "P", NULL},
        {"--seed", OPT_SIZE, &seed, "1", "random seed", NULL, 0, 0, "S", NULL},
        {"--raw-start", OPT_FLAG, &raw_start, NULL, words ? "feed the prime from the zero state, without the unprinted <eos> before it" : "feed the prime from the zero state, without the unprinted newline before it", NULL, 0, 0, NULL, NULL},
        {"--threads", OPT_SIZE, &threads, "1", "BLAS threads", NULL, 0, 1024, "N", NULL},
    };
    const char *about =
        !given ? "Generates from a trained model, by the model's task (read "
                 "from the checkpoint, or --task): charlm and wordlm, the "
                 "options below: text, one character or word at a time, "
                 "printed as it comes; music: a MIDI file, with its own "
                 "options (recur sample --task music --help)."
        : words ? "Generates text from a word language model, one word at a "
                  "time, printing each as it comes (<eos> as a line break)."
                : "Generates text from a character language model, one "
                  "character at a time, printing each as it comes.";
    int rc = opt_parse("sample", "[--task TASK] --model PATH [options]", about,
                       specs, sizeof specs / sizeof *specs, argc, argv);
    if (rc)
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    if (!model) {
        cli_error("sample", "--model is required (see recur sample --help)");
        return EXIT_USAGE;
    }
    recur_set_threads((int)threads);
    recur_lm *lm = NULL;
    recur_lm_state *st = NULL;
    uint32_t *cps = NULL;
    size_t n = 0;
    void *scratch = NULL;
    recur_status s = recur_lm_load(model, &lm);
    if (!s && !lm->vocab && !lm->words)
        s = error_fail(RECUR_ERR_FORMAT, "%s has no vocabulary", model);
    if (!s && !*prime)
        s = error_fail(RECUR_ERR_ARGUMENT, "--prime must not be empty");
    if (!s && !(scratch = malloc(sample_scratch_size(lm->V))))
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
    if (!s)
        s = recur_lm_state_create(lm, &st);
    if (!s) /* the weights stay fixed while sampling */
        s = recur_lm_pack_weights(lm);
    rng_state rng;
    rng_seed(&rng, seed);
    if (!s && lm->words) {
        const sample_settings set = {length, (float)temperature, top_k,
                                     (float)top_p, raw_start};
        s = sample_words(lm, st, prime, &set, &rng, scratch);
        n = 0;
    } else if (!s) {
        s = utf8_decode((const unsigned char *)prime, strlen(prime),
                              "--prime", &cps, &n);
        if (s)
            n = 0;
    }
    /* Check the whole prime before printing anything. */
    for (size_t i = 0; !s && i < n; i++) {
        size_t id;
        s = recur_lm_get_token(lm, cps[i], &id);
    }
    size_t newline;
    if (!s && n && !raw_start && cps[0] != '\n' &&
        recur_lm_get_token(lm, '\n', &newline) == RECUR_OK)
        s = recur_lm_state_feed(st, newline);
    char buf[4];
    for (size_t i = 0; !s && i < n; i++) {
        size_t id;
        recur_lm_get_token(lm, cps[i], &id);
        s = recur_lm_state_feed(st, id);
        fwrite(buf, 1, utf8_encode(cps[i], buf), stdout);
    }
    for (size_t i = 0; !s && n && i < length; i++) {
        size_t id;
        s = sample_token(recur_lm_state_get_logits(st), lm->V, (float)temperature,
                               top_k, (float)top_p, &rng, scratch, &id);
        if (!s) {
            uint32_t cp = recur_lm_get_codepoint(lm, id);
            fwrite(buf, 1, utf8_encode(cp, buf), stdout);
            fflush(stdout);
            s = recur_lm_state_feed(st, id);
        }
    }
    if (!s && n)
        putchar('\n');
    if (s)
        rc = cli_fail("sample", s);
    free(scratch);
    free(cps);
    recur_lm_state_free(st);
    recur_lm_free(lm);
    return rc;
}
