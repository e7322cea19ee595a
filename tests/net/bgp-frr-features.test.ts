// FRR with our speaker beyond plain announcements: two speakers on two nodes give FRR an ECMP
// route; a crashed speaker with graceful restart keeps its routes at FRR until it is back (and
// without graceful restart it does not); transport options: passive mode, source address, port;
// an eBGP peer two hops away.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSpeaker, type LabSpeaker } from "../../src/lab/net/bgp-speaker.js";
import {
  Lab,
  startFrr,
  type BgpRouter,
  type BgpRouterSpec,
  type RibPath,
} from "../../src/lab/net/index.js";
import { waitFor } from "../../src/sys/proc.js";
import type { PeerConfig, Route } from "../../src/runtime/bgp/index.js";

const FRR = { v4: "192.0.2.1", v6: "2001:db8:0:1::1", asn: 64512 };
const NODE_ASN = 64600;
const node = (i: number) => ({
  host: `node${i}`,
  v4: `192.0.2.${10 + i}`,
  v6: `2001:db8:0:1::${10 + i}`,
});

const lan = (hosts: { host: string; v4: string; v6: string }[]) => ({
  segments: ["lan"],
  hosts: [{ host: "frr", v4: FRR.v4, v6: FRR.v6 }, ...hosts].map((h) => ({
    name: h.host,
    links: [{ segment: "lan", addresses: [`${h.v4}/24`, `${h.v6}/64`] }],
  })),
});

const peerOf = (n: { v4: string }, extra: Partial<PeerConfig> = {}): PeerConfig => ({
  address: FRR.v4,
  localAsn: NODE_ASN,
  peerAsn: FRR.asn,
  routerId: n.v4,
  holdTime: 9,
  families: [4, 6],
  connectRetry: { initialMs: 1000, maxMs: 4000 },
  ...extra,
});

const route = (prefix: string): Route => ({
  prefix,
  communities: ["64500:7"],
  largeCommunities: [],
});

async function paths(frr: BgpRouter, prefix: string, count: number): Promise<RibPath[]> {
  return waitFor(
    `${count} path(s) for ${prefix} at FRR`,
    async () => {
      const found = (await frr.rib(prefix.includes(":") ? 6 : 4)).filter(
        (p) => p.prefix === prefix,
      );
      return found.length === count ? found : undefined;
    },
    60_000,
    300,
  );
}

describe("FRR installs both nodes' next hops for one Service address (ECMP)", () => {
  let lab: Lab;
  let frr: BgpRouter;
  const speakers: LabSpeaker[] = [];
  const nodes = [node(1), node(2)];

  beforeAll(async () => {
    lab = await Lab.create(lan(nodes));
    frr = await startFrr(lab, {
      host: "frr",
      asn: FRR.asn,
      routerId: FRR.v4,
      maximumPaths: 4,
      neighbors: nodes.map((n) => ({
        address: n.v4,
        asn: NODE_ASN,
        holdTime: 9,
        families: [4, 6],
      })),
    });
    for (const n of nodes) {
      const s = await startSpeaker(lab, n.host);
      await s.addPeer(peerOf(n));
      await s.setRoutes([route("203.0.113.100/32"), route("2001:db8:ff::100/128")]);
      speakers.push(s);
    }
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it.each([
    ["203.0.113.100/32", "ip"],
    ["2001:db8:ff::100/128", "ip -6"],
  ])("%s: two BGP paths, both in the kernel's route", async (prefix, ip) => {
    const found = await paths(frr, prefix, 2);
    const v6 = prefix.includes(":");
    expect(found.map((p) => p.nextHop).sort()).toEqual(nodes.map((n) => (v6 ? n.v6 : n.v4)).sort());
    const kernel = await waitFor(
      `two next hops for ${prefix} in FRR's kernel table`,
      async () => {
        const out = await lab.exec("frr", [...ip.split(" "), "route", "show", prefix]);
        return (out.match(/nexthop via/g) ?? []).length === 2 ? out : undefined;
      },
      30_000,
      300,
    );
    // IPv4 goes via the nodes' addresses; IPv6 via their link-local addresses on eth0.
    if (!v6) for (const n of nodes) expect(kernel).toContain(`via ${n.v4}`);
    else expect((kernel.match(/via fe80::/g) ?? []).length).toBe(2);
  });

  it("one node withdraws: a single path remains", async () => {
    await speakers[0]?.setRoutes([]);
    const [left] = await paths(frr, "203.0.113.100/32", 1);
    expect(left?.nextHop).toBe(nodes[1]?.v4);
  });
});

describe("graceful restart: FRR keeps a crashed speaker's routes until it is back", () => {
  let lab: Lab;
  let frr: BgpRouter;
  const n = node(1);
  const ROUTES = [route("203.0.113.50/32"), route("2001:db8:ff::50/128")];

  const frrSpec: BgpRouterSpec = {
    host: "frr",
    asn: FRR.asn,
    routerId: FRR.v4,
    neighbors: [{ address: n.v4, asn: NODE_ASN, holdTime: 9, families: [4, 6] }],
  };

  beforeAll(async () => {
    lab = await Lab.create(lan([n]));
    frr = await startFrr(lab, frrSpec);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  async function up(gracefulRestart: boolean): Promise<LabSpeaker> {
    const s = await startSpeaker(lab, n.host);
    await s.addPeer(peerOf(n, gracefulRestart ? { gracefulRestart: { restartTime: 60 } } : {}));
    await s.setRoutes(ROUTES);
    await s.waitForEvent("session up", (e) => e.type === "up");
    return s;
  }

  /** Samples FRR's view of the prefix every 200 ms until `until` resolves. */
  async function watch(
    prefix: string,
    until: Promise<unknown>,
  ): Promise<("fresh" | "stale" | "absent")[]> {
    const seen: ("fresh" | "stale" | "absent")[] = [];
    let done = false;
    void until.finally(() => (done = true));
    while (!done) {
      const p = (await frr.rib(prefix.includes(":") ? 6 : 4)).find((x) => x.prefix === prefix);
      seen.push(!p ? "absent" : p.stale ? "stale" : "fresh");
      await new Promise((r) => setTimeout(r, 200));
    }
    return seen;
  }

  it("with the capability: stale during the outage, fresh after End-of-RIB, never withdrawn", async () => {
    const first = await up(true);
    await paths(frr, "203.0.113.50/32", 1);
    await paths(frr, "2001:db8:ff::50/128", 1);
    const neighbor = (await frr.sessions())[n.v4];
    expect(neighbor).toBe("Established");

    const outage = (async () => {
      await first.kill(); // no NOTIFICATION: the kernel just closes the socket
      await new Promise((r) => setTimeout(r, 3000));
      const second = await up(true);
      // Back: FRR clears the stale mark once our End-of-RIB arrives.
      await waitFor(
        "fresh routes after the restart",
        async () => {
          const v4 = (await frr.rib(4)).find((p) => p.prefix === "203.0.113.50/32");
          const v6 = (await frr.rib(6)).find((p) => p.prefix === "2001:db8:ff::50/128");
          return v4 && v6 && !v4.stale && !v6.stale ? true : undefined;
        },
        30_000,
        200,
      );
      await new Promise((r) => setTimeout(r, 500));
      return second;
    })();
    const [v4, v6] = await Promise.all([
      watch("203.0.113.50/32", outage),
      watch("2001:db8:ff::50/128", outage),
    ]);
    for (const seen of [v4, v6]) {
      expect(seen).not.toContain("absent");
      expect(seen).toContain("stale");
      expect(seen.at(-1)).toBe("fresh");
    }
    await (await outage).stop();
    await waitFor(
      "routes withdrawn after a clean stop",
      async () =>
        (await frr.rib(4)).some((p) => p.prefix === "203.0.113.50/32") ? undefined : true,
      30_000,
      300,
    );
  });

  it("without the capability (control): the same crash withdraws the routes at once", async () => {
    const first = await up(false);
    await paths(frr, "203.0.113.50/32", 1);
    await first.kill();
    // Well within the 60 s restart time the first test relied on.
    await waitFor(
      "routes withdrawn after the crash",
      async () =>
        (await frr.rib(4)).some((p) => p.prefix === "203.0.113.50/32") ? undefined : true,
      20_000,
      200,
    );
  });
});

describe("transport: passive speaker, source address, peer port", () => {
  let lab: Lab;
  const n = { host: "node1", v4: "192.0.2.11", v6: "2001:db8:0:1::11" };
  const SECOND = "192.0.2.21";
  let frr: BgpRouter;
  let passive: LabSpeaker;
  let sourced: LabSpeaker;

  beforeAll(async () => {
    const topo = lan([n, { host: "node2", v4: "192.0.2.12", v6: "2001:db8:0:1::12" }]);
    const node2 = topo.hosts.find((h) => h.name === "node2");
    node2?.links[0]?.addresses.push(`${SECOND}/24`);
    lab = await Lab.create(topo);
    frr = await startFrr(lab, {
      host: "frr",
      asn: FRR.asn,
      routerId: FRR.v4,
      listenPort: 1790,
      neighbors: [
        { address: n.v4, asn: NODE_ASN, holdTime: 9, families: [4] },
        { address: SECOND, asn: NODE_ASN, holdTime: 9, families: [4] },
      ],
    });
    // node1 only listens: FRR must open the session (to port 179).
    passive = await startSpeaker(lab, n.host, { listen: { port: 179 } });
    await passive.addPeer(peerOf(n, { passive: true, families: [4] }));
    await passive.setRoutes([route("203.0.113.61/32")]);
    // node2 connects from its second address to FRR's non-standard port.
    sourced = await startSpeaker(lab, "node2");
    await sourced.addPeer(
      peerOf({ v4: SECOND }, { sourceAddress: SECOND, port: 1790, families: [4] }),
    );
    await sourced.setRoutes([route("203.0.113.62/32")]);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it("a passive speaker accepts FRR's connection and announces over it", async () => {
    const upEvent = await passive.waitForEvent("up", (e) => e.type === "up");
    expect(upEvent.event).toMatchObject({ inbound: true });
    expect(passive.events.some((e) => e.event.type === "connecting")).toBe(false);
    const [p] = await paths(frr, "203.0.113.61/32", 1);
    expect(p?.nextHop).toBe(n.v4);
  });

  it("a session from a chosen source address to a chosen port; that address is the next hop", async () => {
    const upEvent = await sourced.waitForEvent("up", (e) => e.type === "up");
    expect(upEvent.event).toMatchObject({ inbound: false, localAddress: SECOND });
    const [p] = await paths(frr, "203.0.113.62/32", 1);
    expect(p?.nextHop).toBe(SECOND);
    expect((await frr.sessions())[SECOND]).toBe("Established");
  });
});

describe("eBGP multihop: FRR two hops away, behind a forwarding node", () => {
  let lab: Lab;
  let frr: BgpRouter;

  beforeAll(async () => {
    lab = await Lab.create({
      segments: ["lan", "far"],
      hosts: [
        { name: "frr", links: [{ segment: "lan", addresses: ["192.0.2.1/24"] }] },
        {
          name: "gw",
          links: [
            { segment: "lan", addresses: ["192.0.2.254/24"] },
            { segment: "far", addresses: ["198.51.100.254/24"] },
          ],
        },
        { name: "node1", links: [{ segment: "far", addresses: ["198.51.100.10/24"] }] },
      ],
    });
    await lab.exec("gw", ["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    await lab.exec("frr", ["ip", "route", "add", "198.51.100.0/24", "via", "192.0.2.254"]);
    await lab.exec("node1", ["ip", "route", "add", "192.0.2.0/24", "via", "198.51.100.254"]);
    frr = await startFrr(lab, {
      host: "frr",
      asn: FRR.asn,
      routerId: FRR.v4,
      neighbors: [
        { address: "198.51.100.10", asn: NODE_ASN, holdTime: 9, families: [4], ebgpMultihop: 2 },
      ],
    });
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it("the session comes up through the hop and the route arrives with our address as next hop", async () => {
    const s = await startSpeaker(lab, "node1");
    await s.addPeer(peerOf({ v4: "198.51.100.10" }, { families: [4] }));
    await s.setRoutes([route("203.0.113.70/32")]);
    const up = await s.waitForEvent("up", (e) => e.type === "up");
    expect(up.event).toMatchObject({ localAddress: "198.51.100.10" });
    const [p] = await paths(frr, "203.0.113.70/32", 1);
    expect(p?.nextHop).toBe("198.51.100.10");
    expect(p?.asPath).toEqual([NODE_ASN]);
  });
});
