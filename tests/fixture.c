/* fixture.c — see fixture.h. */
#include "fixture.h"
#include "base/rng.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t fixture_names(char ***names)
{
    char path[512];
    snprintf(path, sizeof path, "%s/INDEX", test_fixture_dir());
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot open %s", path);
    if (!f)
        return 0;
    size_t n = 0, cap = 0;
    char **v = NULL, line[256];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv)
                break;
            v = nv;
        }
        v[n] = malloc(strlen(line) + 1);
        if (!v[n])
            break;
        strcpy(v[n++], line);
    }
    fclose(f);
    *names = v;
    return n;
}

void fixture_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

size_t fixture_each_case(const char *dir, void (*fn)(const char *name))
{
    char path[512], line[256];
    snprintf(path, sizeof path, "%s/%s/INDEX", test_fixture_dir(), dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot open %s", path);
    size_t cases = 0;
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (*line) {
            fn(line);
            cases++;
        }
    }
    if (f)
        fclose(f);
    return cases;
}

int fixture_open_case(const char *dir, const char *name, st_file **model,
                      char *model_path, size_t size, st_file **data)
{
    char path[512];
    snprintf(model_path, size, "%s/%s/%s/model.safetensors", test_fixture_dir(),
             dir, name);
    snprintf(path, sizeof path, "%s/%s/%s/data.safetensors", test_fixture_dir(),
             dir, name);
    *model = *data = NULL;
    recur_status s = st_read(model_path, model);
    if (!s && (s = st_read(path, data)) != RECUR_OK) {
        st_free(*model);
        *model = NULL;
    }
    CHECK(s == RECUR_OK, "%s/%s: reading: %s", dir, name, recur_last_error());
    return s == RECUR_OK;
}

void fixture_path(char *buf, size_t n, const char *name, const char *file)
{
    snprintf(buf, n, "%s/%s/%s", test_fixture_dir(), name, file);
}

float *fixture_f32(const st_file *st, const char *name)
{
    const st_tensor *t = st_find(st, name);
    if (!t)
        return NULL;
    float *v = malloc((t->numel ? t->numel : 1) * sizeof(float));
    if (v && st_to_f32(t, v)) {
        free(v);
        return NULL;
    }
    return v;
}

st_file *fixture_open_cases(const char *file, json_t **cases)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", test_fixture_dir(), file);
    st_file *st = NULL;
    recur_status s = st_read(path, &st);
    CHECK(s == RECUR_OK, "cannot read %s: %s", path, recur_last_error());
    if (s != RECUR_OK)
        return NULL;
    const char *meta = st_meta(st, "cases");
    json_error_t err;
    *cases = meta ? json_loads(meta, 0, &err) : NULL;
    CHECK(*cases != NULL, "%s: no parseable __metadata__ \"cases\"", path);
    if (!*cases) {
        st_free(st);
        return NULL;
    }
    return st;
}

float *fixture_tensor(const st_file *st, const char *name, size_t numel)
{
    const st_tensor *t = st_find(st, name);
    float *v = t && t->numel == numel ? fixture_f32(st, name) : NULL;
    CHECK(v != NULL, "fixture tensor %s missing or not of %zu values", name, numel);
    return v;
}

size_t fixture_numel(const st_file *st, const char *name)
{
    const st_tensor *t = st_find(st, name);
    return t ? t->numel : 0;
}

double fixture_tol(const char *name)
{
    return strncmp(name, "grad", 4) == 0 ? TOL_GRAD : TOL_OUTPUT;
}

int fixture_compare(const char *what, const char *name, const float *got,
                    const st_tensor *ref, double tol)
{
    float *want = malloc((ref->numel ? ref->numel : 1) * sizeof(float));
    if (!want || st_to_f32(ref, want)) {
        free(want);
        CHECK(0, "%s: cannot read reference '%s'", what, name);
        return 0;
    }
    double err = 0, scale = 1;
    int finite = 1;
    for (size_t i = 0; i < ref->numel; i++) {
        scale = fmax(scale, fabs(want[i]));
        err = fmax(err, fabs((double)got[i] - want[i]));
        finite &= isfinite(got[i]);
    }
    free(want);
    int ok = finite && err <= tol * scale;
    CHECK(ok, "%s: %s max error %.3g (tolerance %.3g)%s", what, name, err,
          tol * scale, finite ? "" : ", not finite");
    return ok;
}

/* max |got − ref| / max |ref| over a tensor (absolute when ref is 0). */
static double relative_error(const float *got, const st_tensor *ref)
{
    float *want = malloc((ref->numel ? ref->numel : 1) * sizeof(float));
    if (!want || st_to_f32(ref, want)) {
        free(want);
        return INFINITY;
    }
    double err = 0, scale = 0;
    for (size_t i = 0; i < ref->numel; i++) {
        scale = fmax(scale, fabs(want[i]));
        err = fmax(err, isfinite(got[i]) ? fabs((double)got[i] - want[i]) : INFINITY);
    }
    free(want);
    return scale > 0 ? err / scale : err;
}

double fixture_compare_grads(const char *what, const st_file *data,
                             const void *model, size_t count,
                             fixture_tensor_fn *tensor, const float *grads,
                             double tol, char *worst, size_t size)
{
    char name[300], gname[320];
    double max_err = 0;
    for (size_t i = 0; i < count; i++) {
        size_t offset, shape[2], ndim;
        tensor(model, i, name, sizeof name, &offset, shape, &ndim);
        snprintf(gname, sizeof gname, "grad.%s", name);
        const st_tensor *ref = st_find(data, gname);
        int ok = ref && ref->numel == shape[0] * (ndim == 2 ? shape[1] : 1);
        CHECK(ok, "%s: %s missing from the fixture or of another size", what,
              gname);
        double err = ok ? relative_error(grads + offset, ref) : INFINITY;
        CHECK(err <= tol, "%s: %s relative error %.3g (tolerance %g)", what,
              gname, err, tol);
        if (err >= max_err) {
            max_err = err;
            snprintf(worst, size, "%s", name);
        }
    }
    return max_err;
}

float *fixture_transpose_tb(const float *src, size_t T, size_t B, size_t w)
{
    float *dst = malloc(T * B * w * sizeof(float));
    for (size_t t = 0; dst && t < T; t++)
        for (size_t b = 0; b < B; b++)
            memcpy(dst + (b * T + t) * w, src + (t * B + b) * w,
                   w * sizeof(float));
    return dst;
}

void fixture_random_ids(int32_t *ids, size_t n, size_t V, uint64_t seed)
{
    rng_state r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        ids[i] = (int32_t)rng_below(&r, V);
}

recur_rnn_config fixture_config(recur_mode mode, size_t I, size_t H,
                                size_t proj, size_t L, int bidirectional,
                                int bias)
{
    recur_rnn_config c = recur_rnn_config_default(mode, I, H);
    c.proj_size = proj;
    c.num_layers = L;
    c.bidirectional = bidirectional;
    c.bias = bias;
    return c;
}

double fixture_batch_loss(void *batch)
{
    const fixture_batch *b = batch;
    return b->loss(b->model, b->data, b->idx, b->B, b->seed);
}

double fixture_central_difference(float *p, size_t i, float eps,
                                  fixture_loss_fn *loss, void *ctx,
                                  double *sum)
{
    const float keep = p[i];
    p[i] = keep + eps;
    double up = loss(ctx);
    p[i] = keep - eps;
    double down = loss(ctx);
    p[i] = keep;
    if (sum)
        *sum = up + down;
    return (up - down) / (2.0 * eps);
}

int fixture_central_differences(const char *what, float *p,
                                const float *analytic, size_t n,
                                fixture_loss_fn *loss, void *ctx)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        double num = fixture_central_difference(p, i, 1e-3f, loss, ctx, NULL);
        if (!(fabs(num - analytic[i]) <= 1e-3 + 2e-2 * fabs(analytic[i])) &&
            bad++ < 3)
            fprintf(stderr, "  %s param %zu: numeric %.6g analytic %.6g\n",
                    what, i, num, analytic[i]);
    }
    return bad;
}
