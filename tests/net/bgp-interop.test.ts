// Our BGP speaker against FRR, BIRD and GoBGP, each router reading what it learnt from its own
// RIB: an iBGP session with a 2-octet ASN (separate IPv4 and IPv6 sessions) and an eBGP session
// with a 4-octet ASN (IPv4 and IPv6 over one IPv4 session); attributes, packing, withdrawal,
// router restart, and a dead router (hold-timer expiry, reconnect with backoff).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSpeaker, type LabSpeaker } from "../../src/lab/net/bgp-speaker.js";
import { Lab, startBird, startFrr, startGobgp } from "../../src/lab/net/index.js";
import type { BgpRouter, BgpRouterSpec, RibPath } from "../../src/lab/net/index.js";
import { waitFor } from "../../src/sys/proc.js";
import type { PeerConfig, Route } from "../../src/runtime/bgp/index.js";

const ROUTER = { v4: "192.0.2.1", v6: "2001:db8:0:1::1", asn: 64512 };
const IBGP = { host: "ibgp", v4: "192.0.2.11", v6: "2001:db8:0:1::11", asn: 64512 };
const EBGP = { host: "ebgp", v4: "192.0.2.12", v6: "2001:db8:0:1::12", asn: 4200000001 };
const HOLD = 6;

const routerSpec = (kind: string): BgpRouterSpec => ({
  host: kind,
  asn: ROUTER.asn,
  routerId: ROUTER.v4,
  neighbors: [
    { address: IBGP.v4, asn: IBGP.asn, holdTime: HOLD, families: [4] },
    { address: IBGP.v6, asn: IBGP.asn, holdTime: HOLD, families: [6] },
    { address: EBGP.v4, asn: EBGP.asn, holdTime: HOLD, families: [4, 6] },
  ],
});

const peer = (
  address: string,
  localAsn: number,
  routerId: string,
  families: (4 | 6)[],
): PeerConfig => ({
  address,
  localAsn,
  peerAsn: ROUTER.asn,
  routerId,
  holdTime: HOLD,
  families,
  connectRetry: { initialMs: 1000, maxMs: 8000 },
});

const route = (prefix: string, tag: number): Route => ({
  prefix,
  localPref: 250,
  communities: [`64500:${tag}`, "65535:65281"],
  largeCommunities: [`4200000001:${tag}:${tag}`],
});

const IBGP_V4 = route("203.0.113.1/32", 1);
const IBGP_V6 = route("2001:db8:ff::1/128", 2);
const EBGP_V4 = route("203.0.113.2/32", 3);
const EBGP_V6 = route("2001:db8:ff::2/128", 4);

const starters = { frr: startFrr, bird: startBird, gobgp: startGobgp };

async function ribPath(r: BgpRouter, prefix: string): Promise<RibPath> {
  const family = prefix.includes(":") ? 6 : 4;
  return waitFor(
    `${prefix} in ${r.kind}'s RIB`,
    async () => (await r.rib(family)).find((p) => p.prefix === prefix),
    60_000,
    300,
  );
}

async function gone(r: BgpRouter, prefix: string): Promise<void> {
  const family = prefix.includes(":") ? 6 : 4;
  await waitFor(
    `${prefix} gone from ${r.kind}'s RIB`,
    async () => ((await r.rib(family)).some((p) => p.prefix === prefix) ? undefined : true),
    60_000,
    300,
  );
}

const sorted = (xs: string[]) => [...xs].sort();

describe.each(["frr", "bird", "gobgp"] as const)("native speaker ↔ %s", (kind) => {
  let lab: Lab;
  let router: BgpRouter;
  let ibgp: LabSpeaker;
  let ebgp: LabSpeaker;

  beforeAll(async () => {
    lab = await Lab.create({
      segments: ["lan"],
      hosts: [
        {
          name: kind,
          links: [{ segment: "lan", addresses: [`${ROUTER.v4}/24`, `${ROUTER.v6}/64`] }],
        },
        ...[IBGP, EBGP].map((s) => ({
          name: s.host,
          links: [{ segment: "lan", addresses: [`${s.v4}/24`, `${s.v6}/64`] }],
        })),
      ],
    });
    router = await starters[kind](lab, routerSpec(kind));
    ibgp = await startSpeaker(lab, IBGP.host, { seed: 1 });
    ebgp = await startSpeaker(lab, EBGP.host, { seed: 2 });
    await ibgp.addPeer(peer(ROUTER.v4, IBGP.asn, IBGP.v4, [4]));
    await ibgp.addPeer(peer(ROUTER.v6, IBGP.asn, IBGP.v4, [6]));
    await ebgp.addPeer(peer(ROUTER.v4, EBGP.asn, EBGP.v4, [4, 6]));
    await ibgp.setRoutes([IBGP_V4], ROUTER.v4);
    await ibgp.setRoutes([IBGP_V6], ROUTER.v6);
    await ebgp.setRoutes([EBGP_V4, EBGP_V6]);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it("sessions establish: iBGP (2-octet AS) and eBGP (4-octet AS), as the speaker and the router see them", async () => {
    for (const [s, address] of [
      [ibgp, ROUTER.v4],
      [ibgp, ROUTER.v6],
      [ebgp, ROUTER.v4],
    ] as const) {
      await s.waitForEvent(`up with ${address}`, (e) => e.type === "up" && e.peer === address);
    }
    const up = (s: LabSpeaker, address: string) =>
      s.events.find((e) => e.event.type === "up" && e.event.peer === address)?.event;
    expect(up(ibgp, ROUTER.v4)).toMatchObject({
      negotiated: {
        ibgp: true,
        peerAsn: ROUTER.asn,
        fourOctetAs: true,
        holdTime: HOLD,
        families: [4],
      },
    });
    expect(up(ibgp, ROUTER.v6)).toMatchObject({ negotiated: { ibgp: true, families: [6] } });
    expect(up(ebgp, ROUTER.v4)).toMatchObject({
      negotiated: { ibgp: false, peerAsn: ROUTER.asn, families: [4, 6] },
    });
    await waitFor(
      `${kind} sees three established sessions`,
      async () => {
        const s = await router.sessions();
        return [IBGP.v4, IBGP.v6, EBGP.v4].every((a) => s[a] === "Established") ? s : undefined;
      },
      30_000,
      300,
    );
  });

  it("iBGP routes arrive with our next hop, an empty AS path, LOCAL_PREF and both community kinds", async () => {
    for (const [r, nextHop] of [
      [IBGP_V4, IBGP.v4],
      [IBGP_V6, IBGP.v6],
    ] as const) {
      const p = await ribPath(router, r.prefix);
      expect(p.nextHop).toBe(nextHop);
      expect(p.asPath).toEqual([]);
      expect(p.localPref).toBe(250);
      expect(sorted(p.communities)).toEqual(sorted([...r.communities]));
      expect(p.largeCommunities).toEqual(r.largeCommunities);
    }
  });

  it("eBGP routes (IPv6 over the IPv4 session) carry our 4-octet AS and no LOCAL_PREF of ours", async () => {
    for (const [r, nextHop] of [
      [EBGP_V4, EBGP.v4],
      [EBGP_V6, EBGP.v6],
    ] as const) {
      const p = await ribPath(router, r.prefix);
      expect(p.nextHop).toBe(nextHop);
      expect(p.asPath).toEqual([EBGP.asn]);
      expect(p.localPref).not.toBe(250);
      expect(sorted(p.communities)).toEqual(sorted([...r.communities]));
      expect(p.largeCommunities).toEqual(r.largeCommunities);
    }
  });

  it("300 prefixes with equal attributes travel in one UPDATE and all reach the RIB", async () => {
    const before = (await ibgp.stats()).find((s) => s.peer === ROUTER.v4);
    const many = Array.from({ length: 300 }, (_, i) => ({
      ...IBGP_V4,
      prefix: i < 256 ? `198.51.100.${i}/32` : `203.0.113.${i - 156}/32`,
    }));
    await ibgp.setRoutes([IBGP_V4, ...many], ROUTER.v4);
    const after = (await ibgp.stats()).find((s) => s.peer === ROUTER.v4);
    expect((after?.updatesSent ?? 0) - (before?.updatesSent ?? 0)).toBe(1);
    expect(after?.prefixesAnnounced).toBe(301);
    await waitFor(
      `301 IPv4 prefixes in ${kind}`,
      async () => {
        const rib = await router.rib(4);
        const ours = rib.filter((p) => p.nextHop === IBGP.v4);
        return ours.length === 301 ? ours : undefined;
      },
      60_000,
      500,
    );
    await ibgp.setRoutes([IBGP_V4], ROUTER.v4);
    const last = (await ibgp.stats()).find((s) => s.peer === ROUTER.v4);
    expect((last?.updatesSent ?? 0) - (after?.updatesSent ?? 0)).toBe(1); // one withdrawal UPDATE
    await gone(router, "198.51.100.7/32");
  });

  it("a withdrawn route leaves the router's RIB; the others stay", async () => {
    await ibgp.setRoutes([], ROUTER.v4);
    await ebgp.setRoutes([EBGP_V4]);
    await gone(router, IBGP_V4.prefix);
    await gone(router, EBGP_V6.prefix);
    await ribPath(router, IBGP_V6.prefix);
    await ribPath(router, EBGP_V4.prefix);
    await ibgp.setRoutes([IBGP_V4], ROUTER.v4);
    await ebgp.setRoutes([EBGP_V4, EBGP_V6]);
    await ribPath(router, IBGP_V4.prefix);
    await ribPath(router, EBGP_V6.prefix);
  });

  // GoBGP never asks for a refresh (it keeps what it received), so it has no such case.
  if (kind !== "gobgp") {
    it("the router asks for a route refresh (RFC 2918): our routes are sent again", async () => {
      const mark = ebgp.events.length;
      const before = (await ebgp.stats())[0]?.updatesSent ?? 0;
      await router.softResetIn?.(EBGP.v4);
      await ebgp.waitForEvent("ROUTE-REFRESH", (e) => e.type === "routeRefresh", { since: mark });
      expect((await ebgp.stats())[0]?.updatesSent).toBeGreaterThan(before);
      for (const r of [EBGP_V4, EBGP_V6]) await ribPath(router, r.prefix);
    });
  }

  it("the router restarted: the session comes back and every route is sent again", async () => {
    const mark = ebgp.events.length;
    await router.stop();
    await ebgp.waitForEvent("session down", (e) => e.type === "down", { since: mark });
    router = await starters[kind](lab, routerSpec(kind));
    await ebgp.waitForEvent("session up again", (e) => e.type === "up", { since: mark });
    for (const r of [IBGP_V4, IBGP_V6, EBGP_V4, EBGP_V6]) await ribPath(router, r.prefix);
  });

  it("the router dies silently: hold timer expires, reconnects back off, routes return", async () => {
    const mark = ebgp.events.length;
    // Down means gone, not reconfigured: the kernel would drop its IPv6 addresses otherwise.
    await lab.exec(kind, ["sysctl", "-qw", "net.ipv6.conf.eth0.keep_addr_on_down=1"]);
    await lab.exec(kind, ["ip", "link", "set", "eth0", "down"]);
    await router.stop(); // its goodbye cannot leave: for us the router just went silent
    const down = await ebgp.waitForEvent("hold timer expiry", (e) => e.type === "down", {
      since: mark,
      timeoutMs: 30_000,
    });
    expect(down.event.type === "down" && down.event.reason).toContain("Hold Timer Expired");
    const attempts = () =>
      ebgp.events.slice(mark).filter((e) => e.event.type === "connecting" && e.at > down.at);
    await waitFor(
      "four reconnect attempts",
      () => Promise.resolve(attempts().length >= 4 ? true : undefined),
      90_000,
      200,
    );
    const at = attempts().map((e) => e.at);
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
    // Exponential backoff: the later gap is at least twice the first (delays 1 s·2^n·[0.75,1]).
    expect(gaps[gaps.length - 1]).toBeGreaterThan(2 * (gaps[0] as number));
    await lab.exec(kind, ["ip", "link", "set", "eth0", "up"]);
    router = await starters[kind](lab, routerSpec(kind));
    await ebgp.waitForEvent("session up after the outage", (e) => e.type === "up", { since: mark });
    for (const r of [IBGP_V4, IBGP_V6, EBGP_V4, EBGP_V6]) await ribPath(router, r.prefix);
  });
});
