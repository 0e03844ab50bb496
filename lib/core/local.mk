# lib/core: the engine.
lib_libcallmux_impl_la_SOURCES += \
	lib/core/call.c \
	lib/core/engine-int.h \
	lib/core/engine.c \
	lib/core/error.c \
	lib/core/lane.c \
	lib/core/log.c \
	lib/core/loop.c \
	lib/core/loop.h \
	lib/core/multi.c \
	lib/core/post.c \
	lib/core/request.c \
	lib/core/response.c \
	lib/core/stats.c \
	lib/core/timer.c \
	lib/core/timerq.c \
	lib/core/timerq.h \
	lib/core/udp.c \
	lib/core/version.c \
	lib/core/work.c \
	lib/core/xfer.c

include lib/core/sched.mk
