/*
 * PagerDuty, async: the REST session, raw calls and entity-wrapping calls
 * (with the multi-update split), built only on the engine's public API.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <callmux/version.h>

#include "services/pagerduty/pd-int.h"

#define PD_USER_AGENT "callmux/" CMX_VERSION

void cmx__pd_set_last(char *last, const char *msg)
{
  snprintf(last, CMX__PD_ERRLEN, "%s", msg ? msg : "");
}

void cmx__pd_ref(cmx_pagerduty *pd)
{
  pd->refs++;
}

void cmx__pd_unref(cmx_pagerduty *pd)
{
  if (--pd->refs > 0)
    return;
  free(pd->auth_value);
  free(pd->base);
  free(pd->from);
  free(pd);
}

typedef struct later {
  cmx__pd_later_fn fn;
  void *ud;
} later;

static void later_fire(cmx_engine *engine, int code, void *ud)
{
  later *l = ud;

  (void)engine;
  (void)code;
  l->fn(l->ud);
  free(l);
}

int cmx__pd_later(cmx_engine *engine, cmx__pd_later_fn fn, void *ud)
{
  later *l = malloc(sizeof(*l));
  int rc;

  if (!l)
    return CMX_ENOMEM;
  l->fn = fn;
  l->ud = ud;
  rc = cmx_timer_start(engine, 0, later_fire, l, NULL);
  if (rc != CMX_OK)
    free(l);
  return rc;
}

static int bad_text(const char *s)
{
  return !s || !*s || strchr(s, '\r') || strchr(s, '\n');
}

cmx_pagerduty *cmx_pagerduty_new(cmx_engine *engine, const char *api_key,
                                 cmx_pagerduty_auth auth, char *errbuf,
                                 size_t errlen)
{
  cmx_pagerduty *pd;
  cmx_retry_policy rp;
  size_t n;

  if (!engine) {
    cmx__pd_err(errbuf, errlen, "engine: missing");
    return NULL;
  }
  if (bad_text(api_key)) {
    cmx__pd_err(errbuf, errlen,
                "api_key: required, a non-empty string without CR/LF");
    return NULL;
  }
  if (auth != CMX_PAGERDUTY_AUTH_TOKEN && auth != CMX_PAGERDUTY_AUTH_BEARER) {
    cmx__pd_err(errbuf, errlen, "auth: must be TOKEN or BEARER");
    return NULL;
  }
  pd = calloc(1, sizeof(*pd));
  if (!pd)
    goto nomem;
  pd->engine = engine;
  pd->refs = 1;
  pd->timeout_ms = 60000;
  n = strlen(api_key) + 16;
  pd->auth_value = malloc(n);
  pd->base = strdup(CMX_PAGERDUTY_BASE_URL);
  if (!pd->auth_value || !pd->base)
    goto nomem;
  snprintf(pd->auth_value, n, "%s%s",
           auth == CMX_PAGERDUTY_AUTH_TOKEN ? "Token token=" : "Bearer ",
           api_key);
  cmx__pd_lane_name("pagerduty", api_key, pd->lane_name,
                    sizeof(pd->lane_name));
  pd->lane = cmx_engine_lane(engine, pd->lane_name);
  if (!pd->lane)
    goto nomem;
  cmx_lane_set_rate(pd->lane, CMX_PAGERDUTY_REST_PER_MINUTE / 60.0, 16);
  cmx_retry_policy_default(&rp);
  rp.max_attempts = 5;
  rp.retry_500 = 1;
  cmx_lane_set_retry(pd->lane, &rp);
  return pd;
nomem:
  if (pd) {
    free(pd->auth_value);
    free(pd->base);
    free(pd);
  }
  cmx__pd_err(errbuf, errlen, "out of memory");
  return NULL;
}

void cmx_pagerduty_free(cmx_pagerduty *pd)
{
  if (!pd || pd->freed)
    return;
  pd->freed = 1;
  cmx__pd_unref(pd);
}

static int set_url(char **dst, const char *url, char *last)
{
  char *c;
  size_t n;

  if (!url ||
      (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
      strchr(url, '?')) {
    cmx__pd_set_last(last, "base_url: must be an http:// or https:// URL "
                           "without a query");
    return CMX_EINVAL;
  }
  c = strdup(url);
  if (!c)
    return CMX_ENOMEM;
  n = strlen(c);
  while (n > 8 && c[n - 1] == '/')
    c[--n] = '\0';
  free(*dst);
  *dst = c;
  return CMX_OK;
}

int cmx_pagerduty_set_base_url(cmx_pagerduty *pd, const char *url)
{
  if (!pd)
    return CMX_EINVAL;
  return set_url(&pd->base, url, pd->last_error);
}

int cmx_pagerduty_set_default_from(cmx_pagerduty *pd, const char *email)
{
  char *c = NULL;

  if (!pd)
    return CMX_EINVAL;
  if (email) {
    if (strchr(email, '\r') || strchr(email, '\n')) {
      cmx__pd_set_last(pd->last_error, "default_from: must not contain "
                                       "CR/LF");
      return CMX_EINVAL;
    }
    c = strdup(email);
    if (!c)
      return CMX_ENOMEM;
  }
  free(pd->from);
  pd->from = c;
  return CMX_OK;
}

int cmx_pagerduty_set_rate(cmx_pagerduty *pd, double per_minute,
                           unsigned burst)
{
  if (!pd || per_minute < 0) {
    if (pd)
      cmx__pd_set_last(pd->last_error, "per_minute: must be >= 0");
    return CMX_EINVAL;
  }
  return cmx_lane_set_rate(pd->lane, per_minute / 60.0, burst);
}

int cmx_pagerduty_set_retry(cmx_pagerduty *pd, const cmx_retry_policy *p)
{
  if (!pd || !p || p->max_attempts < 1) {
    if (pd)
      cmx__pd_set_last(pd->last_error,
                       "retry.max_attempts: must be at least 1 (bounded)");
    return CMX_EINVAL;
  }
  return cmx_lane_set_retry(pd->lane, p);
}

int cmx_pagerduty_set_timeout_ms(cmx_pagerduty *pd, uint64_t ms)
{
  if (!pd || ms == 0)
    return CMX_EINVAL;
  pd->timeout_ms = ms;
  return CMX_OK;
}

cmx_lane *cmx_pagerduty_lane(cmx_pagerduty *pd)
{
  return pd ? pd->lane : NULL;
}

const char *cmx_pagerduty_last_error(const cmx_pagerduty *pd)
{
  return pd ? pd->last_error : "";
}

/* ---- one call ----------------------------------------------------- */

typedef struct raw_op {
  cmx_pagerduty *pd;
  cmx__pd_raw_cb cb;
  void *ud;
} raw_op;

static void raw_done(cmx_call *call, const cmx_response *res, void *ud)
{
  raw_op *op = ud;
  cmx_pagerduty *pd = op->pd;

  (void)call;
  op->cb(pd, res, op->ud);
  free(op);
  cmx__pd_unref(pd);
}

int cmx__pd_submit(cmx_pagerduty *pd, const char *method, const char *url,
                   struct json_object *params, struct json_object *body,
                   cmx__pd_raw_cb cb, void *ud, cmx_call **out)
{
  char err[CMX__PD_ERRLEN] = "";
  char *full = NULL;
  cmx_request *req = NULL;
  raw_op *op = NULL;
  int rc, writes;

  if (!cmx__pd_method_ok(method)) {
    snprintf(err, sizeof(err),
             "method: %s not supported by this API (GET, POST, PUT, DELETE)",
             method ? method : "(null)");
    rc = CMX_EINVAL;
    goto fail;
  }
  writes = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
  if (body && !writes) {
    snprintf(err, sizeof(err), "body: only POST and PUT carry a body");
    rc = CMX_EINVAL;
    goto fail;
  }
  rc = cmx__pd_full_url(pd->base, url, &full, NULL, err, sizeof(err));
  if (rc != CMX_OK)
    goto fail;
  req = cmx_request_new(method, full);
  if (!req) {
    snprintf(err, sizeof(err), "url: not a valid absolute URL");
    rc = CMX_EINVAL;
    goto fail;
  }
  rc = cmx__pd_add_params(req, params, err, sizeof(err));
  if (rc != CMX_OK)
    goto fail;
  rc = CMX_ENOMEM;
  if (cmx_request_add_secret_header(req, "Authorization", pd->auth_value) ||
      cmx_request_add_header(req, "Accept", CMX_PAGERDUTY_ACCEPT) ||
      cmx_request_add_header(req, "User-Agent", PD_USER_AGENT) ||
      (pd->from && cmx_request_add_header(req, "From", pd->from)) ||
      cmx_request_set_lane(req, pd->lane_name) ||
      cmx_request_set_timeout_ms(req, pd->timeout_ms) ||
      cmx_request_set_error_parser(req, cmx__pd_rest_error_parser))
    goto fail;
  if (body) {
    if (cmx_request_set_body_json(req, body) != CMX_OK)
      goto fail;
  } else if (writes) {
    if (cmx_request_add_header(req, "Content-Type", "application/json"))
      goto fail;
  }
  op = malloc(sizeof(*op));
  if (!op)
    goto fail;
  op->pd = pd;
  op->cb = cb;
  op->ud = ud;
  free(full);
  rc = cmx_submit(pd->engine, req, raw_done, op, out);
  if (rc != CMX_OK) {
    free(op);
    snprintf(err, sizeof(err), "submit: %s", cmx_strerror(rc));
    cmx__pd_set_last(pd->last_error, err);
    return rc;
  }
  cmx__pd_ref(pd);
  return CMX_OK;
fail:
  if (rc == CMX_ENOMEM && !err[0])
    snprintf(err, sizeof(err), "out of memory");
  cmx__pd_set_last(pd->last_error, err);
  cmx_request_free(req);
  free(full);
  free(op);
  return rc;
}

void cmx__pd_result_from(cmx_pagerduty_result *r, const cmx_response *res,
                         char *detail, size_t dlen)
{
  const char *u = cmx_response_url(res), *q;
  const cmx_service_error *se;
  long st = cmx_response_status(res);
  int ulen;

  r->response = res;
  r->status = st;
  r->code = cmx_response_code(res);
  r->detail = detail;
  r->total = -1;
  detail[0] = '\0';
  if (r->code == CMX_OK && (st < 400 || st == 0))
    return;
  if (r->code == CMX_OK)
    r->code = st == 401 ? CMX_EAUTH : CMX_EHTTP;
  if (st == 429)
    r->code = CMX_ERATELIMIT;
  se = cmx_response_service_error(res);
  r->error = se;
  if (se && se->kind)
    r->pd_code = atol(se->kind);
  q = u ? strchr(u, '?') : NULL;
  ulen = u ? (q ? (int)(q - u) : (int)strlen(u)) : 0;
  if (st == 401) {
    snprintf(detail, dlen,
             "%s %.*s: Received 401 Unauthorized response from the API. The "
             "key may be invalid or deactivated.",
             cmx_response_method(res), ulen, u ? u : "");
  } else if (st >= 400) {
    snprintf(detail, dlen,
             "%s %.*s: API responded with %s error (status %ld)%s%s%s%s",
             cmx_response_method(res), ulen, u ? u : "",
             st / 100 == 4   ? "client"
             : st / 100 == 5 ? "server"
                             : "unknown",
             st, se && se->message && *se->message ? ": " : "",
             se && se->message ? se->message : "",
             se && se->kind ? " (code " : "", se && se->kind ? se->kind : "");
    if (se && se->kind) {
      size_t l = strlen(detail);
      if (l + 1 < dlen) {
        detail[l] = ')';
        detail[l + 1] = '\0';
      }
    }
  } else {
    snprintf(detail, dlen, "%s %.*s: %s", cmx_response_method(res), ulen,
             u ? u : "",
             *cmx_response_detail(res) ? cmx_response_detail(res)
                                       : cmx_strerror(r->code));
  }
}

/* ---- raw and wrapped calls --------------------------------------- */

typedef struct call_op {
  cmx_pagerduty *pd;
  cmx_pagerduty_cb cb;
  void *ud;
  int wrapped;
  char resw[64];
  /* multi-update */
  struct json_object *items; /* the whole list (own copy) */
  size_t next, nitems;
  struct json_object *acc;
  char *url;
  char detail[512];
} call_op;

static void call_op_free(call_op *op)
{
  json_object_put(op->items);
  json_object_put(op->acc);
  free(op->url);
  free(op);
}

/* Body of a 2xx: NULL when empty; -1 when not JSON. */
static int decoded(const cmx_response *res, struct json_object **out)
{
  size_t len = 0;
  const char *b = cmx_response_body(res, &len);
  size_t i;

  *out = NULL;
  for (i = 0; i < len; i++)
    if (b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t')
      break;
  if (i == len)
    return 0;
  *out = cmx_response_json(res);
  return *out ? 0 : -1;
}

static void raw_finish(cmx_pagerduty *pd, const cmx_response *res, void *ud)
{
  call_op *op = ud;
  cmx_pagerduty_result r;
  struct json_object *body = NULL, *v;

  memset(&r, 0, sizeof(r));
  cmx__pd_result_from(&r, res, op->detail, sizeof(op->detail));
  if (r.code == CMX_OK) {
    if (decoded(res, &body) != 0) {
      r.code = CMX_EPROTO;
      snprintf(op->detail, sizeof(op->detail),
               "%s %s: API responded with invalid JSON",
               cmx_response_method(res), op->url ? op->url : "");
    } else if (op->wrapped && op->resw[0] && body) {
      if (!json_object_is_type(body, json_type_object) ||
          !json_object_object_get_ex(body, op->resw, &v)) {
        r.code = CMX_EPROTO;
        snprintf(op->detail, sizeof(op->detail),
                 "%s %s: expected the response body to be an object with "
                 "the key \"%s\"",
                 cmx_response_method(res), op->url ? op->url : "", op->resw);
      } else {
        r.value = v;
      }
    } else {
      r.value = body;
    }
  } else {
    r.value = cmx_response_json(res);
  }
  op->cb(pd, &r, op->ud);
  call_op_free(op);
}

static int multi_next(call_op *op);

static void multi_done(cmx_pagerduty *pd, const cmx_response *res, void *ud)
{
  call_op *op = ud;
  cmx_pagerduty_result r;
  struct json_object *body = NULL, *v;
  size_t i, n;
  int rc;

  memset(&r, 0, sizeof(r));
  cmx__pd_result_from(&r, res, op->detail, sizeof(op->detail));
  if (r.code == CMX_OK) {
    if (decoded(res, &body) != 0 || !body ||
        !json_object_is_type(body, json_type_object) ||
        !json_object_object_get_ex(body, "incidents", &v) ||
        !json_object_is_type(v, json_type_array)) {
      r.code = CMX_EPROTO;
      snprintf(op->detail, sizeof(op->detail),
               "PUT /incidents: expected the response body to be an object "
               "with the list \"incidents\"");
    } else {
      n = json_object_array_length(v);
      for (i = 0; i < n; i++)
        json_object_array_add(
            op->acc, json_object_get(json_object_array_get_idx(v, i)));
    }
  }
  if (r.code == CMX_OK && op->next < op->nitems) {
    rc = multi_next(op);
    if (rc == CMX_OK)
      return;
    r.code = rc;
    snprintf(op->detail, sizeof(op->detail), "%s", pd->last_error);
  }
  if (r.code != CMX_OK) {
    size_t l = strlen(op->detail);
    snprintf(op->detail + l, sizeof(op->detail) - l,
             " [multi-update: %zu of %zu items done]",
             json_object_array_length(op->acc), op->nitems);
  }
  r.value = op->acc;
  r.count = json_object_array_length(op->acc);
  op->cb(pd, &r, op->ud);
  call_op_free(op);
}

static int multi_next(call_op *op)
{
  struct json_object *chunk = json_object_new_array(), *body;
  size_t end = op->next + CMX_PAGERDUTY_MULTI_UPDATE_MAX, i;
  int rc;

  if (end > op->nitems)
    end = op->nitems;
  body = json_object_new_object();
  if (!chunk || !body) {
    json_object_put(chunk);
    json_object_put(body);
    return CMX_ENOMEM;
  }
  for (i = op->next; i < end; i++)
    json_object_array_add(
        chunk, json_object_get(json_object_array_get_idx(op->items, i)));
  json_object_object_add(body, "incidents", chunk);
  rc =
      cmx__pd_submit(op->pd, "PUT", op->url, NULL, body, multi_done, op, NULL);
  json_object_put(body);
  if (rc == CMX_OK)
    op->next = end;
  return rc;
}

static call_op *call_op_new(cmx_pagerduty *pd, cmx_pagerduty_cb cb, void *ud,
                            const char *url)
{
  call_op *op = calloc(1, sizeof(*op));

  if (!op)
    return NULL;
  op->pd = pd;
  op->cb = cb;
  op->ud = ud;
  op->url = strdup(url);
  if (!op->url) {
    free(op);
    return NULL;
  }
  return op;
}

int cmx_pagerduty_request(cmx_pagerduty *pd, const char *method,
                          const char *url, struct json_object *params,
                          struct json_object *body, cmx_pagerduty_cb cb,
                          void *ud)
{
  call_op *op;
  int rc;

  if (!pd || !cb || !url) {
    if (pd)
      cmx__pd_set_last(pd->last_error, "url and cb: required");
    return CMX_EINVAL;
  }
  op = call_op_new(pd, cb, ud, url);
  if (!op)
    return CMX_ENOMEM;
  rc = cmx__pd_submit(pd, method, url, params, body, raw_finish, op, NULL);
  if (rc != CMX_OK)
    call_op_free(op);
  return rc;
}

/* Is `name` already "in" body: a key of an object, an element (string)
 * of an array. */
static int already_wrapped(struct json_object *body, const char *name)
{
  size_t i, n;

  if (json_object_is_type(body, json_type_object))
    return json_object_object_get_ex(body, name, NULL);
  if (json_object_is_type(body, json_type_array)) {
    n = json_object_array_length(body);
    for (i = 0; i < n; i++) {
      struct json_object *e = json_object_array_get_idx(body, i);
      if (json_object_is_type(e, json_type_string) &&
          strcmp(json_object_get_string(e), name) == 0)
        return 1;
    }
  }
  return 0;
}

int cmx_pagerduty_rrequest(cmx_pagerduty *pd, const char *method,
                           const char *url, struct json_object *params,
                           struct json_object *body, cmx_pagerduty_cb cb,
                           void *ud)
{
  char cpath[256], reqw[64], resw[64], msg[CMX__PD_ERRLEN];
  struct json_object *send = NULL, *list = NULL;
  call_op *op;
  int rc;

  if (!pd || !cb || !url) {
    if (pd)
      cmx__pd_set_last(pd->last_error, "url and cb: required");
    return CMX_EINVAL;
  }
  if (!cmx__pd_method_ok(method)) {
    snprintf(msg, sizeof(msg),
             "method: %s not supported by this API (GET, POST, PUT, DELETE)",
             method ? method : "(null)");
    cmx__pd_set_last(pd->last_error, msg);
    return CMX_EINVAL;
  }
  if (cmx_pagerduty_canonical_path(pd->base, url, cpath, sizeof(cpath)) !=
      CMX_OK) {
    snprintf(msg, sizeof(msg),
             "url: %.120s matches no canonical API path (or several)", url);
    cmx__pd_set_last(pd->last_error, msg);
    return CMX_EINVAL;
  }
  cmx_pagerduty_wrappers(method, cpath, reqw, resw, sizeof(reqw));
  op = call_op_new(pd, cb, ud, url);
  if (!op)
    return CMX_ENOMEM;
  op->wrapped = strcmp(method, "DELETE") != 0; /* rdelete: no decoding */
  snprintf(op->resw, sizeof(op->resw), "%s", resw);

  /* Multi-update: PUT /incidents with a list. */
  if (strcmp(method, "PUT") == 0 && strcmp(cpath, "/incidents") == 0 && body) {
    if (json_object_is_type(body, json_type_array))
      list = body;
    else if (json_object_is_type(body, json_type_object))
      json_object_object_get_ex(body, "incidents", &list);
    if (list && json_object_is_type(list, json_type_array)) {
      if (json_object_deep_copy(list, &op->items, NULL) != 0 ||
          !(op->acc = json_object_new_array())) {
        call_op_free(op);
        return CMX_ENOMEM;
      }
      op->nitems = json_object_array_length(op->items);
      if (op->nitems == 0) {
        cmx__pd_set_last(pd->last_error,
                         "body: a multi-update needs at least one incident");
        call_op_free(op);
        return CMX_EINVAL;
      }
      rc = multi_next(op);
      if (rc != CMX_OK)
        call_op_free(op);
      return rc;
    }
  }
  if (body && reqw[0] && !already_wrapped(body, reqw) &&
      (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)) {
    send = json_object_new_object();
    if (!send) {
      call_op_free(op);
      return CMX_ENOMEM;
    }
    json_object_object_add(send, reqw, json_object_get(body));
  }
  rc = cmx__pd_submit(pd, method, url, params, send ? send : body, raw_finish,
                      op, NULL);
  json_object_put(send);
  if (rc != CMX_OK)
    call_op_free(op);
  return rc;
}
