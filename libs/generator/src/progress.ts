/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */
export class ProgressBar {
  private readonly started = Date.now();
  private lastDraw = 0;

  private constructor(
    private readonly total: number,
    private readonly unit: string,
    private readonly stream: NodeJS.WriteStream,
  ) {}

  static forStderr(total: number, unit: string): ProgressBar | undefined {
    return process.stderr.isTTY ? new ProgressBar(total, unit, process.stderr) : undefined;
  }

  update(done: number, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const width = 30;
    const filled = Math.round(frac * width);
    const rate = done / Math.max(0.001, (now - this.started) / 1000);
    this.stream.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(1)}% ` +
        `${done}/${this.total} ${this.unit} ${Math.round(rate)}/s `,
    );
  }

  done(done: number): void {
    this.update(done, true);
    this.stream.write('\n');
  }
}
