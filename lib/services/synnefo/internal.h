/* Synnefo module: internal declarations shared by its files. */
#ifndef CMX_SYNNEFO_INTERNAL_H
#define CMX_SYNNEFO_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <callmux/synnefo.h>

/* Continuation run once authentication ended (code CMX_OK or the error,
 * with `r` describing the failure). */
typedef void (*cmx__syn_cont)(cmx_synnefo *c, const cmx_synnefo_result *r,
                              void *arg);

typedef struct cmx__syn_pending {
  cmx__syn_cont fn;
  void *arg;
  struct cmx__syn_pending *next;
} cmx__syn_pending;

struct cmx_synnefo {
  cmx_engine *engine;
  char *auth_url;
  char *token;
  json_object *access; /* cached authentication answer */
  int authing;
  cmx__syn_pending *pending, **pending_tail;
  unsigned max_parallel;
  json_object *known_props; /* image property keys seen (object: key->1) */
  char err[256];
};

/* client.c */
int cmx__syn_fail(cmx_synnefo *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Run `fn` once the client is authenticated.  Returns CMX_OK when `fn`
 * will run (from the loop, or right now when `now_ok` and already
 * authenticated: then its CMX_OK code is synchronous). */
int cmx__syn_when_auth(cmx_synnefo *c, cmx__syn_cont fn, void *arg);
/* Endpoint URL with the version suffix for `type` (cached catalog). */
char *cmx__syn_endpoint(cmx_synnefo *c, const char *type);
/* A request on `base`+`path` with the token, error parser and lane. */
cmx_request *cmx__syn_request(cmx_synnefo *c, const char *method,
                              const char *base, const char *path);
/* Deliver a result to a user callback. */
void cmx__syn_result_from_response(cmx_synnefo_result *r,
                                   const cmx_response *res);
void cmx__syn_result_error(cmx_synnefo_result *r, cmx_service_error *se,
                           int code, long status, const char *msg);

/* Generic one-request call: `accept` lists the accepted statuses (0
 * terminated); `unwrap` the key whose value is the result (NULL: the
 * whole JSON); `xform` builds the result from the response instead. */
typedef json_object *(*cmx__syn_xform)(const cmx_response *res, void *arg);
typedef struct cmx__syn_call_spec {
  const char *type; /* service type for the endpoint */
  const char *method;
  char *path;           /* owned by the call spec; freed */
  json_object *body;    /* owned; JSON body */
  json_object *headers; /* owned; object name -> string */
  json_object *query;   /* owned; object key -> string ("" = bare key) */
  int accept[4];
  const char *unwrap;
  int want_json;            /* body must be JSON */
  int user_prefix;          /* prepend "<user uuid>/" to path at send time */
  const char *content_type; /* with body: overrides application/json */
  cmx__syn_xform xform;
  void *xform_arg;
  void (*xform_arg_free)(void *);
} cmx__syn_call_spec;
/* Takes ownership of the spec's owned members even on failure. */
int cmx__syn_call(cmx_synnefo *c, cmx__syn_call_spec *spec, cmx_synnefo_cb cb,
                  void *userdata);

/* pithos.c */
int cmx__syn_container_ok(cmx_synnefo *c, const char *container);
int cmx__syn_object_ok(cmx_synnefo *c, const char *object);

/* url.c */
char *cmx__syn_quote(const char *s, const char *keep);
char *cmx__syn_strdup(const char *s);
char *cmx__syn_printf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
int cmx__syn_is_digits(const char *s);

/* errors.c: Astakos errors (message = reason, details = raw body) */
void cmx__syn_astakos_error_parser(const cmx_response *res,
                                   cmx_service_error *out);

/* hashmap.c */
size_t cmx__syn_strip_len(const unsigned char *p, size_t len);

#endif
