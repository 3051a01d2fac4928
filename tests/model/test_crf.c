/*
 * test_crf.c — the linear-chain CRF (model/crf.c) against brute force:
 * every one of the K^T tag sequences of small sentences (T 1..5, K 1..4,
 * random parameters) scored here in double gives log Z, the nll of random
 * gold paths, the best path and its score, and the exact marginals that
 * the gradient must equal (plus the gold counts). Also: every gradient
 * entry against central differences of the nll; Viterbi's tie rule on
 * integer scores, where ties are exact; accumulation (twice at scale 0.5
 * = once at 1); NULL gradient arrays; emissions of ±1e4 and a long
 * sentence; bad arguments refused with a message.
 */
#include "base/rng.h"
#include "model/crf.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_T = 5, MAX_K = 4 };

typedef struct {
    size_t T, K;
    float start[MAX_K], end[MAX_K], trans[MAX_K * MAX_K], emit[MAX_T * MAX_K];
} problem;

typedef struct {
    float emit[MAX_T * MAX_K], start[MAX_K], end[MAX_K], trans[MAX_K * MAX_K];
} gradient;

/* What brute force finds: log Z, the exact marginals (node [T, K], start
 * and end [K], expected transition counts [K, K]), and the best path
 * (among ties the least compared from the last token back) and score. */
typedef struct {
    double log_z, node[MAX_T * MAX_K], pair[MAX_K * MAX_K], best;
    int32_t best_path[MAX_T];
} brute;

static crf_params params_of(const problem *pr)
{
    return (crf_params){.start = pr->start, .end = pr->end, .trans = pr->trans};
}

static float uniform(rng_state *r, float lo, float hi)
{
    return lo + (hi - lo) * rng_uniform(r);
}

/* Parameters uniform in [−1, 1], emissions in [−emit_range, emit_range]. */
static void random_problem(problem *pr, size_t T, size_t K, rng_state *r,
                           float emit_range)
{
    memset(pr, 0, sizeof *pr);
    pr->T = T;
    pr->K = K;
    for (size_t i = 0; i < K; i++) {
        pr->start[i] = uniform(r, -1, 1);
        pr->end[i] = uniform(r, -1, 1);
    }
    for (size_t i = 0; i < K * K; i++)
        pr->trans[i] = uniform(r, -1, 1);
    for (size_t i = 0; i < T * K; i++)
        pr->emit[i] = uniform(r, -emit_range, emit_range);
}

/* The path numbered n: tag t is digit t of n in base K, so the last token
 * is the most significant and counting up walks paths in the order that
 * compares from the last token back. */
static void path_of(size_t n, size_t T, size_t K, int32_t *y)
{
    for (size_t t = 0; t < T; t++, n /= K)
        y[t] = (int32_t)(n % K);
}

static size_t path_count(size_t T, size_t K)
{
    size_t n = 1;
    for (size_t t = 0; t < T; t++)
        n *= K;
    return n;
}

static double score_of(const problem *pr, const int32_t *y)
{
    size_t K = pr->K;
    double s = pr->start[y[0]];
    for (size_t t = 0; t < pr->T; t++) {
        s += pr->emit[t * K + (size_t)y[t]];
        if (t > 0)
            s += pr->trans[(size_t)y[t - 1] * K + (size_t)y[t]];
    }
    return s + pr->end[y[pr->T - 1]];
}

static void brute_force(const problem *pr, brute *b)
{
    size_t T = pr->T, K = pr->K, n = path_count(T, K);
    int32_t y[MAX_T];
    memset(b, 0, sizeof *b);
    b->best = -INFINITY;
    for (size_t p = 0; p < n; p++) {
        path_of(p, T, K, y);
        double s = score_of(pr, y);
        if (s > b->best) {
            b->best = s;
            memcpy(b->best_path, y, T * sizeof *y);
        }
    }
    double sum = 0;
    for (size_t p = 0; p < n; p++) {
        path_of(p, T, K, y);
        double w = exp(score_of(pr, y) - b->best);
        sum += w;
        for (size_t t = 0; t < T; t++) {
            b->node[t * K + (size_t)y[t]] += w;
            if (t > 0)
                b->pair[(size_t)y[t - 1] * K + (size_t)y[t]] += w;
        }
    }
    for (size_t i = 0; i < T * K; i++)
        b->node[i] /= sum;
    for (size_t i = 0; i < K * K; i++)
        b->pair[i] /= sum;
    b->log_z = b->best + log(sum);
}

static void random_tags(rng_state *r, size_t T, size_t K, int32_t *y)
{
    for (size_t t = 0; t < T; t++)
        y[t] = (int32_t)rng_below(r, K);
}

static double work[2 * MAX_T * MAX_K + MAX_K * MAX_K];

/* The nll alone; NAN when the call fails. */
static double nll_of(const problem *pr, const int32_t *y)
{
    crf_params p = params_of(pr);
    double nll;
    if (crf_nll(&p, pr->emit, y, pr->T, pr->K, 1, NULL, NULL, work, &nll))
        return NAN;
    return nll;
}

/* The nll with scale × its gradient added to *d (every array wanted). */
static recur_status nll_grad(const problem *pr, const int32_t *y, float scale,
                             gradient *d, double *nll)
{
    crf_params p = params_of(pr);
    crf_grads g = {.start = d->start, .end = d->end, .trans = d->trans};
    return crf_nll(&p, pr->emit, y, pr->T, pr->K, scale, d->emit, &g, work,
                   nll);
}

static double max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        m = e > m || e != e ? e : m;
    }
    return m;
}

void test_crf_brute_force(void)
{
    rng_state r;
    rng_seed(&r, 17);
    CHECK(crf_work_size(MAX_T, MAX_K) <= sizeof work / sizeof work[0],
          "crf_work_size(%d, %d) = %zu exceeds the test's %zu", MAX_T, MAX_K,
          crf_work_size(MAX_T, MAX_K), sizeof work / sizeof work[0]);
    double worst_z = 0, worst_nll = 0, worst_marg = 0, worst_score = 0;
    int wrong_paths = 0, failures = 0, cases = 0;
    for (size_t T = 1; T <= MAX_T; T++)
        for (size_t K = 1; K <= MAX_K; K++)
            for (int rep = 0; rep < 3; rep++, cases++) {
                problem pr;
                random_problem(&pr, T, K, &r, 2);
                brute b;
                brute_force(&pr, &b);
                int32_t y[MAX_T];
                random_tags(&r, T, K, y);
                gradient d = {0};
                double nll;
                if (nll_grad(&pr, y, 1, &d, &nll) != RECUR_OK) {
                    failures++;
                    continue;
                }
                double want = b.log_z - score_of(&pr, y);
                worst_nll = fmax(worst_nll, fabs(nll - want));
                /* log Z itself: nll of the path + its score. */
                worst_z = fmax(worst_z,
                               fabs(nll + score_of(&pr, y) - b.log_z));
                /* Gradient + gold counts = the brute-force marginals. */
                for (size_t t = 0; t < T; t++)
                    for (size_t i = 0; i < K; i++) {
                        double m = d.emit[t * K + i] + ((size_t)y[t] == i);
                        worst_marg = fmax(worst_marg, fabs(m - b.node[t * K + i]));
                    }
                for (size_t i = 0; i < K; i++) {
                    double ms = d.start[i] + ((size_t)y[0] == i);
                    double me = d.end[i] + ((size_t)y[T - 1] == i);
                    worst_marg = fmax(worst_marg, fabs(ms - b.node[i]));
                    worst_marg = fmax(worst_marg,
                                      fabs(me - b.node[(T - 1) * K + i]));
                }
                double gold[MAX_K * MAX_K] = {0};
                for (size_t t = 1; t < T; t++)
                    gold[(size_t)y[t - 1] * K + (size_t)y[t]] += 1;
                for (size_t i = 0; i < K * K; i++)
                    worst_marg = fmax(worst_marg,
                                      fabs(d.trans[i] + gold[i] - b.pair[i]));
                /* Viterbi. */
                crf_params p = params_of(&pr);
                int32_t bp[MAX_T * MAX_K], path[MAX_T];
                double score;
                if (crf_viterbi(&p, pr.emit, T, K, work, bp, path, &score)) {
                    failures++;
                    continue;
                }
                wrong_paths += memcmp(path, b.best_path, T * sizeof *path) != 0;
                worst_score = fmax(worst_score, fabs(score - b.best));
                worst_score = fmax(worst_score, fabs(score_of(&pr, path) - b.best));
            }
    CHECK(failures == 0, "%d of %d calls failed", failures, cases);
    CHECK(worst_z < 1e-12, "log Z off brute force by %.3g", worst_z);
    CHECK(worst_nll < 1e-12, "nll off brute force by %.3g", worst_nll);
    CHECK(worst_marg < 1e-6, "gradient + gold counts off the marginals by %.3g",
          worst_marg);
    CHECK(wrong_paths == 0, "%d of %d Viterbi paths differ from brute force",
          wrong_paths, cases);
    CHECK(worst_score < 1e-12, "Viterbi score off brute force by %.3g",
          worst_score);
}

void test_crf_gradcheck(void)
{
    static const size_t sizes[][2] = {{1, 1}, {1, 3}, {4, 1}, {3, 2}, {5, 4}, {2, 4}};
    rng_state r;
    rng_seed(&r, 99);
    for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
        size_t T = sizes[c][0], K = sizes[c][1];
        problem pr;
        random_problem(&pr, T, K, &r, 2);
        int32_t y[MAX_T];
        random_tags(&r, T, K, y);
        gradient d = {0};
        double nll;
        CHECK(nll_grad(&pr, y, 1, &d, &nll) == RECUR_OK, "T=%zu K=%zu failed", T, K);
        /* Every float of the problem, beside its analytic gradient. */
        struct {
            float *x, *dx;
            size_t n;
        } parts[] = {{pr.emit, d.emit, T * K}, {pr.start, d.start, K},
                     {pr.end, d.end, K}, {pr.trans, d.trans, K * K}};
        double worst = 0;
        size_t checked = 0;
        for (size_t q = 0; q < 4; q++)
            for (size_t i = 0; i < parts[q].n; i++, checked++) {
                float x = parts[q].x[i], xp = x + 1e-3f, xm = x - 1e-3f;
                parts[q].x[i] = xp;
                double np = nll_of(&pr, y);
                parts[q].x[i] = xm;
                double nm = nll_of(&pr, y);
                parts[q].x[i] = x;
                double fd = (np - nm) / ((double)xp - xm);
                double e = fabs(fd - parts[q].dx[i]);
                worst = e > worst || e != e ? e : worst;
            }
        CHECK(checked == T * K + 2 * K + K * K, "checked %zu entries", checked);
        CHECK(worst < 2e-6, "T=%zu K=%zu: gradient off central differences by %.3g",
              T, K, worst);
    }
}

/* Integer scores make sums exact, so ties are exact: Viterbi must return
 * what brute force's first maximum is, the least path compared from the
 * last token back (the lowest last tag, then the lowest predecessor). */
void test_crf_viterbi_ties(void)
{
    rng_state r;
    rng_seed(&r, 5);
    int wrong = 0, cases = 0, tied = 0;
    for (size_t T = 1; T <= MAX_T; T++)
        for (size_t K = 1; K <= MAX_K; K++)
            for (int rep = 0; rep < 20; rep++, cases++) {
                problem pr;
                random_problem(&pr, T, K, &r, 1);
                float *all[] = {pr.start, pr.end, pr.trans, pr.emit};
                size_t n[] = {K, K, K * K, T * K};
                for (size_t q = 0; q < 4; q++)
                    for (size_t i = 0; i < n[q]; i++)
                        all[q][i] = (float)rng_below(&r, 3);
                brute b;
                brute_force(&pr, &b);
                int32_t y[MAX_T];
                int best_count = 0;
                for (size_t p = 0; p < path_count(T, K); p++) {
                    path_of(p, T, K, y);
                    best_count += score_of(&pr, y) == b.best;
                }
                tied += best_count > 1;
                crf_params p = params_of(&pr);
                int32_t bp[MAX_T * MAX_K], path[MAX_T];
                double score;
                crf_viterbi(&p, pr.emit, T, K, work, bp, path, &score);
                wrong += memcmp(path, b.best_path, T * sizeof *path) != 0 ||
                         score != b.best;
            }
    CHECK(tied > cases / 4, "only %d of %d cases had tied best paths", tied, cases);
    CHECK(wrong == 0, "%d of %d tied cases: Viterbi differs from brute force",
          wrong, cases);

    /* By hand: all zero, so every path ties: all tag 0. Then the last
     * token ties between tags 1 and 2 (tag 0 worse): tag 1. */
    problem pr = {.T = 3, .K = 3};
    crf_params p = params_of(&pr);
    int32_t bp[3 * 3], path[3];
    crf_viterbi(&p, pr.emit, 3, 3, work, bp, path, NULL);
    CHECK(path[0] == 0 && path[1] == 0 && path[2] == 0,
          "all-zero scores: path %d %d %d, want 0 0 0", path[0], path[1], path[2]);
    pr.emit[6] = -1, pr.emit[7] = 5, pr.emit[8] = 5;
    pr.emit[4] = 3; /* token 1 prefers tag 1 */
    crf_viterbi(&p, pr.emit, 3, 3, work, bp, path, NULL);
    CHECK(path[0] == 0 && path[1] == 1 && path[2] == 1,
          "a tie at the last token: path %d %d %d, want 0 1 1", path[0],
          path[1], path[2]);
}

/* Twice at scale 0.5 = once at 1, onto gradients that are not zero; NULL
 * arrays leave the rest unchanged and the nll the same. */
void test_crf_accumulate(void)
{
    rng_state r;
    rng_seed(&r, 123);
    problem pr;
    random_problem(&pr, 5, 4, &r, 2);
    int32_t y[MAX_T];
    random_tags(&r, 5, 4, y);
    gradient init, once, twice, fresh = {0};
    float *raw = (float *)&init;
    for (size_t i = 0; i < sizeof init / sizeof(float); i++)
        raw[i] = uniform(&r, -1, 1);
    once = twice = init;
    double n1, n2, n3, n0 = nll_of(&pr, y);
    nll_grad(&pr, y, 1, &once, &n1);
    nll_grad(&pr, y, 0.5f, &twice, &n2);
    nll_grad(&pr, y, 0.5f, &twice, &n3);
    CHECK(max_diff((float *)&once, (float *)&twice, sizeof once / sizeof(float)) < 1e-6,
          "twice at scale 0.5 differs from once at 1 by %.3g",
          max_diff((float *)&once, (float *)&twice, sizeof once / sizeof(float)));
    CHECK(n0 == n1 && n1 == n2 && n2 == n3, "nll changed: %.17g %.17g %.17g %.17g",
          n0, n1, n2, n3);
    CHECK(max_diff((float *)&once, (float *)&init, sizeof once / sizeof(float)) > 1e-2,
          "the gradient added nothing");
    nll_grad(&pr, y, 1, &fresh, &n1);

    /* Each array alone (the others NULL) gets what it got with all. */
    crf_params p = params_of(&pr);
    for (int which = 0; which < 5; which++) {
        gradient d = {0};
        crf_grads g = {.start = which == 1 ? d.start : NULL,
                       .end = which == 2 ? d.end : NULL,
                       .trans = which == 3 ? d.trans : NULL};
        double nll = NAN;
        recur_status st = crf_nll(&p, pr.emit, y, 5, 4, 1, which == 0 ? d.emit : NULL,
                                  which == 4 ? NULL : &g, work, &nll);
        CHECK(st == RECUR_OK && nll == n0, "array %d alone: %s, nll %.17g vs %.17g",
              which, recur_status_str(st), nll, n0);
        const float *got[] = {d.emit, d.start, d.end, d.trans}, *want[] = {
            fresh.emit, fresh.start, fresh.end, fresh.trans};
        size_t n[] = {5 * 4, 4, 4, 16};
        for (int q = 0; q < 4; q++) {
            float zero[MAX_T * MAX_K] = {0};
            double e = max_diff(got[q], q == which ? want[q] : zero, n[q]);
            CHECK(e == 0, "array %d alone: array %d off by %.3g", which, q, e);
        }
    }
}

/* Emissions of ±1e4: finite, equal to brute force, marginals summing to 1;
 * a sentence of 2000 tokens; then Viterbi follows the emissions where they
 * dominate. */
void test_crf_extreme(void)
{
    rng_state r;
    rng_seed(&r, 7);
    problem pr;
    random_problem(&pr, 5, 4, &r, 1e4f);
    brute b;
    brute_force(&pr, &b);
    int32_t y[MAX_T];
    random_tags(&r, 5, 4, y);
    gradient d = {0};
    double nll;
    CHECK(nll_grad(&pr, y, 1, &d, &nll) == RECUR_OK && isfinite(nll),
          "±1e4 emissions: nll %g", nll);
    double want = b.log_z - score_of(&pr, y);
    CHECK(fabs(nll - want) <= 1e-12 * fabs(want) + 1e-9,
          "±1e4 emissions: nll %.17g, brute force %.17g", nll, want);
    for (size_t t = 0; t < 5; t++) {
        double sum = 0;
        for (size_t i = 0; i < 4; i++)
            sum += d.emit[t * 4 + i] + ((size_t)y[t] == i);
        CHECK(fabs(sum - 1) < 1e-6, "±1e4: token %zu's marginals sum to %.9g", t, sum);
    }

    enum { T = 2000, K = 5 };
    size_t nw = crf_work_size(T, K);
    double *w = malloc(nw * sizeof *w);
    float *emit = malloc(T * K * sizeof *emit), *de = calloc(T * K, sizeof *de);
    int32_t *tags = malloc(T * sizeof *tags), *path = malloc(T * sizeof *path);
    int32_t *bp = malloc(T * K * sizeof *bp);
    float start[K], end[K], trans[K * K] = {0}, dt[K * K] = {0};
    for (size_t i = 0; i < K; i++)
        start[i] = uniform(&r, -1, 1), end[i] = uniform(&r, -1, 1);
    for (size_t i = 0; i < K * K; i++)
        trans[i] = uniform(&r, -1, 1);
    for (size_t i = 0; i < T * K; i++)
        emit[i] = uniform(&r, -1e4f, 1e4f);
    for (size_t t = 0; t < T; t++)
        tags[t] = (int32_t)rng_below(&r, K);
    crf_params p = {.start = start, .end = end, .trans = trans};
    crf_grads g = {.trans = dt};
    recur_status st = crf_nll(&p, emit, tags, T, K, 1, de, &g, w, &nll);
    int finite = 1;
    for (size_t i = 0; i < T * K; i++)
        finite &= isfinite(de[i]);
    for (size_t i = 0; i < K * K; i++)
        finite &= isfinite(dt[i]);
    CHECK(st == RECUR_OK && isfinite(nll) && nll >= 0 && finite,
          "T=%d, ±1e4: %s, nll %g, gradient finite %d", T, recur_status_str(st),
          nll, finite);
    double score;
    st = crf_viterbi(&p, emit, T, K, w, bp, path, &score);
    int off = 0;
    for (size_t t = 0; t < T; t++) {
        size_t best = 0;
        for (size_t i = 1; i < K; i++)
            best = emit[t * K + i] > emit[t * K + best] ? i : best;
        /* Emissions further apart than the other scores can make up. */
        float second = -INFINITY;
        for (size_t i = 0; i < K; i++)
            if (i != best && emit[t * K + i] > second)
                second = emit[t * K + i];
        off += emit[t * K + best] - second > 10 && (size_t)path[t] != best;
    }
    CHECK(st == RECUR_OK && off == 0 && isfinite(score),
          "T=%d, ±1e4: Viterbi %s, %d tokens off their emissions' argmax", T,
          recur_status_str(st), off);
    free(w), free(emit), free(de), free(tags), free(path), free(bp);
}

void test_crf_misuse(void)
{
    problem pr = {.T = 3, .K = 2};
    crf_params p = params_of(&pr), half = {.start = pr.start, .end = pr.end};
    int32_t y[3] = {0, 1, 0}, bp[6], path[3];
    double nll = 42;
    struct {
        const char *what;
        const crf_params *p;
        size_t T, K;
        int32_t tag1;
        double *work;
    } bad[] = {{"0 tokens", &p, 0, 2, 1, work},  {"0 tags", &p, 3, 0, 1, work},
               {"tag -1", &p, 3, 2, -1, work},   {"tag 2", &p, 3, 2, 2, work},
               {"NULL trans", &half, 3, 2, 1, work}, {"NULL work", &p, 3, 2, 1, NULL},
               {"NULL params", NULL, 3, 2, 1, work}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        y[1] = bad[k].tag1;
        recur_status st = crf_nll(bad[k].p, pr.emit, y, bad[k].T, bad[k].K, 1,
                                  NULL, NULL, bad[k].work, &nll);
        CHECK(st == RECUR_ERR_ARGUMENT && *recur_last_error() && nll == 42,
              "crf_nll, %s: %s (%s), nll %g", bad[k].what, recur_status_str(st),
              recur_last_error(), nll);
        if (bad[k].tag1 != 1)
            continue; /* Viterbi has no tags */
        st = crf_viterbi(bad[k].p, pr.emit, bad[k].T, bad[k].K, bad[k].work, bp,
                         path, NULL);
        CHECK(st == RECUR_ERR_ARGUMENT && *recur_last_error(),
              "crf_viterbi, %s: %s (%s)", bad[k].what, recur_status_str(st),
              recur_last_error());
    }
    y[1] = 1;
    CHECK(crf_nll(&p, pr.emit, y, 3, 2, 1, NULL, NULL, work, NULL) ==
              RECUR_ERR_ARGUMENT, "crf_nll took a NULL nll");
    CHECK(crf_nll(&p, pr.emit, NULL, 3, 2, 1, NULL, NULL, work, &nll) ==
              RECUR_ERR_ARGUMENT, "crf_nll took NULL tags");
    CHECK(crf_viterbi(&p, pr.emit, 3, 2, work, NULL, path, NULL) ==
              RECUR_ERR_ARGUMENT, "crf_viterbi took NULL back-pointers");
    CHECK(crf_viterbi(&p, pr.emit, SIZE_MAX / 2, 4, work, bp, path, NULL) ==
              RECUR_ERR_ARGUMENT, "crf_viterbi took T·K overflowing");
    CHECK(crf_work_size(SIZE_MAX / 2, 4) == SIZE_MAX,
          "crf_work_size does not saturate on overflow");
    CHECK(crf_nll(&p, pr.emit, y, 3, 2, 1, NULL, NULL, work, &nll) == RECUR_OK,
          "the good call fails: %s", recur_last_error());
}
