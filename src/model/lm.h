/*
 * lm.h — the language model: embedding → dropout → RNN stack (dropout
 * between layers) → dropout → linear → softmax, as PyTorch's
 * word_language_model example, with optional weight tying. Internal to the
 * library; the public face is recur_lm in recur.h.
 *
 * Parameters are ONE flat array, in this order, under these names (so a
 * checkpoint loads into the equivalent PyTorch module):
 *     embedding.weight [V, E]
 *     rnn.<state_dict names of the stack>
 *     fc.weight [V, P]      (absent from the array when tied: it IS
 *                            embedding.weight, which needs E == P)
 *     fc.bias [V]
 * Optimizers, clipping and checkpoints are single loops over it.
 */
#ifndef RECUR_LM_H
#define RECUR_LM_H

#include "recur.h"
#include "base/rng.h"
#include "data/words.h"

/* The model's configuration inside the library: the public architecture
 * (recur_lm_get_config) and the regularisers it trains with
 * (recur_lm_get_regularizers); a checkpoint holds both. */
typedef struct {
    recur_lm_config arch;
    recur_regularizers reg;
} lm_config;

struct recur_lm {
    lm_config config;
    size_t V, E, P, L, H;
    float *params, *grads;
    size_t n_params;
    size_t rnn_offset, fc_weight_offset, fc_bias_offset;
    recur_rnn *rnn;          /* parameters bound into params/grads */
    rng_state rng;           /* dropout, recurrent dropout, zoneout masks */
    int training;

    /* Chunk workspace, sized for the largest T*B seen. */
    size_t rows_cap, B_cap;
    float *emb, *emb_mask;   /* [T*B, E] (variational masks: [B, E]) */
    float *out, *out_drop, *out_mask; /* [T*B, P] (variational: [B, P]) */
    float *logits;           /* [T*B, V], then dlogits */
    float *d_out, *d_emb;    /* [T*B, P], [T*B, E] */
    float *fc_pack;          /* fc.weight packed for the output products
                                (gemm.h; 64-byte aligned), or NULL */
    size_t fc_pack_floats;
    float *state_block;      /* h, c, h_n, c_n below */
    float *h, *c;            /* carried state [L, B, P], [L, B, H] */
    float *h_n, *c_n;
    size_t state_B;          /* B of the carried state (0: none yet) */

    uint32_t *vocab;         /* V code points (char models), or NULL */
    word_vocab *words;  /* V words (word models), or NULL */
};

/* Creates the model with PyTorch's default initialisation from seed:
 * embedding N(0, 1), the stack U(±1/√H), fc weight and bias U(±1/√P).
 * The regularisers' masks come from lm->rng, seeded from config->reg.seed
 * (lm.c: seed_masks).
 * init_flags: LM_INIT_ORTHOGONAL (recurrent matrices orthogonal, per
 * gate block), LM_INIT_FORGET_BIAS (LSTM forget-gate b_ih = 1, b_hh = 0). */
enum { LM_INIT_ORTHOGONAL = 1, LM_INIT_FORGET_BIAS = 2 };
recur_status lm_create(const lm_config *config, uint64_t seed, int init_flags,
                       recur_lm **out);

/* Every parameter drawn again from U(−r, r) (Zaremba et al. 2014), from
 * seed; layer-norm gains and biases stay 1 and 0. */
void lm_init_uniform(recur_lm *lm, float r, uint64_t seed);

/* The name, offset and shape of each parameter tensor of the flat array;
 * tied models list fc.weight too, at the embedding's offset. */
size_t lm_tensor_count(const recur_lm *lm);
void lm_tensor(const recur_lm *lm, size_t i, char *name, size_t name_size,
               size_t *offset, size_t shape[2], size_t *ndim);

/* Training mode (dropout on) or evaluation mode; dropout, recurrent dropout
 * and zoneout masks come from lm->rng. */
void lm_set_training(recur_lm *lm, int training);

/* Zeroes the carried state for B streams. */
recur_status lm_reset_state(recur_lm *lm, size_t B);

/* One chunk of truncated BPTT: x, y are [T, B] token ids (time-major); the
 * carried state enters as h0/c0 and is replaced by the chunk's final state
 * (the gradient stops there). With grads != 0, backward runs and the
 * gradient of the MEAN loss over the chunk's counted tokens accumulates into
 * lm->grads. Returns the summed loss and the number of counted tokens
 * (targets < 0 are not counted). Ids must lie in [0, V) (checked). */
recur_status lm_chunk(recur_lm *lm, size_t T, size_t B, const int32_t *x,
                      const int32_t *y, int grads, double *loss_sum,
                      size_t *counted);

/* logits [rows, V] = top [rows, P] · fc.weightᵀ + fc.bias. */
void lm_logits(const recur_lm *lm, size_t rows, const float *top, float *logits);

/* Exchanges the state buffers h <-> h_n and c <-> c_n (after a step or a
 * chunk, the final state becomes the next one's initial state). */
void lm_swap_state(float **h, float **h_n, float **c, float **c_n);

#endif
