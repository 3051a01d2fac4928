/*
 * test_optim.c — optimizers and gradient clipping (src/train/optim.h)
 * against PyTorch (tests/fixtures/optim.safetensors, written by
 * tools/gen_optim_fixtures.py), closed forms, and misuse. The schedules,
 * from the same fixture file, are test_schedule.c's.
 *
 * Parameters, optimizer state and clipped gradients must agree with PyTorch
 * per element within TOL_OPTIM * max(1, |torch|) (fixture.h); build with
 * -DTOL_OPTIM=0 to see every case's error printed.
 */
#include "fixture.h"
#include "train/optim.h"
#include "test.h"

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

typedef struct {
    double rel; /* max |got - want| / max(1, |want|) */
    double abs; /* max |got - want| */
    int finite; /* every got[i] is finite */
} diff;

static diff compare(const float *got, const float *want, size_t n)
{
    diff d = {0, 0, 1};
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - (double)want[i]);
        d.abs = fmax(d.abs, e);
        d.rel = fmax(d.rel, e / fmax(1.0, fabs((double)want[i])));
        d.finite &= isfinite(got[i]) != 0;
    }
    return d;
}

static int diff_ok(diff d) { return d.finite && d.rel <= TOL_OPTIM; }

static const struct {
    const char *name;
    size_t offset;
    int is_int;
} config_fields[] = {
    {"momentum", offsetof(optim_config, momentum), 0},
    {"dampening", offsetof(optim_config, dampening), 0},
    {"nesterov", offsetof(optim_config, nesterov), 1},
    {"weight_decay", offsetof(optim_config, weight_decay), 0},
    {"beta1", offsetof(optim_config, beta1), 0},
    {"beta2", offsetof(optim_config, beta2), 0},
    {"eps", offsetof(optim_config, eps), 0},
    {"alpha", offsetof(optim_config, alpha), 0},
    {"centered", offsetof(optim_config, centered), 1},
    {"lr_decay", offsetof(optim_config, lr_decay), 0},
    {"initial_accumulator_value", offsetof(optim_config, initial_accumulator_value), 0},
};

/* optim_default(kind) overridden by the JSON object's fields. */
static int config_from_json(json_t *o, optim_config *c)
{
    optim_kind kind;
    const char *k = json_string_value(json_object_get(o, "kind"));
    if (!k || optim_parse(k, &kind) != RECUR_OK)
        return 0;
    *c = optim_default(kind);
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        if (strcmp(key, "kind") == 0)
            continue;
        size_t f = 0, nf = sizeof config_fields / sizeof config_fields[0];
        while (f < nf && strcmp(config_fields[f].name, key) != 0)
            f++;
        if (f == nf || !json_is_number(v))
            return 0;
        char *field = (char *)c + config_fields[f].offset;
        if (config_fields[f].is_int)
            *(int *)field = (int)json_integer_value(v);
        else
            *(float *)field = (float)json_number_value(v);
    }
    return 1;
}

/* ---- optimizers against PyTorch ---- */

/* params_only: the case gives PyTorch double hyperparameters, so only the
 * parameters are expected to agree, not the state (see the generator). */
static void optim_case(const st_file *st, const char *name, json_t *cfg_json,
                       int params_only)
{
    char key[160];
    optim_config cfg;
    CHECK(config_from_json(cfg_json, &cfg), "%s: bad config in fixture", name);
    snprintf(key, sizeof key, "%s.params0", name);
    const size_t n = fixture_numel(st, key);
    snprintf(key, sizeof key, "%s.lrs", name);
    const size_t steps = fixture_numel(st, key);
    CHECK(n > 0 && steps > 1, "%s: fixture lacks params0 or lrs", name);
    if (n == 0 || steps < 2)
        return;
    float *p0, *grads, *lrs, *expected, *p = malloc(n * sizeof(float)),
                                        *q = malloc(n * sizeof(float));
    snprintf(key, sizeof key, "%s.params0", name);
    p0 = fixture_tensor(st, key, n);
    snprintf(key, sizeof key, "%s.grads", name);
    grads = fixture_tensor(st, key, steps * n);
    snprintf(key, sizeof key, "%s.lrs", name);
    lrs = fixture_tensor(st, key, steps);
    snprintf(key, sizeof key, "%s.expected", name);
    expected = fixture_tensor(st, key, steps * n);
    optimizer *opt = NULL, *half = NULL, *resumed = NULL;
    if (!p0 || !grads || !lrs || !expected || !p || !q)
        goto done;
    recur_status s = optim_create(&cfg, n, &opt);
    CHECK(s == RECUR_OK, "%s: create: %s", name, recur_last_error());
    if (s != RECUR_OK)
        goto done;

    /* Every step against PyTorch. */
    memcpy(p, p0, n * sizeof(float));
    diff worst = {0, 0, 1};
    size_t worst_step = 0;
    for (size_t t = 0; t < steps; t++) {
        s = optim_step(opt, p, grads + t * n, lrs[t]);
        CHECK(s == RECUR_OK, "%s: step %zu: %s", name, t, recur_last_error());
        diff d = compare(p, expected + t * n, n);
        if (d.rel > worst.rel || (!d.finite && worst.finite))
            worst_step = t;
        worst.rel = fmax(worst.rel, d.rel);
        worst.abs = fmax(worst.abs, d.abs);
        worst.finite &= d.finite;
    }
    CHECK(diff_ok(worst), "optim %-26s params vs torch over %zu steps: max rel err %.3g "
          "(abs %.3g, worst at step %zu)%s", name, steps, worst.rel, worst.abs, worst_step,
          worst.finite ? "" : ", not finite");
    CHECK(optim_steps(opt) == steps, "%s: step count %llu, expected %zu", name,
          (unsigned long long)optim_steps(opt), steps);

    /* The state, under PyTorch's keys, and nothing else. */
    size_t in_fixture = 0, prefix = (size_t)snprintf(key, sizeof key, "%s.state.", name);
    for (size_t i = 0; i < st_count(st); i++)
        in_fixture += strncmp(st_at(st, i)->name, key, prefix) == 0;
    CHECK(in_fixture == optim_buffer_count(opt), "%s: %zu state buffers, torch has %zu",
          name, optim_buffer_count(opt), in_fixture);
    for (size_t i = 0; i < optim_buffer_count(opt); i++) {
        const char *bname = NULL;
        float *buf = optim_buffer(opt, i, &bname);
        snprintf(key, sizeof key, "%s.state.%s", name, bname ? bname : "?");
        float *want = fixture_tensor(st, key, n);
        if (!want || !buf)
            continue;
        diff d = compare(buf, want, n);
        CHECK(params_only || diff_ok(d), "optim %-26s %s vs torch: max rel err %.3g (abs %.3g)", name, bname,
              d.rel, d.abs);
        free(want);
    }

    /* Resuming from copied state (a checkpoint) continues bit for bit. */
    size_t mid = steps / 2;
    if (optim_create(&cfg, n, &half) == RECUR_OK &&
        optim_create(&cfg, n, &resumed) == RECUR_OK) {
        memcpy(q, p0, n * sizeof(float));
        for (size_t t = 0; t < mid; t++)
            optim_step(half, q, grads + t * n, lrs[t]);
        for (size_t i = 0; i < optim_buffer_count(half); i++)
            memcpy(optim_buffer(resumed, i, NULL), optim_buffer(half, i, NULL),
                   n * sizeof(float));
        optim_set_steps(resumed, optim_steps(half));
        for (size_t t = mid; t < steps; t++)
            optim_step(resumed, q, grads + t * n, lrs[t]);
        CHECK(memcmp(p, q, n * sizeof(float)) == 0,
              "%s: resuming at step %zu from copied state differs from the uninterrupted run",
              name, mid);
    } else {
        CHECK(0, "%s: create for the resume check failed", name);
    }

done:
    optim_free(opt);
    optim_free(half);
    optim_free(resumed);
    free(p0); free(grads); free(lrs); free(expected); free(p); free(q);
}

void test_optim_pytorch(void)
{
    json_t *cases = NULL;
    st_file *st = fixture_open_cases("optim.safetensors", &cases);
    if (!st)
        return;
    json_t *list = json_object_get(cases, "optim");
    size_t count = json_array_size(list);
    CHECK(count >= 9, "fixture lists %zu optimizer cases", count);
    int seen[5] = {0};
    for (size_t i = 0; i < count; i++) {
        json_t *item = json_array_get(list, i);
        const char *name = json_string_value(json_array_get(item, 0));
        json_t *cfg = json_array_get(item, 1);
        optim_config c;
        CHECK(name && cfg, "optimizer case %zu malformed", i);
        if (!name || !cfg)
            continue;
        if (config_from_json(cfg, &c) && (unsigned)c.kind < 5)
            seen[c.kind] = 1;
        json_t *opts = json_array_get(item, 2);
        optim_case(st, name, cfg, json_is_true(json_object_get(opts, "params_only")));
    }
    for (int k = 0; k < 5; k++)
        CHECK(seen[k], "no fixture case for %s", optim_str((optim_kind)k));
    json_decref(cases);
    st_free(st);
}

/* ---- misuse ---- */

static void expect_create_fails(const char *what, optim_config c, size_t n)
{
    optimizer *sentinel = (optimizer *)&c, *opt = sentinel;
    recur_status s = optim_create(&c, n, &opt);
    CHECK(s == RECUR_ERR_ARGUMENT, "create with %s: got %s", what, recur_status_str(s));
    CHECK(opt == sentinel, "create with %s touched *out", what);
    CHECK(recur_last_error()[0] != '\0', "create with %s: no message", what);
    if (opt != sentinel)
        optim_free(opt);
}

void test_optim_misuse(void)
{
    /* Names. */
    for (int k = 0; k < 5; k++) {
        const char *name = optim_str((optim_kind)k);
        optim_kind back = (optim_kind)99;
        CHECK(name && optim_parse(name, &back) == RECUR_OK && back == (optim_kind)k,
              "optimizer %d does not round-trip through its name", k);
    }
    CHECK(optim_str((optim_kind)5) == NULL, "name of an unknown optimizer");
    CHECK(optim_str((optim_kind)-1) == NULL, "name of optimizer -1");
    optim_kind kind = RECUR_OPT_RMSPROP;
    CHECK(optim_parse("adamax", &kind) == RECUR_ERR_ARGUMENT && kind == RECUR_OPT_RMSPROP,
          "parse of an unknown name");
    CHECK(strstr(recur_last_error(), "adamax") && strstr(recur_last_error(), "adagrad"),
          "message should name the bad name and the valid ones: %s", recur_last_error());
    CHECK(optim_parse("Adam", &kind) == RECUR_ERR_ARGUMENT, "names are lower case");
    CHECK(optim_parse(NULL, &kind) == RECUR_ERR_ARGUMENT, "parse of NULL");
    CHECK(optim_parse("sgd", NULL) == RECUR_ERR_ARGUMENT, "parse into NULL");

    /* Defaults are PyTorch's and valid. */
    optim_config d = optim_default(RECUR_OPT_ADAMW);
    CHECK(d.beta1 == 0.9f && d.beta2 == 0.999f && d.eps == 1e-8f && d.weight_decay == 0.01f,
          "AdamW defaults");
    d = optim_default(RECUR_OPT_ADAM);
    CHECK(d.weight_decay == 0 && d.beta1 == 0.9f, "Adam defaults");
    d = optim_default(RECUR_OPT_RMSPROP);
    CHECK(d.alpha == 0.99f && d.eps == 1e-8f && d.momentum == 0 && !d.centered,
          "RMSprop defaults");
    d = optim_default(RECUR_OPT_ADAGRAD);
    CHECK(d.eps == 1e-10f && d.lr_decay == 0 && d.initial_accumulator_value == 0,
          "Adagrad defaults");
    for (int k = 0; k < 5; k++) {
        optim_config c = optim_default((optim_kind)k);
        optimizer *opt = NULL;
        CHECK(optim_create(&c, 3, &opt) == RECUR_OK && opt && optim_size(opt) == 3,
              "create with %s defaults: %s", optim_str((optim_kind)k),
              recur_last_error());
        optim_free(opt);
    }

    /* Bad configurations. */
    optim_config c = optim_default(RECUR_OPT_SGD);
    optimizer *opt = NULL;
    CHECK(optim_create(NULL, 3, &opt) == RECUR_ERR_ARGUMENT, "NULL config");
    CHECK(optim_create(&c, 3, NULL) == RECUR_ERR_ARGUMENT, "NULL out");
    expect_create_fails("n = 0", c, 0);
    c.kind = (optim_kind)7;
    expect_create_fails("an unknown kind", c, 3);
    c = optim_default(RECUR_OPT_SGD);
    c.momentum = -0.1f;
    expect_create_fails("negative momentum", c, 3);
    c.momentum = NAN;
    expect_create_fails("NaN momentum", c, 3);
    c = optim_default(RECUR_OPT_SGD);
    c.nesterov = 1;
    expect_create_fails("nesterov without momentum", c, 3);
    c.momentum = 0.9f;
    c.dampening = 0.1f;
    expect_create_fails("nesterov with dampening", c, 3);
    c.dampening = 0;
    c.nesterov = 2;
    expect_create_fails("nesterov = 2", c, 3);
    c = optim_default(RECUR_OPT_SGD);
    c.dampening = 1.5f;
    expect_create_fails("dampening 1.5", c, 3);
    c = optim_default(RECUR_OPT_SGD);
    c.weight_decay = -1e-4f;
    expect_create_fails("negative weight decay", c, 3);
    c = optim_default(RECUR_OPT_ADAM);
    c.beta1 = 1.0f;
    expect_create_fails("beta1 = 1", c, 3);
    c = optim_default(RECUR_OPT_ADAMW);
    c.beta2 = -0.5f;
    expect_create_fails("negative beta2", c, 3);
    c = optim_default(RECUR_OPT_ADAM);
    c.eps = -1e-8f;
    expect_create_fails("negative eps", c, 3);
    c = optim_default(RECUR_OPT_ADAM);
    c.weight_decay = INFINITY;
    expect_create_fails("infinite weight decay", c, 3);
    c = optim_default(RECUR_OPT_RMSPROP);
    c.alpha = 1.5f;
    expect_create_fails("alpha 1.5", c, 3);
    c = optim_default(RECUR_OPT_RMSPROP);
    c.centered = -1;
    expect_create_fails("centered = -1", c, 3);
    c = optim_default(RECUR_OPT_ADAGRAD);
    c.lr_decay = -0.1f;
    expect_create_fails("negative lr_decay", c, 3);
    c = optim_default(RECUR_OPT_ADAGRAD);
    c.initial_accumulator_value = -1;
    expect_create_fails("negative initial accumulator", c, 3);
    c = optim_default(RECUR_OPT_SGD);
    c.momentum = 0.9f;
    optimizer *huge = (optimizer *)&c;
    recur_status s = optim_create(&c, SIZE_MAX / 2, &huge);
    CHECK(s == RECUR_ERR_MEMORY && huge == (optimizer *)&c,
          "a state of SIZE_MAX/2 floats: got %s", recur_status_str(s));

    /* A bad step leaves everything untouched. */
    c = optim_default(RECUR_OPT_ADAM);
    opt = NULL;
    CHECK(optim_create(&c, 4, &opt) == RECUR_OK, "create: %s", recur_last_error());
    if (!opt)
        return;
    float p[4] = {1, -2, 3, -4}, g[4] = {0.5f, 0.25f, -1, 2}, p_before[4];
    CHECK(optim_step(opt, p, g, 0.01f) == RECUR_OK, "a good step");
    float m_before[4];
    memcpy(p_before, p, sizeof p);
    memcpy(m_before, optim_buffer(opt, 0, NULL), sizeof m_before);
    const float bad_lrs[] = {NAN, -0.01f, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad_lrs / sizeof bad_lrs[0]; i++) {
        s = optim_step(opt, p, g, bad_lrs[i]);
        CHECK(s == RECUR_ERR_ARGUMENT, "lr %g: got %s", (double)bad_lrs[i], recur_status_str(s));
        CHECK(memcmp(p, p_before, sizeof p) == 0, "lr %g changed the parameters",
              (double)bad_lrs[i]);
    }
    CHECK(memcmp(optim_buffer(opt, 0, NULL), m_before, sizeof m_before) == 0,
          "a refused step changed the state");
    CHECK(optim_steps(opt) == 1, "a refused step counted");
    CHECK(optim_step(NULL, p, g, 0.01f) == RECUR_ERR_ARGUMENT, "step on NULL");
    CHECK(optim_step(opt, NULL, g, 0.01f) == RECUR_ERR_ARGUMENT, "step with NULL params");
    CHECK(optim_step(opt, p, NULL, 0.01f) == RECUR_ERR_ARGUMENT, "step with NULL grads");
    CHECK(optim_step(opt, p, g, 0.0f) == RECUR_OK && memcmp(p, p_before, sizeof p) == 0,
          "lr 0 is allowed and leaves Adam's parameters alone");

    /* Buffers: names, bounds. */
    const char *bname = "x";
    CHECK(optim_buffer_count(opt) == 2, "Adam has 2 buffers");
    CHECK(optim_buffer(opt, 1, &bname) && strcmp(bname, "exp_avg_sq") == 0,
          "Adam's second buffer is exp_avg_sq");
    CHECK(optim_buffer(opt, 2, &bname) == NULL && bname == NULL,
          "buffer out of range");
    CHECK(optim_buffer(NULL, 0, NULL) == NULL && optim_buffer_count(NULL) == 0 &&
          optim_size(NULL) == 0 && optim_steps(NULL) == 0, "NULL handle queries");
    optim_set_steps(NULL, 3);
    optim_free(opt);
    optim_free(NULL);

    /* Buffer sets follow the options. */
    const struct {
        optim_config c;
        size_t count;
        const char *last;
    } sets[] = {
        {{.kind = RECUR_OPT_SGD}, 0, NULL},
        {{.kind = RECUR_OPT_SGD, .momentum = 0.5f}, 1, "momentum_buffer"},
        {{.kind = RECUR_OPT_RMSPROP, .alpha = 0.99f}, 1, "square_avg"},
        {{.kind = RECUR_OPT_RMSPROP, .alpha = 0.99f, .momentum = 0.5f}, 2, "momentum_buffer"},
        {{.kind = RECUR_OPT_RMSPROP, .alpha = 0.99f, .centered = 1}, 2, "grad_avg"},
        {{.kind = RECUR_OPT_RMSPROP, .alpha = 0.99f, .momentum = 0.5f, .centered = 1}, 3,
         "grad_avg"},
        {{.kind = RECUR_OPT_ADAGRAD, .initial_accumulator_value = 0.25f}, 1, "sum"},
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        opt = NULL;
        if (optim_create(&sets[i].c, 5, &opt) != RECUR_OK) {
            CHECK(0, "buffer set %zu: create: %s", i, recur_last_error());
            continue;
        }
        size_t count = optim_buffer_count(opt);
        const char *last = NULL;
        float *buf = count ? optim_buffer(opt, count - 1, &last) : NULL;
        CHECK(count == sets[i].count && (count == 0 || strcmp(last, sets[i].last) == 0),
              "buffer set %zu: %zu buffers, last '%s'", i, count, last ? last : "");
        float want = sets[i].c.kind == RECUR_OPT_ADAGRAD ? 0.25f : 0.0f;
        for (size_t j = 0; buf && j < 5; j++)
            CHECK(buf[j] == want, "buffer set %zu starts at %g, expected %g", i,
                  (double)buf[j], (double)want);
        optim_free(opt);
    }
}

/* ---- clipping ---- */

void test_clip(void)
{
    json_t *cases = NULL;
    st_file *st = fixture_open_cases("optim.safetensors", &cases);
    if (st) {
        size_t K = fixture_numel(st, "clip.max_norm");
        size_t n = K ? fixture_numel(st, "clip.grads") / K : 0;
        float *grads = fixture_tensor(st, "clip.grads", K * n), *max_norm = fixture_tensor(st, "clip.max_norm", K),
              *total = fixture_tensor(st, "clip.total", K), *clipped = fixture_tensor(st, "clip.clipped", K * n);
        CHECK(K >= 2 && n > 0, "clip fixture has %zu cases of %zu values", K, n);
        for (size_t k = 0; grads && max_norm && total && clipped && k < K; k++) {
            float *g = grads + k * n;
            float before = g[0];
            float got = clip_grad_norm(g, n, max_norm[k]);
            double e = fabs((double)got - total[k]) / fmax(1.0, fabs((double)total[k]));
            CHECK(e <= TOL_OPTIM, "clip %zu: total %.9g, torch %.9g (rel err %.3g)", k,
                  (double)got, (double)total[k], e);
            diff d = compare(g, clipped + k * n, n);
            CHECK(diff_ok(d), "clip %zu (max_norm %g, norm %g): clipped grads vs torch: max rel "
                  "err %.3g (abs %.3g)", k, (double)max_norm[k], (double)total[k], d.rel, d.abs);
            if (max_norm[k] > total[k])
                CHECK(g[0] == before, "clip %zu: gradients below max_norm were changed", k);
        }
        free(grads); free(max_norm); free(total); free(clipped);
        json_decref(cases);
        st_free(st);
    }

    /* The clipped norm is max_norm; small gradients are untouched bit for bit. */
    float g[5] = {3, 4, 0, 0, 12}, orig[5];
    memcpy(orig, g, sizeof g);
    float total = clip_grad_norm(g, 5, 100.0f);
    CHECK(total == 13.0f && memcmp(g, orig, sizeof g) == 0, "no clipping below max_norm");
    total = clip_grad_norm(g, 5, 1.0f);
    double norm = 0;
    for (int i = 0; i < 5; i++)
        norm += (double)g[i] * g[i];
    CHECK(total == 13.0f && fabs(sqrt(norm) - 1.0) < 1e-6, "clipped to norm %.9g, expected 1",
          sqrt(norm));
    CHECK(clip_grad_norm(NULL, 5, 1.0f) == 0 && clip_grad_norm(g, 0, 1.0f) == 0,
          "empty input");
    float bad[2] = {NAN, 1};
    CHECK(isnan(clip_grad_norm(bad, 2, 1.0f)), "a NaN gradient gives a NaN total");
}
