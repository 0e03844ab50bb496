/*
 * Kentik module: the client (credentials, base URL, the credential's lane),
 * request building, the error parser, batch status and wait, sites and
 * device create.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <callmux/request.h>

#include "kentik-int.h"

struct cmx_kentik {
  int refs;
  cmx_engine *engine;
  char *email, *token, *base, *lane;
  size_t part_limit;
  uint64_t timeout_ms;
};

static char *dup(const char *s)
{
  size_t n = strlen(s) + 1;
  char *p = malloc(n);

  if (p)
    memcpy(p, s, n);
  return p;
}

static int header_safe(const char *s)
{
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return 0;
  return 1;
}

cmx_kentik *cmx_kentik_new(cmx_engine *engine, const char *email,
                           const char *token, const char *base_url, char *err,
                           size_t errlen)
{
  cmx_kentik *k;
  uint64_t h = 1469598103934665603ULL;
  const char *p;
  size_t n, blen;
  cmx_lane *lane;

  if (!engine) {
    cmx__kentik_err(err, errlen, "engine: missing");
    return NULL;
  }
  if (!email || !*email || !header_safe(email)) {
    cmx__kentik_err(err, errlen,
                    "email: required, without control characters");
    return NULL;
  }
  if (!token || !*token || !header_safe(token)) {
    cmx__kentik_err(err, errlen,
                    "token: required, without control characters");
    return NULL;
  }
  if (!base_url)
    base_url = CMX_KENTIK_URL_US;
  if (strncmp(base_url, "http://", 7) != 0 &&
      strncmp(base_url, "https://", 8) != 0) {
    cmx__kentik_err(err, errlen, "base_url: must start with http(s)://");
    return NULL;
  }
  k = calloc(1, sizeof(*k));
  if (!k) {
    cmx__kentik_err(err, errlen, "out of memory");
    return NULL;
  }
  k->refs = 1;
  k->engine = engine;
  k->part_limit = CMX_KENTIK_PART_LIMIT;
  k->timeout_ms = 60000;
  k->email = dup(email);
  k->token = dup(token);
  k->base = dup(base_url);
  for (p = email; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  h *= 1099511628211ULL; /* the separator */
  for (p = token; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  n = strlen(email) + 48;
  k->lane = malloc(n);
  if (!k->email || !k->token || !k->base || !k->lane) {
    cmx__kentik_err(err, errlen, "out of memory");
    cmx_kentik_free(k);
    return NULL;
  }
  snprintf(k->lane, n, "kentik:%s:%016llx", email, (unsigned long long)h);
  blen = strlen(k->base);
  while (blen > 8 && k->base[blen - 1] == '/')
    k->base[--blen] = '\0';
  lane = cmx_engine_lane(engine, k->lane);
  if (!lane || cmx_lane_set_max_inflight(lane, 1) != CMX_OK ||
      cmx_lane_set_rate(lane, 50.0 / 60.0, 5) != CMX_OK) {
    cmx__kentik_err(err, errlen, "lane: could not be set up");
    cmx_kentik_free(k);
    return NULL;
  }
  return k;
}

void cmx__kentik_ref(cmx_kentik *k)
{
  k->refs++;
}

void cmx__kentik_unref(cmx_kentik *k)
{
  if (!k || --k->refs > 0)
    return;
  if (k->token)
    memset(k->token, 0, strlen(k->token));
  free(k->email);
  free(k->token);
  free(k->base);
  free(k->lane);
  free(k);
}

void cmx_kentik_free(cmx_kentik *k)
{
  cmx__kentik_unref(k);
}

cmx_lane *cmx_kentik_lane(cmx_kentik *k)
{
  return k ? cmx_engine_lane(k->engine, k->lane) : NULL;
}

int cmx_kentik_set_lane(cmx_kentik *k, const char *name)
{
  char *n;

  if (!k || !name || !*name)
    return CMX_EINVAL;
  n = dup(name);
  if (!n)
    return CMX_ENOMEM;
  free(k->lane);
  k->lane = n;
  return CMX_OK;
}

int cmx_kentik_set_part_limit(cmx_kentik *k, size_t bytes)
{
  if (!k || bytes < 1024)
    return CMX_EINVAL;
  k->part_limit = bytes;
  return CMX_OK;
}

int cmx_kentik_set_timeout_ms(cmx_kentik *k, uint64_t ms)
{
  if (!k)
    return CMX_EINVAL;
  k->timeout_ms = ms;
  return CMX_OK;
}

cmx_engine *cmx__kentik_engine(cmx_kentik *k)
{
  return k->engine;
}

size_t cmx__kentik_part_limit(cmx_kentik *k)
{
  return k->part_limit;
}

/* {"error": "..."} (v5 and the batch API) or {"message": "..."}. */
static void error_parser(const cmx_response *res, cmx_service_error *out)
{
  struct json_object *j = cmx_response_json(res), *v;
  size_t len;
  const char *body;

  out->kind = NULL;
  if (j && json_object_is_type(j, json_type_object)) {
    if (json_object_object_get_ex(j, "error", &v) &&
        json_object_is_type(v, json_type_string)) {
      out->message = cmx_response_strdup(res, json_object_get_string(v));
      out->kind = cmx_response_strdup(res, "error");
      return;
    }
    if (json_object_object_get_ex(j, "message", &v) &&
        json_object_is_type(v, json_type_string)) {
      out->message = cmx_response_strdup(res, json_object_get_string(v));
      return;
    }
  }
  body = cmx_response_body(res, &len);
  if (len > 200) {
    char cut[201];
    memcpy(cut, body, 200);
    cut[200] = '\0';
    out->message = cmx_response_strdup(res, cut);
  } else {
    out->message = cmx_response_strdup(res, body);
  }
}

cmx_request *cmx__kentik_request(cmx_kentik *k, const char *method,
                                 const char *path)
{
  size_t n = strlen(k->base) + strlen(path) + 1;
  char *url = malloc(n);
  cmx_request *req;

  if (!url)
    return NULL;
  snprintf(url, n, "%s%s", k->base, path);
  req = cmx_request_new(method, url);
  free(url);
  if (!req)
    return NULL;
  if (cmx_request_add_header(req, "Accept", "application/json") != CMX_OK ||
      cmx_request_add_header(req, "User-Agent", "callmux-kentik/1") !=
          CMX_OK ||
      cmx_request_add_header(req, "X-CH-Auth-Email", k->email) != CMX_OK ||
      cmx_request_add_secret_header(req, "X-CH-Auth-API-Token", k->token) !=
          CMX_OK ||
      cmx_request_set_lane(req, k->lane) != CMX_OK ||
      (k->timeout_ms &&
       cmx_request_set_timeout_ms(req, k->timeout_ms) != CMX_OK) ||
      cmx_request_expect_json(req) != CMX_OK ||
      cmx_request_set_error_parser(req, error_parser) != CMX_OK) {
    cmx_request_free(req);
    return NULL;
  }
  return req;
}

void cmx__kentik_fail_detail(const cmx_response *res, char *out, size_t outlen)
{
  const cmx_service_error *se = cmx_response_service_error(res);
  long st = cmx_response_status(res);
  const char *d = cmx_response_detail(res);

  if (st && se && se->message && *se->message)
    snprintf(out, outlen, "%s: HTTP %ld: %s",
             cmx_code_name(cmx_response_code(res)), st, se->message);
  else if (st)
    snprintf(out, outlen, "%s: HTTP %ld%s%s",
             cmx_code_name(cmx_response_code(res)), st, *d ? ": " : "", d);
  else
    snprintf(out, outlen, "%s%s%s", cmx_code_name(cmx_response_code(res)),
             *d ? ": " : "", d);
}

/* ---- batch status and wait ---------------------------------------- */

typedef struct status_op {
  cmx_kentik *k;
  char guid[CMX_KENTIK_GUID_MAX + 1];
  uint64_t interval, deadline; /* deadline: engine clock, 0 none */
  int wait;
  struct json_object *last; /* last status seen (wait) */
  cmx_kentik_status_cb cb;
  void *ud;
} status_op;

static void status_op_end(status_op *op, int code, const char *detail)
{
  cmx_kentik_status st;
  int have = 0;
  char err[128];

  if (op->last &&
      cmx_kentik_status_parse(op->last, &st, err, sizeof(err)) == CMX_OK)
    have = 1;
  op->cb(code, have ? &st : NULL, detail, op->ud);
  json_object_put(op->last);
  cmx__kentik_unref(op->k);
  free(op);
}

static int status_send(status_op *op);

static void status_timer(cmx_engine *e, int code, void *ud)
{
  status_op *op = ud;
  int rc;

  (void)e;
  if (code != CMX_OK) {
    status_op_end(op, code, "cancelled while waiting to poll");
    return;
  }
  rc = status_send(op);
  if (rc != CMX_OK)
    status_op_end(op, rc, "could not submit the status request");
}

static void status_done(cmx_call *call, const cmx_response *res, void *ud)
{
  status_op *op = ud;
  int code = cmx_response_code(res);
  char detail[512];
  cmx_kentik_status st;
  uint64_t now, delay;

  (void)call;
  if (code != CMX_OK) {
    cmx__kentik_fail_detail(res, detail, sizeof(detail));
    if (op->wait && op->last && code == CMX_ECANCELED) {
      status_op_end(op, code, detail);
      return;
    }
    status_op_end(op, code, detail);
    return;
  }
  if (cmx_kentik_status_parse(cmx_response_json(res), &st, detail,
                              sizeof(detail)) != CMX_OK) {
    status_op_end(op, CMX_EPROTO, detail);
    return;
  }
  json_object_put(op->last);
  op->last = json_object_get(cmx_response_json(res));
  if (!op->wait || !st.is_pending) {
    status_op_end(op, CMX_OK, "");
    return;
  }
  now = cmx_engine_now(op->k->engine);
  if (op->deadline && now + op->interval > op->deadline) {
    snprintf(detail, sizeof(detail), "batch %s still pending at the deadline",
             op->guid);
    status_op_end(op, CMX_ETIMEDOUT, detail);
    return;
  }
  delay = op->interval;
  if (cmx_timer_start(op->k->engine, delay, status_timer, op, NULL) != CMX_OK)
    status_op_end(op, CMX_ENOMEM, "could not start the poll timer");
}

static int status_send(status_op *op)
{
  char path[160];
  cmx_request *req;

  snprintf(path, sizeof(path), "/api/v5/batch/%s/status", op->guid);
  req = cmx__kentik_request(op->k, "GET", path);
  if (!req)
    return CMX_ENOMEM;
  return cmx_submit(op->k->engine, req, status_done, op, NULL);
}

static int guid_safe(const char *g)
{
  size_t n = 0;

  if (!g || !*g)
    return 0;
  for (; g[n]; n++) {
    char c = g[n];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return 0;
  }
  return n <= CMX_KENTIK_GUID_MAX;
}

static int status_start(cmx_kentik *k, const char *guid, int wait,
                        uint64_t interval, uint64_t deadline,
                        cmx_kentik_status_cb cb, void *ud)
{
  status_op *op;
  int rc;

  if (!k || !cb || !guid_safe(guid))
    return CMX_EINVAL;
  op = calloc(1, sizeof(*op));
  if (!op)
    return CMX_ENOMEM;
  op->k = k;
  strcpy(op->guid, guid);
  op->wait = wait;
  op->interval = interval ? interval : 5000;
  op->deadline = deadline ? cmx_engine_now(k->engine) + deadline : 0;
  op->cb = cb;
  op->ud = ud;
  rc = status_send(op);
  if (rc != CMX_OK) {
    free(op);
    return rc;
  }
  cmx__kentik_ref(k);
  return CMX_OK;
}

int cmx_kentik_batch_status(cmx_kentik *k, const char *guid,
                            cmx_kentik_status_cb cb, void *ud)
{
  return status_start(k, guid, 0, 0, 0, cb, ud);
}

int cmx_kentik_batch_wait(cmx_kentik *k, const char *guid,
                          uint64_t interval_ms, uint64_t deadline_ms,
                          cmx_kentik_status_cb cb, void *ud)
{
  return status_start(k, guid, 1, interval_ms, deadline_ms, cb, ud);
}

/* ---- sites ---------------------------------------------------------- */

typedef struct site_op {
  cmx_kentik *k;
  int list;
  cmx_kentik_sites_cb cb;
  void *ud;
} site_op;

static void site_done(cmx_call *call, const cmx_response *res, void *ud)
{
  site_op *op = ud;
  struct json_object *j = cmx_response_json(res), *v = NULL;
  char detail[512] = "";
  cmx_kentik_site one, *many = NULL;
  size_t n = 0, i;
  int code = cmx_response_code(res);

  (void)call;
  if (code != CMX_OK) {
    cmx__kentik_fail_detail(res, detail, sizeof(detail));
  } else if (!op->list) {
    if (!json_object_object_get_ex(j, "site", &v))
      code = CMX_EPROTO, snprintf(detail, sizeof(detail), "no 'site' key");
    else
      code = cmx_kentik_site_parse(v, &one, detail, sizeof(detail));
    n = 1;
  } else if (!json_object_object_get_ex(j, "sites", &v) ||
             !json_object_is_type(v, json_type_array)) {
    code = CMX_EPROTO;
    snprintf(detail, sizeof(detail), "no 'sites' array");
  } else {
    n = json_object_array_length(v);
    many = calloc(n ? n : 1, sizeof(*many));
    if (!many)
      code = CMX_ENOMEM;
    for (i = 0; i < n && code == CMX_OK; i++)
      code = cmx_kentik_site_parse(json_object_array_get_idx(v, i), &many[i],
                                   detail, sizeof(detail));
  }
  if (code == CMX_OK)
    op->cb(CMX_OK, op->list ? many : &one, n, "", op->ud);
  else
    op->cb(code, NULL, 0, detail, op->ud);
  free(many);
  cmx__kentik_unref(op->k);
  free(op);
}

static int site_start(cmx_kentik *k, const char *path, int list,
                      cmx_kentik_sites_cb cb, void *ud)
{
  site_op *op;
  cmx_request *req;
  int rc;

  if (!k || !cb)
    return CMX_EINVAL;
  op = calloc(1, sizeof(*op));
  req = op ? cmx__kentik_request(k, "GET", path) : NULL;
  if (!req) {
    free(op);
    return CMX_ENOMEM;
  }
  op->k = k;
  op->list = list;
  op->cb = cb;
  op->ud = ud;
  rc = cmx_submit(k->engine, req, site_done, op, NULL);
  if (rc != CMX_OK) {
    free(op);
    return rc;
  }
  cmx__kentik_ref(k);
  return CMX_OK;
}

int cmx_kentik_site_get(cmx_kentik *k, long id, cmx_kentik_sites_cb cb,
                        void *ud)
{
  char path[64];

  if (id <= 0)
    return CMX_EINVAL;
  snprintf(path, sizeof(path), "/api/v5/site/%ld", id);
  return site_start(k, path, 0, cb, ud);
}

int cmx_kentik_sites_list(cmx_kentik *k, cmx_kentik_sites_cb cb, void *ud)
{
  return site_start(k, "/api/v5/sites", 1, cb, ud);
}

/* ---- device create -------------------------------------------------- */

typedef struct dev_op {
  cmx_kentik *k;
  cmx_kentik_device_cb cb;
  void *ud;
} dev_op;

static void dev_done(cmx_call *call, const cmx_response *res, void *ud)
{
  dev_op *op = ud;
  struct json_object *v = NULL;
  cmx_kentik_device_info info;
  char detail[512] = "";
  int code = cmx_response_code(res);

  (void)call;
  if (code != CMX_OK) {
    cmx__kentik_fail_detail(res, detail, sizeof(detail));
  } else if (!json_object_object_get_ex(cmx_response_json(res), "device",
                                        &v)) {
    code = CMX_EPROTO;
    snprintf(detail, sizeof(detail), "no 'device' key in the response");
  } else {
    code = cmx_kentik_device_parse(v, &info, detail, sizeof(detail));
  }
  op->cb(code, code == CMX_OK ? &info : NULL, detail, op->ud);
  cmx__kentik_unref(op->k);
  free(op);
}

int cmx_kentik_device_create(cmx_kentik *k, const cmx_kentik_device *d,
                             cmx_kentik_device_cb cb, void *ud, char *err,
                             size_t errlen)
{
  char *json;
  cmx_request *req;
  dev_op *op;
  int rc;

  if (!k || !cb) {
    cmx__kentik_err(err, errlen, "client and callback required");
    return CMX_EINVAL;
  }
  json = cmx_kentik_device_json(d, err, errlen);
  if (!json)
    return CMX_EINVAL;
  op = calloc(1, sizeof(*op));
  req = op ? cmx__kentik_request(k, "POST", "/api/v5/device") : NULL;
  if (!req || cmx_request_add_header(req, "Connection", "close") != CMX_OK ||
      cmx_request_set_body(req, json, strlen(json), "application/json") !=
          CMX_OK) {
    cmx_request_free(req);
    free(json);
    free(op);
    cmx__kentik_err(err, errlen, "out of memory");
    return CMX_ENOMEM;
  }
  free(json);
  op->k = k;
  op->cb = cb;
  op->ud = ud;
  rc = cmx_submit(k->engine, req, dev_done, op, NULL);
  if (rc != CMX_OK) {
    free(op);
    cmx__kentik_err(err, errlen, "submit: %s", cmx_strerror(rc));
    return rc;
  }
  cmx__kentik_ref(k);
  return CMX_OK;
}
