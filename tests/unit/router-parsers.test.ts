// The lab reads real router output; these fixtures were captured from FRR 8.4, BIRD 2.0 and
// GoBGP 3.10 in the lab (GoBGP announcing with communities and a large community).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { birdConfig, parseBirdRoutes } from "../../src/lab/net/routers/bird.js";
import { frrBgpdConfig, parseFrrRoute } from "../../src/lab/net/routers/frr.js";
import { gobgpConfig, parseGobgpRib } from "../../src/lab/net/routers/gobgp.js";
import type { BgpRouterSpec } from "../../src/lab/net/routers/router.js";

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, "../fixtures/routers", name), "utf8");

const expected4 = {
  prefix: "203.0.113.0/24",
  nextHop: "192.0.2.3",
  asPath: [4200000001],
  communities: ["64500:100", "65535:65282"],
  largeCommunities: ["4200000001:1:2"],
  best: true,
};

describe("router output parsers", () => {
  it("FRR: path attributes, with well-known communities as numbers", () => {
    const json = JSON.parse(fixture("frr-route-ipv4.json")) as { prefix: string; paths: never[] };
    expect(parseFrrRoute(json.prefix, json.paths)).toEqual([expected4]);
  });

  it("FRR: IPv6 global next hop", () => {
    const json = JSON.parse(fixture("frr-route-ipv6.json")) as { prefix: string; paths: never[] };
    expect(parseFrrRoute(json.prefix, json.paths)).toMatchObject([
      { prefix: "2001:db8:ff::/48", nextHop: "2001:db8::3", communities: ["64500:200"] },
    ]);
  });

  it("BIRD: show route all", () => {
    expect(parseBirdRoutes(fixture("bird-routes-ipv4.txt"))).toEqual([
      { ...expected4, localPref: 100 },
    ]);
    expect(parseBirdRoutes(fixture("bird-routes-ipv6.txt"))).toMatchObject([
      {
        prefix: "2001:db8:ff::/48",
        nextHop: "2001:db8::3",
        communities: ["64500:200"],
        largeCommunities: [],
      },
    ]);
  });

  it("BIRD: several paths for one prefix, best marked", () => {
    const text = [
      "Table master4:",
      "203.0.113.0/24       unicast [n1 11:52:44.684] * (100) [AS4200000001?]",
      "\tBGP.as_path: 4200000001",
      "\tBGP.next_hop: 192.0.2.3",
      "                     unicast [n0 11:52:41.561 from 192.0.2.1] (100) [AS4200000001?]",
      "\tBGP.as_path: 64512 4200000001",
      "\tBGP.next_hop: 192.0.2.3",
    ].join("\n");
    expect(parseBirdRoutes(text).map((p) => [p.prefix, p.best, p.asPath])).toEqual([
      ["203.0.113.0/24", true, [4200000001]],
      ["203.0.113.0/24", false, [64512, 4200000001]],
    ]);
  });

  it("GoBGP: global rib -j (a locally originated path)", () => {
    const rib = parseGobgpRib(JSON.parse(fixture("gobgp-rib-ipv4.json")) as never);
    expect(rib).toEqual([{ ...expected4, nextHop: "0.0.0.0", asPath: [] }]);
  });
});

describe("router configs", () => {
  const spec: BgpRouterSpec = {
    host: "r",
    asn: 4200000001,
    routerId: "192.0.2.9",
    neighbors: [
      { address: "192.0.2.1", asn: 64512, password: "s3cret", holdTime: 9, passive: true },
      { address: "2001:db8::1", asn: 64512 },
    ],
    originate: ["203.0.113.0/24", "2001:db8:ff::/48"],
  };

  it("FRR: one activation per family, MD5, timers, passive", () => {
    const conf = frrBgpdConfig(spec, "/tmp/x.log");
    expect(conf).toContain("router bgp 4200000001");
    expect(conf).toContain(" neighbor 192.0.2.1 password s3cret");
    expect(conf).toContain(" neighbor 192.0.2.1 timers 3 9");
    expect(conf).toContain(" neighbor 192.0.2.1 passive");
    expect(conf).toMatch(
      /address-family ipv4 unicast\n {2}network 203\.0\.113\.0\/24\n {2}neighbor 192\.0\.2\.1 activate\n exit/,
    );
    expect(conf).toMatch(
      /address-family ipv6 unicast\n {2}network 2001:db8:ff::\/48\n {2}neighbor 2001:db8::1 activate\n exit/,
    );
  });

  it("BIRD: static origination and per-neighbour channels", () => {
    const conf = birdConfig(spec, "/tmp/b.log");
    expect(conf).toContain("route 203.0.113.0/24 blackhole;");
    expect(conf).toMatch(
      /neighbor 192\.0\.2\.1 as 64512;[\s\S]*password "s3cret";[\s\S]*passive on;[\s\S]*hold time 9;[\s\S]*ipv4 \{/,
    );
    expect(conf).toMatch(
      /neighbor 2001:db8::1 as 64512;[\s\S]*ipv6 \{ import all; export all; \};/,
    );
  });

  it("GoBGP: TOML neighbours with MD5 and afi-safis", () => {
    const conf = gobgpConfig(spec);
    expect(conf).toContain('auth-password = "s3cret"');
    expect(conf).toContain("passive-mode = true");
    expect(conf).toContain('afi-safi-name = "ipv6-unicast"');
  });
});
