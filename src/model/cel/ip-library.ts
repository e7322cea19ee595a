// The Kubernetes CEL IP and CIDR libraries (`isIP`, `ip()`, `isCIDR`, `cidr()` and their methods)
// for the offline CEL engine, with the API server's notion of an address: no zones, no
// IPv4-mapped IPv6 form. IP and CIDR values are opaque in CEL; they are carried here as small
// protobuf messages holding canonical text, so that CEL's own equality (`ip(a) == ip(b)`)
// compares them as the API server does.
import { create, createFileRegistry, type DescMessage, type Registry } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { CelScalar, celFunc, celMethod, objectType, type CelFunc } from "@bufbuild/cel";
import { bitsOf, formatIp, parseApiIp, type Family, type Ip } from "../../api/formats/ip.js";

const STRING = 9; // FieldDescriptorProto.Type.TYPE_STRING
const INT32 = 5;
const OPTIONAL = 1;

const file = create(FileDescriptorProtoSchema, {
  name: "metallb_ts/cel/net.proto",
  package: "net",
  syntax: "proto3",
  messageType: [
    {
      name: "IP",
      field: [{ name: "address", number: 1, type: STRING, label: OPTIONAL, jsonName: "address" }],
    },
    {
      name: "CIDR",
      field: [
        { name: "address", number: 1, type: STRING, label: OPTIONAL, jsonName: "address" },
        { name: "length", number: 2, type: INT32, label: OPTIONAL, jsonName: "length" },
      ],
    },
  ],
});

/** The registry that declares the `net.IP` and `net.CIDR` types. */
export const NET_TYPES: Registry = createFileRegistry(file, () => undefined);

const IP_DESC = NET_TYPES.getMessage("net.IP") as DescMessage;
const CIDR_DESC = NET_TYPES.getMessage("net.CIDR") as DescMessage;
const IP_TYPE = objectType(IP_DESC);
const CIDR_TYPE = objectType(CIDR_DESC);

interface Prefix {
  ip: Ip;
  length: number;
}

// Rules parse the same address text many times (once per prefix length tried); bounded memo.
const memo = new Map<string, Ip | undefined>();
function apiIp(text: string): Ip | undefined {
  if (memo.has(text)) return memo.get(text);
  if (memo.size >= 4096) memo.clear();
  const ip = parseApiIp(text);
  memo.set(text, ip);
  return ip;
}

/** The prefix length as Go's netip.ParsePrefix reads it: decimal digits, no leading zero. */
function parsePrefix(text: string): Prefix | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const ip = apiIp(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  if (!ip || !/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) return undefined;
  const length = Number(lengthText);
  return length <= bitsOf(ip.family) ? { ip, length } : undefined;
}

const masked = (ip: Ip, length: number): Ip => {
  const host = BigInt(bitsOf(ip.family) - length);
  return { family: ip.family, value: (ip.value >> host) << host };
};

// The parsed form of each value, so that methods do not parse canonical text again: the pool range
// rule calls cidr() hundreds of times per IPv6 range.
const parsedIps = new WeakMap<object, Ip>();
const parsedPrefixes = new WeakMap<object, Prefix>();

function ipValue(ip: Ip): ReflectMessage {
  const message = create(IP_DESC, { address: formatIp(ip) });
  parsedIps.set(message, ip);
  return reflect(IP_DESC, message);
}
function cidrValue(p: Prefix): ReflectMessage {
  const message = create(CIDR_DESC, { address: formatIp(p.ip), length: p.length });
  parsedPrefixes.set(message, p);
  return reflect(CIDR_DESC, message);
}

const field = (m: ReflectMessage, name: string): unknown => {
  const f = m.desc.fields.find((x) => x.name === name);
  return f ? m.get(f) : undefined;
};
const ipOf = (m: ReflectMessage): Ip =>
  parsedIps.get(m.message) ?? (parseApiIp(String(field(m, "address"))) as Ip);
const prefixOfValue = (m: ReflectMessage): Prefix =>
  parsedPrefixes.get(m.message) ?? {
    ip: parseApiIp(String(field(m, "address"))) as Ip,
    length: Number(field(m, "length")),
  };

/** A CEL error carries its message; the engine reports it as the rule's evaluation error. */
function refuse(what: string, text: string): never {
  throw new Error(`${what} ${JSON.stringify(text)} is not valid`);
}

function ipFrom(text: string): Ip {
  return apiIp(text) ?? refuse("IP address", text);
}
function prefixFrom(text: string): Prefix {
  return parsePrefix(text) ?? refuse("CIDR", text);
}

function contains(p: Prefix, ip: Ip): boolean {
  return p.ip.family === ip.family && masked(ip, p.length).value === masked(p.ip, p.length).value;
}

const isFamily = (ip: Ip, family: Family) => ip.family === family;
const inRange = (ip: Ip, first: bigint, length: number): boolean =>
  masked(ip, length).value === first;

/** The functions of the Kubernetes IP and CIDR CEL libraries. */
export const IP_LIBRARY: CelFunc[] = [
  celFunc("isIP", [CelScalar.STRING], CelScalar.BOOL, (s) => apiIp(s) !== undefined),
  celFunc("ip", [CelScalar.STRING], IP_TYPE, (s) => ipValue(ipFrom(s))),
  celFunc("string", [IP_TYPE], CelScalar.STRING, (m) => String(field(m, "address"))),
  celMethod("family", IP_TYPE, [], CelScalar.INT, function () {
    return BigInt(ipOf(this).family);
  }),
  celMethod("isUnspecified", IP_TYPE, [], CelScalar.BOOL, function () {
    return ipOf(this).value === 0n;
  }),
  celMethod("isLoopback", IP_TYPE, [], CelScalar.BOOL, function () {
    const ip = ipOf(this);
    return isFamily(ip, 4) ? inRange(ip, 0x7f000000n, 8) : ip.value === 1n;
  }),
  celMethod("isLinkLocalUnicast", IP_TYPE, [], CelScalar.BOOL, function () {
    const ip = ipOf(this);
    return isFamily(ip, 4) ? inRange(ip, 0xa9fe0000n, 16) : inRange(ip, 0xfe80n << 112n, 10);
  }),
  celMethod("isLinkLocalMulticast", IP_TYPE, [], CelScalar.BOOL, function () {
    const ip = ipOf(this);
    return isFamily(ip, 4) ? inRange(ip, 0xe0000000n, 24) : inRange(ip, 0xff02n << 112n, 16);
  }),
  celMethod("isGlobalUnicast", IP_TYPE, [], CelScalar.BOOL, function () {
    // Go's netip: not unspecified, loopback, multicast, link-local or the IPv4 broadcast.
    const ip = ipOf(this);
    if (ip.value === 0n) return false;
    if (isFamily(ip, 4))
      return !(
        inRange(ip, 0x7f000000n, 8) ||
        inRange(ip, 0xe0000000n, 4) ||
        inRange(ip, 0xa9fe0000n, 16) ||
        ip.value === 0xffffffffn
      );
    return !(ip.value === 1n || inRange(ip, 0xffn << 120n, 8) || inRange(ip, 0xfe80n << 112n, 10));
  }),
  celFunc("isCIDR", [CelScalar.STRING], CelScalar.BOOL, (s) => parsePrefix(s) !== undefined),
  celFunc("cidr", [CelScalar.STRING], CIDR_TYPE, (s) => cidrValue(prefixFrom(s))),
  celFunc("string", [CIDR_TYPE], CelScalar.STRING, function (m) {
    const p = prefixOfValue(m);
    return `${formatIp(p.ip)}/${p.length}`;
  }),
  celMethod("ip", CIDR_TYPE, [], IP_TYPE, function () {
    return ipValue(prefixOfValue(this).ip);
  }),
  celMethod("prefixLength", CIDR_TYPE, [], CelScalar.INT, function () {
    return BigInt(prefixOfValue(this).length);
  }),
  celMethod("masked", CIDR_TYPE, [], CIDR_TYPE, function () {
    const p = prefixOfValue(this);
    return cidrValue({ ip: masked(p.ip, p.length), length: p.length });
  }),
  celMethod("containsIP", CIDR_TYPE, [CelScalar.STRING], CelScalar.BOOL, function (s) {
    return contains(prefixOfValue(this), ipFrom(s));
  }),
  celMethod("containsIP", CIDR_TYPE, [IP_TYPE], CelScalar.BOOL, function (m) {
    return contains(prefixOfValue(this), ipOf(m));
  }),
  celMethod("containsCIDR", CIDR_TYPE, [CelScalar.STRING], CelScalar.BOOL, function (s) {
    const p = prefixOfValue(this);
    const q = prefixFrom(s);
    return q.length >= p.length && contains(p, q.ip);
  }),
  celMethod("containsCIDR", CIDR_TYPE, [CIDR_TYPE], CelScalar.BOOL, function (m) {
    const p = prefixOfValue(this);
    const q = prefixOfValue(m);
    return q.length >= p.length && contains(p, q.ip);
  }),
];
