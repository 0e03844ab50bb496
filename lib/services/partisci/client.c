/*
 * Partisci, async: the client (updates by UDP or HTTP, the REST queries,
 * era auto-detection), built only on the engine's public API.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <callmux/request.h>

#include "services/partisci/partisci-int.h"

typedef struct op op;

struct cmx_partisci {
  cmx_engine *engine;
  char *base; /* http://host:port */
  char *udp_host;
  unsigned port;
  char *default_host;
  cmx_partisci_era cur; /* AUTO until detected */
  unsigned refs;
  int freed;
  int detecting;
  op *waiting, *waiting_tail; /* queries waiting for the era */
};

struct op {
  cmx_partisci *c;
  cmx_partisci_cb cb;
  void *ud;
  cmx_partisci_endpoint ep;
  int is_query;
  cmx_partisci_era era; /* era of the URL used */
  char *app_id, *host, *ver;
  int has_filter;
  op *next;
};

void cmx__partisci_ref(cmx_partisci *c)
{
  c->refs++;
}

void cmx__partisci_unref(cmx_partisci *c)
{
  if (--c->refs > 0)
    return;
  free(c->base);
  free(c->udp_host);
  free(c->default_host);
  free(c);
}

cmx_engine *cmx__partisci_engine(cmx_partisci *c)
{
  return c->engine;
}

cmx_partisci *cmx_partisci_new(cmx_engine *engine, const char *base_url,
                               cmx_partisci_era era, char *errbuf,
                               size_t errlen)
{
  cmx_partisci *c;
  char name[256];

  if (!engine) {
    cmx__partisci_err(errbuf, errlen, "engine: missing");
    return NULL;
  }
  if (era != CMX_PARTISCI_ERA_DOCUMENTED && era != CMX_PARTISCI_ERA_LATER &&
      era != CMX_PARTISCI_ERA_AUTO) {
    cmx__partisci_err(errbuf, errlen, "era: unknown value %d", (int)era);
    return NULL;
  }
  c = calloc(1, sizeof(*c));
  if (!c) {
    cmx__partisci_err(errbuf, errlen, "out of memory");
    return NULL;
  }
  c->engine = engine;
  c->cur = era;
  c->refs = 1;
  if (cmx__partisci_split_base(base_url, &c->base, &c->udp_host, &c->port) !=
      0) {
    cmx__partisci_err(errbuf, errlen,
                      "base_url: must be http(s)://host[:port] with no "
                      "path");
    free(c);
    return NULL;
  }
  if (gethostname(name, sizeof(name)) != 0)
    name[0] = '\0';
  name[sizeof(name) - 1] = '\0';
  c->default_host = strdup(name);
  if (!c->default_host) {
    cmx__partisci_unref(c);
    cmx__partisci_err(errbuf, errlen, "out of memory");
    return NULL;
  }
  return c;
}

void cmx_partisci_free(cmx_partisci *c)
{
  if (!c || c->freed)
    return;
  c->freed = 1;
  cmx__partisci_unref(c);
}

int cmx_partisci_set_default_host(cmx_partisci *c, const char *host,
                                  char *errbuf, size_t errlen)
{
  cmx_partisci_update probe = {"x", "x", host, 0};
  char *copy;

  if (!c || !host) {
    cmx__partisci_err(errbuf, errlen, "host: missing");
    return CMX_EINVAL;
  }
  if (cmx_partisci_update_validate(&probe, errbuf, errlen) != CMX_OK)
    return CMX_EINVAL;
  copy = strdup(host);
  if (!copy)
    return CMX_ENOMEM;
  free(c->default_host);
  c->default_host = copy;
  return CMX_OK;
}

const char *cmx_partisci_default_host(const cmx_partisci *c)
{
  return c ? c->default_host : NULL;
}

cmx_partisci_era cmx_partisci_get_era(const cmx_partisci *c)
{
  return c ? c->cur : CMX_PARTISCI_ERA_AUTO;
}

static void op_free(op *o)
{
  free(o->app_id);
  free(o->host);
  free(o->ver);
  free(o);
}

/* End `o`: call back with `r`, release.  From the loop only. */
static void op_finish(op *o, cmx_partisci_result *r)
{
  cmx_partisci *c = o->c;

  if (!r->error)
    r->error = "";
  if (o->cb)
    o->cb(c->freed ? NULL : c, r, o->ud);
  op_free(o);
  cmx__partisci_unref(c);
}

static void op_fail(op *o, int code, long status, const char *error)
{
  cmx_partisci_result r;

  memset(&r, 0, sizeof(r));
  r.code = code;
  r.status = status;
  r.error = error;
  op_finish(o, &r);
}

/* Message for a failed response: the service's own, else the detail. */
static const char *failure_text(const cmx_response *res)
{
  const cmx_service_error *se = cmx_response_service_error(res);

  if (se && se->message && *se->message)
    return se->message;
  return cmx_response_detail(res);
}

static void op_done(cmx_call *call, const cmx_response *res, void *ud)
{
  op *o = ud;
  cmx_partisci_result r;
  char err[256] = "";
  size_t len;
  const char *body;
  void *list = NULL;
  cmx_partisci_info info;

  (void)call;
  memset(&r, 0, sizeof(r));
  memset(&info, 0, sizeof(info));
  r.code = cmx_response_code(res);
  r.status = cmx_response_status(res);
  if (r.code != CMX_OK) {
    r.error = failure_text(res);
    op_finish(o, &r);
    return;
  }
  body = cmx_response_body(res, &len);
  switch (o->is_query ? o->ep : CMX_PARTISCI_EP_UPDATE) {
  case CMX_PARTISCI_EP_VERSIONS:
    r.code = cmx_partisci_parse_versions(
        body, len, (cmx_partisci_version **)&list, &r.n, err, sizeof(err));
    r.versions = list;
    break;
  case CMX_PARTISCI_EP_APPS:
    r.code = cmx_partisci_parse_apps(body, len, (cmx_partisci_app **)&list,
                                     &r.n, err, sizeof(err));
    r.apps = list;
    break;
  case CMX_PARTISCI_EP_HOSTS:
    r.code = cmx_partisci_parse_hosts(body, len, (cmx_partisci_host **)&list,
                                      &r.n, err, sizeof(err));
    r.hosts = list;
    break;
  case CMX_PARTISCI_EP_INFO:
    r.code =
        cmx_partisci_parse_info(body, len, o->era, &info, err, sizeof(err));
    if (r.code == CMX_OK)
      r.info = &info;
    break;
  default:
    break;
  }
  if (r.code != CMX_OK)
    r.error = err;
  {
    cmx_partisci_endpoint ep = o->ep;
    int q = o->is_query;

    op_finish(o, &r);
    if (q && ep == CMX_PARTISCI_EP_VERSIONS)
      cmx_partisci_versions_free(list, r.n);
    else if (q && ep == CMX_PARTISCI_EP_APPS)
      cmx_partisci_apps_free(list, r.n);
    else if (q && ep == CMX_PARTISCI_EP_HOSTS)
      cmx_partisci_hosts_free(list, r.n);
    cmx_partisci_info_clear(&info);
  }
}

/* Build and submit the HTTP request of `o` in the client's current era;
 * `body` (may be NULL) is copied.  On error `o` is left to the caller. */
static int op_submit(op *o, const char *body, size_t len)
{
  cmx_partisci *c = o->c;
  cmx_partisci_filter f = {o->app_id, o->host, o->ver};
  cmx_partisci_era era =
      c->cur == CMX_PARTISCI_ERA_AUTO ? CMX_PARTISCI_ERA_DOCUMENTED : c->cur;
  const char *method = "GET";
  cmx_request *req;
  char *url;
  int rc;

  o->era = era;
  if (o->ep == CMX_PARTISCI_EP_UPDATE || o->ep == CMX_PARTISCI_EP_CLEAR)
    method = "POST";
  url = cmx_partisci_url(c->base, era, o->ep, o->has_filter ? &f : NULL);
  if (!url)
    return CMX_ENOMEM;
  req = cmx_request_new(method, url);
  free(url);
  if (!req)
    return CMX_ENOMEM;
  rc = cmx_request_set_error_parser(req, cmx__partisci_error_parser);
  if (rc == CMX_OK && body)
    rc = cmx_request_set_body(req, body, len, "application/json");
  if (rc != CMX_OK) {
    cmx_request_free(req);
    return rc;
  }
  return cmx_submit(c->engine, req, op_done, o, NULL);
}

static op *op_new(cmx_partisci *c, cmx_partisci_endpoint ep, int is_query,
                  cmx_partisci_cb cb, void *ud)
{
  op *o = calloc(1, sizeof(*o));

  if (!o)
    return NULL;
  o->c = c;
  o->ep = ep;
  o->is_query = is_query;
  o->cb = cb;
  o->ud = ud;
  return o;
}

/* ---- era detection ---------------------------------------------- */

static void detect_done(cmx_call *call, const cmx_response *res, void *ud)
{
  cmx_partisci *c = ud;
  int code = cmx_response_code(res);
  long status = cmx_response_status(res);
  op *o, *next;

  (void)call;
  c->detecting = 0;
  if (code == CMX_OK && status == 200)
    c->cur = CMX_PARTISCI_ERA_DOCUMENTED;
  else if (status == 404)
    c->cur = CMX_PARTISCI_ERA_LATER;
  o = c->waiting;
  c->waiting = c->waiting_tail = NULL;
  for (; o; o = next) {
    next = o->next;
    o->next = NULL;
    if (c->cur == CMX_PARTISCI_ERA_AUTO) {
      char msg[300];

      snprintf(msg, sizeof(msg), "API era detection (GET _partisci/): %s",
               failure_text(res));
      op_fail(o, code == CMX_OK ? CMX_EPROTO : code, status, msg);
    } else {
      int rc = op_submit(o, NULL, 0);

      if (rc != CMX_OK)
        op_fail(o, rc, 0, cmx_strerror(rc));
    }
  }
  cmx__partisci_unref(c);
}

static int detect_start(cmx_partisci *c)
{
  cmx_request *req;
  char *url = cmx_partisci_url(c->base, CMX_PARTISCI_ERA_DOCUMENTED,
                               CMX_PARTISCI_EP_INFO, NULL);
  int rc;

  if (!url)
    return CMX_ENOMEM;
  req = cmx_request_new("GET", url);
  free(url);
  if (!req)
    return CMX_ENOMEM;
  cmx_request_set_error_parser(req, cmx__partisci_error_parser);
  rc = cmx_submit(c->engine, req, detect_done, c, NULL);
  if (rc == CMX_OK) {
    c->detecting = 1;
    cmx__partisci_ref(c);
  }
  return rc;
}

/* Start query `o` (already filled); on error `o` is freed. */
static int query_start(op *o)
{
  cmx_partisci *c = o->c;
  int rc;

  if (c->cur == CMX_PARTISCI_ERA_AUTO) {
    if (!c->detecting && (rc = detect_start(c)) != CMX_OK) {
      op_free(o);
      return rc;
    }
    if (c->waiting_tail)
      c->waiting_tail->next = o;
    else
      c->waiting = o;
    c->waiting_tail = o;
  } else if ((rc = op_submit(o, NULL, 0)) != CMX_OK) {
    op_free(o);
    return rc;
  }
  cmx__partisci_ref(c);
  return CMX_OK;
}

static int query(cmx_partisci *c, cmx_partisci_endpoint ep,
                 const cmx_partisci_filter *f, cmx_partisci_cb cb, void *ud)
{
  op *o;

  if (!c || c->freed)
    return CMX_EINVAL;
  o = op_new(c, ep, 1, cb, ud);
  if (!o)
    return CMX_ENOMEM;
  if (f) {
    o->has_filter = 1;
    if ((f->app_id && !(o->app_id = strdup(f->app_id))) ||
        (f->host && !(o->host = strdup(f->host))) ||
        (f->ver && !(o->ver = strdup(f->ver)))) {
      op_free(o);
      return CMX_ENOMEM;
    }
  }
  return query_start(o);
}

int cmx_partisci_info_get(cmx_partisci *c, cmx_partisci_cb cb, void *ud)
{
  return query(c, CMX_PARTISCI_EP_INFO, NULL, cb, ud);
}

int cmx_partisci_apps(cmx_partisci *c, cmx_partisci_cb cb, void *ud)
{
  return query(c, CMX_PARTISCI_EP_APPS, NULL, cb, ud);
}

int cmx_partisci_hosts(cmx_partisci *c, cmx_partisci_cb cb, void *ud)
{
  return query(c, CMX_PARTISCI_EP_HOSTS, NULL, cb, ud);
}

int cmx_partisci_versions(cmx_partisci *c, const cmx_partisci_filter *f,
                          cmx_partisci_cb cb, void *ud)
{
  return query(c, CMX_PARTISCI_EP_VERSIONS, f, cb, ud);
}

int cmx_partisci_danger_clear_all_data(cmx_partisci *c, cmx_partisci_cb cb,
                                       void *ud)
{
  op *o;
  int rc;

  if (!c || c->freed)
    return CMX_EINVAL;
  o = op_new(c, CMX_PARTISCI_EP_CLEAR, 0, cb, ud);
  if (!o)
    return CMX_ENOMEM;
  if ((rc = op_submit(o, NULL, 0)) != CMX_OK) {
    op_free(o);
    return rc;
  }
  cmx__partisci_ref(c);
  return CMX_OK;
}

/* ---- updates ----------------------------------------------------- */

static void udp_done(cmx_engine *e, int code, void *ud)
{
  op *o = ud;

  (void)e;
  op_fail(o, code, 0, code == CMX_OK ? "" : cmx_strerror(code));
}

int cmx__partisci_send(cmx_partisci *c, const cmx_partisci_update *u,
                       int use_http, cmx_partisci_cb cb, void *ud,
                       char *errbuf, size_t errlen)
{
  cmx_partisci_update full;
  char *data;
  size_t len;
  op *o;
  int rc;

  if (!c) {
    cmx__partisci_err(errbuf, errlen, "client: missing");
    return CMX_EINVAL;
  }
  if (!u) {
    cmx__partisci_err(errbuf, errlen, "update: missing");
    return CMX_EINVAL;
  }
  full = *u;
  if (!full.host)
    full.host = c->default_host;
  data = cmx_partisci_update_encode(&full, &len, errbuf, errlen);
  if (!data)
    return cmx_partisci_update_validate(&full, NULL, 0) != CMX_OK ? CMX_EINVAL
                                                                  : CMX_ENOMEM;
  o = op_new(c, CMX_PARTISCI_EP_UPDATE, 0, cb, ud);
  if (!o) {
    free(data);
    return CMX_ENOMEM;
  }
  if (use_http)
    rc = op_submit(o, data, len);
  else
    rc = cmx_udp_send(c->engine, c->udp_host, c->port, data, len, udp_done, o);
  free(data);
  if (rc != CMX_OK) {
    op_free(o);
    cmx__partisci_err(errbuf, errlen, "%s", cmx_strerror(rc));
    return rc;
  }
  cmx__partisci_ref(c);
  return CMX_OK;
}

/* The public calls refuse a freed client; the reporter, which holds a
 * reference, may still send through one. */
static int usable(const cmx_partisci *c, char *errbuf, size_t errlen)
{
  if (c && !c->freed)
    return 1;
  cmx__partisci_err(errbuf, errlen, "client: missing or freed");
  return 0;
}

int cmx_partisci_send_udp(cmx_partisci *c, const cmx_partisci_update *u,
                          cmx_partisci_cb cb, void *ud, char *errbuf,
                          size_t errlen)
{
  if (!usable(c, errbuf, errlen))
    return CMX_EINVAL;
  return cmx__partisci_send(c, u, 0, cb, ud, errbuf, errlen);
}

int cmx_partisci_send_http(cmx_partisci *c, const cmx_partisci_update *u,
                           cmx_partisci_cb cb, void *ud, char *errbuf,
                           size_t errlen)
{
  if (!usable(c, errbuf, errlen))
    return CMX_EINVAL;
  return cmx__partisci_send(c, u, 1, cb, ud, errbuf, errlen);
}
