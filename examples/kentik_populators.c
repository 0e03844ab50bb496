/*
 * The seed's populator batch: one value with two criteria (every kind of
 * field) and one delete, submitted to a custom dimension, then the batch
 * is waited for and its status printed.
 *   kentik_populators URL [DIMENSION]    (default dimension c_customer)
 */
#include "config.h"

#include <stdio.h>

#include "kentik_util.h"

#define TRY(call)                                                             \
  do {                                                                        \
    if ((call) != CMX_OK) {                                                   \
      fprintf(stderr, "%s: %s\n", #call, cmx_kentik_criteria_error(c));       \
      goto out;                                                               \
    }                                                                         \
  } while (0)

int main(int argc, char **argv)
{
  cmx_kentik_batch *b = NULL;
  cmx_kentik_criteria *c = NULL, *c2 = NULL;
  char err[200];
  int rc = 1;
  kx x;

  if (argc < 2) {
    fprintf(stderr, "usage: %s URL [DIMENSION]\n", argv[0]);
    return 2;
  }
  if (kx_setup(&x, argv[1]) != 0)
    return 1;
  b = cmx_kentik_batch_new(0);
  c = cmx_kentik_criteria_new("dst", err, sizeof(err));
  c2 = cmx_kentik_criteria_new("either", err, sizeof(err));
  if (!b || !c || !c2) {
    fprintf(stderr, "setup: %s\n", err);
    goto out;
  }
  TRY(cmx_kentik_add_ip_address(c, "10.0.0.1"));
  TRY(cmx_kentik_add_port(c, 80));
  TRY(cmx_kentik_add_port_range(c, 1000, 2000));
  TRY(cmx_kentik_add_port_range(c, 5, 5));
  TRY(cmx_kentik_add_protocol(c, 6));
  TRY(cmx_kentik_add_asn(c, 15169));
  TRY(cmx_kentik_add_asn_range(c, 100, 200));
  TRY(cmx_kentik_add_vlan(c, 10));
  TRY(cmx_kentik_add_vlan_range(c, 20, 30));
  TRY(cmx_kentik_add_next_hop_asn(c, 1));
  TRY(cmx_kentik_add_next_hop_asn_range(c, 5, 9));
  TRY(cmx_kentik_add_next_hop_asn_name(c, "GOOGLE"));
  TRY(cmx_kentik_add_last_hop_asn_name(c, "CLOUDFLARE"));
  TRY(cmx_kentik_add_bgp_as_path(c, "^3737 1212"));
  TRY(cmx_kentik_add_bgp_community(c, "2096:2212"));
  TRY(cmx_kentik_add_tcp_flag(c, 2));
  TRY(cmx_kentik_add_tcp_flag(c, 16));
  TRY(cmx_kentik_add_mac_address(c, "01:42:12:ae:92:bf"));
  TRY(cmx_kentik_add_country_code(c, "US"));
  TRY(cmx_kentik_add_site_name(c, "site1"));
  TRY(cmx_kentik_add_device_type(c, "router"));
  TRY(cmx_kentik_add_interface_name(c, "eth0"));
  TRY(cmx_kentik_add_device_name(c, "dev1"));
  TRY(cmx_kentik_add_next_hop_ip_address(c, "1.2.3.0/24"));
  if (cmx_kentik_set_tcp_flags(c2, 255) != CMX_OK ||
      cmx_kentik_batch_add_upsert(b, "myval", c) != CMX_OK ||
      cmx_kentik_batch_add_upsert(b, "myval", c2) != CMX_OK ||
      cmx_kentik_batch_add_delete(b, "Old1") != CMX_OK) {
    fprintf(stderr, "batch: %s\n", cmx_kentik_batch_error(b));
    goto out;
  }
  rc = kx_submit_and_wait(&x, argc > 2 ? argv[2] : "c_customer", b);
out:
  cmx_kentik_criteria_free(c);
  cmx_kentik_criteria_free(c2);
  cmx_kentik_batch_free(b);
  kx_teardown(&x);
  return rc;
}
