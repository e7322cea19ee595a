#pragma once
#include <node_api.h>

// links(): every interface of the calling thread's network namespace, from an RTM_GETLINK dump:
// [{ name, index, type, flags, mtu, mac: Buffer|null, master, kind: string|null }]
napi_value links(napi_env env, napi_callback_info info);
