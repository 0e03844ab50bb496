/* The loop glue: the library's only user of <event2/...>. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <event2/util.h>

#include "core/loop.h"

struct cmx__io {
  struct event *ev;
  struct event_base *base;
  cmx__io_fn fn;
  void *arg;
  int fd;
  int what;
};

struct cmx__ltimer {
  struct event *ev;
  cmx__ltimer_fn fn;
  void *arg;
};

struct event_base *cmx__loop_new_base(void)
{
  static int threads_on;
  struct event_config *cfg;
  struct event_base *base;

  if (!threads_on) {
    if (evthread_use_pthreads() != 0)
      return NULL;
    threads_on = 1;
  }
  /* Lane tokens and timers are due to the millisecond: libevent's default
   * (coarse) monotonic clock ticks in 1-4 ms steps. */
  cfg = event_config_new();
  if (!cfg)
    return NULL;
  event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
  base = event_base_new_with_config(cfg);
  event_config_free(cfg);
  return base;
}

void cmx__loop_free_base(struct event_base *base)
{
  if (base)
    event_base_free(base);
}

int cmx__loop_run(struct event_base *base)
{
  return event_base_dispatch(base) < 0 ? -1 : 0;
}

void cmx__loop_break(struct event_base *base)
{
  event_base_loopbreak(base);
}

static void io_cb(evutil_socket_t fd, short what, void *arg)
{
  cmx__io *io = arg;
  int w = 0;

  if (what & EV_READ)
    w |= CMX__IO_READ;
  if (what & EV_WRITE)
    w |= CMX__IO_WRITE;
  io->fn((int)fd, w, io->arg);
}

cmx__io *cmx__io_new(struct event_base *base, cmx__io_fn fn, void *arg)
{
  cmx__io *io = calloc(1, sizeof(*io));

  if (!io)
    return NULL;
  io->ev = event_new(base, -1, 0, io_cb, io);
  if (!io->ev) {
    free(io);
    return NULL;
  }
  io->base = base;
  io->fn = fn;
  io->arg = arg;
  io->fd = -1;
  return io;
}

int cmx__io_set(cmx__io *io, int fd, int what)
{
  short flags = EV_PERSIST;

  if (fd == io->fd && what == io->what)
    return 0;
  if (io->what)
    event_del(io->ev);
  io->fd = fd;
  io->what = what;
  if (!what)
    return 0;
  if (what & CMX__IO_READ)
    flags |= EV_READ;
  if (what & CMX__IO_WRITE)
    flags |= EV_WRITE;
  if (event_assign(io->ev, io->base, fd, flags, io_cb, io) != 0)
    return -1;
  return event_add(io->ev, NULL);
}

void cmx__io_free(cmx__io *io)
{
  if (!io)
    return;
  event_free(io->ev);
  free(io);
}

static void ltimer_cb(evutil_socket_t fd, short what, void *arg)
{
  cmx__ltimer *t = arg;

  (void)fd;
  (void)what;
  t->fn(t->arg);
}

cmx__ltimer *cmx__ltimer_new(struct event_base *base, cmx__ltimer_fn fn,
                             void *arg)
{
  cmx__ltimer *t = calloc(1, sizeof(*t));

  if (!t)
    return NULL;
  t->ev = evtimer_new(base, ltimer_cb, t);
  if (!t->ev) {
    free(t);
    return NULL;
  }
  t->fn = fn;
  t->arg = arg;
  return t;
}

void cmx__ltimer_arm(cmx__ltimer *t, uint64_t ms)
{
  struct timeval tv;

  tv.tv_sec = (time_t)(ms / 1000);
  tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
  evtimer_add(t->ev, &tv);
}

void cmx__ltimer_arm_us(cmx__ltimer *t, uint64_t us)
{
  struct timeval tv;

  tv.tv_sec = (time_t)(us / 1000000u);
  tv.tv_usec = (suseconds_t)(us % 1000000u);
  evtimer_add(t->ev, &tv);
}

void cmx__ltimer_disarm(cmx__ltimer *t)
{
  evtimer_del(t->ev);
}

void cmx__ltimer_free(cmx__ltimer *t)
{
  if (!t)
    return;
  event_free(t->ev);
  free(t);
}

/* ---- resolution ---------------------------------------------------- */

struct cmx__resolver {
  struct evdns_base *dns;
};

typedef struct cmx__resolve {
  cmx__resolve_fn fn;
  void *arg;
} cmx__resolve;

cmx__resolver *cmx__resolver_new(struct event_base *base)
{
  cmx__resolver *r = calloc(1, sizeof(*r));

  if (!r)
    return NULL;
  r->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
                                    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
  if (!r->dns) {
    /* No resolv.conf: numeric hosts and /etc/hosts still work. */
    r->dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    if (!r->dns) {
      free(r);
      return NULL;
    }
    evdns_base_load_hosts(r->dns, NULL);
  }
  return r;
}

void cmx__resolver_free(cmx__resolver *r)
{
  if (!r)
    return;
  /* fail_requests=1: pending callbacks run with EVUTIL_EAI_CANCEL. */
  evdns_base_free(r->dns, 1);
  free(r);
}

static void resolve_cb(int err, struct evutil_addrinfo *ai, void *arg)
{
  cmx__resolve *q = arg;

  if (err == EVUTIL_EAI_CANCEL) {
    free(q);
    return;
  }
  if (err || !ai)
    q->fn(err ? err : -1, NULL, 0, q->arg);
  else
    q->fn(0, ai->ai_addr, (socklen_t)ai->ai_addrlen, q->arg);
  if (ai)
    evutil_freeaddrinfo(ai);
  free(q);
}

int cmx__resolve_start(cmx__resolver *r, const char *host, unsigned port,
                       cmx__resolve_fn fn, void *arg)
{
  struct evutil_addrinfo hints;
  char portstr[8];
  cmx__resolve *q = calloc(1, sizeof(*q));

  if (!q)
    return -1;
  q->fn = fn;
  q->arg = arg;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_protocol = IPPROTO_UDP;
  snprintf(portstr, sizeof(portstr), "%u", port);
  evdns_getaddrinfo(r->dns, host, portstr, &hints, resolve_cb, q);
  return 0;
}
