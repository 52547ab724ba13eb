import { isUtf8 } from 'buffer';
import {
  CsvLayout,
  FieldError,
  MAX_LINE_BYTES,
  ParseResult,
  ROW,
  csvFieldAt,
  parseCsvLine,
  parseNdjsonLine,
} from '@fstore/events';
import { deadLetterMessage, deadLetterOf, type ProducerDeadLetter } from '@fstore/contracts';
import { Line, lineBytes } from './line-reader';

export type InputFormat = 'csv' | 'ndjson';

export function formatOf(path: string): InputFormat {
  return /\.(nd)?jsonl?$/i.test(path) ? 'ndjson' : 'csv';
}

/** A valid record, ready for the main topic: keyed by customer_id, the event as JSON. */
export interface Accepted {
  ok: true;
  key: string;
  value: string;
}

/** A rejected record, ready for the dead-letter topic. */
export interface Rejected {
  ok: false;
  reason: FieldError;
  value: string;
  headers: Record<string, string>;
}

/** The producer's dead letter (the envelope of `@fstore/contracts`, docs/dead-letter-format.md). */
export type DeadLetter = ProducerDeadLetter;

/** Turns input lines into main-topic or dead-letter messages. */
export class RecordDecoder {
  constructor(
    private readonly format: InputFormat,
    private readonly sourceName: string,
    private readonly layout?: CsvLayout,
  ) {}

  decode(line: Line): Accepted | Rejected {
    const source = { file: this.sourceName, line: line.no };
    let result: ParseResult;
    if (line.truncated) {
      result = fail(ROW, 'line_length', `line longer than ${MAX_LINE_BYTES} bytes`);
    } else if (line.text === undefined) {
      const bytes = line.bytes ?? Buffer.alloc(0);
      result = fail(this.badUtf8Field(bytes), 'utf8', 'bytes that are not valid UTF-8');
    } else {
      const text = line.text;
      result =
        this.format === 'csv'
          ? parseCsvLine(text, this.layout, source)
          : parseNdjsonLine(text, source);
    }
    if (result.ok) {
      return { ok: true, key: result.event.customer_id, value: JSON.stringify(result.event) };
    }
    const message = deadLetterMessage(
      deadLetterOf({
        service: 'producer',
        reason: result.error,
        file: this.sourceName,
        line: line.no,
        input: { format: this.format, has_event_id: this.layout?.hasEventId ?? false },
        original: lineBytes(line),
        truncated: line.truncated,
      }),
    );
    return { ok: false, reason: result.error, value: message.value, headers: message.headers };
  }

  /** The CSV column holding the first invalid byte (`row` for NDJSON or when unsure). */
  private badUtf8Field(bytes: Buffer): string {
    if (this.format !== 'csv' || !this.layout) return ROW;
    let column = 0;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x2c) {
        if (!isUtf8(bytes.subarray(start, i))) return csvFieldAt(this.layout, column);
        column++;
        start = i + 1;
      }
    }
    return ROW;
  }
}

function fail(field: string, rule: FieldError['rule'], message: string): ParseResult {
  return { ok: false, error: { field, rule, message } };
}
