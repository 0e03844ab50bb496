/*
 * Partisci module internals shared between its files (and its tests).
 */
#ifndef CMX_PARTISCI_INT_H
#define CMX_PARTISCI_INT_H

#include <stdarg.h>
#include <stddef.h>

#include <callmux/partisci.h>
#include <callmux/request.h>

/* Code points of valid UTF-8 `s` (len bytes), or -1 if it is not valid
 * UTF-8 (overlong forms, surrogates and values past U+10FFFF refused). */
long cmx__partisci_utf8_chars(const char *s, size_t len);

/* cmx_partisci_update_encode with a datagram limit other than 2048 (the
 * unit tests prove the size rule with a small one). */
char *cmx__partisci_encode(const cmx_partisci_update *u, size_t max,
                           size_t *len, char *errbuf, size_t errlen);

/* snprintf into errbuf when it is not NULL. */
void cmx__partisci_err(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Base URL normalised: "http://host:port" (no trailing '/', the default
 * port added); host and port split out for UDP.  0 or -1. */
int cmx__partisci_split_base(const char *base, char **norm, char **host,
                             unsigned *port);

/* The error parser given to every request ({"error":..} or plain text). */
void cmx__partisci_error_parser(const cmx_response *res,
                                cmx_service_error *out);

/* TEST HOOK: make reporters started after this call use `ms` as their
 * interval WITHOUT the 1 h .. 24 h clamp (0 restores the clamp).  Only for
 * the module's end-to-end tests; not exported from libcallmux.so. */
void cmx__partisci_reporter_test_interval(uint64_t ms);

/* When the reporter's next update is due, on the engine's clock. */
uint64_t cmx__partisci_reporter_next_ms(const struct cmx_partisci_reporter *r);

/* The client's engine (for the reporter). */
cmx_engine *cmx__partisci_engine(cmx_partisci *c);
void cmx__partisci_ref(cmx_partisci *c);
void cmx__partisci_unref(cmx_partisci *c);
/* Send u (host already resolved against the default) by UDP or HTTP with
 * `cb`; like the public calls. */
int cmx__partisci_send(cmx_partisci *c, const cmx_partisci_update *u,
                       int use_http, cmx_partisci_cb cb, void *ud,
                       char *errbuf, size_t errlen);

#endif /* CMX_PARTISCI_INT_H */
