/*
 * callmux simulator: the generic routes for engine tests and benchmarks
 * (see sim_generic_attach in sim.h).
 *
 * Configuration keys (sim_config / callmux-sim --set):
 *   generic.limit           requests allowed per window per KEY of
 *                           /limited/KEY (default 10)
 *   generic.limit.<KEY>     the same for one KEY
 *   generic.window_ms       the window (default 1000)
 *   generic.limit_mode      "fixed" (windows start at a key's first
 *                           request) or "sliding" (the last window_ms
 *                           before each request); default "fixed"
 * Counters: "generic.json" (GET /json calls), "sink.bytes",
 * "limited.<KEY>.ok", "limited.<KEY>.429".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "sim/sim.h"

#define MAX_BYTES ((uint64_t)64 * 1024 * 1024 * 1024)

typedef struct limit_key {
  char *key;
  uint64_t start; /* fixed: window start (ms) */
  long count;     /* fixed: requests in this window */
  uint64_t *log;  /* sliding: times of accepted requests (ring) */
  long cap, head, n;
  struct limit_key *next;
} limit_key;

typedef struct generic {
  sim *s;
  sim_service *svc;
  int64_t json_count;
  limit_key *keys;
} generic;

static uint64_t now_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void generic_reset(void *arg)
{
  generic *g = arg;

  g->json_count = 0;
  while (g->keys) {
    limit_key *k = g->keys;
    g->keys = k->next;
    free(k->key);
    free(k->log);
    free(k);
  }
}

static void generic_free(void *arg)
{
  generic_reset(arg);
  free(arg);
}

/* ---- /echo ---------------------------------------------------------- */

static void h_echo(sim_req *r, void *arg)
{
  struct json_object *o = json_object_new_object(), *q, *h;
  struct evhttp_request *ev = sim_req_evhttp(r);
  const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
  const char *qs = uri ? evhttp_uri_get_query(uri) : NULL;
  struct evkeyvalq *in = evhttp_request_get_input_headers(ev);
  struct evkeyval *kv;
  const char *body;
  size_t len;

  (void)arg;
  if (!o) {
    sim_reply_text(r, 500, "sim: out of memory");
    return;
  }
  json_object_object_add(o, "method",
                         json_object_new_string(sim_req_method(r)));
  json_object_object_add(o, "path", json_object_new_string(sim_req_path(r)));
  q = json_object_new_object();
  if (qs && *qs) {
    /* Every key once; repeated keys become arrays. */
    char *copy = strdup(qs), *save = NULL, *part;
    for (part = copy ? strtok_r(copy, "&", &save) : NULL; part;
         part = strtok_r(NULL, "&", &save)) {
      char *eq = strchr(part, '='), *k;
      const char *vals[64];
      size_t n, i;
      if (eq)
        *eq = '\0';
      k = evhttp_uridecode(part, 1, NULL);
      if (!k || json_object_object_get_ex(q, k, NULL)) {
        free(k);
        continue;
      }
      n = sim_req_query_all(r, k, vals, 64);
      if (n == 1) {
        json_object_object_add(q, k, json_object_new_string(vals[0]));
      } else if (n > 1) {
        struct json_object *a = json_object_new_array();
        for (i = 0; i < n && i < 64; i++)
          json_object_array_add(a, json_object_new_string(vals[i]));
        json_object_object_add(q, k, a);
      }
      free(k);
    }
    free(copy);
  }
  json_object_object_add(o, "query", q);
  h = json_object_new_object();
  for (kv = in->tqh_first; kv; kv = kv->next.tqe_next) {
    /* lower-case names; the last value of a repeated header wins */
    char name[128];
    size_t i;
    for (i = 0; kv->key[i] && i < sizeof(name) - 1; i++)
      name[i] =
          (char)((kv->key[i] >= 'A' && kv->key[i] <= 'Z') ? kv->key[i] + 32
                                                          : kv->key[i]);
    name[i] = '\0';
    json_object_object_add(h, name, json_object_new_string(kv->value));
  }
  json_object_object_add(o, "headers", h);
  body = sim_req_body(r, &len);
  json_object_object_add(o, "body",
                         json_object_new_string_len(body, (int)len));
  json_object_object_add(o, "body_len", json_object_new_int64((int64_t)len));
  {
    struct evhttp_connection *con = evhttp_request_get_connection(ev);
    char *host = NULL;
    ev_uint16_t port = 0;
    if (con)
      evhttp_connection_get_peer(con, &host, &port);
    json_object_object_add(o, "peer_port", json_object_new_int((int)port));
  }
  sim_reply_json(r, 200, o);
}

/* ---- /bytes/N --------------------------------------------------------- */

static size_t fill_pattern(void *buf, size_t cap, uint64_t pos, void *arg)
{
  unsigned char *p = buf;
  unsigned v = (unsigned)(pos % 251);
  size_t i;

  (void)arg;
  for (i = 0; i < cap; i++) {
    p[i] = (unsigned char)v;
    if (++v == 251)
      v = 0;
  }
  return cap;
}

static void h_bytes(sim_req *r, void *arg)
{
  const char *n = sim_req_param(r, 0);
  char *end;
  unsigned long long len;

  (void)arg;
  len = strtoull(n, &end, 10);
  if (*end || n[0] == '-' || len > MAX_BYTES) {
    sim_reply_text(r, 400, "bytes/N: N must be a byte count (max 64 GiB)");
    return;
  }
  sim_reply_stream(r, 200, "application/octet-stream", len, fill_pattern, NULL,
                   NULL);
}

/* ---- /sink ------------------------------------------------------------ */

static void h_sink(sim_req *r, void *arg)
{
  struct evbuffer *in = evhttp_request_get_input_buffer(sim_req_evhttp(r));
  size_t total = evbuffer_get_length(in), i;
  struct evbuffer_ptr ptr;
  struct evbuffer_iovec v[16];
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  char hex[2 * EVP_MAX_MD_SIZE + 1], msg[256];
  size_t done = 0;

  (void)arg;
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
    EVP_MD_CTX_free(ctx);
    sim_reply_text(r, 500, "sim: sha256 unavailable");
    return;
  }
  evbuffer_ptr_set(in, &ptr, 0, EVBUFFER_PTR_SET);
  while (done < total) {
    int n = evbuffer_peek(in, -1, &ptr, v, 16), k;
    if (n <= 0)
      break;
    for (k = 0; k < n && k < 16; k++) {
      EVP_DigestUpdate(ctx, v[k].iov_base, v[k].iov_len);
      done += v[k].iov_len;
    }
    if (done >= total ||
        evbuffer_ptr_set(in, &ptr, done, EVBUFFER_PTR_SET) < 0)
      break;
  }
  EVP_DigestFinal_ex(ctx, md, &mdlen);
  EVP_MD_CTX_free(ctx);
  for (i = 0; i < mdlen; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
  hex[2 * mdlen] = '\0';
  sim_count(sim_req_sim(r), "sink.bytes", (int64_t)done);
  snprintf(msg, sizeof(msg), "{\"bytes\":%llu,\"sha256\":\"%s\"}",
           (unsigned long long)done, hex);
  sim_reply(r, 200, "application/json", msg, strlen(msg));
}

/* ---- /slow/MS ---------------------------------------------------------- */

static void slow_done(sim_req *r, void *arg)
{
  char msg[64];

  snprintf(msg, sizeof(msg), "{\"slept_ms\":%lu}", (unsigned long)arg);
  sim_reply(r, 200, "application/json", msg, strlen(msg));
}

static void h_slow(sim_req *r, void *arg)
{
  const char *n = sim_req_param(r, 0);
  char *end;
  unsigned long ms = strtoul(n, &end, 10);

  (void)arg;
  if (*end || n[0] == '-' || ms > 3600000UL) {
    sim_reply_text(r, 400, "slow/MS: MS must be 0..3600000");
    return;
  }
  if (sim_req_later(r, (unsigned)ms, slow_done, (void *)ms) < 0)
    sim_reply_text(r, 500, "sim: cannot arm a timer");
}

/* ---- /status/CODE --------------------------------------------------------
 */

static void h_status(sim_req *r, void *arg)
{
  const char *n = sim_req_param(r, 0), *ra = sim_req_query(r, "retry_after");
  char *end;
  long code = strtol(n, &end, 10);
  char msg[96];

  (void)arg;
  if (*end || code < 100 || code > 599) {
    sim_reply_text(r, 400, "status/CODE: CODE must be 100..599");
    return;
  }
  if (ra)
    sim_reply_header(r, "Retry-After", ra);
  snprintf(msg, sizeof(msg), "{\"status\":%ld}", code);
  sim_reply(r, (int)code, "application/json", msg, strlen(msg));
}

/* ---- /json ------------------------------------------------------------- */

static void h_json(sim_req *r, void *arg)
{
  generic *g = arg;
  char msg[64];

  g->json_count++;
  sim_count(g->s, "generic.json", 1);
  snprintf(msg, sizeof(msg), "{\"ok\":true,\"n\":%lld}",
           (long long)g->json_count);
  sim_reply(r, 200, "application/json", msg, strlen(msg));
}

/* ---- /redirect?to=URL -----------------------------------------------------
 */

static void h_redirect(sim_req *r, void *arg)
{
  const char *to = sim_req_query(r, "to"), *st = sim_req_query(r, "status");
  int code = st ? atoi(st) : 302;

  (void)arg;
  if (!to || !*to) {
    sim_reply_text(r, 400, "redirect: ?to=URL is required");
    return;
  }
  if (code != 301 && code != 302 && code != 303 && code != 307 && code != 308)
    code = 302;
  sim_reply_header(r, "Location", to);
  sim_reply(r, code, "application/json", "{}", 2);
}

/* ---- /limited/KEY ----------------------------------------------------------
 */

static limit_key *limit_find(generic *g, const char *key, long limit)
{
  limit_key *k;

  for (k = g->keys; k; k = k->next)
    if (strcmp(k->key, key) == 0)
      return k;
  k = calloc(1, sizeof(*k));
  if (!k)
    return NULL;
  k->key = strdup(key);
  k->cap = limit > 0 ? limit : 1;
  k->log = calloc((size_t)k->cap, sizeof(uint64_t));
  if (!k->key || !k->log) {
    free(k->key);
    free(k->log);
    free(k);
    return NULL;
  }
  k->next = g->keys;
  g->keys = k;
  return k;
}

static void h_limited(sim_req *r, void *arg)
{
  generic *g = arg;
  const char *key = sim_req_param(r, 0);
  char cfg[256], name[300], v[32], msg[300];
  long limit, window, remaining;
  uint64_t now = now_ms(), reset_ms;
  int sliding, ok;
  limit_key *k;

  snprintf(cfg, sizeof(cfg), "generic.limit.%.200s", key);
  limit =
      sim_config_long(g->s, cfg, sim_config_long(g->s, "generic.limit", 10));
  window = sim_config_long(g->s, "generic.window_ms", 1000);
  if (limit < 1)
    limit = 1;
  if (limit > 1000000)
    limit = 1000000;
  if (window < 1)
    window = 1;
  sliding = strcmp(sim_config_get(g->s, "generic.limit_mode", "fixed"),
                   "sliding") == 0;
  k = limit_find(g, key, limit);
  if (!k) {
    sim_reply_text(r, 500, "sim: out of memory");
    return;
  }
  if (k->cap != limit) { /* the limit changed: start over */
    uint64_t *nl = calloc((size_t)limit, sizeof(uint64_t));
    if (!nl) {
      sim_reply_text(r, 500, "sim: out of memory");
      return;
    }
    free(k->log);
    k->log = nl;
    k->cap = limit;
    k->head = k->n = 0;
    k->count = 0;
    k->start = 0;
  }
  if (sliding) {
    /* Drop entries older than the window; the oldest kept decides. */
    while (k->n > 0 && k->log[k->head] + (uint64_t)window <= now) {
      k->head = (k->head + 1) % k->cap;
      k->n--;
    }
    ok = k->n < limit;
    if (ok) {
      k->log[(k->head + k->n) % k->cap] = now;
      k->n++;
    }
    remaining = limit - k->n;
    reset_ms = k->n > 0 ? k->log[k->head] + (uint64_t)window - now : 0;
  } else {
    if (k->start == 0 || now >= k->start + (uint64_t)window) {
      k->start = now;
      k->count = 0;
    }
    ok = k->count < limit;
    if (ok)
      k->count++;
    remaining = limit - k->count;
    reset_ms = k->start + (uint64_t)window - now;
  }
  if (strcmp(sim_config_get(g->s, "generic.limit_headers", "on"), "off") !=
      0) {
    snprintf(v, sizeof(v), "%ld", limit);
    sim_reply_header(r, "ratelimit-limit", v);
    snprintf(v, sizeof(v), "%ld", remaining);
    sim_reply_header(r, "ratelimit-remaining", v);
    snprintf(v, sizeof(v), "%llu",
             (unsigned long long)((reset_ms + 999) / 1000));
    sim_reply_header(r, "ratelimit-reset", v);
  }
  snprintf(name, sizeof(name), "limited.%.200s.%s", key, ok ? "ok" : "429");
  sim_count(g->s, name, 1);
  if (!ok) {
    unsigned long long ra = (reset_ms + 999) / 1000;
    snprintf(v, sizeof(v), "%llu", ra ? ra : 1);
    sim_reply_header(r, "Retry-After", v);
    snprintf(msg, sizeof(msg),
             "{\"error\":\"rate limit exceeded\",\"key\":\"%.200s\"}", key);
    sim_reply(r, 429, "application/json", msg, strlen(msg));
    return;
  }
  snprintf(msg, sizeof(msg),
           "{\"ok\":true,\"key\":\"%.200s\",\"remaining\":%ld}", key,
           remaining);
  sim_reply(r, 200, "application/json", msg, strlen(msg));
}

/* ---- attach ------------------------------------------------------------- */

int sim_generic_attach(sim_service *svc)
{
  sim *s = sim_service_sim(svc);
  generic *g = calloc(1, sizeof(*g));

  if (!g)
    return -1;
  g->s = s;
  g->svc = svc;
  if (sim_on_free(s, generic_free, g) < 0) {
    free(g);
    return -1;
  }
  if (sim_on_reset(s, generic_reset, g) < 0 ||
      sim_route(svc, NULL, "/echo", h_echo, g) < 0 ||
      sim_route(svc, NULL, "/echo/**", h_echo, g) < 0 ||
      sim_route(svc, "GET", "/bytes/*", h_bytes, g) < 0 ||
      sim_route(svc, NULL, "/sink", h_sink, g) < 0 ||
      sim_route(svc, "GET", "/slow/*", h_slow, g) < 0 ||
      sim_route(svc, NULL, "/status/*", h_status, g) < 0 ||
      sim_route(svc, "GET", "/json", h_json, g) < 0 ||
      sim_route(svc, "GET", "/redirect", h_redirect, g) < 0 ||
      sim_route(svc, "GET", "/limited/*", h_limited, g) < 0)
    return -1;
  return 0;
}
