/* Full-jitter exponential backoff and its xorshift64* PRNG. */
#include "config.h"

#include "core/backoff.h"

void cmx__rng_seed(cmx__rng *rng, uint64_t seed)
{
  /* splitmix64 step, so that nearby seeds give unrelated states. */
  uint64_t z = seed + 0x9E3779B97F4A7C15u;

  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  z ^= z >> 31;
  rng->s = z ? z : 0x9E3779B97F4A7C15u;
}

uint64_t cmx__rng_next(cmx__rng *rng)
{
  uint64_t x = rng->s;

  if (!x)
    x = 0x9E3779B97F4A7C15u; /* an unseeded (zeroed) generator still works */
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng->s = x;
  return x * 0x2545F4914F6CDD1Du;
}

uint64_t cmx__rng_upto(cmx__rng *rng, uint64_t n)
{
  uint64_t span, limit, r;

  if (n == UINT64_MAX)
    return cmx__rng_next(rng);
  span = n + 1;
  /* Reject the top partial range so every value is equally likely. */
  limit = UINT64_MAX - (UINT64_MAX % span + 1) % span;
  do
    r = cmx__rng_next(rng);
  while (r > limit);
  return r % span;
}

uint64_t cmx__backoff_ceiling_ms(unsigned retry, unsigned base_ms,
                                 unsigned cap_ms)
{
  unsigned shift = retry ? retry - 1 : 0;
  uint64_t ceil;

  if (!base_ms)
    return 0;
  /* base_ms << 31 still fits in 64 bits; from a shift of 32 on the product
   * is at least 2^32, above any unsigned cap_ms. */
  if (shift >= 32)
    return cap_ms;
  ceil = (uint64_t)base_ms << shift;
  return ceil < cap_ms ? ceil : cap_ms;
}

uint64_t cmx__backoff_ms(unsigned retry, unsigned base_ms, unsigned cap_ms,
                         cmx__rng *rng)
{
  return cmx__rng_upto(rng, cmx__backoff_ceiling_ms(retry, base_ms, cap_ms));
}
