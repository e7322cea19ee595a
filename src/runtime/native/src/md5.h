#pragma once
#include <node_api.h>

// setTcpMd5(fd, peerAddress, key): RFC 2385 signatures for TCP segments to/from one peer.
napi_value set_tcp_md5(napi_env env, napi_callback_info info);
