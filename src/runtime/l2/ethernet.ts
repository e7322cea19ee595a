// MAC addresses (text form "aa:bb:cc:dd:ee:ff") and the Ethernet II header.

export const ETH_HEADER = 14;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
/** Shortest Ethernet frame without FCS: shorter frames are padded up to it on the wire. */
export const ETH_MIN_FRAME = 60;
/** Longest a padded ARP/NDP frame may legitimately be: the minimum frame plus an FCS some NICs keep. */
export const PADDED_LIMIT = ETH_MIN_FRAME + 4;

export const BROADCAST_MAC = "ff:ff:ff:ff:ff:ff";
export const ZERO_MAC = "00:00:00:00:00:00";

const MAC_TEXT = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function formatMac(bytes: Uint8Array, offset = 0): string {
  let s = "";
  for (let i = 0; i < 6; i++) {
    const b = bytes[offset + i] ?? 0;
    s += (i ? ":" : "") + (b < 16 ? "0" : "") + b.toString(16);
  }
  return s;
}

/** Parses "aa:bb:cc:dd:ee:ff" (any case, ":" or "-"); undefined when it is not a MAC. */
export function parseMac(text: string): Buffer | undefined {
  const t = text.toLowerCase().replace(/-/g, ":");
  if (!MAC_TEXT.test(t)) return undefined;
  return Buffer.from(t.split(":").map((h) => parseInt(h, 16)));
}

export function macBytes(text: string): Buffer {
  const b = parseMac(text);
  if (!b) throw new Error(`"${text}" is not a MAC address (want aa:bb:cc:dd:ee:ff)`);
  return b;
}

/** Unicast: not multicast/broadcast (I/G bit clear) and not all zeros. */
export function isUnicastMac(bytes: Uint8Array, offset = 0): boolean {
  if (((bytes[offset] ?? 0) & 1) !== 0) return false;
  for (let i = 0; i < 6; i++) if (bytes[offset + i] !== 0) return true;
  return false;
}

export function writeEthernetHeader(
  frame: Buffer,
  dst: string,
  src: string,
  ethertype: number,
): void {
  macBytes(dst).copy(frame, 0);
  macBytes(src).copy(frame, 6);
  frame.writeUInt16BE(ethertype, 12);
}
