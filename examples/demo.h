/*
 * The demo's scenarios: examples/demo.c starts every scenario on one engine,
 * runs it, and prints a summary.  Each service adds one scenario file
 * (examples/demo_<service>.c) defining its demo_<service>() below.
 */
#ifndef CMX_EXAMPLES_DEMO_H
#define CMX_EXAMPLES_DEMO_H

#include <callmux/callmux.h>

typedef struct demo_tally demo_tally;

/** Record one finished call of a scenario: its cmx code and latency. */
void demo_record(demo_tally *t, const char *scenario, int code,
                 uint64_t latency_ms);
/** Print one line of a scenario's own results ("12 servers ACTIVE"). */
void demo_note(demo_tally *t, const char *scenario, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * Start a scenario against `base_url` (the simulator's URL of that service).
 * The scenario only starts work on `engine` and returns 0 (or -1 with a
 * message on stderr); demo.c then runs the engine until everything ended.
 */
int demo_generic(cmx_engine *engine, const char *base_url, demo_tally *t);
int demo_partisci(cmx_engine *engine, const char *base_url, demo_tally *t);
int demo_kentik(cmx_engine *engine, const char *base_url, demo_tally *t);
int demo_synnefo(cmx_engine *engine, const char *base_url, demo_tally *t);
int demo_pagerduty(cmx_engine *engine, const char *base_url, demo_tally *t);

#endif /* CMX_EXAMPLES_DEMO_H */
