/*
 * gradcheck.h — the cells' finite-difference gradient check (gradcheck.c),
 * shared by tests/cells/test_rnn.c, test_lstm.c and test_gru.c: each runs
 * its cell's kinds through it.
 */
#ifndef RECUR_TEST_GRADCHECK_H
#define RECUR_TEST_GRADCHECK_H

#include "recur.h"

#include <stddef.h>
#include <stdint.h>

/* A cell kind: the mode, a projection size (LSTM; 0: none), layer norm;
 * and the state its random numbers start from. The states are where each
 * kind began when one group ran the nine kinds in turn (RNN_TANH, RELU,
 * LSTM, LSTM proj, GRU, GRU_RESET_BEFORE, then the three layer-norm ones;
 * 12345 first): the numbers each kind has always been checked with. At
 * other numbers layer-norm LSTM's one-sided differences can disagree by
 * tens (curvature) and a few entries fail. */
typedef struct {
    const char *name;
    recur_mode mode;
    size_t proj;
    int layer_norm;
    uint64_t seed;
} gradcheck_kind;

/* Backward against central differences for the kind on a bidirectional
 * 2-layer stack with unsorted lengths and initial states: plain, under
 * each regulariser (recurrent dropout, variational and recurrent dropout,
 * zoneout in training and in evaluation), and unidirectional without bias
 * at full lengths: every entry of the parameters, x, h0 (and c0 for
 * LSTM), the failures reported under the kind's name. The numbers drawn
 * start from kind->seed, whatever ran before. */
void gradcheck_cell(const gradcheck_kind *kind);

#endif
