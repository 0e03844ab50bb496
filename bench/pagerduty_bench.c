/*
 * bench: PagerDuty paging and events throughput against the simulator.
 *
 *   pagerduty_bench [INCIDENTS] [LATENCY_MS] [EVENTS] [EVENTS_PER_MIN]
 *                   (defaults 10000, 20, 2000, 10000)
 *
 * The simulator runs in a forked child process on 127.0.0.1 with
 * INCIDENTS seeded incidents, every REST and events reply delayed by
 * LATENCY_MS, and its REST rate limit off.  Phases, one engine:
 *
 *   paging   iter_all over /incidents (pages of 100; the 10,000 offset cap
 *            allows at most 10,000 items): sequential (parallel = 1, the
 *            pdpyras way: the baseline) against the parallel fan-out
 *            (parallel = 4, 8, 16: total=true on the first page, the rest
 *            in parallel, items still delivered in order);
 *   events   EVENTS triggers through one routing key with the simulator's
 *            limit and the client's lane both raised to EVENTS_PER_MIN
 *            (PagerDuty grants up to 10,000/min on request; the default is
 *            120/min), then the same with the lane unlimited against a
 *            simulator limit that never bites; baseline: the set rate.
 *
 * Prints one line per run and the ratios.
 */
#include "config.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <callmux/callmux.h>
#include <callmux/pagerduty.h>

#include "sim/sim.h"

static double now_s(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The child: a simulator until killed. */
static void run_sim(int wfd, long incidents, long latency, long ev_per_min)
{
  struct event_base *base = event_base_new();
  sim *s = base ? sim_new(base) : NULL;
  sim_service *svc;
  char v[32];
  unsigned port;

  if (!s)
    _exit(1);
  snprintf(v, sizeof(v), "%ld", incidents);
  sim_config_set(s, "pagerduty.incidents", v);
  snprintf(v, sizeof(v), "%ld", latency);
  sim_config_set(s, "pagerduty.latency_ms", v);
  sim_config_set(s, "pagerduty.rest_limit", "100000000");
  snprintf(v, sizeof(v), "%ld", ev_per_min);
  sim_config_set(s, "pagerduty.events_limit", v);
  sim_config_set(s, "pagerduty.events_window_ms", "60000");
  svc = sim_service_add(s, "pagerduty", 0, 0);
  if (!svc || sim_pagerduty_attach(svc) != 0)
    _exit(1);
  port = sim_service_port(svc);
  if (write(wfd, &port, sizeof(port)) != (ssize_t)sizeof(port))
    _exit(1);
  close(wfd);
  event_base_dispatch(base);
  _exit(0);
}

typedef struct st {
  int done, code;
  size_t count, ok;
  long last;
  int disorder;
  char detail[400];
} st;

static int on_item(cmx_pagerduty *pd, struct json_object *item, size_t n,
                   long total, void *ud)
{
  st *s = ud;
  struct json_object *v;
  long id;

  (void)pd;
  (void)n;
  (void)total;
  if (json_object_object_get_ex(item, "id", &v)) {
    id = strtol(json_object_get_string(v) + 2, NULL, 10);
    if (id != s->last + 1)
      s->disorder++;
    s->last = id;
  }
  return 0;
}

static void on_done(cmx_pagerduty *pd, const cmx_pagerduty_result *r, void *ud)
{
  st *s = ud;

  (void)pd;
  s->done = 1;
  s->code = r->code;
  s->count = r->count;
  snprintf(s->detail, sizeof(s->detail), "%s", r->detail);
}

static void on_event(cmx_pagerduty_events *ev, const cmx_pagerduty_result *r,
                     void *ud)
{
  st *s = ud;

  (void)ev;
  s->count++;
  if (r->code == CMX_OK)
    s->ok++;
  else if (!s->detail[0])
    snprintf(s->detail, sizeof(s->detail), "%s", r->detail);
}

/* One iter_all over /incidents; returns its wall time (s). */
static double page(cmx_engine *e, cmx_pagerduty *pd, unsigned parallel,
                   long expect)
{
  cmx_pagerduty_iter_opts o = {100, parallel, 0};
  st s;
  double t0 = now_s(), c0 = cpu_s(), dt;

  memset(&s, 0, sizeof(s));
  if (cmx_pagerduty_iter_all(pd, "incidents", NULL, &o, on_item, on_done,
                             &s) != CMX_OK) {
    fprintf(stderr, "iter_all refused: %s\n", cmx_pagerduty_last_error(pd));
    exit(1);
  }
  cmx_engine_run(e);
  dt = now_s() - t0;
  printf("paging   parallel=%-2u items=%zu %s wall=%.3f s  items/s=%.0f  "
         "client cpu=%.3f s  in order=%s\n",
         parallel, s.count, cmx_code_name(s.code), dt, (double)s.count / dt,
         cpu_s() - c0, s.disorder ? "NO" : "yes");
  if (s.code != CMX_OK || (long)s.count != expect || s.disorder) {
    fprintf(stderr, "paging failed: %s\n", s.detail);
    exit(1);
  }
  return dt;
}

/* `n` triggers at lane rate `per_min` (0: none); returns events/s. */
static double events(cmx_engine *e, const char *url, const char *key, long n,
                     double per_min)
{
  cmx_pagerduty_events *ev;
  cmx_pagerduty_event x;
  char err[256], sum[64];
  st s;
  long i;
  double t0, c0, dt;

  ev = cmx_pagerduty_events_new(e, key, err, sizeof(err));
  if (!ev || cmx_pagerduty_events_set_base_url(ev, url) != CMX_OK) {
    fprintf(stderr, "events session: %s\n", err);
    exit(1);
  }
  /* burst 10, as the session's default lane */
  cmx_pagerduty_events_set_rate(ev, per_min, 10);
  cmx_lane_set_max_inflight(cmx_pagerduty_events_lane(ev), 64);
  memset(&s, 0, sizeof(s));
  memset(&x, 0, sizeof(x));
  x.source = "bench";
  x.severity = "info";
  t0 = now_s();
  c0 = cpu_s();
  for (i = 0; i < n; i++) {
    snprintf(sum, sizeof(sum), "bench event %ld", i);
    x.summary = sum;
    if (cmx_pagerduty_trigger(ev, &x, on_event, &s) != CMX_OK) {
      fprintf(stderr, "trigger refused: %s\n",
              cmx_pagerduty_events_last_error(ev));
      exit(1);
    }
  }
  cmx_engine_run(e);
  dt = now_s() - t0;
  printf("events   lane=%-8s n=%ld ok=%zu wall=%.3f s  events/s=%.1f  "
         "client cpu/event=%.1f us\n",
         per_min > 0 ? "limited" : "unlimited", n, s.ok, dt, (double)s.ok / dt,
         (cpu_s() - c0) / (double)n * 1e6);
  if (s.ok != (size_t)n) {
    fprintf(stderr, "events failed: %s\n", s.detail);
    exit(1);
  }
  cmx_pagerduty_events_free(ev);
  return (double)s.ok / dt;
}

int main(int argc, char **argv)
{
  long incidents = argc > 1 ? atol(argv[1]) : 10000;
  long latency = argc > 2 ? atol(argv[2]) : 20;
  long nev = argc > 3 ? atol(argv[3]) : 2000;
  long per_min = argc > 4 ? atol(argv[4]) : 10000;
  long expect = incidents < CMX_PAGERDUTY_OFFSET_CAP
                    ? incidents
                    : CMX_PAGERDUTY_OFFSET_CAP;
  static const unsigned fan[] = {4, 8, 16};
  int pfd[2];
  pid_t child;
  unsigned port, i;
  char url[64], err[256];
  cmx_engine *e;
  cmx_pagerduty *pd;
  double seq, par, rate, unl;

  if (incidents < 1 || latency < 0 || nev < 1 || per_min < 1) {
    fprintf(stderr, "usage: pagerduty_bench [INCIDENTS] [LATENCY_MS] "
                    "[EVENTS] [EVENTS_PER_MIN]\n");
    return 2;
  }
  if (pipe(pfd) != 0)
    return 1;
  child = fork();
  if (child < 0)
    return 1;
  if (child == 0) {
    close(pfd[0]);
    run_sim(pfd[1], incidents, latency, per_min);
  }
  close(pfd[1]);
  if (read(pfd[0], &port, sizeof(port)) != (ssize_t)sizeof(port)) {
    fprintf(stderr, "simulator did not start\n");
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return 1;
  }
  close(pfd[0]);
  snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
  printf("pagerduty_bench: %ld incidents, %ld ms simulated latency, %ld "
         "events at %ld/min\n",
         incidents, latency, nev, per_min);

  e = cmx_engine_new(NULL, NULL);
  pd = e ? cmx_pagerduty_new(e, "pd-test-token", CMX_PAGERDUTY_AUTH_TOKEN, err,
                             sizeof(err))
         : NULL;
  if (!pd || cmx_pagerduty_set_base_url(pd, url) != CMX_OK) {
    fprintf(stderr, "session: %s\n", err);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return 1;
  }
  cmx_pagerduty_set_rate(pd, 0, 0); /* measure paging, not our limit */
  seq = page(e, pd, 1, expect);
  for (i = 0; i < sizeof(fan) / sizeof(fan[0]); i++) {
    par = page(e, pd, fan[i], expect);
    printf("  -> parallel=%u is %.2f x the sequential baseline\n", fan[i],
           seq / par);
  }

  rate = events(e, url, "BENCHROUTINGKEY1", nev, (double)per_min);
  printf("  -> %.3f x the set rate (%.1f events/s)\n", rate / (per_min / 60.0),
         per_min / 60.0);
  /* a second key: its own window; the lane unlimited */
  unl = events(e, url, "BENCHROUTINGKEY2", nev, 0);
  printf("  -> unlimited lane: %.2f x the set rate\n", unl / (per_min / 60.0));

  cmx_pagerduty_free(pd);
  cmx_engine_free(e);
  kill(child, SIGTERM);
  waitpid(child, NULL, 0);
  return 0;
}
