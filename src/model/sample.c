/*
 * sample.c — temperature / top-k / top-p sampling, and frames of binary
 * units. See sample.h.
 *
 * Weights w_i = exp((l_i - max l) / T), in double: the shift makes the top
 * weight exactly 1, so the sums are >= 1 and nothing overflows; weights
 * that underflow to 0 can never be drawn. Filtering needs the tokens in
 * rank order (logit descending, id ascending on ties), but only as far as
 * the filters reach: a binary heap of all V ids is built in O(V) and
 * popped one rank at a time, O(log V) each, so top_k = 40 or a tight
 * nucleus over a large vocabulary costs O(V + k log V), not a full sort.
 *
 * The draw: target = u * (sum of kept weights), u = rng_uniform in [0,1);
 * the chosen token is the first whose running sum exceeds target, walking
 * in id order when nothing is filtered, else in rank order.
 */
#include "model/sample.h"
#include "base/error.h"

#include <math.h>
#include <stdint.h>

size_t sample_scratch_size(size_t V)
{
    size_t per = sizeof(double) + sizeof(size_t);
    return V > SIZE_MAX / per ? 0 : V * per;
}

/* Does token a rank before token b? */
static int before(const float *logits, size_t a, size_t b)
{
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
}

/* Max-heap under `before`: heap[0] ranks first among heap[0..n). */
static void sift_down(size_t *heap, size_t n, size_t i, const float *logits)
{
    for (;;) {
        size_t best = i, l = 2 * i + 1, r = l + 1;
        if (l < n && before(logits, heap[l], heap[best]))
            best = l;
        if (r < n && before(logits, heap[r], heap[best]))
            best = r;
        if (best == i)
            return;
        size_t t = heap[i];
        heap[i] = heap[best];
        heap[best] = t;
        i = best;
    }
}

/* The ids in rank order, produced lazily. Popped ids collect at the tail
 * of the array: rank j lives at order[V - 1 - j]. */
typedef struct {
    size_t *order;
    size_t V, heap_size;
    const float *logits;
} ranking;

static void ranking_init(ranking *r, size_t *order, size_t V,
                         const float *logits)
{
    r->order = order;
    r->V = r->heap_size = V;
    r->logits = logits;
    for (size_t i = 0; i < V; i++)
        order[i] = i;
    for (size_t i = V / 2; i-- > 0;)
        sift_down(order, V, i, logits);
}

/* The id of rank j (0 = most likely), popping the heap as far as needed. */
static size_t ranked(ranking *r, size_t j)
{
    while (r->V - r->heap_size <= j) {
        size_t last = --r->heap_size, t = r->order[0];
        r->order[0] = r->order[last];
        r->order[last] = t;
        sift_down(r->order, r->heap_size, 0, r->logits);
    }
    return r->order[r->V - 1 - j];
}

recur_status sample_token(const float *logits, size_t V,
                                float temperature, size_t top_k, float top_p,
                                rng_state *rng, void *scratch, size_t *id)
{
    if (!logits || !rng || !scratch || !id)
        return error_fail(RECUR_ERR_ARGUMENT, "sampling a token: no %s (NULL)",
                          !logits ? "logits" : !rng ? "rng"
                          : !scratch ? "scratch" : "id");
    if (V == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "sampling a token from a "
                          "vocabulary of 0");
    if (!(temperature >= 0) || isinf(temperature))
        return error_fail(RECUR_ERR_ARGUMENT,
                          "temperature %g is not a finite number >= 0",
                          (double)temperature);
    if (!(top_p > 0 && top_p <= 1))
        return error_fail(RECUR_ERR_ARGUMENT, "top_p %g is not in (0, 1]",
                          (double)top_p);

    float max = -INFINITY;
    size_t argmax = 0;
    for (size_t i = 0; i < V; i++) {
        if (isnan(logits[i]))
            return error_fail(RECUR_ERR_ARGUMENT, "logits[%zu] is NaN", i);
        if (logits[i] > max) {
            max = logits[i];
            argmax = i;
        }
    }
    if (max == -INFINITY)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "all %zu logits are -inf: nothing to sample", V);
    if (temperature == 0) {
        *id = argmax;
        return RECUR_OK;
    }

    double u = rng_uniform(rng);
    double *w = scratch;
    size_t *order = (size_t *)(w + V);
    double T = temperature, total = 0;
    for (size_t i = 0; i < V; i++) {
        if (isinf(max))
            w[i] = logits[i] == max ? 1.0 : 0.0;
        else
            w[i] = exp(((double)logits[i] - (double)max) / T);
        total += w[i];
    }

    size_t K = top_k == 0 || top_k > V ? V : top_k;
    size_t pick = argmax;
    if (K == V && top_p >= 1) {
        double target = u * total, cum = 0;
        for (size_t i = 0; i < V; i++) {
            if (w[i] == 0)
                continue;
            pick = i;
            cum += w[i];
            if (cum > target)
                break;
        }
        *id = pick;
        return RECUR_OK;
    }

    ranking r;
    ranking_init(&r, order, V, logits);
    double mass = total;
    if (K < V) {
        mass = 0;
        for (size_t j = 0; j < K; j++)
            mass += w[ranked(&r, j)];
    }
    /* Nucleus: keep rank j while the mass before it is below top_p. */
    size_t keep = K;
    if (top_p < 1) {
        double limit = (double)top_p * mass, before_j = 0;
        for (keep = 0; keep < K; keep++) {
            if (keep > 0 && before_j >= limit)
                break;
            before_j += w[ranked(&r, keep)];
        }
    }
    double kept = 0;
    for (size_t j = 0; j < keep; j++)
        kept += w[ranked(&r, j)];
    double target = u * kept, cum = 0;
    for (size_t j = 0; j < keep; j++) {
        size_t i = ranked(&r, j);
        if (w[i] == 0)
            continue;
        pick = i;
        cum += w[i];
        if (cum > target)
            break;
    }
    *id = pick;
    return RECUR_OK;
}

void sample_frame(const float *p, size_t K, float temperature, rng_state *rng,
                  float *frame)
{
    for (size_t k = 0; k < K; k++) {
        float z = logf(p[k]) - log1pf(-p[k]); /* the logit back */
        float q = 1.0f / (1.0f + expf(-z / temperature));
        frame[k] = rng_uniform(rng) < q ? 1.0f : 0.0f;
    }
}
