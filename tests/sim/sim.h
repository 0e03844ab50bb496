/*
 * callmux simulator: the framework.
 *
 * A local stand-in for the services callmux talks to, on libevent's evhttp.
 * One `sim` owns any number of services, each listening on its own
 * 127.0.0.1 port (0 = ephemeral).  Tests run it in-process on their own
 * event_base; `callmux-sim` runs it standalone.
 *
 * Routing: sim_route() patterns are absolute paths whose segments may be
 * `*` (matches exactly one segment, captured) or a final `**` (matches the
 * rest, captured, possibly empty).  The first route added that matches wins.
 * A path that matches no route gets 404 with a plain-text body.
 *
 * Faults (set by sim_fault_add() or POST /_sim/faults on any service) are
 * applied by the router before/around the handler; every service also
 * serves the control API:
 *   POST /_sim/reset                 every service's state and counters
 *   POST /_sim/faults  {"service":"kentik","method":"POST",
 *                       "path":"/api/v5/batch","kind":"status",
 *                       "status":503,"retry_after":"1","delay_ms":0,
 *                       "count":-1,"every":1,"percent":0}
 *   DELETE /_sim/faults               remove all faults
 *   GET  /_sim/stats                  counters as JSON
 *   GET  /_sim/config?key=K / POST /_sim/config {"key":"...","value":"..."}
 */
#ifndef CMX_SIM_H
#define CMX_SIM_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct json_object;
struct evhttp_request;

typedef struct sim sim;
typedef struct sim_service sim_service;
typedef struct sim_req sim_req;

/* ---- lifetime ---------------------------------------------------- */

/** A simulator on `base` (not owned). NULL on failure. */
sim *sim_new(struct event_base *base);
void sim_free(sim *s);
struct event_base *sim_base(sim *s);

/**
 * Make a self-signed certificate for 127.0.0.1/localhost with the openssl
 * command into `dir` (cert.pem, key.pem) and use it for services added
 * with tls=1 afterwards.  Returns 0, or -1 with a message on stderr.
 */
int sim_tls_init(sim *s, const char *dir);
/** Path of the CA/cert file made by sim_tls_init (for cmx_options). */
const char *sim_tls_ca_file(sim *s);

/**
 * A service listening on 127.0.0.1:`port` (0 = ephemeral), plain HTTP or
 * (tls=1) HTTPS.  `name` appears in stats and faults ("kentik").
 */
sim_service *sim_service_add(sim *s, const char *name, unsigned port,
                             int tls);
unsigned sim_service_port(const sim_service *svc);
/** "http://127.0.0.1:PORT" (or https://); owned by the service. */
const char *sim_service_url(const sim_service *svc);
const char *sim_service_name(const sim_service *svc);
sim *sim_service_sim(sim_service *svc);
sim_service *sim_find_service(sim *s, const char *name);

/* ---- configuration (string key/values, from code, CLI or /_sim/) -- */

int sim_config_set(sim *s, const char *key, const char *value);
/** Value or `dflt`. */
const char *sim_config_get(sim *s, const char *key, const char *dflt);
long sim_config_long(sim *s, const char *key, long dflt);

/** Called on /_sim/reset (and sim_reset) so a service clears its state.
 *  A reset also removes every fault and zeroes every counter; the
 *  configuration stays. */
typedef void (*sim_reset_fn)(void *arg);
int sim_on_reset(sim *s, sim_reset_fn fn, void *arg);
void sim_reset(sim *s);
/**
 * Called once by sim_free (in the order added, before any request or
 * service is freed) so a service frees its state (`arg` itself too).  A
 * service that holds deferred requests may reply to them here or simply
 * forget them: sim_free frees whatever request is still pending.
 */
int sim_on_free(sim *s, sim_reset_fn fn, void *arg);

/* ---- counters ---------------------------------------------------- */

/** Add `delta` to the named counter ("kentik.parts_applied"). */
void sim_count(sim *s, const char *name, int64_t delta);
int64_t sim_counter(sim *s, const char *name);
/** Every counter (and per-route request/status counts) as JSON; caller
 *  puts the reference. Route counters are named
 *  "<service> <METHOD> <pattern>" and "<service> status <code>". */
struct json_object *sim_stats_json(sim *s);

/* ---- routes ------------------------------------------------------ */

typedef void (*sim_handler)(sim_req *r, void *arg);
/** `method` NULL matches any method; a "GET" route also matches HEAD
 *  (evhttp sends the headers only).  Returns -1 for a bad pattern. */
int sim_route(sim_service *svc, const char *method, const char *pattern,
              sim_handler fn, void *arg);

/* ---- the request ------------------------------------------------- */

const char *sim_req_method(const sim_req *r);
/** Decoded path without the query. */
const char *sim_req_path(const sim_req *r);
/** The i-th capture of the route's `*` / `**` segments, or NULL. */
const char *sim_req_param(const sim_req *r, unsigned i);
/** First value of a query key, decoded, or NULL. */
const char *sim_req_query(const sim_req *r, const char *key);
/** Every value of a repeated query key; returns the count, fills up to
 *  `max` pointers (owned by the request). */
size_t sim_req_query_all(const sim_req *r, const char *key,
                         const char **out, size_t max);
const char *sim_req_header(const sim_req *r, const char *name);
const char *sim_req_body(const sim_req *r, size_t *len);
/** Body parsed as JSON (borrowed), NULL if not JSON. */
struct json_object *sim_req_json(sim_req *r);
sim_service *sim_req_service(sim_req *r);
sim *sim_req_sim(sim_req *r);
struct evhttp_request *sim_req_evhttp(sim_req *r);

/* ---- replies (exactly one per request) -------------------------- */

void sim_reply_header(sim_req *r, const char *name, const char *value);
void sim_reply(sim_req *r, int status, const char *content_type,
               const void *body, size_t len);
/** Serialises `obj` and puts the reference. */
void sim_reply_json(sim_req *r, int status, struct json_object *obj);
void sim_reply_text(sim_req *r, int status, const char *text);
/**
 * Hold the reply: the handler returns without replying and calls a
 * sim_reply* function later (from the loop).  The request stays valid
 * until then.  If the client goes away meanwhile, the request stays valid
 * (sim_req_gone() says so) and the later reply is simply discarded.
 */
void sim_req_defer(sim_req *r);
/** 1 when the client closed the connection of a deferred request. */
int sim_req_gone(const sim_req *r);
/**
 * Defer `r` and run `fn(r, arg)` from the loop after `ms` milliseconds
 * (0: next loop turn).  The handler then replies as usual.  The timer is
 * the request's own: it is dropped if the request is freed (client gone
 * with no pending reply, or sim_free).  One pending timer per request.
 */
int sim_req_later(sim_req *r, unsigned ms, sim_handler fn, void *arg);

/**
 * Stream a reply of exactly `length` bytes (sent with a Content-Length):
 * `fill(buf, cap, pos, arg)` is called whenever the socket drained and
 * must write up to `cap` bytes (the body's bytes at offset `pos`) and
 * return how many (0 ends the body early: the connection is then closed).
 * The body never sits whole in memory.  `fin(arg)`, if not NULL, runs
 * exactly once when the stream ends (done, client gone, or sim_free).
 */
typedef size_t (*sim_fill_fn)(void *buf, size_t cap, uint64_t pos,
                              void *arg);
void sim_reply_stream(sim_req *r, int status, const char *content_type,
                      uint64_t length, sim_fill_fn fill,
                      void (*fin)(void *arg), void *arg);

/* ---- faults ------------------------------------------------------ */

typedef enum sim_fault_kind {
  SIM_FAULT_STATUS = 1, /* reply `status` (with Retry-After if set) */
  SIM_FAULT_DROP,       /* close the connection without a reply */
  SIM_FAULT_DELAY,      /* run the handler after delay_ms */
  SIM_FAULT_STALL,      /* never reply (until the client gives up) */
  SIM_FAULT_TRUNCATE,   /* reply with a body cut in half (bad length) */
  SIM_FAULT_BADJSON     /* reply 200 with a body that is not JSON */
} sim_fault_kind;

typedef struct sim_fault {
  const char *service; /* NULL: any */
  const char *method;  /* NULL: any */
  const char *path;    /* route-style pattern, NULL: any */
  sim_fault_kind kind;
  int status;
  const char *retry_after; /* header value, NULL: none */
  unsigned delay_ms;
  int count;       /* apply this many times, -1 (or 0): forever */
  unsigned every;  /* apply to every n-th matching request (0/1: all) */
  unsigned percent; /* or to this share, pseudo-random but seeded */
} sim_fault;

/*
 * A fault applies to requests of its service/method/path (never to
 * /_sim/), in the order faults were added: the first one that matches and
 * fires wins.  STATUS/DROP/STALL/BADJSON replace the handler (it does not
 * run); DELAY runs it late; TRUNCATE runs it and cuts its reply (declares
 * the full Content-Length, sends half, closes).  delay_ms > 0 with any
 * other kind waits first.  Counters "faults.applied" and
 * "<service> fault <kind>" (kind: status, drop, delay, stall, truncate,
 * badjson) count the applications.
 */
int sim_fault_add(sim *s, const sim_fault *f);
/** Kind from its name ("status", "drop", ...), 0 if unknown. */
sim_fault_kind sim_fault_kind_from_name(const char *name);
void sim_fault_clear(sim *s);

/* ---- generic routes for engine tests ---------------------------- */

/**
 * Adds to `svc` (a GET route also answers HEAD):
 *   ANY  /echo, /echo/...  JSON {method, path, query{} (a repeated key
 *                       gives an array), headers{} (lower-case names),
 *                       body, body_len} of what was received, and
 *                       peer_port (the client's port: its connection)
 *   GET  /bytes/N       N bytes (pattern i%251), streamed in chunks with a
 *                       Content-Length, never held whole
 *   ANY  /sink          reads the body; replies {"bytes":n,"sha256":hex}
 *   GET  /slow/MS       replies {"slept_ms":MS} after MS milliseconds
 *   ANY  /status/CODE[?retry_after=V]  replies CODE with a small JSON
 *                       body (and Retry-After: V)
 *   GET  /json          {"ok":true,"n":<request count>} (small JSON GET);
 *                       counts "generic.json"
 *   GET  /redirect?to=URL[&status=301|302|303|307|308]  302 to URL
 *   GET  /limited/KEY   rate-limited per KEY: "generic.limit" requests
 *                       (default 10; "generic.limit.<KEY>" for one key)
 *                       per "generic.window_ms" (default 1000), window
 *                       "generic.limit_mode" fixed (default) or sliding;
 *                       beyond it 429 with Retry-After (seconds);
 *                       ratelimit-limit/-remaining/-reset on every reply
 *                       unless "generic.limit_headers" is "off";
 *                       counts "limited.<KEY>.ok" / ".429"
 * /sink counts "sink.bytes".  A reset forgets the counts and the keys.
 */
int sim_generic_attach(sim_service *svc);

/* ---- services (one file each) ----------------------------------- */

int sim_partisci_attach(sim_service *svc);
int sim_kentik_attach(sim_service *svc);
int sim_synnefo_attach(sim_service *svc);
int sim_pagerduty_attach(sim_service *svc);

#endif /* CMX_SIM_H */
