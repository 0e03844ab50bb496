/* Log-linear latency histogram. */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "core/hist.h"

static unsigned high_bit(uint64_t v) /* v > 0 */
{
#if defined(__GNUC__) || defined(__clang__)
  return 63u - (unsigned)__builtin_clzll(v);
#else
  unsigned b = 0;

  while (v >>= 1)
    b++;
  return b;
#endif
}

unsigned cmx__hist_index(uint64_t us)
{
  unsigned k, shift;

  if (us < CMX__HIST_SUB)
    return (unsigned)us;
  k = high_bit(us);
  if (k >= CMX__HIST_MAX_BITS)
    return CMX__HIST_BUCKETS - 1;
  shift = k - CMX__HIST_SUB_BITS;
  /* us >> shift is in [32, 63]: the sub-bucket plus the top bit. */
  return (k - CMX__HIST_SUB_BITS + 1) * CMX__HIST_SUB +
         (unsigned)(us >> shift) - CMX__HIST_SUB;
}

uint64_t cmx__hist_lower(unsigned idx)
{
  unsigned group, sub;

  if (idx < CMX__HIST_SUB)
    return idx;
  group = idx / CMX__HIST_SUB; /* 1 for [32, 64) */
  sub = idx % CMX__HIST_SUB;
  return (uint64_t)(CMX__HIST_SUB + sub) << (group - 1);
}

uint64_t cmx__hist_upper(unsigned idx)
{
  if (idx < CMX__HIST_SUB)
    return idx;
  if (idx >= CMX__HIST_BUCKETS - 1)
    return UINT64_MAX; /* the last bucket also holds everything above */
  return cmx__hist_lower(idx + 1) - 1;
}

void cmx__hist_init(cmx__hist *h)
{
  memset(h, 0, sizeof(*h));
  h->min = UINT64_MAX;
}

void cmx__hist_record(cmx__hist *h, uint64_t us)
{
  unsigned i = cmx__hist_index(us);

  if (h->buckets[i] != UINT32_MAX)
    h->buckets[i]++;
  h->count++;
  h->sum = us > UINT64_MAX - h->sum ? UINT64_MAX : h->sum + us;
  if (us < h->min)
    h->min = us;
  if (us > h->max)
    h->max = us;
}

uint64_t cmx__hist_quantile(const cmx__hist *h, double q)
{
  uint64_t rank, seen = 0;
  double r;
  unsigned i;

  if (!h->count)
    return 0;
  if (!(q > 0))
    return h->min;
  if (q >= 1)
    return h->max;
  r = q * (double)h->count - 1e-9; /* ceil(q*count), read exactly */
  if (r < 1)
    rank = 1;
  else if (r >= (double)h->count)
    rank = h->count;
  else {
    rank = (uint64_t)r;
    if ((double)rank < r)
      rank++;
  }
  for (i = 0; i < CMX__HIST_BUCKETS; i++) {
    seen += h->buckets[i];
    if (seen >= rank) {
      uint64_t up = cmx__hist_upper(i);
      if (up > h->max)
        up = h->max;
      if (up < h->min)
        up = h->min;
      return up;
    }
  }
  return h->max; /* saturated buckets: fewer counted than count */
}

void cmx__hist_merge(cmx__hist *dst, const cmx__hist *src)
{
  unsigned i;

  if (!src->count)
    return;
  for (i = 0; i < CMX__HIST_BUCKETS; i++) {
    uint64_t s = (uint64_t)dst->buckets[i] + src->buckets[i];
    dst->buckets[i] = s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
  }
  dst->count += src->count;
  dst->sum =
      src->sum > UINT64_MAX - dst->sum ? UINT64_MAX : dst->sum + src->sum;
  if (src->min < dst->min)
    dst->min = src->min;
  if (src->max > dst->max)
    dst->max = src->max;
}

double cmx__hist_mean(const cmx__hist *h)
{
  return h->count ? (double)h->sum / (double)h->count : 0;
}

static int add(struct json_object *o, const char *key, uint64_t v)
{
  struct json_object *n =
      json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t)v);

  if (!n || json_object_object_add(o, key, n) != 0) {
    json_object_put(n);
    return -1;
  }
  return 0;
}

struct json_object *cmx__hist_json(const cmx__hist *h)
{
  struct json_object *o = json_object_new_object();
  int empty = h->count == 0;
  double mean = cmx__hist_mean(h);
  uint64_t mean_us = mean < 9.0e18 ? (uint64_t)(mean + 0.5) : INT64_MAX;

  if (!o)
    return NULL;
  if (add(o, "count", h->count) || add(o, "min_us", empty ? 0 : h->min) ||
      add(o, "mean_us", mean_us) ||
      add(o, "p50_us", cmx__hist_quantile(h, 0.5)) ||
      add(o, "p90_us", cmx__hist_quantile(h, 0.9)) ||
      add(o, "p99_us", cmx__hist_quantile(h, 0.99)) ||
      add(o, "p999_us", cmx__hist_quantile(h, 0.999)) ||
      add(o, "max_us", h->max)) {
    json_object_put(o);
    return NULL;
  }
  return o;
}
