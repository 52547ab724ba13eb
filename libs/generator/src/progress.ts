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

/** The lines of `fstore produce`: records/s and ETA by the bytes of the file still to read. */
export interface FileProgressLike {
  file: string;
  records: number;
  startedAt: number;
  bytesDone: number;
  bytesStart: number;
  bytesTotal: number;
}

/**
 * A reporter of a file's production: on a terminal one line redrawn in place (every 200 ms),
 * anywhere else a plain line every `plainEveryMs`; `end()` finishes the terminal's line.
 */
export function fileProgressReporter(
  out: { write(text: string): unknown },
  terminal: boolean,
  now: () => number = Date.now,
  plainEveryMs = 5000,
): { update(p: FileProgressLike): void; end(): void } {
  let last = terminal ? 0 : now();
  let drawn = false;
  return {
    update(p) {
      const t = now();
      const finished = p.bytesDone >= p.bytesTotal;
      if (!finished && t - last < (terminal ? 200 : plainEveryMs)) return;
      last = t;
      const seconds = Math.max(0.001, (t - p.startedAt) / 1000);
      const byteRate = (p.bytesDone - p.bytesStart) / seconds;
      const eta = finished
        ? 'done'
        : byteRate > 0
          ? formatEta((p.bytesTotal - p.bytesDone) / byteRate)
          : '?';
      const pct = p.bytesTotal > 0 ? ((p.bytesDone / p.bytesTotal) * 100).toFixed(1) : '100.0';
      const mb = (p.bytesTotal / 1e6).toFixed(1);
      const figures =
        `${p.records} records, ${pct}% of ${mb} MB, ` +
        `${Math.round(p.records / seconds)} records/s, ETA ${eta}`;
      if (terminal) {
        out.write(`\r[fstore] produce ${p.file}: ${figures} `);
        drawn = true;
      } else out.write(`[fstore] produce ${p.file}: ${figures}\n`);
    },
    end() {
      if (drawn) out.write('\n');
      drawn = false;
    },
  };
}
