/*
 * callmux request: one call, body on stdout (or streamed to --out), status
 * and errors on stderr.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include <callmux/callmux.h>

#include "cli.h"

#define CMD "request"
#define ERR_BODY_MAX 4096

enum {
  OPT_SECRET = 256,
  OPT_SECRET_ENV,
  OPT_DATA_FILE,
  OPT_TIMEOUT,
  OPT_DEADLINE,
  OPT_FOLLOW,
  OPT_CA_FILE,
  OPT_JSON,
  OPT_RETRIES,
  OPT_RETRY_SAFE,
  OPT_MAX_BODY
};

static const struct option longopts[] = {
    {"method", required_argument, NULL, 'X'},
    {"header", required_argument, NULL, 'H'},
    {"secret-header", required_argument, NULL, OPT_SECRET},
    {"secret-header-env", required_argument, NULL, OPT_SECRET_ENV},
    {"data", required_argument, NULL, 'd'},
    {"data-file", required_argument, NULL, OPT_DATA_FILE},
    {"out", required_argument, NULL, 'o'},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"deadline", required_argument, NULL, OPT_DEADLINE},
    {"follow", required_argument, NULL, OPT_FOLLOW},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"json", no_argument, NULL, OPT_JSON},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"retry-safe", no_argument, NULL, OPT_RETRY_SAFE},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static void help(FILE *f)
{
  fputs(
      "usage: callmux request [options] URL\n"
      "\n"
      "Make one HTTP call.  The body of a successful (2xx) response goes to\n"
      "stdout, or to --out FILE; the status line and errors go to stderr.\n"
      "\n"
      "  -X, --method METHOD       upper-case method (default GET, or POST\n"
      "                            with a body)\n"
      "  -H, --header 'Name: value'  add a header (repeatable)\n"
      "      --secret-header 'Name: value'\n"
      "                            add a credential header: its value is "
      "never\n"
      "                            printed (not even with -v), and dropped "
      "on\n"
      "                            redirects to another host (repeatable)\n"
      "      --secret-header-env 'Name: VAR'\n"
      "                            the same, value read from the "
      "environment\n"
      "                            variable VAR (keeps it off the command "
      "line)\n"
      "  -d, --data DATA           request body; sent as application/json "
      "when\n"
      "                            it is JSON, else as text/plain\n"
      "      --data-file PATH      request body streamed from a regular "
      "file\n"
      "                            ('-': stdin)\n"
      "  -o, --out FILE            write a 2xx body to FILE as it arrives\n"
      "      --timeout MS          limit for one attempt (1..86400000)\n"
      "      --deadline MS         limit for the whole call: every attempt "
      "and\n"
      "                            the waits between them (1..86400000)\n"
      "      --follow N            follow up to N redirects (0..20, default "
      "0)\n"
      "      --ca-file FILE        also trust the CAs in FILE (TLS "
      "verification\n"
      "                            stays on)\n"
      "      --json                send Accept: application/json, require a "
      "JSON\n"
      "                            response and pretty-print it; -d must be "
      "JSON\n"
      "      --retries N           retries after the first attempt (0..20; "
      "default:\n"
      "                            the engine's policy, 3)\n"
      "      --retry-safe          allow retrying a non-idempotent method "
      "(the\n"
      "                            service deduplicates)\n"
      "      --max-body BYTES      largest body kept in memory (default "
      "64 MiB)\n"
      "  -v, --verbose             show the request, response headers and "
      "the\n"
      "                            engine's log on stderr (secrets masked)\n"
      "  -q, --quiet               no status line on success\n"
      "  -h, --help                this text\n"
      "\n"
      "Exit codes: 0 ok, 1 error status from the service, 2 usage, 3 "
      "transport,\n"
      "timeout or deadline, 4 response unusable, 5 local failure.\n",
      f);
}

typedef struct req_state {
  cli_headers headers;
  int verbose;
  int quiet;
  int json;
  const char *out_path;
  int out_fd;
  int exit_code;
  int finished;
} req_state;

static void log_cb(cmx_log_level level, const char *msg, void *userdata)
{
  req_state *st = userdata;
  static const char *names[] = {"error", "warn", "info", "debug"};
  cli_redact_printf(stderr, &st->headers, "* %s: %s\n",
                    (unsigned)level < 4 ? names[level] : "log", msg);
}

static void print_error_body(req_state *st, const cmx_response *res)
{
  size_t len = 0;
  const char *body = cmx_response_body(res, &len);
  if (len == 0) {
    return;
  }
  fputs("callmux request: response body:\n", stderr);
  cli_redact_write(stderr, &st->headers, body,
                   len > ERR_BODY_MAX ? ERR_BODY_MAX : len);
  if (len > ERR_BODY_MAX) {
    fprintf(stderr, "\n... (%zu more bytes)", len - ERR_BODY_MAX);
  }
  fputc('\n', stderr);
}

static void print_success(req_state *st, const cmx_response *res)
{
  size_t len = 0;
  const char *body;

  if (st->out_fd >= 0) {
    return;
  }
  body = cmx_response_body(res, &len);
  if (st->json) {
    struct json_object *obj = cmx_response_json(res);
    if (obj) {
      fputs(json_object_to_json_string_ext(
                obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                         JSON_C_TO_STRING_NOSLASHESCAPE),
            stdout);
      fputc('\n', stdout);
      return;
    }
  }
  fwrite(body, 1, len, stdout);
}

static void done_cb(cmx_call *call, const cmx_response *res, void *userdata)
{
  req_state *st = userdata;
  int code = cmx_response_code(res);
  long status = cmx_response_status(res);
  unsigned attempts = cmx_response_attempts(res);
  unsigned long long ms = (unsigned long long)cmx_response_elapsed_ms(res);
  const cmx_service_error *se;
  (void)call;

  st->finished = 1;
  if (st->verbose && status) {
    static const char *shown[] = {"Content-Type", "Content-Length", "Location",
                                  "Retry-After", "ratelimit-reset"};
    size_t i;
    cli_redact_printf(stderr, &st->headers, "< HTTP %ld\n", status);
    for (i = 0; i < sizeof shown / sizeof shown[0]; i++) {
      const char *v = cmx_response_header(res, shown[i]);
      if (v) {
        cli_redact_printf(stderr, &st->headers, "< %s: %s\n", shown[i], v);
      }
    }
  }

  if (code == CMX_OK) {
    print_success(st, res);
    if (!st->quiet) {
      fprintf(stderr, "callmux request: HTTP %ld, %u attempt%s, %llu ms",
              status, attempts, attempts == 1 ? "" : "s", ms);
      if (st->out_fd >= 0) {
        fprintf(stderr, ", %llu bytes written to %s",
                (unsigned long long)cmx_response_body_bytes(res),
                st->out_path);
      }
      fputc('\n', stderr);
    }
    st->exit_code = CLI_EXIT_OK;
    return;
  }

  cli_redact_printf(stderr, &st->headers, "callmux request: %s (%s)",
                    cmx_code_name(code), cmx_strerror(code));
  if (status) {
    fprintf(stderr, ", HTTP %ld", status);
  }
  if (*cmx_response_detail(res)) {
    cli_redact_printf(stderr, &st->headers, ": %s", cmx_response_detail(res));
  }
  fprintf(stderr, " [%u attempt%s, %llu ms]\n", attempts,
          attempts == 1 ? "" : "s", ms);
  se = cmx_response_service_error(res);
  if (se && ((se->kind && *se->kind) || *se->message || se->ndetails)) {
    size_t i;
    cli_redact_printf(
        stderr, &st->headers, "callmux request: service error%s%s: %s\n",
        se->kind ? " " : "", se->kind ? se->kind : "", se->message);
    for (i = 0; i < se->ndetails; i++) {
      cli_redact_printf(stderr, &st->headers, "  %s\n", se->details[i]);
    }
  }
  if (status) {
    print_error_body(st, res);
  }
  st->exit_code = cli_exit_for_code(code);
  if (st->exit_code == CLI_EXIT_USAGE) {
    st->exit_code = CLI_EXIT_LOCAL; /* EINVAL from the engine mid-call */
  }
}

#define STDIN_BODY_MAX ((size_t)1 << 30)

/*
 * --data-file -: a regular file on stdin is streamed from where it stands;
 * a pipe is read whole into memory first (a retry must be able to resend).
 */
static int read_stdin_body(int *fd, off_t *off, uint64_t *len, char **mem)
{
  struct stat sb;
  char *buf = NULL;
  size_t n = 0, cap = 0;

  if (fstat(STDIN_FILENO, &sb) == 0 && S_ISREG(sb.st_mode)) {
    off_t pos = lseek(STDIN_FILENO, 0, SEEK_CUR);
    *fd = dup(STDIN_FILENO);
    if (*fd < 0 || pos < 0) {
      cli_err(CMD, "--data-file -: cannot use stdin: %s", strerror(errno));
      return -1;
    }
    *off = pos;
    *len = pos < sb.st_size ? (uint64_t)(sb.st_size - pos) : 0;
    return 0;
  }
  for (;;) {
    ssize_t r;
    if (n == cap) {
      char *nb;
      if (cap >= STDIN_BODY_MAX) {
        cli_err(CMD, "--data-file -: stdin is over 1 GiB; save it to a file "
                     "and give its path");
        free(buf);
        return -1;
      }
      cap = cap ? cap * 2 : 65536;
      nb = realloc(buf, cap);
      if (!nb) {
        cli_err(CMD, "out of memory");
        free(buf);
        return -1;
      }
      buf = nb;
    }
    r = read(STDIN_FILENO, buf + n, cap - n);
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r < 0) {
      cli_err(CMD, "--data-file -: reading stdin failed: %s", strerror(errno));
      free(buf);
      return -1;
    }
    if (r == 0) {
      break;
    }
    n += (size_t)r;
  }
  *mem = buf ? buf : strdup("");
  *len = n;
  return *mem ? 0 : -1;
}

/* Looks like JSON and parses as JSON? */
static int is_json(const char *s, size_t len)
{
  struct json_tokener *tok;
  struct json_object *obj;
  int ok;
  if (len == 0 || (s[0] != '{' && s[0] != '[')) {
    return 0;
  }
  tok = json_tokener_new();
  if (!tok) {
    return 0;
  }
  obj = json_tokener_parse_ex(tok, s, (int)len);
  ok = obj && json_tokener_get_error(tok) == json_tokener_success;
#if defined(JSON_C_VERSION_NUM) && JSON_C_VERSION_NUM >= 0x000f00
  ok = ok && json_tokener_get_parse_end(tok) == len;
#endif
  json_object_put(obj);
  json_tokener_free(tok);
  return ok;
}

int cli_cmd_request(int argc, char **argv)
{
  req_state st;
  const char *method = NULL, *data = NULL, *data_file = NULL;
  const char *ca_file = NULL, *url = NULL;
  uint64_t timeout = 0, deadline = 0, follow = 0, retries = 0;
  uint64_t max_body = 0;
  int have_retries = 0, retry_safe = 0;
  int body_fd = -1, created_out = 0;
  uint64_t body_len = 0;
  off_t body_off = 0;
  char *mem_body = NULL;
  cmx_options *opts = NULL;
  cmx_engine *engine = NULL;
  cmx_request *req = NULL;
  int c, rc, ret = CLI_EXIT_USAGE;
  size_t i;

  memset(&st, 0, sizeof st);
  st.out_fd = -1;
  st.exit_code = CLI_EXIT_LOCAL;

  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":X:H:d:o:vqh", longopts, NULL)) != -1) {
    switch (c) {
    case 'X':
      method = optarg;
      break;
    case 'H':
      if (cli_headers_add(&st.headers, CMD, "-H", optarg, 0) != 0) {
        goto out;
      }
      break;
    case OPT_SECRET:
      if (cli_headers_add(&st.headers, CMD, "--secret-header", optarg, 1) !=
          0) {
        goto out;
      }
      cli_scrub_arg(optarg);
      break;
    case OPT_SECRET_ENV:
      if (cli_headers_add_env(&st.headers, CMD, "--secret-header-env",
                              optarg) != 0) {
        goto out;
      }
      break;
    case 'd':
      data = optarg;
      break;
    case OPT_DATA_FILE:
      data_file = optarg;
      break;
    case 'o':
      st.out_path = optarg;
      break;
    case OPT_TIMEOUT:
      if (cli_parse_u64(CMD, "--timeout", optarg, 1, 86400000, "milliseconds",
                        &timeout) != 0) {
        goto out;
      }
      break;
    case OPT_DEADLINE:
      if (cli_parse_u64(CMD, "--deadline", optarg, 1, 86400000, "milliseconds",
                        &deadline) != 0) {
        goto out;
      }
      break;
    case OPT_FOLLOW:
      if (cli_parse_u64(CMD, "--follow", optarg, 0, 20, "redirects",
                        &follow) != 0) {
        goto out;
      }
      break;
    case OPT_CA_FILE:
      ca_file = optarg;
      break;
    case OPT_JSON:
      st.json = 1;
      break;
    case OPT_RETRIES:
      if (cli_parse_u64(CMD, "--retries", optarg, 0, 20, "retries",
                        &retries) != 0) {
        goto out;
      }
      have_retries = 1;
      break;
    case OPT_RETRY_SAFE:
      retry_safe = 1;
      break;
    case OPT_MAX_BODY:
      if (cli_parse_u64(CMD, "--max-body", optarg, 1, (uint64_t)1 << 40,
                        "bytes", &max_body) != 0) {
        goto out;
      }
      break;
    case 'v':
      st.verbose = 1;
      break;
    case 'q':
      st.quiet = 1;
      break;
    case 'h':
      help(stdout);
      ret = CLI_EXIT_OK;
      goto out;
    case ':':
      cli_err(CMD, "option '%s' needs a value (see callmux request --help)",
              argv[optind - 1]);
      goto out;
    default:
      if (optopt) {
        cli_err(CMD, "unknown option '-%c' (see callmux request --help)",
                optopt);
      } else {
        cli_err(CMD, "unknown option '%s' (see callmux request --help)",
                argv[optind - 1]);
      }
      goto out;
    }
  }

  /* ---- checks: nothing is sent unless every one passes ---- */
  if (optind >= argc) {
    cli_err(CMD, "missing URL (usage: callmux request [options] URL)");
    goto out;
  }
  if (argc - optind > 1) {
    cli_err(CMD,
            "expected one URL, got %d arguments (quote URLs with & "
            "or spaces)",
            argc - optind);
    goto out;
  }
  url = argv[optind];
  if (!cli_url_ok(url)) {
    cli_err(CMD, "URL: must be absolute http:// or https:// with a host "
                 "and no spaces");
    goto out;
  }
  if (method && !cli_method_ok(method)) {
    cli_err(CMD, "-X: the method must be an upper-case token of 1 to 15 "
                 "letters (GET, POST, ...)");
    goto out;
  }
  if (data && data_file) {
    cli_err(CMD, "-d and --data-file: give one body, not both");
    goto out;
  }
  if (st.json && data && !is_json(data, strlen(data))) {
    cli_err(CMD, "-d: with --json the body must be valid JSON");
    goto out;
  }
  if (ca_file && access(ca_file, R_OK) != 0) {
    cli_err(CMD, "--ca-file: cannot read '%s': %s", ca_file, strerror(errno));
    goto out;
  }
  if (data_file && strcmp(data_file, "-") == 0) {
    if (read_stdin_body(&body_fd, &body_off, &body_len, &mem_body) != 0) {
      ret = CLI_EXIT_LOCAL;
      goto out;
    }
  } else if (data_file) {
    struct stat sb;
    body_fd = open(data_file, O_RDONLY | O_CLOEXEC);
    if (body_fd < 0) {
      cli_err(CMD, "--data-file: cannot open '%s': %s", data_file,
              strerror(errno));
      goto out;
    }
    if (fstat(body_fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
      cli_err(CMD, "--data-file: '%s' is not a regular file", data_file);
      goto out;
    }
    body_len = (uint64_t)sb.st_size;
  }
  if (st.out_path) {
    struct stat sb;
    created_out = stat(st.out_path, &sb) != 0;
    st.out_fd =
        open(st.out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (st.out_fd < 0) {
      cli_err(CMD, "--out: cannot open '%s' for writing: %s", st.out_path,
              strerror(errno));
      created_out = 0;
      ret = CLI_EXIT_LOCAL;
      goto out;
    }
  }
  if (!method) {
    method = (data || data_file) ? "POST" : "GET";
  }

  /* ---- engine ---- */
  ret = CLI_EXIT_LOCAL;
  opts = cmx_options_new();
  if (!opts) {
    cli_err(CMD, "out of memory");
    goto out;
  }
  cmx_options_set_user_agent(opts, "callmux/" CMX_VERSION);
  if (ca_file && (rc = cmx_options_set_ca_file(opts, ca_file)) != CMX_OK) {
    cli_err(CMD, "--ca-file: %s", cmx_strerror(rc));
    ret = CLI_EXIT_USAGE;
    goto out;
  }
  if (st.verbose) {
    cmx_options_set_log(opts, CMX_LOG_DEBUG, log_cb, &st);
  }
  engine = cmx_engine_new(NULL, opts);
  if (!engine) {
    cli_err(CMD, "could not start the engine (libcurl or libevent failed "
                 "to initialise)");
    goto out;
  }

  req = cmx_request_new(method, url);
  if (!req) {
    cli_err(CMD, "the library refused the method or URL");
    ret = CLI_EXIT_USAGE;
    goto out;
  }
  for (i = 0; i < st.headers.n; i++) {
    const cli_header *h = &st.headers.v[i];
    rc = h->secret ? cmx_request_add_secret_header(req, h->name, h->value)
                   : cmx_request_add_header(req, h->name, h->value);
    if (rc != CMX_OK) {
      cli_err(CMD, "%s '%s': %s", h->secret ? "--secret-header" : "-H",
              h->name, cmx_strerror(rc));
      ret = CLI_EXIT_USAGE;
      goto out;
    }
  }
  if (st.json && !cli_headers_has(&st.headers, "Accept")) {
    cmx_request_add_header(req, "Accept", "application/json");
  }
  if (data || data_file) {
    const char *ctype = NULL;
    if (!cli_headers_has(&st.headers, "Content-Type")) {
      if (data_file) {
        ctype = st.json ? "application/json" : "application/octet-stream";
      } else {
        ctype = is_json(data, strlen(data)) ? "application/json"
                                            : "text/plain; charset=utf-8";
      }
    }
    if (data) {
      rc = cmx_request_set_body(req, data, strlen(data), ctype);
    } else if (mem_body) {
      rc = cmx_request_set_body(req, mem_body, (size_t)body_len, ctype);
    } else {
      rc = cmx_request_set_body_file(req, body_fd, body_off, body_len, ctype);
    }
    if (rc != CMX_OK) {
      cli_err(CMD, "body: %s", cmx_strerror(rc));
      goto out;
    }
  }
  if (st.out_fd >= 0) {
    cmx_request_set_response_file(req, st.out_fd, 0);
  }
  if (max_body) {
    cmx_request_set_response_cap(req, (size_t)max_body);
  }
  if (st.json) {
    cmx_request_expect_json(req);
  }
  if (timeout) {
    cmx_request_set_timeout_ms(req, timeout);
  }
  if (deadline) {
    cmx_request_set_deadline_ms(req, deadline);
  }
  if (follow) {
    cmx_request_set_follow(req, (unsigned)follow);
  }
  if (retry_safe) {
    cmx_request_set_retry_safe(req, 1);
  }
  if (have_retries) {
    if (retries == 0) {
      cmx_request_set_no_retry(req, 1);
    } else {
      cmx_retry_policy p;
      cmx_lane *lane = cmx_engine_lane(engine, "callmux-request");
      cmx_retry_policy_default(&p);
      p.max_attempts = (unsigned)retries + 1;
      if (!lane || cmx_lane_set_retry(lane, &p) != CMX_OK ||
          cmx_request_set_lane(req, "callmux-request") != CMX_OK) {
        cli_err(CMD, "--retries: could not set the retry policy");
        goto out;
      }
    }
  }

  if (st.verbose) {
    cli_redact_printf(stderr, &st.headers, "> %s %s\n", method, url);
    for (i = 0; i < st.headers.n; i++) {
      const cli_header *h = &st.headers.v[i];
      if (h->secret) {
        fprintf(stderr, "> %s: <secret, not shown>\n", h->name);
      } else {
        cli_redact_printf(stderr, &st.headers, "> %s: %s\n", h->name,
                          h->value);
      }
    }
    if (data || data_file) {
      fprintf(stderr, "> (body: %llu bytes)\n",
              (unsigned long long)(data ? strlen(data) : body_len));
    }
  }

  rc = cmx_submit(engine, req, done_cb, &st, NULL);
  req = NULL; /* consumed either way */
  if (rc != CMX_OK) {
    cli_err(CMD, "submit failed: %s (%s)", cmx_code_name(rc),
            cmx_strerror(rc));
    ret = cli_exit_for_code(rc);
    goto out;
  }
  rc = cmx_engine_run(engine);
  if (rc != CMX_OK || !st.finished) {
    cli_err(CMD, "the engine stopped early: %s", cmx_strerror(rc));
    ret = CLI_EXIT_LOCAL;
    goto out;
  }
  ret = st.exit_code;
  if (fflush(stdout) != 0 || ferror(stdout)) {
    if (ret == CLI_EXIT_OK) {
      cli_err(CMD, "writing the body to stdout failed: %s", strerror(errno));
      ret = CLI_EXIT_LOCAL;
    }
  }

out:
  cmx_request_free(req);
  cmx_engine_free(engine);
  cmx_options_free(opts);
  if (body_fd >= 0) {
    close(body_fd);
  }
  free(mem_body);
  if (st.out_fd >= 0) {
    if (close(st.out_fd) != 0 && ret == CLI_EXIT_OK) {
      cli_err(CMD, "--out: writing '%s' failed: %s", st.out_path,
              strerror(errno));
      ret = CLI_EXIT_LOCAL;
    }
    if (ret != CLI_EXIT_OK && created_out) {
      unlink(st.out_path);
    }
  }
  cli_headers_free(&st.headers);
  return ret;
}
