// Errors for JS (errno names as codes) and readers for JS arguments.
#pragma once
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>

// Throws an Error whose message names the call and its subject, with code = errno name
// (e.g. "EPERM"), errno and syscall properties, like Node's own system errors.
void throw_errno(napi_env env, int err, const char *syscall, const char *subject);

// Throws a TypeError with code "EINVAL" for an argument of the wrong shape.
void throw_arg(napi_env env, const char *message);

// Evaluates a napi call; on failure throws (unless something is already pending) and returns.
#define NAPI_OK(env, call, ret)                                                         \
  do {                                                                                  \
    if ((call) != napi_ok) {                                                            \
      bool pending_ = false;                                                            \
      napi_is_exception_pending((env), &pending_);                                      \
      if (!pending_) napi_throw_error((env), "EFAULT", "N-API call failed: " #call);    \
      return ret;                                                                       \
    }                                                                                   \
  } while (0)

// Copies a JS string argument into buf (NUL-terminated); throws and returns false when it is not
// a string or does not fit.
bool arg_string(napi_env env, napi_value v, char *buf, size_t size, const char *what);

// Reads a Buffer/Uint8Array argument; throws and returns false when it is not one or when
// want_len > 0 and its length differs.
bool arg_bytes(napi_env env, napi_value v, const unsigned char **data, size_t *len, size_t want_len,
               const char *what);

bool arg_int(napi_env env, napi_value v, int *out, const char *what);
