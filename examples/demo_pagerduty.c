/*
 * The demo's PagerDuty scenario, all at once on the demo's engine:
 *
 *   REST    list every user (parallel fan-out, in order), find one by
 *           e-mail, persist a team (created, then found again: no write);
 *   events  100 triggers through one routing key, sent at once (the
 *           lane's rate raised to 6,000/min for the demo: the key's
 *           default 120 events per minute are not reached), then every
 *           triggered incident is acknowledged with one multi-update
 *           (split in requests of at most 250), then a change event;
 *   refused an unknown REST path and a bad severity, both refused before
 *           anything is sent.
 *
 * The simulator's defaults apply: key "pd-test-token" (account level, so
 * writes carry a From header), any routing key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <callmux/pagerduty.h>

#include "demo.h"

#define SC "pagerduty"
#define TOKEN "pd-test-token"
#define ROUTING_KEY "DEMOROUTINGKEY00000000000000000"
/* under the 120 events per minute a routing key gets by default */
#define TRIGGERS 100

typedef struct pdemo {
  demo_tally *t;
  cmx_engine *e;
  cmx_pagerduty *pd;
  cmx_pagerduty_events *ev;
  unsigned open; /* steps still running */
  unsigned triggers_left;
  unsigned triggered_ok;
  uint64_t t_list, t_find, t_persist, t_list_inc, t_ack;
} pdemo;

typedef struct timed {
  pdemo *d;
  uint64_t start;
} timed;

static void step_done(pdemo *d)
{
  if (--d->open > 0)
    return;
  cmx_pagerduty_free(d->pd);
  cmx_pagerduty_events_free(d->ev);
  free(d);
}

static uint64_t since(pdemo *d, uint64_t t)
{
  return cmx_engine_now(d->e) - t;
}

static const char *str_of(struct json_object *o, const char *k)
{
  struct json_object *v;

  return o && json_object_object_get_ex(o, k, &v) ? json_object_get_string(v)
                                                  : "?";
}

static void on_users(cmx_pagerduty *pd, const cmx_pagerduty_result *r,
                     void *ud)
{
  pdemo *d = ud;

  (void)pd;
  demo_record(d->t, SC, r->code, since(d, d->t_list));
  if (r->code == CMX_OK)
    demo_note(d->t, SC, "listed %zu users (total %ld) with parallel pages",
              r->count, r->total);
  else
    demo_note(d->t, SC, "users: %s", r->detail);
  step_done(d);
}

static void on_find(cmx_pagerduty *pd, const cmx_pagerduty_result *r, void *ud)
{
  pdemo *d = ud;

  (void)pd;
  demo_record(d->t, SC, r->code, since(d, d->t_find));
  if (r->code == CMX_OK)
    demo_note(d->t, SC, "find by e-mail: %s %s", str_of(r->value, "id"),
              str_of(r->value, "name"));
  else
    demo_note(d->t, SC, "find: %s", r->detail);
  step_done(d);
}

static void on_persist_again(cmx_pagerduty *pd, const cmx_pagerduty_result *r,
                             void *ud);

static void on_persist(cmx_pagerduty *pd, const cmx_pagerduty_result *r,
                       void *ud)
{
  pdemo *d = ud;
  struct json_object *vals;

  demo_record(d->t, SC, r->code, since(d, d->t_persist));
  if (r->code != CMX_OK) {
    demo_note(d->t, SC, "persist: %s", r->detail);
    step_done(d);
    return;
  }
  demo_note(d->t, SC, "persist: team %s '%s' created", str_of(r->value, "id"),
            str_of(r->value, "name"));
  /* the same values again: found, nothing written */
  vals = json_tokener_parse("{\"name\":\"Demo Responders\"}");
  d->t_persist = cmx_engine_now(d->e);
  if (cmx_pagerduty_persist(pd, "teams", "name", vals, 0, on_persist_again,
                            d) != CMX_OK) {
    demo_note(d->t, SC, "persist again refused: %s",
              cmx_pagerduty_last_error(pd));
    step_done(d);
  }
  json_object_put(vals);
}

static void on_persist_again(cmx_pagerduty *pd, const cmx_pagerduty_result *r,
                             void *ud)
{
  pdemo *d = ud;

  (void)pd;
  demo_record(d->t, SC, r->code, since(d, d->t_persist));
  if (r->code == CMX_OK)
    demo_note(d->t, SC, "persist again: team %s found, no write",
              str_of(r->value, "id"));
  else
    demo_note(d->t, SC, "persist again: %s", r->detail);
  step_done(d);
}

static void on_change(cmx_pagerduty_events *ev, const cmx_pagerduty_result *r,
                      void *ud)
{
  timed *tm = ud;
  pdemo *d = tm->d;

  (void)ev;
  demo_record(d->t, SC, r->code, since(d, tm->start));
  if (r->code == CMX_OK)
    demo_note(d->t, SC, "change event accepted (HTTP %ld)", r->status);
  else
    demo_note(d->t, SC, "change event: %s", r->detail);
  free(tm);
  step_done(d);
}

static void on_acked(cmx_pagerduty *pd, const cmx_pagerduty_result *r,
                     void *ud)
{
  pdemo *d = ud;
  cmx_pagerduty_change c;
  timed *tm;

  (void)pd;
  demo_record(d->t, SC, r->code, since(d, d->t_ack));
  if (r->code == CMX_OK)
    demo_note(d->t, SC, "acknowledged %zu incidents in one multi-update",
              r->count);
  else
    demo_note(d->t, SC, "acknowledge: %s", r->detail);
  memset(&c, 0, sizeof(c));
  c.summary = "demo: incidents acknowledged";
  c.source = "callmux demo";
  tm = malloc(sizeof(*tm));
  if (tm) {
    tm->d = d;
    tm->start = cmx_engine_now(d->e);
    if (cmx_pagerduty_change_submit(d->ev, &c, on_change, tm) == CMX_OK)
      return; /* this step goes on in on_change */
    free(tm);
  }
  step_done(d);
}

static void on_triggered_list(cmx_pagerduty *pd, const cmx_pagerduty_result *r,
                              void *ud)
{
  pdemo *d = ud;
  struct json_object *refs, *ref, *it;
  size_t i, n;

  demo_record(d->t, SC, r->code, since(d, d->t_list_inc));
  if (r->code != CMX_OK) {
    demo_note(d->t, SC, "triggered incidents: %s", r->detail);
    step_done(d);
    return;
  }
  n = json_object_array_length(r->value);
  refs = json_object_new_array();
  for (i = 0; i < n; i++) {
    it = json_object_array_get_idx(r->value, i);
    ref = json_object_new_object();
    json_object_object_add(ref, "id",
                           json_object_new_string(str_of(it, "id")));
    json_object_object_add(ref, "type",
                           json_object_new_string("incident_reference"));
    json_object_object_add(ref, "status",
                           json_object_new_string("acknowledged"));
    json_object_array_add(refs, ref);
  }
  d->t_ack = cmx_engine_now(d->e);
  if (cmx_pagerduty_rput(pd, "incidents", refs, on_acked, d) != CMX_OK) {
    demo_note(d->t, SC, "acknowledge refused: %s",
              cmx_pagerduty_last_error(pd));
    step_done(d);
  }
  json_object_put(refs);
}

static void on_trigger(cmx_pagerduty_events *ev, const cmx_pagerduty_result *r,
                       void *ud)
{
  timed *tm = ud;
  pdemo *d = tm->d;
  struct json_object *params, *st;

  (void)ev;
  demo_record(d->t, SC, r->code, since(d, tm->start));
  free(tm);
  if (r->code == CMX_OK)
    d->triggered_ok++;
  if (--d->triggers_left > 0)
    return;
  demo_note(d->t, SC, "%u of %d triggers accepted (client-made dedup keys)",
            d->triggered_ok, TRIGGERS);
  params = json_object_new_object();
  st = json_object_new_array();
  json_object_array_add(st, json_object_new_string("triggered"));
  json_object_object_add(params, "statuses", st);
  d->t_list_inc = cmx_engine_now(d->e);
  if (cmx_pagerduty_list_all(d->pd, "incidents", params, NULL,
                             on_triggered_list, d) != CMX_OK) {
    demo_note(d->t, SC, "list refused: %s", cmx_pagerduty_last_error(d->pd));
    step_done(d);
  }
  json_object_put(params);
}

int demo_pagerduty(cmx_engine *engine, const char *base_url, demo_tally *t)
{
  pdemo *d = calloc(1, sizeof(*d));
  char err[256], sum[64];
  struct json_object *vals;
  cmx_pagerduty_event ev;
  unsigned i;

  if (!d)
    return -1;
  d->t = t;
  d->e = engine;
  d->pd = cmx_pagerduty_new(engine, TOKEN, CMX_PAGERDUTY_AUTH_TOKEN, err,
                            sizeof(err));
  d->ev = cmx_pagerduty_events_new(engine, ROUTING_KEY, err, sizeof(err));
  if (!d->pd || !d->ev || cmx_pagerduty_set_base_url(d->pd, base_url) ||
      cmx_pagerduty_events_set_base_url(d->ev, base_url)) {
    fprintf(stderr, "demo pagerduty: %s\n", err);
    cmx_pagerduty_free(d->pd);
    cmx_pagerduty_events_free(d->ev);
    free(d);
    return -1;
  }
  cmx_pagerduty_set_default_from(d->pd, "demo@example.com");
  cmx_pagerduty_events_set_rate(d->ev, 6000, 20);
  d->open = 1; /* held until everything started */

  d->t_list = cmx_engine_now(engine);
  if (cmx_pagerduty_iter_all(d->pd, "users", NULL, NULL, NULL, on_users, d) ==
      CMX_OK)
    d->open++;
  d->t_find = cmx_engine_now(engine);
  if (cmx_pagerduty_find(d->pd, "users", "user2@example.com", "email", NULL,
                         on_find, d) == CMX_OK)
    d->open++;
  vals = json_tokener_parse("{\"name\":\"Demo Responders\","
                            "\"description\":\"made by the demo\"}");
  d->t_persist = cmx_engine_now(engine);
  if (cmx_pagerduty_persist(d->pd, "teams", "name", vals, 0, on_persist, d) ==
      CMX_OK)
    d->open++;
  json_object_put(vals);
  if (cmx_pagerduty_rget(d->pd, "/users/P1/future", NULL, on_find, d) ==
      CMX_EINVAL)
    demo_note(t, SC, "refused before sending: %s",
              cmx_pagerduty_last_error(d->pd));

  memset(&ev, 0, sizeof(ev));
  ev.source = "demo-host";
  ev.severity = "bogus";
  ev.summary = "refused";
  if (cmx_pagerduty_trigger(d->ev, &ev, on_trigger, d) == CMX_EINVAL)
    demo_note(t, SC, "refused before sending: %s",
              cmx_pagerduty_events_last_error(d->ev));
  ev.severity = "warning";
  d->open++; /* the trigger -> acknowledge -> change chain */
  for (i = 0; i < TRIGGERS; i++) {
    timed *tm = malloc(sizeof(*tm));

    if (!tm)
      break;
    tm->d = d;
    tm->start = cmx_engine_now(engine);
    snprintf(sum, sizeof(sum), "demo alert %u: disk almost full", i);
    ev.summary = sum;
    if (cmx_pagerduty_trigger(d->ev, &ev, on_trigger, tm) != CMX_OK) {
      free(tm);
      break;
    }
    d->triggers_left++;
  }
  if (d->triggers_left == 0)
    d->open--;
  step_done(d); /* release the hold */
  return 0;
}
