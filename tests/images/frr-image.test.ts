// The metallb-ts-frr image as the chart runs it (the container taken from the rendered chart:
// its root filesystem read-only, `/bin/sh start.sh` from the ConfigMap's files, the emptyDirs,
// only the capabilities the chart adds), in each lab node's network namespace beside a
// `metallb-ts speaker --bgp-backend frr`. An FRR router peers with all three with BFD. Then chaos: bgpd is
// killed inside one container and comes back by itself.
import {
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { parseControl, field } from "../../src/images/dpkg.js";
import { FRR_BASE, FRR_IMAGE } from "../../src/images/config.js";
import type { SpdxDocument } from "../../src/images/sbom.js";
import { startFrr, type FrrRouter } from "../../src/lab/net/index.js";
import type { FrrContainer } from "../../src/lab/net/frr-node.js";
import {
  nodeAddress,
  NODES,
  startSpeakerLab,
  type SpeakerLab,
  SYSTEM,
} from "../../src/lab/speaker-lab.js";
import { FrrAgentClient } from "../../src/runtime/speaker/frr/agent-client.js";
import { run, waitFor } from "../../src/sys/proc.js";
import { frrSidecarFromChart } from "./frr-sidecar.js";
import { builtImage, container, type Container } from "./harness.js";

const { repo } = inject("images");
const image = builtImage(FRR_IMAGE.name);
const NS = "frr-image";
const ROUTER = "192.0.2.1";
const ALL4 = NODES.map(nodeAddress);

/** Linux capability numbers (capability.h) of what the chart may grant the FRR container. */
const CAP_BITS: Record<string, number> = {
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_SYS_ADMIN: 21,
};

/** Host PIDs and names of the processes whose root is the container's root filesystem. */
function containerProcesses(root: string): { pid: number; comm: string; capBnd: bigint }[] {
  const out = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/root`) !== root) continue;
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      out.push({
        pid: Number(entry),
        comm: readFileSync(`/proc/${entry}/comm`, "utf8").trim(),
        capBnd: BigInt(`0x${/^CapBnd:\s+([0-9a-f]+)$/m.exec(status)?.[1] ?? "ffff"}`),
      });
    } catch {
      // the process ended while being read
    }
  }
  return out;
}

const scratch = mkdtempSync(join(tmpdir(), "metallb-ts-frr-image-"));
let ctr: Container;
let sidecar: (host: string) => FrrContainer;
let cluster: SpeakerLab;
let router: FrrRouter;
let ip = "";

const create = (kind: string, name: string, spec: object) =>
  cluster.harness.createConfig(SYSTEM, kind, name, spec);

/** The router's next hops for the Service's /32 once they are exactly `want`. */
const nextHops = (want: string[], timeoutMs = 90_000) =>
  waitFor(
    `the FRR router to hold ${ip}/32 via [${want.join(", ")}]`,
    async () => {
      const paths = (await router.rib(4)).filter((p) => p.prefix === `${ip}/32`);
      const hops = paths.map((p) => p.nextHop).sort();
      return JSON.stringify(hops) === JSON.stringify([...want].sort()) ? paths : undefined;
    },
    timeoutMs,
    200,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${cluster.logs()}`);
  });

beforeAll(async () => {
  ctr = await container(image, "frr");
  sidecar = await frrSidecarFromChart(scratch, {
    root: ctr.root,
    env: ctr.config.config.Env ?? [],
  });
  cluster = await startSpeakerLab({
    frr: { container: sidecar },
    namespaces: [NS],
    extraHosts: [{ name: "router", links: [{ segment: "lan", addresses: [`${ROUTER}/24`] }] }],
    beforeSpeakers: async (lab) => {
      router = await startFrr(lab, {
        host: "router",
        asn: 64512,
        routerId: ROUTER,
        maximumPaths: 4,
        neighbors: ALL4.map((address) => ({ address, asn: 64513, holdTime: 90, bfd: true })),
      });
    },
  });
  await create("BFDProfile", "lab", {
    receiveInterval: 300,
    transmitInterval: 300,
    detectMultiplier: 3,
  });
  await create("BGPPeer", "router", {
    myASN: 64513,
    peerASN: 64512,
    peerAddress: ROUTER,
    holdTime: "90s",
    bfdProfile: "lab",
  });
  await cluster.harness.createPool(SYSTEM, "bgp", { addresses: ["203.0.113.0/28"] });
  await create("BGPAdvertisement", "bgp", {
    ipAddressPools: ["bgp"],
    communities: ["64512:100"],
  });
  await cluster.service(NS, "web", "IPv4");
  ip = (await cluster.harness.waitIngress(NS, "web"))[0] ?? "";
}, 300_000);

afterAll(async () => {
  await router?.stop().catch(() => undefined);
  await cluster?.stop();
  await ctr?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

describe("metallb-ts-frr image", () => {
  it("runs the chart's command as root and carries the very agent files the chart mounts", () => {
    expect(ctr.config.config.User).toBe("0:0");
    const labels = ctr.config.config.Labels ?? {};
    expect(labels["org.opencontainers.image.version"]).toBe(image.tag);
    expect(labels["org.opencontainers.image.description"]).toMatch(/FRR/);
    expect(ctr.config.config.Entrypoint).toEqual(["/bin/sh", `/${FRR_IMAGE.agentDir}/start.sh`]);
    for (const f of ["start.sh", "agent.py"]) {
      expect(readFileSync(join(ctr.root, FRR_IMAGE.agentDir, f), "utf8")).toBe(
        readFileSync(join(repo, "charts/metallb-ts/files/frr-agent", f), "utf8"),
      );
    }
  });

  it("lists in its SBOM exactly the Debian packages its dpkg status records; excluded ones are gone", () => {
    const sbom = JSON.parse(readFileSync(join(repo, image.sbom), "utf8")) as SpdxDocument;
    expect(
      JSON.parse(readFileSync(join(ctr.root, "usr/share/doc/metallb-ts/sbom.spdx.json"), "utf8")),
    ).toEqual(sbom);
    const status = readFileSync(join(ctr.root, "var/lib/dpkg/status"), "utf8")
      .trim()
      .split("\n\n")
      .map((stanza) => parseControl(stanza));
    const installed = new Map(status.map((c) => [field(c, "Package"), field(c, "Version")]));
    expect([...installed.keys()]).toEqual(expect.arrayContaining(["frr", "frr-pythontools"]));
    const debs = sbom.packages.filter((p) => p.SPDXID.startsWith("SPDXRef-Deb-"));
    expect(new Map(debs.map((p) => [p.name, p.versionInfo]))).toEqual(installed);
    for (const name of FRR_BASE.exclude ?? []) expect(installed.has(name), name).toBe(false);
    // The excluded packages' programs are not in the image either.
    for (const path of ["usr/bin/systemctl", "usr/sbin/logrotate", "usr/bin/dpkg", "usr/bin/lsof"])
      expect(() => lstatSync(join(ctr.root, path)), path).toThrow(/ENOENT/);
  });

  it("peers with BFD from every node and announces the Service with its community", async () => {
    const paths = await nextHops(ALL4);
    for (const p of paths) expect(p.communities).toEqual(["64512:100"]);
    await waitFor(
      "the router's BFD sessions with every node to be up",
      async () => {
        const peers = await router.bfdPeers();
        return ALL4.every((a) => peers[a] === "up") ? true : undefined;
      },
      30_000,
    );
    // The image's FRR (Debian trixie's 10.x, the SBOM's version), not the host's 8.4, answers.
    const frrVersion = JSON.parse(readFileSync(join(repo, image.sbom), "utf8")) as SpdxDocument;
    const version = frrVersion.packages.find((p) => p.name === "frr")?.versionInfo ?? "?";
    const bgp = (await new FrrAgentClient(cluster.frr.n1!.socket).show(
      "show bgp summary json",
    )) as { ipv4Unicast?: { peers?: Record<string, { state?: string }> } };
    expect(bgp.ipv4Unicast?.peers?.[ROUTER]?.state).toBe("Established");
    for (const p of containerProcesses(ctr.root))
      expect(readlinkSync(`/proc/${p.pid}/exe`).startsWith(`${ctr.root}/`), p.comm).toBe(true);
    expect(version).toMatch(/^10\./);
  });

  it("runs every process of the container bounded to the capabilities the chart grants", () => {
    const granted = sidecar("probe").capabilities;
    expect(granted.sort()).toEqual(Object.keys(CAP_BITS).sort());
    const mask = granted.reduce((m, c) => m | (1n << BigInt(CAP_BITS[c]!)), 0n);
    const procs = containerProcesses(ctr.root);
    expect(procs.map((p) => p.comm)).toEqual(
      expect.arrayContaining(["zebra", "bgpd", "bfdd", "watchfrr", "python3"]),
    );
    for (const p of procs) expect(p.capBnd, `${p.comm} (${p.pid})`).toBe(mask);
  });

  it("`kubectl exec … -c frr -- vtysh` works: root, FRR's default socket directory, no PAM", async () => {
    // What an operator runs: a process entering the container's namespaces and root.
    const agent = containerProcesses(ctr.root).find((p) => p.comm === "python3");
    if (!agent) throw new Error("no agent process in the container");
    const out = await run([
      "nsenter",
      `--target=${agent.pid}`,
      "--mount",
      "--net",
      "--pid",
      "--root",
      "--wd=/",
      "--",
      "vtysh",
      "-c",
      "show bgp summary json",
    ]);
    const summary = JSON.parse(out) as { ipv4Unicast?: { peers?: Record<string, unknown> } };
    expect(Object.keys(summary.ipv4Unicast?.peers ?? {})).toEqual([ROUTER]);
  });

  it("chaos: bgpd killed in n1's container is restarted by watchfrr and n1's path returns", async () => {
    await nextHops(ALL4);
    const n1Bgpd = () =>
      containerProcesses(ctr.root).filter(
        (p) =>
          p.comm === "bgpd" &&
          statSync(`/proc/${p.pid}/ns/net`).ino ===
            statSync(`/run/netns/${cluster.lab.ns("n1")}`).ino,
      );
    const before = n1Bgpd();
    expect(before).toHaveLength(1);
    process.kill(before[0]!.pid, "SIGKILL");
    await nextHops([nodeAddress("n2"), nodeAddress("n3")], 30_000);
    const after = await waitFor(
      "watchfrr to start bgpd again in n1's container",
      () => {
        const now = n1Bgpd();
        return Promise.resolve(
          now.length === 1 && now[0]!.pid !== before[0]!.pid ? now : undefined,
        );
      },
      60_000,
    );
    expect(after).toHaveLength(1);
    // The restarted bgpd gets its configuration back (FRR's saved file or the speaker's next
    // offer) and the router takes n1's path again.
    await nextHops(ALL4, 120_000);
  });
});
