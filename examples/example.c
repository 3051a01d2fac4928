/*
 * example.c — the shortest useful tour of the C API: create a 2-layer
 * bidirectional LSTM, run a batch of two sequences of different lengths
 * forward, push a gradient back, and print what came out.
 *
 * Built against an installed recur (make install; README):
 *   cc example.c $(pkg-config --cflags --libs recur) -o example
 *   cc -static example.c $(pkg-config --static --cflags --libs recur) -o example
 * or in the source tree, against the static library:
 *   cc examples/example.c -Iinclude build/librecur.a -lopenblas -ljansson \
 *      -lgomp -lpthread -lm -o example
 */
#include <recur.h>

#include <stdio.h>

enum { T = 4, B = 2, I = 3, H = 5, L = 2, D = 2 };

int main(void)
{
    recur_rnn_config config = recur_rnn_config_default(RECUR_LSTM, I, H);
    config.num_layers = L;
    config.bidirectional = 1;

    recur_rnn *rnn;
    recur_status status = recur_rnn_create(&config, 42, &rnn);
    if (status != RECUR_OK) {
        fprintf(stderr, "create: %s: %s\n", recur_status_str(status),
                recur_last_error());
        return 1;
    }

    /* Time-major input [T, B, I]; the second sequence has 2 steps. */
    float x[T * B * I], y[T * B * D * H], h_n[L * D * B * H], c_n[L * D * B * H];
    for (int k = 0; k < T * B * I; k++)
        x[k] = (float)(k % 7) / 7.0f - 0.5f;
    const int64_t lengths[B] = {4, 2};

    status = recur_rnn_forward(rnn, T, B, x, lengths, NULL, NULL, y, h_n, c_n);
    if (status == RECUR_OK) {
        /* Gradient of loss = sum(y): dy = 1 everywhere. */
        float dy[T * B * D * H], dx[T * B * I];
        for (int k = 0; k < T * B * D * H; k++)
            dy[k] = 1.0f;
        status = recur_rnn_backward(rnn, dy, NULL, NULL, dx, NULL, NULL);
        if (status == RECUR_OK)
            printf("dL/dx[0] = %.6f\n", dx[0]);
    }
    if (status != RECUR_OK) {
        fprintf(stderr, "%s: %s\n", recur_status_str(status), recur_last_error());
        recur_rnn_free(rnn);
        return 1;
    }

    printf("y[t=3, b=1] (past its length) = %.1f\n", y[(3 * B + 1) * D * H]);
    printf("h_n of the top layer, forward direction, sequence 0:");
    for (int k = 0; k < H; k++)
        printf(" %.4f", h_n[((L - 1) * D * B + 0) * H + k]);
    const char *name;
    size_t rows, cols;
    recur_rnn_get_param(rnn, 0, &name, NULL, &rows, &cols);
    printf("\n%zu parameters; the first is %s [%zu, %zu]\n",
           recur_rnn_get_flat_size(rnn), name, rows, cols);
    recur_rnn_free(rnn);
    return 0;
}
