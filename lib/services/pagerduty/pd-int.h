/* PagerDuty module: internal cross-file helpers. */
#ifndef CMX_PAGERDUTY_INT_H
#define CMX_PAGERDUTY_INT_H

#include <stdarg.h>
#include <stddef.h>

#include <callmux/pagerduty.h>

struct json_object;

#define CMX__PD_ERRLEN 256

/* errbuf printf (errbuf may be NULL). */
void cmx__pd_err(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Normalise `url` against `base` into a full URL (malloc'd) and, when
 * `path_out` is not NULL, the path without the query (malloc'd).
 * Returns CMX_OK, CMX_EINVAL (reason in errbuf) or CMX_ENOMEM. */
int cmx__pd_full_url(const char *base, const char *url, char **full,
                     char **path_out, char *errbuf, size_t errlen);

/* Append `params` (JSON object or NULL) to the request's query (list
 * values as repeated key[]).  CMX_EINVAL for nested objects. */
int cmx__pd_add_params(cmx_request *req, struct json_object *params,
                       char *errbuf, size_t errlen);

/* 1 for GET, POST, PUT, DELETE. */
int cmx__pd_method_ok(const char *method);

/* REST and events error body parsers. */
void cmx__pd_rest_error_parser(const cmx_response *res,
                               cmx_service_error *out);
void cmx__pd_events_error_parser(const cmx_response *res,
                                 cmx_service_error *out);

/* Lane name "<prefix>:<16 hex of FNV-1a of key>". */
void cmx__pd_lane_name(const char *prefix, const char *key, char *out,
                       size_t n);

/* Random UUID v4 text (37 bytes). */
void cmx__pd_uuid(char out[37]);

/* Last-segment test: 1 when the canonical path ends with a {param}. */
int cmx__pd_ends_with_param(const char *cpath);

/* Text of a scalar JSON value for comparison ("" for null); malloc'd. */
char *cmx__pd_json_text(struct json_object *v);

#endif /* CMX_PAGERDUTY_INT_H */

/* ---- REST session internals (rest.c) ---------------------------- */

struct cmx_pagerduty {
  cmx_engine *engine;
  char *auth_value; /* "Token token=..." / "Bearer ..." */
  char *base;
  char *from;
  char lane_name[64];
  cmx_lane *lane;
  uint64_t timeout_ms;
  unsigned refs;
  int freed;
  char last_error[CMX__PD_ERRLEN];
};

void cmx__pd_ref(cmx_pagerduty *pd);
void cmx__pd_unref(cmx_pagerduty *pd);

/* Build and submit one REST call; `cb` gets the raw response.  Returns
 * CMX_OK (cb called once from the loop) or an error with the reason in
 * pd->last_error (cb never called). */
typedef void (*cmx__pd_raw_cb)(cmx_pagerduty *pd, const cmx_response *res,
                               void *ud);
int cmx__pd_submit(cmx_pagerduty *pd, const char *method, const char *url,
                   struct json_object *params, struct json_object *body,
                   cmx__pd_raw_cb cb, void *ud, cmx_call **out);

/* Fill code, status, error, pd_code, detail and response of `r` from
 * `res`; `detail` is the buffer the detail text goes to. */
void cmx__pd_result_from(cmx_pagerduty_result *r, const cmx_response *res,
                         char *detail, size_t dlen);

/* Record a refusal: copy errbuf into last_error. */
void cmx__pd_set_last(char *last, const char *msg);

/* Call `fn(ud)` from the loop soon (a 0 ms timer).  CMX_OK or error. */
typedef void (*cmx__pd_later_fn)(void *ud);
int cmx__pd_later(cmx_engine *engine, cmx__pd_later_fn fn, void *ud);
