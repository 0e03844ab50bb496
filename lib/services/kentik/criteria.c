/*
 * Kentik module: criteria objects (one populator or tag rule each) and
 * their JSON.  Fields keep the order in which they were first added; each
 * holds its elements already in JSON form, joined by ", ".
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kentik-int.h"

enum {
  F_ADDR,
  F_PORT,
  F_PROTOCOL,
  F_ASN,
  F_VLANS,
  F_NEXTHOP_ASN,
  F_NEXTHOP_AS_NAME,
  F_LASTHOP_AS_NAME,
  F_BGP_ASPATH,
  F_BGP_COMMUNITY,
  F_TCP_FLAGS,
  F_MAC,
  F_COUNTRY,
  F_SITE,
  F_DEVICE_TYPE,
  F_INTERFACE_NAME,
  F_DEVICE_NAME,
  F_NEXTHOP,
  F_COUNT
};

static const char *const field_key[F_COUNT] = {
    "addr",        "port",          "protocol",        "asn",
    "vlans",       "nexthop_asn",   "nexthop_as_name", "lasthop_as_name",
    "bgp_aspath",  "bgp_community", "tcp_flags",       "mac",
    "country",     "site",          "device_type",     "interface_name",
    "device_name", "nexthop"};

struct cmx_kentik_criteria {
  char direction[8];
  cmx__kbuf f[F_COUNT]; /* joined JSON elements */
  unsigned char order[F_COUNT];
  unsigned nfields;
  unsigned char used[F_COUNT];
  long tcp_flags;
  char err[256];
};

cmx_kentik_criteria *cmx_kentik_criteria_new(const char *direction, char *err,
                                             size_t errlen)
{
  static const char *const dirs[] = {"src", "dst", "either"};
  cmx_kentik_criteria *c;
  char low[8];
  size_t n, i;

  if (!direction || (n = strlen(direction)) >= sizeof(low)) {
    cmx__kentik_err(err, errlen,
                    "direction: invalid value (valid: src, dst, either)");
    return NULL;
  }
  for (i = 0; i <= n; i++) {
    char ch = direction[i];
    low[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
  }
  for (i = 0; i < 3; i++)
    if (strcmp(low, dirs[i]) == 0)
      break;
  if (i == 3) {
    cmx__kentik_err(err, errlen,
                    "direction: invalid value (valid: src, dst, either)");
    return NULL;
  }
  c = calloc(1, sizeof(*c));
  if (!c) {
    cmx__kentik_err(err, errlen, "out of memory");
    return NULL;
  }
  memcpy(c->direction, low, n + 1);
  return c;
}

void cmx_kentik_criteria_free(cmx_kentik_criteria *c)
{
  unsigned i;

  if (!c)
    return;
  for (i = 0; i < F_COUNT; i++)
    free(c->f[i].p);
  free(c);
}

const char *cmx_kentik_criteria_error(const cmx_kentik_criteria *c)
{
  return c ? c->err : "";
}

int cmx__kentik_criteria_empty(const cmx_kentik_criteria *c)
{
  return c->nfields == 0;
}

static int bad(cmx_kentik_criteria *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int bad(cmx_kentik_criteria *c, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(c->err, sizeof(c->err), fmt, ap);
  va_end(ap);
  return CMX_EINVAL;
}

/* Append one element (JSON text `tok`) to field `f`. */
static int push(cmx_kentik_criteria *c, int f, const char *tok, size_t len)
{
  cmx__kbuf *b = &c->f[f];
  size_t old = b->len;

  if (cmx__kentik_buf_reserve(b, len + 2) != CMX_OK)
    return CMX_ENOMEM;
  if (b->len)
    cmx__kentik_buf_add(b, ", ", 2);
  cmx__kentik_buf_add(b, tok, len);
  (void)old;
  if (!c->used[f]) {
    c->used[f] = 1;
    c->order[c->nfields++] = (unsigned char)f;
  }
  c->err[0] = '\0';
  return CMX_OK;
}

static int push_num(cmx_kentik_criteria *c, int f, long long a, long long b,
                    int quoted)
{
  char tok[64];
  int n;

  if (a == b)
    n = snprintf(tok, sizeof(tok), quoted ? "\"%lld\"" : "%lld", a);
  else
    n = snprintf(tok, sizeof(tok), "\"%lld-%lld\"", a, b);
  return push(c, f, tok, (size_t)n);
}

static int range(cmx_kentik_criteria *c, int f, const char *what, long long a,
                 long long b, long long max)
{
  if (!c)
    return CMX_EINVAL;
  if (a < 0 || a > max)
    return bad(c, "%s: %lld out of range 0..%lld", what, a, max);
  if (b < 0 || b > max)
    return bad(c, "%s: %lld out of range 0..%lld", what, b, max);
  if (a > b)
    return bad(c, "%s: range start %lld is after end %lld", what, a, b);
  return push_num(c, f, a, b, 1);
}

int cmx_kentik_add_port(cmx_kentik_criteria *c, long p)
{
  return range(c, F_PORT, "port", p, p, 65535);
}

int cmx_kentik_add_port_range(cmx_kentik_criteria *c, long a, long b)
{
  return range(c, F_PORT, "port range", a, b, 65535);
}

int cmx_kentik_add_vlan(cmx_kentik_criteria *c, long v)
{
  return range(c, F_VLANS, "vlan", v, v, 4095);
}

int cmx_kentik_add_vlan_range(cmx_kentik_criteria *c, long a, long b)
{
  return range(c, F_VLANS, "vlan range", a, b, 4095);
}

int cmx_kentik_add_protocol(cmx_kentik_criteria *c, long p)
{
  if (!c)
    return CMX_EINVAL;
  if (p < 0 || p > 255)
    return bad(c, "protocol: %ld out of range 0..255", p);
  return push_num(c, F_PROTOCOL, p, p, 0);
}

int cmx_kentik_add_asn(cmx_kentik_criteria *c, long long n)
{
  return range(c, F_ASN, "asn", n, n, 4294967295LL);
}

int cmx_kentik_add_asn_range(cmx_kentik_criteria *c, long long a, long long b)
{
  return range(c, F_ASN, "asn range", a, b, 4294967295LL);
}

int cmx_kentik_add_next_hop_asn(cmx_kentik_criteria *c, long long n)
{
  return range(c, F_NEXTHOP_ASN, "next-hop asn", n, n, 4294967295LL);
}

int cmx_kentik_add_next_hop_asn_range(cmx_kentik_criteria *c, long long a,
                                      long long b)
{
  return range(c, F_NEXTHOP_ASN, "next-hop asn range", a, b, 4294967295LL);
}

/* Stripped non-empty UTF-8 string, with an optional syntax check. */
static int add_str(cmx_kentik_criteria *c, int f, const char *what,
                   const char *s, int kind)
{
  const char *p;
  size_t n;
  cmx__kbuf tmp = {0};
  int rc;

  if (!c)
    return CMX_EINVAL;
  if (!s)
    return bad(c, "%s: missing", what);
  p = cmx__kentik_strip(s, &n);
  if (n == 0)
    return bad(c, "%s: empty value", what);
  if (!cmx__kentik_utf8_valid(p, n))
    return bad(c, "%s: not valid UTF-8", what);
  if (kind == 1 && !cmx__kentik_ip_valid(p, n, 1))
    return bad(c, "%s: '%.*s' is not an IP address or CIDR", what,
               (int)(n > 60 ? 60 : n), p);
  if (kind == 2 && !cmx__kentik_mac_valid(p, n))
    return bad(c,
               "%s: '%.*s' is not a MAC address (six hex pairs separated "
               "by ':' or '-')",
               what, (int)(n > 60 ? 60 : n), p);
  rc = cmx__kentik_buf_json_string(&tmp, p, n);
  if (rc == CMX_OK)
    rc = push(c, f, tmp.p, tmp.len);
  free(tmp.p);
  return rc;
}

int cmx_kentik_add_last_hop_asn_name(cmx_kentik_criteria *c, const char *s)
{
  return add_str(c, F_LASTHOP_AS_NAME, "last-hop asn name", s, 0);
}

int cmx_kentik_add_next_hop_asn_name(cmx_kentik_criteria *c, const char *s)
{
  return add_str(c, F_NEXTHOP_AS_NAME, "next-hop asn name", s, 0);
}

int cmx_kentik_add_bgp_as_path(cmx_kentik_criteria *c, const char *s)
{
  return add_str(c, F_BGP_ASPATH, "bgp as path", s, 0);
}

int cmx_kentik_add_bgp_community(cmx_kentik_criteria *c, const char *s)
{
  return add_str(c, F_BGP_COMMUNITY, "bgp community", s, 0);
}

int cmx_kentik_add_ip_address(cmx_kentik_criteria *c, const char *s)
{
  return add_str(c, F_ADDR, "ip address", s, 1);
}

int cmx_kentik_add_next_hop_ip_address(cmx_kentik_criteria *c, const char *s)
{
  return add_str(c, F_NEXTHOP, "next-hop ip address", s, 1);
}

int cmx_kentik_add_mac_address(cmx_kentik_criteria *c, const char *s)
{
  return add_str(c, F_MAC, "mac address", s, 2);
}

int cmx_kentik_add_country_code(cmx_kentik_criteria *c, const char *s)
{
  return add_str(c, F_COUNTRY, "country code", s, 0);
}

int cmx_kentik_add_site_name(cmx_kentik_criteria *c, const char *s)
{
  return add_str(c, F_SITE, "site name", s, 0);
}

int cmx_kentik_add_device_type(cmx_kentik_criteria *c, const char *s)
{
  return add_str(c, F_DEVICE_TYPE, "device type", s, 0);
}

int cmx_kentik_add_interface_name(cmx_kentik_criteria *c, const char *s)
{
  return add_str(c, F_INTERFACE_NAME, "interface name", s, 0);
}

int cmx_kentik_add_device_name(cmx_kentik_criteria *c, const char *s)
{
  return add_str(c, F_DEVICE_NAME, "device name", s, 0);
}

static void tcp_mark(cmx_kentik_criteria *c, long mask)
{
  c->tcp_flags = mask;
  if (!c->used[F_TCP_FLAGS]) {
    c->used[F_TCP_FLAGS] = 1;
    c->order[c->nfields++] = F_TCP_FLAGS;
  }
  c->err[0] = '\0';
}

int cmx_kentik_add_tcp_flag(cmx_kentik_criteria *c, long flag)
{
  if (!c)
    return CMX_EINVAL;
  if (flag <= 0 || flag > 128 || (flag & (flag - 1)) != 0)
    return bad(c, "tcp flag: %ld is not one of 1,2,4,8,16,32,64,128", flag);
  tcp_mark(c, c->tcp_flags | flag);
  return CMX_OK;
}

int cmx_kentik_set_tcp_flags(cmx_kentik_criteria *c, long mask)
{
  if (!c)
    return CMX_EINVAL;
  if (mask < 0 || mask > 255)
    return bad(c, "tcp flags: mask %ld out of range 0..255", mask);
  tcp_mark(c, mask);
  return CMX_OK;
}

int cmx__kentik_criteria_write(const cmx_kentik_criteria *c, cmx__kbuf *b)
{
  unsigned i;
  int rc;

  rc = cmx__kentik_buf_printf(b, "{\"direction\": \"%s\"", c->direction);
  for (i = 0; i < c->nfields && rc == CMX_OK; i++) {
    int f = c->order[i];
    if (f == F_TCP_FLAGS) {
      rc = cmx__kentik_buf_printf(b, ", \"tcp_flags\": %ld", c->tcp_flags);
      continue;
    }
    rc = cmx__kentik_buf_printf(b, ", \"%s\": [", field_key[f]);
    if (rc == CMX_OK)
      rc = cmx__kentik_buf_add(b, c->f[f].p, c->f[f].len);
    if (rc == CMX_OK)
      rc = cmx__kentik_buf_add(b, "]", 1);
  }
  if (rc == CMX_OK)
    rc = cmx__kentik_buf_add(b, "}", 1);
  return rc;
}

char *cmx_kentik_criteria_json(const cmx_kentik_criteria *c)
{
  cmx__kbuf b = {0};

  if (!c)
    return NULL;
  if (cmx__kentik_criteria_write(c, &b) != CMX_OK) {
    free(b.p);
    return NULL;
  }
  return b.p;
}
