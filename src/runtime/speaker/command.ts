// `metallb-ts speaker`: wires the speaker shell to the native L2 and BGP drivers, heartbeats,
// metrics and probes.
import { PooledKubeConfig as KubeConfig } from "../kube/pooled-kubeconfig.js";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { portFlag, serveOperations } from "../http/operations.js";
import { isLogLevel, makeLogger } from "../log.js";
import { Registry } from "../metrics/registry.js";
import { NativeBgpDriver } from "./bgp-driver.js";
import { HeartbeatTransport } from "../heartbeat/transport.js";
import { NativeL2Driver } from "./l2-driver.js";
import { l2Metrics } from "../l2/metrics.js";
import { Speaker } from "./speaker.js";

export const SPEAKER_USAGE = `  speaker    announce LoadBalancer IPs from this node (ARP/NDP and BGP)
             --node-name NAME    this node (default $NODE_NAME)
             --kubeconfig PATH   (default: in-cluster, then $KUBECONFIG)
             --namespace NS      where the configuration lives (default metallb-system)
             --lb-class NAME     serve only Services with this loadBalancerClass
             --log-level LEVEL   debug|info|warn|error (default info)
             --metrics-port N    /metrics (default 7474; 0 turns it off)
             --health-port N     /healthz and /readyz (default 7475; 0 turns it off)
             --lease-duration S  speaker Lease duration in seconds (default 10)
             --heartbeat-key-file PATH  shared key: heartbeats between speakers (off without)
             --heartbeat-port N  UDP port (default 7946)
             --heartbeat-address IP  address other speakers reach this one at ($HOST_IP)
             --heartbeat-interval MS (default 100)
             --heartbeat-missed N  intervals without a heartbeat before a peer is dead
                                 (default 5: 500 ms at the default interval; raise it on
                                 nodes whose CPU is often saturated)
             --no-probe          do not probe new addresses for a foreign owner first
`;

const fail = (msg: string): number => {
  process.stderr.write(`metallb-ts speaker: ${msg}\n`);
  return 2;
};

export async function speakerCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      "node-name": { type: "string" },
      kubeconfig: { type: "string" },
      namespace: { type: "string", default: "metallb-system" },
      "lb-class": { type: "string" },
      "log-level": { type: "string", default: "info" },
      "metrics-port": { type: "string", default: "7474" },
      "health-port": { type: "string", default: "7475" },
      "lease-duration": { type: "string", default: "10" },
      "heartbeat-key-file": { type: "string" },
      "heartbeat-port": { type: "string", default: "7946" },
      "heartbeat-address": { type: "string" },
      "heartbeat-interval": { type: "string", default: "100" },
      "heartbeat-missed": { type: "string", default: "5" },
      "no-probe": { type: "boolean", default: false },
    },
  });
  const node = values["node-name"] ?? process.env.NODE_NAME;
  if (!node) return fail("--node-name (or $NODE_NAME) is required");
  const level = values["log-level"];
  if (!isLogLevel(level)) return fail(`--log-level must be debug, info, warn or error`);
  const leaseSeconds = Number(values["lease-duration"]);
  if (!Number.isInteger(leaseSeconds) || leaseSeconds < 1)
    return fail("--lease-duration must be whole seconds >= 1");
  const interval = Number(values["heartbeat-interval"]);
  if (!Number.isInteger(interval) || interval < 10)
    return fail("--heartbeat-interval must be whole milliseconds >= 10");
  const missed = Number(values["heartbeat-missed"]);
  if (!Number.isInteger(missed) || missed < 2)
    return fail("--heartbeat-missed must be a whole number >= 2");
  const metricsPort = portFlag("speaker", "metrics-port", values["metrics-port"]);
  const healthPort = portFlag("speaker", "health-port", values["health-port"]);
  const hbPort = portFlag("speaker", "heartbeat-port", values["heartbeat-port"]);
  if (metricsPort === undefined || healthPort === undefined || hbPort === undefined) return 2;
  const log = makeLogger("speaker", level);
  const kc = new KubeConfig();
  if (values.kubeconfig) kc.loadFromFile(values.kubeconfig);
  else kc.loadFromDefault();

  // The drivers and heartbeats report before the shell exists; they reach it once it does.
  const shell: { speaker?: Speaker } = {};
  const registry = new Registry();
  const peerTransitions = registry.counter(
    "metallb_ts_heartbeat_peer_transitions_total",
    "Heartbeat peers seen becoming alive, dead (silent) or left (said they are leaving)",
  );
  let heartbeat: HeartbeatTransport | undefined;
  const keyFile = values["heartbeat-key-file"];
  const hbAddress = values["heartbeat-address"] ?? process.env.HOST_IP;
  if (keyFile) {
    if (!hbAddress) return fail("heartbeats need --heartbeat-address (or $HOST_IP)");
    let key: Buffer;
    try {
      key = readFileSync(keyFile);
    } catch (err) {
      return fail(`cannot read the heartbeat key ${keyFile}: ${String(err)}`);
    }
    heartbeat = await HeartbeatTransport.start({
      node,
      key,
      port: hbPort,
      intervalMs: interval,
      missed,
      log,
      onPeer: (e) => {
        peerTransitions.inc({ peer: e.node, state: e.state });
        // Liveness decides ownership: recompute now rather than at the next tick.
        shell.speaker?.resync();
      },
    });
  }

  const l2 = new NativeL2Driver({
    log,
    probe: !values["no-probe"],
    onChange: () => shell.speaker?.resync(),
  });
  const bgp = new NativeBgpDriver({ log });
  const speaker = new Speaker({
    kc,
    node,
    namespace: values.namespace,
    leaseSeconds,
    log,
    l2,
    bgp,
    ...(values["lb-class"] ? { lbClass: values["lb-class"] } : {}),
    ...(heartbeat && hbAddress
      ? {
          heartbeatAddress: `${hbAddress}`,
          heartbeatState: (n: string) => heartbeat.table.state(n),
          onSpeakers: (all) =>
            heartbeat.setPeers(
              all.flatMap((s) =>
                s.heartbeatAddress ? [{ node: s.node, address: s.heartbeatAddress }] : [],
              ),
            ),
        }
      : {}),
  });

  shell.speaker = speaker;
  const sessionUp = registry.gauge("metallb_bgp_session_up", "BGP session state (1 = up)");
  const prefixes = registry.gauge(
    "metallb_bgp_announced_prefixes_total",
    "Prefixes announced on the session",
  );
  const updates = registry.counter("metallb_bgp_updates_total", "UPDATE messages sent");
  const announced = registry.gauge(
    "metallb_speaker_announced",
    "Addresses this node announces, per Service and protocol (1 while announced)",
  );
  const hbSent = registry.counter("metallb_ts_heartbeat_sent_total", "Heartbeat packets sent");
  const hbReceived = registry.counter(
    "metallb_ts_heartbeat_received_total",
    "Heartbeat packets received (accepted or not)",
  );
  const layer2 = l2Metrics(registry);
  const refresh = setInterval(() => {
    for (const s of bgp.stats()) {
      sessionUp.set({ peer: s.peer }, s.up ? 1 : 0);
      prefixes.set({ peer: s.peer }, s.prefixes);
      updates.set({ peer: s.peer }, s.updates);
    }
    layer2.update(l2.countersByIp(), l2.counters());
    announced.retain(() => false);
    for (const a of speaker.announced())
      announced.set({ ip: a.ip, node, protocol: a.protocol, service: a.service }, 1);
    if (heartbeat) {
      const c = heartbeat.counters();
      hbSent.set({}, c.sent);
      hbReceived.set({}, c.received);
    }
  }, 1000);
  let started = false;
  const servers = await serveOperations(log, metricsPort, healthPort, registry, {
    live: () => undefined,
    ready: () => (started ? undefined : "initial sync in progress"),
  });
  if (!servers) return 1;

  const stopSignal = new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  log.info("speaker starting", { node, heartbeats: !!heartbeat });
  await speaker.start();
  started = true;
  await stopSignal;
  // Tell the others first, so they take over at once.
  await heartbeat?.leave();
  await speaker.stop();
  l2.close();
  await bgp.stop();
  clearInterval(refresh);
  for (const s of servers) s.close();
  log.info("speaker stopped");
  return 0;
}
