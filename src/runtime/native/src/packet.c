// PacketSocket: an AF_PACKET socket bound to one interface, filtered in the kernel to ARP and
// ICMPv6 Neighbor Solicitation/Advertisement, read on the libuv loop without blocking it.
#include "packet.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "jsutil.h"

// Large enough for jumbo frames; anything longer arrives cut and its true length tells JS.
#define RECV_BUF 16384
// Frames handled per readiness event before yielding to the rest of the loop.
#define BATCH 64

typedef struct {
  int fd;
  int group_fd;  // AF_INET6 datagram socket holding IPv6 group memberships; -1 until needed
  int ifindex;
  char ifname[IF_NAMESIZE];
  uv_poll_t poll;
  napi_env env;
  napi_ref self;      // strong while open, so a listening socket is never collected
  napi_ref on_frame;  // (err, frame, pktType, wireLength) => void
  napi_async_context async;
  bool open;
  bool polling;
  bool finalized;
  bool handle_closed;
  unsigned char buf[RECV_BUF];
} PacketSocket;

// Accept ARP, and IPv6 ICMPv6 (next header 58, no extension headers, as NDP requires) of type
// 135 (NS) or 136 (NA). Our own outgoing frames are looped back to packet sockets: drop them.
static struct sock_filter filter_code[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 8, 0),
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 7, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 5),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6, 0, 3),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 54),
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 135, 0, 1),
    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 136, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, 0),
    BPF_STMT(BPF_RET | BPF_K, 0x40000),
};

static void release(PacketSocket *s) {
  if (s->finalized && (s->handle_closed || !s->polling)) free(s);
}

static void on_handle_closed(uv_handle_t *h) {
  PacketSocket *s = h->data;
  s->handle_closed = true;
  release(s);
}

static void deliver(PacketSocket *s, napi_value *argv) {
  napi_env env = s->env;
  napi_value fn, recv, result;
  napi_get_reference_value(env, s->on_frame, &fn);
  napi_get_global(env, &recv);  // MakeCallback needs an object receiver
  if (napi_make_callback(env, s->async, recv, fn, 4, argv, &result) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
}

static void on_readable(uv_poll_t *h, int status, int events) {
  PacketSocket *s = h->data;
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  for (int i = 0; i < BATCH && s->open; i++) {
    struct sockaddr_ll from;
    socklen_t fromlen = sizeof from;
    ssize_t n = recvfrom(s->fd, s->buf, sizeof s->buf, MSG_DONTWAIT | MSG_TRUNC,
                         (struct sockaddr *)&from, &fromlen);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    napi_value argv[4];
    napi_get_null(env, &argv[0]);
    napi_get_undefined(env, &argv[1]);
    napi_get_undefined(env, &argv[2]);
    napi_get_undefined(env, &argv[3]);
    if (n < 0) {
      // Report through the callback (not a throw: nobody up the stack could catch it).
      int err = errno;
      throw_errno(env, err, "recvfrom", s->ifname);
      napi_get_and_clear_last_exception(env, &argv[0]);
      deliver(s, argv);
      break;
    }
    size_t got = (size_t)n < sizeof s->buf ? (size_t)n : sizeof s->buf;
    void *data;
    napi_create_buffer_copy(env, got, s->buf, &data, &argv[1]);
    napi_create_int32(env, from.sll_pkttype, &argv[2]);
    napi_create_int64(env, n, &argv[3]);
    deliver(s, argv);
  }
  napi_close_handle_scope(env, scope);
}

static PacketSocket *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *p = NULL;
  NAPI_OK(env, napi_get_cb_info(env, info, argc, argv, &self, NULL), NULL);
  NAPI_OK(env, napi_unwrap(env, self, &p), NULL);
  PacketSocket *s = p;
  if (!s->open) {
    throw_errno(env, EBADF, "PacketSocket", s->ifname);
    return NULL;
  }
  return s;
}

// The socket behind `this` and its single Buffer argument (of want_len bytes unless 0); NULL with
// an exception pending when either is wrong.
static PacketSocket *unwrap_bytes(napi_env env, napi_callback_info info, size_t want_len,
                                  const char *what, const unsigned char **data, size_t *len) {
  size_t argc = 1;
  napi_value argv[1];
  PacketSocket *s = unwrap(env, info, &argc, argv);
  if (!s || !arg_bytes(env, argv[0], data, len, want_len, what)) return NULL;
  return s;
}

static void finalize(napi_env env, void *data, void *hint) {
  PacketSocket *s = data;
  if (s->open) {
    s->open = false;
    close(s->fd);
    if (s->group_fd >= 0) close(s->group_fd);
  }
  if (s->on_frame) napi_delete_reference(env, s->on_frame);
  if (s->async) napi_async_destroy(env, s->async);
  s->finalized = true;
  release(s);
}

// new PacketSocket(ifname, onFrame)
static napi_value construct(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL), NULL);
  char ifname[IF_NAMESIZE];
  if (!arg_string(env, argv[0], ifname, sizeof ifname, "interface name")) return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) {
    throw_arg(env, "onFrame must be a function");
    return NULL;
  }
  unsigned ifindex = if_nametoindex(ifname);
  if (ifindex == 0) {
    throw_errno(env, errno, "if_nametoindex", ifname);
    return NULL;
  }
  // Protocol 0: nothing is queued before the filter is attached and the socket bound.
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket(AF_PACKET)", ifname);
    return NULL;
  }
  struct sock_fprog prog = {.len = sizeof filter_code / sizeof filter_code[0], .filter = filter_code};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "setsockopt(SO_ATTACH_FILTER)", ifname);
    return NULL;
  }
  struct sockaddr_ll addr = {
      .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)ifindex};
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int err = errno;
    close(fd);
    throw_errno(env, err, "bind(AF_PACKET)", ifname);
    return NULL;
  }
  PacketSocket *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    throw_errno(env, ENOMEM, "calloc", ifname);
    return NULL;
  }
  s->fd = fd;
  s->group_fd = -1;
  s->ifindex = (int)ifindex;
  memcpy(s->ifname, ifname, sizeof ifname);
  s->env = env;
  s->open = true;
  napi_value name;
  napi_create_string_utf8(env, "PacketSocket", NAPI_AUTO_LENGTH, &name);
  if (napi_async_init(env, self, name, &s->async) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &s->on_frame) != napi_ok ||
      napi_wrap(env, self, s, finalize, NULL, NULL) != napi_ok) {
    close(fd);
    free(s);
    throw_errno(env, EFAULT, "napi_wrap", ifname);
    return NULL;
  }
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  s->poll.data = s;
  int rc = uv_poll_init_socket(loop, &s->poll, fd);
  if (rc != 0) {
    s->open = false;
    close(fd);
    throw_errno(env, -rc, "uv_poll_init_socket", ifname);
    return NULL;
  }
  s->polling = true;
  rc = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  if (rc != 0) {
    s->open = false;
    uv_close((uv_handle_t *)&s->poll, on_handle_closed);
    close(fd);
    throw_errno(env, -rc, "uv_poll_start", ifname);
    return NULL;
  }
  napi_create_reference(env, self, 1, &s->self);
  napi_value idx;
  napi_create_int32(env, s->ifindex, &idx);
  napi_set_named_property(env, self, "ifindex", idx);
  return self;
}

// send(frame: Buffer): void — the frame goes out of the bound interface as given.
static napi_value send_frame(napi_env env, napi_callback_info info) {
  const unsigned char *data;
  size_t len;
  PacketSocket *s = unwrap_bytes(env, info, 0, "frame", &data, &len);
  if (!s) return NULL;
  if (send(s->fd, data, len, MSG_DONTWAIT) < 0) throw_errno(env, errno, "send", s->ifname);
  return NULL;
}

static napi_value multicast_mac(napi_env env, napi_callback_info info, int opt, const char *call) {
  const unsigned char *mac;
  size_t len;
  PacketSocket *s = unwrap_bytes(env, info, 6, "multicast MAC", &mac, &len);
  if (!s) return NULL;
  struct packet_mreq mr = {.mr_ifindex = s->ifindex, .mr_type = PACKET_MR_MULTICAST, .mr_alen = 6};
  memcpy(mr.mr_address, mac, 6);
  if (setsockopt(s->fd, SOL_PACKET, opt, &mr, sizeof mr) < 0) throw_errno(env, errno, call, s->ifname);
  return NULL;
}

// addMulticastMac(mac) / dropMulticastMac(mac): the NIC accepts frames for this group MAC while
// the socket is open, without any IP-level membership (no MLD report is sent).
static napi_value add_mac(napi_env env, napi_callback_info info) {
  return multicast_mac(env, info, PACKET_ADD_MEMBERSHIP, "setsockopt(PACKET_ADD_MEMBERSHIP)");
}
static napi_value drop_mac(napi_env env, napi_callback_info info) {
  return multicast_mac(env, info, PACKET_DROP_MEMBERSHIP, "setsockopt(PACKET_DROP_MEMBERSHIP)");
}

static napi_value ipv6_group(napi_env env, napi_callback_info info, int opt, const char *call) {
  const unsigned char *group;
  size_t len;
  PacketSocket *s = unwrap_bytes(env, info, 16, "IPv6 group", &group, &len);
  if (!s) return NULL;
  if (s->group_fd < 0) {
    s->group_fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s->group_fd < 0) {
      throw_errno(env, errno, "socket(AF_INET6)", s->ifname);
      return NULL;
    }
  }
  struct ipv6_mreq mr = {.ipv6mr_interface = (unsigned)s->ifindex};
  memcpy(&mr.ipv6mr_multiaddr, group, 16);
  if (setsockopt(s->group_fd, IPPROTO_IPV6, opt, &mr, sizeof mr) < 0)
    throw_errno(env, errno, call, s->ifname);
  return NULL;
}

// joinIpv6Group(group) / leaveIpv6Group(group): IP-level membership, so the kernel also sends
// MLD reports and snooping switches forward the group to this port.
static napi_value join_group(napi_env env, napi_callback_info info) {
  return ipv6_group(env, info, IPV6_JOIN_GROUP, "setsockopt(IPV6_JOIN_GROUP)");
}
static napi_value leave_group(napi_env env, napi_callback_info info) {
  return ipv6_group(env, info, IPV6_LEAVE_GROUP, "setsockopt(IPV6_LEAVE_GROUP)");
}

// ref()/unref(): whether this socket alone keeps the process running.
static napi_value set_ref(napi_env env, napi_callback_info info, bool on) {
  size_t argc = 0;
  PacketSocket *s = unwrap(env, info, &argc, NULL);
  if (!s) return NULL;
  if (on)
    uv_ref((uv_handle_t *)&s->poll);
  else
    uv_unref((uv_handle_t *)&s->poll);
  return NULL;
}
static napi_value ref(napi_env env, napi_callback_info info) { return set_ref(env, info, true); }
static napi_value unref(napi_env env, napi_callback_info info) { return set_ref(env, info, false); }

// close(): idempotent; memberships end with the sockets.
static napi_value close_socket(napi_env env, napi_callback_info info) {
  napi_value self;
  void *p = NULL;
  size_t argc = 0;
  NAPI_OK(env, napi_get_cb_info(env, info, &argc, NULL, &self, NULL), NULL);
  NAPI_OK(env, napi_unwrap(env, self, &p), NULL);
  PacketSocket *s = p;
  if (!s->open) return NULL;
  s->open = false;
  uv_poll_stop(&s->poll);
  uv_close((uv_handle_t *)&s->poll, on_handle_closed);
  close(s->fd);
  if (s->group_fd >= 0) close(s->group_fd);
  napi_delete_reference(env, s->self);
  s->self = NULL;
  return NULL;
}

napi_value packet_socket_class(napi_env env) {
  napi_property_descriptor methods[] = {
      {"send", NULL, send_frame, NULL, NULL, NULL, napi_default, NULL},
      {"addMulticastMac", NULL, add_mac, NULL, NULL, NULL, napi_default, NULL},
      {"dropMulticastMac", NULL, drop_mac, NULL, NULL, NULL, napi_default, NULL},
      {"joinIpv6Group", NULL, join_group, NULL, NULL, NULL, napi_default, NULL},
      {"leaveIpv6Group", NULL, leave_group, NULL, NULL, NULL, napi_default, NULL},
      {"ref", NULL, ref, NULL, NULL, NULL, napi_default, NULL},
      {"unref", NULL, unref, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_socket, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls;
  napi_define_class(env, "PacketSocket", NAPI_AUTO_LENGTH, construct, NULL,
                    sizeof methods / sizeof methods[0], methods, &cls);
  return cls;
}
