/* callmux simulator: Synnefo state shared by synnefo.c and
 * synnefo-pithos.c. */
#ifndef CMX_SIM_SYNNEFO_INTERNAL_H
#define CMX_SIM_SYNNEFO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "sim/sim.h"

typedef struct sim_syn_block {
  unsigned char *data; /* trailing NULs stripped */
  size_t len;
} sim_syn_block;

typedef struct sim_syn_object {
  char *name;
  uint64_t bytes;
  char (*hashes)[65];
  size_t nhashes;
  char *content_type;
  char uuid[40];
  long version;
  double mtime;
  json_object *meta; /* X-Object-Meta-* : key -> value */
} sim_syn_object;

typedef struct sim_syn_container {
  char *account, *name;
  uint64_t block_size;
  sim_syn_object **objs;
  size_t nobjs, cap;
} sim_syn_container;

typedef struct sim_syn_server {
  json_object *d; /* the server dict (without adminPass) */
  uint64_t created_ms;
  int fail;
} sim_syn_server;

typedef struct sim_syn {
  sim *s;
  sim_service *svc;
  /* pithos */
  json_object *block_ix; /* hex -> index into blocks */
  sim_syn_block *blocks;
  size_t nblocks, capblocks;
  sim_syn_container **conts;
  size_t nconts, capconts;
  long next_version;
  /* cyclades */
  sim_syn_server *servers;
  size_t nservers, capservers;
  json_object *networks;  /* array */
  json_object *volumes;   /* array */
  json_object *snapshots; /* array */
  json_object *images;    /* id -> image record (plankton fields) */
  long next_net, next_vol, next_obj;
} sim_syn;

/* synnefo.c */
int sim_syn_auth(sim_syn *st, sim_req *r);
void sim_syn_fault(sim_req *r, int status, const char *name,
                   const char *message);
const char *sim_syn_user(sim_syn *st);
uint64_t sim_syn_now_ms(void);
void sim_syn_iso(double t, char *buf, size_t len);
void sim_syn_uuid(sim_syn *st, char out[40]);
int sim_syn_props_from_headers(sim_req *r, json_object *props);

/* synnefo-pithos.c */
void sim_syn_pithos(sim_syn *st, sim_req *r, const char *rest);
void sim_syn_pithos_reset(sim_syn *st);
void sim_syn_block_hash(const void *data, size_t len, char hex[65]);
int sim_syn_merkle(char (*hashes)[65], size_t n, char hex[65]);
sim_syn_container *sim_syn_container_get(sim_syn *st, const char *account,
                                         const char *name, int create);
sim_syn_object *sim_syn_object_get(sim_syn_container *c, const char *name);
/* Store `len` bytes as a new object (blocks added to the store). */
sim_syn_object *sim_syn_object_put_data(sim_syn *st, sim_syn_container *c,
                                        const char *name, const void *data,
                                        size_t len, const char *ctype);

#endif
