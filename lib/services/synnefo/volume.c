/* Synnefo module: Cyclades block storage (volumes, snapshots). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "services/synnefo/internal.h"

int cmx_synnefo_create_snapshot(cmx_synnefo *c, const char *volume_id,
                                const char *name, cmx_synnefo_cb cb,
                                void *userdata)
{
  cmx__syn_call_spec spec;
  json_object *body, *snap;

  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  if (!volume_id || !*volume_id)
    return cmx__syn_fail(c, CMX_EINVAL, "volume_id: must be non-empty");
  body = json_object_new_object();
  snap = json_object_new_object();
  if (!body || !snap) {
    json_object_put(body);
    json_object_put(snap);
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  }
  json_object_object_add(snap, "volume_id", json_object_new_string(volume_id));
  if (name)
    json_object_object_add(snap, "display_name", json_object_new_string(name));
  json_object_object_add(body, "snapshot", snap);
  memset(&spec, 0, sizeof(spec));
  spec.type = "volume";
  spec.method = "POST";
  spec.path = cmx__syn_strdup("snapshots");
  spec.body = body;
  spec.accept[0] = 202;
  spec.unwrap = "snapshot";
  spec.want_json = 1;
  return cmx__syn_call(c, &spec, cb, userdata);
}

int cmx_synnefo_list_volumes(cmx_synnefo *c, cmx_synnefo_cb cb, void *userdata)
{
  cmx__syn_call_spec spec;

  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  memset(&spec, 0, sizeof(spec));
  spec.type = "volume";
  spec.method = "GET";
  spec.path = cmx__syn_strdup("volumes/detail");
  spec.accept[0] = 200;
  spec.unwrap = "volumes";
  spec.want_json = 1;
  return cmx__syn_call(c, &spec, cb, userdata);
}
