// A lab process that runs the L2 parts of a speaker inside one namespace, driven over RPC:
// announcers per interface, conflict probes, heartbeats, and raw frame/datagram injection for
// fault tests. Started by startDriver(); usage: l2-node.ts --rpc <socket path>.
import { createSocket } from "node:dgram";
import { parseIp, type Ip } from "../../../api/formats/ip.js";
import { makeLogger } from "../../../runtime/log.js";
import { links, openPacketSocket, type PacketSocket } from "../../../runtime/native/index.js";
import { HeartbeatTransport, type HeartbeatPeer } from "../../../runtime/heartbeat/index.js";
import { InterfaceAnnouncer, NodeAnnouncers } from "../../../runtime/l2/index.js";
import { serveRpc } from "../../rpc.js";
import { arpLoad, startFlood, type Flood } from "../arp-load.js";
import { DEFAULT_PORTS } from "../../../api/ports.js";

const rpcPath = process.argv[process.argv.indexOf("--rpc") + 1];
if (!rpcPath || process.argv.indexOf("--rpc") < 0) {
  process.stderr.write("usage: l2-node.ts --rpc <socket path>\n");
  process.exit(2);
}

const log = makeLogger("l2-driver", "info");
const announcers = new Map<string, InterfaceAnnouncer>();
// The speaker-facing manager; use it or open/setOwned on a host, not both on one interface.
const managed = new NodeAnnouncers({}, log);
const raw = new Map<string, PacketSocket>();
const events: { t: number; node: string; state: string }[] = [];
const claims: { t: number; interface: string; ip: string; mac: string }[] = [];
let heartbeat: HeartbeatTransport | undefined;
let flood: Flood | undefined;
// A stand-in for owner election in failover measurements: when a watched peer dies or leaves,
// this node takes the addresses over on the interface.
let takeover: { interface: string; watch: string[]; ips: string[] } | undefined;

function str(p: Record<string, unknown>, key: string): string {
  const v = p[key];
  if (typeof v !== "string") throw new Error(`parameter "${key}" must be a string`);
  return v;
}
const opt = <T>(p: Record<string, unknown>, key: string): T | undefined => p[key] as T | undefined;
function ip(text: string): Ip {
  const v = parseIp(text);
  if (!v) throw new Error(`"${text}" is not an IP address`);
  return v;
}
function announcer(p: Record<string, unknown>): InterfaceAnnouncer {
  const a = announcers.get(str(p, "interface"));
  if (!a) throw new Error(`no announcer open on ${str(p, "interface")}`);
  return a;
}

await serveRpc(rpcPath, {
  links: () => links().map((l) => ({ ...l, mac: l.mac?.toString("hex") ?? null })),
  open: (p) => {
    const a = InterfaceAnnouncer.open({
      interface: str(p, "interface"),
      announceAtMs: opt<number[]>(p, "announceAtMs"),
      log,
      onForeignClaim: (c) => claims.push({ t: Date.now(), ...c }),
    });
    announcers.set(a.interfaceName, a);
    return { mac: a.mac };
  },
  setOwned: (p) => {
    const a = announcer(p);
    a.setOwned((opt<string[]>(p, "ips") ?? []).map(ip));
    // As the speaker's L2 driver does after each pass: counts of addresses given up go.
    a.retainCounters(new Set());
  },
  probe: (p) =>
    announcer(p).probe(ip(str(p, "ip")), {
      timeoutMs: opt<number>(p, "timeoutMs"),
      ignoreMacs: opt<string[]>(p, "ignoreMacs"),
    }),
  counters: (p) => announcer(p).counters(),
  apply: (p) =>
    managed.apply(
      new Map(
        Object.entries(opt<Record<string, string[]>>(p, "assignment") ?? {}).map(([name, ips]) => [
          name,
          ips.map(ip),
        ]),
      ),
    ),
  managedState: () => ({
    interfaces: managed.interfaces(),
    macs: Object.fromEntries(managed.interfaces().map((n) => [n, managed.get(n)?.mac])),
    byIp: managed.countersByIp(),
  }),
  claims: () => claims,
  sendFrames: (p) => {
    const name = str(p, "interface");
    let s = raw.get(name);
    if (!s) raw.set(name, (s = openPacketSocket(name, () => undefined)));
    for (const hex of opt<string[]>(p, "frames") ?? []) s.send(Buffer.from(hex, "hex"));
  },
  sendDatagram: (p) =>
    new Promise<void>((resolve, reject) => {
      const s = createSocket(str(p, "address").includes(":") ? "udp6" : "udp4");
      s.send(
        Buffer.from(str(p, "hex"), "hex"),
        opt<number>(p, "port"),
        str(p, "address"),
        (err) => {
          s.close();
          if (err) reject(err);
          else resolve();
        },
      );
    }),
  arpLoad: (p) =>
    arpLoad({
      interface: str(p, "interface"),
      mac: str(p, "mac"),
      target: str(p, "target"),
      rate: opt<number>(p, "rate") ?? 1000,
      durationMs: opt<number>(p, "durationMs") ?? 5000,
    }),
  floodStart: (p) => {
    flood?.stop();
    flood = startFlood({
      interface: str(p, "interface"),
      mac: str(p, "mac"),
      targets: opt<string[]>(p, "targets") ?? [],
      rate: opt<number>(p, "rate") ?? 10_000,
    });
  },
  floodStop: () => {
    const r = flood?.stop();
    flood = undefined;
    return r;
  },
  heartbeatStart: async (p) => {
    heartbeat = await HeartbeatTransport.start({
      node: str(p, "node"),
      keys: [Buffer.from(str(p, "keyHex"), "hex")],
      port: opt<number>(p, "port") ?? DEFAULT_PORTS.heartbeat,
      intervalMs: opt<number>(p, "intervalMs"),
      missed: opt<number>(p, "missed"),
      log,
      onPeer: (e) => {
        events.push({ t: Date.now(), ...e });
        if (takeover && e.state !== "alive" && takeover.watch.includes(e.node)) {
          const { interface: name, ips } = takeover;
          takeover = undefined;
          announcers.get(name)?.setOwned(ips.map(ip));
        }
      },
    });
  },
  takeOverWhenGone: (p) => {
    takeover = {
      interface: str(p, "interface"),
      watch: opt<string[]>(p, "watch") ?? [],
      ips: opt<string[]>(p, "ips") ?? [],
    };
  },
  heartbeatPeers: (p) => heartbeat?.setPeers(opt<HeartbeatPeer[]>(p, "peers") ?? []),
  heartbeatEvents: () => events,
  heartbeatCounters: () => heartbeat?.counters(),
  alive: () => heartbeat?.alive() ?? [],
});

// SIGTERM: tell peers we are leaving (they take over at once), then stop.
process.on("SIGTERM", () => {
  void (heartbeat?.leave() ?? Promise.resolve()).finally(() => {
    for (const a of announcers.values()) a.close();
    process.exit(0);
  });
});
log.info("l2 driver ready", { rpc: rpcPath });
