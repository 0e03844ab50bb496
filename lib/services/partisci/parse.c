/*
 * Partisci, sans-I/O: parsing the REST API's bodies into typed results and
 * its error bodies into messages.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "services/partisci/partisci-int.h"

/* Parse body as JSON; NULL with a detail when it is not JSON. */
static json_object *parse_json(const char *body, size_t len, char *errbuf,
                               size_t errlen)
{
  json_tokener *tok;
  json_object *obj;

  if (!body || len == 0) {
    cmx__partisci_err(errbuf, errlen, "empty body where JSON was expected");
    return NULL;
  }
  tok = json_tokener_new();
  if (!tok) {
    cmx__partisci_err(errbuf, errlen, "out of memory");
    return NULL;
  }
  obj = json_tokener_parse_ex(tok, body, (int)len);
  if (!obj || json_tokener_get_error(tok) != json_tokener_success) {
    json_object_put(obj);
    obj = NULL;
    cmx__partisci_err(errbuf, errlen, "body is not JSON");
  }
  json_tokener_free(tok);
  return obj;
}

/* The "data" array of {"data":[...]}; NULL (detail set) otherwise. */
static json_object *data_array(json_object *root, char *errbuf, size_t errlen)
{
  json_object *data;

  if (!json_object_is_type(root, json_type_object) ||
      !json_object_object_get_ex(root, "data", &data) ||
      !json_object_is_type(data, json_type_array)) {
    cmx__partisci_err(errbuf, errlen,
                      "expected {\"data\":[...]} from the server");
    return NULL;
  }
  return data;
}

/* A copy of a string member ("" when absent or null); NULL on ENOMEM or
 * when the member is of another type (*bad set). */
static char *str_member(json_object *o, const char *key, int *bad)
{
  json_object *v;
  const char *s = "";
  char *out;

  if (json_object_object_get_ex(o, key, &v) && v) {
    if (!json_object_is_type(v, json_type_string)) {
      *bad = 1;
      return NULL;
    }
    s = json_object_get_string(v);
  }
  out = strdup(s);
  if (!out)
    *bad = 1;
  return out;
}

static int64_t int_member(json_object *o, const char *key, int64_t dflt,
                          int *bad)
{
  json_object *v;

  if (!json_object_object_get_ex(o, key, &v) || !v)
    return dflt;
  if (!json_object_is_type(v, json_type_int)) {
    *bad = 1;
    return dflt;
  }
  return json_object_get_int64(v);
}

void cmx_partisci_versions_free(cmx_partisci_version *v, size_t n)
{
  size_t i;

  for (i = 0; v && i < n; i++) {
    free(v[i].app_id);
    free(v[i].app);
    free(v[i].ver);
    free(v[i].host);
    free(v[i].host_ip);
  }
  free(v);
}

void cmx_partisci_apps_free(cmx_partisci_app *a, size_t n)
{
  size_t i;

  for (i = 0; a && i < n; i++) {
    free(a[i].app_id);
    free(a[i].app);
  }
  free(a);
}

void cmx_partisci_hosts_free(cmx_partisci_host *h, size_t n)
{
  size_t i;

  for (i = 0; h && i < n; i++)
    free(h[i].host);
  free(h);
}

void cmx_partisci_info_clear(cmx_partisci_info *info)
{
  if (!info)
    return;
  free(info->version);
  free(info->go_version);
  info->version = info->go_version = NULL;
}

/* Shared walk over {"data":[objects]}: `fill` parses item i. */
typedef int (*fill_fn)(json_object *item, void *arr, size_t i);

static int parse_list(const char *body, size_t len, size_t elsize,
                      fill_fn fill, void (*release)(void *, size_t),
                      void **out, size_t *n, const char *what, char *errbuf,
                      size_t errlen)
{
  json_object *root, *data;
  size_t count, i;
  void *arr = NULL;

  *out = NULL;
  *n = 0;
  root = parse_json(body, len, errbuf, errlen);
  if (!root)
    return CMX_EPROTO;
  data = data_array(root, errbuf, errlen);
  if (!data) {
    json_object_put(root);
    return CMX_EPROTO;
  }
  count = json_object_array_length(data);
  if (count > 0) {
    arr = calloc(count, elsize);
    if (!arr) {
      json_object_put(root);
      cmx__partisci_err(errbuf, errlen, "out of memory");
      return CMX_ENOMEM;
    }
  }
  for (i = 0; i < count; i++) {
    json_object *item = json_object_array_get_idx(data, i);

    if (!json_object_is_type(item, json_type_object) ||
        fill(item, arr, i) != 0) {
      release(arr, count);
      json_object_put(root);
      cmx__partisci_err(errbuf, errlen,
                        "%s entry %zu: not the expected object", what, i);
      return CMX_EPROTO;
    }
  }
  json_object_put(root);
  *out = arr;
  *n = count;
  return CMX_OK;
}

static int fill_version(json_object *o, void *arr, size_t i)
{
  cmx_partisci_version *v = (cmx_partisci_version *)arr + i;
  int bad = 0;
  int64_t inst;

  v->app_id = str_member(o, "app_id", &bad);
  v->app = str_member(o, "app", &bad);
  v->ver = str_member(o, "ver", &bad);
  v->host = str_member(o, "host", &bad);
  v->host_ip = str_member(o, "host_ip", &bad);
  inst = int_member(o, "instance", 0, &bad);
  if (inst < 0 || inst > 65535)
    bad = 1;
  v->instance = (unsigned)inst;
  v->last_update = int_member(o, "last_update", 0, &bad);
  return bad ? -1 : 0;
}

static int fill_app(json_object *o, void *arr, size_t i)
{
  cmx_partisci_app *a = (cmx_partisci_app *)arr + i;
  int bad = 0;

  a->app_id = str_member(o, "app_id", &bad);
  a->app = str_member(o, "app", &bad);
  a->last_update = int_member(o, "last_update", 0, &bad);
  a->host_count = (long)int_member(o, "host_count", -1, &bad);
  return bad ? -1 : 0;
}

static int fill_host(json_object *o, void *arr, size_t i)
{
  cmx_partisci_host *h = (cmx_partisci_host *)arr + i;
  int bad = 0;

  h->host = str_member(o, "host", &bad);
  h->last_update = int_member(o, "last_update", 0, &bad);
  h->app_count = (long)int_member(o, "app_count", -1, &bad);
  return bad ? -1 : 0;
}

static void rel_versions(void *a, size_t n)
{
  cmx_partisci_versions_free(a, n);
}

static void rel_apps(void *a, size_t n)
{
  cmx_partisci_apps_free(a, n);
}

static void rel_hosts(void *a, size_t n)
{
  cmx_partisci_hosts_free(a, n);
}

int cmx_partisci_parse_versions(const char *body, size_t len,
                                cmx_partisci_version **out, size_t *n,
                                char *errbuf, size_t errlen)
{
  void *arr;
  int rc;

  if (!out || !n)
    return CMX_EINVAL;
  rc = parse_list(body, len, sizeof(cmx_partisci_version), fill_version,
                  rel_versions, &arr, n, "version", errbuf, errlen);
  *out = arr;
  return rc;
}

int cmx_partisci_parse_apps(const char *body, size_t len,
                            cmx_partisci_app **out, size_t *n, char *errbuf,
                            size_t errlen)
{
  void *arr;
  int rc;

  if (!out || !n)
    return CMX_EINVAL;
  rc = parse_list(body, len, sizeof(cmx_partisci_app), fill_app, rel_apps,
                  &arr, n, "app", errbuf, errlen);
  *out = arr;
  return rc;
}

int cmx_partisci_parse_hosts(const char *body, size_t len,
                             cmx_partisci_host **out, size_t *n, char *errbuf,
                             size_t errlen)
{
  void *arr;
  int rc;

  if (!out || !n)
    return CMX_EINVAL;
  rc = parse_list(body, len, sizeof(cmx_partisci_host), fill_host, rel_hosts,
                  &arr, n, "host", errbuf, errlen);
  *out = arr;
  return rc;
}

int cmx_partisci_parse_info(const char *body, size_t len, cmx_partisci_era era,
                            cmx_partisci_info *out, char *errbuf,
                            size_t errlen)
{
  json_object *root;
  int bad = 0;

  if (!out)
    return CMX_EINVAL;
  memset(out, 0, sizeof(*out));
  root = parse_json(body, len, errbuf, errlen);
  if (!root)
    return CMX_EPROTO;
  if (!json_object_is_type(root, json_type_object) ||
      !json_object_object_get_ex(root, "version", NULL)) {
    json_object_put(root);
    cmx__partisci_err(errbuf, errlen,
                      "expected {\"version\":...} from the server");
    return CMX_EPROTO;
  }
  out->era = era;
  out->version = str_member(root, "version", &bad);
  if (era == CMX_PARTISCI_ERA_LATER &&
      json_object_object_get_ex(root, "go_version", NULL))
    out->go_version = str_member(root, "go_version", &bad);
  json_object_put(root);
  if (bad) {
    cmx_partisci_info_clear(out);
    cmx__partisci_err(errbuf, errlen, "version: not a string");
    return CMX_EPROTO;
  }
  return CMX_OK;
}

char *cmx_partisci_error_message(const char *body, size_t len)
{
  json_object *root, *err;
  char *out;

  if (!body)
    len = 0;
  root = len ? parse_json(body, len, NULL, 0) : NULL;
  if (root && json_object_is_type(root, json_type_object) &&
      json_object_object_get_ex(root, "error", &err) &&
      json_object_is_type(err, json_type_string)) {
    out = strdup(json_object_get_string(err));
    json_object_put(root);
    return out;
  }
  json_object_put(root);
  while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r' ||
                     body[len - 1] == ' ' || body[len - 1] == '\t'))
    len--;
  out = malloc(len + 1);
  if (!out)
    return NULL;
  if (len)
    memcpy(out, body, len);
  out[len] = '\0';
  return out;
}

void cmx__partisci_error_parser(const cmx_response *res,
                                cmx_service_error *out)
{
  size_t len;
  const char *body = cmx_response_body(res, &len);
  char *msg = cmx_partisci_error_message(body, len);

  out->status = cmx_response_status(res);
  out->kind = NULL;
  if (msg) {
    out->message = cmx_response_strdup(res, msg);
    free(msg);
  }
  if (!out->message)
    out->message = "";
}
