/** Seconds as `45s`, `3m05s`, `1h02m`. */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Progress of a long run on stderr, with its rate and ETA. On a terminal, one bar redrawn in place
 * (every 200 ms); anywhere else (a pipe, a log file, CI) a plain line every `plainEveryMs`, and
 * never a control character.
 */
export class ProgressBar {
  private readonly started: number;
  private lastDraw = 0;

  constructor(
    private readonly total: number,
    private readonly unit: string,
    private readonly out: { write(text: string): unknown },
    private readonly terminal: boolean,
    private readonly label = 'progress',
    private readonly now: () => number = Date.now,
    private readonly plainEveryMs = 5000,
  ) {
    this.started = now();
    // the first plain line comes after one interval, not at once
    if (!terminal) this.lastDraw = this.started;
  }

  static forStderr(total: number, unit: string, label?: string): ProgressBar {
    return new ProgressBar(total, unit, process.stderr, Boolean(process.stderr.isTTY), label);
  }

  update(done: number, force = false): void {
    const now = this.now();
    if (!force && now - this.lastDraw < (this.terminal ? 200 : this.plainEveryMs)) return;
    this.lastDraw = now;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const seconds = Math.max(0.001, (now - this.started) / 1000);
    const rate = done / seconds;
    const eta =
      done >= this.total ? 'done' : rate > 0 ? formatEta((this.total - done) / rate) : '?';
    const figures =
      `${done}/${this.total} ${this.unit} (${(frac * 100).toFixed(1)}%), ` +
      `${Math.round(rate)} ${this.unit}/s, ETA ${eta}`;
    if (this.terminal) {
      const width = 30;
      const filled = Math.round(frac * width);
      this.out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${figures} `);
    } else {
      this.out.write(`[fstore] ${this.label}: ${figures}\n`);
    }
  }

  done(done: number): void {
    this.update(done, true);
    if (this.terminal) this.out.write('\n');
  }
}
