/*
 * Kentik module: byte buffers, JSON string escaping (the wire's
 * ensure_ascii layout) and the small syntax checks (UTF-8, IP, MAC,
 * dimension names).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kentik-int.h"

int cmx__kentik_buf_reserve(cmx__kbuf *b, size_t more)
{
  size_t need = b->len + more + 1, ncap;
  char *p;

  if (need <= b->cap)
    return CMX_OK;
  ncap = b->cap ? b->cap : 64;
  while (ncap < need) /* x1.5 beyond 1 MiB: less slack in big arenas */
    ncap = ncap < (1u << 20) ? ncap * 2 : ncap + ncap / 2;
  p = realloc(b->p, ncap);
  if (!p)
    return CMX_ENOMEM;
  b->p = p;
  b->cap = ncap;
  return CMX_OK;
}

int cmx__kentik_buf_add(cmx__kbuf *b, const void *data, size_t len)
{
  if (cmx__kentik_buf_reserve(b, len) != CMX_OK)
    return CMX_ENOMEM;
  memcpy(b->p + b->len, data, len);
  b->len += len;
  b->p[b->len] = '\0';
  return CMX_OK;
}

int cmx__kentik_buf_str(cmx__kbuf *b, const char *s)
{
  return cmx__kentik_buf_add(b, s, strlen(s));
}

int cmx__kentik_buf_printf(cmx__kbuf *b, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || cmx__kentik_buf_reserve(b, (size_t)n) != CMX_OK)
    return CMX_ENOMEM;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return CMX_OK;
}

/* Decode one UTF-8 code point at s[*i]; -1 when invalid. */
static long utf8_next(const unsigned char *s, size_t len, size_t *i)
{
  unsigned char c = s[*i];
  long cp;
  size_t n, k;

  if (c < 0x80) {
    (*i)++;
    return c;
  }
  if (c >= 0xc2 && c <= 0xdf) {
    n = 1;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 2;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 3;
    cp = c & 0x07;
  } else {
    return -1;
  }
  if (*i + n >= len)
    return -1;
  for (k = 1; k <= n; k++) {
    unsigned char d = s[*i + k];
    if ((d & 0xc0) != 0x80)
      return -1;
    cp = (cp << 6) | (d & 0x3f);
  }
  if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return -1;
  *i += n + 1;
  return cp;
}

int cmx__kentik_utf8_valid(const char *s, size_t len)
{
  size_t i = 0;

  while (i < len)
    if (utf8_next((const unsigned char *)s, len, &i) < 0)
      return 0;
  return 1;
}

static const char hexd[] = "0123456789abcdef";

static size_t put_u(char *o, unsigned v)
{
  if (o) {
    o[0] = '\\';
    o[1] = 'u';
    o[2] = hexd[(v >> 12) & 15];
    o[3] = hexd[(v >> 8) & 15];
    o[4] = hexd[(v >> 4) & 15];
    o[5] = hexd[v & 15];
  }
  return 6;
}

long cmx_kentik_json_string(char *out, const char *s, size_t len)
{
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, n = 0;

  if (!s)
    return -1;
  if (out)
    out[n] = '"';
  n++;
  while (i < len) {
    unsigned char c = u[i];
    const char *esc = NULL;

    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      if (out)
        out[n] = (char)c;
      n++;
      i++;
      continue;
    }
    switch (c) {
    case '"':
      esc = "\\\"";
      break;
    case '\\':
      esc = "\\\\";
      break;
    case '\n':
      esc = "\\n";
      break;
    case '\r':
      esc = "\\r";
      break;
    case '\t':
      esc = "\\t";
      break;
    case '\b':
      esc = "\\b";
      break;
    case '\f':
      esc = "\\f";
      break;
    default:
      break;
    }
    if (esc) {
      if (out)
        memcpy(out + n, esc, 2);
      n += 2;
      i++;
    } else if (c < 0x80) {
      n += put_u(out ? out + n : NULL, c);
      i++;
    } else {
      long cp = utf8_next(u, len, &i);
      if (cp < 0)
        return -1;
      if (cp >= 0x10000) {
        unsigned v = (unsigned)(cp - 0x10000);
        n += put_u(out ? out + n : NULL, 0xd800u + (v >> 10));
        n += put_u(out ? out + n : NULL, 0xdc00u + (v & 0x3ffu));
      } else {
        n += put_u(out ? out + n : NULL, (unsigned)cp);
      }
    }
  }
  if (out)
    out[n] = '"';
  n++;
  return (long)n;
}

int cmx__kentik_buf_json_string(cmx__kbuf *b, const char *s, size_t len)
{
  long n;

  if (cmx__kentik_buf_reserve(b, 12 * len + 2) != CMX_OK)
    return CMX_ENOMEM;
  n = cmx_kentik_json_string(b->p + b->len, s, len);
  if (n < 0)
    return CMX_EINVAL;
  b->len += (size_t)n;
  b->p[b->len] = '\0';
  return CMX_OK;
}

void cmx__kentik_err(char *err, size_t errlen, const char *fmt, ...)
{
  va_list ap;

  if (!err || !errlen)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static int is_strip(unsigned char c)
{
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

const char *cmx__kentik_strip(const char *s, size_t *len)
{
  size_t n = strlen(s);

  while (n && is_strip((unsigned char)*s)) {
    s++;
    n--;
  }
  while (n && is_strip((unsigned char)s[n - 1]))
    n--;
  *len = n;
  return s;
}

int cmx__kentik_ip_valid(const char *s, size_t len, int allow_cidr)
{
  char buf[64];
  unsigned char addr[16];
  const char *slash;
  size_t alen;
  int v6;

  if (len == 0 || len >= sizeof(buf))
    return 0;
  memcpy(buf, s, len);
  buf[len] = '\0';
  slash = strchr(buf, '/');
  alen = slash ? (size_t)(slash - buf) : len;
  buf[alen] = '\0';
  v6 = strchr(buf, ':') != NULL;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, addr) != 1)
    return 0;
  if (slash) {
    const char *p = slash + 1;
    long pre = 0;

    if (!allow_cidr || !*p || strlen(p) > 3)
      return 0;
    for (; *p; p++) {
      if (*p < '0' || *p > '9')
        return 0;
      pre = pre * 10 + (*p - '0');
    }
    if (pre > (v6 ? 128 : 32))
      return 0;
  }
  return 1;
}

static int ishex(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

int cmx__kentik_mac_valid(const char *s, size_t len)
{
  size_t i;
  char sep;

  if (len != 17)
    return 0;
  sep = s[2];
  if (sep != ':' && sep != '-')
    return 0;
  for (i = 0; i < 17; i++) {
    if (i % 3 == 2) {
      if (s[i] != sep)
        return 0;
    } else if (!ishex(s[i])) {
      return 0;
    }
  }
  return 1;
}

int cmx_kentik_dimension_valid(const char *name, char *err, size_t errlen)
{
  size_t n, i;

  if (!name) {
    cmx__kentik_err(err, errlen, "dimension: missing");
    return CMX_EINVAL;
  }
  n = strlen(name);
  if (n < 3 || n > 20) {
    cmx__kentik_err(err, errlen,
                    "dimension: must be 3..20 characters, got %zu", n);
    return CMX_EINVAL;
  }
  for (i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_')) {
      cmx__kentik_err(err, errlen,
                      "dimension: only letters, digits and '_' allowed "
                      "(bad character at %zu)",
                      i);
      return CMX_EINVAL;
    }
  }
  if (name[0] != 'c' || name[1] != '_') {
    cmx__kentik_err(err, errlen, "dimension: must start with \"c_\"");
    return CMX_EINVAL;
  }
  return CMX_OK;
}
