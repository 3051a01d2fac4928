/* loss.c — softmax cross-entropy and its gradient in one pass per row. */
#include "model/loss.h"
#include "kernels/clones.h"
#include "kernels/vmath.h"

#include <math.h>
#include <string.h>

enum { BLOCK = 256 };

/* The largest of z[0..V), V >= 1, eight lanes at a time (a single chain
 * of comparisons would wait on each one). */
RECUR_CLONES static float row_max(const float *z, size_t V)
{
    float m[8];
    for (int k = 0; k < 8; k++)
        m[k] = z[0];
    size_t v = 0;
    for (; v + 8 <= V; v += 8)
        for (int k = 0; k < 8; k++)
            m[k] = z[v + k] > m[k] ? z[v + k] : m[k];
    for (; v < V; v++)
        m[0] = z[v] > m[0] ? z[v] : m[0];
    for (int k = 1; k < 8; k++)
        m[0] = m[k] > m[0] ? m[k] : m[0];
    return m[0];
}

/* Σ exp(z[v] − max) over a row, each exp a float from vmath_exp, summed
 * in double in eight interleaved partial sums; into e[0..V) as well when e
 * is given (it may be z). */
RECUR_CLONES static double row_exp_sum(const float *z, size_t V, float max,
                                       float *e)
{
    float tmp[BLOCK];
    double part[8] = {0};
    for (size_t v0 = 0; v0 < V; v0 += BLOCK) {
        size_t n = V - v0 < BLOCK ? V - v0 : BLOCK, i = 0;
        float *out = e ? e + v0 : tmp;
        for (size_t j = 0; j < n; j++)
            out[j] = z[v0 + j] - max;
        vmath_exp(out, out, n);
        for (; i + 8 <= n; i += 8)
            for (int k = 0; k < 8; k++)
                part[k] += out[i + k];
        for (; i < n; i++)
            part[0] += out[i];
    }
    return ((part[0] + part[1]) + (part[2] + part[3])) +
           ((part[4] + part[5]) + (part[6] + part[7]));
}

double softmax_xent(const float *logits, size_t N, size_t V,
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
        float max = row_max(z, V);
        size_t t = (size_t)targets[n];
        float zt = z[t]; /* read before dz, which may be z, is written */
        double sum = row_exp_sum(z, V, max, dz);
        total += log(sum) - ((double)zt - max);
        count++;
        if (dz) {
            float k = (float)(scale / sum);
            for (size_t v = 0; v < V; v++)
                dz[v] *= k;
            dz[t] -= scale;
        }
    }
    *counted = count;
    return total;
}
