/* callmux simulator: pagerduty (routes arrive with the pagerduty issue). */
#include "sim/sim.h"

int
sim_pagerduty_attach(sim_service *svc)
{
  (void)svc;
  return 0;
}
