/* Two servers on one private network (kamaki guide: "create a private
 * network and connect two servers").  Usage: AUTH_URL TOKEN */
#include "config.h"

#include "synnefo_example.h"

static int left = 2, failed;
static char netid[64];

static void waited(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  json_object *att;
  size_t i;

  (void)c;
  (void)ud;
  left--;
  if (r->code != CMX_OK || r->timed_out) {
    ex_print_error("wait_server", r);
    failed++;
    return;
  }
  printf("server %s is %s", ex_str(r->json, "name"),
         ex_str(r->json, "status"));
  if (json_object_object_get_ex(r->json, "attachments", &att))
    for (i = 0; i < json_object_array_length(att); i++) {
      json_object *a = json_object_array_get_idx(att, i);
      printf(", on network %s with %s", ex_str(a, "network_id"),
             ex_str(a, "ipv4"));
    }
  printf("\n");
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
  if (cmx_synnefo_wait_server(c, ex_str(r->json, "id"), NULL, 500, 120000,
                              NULL, waited, NULL) != CMX_OK) {
    failed++;
    left--;
  }
}

static void net_created(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  json_object *nets, *n;
  cmx_synnefo_server_spec s;
  int i;

  (void)ud;
  if (r->code != CMX_OK) {
    ex_print_error("create_network", r);
    failed = left = 2;
    return;
  }
  snprintf(netid, sizeof(netid), "%s", ex_str(r->json, "id"));
  printf("network %s (%s) is %s\n", netid, ex_str(r->json, "name"),
         ex_str(r->json, "status"));
  nets = json_object_new_array();
  n = json_object_new_object();
  json_object_object_add(n, "uuid", json_object_new_string(netid));
  json_object_array_add(nets, n);
  memset(&s, 0, sizeof(s));
  s.flavor_id = "1";
  s.image_id = EX_IMAGE;
  s.networks = nets;
  for (i = 0; i < 2; i++) {
    char name[32];
    snprintf(name, sizeof(name), "node-%d", i + 1);
    s.name = name;
    if (cmx_synnefo_create_server(c, &s, created, NULL) != CMX_OK) {
      failed++;
      left--;
    }
  }
  json_object_put(nets);
}

int main(int argc, char **argv)
{
  cmx_engine *engine;
  cmx_synnefo *c = ex_client(argc, argv, &engine);

  if (cmx_synnefo_create_network(c, "MAC_FILTERED", "private-net", net_created,
                                 NULL) != CMX_OK) {
    fprintf(stderr, "%s\n", cmx_synnefo_last_error(c));
    return 1;
  }
  cmx_engine_run(engine);
  cmx_synnefo_free(c);
  cmx_engine_free(engine);
  return failed ? 1 : 0;
}
