/*
 * Shared by the Kentik examples: command line, engine and client set-up,
 * and "submit, then wait for the batch" with a printed summary.
 *   example URL [options]   (URL e.g. http://127.0.0.1:PORT of callmux-sim,
 *                            or https://api.kentik.com)
 * Credentials come from KENTIK_EMAIL / KENTIK_TOKEN (default: the
 * simulator's test@example.com / test-token).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kentik_util.h"

int kx_setup(kx *x, const char *url)
{
  const char *email = getenv("KENTIK_EMAIL"), *token = getenv("KENTIK_TOKEN");
  char err[256];

  memset(x, 0, sizeof(*x));
  x->engine = cmx_engine_new(NULL, NULL);
  if (!x->engine) {
    fprintf(stderr, "engine: out of memory\n");
    return -1;
  }
  x->k = cmx_kentik_new(x->engine, email ? email : "test@example.com",
                        token ? token : "test-token", url, err, sizeof(err));
  if (!x->k) {
    fprintf(stderr, "kentik: %s\n", err);
    cmx_engine_free(x->engine);
    return -1;
  }
  return 0;
}

void kx_teardown(kx *x)
{
  cmx_kentik_free(x->k);
  cmx_engine_free(x->engine);
}

static void on_progress(size_t part, size_t total, size_t bytes,
                        const char *guid, void *ud)
{
  (void)ud;
  printf("part %zu/%zu accepted (%zu bytes), batch %s\n", part, total, bytes,
         guid);
}

static void on_status(int code, const cmx_kentik_status *st,
                      const char *detail, void *ud)
{
  kx *x = ud;

  if (code != CMX_OK || !st) {
    fprintf(stderr, "wait: %s %s\n", cmx_code_name(code), detail);
    x->rc = 1;
    return;
  }
  printf("batch %s: %s, %ld part(s)\n", st->guid,
         st->is_pending ? "pending" : "done", st->number_of_parts);
  printf("  upserts: total %ld applied %ld unchanged %ld invalid %ld\n",
         st->upserts.total, st->upserts.applied, st->upserts.unchanged,
         st->upserts.invalid);
  printf("  deletes: total %ld applied %ld unchanged %ld invalid %ld\n",
         st->deletes.total, st->deletes.applied, st->deletes.unchanged,
         st->deletes.invalid);
  if (st->replace_all.requested)
    printf("  replace_all: %ld deleted\n", st->replace_all.deletes_performed);
}

static void on_submit(const cmx_kentik_submit_result *r, void *ud)
{
  kx *x = ud;
  int rc;

  if (r->code != CMX_OK) {
    fprintf(stderr, "submit: %s: %s\n", cmx_code_name(r->code), r->detail);
    x->rc = 1;
    return;
  }
  printf("submitted %zu part(s): %s\n", r->parts_total, r->message);
  rc = cmx_kentik_batch_wait(x->k, r->guid, 1000, 60000, on_status, x);
  if (rc != CMX_OK) {
    fprintf(stderr, "wait: %s\n", cmx_strerror(rc));
    x->rc = 1;
  }
}

int kx_submit_and_wait(kx *x, const char *dimension, const cmx_kentik_batch *b)
{
  char err[300];
  int rc;

  rc = dimension
           ? cmx_kentik_submit_populators(x->k, dimension, b, on_progress,
                                          on_submit, x, err, sizeof(err))
           : cmx_kentik_submit_tags(x->k, b, on_progress, on_submit, x, err,
                                    sizeof(err));
  if (rc != CMX_OK) {
    fprintf(stderr, "submit: %s\n", err);
    return 1;
  }
  cmx_engine_run(x->engine);
  return x->rc;
}
