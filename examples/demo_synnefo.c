/* The demo's Synnefo scenario: authenticate, boot a batch of servers and
 * wait for them, make a private network, then a Pithos round trip
 * (upload by hashmap, unchanged re-upload, verified download, listing)
 * and an image registration, all at once on the demo's engine. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <callmux/synnefo.h>

#include "demo.h"

#define SC "synnefo"
#define NSERVERS 12
#define IMAGE "9e8c7b2a-0000-4000-8000-0000000d0001"

typedef struct demo_syn {
  cmx_engine *engine;
  cmx_synnefo *c;
  demo_tally *t;
  int outstanding;
  int active;
  char file[64], out[64];
} demo_syn;

typedef struct step {
  demo_syn *d;
  uint64_t start;
  const char *what;
} step;

static void step_end(demo_syn *d);

static step *step_new(demo_syn *d, const char *what)
{
  step *s = malloc(sizeof(*s));

  if (!s)
    return NULL;
  s->d = d;
  s->start = cmx_engine_now(d->engine);
  s->what = what;
  d->outstanding++;
  return s;
}

/* Record the call; returns its demo_syn and frees the step. */
static demo_syn *step_done(step *s, const cmx_synnefo_result *r)
{
  demo_syn *d = s->d;

  demo_record(d->t, SC, r->code, cmx_engine_now(d->engine) - s->start);
  if (r->code != CMX_OK)
    demo_note(d->t, SC, "%s failed: %s", s->what,
              r->error ? r->error->message : r->detail);
  free(s);
  return d;
}

static void step_end(demo_syn *d)
{
  if (--d->outstanding > 0)
    return;
  demo_note(d->t, SC, "%d/%d servers ACTIVE", d->active, NSERVERS);
  unlink(d->file);
  unlink(d->out);
  cmx_synnefo_free(d->c);
  free(d);
}

static void start(demo_syn *d, const char *what, int rc, step *s)
{
  if (rc != CMX_OK) {
    demo_note(d->t, SC, "%s refused: %s", what, cmx_synnefo_last_error(d->c));
    free(s);
    d->outstanding--;
  }
}

#define START(d, what, call_expr)                                             \
  do {                                                                        \
    step *s_ = step_new((d), (what));                                         \
    if (s_)                                                                   \
      start((d), (what), (call_expr), s_);                                    \
  } while (0)

static const char *jstr(json_object *o, const char *k)
{
  json_object *v;

  return o && json_object_object_get_ex(o, k, &v) ? json_object_get_string(v)
                                                  : "";
}

/* servers ---------------------------------------------------------------- */

static void waited(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  demo_syn *d = step_done(ud, r);

  (void)c;
  if (r->code == CMX_OK && !r->timed_out &&
      strcmp(jstr(r->json, "status"), "ACTIVE") == 0)
    d->active++;
  step_end(d);
}

static void created(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  demo_syn *d = step_done(ud, r);

  if (r->code == CMX_OK)
    START(d, "wait_server",
          cmx_synnefo_wait_server(c, jstr(r->json, "id"), NULL, 250, 30000,
                                  NULL, waited, s_));
  step_end(d);
}

static void simple_done(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  (void)c;
  step_end(step_done(ud, r));
}

static void net_done(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  demo_syn *d = step_done(ud, r);

  if (r->code == CMX_OK)
    START(d, "list_networks",
          cmx_synnefo_list_networks(c, 1, simple_done, s_));
  step_end(d);
}

/* pithos ------------------------------------------------------------------ */

static void registered(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  demo_syn *d = step_done(ud, r);

  if (r->code == CMX_OK)
    START(d, "image_get_meta",
          cmx_synnefo_image_get_meta(c, jstr(r->json, "id"), NULL, simple_done,
                                     s_));
  step_end(d);
}

static void downloaded(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  demo_syn *d = step_done(ud, r);
  cmx_synnefo_image_spec im;

  if (r->code == CMX_OK) {
    demo_note(d->t, SC, "downloaded %s bytes, %s distinct blocks fetched",
              jstr(r->json, "bytes"), jstr(r->json, "blocks_fetched"));
    memset(&im, 0, sizeof(im));
    im.name = "demo image";
    im.container = "demo";
    im.path = "disk.img";
    im.disk_format = "diskdump";
    START(d, "image_register",
          cmx_synnefo_image_register(c, &im, registered, s_));
    START(d, "list_objects",
          cmx_synnefo_list_objects(c, "demo", NULL, 0, simple_done, s_));
  }
  step_end(d);
}

static void reuploaded(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  demo_syn *d = step_done(ud, r);

  if (r->code == CMX_OK) {
    demo_note(d->t, SC, "re-upload sent %s blocks",
              jstr(r->json, "blocks_sent"));
    START(d, "download_object",
          cmx_synnefo_download_object(c, "demo", "disk.img", -1, d->out, NULL,
                                      downloaded, s_));
  }
  step_end(d);
}

static void uploaded(cmx_synnefo *c, const cmx_synnefo_result *r, void *ud)
{
  demo_syn *d = step_done(ud, r);

  if (r->code == CMX_OK) {
    demo_note(d->t, SC, "uploaded %s bytes: %s of %s blocks sent",
              jstr(r->json, "bytes"), jstr(r->json, "blocks_sent"),
              jstr(r->json, "blocks"));
    START(d, "upload_object (unchanged)",
          cmx_synnefo_upload_object(c, "demo", "disk.img", -1, d->file, NULL,
                                    NULL, reuploaded, s_));
  }
  step_end(d);
}

static void container_done(cmx_synnefo *c, const cmx_synnefo_result *r,
                           void *ud)
{
  demo_syn *d = step_done(ud, r);

  if (r->code == CMX_OK)
    START(d, "upload_object",
          cmx_synnefo_upload_object(c, "demo", "disk.img", -1, d->file, NULL,
                                    NULL, uploaded, s_));
  step_end(d);
}

static int make_file(demo_syn *d)
{
  const size_t blk = (size_t)1 << 20;
  unsigned char *b = malloc(blk);
  size_t i, k;
  int fd;

  strcpy(d->file, "/tmp/cmx-demo-syn-XXXXXX");
  strcpy(d->out, "/tmp/cmx-demo-syn-out-XXXXXX");
  fd = mkstemp(d->file);
  if (fd < 0 || !b) {
    free(b);
    if (fd >= 0)
      close(fd);
    return -1;
  }
  close(mkstemp(d->out));
  /* 10 MiB: varied data, a repeated megabyte and a zero tail */
  for (k = 0; k < 10; k++) {
    for (i = 0; i < blk; i++)
      b[i] = k >= 8 ? 0 : (unsigned char)((i * 31 + (k % 5) * 7) >> 3);
    if (pwrite(fd, b, blk, (off_t)(k * blk)) != (ssize_t)blk) {
      free(b);
      close(fd);
      return -1;
    }
  }
  free(b);
  close(fd);
  return 0;
}

int demo_synnefo(cmx_engine *engine, const char *base_url, demo_tally *t)
{
  demo_syn *d = calloc(1, sizeof(*d));
  char auth[512], err[128];
  cmx_synnefo_server_spec s;
  int i;

  if (!d)
    return -1;
  d->engine = engine;
  d->t = t;
  snprintf(auth, sizeof(auth), "%s/identity/v2.0", base_url);
  d->c = cmx_synnefo_new(engine, auth, "synnefo-token", err, sizeof(err));
  if (!d->c || make_file(d) != 0) {
    fprintf(stderr, "demo synnefo: %s\n", d->c ? "cannot make a file" : err);
    cmx_synnefo_free(d->c);
    free(d);
    return -1;
  }
  d->outstanding = 1; /* held until everything is started */
  START(d, "authenticate", cmx_synnefo_authenticate(d->c, simple_done, s_));
  memset(&s, 0, sizeof(s));
  s.flavor_id = "1";
  s.image_id = IMAGE;
  for (i = 0; i < NSERVERS; i++) {
    char name[32];
    snprintf(name, sizeof(name), "demo-%02d", i);
    s.name = name;
    START(d, "create_server",
          cmx_synnefo_create_server(d->c, &s, created, s_));
  }
  START(d, "create_network",
        cmx_synnefo_create_network(d->c, "MAC_FILTERED", "demo-net", net_done,
                                   s_));
  START(d, "list_volumes", cmx_synnefo_list_volumes(d->c, simple_done, s_));
  START(d, "create_container",
        cmx_synnefo_create_container(d->c, "demo", container_done, s_));
  step_end(d);
  return 0;
}
