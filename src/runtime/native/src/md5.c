// TCP MD5 signatures (RFC 2385) for BGP sessions: one key per peer address on a socket.
#include "md5.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "jsutil.h"

napi_value set_tcp_md5(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL), NULL);
  int fd;
  char peer[INET6_ADDRSTRLEN + 1];
  const unsigned char *key;
  size_t key_len;
  if (!arg_int(env, argv[0], &fd, "fd")) return NULL;
  if (!arg_string(env, argv[1], peer, sizeof peer, "peer address")) return NULL;
  // Bytes, not a C string: a key may hold any byte, NUL included (RFC 2385 keys are octets).
  if (!arg_bytes(env, argv[2], &key, &key_len, 0, "TCP MD5 key")) return NULL;
  if (key_len > TCP_MD5SIG_MAXKEYLEN) {
    char msg[128];
    snprintf(msg, sizeof msg, "TCP MD5 key has %zu bytes; RFC 2385 keys are at most %d bytes",
             key_len, TCP_MD5SIG_MAXKEYLEN);
    throw_arg(env, msg);
    return NULL;
  }

  // The address first: a malformed one is the caller's bug whatever the descriptor is.
  struct in_addr v4;
  struct in6_addr v6;
  int family = inet_pton(AF_INET, peer, &v4) == 1 ? AF_INET
               : inet_pton(AF_INET6, peer, &v6) == 1 ? AF_INET6
                                                     : 0;
  if (!family) {
    char msg[128];
    snprintf(msg, sizeof msg, "peer address \"%s\" is not an IPv4 or IPv6 address", peer);
    throw_arg(env, msg);
    return NULL;
  }
  int domain = 0;
  socklen_t dlen = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) < 0) {
    throw_errno(env, errno, "getsockopt(SO_DOMAIN)", peer);
    return NULL;
  }
  struct tcp_md5sig sig;
  memset(&sig, 0, sizeof sig);
  if (family == AF_INET && domain == AF_INET6) {
    // An IPv6 socket sees IPv4 peers as v4-mapped addresses; the key must be filed that way.
    struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&sig.tcpm_addr;
    sa->sin6_family = AF_INET6;
    sa->sin6_addr.s6_addr[10] = 0xff;
    sa->sin6_addr.s6_addr[11] = 0xff;
    memcpy(&sa->sin6_addr.s6_addr[12], &v4, 4);
  } else if (family == AF_INET) {
    struct sockaddr_in *sa = (struct sockaddr_in *)&sig.tcpm_addr;
    sa->sin_family = AF_INET;
    sa->sin_addr = v4;
  } else if (domain == AF_INET6) {
    struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&sig.tcpm_addr;
    sa->sin6_family = AF_INET6;
    sa->sin6_addr = v6;
  } else {
    throw_errno(env, EAFNOSUPPORT, "setsockopt(TCP_MD5SIG) IPv6 peer on an IPv4 socket", peer);
    return NULL;
  }
  // An empty key removes the peer's key.
  sig.tcpm_keylen = (unsigned short)key_len;
  memcpy(sig.tcpm_key, key, key_len);
  if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof sig) < 0)
    throw_errno(env, errno, "setsockopt(TCP_MD5SIG)", peer);
  return NULL;
}
