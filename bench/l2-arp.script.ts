// ARP reply latency of the L2 responder at 1,000 requests/s: a responder namespace owns one
// IPv4 address, a client namespace sends requests from 250 sender addresses and times each
// reply. Run: npx tsx bench/l2-arp.script.ts [--rate N] [--seconds S]
import { Lab } from "../src/lab/net/index.js";
import { L2_NODE_DRIVER, startDriver } from "../src/lab/net/drivers/launch.js";
import type { ArpLoadResult } from "../src/lab/net/arp-load.js";
import { quantile, writeResult } from "./result.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const rate = arg("rate", 1000);
const seconds = arg("seconds", 10);
const VIP = "192.0.2.100";

const lab = await Lab.create({
  segments: ["lan"],
  hosts: [
    { name: "speaker", links: [{ segment: "lan", addresses: ["192.0.2.11/24"] }] },
    { name: "client", links: [{ segment: "lan", addresses: ["192.0.2.2/24"] }] },
  ],
});
try {
  const speaker = await startDriver(lab, "speaker", L2_NODE_DRIVER);
  const client = await startDriver(lab, "client", L2_NODE_DRIVER);
  await speaker.rpc.call("open", { interface: "eth0" });
  await speaker.rpc.call("setOwned", { interface: "eth0", ips: [VIP] });
  const { mac } = await client.rpc.call<{ mac: string }>("open", { interface: "eth0" });
  // Warm-up (JIT, caches), then the measured run.
  await client.rpc.call("arpLoad", { interface: "eth0", mac, target: VIP, rate, durationMs: 1000 });
  const r = await client.rpc.call<ArpLoadResult>("arpLoad", {
    interface: "eth0",
    mac,
    target: VIP,
    rate,
    durationMs: seconds * 1000,
  });
  const params = { rate, seconds, sent: r.sent, answered: r.answered, lost: r.sent - r.answered };
  const rows = [
    ["p50", 0.5],
    ["p90", 0.9],
    ["p99", 0.99],
    ["max", 1],
  ] as const;
  console.log(`ARP reply latency at ${rate}/s for ${seconds} s (${r.answered}/${r.sent} answered)`);
  for (const [label, q] of rows) {
    const value = quantile(r.latenciesUs, q);
    const file = writeResult({ name: `l2-arp-reply-latency-${label}`, unit: "µs", value, params });
    console.log(`  ${label.padEnd(4)} ${String(value).padStart(8)} µs   ${file}`);
  }
  speaker.rpc.close();
  client.rpc.close();
} finally {
  await lab.destroy();
}
