# tests/sim: the simulator library, callmux-sim and the framework's tests.
noinst_LTLIBRARIES += tests/sim/libcmxsim.la
tests_sim_libcmxsim_la_SOURCES = tests/sim/sim.h tests/sim/sim.c \
	tests/sim/generic.c
tests_sim_libcmxsim_la_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS) $(SIMTLS_CFLAGS)

# Built by plain `make`: the demo, benchmarks and big-body tests run it.
noinst_PROGRAMS += tests/sim/callmux-sim
tests_sim_callmux_sim_SOURCES = tests/sim/main.c
tests_sim_callmux_sim_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS)
tests_sim_callmux_sim_LDADD = tests/sim/libcmxsim.la $(CMX_DEPS_LIBS) \
	$(SIMTLS_LIBS)

check_PROGRAMS += tests/check_sim
TESTS += tests/check_sim
tests_check_sim_SOURCES = tests/check_sim.c
tests_check_sim_CFLAGS = $(CMX_TEST_CFLAGS)
tests_check_sim_LDADD = tests/sim/libcmxsim.la $(CMX_DEPS_LIBS) \
	$(SIMTLS_LIBS) $(CHECK_LIBS)
