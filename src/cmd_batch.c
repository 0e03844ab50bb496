/*
 * callmux batch: one call per input line, all through one lane (cap, rate,
 * retries), one JSON line per finished call in completion order, then a
 * summary.
 *
 * Memory stays bounded whatever the input size: lines are read only while
 * fewer than `concurrency + window` calls are outstanding, and a call's
 * "@file" body is opened only when it is sent.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <json-c/json.h>

#include <callmux/callmux.h>

#include "cli.h"

#define CMD "batch"
#define READ_CHUNK 65536
#define MAX_LINE (16u * 1024 * 1024)
#define NCODES 64

enum {
  OPT_SECRET = 256,
  OPT_SECRET_ENV,
  OPT_BURST,
  OPT_RETRIES,
  OPT_RETRY_SAFE,
  OPT_DEADLINE,
  OPT_TIMEOUT,
  OPT_LANE,
  OPT_CA_FILE,
  OPT_STATS,
  OPT_BODY,
  OPT_MAX_BODY,
  OPT_WINDOW
};

static const struct option longopts[] = {
    {"concurrency", required_argument, NULL, 'c'},
    {"rate", required_argument, NULL, 'r'},
    {"burst", required_argument, NULL, OPT_BURST},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"retry-safe", no_argument, NULL, OPT_RETRY_SAFE},
    {"deadline", required_argument, NULL, OPT_DEADLINE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"lane", required_argument, NULL, OPT_LANE},
    {"header", required_argument, NULL, 'H'},
    {"secret-header", required_argument, NULL, OPT_SECRET},
    {"secret-header-env", required_argument, NULL, OPT_SECRET_ENV},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"stats", no_argument, NULL, OPT_STATS},
    {"body", no_argument, NULL, OPT_BODY},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static void help(FILE *f)
{
  fputs(
      "usage: callmux batch [options] FILE|-\n"
      "\n"
      "Run one call per input line (FILE, or stdin with '-'):\n"
      "  METHOD URL [@bodyfile | JSON-or-text body]\n"
      "Blank lines and lines starting with '#' are skipped.  A body that\n"
      "starts with '{' or '[' must be valid JSON and is sent as\n"
      "application/json; other text is sent as text/plain; '@path' streams\n"
      "the file as application/octet-stream.\n"
      "\n"
      "All calls go through one lane, which caps concurrency and rate.  One\n"
      "JSON line per finished call is printed on stdout in completion "
      "order:\n"
      "  {\"index\":0,\"line\":1,\"status\":200,\"code\":\"OK\","
      "\"attempts\":1,\"ms\":3}\n"
      "(failures add \"error\"), then a line {\"summary\":{...}} with the "
      "counts.\n"
      "\n"
      "  -c, --concurrency N     calls in flight at once (1..100000, "
      "default 16)\n"
      "  -r, --rate R            calls per second (above 0, at most "
      "1000000;\n"
      "                          default: no limit)\n"
      "      --burst B           calls allowed back to back (1..1000000, "
      "needs -r)\n"
      "      --retries N         retries after the first attempt (0..20; "
      "default:\n"
      "                          the engine's policy, 3)\n"
      "      --retry-safe        allow retrying non-idempotent methods (the\n"
      "                          service deduplicates)\n"
      "      --deadline MS       limit per call, queueing and retries "
      "included\n"
      "      --timeout MS        limit per attempt\n"
      "      --lane NAME         lane name (default \"batch\"); never put a "
      "secret\n"
      "                          in it\n"
      "  -H, --header 'Name: value'         header on every call "
      "(repeatable)\n"
      "      --secret-header 'Name: value'  credential header, never "
      "printed\n"
      "      --secret-header-env 'Name: VAR'  the same, value from $VAR\n"
      "      --ca-file FILE      also trust the CAs in FILE\n"
      "      --body              include each response body in its line\n"
      "      --max-body BYTES    largest body kept with --body (default "
      "1 MiB)\n"
      "      --window N          input lines read ahead of the calls in "
      "flight\n"
      "                          (1..1000000, default max(4*N, 64))\n"
      "      --stats             print the engine's statistics as a last "
      "line\n"
      "                          {\"stats\":{...}}\n"
      "  -q, --quiet             no summary on stderr\n"
      "  -v, --verbose           the engine's log on stderr (secrets "
      "masked)\n"
      "  -h, --help              this text\n"
      "\n"
      "SIGINT/SIGTERM: stop reading input and let the calls in flight "
      "finish;\n"
      "a second signal cancels them.\n"
      "\n"
      "Exit codes: 0 every call succeeded, 1 a call or an input line "
      "failed,\n"
      "2 usage, 5 the input could not be read, 130 interrupted.\n",
      f);
}

typedef struct batch batch;

typedef struct bcall {
  batch *b;
  struct bcall *prev, *next;
  cmx_call *call;
  uint64_t index;
  uint64_t line;
  char *path; /* "@file" body, opened when first read */
  int fd;
  uint64_t len;
} bcall;

struct batch {
  /* settings */
  unsigned concurrency;
  double rate;
  unsigned burst;
  int have_retries;
  unsigned retries;
  int retry_safe;
  uint64_t deadline, timeout;
  const char *lane_name;
  const char *ca_file;
  int stats, body, quiet;
  uint64_t max_body;
  size_t window;
  cli_headers headers;
  int have_ctype;

  /* input */
  const char *in_name;
  int in_fd;
  int in_sync;  /* regular file: read when needed, no event */
  int in_flags; /* original fcntl flags of a non-blocking input */
  int in_eof;
  int in_error;
  int in_skipping; /* discarding the rest of an overlong line */
  struct evbuffer *inbuf;
  struct event *in_ev;
  int in_ev_on;

  /* engine */
  struct event_base *base;
  cmx_engine *engine;
  struct event *sig_int, *sig_term;
  int stopping;   /* no more input: signal, output failure or the end */
  int signals;    /* SIGINT/SIGTERM received */
  int out_failed; /* stdout could not be written */
  int verbose;
  int done;

  /* progress */
  uint64_t line_no;
  uint64_t next_index;
  size_t pending;
  size_t max_pending;
  bcall *calls; /* pending, for cancelling */
  uint64_t finished, ok, failed, input_errors;
  uint64_t by_code[NCODES];
  uint64_t by_status[600];
  uint64_t t_start;
};

/* ---- output ------------------------------------------------------- */

static void print_error_field(batch *b, const char *text)
{
  char *red = cli_redact_dup(&b->headers, text);
  fputs(",\"error\":", stdout);
  cli_json_str(stdout, red ? red : "(out of memory)", red ? strlen(red) : 15);
  free(red);
}

static void count_code(batch *b, int code)
{
  unsigned i = (unsigned)(-code);
  if (code <= 0 && i < NCODES) {
    b->by_code[i]++;
  }
}

static void input_enable(batch *b, int on);
static void cancel_all(batch *b);

/* stdout gone (a closed pipe, a full disk): stop reading, cancel the rest;
 * nobody would see their results. */
static void check_output(batch *b)
{
  if (!b->out_failed && ferror(stdout)) {
    b->out_failed = 1;
    b->stopping = 1;
    input_enable(b, 0);
    fprintf(stderr,
            "callmux batch: writing the results failed: %s; "
            "cancelling the remaining calls\n",
            strerror(errno));
    cancel_all(b);
  }
}

/* A line that never became a call (bad input or refused submit). */
static void report_unsent(batch *b, uint64_t index, int code, const char *text)
{
  printf("{\"index\":%llu,\"line\":%llu,\"status\":0,\"code\":\"%s\","
         "\"attempts\":0,\"ms\":0",
         (unsigned long long)index, (unsigned long long)b->line_no,
         cmx_code_name(code));
  print_error_field(b, text);
  fputs("}\n", stdout);
  check_output(b);
  if (code == CMX_EINVAL) {
    b->input_errors++;
  } else {
    b->failed++;
  }
  count_code(b, code);
}

static void report_done(batch *b, bcall *bc, const cmx_response *res)
{
  int code = cmx_response_code(res);
  long status = cmx_response_status(res);
  const cmx_service_error *se;

  printf("{\"index\":%llu,\"line\":%llu,\"status\":%ld,\"code\":\"%s\","
         "\"attempts\":%u,\"ms\":%llu",
         (unsigned long long)bc->index, (unsigned long long)bc->line, status,
         cmx_code_name(code), cmx_response_attempts(res),
         (unsigned long long)cmx_response_elapsed_ms(res));
  if (code != CMX_OK) {
    const char *detail = cmx_response_detail(res);
    print_error_field(b, *detail ? detail : cmx_strerror(code));
    se = cmx_response_service_error(res);
    if (se && ((se->kind && *se->kind) || *se->message)) {
      char *msg = cli_redact_dup(&b->headers, se->message);
      fputs(",\"service_error\":{\"kind\":", stdout);
      if (se->kind) {
        cli_json_str(stdout, se->kind, strlen(se->kind));
      } else {
        fputs("null", stdout);
      }
      fputs(",\"message\":", stdout);
      cli_json_str(stdout, msg ? msg : "", msg ? strlen(msg) : 0);
      fputc('}', stdout);
      free(msg);
    }
  }
  if (b->body) {
    struct json_object *obj = cmx_response_json(res);
    fputs(",\"body\":", stdout);
    if (obj) {
      fputs(json_object_to_json_string_ext(
                obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
            stdout);
    } else {
      size_t len = 0;
      const char *body = cmx_response_body(res, &len);
      cli_json_str(stdout, body, len);
    }
  }
  fputs("}\n", stdout);
  check_output(b);

  b->finished++;
  if (code == CMX_OK) {
    b->ok++;
  } else {
    b->failed++;
  }
  count_code(b, code);
  if (status >= 100 && status < 600) {
    b->by_status[status]++;
  }
}

static void print_summary(batch *b)
{
  uint64_t ms = cli_now_ms() - b->t_start;
  double secs = ms ? (double)ms / 1000.0 : 0.001;
  unsigned i;
  int first = 1;

  printf("{\"summary\":{\"calls\":%llu,\"ok\":%llu,\"failed\":%llu,"
         "\"input_errors\":%llu,\"errors\":{",
         (unsigned long long)(b->ok + b->failed), (unsigned long long)b->ok,
         (unsigned long long)b->failed, (unsigned long long)b->input_errors);
  for (i = 1; i < NCODES; i++) {
    if (b->by_code[i]) {
      printf("%s\"%s\":%llu", first ? "" : ",", cmx_code_name(-(int)i),
             (unsigned long long)b->by_code[i]);
      first = 0;
    }
  }
  fputs("},\"statuses\":{", stdout);
  first = 1;
  for (i = 100; i < 600; i++) {
    if (b->by_status[i]) {
      printf("%s\"%u\":%llu", first ? "" : ",", i,
             (unsigned long long)b->by_status[i]);
      first = 0;
    }
  }
  printf("},\"elapsed_ms\":%llu,\"calls_per_s\":%.1f,\"interrupted\":%s}}\n",
         (unsigned long long)ms, (double)b->finished / secs,
         b->signals ? "true" : "false");

  if (!b->quiet) {
    fprintf(stderr, "callmux batch: %llu calls, %llu ok, %llu failed",
            (unsigned long long)(b->ok + b->failed), (unsigned long long)b->ok,
            (unsigned long long)b->failed);
    if (b->input_errors) {
      fprintf(stderr, ", %llu bad input lines",
              (unsigned long long)b->input_errors);
    }
    first = 1;
    for (i = 1; i < NCODES; i++) {
      if (b->by_code[i]) {
        fprintf(stderr, "%s%s %llu", first ? " (" : ", ",
                cmx_code_name(-(int)i), (unsigned long long)b->by_code[i]);
        first = 0;
      }
    }
    fprintf(stderr, "%s in %.2f s, %.1f calls/s%s\n", first ? "" : ")", secs,
            (double)b->finished / secs, b->signals ? " (interrupted)" : "");
  }
}

/* ---- calls -------------------------------------------------------- */

static void check_done(batch *b);
static void refill(batch *b);

static long file_body_read(void *buf, size_t cap, uint64_t pos, void *userdata)
{
  bcall *bc = userdata;
  ssize_t n;

  if (pos >= bc->len) {
    return 0;
  }
  if (bc->fd < 0) {
    bc->fd = open(bc->path, O_RDONLY | O_CLOEXEC);
    if (bc->fd < 0) {
      return -1;
    }
  }
  if (cap > bc->len - pos) {
    cap = (size_t)(bc->len - pos);
  }
  do {
    n = pread(bc->fd, buf, cap, (off_t)pos);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    return -1; /* read error, or the file shrank since it was listed */
  }
  return (long)n;
}

static int body_discard(const void *data, size_t len, uint64_t pos,
                        void *userdata)
{
  (void)data;
  (void)len;
  (void)pos;
  (void)userdata;
  return 0;
}

static void bcall_free(bcall *bc)
{
  if (bc->fd >= 0) {
    close(bc->fd);
  }
  free(bc->path);
  free(bc);
}

static void call_done(cmx_call *call, const cmx_response *res, void *userdata)
{
  bcall *bc = userdata;
  batch *b = bc->b;
  (void)call;

  report_done(b, bc, res);
  if (bc->prev) {
    bc->prev->next = bc->next;
  } else {
    b->calls = bc->next;
  }
  if (bc->next) {
    bc->next->prev = bc->prev;
  }
  bcall_free(bc);
  b->pending--;
  refill(b);
}

static void submit_line(batch *b, const cli_line *ln, uint64_t index)
{
  bcall *bc = calloc(1, sizeof *bc);
  cmx_request *req = NULL;
  const char *ctype = NULL;
  char msg[512];
  size_t i;
  int rc = CMX_ENOMEM;

  if (!bc) {
    goto fail;
  }
  bc->b = b;
  bc->fd = -1;
  bc->index = index;
  bc->line = b->line_no;

  if (ln->kind == CLI_BODY_FILE) {
    struct stat sb;
    bc->path = strndup(ln->body, ln->body_len);
    if (!bc->path) {
      goto fail;
    }
    int st = stat(bc->path, &sb);
    if (st != 0 || !S_ISREG(sb.st_mode)) {
      snprintf(msg, sizeof msg, "line %llu: @%s: %s",
               (unsigned long long)b->line_no, bc->path,
               st != 0 ? strerror(errno) : "not a regular file");
      bcall_free(bc);
      report_unsent(b, index, CMX_EINVAL, msg);
      return;
    }
    bc->len = (uint64_t)sb.st_size;
  }

  req = cmx_request_new(ln->method, ln->url);
  if (!req) {
    snprintf(msg, sizeof msg,
             "line %llu: the library refused the method "
             "or URL",
             (unsigned long long)b->line_no);
    bcall_free(bc);
    report_unsent(b, index, CMX_EINVAL, msg);
    return;
  }
  for (i = 0; i < b->headers.n; i++) {
    const cli_header *h = &b->headers.v[i];
    rc = h->secret ? cmx_request_add_secret_header(req, h->name, h->value)
                   : cmx_request_add_header(req, h->name, h->value);
    if (rc != CMX_OK) {
      goto fail;
    }
  }
  switch (ln->kind) {
  case CLI_BODY_NONE:
    rc = CMX_OK;
    break;
  case CLI_BODY_TEXT:
    ctype = b->have_ctype ? NULL : "text/plain; charset=utf-8";
    rc = cmx_request_set_body(req, ln->body, ln->body_len, ctype);
    break;
  case CLI_BODY_JSON:
    ctype = b->have_ctype ? NULL : "application/json";
    rc = cmx_request_set_body(req, ln->body, ln->body_len, ctype);
    break;
  case CLI_BODY_FILE:
    ctype = b->have_ctype ? NULL : "application/octet-stream";
    rc = cmx_request_set_body_cb(req, (int64_t)bc->len, file_body_read, bc,
                                 ctype);
    break;
  }
  if (rc != CMX_OK) {
    goto fail;
  }
  rc = cmx_request_set_lane(req, b->lane_name);
  if (rc == CMX_OK && b->body) {
    rc = cmx_request_set_response_cap(req, (size_t)b->max_body);
  } else if (rc == CMX_OK) {
    rc = cmx_request_set_response_cb(req, body_discard, bc);
  }
  if (rc == CMX_OK && b->deadline) {
    rc = cmx_request_set_deadline_ms(req, b->deadline);
  }
  if (rc == CMX_OK && b->timeout) {
    rc = cmx_request_set_timeout_ms(req, b->timeout);
  }
  if (rc == CMX_OK && b->retry_safe) {
    rc = cmx_request_set_retry_safe(req, 1);
  }
  if (rc == CMX_OK && b->have_retries && b->retries == 0) {
    rc = cmx_request_set_no_retry(req, 1);
  }
  if (rc != CMX_OK) {
    goto fail;
  }
  rc = cmx_submit(b->engine, req, call_done, bc, &bc->call);
  req = NULL;
  if (rc != CMX_OK) {
    goto fail;
  }
  bc->next = b->calls;
  if (b->calls) {
    b->calls->prev = bc;
  }
  b->calls = bc;
  b->pending++;
  return;

fail:
  cmx_request_free(req);
  if (bc) {
    bcall_free(bc);
  }
  snprintf(msg, sizeof msg, "line %llu: could not submit: %s",
           (unsigned long long)b->line_no, cmx_strerror(rc));
  report_unsent(b, index, rc, msg);
}

static void handle_line(batch *b, char *line, size_t len)
{
  cli_line ln;
  char err[256], msg[320];
  int r;

  b->line_no++;
  r = cli_line_parse(line, len, &ln, err, sizeof err);
  if (r == 0) {
    return;
  }
  if (r < 0) {
    snprintf(msg, sizeof msg, "line %llu: %s", (unsigned long long)b->line_no,
             err);
    report_unsent(b, b->next_index++, CMX_EINVAL, msg);
    return;
  }
  submit_line(b, &ln, b->next_index++);
}

/* ---- input -------------------------------------------------------- */

/* Next complete line (malloc'd) or NULL when more input is needed. */
static char *next_line(batch *b, size_t *len)
{
  for (;;) {
    char *line = evbuffer_readln(b->inbuf, len, EVBUFFER_EOL_LF);
    size_t have = evbuffer_get_length(b->inbuf);

    if (line) {
      if (b->in_skipping) {
        b->in_skipping = 0; /* the tail of the overlong line */
        free(line);
        continue;
      }
      if (*len > MAX_LINE) {
        free(line);
        b->line_no++;
        report_unsent(b, b->next_index++, CMX_EINVAL,
                      "line longer than 16 MiB");
        continue;
      }
      return line;
    }
    if (have > MAX_LINE) {
      if (!b->in_skipping) {
        char msg[128];
        b->line_no++;
        snprintf(msg, sizeof msg, "line %llu: longer than 16 MiB",
                 (unsigned long long)b->line_no);
        report_unsent(b, b->next_index++, CMX_EINVAL, msg);
        b->in_skipping = 1;
      }
      evbuffer_drain(b->inbuf, have);
      return NULL;
    }
    if (b->in_eof && have > 0) {
      /* last line without a newline */
      line = malloc(have + 1);
      if (!line) {
        return NULL;
      }
      evbuffer_remove(b->inbuf, line, have);
      line[have] = '\0';
      *len = have;
      if (b->in_skipping) {
        b->in_skipping = 0;
        free(line);
        continue;
      }
      return line;
    }
    return NULL;
  }
}

static void input_enable(batch *b, int on)
{
  if (!b->in_ev || on == b->in_ev_on) {
    return;
  }
  if (on) {
    event_add(b->in_ev, NULL);
  } else {
    event_del(b->in_ev);
  }
  b->in_ev_on = on;
}

static void input_error(batch *b, int err)
{
  fprintf(stderr, "callmux batch: reading %s failed: %s\n", b->in_name,
          strerror(err));
  b->in_error = 1;
  b->in_eof = 1;
}

static void refill(batch *b)
{
  int want_input = 0;

  while (!b->stopping && b->pending < b->max_pending) {
    size_t len = 0;
    char *line = next_line(b, &len);
    if (line) {
      handle_line(b, line, len);
      free(line);
      continue;
    }
    if (b->in_eof) {
      break;
    }
    if (b->in_sync) {
      int n = evbuffer_read(b->inbuf, b->in_fd, READ_CHUNK);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        input_error(b, errno);
      } else if (n == 0) {
        b->in_eof = 1;
      }
      continue;
    }
    want_input = 1;
    break;
  }
  if (!b->in_sync) {
    input_enable(b, want_input && !b->in_eof && !b->stopping);
  }
  check_done(b);
}

static void on_input(evutil_socket_t fd, short what, void *arg)
{
  batch *b = arg;
  int n = evbuffer_read(b->inbuf, fd, READ_CHUNK);
  (void)what;

  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    return;
  }
  if (n < 0) {
    input_error(b, errno);
  } else if (n == 0) {
    b->in_eof = 1;
  }
  refill(b);
}

static void check_done(batch *b)
{
  if (!b->done && (b->in_eof || b->stopping) && b->pending == 0) {
    b->done = 1;
    event_base_loopbreak(b->base);
  }
}

static void cancel_all(batch *b)
{
  bcall *bc;
  for (bc = b->calls; bc; bc = bc->next) {
    cmx_call_cancel(bc->call); /* a no-op for the call now ending */
  }
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
  batch *b = arg;
  (void)what;

  b->signals++;
  b->stopping = 1;
  input_enable(b, 0);
  if (b->signals == 1) {
    if (b->pending) {
      fprintf(stderr,
              "callmux batch: %s: no more input is read; waiting "
              "for %zu calls (again to cancel them)\n",
              sig == SIGINT ? "interrupted" : "terminated", b->pending);
    }
  } else {
    cancel_all(b);
  }
  check_done(b);
}

/* ---- command ------------------------------------------------------ */

static int parse_args(batch *b, int argc, char **argv)
{
  uint64_t v;
  int c;
  int have_burst = 0;

  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":c:r:H:qvh", longopts, NULL)) != -1) {
    switch (c) {
    case 'c':
      if (cli_parse_u64(CMD, "-c", optarg, 1, 100000, "calls", &v) != 0) {
        return -1;
      }
      b->concurrency = (unsigned)v;
      break;
    case 'r':
      if (cli_parse_rate(CMD, "-r", optarg, 1e6, &b->rate) != 0) {
        return -1;
      }
      break;
    case OPT_BURST:
      if (cli_parse_u64(CMD, "--burst", optarg, 1, 1000000, "calls", &v) !=
          0) {
        return -1;
      }
      b->burst = (unsigned)v;
      have_burst = 1;
      break;
    case OPT_RETRIES:
      if (cli_parse_u64(CMD, "--retries", optarg, 0, 20, "retries", &v) != 0) {
        return -1;
      }
      b->retries = (unsigned)v;
      b->have_retries = 1;
      break;
    case OPT_RETRY_SAFE:
      b->retry_safe = 1;
      break;
    case OPT_DEADLINE:
      if (cli_parse_u64(CMD, "--deadline", optarg, 1, 86400000, "milliseconds",
                        &b->deadline) != 0) {
        return -1;
      }
      break;
    case OPT_TIMEOUT:
      if (cli_parse_u64(CMD, "--timeout", optarg, 1, 86400000, "milliseconds",
                        &b->timeout) != 0) {
        return -1;
      }
      break;
    case OPT_LANE:
      if (!cli_lane_ok(optarg)) {
        cli_err(CMD, "--lane: the name must be 1 to 200 printable "
                     "characters without spaces");
        return -1;
      }
      b->lane_name = optarg;
      break;
    case 'H':
      if (cli_headers_add(&b->headers, CMD, "-H", optarg, 0) != 0) {
        return -1;
      }
      break;
    case OPT_SECRET:
      if (cli_headers_add(&b->headers, CMD, "--secret-header", optarg, 1) !=
          0) {
        return -1;
      }
      cli_scrub_arg(optarg);
      break;
    case OPT_SECRET_ENV:
      if (cli_headers_add_env(&b->headers, CMD, "--secret-header-env",
                              optarg) != 0) {
        return -1;
      }
      break;
    case OPT_CA_FILE:
      if (access(optarg, R_OK) != 0) {
        cli_err(CMD, "--ca-file: cannot read '%s': %s", optarg,
                strerror(errno));
        return -1;
      }
      b->ca_file = optarg;
      break;
    case OPT_STATS:
      b->stats = 1;
      break;
    case OPT_BODY:
      b->body = 1;
      break;
    case OPT_MAX_BODY:
      if (cli_parse_u64(CMD, "--max-body", optarg, 1, (uint64_t)1 << 32,
                        "bytes", &b->max_body) != 0) {
        return -1;
      }
      break;
    case OPT_WINDOW:
      if (cli_parse_u64(CMD, "--window", optarg, 1, 1000000, "lines", &v) !=
          0) {
        return -1;
      }
      b->window = (size_t)v;
      break;
    case 'q':
      b->quiet = 1;
      break;
    case 'v':
      b->verbose = 1;
      break;
    case 'h':
      help(stdout);
      return 1;
    case ':':
      cli_err(CMD, "option '%s' needs a value (see callmux batch --help)",
              argv[optind - 1]);
      return -1;
    default:
      if (optopt) {
        cli_err(CMD, "unknown option '-%c' (see callmux batch --help)",
                optopt);
      } else {
        cli_err(CMD, "unknown option '%s' (see callmux batch --help)",
                argv[optind - 1]);
      }
      return -1;
    }
  }
  if (optind >= argc) {
    cli_err(CMD, "missing input: give a FILE, or '-' for stdin");
    return -1;
  }
  if (argc - optind > 1) {
    cli_err(CMD, "expected one input FILE (or '-'), got %d arguments",
            argc - optind);
    return -1;
  }
  b->in_name = argv[optind];
  if (have_burst && b->rate == 0) {
    cli_err(CMD, "--burst: needs a rate (-r)");
    return -1;
  }
  if (b->max_body && !b->body) {
    cli_err(CMD, "--max-body: only applies with --body");
    return -1;
  }
  return 0;
}

static int open_input(batch *b)
{
  struct stat sb;

  if (strcmp(b->in_name, "-") == 0) {
    b->in_fd = STDIN_FILENO;
    b->in_name = "stdin";
  } else {
    b->in_fd = open(b->in_name, O_RDONLY | O_CLOEXEC);
    if (b->in_fd < 0) {
      cli_err(CMD, "cannot open input '%s': %s", b->in_name, strerror(errno));
      return -1;
    }
  }
  if (fstat(b->in_fd, &sb) != 0) {
    cli_err(CMD, "cannot stat input '%s': %s", b->in_name, strerror(errno));
    return -1;
  }
  if (S_ISDIR(sb.st_mode)) {
    cli_err(CMD, "input '%s' is a directory", b->in_name);
    return -1;
  }
  b->in_sync = S_ISREG(sb.st_mode) || S_ISBLK(sb.st_mode);
  b->in_flags = -1;
  if (!b->in_sync) {
    b->in_flags = fcntl(b->in_fd, F_GETFL);
    if (b->in_flags < 0 ||
        fcntl(b->in_fd, F_SETFL, b->in_flags | O_NONBLOCK) < 0) {
      cli_err(CMD, "cannot make input '%s' non-blocking: %s", b->in_name,
              strerror(errno));
      return -1;
    }
  }
  return 0;
}

static void log_cb(cmx_log_level level, const char *msg, void *userdata)
{
  static const char *names[] = {"error", "warn", "info", "debug"};
  batch *b = userdata;
  cli_redact_printf(stderr, &b->headers, "* %s: %s\n",
                    (unsigned)level < 4 ? names[level] : "log", msg);
}

static int setup_engine(batch *b)
{
  cmx_options *opts = cmx_options_new();
  cmx_lane *lane;
  int rc = CMX_ENOMEM;

  if (!opts) {
    cli_err(CMD, "out of memory");
    return -1;
  }
  cmx_options_set_user_agent(opts, "callmux/" CMX_VERSION);
  if (b->verbose) {
    cmx_options_set_log(opts, CMX_LOG_DEBUG, log_cb, b);
  }
  if (b->ca_file) {
    rc = cmx_options_set_ca_file(opts, b->ca_file);
    if (rc != CMX_OK) {
      cmx_options_free(opts);
      cli_err(CMD, "--ca-file: %s", cmx_strerror(rc));
      return -1;
    }
  }
  b->engine = cmx_engine_new(b->base, opts);
  cmx_options_free(opts);
  if (!b->engine) {
    cli_err(CMD, "could not start the engine");
    return -1;
  }
  lane = cmx_engine_lane(b->engine, b->lane_name);
  if (!lane) {
    cli_err(CMD, "could not create the lane");
    return -1;
  }
  rc = cmx_lane_set_max_inflight(lane, b->concurrency);
  if (rc == CMX_OK && b->rate > 0) {
    rc = cmx_lane_set_rate(lane, b->rate, b->burst);
  }
  if (rc == CMX_OK && b->have_retries && b->retries > 0) {
    cmx_retry_policy p;
    cmx_retry_policy_default(&p);
    p.max_attempts = b->retries + 1;
    rc = cmx_lane_set_retry(lane, &p);
  }
  if (rc == CMX_OK && b->max_pending > 1000000) {
    rc = cmx_lane_set_queue_limit(lane, b->max_pending);
  }
  if (rc != CMX_OK) {
    cli_err(CMD, "lane settings refused: %s", cmx_strerror(rc));
    return -1;
  }
  return 0;
}

int cli_cmd_batch(int argc, char **argv)
{
  batch *b = calloc(1, sizeof *b);
  int ret = CLI_EXIT_USAGE;
  int r;

  if (!b) {
    cli_err(CMD, "out of memory");
    return CLI_EXIT_LOCAL;
  }
  b->concurrency = 16;
  b->lane_name = "batch";
  b->in_fd = -1;
  b->in_flags = -1;

  r = parse_args(b, argc, argv);
  if (r != 0) {
    ret = r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    goto out;
  }
  if (b->body && !b->max_body) {
    b->max_body = 1024 * 1024;
  }
  b->have_ctype = cli_headers_has(&b->headers, "Content-Type");
  if (!b->window) {
    b->window = b->concurrency < 16 ? 64 : (size_t)b->concurrency * 4;
  }
  b->max_pending = b->concurrency + b->window;

  if (open_input(b) != 0) {
    ret = CLI_EXIT_LOCAL;
    goto out;
  }
  ret = CLI_EXIT_LOCAL;
  b->inbuf = evbuffer_new();
  b->base = event_base_new();
  if (!b->inbuf || !b->base) {
    cli_err(CMD, "out of memory");
    goto out;
  }
  if (setup_engine(b) != 0) {
    goto out;
  }
  if (!b->in_sync) {
    b->in_ev = event_new(b->base, b->in_fd, EV_READ | EV_PERSIST, on_input, b);
  }
  b->sig_int = evsignal_new(b->base, SIGINT, on_signal, b);
  b->sig_term = evsignal_new(b->base, SIGTERM, on_signal, b);
  if ((!b->in_sync && !b->in_ev) || !b->sig_int || !b->sig_term) {
    cli_err(CMD, "out of memory");
    goto out;
  }
  event_add(b->sig_int, NULL);
  event_add(b->sig_term, NULL);

  b->t_start = cli_now_ms();
  refill(b);
  while (!b->done) {
    if (event_base_loop(b->base, 0) != 0) {
      break; /* nothing left to wait for */
    }
  }
  if (!b->done) {
    cli_err(CMD, "internal error: the loop ended with %zu calls pending",
            b->pending);
    goto out;
  }
  print_summary(b);
  if (b->stats) {
    char *s = cmx_engine_stats_json(b->engine);
    if (s) {
      printf("{\"stats\":%s}\n", s);
      free(s);
    }
  }
  if (b->in_error || b->out_failed) {
    ret = CLI_EXIT_LOCAL;
  } else if (b->signals) {
    ret = CLI_EXIT_INTERRUPTED;
  } else if (b->failed || b->input_errors) {
    ret = CLI_EXIT_SERVICE;
  } else {
    ret = CLI_EXIT_OK;
  }
  if (fflush(stdout) != 0 && ret == CLI_EXIT_OK) {
    cli_err(CMD, "writing the results failed: %s", strerror(errno));
    ret = CLI_EXIT_LOCAL;
  }

out:
  b->stopping = 1; /* no more input while the engine cancels the rest */
  cmx_engine_free(b->engine); /* cancelled calls still print their lines */
  fflush(stdout);
  if (b->in_ev) {
    event_free(b->in_ev);
  }
  if (b->sig_int) {
    event_free(b->sig_int);
  }
  if (b->sig_term) {
    event_free(b->sig_term);
  }
  if (b->base) {
    event_base_free(b->base);
  }
  if (b->inbuf) {
    evbuffer_free(b->inbuf);
  }
  if (b->in_flags >= 0) {
    fcntl(b->in_fd, F_SETFL, b->in_flags);
  }
  if (b->in_fd > STDIN_FILENO) {
    close(b->in_fd);
  }
  cli_headers_free(&b->headers);
  free(b);
  return ret;
}
