/* Error handling (kamaki guide: "catch ClientError"): a refused argument,
 * an unknown server (404), a missing container, and a bad token (401).
 * Usage: AUTH_URL TOKEN */
#include "config.h"

#include "synnefo_example.h"

static int seen;

static void report(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  (void)c;
  seen++;
  if (r->code == CMX_OK) {
    printf("%s: unexpectedly succeeded\n", (const char *)ud);
    return;
  }
  /* kamaki: except ClientError as ce: print ce.message, ce.status,
   * ce.details */
  ex_print_error((const char *)ud, r);
  if (r->http_status == 404)
    printf("  -> not found, nothing to clean up\n");
  else if (r->http_status == 401)
    printf("  -> check the token\n");
}

int main(int argc, char **argv)
{
  cmx_engine *engine;
  cmx_synnefo *c = ex_client(argc, argv, &engine), *bad;
  char err[128];
  cmx_synnefo_server_spec s;

  /* refused before anything is sent: CMX_EINVAL and a detail */
  memset(&s, 0, sizeof(s));
  s.name = "x";
  s.image_id = EX_IMAGE;
  if (cmx_synnefo_create_server(c, &s, report, "create") == CMX_EINVAL)
    printf("create_server refused: %s\n", cmx_synnefo_last_error(c));
  cmx_synnefo_get_server_details(c, "987654", report, "get_server_details");
  cmx_synnefo_upload_object(c, "no-such-container", "f", -1, argv[0], NULL,
                            NULL, report, "upload_object");
  bad =
      cmx_synnefo_new(engine, argv[1], "not-a-valid-token", err, sizeof(err));
  if (bad)
    cmx_synnefo_list_servers(bad, 1, report, "list_servers (bad token)");
  cmx_engine_run(engine);
  cmx_synnefo_free(bad);
  cmx_synnefo_free(c);
  cmx_engine_free(engine);
  return seen == (bad ? 3 : 2) ? 0 : 1;
}
