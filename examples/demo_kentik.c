/* The demo's kentik scenario (arrives with the kentik module). */
#include "config.h"

#include "demo.h"

int
demo_kentik(cmx_engine *engine, const char *base_url, demo_tally *t)
{
  (void)engine;
  (void)base_url;
  demo_note(t, "kentik", "scenario not built yet");
  return 0;
}
