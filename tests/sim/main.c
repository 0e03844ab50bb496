/*
 * callmux-sim: the simulator as a standalone program.
 *
 *   callmux-sim [--port N] [--services generic,partisci,kentik,synnefo,
 *               pagerduty] [--tls] [--tls-dir DIR] [--set key=value]...
 *               [--port-file FILE]
 *
 * Listens on 127.0.0.1 only.  --port N gives the first service port N, the
 * next N+1 and so on; 0 (the default) takes ephemeral ports.  Prints one
 * line per service, "<name> <base URL>", then runs until SIGTERM/SIGINT.
 * --tls adds "generic-tls", an HTTPS generic service with a certificate
 * made by the openssl command (its path is printed as "tls-ca FILE").
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "sim/sim.h"

typedef int (*attach_fn)(sim_service *svc);

static const struct {
  const char *name;
  attach_fn attach;
} known[] = {
    {"generic", sim_generic_attach},     {"partisci", sim_partisci_attach},
    {"kentik", sim_kentik_attach},       {"synnefo", sim_synnefo_attach},
    {"pagerduty", sim_pagerduty_attach},
};

#define NKNOWN (sizeof(known) / sizeof(known[0]))

static void usage(FILE *f)
{
  fprintf(f,
          "usage: callmux-sim [--port N] [--services LIST] [--tls]\n"
          "                   [--tls-dir DIR] [--set key=value]... "
          "[--port-file FILE]\n"
          "  --port N         first port (0: ephemeral ports, the default)\n"
          "  --services LIST  comma-separated, default "
          "generic,partisci,kentik,synnefo,pagerduty\n"
          "  --tls            also serve generic-tls (HTTPS)\n"
          "  --tls-dir DIR    where the certificate goes (default: a new\n"
          "                   directory under /tmp)\n"
          "  --set key=value  simulator configuration (repeatable)\n"
          "  --port-file F    also write the service lines to F\n");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
  (void)sig;
  (void)what;
  event_base_loopbreak(arg);
}

static int add_line(char **out, size_t *len, const char *name, const char *url)
{
  size_t n = strlen(name) + strlen(url) + 2;
  char *p = realloc(*out, *len + n + 1);

  if (!p)
    return -1;
  snprintf(p + *len, n + 1, "%s %s\n", name, url);
  *out = p;
  *len += n;
  return 0;
}

static int write_port_file(const char *path, const char *text)
{
  char tmp[4096];
  FILE *f;

  /* Written whole then renamed, so a reader never sees half a file. */
  snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
  f = fopen(tmp, "w");
  if (!f)
    return -1;
  if (fputs(text, f) < 0 || fclose(f) != 0) {
    unlink(tmp);
    return -1;
  }
  if (rename(tmp, path) < 0) {
    unlink(tmp);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv)
{
  const char *services = "generic,partisci,kentik,synnefo,pagerduty";
  const char *port_file = NULL, *tls_dir = NULL;
  char tmpdir[] = "/tmp/callmux-sim-XXXXXX", *list = NULL, *save = NULL, *name,
       *out = NULL;
  size_t outlen = 0;
  unsigned long port = 0;
  unsigned next;
  int tls = 0, i, rc = 1, made_dir = 0;
  struct event_base *base = NULL;
  struct event *sigterm = NULL, *sigint = NULL;
  sim *s = NULL;
  sim_service *svc;

  base = event_base_new();
  if (!base)
    return 1;
  s = sim_new(base);
  if (!s)
    goto done;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      rc = 0;
      goto done;
    } else if (strcmp(a, "--tls") == 0) {
      tls = 1;
    } else if (v && strcmp(a, "--port") == 0) {
      char *end;
      port = strtoul(v, &end, 10);
      if (*end || port > 65535) {
        fprintf(stderr, "callmux-sim: --port must be 0..65535\n");
        goto done;
      }
      i++;
    } else if (v && strcmp(a, "--services") == 0) {
      services = v;
      i++;
    } else if (v && strcmp(a, "--port-file") == 0) {
      port_file = v;
      i++;
    } else if (v && strcmp(a, "--tls-dir") == 0) {
      tls_dir = v;
      i++;
    } else if (v && strcmp(a, "--set") == 0) {
      char *kv = strdup(v), *eq = kv ? strchr(kv, '=') : NULL;
      if (!eq || eq == kv) {
        fprintf(stderr, "callmux-sim: --set wants key=value\n");
        free(kv);
        goto done;
      }
      *eq = '\0';
      sim_config_set(s, kv, eq + 1);
      free(kv);
      i++;
    } else {
      usage(stderr);
      rc = 2;
      goto done;
    }
  }

  next = (unsigned)port;
  list = strdup(services);
  if (!list)
    goto done;
  for (name = strtok_r(list, ",", &save); name;
       name = strtok_r(NULL, ",", &save)) {
    size_t k;
    for (k = 0; k < NKNOWN; k++)
      if (strcmp(known[k].name, name) == 0)
        break;
    if (k == NKNOWN) {
      fprintf(stderr, "callmux-sim: unknown service %s\n", name);
      goto done;
    }
    svc = sim_service_add(s, name, next, 0);
    if (!svc || known[k].attach(svc) < 0) {
      fprintf(stderr, "callmux-sim: cannot start %s\n", name);
      goto done;
    }
    if (next)
      next++;
    if (add_line(&out, &outlen, name, sim_service_url(svc)) < 0)
      goto done;
  }
  if (tls) {
    if (!tls_dir) {
      if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "callmux-sim: mkdtemp: %s\n", strerror(errno));
        goto done;
      }
      tls_dir = tmpdir;
      made_dir = 1;
    }
    if (sim_tls_init(s, tls_dir) < 0)
      goto done;
    svc = sim_service_add(s, "generic-tls", next, 1);
    if (!svc || sim_generic_attach(svc) < 0) {
      fprintf(stderr, "callmux-sim: cannot start generic-tls\n");
      goto done;
    }
    if (add_line(&out, &outlen, "generic-tls", sim_service_url(svc)) < 0 ||
        add_line(&out, &outlen, "tls-ca", sim_tls_ca_file(s)) < 0)
      goto done;
  }
  if (!out) {
    fprintf(stderr, "callmux-sim: no service\n");
    goto done;
  }
  sigterm = evsignal_new(base, SIGTERM, on_signal, base);
  sigint = evsignal_new(base, SIGINT, on_signal, base);
  if (!sigterm || !sigint || evsignal_add(sigterm, NULL) < 0 ||
      evsignal_add(sigint, NULL) < 0)
    goto done;
  fputs(out, stdout);
  fflush(stdout);
  if (port_file && write_port_file(port_file, out) < 0) {
    fprintf(stderr, "callmux-sim: cannot write %s: %s\n", port_file,
            strerror(errno));
    goto done;
  }
  event_base_dispatch(base);
  rc = 0;
done:
  if (sigterm)
    event_free(sigterm);
  if (sigint)
    event_free(sigint);
  sim_free(s);
  event_base_free(base);
  if (made_dir) {
    char p[sizeof(tmpdir) + 16];
    snprintf(p, sizeof(p), "%s/cert.pem", tmpdir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/key.pem", tmpdir);
    unlink(p);
    rmdir(tmpdir);
  }
  free(list);
  free(out);
  return rc;
}
