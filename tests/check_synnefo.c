/* Tests of the Synnefo module: sans-I/O helpers, validation, and every
 * call end to end against the in-process simulator (the 256 MiB upload
 * runs against callmux-sim in a child process). */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include <callmux/callmux.h>
#include <callmux/synnefo.h>

#include "sim/sim.h"

#define TOKEN "synnefo-token"
#define USER "5a1f0cd5-0000-4000-8000-00000000a001"
#define E3B0 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define BS 4096

/* ---- helpers -------------------------------------------------------------
 */

typedef struct env {
  struct event_base *base;
  sim *sim;
  sim_service *svc;
  cmx_engine *engine;
  cmx_synnefo *c;
  char auth[256];
} env;

static void env_up(env *e)
{
  char err[128];

  memset(e, 0, sizeof(*e));
  e->base = event_base_new();
  ck_assert_ptr_nonnull(e->base);
  e->sim = sim_new(e->base);
  ck_assert_ptr_nonnull(e->sim);
  e->svc = sim_service_add(e->sim, "synnefo", 0, 0);
  ck_assert_ptr_nonnull(e->svc);
  ck_assert_int_eq(sim_synnefo_attach(e->svc), 0);
  e->engine = cmx_engine_new(e->base, NULL);
  ck_assert_ptr_nonnull(e->engine);
  snprintf(e->auth, sizeof(e->auth), "%s/identity/v2.0",
           sim_service_url(e->svc));
  e->c = cmx_synnefo_new(e->engine, e->auth, TOKEN, err, sizeof(err));
  ck_assert_msg(e->c != NULL, "%s", err);
}

static void env_down(env *e)
{
  cmx_engine_free(e->engine);
  cmx_synnefo_free(e->c);
  sim_free(e->sim);
  event_base_free(e->base);
}

typedef struct res {
  int calls;
  int code;
  long status;
  int timed_out;
  json_object *json;
  char msg[512];
  char kind[64];
  long err_status;
  size_t ndetails;
  char detail0[512];
  int polls;
} res;

static void res_clear(res *r)
{
  if (r->json)
    json_object_put(r->json);
  memset(r, 0, sizeof(*r));
}

static void on_res(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  res *out = ud;

  (void)c;
  out->calls++;
  out->code = r->code;
  out->status = r->http_status;
  out->timed_out = r->timed_out;
  if (out->json)
    json_object_put(out->json);
  out->json = NULL;
  if (r->json)
    json_object_deep_copy(r->json, &out->json, NULL);
  if (r->error) {
    snprintf(out->msg, sizeof(out->msg), "%s", r->error->message);
    snprintf(out->kind, sizeof(out->kind), "%s",
             r->error->kind ? r->error->kind : "");
    out->err_status = r->error->status;
    out->ndetails = r->error->ndetails;
    if (r->error->ndetails)
      snprintf(out->detail0, sizeof(out->detail0), "%s", r->error->details[0]);
  } else {
    snprintf(out->msg, sizeof(out->msg), "%s", r->detail ? r->detail : "");
  }
}

static void run(env *e, res *r, unsigned ms)
{
  int flag = 0;
  uint64_t end = cmx_engine_now(e->engine) + ms;

  while (!r->calls && cmx_engine_now(e->engine) < end)
    event_base_loop(e->base, EVLOOP_ONCE);
  (void)flag;
  ck_assert_int_eq(r->calls, 1);
}

static const char *jstr(json_object *o, const char *k)
{
  json_object *v;

  if (!o || !json_object_object_get_ex(o, k, &v))
    return NULL;
  return json_object_get_string(v);
}

static long long jint(json_object *o, const char *k)
{
  json_object *v;

  if (!o || !json_object_object_get_ex(o, k, &v))
    return -1;
  return json_object_get_int64(v);
}

/* ---- test files (same generators as the independent Python vectors) ---- */

static size_t gen_trailing(unsigned char *d)
{
  size_t i, n = 0;

  for (i = 0; i < 2 * BS; i++)
    d[n++] = (unsigned char)((i * 7 + 3) % 251);
  memcpy(d + n, "tail", 4);
  memset(d + n + 4, 0, BS - 4);
  n += BS;
  memset(d + n, 0, 100);
  return n + 100;
}

static size_t gen_short(unsigned char *d)
{
  size_t i;

  for (i = 0; i < BS * 2 + 1234; i++)
    d[i] = (unsigned char)((i * 13 + 1) % 256);
  return BS * 2 + 1234;
}

static size_t gen_repeat(unsigned char *d)
{
  unsigned char a[BS], b[BS];
  size_t i;

  for (i = 0; i < BS; i++) {
    a[i] = (unsigned char)((i * 5 + 2) % 256);
    b[i] = (unsigned char)((i * 11 + 9) % 256);
  }
  memcpy(d, a, BS);
  memcpy(d + BS, b, BS);
  memcpy(d + 2 * BS, a, BS);
  memcpy(d + 3 * BS, a, BS);
  memcpy(d + 4 * BS, b, 999);
  return 4 * BS + 999;
}

static const struct vec {
  const char *name;
  size_t (*gen)(unsigned char *);
  size_t bytes, nblocks;
  const char *merkle;
  const char *h0;
} vecs[] = {
    {"trailing", gen_trailing, 12388, 4,
     "ea4937ce5c6e0aa5066156ef7d5ec02b86b8601eba3ca7aaaa87fb5006e69ae2",
     "0d356260eaf09e3b3dc81a65b2ad2399aa7c4921c0274bd2cbb54c2a21c46e3b"},
    {"short", gen_short, 9426, 3,
     "211f08e01999520a40068d006bdd045e62c4f80db021d92e4a16c28bbf762026",
     "cc27dc29ed0b4aa134d2c43fbaf0c8e823a5ae9ad1ac631e4c0b6cf7061a4cae"},
    {"repeat", gen_repeat, 17383, 5,
     "d8de45010768360ca94ae7259881fbdb636616d51fe9c1d92e2bb6cd743de490",
     "0d6bbc6d95bb6faad54ff527191f29fd3d63677072b4b19e333a5ca9558a33f7"},
};

static int write_tmp(const unsigned char *d, size_t n, char *path)
{
  int fd;

  strcpy(path, "/tmp/cmx-syn-XXXXXX");
  fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  if (n)
    ck_assert_int_eq(write(fd, d, n), (ssize_t)n);
  return fd;
}

/* ---- sans-I/O ------------------------------------------------------------
 */

START_TEST(test_block_hash_vectors)
{
  char hex[65];
  const char *hs[3];
  char h0[65], h1[65], h2[65];

  cmx_synnefo_block_hash("abcd", 4, h0);
  ck_assert_str_eq(
      h0, "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589");
  cmx_synnefo_block_hash("efgh", 4, h1);
  ck_assert_str_eq(
      h1, "e5e088a0b66163a0a26a5e053d2a4496dc16ab6e0e3dd1adf2d16aa84a078c9d");
  cmx_synnefo_block_hash("\0\0", 2, h2);
  ck_assert_str_eq(h2, E3B0);
  hs[0] = h0;
  hs[1] = h1;
  hs[2] = h2;
  ck_assert_int_eq(cmx_synnefo_merkle(hs, 3, hex), CMX_OK);
  ck_assert_str_eq(
      hex, "02f702d6126a6b9e46ac17059bb838b44ddb4b53864c15e444aed0af1adaaa95");
  cmx_synnefo_block_hash("hello world", 11, hex);
  ck_assert_str_eq(
      hex, "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
  hs[0] = hex;
  ck_assert_int_eq(cmx_synnefo_merkle(hs, 1, h0), CMX_OK);
  ck_assert_str_eq(h0, hex);
  ck_assert_int_eq(cmx_synnefo_merkle(NULL, 0, h0), CMX_OK);
  ck_assert_str_eq(h0, E3B0);
  /* trailing NULs stripped from every block */
  cmx_synnefo_block_hash("abc", 3, h0);
  cmx_synnefo_block_hash("abc\0\0", 5, h1);
  ck_assert_str_eq(h0, h1);
  {
    unsigned char z[4096] = {0};
    cmx_synnefo_block_hash(z, sizeof(z), h2);
    ck_assert_str_eq(h2, E3B0);
  }
  hs[0] = "zz";
  hs[1] = h1;
  ck_assert_int_eq(cmx_synnefo_merkle(hs, 2, h0), CMX_EINVAL);
}
END_TEST

/* The table above agrees with tests/data/synnefo/vectors.txt, written by
 * vectors.py from Python's hashlib alone (no project code). */
START_TEST(test_vectors_file)
{
  const char *dir = getenv("CMX_TESTDATA");
  char path[1024], line[512], name[32], merkle[65], h0[65];
  unsigned long bytes, nblocks;
  size_t v, seen = 0;
  FILE *f;

  if (!dir) {
    fprintf(stderr, "check_synnefo: CMX_TESTDATA unset, vectors.txt not "
                    "compared\n");
    return;
  }
  snprintf(path, sizeof(path), "%s/synnefo/vectors.txt", dir);
  f = fopen(path, "r");
  ck_assert_msg(f != NULL, "cannot open %s", path);
  while (fgets(line, sizeof(line), f)) {
    if (sscanf(line, "%31s %lu %lu %64s %64s", name, &bytes, &nblocks, merkle,
               h0) != 5)
      continue;
    if (strcmp(name, "empty") == 0) {
      ck_assert_uint_eq(nblocks, 0);
      ck_assert_str_eq(merkle, E3B0);
      seen++;
      continue;
    }
    for (v = 0; v < 3; v++) {
      if (strcmp(name, vecs[v].name) != 0)
        continue;
      ck_assert_uint_eq(bytes, vecs[v].bytes);
      ck_assert_uint_eq(nblocks, vecs[v].nblocks);
      ck_assert_str_eq(merkle, vecs[v].merkle);
      ck_assert_str_eq(h0, vecs[v].h0);
      seen++;
    }
  }
  fclose(f);
  ck_assert_uint_eq(seen, 4);
}
END_TEST

START_TEST(test_hash_fd_vectors)
{
  unsigned char *d = malloc(64 * 1024);
  char path[64], *hexes;
  size_t v;
  int fd;

  ck_assert_ptr_nonnull(d);
  for (v = 0; v < 3; v++) {
    size_t n = vecs[v].gen(d), i;
    const char **hs;
    char top[65];
    ck_assert_uint_eq(n, vecs[v].bytes);
    fd = write_tmp(d, n, path);
    hexes = malloc(vecs[v].nblocks * 65);
    hs = malloc(vecs[v].nblocks * sizeof(*hs));
    ck_assert_int_eq(cmx_synnefo_hash_fd(fd, n, BS, hexes), CMX_OK);
    for (i = 0; i < vecs[v].nblocks; i++)
      hs[i] = hexes + 65 * i;
    ck_assert_str_eq(hs[0], vecs[v].h0);
    ck_assert_int_eq(cmx_synnefo_merkle(hs, vecs[v].nblocks, top), CMX_OK);
    ck_assert_msg(strcmp(top, vecs[v].merkle) == 0, "%s: %s", vecs[v].name,
                  top);
    if (v == 0)
      ck_assert_str_eq(hs[3], E3B0); /* all-zero last block */
    if (v == 2) {
      ck_assert_str_eq(hs[0], hs[2]);
      ck_assert_str_eq(hs[0], hs[3]);
    }
    close(fd);
    unlink(path);
    free(hexes);
    free(hs);
  }
  /* short read: the file is smaller than claimed */
  fd = write_tmp(d, 10, path);
  hexes = malloc(65);
  ck_assert_int_eq(cmx_synnefo_hash_fd(fd, 20, BS, hexes), CMX_EIO);
  free(hexes);
  close(fd);
  unlink(path);
  free(d);
}
END_TEST

START_TEST(test_urls)
{
  char *u;

  u = cmx_synnefo_versioned_url("https://x.org/image/", "1.0");
  ck_assert_str_eq(u, "https://x.org/image/v1.0");
  free(u);
  u = cmx_synnefo_versioned_url("https://x.org/compute/v2.0", "2.0");
  ck_assert_str_eq(u, "https://x.org/compute/v2.0");
  free(u);
  u = cmx_synnefo_versioned_url("https://x.org/object-store/v1/", "1");
  ck_assert_str_eq(u, "https://x.org/object-store/v1");
  free(u);
  u = cmx_synnefo_versioned_url("https://x.org/volume", "2.0");
  ck_assert_str_eq(u, "https://x.org/volume/v2.0");
  free(u);
  u = cmx_synnefo_versioned_url("https://x.org/av2", "2.0"); /* no /v */
  ck_assert_str_eq(u, "https://x.org/av2/v2.0");
  free(u);
  u = cmx_synnefo_join_url("http://h/v1/", "acc//cont/dir/my file+ü.txt");
  ck_assert_str_eq(u, "http://h/v1/acc/cont/dir/my%20file%2B%C3%BC.txt");
  free(u);
  u = cmx_synnefo_join_url("http://h/v1.0", "images/");
  ck_assert_str_eq(u, "http://h/v1.0/images/");
  free(u);
  u = cmx_synnefo_unquote("a%20b%2Fc%zz");
  ck_assert_str_eq(u, "a b/c%zz");
  free(u);
}
END_TEST

static const char catalog_txt[] =
    "[{\"name\":\"astakos_account\",\"type\":\"account\",\"endpoints\":"
    "[{\"versionId\":\"v1.0\",\"publicURL\":\"https://a/account/v1.0\"}]},"
    "{\"name\":\"cyclades_compute\",\"type\":\"compute\",\"endpoints\":"
    "[{\"versionId\":\"v2.0\",\"publicURL\":\"https://c/compute/v2.0\"},"
    "{\"versionId\":\"v3.0\",\"publicURL\":\"https://c/compute/v3.0\"}]},"
    "{\"name\":\"cyclades_plankton\",\"type\":\"image\",\"endpoints\":"
    "[{\"versionId\":\"v1.0\",\"publicURL\":\"https://c/image\"}]}]";

START_TEST(test_catalog)
{
  json_object *cat = json_tokener_parse(catalog_txt);
  char err[128];
  char *u;

  ck_assert_ptr_nonnull(cat);
  u = cmx_synnefo_catalog_endpoint(cat, "IMAGE", NULL, err, sizeof(err));
  ck_assert_str_eq(u, "https://c/image");
  free(u);
  u = cmx_synnefo_catalog_endpoint(cat, "compute", "V3.0", err, sizeof(err));
  ck_assert_str_eq(u, "https://c/compute/v3.0");
  free(u);
  u = cmx_synnefo_catalog_endpoint(cat, "compute", NULL, err, sizeof(err));
  ck_assert_ptr_null(u);
  ck_assert_str_eq(err, "2 endpoints match type compute");
  u = cmx_synnefo_catalog_endpoint(cat, "object-store", NULL, err,
                                   sizeof(err));
  ck_assert_ptr_null(u);
  ck_assert_str_eq(err,
                   "Service type \"object-store\" not in service catalog");
  u = cmx_synnefo_catalog_endpoint(cat, "compute", "v9", err, sizeof(err));
  ck_assert_ptr_null(u);
  ck_assert_str_eq(err, "0 endpoints match type compute and versionId v9");
  json_object_put(cat);
}
END_TEST

START_TEST(test_fault_parse)
{
  cmx_synnefo_fault f;
  const char *b1 = "{\"itemNotFound\": {\"message\": \"Server not found.\", "
                   "\"code\": 404, \"details\": \"\"}}";
  const char *b2 =
      "{\"fault\": {\"code\": 401, \"message\": \"UNAUTHORIZED\", "
      "\"details\": \"{\\\"unauthorized\\\": 1}\"}}";
  const char *b3 = "<html>bad gateway</html>\n\n";
  const char *b4 = "{\"overLimit\": {\"details\": \"quota\"}}";

  ck_assert_int_eq(cmx_synnefo_fault_parse(404, NULL, b1, strlen(b1), &f),
                   CMX_OK);
  ck_assert_str_eq(f.message, "Not Found itemNotFound (Server not found.)");
  ck_assert_int_eq(f.status, 404);
  ck_assert_str_eq(f.kind, "itemNotFound");
  ck_assert_uint_eq(f.ndetails, 0);
  cmx_synnefo_fault_clear(&f);
  ck_assert_int_eq(cmx_synnefo_fault_parse(401, NULL, b2, strlen(b2), &f),
                   CMX_OK);
  ck_assert_str_eq(f.message, "Unauthorized fault (UNAUTHORIZED)");
  ck_assert_uint_eq(f.ndetails, 1);
  ck_assert_str_eq(f.details[0], "{\"unauthorized\": 1}");
  cmx_synnefo_fault_clear(&f);
  ck_assert_int_eq(cmx_synnefo_fault_parse(502, NULL, b3, strlen(b3), &f),
                   CMX_OK);
  ck_assert_str_eq(f.message, "Bad Gateway <html>bad gateway</html>");
  ck_assert_int_eq(f.status, 502);
  ck_assert_ptr_null(f.kind);
  cmx_synnefo_fault_clear(&f);
  /* code from the body wins; no message gives "<reason> <key>" */
  ck_assert_int_eq(cmx_synnefo_fault_parse(400, "Custom", b4, strlen(b4), &f),
                   CMX_OK);
  ck_assert_str_eq(f.message, "Custom overLimit");
  ck_assert_int_eq(f.status, 400);
  ck_assert_str_eq(f.details[0], "quota");
  cmx_synnefo_fault_clear(&f);
  ck_assert_int_eq(cmx_synnefo_fault_parse(500, NULL, NULL, 0, &f), CMX_OK);
  ck_assert_str_eq(f.message, "Internal Server Error");
  cmx_synnefo_fault_clear(&f);
}
END_TEST

START_TEST(test_image_meta_decode)
{
  json_object *m = json_object_new_object(), *p;

  ck_assert_int_eq(
      cmx_synnefo_image_meta_add(m, "X-Image-Meta-Name", "My%20image"),
      CMX_OK);
  cmx_synnefo_image_meta_add(m, "x-image-meta-disk-format", "diskdump");
  cmx_synnefo_image_meta_add(m, "x-image-meta-property-os-family",
                             "linux%2Fdebian");
  cmx_synnefo_image_meta_add(m, "content-type", "text/plain");
  ck_assert_str_eq(jstr(m, "name"), "My image");
  ck_assert_str_eq(jstr(m, "disk-format"), "diskdump");
  ck_assert(json_object_object_get_ex(m, "properties", &p));
  ck_assert_str_eq(jstr(p, "os_family"), "linux/debian");
  ck_assert_ptr_null(jstr(m, "content-type"));
  json_object_put(m);
}
END_TEST

static void never(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  (void)c;
  (void)r;
  (void)ud;
  ck_abort_msg("callback of a refused call ran");
}

START_TEST(test_validation)
{
  struct event_base *base = event_base_new();
  cmx_engine *e = cmx_engine_new(base, NULL);
  char err[128];
  cmx_synnefo *c;
  cmx_synnefo_server_spec s;
  cmx_synnefo_image_spec im;
  json_object *bad;

  ck_assert_ptr_null(cmx_synnefo_new(e, "ftp://x", TOKEN, err, sizeof(err)));
  ck_assert_str_eq(err, "auth_url: must be an absolute http(s) URL");
  ck_assert_ptr_null(cmx_synnefo_new(e, "http://x", "", err, sizeof(err)));
  ck_assert_str_eq(err, "token: must be a non-empty string");
  c = cmx_synnefo_new(e, "http://127.0.0.1:1/identity/v2.0", "sekrit-tok", err,
                      sizeof(err));
  ck_assert_ptr_nonnull(c);
  memset(&s, 0, sizeof(s));
  s.flavor_id = "1";
  s.image_id = "img";
  ck_assert_int_eq(cmx_synnefo_create_server(c, &s, never, NULL), CMX_EINVAL);
  ck_assert_str_eq(cmx_synnefo_last_error(c),
                   "name: must be a non-empty string");
  s.name = "x";
  s.metadata = json_tokener_parse("[1]");
  ck_assert_int_eq(cmx_synnefo_create_server(c, &s, never, NULL), CMX_EINVAL);
  ck_assert_str_eq(cmx_synnefo_last_error(c),
                   "metadata: must be a JSON object");
  json_object_put(s.metadata);
  s.metadata = NULL;
  bad = json_tokener_parse("[{\"path\":\"/x\",\"contents\":\"not base64!\"}]");
  s.personality = bad;
  ck_assert_int_eq(cmx_synnefo_create_server(c, &s, never, NULL), CMX_EINVAL);
  ck_assert_str_eq(cmx_synnefo_last_error(c),
                   "personality[0].contents: must be base64");
  json_object_put(bad);
  {
    /* 10244 decoded bytes: too big */
    size_t n = 10244 / 3 * 4, i;
    char *big = malloc(n + 1);
    json_object *p = json_object_new_array(), *o = json_object_new_object();
    for (i = 0; i < n; i++)
      big[i] = 'A';
    big[n] = 0;
    json_object_object_add(o, "path", json_object_new_string("/a"));
    json_object_object_add(o, "contents", json_object_new_string(big));
    json_object_array_add(p, o);
    s.personality = p;
    ck_assert_int_eq(cmx_synnefo_create_server(c, &s, never, NULL),
                     CMX_EINVAL);
    ck_assert_str_eq(cmx_synnefo_last_error(c),
                     "personality[0].contents: at most 10240 bytes decoded");
    json_object_put(p);
    free(big);
    s.personality = NULL;
  }
  s.networks = json_tokener_parse("[{\"fixed_ip\":\"1.2.3.4\"}]");
  ck_assert_int_eq(cmx_synnefo_create_server(c, &s, never, NULL), CMX_EINVAL);
  ck_assert_str_eq(cmx_synnefo_last_error(c),
                   "networks[0]: needs \"uuid\" or \"port\"");
  json_object_put(s.networks);
  ck_assert_int_eq(cmx_synnefo_get_server_details(c, "12a", never, NULL),
                   CMX_EINVAL);
  ck_assert_str_eq(cmx_synnefo_last_error(c),
                   "server_id: must be decimal digits");
  ck_assert_int_eq(
      cmx_synnefo_wait_server(c, "1", NULL, 0, 100, NULL, never, NULL),
      CMX_EINVAL);
  ck_assert_str_eq(cmx_synnefo_last_error(c), "delay_ms: must be > 0");
  ck_assert_int_eq(cmx_synnefo_create_network(c, "VLAN", "n", never, NULL),
                   CMX_EINVAL);
  ck_assert_ptr_nonnull(
      strstr(cmx_synnefo_last_error(c), "type: must be CUSTOM"));
  ck_assert_int_eq(cmx_synnefo_create_snapshot(c, "", NULL, never, NULL),
                   CMX_EINVAL);
  memset(&im, 0, sizeof(im));
  im.name = "img";
  im.location = "images/debian.diskdump";
  ck_assert_int_eq(cmx_synnefo_image_register(c, &im, never, NULL),
                   CMX_EINVAL);
  ck_assert_str_eq(cmx_synnefo_last_error(c),
                   "location: must be pithos://<account>/<container>/<path>");
  im.location = "pithos://u/c/o";
  im.disk_format = "qcow2";
  ck_assert_int_eq(cmx_synnefo_image_register(c, &im, never, NULL),
                   CMX_EINVAL);
  ck_assert_str_eq(cmx_synnefo_last_error(c),
                   "disk_format: must be diskdump, extdump or ntfsdump");
  im.disk_format = NULL;
  im.properties = json_tokener_parse("{\"bad key\":\"v\"}");
  ck_assert_int_eq(cmx_synnefo_image_register(c, &im, never, NULL),
                   CMX_EINVAL);
  json_object_put(im.properties);
  ck_assert_int_eq(cmx_synnefo_upload_object(c, "a/b", "o", 0, NULL, NULL,
                                             NULL, never, NULL),
                   CMX_EINVAL);
  ck_assert_str_eq(cmx_synnefo_last_error(c),
                   "container: must be non-empty, without '/'");
  ck_assert_int_eq(cmx_synnefo_upload_object(c, "c", "o", -1, NULL, NULL, NULL,
                                             never, NULL),
                   CMX_EINVAL);
  ck_assert_int_eq(cmx_synnefo_upload_object(c, "c", "o", -1, "/nonexistent/x",
                                             NULL, NULL, never, NULL),
                   CMX_EIO);
  ck_assert_int_eq(cmx_synnefo_list_objects(c, "c", NULL, 20000, never, NULL),
                   CMX_EINVAL);
  ck_assert_int_eq(cmx_synnefo_set_max_parallel(c, 0), CMX_EINVAL);
  ck_assert_ptr_null(strstr(cmx_synnefo_last_error(c), "sekrit"));
  ck_assert_uint_eq(cmx_engine_outstanding(e), 0);
  cmx_synnefo_free(c);
  cmx_engine_free(e);
  event_base_free(base);
}
END_TEST

/* ---- Astakos end to end ------------------------------------------------- */

START_TEST(test_astakos)
{
  env e;
  res r = {0};
  char err[128];
  cmx_synnefo *bad;

  env_up(&e);
  ck_assert_int_eq(cmx_synnefo_authenticate(e.c, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  {
    json_object *a, *cat;
    ck_assert(json_object_object_get_ex(r.json, "access", &a));
    ck_assert(json_object_object_get_ex(a, "serviceCatalog", &cat));
    ck_assert_int_ge(json_object_array_length(cat), 7);
    ck_assert_str_eq(jstr(json_object_array_get_idx(cat, 0), "name"),
                     "astakos_account");
  }
  ck_assert_str_eq(cmx_synnefo_user_uuid(e.c), USER);
  res_clear(&r);
  ck_assert_int_eq(cmx_synnefo_user_info(e.c, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  ck_assert_str_eq(jstr(r.json, "id"), USER);
  ck_assert_str_eq(jstr(r.json, "default_project"), USER);
  res_clear(&r);
  ck_assert_int_eq(
      cmx_synnefo_get_endpoint_url(e.c, "object-store", NULL, on_res, &r),
      CMX_OK);
  run(&e, &r, 10000);
  ck_assert_ptr_nonnull(
      strstr(json_object_get_string(r.json), "/object-store/v1"));
  res_clear(&r);
  ck_assert_int_eq(
      cmx_synnefo_get_endpoint_url(e.c, "nosuch", NULL, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.code, CMX_ENOTFOUND);
  ck_assert_str_eq(r.msg, "Service type \"nosuch\" not in service catalog");
  res_clear(&r);
  /* the catalog is cached: one POST /tokens for all of the above */
  ck_assert_int_eq(sim_counter(e.sim, "synnefo.auth"), 1);

  /* unknown token: Astakos 401, message = reason, details = body */
  bad = cmx_synnefo_new(e.engine, e.auth, "wrong-token", err, sizeof(err));
  ck_assert_int_eq(cmx_synnefo_list_servers(bad, 1, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_ne(r.code, CMX_OK);
  ck_assert_int_eq(r.status, 401);
  ck_assert_str_eq(r.msg, "Unauthorized");
  ck_assert_uint_eq(r.ndetails, 1);
  ck_assert_ptr_nonnull(strstr(r.detail0, "Invalid token"));
  ck_assert_ptr_null(strstr(r.msg, "wrong-token"));
  res_clear(&r);
  cmx_synnefo_free(bad);
  env_down(&e);
}
END_TEST

/* ---- Cyclades compute -------------------------------------------------- */

#define IMAGE "9e8c7b2a-0000-4000-8000-0000000d0001"

static void count_poll(cmx_synnefo *c, json_object *server, void *ud)
{
  res *r = ud;

  (void)c;
  ck_assert_ptr_nonnull(jstr(server, "status"));
  r->polls++;
}

START_TEST(test_servers)
{
  env e;
  res r = {0};
  cmx_synnefo_server_spec s;
  char id[32];
  json_object *md;

  env_up(&e);
  sim_config_set(e.sim, "synnefo.build_ms", "300");
  memset(&s, 0, sizeof(s));
  s.name = "web-1";
  s.flavor_id = "2";
  s.image_id = IMAGE;
  s.metadata = json_tokener_parse("{\"os\":\"custom\"}");
  s.networks = json_object_new_array();
  ck_assert_int_eq(cmx_synnefo_create_server(e.c, &s, on_res, &r), CMX_OK);
  json_object_put(s.metadata);
  json_object_put(s.networks);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_int_eq(r.status, 202);
  ck_assert_str_eq(jstr(r.json, "status"), "BUILD");
  ck_assert_ptr_nonnull(jstr(r.json, "adminPass"));
  ck_assert(json_object_is_type(json_object_object_get(r.json, "id"),
                                json_type_int));
  md = json_object_object_get(r.json, "metadata");
  ck_assert_str_eq(jstr(md, "os"), "custom");  /* caller's value kept */
  ck_assert_str_eq(jstr(md, "users"), "root"); /* copied from the image */
  snprintf(id, sizeof(id), "%lld", jint(r.json, "id"));
  res_clear(&r);

  ck_assert_int_eq(cmx_synnefo_wait_server(e.c, id, NULL, 50, 10000,
                                           count_poll, on_res, &r),
                   CMX_OK);
  run(&e, &r, 20000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_int_eq(r.timed_out, 0);
  ck_assert_str_eq(jstr(r.json, "status"), "ACTIVE");
  ck_assert_int_eq(jint(r.json, "progress"), 100);
  ck_assert_int_ge(r.polls, 2);
  res_clear(&r);

  /* details, list, list detail */
  ck_assert_int_eq(cmx_synnefo_get_server_details(e.c, id, on_res, &r),
                   CMX_OK);
  run(&e, &r, 10000);
  ck_assert_str_eq(jstr(r.json, "name"), "web-1");
  ck_assert_ptr_null(jstr(r.json, "adminPass"));
  res_clear(&r);
  ck_assert_int_eq(cmx_synnefo_list_servers(e.c, 0, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  ck_assert_uint_eq(json_object_array_length(r.json), 1);
  ck_assert_ptr_null(jstr(json_object_array_get_idx(r.json, 0), "status"));
  res_clear(&r);
  ck_assert_int_eq(cmx_synnefo_list_servers(e.c, 1, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  ck_assert_str_eq(jstr(json_object_array_get_idx(r.json, 0), "status"),
                   "ACTIVE");
  res_clear(&r);

  /* a server told to fail ends in ERROR; its user metadata has a
   * "status" key too, which the cheap status scan must not trust */
  s.name = "fail-1";
  s.metadata = json_tokener_parse("{\"status\":\"BUILD\"}");
  s.networks = NULL;
  ck_assert_int_eq(cmx_synnefo_create_server(e.c, &s, on_res, &r), CMX_OK);
  json_object_put(s.metadata);
  s.metadata = NULL;
  run(&e, &r, 10000);
  snprintf(id, sizeof(id), "%lld", jint(r.json, "id"));
  res_clear(&r);
  ck_assert_int_eq(
      cmx_synnefo_wait_server(e.c, id, "BUILD", 50, 10000, NULL, on_res, &r),
      CMX_OK);
  run(&e, &r, 20000);
  ck_assert_str_eq(jstr(r.json, "status"), "ERROR");
  res_clear(&r);

  /* timeout: still BUILD after max_wait/delay polls */
  sim_config_set(e.sim, "synnefo.build_ms", "600000");
  s.name = "slow";
  ck_assert_int_eq(cmx_synnefo_create_server(e.c, &s, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  snprintf(id, sizeof(id), "%lld", jint(r.json, "id"));
  res_clear(&r);
  ck_assert_int_eq(
      cmx_synnefo_wait_server(e.c, id, NULL, 20, 100, count_poll, on_res, &r),
      CMX_OK);
  run(&e, &r, 20000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_int_eq(r.timed_out, 1);
  ck_assert_int_eq(r.polls, 5);
  ck_assert_str_eq(jstr(r.json, "status"), "BUILD");
  res_clear(&r);

  /* delete, then wait while ACTIVE ends with DELETED */
  ck_assert_int_eq(cmx_synnefo_delete_server(e.c, "1", on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_int_eq(r.status, 204);
  res_clear(&r);
  ck_assert_int_eq(
      cmx_synnefo_wait_server(e.c, "1", "ACTIVE", 20, 1000, NULL, on_res, &r),
      CMX_OK);
  run(&e, &r, 10000);
  ck_assert_str_eq(jstr(r.json, "status"), "DELETED");
  res_clear(&r);

  /* unknown server: 404 ClientError */
  ck_assert_int_eq(cmx_synnefo_get_server_details(e.c, "999", on_res, &r),
                   CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.code, CMX_EHTTP);
  ck_assert_int_eq(r.status, 404);
  ck_assert_str_eq(r.msg, "Not Found itemNotFound (Server not found.)");
  ck_assert_str_eq(r.kind, "itemNotFound");
  ck_assert_int_eq(r.err_status, 404);
  res_clear(&r);
  ck_assert_int_eq(
      cmx_synnefo_wait_server(e.c, "999", NULL, 20, 100, NULL, on_res, &r),
      CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.status, 404);
  res_clear(&r);

  /* unknown image and flavor */
  s.image_id = "nope";
  ck_assert_int_eq(cmx_synnefo_create_server(e.c, &s, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.status, 404);
  ck_assert_str_eq(r.msg, "Not Found itemNotFound (Image not found.)");
  res_clear(&r);
  s.image_id = IMAGE;
  s.flavor_id = "77";
  ck_assert_int_eq(cmx_synnefo_create_server(e.c, &s, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  ck_assert_str_eq(r.msg, "Not Found itemNotFound (Flavor not found.)");
  res_clear(&r);
  env_down(&e);
}
END_TEST

typedef struct many {
  env *e;
  int created, waited, active, failed;
  char ids[2000][16];
} many;

static void many_waited(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  many *m = ud;

  (void)c;
  m->waited++;
  if (r->code == CMX_OK && !r->timed_out &&
      strcmp(jstr(r->json, "status"), "ACTIVE") == 0)
    m->active++;
  else
    m->failed++;
}

static void many_created(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  many *m = ud;
  char id[32];

  if (r->code != CMX_OK) {
    m->failed++;
    m->waited++;
    return;
  }
  m->created++;
  snprintf(id, sizeof(id), "%lld", jint(r->json, "id"));
  ck_assert_int_eq(
      cmx_synnefo_wait_server(c, id, NULL, 200, 60000, NULL, many_waited, m),
      CMX_OK);
}

START_TEST(test_2000_servers)
{
  env e;
  many *m = calloc(1, sizeof(*m));
  cmx_synnefo_server_spec s;
  int i;
  uint64_t end;

  env_up(&e);
  sim_config_set(e.sim, "synnefo.build_ms", "500");
  memset(&s, 0, sizeof(s));
  s.flavor_id = "1";
  s.image_id = IMAGE;
  for (i = 0; i < 2000; i++) {
    char name[32];
    snprintf(name, sizeof(name), "batch-%d", i);
    s.name = name;
    ck_assert_int_eq(cmx_synnefo_create_server(e.c, &s, many_created, m),
                     CMX_OK);
  }
  end = cmx_engine_now(e.engine) + 50000;
  while (m->waited < 2000 && cmx_engine_now(e.engine) < end)
    event_base_loop(e.base, EVLOOP_ONCE);
  ck_assert_int_eq(m->waited, 2000);
  ck_assert_int_eq(m->created, 2000);
  ck_assert_int_eq(m->active, 2000);
  ck_assert_int_eq(sim_counter(e.sim, "synnefo.servers_created"), 2000);
  ck_assert_int_ge(sim_counter(e.sim, "synnefo.server_polls"), 2000);
  ck_assert_uint_eq(cmx_engine_outstanding(e.engine), 0);
  free(m);
  env_down(&e);
}
END_TEST

/* ---- network, volume, image --------------------------------------------- */

START_TEST(test_network_volume_image)
{
  env e;
  res r = {0};
  cmx_synnefo_server_spec s;
  cmx_synnefo_image_spec im;
  char net[32], vol[32], snap[64], loc[256];
  json_object *nets;
  int fd;
  char path[64];
  unsigned char data[100];

  env_up(&e);
  ck_assert_int_eq(
      cmx_synnefo_create_network(e.c, "MAC_FILTERED", "priv", on_res, &r),
      CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.status, 201);
  ck_assert(json_object_is_type(json_object_object_get(r.json, "id"),
                                json_type_string));
  ck_assert_str_eq(jstr(r.json, "type"), "MAC_FILTERED");
  ck_assert_str_eq(jstr(r.json, "status"), "ACTIVE");
  snprintf(net, sizeof(net), "%s", jstr(r.json, "id"));
  res_clear(&r);
  ck_assert_int_eq(cmx_synnefo_create_network(e.c, "CUSTOM", NULL, on_res, &r),
                   CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.status, 403);
  ck_assert_str_eq(r.kind, "forbidden");
  res_clear(&r);
  ck_assert_int_eq(cmx_synnefo_list_networks(e.c, 1, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  ck_assert_uint_eq(json_object_array_length(r.json), 1);
  res_clear(&r);

  /* a server on the network gets an attachment */
  memset(&s, 0, sizeof(s));
  s.name = "on-net";
  s.flavor_id = "1";
  s.image_id = IMAGE;
  nets = json_object_new_array();
  {
    json_object *n = json_object_new_object();
    json_object_object_add(n, "uuid", json_object_new_string(net));
    json_object_array_add(nets, n);
  }
  s.networks = nets;
  ck_assert_int_eq(cmx_synnefo_create_server(e.c, &s, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  json_object_put(nets);
  ck_assert_str_eq(jstr(json_object_array_get_idx(
                            json_object_object_get(r.json, "attachments"), 0),
                        "network_id"),
                   net);
  res_clear(&r);

  ck_assert_int_eq(cmx_synnefo_list_volumes(e.c, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  ck_assert_uint_eq(json_object_array_length(r.json), 1);
  snprintf(vol, sizeof(vol), "%s",
           jstr(json_object_array_get_idx(r.json, 0), "id"));
  res_clear(&r);
  ck_assert_int_eq(cmx_synnefo_create_snapshot(e.c, vol, "snap1", on_res, &r),
                   CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.status, 202);
  ck_assert_str_eq(jstr(r.json, "display_name"), "snap1");
  ck_assert_str_eq(jstr(r.json, "volume_id"), vol);
  snprintf(snap, sizeof(snap), "%s", jstr(r.json, "id"));
  res_clear(&r);
  ck_assert_int_eq(
      cmx_synnefo_create_snapshot(e.c, "424242", NULL, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.status, 404);
  res_clear(&r);

  /* the snapshot is an image */
  ck_assert_int_eq(cmx_synnefo_image_get_meta(e.c, snap, NULL, on_res, &r),
                   CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_str_eq(jstr(r.json, "id"), snap);
  ck_assert_str_eq(jstr(r.json, "is-snapshot"), "True");
  ck_assert_ptr_nonnull(strstr(jstr(r.json, "location"), "pithos://"));
  res_clear(&r);

  /* register an uploaded object as an image */
  ck_assert_int_eq(cmx_synnefo_create_container(e.c, "images", on_res, &r),
                   CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.status, 201);
  res_clear(&r);
  memset(data, 'x', sizeof(data));
  fd = write_tmp(data, sizeof(data), path);
  ck_assert_int_eq(cmx_synnefo_upload_object(e.c, "images",
                                             "my os/disk 1.diskdump", fd, NULL,
                                             NULL, NULL, on_res, &r),
                   CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  res_clear(&r);
  memset(&im, 0, sizeof(im));
  im.name = "My OS ü";
  im.container = "images";
  im.path = "my os/disk 1.diskdump";
  im.disk_format = "diskdump";
  im.container_format = "bare";
  im.properties = json_tokener_parse(
      "{\"OSFAMILY\":\"linux\",\"users\":\"root user\",\"gui\":\"No GUI\"}");
  ck_assert_int_eq(cmx_synnefo_image_register(e.c, &im, on_res, &r), CMX_OK);
  json_object_put(im.properties);
  run(&e, &r, 10000);
  ck_assert_msg(r.code == CMX_OK, "%s", r.msg);
  ck_assert_str_eq(jstr(r.json, "name"), "My OS ü");
  snprintf(loc, sizeof(loc), "pithos://%s/images/my os/disk 1.diskdump", USER);
  ck_assert_str_eq(jstr(r.json, "location"), loc);
  ck_assert_str_eq(
      jstr(json_object_object_get(r.json, "properties"), "osfamily"), "linux");
  ck_assert_str_eq(jstr(json_object_object_get(r.json, "properties"), "users"),
                   "root user");
  snprintf(snap, sizeof(snap), "%s", jstr(r.json, "id"));
  res_clear(&r);
  ck_assert_int_eq(cmx_synnefo_image_get_meta(e.c, snap, NULL, on_res, &r),
                   CMX_OK);
  run(&e, &r, 10000);
  ck_assert_str_eq(jstr(json_object_object_get(r.json, "properties"), "gui"),
                   "No GUI");
  ck_assert_str_eq(jstr(r.json, "disk-format"), "diskdump");
  res_clear(&r);
  ck_assert_int_eq(cmx_synnefo_image_list(e.c, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  ck_assert_uint_ge(json_object_array_length(r.json), 3);
  res_clear(&r);
  /* a missing object cannot be registered */
  im.properties = NULL;
  im.path = "missing";
  ck_assert_int_eq(cmx_synnefo_image_register(e.c, &im, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.status, 404);
  res_clear(&r);
  ck_assert_int_eq(cmx_synnefo_image_get_meta(e.c, "nope", NULL, on_res, &r),
                   CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.status, 404);
  ck_assert_str_eq(r.msg, "Not Found"); /* HEAD: no body */
  res_clear(&r);
  close(fd);
  unlink(path);
  env_down(&e);
}
END_TEST

/* ---- Pithos --------------------------------------------------------------
 */

static void mk_container(env *e, const char *name)
{
  res r = {0};

  ck_assert_int_eq(cmx_synnefo_create_container(e->c, name, on_res, &r),
                   CMX_OK);
  run(e, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  res_clear(&r);
}

static int progress_calls;

static void on_progress(cmx_synnefo *c, const char *phase, uint64_t done,
                        uint64_t total, void *ud)
{
  (void)c;
  (void)ud;
  ck_assert_uint_le(done, total);
  ck_assert(strcmp(phase, "hash") == 0 || strcmp(phase, "upload") == 0 ||
            strcmp(phase, "download") == 0 || strcmp(phase, "verify") == 0);
  progress_calls++;
}

START_TEST(test_pithos_vectors)
{
  env e;
  res r = {0};
  unsigned char *d = malloc(64 * 1024), *back = malloc(64 * 1024);
  char path[64], dpath[64];
  size_t v;
  int fd;

  env_up(&e);
  sim_config_set(e.sim, "synnefo.block_size", "4096");
  mk_container(&e, "pithos");
  ck_assert_int_eq(cmx_synnefo_container_info(e.c, NULL, "pithos", on_res, &r),
                   CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(jint(r.json, "block_size"), 4096);
  ck_assert_str_eq(jstr(r.json, "block_hash"), "sha256");
  res_clear(&r);
  for (v = 0; v < 3; v++) {
    size_t n = vecs[v].gen(d);
    int64_t posts = sim_counter(e.sim, "synnefo.block_posts");
    int64_t gets = sim_counter(e.sim, "synnefo.range_gets");
    int dfd;
    fd = write_tmp(d, n, path);
    progress_calls = 0;
    ck_assert_int_eq(cmx_synnefo_upload_object(e.c, "pithos", vecs[v].name, fd,
                                               NULL, NULL, on_progress, on_res,
                                               &r),
                     CMX_OK);
    run(&e, &r, 20000);
    ck_assert_msg(r.code == CMX_OK, "%s: %s", vecs[v].name, r.msg);
    ck_assert_str_eq(jstr(r.json, "etag"), vecs[v].merkle);
    ck_assert_int_eq(jint(r.json, "blocks"), (long long)vecs[v].nblocks);
    ck_assert_int_gt(progress_calls, 0);
    /* repeated blocks are sent once */
    if (v == 2) /* a, b, a, a, b': 3 distinct */
      ck_assert_int_eq(jint(r.json, "blocks_sent"), 3);
    res_clear(&r);
    /* re-upload: nothing sent */
    posts = sim_counter(e.sim, "synnefo.block_posts");
    ck_assert_int_eq(cmx_synnefo_upload_object(e.c, "pithos", vecs[v].name, fd,
                                               NULL, NULL, NULL, on_res, &r),
                     CMX_OK);
    run(&e, &r, 20000);
    ck_assert_int_eq(r.code, CMX_OK);
    ck_assert_int_eq(jint(r.json, "blocks_sent"), 0);
    ck_assert_int_eq(sim_counter(e.sim, "synnefo.block_posts"), posts);
    res_clear(&r);
    /* download into a file with junk in it: truncated and verified */
    strcpy(dpath, "/tmp/cmx-syn-dl-XXXXXX");
    dfd = mkstemp(dpath);
    memset(back, 0x55, 64 * 1024);
    ck_assert_int_eq(write(dfd, back, 64 * 1024), 64 * 1024);
    ck_assert_int_eq(cmx_synnefo_download_object(e.c, "pithos", vecs[v].name,
                                                 dfd, NULL, on_progress,
                                                 on_res, &r),
                     CMX_OK);
    run(&e, &r, 20000);
    ck_assert_msg(r.code == CMX_OK, "%s: %s", vecs[v].name, r.msg);
    ck_assert_int_eq(jint(r.json, "bytes"), (long long)n);
    {
      struct stat sb;
      fstat(dfd, &sb);
      ck_assert_int_eq(sb.st_size, (off_t)n);
      ck_assert_int_eq(pread(dfd, back, n, 0), (ssize_t)n);
      ck_assert(memcmp(back, d, n) == 0);
    }
    if (v == 2) { /* 5 blocks, 3 distinct hashes: 3 GETs */
      ck_assert_int_eq(jint(r.json, "blocks_fetched"), 3);
      ck_assert_int_eq(sim_counter(e.sim, "synnefo.range_gets") - gets, 3);
    }
    res_clear(&r);
    close(dfd);
    unlink(dpath);
    close(fd);
    unlink(path);
  }
  /* the empty file: hashmap of 0 hashes, merkle = sha256("") */
  fd = write_tmp(d, 0, path);
  ck_assert_int_eq(cmx_synnefo_upload_object(e.c, "pithos", "empty", -1, path,
                                             NULL, NULL, on_res, &r),
                   CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_str_eq(jstr(r.json, "etag"), E3B0);
  res_clear(&r);
  strcpy(dpath, "/tmp/cmx-syn-dl-empty");
  ck_assert_int_eq(cmx_synnefo_download_object(e.c, "pithos", "empty", -1,
                                               dpath, NULL, on_res, &r),
                   CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_int_eq(jint(r.json, "blocks_fetched"), 0);
  {
    struct stat sb;
    ck_assert_int_eq(stat(dpath, &sb), 0);
    ck_assert_int_eq(sb.st_size, 0);
  }
  unlink(dpath);
  res_clear(&r);
  close(fd);
  unlink(path);
  free(d);
  free(back);
  env_down(&e);
}
END_TEST

START_TEST(test_pithos_listing_and_errors)
{
  env e;
  res r = {0};
  char path[64], name[32];
  unsigned char d[10] = "0123456789";
  int fd, i;
  sim_fault f;

  env_up(&e);
  mk_container(&e, "docs");
  fd = write_tmp(d, sizeof(d), path);
  for (i = 0; i < 7; i++) {
    snprintf(name, sizeof(name), "dir/file-%d", 6 - i);
    ck_assert_int_eq(cmx_synnefo_upload_object(e.c, "docs", name, fd, NULL,
                                               NULL, NULL, on_res, &r),
                     CMX_OK);
    run(&e, &r, 10000);
    ck_assert_int_eq(r.code, CMX_OK);
    res_clear(&r);
  }
  ck_assert_int_eq(
      cmx_synnefo_list_objects(e.c, "docs", "dir/", 3, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_uint_eq(json_object_array_length(r.json), 7);
  for (i = 0; i < 7; i++) {
    snprintf(name, sizeof(name), "dir/file-%d", i);
    ck_assert_str_eq(
        jstr(json_object_array_get_idx(r.json, (size_t)i), "name"), name);
  }
  ck_assert_int_eq(jint(json_object_array_get_idx(r.json, 0), "bytes"), 10);
  res_clear(&r);
  /* delete a non-empty container: 409 */
  ck_assert_int_eq(cmx_synnefo_delete_container(e.c, "docs", on_res, &r),
                   CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.status, 409);
  ck_assert_str_eq(r.msg, "Conflict conflict (Container is not empty)");
  res_clear(&r);
  ck_assert_int_eq(
      cmx_synnefo_delete_object(e.c, "docs", "dir/file-0", on_res, &r),
      CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.status, 204);
  res_clear(&r);
  ck_assert_int_eq(
      cmx_synnefo_delete_object(e.c, "docs", "dir/file-0", on_res, &r),
      CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.status, 404);
  res_clear(&r);
  /* upload into a missing container: the HEAD says 404 */
  ck_assert_int_eq(cmx_synnefo_upload_object(e.c, "nocont", "x", fd, NULL,
                                             NULL, NULL, on_res, &r),
                   CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.status, 404);
  ck_assert_ptr_nonnull(strstr(r.msg, "for container nocont"));
  res_clear(&r);
  /* download of a missing object */
  ck_assert_int_eq(cmx_synnefo_download_object(e.c, "docs", "nope", fd, NULL,
                                               NULL, on_res, &r),
                   CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.status, 404);
  res_clear(&r);
  /* listing a missing container */
  ck_assert_int_eq(
      cmx_synnefo_list_objects(e.c, "nocont", NULL, 0, on_res, &r), CMX_OK);
  run(&e, &r, 10000);
  ck_assert_int_eq(r.status, 404);
  res_clear(&r);

  /* block POSTs that fail are retried in a later pass */
  memset(&f, 0, sizeof(f));
  f.service = "synnefo";
  f.method = "POST";
  f.path = "/object-store/v1/**";
  f.kind = SIM_FAULT_STATUS;
  f.status = 500;
  f.count = 2;
  ck_assert_int_eq(sim_fault_add(e.sim, &f), 0);
  {
    unsigned char *big = malloc(3 * 4194304 + 7);
    size_t k;
    char p2[64];
    int fd2;
    for (k = 0; k < 3 * 4194304 + 7; k++)
      big[k] = (unsigned char)(k * 31 + (k >> 22));
    fd2 = write_tmp(big, 3 * 4194304 + 7, p2);
    free(big);
    ck_assert_int_eq(cmx_synnefo_upload_object(e.c, "docs", "big", fd2, NULL,
                                               NULL, NULL, on_res, &r),
                     CMX_OK);
    run(&e, &r, 30000);
    ck_assert_msg(r.code == CMX_OK, "%s", r.msg);
    ck_assert_int_eq(jint(r.json, "blocks_sent"), 4);
    res_clear(&r);
    /* every block failing forever: the upload gives up */
    f.count = -1;
    sim_fault_add(e.sim, &f);
    big = calloc(1, 100);
    memcpy(big, "unique data for a new block", 27);
    ck_assert_int_eq(pwrite(fd2, big, 100, 0), 100);
    free(big);
    ck_assert_int_eq(cmx_synnefo_upload_object(e.c, "docs", "big2", fd2, NULL,
                                               NULL, NULL, on_res, &r),
                     CMX_OK);
    run(&e, &r, 30000);
    ck_assert_int_eq(r.code, CMX_EIO);
    ck_assert_ptr_nonnull(strstr(r.msg, "1 blocks failed to upload"));
    res_clear(&r);
    sim_fault_clear(e.sim);
    close(fd2);
    unlink(p2);
  }
  close(fd);
  unlink(path);
  env_down(&e);
}
END_TEST

/* Start $CMX_SIM for the synnefo service; fills its URL; pid or -1. */
static int spawn_sim(char *url, size_t n)
{
  const char *bin = getenv("CMX_SIM");
  char portfile[] = "/tmp/cmx-syn-port-XXXXXX";
  int fd = mkstemp(portfile), i;
  pid_t pid;

  if (!bin || fd < 0)
    return -1;
  close(fd);
  unlink(portfile);
  pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0)
      dup2(devnull, 1);
    execl(bin, bin, "--port", "0", "--services", "synnefo", "--port-file",
          portfile, (char *)NULL);
    _exit(127);
  }
  for (i = 0; i < 200; i++) {
    FILE *f = fopen(portfile, "r");
    char line[256], name[64], u[192];
    int found = 0;
    if (f) {
      while (fgets(line, sizeof(line), f))
        if (sscanf(line, "%63s %191s", name, u) == 2 &&
            strcmp(name, "synnefo") == 0) {
          snprintf(url, n, "%s", u);
          found = 1;
        }
      fclose(f);
      if (found) {
        unlink(portfile);
        return (int)pid;
      }
    }
    usleep(50 * 1000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  return -1;
}

static void kill_sim(int pid)
{
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
}

/* 256 MiB upload against callmux-sim in a child process. */
START_TEST(test_upload_256mib)
{
  struct event_base *base;
  cmx_engine *eng;
  cmx_synnefo *c;
  char url[256], auth[300], path[128], err[128];
  const size_t total = (size_t)256 << 20, chunk = (size_t)4 << 20;
  unsigned char *buf;
  size_t off;
  int pid, fd;
  res r = {0};
  env fake;

  pid = spawn_sim(url, sizeof(url));
  ck_assert_msg(pid >= 0, "check_synnefo: CMX_SIM not usable (the 256 MiB "
                          "test needs callmux-sim)");
  snprintf(auth, sizeof(auth), "%s/identity/v2.0", url);
  snprintf(path, sizeof(path), "%s/cmx-syn-256-XXXXXX",
           access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
  fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  buf = malloc(chunk);
  ck_assert_ptr_nonnull(buf);
  for (off = 0; off < total; off += chunk) {
    uint64_t *w = (uint64_t *)(void *)buf;
    size_t i;
    for (i = 0; i < chunk / 8; i++)
      w[i] = (off + i * 8) * 0x9E3779B97F4A7C15ULL + 1;
    ck_assert_int_eq(pwrite(fd, buf, chunk, (off_t)off), (ssize_t)chunk);
  }
  free(buf);
  base = event_base_new();
  eng = cmx_engine_new(base, NULL);
  c = cmx_synnefo_new(eng, auth, TOKEN, err, sizeof(err));
  ck_assert_ptr_nonnull(c);
  memset(&fake, 0, sizeof(fake));
  fake.base = base;
  fake.engine = eng;
  fake.c = c;
  mk_container(&fake, "big");
  ck_assert_int_eq(cmx_synnefo_upload_object(c, "big", "256mib.bin", fd, NULL,
                                             NULL, NULL, on_res, &r),
                   CMX_OK);
  run(&fake, &r, 50000);
  ck_assert_msg(r.code == CMX_OK, "%s", r.msg);
  ck_assert_int_eq(jint(r.json, "blocks"), 64);
  ck_assert_int_eq(jint(r.json, "blocks_sent"), 64);
  ck_assert_int_eq(jint(r.json, "bytes_sent"), (long long)total);
  res_clear(&r);
  ck_assert_int_eq(cmx_synnefo_upload_object(c, "big", "256mib-again.bin", fd,
                                             NULL, NULL, NULL, on_res, &r),
                   CMX_OK);
  run(&fake, &r, 50000);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_int_eq(jint(r.json, "blocks_sent"), 0);
  ck_assert_int_eq(jint(r.json, "bytes_sent"), 0);
  res_clear(&r);
  cmx_synnefo_free(c);
  cmx_engine_free(eng);
  event_base_free(base);
  close(fd);
  unlink(path);
  kill_sim(pid);
}
END_TEST

static Suite *synnefo_suite(void)
{
  Suite *s = suite_create("synnefo");
  TCase *pure = tcase_create("pure");
  TCase *e2e = tcase_create("e2e");
  TCase *big = tcase_create("big");

  tcase_set_timeout(e2e, 60);
  tcase_set_timeout(big, 120);
  tcase_add_test(pure, test_block_hash_vectors);
  tcase_add_test(pure, test_hash_fd_vectors);
  tcase_add_test(pure, test_vectors_file);
  tcase_add_test(pure, test_urls);
  tcase_add_test(pure, test_catalog);
  tcase_add_test(pure, test_fault_parse);
  tcase_add_test(pure, test_image_meta_decode);
  tcase_add_test(pure, test_validation);
  suite_add_tcase(s, pure);
  tcase_add_test(e2e, test_astakos);
  tcase_add_test(e2e, test_servers);
  tcase_add_test(e2e, test_network_volume_image);
  tcase_add_test(e2e, test_pithos_vectors);
  tcase_add_test(e2e, test_pithos_listing_and_errors);
  suite_add_tcase(s, e2e);
  tcase_add_test(big, test_2000_servers);
  tcase_add_test(big, test_upload_256mib);
  suite_add_tcase(s, big);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(synnefo_suite());
  int failed;

  signal(SIGPIPE, SIG_IGN);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
