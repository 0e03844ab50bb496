/* callmux simulator: Synnefo Pithos+ (object-store v1).
 *
 * Blocks live in one store keyed by their hash, shared by every account
 * and container (uploads deduplicate).  A block is stored with its trailing
 * NULs stripped and served zero-padded to the needed length. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <openssl/evp.h>

#include "sim/synnefo-internal.h"

/* ---- hashing (independent of the client's code) --------------------- */

static void hex32(const unsigned char *d, char *out)
{
  static const char h[] = "0123456789abcdef";
  int i;

  for (i = 0; i < 32; i++) {
    out[2 * i] = h[d[i] >> 4];
    out[2 * i + 1] = h[d[i] & 15];
  }
  out[64] = 0;
}

void sim_syn_block_hash(const void *data, size_t len, char hex[65])
{
  const unsigned char *p = data;
  unsigned char d[32];
  unsigned int dl = 32;

  while (len > 0 && p[len - 1] == 0)
    len--;
  EVP_Digest(len ? data : "", len, d, &dl, EVP_sha256(), NULL);
  hex32(d, hex);
}

int sim_syn_merkle(char (*hashes)[65], size_t n, char hex[65])
{
  size_t cap = 1, i, k;
  unsigned char *b;
  unsigned int dl = 32;

  if (n == 0) {
    sim_syn_block_hash("", 0, hex);
    return 0;
  }
  if (n == 1) {
    memcpy(hex, hashes[0], 65);
    return 0;
  }
  while (cap < n)
    cap *= 2;
  b = calloc(cap, 32);
  if (!b)
    return -1;
  for (i = 0; i < n; i++)
    for (k = 0; k < 32; k++) {
      unsigned v;
      sscanf(hashes[i] + 2 * k, "%2x", &v);
      b[32 * i + k] = (unsigned char)v;
    }
  for (; cap > 1; cap /= 2)
    for (i = 0; i < cap / 2; i++)
      EVP_Digest(b + 64 * i, 64, b + 32 * i, &dl, EVP_sha256(), NULL);
  hex32(b, hex);
  free(b);
  return 0;
}

static int is_hex64(const char *s)
{
  size_t i;

  if (!s || strlen(s) != 64)
    return 0;
  for (i = 0; i < 64; i++)
    if (!isxdigit((unsigned char)s[i]))
      return 0;
  return 1;
}

/* ---- block store -------------------------------------------------------- */

static int block_find(sim_syn *st, const char *hex)
{
  json_object *ix;

  if (json_object_object_get_ex(st->block_ix, hex, &ix))
    return json_object_get_int(ix);
  return -1;
}

static int block_store(sim_syn *st, const void *data, size_t len, char hex[65])
{
  const unsigned char *p = data;
  sim_syn_block *b;

  sim_syn_block_hash(data, len, hex);
  if (block_find(st, hex) >= 0)
    return 0;
  while (len > 0 && p[len - 1] == 0)
    len--;
  if (st->nblocks == st->capblocks) {
    size_t nc = st->capblocks ? st->capblocks * 2 : 64;
    sim_syn_block *nb = realloc(st->blocks, nc * sizeof(*nb));
    if (!nb)
      return -1;
    st->blocks = nb;
    st->capblocks = nc;
  }
  b = &st->blocks[st->nblocks];
  b->data = malloc(len ? len : 1);
  if (!b->data)
    return -1;
  memcpy(b->data, data, len);
  b->len = len;
  json_object_object_add(st->block_ix, hex,
                         json_object_new_int((int)st->nblocks));
  st->nblocks++;
  sim_count(st->s, "synnefo.blocks_stored", 1);
  return 0;
}

/* Like block_store, but takes ownership of `buf` (malloc'd). */
static int block_store_owned(sim_syn *st, unsigned char *buf, size_t len,
                             char hex[65])
{
  sim_syn_block *b;

  sim_syn_block_hash(buf, len, hex);
  if (block_find(st, hex) >= 0) {
    free(buf);
    return 0;
  }
  {
    size_t full = len;
    while (len > 0 && buf[len - 1] == 0)
      len--;
    if (len < full / 2) { /* mostly zeros: keep only the data */
      unsigned char *nb = realloc(buf, len ? len : 1);
      if (nb)
        buf = nb;
    }
  }
  if (st->nblocks == st->capblocks) {
    size_t nc = st->capblocks ? st->capblocks * 2 : 64;
    sim_syn_block *nb = realloc(st->blocks, nc * sizeof(*nb));
    if (!nb) {
      free(buf);
      return -1;
    }
    st->blocks = nb;
    st->capblocks = nc;
  }
  b = &st->blocks[st->nblocks];
  b->data = buf;
  b->len = len;
  json_object_object_add(st->block_ix, hex,
                         json_object_new_int((int)st->nblocks));
  st->nblocks++;
  sim_count(st->s, "synnefo.blocks_stored", 1);
  return 0;
}

/* ---- containers and objects -------------------------------------------- */

static void object_free(sim_syn_object *o)
{
  if (!o)
    return;
  free(o->name);
  free(o->hashes);
  free(o->content_type);
  if (o->meta)
    json_object_put(o->meta);
  free(o);
}

static void container_free(sim_syn_container *c)
{
  size_t i;

  for (i = 0; i < c->nobjs; i++)
    object_free(c->objs[i]);
  free(c->objs);
  free(c->account);
  free(c->name);
  free(c);
}

void sim_syn_pithos_reset(sim_syn *st)
{
  size_t i;

  for (i = 0; i < st->nconts; i++)
    container_free(st->conts[i]);
  free(st->conts);
  st->conts = NULL;
  st->nconts = st->capconts = 0;
  for (i = 0; i < st->nblocks; i++)
    free(st->blocks[i].data);
  free(st->blocks);
  st->blocks = NULL;
  st->nblocks = st->capblocks = 0;
  if (st->block_ix)
    json_object_put(st->block_ix);
  st->block_ix = json_object_new_object();
}

sim_syn_container *sim_syn_container_get(sim_syn *st, const char *account,
                                         const char *name, int create)
{
  size_t i;
  sim_syn_container *c;

  for (i = 0; i < st->nconts; i++)
    if (strcmp(st->conts[i]->account, account) == 0 &&
        strcmp(st->conts[i]->name, name) == 0)
      return st->conts[i];
  if (!create)
    return NULL;
  if (st->nconts == st->capconts) {
    size_t nc = st->capconts ? st->capconts * 2 : 8;
    sim_syn_container **n = realloc(st->conts, nc * sizeof(*n));
    if (!n)
      return NULL;
    st->conts = n;
    st->capconts = nc;
  }
  c = calloc(1, sizeof(*c));
  if (!c)
    return NULL;
  c->account = strdup(account);
  c->name = strdup(name);
  c->block_size =
      (uint64_t)sim_config_long(st->s, "synnefo.block_size", 4194304);
  if (!c->account || !c->name) {
    container_free(c);
    return NULL;
  }
  st->conts[st->nconts++] = c;
  return c;
}

sim_syn_object *sim_syn_object_get(sim_syn_container *c, const char *name)
{
  size_t i;

  for (i = 0; i < c->nobjs; i++)
    if (strcmp(c->objs[i]->name, name) == 0)
      return c->objs[i];
  return NULL;
}

static void object_remove(sim_syn_container *c, const char *name)
{
  size_t i;

  for (i = 0; i < c->nobjs; i++)
    if (strcmp(c->objs[i]->name, name) == 0) {
      object_free(c->objs[i]);
      c->objs[i] = c->objs[--c->nobjs];
      return;
    }
}

static sim_syn_object *object_set(sim_syn *st, sim_syn_container *c,
                                  const char *name, uint64_t bytes,
                                  char (*hashes)[65], size_t n,
                                  const char *ctype)
{
  sim_syn_object *o = sim_syn_object_get(c, name);
  struct timespec ts;

  if (!o) {
    if (c->nobjs == c->cap) {
      size_t nc = c->cap ? c->cap * 2 : 16;
      sim_syn_object **no = realloc(c->objs, nc * sizeof(*no));
      if (!no)
        return NULL;
      c->objs = no;
      c->cap = nc;
    }
    o = calloc(1, sizeof(*o));
    if (!o || !(o->name = strdup(name))) {
      free(o);
      return NULL;
    }
    o->meta = json_object_new_object();
    sim_syn_uuid(st, o->uuid);
    c->objs[c->nobjs++] = o;
  }
  free(o->hashes);
  free(o->content_type);
  o->hashes = hashes;
  o->nhashes = n;
  o->bytes = bytes;
  o->content_type =
      strdup(ctype && *ctype ? ctype : "application/octet-stream");
  o->version = ++st->next_version;
  clock_gettime(CLOCK_REALTIME, &ts);
  o->mtime = (double)ts.tv_sec + ts.tv_nsec / 1e9;
  return o;
}

sim_syn_object *sim_syn_object_put_data(sim_syn *st, sim_syn_container *c,
                                        const char *name, const void *data,
                                        size_t len, const char *ctype)
{
  size_t n = (size_t)((len + c->block_size - 1) / c->block_size), i;
  char(*h)[65] = calloc(n ? n : 1, sizeof(*h));
  sim_syn_object *o;

  if (!h)
    return NULL;
  for (i = 0; i < n; i++) {
    size_t off = i * c->block_size;
    size_t l = len - off < c->block_size ? len - off : c->block_size;
    if (block_store(st, (const char *)data + off, l, h[i]) != 0) {
      free(h);
      return NULL;
    }
  }
  o = object_set(st, c, name, len, h, n, ctype);
  if (!o)
    free(h);
  return o;
}

static uint64_t container_bytes(sim_syn_container *c)
{
  uint64_t t = 0;
  size_t i;

  for (i = 0; i < c->nobjs; i++)
    t += c->objs[i]->bytes;
  return t;
}

/* Copy object bytes [from, to] into buf. */
static void object_read(sim_syn *st, sim_syn_container *c, sim_syn_object *o,
                        uint64_t from, uint64_t to, unsigned char *buf)
{
  uint64_t pos = from;

  memset(buf, 0, (size_t)(to - from + 1));
  while (pos <= to) {
    size_t bi = (size_t)(pos / c->block_size);
    uint64_t boff = pos % c->block_size;
    uint64_t take = c->block_size - boff;
    int ix = bi < o->nhashes ? block_find(st, o->hashes[bi]) : -1;
    if (take > to - pos + 1)
      take = to - pos + 1;
    if (ix >= 0) {
      sim_syn_block *b = &st->blocks[ix];
      if (boff < b->len) {
        size_t avail = b->len - (size_t)boff;
        memcpy(buf + (pos - from), b->data + boff,
               avail < take ? avail : (size_t)take);
      }
    }
    pos += take;
  }
}

/* ---- replies -------------------------------------------------------------
 */

static void container_headers(sim_req *r, sim_syn_container *c)
{
  char v[64];

  snprintf(v, sizeof(v), "%llu", (unsigned long long)c->block_size);
  sim_reply_header(r, "X-Container-Block-Size", v);
  sim_reply_header(r, "X-Container-Block-Hash", "sha256");
  snprintf(v, sizeof(v), "%zu", c->nobjs);
  sim_reply_header(r, "X-Container-Object-Count", v);
  snprintf(v, sizeof(v), "%llu", (unsigned long long)container_bytes(c));
  sim_reply_header(r, "X-Container-Bytes-Used", v);
  sim_reply_header(r, "X-Container-Policy-Versioning", "auto");
  sim_reply_header(r, "X-Container-Policy-Quota", "0");
}

static void object_headers(sim_req *r, sim_syn *st, sim_syn_object *o)
{
  char v[80], hex[65];

  sim_syn_merkle(o->hashes, o->nhashes, hex);
  snprintf(v, sizeof(v), "\"%s\"", hex);
  sim_reply_header(r, "ETag", hex);
  sim_reply_header(r, "X-Object-Hash", hex);
  sim_reply_header(r, "X-Object-UUID", o->uuid);
  snprintf(v, sizeof(v), "%ld", o->version);
  sim_reply_header(r, "X-Object-Version", v);
  snprintf(v, sizeof(v), "%.6f", o->mtime);
  sim_reply_header(r, "X-Object-Version-Timestamp", v);
  sim_reply_header(r, "X-Object-Modified-By", sim_syn_user(st));
  json_object_object_foreach(o->meta, k, mv)
  {
    char name[300];
    snprintf(name, sizeof(name), "X-Object-Meta-%s", k);
    sim_reply_header(r, name, json_object_get_string(mv));
  }
}

static int cmp_names(const void *a, const void *b)
{
  const sim_syn_object *x = *(sim_syn_object *const *)a;
  const sim_syn_object *y = *(sim_syn_object *const *)b;
  return strcmp(x->name, y->name);
}

static void list_objects(sim_syn *st, sim_req *r, sim_syn_container *c)
{
  const char *marker = sim_req_query(r, "marker");
  const char *prefix = sim_req_query(r, "prefix");
  const char *delim = sim_req_query(r, "delimiter");
  const char *path = sim_req_query(r, "path");
  const char *lim = sim_req_query(r, "limit");
  long deflim = sim_config_long(st->s, "synnefo.listing_limit", 10000);
  long limit = lim ? atol(lim) : deflim;
  json_object *arr = json_object_new_array();
  char pbuf[1024], last_sub[1024] = "";
  size_t i, n = 0;

  if (limit <= 0 || limit > deflim)
    limit = deflim;
  if (path) {
    snprintf(pbuf, sizeof(pbuf), "%s/", path);
    prefix = pbuf;
    delim = "/";
  }
  qsort(c->objs, c->nobjs, sizeof(*c->objs), cmp_names);
  for (i = 0; i < c->nobjs && (long)n < limit; i++) {
    sim_syn_object *o = c->objs[i];
    json_object *e;
    char hex[65], ts[64];
    if (marker && strcmp(o->name, marker) <= 0)
      continue;
    if (prefix && strncmp(o->name, prefix, strlen(prefix)) != 0)
      continue;
    if (delim && *delim) {
      const char *rest = o->name + (prefix ? strlen(prefix) : 0);
      const char *d = strstr(rest, delim);
      if (d) {
        char sub[1024];
        snprintf(sub, sizeof(sub), "%.*s", (int)(d - o->name + strlen(delim)),
                 o->name);
        if (strcmp(sub, last_sub) == 0 || (marker && strcmp(sub, marker) <= 0))
          continue;
        snprintf(last_sub, sizeof(last_sub), "%s", sub);
        e = json_object_new_object();
        json_object_object_add(e, "subdir", json_object_new_string(sub));
        json_object_array_add(arr, e);
        n++;
        continue;
      }
    }
    sim_syn_merkle(o->hashes, o->nhashes, hex);
    e = json_object_new_object();
    json_object_object_add(e, "name", json_object_new_string(o->name));
    json_object_object_add(e, "bytes",
                           json_object_new_int64((int64_t)o->bytes));
    json_object_object_add(e, "content_type",
                           json_object_new_string(o->content_type));
    json_object_object_add(e, "hash", json_object_new_string(""));
    json_object_object_add(e, "x_object_hash", json_object_new_string(hex));
    json_object_object_add(e, "x_object_uuid",
                           json_object_new_string(o->uuid));
    json_object_object_add(e, "x_object_version",
                           json_object_new_int64(o->version));
    snprintf(ts, sizeof(ts), "%.6f", o->mtime);
    json_object_object_add(e, "x_object_version_timestamp",
                           json_object_new_string(ts));
    sim_syn_iso(o->mtime, ts, sizeof(ts));
    json_object_object_add(e, "last_modified", json_object_new_string(ts));
    json_object_object_add(e, "x_object_modified_by",
                           json_object_new_string(sim_syn_user(st)));
    json_object_array_add(arr, e);
    n++;
  }
  container_headers(r, c);
  sim_reply_json(r, 200, arr);
}

static void list_containers(sim_syn *st, sim_req *r, const char *account)
{
  json_object *arr = json_object_new_array();
  size_t i;

  for (i = 0; i < st->nconts; i++) {
    sim_syn_container *c = st->conts[i];
    json_object *e;
    if (strcmp(c->account, account) != 0)
      continue;
    e = json_object_new_object();
    json_object_object_add(e, "name", json_object_new_string(c->name));
    json_object_object_add(e, "count",
                           json_object_new_int64((int64_t)c->nobjs));
    json_object_object_add(e, "bytes",
                           json_object_new_int64((int64_t)container_bytes(c)));
    json_object_object_add(e, "x_container_policy",
                           json_object_new_string("{}"));
    json_object_array_add(arr, e);
  }
  sim_reply_json(r, 200, arr);
}

/* PUT ?hashmap: create from a hashmap, or 409 with the missing hashes. */
static void put_hashmap(sim_syn *st, sim_req *r, sim_syn_container *c,
                        const char *acct, const char *cname, const char *oname)
{
  json_object *j = sim_req_json(r), *bytes, *hashes, *missing, *seen;
  size_t i, n, want;
  uint64_t nbytes;
  char(*h)[65];
  sim_syn_object *o;
  char hex[65], ver[32];

  (void)acct;
  if (!sim_req_header(r, "Content-Type")) {
    sim_syn_fault(r, 411, "lengthRequired", "Missing Content-Type header");
    return;
  }
  if (!j || !json_object_object_get_ex(j, "bytes", &bytes) ||
      !json_object_object_get_ex(j, "hashes", &hashes) ||
      !json_object_is_type(hashes, json_type_array)) {
    sim_syn_fault(r, 400, "badRequest", "Invalid data formatting");
    return;
  }
  nbytes = (uint64_t)json_object_get_int64(bytes);
  n = json_object_array_length(hashes);
  for (i = 0; i < n; i++)
    if (!is_hex64(
            json_object_get_string(json_object_array_get_idx(hashes, i)))) {
      sim_syn_fault(r, 400, "badRequest", "Invalid hash");
      return;
    }
  if (nbytes == 0) {
    if (n > 1) {
      sim_syn_fault(r, 400, "badRequest", "Invalid hashmap size");
      return;
    }
    n = 0;
  } else {
    uint64_t bs =
        c ? c->block_size
          : (uint64_t)sim_config_long(st->s, "synnefo.block_size", 4194304);
    want = (size_t)((nbytes + bs - 1) / bs);
    if (want != n) {
      sim_syn_fault(r, 400, "badRequest", "Invalid hashmap size");
      return;
    }
  }
  /* missing blocks first (the server checks them before the container) */
  missing = json_object_new_array();
  seen = json_object_new_object();
  for (i = 0; i < n; i++) {
    const char *hx =
        json_object_get_string(json_object_array_get_idx(hashes, i));
    char low[65];
    size_t k;
    for (k = 0; k < 65; k++)
      low[k] = (char)tolower((unsigned char)hx[k]);
    if (block_find(st, low) < 0 &&
        !json_object_object_get_ex(seen, low, NULL)) {
      json_object_object_add(seen, low, NULL);
      json_object_array_add(missing, json_object_new_string(low));
    }
  }
  json_object_put(seen);
  if (json_object_array_length(missing) > 0) {
    sim_count(st->s, "synnefo.hashmap_409", 1);
    sim_reply_json(r, 409, missing);
    return;
  }
  json_object_put(missing);
  if (!c) {
    sim_syn_fault(r, 404, "itemNotFound", "Container does not exist");
    return;
  }
  if (sim_req_header(r, "If-None-Match") && sim_syn_object_get(c, oname)) {
    sim_syn_fault(r, 412, "preconditionFailed", "Object exists");
    return;
  }
  h = calloc(n ? n : 1, sizeof(*h));
  if (!h) {
    sim_reply_text(r, 500, "sim: out of memory");
    return;
  }
  for (i = 0; i < n; i++) {
    size_t k;
    const char *hx =
        json_object_get_string(json_object_array_get_idx(hashes, i));
    for (k = 0; k < 65; k++)
      h[i][k] = (char)tolower((unsigned char)hx[k]);
  }
  o = object_set(st, c, oname, nbytes, h, n,
                 sim_req_header(r, "Content-Type"));
  if (!o) {
    free(h);
    sim_reply_text(r, 500, "sim: out of memory");
    return;
  }
  (void)cname;
  sim_syn_merkle(o->hashes, o->nhashes, hex);
  sim_reply_header(r, "ETag", hex);
  snprintf(ver, sizeof(ver), "%ld", o->version);
  sim_reply_header(r, "X-Object-Version", ver);
  sim_count(st->s, "synnefo.objects_created", 1);
  sim_reply(r, 201, "text/plain", "", 0);
}

/* POST container?update with application/octet-stream: store blocks. */
static void post_blocks(sim_syn *st, sim_req *r, sim_syn_container *c)
{
  struct evhttp_request *ev = sim_req_evhttp(r);
  struct evbuffer *in = ev ? evhttp_request_get_input_buffer(ev) : NULL;
  size_t len = in ? evbuffer_get_length(in) : 0, off;
  const char *ct = sim_req_header(r, "Content-Type");
  uint64_t bs =
      c ? c->block_size
        : (uint64_t)sim_config_long(st->s, "synnefo.block_size", 4194304);
  json_object *arr = json_object_new_array();

  if (ct && strcmp(ct, "application/octet-stream") == 0 && len > 0) {
    for (off = 0; off < len; off += (size_t)bs) {
      char hex[65];
      size_t l = len - off < bs ? len - off : (size_t)bs;
      unsigned char *buf = malloc(l ? l : 1);
      /* straight from the connection's buffer: no extra copy */
      if (buf && evbuffer_remove(in, buf, l) != (int)l) {
        free(buf);
        buf = NULL;
      }
      if (!buf || block_store_owned(st, buf, l, hex) != 0) {
        json_object_put(arr);
        sim_reply_text(r, 500, "sim: out of memory");
        return;
      }
      json_object_array_add(arr, json_object_new_string(hex));
    }
    sim_count(st->s, "synnefo.block_posts", 1);
    sim_count(st->s, "synnefo.block_bytes", (int64_t)len);
    sim_reply_json(r, 202, arr);
    return;
  }
  json_object_put(arr);
  sim_reply(r, 202, "text/plain", "", 0);
}

static void get_object(sim_syn *st, sim_req *r, sim_syn_container *c,
                       sim_syn_object *o, int head)
{
  const char *range = sim_req_header(r, "Range");
  const char *hm = sim_req_query(r, "hashmap");
  const char *fmt = sim_req_query(r, "format");
  unsigned long long from = 0, to;
  unsigned char *buf;
  char v[128];

  if (hm && !head && (!fmt || strcmp(fmt, "json") == 0)) {
    json_object *j = json_object_new_object(), *arr = json_object_new_array();
    size_t i;
    char e[65];
    json_object_object_add(j, "block_size",
                           json_object_new_int64((int64_t)c->block_size));
    json_object_object_add(j, "block_hash", json_object_new_string("sha256"));
    json_object_object_add(j, "bytes",
                           json_object_new_int64((int64_t)o->bytes));
    if (o->nhashes == 0) {
      sim_syn_block_hash("", 0, e);
      json_object_array_add(arr, json_object_new_string(e));
    }
    for (i = 0; i < o->nhashes; i++)
      json_object_array_add(arr, json_object_new_string(o->hashes[i]));
    json_object_object_add(j, "hashes", arr);
    object_headers(r, st, o);
    sim_reply_json(r, 200, j);
    return;
  }
  object_headers(r, st, o);
  if (head) {
    snprintf(v, sizeof(v), "%llu", (unsigned long long)o->bytes);
    sim_reply_header(r, "X-Object-Bytes", v);
    sim_reply(r, 200, o->content_type, "", 0);
    return;
  }
  if (range && o->bytes > 0) {
    char *dash;
    if (strncmp(range, "bytes=", 6) != 0 || strchr(range, ',') ||
        !(dash = strchr(range + 6, '-'))) {
      sim_syn_fault(r, 416, "rangeNotSatisfiable", "Invalid range");
      return;
    }
    to = o->bytes - 1;
    if (dash == range + 6) { /* suffix */
      unsigned long long suf = strtoull(dash + 1, NULL, 10);
      from = suf >= o->bytes ? 0 : o->bytes - suf;
    } else {
      from = strtoull(range + 6, NULL, 10);
      if (dash[1])
        to = strtoull(dash + 1, NULL, 10);
    }
    if (to >= o->bytes)
      to = o->bytes - 1;
    if (from > to || from >= o->bytes) {
      snprintf(v, sizeof(v), "bytes */%llu", (unsigned long long)o->bytes);
      sim_reply_header(r, "Content-Range", v);
      sim_syn_fault(r, 416, "rangeNotSatisfiable",
                    "Requested range not satisfiable");
      return;
    }
    buf = malloc((size_t)(to - from + 1));
    if (!buf) {
      sim_reply_text(r, 500, "sim: out of memory");
      return;
    }
    object_read(st, c, o, from, to, buf);
    snprintf(v, sizeof(v), "bytes %llu-%llu/%llu", from, to,
             (unsigned long long)o->bytes);
    sim_reply_header(r, "Content-Range", v);
    sim_count(st->s, "synnefo.range_gets", 1);
    sim_reply(r, 206, o->content_type, buf, (size_t)(to - from + 1));
    free(buf);
    return;
  }
  if (o->bytes == 0) {
    sim_reply(r, 200, o->content_type, "", 0);
    return;
  }
  buf = malloc((size_t)o->bytes);
  if (!buf) {
    sim_reply_text(r, 500, "sim: out of memory");
    return;
  }
  object_read(st, c, o, 0, o->bytes - 1, buf);
  sim_reply(r, 200, o->content_type, buf, (size_t)o->bytes);
  free(buf);
}

/* Block uploads are 4 MiB bodies: let the connection read them in large
 * chunks (libevent's default single read is 16 KiB). */
static void big_reads(sim_req *r)
{
  struct evhttp_request *ev = sim_req_evhttp(r);
  struct evhttp_connection *con =
      ev ? evhttp_request_get_connection(ev) : NULL;
  struct bufferevent *bev =
      con ? evhttp_connection_get_bufferevent(con) : NULL;

  if (bev && bufferevent_get_max_single_read(bev) < (ev_ssize_t)1 << 20)
    bufferevent_set_max_single_read(bev, (size_t)1 << 20);
}

/* rest = "<account>[/<container>[/<object...>]]" */
void sim_syn_pithos(sim_syn *st, sim_req *r, const char *rest)
{
  const char *m = sim_req_method(r);
  char acct[256] = "", cname[256] = "";
  const char *oname = NULL, *slash;
  sim_syn_container *c;
  sim_syn_object *o;

  if (!sim_syn_auth(st, r))
    return;
  big_reads(r);
  slash = strchr(rest, '/');
  snprintf(acct, sizeof(acct), "%.*s",
           (int)(slash ? (size_t)(slash - rest) : strlen(rest)), rest);
  if (slash && slash[1]) {
    const char *s2 = strchr(slash + 1, '/');
    snprintf(cname, sizeof(cname), "%.*s",
             (int)(s2 ? (size_t)(s2 - slash - 1) : strlen(slash + 1)),
             slash + 1);
    if (s2 && s2[1])
      oname = s2 + 1;
  }
  if (!*acct) {
    sim_syn_fault(r, 400, "badRequest", "Missing account");
    return;
  }
  if (strcmp(acct, sim_syn_user(st)) != 0) {
    sim_syn_fault(r, 403, "forbidden", "Not allowed");
    return;
  }
  if (!*cname) { /* account */
    if (strcmp(m, "HEAD") == 0) {
      sim_reply(r, 204, NULL, "", 0);
    } else if (strcmp(m, "GET") == 0) {
      list_containers(st, r, acct);
    } else {
      sim_syn_fault(r, 405, "notAllowed", "Method not allowed");
    }
    return;
  }
  c = sim_syn_container_get(st, acct, cname, 0);
  if (!oname) {
    if (strcmp(m, "PUT") == 0) {
      int existed = c != NULL;
      if (!sim_syn_container_get(st, acct, cname, 1)) {
        sim_reply_text(r, 500, "sim: out of memory");
        return;
      }
      sim_reply(r, existed ? 202 : 201, "text/plain", "", 0);
    } else if (strcmp(m, "POST") == 0 && sim_req_query(r, "update")) {
      post_blocks(st, r, c);
    } else if (!c) {
      sim_syn_fault(r, 404, "itemNotFound", "Container does not exist");
    } else if (strcmp(m, "HEAD") == 0) {
      container_headers(r, c);
      sim_reply(r, 204, NULL, "", 0);
    } else if (strcmp(m, "GET") == 0) {
      list_objects(st, r, c);
    } else if (strcmp(m, "DELETE") == 0) {
      size_t i;
      if (c->nobjs) {
        sim_syn_fault(r, 409, "conflict", "Container is not empty");
        return;
      }
      for (i = 0; i < st->nconts; i++)
        if (st->conts[i] == c) {
          st->conts[i] = st->conts[--st->nconts];
          break;
        }
      container_free(c);
      sim_reply(r, 204, NULL, "", 0);
    } else {
      sim_syn_fault(r, 405, "notAllowed", "Method not allowed");
    }
    return;
  }
  if (strcmp(m, "PUT") == 0 && sim_req_query(r, "hashmap")) {
    put_hashmap(st, r, c, acct, cname, oname);
    return;
  }
  if (!c) {
    sim_syn_fault(r, 404, "itemNotFound", "Container does not exist");
    return;
  }
  if (strcmp(m, "PUT") == 0) {
    size_t len = 0;
    const char *body = sim_req_body(r, &len);
    char hex[65], ver[32];
    o = sim_syn_object_put_data(st, c, oname, body, len,
                                sim_req_header(r, "Content-Type"));
    if (!o) {
      sim_reply_text(r, 500, "sim: out of memory");
      return;
    }
    sim_syn_merkle(o->hashes, o->nhashes, hex);
    sim_reply_header(r, "ETag", hex);
    snprintf(ver, sizeof(ver), "%ld", o->version);
    sim_reply_header(r, "X-Object-Version", ver);
    sim_reply(r, 201, "text/plain", "", 0);
    return;
  }
  o = sim_syn_object_get(c, oname);
  if (!o) {
    sim_syn_fault(r, 404, "itemNotFound", "Object does not exist");
    return;
  }
  if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
    get_object(st, r, c, o, strcmp(m, "HEAD") == 0);
  } else if (strcmp(m, "DELETE") == 0) {
    object_remove(c, oname);
    sim_reply(r, 204, NULL, "", 0);
  } else if (strcmp(m, "POST") == 0) {
    sim_reply(r, 202, "text/plain", "", 0);
  } else {
    sim_syn_fault(r, 405, "notAllowed", "Method not allowed");
  }
}
