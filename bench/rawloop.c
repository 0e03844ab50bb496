/*
 * rawloop: the baseline for callmux-bench.
 *
 * A plain libcurl multi_socket + libevent loop in the pattern of curl's
 * hiperfifo example: one libevent event per socket (kept in the pointer
 * libcurl hands back through curl_multi_assign, re-armed only when libcurl
 * changes what it waits for), one non-repeating timer for libcurl's
 * timeout (0 ms scheduled as an immediate timer, never called inline),
 * and curl_multi_info_read drained after every curl_multi_socket_action.
 * Easy handles are made once per concurrency slot and reused, so their
 * connections are kept alive.  The body is kept in a per-handle buffer
 * (reused) and the status is checked: what a minimal real client does.
 * This is the "tuned" raw loop (reported as rawloop-tuned).
 *
 * --hiperfifo follows curl's hiperfifo example as written instead
 * (reported as rawloop-hiperfifo): every request gets a new connection
 * record and a new easy handle (curl_easy_init, then every curl_easy_setopt)
 * that is removed and curl_easy_cleanup'ed when it completes; the socket
 * callback deletes, re-assigns and re-adds the socket's event on every call,
 * even when libcurl asks for the same events again; check_multi_info runs
 * after each socket_action and each timeout, and the timeout event is
 * deleted once nothing is running.  Connections still stay alive in the
 * multi handle's cache.  The body is kept in a buffer grown per request and
 * freed with it (hiperfifo itself drops it) and the status is checked, as in
 * the tuned mode, so both do a real client's work.
 *
 *   rawloop -n N -c C [-r R] [-H "Name: value"]... [--precise]
 *           [--hiperfifo] [--max-secs S] [--name NAME] URL
 *
 * Closed loop (default): C calls in flight, a new one starts as one ends.
 * Open loop (-r R): call i is due at start + i/R; latency is measured from
 * that intended time, so a stalled server shows in the tail (no
 * coordinated omission); at most C are in flight, later ones wait.
 * --precise makes libevent's timers use the precise monotonic clock
 * (EVENT_BASE_FLAG_PRECISE_TIMER) instead of the coarse one, whose
 * 1-4 ms ticks otherwise show up in open-loop latencies.
 * --max-secs S stops after S seconds and reports the calls done by then
 * (the report then shows fewer calls done than asked).
 */
#include "config.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-util.h"

typedef struct loop loop;

typedef struct xfer {
  CURL *easy;
  loop *L;
  uint64_t t0_us; /* intended (open loop) or actual start */
  char *buf;
  size_t len, cap;
  struct xfer *next_free;
  struct xfer *prev, *next; /* hiperfifo: calls in flight, freed at exit */
} xfer;

typedef struct sock {
  curl_socket_t fd;
  int what; /* CURL_POLL_* libcurl asked for */
  struct event ev;
  loop *L;
} sock;

struct loop {
  struct event_base *base;
  CURLM *multi;
  struct event timer; /* libcurl's timeout */
  struct event pace;  /* open-loop pacing */
  struct event stop;  /* --max-secs */
  const char *url;
  struct curl_slist *hdrs;
  long n, c;
  double rate;
  long started, done, errors, inflight;
  int hiperfifo; /* per-request easy handles, events re-assigned always */
  uint64_t t_first_us;
  xfer *slots;
  xfer *free_list;
  xfer *live; /* hiperfifo: calls in flight */
  bench_lat lat;
};

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
  xfer *x = ud;
  size_t n = size * nmemb;
  if (x->len + n + 1 > x->cap) {
    size_t cap = x->cap ? x->cap * 2 : 4096;
    char *nb;
    while (cap < x->len + n + 1)
      cap *= 2;
    nb = realloc(x->buf, cap);
    if (!nb)
      return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    x->buf = nb;
    x->cap = cap;
  }
  memcpy(x->buf + x->len, ptr, n);
  x->len += n;
  x->buf[x->len] = '\0';
  return n;
}

static int xfer_setup(loop *L, xfer *x)
{
  x->easy = curl_easy_init();
  if (!x->easy)
    return -1;
  x->L = L;
  curl_easy_setopt(x->easy, CURLOPT_URL, L->url);
  curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
  if (L->hdrs)
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, L->hdrs);
  return 0;
}

/* Whether another call may start: a free slot (tuned) or fewer than C in
 * flight (hiperfifo, which has no slots). */
static int can_start(const loop *L)
{
  if (L->started >= L->n)
    return 0;
  return L->hiperfifo ? L->inflight < L->c : L->free_list != NULL;
}

static void start_call(loop *L, uint64_t t0_us)
{
  xfer *x;
  if (L->hiperfifo) {
    /* hiperfifo's new_conn: a new record and a new easy handle per call. */
    x = calloc(1, sizeof *x);
    if (!x || xfer_setup(L, x) != 0) {
      fprintf(stderr, "rawloop: out of memory\n");
      exit(1);
    }
    x->next = L->live;
    if (L->live)
      L->live->prev = x;
    L->live = x;
  } else {
    x = L->free_list;
    L->free_list = x->next_free;
  }
  x->len = 0;
  x->t0_us = t0_us;
  L->started++;
  L->inflight++;
  if (curl_multi_add_handle(L->multi, x->easy) != CURLM_OK) {
    fprintf(stderr, "rawloop: curl_multi_add_handle failed\n");
    exit(1);
  }
}

/* Intended send time of call i in open-loop mode. */
static uint64_t due_us(const loop *L, long i)
{
  return L->t_first_us + (uint64_t)((double)i * 1e6 / L->rate);
}

/* Start what is due (open loop) or fill the free slots (closed loop). */
static void feed(loop *L)
{
  if (L->rate <= 0) {
    while (can_start(L))
      start_call(L, bench_now_us());
    return;
  }
  {
    uint64_t now = bench_now_us();
    while (can_start(L)) {
      uint64_t due = due_us(L, L->started);
      if (due > now) {
        struct timeval tv;
        uint64_t d = due - now;
        tv.tv_sec = (time_t)(d / 1000000u);
        tv.tv_usec = (suseconds_t)(d % 1000000u);
        evtimer_add(&L->pace, &tv);
        return;
      }
      start_call(L, due);
    }
  }
}

static void check_multi_info(loop *L)
{
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(L->multi, &left))) {
    xfer *x;
    long status = 0;
    if (msg->msg != CURLMSG_DONE)
      continue;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (msg->data.result != CURLE_OK || status < 200 || status > 299)
      L->errors++;
    curl_multi_remove_handle(L->multi, x->easy);
    bench_lat_add(&L->lat, bench_now_us() - x->t0_us);
    L->done++;
    L->inflight--;
    if (L->hiperfifo) {
      if (x->prev)
        x->prev->next = x->next;
      else
        L->live = x->next;
      if (x->next)
        x->next->prev = x->prev;
      curl_easy_cleanup(x->easy);
      free(x->buf);
      free(x);
    } else {
      x->next_free = L->free_list;
      L->free_list = x;
    }
  }
  if (L->done == L->n)
    event_base_loopbreak(L->base);
  else
    feed(L);
}

static void event_cb(evutil_socket_t fd, short kind, void *arg)
{
  loop *L = arg;
  int running;
  int action = ((kind & EV_READ) ? CURL_CSELECT_IN : 0) |
               ((kind & EV_WRITE) ? CURL_CSELECT_OUT : 0);
  curl_multi_socket_action(L->multi, fd, action, &running);
  check_multi_info(L);
  if (L->hiperfifo && running <= 0)
    evtimer_del(&L->timer);
}

static void timer_cb(evutil_socket_t fd, short kind, void *arg)
{
  loop *L = arg;
  int running;
  curl_multi_socket_action(L->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_multi_info(L);
}

static void pace_cb(evutil_socket_t fd, short kind, void *arg)
{
  feed(arg);
}

static void stop_cb(evutil_socket_t fd, short kind, void *arg)
{
  loop *L = arg;
  event_base_loopbreak(L->base);
}

/* CURLMOPT_TIMERFUNCTION: one timer, replaced on each call; 0 = now. */
static int multi_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
  loop *L = arg;
  if (timeout_ms < 0) {
    evtimer_del(&L->timer);
  } else {
    struct timeval tv;
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    evtimer_add(&L->timer, &tv);
  }
  return 0;
}

/* CURLMOPT_SOCKETFUNCTION: an event per socket, re-armed on change. */
static int sock_cb(CURL *e, curl_socket_t fd, int what, void *cbp, void *sockp)
{
  loop *L = cbp;
  sock *s = sockp;
  short kind;
  if (what == CURL_POLL_REMOVE) {
    if (s) {
      event_del(&s->ev);
      free(s);
    }
    return 0;
  }
  if (!s) {
    s = calloc(1, sizeof *s);
    if (!s)
      return -1;
    s->fd = fd;
    s->L = L;
    curl_multi_assign(L->multi, fd, s);
  } else if (s->what == what && !L->hiperfifo) {
    return 0;
  } else {
    event_del(&s->ev); /* hiperfifo: on every call, even if unchanged */
  }
  s->what = what;
  kind = (short)(((what & CURL_POLL_IN) ? EV_READ : 0) |
                 ((what & CURL_POLL_OUT) ? EV_WRITE : 0) | EV_PERSIST);
  event_assign(&s->ev, L->base, fd, kind, event_cb, L);
  event_add(&s->ev, NULL);
  return 0;
}

static void usage(void)
{
  fprintf(stderr, "usage: rawloop -n N -c C [-r RATE] [-H 'Name: value'] "
                  "[--precise] [--hiperfifo] [--max-secs S] [--name NAME] "
                  "URL\n");
  exit(2);
}

int main(int argc, char **argv)
{
  static const struct option longopts[] = {
      {"name", required_argument, NULL, 'N'},
      {"precise", no_argument, NULL, 'P'},
      {"max-secs", required_argument, NULL, 'S'},
      {"hiperfifo", no_argument, NULL, 'F'},
      {NULL, 0, NULL, 0}};
  loop L;
  bench_run run;
  bench_mark start;
  const char *name = NULL;
  int opt, precise = 0;
  double max_secs = 0;
  long i;

  memset(&L, 0, sizeof L);
  L.n = 10000;
  L.c = 64;
  while ((opt = getopt_long(argc, argv, "n:c:r:H:", longopts, NULL)) != -1) {
    switch (opt) {
    case 'n':
      L.n = atol(optarg);
      break;
    case 'c':
      L.c = atol(optarg);
      break;
    case 'r':
      L.rate = atof(optarg);
      break;
    case 'H':
      L.hdrs = curl_slist_append(L.hdrs, optarg);
      break;
    case 'N':
      name = optarg;
      break;
    case 'P':
      precise = 1;
      break;
    case 'S':
      max_secs = atof(optarg);
      break;
    case 'F':
      L.hiperfifo = 1;
      break;
    default:
      usage();
    }
  }
  if (optind != argc - 1 || L.n <= 0 || L.c <= 0)
    usage();
  L.url = argv[optind];
  if (!name)
    name = L.hiperfifo ? "rawloop-hiperfifo" : "rawloop-tuned";
  if (L.c > L.n)
    L.c = L.n;

  signal(SIGPIPE, SIG_IGN);
  bench_raise_nofile(L.c + 100);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  {
    struct event_config *cfg = event_config_new();
    if (cfg && precise)
      event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
    L.base = cfg ? event_base_new_with_config(cfg) : NULL;
    event_config_free(cfg);
  }
  L.multi = curl_multi_init();
  L.slots = calloc(L.hiperfifo ? 1 : (size_t)L.c, sizeof *L.slots);
  if (!L.base || !L.multi || !L.slots || bench_lat_init(&L.lat, (size_t)L.n)) {
    fprintf(stderr, "rawloop: out of memory\n");
    return 1;
  }
  evtimer_assign(&L.timer, L.base, timer_cb, &L);
  evtimer_assign(&L.pace, L.base, pace_cb, &L);
  evtimer_assign(&L.stop, L.base, stop_cb, &L);
  curl_multi_setopt(L.multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
  curl_multi_setopt(L.multi, CURLMOPT_SOCKETDATA, &L);
  curl_multi_setopt(L.multi, CURLMOPT_TIMERFUNCTION, multi_timer_cb);
  curl_multi_setopt(L.multi, CURLMOPT_TIMERDATA, &L);
  for (i = L.hiperfifo ? -1 : L.c - 1; i >= 0; i--) {
    if (xfer_setup(&L, &L.slots[i]) != 0) {
      fprintf(stderr, "rawloop: curl_easy_init failed\n");
      return 1;
    }
    L.slots[i].next_free = L.free_list;
    L.free_list = &L.slots[i];
  }

  bench_mark_now(&start);
  L.t_first_us = start.wall_us;
  if (max_secs > 0) {
    struct timeval tv;
    tv.tv_sec = (time_t)max_secs;
    tv.tv_usec = (suseconds_t)((max_secs - (double)tv.tv_sec) * 1e6);
    evtimer_add(&L.stop, &tv);
  }
  feed(&L);
  event_base_dispatch(L.base);

  run.name = name;
  run.url = L.url;
  run.calls = L.n;
  run.conc = L.c;
  run.rate = L.rate;
  bench_report(&run, &start, L.done, L.errors, &L.lat);

  while (L.live) { /* hiperfifo calls cut off by --max-secs */
    xfer *x = L.live;
    L.live = x->next;
    curl_multi_remove_handle(L.multi, x->easy);
    curl_easy_cleanup(x->easy);
    free(x->buf);
    free(x);
  }
  for (i = 0; !L.hiperfifo && i < L.c; i++) {
    curl_easy_cleanup(L.slots[i].easy);
    free(L.slots[i].buf);
  }
  curl_multi_cleanup(L.multi);
  event_del(&L.timer);
  event_del(&L.pace);
  event_del(&L.stop);
  event_base_free(L.base);
  curl_slist_free_all(L.hdrs);
  free(L.slots);
  bench_lat_free(&L.lat);
  curl_global_cleanup();
  return L.done == L.n ? 0 : 1;
}
