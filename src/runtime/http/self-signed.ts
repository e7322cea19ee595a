// A self-signed TLS certificate made at start-up, for the metrics endpoint when no certificate is
// mounted (as controller-runtime does for its secure metrics). Node can sign but not build an
// X.509 certificate, so the DER is assembled here: an ECDSA P-256 key, a v3 certificate naming
// the host in its subjectAltName, valid for a year, signed with its own key.
import { generateKeyPairSync, randomBytes, sign, X509Certificate } from "node:crypto";
import { isIP } from "node:net";

export interface SelfSigned {
  /** PEM */
  cert: string;
  /** PEM (PKCS#8) */
  key: string;
}

const length = (n: number): number[] =>
  n < 0x80
    ? [n]
    : n < 0x100
      ? [0x81, n]
      : n < 0x10000
        ? [0x82, n >> 8, n & 0xff]
        : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
const tlv = (tag: number, ...body: Buffer[]): Buffer => {
  const b = Buffer.concat(body);
  return Buffer.concat([Buffer.from([tag, ...length(b.length)]), b]);
};
const seq = (...parts: Buffer[]) => tlv(0x30, ...parts);
const set = (...parts: Buffer[]) => tlv(0x31, ...parts);
const explicit = (n: number, ...parts: Buffer[]) => tlv(0xa0 + n, ...parts);
/** A non-negative INTEGER from big-endian bytes. */
const integer = (b: Buffer) => tlv(0x02, (b[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.of(0), b]) : b);
const bool = (v: boolean) => tlv(0x01, Buffer.of(v ? 0xff : 0));
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer) => tlv(0x03, Buffer.of(0), b);

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split(".").map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128))
      chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(iso.slice(2)))
    : tlv(0x18, Buffer.from(iso));
}

const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));
const name = (cn: string) => seq(set(seq(oid("2.5.4.3"), tlv(0x0c, Buffer.from(cn)))));

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split(".").map(Number));
  const [head = "", tail = ""] = ip.split("::");
  const groups = (s: string) => (s ? s.split(":") : []);
  const h = groups(head);
  const t = groups(tail);
  const all = ip.includes("::")
    ? [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t]
    : h;
  return Buffer.from(all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

/** A certificate for `names` (DNS names and IP addresses; the first is the subject's CN). */
export function selfSigned(names: readonly string[], now = new Date(), days = 365): SelfSigned {
  if (!names.length) throw new Error("a certificate needs at least one name");
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const serial = randomBytes(16);
  // Positive and with a non-zero first byte: DER wants the shortest INTEGER, and a serial that
  // began with 0x00 0x0…–0x7… (1 start in 256) was refused by OpenSSL, so the process exited.
  serial[0] = (serial[0]! & 0x3f) | 0x40;
  const altNames = names.map((n) => (isIP(n) ? tlv(0x87, ipBytes(n)) : tlv(0x82, Buffer.from(n))));
  const extensions = explicit(
    3,
    seq(
      seq(oid("2.5.29.19"), bool(true), octets(seq())), // basicConstraints: not a CA
      seq(oid("2.5.29.15"), bool(true), octets(tlv(0x03, Buffer.of(7, 0x80)))), // keyUsage: digitalSignature
      seq(oid("2.5.29.37"), octets(seq(oid("1.3.6.1.5.5.7.3.1")))), // extKeyUsage: serverAuth
      seq(oid("2.5.29.17"), octets(seq(...altNames))), // subjectAltName
    ),
  );
  const notBefore = new Date(now.getTime() - 5 * 60_000); // tolerate clients a little behind
  const notAfter = new Date(now.getTime() + days * 86_400_000);
  const tbs = seq(
    explicit(0, integer(Buffer.of(2))),
    integer(serial),
    ECDSA_SHA256,
    name(names[0]!),
    seq(time(notBefore), time(notAfter)),
    name(names[0]!),
    publicKey.export({ type: "spki", format: "der" }),
    extensions,
  );
  const signature = sign("sha256", tbs, { key: privateKey, dsaEncoding: "der" });
  const der = seq(tbs, ECDSA_SHA256, bits(signature));
  // Parsing it back checks the encoding before anything is served with it.
  const cert = new X509Certificate(der);
  if (!cert.verify(publicKey)) throw new Error("the self-signed certificate does not verify");
  return {
    cert: cert.toString(),
    key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}
