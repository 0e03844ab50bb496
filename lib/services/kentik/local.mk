# kentik: library sources, simulator routes, tests and examples.
tests_sim_libcmxsim_la_SOURCES += tests/sim/kentik.c
