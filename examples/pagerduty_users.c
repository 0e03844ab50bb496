/*
 * PagerDuty users, the REST API session's everyday calls (what a pdpyras
 * script does with APISession):
 *
 *   pagerduty_users URL API_KEY get USER_ID        rget('/users/ID')
 *   pagerduty_users URL API_KEY list               iter_all('users')
 *   pagerduty_users URL API_KEY find EMAIL         find('users', EMAIL,
 *                                                       attribute='email')
 *   pagerduty_users URL API_KEY persist EMAIL NAME persist('users', 'email',
 *                                                    {...}, update=True)
 *   pagerduty_users URL API_KEY update USER_ID NAME rput('/users/ID',
 *                                                    json={'name': NAME})
 *
 * URL is the REST base URL (https://api.pagerduty.com, or the simulator's
 * http://127.0.0.1:PORT).  $PD_FROM, when set, is the From header
 * (default_from), which the API requires for POST /users with an
 * account-level key.  Exit status 0 on success, 1 on a failed call, 2 on
 * bad usage.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <callmux/callmux.h>
#include <callmux/pagerduty.h>

static int failed;

static const char *field(struct json_object *o, const char *k)
{
  struct json_object *v;

  if (!o || !json_object_object_get_ex(o, k, &v))
    return "";
  return json_object_get_string(v);
}

static void print_user(const char *what, struct json_object *u)
{
  printf("%s %s %s <%s>\n", what, field(u, "id"), field(u, "name"),
         field(u, "email"));
}

/* pdpyras raises PDClientError; we get a result with the same facts. */
static int check(const cmx_pagerduty_result *r, const char *what)
{
  if (r->code == CMX_OK)
    return 1;
  failed = 1;
  fprintf(stderr, "%s failed: %s (HTTP %ld", what, cmx_code_name(r->code),
          r->status);
  if (r->pd_code)
    fprintf(stderr, ", PagerDuty code %ld", r->pd_code);
  fprintf(stderr, "): %s\n", r->detail);
  return 0;
}

static void on_user(cmx_pagerduty *pd, const cmx_pagerduty_result *r, void *ud)
{
  (void)pd;
  if (check(r, ud)) {
    if (r->value)
      print_user(ud, r->value);
    else
      printf("%s: none\n", (const char *)ud);
  }
}

static int on_item(cmx_pagerduty *pd, struct json_object *item, size_t n,
                   long total, void *ud)
{
  (void)pd;
  (void)ud;
  if (total >= 0)
    printf("%zu/%ld ", n, total);
  else
    printf("%zu ", n);
  print_user("user", item);
  return 0;
}

static void on_list(cmx_pagerduty *pd, const cmx_pagerduty_result *r, void *ud)
{
  (void)pd;
  (void)ud;
  if (check(r, "list"))
    printf("listed %zu users%s\n", r->count,
           r->capped ? " (stopped at the 10,000 offset cap)" : "");
}

static int usage(void)
{
  fprintf(stderr, "usage: pagerduty_users URL API_KEY get ID | list | find "
                  "EMAIL | persist EMAIL NAME | update ID NAME\n");
  return 2;
}

int main(int argc, char **argv)
{
  cmx_engine *engine;
  cmx_pagerduty *pd;
  char err[256], path[256];
  const char *cmd, *from = getenv("PD_FROM");
  struct json_object *body = NULL;
  int rc;

  if (argc < 4)
    return usage();
  cmd = argv[3];
  engine = cmx_engine_new(NULL, NULL);
  if (!engine)
    return 1;
  pd = cmx_pagerduty_new(engine, argv[2], CMX_PAGERDUTY_AUTH_TOKEN, err,
                         sizeof(err));
  if (!pd || cmx_pagerduty_set_base_url(pd, argv[1]) != CMX_OK) {
    fprintf(stderr, "pagerduty_users: %s\n",
            pd ? cmx_pagerduty_last_error(pd) : err);
    cmx_pagerduty_free(pd);
    cmx_engine_free(engine);
    return 2;
  }
  if (from && *from)
    cmx_pagerduty_set_default_from(pd, from);

  if (strcmp(cmd, "get") == 0 && argc == 5) {
    snprintf(path, sizeof(path), "/users/%s", argv[4]);
    rc = cmx_pagerduty_rget(pd, path, NULL, on_user, "user");
  } else if (strcmp(cmd, "list") == 0 && argc == 4) {
    /* sequential pages, as pdpyras: parallel = 1 */
    cmx_pagerduty_iter_opts o = {0, 1, 0};
    rc = cmx_pagerduty_iter_all(pd, "users", NULL, &o, on_item, on_list, NULL);
  } else if (strcmp(cmd, "find") == 0 && argc == 5) {
    rc = cmx_pagerduty_find(pd, "users", argv[4], "email", NULL, on_user,
                            "found");
  } else if (strcmp(cmd, "persist") == 0 && argc == 6) {
    body = json_object_new_object();
    json_object_object_add(body, "email", json_object_new_string(argv[4]));
    json_object_object_add(body, "name", json_object_new_string(argv[5]));
    json_object_object_add(body, "type", json_object_new_string("user"));
    rc = cmx_pagerduty_persist(pd, "users", "email", body, 1, on_user,
                               "persisted");
  } else if (strcmp(cmd, "update") == 0 && argc == 6) {
    snprintf(path, sizeof(path), "/users/%s", argv[4]);
    body = json_object_new_object();
    json_object_object_add(body, "name", json_object_new_string(argv[5]));
    rc = cmx_pagerduty_rput(pd, path, body, on_user, "updated");
  } else {
    cmx_pagerduty_free(pd);
    cmx_engine_free(engine);
    return usage();
  }
  json_object_put(body); /* borrowed by the call: freed at once */
  if (rc != CMX_OK) {
    /* refused before anything was sent: the reason names the field */
    fprintf(stderr, "pagerduty_users: %s: %s\n", cmx_code_name(rc),
            cmx_pagerduty_last_error(pd));
    failed = 1;
  }
  cmx_engine_run(engine);
  cmx_pagerduty_free(pd);
  cmx_engine_free(engine);
  return failed ? 1 : 0;
}
