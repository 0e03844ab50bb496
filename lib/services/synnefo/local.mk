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
tests_check_synnefo_LDADD = $(CMX_TEST_LIBS)

# the examples and the demo scenario, run against callmux-sim
check_PROGRAMS += tests/check_synnefo_examples
TESTS += tests/check_synnefo_examples
tests_check_synnefo_examples_SOURCES = tests/check_synnefo_examples.c
tests_check_synnefo_examples_CFLAGS = $(CMX_TEST_CFLAGS)
tests_check_synnefo_examples_LDADD = tests/libtestutil.la $(CMX_TEST_LIBS)

# examples: ports of the kamaki guide's scripts (see synnefo_example.h)
SYN_EX_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS)
SYN_EX_LDADD = lib/libcallmux_impl.la $(CMX_DEPS_LIBS) -lm
noinst_PROGRAMS += examples/synnefo_batch_servers \
	examples/synnefo_register_images examples/synnefo_private_network \
	examples/synnefo_snapshot_backup examples/synnefo_restore_server \
	examples/synnefo_errors
EXTRA_DIST += examples/synnefo_example.h
examples_synnefo_batch_servers_CFLAGS = $(SYN_EX_CFLAGS)
examples_synnefo_batch_servers_LDADD = $(SYN_EX_LDADD)
examples_synnefo_register_images_CFLAGS = $(SYN_EX_CFLAGS)
examples_synnefo_register_images_LDADD = $(SYN_EX_LDADD)
examples_synnefo_private_network_CFLAGS = $(SYN_EX_CFLAGS)
examples_synnefo_private_network_LDADD = $(SYN_EX_LDADD)
examples_synnefo_snapshot_backup_CFLAGS = $(SYN_EX_CFLAGS)
examples_synnefo_snapshot_backup_LDADD = $(SYN_EX_LDADD)
examples_synnefo_restore_server_CFLAGS = $(SYN_EX_CFLAGS)
examples_synnefo_restore_server_LDADD = $(SYN_EX_LDADD)
examples_synnefo_errors_CFLAGS = $(SYN_EX_CFLAGS)
examples_synnefo_errors_LDADD = $(SYN_EX_LDADD)

# bench: upload/re-upload vs SHA-256 speed, wait_server poll CPU vs GET
noinst_PROGRAMS += bench/synnefo_bench
bench_synnefo_bench_SOURCES = bench/synnefo_bench.c
bench_synnefo_bench_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS)
bench_synnefo_bench_LDADD = lib/libcallmux_impl.la $(CMX_DEPS_LIBS) -lm
