# tests/cli.mk: tests of the `callmux` tool (src/).  The pure helpers are
# linked in; the rest runs the built tool as a subprocess against an
# in-process simulator.
check_PROGRAMS += tests/check_cli
TESTS += tests/check_cli
tests_check_cli_SOURCES = tests/check_cli.c src/args.c src/output.c \
	src/batchline.c src/cli.h
tests_check_cli_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCMX_CLI_BIN='"$(abs_top_builddir)/src/callmux$(EXEEXT)"'
tests_check_cli_CFLAGS = $(CMX_TEST_CFLAGS)
tests_check_cli_LDADD = $(CMX_TEST_LIBS)
EXTRA_tests_check_cli_DEPENDENCIES = src/callmux$(EXEEXT)
