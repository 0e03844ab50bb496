/*
 * Synnefo benchmarks against a running callmux-sim:
 *   1. baselines: `openssl speed -evp sha256` (16 KiB column; per CPU
 *      second, and per wall second with -elapsed) run by this program
 *      before and after the uploads, and in-process EVP SHA-256;
 *   2. upload of new data (hashmap protocol, every block sent) and
 *      re-upload of the unchanged file (hash + one PUT), ROUNDS rounds of
 *      fresh data, median: MB/s per wall second and per client CPU second,
 *      each as a ratio to the matching openssl figure;
 *   3. client CPU per wait_server poll against one plain GET of the same
 *      server (with and without parsing its JSON).
 * Usage: bench/synnefo_bench SIM_URL [MiB] [servers]
 *   (callmux-sim --port 0 --services synnefo --port-file F; SIM_URL is the
 *   synnefo line of F)
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include <callmux/callmux.h>
#include <callmux/synnefo.h>

static double now_s(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
  struct rusage ru;

  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double sha_speed(size_t buflen)
{
  unsigned char *b = malloc(buflen), d[32];
  unsigned int dl;
  size_t done = 0, i;
  double t0 = now_s(), t;

  for (i = 0; i < buflen; i++)
    b[i] = (unsigned char)(i * 131);
  do {
    for (i = 0; i < 16; i++) {
      EVP_Digest(b, buflen, d, &dl, EVP_sha256(), NULL);
      done += buflen;
    }
    t = now_s() - t0;
  } while (t < 1.5);
  free(b);
  return (double)done / t / 1e6;
}

static int finished;
static cmx_synnefo_result last;
static json_object *last_json;

static void on_done(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  (void)c;
  (void)ud;
  last = *r;
  if (last_json)
    json_object_put(last_json);
  last_json = r->json ? json_object_get(r->json) : NULL;
  if (r->code != CMX_OK)
    fprintf(stderr, "call failed: %s\n",
            r->error ? r->error->message : r->detail);
  finished++;
}

static void run_until(cmx_engine *e, int want)
{
  while (finished < want)
    event_base_loop(cmx_engine_base(e), EVLOOP_ONCE);
}

static void noop(cmx_call *call, const cmx_response *res, void *ud)
{
  (void)call;
  (void)res;
  (void)ud;
}

static void set_config(cmx_engine *e, const char *url, const char *key,
                       const char *val)
{
  char u[512], body[256];
  cmx_request *req;

  snprintf(u, sizeof(u), "%s/_sim/config", url);
  snprintf(body, sizeof(body), "{\"key\":\"%s\",\"value\":\"%s\"}", key, val);
  req = cmx_request_new("POST", u);
  cmx_request_set_body(req, body, strlen(body), "application/json");
  cmx_submit(e, req, noop, NULL, NULL);
}

static double hash_done_at;

static void on_progress(cmx_synnefo *c, const char *phase, uint64_t done,
                        uint64_t total, void *ud)
{
  (void)c;
  (void)ud;
  if (strcmp(phase, "hash") == 0 && done == total)
    hash_done_at = now_s();
}

static int gets_left;

static void got(cmx_call *call, const cmx_response *res, void *ud)
{
  (void)call;
  if (ud)
    (void)cmx_response_json(res); /* parse, as a poll must */
  gets_left--;
}

/* `openssl speed [-elapsed] -seconds 2 -evp sha256`: the 16384-byte
 * column in MB/s (openssl prints 1000s of bytes per second), 0 if it
 * cannot be run.  Without -elapsed openssl divides by its user CPU time,
 * with it by wall time. */
static double openssl_speed(int elapsed)
{
  char line[512];
  double v = 0;
  FILE *p =
      popen(elapsed ? "openssl speed -elapsed -seconds 2 -bytes 16384 "
                      "-evp sha256 "
                      "2>/dev/null"
                    : "openssl speed -seconds 2 -bytes 16384 -evp sha256 "
                      "2>/dev/null",
            "r");

  if (!p)
    return 0;
  while (fgets(line, sizeof(line), p)) {
    char *lasttok, *tok, *save = NULL;
    if (strncmp(line, "sha256", 6) != 0)
      continue;
    lasttok = NULL;
    for (tok = strtok_r(line, " \t\n", &save); tok;
         tok = strtok_r(NULL, " \t\n", &save))
      lasttok = tok;
    if (lasttok)
      v = atof(lasttok) / 1000.0; /* k = 1000 bytes/s -> MB/s */
  }
  pclose(p);
  return v;
}

static void fill_file(int fd, size_t mib, uint64_t seed)
{
  size_t off, chunk = (size_t)4 << 20;
  unsigned char *buf = malloc(chunk);

  for (off = 0; off < mib << 20; off += chunk) {
    uint64_t *w = (uint64_t *)(void *)buf;
    size_t k;
    for (k = 0; k < chunk / 8; k++)
      w[k] = (seed + off + k * 8) * 0x9E3779B97F4A7C15ULL;
    if (pwrite(fd, buf, chunk, (off_t)off) != (ssize_t)chunk)
      exit(1);
  }
  free(buf);
}

static int cmp_dbl(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

#define ROUNDS 3

int main(int argc, char **argv)
{
  const char *url = argc > 1 ? argv[1] : NULL;
  size_t mib = argc > 2 ? (size_t)atol(argv[2]) : 256;
  int nservers = argc > 3 ? atoi(argv[3]) : 1000;
  char auth[512], err[128], path[] = "/tmp/cmx-syn-bench-XXXXXX";
  cmx_options *opts = cmx_options_new();
  cmx_engine *e;
  cmx_synnefo *c;
  double ossl_cpu[2], ossl_wall[2], evp16k, t0, c0, cpu_poll, cpu_get;
  double new_wall[ROUNDS], new_cpu[ROUNDS], same_wall[ROUNDS],
      same_cpu[ROUNDS], ossl_c, ossl_w;
  int fd, i, r, npolls;
  uint64_t seed = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL;

  if (!url) {
    fprintf(stderr, "usage: %s SIM_URL [MiB] [servers]\n", argv[0]);
    return 2;
  }
  printf("machine: %ld cores\n", sysconf(_SC_NPROCESSORS_ONLN));
  ossl_cpu[0] = openssl_speed(0);
  ossl_wall[0] = openssl_speed(1);
  evp16k = sha_speed(16384);
  printf("baseline before: openssl speed -evp sha256 (16 KiB): %.0f MB/s per "
         "CPU second, %.0f MB/s wall (-elapsed); in-process EVP %.0f MB/s "
         "wall\n",
         ossl_cpu[0], ossl_wall[0], evp16k);

  fd = mkstemp(path);
  cmx_options_set_workers(opts, 2);
  e = cmx_engine_new(NULL, opts);
  cmx_options_free(opts);
  snprintf(auth, sizeof(auth), "%s/identity/v2.0", url);
  c = cmx_synnefo_new(e, auth, "synnefo-token", err, sizeof(err));
  cmx_synnefo_set_max_parallel(c, 8);
  cmx_synnefo_create_container(c, "bench", on_done, NULL);
  run_until(e, 1);

  for (r = 0; r < ROUNDS; r++) {
    char name[64];
    fill_file(fd, mib, seed + (uint64_t)r * 0x1000193ULL);
    snprintf(name, sizeof(name), "new-%d.bin", r);
    t0 = now_s();
    c0 = cpu_s();
    cmx_synnefo_upload_object(c, "bench", name, fd, NULL, NULL, on_progress,
                              on_done, NULL);
    run_until(e, finished + 1);
    new_wall[r] = (double)(mib << 20) / (now_s() - t0) / 1e6;
    new_cpu[r] = (double)(mib << 20) / (cpu_s() - c0) / 1e6;
    printf("  round %d new: %.2f s wall (hashing %.2f s), client CPU %.2f s, "
           "blocks sent %s\n",
           r, now_s() - t0, hash_done_at - t0, cpu_s() - c0,
           last_json ? json_object_get_string(
                           json_object_object_get(last_json, "blocks_sent"))
                     : "?");
    snprintf(name, sizeof(name), "same-%d.bin", r);
    t0 = now_s();
    c0 = cpu_s();
    cmx_synnefo_upload_object(c, "bench", name, fd, NULL, NULL, NULL, on_done,
                              NULL);
    run_until(e, finished + 1);
    same_wall[r] = (double)(mib << 20) / (now_s() - t0) / 1e6;
    same_cpu[r] = (double)(mib << 20) / (cpu_s() - c0) / 1e6;
    printf("  round %d unchanged: %.2f s wall, client CPU %.2f s, blocks "
           "sent %s\n",
           r, now_s() - t0, cpu_s() - c0,
           last_json ? json_object_get_string(
                           json_object_object_get(last_json, "blocks_sent"))
                     : "?");
  }
  close(fd);
  unlink(path);
  ossl_cpu[1] = openssl_speed(0);
  ossl_wall[1] = openssl_speed(1);
  printf("baseline after: openssl speed -evp sha256 (16 KiB): %.0f MB/s per "
         "CPU second, %.0f MB/s wall (-elapsed)\n",
         ossl_cpu[1], ossl_wall[1]);
  ossl_c = (ossl_cpu[0] + ossl_cpu[1]) / 2;
  ossl_w = (ossl_wall[0] + ossl_wall[1]) / 2;
  qsort(new_wall, ROUNDS, sizeof(double), cmp_dbl);
  qsort(new_cpu, ROUNDS, sizeof(double), cmp_dbl);
  qsort(same_wall, ROUNDS, sizeof(double), cmp_dbl);
  qsort(same_cpu, ROUNDS, sizeof(double), cmp_dbl);
  printf("upload %zu MiB new data (median of %d): %.0f MB/s wall = %.2f x "
         "openssl wall; %.0f MB/s per client CPU second = %.2f x openssl "
         "(goal >= 0.7)\n",
         mib, ROUNDS, new_wall[ROUNDS / 2], new_wall[ROUNDS / 2] / ossl_w,
         new_cpu[ROUNDS / 2], new_cpu[ROUNDS / 2] / ossl_c);
  printf("re-upload unchanged (median of %d):    %.0f MB/s wall = %.2f x "
         "openssl wall; %.0f MB/s per client CPU second = %.2f x openssl "
         "(goal >= 0.9)\n",
         ROUNDS, same_wall[ROUNDS / 2], same_wall[ROUNDS / 2] / ossl_w,
         same_cpu[ROUNDS / 2], same_cpu[ROUNDS / 2] / ossl_c);

  /* wait_server polls against plain GETs */
  set_config(e, url, "synnefo.build_ms", "3600000");
  {
    cmx_synnefo_server_spec s;
    int base_count = finished;
    memset(&s, 0, sizeof(s));
    s.flavor_id = "1";
    s.image_id = "9e8c7b2a-0000-4000-8000-0000000d0001";
    s.name = "bench";
    for (i = 0; i < nservers; i++)
      cmx_synnefo_create_server(c, &s, on_done, NULL);
    run_until(e, base_count + nservers);
  }
  {
    int base_count = finished;
    char id[32];
    c0 = cpu_s();
    t0 = now_s();
    for (i = 0; i < nservers; i++) {
      snprintf(id, sizeof(id), "%d", i + 1);
      cmx_synnefo_wait_server(c, id, NULL, 100, 1000, NULL, on_done, NULL);
    }
    run_until(e, base_count + nservers);
    npolls = nservers * 10;
    cpu_poll = (cpu_s() - c0) / npolls;
    printf("wait_server: %d servers x 10 polls in %.2f s, client CPU %.1f us "
           "per poll\n",
           nservers, now_s() - t0, cpu_poll * 1e6);
  }
  for (int parse = 0; parse < 2; parse++) {
    char u[512];
    c0 = cpu_s();
    gets_left = npolls;
    for (i = 0; i < npolls; i++) {
      cmx_request *req;
      snprintf(u, sizeof(u), "%s/compute/v2.0/servers/%d", url,
               i % nservers + 1);
      req = cmx_request_new("GET", u);
      cmx_request_add_secret_header(req, "X-Auth-Token", "synnefo-token");
      cmx_submit(e, req, got, parse ? (void *)1 : NULL, NULL);
    }
    while (gets_left > 0)
      event_base_loop(cmx_engine_base(e), EVLOOP_ONCE);
    cpu_get = (cpu_s() - c0) / npolls;
    printf("plain GET of a server%s: client CPU %.1f us per call; "
           "poll/GET = %.2f\n",
           parse ? " + JSON parse" : "", cpu_get * 1e6, cpu_poll / cpu_get);
  }
  if (last_json)
    json_object_put(last_json);
  cmx_synnefo_free(c);
  cmx_engine_free(e);
  return 0;
}
