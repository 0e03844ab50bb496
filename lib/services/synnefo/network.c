/* Synnefo module: Cyclades network. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "services/synnefo/internal.h"

static const char *const net_types[] = {"CUSTOM", "MAC_FILTERED",
                                        "IP_LESS_ROUTED", "PHYSICAL_VLAN"};

int cmx_synnefo_create_network(cmx_synnefo *c, const char *type,
                               const char *name, cmx_synnefo_cb cb,
                               void *userdata)
{
  cmx__syn_call_spec spec;
  json_object *body, *net;
  size_t i;
  int ok = 0;

  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  for (i = 0; type && i < 4; i++)
    if (strcmp(type, net_types[i]) == 0)
      ok = 1;
  if (!ok)
    return cmx__syn_fail(c, CMX_EINVAL,
                         "type: must be CUSTOM, MAC_FILTERED, "
                         "IP_LESS_ROUTED or PHYSICAL_VLAN");
  body = json_object_new_object();
  net = json_object_new_object();
  if (!body || !net) {
    json_object_put(body);
    json_object_put(net);
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  }
  json_object_object_add(net, "type", json_object_new_string(type));
  json_object_object_add(net, "admin_state_up", json_object_new_boolean(1));
  if (name)
    json_object_object_add(net, "name", json_object_new_string(name));
  json_object_object_add(body, "network", net);
  memset(&spec, 0, sizeof(spec));
  spec.type = "network";
  spec.method = "POST";
  spec.path = cmx__syn_strdup("networks");
  spec.body = body;
  spec.accept[0] = 201;
  spec.unwrap = "network";
  spec.want_json = 1;
  return cmx__syn_call(c, &spec, cb, userdata);
}

int cmx_synnefo_list_networks(cmx_synnefo *c, int detail, cmx_synnefo_cb cb,
                              void *userdata)
{
  cmx__syn_call_spec spec;

  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  memset(&spec, 0, sizeof(spec));
  spec.type = "network";
  spec.method = "GET";
  spec.path = cmx__syn_strdup(detail ? "networks/detail" : "networks");
  spec.accept[0] = 200;
  spec.unwrap = "networks";
  spec.want_json = 1;
  return cmx__syn_call(c, &spec, cb, userdata);
}
