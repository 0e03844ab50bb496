/*
 * UDP datagrams on the loop: names resolved asynchronously (evdns through
 * loop.c, never a blocking getaddrinfo), datagrams sent from non-blocking
 * sockets, queued while the socket buffer is full.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/engine-int.h"

#define CMX__UDP_MAX 65507

typedef struct dgram {
  cmx__misc misc;
  struct dgram *next, *prev; /* live list (resolving or waiting to send) */
  struct dgram *qnext;       /* send queue */
  cmx_engine *engine;
  cmx_udp_cb cb;
  void *ud;
  int code;
  int queued;
  struct sockaddr_storage addr;
  socklen_t alen;
  size_t len;
  char data[];
} dgram;

struct cmx__udp {
  cmx__resolver *resolver;
  int fd4, fd6;
  cmx__io *io4, *io6;
  dgram *live;
  dgram *qhead, *qtail;
};

static void flush_queue(cmx_engine *e);

static void dgram_deliver(cmx__misc *m, cmx_engine *e)
{
  dgram *d = (dgram *)m;

  cmx__work_done(e);
  if (d->cb)
    d->cb(e, d->code, d->ud);
  free(d);
}

static void dgram_end(cmx__udp *u, dgram *d, int code)
{
  if (d->prev)
    d->prev->next = d->next;
  else
    u->live = d->next;
  if (d->next)
    d->next->prev = d->prev;
  d->code = code;
  cmx__misc_push(d->engine, &d->misc);
}

static void on_writable(int fd, int what, void *arg)
{
  cmx_engine *e = arg;

  (void)fd;
  (void)what;
  cmx__enter(e);
  flush_queue(e);
  cmx__leave(e);
}

static int sock_for(cmx_engine *e, int family)
{
  cmx__udp *u = e->udp;
  int *fd = family == AF_INET6 ? &u->fd6 : &u->fd4;
  cmx__io **io = family == AF_INET6 ? &u->io6 : &u->io4;

  if (*fd >= 0)
    return *fd;
  *fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (*fd < 0)
    return -1;
  *io = cmx__io_new(e->base, on_writable, e);
  if (!*io) {
    close(*fd);
    *fd = -1;
    return -1;
  }
  return *fd;
}

static void flush_queue(cmx_engine *e)
{
  cmx__udp *u = e->udp;

  while (u->qhead) {
    dgram *d = u->qhead;
    int fd = sock_for(e, d->addr.ss_family);
    ssize_t n;

    if (fd < 0) {
      n = -1;
    } else {
      do
        n = sendto(fd, d->data, d->len, 0, (struct sockaddr *)&d->addr,
                   d->alen);
      while (n < 0 && errno == EINTR);
      if (n < 0 &&
          (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
        cmx__io_set(d->addr.ss_family == AF_INET6 ? u->io6 : u->io4, fd,
                    CMX__IO_WRITE);
        return;
      }
    }
    u->qhead = d->qnext;
    if (!u->qhead)
      u->qtail = NULL;
    d->queued = 0;
    dgram_end(u, d,
              n >= 0 ? CMX_OK
                     : (errno == EMSGSIZE ? CMX_ETOOBIG : CMX_ETRANSPORT));
  }
  if (u->io4)
    cmx__io_set(u->io4, -1, 0);
  if (u->io6)
    cmx__io_set(u->io6, -1, 0);
}

static void resolved(int err, const struct sockaddr *sa, socklen_t salen,
                     void *arg)
{
  dgram *d = arg;
  cmx_engine *e = d->engine;
  cmx__udp *u = e->udp;

  if (err || !sa || salen > sizeof(d->addr)) {
    dgram_end(u, d, CMX_ERESOLVE);
    return;
  }
  memcpy(&d->addr, sa, salen);
  d->alen = salen;
  d->queued = 1;
  d->qnext = NULL;
  if (u->qtail)
    u->qtail->qnext = d;
  else
    u->qhead = d;
  u->qtail = d;
  if (u->qhead == d)
    flush_queue(e);
}

static int udp_init(cmx_engine *e)
{
  cmx__udp *u = calloc(1, sizeof(*u));

  if (!u)
    return -1;
  u->fd4 = u->fd6 = -1;
  u->resolver = cmx__resolver_new(e->base);
  if (!u->resolver) {
    free(u);
    return -1;
  }
  e->udp = u;
  return 0;
}

int cmx_udp_send(cmx_engine *e, const char *host, unsigned port,
                 const void *data, size_t len, cmx_udp_cb cb, void *ud)
{
  dgram *d;

  if (!e || !host || !*host || port == 0 || port > 65535 || (!data && len))
    return CMX_EINVAL;
  if (len > CMX__UDP_MAX)
    return CMX_ETOOBIG;
  if (e->freeing || e->draining == 3)
    return CMX_ESHUTDOWN;
  if (!e->udp && udp_init(e) != 0)
    return CMX_ENOMEM;
  d = calloc(1, sizeof(*d) + len);
  if (!d)
    return CMX_ENOMEM;
  d->misc.fire = dgram_deliver;
  d->engine = e;
  d->cb = cb;
  d->ud = ud;
  d->len = len;
  if (len)
    memcpy(d->data, data, len);
  d->next = e->udp->live;
  if (d->next)
    d->next->prev = d;
  e->udp->live = d;
  e->outstanding++;
  if (cmx__resolve_start(e->udp->resolver, host, port, resolved, d) != 0) {
    dgram_end(e->udp, d, CMX_ENOMEM);
  }
  return CMX_OK;
}

void cmx__udp_free(cmx_engine *e)
{
  cmx__udp *u = e->udp;

  if (!u)
    return;
  /* Drops queries in flight without calling back. */
  cmx__resolver_free(u->resolver);
  u->resolver = NULL;
  while (u->live)
    dgram_end(u, u->live, CMX_ECANCELED);
  u->qhead = u->qtail = NULL;
  cmx__io_free(u->io4);
  cmx__io_free(u->io6);
  if (u->fd4 >= 0)
    close(u->fd4);
  if (u->fd6 >= 0)
    close(u->fd6);
  free(u);
  e->udp = NULL;
}
