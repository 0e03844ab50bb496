/* Synnefo module: Pithos block hashes and the Merkle top hash. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "services/synnefo/internal.h"

static const char hexdig[] = "0123456789abcdef";

static void to_hex(const unsigned char *d, size_t n, char *hex)
{
  size_t i;

  for (i = 0; i < n; i++) {
    hex[2 * i] = hexdig[d[i] >> 4];
    hex[2 * i + 1] = hexdig[d[i] & 15];
  }
  hex[2 * n] = 0;
}

static int from_hex(const char *hex, unsigned char *d, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++) {
    int v = 0, k;
    for (k = 0; k < 2; k++) {
      char ch = hex[2 * i + k];
      v <<= 4;
      if (ch >= '0' && ch <= '9')
        v |= ch - '0';
      else if (ch >= 'a' && ch <= 'f')
        v |= ch - 'a' + 10;
      else if (ch >= 'A' && ch <= 'F')
        v |= ch - 'A' + 10;
      else
        return -1;
    }
    d[i] = (unsigned char)v;
  }
  return 0;
}

size_t cmx__syn_strip_len(const unsigned char *p, size_t len)
{
  /* word-at-a-time scan back over trailing zero bytes */
  while (len >= 8) {
    uint64_t w;
    memcpy(&w, p + len - 8, 8);
    if (w != 0)
      break;
    len -= 8;
  }
  while (len > 0 && p[len - 1] == 0)
    len--;
  return len;
}

static void sha256(const void *data, size_t len, unsigned char out[32])
{
  unsigned int olen = 32;

  EVP_Digest(data, len, out, &olen, EVP_sha256(), NULL);
}

void cmx_synnefo_block_hash(const void *data, size_t len, char hex[65])
{
  unsigned char d[32];

  len = data ? cmx__syn_strip_len(data, len) : 0;
  sha256(data ? data : "", len, d);
  to_hex(d, 32, hex);
}

int cmx_synnefo_merkle(const char *const *hashes, size_t n, char hex[65])
{
  size_t cap = 1, i;
  unsigned char *buf;

  if (n == 0) {
    cmx_synnefo_block_hash("", 0, hex);
    return CMX_OK;
  }
  if (n == 1) {
    if (strlen(hashes[0]) != 64)
      return CMX_EINVAL;
    memcpy(hex, hashes[0], 65);
    return CMX_OK;
  }
  while (cap < n)
    cap <<= 1;
  buf = calloc(cap, 32);
  if (!buf)
    return CMX_ENOMEM;
  for (i = 0; i < n; i++) {
    if (strlen(hashes[i]) != 64 || from_hex(hashes[i], buf + 32 * i, 32)) {
      free(buf);
      return CMX_EINVAL;
    }
  }
  while (cap > 1) {
    for (i = 0; i < cap / 2; i++)
      sha256(buf + 64 * i, 64, buf + 32 * i);
    cap /= 2;
  }
  to_hex(buf, 32, hex);
  free(buf);
  return CMX_OK;
}

int cmx_synnefo_hash_fd(int fd, uint64_t size, uint64_t block_size,
                        char *hexes)
{
  unsigned char *buf;
  uint64_t off = 0, i = 0;

  if (fd < 0 || block_size == 0 || !hexes)
    return CMX_EINVAL;
  buf = malloc(block_size);
  if (!buf)
    return CMX_ENOMEM;
  while (off < size) {
    size_t want = (size_t)(size - off < block_size ? size - off : block_size);
    size_t got = 0;
    while (got < want) {
      ssize_t n = pread(fd, buf + got, want - got, (off_t)(off + got));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        free(buf);
        return CMX_EIO;
      }
      got += (size_t)n;
    }
    cmx_synnefo_block_hash(buf, want, hexes + 65 * i);
    off += want;
    i++;
  }
  free(buf);
  return CMX_OK;
}
