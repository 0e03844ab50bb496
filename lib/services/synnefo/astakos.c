/* Synnefo module: Astakos authentication, catalog cache and endpoints. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "services/synnefo/internal.h"

char *cmx_synnefo_catalog_endpoint(json_object *catalog,
                                   const char *service_type,
                                   const char *version, char *errbuf,
                                   size_t errlen)
{
  size_t i, n, k, ne, matches = 0;
  json_object *svc = NULL, *eps, *hit = NULL, *url;

  if (!catalog || !json_object_is_type(catalog, json_type_array) ||
      !service_type) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "no service catalog");
    return NULL;
  }
  n = json_object_array_length(catalog);
  for (i = 0; i < n && !svc; i++) {
    json_object *s = json_object_array_get_idx(catalog, i), *t;
    if (json_object_object_get_ex(s, "type", &t) &&
        strcasecmp(json_object_get_string(t), service_type) == 0)
      svc = s;
  }
  if (!svc) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "Service type \"%s\" not in service catalog",
               service_type);
    return NULL;
  }
  if (json_object_object_get_ex(svc, "endpoints", &eps) &&
      json_object_is_type(eps, json_type_array)) {
    ne = json_object_array_length(eps);
    for (k = 0; k < ne; k++) {
      json_object *e = json_object_array_get_idx(eps, k), *v;
      if (version && (!json_object_object_get_ex(e, "versionId", &v) ||
                      strcasecmp(json_object_get_string(v), version) != 0))
        continue;
      matches++;
      hit = e;
    }
  }
  if (matches != 1) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "%zu endpoints match type %s%s%s", matches,
               service_type, version ? " and versionId " : "",
               version ? version : "");
    return NULL;
  }
  if (!json_object_object_get_ex(hit, "publicURL", &url)) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "endpoint of type %s has no publicURL",
               service_type);
    return NULL;
  }
  return cmx__syn_strdup(json_object_get_string(url));
}

static const char *default_version(const char *type)
{
  if (strcasecmp(type, "image") == 0)
    return "1.0";
  if (strcasecmp(type, "object-store") == 0)
    return "1";
  return "2.0"; /* identity, compute, network, volume */
}

char *cmx__syn_endpoint(cmx_synnefo *c, const char *type)
{
  json_object *a, *cat;
  char *url, *v;

  if (!c->access || !json_object_object_get_ex(c->access, "access", &a) ||
      !json_object_object_get_ex(a, "serviceCatalog", &cat)) {
    cmx__syn_fail(c, CMX_ENOTFOUND, "not authenticated");
    return NULL;
  }
  url = cmx_synnefo_catalog_endpoint(cat, type, NULL, c->err, sizeof(c->err));
  if (!url)
    return NULL;
  v = cmx_synnefo_versioned_url(url, default_version(type));
  free(url);
  return v;
}

const char *cmx_synnefo_user_uuid(const cmx_synnefo *c)
{
  json_object *a, *u, *id;

  if (c && c->access && json_object_object_get_ex(c->access, "access", &a) &&
      json_object_object_get_ex(a, "user", &u) &&
      json_object_object_get_ex(u, "id", &id))
    return json_object_get_string(id);
  return NULL;
}

static void run_pending(cmx_synnefo *c, const cmx_synnefo_result *r)
{
  cmx__syn_pending *p = c->pending, *n;

  c->pending = NULL;
  c->pending_tail = &c->pending;
  for (; p; p = n) {
    n = p->next;
    p->fn(c, r, p->arg);
    free(p);
  }
}

static void auth_done(cmx_call *call, const cmx_response *res, void *ud)
{
  cmx_synnefo *c = ud;
  cmx_synnefo_result r;
  cmx_service_error se;
  json_object *j, *a, *cat;

  (void)call;
  c->authing = 0;
  cmx__syn_result_from_response(&r, res);
  if (r.code == CMX_OK) {
    j = cmx_response_json(res);
    if (!j || !json_object_object_get_ex(j, "access", &a) ||
        !json_object_object_get_ex(a, "serviceCatalog", &cat)) {
      cmx__syn_result_error(&r, &se, CMX_EPROTO, r.http_status,
                            "Astakos answer lacks access.serviceCatalog");
    } else {
      if (c->access)
        json_object_put(c->access);
      c->access = json_object_get(j);
      r.json = j;
    }
  }
  run_pending(c, &r);
}

static int start_auth(cmx_synnefo *c)
{
  char *url = cmx__syn_printf("%s/tokens", c->auth_url);
  cmx_request *req;
  json_object *body = NULL, *tok, *auth;
  int rc;

  if (!url)
    return CMX_ENOMEM;
  req = cmx_request_new("POST", url);
  free(url);
  if (!req)
    return CMX_ENOMEM;
  body = json_object_new_object();
  auth = json_object_new_object();
  tok = json_object_new_object();
  if (!body || !auth || !tok) {
    json_object_put(body);
    json_object_put(auth);
    json_object_put(tok);
    cmx_request_free(req);
    return CMX_ENOMEM;
  }
  json_object_object_add(tok, "id", json_object_new_string(c->token));
  json_object_object_add(auth, "token", tok);
  json_object_object_add(body, "auth", auth);
  rc = cmx_request_add_secret_header(req, "X-Auth-Token", c->token);
  if (rc == CMX_OK)
    rc = cmx_request_set_body_json(req, body);
  if (rc == CMX_OK)
    rc = cmx_request_set_error_parser(req, cmx__syn_astakos_error_parser);
  if (rc == CMX_OK)
    rc = cmx_request_expect_json(req);
  if (rc == CMX_OK)
    rc = cmx_request_set_retry_safe(req, 1); /* authenticating is safe */
  json_object_put(body);
  if (rc != CMX_OK) {
    cmx_request_free(req);
    return rc;
  }
  rc = cmx_submit(c->engine, req, auth_done, c, NULL);
  if (rc == CMX_OK)
    c->authing = 1;
  return rc;
}

typedef struct deferred {
  cmx_synnefo *c;
  cmx__syn_cont fn;
  void *arg;
} deferred;

static void deferred_fire(cmx_engine *e, int code, void *ud)
{
  deferred *d = ud;
  cmx_synnefo_result r;
  cmx_service_error se;

  (void)e;
  if (code == CMX_OK) {
    memset(&r, 0, sizeof(r));
    r.detail = "";
    r.json = d->c->access;
  } else {
    cmx__syn_result_error(&r, &se, code, 0, cmx_strerror(code));
  }
  d->fn(d->c, &r, d->arg);
  free(d);
}

int cmx__syn_when_auth(cmx_synnefo *c, cmx__syn_cont fn, void *arg)
{
  cmx__syn_pending *p;
  int rc;

  if (c->access) {
    deferred *d = malloc(sizeof(*d));
    if (!d)
      return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
    d->c = c;
    d->fn = fn;
    d->arg = arg;
    rc = cmx_timer_start(c->engine, 0, deferred_fire, d, NULL);
    if (rc != CMX_OK) {
      free(d);
      return cmx__syn_fail(c, rc, "cannot start timer: %s", cmx_strerror(rc));
    }
    return CMX_OK;
  }
  p = malloc(sizeof(*p));
  if (!p)
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  if (!c->authing) {
    rc = start_auth(c);
    if (rc != CMX_OK) {
      free(p);
      return cmx__syn_fail(c, rc, "cannot submit authentication: %s",
                           cmx_strerror(rc));
    }
  }
  p->fn = fn;
  p->arg = arg;
  p->next = NULL;
  *c->pending_tail = p;
  c->pending_tail = &p->next;
  return CMX_OK;
}

/* ---- public calls ------------------------------------------------- */

typedef struct acall {
  cmx_synnefo_cb cb;
  void *ud;
  int what; /* 0 authenticate, 1 user_info, 2 endpoint */
  char *type, *version;
} acall;

static void acall_cont(cmx_synnefo *c, const cmx_synnefo_result *ar, void *arg)
{
  acall *a = arg;
  cmx_synnefo_result r;
  cmx_service_error se;
  json_object *acc, *user, *tok, *ten, *id, *cat, *out = NULL;
  char *url;

  if (ar->code != CMX_OK || a->what == 0) {
    if (ar->code == CMX_OK) {
      r = *ar;
      r.json = c->access;
      a->cb(c, &r, a->ud);
    } else {
      a->cb(c, ar, a->ud);
    }
    goto done;
  }
  json_object_object_get_ex(c->access, "access", &acc);
  if (a->what == 1) {
    if (!json_object_object_get_ex(acc, "user", &user)) {
      cmx__syn_result_error(&r, &se, CMX_EPROTO, 200,
                            "Astakos answer lacks access.user");
      a->cb(c, &r, a->ud);
      goto done;
    }
    json_object_deep_copy(user, &out, NULL);
    if (out && json_object_object_get_ex(acc, "token", &tok) &&
        json_object_object_get_ex(tok, "tenant", &ten) &&
        json_object_object_get_ex(ten, "id", &id))
      json_object_object_add(out, "default_project", json_object_get(id));
  } else {
    json_object_object_get_ex(acc, "serviceCatalog", &cat);
    url = cmx_synnefo_catalog_endpoint(cat, a->type, a->version, c->err,
                                       sizeof(c->err));
    if (!url) {
      cmx__syn_result_error(&r, &se, CMX_ENOTFOUND, 500, c->err);
      a->cb(c, &r, a->ud);
      goto done;
    }
    out = json_object_new_string(url);
    free(url);
  }
  if (!out) {
    cmx__syn_result_error(&r, &se, CMX_ENOMEM, 0, "out of memory");
    a->cb(c, &r, a->ud);
    goto done;
  }
  memset(&r, 0, sizeof(r));
  r.detail = "";
  r.http_status = 200;
  r.json = out;
  a->cb(c, &r, a->ud);
  json_object_put(out);
done:
  free(a->type);
  free(a->version);
  free(a);
}

static int astart(cmx_synnefo *c, int what, const char *type,
                  const char *version, cmx_synnefo_cb cb, void *ud)
{
  acall *a;
  int rc;

  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  if (what == 2 && (!type || !*type))
    return cmx__syn_fail(c, CMX_EINVAL,
                         "service_type: must be a non-empty string");
  a = calloc(1, sizeof(*a));
  if (!a)
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  a->cb = cb;
  a->ud = ud;
  a->what = what;
  a->type = type ? cmx__syn_strdup(type) : NULL;
  a->version = version ? cmx__syn_strdup(version) : NULL;
  if ((type && !a->type) || (version && !a->version)) {
    free(a->type);
    free(a->version);
    free(a);
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  }
  rc = cmx__syn_when_auth(c, acall_cont, a);
  if (rc != CMX_OK) {
    free(a->type);
    free(a->version);
    free(a);
  }
  return rc;
}

int cmx_synnefo_authenticate(cmx_synnefo *c, cmx_synnefo_cb cb, void *userdata)
{
  return astart(c, 0, NULL, NULL, cb, userdata);
}

int cmx_synnefo_user_info(cmx_synnefo *c, cmx_synnefo_cb cb, void *userdata)
{
  return astart(c, 1, NULL, NULL, cb, userdata);
}

int cmx_synnefo_get_endpoint_url(cmx_synnefo *c, const char *service_type,
                                 const char *version, cmx_synnefo_cb cb,
                                 void *userdata)
{
  return astart(c, 2, service_type, version, cb, userdata);
}
