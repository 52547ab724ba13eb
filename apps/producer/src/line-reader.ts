import { Readable } from 'stream';
import { MAX_LINE_BYTES } from '@fstore/events';

/** One physical input line (without its line break). */
export interface Line {
  /** 1-based line number in the file. */
  no: number;
  bytes: Buffer;
  /** Byte offset just after this line's line break (where the next line starts). */
  end: number;
  /** The line was longer than MAX_LINE_BYTES; `bytes` holds its first MAX_LINE_BYTES + 1. */
  truncated: boolean;
}

/**
 * Splits a byte stream into lines, a chunk's worth at a time (constant memory: a line longer than
 * MAX_LINE_BYTES is kept only up to that size). `firstLine`/`offset` number the first line read.
 */
export async function* readLines(
  stream: Readable,
  firstLine = 1,
  offset = 0,
): AsyncGenerator<Line[]> {
  let no = firstLine;
  let pos = offset;
  let carry: Buffer[] = [];
  let carryLen = 0;
  let truncated = false;
  const finish = (tail: Buffer, withBreak: boolean): Line => {
    let bytes = carry.length ? Buffer.concat([...carry, tail]) : tail;
    const len = carryLen + tail.length;
    pos += len + (withBreak ? 1 : 0);
    if (bytes.length > MAX_LINE_BYTES + 1) bytes = bytes.subarray(0, MAX_LINE_BYTES + 1);
    if (bytes.length > 0 && bytes[bytes.length - 1] === 13) bytes = bytes.subarray(0, -1);
    const line = { no: no++, bytes, end: pos, truncated: truncated || len > MAX_LINE_BYTES + 1 };
    carry = [];
    carryLen = 0;
    truncated = false;
    return line;
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const lines: Line[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        const rest = chunk.subarray(start);
        if (carryLen <= MAX_LINE_BYTES) carry.push(Buffer.from(rest));
        else truncated = true;
        carryLen += rest.length;
        break;
      }
      lines.push(finish(chunk.subarray(start, nl), true));
      start = nl + 1;
    }
    if (lines.length) yield lines;
  }
  if (carryLen > 0) yield [finish(Buffer.alloc(0), false)];
}
