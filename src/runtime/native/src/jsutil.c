#include "jsutil.h"

#include <stdio.h>
#include <string.h>

static void set_prop(napi_env env, napi_value obj, const char *key, napi_value v) {
  napi_set_named_property(env, obj, key, v);
}

void throw_errno(napi_env env, int err, const char *syscall, const char *subject) {
  const char *name = strerrorname_np(err);
  char code[32];
  snprintf(code, sizeof code, "%s", name ? name : "EUNKNOWN");
  char msg[512];
  snprintf(msg, sizeof msg, "%s %s: %s (%s)", syscall, subject, strerror(err), code);
  napi_value m, c, e, n, s;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c);
  napi_create_error(env, c, m, &e);
  napi_create_int32(env, -err, &n);
  set_prop(env, e, "errno", n);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &s);
  set_prop(env, e, "syscall", s);
  napi_throw(env, e);
}

void throw_arg(napi_env env, const char *message) {
  napi_throw_type_error(env, "EINVAL", message);
}

bool arg_string(napi_env env, napi_value v, char *buf, size_t size, const char *what) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s must be a string", what);
    throw_arg(env, msg);
    return false;
  }
  if (len + 1 > size) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s is too long (%zu bytes, at most %zu)", what, len, size - 1);
    throw_arg(env, msg);
    return false;
  }
  napi_get_value_string_utf8(env, v, buf, size, &len);
  return true;
}

bool arg_bytes(napi_env env, napi_value v, const unsigned char **data, size_t *len, size_t want_len,
               const char *what) {
  bool ok = false;
  void *p = NULL;
  napi_is_typedarray(env, v, &ok);
  if (ok) {
    napi_typedarray_type type;
    napi_value ab;
    size_t offset;
    napi_get_typedarray_info(env, v, &type, len, &p, &ab, &offset);
    ok = type == napi_uint8_array;
  }
  if (!ok) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s must be a Buffer", what);
    throw_arg(env, msg);
    return false;
  }
  if (want_len > 0 && *len != want_len) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s must be %zu bytes long, got %zu", what, want_len, *len);
    throw_arg(env, msg);
    return false;
  }
  *data = p;
  return true;
}

bool arg_int(napi_env env, napi_value v, int *out, const char *what) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s must be an integer", what);
    throw_arg(env, msg);
    return false;
  }
  return true;
}
