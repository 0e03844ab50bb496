/*
 * Internal: token bucket on an injected millisecond clock.
 *
 * The bucket holds up to `burst` tokens and refills continuously at `rate`
 * tokens per second; it starts full.  A rate of 0 means unlimited: take()
 * always succeeds and wait_ms() is always 0.  Time is whatever monotonic
 * millisecond clock the caller passes as `now`; a `now` earlier than the
 * last one seen adds nothing (the bucket never refills backwards).
 *
 * Over any interval of T ms starting from a full bucket, at most
 * burst + rate*T/1000 tokens can be taken.  Fractional tokens are kept in a
 * double; comparisons allow 1e-9 of rounding so rates such as 3/s do not
 * lose a token to floating-point noise.
 *
 * The fields are plain so the owner may inspect them (or empty the bucket
 * with `tokens = 0`); change the rate only through cmx__bucket_set.
 */
#ifndef CMX_CORE_BUCKET_H
#define CMX_CORE_BUCKET_H

#include <stdint.h>

typedef struct cmx__bucket {
  double rate;   /* tokens per ms; 0 = unlimited */
  double burst;  /* capacity, >= 1 */
  double tokens; /* current level, 0..burst */
  uint64_t last; /* `now` of the last refill */
} cmx__bucket;

/* Full bucket of `burst` tokens (0 is taken as 1) at `per_second`. */
void cmx__bucket_init(cmx__bucket *b, double per_second, unsigned burst,
                      uint64_t now);
/* Change rate and burst; tokens earned so far are kept, capped at the new
 * burst.  Leaving "unlimited" (rate 0) yields a full bucket. */
void cmx__bucket_set(cmx__bucket *b, double per_second, unsigned burst,
                     uint64_t now);
/* Take one token: 1 if taken, 0 if the bucket is empty (nothing changes). */
int cmx__bucket_take(cmx__bucket *b, uint64_t now);
/* 0 if a token is available now, else the milliseconds (rounded up) until
 * one is: take() at now + wait_ms() succeeds.  UINT64_MAX never happens for
 * a positive rate but is returned for a non-finite wait. */
uint64_t cmx__bucket_wait_ms(cmx__bucket *b, uint64_t now);

#endif
