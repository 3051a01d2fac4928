/*
 * rng.h — the library's random numbers: xoshiro256** (Blackman & Vigna),
 * seeded through splitmix64. Small, fast, and its whole state is four
 * words, which checkpoints save so that a resumed run draws exactly what
 * an uninterrupted one would.
 */
#ifndef RECUR_RNG_H
#define RECUR_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} rng_state;

static inline uint64_t rng_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline void rng_seed(rng_state *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = rng_splitmix64(&seed);
}

static inline uint64_t rng_next(rng_state *r)
{
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5, result = ((x << 7) | (x >> 57)) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [0, 1) with 24 random bits: every value is a float exactly. */
static inline float rng_uniform(rng_state *r)
{
    return (float)(rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

/* Uniform in [0, n) for n >= 1 (Lemire's multiply-shift; bias < n / 2^64). */
static inline uint64_t rng_below(rng_state *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

#endif
