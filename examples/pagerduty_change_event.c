/*
 * Record a deployment as a PagerDuty change event (pdpyras's
 * ChangeEventsAPISession.submit):
 *
 *   session.submit("Deployed v2.3", source="ci",
 *                  custom_details={"commit": SHA},
 *                  links=[{"href": URL, "text": "build"}])
 *
 * Usage: pagerduty_change_event URL ROUTING_KEY SUMMARY [SOURCE [COMMIT]]
 *
 * The timestamp defaults to now (UTC, ISO 8601).  Exit status 0 once the
 * service accepted it (HTTP 202).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <callmux/callmux.h>
#include <callmux/pagerduty.h>

static int ok;

static void on_change(cmx_pagerduty_events *ev, const cmx_pagerduty_result *r,
                      void *ud)
{
  struct json_object *m;

  (void)ev;
  (void)ud;
  if (r->code != CMX_OK) {
    fprintf(stderr, "change event failed: %s (HTTP %ld): %s\n",
            cmx_code_name(r->code), r->status, r->detail);
    return;
  }
  ok = 1;
  printf("change event accepted (HTTP %ld): %s\n", r->status,
         r->value && json_object_object_get_ex(r->value, "message", &m)
             ? json_object_get_string(m)
             : "");
}

int main(int argc, char **argv)
{
  cmx_engine *engine;
  cmx_pagerduty_events *ev;
  cmx_pagerduty_change c;
  struct json_object *details = NULL, *links, *link;
  char err[256];
  int rc;

  if (argc < 4 || argc > 6) {
    fprintf(stderr, "usage: pagerduty_change_event URL ROUTING_KEY SUMMARY "
                    "[SOURCE [COMMIT]]\n");
    return 2;
  }
  engine = cmx_engine_new(NULL, NULL);
  if (!engine)
    return 1;
  ev = cmx_pagerduty_events_new(engine, argv[2], err, sizeof(err));
  if (!ev || cmx_pagerduty_events_set_base_url(ev, argv[1]) != CMX_OK) {
    fprintf(stderr, "pagerduty_change_event: %s\n",
            ev ? cmx_pagerduty_events_last_error(ev) : err);
    cmx_pagerduty_events_free(ev);
    cmx_engine_free(engine);
    return 2;
  }
  memset(&c, 0, sizeof(c));
  c.summary = argv[3];
  c.source = argc > 4 ? argv[4] : NULL;
  if (argc > 5) {
    details = json_object_new_object();
    json_object_object_add(details, "commit", json_object_new_string(argv[5]));
    c.custom_details = details;
  }
  links = json_object_new_array();
  link = json_object_new_object();
  json_object_object_add(link, "href",
                         json_object_new_string("https://ci.example.com/"));
  json_object_object_add(link, "text", json_object_new_string("build"));
  json_object_array_add(links, link);
  c.links = links;
  rc = cmx_pagerduty_change_submit(ev, &c, on_change, NULL);
  json_object_put(details);
  json_object_put(links);
  if (rc != CMX_OK)
    fprintf(stderr, "change event refused: %s\n",
            cmx_pagerduty_events_last_error(ev));
  cmx_engine_run(engine);
  cmx_pagerduty_events_free(ev);
  cmx_engine_free(engine);
  return ok ? 0 : 1;
}
