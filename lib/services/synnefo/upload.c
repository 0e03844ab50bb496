/* Synnefo module: Pithos upload by the hashmap protocol. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/synnefo/internal.h"

#define HASH_CHUNK_BLOCKS 4
#define UPLOAD_PASSES 7

typedef struct up_op up_op;

typedef struct hash_job {
  up_op *op;
  size_t first, count;
  int rc;
} hash_job;

struct up_op {
  cmx_synnefo *c;
  char *container, *object, *account, *content_type;
  int if_not_exist;
  int fd, own_fd;
  uint64_t size, bs;
  size_t nblocks;
  char *hexes;
  size_t jobs_left;
  int hash_rc;
  uint64_t hashed;
  char *base, *obj_url, *cont_url;
  /* block upload passes */
  size_t *todo, ntodo, next, inflight;
  size_t *failed, nfailed, prev_failed;
  unsigned passes_left;
  int final_put;
  uint64_t bytes_sent, blocks_sent;
  char last_err[320];
  cmx_synnefo_progress_fn progress;
  cmx_synnefo_cb cb;
  void *ud;
};

static void up_free(up_op *op)
{
  if (op->own_fd && op->fd >= 0)
    close(op->fd);
  free(op->container);
  free(op->object);
  free(op->account);
  free(op->content_type);
  free(op->hexes);
  free(op->base);
  free(op->obj_url);
  free(op->cont_url);
  free(op->todo);
  free(op->failed);
  free(op);
}

static void up_end(up_op *op, const cmx_synnefo_result *r)
{
  op->cb(op->c, r, op->ud);
  up_free(op);
}

static void up_fail(up_op *op, int code, long status, const char *msg)
{
  cmx_synnefo_result r;
  cmx_service_error se;

  snprintf(op->last_err, sizeof(op->last_err), "%s", msg);
  cmx__syn_result_error(&r, &se, code, status, op->last_err);
  up_end(op, &r);
}

/* ---- step 3/5: hashmap PUT ------------------------------------------ */

static void put_done(cmx_call *call, const cmx_response *res, void *ud);
static void pass_start(up_op *op);

static int put_hashmap(up_op *op)
{
  json_object *body = json_object_new_object(), *arr = json_object_new_array();
  cmx_request *req;
  char *url;
  const char *txt;
  size_t i;
  int rc = CMX_OK;

  if (!body || !arr) {
    json_object_put(body);
    json_object_put(arr);
    return CMX_ENOMEM;
  }
  json_object_object_add(body, "bytes",
                         json_object_new_int64((int64_t)op->size));
  for (i = 0; i < op->nblocks; i++)
    json_object_array_add(arr, json_object_new_string(op->hexes + 65 * i));
  json_object_object_add(body, "hashes", arr);
  url = cmx__syn_printf("%s?format=json&hashmap=True", op->obj_url);
  req = url ? cmx_request_new("PUT", url) : NULL;
  free(url);
  if (!req) {
    json_object_put(body);
    return CMX_ENOMEM;
  }
  txt = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
  rc = cmx_request_add_secret_header(req, "X-Auth-Token", op->c->token);
  if (rc == CMX_OK)
    rc = cmx_request_set_error_parser(req, cmx_synnefo_error_parser);
  if (rc == CMX_OK)
    rc = cmx_request_set_body(req, txt, strlen(txt), op->content_type);
  if (rc == CMX_OK && op->if_not_exist)
    rc = cmx_request_add_header(req, "If-None-Match", "*");
  json_object_put(body);
  if (rc != CMX_OK) {
    cmx_request_free(req);
    return rc;
  }
  return cmx_submit(op->c->engine, req, put_done, op, NULL);
}

static int hash_index_map(up_op *op, json_object **out)
{
  json_object *m = json_object_new_object();
  size_t i;

  if (!m)
    return CMX_ENOMEM;
  for (i = 0; i < op->nblocks; i++) /* later duplicates overwrite */
    json_object_object_add(m, op->hexes + 65 * i,
                           json_object_new_int64((int64_t)i));
  *out = m;
  return CMX_OK;
}

static void put_done(cmx_call *call, const cmx_response *res, void *ud)
{
  up_op *op = ud;
  long status = cmx_response_status(res);
  int code = cmx_response_code(res);
  cmx_synnefo_result r;
  json_object *out, *missing, *map = NULL, *ix;
  const char *etag, *ver;
  size_t i, n;

  (void)call;
  if (code == CMX_OK && status == 201) {
    out = json_object_new_object();
    if (!out) {
      up_fail(op, CMX_ENOMEM, status, "out of memory");
      return;
    }
    etag = cmx_response_header(res, "etag");
    ver = cmx_response_header(res, "x-object-version");
    json_object_object_add(out, "etag",
                           json_object_new_string(etag ? etag : ""));
    json_object_object_add(out, "x-object-version",
                           json_object_new_string(ver ? ver : ""));
    json_object_object_add(out, "bytes",
                           json_object_new_int64((int64_t)op->size));
    json_object_object_add(out, "blocks",
                           json_object_new_int64((int64_t)op->nblocks));
    json_object_object_add(out, "blocks_sent",
                           json_object_new_int64((int64_t)op->blocks_sent));
    json_object_object_add(out, "bytes_sent",
                           json_object_new_int64((int64_t)op->bytes_sent));
    memset(&r, 0, sizeof(r));
    r.detail = "";
    r.http_status = status;
    r.json = out;
    up_end(op, &r);
    json_object_put(out);
    return;
  }
  if (status == 409 && !op->final_put &&
      (code == CMX_OK || code == CMX_EHTTP)) {
    missing = cmx_response_json(res);
    if (!missing || !json_object_is_type(missing, json_type_array)) {
      up_fail(op, CMX_EPROTO, status,
              "409 without a JSON list of missing blocks");
      return;
    }
    n = json_object_array_length(missing);
    free(op->todo);
    op->todo = calloc(n ? n : 1, sizeof(size_t));
    if (!op->todo || hash_index_map(op, &map) != CMX_OK) {
      up_fail(op, CMX_ENOMEM, status, "out of memory");
      return;
    }
    for (i = 0; i < n; i++) {
      const char *h =
          json_object_get_string(json_object_array_get_idx(missing, i));
      if (!h || !json_object_object_get_ex(map, h, &ix)) {
        json_object_put(map);
        up_fail(op, CMX_EPROTO, status,
                "server asked for a block hash not in the hashmap");
        return;
      }
      op->todo[i] = (size_t)json_object_get_int64(ix);
    }
    json_object_put(map);
    op->ntodo = n;
    op->final_put = 1;
    pass_start(op);
    return;
  }
  cmx__syn_result_from_response(&r, res);
  if (r.code == CMX_OK)
    r.code = CMX_EPROTO;
  up_end(op, &r);
}

/* ---- step 4: missing blocks ----------------------------------------- */

static void post_done(cmx_call *call, const cmx_response *res, void *ud);

typedef struct post_ctx {
  up_op *op;
  size_t block;
} post_ctx;

static int post_block(up_op *op, size_t b)
{
  uint64_t off = (uint64_t)b * op->bs;
  uint64_t len = op->size - off < op->bs ? op->size - off : op->bs;
  char *url = cmx__syn_printf("%s?update&format=json", op->cont_url);
  cmx_request *req = url ? cmx_request_new("POST", url) : NULL;
  post_ctx *pc = malloc(sizeof(*pc));
  int rc;

  free(url);
  if (!req || !pc) {
    cmx_request_free(req);
    free(pc);
    return CMX_ENOMEM;
  }
  pc->op = op;
  pc->block = b;
  rc = cmx_request_add_secret_header(req, "X-Auth-Token", op->c->token);
  if (rc == CMX_OK)
    rc = cmx_request_set_error_parser(req, cmx_synnefo_error_parser);
  if (rc == CMX_OK)
    rc = cmx_request_set_body_file(req, op->fd, (off_t)off, len,
                                   "application/octet-stream");
  if (rc == CMX_OK) /* blocks are content-addressed: resending is safe */
    rc = cmx_request_set_retry_safe(req, 1);
  if (rc != CMX_OK) {
    cmx_request_free(req);
    free(pc);
    return rc;
  }
  rc = cmx_submit(op->c->engine, req, post_done, pc, NULL);
  if (rc != CMX_OK)
    free(pc);
  return rc;
}

static void pass_pump(up_op *op);

static void pass_finished(up_op *op)
{
  int rc;

  if (op->nfailed == 0) {
    rc = put_hashmap(op);
    if (rc != CMX_OK)
      up_fail(op, rc, 0, cmx_strerror(rc));
    return;
  }
  if (op->nfailed == op->prev_failed) {
    if (op->passes_left == 0) {
      char msg[400];
      snprintf(msg, sizeof(msg), "%zu blocks failed to upload (last: %s)",
               op->nfailed, op->last_err);
      up_fail(op, CMX_EIO, 0, msg);
      return;
    }
    op->passes_left--;
  }
  op->prev_failed = op->nfailed;
  free(op->todo);
  op->todo = op->failed;
  op->ntodo = op->nfailed;
  op->failed = NULL;
  op->nfailed = 0;
  pass_start(op);
}

static void post_done(cmx_call *call, const cmx_response *res, void *ud)
{
  post_ctx *pc = ud;
  up_op *op = pc->op;
  size_t b = pc->block;
  json_object *j;
  const char *got = NULL;
  uint64_t off = (uint64_t)b * op->bs;
  uint64_t len = op->size - off < op->bs ? op->size - off : op->bs;

  (void)call;
  free(pc);
  op->inflight--;
  if (cmx_response_code(res) == CMX_OK && cmx_response_status(res) == 202 &&
      (j = cmx_response_json(res)) != NULL &&
      json_object_is_type(j, json_type_array) &&
      json_object_array_length(j) > 0)
    got = json_object_get_string(json_object_array_get_idx(j, 0));
  if (got && strcmp(got, op->hexes + 65 * b) == 0) {
    op->blocks_sent++;
    op->bytes_sent += len;
    if (op->progress)
      op->progress(op->c, "upload", op->bytes_sent, op->size, op->ud);
  } else {
    const cmx_service_error *se = cmx_response_service_error(res);
    snprintf(op->last_err, sizeof(op->last_err), "block %zu: %s", b,
             se && se->message[0]          ? se->message
             : got                         ? "hash mismatch"
             : cmx_response_detail(res)[0] ? cmx_response_detail(res)
                                           : "bad answer");
    op->failed[op->nfailed++] = b;
  }
  pass_pump(op);
}

/* The engine sends a block straight from its file range, reading it with
 * pread on the loop thread.  So that this read never waits on the disk,
 * the range is first brought into the page cache on a worker thread:
 * mincore() says whether it is already resident (it usually is, hashing
 * has just read it); otherwise the worker reads it through. */
typedef struct warm_job {
  up_op *op;
  size_t block;
} warm_job;

static void warm_work(void *ud)
{
  warm_job *w = ud;
  up_op *op = w->op;
  uint64_t off = (uint64_t)w->block * op->bs;
  uint64_t len = op->size - off < op->bs ? op->size - off : op->bs;
  long pg = sysconf(_SC_PAGESIZE);
  uint64_t start, maplen, got = 0;
  unsigned char *vec = NULL, buf[65536];
  void *map;
  size_t npages, i;
  int resident = 0;

  if (pg <= 0)
    pg = 4096;
  start = off - off % (uint64_t)pg;
  maplen = off + len - start;
  npages = (size_t)((maplen + (uint64_t)pg - 1) / (uint64_t)pg);
  map =
      mmap(NULL, (size_t)maplen, PROT_READ, MAP_SHARED, op->fd, (off_t)start);
  if (map != MAP_FAILED) {
    vec = malloc(npages);
    if (vec && mincore(map, (size_t)maplen, (void *)vec) == 0) {
      resident = 1;
      for (i = 0; i < npages && resident; i++)
        resident = vec[i] & 1;
    }
    free(vec);
    munmap(map, (size_t)maplen);
  }
  while (!resident && got < len) {
    size_t want = len - got < sizeof(buf) ? (size_t)(len - got) : sizeof(buf);
    ssize_t n = pread(op->fd, buf, want, (off_t)(off + got));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break; /* the send will report it */
    got += (uint64_t)n;
  }
}

static void warm_done(cmx_engine *e, int code, void *ud)
{
  warm_job *w = ud;
  up_op *op = w->op;
  size_t b = w->block;
  int rc = code;

  (void)e;
  free(w);
  if (rc == CMX_OK)
    rc = post_block(op, b);
  if (rc != CMX_OK) {
    snprintf(op->last_err, sizeof(op->last_err), "block %zu: %s", b,
             cmx_strerror(rc));
    op->failed[op->nfailed++] = b;
    op->inflight--;
    pass_pump(op);
  }
}

static void pass_pump(up_op *op)
{
  while (op->next < op->ntodo && op->inflight < op->c->max_parallel) {
    size_t b = op->todo[op->next++];
    warm_job *w = malloc(sizeof(*w));
    int rc = w ? CMX_OK : CMX_ENOMEM;
    if (w) {
      w->op = op;
      w->block = b;
      rc = cmx_engine_work(op->c->engine, warm_work, warm_done, w);
      if (rc != CMX_OK)
        free(w);
    }
    if (rc != CMX_OK) {
      snprintf(op->last_err, sizeof(op->last_err), "block %zu: %s", b,
               cmx_strerror(rc));
      op->failed[op->nfailed++] = b;
      continue;
    }
    op->inflight++; /* warming, then sending */
  }
  if (op->next >= op->ntodo && op->inflight == 0)
    pass_finished(op);
}

static void pass_start(up_op *op)
{
  op->failed = calloc(op->ntodo ? op->ntodo : 1, sizeof(size_t));
  if (!op->failed) {
    up_fail(op, CMX_ENOMEM, 0, "out of memory");
    return;
  }
  op->nfailed = 0;
  op->next = 0;
  pass_pump(op);
}

/* ---- step 2: hashing on worker threads ------------------------------ */

static void hash_work(void *ud)
{
  hash_job *j = ud;
  up_op *op = j->op;
  unsigned char *buf = malloc(op->bs);
  size_t i;

  j->rc = CMX_OK;
  if (!buf) {
    j->rc = CMX_ENOMEM;
    return;
  }
  for (i = j->first; i < j->first + j->count && j->rc == CMX_OK; i++) {
    uint64_t off = (uint64_t)i * op->bs;
    size_t want = (size_t)(op->size - off < op->bs ? op->size - off : op->bs);
    size_t got = 0;
    while (got < want) {
      ssize_t n = pread(op->fd, buf + got, want - got, (off_t)(off + got));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        j->rc = CMX_EIO;
        break;
      }
      got += (size_t)n;
    }
    if (j->rc == CMX_OK)
      cmx_synnefo_block_hash(buf, want, op->hexes + 65 * i);
  }
  free(buf);
}

static void hash_done(cmx_engine *e, int code, void *ud)
{
  hash_job *j = ud;
  up_op *op = j->op;
  uint64_t last_end;
  int rc;

  (void)e;
  if (code != CMX_OK && op->hash_rc == CMX_OK)
    op->hash_rc = code;
  if (code == CMX_OK && j->rc != CMX_OK && op->hash_rc == CMX_OK)
    op->hash_rc = j->rc;
  last_end = (uint64_t)(j->first + j->count) * op->bs;
  op->hashed += (last_end > op->size ? op->size : last_end) -
                (uint64_t)j->first * op->bs;
  free(j);
  if (op->progress && op->hash_rc == CMX_OK)
    op->progress(op->c, "hash", op->hashed, op->size, op->ud);
  if (--op->jobs_left > 0)
    return;
  if (op->hash_rc != CMX_OK) {
    up_fail(op, op->hash_rc, 0,
            op->hash_rc == CMX_EIO ? "reading the file failed (short read)"
                                   : cmx_strerror(op->hash_rc));
    return;
  }
  rc = put_hashmap(op);
  if (rc != CMX_OK)
    up_fail(op, rc, 0, cmx_strerror(rc));
}

static void start_hashing(up_op *op)
{
  size_t i, njobs;

  if (op->nblocks == 0) {
    int rc = put_hashmap(op);
    if (rc != CMX_OK)
      up_fail(op, rc, 0, cmx_strerror(rc));
    return;
  }
  njobs = (op->nblocks + HASH_CHUNK_BLOCKS - 1) / HASH_CHUNK_BLOCKS;
  op->jobs_left = njobs;
  for (i = 0; i < njobs; i++) {
    hash_job *j = calloc(1, sizeof(*j));
    int rc;
    if (j) {
      j->op = op;
      j->first = i * HASH_CHUNK_BLOCKS;
      j->count = op->nblocks - j->first < HASH_CHUNK_BLOCKS
                     ? op->nblocks - j->first
                     : HASH_CHUNK_BLOCKS;
      rc = cmx_engine_work(op->c->engine, hash_work, hash_done, j);
    } else {
      rc = CMX_ENOMEM;
    }
    if (rc != CMX_OK) {
      free(j);
      /* jobs not started count as finished with an error */
      if (op->hash_rc == CMX_OK)
        op->hash_rc = rc;
      op->jobs_left -= njobs - i;
      if (op->jobs_left == 0)
        up_fail(op, rc, 0, cmx_strerror(rc));
      return;
    }
  }
}

/* ---- step 1: container policy --------------------------------------- */

static void info_done(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  up_op *op = ud;
  json_object *v;
  struct stat st;

  (void)c;
  if (r->code != CMX_OK) {
    cmx_synnefo_result out = *r;
    cmx_service_error se;
    char msg[300];
    snprintf(msg, sizeof(msg), "%s for container %s",
             r->error && r->error->message[0] ? r->error->message : r->detail,
             op->container);
    snprintf(op->last_err, sizeof(op->last_err), "%s", msg);
    out.detail = op->last_err;
    if (r->error) {
      se = *r->error;
      se.message = op->last_err;
      out.error = &se;
    }
    up_end(op, &out);
    return;
  }
  op->bs = json_object_object_get_ex(r->json, "block_size", &v)
               ? (uint64_t)json_object_get_int64(v)
               : 0;
  if (!json_object_object_get_ex(r->json, "block_hash", &v) ||
      strcmp(json_object_get_string(v), "sha256") != 0) {
    up_fail(op, CMX_EPROTO, r->http_status,
            "container block hash is not sha256");
    return;
  }
  if (op->bs == 0 || op->bs > ((uint64_t)1 << 32)) {
    up_fail(op, CMX_EPROTO, r->http_status, "bad container block size");
    return;
  }
  if (fstat(op->fd, &st) != 0) {
    up_fail(op, CMX_EIO, 0, "cannot stat the file");
    return;
  }
  op->size = (uint64_t)st.st_size;
  op->nblocks = (size_t)((op->size + op->bs - 1) / op->bs);
  op->hexes = malloc(op->nblocks * 65 + 1);
  if (!op->hexes) {
    up_fail(op, CMX_ENOMEM, 0, "out of memory");
    return;
  }
  start_hashing(op);
}

static void up_authed(cmx_synnefo *c, const cmx_synnefo_result *ar, void *ud)
{
  up_op *op = ud;
  const char *acct;
  char *p;
  int rc;

  if (ar->code != CMX_OK) {
    up_end(op, ar);
    return;
  }
  acct = op->account ? op->account : cmx_synnefo_user_uuid(c);
  op->base = cmx__syn_endpoint(c, "object-store");
  if (!op->base) {
    up_fail(op, CMX_ENOTFOUND, 0, c->err);
    return;
  }
  p = cmx__syn_printf("%s/%s/%s", acct ? acct : "", op->container, op->object);
  op->obj_url = p ? cmx_synnefo_join_url(op->base, p) : NULL;
  free(p);
  p = cmx__syn_printf("%s/%s", acct ? acct : "", op->container);
  op->cont_url = p ? cmx_synnefo_join_url(op->base, p) : NULL;
  free(p);
  if (!op->obj_url || !op->cont_url) {
    up_fail(op, CMX_ENOMEM, 0, "out of memory");
    return;
  }
  rc = cmx_synnefo_container_info(c, acct, op->container, info_done, op);
  if (rc != CMX_OK)
    up_fail(op, rc, 0, c->err);
}

int cmx_synnefo_upload_object(cmx_synnefo *c, const char *container,
                              const char *object, int fd, const char *path,
                              const cmx_synnefo_upload_opts *opts,
                              cmx_synnefo_progress_fn progress,
                              cmx_synnefo_cb cb, void *userdata)
{
  up_op *op;
  const char *ct;
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
  ct = opts && opts->content_type ? opts->content_type
                                  : "application/octet-stream";
  if (strpbrk(ct, "\r\n") || !*ct)
    return cmx__syn_fail(c, CMX_EINVAL, "content_type: bad header value");
  if (opts && opts->account && (!*opts->account || strchr(opts->account, '/')))
    return cmx__syn_fail(c, CMX_EINVAL,
                         "account: must be non-empty, without '/'");
  op = calloc(1, sizeof(*op));
  if (!op)
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  op->c = c;
  op->fd = fd;
  op->passes_left = UPLOAD_PASSES;
  op->progress = progress;
  op->cb = cb;
  op->ud = userdata;
  op->if_not_exist = opts ? opts->if_not_exist : 0;
  op->container = cmx__syn_strdup(container);
  op->object = cmx__syn_strdup(object);
  op->content_type = cmx__syn_strdup(ct);
  if (opts && opts->account)
    op->account = cmx__syn_strdup(opts->account);
  if (!op->container || !op->object || !op->content_type ||
      (opts && opts->account && !op->account)) {
    up_free(op);
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  }
  if (fd < 0) {
    op->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (op->fd < 0) {
      rc = cmx__syn_fail(c, CMX_EIO, "path: cannot open %s: %s", path,
                         strerror(errno));
      up_free(op);
      return rc;
    }
    op->own_fd = 1;
  }
  rc = cmx__syn_when_auth(c, up_authed, op);
  if (rc != CMX_OK)
    up_free(op);
  return rc;
}
