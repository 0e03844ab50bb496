/*
 * Partisci module tests: sans-I/O (app_id, validation, encoding, URLs,
 * parsers, the reporter's schedule) without a loop, then end to end against
 * the in-process simulator (UDP and HTTP on one port) on the engine's loop.
 */
#include "config.h"

#include <check.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <callmux/callmux.h>
#include <callmux/partisci.h>

#include "services/partisci/partisci-int.h"
#include "sim/sim.h"

/* ================================================================== */
/* sans-I/O                                                             */

static void expect_id(const char *app, const char *id)
{
  char *got = cmx_partisci_app_id(app);

  ck_assert_ptr_nonnull(got);
  ck_assert_msg(strcmp(got, id) == 0, "app_id(%s) = %s, want %s", app, got,
                id);
  free(got);
}

START_TEST(app_id_rule)
{
  expect_id("Demo App A", "demo_app_a");
  expect_id("Demo App A!", "demo_app_a_");
  expect_id("Caf\xc3\xa9 \xc3\x9cn\xc3\xaf", "caf___n_");
  expect_id("_!@#$%^&*( ", "___________");
  expect_id("LoWeR", "lower");
  expect_id("", "");
  expect_id("a--b..c", "a__b__c");      /* nothing collapsed */
  expect_id("\xc4\xb0", "i");           /* U+0130 lowercases to i */
  expect_id("\xe2\x84\xaa", "k");       /* KELVIN SIGN lowercases to k */
  expect_id("x\xffy", "x_y");           /* an invalid byte: one char */
  expect_id("\xf0\x9f\x98\x80z", "_z"); /* 4-byte char: one '_' */
  ck_assert_ptr_null(cmx_partisci_app_id(NULL));
}
END_TEST

/* 51 copies of `unit` */
static char *repeat(const char *unit, int n)
{
  size_t ul = strlen(unit);
  char *s = malloc(ul * (size_t)n + 1);
  int i;

  ck_assert_ptr_nonnull(s);
  for (i = 0; i < n; i++)
    memcpy(s + ul * (size_t)i, unit, ul);
  s[ul * (size_t)n] = '\0';
  return s;
}

static void expect_invalid(const cmx_partisci_update *u, const char *needle)
{
  char err[200] = "";

  ck_assert_int_eq(cmx_partisci_update_validate(u, err, sizeof(err)),
                   CMX_EINVAL);
  ck_assert_msg(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err,
                needle);
  ck_assert_ptr_null(cmx_partisci_update_encode(u, NULL, NULL, 0));
}

START_TEST(validation_rules)
{
  char *a50 = repeat("a", 50), *a51 = repeat("a", 51);
  char *e50 = repeat("\xc3\xa9", 50), *e51 = repeat("\xc3\xa9", 51);
  cmx_partisci_update u = {"app", "1.0", "h", 0};
  char err[200];

  ck_assert_int_eq(cmx_partisci_update_validate(&u, err, sizeof(err)), CMX_OK);
  ck_assert_int_eq(cmx_partisci_update_validate(NULL, err, sizeof(err)),
                   CMX_EINVAL);

  u.app = NULL;
  expect_invalid(&u, "app: must be a non-empty string");
  u.app = "";
  expect_invalid(&u, "app: must be a non-empty string");
  u.app = "app";
  u.ver = NULL;
  expect_invalid(&u, "ver: must be a non-empty string");
  u.ver = "";
  expect_invalid(&u, "ver: must be a non-empty string");
  u.ver = "1.0";

  /* 50 characters pass, 51 fail, counted in code points not bytes */
  u.app = a50;
  ck_assert_int_eq(cmx_partisci_update_validate(&u, NULL, 0), CMX_OK);
  u.app = e50; /* 100 bytes, 50 characters */
  ck_assert_int_eq(cmx_partisci_update_validate(&u, NULL, 0), CMX_OK);
  u.app = a51;
  expect_invalid(&u, "app: 51 characters, at most 50 allowed");
  u.app = e51;
  expect_invalid(&u, "app: 51 characters");
  u.app = "app";
  u.ver = a51;
  expect_invalid(&u, "ver: 51 characters");
  u.ver = "1.0";
  u.host = e51;
  expect_invalid(&u, "host: 51 characters");
  u.host = e50;
  ck_assert_int_eq(cmx_partisci_update_validate(&u, NULL, 0), CMX_OK);

  /* UTF-8 of each field */
  u.host = "h";
  u.app = "bad\xff";
  expect_invalid(&u, "app: not valid UTF-8");
  u.app = "app";
  u.ver = "\xc0\xaf"; /* overlong '/' */
  expect_invalid(&u, "ver: not valid UTF-8");
  u.ver = "1.0";
  u.host = "\xed\xa0\x80"; /* a surrogate */
  expect_invalid(&u, "host: not valid UTF-8");
  u.host = "\xe2\x82"; /* truncated sequence */
  expect_invalid(&u, "host: not valid UTF-8");
  u.host = NULL; /* default host: allowed */
  ck_assert_int_eq(cmx_partisci_update_validate(&u, NULL, 0), CMX_OK);
  u.host = "";
  ck_assert_int_eq(cmx_partisci_update_validate(&u, NULL, 0), CMX_OK);

  /* instance range */
  u.instance = -1;
  expect_invalid(&u, "instance: -1 is outside 0..65535");
  u.instance = 65536;
  expect_invalid(&u, "instance: 65536 is outside 0..65535");
  u.instance = 65535;
  ck_assert_int_eq(cmx_partisci_update_validate(&u, NULL, 0), CMX_OK);
  free(a50);
  free(a51);
  free(e50);
  free(e51);
}
END_TEST

START_TEST(encode_update)
{
  cmx_partisci_update u = {"Demo \"App\"", "1.0\n", "h\xc3\xa9", 7};
  size_t len = 0;
  char err[200] = "";
  char *s = cmx_partisci_update_encode(&u, &len, err, sizeof(err));
  json_object *o;

  ck_assert_ptr_nonnull(s);
  ck_assert_str_eq(s, "{\"app\":\"Demo \\\"App\\\"\",\"ver\":\"1.0\\n\","
                      "\"host\":\"h\xc3\xa9\",\"instance\":7}");
  ck_assert_uint_eq(len, strlen(s));
  o = json_tokener_parse(s);
  ck_assert_ptr_nonnull(o);
  ck_assert_str_eq(json_object_get_string(json_object_object_get(o, "app")),
                   "Demo \"App\"");
  json_object_put(o);
  free(s);

  /* control characters escaped; NULL host sent as "" */
  u.app = "a\x01";
  u.host = NULL;
  u.instance = 0;
  s = cmx_partisci_update_encode(&u, &len, NULL, 0);
  ck_assert_str_eq(s, "{\"app\":\"a\\u0001\",\"ver\":\"1.0\\n\","
                      "\"host\":\"\",\"instance\":0}");
  free(s);

  /* the datagram rule (unreachable with 50-character fields and the real
   * 2048 limit, so proven with a small one) */
  u.app = "abcdefghij";
  s = cmx__partisci_encode(&u, 40, &len, err, sizeof(err));
  ck_assert_ptr_null(s);
  ck_assert_msg(strstr(err, "a datagram holds at most 40") != NULL, "%s", err);
  /* and the worst case of real fields stays under 2048 */
  {
    char *w = repeat("\x01", 50);
    cmx_partisci_update big = {w, w, w, 65535};

    s = cmx_partisci_update_encode(&big, &len, err, sizeof(err));
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_le(len, CMX_PARTISCI_MAX_DATAGRAM);
    free(s);
    free(w);
  }
}
END_TEST

static void expect_url(const char *base, cmx_partisci_era era,
                       cmx_partisci_endpoint ep, const cmx_partisci_filter *f,
                       const char *want)
{
  char *u = cmx_partisci_url(base, era, ep, f);

  if (!want) {
    ck_assert_ptr_null(u);
    return;
  }
  ck_assert_ptr_nonnull(u);
  ck_assert_str_eq(u, want);
  free(u);
}

START_TEST(urls)
{
  const cmx_partisci_era D = CMX_PARTISCI_ERA_DOCUMENTED,
                         L = CMX_PARTISCI_ERA_LATER;
  cmx_partisci_filter f = {"demo_app_a", "a b&c/\xc3\xa9", "1.0+rc"};
  cmx_partisci_filter only_ver = {NULL, "", "2"};

  expect_url("http://h", D, CMX_PARTISCI_EP_INFO, NULL,
             "http://h:7777/api/v1/_partisci/");
  expect_url("http://h:80/", L, CMX_PARTISCI_EP_INFO, NULL,
             "http://h:80/debug/vars");
  expect_url("http://h:1", D, CMX_PARTISCI_EP_APPS, NULL,
             "http://h:1/api/v1/summary/app/");
  expect_url("http://h:1", L, CMX_PARTISCI_EP_APPS, NULL,
             "http://h:1/api/v1/app/");
  expect_url("http://h:1", D, CMX_PARTISCI_EP_HOSTS, NULL,
             "http://h:1/api/v1/summary/host/");
  expect_url("http://h:1", L, CMX_PARTISCI_EP_HOSTS, NULL,
             "http://h:1/api/v1/host/");
  expect_url("http://h:1", D, CMX_PARTISCI_EP_UPDATE, NULL,
             "http://h:1/api/v1/update/");
  expect_url("http://h:1", L, CMX_PARTISCI_EP_CLEAR, NULL,
             "http://h:1/api/v1/_danger/clear/");
  expect_url("http://h:1", D, CMX_PARTISCI_EP_VERSIONS, NULL,
             "http://h:1/api/v1/version/");
  expect_url("http://h:1", L, CMX_PARTISCI_EP_VERSIONS, &f,
             "http://h:1/api/v1/version/?app_id=demo_app_a"
             "&host=a%20b%26c%2F%C3%A9&ver=1.0%2Brc");
  expect_url("http://h:1", D, CMX_PARTISCI_EP_VERSIONS, &only_ver,
             "http://h:1/api/v1/version/?ver=2");
  expect_url("http://[::1]:9", D, CMX_PARTISCI_EP_APPS, NULL,
             "http://[::1]:9/api/v1/summary/app/");
  expect_url("https://h.example", D, CMX_PARTISCI_EP_APPS, NULL,
             "https://h.example:7777/api/v1/summary/app/");
  /* refused */
  expect_url("http://h:1", CMX_PARTISCI_ERA_AUTO, CMX_PARTISCI_EP_APPS, NULL,
             NULL);
  expect_url("ftp://h", D, CMX_PARTISCI_EP_APPS, NULL, NULL);
  expect_url("http://h:0", D, CMX_PARTISCI_EP_APPS, NULL, NULL);
  expect_url("http://h:70000", D, CMX_PARTISCI_EP_APPS, NULL, NULL);
  expect_url("http://h:1/api", D, CMX_PARTISCI_EP_APPS, NULL, NULL);
  expect_url("http://", D, CMX_PARTISCI_EP_APPS, NULL, NULL);
  expect_url(NULL, D, CMX_PARTISCI_EP_APPS, NULL, NULL);
}
END_TEST

START_TEST(parse_results)
{
  const char *later =
      "{\"data\":[{\"app_id\":\"demo_app_a\",\"app\":\"Demo App A\","
      "\"ver\":\"1.0\",\"host\":\"host1.example.com\",\"instance\":3,"
      "\"host_ip\":\"127.0.0.1\",\"last_update\":1331137064}]}";
  const char *documented = /* omitempty: no instance, no host */
      "{\"data\":[{\"app\":\"A\",\"app_id\":\"a\",\"ver\":\"1\","
      "\"host_ip\":\"::1\",\"last_update\":5}]}";
  const char *apps = "{\"data\":[{\"app\":\"Demo App A\",\"app_id\":"
                     "\"demo_app_a\",\"host_count\":2,\"last_update\":"
                     "1331137064}]}";
  const char *hosts_doc = "{\"data\":[{\"host\":\"h1\",\"last_update\":7},"
                          "{\"last_update\":8}]}";
  const char *hosts_later =
      "{\"data\":[{\"host\":\"h1\",\"last_update\":7,\"app_count\":3}]}";
  cmx_partisci_version *v;
  cmx_partisci_app *a;
  cmx_partisci_host *h;
  cmx_partisci_info info;
  size_t n;
  char err[200];
  char *m;

  ck_assert_int_eq(cmx_partisci_parse_versions(later, strlen(later), &v, &n,
                                               err, sizeof(err)),
                   CMX_OK);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(v[0].app_id, "demo_app_a");
  ck_assert_str_eq(v[0].app, "Demo App A");
  ck_assert_str_eq(v[0].ver, "1.0");
  ck_assert_str_eq(v[0].host, "host1.example.com");
  ck_assert_uint_eq(v[0].instance, 3);
  ck_assert_str_eq(v[0].host_ip, "127.0.0.1");
  ck_assert_int_eq(v[0].last_update, 1331137064);
  cmx_partisci_versions_free(v, n);

  ck_assert_int_eq(cmx_partisci_parse_versions(documented, strlen(documented),
                                               &v, &n, err, sizeof(err)),
                   CMX_OK);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(v[0].host, "");
  ck_assert_uint_eq(v[0].instance, 0);
  ck_assert_str_eq(v[0].host_ip, "::1");
  cmx_partisci_versions_free(v, n);

  ck_assert_int_eq(cmx_partisci_parse_versions("{\"data\":[]}", 11, &v, &n,
                                               err, sizeof(err)),
                   CMX_OK);
  ck_assert_uint_eq(n, 0);
  ck_assert_ptr_null(v);

  ck_assert_int_eq(
      cmx_partisci_parse_apps(apps, strlen(apps), &a, &n, err, sizeof(err)),
      CMX_OK);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(a[0].app, "Demo App A");
  ck_assert_str_eq(a[0].app_id, "demo_app_a");
  ck_assert_int_eq(a[0].host_count, 2);
  ck_assert_int_eq(a[0].last_update, 1331137064);
  cmx_partisci_apps_free(a, n);

  ck_assert_int_eq(cmx_partisci_parse_hosts(hosts_doc, strlen(hosts_doc), &h,
                                            &n, err, sizeof(err)),
                   CMX_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(h[0].host, "h1");
  ck_assert_int_eq(h[0].app_count, -1);
  ck_assert_str_eq(h[1].host, ""); /* updates without a host */
  ck_assert_int_eq(h[1].last_update, 8);
  cmx_partisci_hosts_free(h, n);
  ck_assert_int_eq(cmx_partisci_parse_hosts(hosts_later, strlen(hosts_later),
                                            &h, &n, err, sizeof(err)),
                   CMX_OK);
  ck_assert_int_eq(h[0].app_count, 3);
  cmx_partisci_hosts_free(h, n);

  ck_assert_int_eq(cmx_partisci_parse_info("{\"version\":\"0.1\"}", 17,
                                           CMX_PARTISCI_ERA_DOCUMENTED, &info,
                                           err, sizeof(err)),
                   CMX_OK);
  ck_assert_str_eq(info.version, "0.1");
  ck_assert_ptr_null(info.go_version);
  cmx_partisci_info_clear(&info);
  {
    const char *vars = "{\"cmdline\":[\"x\"],\"memstats\":{},\"version\":"
                       "\"0.1\",\"go_version\":\"go1.19\"}";
    ck_assert_int_eq(cmx_partisci_parse_info(vars, strlen(vars),
                                             CMX_PARTISCI_ERA_LATER, &info,
                                             err, sizeof(err)),
                     CMX_OK);
    ck_assert_str_eq(info.go_version, "go1.19");
    ck_assert_int_eq(info.era, CMX_PARTISCI_ERA_LATER);
    cmx_partisci_info_clear(&info);
  }

  /* wrong shapes */
  ck_assert_int_eq(
      cmx_partisci_parse_versions("null", 4, &v, &n, err, sizeof(err)),
      CMX_EPROTO);
  ck_assert_int_eq(cmx_partisci_parse_versions("{\"data\":null}", 13, &v, &n,
                                               err, sizeof(err)),
                   CMX_EPROTO);
  ck_assert_int_eq(cmx_partisci_parse_versions("{\"data\":[{\"app\":1}]}", 20,
                                               &v, &n, err, sizeof(err)),
                   CMX_EPROTO);
  ck_assert_msg(strstr(err, "version entry 0") != NULL, "%s", err);
  ck_assert_int_eq(
      cmx_partisci_parse_versions("{\"data\":[{\"instance\":70000}]}", 28, &v,
                                  &n, err, sizeof(err)),
      CMX_EPROTO);
  ck_assert_int_eq(
      cmx_partisci_parse_apps("{\"data\":[1]}", 12, &a, &n, err, sizeof(err)),
      CMX_EPROTO);
  ck_assert_int_eq(cmx_partisci_parse_hosts("", 0, &h, &n, err, sizeof(err)),
                   CMX_EPROTO);
  ck_assert_int_eq(cmx_partisci_parse_info("{}", 2, CMX_PARTISCI_ERA_LATER,
                                           &info, err, sizeof(err)),
                   CMX_EPROTO);

  /* error bodies */
  {
    const char *eb = "{\"error\":\"ERROR: ApiUpdate: parsePacket:\\n  value "
                     "for app & ver must be specified\"}";
    m = cmx_partisci_error_message(eb, strlen(eb));
  }
  ck_assert_str_eq(m, "ERROR: ApiUpdate: parsePacket:\n  value for app & "
                      "ver must be specified");
  free(m);
  m = cmx_partisci_error_message("404 page not found\n", 19);
  ck_assert_str_eq(m, "404 page not found");
  free(m);
  m = cmx_partisci_error_message(NULL, 0);
  ck_assert_str_eq(m, "");
  free(m);
}
END_TEST

START_TEST(report_schedule)
{
  const uint64_t H = 3600ull * 1000, D = 24 * H;

  /* within bounds: the next multiple of the interval after now */
  ck_assert_uint_eq(cmx_partisci_next_report_ms(1000, 1000, 2 * H),
                    1000 + 2 * H);
  ck_assert_uint_eq(cmx_partisci_next_report_ms(1000, 1000 + 2 * H - 1, 2 * H),
                    1000 + 2 * H);
  /* exactly on a boundary: strictly after now */
  ck_assert_uint_eq(cmx_partisci_next_report_ms(1000, 1000 + 2 * H, 2 * H),
                    1000 + 4 * H);
  /* a late wake-up skips missed slots, no burst of catch-up sends */
  ck_assert_uint_eq(cmx_partisci_next_report_ms(0, 9 * H + 5, 2 * H), 10 * H);
  /* clamped: too often -> hourly, too rare -> daily, 0 -> daily */
  ck_assert_uint_eq(cmx_partisci_next_report_ms(0, 0, 60 * 1000), H);
  ck_assert_uint_eq(cmx_partisci_next_report_ms(0, 0, 1), H);
  ck_assert_uint_eq(cmx_partisci_next_report_ms(0, H + 1, 1), 2 * H);
  ck_assert_uint_eq(cmx_partisci_next_report_ms(0, 0, 48 * H), D);
  ck_assert_uint_eq(cmx_partisci_next_report_ms(0, 0, 0), D);
  ck_assert_uint_eq(cmx_partisci_next_report_ms(0, D, D), 2 * D);
  /* a clock behind the start */
  ck_assert_uint_eq(cmx_partisci_next_report_ms(5 * H, H, 3 * H), 8 * H);
  /* a fake clock walked across a day: 24 hourly sends, none skipped */
  {
    uint64_t start = 123456789, now = start, sends = 0;

    while (now < start + D) {
      now = cmx_partisci_next_report_ms(start, now, H);
      if (now <= start + D)
        sends++;
    }
    ck_assert_uint_eq(sends, 24);
  }
}
END_TEST

/* ================================================================== */
/* end to end                                                           */

typedef struct env {
  struct event_base *base;
  sim *sim;
  sim_service *svc;
  cmx_engine *engine;
  cmx_partisci *c;
} env;

static void env_up_opts(env *e, const char *sim_era, cmx_partisci_era era,
                        const cmx_options *opts)
{
  char err[200] = "";

  memset(e, 0, sizeof(*e));
  e->base = event_base_new();
  ck_assert_ptr_nonnull(e->base);
  e->sim = sim_new(e->base);
  ck_assert_ptr_nonnull(e->sim);
  if (sim_era)
    sim_config_set(e->sim, "partisci.era", sim_era);
  e->svc = sim_service_add(e->sim, "partisci", 0, 0);
  ck_assert_ptr_nonnull(e->svc);
  ck_assert_int_eq(sim_partisci_attach(e->svc), 0);
  e->engine = cmx_engine_new(e->base, opts);
  ck_assert_ptr_nonnull(e->engine);
  e->c = cmx_partisci_new(e->engine, sim_service_url(e->svc), era, err,
                          sizeof(err));
  ck_assert_msg(e->c != NULL, "%s", err);
}

static void env_up(env *e, const char *sim_era, cmx_partisci_era era)
{
  env_up_opts(e, sim_era, era, NULL);
}

static void env_down(env *e)
{
  cmx_partisci_free(e->c);
  cmx_engine_free(e->engine);
  sim_free(e->sim);
  event_base_free(e->base);
}

static void on_expire(evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  *(int *)arg = 1;
}

/* Run until *flag >= want or `ms` pass; returns *flag >= want. */
static int run_until(env *e, const int *flag, int want, unsigned ms)
{
  int expired = 0;
  struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
  struct event *ev = evtimer_new(e->base, on_expire, &expired);

  evtimer_add(ev, &tv);
  while (*flag < want && !expired)
    event_base_loop(e->base, EVLOOP_ONCE);
  event_free(ev);
  return *flag >= want;
}

/* Run until the simulator's counter reaches `want` (or `ms` pass). */
static int64_t run_counter(env *e, const char *name, int64_t want, unsigned ms)
{
  int expired = 0;
  struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
  struct event *ev = evtimer_new(e->base, on_expire, &expired);

  evtimer_add(ev, &tv);
  while (sim_counter(e->sim, name) < want && !expired)
    event_base_loop(e->base, EVLOOP_ONCE);
  event_free(ev);
  return sim_counter(e->sim, name);
}

/* Run the loop for `ms` whatever happens. */
static void run_for(env *e, unsigned ms)
{
  int never = 0;

  run_until(e, &never, 1, ms);
}

/* What a callback saw (deep copies of the interesting parts). */
typedef struct seen {
  int calls;
  int code;
  long status;
  char error[256];
  size_t n;
  int got_client;
  char info_version[32];
  cmx_partisci_era info_era;
  char go_version[64];
  /* versions: "app_id|host|ver|instance|host_ip" lines sorted */
  char *rows[64];
  cmx_partisci_app apps[16];
  cmx_partisci_host hosts[16];
} seen;

static void seen_clear(seen *s)
{
  size_t i;

  for (i = 0; i < 64; i++)
    free(s->rows[i]);
  for (i = 0; i < 16; i++) {
    free(s->apps[i].app_id);
    free(s->apps[i].app);
    free(s->hosts[i].host);
  }
  memset(s, 0, sizeof(*s));
}

static void on_result(cmx_partisci *c, const cmx_partisci_result *r, void *ud)
{
  seen *s = ud;
  size_t i;

  s->calls++;
  s->code = r->code;
  s->status = r->status;
  s->got_client = c != NULL;
  snprintf(s->error, sizeof(s->error), "%s", r->error ? r->error : "(null)");
  s->n = r->n;
  if (r->info) {
    snprintf(s->info_version, sizeof(s->info_version), "%s", r->info->version);
    s->info_era = r->info->era;
    snprintf(s->go_version, sizeof(s->go_version), "%s",
             r->info->go_version ? r->info->go_version : "");
  }
  for (i = 0; r->versions && i < r->n && i < 64; i++) {
    const cmx_partisci_version *v = &r->versions[i];
    char line[512];

    ck_assert_int_gt(v->last_update, 1500000000);
    snprintf(line, sizeof(line), "%s|%s|%s|%u|%s", v->app_id, v->host, v->ver,
             v->instance, v->host_ip);
    s->rows[i] = strdup(line);
  }
  for (i = 0; r->apps && i < r->n && i < 16; i++) {
    s->apps[i] = r->apps[i];
    s->apps[i].app_id = strdup(r->apps[i].app_id);
    s->apps[i].app = strdup(r->apps[i].app);
  }
  for (i = 0; r->hosts && i < r->n && i < 16; i++) {
    s->hosts[i] = r->hosts[i];
    s->hosts[i].host = strdup(r->hosts[i].host);
  }
}

static const cmx_partisci_app *find_app(const seen *s, const char *id)
{
  size_t i;

  for (i = 0; i < s->n && i < 16; i++)
    if (strcmp(s->apps[i].app_id, id) == 0)
      return &s->apps[i];
  return NULL;
}

static const cmx_partisci_host *find_host(const seen *s, const char *h)
{
  size_t i;

  for (i = 0; i < s->n && i < 16; i++)
    if (strcmp(s->hosts[i].host, h) == 0)
      return &s->hosts[i];
  return NULL;
}

static int has_row(const seen *s, const char *row)
{
  size_t i;

  for (i = 0; i < s->n && i < 64; i++)
    if (s->rows[i] && strcmp(s->rows[i], row) == 0)
      return 1;
  return 0;
}

START_TEST(refused_updates_send_nothing)
{
  env e;
  seen s;
  char *a51 = repeat("\xe2\x82\xac", 51); /* 51 euro signs, 153 bytes */
  cmx_partisci_update bad[] = {
      {NULL, "1", "h", 0},       {"", "1", "h", 0},
      {"a", NULL, "h", 0},       {"a", "", "h", 0},
      {a51, "1", "h", 0},        {"a", a51, "h", 0},
      {"a", "1", a51, 0},        {"a\xff", "1", "h", 0},
      {"a", "\xc0\x80", "h", 0}, {"a", "1", "\xed\xbf\xbf", 0},
      {"a", "1", "h", -1},       {"a", "1", "h", 65536},
  };
  const char *field[] = {"app",  "app", "ver", "ver",  "app",      "ver",
                         "host", "app", "ver", "host", "instance", "instance"};
  size_t i;
  cmx_partisci_reporter *r;

  memset(&s, 0, sizeof(s));
  env_up(&e, NULL, CMX_PARTISCI_ERA_LATER);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char err[200] = "";

    ck_assert_int_eq(
        cmx_partisci_send_udp(e.c, &bad[i], on_result, &s, err, sizeof(err)),
        CMX_EINVAL);
    ck_assert_msg(strncmp(err, field[i], strlen(field[i])) == 0,
                  "case %zu: '%s' does not name %s", i, err, field[i]);
    err[0] = '\0';
    ck_assert_int_eq(
        cmx_partisci_send_http(e.c, &bad[i], on_result, &s, err, sizeof(err)),
        CMX_EINVAL);
    ck_assert_msg(strncmp(err, field[i], strlen(field[i])) == 0,
                  "case %zu: '%s' does not name %s", i, err, field[i]);
    err[0] = '\0';
    r = cmx_partisci_reporter_start(e.c, &bad[i], 0, 0, NULL, NULL, err,
                                    sizeof(err));
    ck_assert_ptr_null(r);
    ck_assert_msg(strncmp(err, field[i], strlen(field[i])) == 0, "%s", err);
  }
  /* a default host that breaks the rule is refused as well */
  ck_assert_int_eq(cmx_partisci_set_default_host(e.c, a51, NULL, 0),
                   CMX_EINVAL);
  ck_assert_uint_eq(cmx_engine_outstanding(e.engine), 0);
  run_for(&e, 100);
  ck_assert_int_eq(s.calls, 0);
  ck_assert_int_eq(sim_counter(e.sim, "partisci.udp_datagrams"), 0);
  ck_assert_int_eq(sim_counter(e.sim, "partisci.http_updates"), 0);
  env_down(&e);
  free(a51);
}
END_TEST

/* The fixture both eras share: 4 UDP and 3 HTTP updates. */
static void send_fixture(env *e)
{
  static const cmx_partisci_update ups[] = {
      {"Demo App A", "1.0", "h1", 0},
      {"Demo App A", "1.0", "h2", 0},
      {"Demo App A", "2.0", "h3", 0},
      {"App B", "1.0", "h1", 0},
      /* over HTTP */
      {"App B", "2.0", "h2", 1},
      {"Demo App A", "1.0", "h1", 1},
      {"demo app a", "2.0", "h4", 0}, /* same app_id, another name */
  };
  seen s;
  size_t i;

  memset(&s, 0, sizeof(s));
  for (i = 0; i < 7; i++) {
    char err[200] = "";
    int rc = i < 4 ? cmx_partisci_send_udp(e->c, &ups[i], on_result, &s, err,
                                           sizeof(err))
                   : cmx_partisci_send_http(e->c, &ups[i], on_result, &s, err,
                                            sizeof(err));

    ck_assert_msg(rc == CMX_OK, "update %zu: %s", i, err);
    /* one at a time keeps the store's "first name" deterministic */
    ck_assert(run_until(e, &s.calls, (int)i + 1, 5000));
    ck_assert_msg(s.code == CMX_OK, "update %zu: %s", i, s.error);
    if (i < 4)
      ck_assert_int_eq(run_counter(e, "partisci.stored", (int64_t)i + 1, 5000),
                       (int64_t)i + 1);
  }
  ck_assert_int_eq(sim_counter(e->sim, "partisci.udp_datagrams"), 4);
  ck_assert_int_eq(sim_counter(e->sim, "partisci.http_updates"), 3);
  ck_assert_int_eq(sim_counter(e->sim, "partisci.stored"), 7);
}

static void query_versions(env *e, const char *app_id, const char *host,
                           const char *ver, seen *s)
{
  cmx_partisci_filter f = {app_id, host, ver};

  seen_clear(s);
  ck_assert_int_eq(cmx_partisci_versions(e->c, &f, on_result, s), CMX_OK);
  ck_assert(run_until(e, &s->calls, 1, 5000));
  ck_assert_msg(s->code == CMX_OK, "%s", s->error);
}

/* The expected rows for the later era (the instance in the key). */
static const char *const later_rows[] = {
    "demo_app_a|h1|1.0|0|127.0.0.1", "demo_app_a|h2|1.0|0|127.0.0.1",
    "demo_app_a|h3|2.0|0|127.0.0.1", "app_b|h1|1.0|0|127.0.0.1",
    "app_b|h2|2.0|1|127.0.0.1",      "demo_app_a|h1|1.0|1|127.0.0.1",
    "demo_app_a|h4|2.0|0|127.0.0.1",
};

/* Every combination of the three filters against a local evaluation. */
static void check_filters(env *e, const char *const *rows, size_t nrows)
{
  const char *ids[] = {NULL, "demo_app_a", "app_b", "Demo_App_A"};
  const char *hosts[] = {NULL, "h1", "h2", "nope"};
  const char *vers[] = {NULL, "1.0", "2.0"};
  size_t a, h, v, k;
  seen s;

  memset(&s, 0, sizeof(s));
  for (a = 0; a < 4; a++)
    for (h = 0; h < 4; h++)
      for (v = 0; v < 3; v++) {
        size_t want = 0;

        query_versions(e, ids[a], hosts[h], vers[v], &s);
        for (k = 0; k < nrows; k++) {
          char id[64], host[64], ver[64];

          sscanf(rows[k], "%63[^|]|%63[^|]|%63[^|]", id, host, ver);
          if ((ids[a] && strcmp(ids[a], id)) ||
              (hosts[h] && strcmp(hosts[h], host)) ||
              (vers[v] && strcmp(vers[v], ver)))
            continue;
          want++;
          ck_assert_msg(has_row(&s, rows[k]), "filter %s/%s/%s misses %s",
                        ids[a], hosts[h], vers[v], rows[k]);
        }
        ck_assert_msg(s.n == want, "filter %s/%s/%s: %zu rows, want %zu",
                      ids[a], hosts[h], vers[v], s.n, want);
      }
  seen_clear(&s);
}

START_TEST(later_era_queries)
{
  env e;
  seen s;
  const cmx_partisci_app *a;
  const cmx_partisci_host *h;

  memset(&s, 0, sizeof(s));
  env_up(&e, "later", CMX_PARTISCI_ERA_LATER);
  send_fixture(&e);
  check_filters(&e, later_rows, 7);

  ck_assert_int_eq(cmx_partisci_apps(e.c, on_result, &s), CMX_OK);
  ck_assert(run_until(&e, &s.calls, 1, 5000));
  ck_assert_int_eq(s.code, CMX_OK);
  ck_assert_uint_eq(s.n, 2);
  a = find_app(&s, "demo_app_a");
  ck_assert_ptr_nonnull(a);
  ck_assert_str_eq(a->app, "Demo App A"); /* the first name seen */
  ck_assert_int_eq(a->host_count, 4);     /* h1 (2 instances), h2, h3, h4 */
  ck_assert_int_gt(a->last_update, 1500000000);
  a = find_app(&s, "app_b");
  ck_assert_ptr_nonnull(a);
  ck_assert_int_eq(a->host_count, 2);
  seen_clear(&s);

  ck_assert_int_eq(cmx_partisci_hosts(e.c, on_result, &s), CMX_OK);
  ck_assert(run_until(&e, &s.calls, 1, 5000));
  ck_assert_int_eq(s.code, CMX_OK);
  ck_assert_uint_eq(s.n, 4);
  h = find_host(&s, "h1");
  ck_assert_ptr_nonnull(h);
  ck_assert_int_eq(h->app_count, 2); /* demo_app_a x2 instances, app_b */
  ck_assert_int_eq(find_host(&s, "h3")->app_count, 1);
  seen_clear(&s);

  ck_assert_int_eq(cmx_partisci_info_get(e.c, on_result, &s), CMX_OK);
  ck_assert(run_until(&e, &s.calls, 1, 5000));
  ck_assert_int_eq(s.code, CMX_OK);
  ck_assert_str_eq(s.info_version, "0.1");
  ck_assert_int_eq(s.info_era, CMX_PARTISCI_ERA_LATER);
  ck_assert_str_ne(s.go_version, "");
  seen_clear(&s);

  /* a repeated update refreshes, it does not add */
  {
    cmx_partisci_update u = {"App B", "3.0", "h1", 0};

    ck_assert_int_eq(cmx_partisci_send_http(e.c, &u, on_result, &s, NULL, 0),
                     CMX_OK);
    ck_assert(run_until(&e, &s.calls, 1, 5000));
    ck_assert_int_eq(s.code, CMX_OK);
    ck_assert_int_eq(s.status, 200);
    query_versions(&e, "app_b", "h1", NULL, &s);
    ck_assert_uint_eq(s.n, 1);
    ck_assert(has_row(&s, "app_b|h1|3.0|0|127.0.0.1"));
    seen_clear(&s);
  }
  env_down(&e);
}
END_TEST

START_TEST(documented_era_queries)
{
  env e;
  seen s;
  const cmx_partisci_app *a;
  /* instance not in the key: h1's instance 1 replaced instance 0 */
  static const char *const rows[] = {
      "demo_app_a|h1|1.0|1|127.0.0.1", "demo_app_a|h2|1.0|0|127.0.0.1",
      "demo_app_a|h3|2.0|0|127.0.0.1", "app_b|h1|1.0|0|127.0.0.1",
      "app_b|h2|2.0|1|127.0.0.1",      "demo_app_a|h4|2.0|0|127.0.0.1",
  };

  memset(&s, 0, sizeof(s));
  env_up(&e, "documented", CMX_PARTISCI_ERA_DOCUMENTED);
  send_fixture(&e);
  check_filters(&e, rows, 6);

  ck_assert_int_eq(cmx_partisci_apps(e.c, on_result, &s), CMX_OK);
  ck_assert(run_until(&e, &s.calls, 1, 5000));
  ck_assert_int_eq(s.code, CMX_OK);
  ck_assert_uint_eq(s.n, 2);
  a = find_app(&s, "demo_app_a");
  ck_assert_int_eq(a->host_count, 4);
  seen_clear(&s);

  ck_assert_int_eq(cmx_partisci_hosts(e.c, on_result, &s), CMX_OK);
  ck_assert(run_until(&e, &s.calls, 1, 5000));
  ck_assert_int_eq(s.code, CMX_OK);
  ck_assert_uint_eq(s.n, 4);
  ck_assert_int_eq(find_host(&s, "h1")->app_count, -1); /* not sent */
  seen_clear(&s);

  ck_assert_int_eq(cmx_partisci_info_get(e.c, on_result, &s), CMX_OK);
  ck_assert(run_until(&e, &s.calls, 1, 5000));
  ck_assert_int_eq(s.code, CMX_OK);
  ck_assert_str_eq(s.info_version, "0.1");
  ck_assert_int_eq(s.info_era, CMX_PARTISCI_ERA_DOCUMENTED);
  seen_clear(&s);

  /* the later paths are plain-text 404s on this server */
  {
    cmx_partisci *later = cmx_partisci_new(e.engine, sim_service_url(e.svc),
                                           CMX_PARTISCI_ERA_LATER, NULL, 0);

    ck_assert_int_eq(cmx_partisci_apps(later, on_result, &s), CMX_OK);
    cmx_partisci_free(later); /* the call still ends, client == NULL */
    ck_assert(run_until(&e, &s.calls, 1, 5000));
    ck_assert_int_eq(s.code, CMX_EHTTP);
    ck_assert_int_eq(s.status, 404);
    ck_assert_str_eq(s.error, "404 page not found");
    ck_assert_int_eq(s.got_client, 0);
    seen_clear(&s);
  }
  env_down(&e);
}
END_TEST

START_TEST(auto_detects_era)
{
  const char *sim_eras[] = {"documented", "later", "both"};
  const cmx_partisci_era want[] = {CMX_PARTISCI_ERA_DOCUMENTED,
                                   CMX_PARTISCI_ERA_LATER,
                                   CMX_PARTISCI_ERA_DOCUMENTED};
  size_t i;

  for (i = 0; i < 3; i++) {
    env e;
    seen s1, s2;

    memset(&s1, 0, sizeof(s1));
    memset(&s2, 0, sizeof(s2));
    env_up(&e, sim_eras[i], CMX_PARTISCI_ERA_AUTO);
    ck_assert_int_eq(cmx_partisci_get_era(e.c), CMX_PARTISCI_ERA_AUTO);
    /* two queries wait for one detection */
    ck_assert_int_eq(cmx_partisci_hosts(e.c, on_result, &s1), CMX_OK);
    ck_assert_int_eq(cmx_partisci_info_get(e.c, on_result, &s2), CMX_OK);
    ck_assert(run_until(&e, &s1.calls, 1, 5000));
    ck_assert(run_until(&e, &s2.calls, 1, 5000));
    ck_assert_int_eq(cmx_partisci_get_era(e.c), want[i]);
    ck_assert_msg(s1.code == CMX_OK, "%s: %s", sim_eras[i], s1.error);
    ck_assert_uint_eq(s1.n, 0);
    ck_assert_int_eq(s2.code, CMX_OK);
    ck_assert_int_eq(s2.info_era, want[i]);
    ck_assert_int_eq(s1.calls, 1);
    ck_assert_int_eq(s2.calls, 1);
    seen_clear(&s1);
    seen_clear(&s2);
    env_down(&e);
  }
}
END_TEST

/* Raw requests show the server's error bodies reach callers parsed. */
typedef struct raw {
  int calls;
  long status;
  char msg[256];
  char ctype[64];
  char body[256];
} raw;

static void on_raw(cmx_call *call, const cmx_response *res, void *ud)
{
  raw *r = ud;
  const cmx_service_error *se = cmx_response_service_error(res);
  const char *ct = cmx_response_header(res, "Content-Type");

  (void)call;
  r->calls++;
  r->status = cmx_response_status(res);
  snprintf(r->msg, sizeof(r->msg), "%s", se && se->message ? se->message : "");
  snprintf(r->ctype, sizeof(r->ctype), "%s", ct ? ct : "");
  snprintf(r->body, sizeof(r->body), "%s", cmx_response_body(res, NULL));
}

static void raw_call_ct(env *e, const char *method, const char *path,
                        const char *body, const char *ctype, raw *r)
{
  char url[256];
  cmx_request *req;

  memset(r, 0, sizeof(*r));
  snprintf(url, sizeof(url), "%s%s", sim_service_url(e->svc), path);
  req = cmx_request_new(method, url);
  ck_assert_ptr_nonnull(req);
  cmx_request_set_error_parser(req, cmx__partisci_error_parser);
  cmx_request_set_no_retry(req, 1);
  if (body)
    cmx_request_set_body(req, body, strlen(body), ctype);
  ck_assert_int_eq(cmx_submit(e->engine, req, on_raw, r, NULL), CMX_OK);
  ck_assert(run_until(e, &r->calls, 1, 5000));
}

static void raw_call(env *e, const char *method, const char *path,
                     const char *body, raw *r)
{
  raw_call_ct(e, method, path, body, "application/json", r);
}

START_TEST(server_rules_and_errors)
{
  env e;
  raw r;
  char big[200];
  seen s;

  memset(&s, 0, sizeof(s));
  env_up(&e, NULL, CMX_PARTISCI_ERA_LATER);
  raw_call(&e, "POST", "/api/v1/update/", "{\"app\":\"x\"}", &r);
  ck_assert_int_eq(r.status, 415);
  ck_assert_str_eq(r.msg, "ERROR: ApiUpdate: parsePacket:\n  value for app "
                          "& ver must be specified");
  ck_assert_str_eq(r.ctype, "text/plain; charset=utf-8");
  raw_call(&e, "GET", "/api/v1/update/", NULL, &r);
  ck_assert_int_eq(r.status, 405);
  ck_assert_str_eq(r.msg, "ERROR: ApiUpdate: only accepts POST requests");
  raw_call(&e, "POST", "/api/v1/update/",
           "{\"app\":\"x\",\"ver\":\"1\",\"instance\":70000}", &r);
  ck_assert_int_eq(r.status, 415);
  raw_call(&e, "POST", "/api/v1/update/",
           "{\"app\":\"x\",\"ver\":\"1\",\"instance\":\"3\"}", &r);
  ck_assert_int_eq(r.status, 415);
  raw_call(&e, "POST", "/api/v1/update/", "{\"app\":\"x\",\"ver\":1}", &r);
  ck_assert_int_eq(r.status, 415);
  raw_call(&e, "POST", "/api/v1/update/", "{\"app\":\"x\",\"ver\":\"1\"} x",
           &r);
  ck_assert_int_eq(r.status, 415);
  snprintf(big, sizeof(big),
           "{\"app\":\"x\",\"ver\":\"1\",\"host\":\"%060d\"}", 0);
  raw_call(&e, "POST", "/api/v1/update/", big, &r);
  ck_assert_int_eq(r.status, 415); /* the 50-character limit, enforced */
  ck_assert_msg(strstr(r.msg, "host is 60 characters") != NULL, "%s", r.msg);
  /* case-insensitive keys; host_ip and last_update from clients ignored */
  raw_call(&e, "POST", "/api/v1/update/",
           "{\"APP\":\"Up\",\"Ver\":\"9\",\"host\":\"hx\",\"host_ip\":"
           "\"9.9.9.9\",\"last_update\":5,\"extra\":[1]}",
           &r);
  ck_assert_int_eq(r.status, 200);
  ck_assert_str_eq(r.body, "");
  query_versions(&e, "up", NULL, NULL, &s);
  ck_assert_uint_eq(s.n, 1);
  ck_assert(has_row(&s, "up|hx|9|0|127.0.0.1"));
  seen_clear(&s);
  /* keys never collide: ("h1", 0) and ("h", 10) are two entries */
  raw_call(&e, "POST", "/api/v1/update/",
           "{\"app\":\"K\",\"ver\":\"1\",\"host\":\"h1\",\"instance\":0}", &r);
  ck_assert_int_eq(r.status, 200);
  raw_call(&e, "POST", "/api/v1/update/",
           "{\"app\":\"K\",\"ver\":\"2\",\"host\":\"h\",\"instance\":10}", &r);
  ck_assert_int_eq(r.status, 200);
  query_versions(&e, "k", NULL, NULL, &s);
  ck_assert_uint_eq(s.n, 2);
  ck_assert(has_row(&s, "k|h1|1|0|127.0.0.1"));
  ck_assert(has_row(&s, "k|h|2|10|127.0.0.1"));
  seen_clear(&s);
  /* filters from a POSTed form body, as Go's FormValue reads them (the
   * body wins over the query) */
  raw_call_ct(&e, "POST", "/api/v1/version/?host=nope", "app_id=k&host=h1",
              "application/x-www-form-urlencoded", &r);
  ck_assert_int_eq(r.status, 200);
  ck_assert_msg(strstr(r.body, "\"host\":\"h1\"") &&
                    !strstr(r.body, "\"host\":\"h\""),
                "%s", r.body);
  /* exact paths only, Go-style plain 404 */
  raw_call(&e, "GET", "/api/v1/version", NULL, &r);
  ck_assert_int_eq(r.status, 404);
  ck_assert_str_eq(r.body, "404 page not found\n");
  ck_assert_str_eq(r.msg, "404 page not found");
  raw_call(&e, "GET", "/api/v1/nothing/", NULL, &r);
  ck_assert_int_eq(r.status, 404);
  raw_call(&e, "GET", "/api/v1", NULL, &r);
  ck_assert_int_eq(r.status, 301);
  raw_call(&e, "POST", "/api/v1/version/?app_id=up", NULL,
           &r); /* any method */
  ck_assert_int_eq(r.status, 200);
  ck_assert(strncmp(r.body,
                    "{\"data\":[{\"app_id\":\"up\",\"app\":\"Up\",\"ver\":"
                    "\"9\",\"host\":\"hx\",\"instance\":0,\"host_ip\":"
                    "\"127.0.0.1\",\"last_update\":",
                    strlen("{\"data\":[{\"app_id\":\"up\",\"app\":\"Up\","
                           "\"ver\":\"9\",\"host\":\"hx\",\"instance\":0,"
                           "\"host_ip\":\"127.0.0.1\",\"last_update\":")) ==
            0);
  env_down(&e);
}
END_TEST

static void on_udp_sent(cmx_engine *eng, int code, void *ud)
{
  (void)eng;
  ck_assert_int_eq(code, CMX_OK);
  (*(int *)ud)++;
}

START_TEST(udp_datagram_rules)
{
  env e;
  int sent = 0;
  char big[2200];
  unsigned port;
  seen s;
  static const char *const bad[] = {
      "",
      "not json",
      "{\"app\":\"a\"}",
      "[1]",
      "{\"app\":\"a\",\"ver\":\"1\",\"instance\":-1}",
      "{\"app\":\"a\",\"ver\":\"1\"} trailing",
      "{'app':'a','ver':'1'}", /* Go: strict JSON only */
      "{\"app\":\"a\",\"ver\":\"1\",}",
  };
  size_t i;

  memset(&s, 0, sizeof(s));
  env_up(&e, NULL, CMX_PARTISCI_ERA_LATER);
  port = sim_service_port(e.svc);
  /* a valid JSON update of 2100 bytes: cut at 2048 by the server, dropped */
  snprintf(big, sizeof(big), "{\"app\":\"a\",\"ver\":\"1\",\"x\":\"%02060d\"}",
           0);
  ck_assert_int_gt(strlen(big), 2048);
  ck_assert_int_eq(cmx_udp_send(e.engine, "127.0.0.1", port, big, strlen(big),
                                on_udp_sent, &sent),
                   CMX_OK);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    ck_assert_int_eq(cmx_udp_send(e.engine, "127.0.0.1", port, bad[i],
                                  strlen(bad[i]), on_udp_sent, &sent),
                     CMX_OK);
  /* and one good one, with upper-case keys */
  ck_assert_int_eq(cmx_udp_send(e.engine, "127.0.0.1", port,
                                "{\"APP\":\"Good\",\"VER\":\"1\"}", 24,
                                on_udp_sent, &sent),
                   CMX_OK);
  ck_assert(run_until(&e, &sent, 10, 5000));
  ck_assert_int_eq(run_counter(&e, "partisci.udp_datagrams", 10, 5000), 10);
  ck_assert_int_eq(sim_counter(e.sim, "partisci.udp_truncated"), 1);
  ck_assert_int_eq(sim_counter(e.sim, "partisci.udp_rejected"), 9);
  ck_assert_int_eq(sim_counter(e.sim, "partisci.stored"), 1);
  query_versions(&e, NULL, NULL, NULL, &s);
  ck_assert_uint_eq(s.n, 1);
  ck_assert(has_row(&s, "good||1|0|127.0.0.1"));
  seen_clear(&s);
  env_down(&e);
}
END_TEST

/* Filter values with characters that need encoding reach the server
 * intact; ::1 senders; summaries' last_update moves with every update. */
START_TEST(encoded_filters_ipv6_last_update)
{
  static const cmx_partisci_update ups[] = {
      {"\xc3\x9cn\xc3\xaf Caf\xc3\xa9", "1.0+beta/\xc3\xbc?#", "a b", 0},
      {"\xc3\x9cn\xc3\xaf Caf\xc3\xa9", "1.0 beta", "a+b", 0},
      {"\xc3\x9cn\xc3\xaf Caf\xc3\xa9", "1.0%2B", "a%2Bb", 0},
      {"\xc3\x9cn\xc3\xaf Caf\xc3\xa9", "x=1&y=2", "h&host=a b", 7},
  };
  env e;
  seen s;
  size_t i;
  char *id;
  int64_t before;
  const cmx_partisci_app *a;

  memset(&s, 0, sizeof(s));
  env_up(&e, NULL, CMX_PARTISCI_ERA_LATER);
  id = cmx_partisci_app_id(ups[0].app);
  ck_assert_str_eq(id, "_n__caf_");
  for (i = 0; i < 4; i++) {
    ck_assert_int_eq(
        cmx_partisci_send_http(e.c, &ups[i], on_result, &s, NULL, 0), CMX_OK);
    ck_assert(run_until(&e, &s.calls, (int)i + 1, 5000));
    ck_assert_msg(s.code == CMX_OK, "%s", s.error);
  }
  seen_clear(&s);
  for (i = 0; i < 4; i++) {
    char row[256];

    /* each host alone, each ver alone, all three together: one row */
    query_versions(&e, NULL, ups[i].host, NULL, &s);
    ck_assert_msg(s.n == 1, "host '%s': %zu rows", ups[i].host, s.n);
    query_versions(&e, NULL, NULL, ups[i].ver, &s);
    ck_assert_msg(s.n == 1, "ver '%s': %zu rows", ups[i].ver, s.n);
    query_versions(&e, id, ups[i].host, ups[i].ver, &s);
    ck_assert_uint_eq(s.n, 1);
    snprintf(row, sizeof(row), "%s|%s|%s|%ld|127.0.0.1", id, ups[i].host,
             ups[i].ver, ups[i].instance);
    ck_assert_msg(has_row(&s, row), "missing %s", row);
  }
  query_versions(&e, id, NULL, NULL, &s);
  ck_assert_uint_eq(s.n, 4);
  query_versions(&e, "a b", NULL, NULL, &s); /* an app_id, not a name */
  ck_assert_uint_eq(s.n, 0);
  seen_clear(&s);

  /* an update from ::1 (when this host has IPv6) */
  if (sim_counter(e.sim, "partisci.udp6_bound") == 1) {
    int sent = 0;
    static const char dg[] =
        "{\"app\":\"Six\",\"ver\":\"6\",\"host\":\"v6\",\"instance\":6}";

    ck_assert_int_eq(cmx_udp_send(e.engine, "::1", sim_service_port(e.svc), dg,
                                  sizeof(dg) - 1, on_udp_sent, &sent),
                     CMX_OK);
    ck_assert(run_until(&e, &sent, 1, 5000));
    ck_assert_int_eq(run_counter(&e, "partisci.udp_datagrams", 1, 5000), 1);
    query_versions(&e, "six", NULL, NULL, &s);
    ck_assert(has_row(&s, "six|v6|6|6|::1"));
    seen_clear(&s);
  }

  /* a client whose URL names the server by name: the UDP send resolves
   * "localhost" off the loop, and the datagram arrives (over IPv4 or
   * IPv6) */
  {
    char base[128];
    cmx_partisci *byname;
    static const cmx_partisci_update lu = {"By Name", "1", "n1", 0};

    snprintf(base, sizeof(base), "http://localhost:%u",
             sim_service_port(e.svc));
    byname = cmx_partisci_new(e.engine, base, CMX_PARTISCI_ERA_LATER, NULL, 0);
    ck_assert_ptr_nonnull(byname);
    ck_assert_int_eq(
        cmx_partisci_send_udp(byname, &lu, on_result, &s, NULL, 0), CMX_OK);
    cmx_partisci_free(byname); /* the send still ends, once */
    ck_assert(run_until(&e, &s.calls, 1, 5000));
    ck_assert_msg(s.code == CMX_OK, "%s", s.error);
    ck_assert_int_eq(s.got_client, 0);
    seen_clear(&s);
    query_versions(&e, "by_name", NULL, NULL, &s);
    ck_assert_uint_eq(s.n, 1);
    ck_assert(has_row(&s, "by_name|n1|1|0|127.0.0.1") ||
              has_row(&s, "by_name|n1|1|0|::1"));
    seen_clear(&s);
  }

  /* last_update: the same update 1000 s later moves the app's and the
   * host's summary on */
  ck_assert_int_eq(cmx_partisci_apps(e.c, on_result, &s), CMX_OK);
  ck_assert(run_until(&e, &s.calls, 1, 5000));
  a = find_app(&s, id);
  ck_assert_ptr_nonnull(a);
  ck_assert_int_eq(a->host_count, 4);
  before = a->last_update;
  seen_clear(&s);
  sim_config_set(e.sim, "partisci.clock_offset", "1000");
  ck_assert_int_eq(
      cmx_partisci_send_http(e.c, &ups[1], on_result, &s, NULL, 0), CMX_OK);
  ck_assert(run_until(&e, &s.calls, 1, 5000));
  seen_clear(&s);
  ck_assert_int_eq(cmx_partisci_apps(e.c, on_result, &s), CMX_OK);
  ck_assert(run_until(&e, &s.calls, 1, 5000));
  a = find_app(&s, id);
  ck_assert_int_ge(a->last_update, before + 1000);
  ck_assert_int_eq(a->host_count, 4); /* refreshed, not added */
  seen_clear(&s);
  ck_assert_int_eq(cmx_partisci_hosts(e.c, on_result, &s), CMX_OK);
  ck_assert(run_until(&e, &s.calls, 1, 5000));
  ck_assert_int_ge(find_host(&s, "a+b")->last_update, before + 1000);
  ck_assert_int_lt(find_host(&s, "a b")->last_update, before + 1000);
  seen_clear(&s);
  query_versions(&e, id, "a+b", NULL, &s);
  ck_assert_uint_eq(s.n, 1);
  seen_clear(&s);
  free(id);
  env_down(&e);
}
END_TEST

START_TEST(danger_clear_is_explicit)
{
  env e;
  seen s;
  cmx_partisci_update u = {"A", "1", "h", 0};

  memset(&s, 0, sizeof(s));
  env_up(&e, NULL, CMX_PARTISCI_ERA_DOCUMENTED);
  ck_assert_int_eq(cmx_partisci_send_http(e.c, &u, on_result, &s, NULL, 0),
                   CMX_OK);
  ck_assert(run_until(&e, &s.calls, 1, 5000));
  seen_clear(&s);
  /* without -danger: a plain 404, nothing erased */
  ck_assert_int_eq(cmx_partisci_danger_clear_all_data(e.c, on_result, &s),
                   CMX_OK);
  ck_assert(run_until(&e, &s.calls, 1, 5000));
  ck_assert_int_eq(s.code, CMX_EHTTP);
  ck_assert_int_eq(s.status, 404);
  seen_clear(&s);
  query_versions(&e, NULL, NULL, NULL, &s);
  ck_assert_uint_eq(s.n, 1);
  seen_clear(&s);
  /* with -danger */
  sim_config_set(e.sim, "partisci.danger", "1");
  ck_assert_int_eq(cmx_partisci_danger_clear_all_data(e.c, on_result, &s),
                   CMX_OK);
  ck_assert(run_until(&e, &s.calls, 1, 5000));
  ck_assert_int_eq(s.code, CMX_OK);
  ck_assert_int_eq(s.status, 200);
  seen_clear(&s);
  query_versions(&e, NULL, NULL, NULL, &s);
  ck_assert_uint_eq(s.n, 0);
  seen_clear(&s);
  ck_assert_int_eq(sim_counter(e.sim, "partisci.cleared"), 1);
  env_down(&e);
}
END_TEST

/* ---- the reporter end to end (short interval via the test hook) ---- */

typedef struct rep_seen {
  int calls, ok;
  int stop_at;
  cmx_partisci_reporter *r;
} rep_seen;

static void on_report(cmx_partisci_reporter *r, const cmx_partisci_result *res,
                      void *ud)
{
  rep_seen *s = ud;

  s->calls++;
  if (res->code == CMX_OK)
    s->ok++;
  if (s->calls == s->stop_at)
    cmx_partisci_reporter_stop(r); /* from its own callback */
}

START_TEST(reporter_end_to_end)
{
  env e;
  seen q;
  rep_seen rs = {0, 0, 4, NULL};
  cmx_partisci_update u = {"Reporter App", "7.1", NULL, 3};
  char err[200] = "";
  int i;

  memset(&q, 0, sizeof(q));
  env_up(&e, NULL, CMX_PARTISCI_ERA_LATER);
  ck_assert_int_eq(
      cmx_partisci_set_default_host(e.c, "rep-host", err, sizeof(err)),
      CMX_OK);
  cmx__partisci_reporter_test_interval(30); /* TEST HOOK: 30 ms, unclamped */
  rs.r = cmx_partisci_reporter_start(e.c, &u, 0, 0, on_report, &rs, err,
                                     sizeof(err));
  cmx__partisci_reporter_test_interval(0);
  ck_assert_msg(rs.r != NULL, "%s", err);
  ck_assert_uint_eq(cmx_partisci_reporter_attempts(rs.r), 1); /* at once */
  ck_assert(run_until(&e, &rs.calls, 4, 5000));
  run_for(&e, 150); /* stopped: nothing more arrives */
  ck_assert_int_eq(rs.calls, 4);
  ck_assert_int_eq(rs.ok, 4);
  ck_assert_int_eq(run_counter(&e, "partisci.udp_datagrams", 4, 2000), 4);
  query_versions(&e, "reporter_app", NULL, NULL, &q);
  ck_assert_uint_eq(q.n, 1);
  ck_assert(has_row(&q, "reporter_app|rep-host|7.1|3|127.0.0.1"));
  seen_clear(&q);

  /* over HTTP, stopped from outside, with the client freed first */
  rs.calls = rs.ok = 0;
  rs.stop_at = -1;
  cmx__partisci_reporter_test_interval(20);
  rs.r = cmx_partisci_reporter_start(e.c, &u, 0, 1, on_report, &rs, err,
                                     sizeof(err));
  cmx__partisci_reporter_test_interval(0);
  ck_assert_ptr_nonnull(rs.r);
  cmx_partisci_free(e.c);
  e.c = NULL;
  ck_assert(run_until(&e, &rs.calls, 3, 5000));
  cmx_partisci_reporter_stop(rs.r);
  i = rs.calls;
  run_for(&e, 100);
  ck_assert_int_eq(rs.calls, i);
  ck_assert_int_ge(rs.ok, 3);
  ck_assert_int_ge(sim_counter(e.sim, "partisci.http_updates"), 3);

  /* the default (clamped) reporter: one send now, the next one >= 1 h
   * away; the engine freed under it, then stopped */
  {
    cmx_partisci *c2 = cmx_partisci_new(e.engine, sim_service_url(e.svc),
                                        CMX_PARTISCI_ERA_LATER, NULL, 0);
    rep_seen r2 = {0, 0, -1, NULL};

    r2.r = cmx_partisci_reporter_start(c2, &u, 1000, 0, on_report, &r2, err,
                                       sizeof(err));
    ck_assert_ptr_nonnull(r2.r);
    cmx_partisci_free(c2);
    ck_assert(run_until(&e, &r2.calls, 1, 5000));
    run_for(&e, 100);
    ck_assert_int_eq(r2.calls, 1);
    cmx_engine_free(e.engine);
    e.engine = NULL;
    cmx_partisci_reporter_stop(r2.r);
  }
  env_down(&e);
}
END_TEST

/* ---- the reporter's schedule on a fake clock ----------------------- */

typedef struct fake_clock {
  uint64_t now;
} fake_clock;

static uint64_t fake_now(void *ud)
{
  return ((fake_clock *)ud)->now;
}

static void on_kick(cmx_engine *eng, int code, void *ud)
{
  (void)eng;
  (void)code;
  (*(int *)ud)++;
}

/* The engine's timers run on its clock, but it arms its loop timer for
 * (due - now) real milliseconds and re-arms it only for a timer due
 * earlier than the armed one (see the report: a fake clock that jumps
 * past an armed deadline is not noticed until that real delay passed).
 * So: to move the clock to `t` past the reporter's due time, go to
 * due - 1 and kick the engine with a zero-delay timer (its loop timer is
 * then armed 1 ms ahead for the reporter), then jump to `t`; the reporter
 * wakes up at `t`, however late that is for it. */
static void kick(env *e)
{
  int kicked = 0;

  ck_assert_int_eq(cmx_timer_start(e->engine, 0, on_kick, &kicked, NULL),
                   CMX_OK);
  ck_assert(run_until(e, &kicked, 1, 2000));
}

static void advance_to(env *e, fake_clock *fc, cmx_partisci_reporter *r,
                       uint64_t t)
{
  uint64_t due = cmx__partisci_reporter_next_ms(r);
  unsigned long before = cmx_partisci_reporter_attempts(r);
  int i;

  ck_assert_uint_gt(t, fc->now);
  if (t < due) {
    fc->now = t;
    kick(e);
    return;
  }
  if (due - 1 > fc->now) {
    fc->now = due - 1;
    kick(e);
  }
  fc->now = t;
  for (i = 0; i < 2000 && cmx_partisci_reporter_attempts(r) == before; i++)
    run_for(e, 1);
  ck_assert_uint_eq(cmx_partisci_reporter_attempts(r), before + 1);
}

START_TEST(reporter_fake_clock)
{
  const uint64_t M = 60ull * 1000, H = 60 * M;
  fake_clock fc = {7777000000ull}; /* any origin */
  const uint64_t t0 = fc.now;
  cmx_options *opts = cmx_options_new();
  env e;
  rep_seen rs = {0, 0, -1, NULL};
  cmx_partisci_update u = {"Clock App", "1.2", "clock-host", 0};
  cmx_partisci_reporter *r;
  char err[200] = "";
  uint64_t t, t1;
  seen q;

  memset(&q, 0, sizeof(q));
  ck_assert_int_eq(cmx_options_set_clock(opts, fake_now, &fc), CMX_OK);
  env_up_opts(&e, NULL, CMX_PARTISCI_ERA_LATER, opts);
  cmx_options_free(opts);

  /* asked for every minute: clamped to hourly; one update at start */
  r = cmx_partisci_reporter_start(e.c, &u, M, 0, on_report, &rs, err,
                                  sizeof(err));
  ck_assert_msg(r != NULL, "%s", err);
  ck_assert_uint_eq(cmx_partisci_reporter_attempts(r), 1);
  ck_assert(run_until(&e, &rs.calls, 1, 5000));
  ck_assert_uint_eq(cmx__partisci_reporter_next_ms(r), t0 + H);

  /* a minute before the hour: nothing */
  advance_to(&e, &fc, r, t0 + H - M);
  run_for(&e, 20);
  ck_assert_uint_eq(cmx_partisci_reporter_attempts(r), 1);
  ck_assert_int_eq(rs.calls, 1);

  /* on the hour: one */
  advance_to(&e, &fc, r, t0 + H);
  ck_assert(run_until(&e, &rs.calls, 2, 5000));
  ck_assert_uint_eq(cmx__partisci_reporter_next_ms(r), t0 + 2 * H);

  /* the machine slept 5 h: one update on waking, no catch-up burst, and
   * back on the hourly grid */
  advance_to(&e, &fc, r, t0 + 6 * H + 10 * M);
  ck_assert(run_until(&e, &rs.calls, 3, 5000));
  run_for(&e, 20);
  ck_assert_int_eq(rs.calls, 3);
  ck_assert_uint_eq(cmx__partisci_reporter_next_ms(r), t0 + 7 * H);

  /* a day walked in 10-minute steps: 24 updates, one an hour */
  for (t = t0 + 6 * H + 20 * M; t <= t0 + 30 * H + 10 * M; t += 10 * M)
    advance_to(&e, &fc, r, t);
  ck_assert(run_until(&e, &rs.calls, 27, 5000));
  run_for(&e, 20);
  ck_assert_int_eq(rs.calls, 27);
  ck_assert_int_eq(rs.ok, 27);
  ck_assert_uint_eq(cmx_partisci_reporter_attempts(r), 27);
  ck_assert_uint_eq(cmx_partisci_reporter_sent(r), 27);
  ck_assert_uint_eq(cmx__partisci_reporter_next_ms(r), t0 + 31 * H);

  /* stopped: its timer is gone (nothing left on the engine), and nothing
   * more is sent */
  cmx_partisci_reporter_stop(r);
  run_for(&e, 20);
  ck_assert_uint_eq(cmx_engine_outstanding(e.engine), 0);
  fc.now = t0 + 31 * H - 1; /* before the deadline the loop was armed for */
  kick(&e);                 /* (now disarmed: nothing is due any more) */
  fc.now = t0 + 100 * H;
  kick(&e);
  run_for(&e, 20);
  ck_assert_int_eq(rs.calls, 27);
  ck_assert_int_eq(run_counter(&e, "partisci.udp_datagrams", 27, 2000), 27);
  ck_assert_int_eq(sim_counter(e.sim, "partisci.stored"), 27);

  /* asked for every two days: clamped to daily (and 0 means daily) */
  t1 = fc.now;
  rs.calls = rs.ok = 0;
  r = cmx_partisci_reporter_start(e.c, &u, 48 * H, 1, on_report, &rs, err,
                                  sizeof(err));
  ck_assert_msg(r != NULL, "%s", err);
  ck_assert(run_until(&e, &rs.calls, 1, 5000));
  ck_assert_uint_eq(cmx__partisci_reporter_next_ms(r), t1 + 24 * H);
  advance_to(&e, &fc, r, t1 + 24 * H - 1);
  run_for(&e, 20);
  ck_assert_int_eq(rs.calls, 1);
  advance_to(&e, &fc, r, t1 + 24 * H);
  ck_assert(run_until(&e, &rs.calls, 2, 5000));
  ck_assert_int_eq(rs.ok, 2);
  ck_assert_int_eq(sim_counter(e.sim, "partisci.http_updates"), 2);
  cmx_partisci_reporter_stop(r);
  r = cmx_partisci_reporter_start(e.c, &u, 0, 0, NULL, NULL, err, sizeof(err));
  ck_assert_ptr_nonnull(r);
  ck_assert_uint_eq(cmx__partisci_reporter_next_ms(r), fc.now + 24 * H);
  cmx_partisci_reporter_stop(r);

  query_versions(&e, "clock_app", NULL, NULL, &q);
  ck_assert_uint_eq(q.n, 1);
  ck_assert(has_row(&q, "clock_app|clock-host|1.2|0|127.0.0.1"));
  seen_clear(&q);
  env_down(&e);
}
END_TEST

/* ---- load: 100,000 UDP updates from 1,000 hosts ---------------- */

typedef struct load {
  env *e;
  cmx_partisci *c;
  long next, total;
  int inflight, window;
  unsigned pause_ms;
  long sent_ok, send_err;
  long bursts, queries, queries_ok;
  int finished;
} load;

static void load_burst(load *l);

static void on_load_timer(cmx_engine *eng, int code, void *ud)
{
  load *l = ud;

  (void)eng;
  if (code == CMX_OK)
    load_burst(l);
}

static void on_load_sent(cmx_partisci *c, const cmx_partisci_result *r,
                         void *ud)
{
  load *l = ud;

  (void)c;
  l->inflight--;
  if (r->code == CMX_OK)
    l->sent_ok++;
  else
    l->send_err++;
  if (l->inflight > 0)
    return;
  if (l->next >= l->total)
    l->finished = 1;
  else /* next burst after a loop turn, so the simulator reads its socket */
    ck_assert_int_eq(
        cmx_timer_start(l->e->engine, l->pause_ms, on_load_timer, l, NULL),
        CMX_OK);
}

static void on_load_query(cmx_partisci *c, const cmx_partisci_result *r,
                          void *ud)
{
  load *l = ud;

  (void)c;
  if (r->code == CMX_OK && r->n > 0)
    l->queries_ok++;
}

/* One bounded burst of `window` datagrams (and, every 25th burst, two
 * queries that run while the datagrams keep coming). */
static void load_burst(load *l)
{
  if (l->bursts++ % 25 == 24) {
    cmx_partisci_filter f = {"load_app_0", NULL, NULL};

    ck_assert_int_eq(cmx_partisci_apps(l->c, on_load_query, l), CMX_OK);
    ck_assert_int_eq(cmx_partisci_versions(l->c, &f, on_load_query, l),
                     CMX_OK);
    l->queries += 2;
  }
  while (l->inflight < l->window && l->next < l->total) {
    char app[32], ver[32], host[32];
    cmx_partisci_update u;
    long i = l->next++;

    snprintf(host, sizeof(host), "sim-host-%04ld", i % 1000);
    snprintf(app, sizeof(app), "Load App %ld", (i / 1000) % 5);
    snprintf(ver, sizeof(ver), "1.%ld", i / 5000);
    u.app = app;
    u.ver = ver;
    u.host = host;
    u.instance = 0;
    ck_assert_int_eq(cmx_partisci_send_udp(l->c, &u, on_load_sent, l, NULL, 0),
                     CMX_OK);
    l->inflight++;
  }
}

START_TEST(udp_load_100k)
{
  env e;
  load l;
  int64_t got, prev = -1, stored, rejected;
  seen s;
  size_t i;
  long hosts = 0;

  memset(&s, 0, sizeof(s));
  env_up(&e, NULL, CMX_PARTISCI_ERA_LATER);
  memset(&l, 0, sizeof(l));
  l.e = &e;
  l.c = e.c;
  l.total = 100000;
  l.window = 200;
  l.pause_ms = 0;
  load_burst(&l);
  ck_assert(run_until(&e, &l.finished, 1, 120000));
  /* let the simulator drain its socket: stop when nothing new arrives */
  for (;;) {
    got = run_counter(&e, "partisci.udp_datagrams", l.total, 300);
    if (got == prev || got >= l.total)
      break;
    prev = got;
  }
  stored = sim_counter(e.sim, "partisci.stored");
  rejected = sim_counter(e.sim, "partisci.udp_rejected");
  printf("partisci udp load: sent %ld (kernel took %ld, errors %ld), "
         "simulator received %lld (%.2f%%), stored %lld, rejected %lld, "
         "lost %lld\n",
         l.total, l.sent_ok, l.send_err, (long long)got,
         100.0 * (double)got / (double)l.total, (long long)stored,
         (long long)rejected, (long long)(l.total - got));
  fflush(stdout);
  /* the queries made during the load all answered */
  for (i = 0; i < 100 && l.queries_ok < l.queries &&
              cmx_engine_outstanding(e.engine) > 0;
       i++)
    run_for(&e, 50);
  printf("partisci udp load: %ld of %ld queries during the load answered\n",
         l.queries_ok, l.queries);
  ck_assert_int_gt(l.queries, 0);
  ck_assert_int_eq(l.queries_ok, l.queries);
  ck_assert_int_eq(l.send_err, 0);
  ck_assert_int_eq(rejected, 0);
  ck_assert_int_eq(stored, got);
  ck_assert_msg(got * 100 >= l.total * 95, "only %lld of %ld received",
                (long long)got, l.total);

  ck_assert_int_eq(cmx_partisci_apps(e.c, on_result, &s), CMX_OK);
  ck_assert(run_until(&e, &s.calls, 1, 10000));
  ck_assert_int_eq(s.code, CMX_OK);
  ck_assert_uint_eq(s.n, 5);
  for (i = 0; i < 5; i++) {
    ck_assert_int_le(s.apps[i].host_count, 1000);
    ck_assert_int_ge(s.apps[i].host_count, 950);
  }
  seen_clear(&s);
  ck_assert_int_eq(cmx_partisci_hosts(e.c, on_result, &s), CMX_OK);
  ck_assert(run_until(&e, &s.calls, 1, 10000));
  ck_assert_int_eq(s.code, CMX_OK);
  hosts = (long)s.n;
  printf("partisci udp load: %ld distinct hosts known\n", hosts);
  ck_assert_int_ge(hosts, 990);
  ck_assert_int_le(hosts, 1000);
  seen_clear(&s);
  env_down(&e);
}
END_TEST

static Suite *partisci_suite(void)
{
  Suite *s = suite_create("partisci");
  TCase *unit = tcase_create("sans-io");
  TCase *e2e = tcase_create("end-to-end");
  TCase *tc_load = tcase_create("load");

  tcase_add_test(unit, app_id_rule);
  tcase_add_test(unit, validation_rules);
  tcase_add_test(unit, encode_update);
  tcase_add_test(unit, urls);
  tcase_add_test(unit, parse_results);
  tcase_add_test(unit, report_schedule);
  suite_add_tcase(s, unit);

  tcase_add_test(e2e, refused_updates_send_nothing);
  tcase_add_test(e2e, later_era_queries);
  tcase_add_test(e2e, documented_era_queries);
  tcase_add_test(e2e, auto_detects_era);
  tcase_add_test(e2e, server_rules_and_errors);
  tcase_add_test(e2e, udp_datagram_rules);
  tcase_add_test(e2e, encoded_filters_ipv6_last_update);
  tcase_add_test(e2e, danger_clear_is_explicit);
  tcase_add_test(e2e, reporter_end_to_end);
  tcase_add_test(e2e, reporter_fake_clock);
  suite_add_tcase(s, e2e);

  tcase_add_test(tc_load, udp_load_100k);
  suite_add_tcase(s, tc_load);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(partisci_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
