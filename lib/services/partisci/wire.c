/*
 * Partisci, sans-I/O: the app_id rule, update validation and encoding, URL
 * building.  No engine, no sockets.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/partisci/partisci-int.h"

void cmx__partisci_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
  va_list ap;

  if (!errbuf || errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(errbuf, errlen, fmt, ap);
  va_end(ap);
}

/* Decode one code point at s[0..len); returns its byte length, or 0 when
 * the bytes there are not valid UTF-8. */
static size_t utf8_next(const unsigned char *s, size_t len, unsigned long *cp)
{
  unsigned long c;
  size_t n, i;

  if (s[0] < 0x80) {
    *cp = s[0];
    return 1;
  }
  if (s[0] >= 0xC2 && s[0] <= 0xDF) {
    n = 2;
    c = s[0] & 0x1F;
  } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
    n = 3;
    c = s[0] & 0x0F;
  } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
    n = 4;
    c = s[0] & 0x07;
  } else {
    return 0;
  }
  if (len < n)
    return 0;
  for (i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    c = (c << 6) | (s[i] & 0x3F);
  }
  if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10FFFF ||
      (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  *cp = c;
  return n;
}

long cmx__partisci_utf8_chars(const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *)s;
  long count = 0;

  while (len > 0) {
    unsigned long cp;
    size_t n = utf8_next(p, len, &cp);

    if (n == 0)
      return -1;
    p += n;
    len -= n;
    count++;
  }
  return count;
}

char *cmx_partisci_app_id(const char *app)
{
  const unsigned char *p = (const unsigned char *)app;
  size_t len, i = 0;
  char *out;

  if (!app)
    return NULL;
  len = strlen(app);
  out = malloc(len + 1); /* one output byte per character, never more */
  if (!out)
    return NULL;
  while (len > 0) {
    unsigned long cp;
    size_t n = utf8_next(p, len, &cp);
    char ch = '_';

    if (n == 0) {
      n = 1; /* an invalid byte is one replacement character */
    } else if (cp < 0x80) {
      if (cp >= 'A' && cp <= 'Z')
        cp += 'a' - 'A';
      if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
        ch = (char)cp;
    } else if (cp == 0x130) {
      ch = 'i'; /* LATIN CAPITAL I WITH DOT ABOVE lowercases to 'i' */
    } else if (cp == 0x212A) {
      ch = 'k'; /* KELVIN SIGN lowercases to 'k' */
    }
    out[i++] = ch;
    p += n;
    len -= n;
  }
  out[i] = '\0';
  return out;
}

static int check_text(const char *field, const char *s, int required,
                      char *errbuf, size_t errlen)
{
  long chars;

  if (!s || !*s) {
    if (required) {
      cmx__partisci_err(errbuf, errlen, "%s: must be a non-empty string",
                        field);
      return CMX_EINVAL;
    }
    return CMX_OK;
  }
  chars = cmx__partisci_utf8_chars(s, strlen(s));
  if (chars < 0) {
    cmx__partisci_err(errbuf, errlen, "%s: not valid UTF-8", field);
    return CMX_EINVAL;
  }
  if (chars > CMX_PARTISCI_MAX_CHARS) {
    cmx__partisci_err(errbuf, errlen, "%s: %ld characters, at most %d allowed",
                      field, chars, CMX_PARTISCI_MAX_CHARS);
    return CMX_EINVAL;
  }
  return CMX_OK;
}

int cmx_partisci_update_validate(const cmx_partisci_update *u, char *errbuf,
                                 size_t errlen)
{
  int rc;

  if (!u) {
    cmx__partisci_err(errbuf, errlen, "update: missing");
    return CMX_EINVAL;
  }
  if ((rc = check_text("app", u->app, 1, errbuf, errlen)) != CMX_OK ||
      (rc = check_text("ver", u->ver, 1, errbuf, errlen)) != CMX_OK ||
      (rc = check_text("host", u->host, 0, errbuf, errlen)) != CMX_OK)
    return rc;
  if (u->instance < 0 || u->instance > 65535) {
    cmx__partisci_err(errbuf, errlen, "instance: %ld is outside 0..65535",
                      u->instance);
    return CMX_EINVAL;
  }
  return CMX_OK;
}

/* Append `s` as a JSON string to out (which has room: 6 bytes per input
 * byte + 2). */
static size_t json_str(char *out, const char *s)
{
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;

  out[o++] = '"';
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;

    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else if (c == '\n') {
      out[o++] = '\\';
      out[o++] = 'n';
    } else if (c == '\t') {
      out[o++] = '\\';
      out[o++] = 't';
    } else if (c == '\r') {
      out[o++] = '\\';
      out[o++] = 'r';
    } else if (c < 0x20 || c == 0x7f) {
      out[o++] = '\\';
      out[o++] = 'u';
      out[o++] = '0';
      out[o++] = '0';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    } else {
      out[o++] = (char)c;
    }
  }
  out[o++] = '"';
  return o;
}

char *cmx__partisci_encode(const cmx_partisci_update *u, size_t max,
                           size_t *len, char *errbuf, size_t errlen)
{
  size_t cap, o = 0;
  char *out;
  const char *host;
  int n;

  if (cmx_partisci_update_validate(u, errbuf, errlen) != CMX_OK)
    return NULL;
  host = u->host ? u->host : "";
  cap = 64 + 6 * (strlen(u->app) + strlen(u->ver) + strlen(host)) + 24;
  out = malloc(cap);
  if (!out) {
    cmx__partisci_err(errbuf, errlen, "out of memory");
    return NULL;
  }
  memcpy(out + o, "{\"app\":", 7);
  o += 7;
  o += json_str(out + o, u->app);
  memcpy(out + o, ",\"ver\":", 7);
  o += 7;
  o += json_str(out + o, u->ver);
  memcpy(out + o, ",\"host\":", 8);
  o += 8;
  o += json_str(out + o, host);
  n = snprintf(out + o, cap - o, ",\"instance\":%ld}", u->instance);
  o += (size_t)n;
  if (o > max) {
    cmx__partisci_err(errbuf, errlen,
                      "update: encodes to %zu bytes, a datagram holds at "
                      "most %zu",
                      o, max);
    free(out);
    return NULL;
  }
  if (len)
    *len = o;
  return out;
}

char *cmx_partisci_update_encode(const cmx_partisci_update *u, size_t *len,
                                 char *errbuf, size_t errlen)
{
  return cmx__partisci_encode(u, CMX_PARTISCI_MAX_DATAGRAM, len, errbuf,
                              errlen);
}

int cmx__partisci_split_base(const char *base, char **norm, char **host,
                             unsigned *port)
{
  const char *p, *h, *hend, *rest;
  size_t skip;
  unsigned long pt = CMX_PARTISCI_DEFAULT_PORT;
  char *hs, *ns;
  int https;

  if (!base)
    return -1;
  if (strncmp(base, "http://", 7) == 0) {
    skip = 7;
    https = 0;
  } else if (strncmp(base, "https://", 8) == 0) {
    skip = 8;
    https = 1;
  } else {
    return -1;
  }
  h = base + skip;
  if (*h == '[') {
    hend = strchr(h, ']');
    if (!hend)
      return -1;
    p = hend + 1;
    h++;
  } else {
    hend = h + strcspn(h, ":/?#");
    p = hend;
  }
  if (hend == h)
    return -1;
  if (*p == ':') {
    char *e;

    pt = strtoul(p + 1, &e, 10);
    if (e == p + 1 || pt == 0 || pt > 65535)
      return -1;
    rest = e;
  } else {
    rest = p;
  }
  if (!(*rest == '\0' || strcmp(rest, "/") == 0))
    return -1;
  hs = malloc((size_t)(hend - h) + 1);
  ns = malloc((size_t)(hend - h) + 32);
  if (!hs || !ns) {
    free(hs);
    free(ns);
    return -1;
  }
  memcpy(hs, h, (size_t)(hend - h));
  hs[hend - h] = '\0';
  snprintf(ns, (size_t)(hend - h) + 32,
           strchr(hs, ':') ? "%s://[%s]:%lu" : "%s://%s:%lu",
           https ? "https" : "http", hs, pt);
  if (norm)
    *norm = ns;
  else
    free(ns);
  if (host)
    *host = hs;
  else
    free(hs);
  if (port)
    *port = (unsigned)pt;
  return 0;
}

/* Percent-encode `s` (RFC 3986 unreserved kept) onto out; returns bytes. */
static size_t pct(char *out, const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;

  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;

    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out[o++] = (char)c;
    } else {
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  return o;
}

char *cmx_partisci_url(const char *base, cmx_partisci_era era,
                       cmx_partisci_endpoint ep, const cmx_partisci_filter *f)
{
  const char *path;
  char *norm, *out;
  size_t cap, o;
  int later = era == CMX_PARTISCI_ERA_LATER;

  if (era != CMX_PARTISCI_ERA_DOCUMENTED && era != CMX_PARTISCI_ERA_LATER)
    return NULL;
  switch (ep) {
  case CMX_PARTISCI_EP_INFO:
    path = later ? "/debug/vars" : "/api/v1/_partisci/";
    break;
  case CMX_PARTISCI_EP_APPS:
    path = later ? "/api/v1/app/" : "/api/v1/summary/app/";
    break;
  case CMX_PARTISCI_EP_HOSTS:
    path = later ? "/api/v1/host/" : "/api/v1/summary/host/";
    break;
  case CMX_PARTISCI_EP_VERSIONS:
    path = "/api/v1/version/";
    break;
  case CMX_PARTISCI_EP_UPDATE:
    path = "/api/v1/update/";
    break;
  case CMX_PARTISCI_EP_CLEAR:
    path = "/api/v1/_danger/clear/";
    break;
  default:
    return NULL;
  }
  if (cmx__partisci_split_base(base, &norm, NULL, NULL) != 0)
    return NULL;
  cap = strlen(norm) + strlen(path) + 1;
  if (ep == CMX_PARTISCI_EP_VERSIONS && f) {
    cap +=
        3 * ((f->app_id ? strlen(f->app_id) : 0) +
             (f->host ? strlen(f->host) : 0) + (f->ver ? strlen(f->ver) : 0)) +
        32;
  }
  out = malloc(cap);
  if (!out) {
    free(norm);
    return NULL;
  }
  o = (size_t)sprintf(out, "%s%s", norm, path);
  free(norm);
  if (ep == CMX_PARTISCI_EP_VERSIONS && f) {
    const char *keys[3] = {"app_id", "host", "ver"};
    const char *vals[3] = {f->app_id, f->host, f->ver};
    int i, first = 1;

    for (i = 0; i < 3; i++) {
      if (!vals[i] || !*vals[i])
        continue;
      out[o++] = first ? '?' : '&';
      first = 0;
      o += (size_t)sprintf(out + o, "%s=", keys[i]);
      o += pct(out + o, vals[i]);
    }
    out[o] = '\0';
  }
  return out;
}
