/*
 * bench: 1,000,000 Kentik populators built, split and submitted.
 *
 *   kentik_populators [N] [PART_LIMIT]      (defaults 1000000, 700000)
 *
 * The simulator runs in a forked child process on 127.0.0.1 (its own
 * memory, so the peak RSS printed is the client's alone), with its rate
 * limits off and the 750,000-byte part limit on.  Phases:
 *   build   N criteria objects (dst, one /32 address, one port) added to a
 *           batch under N distinct values;
 *   split   plan + serialise every part into one reused buffer (no I/O):
 *           MB/s of JSON written;
 *   submit  the whole batch through the engine, part by part, guid
 *           chained (the credential's lane, rate limit off);
 *   apply   wait for the simulator to apply it (its own JSON parsing).
 * Peak RSS is compared with the batch's total JSON size.
 *
 * Baselines, measured in the same run on the same bytes:
 *   memcpy   copying the batch's JSON bytes part by part (the ceiling for
 *            any serialiser);
 *   json-c   json_object_to_json_string_ext(SPACED) of part 1 parsed into
 *            a json-c tree, repeated for as many bytes as the batch (the
 *            tree is built beforehand: the baseline is favoured);
 *   sink     the same parts POSTed one after another through the engine to
 *            the simulator's generic /sink (it hashes the body; no JSON
 *            parsing, no guid chaining): the transport alone.
 * Printed as ratios: split MB/s over memcpy and json-c MB/s, submit
 * seconds over sink seconds, and the client's own CPU seconds (getrusage
 * of this process: the simulator's JSON parsing excluded) for submit over
 * sink.
 */
#include "config.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <callmux/callmux.h>
#include <callmux/kentik.h>

#include "sim/sim.h"

static double now_s(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
  struct rusage ru;

  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* CPU seconds (user + system) of this process: the client alone, the
 * simulator being another process. */
static double cpu_s(void)
{
  struct rusage ru;

  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long rss_now_kb(void)
{
  long pages = 0, res = 0;
  FILE *f = fopen("/proc/self/statm", "r");

  if (!f)
    return -1;
  if (fscanf(f, "%ld %ld", &pages, &res) != 2)
    res = -1;
  fclose(f);
  return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* The child: a simulator until killed. */
static void run_sim(int wfd)
{
  struct event_base *base = event_base_new();
  sim *s = base ? sim_new(base) : NULL;
  sim_service *svc = s ? sim_service_add(s, "kentik", 0, 0) : NULL;
  sim_service *gen = s ? sim_service_add(s, "generic", 0, 0) : NULL;
  unsigned port[2];

  if (!svc || sim_kentik_attach(svc) != 0 || !gen ||
      sim_generic_attach(gen) != 0)
    _exit(1);
  sim_config_set(s, "kentik.per_minute", "0");
  sim_config_set(s, "kentik.per_hour", "0");
  sim_config_set(s, "kentik.soft_per_minute", "0");
  sim_config_set(s, "kentik.apply_delay_ms", "1"); /* applied on next call */
  port[0] = sim_service_port(svc);
  port[1] = sim_service_port(gen);
  if (write(wfd, port, sizeof(port)) != (ssize_t)sizeof(port))
    _exit(1);
  close(wfd);
  event_base_dispatch(base);
  _exit(0);
}

typedef struct st {
  int done, code;
  char guid[80];
  size_t parts;
  long applied;
  char detail[600];
} st;

static void on_submit(const cmx_kentik_submit_result *r, void *ud)
{
  st *s = ud;

  s->done = 1;
  s->code = r->code;
  s->parts = r->parts_acked;
  snprintf(s->guid, sizeof(s->guid), "%s", r->guid);
  snprintf(s->detail, sizeof(s->detail), "%s", r->detail);
}

static void on_status(int code, const cmx_kentik_status *status,
                      const char *detail, void *ud)
{
  st *s = ud;

  s->done = 1;
  s->code = code;
  s->applied = status ? status->upserts.applied : -1;
  snprintf(s->detail, sizeof(s->detail), "%s", detail);
}

/* The sink baseline: part i POSTed to /sink, then part i+1. */
typedef struct sink_chain {
  cmx_engine *e;
  cmx_kentik_plan *plan;
  size_t nparts, sent;
  const char *url;
  char **buf;
  size_t *cap;
  int failed;
} sink_chain;

static int sink_next(sink_chain *sc);

static void on_sink(cmx_call *call, const cmx_response *res, void *ud)
{
  sink_chain *sc = ud;

  (void)call;
  if (cmx_response_code(res) != CMX_OK) {
    sc->failed = 1;
    return;
  }
  sc->sent++;
  if (sc->sent < sc->nparts && sink_next(sc) != 0)
    sc->failed = 1;
}

static int sink_next(sink_chain *sc)
{
  size_t len;
  cmx_request *req;

  if (cmx_kentik_plan_part(sc->plan, sc->sent,
                           sc->sent ? "6659fbfc-3f08-42ee-998c-9109f650f4b7"
                                    : "",
                           sc->buf, sc->cap, &len) != CMX_OK)
    return -1;
  req = cmx_request_new("POST", sc->url);
  if (!req ||
      cmx_request_set_body(req, *sc->buf, len, "application/json") != CMX_OK) {
    cmx_request_free(req);
    return -1;
  }
  return cmx_submit(sc->e, req, on_sink, sc, NULL) == CMX_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  size_t limit = argc > 2 ? (size_t)atol(argv[2]) : CMX_KENTIK_PART_LIMIT;
  int pfd[2];
  pid_t child;
  unsigned port[2];
  char url[64], sink_url[80], val[32], ip[32], err[300], *buf = NULL;
  cmx_kentik_batch *b;
  cmx_kentik_plan *plan = NULL;
  cmx_engine *e;
  cmx_kentik *k;
  size_t cap = 0, len, i, nparts;
  uint64_t json;
  double t0, t_build, t_split, t_submit, t_apply, t_memcpy, t_jsonc, t_sink;
  double c0, c_submit, c_sink;
  uint64_t jsonc_bytes = 0;
  long rss0, rss_built, rss_peak;
  st s;

  if (pipe(pfd) != 0)
    return 1;
  child = fork();
  if (child == 0) {
    close(pfd[0]);
    run_sim(pfd[1]);
  }
  close(pfd[1]);
  if (child < 0 || read(pfd[0], port, sizeof(port)) != sizeof(port)) {
    fprintf(stderr, "simulator did not start\n");
    return 1;
  }
  close(pfd[0]);
  snprintf(url, sizeof(url), "http://127.0.0.1:%u", port[0]);
  snprintf(sink_url, sizeof(sink_url), "http://127.0.0.1:%u/sink", port[1]);
  rss0 = rss_now_kb();

  /* build */
  t0 = now_s();
  b = cmx_kentik_batch_new(0);
  for (i = 0; b && i < (size_t)n; i++) {
    cmx_kentik_criteria *c = cmx_kentik_criteria_new("dst", NULL, 0);
    snprintf(ip, sizeof(ip), "10.%zu.%zu.%zu/32", (i >> 16) & 255,
             (i >> 8) & 255, i & 255);
    snprintf(val, sizeof(val), "populator-%07zu", i);
    if (!c || cmx_kentik_add_ip_address(c, ip) != CMX_OK ||
        cmx_kentik_add_port(c, 443) != CMX_OK ||
        cmx_kentik_batch_add_upsert(b, val, c) != CMX_OK) {
      fprintf(stderr, "build failed at %zu\n", i);
      return 1;
    }
    cmx_kentik_criteria_free(c);
  }
  t_build = now_s() - t0;
  rss_built = rss_now_kb();

  /* split + serialise */
  t0 = now_s();
  if (cmx_kentik_plan_new(b, limit, &plan, err, sizeof(err)) != CMX_OK) {
    fprintf(stderr, "plan: %s\n", err);
    return 1;
  }
  nparts = cmx_kentik_plan_parts(plan);
  json = 0;
  for (i = 0; i < nparts; i++) {
    if (cmx_kentik_plan_part(plan, i,
                             i ? "6659fbfc-3f08-42ee-998c-"
                                 "9109f650f4b7"
                               : "",
                             &buf, &cap, &len) != CMX_OK ||
        len > limit) {
      fprintf(stderr, "part %zu failed\n", i);
      return 1;
    }
    json += len;
  }
  t_split = now_s() - t0;
  json = cmx_kentik_plan_json_bytes(plan);

  /* submit */
  e = cmx_engine_new(NULL, NULL);
  k = e ? cmx_kentik_new(e, "test@example.com", "test-token", url, err,
                         sizeof(err))
        : NULL;
  if (!k) {
    fprintf(stderr, "client: %s\n", err);
    return 1;
  }
  cmx_kentik_set_part_limit(k, limit);
  cmx_lane_set_rate(cmx_kentik_lane(k), 0, 0);
  memset(&s, 0, sizeof(s));
  t0 = now_s();
  c0 = cpu_s();
  if (cmx_kentik_submit_populators(k, "c_bench", b, NULL, on_submit, &s, err,
                                   sizeof(err)) != CMX_OK) {
    fprintf(stderr, "submit: %s\n", err);
    return 1;
  }
  cmx_engine_run(e);
  t_submit = now_s() - t0;
  c_submit = cpu_s() - c0;
  if (s.code != CMX_OK) {
    fprintf(stderr, "submit: %s\n", s.detail);
    return 1;
  }
  rss_peak = peak_rss_kb();

  /* the simulator applies it (on the next request after the delay) */
  t0 = now_s();
  {
    char guid[80];
    snprintf(guid, sizeof(guid), "%s", s.guid);
    memset(&s, 0, sizeof(s));
    usleep(5000);
    cmx_kentik_batch_status(k, guid, on_status, &s);
    cmx_engine_run(e);
  }
  t_apply = now_s() - t0;

  /* baselines (after the peak RSS was read) */
  {
    char *dst = malloc(cap), *src = malloc(cap);
    struct json_object *tree;

    if (!dst || !src ||
        cmx_kentik_plan_part(plan, 0, "", &buf, &cap, &len) != CMX_OK)
      return 1;
    memcpy(src, buf, len);
    t0 = now_s();
    for (i = 0; i < nparts; i++) {
      src[i % len] ^= 1; /* keep the copies honest */
      memcpy(dst, src, len);
    }
    t_memcpy = now_s() - t0;
    if (dst[0] == 'x')
      putchar(' ');
    tree = json_tokener_parse(buf);
    if (!tree)
      return 1;
    t0 = now_s();
    while (jsonc_bytes < json)
      jsonc_bytes += strlen(
          json_object_to_json_string_ext(tree, JSON_C_TO_STRING_SPACED));
    t_jsonc = now_s() - t0;
    json_object_put(tree);
    free(dst);
    free(src);
    /* memcpy moved nparts * len bytes */
    t_memcpy *= (double)json / ((double)nparts * (double)len);
  }
  {
    sink_chain sc;

    memset(&sc, 0, sizeof(sc));
    sc.e = e;
    sc.plan = plan;
    sc.nparts = nparts;
    sc.url = sink_url;
    sc.buf = &buf;
    sc.cap = &cap;
    t0 = now_s();
    c0 = cpu_s();
    if (sink_next(&sc) != 0)
      return 1;
    cmx_engine_run(e);
    t_sink = now_s() - t0;
    c_sink = cpu_s() - c0;
    if (sc.failed || sc.sent != nparts) {
      fprintf(stderr, "sink: part %zu failed\n", sc.sent);
      return 1;
    }
  }
  free(buf);
  cmx_kentik_plan_free(plan);

  printf("kentik populators: N=%ld part_limit=%zu\n", n, limit);
  printf("  batch JSON      %.1f MB in %zu parts (%.0f bytes/populator)\n",
         (double)json / 1e6, nparts, (double)json / (double)n);
  printf("  batch memory    %.1f MB held by the batch (%.2f x JSON)\n",
         (double)cmx_kentik_batch_memory(b) / 1e6,
         (double)cmx_kentik_batch_memory(b) / (double)json);
  printf("  build           %.3f s (%.0f populators/s), RSS %ld -> %ld kB\n",
         t_build, (double)n / t_build, rss0, rss_built);
  printf("  split+serialise %.3f s, %.0f MB/s of JSON\n", t_split,
         (double)json / 1e6 / t_split);
  printf("  submit          %.3f s for %zu parts, %.0f MB/s on the wire "
         "(simulator parsing included)\n",
         t_submit, s.parts ? s.parts : nparts, (double)json / 1e6 / t_submit);
  printf("  submit, client  %.3f CPU s (this process only), %.0f MB/s of "
         "client CPU\n",
         c_submit, (double)json / 1e6 / c_submit);
  printf("  apply (sim)     %.3f s, %ld populators applied\n", t_apply,
         s.applied);
  printf("  peak RSS        %ld kB = %.2f x the batch JSON (goal <= 2)\n",
         rss_peak, (double)rss_peak * 1024.0 / (double)json);
  printf("  baseline memcpy %.0f MB/s: split+serialise at %.3f x memcpy\n",
         (double)json / 1e6 / t_memcpy, t_memcpy / t_split);
  printf("  baseline json-c %.0f MB/s: split+serialise at %.2f x json-c\n",
         (double)jsonc_bytes / 1e6 / t_jsonc,
         ((double)json / t_split) / ((double)jsonc_bytes / t_jsonc));
  printf("  baseline sink   %.3f s for the same parts (transport only): "
         "submit takes %.2f x sink\n",
         t_sink, t_submit / t_sink);
  printf("  baseline sink   %.3f client CPU s: submit's client CPU at %.2f x "
         "sink\n",
         c_sink, c_submit / c_sink);
  printf("RESULT name=kentik_populators n=%ld parts=%zu json_bytes=%llu "
         "build_s=%.3f split_s=%.3f split_mbps=%.1f submit_s=%.3f "
         "peak_rss_kb=%ld rss_over_json=%.3f applied=%ld "
         "split_over_memcpy=%.3f split_over_jsonc=%.2f "
         "submit_over_sink=%.2f client_cpu_submit_s=%.3f "
         "client_cpu_sink_s=%.3f\n",
         n, nparts, (unsigned long long)json, t_build, t_split,
         (double)json / 1e6 / t_split, t_submit, rss_peak,
         (double)rss_peak * 1024.0 / (double)json, s.applied,
         t_memcpy / t_split,
         ((double)json / t_split) / ((double)jsonc_bytes / t_jsonc),
         t_submit / t_sink, c_submit, c_sink);
  cmx_kentik_free(k);
  cmx_engine_free(e);
  cmx_kentik_batch_free(b);
  kill(child, SIGTERM);
  waitpid(child, NULL, 0);
  return s.applied == n ? 0 : 1;
}
