/*
 * A tag batch (HyperTagging): tags for web servers, DNS and the edge
 * routers, replacing every other tag (replace_all), then the status.
 *   kentik_tags URL
 */
#include "config.h"

#include <stdio.h>

#include "kentik_util.h"

int main(int argc, char **argv)
{
  cmx_kentik_batch *b;
  cmx_kentik_criteria *web, *dns, *edge;
  char err[200];
  int rc = 1, ok;
  kx x;

  if (argc < 2) {
    fprintf(stderr, "usage: %s URL\n", argv[0]);
    return 2;
  }
  if (kx_setup(&x, argv[1]) != 0)
    return 1;
  b = cmx_kentik_batch_new(1);
  /* tags ignore direction: the server accepts only "either" */
  web = cmx_kentik_criteria_new("either", err, sizeof(err));
  dns = cmx_kentik_criteria_new("either", err, sizeof(err));
  edge = cmx_kentik_criteria_new("either", err, sizeof(err));
  ok = b && web && dns && edge &&
       cmx_kentik_add_ip_address(web, "10.0.1.0/24") == CMX_OK &&
       cmx_kentik_add_ip_address(web, "2001:db8:1::/48") == CMX_OK &&
       cmx_kentik_add_port(web, 443) == CMX_OK &&
       cmx_kentik_add_protocol(web, 6) == CMX_OK &&
       cmx_kentik_add_port(dns, 53) == CMX_OK &&
       cmx_kentik_add_protocol(dns, 17) == CMX_OK &&
       cmx_kentik_add_device_name(edge, "edge_router_1") == CMX_OK &&
       cmx_kentik_add_device_name(edge, "edge_router_2") == CMX_OK &&
       cmx_kentik_add_interface_name(edge, "xe-0/0/0") == CMX_OK &&
       cmx_kentik_batch_add_upsert(b, "web-servers", web) == CMX_OK &&
       cmx_kentik_batch_add_upsert(b, "dns", dns) == CMX_OK &&
       cmx_kentik_batch_add_upsert(b, "edge", edge) == CMX_OK;
  if (!ok)
    fprintf(stderr, "building the batch failed\n");
  else
    rc = kx_submit_and_wait(&x, NULL, b);
  cmx_kentik_criteria_free(web);
  cmx_kentik_criteria_free(dns);
  cmx_kentik_criteria_free(edge);
  cmx_kentik_batch_free(b);
  kx_teardown(&x);
  return rc;
}
