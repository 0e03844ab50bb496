# tests: the engine's own test programs (services keep theirs in their
# fragments).
noinst_LTLIBRARIES += tests/libtestutil.la
tests_libtestutil_la_SOURCES = tests/testutil.c tests/testutil.h
tests_libtestutil_la_CFLAGS = $(CMX_TEST_CFLAGS)

check_PROGRAMS += tests/check_engine
TESTS += tests/check_engine
tests_check_engine_SOURCES = tests/check_engine.c
tests_check_engine_CFLAGS = $(CMX_TEST_CFLAGS)
tests_check_engine_LDADD = tests/libtestutil.la $(CMX_TEST_LIBS)

check_PROGRAMS += tests/check_lane
TESTS += tests/check_lane
tests_check_lane_SOURCES = tests/check_lane.c
tests_check_lane_CFLAGS = $(CMX_TEST_CFLAGS)
tests_check_lane_LDADD = tests/libtestutil.la $(CMX_TEST_LIBS)

include tests/cli.mk
include tests/sched.mk
