/* callmux simulator: partisci (routes arrive with the partisci issue). */
#include "sim/sim.h"

int
sim_partisci_attach(sim_service *svc)
{
  (void)svc;
  return 0;
}
