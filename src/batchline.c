/*
 * callmux tool: parsing one batch input line (sans-I/O).
 *
 *   METHOD URL [@bodyfile | JSON-or-text body]
 *
 * Fields are separated by spaces or tabs; the body is the rest of the line
 * after the URL and its separating blanks, trailing blanks removed.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"

static int blank(char c)
{
  return c == ' ' || c == '\t';
}

static int json_ok(const char *s, size_t len, char *err, size_t errlen)
{
  struct json_tokener *tok = json_tokener_new();
  struct json_object *obj;
  enum json_tokener_error jerr;
  size_t end;

  if (!tok) {
    snprintf(err, errlen, "out of memory");
    return 0;
  }
  obj = json_tokener_parse_ex(tok, s, (int)len);
  jerr = json_tokener_get_error(tok);
#if defined(JSON_C_VERSION_NUM) && JSON_C_VERSION_NUM >= 0x000f00
  end = json_tokener_get_parse_end(tok);
#else
  end = (size_t)tok->char_offset;
#endif
  json_tokener_free(tok);
  if (obj) {
    json_object_put(obj);
  }
  if (!obj || jerr != json_tokener_success) {
    snprintf(err, errlen, "body starts with '%c' but is not valid JSON (%s)",
             s[0],
             jerr == json_tokener_continue ? "incomplete"
                                           : json_tokener_error_desc(jerr));
    return 0;
  }
  if (end < len) {
    snprintf(err, errlen,
             "body is JSON followed by extra text at column "
             "%zu of the body",
             end + 1);
    return 0;
  }
  return 1;
}

int cli_line_parse(char *line, size_t len, cli_line *out, char *err,
                   size_t errlen)
{
  size_t i = 0, mstart, mend, ustart, uend;

  memset(out, 0, sizeof *out);
  if (memchr(line, '\0', len)) {
    snprintf(err, errlen, "line contains a NUL byte");
    return -1;
  }
  while (len > 0 && (line[len - 1] == '\r' || blank(line[len - 1]))) {
    len--;
  }
  line[len] = '\0';
  while (i < len && blank(line[i])) {
    i++;
  }
  if (i == len || line[i] == '#') {
    return 0;
  }

  mstart = i;
  while (i < len && !blank(line[i])) {
    i++;
  }
  mend = i;
  while (i < len && blank(line[i])) {
    i++;
  }
  ustart = i;
  while (i < len && !blank(line[i])) {
    i++;
  }
  uend = i;
  while (i < len && blank(line[i])) {
    i++;
  }
  line[mend] = '\0';
  line[uend] = '\0';
  out->method = line + mstart;
  out->url = line + ustart;

  if (mend - mstart > 15) {
    /* not echoed: it could be anything, even a secret pasted by mistake */
    snprintf(err, errlen,
             "method is longer than 15 letters (expected "
             "'METHOD URL [body]')");
    return -1;
  }
  if (!cli_method_ok(out->method)) {
    snprintf(err, errlen,
             "method '%s' must be an upper-case token of "
             "1 to 15 letters (GET, POST, ...)",
             out->method);
    return -1;
  }
  if (ustart == uend) {
    snprintf(err, errlen,
             "missing URL after the method (expected "
             "'METHOD URL [body]')");
    return -1;
  }
  if (!cli_url_ok(out->url)) {
    snprintf(err, errlen,
             "URL must be absolute http:// or https:// with a "
             "host");
    return -1;
  }
  if (i == len) {
    out->kind = CLI_BODY_NONE;
    return 1;
  }
  out->body = line + i;
  out->body_len = len - i;
  if (out->body[0] == '@') {
    out->body++;
    out->body_len--;
    if (out->body_len == 0) {
      snprintf(err, errlen, "'@' must be followed by a file path");
      return -1;
    }
    out->kind = CLI_BODY_FILE;
  } else if (out->body[0] == '{' || out->body[0] == '[') {
    if (!json_ok(out->body, out->body_len, err, errlen)) {
      return -1;
    }
    out->kind = CLI_BODY_JSON;
  } else {
    out->kind = CLI_BODY_TEXT;
  }
  return 1;
}
