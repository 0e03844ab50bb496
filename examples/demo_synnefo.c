/* The demo's synnefo scenario (arrives with the synnefo module). */
#include "config.h"

#include "demo.h"

int
demo_synnefo(cmx_engine *engine, const char *base_url, demo_tally *t)
{
  (void)engine;
  (void)base_url;
  demo_note(t, "synnefo", "scenario not built yet");
  return 0;
}
