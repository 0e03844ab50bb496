/* callmux simulator: kentik (routes arrive with the kentik issue). */
#include "sim/sim.h"

int
sim_kentik_attach(sim_service *svc)
{
  (void)svc;
  return 0;
}
