// The heartbeat keys on disk, and their rotation. The file --heartbeat-key-file names seals what
// this speaker sends; files beside it whose names start with "accept" (accept-previous,
// accept-next) are accepted too. A rotation without a moment where two speakers cannot hear
// each other: add the new key as accept-next everywhere, then make it the key (the old one as
// accept-previous), then drop accept-previous. A mounted Secret changes under a running speaker,
// so the files are read again every few seconds.
import { readFileSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { checkKey } from "./codec.js";

/** The sealing key first, then the accepted ones (sorted by file name). */
export function readKeys(file: string): Uint8Array[] {
  const read = (path: string): Uint8Array => {
    const key = readFileSync(path);
    try {
      checkKey(key);
    } catch (err) {
      throw new Error(`heartbeat key ${path}: ${(err as Error).message}`);
    }
    return key;
  };
  const dir = dirname(file);
  const accepted = readdirSync(dir)
    .filter((f) => f.startsWith("accept") && f !== basename(file))
    .sort()
    .map((f) => read(join(dir, f)));
  return [read(file), ...accepted];
}

const same = (a: readonly Uint8Array[], b: readonly Uint8Array[]) =>
  a.length === b.length && a.every((k, i) => Buffer.compare(k, b[i] as Uint8Array) === 0);

/** Calls `onChange` with the new keys whenever the files change; keeps the last good ones. */
export class KeyWatcher {
  private timer: NodeJS.Timeout | undefined;
  private current: Uint8Array[];

  constructor(
    private readonly file: string,
    private readonly onChange: (keys: Uint8Array[]) => void,
    private readonly onError: (message: string) => void,
    intervalMs = 5000,
  ) {
    this.current = readKeys(file);
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  get keys(): readonly Uint8Array[] {
    return this.current;
  }

  check(): void {
    try {
      const next = readKeys(this.file);
      if (same(next, this.current)) return;
      this.current = next;
      this.onChange(next);
    } catch (err) {
      this.onError((err as Error).message);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
