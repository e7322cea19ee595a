// A Linux VRF on the wire where the machine's own kernel has no VRF devices (CONFIG_NET_VRF):
// User-mode Linux (Debian's user-mode-linux, a 6.1 kernel running as a process, with vrf.ko)
// boots with the host's filesystem as its root (hostfs) and runs, in two network namespaces of
// its own, a node with a VRF device and FRR driven by the FRR agent, and a router behind a
// veth enslaved to that VRF. The node's configuration is what the speaker renders; the agent
// applies it with frr-reload.py as in the FRR container. Everything the kernel holds (the
// namespaces, /run) is the UML kernel's own: the host sees only the result files.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../sys/proc.js";
import { FRR_AGENT } from "./frr-node.js";

export const UML_KERNEL = "/usr/bin/linux.uml";

export interface UmlVrfRun {
  /** The node's FRR configuration (renderFrrConfig's text). */
  nodeConfig: string;
  /** The router's bgpd configuration (it peers with 198.51.100.11 in the VRF). */
  routerConfig: string;
  /** The VRF the node's peer is in, and its routing table. */
  vrf: { name: string; table: number };
  /** A prefix the router should learn; the run ends when it does or after `timeoutS`. */
  prefix: string;
  timeoutS?: number;
}

export interface UmlVrfResult {
  /** The agent's answer to the reload. */
  reload: { ok: boolean; message?: string; incremental?: boolean };
  /** The router's `show bgp ipv4 unicast json`. */
  routerRib: { routes?: Record<string, { nexthops?: { ip?: string }[] }[]> };
  /** The router's `show bgp ipv4 unicast <prefix> json`: the path with its attributes. */
  routerPath: { paths?: { community?: { string?: string } }[] };
  /** The node's `show bgp vrf <name> summary json`. */
  nodeSummary: { ipv4Unicast?: { peers?: Record<string, { state?: string }> } };
  /** The UML console (boot messages and the script's output), for failures. */
  console: string;
}

export const NODE_VRF_ADDRESS = "198.51.100.11";
export const ROUTER_VRF_ADDRESS = "198.51.100.1";

/** The init process UML runs: everything happens inside the UML kernel, then it halts. */
function initScript(work: string, opts: UmlVrfRun): string {
  const { name, table } = opts.vrf;
  return `#!/bin/sh
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sys /sys
# The host's /run must not be touched: the UML kernel gets its own (network namespaces, FRR's
# sockets). /tmp stays the host's (the work directory, a checkout under /tmp); temporary files
# go to the UML's tmpfs instead.
mount -t tmpfs tmpfs /run
# A UML kernel boots nameless ("(none)"), which FRR prints as a hostname it cannot read back.
hostname uml-node
mkdir -p /run/tmp
# FRR keeps crash records in /var/tmp/frr: the UML's, not the host's.
mount -t tmpfs tmpfs /var/tmp
TMPDIR=/run/tmp
export TMPDIR
M=/usr/lib/uml/modules/$(uname -r)/kernel
for m in lib/crc-ccitt net/ipv6/ipv6 drivers/net/veth drivers/net/vrf; do insmod "$M/$m.ko"; done
set -e
ip link set lo up
ip netns add node
ip netns add router
ip -n node link set lo up
ip -n router link set lo up
ip -n node link add ${name} type vrf table ${table}
ip -n node link set ${name} up
ip -n node link add vrfa type veth peer name vrfb netns router
ip -n node link set vrfa master ${name}
ip -n node addr add ${NODE_VRF_ADDRESS}/24 dev vrfa
ip -n node link set vrfa up
ip -n router addr add ${ROUTER_VRF_ADDRESS}/24 dev vrfb
ip -n router link set vrfb up
for h in node router; do
  mkdir -p /run/$h/run /run/$h/etc /run/$h/agent
  : >/run/$h/etc/zebra.conf
  echo "service integrated-vtysh-config" >/run/$h/etc/vtysh.conf
done
cp ${work}/router.conf /run/router/etc/bgpd.conf
: >/run/node/etc/bgpd.conf
chown -R frr:frr /run/node /run/router
for h in node router; do
  for d in zebra bgpd; do
    ip netns exec $h /usr/lib/frr/$d -d --vty_socket /run/$h/run -z /run/$h/run/zserv.api \\
      -i /run/$h/run/$d.pid -f /run/$h/etc/$d.conf
  done
done
ip netns exec node python3 ${FRR_AGENT} --socket /run/node/agent/agent.sock --confdir /run/node/etc \\
  --vty-socket /run/node/run --rundir /run/node/agent >/run/node/agent.log 2>&1 &
set +e
for i in $(seq 1 100); do [ -S /run/node/agent/agent.sock ] && break; sleep 0.1; done
python3 - /run/node/agent/agent.sock ${work}/node.conf >${work}/reload.json <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((json.dumps({"op": "reload", "config": open(sys.argv[2]).read()}) + "\\n").encode())
s.shutdown(socket.SHUT_WR)
print(b"".join(iter(lambda: s.recv(65536), b"")).decode())
PY
for i in $(seq 1 ${opts.timeoutS ?? 60}); do
  vtysh --vty_socket /run/router/run -c "show bgp ipv4 unicast json" >${work}/rib.json
  grep -q '"${opts.prefix}"' ${work}/rib.json && break
  sleep 1
done
vtysh --vty_socket /run/node/run -c "show bgp vrf ${name} summary json" >${work}/summary.json
vtysh --vty_socket /run/router/run -c "show bgp ipv4 unicast ${opts.prefix} json" >${work}/path.json
cat /run/node/agent.log
echo "uml-vrf: done"
halt -f
`;
}

export async function runVrfInUml(opts: UmlVrfRun): Promise<UmlVrfResult> {
  if (!existsSync(UML_KERNEL)) {
    throw new Error(`${UML_KERNEL} is missing: run tools/provision.sh (user-mode-linux, kmod)`);
  }
  const work = mkdtempSync(join(tmpdir(), "metallb-ts-uml-"));
  try {
    writeFileSync(join(work, "node.conf"), opts.nodeConfig);
    writeFileSync(join(work, "router.conf"), opts.routerConfig);
    const init = join(work, "init.sh");
    writeFileSync(init, initScript(work, opts), { mode: 0o755 });
    const console = await run(
      [
        UML_KERNEL,
        "mem=384M",
        "rootfstype=hostfs",
        "rootflags=/",
        "rw",
        `init=${init}`,
        "con=null",
        "con0=null,fd:1",
      ],
      // UML's memory is a file in TMPDIR; the host's /tmp is fine for 384 MiB.
      { timeoutMs: ((opts.timeoutS ?? 60) + 60) * 1000 },
    );
    const read = (f: string): unknown => {
      const path = join(work, f);
      if (!existsSync(path)) throw new Error(`the UML run wrote no ${f}:\n${console}`);
      return JSON.parse(readFileSync(path, "utf8") || "{}") as unknown;
    };
    return {
      reload: read("reload.json") as UmlVrfResult["reload"],
      routerRib: read("rib.json") as UmlVrfResult["routerRib"],
      routerPath: read("path.json") as UmlVrfResult["routerPath"],
      nodeSummary: read("summary.json") as UmlVrfResult["nodeSummary"],
      console,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
