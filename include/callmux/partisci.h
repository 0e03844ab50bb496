/*
 * callmux: Partisci, a tracker of which application versions run where.
 *
 * Hosts send version updates ({"app","ver","host","instance"}) to a Partisci
 * server over UDP (fire and forget) or with POST update/; anyone queries the
 * REST API under /api/v1/ on the same port (default 7777) for the apps, the
 * hosts and the versions it has seen.
 *
 * Two halves:
 *  - sans-I/O (no engine needed): the app_id rule, update validation and
 *    encoding, URL building, response parsing;
 *  - async, on a cmx_engine: a client (cmx_partisci) that sends updates and
 *    runs queries, and a reporter that sends an update at start and then on
 *    a schedule.
 *
 * API eras.  The server changed its paths early on:
 *  - CMX_PARTISCI_ERA_DOCUMENTED (default), the one the user documentation
 *    describes: GET _partisci/, GET summary/app/, GET summary/host/,
 *    GET version/, POST update/, POST _danger/clear/;
 *  - CMX_PARTISCI_ERA_LATER: GET app/, GET host/ (with app_count),
 *    GET /debug/vars for the server's version, the instance in the storage
 *    key; version/, update/ and _danger/clear/ unchanged;
 *  - CMX_PARTISCI_ERA_AUTO: the client asks GET _partisci/ once before its
 *    first query: 200 means DOCUMENTED, 404 means LATER.  Queries made
 *    meanwhile wait for that answer; any other outcome (another status, a
 *    transport error) ends them with that error ("API era detection ...")
 *    and the next query asks again.  Updates need no era.
 *
 * Where we differ from the reference clients and server (on purpose):
 *  - the documented 50-character limit of app, ver and host (counted in
 *    Unicode code points, not bytes) and the 0..65535 range of instance are
 *    checked before anything is sent; app and ver must be non-empty (the
 *    documented-era server accepted "{}"); strings must be valid UTF-8;
 *  - the default host name (this machine's, from gethostname()) is used for
 *    HTTP updates too, not only for UDP as in the Python client;
 *  - the client never sends app_id, host_ip or last_update (a server would
 *    let them override its own values);
 *  - the command-line reference client always exits 0: our examples exit
 *    non-zero on errors;
 *  - the reporter clamps its interval to the documented 1 h .. 24 h.
 */
#ifndef CALLMUX_PARTISCI_H
#define CALLMUX_PARTISCI_H

#include <stddef.h>
#include <stdint.h>

#include <callmux/engine.h>
#include <callmux/error.h>
#include <callmux/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Port of both UDP and HTTP when a URL names none. */
#define CMX_PARTISCI_DEFAULT_PORT 7777
/** Longest app, ver and host, in Unicode code points. */
#define CMX_PARTISCI_MAX_CHARS 50
/** Largest datagram the server reads (bigger ones are cut and dropped). */
#define CMX_PARTISCI_MAX_DATAGRAM 2048
/** The reporter's interval bounds (the docs: at least daily, at most
 *  hourly), in milliseconds. */
#define CMX_PARTISCI_MIN_INTERVAL_MS (3600ull * 1000)
#define CMX_PARTISCI_MAX_INTERVAL_MS (24ull * 3600 * 1000)

typedef enum cmx_partisci_era {
  CMX_PARTISCI_ERA_DOCUMENTED = 0,
  CMX_PARTISCI_ERA_LATER = 1,
  CMX_PARTISCI_ERA_AUTO = 2
} cmx_partisci_era;

/* ------------------------------------------------------------------ */
/* Sans-I/O: the app_id rule, updates                                   */

/**
 * The server's app_id of `app`: Unicode lowercase, then every character
 * (code point, not byte) outside a-z and 0-9 becomes one '_'; nothing is
 * trimmed or collapsed.  "Demo App A!" -> "demo_app_a_", "Café" ->
 * "caf_".  An invalid UTF-8 byte counts as one character.  Returns a
 * malloc'd string (caller frees), NULL on ENOMEM or app == NULL.
 */
CMX_EXTERN char *cmx_partisci_app_id(const char *app);

/** One version update.  Strings are borrowed by the functions below. */
typedef struct cmx_partisci_update {
  const char *app;  /* required, 1..50 code points */
  const char *ver;  /* required, 1..50 code points */
  const char *host; /* 0..50 code points; NULL: the client's default host
                       (this machine's name); the sans-I/O functions send
                       "" for NULL */
  long instance;    /* 0..65535 */
} cmx_partisci_update;

/**
 * Check `u` against the rules above.  CMX_OK, or CMX_EINVAL with a message
 * naming the field and the rule in `errbuf` (may be NULL), e.g.
 * "app: 51 characters, at most 50 allowed".
 */
CMX_EXTERN int cmx_partisci_update_validate(const cmx_partisci_update *u,
                                            char *errbuf, size_t errlen);

/**
 * Validate and encode `u` as the JSON datagram / POST body
 * ({"app":..,"ver":..,"host":..,"instance":N}, UTF-8, no newline).
 * Returns a malloc'd NUL-terminated string and its length in `*len`, or
 * NULL with the reason in `errbuf` (CMX_EINVAL rules, including a datagram
 * over 2048 bytes, or out of memory).
 */
CMX_EXTERN char *cmx_partisci_update_encode(const cmx_partisci_update *u,
                                            size_t *len, char *errbuf,
                                            size_t errlen);

/* ------------------------------------------------------------------ */
/* Sans-I/O: URLs                                                       */

typedef enum cmx_partisci_endpoint {
  CMX_PARTISCI_EP_INFO = 0, /* _partisci/ or /debug/vars */
  CMX_PARTISCI_EP_APPS,     /* summary/app/ or app/ */
  CMX_PARTISCI_EP_HOSTS,    /* summary/host/ or host/ */
  CMX_PARTISCI_EP_VERSIONS, /* version/ */
  CMX_PARTISCI_EP_UPDATE,   /* update/ (POST) */
  CMX_PARTISCI_EP_CLEAR     /* _danger/clear/ (POST) */
} cmx_partisci_endpoint;

/** Filters of a version query; NULL or "" means "any".  Exact,
 *  case-sensitive matches, ANDed.  Filter by app_id (see
 *  cmx_partisci_app_id), not by app name. */
typedef struct cmx_partisci_filter {
  const char *app_id;
  const char *host;
  const char *ver;
} cmx_partisci_filter;

/**
 * The URL of `ep` in `era` (DOCUMENTED or LATER; AUTO is refused) under
 * `base` ("http://host[:port]", a trailing '/' allowed; without a port
 * 7777 is added).  For EP_VERSIONS, `f` (may be NULL) adds app_id, host
 * and ver query parameters, percent-encoded.  Malloc'd; NULL on ENOMEM
 * or a bad argument.
 */
CMX_EXTERN char *cmx_partisci_url(const char *base, cmx_partisci_era era,
                                  cmx_partisci_endpoint ep,
                                  const cmx_partisci_filter *f);

/* ------------------------------------------------------------------ */
/* Sans-I/O: results                                                    */

typedef struct cmx_partisci_version {
  char *app_id, *app, *ver, *host;
  char *host_ip; /* sender's address as seen by the server */
  unsigned instance;
  int64_t last_update; /* Unix seconds */
} cmx_partisci_version;

typedef struct cmx_partisci_app {
  char *app_id, *app; /* app: the first name seen for the id */
  int64_t last_update;
  long host_count; /* -1 when the server sent none */
} cmx_partisci_app;

typedef struct cmx_partisci_host {
  char *host;
  int64_t last_update;
  long app_count; /* -1 when absent (documented era) */
} cmx_partisci_host;

typedef struct cmx_partisci_info {
  char *version;        /* server version, "0.1" */
  char *go_version;     /* LATER era only, else NULL */
  cmx_partisci_era era; /* which endpoint answered */
} cmx_partisci_info;

/**
 * Parse a 200 body of version/, summary/app/ (app/), summary/host/
 * (host/): {"data":[...]}.  Fields missing (the documented era leaves out
 * empty and zero values) read as "" / 0.  On CMX_OK `*out` is a malloc'd
 * array of `*n` items (NULL when 0), freed with the matching _free.
 * CMX_EPROTO with a detail in `errbuf` when the body is not that shape.
 */
CMX_EXTERN int cmx_partisci_parse_versions(const char *body, size_t len,
                                           cmx_partisci_version **out,
                                           size_t *n, char *errbuf,
                                           size_t errlen);
CMX_EXTERN int cmx_partisci_parse_apps(const char *body, size_t len,
                                       cmx_partisci_app **out, size_t *n,
                                       char *errbuf, size_t errlen);
CMX_EXTERN int cmx_partisci_parse_hosts(const char *body, size_t len,
                                        cmx_partisci_host **out, size_t *n,
                                        char *errbuf, size_t errlen);
/** `era`: which endpoint the body came from (_partisci/: DOCUMENTED,
 *  /debug/vars: LATER). */
CMX_EXTERN int cmx_partisci_parse_info(const char *body, size_t len,
                                       cmx_partisci_era era,
                                       cmx_partisci_info *out, char *errbuf,
                                       size_t errlen);
CMX_EXTERN void cmx_partisci_versions_free(cmx_partisci_version *v, size_t n);
CMX_EXTERN void cmx_partisci_apps_free(cmx_partisci_app *a, size_t n);
CMX_EXTERN void cmx_partisci_hosts_free(cmx_partisci_host *h, size_t n);
CMX_EXTERN void cmx_partisci_info_clear(cmx_partisci_info *info);

/**
 * The message of an error body: the text of {"error":"..."}, or the
 * plain-text body itself ("404 page not found") trimmed of trailing
 * whitespace.  Malloc'd, NULL on ENOMEM.
 */
CMX_EXTERN char *cmx_partisci_error_message(const char *body, size_t len);

/* ------------------------------------------------------------------ */
/* Async: the client                                                    */

typedef struct cmx_partisci cmx_partisci;

/**
 * A client of the server at `base_url` ("http://host[:port]", default
 * port 7777); UDP updates go to the same host and port.  `era` picks the
 * API paths (AUTO: detected before the first query).  The client's default
 * host for updates is this machine's name.  Returns NULL with a reason in
 * `errbuf` on a bad URL or ENOMEM.  Nothing is sent here.
 */
CMX_EXTERN cmx_partisci *cmx_partisci_new(cmx_engine *engine,
                                          const char *base_url,
                                          cmx_partisci_era era, char *errbuf,
                                          size_t errlen);
/**
 * Release the client.  Calls in flight still end exactly once (their
 * callback then gets client == NULL); the client's memory goes when the
 * last one ended.  NULL is a no-op.
 */
CMX_EXTERN void cmx_partisci_free(cmx_partisci *c);

/** Default host name for updates whose host is NULL (copied; must pass the
 *  50-character rule). */
CMX_EXTERN int cmx_partisci_set_default_host(cmx_partisci *c, const char *host,
                                             char *errbuf, size_t errlen);
CMX_EXTERN const char *cmx_partisci_default_host(const cmx_partisci *c);
/** The era in use: AUTO until detection ended. */
CMX_EXTERN cmx_partisci_era cmx_partisci_get_era(const cmx_partisci *c);

/**
 * The outcome of one call, valid only during the callback.
 *  - code: CMX_OK; CMX_EINVAL never (refused before sending); CMX_EHTTP
 *    with `status` and `error` for a server error (415 bad update, 404
 *    unknown path, 405 wrong method); CMX_EPROTO when a 200 body has the
 *    wrong shape; transport codes (CMX_ECONNREFUSED, CMX_ETIMEDOUT...);
 *    for UDP sends CMX_OK means the kernel took the datagram (the server
 *    never answers over UDP).
 *  - error: the server's message ({"error":..} or the plain-text body) or
 *    the transport detail; "" on success.
 *  - exactly one of versions / apps / hosts / info is set for a query that
 *    succeeded (versions/apps/hosts may have n == 0).
 */
typedef struct cmx_partisci_result {
  int code;
  long status; /* HTTP status, 0 for UDP or no response */
  const char *error;
  size_t n;
  const cmx_partisci_version *versions;
  const cmx_partisci_app *apps;
  const cmx_partisci_host *hosts;
  const cmx_partisci_info *info;
} cmx_partisci_result;

/** Called exactly once per call that returned CMX_OK, from the loop.
 *  `c` is NULL when the client was freed meanwhile. */
typedef void (*cmx_partisci_cb)(cmx_partisci *c,
                                const cmx_partisci_result *res,
                                void *userdata);

/**
 * Send `u` as one UDP datagram (no reply; delivery not guaranteed).
 * Errors before sending: CMX_EINVAL with the rule in `errbuf` (nothing is
 * sent, `cb` never called), CMX_ENOMEM, CMX_ESHUTDOWN.
 */
CMX_EXTERN int cmx_partisci_send_udp(cmx_partisci *c,
                                     const cmx_partisci_update *u,
                                     cmx_partisci_cb cb, void *userdata,
                                     char *errbuf, size_t errlen);
/** Send `u` with POST update/ (200 empty body on success, 415 with the
 *  server's reason on a refused update).  Sent on the default lane of
 *  the server's URL; retried by the engine's rules for POST only (refused
 *  connections, 429, 503: cases where nothing was applied).  Errors before
 *  sending as for cmx_partisci_send_udp(). */
CMX_EXTERN int cmx_partisci_send_http(cmx_partisci *c,
                                      const cmx_partisci_update *u,
                                      cmx_partisci_cb cb, void *userdata,
                                      char *errbuf, size_t errlen);

/** Server version: GET _partisci/ (DOCUMENTED) or /debug/vars (LATER). */
CMX_EXTERN int cmx_partisci_info_get(cmx_partisci *c, cmx_partisci_cb cb,
                                     void *userdata);
/** Distinct apps with their host counts. */
CMX_EXTERN int cmx_partisci_apps(cmx_partisci *c, cmx_partisci_cb cb,
                                 void *userdata);
/** Distinct hosts (with app counts in the LATER era). */
CMX_EXTERN int cmx_partisci_hosts(cmx_partisci *c, cmx_partisci_cb cb,
                                  void *userdata);
/** Versions matching `f` (may be NULL: all); `f` is copied. */
CMX_EXTERN int cmx_partisci_versions(cmx_partisci *c,
                                     const cmx_partisci_filter *f,
                                     cmx_partisci_cb cb, void *userdata);
/**
 * DANGER: erase everything the server knows (POST _danger/clear/; the
 * server must run with -danger, else 404 from a fixed server or a silent
 * 200 no-op from the reference one).  Never sent by any other call.
 */
CMX_EXTERN int cmx_partisci_danger_clear_all_data(cmx_partisci *c,
                                                  cmx_partisci_cb cb,
                                                  void *userdata);

/* ------------------------------------------------------------------ */
/* The reporter: one update at start, then one every interval           */

/**
 * When the reporter sends next: the first send time start_ms + k *
 * interval strictly after now_ms (k >= 1), with `interval_ms` clamped to
 * [CMX_PARTISCI_MIN_INTERVAL_MS, CMX_PARTISCI_MAX_INTERVAL_MS].  A clock
 * behind start gives start + interval.  Pure; any millisecond origin.
 */
CMX_EXTERN uint64_t cmx_partisci_next_report_ms(uint64_t start_ms,
                                                uint64_t now_ms,
                                                uint64_t interval_ms);

typedef struct cmx_partisci_reporter cmx_partisci_reporter;

/** After each send: `code` as in cmx_partisci_result.  Optional. */
typedef void (*cmx_partisci_report_cb)(cmx_partisci_reporter *r,
                                       const cmx_partisci_result *res,
                                       void *userdata);

/**
 * Start reporting `u` (copied, validated now: CMX_EINVAL with the rule in
 * errbuf) through `c`: one update now, then one at every
 * cmx_partisci_next_report_ms() on the engine's loop (engine timers,
 * nothing blocks).  Due times are read from the engine's clock
 * (cmx_engine_now, which cmx_options_set_clock can replace): a process
 * that wakes up late sends once, not once per missed slot.  `interval_ms` 0
 * means 24 h; values outside 1 h..24 h are clamped.  `use_http` sends with
 * POST update/ instead of UDP.  The reporter keeps `c` alive (freeing c
 * meanwhile is allowed).  Returns NULL on error.
 */
CMX_EXTERN cmx_partisci_reporter *
cmx_partisci_reporter_start(cmx_partisci *c, const cmx_partisci_update *u,
                            uint64_t interval_ms, int use_http,
                            cmx_partisci_report_cb cb, void *userdata,
                            char *errbuf, size_t errlen);
/** Updates sent so far (callbacks that ran with CMX_OK) and attempted. */
CMX_EXTERN unsigned long
cmx_partisci_reporter_sent(const cmx_partisci_reporter *r);
CMX_EXTERN unsigned long
cmx_partisci_reporter_attempts(const cmx_partisci_reporter *r);
/**
 * Stop: no further send and no further callback.  The reporter is released
 * (at once, or when a send in flight ends).  Safe from the reporter's
 * callback and after the engine was freed.  NULL is a no-op.
 */
CMX_EXTERN void cmx_partisci_reporter_stop(cmx_partisci_reporter *r);

#ifdef __cplusplus
}
#endif

#endif /* CALLMUX_PARTISCI_H */
