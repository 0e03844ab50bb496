/*
 * callmux simulator: Kentik (HyperTagging batch API, Sites, Devices), per
 * shared/specs/kentik.md.
 *
 * Configuration (sim_config_get / callmux-sim --set KEY=VALUE), read on
 * every request:
 *   kentik.email           credential email (default "test@example.com")
 *   kentik.token           credential token (default "test-token")
 *   kentik.part_limit      largest batch part body in bytes (default
 *                          750000): 413 {"error": ...} beyond
 *   kentik.max_concurrent  requests at once per customer (default 1): 429
 *   kentik.per_minute      hard limit per rolling minute (default 60): 429
 *   kentik.per_hour        hard limit per rolling hour (default 3750): 429
 *   kentik.soft_per_minute soft limit per rolling minute (default 20);
 *                          above it the reply is delayed kentik.soft_delay_ms
 *                          (default 1500)
 *   kentik.delay_ms        extra delay of every reply (default 0)
 *   kentik.apply_delay_ms  a completed batch stays pending this long before
 *                          it is applied (default 0: applied with its last
 *                          part); applied lazily on the next request
 * 429 replies carry {"error":"Too Many Requests"} and Retry-After (seconds).
 *
 * Routes (all need X-CH-Auth-Email and X-CH-Auth-API-Token, else 401
 * {"error":"Unauthorized"}):
 *   POST /api/v5/batch/customdimensions/{name}/populators  202 {message,guid}
 *   POST /api/v5/batch/tags                                202 {message,guid}
 *   GET  /api/v5/batch/{guid}/status                       200 status
 *   GET  /api/v5/sites, GET|PUT|DELETE /api/v5/site/{id}, POST /api/v5/site
 *        (site_name 3..40 of letters, digits, space, _ and -; lat -90..90,
 *        lon -180..180; POST echoes company_id as a string, PUT also the
 *        id, as in the reference SDK's fixtures; DELETE 204)
 *   POST /api/v5/device (201), GET /api/v5/devices, GET|PUT|DELETE
 *        /api/v5/device/{id} (ids are strings; the reply carries the full
 *        plan object, device_bgp_type "none" when unset, masked SNMPv3
 *        passphrases; the first DELETE archives, the second removes)
 * Batch parts: "guid" empty or absent starts a batch (the server issues a
 * UUID-like guid); later parts must name an open batch of the same target;
 * each part is checked as it arrives (parsed once, its entries reduced to
 * their lower-case values and canonical criteria) and kept; the batch is
 * assembled and applied only when the part with "complete": true arrives.
 * Server-side validation (gohippo rules): values 1..128 of [A-Za-z0-9 _-];
 * direction src/dst/either/"" for populators, ""/either for tags; at least one
 * criteria field; at most 100 port/protocol/asn/nexthop_asn/device_type items,
 * 500 lasthop_as_name/ nexthop_as_name/site items; addr and nexthop parse as
 * IP/CIDR; BGP strings of []*:_^$|.0123456789()+?, - only.  Invalid entries do
 * not fail the POST: they are counted in the status.  Unknown keys are
 * ignored. Dimension names: 3..20 of [A-Za-z0-9_] starting with "c_", else
 * 404.
 *
 * Counters: kentik.parts (accepted), kentik.batches_opened (parts without
 * a guid), kentik.parts_chained (parts naming an open batch's guid),
 * kentik.parts_complete, kentik.part_bytes_max (largest part accepted),
 * kentik.batches_applied, kentik.rate_limited,
 * kentik.too_large, kentik.unauthorized, kentik.populators (values stored,
 * every dimension), kentik.tags, kentik.devices.
 */
#include "config.h"

#include <arpa/inet.h>
#include <json-c/json.h>
#include <json-c/linkhash.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/sim.h"

/* ---- state ---------------------------------------------------------- */

/* Bump allocator for the many small strings of staged parts and stores:
 * millions of separate mallocs interleaved with each part's short-lived
 * JSON tree fragment the heap and make every later malloc slow. */
typedef struct kblock {
  struct kblock *next;
  size_t used, cap;
  char data[];
} kblock;

typedef struct karena {
  kblock *head;
} karena;

static char *arena_dup(karena *a, const char *s, size_t n)
{
  kblock *b = a->head;
  char *p;

  if (!b || b->cap - b->used < n + 1) {
    size_t cap = n + 1 > (1u << 20) ? n + 1 : (1u << 20);
    b = malloc(sizeof(*b) + cap);
    if (!b)
      return NULL;
    b->next = a->head;
    b->used = 0;
    b->cap = cap;
    a->head = b;
  }
  p = b->data + b->used;
  memcpy(p, s, n);
  p[n] = '\0';
  b->used += n + 1;
  return p;
}

/* ASCII lower-case copy. */
static char *arena_lower(karena *a, const char *s)
{
  char *p = arena_dup(a, s, strlen(s)), *q;

  if (p)
    for (q = p; *q; q++)
      if (*q >= 'A' && *q <= 'Z')
        *q = (char)(*q - 'A' + 'a');
  return p;
}

static void arena_free(karena *a)
{
  while (a->head) {
    kblock *n = a->head->next;
    free(a->head);
    a->head = n;
  }
}

typedef struct kstore {
  char *name; /* dimension name, NULL for tags */
  long id;
  struct lh_table *map; /* lower-case value -> criteria lines (in arena;
                           replaced lines stay there until a reset) */
  karena arena;
  struct kstore *next;
} kstore;

/* One upsert entry of a received part, checked and reduced when the part
 * arrives (the part is parsed once); applied when the batch completes. */
typedef struct kup {
  char *key; /* lower-case value; NULL when the entry or value is invalid */
  /* (key and lines live in the batch's arena) */
  char *lines; /* valid criteria as compact JSON, '\n'-separated, or NULL */
  long total, invalid;
} kup;

typedef struct kbatch {
  char guid[40];
  kstore *target;
  int replace_all, complete, applied;
  size_t nparts;
  kup *ups; /* every part's upserts, in the order received */
  size_t nups, capups;
  char **dels; /* every part's deletes (lower-case; NULL: invalid) */
  size_t ndels, capdels;
  karena arena;  /* keys and lines of ups and dels */
  char *scratch; /* one entry's lines while they are joined */
  size_t scratchcap;
  uint64_t complete_ms;
  char date[40];
  struct {
    long total, applied, invalid, unchanged;
  } up, del;
  long deletes_performed;
  struct kbatch *next;
} kbatch;

typedef struct kdev {
  struct json_object *obj;
  struct kdev *next;
} kdev;

typedef struct kstate {
  sim *s;
  sim_service *svc;
  kstore *stores; /* tags store first */
  long next_dim_id;
  kbatch *batches;
  uint64_t *minute, *hour; /* ring buffers of request times */
  size_t mcap, mhead, mlen, hcap, hhead, hlen;
  struct kbusy {
    const sim_req *r;
    uint64_t until;
  } * busy; /* deferred replies: in flight until answered (or until) */
  size_t nbusy, capbusy;
  struct json_object *sites; /* array */
  long next_site_id;
  kdev *devs;
  long next_dev_id;
  unsigned long long guid_seq;
} kstate;

typedef void (*khandler)(kstate *st, sim_req *r);

typedef struct kroute {
  kstate *st;
  khandler fn;
} kroute;

static uint64_t now_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void reply_error(sim_req *r, int status, const char *msg)
{
  struct json_object *o = json_object_new_object();

  json_object_object_add(o, "error", json_object_new_string(msg));
  sim_reply_json(r, status, o);
}

static kstore *store_new(kstate *st, const char *name)
{
  kstore *k = calloc(1, sizeof(*k));

  if (!k)
    return NULL;
  k->map = lh_kchar_table_new(64, NULL);
  if (name)
    k->name = strdup(name);
  if (!k->map || (name && !k->name)) {
    if (k->map)
      lh_table_free(k->map);
    free(k->name);
    free(k);
    return NULL;
  }
  k->id = name ? st->next_dim_id++ : -1;
  return k;
}

static void store_free(kstore *k)
{
  lh_table_free(k->map);
  arena_free(&k->arena);
  free(k->name);
  free(k);
}

static void batch_drop_staged(kbatch *b)
{
  arena_free(&b->arena);
  free(b->scratch);
  b->scratch = NULL;
  b->scratchcap = 0;
  free(b->ups);
  free(b->dels);
  b->ups = NULL;
  b->dels = NULL;
  b->nups = b->capups = b->ndels = b->capdels = 0;
}

static void batch_free(kbatch *b)
{
  batch_drop_staged(b);
  free(b);
}

static void seed_sites(kstate *st)
{
  struct json_object *a = json_object_new_object(),
                     *b = json_object_new_object();

  st->sites = json_object_new_array();
  json_object_object_add(a, "id", json_object_new_int(42));
  json_object_object_add(a, "site_name",
                         json_object_new_string("apitest-site-1"));
  json_object_object_add(a, "lat", json_object_new_double(54.349276));
  json_object_object_add(a, "lon", json_object_new_double(18.659577));
  json_object_object_add(a, "company_id", json_object_new_int(3250));
  json_object_object_add(b, "id", json_object_new_int(43));
  json_object_object_add(b, "site_name",
                         json_object_new_string("apitest-site-2"));
  json_object_object_add(b, "lat", NULL);
  json_object_object_add(b, "lon", NULL);
  json_object_object_add(b, "company_id", json_object_new_int(3250));
  json_object_array_add(st->sites, a);
  json_object_array_add(st->sites, b);
  st->next_site_id = 44;
}

static void clear(kstate *st)
{
  while (st->stores) {
    kstore *n = st->stores->next;
    store_free(st->stores);
    st->stores = n;
  }
  while (st->batches) {
    kbatch *n = st->batches->next;
    batch_free(st->batches);
    st->batches = n;
  }
  while (st->devs) {
    kdev *n = st->devs->next;
    json_object_put(st->devs->obj);
    free(st->devs);
    st->devs = n;
  }
  json_object_put(st->sites);
  st->sites = NULL;
  st->mhead = st->mlen = st->hhead = st->hlen = 0;
  st->nbusy = 0;
}

static void init_state(kstate *st)
{
  st->next_dim_id = 98;
  st->next_dev_id = 1001;
  st->stores = store_new(st, NULL); /* the tags */
  seed_sites(st);
}

static void on_reset(void *arg)
{
  kstate *st = arg;

  clear(st);
  init_state(st);
}

static void on_free(void *arg)
{
  kstate *st = arg;

  clear(st);
  free(st->minute);
  free(st->hour);
  free(st->busy);
  free(st);
}

/* ---- rate limits ------------------------------------------------------ */

static int ring_push(uint64_t **ring, size_t *cap, size_t *head, size_t *len,
                     uint64_t v)
{
  if (*len == *cap) {
    size_t nc = *cap ? *cap * 2 : 128, i;
    uint64_t *n = malloc(nc * sizeof(*n));
    if (!n)
      return -1;
    for (i = 0; i < *len; i++)
      n[i] = (*ring)[(*head + i) % *cap];
    free(*ring);
    *ring = n;
    *cap = nc;
    *head = 0;
  }
  (*ring)[(*head + *len) % *cap] = v;
  (*len)++;
  return 0;
}

static void ring_expire(uint64_t *ring, size_t cap, size_t *head, size_t *len,
                        uint64_t cutoff)
{
  while (*len && ring[*head] <= cutoff) {
    *head = (*head + 1) % cap;
    (*len)--;
  }
}

/* 0 when admitted (delay set), else the Retry-After in seconds. */
static long admit(kstate *st, uint64_t now, unsigned *delay)
{
  long max_conc = sim_config_long(st->s, "kentik.max_concurrent", 1);
  long per_min = sim_config_long(st->s, "kentik.per_minute", 60);
  long per_hour = sim_config_long(st->s, "kentik.per_hour", 3750);
  long soft = sim_config_long(st->s, "kentik.soft_per_minute", 20);
  size_t i, j;

  for (i = j = 0; i < st->nbusy; i++)
    if (st->busy[i].until > now)
      st->busy[j++] = st->busy[i];
  st->nbusy = j;
  if (max_conc > 0 && (long)st->nbusy >= max_conc)
    return 1;
  ring_expire(st->minute, st->mcap, &st->mhead, &st->mlen,
              now >= 60000 ? now - 60000 : 0);
  ring_expire(st->hour, st->hcap, &st->hhead, &st->hlen,
              now >= 3600000 ? now - 3600000 : 0);
  if (per_min > 0 && (long)st->mlen >= per_min)
    return (long)((st->minute[st->mhead] + 60000 - now) / 1000) + 1;
  if (per_hour > 0 && (long)st->hlen >= per_hour)
    return (long)((st->hour[st->hhead] + 3600000 - now) / 1000) + 1;
  ring_push(&st->minute, &st->mcap, &st->mhead, &st->mlen, now);
  ring_push(&st->hour, &st->hcap, &st->hhead, &st->hlen, now);
  *delay = (unsigned)sim_config_long(st->s, "kentik.delay_ms", 0);
  if (soft > 0 && (long)st->mlen > soft)
    *delay += (unsigned)sim_config_long(st->s, "kentik.soft_delay_ms", 1500);
  return 0;
}

static void apply_due(kstate *st);

static void run_later(sim_req *r, void *arg)
{
  kroute *rt = arg;

  apply_due(rt->st);
  rt->fn(rt->st, r);
}

/* A deferred request is answered now: it stops counting as in flight.
 * (Its entry also expires by time, for requests whose client went away;
 * time alone is not enough: the loop's timers may fire a few ms before
 * now_ms() reaches the entry's end.) */
static void run_deferred(sim_req *r, void *arg)
{
  kroute *rt = arg;
  kstate *st = rt->st;
  size_t i;

  for (i = 0; i < st->nbusy; i++)
    if (st->busy[i].r == r) {
      st->busy[i] = st->busy[--st->nbusy];
      break;
    }
  run_later(r, arg);
}

static void entry(sim_req *r, void *arg)
{
  kroute *rt = arg;
  kstate *st = rt->st;
  const char *em = sim_req_header(r, "X-CH-Auth-Email");
  const char *tk = sim_req_header(r, "X-CH-Auth-API-Token");
  unsigned delay = 0;
  uint64_t now = now_ms();
  long wait;
  char ra[32];

  if (!em || !tk ||
      strcmp(em, sim_config_get(st->s, "kentik.email", "test@example.com")) ||
      strcmp(tk, sim_config_get(st->s, "kentik.token", "test-token"))) {
    sim_count(st->s, "kentik.unauthorized", 1);
    reply_error(r, 401, "Unauthorized");
    return;
  }
  wait = admit(st, now, &delay);
  if (wait) {
    sim_count(st->s, "kentik.rate_limited", 1);
    snprintf(ra, sizeof(ra), "%ld", wait);
    sim_reply_header(r, "Retry-After", ra);
    reply_error(r, 429, "Too Many Requests");
    return;
  }
  if (delay) {
    if (st->nbusy == st->capbusy) {
      size_t nc = st->capbusy ? st->capbusy * 2 : 8;
      struct kbusy *n = realloc(st->busy, nc * sizeof(*n));
      if (n) {
        st->busy = n;
        st->capbusy = nc;
      }
    }
    if (st->nbusy < st->capbusy) {
      st->busy[st->nbusy].r = r;
      st->busy[st->nbusy++].until = now + delay;
    }
    if (sim_req_later(r, delay, run_deferred, rt) == 0)
      return;
    if (st->nbusy && st->busy[st->nbusy - 1].r == r)
      st->nbusy--; /* not deferred after all */
  }
  run_later(r, rt);
}

/* ---- server-side validation -------------------------------------------- */

static int value_ok(const char *v)
{
  size_t n = strlen(v), i;

  if (n < 1 || n > 128)
    return 0;
  for (i = 0; i < n; i++) {
    char c = v[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == ' ' || c == '-' || c == '_'))
      return 0;
  }
  return 1;
}

static int ip_ok(const char *s)
{
  char buf[64], *slash;
  unsigned char a[16];
  int v6;

  if (strlen(s) >= sizeof(buf))
    return 0;
  strcpy(buf, s);
  slash = strchr(buf, '/');
  if (slash)
    *slash = '\0';
  v6 = strchr(buf, ':') != NULL;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, a) != 1)
    return 0;
  if (slash) {
    char *end;
    long p = strtol(slash + 1, &end, 10);
    if (!slash[1] || *end || p < 0 || p > (v6 ? 128 : 32))
      return 0;
  }
  return 1;
}

static int num_range_ok(const char *s, long long max)
{
  char *end;
  long long a, b;

  a = strtoll(s, &end, 10);
  if (end == s || a < 0 || a > max)
    return 0;
  if (!*end)
    return 1;
  if (*end != '-')
    return 0;
  s = end + 1;
  b = strtoll(s, &end, 10);
  return end != s && !*end && b >= a && b <= max;
}

static int bgp_ok(const char *s)
{
  for (; *s; s++)
    if (!strchr("[]*:_^$|.0123456789()+?, -", *s))
      return 0;
  return 1;
}

/* 1 when the criteria object is valid for the target. */
static int criteria_ok(struct json_object *c, int tags)
{
  struct json_object *v;
  int fields = 0;

  if (!json_object_is_type(c, json_type_object))
    return 0;
  if (json_object_object_get_ex(c, "direction", &v)) {
    const char *d = json_object_get_string(v);
    if (!json_object_is_type(v, json_type_string))
      return 0;
    if (tags ? (strcasecmp(d, "") && strcasecmp(d, "either"))
             : (strcasecmp(d, "") && strcasecmp(d, "src") &&
                strcasecmp(d, "dst") && strcasecmp(d, "either")))
      return 0;
  }
  json_object_object_foreach(c, key, val)
  {
    size_t n, i, lim = 0;
    int kind = 0; /* 1 port, 2 asn, 3 ip, 4 bgp, 5 protocol, 6 string */

    if (!strcmp(key, "direction"))
      continue;
    if (!strcmp(key, "tcp_flags")) {
      if (!json_object_is_type(val, json_type_int) ||
          json_object_get_int64(val) < 0 || json_object_get_int64(val) > 255)
        return 0;
      fields++;
      continue;
    }
    if (!strcmp(key, "port"))
      kind = 1, lim = 100;
    else if (!strcmp(key, "vlans"))
      kind = 7, lim = 100;
    else if (!strcmp(key, "asn") || !strcmp(key, "nexthop_asn"))
      kind = 2, lim = 100;
    else if (!strcmp(key, "addr") || !strcmp(key, "nexthop"))
      kind = 3;
    else if (!strcmp(key, "bgp_aspath") || !strcmp(key, "bgp_community"))
      kind = 4;
    else if (!strcmp(key, "protocol"))
      kind = 5, lim = 100;
    else if (!strcmp(key, "device_type"))
      kind = 6, lim = 100;
    else if (!strcmp(key, "lasthop_as_name") ||
             !strcmp(key, "nexthop_as_name") || !strcmp(key, "site"))
      kind = 6, lim = 500;
    else if (!strcmp(key, "mac") || !strcmp(key, "country") ||
             !strcmp(key, "interface_name") || !strcmp(key, "device_name"))
      kind = 6;
    else
      continue; /* unknown keys are ignored */
    if (!json_object_is_type(val, json_type_array))
      return 0;
    n = json_object_array_length(val);
    if (lim && n > lim)
      return 0;
    for (i = 0; i < n; i++) {
      struct json_object *e = json_object_array_get_idx(val, i);
      const char *s = json_object_get_string(e);
      if (kind == 5) {
        if (!json_object_is_type(e, json_type_int) ||
            json_object_get_int64(e) < 0 || json_object_get_int64(e) > 255)
          return 0;
        continue;
      }
      if (!json_object_is_type(e, json_type_string))
        return 0;
      if ((kind == 1 && !num_range_ok(s, 65535)) ||
          (kind == 7 && !num_range_ok(s, 4095)) ||
          (kind == 2 && !num_range_ok(s, 4294967295LL)) ||
          (kind == 3 && !ip_ok(s)) || (kind == 4 && !bgp_ok(s)) ||
          (kind == 6 && !*s))
        return 0;
    }
    if (n)
      fields++;
  }
  return fields > 0; /* else "Missing criteria" */
}

/* ---- applying a batch -------------------------------------------------- */

static int line_in(const char *lines, const char *line, size_t n)
{
  const char *p = lines;

  while (p && *p) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    if (len == n && memcmp(p, line, n) == 0)
      return 1;
    p = nl ? nl + 1 : NULL;
  }
  return 0;
}

static void count_store(kstate *st, kstore *k, long delta)
{
  sim_count(st->s, k->name ? "kentik.populators" : "kentik.tags", delta);
}

/* Reduce one upsert entry of an arriving part to a kup (0, or -1 on
 * ENOMEM). */
static int stage_upsert(kbatch *b, struct json_object *u)
{
  struct json_object *v, *crits;
  kup k = {NULL, NULL, 1, 1};
  size_t n, i, len = 0;

  if (b->nups == b->capups) {
    size_t nc = b->capups ? b->capups * 2 : 256;
    kup *nu = realloc(b->ups, nc * sizeof(*nu));
    if (!nu)
      return -1;
    b->ups = nu;
    b->capups = nc;
  }
  if (json_object_object_get_ex(u, "value", &v) &&
      json_object_is_type(v, json_type_string) &&
      json_object_object_get_ex(u, "criteria", &crits) &&
      json_object_is_type(crits, json_type_array)) {
    n = json_object_array_length(crits);
    k.total = k.invalid = (long)n;
    if (value_ok(json_object_get_string(v))) {
      k.key = arena_lower(&b->arena, json_object_get_string(v));
      if (!k.key)
        return -1;
      k.invalid = 0;
      for (i = 0; i < n; i++) {
        struct json_object *c = json_object_array_get_idx(crits, i);
        const char *txt;
        size_t tl;

        if (!criteria_ok(c, b->target->name == NULL)) {
          k.invalid++;
          continue;
        }
        txt = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN);
        tl = strlen(txt);
        if (len + tl + 2 > b->scratchcap) {
          size_t nc = (len + tl + 2) * 2;
          char *nb = realloc(b->scratch, nc);
          if (!nb)
            return -1;
          b->scratch = nb;
          b->scratchcap = nc;
        }
        if (len)
          b->scratch[len++] = '\n';
        memcpy(b->scratch + len, txt, tl);
        len += tl;
      }
      if (len) {
        k.lines = arena_dup(&b->arena, b->scratch, len);
        if (!k.lines)
          return -1;
      }
    }
  }
  b->ups[b->nups++] = k;
  return 0;
}

static int stage_delete(kbatch *b, struct json_object *d)
{
  struct json_object *v;
  char *key = NULL;

  if (b->ndels == b->capdels) {
    size_t nc = b->capdels ? b->capdels * 2 : 64;
    char **nd = realloc(b->dels, nc * sizeof(*nd));
    if (!nd)
      return -1;
    b->dels = nd;
    b->capdels = nc;
  }
  if (json_object_object_get_ex(d, "value", &v) &&
      json_object_is_type(v, json_type_string) &&
      value_ok(json_object_get_string(v))) {
    key = arena_lower(&b->arena, json_object_get_string(v));
    if (!key)
      return -1;
  }
  b->dels[b->ndels++] = key;
  return 0;
}

/* Stage the upserts and deletes of one arriving part. */
static int stage_part(kbatch *b, struct json_object *o)
{
  struct json_object *arr;
  size_t i, n;

  if (json_object_object_get_ex(o, "upserts", &arr) &&
      json_object_is_type(arr, json_type_array)) {
    n = json_object_array_length(arr);
    for (i = 0; i < n; i++)
      if (stage_upsert(b, json_object_array_get_idx(arr, i)) != 0)
        return -1;
  }
  if (json_object_object_get_ex(o, "deletes", &arr) &&
      json_object_is_type(arr, json_type_array)) {
    n = json_object_array_length(arr);
    for (i = 0; i < n; i++)
      if (stage_delete(b, json_object_array_get_idx(arr, i)) != 0)
        return -1;
  }
  return 0;
}

static void apply_upsert(kstate *st, kbatch *b, kup *u, struct lh_table *named)
{
  kstore *k = b->target;
  const char *old, *p;
  char *lines;
  long unchanged = 0, valid = u->total - u->invalid;
  struct lh_entry *e;

  b->up.total += u->total;
  b->up.invalid += u->invalid;
  if (!u->key)
    return;
  e = lh_table_lookup_entry(k->map, u->key);
  old = e ? (const char *)lh_entry_v(e) : NULL;
  for (p = u->lines; old && p && *p;) {
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);

    if (line_in(old, p, n))
      unchanged++;
    p = nl ? nl + 1 : NULL;
  }
  b->up.unchanged += unchanged;
  b->up.applied += valid - unchanged;
  if (!lh_table_lookup_entry(named, u->key))
    lh_table_insert(named, u->key, NULL); /* borrowed until the apply ends */
  if (!valid || (old && !strcmp(old, u->lines)))
    return; /* nothing valid, or the very same criteria */
  lines = arena_dup(&k->arena, u->lines, strlen(u->lines));
  if (!lines)
    return;
  if (e) {
    e->v = lines;
  } else {
    char *key = arena_dup(&k->arena, u->key, strlen(u->key));
    if (!key)
      return;
    lh_table_insert(k->map, key, lines);
    count_store(st, k, 1);
  }
}

static void apply_delete(kstate *st, kbatch *b, const char *key,
                         struct lh_table *named)
{
  struct lh_entry *e;

  b->del.total++;
  if (!key) {
    b->del.invalid++;
  } else if (lh_table_lookup_entry(named, key)) {
    b->del.unchanged++; /* also upserted: ignored */
  } else if ((e = lh_table_lookup_entry(b->target->map, key)) != NULL) {
    lh_table_delete_entry(b->target->map, e);
    count_store(st, b->target, -1);
    b->del.applied++;
  } else {
    b->del.unchanged++;
  }
}

static void apply_batch(kstate *st, kbatch *b)
{
  struct lh_table *named = lh_kchar_table_new(64, NULL);
  size_t i;

  if (!named)
    return;
  /* upserts first (so deletes of upserted values are recognised), then
   * deletes, each in the order received */
  for (i = 0; i < b->nups; i++)
    apply_upsert(st, b, &b->ups[i], named);
  for (i = 0; i < b->ndels; i++)
    apply_delete(st, b, b->dels[i], named);
  if (b->replace_all) {
    struct lh_entry *e, *tmp;
    lh_foreach_safe(b->target->map, e, tmp)
    {
      if (!lh_table_lookup_entry(named, lh_entry_k(e))) {
        lh_table_delete_entry(b->target->map, e);
        count_store(st, b->target, -1);
        b->deletes_performed++;
      }
    }
  }
  lh_table_free(named);
  batch_drop_staged(b);
  b->applied = 1;
  sim_count(st->s, "kentik.batches_applied", 1);
}

static void apply_due(kstate *st)
{
  uint64_t now = now_ms();
  long delay = sim_config_long(st->s, "kentik.apply_delay_ms", 0);
  kbatch *b;

  for (b = st->batches; b; b = b->next)
    if (b->complete && !b->applied &&
        now >= b->complete_ms + (uint64_t)(delay > 0 ? delay : 0))
      apply_batch(st, b);
}

/* ---- batch routes ------------------------------------------------------ */

static kbatch *find_batch(kstate *st, const char *guid)
{
  kbatch *b;

  for (b = st->batches; b; b = b->next)
    if (strcmp(b->guid, guid) == 0)
      return b;
  return NULL;
}

static int dim_ok(const char *n)
{
  size_t len = strlen(n), i;

  if (len < 3 || len > 20 || n[0] != 'c' || n[1] != '_')
    return 0;
  for (i = 0; i < len; i++)
    if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
          (n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
      return 0;
  return 1;
}

static void batch_post(kstate *st, sim_req *r, kstore *target)
{
  size_t len = 0;
  struct json_object *o, *v;
  const char *guid = "";
  int replace_all, complete;
  kbatch *b;
  struct json_object *res;
  long limit = sim_config_long(st->s, "kentik.part_limit", 750000);

  (void)sim_req_body(r, &len);
  if (limit > 0 && (long)len > limit) {
    sim_count(st->s, "kentik.too_large", 1);
    reply_error(r, 413, "Request Entity Too Large");
    return;
  }
  o = sim_req_json(r);
  if (!o || !json_object_is_type(o, json_type_object)) {
    reply_error(r, 400, "Bad Request: body is not a JSON object");
    return;
  }
  if (!json_object_object_get_ex(o, "replace_all", &v) ||
      !json_object_is_type(v, json_type_boolean)) {
    reply_error(r, 400, "Bad Request: replace_all must be a boolean");
    return;
  }
  replace_all = json_object_get_boolean(v);
  complete = 1;
  if (json_object_object_get_ex(o, "complete", &v)) {
    if (!json_object_is_type(v, json_type_boolean)) {
      reply_error(r, 400, "Bad Request: complete must be a boolean");
      return;
    }
    complete = json_object_get_boolean(v);
  }
  if ((json_object_object_get_ex(o, "upserts", &v) &&
       !json_object_is_type(v, json_type_array) &&
       !json_object_is_type(v, json_type_null)) ||
      (json_object_object_get_ex(o, "deletes", &v) &&
       !json_object_is_type(v, json_type_array) &&
       !json_object_is_type(v, json_type_null))) {
    reply_error(r, 400, "Bad Request: upserts and deletes must be arrays");
    return;
  }
  if (json_object_object_get_ex(o, "guid", &v) &&
      json_object_is_type(v, json_type_string))
    guid = json_object_get_string(v);
  if (*guid) {
    b = find_batch(st, guid);
    if (!b) {
      reply_error(r, 400, "Bad Request: unknown batch guid");
      return;
    }
    if (b->complete) {
      reply_error(r, 400, "Bad Request: batch already complete");
      return;
    }
    if (b->target != target) {
      reply_error(r, 400, "Bad Request: batch guid belongs to another target");
      return;
    }
  } else {
    time_t t = time(NULL);
    struct tm tm;
    unsigned long long x;

    b = calloc(1, sizeof(*b));
    if (!b) {
      reply_error(r, 500, "Internal Server Error");
      return;
    }
    x = ++st->guid_seq * 0x9e3779b97f4a7c15ULL ^ (unsigned long long)t;
    snprintf(b->guid, sizeof(b->guid), "%08llx-%04llx-4%03llx-%04llx-%012llx",
             x & 0xffffffffULL, (x >> 32) & 0xffff, (x >> 48) & 0xfff,
             0x8000 | (st->guid_seq & 0x3fff), st->guid_seq);
    b->target = target;
    b->replace_all = replace_all;
    gmtime_r(&t, &tm);
    strftime(b->date, sizeof(b->date), "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
    b->next = st->batches;
    st->batches = b;
  }
  if (stage_part(b, o) != 0) {
    reply_error(r, 500, "Internal Server Error");
    return;
  }
  b->nparts++;
  sim_count(st->s, "kentik.parts", 1);
  sim_count(st->s, *guid ? "kentik.parts_chained" : "kentik.batches_opened",
            1);
  if (complete)
    sim_count(st->s, "kentik.parts_complete", 1);
  if ((int64_t)len > sim_counter(st->s, "kentik.part_bytes_max"))
    sim_count(st->s, "kentik.part_bytes_max",
              (int64_t)len - sim_counter(st->s, "kentik.part_bytes_max"));
  if (complete) {
    b->complete = 1;
    b->complete_ms = now_ms();
    apply_due(st);
  }
  res = json_object_new_object();
  json_object_object_add(
      res, "message",
      json_object_new_string(
          "Successfully stored request. Batch queued for processing."));
  json_object_object_add(res, "guid", json_object_new_string(b->guid));
  sim_reply_json(r, 202, res);
}

static void h_populators(kstate *st, sim_req *r)
{
  const char *name = sim_req_param(r, 0);
  kstore *k;

  if (!name || !dim_ok(name)) {
    reply_error(r, 404, "Custom dimension not found");
    return;
  }
  for (k = st->stores; k; k = k->next)
    if (k->name && strcmp(k->name, name) == 0)
      break;
  if (!k) {
    k = store_new(st, name);
    if (!k) {
      reply_error(r, 500, "Internal Server Error");
      return;
    }
    k->next = st->stores->next; /* tags stay first */
    st->stores->next = k;
  }
  batch_post(st, r, k);
}

static void h_tags(kstate *st, sim_req *r)
{
  batch_post(st, r, st->stores);
}

static struct json_object *counts(long total, long applied, long invalid,
                                  long unchanged, int over)
{
  struct json_object *o = json_object_new_object();

  json_object_object_add(o, "total", json_object_new_int64(total));
  json_object_object_add(o, "applied", json_object_new_int64(applied));
  json_object_object_add(o, "invalid", json_object_new_int64(invalid));
  json_object_object_add(o, "unchanged", json_object_new_int64(unchanged));
  if (over)
    json_object_object_add(o, "over_limit", json_object_new_int64(0));
  return o;
}

static void h_status(kstate *st, sim_req *r)
{
  const char *guid = sim_req_param(r, 0);
  kbatch *b = guid ? find_batch(st, guid) : NULL;
  struct json_object *o, *x;

  if (!b) {
    reply_error(r, 404, "Not Found");
    return;
  }
  o = json_object_new_object();
  if (b->target->name) {
    x = json_object_new_object();
    json_object_object_add(x, "id", json_object_new_int64(b->target->id));
    json_object_object_add(x, "name", json_object_new_string(b->target->name));
    json_object_object_add(o, "custom_dimension", x);
  }
  json_object_object_add(o, "guid", json_object_new_string(b->guid));
  json_object_object_add(o, "is_multipart",
                         json_object_new_boolean(b->nparts > 1));
  json_object_object_add(o, "is_pending",
                         json_object_new_boolean(!b->applied));
  json_object_object_add(o, "is_complete",
                         json_object_new_boolean(b->complete));
  json_object_object_add(o, "number_of_parts",
                         json_object_new_int64((int64_t)b->nparts));
  x = json_object_new_object();
  json_object_object_add(x, "id", json_object_new_int(2233));
  json_object_object_add(x, "email",
                         json_object_new_string(sim_config_get(
                             st->s, "kentik.email", "test@example.com")));
  json_object_object_add(o, "user", x);
  json_object_object_add(
      o, "upserts",
      counts(b->up.total, b->up.applied, b->up.invalid, b->up.unchanged, 1));
  json_object_object_add(o, "deletes",
                         counts(b->del.total, b->del.applied, b->del.invalid,
                                b->del.unchanged, 0));
  x = json_object_new_object();
  json_object_object_add(x, "requested",
                         json_object_new_boolean(b->replace_all));
  json_object_object_add(x, "deletes_performed",
                         json_object_new_int64(b->deletes_performed));
  json_object_object_add(x, "successful", json_object_new_boolean(1));
  json_object_object_add(o, "replace_all", x);
  json_object_object_add(o, "batch_date", json_object_new_string(b->date));
  sim_reply_json(r, 200, o);
}

/* ---- sites ---------------------------------------------------------------
 */

static long id_param(const char *s)
{
  char *end;
  long v;

  if (!s || !*s)
    return -1;
  v = strtol(s, &end, 10);
  return *end || v <= 0 ? -1 : v;
}

static void h_sites(kstate *st, sim_req *r)
{
  struct json_object *o = json_object_new_object();

  json_object_object_add(o, "sites", json_object_get(st->sites));
  sim_reply_json(r, 200, o);
}

static struct json_object *site_find(kstate *st, long id, size_t *idx)
{
  size_t i, n = json_object_array_length(st->sites);

  for (i = 0; i < n && id > 0; i++) {
    struct json_object *s = json_object_array_get_idx(st->sites, i), *v;
    if (json_object_object_get_ex(s, "id", &v) &&
        json_object_get_int64(v) == id) {
      if (idx)
        *idx = i;
      return s;
    }
  }
  return NULL;
}

/* Check the fields of a {"site": {...}} body (create: site_name
 * required); NULL when fine, else why. */
static const char *site_invalid(struct json_object *s, int create)
{
  struct json_object *v;
  const char *name;
  size_t len, i;

  if (!json_object_is_type(s, json_type_object))
    return "Bad Request: body must be {\"site\": {...}}";
  if (json_object_object_get_ex(s, "site_name", &v)) {
    if (!json_object_is_type(v, json_type_string))
      return "Bad Request: site_name must be a string";
    name = json_object_get_string(v);
    len = strlen(name);
    for (i = 0; i < len; i++)
      if (!((name[i] >= 'a' && name[i] <= 'z') ||
            (name[i] >= 'A' && name[i] <= 'Z') ||
            (name[i] >= '0' && name[i] <= '9') || name[i] == ' ' ||
            name[i] == '_' || name[i] == '-'))
        break;
    if (len < 3 || len > 40 || i < len)
      return "Bad Request: site_name must be 3..40 characters of letters, "
             "digits, spaces, - and _";
  } else if (create) {
    return "Bad Request: site.site_name is required";
  }
  if (json_object_object_get_ex(s, "lat", &v) && v &&
      (!(json_object_is_type(v, json_type_double) ||
         json_object_is_type(v, json_type_int)) ||
       json_object_get_double(v) < -90 || json_object_get_double(v) > 90))
    return "Bad Request: lat must be a number -90..90";
  if (json_object_object_get_ex(s, "lon", &v) && v &&
      (!(json_object_is_type(v, json_type_double) ||
         json_object_is_type(v, json_type_int)) ||
       json_object_get_double(v) < -180 || json_object_get_double(v) > 180))
    return "Bad Request: lon must be a number -180..180";
  return NULL;
}

/* Copy lat/lon of `from` (present keys only) into the stored `to`, as
 * doubles (null stays null). */
static void site_set_coords(struct json_object *to, struct json_object *from)
{
  static const char *const keys[] = {"lat", "lon"};
  struct json_object *v;
  size_t i;

  for (i = 0; i < 2; i++)
    if (json_object_object_get_ex(from, keys[i], &v))
      json_object_object_add(
          to, keys[i],
          v ? json_object_new_double(json_object_get_double(v)) : NULL);
}

/* The site as the API echoes it after a write: ids as strings (as in the
 * reference SDK's fixtures) when `str_id`, company_id always a string. */
static struct json_object *site_echo(struct json_object *site, int str_id)
{
  struct json_object *o = json_object_new_object(), *v;
  char buf[32];

  json_object_object_foreach(site, key, val)
  {
    if (!strcmp(key, "company_id") || (str_id && !strcmp(key, "id"))) {
      snprintf(buf, sizeof(buf), "%lld",
               (long long)json_object_get_int64(val));
      json_object_object_add(o, key, json_object_new_string(buf));
    } else {
      json_object_object_add(o, key, json_object_get(val));
    }
  }
  v = json_object_new_object();
  json_object_object_add(v, "site", o);
  return v;
}

static void h_site_get(kstate *st, sim_req *r)
{
  struct json_object *site =
                         site_find(st, id_param(sim_req_param(r, 0)), NULL),
                     *o;

  if (!site) {
    reply_error(r, 404, "Not Found");
    return;
  }
  o = json_object_new_object();
  json_object_object_add(o, "site", json_object_get(site));
  sim_reply_json(r, 200, o);
}

static void h_site_post(kstate *st, sim_req *r)
{
  struct json_object *o = sim_req_json(r), *s = NULL, *v, *n;
  const char *why;

  if (!o || !json_object_object_get_ex(o, "site", &s))
    s = NULL;
  why = s ? site_invalid(s, 1) : "Bad Request: site.site_name is required";
  if (why) {
    reply_error(r, 400, why);
    return;
  }
  json_object_object_get_ex(s, "site_name", &v);
  n = json_object_new_object();
  json_object_object_add(n, "id", json_object_new_int64(st->next_site_id++));
  json_object_object_add(n, "site_name", json_object_get(v));
  json_object_object_add(n, "lat", NULL);
  json_object_object_add(n, "lon", NULL);
  site_set_coords(n, s);
  json_object_object_add(n, "company_id", json_object_new_int(3250));
  json_object_array_add(st->sites, n);
  sim_reply_json(r, 201, site_echo(n, 0));
}

static void h_site_put(kstate *st, sim_req *r)
{
  struct json_object *site =
      site_find(st, id_param(sim_req_param(r, 0)), NULL);
  struct json_object *o = sim_req_json(r), *s = NULL, *v;
  const char *why;

  if (!site) {
    reply_error(r, 404, "Not Found");
    return;
  }
  if (!o || !json_object_object_get_ex(o, "site", &s))
    s = NULL;
  why = s ? site_invalid(s, 0) : "Bad Request: body must be {\"site\": {...}}";
  if (why) {
    reply_error(r, 400, why);
    return;
  }
  if (json_object_object_get_ex(s, "site_name", &v))
    json_object_object_add(site, "site_name", json_object_get(v));
  site_set_coords(site, s);
  sim_reply_json(r, 200, site_echo(site, 1));
}

static void h_site_delete(kstate *st, sim_req *r)
{
  size_t idx = 0;

  if (!site_find(st, id_param(sim_req_param(r, 0)), &idx)) {
    reply_error(r, 404, "Not Found");
    return;
  }
  json_object_array_del_idx(st->sites, idx, 1);
  sim_reply(r, 204, NULL, NULL, 0);
}

/* ---- devices -------------------------------------------------------------
 */

static const char *sget(struct json_object *o, const char *k)
{
  struct json_object *v;

  if (!json_object_object_get_ex(o, k, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

static int is_one(const char *s, const char *const *set)
{
  for (; s && *set; set++)
    if (!strcmp(s, *set))
      return 1;
  return 0;
}

static const char *device_invalid(kstate *st, struct json_object *d,
                                  struct json_object *self)
{
  static const char *const types[] = {"router", "host-nprobe-dns-www", NULL};
  static const char *const bgp[] = {"none", "device", "other_device", NULL};
  static const char *const cdn[] = {"None", "Y", "N", NULL};
  const char *name = sget(d, "device_name"), *t, *rate;
  struct json_object *v;
  size_t i, n;
  kdev *k;

  if (!name)
    return "device_name is required";
  n = strlen(name);
  for (i = 0; i < n; i++)
    if (!((name[i] >= 'a' && name[i] <= 'z') ||
          (name[i] >= 'A' && name[i] <= 'Z') ||
          (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
      break;
  if (n < 4 || n > 60 || i < n)
    return "device_name must be 4..60 characters of letters, digits and _";
  for (k = st->devs; k; k = k->next)
    if (k->obj != self && !strcmp(sget(k->obj, "device_name"), name))
      return "device_name already exists";
  if (!sget(d, "device_subtype"))
    return "device_subtype is required";
  rate = sget(d, "device_sample_rate");
  if (!rate || atol(rate) < 1)
    return "device_sample_rate is required (a string of an integer >= 1)";
  if (!json_object_object_get_ex(d, "plan_id", &v) ||
      !json_object_is_type(v, json_type_int))
    return "plan_id is required";
  t = sget(d, "device_type");
  if (t && !is_one(t, types))
    return "device_type must be router or host-nprobe-dns-www";
  if (t && !strcmp(t, "router")) {
    if (!json_object_object_get_ex(d, "sending_ips", &v) ||
        !json_object_is_type(v, json_type_array) ||
        json_object_array_length(v) == 0)
      return "sending_ips is required for a router";
    if (!json_object_object_get_ex(d, "minimize_snmp", &v))
      return "minimize_snmp is required for a router";
  }
  if (t && !strcmp(t, "host-nprobe-dns-www") && !sget(d, "cdn_attr"))
    return "cdn_attr is required for host-nprobe-dns-www";
  if (sget(d, "cdn_attr") && !is_one(sget(d, "cdn_attr"), cdn))
    return "cdn_attr must be None, Y or N";
  if (json_object_object_get_ex(d, "device_description", &v) &&
      strlen(json_object_get_string(v)) > 128)
    return "device_description is at most 128 characters";
  t = sget(d, "device_bgp_type");
  if (t && !is_one(t, bgp))
    return "device_bgp_type must be none, device or other_device";
  if (t && !strcmp(t, "device") &&
      (!sget(d, "device_bgp_neighbor_asn") ||
       (!sget(d, "device_bgp_neighbor_ip") &&
        !sget(d, "device_bgp_neighbor_ip6"))))
    return "bgp type device needs device_bgp_neighbor_asn and a neighbor IP";
  if (t && !strcmp(t, "other_device") &&
      !json_object_object_get_ex(d, "use_bgp_device_id", &v))
    return "bgp type other_device needs use_bgp_device_id";
  if (json_object_object_get_ex(d, "device_snmp_v3_conf", &v)) {
    const char *ap = sget(v, "AuthenticationProtocol"),
               *pp = sget(v, "PrivacyProtocol");
    if (!sget(v, "UserName"))
      return "device_snmp_v3_conf.UserName is required";
    if (ap && strcmp(ap, "NoAuth") && !sget(v, "AuthenticationPassphrase"))
      return "device_snmp_v3_conf.AuthenticationPassphrase is required";
    if (pp && strcmp(pp, "NoPriv") && !sget(v, "PrivacyPassphrase"))
      return "device_snmp_v3_conf.PrivacyPassphrase is required";
  }
  return NULL;
}

/* Fill the server-made fields of a stored device from request `d`: the
 * plan object (every key the reference SDK reads), the site, the masked
 * SNMPv3 passphrases, and defaults the SDK needs (device_bgp_type). */
static const char *device_fill(kstate *st, struct json_object *out,
                               struct json_object *d, const char *ts)
{
  struct json_object *v, *plan;

  json_object_object_foreach(d, key, val)
  {
    if (!strcmp(key, "plan_id") || !strcmp(key, "site_id") ||
        !strcmp(key, "device_snmp_v3_conf") || !strcmp(key, "id") ||
        !strcmp(key, "company_id"))
      continue;
    json_object_object_add(out, key, json_object_get(val));
  }
  if (!json_object_object_get_ex(out, "device_type", &v))
    json_object_object_add(out, "device_type",
                           json_object_new_string("router"));
  if (!json_object_object_get_ex(out, "device_bgp_type", &v))
    json_object_object_add(out, "device_bgp_type",
                           json_object_new_string("none"));
  if (json_object_object_get_ex(d, "plan_id", &v)) {
    plan = json_object_new_object();
    json_object_object_add(plan, "id", json_object_get(v));
    json_object_object_add(plan, "company_id", json_object_new_int(3250));
    json_object_object_add(plan, "name",
                           json_object_new_string("Free Flowpak"));
    json_object_object_add(plan, "description",
                           json_object_new_string("Free Flowpak"));
    json_object_object_add(plan, "active", json_object_new_boolean(1));
    json_object_object_add(plan, "max_devices", json_object_new_int(100));
    json_object_object_add(plan, "max_fps", json_object_new_int(1000));
    json_object_object_add(plan, "bgp_enabled", json_object_new_boolean(1));
    json_object_object_add(plan, "fast_retention", json_object_new_int(30));
    json_object_object_add(plan, "full_retention", json_object_new_int(30));
    json_object_object_add(plan, "cdate", json_object_new_string(ts));
    json_object_object_add(plan, "edate", json_object_new_string(ts));
    json_object_object_add(plan, "max_bigdata_fps", json_object_new_int(30));
    json_object_object_add(plan, "deviceTypes", json_object_new_array());
    json_object_object_add(plan, "devices", json_object_new_array());
    json_object_object_add(plan, "metadata", json_object_new_object());
    json_object_object_add(out, "plan", plan);
  }
  if (json_object_object_get_ex(d, "site_id", &v)) {
    struct json_object *site = site_find(st, json_object_get_int64(v), NULL);
    if (!site)
      return "site_id does not name a site";
    json_object_object_add(out, "site", json_object_get(site));
  }
  if (json_object_object_get_ex(d, "device_snmp_v3_conf", &v)) {
    struct json_object *c = json_object_new_object();
    json_object_object_foreach(v, ck, cv)
    {
      json_object_object_add(c, ck,
                             strstr(ck, "Passphrase")
                                 ? json_object_new_string("******ass")
                                 : json_object_get(cv));
    }
    json_object_object_add(out, "device_snmp_v3_conf", c);
  }
  json_object_object_add(out, "updated_date", json_object_new_string(ts));
  return NULL;
}

static void now_iso(char *ts, size_t n)
{
  time_t t = time(NULL);
  struct tm tm;

  gmtime_r(&t, &tm);
  strftime(ts, n, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

static void reply_device(sim_req *r, int status, struct json_object *dev)
{
  struct json_object *o = json_object_new_object();

  json_object_object_add(o, "device", json_object_get(dev));
  sim_reply_json(r, status, o);
}

static void h_device_post(kstate *st, sim_req *r)
{
  struct json_object *o = sim_req_json(r), *d, *out;
  const char *why;
  char id[32], ts[40];
  kdev *k;

  if (!o || !json_object_object_get_ex(o, "device", &d) ||
      !json_object_is_type(d, json_type_object)) {
    reply_error(r, 400, "Bad Request: body must be {\"device\": {...}}");
    return;
  }
  why = device_invalid(st, d, NULL);
  if (why) {
    reply_error(r, 400, why);
    return;
  }
  k = calloc(1, sizeof(*k));
  if (!k) {
    reply_error(r, 500, "Internal Server Error");
    return;
  }
  now_iso(ts, sizeof(ts));
  out = json_object_new_object();
  snprintf(id, sizeof(id), "%ld", st->next_dev_id++);
  json_object_object_add(out, "id", json_object_new_string(id));
  json_object_object_add(out, "company_id", json_object_new_string("3250"));
  why = device_fill(st, out, d, ts);
  if (why) {
    json_object_put(out);
    free(k);
    reply_error(r, 400, why);
    return;
  }
  json_object_object_add(out, "device_status", json_object_new_string("V"));
  json_object_object_add(out, "device_flow_type",
                         json_object_new_string("auto"));
  json_object_object_add(out, "labels", json_object_new_array());
  json_object_object_add(out, "all_interfaces", json_object_new_array());
  json_object_object_add(out, "created_date", json_object_new_string(ts));
  k->obj = out;
  k->next = st->devs;
  st->devs = k;
  sim_count(st->s, "kentik.devices", 1);
  reply_device(r, 201, out);
}

static kdev **device_find(kstate *st, const char *id)
{
  kdev **pk;

  for (pk = &st->devs; *pk && id; pk = &(*pk)->next)
    if (!strcmp(sget((*pk)->obj, "id"), id))
      return pk;
  return NULL;
}

/* PUT /device/{id}: only the fields sent change; the result must still
 * pass the create rules. */
static void h_device_put(kstate *st, sim_req *r)
{
  kdev **pk = device_find(st, sim_req_param(r, 0));
  struct json_object *o = sim_req_json(r), *d, *merged, *v;
  const char *why;
  char ts[40];

  if (!pk) {
    reply_error(r, 404, "Not Found");
    return;
  }
  if (!o || !json_object_object_get_ex(o, "device", &d) ||
      !json_object_is_type(d, json_type_object)) {
    reply_error(r, 400, "Bad Request: body must be {\"device\": {...}}");
    return;
  }
  /* the stored device as a request, with the changes on top */
  merged = json_object_new_object();
  json_object_object_foreach((*pk)->obj, key, val)
  {
    json_object_object_add(merged, key, json_object_get(val));
  }
  if (json_object_object_get_ex((*pk)->obj, "plan", &v) &&
      json_object_object_get_ex(v, "id", &v))
    json_object_object_add(merged, "plan_id", json_object_get(v));
  json_object_object_foreach(d, dk, dv)
  {
    json_object_object_add(merged, dk, json_object_get(dv));
  }
  why = device_invalid(st, merged, (*pk)->obj);
  if (!why) {
    now_iso(ts, sizeof(ts));
    why = device_fill(st, (*pk)->obj, merged, ts);
  }
  json_object_put(merged);
  if (why) {
    reply_error(r, 400, why);
    return;
  }
  reply_device(r, 200, (*pk)->obj);
}

/* DELETE /device/{id}: the first call archives the device (status "D"),
 * the second removes it; both 204. */
static void h_device_delete(kstate *st, sim_req *r)
{
  kdev **pk = device_find(st, sim_req_param(r, 0)), *k;
  const char *status;

  if (!pk) {
    reply_error(r, 404, "Not Found");
    return;
  }
  k = *pk;
  status = sget(k->obj, "device_status");
  if (!status || strcmp(status, "D")) {
    json_object_object_add(k->obj, "device_status",
                           json_object_new_string("D"));
  } else {
    *pk = k->next;
    json_object_put(k->obj);
    free(k);
    sim_count(st->s, "kentik.devices", -1);
  }
  sim_reply(r, 204, NULL, NULL, 0);
}

static void h_devices(kstate *st, sim_req *r)
{
  struct json_object *o = json_object_new_object(),
                     *a = json_object_new_array();
  kdev *k;

  for (k = st->devs; k; k = k->next)
    json_object_array_add(a, json_object_get(k->obj));
  json_object_object_add(o, "devices", a);
  sim_reply_json(r, 200, o);
}

static void h_device_get(kstate *st, sim_req *r)
{
  kdev **pk = device_find(st, sim_req_param(r, 0));

  if (!pk) {
    reply_error(r, 404, "Not Found");
    return;
  }
  reply_device(r, 200, (*pk)->obj);
}

/* ---- attach ------------------------------------------------------------- */

static const struct {
  const char *method, *pattern;
  khandler fn;
} routes[] = {
    {"POST", "/api/v5/batch/customdimensions/*/populators", h_populators},
    {"POST", "/api/v5/batch/tags", h_tags},
    {"GET", "/api/v5/batch/*/status", h_status},
    {"GET", "/api/v5/sites", h_sites},
    {"GET", "/api/v5/site/*", h_site_get},
    {"POST", "/api/v5/site", h_site_post},
    {"PUT", "/api/v5/site/*", h_site_put},
    {"DELETE", "/api/v5/site/*", h_site_delete},
    {"POST", "/api/v5/device", h_device_post},
    {"GET", "/api/v5/devices", h_devices},
    {"GET", "/api/v5/device/*", h_device_get},
    {"PUT", "/api/v5/device/*", h_device_put},
    {"DELETE", "/api/v5/device/*", h_device_delete},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

typedef struct kattach {
  kstate st;
  kroute rt[NROUTES];
} kattach;

int sim_kentik_attach(sim_service *svc)
{
  sim *s = sim_service_sim(svc);
  kattach *a = calloc(1, sizeof(*a));
  size_t i;

  if (!a)
    return -1;
  a->st.s = s;
  a->st.svc = svc;
  init_state(&a->st);
  if (!a->st.stores || sim_on_free(s, on_free, &a->st) != 0) {
    clear(&a->st);
    free(a);
    return -1;
  }
  sim_on_reset(s, on_reset, &a->st);
  for (i = 0; i < NROUTES; i++) {
    a->rt[i].st = &a->st;
    a->rt[i].fn = routes[i].fn;
    if (sim_route(svc, routes[i].method, routes[i].pattern, entry,
                  &a->rt[i]) != 0)
      return -1;
  }
  return 0;
}
