/* Restore a server from a local image file: upload it to Pithos by the
 * hashmap protocol, register it, boot a server from it and wait (kamaki
 * guide: "restore from a local image").  Usage: AUTH_URL TOKEN FILE */
#include "config.h"

#include "synnefo_example.h"

static const char *file;
static char object[256];
static int failed;

static void progress(cmx_synnefo *c, const char *phase, uint64_t done,
                     uint64_t total, void *ud)
{
  (void)c;
  (void)ud;
  if (done == total)
    printf("  %s: %llu bytes\n", phase, (unsigned long long)total);
}

static void waited(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  (void)c;
  (void)ud;
  if (r->code != CMX_OK || r->timed_out) {
    ex_print_error("wait_server", r);
    failed = 1;
    return;
  }
  printf("restored server %s is %s\n", ex_str(r->json, "id"),
         ex_str(r->json, "status"));
}

static void created(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  (void)ud;
  if (r->code != CMX_OK) {
    ex_print_error("create_server", r);
    failed = 1;
    return;
  }
  cmx_synnefo_wait_server(c, ex_str(r->json, "id"), NULL, 500, 120000, NULL,
                          waited, NULL);
}

static void registered(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  cmx_synnefo_server_spec s;

  (void)ud;
  if (r->code != CMX_OK) {
    ex_print_error("register", r);
    failed = 1;
    return;
  }
  printf("image %s registered\n", ex_str(r->json, "id"));
  memset(&s, 0, sizeof(s));
  s.name = "restored";
  s.flavor_id = "2";
  s.image_id = ex_str(r->json, "id");
  if (cmx_synnefo_create_server(c, &s, created, NULL) != CMX_OK) {
    fprintf(stderr, "%s\n", cmx_synnefo_last_error(c));
    failed = 1;
  }
}

static void uploaded(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  cmx_synnefo_image_spec im;
  json_object *props;

  (void)ud;
  if (r->code != CMX_OK) {
    ex_print_error("upload_object", r);
    failed = 1;
    return;
  }
  printf("uploaded %s: etag %s, %s of %s blocks sent\n", object,
         ex_str(r->json, "etag"), ex_str(r->json, "blocks_sent"),
         ex_str(r->json, "blocks"));
  props = json_object_new_object();
  json_object_object_add(props, "OSFAMILY", json_object_new_string("linux"));
  json_object_object_add(props, "users", json_object_new_string("root"));
  memset(&im, 0, sizeof(im));
  im.name = object;
  im.container = "images";
  im.path = object;
  im.disk_format = "diskdump";
  im.container_format = "bare";
  im.properties = props;
  if (cmx_synnefo_image_register(c, &im, registered, NULL) != CMX_OK)
    failed = 1;
  json_object_put(props);
}

static void container_ready(cmx_synnefo *c, const cmx_synnefo_result *r,
                            void *ud)
{
  (void)ud;
  if (r->code != CMX_OK) {
    ex_print_error("create_container", r);
    failed = 1;
    return;
  }
  if (cmx_synnefo_upload_object(c, "images", object, -1, file, NULL, progress,
                                uploaded, NULL) != CMX_OK) {
    fprintf(stderr, "%s\n", cmx_synnefo_last_error(c));
    failed = 1;
  }
}

int main(int argc, char **argv)
{
  cmx_engine *engine;
  cmx_synnefo *c = ex_client(argc, argv, &engine);
  const char *slash;

  if (argc < 4) {
    fprintf(stderr, "usage: %s AUTH_URL TOKEN FILE\n", argv[0]);
    return 2;
  }
  file = argv[3];
  slash = strrchr(file, '/');
  snprintf(object, sizeof(object), "%s", slash ? slash + 1 : file);
  if (cmx_synnefo_create_container(c, "images", container_ready, NULL) !=
      CMX_OK) {
    fprintf(stderr, "%s\n", cmx_synnefo_last_error(c));
    return 1;
  }
  cmx_engine_run(engine);
  cmx_synnefo_free(c);
  cmx_engine_free(engine);
  return failed;
}
