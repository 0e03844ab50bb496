/* Synnefo module: the client object and the generic one-request call. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/synnefo/internal.h"

cmx_synnefo *cmx_synnefo_new(cmx_engine *engine, const char *auth_url,
                             const char *token, char *errbuf, size_t errlen)
{
  cmx_synnefo *c;
  const char *why = NULL;

  if (!engine)
    why = "engine: must not be NULL";
  else if (!auth_url || (strncmp(auth_url, "http://", 7) != 0 &&
                         strncmp(auth_url, "https://", 8) != 0))
    why = "auth_url: must be an absolute http(s) URL";
  else if (!token || !*token)
    why = "token: must be a non-empty string";
  else if (strpbrk(token, "\r\n"))
    why = "token: must not contain CR or LF";
  if (why) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "%s", why);
    return NULL;
  }
  c = calloc(1, sizeof(*c));
  if (!c)
    goto nomem;
  c->engine = engine;
  c->auth_url = cmx_synnefo_versioned_url(auth_url, NULL);
  c->token = cmx__syn_strdup(token);
  c->known_props = json_object_new_object();
  c->pending_tail = &c->pending;
  c->max_parallel = 8;
  if (!c->auth_url || !c->token || !c->known_props) {
    cmx_synnefo_free(c);
    goto nomem;
  }
  return c;
nomem:
  if (errbuf && errlen)
    snprintf(errbuf, errlen, "out of memory");
  return NULL;
}

void cmx_synnefo_free(cmx_synnefo *c)
{
  cmx__syn_pending *p, *n;

  if (!c)
    return;
  for (p = c->pending; p; p = n) {
    n = p->next;
    free(p);
  }
  free(c->auth_url);
  if (c->token) {
    memset(c->token, 0, strlen(c->token));
    free(c->token);
  }
  if (c->access)
    json_object_put(c->access);
  if (c->known_props)
    json_object_put(c->known_props);
  free(c);
}

const char *cmx_synnefo_last_error(const cmx_synnefo *c)
{
  return c ? c->err : "no client";
}

int cmx_synnefo_set_max_parallel(cmx_synnefo *c, unsigned n)
{
  if (!c)
    return CMX_EINVAL;
  if (n < 1 || n > 256)
    return cmx__syn_fail(c, CMX_EINVAL, "max_parallel: must be 1..256");
  c->max_parallel = n;
  return CMX_OK;
}

int cmx__syn_fail(cmx_synnefo *c, int code, const char *fmt, ...)
{
  va_list ap;

  if (c) {
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
  }
  return code;
}

cmx_request *cmx__syn_request(cmx_synnefo *c, const char *method,
                              const char *base, const char *path)
{
  char *url = path ? cmx_synnefo_join_url(base, path) : cmx__syn_strdup(base);
  cmx_request *req;

  if (!url)
    return NULL;
  req = cmx_request_new(method, url);
  free(url);
  if (!req)
    return NULL;
  if (cmx_request_add_secret_header(req, "X-Auth-Token", c->token) != CMX_OK ||
      cmx_request_set_error_parser(req, cmx_synnefo_error_parser) != CMX_OK) {
    cmx_request_free(req);
    return NULL;
  }
  return req;
}

void cmx__syn_result_from_response(cmx_synnefo_result *r,
                                   const cmx_response *res)
{
  memset(r, 0, sizeof(*r));
  r->code = cmx_response_code(res);
  r->http_status = cmx_response_status(res);
  r->detail = cmx_response_detail(res);
  r->error = cmx_response_service_error(res);
  if (!r->detail)
    r->detail = "";
}

void cmx__syn_result_error(cmx_synnefo_result *r, cmx_service_error *se,
                           int code, long status, const char *msg)
{
  memset(r, 0, sizeof(*r));
  memset(se, 0, sizeof(*se));
  r->code = code;
  r->http_status = status;
  r->detail = msg ? msg : "";
  se->status = status;
  se->message = r->detail;
  r->error = se;
}

/* ---- generic call --------------------------------------------------- */

typedef struct gcall {
  cmx__syn_call_spec s;
  cmx_synnefo *c;
  cmx_synnefo_cb cb;
  void *ud;
} gcall;

static void gcall_free(gcall *g)
{
  free(g->s.path);
  if (g->s.body)
    json_object_put(g->s.body);
  if (g->s.headers)
    json_object_put(g->s.headers);
  if (g->s.query)
    json_object_put(g->s.query);
  if (g->s.xform_arg_free)
    g->s.xform_arg_free(g->s.xform_arg);
  free(g);
}

static int accepted(const int *acc, long status)
{
  int i;

  for (i = 0; i < 4 && acc[i]; i++)
    if (acc[i] == status)
      return 1;
  return 0;
}

static void gcall_done(cmx_call *call, const cmx_response *res, void *ud)
{
  gcall *g = ud;
  cmx_synnefo_result r;
  cmx_service_error se;
  cmx_synnefo_fault f;
  json_object *result = NULL, *tmp = NULL;
  long status = cmx_response_status(res);
  int code = cmx_response_code(res);

  (void)call;
  memset(&f, 0, sizeof(f));
  cmx__syn_result_from_response(&r, res);
  if ((code == CMX_OK || code == CMX_EHTTP || code == CMX_EAUTH) &&
      accepted(g->s.accept, status)) {
    r.code = CMX_OK;
    r.error = NULL;
    r.detail = "";
    if (g->s.xform) {
      result = tmp = g->s.xform(res, g->s.xform_arg);
      if (!result)
        cmx__syn_result_error(&r, &se, CMX_ENOMEM, status, "out of memory");
    } else {
      json_object *j = cmx_response_json(res);
      size_t blen = 0;
      cmx_response_body(res, &blen);
      if (!j && g->s.want_json && blen > 0) {
        cmx__syn_result_error(&r, &se, CMX_EBADJSON, 0,
                              "Response not formated in JSON");
      } else if (j && g->s.unwrap) {
        if (!json_object_object_get_ex(j, g->s.unwrap, &result))
          cmx__syn_result_error(&r, &se, CMX_EPROTO, status,
                                "Response lacks the expected key");
      } else {
        result = j;
      }
    }
    r.json = result;
  } else if (code == CMX_OK) {
    /* a 2xx the call does not accept: kamaki raises ClientError */
    size_t blen = 0;
    const char *body = cmx_response_body(res, &blen);
    if (cmx_synnefo_fault_parse(status, NULL, body, blen, &f) == CMX_OK)
      cmx__syn_result_error(&r, &se, CMX_EPROTO, status, f.message);
    else
      cmx__syn_result_error(&r, &se, CMX_ENOMEM, status, "out of memory");
  }
  g->cb(g->c, &r, g->ud);
  cmx_synnefo_fault_clear(&f);
  if (tmp)
    json_object_put(tmp);
  gcall_free(g);
}

static int gcall_submit(gcall *g)
{
  cmx_synnefo *c = g->c;
  char *base = cmx__syn_endpoint(c, g->s.type);
  cmx_request *req;
  int rc;

  if (!base)
    return CMX_ENOTFOUND;
  if (g->s.user_prefix) {
    const char *u = cmx_synnefo_user_uuid(c);
    char *np = cmx__syn_printf("%s/%s", u ? u : "", g->s.path);
    if (!np) {
      free(base);
      return CMX_ENOMEM;
    }
    free(g->s.path);
    g->s.path = np;
    g->s.user_prefix = 0;
  }
  req = cmx__syn_request(c, g->s.method, base, g->s.path);
  free(base);
  if (!req)
    return CMX_ENOMEM;
  rc = CMX_OK;
  if (g->s.query) {
    json_object_object_foreach(g->s.query, k, v)
    {
      if (rc == CMX_OK)
        rc = cmx_request_add_query(req, k, json_object_get_string(v));
    }
  }
  if (g->s.headers) {
    json_object_object_foreach(g->s.headers, k, v)
    {
      if (rc == CMX_OK)
        rc = cmx_request_add_header(req, k, json_object_get_string(v));
    }
  }
  if (rc == CMX_OK && g->s.body && !g->s.content_type)
    rc = cmx_request_set_body_json(req, g->s.body);
  if (rc == CMX_OK && g->s.body && g->s.content_type) {
    const char *t =
        json_object_to_json_string_ext(g->s.body, JSON_C_TO_STRING_PLAIN);
    rc = cmx_request_set_body(req, t, strlen(t), g->s.content_type);
  }
  if (rc != CMX_OK) {
    cmx_request_free(req);
    return rc;
  }
  return cmx_submit(c->engine, req, gcall_done, g, NULL);
}

static void gcall_authed(cmx_synnefo *c, const cmx_synnefo_result *ar,
                         void *arg)
{
  gcall *g = arg;
  cmx_synnefo_result r;
  cmx_service_error se;
  int rc;

  if (ar->code != CMX_OK) {
    g->cb(c, ar, g->ud);
    gcall_free(g);
    return;
  }
  rc = gcall_submit(g);
  if (rc != CMX_OK) {
    cmx__syn_result_error(&r, &se, rc, 0,
                          rc == CMX_ENOTFOUND ? c->err : cmx_strerror(rc));
    g->cb(c, &r, g->ud);
    gcall_free(g);
  }
}

int cmx__syn_call(cmx_synnefo *c, cmx__syn_call_spec *spec, cmx_synnefo_cb cb,
                  void *userdata)
{
  gcall *g = calloc(1, sizeof(*g));
  int rc;

  if (!g) {
    gcall tmp;
    tmp.s = *spec;
    tmp.s.xform_arg_free = spec->xform_arg_free;
    {
      gcall *t = malloc(sizeof(*t));
      if (t) {
        *t = tmp;
        gcall_free(t);
      }
    }
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  }
  g->s = *spec;
  g->c = c;
  g->cb = cb;
  g->ud = userdata;
  rc = cmx__syn_when_auth(c, gcall_authed, g);
  if (rc != CMX_OK)
    gcall_free(g);
  return rc;
}
