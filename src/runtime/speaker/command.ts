// `metallb-ts speaker`: wires the speaker shell to the API server (stores, writer, its Lease),
// the native L2 and BGP drivers, heartbeats, metrics and probes.
import { BFDProfileKind } from "../../api/kinds/bfdprofile.js";
import { BGPAdvertisementKind } from "../../api/kinds/bgpadvertisement.js";
import { BGPPeerKind } from "../../api/kinds/bgppeer.js";
import { CommunityKind } from "../../api/kinds/community.js";
import { IPAddressPoolKind } from "../../api/kinds/ipaddresspool.js";
import { L2AdvertisementKind } from "../../api/kinds/l2advertisement.js";
import { parseIp } from "../../api/formats/ip.js";
import { commandContext } from "../command-context.js";
import type { LogLevel } from "../log.js";
import { SPEAKER, str } from "../flags.js";
import { KeyWatcher, ThreadedHeartbeats } from "../heartbeat/index.js";
import { serveOperations } from "../http/operations.js";
import { StoreFactory } from "../kube/stores.js";
import { KubeWriter } from "../kube/writer.js";
import { currentInterfaces, l2Metrics } from "../l2/index.js";
import { Registry } from "../metrics/registry.js";
import { NativeBgpDriver } from "./bgp-driver.js";
import { FrrAgentClient } from "./frr/agent-client.js";
import { FrrBgpDriver } from "./frr/driver.js";
import { frrMetrics } from "./frr/metrics.js";
import { NativeL2Driver } from "./l2-driver.js";
import { NodeLease } from "./node-lease.js";
import { Speaker } from "./speaker.js";

export async function speakerCommand(
  args: string[],
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  const ctx = commandContext(SPEAKER, args, out, err);
  if (typeof ctx === "number") return ctx;
  const { values: v, namespace, lbClass, log, kc } = ctx;
  const fail = (msg: string): number => {
    err(`metallb-ts speaker: ${msg}\n`);
    return 2;
  };
  const node = str(v, "node-name") ?? process.env.NODE_NAME;
  if (!node) return fail("--node-name (or $NODE_NAME) is required");
  const leaseSeconds = Number(str(v, "lease-duration"));
  const interval = Number(str(v, "heartbeat-interval"));
  const missed = Number(str(v, "heartbeat-missed"));
  const [metricsPort, healthPort, hbPort] = ["metrics-port", "health-port", "heartbeat-port"].map(
    (f) => Number(str(v, f)),
  ) as [number, number, number];

  // The drivers and heartbeats report before the shell exists; they reach it once it does.
  const shell: { speaker?: Speaker } = {};
  const registry = new Registry();
  const peerTransitions = registry.counter(
    "metallb_ts_heartbeat_peer_transitions_total",
    "Heartbeat peers seen becoming alive, dead (silent) or left (said they are leaving)",
  );
  let heartbeat: ThreadedHeartbeats | undefined;
  let keyWatcher: KeyWatcher | undefined;
  const keyFile = str(v, "heartbeat-key-file");
  const hbAddress = str(v, "heartbeat-address") ?? process.env.HOST_IP;
  if (keyFile) {
    if (!hbAddress) return fail("heartbeats need --heartbeat-address (or $HOST_IP)");
    if (!parseIp(hbAddress))
      return fail(`--heartbeat-address (or $HOST_IP) must be an IP address, not "${hbAddress}"`);
    try {
      keyWatcher = new KeyWatcher(
        keyFile,
        (keys) => {
          log.info("heartbeat keys changed; using the new ones", { keys: keys.length });
          heartbeat?.setKeys(keys);
        },
        (message) => log.warn("cannot read the heartbeat keys; keeping the last ones", { message }),
      );
    } catch (err) {
      return fail(`cannot read the heartbeat key: ${(err as Error).message}`);
    }
    heartbeat = await ThreadedHeartbeats.start({
      node,
      keys: [...keyWatcher.keys],
      port: hbPort,
      intervalMs: interval,
      missed,
      logLevel: str(v, "log-level") as LogLevel,
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
    probe: v["no-probe"] !== true,
    onChange: () => shell.speaker?.resync(),
  });
  // A session coming up or going down is reported in the ConfigurationState (BGPSessions) by
  // the next pass; a new reason for failing to connect is too, but not every retry.
  const failures = new Map<string, string>();
  const backend = str(v, "bgp-backend");
  const bgp =
    backend === "frr"
      ? new FrrBgpDriver({
          control: new FrrAgentClient(str(v, "frr-agent-socket") ?? ""),
          log,
          debounceMs: Number(str(v, "frr-reload-debounce")),
          onChange: () => shell.speaker?.resync(),
        })
      : new NativeBgpDriver({
          log,
          onEvent: (peer, e) => {
            if (e.type === "up" || e.type === "down") failures.delete(peer);
            else if (e.type !== "attemptFailed" || failures.get(peer) === e.reason) return;
            else failures.set(peer, e.reason);
            shell.speaker?.resync();
          },
        });
  const stores = new StoreFactory(kc, log);
  const speaker = new Speaker({
    stores: {
      nodes: stores.nodes(),
      services: stores.services(),
      endpointSlices: stores.endpointSlices(),
      leases: stores.leases(namespace),
      secrets: stores.md5Secrets(namespace),
      pools: stores.config(IPAddressPoolKind, namespace),
      l2Advertisements: stores.config(L2AdvertisementKind, namespace),
      bgpAdvertisements: stores.config(BGPAdvertisementKind, namespace),
      bgpPeers: stores.config(BGPPeerKind, namespace),
      communities: stores.config(CommunityKind, namespace),
      bfdProfiles: stores.config(BFDProfileKind, namespace),
    },
    writer: new KubeWriter(kc),
    lease: new NodeLease(kc, {
      namespace,
      node,
      durationSeconds: leaseSeconds,
      macs: () => currentInterfaces().flatMap((i) => (i.mac && i.ethernet ? [i.mac] : [])),
      log,
      ...(heartbeat && hbAddress ? { heartbeatAddress: hbAddress } : {}),
    }),
    node,
    namespace,
    log,
    l2,
    bgp,
    ...(lbClass ? { lbClass } : {}),
    ...(heartbeat
      ? {
          heartbeatState: (n: string) => heartbeat.state(n),
          heartbeatAlive: () => heartbeat.alive(),
          onLeaseRecreated: (n: string) => heartbeat.forget(n),
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
  const frr = bgp instanceof FrrBgpDriver ? frrMetrics(registry, bgp) : undefined;
  const announced = registry.gauge(
    "metallb_speaker_announced",
    "Addresses this node announces, per Service and protocol (1 while announced)",
  );
  const hbSent = registry.counter("metallb_ts_heartbeat_sent_total", "Heartbeat packets sent");
  const hbReceived = registry.counter(
    "metallb_ts_heartbeat_received_total",
    "Heartbeat packets received (accepted or not)",
  );
  const hbDropped = registry.counter(
    "metallb_ts_heartbeat_dropped_total",
    "Heartbeat packets refused, by reason (auth: another key; skew, replay: too old or repeated)",
  );
  const hbOtherKey = registry.counter(
    "metallb_ts_heartbeat_accepted_other_key_total",
    "Heartbeats accepted under a key other than the sealing one (a key rotation in progress)",
  );
  const layer2 = l2Metrics(registry);
  const refresh = setInterval(() => {
    if (bgp instanceof NativeBgpDriver)
      for (const s of bgp.stats()) {
        sessionUp.set({ peer: s.peer }, s.up ? 1 : 0);
        prefixes.set({ peer: s.peer }, s.prefixes);
        updates.set({ peer: s.peer }, s.updates);
      }
    frr?.({ sessionUp, prefixes, updates });
    layer2.update(l2.countersByIp(), l2.counters());
    announced.retain(() => false);
    for (const a of speaker.announced())
      announced.set({ ip: a.ip, node, protocol: a.protocol, service: a.service }, 1);
    if (heartbeat) {
      const c = heartbeat.counters();
      hbSent.set({}, c.sent);
      hbReceived.set({}, c.received);
      hbOtherKey.set({}, c.acceptedOtherKey);
      for (const [reason, n] of Object.entries(c.dropped)) hbDropped.set({ reason }, n);
    }
  }, 1000);
  let started = false;
  const servers = await serveOperations(
    log,
    metricsPort,
    healthPort,
    registry,
    {
      live: () => undefined,
      ready: () => (started ? undefined : "initial sync in progress"),
    },
    ctx.metricsSecurity,
  );
  if (!servers) return 1;

  const stopSignal = new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  log.info("speaker starting", { node, heartbeats: !!heartbeat, bgpBackend: backend });
  await speaker.start();
  started = true;
  await stopSignal;
  // Tell the others first, so they take over at once.
  await heartbeat?.leave();
  keyWatcher?.stop();
  await speaker.stop();
  l2.close();
  await bgp.stop();
  clearInterval(refresh);
  for (const s of servers) s.close();
  kc.close();
  log.info("speaker stopped");
  return 0;
}
