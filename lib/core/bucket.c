/* Token bucket on an injected millisecond clock. */
#include "config.h"

#include "core/bucket.h"

#define EPS 1e-9

/* Smallest whole number >= x, for 0 <= x < 2^64 (no libm needed). */
static double ceil_pos(double x)
{
  double i = (double)(uint64_t)x;

  return i < x ? i + 1 : i;
}

static double per_ms(double per_second)
{
  if (!(per_second > 0) || per_second > 1e300)
    return 0; /* unlimited (also for NaN and infinity) */
  return per_second / 1000.0;
}

static void refill(cmx__bucket *b, uint64_t now)
{
  if (now <= b->last)
    return;
  if (b->rate > 0) {
    b->tokens += (double)(now - b->last) * b->rate;
    if (b->tokens > b->burst)
      b->tokens = b->burst;
  }
  b->last = now;
}

void cmx__bucket_init(cmx__bucket *b, double per_second, unsigned burst,
                      uint64_t now)
{
  b->rate = per_ms(per_second);
  b->burst = burst ? (double)burst : 1.0;
  b->tokens = b->burst;
  b->last = now;
}

void cmx__bucket_set(cmx__bucket *b, double per_second, unsigned burst,
                     uint64_t now)
{
  int was_unlimited = !(b->rate > 0);

  refill(b, now);
  b->rate = per_ms(per_second);
  b->burst = burst ? (double)burst : 1.0;
  if (was_unlimited || b->tokens > b->burst)
    b->tokens = b->burst;
  if (b->tokens < 0)
    b->tokens = 0;
}

int cmx__bucket_take(cmx__bucket *b, uint64_t now)
{
  if (!(b->rate > 0))
    return 1;
  refill(b, now);
  if (b->tokens + EPS < 1.0)
    return 0;
  b->tokens -= 1.0;
  if (b->tokens < 0)
    b->tokens = 0; /* absorb the EPS slack */
  return 1;
}

uint64_t cmx__bucket_wait_ms(cmx__bucket *b, uint64_t now)
{
  double ms;

  if (!(b->rate > 0))
    return 0;
  refill(b, now);
  if (b->tokens + EPS >= 1.0)
    return 0;
  /* The first whole ms m at which take() will find a token, with the same
   * expression and slack take() uses. */
  ms = (1.0 - EPS - b->tokens) / b->rate;
  if (!(ms < 1.8e19))
    return UINT64_MAX;
  ms = ceil_pos(ms);
  if (ms < 1)
    ms = 1;
  while (ms > 1 && b->tokens + (ms - 1) * b->rate + EPS >= 1.0)
    ms -= 1;
  while (b->tokens + ms * b->rate + EPS < 1.0)
    ms += 1;
  return (uint64_t)ms;
}
