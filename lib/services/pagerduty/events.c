/*
 * PagerDuty, async: Events API v2 (trigger / acknowledge / resolve) and
 * Change Events, built only on the engine's public API.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <callmux/version.h>

#include "services/pagerduty/pd-int.h"

#define PD_USER_AGENT "callmux/" CMX_VERSION
/* pdpyras's change-event retry counts: 500 twice, 502 four times. */
#define PD_CHANGE_RETRY_500 2
#define PD_CHANGE_RETRY_502 4

struct cmx_pagerduty_events {
  cmx_engine *engine;
  char *key;
  char *base;
  char lane_name[64];
  cmx_lane *lane;
  unsigned refs;
  int freed;
  char last_error[CMX__PD_ERRLEN];
};

typedef struct ev_op {
  cmx_pagerduty_events *ev;
  cmx_pagerduty_events_cb cb;
  void *ud;
  char *body; /* JSON text (for change-event resends) */
  char *url;
  char dedup[256];
  int change;
  unsigned n500, n502;
  char detail[512];
} ev_op;

static void ev_unref(cmx_pagerduty_events *ev)
{
  if (--ev->refs > 0)
    return;
  free(ev->key);
  free(ev->base);
  free(ev);
}

cmx_pagerduty_events *cmx_pagerduty_events_new(cmx_engine *engine,
                                               const char *routing_key,
                                               char *errbuf, size_t errlen)
{
  cmx_pagerduty_events *ev;
  cmx_retry_policy rp;

  if (!engine) {
    cmx__pd_err(errbuf, errlen, "engine: missing");
    return NULL;
  }
  if (!routing_key || !*routing_key || strchr(routing_key, '\r') ||
      strchr(routing_key, '\n') || strchr(routing_key, '"')) {
    cmx__pd_err(errbuf, errlen,
                "routing_key: required, a non-empty string without CR/LF");
    return NULL;
  }
  ev = calloc(1, sizeof(*ev));
  if (!ev)
    goto nomem;
  ev->engine = engine;
  ev->refs = 1;
  ev->key = strdup(routing_key);
  ev->base = strdup(CMX_PAGERDUTY_EVENTS_URL);
  if (!ev->key || !ev->base)
    goto nomem;
  cmx__pd_lane_name("pagerduty-events", routing_key, ev->lane_name,
                    sizeof(ev->lane_name));
  ev->lane = cmx_engine_lane(engine, ev->lane_name);
  if (!ev->lane)
    goto nomem;
  cmx_lane_set_rate(ev->lane, CMX_PAGERDUTY_EVENTS_PER_MINUTE / 60.0, 10);
  cmx_retry_policy_default(&rp);
  rp.max_attempts = 7;
  rp.retry_500 = 1;
  cmx_lane_set_retry(ev->lane, &rp);
  return ev;
nomem:
  if (ev) {
    free(ev->key);
    free(ev->base);
    free(ev);
  }
  cmx__pd_err(errbuf, errlen, "out of memory");
  return NULL;
}

void cmx_pagerduty_events_free(cmx_pagerduty_events *ev)
{
  if (!ev || ev->freed)
    return;
  ev->freed = 1;
  ev_unref(ev);
}

int cmx_pagerduty_events_set_base_url(cmx_pagerduty_events *ev,
                                      const char *url)
{
  char *c;
  size_t n;

  if (!ev)
    return CMX_EINVAL;
  if (!url ||
      (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
      strchr(url, '?')) {
    cmx__pd_set_last(ev->last_error,
                     "base_url: must be an http:// or https:// URL");
    return CMX_EINVAL;
  }
  c = strdup(url);
  if (!c)
    return CMX_ENOMEM;
  n = strlen(c);
  while (n > 8 && c[n - 1] == '/')
    c[--n] = '\0';
  free(ev->base);
  ev->base = c;
  return CMX_OK;
}

int cmx_pagerduty_events_set_rate(cmx_pagerduty_events *ev, double per_minute,
                                  unsigned burst)
{
  if (!ev || per_minute < 0)
    return CMX_EINVAL;
  return cmx_lane_set_rate(ev->lane, per_minute / 60.0, burst);
}

int cmx_pagerduty_events_set_retry(cmx_pagerduty_events *ev,
                                   const cmx_retry_policy *p)
{
  if (!ev || !p || p->max_attempts < 1) {
    if (ev)
      cmx__pd_set_last(ev->last_error,
                       "retry.max_attempts: must be at least 1 (bounded)");
    return CMX_EINVAL;
  }
  return cmx_lane_set_retry(ev->lane, p);
}

cmx_lane *cmx_pagerduty_events_lane(cmx_pagerduty_events *ev)
{
  return ev ? ev->lane : NULL;
}

const char *cmx_pagerduty_events_last_error(const cmx_pagerduty_events *ev)
{
  return ev ? ev->last_error : "";
}

static void ev_op_free(ev_op *op)
{
  cmx_pagerduty_events *ev = op->ev;

  free(op->body);
  free(op->url);
  free(op);
  ev_unref(ev);
}

static int ev_send(ev_op *op);

static void resend_timer(cmx_engine *engine, int code, void *ud)
{
  ev_op *op = ud;
  cmx_pagerduty_result r;
  int rc;

  (void)engine;
  rc = code == CMX_OK ? ev_send(op) : code;
  if (rc == CMX_OK)
    return;
  memset(&r, 0, sizeof(r));
  r.code = rc;
  r.total = -1;
  snprintf(op->detail, sizeof(op->detail), "change event resend: %s",
           cmx_strerror(rc));
  r.detail = op->detail;
  op->cb(op->ev, &r, op->ud);
  ev_op_free(op);
}

static void ev_done(cmx_call *call, const cmx_response *res, void *ud)
{
  ev_op *op = ud;
  cmx_pagerduty_result r;
  struct json_object *body, *v;
  long st = cmx_response_status(res);

  (void)call;
  if (op->change && ((st == 500 && op->n500 < PD_CHANGE_RETRY_500) ||
                     (st == 502 && op->n502 < PD_CHANGE_RETRY_502))) {
    unsigned n = st == 500 ? ++op->n500 : ++op->n502;

    if (cmx_timer_start(op->ev->engine, 250u << (n - 1), resend_timer, op,
                        NULL) == CMX_OK)
      return;
  }
  memset(&r, 0, sizeof(r));
  cmx__pd_result_from(&r, res, op->detail, sizeof(op->detail));
  body = cmx_response_json(res);
  r.value = body;
  if (r.code == CMX_OK && !op->change) {
    if (!body || !json_object_is_type(body, json_type_object) ||
        !json_object_object_get_ex(body, "dedup_key", &v) ||
        !json_object_is_type(v, json_type_string)) {
      r.code = CMX_EPROTO;
      snprintf(op->detail, sizeof(op->detail),
               "POST /v2/enqueue: malformed response body from the events "
               "API (no dedup_key)");
    } else {
      snprintf(op->dedup, sizeof(op->dedup), "%s", json_object_get_string(v));
    }
  } else if (r.code == CMX_OK && op->change && body &&
             !json_object_is_type(body, json_type_object)) {
    r.code = CMX_EPROTO;
    snprintf(op->detail, sizeof(op->detail),
             "POST /v2/change/enqueue: malformed response body");
  }
  if (op->dedup[0])
    r.dedup_key = op->dedup;
  op->cb(op->ev, &r, op->ud);
  ev_op_free(op);
}

static int ev_send(ev_op *op)
{
  cmx_request *req = cmx_request_new("POST", op->url);
  int rc;

  if (!req)
    return CMX_EINVAL;
  if (cmx_request_add_header(req, "User-Agent", PD_USER_AGENT) ||
      cmx_request_set_lane(req, op->ev->lane_name) ||
      cmx_request_set_error_parser(req, cmx__pd_events_error_parser) ||
      cmx_request_set_timeout_ms(req, 60000) ||
      /* A trigger always carries a dedup key and ack/resolve are
       * idempotent: resending never opens a second incident. */
      (!op->change && cmx_request_set_retry_safe(req, 1)) ||
      cmx_request_set_body(req, op->body, strlen(op->body),
                           "application/json")) {
    cmx_request_free(req);
    return CMX_ENOMEM;
  }
  rc = cmx_submit(op->ev->engine, req, ev_done, op, NULL);
  return rc;
}

static int ev_start(cmx_pagerduty_events *ev, struct json_object *body,
                    int change, cmx_pagerduty_events_cb cb, void *ud)
{
  struct json_object *dk;
  ev_op *op;
  int rc;
  size_t n;

  op = calloc(1, sizeof(*op));
  if (!op) {
    json_object_put(body);
    return CMX_ENOMEM;
  }
  op->ev = ev;
  op->cb = cb;
  op->ud = ud;
  op->change = change;
  op->body =
      strdup(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
  if (!change && json_object_object_get_ex(body, "dedup_key", &dk))
    snprintf(op->dedup, sizeof(op->dedup), "%s", json_object_get_string(dk));
  json_object_put(body);
  n = strlen(ev->base) + 32;
  op->url = malloc(n);
  if (!op->body || !op->url) {
    free(op->body);
    free(op->url);
    free(op);
    return CMX_ENOMEM;
  }
  snprintf(op->url, n, "%s%s", ev->base,
           change ? "/v2/change/enqueue" : "/v2/enqueue");
  ev->refs++;
  rc = ev_send(op);
  if (rc != CMX_OK) {
    cmx__pd_set_last(ev->last_error, cmx_strerror(rc));
    ev_op_free(op);
  }
  return rc;
}

static int ev_event(cmx_pagerduty_events *ev, const char *action,
                    const cmx_pagerduty_event *e, cmx_pagerduty_events_cb cb,
                    void *ud)
{
  char err[CMX__PD_ERRLEN] = "";
  struct json_object *body;

  if (!ev || !cb) {
    if (ev)
      cmx__pd_set_last(ev->last_error, "cb: required");
    return CMX_EINVAL;
  }
  body = cmx_pagerduty_event_body(ev->key, action, e, err, sizeof(err));
  if (!body) {
    cmx__pd_set_last(ev->last_error, err);
    return strcmp(err, "out of memory") == 0 ? CMX_ENOMEM : CMX_EINVAL;
  }
  return ev_start(ev, body, 0, cb, ud);
}

int cmx_pagerduty_trigger(cmx_pagerduty_events *ev,
                          const cmx_pagerduty_event *e,
                          cmx_pagerduty_events_cb cb, void *ud)
{
  return ev_event(ev, "trigger", e, cb, ud);
}

int cmx_pagerduty_acknowledge(cmx_pagerduty_events *ev, const char *dedup_key,
                              cmx_pagerduty_events_cb cb, void *ud)
{
  cmx_pagerduty_event e;

  memset(&e, 0, sizeof(e));
  e.dedup_key = dedup_key;
  return ev_event(ev, "acknowledge", &e, cb, ud);
}

int cmx_pagerduty_resolve(cmx_pagerduty_events *ev, const char *dedup_key,
                          cmx_pagerduty_events_cb cb, void *ud)
{
  cmx_pagerduty_event e;

  memset(&e, 0, sizeof(e));
  e.dedup_key = dedup_key;
  return ev_event(ev, "resolve", &e, cb, ud);
}

int cmx_pagerduty_change_submit(cmx_pagerduty_events *ev,
                                const cmx_pagerduty_change *c,
                                cmx_pagerduty_events_cb cb, void *ud)
{
  char err[CMX__PD_ERRLEN] = "";
  struct json_object *body;

  if (!ev || !cb) {
    if (ev)
      cmx__pd_set_last(ev->last_error, "cb: required");
    return CMX_EINVAL;
  }
  body = cmx_pagerduty_change_body(ev->key, c, err, sizeof(err));
  if (!body) {
    cmx__pd_set_last(ev->last_error, err);
    return strcmp(err, "out of memory") == 0 ? CMX_ENOMEM : CMX_EINVAL;
  }
  return ev_start(ev, body, 1, cb, ud);
}
