/*
 * callmux: the engine.
 *
 * An engine multiplexes many HTTP calls over one libevent loop through
 * libcurl's multi_socket interface.  Every call travels in a lane (see
 * "Lanes" below) that queues it, caps its concurrency, rate-limits it and
 * retries it.
 *
 * Threading: an engine and everything reached from it belong to the thread
 * that runs its event_base.  The one exception is cmx_engine_post(), which
 * any thread may call.
 *
 * Callbacks: a function here that takes a callback and returns an error
 * never calls that callback.  One that returns CMX_OK calls it exactly once,
 * always from the event loop (never from inside the cmx_* call that started
 * the work, never from inside a libcurl callback).  Freeing the engine or
 * cancelling calls from inside any callback is safe.
 */
#ifndef CALLMUX_ENGINE_H
#define CALLMUX_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <callmux/error.h>
#include <callmux/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

typedef struct cmx_engine cmx_engine;
typedef struct cmx_options cmx_options;
typedef struct cmx_lane cmx_lane;
typedef struct cmx_timer cmx_timer;

/* ------------------------------------------------------------------ */
/* Logging                                                              */

typedef enum cmx_log_level {
  CMX_LOG_ERROR = 0,
  CMX_LOG_WARN = 1,
  CMX_LOG_INFO = 2,
  CMX_LOG_DEBUG = 3
} cmx_log_level;

/**
 * Log sink.  `msg` is valid only during the call.  Messages never contain
 * the value of a secret header (cmx_request_add_secret_header), a query
 * string, or a request or response body.
 */
typedef void (*cmx_log_fn)(cmx_log_level level, const char *msg,
                           void *userdata);

/* ------------------------------------------------------------------ */
/* Options (copied by cmx_engine_new; free them afterwards)             */

CMX_EXTERN cmx_options *cmx_options_new(void);
CMX_EXTERN void cmx_options_free(cmx_options *opts);

/** CA bundle used to verify TLS peers (private clouds).  Verification is
 *  always on; this only adds trust.  Copied. */
CMX_EXTERN int cmx_options_set_ca_file(cmx_options *opts, const char *path);
/** User-Agent sent on every call unless a request sets its own. Copied. */
CMX_EXTERN int cmx_options_set_user_agent(cmx_options *opts, const char *ua);
/** Log sink and the most verbose level passed to it (default: none). */
CMX_EXTERN int cmx_options_set_log(cmx_options *opts, cmx_log_level max,
                                   cmx_log_fn fn, void *userdata);
/** Cap on open connections across all lanes (default 0: no cap). */
CMX_EXTERN int cmx_options_set_max_connections(cmx_options *opts, long n);
/** Defaults for lanes the engine creates per scheme+host+port. */
CMX_EXTERN int cmx_options_set_default_max_inflight(cmx_options *opts,
                                                    unsigned n);
CMX_EXTERN int cmx_options_set_default_queue_limit(cmx_options *opts,
                                                   size_t n);
/** Worker threads for cmx_engine_work() (default 2). */
CMX_EXTERN int cmx_options_set_workers(cmx_options *opts, unsigned n);
/**
 * Clock in milliseconds on an arbitrary monotonic origin, for tests.
 * Default: CLOCK_MONOTONIC.  Only the scheduler reads it; libevent timers
 * still run on real time, so after moving the clock forward, start a 0 ms
 * timer (cmx_timer_start) or submit a call: the engine then re-reads the
 * clock and runs every timer, backoff and deadline that is now due.
 */
typedef uint64_t (*cmx_clock_fn)(void *userdata);
CMX_EXTERN int cmx_options_set_clock(cmx_options *opts, cmx_clock_fn fn,
                                     void *userdata);

/* ------------------------------------------------------------------ */
/* Engine                                                               */

/**
 * Create an engine on `base`, the caller's loop, which the engine never
 * runs, breaks or frees; `base` must outlive the engine.  With base == NULL
 * the engine makes (and later frees) its own loop, run by cmx_engine_run().
 * `opts` may be NULL and is not kept.  Returns NULL on allocation failure
 * or when libcurl cannot be initialised.
 */
CMX_EXTERN cmx_engine *cmx_engine_new(struct event_base *base,
                                      const cmx_options *opts);

/**
 * Free the engine.  Every call, timer and work item not yet finished ends
 * now with CMX_ECANCELED: its callback runs before this returns (or, when
 * called from inside a callback, right after that callback returns, and
 * the engine is released then).  NULL is a no-op.
 */
CMX_EXTERN void cmx_engine_free(cmx_engine *engine);

/**
 * Run the engine's own loop until no call, timer, UDP send or work item is
 * outstanding.  Only for engines made with base == NULL (else CMX_EINVAL).
 */
CMX_EXTERN int cmx_engine_run(cmx_engine *engine);

/** The loop the engine runs on (its own or the caller's). */
CMX_EXTERN struct event_base *cmx_engine_base(cmx_engine *engine);

/** The scheduler's clock, in milliseconds. */
CMX_EXTERN uint64_t cmx_engine_now(cmx_engine *engine);

/** Calls, timers, UDP sends and work items not yet finished. */
CMX_EXTERN size_t cmx_engine_outstanding(const cmx_engine *engine);

typedef void (*cmx_drain_cb)(cmx_engine *engine, void *userdata);
/**
 * Stop taking new calls (submits now fail with CMX_ESHUTDOWN), let the
 * outstanding ones finish, then call `cb` once from the loop.
 */
CMX_EXTERN int cmx_engine_drain(cmx_engine *engine, cmx_drain_cb cb,
                                void *userdata);

/**
 * Thread-safe: run `fn(engine, userdata)` on the engine's loop thread soon.
 * The only function of callmux that may be called from another thread.
 * Returns CMX_ESHUTDOWN once the engine is being freed (fn is then never
 * called), CMX_ENOMEM on allocation failure.  Posted functions still queued
 * when the engine is freed are called with engine == NULL so their
 * userdata can be released.
 */
typedef void (*cmx_post_fn)(cmx_engine *engine, void *userdata);
CMX_EXTERN int cmx_engine_post(cmx_engine *engine, cmx_post_fn fn,
                               void *userdata);

/**
 * Statistics as one JSON text; the caller frees it with free().  NULL on
 * ENOMEM.  Shape:
 *
 *   {"engine": {"outstanding", "inflight", "lanes", "connections_opened"},
 *    "lanes": [{"name", "queued", "inflight", "max_inflight",
 *               "effective_max_inflight", "rate", "effective_rate",
 *               "submitted", "attempts", "ok", "failed", "retried",
 *               "http_429", "failed_by_code": {code name: n},
 *               "queue_wait", "service_time", "total_time"}]}
 *
 * The three times are latency histograms, each {"count", "min_us",
 * "mean_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us"}, from
 * log-linear buckets (no samples are stored): a reported quantile is never
 * below the true one and above it by less than 1/32.
 */
CMX_EXTERN char *cmx_engine_stats_json(cmx_engine *engine);

/* ------------------------------------------------------------------ */
/* Timers (for workflows: polling, pacing)                              */

/** `code` is CMX_OK when the timer fired, CMX_ECANCELED when it was
 *  cancelled or the engine freed. */
typedef void (*cmx_timer_cb)(cmx_engine *engine, int code, void *userdata);

/**
 * Call `cb` once after `delay_ms`.  The handle is valid until the callback
 * returns; cmx_timer_cancel() before then ends it with CMX_ECANCELED.
 */
CMX_EXTERN int cmx_timer_start(cmx_engine *engine, uint64_t delay_ms,
                               cmx_timer_cb cb, void *userdata,
                               cmx_timer **out);
CMX_EXTERN void cmx_timer_cancel(cmx_timer *timer);

/* ------------------------------------------------------------------ */
/* Work on worker threads (hashing, compression)                        */

/** Runs on a worker thread: must not touch the engine. */
typedef void (*cmx_work_fn)(void *userdata);
/** Runs on the loop thread after `work` returned (code CMX_OK) or when the
 *  engine is freed before it could run (code CMX_ECANCELED). */
typedef void (*cmx_work_done_fn)(cmx_engine *engine, int code, void *userdata);
CMX_EXTERN int cmx_engine_work(cmx_engine *engine, cmx_work_fn work,
                               cmx_work_done_fn done, void *userdata);

/* ------------------------------------------------------------------ */
/* UDP datagrams                                                        */

typedef void (*cmx_udp_cb)(cmx_engine *engine, int code, void *userdata);
/**
 * Send one datagram to host:port without blocking: the name is resolved
 * asynchronously (never getaddrinfo on the loop thread), then the datagram
 * is sent.  `data` is copied.  `cb` (may be NULL) gets CMX_OK once the
 * kernel took the datagram (UDP gives no delivery guarantee), CMX_ERESOLVE,
 * CMX_ETRANSPORT, CMX_ETOOBIG or CMX_ECANCELED.
 */
CMX_EXTERN int cmx_udp_send(cmx_engine *engine, const char *host,
                            unsigned port, const void *data, size_t len,
                            cmx_udp_cb cb, void *userdata);

/* ------------------------------------------------------------------ */
/* Lanes                                                                */

/**
 * Retry policy of a lane.  Attempts are spaced by exponential backoff with
 * full jitter: random(0, min(cap_ms, base_ms * 2^(n-1))), or the service's
 * Retry-After / ratelimit-reset when longer (capped at max_wait_ms).
 *
 * What is retried:
 *  - transport failures before anything was sent (refused, resolve) and the
 *    statuses 429 and 503, which mean "not applied": every method;
 *  - dropped connections, attempt timeouts, 502, 504 (and 500 when
 *    retry_500 is set): idempotent methods (GET, HEAD, PUT, DELETE,
 *    OPTIONS) and calls marked cmx_request_set_retry_safe();
 *  - 401 never; other 4xx never.
 * A retry also needs the lane's retry budget: retries may be at most
 * `budget_percent` of the lane's first attempts (plus `budget_min`
 * retries in reserve), so a failing service is not flooded.
 */
typedef struct cmx_retry_policy {
  unsigned max_attempts;   /* total attempts, first included (default 4) */
  unsigned base_ms;        /* first backoff ceiling (default 100) */
  unsigned cap_ms;         /* backoff ceiling (default 20000) */
  unsigned max_wait_ms;    /* longest Retry-After honoured (default 60000) */
  unsigned budget_percent; /* retries per 100 first attempts (default 20) */
  unsigned budget_min;     /* retries always allowed in reserve (def. 10) */
  int retry_500;           /* also retry 500 (default 0) */
} cmx_retry_policy;

/** Fill `p` with the defaults above. */
CMX_EXTERN void cmx_retry_policy_default(cmx_retry_policy *p);

/**
 * The lane called `name`, created on first use with the engine's defaults.
 * Default lanes are named "scheme://host:port"; any other name is a named
 * lane (use one per credential: services limit per key).  Lane names appear
 * in logs and statistics: never put a secret in one.  The lane lives as
 * long as the engine.  NULL on ENOMEM or an empty name.
 */
CMX_EXTERN cmx_lane *cmx_engine_lane(cmx_engine *engine, const char *name);

/** Calls admitted at once (default 64; 0 is refused). */
CMX_EXTERN int cmx_lane_set_max_inflight(cmx_lane *lane, unsigned n);
/** Queued calls allowed before submits fail with CMX_EQUEUEFULL (default
 *  1,000,000; 0 is refused). */
CMX_EXTERN int cmx_lane_set_queue_limit(cmx_lane *lane, size_t n);
/** Token bucket: `per_second` calls/s, at most `burst` back to back.
 *  per_second == 0 removes the limit. burst 0 means 1. */
CMX_EXTERN int cmx_lane_set_rate(cmx_lane *lane, double per_second,
                                 unsigned burst);
/** Copied. */
CMX_EXTERN int cmx_lane_set_retry(cmx_lane *lane, const cmx_retry_policy *p);
CMX_EXTERN const char *cmx_lane_name(const cmx_lane *lane);
CMX_EXTERN size_t cmx_lane_queued(const cmx_lane *lane);
CMX_EXTERN unsigned cmx_lane_inflight(const cmx_lane *lane);

#ifdef __cplusplus
}
#endif

#endif /* CALLMUX_ENGINE_H */
