/*
 * Tests of the `callmux` command-line tool.
 *
 * The pure helpers (argument checks, batch line parsing, redaction) are
 * linked in and tested directly.  Everything else runs the built tool as a
 * subprocess against a simulator that runs in this process on 127.0.0.1,
 * on an event_base pumped while the child runs.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <check.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include <callmux/callmux.h>

#include "../src/cli.h"
#include "sim/sim.h"

#ifndef CMX_CLI_BIN
#define CMX_CLI_BIN "src/callmux"
#endif

/* ------------------------------------------------------------------ */
/* Environment: temp dir, in-process simulator                          */

typedef struct env {
  char dir[64];
  struct event_base *base;
  sim *sim;
  sim_service *svc;
  const char *url;
  /* /cli/conc: concurrency seen by the server */
  int cur, max_seen, hits;
  unsigned hold_ms;
  /* /proc/PID/cmdline of the tool, read while it waits for /cli/conc */
  int cmdline_read, cmdline_has_secret;
} env;

typedef struct held {
  sim_req *r;
  env *e;
  struct event *ev;
} held;

static void conc_release(evutil_socket_t fd, short what, void *arg)
{
  held *h = arg;
  (void)fd;
  (void)what;
  h->e->cur--;
  sim_reply_text(h->r, 200, "{\"held\":true}");
  event_free(h->ev);
  free(h);
}

/* GET /cli/conc: hold the reply hold_ms, track calls in flight. */
static void conc_handler(sim_req *r, void *arg)
{
  env *e = arg;
  struct timeval tv = {0, (suseconds_t)e->hold_ms * 1000};
  held *h = calloc(1, sizeof *h);

  ck_assert_ptr_nonnull(h);
  e->hits++;
  e->cur++;
  if (e->cur > e->max_seen) {
    e->max_seen = e->cur;
  }
  h->r = r;
  h->e = e;
  h->ev = evtimer_new(e->base, conc_release, h);
  ck_assert_ptr_nonnull(h->ev);
  sim_req_defer(r);
  evtimer_add(h->ev, &tv);
}

static void env_up(env *e, int with_sim)
{
  memset(e, 0, sizeof *e);
  strcpy(e->dir, "/tmp/cmxcli.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(e->dir));
  if (!with_sim) {
    return;
  }
  e->base = event_base_new();
  ck_assert_ptr_nonnull(e->base);
  e->sim = sim_new(e->base);
  ck_assert_ptr_nonnull(e->sim);
  e->svc = sim_service_add(e->sim, "generic", 0, 0);
  ck_assert_ptr_nonnull(e->svc);
  ck_assert_int_eq(sim_generic_attach(e->svc), 0);
  ck_assert_int_eq(sim_route(e->svc, "GET", "/cli/conc", conc_handler, e), 0);
  e->url = sim_service_url(e->svc);
  e->hold_ms = 20;
}

static void env_down(env *e)
{
  DIR *d = opendir(e->dir);
  struct dirent *de;
  if (d) {
    while ((de = readdir(d)) != NULL) {
      char p[512];
      if (de->d_name[0] == '.') {
        continue;
      }
      snprintf(p, sizeof p, "%s/%s", e->dir, de->d_name);
      unlink(p);
    }
    closedir(d);
  }
  rmdir(e->dir);
  if (e->sim) {
    sim_free(e->sim);
  }
  if (e->base) {
    event_base_free(e->base);
  }
}

static const char *path_in(env *e, const char *name, char *buf, size_t n)
{
  snprintf(buf, n, "%s/%s", e->dir, name);
  return buf;
}

static const char *url_of(env *e, const char *path, char *buf, size_t n)
{
  snprintf(buf, n, "%s%s", e->url, path);
  return buf;
}

static void write_file(const char *path, const void *data, size_t len)
{
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(data, 1, len, f), len);
  ck_assert_int_eq(fclose(f), 0);
}

static char *read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *buf;
  long n;
  ck_assert_ptr_nonnull(f);
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc((size_t)n + 1);
  ck_assert_ptr_nonnull(buf);
  ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose(f);
  if (len) {
    *len = (size_t)n;
  }
  return buf;
}

/* ------------------------------------------------------------------ */
/* Running the tool                                                     */

typedef struct run {
  int code; /* exit status, or 128 + signal */
  char *out, *err;
  size_t out_len, err_len;
  long maxrss_kb;
  /* called every few ms while the child runs */
  void (*tick)(pid_t pid, void *arg);
  void *tick_arg;
  /* internal */
  pid_t pid;
  int exited;
  uint64_t started;
} run;

static void run_free(run *r)
{
  free(r->out);
  free(r->err);
  memset(r, 0, sizeof *r);
}

static void reap(run *r, int flags)
{
  int status = 0;
  struct rusage ru;
  pid_t p = wait4(r->pid, &status, flags, &ru);
  if (p == r->pid) {
    r->exited = 1;
    r->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r->maxrss_kb = ru.ru_maxrss;
  }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
  run *r = arg;
  (void)fd;
  (void)what;
  reap(r, WNOHANG);
  if (!r->exited && r->tick) {
    r->tick(r->pid, r->tick_arg);
  }
  if (!r->exited && cli_now_ms() - r->started > 60000) {
    kill(r->pid, SIGKILL); /* never hang the suite */
  }
}

/*
 * Run `callmux ARGS...` (NULL-terminated) with stdin from `in` (NULL:
 * /dev/null), pumping e->base (if any) until it exits.  With sh != 0 the
 * single argument is a shell command line instead ($CLI is the tool).
 */
static void run_argv(env *e, run *r, const char *in, int sh,
                     const char *const *args)
{
  char out_path[256], err_path[256];
  const char *argv[64];
  size_t n = 0;

  path_in(e, "stdout", out_path, sizeof out_path);
  path_in(e, "stderr", err_path, sizeof err_path);
  if (sh) {
    argv[n++] = "/bin/sh";
    argv[n++] = "-c";
    argv[n++] = args[0];
  } else {
    argv[n++] = CMX_CLI_BIN;
    while (*args && n < 63) {
      argv[n++] = *args++;
    }
  }
  argv[n] = NULL;

  fflush(NULL);
  r->started = cli_now_ms();
  r->pid = fork();
  ck_assert_int_ge(r->pid, 0);
  if (r->pid == 0) {
    int fi = open(in ? in : "/dev/null", O_RDONLY);
    int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fi < 0 || fo < 0 || fe < 0) {
      _exit(99);
    }
    dup2(fi, 0);
    dup2(fo, 1);
    dup2(fe, 2);
    setenv("CLI", CMX_CLI_BIN, 1);
    execv(argv[0], (char *const *)argv);
    _exit(98);
  }
  if (e->base) {
    struct timeval tv = {0, 5000};
    struct event *t = event_new(e->base, -1, EV_PERSIST, on_tick, r);
    ck_assert_ptr_nonnull(t);
    event_add(t, &tv);
    while (!r->exited) {
      event_base_loop(e->base, EVLOOP_ONCE);
    }
    event_free(t);
  } else {
    reap(r, 0);
  }
  r->out = read_file(out_path, &r->out_len);
  r->err = read_file(err_path, &r->err_len);
}

static void run_cli(env *e, run *r, const char *in, ...)
{
  const char *args[64];
  size_t n = 0;
  va_list ap;
  va_start(ap, in);
  while (n < 63 && (args[n] = va_arg(ap, const char *)) != NULL) {
    n++;
  }
  va_end(ap);
  args[n] = NULL;
  run_argv(e, r, in, 0, args);
}

#define RUN(e, r, ...) run_cli((e), (r), NULL, __VA_ARGS__, (char *)NULL)

#define ck_assert_exit(r, want)                                               \
  ck_assert_msg((r)->code == (want),                                          \
                "exit %d, wanted %d\nstdout: %.2000s\nstderr: %.2000s",       \
                (r)->code, (want), (r)->out, (r)->err)

static int has(const char *hay, const char *needle)
{
  return strstr(hay, needle) != NULL;
}

#define ck_assert_has(hay, needle)                                            \
  ck_assert_msg(has((hay), (needle)), "'%s' not found in: %.3000s", (needle), \
                (hay))

/* A TCP port on 127.0.0.1 that nothing listens on. */
static unsigned closed_port(void)
{
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  unsigned port;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
  port = ntohs(sa.sin_port);
  close(fd);
  return port;
}

/* ------------------------------------------------------------------ */
/* Pure helpers                                                         */

START_TEST(t_line_parse)
{
  char buf[256];
  char err[256];
  cli_line ln;

#define PARSE(s)                                                              \
  (strcpy(buf, (s)), cli_line_parse(buf, strlen(buf), &ln, err, sizeof err))
  ck_assert_int_eq(PARSE(""), 0);
  ck_assert_int_eq(PARSE("   \t \r"), 0);
  ck_assert_int_eq(PARSE("# GET http://x/"), 0);
  ck_assert_int_eq(PARSE("  # indented comment"), 0);

  ck_assert_int_eq(PARSE("GET http://h:1/a?b=c"), 1);
  ck_assert_str_eq(ln.method, "GET");
  ck_assert_str_eq(ln.url, "http://h:1/a?b=c");
  ck_assert_int_eq(ln.kind, CLI_BODY_NONE);

  ck_assert_int_eq(PARSE("POST\thttps://h/x   {\"a\": [1, 2]}  \r"), 1);
  ck_assert_str_eq(ln.method, "POST");
  ck_assert_str_eq(ln.url, "https://h/x");
  ck_assert_int_eq(ln.kind, CLI_BODY_JSON);
  ck_assert_uint_eq(ln.body_len, 13);
  ck_assert_int_eq(memcmp(ln.body, "{\"a\": [1, 2]}", 13), 0);

  ck_assert_int_eq(PARSE("PUT http://h/x hello  world"), 1);
  ck_assert_int_eq(ln.kind, CLI_BODY_TEXT);
  ck_assert_uint_eq(ln.body_len, 12);
  ck_assert_int_eq(memcmp(ln.body, "hello  world", 12), 0);

  ck_assert_int_eq(PARSE("PUT http://h/x @/tmp/some file"), 1);
  ck_assert_int_eq(ln.kind, CLI_BODY_FILE);
  ck_assert_int_eq(memcmp(ln.body, "/tmp/some file", ln.body_len), 0);

  ck_assert_int_eq(PARSE("get http://h/"), -1);
  ck_assert_has(err, "upper-case");
  ck_assert_int_eq(PARSE("GET"), -1);
  ck_assert_has(err, "missing URL");
  ck_assert_int_eq(PARSE("GET ftp://h/"), -1);
  ck_assert_has(err, "http://");
  ck_assert_int_eq(PARSE("GET http:///path"), -1);
  ck_assert_int_eq(PARSE("POST http://h/ {\"a\":"), -1);
  ck_assert_has(err, "not valid JSON");
  ck_assert_int_eq(PARSE("POST http://h/ {\"a\":1} tail"), -1);
  ck_assert_has(err, "extra text");
  ck_assert_int_eq(PARSE("POST http://h/ @"), -1);
  ck_assert_has(err, "file path");
  ck_assert_int_eq(PARSE("VERYLONGMETHODNAME http://h/"), -1);
#undef PARSE
}
END_TEST

/* The pure helpers print their messages: keep them out of the log. */
static int saved_stderr = -1;

static void quiet_stderr(int on)
{
  if (on) {
    int fd = open("/dev/null", O_WRONLY);
    fflush(stderr);
    saved_stderr = dup(2);
    dup2(fd, 2);
    close(fd);
  } else if (saved_stderr >= 0) {
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    saved_stderr = -1;
  }
}

START_TEST(t_args)
{
  uint64_t v = 7;
  double d = 0;
  cli_headers h = {0};
  char *buf = NULL;
  size_t len = 0;
  FILE *f;

  quiet_stderr(1);
  ck_assert_int_eq(cli_parse_u64("t", "--n", "42", 1, 100, "x", &v), 0);
  ck_assert_uint_eq(v, 42);
  ck_assert_int_eq(cli_parse_u64("t", "--n", "0", 1, 100, "x", &v), -1);
  ck_assert_int_eq(cli_parse_u64("t", "--n", "101", 1, 100, "x", &v), -1);
  ck_assert_int_eq(cli_parse_u64("t", "--n", "-1", 0, 100, "x", &v), -1);
  ck_assert_int_eq(cli_parse_u64("t", "--n", "5x", 0, 100, "x", &v), -1);
  ck_assert_int_eq(cli_parse_u64("t", "--n", "", 0, 100, "x", &v), -1);
  ck_assert_int_eq(
      cli_parse_u64("t", "--n", "99999999999999999999999", 0, 100, "x", &v),
      -1);
  ck_assert_uint_eq(v, 42);
  ck_assert_int_eq(cli_parse_rate("t", "-r", "12.5", 1e6, &d), 0);
  ck_assert(d == 12.5);
  ck_assert_int_eq(cli_parse_rate("t", "-r", "0", 1e6, &d), -1);
  ck_assert_int_eq(cli_parse_rate("t", "-r", "nan", 1e6, &d), -1);
  ck_assert_int_eq(cli_parse_rate("t", "-r", "inf", 1e6, &d), -1);
  ck_assert_int_eq(cli_parse_rate("t", "-r", "-3", 1e6, &d), -1);

  ck_assert_int_eq(cli_headers_add(&h, "t", "-H", "X-A:  one two", 0), 0);
  ck_assert_str_eq(h.v[0].name, "X-A");
  ck_assert_str_eq(h.v[0].value, "one two");
  ck_assert_int_eq(cli_headers_add(&h, "t", "-H", "X-Empty:", 0), 0);
  ck_assert_str_eq(h.v[1].value, "");
  ck_assert_int_eq(cli_headers_add(&h, "t", "-H", "Bad Name: v", 0), -1);
  ck_assert_int_eq(cli_headers_add(&h, "t", "-H", ": v", 0), -1);
  ck_assert_int_eq(cli_headers_add(&h, "t", "-H", "novalue", 0), -1);
  ck_assert_int_eq(cli_headers_add(&h, "t", "-H", "X: a\r\nY: b", 0), -1);
  ck_assert_int_eq(cli_headers_add(&h, "t", "-s", "X-Key:", 1), -1);
  ck_assert_int_eq(cli_headers_add(&h, "t", "-s", "X-Key: tok123", 1), 0);
  ck_assert(cli_headers_has(&h, "x-key"));
  ck_assert(!cli_headers_has(&h, "Content-Type"));
  setenv("CMX_CLI_TEST_TOKEN", "envtok", 1);
  ck_assert_int_eq(
      cli_headers_add_env(&h, "t", "-e", "Authorization: CMX_CLI_TEST_TOKEN"),
      0);
  ck_assert_str_eq(h.v[3].value, "envtok");
  ck_assert_int_eq(h.v[3].secret, 1);
  ck_assert_int_eq(
      cli_headers_add_env(&h, "t", "-e", "Authorization: CMX_CLI_UNSET_VAR"),
      -1);

  /* redaction of every secret value, wherever it appears */
  f = open_memstream(&buf, &len);
  ck_assert_ptr_nonnull(f);
  cli_redact_printf(f, &h, "a tok123 b envtok c tok12 %s", "tok123tok123");
  fclose(f);
  ck_assert_str_eq(buf, "a *** b *** c tok12 ******");
  free(buf);

  {
    char arg[] = "X-Key: tok123";
    cli_scrub_arg(arg);
    ck_assert_str_eq(arg, "X-Key: ******");
  }
  ck_assert(cli_method_ok("PATCH"));
  ck_assert(!cli_method_ok("Get"));
  ck_assert(!cli_method_ok(""));
  ck_assert(cli_url_ok("http://127.0.0.1:80/x"));
  ck_assert(!cli_url_ok("http://h/a b"));
  ck_assert(!cli_url_ok("file:///etc/passwd"));
  ck_assert(cli_lane_ok("kentik-key-1"));
  ck_assert(!cli_lane_ok("a b"));
  ck_assert(!cli_lane_ok(""));
  ck_assert_int_eq(cli_exit_for_code(CMX_OK), 0);
  ck_assert_int_eq(cli_exit_for_code(CMX_EHTTP), 1);
  ck_assert_int_eq(cli_exit_for_code(CMX_ETIMEDOUT), 3);
  ck_assert_int_eq(cli_exit_for_code(CMX_EBADJSON), 4);
  ck_assert_int_eq(cli_exit_for_code(CMX_EIO), 5);
  cli_headers_free(&h);
  quiet_stderr(0);
}
END_TEST

START_TEST(t_json_str)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  struct json_object *o;
  static const char in[] = "q\"b\\n\n\t\x01\x7f\xc3\xa9";

  ck_assert_ptr_nonnull(f);
  cli_json_str(f, in, sizeof in - 1);
  fclose(f);
  o = json_tokener_parse(buf);
  ck_assert_ptr_nonnull(o);
  ck_assert_str_eq(json_object_get_string(o), in);
  json_object_put(o);
  free(buf);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The tool without a server                                            */

START_TEST(t_version_help)
{
  env e;
  run r = {0};
  env_up(&e, 0);

  RUN(&e, &r, "version");
  ck_assert_exit(&r, 0);
  ck_assert_has(r.out, "callmux " CMX_VERSION);
  ck_assert_has(r.out, "libcurl");
  run_free(&r);

  RUN(&e, &r, "help");
  ck_assert_exit(&r, 0);
  ck_assert_has(r.out, "Exit codes");
  run_free(&r);

  RUN(&e, &r, "request", "--help");
  ck_assert_exit(&r, 0);
  ck_assert_has(r.out, "--secret-header");
  run_free(&r);

  RUN(&e, &r, "help", "batch");
  ck_assert_exit(&r, 0);
  ck_assert_has(r.out, "--concurrency");
  run_free(&r);

  RUN(&e, &r, "frobnicate");
  ck_assert_exit(&r, 2);
  ck_assert_has(r.err, "unknown command 'frobnicate'");
  run_free(&r);
  env_down(&e);
}
END_TEST

static const struct usage_case {
  const char *args[8];
  int code;
  const char *msg;
} usage_cases[] = {
    {{"request", NULL}, 2, "missing URL"},
    {{"request", "--timeout", "abc", "http://127.0.0.1:9/", NULL},
     2,
     "--timeout: expected a whole number of milliseconds from 1"},
    {{"request", "--timeout", "0", "http://127.0.0.1:9/", NULL}, 2, "got '0'"},
    {{"request", "--deadline", "5s", "http://127.0.0.1:9/", NULL},
     2,
     "--deadline: expected"},
    {{"request", "--follow", "99", "http://127.0.0.1:9/", NULL},
     2,
     "--follow: expected a whole number of redirects from 0 to 20"},
    {{"request", "-X", "get", "http://127.0.0.1:9/", NULL},
     2,
     "-X: the method must be an upper-case token"},
    {{"request", "ftp://127.0.0.1/", NULL}, 2, "URL: must be absolute"},
    {{"request", "http://a/", "http://b/", NULL}, 2, "expected one URL"},
    {{"request", "-H", "Bad Name: v", "http://127.0.0.1:9/", NULL},
     2,
     "-H: the header name must be a token"},
    {{"request", "-H", "novalue", "http://127.0.0.1:9/", NULL},
     2,
     "-H: expected 'Name: value'"},
    {{"request", "-d", "x", "--data-file", "/etc/hostname",
      "http://127.0.0.1:9/", NULL},
     2,
     "give one body"},
    {{"request", "--json", "-d", "not json", "http://127.0.0.1:9/", NULL},
     2,
     "-d: with --json the body must be valid JSON"},
    {{"request", "--bogus", "http://127.0.0.1:9/", NULL},
     2,
     "unknown option '--bogus'"},
    {{"request", "http://127.0.0.1:9/", "--timeout", NULL},
     2,
     "option '--timeout' needs a value"},
    {{"request", "--data-file", "/nonexistent/x", "http://127.0.0.1:9/", NULL},
     2,
     "--data-file: cannot open '/nonexistent/x'"},
    {{"request", "--ca-file", "/nonexistent/ca.pem", "http://127.0.0.1:9/",
      NULL},
     2,
     "--ca-file: cannot read"},
    {{"request", "--secret-header", "X-Key:", "http://127.0.0.1:9/", NULL},
     2,
     "--secret-header: the secret value is empty"},
    {{"batch", NULL}, 2, "missing input"},
    {{"batch", "-c", "0", "-", NULL},
     2,
     "-c: expected a whole number of calls from 1 to 100000, got '0'"},
    {{"batch", "-r", "-5", "-", NULL},
     2,
     "-r: expected a number of calls per second above 0"},
    {{"batch", "--burst", "5", "-", NULL}, 2, "--burst: needs a rate (-r)"},
    {{"batch", "--lane", "a b", "-", NULL}, 2, "--lane: the name must be"},
    {{"batch", "--retries", "50", "-", NULL},
     2,
     "--retries: expected a whole number of retries from 0 to 20"},
    {{"batch", "--max-body", "10", "-", NULL},
     2,
     "--max-body: only applies with --body"},
    {{"batch", "/nonexistent/input.txt", NULL},
     5,
     "cannot open input '/nonexistent/input.txt'"},
};

START_TEST(t_usage_errors)
{
  env e;
  run r = {0};
  const struct usage_case *c = &usage_cases[_i];

  env_up(&e, 0);
  run_argv(&e, &r, NULL, 0, c->args);
  ck_assert_exit(&r, c->code);
  ck_assert_has(r.err, c->msg);
  ck_assert_uint_eq(r.out_len, 0);
  run_free(&r);
  env_down(&e);
}
END_TEST

START_TEST(t_usage_secret_not_echoed)
{
  env e;
  run r = {0};
  env_up(&e, 0);
  /* a bad flag after a secret: the message must not carry the secret */
  RUN(&e, &r, "request", "--secret-header", "X-Key: Hunter2-Secret-Value",
      "-H", "Bad Header: Hunter2-Secret-Value", "http://127.0.0.1:9/");
  ck_assert_exit(&r, 2);
  ck_assert(!has(r.err, "Hunter2"));
  run_free(&r);
  RUN(&e, &r, "request", "--secret-header", "X Key: Hunter2-Secret-Value",
      "http://127.0.0.1:9/");
  ck_assert_exit(&r, 2);
  ck_assert_has(r.err, "--secret-header: the header name must be a token");
  ck_assert(!has(r.err, "Hunter2"));
  run_free(&r);
  env_down(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* request against the simulator                                        */

START_TEST(t_request_get)
{
  env e;
  run r = {0};
  char u[256];
  struct json_object *o, *v;

  env_up(&e, 1);
  RUN(&e, &r, "request", url_of(&e, "/json", u, sizeof u));
  ck_assert_exit(&r, 0);
  ck_assert_has(r.out, "\"ok\"");
  ck_assert_has(r.err, "HTTP 200, 1 attempt");
  run_free(&r);

  /* -q: nothing on stderr; --json: pretty-printed, valid JSON */
  RUN(&e, &r, "request", "-q", "--json", url_of(&e, "/json", u, sizeof u));
  ck_assert_exit(&r, 0);
  ck_assert_uint_eq(r.err_len, 0);
  ck_assert_has(r.out, "\n");
  o = json_tokener_parse(r.out);
  ck_assert_ptr_nonnull(o);
  ck_assert(json_object_object_get_ex(o, "ok", &v));
  ck_assert(json_object_get_boolean(v));
  json_object_put(o);
  run_free(&r);
  env_down(&e);
}
END_TEST

static const char *echo_header(struct json_object *echo, const char *name)
{
  struct json_object *hdrs;
  if (!json_object_object_get_ex(echo, "headers", &hdrs)) {
    return NULL;
  }
  json_object_object_foreach(hdrs, k, val)
  {
    if (strcasecmp(k, name) == 0) {
      return json_object_get_string(val);
    }
  }
  return NULL;
}

START_TEST(t_request_post_echo)
{
  env e;
  run r = {0};
  char u[256];
  struct json_object *o, *v;
  const char *ct;

  env_up(&e, 1);
  RUN(&e, &r, "request", "-d", "{\"a\":1}", "-H", "X-Trace: t-1",
      url_of(&e, "/echo?q=1", u, sizeof u));
  ck_assert_exit(&r, 0);
  o = json_tokener_parse(r.out);
  ck_assert_msg(o != NULL, "not JSON: %s", r.out);
  ck_assert(json_object_object_get_ex(o, "method", &v));
  ck_assert_str_eq(json_object_get_string(v), "POST");
  ck_assert(json_object_object_get_ex(o, "body", &v));
  ck_assert_str_eq(json_object_get_string(v), "{\"a\":1}");
  ck_assert_str_eq(echo_header(o, "X-Trace"), "t-1");
  ct = echo_header(o, "Content-Type");
  ck_assert_ptr_nonnull(ct);
  ck_assert_str_eq(ct, "application/json");
  ck_assert_has(echo_header(o, "User-Agent"), "callmux/");
  json_object_put(o);
  run_free(&r);

  /* -X with a text body */
  RUN(&e, &r, "request", "-X", "PATCH", "-d", "plain words",
      url_of(&e, "/echo", u, sizeof u));
  ck_assert_exit(&r, 0);
  o = json_tokener_parse(r.out);
  ck_assert_ptr_nonnull(o);
  ck_assert(json_object_object_get_ex(o, "method", &v));
  ck_assert_str_eq(json_object_get_string(v), "PATCH");
  ck_assert_has(echo_header(o, "Content-Type"), "text/plain");
  json_object_put(o);
  run_free(&r);
  env_down(&e);
}
END_TEST

START_TEST(t_request_errors)
{
  env e;
  run r = {0};
  char u[256];

  env_up(&e, 1);
  RUN(&e, &r, "request", url_of(&e, "/status/404", u, sizeof u));
  ck_assert_exit(&r, 1);
  ck_assert_has(r.err, "EHTTP");
  ck_assert_has(r.err, "HTTP 404");
  ck_assert_uint_eq(r.out_len, 0);
  run_free(&r);

  snprintf(u, sizeof u, "http://127.0.0.1:%u/x", closed_port());
  RUN(&e, &r, "request", "--retries", "0", u);
  ck_assert_exit(&r, 3);
  ck_assert_has(r.err, "ECONNREFUSED");
  ck_assert_has(r.err, "1 attempt");
  run_free(&r);

  /* the deadline covers the whole call */
  RUN(&e, &r, "request", "--deadline", "300",
      url_of(&e, "/slow/5000", u, sizeof u));
  ck_assert_exit(&r, 3);
  ck_assert_has(r.err, "ETIMEDOUT");
  run_free(&r);

  /* --json on a body that is not JSON */
  RUN(&e, &r, "request", "--json", url_of(&e, "/bytes/16", u, sizeof u));
  ck_assert_exit(&r, 4);
  ck_assert_has(r.err, "EBADJSON");
  run_free(&r);
  env_down(&e);
}
END_TEST

START_TEST(t_request_files)
{
  env e;
  run r = {0};
  char u[256], out[256], in[256], hex[65];
  unsigned char md[32];
  unsigned mdlen = 0;
  size_t len, i;
  char *data;
  struct json_object *o, *v;
  struct stat sb;

  env_up(&e, 1);
  /* --out streams a 2xx body into the file */
  path_in(&e, "download.bin", out, sizeof out);
  RUN(&e, &r, "request", "--out", out,
      url_of(&e, "/bytes/200000", u, sizeof u));
  ck_assert_exit(&r, 0);
  ck_assert_uint_eq(r.out_len, 0);
  ck_assert_has(r.err, "200000 bytes written");
  data = read_file(out, &len);
  ck_assert_uint_eq(len, 200000);
  for (i = 0; i < len; i++) {
    ck_assert_uint_eq((unsigned char)data[i], i % 251);
  }
  free(data);
  run_free(&r);

  /* a failed call leaves no file it created */
  path_in(&e, "never.bin", out, sizeof out);
  RUN(&e, &r, "request", "--out", out, url_of(&e, "/status/500", u, sizeof u));
  ck_assert_exit(&r, 1);
  ck_assert_int_ne(stat(out, &sb), 0);
  run_free(&r);

  /* --data-file streams the body from the file */
  path_in(&e, "upload.bin", in, sizeof in);
  len = 300001;
  data = malloc(len);
  ck_assert_ptr_nonnull(data);
  for (i = 0; i < len; i++) {
    data[i] = (char)(i * 7 + 3);
  }
  write_file(in, data, len);
  ck_assert_int_eq(EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL), 1);
  for (i = 0; i < 32; i++) {
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
  }
  free(data);
  RUN(&e, &r, "request", "-X", "PUT", "--data-file", in,
      url_of(&e, "/sink", u, sizeof u));
  ck_assert_exit(&r, 0);
  o = json_tokener_parse(r.out);
  ck_assert_msg(o != NULL, "not JSON: %s", r.out);
  ck_assert(json_object_object_get_ex(o, "bytes", &v));
  ck_assert_int_eq(json_object_get_int64(v), 300001);
  ck_assert(json_object_object_get_ex(o, "sha256", &v));
  ck_assert_str_eq(json_object_get_string(v), hex);
  json_object_put(o);
  run_free(&r);

  /* --data-file -: a regular file on stdin is streamed ... */
  run_cli(&e, &r, in, "request", "-q", "--data-file", "-",
          url_of(&e, "/sink", u, sizeof u), (char *)NULL);
  ck_assert_exit(&r, 0);
  ck_assert_has(r.out, hex);
  run_free(&r);
  /* ... and a pipe is read whole, then sent */
  {
    char cmd[600];
    const char *args[2] = {cmd, NULL};
    snprintf(cmd, sizeof cmd,
             "cat '%s' | \"$CLI\" request -q --data-file - '%s'", in,
             url_of(&e, "/sink", u, sizeof u));
    run_argv(&e, &r, NULL, 1, args);
    ck_assert_exit(&r, 0);
    ck_assert_has(r.out, hex);
    ck_assert_has(r.out, "\"bytes\":300001");
    run_free(&r);
  }
  env_down(&e);
}
END_TEST

#define SECRET "S3cr3t-Token-Value-42"

START_TEST(t_request_secret_never_printed)
{
  env e;
  run r = {0};
  char u[256];
  struct json_object *o;

  env_up(&e, 1);
  /* sent (the echo service returns it in the body) but never on stderr,
   * even with -v */
  RUN(&e, &r, "request", "-v", "--secret-header", "X-Api-Key: " SECRET,
      url_of(&e, "/echo", u, sizeof u));
  ck_assert_exit(&r, 0);
  o = json_tokener_parse(r.out);
  ck_assert_ptr_nonnull(o);
  ck_assert_str_eq(echo_header(o, "X-Api-Key"), SECRET);
  json_object_put(o);
  ck_assert_has(r.err, "> X-Api-Key: <secret, not shown>");
  ck_assert_has(r.err, "< HTTP 200");
  ck_assert(!has(r.err, SECRET));
  ck_assert(!has(r.err, "S3cr3t"));
  run_free(&r);

  /* failures with retries and -v: the secret is in none of the output */
  RUN(&e, &r, "request", "-v", "--retries", "1", "--secret-header",
      "Authorization: Bearer " SECRET, url_of(&e, "/status/503", u, sizeof u));
  ck_assert_exit(&r, 1);
  ck_assert_has(r.err, "503");
  ck_assert(!has(r.err, SECRET));
  ck_assert(!has(r.out, SECRET));
  run_free(&r);

  /* from the environment: never on the command line at all */
  setenv("CMX_CLI_TEST_SECRET", SECRET, 1);
  RUN(&e, &r, "request", "-v", "--secret-header-env",
      "X-Api-Key: CMX_CLI_TEST_SECRET", url_of(&e, "/echo", u, sizeof u));
  unsetenv("CMX_CLI_TEST_SECRET");
  ck_assert_exit(&r, 0);
  o = json_tokener_parse(r.out);
  ck_assert_ptr_nonnull(o);
  ck_assert_str_eq(echo_header(o, "X-Api-Key"), SECRET);
  json_object_put(o);
  ck_assert(!has(r.err, SECRET));
  run_free(&r);
  env_down(&e);
}
END_TEST

START_TEST(t_tls_ca_file)
{
  env e;
  run r = {0};
  sim_service *tsvc;
  char u[256], in[256], text[1024];
  const char *ca;

  env_up(&e, 1);
  ck_assert_int_eq(sim_tls_init(e.sim, e.dir), 0);
  tsvc = sim_service_add(e.sim, "generic-tls", 0, 1);
  ck_assert_ptr_nonnull(tsvc);
  ck_assert_int_eq(sim_generic_attach(tsvc), 0);
  ca = sim_tls_ca_file(e.sim);
  ck_assert_ptr_nonnull(ca);
  snprintf(u, sizeof u, "%s/json", sim_service_url(tsvc));
  ck_assert_int_eq(strncmp(u, "https://", 8), 0);

  /* verification is on: a private CA is refused unless trusted */
  RUN(&e, &r, "request", "--retries", "0", u);
  ck_assert_exit(&r, 3);
  ck_assert_has(r.err, "ETLS");
  run_free(&r);
  RUN(&e, &r, "request", "--ca-file", ca, u);
  ck_assert_exit(&r, 0);
  ck_assert_has(r.out, "\"ok\"");
  run_free(&r);

  snprintf(text, sizeof text, "GET %s\nGET %s\n", u, u);
  path_in(&e, "input.txt", in, sizeof in);
  write_file(in, text, strlen(text));
  RUN(&e, &r, "batch", "-q", "--ca-file", ca, in);
  ck_assert_exit(&r, 0);
  ck_assert_has(r.out, "\"ok\":2");
  run_free(&r);
  env_down(&e);
}
END_TEST

static void read_cmdline(pid_t pid, void *arg)
{
  env *e = arg;
  char path[64], buf[4096];
  ssize_t n, i;
  int fd;

  if (e->hits < 1 || e->cmdline_read) {
    return;
  }
  snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
  fd = open(path, O_RDONLY);
  if (fd < 0) {
    return;
  }
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) {
    return;
  }
  for (i = 0; i < n; i++) {
    if (buf[i] == '\0') {
      buf[i] = ' ';
    }
  }
  buf[n] = '\0';
  e->cmdline_read = has(buf, "--secret-header");
  e->cmdline_has_secret = has(buf, SECRET);
}

START_TEST(t_request_secret_scrubbed_from_argv)
{
  env e;
  run r = {0};
  char u[256];

  env_up(&e, 1);
  e.hold_ms = 500;
  r.tick = read_cmdline;
  r.tick_arg = &e;
  RUN(&e, &r, "request", "-q", "--secret-header", "X-Api-Key: " SECRET,
      url_of(&e, "/cli/conc", u, sizeof u));
  ck_assert_exit(&r, 0);
  ck_assert_msg(e.cmdline_read, "the tool's command line was not read");
  ck_assert_msg(!e.cmdline_has_secret, "the secret stayed in the argv");
  run_free(&r);
  env_down(&e);
}
END_TEST

/* ------------------------------------------------------------------ */
/* batch                                                                */

/* Parse the tool's stdout: result lines by index, the summary, stats. */
typedef struct bout {
  struct json_object *lines[256];
  size_t nlines;
  struct json_object *summary; /* the inner object */
  struct json_object *stats;
  struct json_object *all[300];
  size_t nall;
} bout;

static void bout_parse(bout *b, char *out)
{
  char *save = NULL, *l;
  memset(b, 0, sizeof b[0]);
  for (l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    struct json_object *o = json_tokener_parse(l);
    struct json_object *v;
    ck_assert_msg(o != NULL, "output line is not JSON: %s", l);
    ck_assert(b->nall < 300);
    b->all[b->nall++] = o;
    if (json_object_object_get_ex(o, "summary", &v)) {
      ck_assert_ptr_null(b->summary);
      b->summary = v;
    } else if (json_object_object_get_ex(o, "stats", &v)) {
      b->stats = v;
    } else {
      ck_assert_ptr_null(b->summary); /* results come before the summary */
      ck_assert(b->nlines < 256);
      b->lines[b->nlines++] = o;
    }
  }
}

static void bout_free(bout *b)
{
  size_t i;
  for (i = 0; i < b->nall; i++) {
    json_object_put(b->all[i]);
  }
}

static int64_t jint(struct json_object *o, const char *k)
{
  struct json_object *v;
  ck_assert_msg(json_object_object_get_ex(o, k, &v), "no '%s' in %s", k,
                json_object_to_json_string(o));
  return json_object_get_int64(v);
}

static const char *jstr(struct json_object *o, const char *k)
{
  struct json_object *v;
  ck_assert_msg(json_object_object_get_ex(o, k, &v), "no '%s' in %s", k,
                json_object_to_json_string(o));
  return json_object_get_string(v);
}

static struct json_object *by_line(bout *b, int64_t line)
{
  size_t i;
  for (i = 0; i < b->nlines; i++) {
    if (jint(b->lines[i], "line") == line) {
      return b->lines[i];
    }
  }
  ck_abort_msg("no result for input line %lld", (long long)line);
  return NULL;
}

START_TEST(t_batch_mixed)
{
  env e;
  run r = {0};
  bout b;
  char in[256], body[256], text[4096];
  char *data;
  size_t i;
  struct json_object *o, *errs, *bd;
  int seen[8] = {0};

  env_up(&e, 1);
  path_in(&e, "body.bin", body, sizeof body);
  data = malloc(100000);
  ck_assert_ptr_nonnull(data);
  memset(data, 'z', 100000);
  write_file(body, data, 100000);
  free(data);
  snprintf(text, sizeof text,
           "# a comment\n"                /* 1 */
           "GET %s/json\n"                /* 2: idx 0 */
           "POST %s/echo {\"k\": 1}\n"    /* 3: idx 1 */
           "POST %s/echo hello world\r\n" /* 4: idx 2 */
           "PUT %s/sink @%s\n"            /* 5: idx 3 */
           "GET %s/status/404\n"          /* 6: idx 4 */
           "get %s/json\n"                /* 7: idx 5, bad */
           "POST %s/echo {bad json\n"     /* 8: idx 6, bad */
           "\n"                           /* 9 */
           "GET %s/json",                 /* 10: idx 7, no EOL */
           e.url, e.url, e.url, e.url, body, e.url, e.url, e.url, e.url);
  path_in(&e, "input.txt", in, sizeof in);
  write_file(in, text, strlen(text));

  RUN(&e, &r, "batch", "-c", "2", "--retries", "0", "--body", "--stats", in);
  ck_assert_exit(&r, 1);
  bout_parse(&b, r.out);
  ck_assert_uint_eq(b.nlines, 8);
  for (i = 0; i < b.nlines; i++) {
    int64_t idx = jint(b.lines[i], "index");
    ck_assert(idx >= 0 && idx < 8);
    ck_assert_int_eq(seen[idx], 0);
    seen[idx] = 1;
  }

  o = by_line(&b, 2);
  ck_assert_int_eq(jint(o, "index"), 0);
  ck_assert_int_eq(jint(o, "status"), 200);
  ck_assert_str_eq(jstr(o, "code"), "OK");
  ck_assert_int_eq(jint(o, "attempts"), 1);
  ck_assert(jint(o, "ms") >= 0);

  o = by_line(&b, 3);
  ck_assert(json_object_object_get_ex(o, "body", &bd));
  ck_assert_str_eq(jstr(bd, "body"), "{\"k\": 1}");
  ck_assert_str_eq(echo_header(bd, "Content-Type"), "application/json");

  o = by_line(&b, 4);
  ck_assert(json_object_object_get_ex(o, "body", &bd));
  ck_assert_str_eq(jstr(bd, "body"), "hello world");
  ck_assert_has(echo_header(bd, "Content-Type"), "text/plain");

  o = by_line(&b, 5);
  ck_assert_str_eq(jstr(o, "code"), "OK");
  ck_assert(json_object_object_get_ex(o, "body", &bd));
  ck_assert_int_eq(jint(bd, "bytes"), 100000);

  o = by_line(&b, 6);
  ck_assert_int_eq(jint(o, "status"), 404);
  ck_assert_str_eq(jstr(o, "code"), "EHTTP");
  ck_assert_ptr_nonnull(jstr(o, "error"));

  o = by_line(&b, 7);
  ck_assert_str_eq(jstr(o, "code"), "EINVAL");
  ck_assert_int_eq(jint(o, "attempts"), 0);
  ck_assert_has(jstr(o, "error"), "line 7: method 'get' must be an upper");
  o = by_line(&b, 8);
  ck_assert_str_eq(jstr(o, "code"), "EINVAL");
  ck_assert_has(jstr(o, "error"), "line 8: body starts with '{' but is not "
                                  "valid JSON");
  o = by_line(&b, 10);
  ck_assert_int_eq(jint(o, "index"), 7);
  ck_assert_str_eq(jstr(o, "code"), "OK");

  ck_assert_ptr_nonnull(b.summary);
  ck_assert_int_eq(jint(b.summary, "calls"), 6);
  ck_assert_int_eq(jint(b.summary, "ok"), 5);
  ck_assert_int_eq(jint(b.summary, "failed"), 1);
  ck_assert_int_eq(jint(b.summary, "input_errors"), 2);
  ck_assert(json_object_object_get_ex(b.summary, "errors", &errs));
  ck_assert_int_eq(jint(errs, "EHTTP"), 1);
  ck_assert_int_eq(jint(errs, "EINVAL"), 2);
  ck_assert(json_object_object_get_ex(b.summary, "statuses", &errs));
  ck_assert_int_eq(jint(errs, "200"), 5);
  ck_assert_int_eq(jint(errs, "404"), 1);
  ck_assert_ptr_nonnull(b.stats);
  ck_assert_has(json_object_to_json_string(b.stats), "batch");
  ck_assert_has(r.err, "6 calls, 5 ok, 1 failed, 2 bad input lines");
  bout_free(&b);
  run_free(&r);
  env_down(&e);
}
END_TEST

START_TEST(t_batch_retries_deadline)
{
  env e;
  run r = {0};
  bout b;
  char in[256], text[1024];
  sim_fault f;
  struct json_object *o;

  env_up(&e, 1);
  /* two 503s then success: --retries 3 gets through on the third attempt */
  memset(&f, 0, sizeof f);
  f.service = "generic";
  f.method = "GET";
  f.path = "/status/*";
  f.kind = SIM_FAULT_STATUS;
  f.status = 503;
  f.count = 2;
  ck_assert_int_eq(sim_fault_add(e.sim, &f), 0);
  snprintf(text, sizeof text, "GET %s/status/200\n", e.url);
  path_in(&e, "input.txt", in, sizeof in);
  write_file(in, text, strlen(text));
  RUN(&e, &r, "batch", "--retries", "3", in);
  ck_assert_exit(&r, 0);
  bout_parse(&b, r.out);
  ck_assert_uint_eq(b.nlines, 1);
  o = by_line(&b, 1);
  ck_assert_str_eq(jstr(o, "code"), "OK");
  ck_assert_int_eq(jint(o, "status"), 200);
  ck_assert_int_eq(jint(o, "attempts"), 3);
  bout_free(&b);
  run_free(&r);

  /* the deadline covers the call whatever the server does */
  snprintf(text, sizeof text, "GET %s/json\nGET %s/slow/5000\n", e.url, e.url);
  write_file(in, text, strlen(text));
  RUN(&e, &r, "batch", "--deadline", "300", in);
  ck_assert_exit(&r, 1);
  bout_parse(&b, r.out);
  ck_assert_uint_eq(b.nlines, 2);
  ck_assert_str_eq(jstr(by_line(&b, 1), "code"), "OK");
  o = by_line(&b, 2);
  ck_assert_str_eq(jstr(o, "code"), "ETIMEDOUT");
  ck_assert_int_eq(jint(o, "status"), 0);
  ck_assert_int_eq(jint(b.summary, "ok"), 1);
  ck_assert_int_eq(jint(b.summary, "failed"), 1);
  bout_free(&b);
  run_free(&r);

  /* --retries 0: the first 503 is final */
  sim_fault_clear(e.sim);
  ck_assert_int_eq(sim_fault_add(e.sim, &f), 0);
  snprintf(text, sizeof text, "GET %s/status/200\n", e.url);
  write_file(in, text, strlen(text));
  RUN(&e, &r, "batch", "--retries", "0", in);
  ck_assert_exit(&r, 1);
  bout_parse(&b, r.out);
  o = by_line(&b, 1);
  ck_assert_str_eq(jstr(o, "code"), "EHTTP");
  ck_assert_int_eq(jint(o, "status"), 503);
  ck_assert_int_eq(jint(o, "attempts"), 1);
  bout_free(&b);
  run_free(&r);
  env_down(&e);
}
END_TEST

START_TEST(t_request_redirect)
{
  env e;
  run r = {0};
  char u[512], target[256];

  env_up(&e, 1);
  snprintf(u, sizeof u, "%s/redirect?to=%s", e.url,
           url_of(&e, "/json", target, sizeof target));
  /* not followed unless asked: the 302 is the answer */
  RUN(&e, &r, "request", u);
  ck_assert_exit(&r, 0);
  ck_assert_has(r.err, "HTTP 302");
  run_free(&r);
  RUN(&e, &r, "request", "--follow", "2", u);
  ck_assert_exit(&r, 0);
  ck_assert_has(r.err, "HTTP 200");
  ck_assert_has(r.out, "\"ok\"");
  run_free(&r);
  env_down(&e);
}
END_TEST

static size_t make_lines(char *buf, size_t cap, env *e, const char *path,
                         unsigned n)
{
  size_t o = 0;
  unsigned i;
  for (i = 0; i < n; i++) {
    int w = snprintf(buf + o, cap - o, "GET %s%s\n", e->url, path);
    ck_assert(w > 0 && (size_t)w < cap - o);
    o += (size_t)w;
  }
  return o;
}

START_TEST(t_batch_secret_never_printed)
{
  env e;
  run r = {0};
  char in[256], text[1024];

  env_up(&e, 1);
  snprintf(text, sizeof text,
           "GET %s/status/503\nGET %s/echo\nbad line " SECRET "\n" SECRET
           " http://h/\nsecret " SECRET "\n",
           e.url, e.url);
  path_in(&e, "input.txt", in, sizeof in);
  write_file(in, text, strlen(text));
  RUN(&e, &r, "batch", "-v", "--retries", "1", "--secret-header",
      "Authorization: Bearer " SECRET, in);
  ck_assert_exit(&r, 1);
  ck_assert_has(r.out, "\"EHTTP\"");
  ck_assert(!has(r.out, SECRET));
  ck_assert(!has(r.err, SECRET));
  ck_assert_has(r.err, "* "); /* the engine's log was shown */
  run_free(&r);
  env_down(&e);
}
END_TEST

START_TEST(t_batch_concurrency_cap)
{
  env e;
  run r = {0};
  bout b;
  char in[256];
  static char text[16384];
  size_t n;

  env_up(&e, 1);
  e.hold_ms = 30;
  n = make_lines(text, sizeof text, &e, "/cli/conc", 40);
  path_in(&e, "input.txt", in, sizeof in);
  write_file(in, text, n);

  RUN(&e, &r, "batch", "-q", "-c", "3", "--lane", "conc-test", in);
  ck_assert_exit(&r, 0);
  ck_assert_uint_eq(r.err_len, 0);
  bout_parse(&b, r.out);
  ck_assert_uint_eq(b.nlines, 40);
  ck_assert_int_eq(jint(b.summary, "ok"), 40);
  ck_assert_int_eq(e.hits, 40);
  ck_assert_int_le(e.max_seen, 3); /* the lane's cap held */
  ck_assert_int_ge(e.max_seen, 1);
  bout_free(&b);
  run_free(&r);
  env_down(&e);
}
END_TEST

START_TEST(t_batch_stdin_pipe)
{
  env e;
  run r = {0};
  bout b;
  char in[256], cmd[600];
  static char text[131072];
  const char *args[2] = {cmd, NULL};
  size_t n;

  env_up(&e, 1);
  n = make_lines(text, sizeof text, &e, "/json", 200);
  path_in(&e, "input.txt", in, sizeof in);
  write_file(in, text, n);
  /* a pipe (not a regular file) on stdin: read as it becomes readable */
  snprintf(cmd, sizeof cmd, "cat '%s' | \"$CLI\" batch -c 8 -", in);
  run_argv(&e, &r, NULL, 1, args);
  ck_assert_exit(&r, 0);
  bout_parse(&b, r.out);
  ck_assert_uint_eq(b.nlines, 200);
  ck_assert_int_eq(jint(b.summary, "calls"), 200);
  ck_assert_int_eq(jint(b.summary, "ok"), 200);
  ck_assert_has(r.err, "200 calls, 200 ok, 0 failed");
  bout_free(&b);
  run_free(&r);

  /* results piped into `head -n 1`: once the pipe closes, the tool stops
   * sending, cancels what is left and exits 5 */
  e.hold_ms = 1;
  e.hits = 0;
  n = make_lines(text, sizeof text, &e, "/cli/conc", 1000);
  write_file(in, text, n);
  snprintf(cmd, sizeof cmd,
           "{ \"$CLI\" batch -c 2 --window 8 '%s'; echo \"exit=$?\" >&2; } "
           "| head -n 1",
           in);
  run_argv(&e, &r, NULL, 1, args);
  ck_assert_exit(&r, 0);
  ck_assert_has(r.err, "writing the results failed");
  ck_assert_has(r.err, "exit=5");
  ck_assert_int_lt(e.hits, 500);
  ck_assert_has(r.out, "\"index\":");
  run_free(&r);
  env_down(&e);
}
END_TEST

static void interrupt_after(pid_t pid, void *arg)
{
  env *e = arg;
  static int sent;
  if (e->hits >= 20 && !sent) {
    sent = 1;
    kill(pid, SIGINT);
  }
}

START_TEST(t_batch_bounded_memory)
{
  env e;
  run r = {0}, small = {0};
  char in[256], line[256];
  FILE *f;
  unsigned i;
  int64_t calls;

  env_up(&e, 1);
  e.hold_ms = 1;
  /* baseline: the same run on 10 lines */
  path_in(&e, "small.txt", in, sizeof in);
  f = fopen(in, "w");
  ck_assert_ptr_nonnull(f);
  snprintf(line, sizeof line, "GET %s/cli/conc {\"pad\":\"%0100d\"}\n", e.url,
           0);
  for (i = 0; i < 10; i++) {
    fputs(line, f);
  }
  fclose(f);
  RUN(&e, &small, "batch", "-q", "-c", "2", "-r", "200", "--window", "16", in);
  ck_assert_exit(&small, 0);

  /* 200,000 lines (30 MB): interrupted after 20 calls, it must have read
   * only a window's worth of them */
  path_in(&e, "big.txt", in, sizeof in);
  f = fopen(in, "w");
  ck_assert_ptr_nonnull(f);
  for (i = 0; i < 200000; i++) {
    fputs(line, f);
  }
  fclose(f);
  e.hits = 0;
  r.tick = interrupt_after;
  r.tick_arg = &e;
  RUN(&e, &r, "batch", "-q", "-c", "2", "-r", "200", "--window", "16", in);
  ck_assert_exit(&r, 130);
  ck_assert_ptr_nonnull(strstr(r.out, "\"interrupted\":true"));
  {
    bout b;
    bout_parse(&b, r.out);
    ck_assert_ptr_nonnull(b.summary);
    calls = jint(b.summary, "calls");
    ck_assert_int_eq((int64_t)b.nlines, calls);
    bout_free(&b);
  }
  ck_assert_int_ge(calls, 20);
  ck_assert_int_le(calls, 20 + 16 + 2 + 10);
  ck_assert_int_eq(e.hits, calls);
  ck_assert_msg(r.maxrss_kb < small.maxrss_kb + 8 * 1024,
                "peak RSS %ld KiB vs %ld KiB for 10 lines", r.maxrss_kb,
                small.maxrss_kb);
  run_free(&small);
  run_free(&r);
  env_down(&e);
}
END_TEST

/* The standalone simulator ($CMX_SIM, as `make check` sets it) */
START_TEST(t_with_callmux_sim)
{
  env e;
  run r = {0};
  const char *simbin = getenv("CMX_SIM");
  char ports[256], url[256], u[300];
  pid_t pid;
  int i, status;

  ck_assert_msg(simbin && access(simbin, X_OK) == 0,
                "CMX_SIM must name callmux-sim (make check sets it)");
  env_up(&e, 0);
  path_in(&e, "ports", ports, sizeof ports);
  pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    int fd = open("/dev/null", O_WRONLY);
    dup2(fd, 1);
    execl(simbin, simbin, "--services", "generic", "--port-file", ports,
          (char *)NULL);
    _exit(98);
  }
  url[0] = '\0';
  for (i = 0; i < 1000 && !url[0]; i++) {
    FILE *f = fopen(ports, "r");
    char line[256];
    if (f) {
      while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "generic %255s", url) == 1) {
          break;
        }
      }
      fclose(f);
    }
    if (!url[0]) {
      usleep(10000);
    }
  }
  ck_assert_msg(url[0] != '\0', "callmux-sim printed no generic URL");
  snprintf(u, sizeof u, "%s/json", url);
  RUN(&e, &r, "request", "--json", u);
  kill(pid, SIGTERM);
  waitpid(pid, &status, 0);
  ck_assert_exit(&r, 0);
  ck_assert_has(r.out, "\"ok\": true");
  run_free(&r);
  env_down(&e);
}
END_TEST

static Suite *cli_suite(void)
{
  Suite *s = suite_create("cli");
  TCase *tc = tcase_create("pure");
  tcase_add_test(tc, t_line_parse);
  tcase_add_test(tc, t_args);
  tcase_add_test(tc, t_json_str);
  suite_add_tcase(s, tc);

  tc = tcase_create("usage");
  tcase_add_test(tc, t_version_help);
  tcase_add_loop_test(tc, t_usage_errors, 0,
                      (int)(sizeof usage_cases / sizeof usage_cases[0]));
  tcase_add_test(tc, t_usage_secret_not_echoed);
  suite_add_tcase(s, tc);

  tc = tcase_create("request");
  tcase_add_test(tc, t_request_get);
  tcase_add_test(tc, t_request_post_echo);
  tcase_add_test(tc, t_request_errors);
  tcase_add_test(tc, t_request_files);
  tcase_add_test(tc, t_request_secret_never_printed);
  tcase_add_test(tc, t_request_redirect);
  tcase_add_test(tc, t_request_secret_scrubbed_from_argv);
  tcase_add_test(tc, t_tls_ca_file);
  tcase_add_test(tc, t_with_callmux_sim);
  suite_add_tcase(s, tc);

  tc = tcase_create("batch");
  tcase_add_test(tc, t_batch_mixed);
  tcase_add_test(tc, t_batch_concurrency_cap);
  tcase_add_test(tc, t_batch_secret_never_printed);
  tcase_add_test(tc, t_batch_retries_deadline);
  tcase_add_test(tc, t_batch_stdin_pipe);
  tcase_add_test(tc, t_batch_bounded_memory);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(cli_suite());
  int failed;
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
