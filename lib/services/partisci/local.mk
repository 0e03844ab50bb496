# partisci: library sources, simulator routes, tests and examples.
tests_sim_libcmxsim_la_SOURCES += tests/sim/partisci.c

lib_libcallmux_impl_la_SOURCES += \
	lib/services/partisci/partisci-int.h \
	lib/services/partisci/wire.c \
	lib/services/partisci/parse.c \
	lib/services/partisci/client.c \
	lib/services/partisci/reporter.c
callmux_HEADERS += include/callmux/partisci.h

check_PROGRAMS += tests/check_partisci
TESTS += tests/check_partisci
tests_check_partisci_SOURCES = tests/check_partisci.c
tests_check_partisci_CFLAGS = $(CMX_TEST_CFLAGS)
tests_check_partisci_LDADD = $(CMX_TEST_LIBS)

# the examples and the demo scenario, run against callmux-sim
check_PROGRAMS += tests/check_partisci_examples
TESTS += tests/check_partisci_examples
tests_check_partisci_examples_SOURCES = tests/check_partisci_examples.c
tests_check_partisci_examples_CFLAGS = $(CMX_TEST_CFLAGS)
tests_check_partisci_examples_LDADD = tests/libtestutil.la $(CMX_TEST_LIBS)

noinst_PROGRAMS += examples/partisci_daemon examples/partisci_which
examples_partisci_daemon_SOURCES = examples/partisci_daemon.c
examples_partisci_daemon_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS)
examples_partisci_daemon_LDADD = lib/libcallmux_impl.la $(CMX_DEPS_LIBS) -lm
examples_partisci_which_SOURCES = examples/partisci_which.c
examples_partisci_which_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS)
examples_partisci_which_LDADD = lib/libcallmux_impl.la $(CMX_DEPS_LIBS) -lm

noinst_PROGRAMS += bench/partisci_updates
bench_partisci_updates_SOURCES = bench/partisci_updates.c
bench_partisci_updates_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS)
bench_partisci_updates_LDADD = lib/libcallmux_impl.la tests/sim/libcmxsim.la \
	$(CMX_DEPS_LIBS) $(SIMTLS_LIBS) -lm
