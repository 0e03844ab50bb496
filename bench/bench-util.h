/*
 * bench: helpers shared by rawloop and callmux-bench (not part of the
 * library): time, latency samples and percentiles, CPU and RSS, and the
 * one report format both programs print so run.sh can compare them.
 *
 * The latency store is a plain array of microseconds (4 bytes per call)
 * sorted once at the end: both programs pay the same, so it does not
 * bias the comparison.
 */
#ifndef CMX_BENCH_UTIL_H
#define CMX_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

/** CLOCK_MONOTONIC in microseconds. */
uint64_t bench_now_us(void);

/** Latency samples, in microseconds. */
typedef struct bench_lat {
  uint32_t *v;
  size_t n, cap;
} bench_lat;

/** Room for `cap` samples; 0 on success, -1 on ENOMEM. */
int bench_lat_init(bench_lat *l, size_t cap);
void bench_lat_add(bench_lat *l, uint64_t us);
void bench_lat_free(bench_lat *l);

/** CPU (user + sys) and wall clock, from bench_mark() to bench_report(). */
typedef struct bench_mark {
  uint64_t wall_us;
  uint64_t cpu_us;
} bench_mark;
void bench_mark_now(bench_mark *m);

/** Peak RSS of this process in kB (getrusage ru_maxrss). */
long bench_peak_rss_kb(void);
/** Current RSS of this process in kB (/proc/self/statm), -1 if unknown. */
long bench_rss_now_kb(void);

/** Raise RLIMIT_NOFILE to the hard limit (at least `want`); returns the
 *  soft limit now in force. */
long bench_raise_nofile(long want);

/** What a run was asked to do (for the report). */
typedef struct bench_run {
  const char *name; /* "rawloop", "callmux", "callmux-lanes" ... */
  const char *url;
  long calls;  /* requested */
  long conc;   /* concurrency */
  double rate; /* 0: closed loop */
} bench_run;

/**
 * Print the human report and the machine-readable last line
 *   RESULT name=... calls=... errors=... c=... rate=... secs=... cps=...
 *          cpu_us_per_call=... rss_kb=... p50_us=... p90_us=... p99_us=...
 *          p999_us=... max_us=...
 * `start` is the mark taken when the first call was started.  Sorts `l`.
 */
void bench_report(const bench_run *run, const bench_mark *start, long done,
                  long errors, bench_lat *l);

/** Parse "Name: value" into name/value pointers inside `buf` (modified). */
int bench_split_header(char *buf, const char **name, const char **value);

#endif /* CMX_BENCH_UTIL_H */
