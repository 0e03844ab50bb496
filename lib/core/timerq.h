/*
 * Internal: the engine's timer heap.  Deadlines, backoff wake-ups, lane
 * refill wake-ups and user timers all live in one binary min-heap on the
 * scheduler clock, behind a single loop timer armed for the earliest one.
 * An idle engine has an empty heap and no armed timer.
 */
#ifndef CMX_CORE_TIMERQ_H
#define CMX_CORE_TIMERQ_H

#include <stddef.h>
#include <stdint.h>

#define CMX__TNODE_IDLE UINT32_MAX

typedef struct cmx__tnode {
  uint64_t when; /* scheduler-clock ms */
  uint32_t idx;  /* heap slot, CMX__TNODE_IDLE when not queued */
  uint8_t kind;  /* owner's tag, used by the owner to dispatch */
} cmx__tnode;

typedef struct cmx__timerq {
  cmx__tnode **heap;
  size_t len;
  size_t cap;
} cmx__timerq;

void cmx__timerq_init(cmx__timerq *q);
void cmx__timerq_free(cmx__timerq *q);
static inline void cmx__tnode_init(cmx__tnode *n, uint8_t kind)
{
  n->when = 0;
  n->idx = CMX__TNODE_IDLE;
  n->kind = kind;
}
static inline int cmx__tnode_queued(const cmx__tnode *n)
{
  return n->idx != CMX__TNODE_IDLE;
}
/* Insert or move `n` to `when`. -1 on ENOMEM. */
int cmx__timerq_set(cmx__timerq *q, cmx__tnode *n, uint64_t when);
void cmx__timerq_remove(cmx__timerq *q, cmx__tnode *n);
/* Earliest node, or NULL. */
static inline cmx__tnode *cmx__timerq_peek(const cmx__timerq *q)
{
  return q->len ? q->heap[0] : NULL;
}

#endif /* CMX_CORE_TIMERQ_H */
