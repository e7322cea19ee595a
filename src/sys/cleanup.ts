// Everything a lab, a test or a benchmark starts registers how to undo it here; teardown runs the
// steps in reverse, every one even when one fails. A signal can arrive while things are still
// coming up: steps registered after teardown began run at once, so nothing started late survives.
type Undo = () => Promise<void> | void;

const open = new Set<Cleanup>();

export class Cleanup {
  private readonly steps: { what: string; undo: Undo }[] = [];
  private closing = false;

  constructor() {
    open.add(this);
  }

  async add(what: string, undo: Undo): Promise<void> {
    if (!this.closing) {
      this.steps.push({ what, undo });
      return;
    }
    await this.runStep({ what, undo });
  }

  /** Registers how to stop `value` and returns it (for `const x = cleanup.use(…, start(), …)`). */
  use<T>(what: string, value: T, stop: (v: T) => Promise<void> | void): T {
    if (this.closing) void this.runStep({ what, undo: () => stop(value) });
    else this.steps.push({ what, undo: () => stop(value) });
    return value;
  }

  /** Runs every step (last first); returns what failed, so teardown never stops half-way. */
  async run(): Promise<string[]> {
    this.closing = true;
    open.delete(this);
    const failed: string[] = [];
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      const problem = await this.runStep(step);
      if (problem) failed.push(problem);
    }
    return failed;
  }

  /** Runs every step; throws naming every step that failed. */
  async close(): Promise<void> {
    const failed = await this.run();
    if (failed.length) throw new Error(`could not stop everything:\n${failed.join("\n")}`);
  }

  private async runStep(step: { what: string; undo: Undo }): Promise<string | undefined> {
    try {
      await step.undo();
      return undefined;
    } catch (err) {
      return `${step.what}: ${(err as Error).message}`;
    }
  }
}

/** Closes every Cleanup still open (a driver's signal handler). */
export async function closeAll(): Promise<void> {
  for (const c of [...open]) await c.close().catch((err: unknown) => console.error(String(err)));
}
