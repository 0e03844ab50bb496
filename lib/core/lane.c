/*
 * Lanes: every call waits in one.  A lane admits queued calls while it is
 * under its in-flight cap, not paused by a 429, and its token bucket has a
 * token; otherwise it sleeps on the timer heap until the next token or the
 * end of the pause.  Nothing polls.
 *
 * 429 handling (adaptive): the lane pauses for the service's Retry-After /
 * ratelimit-reset (or a backoff when it gives none), its effective rate is
 * halved (at most once a second, see aimd.h) and its in-flight cap halved;
 * successes then bring both back step by step.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/engine-int.h"
#include "core/retry_after.h"

void cmx_retry_policy_default(cmx_retry_policy *p)
{
  if (!p)
    return;
  p->max_attempts = 4;
  p->base_ms = 100;
  p->cap_ms = 20000;
  p->max_wait_ms = 60000;
  p->budget_percent = 20;
  p->budget_min = 10;
  p->retry_500 = 0;
}

/* "scheme://host:port", lower-case, default ports filled in. */
int cmx__lane_origin(const char *url, char *out, size_t outlen)
{
  const char *p = strstr(url, "://"), *host, *end, *at;
  size_t slen, hlen, i;
  unsigned port = 0;
  int https;
  int n;

  if (!p)
    return -1;
  slen = (size_t)(p - url);
  https = slen == 5 && strncasecmp(url, "https", 5) == 0;
  if (!https && !(slen == 4 && strncasecmp(url, "http", 4) == 0))
    return -1;
  host = p + 3;
  end = host + strcspn(host, "/?#");
  at = memchr(host, '@', (size_t)(end - host));
  if (at)
    host = at + 1;
  if (*host == '[') {
    const char *rb = memchr(host, ']', (size_t)(end - host));
    if (!rb)
      return -1;
    hlen = (size_t)(rb - host) + 1;
    if (rb + 1 < end && rb[1] == ':')
      port = (unsigned)strtoul(rb + 2, NULL, 10);
  } else {
    const char *colon = memchr(host, ':', (size_t)(end - host));
    hlen = (size_t)((colon ? colon : end) - host);
    if (colon)
      port = (unsigned)strtoul(colon + 1, NULL, 10);
  }
  if (hlen == 0)
    return -1;
  if (!port)
    port = https ? 443 : 80;
  n = snprintf(out, outlen, "%s://%.*s:%u", https ? "https" : "http",
               (int)hlen, host, port);
  if (n < 0 || (size_t)n >= outlen)
    return -1;
  for (i = 0; out[i]; i++)
    out[i] = (char)tolower((unsigned char)out[i]);
  return 0;
}

static size_t hash_name(const char *s)
{
  size_t h = 1469598103934665603ULL;

  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static int grow_table(cmx_engine *e)
{
  size_t nsize = e->lane_tab_size ? e->lane_tab_size * 2 : 64, i;
  cmx_lane **t = calloc(nsize, sizeof(*t));

  if (!t)
    return -1;
  for (i = 0; i < e->lane_tab_size; i++) {
    cmx_lane *l = e->lane_tab[i];
    while (l) {
      cmx_lane *next = l->hnext;
      size_t b = hash_name(l->name) & (nsize - 1);
      l->hnext = t[b];
      t[b] = l;
      l = next;
    }
  }
  free(e->lane_tab);
  e->lane_tab = t;
  e->lane_tab_size = nsize;
  return 0;
}

cmx_lane *cmx_engine_lane(cmx_engine *e, const char *name)
{
  cmx_lane *l;
  size_t b;

  if (!e || !name || !*name)
    return NULL;
  if (e->lane_tab_size) {
    for (l = e->lane_tab[hash_name(name) & (e->lane_tab_size - 1)]; l;
         l = l->hnext)
      if (strcmp(l->name, name) == 0)
        return l;
  }
  if (e->nlanes + 1 > e->lane_tab_size * 2 && grow_table(e) != 0)
    return NULL;
  l = calloc(1, sizeof(*l));
  if (!l)
    return NULL;
  l->name = cmx__strdup(name);
  if (!l->name) {
    free(l);
    return NULL;
  }
  l->engine = e;
  l->queue_limit = e->opt.def_queue;
  l->max_inflight = l->eff_inflight = e->opt.def_inflight;
  cmx__tnode_init(&l->wake, CMX__T_LANE);
  cmx_retry_policy_default(&l->retry);
  cmx__budget_init(&l->budget, l->retry.budget_percent, l->retry.budget_min);
  cmx__bucket_init(&l->bucket, 0, 1, cmx__now(e));
  cmx__aimd_init(&l->aimd, 0);
  cmx__hist_init(&l->h_queue);
  cmx__hist_init(&l->h_service);
  cmx__hist_init(&l->h_total);
  b = hash_name(name) & (e->lane_tab_size - 1);
  l->hnext = e->lane_tab[b];
  e->lane_tab[b] = l;
  l->all_next = e->lanes;
  e->lanes = l;
  e->nlanes++;
  return l;
}

cmx_lane *cmx__lane_for(cmx_engine *e, cmx_call *c, int *err)
{
  char origin[512];
  cmx_lane *l;

  if (c->l.lane_name) {
    l = cmx_engine_lane(e, c->l.lane_name);
  } else {
    if (cmx__lane_origin(c->url, origin, sizeof(origin)) != 0) {
      *err = CMX_EINVAL;
      return NULL;
    }
    l = cmx_engine_lane(e, origin);
  }
  if (!l)
    *err = CMX_ENOMEM;
  return l;
}

void cmx__lanes_free(cmx_engine *e)
{
  while (e->lanes) {
    cmx_lane *l = e->lanes;
    e->lanes = l->all_next;
    free(l->name);
    free(l);
  }
  free(e->lane_tab);
  e->lane_tab = NULL;
  e->lane_tab_size = e->nlanes = 0;
}

/* ---- queue ----------------------------------------------------------------
 */

void cmx__lane_push(cmx_lane *l, cmx_call *c, int front)
{
  int inter = (c->flags & CMX__F_INTERACTIVE) != 0;
  cmx_call **head = inter ? &l->qi_head : &l->qb_head;
  cmx_call **tail = inter ? &l->qi_tail : &l->qb_tail;

  if (front) {
    c->prev = NULL;
    c->next = *head;
    if (*head)
      (*head)->prev = c;
    else
      *tail = c;
    *head = c;
  } else {
    c->next = NULL;
    c->prev = *tail;
    if (*tail)
      (*tail)->next = c;
    else
      *head = c;
    *tail = c;
  }
  l->queued++;
}

void cmx__lane_unlink(cmx_lane *l, cmx_call *c)
{
  int inter = (c->flags & CMX__F_INTERACTIVE) != 0;
  cmx_call **head = inter ? &l->qi_head : &l->qb_head;
  cmx_call **tail = inter ? &l->qi_tail : &l->qb_tail;

  if (c->prev)
    c->prev->next = c->next;
  else
    *head = c->next;
  if (c->next)
    c->next->prev = c->prev;
  else
    *tail = c->prev;
  c->next = c->prev = NULL;
  l->queued--;
}

static cmx_call *pop(cmx_lane *l)
{
  cmx_call *c = l->qi_head ? l->qi_head : l->qb_head;

  if (c)
    cmx__lane_unlink(l, c);
  return c;
}

static void sleep_until(cmx_lane *l, uint64_t when)
{
  if (!cmx__tnode_queued(&l->wake) || l->wake.when != when)
    cmx__heap_set(l->engine, &l->wake, when);
}

void cmx__lane_pump(cmx_lane *l)
{
  cmx_engine *e = l->engine;
  uint64_t now;

  if (e->freeing || e->draining == 3 || l->queued == 0)
    return;
  now = cmx__now(e);
  while (l->queued > 0 && l->inflight < l->eff_inflight) {
    cmx_call *c;
    if (l->paused_until) {
      if (l->paused_until > now) {
        sleep_until(l, l->paused_until);
        return;
      }
      /* Resume at the rate, without a burst saved up while paused. */
      l->paused_until = 0;
      if (l->rate > 0) {
        l->bucket.tokens = 0;
        l->bucket.last = now;
      }
    }
    if (l->quota_known) {
      if (now >= l->quota_reset_at) {
        l->quota_known = 0; /* a new window: learn it again */
      } else if (l->quota_left <= 0) {
        sleep_until(l, l->quota_reset_at);
        return;
      }
    }
    if (l->rate > 0 && !cmx__bucket_take(&l->bucket, now)) {
      uint64_t wait = cmx__bucket_wait_ms(&l->bucket, now);
      sleep_until(l, now + (wait ? wait : 1));
      return;
    }
    c = pop(l);
    if (l->quota_known)
      l->quota_left--;
    cmx__call_admit(c);
  }
}

void cmx__lane_wake(cmx_lane *l)
{
  cmx__lane_pump(l);
}

void cmx__lane_on_429(cmx_lane *l, uint64_t pause_ms)
{
  cmx_engine *e = l->engine;
  uint64_t now = cmx__now(e);

  /*
   * A wait the service named (Retry-After, ratelimit-reset) holds for the
   * whole lane: it speaks of the credential or host, not of one call.
   * Without one, the lane slows instead of stopping: the rate (when one is
   * set) and the in-flight cap are cut, each at most once per second, since
   * 429s arriving within a second of a cut answer calls sent before it.
   */
  if (pause_ms) {
    if (pause_ms > l->retry.max_wait_ms)
      pause_ms = l->retry.max_wait_ms;
    if (now + pause_ms > l->paused_until)
      l->paused_until = now + pause_ms;
  }
  if (l->rate > 0) {
    double r = cmx__aimd_on_429(&l->aimd, now);
    cmx__bucket_set(&l->bucket, r, l->burst, now);
  }
  if (l->eff_inflight > 1 && (!l->cap_cut_ms || now >= l->cap_cut_ms + 1000)) {
    l->eff_inflight = (l->eff_inflight + 1) / 2;
    l->cap_cut_ms = now + 1;
  }
  cmx__log(e, CMX_LOG_WARN,
           "lane %s: rate limited (wait %llu ms), in-flight cap %u", l->name,
           (unsigned long long)pause_ms, l->eff_inflight);
}

void cmx__lane_on_success(cmx_lane *l)
{
  if (l->eff_inflight < l->max_inflight)
    l->eff_inflight++;
  if (l->rate > 0 && l->aimd.current < l->rate) {
    uint64_t now = cmx__now(l->engine);
    double r = cmx__aimd_on_success(&l->aimd, now);
    cmx__bucket_set(&l->bucket, r, l->burst, now);
  }
}

/*
 * The service says how many calls are left in its window and when the
 * window resets (PagerDuty's ratelimit-remaining / ratelimit-reset).  The
 * lane then admits no more than that until the reset, counting the calls
 * still in flight against it, so a lane at or above the service's limit
 * stops meeting 429s after the first window.  Within one window the lowest
 * figure wins: responses arrive out of order.
 */
void cmx__lane_note_quota(cmx_lane *l, const cmx_response *r)
{
  const char *rem = cmx_response_header(r, "ratelimit-remaining");
  const char *rst = cmx_response_header(r, "ratelimit-reset");
  uint64_t now, reset_ms, at;
  long left;
  char *end;

  if (!rem || !rst || cmx__ratelimit_reset_parse(rst, &reset_ms) != 0)
    return;
  left = strtol(rem, &end, 10);
  if (end == rem || left < 0)
    return;
  now = cmx__now(l->engine);
  at = now + reset_ms;
  left -= (long)l->inflight;
  if (l->quota_known && now < l->quota_reset_at &&
      (at + 250 >= l->quota_reset_at && at <= l->quota_reset_at + 250)) {
    if (left < l->quota_left)
      l->quota_left = left;
    return;
  }
  l->quota_known = 1;
  l->quota_left = left;
  l->quota_reset_at = at;
}

/* ---- public configuration ---------------------------------------------- */

int cmx_lane_set_max_inflight(cmx_lane *l, unsigned n)
{
  if (!l || n == 0)
    return CMX_EINVAL;
  l->max_inflight = l->eff_inflight = n;
  cmx__lane_pump(l);
  return CMX_OK;
}

int cmx_lane_set_queue_limit(cmx_lane *l, size_t n)
{
  if (!l || n == 0)
    return CMX_EINVAL;
  l->queue_limit = n;
  return CMX_OK;
}

int cmx_lane_set_rate(cmx_lane *l, double per_second, unsigned burst)
{
  uint64_t now;

  if (!l || per_second < 0 || per_second != per_second)
    return CMX_EINVAL;
  now = cmx__now(l->engine);
  l->rate = per_second;
  l->burst = burst ? burst : 1;
  cmx__bucket_init(&l->bucket, per_second, l->burst, now);
  cmx__aimd_init(&l->aimd, per_second);
  cmx__lane_pump(l);
  return CMX_OK;
}

int cmx_lane_set_retry(cmx_lane *l, const cmx_retry_policy *p)
{
  if (!l || !p || p->max_attempts == 0 || p->max_attempts > 100 ||
      p->budget_percent > 100)
    return CMX_EINVAL;
  l->retry = *p;
  if (l->retry.cap_ms < l->retry.base_ms)
    l->retry.cap_ms = l->retry.base_ms;
  cmx__budget_init(&l->budget, p->budget_percent, p->budget_min);
  return CMX_OK;
}

const char *cmx_lane_name(const cmx_lane *l)
{
  return l ? l->name : NULL;
}

size_t cmx_lane_queued(const cmx_lane *l)
{
  return l ? l->queued : 0;
}

unsigned cmx_lane_inflight(const cmx_lane *l)
{
  return l ? l->inflight : 0;
}
