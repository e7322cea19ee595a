// The cluster configuration in values (config.*) checked by the same model the controller and
// the speaker run (src/model): its problems, placed at their YAML paths. What only makes sense
// for a file in Git — two objects of one kind with one name, a BGP password in plain text — is
// checked here.
import type { ConfigValues } from "../../api/values/schema.js";
import {
  emptySelections,
  parseConfig,
  unannouncedPools,
  type ConfigKind,
  type ConfigResources,
  type Problem as ModelProblem,
} from "../../model/index.js";
import { error, type PathSegment, type Problem } from "./problem.js";
import { valueAt } from "./schema-check.js";

type Key = keyof ConfigValues;

/** Where each kind lives in the values. */
export const VALUES_KEY: Record<ConfigKind, Key> = {
  IPAddressPool: "ipAddressPools",
  L2Advertisement: "l2Advertisements",
  BGPAdvertisement: "bgpAdvertisements",
  BGPPeer: "bgpPeers",
  BFDProfile: "bfdProfiles",
  Community: "communities",
};

const at = (key: Key, i: number, ...rest: PathSegment[]): PathSegment[] => [
  "config",
  key,
  i,
  ...rest,
];

function duplicateNames(config: ConfigValues): Problem[] {
  const out: Problem[] = [];
  for (const key of Object.keys(config) as Key[]) {
    const first = new Map<string, number>();
    config[key].forEach((item, i) => {
      const j = first.get(item.name);
      if (j === undefined) first.set(item.name, i);
      else
        out.push(
          error(
            at(key, i, "name"),
            `name "${item.name}" is already used by config.${key}[${j}]`,
            "give every object of one kind its own name",
          ),
        );
    });
  }
  return out;
}

/** Anything committed to Git is readable by everyone who can clone it. */
function plainTextPasswords(config: ConfigValues): Problem[] {
  return config.bgpPeers.flatMap((peer, i) =>
    peer.spec.password === undefined
      ? []
      : [
          error(
            at("bgpPeers", i, "spec", "password"),
            "a plain-text BGP password would be committed to Git and readable by anyone who can read the BGPPeer",
            "store it in a Secret (type kubernetes.io/basic-auth, key 'password') and set passwordSecret.name",
          ),
        ],
  );
}

export const resourcesOf = (config: ConfigValues): Required<ConfigResources> => ({
  pools: config.ipAddressPools,
  l2Advertisements: config.l2Advertisements,
  bgpAdvertisements: config.bgpAdvertisements,
  bgpPeers: config.bgpPeers,
  communities: config.communities,
  bfdProfiles: config.bfdProfiles,
});

const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === "string" || typeof v === "number" || typeof v === "boolean";

/** A model problem at its YAML path; the offending value leads the message when it is short. */
function placed(config: ConfigValues, p: ModelProblem): Problem {
  const key = VALUES_KEY[p.kind];
  const index = config[key].findIndex((o) => o.name === p.name);
  const path = at(key, Math.max(0, index), ...p.field);
  const value = valueAt({ config }, path);
  const shown =
    isScalar(value) && p.field.length && !p.message.includes(String(value))
      ? `${JSON.stringify(value)}: ${p.message}`
      : p.message;
  return { path, problem: shown, fix: p.fix, severity: p.severity };
}

export function configProblems(config: ConfigValues, namespace: string): Problem[] {
  const resources = resourcesOf(config);
  const model = parseConfig(resources, { namespace });
  return [
    ...duplicateNames(config),
    ...plainTextPasswords(config),
    ...[...model.problems, ...unannouncedPools(model), ...emptySelections(resources, model)].map(
      (p) => placed(config, p),
    ),
  ];
}
