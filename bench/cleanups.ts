/** A benchmark's undo steps, run newest first: at the end, on failure, on Ctrl-C. */
export class Cleanups {
  private readonly steps: { what: string; run: () => Promise<unknown> }[] = [];
  constructor(private readonly log: (m: string) => void) {}
  add(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run });
  }
  /** Whether a signal started the cleanup (runOnSignals). */
  interrupted = false;
  /** On SIGINT or SIGTERM: the steps, once, then exit as the signal would have (130, 143). */
  runOnSignals(): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.interrupted) return;
      this.interrupted = true;
      this.log(`${signal}: cleaning up`);
      void this.runAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
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
