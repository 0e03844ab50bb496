/*
 * A call's life: submit -> queued -> admitted (attempt in flight) -> done,
 * with backoff between attempts, redirects, deadlines and cancellation.
 * Every path ends in cmx__call_finish(), which queues the completion; the
 * callback runs later from cmx__leave(), never inside libcurl or inside the
 * cmx_* function that ended the call.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "core/clock.h"
#include "core/engine-int.h"
#include "core/retry_after.h"

/* ---- the active list (in flight or in backoff) ------------------------- */

void cmx__active_link(cmx_engine *e, cmx_call *c)
{
  c->prev = NULL;
  c->next = e->active;
  if (e->active)
    e->active->prev = c;
  e->active = c;
}

void cmx__active_unlink(cmx_engine *e, cmx_call *c)
{
  if (c->prev)
    c->prev->next = c->next;
  else if (e->active == c)
    e->active = c->next;
  if (c->next)
    c->next->prev = c->prev;
  c->next = c->prev = NULL;
}

int cmx__method_idempotent(const char *m)
{
  return !m || strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
         strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0 ||
         strcmp(m, "OPTIONS") == 0;
}

/* The URL without query or fragment, for logs and details. */
static void url_for_text(const char *url, char *out, size_t n)
{
  size_t len = strcspn(url, "?#");

  if (len >= n)
    len = n - 1;
  memcpy(out, url, len);
  out[len] = '\0';
}

/* ---- submit --------------------------------------------------------------
 */

int cmx_submit(cmx_engine *e, cmx_request *req, cmx_done_fn cb, void *ud,
               cmx_call **out)
{
  cmx_call *c = (cmx_call *)req;
  cmx_lane *l;
  uint64_t now, rel;
  int err = CMX_OK;

  if (out)
    *out = NULL;
  if (!e || !c || c->state != CMX__S_NEW) {
    if (c && c->state == CMX__S_NEW)
      cmx__call_free(c);
    return CMX_EINVAL;
  }
  if (e->draining || e->freeing) {
    cmx__call_free(c);
    return CMX_ESHUTDOWN;
  }
  l = cmx__lane_for(e, c, &err);
  if (!l) {
    cmx__call_free(c);
    return err;
  }
  if (l->queued >= l->queue_limit) {
    cmx__log(e, CMX_LOG_WARN, "lane %s: queue full (%zu calls)", l->name,
             l->queued);
    cmx__call_free(c);
    return CMX_EQUEUEFULL;
  }
  free(c->l.lane_name);
  c->l.lane = l;
  c->engine = e;
  c->done = cb;
  c->ud = ud;
  now = cmx__now(e);
  c->submit_ms = now;
  rel = c->deadline.when;
  c->deadline.when = 0;
  if (rel && cmx__heap_set(e, &c->deadline, now + rel) != 0) {
    c->state = CMX__S_DONE; /* lane pointer set: free must not free it */
    cmx__call_free(c);
    return CMX_ENOMEM;
  }
  c->state = CMX__S_QUEUED;
  l->n_submitted++;
  e->outstanding++;
  cmx__lane_push(l, c, 0);
  if (out)
    *out = c;
  cmx__lane_pump(l);
  return CMX_OK;
}

void *cmx_call_userdata(const cmx_call *c)
{
  return c ? c->ud : NULL;
}

/* ---- admission -----------------------------------------------------------
 */

int cmx__call_admit(cmx_call *c)
{
  cmx_engine *e = c->engine;
  cmx_lane *l = c->l.lane;
  cmx__xfer *x = c->xfer;
  uint64_t now = cmx__now(e);
  int rc;

  if (!x) {
    x = calloc(1, sizeof(*x));
    if (!x) {
      cmx__call_finish(c, CMX_ENOMEM, "out of memory admitting the call");
      return CMX_ENOMEM;
    }
    x->res.call = c;
    cmx__tnode_init(&x->wake, CMX__T_WAKE);
    c->xfer = x;
    x->first_admit_ms = now;
    cmx__hist_record(&l->h_queue, (now - c->submit_ms) * 1000);
    cmx__budget_deposit(&l->budget);
  }
  x->admit_ms = now;
  c->attempts++;
  l->inflight++;
  l->n_attempts++;
  e->inflight_total++;
  c->state = CMX__S_INFLIGHT;
  cmx__active_link(e, c);
  rc = cmx__xfer_start(c);
  if (rc != CMX_OK) {
    cmx__call_finish(c, rc, "could not start the transfer");
    return rc;
  }
  return CMX_OK;
}

/* ---- end of an attempt -----------------------------------------------------
 */

static int map_curl(cmx_call *c, CURLcode rc, long oserr)
{
  cmx__xfer *x = c->xfer;

  switch (rc) {
  case CURLE_OK:
    return CMX_OK;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return CMX_ERESOLVE;
  case CURLE_COULDNT_CONNECT:
    return oserr == ECONNREFUSED ? CMX_ECONNREFUSED : CMX_ETRANSPORT;
  case CURLE_OPERATION_TIMEDOUT:
    return CMX_ETIMEDOUT;
  case CURLE_PARTIAL_FILE:
    return CMX_ETRUNCATED;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_USE_SSL_FAILED:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
    return CMX_ETLS;
  case CURLE_WRITE_ERROR:
  case CURLE_READ_ERROR:
  case CURLE_ABORTED_BY_CALLBACK:
    if (x->resend_refused)
      return CMX_ETRANSPORT;
    if (x->too_big)
      return CMX_ETOOBIG;
    if (x->sink_err)
      return CMX_EIO;
    return CMX_ENOMEM;
  case CURLE_OUT_OF_MEMORY:
    return CMX_ENOMEM;
  default:
    return CMX_ETRANSPORT;
  }
}

static int map_status(long st)
{
  if (st == 401)
    return CMX_EAUTH;
  if (st == 429)
    return CMX_ERATELIMIT;
  if (st >= 400)
    return CMX_EHTTP;
  return CMX_OK;
}

/*
 * Milliseconds the service asked us to wait, 0 when it did not say.
 * Retry-After counts on any status.  ratelimit-reset only says when the
 * rate window restarts: it is a wait only for a 429 (a 502 that carries it
 * is not a request to come back at the next window).
 */
static uint64_t service_wait_ms(cmx_call *c)
{
  const cmx_response *r = &c->xfer->res;
  const char *v;
  uint64_t ms = 0;

  if ((v = cmx_response_header(r, "Retry-After")) &&
      cmx__retry_after_parse(v, cmx__clock_unix(), &ms) == 0)
    return ms;
  if (r->status != 429)
    return 0;
  if ((v = cmx_response_header(r, "ratelimit-reset")) &&
      cmx__ratelimit_reset_parse(v, &ms) == 0)
    return ms;
  if ((v = cmx_response_header(r, "x-ratelimit-reset")) &&
      cmx__ratelimit_reset_any_parse(v, cmx__clock_unix(), &ms) == 0)
    return ms;
  return 0;
}

/* May this failure be retried at all (before budget, attempts, deadline)? */
static int retryable(cmx_call *c, int code, long status)
{
  int safe =
      cmx__method_idempotent(c->method) || (c->flags & CMX__F_RETRY_SAFE);

  if (c->flags & CMX__F_NO_RETRY)
    return 0;
  if (code == CMX_ECONNREFUSED)
    return 1; /* nothing was sent */
  if (status == 429 || status == 503)
    return 1; /* rejected, not applied */
  if (!safe)
    return 0;
  if (code == CMX_ETRANSPORT || code == CMX_ETIMEDOUT ||
      code == CMX_ETRUNCATED)
    return 1;
  if (status == 502 || status == 504)
    return 1;
  if (status == 500 && c->l.lane->retry.retry_500)
    return 1;
  return 0;
}

static void redirect(cmx_call *c, char *to, long status)
{
  char a[512], b[512];

  if (cmx__lane_origin(c->url, a, sizeof(a)) != 0 ||
      cmx__lane_origin(to, b, sizeof(b)) != 0 || strcmp(a, b) != 0)
    cmx__call_drop_secrets(c);
  if (status == 303 || ((status == 301 || status == 302) && c->method &&
                        strcmp(c->method, "POST") == 0)) {
    if (c->flags & CMX__F_OWN_METHOD)
      free(c->method);
    c->method = NULL;
    c->flags &= (uint16_t)~CMX__F_OWN_METHOD;
    if (c->body_kind == CMX__B_MEM && c->body.mem.free_fn)
      c->body.mem.free_fn((void *)c->body.mem.data);
    c->body_kind = CMX__B_NONE;
  }
  free(c->url);
  c->url = to;
  c->follows++;
  cmx__log(c->engine, CMX_LOG_DEBUG, "redirect %ld (%u of %u)", status,
           c->follows, c->follow_max);
  c->l.lane->inflight++;
  c->engine->inflight_total++;
  c->state = CMX__S_INFLIGHT;
  if (cmx__xfer_start(c) != CMX_OK)
    cmx__call_finish(c, CMX_ENOMEM, "could not start the redirected call");
}

void cmx__call_attempt_done(cmx_call *c, CURLcode rc)
{
  cmx_engine *e = c->engine;
  cmx_lane *l = c->l.lane;
  cmx__xfer *x = c->xfer;
  uint64_t now = cmx__now(e);
  long status = 0, oserr = 0;
  char *to = NULL;
  int code;
  char where[256];

  curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &oserr);
  if (rc == CURLE_OK && status >= 300 && status < 400 &&
      c->follows < c->follow_max) {
    char *u = NULL;
    curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &u);
    if (u)
      to = cmx__strdup(u);
  }
  cmx__xfer_stop(c);
  cmx__hist_record(&l->h_service, (now - x->admit_ms) * 1000);
  l->inflight--;
  e->inflight_total--;
  c->state = CMX__S_IDLE;
  x->res.status = rc == CURLE_OK ? status : 0;
  {
    long v = 0;
    if (curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &v) == CURLE_OK &&
        v > 0)
      e->connects += (uint64_t)v;
    v = 0;
    curl_easy_getinfo(x->easy, CURLINFO_HTTP_VERSION, &v);
    x->res.http_version = rc != CURLE_OK               ? 0
                          : v == CURL_HTTP_VERSION_1_0 ? 10
                          : v == CURL_HTTP_VERSION_1_1 ? 11
                          : v == CURL_HTTP_VERSION_2_0 ? 20
                          : v == CURL_HTTP_VERSION_3   ? 30
                                                       : 0;
  }
  if (to) {
    redirect(c, to, status);
    return;
  }

  if (rc == CURLE_OK)
    cmx__lane_note_quota(l, &x->res);
  code = rc == CURLE_OK ? map_status(status) : map_curl(c, rc, oserr);
  if (rc == CURLE_OK && status == 429)
    l->n_429++;
  if (code == CMX_OK) {
    if ((c->flags & CMX__F_EXPECT_JSON) && status >= 200 && status < 300 &&
        c->sink_kind == CMX__K_MEM && !cmx_response_json(&x->res)) {
      url_for_text(c->url, where, sizeof(where));
      cmx__lane_on_success(l);
      cmx__call_finish(c, CMX_EBADJSON,
                       "%s %s: %ld response body is not valid JSON",
                       cmx_response_method(&x->res), where, status);
    } else {
      cmx__lane_on_success(l);
      cmx__call_finish(c, CMX_OK, NULL);
    }
    cmx__lane_pump(l);
    return;
  }

  if (status == 429 || status == 503) {
    uint64_t wait = service_wait_ms(c);
    if (status == 429 || wait)
      cmx__lane_on_429(l, wait);
  }

  if (retryable(c, code, x->res.status) &&
      c->attempts < l->retry.max_attempts) {
    uint64_t delay = service_wait_ms(c);
    if (delay > l->retry.max_wait_ms)
      delay = l->retry.max_wait_ms;
    if (!delay)
      delay = cmx__backoff_ms(c->attempts, l->retry.base_ms, l->retry.cap_ms,
                              &e->rng);
    if ((!cmx__tnode_queued(&c->deadline) || now + delay < c->deadline.when) &&
        cmx__budget_withdraw(&l->budget)) {
      l->n_retries++;
      cmx__xfer_release_easy(c);
      c->state = CMX__S_BACKOFF;
      if (cmx__heap_set(e, &x->wake, now + delay) == 0) {
        cmx__log(e, CMX_LOG_DEBUG,
                 "lane %s: attempt %u failed (%s, status %ld), retry in "
                 "%llu ms",
                 l->name, c->attempts, cmx_code_name(code), status,
                 (unsigned long long)delay);
        cmx__lane_pump(l);
        return;
      }
      c->state = CMX__S_IDLE;
    }
  }

  url_for_text(c->url, where, sizeof(where));
  if (rc != CURLE_OK)
    cmx__call_finish(c, code, "%s %s: %s (after %u attempt%s)",
                     cmx_response_method(&x->res), where,
                     x->resend_refused
                         ? "connection closed before any response (the "
                           "request may have been received)"
                     : x->errbuf[0] ? x->errbuf
                                    : curl_easy_strerror(rc),
                     c->attempts, c->attempts == 1 ? "" : "s");
  else
    cmx__call_finish(c, code, "%s %s: HTTP %ld (after %u attempt%s)",
                     cmx_response_method(&x->res), where, status, c->attempts,
                     c->attempts == 1 ? "" : "s");
  cmx__lane_pump(l);
}

void cmx__call_wake(cmx_call *c)
{
  cmx_lane *l = c->l.lane;

  cmx__active_unlink(c->engine, c);
  c->state = CMX__S_QUEUED;
  cmx__lane_push(l, c, 1);
  cmx__lane_pump(l);
}

/* ---- the end ---------------------------------------------------------------
 */

void cmx__call_finish(cmx_call *c, int code, const char *fmt, ...)
{
  cmx_engine *e = c->engine;
  cmx_lane *l = c->l.lane;
  cmx__xfer *x = c->xfer;
  uint64_t now = cmx__now(e);
  int freed_slot = 0;

  switch (c->state) {
  case CMX__S_QUEUED:
    cmx__lane_unlink(l, c);
    break;
  case CMX__S_INFLIGHT:
    cmx__xfer_stop(c);
    l->inflight--;
    e->inflight_total--;
    freed_slot = 1;
    cmx__active_unlink(e, c);
    break;
  case CMX__S_BACKOFF:
    cmx__timerq_remove(&e->tq, &x->wake);
    cmx__active_unlink(e, c);
    break;
  case CMX__S_IDLE:
    cmx__active_unlink(e, c);
    break;
  default:
    return; /* already done */
  }
  if (cmx__tnode_queued(&c->deadline))
    cmx__timerq_remove(&e->tq, &c->deadline);
  cmx__xfer_release_easy(c);
  c->final_code = (int16_t)code;
  if (x) {
    x->res.code = code;
    free(x->res.detail);
    x->res.detail = NULL;
    if (fmt) {
      va_list ap;
      va_start(ap, fmt);
      x->res.detail = cmx__vasprintf(fmt, ap);
      va_end(ap);
    }
  } else if (fmt && code != CMX_OK) {
    va_list ap;
    va_start(ap, fmt);
    c->early_detail = cmx__vasprintf(fmt, ap);
    va_end(ap);
  }
  if (code == CMX_OK)
    l->n_ok++;
  else
    l->n_failed++;
  if (-code >= 0 && -code < CMX__NCODES)
    l->n_by_code[-code]++;
  cmx__hist_record(&l->h_total, (now - c->submit_ms) * 1000);
  if (code != CMX_OK)
    cmx__log(e, code == CMX_ECANCELED ? CMX_LOG_DEBUG : CMX_LOG_INFO,
             "lane %s: call ended: %s", l->name, cmx_code_name(code));
  c->state = CMX__S_DONE;
  c->next = NULL;
  if (e->done_tail)
    e->done_tail->next = c;
  else
    e->done_head = c;
  e->done_tail = c;
  cmx__defer_flush(e);
  if (freed_slot)
    cmx__lane_pump(l);
}

void cmx__call_deadline(cmx_call *c)
{
  static const char *const where[] = {"before submit", "queued",
                                      "in flight",     "in backoff",
                                      "done",          "between attempts"};
  uint64_t limit = c->deadline.when - c->submit_ms;

  cmx__call_finish(
      c, CMX_ETIMEDOUT, "deadline of %llu ms exceeded (%s)",
      (unsigned long long)limit,
      c->state < sizeof(where) / sizeof(where[0]) ? where[c->state] : "?");
}

void cmx_call_cancel(cmx_call *c)
{
  if (!c || c->state == CMX__S_NEW || c->state == CMX__S_DONE)
    return;
  cmx__call_finish(c, CMX_ECANCELED, "call cancelled");
}

/* Default reading of an error body: JSON "message" / "error" fields. */
static void default_error_parser(const cmx_response *res,
                                 cmx_service_error *se)
{
  struct json_object *j = cmx_response_json(res), *v;

  se->message = "";
  if (!j || !json_object_is_type(j, json_type_object)) {
    size_t len;
    const char *b = cmx_response_body(res, &len);
    if (len > 0 && len < 512)
      se->message = cmx_response_strdup(res, b);
    return;
  }
  if (json_object_object_get_ex(j, "error", &v)) {
    if (json_object_is_type(v, json_type_object)) {
      struct json_object *m;
      if (json_object_object_get_ex(v, "message", &m))
        se->message = cmx_response_strdup(res, json_object_get_string(m));
      if (json_object_object_get_ex(v, "code", &m))
        se->kind = cmx_response_strdup(res, json_object_get_string(m));
    } else {
      se->message = cmx_response_strdup(res, json_object_get_string(v));
    }
  }
  if ((!se->message || !*se->message) &&
      json_object_object_get_ex(j, "message", &v))
    se->message = cmx_response_strdup(res, json_object_get_string(v));
  if (!se->message)
    se->message = "";
}

void cmx__deliver(cmx_engine *e, cmx_call *c)
{
  cmx__xfer *x = c->xfer;
  cmx_response tmp, *res;

  if (x) {
    res = &x->res;
  } else {
    memset(&tmp, 0, sizeof(tmp));
    tmp.call = c;
    tmp.code = c->final_code;
    tmp.detail = c->early_detail;
    c->early_detail = NULL;
    res = &tmp;
  }
  res->elapsed_ms = cmx__now(e) - c->submit_ms;
  if (res->status >= 400 && res->code != CMX_OK) {
    res->se.status = res->status;
    res->se.message = "";
    (c->parser ? c->parser : default_error_parser)(res, &res->se);
    if (!res->se.message)
      res->se.message = "";
    res->se_set = 1;
  }
  if (c->done)
    c->done(c, res, c->ud);
  if (!x)
    cmx__response_clear(&tmp);
  if (e->outstanding > 0)
    e->outstanding--;
  cmx__call_free(c);
}
