// BGP community text as the API writes it: a standard community "AS:value" (RFC 1997, each part
// 0-65535) and a large community "large:global:local1:local2" (RFC 8092, each part 32 bits). The
// BGP library reads the same forms, without the "large:" prefix, from its own callers.
export interface LargeCommunity {
  global: number;
  local1: number;
  local2: number;
}

const U16 = /^\d{1,5}$/;
const U32 = /^\d{1,10}$/;

/** "65000:100" → its 32-bit value; undefined when malformed. */
export function parseCommunity(text: string): number | undefined {
  const parts = text.split(":");
  if (parts.length !== 2 || !parts.every((p) => U16.test(p))) return undefined;
  const [hi, lo] = parts.map(Number) as [number, number];
  if (hi > 0xffff || lo > 0xffff) return undefined;
  return hi * 0x10000 + lo;
}

export const formatCommunity = (c: number): string => `${Math.floor(c / 0x10000)}:${c & 0xffff}`;

/** "4200000000:1:2" → its three 32-bit parts; undefined when malformed. */
export function parseLargeCommunity(text: string): LargeCommunity | undefined {
  const parts = text.split(":");
  if (parts.length !== 3 || !parts.every((p) => U32.test(p))) return undefined;
  const [global, local1, local2] = parts.map(Number) as [number, number, number];
  if ([global, local1, local2].some((v) => v > 0xffffffff)) return undefined;
  return { global, local1, local2 };
}

export const formatLargeCommunity = (c: LargeCommunity): string =>
  `${c.global}:${c.local1}:${c.local2}`;

export const LARGE_PREFIX = "large:";

/** A community value as configured: "AS:value" or "large:global:local1:local2". */
export type CommunityValue =
  | { kind: "standard"; text: string }
  | { kind: "large"; /** Without the "large:" prefix. */ text: string };

/** Parses a configured community value; undefined when it is neither form. */
export function parseCommunityValue(text: string): CommunityValue | undefined {
  if (text.startsWith(LARGE_PREFIX)) {
    const body = text.slice(LARGE_PREFIX.length);
    return parseLargeCommunity(body) ? { kind: "large", text: body } : undefined;
  }
  return parseCommunity(text) !== undefined ? { kind: "standard", text } : undefined;
}

/** Community alias names (Community objects, BGPAdvertisement references). */
export const ALIAS_PATTERN = "^[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$";

export const COMMUNITY_HELP =
  "a community is AS:value (each 0-65535, e.g. 64500:100) or large:global:local1:local2 (each 0-4294967295)";
