/* Synnefo module: URL building (version suffix, path joining, quoting). */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/synnefo/internal.h"

char *cmx__syn_strdup(const char *s)
{
  size_t n;
  char *d;

  if (!s)
    return NULL;
  n = strlen(s);
  d = malloc(n + 1);
  if (d)
    memcpy(d, s, n + 1);
  return d;
}

char *cmx__syn_printf(const char *fmt, ...)
{
  va_list ap;
  int n;
  char *d;

  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  d = malloc((size_t)n + 1);
  if (!d)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(d, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return d;
}

int cmx__syn_is_digits(const char *s)
{
  if (!s || !*s)
    return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return 0;
  return 1;
}

static int unreserved(unsigned char ch)
{
  return isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

char *cmx__syn_quote(const char *s, const char *keep)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(s), o = 0;
  char *d = malloc(n * 3 + 1);

  if (!d)
    return NULL;
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (unreserved(ch) || (keep && ch && strchr(keep, ch))) {
      d[o++] = (char)ch;
    } else {
      d[o++] = '%';
      d[o++] = hex[ch >> 4];
      d[o++] = hex[ch & 15];
    }
  }
  d[o] = 0;
  return d;
}

static int hexval(int ch)
{
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

char *cmx_synnefo_unquote(const char *s)
{
  size_t o = 0;
  char *d;

  if (!s)
    return NULL;
  d = malloc(strlen(s) + 1);
  if (!d)
    return NULL;
  while (*s) {
    if (s[0] == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
      d[o++] = (char)(hexval(s[1]) * 16 + hexval(s[2]));
      s += 3;
    } else {
      d[o++] = *s++;
    }
  }
  d[o] = 0;
  return d;
}

/* Does `url` end in /v<digits>[.<digits>]? */
static int has_version(const char *url, size_t n)
{
  size_t i = n;

  while (i > 0 && isdigit((unsigned char)url[i - 1]))
    i--;
  if (i == n)
    return 0;
  if (i > 0 && url[i - 1] == '.') {
    size_t j = i - 1;
    i = j;
    while (i > 0 && isdigit((unsigned char)url[i - 1]))
      i--;
    if (i == j)
      return 0;
  }
  return i >= 2 && url[i - 1] == 'v' && url[i - 2] == '/';
}

char *cmx_synnefo_versioned_url(const char *url, const char *default_version)
{
  size_t n;

  if (!url)
    return NULL;
  n = strlen(url);
  while (n > 0 && url[n - 1] == '/')
    n--;
  if (!default_version || has_version(url, n))
    return cmx__syn_printf("%.*s", (int)n, url);
  return cmx__syn_printf("%.*s/v%s", (int)n, url, default_version);
}

char *cmx_synnefo_join_url(const char *base, const char *path)
{
  size_t bn, i, o = 0;
  char *collapsed, *q, *out;

  if (!base || !path)
    return NULL;
  bn = strlen(base);
  while (bn > 0 && base[bn - 1] == '/')
    bn--;
  collapsed = malloc(strlen(path) + 2);
  if (!collapsed)
    return NULL;
  collapsed[o++] = '/';
  for (i = 0; path[i]; i++) {
    if (path[i] == '/' && collapsed[o - 1] == '/')
      continue;
    collapsed[o++] = path[i];
  }
  collapsed[o] = 0;
  q = cmx__syn_quote(collapsed, "/");
  free(collapsed);
  if (!q)
    return NULL;
  out = cmx__syn_printf("%.*s%s", (int)bn, base, q);
  free(q);
  return out;
}
