/* callmux: error names and messages from the one X-macro list. */
#include "config.h"

#include <callmux/error.h>

const char *cmx_strerror(int code)
{
  switch (code) {
#define CMX__MSG(name, num, msg)                                              \
  case (num):                                                                 \
    return (msg);
    CMX_ERRNO_MAP(CMX__MSG)
#undef CMX__MSG
  default:
    return "unknown error code";
  }
}

const char *cmx_code_name(int code)
{
  switch (code) {
#define CMX__NAME(name, num, msg)                                             \
  case (num):                                                                 \
    return #name;
    CMX_ERRNO_MAP(CMX__NAME)
#undef CMX__NAME
  default:
    return "UNKNOWN";
  }
}
