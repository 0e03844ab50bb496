/* The engine: lifetime, options, loop entry/leave and completion delivery. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/engine-int.h"

/* ---- options ------------------------------------------------------- */

cmx_options *cmx_options_new(void)
{
  cmx_options *o = calloc(1, sizeof(*o));

  if (!o)
    return NULL;
  o->def_inflight = 64;
  o->def_queue = 1000000;
  o->workers = 2;
  o->log_max = CMX_LOG_ERROR;
  return o;
}

void cmx_options_free(cmx_options *o)
{
  if (!o)
    return;
  free(o->ca_file);
  free(o->user_agent);
  free(o);
}

static int set_str(char **dst, const char *s)
{
  char *d = NULL;

  if (s && !(d = cmx__strdup(s)))
    return CMX_ENOMEM;
  free(*dst);
  *dst = d;
  return CMX_OK;
}

int cmx_options_set_ca_file(cmx_options *o, const char *path)
{
  return o ? set_str(&o->ca_file, path) : CMX_EINVAL;
}

int cmx_options_set_user_agent(cmx_options *o, const char *ua)
{
  if (!o || (ua && strpbrk(ua, "\r\n")))
    return CMX_EINVAL;
  return set_str(&o->user_agent, ua);
}

int cmx_options_set_log(cmx_options *o, cmx_log_level max, cmx_log_fn fn,
                        void *ud)
{
  if (!o || max < CMX_LOG_ERROR || max > CMX_LOG_DEBUG)
    return CMX_EINVAL;
  o->log_max = max;
  o->log_fn = fn;
  o->log_ud = ud;
  return CMX_OK;
}

int cmx_options_set_max_connections(cmx_options *o, long n)
{
  if (!o || n < 0)
    return CMX_EINVAL;
  o->max_connections = n;
  return CMX_OK;
}

int cmx_options_set_default_max_inflight(cmx_options *o, unsigned n)
{
  if (!o || n == 0)
    return CMX_EINVAL;
  o->def_inflight = n;
  return CMX_OK;
}

int cmx_options_set_default_queue_limit(cmx_options *o, size_t n)
{
  if (!o || n == 0)
    return CMX_EINVAL;
  o->def_queue = n;
  return CMX_OK;
}

int cmx_options_set_workers(cmx_options *o, unsigned n)
{
  if (!o || n == 0 || n > 256)
    return CMX_EINVAL;
  o->workers = n;
  return CMX_OK;
}

int cmx_options_set_clock(cmx_options *o, cmx_clock_fn fn, void *ud)
{
  if (!o)
    return CMX_EINVAL;
  o->clock = fn;
  o->clock_ud = ud;
  return CMX_OK;
}

/* ---- process-wide set-up ------------------------------------------- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_ok;

static void global_init(void)
{
  struct sigaction sa;

  global_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  /* TLS writes on a closed peer raise SIGPIPE; libcurl with NOSIGNAL does
   * not guard against it.  Ignore it unless the program handles it. */
  if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGPIPE, &sa, NULL);
  }
}

/* ---- time ------------------------------------------------------------ */

uint64_t cmx__now(cmx_engine *e)
{
  if (e->opt.clock)
    return e->opt.clock(e->opt.clock_ud);
  return cmx__clock_mono_ms();
}

uint64_t cmx_engine_now(cmx_engine *e)
{
  return cmx__now(e);
}

/* ---- timer heap -------------------------------------------------------- */

void cmx__heap_rearm(cmx_engine *e)
{
  cmx__tnode *top = cmx__timerq_peek(&e->tq);
  uint64_t now;

  if (!top) {
    if (e->heap_armed_for != UINT64_MAX) {
      cmx__ltimer_disarm(e->heap_timer);
      e->heap_armed_for = UINT64_MAX;
    }
    return;
  }
  /* With the caller's clock, time may jump: the loop timer's real-time
   * delay is recomputed on every change. */
  if (top->when == e->heap_armed_for && !e->opt.clock)
    return;
  if (!e->opt.clock) {
    /* Due at the start of millisecond `when`: measured from the
     * microsecond clock, not from a now truncated to the millisecond, so
     * the wake-up is not late by the sub-millisecond phase of the arming
     * (which a burst-1 bucket cannot bank). */
    uint64_t now_us = cmx__clock_mono_us(), due_us = top->when * 1000u;
    cmx__ltimer_arm_us(e->heap_timer, due_us > now_us ? due_us - now_us : 0);
  } else {
    now = cmx__now(e);
    cmx__ltimer_arm(e->heap_timer, top->when > now ? top->when - now : 0);
  }
  e->heap_armed_for = top->when;
}

int cmx__heap_set(cmx_engine *e, cmx__tnode *n, uint64_t when)
{
  if (cmx__timerq_set(&e->tq, n, when) != 0)
    return -1;
  if (when < e->heap_armed_for || e->opt.clock)
    cmx__heap_rearm(e);
  return 0;
}

static void heap_fire(void *arg)
{
  cmx_engine *e = arg;
  cmx__tnode *n;
  uint64_t now;

  cmx__enter(e);
  e->heap_armed_for = UINT64_MAX;
  now = cmx__now(e);
  while ((n = cmx__timerq_peek(&e->tq)) && n->when <= now && !e->freeing) {
    cmx__timerq_remove(&e->tq, n);
    switch (n->kind) {
    case CMX__T_DEADLINE:
      cmx__call_deadline(
          (cmx_call *)((char *)n - offsetof(cmx_call, deadline)));
      break;
    case CMX__T_WAKE:
      cmx__call_wake(
          ((cmx_response *)((char *)n - offsetof(cmx__xfer, wake)))->call);
      break;
    case CMX__T_LANE:
      cmx__lane_wake((cmx_lane *)((char *)n - offsetof(cmx_lane, wake)));
      break;
    case CMX__T_USER:
      cmx__user_timer_fire(n);
      break;
    default:
      break;
    }
  }
  if (!e->freeing)
    cmx__heap_rearm(e);
  cmx__leave(e);
}

/* ---- completions ------------------------------------------------------ */

static void flush_fire(void *arg)
{
  cmx_engine *e = arg;

  e->flush_armed = 0;
  cmx__enter(e);
  cmx__leave(e);
}

void cmx__defer_flush(cmx_engine *e)
{
  if (e->depth == 0 && !e->flush_armed) {
    e->flush_armed = 1;
    cmx__ltimer_arm(e->flush_timer, 0);
  }
}

void cmx__misc_push(cmx_engine *e, cmx__misc *m)
{
  m->next = NULL;
  if (e->misc_tail)
    e->misc_tail->next = m;
  else
    e->misc_head = m;
  e->misc_tail = m;
  cmx__defer_flush(e);
}

void cmx__work_done(cmx_engine *e)
{
  if (e->outstanding > 0)
    e->outstanding--;
}

static void drain_fire(cmx__misc *m, cmx_engine *e);
static cmx__misc drain_misc = {NULL, drain_fire};

static void drain_fire(cmx__misc *m, cmx_engine *e)
{
  cmx_drain_cb cb = e->drain_cb;

  (void)m;
  e->drain_cb = NULL;
  if (cb)
    cb(e, e->drain_ud);
}

void cmx__maybe_drained(cmx_engine *e)
{
  if (e->draining == 1 && e->outstanding == 0 && !e->freeing) {
    e->draining = 2;
    if (e->drain_cb)
      cmx__misc_push(e, &drain_misc);
  }
}

/* Deliver every deferred completion; runs with depth held at 1 so the
 * callbacks' own API calls queue more completions instead of recursing. */
static void deliver_all(cmx_engine *e)
{
  for (;;) {
    cmx_call *c = e->done_head;
    cmx__misc *m;

    if (c) {
      e->done_head = c->next;
      if (!e->done_head)
        e->done_tail = NULL;
      cmx__deliver(e, c);
      continue;
    }
    m = e->misc_head;
    if (m) {
      e->misc_head = m->next;
      if (!e->misc_head)
        e->misc_tail = NULL;
      m->fire(m, e);
      continue;
    }
    if (e->draining == 1)
      cmx__maybe_drained(e);
    if (!e->done_head && !e->misc_head)
      break;
  }
}

void cmx__enter(cmx_engine *e)
{
  e->depth++;
}

static void engine_destroy(cmx_engine *e);
static void cancel_everything(cmx_engine *e);

int cmx__leave(cmx_engine *e)
{
  if (e->depth > 1) {
    e->depth--;
    return 0;
  }
  deliver_all(e);
  if (e->freeing) {
    cancel_everything(e);
    deliver_all(e);
    engine_destroy(e);
    return 1;
  }
  e->depth = 0;
  /* Nothing left in the heap: take its loop timer off, so an idle engine
   * never wakes (a removed deadline otherwise leaves it armed). */
  if (e->heap_armed_for != UINT64_MAX && !cmx__timerq_peek(&e->tq))
    cmx__heap_rearm(e);
  if (e->running && e->outstanding == 0)
    cmx__loop_break(e->base);
  return 0;
}

/* ---- life ------------------------------------------------------------- */

cmx_engine *cmx_engine_new(struct event_base *base, const cmx_options *opts)
{
  cmx_engine *e;
  cmx_options *defaults = NULL;

  pthread_once(&global_once, global_init);
  if (!global_ok)
    return NULL;
  e = calloc(1, sizeof(*e));
  if (!e)
    return NULL;
  if (!opts) {
    defaults = cmx_options_new();
    if (!defaults)
      goto fail;
    opts = defaults;
  }
  e->opt = *opts;
  e->opt.ca_file = NULL;
  e->opt.user_agent = NULL;
  if ((opts->ca_file && !(e->opt.ca_file = cmx__strdup(opts->ca_file))) ||
      (opts->user_agent &&
       !(e->opt.user_agent = cmx__strdup(opts->user_agent))))
    goto fail;
  cmx_options_free(defaults);
  defaults = NULL;
  if (!base) {
    base = cmx__loop_new_base();
    if (!base)
      goto fail;
    e->own_base = 1;
  }
  e->base = base;
  e->heap_armed_for = UINT64_MAX;
  cmx__timerq_init(&e->tq);
  cmx__rng_seed(&e->rng, (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
                             (uint64_t)(uintptr_t)e);
  e->heap_timer = cmx__ltimer_new(base, heap_fire, e);
  e->flush_timer = cmx__ltimer_new(base, flush_fire, e);
  if (!e->heap_timer || !e->flush_timer)
    goto fail;
  if (cmx__multi_init(e) != 0)
    goto fail;
  if (cmx__post_init(e) != 0)
    goto fail;
  return e;
fail:
  cmx_options_free(defaults);
  engine_destroy(e);
  return NULL;
}

struct event_base *cmx_engine_base(cmx_engine *e)
{
  return e->base;
}

size_t cmx_engine_outstanding(const cmx_engine *e)
{
  return e->outstanding;
}

int cmx_engine_run(cmx_engine *e)
{
  if (!e || !e->own_base || e->running || e->depth)
    return CMX_EINVAL;
  if (e->outstanding == 0 && !e->done_head && !e->misc_head)
    return CMX_OK;
  e->running = 1;
  if (cmx__loop_run(e->base) != 0) {
    e->running = 0;
    return CMX_EINTERNAL;
  }
  e->running = 0;
  return CMX_OK;
}

int cmx_engine_drain(cmx_engine *e, cmx_drain_cb cb, void *ud)
{
  if (!e || e->draining || e->freeing)
    return CMX_EINVAL;
  e->draining = 1;
  e->drain_cb = cb;
  e->drain_ud = ud;
  if (e->outstanding == 0) {
    e->draining = 2;
    if (cb)
      cmx__misc_push(e, &drain_misc);
  }
  return CMX_OK;
}

/* Ends every call, timer, datagram and work item with CMX_ECANCELED (their
 * callbacks are queued, delivered by the caller). */
static void cancel_everything(cmx_engine *e)
{
  cmx_lane *l;

  e->draining = 3; /* refuse new work */
  for (l = e->lanes; l; l = l->all_next) {
    cmx_call *c;
    while ((c = l->qi_head) || (c = l->qb_head))
      cmx__call_finish(c, CMX_ECANCELED, "engine freed while queued");
  }
  while (e->active)
    cmx_call_cancel(e->active);
  cmx__timers_cancel_all(e);
  cmx__udp_free(e);
  cmx__work_free(e);
}

static void engine_destroy(cmx_engine *e)
{
  if (!e)
    return;
  cmx__post_free(e);
  cmx__multi_cleanup(e);
  cmx__lanes_free(e);
  cmx__timerq_free(&e->tq);
  cmx__ltimer_free(e->heap_timer);
  cmx__ltimer_free(e->flush_timer);
  if (e->own_base)
    cmx__loop_free_base(e->base);
  free(e->opt.ca_file);
  free(e->opt.user_agent);
  free(e);
}

void cmx_engine_free(cmx_engine *e)
{
  if (!e)
    return;
  if (e->depth > 0) {
    /* Inside a callback: finish when the outermost entry leaves. */
    e->freeing = 1;
    cmx__mbox_close(e->post);
    return;
  }
  e->depth = 1;
  e->freeing = 1;
  cmx__mbox_close(e->post);
  cancel_everything(e);
  deliver_all(e);
  engine_destroy(e);
}
