/*
 * Worker threads for CPU work (hashing) that must not run on the loop.
 * Threads start on first use; results come back through a mailbox, so the
 * done callback always runs on the loop thread.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/engine-int.h"

typedef struct witem {
  struct witem *next;
  cmx__misc misc; /* cancelled before it ran */
  cmx_work_fn work;
  cmx_work_done_fn done;
  void *ud;
  int code;
} witem;

struct cmx__workpool {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  witem *head, *tail;
  pthread_t *threads;
  unsigned nthreads;
  int stop;
  cmx__mbox *results;
};

static void item_end(cmx_engine *e, witem *w)
{
  cmx__work_done(e);
  if (w->done)
    w->done(e, w->code, w->ud);
  free(w);
}

/* Loop thread: a finished item's result arrived. */
static void item_result(cmx_engine *e, void *arg)
{
  item_end(e, arg);
}

static void item_cancelled(cmx__misc *m, cmx_engine *e)
{
  item_end(e, (witem *)((char *)m - offsetof(witem, misc)));
}

static void *worker(void *arg)
{
  cmx__workpool *p = arg;

  for (;;) {
    witem *w;
    pthread_mutex_lock(&p->mu);
    while (!p->head && !p->stop)
      pthread_cond_wait(&p->cv, &p->mu);
    if (p->stop) {
      pthread_mutex_unlock(&p->mu);
      return NULL;
    }
    w = p->head;
    p->head = w->next;
    if (!p->head)
      p->tail = NULL;
    pthread_mutex_unlock(&p->mu);
    w->work(w->ud);
    w->code = CMX_OK;
    /* The box closes only after the threads are joined. */
    cmx__mbox_put(p->results, item_result, w);
  }
}

static cmx__workpool *pool_start(cmx_engine *e)
{
  cmx__workpool *p = calloc(1, sizeof(*p));
  unsigned i;

  if (!p)
    return NULL;
  p->threads = calloc(e->opt.workers, sizeof(*p->threads));
  p->results = cmx__mbox_new(e);
  if (!p->threads || !p->results) {
    cmx__mbox_free(p->results, NULL);
    free(p->threads);
    free(p);
    return NULL;
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  for (i = 0; i < e->opt.workers; i++) {
    if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
      break;
    p->nthreads++;
  }
  if (p->nthreads == 0) {
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    cmx__mbox_free(p->results, NULL);
    free(p->threads);
    free(p);
    return NULL;
  }
  return p;
}

int cmx_engine_work(cmx_engine *e, cmx_work_fn work, cmx_work_done_fn done,
                    void *ud)
{
  witem *w;

  if (!e || !work)
    return CMX_EINVAL;
  if (e->freeing || e->draining == 3)
    return CMX_ESHUTDOWN;
  if (!e->work && !(e->work = pool_start(e)))
    return CMX_ENOMEM;
  w = calloc(1, sizeof(*w));
  if (!w)
    return CMX_ENOMEM;
  w->work = work;
  w->done = done;
  w->ud = ud;
  w->misc.fire = item_cancelled;
  e->outstanding++;
  pthread_mutex_lock(&e->work->mu);
  if (e->work->tail)
    e->work->tail->next = w;
  else
    e->work->head = w;
  e->work->tail = w;
  pthread_cond_signal(&e->work->cv);
  pthread_mutex_unlock(&e->work->mu);
  return CMX_OK;
}

/* Engine free: stop the threads (a running item finishes first), deliver
 * finished results, cancel the rest. */
void cmx__work_free(cmx_engine *e)
{
  cmx__workpool *p = e->work;
  unsigned i;

  if (!p)
    return;
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (i = 0; i < p->nthreads; i++)
    pthread_join(p->threads[i], NULL);
  cmx__mbox_free(p->results, e);
  while (p->head) {
    witem *w = p->head;
    p->head = w->next;
    w->code = CMX_ECANCELED;
    cmx__misc_push(e, &w->misc);
  }
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  free(p->threads);
  free(p);
  e->work = NULL;
}
