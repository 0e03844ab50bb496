/*
 * Internal: adaptive lane rate after 429 responses (additive increase,
 * multiplicative decrease), on an injected millisecond clock.
 *
 * - configured: the rate the user set (per second); 0 means unlimited, in
 *   which case both functions return 0 and change nothing.
 * - On a 429 the current rate is halved, at most once per 1000 ms window
 *   (429s that arrive within 1000 ms of the last cut are answers to calls
 *   sent before it and do not cut again), never below
 *   floor = max(0.5/s, configured/64)  (or configured itself if that is
 *   lower still).
 * - On a success, while below configured, the rate goes up by
 *   configured/20, but only once the last cut is 10 s old (the service's
 *   limit was just shown to be below the old rate: probing again at once
 *   would meet it again), at most once per 1000 ms, and only after 10
 *   successes since the last change; never above configured.  A cut resets
 *   the success count.
 *
 * Both functions return the new effective rate per second: feed it to
 * cmx__bucket_set.  From the floor back to configured takes at most 20
 * steps (about 30 s).
 */
#ifndef CMX_CORE_AIMD_H
#define CMX_CORE_AIMD_H

#include <stdint.h>

typedef struct cmx__aimd {
  double configured;    /* per second; 0 = unlimited */
  double current;       /* effective rate per second */
  double floor;         /* lowest rate a cut can reach */
  uint64_t last_cut;    /* `now` of the last cut (valid when cuts > 0) */
  unsigned successes;   /* successes since the last change */
  uint64_t last_change; /* `now` of the last cut or step */
  unsigned cuts;        /* cuts so far */
} cmx__aimd;

void cmx__aimd_init(cmx__aimd *a, double configured);
/* A 429 arrived at `now`: returns the new effective rate. */
double cmx__aimd_on_429(cmx__aimd *a, uint64_t now);
/* A success arrived at `now`: returns the new effective rate. */
double cmx__aimd_on_success(cmx__aimd *a, uint64_t now);

#endif
