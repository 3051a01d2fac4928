/*
 * sample.h — choosing the next token from a model's logits (internal API):
 * temperature, top-k and nucleus (top-p) sampling, applied in that order as
 * Hugging Face transformers' warpers do (TemperatureLogitsWarper,
 * TopKLogitsWarper, TopPLogitsWarper); and drawing a frame of independent
 * binary units (a music model's keys) from their probabilities.
 *
 * Thread safety: none needed; the caller owns the rng and the scratch.
 */
#ifndef RECUR_SAMPLE_H
#define RECUR_SAMPLE_H

#include "recur.h"
#include "base/rng.h"

#include <stddef.h>

/* Bytes of scratch sample_token needs for V logits: V doubles (the
 * unnormalised probabilities) and V size_t (token order), 16 V on 64-bit
 * machines. 0 when that overflows size_t (V is absurd). Allocate once,
 * with malloc (the doubles need its alignment), and reuse for every token. */
size_t sample_scratch_size(size_t V);

/* Draws a token id into *id from softmax(logits / temperature), restricted
 *   - to the top_k most likely tokens (0, or top_k >= V: all), then
 *   - to the nucleus: the most likely tokens, in order, while the
 *     probability mass before each (renormalised over the top-k set) is
 *     below top_p (1: all). The most likely token always stays.
 * Ties in the logits are broken by the lower id ranking first, so the
 * result is a function of the logits, the settings and the rng state.
 *
 * temperature > 0 consumes exactly one rng_uniform draw, whatever the
 * settings, so runs with different settings keep their streams aligned.
 * temperature == 0 is argmax (the lowest id among equal maxima) and draws
 * nothing. Logits are shifted by their maximum before exp, in double:
 * logits of ±1e30, -inf and temperatures near 0 or huge give no NaN. +inf
 * logits share all the probability equally.
 *
 * scratch: sample_scratch_size(V) bytes, suitably aligned (malloc);
 * its contents are not needed between calls.
 *
 * RECUR_ERR_ARGUMENT for: NULL logits, rng, scratch or id; V == 0;
 * temperature negative, NaN or infinite; top_p not in (0, 1]; a NaN logit;
 * every logit -inf. *id is untouched on failure. */
recur_status sample_token(const float *logits, size_t V,
                                float temperature, size_t top_k, float top_p,
                                rng_state *rng, void *scratch, size_t *id);

/* Draws a frame of K independent binary units (the keys of a piano-roll
 * frame) from their probabilities p[K]: unit k is 1 with probability
 * sigmoid(logit(p[k]) / temperature), else 0, written to frame[k] as a
 * float. One rng_uniform draw per unit, in order. temperature > 0 (the
 * caller checks). frame may be p. */
void sample_frame(const float *p, size_t K, float temperature, rng_state *rng,
                  float *frame);

#endif
