/*
 * PagerDuty, sans-I/O: URL normalisation, query parameters, error body
 * parsing, lane names, client-made dedup keys.
 */
#include "config.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "services/pagerduty/pd-int.h"

void cmx__pd_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
  va_list ap;

  if (!errbuf || errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(errbuf, errlen, fmt, ap);
  va_end(ap);
}

int cmx__pd_method_ok(const char *m)
{
  return m && (strcmp(m, "GET") == 0 || strcmp(m, "POST") == 0 ||
               strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0);
}

int cmx__pd_full_url(const char *base, const char *url, char **full,
                     char **path_out, char *errbuf, size_t errlen)
{
  size_t bl;
  const char *rel;
  char *f, *p, *q;

  *full = NULL;
  if (path_out)
    *path_out = NULL;
  if (!base || !url) {
    cmx__pd_err(errbuf, errlen, "url: missing");
    return CMX_EINVAL;
  }
  bl = strlen(base);
  while (bl > 0 && base[bl - 1] == '/')
    bl--;
  if (strncmp(url, base, bl) == 0 &&
      (url[bl] == '/' || url[bl] == '\0' || url[bl] == '?')) {
    rel = url + bl;
  } else if (strstr(url, "://")) {
    cmx__pd_err(errbuf, errlen,
                "url: must be a path or a URL under the base URL (another "
                "host is refused)");
    return CMX_EINVAL;
  } else {
    rel = url;
  }
  while (*rel == '/')
    rel++;
  if (strchr(rel, '\r') || strchr(rel, '\n') || strchr(rel, ' ')) {
    cmx__pd_err(errbuf, errlen, "url: must not contain spaces or CR/LF");
    return CMX_EINVAL;
  }
  f = malloc(bl + strlen(rel) + 2);
  if (!f)
    return CMX_ENOMEM;
  memcpy(f, base, bl);
  f[bl] = '/';
  strcpy(f + bl + 1, rel);
  if (path_out) {
    p = malloc(strlen(rel) + 2);
    if (!p) {
      free(f);
      return CMX_ENOMEM;
    }
    p[0] = '/';
    strcpy(p + 1, rel);
    q = strchr(p, '?');
    if (q)
      *q = '\0';
    q = strchr(p, '#');
    if (q)
      *q = '\0';
    *path_out = p;
  }
  *full = f;
  return CMX_OK;
}

/* Text of a scalar for a query value. */
static int scalar_text(struct json_object *v, char *buf, size_t n,
                       const char **out)
{
  switch (json_object_get_type(v)) {
  case json_type_string:
    *out = json_object_get_string(v);
    return 0;
  case json_type_int:
    snprintf(buf, n, "%lld", (long long)json_object_get_int64(v));
    *out = buf;
    return 0;
  case json_type_double:
    snprintf(buf, n, "%.17g", json_object_get_double(v));
    *out = buf;
    return 0;
  case json_type_boolean:
    *out = json_object_get_boolean(v) ? "true" : "false";
    return 0;
  default:
    return -1;
  }
}

int cmx__pd_add_params(cmx_request *req, struct json_object *params,
                       char *errbuf, size_t errlen)
{
  char num[64];
  const char *txt;

  if (!params)
    return CMX_OK;
  if (!json_object_is_type(params, json_type_object)) {
    cmx__pd_err(errbuf, errlen, "params: must be a JSON object");
    return CMX_EINVAL;
  }
  json_object_object_foreach(params, key, val)
  {
    if (json_object_is_type(val, json_type_null))
      continue;
    if (json_object_is_type(val, json_type_array)) {
      size_t i, n = json_object_array_length(val), kl = strlen(key);
      char *k = malloc(kl + 3);

      if (!k)
        return CMX_ENOMEM;
      strcpy(k, key);
      if (kl < 2 || strcmp(key + kl - 2, "[]") != 0)
        strcat(k, "[]");
      for (i = 0; i < n; i++) {
        if (scalar_text(json_object_array_get_idx(val, i), num, sizeof(num),
                        &txt) != 0) {
          cmx__pd_err(errbuf, errlen,
                      "params.%s: list items must be strings, numbers or "
                      "booleans",
                      key);
          free(k);
          return CMX_EINVAL;
        }
        if (cmx_request_add_query(req, k, txt) != CMX_OK) {
          free(k);
          return CMX_ENOMEM;
        }
      }
      free(k);
      continue;
    }
    if (scalar_text(val, num, sizeof(num), &txt) != 0) {
      cmx__pd_err(errbuf, errlen,
                  "params.%s: must be a string, number, boolean or list", key);
      return CMX_EINVAL;
    }
    if (cmx_request_add_query(req, key, txt) != CMX_OK)
      return CMX_ENOMEM;
  }
  return CMX_OK;
}

/* The details array must live as long as the response: its storage is
 * response-owned memory from cmx_response_strdup (malloc'd, so aligned). */
static void fill_details(const cmx_response *res, struct json_object *errors,
                         cmx_service_error *out)
{
  size_t i, n;
  char *blank, **arr;
  int single = json_object_is_type(errors, json_type_string);

  if (!errors || (!single && !json_object_is_type(errors, json_type_array)))
    return;
  n = single ? 1 : json_object_array_length(errors);
  if (n == 0)
    return;
  blank = malloc(n * sizeof(char *) + 1);
  if (!blank)
    return;
  memset(blank, 'x', n * sizeof(char *));
  blank[n * sizeof(char *)] = '\0';
  arr = (char **)(void *)cmx_response_strdup(res, blank);
  free(blank);
  if (!arr)
    return;
  for (i = 0; i < n; i++) {
    struct json_object *e =
        single ? errors : json_object_array_get_idx(errors, i);
    const char *s = json_object_is_type(e, json_type_string)
                        ? json_object_get_string(e)
                        : json_object_to_json_string(e);
    arr[i] = (char *)cmx_response_strdup(res, s ? s : "");
    if (!arr[i]) {
      n = i;
      break;
    }
  }
  out->details = (const char *const *)arr;
  out->ndetails = n;
}

void cmx__pd_rest_error_parser(const cmx_response *res, cmx_service_error *out)
{
  struct json_object *body = cmx_response_json(res), *err, *v;
  char num[32];

  out->status = cmx_response_status(res);
  if (!body || !json_object_object_get_ex(body, "error", &err)) {
    out->message = cmx_response_strdup(res, "");
    return;
  }
  if (json_object_is_type(err, json_type_string)) {
    out->message = cmx_response_strdup(res, json_object_get_string(err));
    return;
  }
  if (json_object_object_get_ex(err, "message", &v) && v)
    out->message = cmx_response_strdup(res, json_object_get_string(v));
  else
    out->message = cmx_response_strdup(res, "");
  if (json_object_object_get_ex(err, "code", &v) && v) {
    snprintf(num, sizeof(num), "%lld", (long long)json_object_get_int64(v));
    out->kind = cmx_response_strdup(res, num);
  }
  if (json_object_object_get_ex(err, "errors", &v))
    fill_details(res, v, out);
}

void cmx__pd_events_error_parser(const cmx_response *res,
                                 cmx_service_error *out)
{
  struct json_object *body = cmx_response_json(res), *v;

  out->status = cmx_response_status(res);
  if (!body || !json_object_is_type(body, json_type_object)) {
    out->message = cmx_response_strdup(res, "");
    return;
  }
  if (json_object_object_get_ex(body, "status", &v) && v)
    out->kind = cmx_response_strdup(res, json_object_get_string(v));
  if (json_object_object_get_ex(body, "message", &v) && v)
    out->message = cmx_response_strdup(res, json_object_get_string(v));
  else
    out->message = cmx_response_strdup(res, "");
  if (json_object_object_get_ex(body, "errors", &v))
    fill_details(res, v, out);
}

void cmx__pd_lane_name(const char *prefix, const char *key, char *out,
                       size_t n)
{
  uint64_t h = 1469598103934665603ULL;
  const unsigned char *p;

  for (p = (const unsigned char *)key; *p; p++) {
    h ^= *p;
    h *= 1099511628211ULL;
  }
  snprintf(out, n, "%s:%016llx", prefix, (unsigned long long)h);
}

void cmx__pd_uuid(char out[37])
{
  static uint64_t state;
  unsigned char b[16];
  size_t i;
  int fd;

  fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t)sizeof(b)) {
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    state += (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
             (uint64_t)getpid() ^ 0x9e3779b97f4a7c15ULL;
    for (i = 0; i < sizeof(b); i++) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      b[i] = (unsigned char)(state >> 56);
    }
  }
  if (fd >= 0)
    close(fd);
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  snprintf(
      out, 37,
      "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
      b[12], b[13], b[14], b[15]);
}

char *cmx__pd_json_text(struct json_object *v)
{
  if (!v || json_object_is_type(v, json_type_null))
    return strdup("");
  if (json_object_is_type(v, json_type_string))
    return strdup(json_object_get_string(v));
  return strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
}
