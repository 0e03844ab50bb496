/* Helpers shared by the Synnefo examples (ports of the kamaki guide's
 * scripts).  Each example takes AUTH_URL and TOKEN as arguments, e.g.
 *   callmux-sim --port 0 --services synnefo --port-file /tmp/p &
 *   examples/synnefo_batch_servers http://127.0.0.1:PORT/identity/v2.0 \
 *       synnefo-token
 */
#ifndef CMX_EXAMPLES_SYNNEFO_EXAMPLE_H
#define CMX_EXAMPLES_SYNNEFO_EXAMPLE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <callmux/callmux.h>
#include <callmux/synnefo.h>

/* The default image of the simulator (kamaki's guide uses a Debian one). */
#define EX_IMAGE "9e8c7b2a-0000-4000-8000-0000000d0001"

static inline const char *ex_str(json_object *o, const char *k)
{
  json_object *v;

  if (!o || !json_object_object_get_ex(o, k, &v))
    return "";
  return json_object_get_string(v);
}

/* Print a failed result the way kamaki prints a ClientError. */
static inline void ex_print_error(const char *what,
                                  const cmx_synnefo_result *r)
{
  size_t i;

  if (r->error) {
    fprintf(stderr, "%s: %s (status %ld)\n", what, r->error->message,
            r->error->status);
    for (i = 0; i < r->error->ndetails; i++)
      fprintf(stderr, "  %s\n", r->error->details[i]);
  } else {
    fprintf(stderr, "%s: %s: %s\n", what, cmx_code_name(r->code), r->detail);
  }
}

static inline cmx_synnefo *ex_client(int argc, char **argv,
                                     cmx_engine **engine)
{
  char err[256];
  cmx_synnefo *c;

  if (argc < 3) {
    fprintf(stderr, "usage: %s AUTH_URL TOKEN [args]\n", argv[0]);
    exit(2);
  }
  *engine = cmx_engine_new(NULL, NULL);
  if (!*engine) {
    fprintf(stderr, "cannot create the engine\n");
    exit(1);
  }
  c = cmx_synnefo_new(*engine, argv[1], argv[2], err, sizeof(err));
  if (!c) {
    fprintf(stderr, "%s\n", err);
    exit(2);
  }
  return c;
}

#endif
