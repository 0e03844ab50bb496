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
