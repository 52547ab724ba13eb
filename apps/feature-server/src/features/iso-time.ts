const DAY_MS = 86_400_000;
/** 10000-01-01T00:00:00Z: from there on toISOString writes six-digit years. */
const YEAR_10000_MS = 253_402_300_800_000;

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * Formats epoch milliseconds exactly like Date#toISOString, about ten times faster for a day it
 * has formatted before: the date part is kept per day, the time of day is plain arithmetic.
 * Every value of an answer carries its event time, and toISOString (~0.8 µs) was the costliest
 * step of a single-entity read.
 */
export class IsoTimeFormatter {
  private day = NaN;
  private datePart = '';

  format(ms: number): string {
    if (!Number.isInteger(ms) || ms < 0 || ms >= YEAR_10000_MS) return new Date(ms).toISOString();
    const day = Math.floor(ms / DAY_MS);
    if (day !== this.day) {
      this.datePart = new Date(day * DAY_MS).toISOString().slice(0, 11);
      this.day = day;
    }
    let rest = ms - day * DAY_MS;
    const hours = Math.floor(rest / 3_600_000);
    rest -= hours * 3_600_000;
    const minutes = Math.floor(rest / 60_000);
    rest -= minutes * 60_000;
    const seconds = Math.floor(rest / 1000);
    return `${this.datePart}${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${pad3(rest - seconds * 1000)}Z`;
  }
}
