/*
 * test_gru.c — the GRU cell (src/cells/gru.c), with the reset gate after
 * the product (PyTorch's) and before it, and with layer norm: backward
 * against finite differences on a bidirectional 2-layer stack, plain,
 * under every regulariser, and unidirectional without bias (gradcheck.h).
 * Its forward and gradients against PyTorch are tests/api/test_parity.c's
 * (the gru*, gru_rb* and ln_gru* fixtures).
 */
#include "gradcheck.h"
#include "test.h"

void test_gru_gradcheck(void)
{
    static const gradcheck_kind kinds[] = {
        {"GRU", RECUR_GRU, 0, 0, 18318495576488807137ull},
        {"GRU_RESET_BEFORE", RECUR_GRU_RESET_BEFORE, 0, 0,
         10894462057793224413ull},
        {"GRU layer-norm", RECUR_GRU, 0, 1, 15896994620634433169ull},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        gradcheck_cell(&kinds[k]);
}
