/*
 * crf.c — the linear-chain CRF of crf.h: negative log-likelihood by the
 * forward algorithm, its gradient by forward-backward, Viterbi decoding.
 * All sums in double, in log space (log-sum-exp with the maximum
 * subtracted), so emissions of ±1e4 neither overflow nor underflow.
 *
 * With s_t[j] = emit[t, j], A = trans, the tables (row-major [T, K]):
 *   α_0[j]   = start[j] + s_0[j]
 *   α_t[j]   = s_t[j] + LSE_i(α_{t−1}[i] + A[i, j])            t ≥ 1
 *   β_{T−1}[i] = end[i]
 *   β_t[i]   = LSE_j(A[i, j] + s_{t+1}[j] + β_{t+1}[j])        t < T−1
 *   log Z    = LSE_j(α_{T−1}[j] + end[j])
 * and the marginals
 *   P(y_t = i)                 = exp(α_t[i] + β_t[i] − log Z)
 *   P(y_t = i, y_{t+1} = j)    = exp(α_t[i] + A[i, j] + s_{t+1}[j]
 *                                    + β_{t+1}[j] − log Z)
 * so ∂nll/∂s_t[i] = P(y_t = i) − [gold_t = i], ∂nll/∂start[i] =
 * P(y_0 = i) − [gold_0 = i], ∂nll/∂end[i] = P(y_{T−1} = i) −
 * [gold_{T−1} = i], ∂nll/∂A[i, j] = Σ_t P(y_t = i, y_{t+1} = j) − the
 * gold path's count of i→j.
 *
 * Viterbi: δ as α with max for LSE; the back-pointer is the lowest i
 * reaching the maximum, the last tag the lowest j maximising δ_{T−1}[j] +
 * end[j]. Among several best paths this returns the one that is least
 * when compared from the last token backwards.
 *
 * Work (doubles): α [T·K], β [T·K], and the transition gradient's
 * accumulator [K·K]; Viterbi uses the first 2·K.
 */
#include "model/crf.h"
#include "base/error.h"

#include <math.h>
#include <string.h>

size_t crf_work_size(size_t T, size_t K)
{
    size_t tk, kk, two_tk, n;
    if (!size_mul_ok(T, K, &tk) || !size_mul_ok(tk, 2, &two_tk) ||
        !size_mul_ok(K, K, &kk) || !size_add_ok(two_tk, kk, &n))
        return SIZE_MAX;
    return n;
}

/* log Σ_i exp(v[i·stride]) over n ≥ 1 values, the maximum subtracted;
 * −∞ when every value is −∞. */
static double log_sum_exp(const double *v, size_t n, size_t stride)
{
    double max = v[0];
    for (size_t i = 1; i < n; i++)
        if (v[i * stride] > max)
            max = v[i * stride];
    if (max == -INFINITY)
        return max;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += exp(v[i * stride] - max);
    return max + log(sum);
}

/* The arguments both calls share. */
static recur_status check_args(const crf_params *p,
                               const float *emit, size_t T, size_t K,
                               const double *work)
{
    if (!p || !p->start || !p->end || !p->trans || !emit || !work)
        return error_fail(RECUR_ERR_ARGUMENT, "the CRF got a NULL parameter, "
                          "emission or work pointer");
    if (T == 0 || K == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "the CRF got a sentence of %zu "
                          "tokens over %zu tags; both must be at least 1", T, K);
    if (crf_work_size(T, K) == SIZE_MAX)
        return error_fail(RECUR_ERR_ARGUMENT, "the CRF's tables for %zu "
                          "tokens × %zu tags overflow", T, K);
    return RECUR_OK;
}

/* α into alpha [T, K] (row t: the sentence's first t + 1 tokens, ending
 * in each tag); returns log Z. tmp: K doubles. */
static double forward(const crf_params *p, const float *emit, size_t T,
                      size_t K, double *alpha, double *tmp)
{
    for (size_t j = 0; j < K; j++)
        alpha[j] = (double)p->start[j] + emit[j];
    for (size_t t = 1; t < T; t++) {
        const double *prev = alpha + (t - 1) * K;
        double *cur = alpha + t * K;
        for (size_t j = 0; j < K; j++) {
            for (size_t i = 0; i < K; i++)
                tmp[i] = prev[i] + p->trans[i * K + j];
            cur[j] = emit[t * K + j] + log_sum_exp(tmp, K, 1);
        }
    }
    const double *last = alpha + (T - 1) * K;
    for (size_t j = 0; j < K; j++)
        tmp[j] = last[j] + p->end[j];
    return log_sum_exp(tmp, K, 1);
}

/* β into beta [T, K] (row t: the rest of the sentence after token t, given
 * its tag). tmp: K doubles. */
static void backward(const crf_params *p, const float *emit, size_t T,
                     size_t K, double *beta, double *tmp)
{
    double *last = beta + (T - 1) * K;
    for (size_t i = 0; i < K; i++)
        last[i] = p->end[i];
    for (size_t t = T - 1; t-- > 0;) {
        const double *next = beta + (t + 1) * K;
        const float *s = emit + (t + 1) * K;
        for (size_t i = 0; i < K; i++) {
            for (size_t j = 0; j < K; j++)
                tmp[j] = p->trans[i * K + j] + (double)s[j] + next[j];
            beta[t * K + i] = log_sum_exp(tmp, K, 1);
        }
    }
}

/* score(tags | emit), in double. */
static double path_score(const crf_params *p, const float *emit,
                         const int32_t *tags, size_t T, size_t K)
{
    double s = (double)p->start[tags[0]] + p->end[tags[T - 1]];
    for (size_t t = 0; t < T; t++)
        s += emit[t * K + (size_t)tags[t]];
    for (size_t t = 1; t < T; t++)
        s += p->trans[(size_t)tags[t - 1] * K + (size_t)tags[t]];
    return s;
}

/* Adds scale × ∂nll/∂· to d_emit and g's arrays, from α, β and log Z. */
static void add_gradient(const crf_params *p, const float *emit,
                         const int32_t *tags, size_t T, size_t K, double log_z,
                         const double *alpha, const double *beta, double scale,
                         float *d_emit, const crf_grads *g, double *d_trans)
{
    if (d_emit)
        for (size_t t = 0; t < T; t++)
            for (size_t i = 0; i < K; i++) {
                double m = exp(alpha[t * K + i] + beta[t * K + i] - log_z);
                m -= (size_t)tags[t] == i;
                d_emit[t * K + i] += (float)(scale * m);
            }
    if (!g)
        return;
    if (g->start)
        for (size_t i = 0; i < K; i++) {
            double m = exp(alpha[i] + beta[i] - log_z) - ((size_t)tags[0] == i);
            g->start[i] += (float)(scale * m);
        }
    if (g->end) {
        const double *a = alpha + (T - 1) * K, *b = beta + (T - 1) * K;
        for (size_t i = 0; i < K; i++) {
            double m = exp(a[i] + b[i] - log_z) - ((size_t)tags[T - 1] == i);
            g->end[i] += (float)(scale * m);
        }
    }
    if (!g->trans)
        return;
    memset(d_trans, 0, K * K * sizeof *d_trans);
    for (size_t t = 0; t + 1 < T; t++) {
        const double *a = alpha + t * K, *b = beta + (t + 1) * K;
        const float *s = emit + (t + 1) * K;
        for (size_t i = 0; i < K; i++)
            for (size_t j = 0; j < K; j++)
                d_trans[i * K + j] += exp(a[i] + p->trans[i * K + j] +
                                          (double)s[j] + b[j] - log_z);
        d_trans[(size_t)tags[t] * K + (size_t)tags[t + 1]] -= 1;
    }
    for (size_t k = 0; k < K * K; k++)
        g->trans[k] += (float)(scale * d_trans[k]);
}

recur_status crf_nll(const crf_params *p, const float *emit, const int32_t *tags,
                     size_t T, size_t K, float scale, float *d_emit,
                     const crf_grads *g, double *work, double *nll)
{
    recur_status st = check_args(p, emit, T, K, work);
    if (st != RECUR_OK)
        return st;
    if (!tags || !nll)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "the CRF's likelihood got a NULL tags or nll pointer");
    for (size_t t = 0; t < T; t++)
        if (tags[t] < 0 || (size_t)tags[t] >= K)
            return error_fail(RECUR_ERR_ARGUMENT, "tag %ld at token %zu is "
                              "outside the CRF's tags [0, %zu)", (long)tags[t], t, K);
    double *alpha = work, *beta = work + T * K, *extra = beta + T * K;
    /* The K·K accumulator's room (K·K ≥ K) is the passes' K-double tmp
     * first. */
    double log_z = forward(p, emit, T, K, alpha, extra);
    *nll = log_z - path_score(p, emit, tags, T, K);
    int wanted = d_emit || (g && (g->start || g->end || g->trans));
    if (!wanted)
        return RECUR_OK;
    backward(p, emit, T, K, beta, extra);
    add_gradient(p, emit, tags, T, K, log_z, alpha, beta, scale, d_emit, g,
                 extra);
    return RECUR_OK;
}

recur_status crf_viterbi(const crf_params *p, const float *emit, size_t T,
                         size_t K, double *work, int32_t *bp, int32_t *path,
                         double *score)
{
    recur_status st = check_args(p, emit, T, K, work);
    if (st != RECUR_OK)
        return st;
    if (!bp || !path)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "the CRF's decoding got a NULL back-pointer or path pointer");
    if (K > INT32_MAX)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "the CRF's %zu tags do not fit an int32 tag id", K);
    double *prev = work, *cur = work + K;
    for (size_t j = 0; j < K; j++)
        prev[j] = (double)p->start[j] + emit[j];
    for (size_t t = 1; t < T; t++) {
        for (size_t j = 0; j < K; j++) {
            size_t best_i = 0;
            double best = prev[0] + p->trans[j];
            for (size_t i = 1; i < K; i++) {
                double v = prev[i] + p->trans[i * K + j];
                if (v > best) {
                    best = v;
                    best_i = i;
                }
            }
            cur[j] = best + emit[t * K + j];
            bp[t * K + j] = (int32_t)best_i;
        }
        double *swap = prev;
        prev = cur;
        cur = swap;
    }
    size_t best_j = 0;
    double best = prev[0] + p->end[0];
    for (size_t j = 1; j < K; j++) {
        double v = prev[j] + p->end[j];
        if (v > best) {
            best = v;
            best_j = j;
        }
    }
    path[T - 1] = (int32_t)best_j;
    for (size_t t = T - 1; t > 0; t--)
        path[t - 1] = bp[t * K + (size_t)path[t]];
    if (score)
        *score = best;
    return RECUR_OK;
}
