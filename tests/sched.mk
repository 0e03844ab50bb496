# tests for the scheduler building blocks (no engine, no network).
check_PROGRAMS += tests/check_sched
TESTS += tests/check_sched
tests_check_sched_SOURCES = tests/check_sched.c
tests_check_sched_CFLAGS = $(CMX_TEST_CFLAGS)
tests_check_sched_LDADD = lib/libcallmux_impl.la $(CMX_DEPS_LIBS) $(CHECK_LIBS)
