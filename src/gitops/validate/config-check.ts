// The cluster configuration in values (config.*) checked by the same model the controller and
// the speaker run (src/model): its problems, placed at their YAML paths. What only makes sense
// for a file in Git — two objects of one kind with one name, a BGP password in plain text — is
// checked here.
import { parseIp } from "../../api/formats/ip.js";
import { RESERVED_FROM_LABEL } from "../../api/gateway.js";
import type { ConfigValues, GatewayReservation } from "../../api/values/schema.js";
import { gatewayPoolName, gatewayReservationPool } from "../../model/reservation.js";
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

/** Where a problem of a Gateway's reservation pool lives in gateways[i]. */
function gatewayPath(i: number, field: readonly PathSegment[]): PathSegment[] {
  if (field[0] === "spec" && field[1] === "addresses") return ["gateways", i, ...field.slice(1, 3)];
  if (field[0] === "metadata" && field[2] === RESERVED_FROM_LABEL) return ["gateways", i, "pool"];
  return ["gateways", i];
}

/** A model problem at its YAML path; the offending value leads the message when it is short. */
function placed(config: ConfigValues, gateways: GatewayReservation[], p: ModelProblem): Problem {
  const gw = gateways.findIndex((g) => gatewayPoolName(g) === p.name);
  const key = VALUES_KEY[p.kind];
  const path =
    p.kind === "IPAddressPool" && gw >= 0
      ? gatewayPath(gw, p.field)
      : at(
          key,
          Math.max(
            0,
            config[key].findIndex((o) => o.name === p.name),
          ),
          ...p.field,
        );
  const value = valueAt({ config, gateways }, path);
  const shown =
    isScalar(value) && p.field.length && !p.message.includes(String(value))
      ? `${JSON.stringify(value)}: ${p.message}`
      : p.message;
  return { path, problem: shown, fix: p.fix, severity: p.severity };
}

/** Two Gateways reserving one address: said once, at the later one, naming the earlier. */
function sharedReservations(gateways: GatewayReservation[]): Problem[] {
  const seen = new Map<string, number>();
  const out: Problem[] = [];
  gateways.forEach((g, i) =>
    g.addresses.forEach((a, k) => {
      const key = a.toLowerCase();
      const j = seen.get(key);
      if (j === undefined) return void seen.set(key, i);
      const first = gateways[j]!;
      out.push(
        error(
          ["gateways", i, "addresses", k],
          `${a} is already reserved for Gateway ${first.namespace}/${first.name} (gateways[${j}])`,
          "give each Gateway its own address",
        ),
      );
    }),
  );
  return out;
}

/** Each reserved address one IP, one per family: what a Gateway's Service can hold. */
function reservationAddresses(gateways: GatewayReservation[]): Problem[] {
  const out: Problem[] = [];
  gateways.forEach((g, i) => {
    const families = new Map<number, number>();
    g.addresses.forEach((a, k) => {
      const ip = parseIp(a);
      if (!ip)
        return void out.push(
          error(
            ["gateways", i, "addresses", k],
            `"${a}" is not an IP address`,
            "write one IPv4 or IPv6 address, such as 198.51.100.10 or 2001:db8::10 (no prefix length)",
          ),
        );
      const j = families.get(ip.family);
      if (j !== undefined)
        out.push(
          error(
            ["gateways", i, "addresses", k],
            `a second IPv${ip.family} address (the first is addresses[${j}]): a Gateway's Service holds one address per family`,
            `keep one IPv${ip.family} address; reserve the other for another Gateway`,
          ),
        );
      families.set(ip.family, k);
    });
  });
  return out;
}

export interface GatewayValues {
  gateways: GatewayReservation[];
  envoyGateway: { namespace: string };
}

export function configProblems(
  config: ConfigValues,
  namespace: string,
  gw: GatewayValues = { gateways: [], envoyGateway: { namespace: "envoy-gateway-system" } },
): Problem[] {
  const gatewayPools = gw.gateways.map((g) => gatewayReservationPool(g, gw.envoyGateway.namespace));
  const resources = { ...resourcesOf(config), pools: [...config.ipAddressPools, ...gatewayPools] };
  const model = parseConfig(resources, { namespace });
  const names = new Set(gatewayPools.map((p) => p.name));
  // Said by sharedReservations in the file's own words.
  const gatewayOverlap = (p: ModelProblem) =>
    names.has(p.name) && /overlaps .* of IPAddressPool gateway\./.test(p.message);
  const addressProblems = reservationAddresses(gw.gateways);
  const saidAlready = (p: Problem) =>
    addressProblems.some((a) => a.path.join(".") === p.path.join("."));
  return [
    ...duplicateNames(config),
    ...plainTextPasswords(config),
    ...addressProblems,
    ...sharedReservations(gw.gateways),
    ...[...model.problems, ...unannouncedPools(model), ...emptySelections(resources, model)]
      .filter((p) => !gatewayOverlap(p))
      .map((p) => placed(config, gw.gateways, p))
      .filter((p) => !saidAlready(p)),
  ];
}
