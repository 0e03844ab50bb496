/*
 * callmux tool: command-line argument checks with messages that name the
 * flag and the rule.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <callmux/error.h>

#include "cli.h"

int cli_exit_for_code(int code)
{
  switch (code) {
  case CMX_OK:
    return CLI_EXIT_OK;
  case CMX_EHTTP:
  case CMX_EAUTH:
  case CMX_ERATELIMIT:
  case CMX_ENOTFOUND:
  case CMX_EBUSY:
    return CLI_EXIT_SERVICE;
  case CMX_EINVAL:
    return CLI_EXIT_USAGE;
  case CMX_ETIMEDOUT:
  case CMX_ECONNREFUSED:
  case CMX_ERESOLVE:
  case CMX_ETRANSPORT:
  case CMX_ETLS:
  case CMX_ETRUNCATED:
  case CMX_EUNKNOWN:
  case CMX_ECANCELED:
    return CLI_EXIT_TRANSPORT;
  case CMX_EBADJSON:
  case CMX_ETOOBIG:
  case CMX_EPROTO:
    return CLI_EXIT_RESPONSE;
  default:
    return CLI_EXIT_LOCAL;
  }
}

void cli_err(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "callmux %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

/* Print `s` for an error message, shortened and with controls escaped. */
static void quote_arg(const char *s, char *buf, size_t n)
{
  size_t o = 0;
  for (; *s && o + 5 < n; s++) {
    unsigned char c = (unsigned char)*s;
    if (c < 0x20 || c == 0x7f) {
      buf[o++] = '?';
    } else {
      buf[o++] = (char)c;
    }
  }
  if (*s && o + 4 <= n) {
    memcpy(buf + o, "...", 3);
    o += 3;
  }
  buf[o] = '\0';
}

int cli_parse_u64(const char *cmd, const char *flag, const char *s,
                  uint64_t min, uint64_t max, const char *unit, uint64_t *out)
{
  char q[64];
  const char *p = s;
  char *end = NULL;
  unsigned long long v;

  while (*p == ' ') {
    p++;
  }
  if (*p >= '0' && *p <= '9') {
    errno = 0;
    v = strtoull(p, &end, 10);
    if (errno == 0 && end != p && *end == '\0' && v >= min && v <= max) {
      *out = (uint64_t)v;
      return 0;
    }
  }
  quote_arg(s, q, sizeof q);
  cli_err(cmd, "%s: expected a whole number of %s from %llu to %llu, got '%s'",
          flag, unit, (unsigned long long)min, (unsigned long long)max, q);
  return -1;
}

int cli_parse_rate(const char *cmd, const char *flag, const char *s,
                   double max, double *out)
{
  char q[64];
  char *end = NULL;
  double v;

  errno = 0;
  v = strtod(s, &end);
  if (errno == 0 && end != s && *end == '\0' && isfinite(v) && v > 0 &&
      v <= max && (*s >= '0' && *s <= '9')) {
    *out = v;
    return 0;
  }
  quote_arg(s, q, sizeof q);
  cli_err(cmd,
          "%s: expected a number of calls per second above 0 and at "
          "most %.0f, got '%s'",
          flag, max, q);
  return -1;
}

static int is_tchar(unsigned char c)
{
  return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int headers_push(cli_headers *h, const char *name, size_t nlen,
                        const char *value, int secret)
{
  cli_header *e;
  if (h->n == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 8;
    cli_header *v = realloc(h->v, cap * sizeof *v);
    if (!v) {
      return -1;
    }
    h->v = v;
    h->cap = cap;
  }
  e = &h->v[h->n];
  e->name = strndup(name, nlen);
  e->value = strdup(value);
  e->secret = secret;
  if (!e->name || !e->value) {
    free(e->name);
    free(e->value);
    return -1;
  }
  h->n++;
  return 0;
}

/* Check "Name: rest": returns the length of the name and points *rest at
 * the text after the colon and its spaces, or returns 0 after printing. */
static size_t split_header(const char *cmd, const char *flag, const char *text,
                           const char **rest)
{
  const char *colon = strchr(text, ':');
  size_t i, nlen;

  if (!colon || colon == text) {
    cli_err(cmd,
            "%s: expected 'Name: value' (a header name, a colon, "
            "then the value)",
            flag);
    return 0;
  }
  nlen = (size_t)(colon - text);
  for (i = 0; i < nlen; i++) {
    if (!is_tchar((unsigned char)text[i])) {
      cli_err(cmd,
              "%s: the header name must be a token (letters, digits "
              "and !#$%%&'*+-.^_`|~), without spaces",
              flag);
      return 0;
    }
  }
  *rest = colon + 1;
  while (**rest == ' ' || **rest == '\t') {
    (*rest)++;
  }
  return nlen;
}

static int value_ok(const char *cmd, const char *flag, const char *v)
{
  for (; *v; v++) {
    if (*v == '\r' || *v == '\n') {
      cli_err(cmd, "%s: the header value must not contain CR or LF", flag);
      return 0;
    }
  }
  return 1;
}

int cli_headers_add(cli_headers *h, const char *cmd, const char *flag,
                    const char *text, int secret)
{
  const char *value = NULL;
  size_t nlen = split_header(cmd, flag, text, &value);

  if (nlen == 0 || !value_ok(cmd, flag, value)) {
    return -1;
  }
  if (secret && *value == '\0') {
    cli_err(cmd, "%s: the secret value is empty", flag);
    return -1;
  }
  if (headers_push(h, text, nlen, value, secret) != 0) {
    cli_err(cmd, "out of memory");
    return -1;
  }
  return 0;
}

int cli_headers_add_env(cli_headers *h, const char *cmd, const char *flag,
                        const char *text)
{
  const char *var = NULL;
  const char *value;
  size_t nlen = split_header(cmd, flag, text, &var);
  char q[64];

  if (nlen == 0) {
    return -1;
  }
  quote_arg(var, q, sizeof q);
  value = *var ? getenv(var) : NULL;
  if (!value || !*value) {
    cli_err(cmd, "%s: the environment variable '%s' is not set or empty", flag,
            q);
    return -1;
  }
  if (!value_ok(cmd, flag, value)) {
    return -1;
  }
  if (headers_push(h, text, nlen, value, 1) != 0) {
    cli_err(cmd, "out of memory");
    return -1;
  }
  return 0;
}

int cli_headers_has(const cli_headers *h, const char *name)
{
  size_t i;
  for (i = 0; i < h->n; i++) {
    if (strcasecmp(h->v[i].name, name) == 0) {
      return 1;
    }
  }
  return 0;
}

void cli_headers_free(cli_headers *h)
{
  size_t i;
  for (i = 0; i < h->n; i++) {
    if (h->v[i].secret) {
      /* Do not leave the secret in freed memory. */
      volatile char *p = h->v[i].value;
      while (*p) {
        *p++ = '\0';
      }
    }
    free(h->v[i].name);
    free(h->v[i].value);
  }
  free(h->v);
  h->v = NULL;
  h->n = h->cap = 0;
}

int cli_method_ok(const char *s)
{
  size_t n = 0;
  for (; s[n]; n++) {
    if (s[n] < 'A' || s[n] > 'Z') {
      return 0;
    }
  }
  return n > 0 && n <= 15;
}

int cli_url_ok(const char *s)
{
  const char *p;
  if (strncmp(s, "http://", 7) == 0) {
    p = s + 7;
  } else if (strncmp(s, "https://", 8) == 0) {
    p = s + 8;
  } else {
    return 0;
  }
  if (*p == '\0' || *p == '/') {
    return 0; /* no host */
  }
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c <= 0x20 || c == 0x7f) {
      return 0;
    }
  }
  return 1;
}

int cli_lane_ok(const char *s)
{
  size_t n = 0;
  for (; s[n]; n++) {
    unsigned char c = (unsigned char)s[n];
    if (c <= 0x20 || c >= 0x7f) {
      return 0;
    }
  }
  return n > 0 && n <= 200;
}

void cli_scrub_arg(char *arg)
{
  char *colon = arg ? strchr(arg, ':') : NULL;
  if (!colon) {
    return;
  }
  for (colon++; *colon; colon++) {
    if (*colon != ' ') {
      *colon = '*';
    }
  }
}
