/*
 * callmux: Synnefo client (Astakos, Cyclades compute/network/volume, Image
 * and Pithos), as kamaki speaks it on the wire.
 *
 * A client is (authentication URL, token).  It authenticates once per token
 * (POST {auth_url}/tokens) and caches the answer: the service catalog and
 * the user.  Every service call looks its endpoint up in that catalog by
 * service type (case-insensitive, exactly one endpoint must match, as the
 * kamaki CLI does) and appends the default API version when the published
 * URL carries none (identity/compute/network/volume 2.0, image 1.0,
 * object-store 1).
 *
 * Callbacks: every function that takes a callback returns CMX_OK and then
 * calls it exactly once from the loop, or returns an error (CMX_EINVAL with
 * cmx_synnefo_last_error() naming the field, CMX_ENOMEM, or a submit error)
 * and never calls it.  The token is sent only as a secret header
 * (X-Auth-Token) and never appears in errors or logs.
 *
 * Results are borrowed json-c objects shaped like kamaki's return values
 * (the inner dict of {"server": {...}} etc.); take a reference with
 * json_object_get() to keep one past the callback.
 *
 * Errors: a failed call has r->code != CMX_OK.  For a status the call does
 * not accept, r->error is kamaki's ClientError: `message` is
 * "<Reason> <faultName> (<fault message>)", `status` the fault's code (or
 * the HTTP status), `kind` the fault name, `details` the fault's non-empty
 * details; bodies that are not JSON give "<Reason> <body>".  Workflow
 * errors ("3 blocks failed to upload") are reported the same way.
 *
 * Differences from kamaki (bugs not copied):
 *  - wait_server reports whether the server left the status or the wait
 *    timed out (r->timed_out), instead of kamaki's ambiguous dict/False.
 *  - download never truncates objects with repeated blocks (kamaki's
 *    download_to_string does); every block is verified against the hashmap.
 *  - the final hashmap PUT re-sends Content-Disposition.
 *  - image locations given as plain strings must be pithos:// URLs; kamaki
 *    re-joins other strings with '.', we refuse them (CMX_EINVAL).
 *  - `x-image-meta-size` is never sent on register (the server rejects it).
 *  - download range checks strip only trailing NULs (kamaki's resume check
 *    strips both ends).
 *  - block uploads run with a fixed parallelism (max_parallel) on the
 *    engine's lane instead of kamaki's adaptive thread batches.
 *
 * Lifetime: free a client only when none of its calls is outstanding (or
 * after freeing the engine, which ends them with CMX_ECANCELED).
 */
#ifndef CALLMUX_SYNNEFO_H
#define CALLMUX_SYNNEFO_H

#include <stddef.h>
#include <stdint.h>

#include <callmux/engine.h>
#include <callmux/request.h>
#include <callmux/visibility.h>

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;

typedef struct cmx_synnefo cmx_synnefo;

/** Outcome of an asynchronous call; valid during the callback only. */
typedef struct cmx_synnefo_result {
  int code;                       /* CMX_OK or a cmx error code */
  long http_status;               /* status of the last response, 0: none */
  const char *detail;             /* failure text, "" on success */
  const cmx_service_error *error; /* ClientError-like, or NULL */
  struct json_object *json;       /* result (borrowed), may be NULL */
  int timed_out;                  /* wait_server: still in the status */
} cmx_synnefo_result;

typedef void (*cmx_synnefo_cb)(cmx_synnefo *c, const cmx_synnefo_result *r,
                               void *userdata);

/** Progress of long workflows: `phase` is "hash", "upload", "download" or
 *  "verify"; `done`/`total` in bytes.  Runs on the loop. */
typedef void (*cmx_synnefo_progress_fn)(cmx_synnefo *c, const char *phase,
                                        uint64_t done, uint64_t total,
                                        void *userdata);

/* ------------------------------------------------------------------ */
/* Client and Astakos                                                   */

/**
 * A client for `auth_url` (e.g. https://accounts.example.org/identity/v2.0)
 * and `token` (both copied).  NULL on ENOMEM or bad arguments (then
 * `errbuf`, when not NULL, says which).  Nothing is sent yet.
 */
CMX_EXTERN cmx_synnefo *cmx_synnefo_new(cmx_engine *engine,
                                        const char *auth_url,
                                        const char *token, char *errbuf,
                                        size_t errlen);
CMX_EXTERN void cmx_synnefo_free(cmx_synnefo *c);
/** Text of the last synchronous failure (EINVAL detail); never NULL. */
CMX_EXTERN const char *cmx_synnefo_last_error(const cmx_synnefo *c);
/** Parallel block requests of uploads/downloads (default 8, 1..256). */
CMX_EXTERN int cmx_synnefo_set_max_parallel(cmx_synnefo *c, unsigned n);

/** POST /tokens (once per token, then cached): r->json is the whole
 *  {"access": {...}} answer. */
CMX_EXTERN int cmx_synnefo_authenticate(cmx_synnefo *c, cmx_synnefo_cb cb,
                                        void *userdata);
/** r->json is access.user plus "default_project" (access.token.tenant.id). */
CMX_EXTERN int cmx_synnefo_user_info(cmx_synnefo *c, cmx_synnefo_cb cb,
                                     void *userdata);
/** r->json is a string: the publicURL of `service_type` (version may be
 *  NULL), without the version suffix rule applied. */
CMX_EXTERN int cmx_synnefo_get_endpoint_url(cmx_synnefo *c,
                                            const char *service_type,
                                            const char *version,
                                            cmx_synnefo_cb cb, void *userdata);
/** After authentication: the user's UUID, or NULL. */
CMX_EXTERN const char *cmx_synnefo_user_uuid(const cmx_synnefo *c);

/* ---- sans-I/O helpers (pure; for tests and custom flows) ---------- */

/**
 * Find `service_type`'s endpoint in a serviceCatalog array the kamaki CLI
 * way: first service whose type matches case-insensitively, endpoints
 * filtered by versionId (case-insensitive) when `version`, exactly one
 * must remain.  Returns a malloc'd publicURL or NULL with `errbuf` set
 * ("Service type "x" not in service catalog", "2 endpoints match ...").
 */
CMX_EXTERN char *cmx_synnefo_catalog_endpoint(struct json_object *catalog,
                                              const char *service_type,
                                              const char *version,
                                              char *errbuf, size_t errlen);
/** `url` without trailing '/', plus "/v<default_version>" when it does
 *  not end in /v<digits>[.<digits>].  malloc'd, NULL on ENOMEM. */
CMX_EXTERN char *cmx_synnefo_versioned_url(const char *url,
                                           const char *default_version);
/** Join `base` and `path` with '/', collapse duplicate slashes in the
 *  path, percent-encode it as UTF-8 keeping '/' and unreserved bytes.
 *  malloc'd. */
CMX_EXTERN char *cmx_synnefo_join_url(const char *base, const char *path);

/**
 * kamaki's ClientError from a response: fills `message`, `status`, `kind`
 * (fault name or NULL) and up to `maxdetails` details, all malloc'd (free
 * with cmx_synnefo_fault_clear).  `reason` NULL uses the standard reason
 * phrase of `http_status`.
 */
typedef struct cmx_synnefo_fault {
  char *message;
  long status;
  char *kind;
  char *details[4];
  size_t ndetails;
} cmx_synnefo_fault;
CMX_EXTERN int cmx_synnefo_fault_parse(long http_status, const char *reason,
                                       const char *body, size_t len,
                                       cmx_synnefo_fault *out);
CMX_EXTERN void cmx_synnefo_fault_clear(cmx_synnefo_fault *f);
/** Standard HTTP reason phrase ("Not Found"); "" when unknown. */
CMX_EXTERN const char *cmx_synnefo_reason(long status);
/** The cmx_error_parser every request of this module uses. */
CMX_EXTERN void cmx_synnefo_error_parser(const cmx_response *res,
                                         cmx_service_error *out);

/* ------------------------------------------------------------------ */
/* Cyclades compute                                                     */

/** What create_server sends; json members are borrowed (may be NULL). */
typedef struct cmx_synnefo_server_spec {
  const char *name;             /* required, non-empty */
  const char *flavor_id;        /* required; all digits are sent as a number */
  const char *image_id;         /* required */
  struct json_object *networks; /* array of {"uuid"[, "fixed_ip"]} or
                                   {"port"}; NULL: server default,
                                   []: no network */
  struct json_object *metadata; /* object of strings */
  struct json_object *personality; /* array of {path, contents(base64),
                                      owner?, group?, mode?} */
  const char *project_id;          /* optional */
} cmx_synnefo_server_spec;

/** GET /images/{image} (os and users metadata copied unless set), then
 *  POST /servers (202): r->json is the server dict (status BUILD,
 *  adminPass). */
CMX_EXTERN int cmx_synnefo_create_server(cmx_synnefo *c,
                                         const cmx_synnefo_server_spec *spec,
                                         cmx_synnefo_cb cb, void *userdata);
/** GET /servers/{id}: r->json is the server dict.  `server_id` digits. */
CMX_EXTERN int cmx_synnefo_get_server_details(cmx_synnefo *c,
                                              const char *server_id,
                                              cmx_synnefo_cb cb,
                                              void *userdata);
/** GET /servers or /servers/detail: r->json is the list. */
CMX_EXTERN int cmx_synnefo_list_servers(cmx_synnefo *c, int detail,
                                        cmx_synnefo_cb cb, void *userdata);
/** DELETE /servers/{id} (204). */
CMX_EXTERN int cmx_synnefo_delete_server(cmx_synnefo *c, const char *server_id,
                                         cmx_synnefo_cb cb, void *userdata);

/** Called after every poll with the server dict (borrowed). */
typedef void (*cmx_synnefo_wait_fn)(cmx_synnefo *c, struct json_object *server,
                                    void *userdata);
/**
 * Poll GET /servers/{id} (first poll at once, then every `delay_ms`, at
 * most max_wait_ms / delay_ms polls, at least one) while its status is
 * `current_status` (NULL: "BUILD").  Costs one engine timer between polls,
 * no thread.  r->json is the last server dict; r->timed_out is 1 when it
 * never left the status.  HTTP errors (404 after delete) end the wait.
 */
CMX_EXTERN int cmx_synnefo_wait_server(cmx_synnefo *c, const char *server_id,
                                       const char *current_status,
                                       uint64_t delay_ms, uint64_t max_wait_ms,
                                       cmx_synnefo_wait_fn on_poll,
                                       cmx_synnefo_cb cb, void *userdata);

/* ------------------------------------------------------------------ */
/* Network and block storage                                            */

/** POST /v2.0/networks (201): `type` one of CUSTOM, MAC_FILTERED,
 *  IP_LESS_ROUTED, PHYSICAL_VLAN; name optional.  r->json is the network. */
CMX_EXTERN int cmx_synnefo_create_network(cmx_synnefo *c, const char *type,
                                          const char *name, cmx_synnefo_cb cb,
                                          void *userdata);
/** GET /v2.0/networks[/detail]: r->json is the list. */
CMX_EXTERN int cmx_synnefo_list_networks(cmx_synnefo *c, int detail,
                                         cmx_synnefo_cb cb, void *userdata);
/** POST /v2.0/snapshots (202): r->json is the snapshot (its id is an
 *  image id).  name may be NULL. */
CMX_EXTERN int cmx_synnefo_create_snapshot(cmx_synnefo *c,
                                           const char *volume_id,
                                           const char *name, cmx_synnefo_cb cb,
                                           void *userdata);
/** GET /v2.0/volumes/detail: r->json is the list. */
CMX_EXTERN int cmx_synnefo_list_volumes(cmx_synnefo *c, cmx_synnefo_cb cb,
                                        void *userdata);

/* ------------------------------------------------------------------ */
/* Image (Plankton)                                                     */

/**
 * POST /v1.0/images/ with X-Image-Meta-* headers.  `location` is a
 * pithos://account/container/path URL, or NULL with `account` (NULL: the
 * user), `container` and `path`.  `properties`: object of strings
 * (borrowed, may be NULL), sent as X-Image-Meta-Property-<key>.
 * `disk_format`/`container_format` may be NULL.  r->json as get_meta.
 */
typedef struct cmx_synnefo_image_spec {
  const char *name;
  const char *location;
  const char *account, *container, *path;
  const char *disk_format, *container_format;
  int is_public;
  struct json_object *properties;
} cmx_synnefo_image_spec;
CMX_EXTERN int cmx_synnefo_image_register(cmx_synnefo *c,
                                          const cmx_synnefo_image_spec *spec,
                                          cmx_synnefo_cb cb, void *userdata);
/**
 * HEAD /v1.0/images/{id}: r->json has "id", "name", "location",
 * "disk-format", ..., decoded, and "properties" (keys with '-' as '_').
 * The engine gives no header enumeration, so properties are read for the
 * keys the client registered on this client and those named in
 * `property_keys` (NULL-terminated, may be NULL).
 */
CMX_EXTERN int cmx_synnefo_image_get_meta(cmx_synnefo *c, const char *image_id,
                                          const char *const *property_keys,
                                          cmx_synnefo_cb cb, void *userdata);
/** GET /v1.0/images/detail: r->json is the list. */
CMX_EXTERN int cmx_synnefo_image_list(cmx_synnefo *c, cmx_synnefo_cb cb,
                                      void *userdata);
/** Pure: decode one response header into a kamaki-style image dict
 *  (`name` any case; ignores non x-image-meta-* names). */
CMX_EXTERN int cmx_synnefo_image_meta_add(struct json_object *meta,
                                          const char *name, const char *value);
/** Pure: percent-decode (malloc'd). */
CMX_EXTERN char *cmx_synnefo_unquote(const char *s);

/* ------------------------------------------------------------------ */
/* Pithos                                                               */

/** HEAD container (204): r->json {"block_size": n, "block_hash": "sha256",
 *  "object_count": n, "bytes_used": n}. `account` NULL: the user. */
CMX_EXTERN int cmx_synnefo_container_info(cmx_synnefo *c, const char *account,
                                          const char *container,
                                          cmx_synnefo_cb cb, void *userdata);
/** PUT container (201 new, 202 exists). */
CMX_EXTERN int cmx_synnefo_create_container(cmx_synnefo *c,
                                            const char *container,
                                            cmx_synnefo_cb cb, void *userdata);
/** DELETE container (204; 409 when not empty). */
CMX_EXTERN int cmx_synnefo_delete_container(cmx_synnefo *c,
                                            const char *container,
                                            cmx_synnefo_cb cb, void *userdata);
/** Every page by marker (`page_limit` per GET, 0: server default);
 *  r->json is the whole list.  prefix may be NULL. */
CMX_EXTERN int cmx_synnefo_list_objects(cmx_synnefo *c, const char *container,
                                        const char *prefix,
                                        unsigned page_limit, cmx_synnefo_cb cb,
                                        void *userdata);
/** DELETE object (204). */
CMX_EXTERN int cmx_synnefo_delete_object(cmx_synnefo *c, const char *container,
                                         const char *object, cmx_synnefo_cb cb,
                                         void *userdata);

typedef struct cmx_synnefo_upload_opts {
  const char *content_type; /* default application/octet-stream */
  const char *account;      /* default: the user */
  int if_not_exist;         /* If-None-Match: * */
} cmx_synnefo_upload_opts;

/**
 * Upload `fd` (borrowed, must stay open until cb; read with pread only) or
 * `path` (fd < 0) by the hashmap protocol: HEAD container, hash blocks on
 * worker threads, PUT hashmap, POST the missing blocks in parallel from
 * the file range, final PUT.  Failed blocks are retried in passes (7
 * passes without progress at most).  r->json: {"etag", "x-object-version",
 * "bytes", "blocks", "blocks_sent", "bytes_sent"}.  opts may be NULL.
 */
CMX_EXTERN int cmx_synnefo_upload_object(cmx_synnefo *c, const char *container,
                                         const char *object, int fd,
                                         const char *path,
                                         const cmx_synnefo_upload_opts *opts,
                                         cmx_synnefo_progress_fn progress,
                                         cmx_synnefo_cb cb, void *userdata);
/**
 * Download into `fd` (borrowed) or `path` (fd < 0; created/truncated):
 * GET hashmap, one ranged GET per distinct block hash written at its
 * offset, repeated blocks copied locally, every block verified, file
 * truncated to the object size.  r->json: {"bytes", "blocks",
 * "blocks_fetched"}.  A block that does not match gives CMX_EPROTO.
 */
CMX_EXTERN int cmx_synnefo_download_object(cmx_synnefo *c,
                                           const char *container,
                                           const char *object, int fd,
                                           const char *path,
                                           cmx_synnefo_progress_fn progress,
                                           cmx_synnefo_cb cb, void *userdata);

/* ---- hashmap (pure) ---------------------------------------------- */

/** hexlower(SHA-256(block without its trailing NUL bytes)); hex has 65
 *  bytes. */
CMX_EXTERN void cmx_synnefo_block_hash(const void *data, size_t len,
                                       char hex[65]);
/** Pithos Merkle top hash of `n` hex block hashes (X-Object-Hash). */
CMX_EXTERN int cmx_synnefo_merkle(const char *const *hashes, size_t n,
                                  char hex[65]);
/** Hash every block of `fd` (size bytes, block_size blocks) with pread,
 *  on the calling thread.  `hexes` gets ceil(size/bs) * 65 bytes. */
CMX_EXTERN int cmx_synnefo_hash_fd(int fd, uint64_t size, uint64_t block_size,
                                   char *hexes);

#ifdef __cplusplus
}
#endif

#endif /* CALLMUX_SYNNEFO_H */
