/*
 * lm_state.c — one-token-at-a-time inference over a language model: the
 * recurrent state of one sequence, advanced by feeding tokens, with the
 * next token's logits after each feed, and the next token drawn from them
 * (sample.h, from the state's own generator). Dropout is off (evaluation
 * mode).
 */
#include "base/error.h"
#include "kernels/gemm.h"
#include "model/lm.h"
#include "model/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct recur_lm_state {
    recur_lm *lm;
    float *block;               /* everything below */
    float *h, *c, *h_n, *c_n;   /* [L, 1, P], [L, 1, H] */
    float *emb, *out, *logits;  /* [E], [P], [V] */
    int fed;
    rng_state rng;              /* recur_lm_state_sample's draws */
    void *scratch;              /* sample_scratch_size(V) bytes, from the
                                   first sample on */
};

recur_status recur_lm_state_create(recur_lm *lm, recur_lm_state **out)
{
    if (!lm || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_lm_state_create: NULL argument");
    recur_lm_state *s = calloc(1, sizeof *s);
    size_t np = lm->L * lm->P, nh = lm->L * lm->H;
    float *block = malloc((2 * (np + nh) + lm->E + lm->P + lm->V) * sizeof(float));
    if (!s || !block) {
        free(s);
        free(block);
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    }
    s->lm = lm;
    s->block = block;
    s->h = block;
    s->c = s->h + np;
    s->h_n = s->c + nh;
    s->c_n = s->h_n + np;
    s->emb = s->c_n + nh;
    s->out = s->emb + lm->E;
    s->logits = s->out + lm->P;
    recur_lm_state_reset(s);
    rng_seed(&s->rng, 0);
    *out = s;
    return RECUR_OK;
}

recur_status recur_lm_pack_weights(recur_lm *lm)
{
    if (!lm)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_lm_pack_weights: NULL");
    return recur_rnn_pack_weights(lm->rnn);
}

void recur_lm_state_reset(recur_lm_state *s)
{
    if (!s)
        return;
    memset(s->h, 0, s->lm->L * (s->lm->P + s->lm->H) * sizeof(float));
    s->fed = 0;
}

void recur_lm_state_free(recur_lm_state *s)
{
    if (!s)
        return;
    free(s->block);
    free(s->scratch);
    free(s);
}

recur_status recur_lm_state_feed(recur_lm_state *s, size_t token)
{
    if (!s)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_lm_state_feed: NULL state");
    recur_lm *lm = s->lm;
    if (token >= lm->V)
        return error_fail(RECUR_ERR_ARGUMENT, "token %zu is not in [0, %zu)",
                          token, lm->V);
    const int lstm = lm->config.arch.rnn.mode == RECUR_LSTM;
    memcpy(s->emb, lm->params + token * lm->E, lm->E * sizeof(float));
    lm_set_training(lm, 0);
    recur_status st = recur_rnn_forward(lm->rnn, 1, 1, s->emb, NULL, s->h,
                                        lstm ? s->c : NULL, s->out, s->h_n,
                                        lstm ? s->c_n : NULL);
    if (st)
        return st;
    lm_logits(lm, 1, s->out, s->logits);
    lm_swap_state(&s->h, &s->h_n, &s->c, &s->c_n);
    s->fed = 1;
    return RECUR_OK;
}

const float *recur_lm_state_get_logits(const recur_lm_state *s)
{
    return s && s->fed ? s->logits : NULL;
}

recur_status recur_lm_state_get_probs(const recur_lm_state *s,
                                      float temperature, float *probs)
{
    if (!s || !probs || !s->fed || !(temperature > 0.0f) || isinf(temperature))
        return error_fail(RECUR_ERR_ARGUMENT,
                          "recur_lm_state_get_probs: NULL argument, nothing fed yet, "
                          "or temperature not > 0");
    const size_t V = s->lm->V;
    float max = s->logits[0];
    for (size_t v = 1; v < V; v++)
        max = s->logits[v] > max ? s->logits[v] : max;
    double sum = 0;
    for (size_t v = 0; v < V; v++) {
        probs[v] = expf((s->logits[v] - max) / temperature);
        sum += probs[v];
    }
    for (size_t v = 0; v < V; v++)
        probs[v] = (float)(probs[v] / sum);
    return RECUR_OK;
}

recur_status recur_lm_state_set_seed(recur_lm_state *s, uint64_t seed)
{
    if (!s)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_lm_state_set_seed: NULL state");
    rng_seed(&s->rng, seed);
    return RECUR_OK;
}

recur_status recur_lm_state_sample(recur_lm_state *s, float temperature,
                                   size_t top_k, float top_p, size_t *id)
{
    if (!s || !id || !s->fed)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_lm_state_sample: %s",
                          s && id ? "nothing fed yet" : "NULL argument");
    const size_t V = s->lm->V;
    if (!s->scratch) {
        size_t bytes = sample_scratch_size(V);
        if (!bytes || !(s->scratch = malloc(bytes)))
            return error_fail(RECUR_ERR_MEMORY, "out of memory for the sampling "
                              "scratch of %zu tokens", V);
    }
    return sample_token(s->logits, V, temperature, top_k, top_p, &s->rng,
                        s->scratch, id);
}
