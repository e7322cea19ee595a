// TCP MD5 (RFC 2385) and TTL on real sessions against FRR, BIRD and GoBGP: with the shared key
// the session comes up and routes arrive, with a wrong key or none it never does; single-hop eBGP
// packets leave with TTL 1.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSpeaker, type LabSpeaker } from "../../src/lab/net/bgp-speaker.js";
import {
  client,
  Lab,
  startBird,
  startFrr,
  startGobgp,
  type BgpRouter,
} from "../../src/lab/net/index.js";
import { waitFor } from "../../src/sys/proc.js";
import type { PeerConfig } from "../../src/runtime/bgp/index.js";

const KEY = "md5-shared-key";
const ROUTER_ASN = 64512;
const KINDS = ["frr", "bird", "gobgp"] as const;
type Kind = (typeof KINDS)[number];
const ROUTERS: Record<Kind, { v4: string; v6: string }> = {
  frr: { v4: "192.0.2.1", v6: "2001:db8:0:1::1" },
  bird: { v4: "192.0.2.2", v6: "2001:db8:0:1::2" },
  gobgp: { v4: "192.0.2.3", v6: "2001:db8:0:1::3" },
};
/** Signs with the right key: eBGP with a 4-octet AS, IPv4 and IPv6 sessions. */
const GOOD = { host: "good", v4: "192.0.2.11", v6: "2001:db8:0:1::11", asn: 4200000001 };
/** Listens, FRR dials it: the key must be on the listening socket. */
const PASSIVE = { host: "passive", v4: "192.0.2.13", asn: 64514 };
/** Signs with a wrong key (FRR, GoBGP) or not at all (BIRD). */
const BAD = { host: "bad", v4: "192.0.2.12", asn: 64513 };

let lab: Lab;
const routers = {} as Record<Kind, BgpRouter>;
let good: LabSpeaker;
let bad: LabSpeaker;
let passive: LabSpeaker;

const peer = (address: string, localAsn: number, routerId: string, extra: Partial<PeerConfig>) =>
  ({
    address,
    localAsn,
    peerAsn: ROUTER_ASN,
    routerId,
    holdTime: 6,
    families: [address.includes(":") ? 6 : 4],
    connectRetry: { initialMs: 500, maxMs: 2000 },
    ...extra,
  }) satisfies PeerConfig;

beforeAll(async () => {
  lab = await Lab.create({
    segments: ["lan"],
    hosts: [
      ...KINDS.map((k) => ({
        name: k,
        links: [{ segment: "lan", addresses: [`${ROUTERS[k].v4}/24`, `${ROUTERS[k].v6}/64`] }],
      })),
      {
        name: GOOD.host,
        links: [{ segment: "lan", addresses: [`${GOOD.v4}/24`, `${GOOD.v6}/64`] }],
      },
      { name: BAD.host, links: [{ segment: "lan", addresses: [`${BAD.v4}/24`] }] },
      { name: PASSIVE.host, links: [{ segment: "lan", addresses: [`${PASSIVE.v4}/24`] }] },
    ],
  });
  const start = { frr: startFrr, bird: startBird, gobgp: startGobgp };
  for (const k of KINDS)
    routers[k] = await start[k](lab, {
      host: k,
      asn: ROUTER_ASN,
      routerId: ROUTERS[k].v4,
      neighbors: [
        { address: GOOD.v4, asn: GOOD.asn, password: KEY, holdTime: 6 },
        { address: GOOD.v6, asn: GOOD.asn, password: KEY, holdTime: 6 },
        { address: BAD.v4, asn: BAD.asn, password: KEY, holdTime: 6 },
        ...(k === "frr"
          ? [{ address: PASSIVE.v4, asn: PASSIVE.asn, password: KEY, holdTime: 6 }]
          : []),
      ],
    });
  good = await startSpeaker(lab, GOOD.host);
  bad = await startSpeaker(lab, BAD.host);
  passive = await startSpeaker(lab, PASSIVE.host, { listen: { port: 179 } });
  await passive.addPeer(
    peer(ROUTERS.frr.v4, PASSIVE.asn, PASSIVE.v4, { password: KEY, passive: true }),
  );
  for (const k of KINDS) {
    for (const address of [ROUTERS[k].v4, ROUTERS[k].v6])
      await good.addPeer(peer(address, GOOD.asn, GOOD.v4, { password: KEY, ttl: 1 }));
    await bad.addPeer(
      peer(ROUTERS[k].v4, BAD.asn, BAD.v4, k === "bird" ? {} : { password: "not-the-key" }),
    );
  }
  await good.setRoutes([
    { prefix: "203.0.113.7/32", communities: [], largeCommunities: [] },
    { prefix: "2001:db8:ff::7/128", communities: [], largeCommunities: [] },
  ]);
  await bad.setRoutes([{ prefix: "203.0.113.8/32", communities: [], largeCommunities: [] }]);
}, 180_000);

afterAll(async () => {
  await good?.stop().catch(() => undefined);
  await bad?.stop().catch(() => undefined);
  await passive?.stop().catch(() => undefined);
  for (const r of Object.values(routers)) await r.stop().catch(() => undefined);
  await lab?.destroy();
});

describe("TCP MD5 signatures on BGP sessions", () => {
  it.each(KINDS)("%s: sessions with the shared key establish and carry routes", async (k) => {
    for (const [family, address, prefix] of [
      [4, GOOD.v4, "203.0.113.7/32"],
      [6, GOOD.v6, "2001:db8:ff::7/128"],
    ] as const) {
      await waitFor(
        `${k}: the signed session from ${address} to be Established`,
        async () => ((await routers[k].sessions())[address] === "Established" ? true : undefined),
        60_000,
        300,
      );
      const path = await waitFor(
        `${prefix} in ${k}'s RIB`,
        async () => (await routers[k].rib(family)).find((p) => p.prefix === prefix),
        60_000,
        300,
      );
      expect(path.asPath).toEqual([GOOD.asn]);
    }
  });

  it.each(KINDS)("%s: a wrong key or none never establishes", async (k) => {
    // The kernel drops the badly signed SYNs, so the attempts just time out: watch a while.
    expect(
      bad.events.some((e) => e.event.type === "connecting" && e.event.peer === ROUTERS[k].v4),
    ).toBe(true);
    for (let t = 0; t < 10; t++) {
      expect((await routers[k].sessions())[BAD.v4]).not.toBe("Established");
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(bad.events.some((e) => e.event.type === "up")).toBe(false);
    expect((await routers[k].rib(4)).some((p) => p.prefix === "203.0.113.8/32")).toBe(false);
  });

  it("FRR dials our listener with the key and the session establishes", async () => {
    const up = await passive.waitForEvent("the inbound signed session", (e) => e.type === "up", {
      timeoutMs: 60_000,
    });
    expect(up.event.type === "up" && up.event.inbound).toBe(true);
    expect((await routers.frr.sessions())[PASSIVE.v4]).toBe("Established");
  });
});

describe("TTL", () => {
  it("single-hop eBGP packets leave with TTL 1 (IPv4) and hop limit 1 (IPv6)", async () => {
    const cap = client.capture(
      lab,
      "frr",
      "eth0",
      `tcp port 179 and (src host ${GOOD.v4} or src host ${GOOD.v6})`,
    );
    await cap.ready();
    // Keepalives every 2 s (hold time 6 s) on both sessions.
    await new Promise((r) => setTimeout(r, 5000));
    const lines = await cap.stop({ verbose: true });
    const v4 = lines.filter((l) => l.includes("IPv4"));
    const v6 = lines.filter((l) => l.includes("IPv6"));
    expect(v4.length).toBeGreaterThan(0);
    expect(v6.length).toBeGreaterThan(0);
    for (const l of v4) expect(l).toMatch(/\bttl 1\b/);
    for (const l of v6) expect(l).toMatch(/\bhlim 1\b/);
  }, 60_000);
});
