/* Logging and small string helpers.  Callers never pass secrets here: the
 * engine logs lane names, methods, codes and statuses, never header values,
 * query strings or bodies. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine-int.h"

char *cmx__strdup(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = malloc(n);

  if (d)
    memcpy(d, s, n);
  return d;
}

char *cmx__vasprintf(const char *fmt, va_list ap)
{
  va_list ap2;
  int n;
  char *s;

  va_copy(ap2, ap);
  n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    return NULL;
  s = malloc((size_t)n + 1);
  if (s)
    vsnprintf(s, (size_t)n + 1, fmt, ap);
  return s;
}

void cmx__log(cmx_engine *e, cmx_log_level lvl, const char *fmt, ...)
{
  char buf[512];
  va_list ap;

  if (!e->opt.log_fn || lvl > e->opt.log_max)
    return;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  e->opt.log_fn(lvl, buf, e->opt.log_ud);
}
