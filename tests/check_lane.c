/* The scheduler against the simulator: priorities, queue bounds, rate
 * limits, 429 handling, retry budget under a fault mix, drain. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "testutil.h"

typedef struct order {
  int seq[16];
  int n;
} order;

typedef struct tagged {
  order *o;
  int tag;
} tagged;

static void record_order(cmx_call *call, const cmx_response *res, void *ud)
{
  tagged *t = ud;

  (void)call;
  (void)res;
  t->o->seq[t->o->n++] = t->tag;
}

START_TEST(test_interactive_before_bulk)
{
  tu_env t;
  order o = {{0}, 0};
  tagged tags[6];
  char u[256];
  int i;

  tu_setup(&t, NULL);
  cmx_lane_set_max_inflight(cmx_engine_lane(t.engine, "p"), 1);
  for (i = 0; i < 6; i++) {
    cmx_request *r = cmx_request_new(
        "GET", tu_url(&t, i == 0 ? "/slow/200" : "/json", u, sizeof(u)));
    tags[i].o = &o;
    tags[i].tag = i;
    cmx_request_set_lane(r, "p");
    if (i == 4 || i == 5)
      cmx_request_set_interactive(r, 1);
    ck_assert_int_eq(cmx_submit(t.engine, r, record_order, &tags[i], NULL),
                     CMX_OK);
  }
  ck_assert(tu_run_idle(&t, 10000));
  ck_assert_int_eq(o.n, 6);
  ck_assert_int_eq(o.seq[0], 0);
  ck_assert_int_eq(o.seq[1], 4); /* interactive, FIFO among themselves */
  ck_assert_int_eq(o.seq[2], 5);
  ck_assert_int_eq(o.seq[3], 1); /* then bulk in order */
  ck_assert_int_eq(o.seq[4], 2);
  ck_assert_int_eq(o.seq[5], 3);
  tu_teardown(&t);
}
END_TEST

START_TEST(test_queue_bound)
{
  tu_env t;
  tu_result r[5];
  char u[256];
  cmx_lane *l;
  int i;

  memset(r, 0, sizeof(r));
  tu_setup(&t, NULL);
  l = cmx_engine_lane(t.engine, "q");
  cmx_lane_set_max_inflight(l, 1);
  cmx_lane_set_queue_limit(l, 3);
  for (i = 0; i < 5; i++) {
    cmx_request *req =
        cmx_request_new("GET", tu_url(&t, "/json", u, sizeof(u)));
    cmx_request_set_lane(req, "q");
    ck_assert_int_eq(cmx_submit(t.engine, req, tu_done, &r[i], NULL),
                     i < 4 ? CMX_OK : CMX_EQUEUEFULL);
  }
  ck_assert_int_eq(cmx_lane_queued(l), 3);
  ck_assert_int_eq(cmx_lane_inflight(l), 1);
  ck_assert(tu_run_idle(&t, 10000));
  for (i = 0; i < 4; i++)
    ck_assert_int_eq(r[i].calls, 1);
  ck_assert_int_eq(r[4].calls, 0); /* refused: never called */
  tu_teardown(&t);
}
END_TEST

typedef struct many {
  int calls;
  int ok;
  int by_code[32];
  int *seen; /* per index */
  int dup;
} many;

typedef struct one {
  many *m;
  int idx;
} one;

static void many_done(cmx_call *call, const cmx_response *res, void *ud)
{
  one *o = ud;
  many *m = o->m;
  int code = cmx_response_code(res);

  (void)call;
  m->calls++;
  if (code == CMX_OK)
    m->ok++;
  if (-code >= 0 && -code < 32)
    m->by_code[-code]++;
  if (m->seen[o->idx]++)
    m->dup++;
}

static int64_t counter_of(sim *s, const char *name)
{
  return sim_counter(s, name);
}

static void run_limited(tu_env *t, const char *key, int n, double rate,
                        unsigned burst, many *m, one *ones)
{
  char u[256], path[64];
  cmx_lane *l = cmx_engine_lane(t->engine, key);
  int i;

  cmx_lane_set_rate(l, rate, burst);
  cmx_lane_set_max_inflight(l, 64);
  snprintf(path, sizeof(path), "/limited/%s", key);
  tu_url(t, path, u, sizeof(u));
  for (i = 0; i < n; i++) {
    cmx_request *r = cmx_request_new("GET", u);
    cmx_request_set_lane(r, key);
    ones[i].m = m;
    ones[i].idx = i;
    ck_assert_int_eq(cmx_submit(t->engine, r, many_done, &ones[i], NULL),
                     CMX_OK);
  }
}

START_TEST(test_lane_at_server_limit_no_429)
{
  tu_env t;
  many m;
  one *ones = calloc(10000, sizeof(*ones));
  char name[128];

  memset(&m, 0, sizeof(m));
  m.seen = calloc(10000, sizeof(int));
  tu_setup(&t, NULL);
  sim_config_set(t.sim, "generic.limit", "1000");
  sim_config_set(t.sim, "generic.window_ms", "1000");
  run_limited(&t, "atlimit", 10000, 1000, 1, &m, ones);
  ck_assert(tu_run_idle(&t, 60000));
  ck_assert_int_eq(m.calls, 10000);
  ck_assert_int_eq(m.ok, 10000);
  ck_assert_int_eq(m.dup, 0);
  snprintf(name, sizeof(name), "limited.%s.429", "atlimit");
  ck_assert_int_eq(counter_of(t.sim, name), 0);
  snprintf(name, sizeof(name), "limited.%s.ok", "atlimit");
  ck_assert_int_eq(counter_of(t.sim, name), 10000);
  tu_teardown(&t);
  free(ones);
  free(m.seen);
}
END_TEST

typedef struct probe {
  tu_env *t;
  int64_t at_1s, at_2s, at_3s;
  int step;
} probe;

static void sample_429(cmx_engine *e, int code, void *ud)
{
  probe *p = ud;
  int64_t v = sim_counter(p->t->sim, "limited.above.429");

  (void)code;
  if (p->step == 0)
    p->at_1s = v;
  else if (p->step == 1)
    p->at_2s = v;
  else
    p->at_3s = v;
  if (++p->step < 3)
    cmx_timer_start(e, 1000, sample_429, p, NULL);
}

START_TEST(test_lane_above_limit_converges)
{
  tu_env t;
  many m;
  one *ones = calloc(3000, sizeof(*ones));
  probe p;
  cmx_retry_policy rp;

  memset(&m, 0, sizeof(m));
  memset(&p, 0, sizeof(p));
  m.seen = calloc(3000, sizeof(int));
  tu_setup(&t, NULL);
  p.t = &t;
  sim_config_set(t.sim, "generic.limit", "500");
  sim_config_set(t.sim, "generic.window_ms", "1000");
  /* No ratelimit-* headers: the lane learns the limit from 429s alone. */
  sim_config_set(t.sim, "generic.limit_headers", "off");
  cmx_retry_policy_default(&rp);
  rp.max_attempts = 10;
  rp.budget_percent = 50;
  cmx_lane_set_retry(cmx_engine_lane(t.engine, "above"), &rp);
  /* Nearly twice the server's limit, and a big burst: one cut (to 450/s)
   * brings it below. */
  run_limited(&t, "above", 3000, 900, 200, &m, ones);
  cmx_timer_start(t.engine, 1500, sample_429, &p, NULL);
  ck_assert(tu_run_idle(&t, 60000));
  ck_assert_int_eq(m.calls, 3000);
  ck_assert_int_eq(m.dup, 0);
  ck_assert_int_eq(m.ok, 3000);
  printf("429s seen by the server: %lld after 1.5 s, %lld after 2.5 s, "
         "%lld after 3.5 s, %lld in all\n",
         (long long)p.at_1s, (long long)p.at_2s, (long long)p.at_3s,
         (long long)sim_counter(t.sim, "limited.above.429"));
  fflush(stdout);
  /* The lane learnt the limit in the first window: no 429 after it. */
  ck_assert_int_gt(p.at_1s, 0);
  ck_assert_int_eq(p.at_3s, p.at_1s);
  ck_assert_int_eq(sim_counter(t.sim, "limited.above.429"), p.at_1s);
  tu_teardown(&t);
  free(ones);
  free(m.seen);
}
END_TEST

/* With ratelimit-remaining/-reset on every reply, a lane set above the
 * limit never meets a 429 at all: it admits no more than the server says
 * is left in the window. */
START_TEST(test_lane_above_limit_with_quota_headers)
{
  tu_env t;
  many m;
  one *ones = calloc(1500, sizeof(*ones));

  memset(&m, 0, sizeof(m));
  m.seen = calloc(1500, sizeof(int));
  tu_setup(&t, NULL);
  sim_config_set(t.sim, "generic.limit", "500");
  sim_config_set(t.sim, "generic.window_ms", "1000");
  run_limited(&t, "quota", 1500, 1000, 200, &m, ones);
  ck_assert(tu_run_idle(&t, 60000));
  ck_assert_int_eq(m.calls, 1500);
  ck_assert_int_eq(m.ok, 1500);
  ck_assert_int_eq(m.dup, 0);
  ck_assert_int_eq(sim_counter(t.sim, "limited.quota.429"), 0);
  ck_assert_int_eq(sim_counter(t.sim, "limited.quota.ok"), 1500);
  tu_teardown(&t);
  free(ones);
  free(m.seen);
}
END_TEST

START_TEST(test_fault_mix_every_call_once)
{
  enum { N = 20000 };
  tu_env t;
  many m;
  one *ones = calloc(N, sizeof(*ones));
  char u[256];
  cmx_lane *l;
  cmx_retry_policy rp;
  sim_fault f;
  int i;
  int64_t served;
  char *stats;

  memset(&m, 0, sizeof(m));
  m.seen = calloc(N, sizeof(int));
  tu_setup(&t, NULL);
  l = cmx_engine_lane(t.engine, "mix");
  cmx_lane_set_max_inflight(l, 64);
  cmx_retry_policy_default(&rp);
  rp.base_ms = 5;
  rp.cap_ms = 100;
  rp.max_wait_ms = 100;
  cmx_lane_set_retry(l, &rp);
  memset(&f, 0, sizeof(f));
  f.path = "/json";
  f.count = -1;
  f.kind = SIM_FAULT_DROP;
  f.percent = 10;
  sim_fault_add(t.sim, &f);
  f.kind = SIM_FAULT_STATUS;
  f.status = 503;
  f.percent = 9;
  sim_fault_add(t.sim, &f);
  f.kind = SIM_FAULT_STATUS;
  f.status = 429;
  f.percent = 5;
  sim_fault_add(t.sim, &f);
  f.kind = SIM_FAULT_STALL;
  f.percent = 6;
  sim_fault_add(t.sim, &f);
  tu_url(&t, "/json", u, sizeof(u));
  for (i = 0; i < N; i++) {
    cmx_request *r = cmx_request_new("GET", u);
    cmx_request_set_lane(r, "mix");
    cmx_request_set_timeout_ms(r, 500);
    cmx_request_set_deadline_ms(r, 60000);
    ones[i].m = &m;
    ones[i].idx = i;
    ck_assert_int_eq(cmx_submit(t.engine, r, many_done, &ones[i], NULL),
                     CMX_OK);
  }
  ck_assert(tu_run_idle(&t, 240000));
  ck_assert_int_eq(m.calls, N);
  ck_assert_int_eq(m.dup, 0);
  for (i = 0; i < N; i++)
    ck_assert_int_eq(m.seen[i], 1);
  /* Success or one of the clear codes of these faults. */
  ck_assert_int_eq(m.by_code[0] + m.by_code[-CMX_ETRANSPORT] +
                       m.by_code[-CMX_EHTTP] + m.by_code[-CMX_ERATELIMIT] +
                       m.by_code[-CMX_ETIMEDOUT],
                   N);
  ck_assert_int_gt(m.by_code[0], N / 2);
  /* Nothing beyond the retry budget reached the server. */
  served = sim_counter(t.sim, "generic GET /json");
  printf("fault mix: %d ok, %d ETRANSPORT, %d EHTTP, %d ERATELIMIT, "
         "%d ETIMEDOUT; server saw %lld requests for %d calls\n",
         m.by_code[0], m.by_code[-CMX_ETRANSPORT], m.by_code[-CMX_EHTTP],
         m.by_code[-CMX_ERATELIMIT], m.by_code[-CMX_ETIMEDOUT],
         (long long)served, N);
  fflush(stdout);
  /* Every retry came out of the budget: at most 10 + 20 % of the calls. */
  ck_assert_int_le(served, N + N * 20 / 100 + 10);
  stats = cmx_engine_stats_json(t.engine);
  ck_assert_ptr_nonnull(strstr(stats, "\"name\":\"mix\""));
  {
    struct json_object *j = json_tokener_parse(stats), *lanes, *v;
    size_t k;
    int64_t retried = -1;
    ck_assert(json_object_object_get_ex(j, "lanes", &lanes));
    for (k = 0; k < json_object_array_length(lanes); k++) {
      struct json_object *ln = json_object_array_get_idx(lanes, k);
      if (json_object_object_get_ex(ln, "name", &v) &&
          strcmp(json_object_get_string(v), "mix") == 0 &&
          json_object_object_get_ex(ln, "retried", &v))
        retried = json_object_get_int64(v);
    }
    /* The faults were met and retried, up to the budget. */
    ck_assert_int_gt(retried, N / 20);
    ck_assert_int_le(retried, N * 20 / 100 + 10);
    json_object_put(j);
  }
  free(stats);
  tu_teardown(&t);
  free(ones);
  free(m.seen);
}
END_TEST

/* ---- method safety and idle ------------------------------------------------
 */

static void submit_to(tu_env *t, const char *method, const char *path,
                      int safe, tu_result *r)
{
  char u[256];
  cmx_request *q = cmx_request_new(method, tu_url(t, path, u, sizeof(u)));

  cmx_request_set_lane(q, "safety");
  if (safe)
    cmx_request_set_retry_safe(q, 1);
  ck_assert_int_eq(cmx_submit(t->engine, q, tu_done, r, NULL), CMX_OK);
}

/* A 502 may or may not have been applied: a POST is retried only when the
 * caller marks it safe; a GET always; a 503 or 429 (refused, not applied)
 * for any method; a 401 never. */
START_TEST(test_method_safety)
{
  tu_env t;
  tu_result post = {0}, post_safe = {0}, get = {0}, post503 = {0},
            get401 = {0};
  cmx_retry_policy rp;

  tu_setup(&t, NULL);
  cmx_retry_policy_default(&rp);
  rp.max_attempts = 3;
  rp.base_ms = 1;
  rp.cap_ms = 5;
  cmx_lane_set_retry(cmx_engine_lane(t.engine, "safety"), &rp);
  submit_to(&t, "POST", "/status/502", 0, &post);
  submit_to(&t, "POST", "/status/502", 1, &post_safe);
  submit_to(&t, "GET", "/status/502", 0, &get);
  submit_to(&t, "POST", "/status/503", 0, &post503);
  submit_to(&t, "GET", "/status/401", 0, &get401);
  ck_assert(tu_run_idle(&t, 20000));
  ck_assert_int_eq(post.calls, 1);
  ck_assert_int_eq(post.attempts, 1);
  ck_assert_int_eq(post.code, CMX_EHTTP);
  ck_assert_int_eq(post.status, 502);
  ck_assert_int_eq(post_safe.attempts, 3);
  ck_assert_int_eq(get.attempts, 3);
  ck_assert_int_eq(post503.attempts, 3);
  ck_assert_int_eq(get401.attempts, 1);
  ck_assert_int_eq(get401.code, CMX_EAUTH);
  ck_assert_int_eq(sim_counter(t.sim, "generic ANY /status/*"), 11);
  tu_teardown(&t);
}
END_TEST

/* A POST on a kept-alive connection that the server closes without a
 * reply: libcurl would send it again on a new connection on its own; the
 * engine stops that resend (the first may have been applied) unless the
 * call is retry-safe. */
START_TEST(test_post_not_resent_on_dead_reused_connection)
{
  tu_env t;
  tu_result warm = {0}, post = {0}, warm2 = {0}, post_safe = {0};
  sim_fault f;
  char u[256];
  cmx_request *r;

  tu_setup(&t, NULL);
  cmx_lane_set_max_inflight(cmx_engine_lane(t.engine, "reuse"), 1);
  tu_url(&t, "/echo", u, sizeof(u));
  r = cmx_request_new("GET", u);
  cmx_request_set_lane(r, "reuse");
  ck_assert_int_eq(cmx_submit(t.engine, r, tu_done, &warm, NULL), CMX_OK);
  ck_assert(tu_run_idle(&t, 10000));
  ck_assert_int_eq(warm.code, CMX_OK);

  memset(&f, 0, sizeof(f));
  f.method = "POST";
  f.path = "/echo";
  f.kind = SIM_FAULT_DROP;
  f.count = 1;
  ck_assert_int_eq(sim_fault_add(t.sim, &f), 0);
  r = cmx_request_new("POST", u);
  cmx_request_set_lane(r, "reuse");
  cmx_request_set_body(r, "{}", 2, "application/json");
  ck_assert_int_eq(cmx_submit(t.engine, r, tu_done, &post, NULL), CMX_OK);
  ck_assert(tu_run_idle(&t, 10000));
  ck_assert_int_eq(post.calls, 1);
  ck_assert_int_eq(post.code, CMX_ETRANSPORT);
  ck_assert_int_eq(post.attempts, 1);
  /* The server saw the GET and one POST: nothing was sent twice. */
  ck_assert_int_eq(sim_counter(t.sim, "generic ANY /echo"), 2);

  /* The same with a retry-safe POST: resent (once), and it succeeds. */
  r = cmx_request_new("GET", u);
  cmx_request_set_lane(r, "reuse");
  ck_assert_int_eq(cmx_submit(t.engine, r, tu_done, &warm2, NULL), CMX_OK);
  ck_assert(tu_run_idle(&t, 10000));
  ck_assert_int_eq(sim_fault_add(t.sim, &f), 0);
  r = cmx_request_new("POST", u);
  cmx_request_set_lane(r, "reuse");
  cmx_request_set_retry_safe(r, 1);
  cmx_request_set_body(r, "{}", 2, "application/json");
  ck_assert_int_eq(cmx_submit(t.engine, r, tu_done, &post_safe, NULL), CMX_OK);
  ck_assert(tu_run_idle(&t, 10000));
  ck_assert_int_eq(post_safe.code, CMX_OK);
  ck_assert_int_eq(sim_counter(t.sim, "generic ANY /echo"), 5);
  tu_teardown(&t);
}
END_TEST

/* ---- injected clock
 * ---------------------------------------------------------- */

static uint64_t fake_now;

static uint64_t fake_clock(void *ud)
{
  (void)ud;
  return fake_now;
}

static void bump(cmx_engine *e, int code, void *ud)
{
  (void)e;
  if (code == CMX_OK)
    (*(int *)ud)++;
}

/* An hour-long timer on an injected clock fires as soon as the clock is
 * moved past it and the engine looks (a 0 ms timer), not an hour later. */
START_TEST(test_fake_clock_jump)
{
  struct event_base *base = event_base_new();
  cmx_options *o = cmx_options_new();
  cmx_engine *e;
  int hour = 0, now = 0, flag = 0;

  fake_now = 1000;
  cmx_options_set_clock(o, fake_clock, NULL);
  e = cmx_engine_new(base, o);
  cmx_options_free(o);
  ck_assert_int_eq(cmx_engine_now(e), 1000);
  ck_assert_int_eq(cmx_timer_start(e, 3600000, bump, &hour, NULL), CMX_OK);
  tu_run_until(base, &flag, 100);
  ck_assert_int_eq(hour, 0);
  fake_now += 3600000;
  ck_assert_int_eq(cmx_timer_start(e, 0, bump, &now, NULL), CMX_OK);
  tu_run_until(base, &hour, 2000);
  ck_assert_int_eq(now, 1);
  ck_assert_int_eq(hour, 1);
  ck_assert_int_eq(cmx_engine_outstanding(e), 0);
  cmx_engine_free(e);
  event_base_free(base);
}
END_TEST

static int count_timed(const struct event_base *base, const struct event *ev,
                       void *ud)
{
  int *n = ud;

  (void)base;
  if (event_pending(ev, EV_TIMEOUT, NULL))
    (*n)++;
  return 0;
}

/* After a burst of rate-limited, retried and cancelled calls, an idle
 * engine keeps no timer armed on the loop: it wakes up zero times. */
START_TEST(test_idle_engine_arms_no_timer)
{
  tu_env t;
  many m;
  one *ones = calloc(300, sizeof(*ones));
  cmx_lane *l;
  sim_fault f;
  char u[256];
  int i, timed = -1;
  cmx_call *last = NULL;
  cmx_retry_policy rp;

  memset(&m, 0, sizeof(m));
  m.seen = calloc(300, sizeof(int));
  tu_setup(&t, NULL);
  l = cmx_engine_lane(t.engine, "idle");
  cmx_lane_set_rate(l, 2000, 10);
  /* Every 7th request fails: enough attempts and budget that none runs
   * out (this test is about timers, not about giving up). */
  cmx_retry_policy_default(&rp);
  rp.max_attempts = 10;
  rp.budget_percent = 100;
  rp.base_ms = 1;
  rp.cap_ms = 20;
  cmx_lane_set_retry(l, &rp);
  memset(&f, 0, sizeof(f));
  f.path = "/json";
  f.count = -1;
  f.kind = SIM_FAULT_STATUS;
  f.status = 503;
  f.every = 7;
  sim_fault_add(t.sim, &f);
  tu_url(&t, "/json", u, sizeof(u));
  for (i = 0; i < 300; i++) {
    cmx_request *r = cmx_request_new("GET", u);
    cmx_request_set_lane(r, "idle");
    cmx_request_set_deadline_ms(r, 30000);
    ones[i].m = &m;
    ones[i].idx = i;
    ck_assert_int_eq(cmx_submit(t.engine, r, many_done, &ones[i], &last),
                     CMX_OK);
  }
  cmx_call_cancel(last);
  ck_assert(tu_run_idle(&t, 30000));
  ck_assert_int_eq(m.calls, 300);
  ck_assert_int_eq(m.by_code[-CMX_ECANCELED], 1);
  ck_assert_int_eq(m.ok, 299);
  ck_assert_int_eq(cmx_engine_outstanding(t.engine), 0);
  /* Let anything the last callbacks left behind run out, then take the
   * simulator (which keeps its own connection timers) off the loop. */
  {
    int flag = 0;
    tu_run_until(t.base, &flag, 200);
  }
  sim_free(t.sim);
  t.sim = NULL;
  timed = 0;
  event_base_foreach_event(t.base, count_timed, &timed);
  ck_assert_int_eq(timed, 0);
  tu_teardown(&t);
  free(ones);
  free(m.seen);
}
END_TEST

static void drained(cmx_engine *e, void *ud)
{
  int *d = ud;

  (void)e;
  *d = 1;
}

START_TEST(test_drain)
{
  tu_env t;
  tu_result r[3];
  char u[256];
  int d = 0, i;

  memset(r, 0, sizeof(r));
  tu_setup(&t, NULL);
  for (i = 0; i < 3; i++)
    ck_assert_int_eq(tu_get(&t, "/slow/100", &r[i]), CMX_OK);
  ck_assert_int_eq(cmx_engine_drain(t.engine, drained, &d), CMX_OK);
  ck_assert_int_eq(
      cmx_submit(t.engine,
                 cmx_request_new("GET", tu_url(&t, "/json", u, sizeof(u))),
                 tu_done, &r[0], NULL),
      CMX_ESHUTDOWN);
  ck_assert(tu_run_until(t.base, &d, 10000));
  for (i = 0; i < 3; i++) {
    ck_assert_int_eq(r[i].calls, 1);
    ck_assert_int_eq(r[i].code, CMX_OK);
  }
  tu_teardown(&t);
}
END_TEST

static Suite *lane_suite(void)
{
  Suite *s = suite_create("lane");
  TCase *tc = tcase_create("scheduler");

  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, test_interactive_before_bulk);
  tcase_add_test(tc, test_queue_bound);
  tcase_add_test(tc, test_drain);
  tcase_add_test(tc, test_method_safety);
  tcase_add_test(tc, test_post_not_resent_on_dead_reused_connection);
  tcase_add_test(tc, test_idle_engine_arms_no_timer);
  tcase_add_test(tc, test_fake_clock_jump);
  tcase_add_test(tc, test_lane_at_server_limit_no_429);
  tcase_add_test(tc, test_lane_above_limit_converges);
  tcase_add_test(tc, test_lane_above_limit_with_quota_headers);
  tcase_add_test(tc, test_fault_mix_every_call_once);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(lane_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
