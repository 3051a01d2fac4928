/*
 * pack_weights.c — recur_rnn_pack_weights and recur_rnn_unpack_weights:
 * each cell's w_ihᵀ and w_hhᵀ packed once for inference (gemm.h), in one
 * block, with each cell's count of the one-row steps that sweep them
 * (cell.h: cell_scratch.sweep). forward.c hands them to the cells.
 */
#include "stack/stack_internal.h"
#include "base/bigmem.h"
#include "base/error.h"
#include "kernels/gemm.h"

#include <stdint.h>
#include <stdlib.h>

void recur_rnn_unpack_weights(recur_rnn *rnn)
{
    if (!rnn)
        return;
    free(rnn->fixed);
    big_free(rnn->fixed_block);
    free(rnn->fixed_sweep);
    rnn->fixed = NULL;
    rnn->fixed_block = NULL;
    rnn->fixed_sweep = NULL;
    if (rnn->lean_forward) /* it kept nothing for backward */
        rnn->have_forward = 0;
}

recur_status recur_rnn_pack_weights(recur_rnn *rnn)
{
    if (!rnn)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_rnn_pack_weights: NULL");
    recur_rnn_unpack_weights(rnn);
    if (!gemm_packed_available())
        return RECUR_OK;
    const size_t cells = rnn->config.num_layers * rnn->D;
    /* Each packed matrix starts on a 64-byte boundary: sizes in 16s. */
    size_t total = 0;
    for (size_t c = 0; c < cells; c++) {
        cell_dims d;
        stack_layer_dims(rnn, c / rnn->D, &d);
        size_t GH = d.G * d.H;
        total += (gemm_pack_floats(GH, d.I) + 15) / 16 * 16 +
                 (gemm_pack_floats(GH, d.P) + 15) / 16 * 16;
    }
    gemm_b *fixed = calloc(2 * cells, sizeof *fixed);
    unsigned *sweep = calloc(cells, sizeof *sweep);
    float *block = total <= SIZE_MAX / sizeof(float)
                       ? big_alloc((total ? total : 16) * sizeof(float))
                       : NULL;
    if (!fixed || !sweep || !block) {
        free(fixed);
        free(sweep);
        big_free(block);
        return error_fail(RECUR_ERR_MEMORY,
                          "recur_rnn_pack_weights: out of memory (%zu floats)",
                          total);
    }
    float *at = block;
    for (size_t c = 0; c < cells; c++) {
        cell_dims d;
        cell_params p;
        stack_layer_dims(rnn, c / rnn->D, &d);
        stack_layer_params(rnn, c / rnn->D, c % rnn->D, 0, &p);
        size_t GH = d.G * d.H;
        gemm_pack(fixed + 2 * c, 1, GH, d.I, p.w_ih, d.I, at);
        at += (gemm_pack_floats(GH, d.I) + 15) / 16 * 16;
        gemm_pack(fixed + 2 * c + 1, 1, GH, d.P, p.w_hh, d.P, at);
        at += (gemm_pack_floats(GH, d.P) + 15) / 16 * 16;
    }
    rnn->fixed = fixed;
    rnn->fixed_block = block;
    rnn->fixed_sweep = sweep;
    return RECUR_OK;
}
