# src: the `callmux` command-line tool, built only on the public API and
# linked with the installed library.
bin_PROGRAMS += src/callmux
src_callmux_SOURCES = \
	src/cli.h \
	src/main.c \
	src/args.c \
	src/output.c \
	src/batchline.c \
	src/cmd_request.c \
	src/cmd_batch.c
src_callmux_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS)
src_callmux_LDADD = lib/libcallmux.la $(CMX_DEPS_LIBS)
EXTRA_DIST += src/README.md
