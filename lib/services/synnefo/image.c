/* Synnefo module: Image (Plankton) register, get_meta, list. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "services/synnefo/internal.h"

static const char *const meta_fields[] = {
    "id",     "name",      "location",   "disk-format", "container-format",
    "size",   "checksum",  "created-at", "updated-at",  "deleted-at",
    "status", "is-public", "owner",      "is-snapshot", "description",
    NULL};

int cmx_synnefo_image_meta_add(json_object *meta, const char *name,
                               const char *value)
{
  static const char pre[] = "x-image-meta-";
  static const char ppre[] = "property-";
  const char *k;
  char *v, *key, *p;
  json_object *props;

  if (!meta || !name || !value)
    return CMX_EINVAL;
  if (strncasecmp(name, pre, sizeof(pre) - 1) != 0)
    return CMX_OK;
  k = name + sizeof(pre) - 1;
  v = cmx_synnefo_unquote(value);
  if (!v)
    return CMX_ENOMEM;
  if (strncasecmp(k, ppre, sizeof(ppre) - 1) == 0) {
    key = cmx__syn_strdup(k + sizeof(ppre) - 1);
    if (!key) {
      free(v);
      return CMX_ENOMEM;
    }
    for (p = key; *p; p++)
      *p = *p == '-' ? '_' : (char)tolower((unsigned char)*p);
    if (!json_object_object_get_ex(meta, "properties", &props)) {
      props = json_object_new_object();
      json_object_object_add(meta, "properties", props);
    }
    json_object_object_add(props, key, json_object_new_string(v));
  } else {
    key = cmx__syn_strdup(k);
    if (!key) {
      free(v);
      return CMX_ENOMEM;
    }
    for (p = key; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    json_object_object_add(meta, key, json_object_new_string(v));
  }
  free(key);
  free(v);
  return CMX_OK;
}

/* Header name of a property key as the server returns it. */
static char *prop_header(const char *key)
{
  char *h = cmx__syn_printf("x-image-meta-property-%s", key), *p;

  if (!h)
    return NULL;
  for (p = h + 22; *p; p++)
    *p = ispunct((unsigned char)*p) ? '-' : (char)tolower((unsigned char)*p);
  return h;
}

static json_object *meta_xform(const cmx_response *res, void *arg)
{
  json_object *keys = arg, *meta = json_object_new_object();
  size_t i;

  if (!meta)
    return NULL;
  json_object_object_add(meta, "properties", json_object_new_object());
  for (i = 0; meta_fields[i]; i++) {
    char name[64];
    const char *v;
    snprintf(name, sizeof(name), "x-image-meta-%s", meta_fields[i]);
    v = cmx_response_header(res, name);
    if (v)
      cmx_synnefo_image_meta_add(meta, name, v);
  }
  if (keys) {
    json_object_object_foreach(keys, k, unused)
    {
      char *h = prop_header(k);
      const char *v;
      (void)unused;
      if (!h)
        continue;
      v = cmx_response_header(res, h);
      if (v)
        cmx_synnefo_image_meta_add(meta, h, v);
      free(h);
    }
  }
  return meta;
}

static void put_keys(void *p)
{
  if (p)
    json_object_put(p);
}

static int valid_prop_key(const char *k)
{
  if (!*k)
    return 0;
  for (; *k; k++)
    if (!isalnum((unsigned char)*k) && *k != '-' && *k != '_' && *k != '.')
      return 0;
  return 1;
}

static int in_list(const char *v, const char *const *list)
{
  for (; *list; list++)
    if (strcmp(v, *list) == 0)
      return 1;
  return 0;
}

typedef struct reg_op {
  json_object *headers; /* name -> value, without the location */
  char *location;       /* NULL: build from account/container/path */
  char *container, *path;
  json_object *keys;
  cmx_synnefo_cb cb;
  void *ud;
} reg_op;

static void reg_free(reg_op *r)
{
  if (r->headers)
    json_object_put(r->headers);
  if (r->keys)
    json_object_put(r->keys);
  free(r->location);
  free(r->container);
  free(r->path);
  free(r);
}

static char *quote_segments(const char *s)
{
  /* every '/'-separated segment percent-encoded, '/' kept */
  return cmx__syn_quote(s, "/");
}

static void reg_authed(cmx_synnefo *c, const cmx_synnefo_result *ar, void *arg)
{
  reg_op *r = arg;
  cmx__syn_call_spec spec;
  char *loc = NULL, *q;
  int rc;

  if (ar->code != CMX_OK) {
    r->cb(c, ar, r->ud);
    reg_free(r);
    return;
  }
  if (r->location) {
    q = quote_segments(r->location + 9);
    loc = q ? cmx__syn_printf("pithos://%s", q) : NULL;
    free(q);
  } else {
    const char *acct = cmx_synnefo_user_uuid(c);
    char *p =
        cmx__syn_printf("%s/%s/%s", acct ? acct : "", r->container, r->path);
    q = p ? quote_segments(p) : NULL;
    loc = q ? cmx__syn_printf("pithos://%s", q) : NULL;
    free(p);
    free(q);
  }
  if (!loc) {
    cmx_synnefo_result er;
    cmx_service_error se;
    cmx__syn_result_error(&er, &se, CMX_ENOMEM, 0, "out of memory");
    r->cb(c, &er, r->ud);
    reg_free(r);
    return;
  }
  json_object_object_add(r->headers, "X-Image-Meta-Location",
                         json_object_new_string(loc));
  free(loc);
  memset(&spec, 0, sizeof(spec));
  spec.type = "image";
  spec.method = "POST";
  spec.path = cmx__syn_strdup("images/");
  spec.headers = r->headers;
  spec.accept[0] = 200;
  spec.xform = meta_xform;
  spec.xform_arg = r->keys;
  spec.xform_arg_free = put_keys;
  r->headers = NULL;
  r->keys = NULL;
  rc = cmx__syn_call(c, &spec, r->cb, r->ud);
  if (rc != CMX_OK) {
    cmx_synnefo_result er;
    cmx_service_error se;
    cmx__syn_result_error(&er, &se, rc, 0, c->err);
    r->cb(c, &er, r->ud);
  }
  reg_free(r);
}

int cmx_synnefo_image_register(cmx_synnefo *c, const cmx_synnefo_image_spec *s,
                               cmx_synnefo_cb cb, void *userdata)
{
  static const char *const disk[] = {"diskdump", "extdump", "ntfsdump", NULL};
  static const char *const cont[] = {"aki", "ari", "ami", "bare", "ovf", NULL};
  reg_op *r;
  char *q;
  int rc;

  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  if (!s)
    return cmx__syn_fail(c, CMX_EINVAL, "spec: must not be NULL");
  if (!s->name || !*s->name)
    return cmx__syn_fail(c, CMX_EINVAL, "name: must be a non-empty string");
  if (s->location) {
    const char *p = s->location + 9;
    const char *a = strchr(p, '/'), *b = a ? strchr(a + 1, '/') : NULL;
    if (strncmp(s->location, "pithos://", 9) != 0 || !a || a == p || !b ||
        b == a + 1 || !b[1])
      return cmx__syn_fail(c, CMX_EINVAL,
                           "location: must be "
                           "pithos://<account>/<container>/<path>");
  } else if (!s->container || !*s->container || !s->path || !*s->path ||
             strchr(s->container, '/')) {
    return cmx__syn_fail(c, CMX_EINVAL,
                         "location: give a pithos:// URL or container "
                         "(no '/') and path");
  }
  if (s->disk_format && !in_list(s->disk_format, disk))
    return cmx__syn_fail(c, CMX_EINVAL,
                         "disk_format: must be diskdump, extdump or ntfsdump");
  if (s->container_format && !in_list(s->container_format, cont))
    return cmx__syn_fail(c, CMX_EINVAL,
                         "container_format: must be aki, ari, ami, bare or "
                         "ovf");
  if (s->properties) {
    if (!json_object_is_type(s->properties, json_type_object))
      return cmx__syn_fail(c, CMX_EINVAL, "properties: must be an object");
    json_object_object_foreach(s->properties, k, v)
    {
      if (!valid_prop_key(k))
        return cmx__syn_fail(c, CMX_EINVAL,
                             "properties: key \"%s\" must be letters, "
                             "digits, '-', '_' or '.'",
                             k);
      if (!json_object_is_type(v, json_type_string))
        return cmx__syn_fail(c, CMX_EINVAL,
                             "properties.%s: value must be a string", k);
    }
  }
  r = calloc(1, sizeof(*r));
  if (!r)
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  r->headers = json_object_new_object();
  r->keys = json_object_new_object();
  r->cb = cb;
  r->ud = userdata;
  if (s->location)
    r->location = cmx__syn_strdup(s->location);
  else {
    r->container = cmx__syn_strdup(s->container);
    r->path = cmx__syn_strdup(s->path);
    if (s->account)
      r->location = cmx__syn_printf("pithos://%s/%s/%s", s->account,
                                    s->container, s->path);
  }
  q = cmx__syn_quote(s->name, "/");
  if (!r->headers || !r->keys || !q ||
      (!r->location && (!r->container || !r->path))) {
    free(q);
    reg_free(r);
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  }
  json_object_object_add(r->headers, "X-Image-Meta-Name",
                         json_object_new_string(q));
  free(q);
  if (s->disk_format)
    json_object_object_add(r->headers, "X-Image-Meta-Disk-Format",
                           json_object_new_string(s->disk_format));
  if (s->container_format)
    json_object_object_add(r->headers, "X-Image-Meta-Container-Format",
                           json_object_new_string(s->container_format));
  if (s->is_public)
    json_object_object_add(r->headers, "X-Image-Meta-Is-Public",
                           json_object_new_string("True"));
  if (s->properties) {
    json_object_object_foreach(s->properties, k, v)
    {
      char *h = cmx__syn_printf("X-Image-Meta-Property-%s", k);
      char *qv = cmx__syn_quote(json_object_get_string(v), "/");
      if (h && qv) {
        json_object_object_add(r->headers, h, json_object_new_string(qv));
        json_object_object_add(r->keys, k, json_object_new_int(1));
        json_object_object_add(c->known_props, k, json_object_new_int(1));
      }
      free(h);
      free(qv);
    }
  }
  rc = cmx__syn_when_auth(c, reg_authed, r);
  if (rc != CMX_OK)
    reg_free(r);
  return rc;
}

int cmx_synnefo_image_get_meta(cmx_synnefo *c, const char *image_id,
                               const char *const *property_keys,
                               cmx_synnefo_cb cb, void *userdata)
{
  cmx__syn_call_spec spec;
  json_object *keys = NULL;

  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  if (!image_id || !*image_id || strchr(image_id, '/'))
    return cmx__syn_fail(c, CMX_EINVAL,
                         "image_id: must be non-empty, without '/'");
  if (json_object_deep_copy(c->known_props, &keys, NULL) != 0)
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  for (; property_keys && *property_keys; property_keys++)
    json_object_object_add(keys, *property_keys, json_object_new_int(1));
  memset(&spec, 0, sizeof(spec));
  spec.type = "image";
  spec.method = "HEAD";
  spec.path = cmx__syn_printf("images/%s", image_id);
  spec.accept[0] = 200;
  spec.xform = meta_xform;
  spec.xform_arg = keys;
  spec.xform_arg_free = put_keys;
  return cmx__syn_call(c, &spec, cb, userdata);
}

int cmx_synnefo_image_list(cmx_synnefo *c, cmx_synnefo_cb cb, void *userdata)
{
  cmx__syn_call_spec spec;

  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  memset(&spec, 0, sizeof(spec));
  spec.type = "image";
  spec.method = "GET";
  spec.path = cmx__syn_strdup("images/detail");
  spec.accept[0] = 200;
  spec.unwrap = "images";
  spec.want_json = 1;
  return cmx__syn_call(c, &spec, cb, userdata);
}
