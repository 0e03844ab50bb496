/* The engine's timer heap. */
#include "config.h"

#include <stdlib.h>

#include "core/timerq.h"

void cmx__timerq_init(cmx__timerq *q)
{
  q->heap = NULL;
  q->len = 0;
  q->cap = 0;
}

void cmx__timerq_free(cmx__timerq *q)
{
  free(q->heap);
  cmx__timerq_init(q);
}

static void put(cmx__timerq *q, size_t i, cmx__tnode *n)
{
  q->heap[i] = n;
  n->idx = (uint32_t)i;
}

static void sift_up(cmx__timerq *q, size_t i)
{
  cmx__tnode *n = q->heap[i];

  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (q->heap[parent]->when <= n->when)
      break;
    put(q, i, q->heap[parent]);
    i = parent;
  }
  put(q, i, n);
}

static void sift_down(cmx__timerq *q, size_t i)
{
  cmx__tnode *n = q->heap[i];

  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= q->len)
      break;
    if (c + 1 < q->len && q->heap[c + 1]->when < q->heap[c]->when)
      c++;
    if (n->when <= q->heap[c]->when)
      break;
    put(q, i, q->heap[c]);
    i = c;
  }
  put(q, i, n);
}

int cmx__timerq_set(cmx__timerq *q, cmx__tnode *n, uint64_t when)
{
  if (cmx__tnode_queued(n)) {
    uint64_t old = n->when;
    n->when = when;
    if (when < old)
      sift_up(q, n->idx);
    else
      sift_down(q, n->idx);
    return 0;
  }
  if (q->len == q->cap) {
    size_t ncap = q->cap ? q->cap * 2 : 64;
    cmx__tnode **h = realloc(q->heap, ncap * sizeof(*h));
    if (!h)
      return -1;
    q->heap = h;
    q->cap = ncap;
  }
  n->when = when;
  put(q, q->len++, n);
  sift_up(q, n->idx);
  return 0;
}

void cmx__timerq_remove(cmx__timerq *q, cmx__tnode *n)
{
  size_t i = n->idx;
  cmx__tnode *last;

  if (!cmx__tnode_queued(n))
    return;
  n->idx = CMX__TNODE_IDLE;
  last = q->heap[--q->len];
  if (i == q->len)
    return;
  put(q, i, last);
  if (i > 0 && q->heap[(i - 1) / 2]->when > last->when)
    sift_up(q, i);
  else
    sift_down(q, i);
}
