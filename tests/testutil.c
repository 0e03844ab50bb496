/* Shared helpers of the engine's test programs. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "testutil.h"

void tu_setup(tu_env *t, const cmx_options *opts)
{
  memset(t, 0, sizeof(*t));
  t->base = event_base_new();
  ck_assert_ptr_nonnull(t->base);
  t->sim = sim_new(t->base);
  ck_assert_ptr_nonnull(t->sim);
  t->svc = sim_service_add(t->sim, "generic", 0, 0);
  ck_assert_ptr_nonnull(t->svc);
  ck_assert_int_eq(sim_generic_attach(t->svc), 0);
  snprintf(t->url, sizeof(t->url), "%s", sim_service_url(t->svc));
  t->engine = cmx_engine_new(t->base, opts);
  ck_assert_ptr_nonnull(t->engine);
}

void tu_teardown(tu_env *t)
{
  cmx_engine_free(t->engine);
  t->engine = NULL;
  sim_free(t->sim);
  event_base_free(t->base);
}

static void on_limit(evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  *(int *)arg = 1;
}

int tu_run_until(struct event_base *base, const int *flag, unsigned ms)
{
  int expired = 0;
  struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
  struct event *ev = evtimer_new(base, on_limit, &expired);

  evtimer_add(ev, &tv);
  while (!*flag && !expired)
    event_base_loop(base, EVLOOP_ONCE);
  event_free(ev);
  return *flag;
}

int tu_run_idle(tu_env *t, unsigned ms)
{
  int expired = 0;
  struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
  struct event *ev = evtimer_new(t->base, on_limit, &expired);

  evtimer_add(ev, &tv);
  while (cmx_engine_outstanding(t->engine) > 0 && !expired)
    event_base_loop(t->base, EVLOOP_ONCE);
  event_free(ev);
  return cmx_engine_outstanding(t->engine) == 0;
}

void tu_done(cmx_call *call, const cmx_response *res, void *ud)
{
  tu_result *r = ud;
  size_t len;
  const char *b = cmx_response_body(res, &len);

  (void)call;
  r->calls++;
  r->code = cmx_response_code(res);
  r->status = cmx_response_status(res);
  r->attempts = cmx_response_attempts(res);
  r->body_bytes = cmx_response_body_bytes(res);
  snprintf(r->body, sizeof(r->body), "%.*s", (int)len, b);
  snprintf(r->detail, sizeof(r->detail), "%s", cmx_response_detail(res));
}

const char *tu_url(tu_env *t, const char *path, char *buf, size_t n)
{
  snprintf(buf, n, "%s%s", t->url, path);
  return buf;
}

int tu_get(tu_env *t, const char *path, tu_result *r)
{
  char u[256];
  cmx_request *req = cmx_request_new("GET", tu_url(t, path, u, sizeof(u)));

  ck_assert_ptr_nonnull(req);
  return cmx_submit(t->engine, req, tu_done, r, NULL);
}

long tu_peak_rss_kb(void)
{
  struct rusage ru;

  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

long tu_rss_kb(void)
{
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, rss = 0;

  if (!f)
    return -1;
  if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
    rss = -1;
  fclose(f);
  return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

int tu_spawn_sim(const char *services, const char *service, char *url,
                 size_t n)
{
  const char *bin = getenv("CMX_SIM");
  char portfile[] = "/tmp/cmx-sim-XXXXXX";
  int fd = mkstemp(portfile);
  pid_t pid;
  int i;

  if (!bin || fd < 0)
    return -1;
  close(fd);
  unlink(portfile);
  pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int devnull = open("/dev/null", 1);
    if (devnull >= 0)
      dup2(devnull, 1);
    execl(bin, bin, "--port", "0", "--services", services, "--port-file",
          portfile, (char *)NULL);
    _exit(127);
  }
  for (i = 0; i < 200; i++) {
    FILE *f = fopen(portfile, "r");
    char line[256], name[64], u[192];
    if (f) {
      int found = 0;
      while (fgets(line, sizeof(line), f))
        if (sscanf(line, "%63s %191s", name, u) == 2 &&
            strcmp(name, service) == 0) {
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
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  unlink(portfile);
  return -1;
}

void tu_kill_sim(int pid)
{
  if (pid > 0) {
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
  }
}
