/*
 * Which hosts run version V of app A?  Asks a Partisci server and prints
 * one line per host instance.
 *
 *   partisci_which [--era documented|later|auto] URL APP VERSION
 *
 * APP is the application's name as reported ("Demo App A"); the query
 * uses its app_id (cmx_partisci_app_id), as the server filters on that.
 * Exit status: 0 when at least one host matched, 1 when none, 2 on an
 * error (unlike the reference command-line client, which always exits 0).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <callmux/callmux.h>
#include <callmux/partisci.h>

typedef struct answer {
  int done, status;
} answer;

static void on_versions(cmx_partisci *c, const cmx_partisci_result *r,
                        void *ud)
{
  answer *a = ud;
  size_t i;

  (void)c;
  a->done = 1;
  if (r->code != CMX_OK) {
    fprintf(stderr, "partisci_which: %s: %s\n", cmx_code_name(r->code),
            r->error);
    a->status = 2;
    return;
  }
  for (i = 0; i < r->n; i++) {
    const cmx_partisci_version *v = &r->versions[i];
    time_t t = (time_t)v->last_update;
    char when[32];
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%-40s instance %-5u ip %-15s last update %s\n", v->host,
           v->instance, v->host_ip, when);
  }
  a->status = r->n > 0 ? 0 : 1;
  if (r->n == 0)
    fprintf(stderr, "no host reports this version\n");
}

int main(int argc, char **argv)
{
  cmx_partisci_era era = CMX_PARTISCI_ERA_AUTO;
  int i = 1;
  cmx_engine *e;
  cmx_partisci *c;
  cmx_partisci_filter f;
  answer a = {0, 2};
  char err[256], *id;
  int rc;

  if (argc > 2 && strcmp(argv[1], "--era") == 0) {
    if (strcmp(argv[2], "documented") == 0)
      era = CMX_PARTISCI_ERA_DOCUMENTED;
    else if (strcmp(argv[2], "later") == 0)
      era = CMX_PARTISCI_ERA_LATER;
    else if (strcmp(argv[2], "auto") != 0)
      argc = 0;
    i = 3;
  }
  if (argc - i != 3) {
    fprintf(stderr, "usage: partisci_which [--era documented|later|auto] "
                    "URL APP VERSION\n");
    return 2;
  }
  e = cmx_engine_new(NULL, NULL);
  if (!e)
    return 2;
  c = cmx_partisci_new(e, argv[i], era, err, sizeof(err));
  if (!c) {
    fprintf(stderr, "partisci_which: %s\n", err);
    cmx_engine_free(e);
    return 2;
  }
  id = cmx_partisci_app_id(argv[i + 1]);
  f.app_id = id;
  f.host = NULL;
  f.ver = argv[i + 2];
  rc = id ? cmx_partisci_versions(c, &f, on_versions, &a) : CMX_ENOMEM;
  free(id);
  if (rc == CMX_OK)
    cmx_engine_run(e);
  else
    fprintf(stderr, "partisci_which: %s\n", cmx_strerror(rc));
  cmx_partisci_free(c);
  cmx_engine_free(e);
  return a.status;
}
