/* The demo's generic scenario (arrives with the generic module). */
#include "config.h"

#include "demo.h"

int
demo_generic(cmx_engine *engine, const char *base_url, demo_tally *t)
{
  (void)engine;
  (void)base_url;
  demo_note(t, "generic", "scenario not built yet");
  return 0;
}
