/*
 * test_lstm.c — the LSTM cell (src/cells/lstm.c), with and without a
 * projection and layer norm: backward against finite differences on a
 * bidirectional 2-layer stack (into x, h0 and c0), plain, under every
 * regulariser, and unidirectional without bias (gradcheck.h). Its forward
 * and gradients against PyTorch are tests/api/test_parity.c's (the lstm*
 * and ln_lstm* fixtures); layer norm's parameters and files
 * tests/stack/test_rnn_io.c's; the one-pass streaming step tests/stack/'s.
 */
#include "gradcheck.h"
#include "test.h"

void test_lstm_gradcheck(void)
{
    static const gradcheck_kind kinds[] = {
        {"LSTM", RECUR_LSTM, 0, 0, 18159788620750246257ull},
        {"LSTM proj", RECUR_LSTM, 2, 0, 8364630853764508781ull},
        {"LSTM layer-norm", RECUR_LSTM, 0, 1, 5363870969954225945ull},
        {"LSTM proj layer-norm", RECUR_LSTM, 2, 1,
         3561372757558831673ull},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        gradcheck_cell(&kinds[k]);
}
