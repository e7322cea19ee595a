// Exactly one answerer per address when speakers' clocks disagree: n2's clock runs 30 s ahead
// and n3's 30 s behind (libfaketime), as on nodes whose NTP failed. Leases are judged on each
// speaker's own clock, so no node owns everything and none is declared dead while it answers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client } from "../../src/lab/net/index.js";
import { NODES, startSpeakerLab, type SpeakerLab } from "../../src/lab/speaker-lab.js";
import { waitFor } from "../../src/sys/proc.js";
import { skewedClock } from "../../src/sys/tools.js";

const NS = "skew";
const VIPS = [
  ...Array.from({ length: 6 }, (_, i) => ({ ip: `192.0.2.${180 + i}`, family: "IPv4" as const })),
  ...Array.from({ length: 6 }, (_, i) => ({
    ip: `2001:db8::1:${(180 + i).toString(16)}`,
    family: "IPv6" as const,
  })),
].map((v, i) => ({ ...v, svc: `skew${i}` }));

let c: SpeakerLab;

async function resolveAll(): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  for (const v of VIPS)
    out.set(
      v.ip,
      v.family === "IPv4"
        ? await client.arpResolve(c.lab, "client", "eth0", v.ip)
        : await client.ndpResolve(c.lab, "client", "eth0", v.ip),
    );
  return out;
}

const nodeOfMac = (mac: string | undefined) =>
  Object.entries(c.macs).find(([, m]) => m === mac)?.[0];

beforeAll(async () => {
  c = await startSpeakerLab({
    namespaces: [NS],
    wrap: { n2: skewedClock("+30s"), n3: skewedClock("-30s") },
  });
  await c.advertise(
    "skew",
    VIPS.map((v) => `${v.ip}/${v.family === "IPv4" ? 32 : 128}`),
  );
  for (const v of VIPS)
    await c.service(NS, v.svc, v.family, { "metallb.io/loadBalancerIPs": v.ip });
  await c.waitForLeases(NODES.length);
  for (const v of VIPS) await waitFor(`${v.svc} has one L2 owner`, () => c.l2Owner(v.svc), 120_000);
}, 400_000);

afterAll(async () => {
  await c?.stop();
});

describe("L2 speakers with skewed clocks (+30 s, -30 s)", () => {
  it(
    "one answerer per VIP for 30 s, owners on every node, stable",
    { timeout: 300_000 },
    async () => {
      // Past the Lease duration, where a clock-based verdict would already have gone wrong.
      await new Promise((r) => setTimeout(r, 15_000));
      const before = await waitFor(
        "the client resolves every VIP to a speaker",
        async () => {
          const r = await resolveAll();
          return [...r.values()].every((m) => nodeOfMac(m)) ? r : undefined;
        },
        60_000,
      );
      expect(new Set([...before.values()].map(nodeOfMac))).toEqual(new Set(NODES));
      const cap = client.capture(c.lab, "client", "eth0", "arp or icmp6");
      await cap.ready();
      const start = Date.now();
      while (Date.now() - start < 30_000) expect(await resolveAll()).toEqual(before);
      const lines = await cap.stop();
      for (const v of VIPS)
        expect(client.answerers(lines, v.ip), v.ip).toEqual(new Set([before.get(v.ip)]));
    },
  );
});
