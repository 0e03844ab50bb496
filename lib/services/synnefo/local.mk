# synnefo: library sources, simulator routes, tests and examples.
tests_sim_libcmxsim_la_SOURCES += tests/sim/synnefo.c tests/sim/synnefo-pithos.c \
	tests/sim/synnefo-internal.h

callmux_HEADERS += include/callmux/synnefo.h
lib_libcallmux_impl_la_SOURCES += \
	lib/services/synnefo/internal.h \
	lib/services/synnefo/client.c \
	lib/services/synnefo/astakos.c \
	lib/services/synnefo/errors.c \
	lib/services/synnefo/url.c \
	lib/services/synnefo/hashmap.c \
	lib/services/synnefo/compute.c \
	lib/services/synnefo/network.c \
	lib/services/synnefo/volume.c \
	lib/services/synnefo/image.c \
	lib/services/synnefo/pithos.c \
	lib/services/synnefo/upload.c \
	lib/services/synnefo/download.c

check_PROGRAMS += tests/check_synnefo
TESTS += tests/check_synnefo
tests_check_synnefo_SOURCES = tests/check_synnefo.c
tests_check_synnefo_CFLAGS = $(CMX_TEST_CFLAGS)
tests_check_synnefo_LDADD = tests/libtestutil.la $(CMX_TEST_LIBS)
