/*
 * callmux: asynchronous API client engine.
 *
 * The umbrella header: includes the engine, requests and errors.  Service
 * modules have their own headers (kentik.h, synnefo.h, pagerduty.h,
 * partisci.h).
 */
#ifndef CALLMUX_CALLMUX_H
#define CALLMUX_CALLMUX_H

#include <callmux/engine.h>
#include <callmux/error.h>
#include <callmux/request.h>
#include <callmux/version.h>

#endif /* CALLMUX_CALLMUX_H */
