/*
 * The Partisci examples (a daemon that reports its own version, a "which
 * hosts run version V of app A" tool) and the demo's Partisci scenario,
 * each run as a program against callmux-sim ($CMX_SIM, started once per
 * test with the partisci service) and checked by exit status and output.
 * The programs are found next to the simulator: $CMX_SIM is
 * <builddir>/tests/sim/callmux-sim.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <unistd.h>

#include "testutil.h"

#define RUN_LIMIT_S 60

static char url[256];
static char host[256]; /* this machine's name, the daemon's default host */
static pid_t sim_pid = -1;

/* Start callmux-sim with the partisci service and `sets` (key=value,
 * NULL-terminated). */
static void sim_up(const char *const *sets)
{
  url[0] = 0;
  if (gethostname(host, sizeof(host)) != 0)
    host[0] = 0;
  host[sizeof(host) - 1] = 0;
  sim_pid = tu_sim_start("partisci", sets, "partisci", url, sizeof(url));
}

static void sim_down(void)
{
  tu_kill_sim(sim_pid);
  sim_pid = -1;
}

/* A simulator that cannot be started fails the test (CMX_SIM must name
 * callmux-sim; `make check` sets it). */
#define NEED_SIM(sets)                                                        \
  do {                                                                        \
    sim_up(sets);                                                             \
    if (sim_pid <= 0) {                                                       \
      ck_abort_msg("check_partisci_examples: CMX_SIM not usable in %s",       \
                   __func__);                                                 \
    }                                                                         \
  } while (0)

typedef struct ran {
  int status; /* exit status, or -1 */
  char out[65536];
} ran;

/* Run <builddir>/<prog> with `args` (NULL-terminated), stdout and stderr
 * captured; at most RUN_LIMIT_S seconds. */
static void run_prog(ran *r, const char *prog, const char *const *args)
{
  r->status =
      tu_run_program(prog, args, NULL, r->out, sizeof(r->out), RUN_LIMIT_S);
}

static int count_lines_with(const char *text, const char *a, const char *b)
{
  int n = 0;
  const char *line = text;

  while (line && *line) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    char buf[1024];

    snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
    if (strstr(buf, a) && (!b || strstr(buf, b)))
      n++;
    line = nl ? nl + 1 : NULL;
  }
  return n;
}

START_TEST(daemon_then_which)
{
  ran r;

  NEED_SIM(NULL);
  /* the daemon reports itself at start over UDP, then again over HTTP
   * as another instance */
  {
    const char *a[] = {"--run-seconds", "0.3", "--instance", "3", url, NULL};

    run_prog(&r, "examples/partisci_daemon", a);
    ck_assert_msg(r.status == 0, "daemon: %d\n%.1500s", r.status, r.out);
    ck_assert_msg(strstr(r.out, "reported callmux example daemon 1.4.2 "
                                "(update 1)") != NULL,
                  "%.1500s", r.out);
  }
  {
    const char *a[] = {"--http", "--interval-hours", "0.01", "--run-seconds",
                       "0.3",    "--instance",       "4",    url,
                       NULL};

    run_prog(&r, "examples/partisci_daemon", a);
    ck_assert_msg(r.status == 0, "daemon --http: %d\n%.1500s", r.status,
                  r.out);
    /* 0.01 h asked: clamped to hourly, so one update in 0.3 s */
    ck_assert_int_eq(count_lines_with(r.out, "reported callmux", NULL), 1);
  }
  /* which hosts run it: this machine, two instances, whatever the era */
  {
    const char *eras[] = {"auto", "documented", "later"};
    int i;

    for (i = 0; i < 3; i++) {
      const char *a[] = {"--era", eras[i], url, "callmux example daemon",
                         "1.4.2", NULL};

      run_prog(&r, "examples/partisci_which", a);
      ck_assert_msg(r.status == 0, "which (%s): %d\n%.1500s", eras[i],
                    r.status, r.out);
      ck_assert_msg(count_lines_with(r.out, host, "instance 3") == 1 &&
                        count_lines_with(r.out, host, "instance 4") == 1,
                    "which (%s):\n%.1500s", eras[i], r.out);
      ck_assert(strstr(r.out, "ip 127.0.0.1") != NULL);
    }
  }
  /* another version: nobody (exit 1) */
  {
    const char *a[] = {url, "callmux example daemon", "9.9", NULL};

    run_prog(&r, "examples/partisci_which", a);
    ck_assert_msg(r.status == 1, "%d\n%.1500s", r.status, r.out);
    ck_assert(strstr(r.out, "no host reports this version") != NULL);
  }
  sim_down();
}
END_TEST

START_TEST(examples_report_errors)
{
  ran r;

  NEED_SIM(NULL);
  /* nothing listens on port 1: exit 2 with the reason */
  {
    const char *a[] = {"--era", "later", "http://127.0.0.1:1", "A", "1", NULL};

    run_prog(&r, "examples/partisci_which", a);
    ck_assert_msg(r.status == 2, "%d\n%.1500s", r.status, r.out);
    ck_assert_msg(strstr(r.out, "ECONNREFUSED") != NULL, "%.1500s", r.out);
  }
  /* a bad URL and a bad instance are refused before anything is sent */
  {
    const char *a[] = {"--run-seconds", "0.1", "ftp://x", NULL};

    run_prog(&r, "examples/partisci_daemon", a);
    ck_assert_msg(r.status == 2, "%d\n%.1500s", r.status, r.out);
    ck_assert_msg(strstr(r.out, "base_url") != NULL, "%.1500s", r.out);
  }
  {
    const char *a[] = {"--run-seconds", "0.1", "--instance",
                       "70000",         url,   NULL};

    run_prog(&r, "examples/partisci_daemon", a);
    ck_assert_msg(r.status == 2, "%d\n%.1500s", r.status, r.out);
    ck_assert_msg(strstr(r.out, "instance: 70000 is outside 0..65535"), "%s",
                  r.out);
  }
  {
    const char *a[] = {url, "A", NULL};

    run_prog(&r, "examples/partisci_which", a);
    ck_assert_int_eq(r.status, 2);
    ck_assert(strstr(r.out, "usage:") != NULL);
  }
  sim_down();
}
END_TEST

START_TEST(demo_scenario)
{
  static const char *const sets[] = {"partisci.era=later", NULL};
  const char *a[] = {"--partisci", url, NULL};
  ran r;

  NEED_SIM(sets);
  run_prog(&r, "examples/demo", a);
  ck_assert_msg(r.status == 0, "demo: %d\n%.1500s", r.status, r.out);
  /* every call succeeded; the era was detected; the fleet is all there */
  ck_assert_msg(strstr(r.out, "API era later") != NULL, "%.1500s", r.out);
  ck_assert_msg(strstr(r.out, "on 300 hosts") != NULL, "%.1500s", r.out);
  ck_assert_msg(strstr(r.out, "300 hosts known") != NULL, "%.1500s", r.out);
  ck_assert_msg(count_lines_with(r.out, "partisci ", " -") == 1, "%.1500s",
                r.out);
  sim_down();
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("partisci_examples");
  TCase *tc = tcase_create("examples");

  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, daemon_then_which);
  tcase_add_test(tc, examples_report_errors);
  tcase_add_test(tc, demo_scenario);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
