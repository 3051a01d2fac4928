/* loss.c — softmax cross-entropy and its gradient in one pass per row. */
#include "loss.h"

#include <math.h>
#include <string.h>

double recur_softmax_xent(const float *logits, size_t N, size_t V,
                          const int32_t *targets, float scale, float *dlogits,
                          size_t *counted)
{
    double total = 0;
    size_t count = 0;
    for (size_t n = 0; n < N; n++) {
        const float *z = logits + n * V;
        float *dz = dlogits ? dlogits + n * V : NULL;
        if (targets[n] < 0) {
            if (dz)
                memset(dz, 0, V * sizeof(float));
            continue;
        }
        float max = z[0];
        for (size_t v = 1; v < V; v++)
            max = z[v] > max ? z[v] : max;
        double sum = 0;
        for (size_t v = 0; v < V; v++)
            sum += exp((double)z[v] - max);
        double log_sum = log(sum);
        size_t t = (size_t)targets[n];
        total += log_sum - ((double)z[t] - max);
        count++;
        if (dz) {
            for (size_t v = 0; v < V; v++)
                dz[v] = scale * (float)exp((double)z[v] - max - log_sum);
            dz[t] -= scale;
        }
    }
    *counted = count;
    return total;
}
