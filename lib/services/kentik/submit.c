/*
 * Kentik module: the multi-part batch submit.  Parts go one after another;
 * each carries the guid of the previous response; only the last says
 * complete.  POST is not idempotent, so the engine retries a part only on
 * 429/503 and on failures before anything was sent; a part whose fate is
 * unknown ends the submit with CMX_EUNKNOWN and is never resent.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <callmux/request.h>

#include "kentik-int.h"

typedef struct submit_op {
  cmx_kentik *k;
  cmx_kentik_plan *plan;
  char path[128];
  char guid[CMX_KENTIK_GUID_MAX + 1];
  size_t nparts, next, sent, acked;
  char *buf;
  size_t cap, len;
  cmx_kentik_progress_cb progress;
  cmx_kentik_submit_cb cb;
  void *ud;
} submit_op;

static void finish(submit_op *op, int code, long status, const char *message,
                   const char *detail)
{
  cmx_kentik_submit_result r;

  r.code = code;
  r.guid = op->guid;
  r.parts_total = op->nparts;
  r.parts_sent = op->sent;
  r.parts_acked = op->acked;
  r.http_status = status;
  r.message = message ? message : "";
  r.detail = detail ? detail : "";
  op->cb(&r, op->ud);
  cmx_kentik_plan_free(op->plan);
  free(op->buf);
  cmx__kentik_unref(op->k);
  free(op);
}

static void part_done(cmx_call *call, const cmx_response *res, void *ud);

static int send_part(submit_op *op)
{
  cmx_request *req;
  int rc;

  rc = cmx_kentik_plan_part(op->plan, op->next, op->guid, &op->buf, &op->cap,
                            &op->len);
  if (rc != CMX_OK)
    return rc;
  req = cmx__kentik_request(op->k, "POST", op->path);
  if (!req)
    return CMX_ENOMEM;
  /* A fresh connection per part: a reused connection the server had
   * already closed would end the part with its fate unknown (the engine
   * never lets libcurl resend a POST), and with it the whole batch. */
  if (cmx_request_add_header(req, "Connection", "close") != CMX_OK) {
    cmx_request_free(req);
    return CMX_ENOMEM;
  }
  /* The buffer is rewritten only after this call ended. */
  rc = cmx_request_set_body_borrowed(req, op->buf, op->len, NULL,
                                     "application/json");
  if (rc != CMX_OK) {
    cmx_request_free(req);
    return rc;
  }
  rc = cmx_submit(cmx__kentik_engine(op->k), req, part_done, op, NULL);
  if (rc == CMX_OK) {
    op->next++;
    op->sent++;
  }
  return rc;
}

static int guid_ok(const char *g)
{
  size_t n = 0;

  for (; g[n]; n++) {
    char c = g[n];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return 0;
  }
  return n > 0 && n <= CMX_KENTIK_GUID_MAX;
}

/* Did the request certainly not reach the server? */
static int never_sent(int code)
{
  return code == CMX_ECONNREFUSED || code == CMX_ERESOLVE ||
         code == CMX_ETLS || code == CMX_EQUEUEFULL || code == CMX_ESHUTDOWN ||
         code == CMX_ENOMEM;
}

static void part_done(cmx_call *call, const cmx_response *res, void *ud)
{
  submit_op *op = ud;
  int code = cmx_response_code(res);
  long status = cmx_response_status(res);
  size_t part = op->next; /* 1-based number of the part that ended */
  const cmx_service_error *se;
  struct json_object *j, *v;
  char detail[768], why[512];
  const char *g;
  int rc;

  (void)call;
  if (code != CMX_OK) {
    se = cmx_response_service_error(res);
    cmx__kentik_fail_detail(res, why, sizeof(why));
    if (status == 429 || status == 503) {
      snprintf(detail, sizeof(detail),
               "part %zu of %zu rejected (%s), not applied; later parts "
               "not sent; batch guid '%s', parts acknowledged %zu",
               part, op->nparts, why, op->guid, op->acked);
      op->sent--;
      finish(op, status == 429 ? CMX_ERATELIMIT : CMX_EHTTP, status,
             se ? se->message : NULL, detail);
    } else if (status >= 300) {
      snprintf(detail, sizeof(detail),
               "part %zu of %zu refused (%s); later parts not sent; batch "
               "guid '%s', parts acknowledged %zu",
               part, op->nparts, why, op->guid, op->acked);
      op->sent--;
      finish(op, code, status, se ? se->message : NULL, detail);
    } else if (never_sent(code) || code == CMX_ECANCELED) {
      if (code != CMX_ECANCELED)
        op->sent--;
      snprintf(detail, sizeof(detail),
               "part %zu of %zu %s (%s); batch guid '%s', parts sent %zu, "
               "acknowledged %zu",
               part, op->nparts,
               code == CMX_ECANCELED ? "cancelled" : "never sent", why,
               op->guid, op->sent, op->acked);
      finish(op, code, status, NULL, detail);
    } else {
      snprintf(detail, sizeof(detail),
               "part %zu of %zu: outcome unknown (%s), not resent; batch "
               "guid '%s', parts sent %zu, acknowledged %zu",
               part, op->nparts, why, op->guid, op->sent, op->acked);
      finish(op, CMX_EUNKNOWN, status, NULL, detail);
    }
    return;
  }
  j = cmx_response_json(res);
  if (json_object_object_get_ex(j, "error", &v) &&
      !json_object_is_type(v, json_type_null)) {
    snprintf(detail, sizeof(detail),
             "part %zu of %zu: server reported an error: %.200s; batch "
             "guid '%s', parts sent %zu",
             part, op->nparts, json_object_get_string(v), op->guid, op->sent);
    finish(op, CMX_EPROTO, status, json_object_get_string(v), detail);
    return;
  }
  g = NULL;
  if (json_object_object_get_ex(j, "guid", &v) &&
      json_object_is_type(v, json_type_string))
    g = json_object_get_string(v);
  if (!g || !guid_ok(g) || (op->guid[0] && strcmp(g, op->guid) != 0)) {
    snprintf(detail, sizeof(detail),
             "part %zu of %zu: response has %s guid; batch guid '%s', "
             "parts sent %zu",
             part, op->nparts, !g ? "no" : "a bad or changed", op->guid,
             op->sent);
    finish(op, CMX_EPROTO, status, NULL, detail);
    return;
  }
  strcpy(op->guid, g);
  op->acked++;
  if (op->progress)
    op->progress(part, op->nparts, op->len, op->guid, op->ud);
  if (op->next == op->nparts) {
    v = NULL;
    json_object_object_get_ex(j, "message", &v);
    finish(op, CMX_OK, status, v ? json_object_get_string(v) : NULL, NULL);
    return;
  }
  rc = send_part(op);
  if (rc != CMX_OK) {
    snprintf(detail, sizeof(detail),
             "part %zu of %zu could not be submitted (%s); batch guid '%s', "
             "parts acknowledged %zu",
             op->next + 1, op->nparts, cmx_strerror(rc), op->guid, op->acked);
    finish(op, rc, 0, NULL, detail);
  }
}

static int submit(cmx_kentik *k, const char *path,
                  const cmx_kentik_batch *batch,
                  cmx_kentik_progress_cb progress, cmx_kentik_submit_cb cb,
                  void *ud, char *err, size_t errlen)
{
  submit_op *op;
  int rc;

  if (!k || !batch || !cb) {
    cmx__kentik_err(err, errlen, "client, batch and callback required");
    return CMX_EINVAL;
  }
  op = calloc(1, sizeof(*op));
  if (!op) {
    cmx__kentik_err(err, errlen, "out of memory");
    return CMX_ENOMEM;
  }
  rc = cmx_kentik_plan_new(batch, cmx__kentik_part_limit(k), &op->plan, err,
                           errlen);
  if (rc != CMX_OK) {
    free(op);
    return rc;
  }
  op->k = k;
  snprintf(op->path, sizeof(op->path), "%s", path);
  op->nparts = cmx_kentik_plan_parts(op->plan);
  op->progress = progress;
  op->cb = cb;
  op->ud = ud;
  rc = send_part(op);
  if (rc != CMX_OK) {
    cmx__kentik_err(err, errlen, "submit: %s", cmx_strerror(rc));
    cmx_kentik_plan_free(op->plan);
    free(op->buf);
    free(op);
    return rc;
  }
  cmx__kentik_ref(k);
  return CMX_OK;
}

int cmx_kentik_submit_populators(cmx_kentik *k, const char *dimension,
                                 const cmx_kentik_batch *batch,
                                 cmx_kentik_progress_cb progress,
                                 cmx_kentik_submit_cb cb, void *ud, char *err,
                                 size_t errlen)
{
  char path[128];
  int rc = cmx_kentik_dimension_valid(dimension, err, errlen);

  if (rc != CMX_OK)
    return rc;
  snprintf(path, sizeof(path), "/api/v5/batch/customdimensions/%s/populators",
           dimension);
  return submit(k, path, batch, progress, cb, ud, err, errlen);
}

int cmx_kentik_submit_tags(cmx_kentik *k, const cmx_kentik_batch *batch,
                           cmx_kentik_progress_cb progress,
                           cmx_kentik_submit_cb cb, void *ud, char *err,
                           size_t errlen)
{
  return submit(k, "/api/v5/batch/tags", batch, progress, cb, ud, err, errlen);
}
