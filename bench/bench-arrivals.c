#include "config.h"

#include "bench-arrivals.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench-util.h"

typedef struct arrivals {
  uint64_t *t;
  size_t n, max;
} arrivals;

/* Most arrivals in any half-open window [t_i, t_i + win) (sorted times);
 * *at = that window's start in ms after the first arrival. */
static size_t max_in_window(const arrivals *a, uint64_t win, double *at)
{
  size_t i, j = 0, best = 0;
  *at = 0;
  for (i = 0; i < a->n; i++) {
    while (j < a->n && a->t[j] < a->t[i] + win)
      j++;
    if (j - i > best) {
      best = j - i;
      *at = (double)(a->t[i] - a->t[0]) / 1000.0;
    }
  }
  return best;
}

static void report(struct evhttp_request *req, arrivals *a)
{
  struct evbuffer *b = evbuffer_new();
  struct evkeyvalq q;
  const char *w;
  uint64_t win = 1000000, min_gap = 0;
  double secs = 0, rate = 0;
  size_t i;
  memset(&q, 0, sizeof q);
  if (evhttp_parse_query(evhttp_request_get_uri(req), &q) == 0 &&
      (w = evhttp_find_header(&q, "win_us")) != NULL && atol(w) > 0)
    win = (uint64_t)atol(w);
  evhttp_clear_headers(&q);
  if (a->n > 1) {
    secs = (double)(a->t[a->n - 1] - a->t[0]) / 1e6;
    rate = secs > 0 ? (double)(a->n - 1) / secs : 0;
    min_gap = UINT64_MAX;
    for (i = 1; i < a->n; i++)
      if (a->t[i] - a->t[i - 1] < min_gap)
        min_gap = a->t[i] - a->t[i - 1];
  }
  if (b) {
    double at1, atw;
    size_t m1 = max_in_window(a, 1000, &at1), mw = max_in_window(a, win, &atw);
    evbuffer_add_printf(b,
                        "count=%zu secs=%.3f rate=%.2f max_1ms=%zu "
                        "max_win=%zu min_gap_us=%llu max_1ms_at_ms=%.1f "
                        "max_win_at_ms=%.1f\n",
                        a->n, secs, rate, m1, mw, (unsigned long long)min_gap,
                        at1, atw);
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
  }
}

static void handle(struct evhttp_request *req, void *arg)
{
  arrivals *a = arg;
  struct evbuffer *b;
  const char *uri = evhttp_request_get_uri(req);
  if (strncmp(uri, "/_arrivals", 10) == 0) {
    report(req, a);
    return;
  }
  if (a->n < a->max)
    a->t[a->n++] = bench_now_us();
  b = evbuffer_new();
  if (b)
    evbuffer_add(b, "{\"ok\":true}", 11);
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                    "application/json");
  evhttp_send_reply(req, 200, "OK", b);
  if (b)
    evbuffer_free(b);
}

static void child(int wfd, size_t max)
{
  struct event_config *cfg = event_config_new();
  struct event_base *base;
  struct evhttp *http;
  struct evhttp_bound_socket *bs;
  struct sockaddr_in sin;
  socklen_t len = sizeof sin;
  arrivals a;
  unsigned port = 0;

  a.n = 0;
  a.max = max;
  a.t = malloc(max * sizeof *a.t);
  if (cfg)
    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
  base = cfg ? event_base_new_with_config(cfg) : NULL;
  event_config_free(cfg);
  http = base ? evhttp_new(base) : NULL;
  bs = http ? evhttp_bind_socket_with_handle(http, "127.0.0.1", 0) : NULL;
  if (a.t && bs &&
      getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin,
                  &len) == 0)
    port = ntohs(sin.sin_port);
  if (write(wfd, &port, sizeof port) != (ssize_t)sizeof port || !port)
    _exit(1);
  close(wfd);
  evhttp_set_gencb(http, handle, &a);
  event_base_dispatch(base);
  _exit(0);
}

pid_t bench_arrivals_start(unsigned *port, size_t max)
{
  int p[2];
  pid_t pid;
  unsigned got = 0;
  if (pipe(p) != 0)
    return -1;
  fflush(stdout);
  pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return -1;
  }
  if (pid == 0) {
    close(p[0]);
    child(p[1], max);
  }
  close(p[1]);
  if (read(p[0], &got, sizeof got) != (ssize_t)sizeof got || !got) {
    close(p[0]);
    kill(pid, SIGTERM);
    return -1;
  }
  close(p[0]);
  *port = got;
  return pid;
}
