/* classmetrics.c — a classifier's scores and their report
 * (classmetrics.h). */
#include "eval/classmetrics.h"
#include "base/error.h"

#include <stdlib.h>
#include <string.h>

#define NAME_MAX_BYTES 24

void class_metrics_free(class_metrics *m)
{
    if (!m)
        return;
    free(m->precision);
    free(m->recall);
    free(m->f1);
    free(m->support);
    free(m->confusion);
    memset(m, 0, sizeof *m);
}

recur_status class_metrics_compute(const int32_t *truth,
                                        const int32_t *pred, size_t n,
                                        size_t K, class_metrics *out)
{
    if (!truth || !pred || !out || n == 0 || K == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "%s",
                          n == 0   ? "no examples to score"
                          : K == 0 ? "no classes to score"
                                   : "no labels or predictions to score (NULL)");
    for (size_t i = 0; i < n; i++)
        if (truth[i] < 0 || (size_t)truth[i] >= K || pred[i] < 0 ||
            (size_t)pred[i] >= K)
            return error_fail(RECUR_ERR_ARGUMENT, "example %zu: class %d "
                              "predicted for %d, not both in [0, %zu)", i,
                              (int)pred[i], (int)truth[i], K);
    size_t cells;
    if (!size_mul_ok(K, K, &cells) ||
        !size_mul_ok(cells, sizeof(size_t), &(size_t){0}))
        return error_fail(RECUR_ERR_MEMORY, "%zu classes are too many", K);
    class_metrics m = {.K = K, .n = n, .accuracy = 0, .macro_f1 = 0,
                       .precision = malloc(K * sizeof(double)),
                       .recall = malloc(K * sizeof(double)),
                       .f1 = malloc(K * sizeof(double)),
                       .support = calloc(K, sizeof(size_t)),
                       .confusion = calloc(cells, sizeof(size_t))};
    if (!m.precision || !m.recall || !m.f1 || !m.support || !m.confusion) {
        class_metrics_free(&m);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the metrics of "
                          "%zu classes", K);
    }
    size_t correct = 0;
    for (size_t i = 0; i < n; i++) {
        m.confusion[(size_t)truth[i] * K + (size_t)pred[i]]++;
        m.support[truth[i]]++;
        correct += truth[i] == pred[i];
    }
    m.accuracy = (double)correct / (double)n;
    for (size_t c = 0; c < K; c++) {
        size_t tp = m.confusion[c * K + c], predicted = 0;
        for (size_t t = 0; t < K; t++)
            predicted += m.confusion[t * K + c];
        double p = predicted ? (double)tp / (double)predicted : 0;
        double r = m.support[c] ? (double)tp / (double)m.support[c] : 0;
        m.precision[c] = p;
        m.recall[c] = r;
        m.f1[c] = p + r > 0 ? 2 * p * r / (p + r) : 0;
        m.macro_f1 += m.f1[c];
    }
    m.macro_f1 /= (double)K;
    *out = m;
    return RECUR_OK;
}

/* The bytes of name printed: at most NAME_MAX_BYTES, not cutting a UTF-8
 * sequence. */
static int shown(const char *name)
{
    size_t k = strlen(name);
    if (k > NAME_MAX_BYTES) {
        k = NAME_MAX_BYTES;
        while (k > 0 && ((unsigned char)name[k] & 0xC0) == 0x80)
            k--;
    }
    return (int)k;
}

recur_status class_metrics_print(FILE *f, const class_metrics *m,
                                      const char *const *names)
{
    if (!f || !m || !m->confusion)
        return error_fail(RECUR_ERR_ARGUMENT, "no metrics or file to print "
                          "them to (NULL)");
    size_t K = m->K;
    char number[32];
    /* Column widths: the longest name shown, and the largest count. */
    int name_w = 5, cell_w = snprintf(number, sizeof number, "%zu", m->n);
    for (size_t c = 0; c < K; c++) {
        int w = names ? shown(names[c])
                      : snprintf(number, sizeof number, "%zu", c);
        name_w = w > name_w ? w : name_w;
    }
    cell_w = (name_w > cell_w ? name_w : cell_w) + 1;
    size_t correct = 0;
    for (size_t c = 0; c < K; c++)
        correct += m->confusion[c * K + c];
    int bad = fprintf(f, "accuracy %.4f (%zu/%zu), macro-F1 %.4f\n\n",
                      m->accuracy, correct, m->n, m->macro_f1) < 0;
    bad |= fprintf(f, "%-*s  precision  recall      F1  support\n", name_w,
                   "class") < 0;
    for (size_t c = 0; c < K; c++) {
        snprintf(number, sizeof number, "%zu", c);
        const char *name = names ? names[c] : number;
        bad |= fprintf(f, "%-*.*s  %9.4f  %6.4f  %6.4f  %7zu\n", name_w,
                       shown(name), name, m->precision[c], m->recall[c],
                       m->f1[c], m->support[c]) < 0;
    }
    bad |= fprintf(f, "\nconfusion (rows true, columns predicted)\n%-*s",
                   name_w, "") < 0;
    for (size_t c = 0; c < K; c++) {
        snprintf(number, sizeof number, "%zu", c);
        const char *name = names ? names[c] : number;
        bad |= fprintf(f, "%*.*s", cell_w, shown(name), name) < 0;
    }
    bad |= fputc('\n', f) == EOF;
    for (size_t t = 0; t < K; t++) {
        snprintf(number, sizeof number, "%zu", t);
        const char *name = names ? names[t] : number;
        bad |= fprintf(f, "%-*.*s", name_w, shown(name), name) < 0;
        for (size_t c = 0; c < K; c++)
            bad |= fprintf(f, "%*zu", cell_w, m->confusion[t * K + c]) < 0;
        bad |= fputc('\n', f) == EOF;
    }
    if (bad || fflush(f) == EOF || ferror(f))
        return error_fail(RECUR_ERR_IO, "could not write the report");
    return RECUR_OK;
}
