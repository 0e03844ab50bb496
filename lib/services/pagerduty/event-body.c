/*
 * PagerDuty, sans-I/O: Events API v2 and Change Events bodies, validated.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "services/pagerduty/pd-int.h"

#define PD_SUMMARY_MAX 1024
#define PD_DEDUP_MAX 255
#define PD_BODY_MAX (512 * 1024)

/* UTF-8 code points of s. */
static size_t u8len(const char *s)
{
  size_t n = 0;

  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80)
      n++;
  return n;
}

static int add_str(struct json_object *o, const char *k, const char *v)
{
  struct json_object *s;

  if (!v)
    return 0;
  s = json_object_new_string(v);
  if (!s)
    return -1;
  json_object_object_add(o, k, s);
  return 0;
}

static int add_copy(struct json_object *o, const char *k,
                    struct json_object *v)
{
  struct json_object *c = NULL;

  if (!v)
    return 0;
  if (json_object_deep_copy(v, &c, NULL) != 0 || !c)
    return -1;
  json_object_object_add(o, k, c);
  return 0;
}

static int check_key(const char *key, const char *field, char *errbuf,
                     size_t errlen)
{
  if (!key || !*key) {
    cmx__pd_err(errbuf, errlen, "%s: required, a non-empty string", field);
    return -1;
  }
  if (strchr(key, '\r') || strchr(key, '\n')) {
    cmx__pd_err(errbuf, errlen, "%s: must not contain CR/LF", field);
    return -1;
  }
  return 0;
}

static int check_dedup(const char *k, char *errbuf, size_t errlen)
{
  if (!*k) {
    cmx__pd_err(errbuf, errlen, "dedup_key: must not be empty");
    return -1;
  }
  if (u8len(k) > PD_DEDUP_MAX) {
    cmx__pd_err(errbuf, errlen, "dedup_key: at most 255 characters (got %zu)",
                u8len(k));
    return -1;
  }
  return 0;
}

static int check_size(struct json_object *o, char *errbuf, size_t errlen)
{
  size_t n = strlen(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

  if (n > PD_BODY_MAX) {
    cmx__pd_err(errbuf, errlen,
                "body: at most 512 KB (524288 bytes) of JSON (got %zu)", n);
    return -1;
  }
  return 0;
}

static int check_summary(const char *s, char *errbuf, size_t errlen)
{
  if (!s || !*s) {
    cmx__pd_err(errbuf, errlen, "summary: required, a non-empty string");
    return -1;
  }
  if (u8len(s) > PD_SUMMARY_MAX) {
    cmx__pd_err(errbuf, errlen, "summary: at most 1024 characters (got %zu)",
                u8len(s));
    return -1;
  }
  return 0;
}

struct json_object *cmx_pagerduty_event_body(const char *routing_key,
                                             const char *action,
                                             const cmx_pagerduty_event *e,
                                             char *errbuf, size_t errlen)
{
  static const char *const sev[] = {"critical", "error", "warning", "info"};
  struct json_object *o = NULL, *p = NULL;
  char uuid[37];
  int trigger;
  size_t i;

  if (check_key(routing_key, "routing_key", errbuf, errlen) != 0)
    return NULL;
  if (!action ||
      (strcmp(action, "trigger") != 0 && strcmp(action, "acknowledge") != 0 &&
       strcmp(action, "resolve") != 0)) {
    cmx__pd_err(errbuf, errlen,
                "event_action: must be trigger, acknowledge or resolve");
    return NULL;
  }
  trigger = strcmp(action, "trigger") == 0;
  if (!e) {
    cmx__pd_err(errbuf, errlen, "event: missing");
    return NULL;
  }
  if (e->dedup_key && check_dedup(e->dedup_key, errbuf, errlen) != 0)
    return NULL;
  if (!trigger && !e->dedup_key) {
    cmx__pd_err(errbuf, errlen, "dedup_key: required for %s", action);
    return NULL;
  }
  if (trigger) {
    const char *s = e->severity ? e->severity : "critical";

    if (check_summary(e->summary, errbuf, errlen) != 0)
      return NULL;
    if (!e->source || !*e->source) {
      cmx__pd_err(errbuf, errlen, "source: required, a non-empty string");
      return NULL;
    }
    for (i = 0; i < 4; i++)
      if (strcmp(s, sev[i]) == 0)
        break;
    if (i == 4) {
      cmx__pd_err(errbuf, errlen,
                  "severity: must be one of critical, error, warning, info");
      return NULL;
    }
    if (e->custom_details &&
        !json_object_is_type(e->custom_details, json_type_object)) {
      cmx__pd_err(errbuf, errlen, "custom_details: must be a JSON object");
      return NULL;
    }
    if (e->images && !json_object_is_type(e->images, json_type_array)) {
      cmx__pd_err(errbuf, errlen, "images: must be a JSON array");
      return NULL;
    }
    if (e->links && !json_object_is_type(e->links, json_type_array)) {
      cmx__pd_err(errbuf, errlen, "links: must be a JSON array");
      return NULL;
    }
  }
  o = json_object_new_object();
  if (!o)
    goto nomem;
  if (add_str(o, "event_action", action) != 0)
    goto nomem;
  if (trigger) {
    p = json_object_new_object();
    if (!p)
      goto nomem;
    json_object_object_add(o, "payload", p);
    if (add_str(p, "summary", e->summary) || add_str(p, "source", e->source) ||
        add_str(p, "severity", e->severity ? e->severity : "critical") ||
        add_str(p, "component", e->component) ||
        add_str(p, "group", e->group) || add_str(p, "class", e->class_) ||
        add_str(p, "timestamp", e->timestamp) ||
        add_copy(p, "custom_details", e->custom_details))
      goto nomem;
    if (e->images && json_object_array_length(e->images) > 0 &&
        add_copy(o, "images", e->images))
      goto nomem;
    if (e->links && json_object_array_length(e->links) > 0 &&
        add_copy(o, "links", e->links))
      goto nomem;
    if (add_str(o, "client", e->client) ||
        add_str(o, "client_url", e->client_url))
      goto nomem;
  }
  if (e->dedup_key) {
    if (add_str(o, "dedup_key", e->dedup_key))
      goto nomem;
  } else {
    cmx__pd_uuid(uuid);
    if (add_str(o, "dedup_key", uuid))
      goto nomem;
  }
  if (add_str(o, "routing_key", routing_key))
    goto nomem;
  if (check_size(o, errbuf, errlen) != 0) {
    json_object_put(o);
    return NULL;
  }
  return o;
nomem:
  json_object_put(o);
  cmx__pd_err(errbuf, errlen, "out of memory");
  return NULL;
}

/* Now in UTC, ISO 8601 with microseconds (none when zero) and Z. */
static void now_iso(char *buf, size_t n)
{
  struct timeval tv;
  struct tm tm;
  size_t l;

  gettimeofday(&tv, NULL);
  gmtime_r(&tv.tv_sec, &tm);
  l = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
  if (tv.tv_usec != 0)
    snprintf(buf + l, n - l, ".%06ldZ", (long)tv.tv_usec);
  else
    snprintf(buf + l, n - l, "Z");
}

struct json_object *cmx_pagerduty_change_body(const char *routing_key,
                                              const cmx_pagerduty_change *c,
                                              char *errbuf, size_t errlen)
{
  struct json_object *o = NULL, *p;
  char ts[64];

  if (check_key(routing_key, "routing_key", errbuf, errlen) != 0)
    return NULL;
  if (!c) {
    cmx__pd_err(errbuf, errlen, "change: missing");
    return NULL;
  }
  if (check_summary(c->summary, errbuf, errlen) != 0)
    return NULL;
  if (c->custom_details &&
      !json_object_is_type(c->custom_details, json_type_object)) {
    cmx__pd_err(errbuf, errlen, "custom_details: must be a JSON object");
    return NULL;
  }
  if (c->links && !json_object_is_type(c->links, json_type_array)) {
    cmx__pd_err(errbuf, errlen, "links: must be a JSON array");
    return NULL;
  }
  if (!c->timestamp)
    now_iso(ts, sizeof(ts));
  o = json_object_new_object();
  p = json_object_new_object();
  if (!o || !p) {
    json_object_put(p);
    goto nomem;
  }
  if (add_str(o, "routing_key", routing_key))
    goto nomem_p;
  json_object_object_add(o, "payload", p);
  if (add_str(p, "summary", c->summary) ||
      add_str(p, "timestamp", c->timestamp ? c->timestamp : ts) ||
      add_str(p, "source", c->source) ||
      add_copy(p, "custom_details", c->custom_details))
    goto nomem;
  if (c->links && json_object_array_length(c->links) > 0 &&
      add_copy(o, "links", c->links))
    goto nomem;
  if (check_size(o, errbuf, errlen) != 0) {
    json_object_put(o);
    return NULL;
  }
  return o;
nomem_p:
  json_object_put(p);
nomem:
  json_object_put(o);
  cmx__pd_err(errbuf, errlen, "out of memory");
  return NULL;
}
