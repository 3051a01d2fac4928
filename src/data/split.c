/* split.c — a seeded, stratified split (split.h). */
#include "data/split.h"
#include "base/error.h"
#include "base/rng.h"

#include <math.h>
#include <stdlib.h>

recur_status split_stratified(const int32_t *label, const size_t *pool,
                                    size_t m, size_t K, double fraction,
                                    uint64_t seed, size_t *held,
                                    size_t *n_held, size_t *kept,
                                    size_t *n_kept)
{
    if (!label || !held || !n_held || !kept || !n_kept || m == 0 || K == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "%s",
                          m == 0   ? "no examples to split"
                          : K == 0 ? "no classes to split by"
                                   : "no labels or parts to split into (NULL)");
    if (!(fraction > 0 && fraction < 1))
        return error_fail(RECUR_ERR_ARGUMENT, "a split fraction of %g is not "
                          "between 0 and 1", fraction);
    for (size_t j = 0; j < m; j++) {
        int32_t c = label[pool ? pool[j] : j];
        if (c < 0 || (size_t)c >= K)
            return error_fail(RECUR_ERR_ARGUMENT, "example %zu has class %d, "
                              "not in [0, %zu)", pool ? pool[j] : j, (int)c, K);
    }
    /* Positions in pool grouped by class (a counting sort, stable), and
     * whether each is held. */
    size_t *start = calloc(K + 1, sizeof *start);
    size_t *order = malloc(m * sizeof *order);
    unsigned char *is_held = calloc(m, 1);
    if (!start || !order || !is_held) {
        free(start);
        free(order);
        free(is_held);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for a split of %zu "
                          "examples", m);
    }
    for (size_t j = 0; j < m; j++)
        start[label[pool ? pool[j] : j] + 1]++;
    for (size_t k = 0; k < K; k++)
        start[k + 1] += start[k];
    for (size_t j = 0; j < m; j++)
        order[start[label[pool ? pool[j] : j]]++] = j;
    /* start[k] is now the end of class k; the end of class k-1 its start. */
    rng_state rng;
    rng_seed(&rng, seed);
    for (size_t k = 0, lo = 0; k < K; lo = start[k++]) {
        size_t *x = order + lo, c = start[k] - lo;
        for (size_t i = c; i > 1; i--) {
            size_t r = (size_t)rng_below(&rng, i), t = x[i - 1];
            x[i - 1] = x[r];
            x[r] = t;
        }
        size_t h = (size_t)floor(fraction * (double)c + 0.5);
        if (c >= 2 && h == 0)
            h = 1;
        if (c >= 2 && h == c)
            h = c - 1;
        if (c < 2)
            h = 0;
        for (size_t i = 0; i < h; i++)
            is_held[x[i]] = 1;
    }
    size_t nh = 0, nk = 0;
    for (size_t j = 0; j < m; j++) {
        size_t e = pool ? pool[j] : j;
        if (is_held[j])
            held[nh++] = e;
        else
            kept[nk++] = e;
    }
    *n_held = nh;
    *n_kept = nk;
    free(start);
    free(order);
    free(is_held);
    return RECUR_OK;
}
