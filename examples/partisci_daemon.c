/*
 * A long-running daemon that reports its own version to Partisci: one
 * update at start, then one every interval (clamped by callmux to the
 * documented 1 h .. 24 h), from its own event loop, until SIGINT/SIGTERM.
 *
 *   partisci_daemon [--http] [--interval-hours H] [--instance N]
 *                   [--run-seconds S] URL
 *
 * URL is the Partisci server ("http://partisci.example:7777").  The daemon
 * owns its event_base (as a real server would) and embeds the engine on
 * it.  --run-seconds stops it on its own (for demos and smoke tests).
 * Exit status: 0 when every update was handed over, 1 otherwise, 2 usage.
 */
#include "config.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <callmux/callmux.h>
#include <callmux/partisci.h>

#define DAEMON_APP "callmux example daemon"
#define DAEMON_VERSION "1.4.2"

typedef struct daemon_state {
  struct event_base *base;
  cmx_partisci_reporter *rep;
  unsigned long failures;
} daemon_state;

static void on_report(cmx_partisci_reporter *r, const cmx_partisci_result *res,
                      void *ud)
{
  daemon_state *d = ud;

  if (res->code == CMX_OK) {
    printf("reported %s %s (update %lu)\n", DAEMON_APP, DAEMON_VERSION,
           cmx_partisci_reporter_sent(r));
  } else {
    d->failures++;
    fprintf(stderr, "report failed: %s: %s\n", cmx_code_name(res->code),
            res->error);
  }
  fflush(stdout);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
  daemon_state *d = arg;

  (void)fd;
  (void)what;
  cmx_partisci_reporter_stop(d->rep);
  d->rep = NULL;
  event_base_loopexit(d->base, NULL);
}

static int usage(void)
{
  fprintf(stderr, "usage: partisci_daemon [--http] [--interval-hours H] "
                  "[--instance N] [--run-seconds S] URL\n");
  return 2;
}

int main(int argc, char **argv)
{
  daemon_state d;
  const char *url = NULL;
  int use_http = 0, i;
  double hours = 24, run_s = 0;
  long instance = 0;
  cmx_engine *engine;
  cmx_partisci *c;
  cmx_partisci_update u;
  char err[256];
  struct event *sigint, *sigterm, *timer = NULL;

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--http") == 0)
      use_http = 1;
    else if (strcmp(argv[i], "--interval-hours") == 0 && i + 1 < argc)
      hours = atof(argv[++i]);
    else if (strcmp(argv[i], "--instance") == 0 && i + 1 < argc)
      instance = atol(argv[++i]);
    else if (strcmp(argv[i], "--run-seconds") == 0 && i + 1 < argc)
      run_s = atof(argv[++i]);
    else if (argv[i][0] != '-' && !url)
      url = argv[i];
    else
      return usage();
  }
  if (!url)
    return usage();
  memset(&d, 0, sizeof(d));
  d.base = event_base_new();
  engine = d.base ? cmx_engine_new(d.base, NULL) : NULL;
  if (!engine) {
    fprintf(stderr, "partisci_daemon: cannot start the engine\n");
    if (d.base)
      event_base_free(d.base);
    return 1;
  }
  c = cmx_partisci_new(engine, url, CMX_PARTISCI_ERA_DOCUMENTED, err,
                       sizeof(err));
  if (!c) {
    fprintf(stderr, "partisci_daemon: %s\n", err);
    cmx_engine_free(engine);
    event_base_free(d.base);
    return 2;
  }
  u.app = DAEMON_APP;
  u.ver = DAEMON_VERSION;
  u.host = NULL; /* this machine's name */
  u.instance = instance;
  d.rep =
      cmx_partisci_reporter_start(c, &u, (uint64_t)(hours * 3600.0 * 1000.0),
                                  use_http, on_report, &d, err, sizeof(err));
  if (d.rep)
    printf("reporting %s %s as host %s every %g h (clamped to 1..24 h)\n",
           DAEMON_APP, DAEMON_VERSION, cmx_partisci_default_host(c), hours);
  cmx_partisci_free(c); /* the reporter keeps what it needs */
  if (!d.rep) {
    fprintf(stderr, "partisci_daemon: %s\n", err);
    cmx_engine_free(engine);
    event_base_free(d.base);
    return 2;
  }
  sigint = evsignal_new(d.base, SIGINT, on_stop, &d);
  sigterm = evsignal_new(d.base, SIGTERM, on_stop, &d);
  evsignal_add(sigint, NULL);
  evsignal_add(sigterm, NULL);
  if (run_s > 0) {
    struct timeval tv = {(time_t)run_s,
                         (suseconds_t)((run_s - (double)(time_t)run_s) * 1e6)};

    timer = evtimer_new(d.base, on_stop, &d);
    evtimer_add(timer, &tv);
  }
  event_base_dispatch(d.base);
  /* let a send in flight end before tearing down */
  while (cmx_engine_outstanding(engine) > 0)
    event_base_loop(d.base, EVLOOP_ONCE);
  cmx_partisci_reporter_stop(d.rep);
  event_free(sigint);
  event_free(sigterm);
  if (timer)
    event_free(timer);
  cmx_engine_free(engine);
  event_base_free(d.base);
  return d.failures ? 1 : 0;
}
