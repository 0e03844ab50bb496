/* Statistics of every lane, as JSON. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/engine-int.h"

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
  json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static struct json_object *lane_json(const cmx_lane *l)
{
  struct json_object *o = json_object_new_object(), *errs;
  int i;

  if (!o)
    return NULL;
  json_object_object_add(o, "name", json_object_new_string(l->name));
  add_u64(o, "queued", l->queued);
  add_u64(o, "inflight", l->inflight);
  add_u64(o, "max_inflight", l->max_inflight);
  add_u64(o, "effective_max_inflight", l->eff_inflight);
  json_object_object_add(o, "rate", json_object_new_double(l->rate));
  json_object_object_add(
      o, "effective_rate",
      json_object_new_double(l->rate > 0 ? l->aimd.current : 0));
  add_u64(o, "submitted", l->n_submitted);
  add_u64(o, "attempts", l->n_attempts);
  add_u64(o, "ok", l->n_ok);
  add_u64(o, "failed", l->n_failed);
  add_u64(o, "retried", l->n_retries);
  add_u64(o, "http_429", l->n_429);
  errs = json_object_new_object();
  for (i = 1; i < CMX__NCODES; i++)
    if (l->n_by_code[i])
      add_u64(errs, cmx_code_name(-i), l->n_by_code[i]);
  json_object_object_add(o, "failed_by_code", errs);
  json_object_object_add(o, "queue_wait", cmx__hist_json(&l->h_queue));
  json_object_object_add(o, "service_time", cmx__hist_json(&l->h_service));
  json_object_object_add(o, "total_time", cmx__hist_json(&l->h_total));
  return o;
}

char *cmx_engine_stats_json(cmx_engine *e)
{
  struct json_object *root, *eng, *lanes;
  const cmx_lane *l;
  char *out = NULL;

  if (!e)
    return NULL;
  root = json_object_new_object();
  eng = json_object_new_object();
  lanes = json_object_new_array();
  if (!root || !eng || !lanes) {
    json_object_put(root);
    json_object_put(eng);
    json_object_put(lanes);
    return NULL;
  }
  add_u64(eng, "outstanding", e->outstanding);
  add_u64(eng, "inflight", e->inflight_total);
  add_u64(eng, "lanes", e->nlanes);
  add_u64(eng, "connections_opened", e->connects);
  json_object_object_add(root, "engine", eng);
  for (l = e->lanes; l; l = l->all_next)
    json_object_array_add(lanes, lane_json(l));
  json_object_object_add(root, "lanes", lanes);
  {
    const char *s =
        json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
    if (s)
      out = cmx__strdup(s);
  }
  json_object_put(root);
  return out;
}
