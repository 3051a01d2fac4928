/*
 * seqmodel.h — the sequence model of the supervised tasks: the article's
 * LSTMClassifier and its relatives.
 *
 *     input    token ids → embedding (id 0 = padding)   |  dense features
 *     → dropout (token input only) → RNN stack (dropout between layers,
 *       variable lengths, one or two directions)
 *     → features:  last   the last layer's final state of each direction,
 *                         concatenated [forward, backward] (h_n[-2], h_n[-1])
 *                  mean   the outputs averaged over each sequence's steps
 *                  max    their element-wise maximum over the steps
 *                  step   every step's output (one prediction per step)
 *     → dropout → linear (fc) → loss:
 *                  xent   softmax cross-entropy, mean over the examples
 *                         (nn.CrossEntropyLoss)
 *                  mse / mae / huber   mean over examples × outputs
 *                         (nn.MSELoss, nn.L1Loss, nn.HuberLoss(delta=1))
 *                  bce    sigmoid binary cross-entropy summed over the
 *                         outputs of a step, mean over the counted steps
 *                         (the negative log-likelihood per step of a
 *                         multi-label frame, as polyphonic music is scored)
 *
 * Parameters are one flat array under PyTorch's names, so a checkpoint
 * loads into the equivalent module (tools/seq_torch.py):
 *     embedding.weight [V, E]   (token input only; row 0 is zero and gets no
 *                                gradient: nn.Embedding(padding_idx=0))
 *     rnn.<state_dict names of the stack>
 *     fc.weight [K, F], fc.bias [K]     F = D·P features
 * Internal to the library.
 */
#ifndef RECUR_SEQMODEL_H
#define RECUR_SEQMODEL_H

#include "recur.h"
#include "base/rng.h"
#include "io/safetensors.h"
#include "data/seqdata.h"

typedef enum { SEQ_POOL_LAST, SEQ_POOL_MEAN, SEQ_POOL_MAX, SEQ_POOL_STEP } seq_pool;
typedef enum {
    SEQ_LOSS_XENT, SEQ_LOSS_MSE, SEQ_LOSS_MAE, SEQ_LOSS_HUBER, SEQ_LOSS_BCE
} seq_loss;

typedef struct {
    recur_rnn_config rnn;   /* input_size: embed_size (tokens) or the features */
    size_t vocab_size;  /* V: token input; 0: dense input */
    size_t embed_size;  /* E (token input) */
    size_t outputs;     /* K */
    seq_pool pool;
    seq_loss loss;      /* xent needs a pooled model, bce a per-step one */
    float dropout;      /* p in [0, 1) */
} seq_config;

/* Names for the CLI and the checkpoint; NULL / RECUR_ERR_ARGUMENT for
 * unknown values. */
const char *seq_pool_str(seq_pool pool);
const char *seq_loss_str(seq_loss loss);
recur_status seq_pool_parse(const char *name, seq_pool *pool);
recur_status seq_loss_parse(const char *name, seq_loss *loss);

typedef struct seq_model seq_model;

/* Creates the model with PyTorch's default initialisation from seed:
 * embedding N(0, 1) with row 0 zeroed, the stack U(±1/√H), fc U(±1/√F).
 * The caller owns *out (seq_model_free). */
recur_status seq_model_create(const seq_config *config, uint64_t seed,
                              seq_model **out);
void seq_model_free(seq_model *m);
const seq_config *seq_model_config(const seq_model *m);

/* The flat parameters and gradients (seq_model_size floats each). */
size_t seq_model_size(const seq_model *m);
float *seq_model_params(seq_model *m);
float *seq_model_grads(seq_model *m);

/* The parameter tensors in file order: the i-th one's name, offset in the
 * flat array, shape (cols 1 for 1-D) and dimensions. */
size_t seq_model_tensor_count(const seq_model *m);
void seq_model_tensor(const seq_model *m, size_t i, char *name, size_t size,
                      size_t *offset, size_t shape[2], size_t *ndim);

/* Training mode: dropout on, masks from the model's generator. */
void seq_model_set_training(seq_model *m, int training);
void seq_model_set_seed(seq_model *m, uint64_t seed);

/* Forward (and with grads != 0, backward) over the examples idx[0..B) of
 * d, padded to the longest of them (no work on padding: the stack runs the
 * real lengths). Backward accumulates the gradient of the MEAN loss (see
 * above) into the model's gradients. *loss_sum is the summed loss and
 * *counted the number of terms it averages over (examples, examples ×
 * outputs, or steps). With out != NULL the predictions are written there:
 * pooled models [B, K] (class probabilities for xent, values otherwise);
 * per-step models [T, B, K] time-major (probabilities for bce) with
 * T = the longest example, zeros past each example's end. d must match the
 * model (token ids < V, features == input_size, outputs == K), else
 * RECUR_ERR_ARGUMENT. */
recur_status seq_model_batch(seq_model *m, const seq_data *d,
                             const size_t *idx, size_t B, int grads,
                             double *loss_sum, size_t *counted, float *out);

/* One example at a time, carrying the state (a per-step model generating a
 * sequence): feeds one step of input x[input_size] (token input: x[0] the
 * id, a whole number in [0, V), else RECUR_ERR_ARGUMENT) from the state
 * (zeros at the first call after seq_model_reset_stream) and writes the K
 * predictions (probabilities for bce). Dropout off. */
recur_status seq_model_reset_stream(seq_model *m);
recur_status seq_model_stream(seq_model *m, const float *x, float *out);

/* RECUR_OK when m is a music model: it reads and predicts 88-key frames
 * (dense input of RECUR_PIANO_KEYS, as many outputs, loss bce, one
 * prediction per step) and runs one step at a time (one direction); else
 * RECUR_ERR_FORMAT "path: not a music model (...)". */
recur_status seq_model_check_music(const seq_model *m, const char *path);

/* Checkpoints: the parameters under the names above and __metadata__
 * format "recur-seq", task, and the configuration; the task adds its own
 * metadata to the same writer. */
recur_status seq_model_write(const seq_model *m, const char *task,
                             st_writer *w);
recur_status seq_model_read(const st_file *st, const char *path,
                            seq_model **out);

#endif
