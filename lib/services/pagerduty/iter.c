/*
 * PagerDuty, async: pagination (offset/limit with a parallel fan-out when
 * the total is known, and cursors), list_all, dict_all, find, persist.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "services/pagerduty/pd-int.h"

#define PD_DEFAULT_PAGE 100
#define PD_DEFAULT_PARALLEL 8

typedef struct iter iter;

typedef struct page {
  cmx_call *call;
  struct json_object *body; /* reference, until delivered */
  long offset;
  int done;
} page;

typedef struct preq {
  iter *it;
  long idx; /* page index, -1 for a sequential request */
} preq;

struct iter {
  cmx_pagerduty *pd;
  char *url;
  char wrapper[64];
  struct json_object *params; /* own copy, without paging keys */
  unsigned limit, parallel;
  int want_total, cursor, first;
  cmx_pagerduty_item_cb item_cb;
  cmx_pagerduty_cb done;
  void *ud;
  size_t n;
  long total;
  int capped, finished;
  unsigned inflight;
  long offset;
  char *next_cursor;
  page *pages;
  size_t npages, next_submit, next_deliver;
  char detail[512];
};

static void iter_free(iter *it)
{
  size_t i;

  for (i = 0; i < it->npages; i++)
    json_object_put(it->pages[i].body);
  free(it->pages);
  json_object_put(it->params);
  free(it->url);
  free(it->next_cursor);
  cmx__pd_unref(it->pd);
  free(it);
}

static void maybe_free(iter *it)
{
  if (it->finished && it->inflight == 0)
    iter_free(it);
}

/* End the iteration: done runs once; outstanding pages are cancelled. */
static void finish(iter *it, const cmx_response *res, int code)
{
  cmx_pagerduty_result r;
  size_t i;
  char keep[512];

  if (it->finished)
    return;
  it->finished = 1;
  memset(&r, 0, sizeof(r));
  snprintf(keep, sizeof(keep), "%s", it->detail);
  if (res) {
    cmx__pd_result_from(&r, res, it->detail, sizeof(it->detail));
    if (keep[0])
      snprintf(it->detail, sizeof(it->detail), "%s", keep);
  }
  r.code = code;
  r.detail = it->detail;
  r.count = it->n;
  r.total = it->total;
  r.capped = it->capped;
  for (i = 0; i < it->npages; i++)
    if (it->pages[i].call && !it->pages[i].done)
      cmx_call_cancel(it->pages[i].call);
  it->done(it->pd, &r, it->ud);
}

static void finish_later(void *ud);

static int send_page(iter *it, long offset, long idx);

static void cap_note(iter *it, long offset)
{
  it->capped = 1;
  snprintf(it->detail, sizeof(it->detail),
           "stopped iteration of %s at offset+limit=%ld: the API allows at "
           "most %d; the results may be incomplete",
           it->url, offset + (long)it->limit, CMX_PAGERDUTY_OFFSET_CAP);
}

/* Deliver the items of a page body.  0 go on, 1 stopped by the caller,
 * -1 body without the wrapper list. */
static int deliver(iter *it, struct json_object *body, size_t *count,
                   int *more)
{
  struct json_object *list, *v;
  size_t i, n;

  *count = 0;
  *more = 0;
  if (!body || !json_object_is_type(body, json_type_object) ||
      !json_object_object_get_ex(body, it->wrapper, &list) ||
      !json_object_is_type(list, json_type_array)) {
    snprintf(it->detail, sizeof(it->detail),
             "GET %s: expected the response body to be an object with the "
             "list \"%s\"",
             it->url, it->wrapper);
    return -1;
  }
  if (json_object_object_get_ex(body, "more", &v))
    *more = json_object_get_boolean(v);
  if (json_object_object_get_ex(body, "total", &v) &&
      json_object_is_type(v, json_type_int))
    it->total = (long)json_object_get_int64(v);
  n = json_object_array_length(list);
  *count = n;
  for (i = 0; i < n; i++) {
    it->n++;
    if (it->item_cb && it->item_cb(it->pd, json_object_array_get_idx(list, i),
                                   it->n, it->total, it->ud) != 0)
      return 1;
  }
  return 0;
}

/* Next sequential page at it->offset, honouring the cap. Returns 1 when a
 * request went out, 0 when finished (capped), or an error code < 0. */
static int seq_next(iter *it)
{
  if (it->offset + (long)it->limit > CMX_PAGERDUTY_OFFSET_CAP) {
    cap_note(it, it->offset);
    return 0;
  }
  return send_page(it, it->offset, -1) == CMX_OK ? 1 : -1;
}

static void pump(iter *it)
{
  while (!it->finished && it->inflight < it->parallel &&
         it->next_submit < it->npages) {
    size_t k = it->next_submit;

    if (send_page(it, it->pages[k].offset, (long)k) != CMX_OK) {
      snprintf(it->detail, sizeof(it->detail), "%s",
               cmx_pagerduty_last_error(it->pd));
      finish(it, NULL, CMX_ENOMEM);
      return;
    }
    it->next_submit++;
  }
}

static void plan_fanout(iter *it)
{
  long off, n = 0;

  for (off = it->offset; off < it->total; off += it->limit) {
    if (off + (long)it->limit > CMX_PAGERDUTY_OFFSET_CAP)
      break;
    n++;
  }
  if (n == 0)
    return;
  it->pages = calloc((size_t)n, sizeof(page));
  if (!it->pages)
    return; /* sequential then */
  it->npages = (size_t)n;
  for (off = 0; off < n; off++)
    it->pages[off].offset = it->offset + off * (long)it->limit;
}

static void page_done(cmx_pagerduty *pd, const cmx_response *res, void *ud)
{
  preq *pr = ud;
  iter *it = pr->it;
  long idx = pr->idx;
  cmx_pagerduty_result r;
  struct json_object *body;
  size_t count = 0;
  int more = 0, rc, code;

  (void)pd;
  free(pr);
  it->inflight--;
  if (idx >= 0)
    it->pages[idx].call = NULL;
  if (it->finished) {
    maybe_free(it);
    return;
  }
  memset(&r, 0, sizeof(r));
  cmx__pd_result_from(&r, res, it->detail, sizeof(it->detail));
  if (r.code != CMX_OK) {
    code = r.code;
    it->detail[0] = '\0';
    finish(it, res, code);
    maybe_free(it);
    return;
  }
  it->detail[0] = '\0';
  body = cmx_response_json(res);

  if (idx >= 0) { /* fan-out page: keep it, deliver in order */
    it->pages[idx].body = json_object_get(body);
    it->pages[idx].done = 1;
    while (it->next_deliver < it->npages && it->pages[it->next_deliver].done) {
      page *pg = &it->pages[it->next_deliver];

      rc = deliver(it, pg->body, &count, &more);
      json_object_put(pg->body);
      pg->body = NULL;
      it->next_deliver++;
      if (rc != 0) {
        finish(it, res, rc < 0 ? CMX_EPROTO : CMX_OK);
        maybe_free(it);
        return;
      }
      if (it->next_deliver == it->npages) {
        /* plan delivered: more beyond it? */
        it->offset = pg->offset + (long)count;
        if (!more) {
          finish(it, res, CMX_OK);
        } else if (count == 0) {
          snprintf(it->detail, sizeof(it->detail),
                   "GET %s: empty page that says more: true at offset %ld",
                   it->url, pg->offset);
          finish(it, res, CMX_EPROTO);
        } else {
          rc = seq_next(it);
          if (rc <= 0)
            finish(it, res, rc == 0 ? CMX_OK : CMX_ENOMEM);
        }
        maybe_free(it);
        return;
      }
    }
    pump(it);
    maybe_free(it);
    return;
  }

  /* sequential page (or cursor page) */
  rc = deliver(it, body, &count, &more);
  if (rc != 0) {
    finish(it, res, rc < 0 ? CMX_EPROTO : CMX_OK);
    maybe_free(it);
    return;
  }
  if (it->cursor) {
    struct json_object *nc;
    const char *c = NULL;

    if (json_object_object_get_ex(body, "next_cursor", &nc) &&
        json_object_is_type(nc, json_type_string))
      c = json_object_get_string(nc);
    if (!c || !*c) {
      finish(it, res, CMX_OK);
    } else {
      free(it->next_cursor);
      it->next_cursor = strdup(c);
      if (!it->next_cursor || send_page(it, 0, -1) != CMX_OK)
        finish(it, res, CMX_ENOMEM);
    }
    maybe_free(it);
    return;
  }
  if (!more) {
    finish(it, res, CMX_OK);
    maybe_free(it);
    return;
  }
  if (count == 0) {
    snprintf(it->detail, sizeof(it->detail),
             "GET %s: empty page that says more: true at offset %ld "
             "(stopped instead of looping)",
             it->url, it->offset);
    finish(it, res, CMX_EPROTO);
    maybe_free(it);
    return;
  }
  it->offset += (long)count;
  if (it->first && it->parallel > 1 && it->total >= 0) {
    it->first = 0;
    plan_fanout(it);
    if (it->npages > 0) {
      pump(it);
      maybe_free(it);
      return;
    }
  }
  it->first = 0;
  rc = seq_next(it);
  if (rc <= 0)
    finish(it, res, rc == 0 ? CMX_OK : CMX_ENOMEM);
  maybe_free(it);
}

static int send_page(iter *it, long offset, long idx)
{
  struct json_object *q = json_object_new_object();
  preq *pr = malloc(sizeof(*pr));
  cmx_call *call = NULL;
  int rc;

  if (!q || !pr) {
    json_object_put(q);
    free(pr);
    return CMX_ENOMEM;
  }
  pr->it = it;
  pr->idx = idx;
  json_object_object_add(q, "limit", json_object_new_int((int)it->limit));
  if (it->cursor) {
    if (it->next_cursor)
      json_object_object_add(q, "cursor",
                             json_object_new_string(it->next_cursor));
  } else {
    if (it->first && (it->want_total || it->parallel > 1))
      json_object_object_add(q, "total", json_object_new_string("true"));
  }
  if (it->params) {
    json_object_object_foreach(it->params, k, v)
        json_object_object_add(q, k, json_object_get(v));
  }
  if (!it->cursor)
    json_object_object_add(q, "offset", json_object_new_int64(offset));
  rc = cmx__pd_submit(it->pd, "GET", it->url, q, NULL, page_done, pr, &call);
  json_object_put(q);
  if (rc != CMX_OK) {
    free(pr);
    return rc;
  }
  if (idx >= 0)
    it->pages[idx].call = call;
  it->inflight++;
  return CMX_OK;
}

static void finish_later(void *ud)
{
  iter *it = ud;

  finish(it, NULL, CMX_OK);
  maybe_free(it);
}

static int iter_start(cmx_pagerduty *pd, const char *url,
                      struct json_object *params,
                      const cmx_pagerduty_iter_opts *opts, int want_cursor,
                      cmx_pagerduty_item_cb item_cb, cmx_pagerduty_cb done,
                      void *ud)
{
  char cpath[256], reqw[64], msg[CMX__PD_ERRLEN];
  struct json_object *v;
  iter *it;
  int rc;

  if (!pd || !url || !done) {
    if (pd)
      cmx__pd_set_last(pd->last_error, "url and done: required");
    return CMX_EINVAL;
  }
  if (params && !json_object_is_type(params, json_type_object)) {
    cmx__pd_set_last(pd->last_error, "params: must be a JSON object");
    return CMX_EINVAL;
  }
  if (cmx_pagerduty_canonical_path(pd->base, url, cpath, sizeof(cpath)) !=
      CMX_OK) {
    snprintf(msg, sizeof(msg),
             "url: %.120s matches no canonical API path (or several)", url);
    cmx__pd_set_last(pd->last_error, msg);
    return CMX_EINVAL;
  }
  if (cmx__pd_ends_with_param(cpath)) {
    snprintf(msg, sizeof(msg),
             "url: %.120s is formatted like an individual resource, not a "
             "collection",
             url);
    cmx__pd_set_last(pd->last_error, msg);
    return CMX_EINVAL;
  }
  if (want_cursor && !cmx_pagerduty_is_cursor_path(cpath)) {
    snprintf(msg, sizeof(msg),
             "url: %.120s does not support cursor-based pagination", url);
    cmx__pd_set_last(pd->last_error, msg);
    return CMX_EINVAL;
  }
  it = calloc(1, sizeof(*it));
  if (!it)
    return CMX_ENOMEM;
  cmx_pagerduty_wrappers("GET", cpath, reqw, it->wrapper, sizeof(it->wrapper));
  if (!it->wrapper[0]) {
    free(it);
    snprintf(msg, sizeof(msg),
             "url: pagination is not supported for GET %.120s", cpath);
    cmx__pd_set_last(pd->last_error, msg);
    return CMX_EINVAL;
  }
  it->pd = pd;
  it->url = strdup(url);
  it->limit = opts && opts->page_size ? opts->page_size : PD_DEFAULT_PAGE;
  if (it->limit > 100 && !cmx_pagerduty_is_cursor_path(cpath))
    it->limit = 100;
  it->parallel = opts && opts->parallel ? opts->parallel : PD_DEFAULT_PARALLEL;
  it->want_total = opts ? opts->total : 0;
  it->cursor = cmx_pagerduty_is_cursor_path(cpath);
  if (it->cursor)
    it->parallel = 1;
  it->first = 1;
  it->item_cb = item_cb;
  it->done = done;
  it->ud = ud;
  it->total = -1;
  if (!it->url) {
    free(it);
    return CMX_ENOMEM;
  }
  if (params) {
    if (json_object_deep_copy(params, &it->params, NULL) != 0) {
      free(it->url);
      free(it);
      return CMX_ENOMEM;
    }
    if (json_object_object_get_ex(it->params, "offset", &v)) {
      it->offset = (long)json_object_get_int64(v);
      if (it->offset < 0)
        it->offset = 0;
    }
    if (json_object_object_get_ex(it->params, "limit", &v) &&
        json_object_get_int(v) > 0)
      it->limit = (unsigned)json_object_get_int(v);
    json_object_object_del(it->params, "offset");
    json_object_object_del(it->params, "limit");
    json_object_object_del(it->params, "cursor");
    if (json_object_object_get_ex(it->params, "total", &v)) {
      it->want_total = json_object_get_boolean(v);
      json_object_object_del(it->params, "total");
    }
  }
  cmx__pd_ref(pd);
  if (!it->cursor && it->offset + (long)it->limit > CMX_PAGERDUTY_OFFSET_CAP) {
    cap_note(it, it->offset);
    rc = cmx__pd_later(pd->engine, finish_later, it);
  } else {
    rc = send_page(it, it->offset, -1);
  }
  if (rc != CMX_OK) {
    it->finished = 1;
    it->inflight = 0;
    iter_free(it);
    return rc;
  }
  return CMX_OK;
}

int cmx_pagerduty_iter_all(cmx_pagerduty *pd, const char *url,
                           struct json_object *params,
                           const cmx_pagerduty_iter_opts *opts,
                           cmx_pagerduty_item_cb item_cb,
                           cmx_pagerduty_cb done, void *ud)
{
  return iter_start(pd, url, params, opts, 0, item_cb, done, ud);
}

int cmx_pagerduty_iter_cursor(cmx_pagerduty *pd, const char *url,
                              struct json_object *params,
                              const cmx_pagerduty_iter_opts *opts,
                              cmx_pagerduty_item_cb item_cb,
                              cmx_pagerduty_cb done, void *ud)
{
  return iter_start(pd, url, params, opts, 1, item_cb, done, ud);
}

/* ---- list_all, dict_all, find ------------------------------------ */

typedef struct gather {
  cmx_pagerduty_cb cb;
  void *ud;
  struct json_object *acc;
  char *by;    /* dict_all */
  char *query; /* find */
  char *attr;  /* find */
  struct json_object *found;
} gather;

static void gather_free(gather *g)
{
  json_object_put(g->acc);
  json_object_put(g->found);
  free(g->by);
  free(g->query);
  free(g->attr);
  free(g);
}

static int list_item(cmx_pagerduty *pd, struct json_object *item, size_t n,
                     long total, void *ud)
{
  gather *g = ud;

  (void)pd;
  (void)n;
  (void)total;
  json_object_array_add(g->acc, json_object_get(item));
  return 0;
}

static int dict_item(cmx_pagerduty *pd, struct json_object *item, size_t n,
                     long total, void *ud)
{
  gather *g = ud;
  struct json_object *k;
  char *txt;

  (void)pd;
  (void)n;
  (void)total;
  if (!json_object_is_type(item, json_type_object) ||
      !json_object_object_get_ex(item, g->by, &k))
    return 0;
  txt = cmx__pd_json_text(k);
  if (!txt)
    return 0;
  json_object_object_add(g->acc, txt, json_object_get(item));
  free(txt);
  return 0;
}

static void gather_done(cmx_pagerduty *pd, const cmx_pagerduty_result *r,
                        void *ud)
{
  gather *g = ud;
  cmx_pagerduty_result out = *r;

  out.value = g->acc;
  g->cb(pd, &out, g->ud);
  gather_free(g);
}

static gather *gather_new(cmx_pagerduty_cb cb, void *ud, int object)
{
  gather *g = calloc(1, sizeof(*g));

  if (!g)
    return NULL;
  g->cb = cb;
  g->ud = ud;
  g->acc = object ? json_object_new_object() : json_object_new_array();
  if (!g->acc) {
    free(g);
    return NULL;
  }
  return g;
}

int cmx_pagerduty_list_all(cmx_pagerduty *pd, const char *url,
                           struct json_object *params,
                           const cmx_pagerduty_iter_opts *opts,
                           cmx_pagerduty_cb done, void *ud)
{
  gather *g;
  int rc;

  if (!done)
    return CMX_EINVAL;
  g = gather_new(done, ud, 0);
  if (!g)
    return CMX_ENOMEM;
  rc =
      cmx_pagerduty_iter_all(pd, url, params, opts, list_item, gather_done, g);
  if (rc != CMX_OK)
    gather_free(g);
  return rc;
}

int cmx_pagerduty_dict_all(cmx_pagerduty *pd, const char *url,
                           struct json_object *params, const char *by,
                           const cmx_pagerduty_iter_opts *opts,
                           cmx_pagerduty_cb done, void *ud)
{
  gather *g;
  int rc;

  if (!done)
    return CMX_EINVAL;
  g = gather_new(done, ud, 1);
  if (!g)
    return CMX_ENOMEM;
  g->by = strdup(by && *by ? by : "id");
  if (!g->by) {
    gather_free(g);
    return CMX_ENOMEM;
  }
  rc =
      cmx_pagerduty_iter_all(pd, url, params, opts, dict_item, gather_done, g);
  if (rc != CMX_OK)
    gather_free(g);
  return rc;
}

static int find_item(cmx_pagerduty *pd, struct json_object *item, size_t n,
                     long total, void *ud)
{
  gather *g = ud;
  struct json_object *v;
  char *txt;
  int eq;

  (void)pd;
  (void)n;
  (void)total;
  if (!json_object_is_type(item, json_type_object) ||
      !json_object_object_get_ex(item, g->attr, &v))
    return 0;
  txt = cmx__pd_json_text(v);
  if (!txt)
    return 0;
  eq = strcasecmp(txt, g->query) == 0;
  free(txt);
  if (!eq)
    return 0;
  g->found = json_object_get(item);
  return 1;
}

static void find_done(cmx_pagerduty *pd, const cmx_pagerduty_result *r,
                      void *ud)
{
  gather *g = ud;
  cmx_pagerduty_result out = *r;

  out.value = g->found;
  g->cb(pd, &out, g->ud);
  gather_free(g);
}

int cmx_pagerduty_find(cmx_pagerduty *pd, const char *resource,
                       const char *query, const char *attribute,
                       struct json_object *params, cmx_pagerduty_cb cb,
                       void *ud)
{
  cmx_pagerduty_iter_opts o = {0, 1, 0};
  struct json_object *p = NULL;
  gather *g;
  int rc;

  if (!pd || !resource || !query || !cb) {
    if (pd)
      cmx__pd_set_last(pd->last_error, "resource, query and cb: required");
    return CMX_EINVAL;
  }
  if (params && !json_object_is_type(params, json_type_object)) {
    cmx__pd_set_last(pd->last_error, "params: must be a JSON object");
    return CMX_EINVAL;
  }
  g = calloc(1, sizeof(*g));
  if (!g)
    return CMX_ENOMEM;
  g->cb = cb;
  g->ud = ud;
  g->query = strdup(query);
  g->attr = strdup(attribute && *attribute ? attribute : "name");
  if (params)
    json_object_deep_copy(params, &p, NULL);
  else
    p = json_object_new_object();
  if (!g->query || !g->attr || !p) {
    json_object_put(p);
    gather_free(g);
    return CMX_ENOMEM;
  }
  json_object_object_add(p, "query", json_object_new_string(query));
  rc = cmx_pagerduty_iter_all(pd, resource, p, &o, find_item, find_done, g);
  json_object_put(p);
  if (rc != CMX_OK)
    gather_free(g);
  return rc;
}

/* ---- persist ------------------------------------------------------ */

typedef struct persist_op {
  cmx_pagerduty *pd;
  cmx_pagerduty_cb cb;
  void *ud;
  char *resource;
  struct json_object *values;
  struct json_object *merged;
  int update;
  char detail[512];
} persist_op;

static void persist_free(persist_op *p)
{
  json_object_put(p->values);
  json_object_put(p->merged);
  free(p->resource);
  cmx__pd_unref(p->pd);
  free(p);
}

static void persist_write_done(cmx_pagerduty *pd,
                               const cmx_pagerduty_result *r, void *ud)
{
  persist_op *p = ud;

  p->cb(pd, r, p->ud);
  persist_free(p);
}

static void persist_fail(persist_op *p, int code)
{
  cmx_pagerduty_result r;

  memset(&r, 0, sizeof(r));
  r.code = code;
  r.total = -1;
  snprintf(p->detail, sizeof(p->detail), "persist: %s",
           cmx_pagerduty_last_error(p->pd));
  r.detail = p->detail;
  p->cb(p->pd, &r, p->ud);
  persist_free(p);
}

static void persist_found(cmx_pagerduty *pd, const cmx_pagerduty_result *r,
                          void *ud)
{
  persist_op *p = ud;
  cmx_pagerduty_result out;
  struct json_object *selfv, *idv;
  char url[512];
  int rc;

  if (r->code != CMX_OK) {
    p->cb(pd, r, p->ud);
    persist_free(p);
    return;
  }
  if (!r->value) {
    rc =
        cmx_pagerduty_rpost(pd, p->resource, p->values, persist_write_done, p);
    if (rc != CMX_OK)
      persist_fail(p, rc);
    return;
  }
  if (!p->update) {
    p->cb(pd, r, p->ud);
    persist_free(p);
    return;
  }
  if (json_object_deep_copy(r->value, &p->merged, NULL) != 0) {
    persist_fail(p, CMX_ENOMEM);
    return;
  }
  json_object_object_foreach(p->values, k, v)
  {
    struct json_object *c = NULL;

    if (json_object_deep_copy(v, &c, NULL) != 0) {
      persist_fail(p, CMX_ENOMEM);
      return;
    }
    json_object_object_add(p->merged, k, c);
  }
  if (json_object_equal(p->merged, r->value)) {
    out = *r;
    out.value = p->merged;
    p->cb(pd, &out, p->ud);
    persist_free(p);
    return;
  }
  url[0] = '\0';
  if (json_object_object_get_ex(p->merged, "self", &selfv) &&
      json_object_is_type(selfv, json_type_string)) {
    char *full = NULL;

    if (cmx__pd_full_url(pd->base, json_object_get_string(selfv), &full, NULL,
                         NULL, 0) == CMX_OK)
      snprintf(url, sizeof(url), "%s", json_object_get_string(selfv));
    free(full);
  }
  if (!url[0] && json_object_object_get_ex(p->merged, "id", &idv))
    snprintf(url, sizeof(url), "%s/%s", p->resource,
             json_object_get_string(idv));
  if (!url[0]) {
    cmx__pd_set_last(pd->last_error,
                     "the existing entity has neither self nor id");
    persist_fail(p, CMX_EPROTO);
    return;
  }
  rc = cmx_pagerduty_rput(pd, url, p->merged, persist_write_done, p);
  if (rc != CMX_OK)
    persist_fail(p, rc);
}

int cmx_pagerduty_persist(cmx_pagerduty *pd, const char *resource,
                          const char *attr, struct json_object *values,
                          int update, cmx_pagerduty_cb cb, void *ud)
{
  struct json_object *v;
  persist_op *p;
  char *q;
  int rc;

  if (!pd || !resource || !attr || !cb) {
    if (pd)
      cmx__pd_set_last(pd->last_error, "resource, attr and cb: required");
    return CMX_EINVAL;
  }
  if (!values || !json_object_is_type(values, json_type_object) ||
      !json_object_object_get_ex(values, attr, &v) ||
      !(json_object_is_type(v, json_type_string) ||
        json_object_is_type(v, json_type_int))) {
    char msg[CMX__PD_ERRLEN];

    snprintf(msg, sizeof(msg),
             "values: must be an object holding the key attribute \"%.64s\" "
             "(a string or number)",
             attr);
    cmx__pd_set_last(pd->last_error, msg);
    return CMX_EINVAL;
  }
  p = calloc(1, sizeof(*p));
  if (!p)
    return CMX_ENOMEM;
  p->pd = pd;
  p->cb = cb;
  p->ud = ud;
  p->update = update;
  p->resource = strdup(resource);
  q = cmx__pd_json_text(v);
  if (!p->resource || !q || json_object_deep_copy(values, &p->values, NULL)) {
    free(q);
    free(p->resource);
    json_object_put(p->values);
    free(p);
    return CMX_ENOMEM;
  }
  cmx__pd_ref(pd);
  rc = cmx_pagerduty_find(pd, resource, q, attr, NULL, persist_found, p);
  free(q);
  if (rc != CMX_OK)
    persist_free(p);
  return rc;
}
