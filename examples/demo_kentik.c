/*
 * The demo's Kentik scenario: an operator fetches the sites, submits a
 * 20,000-populator batch (split into parts, guid-chained, progress per
 * part) and waits for it, replaces the HyperTagging tags, and creates a
 * router device (after a locally refused one).  All calls share the
 * credential's lane (one call in flight); the demo raises its rate to
 * 5 calls/s so the scenario takes seconds, still under the documented
 * 60 per minute.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <callmux/kentik.h>

#include "demo.h"

#define POPULATORS 20000

typedef struct kdemo {
  demo_tally *t;
  cmx_engine *e;
  cmx_kentik *k;
  cmx_kentik_batch *pop, *tags;
  unsigned open;
  uint64_t t_sites, t_site, t_part, t_tags, t_dev, t_wait;
} kdemo;

static void done_one(kdemo *d)
{
  if (--d->open == 0) {
    cmx_kentik_free(d->k);
    free(d);
  }
}

static void on_sites(int code, const cmx_kentik_site *s, size_t n,
                     const char *detail, void *ud)
{
  kdemo *d = ud;

  demo_record(d->t, "kentik", code, cmx_engine_now(d->e) - d->t_sites);
  if (code == CMX_OK)
    demo_note(d->t, "kentik", "%zu sites, first '%s'", n,
              n ? s[0].site_name : "");
  else
    demo_note(d->t, "kentik", "sites: %s", detail);
  done_one(d);
}

static void on_site(int code, const cmx_kentik_site *s, size_t n,
                    const char *detail, void *ud)
{
  kdemo *d = ud;

  (void)n;
  demo_record(d->t, "kentik", code, cmx_engine_now(d->e) - d->t_site);
  if (code == CMX_OK)
    demo_note(d->t, "kentik", "site %ld '%s' at %.3f,%.3f", s->id,
              s->site_name, s->lat, s->lon);
  else
    demo_note(d->t, "kentik", "site: %s", detail);
  done_one(d);
}

static void on_progress(size_t part, size_t total, size_t bytes,
                        const char *guid, void *ud)
{
  kdemo *d = ud;
  uint64_t now = cmx_engine_now(d->e);

  (void)part;
  (void)total;
  (void)bytes;
  (void)guid;
  demo_record(d->t, "kentik", CMX_OK, now - d->t_part);
  d->t_part = now;
}

static void on_wait(int code, const cmx_kentik_status *st, const char *detail,
                    void *ud)
{
  kdemo *d = ud;

  demo_record(d->t, "kentik", code, cmx_engine_now(d->e) - d->t_wait);
  if (code == CMX_OK)
    demo_note(d->t, "kentik",
              "populator batch done: %ld parts, %ld applied, %ld invalid",
              st->number_of_parts, st->upserts.applied, st->upserts.invalid);
  else
    demo_note(d->t, "kentik", "wait: %s", detail);
  done_one(d);
}

static void on_pop(const cmx_kentik_submit_result *r, void *ud)
{
  kdemo *d = ud;

  cmx_kentik_batch_free(d->pop);
  d->pop = NULL;
  if (r->code != CMX_OK) {
    demo_record(d->t, "kentik", r->code, cmx_engine_now(d->e) - d->t_part);
    demo_note(d->t, "kentik", "populators: %s", r->detail);
    done_one(d);
    return;
  }
  demo_note(d->t, "kentik", "%d populators sent in %zu parts, batch %s",
            POPULATORS, r->parts_total, r->guid);
  d->t_wait = cmx_engine_now(d->e);
  if (cmx_kentik_batch_wait(d->k, r->guid, 200, 20000, on_wait, d) != CMX_OK) {
    demo_note(d->t, "kentik", "wait could not start");
    done_one(d);
  }
}

static void on_tags(const cmx_kentik_submit_result *r, void *ud)
{
  kdemo *d = ud;

  cmx_kentik_batch_free(d->tags);
  d->tags = NULL;
  demo_record(d->t, "kentik", r->code, cmx_engine_now(d->e) - d->t_tags);
  if (r->code == CMX_OK)
    demo_note(d->t, "kentik", "tags replaced (batch %s)", r->guid);
  else
    demo_note(d->t, "kentik", "tags: %s", r->detail);
  done_one(d);
}

static void on_dev(int code, const cmx_kentik_device_info *dev,
                   const char *detail, void *ud)
{
  kdemo *d = ud;

  demo_record(d->t, "kentik", code, cmx_engine_now(d->e) - d->t_dev);
  if (code == CMX_OK)
    demo_note(d->t, "kentik", "device %s '%s' created on plan %ld", dev->id,
              dev->device_name, dev->plan_id);
  else
    demo_note(d->t, "kentik", "device: %s", detail);
  done_one(d);
}

static cmx_kentik_batch *populators(void)
{
  cmx_kentik_batch *b = cmx_kentik_batch_new(1);
  char val[32], ip[32];
  int i;

  for (i = 0; b && i < POPULATORS; i++) {
    cmx_kentik_criteria *c = cmx_kentik_criteria_new("dst", NULL, 0);
    snprintf(ip, sizeof(ip), "10.%d.%d.0/24", (i >> 8) & 255, i & 255);
    snprintf(val, sizeof(val), "customer-%d", i % 5000);
    if (!c || cmx_kentik_add_ip_address(c, ip) != CMX_OK ||
        cmx_kentik_batch_add_upsert(b, val, c) != CMX_OK) {
      cmx_kentik_criteria_free(c);
      cmx_kentik_batch_free(b);
      return NULL;
    }
    cmx_kentik_criteria_free(c);
  }
  return b;
}

static cmx_kentik_batch *tags(void)
{
  cmx_kentik_batch *b = cmx_kentik_batch_new(1);
  cmx_kentik_criteria *web = cmx_kentik_criteria_new("either", NULL, 0);
  cmx_kentik_criteria *dns = cmx_kentik_criteria_new("either", NULL, 0);
  int ok = b && web && dns && cmx_kentik_add_port(web, 443) == CMX_OK &&
           cmx_kentik_add_ip_address(web, "10.0.1.0/24") == CMX_OK &&
           cmx_kentik_add_port(dns, 53) == CMX_OK &&
           cmx_kentik_add_protocol(dns, 17) == CMX_OK &&
           cmx_kentik_batch_add_upsert(b, "web", web) == CMX_OK &&
           cmx_kentik_batch_add_upsert(b, "dns", dns) == CMX_OK;

  cmx_kentik_criteria_free(web);
  cmx_kentik_criteria_free(dns);
  if (!ok) {
    cmx_kentik_batch_free(b);
    return NULL;
  }
  return b;
}

int demo_kentik(cmx_engine *engine, const char *base_url, demo_tally *t)
{
  static const char *const ips[] = {"192.0.2.10"};
  cmx_kentik_device dev;
  char err[300];
  kdemo *d = calloc(1, sizeof(*d));

  if (!d)
    return -1;
  d->t = t;
  d->e = engine;
  d->k = cmx_kentik_new(engine, "test@example.com", "test-token", base_url,
                        err, sizeof(err));
  d->pop = populators();
  d->tags = tags();
  if (!d->k || !d->pop || !d->tags) {
    fprintf(stderr, "kentik demo: %s\n", d->k ? "out of memory" : err);
    cmx_kentik_batch_free(d->pop);
    cmx_kentik_batch_free(d->tags);
    cmx_kentik_free(d->k);
    free(d);
    return -1;
  }
  cmx_lane_set_rate(cmx_kentik_lane(d->k), 5.0, 5);
  cmx_kentik_set_part_limit(d->k, 250000);
  d->open = 1; /* held until everything started */

  d->t_sites = d->t_site = cmx_engine_now(engine);
  if (cmx_kentik_sites_list(d->k, on_sites, d) == CMX_OK)
    d->open++;
  if (cmx_kentik_site_get(d->k, 42, on_site, d) == CMX_OK)
    d->open++;
  d->t_part = cmx_engine_now(engine);
  if (cmx_kentik_submit_populators(d->k, "c_customer", d->pop, on_progress,
                                   on_pop, d, err, sizeof(err)) == CMX_OK)
    d->open++;
  else
    demo_note(t, "kentik", "populators: %s", err);
  d->t_tags = cmx_engine_now(engine);
  if (cmx_kentik_submit_tags(d->k, d->tags, NULL, on_tags, d, err,
                             sizeof(err)) == CMX_OK)
    d->open++;
  else
    demo_note(t, "kentik", "tags: %s", err);

  cmx_kentik_device_init(&dev);
  dev.device_name = "edge-router"; /* '-' is not allowed: refused locally */
  dev.device_type = "router";
  dev.device_subtype = "router";
  dev.device_sample_rate = 100;
  dev.plan_id = 11466;
  dev.sending_ips = ips;
  dev.n_sending_ips = 1;
  dev.minimize_snmp = 0;
  if (cmx_kentik_device_create(d->k, &dev, on_dev, d, err, sizeof(err)) ==
      CMX_EINVAL)
    demo_note(t, "kentik", "refused before sending: %s", err);
  dev.device_name = "edge_router_1";
  d->t_dev = cmx_engine_now(engine);
  if (cmx_kentik_device_create(d->k, &dev, on_dev, d, err, sizeof(err)) ==
      CMX_OK)
    d->open++;
  done_one(d); /* drop the start hold */
  return 0;
}
