// Everything a benchmark starts, stopped in reverse order: from its `finally`, and from the
// driver when the run is interrupted (SIGINT/SIGTERM would otherwise skip the `finally`).
type Stop = () => Promise<void> | void;

const open = new Set<Stack>();

export class Stack {
  private readonly stops: { what: string; stop: Stop }[] = [];

  constructor() {
    open.add(this);
  }

  /** Registers how to stop `value`, and returns it. */
  use<T>(what: string, value: T, stop: (v: T) => Promise<void> | void): T {
    this.stops.push({ what, stop: () => stop(value) });
    return value;
  }

  /** Stops everything registered, last first; every stop runs even when one fails. */
  async close(): Promise<void> {
    open.delete(this);
    const failures: string[] = [];
    for (let s = this.stops.pop(); s; s = this.stops.pop()) {
      try {
        await s.stop();
      } catch (err) {
        failures.push(`${s.what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (failures.length) throw new Error(`could not stop everything:\n${failures.join("\n")}`);
  }
}

/** Closes every stack still open (the driver's signal handler). */
export async function closeAll(): Promise<void> {
  for (const s of [...open]) await s.close().catch((err: unknown) => console.error(String(err)));
}
