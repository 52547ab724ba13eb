import { isUtf8 } from 'buffer';
import { Readable } from 'stream';
import { MAX_LINE_BYTES } from '@fstore/events';

/** One physical input line, without its line break (and without a trailing CR). */
export interface Line {
  /** 1-based line number in the file. */
  no: number;
  /** The line as text, when it is valid UTF-8 (the common case: no per-line Buffer). */
  text?: string;
  /** The line's bytes, when it is not valid UTF-8 or was truncated. */
  bytes?: Buffer;
  /** Byte offset just after this line's line break (where the next line starts). */
  end: number;
  /** The line was longer than MAX_LINE_BYTES; `bytes` holds its first MAX_LINE_BYTES + 1. */
  truncated: boolean;
}

/** The line's original bytes (valid UTF-8 text re-encodes to exactly the bytes it came from). */
export const lineBytes = (line: Line): Buffer => line.bytes ?? Buffer.from(line.text ?? '');

export const isBlank = (line: Line): boolean => (line.text ?? line.bytes ?? '').length === 0;

const CR = 13;
const LF = 10;

/**
 * Splits a byte stream into lines, a chunk's worth at a time, in constant memory (a line longer
 * than MAX_LINE_BYTES is kept only up to that size). A chunk that is valid UTF-8 is decoded once;
 * `firstLine`/`offset` give the number and byte offset of the first line read.
 */
export async function* readLines(
  stream: Readable,
  firstLine = 1,
  offset = 0,
): AsyncGenerator<Line[]> {
  let no = firstLine;
  let pos = offset;
  // The partial line carried over from earlier chunks (at most MAX_LINE_BYTES + 1 bytes kept).
  let carry: Buffer[] = [];
  let carryKept = 0;
  let carryLen = 0;

  const keep = (b: Buffer) => {
    carryLen += b.length;
    const room = MAX_LINE_BYTES + 1 - carryKept;
    if (room > 0) {
      const part = Buffer.from(b.subarray(0, room));
      carry.push(part);
      carryKept += part.length;
    }
  };

  /** A line from raw bytes (the slow path: invalid UTF-8, oversized, or across chunks). */
  const bytesLine = (bytes: Buffer, len: number, withBreak: boolean): Line => {
    pos += len + (withBreak ? 1 : 0);
    let b = bytes;
    if (b.length > 0 && b[b.length - 1] === CR && len <= MAX_LINE_BYTES + 1) {
      b = b.subarray(0, -1);
    }
    const truncated = len - (b.length < bytes.length ? 1 : 0) > MAX_LINE_BYTES;
    if (!truncated && isUtf8(b)) return { no: no++, text: b.toString('utf8'), end: pos, truncated };
    return { no: no++, bytes: b, end: pos, truncated };
  };

  const finishCarry = (tail: Buffer, withBreak: boolean): Line => {
    keep(tail);
    const line = bytesLine(Buffer.concat(carry), carryLen, withBreak);
    carry = [];
    carryKept = 0;
    carryLen = 0;
    return line;
  };

  const splitRegion = (region: Buffer, lines: Line[]) => {
    // region ends with a line break
    if (isUtf8(region)) {
      const text = region.toString('utf8');
      const ascii = text.length === region.length;
      let s = 0;
      for (;;) {
        const nl = text.indexOf('\n', s);
        if (nl < 0) return;
        let t = text.slice(s, nl);
        const len = ascii ? nl - s : Buffer.byteLength(t);
        if (len > MAX_LINE_BYTES) {
          lines.push(bytesLine(Buffer.from(t).subarray(0, MAX_LINE_BYTES + 1), len, true));
        } else {
          pos += len + 1;
          if (t.charCodeAt(t.length - 1) === CR) t = t.slice(0, -1);
          lines.push({ no: no++, text: t, end: pos, truncated: false });
        }
        s = nl + 1;
      }
    }
    let s = 0;
    for (;;) {
      const nl = region.indexOf(LF, s);
      if (nl < 0) return;
      const len = nl - s;
      lines.push(bytesLine(region.subarray(s, s + Math.min(len, MAX_LINE_BYTES + 1)), len, true));
      s = nl + 1;
    }
  };

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const last = chunk.lastIndexOf(LF);
    if (last < 0) {
      keep(chunk);
      continue;
    }
    const lines: Line[] = [];
    let start = 0;
    if (carryLen > 0) {
      const first = chunk.indexOf(LF);
      lines.push(finishCarry(chunk.subarray(0, first), true));
      start = first + 1;
    }
    if (start <= last) splitRegion(chunk.subarray(start, last + 1), lines);
    if (last + 1 < chunk.length) keep(chunk.subarray(last + 1));
    yield lines;
  }
  if (carryLen > 0) yield [finishCarry(Buffer.alloc(0), false)];
}
