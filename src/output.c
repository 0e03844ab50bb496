/*
 * callmux tool: output helpers (JSON strings, redaction of secrets, clock).
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

void cli_json_str(FILE *f, const char *s, size_t len)
{
  static const char hex[] = "0123456789abcdef";
  size_t i;

  fputc('"', f);
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"':
      fputs("\\\"", f);
      break;
    case '\\':
      fputs("\\\\", f);
      break;
    case '\n':
      fputs("\\n", f);
      break;
    case '\r':
      fputs("\\r", f);
      break;
    case '\t':
      fputs("\\t", f);
      break;
    default:
      if (c < 0x20 || c == 0x7f) {
        fputs("\\u00", f);
        fputc(hex[c >> 4], f);
        fputc(hex[c & 15], f);
      } else {
        fputc(c, f);
      }
    }
  }
  fputc('"', f);
}

/* The first secret value found at s[0..len), or NULL; its length in *n. */
static const char *secret_at(const cli_headers *h, const char *s, size_t len,
                             size_t *n)
{
  size_t i;
  if (!h) {
    return NULL;
  }
  for (i = 0; i < h->n; i++) {
    size_t vl;
    if (!h->v[i].secret) {
      continue;
    }
    vl = strlen(h->v[i].value);
    if (vl > 0 && vl <= len && memcmp(s, h->v[i].value, vl) == 0) {
      *n = vl;
      return h->v[i].value;
    }
  }
  return NULL;
}

void cli_redact_write(FILE *f, const cli_headers *h, const char *s, size_t len)
{
  size_t i = 0, start = 0;

  while (i < len) {
    size_t n = 0;
    if (secret_at(h, s + i, len - i, &n)) {
      fwrite(s + start, 1, i - start, f);
      fputs("***", f);
      i += n;
      start = i;
    } else {
      i++;
    }
  }
  fwrite(s + start, 1, len - start, f);
}

void cli_redact_printf(FILE *f, const cli_headers *h, const char *fmt, ...)
{
  char small[1024];
  char *buf = small;
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    return;
  }
  if ((size_t)n >= sizeof small) {
    buf = malloc((size_t)n + 1);
    if (!buf) {
      return;
    }
    va_start(ap, fmt);
    vsnprintf(buf, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  cli_redact_write(f, h, buf, (size_t)n);
  if (buf != small) {
    free(buf);
  }
}

char *cli_redact_dup(const cli_headers *h, const char *s)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) {
    return NULL;
  }
  cli_redact_write(f, h, s, strlen(s));
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

uint64_t cli_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
