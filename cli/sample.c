/*
 * sample.c — `recur sample --model PATH`: generates text from a character
 * language model one character at a time through the public step API
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
#include "error.h"
#include "lm.h"
#include "options.h"
#include "sample.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_sample(int argc, char **argv)
{
    const char *model = NULL, *prime = NULL;
    size_t length, top_k, seed, threads;
    double temperature, top_p;
    int raw_start = 0;
    const opt_spec specs[] = {
        {"--model", OPT_STRING, &model, NULL, "checkpoint written by recur train (required)", NULL, 0, 0, "PATH", NULL},
        {"--prime", OPT_STRING, &prime, "\n", "text fed before sampling (default: a newline)", NULL, 0, 0, "TEXT", NULL},
        {"--length", OPT_SIZE, &length, "500", "characters to generate", NULL, 0, 1e12, "N", NULL},
        {"--temperature", OPT_FLOAT, &temperature, "0.8", "softmax temperature (0: always the most likely)", NULL, 0.0, 100.0, "T", NULL},
        {"--top-k", OPT_SIZE, &top_k, "0", "sample among the K most likely (0: all)", NULL, 0, 1e9, "K", NULL},
        {"--top-p", OPT_FLOAT, &top_p, "1", "nucleus sampling: the smallest set with this probability", NULL, 1e-9, 1.0, "P", NULL},
        {"--seed", OPT_SIZE, &seed, "1", "random seed", NULL, 0, 0, "S", NULL},
        {"--raw-start", OPT_FLAG, &raw_start, NULL, "feed the prime from the zero state, without the unprinted newline before it", NULL, 0, 0, NULL, NULL},
        {"--threads", OPT_SIZE, &threads, "1", "BLAS threads", NULL, 0, 1024, "N", NULL},
    };
    int rc = opt_parse("sample", "--model PATH [options]",
                       "Generates text from a character language model, one "
                       "character at a time, printing each as it comes.",
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
    if (!s && !lm->vocab)
        s = recur_fail(RECUR_ERR_FORMAT, "%s has no character vocabulary", model);
    if (!s && !*prime)
        s = recur_fail(RECUR_ERR_ARGUMENT, "--prime must not be empty");
    if (!s)
        s = recur_utf8_decode((const unsigned char *)prime, strlen(prime),
                              "--prime", &cps, &n);
    if (!s && !(scratch = malloc(recur_sample_scratch_size(lm->V))))
        s = recur_fail(RECUR_ERR_MEMORY, "out of memory");
    if (!s)
        s = recur_lm_state_new(lm, &st);
    /* Check the whole prime before printing anything. */
    for (size_t i = 0; !s && i < n; i++) {
        size_t id;
        s = recur_lm_token(lm, cps[i], &id);
    }
    size_t newline;
    if (!s && !raw_start && cps[0] != '\n' &&
        recur_lm_token(lm, '\n', &newline) == RECUR_OK)
        s = recur_lm_state_feed(st, newline);
    recur_rng rng;
    rng_seed(&rng, seed);
    char buf[4];
    for (size_t i = 0; !s && i < n; i++) {
        size_t id;
        recur_lm_token(lm, cps[i], &id);
        s = recur_lm_state_feed(st, id);
        fwrite(buf, 1, recur_utf8_encode(cps[i], buf), stdout);
    }
    for (size_t i = 0; !s && i < length; i++) {
        size_t id;
        s = recur_sample_token(recur_lm_state_logits(st), lm->V, (float)temperature,
                               top_k, (float)top_p, &rng, scratch, &id);
        if (!s) {
            fwrite(buf, 1, recur_utf8_encode(recur_lm_codepoint(lm, id), buf), stdout);
            fflush(stdout);
            s = recur_lm_state_feed(st, id);
        }
    }
    if (!s)
        putchar('\n');
    if (s)
        rc = cli_fail("sample", s);
    free(scratch);
    free(cps);
    recur_lm_state_free(st);
    recur_lm_free(lm);
    return rc;
}
