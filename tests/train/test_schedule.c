/*
 * test_schedule.c — learning-rate schedules (src/train/schedule.h): names
 * and their round trip, validation of bad configurations, CONSTANT and
 * STEP (Zaremba et al.'s small model), COSINE with warm-up against the
 * closed form written differently, and PLATEAU against PyTorch's
 * ReduceLROnPlateau (tests/fixtures/optim.safetensors, written by
 * tools/gen_optim_fixtures.py), within TOL_OPTIM per epoch.
 */
#include "fixture.h"
#include "test.h"
#include "train/schedule.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void plateau_case(const st_file *st, const char *name, json_t *o)
{
    sched_config c = sched_default(RECUR_SCHED_PLATEAU, 0);
    c.base_lr = (float)json_number_value(json_object_get(o, "base_lr"));
    c.factor = (float)json_number_value(json_object_get(o, "factor"));
    c.threshold = (float)json_number_value(json_object_get(o, "threshold"));
    c.min_lr = (float)json_number_value(json_object_get(o, "min_lr"));
    c.patience = (size_t)json_integer_value(json_object_get(o, "patience"));
    c.cooldown = (size_t)json_integer_value(json_object_get(o, "cooldown"));
    CHECK(sched_check(&c) == RECUR_OK, "plateau %s: %s", name, recur_last_error());
    char key[128];
    snprintf(key, sizeof key, "plateau.%s.losses", name);
    size_t E = fixture_numel(st, key);
    float *losses = fixture_tensor(st, key, E);
    snprintf(key, sizeof key, "plateau.%s.lrs", name);
    float *lrs = fixture_tensor(st, key, E);
    CHECK(E >= 10, "plateau %s: %zu epochs", name, E);
    sched_state s;
    sched_init(&c, &s);
    size_t reductions = 0;
    double worst = 0;
    for (size_t e = 0; losses && lrs && e < E; e++) {
        float before = s.lr;
        sched_observe(&c, &s, losses[e]);
        reductions += s.lr != before;
        double err = fabs((double)s.lr - lrs[e]) / fmax(1.0, fabs((double)lrs[e]));
        worst = fmax(worst, err);
        CHECK(err <= TOL_OPTIM, "plateau %s epoch %zu (loss %g): lr %.9g, torch %.9g", name, e,
              (double)losses[e], (double)s.lr, (double)lrs[e]);
        CHECK(sched_lr(&c, &s, 1000 + e, e) == s.lr, "plateau lr moved without a "
              "validation");
    }
    CHECK(reductions >= 2, "plateau %s: only %zu reductions; the case tests little", name,
          reductions);
    free(losses);
    free(lrs);
}

static int near(float got, double want)
{
    return fabs((double)got - want) <= 1e-6 * fabs(want);
}

/* The cosine schedule written differently: (1 + cos x)/2 = cos^2(x/2). */
static double cosine_expected(double base, double min, uint64_t W, uint64_t S, uint64_t step)
{
    if (step < W)
        return base * (double)(step + 1) / (double)W;
    if (step >= S)
        return min;
    double c = cos(acos(-1.0) / 2 * (double)(step - W) / (double)(S - W));
    return min + (base - min) * c * c;
}

void test_schedule(void)
{
    /* Names. */
    for (int k = 0; k < 4; k++) {
        const char *name = sched_str((sched_kind)k);
        sched_kind back = (sched_kind)99;
        CHECK(name && sched_parse(name, &back) == RECUR_OK && back == (sched_kind)k,
              "schedule %d does not round-trip through its name", k);
    }
    sched_kind kind = RECUR_SCHED_STEP;
    CHECK(sched_str((sched_kind)4) == NULL, "name of an unknown schedule");
    CHECK(sched_parse("linear", &kind) == RECUR_ERR_ARGUMENT && kind == RECUR_SCHED_STEP,
          "parse of an unknown name");
    CHECK(strstr(recur_last_error(), "linear") && strstr(recur_last_error(), "plateau"),
          "message should name the bad name and the valid ones: %s", recur_last_error());
    CHECK(sched_parse(NULL, &kind) == RECUR_ERR_ARGUMENT &&
          sched_parse("step", NULL) == RECUR_ERR_ARGUMENT, "parse with NULLs");

    /* Validation. */
    sched_config c;
    CHECK(sched_check(NULL) == RECUR_ERR_ARGUMENT, "check NULL");
    for (int k = 0; k < 4; k++) {
        c = sched_default((sched_kind)k, 0.5f);
        if (k == RECUR_SCHED_COSINE) {
            CHECK(sched_check(&c) == RECUR_ERR_ARGUMENT, "cosine without total_steps");
            c.total_steps = 10;
        }
        CHECK(sched_check(&c) == RECUR_OK, "%s defaults: %s",
              sched_str((sched_kind)k), recur_last_error());
    }
    const struct {
        const char *what;
        sched_config c;
    } bad[] = {
        {"unknown kind", {.kind = (sched_kind)9, .base_lr = 1}},
        {"negative base_lr", {.kind = RECUR_SCHED_CONSTANT, .base_lr = -1}},
        {"NaN base_lr", {.kind = RECUR_SCHED_CONSTANT, .base_lr = NAN}},
        {"step factor 0", {.kind = RECUR_SCHED_STEP, .base_lr = 1, .factor = 0}},
        {"step factor 1.5", {.kind = RECUR_SCHED_STEP, .base_lr = 1, .factor = 1.5f}},
        {"warmup > total", {.kind = RECUR_SCHED_COSINE, .base_lr = 1, .warmup_steps = 11,
                            .total_steps = 10}},
        {"cosine min_lr > base", {.kind = RECUR_SCHED_COSINE, .base_lr = 1, .min_lr = 2,
                                  .total_steps = 10}},
        {"plateau factor 1", {.kind = RECUR_SCHED_PLATEAU, .base_lr = 1, .factor = 1}},
        {"plateau threshold 1", {.kind = RECUR_SCHED_PLATEAU, .base_lr = 1, .factor = 0.1f,
                                 .threshold = 1}},
        {"plateau negative min_lr", {.kind = RECUR_SCHED_PLATEAU, .base_lr = 1, .factor = 0.1f,
                                     .min_lr = -1}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(sched_check(&bad[i].c) == RECUR_ERR_ARGUMENT, "check accepted %s",
              bad[i].what);

    /* CONSTANT, and STEP for Zaremba et al.'s small model: lr 1, halved
     * after each epoch from the 5th on (0-based epoch 4). */
    sched_state s;
    c = sched_default(RECUR_SCHED_CONSTANT, 0.25f);
    sched_init(&c, &s);
    CHECK(sched_lr(&c, &s, 12345, 67) == 0.25f && s.lr == 0.25f, "constant");
    sched_observe(&c, &s, 1.0f);
    CHECK(s.lr == 0.25f, "observe changed a constant schedule");
    c = sched_default(RECUR_SCHED_STEP, 1.0f);
    sched_init(&c, &s);
    for (size_t e = 0; e < 13; e++) {
        float want = e < 4 ? 1.0f : ldexpf(1.0f, -(int)(e - 3));
        float got = sched_lr(&c, &s, 100 * e, e);
        CHECK(got == want && s.lr == want, "step schedule epoch %zu: %g, expected %g", e,
              (double)got, (double)want);
    }

    /* COSINE with warm-up against the closed form. */
    c = sched_default(RECUR_SCHED_COSINE, 0.01f);
    c.warmup_steps = 10;
    c.total_steps = 110;
    c.min_lr = 0.001f;
    sched_init(&c, &s);
    double worst = 0;
    float prev = INFINITY;
    for (uint64_t t = 0; t < 130; t++) {
        float got = sched_lr(&c, &s, t, 0);
        double want = cosine_expected(0.01f, 0.001f, 10, 110, t);
        worst = fmax(worst, fabs(got - want) / fmax(1e-3, want));
        if (t >= 10)
            CHECK(got <= prev, "cosine increases at step %llu", (unsigned long long)t);
        prev = got;
    }
    CHECK(worst <= TOL_OPTIM, "cosine vs closed form: max rel err %.3g", worst);
    CHECK(near(sched_lr(&c, &s, 0, 0), 0.001) && sched_lr(&c, &s, 9, 0) == 0.01f &&
          sched_lr(&c, &s, 10, 0) == 0.01f && sched_lr(&c, &s, 110, 0) == 0.001f &&
          near(sched_lr(&c, &s, 60, 0), 0.0055),
          "cosine landmarks: warm-up start base/W, base at W-1 and W, mid-point, min at total");
    c.warmup_steps = 0;
    CHECK(sched_lr(&c, &s, 0, 0) == 0.01f, "cosine without warm-up starts at base");
    c.warmup_steps = c.total_steps = 5;
    CHECK(sched_check(&c) == RECUR_OK && sched_lr(&c, &s, 4, 0) == 0.01f &&
          sched_lr(&c, &s, 5, 0) == 0.001f, "warm-up only");

    /* PLATEAU against ReduceLROnPlateau. */
    json_t *cases = NULL;
    st_file *st = fixture_open_cases("optim.safetensors", &cases);
    if (!st)
        return;
    json_t *list = json_object_get(cases, "plateau");
    CHECK(json_array_size(list) >= 2, "fixture lists %zu plateau cases", json_array_size(list));
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *item = json_array_get(list, i);
        const char *name = json_string_value(json_array_get(item, 0));
        json_t *o = json_array_get(item, 1);
        CHECK(name && json_is_object(o), "plateau case %zu malformed", i);
        if (name && json_is_object(o))
            plateau_case(st, name, o);
    }
    json_decref(cases);
    st_free(st);
}
