# bench: the benchmark programs (built by `make`, run by bench/run.sh).
#   bench/rawloop        the baseline: raw libcurl multi_socket + libevent
#   bench/callmux-bench  the same load through the callmux engine
noinst_PROGRAMS += bench/rawloop
bench_rawloop_SOURCES = bench/rawloop.c bench/bench-util.c bench/bench-util.h
bench_rawloop_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(LIBCURL_CFLAGS)
bench_rawloop_LDADD = $(LIBEVENT_LIBS) $(LIBCURL_LIBS)

noinst_PROGRAMS += bench/callmux-bench
bench_callmux_bench_SOURCES = bench/callmux-bench.c bench/bench-util.c \
	bench/bench-util.h bench/bench-arrivals.c bench/bench-arrivals.h
bench_callmux_bench_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS)
bench_callmux_bench_LDADD = lib/libcallmux_impl.la $(CMX_DEPS_LIBS)

EXTRA_DIST += bench/run.sh bench/README.md
