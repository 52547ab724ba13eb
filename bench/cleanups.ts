/** A benchmark's undo steps, run newest first: at the end, on failure, on Ctrl-C. */
export class Cleanups {
  private readonly steps: { what: string; run: () => Promise<unknown> }[] = [];
  constructor(private readonly log: (m: string) => void) {}
  add(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run });
  }
  async runAll(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.run();
      } catch (e) {
        this.log(`cleanup: ${step.what} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}
