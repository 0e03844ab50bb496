/*
 * Kentik module: parsers of the batch status, site and device objects.
 * Strings are borrowed from the json_object.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "kentik-int.h"

static struct json_object *key(struct json_object *o, const char *k)
{
  struct json_object *v = NULL;

  if (!o || !json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, k, &v))
    return NULL;
  return v;
}

/* Integer from a number or a numeric string; 0 when missing. */
static int get_long(struct json_object *o, const char *k, long *out)
{
  struct json_object *v = key(o, k);
  const char *s;
  char *end;

  if (!v)
    return 0;
  if (json_object_is_type(v, json_type_int) ||
      json_object_is_type(v, json_type_double)) {
    *out = (long)json_object_get_int64(v);
    return 1;
  }
  if (json_object_is_type(v, json_type_string)) {
    s = json_object_get_string(v);
    *out = strtol(s, &end, 10);
    return *s && !*end;
  }
  return 0;
}

static int get_bool(struct json_object *o, const char *k, int *out)
{
  struct json_object *v = key(o, k);

  if (!v || !json_object_is_type(v, json_type_boolean))
    return 0;
  *out = json_object_get_boolean(v);
  return 1;
}

static const char *get_str(struct json_object *o, const char *k)
{
  struct json_object *v = key(o, k);

  if (!v || !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

#define NEED(cond, what)                                                      \
  do {                                                                        \
    if (!(cond)) {                                                            \
      cmx__kentik_err(err, errlen, "status: missing or bad '%s'", what);      \
      return CMX_EPROTO;                                                      \
    }                                                                         \
  } while (0)

int cmx_kentik_status_parse(struct json_object *obj, cmx_kentik_status *st,
                            char *err, size_t errlen)
{
  struct json_object *u, *d, *r, *cd, *user;

  if (!st)
    return CMX_EINVAL;
  memset(st, 0, sizeof(*st));
  st->dimension_id = -1;
  st->user_id = -1;
  NEED(obj && json_object_is_type(obj, json_type_object), "object");
  st->guid = get_str(obj, "guid");
  NEED(st->guid, "guid");
  NEED(get_bool(obj, "is_pending", &st->is_pending), "is_pending");
  NEED(get_bool(obj, "is_complete", &st->is_complete), "is_complete");
  get_bool(obj, "is_multipart", &st->is_multipart);
  get_long(obj, "number_of_parts", &st->number_of_parts);
  st->batch_date = get_str(obj, "batch_date");
  cd = key(obj, "custom_dimension");
  if (cd && json_object_is_type(cd, json_type_object)) {
    get_long(cd, "id", &st->dimension_id);
    st->dimension_name = get_str(cd, "name");
  }
  user = key(obj, "user");
  if (user) {
    get_long(user, "id", &st->user_id);
    st->user_email = get_str(user, "email");
  }
  u = key(obj, "upserts");
  NEED(u && json_object_is_type(u, json_type_object), "upserts");
  NEED(get_long(u, "invalid", &st->upserts.invalid), "upserts.invalid");
  get_long(u, "total", &st->upserts.total);
  get_long(u, "applied", &st->upserts.applied);
  get_long(u, "unchanged", &st->upserts.unchanged);
  get_long(u, "over_limit", &st->upserts.over_limit);
  d = key(obj, "deletes");
  NEED(d && json_object_is_type(d, json_type_object), "deletes");
  NEED(get_long(d, "invalid", &st->deletes.invalid), "deletes.invalid");
  get_long(d, "total", &st->deletes.total);
  get_long(d, "applied", &st->deletes.applied);
  get_long(d, "unchanged", &st->deletes.unchanged);
  r = key(obj, "replace_all");
  if (r) {
    get_bool(r, "requested", &st->replace_all.requested);
    get_long(r, "deletes_performed", &st->replace_all.deletes_performed);
    get_bool(r, "successful", &st->replace_all.successful);
  }
  return CMX_OK;
}

int cmx_kentik_site_parse(struct json_object *obj, cmx_kentik_site *s,
                          char *err, size_t errlen)
{
  struct json_object *v;

  if (!s)
    return CMX_EINVAL;
  memset(s, 0, sizeof(*s));
  if (!obj || !json_object_is_type(obj, json_type_object) ||
      !get_long(obj, "id", &s->id)) {
    cmx__kentik_err(err, errlen, "site: missing or bad 'id'");
    return CMX_EPROTO;
  }
  s->site_name = get_str(obj, "site_name");
  if (!s->site_name) {
    cmx__kentik_err(err, errlen, "site: missing 'site_name'");
    return CMX_EPROTO;
  }
  if (!get_long(obj, "company_id", &s->company_id)) {
    cmx__kentik_err(err, errlen, "site: missing or bad 'company_id'");
    return CMX_EPROTO;
  }
  v = key(obj, "lat");
  if (v && (json_object_is_type(v, json_type_double) ||
            json_object_is_type(v, json_type_int))) {
    s->has_lat = 1;
    s->lat = json_object_get_double(v);
  }
  v = key(obj, "lon");
  if (v && (json_object_is_type(v, json_type_double) ||
            json_object_is_type(v, json_type_int))) {
    s->has_lon = 1;
    s->lon = json_object_get_double(v);
  }
  return CMX_OK;
}

int cmx_kentik_device_parse(struct json_object *obj, cmx_kentik_device_info *d,
                            char *err, size_t errlen)
{
  struct json_object *plan;
  static const char *const req[] = {
      "id",          "company_id",     "device_name",
      "device_type", "device_subtype", "device_sample_rate"};
  const char **slots[6];
  size_t i;

  if (!d)
    return CMX_EINVAL;
  memset(d, 0, sizeof(*d));
  d->plan_id = -1;
  slots[0] = &d->id;
  slots[1] = &d->company_id;
  slots[2] = &d->device_name;
  slots[3] = &d->device_type;
  slots[4] = &d->device_subtype;
  slots[5] = &d->device_sample_rate;
  if (!obj || !json_object_is_type(obj, json_type_object)) {
    cmx__kentik_err(err, errlen, "device: not an object");
    return CMX_EPROTO;
  }
  for (i = 0; i < 6; i++) {
    struct json_object *v = key(obj, req[i]);
    if (!v || json_object_is_type(v, json_type_null)) {
      cmx__kentik_err(err, errlen, "device: missing '%s'", req[i]);
      return CMX_EPROTO;
    }
    *slots[i] = json_object_get_string(v); /* numbers rendered as text */
  }
  plan = key(obj, "plan");
  if (!plan || !get_long(plan, "id", &d->plan_id)) {
    cmx__kentik_err(err, errlen, "device: missing 'plan.id'");
    return CMX_EPROTO;
  }
  return CMX_OK;
}
