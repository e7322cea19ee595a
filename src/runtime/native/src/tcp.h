#pragma once
#include <node_api.h>

// tcpSocket(family: 4|6): fd of a new, unconnected, non-blocking TCP socket, so options that must
// precede the SYN (MD5 keys, TTL) can be set before connect().
napi_value tcp_socket(napi_env env, napi_callback_info info);

// setTtl(fd, ttl): the IP TTL / IPv6 hop limit of the packets a socket sends (1..255).
napi_value set_ttl(napi_env env, napi_callback_info info);
