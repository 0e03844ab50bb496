/* Shared by the Kentik examples (see kentik_util.c). */
#ifndef CMX_EXAMPLES_KENTIK_UTIL_H
#define CMX_EXAMPLES_KENTIK_UTIL_H

#include <callmux/callmux.h>
#include <callmux/kentik.h>

typedef struct kx {
  cmx_engine *engine;
  cmx_kentik *k;
  int rc;
} kx;

int kx_setup(kx *x, const char *url);
void kx_teardown(kx *x);
/** Submit (populators of `dimension`, or tags when NULL), wait for the
 *  batch, print its status; returns the exit code. */
int kx_submit_and_wait(kx *x, const char *dimension,
                       const cmx_kentik_batch *b);

#endif
