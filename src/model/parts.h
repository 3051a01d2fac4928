/*
 * parts.h — the pieces the supervised models (seqmodel.c, tagger.c) are
 * built from beside the stack: PyTorch's default initialisations drawn from
 * recur's generator, inverted dropout, a stack's configuration in a
 * checkpoint's __metadata__ and the check that its tensors are in the file,
 * and a model's parameter tensors into and out of a checkpoint.
 * Internal to the library.
 */
#ifndef RECUR_PARTS_H
#define RECUR_PARTS_H

#include "recur.h"
#include "base/rng.h"
#include "io/safetensors.h"

#include <stddef.h>

/* A model's flat parameter and gradient arrays of n floats each, zeroed
 * (bigmem.h); on failure neither (RECUR_ERR_MEMORY). */
recur_status parts_flat_arrays(size_t n, float **params, float **grads);
/* The sentence stack moved into a model's arrays at params / grads, named
 * "rnn." in files, with dropout p between its layers drawn from rng (the
 * model's generator). */
void parts_attach_stack(recur_rnn *rnn, float *params, float *grads, float p,
                        rng_state *rng);

/* p[0..n) from N(0, 1) (nn.Embedding), Box–Muller: one pair of uniforms
 * per two values (the last pair's second value unused for odd n). */
void parts_init_normal(float *p, size_t n, rng_state *rng);
/* p[0..n) from U(−bound, bound) (nn.Linear, nn.LSTM, pytorch-crf). */
void parts_init_uniform(float *p, size_t n, float bound, rng_state *rng);

/* PyTorch's inverted dropout: mask[i] = 0 with probability p, else
 * 1/(1 − p), one draw per element in order; x[i] *= mask[i]. */
void parts_dropout(rng_state *rng, float p, float *x, float *mask, size_t n);

/* A workspace of float views: one block (bigmem.h) holding each view's
 * rows × cols floats, one after another in the order given. parts_carve
 * allocates it, points every view into it and frees *block, which it
 * replaces; on failure (RECUR_ERR_MEMORY, sizes overflowing included)
 * *block and the views are as they were. what names the workspace in the
 * message. */
typedef struct {
    float **view;
    size_t rows, cols;
} parts_view;
recur_status parts_carve(float **block, const parts_view *views, size_t count,
                         const char *what);

/* A linear layer (nn.Linear) over R rows: out [R, K] = x [R, F] · Wᵀ + b,
 * W [K, F]; and its backward from dout [R, K]: gW += doutᵀ·x, gb += the
 * column sums of dout, dx [R, F] = dout·W (written; NULL: not wanted). */
void parts_linear_forward(const float *W, const float *b, const float *x,
                          size_t R, size_t F, size_t K, float *out);
void parts_linear_backward(const float *W, const float *x, const float *dout,
                           size_t R, size_t F, size_t K, float *gW, float *gb,
                           float *dx);

/* RECUR_OK when __metadata__ "format" is format, else RECUR_ERR_FORMAT
 * "path: not a recur <what> checkpoint (...)". */
recur_status parts_check_format(const st_file *st, const char *path,
                                const char *format, const char *what);
/* __metadata__ "dropout", a probability in [0, 1) (else RECUR_ERR_FORMAT). */
recur_status parts_read_dropout(const st_file *st, const char *path,
                                float *dropout);

/* A stack's configuration as __metadata__ keys mode, input_size,
 * hidden_size, proj_size, num_layers, bidirectional, bias, layer_norm;
 * and back (absent or malformed keys: RECUR_ERR_FORMAT naming path and
 * key; the configuration itself is checked by whoever creates the model). */
recur_status parts_write_rnn_meta(st_writer *w, const recur_rnn_config *c);
recur_status parts_read_rnn_meta(const st_file *st, const char *path,
                                 recur_rnn_config *c);
/* RECUR_OK when st holds every weight matrix a stack of configuration c
 * under prefix ("rnn.") has, with its shape: checked before a model of
 * the sizes the metadata names is allocated. */
recur_status parts_check_stack(const st_file *st, const char *path,
                               const char *prefix, const recur_rnn_config *c);

/* A model's i-th parameter tensor: name, offset in its flat array, shape
 * (cols 1 for 1-D) and dimensions (seq_model_tensor, tagger_tensor). */
typedef void parts_tensor_fn(const void *model, size_t i, char *name,
                             size_t size, size_t *offset, size_t shape[2],
                             size_t *ndim);
/* Adds the count tensors of model (params its flat array) to w as F32. */
recur_status parts_write_tensors(st_writer *w, const void *model, size_t count,
                                 parts_tensor_fn *tensor, const float *params);
/* Copies each of them from st into params; a tensor missing, of another
 * shape or of a non-float dtype is RECUR_ERR_FORMAT naming path and it. */
recur_status parts_read_tensors(const st_file *st, const char *path,
                                const void *model, size_t count,
                                parts_tensor_fn *tensor, float *params);

#endif
