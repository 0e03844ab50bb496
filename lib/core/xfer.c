/*
 * One attempt of a call on a libcurl easy handle: options, request bodies
 * (memory, file range, callback), response sinks (memory with a cap, file
 * at an offset, callback) and response headers.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/engine-int.h"

/* ---- request body ------------------------------------------------------ */

static size_t read_body(char *buf, size_t size, size_t nitems, void *arg)
{
  cmx_call *c = arg;
  cmx__xfer *x = c->xfer;
  size_t cap = size * nitems;
  uint64_t left;
  ssize_t n;
  long got;

  switch (c->body_kind) {
  case CMX__B_MEM:
    left = c->body.mem.len - x->body_pos;
    if (cap > left)
      cap = (size_t)left;
    memcpy(buf, c->body.mem.data + x->body_pos, cap);
    x->body_pos += cap;
    return cap;
  case CMX__B_FILE:
    left = c->body.file.len - x->body_pos;
    if (cap > left)
      cap = (size_t)left;
    if (cap == 0)
      return 0;
    do
      n = pread(c->body.file.fd, buf, cap,
                c->body.file.off + (off_t)x->body_pos);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
      /* A file shorter than its declared range is a local error. */
      x->sink_err = n < 0 ? errno : EIO;
      return CURL_READFUNC_ABORT;
    }
    x->body_pos += (uint64_t)n;
    return (size_t)n;
  case CMX__B_CB:
    got = c->body.cb.fn(buf, cap, x->body_pos, c->body.cb.ud);
    if (got < 0 || (size_t)got > cap) {
      x->sink_err = EIO;
      return CURL_READFUNC_ABORT;
    }
    x->body_pos += (uint64_t)got;
    return (size_t)got;
  default:
    return 0;
  }
}

static int seek_body(void *arg, curl_off_t offset, int origin)
{
  cmx_call *c = arg;

  if (origin != SEEK_SET || offset < 0)
    return CURL_SEEKFUNC_CANTSEEK;
  c->xfer->body_pos = (uint64_t)offset;
  return CURL_SEEKFUNC_OK;
}

/* ---- response headers and body ----------------------------------------- */

static size_t on_header(char *line, size_t size, size_t nitems, void *arg)
{
  cmx_call *c = arg;
  cmx__xfer *x = c->xfer;
  size_t n = size * nitems;

  if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
    /* A new header block (after 100 Continue, or a new attempt). */
    x->res.headers.len = 0;
    return n;
  }
  if (cmx__response_add_header(&x->res, line, n) != 0)
    return 0;
  return n;
}

static int decide_sink(cmx_call *c)
{
  cmx__xfer *x = c->xfer;
  long st = 0;

  if (x->to_sink >= 0)
    return x->to_sink;
  curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &st);
  x->to_sink = (c->sink_kind != CMX__K_MEM && st >= 200 && st < 300);
  return x->to_sink;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
  cmx_call *c = arg;
  cmx__xfer *x = c->xfer;
  size_t n = size * nmemb;

  if (decide_sink(c)) {
    if (c->sink_kind == CMX__K_FILE) {
      size_t done = 0;
      while (done < n) {
        ssize_t w =
            pwrite(c->sink.file.fd, data + done, n - done,
                   c->sink.file.off + (off_t)(x->res.sink_bytes + done));
        if (w < 0 && errno == EINTR)
          continue;
        if (w <= 0) {
          x->sink_err = w < 0 ? errno : EIO;
          return 0;
        }
        done += (size_t)w;
      }
    } else if (c->sink.cb.fn(data, n, x->res.sink_bytes, c->sink.cb.ud) != 0) {
      x->sink_err = EIO;
      return 0;
    }
    x->res.sink_bytes += n;
    return n;
  }
  {
    size_t cap = c->sink_kind == CMX__K_MEM && c->sink.cap
                     ? c->sink.cap
                     : CMX__DEFAULT_RESPONSE_CAP;
    if (x->res.body.len + n > cap) {
      x->too_big = 1;
      return 0;
    }
  }
  if (cmx__buf_add(&x->res.body, data, n) != 0)
    return 0;
  x->res.sink_bytes += n;
  return n;
}

/* ---- the attempt ------------------------------------------------------- */

static int build_headers(cmx_call *c)
{
  cmx__xfer *x = c->xfer;
  const char *p = c->hdrs, *end = c->hdrs + c->hdrs_len;
  struct curl_slist *l = NULL, *t;

  /* No "Expect: 100-continue" round trip before bodies. */
  if (c->body_kind != CMX__B_NONE && !(l = curl_slist_append(NULL, "Expect:")))
    return -1;
  while (p && p < end) {
    size_t len = strlen(p);
    t = curl_slist_append(l, p + 1);
    if (!t) {
      curl_slist_free_all(l);
      return -1;
    }
    l = t;
    p += len + 1;
  }
  x->slist = l;
  return 0;
}

#if LIBCURL_VERSION_NUM >= 0x075000
/*
 * libcurl sends a request again, on a new connection, when the reused
 * connection it first went out on died before any response byte came back.
 * The server may have received and applied the first one, so that second
 * send is a retry like any other: it goes only for a call that may be
 * retried, and it is paid for from the lane's retry budget.  Otherwise it
 * is stopped here and the attempt fails with CMX_ETRANSPORT.
 */
static int on_prereq(void *ud, char *primary_ip, char *local_ip,
                     int primary_port, int local_port)
{
  cmx_call *c = ud;
  cmx__xfer *x = c->xfer;
  cmx_lane *l = c->l.lane;

  (void)primary_ip;
  (void)local_ip;
  (void)primary_port;
  (void)local_port;
  if (x->sends++ == 0)
    return CURL_PREREQFUNC_OK;
  if ((c->flags & CMX__F_NO_RETRY) ||
      !(cmx__method_idempotent(c->method) || (c->flags & CMX__F_RETRY_SAFE)) ||
      !cmx__budget_withdraw(&l->budget)) {
    x->resend_refused = 1;
    return CURL_PREREQFUNC_ABORT;
  }
  l->n_retries++;
  return CURL_PREREQFUNC_OK;
}
#endif

static uint64_t attempt_timeout(cmx_call *c, uint64_t now)
{
  uint64_t t = c->timeout_ms;

  if (cmx__tnode_queued(&c->deadline)) {
    uint64_t left = c->deadline.when > now ? c->deadline.when - now : 1;
    if (t == 0 || left < t)
      t = left;
  }
  return t;
}

int cmx__xfer_start(cmx_call *c)
{
  cmx_engine *e = c->engine;
  cmx__xfer *x = c->xfer;
  CURL *h;
  const char *m = c->method ? c->method : "GET";
  int has_body = c->body_kind != CMX__B_NONE;
  curl_off_t blen = 0;
  uint64_t tmo;
  int fresh = 0;

  cmx__response_reset(&x->res);
  x->body_pos = 0;
  x->too_big = 0;
  x->sink_err = 0;
  x->to_sink = -1;
  x->errbuf[0] = '\0';
  x->sends = 0;
  x->resend_refused = 0;
  if (!x->easy && !(x->easy = cmx__easy_get(e, &fresh)))
    return CMX_ENOMEM;
  h = x->easy;
  curl_slist_free_all(x->slist);
  x->slist = NULL;
  if (build_headers(c) != 0)
    return CMX_ENOMEM;

  /* Options that never change go on a new handle once; pooled handles
   * keep them, and everything below is set for every attempt. */
  if (fresh) {
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_body);
#if LIBCURL_VERSION_NUM >= 0x075000
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
#endif
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (e->opt.ca_file)
      curl_easy_setopt(h, CURLOPT_CAINFO, e->opt.ca_file);
  }
  curl_easy_setopt(h, CURLOPT_URL, c->url);
  curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)c);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(h, CURLOPT_READDATA, c);
  curl_easy_setopt(h, CURLOPT_SEEKDATA, c);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->slist);
#if LIBCURL_VERSION_NUM >= 0x075000
  curl_easy_setopt(h, CURLOPT_PREREQDATA, c);
#endif
  /* Over TLS an h2 connection may be coming: wait for it rather than open
   * another (plain http stays HTTP/1.1, one call per connection). */
  curl_easy_setopt(h, CURLOPT_PIPEWAIT,
                   strncasecmp(c->url, "https:", 6) == 0 ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_USERAGENT,
                   (c->flags & CMX__F_CUSTOM_UA) ? NULL
                   : e->opt.user_agent           ? e->opt.user_agent
                                                 : "callmux/" CMX_VERSION);
  tmo = attempt_timeout(c, cmx__now(e));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)tmo);
  /* Back to a plain GET before this call's method is set. */
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)-1);
  curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 0L);
  curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);

  if (has_body) {
    switch (c->body_kind) {
    case CMX__B_MEM:
      blen = (curl_off_t)c->body.mem.len;
      break;
    case CMX__B_FILE:
      blen = (curl_off_t)c->body.file.len;
      break;
    default:
      blen = (curl_off_t)c->body.cb.len; /* -1: chunked */
      break;
    }
  }
  if (strcmp(m, "GET") == 0 && !has_body) {
    /* already a GET */
  } else if (strcmp(m, "HEAD") == 0) {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (!has_body && strcmp(m, "PUT") != 0 && strcmp(m, "PATCH") != 0 &&
             strcmp(m, "POST") != 0) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
  } else if (strcmp(m, "POST") == 0 || !has_body) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    if (!has_body) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    } else if (c->body_kind == CMX__B_MEM) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, blen);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body.mem.data);
    } else {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, blen);
    }
    if (strcmp(m, "POST") != 0)
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
  } else {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, blen);
    if (strcmp(m, "PUT") != 0)
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
  }
  if (curl_multi_add_handle(e->multi, h) != CURLM_OK)
    return CMX_EINTERNAL;
  x->in_multi = 1;
  return CMX_OK;
}

void cmx__xfer_stop(cmx_call *c)
{
  cmx__xfer *x = c->xfer;

  if (x && x->in_multi) {
    curl_multi_remove_handle(c->engine->multi, x->easy);
    x->in_multi = 0;
  }
}

void cmx__xfer_release_easy(cmx_call *c)
{
  cmx__xfer *x = c->xfer;

  if (!x)
    return;
  cmx__xfer_stop(c);
  if (x->easy) {
    cmx__easy_put(c->engine, x->easy);
    x->easy = NULL;
  }
  curl_slist_free_all(x->slist);
  x->slist = NULL;
}

void cmx__xfer_free(cmx__xfer *x)
{
  if (!x)
    return;
  cmx__response_clear(&x->res);
  curl_slist_free_all(x->slist);
  free(x);
}
