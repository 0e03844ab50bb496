/*
 * Internal: parsing the waits a service asks for.
 *
 * Both parsers are pure: they read the header value (leading and trailing
 * spaces and tabs are ignored) and write milliseconds to *out_ms only on
 * success.  Neither checks an upper bound: cap the result yourself.
 */
#ifndef CMX_CORE_RETRY_AFTER_H
#define CMX_CORE_RETRY_AFTER_H

#include <stdint.h>

/*
 * Retry-After (RFC 9110 §10.2.3): delta-seconds (1*DIGIT) or an HTTP-date,
 * in the preferred IMF-fixdate form ("Sun, 06 Nov 1994 08:49:37 GMT") or
 * either obsolete form (RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT", whose
 * two-digit year is read as at most 50 years ahead of now_unix, and asctime
 * "Sun Nov  6 08:49:37 1994").  A date is turned into a delay relative to
 * now_unix (seconds since the epoch); a date in the past gives 0.  Huge
 * delta-seconds saturate instead of wrapping.
 * Returns 0 and sets *out_ms, or -1 for anything else ("-1", "1.5", "abc",
 * empty, a date with an impossible day or time).
 */
int cmx__retry_after_parse(const char *value, int64_t now_unix,
                           uint64_t *out_ms);

/*
 * RateLimit-Reset / X-RateLimit-Reset style delta seconds, non-negative and
 * possibly fractional ("30", "1.5", "0.25"): 1*DIGIT [ "." 1*DIGIT ].
 * Fractions below a millisecond are rounded up ("0.0001" -> 1 ms).
 * Returns 0 and sets *out_ms, or -1 if invalid.
 */
int cmx__ratelimit_reset_parse(const char *value, uint64_t *out_ms);

/*
 * X-RateLimit-Reset as services send it: either delta seconds (as above) or,
 * for a value of 1e9 or more, an absolute Unix time in seconds, turned into
 * a delay relative to now_unix (a past time gives 0).  Returns 0 and sets
 * *out_ms, or -1 if invalid.
 */
int cmx__ratelimit_reset_any_parse(const char *value, int64_t now_unix,
                                   uint64_t *out_ms);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
int64_t cmx__days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
