/*
 * vmath_impl.h — the element code of vmath.c, included once per
 * instruction set. Before including, vmath.c defines
 *   VM(name)   the name with this instruction set's suffix,
 *   VM_TARGET  the function attribute choosing it (or nothing),
 *   MADD(a,b,c) a·b + c: fmaf (rounded once) or a multiply then an add,
 *   EXP_TAIL(p,r) e^r from P(r): 1 + r + r²·P(r), in Horner's form to the
 *               end with FMAs (the last rounding the only one: at most 0.9
 *               ulp), as r²·P(r) + r + 1 without (Horner's would round
 *               twice more: 1.16 ulp).
 * No include guard: it is meant to be included several times.
 */

VM_TARGET static inline float VM(exp_core)(float x)
{
    const float magic = 12582912.0f; /* 1.5 · 2^23 */
    x = x > EXP_HI ? EXP_HI : x;
    x = x < EXP_LO ? EXP_LO : x;
    float t = MADD(x, 1.44269504088896341f, magic);
    float n = t - magic;
    int32_t ti;
    memcpy(&ti, &t, sizeof ti);
    int32_t ni = ti - 0x4B400000;
    float r = MADD(n, -0.693359375f, x);
    r = MADD(n, 2.12194440e-4f, r);
    float p = 1.9875691500e-4f;
    p = MADD(p, r, 1.3981999507e-3f);
    p = MADD(p, r, 8.3334519073e-3f);
    p = MADD(p, r, 4.1665795894e-2f);
    p = MADD(p, r, 1.6666665459e-1f);
    p = MADD(p, r, 5.0000001201e-1f);
    p = EXP_TAIL(p, r);
    uint32_t bits = (uint32_t)(ni + 126) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return (p * 2.0f) * scale;
}

VM_TARGET static void VM(vexp)(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float e = VM(exp_core)(v);
        /* Past the clamp: the true limits. */
        e = v > EXP_HI ? __builtin_inff() : e;
        e = v < EXP_LO ? 0.0f : e;
        y[i] = e;
    }
}

VM_TARGET static void VM(vsigmoid)(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* Far out the clamp gives e ≈ 2^-125 (σ = 1) or e = inf (σ = 0),
         * the true limits in float. */
        float e = VM(exp_core)(-x[i]);
        y[i] = 1.0f / (1.0f + e);
    }
}

VM_TARGET static void VM(vtanh)(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float a = v < 0.0f ? -v : v;
        float z = v * v;
        float s = -5.70498872745e-3f;
        s = MADD(s, z, 2.06390887954e-2f);
        s = MADD(s, z, -5.37397155531e-2f);
        s = MADD(s, z, 1.33314422036e-1f);
        s = MADD(s, z, -3.33332819422e-1f);
        s = MADD(s * z, v, v);
        float e = VM(exp_core)(2.0f * a);
        float b = 1.0f - 2.0f / (e + 1.0f);
        b = v < 0.0f ? -b : b;
        y[i] = a < 0.625f ? s : b;
    }
}
