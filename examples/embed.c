/*
 * Embedding callmux in a program that owns its event_base: the engine adds
 * its sockets and timers to the caller's loop and never runs or frees it.
 *
 *   embed URL [N]     GET URL N times (default 10) with 4 in flight
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include <callmux/callmux.h>

typedef struct state {
  int left;
  int ok;
  struct event_base *base;
} state;

static void on_done(cmx_call *call, const cmx_response *res, void *ud)
{
  state *s = ud;

  (void)call;
  if (cmx_response_code(res) == CMX_OK)
    s->ok++;
  else
    fprintf(stderr, "call failed: %s: %s\n",
            cmx_code_name(cmx_response_code(res)), cmx_response_detail(res));
  if (--s->left == 0)
    event_base_loopexit(s->base, NULL); /* our loop, our decision */
}

int main(int argc, char **argv)
{
  struct event_base *base;
  cmx_engine *engine;
  state s;
  int i, n = argc > 2 ? atoi(argv[2]) : 10;

  if (argc < 2 || n <= 0) {
    fprintf(stderr, "usage: embed URL [N]\n");
    return 2;
  }
  base = event_base_new();
  engine = cmx_engine_new(base, NULL);
  if (!base || !engine)
    return 1;
  cmx_lane_set_max_inflight(cmx_engine_lane(engine, "embed"), 4);
  s.left = n;
  s.ok = 0;
  s.base = base;
  for (i = 0; i < n; i++) {
    cmx_request *req = cmx_request_new("GET", argv[1]);
    if (!req || cmx_request_set_lane(req, "embed") != CMX_OK ||
        cmx_submit(engine, req, on_done, &s, NULL) != CMX_OK) {
      fprintf(stderr, "bad URL: %s\n", argv[1]);
      return 2;
    }
  }
  event_base_dispatch(base);
  printf("%d of %d calls ok\n", s.ok, n);
  cmx_engine_free(engine); /* before the base it uses */
  event_base_free(base);
  return s.ok == n ? 0 : 1;
}
