/* callmux simulator: synnefo (routes arrive with the synnefo issue). */
#include "sim/sim.h"

int
sim_synnefo_attach(sim_service *svc)
{
  (void)svc;
  return 0;
}
