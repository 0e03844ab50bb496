# tests/sim: the simulator library and callmux-sim.
noinst_LTLIBRARIES += tests/sim/libcmxsim.la
tests_sim_libcmxsim_la_SOURCES = tests/sim/sim.h
tests_sim_libcmxsim_la_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS) $(SIMTLS_CFLAGS)
