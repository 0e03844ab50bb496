/* Synnefo module: Pithos containers, listings and object deletion. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/synnefo/internal.h"

int cmx__syn_container_ok(cmx_synnefo *c, const char *container)
{
  if (!container || !*container || strchr(container, '/'))
    return cmx__syn_fail(c, CMX_EINVAL,
                         "container: must be non-empty, without '/'");
  return CMX_OK;
}

int cmx__syn_object_ok(cmx_synnefo *c, const char *object)
{
  if (!object || !*object)
    return cmx__syn_fail(c, CMX_EINVAL, "object: must be non-empty");
  return CMX_OK;
}

static long long hdr_ll(const cmx_response *res, const char *name)
{
  const char *v = cmx_response_header(res, name);
  return v ? atoll(v) : 0;
}

static json_object *info_xform(const cmx_response *res, void *arg)
{
  json_object *o = json_object_new_object();
  const char *h = cmx_response_header(res, "x-container-block-hash");

  (void)arg;
  if (!o)
    return NULL;
  json_object_object_add(
      o, "block_size",
      json_object_new_int64(hdr_ll(res, "x-container-block-size")));
  json_object_object_add(o, "block_hash", json_object_new_string(h ? h : ""));
  json_object_object_add(
      o, "object_count",
      json_object_new_int64(hdr_ll(res, "x-container-object-count")));
  json_object_object_add(
      o, "bytes_used",
      json_object_new_int64(hdr_ll(res, "x-container-bytes-used")));
  return o;
}

static void spec_path(cmx__syn_call_spec *spec, const char *account,
                      const char *rest)
{
  if (account) {
    spec->path = cmx__syn_printf("%s/%s", account, rest);
  } else {
    spec->path = cmx__syn_strdup(rest);
    spec->user_prefix = 1;
  }
}

int cmx_synnefo_container_info(cmx_synnefo *c, const char *account,
                               const char *container, cmx_synnefo_cb cb,
                               void *userdata)
{
  cmx__syn_call_spec spec;

  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  if (cmx__syn_container_ok(c, container) != CMX_OK)
    return CMX_EINVAL;
  memset(&spec, 0, sizeof(spec));
  spec.type = "object-store";
  spec.method = "HEAD";
  spec_path(&spec, account, container);
  spec.accept[0] = 204;
  spec.xform = info_xform;
  if (!spec.path)
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  return cmx__syn_call(c, &spec, cb, userdata);
}

static int container_call(cmx_synnefo *c, const char *method,
                          const char *container, int a1, int a2,
                          cmx_synnefo_cb cb, void *userdata)
{
  cmx__syn_call_spec spec;

  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  if (cmx__syn_container_ok(c, container) != CMX_OK)
    return CMX_EINVAL;
  memset(&spec, 0, sizeof(spec));
  spec.type = "object-store";
  spec.method = method;
  spec_path(&spec, NULL, container);
  spec.accept[0] = a1;
  spec.accept[1] = a2;
  if (!spec.path)
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  return cmx__syn_call(c, &spec, cb, userdata);
}

int cmx_synnefo_create_container(cmx_synnefo *c, const char *container,
                                 cmx_synnefo_cb cb, void *userdata)
{
  return container_call(c, "PUT", container, 201, 202, cb, userdata);
}

int cmx_synnefo_delete_container(cmx_synnefo *c, const char *container,
                                 cmx_synnefo_cb cb, void *userdata)
{
  return container_call(c, "DELETE", container, 204, 0, cb, userdata);
}

int cmx_synnefo_delete_object(cmx_synnefo *c, const char *container,
                              const char *object, cmx_synnefo_cb cb,
                              void *userdata)
{
  cmx__syn_call_spec spec;
  char *rest;

  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  if (cmx__syn_container_ok(c, container) != CMX_OK ||
      cmx__syn_object_ok(c, object) != CMX_OK)
    return CMX_EINVAL;
  rest = cmx__syn_printf("%s/%s", container, object);
  if (!rest)
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  memset(&spec, 0, sizeof(spec));
  spec.type = "object-store";
  spec.method = "DELETE";
  spec_path(&spec, NULL, rest);
  free(rest);
  spec.accept[0] = 204;
  if (!spec.path)
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  return cmx__syn_call(c, &spec, cb, userdata);
}

/* ---- listing, every page by marker ----------------------------------- */

typedef struct list_op {
  char *container, *prefix;
  unsigned limit;
  json_object *all;
  cmx_synnefo_cb cb;
  void *ud;
} list_op;

static int list_page(cmx_synnefo *c, list_op *l, const char *marker);

static void list_end(cmx_synnefo *c, list_op *l, const cmx_synnefo_result *r)
{
  l->cb(c, r, l->ud);
  json_object_put(l->all);
  free(l->container);
  free(l->prefix);
  free(l);
}

static void list_got(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  list_op *l = ud;
  cmx_synnefo_result out;
  cmx_service_error se;
  size_t i, n = 0;
  const char *last = NULL;
  unsigned page_max = l->limit ? l->limit : 10000;
  int rc;

  if (r->code != CMX_OK) {
    if (r->http_status == 404) {
      cmx__syn_result_error(&out, &se, r->code, 404,
                            "Invalid account for that container");
      if (r->error)
        se = *r->error, se.message = "Invalid account for that container";
      list_end(c, l, &out);
    } else {
      list_end(c, l, r);
    }
    return;
  }
  if (r->json && json_object_is_type(r->json, json_type_array)) {
    n = json_object_array_length(r->json);
    for (i = 0; i < n; i++) {
      json_object *e = json_object_array_get_idx(r->json, i), *nm;
      json_object_array_add(l->all, json_object_get(e));
      if (json_object_object_get_ex(e, "name", &nm) ||
          json_object_object_get_ex(e, "subdir", &nm))
        last = json_object_get_string(nm);
    }
  }
  if (n >= page_max && last) {
    rc = list_page(c, l, last);
    if (rc != CMX_OK) {
      cmx__syn_result_error(&out, &se, rc, 0, c->err);
      list_end(c, l, &out);
    }
    return;
  }
  memset(&out, 0, sizeof(out));
  out.detail = "";
  out.http_status = r->http_status;
  out.json = l->all;
  list_end(c, l, &out);
}

static int list_page(cmx_synnefo *c, list_op *l, const char *marker)
{
  cmx__syn_call_spec spec;
  char num[32];

  memset(&spec, 0, sizeof(spec));
  spec.type = "object-store";
  spec.method = "GET";
  spec_path(&spec, NULL, l->container);
  spec.query = json_object_new_object();
  if (!spec.path || !spec.query) {
    free(spec.path);
    json_object_put(spec.query);
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  }
  json_object_object_add(spec.query, "format", json_object_new_string("json"));
  if (l->limit) {
    snprintf(num, sizeof(num), "%u", l->limit);
    json_object_object_add(spec.query, "limit", json_object_new_string(num));
  }
  if (marker)
    json_object_object_add(spec.query, "marker",
                           json_object_new_string(marker));
  if (l->prefix)
    json_object_object_add(spec.query, "prefix",
                           json_object_new_string(l->prefix));
  spec.accept[0] = 200;
  spec.accept[1] = 204;
  spec.accept[2] = 304;
  spec.want_json = 1;
  return cmx__syn_call(c, &spec, list_got, l);
}

int cmx_synnefo_list_objects(cmx_synnefo *c, const char *container,
                             const char *prefix, unsigned page_limit,
                             cmx_synnefo_cb cb, void *userdata)
{
  list_op *l;
  int rc;

  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  if (cmx__syn_container_ok(c, container) != CMX_OK)
    return CMX_EINVAL;
  if (page_limit > 10000)
    return cmx__syn_fail(c, CMX_EINVAL, "page_limit: must be 0..10000");
  l = calloc(1, sizeof(*l));
  if (!l)
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  l->container = cmx__syn_strdup(container);
  l->prefix = prefix ? cmx__syn_strdup(prefix) : NULL;
  l->all = json_object_new_array();
  l->limit = page_limit;
  l->cb = cb;
  l->ud = userdata;
  if (!l->container || !l->all || (prefix && !l->prefix)) {
    rc = cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
    goto fail;
  }
  rc = list_page(c, l, NULL);
  if (rc == CMX_OK)
    return rc;
fail:
  json_object_put(l->all);
  free(l->container);
  free(l->prefix);
  free(l);
  return rc;
}
