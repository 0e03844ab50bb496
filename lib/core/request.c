/* Building requests: method, URL, query encoding, headers, bodies. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "core/engine-int.h"

static const char *const known_methods[] = {
    "GET",   "HEAD",    "POST", "PUT",  "DELETE",
    "PATCH", "OPTIONS", "COPY", "MOVE", NULL};

static int is_tchar(int ch)
{
  return isalnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static int is_token(const char *s)
{
  if (!s || !*s)
    return 0;
  for (; *s; s++)
    if (!is_tchar((unsigned char)*s))
      return 0;
  return 1;
}

cmx_request *cmx_request_new(const char *method, const char *url)
{
  cmx_call *c;
  size_t i;

  if (!method || !is_token(method) || !url)
    return NULL;
  if (strncasecmp(url, "http://", 7) != 0 &&
      strncasecmp(url, "https://", 8) != 0)
    return NULL;
  if (strpbrk(url, " \r\n\t"))
    return NULL;
  c = calloc(1, sizeof(*c));
  if (!c)
    return NULL;
  c->url = cmx__strdup(url);
  if (!c->url) {
    free(c);
    return NULL;
  }
  cmx__tnode_init(&c->deadline, CMX__T_DEADLINE);
  for (i = 0; known_methods[i]; i++)
    if (strcmp(known_methods[i], method) == 0)
      break;
  if (!known_methods[i]) {
    if (!(c->method = cmx__strdup(method))) {
      free(c->url);
      free(c);
      return NULL;
    }
    c->flags |= CMX__F_OWN_METHOD;
  } else if (i != 0) {
    c->method = (char *)known_methods[i];
  }
  return (cmx_request *)c;
}

static void release_body(cmx_call *c)
{
  if (c->body_kind == CMX__B_MEM && c->body.mem.free_fn)
    c->body.mem.free_fn((void *)c->body.mem.data);
  c->body_kind = CMX__B_NONE;
}

void cmx__call_free(cmx_call *c)
{
  if (!c)
    return;
  release_body(c);
  if (c->flags & CMX__F_OWN_METHOD)
    free(c->method);
  if (c->state == CMX__S_NEW)
    free(c->l.lane_name);
  free(c->url);
  free(c->hdrs);
  free(c->early_detail);
  cmx__xfer_free(c->xfer);
  free(c);
}

void cmx_request_free(cmx_request *req)
{
  cmx__call_free((cmx_call *)req);
}

/* ---- query ------------------------------------------------------------- */

static size_t pct_encode(char *out, const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  size_t n = 0;

  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out[n++] = (char)ch;
    } else {
      out[n++] = '%';
      out[n++] = hex[ch >> 4];
      out[n++] = hex[ch & 15];
    }
  }
  return n;
}

int cmx_request_add_query(cmx_request *req, const char *key, const char *value)
{
  cmx_call *c = (cmx_call *)req;
  size_t ulen, klen, vlen, n;
  char *u, *frag;

  if (!c || !key || !*key || !value)
    return CMX_EINVAL;
  ulen = strlen(c->url);
  klen = strlen(key);
  vlen = strlen(value);
  u = malloc(ulen + 2 + 3 * (klen + vlen) + 1);
  if (!u)
    return CMX_ENOMEM;
  /* A fragment never goes on the wire; drop it. */
  frag = strchr(c->url, '#');
  if (frag)
    ulen = (size_t)(frag - c->url);
  memcpy(u, c->url, ulen);
  n = ulen;
  u[n++] = memchr(c->url, '?', ulen) ? '&' : '?';
  n += pct_encode(u + n, key);
  u[n++] = '=';
  n += pct_encode(u + n, value);
  u[n] = '\0';
  free(c->url);
  c->url = u;
  return CMX_OK;
}

/* ---- headers ----------------------------------------------------------- */

static int add_header(cmx_call *c, const char *name, const char *value,
                      char kind)
{
  size_t nl, vl, need;
  char *h;

  if (!c || !is_token(name) || !value || strpbrk(value, "\r\n"))
    return CMX_EINVAL;
  nl = strlen(name);
  vl = strlen(value);
  need = 1 + nl + 2 + vl + 1;
  h = realloc(c->hdrs, c->hdrs_len + need);
  if (!h)
    return CMX_ENOMEM;
  c->hdrs = h;
  h += c->hdrs_len;
  *h++ = kind;
  memcpy(h, name, nl);
  h += nl;
  *h++ = ':';
  *h++ = ' ';
  memcpy(h, value, vl);
  h[vl] = '\0';
  c->hdrs_len += (uint32_t)need;
  if (strcasecmp(name, "User-Agent") == 0)
    c->flags |= CMX__F_CUSTOM_UA;
  return CMX_OK;
}

int cmx_request_add_header(cmx_request *req, const char *name,
                           const char *value)
{
  return add_header((cmx_call *)req, name, value, CMX__HDR_PLAIN);
}

int cmx_request_add_secret_header(cmx_request *req, const char *name,
                                  const char *value)
{
  return add_header((cmx_call *)req, name, value, CMX__HDR_SECRET);
}

void cmx__call_drop_secrets(cmx_call *c)
{
  char *r = c->hdrs, *w = c->hdrs, *end = c->hdrs + c->hdrs_len;

  while (r && r < end) {
    size_t len = strlen(r) + 1;
    if (*r != CMX__HDR_SECRET) {
      memmove(w, r, len);
      w += len;
    }
    r += len;
  }
  c->hdrs_len = (uint32_t)(w - c->hdrs);
}

/* ---- bodies ------------------------------------------------------------ */

static int set_ctype(cmx_call *c, const char *ct)
{
  return ct ? add_header(c, "Content-Type", ct, CMX__HDR_PLAIN) : CMX_OK;
}

int cmx_request_set_body_borrowed(cmx_request *req, const void *data,
                                  size_t len, void (*free_fn)(void *),
                                  const char *ct)
{
  cmx_call *c = (cmx_call *)req;
  int rc;

  if (!c || (!data && len))
    return CMX_EINVAL;
  if ((rc = set_ctype(c, ct)) != CMX_OK)
    return rc;
  release_body(c);
  c->body_kind = CMX__B_MEM;
  c->body.mem.data = data ? data : "";
  c->body.mem.len = len;
  c->body.mem.free_fn = free_fn;
  return CMX_OK;
}

int cmx_request_set_body(cmx_request *req, const void *data, size_t len,
                         const char *ct)
{
  char *copy;
  int rc;

  if (!req || (!data && len))
    return CMX_EINVAL;
  copy = malloc(len + 1);
  if (!copy)
    return CMX_ENOMEM;
  if (len)
    memcpy(copy, data, len);
  copy[len] = '\0';
  rc = cmx_request_set_body_borrowed(req, copy, len, free, ct);
  if (rc != CMX_OK)
    free(copy);
  return rc;
}

int cmx_request_set_body_json(cmx_request *req, struct json_object *obj)
{
  size_t len;
  const char *s;

  if (!req || !obj)
    return CMX_EINVAL;
  s = json_object_to_json_string_length(
      obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
  if (!s)
    return CMX_ENOMEM;
  return cmx_request_set_body(req, s, len, "application/json");
}

int cmx_request_set_body_file(cmx_request *req, int fd, off_t offset,
                              uint64_t length, const char *ct)
{
  cmx_call *c = (cmx_call *)req;
  int rc;

  if (!c || fd < 0 || offset < 0)
    return CMX_EINVAL;
  if ((rc = set_ctype(c, ct)) != CMX_OK)
    return rc;
  release_body(c);
  c->body_kind = CMX__B_FILE;
  c->body.file.fd = fd;
  c->body.file.off = offset;
  c->body.file.len = length;
  return CMX_OK;
}

int cmx_request_set_body_cb(cmx_request *req, int64_t length,
                            cmx_body_read_fn fn, void *ud, const char *ct)
{
  cmx_call *c = (cmx_call *)req;
  int rc;

  if (!c || !fn || length < -1)
    return CMX_EINVAL;
  if ((rc = set_ctype(c, ct)) != CMX_OK)
    return rc;
  release_body(c);
  c->body_kind = CMX__B_CB;
  c->body.cb.fn = fn;
  c->body.cb.ud = ud;
  c->body.cb.len = length;
  return CMX_OK;
}

/* ---- response sinks ------------------------------------------------------
 */

int cmx_request_set_response_cap(cmx_request *req, size_t cap)
{
  cmx_call *c = (cmx_call *)req;

  if (!c || cap == 0)
    return CMX_EINVAL;
  c->sink_kind = CMX__K_MEM;
  c->sink.cap = cap;
  return CMX_OK;
}

int cmx_request_set_response_file(cmx_request *req, int fd, off_t offset)
{
  cmx_call *c = (cmx_call *)req;

  if (!c || fd < 0 || offset < 0)
    return CMX_EINVAL;
  c->sink_kind = CMX__K_FILE;
  c->sink.file.fd = fd;
  c->sink.file.off = offset;
  return CMX_OK;
}

int cmx_request_set_response_cb(cmx_request *req, cmx_body_write_fn fn,
                                void *ud)
{
  cmx_call *c = (cmx_call *)req;

  if (!c || !fn)
    return CMX_EINVAL;
  c->sink_kind = CMX__K_CB;
  c->sink.cb.fn = fn;
  c->sink.cb.ud = ud;
  return CMX_OK;
}

/* ---- options -------------------------------------------------------------
 */

static int set_flag(cmx_request *req, uint16_t flag, int on)
{
  cmx_call *c = (cmx_call *)req;

  if (!c)
    return CMX_EINVAL;
  if (on)
    c->flags |= flag;
  else
    c->flags &= (uint16_t)~flag;
  return CMX_OK;
}

int cmx_request_expect_json(cmx_request *req)
{
  return set_flag(req, CMX__F_EXPECT_JSON, 1);
}

int cmx_request_set_interactive(cmx_request *req, int on)
{
  return set_flag(req, CMX__F_INTERACTIVE, on);
}

int cmx_request_set_retry_safe(cmx_request *req, int on)
{
  return set_flag(req, CMX__F_RETRY_SAFE, on);
}

int cmx_request_set_no_retry(cmx_request *req, int on)
{
  return set_flag(req, CMX__F_NO_RETRY, on);
}

int cmx_request_set_timeout_ms(cmx_request *req, uint64_t ms)
{
  cmx_call *c = (cmx_call *)req;

  if (!c || ms > UINT32_MAX)
    return CMX_EINVAL;
  c->timeout_ms = (uint32_t)ms;
  return CMX_OK;
}

int cmx_request_set_deadline_ms(cmx_request *req, uint64_t ms)
{
  cmx_call *c = (cmx_call *)req;

  if (!c)
    return CMX_EINVAL;
  /* Stored relative until submit. */
  c->deadline.when = ms;
  return CMX_OK;
}

int cmx_request_set_lane(cmx_request *req, const char *lane)
{
  cmx_call *c = (cmx_call *)req;
  char *d = NULL;

  if (!c || (lane && !*lane))
    return CMX_EINVAL;
  if (lane && !(d = cmx__strdup(lane)))
    return CMX_ENOMEM;
  free(c->l.lane_name);
  c->l.lane_name = d;
  return CMX_OK;
}

int cmx_request_set_follow(cmx_request *req, unsigned max)
{
  cmx_call *c = (cmx_call *)req;

  if (!c || max > 50)
    return CMX_EINVAL;
  c->follow_max = (uint8_t)max;
  return CMX_OK;
}

int cmx_request_set_error_parser(cmx_request *req, cmx_error_parser fn)
{
  cmx_call *c = (cmx_call *)req;

  if (!c)
    return CMX_EINVAL;
  c->parser = fn;
  return CMX_OK;
}
