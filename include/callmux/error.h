/*
 * callmux: error codes.
 *
 * Every fallible function returns an int that is CMX_OK (0) or one of the
 * negative codes below.  The list is generated from one X-macro so the enum,
 * cmx_strerror() and cmx_code_name() can never disagree.  Numbers are never
 * reused: a code that goes away leaves its number behind.
 */
#ifndef CALLMUX_ERROR_H
#define CALLMUX_ERROR_H

#include <callmux/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

/* XX(NAME, number, message) */
#define CMX_ERRNO_MAP(XX)                                                     \
  XX(OK, 0, "success")                                                        \
  XX(EINVAL, -1, "invalid argument")                                          \
  XX(ENOMEM, -2, "out of memory")                                             \
  XX(ECANCELED, -3, "call cancelled")                                         \
  XX(ETIMEDOUT, -4, "deadline or timeout exceeded")                           \
  XX(ECONNREFUSED, -5, "connection refused")                                  \
  XX(ERESOLVE, -6, "host name could not be resolved")                         \
  XX(ETRANSPORT, -7, "connection failed or dropped")                          \
  XX(ETLS, -8, "TLS handshake or certificate verification failed")            \
  XX(ETRUNCATED, -9, "response body truncated")                               \
  XX(EBADJSON, -10, "response body is not valid JSON")                        \
  XX(EHTTP, -11, "service returned an error status")                          \
  XX(ETOOBIG, -12, "body larger than the allowed size")                       \
  XX(EQUEUEFULL, -13, "lane queue is full")                                   \
  XX(ESHUTDOWN, -14, "engine is draining or shutting down")                   \
  XX(ERATELIMIT, -15, "rate limited by the service, retries exhausted")       \
  XX(EIO, -16, "local I/O error on a file or body callback")                  \
  XX(EAUTH, -17, "authentication failed")                                     \
  XX(EPROTO, -18, "unexpected response from the service")                     \
  XX(EUNKNOWN, -19, "outcome unknown: the request may have been applied")     \
  XX(ENOTFOUND, -20, "no such item")                                          \
  XX(EBUSY, -21, "resource busy")                                             \
  XX(EINTERNAL, -22, "internal error")

typedef enum cmx_code {
#define CMX__ENUM(name, num, msg) CMX_##name = (num),
  CMX_ERRNO_MAP(CMX__ENUM)
#undef CMX__ENUM
} cmx_code;

/** Human-readable message for a code; never NULL ("unknown error code"). */
CMX_EXTERN const char *cmx_strerror(int code);

/** The code's name without prefix, e.g. "ETIMEDOUT"; never NULL ("UNKNOWN").
 */
CMX_EXTERN const char *cmx_code_name(int code);

#ifdef __cplusplus
}
#endif

#endif /* CALLMUX_ERROR_H */
