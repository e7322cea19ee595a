// Failover on the wire (heartbeats + announcements; the owner choice is a stand-in: "n2 takes
// over when n1 is gone"): SIGKILL of the owner → first gratuitous ARP from the new owner seen
// at the client, and → the client's kernel neighbour entry pointing at the new owner.
// Run: npx tsx bench/l2-failover.script.ts [--trials N]
import { Lab } from "../src/lab/net/index.js";
import { L2_NODE_DRIVER, startDriver, type Driver } from "../src/lab/net/drivers/launch.js";
import { client } from "../src/lab/net/index.js";
import { waitFor } from "../src/sys/proc.js";
import { writeLatencyQuantiles } from "./result.js";

const i = process.argv.indexOf("--trials");
const trials = i >= 0 ? Number(process.argv[i + 1]) : 20;
const VIP = "192.0.2.100";
const KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const HB = { keyHex: KEY, port: 7946, intervalMs: 100, missed: 3 };
const peers = [
  { node: "n1", address: "192.0.2.11" },
  { node: "n2", address: "192.0.2.12" },
];

const lab = await Lab.create({
  segments: ["lan"],
  hosts: [
    { name: "n1", links: [{ segment: "lan", addresses: ["192.0.2.11/24"] }] },
    { name: "n2", links: [{ segment: "lan", addresses: ["192.0.2.12/24"] }] },
    { name: "client", links: [{ segment: "lan", addresses: ["192.0.2.2/24"] }] },
  ],
});
const toGarp: number[] = [];
const toEntry: number[] = [];
try {
  const n2 = await startDriver(lab, "n2", L2_NODE_DRIVER);
  const { mac: mac2 } = await n2.rpc.call<{ mac: string }>("open", { interface: "eth0" });
  await n2.rpc.call("heartbeatStart", { node: "n2", ...HB });
  await n2.rpc.call("heartbeatPeers", { peers });
  for (let t = 0; t < trials; t++) {
    const n1: Driver = await startDriver(lab, "n1", L2_NODE_DRIVER);
    const { mac: mac1 } = await n1.rpc.call<{ mac: string }>("open", { interface: "eth0" });
    await n1.rpc.call("heartbeatStart", { node: "n1", ...HB });
    await n1.rpc.call("heartbeatPeers", { peers });
    await n2.rpc.call("setOwned", { interface: "eth0", ips: [] });
    await n1.rpc.call("setOwned", { interface: "eth0", ips: [VIP] });
    await waitFor(
      "the client to resolve the VIP to n1",
      async () => {
        await lab.exec("client", ["ping", "-c1", "-W1", VIP]).catch(() => "");
        return (await client.neighbourMac(lab, "client", VIP)) === mac1 || undefined;
      },
      15_000,
      100,
    );
    await waitFor(
      "n2 to see n1 alive",
      async () => ((await n2.rpc.call<string[]>("alive")).includes("n1") ? true : undefined),
      10_000,
      50,
    );
    await n2.rpc.call("takeOverWhenGone", { interface: "eth0", watch: ["n1"], ips: [VIP] });
    const cap = client.capture(lab, "client", "eth0", `arp and ether src ${mac2}`);
    await cap.ready();
    const killedAt = n1.kill("SIGKILL");
    // The neighbour table is polled; its timestamp is when the poll saw the change.
    const entryAt = await waitFor(
      "the client's entry to move to n2",
      async () =>
        (await client.neighbourMac(lab, "client", VIP)) === mac2 ? Date.now() : undefined,
      10_000,
      5,
    );
    const lines = await cap.stop();
    const first = lines.find((l) => l.includes(`tell ${VIP}`) || l.includes(`Reply ${VIP}`));
    const garpAt = first ? client.captureTime(first, new Date(killedAt)) : undefined;
    if (garpAt === undefined)
      throw new Error(`no gratuitous ARP from n2 captured:\n${lines.join("\n")}`);
    toGarp.push(garpAt - killedAt);
    toEntry.push(entryAt - killedAt);
    console.error(
      `trial ${t + 1}/${trials}: gratuitous ARP after ${(garpAt - killedAt).toFixed(1)} ms, entry moved after ${entryAt - killedAt} ms`,
    );
    n1.rpc.close();
  }
  n2.rpc.close();
} finally {
  await lab.destroy();
}

const params = { trials, heartbeatIntervalMs: HB.intervalMs, missedIntervals: HB.missed };
writeLatencyQuantiles("l2-failover-sigkill-to-first-garp", toGarp, params);
writeLatencyQuantiles("l2-failover-sigkill-to-neighbour-updated", toEntry, params);
