// Rotating the heartbeat key across three running speakers, node by node as a rolling update of
// the key Secret would: accept the new key everywhere, seal with it everywhere, drop the old one.
// Throughout, every VIP has exactly one answerer and no speaker declares another dead; the
// heartbeats sealed with the new key are seen accepted under it.
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sample } from "../../src/lab/cluster.js";
import { client } from "../../src/lab/net/index.js";
import { NODES, startSpeakerLab, type SpeakerLab } from "../../src/lab/speaker-lab.js";
import { waitFor } from "../../src/sys/proc.js";

const NS = "rotation";
const VIPS = Array.from({ length: 6 }, (_, i) => `192.0.2.${200 + i}`);
/** Longer than the speakers' key re-read interval (5 s). */
const SETTLE_MS = 6_500;

let c: SpeakerLab;

const resolveAll = async () => {
  const out = new Map<string, string | undefined>();
  for (const ip of VIPS) out.set(ip, await client.arpResolve(c.lab, "client", "eth0", ip));
  return out;
};

beforeAll(async () => {
  c = await startSpeakerLab({ namespaces: [NS] });
  await c.advertise(
    "rotation",
    VIPS.map((ip) => `${ip}/32`),
  );
  for (const [i, ip] of VIPS.entries())
    await c.service(NS, `rot${i}`, "IPv4", { "metallb.io/loadBalancerIPs": ip });
  await c.waitForLeases(NODES.length);
  for (const i of VIPS.keys())
    await waitFor(`rot${i} has one owner`, () => c.l2Owner(`rot${i}`), 120_000);
}, 400_000);

afterAll(async () => {
  await c?.stop();
});

describe("heartbeat key rotation across running speakers", () => {
  it(
    "one answerer per VIP and no dead peer through accept-next, switch, drop-previous",
    { timeout: 400_000 },
    async () => {
      const before = await waitFor(
        "the client resolves every VIP",
        async () => {
          const r = await resolveAll();
          return [...r.values()].every((m) => Object.values(c.macs).includes(m ?? ""))
            ? r
            : undefined;
        },
        60_000,
      );
      const newKey = randomBytes(32);
      const dir = (n: string) => c.keyDir(n);
      const cap = client.capture(c.lab, "client", "eth0", "arp");
      await cap.ready();
      /** One rolling step: `edit` on each node in turn, the VIPs checked while it takes effect. */
      const rolling = async (edit: (node: string) => void) => {
        for (const n of NODES) {
          edit(n);
          const until = Date.now() + SETTLE_MS;
          while (Date.now() < until) expect(await resolveAll()).toEqual(before);
        }
      };
      const current = (n: string) => join(dir(n), "key");
      const previous = new Map<string, Buffer>();
      // 1. Every node accepts the new key.
      await rolling((n) => writeFileSync(join(dir(n), "accept-next"), newKey));
      // 2. Every node seals with it, still accepting the old one.
      await rolling((n) => {
        previous.set(n, readFileSync(current(n)));
        writeFileSync(join(dir(n), "accept-previous"), previous.get(n)!);
        writeFileSync(current(n), newKey);
        rmSync(join(dir(n), "accept-next"));
      });
      // 3. The old key goes.
      await rolling((n) => rmSync(join(dir(n), "accept-previous")));
      const lines = await cap.stop();
      for (const ip of VIPS)
        expect(client.answerers(lines, ip), ip).toEqual(new Set([before.get(ip)]));
      for (const n of NODES) {
        const m = await c.metrics(n);
        expect(sample(m, "metallb_ts_heartbeat_peer_transitions_total", { state: "dead" }), n).toBe(
          0,
        );
        expect(sample(m, "metallb_ts_heartbeat_dropped_total", { reason: "auth" }), n).toBe(0);
        expect(sample(m, "metallb_ts_heartbeat_accepted_other_key_total"), n).toBeGreaterThan(0);
      }
    },
  );
});
