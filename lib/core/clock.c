/* Monotonic and wall clocks. */
#include "config.h"

#include <time.h>

#include "core/clock.h"

static struct timespec mono(void)
{
  struct timespec ts;

  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
    ts.tv_sec = 0;
    ts.tv_nsec = 0;
  }
  return ts;
}

uint64_t cmx__clock_mono_ms(void)
{
  struct timespec ts = mono();

  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t cmx__clock_mono_us(void)
{
  struct timespec ts = mono();

  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t cmx__clock_unix(void)
{
  struct timespec ts;

  if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
    return (int64_t)time(NULL);
  return (int64_t)ts.tv_sec;
}
