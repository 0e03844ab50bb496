/* Synnefo module: Pithos download by hashmap and parallel ranged GETs. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "services/synnefo/internal.h"

#define VERIFY_CHUNK_BLOCKS 4

typedef struct dl_op dl_op;

typedef struct verify_job {
  dl_op *op;
  size_t first, count;
  int truncate;
  int rc;
  size_t bad;
} verify_job;

struct dl_op {
  cmx_synnefo *c;
  char *container, *object;
  int fd, own_fd;
  uint64_t size, bs;
  size_t nblocks;
  char **hashes; /* nblocks strings (owned copies) */
  size_t *first; /* first block index with the same hash */
  size_t *fetch; /* distinct blocks to GET */
  size_t nfetch, next, inflight, fetched;
  int failed_code;
  char err[300];
  char *obj_url;
  uint64_t got_bytes;
  size_t jobs_left;
  int verify_rc;
  size_t bad_block;
  cmx_synnefo_progress_fn progress;
  cmx_synnefo_cb cb;
  void *ud;
};

static void dl_free(dl_op *op)
{
  size_t i;

  if (op->own_fd && op->fd >= 0)
    close(op->fd);
  for (i = 0; op->hashes && i < op->nblocks; i++)
    free(op->hashes[i]);
  free(op->hashes);
  free(op->first);
  free(op->fetch);
  free(op->container);
  free(op->object);
  free(op->obj_url);
  free(op);
}

static void dl_end(dl_op *op, const cmx_synnefo_result *r)
{
  op->cb(op->c, r, op->ud);
  dl_free(op);
}

static void dl_fail(dl_op *op, int code, long status, const char *msg)
{
  cmx_synnefo_result r;
  cmx_service_error se;

  snprintf(op->err, sizeof(op->err), "%s", msg);
  cmx__syn_result_error(&r, &se, code, status, op->err);
  dl_end(op, &r);
}

/* ---- verification (and copies of repeated blocks) on workers -------- */

static int read_full(int fd, unsigned char *buf, size_t want, uint64_t off)
{
  size_t got = 0;

  while (got < want) {
    ssize_t n = pread(fd, buf + got, want - got, (off_t)(off + got));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    got += (size_t)n;
  }
  return 0;
}

static int write_full(int fd, const unsigned char *buf, size_t len,
                      uint64_t off)
{
  size_t put = 0;

  while (put < len) {
    ssize_t n = pwrite(fd, buf + put, len - put, (off_t)(off + put));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    put += (size_t)n;
  }
  return 0;
}

static void verify_work(void *ud)
{
  verify_job *j = ud;
  dl_op *op = j->op;
  unsigned char *buf;
  char hex[65];
  size_t i;

  j->rc = CMX_OK;
  if (j->truncate && ftruncate(op->fd, (off_t)op->size) != 0) {
    j->rc = CMX_EIO;
    return;
  }
  if (j->count == 0)
    return;
  buf = malloc(op->bs);
  if (!buf) {
    j->rc = CMX_ENOMEM;
    return;
  }
  for (i = j->first; i < j->first + j->count; i++) {
    uint64_t off = (uint64_t)i * op->bs;
    size_t len = (size_t)(op->size - off < op->bs ? op->size - off : op->bs);
    size_t f = op->first[i];
    uint64_t foff = (uint64_t)f * op->bs;
    size_t flen =
        (size_t)(op->size - foff < op->bs ? op->size - foff : op->bs);
    if (f != i) {
      /* repeated block: copy the fetched one (same hash => same data
       * up to trailing NULs; the stored block is zero-padded) */
      memset(buf, 0, len);
      if (read_full(op->fd, buf, flen < len ? flen : len, foff) != 0 ||
          write_full(op->fd, buf, len, off) != 0) {
        j->rc = CMX_EIO;
        break;
      }
    } else if (read_full(op->fd, buf, len, off) != 0) {
      j->rc = CMX_EIO;
      break;
    }
    cmx_synnefo_block_hash(buf, len, hex);
    if (strcmp(hex, op->hashes[i]) != 0) {
      j->rc = CMX_EPROTO;
      j->bad = i;
      break;
    }
  }
  free(buf);
}

static void verify_done(cmx_engine *e, int code, void *ud)
{
  verify_job *j = ud;
  dl_op *op = j->op;
  cmx_synnefo_result r;
  json_object *out;

  (void)e;
  if (code != CMX_OK && op->verify_rc == CMX_OK)
    op->verify_rc = code;
  if (code == CMX_OK && j->rc != CMX_OK && op->verify_rc == CMX_OK) {
    op->verify_rc = j->rc;
    op->bad_block = j->bad;
  }
  free(j);
  if (--op->jobs_left > 0)
    return;
  if (op->verify_rc == CMX_EPROTO) {
    char msg[128];
    snprintf(msg, sizeof(msg), "block %zu does not match its hash",
             op->bad_block);
    dl_fail(op, CMX_EPROTO, 0, msg);
    return;
  }
  if (op->verify_rc != CMX_OK) {
    dl_fail(op, op->verify_rc, 0,
            op->verify_rc == CMX_EIO ? "writing the file failed"
                                     : cmx_strerror(op->verify_rc));
    return;
  }
  if (op->progress)
    op->progress(op->c, "verify", op->size, op->size, op->ud);
  out = json_object_new_object();
  if (!out) {
    dl_fail(op, CMX_ENOMEM, 0, "out of memory");
    return;
  }
  json_object_object_add(out, "bytes",
                         json_object_new_int64((int64_t)op->size));
  json_object_object_add(out, "blocks",
                         json_object_new_int64((int64_t)op->nblocks));
  json_object_object_add(out, "blocks_fetched",
                         json_object_new_int64((int64_t)op->fetched));
  memset(&r, 0, sizeof(r));
  r.detail = "";
  r.http_status = 200;
  r.json = out;
  dl_end(op, &r);
  json_object_put(out);
}

static void start_verify(dl_op *op)
{
  size_t njobs = (op->nblocks + VERIFY_CHUNK_BLOCKS - 1) / VERIFY_CHUNK_BLOCKS;
  size_t i;

  if (njobs == 0)
    njobs = 1; /* still truncate */
  op->jobs_left = njobs;
  for (i = 0; i < njobs; i++) {
    verify_job *j = calloc(1, sizeof(*j));
    int rc = CMX_ENOMEM;
    if (j) {
      j->op = op;
      j->first = i * VERIFY_CHUNK_BLOCKS;
      j->count = op->nblocks > j->first
                     ? (op->nblocks - j->first < VERIFY_CHUNK_BLOCKS
                            ? op->nblocks - j->first
                            : VERIFY_CHUNK_BLOCKS)
                     : 0;
      j->truncate = i == 0;
      rc = cmx_engine_work(op->c->engine, verify_work, verify_done, j);
    }
    if (rc != CMX_OK) {
      free(j);
      if (op->verify_rc == CMX_OK)
        op->verify_rc = rc;
      op->jobs_left -= njobs - i;
      if (op->jobs_left == 0)
        dl_fail(op, rc, 0, cmx_strerror(rc));
      return;
    }
  }
}

/* ---- ranged GETs ------------------------------------------------------ */

typedef struct get_ctx {
  dl_op *op;
  size_t block;
} get_ctx;

static void get_pump(dl_op *op);

static void get_done(cmx_call *call, const cmx_response *res, void *ud)
{
  get_ctx *g = ud;
  dl_op *op = g->op;
  size_t blk = g->block;
  long status = cmx_response_status(res);
  uint64_t off = (uint64_t)blk * op->bs;
  uint64_t len = op->size - off < op->bs ? op->size - off : op->bs;

  (void)call;
  free(g);
  op->inflight--;
  if (cmx_response_code(res) == CMX_OK && (status == 206 || status == 200) &&
      cmx_response_body_bytes(res) == len) {
    op->fetched++;
    op->got_bytes += len;
    if (op->progress)
      op->progress(op->c, "download", op->got_bytes, op->size, op->ud);
  } else if (!op->failed_code) {
    const cmx_service_error *se = cmx_response_service_error(res);
    op->failed_code =
        cmx_response_code(res) != CMX_OK ? cmx_response_code(res) : CMX_EPROTO;
    snprintf(op->err, sizeof(op->err), "block %zu: %s", blk,
             se && se->message[0]          ? se->message
             : cmx_response_detail(res)[0] ? cmx_response_detail(res)
                                           : "short or unexpected answer");
  }
  get_pump(op);
}

static int get_block(dl_op *op, size_t b)
{
  uint64_t off = (uint64_t)b * op->bs;
  uint64_t end = (off + op->bs < op->size ? off + op->bs : op->size) - 1;
  char *url = cmx__syn_printf("%s?format=json", op->obj_url);
  cmx_request *req = url ? cmx_request_new("GET", url) : NULL;
  get_ctx *g = malloc(sizeof(*g));
  char range[64];
  int rc;

  free(url);
  if (!req || !g) {
    cmx_request_free(req);
    free(g);
    return CMX_ENOMEM;
  }
  g->op = op;
  g->block = b;
  snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)off,
           (unsigned long long)end);
  rc = cmx_request_add_secret_header(req, "X-Auth-Token", op->c->token);
  if (rc == CMX_OK)
    rc = cmx_request_set_error_parser(req, cmx_synnefo_error_parser);
  if (rc == CMX_OK)
    rc = cmx_request_add_header(req, "Range", range);
  if (rc == CMX_OK)
    rc = cmx_request_set_response_file(req, op->fd, (off_t)off);
  if (rc != CMX_OK) {
    cmx_request_free(req);
    free(g);
    return rc;
  }
  rc = cmx_submit(op->c->engine, req, get_done, g, NULL);
  if (rc != CMX_OK)
    free(g);
  return rc;
}

static void get_pump(dl_op *op)
{
  while (!op->failed_code && op->next < op->nfetch &&
         op->inflight < op->c->max_parallel) {
    int rc = get_block(op, op->fetch[op->next]);
    if (rc != CMX_OK) {
      op->failed_code = rc;
      snprintf(op->err, sizeof(op->err), "block %zu: %s", op->fetch[op->next],
               cmx_strerror(rc));
      break;
    }
    op->next++;
    op->inflight++;
  }
  if (op->inflight > 0)
    return;
  if (op->failed_code) {
    dl_fail(op, op->failed_code, 0, op->err);
    return;
  }
  if (op->next >= op->nfetch)
    start_verify(op);
}

/* ---- hashmap ---------------------------------------------------------- */

static void hashmap_done(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  dl_op *op = ud;
  json_object *v, *hashes, *seen;
  size_t i, n;

  (void)c;
  if (r->code != CMX_OK) {
    dl_end(op, r);
    return;
  }
  if (!r->json || !json_object_object_get_ex(r->json, "block_size", &v) ||
      (op->bs = (uint64_t)json_object_get_int64(v)) == 0 ||
      !json_object_object_get_ex(r->json, "bytes", &v) ||
      !json_object_object_get_ex(r->json, "hashes", &hashes) ||
      !json_object_is_type(hashes, json_type_array)) {
    dl_fail(op, CMX_EPROTO, r->http_status, "bad hashmap answer");
    return;
  }
  op->size = (uint64_t)json_object_get_int64(v);
  op->nblocks = (size_t)((op->size + op->bs - 1) / op->bs);
  n = json_object_array_length(hashes);
  if (!json_object_object_get_ex(r->json, "block_hash", &v) ||
      strcmp(json_object_get_string(v), "sha256") != 0) {
    dl_fail(op, CMX_EPROTO, r->http_status, "block hash is not sha256");
    return;
  }
  if (n < op->nblocks) {
    dl_fail(op, CMX_EPROTO, r->http_status,
            "hashmap has fewer hashes than blocks");
    return;
  }
  op->hashes = calloc(op->nblocks + 1, sizeof(char *));
  op->first = calloc(op->nblocks + 1, sizeof(size_t));
  op->fetch = calloc(op->nblocks + 1, sizeof(size_t));
  seen = json_object_new_object();
  if (!op->hashes || !op->first || !op->fetch || !seen) {
    json_object_put(seen);
    dl_fail(op, CMX_ENOMEM, 0, "out of memory");
    return;
  }
  for (i = 0; i < op->nblocks; i++) {
    const char *h =
        json_object_get_string(json_object_array_get_idx(hashes, i));
    json_object *ix;
    op->hashes[i] = cmx__syn_strdup(h ? h : "");
    if (!op->hashes[i]) {
      json_object_put(seen);
      dl_fail(op, CMX_ENOMEM, 0, "out of memory");
      return;
    }
    if (json_object_object_get_ex(seen, op->hashes[i], &ix)) {
      op->first[i] = (size_t)json_object_get_int64(ix);
    } else {
      op->first[i] = i;
      op->fetch[op->nfetch++] = i;
      json_object_object_add(seen, op->hashes[i],
                             json_object_new_int64((int64_t)i));
    }
  }
  json_object_put(seen);
  get_pump(op);
}

static void dl_authed(cmx_synnefo *c, const cmx_synnefo_result *ar, void *ud)
{
  dl_op *op = ud;
  cmx__syn_call_spec spec;
  const char *acct = cmx_synnefo_user_uuid(c);
  char *base, *p;
  int rc;

  if (ar->code != CMX_OK) {
    dl_end(op, ar);
    return;
  }
  base = cmx__syn_endpoint(c, "object-store");
  if (!base) {
    dl_fail(op, CMX_ENOTFOUND, 0, c->err);
    return;
  }
  p = cmx__syn_printf("%s/%s/%s", acct ? acct : "", op->container, op->object);
  op->obj_url = p ? cmx_synnefo_join_url(base, p) : NULL;
  free(base);
  memset(&spec, 0, sizeof(spec));
  spec.type = "object-store";
  spec.method = "GET";
  spec.path = p;
  spec.query = json_object_new_object();
  if (!op->obj_url || !spec.path || !spec.query) {
    free(spec.path);
    json_object_put(spec.query);
    dl_fail(op, CMX_ENOMEM, 0, "out of memory");
    return;
  }
  json_object_object_add(spec.query, "format", json_object_new_string("json"));
  json_object_object_add(spec.query, "hashmap",
                         json_object_new_string("True"));
  spec.accept[0] = 200;
  spec.want_json = 1;
  rc = cmx__syn_call(c, &spec, hashmap_done, op);
  if (rc != CMX_OK)
    dl_fail(op, rc, 0, c->err);
}

int cmx_synnefo_download_object(cmx_synnefo *c, const char *container,
                                const char *object, int fd, const char *path,
                                cmx_synnefo_progress_fn progress,
                                cmx_synnefo_cb cb, void *userdata)
{
  dl_op *op;
  int rc;

  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  if (cmx__syn_container_ok(c, container) != CMX_OK ||
      cmx__syn_object_ok(c, object) != CMX_OK)
    return CMX_EINVAL;
  if (fd < 0 && (!path || !*path))
    return cmx__syn_fail(c, CMX_EINVAL, "fd/path: give an open fd or a path");
  op = calloc(1, sizeof(*op));
  if (!op)
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  op->c = c;
  op->fd = fd;
  op->progress = progress;
  op->cb = cb;
  op->ud = userdata;
  op->container = cmx__syn_strdup(container);
  op->object = cmx__syn_strdup(object);
  if (!op->container || !op->object) {
    dl_free(op);
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  }
  if (fd < 0) {
    op->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (op->fd < 0) {
      rc = cmx__syn_fail(c, CMX_EIO, "path: cannot open %s: %s", path,
                         strerror(errno));
      dl_free(op);
      return rc;
    }
    op->own_fd = 1;
  }
  rc = cmx__syn_when_auth(c, dl_authed, op);
  if (rc != CMX_OK)
    dl_free(op);
  return rc;
}
