/*
 * Kentik module: Device create, validation and request JSON.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kentik-int.h"

void cmx_kentik_device_init(cmx_kentik_device *d)
{
  if (!d)
    return;
  memset(d, 0, sizeof(*d));
  d->minimize_snmp = -1;
  d->device_bgp_flowspec = -1;
}

static int one_of(const char *s, const char *const *set)
{
  for (; *set; set++)
    if (strcmp(s, *set) == 0)
      return 1;
  return 0;
}

static int ip_ok(const char *s)
{
  return cmx__kentik_ip_valid(s, strlen(s), 0);
}

#define FAIL(...)                                                             \
  do {                                                                        \
    cmx__kentik_err(err, errlen, __VA_ARGS__);                                \
    return CMX_EINVAL;                                                        \
  } while (0)

int cmx_kentik_device_validate(const cmx_kentik_device *d, char *err,
                               size_t errlen)
{
  static const char *const types[] = {"router", "host-nprobe-dns-www", NULL};
  static const char *const bgp[] = {"none", "device", "other_device", NULL};
  static const char *const cdn[] = {"None", "Y", "N", NULL};
  static const char *const auth[] = {"NoAuth", "MD5", "SHA", NULL};
  static const char *const priv[] = {"NoPriv", "DES", "AES", NULL};
  size_t n, i;

  if (!d)
    FAIL("device: missing");
  if (!d->device_name)
    FAIL("device_name: required");
  n = strlen(d->device_name);
  if (n < 4 || n > 60)
    FAIL("device_name: must be 4..60 characters, got %zu", n);
  for (i = 0; i < n; i++) {
    char c = d->device_name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_'))
      FAIL("device_name: only letters, digits and '_' allowed");
  }
  if (!d->device_subtype || !*d->device_subtype)
    FAIL("device_subtype: required");
  if (d->device_sample_rate < 1)
    FAIL("device_sample_rate: required, at least 1");
  if (d->plan_id <= 0)
    FAIL("plan_id: required");
  if (d->device_description && strlen(d->device_description) > 128)
    FAIL("device_description: at most 128 characters");
  if (d->minimize_snmp < -1 || d->minimize_snmp > 1)
    FAIL("minimize_snmp: must be -1 (unset), 0 or 1");
  if (d->device_bgp_flowspec < -1 || d->device_bgp_flowspec > 1)
    FAIL("device_bgp_flowspec: must be -1 (unset), 0 or 1");
  for (i = 0; i < d->n_sending_ips; i++)
    if (!d->sending_ips || !d->sending_ips[i] || !ip_ok(d->sending_ips[i]))
      FAIL("sending_ips[%zu]: not an IP address", i);
  if (d->device_type) {
    if (!one_of(d->device_type, types))
      FAIL("device_type: must be router or host-nprobe-dns-www");
    if (strcmp(d->device_type, "router") == 0) {
      if (d->n_sending_ips == 0)
        FAIL("sending_ips: required for a router");
      if (d->minimize_snmp < 0)
        FAIL("minimize_snmp: required for a router");
    } else if (!d->cdn_attr) {
      FAIL("cdn_attr: required for host-nprobe-dns-www");
    }
  }
  if (d->cdn_attr && !one_of(d->cdn_attr, cdn))
    FAIL("cdn_attr: must be None, Y or N");
  if (d->device_snmp_ip && !ip_ok(d->device_snmp_ip))
    FAIL("device_snmp_ip: not an IP address");
  if (d->device_bgp_neighbor_ip && !ip_ok(d->device_bgp_neighbor_ip))
    FAIL("device_bgp_neighbor_ip: not an IP address");
  if (d->device_bgp_neighbor_ip6 && !ip_ok(d->device_bgp_neighbor_ip6))
    FAIL("device_bgp_neighbor_ip6: not an IP address");
  if (d->device_bgp_type) {
    if (!one_of(d->device_bgp_type, bgp))
      FAIL("device_bgp_type: must be none, device or other_device");
    if (strcmp(d->device_bgp_type, "device") == 0) {
      if (!d->device_bgp_neighbor_asn || !*d->device_bgp_neighbor_asn)
        FAIL("device_bgp_neighbor_asn: required for bgp type device");
      if (!d->device_bgp_neighbor_ip && !d->device_bgp_neighbor_ip6)
        FAIL("device_bgp_neighbor_ip: an IPv4 or IPv6 neighbor is "
             "required for bgp type device");
    } else if (strcmp(d->device_bgp_type, "other_device") == 0 &&
               d->use_bgp_device_id <= 0) {
      FAIL("use_bgp_device_id: required for bgp type other_device");
    }
  }
  if (d->snmp_v3_user || d->snmp_v3_auth_protocol ||
      d->snmp_v3_privacy_protocol) {
    const char *ap =
        d->snmp_v3_auth_protocol ? d->snmp_v3_auth_protocol : "NoAuth";
    const char *pp =
        d->snmp_v3_privacy_protocol ? d->snmp_v3_privacy_protocol : "NoPriv";
    if (!d->snmp_v3_user || !*d->snmp_v3_user)
      FAIL("device_snmp_v3_conf.UserName: required");
    if (!one_of(ap, auth))
      FAIL("device_snmp_v3_conf.AuthenticationProtocol: must be NoAuth, "
           "MD5 or SHA");
    if (strcmp(ap, "NoAuth") != 0 && !d->snmp_v3_auth_passphrase)
      FAIL("device_snmp_v3_conf.AuthenticationPassphrase: required unless "
           "NoAuth");
    if (!one_of(pp, priv))
      FAIL("device_snmp_v3_conf.PrivacyProtocol: must be NoPriv, DES or "
           "AES");
    if (strcmp(pp, "NoPriv") != 0 && !d->snmp_v3_privacy_passphrase)
      FAIL("device_snmp_v3_conf.PrivacyPassphrase: required unless NoPriv");
  }
  return CMX_OK;
}

static int kv_str(cmx__kbuf *b, int *first, const char *k, const char *v)
{
  int rc;

  if (!v)
    return CMX_OK;
  rc = cmx__kentik_buf_printf(b, "%s\"%s\": ", *first ? "" : ", ", k);
  *first = 0;
  if (rc == CMX_OK)
    rc = cmx__kentik_buf_json_string(b, v, strlen(v));
  return rc;
}

static int kv_raw(cmx__kbuf *b, int *first, const char *k, const char *v)
{
  int rc = cmx__kentik_buf_printf(b, "%s\"%s\": %s", *first ? "" : ", ", k, v);
  *first = 0;
  return rc;
}

char *cmx_kentik_device_json(const cmx_kentik_device *d, char *err,
                             size_t errlen)
{
  cmx__kbuf b = {0};
  char num[32];
  int first = 1, rc;
  size_t i;

  if (cmx_kentik_device_validate(d, err, errlen) != CMX_OK)
    return NULL;
  rc = cmx__kentik_buf_str(&b, "{\"device\": {");
  if (rc == CMX_OK)
    rc = kv_str(&b, &first, "device_name", d->device_name);
  if (rc == CMX_OK)
    rc = kv_str(&b, &first, "device_type", d->device_type);
  if (rc == CMX_OK)
    rc = kv_str(&b, &first, "device_subtype", d->device_subtype);
  if (rc == CMX_OK)
    rc = kv_str(&b, &first, "device_description", d->device_description);
  snprintf(num, sizeof(num), "%ld", d->device_sample_rate);
  if (rc == CMX_OK)
    rc = kv_str(&b, &first, "device_sample_rate", num);
  if (rc == CMX_OK && d->n_sending_ips) {
    rc = kv_raw(&b, &first, "sending_ips", "[");
    for (i = 0; i < d->n_sending_ips && rc == CMX_OK; i++) {
      if (i)
        rc = cmx__kentik_buf_str(&b, ", ");
      if (rc == CMX_OK)
        rc = cmx__kentik_buf_json_string(&b, d->sending_ips[i],
                                         strlen(d->sending_ips[i]));
    }
    if (rc == CMX_OK)
      rc = cmx__kentik_buf_str(&b, "]");
  }
  snprintf(num, sizeof(num), "%ld", d->plan_id);
  if (rc == CMX_OK)
    rc = kv_raw(&b, &first, "plan_id", num);
  snprintf(num, sizeof(num), "%ld", d->site_id);
  if (rc == CMX_OK && d->site_id > 0)
    rc = kv_raw(&b, &first, "site_id", num);
  if (rc == CMX_OK)
    rc = kv_str(&b, &first, "device_snmp_ip", d->device_snmp_ip);
  if (rc == CMX_OK)
    rc = kv_str(&b, &first, "device_snmp_community", d->device_snmp_community);
  if (rc == CMX_OK && d->minimize_snmp >= 0)
    rc = kv_raw(&b, &first, "minimize_snmp",
                d->minimize_snmp ? "true" : "false");
  if (rc == CMX_OK)
    rc = kv_str(&b, &first, "device_bgp_type", d->device_bgp_type);
  if (rc == CMX_OK)
    rc = kv_str(&b, &first, "device_bgp_neighbor_ip",
                d->device_bgp_neighbor_ip);
  if (rc == CMX_OK)
    rc = kv_str(&b, &first, "device_bgp_neighbor_ip6",
                d->device_bgp_neighbor_ip6);
  if (rc == CMX_OK)
    rc = kv_str(&b, &first, "device_bgp_neighbor_asn",
                d->device_bgp_neighbor_asn);
  if (rc == CMX_OK)
    rc = kv_str(&b, &first, "device_bgp_password", d->device_bgp_password);
  if (rc == CMX_OK && d->device_bgp_flowspec >= 0)
    rc = kv_raw(&b, &first, "device_bgp_flowspec",
                d->device_bgp_flowspec ? "true" : "false");
  snprintf(num, sizeof(num), "%ld", d->use_bgp_device_id);
  if (rc == CMX_OK && d->use_bgp_device_id > 0)
    rc = kv_raw(&b, &first, "use_bgp_device_id", num);
  if (rc == CMX_OK && d->snmp_v3_user) {
    int f2 = 1;
    rc = kv_raw(&b, &first, "device_snmp_v3_conf", "{");
    if (rc == CMX_OK)
      rc = kv_str(&b, &f2, "UserName", d->snmp_v3_user);
    if (rc == CMX_OK)
      rc = kv_str(&b, &f2, "AuthenticationProtocol",
                  d->snmp_v3_auth_protocol ? d->snmp_v3_auth_protocol
                                           : "NoAuth");
    if (rc == CMX_OK)
      rc = kv_str(&b, &f2, "AuthenticationPassphrase",
                  d->snmp_v3_auth_passphrase);
    if (rc == CMX_OK)
      rc = kv_str(&b, &f2, "PrivacyProtocol",
                  d->snmp_v3_privacy_protocol ? d->snmp_v3_privacy_protocol
                                              : "NoPriv");
    if (rc == CMX_OK)
      rc = kv_str(&b, &f2, "PrivacyPassphrase", d->snmp_v3_privacy_passphrase);
    if (rc == CMX_OK)
      rc = cmx__kentik_buf_str(&b, "}");
  }
  if (rc == CMX_OK)
    rc = kv_str(&b, &first, "cdn_attr", d->cdn_attr);
  if (rc == CMX_OK)
    rc = cmx__kentik_buf_str(&b, "}}");
  if (rc != CMX_OK) {
    cmx__kentik_err(err, errlen,
                    rc == CMX_ENOMEM ? "out of memory"
                                     : "device: a string is not valid UTF-8");
    free(b.p);
    return NULL;
  }
  return b.p;
}
