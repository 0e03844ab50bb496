/* Snapshot a server's volume and download the snapshot as a backup
 * (kamaki guide: "backup a server").  Usage: AUTH_URL TOKEN [SERVER_ID
 * [OUTPUT]]; without SERVER_ID the first server listed is used (one is
 * created when there is none). */
#include "config.h"

#include "synnefo_example.h"

static const char *server_id, *output = "backup.diskdump";
static int failed;

static void downloaded(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  (void)c;
  (void)ud;
  if (r->code != CMX_OK) {
    ex_print_error("download_object", r);
    failed = 1;
    return;
  }
  printf("backup written to %s: %s bytes, %s blocks (%s fetched)\n", output,
         ex_str(r->json, "bytes"), ex_str(r->json, "blocks"),
         ex_str(r->json, "blocks_fetched"));
}

static void got_meta(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  const char *loc, *p, *cont;
  char container[256];

  (void)ud;
  if (r->code != CMX_OK) {
    ex_print_error("image get_meta", r);
    failed = 1;
    return;
  }
  loc = ex_str(r->json, "location"); /* pithos://account/container/path */
  printf("snapshot %s stored at %s (%s)\n", ex_str(r->json, "id"), loc,
         ex_str(r->json, "status"));
  p = strncmp(loc, "pithos://", 9) == 0 ? strchr(loc + 9, '/') : NULL;
  cont = p ? p + 1 : NULL;
  p = cont ? strchr(cont, '/') : NULL;
  if (!p) {
    fprintf(stderr, "unexpected location %s\n", loc);
    failed = 1;
    return;
  }
  snprintf(container, sizeof(container), "%.*s", (int)(p - cont), cont);
  if (cmx_synnefo_download_object(c, container, p + 1, -1, output, NULL,
                                  downloaded, NULL) != CMX_OK) {
    fprintf(stderr, "%s\n", cmx_synnefo_last_error(c));
    failed = 1;
  }
}

static void snapped(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  (void)ud;
  if (r->code != CMX_OK) {
    ex_print_error("create_snapshot", r);
    failed = 1;
    return;
  }
  printf("snapshot %s of volume %s is %s\n", ex_str(r->json, "id"),
         ex_str(r->json, "volume_id"), ex_str(r->json, "status"));
  if (cmx_synnefo_image_get_meta(c, ex_str(r->json, "id"), NULL, got_meta,
                                 NULL) != CMX_OK)
    failed = 1;
}

static void got_server(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  json_object *vols;
  char vol[32], name[128];

  (void)ud;
  if (r->code != CMX_OK) {
    ex_print_error("server", r);
    failed = 1;
    return;
  }
  if (!json_object_object_get_ex(r->json, "volumes", &vols) ||
      json_object_array_length(vols) == 0) {
    fprintf(stderr, "server has no volume\n");
    failed = 1;
    return;
  }
  snprintf(vol, sizeof(vol), "%s",
           json_object_get_string(json_object_array_get_idx(vols, 0)));
  snprintf(name, sizeof(name), "backup of %s", ex_str(r->json, "name"));
  if (cmx_synnefo_create_snapshot(c, vol, name, snapped, NULL) != CMX_OK) {
    fprintf(stderr, "%s\n", cmx_synnefo_last_error(c));
    failed = 1;
  }
}

static void listed(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  static char id[32];
  cmx_synnefo_server_spec s;

  (void)ud;
  if (r->code != CMX_OK) {
    ex_print_error("list_servers", r);
    failed = 1;
    return;
  }
  if (json_object_array_length(r->json) > 0) {
    snprintf(id, sizeof(id), "%s",
             ex_str(json_object_array_get_idx(r->json, 0), "id"));
    cmx_synnefo_get_server_details(c, id, got_server, NULL);
    return;
  }
  memset(&s, 0, sizeof(s));
  s.name = "to-back-up";
  s.flavor_id = "1";
  s.image_id = EX_IMAGE;
  cmx_synnefo_create_server(c, &s, got_server, NULL);
}

int main(int argc, char **argv)
{
  cmx_engine *engine;
  cmx_synnefo *c = ex_client(argc, argv, &engine);
  int rc;

  if (argc > 3)
    server_id = argv[3];
  if (argc > 4)
    output = argv[4];
  rc = server_id
           ? cmx_synnefo_get_server_details(c, server_id, got_server, NULL)
           : cmx_synnefo_list_servers(c, 0, listed, NULL);
  if (rc != CMX_OK) {
    fprintf(stderr, "%s\n", cmx_synnefo_last_error(c));
    return 1;
  }
  cmx_engine_run(engine);
  cmx_synnefo_free(c);
  cmx_engine_free(engine);
  return failed;
}
