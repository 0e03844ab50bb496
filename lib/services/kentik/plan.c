/*
 * Kentik module: splitting a batch into parts by their exact serialised
 * size, and writing one part's JSON on demand.
 *
 * Part layout (every byte counted):
 *   {"replace_all": R, "guid": "G", "complete": C, "upserts": [U, U],
 *    "deletes": [D, D]}
 * U = {"value": V, "criteria": [K, K]}   D = {"value": V}
 * The plan reserves CMX_KENTIK_GUID_MAX bytes for G and "false" for C, so
 * a part never exceeds the limit whatever guid the server returns.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kentik-int.h"

typedef struct kpart {
  size_t u0, u1; /* [u0, u1) of the batch's upsert order */
  size_t d0, d1; /* [d0, d1) of the batch's delete order (some skipped) */
  uint64_t body; /* bytes of the upsert and delete items with separators */
} kpart;

struct cmx_kentik_plan {
  const cmx_kentik_batch *b;
  kpart *parts;
  size_t nparts, cap;
  size_t limit;
};

/* {"replace_all": R, "guid": "", "complete": C, "upserts": [], "deletes": []}
 * without R and C */
#define FRAME_FIXED                                                           \
  (sizeof("{\"replace_all\": , \"guid\": \"\", \"complete\": , "              \
          "\"upserts\": [], \"deletes\": []}") -                              \
   1)

static uint64_t esc_len(const cmx_kentik_batch *b, const cmx__kentry *e)
{
  return (uint64_t)cmx_kentik_json_string(NULL, b->vals.p + e->val_off,
                                          e->val_len);
}

static uint64_t upsert_size(const cmx_kentik_batch *b, const cmx__kentry *e)
{
  uint64_t r = e->head, crit = 0;

  while (r) {
    const char *rec = b->crits.p + r - 1;
    uint32_t cl;
    memcpy(&cl, rec + 8, 4);
    crit += cl;
    memcpy(&r, rec, 8);
  }
  /* {"value": V, "criteria": [K, K]} */
  return 10 + esc_len(b, e) + 15 + crit + 2 * (uint64_t)(e->ncrit - 1) + 2;
}

static uint64_t delete_size(const cmx_kentik_batch *b, const cmx__kentry *e)
{
  return 10 + esc_len(b, e) + 1; /* {"value": V} */
}

static int close_part(cmx_kentik_plan *p, const kpart *cur)
{
  if (p->nparts == p->cap) {
    size_t nc = p->cap ? p->cap * 2 : 16;
    kpart *np = realloc(p->parts, nc * sizeof(*np));
    if (!np)
      return CMX_ENOMEM;
    p->parts = np;
    p->cap = nc;
  }
  p->parts[p->nparts++] = *cur;
  return CMX_OK;
}

static void describe(const cmx_kentik_batch *b, const cmx__kentry *e,
                     char *out, size_t outlen)
{
  int n = e->val_len > 40 ? 40 : (int)e->val_len;

  snprintf(out, outlen, "'%.*s%s'", n, b->vals.p + e->val_off,
           e->val_len > 40 ? "..." : "");
}

int cmx_kentik_plan_new(const cmx_kentik_batch *b, size_t limit,
                        cmx_kentik_plan **out, char *err, size_t errlen)
{
  cmx_kentik_plan *p;
  uint64_t frame, size;
  kpart cur;
  size_t i, nu = 0, nd = 0;
  int rc = CMX_OK;

  if (!b || !out) {
    cmx__kentik_err(err, errlen, "plan: missing batch");
    return CMX_EINVAL;
  }
  *out = NULL;
  if (limit == 0)
    limit = CMX_KENTIK_PART_LIMIT;
  frame = FRAME_FIXED + strlen(b->replace_all ? "true" : "false") + 5 +
          CMX_KENTIK_GUID_MAX;
  if (limit < frame + 64) {
    cmx__kentik_err(err, errlen, "part limit: %zu bytes is too small", limit);
    return CMX_EINVAL;
  }
  if (b->nupserts == 0 && cmx_kentik_batch_delete_count(b) == 0 &&
      !b->replace_all) {
    cmx__kentik_err(err, errlen,
                    "batch: has no data and replace_all is false");
    return CMX_EINVAL;
  }
  p = calloc(1, sizeof(*p));
  if (!p)
    return CMX_ENOMEM;
  p->b = b;
  p->limit = limit;
  memset(&cur, 0, sizeof(cur));
  size = frame;
  for (i = 0; i < b->nupserts && rc == CMX_OK; i++) {
    const cmx__kentry *e = &b->ents[b->upserts[i]];
    uint64_t item = upsert_size(b, e);

    if (frame + item > limit) {
      char what[64];
      describe(b, e, what, sizeof(what));
      cmx__kentik_err(err, errlen,
                      "upsert value %s (#%zu): its entry needs %llu bytes, "
                      "more than a part of %zu bytes can hold",
                      what, i, (unsigned long long)item, limit);
      rc = CMX_EINVAL;
      break;
    }
    if (size + item + (nu ? 2 : 0) > limit) {
      cur.u1 = i;
      cur.d0 = cur.d1 = 0;
      cur.body = size - frame;
      rc = close_part(p, &cur);
      memset(&cur, 0, sizeof(cur));
      cur.u0 = i;
      size = frame;
      nu = 0;
    }
    size += item + (nu ? 2 : 0);
    nu++;
  }
  cur.u1 = b->nupserts;
  for (i = 0; i < b->ndeletes && rc == CMX_OK; i++) {
    const cmx__kentry *e = &b->ents[b->deletes[i]];
    uint64_t item;

    if (e->flags & CMX__KE_UPSERTED)
      continue;
    item = delete_size(b, e);
    if (frame + item > limit) {
      char what[64];
      describe(b, e, what, sizeof(what));
      cmx__kentik_err(err, errlen,
                      "delete value %s: its entry needs %llu bytes, more "
                      "than a part of %zu bytes can hold",
                      what, (unsigned long long)item, limit);
      rc = CMX_EINVAL;
      break;
    }
    if (size + item + (nd ? 2 : 0) > limit) {
      if (nd)
        cur.d1 = i;
      else
        cur.d0 = cur.d1 = 0;
      cur.body = size - frame;
      rc = close_part(p, &cur);
      memset(&cur, 0, sizeof(cur));
      cur.u0 = cur.u1 = b->nupserts;
      size = frame;
      nu = 0;
      nd = 0;
    }
    if (nd == 0)
      cur.d0 = i;
    size += item + (nd ? 2 : 0);
    nd++;
  }
  if (rc == CMX_OK) {
    cur.d1 = nd ? b->ndeletes : cur.d0;
    if (!nd)
      cur.d0 = cur.d1 = 0;
    cur.body = size - frame;
    if (nu || nd || p->nparts == 0)
      rc = close_part(p, &cur); /* an empty part only for replace_all */
  }
  if (rc != CMX_OK) {
    if (rc == CMX_ENOMEM)
      cmx__kentik_err(err, errlen, "out of memory");
    cmx_kentik_plan_free(p);
    return rc;
  }
  *out = p;
  return CMX_OK;
}

void cmx_kentik_plan_free(cmx_kentik_plan *p)
{
  if (!p)
    return;
  free(p->parts);
  free(p);
}

size_t cmx_kentik_plan_parts(const cmx_kentik_plan *p)
{
  return p ? p->nparts : 0;
}

uint64_t cmx_kentik_plan_json_bytes(const cmx_kentik_plan *p)
{
  uint64_t sum = 0;
  size_t i, rl;

  if (!p)
    return 0;
  rl = strlen(p->b->replace_all ? "true" : "false");
  for (i = 0; i < p->nparts; i++)
    sum += FRAME_FIXED + rl + (i + 1 == p->nparts ? 4 : 5) + p->parts[i].body;
  return sum;
}

static int guid_ok(const char *g)
{
  size_t n = 0;

  for (; g[n]; n++) {
    unsigned char c = (unsigned char)g[n];
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
      return 0;
  }
  return n <= CMX_KENTIK_GUID_MAX;
}

int cmx_kentik_plan_part(const cmx_kentik_plan *p, size_t idx,
                         const char *guid, char **buf, size_t *cap,
                         size_t *len)
{
  const cmx_kentik_batch *b;
  const kpart *pt;
  cmx__kbuf o;
  size_t i;
  int first = 1, rc;

  if (!p || idx >= p->nparts || !buf || !cap || !len)
    return CMX_EINVAL;
  if (!guid)
    guid = "";
  if (!guid_ok(guid))
    return CMX_EINVAL;
  b = p->b;
  pt = &p->parts[idx];
  o.p = *buf;
  o.cap = *cap;
  o.len = 0;
  rc = cmx__kentik_buf_reserve(&o, p->limit + 1);
  if (rc != CMX_OK)
    return rc;
  rc = cmx__kentik_buf_printf(
      &o,
      "{\"replace_all\": %s, \"guid\": \"%s\", \"complete\": %s, "
      "\"upserts\": [",
      b->replace_all ? "true" : "false", guid,
      idx + 1 == p->nparts ? "true" : "false");
  for (i = pt->u0; i < pt->u1 && rc == CMX_OK; i++) {
    const cmx__kentry *e = &b->ents[b->upserts[i]];
    uint64_t r = e->head;
    char *w;

    rc = cmx__kentik_buf_reserve(&o, upsert_size(b, e) + 2);
    if (rc != CMX_OK)
      break;
    w = o.p + o.len;
    if (!first) {
      memcpy(w, ", ", 2);
      w += 2;
    }
    first = 0;
    memcpy(w, "{\"value\": ", 10);
    w += 10;
    w += cmx_kentik_json_string(w, b->vals.p + e->val_off, e->val_len);
    memcpy(w, ", \"criteria\": [", 15);
    w += 15;
    while (r) {
      const char *rec = b->crits.p + r - 1;
      uint32_t cl;
      memcpy(&cl, rec + 8, 4);
      memcpy(w, rec + CMX__KREC_HDR, cl);
      w += cl;
      memcpy(&r, rec, 8);
      if (r) {
        memcpy(w, ", ", 2);
        w += 2;
      }
    }
    memcpy(w, "]}", 2);
    w += 2;
    o.len = (size_t)(w - o.p);
  }
  if (rc == CMX_OK)
    rc = cmx__kentik_buf_add(&o, "], \"deletes\": [", 15);
  first = 1;
  for (i = pt->d0; i < pt->d1 && rc == CMX_OK; i++) {
    const cmx__kentry *e = &b->ents[b->deletes[i]];
    char *w;

    if (e->flags & CMX__KE_UPSERTED)
      continue;
    rc = cmx__kentik_buf_reserve(&o, delete_size(b, e) + 2);
    if (rc != CMX_OK)
      break;
    w = o.p + o.len;
    if (!first) {
      memcpy(w, ", ", 2);
      w += 2;
    }
    first = 0;
    memcpy(w, "{\"value\": ", 10);
    w += 10;
    w += cmx_kentik_json_string(w, b->vals.p + e->val_off, e->val_len);
    *w++ = '}';
    o.len = (size_t)(w - o.p);
  }
  if (rc == CMX_OK)
    rc = cmx__kentik_buf_add(&o, "]}", 2);
  *buf = o.p;
  *cap = o.cap;
  *len = o.len;
  return rc;
}
