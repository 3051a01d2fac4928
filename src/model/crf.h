/*
 * crf.h — a linear-chain conditional random field over per-token scores
 * (emissions), the output layer of entity taggers (Lample et al. 2016),
 * with pytorch-crf's parameters and meaning (tools/tag_torch.py twins it):
 *
 *   score(y | x) = start[y_0] + Σ_t emit[t, y_t]
 *                  + Σ_{t≥1} trans[y_{t−1}, y_t] + end[y_{T−1}]
 *   log Z        = log Σ_y exp score(y | x)          (forward algorithm)
 *   nll          = log Z − score(gold | x)
 *
 * trans is row-major [K, K]: trans[i·K + j] scores tag i followed by j.
 * Sums run in double (log-sum-exp with the maximum subtracted); inputs and
 * gradients are float. One sentence per call, T ≥ 1 tokens, K ≥ 1 tags.
 * Internal to the library; no state, thread-safe.
 */
#ifndef RECUR_CRF_H
#define RECUR_CRF_H

#include "recur.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const float *start; /* [K] */
    const float *end;   /* [K] */
    const float *trans; /* [K, K] */
} crf_params;

typedef struct {
    float *start, *end, *trans; /* same shapes; each may be NULL (not wanted) */
} crf_grads;

/* The negative log-likelihood of tags[0..T) given emit [T, K] (row t at
 * emit + t·K), in *nll. With d_emit (may be NULL) and g (may be NULL), adds
 * scale × the gradient of nll to d_emit [T, K] and to g's arrays (the
 * marginals minus the gold counts). work: room for crf_work_size(T, K)
 * doubles. RECUR_ERR_ARGUMENT for T or K = 0 or a tag outside [0, K). */
size_t crf_work_size(size_t T, size_t K);
recur_status crf_nll(const crf_params *p, const float *emit, const int32_t *tags,
                     size_t T, size_t K, float scale, float *d_emit,
                     const crf_grads *g, double *work, double *nll);

/* The best tag sequence (Viterbi) into path[0..T), and its score in *score
 * (may be NULL). Ties go to the lower tag id. work: crf_work_size(T, K)
 * doubles; bp: T·K int32 back-pointers. */
recur_status crf_viterbi(const crf_params *p, const float *emit, size_t T,
                         size_t K, double *work, int32_t *bp, int32_t *path,
                         double *score);

#endif
