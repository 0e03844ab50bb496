/* Public one-shot timers on the engine's timer heap. */
#include "config.h"

#include <stdlib.h>

#include "core/engine-int.h"

struct cmx_timer {
  cmx__tnode node; /* first: the heap hands back this pointer */
  cmx__misc misc;
  cmx_engine *engine;
  cmx_timer_cb cb;
  void *ud;
  int code;
  int ended;
};

static void timer_deliver(cmx__misc *m, cmx_engine *e)
{
  cmx_timer *t = (cmx_timer *)((char *)m - offsetof(cmx_timer, misc));

  cmx__work_done(e);
  if (t->cb)
    t->cb(e, t->code, t->ud);
  free(t);
}

int cmx_timer_start(cmx_engine *e, uint64_t delay_ms, cmx_timer_cb cb,
                    void *ud, cmx_timer **out)
{
  cmx_timer *t;

  if (out)
    *out = NULL;
  if (!e || !cb)
    return CMX_EINVAL;
  if (e->freeing || e->draining == 3)
    return CMX_ESHUTDOWN;
  t = calloc(1, sizeof(*t));
  if (!t)
    return CMX_ENOMEM;
  cmx__tnode_init(&t->node, CMX__T_USER);
  t->misc.fire = timer_deliver;
  t->engine = e;
  t->cb = cb;
  t->ud = ud;
  if (cmx__heap_set(e, &t->node, cmx__now(e) + delay_ms) != 0) {
    free(t);
    return CMX_ENOMEM;
  }
  e->outstanding++;
  if (out)
    *out = t;
  return CMX_OK;
}

static void end_timer(cmx_timer *t, int code)
{
  if (t->ended)
    return;
  t->ended = 1;
  t->code = code;
  cmx__timerq_remove(&t->engine->tq, &t->node);
  cmx__misc_push(t->engine, &t->misc);
}

void cmx__user_timer_fire(cmx__tnode *n)
{
  end_timer((cmx_timer *)n, CMX_OK);
}

void cmx_timer_cancel(cmx_timer *t)
{
  if (t)
    end_timer(t, CMX_ECANCELED);
}

void cmx__timers_cancel_all(cmx_engine *e)
{
  size_t i = 0;

  /* Removal reshuffles the heap: rescan from the start after each one. */
  while (i < e->tq.len) {
    if (e->tq.heap[i]->kind == CMX__T_USER) {
      end_timer((cmx_timer *)e->tq.heap[i], CMX_ECANCELED);
      i = 0;
    } else {
      i++;
    }
  }
}
