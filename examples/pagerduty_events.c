/*
 * The life of an alert through the Events API v2: trigger, acknowledge,
 * resolve (pdpyras's EventsAPISession):
 *
 *   dedup_key = session.trigger("disk full", "host1",
 *                               custom_details={"free": "1%"})
 *   session.acknowledge(dedup_key)
 *   session.resolve(dedup_key)
 *
 * Usage: pagerduty_events URL ROUTING_KEY SUMMARY SOURCE [SEVERITY]
 *
 * URL is the events base URL (https://events.pagerduty.com, or the
 * simulator's http://127.0.0.1:PORT).  The trigger carries a dedup key
 * made by the client, so a retried trigger never opens a second incident;
 * a bad severity or an over-long summary is refused before anything is
 * sent.  Prints each step and the dedup key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <callmux/callmux.h>
#include <callmux/pagerduty.h>

typedef struct life {
  int step; /* 0 trigger, 1 acknowledge, 2 resolve */
  int failed;
  char dedup[256];
} life;

static const char *const steps[] = {"triggered", "acknowledged", "resolved"};

static void on_event(cmx_pagerduty_events *ev, const cmx_pagerduty_result *r,
                     void *ud)
{
  life *l = ud;
  int rc;

  if (r->code != CMX_OK) {
    fprintf(stderr, "%s failed: %s (HTTP %ld): %s\n", steps[l->step],
            cmx_code_name(r->code), r->status, r->detail);
    l->failed = 1;
    return;
  }
  if (l->step == 0)
    snprintf(l->dedup, sizeof(l->dedup), "%s", r->dedup_key);
  printf("%s %s (HTTP %ld)\n", steps[l->step], l->dedup, r->status);
  if (++l->step > 2)
    return;
  rc = l->step == 1 ? cmx_pagerduty_acknowledge(ev, l->dedup, on_event, l)
                    : cmx_pagerduty_resolve(ev, l->dedup, on_event, l);
  if (rc != CMX_OK) {
    fprintf(stderr, "refused: %s\n", cmx_pagerduty_events_last_error(ev));
    l->failed = 1;
  }
}

int main(int argc, char **argv)
{
  cmx_engine *engine;
  cmx_pagerduty_events *ev;
  cmx_pagerduty_event e;
  struct json_object *details;
  char err[256];
  life l;
  int rc;

  if (argc < 5 || argc > 6) {
    fprintf(stderr, "usage: pagerduty_events URL ROUTING_KEY SUMMARY SOURCE "
                    "[SEVERITY]\n");
    return 2;
  }
  engine = cmx_engine_new(NULL, NULL);
  if (!engine)
    return 1;
  ev = cmx_pagerduty_events_new(engine, argv[2], err, sizeof(err));
  if (!ev || cmx_pagerduty_events_set_base_url(ev, argv[1]) != CMX_OK) {
    fprintf(stderr, "pagerduty_events: %s\n",
            ev ? cmx_pagerduty_events_last_error(ev) : err);
    cmx_pagerduty_events_free(ev);
    cmx_engine_free(engine);
    return 2;
  }
  memset(&l, 0, sizeof(l));
  memset(&e, 0, sizeof(e));
  e.summary = argv[3];
  e.source = argv[4];
  e.severity = argc > 5 ? argv[5] : NULL; /* NULL: critical */
  details = json_object_new_object();
  json_object_object_add(details, "example",
                         json_object_new_string("pagerduty_events"));
  e.custom_details = details;
  rc = cmx_pagerduty_trigger(ev, &e, on_event, &l);
  json_object_put(details);
  if (rc != CMX_OK) {
    fprintf(stderr, "trigger refused: %s\n",
            cmx_pagerduty_events_last_error(ev));
    l.failed = 1;
  }
  cmx_engine_run(engine);
  cmx_pagerduty_events_free(ev);
  cmx_engine_free(engine);
  return l.failed || (rc == CMX_OK && l.step != 3) ? 1 : 0;
}
