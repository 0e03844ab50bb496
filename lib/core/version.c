/* callmux: run-time version. */
#include "config.h"

#include <callmux/version.h>

const char *cmx_version(void)
{
  return CMX_VERSION;
}

unsigned cmx_version_num(void)
{
  return CMX_VERSION_NUM;
}
