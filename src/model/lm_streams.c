/*
 * lm_streams.c — a token sequence read as B parallel streams in chunks of T
 * steps (truncated BPTT's view of a text), and the evaluation of a language
 * model over it. The trainer (train/train.c) reads its data the same way.
 */
#include "model/lm_streams.h"
#include "base/error.h"

#include <stdlib.h>

void lm_streams_fill(const int32_t *ids, size_t n, size_t B, size_t start,
                     size_t T, int32_t *x, int32_t *y)
{
    size_t L = n / B;
    for (size_t t = 0; t < T; t++)
        for (size_t b = 0; b < B; b++) {
            size_t at = b * L + start + t;
            x[t * B + b] = ids[at];
            y[t * B + b] = ids[at + 1];
        }
}

size_t lm_streams_chunks(size_t n, size_t B, size_t T)
{
    size_t L = n / B;
    return L > 0 ? (L - 1) / T : 0;
}

recur_status lm_streams_check(const char *what, size_t n, size_t B, size_t T)
{
    if (lm_streams_chunks(n, B, T) == 0)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "%s text of %zu tokens is too small for one batch of "
                          "%zu streams x %zu steps (needs at least %zu)", what,
                          n, B, T, B * (T + 1));
    return RECUR_OK;
}

recur_status lm_evaluate(recur_lm *lm, const int32_t *ids, size_t n, size_t B,
                         size_t T, int tail, double *loss_sum, size_t *tokens)
{
    const size_t L = B ? n / B : 0;
    recur_status s = !tail ? lm_streams_check("evaluation", n, B, T)
                     : L < 2 ? error_fail(RECUR_ERR_ARGUMENT,
                                          "evaluation text of %zu tokens is too "
                                          "small for %zu streams of at least 2 "
                                          "tokens", n, B)
                             : RECUR_OK;
    int32_t *x = s ? NULL : malloc(2 * B * T * sizeof(int32_t));
    if (!s && !x)
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
    if (!s)
        s = lm_reset_state(lm, B);
    double sum = 0;
    size_t count = 0;
    /* Each stream predicts its L - 1 next tokens; without the tail, only
     * the whole chunks (the training reader's view). */
    size_t steps = tail ? L - 1 : lm_streams_chunks(n, B, T) * T;
    lm_set_training(lm, 0);
    for (size_t start = 0; !s && start < steps; start += T) {
        size_t len = steps - start < T ? steps - start : T;
        double part;
        size_t c;
        lm_streams_fill(ids, n, B, start, len, x, x + B * len);
        s = lm_chunk(lm, len, B, x, x + B * len, 0, &part, &c);
        sum += part;
        count += c;
    }
    free(x);
    if (s)
        return s;
    *loss_sum = sum;
    *tokens = count;
    return RECUR_OK;
}
