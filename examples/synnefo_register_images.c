/* Register every pre-uploaded image file of a Pithos container as an
 * image (kamaki guide: "register images").  Usage: AUTH_URL TOKEN
 * [CONTAINER]; objects ending in .diskdump are registered. */
#include "config.h"

#include "synnefo_example.h"

static int registered, failed;
static const char *container = "images";

static void done(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  (void)c;
  free(ud);
  if (r->code != CMX_OK) {
    ex_print_error("register", r);
    failed++;
    return;
  }
  printf("registered %s as %s (%s)\n", ex_str(r->json, "name"),
         ex_str(r->json, "id"), ex_str(r->json, "location"));
  registered++;
}

static void listed(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  size_t i, n;

  (void)ud;
  if (r->code != CMX_OK) {
    ex_print_error("list_objects", r);
    failed++;
    return;
  }
  n = json_object_array_length(r->json);
  for (i = 0; i < n; i++) {
    json_object *o = json_object_array_get_idx(r->json, i);
    const char *name = ex_str(o, "name");
    size_t len = strlen(name);
    cmx_synnefo_image_spec im;
    json_object *props;
    char *title;
    if (len < 9 || strcmp(name + len - 9, ".diskdump") != 0)
      continue;
    title = strdup(name);
    if (!title)
      continue;
    title[len - 9] = 0;
    props = json_object_new_object();
    json_object_object_add(props, "OSFAMILY", json_object_new_string("linux"));
    json_object_object_add(props, "ROOT_PARTITION",
                           json_object_new_string("1"));
    memset(&im, 0, sizeof(im));
    im.name = title;
    im.container = container;
    im.path = name;
    im.disk_format = "diskdump";
    im.container_format = "bare";
    im.properties = props;
    if (cmx_synnefo_image_register(c, &im, done, title) != CMX_OK) {
      fprintf(stderr, "%s\n", cmx_synnefo_last_error(c));
      free(title);
      failed++;
    }
    json_object_put(props);
  }
}

int main(int argc, char **argv)
{
  cmx_engine *engine;
  cmx_synnefo *c = ex_client(argc, argv, &engine);

  if (argc > 3)
    container = argv[3];
  if (cmx_synnefo_list_objects(c, container, NULL, 0, listed, NULL) !=
      CMX_OK) {
    fprintf(stderr, "%s\n", cmx_synnefo_last_error(c));
    return 1;
  }
  cmx_engine_run(engine);
  printf("%d registered, %d failed\n", registered, failed);
  cmx_synnefo_free(c);
  cmx_engine_free(engine);
  return failed ? 1 : 0;
}
