/*
 * callmux-bench: load through the callmux engine's public API.
 *
 *   callmux-bench -n N -c C [-r R] [-H "Name: value"]... [--lanes off|on]
 *                 [--lane-rate X] [--precise] [--max-secs S] [--name NAME]
 *                 URL
 *   callmux-bench --rate-accuracy [--set-rate R] [--secs S] [--burst B]
 *                 [--precise] SIM_BASE_URL
 *   callmux-bench --queue-memory [-n N] SIM_BASE_URL
 *
 * Throughput (the default): every call is a GET of URL in the lane
 * "bench", whose max in flight is C.  Closed loop keeps a window of calls
 * outstanding and submits a new one from each completion callback:
 *  --lanes off  the window is C, so the lane never queues: the engine's
 *               own path (request, curl, loop, callback);
 *  --lanes on   the window is 2 C and the lane also has a token bucket
 *               (--lane-rate, default 1,000,000/s, burst C), so every call
 *               goes through the scheduler's queue, token check and
 *               admission: what the scheduler costs.
 * Open loop (-r R): call i is due at start + i/R, submitted by a pacing
 * event on the engine's event_base set to the microsecond for the next
 * due call, as bench/rawloop paces (the engine's own timers count whole
 * milliseconds, which would add up to 1 ms to every call's latency);
 * latency is measured from that intended time, so queueing in the lane
 * shows in the tail.
 * The report has the same format as bench/rawloop's, ending with a
 * "RESULT name=... " line for bench/run.sh.
 *
 * --rate-accuracy: two lanes set to R/s (default 500) with burst B
 * (default 1) for S seconds (default 10), all R*S calls queued at once:
 * one against an arrival-counting server forked from this program (the
 * server's clock gives the achieved rate and the largest bursts), one
 * against the simulator's /limited/<key> route configured to the same
 * limit (its counters give the 429s).
 *
 * --queue-memory: one call to SIM/slow/60000 occupies a lane whose max in
 * flight is 1; then N (default 1,000,000) GETs are queued behind it.
 * Prints the RSS growth divided by N: the bytes a queued call costs.
 *
 * --max-secs S: stop a throughput run after S seconds and report the calls
 * done by then (those still in flight are cancelled and not counted).
 *
 * --precise: run the engine on a caller-made event_base with
 * EVENT_BASE_FLAG_PRECISE_TIMER (libevent's default coarse clock ticks in
 * 1-4 ms steps), driven by event_base_dispatch instead of cmx_engine_run.
 */
#include "config.h"

#include <callmux/callmux.h>
#include <event2/event.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-arrivals.h"
#include "bench-util.h"

#define MAX_HDRS 16
#define LANE "bench"

typedef struct bench {
  cmx_engine *e;
  struct event_base *own_base; /* --precise */
  struct event *pace;          /* open loop: the next due call */
  const char *url;
  const char *hname[MAX_HDRS], *hval[MAX_HDRS];
  int nh;
  long n, c, window;
  double rate;
  int lanes;
  double lane_rate;
  long submitted, done, errors;
  uint64_t t_first_us;
  bench_lat lat;
  int reported_error;
  double max_secs;
  int stopping; /* --max-secs expired: later completions are not counted */
} bench;

/* One benchmark per process: callbacks reach it here, and a call's
 * userdata carries its start (or intended) time in microseconds. */
static bench B;

static void note_error(const char *what, int code, const cmx_response *res)
{
  B.errors++;
  if (B.reported_error++ < 3)
    fprintf(stderr, "callmux-bench: %s: %s (%s) status %ld %s\n", what,
            cmx_code_name(code), cmx_strerror(code),
            res ? cmx_response_status(res) : 0L,
            res ? cmx_response_detail(res) : "");
}

static void done_cb(cmx_call *call, const cmx_response *res, void *ud);

static cmx_request *new_get(const char *url, const char *lane)
{
  cmx_request *r = cmx_request_new("GET", url);
  int i;
  if (!r)
    return NULL;
  for (i = 0; i < B.nh; i++)
    if (cmx_request_add_header(r, B.hname[i], B.hval[i]) != CMX_OK) {
      cmx_request_free(r);
      return NULL;
    }
  if (cmx_request_set_lane(r, lane) != CMX_OK) {
    cmx_request_free(r);
    return NULL;
  }
  return r;
}

/* Submit one GET of B.url whose latency counts from t0_us. */
static void submit_one(uint64_t t0_us)
{
  cmx_request *r = new_get(B.url, LANE);
  int rc;
  B.submitted++;
  if (!r) {
    note_error("cmx_request_new", CMX_ENOMEM, NULL);
    B.done++;
    return;
  }
  rc = cmx_submit(B.e, r, done_cb, (void *)(uintptr_t)t0_us, NULL);
  if (rc != CMX_OK) {
    note_error("cmx_submit", rc, NULL);
    B.done++;
  }
}

static void refill(void)
{
  while (B.submitted < B.n && B.submitted - B.done < B.window)
    submit_one(bench_now_us());
}

static uint64_t due_us(long i)
{
  return B.t_first_us + (uint64_t)((double)i * 1e6 / B.rate);
}

static void done_cb(cmx_call *call, const cmx_response *res, void *ud)
{
  uint64_t t0 = (uint64_t)(uintptr_t)ud;
  int code = cmx_response_code(res);
  long status = cmx_response_status(res);
  (void)call;
  if (B.stopping)
    return;
  if (code != CMX_OK || status < 200 || status > 299)
    note_error("call", code, res);
  bench_lat_add(&B.lat, bench_now_us() - t0);
  B.done++;
  if (B.done >= B.n) {
    /* Also ends cmx_engine_run while the --max-secs timer is pending. */
    event_base_loopbreak(cmx_engine_base(B.e));
    return;
  }
  if (B.rate <= 0)
    refill();
}

/* Open loop: submit every call that is due, then wait for the next. */
static void pace_cb(evutil_socket_t fd, short what, void *ud)
{
  uint64_t now = bench_now_us(), due = 0;
  (void)fd;
  (void)what;
  (void)ud;
  if (B.stopping)
    return;
  while (B.submitted < B.n && (due = due_us(B.submitted)) <= now)
    submit_one(due);
  if (B.submitted < B.n) {
    struct timeval tv;
    tv.tv_sec = (time_t)((due - now) / 1000000u);
    tv.tv_usec = (suseconds_t)((due - now) % 1000000u);
    if (evtimer_add(B.pace, &tv) != 0) {
      fprintf(stderr, "callmux-bench: evtimer_add failed\n");
      exit(1);
    }
  }
}

/* Open loop: cmx_engine_run returns once the engine has nothing
 * outstanding, which happens between paced calls; this engine timer, ended
 * by cmx_engine_free, keeps it running until the last call is done. */
static void keep_cb(cmx_engine *e, int code, void *ud)
{
  (void)e;
  (void)code;
  (void)ud;
}

static void stop_cb(cmx_engine *e, int code, void *ud)
{
  (void)ud;
  if (code != CMX_OK)
    return;
  B.stopping = 1;
  event_base_loopbreak(cmx_engine_base(e));
}

/* The engine on its own loop, or (precise) on one made here. */
static cmx_engine *make_engine(int precise)
{
  if (precise) {
    struct event_config *cfg = event_config_new();
    if (!cfg)
      return NULL;
    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    B.own_base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (!B.own_base)
      return NULL;
    return cmx_engine_new(B.own_base, NULL);
  }
  return cmx_engine_new(NULL, NULL);
}

static void run_loop(void)
{
  if (B.own_base)
    event_base_dispatch(B.own_base);
  else
    cmx_engine_run(B.e);
}

static void free_engine(void)
{
  cmx_engine_free(B.e);
  B.e = NULL;
  if (B.own_base)
    event_base_free(B.own_base);
  B.own_base = NULL;
}

static int throughput(const char *name, int precise)
{
  bench_run run;
  bench_mark start;
  cmx_lane *lane;

  bench_raise_nofile(B.c + 100);
  if (bench_lat_init(&B.lat, (size_t)B.n) != 0) {
    fprintf(stderr, "callmux-bench: out of memory\n");
    return 1;
  }
  B.e = make_engine(precise);
  lane = B.e ? cmx_engine_lane(B.e, LANE) : NULL;
  if (!lane || cmx_lane_set_max_inflight(lane, (unsigned)B.c) != CMX_OK ||
      cmx_lane_set_queue_limit(lane, (size_t)B.n + 1) != CMX_OK) {
    fprintf(stderr, "callmux-bench: engine or lane setup failed\n");
    return 1;
  }
  B.window = B.c;
  if (B.lanes) {
    B.window = 2 * B.c;
    if (cmx_lane_set_rate(lane, B.lane_rate, (unsigned)B.c) != CMX_OK) {
      fprintf(stderr, "callmux-bench: cmx_lane_set_rate failed\n");
      return 1;
    }
  }

  if (B.max_secs > 0 && cmx_timer_start(B.e, (uint64_t)(B.max_secs * 1000),
                                        stop_cb, NULL, NULL) != CMX_OK) {
    fprintf(stderr, "callmux-bench: cmx_timer_start failed\n");
    return 1;
  }
  bench_mark_now(&start);
  B.t_first_us = start.wall_us;
  if (B.rate > 0) {
    B.pace = evtimer_new(cmx_engine_base(B.e), pace_cb, NULL);
    if (!B.pace || cmx_timer_start(B.e, (uint64_t)86400000, keep_cb, NULL,
                                   NULL) != CMX_OK) {
      fprintf(stderr, "callmux-bench: pacing setup failed\n");
      return 1;
    }
    pace_cb(-1, 0, NULL);
  } else
    refill();
  run_loop();

  run.name = name;
  run.url = B.url;
  run.calls = B.n;
  run.conc = B.c;
  run.rate = B.rate;
  bench_report(&run, &start, B.done, B.errors, &B.lat);
  B.stopping = 1; /* the stop timer, if still set, ends cancelled */
  if (B.pace)
    event_free(B.pace);
  B.pace = NULL;
  free_engine();
  bench_lat_free(&B.lat);
  return B.done == B.n && B.errors == 0 ? 0 : 1;
}

/* ---- helpers for the scheduler modes ------------------------------ */

/* A GET/POST whose body is kept for the caller (one at a time). */
typedef struct fetch {
  char *body;
  long status;
  int code;
} fetch;

static void fetch_cb(cmx_call *call, const cmx_response *res, void *ud)
{
  fetch *f = ud;
  size_t len;
  const char *body = cmx_response_body(res, &len);
  (void)call;
  f->code = cmx_response_code(res);
  f->status = cmx_response_status(res);
  f->body = strdup(body);
  if (B.own_base)
    event_base_loopbreak(B.own_base);
}

/* Run one request to its end on the engine (loop must be idle). */
static int fetch_now(const char *method, const char *url, const char *json,
                     fetch *f)
{
  cmx_request *r = cmx_request_new(method, url);
  memset(f, 0, sizeof *f);
  if (!r)
    return -1;
  cmx_request_set_lane(r, "control");
  if (json && cmx_request_set_body(r, json, strlen(json),
                                   "application/json") != CMX_OK) {
    cmx_request_free(r);
    return -1;
  }
  if (cmx_submit(B.e, r, fetch_cb, f, NULL) != CMX_OK)
    return -1;
  B.n = B.done = 0;
  run_loop();
  return f->code == CMX_OK && f->body ? 0 : -1;
}

static int64_t stats_counter(const char *stats_json, const char *name)
{
  json_object *root = json_tokener_parse(stats_json), *v = NULL;
  int64_t out = 0; /* a counter not yet made is 0 */
  if (!root)
    return -1;
  /* Counters may sit at the top level or under "counters". */
  if (json_object_object_get_ex(root, name, &v) ||
      (json_object_object_get_ex(root, "counters", &v) &&
       json_object_object_get_ex(v, name, &v)))
    out = json_object_get_int64(v);
  json_object_put(root);
  return out;
}

static void acc_cb(cmx_call *call, const cmx_response *res, void *ud)
{
  long status = cmx_response_status(res);
  (void)call;
  (void)ud;
  if (status != 200 && status != 429)
    note_error("rate call", cmx_response_code(res), res);
  B.done++;
  if (B.done >= B.n && B.own_base)
    event_base_loopbreak(B.own_base);
}

static int rate_accuracy(const char *sim, double rate, double secs,
                         unsigned burst, int precise)
{
  const char *key = "bench-acc";
  long calls = (long)(rate * secs + 0.5), i;
  unsigned port = 0;
  pid_t child;
  char arr_url[128], lim_url[512], cfg_url[512], body[256], stats_url[512];
  fetch f;
  int64_t ok0 = 0, t0 = 0, ok1, t1;
  int sim_ok = 1, st;
  uint64_t t_start, t_end;
  unsigned long long count = 0, max1ms = 0, maxwin = 0, gap = 0;
  double got_rate = 0, got_secs = 0, at1 = 0, atw = 0;
  cmx_lane *la, *ls;

  /* The server is forked before the engine exists (no threads yet). */
  child = bench_arrivals_start(&port, (size_t)calls + 16);
  if (child < 0) {
    fprintf(stderr, "callmux-bench: arrival server failed\n");
    return 1;
  }
  snprintf(arr_url, sizeof arr_url, "http://127.0.0.1:%u/hit", port);
  snprintf(lim_url, sizeof lim_url, "%s/limited/%s", sim, key);
  snprintf(cfg_url, sizeof cfg_url, "%s/_sim/config", sim);
  snprintf(stats_url, sizeof stats_url, "%s/_sim/stats", sim);
  B.e = make_engine(precise);
  if (!B.e) {
    fprintf(stderr, "callmux-bench: engine setup failed\n");
    kill(child, SIGTERM);
    waitpid(child, &st, 0);
    return 1;
  }

  /* Simulator's limit = the lane's rate, per second. */
  snprintf(body, sizeof body, "{\"key\":\"generic.limit\",\"value\":\"%.0f\"}",
           rate);
  if (fetch_now("POST", cfg_url, body, &f) != 0)
    sim_ok = 0;
  free(f.body);
  snprintf(body, sizeof body,
           "{\"key\":\"generic.window_ms\",\"value\":\"1000\"}");
  if (sim_ok && fetch_now("POST", cfg_url, body, &f) != 0)
    sim_ok = 0;
  free(f.body);
  if (sim_ok && fetch_now("GET", stats_url, NULL, &f) == 0) {
    char name[128];
    snprintf(name, sizeof name, "limited.%s.ok", key);
    ok0 = stats_counter(f.body, name);
    snprintf(name, sizeof name, "limited.%s.429", key);
    t0 = stats_counter(f.body, name);
  } else {
    sim_ok = 0;
  }
  free(f.body);
  if (!sim_ok)
    fprintf(stderr,
            "callmux-bench: simulator control API not available "
            "at %s: only the arrival server is measured\n",
            sim);

  la = cmx_engine_lane(B.e, "acc-arrivals");
  ls = cmx_engine_lane(B.e, "acc-sim");
  if (!la || !ls || cmx_lane_set_rate(la, rate, burst) != CMX_OK ||
      cmx_lane_set_rate(ls, rate, burst) != CMX_OK) {
    fprintf(stderr, "callmux-bench: lane setup failed\n");
    return 1;
  }
  B.n = sim_ok ? 2 * calls : calls;
  B.done = 0;
  t_start = bench_now_us();
  for (i = 0; i < calls; i++) {
    cmx_request *r = new_get(arr_url, "acc-arrivals");
    if (!r || cmx_submit(B.e, r, acc_cb, NULL, NULL) != CMX_OK) {
      note_error("submit", CMX_EINTERNAL, NULL);
      B.done++;
    }
    if (sim_ok) {
      cmx_request *q = new_get(lim_url, "acc-sim");
      if (q)
        cmx_request_set_no_retry(q, 1);
      if (!q || cmx_submit(B.e, q, acc_cb, NULL, NULL) != CMX_OK) {
        note_error("submit", CMX_EINTERNAL, NULL);
        B.done++;
      }
    }
  }
  run_loop();
  t_end = bench_now_us();

  snprintf(arr_url, sizeof arr_url,
           "http://127.0.0.1:%u/_arrivals?win_us=1000000", port);
  if (fetch_now("GET", arr_url, NULL, &f) == 0)
    sscanf(f.body,
           "count=%llu secs=%lf rate=%lf max_1ms=%llu max_win=%llu "
           "min_gap_us=%llu max_1ms_at_ms=%lf max_win_at_ms=%lf",
           &count, &got_secs, &got_rate, &max1ms, &maxwin, &gap, &at1, &atw);
  free(f.body);
  ok1 = t1 = -1;
  if (sim_ok && fetch_now("GET", stats_url, NULL, &f) == 0) {
    char name[128];
    snprintf(name, sizeof name, "limited.%s.ok", key);
    ok1 = stats_counter(f.body, name);
    snprintf(name, sizeof name, "limited.%s.429", key);
    t1 = stats_counter(f.body, name);
  }
  free(f.body);
  kill(child, SIGTERM);
  waitpid(child, &st, 0);

  printf("rate-accuracy: lanes set to %.0f/s burst %u, %ld calls each "
         "(%.0f s), all queued at once\n",
         rate, burst, calls, secs);
  /* The bucket starts full: `burst` calls go at once, the rest at the
   * rate, so the steady rate is (count - burst) / span. */
  if (got_secs > 0 && count > burst)
    got_rate = (double)(count - burst) / got_secs;
  printf("  arrival server  %llu arrivals in %.3f s: %.2f/s after the "
         "initial burst (%+.2f %% of the set rate)\n",
         count, got_secs, got_rate, (got_rate / rate - 1) * 100);
  printf("  largest burst   %llu in any 1 ms (at %.1f ms), %llu in any 1 s "
         "(at %.1f ms); the bucket allows %u and %.0f; smallest gap %llu "
         "us\n",
         max1ms, at1, maxwin, atw, burst, rate + burst, gap);
  printf("  client side     %.3f s from submit to last completion\n",
         (double)(t_end - t_start) / 1e6);
  if (sim_ok)
    printf("  simulator       /limited/%s at %.0f per 1000 ms: %lld ok, "
           "%lld 429\n",
           key, rate, (long long)(ok1 - ok0), (long long)(t1 - t0));
  printf("RESULT name=rate-accuracy set=%.0f burst=%u calls=%ld "
         "achieved=%.2f err_pct=%.3f max_1ms=%llu max_1s=%llu "
         "sim_ok=%lld sim_429=%lld errors=%ld\n",
         rate, burst, calls, got_rate, (got_rate / rate - 1) * 100, max1ms,
         maxwin, sim_ok ? (long long)(ok1 - ok0) : -1LL,
         sim_ok ? (long long)(t1 - t0) : -1LL, B.errors);
  fflush(stdout);
  free_engine();
  return count == (unsigned long long)calls && B.errors == 0 ? 0 : 1;
}

/* ---- queue memory -------------------------------------------------- */

static long qm_rss0, qm_rss1;
static long qm_ended, qm_canceled;

static void qm_cb(cmx_call *call, const cmx_response *res, void *ud)
{
  int code = cmx_response_code(res);
  (void)call;
  (void)ud;
  qm_ended++;
  if (code == CMX_ECANCELED)
    qm_canceled++;
  else if (B.reported_error++ < 3)
    fprintf(stderr, "callmux-bench: queued call ended with %s: %s\n",
            cmx_code_name(code), cmx_response_detail(res));
}

static void qm_measure(cmx_engine *e, int code, void *ud)
{
  cmx_lane *lane = ud;
  long i;
  uint64_t t0 = bench_now_us();
  if (code != CMX_OK)
    return;
  qm_rss0 = bench_rss_now_kb();
  for (i = 0; i < B.n; i++) {
    cmx_request *r = new_get(B.url, "slow");
    if (!r || cmx_submit(e, r, qm_cb, NULL, NULL) != CMX_OK) {
      note_error("queue submit", CMX_EQUEUEFULL, NULL);
      break;
    }
  }
  qm_rss1 = bench_rss_now_kb();
  printf("queue-memory: %zu queued, %u in flight, submitted in %.2f s\n",
         cmx_lane_queued(lane), cmx_lane_inflight(lane),
         (double)(bench_now_us() - t0) / 1e6);
  event_base_loopbreak(cmx_engine_base(e));
}

static int queue_memory(const char *sim)
{
  char slow_url[512], q_url[512];
  cmx_lane *lane;
  cmx_request *r;
  double per;

  snprintf(slow_url, sizeof slow_url, "%s/slow/60000", sim);
  snprintf(q_url, sizeof q_url, "%s/json", sim);
  B.url = q_url;
  /* Its own loop so the measuring timer can stop it with calls queued. */
  B.e = make_engine(1);
  lane = B.e ? cmx_engine_lane(B.e, "slow") : NULL;
  if (!lane || cmx_lane_set_max_inflight(lane, 1) != CMX_OK ||
      cmx_lane_set_queue_limit(lane, (size_t)B.n + 16) != CMX_OK) {
    fprintf(stderr, "callmux-bench: engine or lane setup failed\n");
    return 1;
  }
  r = new_get(slow_url, "slow");
  if (!r || cmx_submit(B.e, r, qm_cb, NULL, NULL) != CMX_OK ||
      cmx_timer_start(B.e, 300, qm_measure, lane, NULL) != CMX_OK) {
    fprintf(stderr, "callmux-bench: submit failed\n");
    return 1;
  }
  event_base_dispatch(B.own_base);
  per = B.n ? (double)(qm_rss1 - qm_rss0) * 1024.0 / (double)B.n : 0;
  printf("  RSS before %ld kB, after %ld kB: %.1f bytes per queued call "
         "(goal <= 256)\n",
         qm_rss0, qm_rss1, per);
  free_engine();
  printf("  engine freed: %ld callbacks, %ld with CMX_ECANCELED "
         "(expected %ld)\n",
         qm_ended, qm_canceled, B.n + 1);
  printf("RESULT name=queue-memory queued=%ld rss_before_kb=%ld "
         "rss_after_kb=%ld bytes_per_call=%.1f ended=%ld canceled=%ld\n",
         B.n, qm_rss0, qm_rss1, per, qm_ended, qm_canceled);
  fflush(stdout);
  return qm_canceled == B.n + 1 ? 0 : 1;
}

static void usage(void)
{
  fprintf(stderr,
          "usage: callmux-bench -n N -c C [-r RATE] [-H 'Name: value'] "
          "[--lanes off|on] [--lane-rate X] [--precise] [--max-secs S] "
          "[--name NAME] URL\n"
          "       callmux-bench --rate-accuracy [--set-rate R] [--secs S] "
          "[--burst B] [--precise] SIM_BASE_URL\n"
          "       callmux-bench --queue-memory [-n N] SIM_BASE_URL\n");
  exit(2);
}

int main(int argc, char **argv)
{
  enum {
    O_LANES = 256,
    O_LANE_RATE,
    O_PRECISE,
    O_NAME,
    O_ACC,
    O_QMEM,
    O_SET_RATE,
    O_SECS,
    O_BURST,
    O_MAX_SECS
  };
  static const struct option longopts[] = {
      {"lanes", required_argument, NULL, O_LANES},
      {"lane-rate", required_argument, NULL, O_LANE_RATE},
      {"precise", no_argument, NULL, O_PRECISE},
      {"name", required_argument, NULL, O_NAME},
      {"rate-accuracy", no_argument, NULL, O_ACC},
      {"queue-memory", no_argument, NULL, O_QMEM},
      {"set-rate", required_argument, NULL, O_SET_RATE},
      {"secs", required_argument, NULL, O_SECS},
      {"burst", required_argument, NULL, O_BURST},
      {"max-secs", required_argument, NULL, O_MAX_SECS},
      {NULL, 0, NULL, 0}};
  const char *name = NULL;
  int opt, precise = 0, mode = 0, n_given = 0;
  double set_rate = 500, secs = 10;
  unsigned burst = 1;
  char *hdr_bufs[MAX_HDRS];
  int rc, i;

  B.n = 10000;
  B.c = 64;
  B.lane_rate = 1e6;
  while ((opt = getopt_long(argc, argv, "n:c:r:H:", longopts, NULL)) != -1) {
    switch (opt) {
    case 'n':
      B.n = atol(optarg);
      n_given = 1;
      break;
    case 'c':
      B.c = atol(optarg);
      break;
    case 'r':
      B.rate = atof(optarg);
      break;
    case 'H':
      if (B.nh == MAX_HDRS)
        usage();
      hdr_bufs[B.nh] = strdup(optarg);
      if (!hdr_bufs[B.nh] || bench_split_header(hdr_bufs[B.nh], &B.hname[B.nh],
                                                &B.hval[B.nh]) != 0)
        usage();
      B.nh++;
      break;
    case O_LANES:
      if (strcmp(optarg, "on") == 0)
        B.lanes = 1;
      else if (strcmp(optarg, "off") == 0)
        B.lanes = 0;
      else
        usage();
      break;
    case O_LANE_RATE:
      B.lane_rate = atof(optarg);
      break;
    case O_PRECISE:
      precise = 1;
      break;
    case O_NAME:
      name = optarg;
      break;
    case O_ACC:
      mode = O_ACC;
      break;
    case O_QMEM:
      mode = O_QMEM;
      break;
    case O_SET_RATE:
      set_rate = atof(optarg);
      break;
    case O_SECS:
      secs = atof(optarg);
      break;
    case O_BURST:
      burst = (unsigned)atoi(optarg);
      break;
    case O_MAX_SECS:
      B.max_secs = atof(optarg);
      break;
    default:
      usage();
    }
  }
  if (optind != argc - 1 || B.n <= 0 || B.c <= 0)
    usage();
  signal(SIGPIPE, SIG_IGN);
  if (mode == O_ACC) {
    if (set_rate <= 0 || secs <= 0)
      usage();
    rc = rate_accuracy(argv[optind], set_rate, secs, burst, precise);
  } else if (mode == O_QMEM) {
    if (!n_given)
      B.n = 1000000;
    rc = queue_memory(argv[optind]);
  } else {
    B.url = argv[optind];
    if (B.c > B.n)
      B.c = B.n;
    if (!name)
      name = B.lanes ? "callmux-lanes" : "callmux";
    rc = throughput(name, precise);
  }
  for (i = 0; i < B.nh; i++)
    free(hdr_bufs[i]);
  return rc;
}
