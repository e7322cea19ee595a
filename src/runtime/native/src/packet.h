#pragma once
#include <node_api.h>

// The PacketSocket class (constructor) for the module's exports.
napi_value packet_socket_class(napi_env env);
