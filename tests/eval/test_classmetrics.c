/*
 * test_classmetrics.c — classifier scores (src/eval/classmetrics.h) against
 * values computed by hand: a 3-class confusion matrix, precision, recall,
 * F1 and macro-F1; the zeros where a ratio is undefined; bad ids; the
 * printed report, whole; a write that fails.
 */
#include "eval/classmetrics.h"
#include "base/error.h"
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int near(double a, double b) { return fabs(a - b) < 1e-12; }

static void hand_computed(void)
{
    /* Confusion (rows true): [2 1 1; 1 2 0; 0 1 1]. */
    const int32_t truth[] = {0, 0, 0, 0, 1, 1, 1, 2, 2};
    const int32_t pred[] = {0, 0, 1, 2, 1, 1, 0, 2, 1};
    class_metrics m = {0};
    CHECK(class_metrics_compute(truth, pred, 9, 3, &m) == RECUR_OK,
          "compute: %s", recur_last_error());
    if (!m.confusion)
        return;
    const size_t want[9] = {2, 1, 1, 1, 2, 0, 0, 1, 1};
    CHECK(!memcmp(m.confusion, want, sizeof want) && m.support[0] == 4 &&
              m.support[1] == 3 && m.support[2] == 2,
          "confusion matrix and support");
    CHECK(near(m.accuracy, 5.0 / 9), "accuracy %.17g", m.accuracy);
    /* precision 2/3, 2/4, 1/2; recall 2/4, 2/3, 1/2; F1 4/7, 4/7, 1/2. */
    CHECK(near(m.precision[0], 2.0 / 3) && near(m.precision[1], 0.5) &&
              near(m.precision[2], 0.5),
          "precision %g %g %g", m.precision[0], m.precision[1], m.precision[2]);
    CHECK(near(m.recall[0], 0.5) && near(m.recall[1], 2.0 / 3) &&
              near(m.recall[2], 0.5),
          "recall %g %g %g", m.recall[0], m.recall[1], m.recall[2]);
    CHECK(near(m.f1[0], 4.0 / 7) && near(m.f1[1], 4.0 / 7) &&
              near(m.f1[2], 0.5),
          "F1 %g %g %g", m.f1[0], m.f1[1], m.f1[2]);
    CHECK(near(m.macro_f1, 23.0 / 42), "macro-F1 %.17g", m.macro_f1);

    /* The report, whole. */
    FILE *f = tmpfile();
    const char *names[] = {"neg", "neutral", "pos"};
    char text[1024] = {0};
    CHECK(f && class_metrics_print(f, &m, names) == RECUR_OK,
          "print: %s", recur_last_error());
    if (f) {
        rewind(f);
        size_t got = fread(text, 1, sizeof text - 1, f);
        text[got] = '\0';
        fclose(f);
    }
    const char *report =
        "accuracy 0.5556 (5/9), macro-F1 0.5476\n"
        "\n"
        "class    precision  recall      F1  support\n"
        "neg         0.6667  0.5000  0.5714        4\n"
        "neutral     0.5000  0.6667  0.5714        3\n"
        "pos         0.5000  0.5000  0.5000        2\n"
        "\n"
        "confusion (rows true, columns predicted)\n"
        "            neg neutral     pos\n"
        "neg           2       1       1\n"
        "neutral       1       2       0\n"
        "pos           0       1       1\n";
    CHECK(!strcmp(text, report), "the report:\n%s", text);
    FILE *ro = fopen("/dev/null", "r");
    CHECK(ro && class_metrics_print(ro, &m, NULL) == RECUR_ERR_IO,
          "a failed write: %s", recur_last_error());
    if (ro)
        fclose(ro);
    class_metrics_free(&m);
    CHECK(m.confusion == NULL && m.K == 0, "freed and zeroed");
}

static void undefined_and_bad(void)
{
    /* Class 1 is never predicted, class 2 has no examples and is never
     * predicted: their ratios are 0, and count in the macro mean. */
    const int32_t truth[] = {0, 1}, pred[] = {0, 0};
    class_metrics m = {0};
    CHECK(class_metrics_compute(truth, pred, 2, 3, &m) == RECUR_OK &&
              near(m.precision[0], 0.5) && near(m.recall[0], 1) &&
              near(m.f1[0], 2.0 / 3) && m.precision[1] == 0 &&
              m.recall[1] == 0 && m.f1[1] == 0 && m.f1[2] == 0 &&
              m.support[2] == 0 && near(m.macro_f1, 2.0 / 9),
          "undefined ratios are 0");
    class_metrics_free(&m);
    const int32_t wrong[] = {0, 2};
    CHECK(class_metrics_compute(truth, wrong, 2, 2, &m) ==
                  RECUR_ERR_ARGUMENT &&
              strstr(recur_last_error(), "example 1") && m.confusion == NULL,
          "an id out of range: %s", recur_last_error());
    CHECK(class_metrics_compute(truth, pred, 0, 2, &m) ==
              RECUR_ERR_ARGUMENT,
          "no examples");
}

void test_classmetrics(void)
{
    hand_computed();
    undefined_and_bad();
}
