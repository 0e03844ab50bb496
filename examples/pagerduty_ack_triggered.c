/*
 * Acknowledge every triggered incident (optionally only those assigned to
 * some users): the pdpyras recipe
 *
 *   incidents = session.list_all('incidents',
 *       params={'statuses': ['triggered'], 'user_ids': [...]})
 *   session.rput('incidents', json=[{'id': i['id'],
 *       'type': 'incident_reference', 'status': 'acknowledged'}
 *       for i in incidents])
 *
 * Usage: pagerduty_ack_triggered URL API_KEY FROM_EMAIL [USER_ID...]
 *
 * The list values go as repeated statuses[]= / user_ids[]= pairs; the
 * multi-update needs the From header and is split by the client into
 * requests of at most 250 incidents.  Prints how many were acknowledged.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <callmux/callmux.h>
#include <callmux/pagerduty.h>

typedef struct ack {
  int failed;
} ack;

static void report(const char *what, const cmx_pagerduty_result *r)
{
  fprintf(stderr, "%s failed: %s (HTTP %ld): %s\n", what,
          cmx_code_name(r->code), r->status, r->detail);
}

static void on_updated(cmx_pagerduty *pd, const cmx_pagerduty_result *r,
                       void *ud)
{
  ack *a = ud;

  (void)pd;
  if (r->code != CMX_OK) {
    report("update", r);
    a->failed = 1;
    return;
  }
  printf("acknowledged %zu incidents\n", r->count);
}

static void on_listed(cmx_pagerduty *pd, const cmx_pagerduty_result *r,
                      void *ud)
{
  ack *a = ud;
  struct json_object *refs, *it, *ref, *id;
  size_t i, n;
  int rc;

  if (r->code != CMX_OK) {
    report("list", r);
    a->failed = 1;
    return;
  }
  n = json_object_array_length(r->value);
  printf("%zu triggered incidents\n", n);
  if (n == 0)
    return;
  refs = json_object_new_array();
  for (i = 0; i < n; i++) {
    it = json_object_array_get_idx(r->value, i);
    if (!json_object_object_get_ex(it, "id", &id))
      continue;
    ref = json_object_new_object();
    json_object_object_add(ref, "id", json_object_get(id));
    json_object_object_add(ref, "type",
                           json_object_new_string("incident_reference"));
    json_object_object_add(ref, "status",
                           json_object_new_string("acknowledged"));
    json_object_array_add(refs, ref);
  }
  rc = cmx_pagerduty_rput(pd, "incidents", refs, on_updated, a);
  json_object_put(refs);
  if (rc != CMX_OK) {
    fprintf(stderr, "update refused: %s\n", cmx_pagerduty_last_error(pd));
    a->failed = 1;
  }
}

int main(int argc, char **argv)
{
  cmx_engine *engine;
  cmx_pagerduty *pd;
  struct json_object *params, *list;
  char err[256];
  ack a = {0};
  int i, rc;

  if (argc < 4) {
    fprintf(stderr, "usage: pagerduty_ack_triggered URL API_KEY FROM_EMAIL "
                    "[USER_ID...]\n");
    return 2;
  }
  engine = cmx_engine_new(NULL, NULL);
  if (!engine)
    return 1;
  pd = cmx_pagerduty_new(engine, argv[2], CMX_PAGERDUTY_AUTH_TOKEN, err,
                         sizeof(err));
  if (!pd || cmx_pagerduty_set_base_url(pd, argv[1]) != CMX_OK ||
      cmx_pagerduty_set_default_from(pd, argv[3]) != CMX_OK) {
    fprintf(stderr, "pagerduty_ack_triggered: %s\n",
            pd ? cmx_pagerduty_last_error(pd) : err);
    cmx_pagerduty_free(pd);
    cmx_engine_free(engine);
    return 2;
  }
  params = json_object_new_object();
  list = json_object_new_array();
  json_object_array_add(list, json_object_new_string("triggered"));
  json_object_object_add(params, "statuses", list); /* -> statuses[]= */
  if (argc > 4) {
    list = json_object_new_array();
    for (i = 4; i < argc; i++)
      json_object_array_add(list, json_object_new_string(argv[i]));
    json_object_object_add(params, "user_ids", list); /* -> user_ids[]= */
  }
  rc = cmx_pagerduty_list_all(pd, "incidents", params, NULL, on_listed, &a);
  json_object_put(params);
  if (rc != CMX_OK) {
    fprintf(stderr, "list refused: %s\n", cmx_pagerduty_last_error(pd));
    a.failed = 1;
  }
  cmx_engine_run(engine);
  cmx_pagerduty_free(pd);
  cmx_engine_free(engine);
  return a.failed ? 1 : 0;
}
