/* The Synnefo examples (ports of the kamaki guide's scripts) and the demo's
 * Synnefo scenario, each run as a program against callmux-sim ($CMX_SIM,
 * started once with the synnefo service) and checked by exit status,
 * output and the files it writes.  The programs are found next to the
 * simulator: $CMX_SIM is <builddir>/tests/sim/callmux-sim. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include <callmux/callmux.h>
#include <callmux/synnefo.h>

#define TOKEN "synnefo-token"
#define RUN_LIMIT_S 60

static char sim_url[256];
static char auth_url[300];
static char workdir[64];
static pid_t sim_pid = -1;

static void sim_up(void)
{
  static const char *const sets[] = {"synnefo.build_ms=300", NULL};

  sim_url[0] = 0;
  sim_pid = tu_sim_start("synnefo", sets, "synnefo", sim_url, sizeof(sim_url));
  if (sim_pid <= 0)
    return;
  snprintf(auth_url, sizeof(auth_url), "%s/identity/v2.0", sim_url);
  snprintf(workdir, sizeof(workdir), "/tmp/cmx-synex-XXXXXX");
  if (!mkdtemp(workdir))
    workdir[0] = 0;
}

static void sim_down(void)
{
  char cmd[128];

  tu_kill_sim(sim_pid);
  sim_pid = -1;
  if (workdir[0]) {
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", workdir);
    if (system(cmd) != 0)
      fprintf(stderr, "check_synnefo_examples: could not remove %s\n",
              workdir);
  }
}

/* A simulator that cannot be started fails the test (CMX_SIM must name
 * callmux-sim; `make check` sets it). */
#define NEED_SIM()                                                            \
  do {                                                                        \
    if (sim_pid <= 0 || !workdir[0]) {                                        \
      ck_abort_msg("check_synnefo_examples: CMX_SIM not usable in %s",        \
                   __func__);                                                 \
    }                                                                         \
  } while (0)

typedef struct ran {
  int status; /* exit status, or -1 (killed / not run) */
  char out[16384];
} ran;

/* Run <builddir>/<prog> with `args` (NULL-terminated) in the work dir,
 * stdout and stderr both captured; at most RUN_LIMIT_S seconds. */
static void run_prog(ran *r, const char *prog, const char *const *args)
{
  memset(r, 0, sizeof(*r));
  r->status =
      tu_run_program(prog, args, workdir, r->out, sizeof(r->out), RUN_LIMIT_S);
}

#define HAS(r, s)                                                             \
  ck_assert_msg(strstr((r)->out, (s)) != NULL, "missing \"%s\" in:\n%s", (s), \
                (r)->out)

static long count_of(const char *hay, const char *needle)
{
  long n = 0;

  while ((hay = strstr(hay, needle)) != NULL) {
    n++;
    hay += strlen(needle);
  }
  return n;
}

/* ---- the guide's scripts ------------------------------------------------ */

START_TEST(test_batch_servers)
{
  ran r;
  const char *args[] = {auth_url, TOKEN, "20", NULL};

  NEED_SIM();
  run_prog(&r, "examples/synnefo_batch_servers", args);
  ck_assert_msg(r.status == 0, "exit %d:\n%s", r.status, r.out);
  HAS(&r, "20 ACTIVE, 0 failed");
  ck_assert_int_eq(count_of(r.out, "created batch-server-"), 20);
  ck_assert_int_eq(count_of(r.out, ") is ACTIVE"), 20);
}
END_TEST

START_TEST(test_private_network)
{
  ran r;
  const char *args[] = {auth_url, TOKEN, NULL};
  char *net, needle[96];

  NEED_SIM();
  run_prog(&r, "examples/synnefo_private_network", args);
  ck_assert_msg(r.status == 0, "exit %d:\n%s", r.status, r.out);
  HAS(&r, "(private-net) is ACTIVE");
  net = strstr(r.out, "network ");
  ck_assert_ptr_nonnull(net);
  /* both servers are attached to the network just made */
  snprintf(needle, sizeof(needle), "is ACTIVE, on network %.*s with ",
           (int)strcspn(net + 8, " "), net + 8);
  ck_assert_int_eq(count_of(r.out, needle), 2);
}
END_TEST

/* restore (upload by hashmap, register, boot) then register-images: the
 * etag printed must be the Merkle hash computed here independently. */
START_TEST(test_restore_and_register)
{
  ran r;
  char file[128], expect[160], top[65], *hexes;
  const char *hs[3];
  const char *args[] = {auth_url, TOKEN, file, NULL};
  const char *reg[] = {auth_url, TOKEN, "images", NULL};
  const size_t size = (size_t)9 << 20; /* 3 blocks of 4 MiB, short last */
  unsigned char *d;
  size_t i;
  int fd;

  NEED_SIM();
  snprintf(file, sizeof(file), "%s/restored-os.diskdump", workdir);
  d = malloc(size);
  ck_assert_ptr_nonnull(d);
  {
    uint64_t x = 0x9E3779B97F4A7C15ULL; /* xorshift: no repeated block */
    for (i = 0; i < size; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      d[i] = (unsigned char)(x >> 24);
    }
  }
  memset(d + size - 4096, 0, 4096); /* trailing zeros in the last block */
  fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, d, size), (ssize_t)size);
  free(d);
  hexes = malloc(3 * 65);
  ck_assert_int_eq(cmx_synnefo_hash_fd(fd, size, 4194304, hexes), CMX_OK);
  for (i = 0; i < 3; i++)
    hs[i] = hexes + 65 * i;
  ck_assert_int_eq(cmx_synnefo_merkle(hs, 3, top), CMX_OK);
  free(hexes);
  close(fd);

  run_prog(&r, "examples/synnefo_restore_server", args);
  ck_assert_msg(r.status == 0, "exit %d:\n%s", r.status, r.out);
  snprintf(expect, sizeof(expect), "etag %s, 3 of 3 blocks sent", top);
  HAS(&r, expect);
  HAS(&r, "registered");
  HAS(&r, "is ACTIVE");
  /* the same file again: nothing to send */
  run_prog(&r, "examples/synnefo_restore_server", args);
  ck_assert_msg(r.status == 0, "exit %d:\n%s", r.status, r.out);
  snprintf(expect, sizeof(expect), "etag %s, 0 of 3 blocks sent", top);
  HAS(&r, expect);

  run_prog(&r, "examples/synnefo_register_images", reg);
  ck_assert_msg(r.status == 0, "exit %d:\n%s", r.status, r.out);
  HAS(&r, "registered restored-os as ");
  HAS(&r, "/images/restored-os.diskdump)");
  HAS(&r, "1 registered, 0 failed");
}
END_TEST

START_TEST(test_snapshot_backup)
{
  ran r;
  char out[128];
  const char *args[] = {auth_url, TOKEN, NULL};
  struct stat sb;

  NEED_SIM();
  run_prog(&r, "examples/synnefo_snapshot_backup", args);
  ck_assert_msg(r.status == 0, "exit %d:\n%s", r.status, r.out);
  HAS(&r, "is AVAILABLE");
  HAS(&r, "backup written to backup.diskdump: 1048576 bytes");
  snprintf(out, sizeof(out), "%s/backup.diskdump", workdir);
  ck_assert_int_eq(stat(out, &sb), 0);
  ck_assert_int_eq(sb.st_size, 1048576);
}
END_TEST

START_TEST(test_errors)
{
  ran r;
  const char *args[] = {auth_url, TOKEN, NULL};

  NEED_SIM();
  run_prog(&r, "examples/synnefo_errors", args);
  ck_assert_msg(r.status == 0, "exit %d:\n%s", r.status, r.out);
  HAS(&r, "create_server refused: flavor_id: must be non-empty");
  HAS(&r, "get_server_details: Not Found itemNotFound (Server not found.) "
          "(status 404)");
  HAS(&r, "upload_object: Not Found for container no-such-container "
          "(status 404)");
  HAS(&r, "list_servers (bad token): Unauthorized (status 401)");
  HAS(&r, "\"Invalid token\"");
  ck_assert_ptr_null(strstr(r.out, "not-a-valid-token"));
}
END_TEST

START_TEST(test_demo_scenario)
{
  ran r;
  const char *args[] = {"--synnefo", sim_url, NULL};

  NEED_SIM();
  run_prog(&r, "examples/demo", args);
  ck_assert_msg(r.status == 0, "exit %d:\n%s", r.status, r.out);
  HAS(&r, "12/12 servers ACTIVE");
  HAS(&r, "re-upload sent 0 blocks");
  HAS(&r, "downloaded 10485760 bytes, 3 distinct blocks fetched");
}
END_TEST

int main(void)
{
  Suite *s = suite_create("synnefo_examples");
  TCase *tc = tcase_create("examples");
  SRunner *sr;
  int failed;

  signal(SIGPIPE, SIG_IGN);
  tcase_set_timeout(tc, RUN_LIMIT_S * 2);
  tcase_add_unchecked_fixture(tc, sim_up, sim_down);
  tcase_add_test(tc, test_batch_servers);
  tcase_add_test(tc, test_private_network);
  tcase_add_test(tc, test_restore_and_register);
  tcase_add_test(tc, test_snapshot_backup);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_demo_scenario);
  suite_add_tcase(s, tc);
  sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
