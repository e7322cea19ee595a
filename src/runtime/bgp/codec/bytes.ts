// Bounds-checked reading and growable writing of network-order fields. The reader never reads
// past its window: an overrun becomes the BgpError its caller chose for that part of a message.
import type { BgpError } from "../errors.js";

export class Reader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    /** Builds the error raised when a field runs past the end; `what` names the field. */
    private readonly overrun: (what: string) => BgpError,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) throw this.overrun(what);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++] as number;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A view (not a copy) of the next n bytes. */
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A reader over the next n bytes, with its own overrun error; this reader skips them. */
  sub(n: number, what: string, overrun: (what: string) => BgpError = this.overrun): Reader {
    this.need(n, what);
    const r = new Reader(this.buf, overrun, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }
}

export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.pos;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.room(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Reserves a 1- or 2-octet length field; the returned function fills it in later. */
  lengthField(octets: 1 | 2): () => void {
    const at = this.pos;
    this.room(octets);
    this.pos += octets;
    return () => {
      const len = this.pos - at - octets;
      if (octets === 1) this.buf[at] = len;
      else this.buf.writeUInt16BE(len, at);
    };
  }

  /** Overwrites a 16-bit value at an absolute offset already written. */
  patchU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v, at);
  }

  /** What was written, without copying; valid until the next write. */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of what was written. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
