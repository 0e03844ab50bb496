/*
 * Internal: the engine's structures, shared by the lib/core files.
 *
 *   engine.c    lifetime, options, entry/leave (deferred completions), run
 *   multi.c     libcurl multi_socket glue (sockets, curl timer, info_read)
 *   xfer.c      one attempt on an easy handle: options, bodies, sinks
 *   request.c   building requests (URL, query encoding, headers, bodies)
 *   call.c      a call's life: submit, admit, attempt end, retry, finish
 *   lane.c      lanes: queues, caps, token bucket, 429 handling
 *   response.c  response accessors
 *   stats.c     statistics JSON
 *   timer.c     public timers;  post.c  cross-thread posts;
 *   work.c      worker threads; udp.c   datagrams;  log.c  logging
 */
#ifndef CMX_CORE_ENGINE_INT_H
#define CMX_CORE_ENGINE_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <curl/curl.h>

#include <callmux/callmux.h>

#include "core/aimd.h"
#include "core/backoff.h"
#include "core/bucket.h"
#include "core/budget.h"
#include "core/hist.h"
#include "core/loop.h"
#include "core/timerq.h"

#define CMX__DEFAULT_RESPONSE_CAP ((size_t)64 << 20)
#define CMX__NCODES 32 /* >= number of codes in CMX_ERRNO_MAP */

/* Timer-heap node kinds. */
enum {
  CMX__T_DEADLINE = 1, /* cmx_call.deadline */
  CMX__T_WAKE,         /* cmx__xfer.wake: backoff over */
  CMX__T_LANE,         /* cmx_lane.wake: tokens or pause over */
  CMX__T_USER          /* cmx_timer */
};

/* Call states. */
enum {
  CMX__S_NEW = 0, /* a request, not submitted */
  CMX__S_QUEUED,
  CMX__S_INFLIGHT,
  CMX__S_BACKOFF,
  CMX__S_DONE, /* in the engine's completion list */
  CMX__S_IDLE  /* between an attempt's end and the decision on it */
};

/* Call flags. */
#define CMX__F_INTERACTIVE 0x0001
#define CMX__F_RETRY_SAFE 0x0002
#define CMX__F_NO_RETRY 0x0004
#define CMX__F_EXPECT_JSON 0x0008
#define CMX__F_CANCELED 0x0010
#define CMX__F_CUSTOM_UA 0x0020
#define CMX__F_OWN_METHOD 0x0040
#define CMX__F_GOT_DEADLINE 0x0080

enum { CMX__B_NONE = 0, CMX__B_MEM, CMX__B_FILE, CMX__B_CB };
enum { CMX__K_MEM = 0, CMX__K_FILE, CMX__K_CB };

/* Secret headers are stored with this first byte in the packed list. */
#define CMX__HDR_SECRET '\001'
#define CMX__HDR_PLAIN '\002'

typedef struct cmx__xfer cmx__xfer;

/*
 * A request before submit, a call after: one object, kept small because a
 * million may sit queued (no curl handle, no socket, no buffers until
 * admitted; those live in the cmx__xfer made at admission).
 */
struct cmx_call {
  cmx_engine *engine;
  union {
    cmx_lane *lane;  /* after submit */
    char *lane_name; /* before submit, NULL: default lane */
  } l;
  struct cmx_call *next, *prev; /* lane queue / completion list */
  char *url;                    /* with the query */
  char *method;                 /* NULL: GET */
  char *hdrs;                   /* packed: {kind byte}"Name: value\0"... */
  uint32_t hdrs_len;
  uint32_t timeout_ms;
  uint16_t flags;
  uint8_t state;
  uint8_t body_kind;
  uint8_t sink_kind;
  uint8_t follow_max;
  uint8_t attempts;
  uint8_t follows;
  int16_t final_code;
  cmx__tnode deadline;
  uint64_t submit_ms;
  union {
    struct {
      const char *data;
      size_t len;
      void (*free_fn)(void *);
    } mem;
    struct {
      off_t off;
      uint64_t len;
      int fd;
    } file;
    struct {
      cmx_body_read_fn fn;
      void *ud;
      int64_t len;
    } cb;
  } body;
  union {
    size_t cap; /* memory */
    struct {
      off_t off;
      int fd;
    } file;
    struct {
      cmx_body_write_fn fn;
      void *ud;
    } cb;
  } sink;
  cmx_done_fn done;
  void *ud;
  cmx_error_parser parser;
  cmx__xfer *xfer;
  char *early_detail; /* detail of a call that ended before admission */
};

/* Response header store: packed "name\0value\0" pairs. */
typedef struct cmx__buf {
  char *data;
  size_t len;
  size_t cap;
} cmx__buf;

int cmx__buf_add(cmx__buf *b, const void *p, size_t n);
void cmx__buf_free(cmx__buf *b);

/* The response handed to callbacks. */
struct cmx_response {
  cmx_call *call;
  int code;
  long status;
  int http_version; /* 10, 11, 20, 30; 0 = none */
  cmx__buf body;    /* memory sink / error bodies, NUL-terminated */
  cmx__buf headers; /* packed name\0value\0 */
  uint64_t sink_bytes;
  char *detail;
  struct json_object *json;
  int json_done;
  cmx_service_error se;
  int se_set;
  char **strs; /* cmx_response_strdup arena */
  size_t nstrs;
  uint64_t elapsed_ms;
};

/* One call's transfer state, from admission to completion. */
struct cmx__xfer {
  cmx_response res;
  CURL *easy;
  struct curl_slist *slist;
  cmx__tnode wake;
  uint64_t admit_ms; /* admission of the current attempt */
  uint64_t first_admit_ms;
  uint64_t body_pos; /* request body bytes read so far */
  int in_multi;
  int too_big;
  int sink_err;
  int to_sink;        /* status decided: 2xx body goes to the sink */
  int header_status;  /* status of the header block being received */
  unsigned sends;     /* times libcurl sent this attempt's request */
  int resend_refused; /* libcurl's own resend was stopped */
  char errbuf[CURL_ERROR_SIZE];
};

struct cmx_lane {
  cmx_engine *engine;
  char *name;
  struct cmx_lane *hnext; /* hash chain */
  struct cmx_lane *all_next;
  /* queue: interactive calls first, then bulk; FIFO within each */
  cmx_call *qi_head, *qi_tail, *qb_head, *qb_tail;
  size_t queued;
  size_t queue_limit;
  unsigned inflight;
  unsigned max_inflight; /* configured */
  unsigned eff_inflight; /* after 429 cuts */
  double rate;           /* configured, 0 = none */
  unsigned burst;
  cmx__bucket bucket;
  cmx__aimd aimd;
  uint64_t paused_until;
  uint64_t cap_cut_ms; /* when eff_inflight was last halved (+1) */
  /* Server-announced quota (ratelimit-remaining / ratelimit-reset). */
  int quota_known;
  long quota_left;
  uint64_t quota_reset_at;
  cmx__tnode wake;
  cmx_retry_policy retry;
  cmx__budget budget;
  /* statistics */
  uint64_t n_submitted, n_ok, n_failed, n_retries, n_429, n_attempts;
  uint64_t n_by_code[CMX__NCODES];
  cmx__hist h_queue;   /* submit -> first admission, us */
  cmx__hist h_service; /* attempt admission -> end, us */
  cmx__hist h_total;   /* submit -> completion, us */
};

typedef struct cmx__sock cmx__sock;
typedef struct cmx__misc cmx__misc;

/* Deferred completions other than calls (timers, udp, work, drain). */
struct cmx__misc {
  cmx__misc *next;
  void (*fire)(cmx__misc *m, cmx_engine *e);
};

struct cmx_options {
  char *ca_file;
  char *user_agent;
  cmx_log_fn log_fn;
  void *log_ud;
  cmx_log_level log_max;
  long max_connections;
  unsigned def_inflight;
  size_t def_queue;
  unsigned workers;
  cmx_clock_fn clock;
  void *clock_ud;
};

typedef struct cmx__mbox cmx__mbox;
typedef struct cmx__workpool cmx__workpool;
typedef struct cmx__udp cmx__udp;

struct cmx_engine {
  struct event_base *base;
  int own_base;
  CURLM *multi;
  cmx_options opt;
  cmx__ltimer *curl_timer;
  cmx__ltimer *heap_timer;
  cmx__ltimer *flush_timer; /* deferred completions from API calls */
  uint64_t heap_armed_for;  /* UINT64_MAX when disarmed */
  int flush_armed;
  cmx__timerq tq;
  cmx__rng rng;
  /* lanes */
  cmx_lane **lane_tab;
  size_t lane_tab_size;
  size_t nlanes;
  cmx_lane *lanes;  /* all lanes, in creation order (reverse) */
  cmx_call *active; /* in flight or in backoff (linked by next/prev) */
  /* completion lists */
  cmx_call *done_head, *done_tail;
  cmx__misc *misc_head, *misc_tail;
  /* easy handle and socket-watcher pools */
  CURL **easy_pool;
  size_t easy_pool_len, easy_pool_cap;
  cmx__sock *sock_pool;
  cmx__sock *sock_all;
  /* accounting */
  size_t outstanding;
  size_t inflight_total;
  uint64_t connects; /* connections libcurl opened (CURLINFO_NUM_CONNECTS) */
  int depth;         /* nested entries into engine code from the loop */
  int freeing;       /* cmx_engine_free called while depth > 0 */
  int running;       /* cmx_engine_run in progress */
  int draining;
  cmx_drain_cb drain_cb;
  void *drain_ud;
  int in_curl; /* inside curl_multi_socket_action */
  cmx__mbox *post;
  cmx__workpool *work;
  cmx__udp *udp;
};

/* engine.c */
uint64_t cmx__now(cmx_engine *e);
void cmx__enter(cmx_engine *e);
/* Leaves engine code: delivers deferred completions when outermost; may
 * free the engine (returns 1 then: the caller must not touch it). */
int cmx__leave(cmx_engine *e);
void cmx__defer_flush(cmx_engine *e);
void cmx__heap_rearm(cmx_engine *e);
int cmx__heap_set(cmx_engine *e, cmx__tnode *n, uint64_t when);
void cmx__misc_push(cmx_engine *e, cmx__misc *m);
void cmx__work_done(cmx_engine *e); /* an outstanding item ended */
void cmx__maybe_drained(cmx_engine *e);

/* multi.c */
int cmx__multi_init(cmx_engine *e);
void cmx__multi_cleanup(cmx_engine *e);
void cmx__multi_kick(cmx_engine *e);

/* xfer.c */
int cmx__xfer_start(cmx_call *c); /* add an attempt to the multi */
void cmx__xfer_stop(cmx_call *c); /* remove from multi, keep state */
void cmx__xfer_release_easy(cmx_call *c);
void cmx__xfer_free(cmx__xfer *x);
CURL *cmx__easy_get(cmx_engine *e, int *fresh); /* fresh: new handle */
void cmx__easy_put(cmx_engine *e, CURL *h);

/* call.c */
void cmx__call_attempt_done(cmx_call *c, CURLcode rc);
void cmx__call_finish(cmx_call *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cmx__call_deadline(cmx_call *c);
void cmx__call_wake(cmx_call *c);
void cmx__call_free(cmx_call *c);
int cmx__call_admit(cmx_call *c);
void cmx__deliver(cmx_engine *e, cmx_call *c);
int cmx__method_idempotent(const char *m);
void cmx__call_drop_secrets(cmx_call *c);
void cmx__active_link(cmx_engine *e, cmx_call *c);
void cmx__active_unlink(cmx_engine *e, cmx_call *c);

/* lane.c */
cmx_lane *cmx__lane_for(cmx_engine *e, cmx_call *c, int *err);
void cmx__lane_push(cmx_lane *l, cmx_call *c, int front);
void cmx__lane_unlink(cmx_lane *l, cmx_call *c);
void cmx__lane_pump(cmx_lane *l);
void cmx__lane_wake(cmx_lane *l);
void cmx__lane_on_429(cmx_lane *l, uint64_t pause_ms);
void cmx__lane_on_success(cmx_lane *l);
void cmx__lane_note_quota(cmx_lane *l, const cmx_response *r);
void cmx__lanes_free(cmx_engine *e);
int cmx__lane_origin(const char *url, char *out, size_t outlen);

/* response.c */
void cmx__response_reset(cmx_response *r);
void cmx__response_clear(cmx_response *r);
int cmx__response_add_header(cmx_response *r, const char *line, size_t n);

/* log.c */
void cmx__log(cmx_engine *e, cmx_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
char *cmx__strdup(const char *s);
char *cmx__vasprintf(const char *fmt, va_list ap);

/* timer.c */
void cmx__user_timer_fire(cmx__tnode *n);
void cmx__timers_cancel_all(cmx_engine *e);

/* post.c */
cmx__mbox *cmx__mbox_new(cmx_engine *e);
int cmx__mbox_put(cmx__mbox *m, cmx_post_fn fn, void *ud); /* any thread */
void cmx__mbox_drain(cmx__mbox *m, cmx_engine *pass);
void cmx__mbox_close(cmx__mbox *m);
void cmx__mbox_free(cmx__mbox *m, cmx_engine *pass);
int cmx__post_init(cmx_engine *e);
void cmx__post_free(cmx_engine *e);

/* work.c */
void cmx__work_free(cmx_engine *e);

/* udp.c */
void cmx__udp_free(cmx_engine *e);

/* stats.c */

#endif /* CMX_CORE_ENGINE_INT_H */
