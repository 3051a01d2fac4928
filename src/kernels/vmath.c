/*
 * vmath.c — vectorisable exp, σ and tanh (vmath.h).
 *
 * exp(x) = 2^n · e^r with n = round(x / ln 2) and r = x − n ln 2 (ln 2 in
 * two parts, so r is exact to a float's precision), e^r = 1 + r + r²·P(r)
 * with P the minimax polynomial of Cephes' expf on |r| ≤ ln 2 / 2 (with
 * FMAs all of it in Horner's form, EXP_TAIL), 2^n built in the exponent
 * bits (as 2 · 2^(n−1), so that n = 128 just below the overflow works).
 * The input is clamped to [EXP_LO, EXP_HI]; below, exp is under 2^-124
 * and vmath_exp flushes it to 0; above, it is inf (the clamp keeps NaN:
 * comparisons with NaN fail).
 * tanh: Cephes' odd polynomial below |x| = 0.625, where 1 − 2/(e^{2|x|}+1)
 * would cancel; that formula above it.
 *
 * Everything is straight-line float and integer code on one element, so the
 * loops vectorise; rounding to an integer uses the 1.5·2^23 trick (exact
 * under round-to-nearest, no libm call). No -ffast-math: the order of
 * operations is as written.
 *
 * The element code (vmath_impl.h) is compiled once per instruction set,
 * each multiply-add spelled MADD: on x86-64 for AVX-512 and for AVX2, both
 * with FMAs (fmaf: rounded once, so the two give the same bits; a third
 * fewer instructions than a multiply and an add: σ 40% faster, tanh 34%,
 * docs/PERFORMANCE.md), and for baseline SSE2 with a multiply and an add
 * (a CPU without FMA would otherwise call libm's fmaf, in software, for
 * every one: 50 times slower); each call picks by the CPU. Elsewhere:
 * fmaf where the C library says it is fast (FP_FAST_FMAF, e.g. AArch64),
 * else a multiply and an add. So results agree bit for bit between CPUs
 * with FMA, and differ in the last bits (within the same bounds) on x86
 * CPUs without it — as the products already do there, which run on
 * OpenBLAS instead of the packed kernel. The Makefile builds this file
 * with -fno-thread-jumps: without it, GCC copied σ's tail once per clamp,
 * each copy with its own division, and the vectoriser ran every copy
 * masked.
 */
#include "kernels/vmath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define EXP_HI 88.7228391f /* ln FLT_MAX: exp overflows above */
#define EXP_LO -86.6f      /* 2^(n−1) stays a normal float above */

#define VM_CAT(a, b) a##b
#define VM_CAT2(a, b) VM_CAT(a, b)
#define VM(name) VM_CAT2(name, VM_SUFFIX)

#define VM_SUFFIX _plain
#define VM_TARGET
#define MADD(a, b, c) ((a) * (b) + (c))
#define EXP_TAIL(p, r) ((p) * (r) * (r) + (r) + 1.0f)
#include "kernels/vmath_impl.h"
#undef VM_SUFFIX
#undef VM_TARGET
#undef MADD
#undef EXP_TAIL
#define EXP_TAIL(p, r) fmaf(fmaf(p, r, 1.0f), r, 1.0f)

#if defined(__x86_64__) && defined(__GNUC__)
#define VMATH_X86 1
#define VM_SUFFIX _avx2
#define VM_TARGET __attribute__((target("arch=x86-64-v3")))
#define MADD(a, b, c) fmaf(a, b, c)
#include "kernels/vmath_impl.h"
#undef VM_SUFFIX
#undef VM_TARGET
#define VM_SUFFIX _avx512
#define VM_TARGET __attribute__((target("arch=x86-64-v4")))
#include "kernels/vmath_impl.h"
#undef VM_SUFFIX
#undef VM_TARGET
#undef MADD
#elif defined(FP_FAST_FMAF)
#define VMATH_FUSED 1
#define VM_SUFFIX _fused
#define VM_TARGET
#define MADD(a, b, c) fmaf(a, b, c)
#include "kernels/vmath_impl.h"
#undef VM_SUFFIX
#undef VM_TARGET
#undef MADD
#endif

static int forced = VMATH_AUTO;

void vmath_force(int path)
{
    forced = path;
}

#ifdef VMATH_X86
/* What arch=x86-64-v4 and -v3 assume, feature by feature (the names GCC
 * and clang both know; -v3's F16C, LZCNT and MOVBE come with its BMI2
 * on every such CPU). */
static int x86_level(void)
{
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2"))
        return VMATH_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2"))
        return VMATH_AVX2;
    return VMATH_PLAIN;
}
#endif

int vmath_path(void)
{
#ifdef VMATH_X86
    int best = x86_level();
    return forced != VMATH_AUTO && forced <= best ? forced : best;
#elif defined(VMATH_FUSED)
    return forced == VMATH_PLAIN ? VMATH_PLAIN : VMATH_FUSED;
#else
    return VMATH_PLAIN;
#endif
}

/* Each function: the variant of vmath_path(). */
#ifdef VMATH_X86
#define VMATH_DISPATCH(name, y, x, n)                                         \
    switch (vmath_path()) {                                                   \
    case VMATH_AVX512: name##_avx512(y, x, n); return;                        \
    case VMATH_AVX2: name##_avx2(y, x, n); return;                            \
    default: name##_plain(y, x, n); return;                                   \
    }
#elif defined(VMATH_FUSED)
#define VMATH_DISPATCH(name, y, x, n)                                         \
    if (vmath_path() == VMATH_FUSED)                                          \
        name##_fused(y, x, n);                                                \
    else                                                                      \
        name##_plain(y, x, n);
#else
#define VMATH_DISPATCH(name, y, x, n) name##_plain(y, x, n);
#endif

void vmath_exp(float *y, const float *x, size_t n)
{
    VMATH_DISPATCH(vexp, y, x, n)
}

void vmath_sigmoid(float *y, const float *x, size_t n)
{
    VMATH_DISPATCH(vsigmoid, y, x, n)
}

void vmath_tanh(float *y, const float *x, size_t n)
{
    VMATH_DISPATCH(vtanh, y, x, n)
}
