/*
 * callmux: the command-line tool.
 *
 *   callmux request [options] URL     one call
 *   callmux batch [options] FILE|-    many calls through one lane
 *   callmux version | help [COMMAND]
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <json-c/json.h>

#include <callmux/callmux.h>

#include "cli.h"

static void usage(FILE *f)
{
  fputs(
      "usage: callmux COMMAND [options]\n"
      "\n"
      "Commands:\n"
      "  request [options] URL   make one HTTP call and print its body\n"
      "  batch [options] FILE|-  run one call per input line through one "
      "lane\n"
      "                          (concurrency cap, rate limit, retries) and\n"
      "                          print one JSON line per finished call\n"
      "  version                 print the versions of callmux and its "
      "libraries\n"
      "  help [COMMAND]          this text, or the options of COMMAND\n"
      "\n"
      "Run 'callmux COMMAND --help' for a command's options.\n"
      "\n"
      "Exit codes:\n"
      "  0  success\n"
      "  1  the service answered with an error status (batch: a call or an\n"
      "     input line failed)\n"
      "  2  bad command line or input; nothing was sent\n"
      "  3  transport failure: connection, TLS, timeout or deadline\n"
      "  4  response unusable: not JSON (--json), larger than allowed\n"
      "  5  local failure: a file could not be read or written, memory\n"
      "  130  interrupted (SIGINT/SIGTERM)\n",
      f);
}

static int cmd_version(void)
{
  printf("callmux %s (library %s)\n", CMX_VERSION, cmx_version());
  printf("libcurl %s\n", curl_version_info(CURLVERSION_NOW)->version);
  printf("libevent %s\n", event_get_version());
  printf("json-c %s\n", json_c_version());
  return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
  const char *cmd;

  /* A closed stdout (callmux ... | head) must not kill us mid-call. */
  signal(SIGPIPE, SIG_IGN);

  if (argc < 2) {
    usage(stderr);
    return CLI_EXIT_USAGE;
  }
  cmd = argv[1];
  if (strcmp(cmd, "request") == 0) {
    return cli_cmd_request(argc - 1, argv + 1);
  }
  if (strcmp(cmd, "batch") == 0) {
    return cli_cmd_batch(argc - 1, argv + 1);
  }
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    return cmd_version();
  }
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
      strcmp(cmd, "-h") == 0) {
    if (argc > 2 && strcmp(argv[2], "request") == 0) {
      char *v[] = {argv[2], "--help", NULL};
      return cli_cmd_request(2, v);
    }
    if (argc > 2 && strcmp(argv[2], "batch") == 0) {
      char *v[] = {argv[2], "--help", NULL};
      return cli_cmd_batch(2, v);
    }
    if (argc > 2) {
      fprintf(stderr,
              "callmux help: unknown command '%s' (commands: "
              "request, batch, version, help)\n",
              argv[2]);
      return CLI_EXIT_USAGE;
    }
    usage(stdout);
    return CLI_EXIT_OK;
  }
  fprintf(stderr,
          "callmux: unknown command '%s' (commands: request, "
          "batch, version, help)\n",
          cmd);
  usage(stderr);
  return CLI_EXIT_USAGE;
}
