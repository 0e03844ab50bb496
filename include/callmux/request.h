/*
 * callmux: requests, calls and responses.
 *
 * Build a cmx_request, then cmx_submit() it.  cmx_submit() always takes
 * ownership of the request: on success it becomes the call, on failure it is
 * freed and the callback is never called.  Strings given to setters are
 * copied unless the function says "borrowed".
 */
#ifndef CALLMUX_REQUEST_H
#define CALLMUX_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <callmux/engine.h>
#include <callmux/error.h>
#include <callmux/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;

typedef struct cmx_request cmx_request;
typedef struct cmx_call cmx_call;
typedef struct cmx_response cmx_response;

/* ------------------------------------------------------------------ */
/* Building                                                             */

/**
 * A request for `method` ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH",
 * ... : upper-case token) on an absolute http:// or https:// `url`.
 * NULL on ENOMEM, a bad method or a URL that is not absolute http(s).
 */
CMX_EXTERN cmx_request *cmx_request_new(const char *method, const char *url);
/** Only for requests never submitted.  NULL is a no-op. */
CMX_EXTERN void cmx_request_free(cmx_request *req);

/**
 * Append `key=value` to the URL's query, percent-encoded (RFC 3986
 * unreserved characters kept, everything else %XX, so "a b&c" stays one
 * value).  Repeated keys are kept in order (PagerDuty's "ids[]").
 */
CMX_EXTERN int cmx_request_add_query(cmx_request *req, const char *key,
                                     const char *value);
/** Add a header.  Name must be a token, value without CR/LF (CMX_EINVAL). */
CMX_EXTERN int cmx_request_add_header(cmx_request *req, const char *name,
                                      const char *value);
/**
 * Add a credential header: never logged, never put in error text, and
 * dropped when a redirect leaves the original scheme+host+port.
 */
CMX_EXTERN int cmx_request_add_secret_header(cmx_request *req,
                                             const char *name,
                                             const char *value);

/** Body from memory, copied.  Sets Content-Type when `content_type`. */
CMX_EXTERN int cmx_request_set_body(cmx_request *req, const void *data,
                                    size_t len, const char *content_type);
/** Body from memory, borrowed: `free_fn(data)` (may be NULL) runs when the
 *  call ends.  The bytes must not change until then. */
CMX_EXTERN int cmx_request_set_body_borrowed(cmx_request *req,
                                             const void *data, size_t len,
                                             void (*free_fn)(void *),
                                             const char *content_type);
/** Body from memory, JSON text of `obj` (serialised now, compact). */
CMX_EXTERN int cmx_request_set_body_json(cmx_request *req,
                                         struct json_object *obj);
/**
 * Body from a file range, read with pread() as it is sent, never loaded
 * whole.  `fd` is borrowed: keep it open until the call ends.
 */
CMX_EXTERN int cmx_request_set_body_file(cmx_request *req, int fd,
                                         off_t offset, uint64_t length,
                                         const char *content_type);
/**
 * Body from a callback: fill up to `cap` bytes of `buf` starting at byte
 * `pos` of the body, return the count (0 only at the end) or -1 to abort
 * the call with CMX_EIO.  `pos` restarts at 0 when a retry resends.
 * `length` is the body size, or -1 for chunked transfer.
 */
typedef long (*cmx_body_read_fn)(void *buf, size_t cap, uint64_t pos,
                                 void *userdata);
CMX_EXTERN int cmx_request_set_body_cb(cmx_request *req, int64_t length,
                                       cmx_body_read_fn fn, void *userdata,
                                       const char *content_type);

/** Response body kept in memory up to `cap` bytes (default 64 MiB); a
 *  longer body ends the call with CMX_ETOOBIG. */
CMX_EXTERN int cmx_request_set_response_cap(cmx_request *req, size_t cap);
/**
 * Response body (2xx only) written with pwrite() to `fd` at `offset`
 * onwards; error bodies stay in memory for the service error.  `fd` is
 * borrowed.  A retry rewrites from `offset`.
 */
CMX_EXTERN int cmx_request_set_response_file(cmx_request *req, int fd,
                                             off_t offset);
/** Response body (2xx only) streamed to `fn`; return 0 to go on, -1 to
 *  abort with CMX_EIO.  A retry restarts at pos 0. */
typedef int (*cmx_body_write_fn)(const void *data, size_t len, uint64_t pos,
                                 void *userdata);
CMX_EXTERN int cmx_request_set_response_cb(cmx_request *req,
                                           cmx_body_write_fn fn,
                                           void *userdata);
/** A 2xx body that is not valid JSON ends the call with CMX_EBADJSON. */
CMX_EXTERN int cmx_request_expect_json(cmx_request *req);

/** Limit for one attempt, from admission to the end of the body. */
CMX_EXTERN int cmx_request_set_timeout_ms(cmx_request *req, uint64_t ms);
/** Overall limit from submit: queueing, every attempt and the backoff
 *  between them (CMX_ETIMEDOUT). 0 = none (default). */
CMX_EXTERN int cmx_request_set_deadline_ms(cmx_request *req, uint64_t ms);
/** Lane by name (see cmx_engine_lane); default: scheme://host:port. */
CMX_EXTERN int cmx_request_set_lane(cmx_request *req, const char *lane);
/** Interactive calls are admitted before queued bulk calls of the lane. */
CMX_EXTERN int cmx_request_set_interactive(cmx_request *req, int on);
/**
 * Allow retries of a non-idempotent method (the service dedups).  Without
 * it a POST or PATCH is retried only after a 429 or 503 (refused, not
 * applied) or a refused connection (nothing sent); after a drop, a timeout
 * or a 502/504 it ends with the error, since the service may have applied
 * it.  This also covers libcurl's own resend of a request whose reused
 * connection closed before any response byte: that resend is stopped
 * (CMX_ETRANSPORT) unless the call may be retried, and when it may, it
 * counts against the lane's retry budget.
 */
CMX_EXTERN int cmx_request_set_retry_safe(cmx_request *req, int on);
/** Never retry this call (not even libcurl's resend described above). */
CMX_EXTERN int cmx_request_set_no_retry(cmx_request *req, int on);
/**
 * Follow up to `max` redirects (default 0: a 3xx is returned as is).
 * Secret headers are dropped when a redirect changes scheme, host or port.
 */
CMX_EXTERN int cmx_request_set_follow(cmx_request *req, unsigned max);

/* ------------------------------------------------------------------ */
/* Service errors                                                       */

/**
 * A service's own error, parsed from a non-2xx body.  Owned by the
 * response: valid during the callback.
 */
typedef struct cmx_service_error {
  long status;                /* HTTP status */
  const char *kind;           /* service error code or class, may be NULL */
  const char *message;        /* human text, never NULL ("" when none) */
  const char *const *details; /* extra lines, `ndetails` of them */
  size_t ndetails;
} cmx_service_error;

/**
 * Parser of a service's error bodies, set by service modules.  Called on
 * the loop for every non-2xx final response.  Fill `out` with strings
 * made by cmx_response_strdup(), so they live as long as the response.
 */
typedef void (*cmx_error_parser)(const cmx_response *res,
                                 cmx_service_error *out);
CMX_EXTERN int cmx_request_set_error_parser(cmx_request *req,
                                            cmx_error_parser fn);

/* ------------------------------------------------------------------ */
/* Submitting                                                           */

/**
 * Completion callback, called exactly once per successful cmx_submit().
 * `res` is valid only during the callback.  cmx_response_code(res) is
 * CMX_OK for a 2xx (or any status when no error mapping applies: 3xx not
 * followed), CMX_EHTTP / CMX_EAUTH for error statuses, or the transport /
 * deadline / cancel code.
 */
typedef void (*cmx_done_fn)(cmx_call *call, const cmx_response *res,
                            void *userdata);

/**
 * Submit `req` (always consumed).  On CMX_OK, `*out` (if not NULL) is the
 * call handle, valid until its callback returns.  Errors: CMX_EINVAL,
 * CMX_EQUEUEFULL (the lane's queue is full), CMX_ESHUTDOWN, CMX_ENOMEM.
 */
CMX_EXTERN int cmx_submit(cmx_engine *engine, cmx_request *req, cmx_done_fn cb,
                          void *userdata, cmx_call **out);

/** End the call with CMX_ECANCELED, wherever it is (queued, in flight or in
 *  backoff).  Its callback runs from the loop, not inside this function.
 *  Cancelling a call already ending is a no-op. */
CMX_EXTERN void cmx_call_cancel(cmx_call *call);
CMX_EXTERN void *cmx_call_userdata(const cmx_call *call);

/* ------------------------------------------------------------------ */
/* Responses (valid during the completion callback)                     */

/** CMX_OK, or the negative cmx_code the call ended with (see error.h). */
CMX_EXTERN int cmx_response_code(const cmx_response *res);
/** HTTP status of the last attempt, 0 when none arrived. */
CMX_EXTERN long cmx_response_status(const cmx_response *res);
/** HTTP version of the last attempt's response: 10, 11, 20 (HTTP/2,
 *  negotiated over TLS when the server offers it) or 0 when none arrived. */
CMX_EXTERN int cmx_response_http_version(const cmx_response *res);
/** Header value (case-insensitive name; the last one when repeated), or
 *  NULL. */
CMX_EXTERN const char *cmx_response_header(const cmx_response *res,
                                           const char *name);
/** Body kept in memory (never NULL; "" when empty; NUL-terminated). */
CMX_EXTERN const char *cmx_response_body(const cmx_response *res, size_t *len);
/** Body parsed as JSON on first use; borrowed (json_object_get() to keep
 *  it).  NULL when the body is empty or not JSON. */
CMX_EXTERN struct json_object *cmx_response_json(const cmx_response *res);
/** Detail text for a failure ("" on success); never contains secrets. */
CMX_EXTERN const char *cmx_response_detail(const cmx_response *res);
CMX_EXTERN unsigned cmx_response_attempts(const cmx_response *res);
/** Parsed service error for error statuses, else NULL. */
CMX_EXTERN const cmx_service_error *
cmx_response_service_error(const cmx_response *res);
/** Method and URL of the call (the last URL after redirects). */
CMX_EXTERN const char *cmx_response_url(const cmx_response *res);
CMX_EXTERN const char *cmx_response_method(const cmx_response *res);
/** Bytes written to a file/callback sink, or kept in memory. */
CMX_EXTERN uint64_t cmx_response_body_bytes(const cmx_response *res);
/** Milliseconds from submit to completion. */
CMX_EXTERN uint64_t cmx_response_elapsed_ms(const cmx_response *res);
/** Copy `s` into memory owned by the response (for error parsers). */
CMX_EXTERN const char *cmx_response_strdup(const cmx_response *res,
                                           const char *s);

#ifdef __cplusplus
}
#endif

#endif /* CALLMUX_REQUEST_H */
