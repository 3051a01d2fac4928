/*
 * test_vmath.c — the vectorised exp, σ and tanh (src/kernels/vmath.h) against
 * double-precision libm over the whole float range (every 1031th bit
 * pattern, both signs), at the edges, on NaN and ±inf, in place and out,
 * and for every length up to 70 (vector bodies and scalar tails agree) —
 * in every variant built here that the CPU can run (vmath_force); and the
 * two fused ones, AVX-512 and AVX2, bit for bit against each other. A
 * variant the CPU cannot run is a SKIP naming what it lacks.
 */
#include "test.h"
#include "kernels/vmath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

enum { CHUNK = 4096 };

static double ulp_of(double r)
{
    float f = (float)fabs(r);
    return (double)nextafterf(f, INFINITY) - (double)f;
}

typedef struct {
    const char *name;
    void (*fn)(float *, const float *, size_t);
    double (*ref)(double);
    double max_ulp;  /* where the result is a normal float */
    double abs_near; /* or this absolute error, for |result| < 2^-20 */
} vfun;

static double ref_exp(double x) { return exp(x); }
static double ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static double ref_tanh(double x) { return tanh(x); }

static void sweep(const vfun *f)
{
    static float x[CHUNK], y[CHUNK];
    double worst = 0;
    float at = 0;
    size_t n = 0, bad = 0;
    for (uint64_t b = 0; b <= 0xFFFFFFFFu; b += 1031) {
        uint32_t u = (uint32_t)b;
        float v;
        memcpy(&v, &u, sizeof v);
        if (isnan(v))
            continue;
        x[n++] = v;
        if (n < CHUNK && b + 1031 <= 0xFFFFFFFFu)
            continue;
        f->fn(y, x, n);
        for (size_t i = 0; i < n; i++) {
            double r = f->ref((double)x[i]);
            if (fabs(r) < 1e-37 && fabs(y[i]) < 1e-37)
                continue; /* flushed or subnormal: zero at any tolerance */
            if (fabs(r) > 3.4e38) { /* overflow: must be inf */
                bad += !isinf(y[i]);
                continue;
            }
            double err = fabs((double)y[i] - r);
            if (fabs(r) < 0x1p-20 && err <= f->abs_near)
                continue;
            double e = err / ulp_of(r);
            if (e > worst) {
                worst = e;
                at = x[i];
            }
        }
        n = 0;
    }
    CHECK(worst <= f->max_ulp && bad == 0,
          "%s: worst %.2f ulp at x = %.9g (limit %.1f), %zu overflows not inf",
          f->name, worst, (double)at, f->max_ulp, bad);
}

static void specials(const vfun *f)
{
    const float in[] = {INFINITY, -INFINITY, 0.0f, -0.0f, 1e-30f, -1e-30f,
                        88.7f, -86.5f, -87.5f, 200.0f, -200.0f, 0.625f,
                        -0.625f, 0.62499994f, 9.0f, -9.0f};
    const size_t n = sizeof in / sizeof *in;
    float out[sizeof in / sizeof *in];
    f->fn(out, in, n);
    for (size_t i = 0; i < n; i++) {
        double r = f->ref((double)in[i]);
        double err = fabs((double)out[i] - r);
        int ok = fabs(r) > 3.4e38 ? isinf(out[i])
                          : err <= fmax(1e-37, 4 * ulp_of(r));
        CHECK(ok, "%s(%g) = %.9g, want %.9g", f->name, (double)in[i],
              (double)out[i], r);
    }
    float nan_in = NAN, nan_out = 0;
    f->fn(&nan_out, &nan_in, 1);
    CHECK(isnan(nan_out), "%s(NaN) = %g, want NaN", f->name, (double)nan_out);
}

/* Every length to 70, in place and not: each element equals the result of
 * a call on that element alone. */
static void lengths(const vfun *f)
{
    float x[70], y[70], z[70], one;
    int mismatch = 0;
    for (size_t len = 0; len <= 70; len++) {
        for (size_t i = 0; i < len; i++)
            x[i] = z[i] = (float)((int)((i * 37 + len * 11) % 41) - 20) * 0.37f;
        f->fn(y, x, len);
        f->fn(z, z, len);
        for (size_t i = 0; i < len; i++) {
            f->fn(&one, &x[i], 1);
            mismatch += memcmp(&one, &y[i], sizeof one) != 0 ||
                        memcmp(&one, &z[i], sizeof one) != 0;
        }
    }
    CHECK(mismatch == 0, "%s: %d elements depend on length or aliasing",
          f->name, mismatch);
}

/* The AVX-512 and AVX2 variants (both with FMAs) give the same bits on
 * every 1031st float (NaNs left out: their payloads are the hardware's). */
static void fused_agree(const vfun *f)
{
    static float x[CHUNK], y[CHUNK], z[CHUNK];
    size_t n = 0, differ = 0;
    float at = 0;
    for (uint64_t b = 0; b <= 0xFFFFFFFFu; b += 1031) {
        uint32_t u = (uint32_t)b;
        memcpy(&x[n], &u, sizeof u);
        n += !isnan(x[n]);
        if (n == CHUNK || b + 1031 > 0xFFFFFFFFu) {
            vmath_force(VMATH_AVX512);
            f->fn(y, x, n);
            vmath_force(VMATH_AVX2);
            f->fn(z, x, n);
            for (size_t i = 0; i < n; i++)
                if (memcmp(&y[i], &z[i], sizeof y[i]) != 0 && !differ++)
                    at = x[i];
            n = 0;
        }
    }
    vmath_force(VMATH_AUTO);
    CHECK(differ == 0, "%s: AVX-512 and AVX2 differ on %zu inputs (first %a)",
          f->name, differ, (double)at);
}

/* The variants vmath.c builds on this machine, with what each needs of
 * the CPU and whether this one has it (vmath.c's own test of the CPU is
 * vmath_path: a variant forced where it cannot run gives another). */
typedef struct {
    int path;
    const char *name, *needs;
    int has;
} variant;

static size_t built_variants(variant *v)
{
    size_t n = 0;
    v[n++] = (variant){VMATH_PLAIN, "plain", "nothing", 1};
#if defined(__x86_64__) && defined(__GNUC__)
    v[n++] = (variant){VMATH_AVX2, "AVX2", "AVX2, FMA, BMI and BMI2",
                       __builtin_cpu_supports("avx2") &&
                           __builtin_cpu_supports("fma") &&
                           __builtin_cpu_supports("bmi") &&
                           __builtin_cpu_supports("bmi2")};
    v[n++] = (variant){VMATH_AVX512, "AVX-512",
                       "AVX-512 F, BW, CD, DQ and VL, AVX2, FMA and BMI2",
                       __builtin_cpu_supports("avx512f") &&
                           __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512cd") &&
                           __builtin_cpu_supports("avx512dq") &&
                           __builtin_cpu_supports("avx512vl") &&
                           __builtin_cpu_supports("avx2") &&
                           __builtin_cpu_supports("fma") &&
                           __builtin_cpu_supports("bmi2")};
#elif defined(FP_FAST_FMAF)
    v[n++] = (variant){VMATH_FUSED, "fused", "a fast fmaf", 1};
#endif
    return n;
}

void test_vmath(void)
{
    const vfun funs[] = {
        {"exp", vmath_exp, ref_exp, 2.0, 0.0},
        {"sigmoid", vmath_sigmoid, ref_sigmoid, 3.0, 0.0},
        {"tanh", vmath_tanh, ref_tanh, 3.0, 1e-7},
    };
    /* Every variant this CPU can run, each within the bounds. */
    variant v[4];
    size_t nv = built_variants(v);
    int ran = 0;
    for (size_t p = 0; p < nv; p++) {
        vmath_force(v[p].path);
        if (vmath_path() != v[p].path) {
            CHECK(!v[p].has, "the %s variant does not run on a CPU with %s",
                  v[p].name, v[p].needs);
            SKIP("vmath's %s variant: it needs %s, which this CPU lacks",
                 v[p].name, v[p].needs);
            continue;
        }
        ran++;
        for (size_t i = 0; i < sizeof funs / sizeof *funs; i++) {
            sweep(&funs[i]);
            specials(&funs[i]);
            lengths(&funs[i]);
        }
    }
    vmath_force(VMATH_AUTO);
    CHECK(ran >= 1, "no vmath variant ran");
#if defined(__x86_64__) && defined(__GNUC__)
    vmath_force(VMATH_AVX2);
    int avx2 = vmath_path() == VMATH_AVX2;
    vmath_force(VMATH_AVX512);
    int avx512 = vmath_path() == VMATH_AVX512;
    vmath_force(VMATH_AUTO);
    if (!avx2 || !avx512)
        SKIP("vmath's AVX-512 and AVX2 variants bit for bit against each "
             "other: this CPU cannot run %s", avx2 ? "AVX-512" : "AVX2");
    for (size_t i = 0; avx2 && avx512 && i < sizeof funs / sizeof *funs; i++)
        fused_agree(&funs[i]);
#endif
}
