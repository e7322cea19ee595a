// FRR, BIRD and GoBGP peer with each other in the lab; GoBGP's prefixes reach the others' RIBs;
// teardown leaves no namespace and no process behind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive, waitFor } from "../../src/sys/proc.js";
import { Lab, startBird, startFrr, startGobgp } from "../../src/lab/net/index.js";
import type { BgpRouter, BgpRouterSpec, GobgpRouter } from "../../src/lab/net/index.js";
import { run } from "../../src/sys/proc.js";

const routers = {
  frr: { asn: 64512, v4: "192.0.2.1", v6: "2001:db8:0:1::1" },
  bird: { asn: 64513, v4: "192.0.2.2", v6: "2001:db8:0:1::2" },
  gobgp: { asn: 4200000001, v4: "192.0.2.3", v6: "2001:db8:0:1::3" },
};
type Name = keyof typeof routers;
const names = Object.keys(routers) as Name[];

function spec(host: Name): BgpRouterSpec {
  const me = routers[host];
  return {
    host,
    asn: me.asn,
    routerId: me.v4,
    neighbors: names
      .filter((n) => n !== host)
      .flatMap((n) => [
        { address: routers[n].v4, asn: routers[n].asn, holdTime: 9 },
        { address: routers[n].v6, asn: routers[n].asn, holdTime: 9 },
      ]),
  };
}

describe("lab: FRR, BIRD and GoBGP interoperate", () => {
  let lab: Lab;
  const r = {} as Record<Name, BgpRouter> & { gobgp: GobgpRouter };
  const attrs = { communities: ["64500:100", "65535:65281"], largeCommunities: ["4200000001:7:8"] };
  let pids: number[] = [];

  beforeAll(async () => {
    lab = await Lab.create({
      segments: ["lan"],
      hosts: names.map((n) => ({
        name: n,
        links: [{ segment: "lan", addresses: [`${routers[n].v4}/24`, `${routers[n].v6}/64`] }],
      })),
    });
    r.frr = await startFrr(lab, spec("frr"));
    r.bird = await startBird(lab, spec("bird"));
    r.gobgp = await startGobgp(lab, spec("gobgp"));
    await r.gobgp.announce("203.0.113.0/24", attrs);
    await r.gobgp.announce("2001:db8:ff::/48", attrs);
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it("every session is established", async () => {
    for (const n of names) {
      const expected = names.filter((o) => o !== n).flatMap((o) => [routers[o].v4, routers[o].v6]);
      await waitFor(
        `${n} sessions established`,
        async () => {
          const s = await r[n].sessions();
          return expected.every((a) => s[a] === "Established") ? true : undefined;
        },
        60_000,
        500,
      );
    }
  });

  it.each(["frr", "bird"] as const)("GoBGP's IPv4 and IPv6 prefixes are in %s's RIB", async (n) => {
    const v4 = await waitFor(
      `203.0.113.0/24 in ${n}`,
      async () =>
        (await r[n].rib(4)).find((p) => p.prefix === "203.0.113.0/24" && p.asPath.length === 1),
      30_000,
      500,
    );
    expect(v4.asPath).toEqual([routers.gobgp.asn]);
    expect(v4.nextHop).toBe(routers.gobgp.v4);
    expect(v4.communities).toEqual(attrs.communities);
    expect(v4.largeCommunities).toEqual(attrs.largeCommunities);
    const v6 = await waitFor(
      `2001:db8:ff::/48 in ${n}`,
      async () =>
        (await r[n].rib(6)).find((p) => p.prefix === "2001:db8:ff::/48" && p.asPath.length === 1),
      30_000,
      500,
    );
    expect(v6.asPath).toEqual([routers.gobgp.asn]);
    expect(v6.nextHop).toBe(routers.gobgp.v6);
    expect(v6.communities).toEqual(attrs.communities);
  });

  it("NO_EXPORT is honoured: nobody passes GoBGP's prefix on", async () => {
    await waitFor(
      "203.0.113.0/24 in frr",
      async () => ((await r.frr.rib(4)).length ? true : undefined),
      30_000,
      300,
    );
    for (const n of ["frr", "bird"] as const) {
      expect(
        (await r[n].rib(4)).filter((p) => p.prefix === "203.0.113.0/24").map((p) => p.asPath),
      ).toEqual([[routers.gobgp.asn]]);
    }
  });

  it("a withdrawal reaches the other RIBs", async () => {
    await r.gobgp.withdraw("198.51.100.0/24").catch(() => undefined); // never announced: no-op
    await r.gobgp.announce("198.51.100.0/24");
    await waitFor(
      "198.51.100.0/24 in bird",
      async () =>
        (await r.bird.rib(4)).some((p) => p.prefix === "198.51.100.0/24") ? true : undefined,
      30_000,
      300,
    );
    await r.gobgp.withdraw("198.51.100.0/24");
    for (const n of ["frr", "bird"] as const) {
      await waitFor(
        `198.51.100.0/24 gone from ${n}`,
        async () =>
          (await r[n].rib(4)).some((p) => p.prefix === "198.51.100.0/24") ? undefined : true,
        30_000,
        300,
      );
    }
  });

  it("teardown leaves no namespace and no process behind", async () => {
    const namespaces = await lab.namespaces();
    expect(namespaces.length).toBe(names.length + 1);
    pids = (await Promise.all(namespaces.map((ns) => run(["ip", "netns", "pids", ns])))).flatMap(
      (o) => o.split("\n").filter(Boolean).map(Number),
    );
    expect(pids.length).toBeGreaterThanOrEqual(4); // zebra, bgpd, bird, gobgpd
    await lab.destroy();
    expect(await lab.namespaces()).toEqual([]);
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
