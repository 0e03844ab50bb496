/*
 * Partisci updates/s over UDP and over POST update/, each as a ratio to a
 * baseline measured in the same run, on the same loop, against the same
 * in-process simulator:
 *
 *   raw-udp   send() of the same pre-encoded datagrams on a plain
 *             connected UDP socket (no callmux at all);
 *   cmx-udp   cmx_partisci_send_udp() (validation, encoding, the engine's
 *             UDP send with name resolution, one callback per update);
 *   raw-http  cmx_submit() of POST /api/v1/update/ with the same
 *             pre-encoded bodies (the engine alone, no Partisci layer);
 *   cmx-http  cmx_partisci_send_http().
 *
 *   partisci_updates [--udp N] [--http N] [--rounds R] [--window W]
 *                    [--inflight K] [--unpaced]
 *
 * The four phases run R times (default 3), interleaved, so load from
 * elsewhere on the machine hits all of them alike; medians are printed.
 * Everything runs on one thread: the figures include the simulator's work
 * (receive, JSON parse, app_id, store).
 *
 * UDP: N datagrams (default 100,000) from 1,000 simulated host names in
 * bursts of W (default 200); the next burst goes one loop turn after the
 * previous one was handed to the kernel (--unpaced: at once), which lets
 * the simulator drain its socket.  The figure is datagrams the simulator
 * received per second, from the first send until it stopped receiving;
 * loss is printed, not hidden.  HTTP: N updates (default 20,000) with K
 * (default 64) in flight on the lane; updates accepted (200) per second.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <callmux/callmux.h>
#include <callmux/partisci.h>

#include "sim/sim.h"

/* distinct updates: host i % 1000, ver i % 7, instance i % 3 */
#define NPAYLOAD 21000

enum { RAW_UDP, CMX_UDP, RAW_HTTP, CMX_HTTP, NPHASE };
static const char *const phase_name[NPHASE] = {"raw-udp", "cmx-udp",
                                               "raw-http", "cmx-http"};

typedef struct run {
  int phase;
  cmx_partisci *c;
  cmx_engine *engine;
  const char *update_url;
  char **payload;
  size_t *plen;
  int fd; /* RAW_UDP */
  int paced;
  long next, total, ok, err;
  int inflight, window, done;
} run;

static double now_s(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void update_of(long i, cmx_partisci_update *u, char *host, char *ver)
{
  snprintf(host, 32, "bench-host-%04ld", i % 1000);
  snprintf(ver, 16, "1.%ld", i % 7);
  u->app = "Bench App";
  u->ver = ver;
  u->host = host;
  u->instance = (long)(i % 3);
}

static void pump(run *r);

static void on_turn(cmx_engine *e, int code, void *ud)
{
  (void)e;
  if (code == CMX_OK)
    pump(ud);
}

/* After a UDP burst was handed over: the next one after a loop turn. */
static void burst_done(run *r)
{
  if (r->next >= r->total)
    r->done = 1;
  else if (r->paced)
    cmx_timer_start(r->engine, 0, on_turn, r, NULL);
  else
    pump(r);
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
  if (r->phase == CMX_HTTP)
    pump(r); /* keep the lane fed */
  else if (r->inflight == 0)
    burst_done(r);
}

static void on_raw_http(cmx_call *call, const cmx_response *res, void *ud)
{
  run *r = ud;

  (void)call;
  r->inflight--;
  if (cmx_response_code(res) == CMX_OK && cmx_response_status(res) == 200)
    r->ok++;
  else
    r->err++;
  pump(r);
}

static int send_one(run *r, long i)
{
  const char *p = r->payload[i % NPAYLOAD];
  size_t len = r->plen[i % NPAYLOAD];
  cmx_partisci_update u;
  char host[32], ver[16];
  cmx_request *req;

  switch (r->phase) {
  case RAW_UDP:
    if (send(r->fd, p, len, 0) == (ssize_t)len)
      r->ok++;
    else
      r->err++;
    return 0; /* synchronous: nothing in flight */
  case CMX_UDP:
  case CMX_HTTP:
    update_of(i, &u, host, ver);
    if ((r->phase == CMX_UDP
             ? cmx_partisci_send_udp(r->c, &u, on_sent, r, NULL, 0)
             : cmx_partisci_send_http(r->c, &u, on_sent, r, NULL, 0)) !=
        CMX_OK)
      return -1;
    return 1;
  default:
    req = cmx_request_new("POST", r->update_url);
    if (!req || cmx_request_set_body_borrowed(req, p, len, NULL,
                                              "application/json") != CMX_OK) {
      cmx_request_free(req);
      return -1;
    }
    if (cmx_submit(r->engine, req, on_raw_http, r, NULL) != CMX_OK)
      return -1;
    return 1;
  }
}

static void pump(run *r)
{
  int http = r->phase == RAW_HTTP || r->phase == CMX_HTTP;
  int burst = 0;

  if (http && r->inflight > r->window / 2)
    return;
  while (r->inflight < r->window && burst < r->window && r->next < r->total) {
    int rc = send_one(r, r->next++);

    burst++;
    if (rc < 0)
      r->err++;
    else
      r->inflight += rc;
  }
  if (r->phase == RAW_UDP)
    burst_done(r);
  else if (r->next >= r->total && r->inflight == 0)
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

typedef struct figure {
  double per_s;
  long n, got, err;
} figure;

/* One phase; returns updates/s (received by the simulator for UDP,
 * accepted for HTTP). */
static figure run_phase(run *tmpl, int phase, long n, struct event_base *base,
                        sim *s)
{
  run r = *tmpl;
  double t0, t1;
  int64_t before = sim_counter(s, "partisci.udp_datagrams"), got, prev;
  figure f;

  r.phase = phase;
  r.total = n;
  r.next = r.ok = r.err = 0;
  r.inflight = r.done = 0;
  t0 = now_s();
  pump(&r);
  loop_until(base, &r.done, 600000);
  t1 = now_s();
  memset(&f, 0, sizeof(f));
  f.n = n;
  f.err = r.err;
  if (phase == RAW_UDP || phase == CMX_UDP) {
    /* until the simulator stops receiving */
    prev = -1;
    for (;;) {
      int never = 0;

      got = sim_counter(s, "partisci.udp_datagrams") - before;
      if (got >= n || got == prev)
        break;
      prev = got;
      loop_until(base, &never, 200);
      if (sim_counter(s, "partisci.udp_datagrams") - before > got)
        t1 = now_s();
    }
    f.got = sim_counter(s, "partisci.udp_datagrams") - before;
  } else {
    f.got = r.ok;
  }
  f.per_s = (double)f.got / (t1 - t0);
  return f;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
  qsort(v, (size_t)n, sizeof(*v), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
  long nudp = 100000, nhttp = 20000;
  int window = 200, inflight = 64, paced = 1, rounds = 3, i, k;
  struct event_base *base = event_base_new();
  sim *s = sim_new(base);
  sim_service *svc = sim_service_add(s, "partisci", 0, 0);
  struct sockaddr_in sa;
  double per_s[NPHASE][16];
  char update_url[256];
  cmx_engine *e;
  run r;

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--udp") == 0 && i + 1 < argc)
      nudp = atol(argv[++i]);
    else if (strcmp(argv[i], "--http") == 0 && i + 1 < argc)
      nhttp = atol(argv[++i]);
    else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
      rounds = atoi(argv[++i]);
    else if (strcmp(argv[i], "--window") == 0 && i + 1 < argc)
      window = atoi(argv[++i]);
    else if (strcmp(argv[i], "--inflight") == 0 && i + 1 < argc)
      inflight = atoi(argv[++i]);
    else if (strcmp(argv[i], "--unpaced") == 0)
      paced = 0;
    else {
      fprintf(stderr, "usage: partisci_updates [--udp N] [--http N] "
                      "[--rounds R] [--window W] [--inflight K] "
                      "[--unpaced]\n");
      return 2;
    }
  }
  if (rounds < 1 || rounds > 16 || window < 1 || inflight < 1)
    return 2;
  if (!svc || sim_partisci_attach(svc) != 0)
    return 1;
  e = cmx_engine_new(base, NULL);
  memset(&r, 0, sizeof(r));
  r.engine = e;
  r.paced = paced;
  r.c = cmx_partisci_new(e, sim_service_url(svc), CMX_PARTISCI_ERA_LATER, NULL,
                         0);
  if (!e || !r.c)
    return 1;
  cmx_lane_set_max_inflight(cmx_engine_lane(e, sim_service_url(svc)),
                            (unsigned)inflight);
  snprintf(update_url, sizeof(update_url), "%s/api/v1/update/",
           sim_service_url(svc));
  r.update_url = update_url;

  /* the baselines' payloads: the very bytes the client would send */
  r.payload = calloc(NPAYLOAD, sizeof(*r.payload));
  r.plen = calloc(NPAYLOAD, sizeof(*r.plen));
  if (!r.payload || !r.plen)
    return 1;
  for (i = 0; i < NPAYLOAD; i++) {
    cmx_partisci_update u;
    char host[32], ver[16];

    update_of(i, &u, host, ver);
    r.payload[i] = cmx_partisci_update_encode(&u, &r.plen[i], NULL, 0);
    if (!r.payload[i])
      return 1;
  }
  r.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)sim_service_port(svc));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (r.fd < 0 || connect(r.fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
    return 1;
  r.window = window;

  printf("partisci_updates: udp %ld, http %ld, %d rounds, bursts of %d%s, "
         "%d in flight\n",
         nudp, nhttp, rounds, window, paced ? "" : " (unpaced)", inflight);
  for (k = 0; k < rounds; k++) {
    printf("round %d:", k + 1);
    for (i = 0; i < NPHASE; i++) {
      int http = i == RAW_HTTP || i == CMX_HTTP;
      long n = http ? nhttp : nudp;
      figure f;

      r.window = http ? inflight * 4 : window;
      f = run_phase(&r, i, n, base, s);
      per_s[i][k] = f.per_s;
      printf("  %s %.0f/s", phase_name[i], f.per_s);
      if (!http && f.got < n)
        printf(" (lost %ld of %ld)", n - f.got, n);
      if (f.err)
        printf(" (%ld errors)", f.err);
    }
    printf("\n");
    fflush(stdout);
  }
  {
    double m[NPHASE];

    for (i = 0; i < NPHASE; i++)
      m[i] = median(per_s[i], rounds);
    printf("median updates/s: raw-udp %.0f, cmx-udp %.0f, raw-http %.0f, "
           "cmx-http %.0f\n",
           m[RAW_UDP], m[CMX_UDP], m[RAW_HTTP], m[CMX_HTTP]);
    printf("ratios: cmx-udp/raw-udp %.2f, cmx-http/raw-http %.2f, "
           "cmx-udp/cmx-http %.1f\n",
           m[RAW_UDP] > 0 ? m[CMX_UDP] / m[RAW_UDP] : 0.0,
           m[RAW_HTTP] > 0 ? m[CMX_HTTP] / m[RAW_HTTP] : 0.0,
           m[CMX_HTTP] > 0 ? m[CMX_UDP] / m[CMX_HTTP] : 0.0);
  }

  for (i = 0; i < NPAYLOAD; i++)
    free(r.payload[i]);
  free(r.payload);
  free(r.plen);
  close(r.fd);
  cmx_partisci_free(r.c);
  cmx_engine_free(e);
  sim_free(s);
  event_base_free(base);
  return 0;
}
