/*
 * Internal: log-linear latency histogram in microseconds (HDR-like); no
 * samples are stored.
 *
 * Values 0..31 each have their own bucket.  Above that, every power of two
 * [2^k, 2^(k+1)) (k = 5..39) is split into 32 equal sub-buckets, so a
 * bucket's width is at most 1/32 of its lower edge: a reported quantile is
 * never below the true sample and exceeds it by less than 1/32 (3.125%)
 * relative.  Values up to 2^40 us (about 12.7 days) are resolved; larger
 * ones go to the last bucket (min, max and the sum stay exact).
 * Size: 1152 uint32_t buckets + 32 bytes = 4640 bytes.  Bucket counts
 * saturate at UINT32_MAX; count and sum are 64-bit (sum saturates).
 */
#ifndef CMX_CORE_HIST_H
#define CMX_CORE_HIST_H

#include <stdint.h>

struct json_object;

#define CMX__HIST_SUB_BITS 5
#define CMX__HIST_SUB (1u << CMX__HIST_SUB_BITS) /* 32 */
#define CMX__HIST_MAX_BITS 40
#define CMX__HIST_BUCKETS                                                     \
  (CMX__HIST_SUB * (CMX__HIST_MAX_BITS - CMX__HIST_SUB_BITS + 1)) /* 1152 */

typedef struct cmx__hist {
  uint64_t count;
  uint64_t sum; /* us */
  uint64_t min; /* UINT64_MAX while empty */
  uint64_t max;
  uint32_t buckets[CMX__HIST_BUCKETS];
} cmx__hist;

void cmx__hist_init(cmx__hist *h);
void cmx__hist_record(cmx__hist *h, uint64_t us);
/* The upper edge of the bucket holding the sample of rank ceil(q*count)
 * (rank at least 1), clamped to max; q <= 0 gives min, q >= 1 gives max;
 * an empty histogram gives 0. */
uint64_t cmx__hist_quantile(const cmx__hist *h, double q);
/* Adds src's samples to dst. */
void cmx__hist_merge(cmx__hist *dst, const cmx__hist *src);
/* Mean in us (0 when empty). */
double cmx__hist_mean(const cmx__hist *h);
/* A new object {"count","min_us","mean_us","p50_us","p90_us","p99_us",
 * "p999_us","max_us"}, all integers (mean rounded), all 0 when empty; the
 * caller owns the reference.  NULL if out of memory. */
struct json_object *cmx__hist_json(const cmx__hist *h);

/* Bucket index of a value, and the lowest / highest value of a bucket. */
unsigned cmx__hist_index(uint64_t us);
uint64_t cmx__hist_lower(unsigned idx);
uint64_t cmx__hist_upper(unsigned idx);

#endif
