/* The demo's partisci scenario (arrives with the partisci module). */
#include "config.h"

#include "demo.h"

int
demo_partisci(cmx_engine *engine, const char *base_url, demo_tally *t)
{
  (void)engine;
  (void)base_url;
  demo_note(t, "partisci", "scenario not built yet");
  return 0;
}
