// What the controller benchmarks share: the Service they create by the thousand, reading the
// controller's memory from /proc, percentiles, and failing fast when the controller dies.
import type { V1Service } from "@kubernetes/client-node";
import { readFileSync } from "node:fs";
import type { Managed } from "../../src/sys/proc.js";

/** IPv6 single-stack, no node ports: 5,000 Services would exhaust the 2,768 NodePorts. */
export const benchService = (name: string): V1Service => ({
  metadata: { name },
  spec: {
    type: "LoadBalancer",
    ipFamilies: ["IPv6"],
    ipFamilyPolicy: "SingleStack",
    allocateLoadBalancerNodePorts: false,
    ports: [{ port: 80, protocol: "TCP" }],
    selector: { app: name },
  },
});

/** A field of /proc/<pid>/status in MiB (VmHWM: peak resident set, VmRSS: current). */
export function procMiB(pid: number, field: "VmHWM" | "VmRSS"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
    readFileSync(`/proc/${pid}/status`, "utf8"),
  );
  if (!m?.[1]) throw new Error(`/proc/${pid}/status has no ${field} line`);
  return Number(m[1]) / 1024;
}

/** Nearest-rank percentile of sorted values. */
export const percentile = (sorted: number[], p: number): number =>
  sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/** Fails fast with the log's tail if the controller dies while we wait for it. */
export async function whileAlive<T>(controller: Managed, what: Promise<T>): Promise<T> {
  const died = controller.exited.then((code) => {
    const tail = controller.log().split("\n").slice(-20).join("\n");
    throw new Error(`the controller exited (${code}); last log lines:\n${tail}`);
  });
  died.catch(() => undefined);
  return Promise.race([what, died]);
}
