# pagerduty: library sources, simulator routes, tests and examples.
tests_sim_libcmxsim_la_SOURCES += tests/sim/pagerduty.c

lib_libcallmux_impl_la_SOURCES += \
	lib/services/pagerduty/pd-int.h \
	lib/services/pagerduty/util.c \
	lib/services/pagerduty/wrap.c \
	lib/services/pagerduty/event-body.c \
	lib/services/pagerduty/rest.c \
	lib/services/pagerduty/iter.c \
	lib/services/pagerduty/events.c
callmux_HEADERS += include/callmux/pagerduty.h

check_PROGRAMS += tests/check_pagerduty
TESTS += tests/check_pagerduty
tests_check_pagerduty_SOURCES = tests/check_pagerduty.c
tests_check_pagerduty_CFLAGS = $(CMX_TEST_CFLAGS)
tests_check_pagerduty_LDADD = $(CMX_TEST_LIBS)

# the examples (ports of pdpyras usage) and the demo scenario, run as
# programs against callmux-sim ($CMX_SIM)
check_PROGRAMS += tests/check_pagerduty_examples
TESTS += tests/check_pagerduty_examples
tests_check_pagerduty_examples_SOURCES = tests/check_pagerduty_examples.c
tests_check_pagerduty_examples_CFLAGS = $(CMX_TEST_CFLAGS)
tests_check_pagerduty_examples_LDADD = tests/libtestutil.la $(CMX_TEST_LIBS)

PD_EX_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS)
PD_EX_LDADD = lib/libcallmux_impl.la $(CMX_DEPS_LIBS)
noinst_PROGRAMS += examples/pagerduty_users examples/pagerduty_ack_triggered \
	examples/pagerduty_events examples/pagerduty_change_event
examples_pagerduty_users_CFLAGS = $(PD_EX_CFLAGS)
examples_pagerduty_users_LDADD = $(PD_EX_LDADD)
examples_pagerduty_ack_triggered_CFLAGS = $(PD_EX_CFLAGS)
examples_pagerduty_ack_triggered_LDADD = $(PD_EX_LDADD)
examples_pagerduty_events_CFLAGS = $(PD_EX_CFLAGS)
examples_pagerduty_events_LDADD = $(PD_EX_LDADD)
examples_pagerduty_change_event_CFLAGS = $(PD_EX_CFLAGS)
examples_pagerduty_change_event_LDADD = $(PD_EX_LDADD)

# bench: paging sequential vs parallel fan-out, events/s at a raised limit
noinst_PROGRAMS += bench/pagerduty_bench
bench_pagerduty_bench_SOURCES = bench/pagerduty_bench.c
bench_pagerduty_bench_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS)
bench_pagerduty_bench_LDADD = lib/libcallmux_impl.la tests/sim/libcmxsim.la \
	$(CMX_DEPS_LIBS) $(SIMTLS_LIBS)
