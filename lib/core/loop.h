/*
 * Internal: the loop glue.  loop.c is the only library file that includes
 * <event2/...>; everything else sees these few operations (the ones
 * libcurl's socket and timer callbacks map onto, plus name resolution).
 */
#ifndef CMX_CORE_LOOP_H
#define CMX_CORE_LOOP_H

#include <stdint.h>
#include <sys/socket.h>

struct event_base;

typedef struct cmx__io cmx__io;
typedef struct cmx__ltimer cmx__ltimer;

#define CMX__IO_READ 0x1
#define CMX__IO_WRITE 0x2

typedef void (*cmx__io_fn)(int fd, int what, void *arg);
typedef void (*cmx__ltimer_fn)(void *arg);

/* Own loop, made thread-aware (libevent_pthreads) so callers may use it. */
struct event_base *cmx__loop_new_base(void);
void cmx__loop_free_base(struct event_base *base);
int cmx__loop_run(struct event_base *base);
void cmx__loop_break(struct event_base *base);

/* An fd watcher, persistent while armed.  cmx__io_set(io, fd, 0) disarms;
 * the watcher object may be re-armed on another fd (reuse, no realloc). */
cmx__io *cmx__io_new(struct event_base *base, cmx__io_fn fn, void *arg);
int cmx__io_set(cmx__io *io, int fd, int what);
void cmx__io_free(cmx__io *io);

/* A one-shot timer; arming again replaces the previous expiry. */
cmx__ltimer *cmx__ltimer_new(struct event_base *base, cmx__ltimer_fn fn,
                             void *arg);
void cmx__ltimer_arm(cmx__ltimer *t, uint64_t ms);
/* The same with a delay in microseconds. */
void cmx__ltimer_arm_us(cmx__ltimer *t, uint64_t us);
void cmx__ltimer_disarm(cmx__ltimer *t);
void cmx__ltimer_free(cmx__ltimer *t);

/* Asynchronous resolution of host for a datagram socket.  `fn` runs with
 * err 0 and an address, or err != 0; it may run before
 * cmx__resolve_start returns (numeric hosts, hosts file).  Freeing the
 * resolver drops pending queries without calling their fn. */
typedef struct cmx__resolver cmx__resolver;
typedef void (*cmx__resolve_fn)(int err, const struct sockaddr *sa,
                                socklen_t salen, void *arg);
cmx__resolver *cmx__resolver_new(struct event_base *base);
void cmx__resolver_free(cmx__resolver *r);
int cmx__resolve_start(cmx__resolver *r, const char *host, unsigned port,
                       cmx__resolve_fn fn, void *arg);

#endif /* CMX_CORE_LOOP_H */
