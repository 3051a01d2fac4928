/*
 * recur.h — public API of librecur: recurrent neural networks (RNN, LSTM, GRU)
 * with PyTorch's numerics, forward and backpropagation through time.
 *
 * Conventions
 *   - Sizes: T steps, B batch, I input size, H hidden size, P output size of a
 *     direction (proj_size when an LSTM has a projection, else H), L layers,
 *     D directions (1 or 2).
 *   - Tensors are dense, row-major float32 buffers owned by the caller.
 *     Sequences are time-major [T, B, .] unless the configuration says
 *     batch_first, in which case they are [B, T, .]. States are always
 *     [L*D, B, .], indexed layer*D + direction, as torch.nn.LSTM.
 *   - Every fallible call returns a recur_status. On failure, outputs are left
 *     untouched and recur_last_error() holds a message saying what was wrong.
 *   - The library never prints, exits or aborts.
 *
 * Thread safety: distinct handles may be used from distinct threads at the
 * same time. One handle must not be used by two threads at once (forward
 * stores the activations that backward reads). recur_last_error() is
 * per thread.
 */
#ifndef RECUR_H
#define RECUR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RECUR_VERSION "0.1.0"

typedef enum {
    RECUR_OK = 0,
    RECUR_ERR_ARGUMENT,    /* a NULL, zero or out-of-range argument */
    RECUR_ERR_MEMORY,      /* an allocation failed or a size overflowed */
    RECUR_ERR_IO,          /* a file could not be opened, read or written */
    RECUR_ERR_FORMAT,      /* a file is malformed (truncated, bad header, ...) */
    RECUR_ERR_SHAPE,       /* a tensor has the wrong shape, dtype or is missing */
    RECUR_ERR_STATE,       /* a call out of order, e.g. backward before forward */
    RECUR_ERR_UNSUPPORTED  /* well-formed, but not something recur can do */
} recur_status;

/* The status's name, e.g. "RECUR_ERR_SHAPE". Static storage; never NULL. */
const char *recur_status_str(recur_status status);

/* The detailed message of the last failed call on this thread, e.g.
 * "weight_hh_l1 has shape [40,9], expected [40,10]". Empty string when none.
 * Valid until the next failing call on this thread. */
const char *recur_last_error(void);

/* ------------------------------------------------------------------------ */
/* RNN stacks                                                                */

typedef enum {
    RECUR_RNN_TANH = 0,       /* h' = tanh(W_ih x + b_ih + W_hh h + b_hh)       */
    RECUR_RNN_RELU,           /* h' = relu(...)                                  */
    RECUR_LSTM,               /* gates i,f,g,o; optional projection             */
    RECUR_GRU,                /* gates r,z,n; linear before reset (PyTorch)     */
    RECUR_GRU_RESET_BEFORE    /* gates r,z,n; n = tanh(W_in x + b_in +
                                 W_hn (r*h) + b_hn)  (Cho 2014, Keras
                                 reset_after=False, ONNX linear_before_reset=0) */
} recur_mode;

/* The mode's name as used in files: "RNN_TANH", "RNN_RELU", "LSTM", "GRU",
 * "GRU_RESET_BEFORE". NULL for an unknown value. */
const char *recur_mode_str(recur_mode mode);
/* The inverse; RECUR_ERR_ARGUMENT for an unknown name. */
recur_status recur_mode_parse(const char *name, recur_mode *mode);

typedef struct {
    recur_mode mode;
    size_t input_size;   /* I */
    size_t hidden_size;  /* H */
    size_t proj_size;    /* LSTM only; 0 = no projection; else < hidden_size */
    size_t num_layers;   /* L >= 1 */
    int bidirectional;   /* 0 or 1 */
    int bias;            /* 1: b_ih and b_hh exist (PyTorch bias=True) */
    int batch_first;     /* 1: sequences are [B, T, .] at the API */
    int layer_norm;      /* 1: layer-normalised cell (Ba, Kiros & Hinton
                            2016), LSTM and GRU (linear before reset) only;
                            other modes fail with RECUR_ERR_UNSUPPORTED.
                            LSTM: gates = LN(W_ih x) + LN(W_hh h) + b_ih +
                            b_hh, h' = o*tanh(LN(c')); GRU: LN(W_ih x) + b_ih
                            and LN(W_hh h) + b_hh in place of the two
                            products. Each LN has its own gain and bias
                            (weight_ln_ih_l{k}, bias_ln_ih_l{k}, weight_ln_hh,
                            bias_ln_hh, LSTM weight_ln_c, bias_ln_c),
                            initialised to 1 and 0; eps 1e-5. */
} recur_config;

/* A configuration with PyTorch's defaults: one layer, unidirectional, bias. */
recur_config recur_config_default(recur_mode mode, size_t input_size,
                                  size_t hidden_size);

typedef struct recur_rnn recur_rnn;

/* Creates a stack with PyTorch's default initialisation, every weight and
 * bias drawn from U(-1/sqrt(H), 1/sqrt(H)) by a generator seeded with seed
 * (layer-norm gains 1 and biases 0, as nn.LayerNorm).
 * Gradients start at zero. The caller owns *out and frees it with
 * recur_rnn_free. */
recur_status recur_rnn_create(const recur_config *config, uint64_t seed,
                              recur_rnn **out);

/* Loads a stack from a safetensors file holding PyTorch state_dict names
 * (weight_ih_l0, weight_hh_l0_reverse, bias_ih_l1, weight_hr_l0, ...),
 * optionally all under one common prefix ("rnn.", "encoder.lstm.").
 * Other tensors are ignored. The architecture is inferred from names and
 * shapes; __metadata__ key "mode" overrides the cell kind (needed for
 * RNN_RELU and GRU_RESET_BEFORE). A file holding the layer-norm tensors
 * (all of them, or none) is a layer_norm model; __metadata__ "layer_norm",
 * when present, must agree. batch_first is 0 after loading. */
recur_status recur_rnn_load(const char *path, recur_rnn **out);

/* Writes the parameters as a safetensors file under PyTorch's names with
 * the handle's prefix, "mode" (and "layer_norm" = "1" for a layer-norm
 * model) in __metadata__. Written to a temporary file,
 * synced, then renamed: a failure leaves any existing file intact. */
recur_status recur_rnn_save(const recur_rnn *rnn, const char *path);

/* Frees the handle and everything it owns. NULL is allowed. */
void recur_rnn_free(recur_rnn *rnn);

/* The configuration; valid as long as the handle. */
const recur_config *recur_rnn_config(const recur_rnn *rnn);

/* Output size of one direction: proj_size if set, else hidden_size. */
size_t recur_rnn_output_size(const recur_rnn *rnn);

/* Switches the sequence layout of forward/backward between time-major (0)
 * and batch-first (1). Forgets the last forward: backward needs a new one. */
recur_status recur_rnn_set_batch_first(recur_rnn *rnn, int batch_first);

/* The name prefix used for parameter names ("" after create; what the file
 * used after load). Copied; at most 255 bytes. */
recur_status recur_rnn_set_prefix(recur_rnn *rnn, const char *prefix);
const char *recur_rnn_prefix(const recur_rnn *rnn);

/* Parameters, in PyTorch's state_dict order: for each layer, for each
 * direction: weight_ih, weight_hh, [bias_ih, bias_hh], [weight_hr], then
 * with layer_norm weight_ln_ih, bias_ln_ih, weight_ln_hh, bias_ln_hh
 * [G*H] and (LSTM) weight_ln_c, bias_ln_c [H].
 * recur_rnn_param gives the i-th one: its name without prefix (static to the
 * handle), a pointer into the handle's parameter storage (writable; valid as
 * long as the handle), and its shape (rows, cols; cols = 1 for biases). Its
 * gradient, same shape, is at recur_rnn_grad. */
size_t recur_rnn_param_count(const recur_rnn *rnn);
recur_status recur_rnn_param(recur_rnn *rnn, size_t index, const char **name,
                             float **data, size_t *rows, size_t *cols);
recur_status recur_rnn_grad(recur_rnn *rnn, size_t index, float **grad);

/* All parameters and all gradients as one flat array each (same order as
 * above, each tensor row-major), for optimizers and clipping. */
size_t recur_rnn_flat_size(const recur_rnn *rnn);
float *recur_rnn_flat_params(recur_rnn *rnn);
float *recur_rnn_flat_grads(recur_rnn *rnn);

/* Sets every gradient to zero. */
void recur_rnn_zero_grad(recur_rnn *rnn);

/* Forward over a batch of sequences.
 *   x       [T, B, I] (or [B, T, I] batch-first), read only.
 *   lengths NULL (every sequence has T steps) or B lengths, each in [1, T],
 *           in any order. Semantics of pack_padded_sequence(enforce_sorted=
 *           False) + pad_packed_sequence(total_length=T): outputs past a
 *           sequence's end are 0, h_n is taken at its own last step, the
 *           reverse direction starts at its own last element.
 *   h0      NULL (zeros) or [L*D, B, P];  c0 NULL (zeros) or [L*D, B, H]
 *           (LSTM only; must be NULL otherwise).
 *   y       [T, B, D*P] (or [B, T, D*P]), written.
 *   h_n     NULL or [L*D, B, P], written;  c_n NULL or [L*D, B, H] (LSTM).
 * The handle keeps what backward needs until the next forward; workspaces
 * grow to the largest T and B seen and are reused. Buffers may not overlap. */
recur_status recur_rnn_forward(recur_rnn *rnn, size_t T, size_t B,
                               const float *x, const int64_t *lengths,
                               const float *h0, const float *c0, float *y,
                               float *h_n, float *c_n);

/* Backward through the last forward of this handle.
 *   dy      NULL (zeros) or the gradient of y, same layout as y.
 *   dh_n    NULL (zeros) or [L*D, B, P];  dc_n NULL or [L*D, B, H] (LSTM).
 *   dx      NULL (not wanted) or [T, B, I] (layout as x), written.
 *   dh0     NULL or [L*D, B, P], written;  dc0 NULL or [L*D, B, H], written.
 * Parameter gradients are accumulated (+=) into the handle's gradients.
 * Gradients at padded positions of dx are 0; dy there is ignored.
 * RECUR_ERR_STATE if no forward preceded it. May be called more than once
 * after one forward. dx may overlap dy (dy is then read before dx is
 * written); no other buffers may overlap. */
recur_status recur_rnn_backward(recur_rnn *rnn, const float *dy,
                                const float *dh_n, const float *dc_n,
                                float *dx, float *dh0, float *dc0);

/* Dropout between layers (PyTorch's `dropout` argument of nn.LSTM: on the
 * outputs of every layer but the last), active only in training mode.
 * p in [0, 1); masks come from a generator seeded with seed (seed 0 until
 * this is first called). Every mask of the regularisers below comes from
 * the same generator, drawn in a fixed order (per layer, per direction:
 * recurrent dropout, zoneout of h, of c; then the dropout after the layer),
 * so calling this again with the same seed replays the same masks. */
recur_status recur_rnn_set_dropout(recur_rnn *rnn, float p, uint64_t seed);
/* Variational dropout between layers (Gal & Ghahramani 2016): 1 draws one
 * mask per sequence and feature, reused at every step, instead of one per
 * element and step (0, the default). */
recur_status recur_rnn_set_variational(recur_rnn *rnn, int variational);
/* Recurrent dropout (Gal & Ghahramani 2016), training mode only: each
 * layer and direction draws one inverted-dropout mask m [B, P] per forward
 * (per sequence, the same at every step; kept with probability 1 − q,
 * scaled by 1/(1 − q)) and uses h∘m wherever the state enters a product
 * with W_hh; the GRU's z∘h keeps the unmasked h. q in [0, 1), 0 = off. */
recur_status recur_rnn_set_recurrent_dropout(recur_rnn *rnn, float q);
/* Zoneout (Krueger et al. 2016) of the recurrent state, z in [0, 1), 0 =
 * off: in training, each element of h (and the LSTM's c) keeps its previous
 * value with probability z at each step, h_t = d∘h_{t−1} + (1 − d)∘h̃_t,
 * d ~ Bernoulli(z), without rescaling; in evaluation mode
 * h_t = z·h_{t−1} + (1 − z)·h̃_t, the expectation. The output y_t is the
 * zoned-out h_t. */
recur_status recur_rnn_set_zoneout(recur_rnn *rnn, float z);
/* Training mode (1: dropout on, zoneout random) or evaluation mode (0, the
 * default). */
void recur_rnn_set_training(recur_rnn *rnn, int training);

/* Memory-lean training: forward keeps the caches of only `steps` time
 * steps at a time (and the state entering each such segment); backward
 * recomputes each segment's forward before going back through it. Memory
 * for the caches falls from T to `steps` steps' worth; the price is about
 * one more forward (≈ a third more training time). 0 (the default) or
 * steps >= T: everything cached, nothing recomputed. Gradients equal the
 * cached mode's up to rounding. Takes effect at the next forward (a
 * backward after this call needs a new forward first). */
recur_status recur_rnn_set_recompute(recur_rnn *rnn, size_t steps);

/* Fixed weights for inference and streaming. recur_rnn_pack_weights copies
 * every layer's w_ih and w_hh once into the layout of the step kernel;
 * forward then multiplies by that copy instead of packing at each call,
 * which is what makes one call per step (T = 1, streaming) fast. Until
 * recur_rnn_unpack_weights (or the next recur_rnn_pack_weights, which
 * repacks), forward does NOT see changes to the copied weights (it still
 * reads biases and the rest where they are): pack again after changing
 * parameters. recur_rnn_backward refuses to run while packed
 * (RECUR_ERR_STATE): unpack before training. A forward while packed
 * keeps nothing for backward (unpacking after it forgets it: backward then
 * wants a new forward), and in time-major layout with every sequence T
 * steps it reads x and writes y where they are, with no copies.
 * Results equal those of the unpacked forward for T > 1 bit for bit (same
 * kernel); at T = 1 they differ in rounding only. Returns
 * RECUR_ERR_MEMORY, or RECUR_OK also where this CPU has no packed kernel
 * (nothing is packed then). Packing again after changing the weights is
 * allowed at any time. */
recur_status recur_rnn_pack_weights(recur_rnn *rnn);
void recur_rnn_unpack_weights(recur_rnn *rnn);

/* The number of threads the BLAS may use (OpenBLAS); 0 leaves its default.
 * A process-wide setting that affects every handle: call it before starting
 * threads that use recur. Results are reproducible bit for bit only at the
 * same thread count. */
void recur_set_threads(int threads);

/* ------------------------------------------------------------------------ */
/* Language models                                                           */
/*
 * embedding [V, E] → dropout → RNN stack (dropout between layers) → dropout
 * → linear [V, P] → softmax over V tokens, as PyTorch's word_language_model;
 * optionally variational dropout, recurrent dropout and zoneout.
 * Parameter names as that module's state_dict: embedding.weight,
 * rnn.weight_ih_l0, ..., fc.weight, fc.bias. Models are trained by
 * `recur train` and saved as safetensors checkpoints.
 */

typedef struct {
    recur_config rnn;    /* the stack; input_size == embed_size, not
                            bidirectional */
    size_t vocab_size;   /* V */
    size_t embed_size;   /* E */
    float dropout;       /* p in [0, 1): embedding output, between layers,
                            stack output; training only */
    int tie_weights;     /* fc.weight is embedding.weight (needs E == P) */
    int variational;     /* 1: the dropout above draws one mask per sequence
                            (batch row) and feature, reused at every step */
    float recurrent_dropout; /* q in [0, 1): see
                            recur_rnn_set_recurrent_dropout */
    float zoneout;       /* z in [0, 1): see recur_rnn_set_zoneout */
} recur_lm_config;

typedef struct recur_lm recur_lm;

/* Loads a model from a checkpoint written by `recur train` (any task whose
 * model is a language model). The caller owns *out. */
recur_status recur_lm_load(const char *path, recur_lm **out);
void recur_lm_free(recur_lm *lm);
/* Valid as long as the handle. */
const recur_lm_config *recur_lm_config_get(const recur_lm *lm);
/* The Unicode code point of token id (character models); 0 if the model
 * has no character vocabulary or id >= V. */
uint32_t recur_lm_codepoint(const recur_lm *lm, size_t id);
/* The token id of a code point; RECUR_ERR_ARGUMENT if it is not in the
 * vocabulary (the message names it). */
recur_status recur_lm_token(const recur_lm *lm, uint32_t codepoint, size_t *id);

/* One-step-at-a-time inference (streaming, sampling): a state holds the
 * recurrent state of one sequence, starting from zeros. feed advances it by
 * one token and computes the next token's logits. The state borrows the
 * model: free states before the model, and feed states of one model from
 * one thread at a time (they share its workspace). */
typedef struct recur_lm_state recur_lm_state;
recur_status recur_lm_state_new(recur_lm *lm, recur_lm_state **out);
recur_status recur_lm_state_feed(recur_lm_state *state, size_t token);
/* The V logits after the last feed (NULL before the first); valid until the
 * next feed. */
const float *recur_lm_state_logits(const recur_lm_state *state);
/* softmax(logits / temperature) into probs[V]; temperature > 0. */
recur_status recur_lm_state_probs(const recur_lm_state *state,
                                  float temperature, float *probs);
/* Back to the zero state. */
void recur_lm_state_reset(recur_lm_state *state);
/* recur_rnn_pack_weights for the model's RNN stack: one-token steps then
 * multiply by weights packed once (sampling, streaming). Pack again after
 * changing the parameters; do not train while packed. */
recur_status recur_lm_pack_weights(recur_lm *lm);
void recur_lm_state_free(recur_lm_state *state);

#ifdef __cplusplus
}
#endif
#endif /* RECUR_H */
