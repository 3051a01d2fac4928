/*
 * recur.h — public API of librecur: recurrent neural networks (RNN, LSTM, GRU)
 * with PyTorch's numerics, forward and backpropagation through time.
 *
 * Conventions
 *   - Sizes: T steps, B batch, I input size, H hidden size, P output size of a
 *     direction (proj_size when an LSTM has a projection, else H), L layers,
 *     D directions (1 or 2).
 *   - Tensors are dense, row-major float32 buffers owned by the caller.
 *     Sequences are time-major [T, B, .] unless the handle is set batch-first
 *     (recur_rnn_set_batch_first), in which case they are [B, T, .]. States
 *     are always [L*D, B, .], indexed layer*D + direction, as torch.nn.LSTM.
 *   - Every fallible call returns a recur_status. On failure, outputs are left
 *     untouched and recur_last_error() holds a message saying what was wrong.
 *   - The library never prints, exits or aborts.
 *
 * Naming
 *   Exported names start with recur_ (macros with RECUR_). Types are
 *   recur_<object> (the handles recur_rnn, recur_lm, recur_lm_state,
 *   recur_file, recur_model), recur_<object>_config (an architecture;
 *   recur_rnn_config_default builds one; recur_forecast_config, a
 *   forecaster's), recur_regularizers (the same on both objects) and
 *   recur_tensor_info (what a file says of a tensor).
 *   Functions are recur_<object>_<action>, the action a verb (create, load,
 *   open, save, free, forward, backward, pack_weights, unpack_weights,
 *   zero_grad, feed, feed_frame, sample, sample_frame, reset, read_tensor,
 *   classify, forecast); a property of a handle is read with
 *   recur_<object>_get_<what> and written with recur_<object>_set_<what>,
 *   and an entry looked up by its name rather than its index with
 *   recur_<object>_find_<what>. Functions of no handle keep library-level
 *   names: recur_version, recur_status_str, recur_mode_str and
 *   recur_task_str (the name of an enum value), recur_mode_parse and
 *   recur_task_parse (their inverses), recur_last_error (the calling
 *   thread's last message, not a handle's) and recur_set_threads (a
 *   process-wide setting: the library is its object).
 *
 * Documentation: each function's comment says what it does, then
 * Returns: (the result, and which statuses mean what), Ownership: (who frees
 * what; how long a returned pointer stays valid) and, where a function
 * departs from the paragraph below, Threads:.
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

/* The version of this header. RECUR_VERSION is "MAJOR.MINOR.PATCH", built
 * from the three numbers; recur_version() gives the library's at run time. */
#define RECUR_VERSION_MAJOR 0
#define RECUR_VERSION_MINOR 1
#define RECUR_VERSION_PATCH 0
#define RECUR_STRINGIFY_(x) #x
#define RECUR_STRINGIFY(x) RECUR_STRINGIFY_(x)
#define RECUR_VERSION                                                         \
    RECUR_STRINGIFY(RECUR_VERSION_MAJOR) "."                                  \
    RECUR_STRINGIFY(RECUR_VERSION_MINOR) "."                                  \
    RECUR_STRINGIFY(RECUR_VERSION_PATCH)

/* Marks the library's exported functions: with -fvisibility=hidden, only
 * these are visible outside a shared librecur. */
#if defined(__GNUC__) || defined(__clang__)
#define RECUR_API __attribute__((visibility("default")))
#else
#define RECUR_API
#endif

/* The version of the library linked at run time, "MAJOR.MINOR.PATCH"; equal
 * to RECUR_VERSION when the header and the library match.
 * Returns: a string, never NULL.
 * Ownership: static storage; not to be freed. */
RECUR_API const char *recur_version(void);

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

/* The status's name, e.g. "RECUR_ERR_SHAPE".
 * Returns: the name, never NULL.
 * Ownership: static storage; not to be freed. */
RECUR_API const char *recur_status_str(recur_status status);

/* The detailed message of the last failed call on this thread, e.g.
 * "weight_hh_l1 has shape [40,9], expected [40,10]".
 * Returns: the message; an empty string when none.
 * Ownership: the library's; valid until the next failing call on this
 * thread. */
RECUR_API const char *recur_last_error(void);

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
 * "GRU_RESET_BEFORE".
 * Returns: the name; NULL for an unknown value.
 * Ownership: static storage; not to be freed. */
RECUR_API const char *recur_mode_str(recur_mode mode);

/* The inverse of recur_mode_str: the mode called name.
 * Returns: RECUR_OK and *mode set; RECUR_ERR_ARGUMENT for an unknown name
 * or a NULL argument.
 * Ownership: nothing is kept. */
RECUR_API recur_status recur_mode_parse(const char *name, recur_mode *mode);

/* The architecture of a stack. The sequence layout is not part of it: see
 * recur_rnn_set_batch_first. */
typedef struct {
    recur_mode mode;
    size_t input_size;   /* I */
    size_t hidden_size;  /* H */
    size_t proj_size;    /* LSTM only; 0 = no projection; else < hidden_size */
    size_t num_layers;   /* L >= 1 */
    int bidirectional;   /* 0 or 1 */
    int bias;            /* 1: b_ih and b_hh exist (PyTorch bias=True) */
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
} recur_rnn_config;

/* A configuration with PyTorch's defaults: one layer, unidirectional, bias.
 * Returns: the configuration, by value (not checked: recur_rnn_create
 * checks it).
 * Ownership: nothing is allocated. */
RECUR_API recur_rnn_config recur_rnn_config_default(recur_mode mode,
                                                    size_t input_size,
                                                    size_t hidden_size);

/* Regularisers of training, the same on a stack and on a language model.
 * They act in training mode only, except zoneout, which also changes
 * evaluation. All-zero is none. */
typedef struct {
    /* Dropout between layers (PyTorch's `dropout` argument of nn.LSTM: on
     * the outputs of every layer but the last); a language model also drops
     * its embedding output and its stack output. p in [0, 1); training
     * only. */
    float dropout;
    /* Variational dropout (Gal & Ghahramani 2016): 1 draws the dropout
     * above as one mask per sequence (batch row) and feature, reused at
     * every step, instead of one per element and step (0). */
    int variational;
    /* Recurrent dropout (Gal & Ghahramani 2016), training mode only: each
     * layer and direction draws one inverted-dropout mask m [B, P] per
     * forward (per sequence, the same at every step; kept with probability
     * 1 − q, scaled by 1/(1 − q)) and uses h∘m wherever the state enters a
     * product with W_hh; the GRU's z∘h keeps the unmasked h. q in [0, 1),
     * 0 = off. */
    float recurrent_dropout;
    /* Zoneout (Krueger et al. 2016) of the recurrent state, z in [0, 1),
     * 0 = off: in training, each element of h (and the LSTM's c) keeps its
     * previous value with probability z at each step,
     * h_t = d∘h_{t−1} + (1 − d)∘h̃_t, d ~ Bernoulli(z), without rescaling;
     * in evaluation mode h_t = z·h_{t−1} + (1 − z)·h̃_t, the expectation.
     * The output y_t is the zoned-out h_t. */
    float zoneout;
    /* The seed of the generator every mask comes from. The masks are drawn
     * in a fixed order (per layer, per direction: recurrent dropout,
     * zoneout of h, of c; then the dropout after the layer; a language
     * model draws its embedding's dropout first and its output's last), so
     * setting the regularisers again with the same seed replays the same
     * masks. */
    uint64_t seed;
} recur_regularizers;

typedef struct recur_rnn recur_rnn;

/* Creates a stack with PyTorch's default initialisation, every weight and
 * bias drawn from U(-1/sqrt(H), 1/sqrt(H)) by a generator seeded with seed
 * (layer-norm gains 1 and biases 0, as nn.LayerNorm). Gradients start at
 * zero; the layout is time-major, no regulariser, evaluation mode.
 * Returns: RECUR_OK and *out set; RECUR_ERR_ARGUMENT for a bad
 * configuration (RECUR_ERR_UNSUPPORTED for layer_norm on another mode);
 * RECUR_ERR_MEMORY.
 * Ownership: the caller owns *out and frees it with recur_rnn_free; config
 * is copied. */
RECUR_API recur_status recur_rnn_create(const recur_rnn_config *config,
                                        uint64_t seed, recur_rnn **out);

/* Loads a stack from a safetensors file holding PyTorch state_dict names
 * (weight_ih_l0, weight_hh_l0_reverse, bias_ih_l1, weight_hr_l0, ...),
 * optionally all under one common prefix ("rnn.", "encoder.lstm.").
 * Other tensors are ignored. The architecture is inferred from names and
 * shapes; __metadata__ key "mode" overrides the cell kind (needed for
 * RNN_RELU and GRU_RESET_BEFORE). A file holding the layer-norm tensors
 * (all of them, or none) is a layer_norm model; __metadata__ "layer_norm",
 * when present, must agree; "zoneout", when present, sets that
 * regulariser. The layout is time-major after loading.
 * Returns: RECUR_OK and *out set; RECUR_ERR_IO, RECUR_ERR_FORMAT,
 * RECUR_ERR_SHAPE (sizes recur cannot run), RECUR_ERR_UNSUPPORTED,
 * RECUR_ERR_MEMORY; RECUR_ERR_ARGUMENT for a NULL argument.
 * Ownership: the caller owns *out and frees it with recur_rnn_free. */
RECUR_API recur_status recur_rnn_load(const char *path, recur_rnn **out);

/* Writes the parameters as a safetensors file under PyTorch's names with
 * the handle's prefix, "mode" (and "layer_norm" = "1" for a layer-norm
 * model, "zoneout" when set) in __metadata__. Written to a temporary file,
 * synced, then renamed: a failure leaves any existing file intact.
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT, RECUR_ERR_IO, RECUR_ERR_MEMORY.
 * Ownership: nothing is kept. */
RECUR_API recur_status recur_rnn_save(const recur_rnn *rnn, const char *path);

/* Frees the handle and everything it owns. NULL is allowed.
 * Returns: nothing.
 * Ownership: every pointer the handle gave out becomes invalid. */
RECUR_API void recur_rnn_free(recur_rnn *rnn);

/* The stack's configuration.
 * Returns: the configuration; NULL for a NULL handle.
 * Ownership: the handle's; valid as long as the handle. */
RECUR_API const recur_rnn_config *recur_rnn_get_config(const recur_rnn *rnn);

/* The output size of one direction: proj_size if set, else hidden_size.
 * Returns: P; 0 for a NULL handle.
 * Ownership: nothing is allocated. */
RECUR_API size_t recur_rnn_get_output_size(const recur_rnn *rnn);

/* Switches the sequence layout of forward/backward between time-major (0,
 * the default) and batch-first (1). Forgets the last forward: backward
 * needs a new one.
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT for a NULL handle or a value other
 * than 0/1.
 * Ownership: nothing is kept. */
RECUR_API recur_status recur_rnn_set_batch_first(recur_rnn *rnn,
                                                 int batch_first);

/* The sequence layout: time-major (0) or batch-first (1).
 * Returns: 0 or 1; 0 for a NULL handle.
 * Ownership: nothing is allocated. */
RECUR_API int recur_rnn_get_batch_first(const recur_rnn *rnn);

/* Sets the name prefix of the parameters in files ("" after create; what
 * the file used after load).
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT for a NULL argument or a prefix
 * longer than 255 bytes.
 * Ownership: prefix is copied. */
RECUR_API recur_status recur_rnn_set_prefix(recur_rnn *rnn,
                                            const char *prefix);

/* The name prefix of the parameters in files.
 * Returns: the prefix; "" for a NULL handle.
 * Ownership: the handle's; valid as long as the handle (the text changes
 * with recur_rnn_set_prefix). */
RECUR_API const char *recur_rnn_get_prefix(const recur_rnn *rnn);

/* The number of parameter tensors. Parameters are in PyTorch's state_dict
 * order: for each layer, for each direction: weight_ih, weight_hh,
 * [bias_ih, bias_hh], [weight_hr], then with layer_norm weight_ln_ih,
 * bias_ln_ih, weight_ln_hh, bias_ln_hh [G*H] and (LSTM) weight_ln_c,
 * bias_ln_c [H].
 * Returns: the count; 0 for a NULL handle.
 * Ownership: nothing is allocated. */
RECUR_API size_t recur_rnn_get_param_count(const recur_rnn *rnn);

/* The index-th parameter tensor (order: recur_rnn_get_param_count): its
 * name without prefix, its data and its shape (rows, cols; cols = 1 for
 * biases). Any of name, data, rows, cols may be NULL (not wanted).
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT for a NULL handle or an index out
 * of range.
 * Ownership: *name is static to the handle; *data points into the handle's
 * parameter storage (writable); both valid as long as the handle. */
RECUR_API recur_status recur_rnn_get_param(recur_rnn *rnn, size_t index,
                                           const char **name, float **data,
                                           size_t *rows, size_t *cols);

/* The gradient of the index-th parameter tensor, of the same shape.
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT for a NULL argument or an index
 * out of range.
 * Ownership: *grad points into the handle's gradient storage (writable);
 * valid as long as the handle. */
RECUR_API recur_status recur_rnn_get_grad(recur_rnn *rnn, size_t index,
                                          float **grad);

/* The number of floats of all parameters together (and of all gradients),
 * for optimizers and clipping.
 * Returns: the size; 0 for a NULL handle.
 * Ownership: nothing is allocated. */
RECUR_API size_t recur_rnn_get_flat_size(const recur_rnn *rnn);

/* All parameters as one flat array of recur_rnn_get_flat_size floats (the
 * order of recur_rnn_get_param_count, each tensor row-major).
 * Returns: the array; NULL for a NULL handle.
 * Ownership: the handle's storage (writable); valid as long as the
 * handle. */
RECUR_API float *recur_rnn_get_flat_params(recur_rnn *rnn);

/* All gradients as one flat array, laid out as recur_rnn_get_flat_params.
 * Returns: the array; NULL for a NULL handle.
 * Ownership: the handle's storage (writable); valid as long as the
 * handle. */
RECUR_API float *recur_rnn_get_flat_grads(recur_rnn *rnn);

/* Sets every gradient to zero. NULL is allowed.
 * Returns: nothing.
 * Ownership: nothing is kept. */
RECUR_API void recur_rnn_zero_grad(recur_rnn *rnn);

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
 * Buffers may not overlap.
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT for NULL or out-of-range
 * arguments; RECUR_ERR_MEMORY when the workspace cannot grow. After a
 * failure backward has no forward to go through.
 * Ownership: the buffers stay the caller's and are not kept. The handle
 * keeps what backward needs until the next forward; workspaces grow to the
 * largest batch seen (its steps, the lengths' sum, not T*B) and are
 * reused. */
RECUR_API recur_status recur_rnn_forward(recur_rnn *rnn, size_t T, size_t B,
                                         const float *x,
                                         const int64_t *lengths,
                                         const float *h0, const float *c0,
                                         float *y, float *h_n, float *c_n);

/* Backward through the last forward of this handle.
 *   dy      NULL (zeros) or the gradient of y, same layout as y.
 *   dh_n    NULL (zeros) or [L*D, B, P];  dc_n NULL or [L*D, B, H] (LSTM).
 *   dx      NULL (not wanted) or [T, B, I] (layout as x), written.
 *   dh0     NULL or [L*D, B, P], written;  dc0 NULL or [L*D, B, H], written.
 * Parameter gradients are accumulated (+=) into the handle's gradients.
 * Gradients at padded positions of dx are 0; dy there is ignored. May be
 * called more than once after one forward. dx may overlap dy (dy is then
 * read before dx is written); no other buffers may overlap.
 * Returns: RECUR_OK; RECUR_ERR_STATE if no forward preceded it (or the
 * weights are packed); RECUR_ERR_ARGUMENT.
 * Ownership: the buffers stay the caller's and are not kept. */
RECUR_API recur_status recur_rnn_backward(recur_rnn *rnn, const float *dy,
                                          const float *dh_n,
                                          const float *dc_n, float *dx,
                                          float *dh0, float *dc0);

/* Sets the regularisers (recur_regularizers: dropout between layers,
 * variational, recurrent dropout, zoneout) and seeds their masks'
 * generator with regularizers->seed; a new stack has none and seed 0.
 * Dropout and recurrent dropout act in training mode only
 * (recur_rnn_set_training).
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT (and nothing changed) for a NULL
 * argument, a probability outside [0, 1) or variational other than 0/1.
 * Ownership: *regularizers is copied. */
RECUR_API recur_status
recur_rnn_set_regularizers(recur_rnn *rnn,
                           const recur_regularizers *regularizers);

/* The regularisers last set (all zero on a new stack; a loaded one has the
 * file's zoneout).
 * Returns: RECUR_OK and *out set; RECUR_ERR_ARGUMENT for a NULL argument.
 * Ownership: *out is the caller's. */
RECUR_API recur_status recur_rnn_get_regularizers(const recur_rnn *rnn,
                                                  recur_regularizers *out);

/* Training mode (1: dropout on, zoneout random) or evaluation mode (0, the
 * default). NULL is allowed (nothing happens).
 * Returns: nothing.
 * Ownership: nothing is kept. */
RECUR_API void recur_rnn_set_training(recur_rnn *rnn, int training);

/* Whether the handle is in training mode.
 * Returns: 1 (training) or 0 (evaluation); 0 for a NULL handle.
 * Ownership: nothing is allocated. */
RECUR_API int recur_rnn_get_training(const recur_rnn *rnn);

/* Memory-lean training: forward keeps the caches of only `steps` time
 * steps at a time (and the state entering each such segment); backward
 * recomputes each segment's forward before going back through it. Memory
 * for the caches falls from T to `steps` steps' worth; the price is about
 * one more forward (≈ a third more training time). 0 (the default) or
 * steps >= T: everything cached, nothing recomputed. Gradients equal the
 * cached mode's up to rounding. Takes effect at the next forward (a
 * backward after this call needs a new forward first).
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT for a NULL handle.
 * Ownership: nothing is kept. */
RECUR_API recur_status recur_rnn_set_recompute(recur_rnn *rnn, size_t steps);

/* Fixed weights for inference and streaming: copies every layer's w_ih and
 * w_hh once into the layout of the step kernel; forward then multiplies by
 * that copy instead of packing at each call, which is what makes one call
 * per step (T = 1, streaming) fast. Until recur_rnn_unpack_weights (or the
 * next recur_rnn_pack_weights, which repacks), forward does NOT see
 * changes to the copied weights (it still reads biases and the rest where
 * they are): pack again after changing parameters, which is allowed at any
 * time. recur_rnn_backward refuses to run while packed (RECUR_ERR_STATE):
 * unpack before training. A forward while packed keeps nothing for
 * backward (unpacking after it forgets it: backward then wants a new
 * forward), and in time-major layout with every sequence T steps it reads
 * x and writes y where they are, with no copies. Results equal those of
 * the unpacked forward for T > 1 bit for bit (same kernel); at T = 1 they
 * differ in rounding only.
 * Returns: RECUR_OK, also where this CPU has no packed kernel (nothing is
 * packed then); RECUR_ERR_MEMORY; RECUR_ERR_ARGUMENT for a NULL handle.
 * Ownership: the packed copy belongs to the handle, freed by
 * recur_rnn_unpack_weights or recur_rnn_free. */
RECUR_API recur_status recur_rnn_pack_weights(recur_rnn *rnn);

/* Drops the packed copy of recur_rnn_pack_weights: forward reads the
 * weights where they are again. NULL, or a handle not packed, is allowed.
 * Returns: nothing.
 * Ownership: the packed copy is freed. */
RECUR_API void recur_rnn_unpack_weights(recur_rnn *rnn);

/* Sets the number of threads the BLAS may use (OpenBLAS); 0 leaves its
 * default. Results are reproducible bit for bit only at the same thread
 * count.
 * Returns: nothing.
 * Ownership: nothing is kept.
 * Threads: a process-wide setting that affects every handle: call it before
 * starting threads that use recur. */
RECUR_API void recur_set_threads(int threads);

/* ------------------------------------------------------------------------ */
/* Language models                                                           */
/*
 * embedding [V, E] → dropout → RNN stack (dropout between layers) → dropout
 * → linear [V, P] → softmax over V tokens, as PyTorch's word_language_model;
 * optionally variational dropout, recurrent dropout and zoneout
 * (recur_regularizers). Parameter names as that module's state_dict:
 * embedding.weight, rnn.weight_ih_l0, ..., fc.weight, fc.bias. Models are
 * trained by `recur train` and saved as safetensors checkpoints.
 */

/* The architecture of a language model. */
typedef struct {
    recur_rnn_config rnn; /* the stack; input_size == embed_size, not
                             bidirectional */
    size_t vocab_size;    /* V */
    size_t embed_size;    /* E */
    int tie_weights;      /* fc.weight is embedding.weight (needs E == P) */
} recur_lm_config;

typedef struct recur_lm recur_lm;

/* Loads a model from a checkpoint written by `recur train` (any task whose
 * model is a language model).
 * Returns: RECUR_OK and *out set; RECUR_ERR_IO, RECUR_ERR_FORMAT,
 * RECUR_ERR_MEMORY; RECUR_ERR_ARGUMENT for a NULL argument.
 * Ownership: the caller owns *out and frees it with recur_lm_free. */
RECUR_API recur_status recur_lm_load(const char *path, recur_lm **out);

/* Frees the model and everything it owns. NULL is allowed. Free its
 * states (recur_lm_state_free) first.
 * Returns: nothing.
 * Ownership: every pointer the model gave out becomes invalid. */
RECUR_API void recur_lm_free(recur_lm *lm);

/* The model's architecture.
 * Returns: the configuration; NULL for a NULL handle.
 * Ownership: the handle's; valid as long as the handle. */
RECUR_API const recur_lm_config *recur_lm_get_config(const recur_lm *lm);

/* The regularisers the model was trained with, as the checkpoint records
 * them; of them, zoneout changes evaluation too. seed is that of the
 * masks' generator.
 * Returns: RECUR_OK and *out set; RECUR_ERR_ARGUMENT for a NULL argument.
 * Ownership: *out is the caller's. */
RECUR_API recur_status recur_lm_get_regularizers(const recur_lm *lm,
                                                 recur_regularizers *out);

/* Sets the regularisers (recur_regularizers; the dropout acts on the
 * embedding output, between layers and on the stack output) and seeds
 * their masks' generator with regularizers->seed.
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT (and nothing changed) for a NULL
 * argument, a probability outside [0, 1) or variational other than 0/1.
 * Ownership: *regularizers is copied. */
RECUR_API recur_status
recur_lm_set_regularizers(recur_lm *lm, const recur_regularizers *regularizers);

/* The Unicode code point of token id (character models).
 * Returns: the code point; 0 if the model has no character vocabulary or
 * id >= V.
 * Ownership: nothing is allocated. */
RECUR_API uint32_t recur_lm_get_codepoint(const recur_lm *lm, size_t id);

/* The token id of a code point.
 * Returns: RECUR_OK and *id set; RECUR_ERR_ARGUMENT if it is not in the
 * vocabulary (the message names it), the model has no character
 * vocabulary or an argument is NULL.
 * Ownership: nothing is allocated. */
RECUR_API recur_status recur_lm_get_token(const recur_lm *lm,
                                          uint32_t codepoint, size_t *id);

/* The word of token id (word models).
 * Returns: the word ("<eos>" stands for a line's end); NULL if the model
 * has no word vocabulary or id >= V.
 * Ownership: the model's; valid as long as the model. */
RECUR_API const char *recur_lm_get_word(const recur_lm *lm, size_t id);

/* The token id of a word (word models): the word's own id or, for a word
 * the vocabulary lacks, that of "<unk>" when it has one, as `recur train`
 * and `recur sample` encode text. Compare recur_lm_get_word(lm, *id) with
 * the word to tell the two apart.
 * Returns: RECUR_OK and *id set; RECUR_ERR_ARGUMENT for a word neither in
 * the vocabulary nor mapped to <unk> (the message names it), a model
 * without a word vocabulary, or a NULL argument.
 * Ownership: nothing is allocated. */
RECUR_API recur_status recur_lm_get_word_token(const recur_lm *lm,
                                               const char *word, size_t *id);

/* recur_rnn_pack_weights for the model's RNN stack: one-token steps then
 * multiply by weights packed once (sampling, streaming). Pack again after
 * changing the parameters; do not train while packed.
 * Returns: RECUR_OK (also where this CPU has no packed kernel);
 * RECUR_ERR_MEMORY; RECUR_ERR_ARGUMENT for a NULL handle.
 * Ownership: the packed copy belongs to the model, freed with it. */
RECUR_API recur_status recur_lm_pack_weights(recur_lm *lm);

/* One-step-at-a-time inference (streaming, sampling): a state holds the
 * recurrent state of one sequence, starting from zeros. feed advances it by
 * one token and computes the next token's logits. */
typedef struct recur_lm_state recur_lm_state;

/* Creates a state of the model, at zeros.
 * Returns: RECUR_OK and *out set; RECUR_ERR_ARGUMENT for a NULL argument;
 * RECUR_ERR_MEMORY.
 * Ownership: the caller owns *out and frees it with recur_lm_state_free.
 * The state borrows the model: free states before the model.
 * Threads: the states of one model share its workspace: feed them from one
 * thread at a time. */
RECUR_API recur_status recur_lm_state_create(recur_lm *lm,
                                             recur_lm_state **out);

/* Advances the state by one token and computes the next token's logits.
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT for a NULL state or token >= V;
 * RECUR_ERR_MEMORY.
 * Ownership: nothing is kept.
 * Threads: states of one model from one thread at a time (they share its
 * workspace). */
RECUR_API recur_status recur_lm_state_feed(recur_lm_state *state,
                                           size_t token);

/* The V logits after the last feed.
 * Returns: the logits; NULL before the first feed.
 * Ownership: the state's; valid until the next feed or
 * recur_lm_state_free. */
RECUR_API const float *recur_lm_state_get_logits(const recur_lm_state *state);

/* softmax(logits / temperature) of the last feed into probs[V];
 * temperature > 0.
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT for a NULL argument, before the
 * first feed, or a temperature not > 0 (or infinite).
 * Ownership: probs is the caller's. */
RECUR_API recur_status recur_lm_state_get_probs(const recur_lm_state *state,
                                                float temperature,
                                                float *probs);

/* Seeds the generator that recur_lm_state_sample draws from; a new
 * state's is seeded with 0, and recur_lm_state_reset leaves it alone.
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT for a NULL state.
 * Ownership: nothing is kept. */
RECUR_API recur_status recur_lm_state_set_seed(recur_lm_state *state,
                                               uint64_t seed);

/* Draws the next token from the logits of the last feed, as `recur
 * sample` does (the same generator and draws: a state seeded with S gives
 * the tokens of --seed S): softmax(logits / temperature) restricted to the
 * top_k most likely tokens (0: all), then to the nucleus, the most likely
 * tokens while the mass before each is below top_p (1: all). Temperature
 * 0 is the most likely token and draws nothing; otherwise each call draws
 * one number. The token is not fed: recur_lm_state_feed it to go on.
 * Returns: RECUR_OK and *id set; RECUR_ERR_ARGUMENT for a NULL argument,
 * before the first feed, a temperature negative, NaN or infinite, or top_p
 * outside (0, 1]; RECUR_ERR_MEMORY (the first call allocates 16 V bytes of
 * scratch).
 * Ownership: the scratch is the state's, freed with it. */
RECUR_API recur_status recur_lm_state_sample(recur_lm_state *state,
                                            float temperature, size_t top_k,
                                            float top_p, size_t *id);

/* Back to the zero state. NULL is allowed.
 * Returns: nothing.
 * Ownership: nothing is freed. */
RECUR_API void recur_lm_state_reset(recur_lm_state *state);

/* Frees a state. NULL is allowed.
 * Returns: nothing.
 * Ownership: its logits become invalid; the model is untouched. */
RECUR_API void recur_lm_state_free(recur_lm_state *state);

/* ------------------------------------------------------------------------ */
/* Safetensors files                                                         */
/*
 * Any safetensors file, opened for reading: its tensors (name, dtype,
 * shape), read as float32, and its __metadata__ strings. The whole file is
 * read and checked at open (header length and JSON, dtypes, shapes, every
 * tensor's bytes inside the data, no overlap, no duplicate names), so a
 * truncated or crafted file is refused there and nothing read later can
 * reach outside it.
 */

#define RECUR_TENSOR_MAX_DIMS 8

/* What a file says of one tensor. */
typedef struct {
    const char *name;   /* the file's name for it */
    const char *dtype;  /* as in the file: "F32", "F16", "BF16", "F64",
                           "I64", "I32", "U8", "BOOL", ... */
    size_t ndim;        /* 0 (a scalar) to RECUR_TENSOR_MAX_DIMS */
    size_t shape[RECUR_TENSOR_MAX_DIMS]; /* ndim sizes, then zeros */
    size_t numel;       /* the product of the sizes (1 for a scalar) */
} recur_tensor_info;

typedef struct recur_file recur_file;

/* Opens a safetensors file: reads it whole and checks it.
 * Returns: RECUR_OK and *out set; RECUR_ERR_IO (the message names the file
 * and the system's reason), RECUR_ERR_FORMAT (what is wrong, and where; a
 * header above 100 MiB too), RECUR_ERR_MEMORY; RECUR_ERR_ARGUMENT for a
 * NULL argument.
 * Ownership: the caller owns *out and frees it with recur_file_free. */
RECUR_API recur_status recur_file_open(const char *path, recur_file **out);

/* Frees the file and everything it owns. NULL is allowed.
 * Returns: nothing.
 * Ownership: every name, dtype, key and value it gave out becomes
 * invalid. */
RECUR_API void recur_file_free(recur_file *file);

/* The number of tensors.
 * Returns: the count; 0 for a NULL handle.
 * Ownership: nothing is allocated. */
RECUR_API size_t recur_file_get_tensor_count(const recur_file *file);

/* The index-th tensor, in the order of the data in the file.
 * Returns: RECUR_OK and *info set; RECUR_ERR_ARGUMENT for a NULL argument
 * or an index out of range.
 * Ownership: info->name and info->dtype are the file's; valid as long as
 * the handle. */
RECUR_API recur_status recur_file_get_tensor(const recur_file *file,
                                             size_t index,
                                             recur_tensor_info *info);

/* The tensor called name.
 * Returns: RECUR_OK and *info set; RECUR_ERR_SHAPE when the file has no
 * such tensor (the message names it); RECUR_ERR_ARGUMENT for a NULL
 * argument.
 * Ownership: as recur_file_get_tensor. */
RECUR_API recur_status recur_file_find_tensor(const recur_file *file,
                                              const char *name,
                                              recur_tensor_info *info);

/* Copies the tensor called name into dst as float32, row-major, numel
 * floats (recur_file_find_tensor), converting F16, BF16 and F64 (F64 is
 * rounded to nearest; values beyond float's range become infinities).
 * Returns: RECUR_OK; RECUR_ERR_SHAPE when there is no such tensor or its
 * dtype is not a float type; RECUR_ERR_ARGUMENT for a NULL argument or a
 * capacity below numel (the message gives both). dst is untouched on
 * failure.
 * Ownership: dst (capacity floats) is the caller's. */
RECUR_API recur_status recur_file_read_tensor(const recur_file *file,
                                              const char *name, float *dst,
                                              size_t capacity);

/* The number of __metadata__ entries (string keys and values).
 * Returns: the count; 0 for a NULL handle or a file without metadata.
 * Ownership: nothing is allocated. */
RECUR_API size_t recur_file_get_meta_count(const recur_file *file);

/* The index-th __metadata__ entry, in ascending byte order of the keys.
 * key or value may be NULL (not wanted).
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT for a NULL handle or an index out
 * of range.
 * Ownership: *key and *value are the file's; valid as long as the
 * handle. */
RECUR_API recur_status recur_file_get_meta(const recur_file *file,
                                           size_t index, const char **key,
                                           const char **value);

/* The __metadata__ value of key.
 * Returns: the value; NULL when the file has no such key (or for a NULL
 * argument).
 * Ownership: the file's; valid as long as the handle. */
RECUR_API const char *recur_file_find_meta(const recur_file *file,
                                           const char *key);

/* ------------------------------------------------------------------------ */
/* Trained models of any task                                                */
/*
 * A checkpoint of `recur train` holds a model trained for one task, which
 * its __metadata__ "task" names:
 *   charlm, wordlm  a language model of characters or of words: the
 *                   recur_lm above (recur_model_get_lm lends it), run one
 *                   token at a time by a recur_lm_state
 *   classify        a text classifier: text -> one of K labels
 *                   (recur_model_classify)
 *   forecast        a forecaster: the recent history of a series -> its
 *                   next values (recur_model_forecast)
 *   music           a polyphonic music model: 88-key piano-roll frames, one
 *                   step at a time (recur_model_feed_frame,
 *                   recur_model_sample_frame)
 *
 * Design. One handle, recur_model, loads any of them (recur_model_load)
 * and says which (recur_model_get_task); each task has its own functions
 * on it, and a function of one task given a model of another fails with
 * RECUR_ERR_ARGUMENT, the message naming both tasks. A language model
 * keeps its own handle and states: recur_model_get_lm lends the model's
 * recur_lm, so a program that runs whatever checkpoint it is given needs
 * only recur_model_load, and one that knows it has a language model may
 * go on using recur_lm_load. What predicting needs beside the network
 * (the tokenizer and vocabulary, the labels, a forecaster's transforms and
 * normalisation) comes from the checkpoint and is applied inside, by the
 * code `recur predict` and `recur sample` run: the same inputs give the
 * same numbers.
 *
 * Threads: a model keeps a state between calls (its music stream, its
 * generator, scratch): one thread at a time per model, as for every
 * handle.
 */

typedef enum {
    RECUR_TASK_NONE = 0,  /* no model: recur_model_get_task of NULL */
    RECUR_TASK_CHARLM,    /* character language model */
    RECUR_TASK_WORDLM,    /* word language model */
    RECUR_TASK_CLASSIFY,  /* text classifier */
    RECUR_TASK_FORECAST,  /* time-series forecaster */
    RECUR_TASK_MUSIC      /* polyphonic music, piano-roll frames */
} recur_task;

/* The task's name as `recur train --task` and checkpoints write it:
 * "charlm", "wordlm", "classify", "forecast", "music"; "none" for
 * RECUR_TASK_NONE.
 * Returns: the name; NULL for an unknown value.
 * Ownership: static storage; not to be freed. */
RECUR_API const char *recur_task_str(recur_task task);

/* The inverse of recur_task_str for the five tasks ("none" is no task).
 * Returns: RECUR_OK and *task set; RECUR_ERR_ARGUMENT for another name or
 * a NULL argument.
 * Ownership: nothing is kept. */
RECUR_API recur_status recur_task_parse(const char *name, recur_task *task);

/* Piano-roll frames (music): RECUR_MUSIC_KEYS keys, key k the MIDI note
 * RECUR_MUSIC_LOWEST_NOTE + k (A0 to C8). */
#define RECUR_MUSIC_KEYS 88
#define RECUR_MUSIC_LOWEST_NOTE 21

/* A forecaster's shape and transforms, as its checkpoint records them. */
typedef struct {
    size_t lookback;  /* steps of history the network reads */
    size_t horizon;   /* values forecast, one per future step */
    size_t columns;   /* values per step of history: the target first, then
                         the feature columns, then (calendar) year_sin and
                         year_cos (recur_model_get_column_name) */
    size_t history;   /* the fewest steps recur_model_forecast needs:
                         lookback, one more when differenced */
    int recursive;    /* 1: one step at a time, each forecast fed back as
                         the next input; 0: all horizon values at once */
    int log;          /* the network models the target's logarithm: every
                         target value given must be positive */
    int difference;   /* ... its change from the step before (after the
                         logarithm); forecasts are accumulated from the
                         last value given */
    int calendar;     /* the last two columns are the date's place in the
                         year: sin and cos of 2 pi (month - 1) / 12 for
                         monthly dates, of 2 pi (day of year - 1) / (days
                         in the year) for daily ones */
    const char *date_step; /* the step between the training data's dates
                         (recur train --date) as an ISO 8601 duration:
                         "P<N>M" (N months: "P1M" monthly, "P3M"
                         quarterly) or "P<N>D" (N days: "P1D" daily); ""
                         when they had none (no date column, dates not
                         ISO YYYY-MM or YYYY-MM-DD or not evenly spaced,
                         or a checkpoint from before dated forecasts).
                         recur predict dates its forecasts by it from the
                         last date of its file. Never NULL */
    const char *date_last; /* the training data's last date as written in
                         its date column ("1960-12"); "" without a date
                         column (or from before dated forecasts). Never
                         NULL */
} recur_forecast_config;

typedef struct recur_model recur_model;

/* Loads a checkpoint of any task written by `recur train` (the best or
 * the last one; a training checkpoint's extra state is ignored). The file
 * is checked as recur_file_open does, and the model's metadata against its
 * tensors.
 * Returns: RECUR_OK and *out set; RECUR_ERR_IO, RECUR_ERR_FORMAT (not a
 * recur checkpoint, or one whose metadata or tensors are wrong: the message
 * says which), RECUR_ERR_UNSUPPORTED (a task this library does not know),
 * RECUR_ERR_MEMORY; RECUR_ERR_ARGUMENT for a NULL argument.
 * Ownership: the caller owns *out and frees it with recur_model_free. */
RECUR_API recur_status recur_model_load(const char *path, recur_model **out);

/* Frees the model and everything it owns, its language model included.
 * NULL is allowed. Free the states of its language model first.
 * Returns: nothing.
 * Ownership: every pointer the model gave out becomes invalid. */
RECUR_API void recur_model_free(recur_model *model);

/* The task the model was trained for.
 * Returns: the task; RECUR_TASK_NONE for a NULL handle.
 * Ownership: nothing is allocated. */
RECUR_API recur_task recur_model_get_task(const recur_model *model);

/* The architecture of the model's RNN stack (cell, sizes, layers,
 * directions).
 * Returns: the configuration; NULL for a NULL handle.
 * Ownership: the model's; valid as long as the model. */
RECUR_API const recur_rnn_config *
recur_model_get_rnn_config(const recur_model *model);

/* The number of token ids of a model that reads tokens: V of a language
 * model, the vocabulary of a classifier (ids 0 and 1 are <pad> and <unk>).
 * Returns: V; 0 for a forecaster, a music model or a NULL handle.
 * Ownership: nothing is allocated. */
RECUR_API size_t recur_model_get_vocab_size(const recur_model *model);

/* The language model of a charlm or wordlm checkpoint, to run with
 * recur_lm_state (and recur_lm_get_codepoint / recur_lm_get_word ... for
 * its tokens).
 * Returns: RECUR_OK and *lm set; RECUR_ERR_ARGUMENT for a model of another
 * task (the message names it) or a NULL argument.
 * Ownership: the model's: not to be freed with recur_lm_free; valid as
 * long as the model. */
RECUR_API recur_status recur_model_get_lm(recur_model *model, recur_lm **lm);

/* The number of labels (classes) of a classifier.
 * Returns: K; 0 for a model of another task or a NULL handle.
 * Ownership: nothing is allocated. */
RECUR_API size_t recur_model_get_label_count(const recur_model *model);

/* The name of label index of a classifier, as in its training data.
 * Returns: the name; NULL for index >= K, a model of another task or a
 * NULL handle.
 * Ownership: the model's; valid as long as the model. */
RECUR_API const char *recur_model_get_label(const recur_model *model,
                                            size_t index);

/* Classifies one text (UTF-8, NUL-terminated) as `recur predict` does: the
 * checkpoint's tokenizer (words or characters), tokens outside the
 * vocabulary as <unk> (a text without a token as one <unk>), the network,
 * softmax. probs (NULL: not wanted) gets the K probabilities, in label
 * order; *label (NULL: not wanted) the most probable one (the lowest
 * index among equals).
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT for a model of another task, a
 * NULL model or text, text that is not valid UTF-8 (the message gives the
 * byte) or a capacity below K with probs; RECUR_ERR_MEMORY. probs and
 * *label are untouched on failure.
 * Ownership: probs (capacity floats) is the caller's. */
RECUR_API recur_status recur_model_classify(recur_model *model,
                                            const char *text, float *probs,
                                            size_t capacity, size_t *label);

/* A forecaster's shape and transforms.
 * Returns: the configuration; NULL for a model of another task or a NULL
 * handle.
 * Ownership: the model's; valid as long as the model. */
RECUR_API const recur_forecast_config *
recur_model_get_forecast_config(const recur_model *model);

/* The name of a forecaster's column index (recur_forecast_config):
 * the CSV header of the target or feature it was trained on, "year_sin",
 * "year_cos".
 * Returns: the name; NULL for index >= columns, a model of another task or
 * a NULL handle.
 * Ownership: the model's; valid as long as the model. */
RECUR_API const char *recur_model_get_column_name(const recur_model *model,
                                                  size_t index);

/* Forecasts the horizon values after the last step of history, as `recur
 * predict` does for a file of those steps: the logarithm and the
 * differencing of the checkpoint applied to the target, the window of the
 * last lookback steps z-scored with the training statistics, the network
 * (horizon outputs at once, or one step at a time fed back), and the
 * forecasts brought back to the data's units.
 *   history   [steps, columns] row-major, oldest first, in the data's
 *             units, every value finite; only the last
 *             recur_forecast_config.history steps are read.
 *   forecast  [horizon]: the values of steps `steps`, `steps` + 1, ...
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT for a model of another task, a
 * NULL argument, columns other than the model's, steps below its
 * history, a value that is not finite, a target value that is not positive
 * under log (the message names the step) or a capacity below horizon;
 * RECUR_ERR_MEMORY. forecast is untouched on failure.
 * Ownership: the buffers are the caller's and are not kept. */
RECUR_API recur_status recur_model_forecast(recur_model *model,
                                            const double *history,
                                            size_t steps, size_t columns,
                                            double *forecast,
                                            size_t capacity);

/* Back to the silence before a piece: the music stream's state at zeros
 * (as it is after loading).
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT for a model of another task or a
 * NULL handle.
 * Ownership: nothing is kept. */
RECUR_API recur_status recur_model_reset(recur_model *model);

/* Advances a music model's stream by one frame and gives the probability
 * that each key sounds in the next one. frame[k] is 1 where key k sounds
 * and 0 where it does not; a piece starts from an all-zero frame (as in
 * training, where the first frame is predicted from silence).
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT for a model of another task, a
 * NULL argument, or keys other than RECUR_MUSIC_KEYS; RECUR_ERR_MEMORY.
 * Ownership: frame and probs (keys floats each) are the caller's. */
RECUR_API recur_status recur_model_feed_frame(recur_model *model,
                                              const float *frame, size_t keys,
                                              float *probs);

/* Draws a frame from a music model's probabilities, as `recur sample
 * --task music` does: key k sounds (frame[k] = 1, else 0) with probability
 * sigmoid(logit(probs[k]) / temperature), one number drawn per key in key
 * order from the model's generator (recur_model_set_seed).
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT for a model of another task, a
 * NULL argument, keys other than RECUR_MUSIC_KEYS, a probability outside
 * [0, 1] or a temperature not > 0 (or infinite): nothing is drawn then.
 * Ownership: probs and frame (keys floats each) are the caller's; they
 * may be the same buffer. */
RECUR_API recur_status recur_model_sample_frame(recur_model *model,
                                                const float *probs,
                                                size_t keys, float temperature,
                                                float *frame);

/* Seeds the generator recur_model_sample_frame draws from (0 after
 * loading); a seed S gives the frames of `recur sample --seed S`.
 * Returns: RECUR_OK; RECUR_ERR_ARGUMENT for a NULL handle.
 * Ownership: nothing is kept. */
RECUR_API recur_status recur_model_set_seed(recur_model *model,
                                            uint64_t seed);

#ifdef __cplusplus
}
#endif
#endif /* RECUR_H */
