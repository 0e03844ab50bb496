/* Synnefo module: Cyclades compute (servers) and wait_server polling. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "services/synnefo/internal.h"

static json_object *copy_json(json_object *j)
{
  json_object *o = NULL;

  if (j && json_object_deep_copy(j, &o, NULL) != 0)
    return NULL;
  return o;
}

static int b64_len_ok(const char *s, size_t *decoded)
{
  size_t n = strlen(s), i, pad = 0;

  for (i = 0; i < n; i++) {
    char ch = s[i];
    if (ch == '=') {
      pad++;
      continue;
    }
    if (pad || !((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                 (ch >= '0' && ch <= '9') || ch == '+' || ch == '/'))
      return 0;
  }
  if (n % 4 != 0 || pad > 2)
    return 0;
  *decoded = n / 4 * 3 - pad;
  return 1;
}

static int check_spec(cmx_synnefo *c, const cmx_synnefo_server_spec *s)
{
  size_t i, n;

  if (!s)
    return cmx__syn_fail(c, CMX_EINVAL, "spec: must not be NULL");
  if (!s->name || !*s->name)
    return cmx__syn_fail(c, CMX_EINVAL, "name: must be a non-empty string");
  if (!s->flavor_id || !*s->flavor_id)
    return cmx__syn_fail(c, CMX_EINVAL, "flavor_id: must be non-empty");
  if (!s->image_id || !*s->image_id)
    return cmx__syn_fail(c, CMX_EINVAL, "image_id: must be non-empty");
  if (strchr(s->image_id, '/'))
    return cmx__syn_fail(c, CMX_EINVAL, "image_id: must not contain '/'");
  if (s->metadata) {
    if (!json_object_is_type(s->metadata, json_type_object))
      return cmx__syn_fail(c, CMX_EINVAL, "metadata: must be a JSON object");
    json_object_object_foreach(s->metadata, k, v)
    {
      if (!json_object_is_type(v, json_type_string))
        return cmx__syn_fail(c, CMX_EINVAL,
                             "metadata.%s: values must be strings", k);
    }
  }
  if (s->personality) {
    if (!json_object_is_type(s->personality, json_type_array))
      return cmx__syn_fail(c, CMX_EINVAL, "personality: must be a list");
    n = json_object_array_length(s->personality);
    for (i = 0; i < n; i++) {
      json_object *p = json_object_array_get_idx(s->personality, i), *v;
      size_t dec = 0;
      if (!json_object_is_type(p, json_type_object) ||
          !json_object_object_get_ex(p, "path", &v) ||
          !json_object_is_type(v, json_type_string))
        return cmx__syn_fail(c, CMX_EINVAL,
                             "personality[%zu].path: required string", i);
      if (!json_object_object_get_ex(p, "contents", &v) ||
          !json_object_is_type(v, json_type_string) ||
          !b64_len_ok(json_object_get_string(v), &dec))
        return cmx__syn_fail(c, CMX_EINVAL,
                             "personality[%zu].contents: must be base64", i);
      if (dec > 10240)
        return cmx__syn_fail(c, CMX_EINVAL,
                             "personality[%zu].contents: at most 10240 "
                             "bytes decoded",
                             i);
    }
  }
  if (s->networks) {
    if (!json_object_is_type(s->networks, json_type_array))
      return cmx__syn_fail(c, CMX_EINVAL, "networks: must be a list");
    n = json_object_array_length(s->networks);
    for (i = 0; i < n; i++) {
      json_object *p = json_object_array_get_idx(s->networks, i);
      if (!json_object_is_type(p, json_type_object) ||
          (!json_object_object_get_ex(p, "uuid", NULL) &&
           !json_object_object_get_ex(p, "port", NULL)))
        return cmx__syn_fail(c, CMX_EINVAL,
                             "networks[%zu]: needs \"uuid\" or \"port\"", i);
    }
  }
  return CMX_OK;
}

typedef struct create_op {
  json_object *server; /* the "server" dict being built */
  cmx_synnefo_cb cb;
  void *ud;
} create_op;

static void create_done(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  create_op *op = ud;

  op->cb(c, r, op->ud);
  json_object_put(op->server);
  free(op);
}

static void image_done(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  create_op *op = ud;
  cmx__syn_call_spec spec;
  json_object *meta, *md, *v, *body;
  static const char *const keys[] = {"os", "users"};
  size_t i;
  int rc;

  if (r->code != CMX_OK) {
    create_done(c, r, op);
    return;
  }
  if (!json_object_object_get_ex(op->server, "metadata", &md)) {
    md = json_object_new_object();
    json_object_object_add(op->server, "metadata", md);
  }
  if (r->json && json_object_object_get_ex(r->json, "metadata", &meta) &&
      json_object_is_type(meta, json_type_object)) {
    for (i = 0; i < 2; i++)
      if (!json_object_object_get_ex(md, keys[i], NULL) &&
          json_object_object_get_ex(meta, keys[i], &v))
        json_object_object_add(md, keys[i], json_object_get(v));
  }
  if (json_object_object_length(md) == 0)
    json_object_object_del(op->server, "metadata");
  body = json_object_new_object();
  json_object_object_add(body, "server", json_object_get(op->server));
  memset(&spec, 0, sizeof(spec));
  spec.type = "compute";
  spec.method = "POST";
  spec.path = cmx__syn_strdup("servers");
  spec.body = body;
  spec.accept[0] = 202;
  spec.unwrap = "server";
  spec.want_json = 1;
  rc = cmx__syn_call(c, &spec, create_done, op);
  if (rc != CMX_OK) {
    cmx_synnefo_result er;
    cmx_service_error se;
    cmx__syn_result_error(&er, &se, rc, 0, c->err);
    create_done(c, &er, op);
  }
}

int cmx_synnefo_create_server(cmx_synnefo *c, const cmx_synnefo_server_spec *s,
                              cmx_synnefo_cb cb, void *userdata)
{
  create_op *op;
  cmx__syn_call_spec spec;
  json_object *srv;
  int rc;

  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  rc = check_spec(c, s);
  if (rc != CMX_OK)
    return rc;
  op = calloc(1, sizeof(*op));
  srv = json_object_new_object();
  if (!op || !srv) {
    free(op);
    json_object_put(srv);
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  }
  op->server = srv;
  op->cb = cb;
  op->ud = userdata;
  json_object_object_add(srv, "name", json_object_new_string(s->name));
  if (cmx__syn_is_digits(s->flavor_id) && strlen(s->flavor_id) < 18)
    json_object_object_add(srv, "flavorRef",
                           json_object_new_int64(atoll(s->flavor_id)));
  else
    json_object_object_add(srv, "flavorRef",
                           json_object_new_string(s->flavor_id));
  json_object_object_add(srv, "imageRef", json_object_new_string(s->image_id));
  if (s->metadata)
    json_object_object_add(srv, "metadata", copy_json(s->metadata));
  if (s->personality)
    json_object_object_add(srv, "personality", copy_json(s->personality));
  if (s->networks)
    json_object_object_add(srv, "networks", copy_json(s->networks));
  if (s->project_id)
    json_object_object_add(srv, "project",
                           json_object_new_string(s->project_id));
  memset(&spec, 0, sizeof(spec));
  spec.type = "compute";
  spec.method = "GET";
  spec.path = cmx__syn_printf("images/%s", s->image_id);
  spec.accept[0] = 200;
  spec.unwrap = "image";
  spec.want_json = 1;
  rc = cmx__syn_call(c, &spec, image_done, op);
  if (rc != CMX_OK) {
    json_object_put(srv);
    free(op);
  }
  return rc;
}

static int server_id_ok(cmx_synnefo *c, const char *id)
{
  if (!cmx__syn_is_digits(id))
    return cmx__syn_fail(c, CMX_EINVAL, "server_id: must be decimal digits");
  return CMX_OK;
}

static int simple(cmx_synnefo *c, const char *type, const char *method,
                  char *path, int accept, const char *unwrap,
                  cmx_synnefo_cb cb, void *ud)
{
  cmx__syn_call_spec spec;

  if (!path)
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  memset(&spec, 0, sizeof(spec));
  spec.type = type;
  spec.method = method;
  spec.path = path;
  spec.accept[0] = accept;
  spec.unwrap = unwrap;
  spec.want_json = unwrap != NULL;
  return cmx__syn_call(c, &spec, cb, ud);
}

int cmx_synnefo_get_server_details(cmx_synnefo *c, const char *server_id,
                                   cmx_synnefo_cb cb, void *userdata)
{
  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  if (server_id_ok(c, server_id) != CMX_OK)
    return CMX_EINVAL;
  return simple(c, "compute", "GET", cmx__syn_printf("servers/%s", server_id),
                200, "server", cb, userdata);
}

int cmx_synnefo_list_servers(cmx_synnefo *c, int detail, cmx_synnefo_cb cb,
                             void *userdata)
{
  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  return simple(c, "compute", "GET",
                cmx__syn_strdup(detail ? "servers/detail" : "servers"), 200,
                "servers", cb, userdata);
}

int cmx_synnefo_delete_server(cmx_synnefo *c, const char *server_id,
                              cmx_synnefo_cb cb, void *userdata)
{
  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  if (server_id_ok(c, server_id) != CMX_OK)
    return CMX_EINVAL;
  return simple(c, "compute", "DELETE",
                cmx__syn_printf("servers/%s", server_id), 204, NULL, cb,
                userdata);
}

/* ---- wait_server ----------------------------------------------------- */

typedef struct wait_op {
  cmx_synnefo *c;
  char *id;
  char *url; /* GET /servers/{id}, built once */
  char status[32];
  uint64_t delay_ms;
  uint64_t polls_left;
  cmx_synnefo_wait_fn on_poll;
  cmx_synnefo_cb cb;
  void *ud;
} wait_op;

static void wait_poll(wait_op *w);

static void wait_end(wait_op *w, const cmx_synnefo_result *r)
{
  w->cb(w->c, r, w->ud);
  free(w->id);
  free(w->url);
  free(w);
}

static void wait_fail(wait_op *w, int rc)
{
  cmx_synnefo_result r;
  cmx_service_error se;

  cmx__syn_result_error(&r, &se, rc, 0, cmx_strerror(rc));
  wait_end(w, &r);
}

static void wait_timer(cmx_engine *e, int code, void *ud)
{
  wait_op *w = ud;

  (void)e;
  if (code != CMX_OK) {
    wait_fail(w, code);
    return;
  }
  wait_poll(w);
}

/*
 * Cheap look at "status" without parsing the whole server dict: valid only
 * when the key occurs exactly once in the body (user metadata could hold
 * a "status" key too; then the caller parses).  Copies the value to out.
 */
static int quick_status(const char *body, size_t len, char *out, size_t outlen)
{
  static const char key[] = "\"status\"";
  const char *p = NULL, *q, *end = body + len;
  size_t n = 0;

  for (q = body; (q = memmem(q, (size_t)(end - q), key, sizeof(key) - 1));
       q += sizeof(key) - 1) {
    p = q;
    if (++n > 1)
      return 0;
  }
  if (n != 1)
    return 0;
  p += sizeof(key) - 1;
  while (p < end && (*p == ' ' || *p == ':' || *p == '\t'))
    p++;
  if (p >= end || *p != '"')
    return 0;
  p++;
  for (n = 0; p + n < end && p[n] != '"' && p[n] != '\\'; n++)
    ;
  if (p + n >= end || p[n] != '"' || n >= outlen)
    return 0;
  memcpy(out, p, n);
  out[n] = 0;
  return 1;
}

/* One poll answered: a direct engine callback (no extra hop per poll). */
static void wait_got(cmx_call *call, const cmx_response *res, void *ud)
{
  wait_op *w = ud;
  json_object *j, *srv = NULL, *st;
  cmx_synnefo_result r;
  cmx_service_error se;
  int rc;

  (void)call;
  cmx__syn_result_from_response(&r, res);
  if (r.code != CMX_OK || r.http_status != 200) {
    if (r.code == CMX_OK)
      cmx__syn_result_error(&r, &se, CMX_EPROTO, r.http_status,
                            "unexpected status");
    wait_end(w, &r);
    return;
  }
  if (!w->on_poll && w->polls_left > 1) {
    /* still in the status and more polls to go: skip the full parse */
    size_t blen = 0;
    const char *body = cmx_response_body(res, &blen);
    char quick[32];
    if (quick_status(body, blen, quick, sizeof(quick)) &&
        strcmp(quick, w->status) == 0) {
      w->polls_left--;
      rc = cmx_timer_start(w->c->engine, w->delay_ms, wait_timer, w, NULL);
      if (rc != CMX_OK)
        wait_fail(w, rc);
      return;
    }
  }
  j = cmx_response_json(res);
  if (!j || !json_object_object_get_ex(j, "server", &srv)) {
    cmx__syn_result_error(&r, &se, CMX_EBADJSON, 0,
                          "Response not formated in JSON");
    wait_end(w, &r);
    return;
  }
  r.json = srv;
  if (w->on_poll)
    w->on_poll(w->c, srv, w->ud);
  w->polls_left--;
  if (!json_object_object_get_ex(srv, "status", &st) ||
      strcmp(json_object_get_string(st), w->status) != 0) {
    r.timed_out = 0;
    wait_end(w, &r);
    return;
  }
  if (w->polls_left == 0) {
    r.timed_out = 1;
    wait_end(w, &r);
    return;
  }
  rc = cmx_timer_start(w->c->engine, w->delay_ms, wait_timer, w, NULL);
  if (rc != CMX_OK)
    wait_fail(w, rc);
}

static void wait_poll(wait_op *w)
{
  cmx_request *req = cmx__syn_request(w->c, "GET", w->url, NULL);
  int rc;

  if (!req) {
    wait_fail(w, CMX_ENOMEM);
    return;
  }
  rc = cmx_submit(w->c->engine, req, wait_got, w, NULL);
  if (rc != CMX_OK)
    wait_fail(w, rc);
}

static void wait_start(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  wait_op *w = ud;
  char *base, *p;

  if (r->code != CMX_OK) {
    wait_end(w, r);
    return;
  }
  base = cmx__syn_endpoint(c, "compute");
  if (!base) {
    cmx_synnefo_result er;
    cmx_service_error se;
    cmx__syn_result_error(&er, &se, CMX_ENOTFOUND, 0, c->err);
    wait_end(w, &er);
    return;
  }
  p = cmx__syn_printf("servers/%s", w->id);
  w->url = p ? cmx_synnefo_join_url(base, p) : NULL;
  free(p);
  free(base);
  if (!w->url) {
    wait_fail(w, CMX_ENOMEM);
    return;
  }
  wait_poll(w);
}

int cmx_synnefo_wait_server(cmx_synnefo *c, const char *server_id,
                            const char *current_status, uint64_t delay_ms,
                            uint64_t max_wait_ms, cmx_synnefo_wait_fn on_poll,
                            cmx_synnefo_cb cb, void *userdata)
{
  wait_op *w;
  int rc;

  if (!c)
    return CMX_EINVAL;
  if (!cb)
    return cmx__syn_fail(c, CMX_EINVAL, "cb: must not be NULL");
  if (server_id_ok(c, server_id) != CMX_OK)
    return CMX_EINVAL;
  if (!current_status)
    current_status = "BUILD";
  if (!*current_status || strlen(current_status) >= 32)
    return cmx__syn_fail(c, CMX_EINVAL,
                         "current_status: must be 1..31 characters");
  if (delay_ms == 0)
    return cmx__syn_fail(c, CMX_EINVAL, "delay_ms: must be > 0");
  w = calloc(1, sizeof(*w));
  if (!w || !(w->id = cmx__syn_strdup(server_id))) {
    free(w);
    return cmx__syn_fail(c, CMX_ENOMEM, "out of memory");
  }
  w->c = c;
  strcpy(w->status, current_status);
  w->delay_ms = delay_ms;
  w->polls_left = max_wait_ms / delay_ms;
  if (w->polls_left == 0)
    w->polls_left = 1;
  w->on_poll = on_poll;
  w->cb = cb;
  w->ud = userdata;
  rc = cmx__syn_when_auth(c, wait_start, w);
  if (rc != CMX_OK) {
    free(w->id);
    free(w);
  }
  return rc;
}
