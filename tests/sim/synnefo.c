/*
 * callmux simulator: Synnefo (Astakos identity, Cyclades compute / network
 * / volume, Plankton image; Pithos in synnefo-pithos.c), all on one port
 * under these prefixes (the catalog publishes them):
 *   /identity/v2.0  /account/v1.0  /ui  /compute/v2.0  /network  /volume
 *   /image  /object-store/v1
 *
 * Configuration keys (sim_config / callmux-sim --set) and defaults:
 *   synnefo.token          "synnefo-token"   the one valid token
 *   synnefo.user           "5a1f0cd5-0000-4000-8000-00000000a001" its UUID
 *   synnefo.expired_token  "expired-token"   401 "Authentication expired"
 *   synnefo.build_ms       2000   BUILD -> ACTIVE delay of new servers
 *   synnefo.build_result   ACTIVE  or ERROR: where BUILD ends
 *   synnefo.block_size     4194304  Pithos block size of new containers
 *   synnefo.listing_limit  10000  Pithos listing limit (default and max)
 *   synnefo.snapshot_bytes 1048576  size of a snapshot's object
 *   synnefo.network_types  "MAC_FILTERED"  types create_network allows
 * A server whose name starts with "fail-" always ends in ERROR.
 * Counters: synnefo.blocks_stored, synnefo.block_posts, synnefo.block_bytes,
 * synnefo.hashmap_409, synnefo.objects_created, synnefo.range_gets,
 * synnefo.server_polls, synnefo.servers_created, synnefo.auth.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "sim/synnefo-internal.h"

#define DEFAULT_IMAGE "9e8c7b2a-0000-4000-8000-0000000d0001"

uint64_t sim_syn_now_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void sim_syn_iso(double t, char *buf, size_t len)
{
  time_t s = (time_t)t;
  struct tm tm;

  gmtime_r(&s, &tm);
  snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06d+00:00",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
           tm.tm_sec, (int)((t - (double)s) * 1e6));
}

static double now_real(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void sim_syn_uuid(sim_syn *st, char out[40])
{
  long n = ++st->next_obj;

  snprintf(out, 40, "%08lx-%04x-4%03x-8000-%012lx",
           (unsigned long)n * 2654435761UL % 0xffffffffUL,
           (unsigned)(n & 0xffff), (unsigned)(n & 0xfff), (unsigned long)n);
}

const char *sim_syn_user(sim_syn *st)
{
  return sim_config_get(st->s, "synnefo.user",
                        "5a1f0cd5-0000-4000-8000-00000000a001");
}

static const char *token(sim_syn *st)
{
  return sim_config_get(st->s, "synnefo.token", "synnefo-token");
}

void sim_syn_fault(sim_req *r, int status, const char *name,
                   const char *message)
{
  json_object *j = json_object_new_object(), *in = json_object_new_object();

  json_object_object_add(in, "code", json_object_new_int(status));
  json_object_object_add(in, "message", json_object_new_string(message));
  json_object_object_add(in, "details", json_object_new_string(""));
  json_object_object_add(j, name, in);
  sim_reply_json(r, status, j);
}

int sim_syn_auth(sim_syn *st, sim_req *r)
{
  const char *t = sim_req_header(r, "X-Auth-Token");
  json_object *j, *in;

  if (!t || !*t) {
    sim_syn_fault(r, 401, "unauthorized",
                  "Access denied. No authentication token");
    return 0;
  }
  if (strcmp(t, token(st)) == 0)
    return 1;
  /* the Astakos error, re-rendered as "fault" */
  j = json_object_new_object();
  in = json_object_new_object();
  json_object_object_add(in, "code", json_object_new_int(401));
  json_object_object_add(in, "message",
                         json_object_new_string("UNAUTHORIZED"));
  json_object_object_add(
      in, "details",
      json_object_new_string("{\"unauthorized\": {\"code\": 401, \"message\": "
                             "\"Invalid token\", \"details\": \"\"}}"));
  json_object_object_add(j, "fault", in);
  sim_reply_json(r, 401, j);
  return 0;
}

/* ---- Astakos ------------------------------------------------------------ */

static json_object *endpoint(sim_syn *st, const char *version,
                             const char *path)
{
  json_object *e = json_object_new_object();
  char url[512], ui[512];

  snprintf(url, sizeof(url), "%s%s", sim_service_url(st->svc), path);
  snprintf(ui, sizeof(ui), "%s/ui", sim_service_url(st->svc));
  json_object_object_add(e, "versionId", json_object_new_string(version));
  json_object_object_add(e, "region", json_object_new_string("default"));
  json_object_object_add(e, "publicURL", json_object_new_string(url));
  json_object_object_add(e, "SNF:uiURL", json_object_new_string(ui));
  return e;
}

static json_object *service(sim_syn *st, const char *name, const char *type,
                            const char *version, const char *path)
{
  json_object *s = json_object_new_object(), *eps = json_object_new_array();

  json_object_array_add(eps, endpoint(st, version, path));
  json_object_object_add(s, "name", json_object_new_string(name));
  json_object_object_add(s, "type", json_object_new_string(type));
  json_object_object_add(s, "endpoints_links", json_object_new_array());
  json_object_object_add(s, "endpoints", eps);
  return s;
}

static json_object *catalog(sim_syn *st)
{
  json_object *c = json_object_new_array();

  json_object_array_add(
      c, service(st, "astakos_account", "account", "v1.0", "/account/v1.0"));
  json_object_array_add(c, service(st, "astakos_identity", "identity", "v2.0",
                                   "/identity/v2.0"));
  json_object_array_add(
      c, service(st, "cyclades_compute", "compute", "v2.0", "/compute/v2.0"));
  json_object_array_add(
      c, service(st, "cyclades_network", "network", "v2.0", "/network"));
  json_object_array_add(
      c, service(st, "cyclades_volume", "volume", "v2.0", "/volume"));
  json_object_array_add(
      c, service(st, "cyclades_plankton", "image", "v1.0", "/image"));
  json_object_array_add(c, service(st, "pithos_object-store", "object-store",
                                   "v1", "/object-store/v1"));
  return c;
}

static void tokens(sim_req *r, void *arg)
{
  sim_syn *st = arg;
  size_t len = 0;
  json_object *j, *a, *t, *id = NULL, *out, *acc, *tok, *ten, *user, *roles,
                          *role, *projects, *tn;
  const char *given;
  char exp[64];

  sim_count(st->s, "synnefo.auth", 1);
  sim_req_body(r, &len);
  out = json_object_new_object();
  acc = json_object_new_object();
  json_object_object_add(out, "access", acc);
  if (len == 0) {
    json_object_object_add(acc, "serviceCatalog", catalog(st));
    sim_reply_json(r, 200, out);
    return;
  }
  j = sim_req_json(r);
  if (j && json_object_object_get_ex(j, "auth", &a)) {
    if (json_object_object_get_ex(a, "token", &t))
      json_object_object_get_ex(t, "id", &id);
    else if (json_object_object_get_ex(a, "passwordCredentials", &t))
      json_object_object_get_ex(t, "password", &id);
  }
  if (!id) {
    json_object_put(out);
    sim_syn_fault(r, 400, "badRequest",
                  "Malformed request: missing credentials");
    return;
  }
  given = json_object_get_string(id);
  if (strcmp(given, sim_config_get(st->s, "synnefo.expired_token",
                                   "expired-token")) == 0) {
    json_object_put(out);
    sim_syn_fault(r, 401, "unauthorized", "Authentication expired");
    return;
  }
  if (strcmp(given, token(st)) != 0) {
    json_object_put(out);
    sim_syn_fault(r, 401, "unauthorized", "Invalid token");
    return;
  }
  if (json_object_object_get_ex(a, "tenantName", &tn) &&
      strcmp(json_object_get_string(tn), sim_syn_user(st)) != 0) {
    json_object_put(out);
    sim_syn_fault(r, 400, "badRequest", "Not conforming tenantName");
    return;
  }
  tok = json_object_new_object();
  json_object_object_add(tok, "id", json_object_new_string(given));
  sim_syn_iso(now_real() + 30 * 86400.0, exp, sizeof(exp));
  json_object_object_add(tok, "expires", json_object_new_string(exp));
  ten = json_object_new_object();
  json_object_object_add(ten, "id", json_object_new_string(sim_syn_user(st)));
  json_object_object_add(ten, "name", json_object_new_string("Sim User"));
  json_object_object_add(tok, "tenant", ten);
  user = json_object_new_object();
  json_object_object_add(user, "id", json_object_new_string(sim_syn_user(st)));
  json_object_object_add(user, "name", json_object_new_string("Sim User"));
  roles = json_object_new_array();
  role = json_object_new_object();
  json_object_object_add(role, "id", json_object_new_string("1"));
  json_object_object_add(role, "name", json_object_new_string("default"));
  json_object_array_add(roles, role);
  json_object_object_add(user, "roles", roles);
  json_object_object_add(user, "roles_links", json_object_new_array());
  projects = json_object_new_array();
  json_object_array_add(projects, json_object_new_string(sim_syn_user(st)));
  json_object_object_add(user, "projects", projects);
  json_object_object_add(acc, "token", tok);
  json_object_object_add(acc, "user", user);
  json_object_object_add(acc, "serviceCatalog", catalog(st));
  sim_reply_json(r, 200, out);
}

static void account_api(sim_req *r, void *arg)
{
  sim_syn *st = arg;

  if (!sim_syn_auth(st, r))
    return;
  sim_reply_json(r, 200, json_object_new_object());
}

/* ---- images (registry shared by Plankton and compute) ------------------- */

static json_object *image_get(sim_syn *st, const char *id)
{
  json_object *im;

  if (json_object_object_get_ex(st->images, id, &im))
    return im;
  return NULL;
}

static void add_default_image(sim_syn *st)
{
  json_object *im = json_object_new_object(), *p = json_object_new_object();
  char ts[64];

  sim_syn_iso(now_real(), ts, sizeof(ts));
  json_object_object_add(im, "id", json_object_new_string(DEFAULT_IMAGE));
  json_object_object_add(im, "name", json_object_new_string("Debian Base"));
  json_object_object_add(
      im, "location",
      json_object_new_string("pithos://system/images/debian_base.diskdump"));
  json_object_object_add(im, "disk_format",
                         json_object_new_string("diskdump"));
  json_object_object_add(im, "container_format",
                         json_object_new_string("bare"));
  json_object_object_add(im, "size", json_object_new_string("2147483648"));
  json_object_object_add(im, "checksum", json_object_new_string(""));
  json_object_object_add(im, "created_at", json_object_new_string(ts));
  json_object_object_add(im, "updated_at", json_object_new_string(ts));
  json_object_object_add(im, "deleted_at", json_object_new_string(""));
  json_object_object_add(im, "status", json_object_new_string("AVAILABLE"));
  json_object_object_add(im, "is_public", json_object_new_string("True"));
  json_object_object_add(im, "owner", json_object_new_string("system"));
  json_object_object_add(im, "is_snapshot", json_object_new_string("False"));
  json_object_object_add(im, "description",
                         json_object_new_string("Debian base image"));
  json_object_object_add(p, "os", json_object_new_string("debian"));
  json_object_object_add(p, "users", json_object_new_string("root"));
  json_object_object_add(p, "osfamily", json_object_new_string("linux"));
  json_object_object_add(im, "properties", p);
  json_object_object_add(st->images, DEFAULT_IMAGE, im);
}

static char *quote(const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  char *d = malloc(strlen(s) * 3 + 1), *o = d;

  if (!d)
    return NULL;
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
        (ch >= '0' && ch <= '9') || strchr("-._~/", ch)) {
      *o++ = (char)ch;
    } else {
      *o++ = '%';
      *o++ = hex[ch >> 4];
      *o++ = hex[ch & 15];
    }
  }
  *o = 0;
  return d;
}

static void image_prop_headers(sim_req *r, json_object *props)
{
  json_object_object_foreach(props, k, v)
  {
    char name[300], *q, *p;
    snprintf(name, sizeof(name), "x-image-meta-property-%s", k);
    for (p = name + 22; *p; p++)
      if (*p == '_')
        *p = '-';
    q = quote(json_object_get_string(v));
    if (q)
      sim_reply_header(r, name, q);
    free(q);
  }
}

static void image_headers(sim_req *r, json_object *im)
{
  json_object *props;

  json_object_object_foreach(im, k, v)
  {
    char name[300], *q, *p;
    if (strcmp(k, "properties") == 0)
      continue;
    snprintf(name, sizeof(name), "x-image-meta-%s", k);
    for (p = name; *p; p++)
      if (*p == '_')
        *p = '-';
    q = quote(json_object_get_string(v));
    if (q)
      sim_reply_header(r, name, q);
    free(q);
  }
  if (json_object_object_get_ex(im, "properties", &props))
    image_prop_headers(r, props);
}

static int in_list(const char *v, const char *const *l)
{
  for (; *l; l++)
    if (strcmp(v, *l) == 0)
      return 1;
  return 0;
}

static char *unquote(const char *s)
{
  char *d = malloc(strlen(s) + 1), *o = d;

  if (!d)
    return NULL;
  while (*s) {
    unsigned v;
    if (s[0] == '%' && s[1] && s[2] && sscanf(s + 1, "%2x", &v) == 1) {
      *o++ = (char)v;
      s += 3;
    } else {
      *o++ = *s++;
    }
  }
  *o = 0;
  return d;
}

/* POST /image/v1.0/images/ : register. */
static void image_register(sim_syn *st, sim_req *r)
{
  static const char *const disk[] = {"diskdump", "extdump", "ntfsdump", NULL};
  static const char *const cont[] = {"aki", "ari", "ami", "bare", "ovf", NULL};
  static const char *const opt[] = {
      "disk-format", "container-format", "checksum", "is-public",
      "owner",       "description",      NULL};
  const char *name = sim_req_header(r, "X-Image-Meta-Name");
  const char *loc = sim_req_header(r, "X-Image-Meta-Location");
  char *uloc, acct[256], cname[256], oname[1024], ts[64];
  sim_syn_container *c;
  sim_syn_object *o;
  json_object *im, *props;
  size_t i;

  if (sim_req_header(r, "X-Image-Meta-Id")) {
    sim_syn_fault(r, 400, "badRequest", "Invalid 'id' field");
    return;
  }
  if (sim_req_header(r, "X-Image-Meta-Size")) {
    sim_syn_fault(r, 400, "badRequest", "Invalid 'size' field");
    return;
  }
  if (!name || !*name) {
    sim_syn_fault(r, 400, "badRequest", "Missing image name");
    return;
  }
  uloc = loc ? unquote(loc) : NULL;
  if (!uloc || sscanf(uloc, "pithos://%255[^/]/%255[^/]/%1023[^\n]", acct,
                      cname, oname) != 3) {
    free(uloc);
    sim_syn_fault(r, 400, "badRequest", "Invalid location");
    return;
  }
  {
    const char *df = sim_req_header(r, "X-Image-Meta-Disk-Format");
    const char *cf = sim_req_header(r, "X-Image-Meta-Container-Format");
    const char *store = sim_req_header(r, "X-Image-Meta-Store");
    if ((df && !in_list(df, disk)) || (cf && !in_list(cf, cont)) ||
        (store && strcmp(store, "pithos") != 0)) {
      free(uloc);
      sim_syn_fault(r, 400, "badRequest",
                    "Invalid disk, container or store format");
      return;
    }
  }
  c = sim_syn_container_get(st, acct, cname, 0);
  o = c ? sim_syn_object_get(c, oname) : NULL;
  if (!o) {
    free(uloc);
    sim_syn_fault(r, 404, "itemNotFound", "Image not found");
    return;
  }
  im = json_object_new_object();
  props = json_object_new_object();
  sim_syn_iso(now_real(), ts, sizeof(ts));
  json_object_object_add(im, "id", json_object_new_string(o->uuid));
  {
    char *n = unquote(name);
    json_object_object_add(im, "name", json_object_new_string(n ? n : name));
    free(n);
  }
  json_object_object_add(im, "location", json_object_new_string(uloc));
  free(uloc);
  json_object_object_add(im, "disk_format",
                         json_object_new_string("diskdump"));
  json_object_object_add(im, "container_format",
                         json_object_new_string("bare"));
  {
    char sz[32], hex[65];
    snprintf(sz, sizeof(sz), "%llu", (unsigned long long)o->bytes);
    json_object_object_add(im, "size", json_object_new_string(sz));
    sim_syn_merkle(o->hashes, o->nhashes, hex);
    json_object_object_add(im, "checksum", json_object_new_string(hex));
  }
  json_object_object_add(im, "created_at", json_object_new_string(ts));
  json_object_object_add(im, "updated_at", json_object_new_string(ts));
  json_object_object_add(im, "deleted_at", json_object_new_string(""));
  json_object_object_add(im, "status", json_object_new_string("AVAILABLE"));
  json_object_object_add(im, "is_public", json_object_new_string("False"));
  json_object_object_add(im, "owner",
                         json_object_new_string(sim_syn_user(st)));
  json_object_object_add(im, "is_snapshot", json_object_new_string("False"));
  json_object_object_add(im, "description", json_object_new_string(""));
  for (i = 0; opt[i]; i++) {
    char h[64], key[64], *p;
    const char *v;
    snprintf(h, sizeof(h), "X-Image-Meta-%s", opt[i]);
    v = sim_req_header(r, h);
    if (!v)
      continue;
    snprintf(key, sizeof(key), "%s", opt[i]);
    for (p = key; *p; p++)
      if (*p == '-')
        *p = '_';
    if (strcmp(key, "is_public") == 0)
      v = strcasecmp(v, "true") == 0 ? "True" : "False";
    if (strcmp(key, "checksum") == 0) {
      json_object *ck;
      json_object_object_get_ex(im, "checksum", &ck);
      if (strcmp(v, json_object_get_string(ck)) != 0) {
        json_object_put(im);
        json_object_put(props);
        sim_syn_fault(r, 400, "badRequest", "Invalid checksum");
        return;
      }
    }
    {
      char *u = unquote(v);
      json_object_object_add(im, key, json_object_new_string(u ? u : v));
      free(u);
    }
  }
  /* properties: every X-Image-Meta-Property-* header */
  sim_syn_props_from_headers(r, props);
  json_object_object_add(im, "properties", props);
  json_object_object_add(st->images, o->uuid, im);
  image_headers(r, im);
  sim_reply(r, 200, "text/plain", "", 0);
}

static json_object *image_list_entry(json_object *im, int detail)
{
  json_object *e = json_object_new_object();
  static const char *const brief[] = {
      "id", "name", "disk_format", "container_format", "size", "status", NULL};
  size_t i;

  if (detail) {
    json_object_put(e);
    e = NULL;
    if (json_object_deep_copy(im, &e, NULL) != 0)
      return json_object_new_object();
    return e;
  }
  for (i = 0; brief[i]; i++) {
    json_object *v;
    if (json_object_object_get_ex(im, brief[i], &v))
      json_object_object_add(e, brief[i], json_object_get(v));
  }
  return e;
}

static void image_api(sim_req *r, void *arg)
{
  sim_syn *st = arg;
  const char *path = sim_req_path(r), *rest, *m = sim_req_method(r);
  json_object *im;

  if (!sim_syn_auth(st, r))
    return;
  rest = path + strlen("/image/v1.0");
  if (strncmp(path, "/image/v1.0/", 12) != 0) {
    sim_syn_fault(r, 404, "itemNotFound", "No such API version");
    return;
  }
  if (strcmp(rest, "/images/") == 0 || strcmp(rest, "/images") == 0 ||
      strcmp(rest, "/images/detail") == 0) {
    if (strcmp(m, "POST") == 0 && strcmp(rest, "/images/detail") != 0) {
      image_register(st, r);
    } else if (strcmp(m, "GET") == 0) {
      json_object *out = json_object_new_object(),
                  *arr = json_object_new_array();
      int detail = strcmp(rest, "/images/detail") == 0;
      json_object_object_foreach(st->images, k, v)
      {
        (void)k;
        json_object_array_add(arr, image_list_entry(v, detail));
      }
      json_object_object_add(out, "images", arr);
      sim_reply_json(r, 200, out);
    } else {
      sim_syn_fault(r, 405, "notAllowed", "Method not allowed");
    }
    return;
  }
  if (strncmp(rest, "/images/", 8) == 0 && !strchr(rest + 8, '/')) {
    im = image_get(st, rest + 8);
    if (!im) {
      sim_syn_fault(r, 404, "itemNotFound", "Image not found");
      return;
    }
    if (strcmp(m, "HEAD") == 0 || strcmp(m, "GET") == 0) {
      image_headers(r, im);
      sim_reply(r, 200, "text/plain", "", 0);
    } else if (strcmp(m, "DELETE") == 0) {
      json_object_object_del(st->images, rest + 8);
      sim_reply(r, 204, NULL, "", 0);
    } else {
      sim_syn_fault(r, 405, "notAllowed", "Method not allowed");
    }
    return;
  }
  sim_syn_fault(r, 404, "itemNotFound", "Not found");
}

/* ---- compute -------------------------------------------------------------
 */

static json_object *links(sim_syn *st, const char *kind, const char *id)
{
  json_object *arr = json_object_new_array(), *l;
  char href[512];

  snprintf(href, sizeof(href), "%s/compute/v2.0/%s/%s",
           sim_service_url(st->svc), kind, id);
  l = json_object_new_object();
  json_object_object_add(l, "href", json_object_new_string(href));
  json_object_object_add(l, "rel", json_object_new_string("self"));
  json_object_array_add(arr, l);
  l = json_object_new_object();
  json_object_object_add(l, "href", json_object_new_string(href));
  json_object_object_add(l, "rel", json_object_new_string("bookmark"));
  json_object_array_add(arr, l);
  return arr;
}

static void server_refresh(sim_syn *st, sim_syn_server *sv)
{
  json_object *stv;
  uint64_t build = (uint64_t)sim_config_long(st->s, "synnefo.build_ms", 2000);
  uint64_t el = sim_syn_now_ms() - sv->created_ms;
  char ts[64];

  json_object_object_get_ex(sv->d, "status", &stv);
  if (strcmp(json_object_get_string(stv), "BUILD") != 0)
    return;
  if (el >= build) {
    json_object_object_add(
        sv->d, "status",
        json_object_new_string(sv->fail ? "ERROR" : "ACTIVE"));
    json_object_object_add(sv->d, "progress", json_object_new_int(100));
    sim_syn_iso(now_real(), ts, sizeof(ts));
    json_object_object_add(sv->d, "updated", json_object_new_string(ts));
  } else {
    json_object_object_add(sv->d, "progress",
                           json_object_new_int((int)(el * 100 / build)));
  }
}

static sim_syn_server *server_find(sim_syn *st, sim_req *r, const char *id)
{
  char *end;
  long n = strtol(id, &end, 10);

  if (!*id || *end) {
    sim_syn_fault(r, 400, "badRequest", "Invalid server ID.");
    return NULL;
  }
  if (n < 1 || (size_t)n > st->nservers) {
    sim_syn_fault(r, 404, "itemNotFound", "Server not found.");
    return NULL;
  }
  server_refresh(st, &st->servers[n - 1]);
  return &st->servers[n - 1];
}

static json_object *network_find(sim_syn *st, const char *id)
{
  size_t i, n = json_object_array_length(st->networks);

  for (i = 0; i < n; i++) {
    json_object *net = json_object_array_get_idx(st->networks, i), *v;
    json_object_object_get_ex(net, "id", &v);
    if (strcmp(json_object_get_string(v), id) == 0)
      return net;
  }
  return NULL;
}

static int flavor_ok(json_object *f, long *out)
{
  const char *s = json_object_get_string(f);
  char *end;
  long n = strtol(s ? s : "", &end, 10);

  if (!s || !*s || *end || n < 1 || n > 4)
    return 0;
  *out = n;
  return 1;
}

static void server_create(sim_syn *st, sim_req *r)
{
  json_object *j = sim_req_json(r), *s, *name, *img, *fl, *md = NULL,
              *pers = NULL, *nets = NULL, *d, *att, *addrs, *sg, *vols, *e,
              *out, *tmp, *vol;
  sim_syn_server *sv;
  long flavor, id;
  char ids[32], ts[64], pass[16], volid[32];
  size_t i;

  if (!j || !json_object_object_get_ex(j, "server", &s) ||
      !json_object_object_get_ex(s, "name", &name) ||
      !json_object_object_get_ex(s, "imageRef", &img) ||
      !json_object_object_get_ex(s, "flavorRef", &fl) ||
      (json_object_object_get_ex(s, "metadata", &md) &&
       !json_object_is_type(md, json_type_object)) ||
      (json_object_object_get_ex(s, "personality", &pers) &&
       !json_object_is_type(pers, json_type_array)) ||
      (json_object_object_get_ex(s, "networks", &nets) &&
       !json_object_is_type(nets, json_type_array)) ||
      (json_object_object_get_ex(s, "tags", &tmp) &&
       !json_object_is_type(tmp, json_type_array))) {
    sim_syn_fault(r, 400, "badRequest", "Malformed request");
    return;
  }
  if (!flavor_ok(fl, &flavor)) {
    sim_syn_fault(r, 404, "itemNotFound", "Flavor not found.");
    return;
  }
  if (!image_get(st, json_object_get_string(img))) {
    sim_syn_fault(r, 404, "itemNotFound", "Image not found.");
    return;
  }
  for (i = 0; pers && i < json_object_array_length(pers); i++) {
    json_object *p = json_object_array_get_idx(pers, i), *c;
    if (!json_object_object_get_ex(p, "contents", &c) ||
        json_object_get_string_len(c) > 10240 * 4 / 3 + 4) {
      sim_syn_fault(r, 413, "overLimit",
                    "Maximum size of personality exceeded");
      return;
    }
  }
  for (i = 0; nets && i < json_object_array_length(nets); i++) {
    json_object *n = json_object_array_get_idx(nets, i), *u;
    if (json_object_object_get_ex(n, "uuid", &u) &&
        !network_find(st, json_object_get_string(u))) {
      sim_syn_fault(r, 404, "itemNotFound", "Network not found.");
      return;
    }
  }
  if (st->nservers == st->capservers) {
    size_t nc = st->capservers ? st->capservers * 2 : 64;
    sim_syn_server *ns = realloc(st->servers, nc * sizeof(*ns));
    if (!ns) {
      sim_reply_text(r, 500, "sim: out of memory");
      return;
    }
    st->servers = ns;
    st->capservers = nc;
  }
  id = (long)st->nservers + 1;
  snprintf(ids, sizeof(ids), "%ld", id);
  sim_syn_iso(now_real(), ts, sizeof(ts));
  d = json_object_new_object();
  json_object_object_add(d, "id", json_object_new_int64(id));
  json_object_object_add(d, "name", json_object_get(name));
  json_object_object_add(d, "links", links(st, "servers", ids));
  json_object_object_add(d, "user_id",
                         json_object_new_string(sim_syn_user(st)));
  json_object_object_add(d, "tenant_id",
                         json_object_new_string(sim_syn_user(st)));
  json_object_object_add(d, "shared_to_project", json_object_new_boolean(0));
  json_object_object_add(d, "status", json_object_new_string("BUILD"));
  json_object_object_add(d, "SNF:task_state",
                         json_object_new_string("BUILDING"));
  json_object_object_add(d, "progress", json_object_new_int(0));
  json_object_object_add(d, "suspended", json_object_new_boolean(0));
  json_object_object_add(d, "deleted", json_object_new_boolean(0));
  json_object_object_add(d, "SNF:rescue", json_object_new_boolean(0));
  json_object_object_add(d, "hostId", json_object_new_string(""));
  json_object_object_add(d, "created", json_object_new_string(ts));
  json_object_object_add(d, "updated", json_object_new_string(ts));
  e = json_object_new_object();
  json_object_object_add(e, "id", json_object_new_int64(flavor));
  {
    char fid[16];
    snprintf(fid, sizeof(fid), "%ld", flavor);
    json_object_object_add(e, "links", links(st, "flavors", fid));
  }
  json_object_object_add(d, "flavor", e);
  e = json_object_new_object();
  json_object_object_add(e, "id", json_object_get(img));
  json_object_object_add(e, "links",
                         links(st, "images", json_object_get_string(img)));
  json_object_object_add(d, "image", e);
  json_object_object_add(d, "metadata",
                         md ? json_object_get(md) : json_object_new_object());
  json_object_object_add(d, "tags", json_object_new_array());
  att = json_object_new_array();
  addrs = json_object_new_object();
  for (i = 0; nets && i < json_object_array_length(nets); i++) {
    json_object *n = json_object_array_get_idx(nets, i), *u, *a, *al, *ad;
    char nic[64], mac[32], ip[32];
    if (!json_object_object_get_ex(n, "uuid", &u))
      continue;
    snprintf(nic, sizeof(nic), "%ld-%zu", id, i);
    snprintf(mac, sizeof(mac), "aa:00:00:%02lx:%02lx:%02zx", (id >> 8) & 255,
             id & 255, i & 255);
    snprintf(ip, sizeof(ip), "10.%zu.%ld.%ld", i, (id >> 8) & 255, id & 255);
    a = json_object_new_object();
    json_object_object_add(a, "id", json_object_new_string(nic));
    json_object_object_add(a, "network_id", json_object_get(u));
    json_object_object_add(a, "mac_address", json_object_new_string(mac));
    json_object_object_add(a, "ipv4", json_object_new_string(ip));
    json_object_object_add(a, "ipv6", json_object_new_string(""));
    json_object_object_add(a, "OS-EXT-IPS:type",
                           json_object_new_string("fixed"));
    json_object_array_add(att, a);
    al = json_object_new_array();
    ad = json_object_new_object();
    json_object_object_add(ad, "version", json_object_new_int(4));
    json_object_object_add(ad, "addr", json_object_new_string(ip));
    json_object_object_add(ad, "OS-EXT-IPS:type",
                           json_object_new_string("fixed"));
    json_object_array_add(al, ad);
    json_object_object_add(addrs, json_object_get_string(u), al);
  }
  json_object_object_add(d, "attachments", att);
  json_object_object_add(d, "addresses", addrs);
  sg = json_object_new_array();
  e = json_object_new_object();
  json_object_object_add(e, "name", json_object_new_string("default"));
  json_object_array_add(sg, e);
  json_object_object_add(d, "security_groups", sg);
  json_object_object_add(d, "accessIPv4", json_object_new_string(""));
  json_object_object_add(d, "accessIPv6", json_object_new_string(""));
  {
    char fq[96];
    snprintf(fq, sizeof(fq), "snf-%ld.vm.sim.example.org", id);
    json_object_object_add(d, "SNF:fqdn", json_object_new_string(fq));
  }
  json_object_object_add(d, "SNF:port_forwarding", json_object_new_object());
  /* root volume */
  snprintf(volid, sizeof(volid), "%ld", 1000 + (++st->next_vol));
  vol = json_object_new_object();
  json_object_object_add(vol, "id", json_object_new_string(volid));
  json_object_object_add(vol, "size", json_object_new_int(20));
  {
    char vn[80];
    snprintf(vn, sizeof(vn), "root volume of %s",
             json_object_get_string(name));
    json_object_object_add(vol, "display_name", json_object_new_string(vn));
  }
  json_object_object_add(vol, "status", json_object_new_string("in_use"));
  json_object_object_add(vol, "server_id", json_object_new_string(ids));
  json_object_object_add(vol, "user_id",
                         json_object_new_string(sim_syn_user(st)));
  json_object_object_add(vol, "created_at", json_object_new_string(ts));
  json_object_array_add(st->volumes, vol);
  vols = json_object_new_array();
  json_object_array_add(vols, json_object_new_int64(atol(volid)));
  json_object_object_add(d, "volumes", vols);
  json_object_object_add(d, "key_name", NULL);
  json_object_object_add(d, "SNF:key_names", json_object_new_array());
  json_object_object_add(d, "config_drive", json_object_new_string(""));
  json_object_object_add(d, "diagnostics", json_object_new_array());
  sv = &st->servers[st->nservers++];
  sv->d = d;
  sv->created_ms = sim_syn_now_ms();
  sv->fail = strncmp(json_object_get_string(name), "fail-", 5) == 0 ||
             strcmp(sim_config_get(st->s, "synnefo.build_result", "ACTIVE"),
                    "ERROR") == 0;
  sim_count(st->s, "synnefo.servers_created", 1);
  tmp = NULL;
  if (json_object_deep_copy(d, &tmp, NULL) != 0) {
    sim_reply_text(r, 500, "sim: out of memory");
    return;
  }
  snprintf(pass, sizeof(pass), "Sim%06ldPw", id % 1000000);
  json_object_object_add(tmp, "adminPass", json_object_new_string(pass));
  out = json_object_new_object();
  json_object_object_add(out, "server", tmp);
  {
    char loc[512];
    snprintf(loc, sizeof(loc), "%s/compute/v2.0/servers/%ld",
             sim_service_url(st->svc), id);
    sim_reply_header(r, "Location", loc);
  }
  sim_reply_json(r, 202, out);
}

static void compute_api(sim_req *r, void *arg)
{
  sim_syn *st = arg;
  const char *path = sim_req_path(r), *m = sim_req_method(r), *rest;
  json_object *out, *arr;
  size_t i;

  if (!sim_syn_auth(st, r))
    return;
  rest = path + strlen("/compute/v2.0");
  if (strncmp(path, "/compute/v2.0/", 14) != 0) {
    sim_syn_fault(r, 404, "itemNotFound", "No such API version");
    return;
  }
  if (strcmp(rest, "/servers") == 0 || strcmp(rest, "/servers/detail") == 0) {
    int detail = strcmp(rest, "/servers/detail") == 0;
    if (strcmp(m, "POST") == 0 && !detail) {
      server_create(st, r);
      return;
    }
    if (strcmp(m, "GET") != 0) {
      sim_syn_fault(r, 405, "notAllowed", "Method not allowed");
      return;
    }
    out = json_object_new_object();
    arr = json_object_new_array();
    for (i = 0; i < st->nservers; i++) {
      sim_syn_server *sv = &st->servers[i];
      server_refresh(st, sv);
      if (detail) {
        json_object_array_add(arr, json_object_get(sv->d));
      } else {
        json_object *e = json_object_new_object(), *v;
        json_object_object_get_ex(sv->d, "id", &v);
        json_object_object_add(e, "id", json_object_get(v));
        json_object_object_get_ex(sv->d, "name", &v);
        json_object_object_add(e, "name", json_object_get(v));
        json_object_object_get_ex(sv->d, "links", &v);
        json_object_object_add(e, "links", json_object_get(v));
        json_object_array_add(arr, e);
      }
    }
    json_object_object_add(out, "servers", arr);
    sim_reply_json(r, 200, out);
    return;
  }
  if (strncmp(rest, "/servers/", 9) == 0) {
    char id[64];
    const char *sl = strchr(rest + 9, '/');
    sim_syn_server *sv;
    snprintf(id, sizeof(id), "%.*s",
             (int)(sl ? (size_t)(sl - rest - 9) : strlen(rest + 9)), rest + 9);
    sv = server_find(st, r, id);
    if (!sv)
      return;
    if (sl && strcmp(sl, "/action") == 0 && strcmp(m, "POST") == 0) {
      sim_reply(r, 202, "text/plain", "", 0);
      return;
    }
    if (sl) {
      sim_syn_fault(r, 404, "itemNotFound", "Not found");
      return;
    }
    if (strcmp(m, "GET") == 0) {
      sim_count(st->s, "synnefo.server_polls", 1);
      out = json_object_new_object();
      json_object_object_add(out, "server", json_object_get(sv->d));
      sim_reply_json(r, 200, out);
    } else if (strcmp(m, "DELETE") == 0) {
      json_object_object_add(sv->d, "status",
                             json_object_new_string("DELETED"));
      json_object_object_add(sv->d, "deleted", json_object_new_boolean(1));
      sim_reply(r, 204, NULL, "", 0);
    } else {
      sim_syn_fault(r, 405, "notAllowed", "Method not allowed");
    }
    return;
  }
  if (strcmp(rest, "/images") == 0 || strcmp(rest, "/images/detail") == 0) {
    out = json_object_new_object();
    arr = json_object_new_array();
    json_object_object_foreach(st->images, k, v)
    {
      json_object *e = json_object_new_object(), *n;
      json_object_object_add(e, "id", json_object_new_string(k));
      json_object_object_get_ex(v, "name", &n);
      json_object_object_add(e, "name", json_object_get(n));
      json_object_array_add(arr, e);
    }
    json_object_object_add(out, "images", arr);
    sim_reply_json(r, 200, out);
    return;
  }
  if (strncmp(rest, "/images/", 8) == 0) {
    json_object *im = image_get(st, rest + 8), *e, *v;
    if (!im) {
      sim_syn_fault(r, 404, "itemNotFound", "Image not found.");
      return;
    }
    e = json_object_new_object();
    json_object_object_add(e, "id", json_object_new_string(rest + 8));
    json_object_object_get_ex(im, "name", &v);
    json_object_object_add(e, "name", json_object_get(v));
    json_object_object_add(e, "status", json_object_new_string("ACTIVE"));
    json_object_object_add(e, "progress", json_object_new_int(100));
    json_object_object_get_ex(im, "created_at", &v);
    json_object_object_add(e, "created", json_object_get(v));
    json_object_object_add(e, "updated", json_object_get(v));
    json_object_object_get_ex(im, "properties", &v);
    json_object_object_add(e, "metadata", json_object_get(v));
    json_object_object_add(e, "links", links(st, "images", rest + 8));
    out = json_object_new_object();
    json_object_object_add(out, "image", e);
    sim_reply_json(r, 200, out);
    return;
  }
  if (strncmp(rest, "/flavors", 8) == 0) {
    out = json_object_new_object();
    arr = json_object_new_array();
    for (i = 1; i <= 4; i++) {
      json_object *f = json_object_new_object();
      char fid[8], nm[32];
      snprintf(fid, sizeof(fid), "%zu", i);
      snprintf(nm, sizeof(nm), "C%zuR%zuD20", i, i * 1024);
      json_object_object_add(f, "id", json_object_new_int((int)i));
      json_object_object_add(f, "name", json_object_new_string(nm));
      json_object_object_add(f, "vcpus", json_object_new_int((int)i));
      json_object_object_add(f, "ram", json_object_new_int((int)i * 1024));
      json_object_object_add(f, "disk", json_object_new_int(20));
      json_object_object_add(f, "links", links(st, "flavors", fid));
      if (strlen(rest) > 9 && strcmp(rest, "/flavors/detail") != 0) {
        if (strcmp(rest + 9, fid) == 0) {
          json_object_put(arr);
          json_object_object_add(out, "flavor", f);
          sim_reply_json(r, 200, out);
          return;
        }
        json_object_put(f);
        continue;
      }
      json_object_array_add(arr, f);
    }
    if (strlen(rest) > 9 && strcmp(rest, "/flavors/detail") != 0) {
      json_object_put(arr);
      json_object_put(out);
      sim_syn_fault(r, 404, "itemNotFound", "Flavor not found.");
      return;
    }
    json_object_object_add(out, "flavors", arr);
    sim_reply_json(r, 200, out);
    return;
  }
  sim_syn_fault(r, 404, "itemNotFound", "Not found");
}

/* ---- network -------------------------------------------------------------
 */

static void network_api(sim_req *r, void *arg)
{
  sim_syn *st = arg;
  const char *path = sim_req_path(r), *m = sim_req_method(r), *rest;
  json_object *out, *arr;
  size_t i;

  if (!sim_syn_auth(st, r))
    return;
  if (strncmp(path, "/network/v2.0/", 14) != 0) {
    sim_syn_fault(r, 404, "itemNotFound", "No such API version");
    return;
  }
  rest = path + strlen("/network/v2.0");
  if (strcmp(rest, "/networks") == 0 && strcmp(m, "POST") == 0) {
    json_object *j = sim_req_json(r), *n, *t, *nm, *net;
    const char *types =
        sim_config_get(st->s, "synnefo.network_types", "MAC_FILTERED");
    static const char *const valid[] = {
        "CUSTOM", "MAC_FILTERED", "IP_LESS_ROUTED", "PHYSICAL_VLAN", NULL};
    char id[32], ts[64];
    if (!j || !json_object_object_get_ex(j, "network", &n) ||
        !json_object_object_get_ex(n, "type", &t)) {
      sim_syn_fault(r, 400, "badRequest", "Malformed request");
      return;
    }
    if (!in_list(json_object_get_string(t), valid)) {
      sim_syn_fault(r, 400, "badRequest", "Invalid network type");
      return;
    }
    if (!strstr(types, json_object_get_string(t))) {
      sim_syn_fault(r, 403, "forbidden", "Can not create network of type");
      return;
    }
    snprintf(id, sizeof(id), "%ld", 3000 + (++st->next_net));
    sim_syn_iso(now_real(), ts, sizeof(ts));
    net = json_object_new_object();
    json_object_object_add(net, "id", json_object_new_string(id));
    json_object_object_add(net, "name",
                           json_object_object_get_ex(n, "name", &nm)
                               ? json_object_get(nm)
                               : json_object_new_string(""));
    json_object_object_add(net, "links", json_object_new_array());
    json_object_object_add(net, "user_id",
                           json_object_new_string(sim_syn_user(st)));
    json_object_object_add(net, "tenant_id",
                           json_object_new_string(sim_syn_user(st)));
    json_object_object_add(net, "shared_to_project",
                           json_object_new_boolean(0));
    json_object_object_add(net, "type", json_object_get(t));
    json_object_object_add(net, "status", json_object_new_string("ACTIVE"));
    json_object_object_add(net, "created", json_object_new_string(ts));
    json_object_object_add(net, "updated", json_object_new_string(ts));
    json_object_object_add(net, "public", json_object_new_boolean(0));
    json_object_object_add(net, "shared", json_object_new_boolean(0));
    json_object_object_add(net, "router:external", json_object_new_boolean(0));
    json_object_object_add(net, "admin_state_up", json_object_new_boolean(1));
    json_object_object_add(net, "subnets", json_object_new_array());
    json_object_object_add(net, "SNF:floating_ip_pool",
                           json_object_new_boolean(0));
    json_object_object_add(net, "deleted", json_object_new_boolean(0));
    json_object_array_add(st->networks, net);
    out = json_object_new_object();
    json_object_object_add(out, "network", json_object_get(net));
    sim_reply_json(r, 201, out);
    return;
  }
  if ((strcmp(rest, "/networks") == 0 ||
       strcmp(rest, "/networks/detail") == 0) &&
      strcmp(m, "GET") == 0) {
    int detail = strcmp(rest, "/networks/detail") == 0;
    out = json_object_new_object();
    arr = json_object_new_array();
    for (i = 0; i < json_object_array_length(st->networks); i++) {
      json_object *n = json_object_array_get_idx(st->networks, i);
      if (detail) {
        json_object_array_add(arr, json_object_get(n));
      } else {
        json_object *e = json_object_new_object(), *v;
        json_object_object_get_ex(n, "id", &v);
        json_object_object_add(e, "id", json_object_get(v));
        json_object_object_get_ex(n, "name", &v);
        json_object_object_add(e, "name", json_object_get(v));
        json_object_array_add(arr, e);
      }
    }
    json_object_object_add(out, "networks", arr);
    sim_reply_json(r, 200, out);
    return;
  }
  if (strncmp(rest, "/networks/", 10) == 0) {
    json_object *n = network_find(st, rest + 10);
    if (!n) {
      sim_syn_fault(r, 404, "itemNotFound", "Network not found.");
      return;
    }
    if (strcmp(m, "GET") == 0) {
      out = json_object_new_object();
      json_object_object_add(out, "network", json_object_get(n));
      sim_reply_json(r, 200, out);
    } else if (strcmp(m, "DELETE") == 0) {
      json_object_object_add(n, "status", json_object_new_string("DELETED"));
      json_object_object_add(n, "deleted", json_object_new_boolean(1));
      sim_reply(r, 204, NULL, "", 0);
    } else {
      sim_syn_fault(r, 405, "notAllowed", "Method not allowed");
    }
    return;
  }
  sim_syn_fault(r, 404, "itemNotFound", "Not found");
}

/* ---- volume ------------------------------------------------------------- */

static json_object *volume_find(sim_syn *st, const char *id)
{
  size_t i, n = json_object_array_length(st->volumes);

  for (i = 0; i < n; i++) {
    json_object *v = json_object_array_get_idx(st->volumes, i), *x;
    json_object_object_get_ex(v, "id", &x);
    if (strcmp(json_object_get_string(x), id) == 0)
      return v;
  }
  return NULL;
}

static void snapshot_create(sim_syn *st, sim_req *r)
{
  json_object *j = sim_req_json(r), *s, *vid, *vol, *dn, *dd, *snap, *im,
              *props, *out, *stv;
  size_t bytes =
      (size_t)sim_config_long(st->s, "synnefo.snapshot_bytes", 1048576);
  unsigned char *data;
  sim_syn_container *c;
  sim_syn_object *o;
  char oname[128], ts[64], loc[512], name[160], sz[32], hex[65];
  size_t i;

  if (!j || !json_object_object_get_ex(j, "snapshot", &s) ||
      !json_object_object_get_ex(s, "volume_id", &vid)) {
    sim_syn_fault(r, 400, "badRequest", "Invalid 'volume_id' field");
    return;
  }
  vol = volume_find(st, json_object_get_string(vid));
  if (!vol) {
    sim_syn_fault(r, 404, "itemNotFound", "Volume not found");
    return;
  }
  json_object_object_get_ex(vol, "status", &stv);
  if (strcasecmp(json_object_get_string(stv), "available") != 0 &&
      strcasecmp(json_object_get_string(stv), "in_use") != 0) {
    sim_syn_fault(r, 400, "badRequest", "Volume is not available or in use");
    return;
  }
  if (json_object_object_get_ex(s, "display_name", &dn))
    snprintf(name, sizeof(name), "%s", json_object_get_string(dn));
  else
    snprintf(name, sizeof(name), "Snapshot of volume '%s'",
             json_object_get_string(vid));
  c = sim_syn_container_get(st, sim_syn_user(st), "snapshots", 1);
  data = malloc(bytes ? bytes : 1);
  if (!c || !data) {
    free(data);
    sim_reply_text(r, 500, "sim: out of memory");
    return;
  }
  /* a disk-like pattern: text blocks, then a run of zero blocks */
  for (i = 0; i < bytes; i++)
    data[i] =
        i < bytes / 2
            ? (unsigned char)("volume data "[i % 12] ^
                              (unsigned char)(atol(json_object_get_string(
                                                  vid)) &
                                              7))
            : 0;
  snprintf(oname, sizeof(oname), "snapshot-%s-%ld",
           json_object_get_string(vid), ++st->next_obj);
  o = sim_syn_object_put_data(st, c, oname, data, bytes,
                              "application/octet-stream");
  free(data);
  if (!o) {
    sim_reply_text(r, 500, "sim: out of memory");
    return;
  }
  sim_syn_iso(now_real(), ts, sizeof(ts));
  snprintf(loc, sizeof(loc), "pithos://%s/snapshots/%s", sim_syn_user(st),
           oname);
  im = json_object_new_object();
  props = json_object_new_object();
  json_object_object_add(im, "id", json_object_new_string(o->uuid));
  json_object_object_add(im, "name", json_object_new_string(name));
  json_object_object_add(im, "location", json_object_new_string(loc));
  json_object_object_add(im, "disk_format",
                         json_object_new_string("diskdump"));
  json_object_object_add(im, "container_format",
                         json_object_new_string("bare"));
  snprintf(sz, sizeof(sz), "%zu", bytes);
  json_object_object_add(im, "size", json_object_new_string(sz));
  sim_syn_merkle(o->hashes, o->nhashes, hex);
  json_object_object_add(im, "checksum", json_object_new_string(hex));
  json_object_object_add(im, "created_at", json_object_new_string(ts));
  json_object_object_add(im, "updated_at", json_object_new_string(ts));
  json_object_object_add(im, "deleted_at", json_object_new_string(""));
  json_object_object_add(im, "status", json_object_new_string("AVAILABLE"));
  json_object_object_add(im, "is_public", json_object_new_string("False"));
  json_object_object_add(im, "owner",
                         json_object_new_string(sim_syn_user(st)));
  json_object_object_add(im, "is_snapshot", json_object_new_string("True"));
  json_object_object_add(im, "description", json_object_new_string(""));
  json_object_object_add(props, "os", json_object_new_string("debian"));
  json_object_object_add(props, "users", json_object_new_string("root"));
  json_object_object_add(im, "properties", props);
  json_object_object_add(st->images, o->uuid, im);
  snap = json_object_new_object();
  json_object_object_add(snap, "id", json_object_new_string(o->uuid));
  json_object_object_add(snap, "size", json_object_new_int(1));
  json_object_object_add(snap, "display_name", json_object_new_string(name));
  json_object_object_add(
      snap, "display_description",
      json_object_object_get_ex(s, "display_description", &dd)
          ? json_object_get(dd)
          : json_object_new_string(""));
  json_object_object_add(snap, "status", json_object_new_string("AVAILABLE"));
  json_object_object_add(snap, "user_id",
                         json_object_new_string(sim_syn_user(st)));
  json_object_object_add(snap, "tenant_id",
                         json_object_new_string(sim_syn_user(st)));
  json_object_object_add(snap, "os-extended-snapshot-attribute:progress",
                         json_object_new_string("100%"));
  json_object_object_add(snap, "created_at", json_object_new_string(ts));
  json_object_object_add(snap, "metadata", json_object_new_object());
  json_object_object_add(snap, "volume_id", json_object_get(vid));
  json_object_object_add(snap, "links", json_object_new_array());
  json_object_array_add(st->snapshots, json_object_get(snap));
  out = json_object_new_object();
  json_object_object_add(out, "snapshot", snap);
  sim_reply_json(r, 202, out);
}

static void volume_api(sim_req *r, void *arg)
{
  sim_syn *st = arg;
  const char *path = sim_req_path(r), *m = sim_req_method(r), *rest;
  json_object *out;

  if (!sim_syn_auth(st, r))
    return;
  if (strncmp(path, "/volume/v2.0/", 13) != 0) {
    sim_syn_fault(r, 404, "itemNotFound", "No such API version");
    return;
  }
  rest = path + strlen("/volume/v2.0");
  if (strcmp(rest, "/snapshots") == 0 && strcmp(m, "POST") == 0) {
    snapshot_create(st, r);
    return;
  }
  if ((strcmp(rest, "/snapshots") == 0 ||
       strcmp(rest, "/snapshots/detail") == 0) &&
      strcmp(m, "GET") == 0) {
    out = json_object_new_object();
    json_object_object_add(out, "snapshots", json_object_get(st->snapshots));
    sim_reply_json(r, 200, out);
    return;
  }
  if ((strcmp(rest, "/volumes") == 0 ||
       strcmp(rest, "/volumes/detail") == 0) &&
      strcmp(m, "GET") == 0) {
    out = json_object_new_object();
    json_object_object_add(out, "volumes", json_object_get(st->volumes));
    sim_reply_json(r, 200, out);
    return;
  }
  if (strcmp(rest, "/volumes") == 0 && strcmp(m, "POST") == 0) {
    json_object *j = sim_req_json(r), *v, *size, *vol, *dn;
    char id[32];
    if (!j || !json_object_object_get_ex(j, "volume", &v) ||
        !json_object_object_get_ex(v, "size", &size)) {
      sim_syn_fault(r, 400, "badRequest", "Malformed request");
      return;
    }
    snprintf(id, sizeof(id), "%ld", 1000 + (++st->next_vol));
    vol = json_object_new_object();
    json_object_object_add(vol, "id", json_object_new_string(id));
    json_object_object_add(vol, "size", json_object_get(size));
    json_object_object_add(vol, "display_name",
                           json_object_object_get_ex(v, "display_name", &dn)
                               ? json_object_get(dn)
                               : json_object_new_string(""));
    json_object_object_add(vol, "status", json_object_new_string("available"));
    json_object_object_add(vol, "user_id",
                           json_object_new_string(sim_syn_user(st)));
    json_object_array_add(st->volumes, vol);
    out = json_object_new_object();
    json_object_object_add(out, "volume", json_object_get(vol));
    sim_reply_json(r, 202, out);
    return;
  }
  if (strncmp(rest, "/volumes/", 9) == 0 && strcmp(m, "GET") == 0) {
    json_object *v = volume_find(st, rest + 9);
    if (!v) {
      sim_syn_fault(r, 404, "itemNotFound", "Volume not found");
      return;
    }
    out = json_object_new_object();
    json_object_object_add(out, "volume", json_object_get(v));
    sim_reply_json(r, 200, out);
    return;
  }
  sim_syn_fault(r, 404, "itemNotFound", "Not found");
}

/* ---- pithos ----------------------------------------------------------------
 */

static void pithos_api(sim_req *r, void *arg)
{
  sim_syn *st = arg;
  const char *path = sim_req_path(r);

  sim_syn_pithos(st, r, path + strlen("/object-store/v1/"));
}

static void ui_page(sim_req *r, void *arg)
{
  (void)arg;
  sim_reply_text(r, 200, "Synnefo simulator");
}

/* ---- lifetime ----------------------------------------------------------- */

static void state_clear(sim_syn *st)
{
  size_t i;

  sim_syn_pithos_reset(st);
  for (i = 0; i < st->nservers; i++)
    json_object_put(st->servers[i].d);
  free(st->servers);
  st->servers = NULL;
  st->nservers = st->capservers = 0;
  if (st->networks)
    json_object_put(st->networks);
  if (st->volumes)
    json_object_put(st->volumes);
  if (st->snapshots)
    json_object_put(st->snapshots);
  if (st->images)
    json_object_put(st->images);
  st->networks = json_object_new_array();
  st->volumes = json_object_new_array();
  st->snapshots = json_object_new_array();
  st->images = json_object_new_object();
  st->next_net = st->next_vol = 0;
  add_default_image(st);
}

static void on_reset(void *arg)
{
  state_clear(arg);
}

static void on_free(void *arg)
{
  sim_syn *st = arg;
  size_t i;

  sim_syn_pithos_reset(st);
  json_object_put(st->block_ix);
  for (i = 0; i < st->nservers; i++)
    json_object_put(st->servers[i].d);
  free(st->servers);
  json_object_put(st->networks);
  json_object_put(st->volumes);
  json_object_put(st->snapshots);
  json_object_put(st->images);
  free(st);
}

int sim_synnefo_attach(sim_service *svc)
{
  sim_syn *st = calloc(1, sizeof(*st));

  if (!st)
    return -1;
  st->s = sim_service_sim(svc);
  st->svc = svc;
  state_clear(st);
  if (sim_on_free(st->s, on_free, st) != 0) {
    on_free(st);
    return -1;
  }
  sim_on_reset(st->s, on_reset, st);
  sim_route(svc, "POST", "/identity/v2.0/tokens", tokens, st);
  sim_route(svc, NULL, "/account/**", account_api, st);
  sim_route(svc, "GET", "/ui", ui_page, st);
  sim_route(svc, NULL, "/compute/**", compute_api, st);
  sim_route(svc, NULL, "/network/**", network_api, st);
  sim_route(svc, NULL, "/volume/**", volume_api, st);
  sim_route(svc, NULL, "/image/**", image_api, st);
  sim_route(svc, NULL, "/object-store/v1/**", pithos_api, st);
  return 0;
}

/* Every X-Image-Meta-Property-* request header, lower-cased key with
 * punctuation as '_' (as Plankton stores it), value percent-decoded. */
int sim_syn_props_from_headers(sim_req *r, json_object *props)
{
  struct evhttp_request *ev = sim_req_evhttp(r);
  struct evkeyvalq *h;
  struct evkeyval *kv;
  static const char pre[] = "x-image-meta-property-";

  if (!ev)
    return 0;
  h = evhttp_request_get_input_headers(ev);
  for (kv = h->tqh_first; kv; kv = kv->next.tqe_next) {
    char key[256], *p, *v;
    if (strncasecmp(kv->key, pre, sizeof(pre) - 1) != 0)
      continue;
    snprintf(key, sizeof(key), "%s", kv->key + sizeof(pre) - 1);
    for (p = key; *p; p++)
      *p = ispunct((unsigned char)*p) ? '_' : (char)tolower((unsigned char)*p);
    v = unquote(kv->value);
    json_object_object_add(props, key,
                           json_object_new_string(v ? v : kv->value));
    free(v);
  }
  return 0;
}
