/*
 * Partisci, async: the reporter of a long-running process (one update at
 * start, then one every interval, on the engine's timers).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "services/partisci/partisci-int.h"

struct cmx_partisci_reporter {
  cmx_partisci *c;
  cmx_engine *engine;
  char *app, *ver, *host;
  long instance;
  int use_http;
  uint64_t start_ms, interval_ms;
  uint64_t next_ms; /* when the next update is due (engine clock) */
  cmx_partisci_report_cb cb;
  void *ud;
  cmx_timer *timer;
  unsigned inflight;
  int stopped;
  int ticking;   /* inside rep_tick: release waits until it returns */
  int unclamped; /* started under the test hook */
  unsigned long sent, attempts;
};

static uint64_t test_interval_ms;

void cmx__partisci_reporter_test_interval(uint64_t ms)
{
  test_interval_ms = ms;
}

uint64_t cmx__partisci_reporter_next_ms(const cmx_partisci_reporter *r)
{
  return r->next_ms;
}

static uint64_t next_unclamped(uint64_t start, uint64_t now, uint64_t interval)
{
  if (interval == 0)
    interval = 1;
  if (now < start)
    return start + interval;
  return start + ((now - start) / interval + 1) * interval;
}

uint64_t cmx_partisci_next_report_ms(uint64_t start_ms, uint64_t now_ms,
                                     uint64_t interval_ms)
{
  if (interval_ms == 0 || interval_ms > CMX_PARTISCI_MAX_INTERVAL_MS)
    interval_ms = CMX_PARTISCI_MAX_INTERVAL_MS;
  if (interval_ms < CMX_PARTISCI_MIN_INTERVAL_MS)
    interval_ms = CMX_PARTISCI_MIN_INTERVAL_MS;
  return next_unclamped(start_ms, now_ms, interval_ms);
}

static void rep_release(cmx_partisci_reporter *r)
{
  cmx__partisci_unref(r->c);
  free(r->app);
  free(r->ver);
  free(r->host);
  free(r);
}

static void rep_maybe_release(cmx_partisci_reporter *r)
{
  if (r->stopped && !r->ticking && !r->timer && r->inflight == 0)
    rep_release(r);
}

static void rep_sent(cmx_partisci *c, const cmx_partisci_result *res, void *ud)
{
  cmx_partisci_reporter *r = ud;

  (void)c;
  r->inflight--;
  if (res->code == CMX_OK)
    r->sent++;
  if (!r->stopped && r->cb)
    r->cb(r, res, r->ud);
  rep_maybe_release(r);
}

/* Send one update now; errors are reported through the callback when
 * `report` (we are on the loop), else returned. */
static int rep_send(cmx_partisci_reporter *r, int report, char *errbuf,
                    size_t errlen)
{
  cmx_partisci_update u = {r->app, r->ver, r->host, r->instance};
  int rc;

  r->attempts++;
  rc = cmx__partisci_send(r->c, &u, r->use_http, rep_sent, r, errbuf, errlen);
  if (rc == CMX_OK) {
    r->inflight++;
  } else if (report && r->cb) {
    cmx_partisci_result res;

    memset(&res, 0, sizeof(res));
    res.code = rc;
    res.error = cmx_strerror(rc);
    r->cb(r, &res, r->ud);
  }
  return rc;
}

static void rep_tick(cmx_engine *e, int code, void *ud);

/* Compute the next due time after `now` (after a send). */
static void rep_plan(cmx_partisci_reporter *r, uint64_t now)
{
  if (r->unclamped)
    r->next_ms = next_unclamped(r->start_ms, now, r->interval_ms);
  else
    r->next_ms = cmx_partisci_next_report_ms(r->start_ms, now, r->interval_ms);
}

/* Arm the timer for r->next_ms. */
static int rep_schedule(cmx_partisci_reporter *r)
{
  uint64_t now = cmx_engine_now(r->engine), delay;

  delay = r->next_ms > now ? r->next_ms - now : 0;
  return cmx_timer_start(r->engine, delay, rep_tick, r, &r->timer);
}

static void rep_tick(cmx_engine *e, int code, void *ud)
{
  cmx_partisci_reporter *r = ud;
  uint64_t now;

  (void)e;
  r->timer = NULL;
  if (code != CMX_OK || r->stopped) {
    /* Cancelled by stop, or the engine is going away: no more sends
     * (the memory stays until cmx_partisci_reporter_stop). */
    rep_maybe_release(r);
    return;
  }
  /* Engine timers run on the engine's clock (cmx_options_set_clock), the
   * schedule too; should a timer ever fire before the update is due, it
   * only re-arms. */
  now = cmx_engine_now(r->engine);
  r->ticking = 1;
  if (now >= r->next_ms) {
    rep_send(r, 1, NULL, 0); /* may stop r from its callback */
    rep_plan(r, now);
  }
  if (!r->stopped && rep_schedule(r) != CMX_OK)
    r->timer = NULL; /* engine shutting down: the reporter goes idle */
  r->ticking = 0;
  rep_maybe_release(r);
}

cmx_partisci_reporter *
cmx_partisci_reporter_start(cmx_partisci *c, const cmx_partisci_update *u,
                            uint64_t interval_ms, int use_http,
                            cmx_partisci_report_cb cb, void *ud, char *errbuf,
                            size_t errlen)
{
  cmx_partisci_reporter *r;
  cmx_partisci_update full;

  if (!c || !u) {
    cmx__partisci_err(errbuf, errlen, "%s: missing", c ? "update" : "client");
    return NULL;
  }
  full = *u;
  if (!full.host)
    full.host = cmx_partisci_default_host(c);
  if (cmx_partisci_update_validate(&full, errbuf, errlen) != CMX_OK)
    return NULL;
  r = calloc(1, sizeof(*r));
  if (!r || !(r->app = strdup(full.app)) || !(r->ver = strdup(full.ver)) ||
      !(r->host = strdup(full.host))) {
    if (r) {
      free(r->app);
      free(r->ver);
      free(r);
    }
    cmx__partisci_err(errbuf, errlen, "out of memory");
    return NULL;
  }
  r->c = c;
  cmx__partisci_ref(c);
  r->engine = cmx__partisci_engine(c);
  r->instance = full.instance;
  r->use_http = use_http;
  r->cb = cb;
  r->ud = ud;
  r->interval_ms = test_interval_ms ? test_interval_ms : interval_ms;
  r->unclamped = test_interval_ms != 0;
  r->start_ms = cmx_engine_now(r->engine);
  if (rep_send(r, 0, errbuf, errlen) != CMX_OK) {
    rep_release(r);
    return NULL;
  }
  rep_plan(r, r->start_ms);
  if (rep_schedule(r) != CMX_OK) {
    /* The send is in flight: let it end, then release. */
    r->stopped = 1;
    r->timer = NULL;
    cmx__partisci_err(errbuf, errlen, "could not start the timer");
    return NULL;
  }
  return r;
}

unsigned long cmx_partisci_reporter_sent(const cmx_partisci_reporter *r)
{
  return r ? r->sent : 0;
}

unsigned long cmx_partisci_reporter_attempts(const cmx_partisci_reporter *r)
{
  return r ? r->attempts : 0;
}

void cmx_partisci_reporter_stop(cmx_partisci_reporter *r)
{
  if (!r || r->stopped)
    return;
  r->stopped = 1;
  if (r->timer)
    cmx_timer_cancel(r->timer); /* rep_tick runs with ECANCELED */
  rep_maybe_release(r);
}
