/*
 * Mailboxes: the thread-safe way into the loop.  Any thread appends a
 * (function, argument) pair under a mutex and, when the box was empty,
 * wakes the loop through an eventfd; the loop runs the whole batch.  The
 * engine has two: cmx_engine_post() for users, and worker completions.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/engine-int.h"

typedef struct mail {
  struct mail *next;
  cmx_post_fn fn;
  void *ud;
} mail;

struct cmx__mbox {
  cmx_engine *engine;
  pthread_mutex_t mu;
  mail *head, *tail;
  cmx__io *io;
  int efd;
  int closed;
};

static mail *take_all(cmx__mbox *m)
{
  mail *l;

  pthread_mutex_lock(&m->mu);
  l = m->head;
  m->head = m->tail = NULL;
  pthread_mutex_unlock(&m->mu);
  return l;
}

static void run_list(mail *l, cmx_engine *pass)
{
  while (l) {
    mail *next = l->next;
    l->fn(pass, l->ud);
    free(l);
    l = next;
  }
}

static void on_wake(int fd, int what, void *arg)
{
  cmx__mbox *m = arg;
  cmx_engine *e = m->engine;
  uint64_t v;

  (void)what;
  while (read(fd, &v, sizeof(v)) < 0 && errno == EINTR)
    ;
  cmx__enter(e);
  run_list(take_all(m), e);
  cmx__leave(e);
}

cmx__mbox *cmx__mbox_new(cmx_engine *e)
{
  cmx__mbox *m = calloc(1, sizeof(*m));

  if (!m)
    return NULL;
  m->engine = e;
  m->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (m->efd < 0) {
    free(m);
    return NULL;
  }
  pthread_mutex_init(&m->mu, NULL);
  m->io = cmx__io_new(e->base, on_wake, m);
  if (!m->io || cmx__io_set(m->io, m->efd, CMX__IO_READ) != 0) {
    cmx__io_free(m->io);
    close(m->efd);
    pthread_mutex_destroy(&m->mu);
    free(m);
    return NULL;
  }
  return m;
}

int cmx__mbox_put(cmx__mbox *m, cmx_post_fn fn, void *ud)
{
  mail *x = malloc(sizeof(*x));
  int wake;

  if (!x)
    return CMX_ENOMEM;
  x->next = NULL;
  x->fn = fn;
  x->ud = ud;
  pthread_mutex_lock(&m->mu);
  if (m->closed) {
    pthread_mutex_unlock(&m->mu);
    free(x);
    return CMX_ESHUTDOWN;
  }
  wake = m->head == NULL;
  if (m->tail)
    m->tail->next = x;
  else
    m->head = x;
  m->tail = x;
  if (wake) {
    uint64_t one = 1;
    while (write(m->efd, &one, sizeof(one)) < 0 && errno == EINTR)
      ;
  }
  pthread_mutex_unlock(&m->mu);
  return CMX_OK;
}

void cmx__mbox_drain(cmx__mbox *m, cmx_engine *pass)
{
  run_list(take_all(m), pass);
}

void cmx__mbox_close(cmx__mbox *m)
{
  pthread_mutex_lock(&m->mu);
  m->closed = 1;
  pthread_mutex_unlock(&m->mu);
}

void cmx__mbox_free(cmx__mbox *m, cmx_engine *pass)
{
  if (!m)
    return;
  cmx__mbox_close(m);
  cmx__mbox_drain(m, pass);
  cmx__io_free(m->io);
  close(m->efd);
  pthread_mutex_destroy(&m->mu);
  free(m);
}

int cmx__post_init(cmx_engine *e)
{
  e->post = cmx__mbox_new(e);
  return e->post ? 0 : -1;
}

void cmx__post_free(cmx_engine *e)
{
  cmx__mbox_free(e->post, NULL);
  e->post = NULL;
}

int cmx_engine_post(cmx_engine *e, cmx_post_fn fn, void *ud)
{
  if (!e || !fn)
    return CMX_EINVAL;
  return cmx__mbox_put(e->post, fn, ud);
}
