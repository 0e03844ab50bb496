/*
 * The simulator framework itself: routing, faults, counters, the /_sim/
 * control API, the generic routes, TLS and callmux-sim.  No engine: the
 * simulator runs on this thread's event_base while plain blocking libcurl
 * calls run on a second thread.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/sim.h"

/* ---- a blocking HTTP client on another thread ------------------------ */

typedef struct job {
  const char *method; /* NULL: GET */
  char url[512];
  const char *body;
  size_t body_len;
  const char *cafile;
  const char *header;   /* one extra request header */
  long timeout_ms;      /* 0: 10 s */
  int check_pattern;    /* verify the i%251 pattern instead of storing */
  uint64_t abort_after; /* close after this many body bytes (0: never) */
  /* results */
  CURLcode rc;
  long status;
  char *resp;
  size_t resp_len;
  char hdrs[4096];
  size_t hlen;
  uint64_t got, bad;
} job;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
  job *j = ud;
  size_t len = sz * n, i;

  if (j->abort_after && j->got + len >= j->abort_after)
    return 0; /* curl closes the connection */
  if (j->check_pattern) {
    for (i = 0; i < len; i++)
      if ((unsigned char)p[i] != (j->got + i) % 251)
        j->bad++;
    j->got += len;
    return len;
  }
  j->got += len;
  if (j->resp_len + len > 8u * 1024 * 1024)
    return len; /* keep the first 8 MiB */
  {
    char *np = realloc(j->resp, j->resp_len + len + 1);
    if (!np)
      return 0;
    j->resp = np;
  }
  memcpy(j->resp + j->resp_len, p, len);
  j->resp_len += len;
  j->resp[j->resp_len] = '\0';
  return len;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
  job *j = ud;
  size_t len = sz * n;

  if (j->hlen + len < sizeof(j->hdrs)) {
    memcpy(j->hdrs + j->hlen, p, len);
    j->hlen += len;
    j->hdrs[j->hlen] = '\0';
  }
  return len;
}

static void job_do(job *j)
{
  CURL *c = curl_easy_init();
  struct curl_slist *h = NULL;

  ck_assert_ptr_nonnull(c);
  curl_easy_setopt(c, CURLOPT_URL, j->url);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, j);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, j);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   j->timeout_ms ? j->timeout_ms : 60000L);
  if (j->method && strcmp(j->method, "HEAD") == 0)
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  else if (j->method)
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, j->method);
  if (j->body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body_len);
    h = curl_slist_append(h, "Content-Type: application/json");
  }
  if (j->header)
    h = curl_slist_append(h, j->header);
  if (h)
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  if (j->cafile)
    curl_easy_setopt(c, CURLOPT_CAINFO, j->cafile);
  j->rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &j->status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
}

typedef struct batch {
  job *jobs;
  size_t n;
  atomic_int done;
} batch;

static void *batch_thread(void *arg)
{
  batch *b = arg;
  size_t i;

  for (i = 0; i < b->n; i++)
    job_do(&b->jobs[i]);
  atomic_store(&b->done, 1);
  return NULL;
}

typedef struct tick {
  batch *b;
  struct event_base *base;
} tick;

static void on_tick2(evutil_socket_t fd, short what, void *arg)
{
  tick *t = arg;
  (void)fd;
  (void)what;
  if (atomic_load(&t->b->done))
    event_base_loopbreak(t->base);
}

/* Run the jobs one after another on a thread while the loop serves them. */
static void run_jobs(struct event_base *base, job *jobs, size_t n)
{
  batch b;
  tick t;
  pthread_t th;
  struct event *ev;
  struct timeval tv = {0, 5000};

  b.jobs = jobs;
  b.n = n;
  atomic_init(&b.done, 0);
  t.b = &b;
  t.base = base;
  ev = event_new(base, -1, EV_PERSIST, on_tick2, &t);
  ck_assert_ptr_nonnull(ev);
  event_add(ev, &tv);
  ck_assert_int_eq(pthread_create(&th, NULL, batch_thread, &b), 0);
  event_base_dispatch(base);
  pthread_join(th, NULL);
  event_free(ev);
}

/* Let the loop run for `ms` (to let closes and timers be handled). */
static void spin(struct event_base *base, unsigned ms)
{
  struct timeval tv;

  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  event_base_loopexit(base, &tv);
  event_base_dispatch(base);
}

static void job_url(job *j, sim_service *svc, const char *path)
{
  memset(j, 0, sizeof(*j));
  snprintf(j->url, sizeof(j->url), "%s%s", sim_service_url(svc), path);
}

static void job_clear(job *j, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++) {
    free(j[i].resp);
    j[i].resp = NULL;
  }
}

/* ---- a test fixture: base + sim + generic service + a test service ---- */

typedef struct fx {
  struct event_base *base;
  sim *s;
  sim_service *gen; /* generic routes */
  sim_service *t;   /* test routes */
  int resets;
  sim_req *held; /* a deferred request */
  struct event *later;
  int fins; /* stream fin calls */
} fx;

static size_t fill_x(void *buf, size_t cap, uint64_t pos, void *arg)
{
  (void)pos;
  (void)arg;
  memset(buf, 'x', cap);
  return cap;
}

static void fin_count(void *arg)
{
  ((fx *)arg)->fins++;
}

static void h_stream(sim_req *r, void *arg)
{
  sim_reply_stream(r, 200, "text/plain",
                   strtoull(sim_req_param(r, 0), NULL, 10), fill_x, fin_count,
                   arg);
}

static void h_caps(sim_req *r, void *arg)
{
  char buf[512];
  const char *vals[4];
  size_t nv = sim_req_query_all(r, "v", vals, 4);
  const char *h = sim_req_header(r, "X-Test");

  (void)arg;
  snprintf(buf, sizeof(buf), "%s|%s|%s|%s|%s|%zu|%s|%s", sim_req_method(r),
           sim_req_path(r), sim_req_param(r, 0) ? sim_req_param(r, 0) : "-",
           sim_req_param(r, 1) ? sim_req_param(r, 1) : "-",
           sim_req_query(r, "q") ? sim_req_query(r, "q") : "-", nv,
           nv > 1 ? vals[1] : "-", h ? h : "-");
  sim_reply_text(r, 200, buf);
}

static void h_post_only(sim_req *r, void *arg)
{
  struct json_object *o = sim_req_json(r), *v;
  (void)arg;
  if (!o || !json_object_object_get_ex(o, "n", &v)) {
    sim_reply_text(r, 400, "want {\"n\":...}");
    return;
  }
  sim_count(sim_req_sim(r), "t.posted", json_object_get_int(v));
  sim_reply_json(r, 201, json_object_get(o));
}

static void h_forgets(sim_req *r, void *arg)
{
  (void)r;
  (void)arg; /* never replies: the framework answers 500 */
}

static void on_later(evutil_socket_t fd, short what, void *arg)
{
  fx *f = arg;
  (void)fd;
  (void)what;
  if (f->held) {
    sim_reply_text(f->held, 200, sim_req_gone(f->held) ? "gone" : "later");
    f->held = NULL;
  }
}

static void h_defer(sim_req *r, void *arg)
{
  fx *f = arg;
  int ms = atoi(sim_req_param(r, 0));
  struct timeval tv;

  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  sim_req_defer(r);
  f->held = r;
  evtimer_add(f->later, &tv);
}

static void on_reset(void *arg)
{
  ((fx *)arg)->resets++;
}

static void fx_setup(fx *f)
{
  memset(f, 0, sizeof(*f));
  f->base = event_base_new();
  ck_assert_ptr_nonnull(f->base);
  f->s = sim_new(f->base);
  ck_assert_ptr_nonnull(f->s);
  f->gen = sim_service_add(f->s, "generic", 0, 0);
  ck_assert_ptr_nonnull(f->gen);
  ck_assert_int_eq(sim_generic_attach(f->gen), 0);
  f->t = sim_service_add(f->s, "t", 0, 0);
  ck_assert_ptr_nonnull(f->t);
  ck_assert_int_ne(sim_service_port(f->t), 0);
  ck_assert_int_ne(sim_service_port(f->t), sim_service_port(f->gen));
  f->later = evtimer_new(f->base, on_later, f);
  ck_assert_int_eq(sim_route(f->t, "GET", "/a/*/b/*", h_caps, f), 0);
  ck_assert_int_eq(sim_route(f->t, NULL, "/files/**", h_caps, f), 0);
  ck_assert_int_eq(sim_route(f->t, "POST", "/items", h_post_only, f), 0);
  ck_assert_int_eq(sim_route(f->t, "GET", "/forgets", h_forgets, f), 0);
  ck_assert_int_eq(sim_route(f->t, "GET", "/defer/*", h_defer, f), 0);
  ck_assert_int_eq(sim_route(f->t, "GET", "/stream/*", h_stream, f), 0);
  ck_assert_int_eq(sim_on_reset(f->s, on_reset, f), 0);
}

static void fx_teardown(fx *f)
{
  sim_free(f->s);
  event_free(f->later);
  event_base_free(f->base);
}

/* ---- routing ------------------------------------------------------------ */

START_TEST(test_routing)
{
  fx f;
  job j[9];

  fx_setup(&f);
  ck_assert_int_lt(sim_route(f.t, "GET", "/bad/**/x", h_caps, &f), 0);
  ck_assert_int_lt(sim_route(f.t, "GET", "nope", h_caps, &f), 0);
  job_url(&j[0], f.t, "/a/x1/b/y%202?q=hello+there&v=1&v=two");
  j[0].header = "X-Test: yes";
  job_url(&j[1], f.t, "/files/dir/sub/name.txt");
  job_url(&j[2], f.t, "/files");
  job_url(&j[3], f.t, "/a/x/b");     /* one segment short */
  job_url(&j[4], f.t, "/a/x/b/y/z"); /* one too many */
  job_url(&j[5], f.t, "/items");     /* GET on a POST route */
  job_url(&j[6], f.t, "/items");
  j[6].method = "POST";
  j[6].body = "{\"n\":7}";
  j[6].body_len = 7;
  job_url(&j[7], f.t, "/forgets");
  job_url(&j[8], f.t, "/a/1/b/2");
  j[8].method = "HEAD";
  run_jobs(f.base, j, 9);

  ck_assert_int_eq(j[0].rc, CURLE_OK);
  ck_assert_int_eq(j[0].status, 200);
  ck_assert_str_eq(j[0].resp, "GET|/a/x1/b/y 2|x1|y 2|hello there|2|two|yes");
  ck_assert_int_eq(j[1].status, 200);
  ck_assert_str_eq(j[1].resp,
                   "GET|/files/dir/sub/name.txt|dir/sub/name.txt|-|-|0|-|-");
  ck_assert_int_eq(j[2].status, 200);
  ck_assert_str_eq(j[2].resp, "GET|/files||-|-|0|-|-");
  ck_assert_int_eq(j[3].status, 404);
  ck_assert_int_eq(j[4].status, 404);
  ck_assert_int_eq(j[5].status, 404);
  ck_assert_ptr_nonnull(strstr(j[5].resp, "no route for GET /items"));
  ck_assert_int_eq(j[6].status, 201);
  ck_assert_str_eq(j[6].resp, "{\"n\":7}");
  ck_assert_int_eq(j[7].status, 500);
  ck_assert_int_eq(j[8].status, 200);
  ck_assert_int_eq(j[8].got, 0);

  /* counters */
  ck_assert_int_eq(sim_counter(f.s, "t GET /a/*/b/*"), 2);
  ck_assert_int_eq(sim_counter(f.s, "t ANY /files/**"), 2);
  ck_assert_int_eq(sim_counter(f.s, "t POST /items"), 1);
  ck_assert_int_eq(sim_counter(f.s, "t status 200"), 4);
  ck_assert_int_eq(sim_counter(f.s, "t status 404"), 3);
  ck_assert_int_eq(sim_counter(f.s, "t status 201"), 1);
  ck_assert_int_eq(sim_counter(f.s, "t status 500"), 1);
  ck_assert_int_eq(sim_counter(f.s, "t unrouted"), 3);
  ck_assert_int_eq(sim_counter(f.s, "t.posted"), 7);
  ck_assert_ptr_eq(sim_find_service(f.s, "t"), f.t);
  ck_assert_ptr_null(sim_find_service(f.s, "zz"));
  ck_assert_str_eq(sim_service_name(f.t), "t");
  job_clear(j, 9);
  fx_teardown(&f);
}
END_TEST

/* ---- deferred replies ----------------------------------------------------
 */

START_TEST(test_defer)
{
  fx f;
  job j[2];

  fx_setup(&f);
  job_url(&j[0], f.t, "/defer/50");
  run_jobs(f.base, j, 1);
  ck_assert_int_eq(j[0].status, 200);
  ck_assert_str_eq(j[0].resp, "later");
  /* The client gives up first: the request stays valid, the reply is
   * discarded, nothing leaks. */
  job_url(&j[1], f.t, "/defer/1500");
  j[1].timeout_ms = 150;
  run_jobs(f.base, &j[1], 1);
  ck_assert_int_eq(j[1].rc, CURLE_OPERATION_TIMEDOUT);
  spin(f.base, 100);
  ck_assert_ptr_nonnull(f.held);
  ck_assert_int_eq(sim_req_gone(f.held), 1);
  ck_assert_int_eq(sim_counter(f.s, "sim.clients_gone"), 1);
  spin(f.base, 1600);
  ck_assert_ptr_null(f.held);
  job_clear(j, 2);
  fx_teardown(&f);
}
END_TEST

/* ---- streamed replies ---- */

START_TEST(test_stream)
{
  fx f;
  job j[4];

  fx_setup(&f);
  job_url(&j[0], f.t, "/stream/5000000");
  job_url(&j[1], f.t, "/stream/0");
  job_url(&j[2], f.t, "/stream/64000000");
  j[2].abort_after = 300000; /* the client leaves mid-body */
  job_url(&j[3], f.t, "/stream/1000");
  j[3].method = "HEAD";
  run_jobs(f.base, j, 4);
  ck_assert_int_eq(j[0].rc, CURLE_OK);
  ck_assert_int_eq(j[0].got, 5000000);
  ck_assert_int_eq(j[1].rc, CURLE_OK);
  ck_assert_int_eq(j[1].got, 0);
  ck_assert_int_eq(j[2].rc, CURLE_WRITE_ERROR);
  ck_assert_int_eq(j[3].status, 200);
  ck_assert_ptr_nonnull(strstr(j[3].hdrs, "Content-Length: 1000"));
  spin(f.base, 200);
  /* fin ran once per stream, the aborted one included */
  ck_assert_int_eq(f.fins, 4);
  job_clear(j, 4);
  fx_teardown(&f);
}
END_TEST

/* ---- faults ---------------------------------------------------------------
 */

static void add_fault(sim *s, const char *path, sim_fault_kind kind,
                      int status, int count)
{
  sim_fault fl;

  memset(&fl, 0, sizeof(fl));
  fl.path = path;
  fl.kind = kind;
  fl.status = status;
  fl.count = count;
  ck_assert_int_eq(sim_fault_add(s, &fl), 0);
}

START_TEST(test_fault_kinds)
{
  fx f;
  job j[8];
  sim_fault fl;
  struct json_object *o;

  fx_setup(&f);
  memset(&fl, 0, sizeof(fl));
  fl.service = "generic";
  fl.method = "GET";
  fl.path = "/json";
  fl.kind = SIM_FAULT_STATUS;
  fl.status = 503;
  fl.retry_after = "7";
  fl.count = 1;
  ck_assert_int_eq(sim_fault_add(f.s, &fl), 0);
  job_url(&j[0], f.gen, "/json");
  run_jobs(f.base, j, 1);
  ck_assert_int_eq(j[0].status, 503);
  ck_assert_ptr_nonnull(strstr(j[0].hdrs, "Retry-After: 7"));
  ck_assert_int_eq(sim_counter(f.s, "generic.json"), 0); /* no handler */

  add_fault(f.s, "/json", SIM_FAULT_DROP, 0, 1);
  job_url(&j[1], f.gen, "/json");
  add_fault(f.s, "/json", SIM_FAULT_TRUNCATE, 0, 1);
  job_url(&j[2], f.gen, "/json");
  add_fault(f.s, "/json", SIM_FAULT_BADJSON, 0, 1);
  job_url(&j[3], f.gen, "/json");
  memset(&fl, 0, sizeof(fl));
  fl.path = "/json";
  fl.kind = SIM_FAULT_DELAY;
  fl.delay_ms = 100;
  fl.count = 1;
  ck_assert_int_eq(sim_fault_add(f.s, &fl), 0);
  job_url(&j[4], f.gen, "/json");
  job_url(&j[5], f.gen, "/json"); /* faults used up */
  add_fault(f.s, "/bytes/*", SIM_FAULT_TRUNCATE, 0, 1);
  job_url(&j[6], f.gen, "/bytes/1000000");
  /* a fault on another service's path does not apply here */
  memset(&fl, 0, sizeof(fl));
  fl.service = "t";
  fl.kind = SIM_FAULT_STATUS;
  fl.status = 500;
  ck_assert_int_eq(sim_fault_add(f.s, &fl), 0);
  job_url(&j[7], f.gen, "/json");
  run_jobs(f.base, j + 1, 7);

  ck_assert_int_eq(j[1].rc, CURLE_GOT_NOTHING);
  ck_assert_int_eq(j[2].rc, CURLE_PARTIAL_FILE);
  ck_assert_int_eq(j[2].status, 200);
  ck_assert_int_eq(j[3].rc, CURLE_OK);
  ck_assert_int_eq(j[3].status, 200);
  o = json_tokener_parse(j[3].resp);
  ck_assert_ptr_null(o);
  ck_assert_int_eq(j[4].status, 200);
  ck_assert_str_eq(j[4].resp, "{\"ok\":true,\"n\":2}"); /* truncate ran it */
  ck_assert_str_eq(j[5].resp, "{\"ok\":true,\"n\":3}");
  ck_assert_int_eq(j[6].rc, CURLE_PARTIAL_FILE);
  ck_assert_int_eq(j[6].got, 500000);
  ck_assert_int_eq(j[7].status, 200);
  ck_assert_int_eq(sim_counter(f.s, "generic fault status"), 1);
  ck_assert_int_eq(sim_counter(f.s, "generic fault drop"), 1);
  ck_assert_int_eq(sim_counter(f.s, "generic fault truncate"), 2);
  ck_assert_int_eq(sim_counter(f.s, "generic fault badjson"), 1);
  ck_assert_int_eq(sim_counter(f.s, "generic fault delay"), 1);
  ck_assert_int_eq(sim_counter(f.s, "faults.applied"), 6);
  ck_assert_int_eq(sim_counter(f.s, "generic GET /json"), 7);
  job_clear(j, 8);
  fx_teardown(&f);
}
END_TEST

START_TEST(test_fault_stall)
{
  fx f;
  job j[2];

  fx_setup(&f);
  add_fault(f.s, "/json", SIM_FAULT_STALL, 0, 1);
  job_url(&j[0], f.gen, "/json");
  j[0].timeout_ms = 200;
  job_url(&j[1], f.gen, "/json");
  run_jobs(f.base, j, 2);
  ck_assert_int_eq(j[0].rc, CURLE_OPERATION_TIMEDOUT);
  ck_assert_int_eq(j[1].rc, CURLE_OK);
  spin(f.base, 100);
  /* The stalled request was freed when its client went away. */
  ck_assert_int_eq(sim_counter(f.s, "sim.clients_gone"), 1);
  ck_assert_int_eq(sim_counter(f.s, "generic fault stall"), 1);

  /* A stall still pending at sim_free is freed too (ASan checks). */
  add_fault(f.s, "/json", SIM_FAULT_STALL, 0, 1);
  job_url(&j[0], f.gen, "/json");
  j[0].timeout_ms = 150;
  run_jobs(f.base, j, 1);
  job_clear(j, 2);
  fx_teardown(&f);
}
END_TEST

START_TEST(test_fault_selection)
{
  fx f;
  job j[100], k[100];
  sim_fault fl;
  int i, hit = 0, same = 1;

  fx_setup(&f);
  /* every 3rd request, twice */
  memset(&fl, 0, sizeof(fl));
  fl.path = "/status/*";
  fl.kind = SIM_FAULT_STATUS;
  fl.status = 502;
  fl.every = 3;
  fl.count = 2;
  ck_assert_int_eq(sim_fault_add(f.s, &fl), 0);
  for (i = 0; i < 9; i++)
    job_url(&j[i], f.gen, "/status/200");
  run_jobs(f.base, j, 9);
  for (i = 0; i < 9; i++)
    ck_assert_int_eq(j[i].status, (i == 2 || i == 5) ? 502 : 200);
  job_clear(j, 9);

  /* percent: a share, the same sequence after a reset */
  for (i = 0; i < 2; i++) {
    job *set = i ? k : j;
    int n;
    sim_reset(f.s);
    memset(&fl, 0, sizeof(fl));
    fl.path = "/json";
    fl.kind = SIM_FAULT_STATUS;
    fl.status = 429;
    fl.percent = 30;
    ck_assert_int_eq(sim_fault_add(f.s, &fl), 0);
    for (n = 0; n < 100; n++)
      job_url(&set[n], f.gen, "/json");
    run_jobs(f.base, set, 100);
  }
  for (i = 0; i < 100; i++) {
    if (j[i].status == 429)
      hit++;
    else
      ck_assert_int_eq(j[i].status, 200);
    if (j[i].status != k[i].status)
      same = 0;
  }
  ck_assert_int_gt(hit, 10);
  ck_assert_int_lt(hit, 55);
  ck_assert_int_eq(same, 1);
  ck_assert_int_eq(f.resets, 2);
  job_clear(j, 100);
  job_clear(k, 100);

  /* bad faults are refused */
  memset(&fl, 0, sizeof(fl));
  fl.kind = SIM_FAULT_STATUS;
  fl.status = 42;
  ck_assert_int_lt(sim_fault_add(f.s, &fl), 0);
  fl.kind = (sim_fault_kind)99;
  ck_assert_int_lt(sim_fault_add(f.s, &fl), 0);
  ck_assert_int_eq(sim_fault_kind_from_name("stall"), SIM_FAULT_STALL);
  ck_assert_int_eq(sim_fault_kind_from_name("nope"), 0);
  fx_teardown(&f);
}
END_TEST

/* ---- the control API ------------------------------------------------------
 */

START_TEST(test_control_api)
{
  fx f;
  job j[12];
  struct json_object *o, *v;

  fx_setup(&f);
  sim_count(f.s, "t.custom", 5);
  job_url(&j[0], f.t, "/_sim/faults");
  j[0].method = "POST";
  j[0].body =
      "{\"service\":\"generic\",\"path\":\"/json\",\"kind\":\"status\","
      "\"status\":429,\"retry_after\":\"2\",\"count\":1}";
  j[0].body_len = strlen(j[0].body);
  job_url(&j[1], f.gen, "/json");
  job_url(&j[2], f.gen, "/json");
  job_url(&j[3], f.gen, "/_sim/faults");
  j[3].method = "POST";
  j[3].body = "{\"kind\":\"explode\"}";
  j[3].body_len = strlen(j[3].body);
  job_url(&j[4], f.gen, "/_sim/config");
  j[4].method = "POST";
  j[4].body = "{\"key\":\"demo.token\",\"value\":\"abc\"}";
  j[4].body_len = strlen(j[4].body);
  job_url(&j[5], f.gen, "/_sim/config?key=demo.token");
  job_url(&j[6], f.gen, "/_sim/stats");
  job_url(&j[7], f.gen, "/_sim/faults");
  j[7].method = "POST";
  j[7].body = "{\"path\":\"/json\",\"kind\":\"drop\"}";
  j[7].body_len = strlen(j[7].body);
  job_url(&j[8], f.gen, "/_sim/faults");
  j[8].method = "DELETE";
  job_url(&j[9], f.gen, "/json");
  job_url(&j[10], f.gen, "/_sim/reset");
  j[10].method = "POST";
  job_url(&j[11], f.gen, "/_sim/nothing");
  run_jobs(f.base, j, 12);

  ck_assert_int_eq(j[0].status, 200);
  ck_assert_int_eq(j[1].status, 429);
  ck_assert_ptr_nonnull(strstr(j[1].hdrs, "Retry-After: 2"));
  ck_assert_int_eq(j[2].status, 200);
  ck_assert_int_eq(j[3].status, 400);
  ck_assert_int_eq(j[4].status, 200);
  ck_assert_str_eq(sim_config_get(f.s, "demo.token", "-"), "abc");
  ck_assert_int_eq(j[5].status, 200);
  o = json_tokener_parse(j[5].resp);
  ck_assert(json_object_object_get_ex(o, "value", &v));
  ck_assert_str_eq(json_object_get_string(v), "abc");
  json_object_put(o);
  o = json_tokener_parse(j[6].resp);
  ck_assert_ptr_nonnull(o);
  ck_assert(json_object_object_get_ex(o, "t.custom", &v));
  ck_assert_int_eq(json_object_get_int(v), 5);
  ck_assert(json_object_object_get_ex(o, "generic status 429", &v));
  ck_assert_int_eq(json_object_get_int(v), 1);
  ck_assert(json_object_object_get_ex(o, "generic GET /json", &v));
  ck_assert_int_eq(json_object_get_int(v), 2);
  json_object_put(o);
  ck_assert_int_eq(j[8].status, 200);
  ck_assert_int_eq(j[9].status, 200); /* the drop was deleted */
  ck_assert_int_eq(j[10].status, 200);
  ck_assert_int_eq(j[11].status, 404);
  /* reset: counters zero, hooks ran, config kept */
  ck_assert_int_eq(f.resets, 1);
  ck_assert_int_eq(sim_counter(f.s, "t.custom"), 0);
  ck_assert_int_eq(sim_counter(f.s, "generic GET /json"), 0);
  ck_assert_str_eq(sim_config_get(f.s, "demo.token", "-"), "abc");
  ck_assert_int_eq(sim_config_long(f.s, "nope", 42), 42);
  sim_config_set(f.s, "n", "17");
  ck_assert_int_eq(sim_config_long(f.s, "n", 0), 17);
  sim_config_set(f.s, "n", "x17");
  ck_assert_int_eq(sim_config_long(f.s, "n", 3), 3);
  job_clear(j, 12);
  fx_teardown(&f);
}
END_TEST

/* ---- generic routes
 * --------------------------------------------------------- */

START_TEST(test_generic_routes)
{
  fx f;
  job j[8];
  struct json_object *o, *v, *q;
  unsigned char *up, md[EVP_MAX_MD_SIZE];
  unsigned mdlen, i;
  char hex[2 * EVP_MAX_MD_SIZE + 1];
  size_t upn = 3 * 1024 * 1024 + 17;

  fx_setup(&f);
  up = malloc(upn);
  ck_assert_ptr_nonnull(up);
  for (i = 0; i < upn; i++)
    up[i] = (unsigned char)(i * 2654435761u >> 13);
  EVP_Digest(up, upn, md, &mdlen, EVP_sha256(), NULL);
  for (i = 0; i < mdlen; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);

  job_url(&j[0], f.gen, "/echo/x?a=1&b=two&b=3");
  j[0].method = "PUT";
  j[0].body = "{\"hi\":1}";
  j[0].body_len = 8;
  j[0].header = "X-Custom: v";
  job_url(&j[1], f.gen, "/bytes/2000003");
  j[1].check_pattern = 1;
  job_url(&j[2], f.gen, "/bytes/0");
  job_url(&j[3], f.gen, "/sink");
  j[3].method = "POST";
  j[3].body = (const char *)up;
  j[3].body_len = upn;
  job_url(&j[4], f.gen, "/slow/30");
  job_url(&j[5], f.gen, "/status/418");
  job_url(&j[6], f.gen, "/redirect?to=http%3A%2F%2F127.0.0.1%3A1%2Fx");
  job_url(&j[7], f.gen, "/bytes/12x");
  run_jobs(f.base, j, 8);

  o = json_tokener_parse(j[0].resp);
  ck_assert_ptr_nonnull(o);
  ck_assert(json_object_object_get_ex(o, "method", &v));
  ck_assert_str_eq(json_object_get_string(v), "PUT");
  ck_assert(json_object_object_get_ex(o, "path", &v));
  ck_assert_str_eq(json_object_get_string(v), "/echo/x");
  ck_assert(json_object_object_get_ex(o, "body", &v));
  ck_assert_str_eq(json_object_get_string(v), "{\"hi\":1}");
  ck_assert(json_object_object_get_ex(o, "body_len", &v));
  ck_assert_int_eq(json_object_get_int(v), 8);
  ck_assert(json_object_object_get_ex(o, "headers", &q));
  ck_assert(json_object_object_get_ex(q, "x-custom", &v));
  ck_assert_str_eq(json_object_get_string(v), "v");
  ck_assert(json_object_object_get_ex(o, "query", &q));
  ck_assert(json_object_object_get_ex(q, "a", &v));
  ck_assert_str_eq(json_object_get_string(v), "1");
  ck_assert(json_object_object_get_ex(q, "b", &v));
  ck_assert_int_eq(json_object_array_length(v), 2);
  json_object_put(o);

  ck_assert_int_eq(j[1].rc, CURLE_OK);
  ck_assert_int_eq(j[1].got, 2000003);
  ck_assert_int_eq(j[1].bad, 0);
  ck_assert_ptr_nonnull(strstr(j[1].hdrs, "Content-Length: 2000003"));
  ck_assert_int_eq(j[2].status, 200);
  ck_assert_int_eq(j[2].got, 0);

  ck_assert_int_eq(j[3].status, 200);
  o = json_tokener_parse(j[3].resp);
  ck_assert(json_object_object_get_ex(o, "bytes", &v));
  ck_assert_int_eq(json_object_get_int64(v), (int64_t)upn);
  ck_assert(json_object_object_get_ex(o, "sha256", &v));
  ck_assert_str_eq(json_object_get_string(v), hex);
  json_object_put(o);
  ck_assert_int_eq(sim_counter(f.s, "sink.bytes"), (int64_t)upn);

  ck_assert_str_eq(j[4].resp, "{\"slept_ms\":30}");
  ck_assert_int_eq(j[5].status, 418);
  ck_assert_int_eq(j[6].status, 302);
  ck_assert_ptr_nonnull(strstr(j[6].hdrs, "Location: http://127.0.0.1:1/x"));
  ck_assert_int_eq(j[7].status, 400);
  free(up);
  job_clear(j, 8);
  fx_teardown(&f);
}
END_TEST

static int header_long(const char *hdrs, const char *name)
{
  const char *p = strcasestr(hdrs, name);
  return p ? atoi(p + strlen(name)) : -1;
}

START_TEST(test_limited)
{
  fx f;
  job j[7];
  int i;

  fx_setup(&f);
  sim_config_set(f.s, "generic.limit", "3");
  sim_config_set(f.s, "generic.window_ms", "60000");
  sim_config_set(f.s, "generic.limit.vip", "5");
  for (i = 0; i < 5; i++)
    job_url(&j[i], f.gen, "/limited/k1");
  job_url(&j[5], f.gen, "/limited/k2");
  job_url(&j[6], f.gen, "/limited/vip");
  run_jobs(f.base, j, 7);
  for (i = 0; i < 3; i++) {
    ck_assert_int_eq(j[i].status, 200);
    ck_assert_int_eq(header_long(j[i].hdrs, "ratelimit-limit: "), 3);
    ck_assert_int_eq(header_long(j[i].hdrs, "ratelimit-remaining: "), 2 - i);
  }
  for (i = 3; i < 5; i++) {
    ck_assert_int_eq(j[i].status, 429);
    ck_assert_int_gt(header_long(j[i].hdrs, "Retry-After: "), 0);
    ck_assert_int_le(header_long(j[i].hdrs, "Retry-After: "), 60);
    ck_assert_int_eq(header_long(j[i].hdrs, "ratelimit-remaining: "), 0);
    ck_assert_int_gt(header_long(j[i].hdrs, "ratelimit-reset: "), 0);
  }
  ck_assert_int_eq(j[5].status, 200);
  ck_assert_int_eq(header_long(j[6].hdrs, "ratelimit-limit: "), 5);
  ck_assert_int_eq(sim_counter(f.s, "limited.k1.ok"), 3);
  ck_assert_int_eq(sim_counter(f.s, "limited.k1.429"), 2);
  job_clear(j, 7);

  /* sliding window, and a reset forgets every key */
  sim_reset(f.s);
  sim_config_set(f.s, "generic.limit_mode", "sliding");
  for (i = 0; i < 4; i++)
    job_url(&j[i], f.gen, "/limited/k1");
  run_jobs(f.base, j, 4);
  for (i = 0; i < 4; i++)
    ck_assert_int_eq(j[i].status, i < 3 ? 200 : 429);
  job_clear(j, 4);
  fx_teardown(&f);
}
END_TEST

/* ---- TLS -------------------------------------------------------------------
 */

START_TEST(test_tls)
{
  fx f;
  job j[3];
  char dir[] = "/tmp/cmx-simtls-XXXXXX", p[256];
  sim_service *sec;

  fx_setup(&f);
  ck_assert_ptr_null(sim_service_add(f.s, "early", 0, 1)); /* no cert */
  ck_assert_ptr_nonnull(mkdtemp(dir));
  ck_assert_int_eq(sim_tls_init(f.s, dir), 0);
  ck_assert_ptr_nonnull(sim_tls_ca_file(f.s));
  sec = sim_service_add(f.s, "secure", 0, 1);
  ck_assert_ptr_nonnull(sec);
  ck_assert_int_eq(sim_generic_attach(sec), 0);
  ck_assert(strncmp(sim_service_url(sec), "https://127.0.0.1:", 18) == 0);
  job_url(&j[0], sec, "/json");
  j[0].cafile = sim_tls_ca_file(f.s);
  job_url(&j[1], sec, "/json");
  j[1].cafile = "/dev/null/none";
  job_url(&j[2], sec, "/bytes/300000");
  j[2].cafile = sim_tls_ca_file(f.s);
  j[2].check_pattern = 1;
  run_jobs(f.base, j, 3);
  ck_assert_int_eq(j[0].rc, CURLE_OK);
  ck_assert_int_eq(j[0].status, 200);
  ck_assert_str_eq(j[0].resp, "{\"ok\":true,\"n\":1}");
  ck_assert_int_ne(j[1].rc, CURLE_OK);
  ck_assert_int_eq(j[1].status, 0);
  ck_assert_int_eq(j[2].got, 300000);
  ck_assert_int_eq(j[2].bad, 0);
  ck_assert_int_eq(sim_counter(f.s, "secure GET /json"), 1);
  job_clear(j, 3);
  /* a stalled TLS request is freed when its client leaves */
  add_fault(f.s, "/json", SIM_FAULT_STALL, 0, 1);
  job_url(&j[0], sec, "/json");
  j[0].cafile = sim_tls_ca_file(f.s);
  j[0].timeout_ms = 300;
  run_jobs(f.base, j, 1);
  ck_assert_int_eq(j[0].rc, CURLE_OPERATION_TIMEDOUT);
  spin(f.base, 100);
  ck_assert_int_eq(sim_counter(f.s, "sim.clients_gone"), 1);
  job_clear(j, 1);
  fx_teardown(&f);
  snprintf(p, sizeof(p), "%s/cert.pem", dir);
  unlink(p);
  snprintf(p, sizeof(p), "%s/key.pem", dir);
  unlink(p);
  rmdir(dir);
}
END_TEST

/* ---- callmux-sim
 * ------------------------------------------------------------- */

START_TEST(test_program)
{
  const char *bin = getenv("CMX_SIM");
  char pf[] = "/tmp/cmx-simpf-XXXXXX", line[256], name[64], url[192];
  char gen[192] = "", kent[192] = "";
  int fd, i, st;
  pid_t pid;
  job j;
  struct event_base *base = event_base_new();

  ck_assert_msg(bin && access(bin, X_OK) == 0,
                "CMX_SIM must name callmux-sim (make check sets it)");
  fd = mkstemp(pf);
  ck_assert_int_ge(fd, 0);
  close(fd);
  unlink(pf);
  pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int dn = open("/dev/null", O_WRONLY);
    dup2(dn, 1);
    execl(bin, bin, "--port", "0", "--services", "generic,kentik", "--set",
          "generic.limit=1", "--port-file", pf, (char *)NULL);
    _exit(127);
  }
  for (i = 0; i < 400 && (!*gen || !*kent); i++) {
    FILE *fp = fopen(pf, "r");
    if (fp) {
      while (fgets(line, sizeof(line), fp))
        if (sscanf(line, "%63s %191s", name, url) == 2) {
          if (strcmp(name, "generic") == 0)
            snprintf(gen, sizeof(gen), "%s", url);
          if (strcmp(name, "kentik") == 0)
            snprintf(kent, sizeof(kent), "%s", url);
        }
      fclose(fp);
    }
    if (!*gen || !*kent)
      usleep(25000);
  }
  unlink(pf);
  ck_assert(strncmp(gen, "http://127.0.0.1:", 17) == 0);
  ck_assert(strncmp(kent, "http://127.0.0.1:", 17) == 0);
  memset(&j, 0, sizeof(j));
  snprintf(j.url, sizeof(j.url), "%s/limited/a", gen);
  job_do(&j);
  ck_assert_int_eq(j.status, 200);
  free(j.resp);
  memset(&j, 0, sizeof(j));
  snprintf(j.url, sizeof(j.url), "%s/limited/a", gen);
  job_do(&j);
  ck_assert_int_eq(j.status, 429); /* --set reached the config */
  free(j.resp);
  kill(pid, SIGTERM);
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert(WIFEXITED(st));
  ck_assert_int_eq(WEXITSTATUS(st), 0);
  event_base_free(base);
}
END_TEST

static Suite *sim_suite(void)
{
  Suite *s = suite_create("sim");
  TCase *tc = tcase_create("framework");

  tcase_add_test(tc, test_routing);
  tcase_add_test(tc, test_defer);
  tcase_add_test(tc, test_stream);
  tcase_add_test(tc, test_fault_kinds);
  tcase_add_test(tc, test_fault_stall);
  tcase_add_test(tc, test_fault_selection);
  tcase_add_test(tc, test_control_api);
  tcase_add_test(tc, test_generic_routes);
  tcase_add_test(tc, test_limited);
  tcase_add_test(tc, test_tls);
  tcase_add_test(tc, test_program);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr;
  int failed;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  sr = srunner_create(sim_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  curl_global_cleanup();
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
