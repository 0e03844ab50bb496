/* The demo's pagerduty scenario (arrives with the pagerduty module). */
#include "config.h"

#include "demo.h"

int
demo_pagerduty(cmx_engine *engine, const char *base_url, demo_tally *t)
{
  (void)engine;
  (void)base_url;
  demo_note(t, "pagerduty", "scenario not built yet");
  return 0;
}
