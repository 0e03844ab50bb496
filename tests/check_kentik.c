/*
 * Kentik module tests, sans-I/O half: criteria JSON, validation, batch
 * grouping, part splitting and serialisation, parsers, devices.  The end
 * to end tests against the simulator are in check_kentik_e2e.c.
 */
#include "config.h"

#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <callmux/callmux.h>
#include <callmux/kentik.h>

static cmx_kentik_criteria *crit(const char *dir)
{
  char err[128];
  cmx_kentik_criteria *c = cmx_kentik_criteria_new(dir, err, sizeof(err));

  ck_assert_msg(c != NULL, "criteria_new(%s): %s", dir, err);
  return c;
}

static char *one_part(const cmx_kentik_batch *b, const char *guid)
{
  cmx_kentik_plan *p = NULL;
  char err[256] = "", *buf = NULL;
  size_t cap = 0, len = 0;

  ck_assert_msg(cmx_kentik_plan_new(b, 0, &p, err, sizeof(err)) == CMX_OK,
                "plan: %s", err);
  ck_assert_uint_eq(cmx_kentik_plan_parts(p), 1);
  ck_assert_int_eq(cmx_kentik_plan_part(p, 0, guid, &buf, &cap, &len), CMX_OK);
  ck_assert_uint_eq(strlen(buf), len);
  ck_assert_uint_eq(cmx_kentik_plan_json_bytes(p),
                    len - (guid ? strlen(guid) : 0));
  cmx_kentik_plan_free(p);
  return buf;
}

/* The spec's captured wire example, with our next-hop ASN range fix. */
START_TEST(spec_example_json)
{
  cmx_kentik_batch *b = cmx_kentik_batch_new(0);
  cmx_kentik_criteria *c = crit("DST"), *c2 = crit("either");
  char *json;
  const char *want =
      "{\"replace_all\": false, \"guid\": \"\", \"complete\": true, "
      "\"upserts\": [{\"value\": \"myval\", \"criteria\": [{\"direction\": "
      "\"dst\", \"addr\": [\"10.0.0.1\"], \"port\": [\"80\", \"1000-2000\", "
      "\"5\"], \"protocol\": [6], \"asn\": [\"15169\", \"100-200\"], "
      "\"vlans\": [\"10\", \"20-30\"], \"nexthop_asn\": [\"1\", \"5-9\"], "
      "\"nexthop_as_name\": [\"GOOGLE\"], \"lasthop_as_name\": "
      "[\"CLOUDFLARE\"], \"bgp_aspath\": [\"^3737 1212\"], "
      "\"bgp_community\": [\"2096:2212\"], \"tcp_flags\": 18, \"mac\": "
      "[\"01:42:12:ae:92:bf\"], \"country\": [\"US\"], \"site\": "
      "[\"site1\"], \"device_type\": [\"router\"], \"interface_name\": "
      "[\"eth0\"], \"device_name\": [\"dev1\"], \"nexthop\": "
      "[\"1.2.3.0/24\"]}, {\"direction\": \"either\", \"tcp_flags\": "
      "255}]}], \"deletes\": [{\"value\": \"Old1\"}]}";

  ck_assert_int_eq(cmx_kentik_add_ip_address(c, " 10.0.0.1 "), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_port(c, 80), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_port_range(c, 1000, 2000), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_port_range(c, 5, 5), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_protocol(c, 6), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_asn(c, 15169), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_asn_range(c, 100, 200), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_vlan(c, 10), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_vlan_range(c, 20, 30), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_next_hop_asn(c, 1), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_next_hop_asn_range(c, 5, 9), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_next_hop_asn_name(c, "GOOGLE"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_last_hop_asn_name(c, "CLOUDFLARE"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_bgp_as_path(c, "^3737 1212"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_bgp_community(c, "2096:2212"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_tcp_flag(c, 2), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_tcp_flag(c, 16), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_mac_address(c, "01:42:12:ae:92:bf"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_country_code(c, "US"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_site_name(c, "site1"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_device_type(c, "router"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_interface_name(c, "eth0"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_device_name(c, "dev1"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_next_hop_ip_address(c, "1.2.3.0/24"),
                   CMX_OK);
  ck_assert_int_eq(cmx_kentik_set_tcp_flags(c2, 255), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, "myval", c), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, "myval", c2), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_delete(b, "Old1"), CMX_OK);
  json = one_part(b, "");
  ck_assert_str_eq(json, want);
  free(json);
  cmx_kentik_criteria_free(c);
  cmx_kentik_criteria_free(c2);
  cmx_kentik_batch_free(b);
}
END_TEST

static void crit_is(cmx_kentik_criteria *c, const char *want)
{
  char *j = cmx_kentik_criteria_json(c);

  ck_assert_ptr_nonnull(j);
  ck_assert_str_eq(j, want);
  free(j);
}

/* Each method alone: key, element type, range format. */
START_TEST(every_method_json)
{
  struct {
    int (*fn)(cmx_kentik_criteria *, const char *);
    const char *arg, *want;
  } strs[] = {
      {cmx_kentik_add_last_hop_asn_name, " CF ",
       "\"lasthop_as_name\": [\"CF\"]"},
      {cmx_kentik_add_next_hop_asn_name, "G", "\"nexthop_as_name\": [\"G\"]"},
      {cmx_kentik_add_bgp_as_path, "^1 2$", "\"bgp_aspath\": [\"^1 2$\"]"},
      {cmx_kentik_add_bgp_community, "1:2", "\"bgp_community\": [\"1:2\"]"},
      {cmx_kentik_add_ip_address, "fe80::1/64", "\"addr\": [\"fe80::1/64\"]"},
      {cmx_kentik_add_next_hop_ip_address, "1.2.3.4",
       "\"nexthop\": [\"1.2.3.4\"]"},
      {cmx_kentik_add_mac_address, "AA-bb-cc-dd-ee-ff",
       "\"mac\": [\"AA-bb-cc-dd-ee-ff\"]"},
      {cmx_kentik_add_country_code, "DE", "\"country\": [\"DE\"]"},
      {cmx_kentik_add_site_name, "s/1", "\"site\": [\"s/1\"]"},
      {cmx_kentik_add_device_type, "router", "\"device_type\": [\"router\"]"},
      {cmx_kentik_add_interface_name, "eth\"0",
       "\"interface_name\": [\"eth\\\"0\"]"},
      {cmx_kentik_add_device_name, "d\xc3\xa9v",
       "\"device_name\": [\"d\\u00e9v\"]"},
  };
  size_t i;
  char want[256];
  cmx_kentik_criteria *c;

  for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
    c = crit("src");
    ck_assert_int_eq(strs[i].fn(c, strs[i].arg), CMX_OK);
    snprintf(want, sizeof(want), "{\"direction\": \"src\", %s}", strs[i].want);
    crit_is(c, want);
    cmx_kentik_criteria_free(c);
  }
  c = crit("Either");
  ck_assert_int_eq(cmx_kentik_add_asn(c, 4294967295LL), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_asn_range(c, 7, 7), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_next_hop_asn_range(c, 3, 4), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_protocol(c, 17), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_protocol(c, 0), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_vlan(c, 4095), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_vlan_range(c, 1, 1), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_tcp_flag(c, 1), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_port(c, 0), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_tcp_flag(c, 128), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_tcp_flag(c, 1), CMX_OK);
  crit_is(c, "{\"direction\": \"either\", \"asn\": [\"4294967295\", \"7\"], "
             "\"nexthop_asn\": [\"3-4\"], \"protocol\": [17, 0], \"vlans\": "
             "[\"4095\", \"1\"], \"tcp_flags\": 129, \"port\": [\"0\"]}");
  ck_assert_int_eq(cmx_kentik_set_tcp_flags(c, 0), CMX_OK);
  crit_is(c, "{\"direction\": \"either\", \"asn\": [\"4294967295\", \"7\"], "
             "\"nexthop_asn\": [\"3-4\"], \"protocol\": [17, 0], \"vlans\": "
             "[\"4095\", \"1\"], \"tcp_flags\": 0, \"port\": [\"0\"]}");
  cmx_kentik_criteria_free(c);
}
END_TEST

static void refused(int rc, cmx_kentik_criteria *c, const char *needle)
{
  ck_assert_int_eq(rc, CMX_EINVAL);
  ck_assert_msg(strstr(cmx_kentik_criteria_error(c), needle) != NULL,
                "error '%s' lacks '%s'", cmx_kentik_criteria_error(c), needle);
}

START_TEST(criteria_validation)
{
  char err[128] = "";
  cmx_kentik_criteria *c;

  ck_assert_ptr_null(cmx_kentik_criteria_new("both", err, sizeof(err)));
  ck_assert_ptr_nonnull(strstr(err, "direction"));
  ck_assert_ptr_null(cmx_kentik_criteria_new("", err, sizeof(err)));
  ck_assert_ptr_null(cmx_kentik_criteria_new(NULL, err, sizeof(err)));
  c = crit("dst");
  refused(cmx_kentik_add_port(c, 65536), c, "port");
  refused(cmx_kentik_add_port(c, -1), c, "port");
  refused(cmx_kentik_add_port_range(c, 10, 5), c, "start 10 is after end 5");
  refused(cmx_kentik_add_vlan(c, 4096), c, "vlan");
  refused(cmx_kentik_add_vlan_range(c, 30, 20), c, "vlan range");
  refused(cmx_kentik_add_protocol(c, 256), c, "protocol");
  refused(cmx_kentik_add_asn(c, 4294967296LL), c, "asn");
  refused(cmx_kentik_add_asn_range(c, 200, 100), c, "asn range");
  refused(cmx_kentik_add_next_hop_asn(c, -5), c, "next-hop asn");
  refused(cmx_kentik_add_next_hop_asn_range(c, 9, 5), c, "next-hop asn range");
  refused(cmx_kentik_add_tcp_flag(c, 3), c, "tcp flag");
  refused(cmx_kentik_add_tcp_flag(c, 256), c, "tcp flag");
  refused(cmx_kentik_add_tcp_flag(c, 0), c, "tcp flag");
  refused(cmx_kentik_set_tcp_flags(c, 256), c, "tcp flags");
  refused(cmx_kentik_add_ip_address(c, "abcdefg"), c, "not an IP");
  refused(cmx_kentik_add_ip_address(c, "10.0.0.1/33"), c, "not an IP");
  refused(cmx_kentik_add_ip_address(c, "10.0.0.256"), c, "not an IP");
  refused(cmx_kentik_add_ip_address(c, "  "), c, "empty");
  refused(cmx_kentik_add_next_hop_ip_address(c, ""), c, "empty");
  refused(cmx_kentik_add_next_hop_ip_address(c, "1.2.3"), c, "not an IP");
  refused(cmx_kentik_add_mac_address(c, "01:42:12:ae:92"), c, "MAC");
  refused(cmx_kentik_add_mac_address(c, "01:42:12-ae:92:bf"), c, "MAC");
  refused(cmx_kentik_add_mac_address(c, "0g:42:12:ae:92:bf"), c, "MAC");
  refused(cmx_kentik_add_country_code(c, "\t"), c, "country code: empty");
  refused(cmx_kentik_add_site_name(c, ""), c, "site name: empty");
  refused(cmx_kentik_add_device_type(c, " "), c, "device type: empty");
  refused(cmx_kentik_add_interface_name(c, ""), c, "interface name");
  refused(cmx_kentik_add_device_name(c, ""), c, "device name");
  refused(cmx_kentik_add_bgp_as_path(c, ""), c, "bgp as path");
  refused(cmx_kentik_add_bgp_community(c, NULL), c, "bgp community");
  refused(cmx_kentik_add_last_hop_asn_name(c, ""), c, "last-hop");
  refused(cmx_kentik_add_next_hop_asn_name(c, ""), c, "next-hop asn name");
  refused(cmx_kentik_add_site_name(c, "a\xff"), c, "UTF-8");
  /* nothing was added by the refused calls */
  crit_is(c, "{\"direction\": \"dst\"}");
  cmx_kentik_criteria_free(c);

  ck_assert_int_eq(cmx_kentik_dimension_valid("c_my_dim", err, 128), CMX_OK);
  ck_assert_int_eq(cmx_kentik_dimension_valid("c_", err, 128), CMX_EINVAL);
  ck_assert_int_eq(cmx_kentik_dimension_valid("my_dim", err, 128), CMX_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "c_"));
  ck_assert_int_eq(cmx_kentik_dimension_valid("c_a-b", err, 128), CMX_EINVAL);
  ck_assert_int_eq(
      cmx_kentik_dimension_valid("c_123456789012345678901", err, 128),
      CMX_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "3..20"));
}
END_TEST

START_TEST(json_escaping)
{
  char out[128];
  long n;

  n = cmx_kentik_json_string(out, "a\"b\\c/\n\t\r\b\f\x01\x7f", 13);
  ck_assert_int_gt(n, 0);
  out[n] = 0;
  ck_assert_str_eq(out, "\"a\\\"b\\\\c/\\n\\t\\r\\b\\f\\u0001\\u007f\"");
  n = cmx_kentik_json_string(out, "\xe2\x82\xac\xf0\x9f\x98\x80", 7);
  out[n] = 0;
  ck_assert_str_eq(out, "\"\\u20ac\\ud83d\\ude00\"");
  ck_assert_int_eq(cmx_kentik_json_string(NULL, "\xe2\x82\xac", 3), 8);
  ck_assert_int_eq(cmx_kentik_json_string(out, "\xc0\xaf", 2), -1);
  ck_assert_int_eq(cmx_kentik_json_string(out, "\xed\xa0\x80", 3), -1);
  ck_assert_int_eq(cmx_kentik_json_string(out, "\xe2\x82", 2), -1);
}
END_TEST

START_TEST(batch_grouping)
{
  cmx_kentik_batch *b = cmx_kentik_batch_new(1);
  cmx_kentik_criteria *c = crit("src"), *empty = crit("dst");
  char *json;

  ck_assert_int_eq(cmx_kentik_add_port(c, 22), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, " Web ", c), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_delete(b, "gone2"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_delete(b, "Gone1"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, "db", c), CMX_OK);
  /* criteria copied at add time: later changes do not show */
  ck_assert_int_eq(cmx_kentik_add_port(c, 23), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, "WEB", c), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_delete(b, "DB"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_delete(b, "GONE2"), CMX_OK);
  /* refusals */
  ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, "  ", c), CMX_EINVAL);
  ck_assert_ptr_nonnull(strstr(cmx_kentik_batch_error(b), "value: empty"));
  ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, "x", empty), CMX_EINVAL);
  ck_assert_ptr_nonnull(strstr(cmx_kentik_batch_error(b), "criteria"));
  ck_assert_int_eq(cmx_kentik_batch_add_delete(b, " \t"), CMX_EINVAL);
  ck_assert_int_eq(cmx_kentik_batch_add_delete(b, "\xff"), CMX_EINVAL);

  ck_assert_uint_eq(cmx_kentik_batch_upsert_values(b), 2);
  ck_assert_uint_eq(cmx_kentik_batch_criteria_count(b), 3);
  ck_assert_uint_eq(cmx_kentik_batch_delete_count(b), 2);
  json = one_part(b, "6659fbfc-3f08-42ee-998c-9109f650f4b7");
  ck_assert_str_eq(
      json,
      "{\"replace_all\": true, \"guid\": "
      "\"6659fbfc-3f08-42ee-998c-9109f650f4b7\", \"complete\": true, "
      "\"upserts\": [{\"value\": \"WEB\", \"criteria\": [{\"direction\": "
      "\"src\", \"port\": [\"22\"]}, {\"direction\": \"src\", \"port\": "
      "[\"22\", \"23\"]}]}, {\"value\": \"DB\", \"criteria\": "
      "[{\"direction\": \"src\", \"port\": [\"22\"]}]}], \"deletes\": "
      "[{\"value\": \"GONE2\"}, {\"value\": \"Gone1\"}]}");
  free(json);
  cmx_kentik_criteria_free(c);
  cmx_kentik_criteria_free(empty);
  cmx_kentik_batch_free(b);
}
END_TEST

START_TEST(empty_batches)
{
  cmx_kentik_batch *b = cmx_kentik_batch_new(0);
  cmx_kentik_plan *p = NULL;
  char err[200] = "", *json;

  ck_assert_int_eq(cmx_kentik_plan_new(b, 0, &p, err, sizeof(err)),
                   CMX_EINVAL);
  ck_assert_ptr_null(p);
  ck_assert_ptr_nonnull(strstr(err, "replace_all is false"));
  cmx_kentik_batch_free(b);
  b = cmx_kentik_batch_new(1);
  json = one_part(b, NULL);
  ck_assert_str_eq(json, "{\"replace_all\": true, \"guid\": \"\", "
                         "\"complete\": true, \"upserts\": [], "
                         "\"deletes\": []}");
  free(json);
  cmx_kentik_batch_free(b);
}
END_TEST

/* Split a batch; check every part: size <= limit, valid JSON, complete only
 * on the last, nothing lost nor duplicated. */
static void check_split(size_t nups, size_t ndel, size_t limit,
                        size_t min_parts)
{
  cmx_kentik_batch *b = cmx_kentik_batch_new(0);
  cmx_kentik_criteria *c = crit("dst");
  cmx_kentik_plan *p = NULL;
  char err[256] = "", val[64], *buf = NULL;
  size_t cap = 0, len, i, nparts, seen_u = 0, seen_d = 0;
  const char *guid = "6659fbfc-3f08-42ee-998c-9109f650f4b7";
  uint64_t total = 0;

  if (!limit)
    limit = CMX_KENTIK_PART_LIMIT;
  ck_assert_int_eq(cmx_kentik_add_ip_address(c, "192.168.10.0/24"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_port(c, 443), CMX_OK);
  for (i = 0; i < nups; i++) {
    snprintf(val, sizeof(val), "value-%zu", i);
    ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, val, c), CMX_OK);
  }
  for (i = 0; i < ndel; i++) {
    snprintf(val, sizeof(val), "a-rather-long-deleted-value-number-%zu", i);
    ck_assert_int_eq(cmx_kentik_batch_add_delete(b, val), CMX_OK);
  }
  ck_assert_int_eq(cmx_kentik_plan_new(b, limit, &p, err, sizeof(err)),
                   CMX_OK);
  nparts = cmx_kentik_plan_parts(p);
  ck_assert_uint_ge(nparts, min_parts);
  for (i = 0; i < nparts; i++) {
    struct json_object *o, *v;
    size_t nu, nd;

    ck_assert_int_eq(
        cmx_kentik_plan_part(p, i, i ? guid : "", &buf, &cap, &len), CMX_OK);
    ck_assert_msg(len <= limit, "part %zu: %zu > %zu", i, len, limit);
    total += len - (i ? strlen(guid) : 0);
    o = json_tokener_parse(buf);
    ck_assert_ptr_nonnull(o);
    ck_assert(json_object_object_get_ex(o, "complete", &v));
    ck_assert_int_eq(json_object_get_boolean(v), i + 1 == nparts);
    ck_assert(json_object_object_get_ex(o, "guid", &v));
    ck_assert_str_eq(json_object_get_string(v), i ? guid : "");
    ck_assert(json_object_object_get_ex(o, "upserts", &v));
    nu = json_object_array_length(v);
    if (nu) {
      struct json_object *first = json_object_array_get_idx(v, 0), *fv;
      ck_assert(json_object_object_get_ex(first, "value", &fv));
      snprintf(val, sizeof(val), "value-%zu", seen_u);
      ck_assert_str_eq(json_object_get_string(fv), val); /* in order */
    }
    ck_assert(json_object_object_get_ex(o, "deletes", &v));
    nd = json_object_array_length(v);
    ck_assert_msg(nu + nd > 0, "part %zu is empty", i);
    /* deletes only after every upsert */
    if (nd)
      ck_assert_uint_eq(seen_u + nu, nups);
    seen_u += nu;
    seen_d += nd;
    json_object_put(o);
  }
  ck_assert_uint_eq(seen_u, nups);
  ck_assert_uint_eq(seen_d, ndel);
  ck_assert_uint_eq(total, cmx_kentik_plan_json_bytes(p));
  /* held compactly: the batch's arenas and tables (capacity, not just
   * use) stay under 2 x its JSON once fixed overheads do not matter */
  if (nups + ndel >= 10000)
    ck_assert_msg(cmx_kentik_batch_memory(b) <= 2 * total,
                  "batch holds %zu bytes for %llu of JSON",
                  cmx_kentik_batch_memory(b), (unsigned long long)total);
  free(buf);
  cmx_kentik_plan_free(p);
  cmx_kentik_criteria_free(c);
  cmx_kentik_batch_free(b);
}

START_TEST(split_sizes)
{
  check_split(1, 0, 0, 1);
  check_split(10000, 0, 0, 1);
  check_split(10000, 0, 100000, 8);
  check_split(300000, 0, 0, 30);
  /* delete-heavy: the reference client overshot here */
  check_split(30000, 20000, 0, 4);
  check_split(0, 50000, 200000, 10);
  check_split(3, 3, 1024, 1);
}
END_TEST

START_TEST(split_too_large)
{
  cmx_kentik_batch *b = cmx_kentik_batch_new(0);
  cmx_kentik_criteria *c = crit("dst");
  cmx_kentik_plan *p = NULL;
  char err[256] = "", ip[32];
  int i;

  for (i = 0; i < 200; i++) {
    snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 250, i % 250);
    ck_assert_int_eq(cmx_kentik_add_ip_address(c, ip), CMX_OK);
  }
  ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, "small", c), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, "huge", c), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, "huge", c), CMX_OK);
  ck_assert_int_eq(cmx_kentik_plan_new(b, 5000, &p, err, sizeof(err)),
                   CMX_EINVAL);
  ck_assert_ptr_null(p);
  ck_assert_msg(strstr(err, "'huge'") && strstr(err, "5000"), "%s", err);
  /* with room enough it is fine: 2 parts, no empty leading part */
  ck_assert_int_eq(cmx_kentik_plan_new(b, 8000, &p, err, sizeof(err)), CMX_OK);
  ck_assert_uint_eq(cmx_kentik_plan_parts(p), 2);
  cmx_kentik_plan_free(p);
  cmx_kentik_criteria_free(c);
  cmx_kentik_batch_free(b);
}
END_TEST

START_TEST(status_and_site_parse)
{
  const char *txt =
      "{\"custom_dimension\": {\"id\": 98, \"name\": \"MY_FAVE_DIM\"},"
      " \"guid\": \"g-1\", \"is_multipart\": false, \"is_pending\": false,"
      " \"is_complete\": true, \"number_of_parts\": 1, \"user\": {\"id\":"
      " 2233, \"email\": \"username@domain.com\"}, \"upserts\": {\"total\":"
      " 9955, \"applied\": 9898, \"invalid\": 0, \"unchanged\": 0,"
      " \"over_limit\": 57}, \"deletes\": {\"total\": 0, \"applied\": 0,"
      " \"unchanged\": 0, \"invalid\": 0}, \"replace_all\": {\"requested\":"
      " true, \"deletes_performed\": 0, \"successful\": true},"
      " \"batch_date\": \"2018-09-25T21:41:18.88816Z\"}";
  struct json_object *o = json_tokener_parse(txt), *s;
  cmx_kentik_status st;
  cmx_kentik_site site;
  char err[128];

  ck_assert_int_eq(cmx_kentik_status_parse(o, &st, err, sizeof(err)), CMX_OK);
  ck_assert_str_eq(st.guid, "g-1");
  ck_assert_int_eq(st.is_pending, 0);
  ck_assert_int_eq(st.is_complete, 1);
  ck_assert_int_eq(st.dimension_id, 98);
  ck_assert_str_eq(st.dimension_name, "MY_FAVE_DIM");
  ck_assert_int_eq(st.upserts.total, 9955);
  ck_assert_int_eq(st.upserts.applied, 9898);
  ck_assert_int_eq(st.upserts.over_limit, 57);
  ck_assert_int_eq(st.replace_all.requested, 1);
  ck_assert_int_eq(st.user_id, 2233);
  json_object_object_del(o, "is_pending");
  ck_assert_int_eq(cmx_kentik_status_parse(o, &st, err, sizeof(err)),
                   CMX_EPROTO);
  ck_assert_ptr_nonnull(strstr(err, "is_pending"));
  json_object_put(o);

  s = json_tokener_parse("{\"id\":\"42\",\"site_name\":\"apitest-site-1\","
                         "\"lat\":54.349276,\"lon\":null,"
                         "\"company_id\":\"3250\"}");
  ck_assert_int_eq(cmx_kentik_site_parse(s, &site, err, sizeof(err)), CMX_OK);
  ck_assert_int_eq(site.id, 42);
  ck_assert_int_eq(site.company_id, 3250);
  ck_assert_int_eq(site.has_lat, 1);
  ck_assert_int_eq(site.has_lon, 0);
  ck_assert_double_eq_tol(site.lat, 54.349276, 1e-9);
  json_object_put(s);
  s = json_tokener_parse("{\"id\":42}");
  ck_assert_int_eq(cmx_kentik_site_parse(s, &site, err, sizeof(err)),
                   CMX_EPROTO);
  json_object_put(s);
}
END_TEST

static cmx_kentik_device router(void)
{
  static const char *const ips[] = {"10.0.0.1", "10.0.0.2"};
  cmx_kentik_device d;

  cmx_kentik_device_init(&d);
  d.device_name = "edge_router_1";
  d.device_type = "router";
  d.device_subtype = "router";
  d.device_sample_rate = 10;
  d.plan_id = 11466;
  d.sending_ips = ips;
  d.n_sending_ips = 2;
  d.minimize_snmp = 0;
  return d;
}

static void dev_refused(const cmx_kentik_device *d, const char *needle)
{
  char err[200] = "";

  ck_assert_int_eq(cmx_kentik_device_validate(d, err, sizeof(err)),
                   CMX_EINVAL);
  ck_assert_msg(strstr(err, needle) != NULL, "'%s' lacks '%s'", err, needle);
  ck_assert_ptr_null(cmx_kentik_device_json(d, err, sizeof(err)));
}

START_TEST(device_rules)
{
  cmx_kentik_device d = router();
  char err[200] = "", *j;

  j = cmx_kentik_device_json(&d, err, sizeof(err));
  ck_assert_msg(j != NULL, "%s", err);
  ck_assert_str_eq(j, "{\"device\": {\"device_name\": \"edge_router_1\", "
                      "\"device_type\": \"router\", \"device_subtype\": "
                      "\"router\", \"device_sample_rate\": \"10\", "
                      "\"sending_ips\": [\"10.0.0.1\", \"10.0.0.2\"], "
                      "\"plan_id\": 11466, \"minimize_snmp\": false}}");
  free(j);
  d = router();
  d.device_name = "abc";
  dev_refused(&d, "device_name");
  d = router();
  d.device_name = "bad-name";
  dev_refused(&d, "device_name");
  d = router();
  d.device_name = NULL;
  dev_refused(&d, "device_name");
  d = router();
  d.device_subtype = NULL;
  dev_refused(&d, "device_subtype");
  d = router();
  d.device_sample_rate = 0;
  dev_refused(&d, "sample_rate");
  d = router();
  d.plan_id = 0;
  dev_refused(&d, "plan_id");
  d = router();
  d.n_sending_ips = 0;
  dev_refused(&d, "sending_ips");
  d = router();
  d.minimize_snmp = -1;
  dev_refused(&d, "minimize_snmp");
  d = router();
  d.device_type = "switch";
  dev_refused(&d, "device_type");
  d = router();
  d.device_type = "host-nprobe-dns-www";
  dev_refused(&d, "cdn_attr");
  d.cdn_attr = "maybe";
  dev_refused(&d, "cdn_attr");
  d.cdn_attr = "Y";
  ck_assert_int_eq(cmx_kentik_device_validate(&d, err, sizeof(err)), CMX_OK);
  d = router();
  d.device_bgp_type = "device";
  dev_refused(&d, "device_bgp_neighbor_asn");
  d.device_bgp_neighbor_asn = "65000";
  dev_refused(&d, "neighbor");
  d.device_bgp_neighbor_ip6 = "2001:db8::1";
  ck_assert_int_eq(cmx_kentik_device_validate(&d, err, sizeof(err)), CMX_OK);
  d = router();
  d.device_bgp_type = "other_device";
  dev_refused(&d, "use_bgp_device_id");
  d = router();
  d.device_bgp_type = "ibgp";
  dev_refused(&d, "bgp_type");
  d = router();
  d.snmp_v3_auth_protocol = "MD5";
  dev_refused(&d, "UserName");
  d.snmp_v3_user = "u";
  dev_refused(&d, "AuthenticationPassphrase");
  d.snmp_v3_auth_passphrase = "p";
  d.snmp_v3_privacy_protocol = "AES";
  dev_refused(&d, "PrivacyPassphrase");
  d.snmp_v3_privacy_protocol = "RC4";
  dev_refused(&d, "PrivacyProtocol");
  d = router();
  d.device_description =
      "0123456789012345678901234567890123456789012345678901234567890123456789"
      "0123456789012345678901234567890123456789012345678901234567890123456789";
  dev_refused(&d, "device_description");
  d = router();
  d.device_snmp_ip = "nope";
  dev_refused(&d, "device_snmp_ip");
}
END_TEST

static Suite *kentik_suite(void)
{
  Suite *s = suite_create("kentik");
  TCase *tc = tcase_create("sans-io");

  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, spec_example_json);
  tcase_add_test(tc, every_method_json);
  tcase_add_test(tc, criteria_validation);
  tcase_add_test(tc, json_escaping);
  tcase_add_test(tc, batch_grouping);
  tcase_add_test(tc, empty_batches);
  tcase_add_test(tc, split_sizes);
  tcase_add_test(tc, split_too_large);
  tcase_add_test(tc, status_and_site_parse);
  tcase_add_test(tc, device_rules);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(kentik_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
