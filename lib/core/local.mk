# lib/core: the engine.
lib_libcallmux_impl_la_SOURCES += \
	lib/core/error.c \
	lib/core/version.c
