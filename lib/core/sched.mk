# lib/core scheduler building blocks: pure, clock-injected units used by the
# lanes (token bucket, backoff, Retry-After, retry budget, AIMD, histogram).
lib_libcallmux_impl_la_SOURCES += \
	lib/core/aimd.c \
	lib/core/aimd.h \
	lib/core/backoff.c \
	lib/core/backoff.h \
	lib/core/bucket.c \
	lib/core/bucket.h \
	lib/core/budget.c \
	lib/core/budget.h \
	lib/core/clock.c \
	lib/core/clock.h \
	lib/core/hist.c \
	lib/core/hist.h \
	lib/core/retry_after.c \
	lib/core/retry_after.h
