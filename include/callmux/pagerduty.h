/*
 * callmux: PagerDuty REST API v2, Events API v2 and Change Events.
 *
 * Two session objects, both bound to one cmx_engine and used only from the
 * engine's loop thread:
 *
 *   cmx_pagerduty        REST API v2 (https://api.pagerduty.com): raw calls,
 *                        entity-wrapping calls (rget/rpost/rput/rdelete and
 *                        the jget family), offset and cursor pagination,
 *                        list_all, dict_all, find, persist, multi-update.
 *   cmx_pagerduty_events Events API v2 (https://events.pagerduty.com):
 *                        trigger / acknowledge / resolve, and Change
 *                        Events (submit).
 *
 * JSON values are json-c objects.  Every json_object given to a function is
 * borrowed (read during the call, never kept or freed).  Every json_object
 * handed to a callback is borrowed for the duration of that callback: take
 * a reference with json_object_get() to keep it.
 *
 * Callbacks follow the engine's rule: a function that takes a callback and
 * returns an error never calls it; one that returns CMX_OK calls it exactly
 * once, from the loop.  Bad input is refused with CMX_EINVAL before anything
 * is sent; the reason ("severity: must be one of critical, error, warning,
 * info") is written to the caller's `errbuf` and also kept as the session's
 * last error (cmx_pagerduty_last_error).
 *
 * Credentials are sent only as secret headers (never logged) or, for the
 * Events API, inside the JSON body; they never appear in lane names (the
 * lane is named after a hash of the key), logs or error text.
 *
 * Where we differ from the reference client (pdpyras 5.4.1), on purpose:
 *  - Retries are bounded.  429 is retried honouring ratelimit-reset and
 *    Retry-After (up to max_attempts, default 5 for REST, 7 for events),
 *    never forever; 401 is never retried (CMX_EAUTH at once).
 *  - REST 5xx (500, 502, 503, 504) are retried for idempotent methods
 *    (GET, PUT, DELETE) only; POST only on 429/503 ("not applied").
 *  - iter_all on a cursor endpoint (e.g. /audit/records) iterates with
 *    cursors, as pdpyras documents but does not do.
 *  - iter_all keeps `limit` at the page size (pdpyras sets the next limit to
 *    the previous page's count) and an empty page that says `more: true`
 *    ends the iteration with CMX_EPROTO instead of looping.
 *  - iter_all stops before offset+limit would exceed 10,000 and says so:
 *    the result's `capped` is 1 and its detail explains it (pdpyras only
 *    warns).
 *  - With a known total (we ask for `total=true` on the first page when
 *    fan-out is on), iter_all fetches the remaining pages in parallel,
 *    within the lane's limits, and still delivers items in order.
 *  - `total` is sent as `total=true` (pdpyras sends `total=1`).
 *  - Cursor iteration sends `limit` (page size, default 100).
 *  - A multi-update (rput on /incidents with an array) of more than 250
 *    items is split into requests of at most 250, sent one after another.
 *  - The error categories are by integer division: every 5xx is a server
 *    error (pdpyras calls only 500 a server error).
 *  - find: an item that lacks the attribute is skipped (pdpyras raises
 *    KeyError).
 *  - Canonical path resolution prefers the pattern with the fewest
 *    placeholders (so /users/me beats /users/{id}); equal best matches are
 *    an ambiguity error, as in pdpyras.
 *  - A trigger without a dedup_key gets one made by the client (a random
 *    UUID), so the POST can be retried safely and a retried trigger never
 *    opens a second incident.  Events POSTs are retried on 429, 500, 502,
 *    503, 504 and dropped connections, at most 7 attempts in all.
 *  - Change events are retried on 429 and 503 by the engine and on 500 (2
 *    more times) and 502 (4 more times) here, as pdpyras; 504 is not
 *    retried.  A dropped connection is not retried (no dedup key).
 *  - The 401 message never shows any part of the key.
 *  - Redirects are not followed.
 */
#ifndef CALLMUX_PAGERDUTY_H
#define CALLMUX_PAGERDUTY_H

#include <stddef.h>
#include <stdint.h>

#include <callmux/engine.h>
#include <callmux/error.h>
#include <callmux/request.h>
#include <callmux/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;

#define CMX_PAGERDUTY_BASE_URL "https://api.pagerduty.com"
#define CMX_PAGERDUTY_BASE_URL_EU "https://api.eu.pagerduty.com"
#define CMX_PAGERDUTY_EVENTS_URL "https://events.pagerduty.com"
#define CMX_PAGERDUTY_EVENTS_URL_EU "https://events.eu.pagerduty.com"
/** `Accept` sent on every REST call. */
#define CMX_PAGERDUTY_ACCEPT "application/vnd.pagerduty+json;version=2"
/** Classic pagination: offset + limit may not exceed this. */
#define CMX_PAGERDUTY_OFFSET_CAP 10000
/** PUT /incidents takes at most this many items per request. */
#define CMX_PAGERDUTY_MULTI_UPDATE_MAX 250
/** Default lane rates (calls per minute). */
#define CMX_PAGERDUTY_REST_PER_MINUTE 960
#define CMX_PAGERDUTY_EVENTS_PER_MINUTE 120

/* ------------------------------------------------------------------ */
/* Results                                                              */

/**
 * The outcome of any call of this module, valid during the callback.
 *  code:    CMX_OK; CMX_EAUTH (401); CMX_EHTTP (other error status: see
 *           `error`); CMX_EPROTO (the body broke an expectation: missing
 *           wrapper key, not JSON, an events reply without dedup_key, an
 *           empty page saying more); CMX_ERATELIMIT (429 after the last
 *           attempt); transport codes; CMX_ECANCELED.
 *  status:  HTTP status of the last response (0 when none).
 *  value:   the call's JSON result (see each call), borrowed; may be NULL.
 *  error:   for error statuses, the parsed PagerDuty error: `kind` is the
 *           error code as text ("2010") for REST or the `status` text for
 *           events, `message`, and `details` = the `errors` list.
 *  pd_code: the REST error code as a number (0 when none).
 *  detail:  human text for a failure, or a note (capped iteration); never
 *           NULL, never contains a secret.
 *  count:   items delivered (iteration calls) or items sent (multi-update).
 *  total:   total from the server (iteration), -1 when unknown.
 *  capped:  1 when iter_all stopped at the 10,000 offset cap.
 *  dedup_key: events: the dedup key of the event (NULL otherwise).
 *  response: the last HTTP response, or NULL (workflows that ended without
 *           one, e.g. a cap reached before any request).
 */
typedef struct cmx_pagerduty_result {
  int code;
  long status;
  struct json_object *value;
  const cmx_service_error *error;
  long pd_code;
  const char *detail;
  size_t count;
  long total;
  int capped;
  const char *dedup_key;
  const cmx_response *response;
} cmx_pagerduty_result;

/* ------------------------------------------------------------------ */
/* REST session                                                         */

typedef struct cmx_pagerduty cmx_pagerduty;

typedef enum cmx_pagerduty_auth {
  CMX_PAGERDUTY_AUTH_TOKEN = 0, /* Authorization: Token token=<key> */
  CMX_PAGERDUTY_AUTH_BEARER = 1 /* Authorization: Bearer <key> (OAuth) */
} cmx_pagerduty_auth;

typedef void (*cmx_pagerduty_cb)(cmx_pagerduty *pd,
                                 const cmx_pagerduty_result *r, void *ud);

/**
 * A REST session with `api_key` (copied; must be a non-empty string
 * without CR/LF).  Its calls travel in a lane named "pagerduty:<hash of
 * the key>" limited to 960 calls/minute (burst 16) with a bounded retry
 * policy (5 attempts).  NULL with a reason in `errbuf` on bad input or
 * ENOMEM.
 */
CMX_EXTERN cmx_pagerduty *cmx_pagerduty_new(cmx_engine *engine,
                                            const char *api_key,
                                            cmx_pagerduty_auth auth,
                                            char *errbuf, size_t errlen);
/**
 * Free the session.  Calls still running go on and end normally (their
 * callbacks still run); the memory is released after the last one.
 * NULL is a no-op.
 */
CMX_EXTERN void cmx_pagerduty_free(cmx_pagerduty *pd);
/** Base URL ("https://api.pagerduty.com", the EU one, or a simulator's
 *  http://127.0.0.1:PORT); copied; trailing '/' removed. */
CMX_EXTERN int cmx_pagerduty_set_base_url(cmx_pagerduty *pd, const char *url);
/** `From` header sent on every call (NULL: none).  Required by the API on
 *  some writes with an account-level key (POST /incidents, PUT /incidents,
 *  POST /users, ...).  Copied. */
CMX_EXTERN int cmx_pagerduty_set_default_from(cmx_pagerduty *pd,
                                              const char *email);
/** Lane rate in calls per minute (default 960; 0: no limit) and burst. */
CMX_EXTERN int cmx_pagerduty_set_rate(cmx_pagerduty *pd, double per_minute,
                                      unsigned burst);
/** Retry policy of the session's lane (bounded: max_attempts >= 1). */
CMX_EXTERN int cmx_pagerduty_set_retry(cmx_pagerduty *pd,
                                       const cmx_retry_policy *p);
/** Per-attempt timeout (default 60,000 ms, as pdpyras). */
CMX_EXTERN int cmx_pagerduty_set_timeout_ms(cmx_pagerduty *pd, uint64_t ms);
/** The session's lane (to read stats or tune max_inflight). */
CMX_EXTERN cmx_lane *cmx_pagerduty_lane(cmx_pagerduty *pd);
/** The last refusal's reason ("" when none). */
CMX_EXTERN const char *cmx_pagerduty_last_error(const cmx_pagerduty *pd);

/**
 * Raw call: `method` is GET, POST, PUT or DELETE (anything else is
 * CMX_EINVAL).  `url` is a path ("users", "/users/P1") or a full URL under
 * the base URL (another host is CMX_EINVAL).  `params` (may be NULL) is a
 * JSON object turned into the query: strings as they are, numbers and
 * booleans as text, arrays as repeated `key[]=value` pairs (`[]` added when
 * missing).  `body` (may be NULL) is sent as JSON (POST/PUT only).
 * result.value is the whole decoded body (NULL when empty).  An error
 * status ends with CMX_EHTTP/CMX_EAUTH, still with the body in value.
 * This is pdpyras's jget/jpost/jput/get/post/put/delete.
 */
CMX_EXTERN int cmx_pagerduty_request(cmx_pagerduty *pd, const char *method,
                                     const char *url,
                                     struct json_object *params,
                                     struct json_object *body,
                                     cmx_pagerduty_cb cb, void *ud);
/**
 * Entity-wrapping call (pdpyras rget/rpost/rput/rdelete).  The URL must
 * map to a canonical path (else CMX_EINVAL, nothing sent).  The request
 * body is wrapped as {wrapper: body} unless the wrapper is already a key
 * (object) or an element (array) of it; result.value is the response
 * body's wrapped entity (NULL for an empty body, e.g. 204; the whole body
 * for endpoints without a wrapper; for DELETE, the body if any).  A
 * response without the expected key is CMX_EPROTO.  PUT on /incidents with
 * an array body is a multi-update, split in requests of at most 250 items
 * (result.value is the concatenated list).
 */
CMX_EXTERN int cmx_pagerduty_rrequest(cmx_pagerduty *pd, const char *method,
                                      const char *url,
                                      struct json_object *params,
                                      struct json_object *body,
                                      cmx_pagerduty_cb cb, void *ud);
#define cmx_pagerduty_rget(pd, url, params, cb, ud)                           \
  cmx_pagerduty_rrequest((pd), "GET", (url), (params), NULL, (cb), (ud))
#define cmx_pagerduty_rpost(pd, url, body, cb, ud)                            \
  cmx_pagerduty_rrequest((pd), "POST", (url), NULL, (body), (cb), (ud))
#define cmx_pagerduty_rput(pd, url, body, cb, ud)                             \
  cmx_pagerduty_rrequest((pd), "PUT", (url), NULL, (body), (cb), (ud))
#define cmx_pagerduty_rdelete(pd, url, cb, ud)                                \
  cmx_pagerduty_rrequest((pd), "DELETE", (url), NULL, NULL, (cb), (ud))
#define cmx_pagerduty_jget(pd, url, params, cb, ud)                           \
  cmx_pagerduty_request((pd), "GET", (url), (params), NULL, (cb), (ud))
#define cmx_pagerduty_jpost(pd, url, body, cb, ud)                            \
  cmx_pagerduty_request((pd), "POST", (url), NULL, (body), (cb), (ud))
#define cmx_pagerduty_jput(pd, url, body, cb, ud)                             \
  cmx_pagerduty_request((pd), "PUT", (url), NULL, (body), (cb), (ud))

/* ------------------------------------------------------------------ */
/* Pagination                                                           */

/**
 * Called for each item, in order, from the loop.  `n` counts from 1,
 * `total` is the server's total or -1.  Return 0 to go on, non-zero to
 * stop (the iteration then ends with CMX_OK and the items so far).
 */
typedef int (*cmx_pagerduty_item_cb)(cmx_pagerduty *pd,
                                     struct json_object *item, size_t n,
                                     long total, void *ud);

typedef struct cmx_pagerduty_iter_opts {
  unsigned page_size; /* limit per page (default 0 = 100; max 100) */
  /** Pages fetched at once when the total is known (default 0 = 8;
   *  1 = sequential, as pdpyras).  Fan-out asks for total=true on the
   *  first page. */
  unsigned parallel;
  int total; /* ask for total=true even when sequential */
} cmx_pagerduty_iter_opts;

/**
 * Classic (offset/limit) iteration of a collection (`params` as in
 * cmx_pagerduty_request; its `offset` sets the start).  A cursor endpoint
 * is iterated with cursors (see cmx_pagerduty_iter_cursor).  `item_cb`
 * may be NULL; `done` runs once at the end with count, total and capped
 * set; an error in the middle ends it with that error after the items
 * already delivered.  `opts` may be NULL.  CMX_EINVAL for a URL that is no
 * canonical collection path.
 */
CMX_EXTERN int cmx_pagerduty_iter_all(cmx_pagerduty *pd, const char *url,
                                      struct json_object *params,
                                      const cmx_pagerduty_iter_opts *opts,
                                      cmx_pagerduty_item_cb item_cb,
                                      cmx_pagerduty_cb done, void *ud);
/** Cursor iteration (`cursor`/`next_cursor`) of a cursor endpoint such as
 *  /audit/records; CMX_EINVAL for any other path. */
CMX_EXTERN int cmx_pagerduty_iter_cursor(cmx_pagerduty *pd, const char *url,
                                         struct json_object *params,
                                         const cmx_pagerduty_iter_opts *opts,
                                         cmx_pagerduty_item_cb item_cb,
                                         cmx_pagerduty_cb done, void *ud);
/** iter_all into a JSON array: result.value (also on error: the items
 *  gathered so far, unlike pdpyras which loses them). */
CMX_EXTERN int cmx_pagerduty_list_all(cmx_pagerduty *pd, const char *url,
                                      struct json_object *params,
                                      const cmx_pagerduty_iter_opts *opts,
                                      cmx_pagerduty_cb done, void *ud);
/** iter_all into a JSON object keyed by each item's `by` attribute
 *  (default "id"; as text; the last duplicate wins; items without it are
 *  skipped): result.value. */
CMX_EXTERN int cmx_pagerduty_dict_all(cmx_pagerduty *pd, const char *url,
                                      struct json_object *params,
                                      const char *by,
                                      const cmx_pagerduty_iter_opts *opts,
                                      cmx_pagerduty_cb done, void *ud);
/**
 * First item of `resource` whose `attribute` (default "name"), as text,
 * equals `query` ignoring ASCII case.  Sends `query` to the server as a
 * filter, pages sequentially and stops at the first match.  result.value
 * is the item, or NULL (code CMX_OK) when none matched.
 */
CMX_EXTERN int cmx_pagerduty_find(cmx_pagerduty *pd, const char *resource,
                                  const char *query, const char *attribute,
                                  struct json_object *params,
                                  cmx_pagerduty_cb cb, void *ud);
/**
 * Idempotent create or update: find `values[attr]` in `resource`; not
 * found: rpost(resource, values) and result.value is the created entity;
 * found and !update: the existing entity, no write; found and update:
 * merge `values` into it, and when anything changed rput to its `self`
 * (or resource/id) with the merged entity; result.value is the updated
 * (or unchanged merged) entity.  `values` must be an object holding a
 * string or number `attr` (else CMX_EINVAL).
 */
CMX_EXTERN int cmx_pagerduty_persist(cmx_pagerduty *pd, const char *resource,
                                     const char *attr,
                                     struct json_object *values, int update,
                                     cmx_pagerduty_cb cb, void *ud);

/* ------------------------------------------------------------------ */
/* Sans-I/O helpers (pure, no engine)                                   */

/**
 * The canonical path of `url` ("/users/P1/contact_methods" ->
 * "/users/{id}/contact_methods") into out.  CMX_EINVAL when none or
 * ambiguous.  `url` may be a path or a URL whose scheme+host is `base`.
 */
CMX_EXTERN int cmx_pagerduty_canonical_path(const char *base, const char *url,
                                            char *out, size_t outlen);
/**
 * Request and response wrapper names for `method` on canonical path
 * `cpath` ("" when the body passes through unwrapped).  Buffers of at
 * least 64 bytes.
 */
CMX_EXTERN int cmx_pagerduty_wrappers(const char *method, const char *cpath,
                                      char *req, char *res, size_t len);
/** 1 when `cpath` is a cursor-paginated canonical path. */
CMX_EXTERN int cmx_pagerduty_is_cursor_path(const char *cpath);

/* ------------------------------------------------------------------ */
/* Events API v2 and Change Events                                      */

typedef struct cmx_pagerduty_events cmx_pagerduty_events;

typedef void (*cmx_pagerduty_events_cb)(cmx_pagerduty_events *ev,
                                        const cmx_pagerduty_result *r,
                                        void *ud);

/** An event's fields; NULL means absent.  JSON members are borrowed. */
typedef struct cmx_pagerduty_event {
  const char *summary;  /* required for trigger, <= 1024 characters */
  const char *source;   /* required for trigger */
  const char *severity; /* critical (default), error, warning, info */
  const char *component;
  const char *group;
  const char *class_;                 /* payload.class */
  const char *timestamp;              /* ISO 8601 */
  struct json_object *custom_details; /* object */
  struct json_object *images;         /* array of {src, href, alt} */
  struct json_object *links;          /* array of {href, text} */
  const char *dedup_key; /* <= 255; made by the client when NULL */
  const char *client;
  const char *client_url;
} cmx_pagerduty_event;

/** A change event's fields. */
typedef struct cmx_pagerduty_change {
  const char *summary; /* required, <= 1024 characters */
  const char *source;
  const char *timestamp;              /* default: now, UTC, ISO 8601 with Z */
  struct json_object *custom_details; /* object */
  struct json_object *links;          /* array */
} cmx_pagerduty_change;

/**
 * A session for one routing (integration) key: events go to
 * /v2/enqueue, change events to /v2/change/enqueue, with the key in the
 * body.  Lane "pagerduty-events:<hash>" at 120/minute (burst 10), 7
 * attempts.  NULL with a reason in errbuf on a missing key or ENOMEM.
 */
CMX_EXTERN cmx_pagerduty_events *
cmx_pagerduty_events_new(cmx_engine *engine, const char *routing_key,
                         char *errbuf, size_t errlen);
/** Like cmx_pagerduty_free. */
CMX_EXTERN void cmx_pagerduty_events_free(cmx_pagerduty_events *ev);
CMX_EXTERN int cmx_pagerduty_events_set_base_url(cmx_pagerduty_events *ev,
                                                 const char *url);
/** Lane rate in events per minute (default 120; 0: no limit). */
CMX_EXTERN int cmx_pagerduty_events_set_rate(cmx_pagerduty_events *ev,
                                             double per_minute,
                                             unsigned burst);
CMX_EXTERN int cmx_pagerduty_events_set_retry(cmx_pagerduty_events *ev,
                                              const cmx_retry_policy *p);
CMX_EXTERN cmx_lane *cmx_pagerduty_events_lane(cmx_pagerduty_events *ev);
CMX_EXTERN const char *
cmx_pagerduty_events_last_error(const cmx_pagerduty_events *ev);

/**
 * Trigger an alert.  Validated first (summary and source present, summary
 * <= 1024, severity in the enum, dedup_key <= 255, custom_details an
 * object, images/links arrays, body <= 512 KB).  result.dedup_key is the
 * key (the server's answer, or ours); result.value the 202 body.
 */
CMX_EXTERN int cmx_pagerduty_trigger(cmx_pagerduty_events *ev,
                                     const cmx_pagerduty_event *e,
                                     cmx_pagerduty_events_cb cb, void *ud);
/** Acknowledge / resolve by dedup key (required, <= 255). */
CMX_EXTERN int cmx_pagerduty_acknowledge(cmx_pagerduty_events *ev,
                                         const char *dedup_key,
                                         cmx_pagerduty_events_cb cb, void *ud);
CMX_EXTERN int cmx_pagerduty_resolve(cmx_pagerduty_events *ev,
                                     const char *dedup_key,
                                     cmx_pagerduty_events_cb cb, void *ud);
/** Submit a change event; result.value is the 202 body. */
CMX_EXTERN int cmx_pagerduty_change_submit(cmx_pagerduty_events *ev,
                                           const cmx_pagerduty_change *c,
                                           cmx_pagerduty_events_cb cb,
                                           void *ud);

/**
 * Sans-I/O: the JSON body of an event (`action` "trigger", "acknowledge"
 * or "resolve"), validated.  For a trigger without dedup_key one is made.
 * Returns a new object (caller puts it) or NULL with the reason in errbuf.
 */
CMX_EXTERN struct json_object *
cmx_pagerduty_event_body(const char *routing_key, const char *action,
                         const cmx_pagerduty_event *e, char *errbuf,
                         size_t errlen);
/** Sans-I/O: the JSON body of a change event, validated. */
CMX_EXTERN struct json_object *
cmx_pagerduty_change_body(const char *routing_key,
                          const cmx_pagerduty_change *c, char *errbuf,
                          size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* CALLMUX_PAGERDUTY_H */
