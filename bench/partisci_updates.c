/*
 * Partisci updates/s: the client and the in-process simulator on one
 * event loop (one thread), over UDP and over POST update/.
 *
 *   partisci_updates [--udp N] [--http N] [--window W] [--inflight K]
 *
 * UDP: N datagrams from 1,000 simulated host names in bursts of W
 * (default 200), the next burst one loop turn after the last send callback
 * of the previous one (--unpaced: at once); the figure is datagrams the
 * simulator parsed and stored per second, from the first send until it
 * stopped receiving; loss is printed.  HTTP: N updates with K (default 64)
 * in flight on the lane; updates accepted (200) per second.
 */
#include "config.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <callmux/callmux.h>
#include <callmux/partisci.h>

#include "sim/sim.h"

typedef struct run {
  cmx_partisci *c;
  cmx_engine *engine;
  int paced;
  long next, total, ok, err;
  int inflight, window, http, done;
} run;

static double now_s(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pump(run *r);

static void on_turn(cmx_engine *e, int code, void *ud)
{
  (void)e;
  if (code == CMX_OK)
    pump(ud);
}

static void on_sent(cmx_partisci *c, const cmx_partisci_result *res, void *ud)
{
  run *r = ud;

  (void)c;
  r->inflight--;
  if (res->code == CMX_OK)
    r->ok++;
  else
    r->err++;
  if (r->http) {
    pump(r); /* keep the lane fed */
  } else if (r->inflight == 0) {
    /* UDP: the kernel takes datagrams at once, so a window alone does not
     * pace anything; the next burst goes after one loop turn, which lets
     * the simulator (same loop) drain its socket. */
    if (r->next >= r->total)
      r->done = 1;
    else if (r->paced)
      cmx_timer_start(r->engine, 0, on_turn, r, NULL);
    else
      pump(r);
  }
}

static void pump(run *r)
{
  if (r->http && r->inflight > r->window / 2)
    return;
  while (r->inflight < r->window && r->next < r->total) {
    char host[32], ver[16];
    cmx_partisci_update u;
    long i = r->next++;
    int rc;

    snprintf(host, sizeof(host), "bench-host-%04ld", i % 1000);
    snprintf(ver, sizeof(ver), "1.%ld", i % 7);
    u.app = "Bench App";
    u.ver = ver;
    u.host = host;
    u.instance = (long)(i % 3);
    rc = r->http ? cmx_partisci_send_http(r->c, &u, on_sent, r, NULL, 0)
                 : cmx_partisci_send_udp(r->c, &u, on_sent, r, NULL, 0);
    if (rc != CMX_OK) {
      r->err++;
      continue;
    }
    r->inflight++;
  }
  if (r->next >= r->total && r->inflight == 0)
    r->done = 1;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  *(int *)arg = 1;
}

/* Loop until *flag or `ms` pass. */
static void loop_until(struct event_base *b, const int *flag, unsigned ms)
{
  int exp = 0;
  struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
  struct event *ev = evtimer_new(b, on_tick, &exp);

  evtimer_add(ev, &tv);
  while (!*flag && !exp)
    event_base_loop(b, EVLOOP_ONCE);
  event_free(ev);
}

int main(int argc, char **argv)
{
  long nudp = 200000, nhttp = 20000;
  int window = 200, inflight = 64, paced = 1, i;
  struct event_base *base = event_base_new();
  sim *s = sim_new(base);
  sim_service *svc = sim_service_add(s, "partisci", 0, 0);
  cmx_engine *e;
  cmx_partisci *c;
  run r;
  double t0, t1;
  int64_t got, prev;

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--udp") == 0 && i + 1 < argc)
      nudp = atol(argv[++i]);
    else if (strcmp(argv[i], "--http") == 0 && i + 1 < argc)
      nhttp = atol(argv[++i]);
    else if (strcmp(argv[i], "--window") == 0 && i + 1 < argc)
      window = atoi(argv[++i]);
    else if (strcmp(argv[i], "--inflight") == 0 && i + 1 < argc)
      inflight = atoi(argv[++i]);
    else if (strcmp(argv[i], "--unpaced") == 0)
      paced = 0;
    else {
      fprintf(stderr, "usage: partisci_updates [--udp N] [--http N] "
                      "[--window W] [--inflight K] [--unpaced]\n");
      return 2;
    }
  }
  if (!svc || sim_partisci_attach(svc) != 0)
    return 1;
  e = cmx_engine_new(base, NULL);
  c = cmx_partisci_new(e, sim_service_url(svc), CMX_PARTISCI_ERA_LATER, NULL,
                       0);
  if (!c)
    return 1;
  cmx_lane_set_max_inflight(cmx_engine_lane(e, sim_service_url(svc)),
                            (unsigned)inflight);

  /* UDP */
  memset(&r, 0, sizeof(r));
  r.c = c;
  r.engine = e;
  r.paced = paced;
  r.total = nudp;
  r.window = window;
  t0 = now_s();
  pump(&r);
  loop_until(base, &r.done, 600000);
  t1 = now_s();
  prev = -1;
  for (;;) {
    int never = 0;

    got = sim_counter(s, "partisci.udp_datagrams");
    if (got >= nudp || got == prev)
      break;
    prev = got;
    loop_until(base, &never, 200);
    if (sim_counter(s, "partisci.udp_datagrams") > got)
      t1 = now_s();
  }
  got = sim_counter(s, "partisci.udp_datagrams");
  printf("udp:  %ld updates sent (%ld send errors) in %.3f s; simulator "
         "received %lld (%.2f%%), stored %lld: %.0f updates/s received, "
         "bursts of %d%s\n",
         nudp, r.err, t1 - t0, (long long)got,
         nudp ? 100.0 * (double)got / (double)nudp : 0.0,
         (long long)sim_counter(s, "partisci.stored"), (double)got / (t1 - t0),
         window, paced ? "" : " (unpaced)");

  /* HTTP */
  memset(&r, 0, sizeof(r));
  r.c = c;
  r.engine = e;
  r.total = nhttp;
  r.window = inflight * 4; /* keep the lane's queue fed */
  r.http = 1;
  t0 = now_s();
  pump(&r);
  loop_until(base, &r.done, 600000);
  t1 = now_s();
  printf("http: %ld updates, %ld accepted, %ld failed in %.3f s: %.0f "
         "updates/s, %d in flight\n",
         nhttp, r.ok, r.err, t1 - t0, (double)r.ok / (t1 - t0), inflight);

  cmx_partisci_free(c);
  cmx_engine_free(e);
  sim_free(s);
  event_base_free(base);
  return 0;
}
