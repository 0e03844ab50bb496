/*
 * Kentik module: a batch held compactly.  Each distinct value (folded to
 * ASCII lower case) is one entry; its criteria are stored already
 * serialised, as a linked list of records in one arena; upserts and deletes
 * keep their first-added order as arrays of entry indexes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kentik-int.h"

cmx_kentik_batch *cmx_kentik_batch_new(int replace_all)
{
  cmx_kentik_batch *b = calloc(1, sizeof(*b));

  if (b)
    b->replace_all = replace_all != 0;
  return b;
}

void cmx_kentik_batch_free(cmx_kentik_batch *b)
{
  if (!b)
    return;
  free(b->ents);
  free(b->table);
  free(b->vals.p);
  free(b->crits.p);
  free(b->upserts);
  free(b->deletes);
  free(b);
}

const char *cmx_kentik_batch_error(const cmx_kentik_batch *b)
{
  return b ? b->err : "";
}

static int berr(cmx_kentik_batch *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int berr(cmx_kentik_batch *b, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(b->err, sizeof(b->err), fmt, ap);
  va_end(ap);
  return CMX_EINVAL;
}

static unsigned char fold(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static uint64_t hash_folded(const char *s, size_t n)
{
  uint64_t h = 1469598103934665603ULL;
  size_t i;

  for (i = 0; i < n; i++) {
    h ^= fold((unsigned char)s[i]);
    h *= 1099511628211ULL;
  }
  return h;
}

static int same_folded(const char *a, const char *b, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (fold((unsigned char)a[i]) != fold((unsigned char)b[i]))
      return 0;
  return 1;
}

static int table_grow(cmx_kentik_batch *b)
{
  size_t ncap = b->tcap ? b->tcap * 2 : 1024, i;
  uint32_t *t = calloc(ncap, sizeof(*t));

  if (!t)
    return CMX_ENOMEM;
  for (i = 0; i < b->nents; i++) {
    const cmx__kentry *e = &b->ents[i];
    size_t h =
        (size_t)hash_folded(b->vals.p + e->val_off, e->val_len) & (ncap - 1);
    while (t[h])
      h = (h + 1) & (ncap - 1);
    t[h] = (uint32_t)(i + 1);
  }
  free(b->table);
  b->table = t;
  b->tcap = ncap;
  return CMX_OK;
}

static int push_idx(uint32_t **arr, size_t *n, size_t *cap, uint32_t v)
{
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 256;
    uint32_t *p = realloc(*arr, nc * sizeof(*p));
    if (!p)
      return CMX_ENOMEM;
    *arr = p;
    *cap = nc;
  }
  (*arr)[(*n)++] = v;
  return CMX_OK;
}

/* Find or create the entry of value p[0..n); the casing is updated. */
static int entry_for(cmx_kentik_batch *b, const char *p, size_t n,
                     cmx__kentry **out)
{
  size_t h, mask;
  cmx__kentry *e;

  if (n > UINT32_MAX / 12)
    return berr(b, "value: longer than %u bytes", UINT32_MAX / 12);
  if ((b->nents + 1) * 2 > b->tcap && table_grow(b) != CMX_OK)
    return CMX_ENOMEM;
  mask = b->tcap - 1;
  h = (size_t)hash_folded(p, n) & mask;
  while (b->table[h]) {
    e = &b->ents[b->table[h] - 1];
    if (e->val_len == n && same_folded(b->vals.p + e->val_off, p, n)) {
      memcpy(b->vals.p + e->val_off, p, n); /* last casing wins */
      *out = e;
      return CMX_OK;
    }
    h = (h + 1) & mask;
  }
  if (b->nents >= UINT32_MAX - 1)
    return berr(b, "batch: too many values");
  if (b->nents == b->capents) {
    size_t nc = b->capents ? b->capents * 2 : 256;
    cmx__kentry *ne = realloc(b->ents, nc * sizeof(*ne));
    if (!ne)
      return CMX_ENOMEM;
    b->ents = ne;
    b->capents = nc;
  }
  e = &b->ents[b->nents];
  memset(e, 0, sizeof(*e));
  e->val_off = b->vals.len;
  e->val_len = (uint32_t)n;
  if (cmx__kentik_buf_add(&b->vals, p, n) != CMX_OK)
    return CMX_ENOMEM;
  b->table[h] = (uint32_t)(++b->nents);
  *out = e;
  return CMX_OK;
}

int cmx_kentik_batch_add_upsert(cmx_kentik_batch *b, const char *value,
                                const cmx_kentik_criteria *c)
{
  const char *p;
  size_t n, rec_off;
  cmx__kentry *e;
  uint64_t next = 0;
  uint32_t clen;
  int rc;

  if (!b)
    return CMX_EINVAL;
  if (!value)
    return berr(b, "value: missing");
  if (!c)
    return berr(b, "criteria: missing");
  p = cmx__kentik_strip(value, &n);
  if (n == 0)
    return berr(b, "value: empty after stripping whitespace");
  if (cmx__kentik_criteria_empty(c))
    return berr(b, "criteria: no field set (the server rejects "
                   "'Missing criteria')");
  if (!cmx__kentik_utf8_valid(p, n))
    return berr(b, "value: not valid UTF-8");
  /* serialise the criteria at the arena's end, after a record header */
  rec_off = b->crits.len;
  if (cmx__kentik_buf_reserve(&b->crits, CMX__KREC_HDR) != CMX_OK)
    return CMX_ENOMEM;
  b->crits.len += CMX__KREC_HDR;
  rc = cmx__kentik_criteria_write(c, &b->crits);
  if (rc != CMX_OK) {
    b->crits.len = rec_off;
    return rc;
  }
  clen = (uint32_t)(b->crits.len - rec_off - CMX__KREC_HDR);
  rc = entry_for(b, p, n, &e);
  if (rc != CMX_OK) {
    b->crits.len = rec_off;
    return rc;
  }
  memcpy(b->crits.p + rec_off, &next, 8);
  memcpy(b->crits.p + rec_off + 8, &clen, 4);
  if (!(e->flags & CMX__KE_UPSERTED)) {
    if (push_idx(&b->upserts, &b->nupserts, &b->capupserts,
                 (uint32_t)(e - b->ents)) != CMX_OK) {
      b->crits.len = rec_off;
      return CMX_ENOMEM;
    }
    e->flags |= CMX__KE_UPSERTED;
    e->head = rec_off + 1;
  } else {
    uint64_t link = rec_off + 1;
    memcpy(b->crits.p + e->tail - 1, &link, 8);
  }
  e->tail = rec_off + 1;
  if (e->ncrit == (1u << 30) - 1)
    return berr(b, "value: too many criteria");
  e->ncrit++;
  b->ncriteria++;
  b->err[0] = '\0';
  return CMX_OK;
}

int cmx_kentik_batch_add_delete(cmx_kentik_batch *b, const char *value)
{
  const char *p;
  size_t n;
  cmx__kentry *e;
  int rc;

  if (!b)
    return CMX_EINVAL;
  if (!value)
    return berr(b, "delete value: missing");
  p = cmx__kentik_strip(value, &n);
  if (n == 0)
    return berr(b, "delete value: empty after stripping whitespace");
  if (!cmx__kentik_utf8_valid(p, n))
    return berr(b, "delete value: not valid UTF-8");
  rc = entry_for(b, p, n, &e);
  if (rc != CMX_OK)
    return rc;
  if (!(e->flags & CMX__KE_DELETED)) {
    if (push_idx(&b->deletes, &b->ndeletes, &b->capdeletes,
                 (uint32_t)(e - b->ents)) != CMX_OK)
      return CMX_ENOMEM;
    e->flags |= CMX__KE_DELETED;
  }
  b->err[0] = '\0';
  return CMX_OK;
}

size_t cmx_kentik_batch_upsert_values(const cmx_kentik_batch *b)
{
  return b ? b->nupserts : 0;
}

size_t cmx_kentik_batch_criteria_count(const cmx_kentik_batch *b)
{
  return b ? b->ncriteria : 0;
}

size_t cmx_kentik_batch_delete_count(const cmx_kentik_batch *b)
{
  size_t i, n = 0;

  if (!b)
    return 0;
  for (i = 0; i < b->ndeletes; i++)
    if (!(b->ents[b->deletes[i]].flags & CMX__KE_UPSERTED))
      n++;
  return n;
}

size_t cmx_kentik_batch_memory(const cmx_kentik_batch *b)
{
  if (!b)
    return 0;
  return sizeof(*b) + b->capents * sizeof(cmx__kentry) +
         b->tcap * sizeof(uint32_t) + b->vals.cap + b->crits.cap +
         (b->capupserts + b->capdeletes) * sizeof(uint32_t);
}
