// What an override may not weaken, with the reason. Each rule is a JSON Schema constraint on one
// values path: the override schema embeds it (editors flag the line) and the semantic validator
// checks it to print the reason and the fix instead of a bare "must be equal to constant".
export type JsonSchema = { [key: string]: unknown };

export interface HardeningRule {
  path: readonly string[];
  schema: JsonSchema;
  problem: string;
  fix: string;
}

const components = ["controller", "speaker"] as const;

const each = (make: (c: (typeof components)[number]) => HardeningRule): HardeningRule[] =>
  components.map(make);

export const HARDENING_RULES: readonly HardeningRule[] = [
  ...each((c) => ({
    path: [c, "securityContext", "privileged"],
    schema: { const: false },
    problem: `a privileged ${c} container gets every capability and the host's devices`,
    fix: "remove the line; the chart runs it unprivileged",
  })),
  ...each((c) => ({
    path: [c, "securityContext", "allowPrivilegeEscalation"],
    schema: { const: false },
    problem: `privilege escalation would let the ${c} gain capabilities through setuid binaries`,
    fix: "remove the line (the chart sets allowPrivilegeEscalation: false)",
  })),
  ...each((c) => ({
    path: [c, "securityContext", "readOnlyRootFilesystem"],
    schema: { const: true },
    problem: `a writable root filesystem lets a compromised ${c} persist changes to its image`,
    fix: "remove the line; the runtime writes nothing to its filesystem",
  })),
  ...each((c) => ({
    path: [c, "securityContext", "capabilities", "drop"],
    schema: { type: "array", contains: { const: "ALL" } },
    problem: `the ${c} must drop ALL capabilities and add back only what it needs`,
    fix: "keep ALL in capabilities.drop (or remove the line)",
  })),
  ...each((c) => ({
    path: [c, "securityContext", "seccompProfile", "type"],
    schema: { enum: ["RuntimeDefault", "Localhost"] },
    problem: `seccomp Unconfined lets the ${c} make any system call`,
    fix: "use RuntimeDefault (or Localhost with a profile)",
  })),
  ...each((c) => ({
    path: [c, "podSecurityContext", "seccompProfile", "type"],
    schema: { enum: ["RuntimeDefault", "Localhost"] },
    problem: `seccomp Unconfined lets the ${c} pod make any system call`,
    fix: "use RuntimeDefault (or Localhost with a profile)",
  })),
  {
    path: ["controller", "securityContext", "capabilities", "add"],
    schema: { type: "array", maxItems: 0 },
    problem: "the controller only talks to the API server and needs no capability",
    fix: "remove controller.securityContext.capabilities.add",
  },
  {
    path: ["speaker", "securityContext", "capabilities", "add"],
    schema: {
      type: "array",
      items: { enum: ["NET_RAW", "NET_BIND_SERVICE"] },
      contains: { const: "NET_RAW" },
    },
    problem:
      "the speaker needs NET_RAW (ARP/NDP raw sockets) and at most NET_BIND_SERVICE (BGP on port 179); no other capability",
    fix: "keep capabilities.add to NET_RAW and, for passive BGP peers, NET_BIND_SERVICE",
  },
  // The FRR sidecar (speaker.frr): root for FRR's daemons, with three capabilities only.
  ...(
    [
      [
        "privileged",
        { const: false },
        "a privileged FRR container gets every capability and the host's devices",
      ],
      [
        "allowPrivilegeEscalation",
        { const: false },
        "privilege escalation would let FRR gain capabilities through setuid binaries",
      ],
      [
        "readOnlyRootFilesystem",
        { const: true },
        "a writable root filesystem lets a compromised FRR persist changes to its image",
      ],
    ] as const
  ).map(([field, schema, problem]) => ({
    path: ["speaker", "frr", "securityContext", field],
    schema,
    problem,
    fix: "remove the line; the chart's value is the safe one",
  })),
  {
    path: ["speaker", "frr", "securityContext", "capabilities", "drop"],
    schema: { type: "array", contains: { const: "ALL" } },
    problem: "the FRR container must drop ALL capabilities and add back only what it needs",
    fix: "keep ALL in capabilities.drop (or remove the line)",
  },
  {
    path: ["speaker", "frr", "securityContext", "capabilities", "add"],
    schema: {
      type: "array",
      items: { enum: ["NET_ADMIN", "NET_RAW", "NET_BIND_SERVICE", "SYS_ADMIN"] },
    },
    problem:
      "FRR needs NET_ADMIN (routes, MD5 keys, VRF sockets), NET_RAW (BFD), NET_BIND_SERVICE (port 179) and SYS_ADMIN (zebra and bfdd refuse to start without it); no other capability",
    fix: "keep speaker.frr.securityContext.capabilities.add to NET_ADMIN, NET_RAW, NET_BIND_SERVICE and SYS_ADMIN",
  },
  ...(["securityContext", "podSecurityContext"] as const).map((sc) => ({
    path: ["controller", sc, "runAsNonRoot"],
    schema: { const: true },
    problem: "the controller must run as a non-root user (Pod Security 'restricted')",
    fix: `remove controller.${sc}.runAsNonRoot (the chart sets true)`,
  })),
  ...(["securityContext", "podSecurityContext"] as const).map((sc) => ({
    path: ["controller", sc, "runAsUser"],
    schema: { type: "integer", minimum: 1 },
    problem: "the controller must not run as UID 0",
    fix: `remove controller.${sc}.runAsUser or use a non-zero UID such as 65532`,
  })),
  ...each((c) => ({
    path: [c, "resources", "limits"],
    schema: { type: "object", properties: { cpu: {}, memory: {} }, required: ["cpu", "memory"] },
    problem: `the ${c} must keep CPU and memory limits`,
    fix: "set both limits.cpu and limits.memory",
  })),
  ...each((c) => ({
    path: [c, "resources", "requests"],
    schema: { type: "object", properties: { cpu: {}, memory: {} }, required: ["cpu", "memory"] },
    problem: `the ${c} must keep CPU and memory requests`,
    fix: "set both requests.cpu and requests.memory",
  })),
  ...each((c) => ({
    path: [c, "image", "tag"],
    schema: { type: "string", not: { const: "latest" } },
    problem: `the ${c} image tag 'latest' moves under you and breaks reproducible rollouts`,
    fix: "pin a version tag such as 0.1.0, or a digest in image.digest",
  })),
];

/** The rule guarding exactly this path, if any. */
export const hardeningRuleAt = (path: readonly string[]): HardeningRule | undefined =>
  HARDENING_RULES.find(
    (r) => r.path.length === path.length && r.path.every((p, i) => p === path[i]),
  );
