/*
 * Internal: the clocks the scheduler reads.  Everything else in the
 * scheduler takes "now" as an argument, so only the engine calls these.
 */
#ifndef CMX_CORE_CLOCK_H
#define CMX_CORE_CLOCK_H

#include <stdint.h>

/* Monotonic milliseconds since an arbitrary origin (never goes back). */
uint64_t cmx__clock_mono_ms(void);
/* Monotonic microseconds, same origin as cmx__clock_mono_ms. */
uint64_t cmx__clock_mono_us(void);
/* Wall clock, seconds since the Unix epoch (for HTTP dates). */
int64_t cmx__clock_unix(void);

#endif
