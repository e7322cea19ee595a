// Typed access to the native addon (src/runtime/native/src/*.c, built by tools/build-native.sh):
// raw Ethernet frames on one interface, interface facts, TCP MD5 signatures and TTL.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { isIPv4, Socket } from "node:net";
import { fileURLToPath } from "node:url";

/** One interface as rtnetlink reports it. `flags` are the kernel's IFF_* bits. */
export interface LinkFacts {
  name: string;
  index: number;
  /** ARPHRD_* hardware type (1 = Ethernet, 772 = loopback). */
  type: number;
  flags: number;
  mtu: number;
  mac: Buffer | null;
  /** Index of the bridge/bond this interface is enslaved to; 0 when none. */
  master: number;
  /** rtnetlink link kind ("veth", "bridge", "bond", …); null for plain devices. */
  kind: string | null;
}

/** sll_pkttype of a received frame: to us, broadcast, multicast, or another host (promiscuous). */
export const PacketType = { host: 0, broadcast: 1, multicast: 2, otherHost: 3 } as const;

/** An exception from a failed system call: `code` is the errno name (EPERM, ENODEV, …). */
export interface NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export function isNativeError(err: unknown, code?: string): err is NativeError {
  return (
    err instanceof Error &&
    typeof (err as Partial<NativeError>).code === "string" &&
    (code === undefined || (err as NativeError).code === code)
  );
}

/**
 * Called for each received frame (ARP, or ICMPv6 NS/NA) and for receive errors. `wireLength` is
 * the frame's true length: when it exceeds `frame.length` the frame was cut to the receive buffer.
 */
export type FrameHandler = (
  err: NativeError | null,
  frame?: Buffer,
  pktType?: number,
  wireLength?: number,
) => void;

export interface PacketSocket {
  readonly ifindex: number;
  /** Sends one complete Ethernet frame out of the bound interface. */
  send(frame: Uint8Array): void;
  /** Link-level multicast membership (no MLD report). */
  addMulticastMac(mac: Uint8Array): void;
  dropMulticastMac(mac: Uint8Array): void;
  /** IP-level IPv6 group membership on the interface (the kernel sends MLD reports). */
  joinIpv6Group(group: Uint8Array): void;
  leaveIpv6Group(group: Uint8Array): void;
  ref(): void;
  unref(): void;
  /** Stops receiving and releases the socket and its memberships; idempotent. */
  close(): void;
}

interface NativeAddon {
  PacketSocket: new (ifname: string, onFrame: FrameHandler) => PacketSocket;
  links(): LinkFacts[];
  setTcpMd5(fd: number, peer: string, key: Uint8Array): void;
  tcpSocket(family: 4 | 6): number;
  setTtl(fd: number, ttl: number): void;
}

export class NativeAddonMissingError extends Error {
  constructor(path: string, cause: unknown) {
    super(
      `the native addon could not be loaded from ${path}` +
        (cause instanceof Error ? ` (${cause.message.split("\n")[0]})` : "") +
        ". Fix: run `npm run build:native` (tools/build-native.sh; needs gcc, make, python3 and " +
        "the Node headers), or set METALLB_TS_NATIVE to the path of a built metallb_native.node.",
      { cause },
    );
    this.name = "NativeAddonMissingError";
  }
}

export function addonPath(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.METALLB_TS_NATIVE ??
    fileURLToPath(new URL("./build/Release/metallb_native.node", import.meta.url))
  );
}

let loaded: NativeAddon | undefined;

function addon(): NativeAddon {
  if (loaded) return loaded;
  const path = addonPath();
  if (!existsSync(path)) throw new NativeAddonMissingError(path, undefined);
  try {
    loaded = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (err) {
    throw new NativeAddonMissingError(path, err);
  }
  return loaded;
}

/** Opens a filtered AF_PACKET socket on `ifname` (needs CAP_NET_RAW); frames go to `onFrame`. */
export function openPacketSocket(ifname: string, onFrame: FrameHandler): PacketSocket {
  const Socket = addon().PacketSocket;
  return new Socket(ifname, onFrame);
}

/** Every interface of this process's network namespace. */
export function links(): LinkFacts[] {
  return addon().links();
}

/**
 * Sets (or, with an empty key, removes) the RFC 2385 TCP MD5 key for `peer` on a TCP socket.
 * On a listening socket it applies to connections from that peer; on a client socket it must be
 * set before connect(). IPv4 peers on IPv6 sockets are filed as v4-mapped addresses.
 */
export function setTcpMd5(fd: number, peer: string, key: Md5Key): void {
  addon().setTcpMd5(fd, peer, md5Bytes(key));
}

/** A TCP MD5 key: octets, or text standing for its UTF-8 bytes (as routers' configs write it). */
export type Md5Key = string | Uint8Array;

export const md5Bytes = (key: Md5Key): Uint8Array =>
  typeof key === "string" ? Buffer.from(key, "utf8") : key;

/** Sets the IP TTL / IPv6 hop limit (1..255) of what a socket sends. */
export function setTtl(fd: number, ttl: number): void {
  addon().setTtl(fd, ttl);
}

export interface TcpConnectOptions {
  host: string;
  port: number;
  localAddress?: string;
  /** RFC 2385 key for the peer, set before the SYN leaves. */
  md5Key?: Md5Key;
  /** TTL / hop limit of every packet, the SYN included. */
  ttl?: number;
}

/**
 * Connects to `host:port` with options Node's own sockets cannot set early enough: they create
 * their descriptor inside connect(), after which the SYN has already gone without the MD5
 * signature or with the default TTL.
 */
export function connectTcp(opts: TcpConnectOptions): Socket {
  const fd = addon().tcpSocket(isIPv4(opts.host) ? 4 : 6);
  const socket = new Socket({ fd, readable: true, writable: true });
  try {
    if (opts.md5Key !== undefined) setTcpMd5(fd, opts.host, opts.md5Key);
    if (opts.ttl !== undefined) setTtl(fd, opts.ttl);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return socket.connect({
    port: opts.port,
    host: opts.host,
    ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
  });
}
