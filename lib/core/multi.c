/*
 * libcurl multi_socket glue.  libcurl tells us which sockets to watch and
 * when to wake it; we call curl_multi_socket_action from the loop and drain
 * curl_multi_info_read afterwards.  Nothing here calls user code: finished
 * calls go to the engine's completion list, delivered by cmx__leave() once
 * libcurl has returned.
 */
#include "config.h"

#include <stdlib.h>

#include "core/engine-int.h"

struct cmx__sock {
  cmx_engine *engine;
  cmx__io *io;
  cmx__sock *next;     /* pool */
  cmx__sock *all_next; /* every watcher, freed with the engine */
  curl_socket_t fd;
};

static void check_done(cmx_engine *e)
{
  CURLMsg *msg;
  int left;

  while ((msg = curl_multi_info_read(e->multi, &left))) {
    cmx_call *c = NULL;
    CURLcode rc;

    if (msg->msg != CURLMSG_DONE)
      continue;
    rc = msg->data.result;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
    if (c)
      cmx__call_attempt_done(c, rc);
  }
}

static void socket_action(cmx_engine *e, curl_socket_t fd, int ev)
{
  int running;

  e->in_curl = 1;
  curl_multi_socket_action(e->multi, fd, ev, &running);
  e->in_curl = 0;
  check_done(e);
}

static void sock_event(int fd, int what, void *arg)
{
  cmx__sock *s = arg;
  cmx_engine *e = s->engine;
  int ev = 0;

  if (what & CMX__IO_READ)
    ev |= CURL_CSELECT_IN;
  if (what & CMX__IO_WRITE)
    ev |= CURL_CSELECT_OUT;
  cmx__enter(e);
  socket_action(e, fd, ev);
  cmx__leave(e);
}

static void curl_timer_fire(void *arg)
{
  cmx_engine *e = arg;

  cmx__enter(e);
  socket_action(e, CURL_SOCKET_TIMEOUT, 0);
  cmx__leave(e);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
                     void *sockp)
{
  cmx_engine *e = userp;
  cmx__sock *s = sockp;
  int w = 0;

  (void)easy;
  if (what == CURL_POLL_REMOVE) {
    if (s) {
      cmx__io_set(s->io, -1, 0);
      curl_multi_assign(e->multi, fd, NULL);
      s->next = e->sock_pool;
      e->sock_pool = s;
    }
    return 0;
  }
  if (!s) {
    /* Watchers are pooled: a kept-alive connection's socket comes and goes
     * with every call, its watcher is reused rather than remade. */
    if (e->sock_pool) {
      s = e->sock_pool;
      e->sock_pool = s->next;
    } else {
      s = calloc(1, sizeof(*s));
      if (!s)
        return -1;
      s->engine = e;
      s->io = cmx__io_new(e->base, sock_event, s);
      if (!s->io) {
        free(s);
        return -1;
      }
      s->all_next = e->sock_all;
      e->sock_all = s;
    }
    s->fd = fd;
    s->next = NULL;
    curl_multi_assign(e->multi, fd, s);
  }
  if (what & CURL_POLL_IN)
    w |= CMX__IO_READ;
  if (what & CURL_POLL_OUT)
    w |= CMX__IO_WRITE;
  return cmx__io_set(s->io, fd, w) == 0 ? 0 : -1;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
  cmx_engine *e = userp;

  (void)multi;
  if (timeout_ms < 0)
    cmx__ltimer_disarm(e->curl_timer);
  else
    cmx__ltimer_arm(e->curl_timer, (uint64_t)timeout_ms);
  return 0;
}

int cmx__multi_init(cmx_engine *e)
{
  e->curl_timer = cmx__ltimer_new(e->base, curl_timer_fire, e);
  if (!e->curl_timer)
    return -1;
  e->multi = curl_multi_init();
  if (!e->multi)
    return -1;
  curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
  curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
  curl_multi_setopt(e->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  /* Enough idle connections to keep every admitted call's one alive: at
   * 4096, more calls in flight to one host than that made each completion
   * close the oldest idle connection (a walk of the whole cache) and the
   * next call open a new one.  libcurl's default (0) is 4 x the handles
   * added, which follows the load. */
  curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, 0L);
  if (e->opt.max_connections > 0)
    curl_multi_setopt(e->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      e->opt.max_connections);
  return 0;
}

void cmx__multi_cleanup(cmx_engine *e)
{
  size_t i;

  if (e->multi) {
    /* The socket callback may run during cleanup: watchers still exist. */
    curl_multi_cleanup(e->multi);
    e->multi = NULL;
  }
  for (i = 0; i < e->easy_pool_len; i++)
    curl_easy_cleanup(e->easy_pool[i]);
  free(e->easy_pool);
  e->easy_pool = NULL;
  e->easy_pool_len = e->easy_pool_cap = 0;
  e->sock_pool = NULL;
  while (e->sock_all) {
    cmx__sock *s = e->sock_all;
    e->sock_all = s->all_next;
    cmx__io_free(s->io);
    free(s);
  }
  cmx__ltimer_free(e->curl_timer);
  e->curl_timer = NULL;
}

CURL *cmx__easy_get(cmx_engine *e, int *fresh)
{
  if (e->easy_pool_len > 0) {
    *fresh = 0;
    return e->easy_pool[--e->easy_pool_len];
  }
  *fresh = 1;
  return curl_easy_init();
}

/*
 * Pooled handles keep their options (no curl_easy_reset: cmx__xfer_start
 * sets every option that differs between calls); only the pointers into
 * the finished call's memory are cleared here.
 */
void cmx__easy_put(cmx_engine *e, CURL *h)
{
  if (!h)
    return;
  curl_easy_setopt(h, CURLOPT_PRIVATE, NULL);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
  if (e->easy_pool_len == e->easy_pool_cap) {
    size_t ncap = e->easy_pool_cap ? e->easy_pool_cap * 2 : 64;
    CURL **p = realloc(e->easy_pool, ncap * sizeof(*p));
    if (!p) {
      curl_easy_cleanup(h);
      return;
    }
    e->easy_pool = p;
    e->easy_pool_cap = ncap;
  }
  e->easy_pool[e->easy_pool_len++] = h;
}
