// How the lab turns a Pod's container into a process (src/lab/gitops/pod-argv.ts): Kubernetes'
// `$(VAR)` expansion rules, env from values and fieldRefs, and Secret mount paths moved.
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { containerProcess, expandVars, relocate } from "../../src/lab/gitops/pod-argv.js";

const pod: V1Pod = {
  metadata: { name: "metallb-ts-speaker-abcde", namespace: "metallb-system", uid: "u-1" },
  spec: {
    nodeName: "node2",
    serviceAccountName: "speaker",
    containers: [],
    volumes: [{ name: "heartbeat", secret: { secretName: "metallb-ts-heartbeat" } }],
  },
  status: { hostIP: "192.0.2.12", podIP: "192.0.2.12" },
};

const speaker: V1Container = {
  name: "speaker",
  args: [
    "speaker",
    "--node-name=$(NODE_NAME)",
    "--heartbeat-key-file=/etc/metallb-ts/heartbeat/key",
    "--note=$$(NODE_NAME) $(UNSET)",
  ],
  env: [
    { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
    { name: "HOST_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } },
    { name: "GREETING", value: "on $(NODE_NAME)" },
  ],
  volumeMounts: [{ name: "heartbeat", mountPath: "/etc/metallb-ts/heartbeat", readOnly: true }],
};

describe("a Pod's container as a process", () => {
  it("expands args and env as a kubelet does and lists the Secret mounts", () => {
    const p = containerProcess(pod, speaker);
    expect(p.argv).toEqual([
      "speaker",
      "--node-name=node2",
      "--heartbeat-key-file=/etc/metallb-ts/heartbeat/key",
      "--note=$(NODE_NAME) $(UNSET)",
    ]);
    expect(p.env).toEqual({ NODE_NAME: "node2", HOST_IP: "192.0.2.12", GREETING: "on node2" });
    expect(p.secretMounts).toEqual([
      { secret: "metallb-ts-heartbeat", mountPath: "/etc/metallb-ts/heartbeat" },
    ]);
  });

  it("refuses an env source it cannot provide, naming the Pod and the variable", () => {
    const c: V1Container = {
      name: "x",
      env: [{ name: "PASSWORD", valueFrom: { secretKeyRef: { name: "s", key: "k" } } }],
    };
    expect(() => containerProcess(pod, c)).toThrow(/metallb-ts-speaker-abcde.*PASSWORD/);
    const f: V1Container = {
      name: "x",
      env: [{ name: "L", valueFrom: { fieldRef: { fieldPath: "metadata.labels['a']" } } }],
    };
    expect(() => containerProcess(pod, f)).toThrow(/fieldRef metadata.labels/);
  });

  it("moves paths under a mount, whole or after `=`, and leaves look-alikes alone", () => {
    const dirs = [{ mountPath: "/etc/metallb-ts/heartbeat", dir: "/tmp/p/hb" }];
    expect(
      relocate(
        [
          "--heartbeat-key-file=/etc/metallb-ts/heartbeat/key",
          "/etc/metallb-ts/heartbeat",
          "/etc/metallb-ts/heartbeat-other/key",
          "--x=/opt/etc/metallb-ts/heartbeat/key",
        ],
        dirs,
      ),
    ).toEqual([
      "--heartbeat-key-file=/tmp/p/hb/key",
      "/tmp/p/hb",
      "/etc/metallb-ts/heartbeat-other/key",
      "--x=/opt/etc/metallb-ts/heartbeat/key",
    ]);
  });

  it("expansion: text without `$` is unchanged; `$$` always yields one `$`", () => {
    fc.assert(
      fc.property(
        fc.string().filter((t) => !t.includes("$")),
        fc.dictionary(fc.string(), fc.string()),
        (t, env) => {
          expect(expandVars(t, env)).toBe(t);
          expect(expandVars(`$$${t}`, env)).toBe(`$${t}`);
        },
      ),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), fc.string(), (name, value) => {
        expect(expandVars(`a$(${name})b`, { [name]: value })).toBe(`a${value}b`);
        expect(expandVars(`a$(${name})b`, {})).toBe(`a$(${name})b`);
      }),
    );
  });
});
