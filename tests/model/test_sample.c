/*
 * test_sample.c — next-token sampling: argmax at temperature 0 and its
 * equivalents (top_k = 1, a tiny top_p); frequencies over 200k draws
 * against softmax(logits / T) computed here in double, for the full
 * distribution, top-k and the nucleus (each within 4 sigma per token);
 * nothing outside the top k or the nucleus (computed here independently);
 * one rng draw per token and determinism; bad arguments; extreme logits.
 */
#include "base/rng.h"
#include "model/sample.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DRAWS 200000

/* p = softmax(logits / T) restricted to `allowed` (NULL: all), in double. */
static void reference_probs(const float *logits, size_t V, double T,
                            const int *allowed, double *p)
{
    double max = -INFINITY, sum = 0;
    for (size_t i = 0; i < V; i++)
        if ((!allowed || allowed[i]) && logits[i] > max)
            max = logits[i];
    for (size_t i = 0; i < V; i++) {
        p[i] = !allowed || allowed[i] ? exp((logits[i] - max) / T) : 0;
        sum += p[i];
    }
    for (size_t i = 0; i < V; i++)
        p[i] /= sum;
}

/* Ids by probability descending (ties: lower id first), selection sort. */
static void rank_ids(const double *p, size_t V, size_t *order)
{
    for (size_t i = 0; i < V; i++)
        order[i] = i;
    for (size_t i = 0; i < V; i++)
        for (size_t j = i + 1; j < V; j++)
            if (p[order[j]] > p[order[i]] ||
                (p[order[j]] == p[order[i]] && order[j] < order[i])) {
                size_t t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
}

/* Draws DRAWS tokens; checks each count against p within 4 sigma and that
 * tokens with p = 0 never appear. */
static void check_frequencies(const char *label, const float *logits, size_t V,
                              float T, size_t top_k, float top_p, const double *p)
{
    void *scratch = malloc(sample_scratch_size(V));
    size_t *count = calloc(V, sizeof *count);
    if (!scratch || !count) {
        CHECK(0, "out of memory");
        free(scratch);
        free(count);
        return;
    }
    rng_state rng;
    rng_seed(&rng, 1234);
    int ok = 1;
    for (size_t d = 0; d < DRAWS && ok; d++) {
        size_t id = V;
        ok = sample_token(logits, V, T, top_k, top_p, &rng, scratch, &id) ==
                 RECUR_OK && id < V;
        if (ok)
            count[id]++;
    }
    CHECK(ok, "%s: sampling failed: %s", label, recur_last_error());
    for (size_t i = 0; ok && i < V; i++) {
        double mean = DRAWS * p[i], sigma = sqrt(DRAWS * p[i] * (1 - p[i]));
        if (p[i] == 0)
            CHECK(count[i] == 0, "%s: token %zu (p = 0) drawn %zu times", label, i,
                  count[i]);
        else
            CHECK(fabs((double)count[i] - mean) <= 4 * sigma,
                  "%s: token %zu drawn %zu times, expected %.1f +- %.1f", label, i,
                  count[i], mean, sigma);
    }
    free(scratch);
    free(count);
}

static const float logits8[] = {1.0f, 2.0f, 0.5f, -1.0f, 3.0f, 2.0f, -0.25f, 1.5f};
#define V8 (sizeof logits8 / sizeof *logits8)

static void test_distribution(void)
{
    double p[V8];
    const float temps[] = {0.7f, 1.5f, 1.0f};
    for (size_t t = 0; t < 3; t++) {
        char label[64];
        reference_probs(logits8, V8, temps[t], NULL, p);
        snprintf(label, sizeof label, "T=%g", (double)temps[t]);
        check_frequencies(label, logits8, V8, temps[t], 0, 1.0f, p);
        /* top_k >= V and top_p = 1 filter nothing. */
        snprintf(label, sizeof label, "T=%g top_k=V", (double)temps[t]);
        check_frequencies(label, logits8, V8, temps[t], V8, 1.0f, p);
    }

    /* top_k = 3: the renormalised top three (ids 4, 1, 5; 1 and 5 tie). */
    int allowed[V8] = {0};
    allowed[4] = allowed[1] = allowed[5] = 1;
    reference_probs(logits8, V8, 1.2, allowed, p);
    check_frequencies("top_k=3", logits8, V8, 1.2f, 3, 1.0f, p);
    /* top_k = 2 breaks the tie between ids 1 and 5 by the lower id. */
    memset(allowed, 0, sizeof allowed);
    allowed[4] = allowed[1] = 1;
    reference_probs(logits8, V8, 1.2, allowed, p);
    check_frequencies("top_k=2", logits8, V8, 1.2f, 2, 1.0f, p);

    /* top_p: the nucleus computed here, from the full softmax (at 0.6 it
     * holds ids 4 and 1: the tie between 1 and 5 goes to the lower id). */
    const float top_ps[] = {0.9f, 0.6f, 0.75f};
    for (size_t k = 0; k < 3; k++) {
        double full[V8];
        size_t order[V8];
        reference_probs(logits8, V8, 0.8, NULL, full);
        rank_ids(full, V8, order);
        memset(allowed, 0, sizeof allowed);
        double before = 0;
        size_t kept = 0;
        for (size_t j = 0; j < V8 && (j == 0 || before < top_ps[k]); j++) {
            allowed[order[j]] = 1;
            before += full[order[j]];
            kept++;
        }
        CHECK(kept > 1 && kept < V8, "top_p=%g should keep some but not all (%zu)",
              (double)top_ps[k], kept);
        reference_probs(logits8, V8, 0.8, allowed, p);
        char label[64];
        snprintf(label, sizeof label, "top_p=%g", (double)top_ps[k]);
        check_frequencies(label, logits8, V8, 0.8f, 0, top_ps[k], p);
    }

    /* top_k and top_p together: the nucleus of the renormalised top 4
     * (ids 4, 1, 5, 7) at T = 1. */
    memset(allowed, 0, sizeof allowed);
    allowed[4] = allowed[1] = allowed[5] = allowed[7] = 1;
    double top4[V8];
    size_t order[V8];
    reference_probs(logits8, V8, 1.0, allowed, top4);
    rank_ids(top4, V8, order);
    memset(allowed, 0, sizeof allowed);
    double before = 0;
    for (size_t j = 0; j < 4 && (j == 0 || before < 0.8); j++) {
        allowed[order[j]] = 1;
        before += top4[order[j]];
    }
    CHECK(allowed[4] && allowed[1] && !allowed[7], "test setup: nucleus of the top 4");
    reference_probs(logits8, V8, 1.0, allowed, p);
    check_frequencies("top_k=4 top_p=0.8", logits8, V8, 1.0f, 4, 0.8f, p);
}

/* Draws n tokens; 1 if all equal `want`. */
static int always(const float *logits, size_t V, float T, size_t top_k, float top_p,
                  size_t n, size_t want)
{
    void *scratch = malloc(sample_scratch_size(V));
    if (!scratch)
        return 0;
    rng_state rng;
    rng_seed(&rng, 99);
    int ok = 1;
    for (size_t d = 0; d < n && ok; d++) {
        size_t id = V;
        ok = sample_token(logits, V, T, top_k, top_p, &rng, scratch, &id) ==
                 RECUR_OK && id == want;
    }
    free(scratch);
    return ok;
}

static void test_argmax(void)
{
    CHECK(always(logits8, V8, 0.0f, 0, 1.0f, 10, 4), "temperature 0 is argmax");
    CHECK(always(logits8, V8, 2.0f, 1, 1.0f, 2000, 4), "top_k=1 is argmax");
    CHECK(always(logits8, V8, 2.0f, 0, 1e-6f, 2000, 4), "a tiny top_p is argmax");
    CHECK(always(logits8, V8, 1e-30f, 0, 1.0f, 2000, 4), "T=1e-30 is argmax");
    const float ties[] = {2.0f, 5.0f, -1.0f, 5.0f};
    CHECK(always(ties, 4, 0.0f, 0, 1.0f, 10, 1), "argmax ties go to the lowest id");
    CHECK(always(ties, 4, 1.0f, 1, 1.0f, 1000, 1), "top_k=1 ties go to the lowest id");

    /* Temperature 0 draws nothing; any other draws exactly once. */
    void *scratch = malloc(sample_scratch_size(V8));
    rng_state a, b;
    rng_seed(&a, 5);
    b = a;
    size_t id;
    sample_token(logits8, V8, 0.0f, 0, 1.0f, &a, scratch, &id);
    CHECK(memcmp(&a, &b, sizeof a) == 0, "temperature 0 changed the rng");
    const struct {
        float T;
        size_t k;
        float p;
    } settings[] = {{1.0f, 0, 1.0f}, {0.5f, 3, 1.0f}, {2.0f, 0, 0.3f}, {1.0f, 2, 0.1f},
                    {1.0f, 1, 1.0f}};
    for (size_t s = 0; s < sizeof settings / sizeof *settings; s++) {
        b = a;
        rng_next(&b);
        sample_token(logits8, V8, settings[s].T, settings[s].k, settings[s].p, &a,
                           scratch, &id);
        CHECK(memcmp(&a, &b, sizeof a) == 0, "setting %zu did not draw exactly once", s);
    }
    free(scratch);
}

static void test_determinism(void)
{
    enum { V = 300, N = 2000 };
    float *logits = malloc(V * sizeof *logits);
    void *s1 = malloc(sample_scratch_size(V)), *s2 = malloc(sample_scratch_size(V));
    if (!logits || !s1 || !s2) {
        CHECK(0, "out of memory");
        free(logits), free(s1), free(s2);
        return;
    }
    rng_state g;
    rng_seed(&g, 7);
    for (size_t i = 0; i < V; i++)
        logits[i] = 6.0f * rng_uniform(&g) - 3.0f;
    rng_state a, b;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    int same = 1, varied = 0;
    size_t first = V;
    for (size_t d = 0; d < N; d++) {
        size_t x = V, y = V + 1;
        size_t k = d % 3 == 0 ? 0 : 40;
        float p = d % 2 ? 0.95f : 1.0f;
        sample_token(logits, V, 0.9f, k, p, &a, s1, &x);
        memset(s2, 0xAB, sample_scratch_size(V)); /* scratch holds no state */
        sample_token(logits, V, 0.9f, k, p, &b, s2, &y);
        same &= x == y;
        if (d == 0)
            first = x;
        varied |= x != first;
    }
    CHECK(same, "the same seed gave different tokens");
    CHECK(varied, "2000 draws over 300 tokens were all the same");
    free(logits), free(s1), free(s2);
}

static void test_bad_arguments(void)
{
    void *scratch = malloc(sample_scratch_size(V8));
    rng_state rng;
    rng_seed(&rng, 1);
    size_t id = 777;
    const struct {
        float T, p;
        const char *what;
    } bad[] = {{-1.0f, 1.0f, "temperature"}, {NAN, 1.0f, "temperature"},
               {INFINITY, 1.0f, "temperature"}, {1.0f, 0.0f, "top_p"},
               {1.0f, 1.5f, "top_p"}, {1.0f, NAN, "top_p"}, {1.0f, -0.5f, "top_p"}};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        recur_status st = sample_token(logits8, V8, bad[k].T, 0, bad[k].p, &rng,
                                             scratch, &id);
        CHECK(st == RECUR_ERR_ARGUMENT && strstr(recur_last_error(), bad[k].what),
              "bad %s (T=%g, top_p=%g): %s '%s'", bad[k].what, (double)bad[k].T,
              (double)bad[k].p, recur_status_str(st), recur_last_error());
    }
    CHECK(sample_token(logits8, 0, 1.0f, 0, 1.0f, &rng, scratch, &id) ==
              RECUR_ERR_ARGUMENT, "V = 0");
    CHECK(sample_token(NULL, V8, 1.0f, 0, 1.0f, &rng, scratch, &id) ==
              RECUR_ERR_ARGUMENT, "NULL logits");
    CHECK(sample_token(logits8, V8, 1.0f, 0, 1.0f, NULL, scratch, &id) ==
              RECUR_ERR_ARGUMENT, "NULL rng");
    CHECK(sample_token(logits8, V8, 1.0f, 0, 1.0f, &rng, NULL, &id) ==
              RECUR_ERR_ARGUMENT, "NULL scratch");
    CHECK(sample_token(logits8, V8, 1.0f, 0, 1.0f, &rng, scratch, NULL) ==
              RECUR_ERR_ARGUMENT, "NULL id");
    const float with_nan[] = {1.0f, NAN, 0.0f};
    CHECK(sample_token(with_nan, 3, 1.0f, 0, 1.0f, &rng, scratch, &id) ==
              RECUR_ERR_ARGUMENT && strstr(recur_last_error(), "logits[1] is NaN"),
          "a NaN logit: '%s'", recur_last_error());
    const float all_minus_inf[] = {-INFINITY, -INFINITY};
    CHECK(sample_token(all_minus_inf, 2, 1.0f, 0, 1.0f, &rng, scratch, &id) ==
              RECUR_ERR_ARGUMENT, "every logit -inf");
    CHECK(sample_token(all_minus_inf, 2, 0.0f, 0, 1.0f, &rng, scratch, &id) ==
              RECUR_ERR_ARGUMENT, "every logit -inf at temperature 0");
    CHECK(id == 777, "id touched on failure");
    CHECK(sample_scratch_size(SIZE_MAX / 2) == 0, "scratch size overflow");
    CHECK(sample_scratch_size(10) >= 10 * (sizeof(double) + sizeof(size_t)),
          "scratch size");
    free(scratch);
}

static void test_extreme_logits(void)
{
    /* ±1e30 and -inf: token 0 holds all the probability at moderate T. */
    const float huge[] = {1e30f, -1e30f, -INFINITY, 0.0f, 3e38f * -1.0f};
    CHECK(always(huge, 5, 1.0f, 0, 1.0f, 1000, 0), "1e30 takes everything");
    CHECK(always(huge, 5, 1e-30f, 3, 0.5f, 100, 0), "1e30 at T=1e-30");
    /* T = 1e30 flattens 1e30 and -1e30 to weights e^0 and e^-2. */
    const float two[] = {1e30f, -1e30f, -INFINITY};
    double p[3] = {1 / (1 + exp(-2.0)), exp(-2.0) / (1 + exp(-2.0)), 0};
    check_frequencies("T=1e30", two, 3, 1e30f, 0, 1.0f, p);
    /* +inf logits share the probability; nothing else is drawn. */
    const float pinf[] = {INFINITY, 1e30f, INFINITY, -INFINITY};
    double q[4] = {0.5, 0, 0.5, 0};
    check_frequencies("+inf logits", pinf, 4, 1.0f, 0, 1.0f, q);
    check_frequencies("+inf logits top_k=2", pinf, 4, 1.0f, 2, 1.0f, q);
    CHECK(always(pinf, 4, 0.0f, 0, 1.0f, 5, 0), "+inf argmax");
    /* Mostly -inf with one finite logit, under every filter. */
    const float lone[] = {-INFINITY, -INFINITY, -5.0f, -INFINITY};
    CHECK(always(lone, 4, 1.0f, 0, 1.0f, 200, 2), "the only finite logit");
    CHECK(always(lone, 4, 1.0f, 3, 0.9f, 200, 2), "the only finite logit, filtered");
    CHECK(always(lone, 4, 3.0f, 0, 1e-3f, 200, 2), "the only finite logit, nucleus");
    /* A single token. */
    const float one[] = {-7.0f};
    CHECK(always(one, 1, 0.5f, 5, 0.3f, 100, 0), "V = 1");
}

void test_sample(void)
{
    test_argmax();
    test_distribution();
    test_determinism();
    test_bad_arguments();
    test_extreme_logits();
}
