/* Additive-increase, multiplicative-decrease lane rate. */
#include "config.h"

#include "core/aimd.h"

#define WINDOW_MS 1000u
#define STEP_SUCCESSES 10u
#define HOLD_MS 10000u

void cmx__aimd_init(cmx__aimd *a, double configured)
{
  double fl;

  if (!(configured > 0))
    configured = 0;
  fl = configured / 64;
  if (fl < 0.5)
    fl = 0.5;
  if (fl > configured)
    fl = configured;
  a->configured = configured;
  a->current = configured;
  a->floor = fl;
  a->last_cut = 0;
  a->successes = 0;
  a->last_change = 0;
  a->cuts = 0;
}

double cmx__aimd_on_429(cmx__aimd *a, uint64_t now)
{
  if (!(a->configured > 0))
    return 0;
  if (a->cuts && now >= a->last_cut && now - a->last_cut < WINDOW_MS)
    return a->current;
  a->current /= 2;
  if (a->current < a->floor)
    a->current = a->floor;
  a->last_cut = now;
  a->last_change = now;
  a->successes = 0;
  a->cuts++;
  return a->current;
}

double cmx__aimd_on_success(cmx__aimd *a, uint64_t now)
{
  if (!(a->configured > 0))
    return 0;
  if (a->current >= a->configured) {
    a->current = a->configured;
    a->successes = 0;
    return a->current;
  }
  a->successes++;
  if (now < a->last_cut + HOLD_MS || now < a->last_change + WINDOW_MS ||
      a->successes < STEP_SUCCESSES)
    return a->current;
  a->current += a->configured / 20;
  if (a->current > a->configured)
    a->current = a->configured;
  a->successes = 0;
  a->last_change = now;
  return a->current;
}
