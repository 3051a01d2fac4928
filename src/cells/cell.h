/*
 * cell.h — one layer, one direction of a recurrent network over a whole
 * packed batch of sequences: forward and backward. The cells (rnn.c, lstm.c,
 * gru.c) know nothing of files, stacks or the caller's layout.
 *
 * Packed layout (PyTorch's PackedSequence): sequences are sorted by
 * decreasing length; step t holds the batch[t] sequences still running,
 * stored as rows [offset[t], offset[t] + batch[t]) of every packed tensor,
 * row j of a step being sequence j in sorted order. batch[] never grows with
 * t, so the running sequences are always a prefix and no work is spent on
 * padding. N = offset[T] is the total number of rows.
 *
 * States live in [B, .] buffers, row j = sorted sequence j. On entry they
 * hold h0 (c0); on return h_n (c_n). A forward cell visits t = 0..T-1; a
 * reverse one t = T-1..0. In both, a sequence that is not running keeps its
 * state untouched: the forward direction therefore ends with each
 * sequence's state at its own last step, and the reverse direction starts
 * each sequence from h0 at its own last element.
 *
 * Backward runs the steps in the opposite order with state gradients in
 * the same [B, .] buffers: dh_n (dc_n) on entry, dh0 (dc0) on return.
 */
#ifndef RECUR_CELL_H
#define RECUR_CELL_H

#include "kernels/gemm.h"
#include "recur.h"

typedef struct {
    size_t T;
    const size_t *batch;   /* [T] running sequences at step t */
    const size_t *offset;  /* [T+1] first row of step t; offset[T] = N */
} packed_layout;

typedef struct {
    recur_mode mode;
    size_t I;   /* input size */
    size_t H;   /* hidden size */
    size_t P;   /* output (and recurrent state) size: proj_size or H */
    size_t G;   /* gates: 1 RNN, 3 GRU, 4 LSTM */
    int layer_norm; /* LSTM, GRU (linear before reset): layer-normalised */
} cell_dims;

/* Views into the stack's flat parameters (or gradients). Biases are NULL
 * for bias=False models, w_hr is NULL without projection. */
typedef struct {
    float *w_ih;   /* [G*H, I] */
    float *w_hh;   /* [G*H, P] */
    float *b_ih;   /* [G*H] */
    float *b_hh;   /* [G*H] */
    float *w_hr;   /* [P, H]  LSTM projection */
    /* Layer norm (NULL without): gain γ and bias β of LN(W_ih x) [G*H],
     * LN(W_hh h) [G*H] and the LSTM's LN(c') [H]. */
    float *ln_ih_w, *ln_ih_b, *ln_hh_w, *ln_hh_b, *ln_c_w, *ln_c_b;
} cell_params;

/* What forward keeps for backward, every buffer packed over N rows.
 * Unused buffers (per mode) are NULL.
 *
 * Regularisers of the recurrent state (NULL when off), filled by the stack
 * before the cell runs, read by forward and backward:
 *   rmask  recurrent dropout (Gal & Ghahramani 2016): one mask per sequence,
 *          row j = sorted sequence j, the same at every step, scaled
 *          1/(1 − q). h∘m replaces h wherever h enters a product with
 *          W_hh, so hprev holds h∘m; the GRU's z∘h keeps the unmasked h,
 *          which it then caches in hfull.
 *   zh, zc zoneout (Krueger et al. 2016) of h and c, per element and step:
 *          state' = d∘state + (1 − d)∘candidate, d = 1 (keep the previous
 *          value) or 0 in training, d = z (the expectation) in evaluation.
 *          The output y is the zoned-out h. */
typedef struct {
    float *gates;  /* [N, G*H] post-activation gates (RNN: the candidate h) */
    float *hprev;  /* [N, P] state entering the step (times rmask if set)  */
    float *tanh_c; /* [N, H] LSTM tanh(c) of the candidate cell            */
    float *cprev;  /* [N, H] LSTM cell entering the step                   */
    float *hraw;   /* [N, H] LSTM with projection: o*tanh(c) before W_hr   */
    float *aux;    /* [N, H] GRU: W_hn h + b_hn; reset-before GRU: r*h     */
    float *rmask;  /* [B, P] recurrent dropout mask, or NULL               */
    float *hfull;  /* [N, P] GRU with rmask: the unmasked state entering   */
    float *zh;     /* [N, P] zoneout of h, or NULL                         */
    float *zc;     /* [N, H] LSTM zoneout of c, or NULL                    */
    /* Layer norm (NULL without): the normalised values x̂ = (v − mean)·r
     * and r = 1/sqrt(var + eps) of each row, all backward reads. */
    float *ln_ih;  /* [N, G*H] x̂ of W_ih x                                 */
    float *ln_hh;  /* [N, G*H] x̂ of W_hh h (h∘m with recurrent dropout)    */
    float *ln_c;   /* [N, H]   LSTM x̂ of the candidate cell c'             */
    float *ln_r;   /* [N, 3]   r of the three, row by row                   */
} cell_cache;

/* Scratch shared by all cells of a stack, sized by cell_scratch_sizes. */
typedef struct {
    float *step;   /* [B, G*H] per-step products                           */
    float *step2;  /* [B, H]                                               */
    float *dgates; /* [N, G*H] gradients of gate pre-activations (input side) */
    float *dgates_h; /* [N, G*H] GRU, layer-norm LSTM: gradients on the
                        recurrent side                                     */
    float *dh_all; /* [N, P] LSTM with projection: dL/dh per row            */
    float *wpack;  /* w_hh packed for the step products (gemm.h), or NULL  */
    size_t wpack_floats;
    /* w_ihᵀ packed for the steps' own input products (cell_forward_inputs),
     * and the summed bias row [G*H] they add; NULL where unused (layer
     * norm, reset-before GRU, fewer than CELL_STEP_INPUT_ROWS rows). */
    float *ihpack;
    float *bias;
    /* Test hooks. Production code never sets whole_inputs (only
     * stack_set_plain_step does, for tests) and never reads
     * per_step_inputs (the stack points it at a counter that only tests
     * read). */
    struct {
        int whole_inputs;          /* no per-step input products */
        unsigned *per_step_inputs; /* counts the cell forwards that took
                                      them, or NULL */
    } test_hooks;
    /* No backward follows (weights packed for inference): the caches of
     * what enters each step (hprev, cprev) need not be filled. */
    int lean;
    /* recur_rnn_pack_weights: this cell's w_ihᵀ and w_hhᵀ already packed,
     * used by forward instead of wpack; NULL when not packed. */
    const gemm_b *fixed_ih, *fixed_hh;
    /* With fixed weights, this cell's count of one-row steps
     * (cell_step_products), its parity the direction of the next sweep;
     * NULL: those steps take the plain path. */
    unsigned *sweep;
} cell_scratch;

/* Floats each cache buffer needs (0 = unused) for N rows, one field per
 * buffer of cell_cache that the cell decides (the regularisers' masks,
 * rmask, hfull, zh and zc, are the stack's). */
typedef struct {
    size_t gates, hprev, tanh_c, cprev, hraw, aux;
    size_t ln_ih, ln_hh, ln_c, ln_r;
} cell_cache_floats;
void cell_cache_sizes(const cell_dims *d, size_t N, cell_cache_floats *out);

/* Floats each scratch buffer needs for B sequences and N rows, one field
 * per buffer of cell_scratch: step and step2 grow with B, dgates,
 * dgates_h and dh_all with N; wpack (the largest of w_hh and w_ih either
 * way round, 0 where nothing is packed), ihpack and bias are per stack,
 * whatever B and N. */
typedef struct {
    size_t step, step2;
    size_t dgates, dgates_h, dh_all;
    size_t wpack, ihpack, bias;
} cell_scratch_floats;
void cell_scratch_sizes(const cell_dims *d, size_t B, size_t N,
                        cell_scratch_floats *out);

/*
 * Forward.
 *   x  [N, I] packed input, row stride ldx.
 *   y  [N, P] packed output, row stride ldy (a column slice of the stack's
 *      [N, D*P] output), written.
 *   h  [B, P], c [B, H] (LSTM; else NULL): states, see above.
 */
typedef void cell_forward_fn(const cell_dims *d, const cell_params *p,
                                const packed_layout *lay, int reverse,
                                const float *x, size_t ldx, float *y,
                                size_t ldy, float *h, float *c,
                                const cell_cache *cache,
                                const cell_scratch *s);

/*
 * Backward.
 *   dy [N, P] gradient of y, row stride lddy, read only.
 *   dx [N, I] gradient of x, row stride lddx, ACCUMULATED (+=); NULL when
 *      not wanted.
 *   dh [B, P], dc [B, H]: state gradients, see above.
 *   g  parameter gradients, ACCUMULATED.
 */
typedef void cell_backward_fn(const cell_dims *d, const cell_params *p,
                                 const cell_params *g,
                                 const packed_layout *lay, int reverse,
                                 const float *x, size_t ldx, const float *dy,
                                 size_t lddy, float *dx, size_t lddx,
                                 float *dh, float *dc,
                                 const cell_cache *cache,
                                 const cell_scratch *s);

cell_forward_fn rnn_cell_forward, lstm_cell_forward, gru_cell_forward;
cell_backward_fn rnn_cell_backward, lstm_cell_backward, gru_cell_backward;

/* ---- helpers shared by the cells (cell_common.c) ---- */

/* Input projection of all N rows at once:
 * out[N, G*H] = x · w_ihᵀ + b_ih + (b_hh where fold[gate] is set); with
 * layer norm LN(x · w_ihᵀ) + the same biases, x̂ and r into the cache. */
void cell_project_inputs(const cell_dims *d, const cell_params *p,
                         const float *x, size_t ldx, size_t N,
                         const int *fold, float *out,
                         const cell_cache *cache, const cell_scratch *s);

/* The input side of a forward. With rows enough per step (at least
 * CELL_STEP_INPUT_ROWS in the first; not with layer norm, nor for the
 * reset-before GRU), each step runs its own input product with its
 * recurrent one (gemm_packed_step(.., in->wx, in->bias, ..)):
 * w_ih is packed (or recur_rnn_pack_weights' copy taken) and the bias row
 * b_ih + (b_hh where fold[gate] is set) summed into s->bias. Otherwise
 * in->wx is NULL and, unless `one` (a streaming call, cell_step_products),
 * every row's input product is written into cache->gates now. */
typedef struct {
    gemm_b w;
    const gemm_b *wx; /* &w, or NULL: no per-step input products */
    const float *bias;      /* or NULL */
} cell_inputs;
enum { CELL_STEP_INPUT_ROWS = 32 };
void cell_forward_inputs(const cell_dims *d, const cell_params *p,
                         const packed_layout *lay, const float *x,
                         size_t ldx, const int *fold, int one,
                         const cell_cache *cache, const cell_scratch *s,
                         cell_inputs *in);

/* Whether a forward over lay is one step of one row with the weights
 * packed by recur_rnn_pack_weights (and no layer norm): a streaming call,
 * which cell_step_products serves in one pass. */
int cell_one_step(const cell_dims *d, const packed_layout *lay,
                  const cell_scratch *s);

/* That step's gate pre-activations out[G*H] = x · w_ihᵀ + b_ih + (b_hh
 * where fold[gate] is set) + hp · w_hhᵀ: the same sums, bit for bit, as
 * cell_project_inputs of the row then gemm_packed of hp with beta 1
 * (the plain path), but one pass over both packed weights, swept forwards
 * and backwards on alternate calls (gemm.h: gemm_packed_pair). */
void cell_step_products(const cell_dims *d, const cell_params *p,
                        const float *x, const float *hp, const int *fold,
                        float *out, const cell_scratch *s);

/* Weight gradients of the input side and the input gradient, all rows at
 * once: dw_ih += dGᵀ·x, db_ih += Σ dG, dx += dG·w_ih. With layer norm, dG
 * (the gradient of LN(W_ih x) + b_ih) is first carried back through the LN
 * in place, its gain and bias gradients accumulated. */
void cell_input_backward(const cell_dims *d, const cell_params *p,
                         const cell_params *g, const float *x, size_t ldx,
                         size_t N, float *dG, float *dx, size_t lddx,
                         const cell_cache *cache, const cell_scratch *s);

/* ---- layer norm (Ba, Kiros & Hinton 2016), as torch.nn.LayerNorm ----
 * LN(v) = (v − mean)/sqrt(var + 1e-5)·γ + β over each row of w values,
 * var the biased variance, both accumulated in double. */
#define CELL_LN_EPS 1e-5

/* Mean and r = 1/sqrt(var + eps) of one row. */
void cell_ln_stats(const float *v, size_t w, float *mean, float *r);

/* n rows of v (row stride ldv) are normalised: x̂ into xhat [n, w] and r
 * into r[i * rstride]; out (stride ldo) gets γ∘x̂ + β, added to what it
 * holds when add is set. out may be v (add = 0). */
void cell_ln_forward(const float *v, size_t ldv, float *out, size_t ldo,
                     int add, size_t n, size_t w, const float *gamma,
                     const float *beta, float *xhat, float *r, size_t rstride);

/* Backward of n rows, in place: dv [n, w] (stride ld) holds dL/d(LN out)
 * on entry and dL/dv on return, dv = r·(γ∘dy − mean(γ∘dy) −
 * x̂·mean(γ∘dy∘x̂)); dgamma += dy∘x̂, dbeta += dy. */
void cell_ln_backward(float *dv, size_t ld, size_t n, size_t w,
                      const float *gamma, const float *xhat, const float *r,
                      size_t rstride, float *dgamma, float *dbeta);

/* The step product's weight for one pass, packed into s->wpack when the
 * pass has more than one step (gemm.h): forward multiplies by w_hhᵀ
 * (N = G·H, K = P), backward by w_hh (N = P, K = G·H). The input-side
 * products (cell_project_inputs, cell_input_backward) pack w_ih into the
 * same buffer, before and after the steps. */
void cell_pack_recurrent(const cell_dims *d, const cell_params *p,
                         const packed_layout *lay, int backward,
                         const cell_scratch *s, gemm_b *wb);

/* A weight gradient over all rows: C[M, N] += Aᵀ·B, A [K, M] (stride
 * lda), B [K, N] (stride ldb); B packed into s->wpack chunk by chunk. */
void cell_weight_grad(const cell_scratch *s, size_t M, size_t N, size_t K,
                      const float *A, size_t lda, const float *B, size_t ldb,
                      float *C, size_t ldc);

/* Row sums: db[k] += Σ_n dG[n, k] for k < cols, rows of width ld. */
void cell_bias_grad(float *db, const float *dG, size_t N, size_t cols,
                    size_t ld);

/* The recurrent input of one step's n rows: hp = h (or h∘m row by row,
 * m = cache->rmask), width w. Also keeps the unmasked h in full when
 * given (GRU). */
void cell_recurrent_input(const cell_cache *cache, size_t n, size_t w,
                          const float *h, float *hp, float *full);

/* dh[n, w] = (add ? dh : 0) + dm ∘ m, m the recurrent mask's rows from
 * the first of these (cache->rmask for a step's rows 0..n-1): the gradient
 * of a product with h∘m, carried back to h. */
void cell_recurrent_grad(const float *m, size_t n, size_t w,
                         const float *dm, int add, float *dh);

/* The step loop of a backward whose step is a pass over its rows (dh, dc
 * and dy into the gate gradients dG) followed by the recurrent product
 * dh (+)= dG_r·W_hh: each step's product runs with the next visited
 * step's pass, in one team of threads (gemm_packed_step), so the
 * pass runs in every thread. The cell fills the fields down to `cell`;
 * the loop sets first, n and n_prod before each pass. */
typedef struct cell_back {
    const cell_cache *cache;
    const cell_scratch *s;
    float *dh;          /* [B, P] state gradient */
    size_t P;
    const float *dy;    /* [N, P] the output's gradient, row stride lddy */
    size_t lddy;
    const float *dGr;   /* [N, GH] the products' left operand, all rows */
    size_t GH;
    float beta;         /* without a mask: 1 adds the product to dh */
    int mask_add;       /* with a mask: dh = (mask_add ? dh : 0) + d(h∘m)∘m */
    /* The cell's work on row j of the step (packed rows first + j). */
    void (*row)(const struct cell_back *b, size_t j);
    const void *cell;   /* the cell's own context, for row */
    size_t first, n;    /* the step's first packed row, its rows */
    size_t n_prod;      /* rows of the product just run before the pass */
} cell_back;

/* Runs the steps of a backward over lay in the order it visits them, the
 * last one's product included (whose result is the gradient of h0): the
 * same operations on the same values, element by element, as a loop of
 * "pass, then product" per step. */
void cell_backward_steps(const packed_layout *lay, int reverse,
                         const gemm_b *whh, cell_back *b);

/* Zoneout's blend: d·prev + (1 − d)·next (d = 1 keeps prev exactly when
 * next is finite). */
static inline float cell_zone(float d, float prev, float next)
{
    return d * prev + (1.0f - d) * next;
}

/* Its backward on one row of P: the output's gradient dh + dy into dout;
 * with zoneout (zh), the share d goes straight to the previous state (left
 * in dh) and 1 − d to the cell's own output. */
static inline void cell_zone_grad(size_t P, float *dh, const float *dy,
                                  const float *zh, float *dout)
{
    for (size_t k = 0; k < P; k++) {
        float dv = dh[k] + dy[k];
        if (zh) {
            dh[k] = dv * zh[k];
            dv *= 1.0f - zh[k];
        }
        dout[k] = dv;
    }
}

/* The i-th visited step's product with the recurrent weight, C[n, .] =
 * A·op(W) + beta·C (gemm_packed, alpha 1): a single row (batch 1,
 * or the last running sequence) sweeps W forwards and backwards on
 * alternate steps (gemm.h: gemm_packed_row, the same bits), so the
 * share of W that outgrew L2 is all that streams from L3. */
static inline void cell_recurrent_product(size_t n, const float *A,
                                          size_t lda, const gemm_b *w,
                                          float beta, float *C, size_t ldc,
                                          size_t i)
{
    if (n == 1)
        gemm_packed_row(A, w, beta, C, (int)(i & 1));
    else
        gemm_packed(n, 1.0f, A, lda, w, beta, C, ldc);
}

/* The part-th of `parts` contiguous shares of n rows: [*j0, *j1) (a
 * gemm_rows_fn's rows). */
static inline void cell_share(size_t n, size_t part, size_t parts,
                              size_t *j0, size_t *j1)
{
    *j0 = n * part / parts;
    *j1 = n * (part + 1) / parts;
}

/* Steps in the order a direction visits them: step(lay, reverse, i) is
 * the i-th visited step. */
static inline size_t cell_step(const packed_layout *lay, int reverse,
                               size_t i)
{
    return reverse ? lay->T - 1 - i : i;
}

#endif
