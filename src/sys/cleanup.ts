// Everything the lab starts registers how to undo it here; teardown runs the steps in reverse.
// A signal can arrive while the lab is still coming up: steps registered after teardown began
// run at once, so nothing started late survives.

export class Cleanup {
  private readonly steps: { what: string; undo: () => Promise<void> | void }[] = [];
  private closing = false;

  async add(what: string, undo: () => Promise<void> | void): Promise<void> {
    if (!this.closing) {
      this.steps.push({ what, undo });
      return;
    }
    await this.runStep({ what, undo });
  }

  /** Runs every step (last first); returns what failed, so teardown never stops half-way. */
  async run(): Promise<string[]> {
    this.closing = true;
    const failed: string[] = [];
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      const problem = await this.runStep(step);
      if (problem) failed.push(problem);
    }
    return failed;
  }

  private async runStep(step: {
    what: string;
    undo: () => Promise<void> | void;
  }): Promise<string | undefined> {
    try {
      await step.undo();
      return undefined;
    } catch (err) {
      return `${step.what}: ${(err as Error).message}`;
    }
  }
}
