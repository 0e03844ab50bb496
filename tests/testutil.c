/* Shared helpers of the engine's test programs. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
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

int tu_sim_start(const char *services, const char *const *sets,
                 const char *service, char *url, size_t n)
{
  const char *bin = getenv("CMX_SIM");
  char portfile[] = "/tmp/cmx-sim-XXXXXX";
  const char *argv[40];
  int fd, i, k = 0;
  pid_t pid;

  if (!bin || access(bin, X_OK) != 0)
    return -1;
  fd = mkstemp(portfile);
  if (fd < 0)
    return -1;
  close(fd);
  unlink(portfile);
  argv[k++] = bin;
  argv[k++] = "--port";
  argv[k++] = "0";
  argv[k++] = "--services";
  argv[k++] = services;
  argv[k++] = "--port-file";
  argv[k++] = portfile;
  for (i = 0; sets && sets[i] && k < 38; i++) {
    argv[k++] = "--set";
    argv[k++] = sets[i];
  }
  argv[k] = NULL;
  pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
#ifdef __linux__
    /* a failed assertion ends the test's process: the simulator too */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
    if (devnull >= 0)
      dup2(devnull, 1);
    execv(bin, (char *const *)argv);
    _exit(127);
  }
  for (i = 0; i < 400; i++) {
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
    usleep(25 * 1000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  unlink(portfile);
  return -1;
}

int tu_spawn_sim(const char *services, const char *service, char *url,
                 size_t n)
{
  return tu_sim_start(services, NULL, service, url, n);
}

const char *tu_builddir(void)
{
  static char dir[1024];
  const char *bin = getenv("CMX_SIM");
  char *p;
  int i;

  if (!bin)
    return NULL;
  snprintf(dir, sizeof(dir), "%s", bin);
  for (i = 0; i < 3; i++) { /* strip /tests/sim/callmux-sim */
    p = strrchr(dir, '/');
    if (!p)
      return NULL;
    *p = '\0';
  }
  return dir;
}

int tu_run_program(const char *prog, const char *const *args, const char *cwd,
                   char *out, size_t n, unsigned limit_s)
{
  const char *top = tu_builddir();
  char bin[1200], outpath[] = "/tmp/cmx-run-XXXXXX";
  const char *argv[24];
  pid_t pid;
  int fd, st = 0, i, k = 0;
  time_t end;
  ssize_t got;
  size_t len = 0;

  ck_assert_msg(top != NULL, "CMX_SIM must name callmux-sim");
  snprintf(bin, sizeof(bin), "%s/%s", top, prog);
  ck_assert_msg(access(bin, X_OK) == 0, "%s not built", bin);
  fd = mkstemp(outpath);
  ck_assert_int_ge(fd, 0);
  unlink(outpath);
  argv[k++] = bin;
  for (i = 0; args && args[i] && k < 23; i++)
    argv[k++] = args[i];
  argv[k] = NULL;
  pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (cwd && chdir(cwd) != 0)
      _exit(126);
    dup2(fd, 1);
    dup2(fd, 2);
    execv(bin, (char *const *)argv);
    _exit(127);
  }
  end = time(NULL) + (time_t)limit_s;
  while (waitpid(pid, &st, WNOHANG) == 0) {
    if (time(NULL) > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      close(fd);
      ck_abort_msg("%s did not finish in %u s", prog, limit_s);
    }
    usleep(10 * 1000);
  }
  lseek(fd, 0, SEEK_SET);
  while (n > 0 && len < n - 1 && (got = read(fd, out + len, n - 1 - len)) > 0)
    len += (size_t)got;
  if (n > 0)
    out[len] = '\0';
  close(fd);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void tu_kill_sim(int pid)
{
  if (pid > 0) {
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
  }
}
