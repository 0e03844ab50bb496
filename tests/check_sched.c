/* The scheduler's building blocks on a fake clock: token bucket, backoff,
 * Retry-After parsing, retry budget, AIMD rate, latency histogram.  No
 * engine, no network, no sleeping. */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/aimd.h"
#include "core/backoff.h"
#include "core/bucket.h"
#include "core/budget.h"
#include "core/clock.h"
#include "core/hist.h"
#include "core/retry_after.h"

/* ---- token bucket ---------------------------------------------------- */

START_TEST(test_bucket_starts_full)
{
  cmx__bucket b;
  int i;

  cmx__bucket_init(&b, 500, 50, 1000);
  for (i = 0; i < 50; i++)
    ck_assert_int_eq(cmx__bucket_take(&b, 1000), 1);
  ck_assert_int_eq(cmx__bucket_take(&b, 1000), 0);
  /* burst 0 is taken as 1 */
  cmx__bucket_init(&b, 10, 0, 0);
  ck_assert_int_eq(cmx__bucket_take(&b, 0), 1);
  ck_assert_int_eq(cmx__bucket_take(&b, 0), 0);
}
END_TEST

START_TEST(test_bucket_burst_never_exceeded)
{
  cmx__bucket b;
  uint64_t now = 0;
  int round, n;

  cmx__bucket_init(&b, 500, 50, now);
  for (round = 0; round < 5; round++) {
    now += 1000000; /* a long idle time */
    n = 0;
    while (cmx__bucket_take(&b, now))
      n++;
    ck_assert_int_eq(n, 50);
    ck_assert(b.tokens <= b.burst);
  }
}
END_TEST

static long greedy_takes(double rate, unsigned burst, uint64_t ms)
{
  cmx__bucket b;
  uint64_t t;
  long n = 0;

  cmx__bucket_init(&b, rate, burst, 0);
  for (t = 0; t <= ms; t++)
    while (cmx__bucket_take(&b, t)) {
      n++;
      ck_assert(n < 1000000);
    }
  return n;
}

START_TEST(test_bucket_rate_exact)
{
  long n;

  n = greedy_takes(500, 1, 10000);
  ck_assert_msg(n >= 5000 + 1 - 1 && n <= 5000 + 1 + 1, "burst 1: %ld", n);
  n = greedy_takes(500, 50, 10000);
  ck_assert_msg(n >= 5000 + 50 - 1 && n <= 5000 + 50 + 1, "burst 50: %ld", n);
  /* a rate that is not a whole number of tokens per ms, nor exact in
   * binary: 3/s over 10 s */
  n = greedy_takes(3, 1, 10000);
  ck_assert_msg(n >= 30 + 1 - 1 && n <= 30 + 1 + 1, "3/s: %ld", n);
  n = greedy_takes(7, 5, 100000);
  ck_assert_msg(n >= 700 + 5 - 1 && n <= 700 + 5 + 1, "7/s: %ld", n);
}
END_TEST

START_TEST(test_bucket_wait_exact)
{
  cmx__bucket b;
  uint64_t now, w;
  int i;

  cmx__bucket_init(&b, 500, 1, 0);
  ck_assert_uint_eq(cmx__bucket_wait_ms(&b, 0), 0);
  ck_assert_int_eq(cmx__bucket_take(&b, 0), 1);
  ck_assert_uint_eq(cmx__bucket_wait_ms(&b, 0), 2);
  ck_assert_uint_eq(cmx__bucket_wait_ms(&b, 1), 1);
  ck_assert_int_eq(cmx__bucket_take(&b, 1), 0);
  ck_assert_int_eq(cmx__bucket_take(&b, 2), 1);

  cmx__bucket_init(&b, 3, 1, 0);
  ck_assert_int_eq(cmx__bucket_take(&b, 0), 1);
  ck_assert_uint_eq(cmx__bucket_wait_ms(&b, 0), 334); /* ceil(1000/3) */

  /* For awkward rates: wait_ms is the exact first ms a take succeeds. */
  for (i = 0; i < 4; i++) {
    static const double rates[] = {7, 3, 0.5, 333.3};
    cmx__bucket_init(&b, rates[i], 1, 5);
    now = 5;
    for (int k = 0; k < 300; k++) {
      while (cmx__bucket_take(&b, now))
        ;
      w = cmx__bucket_wait_ms(&b, now);
      ck_assert_uint_gt(w, 0);
      if (w > 1) {
        ck_assert_int_eq(cmx__bucket_take(&b, now + w - 1), 0);
        ck_assert_uint_eq(cmx__bucket_wait_ms(&b, now + w - 1), 1);
      }
      now += w;
      ck_assert_int_eq(cmx__bucket_take(&b, now), 1);
    }
  }
}
END_TEST

START_TEST(test_bucket_unlimited)
{
  cmx__bucket b;
  int i;

  cmx__bucket_init(&b, 0, 1, 0);
  for (i = 0; i < 100000; i++)
    ck_assert_int_eq(cmx__bucket_take(&b, 0), 1);
  ck_assert_uint_eq(cmx__bucket_wait_ms(&b, 0), 0);
  /* leaving unlimited gives a full bucket */
  cmx__bucket_set(&b, 10, 4, 0);
  for (i = 0; i < 4; i++)
    ck_assert_int_eq(cmx__bucket_take(&b, 0), 1);
  ck_assert_int_eq(cmx__bucket_take(&b, 0), 0);
  ck_assert_uint_eq(cmx__bucket_wait_ms(&b, 0), 100);
}
END_TEST

START_TEST(test_bucket_set_keeps_tokens)
{
  cmx__bucket b;
  int i;

  cmx__bucket_init(&b, 10, 10, 0);
  for (i = 0; i < 4; i++)
    ck_assert_int_eq(cmx__bucket_take(&b, 0), 1);
  cmx__bucket_set(&b, 20, 10, 0);
  for (i = 0; i < 6; i++)
    ck_assert_int_eq(cmx__bucket_take(&b, 0), 1);
  ck_assert_int_eq(cmx__bucket_take(&b, 0), 0);
  ck_assert_uint_eq(cmx__bucket_wait_ms(&b, 0), 50); /* the new rate */

  /* a smaller burst caps what is kept */
  cmx__bucket_init(&b, 10, 10, 0);
  cmx__bucket_set(&b, 10, 3, 0);
  for (i = 0; i < 3; i++)
    ck_assert_int_eq(cmx__bucket_take(&b, 0), 1);
  ck_assert_int_eq(cmx__bucket_take(&b, 0), 0);

  /* time before the change is credited at the old rate */
  cmx__bucket_init(&b, 1, 5, 0);
  for (i = 0; i < 5; i++)
    ck_assert_int_eq(cmx__bucket_take(&b, 0), 1);
  cmx__bucket_set(&b, 1000, 5, 1000);
  ck_assert_int_eq(cmx__bucket_take(&b, 1000), 1);
  ck_assert_int_eq(cmx__bucket_take(&b, 1000), 0);
  ck_assert_int_eq(cmx__bucket_take(&b, 1001), 1);
}
END_TEST

/* Random arrivals: whatever the pattern, takes over [0, T] never exceed
 * burst + rate*T, and a greedy taker gets within one token of it. */
START_TEST(test_bucket_bound_random)
{
  static const double rates[] = {1, 3, 7.5, 50, 333.3, 1000, 4000};
  cmx__rng rng;
  unsigned i;

  cmx__rng_seed(&rng, 2024);
  for (i = 0; i < sizeof rates / sizeof rates[0]; i++) {
    cmx__bucket b;
    unsigned burst = 1 + (unsigned)cmx__rng_upto(&rng, 20);
    uint64_t t = 0, end = 30000;
    long taken = 0, greedy = 0;
    double bound = burst + rates[i] * (double)end / 1000;

    cmx__bucket_init(&b, rates[i], burst, 0);
    while (t <= end) {
      unsigned tries = (unsigned)cmx__rng_upto(&rng, 3);
      while (tries--)
        taken += cmx__bucket_take(&b, t);
      t += cmx__rng_upto(&rng, 40);
    }
    ck_assert_msg(taken <= bound + 1e-6, "rate %g: %ld > %g", rates[i], taken,
                  bound);
    greedy = greedy_takes(rates[i], burst, end);
    ck_assert_msg(greedy <= bound + 1e-6 && greedy >= bound - 1,
                  "rate %g burst %u: greedy %ld, bound %g", rates[i], burst,
                  greedy, bound);
  }
}
END_TEST

START_TEST(test_bucket_clock_backwards)
{
  cmx__bucket b;

  cmx__bucket_init(&b, 1, 1, 1000);
  ck_assert_int_eq(cmx__bucket_take(&b, 1000), 1);
  ck_assert_int_eq(cmx__bucket_take(&b, 10), 0); /* no refill backwards */
  ck_assert_uint_eq(cmx__bucket_wait_ms(&b, 1000), 1000);
  ck_assert_int_eq(cmx__bucket_take(&b, 2000), 1);
}
END_TEST

/* ---- backoff --------------------------------------------------------- */

START_TEST(test_backoff_ceiling)
{
  ck_assert_uint_eq(cmx__backoff_ceiling_ms(1, 100, 20000), 100);
  ck_assert_uint_eq(cmx__backoff_ceiling_ms(0, 100, 20000), 100);
  ck_assert_uint_eq(cmx__backoff_ceiling_ms(2, 100, 20000), 200);
  ck_assert_uint_eq(cmx__backoff_ceiling_ms(8, 100, 20000), 12800);
  ck_assert_uint_eq(cmx__backoff_ceiling_ms(9, 100, 20000), 20000);
  ck_assert_uint_eq(cmx__backoff_ceiling_ms(33, 1, UINT_MAX), UINT_MAX);
  ck_assert_uint_eq(cmx__backoff_ceiling_ms(32, 1, UINT_MAX), 1u << 31);
  ck_assert_uint_eq(cmx__backoff_ceiling_ms(64, 100, 20000), 20000);
  ck_assert_uint_eq(cmx__backoff_ceiling_ms(65, UINT_MAX, UINT_MAX), UINT_MAX);
  ck_assert_uint_eq(cmx__backoff_ceiling_ms(UINT_MAX, 100, 20000), 20000);
  ck_assert_uint_eq(cmx__backoff_ceiling_ms(5, 0, 20000), 0);
  ck_assert_uint_eq(cmx__backoff_ceiling_ms(5, 100, 0), 0);
}
END_TEST

START_TEST(test_backoff_bounded)
{
  cmx__rng rng;
  unsigned retry;
  int i;

  cmx__rng_seed(&rng, 42);
  for (retry = 1; retry <= 70; retry++) {
    uint64_t ceil = cmx__backoff_ceiling_ms(retry, 100, 20000);
    uint64_t top = 0;
    for (i = 0; i < 2000; i++) {
      uint64_t d = cmx__backoff_ms(retry, 100, 20000, &rng);
      ck_assert_uint_le(d, ceil);
      if (d > top)
        top = d;
    }
    ck_assert_uint_ge(top, ceil / 2); /* it does spread out */
  }
  ck_assert_uint_le(cmx__backoff_ms(64, 100, 20000, &rng), 20000);
  ck_assert_uint_le(cmx__backoff_ms(UINT_MAX, UINT_MAX, UINT_MAX, &rng),
                    UINT_MAX);
  ck_assert_uint_eq(cmx__backoff_ms(3, 0, 1000, &rng), 0);
}
END_TEST

START_TEST(test_backoff_deterministic)
{
  cmx__rng a, b, c, z;
  int i, differ = 0;

  cmx__rng_seed(&a, 7);
  cmx__rng_seed(&b, 7);
  cmx__rng_seed(&c, 8);
  for (i = 0; i < 1000; i++) {
    uint64_t x = cmx__backoff_ms(5, 100, 20000, &a);
    ck_assert_uint_eq(x, cmx__backoff_ms(5, 100, 20000, &b));
    if (x != cmx__backoff_ms(5, 100, 20000, &c))
      differ++;
  }
  ck_assert_int_gt(differ, 900);
  /* seed 0 and a zeroed state are still usable */
  cmx__rng_seed(&z, 0);
  ck_assert_uint_ne(z.s, 0);
  ck_assert_uint_ne(cmx__rng_next(&z), cmx__rng_next(&z));
  memset(&z, 0, sizeof z);
  ck_assert_uint_ne(cmx__rng_next(&z), 0);
}
END_TEST

START_TEST(test_backoff_mean)
{
  cmx__rng rng;
  uint64_t sum = 0, lo = UINT64_MAX, hi = 0;
  int i, n = 100000;

  cmx__rng_seed(&rng, 12345);
  for (i = 0; i < n; i++) {
    uint64_t d = cmx__backoff_ms(4, 125, 20000, &rng); /* ceiling 1000 */
    sum += d;
    if (d < lo)
      lo = d;
    if (d > hi)
      hi = d;
  }
  /* uniform on [0, 1000]: mean 500, sd of the mean about 0.9 */
  ck_assert_msg(sum / (uint64_t)n >= 490 && sum / (uint64_t)n <= 510,
                "mean %llu", (unsigned long long)(sum / (uint64_t)n));
  ck_assert_uint_eq(lo, 0); /* both ends are reachable */
  ck_assert_uint_eq(hi, 1000);
  for (i = 0; i < 100; i++) {
    ck_assert_uint_eq(cmx__rng_upto(&rng, 0), 0);
    (void)cmx__rng_upto(&rng, UINT64_MAX);
  }
}
END_TEST

/* ---- Retry-After / ratelimit-reset ---------------------------------- */

/* 1994-11-06 08:49:37 UTC */
#define T1994 INT64_C(784111777)

static uint64_t ra_ok(const char *v, int64_t now)
{
  uint64_t ms = 777;

  ck_assert_msg(cmx__retry_after_parse(v, now, &ms) == 0, "rejected '%s'", v);
  return ms;
}

static void ra_bad(const char *v)
{
  uint64_t ms = 777;

  ck_assert_msg(cmx__retry_after_parse(v, T1994, &ms) == -1, "accepted '%s'",
                v ? v : "(null)");
  ck_assert_uint_eq(ms, 777); /* untouched */
}

START_TEST(test_retry_after_seconds)
{
  ck_assert_uint_eq(ra_ok("120", 0), 120000);
  ck_assert_uint_eq(ra_ok("0", 0), 0);
  ck_assert_uint_eq(ra_ok(" 5 ", 0), 5000);
  ck_assert_uint_eq(ra_ok("\t7\t", 0), 7000);
  ck_assert_uint_eq(ra_ok("007", 0), 7000);
  ck_assert_uint_eq(ra_ok("99999999999999999999999999", 0), UINT64_MAX);
  ra_bad("-1");
  ra_bad("abc");
  ra_bad("");
  ra_bad("   ");
  ra_bad(NULL);
  ra_bad("1.5");
  ra_bad("12a");
  ra_bad("+5");
  ra_bad("5 5");
}
END_TEST

START_TEST(test_retry_after_dates)
{
  ck_assert_int_eq(cmx__days_from_civil(1970, 1, 1), 0);
  ck_assert_int_eq(cmx__days_from_civil(2000, 3, 1), 11017);
  ck_assert_int_eq(cmx__days_from_civil(1969, 12, 31), -1);
  ck_assert_int_eq(cmx__days_from_civil(1994, 11, 6) * 86400 + 8 * 3600 +
                       49 * 60 + 37,
                   T1994);

  /* the three forms, 60 s in the future */
  ck_assert_uint_eq(ra_ok("Sun, 06 Nov 1994 08:49:37 GMT", T1994 - 60), 60000);
  ck_assert_uint_eq(ra_ok("  Sun, 06 Nov 1994 08:49:37 GMT ", T1994 - 60),
                    60000);
  ck_assert_uint_eq(ra_ok("Sunday, 06-Nov-94 08:49:37 GMT", T1994 - 60),
                    60000);
  ck_assert_uint_eq(ra_ok("Sun Nov  6 08:49:37 1994", T1994 - 60), 60000);
  ck_assert_uint_eq(ra_ok("Sun Nov 16 08:49:37 1994", T1994), 864000000);
  /* now, and in the past: no wait */
  ck_assert_uint_eq(ra_ok("Sun, 06 Nov 1994 08:49:37 GMT", T1994), 0);
  ck_assert_uint_eq(ra_ok("Sun, 06 Nov 1994 08:49:37 GMT", T1994 + 3600), 0);
  ck_assert_uint_eq(ra_ok("Sunday, 06-Nov-94 08:49:37 GMT", T1994 + 1), 0);

  /* a 2026 "now" */
  {
    int64_t now = cmx__days_from_civil(2026, 11, 23) * 86400 + 3600;
    int64_t y2030 = cmx__days_from_civil(2030, 1, 1) * 86400;
    ck_assert_uint_eq(ra_ok("Tue, 01 Jan 2030 00:00:00 GMT", now),
                      (uint64_t)(y2030 - now) * 1000);
    /* two-digit years: 30 -> 2030; 77 -> 1977 (2077 is > 50 years on) */
    ck_assert_uint_eq(ra_ok("Tuesday, 01-Jan-30 00:00:00 GMT", now),
                      (uint64_t)(y2030 - now) * 1000);
    ck_assert_uint_eq(ra_ok("Saturday, 01-Jan-77 00:00:00 GMT", now), 0);
    ck_assert_uint_eq(ra_ok("Mon, 23 Nov 2026 01:00:05 GMT", now), 5000);
  }

  /* leap years */
  ck_assert_uint_eq(ra_ok("Thu, 29 Feb 2024 00:00:00 GMT", 0) / 1000,
                    (uint64_t)cmx__days_from_civil(2024, 2, 29) * 86400);
  ck_assert_uint_eq(ra_ok("Tue, 29 Feb 2000 00:00:00 GMT", 0) / 1000,
                    (uint64_t)cmx__days_from_civil(2000, 2, 29) * 86400);
  ra_bad("Wed, 29 Feb 2023 00:00:00 GMT");
  ra_bad("Thu, 29 Feb 1900 00:00:00 GMT");

  /* malformed */
  ra_bad("Sun, 31 Nov 1994 08:49:37 GMT");
  ra_bad("Sun, 00 Nov 1994 08:49:37 GMT");
  ra_bad("Sun, 06 Nov 1994 24:00:00 GMT");
  ra_bad("Sun, 06 Nov 1994 08:60:00 GMT");
  ra_bad("Sun, 06 Foo 1994 08:49:37 GMT");
  ra_bad("Sun, 06 Nov 1994 08:49:37");
  ra_bad("Sun, 06 Nov 1994 08:49:37 UTC");
  ra_bad("Sun, 06 Nov 1994 08:49:37 GMT x");
  ra_bad("Sun, 6 Nov 1994 08:49:37 GMT");
  ra_bad("Sun 06 Nov 1994 08:49:37 GMT");
  ra_bad("Funday, 06-Nov-94 08:49:37 GMT");
  ra_bad("Sun Nov 6 08:49:37 1994");
  ra_bad("Sun, 06 Nov 94 08:49:37 GMT");
}
END_TEST

static uint64_t rr_ok(const char *v)
{
  uint64_t ms = 777;

  ck_assert_msg(cmx__ratelimit_reset_parse(v, &ms) == 0, "rejected '%s'", v);
  return ms;
}

static void rr_bad(const char *v)
{
  uint64_t ms = 777;

  ck_assert_msg(cmx__ratelimit_reset_parse(v, &ms) == -1, "accepted '%s'",
                v ? v : "(null)");
  ck_assert_uint_eq(ms, 777);
}

START_TEST(test_ratelimit_reset)
{
  ck_assert_uint_eq(rr_ok("1.5"), 1500);
  ck_assert_uint_eq(rr_ok("30"), 30000);
  ck_assert_uint_eq(rr_ok("0"), 0);
  ck_assert_uint_eq(rr_ok("0.25"), 250);
  ck_assert_uint_eq(rr_ok("0.001"), 1);
  ck_assert_uint_eq(rr_ok("0.0001"), 1); /* rounded up */
  ck_assert_uint_eq(rr_ok("1.0000"), 1000);
  ck_assert_uint_eq(rr_ok(" 2 "), 2000);
  ck_assert_uint_eq(rr_ok("99999999999999999999999"), UINT64_MAX);
  {
    uint64_t ms = 777;
    int64_t now = INT64_C(1795000000);
    ck_assert_int_eq(cmx__ratelimit_reset_any_parse("30", now, &ms), 0);
    ck_assert_uint_eq(ms, 30000);
    ck_assert_int_eq(cmx__ratelimit_reset_any_parse("1795000012", now, &ms),
                     0);
    ck_assert_uint_eq(ms, 12000);
    ck_assert_int_eq(cmx__ratelimit_reset_any_parse("1795000000.5", now, &ms),
                     0);
    ck_assert_uint_eq(ms, 500);
    ck_assert_int_eq(cmx__ratelimit_reset_any_parse("1794999000", now, &ms),
                     0);
    ck_assert_uint_eq(ms, 0);
    ms = 777;
    ck_assert_int_eq(cmx__ratelimit_reset_any_parse("x", now, &ms), -1);
    ck_assert_uint_eq(ms, 777);
  }
  rr_bad("-1");
  rr_bad("1.");
  rr_bad(".5");
  rr_bad("abc");
  rr_bad("1.5s");
  rr_bad("1.2.3");
  rr_bad("");
  rr_bad(NULL);
}
END_TEST

/* ---- retry budget ---------------------------------------------------- */

START_TEST(test_budget_exact)
{
  cmx__budget b;
  int i, n = 0;

  cmx__budget_init(&b, 20, 10);
  for (i = 0; i < 1000; i++)
    cmx__budget_deposit(&b);
  while (cmx__budget_withdraw(&b))
    n++;
  ck_assert_int_eq(n, 210);
  ck_assert_int_eq(cmx__budget_withdraw(&b), 0);
  ck_assert_uint_eq(b.withdrawn, 210);
  ck_assert_uint_eq(b.denied, 2);

  /* withdrawn greedily after every deposit: the same total */
  cmx__budget_init(&b, 20, 10);
  n = 0;
  for (i = 0; i < 1000; i++) {
    cmx__budget_deposit(&b);
    while (cmx__budget_withdraw(&b))
      n++;
    ck_assert_int_le(n, 10 + 20 * (i + 1) / 100);
  }
  ck_assert_int_eq(n, 210);
  ck_assert_int_eq(cmx__budget_withdraw(&b), 0);
  ck_assert_uint_eq(cmx__budget_available(&b), 0);
}
END_TEST

START_TEST(test_budget_bound_random)
{
  static const unsigned pct[] = {0, 1, 7, 20, 33, 100, 250};
  cmx__rng rng;
  unsigned k;

  cmx__rng_seed(&rng, 99);
  for (k = 0; k < sizeof pct / sizeof pct[0]; k++) {
    cmx__budget b;
    uint64_t first = 0, retries = 0;
    int i;
    cmx__budget_init(&b, pct[k], 3);
    for (i = 0; i < 20000; i++) {
      if (cmx__rng_next(&rng) & 1) {
        cmx__budget_deposit(&b);
        first++;
      } else if (cmx__budget_withdraw(&b)) {
        retries++;
      }
      ck_assert_uint_le(retries, 3 + pct[k] * first / 100);
    }
  }
}
END_TEST

START_TEST(test_budget_max)
{
  cmx__budget b;
  int i, n = 0;

  cmx__budget_init(&b, 0, 0);
  ck_assert_int_eq(cmx__budget_withdraw(&b), 0);

  cmx__budget_init(&b, 20, 10);
  cmx__budget_set_max(&b, 15);
  for (i = 0; i < 1000; i++)
    cmx__budget_deposit(&b);
  while (cmx__budget_withdraw(&b))
    n++;
  ck_assert_int_eq(n, 15);
  cmx__budget_set_max(&b, 0);
  for (i = 0; i < 10; i++)
    cmx__budget_deposit(&b);
  ck_assert_uint_eq(cmx__budget_available(&b), 2);
}
END_TEST

/* ---- AIMD ------------------------------------------------------------ */

START_TEST(test_aimd_halves_once_per_window)
{
  cmx__aimd a;

  cmx__aimd_init(&a, 100);
  ck_assert_double_eq(a.current, 100);
  ck_assert_double_eq(cmx__aimd_on_429(&a, 0), 50);
  ck_assert_double_eq(cmx__aimd_on_429(&a, 1), 50);
  ck_assert_double_eq(cmx__aimd_on_429(&a, 500), 50);
  ck_assert_double_eq(cmx__aimd_on_429(&a, 999), 50);
  ck_assert_double_eq(cmx__aimd_on_429(&a, 1000), 25);
  ck_assert_double_eq(cmx__aimd_on_429(&a, 1999), 25);
  ck_assert_double_eq(cmx__aimd_on_429(&a, 5000), 12.5);
  ck_assert_uint_eq(a.cuts, 3);
}
END_TEST

START_TEST(test_aimd_floor)
{
  cmx__aimd a;
  uint64_t t;

  cmx__aimd_init(&a, 100); /* floor 100/64 */
  for (t = 0; t < 20000; t += 1000)
    cmx__aimd_on_429(&a, t);
  ck_assert_double_eq(a.current, 100.0 / 64);

  cmx__aimd_init(&a, 10); /* floor 0.5/s */
  for (t = 0; t < 20000; t += 1000)
    cmx__aimd_on_429(&a, t);
  ck_assert_double_eq(a.current, 0.5);

  cmx__aimd_init(&a, 0.2); /* below 0.5/s already: stays */
  ck_assert_double_eq(cmx__aimd_on_429(&a, 0), 0.2);

  cmx__aimd_init(&a, 0); /* unlimited */
  ck_assert_double_eq(cmx__aimd_on_429(&a, 0), 0);
  ck_assert_double_eq(cmx__aimd_on_success(&a, 5000), 0);
}
END_TEST

START_TEST(test_aimd_recovery)
{
  cmx__aimd a;
  uint64_t t;
  int i, steps;

  /* held for 10 s after a cut, whatever the successes */
  cmx__aimd_init(&a, 100);
  cmx__aimd_on_429(&a, 0);
  for (i = 1; i <= 1000; i++)
    ck_assert_double_eq(cmx__aimd_on_success(&a, (uint64_t)i * 9), 50);
  /* then +5/s per step: 10 successes and 1000 ms since the last change */
  ck_assert_double_eq(cmx__aimd_on_success(&a, 10000), 55);
  for (i = 1; i <= 20; i++)
    ck_assert_double_eq(cmx__aimd_on_success(&a, 10000 + (uint64_t)i), 55);
  ck_assert_double_eq(cmx__aimd_on_success(&a, 10999), 55);
  ck_assert_double_eq(cmx__aimd_on_success(&a, 11000), 60);
  /* not by time alone: 10 successes are needed */
  for (i = 1; i <= 9; i++)
    ck_assert_double_eq(cmx__aimd_on_success(&a, 50000), 60);
  ck_assert_double_eq(cmx__aimd_on_success(&a, 50000), 65);

  /* a cut resets the success count and the hold */
  cmx__aimd_init(&a, 100);
  cmx__aimd_on_429(&a, 0);
  for (i = 0; i < 9; i++)
    cmx__aimd_on_success(&a, 1);
  ck_assert_double_eq(cmx__aimd_on_429(&a, 1500), 25);
  for (i = 0; i < 50; i++)
    ck_assert_double_eq(cmx__aimd_on_success(&a, 11000), 25);
  ck_assert_double_eq(cmx__aimd_on_success(&a, 11500), 30);

  /* up to configured, never past it; from the floor in 20 steps */
  cmx__aimd_init(&a, 100);
  for (t = 0; t < 20000; t += 1000)
    cmx__aimd_on_429(&a, t);
  ck_assert_double_eq(a.current, a.floor);
  steps = 0;
  t = 20000;
  while (a.current < 100) {
    double before = a.current;
    cmx__aimd_on_success(&a, t);
    if (a.current > before)
      steps++;
    t += 50;
    ck_assert_int_lt(steps, 100);
  }
  ck_assert_int_eq(steps, 20);
  for (i = 0; i < 100; i++)
    ck_assert_double_eq(cmx__aimd_on_success(&a, t + 10000 * (uint64_t)i),
                        100);
}
END_TEST

/* ---- histogram ------------------------------------------------------- */

START_TEST(test_hist_layout)
{
  unsigned i;
  uint64_t v;
  int bit;

  ck_assert_uint_le(sizeof(cmx__hist), 8192);
  ck_assert_uint_eq(cmx__hist_lower(0), 0);
  for (i = 0; i + 1 < CMX__HIST_BUCKETS; i++) {
    uint64_t lo = cmx__hist_lower(i), up = cmx__hist_upper(i);
    ck_assert_uint_eq(cmx__hist_lower(i + 1), up + 1); /* contiguous */
    ck_assert_uint_eq(cmx__hist_index(lo), i);
    ck_assert_uint_eq(cmx__hist_index(up), i);
    /* width at most lower/32: the stated relative error */
    if (i >= CMX__HIST_SUB)
      ck_assert_uint_le((up - lo + 1) * 32, lo);
  }
  for (v = 0; v < 200000; v++) {
    unsigned k = cmx__hist_index(v);
    ck_assert(cmx__hist_lower(k) <= v && v <= cmx__hist_upper(k));
  }
  for (bit = 0; bit < 64; bit++) {
    v = (uint64_t)1 << bit;
    ck_assert_uint_lt(cmx__hist_index(v), CMX__HIST_BUCKETS);
    ck_assert_uint_lt(cmx__hist_index(v - 1), CMX__HIST_BUCKETS);
    ck_assert_uint_le(cmx__hist_index(v - 1), cmx__hist_index(v));
  }
  ck_assert_uint_eq(cmx__hist_index(UINT64_MAX), CMX__HIST_BUCKETS - 1);
  ck_assert_uint_eq(cmx__hist_index(((uint64_t)1 << 40) - 1),
                    CMX__HIST_BUCKETS - 1);
}
END_TEST

START_TEST(test_hist_uniform)
{
  static const double qs[] = {0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 0.9999};
  cmx__hist *h = malloc(sizeof *h);
  uint64_t v;
  unsigned i;

  ck_assert_ptr_nonnull(h);
  cmx__hist_init(h);
  for (v = 1; v <= 100000; v++)
    cmx__hist_record(h, v);
  ck_assert_uint_eq(h->count, 100000);
  ck_assert_uint_eq(h->min, 1);
  ck_assert_uint_eq(h->max, 100000);
  ck_assert_uint_eq(h->sum, (uint64_t)100000 * 100001 / 2);
  for (i = 0; i < sizeof qs / sizeof qs[0]; i++) {
    uint64_t truth = (uint64_t)(qs[i] * 100000 + 0.5); /* rank = value */
    uint64_t got = cmx__hist_quantile(h, qs[i]);
    ck_assert_msg(got >= truth && (got - truth) * 32 <= truth,
                  "q %g: %llu vs %llu", qs[i], (unsigned long long)got,
                  (unsigned long long)truth);
  }
  ck_assert_uint_eq(cmx__hist_quantile(h, 0), 1);
  ck_assert_uint_eq(cmx__hist_quantile(h, 1), 100000);
  ck_assert_uint_eq(cmx__hist_quantile(h, 0.99999), 100000); /* clamped */
  free(h);
}
END_TEST

START_TEST(test_hist_small_exact)
{
  cmx__hist h;
  uint64_t v;

  cmx__hist_init(&h);
  for (v = 0; v < 32; v++)
    cmx__hist_record(&h, v);
  ck_assert_uint_eq(cmx__hist_quantile(&h, 0.5), 15);
  ck_assert_uint_eq(cmx__hist_quantile(&h, 1.0 / 32), 0);
  ck_assert_uint_eq(cmx__hist_quantile(&h, 0.9), 28);
  /* one huge sample: clamped to max, not the bucket edge */
  cmx__hist_init(&h);
  cmx__hist_record(&h, (uint64_t)1 << 50);
  ck_assert_uint_eq(cmx__hist_quantile(&h, 0.5), (uint64_t)1 << 50);
  cmx__hist_record(&h, 1000);
  ck_assert_uint_eq(cmx__hist_quantile(&h, 0.5), 1007); /* [992, 1007] */
}
END_TEST

START_TEST(test_hist_merge)
{
  cmx__hist *all = malloc(sizeof *all), *odd = malloc(sizeof *odd),
            *even = malloc(sizeof *even), *empty = malloc(sizeof *empty);
  uint64_t v;

  ck_assert(all && odd && even && empty);
  cmx__hist_init(all);
  cmx__hist_init(odd);
  cmx__hist_init(even);
  cmx__hist_init(empty);
  for (v = 1; v <= 50000; v++) {
    uint64_t x = v * 37 % 1000003;
    cmx__hist_record(all, x);
    cmx__hist_record(v & 1 ? odd : even, x);
  }
  cmx__hist_merge(odd, even);
  ck_assert_int_eq(memcmp(all, odd, sizeof *all), 0);
  cmx__hist_merge(odd, empty); /* no change */
  ck_assert_int_eq(memcmp(all, odd, sizeof *all), 0);
  cmx__hist_merge(empty, all); /* into an empty one: a copy */
  ck_assert_int_eq(memcmp(all, empty, sizeof *all), 0);
  free(all);
  free(odd);
  free(even);
  free(empty);
}
END_TEST

static int64_t jget(struct json_object *o, const char *key)
{
  struct json_object *v;

  ck_assert_msg(json_object_object_get_ex(o, key, &v), "no key %s", key);
  ck_assert(json_object_is_type(v, json_type_int));
  return json_object_get_int64(v);
}

START_TEST(test_hist_json)
{
  static const char *const keys[] = {"count",  "min_us", "mean_us", "p50_us",
                                     "p90_us", "p99_us", "p999_us", "max_us"};
  cmx__hist h;
  struct json_object *o;
  unsigned i;
  uint64_t v;

  cmx__hist_init(&h);
  ck_assert_uint_eq(cmx__hist_quantile(&h, 0.5), 0);
  ck_assert_double_eq(cmx__hist_mean(&h), 0);
  o = cmx__hist_json(&h);
  ck_assert_ptr_nonnull(o);
  for (i = 0; i < 8; i++)
    ck_assert_int_eq(jget(o, keys[i]), 0);
  ck_assert_int_eq(json_object_object_length(o), 8);
  json_object_put(o);

  for (v = 1; v <= 1000; v++)
    cmx__hist_record(&h, v * 100);
  o = cmx__hist_json(&h);
  ck_assert_ptr_nonnull(o);
  ck_assert_int_eq(jget(o, "count"), 1000);
  ck_assert_int_eq(jget(o, "min_us"), 100);
  ck_assert_int_eq(jget(o, "max_us"), 100000);
  ck_assert_int_eq(jget(o, "mean_us"), 50050);
  ck_assert_int_ge(jget(o, "p50_us"), 50000);
  ck_assert_int_le(jget(o, "p50_us"), 50000 + 50000 / 32);
  ck_assert_int_ge(jget(o, "p90_us"), 90000);
  ck_assert_int_ge(jget(o, "p99_us"), 99000);
  ck_assert_int_ge(jget(o, "p999_us"), 99900);
  ck_assert_int_le(jget(o, "p999_us"), 100000);
  json_object_put(o);
}
END_TEST

/* ---- clock ----------------------------------------------------------- */

START_TEST(test_clock)
{
  uint64_t a = cmx__clock_mono_ms(), au = cmx__clock_mono_us();
  uint64_t b = cmx__clock_mono_ms(), bu = cmx__clock_mono_us();

  ck_assert_uint_ge(b, a);
  ck_assert_uint_ge(bu, au);
  ck_assert_uint_ge(bu / 1000, a);
  ck_assert_int_gt(cmx__clock_unix(), INT64_C(1600000000));
}
END_TEST

static Suite *sched_suite(void)
{
  Suite *s = suite_create("sched");
  TCase *tc;

  tc = tcase_create("bucket");
  tcase_add_test(tc, test_bucket_starts_full);
  tcase_add_test(tc, test_bucket_burst_never_exceeded);
  tcase_add_test(tc, test_bucket_rate_exact);
  tcase_add_test(tc, test_bucket_wait_exact);
  tcase_add_test(tc, test_bucket_unlimited);
  tcase_add_test(tc, test_bucket_set_keeps_tokens);
  tcase_add_test(tc, test_bucket_bound_random);
  tcase_add_test(tc, test_bucket_clock_backwards);
  suite_add_tcase(s, tc);

  tc = tcase_create("backoff");
  tcase_add_test(tc, test_backoff_ceiling);
  tcase_add_test(tc, test_backoff_bounded);
  tcase_add_test(tc, test_backoff_deterministic);
  tcase_add_test(tc, test_backoff_mean);
  suite_add_tcase(s, tc);

  tc = tcase_create("retry_after");
  tcase_add_test(tc, test_retry_after_seconds);
  tcase_add_test(tc, test_retry_after_dates);
  tcase_add_test(tc, test_ratelimit_reset);
  suite_add_tcase(s, tc);

  tc = tcase_create("budget");
  tcase_add_test(tc, test_budget_exact);
  tcase_add_test(tc, test_budget_bound_random);
  tcase_add_test(tc, test_budget_max);
  suite_add_tcase(s, tc);

  tc = tcase_create("aimd");
  tcase_add_test(tc, test_aimd_halves_once_per_window);
  tcase_add_test(tc, test_aimd_floor);
  tcase_add_test(tc, test_aimd_recovery);
  suite_add_tcase(s, tc);

  tc = tcase_create("hist");
  tcase_add_test(tc, test_hist_layout);
  tcase_add_test(tc, test_hist_uniform);
  tcase_add_test(tc, test_hist_small_exact);
  tcase_add_test(tc, test_hist_merge);
  tcase_add_test(tc, test_hist_json);
  suite_add_tcase(s, tc);

  tc = tcase_create("clock");
  tcase_add_test(tc, test_clock);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(sched_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
