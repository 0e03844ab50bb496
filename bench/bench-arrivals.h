/*
 * bench: an arrival-counting HTTP server in a child process.
 *
 * For the lane rate-accuracy benchmark the server, not the client, must
 * count: the child records the CLOCK_MONOTONIC time of every request it
 * receives (any path except /_arrivals) and answers 200 {"ok":true}.
 * GET /_arrivals answers one text line computed from those times:
 *   count=N secs=S rate=R max_1ms=A max_win=B min_gap_us=G
 * where rate is (N-1)/(last-first), max_1ms the most arrivals in any
 * 1 ms window (the back-to-back burst) and max_win the most in any window
 * of `win_us` (set by ?win_us=, default 1 s).
 */
#ifndef CMX_BENCH_ARRIVALS_H
#define CMX_BENCH_ARRIVALS_H

#include <sys/types.h>

/**
 * Fork the server on 127.0.0.1, port chosen by the kernel.  Returns the
 * child's pid (kill it with SIGTERM and waitpid) and sets *port, or -1.
 * `max` bounds the arrivals recorded.
 */
pid_t bench_arrivals_start(unsigned *port, size_t max);

#endif /* CMX_BENCH_ARRIVALS_H */
