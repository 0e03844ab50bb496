/*
 * callmux simulator: the framework (services, router, requests and
 * replies, faults, counters, configuration, the /_sim/ control API, TLS).
 *
 * Request lifetime: every request the router sees gets a sim_req, linked
 * in the sim's list of live requests until its reply is handed to evhttp
 * (or it is dropped).  Each connection carries a close callback; when a
 * client vanishes while a request waits (deferred, delayed, stalled,
 * streaming), evhttp detaches the request from the connection and we free
 * it here, so nothing leaks whatever the client does.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "sim/sim.h"

#define SIM_MAX_CAPS 8
#define SIM_CHUNK (256 * 1024)
#define SIM_NBUCKETS 1024

/* ---- small helpers ------------------------------------------------- */

static char *xstrdup(const char *s)
{
  return s ? strdup(s) : NULL;
}

static uint64_t fnv1a(const char *s)
{
  uint64_t h = 1469598103934665603ULL;

  while (*s) {
    h ^= (unsigned char)*s++;
    h *= 1099511628211ULL;
  }
  return h;
}

static uint64_t prng_next(uint64_t *st)
{
  /* xorshift64*: deterministic for a given seed. */
  uint64_t x = *st;

  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *st = x;
  return x * 2685821657736338717ULL;
}

/* ---- types --------------------------------------------------------- */

typedef struct sim_counter_ent {
  char *name;
  int64_t value;
  struct sim_counter_ent *next;
} sim_counter_ent;

typedef struct sim_kv {
  char *key, *value;
  struct sim_kv *next;
} sim_kv;

typedef struct sim_hook {
  sim_reset_fn fn;
  void *arg;
  struct sim_hook *next;
} sim_hook;

typedef struct sim_pattern {
  char **seg; /* segments; "*" and "**" are wildcards */
  size_t nseg;
} sim_pattern;

typedef struct sim_rt {
  char *method; /* NULL: any */
  char *pattern;
  sim_pattern pat;
  sim_handler fn;
  void *arg;
  sim_counter_ent *count;
  struct sim_rt *next;
} sim_rt;

typedef struct sim_fault_ent {
  char *service, *method, *path, *retry_after;
  sim_pattern pat;
  sim_fault_kind kind;
  int status;
  unsigned delay_ms;
  int left; /* -1: forever */
  unsigned every, percent;
  uint64_t seen, applied, prng;
  struct sim_fault_ent *next;
} sim_fault_ent;

struct sim_service {
  sim *s;
  char *name;
  unsigned port;
  int tls;
  char url[64];
  struct evhttp *http;
  sim_rt *routes, **routes_tail;
  sim_counter_ent *status_count[600];
  sim_counter_ent *unrouted;
  sim_service *next;
};

struct sim {
  struct event_base *base;
  sim_service *services, **services_tail;
  sim_kv *config;
  sim_counter_ent *buckets[SIM_NBUCKETS];
  sim_hook *reset_hooks, **reset_tail;
  sim_hook *free_hooks, **free_tail;
  sim_fault_ent *faults, **faults_tail;
  sim_req *live; /* doubly linked */
  char *tls_dir, *tls_cert, *tls_key;
  SSL_CTX *ssl_ctx;
  int freeing;
};

typedef enum req_state {
  RS_NEW = 0,
  RS_HANDLER,   /* inside the handler */
  RS_DEFERRED,  /* waiting for a sim_reply* call */
  RS_STALLED,   /* never replied */
  RS_STREAMING, /* a streamed body is being sent */
  RS_DROPPING   /* a drop is scheduled */
} req_state;

typedef struct sim_stream {
  uint64_t length, sent, limit;
  sim_fill_fn fill;
  void (*fin)(void *);
  void *arg;
  char *scratch;
  struct evbuffer *buf;
} sim_stream;

struct sim_req {
  sim *s;
  sim_service *svc;
  struct evhttp_request *ev;     /* NULL once the client is gone */
  struct evhttp_connection *con; /* for the close callback */
  char *method_s;
  char *path;
  char *caps[SIM_MAX_CAPS];
  unsigned ncaps;
  char **qkeys, **qvals;
  size_t nq;
  int qparsed;
  char *body;
  size_t body_len;
  int body_done;
  struct json_object *json;
  int json_done;
  req_state state;
  int in_handler; /* a handler is running on it */
  int replied;    /* a reply was given while in the handler */
  int held;       /* sim_req_defer: a handler keeps the pointer */
  int gone;       /* client went away */
  int truncate;   /* cut the reply (fault) */
  sim_rt *route;
  struct event *timer;
  struct event *watch; /* notices a client closing while we wait */
  sim_handler later_fn;
  void *later_arg;
  sim_fault_ent *pending_fault; /* applied after a fault's delay */
  sim_stream *stream;
  sim_req *prev, *next;
};

/* ---- counters ------------------------------------------------------ */

static sim_counter_ent *counter_ent(sim *s, const char *name)
{
  uint64_t h = fnv1a(name) % SIM_NBUCKETS;
  sim_counter_ent *e;

  for (e = s->buckets[h]; e; e = e->next)
    if (strcmp(e->name, name) == 0)
      return e;
  e = calloc(1, sizeof(*e));
  if (!e)
    return NULL;
  e->name = strdup(name);
  if (!e->name) {
    free(e);
    return NULL;
  }
  e->next = s->buckets[h];
  s->buckets[h] = e;
  return e;
}

void sim_count(sim *s, const char *name, int64_t delta)
{
  sim_counter_ent *e = counter_ent(s, name);

  if (e)
    e->value += delta;
}

int64_t sim_counter(sim *s, const char *name)
{
  uint64_t h = fnv1a(name) % SIM_NBUCKETS;
  sim_counter_ent *e;

  for (e = s->buckets[h]; e; e = e->next)
    if (strcmp(e->name, name) == 0)
      return e->value;
  return 0;
}

struct json_object *sim_stats_json(sim *s)
{
  struct json_object *o = json_object_new_object();
  size_t i;
  sim_counter_ent *e;

  if (!o)
    return NULL;
  for (i = 0; i < SIM_NBUCKETS; i++)
    for (e = s->buckets[i]; e; e = e->next)
      json_object_object_add(o, e->name, json_object_new_int64(e->value));
  return o;
}

static void count_status(sim_service *svc, int status)
{
  char name[128];

  if (status < 0 || status >= 600)
    status = 0;
  if (!svc->status_count[status]) {
    snprintf(name, sizeof(name), "%s status %d", svc->name, status);
    svc->status_count[status] = counter_ent(svc->s, name);
  }
  if (svc->status_count[status])
    svc->status_count[status]->value++;
}

/* ---- configuration -------------------------------------------------- */

int sim_config_set(sim *s, const char *key, const char *value)
{
  sim_kv *kv;
  char *v;

  if (!key || !value)
    return -1;
  for (kv = s->config; kv; kv = kv->next)
    if (strcmp(kv->key, key) == 0) {
      v = strdup(value);
      if (!v)
        return -1;
      free(kv->value);
      kv->value = v;
      return 0;
    }
  kv = calloc(1, sizeof(*kv));
  if (!kv)
    return -1;
  kv->key = strdup(key);
  kv->value = strdup(value);
  if (!kv->key || !kv->value) {
    free(kv->key);
    free(kv->value);
    free(kv);
    return -1;
  }
  kv->next = s->config;
  s->config = kv;
  return 0;
}

const char *sim_config_get(sim *s, const char *key, const char *dflt)
{
  sim_kv *kv;

  for (kv = s->config; kv; kv = kv->next)
    if (strcmp(kv->key, key) == 0)
      return kv->value;
  return dflt;
}

long sim_config_long(sim *s, const char *key, long dflt)
{
  const char *v = sim_config_get(s, key, NULL);
  char *end;
  long n;

  if (!v || !*v)
    return dflt;
  errno = 0;
  n = strtol(v, &end, 10);
  if (errno || *end)
    return dflt;
  return n;
}

/* ---- hooks ---------------------------------------------------------- */

static int hook_add(sim_hook ***tail, sim_reset_fn fn, void *arg)
{
  sim_hook *h = calloc(1, sizeof(*h));

  if (!h)
    return -1;
  h->fn = fn;
  h->arg = arg;
  **tail = h;
  *tail = &h->next;
  return 0;
}

int sim_on_reset(sim *s, sim_reset_fn fn, void *arg)
{
  return hook_add(&s->reset_tail, fn, arg);
}

int sim_on_free(sim *s, sim_reset_fn fn, void *arg)
{
  return hook_add(&s->free_tail, fn, arg);
}

void sim_reset(sim *s)
{
  sim_hook *h;
  size_t i;
  sim_counter_ent *e;

  sim_fault_clear(s);
  for (i = 0; i < SIM_NBUCKETS; i++)
    for (e = s->buckets[i]; e; e = e->next)
      e->value = 0;
  for (h = s->reset_hooks; h; h = h->next)
    h->fn(h->arg);
}

/* ---- patterns ------------------------------------------------------- */

static void pattern_free(sim_pattern *p)
{
  size_t i;

  for (i = 0; i < p->nseg; i++)
    free(p->seg[i]);
  free(p->seg);
  p->seg = NULL;
  p->nseg = 0;
}

/* Split a pattern ("/a/b"; segments may be * or a final **). */
static int pattern_parse(sim_pattern *p, const char *pattern)
{
  const char *c, *e;
  size_t n = 1, i = 0;

  memset(p, 0, sizeof(*p));
  if (!pattern || pattern[0] != '/')
    return -1;
  for (c = pattern + 1; *c; c++)
    if (*c == '/')
      n++;
  p->seg = calloc(n, sizeof(char *));
  if (!p->seg)
    return -1;
  c = pattern + 1;
  for (;;) {
    e = strchr(c, '/');
    if (!e)
      e = c + strlen(c);
    p->seg[i] = strndup(c, (size_t)(e - c));
    if (!p->seg[i]) {
      p->nseg = i;
      pattern_free(p);
      return -1;
    }
    if (strcmp(p->seg[i], "**") == 0 && *e) {
      p->nseg = i + 1;
      pattern_free(p);
      return -1; /* ** only last */
    }
    i++;
    if (!*e)
      break;
    c = e + 1;
  }
  p->nseg = i;
  return 0;
}

/*
 * Match `path` (decoded, starting with '/') against `p`.  On success fills
 * caps (malloc'd strings) when caps != NULL and returns the count;
 * -1 when it does not match.
 */
static int pattern_match(const sim_pattern *p, const char *path, char **caps,
                         unsigned maxcaps)
{
  const char *c = path + 1, *e;
  size_t i;
  unsigned nc = 0;

  if (path[0] != '/')
    return -1;
  for (i = 0; i < p->nseg; i++) {
    const char *seg = p->seg[i];
    size_t len;

    if (strcmp(seg, "**") == 0) {
      if (caps && nc < maxcaps) {
        caps[nc] = strdup(c ? c : "");
        if (!caps[nc])
          goto fail;
      }
      nc++;
      return (int)nc;
    }
    if (!c)
      goto fail; /* path ran out */
    e = strchr(c, '/');
    len = e ? (size_t)(e - c) : strlen(c);
    if (strcmp(seg, "*") == 0) {
      if (len == 0)
        goto fail;
      if (caps && nc < maxcaps) {
        caps[nc] = strndup(c, len);
        if (!caps[nc])
          goto fail;
      }
      nc++;
    } else if (strlen(seg) != len || memcmp(seg, c, len) != 0) {
      goto fail;
    }
    c = e ? e + 1 : NULL;
  }
  if (c)
    goto fail; /* path has more segments */
  return (int)nc;
fail:
  if (caps)
    while (nc > 0) {
      nc--;
      if (nc < maxcaps) {
        free(caps[nc]);
        caps[nc] = NULL;
      }
    }
  return -1;
}

/* ---- lifetime ------------------------------------------------------- */

sim *sim_new(struct event_base *base)
{
  sim *s;
  struct sigaction sa;

  if (!base)
    return NULL;
  s = calloc(1, sizeof(*s));
  if (!s)
    return NULL;
  s->base = base;
  s->services_tail = &s->services;
  s->reset_tail = &s->reset_hooks;
  s->free_tail = &s->free_hooks;
  s->faults_tail = &s->faults;
  /* Writing to a socket whose peer vanished must not kill the process. */
  if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
    signal(SIGPIPE, SIG_IGN);
  return s;
}

struct event_base *sim_base(sim *s)
{
  return s->base;
}

static void req_free(sim_req *r);

static void hooks_free(sim_hook *h)
{
  while (h) {
    sim_hook *n = h->next;
    free(h);
    h = n;
  }
}

void sim_free(sim *s)
{
  sim_service *svc;
  sim_hook *h;
  size_t i;

  if (!s)
    return;
  s->freeing = 1;
  for (h = s->free_hooks; h; h = h->next)
    h->fn(h->arg);
  /* Pending requests: evhttp_free below frees the evhttp side of those
   * still on a connection; a detached one is ours to free. */
  while (s->live) {
    sim_req *r = s->live;
    if (r->ev && !evhttp_request_get_connection(r->ev))
      evhttp_request_free(r->ev);
    r->ev = NULL;
    req_free(r);
  }
  svc = s->services;
  while (svc) {
    sim_service *next = svc->next;
    sim_rt *rt = svc->routes;
    if (svc->http)
      evhttp_free(svc->http);
    while (rt) {
      sim_rt *rn = rt->next;
      free(rt->method);
      free(rt->pattern);
      pattern_free(&rt->pat);
      free(rt);
      rt = rn;
    }
    free(svc->name);
    free(svc);
    svc = next;
  }
  sim_fault_clear(s);
  hooks_free(s->reset_hooks);
  hooks_free(s->free_hooks);
  while (s->config) {
    sim_kv *kv = s->config;
    s->config = kv->next;
    free(kv->key);
    free(kv->value);
    free(kv);
  }
  for (i = 0; i < SIM_NBUCKETS; i++) {
    sim_counter_ent *e = s->buckets[i];
    while (e) {
      sim_counter_ent *n = e->next;
      free(e->name);
      free(e);
      e = n;
    }
  }
  if (s->ssl_ctx)
    SSL_CTX_free(s->ssl_ctx);
  free(s->tls_dir);
  free(s->tls_cert);
  free(s->tls_key);
  free(s);
}

/* ---- TLS ------------------------------------------------------------- */

static int run_openssl(const char *cert, const char *key)
{
  pid_t pid;
  int status;

  pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    execlp("openssl", "openssl", "req", "-x509", "-newkey", "rsa:2048",
           "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
           "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out",
           cert, (char *)NULL);
    _exit(127);
  }
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int sim_tls_init(sim *s, const char *dir)
{
  char cert[4096], key[4096];
  SSL_CTX *ctx;

  if (!dir)
    return -1;
  if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
    fprintf(stderr, "sim: cannot make %s: %s\n", dir, strerror(errno));
    return -1;
  }
  snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
  snprintf(key, sizeof(key), "%s/key.pem", dir);
  if (run_openssl(cert, key) < 0) {
    fprintf(stderr, "sim: the openssl command failed to make %s\n", cert);
    return -1;
  }
  ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx)
    return -1;
  if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
    fprintf(stderr, "sim: cannot load %s / %s\n", cert, key);
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return -1;
  }
  if (s->ssl_ctx)
    SSL_CTX_free(s->ssl_ctx);
  s->ssl_ctx = ctx;
  free(s->tls_dir);
  free(s->tls_cert);
  free(s->tls_key);
  s->tls_dir = strdup(dir);
  s->tls_cert = strdup(cert);
  s->tls_key = strdup(key);
  return s->tls_dir && s->tls_cert && s->tls_key ? 0 : -1;
}

const char *sim_tls_ca_file(sim *s)
{
  return s->tls_cert;
}

static struct bufferevent *tls_bevcb(struct event_base *base, void *arg)
{
  sim *s = arg;
  SSL *ssl = SSL_new(s->ssl_ctx);
  struct bufferevent *bev;

  if (!ssl)
    return NULL;
  bev = bufferevent_openssl_socket_new(
      base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
  if (!bev) {
    SSL_free(ssl);
    return NULL;
  }
  bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
  return bev;
}

/* ---- services -------------------------------------------------------- */

static void on_request(struct evhttp_request *ev, void *arg);

sim_service *sim_service_add(sim *s, const char *name, unsigned port, int tls)
{
  sim_service *svc;
  struct evhttp_bound_socket *h;
  struct sockaddr_in sa;
  socklen_t sl = sizeof(sa);
  char cname[160];

  if (!name || !*name || port > 65535 || (tls && !s->ssl_ctx))
    return NULL;
  svc = calloc(1, sizeof(*svc));
  if (!svc)
    return NULL;
  svc->s = s;
  svc->tls = tls ? 1 : 0;
  svc->routes_tail = &svc->routes;
  svc->name = strdup(name);
  svc->http = evhttp_new(s->base);
  if (!svc->name || !svc->http)
    goto fail;
  evhttp_set_allowed_methods(
      svc->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                     EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                     EVHTTP_REQ_PATCH);
  evhttp_set_max_body_size(svc->http, (ev_ssize_t)512 * 1024 * 1024);
  evhttp_set_timeout(svc->http, 600);
  evhttp_set_gencb(svc->http, on_request, svc);
  if (tls)
    evhttp_set_bevcb(svc->http, tls_bevcb, s);
  h = evhttp_bind_socket_with_handle(svc->http, "127.0.0.1",
                                     (ev_uint16_t)port);
  if (!h) {
    fprintf(stderr, "sim: cannot listen on 127.0.0.1:%u for %s\n", port, name);
    goto fail;
  }
  if (getsockname(evhttp_bound_socket_get_fd(h), (struct sockaddr *)&sa, &sl) <
      0)
    goto fail;
  /* libevent listens with a backlog of 128; thousands of clients connect
   * at once in the load tests (Linux takes a second listen() as a new
   * backlog, capped by somaxconn). */
  (void)listen(evhttp_bound_socket_get_fd(h), 4096);
  svc->port = ntohs(sa.sin_port);
  snprintf(svc->url, sizeof(svc->url), "%s://127.0.0.1:%u",
           tls ? "https" : "http", svc->port);
  snprintf(cname, sizeof(cname), "%s unrouted", name);
  svc->unrouted = counter_ent(s, cname);
  *s->services_tail = svc;
  s->services_tail = &svc->next;
  return svc;
fail:
  if (svc->http)
    evhttp_free(svc->http);
  free(svc->name);
  free(svc);
  return NULL;
}

unsigned sim_service_port(const sim_service *svc)
{
  return svc->port;
}

const char *sim_service_url(const sim_service *svc)
{
  return svc->url;
}

const char *sim_service_name(const sim_service *svc)
{
  return svc->name;
}

sim *sim_service_sim(sim_service *svc)
{
  return svc->s;
}

sim_service *sim_find_service(sim *s, const char *name)
{
  sim_service *svc;

  for (svc = s->services; svc; svc = svc->next)
    if (strcmp(svc->name, name) == 0)
      return svc;
  return NULL;
}

/* ---- routes ---------------------------------------------------------- */

int sim_route(sim_service *svc, const char *method, const char *pattern,
              sim_handler fn, void *arg)
{
  sim_rt *rt;
  char name[512];

  if (!svc || !pattern || !fn)
    return -1;
  rt = calloc(1, sizeof(*rt));
  if (!rt)
    return -1;
  if (pattern_parse(&rt->pat, pattern) < 0) {
    fprintf(stderr, "sim: bad route pattern %s\n", pattern);
    free(rt);
    return -1;
  }
  rt->method = xstrdup(method);
  rt->pattern = strdup(pattern);
  rt->fn = fn;
  rt->arg = arg;
  snprintf(name, sizeof(name), "%s %s %s", svc->name, method ? method : "ANY",
           pattern);
  rt->count = counter_ent(svc->s, name);
  if ((method && !rt->method) || !rt->pattern || !rt->count) {
    free(rt->method);
    free(rt->pattern);
    pattern_free(&rt->pat);
    free(rt);
    return -1;
  }
  *svc->routes_tail = rt;
  svc->routes_tail = &rt->next;
  return 0;
}

/* ---- requests -------------------------------------------------------- */

static const char *method_name(enum evhttp_cmd_type t)
{
  switch (t) {
  case EVHTTP_REQ_GET:
    return "GET";
  case EVHTTP_REQ_POST:
    return "POST";
  case EVHTTP_REQ_HEAD:
    return "HEAD";
  case EVHTTP_REQ_PUT:
    return "PUT";
  case EVHTTP_REQ_DELETE:
    return "DELETE";
  case EVHTTP_REQ_OPTIONS:
    return "OPTIONS";
  case EVHTTP_REQ_TRACE:
    return "TRACE";
  case EVHTTP_REQ_CONNECT:
    return "CONNECT";
  case EVHTTP_REQ_PATCH:
    return "PATCH";
  }
  return "UNKNOWN";
}

static void live_unlink(sim_req *r)
{
  if (r->prev)
    r->prev->next = r->next;
  else if (r->s->live == r)
    r->s->live = r->next;
  if (r->next)
    r->next->prev = r->prev;
  r->prev = r->next = NULL;
}

static void req_free(sim_req *r)
{
  size_t i;

  live_unlink(r);
  if (r->timer)
    event_free(r->timer);
  if (r->watch)
    event_free(r->watch);
  if (r->stream) {
    if (r->stream->fin)
      r->stream->fin(r->stream->arg);
    if (r->stream->buf)
      evbuffer_free(r->stream->buf);
    free(r->stream->scratch);
    free(r->stream);
  }
  for (i = 0; i < r->ncaps && i < SIM_MAX_CAPS; i++)
    free(r->caps[i]);
  for (i = 0; i < r->nq; i++) {
    free(r->qkeys[i]);
    free(r->qvals[i]);
  }
  free(r->qkeys);
  free(r->qvals);
  free(r->body);
  if (r->json)
    json_object_put(r->json);
  free(r->method_s);
  free(r->path);
  free(r);
}

/* A connection closed: free or orphan every request still waiting on it. */
static void on_conn_close(struct evhttp_connection *con, void *arg)
{
  sim *s = arg;
  sim_req *r, *next;

  for (r = s->live; r; r = next) {
    next = r->next;
    if (r->con != con)
      continue;
    /* evhttp detached a request whose client vanished (it is ours now);
     * one still attached is freed with the connection. */
    if (r->ev && !evhttp_request_get_connection(r->ev))
      evhttp_request_free(r->ev);
    r->ev = NULL;
    r->con = NULL;
    r->gone = 1;
    if (r->watch) {
      event_free(r->watch);
      r->watch = NULL;
    }
    sim_count(s, "sim.clients_gone", 1);
    if (r->held)
      continue; /* a handler keeps it: its reply frees it */
    req_free(r);
  }
}

/*
 * evhttp does not read from a connection while its request waits for a
 * reply, so it would notice a vanished client only when writing.  A
 * waiting request therefore watches the socket itself, without reading
 * from it: with EV_CLOSED where the backend reports a peer's close (epoll),
 * else with EV_READ and a peek (end of file or an error; bytes from the
 * client, a pipelined request or a TLS alert, end that watch since we
 * never consume them).  A close frees the connection, and so the request
 * through on_conn_close.
 */
static void on_watch(evutil_socket_t fd, short what, void *arg)
{
  sim_req *r = arg;

  if (!(what & EV_CLOSED)) {
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
                            errno == EINTR))) {
      if (n > 0)
        event_del(r->watch);
      return;
    }
  }
  if (r->con)
    evhttp_connection_free(r->con); /* on_conn_close frees r */
}

static void watch_close(sim_req *r)
{
  struct bufferevent *bev;
  evutil_socket_t fd;
  short what = EV_READ;

  if (r->watch || !r->ev || !r->con)
    return;
  bev = evhttp_connection_get_bufferevent(r->con);
  fd = bev ? bufferevent_getfd(bev) : -1;
  if (fd < 0)
    return;
  if (event_base_get_features(r->s->base) & EV_FEATURE_EARLY_CLOSE)
    what = EV_CLOSED;
  r->watch = event_new(r->s->base, fd, what | EV_PERSIST, on_watch, r);
  if (r->watch && event_add(r->watch, NULL) < 0) {
    event_free(r->watch);
    r->watch = NULL;
  }
}

static sim_req *req_new(sim_service *svc, struct evhttp_request *ev)
{
  sim_req *r = calloc(1, sizeof(*r));
  const struct evhttp_uri *uri;
  const char *p;

  if (!r)
    return NULL;
  r->s = svc->s;
  r->svc = svc;
  r->ev = ev;
  r->con = evhttp_request_get_connection(ev);
  r->method_s = strdup(method_name(evhttp_request_get_command(ev)));
  uri = evhttp_request_get_evhttp_uri(ev);
  p = uri ? evhttp_uri_get_path(uri) : NULL;
  r->path = evhttp_uridecode(p && *p ? p : "/", 0, NULL);
  if (!r->method_s || !r->path) {
    free(r->method_s);
    free(r->path);
    free(r);
    return NULL;
  }
  r->next = svc->s->live;
  if (r->next)
    r->next->prev = r;
  svc->s->live = r;
  return r;
}

const char *sim_req_method(const sim_req *r)
{
  return r->method_s;
}

const char *sim_req_path(const sim_req *r)
{
  return r->path;
}

const char *sim_req_param(const sim_req *r, unsigned i)
{
  return i < r->ncaps && i < SIM_MAX_CAPS ? r->caps[i] : NULL;
}

static void query_parse(sim_req *r)
{
  const struct evhttp_uri *uri;
  const char *q, *c;
  size_t n = 1;

  r->qparsed = 1;
  if (!r->ev)
    return;
  uri = evhttp_request_get_evhttp_uri(r->ev);
  q = uri ? evhttp_uri_get_query(uri) : NULL;
  if (!q || !*q)
    return;
  for (c = q; *c; c++)
    if (*c == '&')
      n++;
  r->qkeys = calloc(n, sizeof(char *));
  r->qvals = calloc(n, sizeof(char *));
  if (!r->qkeys || !r->qvals)
    return;
  c = q;
  while (*c) {
    const char *amp = strchr(c, '&'), *eq;
    size_t len = amp ? (size_t)(amp - c) : strlen(c);
    char *part = strndup(c, len), *k, *v;

    if (!part)
      return;
    eq = strchr(part, '=');
    if (len > 0) {
      if (eq)
        part[eq - part] = '\0';
      k = evhttp_uridecode(part, 1, NULL);
      v = evhttp_uridecode(eq ? part + (eq - part) + 1 : "", 1, NULL);
      if (k && v) {
        r->qkeys[r->nq] = k;
        r->qvals[r->nq] = v;
        r->nq++;
      } else {
        free(k);
        free(v);
      }
    }
    free(part);
    if (!amp)
      break;
    c = amp + 1;
  }
}

const char *sim_req_query(const sim_req *r, const char *key)
{
  size_t i;

  if (!r->qparsed)
    query_parse((sim_req *)r);
  for (i = 0; i < r->nq; i++)
    if (strcmp(r->qkeys[i], key) == 0)
      return r->qvals[i];
  return NULL;
}

size_t sim_req_query_all(const sim_req *r, const char *key, const char **out,
                         size_t max)
{
  size_t i, n = 0;

  if (!r->qparsed)
    query_parse((sim_req *)r);
  for (i = 0; i < r->nq; i++)
    if (strcmp(r->qkeys[i], key) == 0) {
      if (n < max && out)
        out[n] = r->qvals[i];
      n++;
    }
  return n;
}

const char *sim_req_header(const sim_req *r, const char *name)
{
  if (!r->ev)
    return NULL;
  return evhttp_find_header(evhttp_request_get_input_headers(r->ev), name);
}

const char *sim_req_body(const sim_req *r, size_t *len)
{
  sim_req *w = (sim_req *)r;

  if (!w->body_done && w->ev) {
    struct evbuffer *in = evhttp_request_get_input_buffer(w->ev);
    size_t n = evbuffer_get_length(in);

    w->body_done = 1;
    w->body = malloc(n + 1);
    if (w->body) {
      evbuffer_copyout(in, w->body, n);
      w->body[n] = '\0';
      w->body_len = n;
    }
  }
  if (len)
    *len = w->body ? w->body_len : 0;
  return w->body ? w->body : "";
}

struct json_object *sim_req_json(sim_req *r)
{
  if (!r->json_done) {
    size_t len;
    const char *b = sim_req_body(r, &len);
    struct json_tokener *tok;

    r->json_done = 1;
    if (len == 0)
      return NULL;
    tok = json_tokener_new();
    if (!tok)
      return NULL;
    r->json = json_tokener_parse_ex(tok, b, (int)len);
    if (r->json && json_tokener_get_error(tok) != json_tokener_success) {
      json_object_put(r->json);
      r->json = NULL;
    }
    /* Trailing garbage after the value makes it not JSON either. */
    if (r->json) {
      size_t off = json_tokener_get_parse_end(tok);
      while (off < len && strchr(" \t\r\n", b[off]))
        off++;
      if (off != len) {
        json_object_put(r->json);
        r->json = NULL;
      }
    }
    json_tokener_free(tok);
  }
  return r->json;
}

sim_service *sim_req_service(sim_req *r)
{
  return r->svc;
}

sim *sim_req_sim(sim_req *r)
{
  return r->s;
}

struct evhttp_request *sim_req_evhttp(sim_req *r)
{
  return r->ev;
}

int sim_req_gone(const sim_req *r)
{
  return r->gone;
}

/* ---- replies --------------------------------------------------------- */

/* The reply is handed over: free now, or when the handler returns. */
static void req_finish(sim_req *r)
{
  if (r->in_handler) {
    r->replied = 1;
    return;
  }
  req_free(r);
}

void sim_reply_header(sim_req *r, const char *name, const char *value)
{
  if (r->ev && name && value)
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), name, value);
}

static void on_timer(evutil_socket_t fd, short what, void *arg);

static int arm_timer(sim_req *r, unsigned ms)
{
  struct timeval tv;

  if (!r->timer) {
    r->timer = evtimer_new(r->s->base, on_timer, r);
    if (!r->timer)
      return -1;
  }
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return evtimer_add(r->timer, &tv);
}

/* Close the connection without (more of) a reply. */
static void do_drop(sim_req *r)
{
  struct evhttp_connection *con = r->ev ? r->con : NULL;

  live_unlink(r);
  r->ev = NULL;
  req_free(r);
  if (con)
    evhttp_connection_free(con); /* frees the request still on it */
}

static void schedule_drop(sim_req *r)
{
  r->state = RS_DROPPING;
  r->held = 0;
  r->later_fn = NULL;
  if (arm_timer(r, 0) < 0) {
    if (r->in_handler)
      r->replied = 1; /* freed when the handler returns; no drop */
    else
      do_drop(r);
  }
}

static void stream_push(sim_req *r);

static void on_chunk_sent(struct evhttp_connection *con, void *arg)
{
  stream_push(arg);
}

static void stream_push(sim_req *r)
{
  sim_stream *st = r->stream;
  size_t n, want;

  if (!r->ev)
    return;
  if (st->sent >= st->limit) {
    if (st->limit < st->length) {
      schedule_drop(r);
      return;
    }
    evhttp_send_reply_end(r->ev);
    r->ev = NULL;
    req_finish(r);
    return;
  }
  want = st->limit - st->sent > SIM_CHUNK ? SIM_CHUNK
                                          : (size_t)(st->limit - st->sent);
  n = st->fill(st->scratch, want, st->sent, st->arg);
  if (n == 0 || n > want) {
    schedule_drop(r); /* the body ended early */
    return;
  }
  st->sent += n;
  evbuffer_add(st->buf, st->scratch, n);
  evhttp_send_reply_chunk_with_cb(r->ev, st->buf, on_chunk_sent, r);
}

void sim_reply_stream(sim_req *r, int status, const char *content_type,
                      uint64_t length, sim_fill_fn fill,
                      void (*fin)(void *arg), void *arg)
{
  sim_stream *st;
  char cl[32];

  if (!r->ev || r->stream) {
    if (fin)
      fin(arg);
    if (!r->ev)
      req_finish(r);
    return;
  }
  st = calloc(1, sizeof(*st));
  if (st) {
    st->scratch = malloc(SIM_CHUNK);
    st->buf = evbuffer_new();
  }
  if (!st || !st->scratch || !st->buf) {
    if (st) {
      free(st->scratch);
      if (st->buf)
        evbuffer_free(st->buf);
      free(st);
    }
    if (fin)
      fin(arg);
    sim_reply_text(r, 500, "sim: out of memory");
    return;
  }
  st->length = length;
  st->limit = r->truncate ? length / 2 : length;
  st->fill = fill;
  st->fin = fin;
  st->arg = arg;
  r->stream = st;
  count_status(r->svc, status);
  sim_reply_header(r, "Content-Type",
                   content_type ? content_type : "application/octet-stream");
  snprintf(cl, sizeof(cl), "%llu", (unsigned long long)length);
  evhttp_remove_header(evhttp_request_get_output_headers(r->ev),
                       "Content-Length");
  sim_reply_header(r, "Content-Length", cl);
  evhttp_send_reply_start(r->ev, status, NULL);
  r->state = RS_STREAMING;
  r->held = 0;
  if (length == 0 || !strcmp(r->method_s, "HEAD") || status < 200 ||
      status == 204 || status == 304) {
    st->limit = 0;
    st->length = 0;
  }
  stream_push(r);
}

static size_t fill_mem(void *buf, size_t cap, uint64_t pos, void *arg)
{
  memcpy(buf, (const char *)arg + pos, cap);
  return cap;
}

static void free_mem(void *arg)
{
  free(arg);
}

void sim_reply(sim_req *r, int status, const char *content_type,
               const void *body, size_t len)
{
  struct evbuffer *out;

  if (!r->ev) {
    req_finish(r);
    return;
  }
  if (r->truncate) {
    /* Declare the whole length, send half, close. */
    char *copy;
    static const char pad[] = "{\"sim\":\"truncated reply padding\"}";
    if (len < 2) {
      body = pad;
      len = sizeof(pad) - 1;
    }
    copy = malloc(len);
    if (copy) {
      memcpy(copy, body, len);
      sim_count(r->s, "sim.truncated", 1);
      sim_reply_stream(r, status, content_type, len, fill_mem, free_mem, copy);
      return;
    }
  }
  if (content_type)
    sim_reply_header(r, "Content-Type", content_type);
  out = evhttp_request_get_output_buffer(r->ev);
  if (len)
    evbuffer_add(out, body, len);
  count_status(r->svc, status);
  evhttp_send_reply(r->ev, status, NULL, NULL);
  r->ev = NULL;
  req_finish(r);
}

void sim_reply_json(sim_req *r, int status, struct json_object *obj)
{
  const char *txt;
  size_t len;

  if (!obj) {
    sim_reply_text(r, 500, "sim: out of memory");
    return;
  }
  txt = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len);
  sim_reply(r, status, "application/json", txt, len);
  json_object_put(obj);
}

void sim_reply_text(sim_req *r, int status, const char *text)
{
  sim_reply(r, status, "text/plain", text, text ? strlen(text) : 0);
}

void sim_req_defer(sim_req *r)
{
  if (r->state == RS_HANDLER || r->state == RS_NEW ||
      r->state == RS_DEFERRED) {
    r->state = RS_DEFERRED;
    r->held = 1;
  }
}

int sim_req_later(sim_req *r, unsigned ms, sim_handler fn, void *arg)
{
  if (!fn || (r->timer && evtimer_pending(r->timer, NULL)))
    return -1;
  r->later_fn = fn;
  r->later_arg = arg;
  r->pending_fault = NULL;
  if (r->state == RS_HANDLER || r->state == RS_NEW)
    r->state = RS_DEFERRED;
  return arm_timer(r, ms);
}

/* ---- faults ---------------------------------------------------------- */

static const char *const fault_names[] = {
    NULL, "status", "drop", "delay", "stall", "truncate", "badjson"};

sim_fault_kind sim_fault_kind_from_name(const char *name)
{
  int i;

  if (!name)
    return (sim_fault_kind)0;
  for (i = 1; i <= SIM_FAULT_BADJSON; i++)
    if (strcasecmp(name, fault_names[i]) == 0)
      return (sim_fault_kind)i;
  return (sim_fault_kind)0;
}

static void fault_ent_free(sim_fault_ent *f)
{
  free(f->service);
  free(f->method);
  free(f->path);
  free(f->retry_after);
  pattern_free(&f->pat);
  free(f);
}

int sim_fault_add(sim *s, const sim_fault *f)
{
  sim_fault_ent *e;

  if (!f || f->kind < SIM_FAULT_STATUS || f->kind > SIM_FAULT_BADJSON)
    return -1;
  if (f->kind == SIM_FAULT_STATUS && (f->status < 100 || f->status > 599))
    return -1;
  e = calloc(1, sizeof(*e));
  if (!e)
    return -1;
  if (f->path && pattern_parse(&e->pat, f->path) < 0) {
    free(e);
    return -1;
  }
  e->service = xstrdup(f->service);
  e->method = xstrdup(f->method);
  e->path = xstrdup(f->path);
  e->retry_after = xstrdup(f->retry_after);
  if ((f->service && !e->service) || (f->method && !e->method) ||
      (f->path && !e->path) || (f->retry_after && !e->retry_after)) {
    fault_ent_free(e);
    return -1;
  }
  e->kind = f->kind;
  e->status = f->status;
  e->delay_ms = f->delay_ms;
  e->left = f->count > 0 ? f->count : -1;
  e->every = f->every;
  e->percent = f->percent;
  {
    /* Seeded by the fault's place in the list and "sim.seed": the same
     * faults added after a reset fire on the same requests. */
    uint64_t idx = 1;
    sim_fault_ent *o;
    for (o = s->faults; o; o = o->next)
      idx++;
    e->prng = 0x9E3779B97F4A7C15ULL * idx ^
              (uint64_t)sim_config_long(s, "sim.seed", 1);
  }
  if (!e->prng)
    e->prng = 1;
  *s->faults_tail = e;
  s->faults_tail = &e->next;
  return 0;
}

void sim_fault_clear(sim *s)
{
  sim_fault_ent *f = s->faults;

  while (f) {
    sim_fault_ent *n = f->next;
    /* A request may still wait on a fault's delay: forget the link. */
    sim_req *r;
    for (r = s->live; r; r = r->next)
      if (r->pending_fault == f)
        r->pending_fault = NULL;
    fault_ent_free(f);
    f = n;
  }
  s->faults = NULL;
  s->faults_tail = &s->faults;
}

static sim_fault_ent *fault_pick(sim *s, sim_req *r)
{
  sim_fault_ent *f;

  for (f = s->faults; f; f = f->next) {
    int fire;

    if (f->left == 0)
      continue;
    if (f->service && strcmp(f->service, r->svc->name) != 0)
      continue;
    if (f->method && strcasecmp(f->method, r->method_s) != 0)
      continue;
    if (f->path && pattern_match(&f->pat, r->path, NULL, 0) < 0)
      continue;
    f->seen++;
    if (f->every > 1)
      fire = f->seen % f->every == 0;
    else if (f->percent > 0 && f->percent < 100)
      fire = prng_next(&f->prng) % 100 < f->percent;
    else
      fire = 1;
    if (!fire)
      continue;
    if (f->left > 0)
      f->left--;
    f->applied++;
    return f;
  }
  return NULL;
}

/* ---- the router -------------------------------------------------------- */

static void control(sim_req *r);

/* Run a handler; afterwards the request is freed (replied), waiting
 * (deferred, streaming, dropping) or answered 500 (the handler forgot). */
static void call_handler(sim_req *r, sim_handler fn, void *arg)
{
  r->state = RS_HANDLER;
  r->replied = 0;
  r->in_handler = 1;
  fn(r, arg);
  r->in_handler = 0;
  if (r->replied) {
    req_free(r);
    return;
  }
  if (r->state == RS_HANDLER) {
    char msg[300];
    snprintf(msg, sizeof(msg), "sim: handler for %s %.200s did not reply",
             r->method_s, r->path);
    r->state = RS_NEW;
    sim_reply_text(r, 500, msg);
    return;
  }
  if (r->state == RS_DEFERRED)
    watch_close(r);
}

static void run_handler(sim_req *r)
{
  if (!r->ev) {
    req_free(r);
    return;
  }
  if (!r->route) {
    char msg[300];
    if (r->svc->unrouted)
      r->svc->unrouted->value++;
    snprintf(msg, sizeof(msg), "no route for %s %.200s", r->method_s, r->path);
    sim_reply_text(r, 404, msg);
    return;
  }
  call_handler(r, r->route->fn, r->route->arg);
}

static void apply_fault(sim_req *r, sim_fault_ent *f)
{
  char name[128];

  sim_count(r->s, "faults.applied", 1);
  snprintf(name, sizeof(name), "%s fault %s", r->svc->name,
           fault_names[f->kind]);
  sim_count(r->s, name, 1);
  switch (f->kind) {
  case SIM_FAULT_STATUS: {
    char body[96];
    if (f->retry_after)
      sim_reply_header(r, "Retry-After", f->retry_after);
    snprintf(body, sizeof(body),
             "{\"error\":\"sim: injected fault\",\"status\":%d}", f->status);
    sim_reply(r, f->status, "application/json", body, strlen(body));
    return;
  }
  case SIM_FAULT_DROP:
    schedule_drop(r);
    return;
  case SIM_FAULT_DELAY:
    run_handler(r);
    return;
  case SIM_FAULT_STALL:
    r->state = RS_STALLED;
    watch_close(r);
    return;
  case SIM_FAULT_TRUNCATE:
    r->truncate = 1;
    run_handler(r);
    return;
  case SIM_FAULT_BADJSON: {
    static const char bad[] = "{\"ok\": true, \"items\": [1, 2, <html>";
    sim_reply(r, 200, "application/json", bad, sizeof(bad) - 1);
    return;
  }
  }
  run_handler(r);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
  sim_req *r = arg;

  if (r->state == RS_DROPPING) {
    do_drop(r);
    return;
  }
  if (r->later_fn) {
    /* (a gone request gets here only when a handler holds it) */
    sim_handler fn = r->later_fn;
    r->later_fn = NULL;
    call_handler(r, fn, r->later_arg);
    return;
  }
  if (!r->ev) {
    if (!r->held)
      req_free(r);
    return;
  }
  if (r->pending_fault) {
    sim_fault_ent *f = r->pending_fault;
    r->pending_fault = NULL;
    r->state = RS_NEW;
    apply_fault(r, f);
    return;
  }
  /* The fault went away (cleared) while we waited: just run it. */
  r->state = RS_NEW;
  run_handler(r);
}

static void on_request(struct evhttp_request *ev, void *arg)
{
  sim_service *svc = arg;
  sim *s = svc->s;
  sim_req *r;
  sim_rt *rt;
  sim_fault_ent *f;

  r = req_new(svc, ev);
  if (!r) {
    evhttp_send_error(ev, 500, "sim: out of memory");
    return;
  }
  if (r->con)
    evhttp_connection_set_closecb(r->con, on_conn_close, s);
  if (strncmp(r->path, "/_sim/", 6) == 0) {
    control(r);
    return;
  }
  for (rt = svc->routes; rt; rt = rt->next) {
    int n;
    if (rt->method && strcmp(rt->method, r->method_s) != 0 &&
        !(strcmp(rt->method, "GET") == 0 && strcmp(r->method_s, "HEAD") == 0))
      continue;
    n = pattern_match(&rt->pat, r->path, r->caps, SIM_MAX_CAPS);
    if (n >= 0) {
      r->ncaps = (unsigned)n;
      r->route = rt;
      rt->count->value++;
      break;
    }
  }
  f = fault_pick(s, r);
  if (!f) {
    run_handler(r);
    return;
  }
  if (f->delay_ms > 0) {
    r->pending_fault = f->kind == SIM_FAULT_DELAY ? NULL : f;
    r->state = RS_DEFERRED;
    if (f->kind == SIM_FAULT_DELAY) {
      char name[128];
      sim_count(s, "faults.applied", 1);
      snprintf(name, sizeof(name), "%s fault delay", svc->name);
      sim_count(s, name, 1);
    }
    if (arm_timer(r, f->delay_ms) == 0) {
      watch_close(r);
      return;
    }
    r->state = RS_NEW;
    r->pending_fault = NULL;
  }
  apply_fault(r, f);
}

/* ---- the control API ---------------------------------------------------- */

static const char *json_str(struct json_object *o, const char *key)
{
  struct json_object *v;

  if (!o || !json_object_object_get_ex(o, key, &v) || !v)
    return NULL;
  if (json_object_is_type(v, json_type_null))
    return NULL;
  return json_object_get_string(v);
}

static int json_int(struct json_object *o, const char *key, int dflt)
{
  struct json_object *v;

  if (!o || !json_object_object_get_ex(o, key, &v) || !v)
    return dflt;
  return json_object_get_int(v);
}

static void reply_error(sim_req *r, int status, const char *msg)
{
  struct json_object *o = json_object_new_object();

  json_object_object_add(o, "error", json_object_new_string(msg));
  sim_reply_json(r, status, o);
}

static void reply_ok(sim_req *r)
{
  static const char ok[] = "{\"ok\":true}";
  sim_reply(r, 200, "application/json", ok, sizeof(ok) - 1);
}

static void control_faults_add(sim_req *r)
{
  struct json_object *o = sim_req_json(r), *v;
  sim_fault f;
  const char *kind;

  if (!o || !json_object_is_type(o, json_type_object)) {
    reply_error(r, 400, "body must be a JSON object");
    return;
  }
  memset(&f, 0, sizeof(f));
  f.service = json_str(o, "service");
  f.method = json_str(o, "method");
  f.path = json_str(o, "path");
  kind = json_str(o, "kind");
  f.kind = sim_fault_kind_from_name(kind);
  if (!f.kind) {
    reply_error(r, 400,
                "kind must be one of status, drop, delay, stall, "
                "truncate, badjson");
    return;
  }
  f.status = json_int(o, "status", f.kind == SIM_FAULT_STATUS ? 503 : 0);
  if (json_object_object_get_ex(o, "retry_after", &v) && v &&
      !json_object_is_type(v, json_type_null))
    f.retry_after = json_object_get_string(v);
  f.delay_ms = (unsigned)json_int(o, "delay_ms", 0);
  f.count = json_int(o, "count", -1);
  f.every = (unsigned)json_int(o, "every", 0);
  f.percent = (unsigned)json_int(o, "percent", 0);
  if (f.kind == SIM_FAULT_DELAY && f.delay_ms == 0)
    f.delay_ms = 1000;
  if (sim_fault_add(r->s, &f) < 0) {
    reply_error(r, 400, "bad fault (status 100..599, path a route pattern)");
    return;
  }
  reply_ok(r);
}

static void control(sim_req *r)
{
  const char *p = r->path + 6;
  const char *m = r->method_s;

  if (strcmp(p, "reset") == 0 && strcmp(m, "POST") == 0) {
    sim_reset(r->s);
    reply_ok(r);
  } else if (strcmp(p, "faults") == 0 && strcmp(m, "POST") == 0) {
    control_faults_add(r);
  } else if (strcmp(p, "faults") == 0 && strcmp(m, "DELETE") == 0) {
    sim_fault_clear(r->s);
    reply_ok(r);
  } else if (strcmp(p, "faults") == 0 && strcmp(m, "GET") == 0) {
    struct json_object *a = json_object_new_array();
    sim_fault_ent *f;
    for (f = r->s->faults; f; f = f->next) {
      struct json_object *o = json_object_new_object();
      if (f->service)
        json_object_object_add(o, "service",
                               json_object_new_string(f->service));
      if (f->method)
        json_object_object_add(o, "method", json_object_new_string(f->method));
      if (f->path)
        json_object_object_add(o, "path", json_object_new_string(f->path));
      json_object_object_add(o, "kind",
                             json_object_new_string(fault_names[f->kind]));
      json_object_object_add(o, "status", json_object_new_int(f->status));
      json_object_object_add(o, "left", json_object_new_int(f->left));
      json_object_object_add(o, "seen",
                             json_object_new_int64((int64_t)f->seen));
      json_object_object_add(o, "applied",
                             json_object_new_int64((int64_t)f->applied));
      json_object_array_add(a, o);
    }
    sim_reply_json(r, 200, a);
  } else if (strcmp(p, "stats") == 0 && strcmp(m, "GET") == 0) {
    sim_reply_json(r, 200, sim_stats_json(r->s));
  } else if (strcmp(p, "config") == 0 && strcmp(m, "GET") == 0) {
    const char *k = sim_req_query(r, "key");
    if (k) {
      const char *v = sim_config_get(r->s, k, NULL);
      struct json_object *o = json_object_new_object();
      json_object_object_add(o, "key", json_object_new_string(k));
      json_object_object_add(o, "value", v ? json_object_new_string(v) : NULL);
      sim_reply_json(r, v ? 200 : 404, o);
    } else {
      struct json_object *o = json_object_new_object();
      sim_kv *kv;
      for (kv = r->s->config; kv; kv = kv->next)
        json_object_object_add(o, kv->key, json_object_new_string(kv->value));
      sim_reply_json(r, 200, o);
    }
  } else if (strcmp(p, "config") == 0 && strcmp(m, "POST") == 0) {
    struct json_object *o = sim_req_json(r);
    const char *k = json_str(o, "key"), *v = json_str(o, "value");
    if (!k || !v) {
      reply_error(r, 400, "body must be {\"key\":\"...\",\"value\":\"...\"}");
      return;
    }
    if (sim_config_set(r->s, k, v) < 0)
      reply_error(r, 500, "sim: out of memory");
    else
      reply_ok(r);
  } else {
    reply_error(r, 404, "unknown /_sim/ call");
  }
}
