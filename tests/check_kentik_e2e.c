/*
 * Kentik module tests, end to end: the client on the engine against the
 * in-process simulator on 127.0.0.1 (same event_base): multi-part batches
 * with guid chaining, replace_all applied only on complete, faults during
 * a multi-part batch (429/503 retried, drops and timeouts not resent),
 * status and wait, server-side validation counts, rate limits, sites and
 * devices.
 */
#include "config.h"

#include <check.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <callmux/callmux.h>
#include <callmux/kentik.h>

#include "sim/sim.h"

typedef struct env {
  struct event_base *base;
  sim *sim;
  sim_service *svc;
  cmx_engine *engine;
  cmx_kentik *k;
} env;

static void env_up(env *e)
{
  char err[200] = "";

  memset(e, 0, sizeof(*e));
  e->base = event_base_new();
  ck_assert_ptr_nonnull(e->base);
  e->sim = sim_new(e->base);
  ck_assert_ptr_nonnull(e->sim);
  e->svc = sim_service_add(e->sim, "kentik", 0, 0);
  ck_assert_ptr_nonnull(e->svc);
  ck_assert_int_eq(sim_kentik_attach(e->svc), 0);
  /* tests go fast: the soft and per-minute limits off unless a test
   * sets them */
  sim_config_set(e->sim, "kentik.soft_per_minute", "0");
  sim_config_set(e->sim, "kentik.per_minute", "0");
  e->engine = cmx_engine_new(e->base, NULL);
  ck_assert_ptr_nonnull(e->engine);
  e->k = cmx_kentik_new(e->engine, "test@example.com", "test-token",
                        sim_service_url(e->svc), err, sizeof(err));
  ck_assert_msg(e->k != NULL, "%s", err);
  ck_assert_int_eq(cmx_lane_set_rate(cmx_kentik_lane(e->k), 0, 0), CMX_OK);
}

static void env_down(env *e)
{
  cmx_kentik_free(e->k);
  cmx_engine_free(e->engine);
  sim_free(e->sim);
  event_base_free(e->base);
}

static void on_expire(evutil_socket_t fd, short what, void *arg)
{
  (void)fd;
  (void)what;
  *(int *)arg = 1;
}

static int run_until(env *e, const int *flag, unsigned ms)
{
  int expired = 0;
  struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
  struct event *ev = evtimer_new(e->base, on_expire, &expired);

  evtimer_add(ev, &tv);
  while (!*flag && !expired)
    event_base_loop(e->base, EVLOOP_ONCE);
  event_free(ev);
  return *flag;
}

/* ---- submit helpers ------------------------------------------------- */

typedef struct sub {
  int done;
  int code;
  char guid[80];
  size_t total, sent, acked;
  long status;
  char detail[800];
  size_t progress_calls, last_part;
  int guid_changed;
  char first_guid[80];
  env *e;
  long populators_at_part1; /* sim gauge right after part 1 */
} sub;

static void on_progress(size_t part, size_t total, size_t bytes,
                        const char *guid, void *ud)
{
  sub *s = ud;

  ck_assert_uint_eq(part, s->last_part + 1);
  ck_assert_uint_le(bytes, CMX_KENTIK_PART_LIMIT);
  ck_assert_uint_ge(total, part);
  if (part == 1) {
    snprintf(s->first_guid, sizeof(s->first_guid), "%s", guid);
    s->populators_at_part1 = (long)sim_counter(s->e->sim, "kentik.populators");
  } else if (strcmp(guid, s->first_guid) != 0) {
    s->guid_changed = 1;
  }
  s->last_part = part;
  s->progress_calls++;
}

static void on_submit(const cmx_kentik_submit_result *r, void *ud)
{
  sub *s = ud;

  ck_assert_int_eq(s->done, 0);
  s->done = 1;
  s->code = r->code;
  snprintf(s->guid, sizeof(s->guid), "%s", r->guid);
  s->total = r->parts_total;
  s->sent = r->parts_sent;
  s->acked = r->parts_acked;
  s->status = r->http_status;
  snprintf(s->detail, sizeof(s->detail), "%s", r->detail);
}

static cmx_kentik_batch *make_batch(int replace_all, const char *prefix,
                                    size_t n, const char *dir)
{
  cmx_kentik_batch *b = cmx_kentik_batch_new(replace_all);
  cmx_kentik_criteria *c;
  char val[64], ip[32], err[100];
  size_t i;

  ck_assert_ptr_nonnull(b);
  for (i = 0; i < n; i++) {
    c = cmx_kentik_criteria_new(dir, err, sizeof(err));
    ck_assert_ptr_nonnull(c);
    snprintf(ip, sizeof(ip), "10.%zu.%zu.%zu", (i >> 16) & 255, (i >> 8) & 255,
             i & 255);
    ck_assert_int_eq(cmx_kentik_add_ip_address(c, ip), CMX_OK);
    ck_assert_int_eq(cmx_kentik_add_port(c, 443), CMX_OK);
    snprintf(val, sizeof(val), "%s%zu", prefix, i);
    ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, val, c), CMX_OK);
    cmx_kentik_criteria_free(c);
  }
  return b;
}

static void submit_pop(env *e, const cmx_kentik_batch *b, sub *s, unsigned ms)
{
  char err[300] = "";
  int rc;

  memset(s, 0, sizeof(*s));
  s->e = e;
  rc = cmx_kentik_submit_populators(e->k, "c_customer", b, on_progress,
                                    on_submit, s, err, sizeof(err));
  ck_assert_msg(rc == CMX_OK, "submit: %s", err);
  ck_assert_msg(run_until(e, &s->done, ms), "submit did not end");
}

typedef struct stat_res {
  int done, code;
  cmx_kentik_status st;
  char dim[64];
  char detail[300];
} stat_res;

static void on_status(int code, const cmx_kentik_status *st,
                      const char *detail, void *ud)
{
  stat_res *r = ud;

  r->done = 1;
  r->code = code;
  snprintf(r->detail, sizeof(r->detail), "%s", detail);
  if (st) {
    r->st = *st;
    snprintf(r->dim, sizeof(r->dim), "%s",
             st->dimension_name ? st->dimension_name : "");
    r->st.guid = r->st.dimension_name = r->st.user_email = r->st.batch_date =
        NULL;
  }
}

static void get_status(env *e, const char *guid, stat_res *r)
{
  memset(r, 0, sizeof(*r));
  ck_assert_int_eq(cmx_kentik_batch_status(e->k, guid, on_status, r), CMX_OK);
  ck_assert(run_until(e, &r->done, 10000));
}

/* ---- tests ------------------------------------------------------------ */

START_TEST(multipart_chain)
{
  env e;
  sub s;
  stat_res r;
  cmx_kentik_batch *b = make_batch(0, "val-", 10000, "dst");

  env_up(&e);
  ck_assert_int_eq(cmx_kentik_set_part_limit(e.k, 60000), CMX_OK);
  submit_pop(&e, b, &s, 30000);
  ck_assert_msg(s.code == CMX_OK, "%s", s.detail);
  ck_assert_uint_ge(s.total, 10);
  ck_assert_uint_eq(s.acked, s.total);
  ck_assert_uint_eq(s.sent, s.total);
  ck_assert_uint_eq(s.progress_calls, s.total);
  ck_assert_int_eq(s.guid_changed, 0);
  ck_assert_str_eq(s.guid, s.first_guid);
  ck_assert_int_eq(s.status, 202);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.parts"), (int64_t)s.total);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.batches_applied"), 1);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.populators"), 10000);
  get_status(&e, s.guid, &r);
  ck_assert_msg(r.code == CMX_OK, "%s", r.detail);
  ck_assert_int_eq(r.st.is_pending, 0);
  ck_assert_int_eq(r.st.is_complete, 1);
  ck_assert_int_eq(r.st.is_multipart, 1);
  ck_assert_int_eq(r.st.number_of_parts, (long)s.total);
  ck_assert_int_eq(r.st.upserts.total, 10000);
  ck_assert_int_eq(r.st.upserts.applied, 10000);
  ck_assert_int_eq(r.st.upserts.invalid, 0);
  ck_assert_str_eq(r.dim, "c_customer");
  /* the same batch again: everything unchanged */
  submit_pop(&e, b, &s, 30000);
  ck_assert_int_eq(s.code, CMX_OK);
  get_status(&e, s.guid, &r);
  ck_assert_int_eq(r.st.upserts.unchanged, 10000);
  ck_assert_int_eq(r.st.upserts.applied, 0);
  cmx_kentik_batch_free(b);
  env_down(&e);
}
END_TEST

/* Submit an n-entry batch at `limit` (0: the default) and check, from
 * both ends, the splitting rules: no part over the limit, only the last
 * part complete, every later part chained to the first part's guid, the
 * batch applied once with every entry. */
static void split_e2e(size_t n, size_t limit, size_t min_parts)
{
  env e;
  sub s;
  stat_res r;
  cmx_kentik_batch *b = make_batch(0, "v", n, "src");

  env_up(&e);
  if (limit)
    ck_assert_int_eq(cmx_kentik_set_part_limit(e.k, limit), CMX_OK);
  else
    limit = CMX_KENTIK_PART_LIMIT;
  /* the client's own per-attempt timeout covers the simulator's work too
   * (same loop): none here, the run_until bound still applies */
  ck_assert_int_eq(cmx_kentik_set_timeout_ms(e.k, 0), CMX_OK);
  submit_pop(&e, b, &s, 240000);
  ck_assert_msg(s.code == CMX_OK, "n=%zu: %s", n, s.detail);
  ck_assert_uint_ge(s.total, min_parts);
  ck_assert_uint_eq(s.acked, s.total);
  ck_assert_uint_eq(s.sent, s.total);
  ck_assert_uint_eq(s.progress_calls, s.total);
  ck_assert_int_eq(s.guid_changed, 0);
  ck_assert_str_eq(s.guid, s.first_guid);
  /* server side: one batch opened (the first part, guid ""), every later
   * part named its guid, exactly one part said complete, none too big */
  ck_assert_int_eq(sim_counter(e.sim, "kentik.parts"), (int64_t)s.total);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.batches_opened"), 1);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.parts_chained"),
                   (int64_t)s.total - 1);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.parts_complete"), 1);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.too_large"), 0);
  ck_assert_int_le(sim_counter(e.sim, "kentik.part_bytes_max"),
                   (int64_t)limit);
  ck_assert_int_gt(sim_counter(e.sim, "kentik.part_bytes_max"), 0);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.batches_applied"), 1);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.populators"), (int64_t)n);
  get_status(&e, s.guid, &r);
  ck_assert_msg(r.code == CMX_OK, "%s", r.detail);
  ck_assert_int_eq(r.st.is_complete, 1);
  ck_assert_int_eq(r.st.is_pending, 0);
  ck_assert_int_eq(r.st.is_multipart, s.total > 1);
  ck_assert_int_eq(r.st.number_of_parts, (long)s.total);
  ck_assert_int_eq(r.st.upserts.total, (long)n);
  ck_assert_int_eq(r.st.upserts.applied, (long)n);
  cmx_kentik_batch_free(b);
  env_down(&e);
}

START_TEST(split_one_entry)
{
  split_e2e(1, 0, 1);
}
END_TEST

START_TEST(split_10000_entries)
{
  split_e2e(10000, 0, 1);
  split_e2e(10000, 100000, 7);
}
END_TEST

START_TEST(split_300000_entries)
{
  split_e2e(300000, 0, 20);
}
END_TEST

START_TEST(replace_all_on_complete)
{
  env e;
  sub s;
  stat_res r;
  cmx_kentik_batch *a = make_batch(0, "old-", 5, "dst");
  cmx_kentik_batch *b = make_batch(1, "new-", 3000, "dst");

  env_up(&e);
  submit_pop(&e, a, &s, 10000);
  ck_assert_int_eq(s.code, CMX_OK);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.populators"), 5);
  ck_assert_int_eq(cmx_kentik_set_part_limit(e.k, 50000), CMX_OK);
  submit_pop(&e, b, &s, 30000);
  ck_assert_msg(s.code == CMX_OK, "%s", s.detail);
  ck_assert_uint_ge(s.total, 3);
  /* after part 1 (not complete) nothing had been applied or deleted */
  ck_assert_int_eq(s.populators_at_part1, 5);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.populators"), 3000);
  get_status(&e, s.guid, &r);
  ck_assert_int_eq(r.st.replace_all.requested, 1);
  ck_assert_int_eq(r.st.replace_all.deletes_performed, 5);
  ck_assert_int_eq(r.st.upserts.applied, 3000);
  cmx_kentik_batch_free(a);
  cmx_kentik_batch_free(b);
  env_down(&e);
}
END_TEST

static void add_fault(env *e, sim_fault_kind kind, int status, const char *ra,
                      unsigned every)
{
  sim_fault f;

  memset(&f, 0, sizeof(f));
  f.service = "kentik";
  f.method = "POST";
  f.path = "/api/v5/batch/customdimensions/*/populators";
  f.kind = kind;
  f.status = status;
  f.retry_after = ra;
  f.count = 1;
  f.every = every;
  ck_assert_int_eq(sim_fault_add(e->sim, &f), 0);
}

START_TEST(faults_retried)
{
  env e;
  sub s;
  cmx_kentik_batch *b = make_batch(0, "val-", 2000, "dst");

  env_up(&e);
  ck_assert_int_eq(cmx_kentik_set_part_limit(e.k, 40000), CMX_OK);
  /* the 2nd POST gets 503, the (then) 4th a 429: both retried */
  add_fault(&e, SIM_FAULT_STATUS, 503, "0", 2);
  add_fault(&e, SIM_FAULT_STATUS, 429, "0", 4);
  submit_pop(&e, b, &s, 30000);
  ck_assert_msg(s.code == CMX_OK, "%s", s.detail);
  ck_assert_uint_ge(s.total, 4);
  ck_assert_uint_eq(s.acked, s.total);
  ck_assert_int_eq(sim_counter(e.sim, "faults.applied"), 2);
  /* every part applied exactly once */
  ck_assert_int_eq(sim_counter(e.sim, "kentik.parts"), (int64_t)s.total);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.populators"), 2000);
  cmx_kentik_batch_free(b);
  env_down(&e);
}
END_TEST

START_TEST(fault_drop_not_resent)
{
  env e;
  sub s;
  cmx_kentik_batch *b = make_batch(0, "val-", 2000, "dst");

  env_up(&e);
  ck_assert_int_eq(cmx_kentik_set_part_limit(e.k, 40000), CMX_OK);
  add_fault(&e, SIM_FAULT_DROP, 0, NULL, 2);
  submit_pop(&e, b, &s, 30000);
  ck_assert_int_eq(s.code, CMX_EUNKNOWN);
  ck_assert_uint_eq(s.sent, 2);
  ck_assert_uint_eq(s.acked, 1);
  ck_assert_uint_gt(s.total, 2);
  ck_assert_str_ne(s.guid, "");
  ck_assert_ptr_nonnull(strstr(s.detail, s.guid));
  ck_assert_ptr_nonnull(strstr(s.detail, "not resent"));
  /* the dropped part reached the server once and was never resent */
  ck_assert_int_eq(sim_counter(e.sim, "faults.applied"), 1);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.parts"), 1);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.batches_applied"), 0);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.populators"), 0);
  cmx_kentik_batch_free(b);
  env_down(&e);
}
END_TEST

START_TEST(fault_timeout_not_resent)
{
  env e;
  sub s;
  cmx_kentik_batch *b = make_batch(0, "val-", 2000, "dst");

  env_up(&e);
  ck_assert_int_eq(cmx_kentik_set_part_limit(e.k, 40000), CMX_OK);
  ck_assert_int_eq(cmx_kentik_set_timeout_ms(e.k, 300), CMX_OK);
  add_fault(&e, SIM_FAULT_STALL, 0, NULL, 3);
  submit_pop(&e, b, &s, 30000);
  ck_assert_int_eq(s.code, CMX_EUNKNOWN);
  ck_assert_uint_eq(s.sent, 3);
  ck_assert_uint_eq(s.acked, 2);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.parts"), 2);
  ck_assert_int_eq(sim_counter(e.sim, "faults.applied"), 1);
  cmx_kentik_batch_free(b);
  env_down(&e);
}
END_TEST

START_TEST(refusals)
{
  env e;
  sub s;
  cmx_kentik_batch *b = make_batch(0, "val-", 500, "dst");
  cmx_kentik_batch *empty = cmx_kentik_batch_new(0);
  cmx_kentik *bad;
  char err[300] = "";
  int rc;

  env_up(&e);
  /* nothing sent for bad input */
  rc = cmx_kentik_submit_populators(e.k, "customer", b, NULL, on_submit, &s,
                                    err, sizeof(err));
  ck_assert_int_eq(rc, CMX_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "dimension"));
  rc = cmx_kentik_submit_tags(e.k, empty, NULL, on_submit, &s, err,
                              sizeof(err));
  ck_assert_int_eq(rc, CMX_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "replace_all"));
  /* one value whose entry cannot fit in any part: refused, not sent */
  {
    cmx_kentik_batch *big = cmx_kentik_batch_new(0);
    cmx_kentik_criteria *c = cmx_kentik_criteria_new("dst", NULL, 0);
    char ip[32];
    int i;

    for (i = 0; i < 300; i++) {
      snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, i % 250);
      ck_assert_int_eq(cmx_kentik_add_ip_address(c, ip), CMX_OK);
    }
    ck_assert_int_eq(cmx_kentik_batch_add_upsert(big, "small", c), CMX_OK);
    ck_assert_int_eq(cmx_kentik_set_part_limit(e.k, 4096), CMX_OK);
    rc = cmx_kentik_submit_populators(e.k, "c_customer", big, NULL, on_submit,
                                      &s, err, sizeof(err));
    ck_assert_int_eq(rc, CMX_EINVAL);
    ck_assert_msg(strstr(err, "'small'") && strstr(err, "4096"), "%s", err);
    ck_assert_int_eq(cmx_kentik_set_part_limit(e.k, CMX_KENTIK_PART_LIMIT),
                     CMX_OK);
    cmx_kentik_criteria_free(c);
    cmx_kentik_batch_free(big);
  }
  ck_assert_uint_eq(cmx_engine_outstanding(e.engine), 0);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.parts"), 0);
  /* the server's part limit below ours: 413, later parts not sent */
  sim_config_set(e.sim, "kentik.part_limit", "20000");
  ck_assert_int_eq(cmx_kentik_set_part_limit(e.k, 30000), CMX_OK);
  submit_pop(&e, b, &s, 10000);
  ck_assert_int_eq(s.code, CMX_EHTTP);
  ck_assert_int_eq(s.status, 413);
  ck_assert_uint_eq(s.sent, 0);
  ck_assert_uint_eq(s.acked, 0);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.too_large"), 1);
  sim_config_set(e.sim, "kentik.part_limit", "750000");
  /* wrong token: 401, never retried */
  bad = cmx_kentik_new(e.engine, "test@example.com", "wrong",
                       sim_service_url(e.svc), err, sizeof(err));
  ck_assert_ptr_nonnull(bad);
  memset(&s, 0, sizeof(s));
  s.e = &e;
  ck_assert_int_eq(cmx_kentik_submit_populators(bad, "c_customer", b, NULL,
                                                on_submit, &s, err,
                                                sizeof(err)),
                   CMX_OK);
  cmx_kentik_free(bad); /* the submit keeps the client alive */
  ck_assert(run_until(&e, &s.done, 10000));
  ck_assert_int_eq(s.code, CMX_EAUTH);
  ck_assert_int_eq(s.status, 401);
  ck_assert_ptr_null(strstr(s.detail, "wrong"));
  ck_assert_int_eq(sim_counter(e.sim, "kentik.unauthorized"), 1);
  cmx_kentik_batch_free(b);
  cmx_kentik_batch_free(empty);
  env_down(&e);
}
END_TEST

/* One criteria with every method: the server's validation accepts all of
 * it (nothing invalid), and a next-hop ASN range lands under nexthop_asn. */
START_TEST(every_method_applied)
{
  env e;
  sub s;
  stat_res r;
  cmx_kentik_batch *b = cmx_kentik_batch_new(0);
  cmx_kentik_criteria *c = cmx_kentik_criteria_new("dst", NULL, 0);

  env_up(&e);
  ck_assert_int_eq(cmx_kentik_add_ip_address(c, "10.0.0.1"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_port(c, 80), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_port_range(c, 1000, 2000), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_protocol(c, 6), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_asn(c, 15169), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_asn_range(c, 100, 200), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_vlan(c, 10), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_vlan_range(c, 20, 30), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_next_hop_asn(c, 1), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_next_hop_asn_range(c, 5, 9), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_next_hop_asn_name(c, "GOOGLE"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_last_hop_asn_name(c, "CLOUDFLARE"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_bgp_as_path(c, "^3737 1212"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_bgp_community(c, "2096:2212"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_tcp_flag(c, 2), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_tcp_flag(c, 16), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_mac_address(c, "01:42:12:ae:92:bf"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_country_code(c, "US"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_site_name(c, "site1"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_device_type(c, "router"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_interface_name(c, "eth0"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_device_name(c, "dev1"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_next_hop_ip_address(c, "1.2.3.0/24"),
                   CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, "myval", c), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_delete(b, "Old1"), CMX_OK);
  submit_pop(&e, b, &s, 10000);
  ck_assert_msg(s.code == CMX_OK, "%s", s.detail);
  get_status(&e, s.guid, &r);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_int_eq(r.st.upserts.total, 1);
  ck_assert_int_eq(r.st.upserts.applied, 1);
  ck_assert_int_eq(r.st.upserts.invalid, 0);
  ck_assert_int_eq(r.st.deletes.total, 1);
  ck_assert_int_eq(r.st.deletes.invalid, 0);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.populators"), 1);
  cmx_kentik_criteria_free(c);
  cmx_kentik_batch_free(b);
  env_down(&e);
}
END_TEST

START_TEST(tags_and_server_validation)
{
  env e;
  sub s;
  stat_res r;
  cmx_kentik_batch *b = cmx_kentik_batch_new(0);
  cmx_kentik_criteria *ok = cmx_kentik_criteria_new("either", NULL, 0);
  cmx_kentik_criteria *src = cmx_kentik_criteria_new("src", NULL, 0);
  cmx_kentik_criteria *bgp = cmx_kentik_criteria_new("either", NULL, 0);
  char err[300];

  env_up(&e);
  ck_assert_int_eq(cmx_kentik_add_port(ok, 80), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_port(src, 81), CMX_OK);
  ck_assert_int_eq(cmx_kentik_add_bgp_as_path(bgp, "^64512 abc"), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, "web", ok), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, "web", src), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, "bgp", bgp), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_upsert(b, "bad.value", ok), CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_add_delete(b, "never-there"), CMX_OK);
  memset(&s, 0, sizeof(s));
  s.e = &e;
  ck_assert_int_eq(cmx_kentik_submit_tags(e.k, b, on_progress, on_submit, &s,
                                          err, sizeof(err)),
                   CMX_OK);
  ck_assert(run_until(&e, &s.done, 10000));
  ck_assert_msg(s.code == CMX_OK, "%s", s.detail);
  ck_assert_uint_eq(s.total, 1);
  get_status(&e, s.guid, &r);
  ck_assert_int_eq(r.code, CMX_OK);
  ck_assert_str_eq(r.dim, ""); /* no custom_dimension for tags */
  ck_assert_int_eq(r.st.dimension_id, -1);
  ck_assert_int_eq(r.st.upserts.total, 4);
  ck_assert_int_eq(r.st.upserts.applied, 1);
  ck_assert_int_eq(r.st.upserts.invalid, 3); /* src dir, bgp chars, value */
  ck_assert_int_eq(r.st.deletes.total, 1);
  ck_assert_int_eq(r.st.deletes.unchanged, 1);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.tags"), 1);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.populators"), 0);
  /* unknown guid: 404 */
  get_status(&e, "no-such-guid", &r);
  ck_assert_int_eq(r.code, CMX_EHTTP);
  ck_assert_ptr_nonnull(strstr(r.detail, "404"));
  ck_assert_int_eq(cmx_kentik_batch_status(e.k, "bad/guid", on_status, &r),
                   CMX_EINVAL);
  cmx_kentik_criteria_free(ok);
  cmx_kentik_criteria_free(src);
  cmx_kentik_criteria_free(bgp);
  cmx_kentik_batch_free(b);
  env_down(&e);
}
END_TEST

START_TEST(wait_for_batch)
{
  env e;
  sub s;
  stat_res r;
  cmx_kentik_batch *b = make_batch(0, "w", 10, "dst");

  env_up(&e);
  sim_config_set(e.sim, "kentik.apply_delay_ms", "400");
  submit_pop(&e, b, &s, 10000);
  ck_assert_int_eq(s.code, CMX_OK);
  get_status(&e, s.guid, &r);
  ck_assert_int_eq(r.st.is_pending, 1);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.populators"), 0);
  memset(&r, 0, sizeof(r));
  ck_assert_int_eq(
      cmx_kentik_batch_wait(e.k, s.guid, 100, 10000, on_status, &r), CMX_OK);
  ck_assert(run_until(&e, &r.done, 15000));
  ck_assert_msg(r.code == CMX_OK, "%s", r.detail);
  ck_assert_int_eq(r.st.is_pending, 0);
  ck_assert_int_eq(r.st.upserts.applied, 10);
  /* a deadline shorter than the apply delay */
  sim_config_set(e.sim, "kentik.apply_delay_ms", "60000");
  submit_pop(&e, b, &s, 10000);
  memset(&r, 0, sizeof(r));
  ck_assert_int_eq(cmx_kentik_batch_wait(e.k, s.guid, 50, 300, on_status, &r),
                   CMX_OK);
  ck_assert(run_until(&e, &r.done, 15000));
  ck_assert_int_eq(r.code, CMX_ETIMEDOUT);
  ck_assert_int_eq(r.st.is_pending, 1); /* the last status seen */
  cmx_kentik_batch_free(b);
  env_down(&e);
}
END_TEST

typedef struct paced {
  int done;
  unsigned n;
  uint64_t at[8];
  cmx_engine *engine;
} paced;

static void on_paced(int code, const cmx_kentik_status *st, const char *detail,
                     void *ud)
{
  paced *p = ud;

  (void)st;
  (void)detail;
  ck_assert_int_eq(code, CMX_EHTTP); /* 404: no such batch */
  p->at[p->n++] = cmx_engine_now(p->engine);
  if (p->n == 7)
    p->done = 1;
}

/* The credential's default lane, untouched: one call at a time and 50 per
 * minute after a burst of 5, so 7 calls take at least 2 token intervals
 * (1.2 s each) and the server never sees two at once. */
START_TEST(default_lane_paced)
{
  env e;
  paced p;
  cmx_kentik *k;
  char err[200];
  int i;

  env_up(&e);
  sim_config_set(e.sim, "kentik.per_minute", "60");
  sim_config_set(e.sim, "kentik.delay_ms", "20");
  k = cmx_kentik_new(e.engine, "test@example.com", "test-token",
                     sim_service_url(e.svc), err, sizeof(err));
  ck_assert_ptr_nonnull(k);
  memset(&p, 0, sizeof(p));
  p.engine = e.engine;
  for (i = 0; i < 7; i++)
    ck_assert_int_eq(cmx_kentik_batch_status(k, "none", on_paced, &p), CMX_OK);
  ck_assert(run_until(&e, &p.done, 30000));
  ck_assert_uint_ge(p.at[6] - p.at[0], 2000);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.rate_limited"), 0);
  cmx_kentik_free(k);
  env_down(&e);
}
END_TEST

START_TEST(rate_limits)
{
  env e;
  stat_res r[3];
  cmx_retry_policy p;
  cmx_lane *lane;
  const char *name;
  int i;

  env_up(&e);
  lane = cmx_kentik_lane(e.k);
  name = cmx_lane_name(lane);
  ck_assert_ptr_nonnull(strstr(name, "kentik:test@example.com:"));
  ck_assert_ptr_null(strstr(name, "test-token"));
  /* no retries, to see the simulator's answers */
  cmx_retry_policy_default(&p);
  p.max_attempts = 1;
  ck_assert_int_eq(cmx_lane_set_retry(lane, &p), CMX_OK);
  /* one at a time (the default lane): the 1-concurrent limit never hit */
  sim_config_set(e.sim, "kentik.delay_ms", "100");
  memset(r, 0, sizeof(r));
  for (i = 0; i < 3; i++)
    ck_assert_int_eq(cmx_kentik_site_get(e.k, 42, NULL, NULL), CMX_EINVAL);
  get_status(&e, "no-such", &r[0]);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.rate_limited"), 0);
  /* two at once on a lane that allows it: the second gets 429 */
  ck_assert_int_eq(cmx_lane_set_max_inflight(lane, 2), CMX_OK);
  memset(r, 0, sizeof(r));
  ck_assert_int_eq(cmx_kentik_batch_status(e.k, "g1", on_status, &r[0]),
                   CMX_OK);
  ck_assert_int_eq(cmx_kentik_batch_status(e.k, "g2", on_status, &r[1]),
                   CMX_OK);
  ck_assert(run_until(&e, &r[0].done, 10000));
  ck_assert(run_until(&e, &r[1].done, 10000));
  ck_assert_int_eq(sim_counter(e.sim, "kentik.rate_limited"), 1);
  ck_assert(r[0].code == CMX_ERATELIMIT || r[1].code == CMX_ERATELIMIT ||
            strstr(r[0].detail, "429") || strstr(r[1].detail, "429"));
  /* per minute */
  sim_config_set(e.sim, "kentik.delay_ms", "0");
  sim_reset(e.sim);
  sim_config_set(e.sim, "kentik.per_minute", "3");
  for (i = 0; i < 3; i++) {
    get_status(&e, "x", &r[0]);
    ck_assert_ptr_nonnull(strstr(r[0].detail, "404"));
  }
  get_status(&e, "x", &r[0]);
  ck_assert_ptr_nonnull(strstr(r[0].detail, "429"));
  ck_assert_int_eq(sim_counter(e.sim, "kentik.rate_limited"), 1);
  /* per hour (on a fresh lane: the credential's lane now waits out the
   * per-minute 429's Retry-After) */
  lane = cmx_engine_lane(e.engine, "kentik-hourly");
  ck_assert_ptr_nonnull(lane);
  ck_assert_int_eq(cmx_lane_set_max_inflight(lane, 1), CMX_OK);
  ck_assert_int_eq(cmx_lane_set_retry(lane, &p), CMX_OK);
  ck_assert_int_eq(cmx_kentik_set_lane(e.k, "kentik-hourly"), CMX_OK);
  sim_reset(e.sim);
  sim_config_set(e.sim, "kentik.per_minute", "0");
  sim_config_set(e.sim, "kentik.per_hour", "2");
  for (i = 0; i < 2; i++) {
    get_status(&e, "x", &r[0]);
    ck_assert_ptr_nonnull(strstr(r[0].detail, "404"));
  }
  get_status(&e, "x", &r[0]);
  ck_assert_ptr_nonnull(strstr(r[0].detail, "429"));
  ck_assert_int_eq(sim_counter(e.sim, "kentik.rate_limited"), 1);
  env_down(&e);
}
END_TEST

typedef struct sites_res {
  int done, code;
  size_t n;
  long id0;
  char name0[64];
  int has_lat0;
  char detail[300];
} sites_res;

static void on_sites(int code, const cmx_kentik_site *sites, size_t n,
                     const char *detail, void *ud)
{
  sites_res *r = ud;

  r->done = 1;
  r->code = code;
  r->n = n;
  snprintf(r->detail, sizeof(r->detail), "%s", detail);
  if (sites && n) {
    r->id0 = sites[0].id;
    snprintf(r->name0, sizeof(r->name0), "%s", sites[0].site_name);
    r->has_lat0 = sites[0].has_lat;
  }
}

typedef struct dev_res {
  int done, code;
  char id[32], name[64], detail[300];
  long plan;
} dev_res;

static void on_dev(int code, const cmx_kentik_device_info *d,
                   const char *detail, void *ud)
{
  dev_res *r = ud;

  r->done = 1;
  r->code = code;
  snprintf(r->detail, sizeof(r->detail), "%s", detail);
  if (d) {
    snprintf(r->id, sizeof(r->id), "%s", d->id);
    snprintf(r->name, sizeof(r->name), "%s", d->device_name);
    r->plan = d->plan_id;
  }
}

START_TEST(sites_and_devices)
{
  static const char *const ips[] = {"192.0.2.1"};
  env e;
  sites_res sr;
  dev_res dr;
  cmx_kentik_device d;
  char err[200];

  env_up(&e);
  memset(&sr, 0, sizeof(sr));
  ck_assert_int_eq(cmx_kentik_site_get(e.k, 42, on_sites, &sr), CMX_OK);
  ck_assert(run_until(&e, &sr.done, 10000));
  ck_assert_msg(sr.code == CMX_OK, "%s", sr.detail);
  ck_assert_uint_eq(sr.n, 1);
  ck_assert_int_eq(sr.id0, 42);
  ck_assert_str_eq(sr.name0, "apitest-site-1");
  ck_assert_int_eq(sr.has_lat0, 1);
  memset(&sr, 0, sizeof(sr));
  ck_assert_int_eq(cmx_kentik_sites_list(e.k, on_sites, &sr), CMX_OK);
  ck_assert(run_until(&e, &sr.done, 10000));
  ck_assert_int_eq(sr.code, CMX_OK);
  ck_assert_uint_eq(sr.n, 2);
  memset(&sr, 0, sizeof(sr));
  ck_assert_int_eq(cmx_kentik_site_get(e.k, 999, on_sites, &sr), CMX_OK);
  ck_assert(run_until(&e, &sr.done, 10000));
  ck_assert_int_ne(sr.code, CMX_OK);
  ck_assert_ptr_nonnull(strstr(sr.detail, "404"));

  cmx_kentik_device_init(&d);
  d.device_name = "edge_1";
  d.device_type = "router";
  d.device_subtype = "router";
  d.device_sample_rate = 1;
  d.plan_id = 11466;
  d.sending_ips = ips;
  d.n_sending_ips = 1;
  d.minimize_snmp = 1;
  memset(&dr, 0, sizeof(dr));
  ck_assert_int_eq(
      cmx_kentik_device_create(e.k, &d, on_dev, &dr, err, sizeof(err)),
      CMX_OK);
  ck_assert(run_until(&e, &dr.done, 10000));
  ck_assert_msg(dr.code == CMX_OK, "%s", dr.detail);
  ck_assert_str_eq(dr.id, "1001");
  ck_assert_str_eq(dr.name, "edge_1");
  ck_assert_int_eq(dr.plan, 11466);
  /* the server refuses a duplicate name (400 with its message) */
  memset(&dr, 0, sizeof(dr));
  ck_assert_int_eq(
      cmx_kentik_device_create(e.k, &d, on_dev, &dr, err, sizeof(err)),
      CMX_OK);
  ck_assert(run_until(&e, &dr.done, 10000));
  ck_assert_int_eq(dr.code, CMX_EHTTP);
  ck_assert_ptr_nonnull(strstr(dr.detail, "already exists"));
  /* refused before sending */
  d.n_sending_ips = 0;
  ck_assert_int_eq(
      cmx_kentik_device_create(e.k, &d, on_dev, &dr, err, sizeof(err)),
      CMX_EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "sending_ips"));
  ck_assert_int_eq(sim_counter(e.sim, "kentik.devices"), 1);
  env_down(&e);
}
END_TEST

/* ---- raw requests, for the simulator routes the client does not use -- */

typedef struct raw_res {
  int done;
  long status;
  char body[2048];
} raw_res;

static void on_raw(cmx_call *call, const cmx_response *res, void *ud)
{
  raw_res *r = ud;

  (void)call;
  r->done = 1;
  r->status = cmx_response_status(res);
  snprintf(r->body, sizeof(r->body), "%s", cmx_response_body(res, NULL));
}

static long raw(env *e, const char *method, const char *path, const char *body,
                raw_res *r)
{
  char url[256];
  cmx_request *req;

  snprintf(url, sizeof(url), "%s%s", sim_service_url(e->svc), path);
  req = cmx_request_new(method, url);
  ck_assert_ptr_nonnull(req);
  ck_assert_int_eq(
      cmx_request_add_header(req, "X-CH-Auth-Email", "test@example.com"),
      CMX_OK);
  ck_assert_int_eq(
      cmx_request_add_secret_header(req, "X-CH-Auth-API-Token", "test-token"),
      CMX_OK);
  if (body)
    ck_assert_int_eq(
        cmx_request_set_body(req, body, strlen(body), "application/json"),
        CMX_OK);
  memset(r, 0, sizeof(*r));
  ck_assert_int_eq(cmx_submit(e->engine, req, on_raw, r, NULL), CMX_OK);
  ck_assert(run_until(e, &r->done, 10000));
  return r->status;
}

/* 1 when the reply's object (or its one nested object) has `key` whose
 * compact JSON text is `val`. */
static int jis(const raw_res *r, const char *key, const char *val)
{
  struct json_object *o = json_tokener_parse(r->body), *v = NULL;
  int ok = 0;

  if (o) {
    json_object_object_foreach(o, k, inner)
    {
      (void)k;
      if (json_object_is_type(inner, json_type_object) &&
          json_object_object_get_ex(inner, key, &v))
        break;
    }
    if (!v)
      json_object_object_get_ex(o, key, &v);
    ok =
        v && !strcmp(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
                     val);
    if (!ok)
      fprintf(stderr, "%s: want %s in %s\n", key, val, r->body);
  }
  json_object_put(o);
  return ok;
}

START_TEST(sim_site_device_routes)
{
  env e;
  raw_res r;

  env_up(&e);
  /* sites: create (company_id echoed as a string), update (id too),
   * delete (204, then 404) */
  ck_assert_int_eq(
      raw(&e, "POST", "/api/v5/site", "{\"site\":{\"site_name\":\"x\"}}", &r),
      400);
  ck_assert_ptr_nonnull(strstr(r.body, "site_name"));
  ck_assert_int_eq(raw(&e, "POST", "/api/v5/site",
                       "{\"site\":{\"site_name\":\"dc 1\",\"lat\":91}}", &r),
                   400);
  ck_assert_ptr_nonnull(strstr(r.body, "lat"));
  ck_assert_int_eq(
      raw(&e, "POST", "/api/v5/site",
          "{\"site\":{\"site_name\":\"dc_1\",\"lat\":54.3,\"lon\":18}}", &r),
      201);
  ck_assert(jis(&r, "id", "44"));
  ck_assert(jis(&r, "company_id", "\"3250\""));
  ck_assert_int_eq(raw(&e, "PUT", "/api/v5/site/44",
                       "{\"site\":{\"site_name\":\"dc_2\"}}", &r),
                   200);
  ck_assert(jis(&r, "id", "\"44\""));
  ck_assert_ptr_nonnull(strstr(r.body, "dc_2"));
  ck_assert(jis(&r, "lon", "18.0"));
  ck_assert_int_eq(raw(&e, "GET", "/api/v5/site/44", NULL, &r), 200);
  ck_assert(jis(&r, "id", "44"));
  ck_assert_int_eq(raw(&e, "DELETE", "/api/v5/site/44", NULL, &r), 204);
  ck_assert_str_eq(r.body, "");
  ck_assert_int_eq(raw(&e, "GET", "/api/v5/site/44", NULL, &r), 404);
  ck_assert_int_eq(raw(&e, "DELETE", "/api/v5/site/44", NULL, &r), 404);
  /* devices: the reply carries what the reference SDK reads */
  ck_assert_int_eq(
      raw(&e, "POST", "/api/v5/device",
          "{\"device\":{\"device_name\":\"dns_1\",\"device_type\":"
          "\"host-nprobe-dns-www\",\"device_subtype\":\"nprobe\","
          "\"device_sample_rate\":\"1\",\"plan_id\":7,\"site_id\":42,"
          "\"cdn_attr\":\"N\"}}",
          &r),
      201);
  ck_assert(jis(&r, "device_bgp_type", "\"none\""));
  ck_assert_ptr_nonnull(strstr(r.body, "\"deviceTypes\""));
  ck_assert_ptr_nonnull(strstr(r.body, "\"max_devices\""));
  ck_assert_ptr_nonnull(strstr(r.body, "apitest-site-1"));
  ck_assert(jis(&r, "id", "\"1001\""));
  ck_assert_int_eq(raw(&e, "POST", "/api/v5/device",
                       "{\"device\":{\"device_name\":\"dns_2\","
                       "\"device_subtype\":\"nprobe\","
                       "\"device_sample_rate\":\"1\",\"plan_id\":7,"
                       "\"site_id\":999}}",
                       &r),
                   400);
  ck_assert_ptr_nonnull(strstr(r.body, "site_id"));
  ck_assert_int_eq(raw(&e, "PUT", "/api/v5/device/1001",
                       "{\"device\":{\"device_description\":\"edge\"}}", &r),
                   200);
  ck_assert(jis(&r, "device_description", "\"edge\""));
  ck_assert(jis(&r, "device_name", "\"dns_1\""));
  ck_assert_int_eq(raw(&e, "PUT", "/api/v5/device/1001",
                       "{\"device\":{\"cdn_attr\":\"maybe\"}}", &r),
                   400);
  ck_assert_ptr_nonnull(strstr(r.body, "cdn_attr"));
  /* two DELETEs: archived, then gone */
  ck_assert_int_eq(raw(&e, "DELETE", "/api/v5/device/1001", NULL, &r), 204);
  ck_assert_int_eq(raw(&e, "GET", "/api/v5/device/1001", NULL, &r), 200);
  ck_assert(jis(&r, "device_status", "\"D\""));
  ck_assert_int_eq(raw(&e, "DELETE", "/api/v5/device/1001", NULL, &r), 204);
  ck_assert_int_eq(raw(&e, "GET", "/api/v5/device/1001", NULL, &r), 404);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.devices"), 0);
  env_down(&e);
}
END_TEST

/* ---- the examples, run as programs against the in-process simulator -- */

typedef struct child {
  pid_t pid;
  int status, done;
} child;

static void on_child_poll(evutil_socket_t fd, short what, void *arg)
{
  child *c = arg;

  (void)fd;
  (void)what;
  if (!c->done && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
    c->done = 1;
}

/* Run the example `name` (argv after it) with stdout to `out`, serving
 * the simulator meanwhile; returns its exit status. */
static int run_example(env *e, const char *name, const char *const *args,
                       char *out, size_t outlen)
{
  const char *simpath = getenv("CMX_SIM");
  char top[512], prog[600], tmp[] = "/tmp/kentik-example-XXXXXX";
  char *argv[8];
  size_t i, n = 0;
  child c = {0, 0, 0};
  struct timeval tv = {0, 20000};
  struct event *ev;
  FILE *f;
  int fd, ok;

  ck_assert_msg(simpath != NULL, "CMX_SIM is not set");
  /* $CMX_SIM is <builddir>/tests/sim/callmux-sim */
  snprintf(top, sizeof(top), "%s", simpath);
  for (i = 0; i < 3; i++) {
    char *slash = strrchr(top, '/');
    ck_assert_ptr_nonnull(slash);
    *slash = '\0';
  }
  snprintf(prog, sizeof(prog), "%s/examples/%s", top, name);
  ck_assert_msg(access(prog, X_OK) == 0, "%s is not built", prog);
  fd = mkstemp(tmp);
  ck_assert_int_ge(fd, 0);
  argv[n++] = prog;
  if (strcmp(name, "demo") != 0) /* the examples take the URL first */
    argv[n++] = (char *)sim_service_url(e->svc);
  for (i = 0; args && args[i] && n < 7; i++)
    argv[n++] = (char *)args[i];
  argv[n] = NULL;
  c.pid = fork();
  ck_assert_int_ge(c.pid, 0);
  if (c.pid == 0) {
    dup2(fd, 1);
    execv(prog, argv);
    _exit(127);
  }
  close(fd);
  ev = event_new(e->base, -1, EV_PERSIST, on_child_poll, &c);
  event_add(ev, &tv);
  ok = run_until(e, &c.done, 60000);
  event_free(ev);
  if (!ok) {
    kill(c.pid, SIGKILL);
    waitpid(c.pid, NULL, 0);
  }
  f = fopen(tmp, "r");
  n = f ? fread(out, 1, outlen - 1, f) : 0;
  out[n] = '\0';
  if (f)
    fclose(f);
  unlink(tmp);
  ck_assert_msg(ok, "%s did not end", name);
  return WIFEXITED(c.status) ? WEXITSTATUS(c.status) : -1;
}

START_TEST(examples_against_sim)
{
  const char *data = getenv("CMX_TESTDATA");
  char out[4096], csv[600];
  const char *args[3];
  env e;

  env_up(&e);
  /* the seed's populator batch: "myval" (two criteria), delete "Old1" */
  ck_assert_int_eq(
      run_example(&e, "kentik_populators", NULL, out, sizeof(out)), 0);
  ck_assert_msg(strstr(out, "upserts: total 2 applied 2"), "%s", out);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.populators"), 1);
  /* the seed's tag batch (replace_all) */
  ck_assert_int_eq(run_example(&e, "kentik_tags", NULL, out, sizeof(out)), 0);
  ck_assert_msg(strstr(out, "upserts: total 3 applied 3"), "%s", out);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.tags"), 3);
  /* a batch from the CSV file: 6 values, 7 criteria, 1 delete */
  ck_assert_msg(data != NULL, "CMX_TESTDATA is not set");
  snprintf(csv, sizeof(csv), "%s/kentik/populators.csv", data);
  args[0] = csv;
  args[1] = "c_csv";
  args[2] = NULL;
  ck_assert_int_eq(run_example(&e, "kentik_csv", args, out, sizeof(out)), 0);
  ck_assert_msg(strstr(out, "upserts: total 7 applied 7"), "%s", out);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.populators"), 7);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.batches_applied"), 3);
  /* the demo's Kentik scenario, on the same simulator */
  args[0] = "--kentik";
  args[1] = sim_service_url(e.svc);
  args[2] = NULL;
  ck_assert_int_eq(run_example(&e, "demo", args, out, sizeof(out)), 0);
  ck_assert_msg(strstr(out, "populator batch done: 5 parts, 20000 applied, "
                            "0 invalid") &&
                    strstr(out, "device 1001 'edge_router_1' created") &&
                    strstr(out, "refused before sending: device_name") &&
                    strstr(out, "tags replaced"),
                "%s", out);
  /* 5,000 values (4 criteria each) replace c_customer's "myval"; c_csv
   * keeps its 6 */
  ck_assert_int_eq(sim_counter(e.sim, "kentik.populators"), 6 + 5000);
  ck_assert_int_eq(sim_counter(e.sim, "kentik.devices"), 1);
  env_down(&e);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("kentik_e2e");
  TCase *tc = tcase_create("e2e");

  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, multipart_chain);
  tcase_add_test(tc, split_one_entry);
  tcase_add_test(tc, split_10000_entries);
  tcase_add_test(tc, replace_all_on_complete);
  tcase_add_test(tc, faults_retried);
  tcase_add_test(tc, fault_drop_not_resent);
  tcase_add_test(tc, fault_timeout_not_resent);
  tcase_add_test(tc, refusals);
  tcase_add_test(tc, every_method_applied);
  tcase_add_test(tc, tags_and_server_validation);
  tcase_add_test(tc, wait_for_batch);
  tcase_add_test(tc, rate_limits);
  tcase_add_test(tc, default_lane_paced);
  tcase_add_test(tc, sites_and_devices);
  tcase_add_test(tc, sim_site_device_routes);
  tcase_add_test(tc, examples_against_sim);
  suite_add_tcase(s, tc);
  /* its own case, so CK_RUN_CASE=e2e can leave it out */
  tc = tcase_create("big");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, split_300000_entries);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
