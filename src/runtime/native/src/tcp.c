// TCP socket options Node's net module cannot set: a descriptor to configure before connect(),
// and the TTL of what the socket sends (eBGP single-hop sessions send TTL 1, multihop 255).
#include "tcp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

#include "jsutil.h"

napi_value tcp_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL), NULL);
  int family;
  if (!arg_int(env, argv[0], &family, "family")) return NULL;
  if (family != 4 && family != 6) {
    throw_arg(env, "family must be 4 or 6");
    return NULL;
  }
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket(SOCK_STREAM)", family == 4 ? "IPv4" : "IPv6");
    return NULL;
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

napi_value set_ttl(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL), NULL);
  int fd, ttl;
  if (!arg_int(env, argv[0], &fd, "fd")) return NULL;
  if (!arg_int(env, argv[1], &ttl, "ttl")) return NULL;
  if (ttl < 1 || ttl > 255) {
    throw_arg(env, "ttl must be 1..255");
    return NULL;
  }
  int domain = 0;
  socklen_t dlen = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) < 0) {
    throw_errno(env, errno, "getsockopt(SO_DOMAIN)", "TTL");
    return NULL;
  }
  // IPv4 traffic of an IPv6 socket (v4-mapped peers) obeys IP_TTL, native IPv6 the hop limit:
  // set both on IPv6 sockets so either kind of peer gets the TTL asked for.
  if (domain == AF_INET6 &&
      setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl) < 0) {
    throw_errno(env, errno, "setsockopt(IPV6_UNICAST_HOPS)", "TTL");
    return NULL;
  }
  if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) < 0 && domain == AF_INET) {
    throw_errno(env, errno, "setsockopt(IP_TTL)", "TTL");
    return NULL;
  }
  return NULL;
}
