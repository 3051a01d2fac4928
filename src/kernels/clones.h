/*
 * clones.h — RECUR_CLONES before a function makes GCC (and clang) compile
 * it three times, for AVX-512, AVX2+FMA and baseline x86-64, and pick one
 * by the CPU when the library loads: vector loops without raising the
 * library's baseline. The arithmetic is the same in every clone (no
 * contraction into FMAs under -std=c11; fmaf is exact everywhere), so
 * results do not depend on the clone. Empty elsewhere, and under
 * AddressSanitizer (its interceptors and ifuncs do not mix).
 */
#ifndef RECUR_CLONES_H
#define RECUR_CLONES_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_ADDRESS__)
#define RECUR_CLONES                                                          \
    __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3",          \
                                 "default")))
#else
#define RECUR_CLONES
#endif

#endif
