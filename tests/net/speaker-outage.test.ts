// Exactly one answerer per address through an API server outage, with real speakers in node
// namespaces and the client's own kernel: the API server stops for 60 s; the client keeps asking
// (ARP and NDP) and capturing every answer; an owner is SIGKILLed in the middle of the outage and
// its addresses must move to one survivor each; once the API server is back, nothing moves.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client } from "../../src/lab/net/index.js";
import { NODES, startSpeakerLab, type SpeakerLab } from "../../src/lab/speaker-lab.js";
import { waitFor } from "../../src/sys/proc.js";

const NS = "outage";
/** 10 IPv4 and 10 IPv6 addresses, one Service each. */
const VIPS = [
  ...Array.from({ length: 10 }, (_, i) => ({ ip: `192.0.2.${160 + i}`, family: "IPv4" as const })),
  ...Array.from({ length: 10 }, (_, i) => ({
    ip: `2001:db8::1:${(160 + i).toString(16)}`,
    family: "IPv6" as const,
  })),
].map((v, i) => ({ ...v, svc: `vip${i}` }));

let c: SpeakerLab;

/** Which MAC the client's kernel resolves each VIP to (a fresh ARP request / NS each). */
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

/** The client's kernel resolves every VIP (a ping fills its neighbour table; nothing replies). */
async function kernelResolveAll(): Promise<void> {
  await Promise.all(
    VIPS.map((v) =>
      c.lab
        .exec("client", ["ping", v.family === "IPv4" ? "-4" : "-6", "-c1", "-W1", v.ip])
        .catch(() => ""),
    ),
  );
}

/** The client's neighbour table entries for the VIPs (what its traffic would use). */
async function neighbourEntries(): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  for (const v of VIPS) out.set(v.ip, await client.neighbourMac(c.lab, "client", v.ip));
  return out;
}

const nodeOfMac = (mac: string | undefined) =>
  Object.entries(c.macs).find(([, m]) => m === mac)?.[0];

beforeAll(async () => {
  c = await startSpeakerLab({ namespaces: [NS] });
  await c.advertise(
    "outage",
    VIPS.map((v) => `${v.ip}/${v.family === "IPv4" ? 32 : 128}`),
  );
  for (const v of VIPS)
    await c.service(NS, v.svc, v.family, { "metallb.io/loadBalancerIPs": v.ip });
  await c.waitForLeases(NODES.length);
  for (const v of VIPS) await waitFor(`${v.svc} has one L2 owner`, () => c.l2Owner(v.svc), 120_000);
  // Every VIP answered by its owner before the outage starts.
  await waitFor(
    "the client resolves every VIP to a speaker",
    async () => {
      const r = await resolveAll();
      return [...r.values()].every((m) => nodeOfMac(m)) ? r : undefined;
    },
    60_000,
  );
}, 400_000);

afterAll(async () => {
  await c?.env.startApiServer().catch(() => undefined);
  await c?.stop();
});

describe("L2 speakers through an API server outage", () => {
  it(
    "one answerer per VIP for 60 s without the API server, a killed owner's VIPs move once, nothing moves when it returns",
    { timeout: 400_000 },
    async () => {
      const before = await resolveAll();
      await kernelResolveAll();
      expect(await neighbourEntries()).toEqual(before);
      const cap = client.capture(c.lab, "client", "eth0", "arp or icmp6");
      await cap.ready();
      await c.env.stopApiServer();
      const outageStart = Date.now();

      // 30 s of asking: every VIP keeps its owner; the client's entries never change.
      while (Date.now() - outageStart < 30_000) {
        expect(await resolveAll()).toEqual(before);
        expect(await neighbourEntries()).toEqual(before);
      }
      const linesBeforeKill = await cap.stop();
      for (const v of VIPS)
        expect(client.answerers(linesBeforeKill, v.ip), v.ip).toEqual(new Set([before.get(v.ip)]));

      // SIGKILL the node owning the most VIPs, still without an API server.
      const counts = new Map<string, number>();
      for (const m of before.values()) {
        const n = nodeOfMac(m) ?? "";
        counts.set(n, (counts.get(n) ?? 0) + 1);
      }
      const [victim] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [];
      if (!victim) throw new Error("no owner found");
      const moved = VIPS.filter((v) => nodeOfMac(before.get(v.ip)) === victim).map((v) => v.ip);
      const survivors = NODES.filter((n) => n !== victim).map((n) => c.macs[n]);
      const cap2 = client.capture(c.lab, "client", "eth0", "arp or icmp6");
      await cap2.ready();
      const killedAt = Date.now();
      process.kill(c.speakers[victim]!.pid, "SIGKILL");
      const after = await waitFor(
        `the client resolves ${victim}'s VIPs to survivors`,
        async () => {
          const r = await resolveAll();
          return moved.every((ip) => survivors.includes(r.get(ip))) ? r : undefined;
        },
        60_000,
        100,
      );
      console.log(
        `outage: ${moved.length} VIPs of ${victim} moved ${Date.now() - killedAt} ms after SIGKILL`,
      );
      for (const v of VIPS)
        if (!moved.includes(v.ip)) expect(after.get(v.ip), v.ip).toEqual(before.get(v.ip));
      // The rest of the outage: the new owners stay the only answerers.
      while (Date.now() - outageStart < 60_000) expect(await resolveAll()).toEqual(after);
      const linesAfterKill = await cap2.stop();
      const settled = linesAfterKill.filter((l) => {
        const t = client.captureTime(l, new Date(killedAt));
        return t !== undefined && t > killedAt + 5_000;
      });
      for (const v of VIPS)
        expect(client.answerers(settled, v.ip), v.ip).toEqual(new Set([after.get(v.ip)]));

      // The API server comes back: nothing moves (the killed node stays out: its heartbeats are
      // silent, and its Lease lapses a duration later).
      await c.env.startApiServer();
      const back = Date.now();
      while (Date.now() - back < 25_000) expect(await resolveAll()).toEqual(after);
    },
  );
});

describe("L2 speakers without heartbeats through an API server outage", () => {
  // Without heartbeats the Leases are all a speaker knows of the others: their verdicts must
  // freeze while the API server is away, not lapse (every speaker would then claim every VIP).
  let quiet: SpeakerLab;
  const FEW = VIPS.filter((_, i) => i % 4 === 0);

  beforeAll(async () => {
    quiet = await startSpeakerLab({ namespaces: [NS], heartbeats: false });
    await quiet.advertise(
      "outage",
      FEW.map((v) => `${v.ip}/${v.family === "IPv4" ? 32 : 128}`),
    );
    for (const v of FEW)
      await quiet.service(NS, v.svc, v.family, { "metallb.io/loadBalancerIPs": v.ip });
    await quiet.waitForLeases(NODES.length);
    for (const v of FEW)
      await waitFor(`${v.svc} has one L2 owner`, () => quiet.l2Owner(v.svc), 120_000);
  }, 400_000);

  afterAll(async () => {
    await quiet?.env.startApiServer().catch(() => undefined);
    await quiet?.stop();
  });

  it(
    "keeps one answerer per VIP for 40 s without the API server, and nothing moves after",
    { timeout: 300_000 },
    async () => {
      const resolve = async () => {
        const out = new Map<string, string | undefined>();
        for (const v of FEW)
          out.set(
            v.ip,
            v.family === "IPv4"
              ? await client.arpResolve(quiet.lab, "client", "eth0", v.ip)
              : await client.ndpResolve(quiet.lab, "client", "eth0", v.ip),
          );
        return out;
      };
      const before = await waitFor(
        "the client resolves every VIP to a speaker",
        async () => {
          const r = await resolve();
          return [...r.values()].every((m) => Object.values(quiet.macs).includes(m ?? ""))
            ? r
            : undefined;
        },
        60_000,
      );
      const cap = client.capture(quiet.lab, "client", "eth0", "arp or icmp6");
      await cap.ready();
      await quiet.env.stopApiServer();
      const start = Date.now();
      while (Date.now() - start < 40_000) expect(await resolve()).toEqual(before);
      const lines = await cap.stop();
      for (const v of FEW)
        expect(client.answerers(lines, v.ip), v.ip).toEqual(new Set([before.get(v.ip)]));
      await quiet.env.startApiServer();
      const back = Date.now();
      while (Date.now() - back < 20_000) expect(await resolve()).toEqual(before);
    },
  );
});
