/*
 * callmux simulator: Partisci (version updates over UDP and HTTP on one port
 * number, and the REST API under /api/v1/), per shared/specs/partisci.md.
 *
 * Configuration (sim_config_get / callmux-sim --set KEY=VALUE), read on
 * every request so it can change at run time:
 *   partisci.era     "both" (default): the documented paths (_partisci/,
 *                    summary/app/, summary/host/, /hello) AND the later ones
 *                    (app/, host/, /debug/vars); the later storage key and
 *                    version objects.
 *                    "documented" (or "spec"): only the documented paths;
 *                    key app_id+host (a later instance replaces an earlier
 *                    one, as that server did); every version field omitted
 *                    when empty or zero.
 *                    "later": only the later paths.
 *   partisci.danger  "0" (default) or "1": the server's -danger flag
 *                    (POST _danger/clear/ erases everything).
 *   partisci.rcvbuf  UDP receive buffer in bytes (default 8388608; read at
 *                    attach time; SO_RCVBUFFORCE is tried first).
 *   partisci.verbose "1": log every refused datagram to stderr.
 *   partisci.clock_offset  seconds added to the receive time of updates
 *                    (default 0), so tests see last_update move on.
 *
 * UDP sockets are bound to 127.0.0.1 and, where the host has IPv6, to
 * [::1] on the service's HTTP port number (the real server listens on
 * every address; a client that resolves "localhost" to ::1 first, as Go's
 * does, reaches us too).  Counter partisci.udp6_bound is 1 when [::1] is.
 *
 * Real server bugs fixed here (spec §5): the 50-character limits of app,
 * ver and host (code points) are enforced and invalid UTF-8 is refused;
 * app and ver are required in every era; the storage key is the tuple
 * (app_id, host, instance), so keys never collide; host_count counts
 * distinct hosts and app_count distinct app_ids; summary last_update is
 * the newest update of the group (always refreshed); a client's host_ip,
 * app_id and last_update are ignored; _danger/clear/ without -danger is a
 * plain 404; single-threaded on the loop, so concurrent load is safe.
 * Filters come from the query or, as with Go's FormValue, from a POSTed
 * form body (which wins).  Not simulated: -trim, -listenip.
 *
 * Counters: partisci.udp_datagrams (received), partisci.udp_rejected,
 * partisci.udp_truncated (> 2048 bytes), partisci.http_updates,
 * partisci.http_rejected, partisci.stored (updates applied),
 * partisci.cleared.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/queue.h>
#include <sys/time.h>
#include <unistd.h>

#include "sim/sim.h"

#define PS_MAX_DGRAM 2048
#define PS_MAX_CHARS 50
#define PS_BUCKETS_MIN 1024

typedef struct ps_entry {
  struct ps_entry *next; /* hash chain */
  char *app_id, *app, *ver, *host, *host_ip;
  unsigned instance;
  unsigned hinst; /* instance used in the hash (0 in the documented era) */
  int64_t last_update;
} ps_entry;

typedef struct ps_name {
  struct ps_name *next;
  char *app_id, *app; /* first name seen for the id */
} ps_name;

typedef struct ps_state {
  sim *sim;
  sim_service *svc;
  int fd, fd6;
  struct event *ev, *ev6;
  ps_entry **buckets;
  size_t nbuckets, count;
  ps_name *names[256];
} ps_state;

/* ---- era ---------------------------------------------------------- */

enum { ERA_BOTH, ERA_DOC, ERA_LATER };

static int era_of(ps_state *st)
{
  const char *e = sim_config_get(st->sim, "partisci.era", "both");

  if (strcmp(e, "documented") == 0 || strcmp(e, "spec") == 0)
    return ERA_DOC;
  if (strcmp(e, "later") == 0)
    return ERA_LATER;
  return ERA_BOTH;
}

/* ---- UTF-8 and the app_id rule ------------------------------------ */

/* Byte length of the code point at s (len bytes left), 0 if invalid. */
static size_t u8_len(const unsigned char *s, size_t len, unsigned long *cp)
{
  unsigned long c;
  size_t n, i;

  if (s[0] < 0x80) {
    *cp = s[0];
    return 1;
  }
  if (s[0] >= 0xC2 && s[0] <= 0xDF)
    n = 2, c = s[0] & 0x1F;
  else if (s[0] >= 0xE0 && s[0] <= 0xEF)
    n = 3, c = s[0] & 0x0F;
  else if (s[0] >= 0xF0 && s[0] <= 0xF4)
    n = 4, c = s[0] & 0x07;
  else
    return 0;
  if (len < n)
    return 0;
  for (i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    c = (c << 6) | (s[i] & 0x3F);
  }
  if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || c > 0x10FFFF ||
      (c >= 0xD800 && c <= 0xDFFF))
    return 0;
  *cp = c;
  return n;
}

/* Code points, or -1 when not valid UTF-8. */
static long u8_chars(const char *s)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t len = strlen(s);
  long n = 0;

  while (len) {
    unsigned long cp;
    size_t k = u8_len(p, len, &cp);

    if (!k)
      return -1;
    p += k;
    len -= k;
    n++;
  }
  return n;
}

static char *make_app_id(const char *app)
{
  const unsigned char *p = (const unsigned char *)app;
  size_t len = strlen(app), i = 0;
  char *out = malloc(len + 1);

  if (!out)
    return NULL;
  while (len) {
    unsigned long cp;
    size_t k = u8_len(p, len, &cp);
    char ch = '_';

    if (!k)
      k = 1;
    else if (cp < 0x80) {
      if (cp >= 'A' && cp <= 'Z')
        cp += 32;
      if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
        ch = (char)cp;
    } else if (cp == 0x130)
      ch = 'i';
    else if (cp == 0x212A)
      ch = 'k';
    out[i++] = ch;
    p += k;
    len -= k;
  }
  out[i] = '\0';
  return out;
}

/* ---- the store ---------------------------------------------------- */

static uint64_t fnv(uint64_t h, const char *s)
{
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ull;
  }
  h ^= 0xff; /* separator: ("ab","c") and ("a","bc") hash apart */
  return h * 1099511628211ull;
}

static uint64_t key_hash(const char *app_id, const char *host,
                         unsigned instance)
{
  uint64_t h = fnv(fnv(14695981039346656037ull, app_id), host);

  h ^= instance;
  return h * 1099511628211ull;
}

static void entry_free(ps_entry *e)
{
  free(e->app_id);
  free(e->app);
  free(e->ver);
  free(e->host);
  free(e->host_ip);
  free(e);
}

static void store_clear(ps_state *st)
{
  size_t i;

  for (i = 0; i < st->nbuckets; i++) {
    while (st->buckets[i]) {
      ps_entry *e = st->buckets[i];
      st->buckets[i] = e->next;
      entry_free(e);
    }
  }
  st->count = 0;
  for (i = 0; i < 256; i++) {
    while (st->names[i]) {
      ps_name *n = st->names[i];
      st->names[i] = n->next;
      free(n->app_id);
      free(n->app);
      free(n);
    }
  }
}

static int store_grow(ps_state *st)
{
  size_t nb = st->nbuckets * 4, i;
  ps_entry **b = calloc(nb, sizeof(*b));

  if (!b)
    return -1;
  for (i = 0; i < st->nbuckets; i++) {
    while (st->buckets[i]) {
      ps_entry *e = st->buckets[i];
      size_t k = key_hash(e->app_id, e->host, e->hinst) % nb;

      st->buckets[i] = e->next;
      e->next = b[k];
      b[k] = e;
    }
  }
  free(st->buckets);
  st->buckets = b;
  st->nbuckets = nb;
  return 0;
}

static const char *first_name(ps_state *st, const char *app_id,
                              const char *app)
{
  unsigned k = (unsigned)(fnv(0, app_id) & 255);
  ps_name *n;

  for (n = st->names[k]; n; n = n->next)
    if (strcmp(n->app_id, app_id) == 0)
      return n->app;
  n = calloc(1, sizeof(*n));
  if (!n || !(n->app_id = strdup(app_id)) || !(n->app = strdup(app))) {
    if (n)
      free(n->app_id);
    free(n);
    return NULL;
  }
  n->next = st->names[k];
  st->names[k] = n;
  return n->app;
}

static char *dup_or_empty(const char *s)
{
  return strdup(s ? s : "");
}

/* Store one checked update.  0, or -1 on ENOMEM. */
static int store_put(ps_state *st, const char *app, const char *ver,
                     const char *host, unsigned instance, const char *host_ip)
{
  int doc = era_of(st) == ERA_DOC;
  char *app_id = make_app_id(app);
  ps_entry *e;
  size_t k;
  unsigned hinst;

  if (!app_id)
    return -1;
  if (!first_name(st, app_id, app)) {
    free(app_id);
    return -1;
  }
  if (st->count >= st->nbuckets * 2)
    store_grow(st);
  /* The key: (app_id, host, instance), compared field by field, so keys
   * never collide; the documented era's key leaves the instance out (a
   * later instance replaces an earlier one, as that server did).  Switch
   * partisci.era on an empty store. */
  hinst = doc ? 0 : instance;
  k = key_hash(app_id, host, hinst) % st->nbuckets;
  for (e = st->buckets[k]; e; e = e->next)
    if (e->hinst == hinst && strcmp(e->app_id, app_id) == 0 &&
        strcmp(e->host, host) == 0)
      break;
  if (!e) {
    e = calloc(1, sizeof(*e));
    if (!e || !(e->app_id = strdup(app_id)) || !(e->host = strdup(host))) {
      if (e)
        entry_free(e);
      free(app_id);
      return -1;
    }
    e->hinst = hinst;
    e->next = st->buckets[k];
    st->buckets[k] = e;
    st->count++;
  }
  free(app_id);
  {
    char *a = dup_or_empty(app), *v = dup_or_empty(ver),
         *ip = dup_or_empty(host_ip);

    if (!a || !v || !ip) {
      free(a);
      free(v);
      free(ip);
      return -1;
    }
    free(e->app);
    free(e->ver);
    free(e->host_ip);
    e->app = a;
    e->ver = v;
    e->host_ip = ip;
  }
  e->instance = instance;
  e->last_update = (int64_t)time(NULL) +
                   sim_config_long(st->sim, "partisci.clock_offset", 0);
  sim_count(st->sim, "partisci.stored", 1);
  return 0;
}

/* ---- parsing an update (one parser for UDP and HTTP) ---------------- */

/* 0 and fills the fields (borrowed from *root), or -1 with msg. */
static int parse_update(const char *buf, size_t len, json_object **root,
                        const char **app, const char **ver, const char **host,
                        unsigned *instance, char *msg, size_t msglen)
{
  json_tokener *tok;
  json_object *obj;
  size_t end;
  long chars;
  const char *names[3] = {"app", "ver", "host"};
  const char **vals[3];
  int i;

  vals[0] = app;
  vals[1] = ver;
  vals[2] = host;
  *root = NULL;
  *app = *ver = *host = "";
  *instance = 0;
  if (len == 0) {
    snprintf(msg, msglen, "unexpected end of JSON input");
    return -1;
  }
  tok = json_tokener_new();
  if (!tok) {
    snprintf(msg, msglen, "out of memory");
    return -1;
  }
  /* Go's decoder: double-quoted strings only, no trailing commas, no
   * comments, no NaN */
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
  obj = json_tokener_parse_ex(tok, buf, (int)len);
  end = json_tokener_get_parse_end(tok);
  if (!obj || json_tokener_get_error(tok) != json_tokener_success) {
    json_tokener_free(tok);
    json_object_put(obj);
    snprintf(msg, msglen, "%s",
             len >= PS_MAX_DGRAM ? "unexpected end of JSON input"
                                 : "invalid character in JSON input");
    return -1;
  }
  json_tokener_free(tok);
  for (; end < len; end++) {
    if (!strchr(" \t\r\n", buf[end])) {
      json_object_put(obj);
      snprintf(msg, msglen, "invalid character after top-level value");
      return -1;
    }
  }
  if (!json_object_is_type(obj, json_type_object)) {
    json_object_put(obj);
    snprintf(msg, msglen,
             "json: cannot unmarshal non-object into Go value of type "
             "Version");
    return -1;
  }
  *root = obj;
  {
    json_object_iter it;

    json_object_object_foreachC(obj, it)
    {
      json_object *v = it.val;

      for (i = 0; i < 3; i++) {
        if (strcasecmp(it.key, names[i]) != 0)
          continue;
        if (v && !json_object_is_type(v, json_type_string)) {
          snprintf(msg, msglen,
                   "json: cannot unmarshal %s into field %s of type string",
                   json_type_to_name(json_object_get_type(v)), names[i]);
          return -1;
        }
        *vals[i] = v ? json_object_get_string(v) : "";
      }
      if (strcasecmp(it.key, "instance") == 0 && v) {
        int64_t n;

        if (!json_object_is_type(v, json_type_int)) {
          snprintf(msg, msglen,
                   "json: cannot unmarshal %s into field instance of type "
                   "uint16",
                   json_type_to_name(json_object_get_type(v)));
          return -1;
        }
        errno = 0;
        n = json_object_get_int64(v);
        if (n < 0 || n > 65535 || errno) {
          snprintf(msg, msglen,
                   "json: cannot unmarshal number %s into field instance "
                   "of type uint16",
                   json_object_get_string(v));
          return -1;
        }
        *instance = (unsigned)n;
      }
    }
  }
  if (!**vals[0] || !**vals[1]) {
    snprintf(msg, msglen, "value for app & ver must be specified");
    return -1;
  }
  for (i = 0; i < 3; i++) {
    chars = u8_chars(*vals[i]);
    if (chars < 0) {
      snprintf(msg, msglen, "value for %s is not valid UTF-8", names[i]);
      return -1;
    }
    if (chars > PS_MAX_CHARS) {
      snprintf(msg, msglen,
               "value for %s is %ld characters, at most %d allowed", names[i],
               chars, PS_MAX_CHARS);
      return -1;
    }
  }
  return 0;
}

/* Parse and store; 0, or -1 with msg. */
static int apply_update(ps_state *st, const char *buf, size_t len,
                        const char *ip, char *msg, size_t msglen)
{
  json_object *root;
  const char *app, *ver, *host;
  unsigned instance;
  int rc;

  if (parse_update(buf, len, &root, &app, &ver, &host, &instance, msg,
                   msglen) != 0) {
    json_object_put(root);
    return -1;
  }
  rc = store_put(st, app, ver, host, instance, ip);
  json_object_put(root);
  if (rc != 0)
    snprintf(msg, msglen, "out of memory");
  return rc;
}

/* ---- UDP ------------------------------------------------------------ */

static void on_udp(evutil_socket_t fd, short what, void *arg)
{
  ps_state *st = arg;
  char buf[PS_MAX_DGRAM];
  int i;

  (void)what;
  for (i = 0; i < 1024; i++) {
    struct sockaddr_storage from;
    socklen_t flen = sizeof(from);
    char ip[INET6_ADDRSTRLEN] = "";
    char msg[256];
    ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC,
                         (struct sockaddr *)&from, &flen);
    size_t got;

    if (n < 0)
      break; /* EAGAIN: drained */
    sim_count(st->sim, "partisci.udp_datagrams", 1);
    got = (size_t)n > sizeof(buf) ? sizeof(buf) : (size_t)n;
    if ((size_t)n > sizeof(buf))
      sim_count(st->sim, "partisci.udp_truncated", 1);
    if (from.ss_family == AF_INET)
      inet_ntop(AF_INET, &((struct sockaddr_in *)&from)->sin_addr, ip,
                sizeof(ip));
    else if (from.ss_family == AF_INET6)
      inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&from)->sin6_addr, ip,
                sizeof(ip));
    if (apply_update(st, buf, got, ip, msg, sizeof(msg)) != 0) {
      sim_count(st->sim, "partisci.udp_rejected", 1);
      if (sim_config_long(st->sim, "partisci.verbose", 0))
        fprintf(stderr, "ERROR: handleUpdateUDP: parsePacket: %s\n%.*s\n", msg,
                (int)got, buf);
    }
  }
}

static void set_rcvbuf(ps_state *st, int fd)
{
  int size = (int)sim_config_long(st->sim, "partisci.rcvbuf", 8388608);

#ifdef SO_RCVBUFFORCE
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
#endif
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

static int udp_open(ps_state *st)
{
  struct sockaddr_in sa;
  struct sockaddr_in6 sa6;
  int on = 1;

  st->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (st->fd < 0)
    return -1;
  set_rcvbuf(st, st->fd);
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)sim_service_port(st->svc));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(st->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
    fprintf(stderr, "sim partisci: UDP bind to port %u: %s\n",
            sim_service_port(st->svc), strerror(errno));
    close(st->fd);
    st->fd = -1;
    return -1;
  }
  st->ev = event_new(sim_base(sim_service_sim(st->svc)), st->fd,
                     EV_READ | EV_PERSIST, on_udp, st);
  if (!st->ev || event_add(st->ev, NULL) != 0)
    return -1;

  /* [::1] as well, when the host has IPv6 (best effort) */
  st->fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (st->fd6 < 0)
    return 0;
  setsockopt(st->fd6, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
  set_rcvbuf(st, st->fd6);
  memset(&sa6, 0, sizeof(sa6));
  sa6.sin6_family = AF_INET6;
  sa6.sin6_port = htons((uint16_t)sim_service_port(st->svc));
  sa6.sin6_addr = in6addr_loopback;
  if (bind(st->fd6, (struct sockaddr *)&sa6, sizeof(sa6)) != 0) {
    close(st->fd6);
    st->fd6 = -1;
    return 0;
  }
  st->ev6 = event_new(sim_base(sim_service_sim(st->svc)), st->fd6,
                      EV_READ | EV_PERSIST, on_udp, st);
  if (!st->ev6 || event_add(st->ev6, NULL) != 0)
    return -1;
  sim_count(st->sim, "partisci.udp6_bound", 1);
  return 0;
}

/* ---- HTTP replies in the server's style ----------------------------- */

static const char *const JSON_CT = "text/plain; charset=utf-8";

static void reply_obj(sim_req *r, int status, json_object *o)
{
  size_t len;
  const char *txt;

  if (!o) {
    sim_reply_text(r, 500, "out of memory");
    return;
  }
  txt = json_object_to_json_string_length(
      o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
  sim_reply(r, status, JSON_CT, txt, len);
  json_object_put(o);
}

static void reply_error(sim_req *r, int status, const char *msg)
{
  json_object *o = json_object_new_object();

  if (o)
    json_object_object_add(o, "error", json_object_new_string(msg));
  reply_obj(r, status, o);
}

static void reply_404(sim_req *r)
{
  static const char body[] = "404 page not found\n";

  sim_reply_header(r, "X-Content-Type-Options", "nosniff");
  sim_reply(r, 404, JSON_CT, body, sizeof(body) - 1);
}

/* {"data":arr} */
static void reply_data(sim_req *r, json_object *arr)
{
  json_object *o = json_object_new_object();

  if (!arr || !o) {
    json_object_put(arr);
    json_object_put(o);
    sim_reply_text(r, 500, "out of memory");
    return;
  }
  json_object_object_add(o, "data", arr);
  reply_obj(r, 200, o);
}

static void add_str(json_object *o, const char *k, const char *v,
                    int omitempty)
{
  if (omitempty && (!v || !*v))
    return;
  json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

static void add_int(json_object *o, const char *k, int64_t v, int omitempty)
{
  if (omitempty && v == 0)
    return;
  json_object_object_add(o, k, json_object_new_int64(v));
}

/* ---- the store's views ---------------------------------------------- */

/* Every entry in an array (caller frees), sorted by `cmp`. */
static ps_entry **all_entries(ps_state *st,
                              int (*cmp)(const void *, const void *))
{
  ps_entry **v = malloc((st->count ? st->count : 1) * sizeof(*v));
  size_t i, n = 0;
  ps_entry *e;

  if (!v)
    return NULL;
  for (i = 0; i < st->nbuckets; i++)
    for (e = st->buckets[i]; e; e = e->next)
      v[n++] = e;
  if (cmp && n > 1)
    qsort(v, n, sizeof(*v), cmp);
  return v;
}

static int by_app_host(const void *a, const void *b)
{
  const ps_entry *x = *(ps_entry *const *)a, *y = *(ps_entry *const *)b;
  int c = strcmp(x->app_id, y->app_id);

  return c ? c : strcmp(x->host, y->host);
}

static int by_host_app(const void *a, const void *b)
{
  const ps_entry *x = *(ps_entry *const *)a, *y = *(ps_entry *const *)b;
  int c = strcmp(x->host, y->host);

  return c ? c : strcmp(x->app_id, y->app_id);
}

static void h_apps(ps_state *st, sim_req *r)
{
  int doc = era_of(st) == ERA_DOC;
  ps_entry **v = all_entries(st, by_app_host);
  json_object *arr = json_object_new_array();
  size_t i = 0;

  if (!v) {
    json_object_put(arr);
    sim_reply_text(r, 500, "out of memory");
    return;
  }
  while (i < st->count) {
    const char *id = v[i]->app_id;
    int64_t last = 0;
    long hosts = 0;
    json_object *o = json_object_new_object();
    unsigned k = (unsigned)(fnv(0, id) & 255);
    ps_name *nm;
    const char *name = v[i]->app;

    for (nm = st->names[k]; nm; nm = nm->next)
      if (strcmp(nm->app_id, id) == 0)
        name = nm->app;
    for (; i < st->count && strcmp(v[i]->app_id, id) == 0; i++) {
      if (i == 0 || strcmp(v[i - 1]->app_id, id) != 0 ||
          strcmp(v[i - 1]->host, v[i]->host) != 0)
        hosts++;
      if (v[i]->last_update > last)
        last = v[i]->last_update;
    }
    if (doc) { /* the documented era wrote its fields in name order */
      add_str(o, "app", name, 0);
      add_str(o, "app_id", id, 0);
      add_int(o, "host_count", hosts, 0);
      add_int(o, "last_update", last, 0);
    } else {
      add_str(o, "app_id", id, 0);
      add_str(o, "app", name, 0);
      add_int(o, "last_update", last, 0);
      add_int(o, "host_count", hosts, 0);
    }
    json_object_array_add(arr, o);
  }
  free(v);
  reply_data(r, arr);
}

static void h_hosts(ps_state *st, sim_req *r, int later_shape)
{
  ps_entry **v = all_entries(st, by_host_app);
  json_object *arr = json_object_new_array();
  size_t i = 0;

  if (!v) {
    json_object_put(arr);
    sim_reply_text(r, 500, "out of memory");
    return;
  }
  while (i < st->count) {
    const char *host = v[i]->host;
    int64_t last = 0;
    long apps = 0;
    json_object *o = json_object_new_object();

    for (; i < st->count && strcmp(v[i]->host, host) == 0; i++) {
      if (i == 0 || strcmp(v[i - 1]->host, host) != 0 ||
          strcmp(v[i - 1]->app_id, v[i]->app_id) != 0)
        apps++;
      if (v[i]->last_update > last)
        last = v[i]->last_update;
    }
    add_str(o, "host", host, !later_shape);
    add_int(o, "last_update", last, 0);
    if (later_shape)
      add_int(o, "app_count", apps, 0);
    json_object_array_add(arr, o);
  }
  free(v);
  reply_data(r, arr);
}

/* Go's FormValue: a form body (POST, PUT, PATCH with
 * application/x-www-form-urlencoded) wins over the URL's query. */
static void form_filters(sim_req *r, struct evkeyvalq *form, const char **fa,
                         const char **fh, const char **fv)
{
  const char *m = sim_req_method(r);
  const char *ct = sim_req_header(r, "Content-Type");
  const char *body;
  char *copy;
  size_t len;
  const char *v;

  if ((strcmp(m, "POST") && strcmp(m, "PUT") && strcmp(m, "PATCH")) || !ct ||
      strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
    return;
  body = sim_req_body(r, &len);
  if (!body || !len || !(copy = malloc(len + 1)))
    return;
  memcpy(copy, body, len);
  copy[len] = '\0';
  if (evhttp_parse_query_str(copy, form) == 0) {
    if ((v = evhttp_find_header(form, "app_id")))
      *fa = v;
    if ((v = evhttp_find_header(form, "host")))
      *fh = v;
    if ((v = evhttp_find_header(form, "ver")))
      *fv = v;
  }
  free(copy);
}

static void h_versions(ps_state *st, sim_req *r)
{
  const char *fa = sim_req_query(r, "app_id");
  const char *fh = sim_req_query(r, "host");
  const char *fv = sim_req_query(r, "ver");
  struct evkeyvalq form;
  int doc = era_of(st) == ERA_DOC;
  json_object *arr = json_object_new_array();
  size_t i;
  ps_entry *e;

  TAILQ_INIT(&form);
  form_filters(r, &form, &fa, &fh, &fv);
  for (i = 0; i < st->nbuckets; i++) {
    for (e = st->buckets[i]; e; e = e->next) {
      json_object *o;

      if ((fa && *fa && strcmp(fa, e->app_id) != 0) ||
          (fh && *fh && strcmp(fh, e->host) != 0) ||
          (fv && *fv && strcmp(fv, e->ver) != 0))
        continue;
      o = json_object_new_object();
      add_str(o, "app_id", e->app_id, 1);
      add_str(o, "app", e->app, doc);
      add_str(o, "ver", e->ver, doc);
      add_str(o, "host", e->host, doc);
      add_int(o, "instance", e->instance, doc);
      add_str(o, "host_ip", e->host_ip, 1);
      add_int(o, "last_update", e->last_update, 1);
      json_object_array_add(arr, o);
    }
  }
  evhttp_clear_headers(&form);
  reply_data(r, arr);
}

static void h_update(ps_state *st, sim_req *r)
{
  char msg[256], full[300];
  char ip[INET6_ADDRSTRLEN + 1] = "";
  struct evhttp_connection *con;
  const char *body;
  size_t len;

  if (strcmp(sim_req_method(r), "POST") != 0) {
    reply_error(r, 405, "ERROR: ApiUpdate: only accepts POST requests");
    return;
  }
  con = evhttp_request_get_connection(sim_req_evhttp(r));
  if (con) {
    char *addr = NULL;
    ev_uint16_t port;

    evhttp_connection_get_peer(con, &addr, &port);
    if (addr)
      snprintf(ip, sizeof(ip), "%s", addr);
  }
  body = sim_req_body(r, &len);
  sim_count(st->sim, "partisci.http_updates", 1);
  if (apply_update(st, body ? body : "", body ? len : 0, ip, msg,
                   sizeof(msg)) != 0) {
    sim_count(st->sim, "partisci.http_rejected", 1);
    snprintf(full, sizeof(full), "ERROR: ApiUpdate: parsePacket:\n  %s", msg);
    reply_error(r, 415, full);
    return;
  }
  sim_reply(r, 200, JSON_CT, "", 0);
}

static void h_clear(ps_state *st, sim_req *r)
{
  if (!sim_config_long(st->sim, "partisci.danger", 0)) {
    reply_404(r);
    return;
  }
  if (strcmp(sim_req_method(r), "POST") != 0) {
    reply_error(r, 405, "ERROR: ApiClear: only accepts POST requests");
    return;
  }
  store_clear(st);
  sim_count(st->sim, "partisci.cleared", 1);
  fprintf(stderr,
          "WARNING: Version database cleared via _danger/clear/ hook.\n");
  sim_reply(r, 200, JSON_CT, "", 0);
}

static void h_debug_vars(ps_state *st, sim_req *r)
{
  json_object *o = json_object_new_object();
  json_object *cmd = json_object_new_array();
  json_object *mem = json_object_new_object();

  (void)st;
  json_object_array_add(cmd, json_object_new_string("callmux-sim"));
  json_object_object_add(o, "cmdline", cmd);
  add_int(mem, "Alloc", 0, 0);
  add_int(mem, "NumGC", 0, 0);
  json_object_object_add(o, "memstats", mem);
  add_str(o, "version", "0.1", 0);
  add_str(o, "go_version", "callmux-sim", 0);
  reply_obj(r, 200, o);
}

/* One handler for every path: exact matches, era-dependent. */
static void h_any(sim_req *r, void *arg)
{
  ps_state *st = arg;
  const char *p = sim_req_path(r);
  int era = era_of(st);
  int doc_ok = era != ERA_LATER, later_ok = era != ERA_DOC;

  if (strcmp(p, "/api/v1") == 0) {
    sim_reply_header(r, "Location", "/api/v1/");
    sim_reply(r, 301, "text/html; charset=utf-8", "", 0);
  } else if (strcmp(p, "/api/v1/version/") == 0) {
    h_versions(st, r);
  } else if (strcmp(p, "/api/v1/update/") == 0) {
    h_update(st, r);
  } else if (strcmp(p, "/api/v1/_danger/clear/") == 0) {
    h_clear(st, r);
  } else if (doc_ok && strcmp(p, "/api/v1/_partisci/") == 0) {
    json_object *o = json_object_new_object();

    add_str(o, "version", "0.1", 0);
    reply_obj(r, 200, o);
  } else if (doc_ok && strcmp(p, "/api/v1/summary/app/") == 0) {
    h_apps(st, r);
  } else if (later_ok && strcmp(p, "/api/v1/app/") == 0) {
    h_apps(st, r);
  } else if (doc_ok && strcmp(p, "/api/v1/summary/host/") == 0) {
    h_hosts(st, r, 0);
  } else if (later_ok && strcmp(p, "/api/v1/host/") == 0) {
    h_hosts(st, r, 1);
  } else if (later_ok && strcmp(p, "/debug/vars") == 0) {
    h_debug_vars(st, r);
  } else if (doc_ok && strcmp(p, "/hello") == 0) {
    sim_reply(r, 200, JSON_CT, "hello, world!\n", 14);
  } else {
    reply_404(r);
  }
}

/* ---- lifetime ------------------------------------------------------- */

static void ps_reset(void *arg)
{
  store_clear(arg);
}

static void ps_free(void *arg)
{
  ps_state *st = arg;

  if (st->ev)
    event_free(st->ev);
  if (st->fd >= 0)
    close(st->fd);
  if (st->ev6)
    event_free(st->ev6);
  if (st->fd6 >= 0)
    close(st->fd6);
  store_clear(st);
  free(st->buckets);
  free(st);
}

int sim_partisci_attach(sim_service *svc)
{
  sim *s = sim_service_sim(svc);
  ps_state *st = calloc(1, sizeof(*st));
  static const char *const routes[] = {
      "/api/v1",
      "/api/v1/**",
      "/debug/vars",
      "/hello",
  };
  size_t i;

  if (!st)
    return -1;
  st->sim = s;
  st->svc = svc;
  st->fd = st->fd6 = -1;
  st->nbuckets = PS_BUCKETS_MIN;
  st->buckets = calloc(st->nbuckets, sizeof(*st->buckets));
  if (!st->buckets || sim_on_free(s, ps_free, st) != 0) {
    free(st->buckets);
    free(st);
    return -1;
  }
  /* From here st is freed by sim_free whatever happens. */
  if (sim_on_reset(s, ps_reset, st) != 0 || udp_open(st) != 0)
    return -1;
  for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
    if (sim_route(svc, NULL, routes[i], h_any, st) != 0)
      return -1;
  return 0;
}
