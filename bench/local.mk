# bench: the benchmark programs (built by `make`, run by bench/run.sh).
#   bench/rawloop        the baseline: raw libcurl multi_socket + libevent
#   bench/callmux-bench  the same load through the callmux engine
noinst_PROGRAMS += bench/rawloop
bench_rawloop_SOURCES = bench/rawloop.c bench/bench-util.c bench/bench-util.h
bench_rawloop_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(LIBCURL_CFLAGS)
bench_rawloop_LDADD = $(LIBEVENT_LIBS) $(LIBCURL_LIBS)

EXTRA_DIST += bench/run.sh bench/README.md
