/* The engine's contracts, against the in-process simulator. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "testutil.h"

/* ---- errors ---------------------------------------------------------- */

START_TEST(test_error_names)
{
  ck_assert_str_eq(cmx_code_name(CMX_OK), "OK");
  ck_assert_str_eq(cmx_code_name(CMX_ETIMEDOUT), "ETIMEDOUT");
  ck_assert_str_eq(cmx_strerror(CMX_ECANCELED), "call cancelled");
  ck_assert_str_eq(cmx_code_name(-9999), "UNKNOWN");
  ck_assert_str_eq(cmx_strerror(12345), "unknown error code");
#define CHECK_ONE(name, num, msg)                                             \
  ck_assert_str_eq(cmx_code_name(num), #name);                                \
  ck_assert_str_eq(cmx_strerror(num), msg);
  CMX_ERRNO_MAP(CHECK_ONE)
#undef CHECK_ONE
}
END_TEST

/* ---- request building -------------------------------------------------- */

static void echo_json(tu_result *r, struct json_object **out)
{
  *out = json_tokener_parse(r->body);
  ck_assert_msg(*out != NULL, "echo body is JSON: %s", r->body);
}

START_TEST(test_request_validation)
{
  cmx_request *r;

  ck_assert_ptr_null(cmx_request_new("GET", "ftp://x/"));
  ck_assert_ptr_null(cmx_request_new("GET", "/relative"));
  ck_assert_ptr_null(cmx_request_new("G E T", "http://x/"));
  ck_assert_ptr_null(cmx_request_new("", "http://x/"));
  ck_assert_ptr_null(cmx_request_new("GET", "http://x/a b"));
  r = cmx_request_new("GET", "http://127.0.0.1/");
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(cmx_request_add_header(r, "X-A", "a\r\nInjected: 1"),
                   CMX_EINVAL);
  ck_assert_int_eq(cmx_request_add_header(r, "Bad Name", "v"), CMX_EINVAL);
  ck_assert_int_eq(cmx_request_add_header(r, "X-Ok", "v"), CMX_OK);
  ck_assert_int_eq(cmx_request_add_query(r, "", "v"), CMX_EINVAL);
  ck_assert_int_eq(cmx_request_set_body(r, NULL, 3, NULL), CMX_EINVAL);
  cmx_request_free(r);
}
END_TEST

START_TEST(test_query_and_headers_on_wire)
{
  tu_env t;
  tu_result res = {0};
  char u[256];
  cmx_request *r;
  struct json_object *j, *q, *h, *v;

  tu_setup(&t, NULL);
  r = cmx_request_new("GET", tu_url(&t, "/echo", u, sizeof(u)));
  ck_assert_int_eq(cmx_request_add_query(r, "q", "a b&c=d/é"), CMX_OK);
  ck_assert_int_eq(cmx_request_add_query(r, "ids[]", "1"), CMX_OK);
  ck_assert_int_eq(cmx_request_add_header(r, "X-Trace", "t-1"), CMX_OK);
  ck_assert_int_eq(cmx_submit(t.engine, r, tu_done, &res, NULL), CMX_OK);
  ck_assert(tu_run_until(t.base, &res.calls, 5000));
  ck_assert_int_eq(res.code, CMX_OK);
  echo_json(&res, &j);
  ck_assert(json_object_object_get_ex(j, "query", &q));
  ck_assert(json_object_object_get_ex(q, "q", &v));
  ck_assert_str_eq(json_object_get_string(v), "a b&c=d/é");
  ck_assert(json_object_object_get_ex(q, "ids[]", &v));
  ck_assert(json_object_object_get_ex(j, "headers", &h));
  ck_assert(json_object_object_get_ex(h, "x-trace", &v));
  ck_assert_str_eq(json_object_get_string(v), "t-1");
  ck_assert(json_object_object_get_ex(h, "user-agent", &v));
  ck_assert_str_eq(json_object_get_string(v), "callmux/" CMX_VERSION);
  json_object_put(j);
  tu_teardown(&t);
}
END_TEST

/* ---- bodies ------------------------------------------------------------ */

static long gen_body(void *buf, size_t cap, uint64_t pos, void *ud)
{
  uint64_t total = *(uint64_t *)ud;
  size_t n = cap, i;

  if (pos >= total)
    return 0;
  if (n > total - pos)
    n = (size_t)(total - pos);
  for (i = 0; i < n; i++)
    ((char *)buf)[i] = (char)('a' + (pos + i) % 26);
  return (long)n;
}

START_TEST(test_bodies_memory_and_callback)
{
  tu_env t;
  tu_result a = {0}, b = {0}, c = {0};
  char u[256];
  static const char text[] = "{\"hello\":\"world\"}";
  static uint64_t total = 100000;
  cmx_request *r;
  struct json_object *j, *v;

  tu_setup(&t, NULL);
  r = cmx_request_new("POST", tu_url(&t, "/echo", u, sizeof(u)));
  ck_assert_int_eq(
      cmx_request_set_body(r, text, strlen(text), "application/json"), CMX_OK);
  ck_assert_int_eq(cmx_submit(t.engine, r, tu_done, &a, NULL), CMX_OK);
  r = cmx_request_new("PUT", tu_url(&t, "/echo", u, sizeof(u)));
  ck_assert_int_eq(
      cmx_request_set_body_borrowed(r, text, strlen(text), NULL, "text/plain"),
      CMX_OK);
  ck_assert_int_eq(cmx_submit(t.engine, r, tu_done, &b, NULL), CMX_OK);
  r = cmx_request_new("POST", tu_url(&t, "/sink", u, sizeof(u)));
  ck_assert_int_eq(
      cmx_request_set_body_cb(r, (int64_t)total, gen_body, &total, NULL),
      CMX_OK);
  ck_assert_int_eq(cmx_submit(t.engine, r, tu_done, &c, NULL), CMX_OK);
  ck_assert(tu_run_idle(&t, 10000));
  ck_assert_int_eq(a.code, CMX_OK);
  echo_json(&a, &j);
  ck_assert(json_object_object_get_ex(j, "method", &v));
  ck_assert_str_eq(json_object_get_string(v), "POST");
  ck_assert(json_object_object_get_ex(j, "body", &v));
  ck_assert_str_eq(json_object_get_string(v), text);
  json_object_put(j);
  ck_assert_int_eq(b.code, CMX_OK);
  echo_json(&b, &j);
  ck_assert(json_object_object_get_ex(j, "method", &v));
  ck_assert_str_eq(json_object_get_string(v), "PUT");
  json_object_put(j);
  ck_assert_int_eq(c.code, CMX_OK);
  echo_json(&c, &j);
  ck_assert(json_object_object_get_ex(j, "bytes", &v));
  ck_assert_int_eq(json_object_get_int64(v), (int64_t)total);
  json_object_put(j);
  tu_teardown(&t);
}
END_TEST

typedef struct sinkstate {
  uint64_t bytes;
  int bad;
} sinkstate;

static int check_sink(const void *data, size_t len, uint64_t pos, void *ud)
{
  sinkstate *s = ud;
  size_t i;

  if (pos != s->bytes)
    s->bad = 1;
  for (i = 0; i < len; i++)
    if (((const unsigned char *)data)[i] != (unsigned char)((pos + i) % 251))
      s->bad = 1;
  s->bytes += len;
  return 0;
}

START_TEST(test_response_sinks_and_cap)
{
  tu_env t;
  tu_result a = {0}, b = {0}, c = {0};
  sinkstate ss = {0, 0};
  char u[256], path[] = "/tmp/cmx-sink-XXXXXX";
  int fd = mkstemp(path);
  cmx_request *r;
  unsigned char buf[4096];
  ssize_t n;
  off_t i;

  ck_assert_int_ge(fd, 0);
  unlink(path);
  tu_setup(&t, NULL);
  r = cmx_request_new("GET", tu_url(&t, "/bytes/300000", u, sizeof(u)));
  cmx_request_set_response_cb(r, check_sink, &ss);
  ck_assert_int_eq(cmx_submit(t.engine, r, tu_done, &a, NULL), CMX_OK);
  r = cmx_request_new("GET", tu_url(&t, "/bytes/20000", u, sizeof(u)));
  cmx_request_set_response_file(r, fd, 1000);
  ck_assert_int_eq(cmx_submit(t.engine, r, tu_done, &b, NULL), CMX_OK);
  r = cmx_request_new("GET", tu_url(&t, "/bytes/5000", u, sizeof(u)));
  cmx_request_set_response_cap(r, 4096);
  ck_assert_int_eq(cmx_submit(t.engine, r, tu_done, &c, NULL), CMX_OK);
  ck_assert(tu_run_idle(&t, 10000));
  ck_assert_int_eq(a.code, CMX_OK);
  ck_assert_int_eq(ss.bytes, 300000);
  ck_assert_int_eq(ss.bad, 0);
  ck_assert_int_eq(b.code, CMX_OK);
  ck_assert_int_eq(b.body_bytes, 20000);
  ck_assert_int_eq(lseek(fd, 0, SEEK_END), 21000);
  n = pread(fd, buf, sizeof(buf), 1000);
  ck_assert_int_eq(n, sizeof(buf));
  for (i = 0; i < n; i++)
    ck_assert_int_eq(buf[i], (unsigned char)(i % 251));
  ck_assert_int_eq(c.code, CMX_ETOOBIG);
  close(fd);
  tu_teardown(&t);
}
END_TEST

/* ---- distinct failure codes --------------------------------------------- */

START_TEST(test_failure_codes)
{
  tu_env t;
  tu_result refused = {0}, noname = {0}, trunc = {0}, badjson = {0},
            st404 = {0}, st401 = {0};
  char u[256];
  cmx_request *r;
  sim_fault f;
  int s;
  struct sockaddr_in sa;
  socklen_t sl = sizeof(sa);

  tu_setup(&t, NULL);
  /* A port that was just free: bind, read it, close. */
  s = socket(AF_INET, SOCK_STREAM, 0);
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(0x7f000001);
  ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
  getsockname(s, (struct sockaddr *)&sa, &sl);
  close(s);
  snprintf(u, sizeof(u), "http://127.0.0.1:%u/json", ntohs(sa.sin_port));
  r = cmx_request_new("GET", u);
  cmx_request_set_no_retry(r, 1);
  ck_assert_int_eq(cmx_submit(t.engine, r, tu_done, &refused, NULL), CMX_OK);

  r = cmx_request_new("GET", "http://no-such-host.invalid/json");
  ck_assert_int_eq(cmx_submit(t.engine, r, tu_done, &noname, NULL), CMX_OK);

  memset(&f, 0, sizeof(f));
  f.path = "/bytes/*";
  f.kind = SIM_FAULT_TRUNCATE;
  f.count = -1;
  ck_assert_int_eq(sim_fault_add(t.sim, &f), 0);
  r = cmx_request_new("GET", tu_url(&t, "/bytes/10000", u, sizeof(u)));
  cmx_request_set_no_retry(r, 1);
  ck_assert_int_eq(cmx_submit(t.engine, r, tu_done, &trunc, NULL), CMX_OK);

  f.path = "/json";
  f.kind = SIM_FAULT_BADJSON;
  ck_assert_int_eq(sim_fault_add(t.sim, &f), 0);
  r = cmx_request_new("GET", tu_url(&t, "/json", u, sizeof(u)));
  cmx_request_expect_json(r);
  ck_assert_int_eq(cmx_submit(t.engine, r, tu_done, &badjson, NULL), CMX_OK);

  ck_assert_int_eq(tu_get(&t, "/status/404", &st404), CMX_OK);
  ck_assert_int_eq(tu_get(&t, "/status/401", &st401), CMX_OK);
  ck_assert(tu_run_idle(&t, 30000));

  ck_assert_int_eq(refused.calls, 1);
  ck_assert_int_eq(refused.code, CMX_ECONNREFUSED);
  ck_assert_int_eq(noname.calls, 1);
  ck_assert_int_eq(noname.code, CMX_ERESOLVE);
  ck_assert_int_eq(trunc.calls, 1);
  ck_assert_int_eq(trunc.code, CMX_ETRUNCATED);
  ck_assert_int_eq(badjson.calls, 1);
  ck_assert_int_eq(badjson.code, CMX_EBADJSON);
  ck_assert_int_eq(st404.code, CMX_EHTTP);
  ck_assert_int_eq(st404.status, 404);
  ck_assert_int_eq(st404.attempts, 1);
  ck_assert_int_eq(st401.code, CMX_EAUTH);
  ck_assert_int_eq(st401.attempts, 1);
  ck_assert_ptr_null(strstr(refused.detail, "?"));
  tu_teardown(&t);
}
END_TEST

/* ---- exactly once ----------------------------------------------------------
 */

typedef struct counter {
  int calls;
  int by_code[32];
  cmx_engine *free_engine_at; /* free this engine on the first callback */
  int target;
  int done;
} counter;

static void count_done(cmx_call *call, const cmx_response *res, void *ud)
{
  counter *c = ud;
  int code = cmx_response_code(res);

  (void)call;
  c->calls++;
  if (-code >= 0 && -code < 32)
    c->by_code[-code]++;
  if (c->free_engine_at) {
    cmx_engine *e = c->free_engine_at;
    c->free_engine_at = NULL;
    cmx_engine_free(e);
  }
  if (c->target && c->calls >= c->target)
    c->done = 1;
}

START_TEST(test_cancel_everywhere)
{
  tu_env t;
  counter cq = {0}, cf = {0}, cb = {0}, ok = {0};
  char u[256];
  cmx_request *r;
  cmx_call *queued, *inflight, *backoff;
  cmx_lane *lane;
  sim_fault f;

  tu_setup(&t, NULL);
  lane = cmx_engine_lane(t.engine, "one");
  cmx_lane_set_max_inflight(lane, 1);
  /* In flight: a slow call; queued behind it in the same lane. */
  r = cmx_request_new("GET", tu_url(&t, "/slow/2000", u, sizeof(u)));
  cmx_request_set_lane(r, "one");
  ck_assert_int_eq(cmx_submit(t.engine, r, count_done, &cf, &inflight),
                   CMX_OK);
  r = cmx_request_new("GET", tu_url(&t, "/json", u, sizeof(u)));
  cmx_request_set_lane(r, "one");
  ck_assert_int_eq(cmx_submit(t.engine, r, count_done, &cq, &queued), CMX_OK);
  ck_assert_int_eq(cmx_lane_queued(lane), 1);
  /* In backoff: a 503 with a long Retry-After. */
  memset(&f, 0, sizeof(f));
  f.path = "/status/*";
  f.kind = SIM_FAULT_STATUS;
  f.status = 503;
  f.retry_after = "30";
  f.count = -1;
  sim_fault_add(t.sim, &f);
  r = cmx_request_new("GET", tu_url(&t, "/status/200", u, sizeof(u)));
  ck_assert_int_eq(cmx_submit(t.engine, r, count_done, &cb, &backoff), CMX_OK);
  /* Let the slow call and the 503 get going. */
  {
    int never = 0;
    tu_run_until(t.base, &never, 300);
  }
  ck_assert_int_eq(cf.calls, 0);
  ck_assert_int_eq(cb.calls, 0);
  cmx_call_cancel(queued);
  cmx_call_cancel(inflight);
  cmx_call_cancel(backoff);
  /* Not inside cancel: callbacks run from the loop. */
  ck_assert_int_eq(cq.calls + cf.calls + cb.calls, 0);
  cmx_call_cancel(queued); /* twice: no-op until delivered */
  ck_assert(tu_run_idle(&t, 5000));
  ck_assert_int_eq(cq.calls, 1);
  ck_assert_int_eq(cq.by_code[-CMX_ECANCELED], 1);
  ck_assert_int_eq(cf.calls, 1);
  ck_assert_int_eq(cf.by_code[-CMX_ECANCELED], 1);
  ck_assert_int_eq(cb.calls, 1);
  ck_assert_int_eq(cb.by_code[-CMX_ECANCELED], 1);
  /* The lane still works after cancelling its in-flight call. */
  r = cmx_request_new("GET", tu_url(&t, "/json", u, sizeof(u)));
  cmx_request_set_lane(r, "one");
  ck_assert_int_eq(cmx_submit(t.engine, r, count_done, &ok, NULL), CMX_OK);
  ck_assert(tu_run_idle(&t, 5000));
  ck_assert_int_eq(ok.by_code[0], 1);
  tu_teardown(&t);
}
END_TEST

START_TEST(test_deadline_everywhere)
{
  tu_env t;
  counter cq = {0}, cf = {0}, cb = {0};
  char u[256];
  cmx_request *r;
  sim_fault f;

  tu_setup(&t, NULL);
  cmx_lane_set_max_inflight(cmx_engine_lane(t.engine, "one"), 1);
  memset(&f, 0, sizeof(f));
  f.path = "/json";
  f.kind = SIM_FAULT_STALL;
  f.count = -1;
  sim_fault_add(t.sim, &f);
  /* In flight on a stalled route, deadline 300 ms. */
  r = cmx_request_new("GET", tu_url(&t, "/json", u, sizeof(u)));
  cmx_request_set_lane(r, "one");
  cmx_request_set_deadline_ms(r, 300);
  ck_assert_int_eq(cmx_submit(t.engine, r, count_done, &cf, NULL), CMX_OK);
  /* Queued behind it, deadline 200 ms. */
  r = cmx_request_new("GET", tu_url(&t, "/json", u, sizeof(u)));
  cmx_request_set_lane(r, "one");
  cmx_request_set_deadline_ms(r, 200);
  ck_assert_int_eq(cmx_submit(t.engine, r, count_done, &cq, NULL), CMX_OK);
  /* Backoff: 503 with Retry-After 1 s and a deadline of 2.5 s: one retry
   * fits, the second would not, so it ends with the 503 long before the
   * deadline... unless backoff crosses it: use 1.5 s deadline so the first
   * backoff (1 s) fits and the second attempt's backoff does not. */
  f.path = "/status/*";
  f.kind = SIM_FAULT_STATUS;
  f.status = 503;
  f.retry_after = "1";
  sim_fault_add(t.sim, &f);
  r = cmx_request_new("GET", tu_url(&t, "/status/200", u, sizeof(u)));
  cmx_request_set_deadline_ms(r, 1500);
  ck_assert_int_eq(cmx_submit(t.engine, r, count_done, &cb, NULL), CMX_OK);
  ck_assert(tu_run_idle(&t, 10000));
  ck_assert_int_eq(cf.calls, 1);
  ck_assert_int_eq(cf.by_code[-CMX_ETIMEDOUT], 1);
  ck_assert_int_eq(cq.calls, 1);
  ck_assert_int_eq(cq.by_code[-CMX_ETIMEDOUT], 1);
  ck_assert_int_eq(cb.calls, 1);
  /* Two attempts, then no time for a third: the 503 is reported. */
  ck_assert_int_eq(cb.by_code[-CMX_EHTTP], 1);
  tu_teardown(&t);
}
END_TEST

START_TEST(test_free_from_callback)
{
  tu_env t;
  counter c = {0};
  char u[256];
  int i;

  tu_setup(&t, NULL);
  cmx_lane_set_max_inflight(cmx_engine_lane(t.engine, "http://127.0.0.1:1"),
                            1); /* unused lane */
  c.free_engine_at = t.engine;
  for (i = 0; i < 200; i++) {
    cmx_request *r = cmx_request_new(
        "GET", tu_url(&t, i == 0 ? "/json" : "/slow/3000", u, sizeof(u)));
    ck_assert_int_eq(cmx_submit(t.engine, r, count_done, &c, NULL), CMX_OK);
  }
  c.target = 200;
  ck_assert(tu_run_until(t.base, &c.done, 10000));
  ck_assert_int_eq(c.calls, 200);
  ck_assert_int_eq(c.by_code[0], 1);
  ck_assert_int_eq(c.by_code[-CMX_ECANCELED], 199);
  t.engine = NULL; /* freed by the callback */
  tu_teardown(&t);
}
END_TEST

START_TEST(test_free_outside_callback)
{
  tu_env t;
  counter c = {0};
  char u[256];
  int i;
  cmx_timer *tm;

  tu_setup(&t, NULL);
  for (i = 0; i < 50; i++) {
    cmx_request *r =
        cmx_request_new("GET", tu_url(&t, "/slow/5000", u, sizeof(u)));
    ck_assert_int_eq(cmx_submit(t.engine, r, count_done, &c, NULL), CMX_OK);
  }
  ck_assert_int_eq(cmx_timer_start(t.engine, 100000, NULL, NULL, &tm),
                   CMX_EINVAL);
  {
    int never = 0;
    tu_run_until(t.base, &never, 100);
  }
  cmx_engine_free(t.engine);
  t.engine = NULL;
  ck_assert_int_eq(c.calls, 50);
  ck_assert_int_eq(c.by_code[-CMX_ECANCELED], 50);
  tu_teardown(&t);
}
END_TEST

START_TEST(test_ten_thousand_calls)
{
  tu_env t;
  counter c = {0};
  char u[256];
  int i;
  char *stats;
  struct json_object *j, *lanes, *lane, *v;

  tu_setup(&t, NULL);
  tu_url(&t, "/json", u, sizeof(u));
  for (i = 0; i < 10000; i++) {
    cmx_request *r = cmx_request_new("GET", u);
    ck_assert_int_eq(cmx_submit(t.engine, r, count_done, &c, NULL), CMX_OK);
  }
  ck_assert(tu_run_idle(&t, 120000));
  ck_assert_int_eq(c.calls, 10000);
  ck_assert_int_eq(c.by_code[0], 10000);
  stats = cmx_engine_stats_json(t.engine);
  ck_assert_ptr_nonnull(stats);
  j = json_tokener_parse(stats);
  ck_assert(json_object_object_get_ex(j, "lanes", &lanes));
  lane = json_object_array_get_idx(lanes, 0);
  ck_assert(json_object_object_get_ex(lane, "ok", &v));
  ck_assert_int_eq(json_object_get_int64(v), 10000);
  ck_assert(json_object_object_get_ex(lane, "service_time", &v));
  json_object_put(j);
  free(stats);
  tu_teardown(&t);
}
END_TEST

/* ---- connection reuse ------------------------------------------------------
 */

typedef struct ports {
  int calls, ok;
  int seen[65536];
  int distinct;
} ports;

static void port_done(cmx_call *call, const cmx_response *res, void *ud)
{
  ports *p = ud;
  struct json_object *j, *v;
  size_t len;
  const char *b = cmx_response_body(res, &len);

  (void)call;
  p->calls++;
  if (cmx_response_code(res) != CMX_OK || !b)
    return;
  j = json_tokener_parse(b);
  if (j && json_object_object_get_ex(j, "peer_port", &v)) {
    int port = json_object_get_int(v);
    if (port > 0 && port < 65536 && !p->seen[port]++)
      p->distinct++;
    p->ok++;
  }
  json_object_put(j);
}

/* 400 calls, 4 at a time: they share a handful of kept-alive connections
 * (the server sees the client's port of each request). */
START_TEST(test_keepalive_reuse)
{
  tu_env t;
  ports *p = calloc(1, sizeof(*p));
  char u[256];
  int i;

  tu_setup(&t, NULL);
  tu_url(&t, "/echo", u, sizeof(u));
  cmx_lane_set_max_inflight(cmx_engine_lane(t.engine, "ka"), 4);
  for (i = 0; i < 400; i++) {
    cmx_request *r = cmx_request_new("GET", u);
    cmx_request_set_lane(r, "ka");
    ck_assert_int_eq(cmx_submit(t.engine, r, port_done, p, NULL), CMX_OK);
  }
  ck_assert(tu_run_idle(&t, 60000));
  ck_assert_int_eq(p->calls, 400);
  ck_assert_int_eq(p->ok, 400);
  printf("keep-alive: 400 calls over %d connections\n", p->distinct);
  ck_assert_int_ge(p->distinct, 1);
  ck_assert_int_le(p->distinct, 8);
  tu_teardown(&t);
  free(p);
}
END_TEST

/* ---- pooled handles keep no state of the call before ----------------------
 */

typedef struct seqrec {
  int n;
  char method[8][16];
  long body_len[8];
  long status[8];
} seqrec;

static void seq_done(cmx_call *call, const cmx_response *res, void *ud)
{
  seqrec *q = ud;
  struct json_object *j, *v;
  size_t len;
  const char *b = cmx_response_body(res, &len);
  int i = q->n++;

  (void)call;
  q->status[i] = cmx_response_status(res);
  q->body_len[i] = -1;
  snprintf(q->method[i], sizeof(q->method[i]), "%s", "?");
  j = b && len ? json_tokener_parse(b) : NULL;
  if (j && json_object_object_get_ex(j, "method", &v))
    snprintf(q->method[i], sizeof(q->method[i]), "%s",
             json_object_get_string(v));
  if (j && json_object_object_get_ex(j, "body_len", &v))
    q->body_len[i] = (long)json_object_get_int64(v);
  json_object_put(j);
}

/* One call at a time on one lane, so every call reuses the pooled easy
 * handle of the one before: each goes out with its own method and body. */
START_TEST(test_pooled_handle_method_sequence)
{
  static const char *const methods[] = {"PUT",    "GET",  "HEAD", "POST",
                                        "DELETE", "POST", "GET",  "PATCH"};
  static const char *const bodies[] = {"0123456789", NULL, NULL, "{\"a\":1}",
                                       NULL,         NULL, NULL, "xy"};
  tu_env t;
  seqrec q;
  char u[256];
  int i;

  memset(&q, 0, sizeof(q));
  tu_setup(&t, NULL);
  cmx_lane_set_max_inflight(cmx_engine_lane(t.engine, "seq"), 1);
  tu_url(&t, "/echo", u, sizeof(u));
  for (i = 0; i < 8; i++) {
    cmx_request *r = cmx_request_new(methods[i], u);
    cmx_request_set_lane(r, "seq");
    if (bodies[i])
      cmx_request_set_body(r, bodies[i], strlen(bodies[i]), "text/plain");
    ck_assert_int_eq(cmx_submit(t.engine, r, seq_done, &q, NULL), CMX_OK);
  }
  ck_assert(tu_run_idle(&t, 10000));
  ck_assert_int_eq(q.n, 8);
  for (i = 0; i < 8; i++) {
    ck_assert_int_eq(q.status[i], 200);
    if (strcmp(methods[i], "HEAD") == 0) {
      ck_assert_int_eq(q.body_len[i], -1); /* no body came back */
      continue;
    }
    ck_assert_str_eq(q.method[i], methods[i]);
    ck_assert_int_eq(q.body_len[i], bodies[i] ? (long)strlen(bodies[i]) : 0);
  }
  ck_assert_int_eq(sim_counter(t.sim, "generic ANY /echo"), 8);
  tu_teardown(&t);
}
END_TEST

/* ---- redirects and secrets -------------------------------------------------
 */

START_TEST(test_redirect_drops_secrets_cross_host)
{
  tu_env t;
  tu_result same = {0}, cross = {0}, nofollow = {0};
  sim_service *other;
  char u[512], to[256];
  cmx_request *r;
  struct json_object *j, *h, *v;

  tu_setup(&t, NULL);
  other = sim_service_add(t.sim, "other", 0, 0);
  sim_generic_attach(other);
  /* Same origin: secret kept. */
  snprintf(to, sizeof(to), "%s/echo", t.url);
  r = cmx_request_new("GET", tu_url(&t, "/redirect", u, sizeof(u)));
  cmx_request_add_query(r, "to", to);
  cmx_request_add_secret_header(r, "X-Auth-Token", "s3cr3t");
  cmx_request_add_header(r, "x-plain", "p");
  cmx_request_set_follow(r, 3);
  cmx_submit(t.engine, r, tu_done, &same, NULL);
  /* Other port = other origin: secret dropped, plain header kept. */
  snprintf(to, sizeof(to), "%s/echo", sim_service_url(other));
  r = cmx_request_new("GET", tu_url(&t, "/redirect", u, sizeof(u)));
  cmx_request_add_query(r, "to", to);
  cmx_request_add_secret_header(r, "X-Auth-Token", "s3cr3t");
  cmx_request_add_header(r, "x-plain", "p");
  cmx_request_set_follow(r, 3);
  cmx_submit(t.engine, r, tu_done, &cross, NULL);
  /* Not asked to follow: the 302 comes back as is. */
  r = cmx_request_new("GET", tu_url(&t, "/redirect", u, sizeof(u)));
  cmx_request_add_query(r, "to", to);
  cmx_submit(t.engine, r, tu_done, &nofollow, NULL);
  ck_assert(tu_run_idle(&t, 10000));

  ck_assert_int_eq(same.code, CMX_OK);
  echo_json(&same, &j);
  json_object_object_get_ex(j, "headers", &h);
  ck_assert(json_object_object_get_ex(h, "x-auth-token", &v));
  ck_assert_str_eq(json_object_get_string(v), "s3cr3t");
  json_object_put(j);

  ck_assert_int_eq(cross.code, CMX_OK);
  echo_json(&cross, &j);
  json_object_object_get_ex(j, "headers", &h);
  ck_assert(!json_object_object_get_ex(h, "x-auth-token", &v));
  ck_assert(json_object_object_get_ex(h, "x-plain", &v));
  json_object_put(j);

  ck_assert_int_eq(nofollow.code, CMX_OK);
  ck_assert_int_eq(nofollow.status, 302);
  tu_teardown(&t);
}
END_TEST

typedef struct logcap {
  char text[65536];
  size_t len;
} logcap;

static void capture_log(cmx_log_level lvl, const char *msg, void *ud)
{
  logcap *l = ud;
  int n;

  (void)lvl;
  n = snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s\n", msg);
  if (n > 0 && l->len + (size_t)n < sizeof(l->text))
    l->len += (size_t)n;
}

START_TEST(test_log_never_has_secrets)
{
  tu_env t;
  tu_result a = {0}, b = {0};
  static logcap cap;
  cmx_options *o = cmx_options_new();
  char u[256];
  cmx_request *r;
  sim_fault f;

  memset(&cap, 0, sizeof(cap));
  cmx_options_set_log(o, CMX_LOG_DEBUG, capture_log, &cap);
  tu_setup(&t, o);
  cmx_options_free(o);
  memset(&f, 0, sizeof(f));
  f.path = "/status/*";
  f.kind = SIM_FAULT_STATUS;
  f.status = 429;
  f.retry_after = "0";
  f.count = 2;
  sim_fault_add(t.sim, &f);
  r = cmx_request_new("GET", tu_url(&t, "/status/500", u, sizeof(u)));
  cmx_request_add_query(r, "api_key", "QUERYSECRET");
  cmx_request_add_secret_header(r, "Authorization", "Token token=HDRSECRET");
  cmx_submit(t.engine, r, tu_done, &a, NULL);
  r = cmx_request_new("GET", "http://no-such-host.invalid/x?token=QSECRET2");
  cmx_submit(t.engine, r, tu_done, &b, NULL);
  ck_assert(tu_run_idle(&t, 20000));
  ck_assert_int_eq(a.code, CMX_EHTTP);
  ck_assert_int_ge(a.attempts, 3);
  ck_assert_int_gt(cap.len, 0);
  ck_assert_ptr_null(strstr(cap.text, "SECRET"));
  ck_assert_ptr_null(strstr(a.detail, "SECRET"));
  ck_assert_ptr_null(strstr(b.detail, "SECRET"));
  tu_teardown(&t);
}
END_TEST

/* ---- TLS -----------------------------------------------------------------
 */

START_TEST(test_tls_needs_ca)
{
  struct event_base *base = event_base_new();
  sim *s = sim_new(base);
  sim_service *svc;
  cmx_engine *bad, *good;
  cmx_options *o;
  tu_result a = {0}, b = {0};
  char dir[] = "/tmp/cmx-tls-XXXXXX", u[256];
  cmx_request *r;

  ck_assert_ptr_nonnull(mkdtemp(dir));
  ck_assert_int_eq(sim_tls_init(s, dir), 0);
  svc = sim_service_add(s, "secure", 0, 1);
  ck_assert_ptr_nonnull(svc);
  sim_generic_attach(svc);
  snprintf(u, sizeof(u), "%s/json", sim_service_url(svc));
  ck_assert(strncmp(u, "https://", 8) == 0);
  bad = cmx_engine_new(base, NULL);
  o = cmx_options_new();
  cmx_options_set_ca_file(o, sim_tls_ca_file(s));
  good = cmx_engine_new(base, o);
  cmx_options_free(o);
  r = cmx_request_new("GET", u);
  cmx_submit(bad, r, tu_done, &a, NULL);
  r = cmx_request_new("GET", u);
  cmx_submit(good, r, tu_done, &b, NULL);
  tu_run_until(base, &a.calls, 10000);
  tu_run_until(base, &b.calls, 10000);
  ck_assert_int_eq(a.calls, 1);
  ck_assert_int_eq(a.code, CMX_ETLS);
  ck_assert_int_eq(b.calls, 1);
  ck_assert_int_eq(b.code, CMX_OK);
  cmx_engine_free(bad);
  cmx_engine_free(good);
  sim_free(s);
  event_base_free(base);
  snprintf(u, sizeof(u), "%s/cert.pem", dir);
  unlink(u);
  snprintf(u, sizeof(u), "%s/key.pem", dir);
  unlink(u);
  rmdir(dir);
}
END_TEST

/* ---- HTTP/2
 * ------------------------------------------------------------------ */

typedef struct h2state {
  int calls, ok, h2;
} h2state;

static void h2_done(cmx_call *call, const cmx_response *res, void *ud)
{
  h2state *h = ud;

  (void)call;
  h->calls++;
  if (cmx_response_code(res) == CMX_OK && cmx_response_status(res) == 200)
    h->ok++;
  if (cmx_response_http_version(res) == 20)
    h->h2++;
}

static int free_port(void)
{
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0)
    close(fd);
  return port;
}

static int port_open(int port)
{
  struct sockaddr_in a;
  int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)port);
  ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
  if (fd >= 0)
    close(fd);
  return ok;
}

/* 200 calls, 50 at a time, to an HTTP/2 server (nghttpd, from Debian's
 * nghttp2-server, which quickstart installs): every response comes over
 * HTTP/2 and the calls share one or two multiplexed connections. */
START_TEST(test_http2_multiplexing)
{
  struct event_base *base = event_base_new();
  sim *s = sim_new(base);
  char dir[] = "/tmp/cmx-h2-XXXXXX", www[128], file[160], key[160], cert[160],
       portstr[16], u[256], *stats;
  cmx_options *o;
  cmx_engine *e;
  h2state h = {0, 0, 0};
  FILE *f;
  pid_t pid;
  int port, i;
  struct json_object *j, *eng, *v;
  const char *nghttpd =
      access("/usr/sbin/nghttpd", X_OK) == 0 ? "/usr/sbin/nghttpd" : "nghttpd";

  ck_assert_msg(access("/usr/sbin/nghttpd", X_OK) == 0 ||
                    system("command -v nghttpd >/dev/null 2>&1") == 0,
                "nghttpd (Debian package nghttp2-server) is needed for the "
                "HTTP/2 test; ./quickstart installs it");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  ck_assert_int_eq(sim_tls_init(s, dir), 0);
  snprintf(www, sizeof(www), "%s/www", dir);
  ck_assert_int_eq(mkdir(www, 0700), 0);
  snprintf(file, sizeof(file), "%s/hello.json", www);
  f = fopen(file, "w");
  ck_assert_ptr_nonnull(f);
  fputs("{\"hello\":\"h2\"}\n", f);
  fclose(f);
  snprintf(key, sizeof(key), "%s/key.pem", dir);
  snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
  port = free_port();
  ck_assert_int_gt(port, 0);
  snprintf(portstr, sizeof(portstr), "%d", port);
  pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 1);
      dup2(null, 2);
    }
    execlp(nghttpd, "nghttpd", "-a", "127.0.0.1", "-d", www, portstr, key,
           cert, (char *)NULL);
    _exit(127);
  }
  for (i = 0; i < 100 && !port_open(port); i++)
    usleep(50000);
  ck_assert_msg(port_open(port), "nghttpd did not start on port %d", port);

  o = cmx_options_new();
  cmx_options_set_ca_file(o, sim_tls_ca_file(s));
  e = cmx_engine_new(base, o);
  cmx_options_free(o);
  cmx_lane_set_max_inflight(cmx_engine_lane(e, "h2"), 50);
  snprintf(u, sizeof(u), "https://127.0.0.1:%d/hello.json", port);
  for (i = 0; i < 200; i++) {
    cmx_request *r = cmx_request_new("GET", u);
    cmx_request_set_lane(r, "h2");
    ck_assert_int_eq(cmx_submit(e, r, h2_done, &h, NULL), CMX_OK);
  }
  for (i = 0; i < 200 && h.calls < 200; i++) {
    int flag = 0;
    tu_run_until(base, &flag, 50);
  }
  stats = cmx_engine_stats_json(e);
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  ck_assert_int_eq(h.calls, 200);
  ck_assert_int_eq(h.ok, 200);
  ck_assert_int_eq(h.h2, 200);
  j = json_tokener_parse(stats);
  ck_assert(json_object_object_get_ex(j, "engine", &eng));
  ck_assert(json_object_object_get_ex(eng, "connections_opened", &v));
  printf("HTTP/2: 200 calls over %lld connection(s)\n",
         (long long)json_object_get_int64(v));
  ck_assert_int_ge(json_object_get_int64(v), 1);
  ck_assert_int_le(json_object_get_int64(v), 2);
  json_object_put(j);
  free(stats);
  cmx_engine_free(e);
  sim_free(s);
  event_base_free(base);
  unlink(file);
  rmdir(www);
  unlink(key);
  unlink(cert);
  rmdir(dir);
}
END_TEST

/* ---- threads, timers, work, own loop -------------------------------------
 */

typedef struct poststate {
  tu_env *t;
  int ran;
  int ok;
  int target;
  int done;
} poststate;

static void post_done(cmx_call *call, const cmx_response *res, void *ud)
{
  poststate *p = ud;

  (void)call;
  if (cmx_response_code(res) == CMX_OK)
    p->ok++;
  if (p->ok >= p->target)
    p->done = 1;
}

static void posted(cmx_engine *e, void *ud)
{
  poststate *p = ud;
  char u[256];

  if (!e)
    return;
  p->ran++;
  cmx_submit(e, cmx_request_new("GET", tu_url(p->t, "/json", u, sizeof(u))),
             post_done, p, NULL);
}

static void *poster(void *arg)
{
  poststate *p = arg;
  int i;

  for (i = 0; i < 250; i++)
    if (cmx_engine_post(p->t->engine, posted, p) != CMX_OK)
      abort();
  return NULL;
}

START_TEST(test_post_from_four_threads)
{
  tu_env t;
  poststate p = {0};
  pthread_t th[4];
  int i;

  tu_setup(&t, NULL);
  p.t = &t;
  p.target = 1000;
  for (i = 0; i < 4; i++)
    pthread_create(&th[i], NULL, poster, &p);
  for (i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  ck_assert(tu_run_until(t.base, &p.done, 60000));
  ck_assert_int_eq(p.ran, 1000);
  ck_assert_int_eq(p.ok, 1000);
  tu_teardown(&t);
}
END_TEST

typedef struct worksum {
  uint64_t in[8];
  uint64_t out[8];
  int done;
  int timers;
  int timer_code;
} worksum;

static void square(void *ud)
{
  uint64_t *v = ud;

  v[8] = v[0] * v[0]; /* out[i] sits 8 slots after in[i] */
}

static worksum *g_ws;

static void work_done2(cmx_engine *e, int code, void *ud)
{
  (void)e;
  (void)ud;
  if (code == CMX_OK)
    g_ws->done++;
}

static void timer_cb(cmx_engine *e, int code, void *ud)
{
  worksum *w = ud;

  (void)e;
  w->timers++;
  w->timer_code = code;
}

START_TEST(test_own_loop_timers_work)
{
  cmx_engine *e = cmx_engine_new(NULL, NULL);
  worksum w;
  cmx_timer *t1, *t2;
  int i;

  memset(&w, 0, sizeof(w));
  g_ws = &w;
  ck_assert_ptr_nonnull(e);
  ck_assert_int_eq(cmx_engine_run(e), CMX_OK); /* nothing to do */
  for (i = 0; i < 8; i++) {
    w.in[i] = (uint64_t)i + 3;
    ck_assert_int_eq(cmx_engine_work(e, square, work_done2, &w.in[i]), CMX_OK);
  }
  ck_assert_int_eq(cmx_timer_start(e, 50, timer_cb, &w, &t1), CMX_OK);
  ck_assert_int_eq(cmx_timer_start(e, 60000, timer_cb, &w, &t2), CMX_OK);
  cmx_timer_cancel(t2);
  ck_assert_int_eq(cmx_engine_run(e), CMX_OK);
  ck_assert_int_eq(w.done, 8);
  for (i = 0; i < 8; i++)
    ck_assert_int_eq(w.out[i], ((uint64_t)i + 3) * ((uint64_t)i + 3));
  ck_assert_int_eq(w.timers, 2);
  ck_assert_int_eq(cmx_engine_outstanding(e), 0);
  cmx_engine_free(e);
}
END_TEST

/* ---- UDP ------------------------------------------------------------------
 */

typedef struct udpstate {
  int sent, failed, calls;
} udpstate;

static void udp_cb(cmx_engine *e, int code, void *ud)
{
  udpstate *u = ud;

  (void)e;
  u->calls++;
  if (code == CMX_OK)
    u->sent++;
  else
    u->failed++;
}

START_TEST(test_udp_send)
{
  cmx_engine *e = cmx_engine_new(NULL, NULL);
  udpstate u = {0};
  int s = socket(AF_INET, SOCK_DGRAM, 0), i, got = 0;
  struct sockaddr_in sa;
  socklen_t sl = sizeof(sa);
  char buf[64];

  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(0x7f000001);
  ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
  getsockname(s, (struct sockaddr *)&sa, &sl);
  for (i = 0; i < 20; i++)
    ck_assert_int_eq(cmx_udp_send(e, i % 2 ? "127.0.0.1" : "localhost",
                                  ntohs(sa.sin_port), "hello", 5, udp_cb, &u),
                     CMX_OK);
  ck_assert_int_eq(
      cmx_udp_send(e, "no-such-host.invalid", 9, "x", 1, udp_cb, &u), CMX_OK);
  ck_assert_int_eq(cmx_udp_send(e, "127.0.0.1", 0, "x", 1, udp_cb, &u),
                   CMX_EINVAL);
  ck_assert_int_eq(u.calls, 0);
  ck_assert_int_eq(cmx_engine_run(e), CMX_OK);
  ck_assert_int_eq(u.calls, 21);
  ck_assert_int_eq(u.sent, 20);
  ck_assert_int_eq(u.failed, 1);
  fcntl(s, F_SETFL, O_NONBLOCK);
  while (recv(s, buf, sizeof(buf), 0) == 5)
    got++;
  ck_assert_int_eq(got, 20);
  close(s);
  cmx_engine_free(e);
}
END_TEST

/* ---- big bodies without holding them
 * ---------------------------------------- */

START_TEST(test_200mb_up_and_down)
{
  char base_url[256], u[300], path[] = "/tmp/cmx-big-XXXXXX";
  int pid = tu_spawn_sim("generic", "generic", base_url, sizeof(base_url));
  int fd = mkstemp(path);
  const uint64_t size = 200ull << 20;
  cmx_engine *e;
  cmx_request *r;
  tu_result up = {0}, down = {0};
  long rss0, rss1;
  static char chunk[1 << 20];
  uint64_t off;
  size_t i;
  unsigned char buf[65536];
  ssize_t n;

  ck_assert_msg(pid > 0, "callmux-sim started (CMX_SIM=%s)",
                getenv("CMX_SIM") ? getenv("CMX_SIM") : "unset");
  ck_assert_int_ge(fd, 0);
  unlink(path);
  for (i = 0; i < sizeof(chunk); i++)
    chunk[i] = (char)(i * 7);
  for (off = 0; off < size; off += sizeof(chunk))
    ck_assert_int_eq(pwrite(fd, chunk, sizeof(chunk), (off_t)off),
                     sizeof(chunk));
  rss0 = tu_rss_kb();
  e = cmx_engine_new(NULL, NULL);
  snprintf(u, sizeof(u), "%s/sink", base_url);
  r = cmx_request_new("PUT", u);
  cmx_request_set_body_file(r, fd, 0, size, "application/octet-stream");
  cmx_submit(e, r, tu_done, &up, NULL);
  ck_assert_int_eq(cmx_engine_run(e), CMX_OK);
  ck_assert_int_eq(up.code, CMX_OK);
  ck_assert_ptr_nonnull(strstr(up.body, "\"bytes\":209715200"));
  ftruncate(fd, 0);
  snprintf(u, sizeof(u), "%s/bytes/%llu", base_url, (unsigned long long)size);
  r = cmx_request_new("GET", u);
  cmx_request_set_response_file(r, fd, 0);
  cmx_submit(e, r, tu_done, &down, NULL);
  ck_assert_int_eq(cmx_engine_run(e), CMX_OK);
  rss1 = tu_rss_kb();
  ck_assert_int_eq(down.code, CMX_OK);
  ck_assert_int_eq(down.body_bytes, size);
  ck_assert_int_eq(lseek(fd, 0, SEEK_END), (off_t)size);
  n = pread(fd, buf, sizeof(buf), (off_t)(size - sizeof(buf)));
  ck_assert_int_eq(n, sizeof(buf));
  for (i = 0; i < sizeof(buf); i++)
    ck_assert_int_eq(buf[i], (unsigned char)((size - sizeof(buf) + i) % 251));
  printf("200 MB up + down: RSS before %ld KiB, after %ld KiB, peak %ld KiB\n",
         rss0, rss1, tu_peak_rss_kb());
  /* Neither body was held: growth stays far below 200 MB. */
  ck_assert_int_lt(rss1 - rss0, 32 * 1024);
  cmx_engine_free(e);
  close(fd);
  tu_kill_sim(pid);
}
END_TEST

static Suite *engine_suite(void)
{
  Suite *s = suite_create("engine");
  TCase *tc = tcase_create("core");

  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, test_error_names);
  tcase_add_test(tc, test_request_validation);
  tcase_add_test(tc, test_query_and_headers_on_wire);
  tcase_add_test(tc, test_bodies_memory_and_callback);
  tcase_add_test(tc, test_response_sinks_and_cap);
  tcase_add_test(tc, test_failure_codes);
  tcase_add_test(tc, test_cancel_everywhere);
  tcase_add_test(tc, test_deadline_everywhere);
  tcase_add_test(tc, test_free_from_callback);
  tcase_add_test(tc, test_free_outside_callback);
  tcase_add_test(tc, test_ten_thousand_calls);
  tcase_add_test(tc, test_keepalive_reuse);
  tcase_add_test(tc, test_pooled_handle_method_sequence);
  tcase_add_test(tc, test_redirect_drops_secrets_cross_host);
  tcase_add_test(tc, test_log_never_has_secrets);
  tcase_add_test(tc, test_tls_needs_ca);
  tcase_add_test(tc, test_http2_multiplexing);
  tcase_add_test(tc, test_post_from_four_threads);
  tcase_add_test(tc, test_own_loop_timers_work);
  tcase_add_test(tc, test_udp_send);
  tcase_add_test(tc, test_200mb_up_and_down);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(engine_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
