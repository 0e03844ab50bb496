/*
 * Tests of the PagerDuty module: sans-I/O (canonical paths, wrappers,
 * event bodies) and end-to-end against the in-process simulator.
 */
#include "config.h"

#include <check.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <callmux/callmux.h>
#include <callmux/pagerduty.h>

#include "sim/sim.h"

/* Run the loop until *flag != 0 or `ms` elapse. */
static void on_limit(evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  *(int *)arg = 1;
}

static int tu_run_until(struct event_base *base, const int *flag, unsigned ms)
{
  int expired = 0;
  struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
  struct event *ev = evtimer_new(base, on_limit, &expired);

  evtimer_add(ev, &tv);
  while (!*flag && !expired)
    event_base_loop(base, EVLOOP_ONCE);
  event_free(ev);
  return *flag;
}

#define TOKEN "pd-test-token"

/* ---- sans-I/O ----------------------------------------------------- */

static const char *cpath(const char *url)
{
  static char out[256];

  if (cmx_pagerduty_canonical_path("https://api.pagerduty.com", url, out,
                                   sizeof(out)) != CMX_OK)
    return "(error)";
  return out;
}

START_TEST(test_canonical_paths)
{
  ck_assert_str_eq(cpath("users"), "/users");
  ck_assert_str_eq(cpath("/users"), "/users");
  ck_assert_str_eq(cpath("https://api.pagerduty.com/users"), "/users");
  ck_assert_str_eq(cpath("users/PABC123"), "/users/{id}");
  ck_assert_str_eq(cpath("users/me"), "/users/me");
  ck_assert_str_eq(cpath("/incidents/count"), "/incidents/count");
  ck_assert_str_eq(cpath("/users/P1/contact_methods/C2?x=1"),
                   "/users/{id}/contact_methods/{contact_method_id}");
  ck_assert_str_eq(cpath("/teams/T1/users/U1"), "/teams/{id}/users/{user_id}");
  ck_assert_str_eq(cpath("/audit/records"), "/audit/records");
  ck_assert_str_eq(cpath("/users/P1/future"), "(error)");
  ck_assert_str_eq(cpath("https://evil.example.com/users"), "(error)");
  ck_assert_int_eq(cmx_pagerduty_is_cursor_path("/audit/records"), 1);
  ck_assert_int_eq(cmx_pagerduty_is_cursor_path("/users/{id}/audit/records"),
                   1);
  ck_assert_int_eq(cmx_pagerduty_is_cursor_path("/users"), 0);
}
END_TEST

static void wr(const char *m, const char *p, const char *req, const char *res)
{
  char a[64], b[64];

  ck_assert_int_eq(cmx_pagerduty_wrappers(m, p, a, b, sizeof(a)), CMX_OK);
  ck_assert_msg(strcmp(a, req) == 0 && strcmp(b, res) == 0,
                "%s %s: got (%s, %s) want (%s, %s)", m, p, a, b, req, res);
}

START_TEST(test_wrappers)
{
  wr("GET", "/users", "users", "users");
  wr("POST", "/users", "user", "user");
  wr("GET", "/users/{id}", "user", "user");
  wr("PUT", "/users/{id}", "user", "user");
  wr("POST", "/escalation_policies", "escalation_policy", "escalation_policy");
  wr("POST", "/incidents/{id}/notes", "note", "note");
  wr("GET", "/incidents/{id}/notes", "notes", "notes");
  wr("GET", "/users/{id}/contact_methods/{contact_method_id}",
     "contact_method", "contact_method");
  wr("PUT", "/incidents", "incidents", "incidents");
  wr("GET", "/audit/records", "records", "records");
  wr("GET", "/tags/{id}/users", "users", "users");
  wr("GET", "/license_allocations", "license_allocations",
     "license_allocations");
  wr("GET", "/users/{id}/license", "license", "license");
  wr("PUT", "/priorities", "priorities", "priorities");
  wr("PUT", "/incidents/{id}/alerts", "alerts", "alerts");
  wr("GET", "/incidents/count", "count", "count");
  /* special cases */
  wr("PUT", "/teams/{id}/users/{user_id}", "", "");
  wr("GET", "/users/me", "user", "user");
  wr("POST", "/schedules/{id}/overrides", "overrides", "");
  wr("PUT", "/incidents/{id}/merge", "source_incidents", "incident");
  wr("POST", "/business_services/{id}/subscribers", "subscribers",
     "subscriptions");
  wr("GET", "/event_orchestrations", "orchestrations", "orchestrations");
  wr("GET", "/event_orchestrations/{id}/router", "orchestration_path",
     "orchestration_path");
  wr("POST", "/change_events", "", "");
  wr("GET", "/analytics/raw/incidents", "", "");
}
END_TEST

START_TEST(test_event_bodies)
{
  char err[256] = "", big[1100];
  cmx_pagerduty_event e;
  cmx_pagerduty_change c;
  struct json_object *o, *p, *v, *cd;
  const char *dk, *ts;

  memset(&e, 0, sizeof(e));
  e.summary = "disk full";
  e.source = "host1";
  o = cmx_pagerduty_event_body("R0UTINGKEY", "trigger", &e, err, sizeof(err));
  ck_assert_ptr_nonnull(o);
  ck_assert(json_object_object_get_ex(o, "payload", &p));
  ck_assert(json_object_object_get_ex(p, "severity", &v));
  ck_assert_str_eq(json_object_get_string(v), "critical");
  ck_assert(json_object_object_get_ex(o, "dedup_key", &v));
  dk = json_object_get_string(v);
  ck_assert_uint_eq(strlen(dk), 36); /* client-made UUID */
  ck_assert(json_object_object_get_ex(o, "routing_key", &v));
  ck_assert_str_eq(json_object_get_string(v), "R0UTINGKEY");
  ck_assert(!json_object_object_get_ex(o, "images", NULL));
  json_object_put(o);

  e.severity = "fatal";
  ck_assert_ptr_null(
      cmx_pagerduty_event_body("K", "trigger", &e, err, sizeof(err)));
  ck_assert_ptr_nonnull(strstr(err, "severity"));
  e.severity = "info";
  memset(big, 'x', 1025);
  big[1025] = '\0';
  e.summary = big;
  ck_assert_ptr_null(
      cmx_pagerduty_event_body("K", "trigger", &e, err, sizeof(err)));
  ck_assert_ptr_nonnull(strstr(err, "summary"));
  big[1024] = '\0';
  ck_assert_ptr_nonnull(
      o = cmx_pagerduty_event_body("K", "trigger", &e, err, sizeof(err)));
  json_object_put(o);
  e.summary = "s";
  memset(big, 'k', 256);
  big[256] = '\0';
  e.dedup_key = big;
  ck_assert_ptr_null(
      cmx_pagerduty_event_body("K", "trigger", &e, err, sizeof(err)));
  ck_assert_ptr_nonnull(strstr(err, "dedup_key"));
  e.dedup_key = NULL;
  e.source = NULL;
  ck_assert_ptr_null(
      cmx_pagerduty_event_body("K", "trigger", &e, err, sizeof(err)));
  ck_assert_ptr_nonnull(strstr(err, "source"));
  e.source = "src";
  /* body > 512 KB */
  cd = json_object_new_object();
  {
    char *huge = malloc(600 * 1024);
    memset(huge, 'a', 600 * 1024 - 1);
    huge[600 * 1024 - 1] = '\0';
    json_object_object_add(cd, "blob", json_object_new_string(huge));
    free(huge);
  }
  e.custom_details = cd;
  ck_assert_ptr_null(
      cmx_pagerduty_event_body("K", "trigger", &e, err, sizeof(err)));
  ck_assert_ptr_nonnull(strstr(err, "512 KB"));
  json_object_put(cd);
  e.custom_details = NULL;
  /* acknowledge needs a dedup key */
  ck_assert_ptr_null(
      cmx_pagerduty_event_body("K", "acknowledge", &e, err, sizeof(err)));
  ck_assert_ptr_nonnull(strstr(err, "dedup_key"));
  ck_assert_ptr_null(
      cmx_pagerduty_event_body("K", "explode", &e, err, sizeof(err)));
  ck_assert_ptr_null(
      cmx_pagerduty_event_body("", "trigger", &e, err, sizeof(err)));
  ck_assert_ptr_nonnull(strstr(err, "routing_key"));

  memset(&c, 0, sizeof(c));
  c.summary = "deployed";
  c.source = "ci";
  o = cmx_pagerduty_change_body("CHG", &c, err, sizeof(err));
  ck_assert_ptr_nonnull(o);
  ck_assert(json_object_object_get_ex(o, "payload", &p));
  ck_assert(json_object_object_get_ex(p, "timestamp", &v));
  ts = json_object_get_string(v);
  ck_assert_int_eq(ts[strlen(ts) - 1], 'Z');
  ck_assert(json_object_object_get_ex(p, "source", &v));
  json_object_put(o);
  c.summary = NULL;
  ck_assert_ptr_null(cmx_pagerduty_change_body("CHG", &c, err, sizeof(err)));
}
END_TEST

/* ---- end-to-end harness ------------------------------------------ */

typedef struct env {
  struct event_base *base;
  sim *sim;
  sim_service *svc;
  cmx_engine *engine;
  cmx_pagerduty *pd;
  cmx_pagerduty_events *ev;
  char url[128];
} env;

static void tu_log(cmx_log_level level, const char *msg, void *ud)
{
  struct timeval tv;

  (void)ud;
  evutil_gettimeofday(&tv, NULL);
  fprintf(stderr, "%ld.%03ld [%d] %s\n", (long)tv.tv_sec % 1000,
          (long)tv.tv_usec / 1000, (int)level, msg);
}

static void env_up(env *t, const char *const *config)
{
  char err[256];

  memset(t, 0, sizeof(*t));
  t->base = event_base_new();
  ck_assert_ptr_nonnull(t->base);
  t->sim = sim_new(t->base);
  ck_assert_ptr_nonnull(t->sim);
  sim_config_set(t->sim, "pagerduty.rest_limit", "1000000");
  sim_config_set(t->sim, "pagerduty.events_limit", "1000000");
  for (; config && config[0]; config += 2)
    sim_config_set(t->sim, config[0], config[1]);
  t->svc = sim_service_add(t->sim, "pagerduty", 0, 0);
  ck_assert_ptr_nonnull(t->svc);
  ck_assert_int_eq(sim_pagerduty_attach(t->svc), 0);
  ck_assert_int_eq(sim_generic_attach(t->svc), 0); /* /echo */
  snprintf(t->url, sizeof(t->url), "%s", sim_service_url(t->svc));
  {
    cmx_options *o = cmx_options_new();
    const char *dbg = getenv("PD_DEBUG");

    if (dbg && atoi(dbg) >= 2)
      cmx_options_set_log(o, CMX_LOG_DEBUG, tu_log, t);
    t->engine = cmx_engine_new(t->base, o);
    cmx_options_free(o);
  }
  ck_assert_ptr_nonnull(t->engine);
  t->pd = cmx_pagerduty_new(t->engine, TOKEN, CMX_PAGERDUTY_AUTH_TOKEN, err,
                            sizeof(err));
  ck_assert_ptr_nonnull(t->pd);
  ck_assert_int_eq(cmx_pagerduty_set_base_url(t->pd, t->url), CMX_OK);
  ck_assert_int_eq(cmx_pagerduty_set_rate(t->pd, 0, 0), CMX_OK);
  t->ev = cmx_pagerduty_events_new(t->engine, "R0UTINGKEY", err, sizeof(err));
  ck_assert_ptr_nonnull(t->ev);
  ck_assert_int_eq(cmx_pagerduty_events_set_base_url(t->ev, t->url), CMX_OK);
  ck_assert_int_eq(cmx_pagerduty_events_set_rate(t->ev, 0, 0), CMX_OK);
}

static void env_down(env *t)
{
  cmx_pagerduty_free(t->pd);
  cmx_pagerduty_events_free(t->ev);
  cmx_engine_free(t->engine);
  sim_free(t->sim);
  event_base_free(t->base);
}

/* A record of one finished call. */
typedef struct rec {
  int calls, code, capped;
  long status, pd_code, total;
  size_t count;
  struct json_object *value; /* own reference */
  char detail[512], kind[64], message[256], dedup[300];
  size_t ndetails;
  unsigned attempts;
} rec;

static void record(rec *r, const cmx_pagerduty_result *res)
{
  r->calls++;
  r->code = res->code;
  r->status = res->status;
  r->pd_code = res->pd_code;
  r->count = res->count;
  r->capped = res->capped;
  r->total = res->total;
  json_object_put(r->value);
  r->value = json_object_get(res->value);
  snprintf(r->detail, sizeof(r->detail), "%s", res->detail ? res->detail : "");
  if (res->error) {
    snprintf(r->kind, sizeof(r->kind), "%s",
             res->error->kind ? res->error->kind : "");
    snprintf(r->message, sizeof(r->message), "%s", res->error->message);
    r->ndetails = res->error->ndetails;
  }
  if (res->dedup_key)
    snprintf(r->dedup, sizeof(r->dedup), "%s", res->dedup_key);
  r->attempts = res->response ? cmx_response_attempts(res->response) : 0;
}

static void on_rest(cmx_pagerduty *pd, const cmx_pagerduty_result *res,
                    void *ud)
{
  (void)pd;
  record(ud, res);
}

static void on_ev(cmx_pagerduty_events *ev, const cmx_pagerduty_result *res,
                  void *ud)
{
  (void)ev;
  record(ud, res);
}

static void wait_rec(env *t, rec *r, unsigned ms)
{
  tu_run_until(t->base, &r->calls, ms);
  ck_assert_int_eq(r->calls, 1);
}

static void rec_clear(rec *r)
{
  json_object_put(r->value);
  memset(r, 0, sizeof(*r));
}

static int64_t route_count(env *t, const char *name)
{
  struct json_object *st = sim_stats_json(t->sim), *v;
  int64_t n = 0;

  if (json_object_object_get_ex(st, name, &v))
    n = json_object_get_int64(v);
  else {
    /* counters may sit under a sub-object */
    json_object_object_foreach(st, k, sub)
    {
      (void)k;
      if (json_object_is_type(sub, json_type_object) &&
          json_object_object_get_ex(sub, name, &v))
        n = json_object_get_int64(v);
    }
  }
  json_object_put(st);
  return n;
}

/* ---- REST basics -------------------------------------------------- */

START_TEST(test_headers_and_params)
{
  env t;
  rec r = {0};
  struct json_object *params = json_object_new_object(), *a, *h, *q, *v;

  env_up(&t, NULL);
  cmx_pagerduty_set_default_from(t.pd, "ops@example.com");
  a = json_object_new_array();
  json_object_array_add(a, json_object_new_string("triggered"));
  json_object_array_add(a, json_object_new_string("acknowledged"));
  json_object_object_add(params, "statuses", a);
  json_object_object_add(params, "limit", json_object_new_int(7));
  json_object_object_add(params, "q", json_object_new_string("a b&c"));
  ck_assert_int_eq(
      cmx_pagerduty_request(t.pd, "GET", "/echo", params, NULL, on_rest, &r),
      CMX_OK);
  json_object_put(params);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert(json_object_object_get_ex(r.value, "headers", &h));
  ck_assert(json_object_object_get_ex(h, "authorization", &v));
  ck_assert_str_eq(json_object_get_string(v), "Token token=" TOKEN);
  ck_assert(json_object_object_get_ex(h, "accept", &v));
  ck_assert_str_eq(json_object_get_string(v), CMX_PAGERDUTY_ACCEPT);
  ck_assert(json_object_object_get_ex(h, "user-agent", &v));
  ck_assert_str_eq(json_object_get_string(v), "callmux/" CMX_VERSION);
  ck_assert(json_object_object_get_ex(h, "from", &v));
  ck_assert_str_eq(json_object_get_string(v), "ops@example.com");
  ck_assert(!json_object_object_get_ex(h, "content-type", NULL));
  ck_assert(json_object_object_get_ex(r.value, "query", &q));
  ck_assert(json_object_object_get_ex(q, "statuses[]", &v));
  ck_assert_int_eq(json_object_array_length(v), 2);
  ck_assert(json_object_object_get_ex(q, "q", &v));
  ck_assert_str_eq(json_object_get_string(v), "a b&c");
  rec_clear(&r);

  /* refused before I/O */
  ck_assert_int_eq(
      cmx_pagerduty_request(t.pd, "PATCH", "/users", NULL, NULL, on_rest, &r),
      CMX_EINVAL);
  ck_assert_ptr_nonnull(strstr(cmx_pagerduty_last_error(t.pd), "PATCH"));
  ck_assert_int_eq(cmx_pagerduty_request(t.pd, "GET",
                                         "https://other.example.com/users",
                                         NULL, NULL, on_rest, &r),
                   CMX_EINVAL);
  ck_assert_int_eq(
      cmx_pagerduty_rget(t.pd, "/users/P1/future", NULL, on_rest, &r),
      CMX_EINVAL);
  ck_assert_int_eq(
      cmx_pagerduty_iter_all(t.pd, "/users/P1", NULL, NULL, NULL, on_rest, &r),
      CMX_EINVAL);
  ck_assert_int_eq(
      cmx_pagerduty_iter_cursor(t.pd, "/users", NULL, NULL, NULL, on_rest, &r),
      CMX_EINVAL);
  ck_assert_int_eq(r.calls, 0);
  env_down(&t);
}
END_TEST

START_TEST(test_wrapped_crud)
{
  env t;
  rec r = {0};
  struct json_object *body, *v;
  char id[64];

  env_up(&t, NULL);
  /* rget: unwrapped entity */
  ck_assert_int_eq(
      cmx_pagerduty_rget(t.pd, "users/PU000001", NULL, on_rest, &r), CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert(json_object_object_get_ex(r.value, "email", &v));
  ck_assert_str_eq(json_object_get_string(v), "user1@example.com");
  rec_clear(&r);

  /* POST /users without From: 400 code 2001 (account-level key) */
  body = json_object_new_object();
  json_object_object_add(body, "name", json_object_new_string("New One"));
  json_object_object_add(body, "email", json_object_new_string("n@x.io"));
  ck_assert_int_eq(cmx_pagerduty_rpost(t.pd, "users", body, on_rest, &r),
                   CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_EHTTP);
  ck_assert_int_eq(r.status, 400);
  ck_assert_int_eq(r.pd_code, 2001);
  ck_assert_uint_eq(r.ndetails, 1);
  rec_clear(&r);

  /* with From: created (body wrapped as {"user": ...}) */
  cmx_pagerduty_set_default_from(t.pd, "admin@example.com");
  ck_assert_int_eq(cmx_pagerduty_rpost(t.pd, "users", body, on_rest, &r),
                   CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_int_eq(r.status, 201);
  ck_assert(json_object_object_get_ex(r.value, "id", &v));
  snprintf(id, sizeof(id), "users/%s", json_object_get_string(v));
  rec_clear(&r);
  json_object_put(body);

  /* already wrapped body is sent as is */
  body = json_tokener_parse("{\"user\":{\"name\":\"Renamed\"}}");
  ck_assert_int_eq(cmx_pagerduty_rput(t.pd, id, body, on_rest, &r), CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert(json_object_object_get_ex(r.value, "name", &v));
  ck_assert_str_eq(json_object_get_string(v), "Renamed");
  rec_clear(&r);
  json_object_put(body);

  /* 204 endpoint: value NULL, OK */
  ck_assert_int_eq(cmx_pagerduty_rput(t.pd, "/teams/PT000001/users/PU000001",
                                      NULL, on_rest, &r),
                   CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_int_eq(r.status, 204);
  ck_assert_ptr_null(r.value);
  rec_clear(&r);

  ck_assert_int_eq(cmx_pagerduty_rdelete(t.pd, id, on_rest, &r), CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  rec_clear(&r);
  ck_assert_int_eq(cmx_pagerduty_rget(t.pd, id, NULL, on_rest, &r), CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_EHTTP);
  ck_assert_int_eq(r.status, 404);
  ck_assert_int_eq(r.pd_code, 2100);
  rec_clear(&r);
  env_down(&t);
}
END_TEST

START_TEST(test_auth_and_forbidden)
{
  env t;
  rec r = {0};
  cmx_pagerduty *bad, *ro, *oauth;
  char err[256];
  struct json_object *body;

  env_up(&t, NULL);
  bad = cmx_pagerduty_new(t.engine, "wrong-key", CMX_PAGERDUTY_AUTH_TOKEN, err,
                          sizeof(err));
  cmx_pagerduty_set_base_url(bad, t.url);
  ck_assert_int_eq(cmx_pagerduty_rget(bad, "users", NULL, on_rest, &r),
                   CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_EAUTH);
  ck_assert_int_eq(r.status, 401);
  ck_assert_int_eq(r.pd_code, 2006);
  ck_assert_uint_eq(r.attempts, 1); /* never retried */
  ck_assert_ptr_null(strstr(r.detail, "wrong-key"));
  ck_assert_int_eq(sim_counter(t.sim, "pagerduty.rest_401"), 1);
  rec_clear(&r);
  cmx_pagerduty_free(bad);

  ro = cmx_pagerduty_new(t.engine, "pd-readonly-token",
                         CMX_PAGERDUTY_AUTH_TOKEN, err, sizeof(err));
  cmx_pagerduty_set_base_url(ro, t.url);
  cmx_pagerduty_set_default_from(ro, "a@b.c");
  body = json_tokener_parse("{\"name\":\"T9\"}");
  ck_assert_int_eq(cmx_pagerduty_rpost(ro, "teams", body, on_rest, &r),
                   CMX_OK);
  json_object_put(body);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_EHTTP);
  ck_assert_int_eq(r.status, 403);
  ck_assert_int_eq(r.pd_code, 2010);
  ck_assert_str_eq(r.kind, "2010");
  ck_assert_str_eq(r.message, "Access Denied");
  ck_assert_uint_eq(r.attempts, 1);
  rec_clear(&r);
  cmx_pagerduty_free(ro);

  /* OAuth bearer: user-level, /users/me works */
  oauth = cmx_pagerduty_new(t.engine, "pd-oauth-token",
                            CMX_PAGERDUTY_AUTH_BEARER, err, sizeof(err));
  cmx_pagerduty_set_base_url(oauth, t.url);
  ck_assert_int_eq(cmx_pagerduty_rget(oauth, "users/me", NULL, on_rest, &r),
                   CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_ptr_nonnull(r.value);
  rec_clear(&r);
  cmx_pagerduty_free(oauth);

  ck_assert_ptr_null(cmx_pagerduty_new(t.engine, "", CMX_PAGERDUTY_AUTH_TOKEN,
                                       err, sizeof(err)));
  ck_assert_ptr_nonnull(strstr(err, "api_key"));
  env_down(&t);
}
END_TEST

/* ---- pagination --------------------------------------------------- */

typedef struct order {
  rec r; /* first: on_iter_done records into it */
  long last;
  int bad;
  size_t n;
} order;

static int check_order(cmx_pagerduty *pd, struct json_object *item, size_t n,
                       long total, void *ud)
{
  order *o = ud;
  struct json_object *v;
  long id;

  (void)pd;
  (void)total;
  json_object_object_get_ex(item, "id", &v);
  id = strtol(json_object_get_string(v) + 2, NULL, 10);
  if (id != o->last + 1 || n != o->n + 1)
    o->bad++;
  o->last = id;
  o->n = n;
  return 0;
}

static void on_iter_done(cmx_pagerduty *pd, const cmx_pagerduty_result *res,
                         void *ud)
{
  (void)pd;
  record(ud, res);
}

START_TEST(test_iter_3000_users)
{
  static const char *const cfg[] = {"pagerduty.users", "3000", NULL};
  env t;
  order o;
  rec r = {0};
  cmx_pagerduty_iter_opts seq = {0, 1, 0};

  memset(&o, 0, sizeof(o));
  env_up(&t, cfg);
  /* parallel fan-out (default): in order */
  ck_assert_int_eq(cmx_pagerduty_iter_all(t.pd, "users", NULL, NULL,
                                          check_order, on_iter_done, &o),
                   CMX_OK);
  wait_rec(&t, &o.r, 30000);
  r = o.r;
  memset(&o.r, 0, sizeof(o.r));
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_uint_eq(r.count, 3000);
  ck_assert_int_eq(r.total, 3000);
  ck_assert_int_eq(r.capped, 0);
  ck_assert_int_eq(o.bad, 0);
  ck_assert_int_eq(o.last, 3000);
  ck_assert_int_eq(route_count(&t, "pagerduty GET /users"), 30);
  rec_clear(&r);

  /* sequential list_all */
  ck_assert_int_eq(
      cmx_pagerduty_list_all(t.pd, "users", NULL, &seq, on_iter_done, &r),
      CMX_OK);
  wait_rec(&t, &r, 30000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_int_eq(json_object_array_length(r.value), 3000);
  rec_clear(&r);

  /* dict_all by email */
  ck_assert_int_eq(cmx_pagerduty_dict_all(t.pd, "users", NULL, "email", NULL,
                                          on_iter_done, &r),
                   CMX_OK);
  wait_rec(&t, &r, 30000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_int_eq(json_object_object_length(r.value), 3000);
  ck_assert(json_object_object_get_ex(r.value, "user2999@example.com", NULL));
  rec_clear(&r);
  env_down(&t);
}
END_TEST

START_TEST(test_iter_cap)
{
  static const char *const cfg[] = {"pagerduty.users", "10100", NULL};
  env t;
  rec r = {0};
  struct json_object *params = json_object_new_object();
  cmx_pagerduty_iter_opts seq = {0, 1, 0};
  int64_t before;

  env_up(&t, cfg);
  json_object_object_add(params, "offset", json_object_new_int(9700));
  /* parallel */
  ck_assert_int_eq(cmx_pagerduty_iter_all(t.pd, "users", params, NULL, NULL,
                                          on_iter_done, &r),
                   CMX_OK);
  wait_rec(&t, &r, 30000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_uint_eq(r.count, 300);
  ck_assert_int_eq(r.capped, 1);
  ck_assert_ptr_nonnull(strstr(r.detail, "10000"));
  ck_assert_int_eq(route_count(&t, "pagerduty status 400"), 0);
  rec_clear(&r);
  /* sequential */
  ck_assert_int_eq(cmx_pagerduty_iter_all(t.pd, "users", params, &seq, NULL,
                                          on_iter_done, &r),
                   CMX_OK);
  wait_rec(&t, &r, 30000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_uint_eq(r.count, 300);
  ck_assert_int_eq(r.capped, 1);
  rec_clear(&r);
  /* start beyond the cap: no request at all */
  before = route_count(&t, "pagerduty GET /users");
  json_object_object_add(params, "offset", json_object_new_int(9950));
  ck_assert_int_eq(cmx_pagerduty_iter_all(t.pd, "users", params, NULL, NULL,
                                          on_iter_done, &r),
                   CMX_OK);
  ck_assert_int_eq(r.calls, 0); /* never from inside the call */
  wait_rec(&t, &r, 30000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_uint_eq(r.count, 0);
  ck_assert_int_eq(r.capped, 1);
  ck_assert_int_eq(route_count(&t, "pagerduty GET /users"), before);
  rec_clear(&r);
  json_object_put(params);
  env_down(&t);
}
END_TEST

START_TEST(test_iter_empty_more)
{
  static const char *const cfg[] = {"pagerduty.users", "150",
                                    "pagerduty.empty_more", "1", NULL};
  env t;
  rec r = {0};
  cmx_pagerduty_iter_opts seq = {0, 1, 0};

  env_up(&t, cfg);
  ck_assert_int_eq(cmx_pagerduty_iter_all(t.pd, "users", NULL, &seq, NULL,
                                          on_iter_done, &r),
                   CMX_OK);
  wait_rec(&t, &r, 30000);
  ck_assert_int_eq(r.code, CMX_EPROTO);
  ck_assert_uint_eq(r.count, 100);
  ck_assert_ptr_nonnull(strstr(r.detail, "more"));
  ck_assert_int_eq(route_count(&t, "pagerduty GET /users"), 2);
  rec_clear(&r);
  env_down(&t);
}
END_TEST

START_TEST(test_cursor)
{
  static const char *const cfg[] = {"pagerduty.audit_records", "250", NULL};
  env t;
  rec r = {0};

  env_up(&t, cfg);
  ck_assert_int_eq(cmx_pagerduty_list_all(t.pd, "audit/records", NULL, NULL,
                                          on_iter_done, &r),
                   CMX_OK);
  wait_rec(&t, &r, 30000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_int_eq(json_object_array_length(r.value), 250);
  ck_assert_int_eq(route_count(&t, "pagerduty GET /audit/records"), 3);
  rec_clear(&r);
  ck_assert_int_eq(cmx_pagerduty_iter_cursor(t.pd, "/audit/records", NULL,
                                             NULL, NULL, on_iter_done, &r),
                   CMX_OK);
  wait_rec(&t, &r, 30000);
  ck_assert_uint_eq(r.count, 250);
  rec_clear(&r);
  env_down(&t);
}
END_TEST

START_TEST(test_find_persist)
{
  static const char *const cfg[] = {"pagerduty.users", "250", NULL};
  env t;
  rec r = {0};
  struct json_object *vals, *v;
  char id[64];
  int64_t posts, puts;

  env_up(&t, cfg);
  cmx_pagerduty_set_default_from(t.pd, "admin@example.com");
  ck_assert_int_eq(cmx_pagerduty_find(t.pd, "users", "USER42@example.COM",
                                      "email", NULL, on_rest, &r),
                   CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_ptr_nonnull(r.value);
  json_object_object_get_ex(r.value, "id", &v);
  ck_assert_str_eq(json_object_get_string(v), "PU000042");
  rec_clear(&r);
  ck_assert_int_eq(cmx_pagerduty_find(t.pd, "users", "nobody@example.com",
                                      "email", NULL, on_rest, &r),
                   CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_ptr_null(r.value);
  rec_clear(&r);

  /* persist: create */
  vals = json_tokener_parse("{\"email\":\"z@b.c\",\"name\":\"Zed\"}");
  ck_assert_int_eq(
      cmx_pagerduty_persist(t.pd, "users", "email", vals, 0, on_rest, &r),
      CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  json_object_object_get_ex(r.value, "id", &v);
  snprintf(id, sizeof(id), "%s", json_object_get_string(v));
  rec_clear(&r);
  posts = route_count(&t, "pagerduty POST /users");
  ck_assert_int_eq(posts, 1);
  /* again: found, no write */
  ck_assert_int_eq(
      cmx_pagerduty_persist(t.pd, "users", "email", vals, 0, on_rest, &r),
      CMX_OK);
  wait_rec(&t, &r, 10000);
  json_object_object_get_ex(r.value, "id", &v);
  ck_assert_str_eq(json_object_get_string(v), id);
  rec_clear(&r);
  ck_assert_int_eq(route_count(&t, "pagerduty POST /users"), 1);
  /* update, unchanged: no PUT */
  ck_assert_int_eq(
      cmx_pagerduty_persist(t.pd, "users", "email", vals, 1, on_rest, &r),
      CMX_OK);
  wait_rec(&t, &r, 10000);
  rec_clear(&r);
  puts = route_count(&t, "pagerduty PUT /users/*");
  ck_assert_int_eq(puts, 0);
  /* update, changed: PUT */
  json_object_object_add(vals, "name", json_object_new_string("Zed Two"));
  ck_assert_int_eq(
      cmx_pagerduty_persist(t.pd, "users", "email", vals, 1, on_rest, &r),
      CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  json_object_object_get_ex(r.value, "name", &v);
  ck_assert_str_eq(json_object_get_string(v), "Zed Two");
  rec_clear(&r);
  ck_assert_int_eq(route_count(&t, "pagerduty PUT /users/*"), 1);
  json_object_put(vals);
  /* bad values */
  vals = json_tokener_parse("{\"name\":\"x\"}");
  ck_assert_int_eq(
      cmx_pagerduty_persist(t.pd, "users", "email", vals, 0, on_rest, &r),
      CMX_EINVAL);
  ck_assert_ptr_nonnull(strstr(cmx_pagerduty_last_error(t.pd), "email"));
  json_object_put(vals);
  env_down(&t);
}
END_TEST

START_TEST(test_multi_update_600)
{
  static const char *const cfg[] = {"pagerduty.incidents", "600", NULL};
  env t;
  rec r = {0};
  struct json_object *list = json_object_new_array(), *params, *sts;
  char id[32];
  int i;

  env_up(&t, cfg);
  for (i = 1; i <= 600; i++) {
    struct json_object *x = json_object_new_object();
    snprintf(id, sizeof(id), "PI%06d", i);
    json_object_object_add(x, "id", json_object_new_string(id));
    json_object_object_add(x, "type",
                           json_object_new_string("incident_reference"));
    json_object_object_add(x, "status",
                           json_object_new_string("acknowledged"));
    json_object_array_add(list, x);
  }
  /* From is required */
  ck_assert_int_eq(cmx_pagerduty_rput(t.pd, "incidents", list, on_rest, &r),
                   CMX_OK);
  wait_rec(&t, &r, 30000);
  ck_assert_int_eq(r.code, CMX_EHTTP);
  ck_assert_int_eq(r.status, 400);
  rec_clear(&r);
  cmx_pagerduty_set_default_from(t.pd, "admin@example.com");
  ck_assert_int_eq(cmx_pagerduty_rput(t.pd, "incidents", list, on_rest, &r),
                   CMX_OK);
  wait_rec(&t, &r, 30000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_uint_eq(r.count, 600);
  ck_assert_int_eq(json_object_array_length(r.value), 600);
  ck_assert_int_eq(sim_counter(t.sim, "pagerduty.incidents_updated"), 600);
  ck_assert_int_eq(route_count(&t, "pagerduty status 413"), 0);
  rec_clear(&r);
  /* all acknowledged now: filter by statuses[] */
  params = json_object_new_object();
  sts = json_object_new_array();
  json_object_array_add(sts, json_object_new_string("acknowledged"));
  json_object_object_add(params, "statuses[]", sts);
  ck_assert_int_eq(cmx_pagerduty_iter_all(t.pd, "incidents", params, NULL,
                                          NULL, on_iter_done, &r),
                   CMX_OK);
  wait_rec(&t, &r, 30000);
  ck_assert_uint_eq(r.count, 600);
  rec_clear(&r);
  json_object_put(params);
  json_object_put(list);
  env_down(&t);
}
END_TEST

START_TEST(test_rate_limit)
{
  static const char *const cfg[] = {NULL};
  env t;
  rec r[12];
  cmx_retry_policy p;
  int i;

  memset(r, 0, sizeof(r));
  env_up(&t, cfg);
  sim_config_set(t.sim, "pagerduty.rest_limit", "5");
  sim_config_set(t.sim, "pagerduty.rest_window_ms", "1000");
  for (i = 0; i < 12; i++)
    ck_assert_int_eq(
        cmx_pagerduty_rget(t.pd, "users/PU000001", NULL, on_rest, &r[i]),
        CMX_OK);
  for (i = 0; i < 12; i++) {
    wait_rec(&t, &r[i], 30000);
    ck_assert_int_eq(r[i].code, CMX_OK);
    rec_clear(&r[i]);
  }
  ck_assert_int_gt(sim_counter(t.sim, "pagerduty.rest_429"), 0);

  /* bounded: a long window and 2 attempts end with ERATELIMIT */
  sim_config_set(t.sim, "pagerduty.rest_limit", "1");
  sim_config_set(t.sim, "pagerduty.rest_window_ms", "60000");
  cmx_retry_policy_default(&p);
  p.max_attempts = 2;
  p.max_wait_ms = 100;
  ck_assert_int_eq(cmx_pagerduty_set_retry(t.pd, &p), CMX_OK);
  for (i = 0; i < 2; i++)
    ck_assert_int_eq(
        cmx_pagerduty_rget(t.pd, "users/PU000001", NULL, on_rest, &r[i]),
        CMX_OK);
  for (i = 0; i < 2; i++)
    wait_rec(&t, &r[i], 30000);
  ck_assert(r[0].code == CMX_ERATELIMIT || r[1].code == CMX_ERATELIMIT);
  for (i = 0; i < 2; i++)
    if (r[i].code == CMX_ERATELIMIT) {
      ck_assert_int_eq(r[i].status, 429);
      ck_assert_int_eq(r[i].pd_code, 2020);
      ck_assert_uint_le(r[i].attempts, 2);
    }
  for (i = 0; i < 2; i++)
    rec_clear(&r[i]);
  env_down(&t);
}
END_TEST

/* 5xx: retried for idempotent methods only (503 also for POST: "not
 * applied"); the REST lane's default policy, bounded. */
START_TEST(test_rest_5xx)
{
  env t;
  rec r = {0};
  sim_fault f;
  cmx_retry_policy p;
  struct json_object *body;

  env_up(&t, NULL);
  cmx_pagerduty_set_default_from(t.pd, "admin@example.com");
  cmx_retry_policy_default(&p);
  p.max_attempts = 5;
  p.base_ms = 5;
  p.cap_ms = 20;
  p.retry_500 = 1;
  ck_assert_int_eq(cmx_pagerduty_set_retry(t.pd, &p), CMX_OK);
  memset(&f, 0, sizeof(f));
  f.service = "pagerduty";
  f.kind = SIM_FAULT_STATUS;
  /* GET: two 502s, then the answer */
  f.method = "GET";
  f.path = "/users/PU000001";
  f.status = 502;
  f.count = 2;
  ck_assert_int_eq(sim_fault_add(t.sim, &f), 0);
  ck_assert_int_eq(
      cmx_pagerduty_rget(t.pd, "users/PU000001", NULL, on_rest, &r), CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_uint_eq(r.attempts, 3);
  rec_clear(&r);
  /* GET, 500 for ever: bounded at max_attempts */
  f.path = "/users/PU000002";
  f.status = 500;
  f.count = -1;
  ck_assert_int_eq(sim_fault_add(t.sim, &f), 0);
  ck_assert_int_eq(
      cmx_pagerduty_rget(t.pd, "users/PU000002", NULL, on_rest, &r), CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_EHTTP);
  ck_assert_int_eq(r.status, 500);
  ck_assert_uint_eq(r.attempts, 5);
  rec_clear(&r);
  /* POST, 502: may have been applied, never resent */
  f.method = "POST";
  f.path = "/teams";
  f.status = 502;
  f.count = 1;
  ck_assert_int_eq(sim_fault_add(t.sim, &f), 0);
  body = json_tokener_parse("{\"name\":\"Nightly\"}");
  ck_assert_int_eq(cmx_pagerduty_rpost(t.pd, "teams", body, on_rest, &r),
                   CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_EHTTP);
  ck_assert_int_eq(r.status, 502);
  ck_assert_uint_eq(r.attempts, 1);
  ck_assert_int_eq(route_count(&t, "pagerduty POST /teams"), 1);
  rec_clear(&r);
  /* POST, 503: rejected, not applied: resent */
  f.status = 503;
  f.count = 1;
  ck_assert_int_eq(sim_fault_add(t.sim, &f), 0);
  ck_assert_int_eq(cmx_pagerduty_rpost(t.pd, "teams", body, on_rest, &r),
                   CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_int_eq(r.status, 201);
  ck_assert_uint_eq(r.attempts, 2);
  rec_clear(&r);
  json_object_put(body);
  env_down(&t);
}
END_TEST

/* The sessions' default lanes: REST 960/min, events 120/min, settable. */
START_TEST(test_default_lanes)
{
  char err[256], *js;
  cmx_engine *e = cmx_engine_new(NULL, NULL);
  cmx_pagerduty *pd;
  cmx_pagerduty_events *ev;
  struct json_object *st, *lanes, *l, *v;
  size_t i;
  int seen = 0;

  ck_assert_ptr_nonnull(e);
  pd = cmx_pagerduty_new(e, "key-one", CMX_PAGERDUTY_AUTH_TOKEN, err,
                         sizeof(err));
  ev = cmx_pagerduty_events_new(e, "routing-one", err, sizeof(err));
  ck_assert_ptr_nonnull(pd);
  ck_assert_ptr_nonnull(ev);
  js = cmx_engine_stats_json(e);
  st = json_tokener_parse(js);
  free(js);
  ck_assert(json_object_object_get_ex(st, "lanes", &lanes));
  for (i = 0; i < json_object_array_length(lanes); i++) {
    const char *name;

    l = json_object_array_get_idx(lanes, i);
    json_object_object_get_ex(l, "name", &v);
    name = json_object_get_string(v);
    ck_assert_ptr_null(strstr(name, "key-one")); /* never the secret */
    ck_assert_ptr_null(strstr(name, "routing-one"));
    json_object_object_get_ex(l, "rate", &v);
    if (strncmp(name, "pagerduty:", 10) == 0) {
      ck_assert(json_object_get_double(v) > 15.99 &&
                json_object_get_double(v) < 16.01); /* 960/min */
      seen |= 1;
    } else if (strncmp(name, "pagerduty-events:", 17) == 0) {
      ck_assert(json_object_get_double(v) > 1.99 &&
                json_object_get_double(v) < 2.01); /* 120/min */
      seen |= 2;
    }
  }
  ck_assert_int_eq(seen, 3);
  json_object_put(st);
  ck_assert_int_eq(cmx_pagerduty_set_rate(pd, 600, 5), CMX_OK);
  ck_assert_int_eq(cmx_pagerduty_events_set_rate(ev, 10000, 10), CMX_OK);
  ck_assert_int_eq(cmx_pagerduty_set_rate(pd, -1, 5), CMX_EINVAL);
  cmx_pagerduty_free(pd);
  cmx_pagerduty_events_free(ev);
  cmx_engine_free(e);
}
END_TEST

/* ---- events ------------------------------------------------------- */

START_TEST(test_events_flow)
{
  env t;
  rec r = {0};
  cmx_pagerduty_event e;
  cmx_pagerduty_change c;
  char dk[300];

  env_up(&t, NULL);
  memset(&e, 0, sizeof(e));
  e.summary = "disk full";
  e.source = "host1";
  ck_assert_int_eq(cmx_pagerduty_trigger(t.ev, &e, on_ev, &r), CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_int_eq(r.status, 202);
  ck_assert_uint_eq(strlen(r.dedup), 36);
  snprintf(dk, sizeof(dk), "%s", r.dedup);
  rec_clear(&r);
  ck_assert_int_eq(sim_counter(t.sim, "pagerduty.alerts_opened"), 1);
  /* same key again: deduplicated */
  e.dedup_key = dk;
  ck_assert_int_eq(cmx_pagerduty_trigger(t.ev, &e, on_ev, &r), CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_str_eq(r.dedup, dk);
  rec_clear(&r);
  ck_assert_int_eq(sim_counter(t.sim, "pagerduty.alerts_opened"), 1);
  ck_assert_int_eq(sim_counter(t.sim, "pagerduty.events_deduped"), 1);
  ck_assert_int_eq(cmx_pagerduty_acknowledge(t.ev, dk, on_ev, &r), CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  rec_clear(&r);
  ck_assert_int_eq(cmx_pagerduty_resolve(t.ev, dk, on_ev, &r), CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  rec_clear(&r);
  /* resolved: a new trigger opens a new alert */
  ck_assert_int_eq(cmx_pagerduty_trigger(t.ev, &e, on_ev, &r), CMX_OK);
  wait_rec(&t, &r, 10000);
  rec_clear(&r);
  ck_assert_int_eq(sim_counter(t.sim, "pagerduty.alerts_opened"), 2);
  /* invalid: refused before I/O */
  e.severity = "bad";
  ck_assert_int_eq(cmx_pagerduty_trigger(t.ev, &e, on_ev, &r), CMX_EINVAL);
  ck_assert_ptr_nonnull(
      strstr(cmx_pagerduty_events_last_error(t.ev), "severity"));
  ck_assert_int_eq(cmx_pagerduty_acknowledge(t.ev, NULL, on_ev, &r),
                   CMX_EINVAL);
  ck_assert_int_eq(r.calls, 0);
  /* change event */
  memset(&c, 0, sizeof(c));
  c.summary = "deployed v2";
  c.source = "ci";
  ck_assert_int_eq(cmx_pagerduty_change_submit(t.ev, &c, on_ev, &r), CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_int_eq(r.status, 202);
  rec_clear(&r);
  ck_assert_int_eq(sim_counter(t.sim, "pagerduty.change_events"), 1);
  env_down(&t);
}
END_TEST

START_TEST(test_events_errors)
{
  static const char *const cfg[] = {"pagerduty.routing_key", "GOODKEY", NULL};
  env t;
  rec r = {0};
  cmx_pagerduty_event e;
  cmx_pagerduty_change c;
  sim_fault f;

  env_up(&t, cfg);
  memset(&e, 0, sizeof(e));
  e.summary = "x";
  e.source = "y";
  /* unknown routing key: 400 once, never retried */
  ck_assert_int_eq(cmx_pagerduty_trigger(t.ev, &e, on_ev, &r), CMX_OK);
  wait_rec(&t, &r, 10000);
  ck_assert_int_eq(r.code, CMX_EHTTP);
  ck_assert_int_eq(r.status, 400);
  ck_assert_str_eq(r.kind, "invalid event");
  ck_assert_uint_eq(r.attempts, 1);
  rec_clear(&r);
  /* change events: 500 is retried twice more by the client, then ends */
  memset(&f, 0, sizeof(f));
  f.service = "pagerduty";
  f.path = "/v2/change/enqueue";
  f.kind = SIM_FAULT_STATUS;
  f.status = 500;
  f.count = -1;
  ck_assert_int_eq(sim_fault_add(t.sim, &f), 0);
  memset(&c, 0, sizeof(c));
  c.summary = "deploy";
  ck_assert_int_eq(cmx_pagerduty_change_submit(t.ev, &c, on_ev, &r), CMX_OK);
  wait_rec(&t, &r, 20000);
  ck_assert_int_eq(r.code, CMX_EHTTP);
  ck_assert_int_eq(r.status, 500);
  ck_assert_int_eq(route_count(&t, "pagerduty POST /v2/change/enqueue"), 3);
  rec_clear(&r);
  env_down(&t);
}
END_TEST

/* Events: 502 retried (bounded: 7 attempts in all); change events: 504 is
 * not retried. */
START_TEST(test_events_retry_counts)
{
  env t;
  rec r = {0};
  sim_fault f;
  cmx_retry_policy p;
  cmx_pagerduty_event e;
  cmx_pagerduty_change c;

  env_up(&t, NULL);
  cmx_retry_policy_default(&p);
  p.max_attempts = 7;
  p.base_ms = 5;
  p.cap_ms = 20;
  p.retry_500 = 1;
  ck_assert_int_eq(cmx_pagerduty_events_set_retry(t.ev, &p), CMX_OK);
  memset(&f, 0, sizeof(f));
  f.service = "pagerduty";
  f.path = "/v2/enqueue";
  f.kind = SIM_FAULT_STATUS;
  f.status = 502;
  f.count = -1;
  ck_assert_int_eq(sim_fault_add(t.sim, &f), 0);
  memset(&e, 0, sizeof(e));
  e.summary = "s";
  e.source = "src";
  ck_assert_int_eq(cmx_pagerduty_trigger(t.ev, &e, on_ev, &r), CMX_OK);
  wait_rec(&t, &r, 20000);
  ck_assert_int_eq(r.code, CMX_EHTTP);
  ck_assert_int_eq(r.status, 502);
  ck_assert_uint_eq(r.attempts, 7);
  ck_assert_int_eq(route_count(&t, "pagerduty POST /v2/enqueue"), 7);
  ck_assert_uint_eq(strlen(r.dedup), 36); /* the same key every time */
  rec_clear(&r);
  sim_fault_clear(t.sim);
  f.path = "/v2/change/enqueue";
  f.status = 504;
  ck_assert_int_eq(sim_fault_add(t.sim, &f), 0);
  memset(&c, 0, sizeof(c));
  c.summary = "deploy";
  ck_assert_int_eq(cmx_pagerduty_change_submit(t.ev, &c, on_ev, &r), CMX_OK);
  wait_rec(&t, &r, 20000);
  ck_assert_int_eq(r.code, CMX_EHTTP);
  ck_assert_int_eq(r.status, 504);
  ck_assert_int_eq(route_count(&t, "pagerduty POST /v2/change/enqueue"), 1);
  rec_clear(&r);
  env_down(&t);
}
END_TEST

/* 2,000 triggers through 429s, 503s, dropped connections and lost acks:
 * exactly 2,000 distinct incidents. */
typedef struct mix {
  int done, ok;
} mix;

static void on_mix(cmx_pagerduty_events *ev, const cmx_pagerduty_result *res,
                   void *ud)
{
  mix *m = ud;

  (void)ev;
  m->done++;
  if (res->code == CMX_OK)
    m->ok++;
  else
    fprintf(stderr, "trigger failed: %s %s\n", cmx_code_name(res->code),
            res->detail);
}

START_TEST(test_events_fault_mix)
{
  static const char *const cfg[] = {"pagerduty.lost_ack_every", "37", NULL};
  env t;
  mix m = {0, 0};
  sim_fault f;
  cmx_retry_policy p;
  cmx_pagerduty_event e;
  char summary[64];
  int i, all = 0;

  env_up(&t, cfg);
  memset(&f, 0, sizeof(f));
  f.service = "pagerduty";
  f.path = "/v2/enqueue";
  f.count = -1;
  f.kind = SIM_FAULT_STATUS;
  f.status = 429;
  f.retry_after = "0";
  f.every = 13;
  ck_assert_int_eq(sim_fault_add(t.sim, &f), 0);
  f.status = 503;
  f.retry_after = NULL;
  f.every = 11;
  ck_assert_int_eq(sim_fault_add(t.sim, &f), 0);
  f.kind = SIM_FAULT_DROP;
  f.status = 0;
  f.every = 17;
  ck_assert_int_eq(sim_fault_add(t.sim, &f), 0);

  cmx_retry_policy_default(&p);
  /* About a quarter of all requests meet a fault: with 7 attempts, one of
   * 2,000 calls meeting seven in a row happens in about one run in ten;
   * with 12, in about one in ten thousand. */
  p.max_attempts = 12;
  p.base_ms = 10;
  p.cap_ms = 200;
  p.retry_500 = 1;
  p.budget_percent = 100;
  p.budget_min = 100;
  ck_assert_int_eq(cmx_pagerduty_events_set_retry(t.ev, &p), CMX_OK);
  cmx_lane_set_max_inflight(cmx_pagerduty_events_lane(t.ev), 32);

  memset(&e, 0, sizeof(e));
  e.source = "fault-mix";
  e.severity = "warning";
  for (i = 0; i < 2000; i++) {
    snprintf(summary, sizeof(summary), "event %d", i);
    e.summary = summary;
    ck_assert_int_eq(cmx_pagerduty_trigger(t.ev, &e, on_mix, &m), CMX_OK);
  }
  while (m.done < 2000) {
    int flag = 0;
    tu_run_until(t.base, &flag, 1000);
    if (getenv("PD_DEBUG")) {
      char *js = all == 3 ? cmx_engine_stats_json(t.engine) : NULL;

      fprintf(stderr, "t=%ds done=%d queued=%zu inflight=%u out=%zu %s\n",
              all + 1, m.done,
              cmx_lane_queued(cmx_pagerduty_events_lane(t.ev)),
              cmx_lane_inflight(cmx_pagerduty_events_lane(t.ev)),
              cmx_engine_outstanding(t.engine), js ? js : "");
      free(js);
    }
    if (++all > 60) /* 60 s */
      break;
  }
  ck_assert_int_eq(m.done, 2000);
  ck_assert_int_eq(m.ok, 2000);
  ck_assert_int_eq(sim_counter(t.sim, "pagerduty.alerts_opened"), 2000);
  ck_assert_int_gt(sim_counter(t.sim, "pagerduty.lost_acks"), 0);
  ck_assert_int_eq(sim_counter(t.sim, "pagerduty.events_deduped"),
                   sim_counter(t.sim, "pagerduty.lost_acks"));
  ck_assert_int_gt(sim_counter(t.sim, "faults.applied"), 100);
  env_down(&t);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("pagerduty");
  TCase *tc = tcase_create("sans-io");

  tcase_add_test(tc, test_canonical_paths);
  tcase_add_test(tc, test_wrappers);
  tcase_add_test(tc, test_event_bodies);
  suite_add_tcase(s, tc);
  tc = tcase_create("rest");
  tcase_add_test(tc, test_headers_and_params);
  tcase_add_test(tc, test_wrapped_crud);
  tcase_add_test(tc, test_auth_and_forbidden);
  tcase_add_test(tc, test_iter_3000_users);
  tcase_add_test(tc, test_iter_cap);
  tcase_add_test(tc, test_iter_empty_more);
  tcase_add_test(tc, test_cursor);
  tcase_add_test(tc, test_find_persist);
  tcase_add_test(tc, test_multi_update_600);
  tcase_add_test(tc, test_rate_limit);
  tcase_add_test(tc, test_rest_5xx);
  tcase_add_test(tc, test_default_lanes);
  suite_add_tcase(s, tc);
  tc = tcase_create("events");
  tcase_add_test(tc, test_events_flow);
  tcase_add_test(tc, test_events_errors);
  tcase_add_test(tc, test_events_retry_counts);
  tcase_add_test(tc, test_events_fault_mix);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
