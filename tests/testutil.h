/*
 * Shared helpers of the engine's test programs: an in-process simulator on
 * the test's event_base, bounded loop runs, and a record of completions.
 */
#ifndef CMX_TESTUTIL_H
#define CMX_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <callmux/callmux.h>

#include "sim/sim.h"

struct event_base;

typedef struct tu_env {
  struct event_base *base;
  sim *sim;
  sim_service *svc; /* "generic" */
  cmx_engine *engine;
  char url[128]; /* svc's base URL */
} tu_env;

/* Base, simulator with the generic routes, engine on that base. */
void tu_setup(tu_env *t, const cmx_options *opts);
void tu_teardown(tu_env *t);
/* Run the loop until *flag != 0 or `ms` elapse; returns *flag. */
int tu_run_until(struct event_base *base, const int *flag, unsigned ms);
/* Run until the engine has nothing outstanding or `ms` elapse. */
int tu_run_idle(tu_env *t, unsigned ms);

/* A record of one call's end, kept by tu_done. */
typedef struct tu_result {
  int calls; /* times the callback ran */
  int code;
  long status;
  unsigned attempts;
  char body[512];
  char detail[512];
  uint64_t body_bytes;
} tu_result;

/* Completion callback storing into the tu_result given as userdata. */
void tu_done(cmx_call *call, const cmx_response *res, void *userdata);
/* Submit METHOD url with tu_done into r; returns the submit code. */
int tu_get(tu_env *t, const char *path, tu_result *r);

/* "http://127.0.0.1:PORT" + path into buf. */
const char *tu_url(tu_env *t, const char *path, char *buf, size_t n);
/* Peak resident set size of this process in KiB. */
long tu_peak_rss_kb(void);
long tu_rss_kb(void);

/* Start callmux-sim ($CMX_SIM) as a child serving `services` (comma
 * list), with settings `sets` ("key=value", NULL-terminated; may be NULL),
 * and fill `url` with the base URL of `service`.  The simulator dies with
 * the test's process.  Returns the child's pid, or -1. */
int tu_sim_start(const char *services, const char *const *sets,
                 const char *service, char *url, size_t n);
/* tu_sim_start without settings. */
int tu_spawn_sim(const char *services, const char *service, char *url,
                 size_t n);
/* The build directory, from $CMX_SIM (<builddir>/tests/sim/callmux-sim);
 * NULL when it is not set. */
const char *tu_builddir(void);
/* Run <builddir>/<prog> with `args` (NULL-terminated) in `cwd` (NULL: the
 * current directory), stdout and stderr captured into out[n]
 * (NUL-terminated, cut at n - 1 bytes).  The test fails if the program
 * runs over limit_s seconds.  Returns its exit status, or -1 when it did
 * not exit normally. */
int tu_run_program(const char *prog, const char *const *args, const char *cwd,
                   char *out, size_t n, unsigned limit_s);
void tu_kill_sim(int pid);

#endif /* CMX_TESTUTIL_H */
