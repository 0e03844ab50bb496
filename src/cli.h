/*
 * callmux command-line tool: helpers shared by its commands.
 *
 * The tool is built only on the public API (include/callmux/).  Names here
 * are `cli_`: they belong to this program, not to the library.
 */
#ifndef CMX_CLI_H
#define CMX_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes (documented in `callmux help` and the README). */
enum {
  CLI_EXIT_OK = 0,        /* every call succeeded */
  CLI_EXIT_SERVICE = 1,   /* a service answered with an error status
                             (batch: at least one call or line failed) */
  CLI_EXIT_USAGE = 2,     /* bad command line; nothing was sent */
  CLI_EXIT_TRANSPORT = 3, /* connection, TLS, timeout or deadline */
  CLI_EXIT_RESPONSE = 4,  /* response unusable: not JSON, too big, ... */
  CLI_EXIT_LOCAL = 5,     /* local failure: files, memory, internal */
  CLI_EXIT_INTERRUPTED = 130
};

/** Exit code for a cmx code of a finished call. */
int cli_exit_for_code(int code);

/* ---- commands ------------------------------------------------------ */

int cli_cmd_request(int argc, char **argv);
int cli_cmd_batch(int argc, char **argv);

/* ---- argument checks (args.c) -------------------------------------- */

/** Print "callmux CMD: " + message + "\n" on stderr. */
void cli_err(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * Parse `s` as a whole decimal number within [min, max].  On failure print
 * "callmux CMD: FLAG: expected ... from MIN to MAX UNIT, got 'S'" and
 * return -1.
 */
int cli_parse_u64(const char *cmd, const char *flag, const char *s,
                  uint64_t min, uint64_t max, const char *unit, uint64_t *out);
/** A decimal number > 0 and <= max (rates). */
int cli_parse_rate(const char *cmd, const char *flag, const char *s,
                   double max, double *out);

/** One "Name: value" header; both strings are malloc'd. */
typedef struct cli_header {
  char *name;
  char *value;
  int secret;
} cli_header;

typedef struct cli_headers {
  cli_header *v;
  size_t n, cap;
} cli_headers;

/**
 * Split "Name: value" (spaces after the colon skipped) and append it.
 * The name must be an HTTP token, the value must not hold CR or LF.
 * Error messages never echo the value (it may be a secret).  Returns 0, or
 * -1 after printing a message naming `flag`.
 */
int cli_headers_add(cli_headers *h, const char *cmd, const char *flag,
                    const char *text, int secret);
/** "Name: VAR": the value is read from the environment variable VAR. */
int cli_headers_add_env(cli_headers *h, const char *cmd, const char *flag,
                        const char *text);
/** Is `name` (case-insensitive) among the headers? */
int cli_headers_has(const cli_headers *h, const char *name);
void cli_headers_free(cli_headers *h);

/** Is `s` an upper-case HTTP method token of at most 15 characters? */
int cli_method_ok(const char *s);
/** Does `s` start with http:// or https:// and contain no whitespace or
 *  control characters? */
int cli_url_ok(const char *s);
/** Is `s` a usable lane name (1..200 printable characters, no spaces)? */
int cli_lane_ok(const char *s);

/**
 * Best-effort: overwrite the value part of a secret header given on the
 * command line in the process's own argv, so it does not linger in
 * /proc/PID/cmdline.
 */
void cli_scrub_arg(char *arg);

/* ---- output (output.c) --------------------------------------------- */

/** Write `s` (len bytes) as a JSON string, quotes included. */
void cli_json_str(FILE *f, const char *s, size_t len);

/**
 * Write `len` bytes of `s` to `f`, replacing every occurrence of a secret
 * header's value by "***".  Used for everything printed on stderr.
 */
void cli_redact_write(FILE *f, const cli_headers *h, const char *s,
                      size_t len);
/** printf-like with redaction. */
void cli_redact_printf(FILE *f, const cli_headers *h, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Redacted copy of `s` (malloc'd), NULL on ENOMEM. */
char *cli_redact_dup(const cli_headers *h, const char *s);

/** Milliseconds on CLOCK_MONOTONIC. */
uint64_t cli_now_ms(void);

/* ---- batch input lines (batchline.c, sans-I/O) --------------------- */

typedef enum cli_body_kind {
  CLI_BODY_NONE = 0,
  CLI_BODY_TEXT, /* the rest of the line, sent as text/plain */
  CLI_BODY_JSON, /* the rest of the line, valid JSON */
  CLI_BODY_FILE  /* "@path": the file's bytes, streamed */
} cli_body_kind;

typedef struct cli_line {
  const char *method; /* points into the parsed line */
  const char *url;
  cli_body_kind kind;
  const char *body; /* text, JSON or the path; NULL for NONE */
  size_t body_len;
} cli_line;

/**
 * Parse one input line `METHOD URL [@bodyfile | JSON-or-text body]` in
 * place (NULs are written into `line`; a trailing CR is dropped).
 * Returns 1 when it is a call, 0 for a blank line or a `#` comment, and -1
 * with a message in `err` (without the line number) when it is invalid.
 * A body that starts with '{' or '[' must be valid JSON.
 */
int cli_line_parse(char *line, size_t len, cli_line *out, char *err,
                   size_t errlen);

#endif /* CMX_CLI_H */
