/*
 * callmux: Kentik, HyperTagging batches, Sites and Device create.
 *
 * Two halves:
 *  - sans-I/O (no engine needed): criteria and batches (held compactly,
 *    serialised part by part), the part plan, the JSON of each part, the
 *    status / site / device parsers and the device validation;
 *  - async, on a cmx_engine: a client (cmx_kentik) that submits a batch as
 *    a chain of parts, reads a batch's status, waits for it to finish,
 *    fetches sites and creates devices.
 *
 * Wire format of a part (Python json.dumps layout: ", " and ": "
 * separators, non-ASCII as \uXXXX with lower-case hex, surrogate pairs
 * beyond the BMP, "/" not escaped), keys in this order:
 *   {"replace_all": B, "guid": "G", "complete": B, "upserts": [...],
 *    "deletes": [...]}
 * upserts: {"value": V, "criteria": [{"direction": D, <fields in the order
 * first added>}, ...]}; deletes: {"value": V}.  Ports, ASNs and VLANs are
 * strings ("80", "1000-2000"), protocol an integer, tcp_flags one integer
 * bitmask.
 *
 * Where we differ from the reference client (kentikapi 0.1.10), on purpose:
 *  - next-hop ASN ranges go under "nexthop_asn" ("a-b"), not the
 *    misspelled "nextohp_as_name" key the server does not know;
 *  - parts are sized by their real serialised bytes (escapes included,
 *    with room reserved for a guid of up to CMX_KENTIK_GUID_MAX bytes and
 *    "complete": false) against a settable limit (default 700,000): no
 *    part is ever over it.  The reference under-counted deletes (+4 for
 *    about 15 bytes) and non-ASCII text, so its parts grew past the limit;
 *  - a single value whose entry cannot fit in any part is CMX_EINVAL at
 *    submit, naming the value's index; the reference sent an empty leading
 *    part and then an oversized one.  We never send an empty leading part;
 *  - deletes are sent in insertion order (the reference used a set: random
 *    order); deletes of values that are also upserted are dropped (the
 *    server ignores them anyway);
 *  - refused before anything is sent: empty (after stripping) upsert
 *    values and string criteria (including the next-hop IP, whose check
 *    was broken), start > end for every range (port, VLAN, ASN, next-hop
 *    ASN), IP/CIDR that do not parse (addr, nexthop), MAC addresses that
 *    are not six hex pairs separated by ':' or '-', criteria without any
 *    field (the server rejects "Missing criteria"), strings that are not
 *    valid UTF-8, and dimension names that are not 3..20 characters of
 *    [A-Za-z0-9_] starting with "c_" (the KB's rule; the reference only
 *    checked the character set and length);
 *  - case-insensitive grouping of values folds ASCII letters only; other
 *    characters compare byte for byte (Python folded all of Unicode).
 *    Stripping removes ASCII whitespace and 0x1c..0x1f;
 *  - replace_all is a C int: any non-zero value is true, so the
 *    reference's "must be True or False" error cannot happen;
 *  - a part that fails is never silently lost: 429 and 503 are retried by
 *    the engine (every method); a part whose fate is unknown (dropped
 *    connection or timeout after it was sent) is NOT resent and the submit
 *    ends with CMX_EUNKNOWN, the batch guid and the parts sent (each part
 *    and each device create goes on a fresh connection, "Connection:
 *    close": on a reused connection that the server had closed, the part
 *    could not be resent and its fate would be unknown, ending the whole
 *    batch); any other
 *    error ends it with the guid and the parts acknowledged (the reference
 *    had no timeout, no retry, and printed every response);
 *  - the default lane is one per credential, "kentik:<email>:<hash>" (a
 *    64-bit FNV-1a hash of email and token; the token never appears), with
 *    one call in flight and 50 calls per minute with a burst of 5 (so at
 *    most 55 in any rolling minute and about 3,000 per hour), inside the
 *    documented non-query limits (1 concurrent, 60/min, 3,750/h).
 *    cmx_kentik_lane() gives it for tuning; cmx_kentik_set_lane() picks
 *    another.
 */
#ifndef CALLMUX_KENTIK_H
#define CALLMUX_KENTIK_H

#include <stddef.h>
#include <stdint.h>

#include <callmux/engine.h>
#include <callmux/error.h>
#include <callmux/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;

#define CMX_KENTIK_URL_US "https://api.kentik.com"
#define CMX_KENTIK_URL_EU "https://api.kentik.eu"
/** Default part limit in serialised bytes. */
#define CMX_KENTIK_PART_LIMIT 700000
/** Longest guid a server may return (room reserved in every part). */
#define CMX_KENTIK_GUID_MAX 64

/* ------------------------------------------------------------------ */
/* Criteria (sans-I/O)                                                  */

typedef struct cmx_kentik_criteria cmx_kentik_criteria;

/**
 * New criteria for `direction` ("src", "dst" or "either", any case; stored
 * lower-case).  NULL on ENOMEM or a bad direction (then `err` says why).
 */
CMX_EXTERN cmx_kentik_criteria *
cmx_kentik_criteria_new(const char *direction, char *err, size_t errlen);
CMX_EXTERN void cmx_kentik_criteria_free(cmx_kentik_criteria *c);
/** Text of the last CMX_EINVAL of an add_* call on `c` ("" if none). */
CMX_EXTERN const char *cmx_kentik_criteria_error(const cmx_kentik_criteria *c);

/*
 * Every add_* returns CMX_OK, CMX_ENOMEM, or CMX_EINVAL (criteria left
 * unchanged; cmx_kentik_criteria_error() names the field and the rule).
 * Strings are stripped and copied.
 */
CMX_EXTERN int cmx_kentik_add_port(cmx_kentik_criteria *c, long port);
CMX_EXTERN int cmx_kentik_add_port_range(cmx_kentik_criteria *c, long start,
                                         long end);
CMX_EXTERN int cmx_kentik_add_vlan(cmx_kentik_criteria *c, long vlan);
CMX_EXTERN int cmx_kentik_add_vlan_range(cmx_kentik_criteria *c, long start,
                                         long end);
CMX_EXTERN int cmx_kentik_add_protocol(cmx_kentik_criteria *c, long proto);
CMX_EXTERN int cmx_kentik_add_asn(cmx_kentik_criteria *c, long long asn);
CMX_EXTERN int cmx_kentik_add_asn_range(cmx_kentik_criteria *c,
                                        long long start, long long end);
CMX_EXTERN int cmx_kentik_add_next_hop_asn(cmx_kentik_criteria *c,
                                           long long asn);
CMX_EXTERN int cmx_kentik_add_next_hop_asn_range(cmx_kentik_criteria *c,
                                                 long long start,
                                                 long long end);
CMX_EXTERN int cmx_kentik_add_last_hop_asn_name(cmx_kentik_criteria *c,
                                                const char *name);
CMX_EXTERN int cmx_kentik_add_next_hop_asn_name(cmx_kentik_criteria *c,
                                                const char *name);
CMX_EXTERN int cmx_kentik_add_bgp_as_path(cmx_kentik_criteria *c,
                                          const char *path);
CMX_EXTERN int cmx_kentik_add_bgp_community(cmx_kentik_criteria *c,
                                            const char *community);
/** `flag` one of 1, 2, 4, ..., 128, ORed into the mask. */
CMX_EXTERN int cmx_kentik_add_tcp_flag(cmx_kentik_criteria *c, long flag);
/** Replace the whole mask (0..255). */
CMX_EXTERN int cmx_kentik_set_tcp_flags(cmx_kentik_criteria *c, long mask);
/** IPv4/IPv6 address or CIDR ("10.0.0.0/8"). */
CMX_EXTERN int cmx_kentik_add_ip_address(cmx_kentik_criteria *c,
                                         const char *ip);
CMX_EXTERN int cmx_kentik_add_next_hop_ip_address(cmx_kentik_criteria *c,
                                                  const char *ip);
/** Six hex pairs separated by ':' or '-'. */
CMX_EXTERN int cmx_kentik_add_mac_address(cmx_kentik_criteria *c,
                                          const char *mac);
CMX_EXTERN int cmx_kentik_add_country_code(cmx_kentik_criteria *c,
                                           const char *cc);
CMX_EXTERN int cmx_kentik_add_site_name(cmx_kentik_criteria *c,
                                        const char *site);
CMX_EXTERN int cmx_kentik_add_device_type(cmx_kentik_criteria *c,
                                          const char *type);
CMX_EXTERN int cmx_kentik_add_interface_name(cmx_kentik_criteria *c,
                                             const char *name);
CMX_EXTERN int cmx_kentik_add_device_name(cmx_kentik_criteria *c,
                                          const char *name);

/** The criteria object's JSON text (malloc'd, caller frees); NULL on
 *  ENOMEM. */
CMX_EXTERN char *cmx_kentik_criteria_json(const cmx_kentik_criteria *c);

/* ------------------------------------------------------------------ */
/* Batches (sans-I/O)                                                   */

typedef struct cmx_kentik_batch cmx_kentik_batch;

CMX_EXTERN cmx_kentik_batch *cmx_kentik_batch_new(int replace_all);
CMX_EXTERN void cmx_kentik_batch_free(cmx_kentik_batch *b);
/** Text of the last CMX_EINVAL on `b` ("" if none). */
CMX_EXTERN const char *cmx_kentik_batch_error(const cmx_kentik_batch *b);

/**
 * Add one criteria (serialised now: later changes to `c` do not affect
 * the batch) to `value` (stripped; grouped case-insensitively, the casing
 * of the last add_upsert/add_delete naming it is sent).  CMX_EINVAL for an
 * empty value, invalid UTF-8 or criteria without fields.
 */
CMX_EXTERN int cmx_kentik_batch_add_upsert(cmx_kentik_batch *b,
                                           const char *value,
                                           const cmx_kentik_criteria *c);
/** Delete `value` (stripped; must not be empty).  Ignored on the wire if
 *  the value is also upserted. */
CMX_EXTERN int cmx_kentik_batch_add_delete(cmx_kentik_batch *b,
                                           const char *value);
/** Distinct upserted values, criteria in total, deletes sent. */
CMX_EXTERN size_t cmx_kentik_batch_upsert_values(const cmx_kentik_batch *b);
CMX_EXTERN size_t cmx_kentik_batch_criteria_count(const cmx_kentik_batch *b);
CMX_EXTERN size_t cmx_kentik_batch_delete_count(const cmx_kentik_batch *b);
/** Bytes the batch holds in memory (arenas, tables). */
CMX_EXTERN size_t cmx_kentik_batch_memory(const cmx_kentik_batch *b);

/**
 * Plan the parts of `b` for `limit` serialised bytes per part (0: the
 * default).  CMX_EINVAL when the batch is empty with replace_all false, or
 * one entry cannot fit in a part (the error text names it).  The plan
 * refers to `b`, which must not change while the plan lives.
 */
typedef struct cmx_kentik_plan cmx_kentik_plan;
CMX_EXTERN int cmx_kentik_plan_new(const cmx_kentik_batch *b, size_t limit,
                                   cmx_kentik_plan **out, char *err,
                                   size_t errlen);
CMX_EXTERN void cmx_kentik_plan_free(cmx_kentik_plan *p);
CMX_EXTERN size_t cmx_kentik_plan_parts(const cmx_kentik_plan *p);
/** Sum of the serialised sizes of every part with an empty guid. */
CMX_EXTERN uint64_t cmx_kentik_plan_json_bytes(const cmx_kentik_plan *p);
/**
 * Serialise part `i` (0-based) with `guid` ("" or NULL for the first part)
 * into `*buf` (grown with realloc as needed; `*cap` its size).  Sets `*len`.
 * The last part says complete: true.  CMX_EINVAL for a bad index or a guid
 * longer than CMX_KENTIK_GUID_MAX, CMX_ENOMEM.
 */
CMX_EXTERN int cmx_kentik_plan_part(const cmx_kentik_plan *p, size_t i,
                                    const char *guid, char **buf, size_t *cap,
                                    size_t *len);

/** Dimension names: 3..20 of [A-Za-z0-9_], starting with "c_". */
CMX_EXTERN int cmx_kentik_dimension_valid(const char *name, char *err,
                                          size_t errlen);

/**
 * Append `s` (`len` bytes of UTF-8) as a JSON string literal, quotes
 * included, in the wire's escaping (ensure_ascii).  Returns the bytes
 * written (needs at most 12*len+2 of room; `out` NULL only counts), or -1
 * for invalid UTF-8.
 */
CMX_EXTERN long cmx_kentik_json_string(char *out, const char *s, size_t len);

/* ------------------------------------------------------------------ */
/* Parsed responses (strings borrowed from the response: valid during the
 * callback, or as long as the json_object given to the parser)           */

typedef struct cmx_kentik_status {
  const char *guid;
  int is_multipart, is_pending, is_complete;
  long number_of_parts;
  long dimension_id;          /* -1 for tag batches */
  const char *dimension_name; /* NULL for tag batches */
  long user_id;
  const char *user_email;
  struct {
    long total, applied, invalid, unchanged, over_limit;
  } upserts;
  struct {
    long total, applied, invalid, unchanged;
  } deletes;
  struct {
    int requested;
    long deletes_performed;
    int successful;
  } replace_all;
  const char *batch_date;
} cmx_kentik_status;

/** CMX_EPROTO (err says which key) if a required key is missing. */
CMX_EXTERN int cmx_kentik_status_parse(struct json_object *obj,
                                       cmx_kentik_status *out, char *err,
                                       size_t errlen);

typedef struct cmx_kentik_site {
  long id;
  const char *site_name;
  int has_lat, has_lon;
  double lat, lon;
  long company_id;
} cmx_kentik_site;

/** One {"id":..,"site_name":..,...} object (ids as numbers or strings). */
CMX_EXTERN int cmx_kentik_site_parse(struct json_object *obj,
                                     cmx_kentik_site *out, char *err,
                                     size_t errlen);

/* ------------------------------------------------------------------ */
/* Devices (sans-I/O)                                                   */

/**
 * A device to create.  Call cmx_kentik_device_init() first: strings NULL,
 * numbers 0 and the tri-state booleans -1 mean "not set" (not sent).
 * Rules checked by cmx_kentik_device_validate():
 *  - device_name 4..60 of [A-Za-z0-9_]; device_subtype, device_sample_rate
 *    (>= 1, sent as a string) and plan_id required;
 *  - device_type "router" or "host-nprobe-dns-www" when set; a router needs
 *    sending_ips and minimize_snmp; a dns host needs cdn_attr;
 *  - device_description at most 128 characters; cdn_attr "None", "Y"
 *    or "N";
 *  - device_bgp_type "none", "device" (needs device_bgp_neighbor_asn and a
 *    neighbor IPv4 or IPv6) or "other_device" (needs use_bgp_device_id);
 *  - SNMPv3 (when snmp_v3_user is set): auth protocol NoAuth|MD5|SHA, a
 *    passphrase unless NoAuth; privacy NoPriv|DES|AES, a passphrase unless
 *    NoPriv;
 *  - IPs (sending_ips, SNMP, BGP neighbors) must parse.
 */
typedef struct cmx_kentik_device {
  const char *device_name;
  const char *device_type;
  const char *device_subtype;
  const char *device_description;
  long device_sample_rate;
  const char *const *sending_ips;
  size_t n_sending_ips;
  long plan_id;
  long site_id;
  const char *device_snmp_ip;
  const char *device_snmp_community;
  int minimize_snmp; /* -1 unset, 0, 1 */
  const char *device_bgp_type;
  const char *device_bgp_neighbor_ip;
  const char *device_bgp_neighbor_ip6;
  const char *device_bgp_neighbor_asn;
  const char *device_bgp_password;
  int device_bgp_flowspec; /* -1 unset, 0, 1 */
  long use_bgp_device_id;
  const char *snmp_v3_user;
  const char *snmp_v3_auth_protocol;
  const char *snmp_v3_auth_passphrase;
  const char *snmp_v3_privacy_protocol;
  const char *snmp_v3_privacy_passphrase;
  const char *cdn_attr;
} cmx_kentik_device;

CMX_EXTERN void cmx_kentik_device_init(cmx_kentik_device *d);
CMX_EXTERN int cmx_kentik_device_validate(const cmx_kentik_device *d,
                                          char *err, size_t errlen);
/** {"device":{...}} with only the fields set; NULL on EINVAL (err) or
 *  ENOMEM.  Caller frees. */
CMX_EXTERN char *cmx_kentik_device_json(const cmx_kentik_device *d, char *err,
                                        size_t errlen);

typedef struct cmx_kentik_device_info {
  const char *id; /* the API returns ids as strings */
  const char *company_id;
  const char *device_name;
  const char *device_type;
  const char *device_subtype;
  const char *device_sample_rate;
  long plan_id;
} cmx_kentik_device_info;

CMX_EXTERN int cmx_kentik_device_parse(struct json_object *obj,
                                       cmx_kentik_device_info *out, char *err,
                                       size_t errlen);

/* ------------------------------------------------------------------ */
/* The client (async)                                                   */

typedef struct cmx_kentik cmx_kentik;

/**
 * A client for `email` and `token` (copied) on `base_url` (NULL:
 * CMX_KENTIK_URL_US; no trailing slash needed).  Makes the credential's
 * default lane (see the top of this file).  NULL with `err` on bad input
 * or ENOMEM.  Calls already started keep the client alive after
 * cmx_kentik_free().
 */
CMX_EXTERN cmx_kentik *cmx_kentik_new(cmx_engine *engine, const char *email,
                                      const char *token, const char *base_url,
                                      char *err, size_t errlen);
CMX_EXTERN void cmx_kentik_free(cmx_kentik *k);
/** The lane every call of this client uses (tune its rate/inflight). */
CMX_EXTERN cmx_lane *cmx_kentik_lane(cmx_kentik *k);
/** Use the named lane instead (configure it yourself). */
CMX_EXTERN int cmx_kentik_set_lane(cmx_kentik *k, const char *name);
/** Part limit in serialised bytes (default CMX_KENTIK_PART_LIMIT; at least
 *  1,024). */
CMX_EXTERN int cmx_kentik_set_part_limit(cmx_kentik *k, size_t bytes);
/** Per-attempt timeout of every call (default 60,000 ms; 0 none). */
CMX_EXTERN int cmx_kentik_set_timeout_ms(cmx_kentik *k, uint64_t ms);

/** Result of a batch submit, valid during the callback. */
typedef struct cmx_kentik_submit_result {
  int code;            /* CMX_OK, or why the submit stopped */
  const char *guid;    /* the batch guid ("" if none was issued) */
  size_t parts_total;  /* parts in the plan */
  size_t parts_sent;   /* parts that left (acknowledged or fate unknown) */
  size_t parts_acked;  /* parts the server accepted */
  long http_status;    /* of the last response, 0 if none */
  const char *message; /* server's message/error text ("" if none) */
  const char *detail;  /* what happened, never a secret ("" on success) */
} cmx_kentik_submit_result;

typedef void (*cmx_kentik_submit_cb)(const cmx_kentik_submit_result *r,
                                     void *userdata);
/** After each acknowledged part: `part` 1-based, its bytes, the guid. */
typedef void (*cmx_kentik_progress_cb)(size_t part, size_t parts_total,
                                       size_t part_bytes, const char *guid,
                                       void *userdata);

/**
 * Submit `batch` as populators of custom dimension `dimension`, or as tags.
 * The batch is borrowed: keep it unchanged until `cb` ran.  Parts are sent
 * one after another, each with the guid of the previous response; only the
 * last says complete.  `progress` may be NULL.  CMX_EINVAL (err) for a bad
 * dimension, an empty batch without replace_all, or an entry too large for
 * a part; then nothing is sent and `cb` is never called.
 * Codes in the result: CMX_OK; CMX_EUNKNOWN (a part's fate is unknown: not
 * resent); CMX_EHTTP / CMX_EAUTH / CMX_ERATELIMIT (the server refused a
 * part: later parts not sent); CMX_EPROTO (no guid in a response, or an
 * "error" in it); transport codes for parts never sent; CMX_ECANCELED.
 */
CMX_EXTERN int cmx_kentik_submit_populators(
    cmx_kentik *k, const char *dimension, const cmx_kentik_batch *batch,
    cmx_kentik_progress_cb progress, cmx_kentik_submit_cb cb, void *userdata,
    char *err, size_t errlen);
CMX_EXTERN int cmx_kentik_submit_tags(cmx_kentik *k,
                                      const cmx_kentik_batch *batch,
                                      cmx_kentik_progress_cb progress,
                                      cmx_kentik_submit_cb cb, void *userdata,
                                      char *err, size_t errlen);

/** `st` is NULL unless code is CMX_OK; `detail` never NULL. */
typedef void (*cmx_kentik_status_cb)(int code, const cmx_kentik_status *st,
                                     const char *detail, void *userdata);
/** GET /api/v5/batch/{guid}/status. */
CMX_EXTERN int cmx_kentik_batch_status(cmx_kentik *k, const char *guid,
                                       cmx_kentik_status_cb cb,
                                       void *userdata);
/**
 * Poll the status every `interval_ms` (0: 5,000) until is_pending is false
 * (cb gets CMX_OK and that status) or `deadline_ms` from now passed (0:
 * none; cb gets CMX_ETIMEDOUT with the last status seen, or NULL).
 */
CMX_EXTERN int cmx_kentik_batch_wait(cmx_kentik *k, const char *guid,
                                     uint64_t interval_ms,
                                     uint64_t deadline_ms,
                                     cmx_kentik_status_cb cb, void *userdata);

/** `sites` holds `n` entries (1 for a single fetch); NULL on errors. */
typedef void (*cmx_kentik_sites_cb)(int code, const cmx_kentik_site *sites,
                                    size_t n, const char *detail,
                                    void *userdata);
/** GET /api/v5/site/{id}. */
CMX_EXTERN int cmx_kentik_site_get(cmx_kentik *k, long id,
                                   cmx_kentik_sites_cb cb, void *userdata);
/** GET /api/v5/sites. */
CMX_EXTERN int cmx_kentik_sites_list(cmx_kentik *k, cmx_kentik_sites_cb cb,
                                     void *userdata);

typedef void (*cmx_kentik_device_cb)(int code,
                                     const cmx_kentik_device_info *dev,
                                     const char *detail, void *userdata);
/** POST /api/v5/device after validation (CMX_EINVAL with err).  Not
 *  retried on drops/timeouts (POST). */
CMX_EXTERN int cmx_kentik_device_create(cmx_kentik *k,
                                        const cmx_kentik_device *d,
                                        cmx_kentik_device_cb cb,
                                        void *userdata, char *err,
                                        size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* CALLMUX_KENTIK_H */
