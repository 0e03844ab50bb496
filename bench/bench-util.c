#include "config.h"

#include "bench-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

uint64_t bench_now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int bench_lat_init(bench_lat *l, size_t cap)
{
  l->n = 0;
  l->cap = cap ? cap : 1;
  l->v = malloc(l->cap * sizeof *l->v);
  return l->v ? 0 : -1;
}

void bench_lat_add(bench_lat *l, uint64_t us)
{
  if (l->n < l->cap)
    l->v[l->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

void bench_lat_free(bench_lat *l)
{
  free(l->v);
  l->v = NULL;
  l->n = l->cap = 0;
}

void bench_mark_now(bench_mark *m)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  m->wall_us = bench_now_us();
  m->cpu_us =
      (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec +
      (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
}

long bench_peak_rss_kb(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

long bench_rss_now_kb(void)
{
  FILE *f = fopen("/proc/self/statm", "r");
  long size = 0, res = -1;
  if (!f)
    return -1;
  if (fscanf(f, "%ld %ld", &size, &res) != 2)
    res = -1;
  fclose(f);
  return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

long bench_raise_nofile(long want)
{
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return -1;
  if ((long)rl.rlim_cur < want || rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return (long)rl.rlim_cur;
}

static int cmp_u32(const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples. */
static uint32_t pct(const bench_lat *l, double p)
{
  size_t i;
  if (l->n == 0)
    return 0;
  i = (size_t)(p / 100.0 * (double)l->n + 0.999999);
  if (i < 1)
    i = 1;
  if (i > l->n)
    i = l->n;
  return l->v[i - 1];
}

void bench_report(const bench_run *run, const bench_mark *start, long done,
                  long errors, bench_lat *l)
{
  bench_mark end;
  double secs, cps, cpu_per;
  long rss = bench_peak_rss_kb();
  bench_mark_now(&end);
  secs = (double)(end.wall_us - start->wall_us) / 1e6;
  cps = secs > 0 ? (double)done / secs : 0;
  cpu_per = done > 0 ? (double)(end.cpu_us - start->cpu_us) / (double)done : 0;
  qsort(l->v, l->n, sizeof *l->v, cmp_u32);
  printf("%s: %s\n", run->name, run->url);
  printf("  calls      %ld done, %ld errors (asked %ld), concurrency %ld, "
         "%s",
         done, errors, run->calls, run->conc,
         run->rate > 0 ? "open loop at " : "closed loop\n");
  if (run->rate > 0)
    printf("%.0f/s\n", run->rate);
  printf("  time       %.3f s\n", secs);
  printf("  calls/s    %.0f\n", cps);
  printf("  cpu/call   %.2f us (user+sys %.3f s)\n", cpu_per,
         (double)(end.cpu_us - start->cpu_us) / 1e6);
  printf("  peak RSS   %ld kB\n", rss);
  printf("  latency    p50 %u us, p90 %u us, p99 %u us, p99.9 %u us, "
         "max %u us%s\n",
         pct(l, 50), pct(l, 90), pct(l, 99), pct(l, 99.9), pct(l, 100),
         run->rate > 0 ? " (from intended send time)" : "");
  printf("RESULT name=%s calls=%ld errors=%ld c=%ld rate=%.0f secs=%.3f "
         "cps=%.0f cpu_us_per_call=%.2f rss_kb=%ld p50_us=%u p90_us=%u "
         "p99_us=%u p999_us=%u max_us=%u\n",
         run->name, done, errors, run->conc, run->rate, secs, cps, cpu_per,
         rss, pct(l, 50), pct(l, 90), pct(l, 99), pct(l, 99.9), pct(l, 100));
  fflush(stdout);
}

int bench_split_header(char *buf, const char **name, const char **value)
{
  char *colon = strchr(buf, ':');
  if (!colon || colon == buf)
    return -1;
  *colon = '\0';
  colon++;
  while (*colon == ' ' || *colon == '\t')
    colon++;
  *name = buf;
  *value = colon;
  return 0;
}
