/* Responses: status, headers, body, lazily parsed JSON, service errors. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "core/engine-int.h"

int cmx__buf_add(cmx__buf *b, const void *p, size_t n)
{
  if (b->len + n + 1 > b->cap) {
    size_t ncap = b->cap ? b->cap : 256;
    char *d;
    while (ncap < b->len + n + 1)
      ncap *= 2;
    d = realloc(b->data, ncap);
    if (!d)
      return -1;
    b->data = d;
    b->cap = ncap;
  }
  if (n)
    memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

void cmx__buf_free(cmx__buf *b)
{
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

static void drop_derived(cmx_response *r)
{
  size_t i;

  if (r->json)
    json_object_put(r->json);
  r->json = NULL;
  r->json_done = 0;
  for (i = 0; i < r->nstrs; i++)
    free(r->strs[i]);
  free(r->strs);
  r->strs = NULL;
  r->nstrs = 0;
  memset(&r->se, 0, sizeof(r->se));
  r->se_set = 0;
}

/* Ready for a new attempt: buffers kept, contents dropped. */
void cmx__response_reset(cmx_response *r)
{
  drop_derived(r);
  r->body.len = 0;
  if (r->body.data)
    r->body.data[0] = '\0';
  r->headers.len = 0;
  r->sink_bytes = 0;
  r->status = 0;
  r->code = CMX_OK;
  free(r->detail);
  r->detail = NULL;
}

void cmx__response_clear(cmx_response *r)
{
  drop_derived(r);
  cmx__buf_free(&r->body);
  cmx__buf_free(&r->headers);
  free(r->detail);
  r->detail = NULL;
}

/* Stores "Name: value\r\n" as "name\0value\0" (name lower-cased). */
int cmx__response_add_header(cmx_response *r, const char *line, size_t n)
{
  const char *colon = memchr(line, ':', n);
  size_t nl, i;
  const char *v, *end = line + n;
  size_t start;

  if (!colon || colon == line)
    return 0; /* blank line ending the block, or junk: ignore */
  nl = (size_t)(colon - line);
  v = colon + 1;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' ||
                     end[-1] == '\t'))
    end--;
  start = r->headers.len;
  if (cmx__buf_add(&r->headers, line, nl) != 0 ||
      cmx__buf_add(&r->headers, "", 1) != 0 ||
      cmx__buf_add(&r->headers, v, (size_t)(end - v)) != 0 ||
      cmx__buf_add(&r->headers, "", 1) != 0)
    return -1;
  for (i = 0; i < nl; i++)
    r->headers.data[start + i] =
        (char)tolower((unsigned char)r->headers.data[start + i]);
  return 0;
}

int cmx_response_code(const cmx_response *r)
{
  return r ? r->code : CMX_EINVAL;
}

long cmx_response_status(const cmx_response *r)
{
  return r ? r->status : 0;
}

const char *cmx_response_header(const cmx_response *r, const char *name)
{
  const char *p, *end, *found = NULL;

  if (!r || !name || !r->headers.data)
    return NULL;
  p = r->headers.data;
  end = p + r->headers.len;
  while (p < end) {
    const char *v = p + strlen(p) + 1;
    if (strcasecmp(p, name) == 0)
      found = v;
    p = v + strlen(v) + 1;
  }
  return found;
}

const char *cmx_response_body(const cmx_response *r, size_t *len)
{
  if (len)
    *len = r && r->body.data ? r->body.len : 0;
  return r && r->body.data ? r->body.data : "";
}

struct json_object *cmx_response_json(const cmx_response *cr)
{
  cmx_response *r = (cmx_response *)cr;
  struct json_tokener *tok;
  struct json_object *j;

  if (!r)
    return NULL;
  if (r->json_done)
    return r->json;
  r->json_done = 1;
  if (!r->body.len)
    return NULL;
  tok = json_tokener_new();
  if (!tok)
    return NULL;
  j = json_tokener_parse_ex(tok, r->body.data, (int)r->body.len);
  if (j && json_tokener_get_error(tok) == json_tokener_success) {
    /* Only whitespace may follow the value. */
    size_t end;
    for (end = json_tokener_get_parse_end(tok); end < r->body.len; end++)
      if (!isspace((unsigned char)r->body.data[end]))
        break;
    if (end < r->body.len) {
      json_object_put(j);
      j = NULL;
    }
  } else if (j) {
    json_object_put(j);
    j = NULL;
  }
  json_tokener_free(tok);
  r->json = j;
  return j;
}

const char *cmx_response_detail(const cmx_response *r)
{
  return r && r->detail ? r->detail : "";
}

unsigned cmx_response_attempts(const cmx_response *r)
{
  return r && r->call ? r->call->attempts : 0;
}

const cmx_service_error *cmx_response_service_error(const cmx_response *r)
{
  return r && r->se_set ? &r->se : NULL;
}

const char *cmx_response_url(const cmx_response *r)
{
  return r && r->call ? r->call->url : "";
}

const char *cmx_response_method(const cmx_response *r)
{
  return r && r->call && r->call->method ? r->call->method : "GET";
}

uint64_t cmx_response_body_bytes(const cmx_response *r)
{
  return r ? r->sink_bytes : 0;
}

uint64_t cmx_response_elapsed_ms(const cmx_response *r)
{
  return r ? r->elapsed_ms : 0;
}

const char *cmx_response_strdup(const cmx_response *cr, const char *s)
{
  cmx_response *r = (cmx_response *)cr;
  char **n, *d;

  if (!r || !s)
    return NULL;
  d = cmx__strdup(s);
  if (!d)
    return NULL;
  n = realloc(r->strs, (r->nstrs + 1) * sizeof(*n));
  if (!n) {
    free(d);
    return NULL;
  }
  r->strs = n;
  r->strs[r->nstrs++] = d;
  return d;
}

int cmx_response_http_version(const cmx_response *r)
{
  return r ? r->http_version : 0;
}
