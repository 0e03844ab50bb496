/*
 * callmux simulator: PagerDuty REST API v2, Events API v2 and Change
 * Events, per shared/specs/pagerduty.md.  REST and events share the
 * service's port (their paths never collide).
 *
 * Configuration (sim_config_get / callmux-sim --set KEY=VALUE):
 *   pagerduty.token            API key accepted as "Token token=<key>"
 *                              (default "pd-test-token")
 *   pagerduty.token_level      "account" (default: From required on the
 *                              spec's 13 endpoints) or "user"
 *   pagerduty.readonly_token   read-only key: writes get 403 code 2010
 *                              (default "pd-readonly-token")
 *   pagerduty.oauth_token      accepted as "Bearer <token>", user level
 *                              (default "pd-oauth-token")
 *   pagerduty.routing_key      comma-separated routing keys accepted by the
 *                              events endpoints ("" default: any key)
 *   pagerduty.rest_limit       REST calls per window per key (default 960)
 *   pagerduty.rest_window_ms   (default 60000)
 *   pagerduty.events_limit     events per window per routing key (120)
 *   pagerduty.events_window_ms (default 60000)
 *   pagerduty.latency_ms       delay before every reply (default 0)
 *   pagerduty.users, .services, .teams, .escalation_policies,
 *   .incidents, .audit_records  seeded on attach and on every reset
 *                              (defaults 3, 2, 2, 1, 5, 10)
 *   pagerduty.empty_more       "1": list pages after the first are empty
 *                              but say more: true (a server fault)
 *   pagerduty.lost_ack_every   N > 0: every N-th accepted event is applied
 *                              and then answered 502 (an ack lost on the
 *                              way back, so the client resends)
 *
 * Rules enforced: Authorization (401 code 2006), From on the 13 endpoints
 * with an account-level key (400 code 2001), read-only keys (403 code
 * 2010), classic pagination (limit default 25, max 100, offset+limit >
 * 10000 is 400, more, total only with total=true), cursor pagination on
 * /audit/records, PUT /incidents at most 250 items (413), per-key rate
 * limits with 429 code 2020 and ratelimit-limit/-remaining/-reset headers,
 * events validation (routing_key, event_action, summary <= 1024, source,
 * severity enum, dedup_key <= 255, body <= 512 KB), dedup per routing key
 * (an open alert is updated, never duplicated; ack/resolve of nothing is
 * dropped with 202), change events (routing_key and payload.summary).
 *
 * Counters: pagerduty.alerts_opened (distinct alerts = incidents opened by
 * events), pagerduty.events_deduped, pagerduty.events_accepted,
 * pagerduty.events_dropped, pagerduty.events_rejected,
 * pagerduty.change_events, pagerduty.incidents_updated,
 * pagerduty.rest_429, pagerduty.events_429, pagerduty.lost_acks.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sim/sim.h"

#define PD_MAX_BODY (512 * 1024)
#define PD_OFFSET_CAP 10000

typedef struct coll {
  const char *name;          /* "users" */
  const char *single;        /* "user" */
  const char *type;          /* "user" */
  char prefix;               /* id letter after 'P' */
  struct json_object *items; /* array, in order */
  struct json_object *index; /* id -> item */
  unsigned long next_id;
} coll;

enum { C_USERS, C_SERVICES, C_TEAMS, C_EPS, C_INCIDENTS, C_NCOLL };

typedef struct bucket {
  struct bucket *next;
  char *key;
  uint64_t start;
  long count;
} bucket;

typedef struct pdsim {
  sim *s;
  sim_service *svc;
  coll c[C_NCOLL];
  struct json_object *notes;   /* incident id -> array */
  struct json_object *audit;   /* array of records */
  struct json_object *alerts;  /* routing_key \x1f dedup -> alert */
  struct json_object *changes; /* array */
  bucket *buckets;
  unsigned long events_seen;
  unsigned long incident_number;
} pdsim;

typedef struct route {
  pdsim *st;
  sim_handler fn;
  int events; /* events API: no REST auth */
} route;

typedef struct auth {
  int ok, readonly, account;
  const char *key; /* for the rate limit */
} auth;

/* ---- helpers ------------------------------------------------------ */

static uint64_t now_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void rest_error(sim_req *r, int status, int code, const char *msg,
                       const char *detail)
{
  struct json_object *o = json_object_new_object(),
                     *e = json_object_new_object();

  json_object_object_add(e, "message", json_object_new_string(msg));
  json_object_object_add(e, "code", json_object_new_int(code));
  if (detail) {
    struct json_object *a = json_object_new_array();
    json_object_array_add(a, json_object_new_string(detail));
    json_object_object_add(e, "errors", a);
  }
  json_object_object_add(o, "error", e);
  sim_reply_json(r, status, o);
}

static void event_error(sim_req *r, int status, const char *st,
                        const char *msg, const char *detail)
{
  struct json_object *o = json_object_new_object(),
                     *a = json_object_new_array();

  json_object_object_add(o, "status", json_object_new_string(st));
  json_object_object_add(o, "message", json_object_new_string(msg));
  if (detail)
    json_object_array_add(a, json_object_new_string(detail));
  json_object_object_add(o, "errors", a);
  sim_reply_json(r, status, o);
}

static const char *jstr(struct json_object *o, const char *k)
{
  struct json_object *v;

  if (!o || !json_object_object_get_ex(o, k, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

static size_t u8len(const char *s)
{
  size_t n = 0;

  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80)
      n++;
  return n;
}

/* Is `key` in the comma-separated list? */
static int in_list(const char *list, const char *key)
{
  size_t kl = strlen(key);
  const char *p = list;

  while (*p) {
    const char *e = strchr(p, ',');
    size_t n = e ? (size_t)(e - p) : strlen(p);

    if (n == kl && strncmp(p, key, n) == 0)
      return 1;
    if (!e)
      break;
    p = e + 1;
  }
  return 0;
}

/* Fixed-window limit; sets the ratelimit-* headers; 1 when allowed. */
static int limit_ok(pdsim *st, sim_req *r, const char *key, long limit,
                    long window)
{
  bucket *b;
  uint64_t now = now_ms();
  char v[32];
  int ok;

  for (b = st->buckets; b; b = b->next)
    if (strcmp(b->key, key) == 0)
      break;
  if (!b) {
    b = calloc(1, sizeof(*b));
    if (!b || !(b->key = strdup(key))) {
      free(b);
      return 1;
    }
    b->next = st->buckets;
    st->buckets = b;
  }
  if (b->start == 0 || now >= b->start + (uint64_t)window) {
    b->start = now;
    b->count = 0;
  }
  ok = b->count < limit;
  if (ok)
    b->count++;
  snprintf(v, sizeof(v), "%ld", limit);
  sim_reply_header(r, "ratelimit-limit", v);
  snprintf(v, sizeof(v), "%ld", limit - b->count);
  sim_reply_header(r, "ratelimit-remaining", v);
  snprintf(
      v, sizeof(v), "%llu",
      (unsigned long long)((b->start + (uint64_t)window - now + 999) / 1000));
  sim_reply_header(r, "ratelimit-reset", v);
  return ok;
}

/* ---- collections -------------------------------------------------- */

static struct json_object *new_item(pdsim *st, coll *c,
                                    struct json_object *fields)
{
  struct json_object *it = json_object_new_object();
  char id[32], url[256];

  snprintf(id, sizeof(id), "P%c%06lu", c->prefix, ++c->next_id);
  json_object_object_add(it, "id", json_object_new_string(id));
  json_object_object_add(it, "type", json_object_new_string(c->type));
  snprintf(url, sizeof(url), "%s/%s/%s", sim_service_url(st->svc), c->name,
           id);
  json_object_object_add(it, "self", json_object_new_string(url));
  snprintf(url, sizeof(url), "https://sim.pagerduty.com/%s/%s", c->name, id);
  json_object_object_add(it, "html_url", json_object_new_string(url));
  if (fields) {
    json_object_object_foreach(fields, k, v)
    {
      struct json_object *cp = NULL;

      if (!strcmp(k, "id") || !strcmp(k, "self") || !strcmp(k, "type") ||
          !strcmp(k, "html_url"))
        continue;
      json_object_deep_copy(v, &cp, NULL);
      json_object_object_add(it, k, cp);
    }
  }
  if (c == &st->c[C_INCIDENTS]) {
    if (!json_object_object_get_ex(it, "status", NULL))
      json_object_object_add(it, "status",
                             json_object_new_string("triggered"));
    json_object_object_add(
        it, "incident_number",
        json_object_new_int64((int64_t)++st->incident_number));
  }
  {
    const char *sum = jstr(it, "name");
    if (!sum)
      sum = jstr(it, "title");
    json_object_object_add(it, "summary",
                           json_object_new_string(sum ? sum : id));
  }
  json_object_array_add(c->items, it);
  json_object_object_add(c->index, id, json_object_get(it));
  return it;
}

static void audit(pdsim *st, const char *action, struct json_object *item)
{
  struct json_object *rec = json_object_new_object(), *ref;
  char id[32];

  snprintf(id, sizeof(id), "AR%08zu", json_object_array_length(st->audit) + 1);
  json_object_object_add(rec, "id", json_object_new_string(id));
  json_object_object_add(rec, "action", json_object_new_string(action));
  json_object_object_add(rec, "execution_time",
                         json_object_new_string("2026-01-01T00:00:00Z"));
  if (item) {
    ref = json_object_new_object();
    json_object_object_add(ref, "id",
                           json_object_new_string(jstr(item, "id")));
    json_object_object_add(ref, "type",
                           json_object_new_string(jstr(item, "type")));
    json_object_object_add(rec, "root_resource", ref);
  }
  json_object_array_add(st->audit, rec);
}

static void seed(pdsim *st)
{
  long n, i;
  char buf[128];
  struct json_object *f;

  n = sim_config_long(st->s, "pagerduty.users", 3);
  for (i = 1; i <= n; i++) {
    f = json_object_new_object();
    snprintf(buf, sizeof(buf), "User %ld", i);
    json_object_object_add(f, "name", json_object_new_string(buf));
    snprintf(buf, sizeof(buf), "user%ld@example.com", i);
    json_object_object_add(f, "email", json_object_new_string(buf));
    json_object_object_add(f, "role", json_object_new_string("user"));
    new_item(st, &st->c[C_USERS], f);
    json_object_put(f);
  }
  n = sim_config_long(st->s, "pagerduty.services", 2);
  for (i = 1; i <= n; i++) {
    f = json_object_new_object();
    snprintf(buf, sizeof(buf), "Service %ld", i);
    json_object_object_add(f, "name", json_object_new_string(buf));
    json_object_object_add(f, "status", json_object_new_string("active"));
    new_item(st, &st->c[C_SERVICES], f);
    json_object_put(f);
  }
  n = sim_config_long(st->s, "pagerduty.teams", 2);
  for (i = 1; i <= n; i++) {
    f = json_object_new_object();
    snprintf(buf, sizeof(buf), "Team %ld", i);
    json_object_object_add(f, "name", json_object_new_string(buf));
    new_item(st, &st->c[C_TEAMS], f);
    json_object_put(f);
  }
  n = sim_config_long(st->s, "pagerduty.escalation_policies", 1);
  for (i = 1; i <= n; i++) {
    f = json_object_new_object();
    snprintf(buf, sizeof(buf), "Policy %ld", i);
    json_object_object_add(f, "name", json_object_new_string(buf));
    new_item(st, &st->c[C_EPS], f);
    json_object_put(f);
  }
  n = sim_config_long(st->s, "pagerduty.incidents", 5);
  for (i = 1; i <= n; i++) {
    struct json_object *svc = json_object_new_object(), *as, *a, *u;

    f = json_object_new_object();
    snprintf(buf, sizeof(buf), "Incident %ld", i);
    json_object_object_add(f, "title", json_object_new_string(buf));
    json_object_object_add(f, "status", json_object_new_string("triggered"));
    json_object_object_add(svc, "id", json_object_new_string("PS000001"));
    json_object_object_add(svc, "type",
                           json_object_new_string("service_reference"));
    json_object_object_add(f, "service", svc);
    as = json_object_new_array();
    a = json_object_new_object();
    u = json_object_new_object();
    snprintf(buf, sizeof(buf), "PU%06ld",
             st->c[C_USERS].next_id
                 ? (i - 1) % (long)st->c[C_USERS].next_id + 1
                 : 1);
    json_object_object_add(u, "id", json_object_new_string(buf));
    json_object_object_add(u, "type",
                           json_object_new_string("user_reference"));
    json_object_object_add(a, "assignee", u);
    json_object_array_add(as, a);
    json_object_object_add(f, "assignments", as);
    new_item(st, &st->c[C_INCIDENTS], f);
    json_object_put(f);
  }
  n = sim_config_long(st->s, "pagerduty.audit_records", 10);
  for (i = 0; i < n; i++)
    audit(st, "create", NULL);
}

static void clear_state(pdsim *st)
{
  int i;
  bucket *b;

  for (i = 0; i < C_NCOLL; i++) {
    json_object_put(st->c[i].items);
    json_object_put(st->c[i].index);
    st->c[i].items = NULL;
    st->c[i].index = NULL;
    st->c[i].next_id = 0;
  }
  json_object_put(st->notes);
  json_object_put(st->audit);
  json_object_put(st->alerts);
  json_object_put(st->changes);
  st->notes = st->audit = st->alerts = st->changes = NULL;
  while ((b = st->buckets)) {
    st->buckets = b->next;
    free(b->key);
    free(b);
  }
  st->events_seen = 0;
  st->incident_number = 0;
}

static void init_state(pdsim *st)
{
  static const struct {
    const char *name, *single, *type;
    char prefix;
  } defs[C_NCOLL] = {
      {"users", "user", "user", 'U'},
      {"services", "service", "service", 'S'},
      {"teams", "team", "team", 'T'},
      {"escalation_policies", "escalation_policy", "escalation_policy", 'E'},
      {"incidents", "incident", "incident", 'I'},
  };
  int i;

  for (i = 0; i < C_NCOLL; i++) {
    st->c[i].name = defs[i].name;
    st->c[i].single = defs[i].single;
    st->c[i].type = defs[i].type;
    st->c[i].prefix = defs[i].prefix;
    st->c[i].items = json_object_new_array();
    st->c[i].index = json_object_new_object();
  }
  st->notes = json_object_new_object();
  st->audit = json_object_new_array();
  st->alerts = json_object_new_object();
  st->changes = json_object_new_array();
  seed(st);
}

static void pd_reset(void *arg)
{
  pdsim *st = arg;

  clear_state(st);
  init_state(st);
}

static void pd_free(void *arg)
{
  pdsim *st = arg;

  clear_state(st);
  free(st);
}

static coll *coll_of(pdsim *st, const char *path)
{
  int i;
  size_t n;

  for (i = 0; i < C_NCOLL; i++) {
    n = strlen(st->c[i].name);
    if (strncmp(path + 1, st->c[i].name, n) == 0 &&
        (path[1 + n] == '\0' || path[1 + n] == '/'))
      return &st->c[i];
  }
  return NULL;
}

/* ---- auth, From, rate limit (REST) -------------------------------- */

static int check_auth(pdsim *st, sim_req *r, auth *a)
{
  const char *h = sim_req_header(r, "Authorization");
  const char *tok = sim_config_get(st->s, "pagerduty.token", "pd-test-token");
  const char *ro =
      sim_config_get(st->s, "pagerduty.readonly_token", "pd-readonly-token");
  const char *oa =
      sim_config_get(st->s, "pagerduty.oauth_token", "pd-oauth-token");

  memset(a, 0, sizeof(*a));
  if (h && strncmp(h, "Token token=", 12) == 0) {
    a->key = h + 12;
    if (*a->key && strcmp(a->key, tok) == 0) {
      a->ok = 1;
      a->account =
          strcmp(sim_config_get(st->s, "pagerduty.token_level", "account"),
                 "user") != 0;
    } else if (*a->key && strcmp(a->key, ro) == 0) {
      a->ok = a->readonly = 1;
      a->account = 1;
    }
  } else if (h && strncmp(h, "Bearer ", 7) == 0) {
    a->key = h + 7;
    if (*a->key && strcmp(a->key, oa) == 0)
      a->ok = 1;
  }
  if (!a->ok) {
    sim_count(st->s, "pagerduty.rest_401", 1);
    rest_error(r, 401, 2006, "Authentication failed", NULL);
    return 0;
  }
  return 1;
}

/* The 13 endpoints needing From with an account-level key. */
static int needs_from(const char *m, const char *p)
{
  static const char *const pats[][2] = {
      {"POST", "/incidents"},
      {"PUT", "/incidents"},
      {"PUT", "/incidents/*"},
      {"PUT", "/incidents/*/alerts"},
      {"PUT", "/incidents/*/alerts/*"},
      {"PUT", "/incidents/*/merge"},
      {"POST", "/incidents/*/notes"},
      {"PUT", "/incidents/*/notes/*"},
      {"POST", "/incidents/*/snooze"},
      {"POST", "/incidents/*/status_updates"},
      {"PUT", "/log_entries/*/channel"},
      {"POST", "/maintenance_windows"},
      {"POST", "/users"},
  };
  size_t i;

  for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
    const char *a = pats[i][1], *b = p;

    if (strcmp(m, pats[i][0]) != 0)
      continue;
    while (*a && *b) {
      if (*a == '*') {
        a++;
        while (*b && *b != '/')
          b++;
      } else if (*a == *b) {
        a++;
        b++;
      } else {
        break;
      }
    }
    if (!*a && !*b)
      return 1;
  }
  return 0;
}

static void run_route(sim_req *r, void *arg);

static void h_entry(sim_req *r, void *arg)
{
  route *rt = arg;
  pdsim *st = rt->st;
  long lat = sim_config_long(st->s, "pagerduty.latency_ms", 0);

  if (lat > 0) {
    if (sim_req_later(r, (unsigned)lat, run_route, rt) == 0)
      return;
  }
  run_route(r, rt);
}

static void run_route(sim_req *r, void *arg)
{
  route *rt = arg;
  pdsim *st = rt->st;
  const char *m = sim_req_method(r);
  auth a;
  char key[160];

  if (rt->events) {
    rt->fn(r, st);
    return;
  }
  if (!check_auth(st, r, &a))
    return;
  snprintf(key, sizeof(key), "rest:%.150s", a.key);
  if (!limit_ok(st, r, key,
                sim_config_long(st->s, "pagerduty.rest_limit", 960),
                sim_config_long(st->s, "pagerduty.rest_window_ms", 60000))) {
    sim_count(st->s, "pagerduty.rest_429", 1);
    rest_error(r, 429, 2020, "Rate Limit Exceeded", NULL);
    return;
  }
  if (strcmp(m, "GET") != 0 && a.readonly) {
    rest_error(r, 403, 2010, "Access Denied",
               "The API key is read-only and cannot make changes");
    return;
  }
  if (a.account && needs_from(m, sim_req_path(r))) {
    const char *from = sim_req_header(r, "From");

    if (!from || !*from) {
      rest_error(r, 400, 2001, "Invalid Input Provided",
                 "You must specify a user's email address in the \"From\" "
                 "header to perform this action");
      return;
    }
  }
  rt->fn(r, st);
}

/* ---- listing ------------------------------------------------------ */

static int icontains(const char *hay, const char *needle)
{
  size_t n = strlen(needle), i;

  if (!hay)
    return 0;
  for (i = 0; hay[i]; i++)
    if (strncasecmp(hay + i, needle, n) == 0)
      return 1;
  return n == 0;
}

static int match_filters(sim_req *r, coll *c, struct json_object *it)
{
  const char *q = sim_req_query(r, "query"), *vals[64];
  size_t n, i;

  if (q && *q && !icontains(jstr(it, "name"), q) &&
      !icontains(jstr(it, "email"), q) && !icontains(jstr(it, "title"), q))
    return 0;
  if (strcmp(c->name, "incidents") != 0)
    return 1;
  n = sim_req_query_all(r, "statuses[]", vals, 64);
  if (n > 0) {
    const char *s = jstr(it, "status");
    for (i = 0; i < n && i < 64; i++)
      if (s && strcmp(vals[i], s) == 0)
        break;
    if (i == n || i == 64)
      return 0;
  }
  n = sim_req_query_all(r, "user_ids[]", vals, 64);
  if (n > 0) {
    struct json_object *as, *x, *u;
    size_t j, k;
    int hit = 0;

    if (json_object_object_get_ex(it, "assignments", &as))
      for (j = 0; j < json_object_array_length(as) && !hit; j++) {
        x = json_object_array_get_idx(as, j);
        if (!json_object_object_get_ex(x, "assignee", &u))
          continue;
        for (k = 0; k < n && k < 64; k++)
          if (jstr(u, "id") && strcmp(jstr(u, "id"), vals[k]) == 0)
            hit = 1;
      }
    if (!hit)
      return 0;
  }
  return 1;
}

static void list_page(sim_req *r, pdsim *st, const char *wrapper,
                      struct json_object *items, coll *c)
{
  const char *ls = sim_req_query(r, "limit"), *os = sim_req_query(r, "offset"),
             *ts = sim_req_query(r, "total");
  long limit = ls ? strtol(ls, NULL, 10) : 25,
       offset = os ? strtol(os, NULL, 10) : 0;
  size_t i, n = json_object_array_length(items), matched = 0, taken = 0;
  struct json_object *o, *arr;
  int total = ts && (strcmp(ts, "true") == 0 || strcmp(ts, "1") == 0);
  int empty_more = sim_config_long(st->s, "pagerduty.empty_more", 0) != 0;

  if (limit <= 0)
    limit = 25;
  if (limit > 100)
    limit = 100;
  if (offset < 0)
    offset = 0;
  if (offset + limit > PD_OFFSET_CAP) {
    rest_error(r, 400, 2001, "Invalid Input Provided",
               "Offset must be less than 10000 (offset + limit may not "
               "exceed 10000).");
    return;
  }
  arr = json_object_new_array();
  for (i = 0; i < n; i++) {
    struct json_object *it = json_object_array_get_idx(items, i);

    if (c && !match_filters(r, c, it))
      continue;
    if ((long)matched >= offset && (long)taken < limit &&
        !(empty_more && offset > 0)) {
      json_object_array_add(arr, json_object_get(it));
      taken++;
    }
    matched++;
  }
  o = json_object_new_object();
  json_object_object_add(o, wrapper, arr);
  json_object_object_add(o, "limit", json_object_new_int64(limit));
  json_object_object_add(o, "offset", json_object_new_int64(offset));
  json_object_object_add(
      o, "more",
      json_object_new_boolean(empty_more ? 1
                                         : (size_t)offset + taken < matched));
  json_object_object_add(
      o, "total", total ? json_object_new_int64((int64_t)matched) : NULL);
  sim_reply_json(r, 200, o);
}

/* ---- REST handlers ------------------------------------------------ */

static void h_list(sim_req *r, void *arg)
{
  pdsim *st = arg;
  coll *c = coll_of(st, sim_req_path(r));

  list_page(r, st, c->name, c->items, c);
}

static struct json_object *wrapped_body(sim_req *r, const char *key)
{
  struct json_object *b = sim_req_json(r), *v;

  if (!b || !json_object_is_type(b, json_type_object) ||
      !json_object_object_get_ex(b, key, &v) ||
      !json_object_is_type(v, json_type_object))
    return NULL;
  return v;
}

static void reply_one(sim_req *r, int status, coll *c, struct json_object *it)
{
  struct json_object *o = json_object_new_object();

  json_object_object_add(o, c->single, json_object_get(it));
  sim_reply_json(r, status, o);
}

static void h_create(sim_req *r, void *arg)
{
  pdsim *st = arg;
  coll *c = coll_of(st, sim_req_path(r));
  struct json_object *f = wrapped_body(r, c->single), *it;
  char msg[128];

  if (!f) {
    snprintf(msg, sizeof(msg), "The body must hold the object \"%s\".",
             c->single);
    rest_error(r, 400, 2001, "Invalid Input Provided", msg);
    return;
  }
  if (c == &st->c[C_USERS] && (!jstr(f, "email") || !jstr(f, "name"))) {
    rest_error(r, 400, 2001, "Invalid Input Provided",
               "User name and email are required.");
    return;
  }
  if (c == &st->c[C_INCIDENTS] && !jstr(f, "title")) {
    rest_error(r, 400, 2001, "Invalid Input Provided",
               "Incident title is required.");
    return;
  }
  if (c != &st->c[C_INCIDENTS] && !jstr(f, "name")) {
    rest_error(r, 400, 2001, "Invalid Input Provided", "Name is required.");
    return;
  }
  it = new_item(st, c, f);
  audit(st, "create", it);
  reply_one(r, 201, c, it);
}

static struct json_object *lookup(sim_req *r, coll *c, unsigned param)
{
  struct json_object *it;
  const char *id = sim_req_param(r, param);

  if (!id || !json_object_object_get_ex(c->index, id, &it)) {
    rest_error(r, 404, 2100, "Not Found", NULL);
    return NULL;
  }
  return it;
}

static void h_get(sim_req *r, void *arg)
{
  pdsim *st = arg;
  coll *c = coll_of(st, sim_req_path(r));
  struct json_object *it = lookup(r, c, 0);

  if (it)
    reply_one(r, 200, c, it);
}

static void merge_into(struct json_object *it, struct json_object *f)
{
  json_object_object_foreach(f, k, v)
  {
    struct json_object *cp = NULL;

    if (!strcmp(k, "id") || !strcmp(k, "self") || !strcmp(k, "type") ||
        !strcmp(k, "html_url") || !strcmp(k, "incident_number"))
      continue;
    json_object_deep_copy(v, &cp, NULL);
    json_object_object_add(it, k, cp);
  }
}

static void h_update(sim_req *r, void *arg)
{
  pdsim *st = arg;
  coll *c = coll_of(st, sim_req_path(r));
  struct json_object *it = lookup(r, c, 0), *f;

  if (!it)
    return;
  f = wrapped_body(r, c->single);
  if (!f) {
    rest_error(r, 400, 2001, "Invalid Input Provided",
               "The body must hold the entity object.");
    return;
  }
  merge_into(it, f);
  audit(st, "update", it);
  reply_one(r, 200, c, it);
}

static void h_delete(sim_req *r, void *arg)
{
  pdsim *st = arg;
  coll *c = coll_of(st, sim_req_path(r));
  struct json_object *it = lookup(r, c, 0);
  size_t i, n;

  if (!it)
    return;
  n = json_object_array_length(c->items);
  for (i = 0; i < n; i++)
    if (json_object_array_get_idx(c->items, i) == it) {
      json_object_array_del_idx(c->items, i, 1);
      break;
    }
  audit(st, "delete", it);
  json_object_object_del(c->index, sim_req_param(r, 0));
  sim_reply(r, 204, NULL, "", 0);
}

static void h_me(sim_req *r, void *arg)
{
  pdsim *st = arg;
  const char *h = sim_req_header(r, "Authorization");

  if (h && strncmp(h, "Bearer ", 7) == 0 &&
      json_object_array_length(st->c[C_USERS].items) > 0) {
    reply_one(r, 200, &st->c[C_USERS],
              json_object_array_get_idx(st->c[C_USERS].items, 0));
    return;
  }
  rest_error(r, 400, 2001,
             "Because this request was made using an account-level access "
             "token, we were unable to determine the user's identity. Please "
             "use a user-level token.",
             NULL);
}

static void h_multi_update(sim_req *r, void *arg)
{
  pdsim *st = arg;
  coll *c = &st->c[C_INCIDENTS];
  struct json_object *b = sim_req_json(r), *list, *out, *o;
  size_t i, n;

  if (!b || !json_object_object_get_ex(b, "incidents", &list) ||
      !json_object_is_type(list, json_type_array)) {
    rest_error(r, 400, 2001, "Invalid Input Provided",
               "The body must hold the list \"incidents\".");
    return;
  }
  n = json_object_array_length(list);
  if (n > 250) {
    rest_error(r, 413, 2001, "Request Entity Too Large",
               "At most 250 incidents may be updated at once.");
    return;
  }
  for (i = 0; i < n; i++) {
    struct json_object *x = json_object_array_get_idx(list, i), *it;
    const char *id = jstr(x, "id");

    if (!id || !json_object_object_get_ex(c->index, id, &it)) {
      rest_error(r, 404, 2100, "Not Found", id ? id : "incident without id");
      return;
    }
  }
  out = json_object_new_array();
  for (i = 0; i < n; i++) {
    struct json_object *x = json_object_array_get_idx(list, i), *it;

    json_object_object_get_ex(c->index, jstr(x, "id"), &it);
    merge_into(it, x);
    json_object_array_add(out, json_object_get(it));
    audit(st, "update", it);
  }
  sim_count(st->s, "pagerduty.incidents_updated", (int64_t)n);
  o = json_object_new_object();
  json_object_object_add(o, "incidents", out);
  sim_reply_json(r, 200, o);
}

static void h_notes(sim_req *r, void *arg)
{
  pdsim *st = arg;
  struct json_object *it = lookup(r, &st->c[C_INCIDENTS], 0), *arr, *f, *o,
                     *note;
  const char *id;
  char nid[32];

  if (!it)
    return;
  id = sim_req_param(r, 0);
  if (!json_object_object_get_ex(st->notes, id, &arr)) {
    arr = json_object_new_array();
    json_object_object_add(st->notes, id, arr);
  }
  if (strcmp(sim_req_method(r), "GET") == 0) {
    o = json_object_new_object();
    json_object_object_add(o, "notes", json_object_get(arr));
    sim_reply_json(r, 200, o);
    return;
  }
  f = wrapped_body(r, "note");
  if (!f || !jstr(f, "content")) {
    rest_error(r, 400, 2001, "Invalid Input Provided",
               "Note content is required.");
    return;
  }
  note = json_object_new_object();
  snprintf(nid, sizeof(nid), "PN%06zu", json_object_array_length(arr) + 1);
  json_object_object_add(note, "id", json_object_new_string(nid));
  json_object_object_add(note, "content",
                         json_object_new_string(jstr(f, "content")));
  json_object_array_add(arr, note);
  o = json_object_new_object();
  json_object_object_add(o, "note", json_object_get(note));
  sim_reply_json(r, 201, o);
}

static void h_team_user(sim_req *r, void *arg)
{
  pdsim *st = arg;
  struct json_object *u;

  if (!lookup(r, &st->c[C_TEAMS], 0))
    return;
  if (!json_object_object_get_ex(st->c[C_USERS].index, sim_req_param(r, 1),
                                 &u)) {
    rest_error(r, 404, 2100, "Not Found", NULL);
    return;
  }
  sim_reply(r, 204, NULL, "", 0);
}

static void h_audit(sim_req *r, void *arg)
{
  pdsim *st = arg;
  const char *ls = sim_req_query(r, "limit"), *cs = sim_req_query(r, "cursor");
  long limit = ls ? strtol(ls, NULL, 10) : 25, start = 0, i, n;
  struct json_object *o, *arr;
  char cur[32];

  if (limit <= 0)
    limit = 25;
  if (limit > 100)
    limit = 100;
  if (cs && *cs) {
    if (cs[0] != 'c' || (start = strtol(cs + 1, NULL, 16)) < 0) {
      rest_error(r, 400, 2001, "Invalid Input Provided", "Invalid cursor.");
      return;
    }
  }
  n = (long)json_object_array_length(st->audit);
  arr = json_object_new_array();
  for (i = start; i < n && i < start + limit; i++)
    json_object_array_add(
        arr, json_object_get(json_object_array_get_idx(st->audit, (size_t)i)));
  o = json_object_new_object();
  json_object_object_add(o, "records", arr);
  json_object_object_add(o, "limit", json_object_new_int64(limit));
  if (i < n) {
    snprintf(cur, sizeof(cur), "c%lx", i);
    json_object_object_add(o, "next_cursor", json_object_new_string(cur));
  } else {
    json_object_object_add(o, "next_cursor", NULL);
  }
  sim_reply_json(r, 200, o);
}

/* ---- Events API v2 ------------------------------------------------- */

static int events_common(pdsim *st, sim_req *r, struct json_object **bodyp,
                         const char **rkp)
{
  size_t len;
  struct json_object *b;
  const char *rk, *allowed;
  char key[300];

  sim_req_body(r, &len);
  if (len > PD_MAX_BODY) {
    sim_count(st->s, "pagerduty.events_rejected", 1);
    event_error(r, 400, "invalid event", "Event object is invalid",
                "Payload exceeds the 512 KB limit");
    return 0;
  }
  b = sim_req_json(r);
  if (!b || !json_object_is_type(b, json_type_object)) {
    sim_count(st->s, "pagerduty.events_rejected", 1);
    event_error(r, 400, "Unrecognized object",
                "Event object format is unrecognized", "JSON parse error");
    return 0;
  }
  rk = jstr(b, "routing_key");
  allowed = sim_config_get(st->s, "pagerduty.routing_key", "");
  if (!rk || !*rk || (*allowed && !in_list(allowed, rk))) {
    sim_count(st->s, "pagerduty.events_rejected", 1);
    event_error(r, 400, "invalid event", "Event object is invalid",
                rk && *rk ? "Invalid routing key"
                          : "'routing_key' is missing or blank");
    return 0;
  }
  snprintf(key, sizeof(key), "events:%.280s", rk);
  if (!limit_ok(st, r, key,
                sim_config_long(st->s, "pagerduty.events_limit", 120),
                sim_config_long(st->s, "pagerduty.events_window_ms", 60000))) {
    sim_count(st->s, "pagerduty.events_429", 1);
    event_error(r, 429, "throttle event",
                "Requests for this service are arriving too quickly.  Please "
                "retry later.",
                NULL);
    return 0;
  }
  *bodyp = b;
  *rkp = rk;
  return 1;
}

static void gen_dedup(pdsim *st, char *out, size_t n)
{
  static uint64_t x = 0x243f6a8885a308d3ULL;

  x ^= now_ms() + st->events_seen;
  x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  snprintf(out, n, "%08llx-%04llx-4%03llx-a%03llx-%012llx",
           (unsigned long long)(x >> 32),
           (unsigned long long)(x >> 16) & 0xffff,
           (unsigned long long)(x >> 4) & 0xfff, (unsigned long long)x & 0xfff,
           (unsigned long long)(st->events_seen & 0xffffffffffffULL));
}

static void set_incident_status(pdsim *st, struct json_object *alert,
                                const char *status)
{
  struct json_object *it;
  const char *iid = jstr(alert, "incident");

  json_object_object_add(alert, "status", json_object_new_string(status));
  if (iid && json_object_object_get_ex(st->c[C_INCIDENTS].index, iid, &it))
    json_object_object_add(it, "status", json_object_new_string(status));
}

static void h_enqueue(sim_req *r, void *arg)
{
  pdsim *st = arg;
  struct json_object *b, *p, *alert, *o;
  const char *rk, *action, *dk, *sev;
  char key[600], gen[64];
  long every;

  if (!events_common(st, r, &b, &rk))
    return;
  action = jstr(b, "event_action");
  dk = jstr(b, "dedup_key");
  if (!action || (strcmp(action, "trigger") && strcmp(action, "acknowledge") &&
                  strcmp(action, "resolve"))) {
    sim_count(st->s, "pagerduty.events_rejected", 1);
    event_error(r, 400, "invalid event", "Event object is invalid",
                "'event_action' is missing or invalid");
    return;
  }
  if (dk && (!*dk || u8len(dk) > 255)) {
    sim_count(st->s, "pagerduty.events_rejected", 1);
    event_error(r, 400, "invalid event", "Event object is invalid",
                "Length of 'dedup_key' is incorrect");
    return;
  }
  if (strcmp(action, "trigger") == 0) {
    const char *sum, *src;

    if (!json_object_object_get_ex(b, "payload", &p) ||
        !json_object_is_type(p, json_type_object)) {
      sim_count(st->s, "pagerduty.events_rejected", 1);
      event_error(r, 400, "invalid event", "Event object is invalid",
                  "'payload' is missing or not an object");
      return;
    }
    sum = jstr(p, "summary");
    src = jstr(p, "source");
    sev = jstr(p, "severity");
    if (!sum || !*sum || u8len(sum) > 1024) {
      sim_count(st->s, "pagerduty.events_rejected", 1);
      event_error(r, 400, "invalid event", "Event object is invalid",
                  "Length of 'summary' is incorrect");
      return;
    }
    if (!src || !*src) {
      sim_count(st->s, "pagerduty.events_rejected", 1);
      event_error(r, 400, "invalid event", "Event object is invalid",
                  "'source' is missing or blank");
      return;
    }
    if (!sev || (strcmp(sev, "critical") && strcmp(sev, "error") &&
                 strcmp(sev, "warning") && strcmp(sev, "info"))) {
      sim_count(st->s, "pagerduty.events_rejected", 1);
      event_error(r, 400, "invalid event", "Event object is invalid",
                  "'severity' must be critical, error, warning or info");
      return;
    }
    if (!dk) {
      gen_dedup(st, gen, sizeof(gen));
      dk = gen;
    }
    snprintf(key, sizeof(key), "%s\x1f%s", rk, dk);
    if (json_object_object_get_ex(st->alerts, key, &alert) &&
        strcmp(jstr(alert, "status"), "resolved") != 0) {
      json_object_object_add(alert, "summary", json_object_new_string(sum));
      sim_count(st->s, "pagerduty.events_deduped", 1);
    } else {
      struct json_object *f = json_object_new_object(), *it;

      json_object_object_add(f, "title", json_object_new_string(sum));
      json_object_object_add(f, "incident_key", json_object_new_string(dk));
      json_object_object_add(
          f, "urgency",
          json_object_new_string(strcmp(sev, "critical") == 0 ||
                                         strcmp(sev, "error") == 0
                                     ? "high"
                                     : "low"));
      it = new_item(st, &st->c[C_INCIDENTS], f);
      json_object_put(f);
      alert = json_object_new_object();
      json_object_object_add(alert, "status",
                             json_object_new_string("triggered"));
      json_object_object_add(alert, "incident",
                             json_object_new_string(jstr(it, "id")));
      json_object_object_add(alert, "summary", json_object_new_string(sum));
      json_object_object_add(st->alerts, key, alert);
      sim_count(st->s, "pagerduty.alerts_opened", 1);
    }
  } else {
    if (!dk) {
      sim_count(st->s, "pagerduty.events_rejected", 1);
      event_error(r, 400, "invalid event", "Event object is invalid",
                  "'dedup_key' is required for acknowledge and resolve");
      return;
    }
    snprintf(key, sizeof(key), "%s\x1f%s", rk, dk);
    if (json_object_object_get_ex(st->alerts, key, &alert) &&
        strcmp(jstr(alert, "status"), "resolved") != 0) {
      set_incident_status(st, alert,
                          strcmp(action, "resolve") == 0 ? "resolved"
                                                         : "acknowledged");
    } else {
      sim_count(st->s, "pagerduty.events_dropped", 1);
    }
  }
  sim_count(st->s, "pagerduty.events_accepted", 1);
  st->events_seen++;
  every = sim_config_long(st->s, "pagerduty.lost_ack_every", 0);
  if (every > 0 && st->events_seen % (unsigned long)every == 0) {
    sim_count(st->s, "pagerduty.lost_acks", 1);
    sim_reply_text(r, 502, "Bad Gateway");
    return;
  }
  o = json_object_new_object();
  json_object_object_add(o, "status", json_object_new_string("success"));
  json_object_object_add(o, "message",
                         json_object_new_string("Event processed"));
  json_object_object_add(o, "dedup_key", json_object_new_string(dk));
  sim_reply_json(r, 202, o);
}

static void h_change(sim_req *r, void *arg)
{
  pdsim *st = arg;
  struct json_object *b, *p, *o;
  const char *rk, *sum;

  if (!events_common(st, r, &b, &rk))
    return;
  if (!json_object_object_get_ex(b, "payload", &p) ||
      !(sum = jstr(p, "summary")) || !*sum || u8len(sum) > 1024) {
    sim_count(st->s, "pagerduty.events_rejected", 1);
    event_error(r, 400, "invalid event", "Event object is invalid",
                "'payload.summary' is missing or too long");
    return;
  }
  json_object_array_add(st->changes, json_object_get(b));
  sim_count(st->s, "pagerduty.change_events", 1);
  o = json_object_new_object();
  json_object_object_add(o, "status", json_object_new_string("success"));
  json_object_object_add(o, "message",
                         json_object_new_string("Change event processed"));
  sim_reply_json(r, 202, o);
}

/* ---- attach ------------------------------------------------------- */

typedef struct route_def {
  const char *method, *pattern;
  sim_handler fn;
  int events;
} route_def;

static const route_def routes[] = {
    {"POST", "/v2/enqueue", h_enqueue, 1},
    {"POST", "/v2/change/enqueue", h_change, 1},
    {"GET", "/users/me", h_me, 0},
    {"GET", "/audit/records", h_audit, 0},
    {"PUT", "/incidents", h_multi_update, 0},
    {"GET", "/incidents/*/notes", h_notes, 0},
    {"POST", "/incidents/*/notes", h_notes, 0},
    {"PUT", "/teams/*/users/*", h_team_user, 0},
    {"GET", "/users", h_list, 0},
    {"POST", "/users", h_create, 0},
    {"GET", "/users/*", h_get, 0},
    {"PUT", "/users/*", h_update, 0},
    {"DELETE", "/users/*", h_delete, 0},
    {"GET", "/services", h_list, 0},
    {"POST", "/services", h_create, 0},
    {"GET", "/services/*", h_get, 0},
    {"PUT", "/services/*", h_update, 0},
    {"DELETE", "/services/*", h_delete, 0},
    {"GET", "/teams", h_list, 0},
    {"POST", "/teams", h_create, 0},
    {"GET", "/teams/*", h_get, 0},
    {"PUT", "/teams/*", h_update, 0},
    {"DELETE", "/teams/*", h_delete, 0},
    {"GET", "/escalation_policies", h_list, 0},
    {"POST", "/escalation_policies", h_create, 0},
    {"GET", "/escalation_policies/*", h_get, 0},
    {"PUT", "/escalation_policies/*", h_update, 0},
    {"DELETE", "/escalation_policies/*", h_delete, 0},
    {"GET", "/incidents", h_list, 0},
    {"POST", "/incidents", h_create, 0},
    {"GET", "/incidents/*", h_get, 0},
    {"PUT", "/incidents/*", h_update, 0},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

typedef struct pd_attach {
  pdsim st;
  route rt[NROUTES];
} pd_attach;

int sim_pagerduty_attach(sim_service *svc)
{
  sim *s = sim_service_sim(svc);
  pd_attach *pa = calloc(1, sizeof(*pa));
  size_t i;

  if (!pa)
    return -1;
  pa->st.s = s;
  pa->st.svc = svc;
  init_state(&pa->st);
  if (sim_on_free(s, pd_free, &pa->st) != 0) {
    clear_state(&pa->st);
    free(pa);
    return -1;
  }
  if (sim_on_reset(s, pd_reset, &pa->st) != 0)
    return -1;
  for (i = 0; i < NROUTES; i++) {
    pa->rt[i].st = &pa->st;
    pa->rt[i].fn = routes[i].fn;
    pa->rt[i].events = routes[i].events;
    if (sim_route(svc, routes[i].method, routes[i].pattern, h_entry,
                  &pa->rt[i]) != 0)
      return -1;
  }
  return 0;
}
