/*
 * PagerDuty, sans-I/O: canonical paths, wrapper names (with the special
 * cases of the spec's table), cursor paths.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/pagerduty/pd-int.h"

/* The canonical paths of the REST API v2 (from the API reference). */
static const char *const canonical[] = {
    "/{entity_type}/{id}/change_tags",
    "/{entity_type}/{id}/tags",
    "/abilities",
    "/abilities/{id}",
    "/addons",
    "/addons/{id}",
    "/alert_grouping_settings",
    "/alert_grouping_settings/{id}",
    "/analytics/metrics/incidents/all",
    "/analytics/metrics/incidents/escalation_policies",
    "/analytics/metrics/incidents/escalation_policies/all",
    "/analytics/metrics/incidents/services",
    "/analytics/metrics/incidents/services/all",
    "/analytics/metrics/incidents/teams",
    "/analytics/metrics/incidents/teams/all",
    "/analytics/metrics/pd_advance_usage/features",
    "/analytics/metrics/responders/all",
    "/analytics/metrics/responders/teams",
    "/analytics/raw/incidents",
    "/analytics/raw/incidents/{id}",
    "/analytics/raw/incidents/{id}/responses",
    "/analytics/raw/responders/{responder_id}/incidents",
    "/audit/records",
    "/automation_actions/actions",
    "/automation_actions/actions/{id}",
    "/automation_actions/actions/{id}/invocations",
    "/automation_actions/actions/{id}/runner",
    "/automation_actions/actions/{id}/services",
    "/automation_actions/actions/{id}/services/{service_id}",
    "/automation_actions/actions/{id}/teams",
    "/automation_actions/actions/{id}/teams/{team_id}",
    "/automation_actions/invocations",
    "/automation_actions/invocations/{id}",
    "/automation_actions/runners",
    "/automation_actions/runners/{id}",
    "/automation_actions/runners/{id}/teams",
    "/automation_actions/runners/{id}/teams/{team_id}",
    "/business_services",
    "/business_services/{id}",
    "/business_services/{id}/account_subscription",
    "/business_services/{id}/subscribers",
    "/business_services/{id}/supporting_services/impacts",
    "/business_services/{id}/unsubscribe",
    "/business_services/impactors",
    "/business_services/impacts",
    "/business_services/priority_thresholds",
    "/change_events",
    "/change_events/{id}",
    "/escalation_policies",
    "/escalation_policies/{id}",
    "/escalation_policies/{id}/audit/records",
    "/event_orchestrations",
    "/event_orchestrations/{id}",
    "/event_orchestrations/{id}/global",
    "/event_orchestrations/{id}/integrations",
    "/event_orchestrations/{id}/integrations/{integration_id}",
    "/event_orchestrations/{id}/router",
    "/event_orchestrations/{id}/unrouted",
    "/event_orchestrations/services/{id}",
    "/event_orchestrations/services/{id}/active",
    "/extension_schemas",
    "/extension_schemas/{id}",
    "/extensions",
    "/extensions/{id}",
    "/extensions/{id}/enable",
    "/incident_workflows",
    "/incident_workflows/{id}",
    "/incident_workflows/{id}/instances",
    "/incident_workflows/actions",
    "/incident_workflows/actions/{id}",
    "/incident_workflows/triggers",
    "/incident_workflows/triggers/{id}",
    "/incident_workflows/triggers/{id}/services",
    "/incident_workflows/triggers/{trigger_id}/services/{service_id}",
    "/incidents",
    "/incidents/{id}",
    "/incidents/{id}/alerts",
    "/incidents/{id}/alerts/{alert_id}",
    "/incidents/{id}/business_services/{business_service_id}/impacts",
    "/incidents/{id}/business_services/impacts",
    "/incidents/{id}/custom_fields/values",
    "/incidents/{id}/log_entries",
    "/incidents/{id}/merge",
    "/incidents/{id}/notes",
    "/incidents/{id}/outlier_incident",
    "/incidents/{id}/past_incidents",
    "/incidents/{id}/related_change_events",
    "/incidents/{id}/related_incidents",
    "/incidents/{id}/responder_requests",
    "/incidents/{id}/snooze",
    "/incidents/{id}/status_updates",
    "/incidents/{id}/status_updates/subscribers",
    "/incidents/{id}/status_updates/unsubscribe",
    "/incidents/count",
    "/incidents/custom_fields",
    "/incidents/custom_fields/{field_id}",
    "/incidents/custom_fields/{field_id}/field_options",
    "/incidents/custom_fields/{field_id}/field_options/{field_option_id}",
    "/license_allocations",
    "/licenses",
    "/log_entries",
    "/log_entries/{id}",
    "/log_entries/{id}/channel",
    "/maintenance_windows",
    "/maintenance_windows/{id}",
    "/notifications",
    "/oauth_delegations",
    "/oauth_delegations/revocation_requests/status",
    "/oncalls",
    "/paused_incident_reports/alerts",
    "/paused_incident_reports/counts",
    "/priorities",
    "/response_plays",
    "/response_plays/{id}",
    "/response_plays/{response_play_id}/run",
    "/rulesets",
    "/rulesets/{id}",
    "/rulesets/{id}/rules",
    "/rulesets/{id}/rules/{rule_id}",
    "/schedules",
    "/schedules/{id}",
    "/schedules/{id}/audit/records",
    "/schedules/{id}/overrides",
    "/schedules/{id}/overrides/{override_id}",
    "/schedules/{id}/users",
    "/schedules/preview",
    "/service_dependencies/associate",
    "/service_dependencies/business_services/{id}",
    "/service_dependencies/disassociate",
    "/service_dependencies/technical_services/{id}",
    "/services",
    "/services/{id}",
    "/services/{id}/audit/records",
    "/services/{id}/change_events",
    "/services/{id}/integrations",
    "/services/{id}/integrations/{integration_id}",
    "/services/{id}/rules",
    "/services/{id}/rules/{rule_id}",
    "/standards",
    "/standards/{id}",
    "/standards/scores/{resource_type}",
    "/standards/scores/{resource_type}/{id}",
    "/status_dashboards",
    "/status_dashboards/{id}",
    "/status_dashboards/{id}/service_impacts",
    "/status_dashboards/url_slugs/{url_slug}",
    "/status_dashboards/url_slugs/{url_slug}/service_impacts",
    "/tags",
    "/tags/{id}",
    "/tags/{id}/users",
    "/tags/{id}/teams",
    "/tags/{id}/escalation_policies",
    "/teams",
    "/teams/{id}",
    "/teams/{id}/audit/records",
    "/teams/{id}/escalation_policies/{escalation_policy_id}",
    "/teams/{id}/members",
    "/teams/{id}/notification_subscriptions",
    "/teams/{id}/notification_subscriptions/unsubscribe",
    "/teams/{id}/users/{user_id}",
    "/templates",
    "/templates/{id}",
    "/templates/{id}/render",
    "/templates/fields",
    "/users",
    "/users/{id}",
    "/users/{id}/audit/records",
    "/users/{id}/contact_methods",
    "/users/{id}/contact_methods/{contact_method_id}",
    "/users/{id}/license",
    "/users/{id}/notification_rules",
    "/users/{id}/notification_rules/{notification_rule_id}",
    "/users/{id}/notification_subscriptions",
    "/users/{id}/notification_subscriptions/unsubscribe",
    "/users/{id}/oncall_handoff_notification_rules",
    "/users/{id}/oncall_handoff_notification_rules/"
    "{oncall_handoff_notification_rule_id}",
    "/users/{id}/sessions",
    "/users/{id}/sessions/{type}/{session_id}",
    "/users/{id}/status_update_notification_rules",
    "/users/{id}/status_update_notification_rules/"
    "{status_update_notification_rule_id}",
    "/users/me",
    "/vendors",
    "/vendors/{id}",
    "/webhook_subscriptions",
    "/webhook_subscriptions/{id}",
    "/webhook_subscriptions/{id}/enable",
    "/webhook_subscriptions/{id}/ping",
};

static const char *const cursor_paths[] = {
    "/audit/records",
    "/automation_actions/actions",
    "/automation_actions/runners",
    "/escalation_policies/{id}/audit/records",
    "/incident_workflows/actions",
    "/incident_workflows/triggers",
    "/schedules/{id}/audit/records",
    "/services/{id}/audit/records",
    "/teams/{id}/audit/records",
    "/users/{id}/audit/records",
};

/* Special cases: method ("*" any), path, request and response wrapper
 * (NULL: none, the body passes through). */
typedef struct special {
  const char *method, *path, *req, *res;
} special;

static const special specials[] = {
    {"*", "/analytics/metrics/incidents/all", NULL, NULL},
    {"*", "/analytics/metrics/incidents/services", NULL, NULL},
    {"*", "/analytics/metrics/incidents/teams", NULL, NULL},
    {"*", "/analytics/raw/incidents", NULL, NULL},
    {"*", "/analytics/raw/incidents/{id}", NULL, NULL},
    {"*", "/analytics/raw/incidents/{id}/responses", NULL, NULL},
    {"POST", "/automation_actions/actions/{id}/invocations", NULL,
     "invocation"},
    {"GET", "/paused_incident_reports/alerts",
     "paused_incident_reporting_counts", "paused_incident_reporting_counts"},
    {"GET", "/paused_incident_reports/counts",
     "paused_incident_reporting_counts", "paused_incident_reporting_counts"},
    {"*", "/business_services/{id}/account_subscription", NULL, NULL},
    {"*", "/business_services/priority_thresholds", NULL, NULL},
    {"POST", "/business_services/{id}/subscribers", "subscribers",
     "subscriptions"},
    {"POST", "/business_services/{id}/unsubscribe", "subscribers", NULL},
    {"GET", "/business_services/impacts", "services", "services"},
    {"GET", "/business_services/{id}/supporting_services/impacts", "services",
     "services"},
    {"POST", "/change_events", NULL, NULL},
    {"GET", "/incidents/{id}/related_change_events", "change_events",
     "change_events"},
    {"*", "/event_orchestrations", "orchestrations", "orchestrations"},
    {"*", "/event_orchestrations/{id}", "orchestration", "orchestration"},
    {"*", "/event_orchestrations/{id}/router", "orchestration_path",
     "orchestration_path"},
    {"*", "/event_orchestrations/{id}/unrouted", "orchestration_path",
     "orchestration_path"},
    {"*", "/event_orchestrations/services/{id}", "orchestration_path",
     "orchestration_path"},
    {"*", "/event_orchestrations/services/{id}/active", NULL, NULL},
    {"POST", "/extensions/{id}/enable", NULL, "extension"},
    {"PUT", "/incidents", "incidents", "incidents"},
    {"PUT", "/incidents/{id}/merge", "source_incidents", "incident"},
    {"POST", "/incidents/{id}/responder_requests", NULL, "responder_request"},
    {"POST", "/incidents/{id}/snooze", NULL, "incident"},
    {"POST", "/incidents/{id}/status_updates", NULL, "status_update"},
    {"POST", "/incidents/{id}/status_updates/subscribers", "subscribers",
     "subscriptions"},
    {"POST", "/incidents/{id}/status_updates/unsubscribe", "subscribers",
     NULL},
    {"GET", "/incidents/{id}/business_services/impacts", "services",
     "services"},
    {"PUT", "/incidents/{id}/business_services/{business_service_id}/impacts",
     NULL, NULL},
    {"POST", "/incident_workflows/{id}/instances",
     "incident_workflow_instance", "incident_workflow_instance"},
    {"POST", "/incident_workflows/triggers/{id}/services", "service",
     "trigger"},
    {"POST", "/response_plays/{response_play_id}/run", NULL, NULL},
    {"POST", "/schedules/{id}/overrides", "overrides", NULL},
    {"POST", "/service_dependencies/associate", "relationships",
     "relationships"},
    {"POST", "/webhook_subscriptions/{id}/enable", NULL,
     "webhook_subscription"},
    {"POST", "/webhook_subscriptions/{id}/ping", NULL, NULL},
    {"GET", "/status_dashboards/{id}/service_impacts", "services", "services"},
    {"GET", "/status_dashboards/url_slugs/{url_slug}/service_impacts",
     "services", "services"},
    {"GET", "/status_dashboards/url_slugs/{url_slug}", "status_dashboard",
     "status_dashboard"},
    {"POST", "/{entity_type}/{id}/change_tags", NULL, NULL},
    {"PUT", "/teams/{id}/escalation_policies/{escalation_policy_id}", NULL,
     NULL},
    {"PUT", "/teams/{id}/users/{user_id}", NULL, NULL},
    {"POST", "/teams/{id}/notification_subscriptions", "subscribables",
     "subscriptions"},
    {"POST", "/teams/{id}/notification_subscriptions/unsubscribe",
     "subscribables", NULL},
    {"GET", "/teams/{id}/notification_subscriptions", "subscriptions",
     "subscriptions"},
    {"POST", "/templates/{id}/render", NULL, NULL},
    {"*", "/users/{id}/notification_subscriptions", "subscribables",
     "subscriptions"},
    {"POST", "/users/{id}/notification_subscriptions/unsubscribe",
     "subscribables", NULL},
    {"GET", "/users/{id}/sessions", "user_sessions", "user_sessions"},
    {"GET", "/users/{id}/sessions/{type}/{session_id}", "user_session",
     "user_session"},
    {"GET", "/users/me", "user", "user"},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static size_t count_slashes(const char *s, size_t n)
{
  size_t c = 0, i;

  for (i = 0; i < n; i++)
    if (s[i] == '/')
      c++;
  return c;
}

/* Match `path` (len n) against `pat`; returns -1 for no match or the
 * number of placeholders used. */
static int match(const char *pat, const char *path, size_t n)
{
  const char *p = pat, *q = path, *qend = path + n;
  int holes = 0;

  while (*p && q < qend) {
    const char *pe = strchr(p + 1, '/');
    const char *qe = memchr(q + 1, '/', (size_t)(qend - q - 1));
    size_t pl, ql;

    if (!pe)
      pe = p + strlen(p);
    if (!qe)
      qe = qend;
    pl = (size_t)(pe - p);
    ql = (size_t)(qe - q);
    /* both segments start with '/' */
    if (pl > 2 && p[1] == '{' && pe[-1] == '}') {
      if (ql < 2)
        return -1; /* empty segment never fills a placeholder */
      holes++;
    } else if (pl != ql || memcmp(p, q, pl) != 0) {
      return -1;
    }
    p = pe;
    q = qe;
  }
  return (*p == '\0' && q == qend) ? holes : -1;
}

int cmx_pagerduty_canonical_path(const char *base, const char *url, char *out,
                                 size_t outlen)
{
  char *full = NULL, *path = NULL;
  const char *best = NULL;
  int best_holes = 1 << 30, ties = 0, rc;
  size_t i, n, slashes;

  if (!url || !out || outlen == 0)
    return CMX_EINVAL;
  rc = cmx__pd_full_url(base ? base : CMX_PAGERDUTY_BASE_URL, url, &full,
                        &path, NULL, 0);
  if (rc != CMX_OK)
    return rc;
  free(full);
  n = strlen(path);
  while (n > 1 && path[n - 1] == '/')
    n--;
  slashes = count_slashes(path, n);
  for (i = 0; i < NELEM(canonical); i++) {
    const char *pat = canonical[i];
    int h;

    if (count_slashes(pat, strlen(pat)) != slashes)
      continue;
    h = match(pat, path, n);
    if (h < 0)
      continue;
    if (h < best_holes) {
      best = pat;
      best_holes = h;
      ties = 0;
    } else if (h == best_holes) {
      ties++;
    }
  }
  free(path);
  if (!best || ties > 0)
    return CMX_EINVAL;
  if (strlen(best) >= outlen)
    return CMX_EINVAL;
  memcpy(out, best, strlen(best) + 1);
  return CMX_OK;
}

int cmx__pd_ends_with_param(const char *cpath)
{
  const char *last = strrchr(cpath, '/');

  return last && last[1] == '{';
}

int cmx_pagerduty_is_cursor_path(const char *cpath)
{
  size_t i;

  if (!cpath)
    return 0;
  for (i = 0; i < NELEM(cursor_paths); i++)
    if (strcmp(cursor_paths[i], cpath) == 0)
      return 1;
  return 0;
}

/* Singular of a segment: "ies" -> "y", else every trailing 's' removed. */
static void singular(const char *seg, size_t n, char *out, size_t len)
{
  if (n >= 3 && memcmp(seg + n - 3, "ies", 3) == 0) {
    snprintf(out, len, "%.*sy", (int)(n - 3), seg);
    return;
  }
  while (n > 0 && seg[n - 1] == 's')
    n--;
  snprintf(out, len, "%.*s", (int)n, seg);
}

static void put_name(char *out, size_t len, const char *name)
{
  snprintf(out, len, "%s", name ? name : "");
}

int cmx_pagerduty_wrappers(const char *method, const char *cpath, char *req,
                           char *res, size_t len)
{
  size_t i;
  const char *last, *prev;
  char seg[128];

  if (!method || !cpath || !req || !res || len == 0 || cpath[0] != '/')
    return CMX_EINVAL;
  for (i = 0; i < NELEM(specials); i++) {
    const special *s = &specials[i];

    if (strcmp(s->path, cpath) != 0)
      continue;
    if (strcmp(s->method, "*") != 0 && strcmp(s->method, method) != 0)
      continue;
    put_name(req, len, s->req);
    put_name(res, len, s->res);
    return CMX_OK;
  }
  last = strrchr(cpath, '/');
  if (cmx__pd_ends_with_param(cpath)) {
    if (last == cpath) /* "/{x}": nothing before it */
      return CMX_EINVAL;
    prev = last - 1;
    while (prev > cpath && *prev != '/')
      prev--;
    singular(prev + 1, (size_t)(last - prev - 1), seg, sizeof(seg));
  } else if (strcmp(method, "POST") == 0) {
    singular(last + 1, strlen(last + 1), seg, sizeof(seg));
  } else {
    snprintf(seg, sizeof(seg), "%s", last + 1);
  }
  put_name(req, len, seg);
  put_name(res, len, seg);
  return CMX_OK;
}
