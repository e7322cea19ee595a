// metallb-ts native addon: raw Ethernet I/O for ARP/NDP, interface facts, TCP MD5 and TTL for BGP.
#include <node_api.h>

#include "links.h"
#include "md5.h"
#include "packet.h"
#include "tcp.h"

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_set_named_property(env, exports, "PacketSocket", packet_socket_class(env));
  napi_create_function(env, "links", NAPI_AUTO_LENGTH, links, NULL, &fn);
  napi_set_named_property(env, exports, "links", fn);
  napi_create_function(env, "setTcpMd5", NAPI_AUTO_LENGTH, set_tcp_md5, NULL, &fn);
  napi_set_named_property(env, exports, "setTcpMd5", fn);
  napi_create_function(env, "tcpSocket", NAPI_AUTO_LENGTH, tcp_socket, NULL, &fn);
  napi_set_named_property(env, exports, "tcpSocket", fn);
  napi_create_function(env, "setTtl", NAPI_AUTO_LENGTH, set_ttl, NULL, &fn);
  napi_set_named_property(env, exports, "setTtl", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
