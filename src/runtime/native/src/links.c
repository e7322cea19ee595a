// Interface facts from rtnetlink (one RTM_GETLINK dump): what interface selection needs to know.
#include "links.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jsutil.h"

static void set_int(napi_env env, napi_value o, const char *k, int64_t v) {
  napi_value x;
  napi_create_int64(env, v, &x);
  napi_set_named_property(env, o, k, x);
}

static void set_str(napi_env env, napi_value o, const char *k, const char *v, size_t len) {
  napi_value x;
  if (v)
    napi_create_string_utf8(env, v, strnlen(v, len), &x);
  else
    napi_get_null(env, &x);
  napi_set_named_property(env, o, k, x);
}

static const char *info_kind(struct rtattr *linkinfo, size_t *len) {
  int rem = (int)RTA_PAYLOAD(linkinfo);
  for (struct rtattr *a = RTA_DATA(linkinfo); RTA_OK(a, rem); a = RTA_NEXT(a, rem)) {
    if (a->rta_type == IFLA_INFO_KIND) {
      *len = RTA_PAYLOAD(a);
      return RTA_DATA(a);
    }
  }
  return NULL;
}

static napi_value link_object(napi_env env, struct nlmsghdr *h) {
  struct ifinfomsg *ifi = NLMSG_DATA(h);
  napi_value o, mac;
  napi_create_object(env, &o);
  napi_get_null(env, &mac);
  set_int(env, o, "index", ifi->ifi_index);
  set_int(env, o, "type", ifi->ifi_type);
  set_int(env, o, "flags", ifi->ifi_flags);
  set_int(env, o, "master", 0);
  set_str(env, o, "kind", NULL, 0);
  int rem = (int)IFLA_PAYLOAD(h);
  for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, rem); a = RTA_NEXT(a, rem)) {
    switch (a->rta_type) {
      case IFLA_IFNAME:
        set_str(env, o, "name", RTA_DATA(a), RTA_PAYLOAD(a));
        break;
      case IFLA_MTU:
        set_int(env, o, "mtu", *(unsigned *)RTA_DATA(a));
        break;
      case IFLA_MASTER:
        set_int(env, o, "master", *(unsigned *)RTA_DATA(a));
        break;
      case IFLA_ADDRESS: {
        void *data;
        napi_create_buffer_copy(env, RTA_PAYLOAD(a), RTA_DATA(a), &data, &mac);
        break;
      }
      case IFLA_LINKINFO: {
        size_t len = 0;
        const char *kind = info_kind(a, &len);
        if (kind) set_str(env, o, "kind", kind, len);
        break;
      }
    }
  }
  napi_set_named_property(env, o, "mac", mac);
  return o;
}

napi_value links(napi_env env, napi_callback_info info) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    throw_errno(env, errno, "socket(AF_NETLINK)", "rtnetlink");
    return NULL;
  }
  struct {
    struct nlmsghdr h;
    struct ifinfomsg i;
  } req = {
      .h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
            .nlmsg_type = RTM_GETLINK,
            .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
            .nlmsg_seq = 1},
      .i = {.ifi_family = AF_UNSPEC},
  };
  if (send(fd, &req, req.h.nlmsg_len, 0) < 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "send(RTM_GETLINK)", "rtnetlink");
    return NULL;
  }
  napi_value list;
  napi_create_array(env, &list);
  uint32_t count = 0;
  static char buf[65536];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      throw_errno(env, err, "recv(RTM_GETLINK)", "rtnetlink");
      return NULL;
    }
    int len = (int)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) {
        close(fd);
        return list;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        close(fd);
        throw_errno(env, -e->error, "RTM_GETLINK", "rtnetlink");
        return NULL;
      }
      if (h->nlmsg_type == RTM_NEWLINK) napi_set_element(env, list, count++, link_object(env, h));
    }
  }
}
