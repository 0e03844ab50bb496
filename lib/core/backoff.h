/*
 * Internal: full-jitter capped exponential backoff and the small PRNG it
 * draws from.
 *
 * The n-th retry (n = 1 for the first) waits a uniformly random number of
 * milliseconds in [0, min(cap_ms, base_ms * 2^(n-1))], both ends included.
 * Large n never overflows: the ceiling saturates at cap_ms.
 *
 * The PRNG is xorshift64* with a splitmix64-scrambled seed: the same seed
 * gives the same sequence on every platform.  Not for cryptography.
 */
#ifndef CMX_CORE_BACKOFF_H
#define CMX_CORE_BACKOFF_H

#include <stdint.h>

typedef struct cmx__rng {
  uint64_t s; /* never 0 once seeded */
} cmx__rng;

/* Any seed, 0 included, gives a valid (non-zero) state. */
void cmx__rng_seed(cmx__rng *rng, uint64_t seed);
/* Next 64 random bits. */
uint64_t cmx__rng_next(cmx__rng *rng);
/* Uniform in [0, n] (both included); n = UINT64_MAX gives any value. */
uint64_t cmx__rng_upto(cmx__rng *rng, uint64_t n);

/* The ceiling min(cap_ms, base_ms * 2^(retry-1)); retry 0 counts as 1. */
uint64_t cmx__backoff_ceiling_ms(unsigned retry, unsigned base_ms,
                                 unsigned cap_ms);
/* A full-jitter delay: cmx__rng_upto(rng, ceiling). */
uint64_t cmx__backoff_ms(unsigned retry, unsigned base_ms, unsigned cap_ms,
                         cmx__rng *rng);

#endif
