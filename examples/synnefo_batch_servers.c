/* Batch-create servers and wait for them to leave BUILD (kamaki guide:
 * "create many servers, then wait").  Usage: AUTH_URL TOKEN [N] */
#include "config.h"

#include "synnefo_example.h"

static int left, active, failed;

static void waited(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  (void)c;
  (void)ud;
  if (r->code != CMX_OK) {
    ex_print_error("wait_server", r);
    failed++;
  } else if (r->timed_out) {
    printf("server %s still %s after the wait\n", ex_str(r->json, "id"),
           ex_str(r->json, "status"));
    failed++;
  } else {
    printf("server %s (%s) is %s\n", ex_str(r->json, "id"),
           ex_str(r->json, "name"), ex_str(r->json, "status"));
    if (strcmp(ex_str(r->json, "status"), "ACTIVE") == 0)
      active++;
    else
      failed++;
  }
  left--;
}

static void created(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  (void)ud;
  if (r->code != CMX_OK) {
    ex_print_error("create_server", r);
    failed++;
    left--;
    return;
  }
  printf("created %s: id %s, password %s\n", ex_str(r->json, "name"),
         ex_str(r->json, "id"), ex_str(r->json, "adminPass"));
  if (cmx_synnefo_wait_server(c, ex_str(r->json, "id"), "BUILD", 500, 120000,
                              NULL, waited, NULL) != CMX_OK) {
    fprintf(stderr, "%s\n", cmx_synnefo_last_error(c));
    failed++;
    left--;
  }
}

int main(int argc, char **argv)
{
  cmx_engine *engine;
  cmx_synnefo *c = ex_client(argc, argv, &engine);
  int n = argc > 3 ? atoi(argv[3]) : 5, i;
  cmx_synnefo_server_spec s;

  memset(&s, 0, sizeof(s));
  s.flavor_id = "1";
  s.image_id = EX_IMAGE;
  for (i = 0; i < n; i++) {
    char name[64];
    snprintf(name, sizeof(name), "batch-server-%d", i + 1);
    s.name = name;
    if (cmx_synnefo_create_server(c, &s, created, NULL) != CMX_OK) {
      fprintf(stderr, "%s\n", cmx_synnefo_last_error(c));
      break;
    }
    left++;
  }
  cmx_engine_run(engine);
  printf("%d ACTIVE, %d failed\n", active, failed);
  cmx_synnefo_free(c);
  cmx_engine_free(engine);
  return failed ? 1 : 0;
}
