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

/* The prime's words the vocabulary lacks, read as <unk>: said on stderr
 * (the text goes to stdout), with a warning above CLI_OOV_WARN_PERCENT and
 * the first few named. */
static void note_prime_oov(const word_vocab *v, const word_list *w, size_t n)
{
    word_list fed = *w; /* the n tokens fed */
    fed.count = n;
    size_t oov = word_vocab_count_missing(v, &fed);
    if (!oov)
        return;
    double pct = cli_percent(oov, n);
    fprintf(stderr, "recur sample: %s--prime: out of vocabulary: %zu of its "
            "%zu tokens (%.1f %%) read as %s:", pct > CLI_OOV_WARN_PERCENT ?
            "warning: " : "", oov, n, pct, RECUR_UNK);
    for (size_t i = 0, shown = 0; i < n && shown < 5; i++)
        if (word_vocab_find(v, w->token[i]) < 0)
            fprintf(stderr, "%s '%.40s'", shown++ ? "," : "", w->token[i]);
    fprintf(stderr, "%s\n", oov > 5 ? ", ..." : "");
}

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
        if (!s)
            note_prime_oov(lm->words, &w, n);
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
        {.name = "--task", .type = OPT_CHOICE, .dest = &task, .help = "the model's task (default: the checkpoint's); music has its own options: recur sample --task music --help", .choices = "charlm|wordlm|music"},
        {.name = "--model", .type = OPT_STRING, .dest = &model, .help = "checkpoint written by recur train (required)", .metavar = "PATH"},
        {.name = "--prime", .type = OPT_STRING, .dest = &prime, .def = "\n", .help = words ? "words fed before sampling, a line end as <eos> (a newline alone: one <eos>)" : "text fed before sampling", .metavar = "TEXT"},
        {.name = "--length", .type = OPT_SIZE, .dest = &length, .def = "500", .help = !given ? "characters (charlm) or words (wordlm) to generate" : words ? "words to generate" : "characters to generate", .min = 0, .max = 1e12, .metavar = "N"},
        {.name = "--temperature", .type = OPT_FLOAT, .dest = &temperature, .def = "0.8", .help = "softmax temperature (0: always the most likely)", .min = 0.0, .max = 100.0, .metavar = "T"},
        {.name = "--top-k", .type = OPT_SIZE, .dest = &top_k, .def = "0", .help = "sample among the K most likely (0: all)", .min = 0, .max = 1e9, .metavar = "K"},
        {.name = "--top-p", .type = OPT_FLOAT, .dest = &top_p, .def = "1", .help = "nucleus sampling: the smallest set with this probability", .min = 1e-9, .max = 1.0, .metavar = "P"},
        {.name = "--seed", .type = OPT_SIZE, .dest = &seed, .def = "1", .help = "random seed", .metavar = "S"},
        {.name = "--raw-start", .type = OPT_FLAG, .dest = &raw_start, .help = words ? "feed the prime from the zero state, without the unprinted <eos> before it" : "feed the prime from the zero state, without the unprinted newline before it"},
        {.name = "--threads", .type = OPT_SIZE, .dest = &threads, .def = "1", .help = "BLAS threads", .min = 0, .max = 1024, .metavar = "N"},
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
        const sample_settings set = {.length = length,
                                     .temperature = (float)temperature,
                                     .top_k = top_k, .top_p = (float)top_p,
                                     .raw_start = raw_start};
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
