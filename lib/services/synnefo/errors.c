/* Synnefo module: kamaki's ClientError built from Synnefo fault bodies. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/synnefo/internal.h"

const char *cmx_synnefo_reason(long status)
{
  switch (status) {
  case 200:
    return "OK";
  case 201:
    return "Created";
  case 202:
    return "Accepted";
  case 204:
    return "No Content";
  case 206:
    return "Partial Content";
  case 304:
    return "Not Modified";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 409:
    return "Conflict";
  case 411:
    return "Length Required";
  case 412:
    return "Precondition Failed";
  case 413:
    return "Request Entity Too Large";
  case 415:
    return "Unsupported Media Type";
  case 416:
    return "Requested Range Not Satisfiable";
  case 421:
    return "Misdirected Request";
  case 422:
    return "Unprocessable Entity";
  case 429:
    return "Too Many Requests";
  case 500:
    return "Internal Server Error";
  case 501:
    return "Not Implemented";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  default:
    return "";
  }
}

void cmx_synnefo_fault_clear(cmx_synnefo_fault *f)
{
  size_t i;

  if (!f)
    return;
  free(f->message);
  free(f->kind);
  for (i = 0; i < f->ndetails; i++)
    free(f->details[i]);
  memset(f, 0, sizeof(*f));
}

/* Drop trailing newlines and spaces kamaki trims. */
static void rtrim(char *s)
{
  size_t n = strlen(s);

  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
    s[--n] = 0;
}

int cmx_synnefo_fault_parse(long http_status, const char *reason,
                            const char *body, size_t len,
                            cmx_synnefo_fault *out)
{
  const char *brace;
  char *text;
  json_object *j = NULL;

  memset(out, 0, sizeof(*out));
  if (!reason)
    reason = cmx_synnefo_reason(http_status);
  if (!body)
    len = 0;
  text = malloc(len + 1);
  if (!text)
    return CMX_ENOMEM;
  if (len)
    memcpy(text, body, len);
  text[len] = 0;
  out->status = http_status;
  brace = strchr(text, '{');
  if (brace) {
    json_tokener *tok = json_tokener_new();
    if (tok) {
      j = json_tokener_parse_ex(tok, brace, (int)strlen(brace));
      if (json_tokener_get_error(tok) != json_tokener_success) {
        if (j)
          json_object_put(j);
        j = NULL;
      }
      json_tokener_free(tok);
    }
  }
  if (j && json_object_is_type(j, json_type_object)) {
    struct json_object_iterator it = json_object_iter_begin(j);
    struct json_object_iterator end = json_object_iter_end(j);
    if (!json_object_iter_equal(&it, &end)) {
      const char *key = json_object_iter_peek_name(&it);
      json_object *inner = json_object_iter_peek_value(&it);
      json_object *m = NULL, *code = NULL, *det = NULL;
      if (json_object_is_type(inner, json_type_object)) {
        json_object_object_get_ex(inner, "message", &m);
        json_object_object_get_ex(inner, "code", &code);
        json_object_object_get_ex(inner, "details", &det);
      }
      out->kind = cmx__syn_strdup(key);
      if (m)
        out->message = cmx__syn_printf("%s %s (%s)", reason, key,
                                       json_object_get_string(m));
      else
        out->message = cmx__syn_printf("%s %s", reason, key);
      if (code)
        out->status = json_object_get_int(code);
      if (det && json_object_is_type(det, json_type_string)) {
        if (json_object_get_string_len(det) > 0)
          out->details[out->ndetails++] =
              cmx__syn_strdup(json_object_get_string(det));
      } else if (det && json_object_is_type(det, json_type_array)) {
        size_t i, n = json_object_array_length(det);
        for (i = 0; i < n && out->ndetails < 4; i++) {
          const char *s =
              json_object_get_string(json_object_array_get_idx(det, i));
          if (s && *s)
            out->details[out->ndetails++] = cmx__syn_strdup(s);
        }
      } else if (det && !json_object_is_type(det, json_type_null)) {
        const char *s = json_object_to_json_string(det);
        if (s && *s && strcmp(s, "false") != 0 && strcmp(s, "0") != 0)
          out->details[out->ndetails++] = cmx__syn_strdup(s);
      }
    }
  }
  if (j)
    json_object_put(j);
  if (!out->message)
    out->message = cmx__syn_printf("%s %s", reason, text);
  free(text);
  if (!out->message) {
    cmx_synnefo_fault_clear(out);
    return CMX_ENOMEM;
  }
  rtrim(out->message);
  return CMX_OK;
}

/* An array of `n` pointers in memory owned by the response. */
static const char **response_array(const cmx_response *res, size_t n)
{
  char fill[4 * sizeof(char *) + 1];
  size_t bytes = n * sizeof(char *);

  memset(fill, 'x', bytes);
  fill[bytes] = 0;
  return (const char **)(void *)cmx_response_strdup(res, fill);
}

void cmx_synnefo_error_parser(const cmx_response *res, cmx_service_error *out)
{
  cmx_synnefo_fault f;
  size_t len = 0, i;
  const char *body = cmx_response_body(res, &len);
  long status = cmx_response_status(res);

  out->status = status;
  out->kind = NULL;
  out->message = "";
  out->details = NULL;
  out->ndetails = 0;
  if (cmx_synnefo_fault_parse(status, NULL, body, len, &f) != CMX_OK)
    return;
  out->status = f.status;
  out->kind = f.kind ? cmx_response_strdup(res, f.kind) : NULL;
  out->message = cmx_response_strdup(res, f.message);
  if (!out->message)
    out->message = "";
  if (f.ndetails) {
    const char **arr = response_array(res, f.ndetails);
    if (arr) {
      for (i = 0; i < f.ndetails; i++) {
        arr[i] = cmx_response_strdup(res, f.details[i]);
        if (!arr[i])
          arr[i] = "";
      }
      out->details = arr;
      out->ndetails = f.ndetails;
    }
  }
  cmx_synnefo_fault_clear(&f);
}

void cmx__syn_astakos_error_parser(const cmx_response *res,
                                   cmx_service_error *out)
{
  size_t len = 0;
  const char *body = cmx_response_body(res, &len);
  const char *reason;
  const char **arr;

  cmx_synnefo_error_parser(res, out); /* fills kind from the fault body */
  out->status = cmx_response_status(res);
  reason = cmx_synnefo_reason(out->status);
  out->message = reason[0] ? reason : "Astakos error";
  out->details = NULL;
  out->ndetails = 0;
  if (len > 0 && (arr = response_array(res, 1)) != NULL) {
    arr[0] = cmx_response_strdup(res, body);
    if (arr[0]) {
      out->details = arr;
      out->ndetails = 1;
    }
  }
}
