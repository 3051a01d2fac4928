/*
 * test_rnn.c — the Elman cells (src/cells/rnn.c), tanh and ReLU: backward
 * against finite differences on a bidirectional 2-layer stack, plain,
 * under every regulariser, and unidirectional without bias (gradcheck.h;
 * ReLU's kinks are left out, at most one entry in ten). Their forward
 * against PyTorch is tests/api/test_parity.c's (the rnn_tanh-* and
 * rnn_relu-* fixtures); the one-pass streaming step tests/stack/'s.
 */
#include "gradcheck.h"
#include "test.h"

void test_rnn_gradcheck(void)
{
    static const gradcheck_kind kinds[] = {
        {"RNN_TANH", RECUR_RNN_TANH, 0, 0, 12345ull},
        {"RNN_RELU", RECUR_RNN_RELU, 0, 0, 5303064026993714869ull},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        gradcheck_cell(&kinds[k]);
}
