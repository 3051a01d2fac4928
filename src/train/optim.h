/*
 * optim.h — optimizers and gradient clipping over one flat float array of n
 * parameters (params[n], grads[n]), as recur_rnn_get_flat_params/_grads give.
 *
 * Each optimizer is torch.optim.<X>'s single-tensor (foreach=False)
 * algorithm, computed in float32 as PyTorch's CPU kernels do, with the
 * scalars PyTorch computes in Python (bias corrections, step sizes,
 * 1 - beta) computed in double and rounded to float where PyTorch's kernels
 * round them. Where PyTorch's vectorised CPU kernels (AVX2/AVX-512) fuse a
 * multiply-add (add with alpha, addcmul, lerp), this code calls fmaf, so the
 * results agree bit for bit with PyTorch on such CPUs; the one known
 * remaining difference is PyTorch's float sqrt, which on AVX-512 is off by
 * one ulp in about a sixth of cases (ours is correctly rounded).
 *
 * Hyperparameters are float; PyTorch keeps them as Python doubles. To
 * reproduce a PyTorch run exactly, give PyTorch the float32-rounded values
 * (e.g. betas=(float(np.float32(0.9)), ...)); with the double values the
 * difference is a few ulps of the bias corrections.
 *
 * Thread safety: an optimizer handle must not be used by two threads at
 * once; distinct handles are independent. clip_grad_norm and the
 * name functions are reentrant.
 */
#ifndef RECUR_OPTIM_H
#define RECUR_OPTIM_H

#include "recur.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    RECUR_OPT_SGD,
    RECUR_OPT_ADAM,
    RECUR_OPT_ADAMW,
    RECUR_OPT_RMSPROP,
    RECUR_OPT_ADAGRAD
} optim_kind;

/* Fields a kind does not use are ignored (and not validated). */
typedef struct {
    optim_kind kind;
    float momentum;      /* SGD, RMSprop; >= 0 */
    float dampening;     /* SGD; in [0, 1] */
    int nesterov;        /* SGD; 0 or 1; needs momentum > 0 and dampening 0 */
    float weight_decay;  /* >= 0; L2 added to the gradient; AdamW: decoupled */
    float beta1, beta2;  /* Adam, AdamW; each in [0, 1) */
    float eps;           /* Adam/AdamW/RMSprop/Adagrad; >= 0 */
    float alpha;         /* RMSprop smoothing constant; in [0, 1] */
    int centered;        /* RMSprop; 0 or 1 */
    float lr_decay;      /* Adagrad; >= 0 */
    float initial_accumulator_value; /* Adagrad; >= 0 */
} optim_config;

/* PyTorch's defaults for that optimizer: SGD all zero; Adam betas 0.9/0.999,
 * eps 1e-8; AdamW the same with weight_decay 0.01; RMSprop alpha 0.99,
 * eps 1e-8; Adagrad eps 1e-10. An unknown kind gives a zeroed config with
 * that kind, which optim_create rejects. */
optim_config optim_default(optim_kind kind);

/* "sgd", "adam", "adamw", "rmsprop", "adagrad" (static storage); NULL for an
 * unknown value. */
const char *optim_str(optim_kind kind);

/* The inverse (exact, lower case); RECUR_ERR_ARGUMENT naming the bad name
 * and listing the valid ones, *kind untouched. */
recur_status optim_parse(const char *name, optim_kind *kind);

typedef struct optimizer optimizer;

/* Validates the configuration (RECUR_ERR_ARGUMENT with a message naming the
 * field: negative or non-finite values, betas outside [0, 1), nesterov
 * without momentum or with dampening, n = 0, ...) and allocates an
 * optimizer for n parameters with its state buffers zeroed (Adagrad's "sum"
 * filled with initial_accumulator_value) and the step count 0. The config is
 * copied. The caller owns *out and frees it with optim_free; *out is
 * untouched on failure. */
recur_status optim_create(const optim_config *config, size_t n,
                                optimizer **out);

/* Frees the handle and its buffers. NULL is allowed. */
void optim_free(optimizer *opt);

/* One update of params[n] from grads[n] with learning rate lr (finite,
 * >= 0), then the step count is incremented. params and grads are read
 * through and written element by element; they must not overlap. grads is
 * not modified (weight decay is applied to a copy, as PyTorch's grad.add).
 * No allocation. RECUR_ERR_ARGUMENT for NULLs or a bad lr, with params,
 * state and step count untouched.
 *
 * SGD's momentum buffer is set to the (weight-decayed) gradient at the
 * first step, i.e. when the step count is 0, as PyTorch does when the
 * buffer is None. Adam's and Adagrad's step t (from 1) is the step count
 * after the increment, exact in uint64 (PyTorch's float32 step tensor stops
 * counting at 2^24). */
recur_status optim_step(optimizer *opt, float *params,
                              const float *grads, float lr);

/* Steps taken so far (0 for NULL). set_steps restores it with the buffers
 * when resuming from a checkpoint. */
uint64_t optim_steps(const optimizer *opt);
void optim_set_steps(optimizer *opt, uint64_t steps);

/* The state buffers, n floats each, in the order of PyTorch's state keys:
 *   SGD      "momentum_buffer" (only when momentum != 0)
 *   Adam(W)  "exp_avg", "exp_avg_sq"
 *   RMSprop  "square_avg", ["momentum_buffer" if momentum > 0],
 *            ["grad_avg" if centered]
 *   Adagrad  "sum"
 * optim_buffer gives the i-th (writable, valid as long as the handle)
 * and its name (static storage) through name when name is not NULL; NULL
 * (and *name NULL) for an index out of range or a NULL handle. */
size_t optim_buffer_count(const optimizer *opt);
float *optim_buffer(optimizer *opt, size_t i, const char **name);

/* n (0 for NULL). */
size_t optim_size(const optimizer *opt);

/* Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_:
 * total = ||grads||_2 (accumulated in double, rounded to float), coefficient
 * = max_norm / (total + 1e-6) in float; when it is below 1, every gradient
 * is multiplied by it. Returns total, before clipping (0 for n = 0 or NULL).
 * As PyTorch, a non-finite total is not an error: a NaN total multiplies
 * the gradients by NaN and an infinite one by 0 (infinities become NaN).
 * Check the returned total with isfinite and skip the step. max_norm should
 * be positive. */
float clip_grad_norm(float *grads, size_t n, float max_norm);

#endif
