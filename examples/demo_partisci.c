/*
 * The demo's Partisci scenario: a fleet of 300 simulated hosts reports
 * three apps over UDP (and a few over POST update/), then an operator asks
 * the server what runs where: the API era (auto-detected), the apps with
 * their host counts, the hosts, and "which hosts run version V of app A".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <callmux/partisci.h>

#include "demo.h"

#define FLEET 300
#define HTTP_UPDATES 60

static const char *const apps[3] = {"Web Frontend", "Billing API",
                                    "Search Indexer"};

typedef struct pdemo {
  demo_tally *t;
  cmx_engine *e;
  cmx_partisci *c;
  unsigned pending_updates, udp_ok, http_ok, queries_left;
} pdemo;

typedef struct pcall {
  pdemo *d;
  uint64_t started;
  const char *what;
} pcall;

static pcall *pcall_new(pdemo *d, const char *what)
{
  pcall *p = malloc(sizeof(*p));

  if (p) {
    p->d = d;
    p->started = cmx_engine_now(d->e);
    p->what = what;
  }
  return p;
}

static void finish_query(pdemo *d)
{
  if (--d->queries_left == 0) {
    cmx_partisci_free(d->c);
    d->c = NULL;
  }
}

static void on_query(cmx_partisci *c, const cmx_partisci_result *r, void *ud)
{
  pcall *p = ud;
  pdemo *d = p->d;
  size_t i;

  (void)c;
  demo_record(d->t, "partisci", r->code, cmx_engine_now(d->e) - p->started);
  if (r->code != CMX_OK) {
    demo_note(d->t, "partisci", "%s failed: %s (%s)", p->what,
              cmx_code_name(r->code), r->error);
  } else if (r->info) {
    demo_note(d->t, "partisci", "server version %s, API era %s",
              r->info->version,
              r->info->era == CMX_PARTISCI_ERA_LATER ? "later" : "documented");
  } else if (r->apps) {
    for (i = 0; i < r->n; i++)
      demo_note(d->t, "partisci", "app %-16s (%s) on %ld hosts",
                r->apps[i].app, r->apps[i].app_id, r->apps[i].host_count);
  } else if (r->hosts) {
    demo_note(d->t, "partisci", "%zu hosts known", r->n);
  } else if (r->versions) {
    demo_note(d->t, "partisci", "%zu hosts run %s", r->n, p->what);
  }
  free(p);
  finish_query(d);
}

static void start_queries(pdemo *d)
{
  cmx_partisci_filter f = {NULL, NULL, "2.0"};
  char *id = cmx_partisci_app_id(apps[1]);
  pcall *p[4] = {pcall_new(d, "info"), pcall_new(d, "apps"),
                 pcall_new(d, "hosts"), pcall_new(d, "Billing API 2.0")};
  int i;

  f.app_id = id;
  demo_note(d->t, "partisci",
            "%u UDP updates taken by the kernel, %u HTTP updates accepted",
            d->udp_ok, d->http_ok);
  d->queries_left = 4;
  for (i = 0; i < 4; i++) {
    int rc = CMX_ENOMEM;

    if (p[i]) {
      if (i == 0)
        rc = cmx_partisci_info_get(d->c, on_query, p[i]);
      else if (i == 1)
        rc = cmx_partisci_apps(d->c, on_query, p[i]);
      else if (i == 2)
        rc = cmx_partisci_hosts(d->c, on_query, p[i]);
      else
        rc = cmx_partisci_versions(d->c, &f, on_query, p[i]);
    }
    if (rc != CMX_OK) {
      demo_record(d->t, "partisci", rc, 0);
      free(p[i]);
      finish_query(d);
    }
  }
  free(id);
}

static void on_settled(cmx_engine *e, int code, void *ud)
{
  pdemo *d = ud;

  (void)e;
  if (code == CMX_OK)
    start_queries(d);
  else {
    cmx_partisci_free(d->c);
    d->c = NULL;
  }
}

static void on_update(cmx_partisci *c, const cmx_partisci_result *r, void *ud)
{
  pcall *p = ud;
  pdemo *d = p->d;

  (void)c;
  demo_record(d->t, "partisci", r->code, cmx_engine_now(d->e) - p->started);
  if (r->code == CMX_OK) {
    if (r->status)
      d->http_ok++;
    else
      d->udp_ok++;
  }
  free(p);
  /* give the server a moment to read its socket, then ask */
  if (--d->pending_updates == 0 &&
      cmx_timer_start(d->e, 100, on_settled, d, NULL) != CMX_OK) {
    cmx_partisci_free(d->c);
    d->c = NULL;
  }
}

int demo_partisci(cmx_engine *engine, const char *base_url, demo_tally *t)
{
  static pdemo d;
  char err[200];
  unsigned i;

  memset(&d, 0, sizeof(d));
  d.t = t;
  d.e = engine;
  d.c = cmx_partisci_new(engine, base_url, CMX_PARTISCI_ERA_AUTO, err,
                         sizeof(err));
  if (!d.c) {
    fprintf(stderr, "demo partisci: %s\n", err);
    return -1;
  }
  for (i = 0; i < FLEET * 3 + HTTP_UPDATES; i++) {
    char host[32], ver[16];
    cmx_partisci_update u;
    pcall *p = pcall_new(&d, "update");
    int rc;

    if (!p)
      return -1;
    snprintf(host, sizeof(host), "node-%03u.dc1", i % FLEET);
    snprintf(ver, sizeof(ver), "%u.0", 1 + (i % 7 == 0));
    u.app = apps[(i / FLEET) % 3];
    u.ver = ver;
    u.host = host;
    u.instance = (long)(i / (FLEET * 3));
    rc = i < FLEET * 3
             ? cmx_partisci_send_udp(d.c, &u, on_update, p, err, sizeof(err))
             : cmx_partisci_send_http(d.c, &u, on_update, p, err, sizeof(err));
    if (rc != CMX_OK) {
      free(p);
      fprintf(stderr, "demo partisci: %s\n", err);
      return -1;
    }
    d.pending_updates++;
  }
  return 0;
}
