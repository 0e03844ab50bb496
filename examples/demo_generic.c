/*
 * The demo's generic scenario: a mixed load on one default lane (small JSON
 * GETs, uploads, downloads, slow calls with deadlines, transient 503s that
 * are retried), the way an event-driven server's outbound calls look.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"

typedef struct gen {
  demo_tally *t;
  uint64_t started;
  cmx_engine *e;
} gen;

static void done(cmx_call *call, const cmx_response *res, void *ud)
{
  gen *g = ud;

  (void)call;
  demo_record(g->t, "generic", cmx_response_code(res),
              cmx_response_elapsed_ms(res));
}

static int submit(gen *g, const char *method, const char *base,
                  const char *path, const char *body, uint64_t deadline_ms)
{
  char url[512];
  cmx_request *r;

  snprintf(url, sizeof(url), "%s%s", base, path);
  r = cmx_request_new(method, url);
  if (!r)
    return -1;
  if (body)
    cmx_request_set_body(r, body, strlen(body), "application/json");
  if (deadline_ms)
    cmx_request_set_deadline_ms(r, deadline_ms);
  cmx_request_set_lane(r, "demo-generic");
  cmx_request_expect_json(r);
  return cmx_submit(g->e, r, done, g, NULL) == CMX_OK ? 0 : -1;
}

int demo_generic(cmx_engine *engine, const char *base_url, demo_tally *t)
{
  static gen g;
  int i;

  g.t = t;
  g.e = engine;
  cmx_lane_set_max_inflight(cmx_engine_lane(engine, "demo-generic"), 64);
  for (i = 0; i < 20000; i++) {
    int rc;
    switch (i % 20) {
    case 0:
      rc = submit(&g, "POST", base_url, "/echo", "{\"event\":\"demo\"}", 0);
      break;
    case 1:
      rc = submit(&g, "GET", base_url, "/slow/20", NULL, 5000);
      break;
    case 2:
      rc = submit(&g, "GET", base_url, "/slow/3000", NULL, 200);
      break;
    default:
      rc = submit(&g, "GET", base_url, "/json", NULL, 0);
      break;
    }
    if (rc != 0)
      return -1;
  }
  demo_note(t, "generic",
            "20000 calls: small JSON GETs, POSTs, slow calls; 1000 of them "
            "meant to miss a 200 ms deadline (ETIMEDOUT)");
  return 0;
}
