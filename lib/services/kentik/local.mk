# kentik: library sources, simulator routes, tests and examples.
tests_sim_libcmxsim_la_SOURCES += tests/sim/kentik.c

lib_libcallmux_impl_la_SOURCES += \
	lib/services/kentik/kentik-int.h \
	lib/services/kentik/util.c \
	lib/services/kentik/criteria.c \
	lib/services/kentik/batch.c \
	lib/services/kentik/plan.c \
	lib/services/kentik/parse.c \
	lib/services/kentik/device.c \
	lib/services/kentik/client.c \
	lib/services/kentik/submit.c
callmux_HEADERS += include/callmux/kentik.h

check_PROGRAMS += tests/check_kentik
TESTS += tests/check_kentik
tests_check_kentik_SOURCES = tests/check_kentik.c
tests_check_kentik_CFLAGS = $(CMX_TEST_CFLAGS)
tests_check_kentik_LDADD = $(CMX_TEST_LIBS)

check_PROGRAMS += tests/check_kentik_e2e
TESTS += tests/check_kentik_e2e
tests_check_kentik_e2e_SOURCES = tests/check_kentik_e2e.c
tests_check_kentik_e2e_CFLAGS = $(CMX_TEST_CFLAGS)
tests_check_kentik_e2e_LDADD = $(CMX_TEST_LIBS)

noinst_PROGRAMS += examples/kentik_populators examples/kentik_tags \
	examples/kentik_csv
examples_kentik_populators_SOURCES = examples/kentik_populators.c \
	examples/kentik_util.c examples/kentik_util.h
examples_kentik_populators_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS)
examples_kentik_populators_LDADD = lib/libcallmux_impl.la $(CMX_DEPS_LIBS)
examples_kentik_tags_SOURCES = examples/kentik_tags.c \
	examples/kentik_util.c examples/kentik_util.h
examples_kentik_tags_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS)
examples_kentik_tags_LDADD = lib/libcallmux_impl.la $(CMX_DEPS_LIBS)
examples_kentik_csv_SOURCES = examples/kentik_csv.c \
	examples/kentik_util.c examples/kentik_util.h
examples_kentik_csv_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS)
examples_kentik_csv_LDADD = lib/libcallmux_impl.la $(CMX_DEPS_LIBS)
EXTRA_DIST += tests/data/kentik/populators.csv

noinst_PROGRAMS += bench/kentik_populators
bench_kentik_populators_SOURCES = bench/kentik_populators.c
bench_kentik_populators_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS)
bench_kentik_populators_LDADD = lib/libcallmux_impl.la tests/sim/libcmxsim.la \
	$(CMX_DEPS_LIBS) $(SIMTLS_LIBS)
