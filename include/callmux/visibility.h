/* callmux: symbol visibility for the public API. */
#ifndef CALLMUX_VISIBILITY_H
#define CALLMUX_VISIBILITY_H

#if defined(__GNUC__) || defined(__clang__)
#define CMX_EXTERN __attribute__((visibility("default")))
#else
#define CMX_EXTERN
#endif

#endif /* CALLMUX_VISIBILITY_H */
