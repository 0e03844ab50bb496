/*
 * The main job of `./quickstart demo`: one engine drives a realistic mix of
 * calls against the simulator (every service that has a URL), then prints a
 * summary: calls, errors by kind, calls/s and latency percentiles.
 *
 *   demo --generic URL --partisci URL --kentik URL --synnefo URL
 *        --pagerduty URL
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demo.h"

#define MAX_SCEN 8
#define MAX_NOTES 64

typedef struct scen {
  const char *name;
  unsigned calls, ok;
  unsigned by_code[32];
  uint64_t *lat; /* ms, grown as needed */
  size_t nlat, cap;
} scen;

struct demo_tally {
  scen s[MAX_SCEN];
  size_t n;
  char *notes[MAX_NOTES];
  size_t nnotes;
};

static scen *find(demo_tally *t, const char *name)
{
  size_t i;

  for (i = 0; i < t->n; i++)
    if (strcmp(t->s[i].name, name) == 0)
      return &t->s[i];
  if (t->n == MAX_SCEN)
    return NULL;
  t->s[t->n].name = name;
  return &t->s[t->n++];
}

void demo_record(demo_tally *t, const char *scenario, int code,
                 uint64_t latency_ms)
{
  scen *s = find(t, scenario);

  if (!s)
    return;
  s->calls++;
  if (code == CMX_OK)
    s->ok++;
  if (-code >= 0 && -code < 32)
    s->by_code[-code]++;
  if (s->nlat == s->cap) {
    size_t ncap = s->cap ? s->cap * 2 : 256;
    uint64_t *p = realloc(s->lat, ncap * sizeof(*p));
    if (!p)
      return;
    s->lat = p;
    s->cap = ncap;
  }
  s->lat[s->nlat++] = latency_ms;
}

void demo_note(demo_tally *t, const char *scenario, const char *fmt, ...)
{
  char buf[512];
  int n;
  va_list ap;

  if (t->nnotes == MAX_NOTES)
    return;
  n = snprintf(buf, sizeof(buf), "  %-10s ", scenario);
  va_start(ap, fmt);
  vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
  va_end(ap);
  t->notes[t->nnotes++] = strdup(buf);
}

static int cmp_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

  return x < y ? -1 : x > y;
}

static uint64_t pct(const uint64_t *v, size_t n, double q)
{
  size_t i;

  if (!n)
    return 0;
  i = (size_t)(q * (double)n);
  if (i >= n)
    i = n - 1;
  return v[i];
}

static double now_s(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
  fprintf(stderr, "usage: demo [--generic URL] [--partisci URL] [--kentik "
                  "URL] [--synnefo URL] [--pagerduty URL]\n");
}

int main(int argc, char **argv)
{
  static demo_tally tally;
  const char *urls[5] = {NULL, NULL, NULL, NULL, NULL};
  static const char *const names[5] = {"generic", "partisci", "kentik",
                                       "synnefo", "pagerduty"};
  int (*const start[5])(cmx_engine *, const char *, demo_tally *) = {
      demo_generic, demo_partisci, demo_kentik, demo_synnefo, demo_pagerduty};
  cmx_engine *e;
  double t0, t1;
  unsigned total = 0, ok = 0;
  size_t i;
  int a, j, rc = 0;

  for (a = 1; a < argc; a++) {
    int known = 0;
    for (j = 0; j < 5; j++) {
      char flag[32];
      snprintf(flag, sizeof(flag), "--%s", names[j]);
      if (strcmp(argv[a], flag) == 0 && a + 1 < argc) {
        urls[j] = argv[++a];
        known = 1;
      }
    }
    if (!known) {
      usage();
      return 2;
    }
  }
  e = cmx_engine_new(NULL, NULL);
  if (!e) {
    fprintf(stderr, "demo: could not create the engine\n");
    return 1;
  }
  printf("callmux %s demo\n", cmx_version());
  t0 = now_s();
  for (j = 0; j < 5; j++) {
    if (!urls[j])
      continue;
    printf("  starting %-10s against %s\n", names[j], urls[j]);
    if (start[j](e, urls[j], &tally) != 0) {
      fprintf(stderr, "demo: scenario %s could not start\n", names[j]);
      rc = 1;
    }
  }
  cmx_engine_run(e);
  t1 = now_s();

  printf("\n%-10s %8s %8s %9s %7s %7s %7s %8s  errors\n", "scenario", "calls",
         "ok", "calls/s", "p50ms", "p90ms", "p99ms", "p99.9ms");
  for (i = 0; i < tally.n; i++) {
    scen *s = &tally.s[i];
    char errs[256] = "";
    size_t el = 0;
    int c;
    qsort(s->lat, s->nlat, sizeof(*s->lat), cmp_u64);
    for (c = 1; c < 32; c++)
      if (s->by_code[c])
        el += (size_t)snprintf(errs + el, sizeof(errs) - el, "%s:%u ",
                               cmx_code_name(-c), s->by_code[c]);
    printf("%-10s %8u %8u %9.0f %7llu %7llu %7llu %8llu  %s\n", s->name,
           s->calls, s->ok, s->calls / (t1 - t0),
           (unsigned long long)pct(s->lat, s->nlat, 0.50),
           (unsigned long long)pct(s->lat, s->nlat, 0.90),
           (unsigned long long)pct(s->lat, s->nlat, 0.99),
           (unsigned long long)pct(s->lat, s->nlat, 0.999), el ? errs : "-");
    total += s->calls;
    ok += s->ok;
    free(s->lat);
  }
  printf("%-10s %8u %8u %9.0f   (%.2f s)\n", "all", total, ok,
         total / (t1 - t0), t1 - t0);
  if (tally.nnotes)
    printf("\n");
  for (i = 0; i < tally.nnotes; i++) {
    printf("%s\n", tally.notes[i]);
    free(tally.notes[i]);
  }
  cmx_engine_free(e);
  return rc;
}
