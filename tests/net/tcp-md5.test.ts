// TCP MD5 (RFC 2385) through the native addon: between two Node sockets in a namespace, and
// against FRR's bgpd configured with a neighbor password.
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lab, startFrr, type Topology } from "../../src/lab/net/index.js";

const probe = fileURLToPath(new URL("./tcp-md5-probe.ts", import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const topology: Topology = {
  segments: ["lan"],
  hosts: [
    { name: "speaker", links: [{ segment: "lan", addresses: ["192.0.2.11/24"] }] },
    { name: "frr", links: [{ segment: "lan", addresses: ["192.0.2.1/24"] }] },
  ],
};

let lab: Lab;
const runProbe = async (args: string[]) =>
  JSON.parse(
    await lab.exec("speaker", [process.execPath, "--import", tsx, probe, ...args], {
      timeoutMs: 30_000,
    }),
  ) as Record<string, string>;

beforeAll(async () => {
  lab = await Lab.create(topology);
  await startFrr(lab, {
    host: "frr",
    asn: 64512,
    routerId: "192.0.2.1",
    neighbors: [{ address: "192.0.2.11", asn: 64513, password: "bgp-secret", passive: true }],
  });
});

afterAll(async () => {
  await lab?.destroy();
});

describe("TCP MD5 signatures", () => {
  it("connect only when both ends hold the same key", async () => {
    expect(await runProbe(["local", "192.0.2.11"])).toEqual({
      matching: "connected",
      mismatched: "timeout",
      unsigned: "timeout",
      octets: "connected",
      truncatedAtNul: "timeout",
    });
  });

  it("FRR with a neighbor password accepts our signed connection and speaks BGP", async () => {
    const { outcome } = await runProbe(["remote", "192.0.2.1", "179", "bgp-secret"]);
    // The first bytes FRR sends are a BGP header: a 16-byte all-ones marker, length, type OPEN (1).
    expect(outcome).toMatch(/^data f{32}[0-9a-f]{4}01$/);
    expect(await runProbe(["remote", "192.0.2.1", "179", "not-the-secret"])).toEqual({
      outcome: "timeout",
    });
  });
});
