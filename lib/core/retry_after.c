/* Retry-After and ratelimit-reset header values. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "core/retry_after.h"

/* A bounded cursor over the trimmed value. */
typedef struct cur {
  const char *p, *end;
} cur;

static int is_ws(char c)
{
  return c == ' ' || c == '\t';
}

static int trim(const char *value, cur *c)
{
  if (!value)
    return -1;
  c->p = value;
  c->end = value + strlen(value);
  while (c->p < c->end && is_ws(*c->p))
    c->p++;
  while (c->end > c->p && is_ws(c->end[-1]))
    c->end--;
  return c->p < c->end ? 0 : -1;
}

static int is_digit(char c)
{
  return c >= '0' && c <= '9';
}

static char lower(char c)
{
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Exactly n digits. */
static int digits(cur *c, unsigned n, unsigned *out)
{
  unsigned v = 0;

  if ((size_t)(c->end - c->p) < n)
    return -1;
  while (n--) {
    if (!is_digit(*c->p))
      return -1;
    v = v * 10 + (unsigned)(*c->p++ - '0');
  }
  *out = v;
  return 0;
}

static int lit(cur *c, const char *s)
{
  size_t n = strlen(s);

  if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
    return -1;
  c->p += n;
  return 0;
}

/* One of `names` (case-insensitive, whole word of letters); index or -1. */
static int name(cur *c, const char *const *names, unsigned count)
{
  size_t n = 0;
  unsigned i;

  while (c->p + n < c->end && ((c->p[n] >= 'a' && c->p[n] <= 'z') ||
                               (c->p[n] >= 'A' && c->p[n] <= 'Z')))
    n++;
  for (i = 0; i < count; i++) {
    size_t k;
    if (strlen(names[i]) != n)
      continue;
    for (k = 0; k < n && lower(c->p[k]) == names[i][k]; k++)
      ;
    if (k == n) {
      c->p += n;
      return (int)i;
    }
  }
  return -1;
}

static const char *const day_short[] = {"mon", "tue", "wed", "thu",
                                        "fri", "sat", "sun"};
static const char *const day_long[] = {"monday",   "tuesday", "wednesday",
                                       "thursday", "friday",  "saturday",
                                       "sunday"};
static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                     "jul", "aug", "sep", "oct", "nov", "dec"};

int64_t cmx__days_from_civil(int64_t y, unsigned m, unsigned d)
{
  /* Count from 0000-03-01 so that the leap day ends a 400-year era. */
  int64_t era, yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int64_t year_of(int64_t unix_s)
{
  int64_t days = (unix_s >= 0 ? unix_s : unix_s - 86399) / 86400;
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t y = yoe + era * 400;

  return mp >= 10 ? y + 1 : y; /* Jan and Feb belong to the next year */
}

static int leap(int64_t y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

typedef struct hms {
  unsigned h, m, s;
} hms;

/* time-of-day = hour ":" minute ":" second (second 60 for a leap second). */
static int time_of_day(cur *c, hms *t)
{
  if (digits(c, 2, &t->h) || lit(c, ":") || digits(c, 2, &t->m) ||
      lit(c, ":") || digits(c, 2, &t->s))
    return -1;
  return (t->h > 23 || t->m > 59 || t->s > 60) ? -1 : 0;
}

static int to_unix(int64_t y, unsigned mon, unsigned d, const hms *t,
                   int64_t *out)
{
  static const unsigned mdays[] = {31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
  unsigned maxd;

  if (mon < 1 || mon > 12 || d < 1)
    return -1;
  maxd = mdays[mon - 1] + (mon == 2 && leap(y));
  if (d > maxd)
    return -1;
  *out = cmx__days_from_civil(y, mon, d) * 86400 + (int64_t)t->h * 3600 +
         (int64_t)t->m * 60 + (int64_t)t->s;
  return 0;
}

/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
static int imf_fixdate(cur c, int64_t *out)
{
  unsigned d, y;
  int m;
  hms t;

  if (name(&c, day_short, 7) < 0 || lit(&c, ", ") || digits(&c, 2, &d) ||
      lit(&c, " ") || (m = name(&c, months, 12)) < 0 || lit(&c, " ") ||
      digits(&c, 4, &y) || lit(&c, " ") || time_of_day(&c, &t) ||
      lit(&c, " GMT") || c.p != c.end)
    return -1;
  return to_unix(y, (unsigned)m + 1, d, &t, out);
}

/* rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT */
static int rfc850_date(cur c, int64_t now_unix, int64_t *out)
{
  unsigned d, yy;
  int m;
  int64_t y, now_y;
  hms t;

  if (name(&c, day_long, 7) < 0 || lit(&c, ", ") || digits(&c, 2, &d) ||
      lit(&c, "-") || (m = name(&c, months, 12)) < 0 || lit(&c, "-") ||
      digits(&c, 2, &yy) || lit(&c, " ") || time_of_day(&c, &t) ||
      lit(&c, " GMT") || c.p != c.end)
    return -1;
  /* RFC 9110 §5.6.7: a two-digit year more than 50 years ahead is the most
   * recent past year with those digits. */
  now_y = year_of(now_unix);
  y = now_y - now_y % 100 + yy;
  if (y > now_y + 50)
    y -= 100;
  return to_unix(y, (unsigned)m + 1, d, &t, out);
}

/* asctime-date: Sun Nov  6 08:49:37 1994 */
static int asctime_date(cur c, int64_t *out)
{
  unsigned d, y;
  int m;
  hms t;

  if (name(&c, day_short, 7) < 0 || lit(&c, " ") ||
      (m = name(&c, months, 12)) < 0 || lit(&c, " "))
    return -1;
  if (c.p < c.end && *c.p == ' ') {
    c.p++;
    if (digits(&c, 1, &d))
      return -1;
  } else if (digits(&c, 2, &d)) {
    return -1;
  }
  if (lit(&c, " ") || time_of_day(&c, &t) || lit(&c, " ") ||
      digits(&c, 4, &y) || c.p != c.end)
    return -1;
  return to_unix(y, (unsigned)m + 1, d, &t, out);
}

int cmx__retry_after_parse(const char *value, int64_t now_unix,
                           uint64_t *out_ms)
{
  cur c;
  int64_t when;

  if (trim(value, &c))
    return -1;
  if (is_digit(*c.p)) {
    uint64_t secs = 0;
    int big = 0;
    for (; c.p < c.end; c.p++) {
      if (!is_digit(*c.p))
        return -1;
      if (secs > (UINT64_MAX / 1000 - 9) / 10)
        big = 1;
      else
        secs = secs * 10 + (uint64_t)(*c.p - '0');
    }
    *out_ms = big ? UINT64_MAX : secs * 1000;
    return 0;
  }
  if (imf_fixdate(c, &when) && rfc850_date(c, now_unix, &when) &&
      asctime_date(c, &when))
    return -1;
  *out_ms = when > now_unix ? (uint64_t)(when - now_unix) * 1000 : 0;
  return 0;
}

int cmx__ratelimit_reset_parse(const char *value, uint64_t *out_ms)
{
  cur c;
  uint64_t secs = 0, frac = 0;
  unsigned nfrac = 0;
  int big = 0, rest = 0;

  if (trim(value, &c) || !is_digit(*c.p))
    return -1;
  for (; c.p < c.end && is_digit(*c.p); c.p++) {
    if (secs > (UINT64_MAX / 1000 - 999 - 9) / 10)
      big = 1;
    else
      secs = secs * 10 + (uint64_t)(*c.p - '0');
  }
  if (c.p < c.end) {
    if (*c.p++ != '.' || c.p == c.end)
      return -1;
    for (; c.p < c.end; c.p++) {
      if (!is_digit(*c.p))
        return -1;
      if (nfrac < 3) {
        frac = frac * 10 + (uint64_t)(*c.p - '0');
        nfrac++;
      } else if (*c.p != '0') {
        rest = 1; /* below a millisecond: round up */
      }
    }
    while (nfrac < 3) {
      frac *= 10;
      nfrac++;
    }
  }
  if (big) {
    *out_ms = UINT64_MAX;
    return 0;
  }
  *out_ms = secs * 1000 + frac + (uint64_t)rest;
  return 0;
}

int cmx__ratelimit_reset_any_parse(const char *value, int64_t now_unix,
                                   uint64_t *out_ms)
{
  uint64_t ms, now_ms;

  if (cmx__ratelimit_reset_parse(value, &ms))
    return -1;
  if (ms < UINT64_C(1000000000) * 1000 || now_unix < 0) {
    *out_ms = ms;
    return 0;
  }
  now_ms = (uint64_t)now_unix * 1000;
  *out_ms = ms > now_ms ? ms - now_ms : 0;
  return 0;
}
