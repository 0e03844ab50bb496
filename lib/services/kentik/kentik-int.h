/*
 * Kentik module: internal declarations shared by its files.
 */
#ifndef CMX_KENTIK_INT_H
#define CMX_KENTIK_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <callmux/kentik.h>

/* ---- growable byte buffer ---------------------------------------- */

typedef struct cmx__kbuf {
  char *p;
  size_t len, cap;
} cmx__kbuf;

int cmx__kentik_buf_reserve(cmx__kbuf *b, size_t more);
int cmx__kentik_buf_add(cmx__kbuf *b, const void *data, size_t len);
int cmx__kentik_buf_str(cmx__kbuf *b, const char *s);
int cmx__kentik_buf_printf(cmx__kbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Append `s` as a JSON string literal; CMX_EINVAL for bad UTF-8. */
int cmx__kentik_buf_json_string(cmx__kbuf *b, const char *s, size_t len);

/* ---- validation helpers ------------------------------------------ */

/** snprintf into err (if err && errlen). */
void cmx__kentik_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Strip ASCII whitespace and 0x1c..0x1f: start and length. */
const char *cmx__kentik_strip(const char *s, size_t *len);
/** IPv4/IPv6 address, optionally "/prefix". */
int cmx__kentik_ip_valid(const char *s, size_t len, int allow_cidr);
int cmx__kentik_mac_valid(const char *s, size_t len);
int cmx__kentik_utf8_valid(const char *s, size_t len);

/* ---- batch storage (read by the plan) ---------------------------- */

#define CMX__KE_UPSERTED 1u
#define CMX__KE_DELETED 2u

typedef struct cmx__kentry {
  uint64_t val_off;    /* into vals */
  uint64_t head, tail; /* criteria records: offset + 1 into crits, 0 none */
  uint32_t val_len;
  uint32_t ncrit : 30; /* criteria of this value */
  uint32_t flags : 2;  /* CMX__KE_* */
} cmx__kentry;

/* criteria record in `crits`: uint64 next (offset+1), uint32 len, bytes */
#define CMX__KREC_HDR 12

struct cmx_kentik_batch {
  int replace_all;
  cmx__kentry *ents;
  size_t nents, capents;
  uint32_t *table; /* entry index + 1, open addressing */
  size_t tcap;
  cmx__kbuf vals;
  cmx__kbuf crits;
  uint32_t *upserts; /* entry indexes, first-upsert order */
  size_t nupserts, capupserts;
  uint32_t *deletes; /* entry indexes, first-delete order */
  size_t ndeletes, capdeletes;
  size_t ncriteria;
  char err[256];
};

/* ---- criteria ---------------------------------------------------- */

/** Append the criteria's JSON object to `b`. */
int cmx__kentik_criteria_write(const cmx_kentik_criteria *c, cmx__kbuf *b);
int cmx__kentik_criteria_empty(const cmx_kentik_criteria *c);

/* ---- client internals shared by client.c and submit.c ------------ */

struct cmx_request;
struct cmx_response;
typedef struct cmx_kentik cmx_kentik;

/** A request with the client's headers, lane and timeout; NULL on ENOMEM. */
struct cmx_request *cmx__kentik_request(cmx_kentik *k, const char *method,
                                        const char *path);
cmx_engine *cmx__kentik_engine(cmx_kentik *k);
size_t cmx__kentik_part_limit(cmx_kentik *k);
void cmx__kentik_ref(cmx_kentik *k);
void cmx__kentik_unref(cmx_kentik *k);
/** Detail text of a failed response: code, status and the server's text. */
void cmx__kentik_fail_detail(const struct cmx_response *res, char *out,
                             size_t outlen);

#endif /* CMX_KENTIK_INT_H */
