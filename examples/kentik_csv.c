/*
 * A populator batch loaded from a CSV file of value,criteria rows (see
 * tests/data/kentik/populators.csv): the criteria column is a direction
 * then KEY=ITEM[,ITEM...] fields separated by spaces; a row with an empty
 * criteria deletes the value; '#' starts a comment line.
 *   kentik_csv URL FILE [DIMENSION] [--replace-all]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kentik_util.h"

/* Parse "a" or "a-b" into two numbers. */
static int range(const char *s, long long *a, long long *b)
{
  char *end;

  *a = strtoll(s, &end, 10);
  if (end == s)
    return -1;
  if (!*end) {
    *b = *a;
    return 0;
  }
  if (*end != '-')
    return -1;
  s = end + 1;
  *b = strtoll(s, &end, 10);
  return end == s || *end ? -1 : 0;
}

static int add_item(cmx_kentik_criteria *c, const char *key, const char *item)
{
  long long a, b;

  if (!strcmp(key, "addr"))
    return cmx_kentik_add_ip_address(c, item);
  if (!strcmp(key, "nexthop"))
    return cmx_kentik_add_next_hop_ip_address(c, item);
  if (!strcmp(key, "mac"))
    return cmx_kentik_add_mac_address(c, item);
  if (!strcmp(key, "country"))
    return cmx_kentik_add_country_code(c, item);
  if (!strcmp(key, "site"))
    return cmx_kentik_add_site_name(c, item);
  if (!strcmp(key, "device_name"))
    return cmx_kentik_add_device_name(c, item);
  if (!strcmp(key, "device_type"))
    return cmx_kentik_add_device_type(c, item);
  if (!strcmp(key, "interface_name"))
    return cmx_kentik_add_interface_name(c, item);
  if (range(item, &a, &b) != 0)
    return CMX_EINVAL;
  if (!strcmp(key, "port"))
    return cmx_kentik_add_port_range(c, (long)a, (long)b);
  if (!strcmp(key, "vlan"))
    return cmx_kentik_add_vlan_range(c, (long)a, (long)b);
  if (!strcmp(key, "asn"))
    return cmx_kentik_add_asn_range(c, a, b);
  if (!strcmp(key, "nexthop_asn"))
    return cmx_kentik_add_next_hop_asn_range(c, a, b);
  if (!strcmp(key, "protocol") && a == b)
    return cmx_kentik_add_protocol(c, (long)a);
  if (!strcmp(key, "tcp_flags") && a == b)
    return cmx_kentik_set_tcp_flags(c, (long)a);
  return CMX_EINVAL;
}

/* One row's criteria text, modified in place. */
static cmx_kentik_criteria *parse_criteria(char *spec, char *err,
                                           size_t errlen)
{
  char *save = NULL, *tok = strtok_r(spec, " \t", &save);
  cmx_kentik_criteria *c = cmx_kentik_criteria_new(tok, err, errlen);

  while (c && (tok = strtok_r(NULL, " \t", &save)) != NULL) {
    char *eq = strchr(tok, '='), *isave = NULL, *item;
    if (!eq) {
      snprintf(err, errlen, "'%s': expected KEY=ITEM[,ITEM...]", tok);
      cmx_kentik_criteria_free(c);
      return NULL;
    }
    *eq = '\0';
    for (item = strtok_r(eq + 1, ",", &isave); item;
         item = strtok_r(NULL, ",", &isave)) {
      if (add_item(c, tok, item) != CMX_OK) {
        snprintf(err, errlen, "%s=%s: %s", tok, item,
                 *cmx_kentik_criteria_error(c) ? cmx_kentik_criteria_error(c)
                                               : "unknown key or bad number");
        cmx_kentik_criteria_free(c);
        return NULL;
      }
    }
  }
  return c;
}

int main(int argc, char **argv)
{
  const char *dim = "c_customer";
  int replace_all = 0, i, rc = 1;
  char line[4096], err[300];
  cmx_kentik_batch *b = NULL;
  unsigned long lineno = 0;
  FILE *f;
  kx x;

  if (argc < 3) {
    fprintf(stderr, "usage: %s URL FILE [DIMENSION] [--replace-all]\n",
            argv[0]);
    return 2;
  }
  for (i = 3; i < argc; i++) {
    if (!strcmp(argv[i], "--replace-all"))
      replace_all = 1;
    else
      dim = argv[i];
  }
  f = fopen(argv[2], "r");
  if (!f) {
    perror(argv[2]);
    return 1;
  }
  if (kx_setup(&x, argv[1]) != 0) {
    fclose(f);
    return 1;
  }
  b = cmx_kentik_batch_new(replace_all);
  while (b && fgets(line, sizeof(line), f)) {
    char *comma, *nl = strpbrk(line, "\r\n");
    lineno++;
    if (nl)
      *nl = '\0';
    if (line[0] == '#' || line[0] == '\0')
      continue;
    comma = strchr(line, ',');
    if (!comma) {
      fprintf(stderr, "%s:%lu: expected value,criteria\n", argv[2], lineno);
      goto out;
    }
    *comma = '\0';
    if (strspn(comma + 1, " \t") == strlen(comma + 1)) {
      if (cmx_kentik_batch_add_delete(b, line) != CMX_OK) {
        fprintf(stderr, "%s:%lu: %s\n", argv[2], lineno,
                cmx_kentik_batch_error(b));
        goto out;
      }
    } else {
      cmx_kentik_criteria *c = parse_criteria(comma + 1, err, sizeof(err));
      if (!c) {
        fprintf(stderr, "%s:%lu: %s\n", argv[2], lineno, err);
        goto out;
      }
      if (cmx_kentik_batch_add_upsert(b, line, c) != CMX_OK) {
        fprintf(stderr, "%s:%lu: %s\n", argv[2], lineno,
                cmx_kentik_batch_error(b));
        cmx_kentik_criteria_free(c);
        goto out;
      }
      cmx_kentik_criteria_free(c);
    }
  }
  printf("%s: %zu values, %zu criteria, %zu deletes\n", argv[2],
         cmx_kentik_batch_upsert_values(b), cmx_kentik_batch_criteria_count(b),
         cmx_kentik_batch_delete_count(b));
  rc = kx_submit_and_wait(&x, dim, b);
out:
  fclose(f);
  cmx_kentik_batch_free(b);
  kx_teardown(&x);
  return rc;
}
