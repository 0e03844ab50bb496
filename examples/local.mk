# examples: the demo (each service adds its scenario file here) and the
# engine's own examples; service examples live in the services' fragments.
noinst_PROGRAMS += examples/demo
examples_demo_SOURCES = examples/demo.c examples/demo.h \
	examples/demo_generic.c examples/demo_partisci.c \
	examples/demo_kentik.c examples/demo_synnefo.c \
	examples/demo_pagerduty.c
examples_demo_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS)
examples_demo_LDADD = lib/libcallmux_impl.la $(CMX_DEPS_LIBS)

noinst_PROGRAMS += examples/embed
examples_embed_SOURCES = examples/embed.c
examples_embed_CFLAGS = $(AM_CFLAGS) $(CMX_DEPS_CFLAGS)
examples_embed_LDADD = lib/libcallmux.la $(LIBEVENT_LIBS)
