/*
 * The PagerDuty examples (ports of pdpyras usage) and the demo's PagerDuty
 * scenario, each run as a program against callmux-sim ($CMX_SIM, started
 * once per test with the pagerduty service) and checked by exit status
 * and output.  The programs are found next to the simulator: $CMX_SIM is
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

/* the key is set on the simulator's command line */
#define TOKEN "pd-example-key-1"
#define RKEY "R0UTINGKEY0000000000000000000000"
#define RUN_LIMIT_S 60

static char url[256];
static pid_t sim_pid = -1;

/* Start callmux-sim with `sets` (NULL-terminated key=value list). */
static void sim_up(const char *const *sets)
{
  url[0] = 0;
  sim_pid = tu_sim_start("pagerduty", sets, "pagerduty", url, sizeof(url));
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
      ck_abort_msg("check_pagerduty_examples: CMX_SIM not usable in %s",      \
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

#define HAS(r, s)                                                             \
  ck_assert_msg(strstr((r)->out, (s)) != NULL, "missing \"%s\" in:\n%s", (s), \
                (r)->out)
#define OK(r)                                                                 \
  ck_assert_msg((r)->status == 0, "exit %d:\n%s", (r)->status, (r)->out)

static long count_of(const char *hay, const char *needle)
{
  long n = 0;

  while ((hay = strstr(hay, needle)) != NULL) {
    n++;
    hay += strlen(needle);
  }
  return n;
}

/* ---- REST: users ------------------------------------------------------- */

START_TEST(test_users)
{
  static const char *const sets[] = {"pagerduty.users=250",
                                     "pagerduty.token=" TOKEN, NULL};
  ran r;
  char id[16];
  const char *p;

  NEED_SIM(sets);
  unsetenv("PD_FROM");
  {
    const char *a[] = {url, TOKEN, "get", "PU000007", NULL};
    run_prog(&r, "examples/pagerduty_users", a);
    OK(&r);
    HAS(&r, "user PU000007 User 7 <user7@example.com>");
  }
  {
    const char *a[] = {url, TOKEN, "get", "PU999999", NULL};
    run_prog(&r, "examples/pagerduty_users", a);
    ck_assert_int_eq(r.status, 1);
    HAS(&r, "HTTP 404, PagerDuty code 2100");
  }
  {
    const char *a[] = {url, "wrong-key", "get", "PU000007", NULL};
    run_prog(&r, "examples/pagerduty_users", a);
    ck_assert_int_eq(r.status, 1);
    HAS(&r, "EAUTH (HTTP 401, PagerDuty code 2006)");
    ck_assert_ptr_null(strstr(r.out, "wrong-key"));
  }
  {
    const char *a[] = {url, TOKEN, "list", NULL};
    run_prog(&r, "examples/pagerduty_users", a);
    OK(&r);
    HAS(&r, "listed 250 users");
    ck_assert_int_eq(count_of(r.out, " user PU"), 250);
    HAS(&r, "1 user PU000001 ");
    HAS(&r, "250 user PU000250 ");
  }
  {
    const char *a[] = {url, TOKEN, "find", "USER42@Example.com", NULL};
    run_prog(&r, "examples/pagerduty_users", a);
    OK(&r);
    HAS(&r, "found PU000042 User 42 <user42@example.com>");
  }
  {
    const char *a[] = {url, TOKEN, "find", "nobody@example.com", NULL};
    run_prog(&r, "examples/pagerduty_users", a);
    OK(&r);
    HAS(&r, "found: none");
  }
  /* persist without From: the API's 400 (account-level key) */
  {
    const char *a[] = {url,          TOKEN, "persist", "new@example.com",
                       "New Person", NULL};
    run_prog(&r, "examples/pagerduty_users", a);
    ck_assert_int_eq(r.status, 1);
    HAS(&r, "HTTP 400, PagerDuty code 2001");
  }
  setenv("PD_FROM", "admin@example.com", 1);
  {
    const char *a[] = {url,          TOKEN, "persist", "new@example.com",
                       "New Person", NULL};
    run_prog(&r, "examples/pagerduty_users", a);
    OK(&r);
    p = strstr(r.out, "persisted PU");
    ck_assert_ptr_nonnull(p);
    snprintf(id, sizeof(id), "%.8s", p + 10);
    HAS(&r, "New Person <new@example.com>");
  }
  { /* again, other case: found, same user */
    const char *a[] = {url,          TOKEN, "persist", "NEW@example.com",
                       "New Person", NULL};
    char want[64];
    run_prog(&r, "examples/pagerduty_users", a);
    OK(&r);
    snprintf(want, sizeof(want), "persisted %s ", id);
    HAS(&r, want);
  }
  {
    const char *a[] = {url, TOKEN, "list", NULL};
    run_prog(&r, "examples/pagerduty_users", a);
    HAS(&r, "listed 251 users");
  }
  {
    const char *a[] = {url,        TOKEN,           "update",
                       "PU000003", "Third Renamed", NULL};
    run_prog(&r, "examples/pagerduty_users", a);
    OK(&r);
    HAS(&r, "updated PU000003 Third Renamed <user3@example.com>");
  }
  {
    const char *a[] = {url, TOKEN, "get", "PU000003", NULL};
    run_prog(&r, "examples/pagerduty_users", a);
    HAS(&r, "user PU000003 Third Renamed");
  }
  { /* refused before anything is sent */
    const char *a[] = {url, TOKEN, "get", "P1/future", NULL};
    run_prog(&r, "examples/pagerduty_users", a);
    ck_assert_int_eq(r.status, 1);
    HAS(&r, "EINVAL");
  }
  unsetenv("PD_FROM");
  sim_down();
}
END_TEST

/* ---- REST: acknowledge every triggered incident ------------------------ */

START_TEST(test_ack_triggered)
{
  static const char *const sets[] = {"pagerduty.users=250",
                                     "pagerduty.incidents=600",
                                     "pagerduty.token=" TOKEN, NULL};
  ran r;

  NEED_SIM(sets);
  { /* only PU000001's: incidents 1, 251 and 501 */
    const char *a[] = {url, TOKEN, "admin@example.com", "PU000001", NULL};
    run_prog(&r, "examples/pagerduty_ack_triggered", a);
    OK(&r);
    HAS(&r, "3 triggered incidents");
    HAS(&r, "acknowledged 3 incidents");
  }
  { /* the rest: 597, split in requests of at most 250 */
    const char *a[] = {url, TOKEN, "admin@example.com", NULL};
    run_prog(&r, "examples/pagerduty_ack_triggered", a);
    OK(&r);
    HAS(&r, "597 triggered incidents");
    HAS(&r, "acknowledged 597 incidents");
  }
  {
    const char *a[] = {url, TOKEN, "admin@example.com", NULL};
    run_prog(&r, "examples/pagerduty_ack_triggered", a);
    OK(&r);
    HAS(&r, "0 triggered incidents");
  }
  sim_down();
}
END_TEST

/* ---- events ------------------------------------------------------------- */

START_TEST(test_events)
{
  static const char *const sets[] = {"pagerduty.routing_key=" RKEY, NULL};
  ran r;
  const char *p;
  char dk[40], want[80];

  NEED_SIM(sets);
  {
    const char *a[] = {url, RKEY, "disk full", "host1", NULL};
    run_prog(&r, "examples/pagerduty_events", a);
    OK(&r);
    p = strstr(r.out, "triggered ");
    ck_assert_ptr_nonnull(p);
    snprintf(dk, sizeof(dk), "%.36s", p + 10);
    ck_assert_uint_eq(strlen(dk), 36); /* a client-made UUID */
    snprintf(want, sizeof(want), "triggered %s (HTTP 202)", dk);
    HAS(&r, want);
    snprintf(want, sizeof(want), "acknowledged %s (HTTP 202)", dk);
    HAS(&r, want);
    snprintf(want, sizeof(want), "resolved %s (HTTP 202)", dk);
    HAS(&r, want);
  }
  { /* refused before anything is sent */
    const char *a[] = {url, RKEY, "disk full", "host1", "fatal", NULL};
    run_prog(&r, "examples/pagerduty_events", a);
    ck_assert_int_eq(r.status, 1);
    HAS(&r, "severity");
    ck_assert_ptr_null(strstr(r.out, "HTTP"));
  }
  { /* an unknown routing key: the service's 400 */
    const char *a[] = {url, "OTHERKEY", "disk full", "host1", NULL};
    run_prog(&r, "examples/pagerduty_events", a);
    ck_assert_int_eq(r.status, 1);
    HAS(&r, "HTTP 400");
  }
  {
    const char *a[] = {url, RKEY, "Deployed v2.3", "ci", "abc123", NULL};
    run_prog(&r, "examples/pagerduty_change_event", a);
    OK(&r);
    HAS(&r, "change event accepted (HTTP 202)");
  }
  {
    const char *a[] = {url, RKEY, "", NULL};
    run_prog(&r, "examples/pagerduty_change_event", a);
    ck_assert_int_eq(r.status, 1);
    HAS(&r, "summary");
  }
  sim_down();
}
END_TEST

/* ---- the demo's scenario ----------------------------------------------- */

START_TEST(test_demo_scenario)
{
  ran r;

  NEED_SIM(NULL);
  {
    const char *a[] = {"--pagerduty", url, NULL};
    run_prog(&r, "examples/demo", a);
    OK(&r);
    HAS(&r, "listed 3 users (total 3)");
    HAS(&r, "find by e-mail: PU000002 User 2");
    HAS(&r, "persist: team PT000003 'Demo Responders' created");
    HAS(&r, "persist again: team PT000003 found, no write");
    HAS(&r, "100 of 100 triggers accepted");
    /* 5 seeded + 100 opened by the triggers */
    HAS(&r, "acknowledged 105 incidents in one multi-update");
    HAS(&r, "change event accepted (HTTP 202)");
    HAS(&r, "refused before sending");
  }
  sim_down();
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("pagerduty_examples");
  TCase *tc = tcase_create("examples");

  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_users);
  tcase_add_test(tc, test_ack_triggered);
  tcase_add_test(tc, test_events);
  tcase_add_test(tc, test_demo_scenario);
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
