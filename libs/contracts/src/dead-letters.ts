import { RULES, type Rule } from '@fstore/events';

/**
 * The dead-letter envelope: what the producer and the feature writer send to the dead-letter
 * topic (TOPICS.deadLetter) for a record they can never accept, built here for both
 * (deadLetterMessage) and read back here (parseDeadLetter) by `fstore dlq` and the tests. The
 * format, each rule and what replay does with it: docs/dead-letter-format.md.
 */

/** Who dead-lettered a record: the discriminator of the envelope. */
export const DEAD_LETTER_SERVICES = ['producer', 'feature-writer'] as const;
export type DeadLetterService = (typeof DEAD_LETTER_SERVICES)[number];

/** The producer's rules are the raw-event validation rules of `@fstore/events`. */
export const PRODUCER_RULES = RULES;
export type ProducerRule = Rule;

/**
 * The feature writer's rules (apps/feature-writer/src/changelog.ts), each with the part of the
 * changelog record it is about (the `field` of the reason) and what it means.
 */
export const WRITER_RULES = {
  json: { field: 'record', means: 'the key or the value is not JSON' },
  key: { field: 'key', means: "the key is not an object carrying the entity's key columns" },
  tile_end: { field: 'key', means: "a tile's `tile_end` is not the end of a tile" },
  event_time: { field: 'value', means: '`event_time` is not a timestamp' },
  value: {
    field: 'value',
    means: 'the value is not a number, or one the online-store format cannot hold',
  },
  tombstone: { field: 'value', means: 'a tombstone for a tile (a tile is never deleted)' },
  events: { field: 'value', means: "a tile's `events` is not a positive count" },
  agg: { field: 'value', means: "a tile's `agg` is not a number" },
} as const;
export type WriterRule = keyof typeof WRITER_RULES;

/** The input a producer letter's line came from, so that replay decodes it as it was read. */
export interface ProducerInput {
  format: 'csv' | 'ndjson';
  /** CSV: the header had the EventID column (15 columns). */
  has_event_id: boolean;
}

export interface ProducerDeadLetter {
  service: 'producer';
  /** The first broken rule in field order; `field` a raw-event field or `row`. */
  reason: { field: string; rule: ProducerRule; message: string };
  /** The input's base name and 1-based physical line (the event_id rule uses both). */
  source: { file: string; line: number };
  input: ProducerInput;
  /** The line's original bytes (without the line break), base64. */
  original_base64: string;
  /** True when the line exceeded MAX_LINE_BYTES and only its start is kept. */
  original_truncated: boolean;
}

export interface WriterDeadLetter {
  service: 'feature-writer';
  reason: { field: string; rule: WriterRule; message: string };
  /** The changelog record's place (`service` repeats the envelope's: readers of the first shape). */
  source: { service: 'feature-writer'; topic: string; partition: number; offset: string };
  /** The changelog record's key and value as they were, base64; null: none (a tombstone). */
  key_base64: string | null;
  original_base64: string | null;
}

export type DeadLetter = ProducerDeadLetter | WriterDeadLetter;

/** A dead letter as a Kafka message. */
export interface DeadLetterMessage {
  /** Producer: none (the producer spreads letters by line); writer: `topic/partition/offset`. */
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** The headers of every dead letter (docs/dead-letter-format.md, "Headers"). */
export const DEAD_LETTER_HEADERS = {
  service: 'fstore.service',
  rule: 'fstore.reason.rule',
  field: 'fstore.reason.field',
  file: 'fstore.source.file',
  line: 'fstore.source.line',
  topic: 'fstore.source.topic',
  partition: 'fstore.source.partition',
  offset: 'fstore.source.offset',
} as const;

/** What the producer knows of a line it rejected. */
export interface ProducerRejection {
  service: 'producer';
  reason: { field: string; rule: ProducerRule; message: string };
  file: string;
  line: number;
  input: ProducerInput;
  original: Buffer;
  truncated: boolean;
}

/** What the feature writer knows of a changelog record it rejected. */
export interface WriterRejection {
  service: 'feature-writer';
  rule: WriterRule;
  message: string;
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

/** The envelope of a rejected record. */
export function deadLetterOf(rejection: ProducerRejection): ProducerDeadLetter;
export function deadLetterOf(rejection: WriterRejection): WriterDeadLetter;
export function deadLetterOf(rejection: ProducerRejection | WriterRejection): DeadLetter {
  if (rejection.service === 'producer') {
    return {
      service: 'producer',
      reason: { ...rejection.reason },
      source: { file: rejection.file, line: rejection.line },
      input: { ...rejection.input },
      original_base64: rejection.original.toString('base64'),
      original_truncated: rejection.truncated,
    };
  }
  const { rule, message, topic, partition, offset } = rejection;
  return {
    service: 'feature-writer',
    reason: { field: WRITER_RULES[rule].field, rule, message },
    source: { service: 'feature-writer', topic, partition, offset },
    key_base64: rejection.key?.toString('base64') ?? null,
    original_base64: rejection.value?.toString('base64') ?? null,
  };
}

/** The Kafka message (key, JSON value, headers) of a dead letter: the one way both services send one. */
export function deadLetterMessage(letter: DeadLetter): DeadLetterMessage {
  const h = DEAD_LETTER_HEADERS;
  const common = {
    [h.service]: letter.service,
    [h.rule]: letter.reason.rule,
    [h.field]: letter.reason.field,
  };
  if (letter.service === 'producer') {
    return {
      key: null,
      value: JSON.stringify(letter),
      headers: { ...common, [h.file]: letter.source.file, [h.line]: String(letter.source.line) },
    };
  }
  const { topic, partition, offset } = letter.source;
  return {
    key: `${topic}/${partition}/${offset}`,
    value: JSON.stringify(letter),
    headers: { ...common, [h.topic]: topic, [h.partition]: String(partition), [h.offset]: offset },
  };
}

export type ParsedDeadLetter = { ok: true; letter: DeadLetter } | { ok: false; error: string };

/**
 * Reads a dead letter's value back, checking every field. Also reads the two shapes written
 * before the envelope (no `service`; a producer letter without `input`, a writer letter without
 * `reason.field`), completing them as docs/dead-letter-format.md says.
 */
export function parseDeadLetter(value: Buffer | string | null): ParsedDeadLetter {
  if (value === null) return bad('no value');
  let json: unknown;
  try {
    json = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch {
    return bad('not JSON');
  }
  if (!isObject(json)) return bad('not a JSON object');
  const { reason, source } = json;
  if (!isObject(reason)) return bad('reason: not an object');
  if (!isObject(source)) return bad('source: not an object');
  if (typeof reason.message !== 'string') return bad('reason.message: not a string');
  const service =
    json.service ?? (source.service === 'feature-writer' ? source.service : 'producer');
  if (service === 'producer') return parseProducer(json, reason, source);
  if (service === 'feature-writer') return parseWriter(json, reason, source);
  return bad(`service: not one of ${DEAD_LETTER_SERVICES.join(', ')}`);
}

function parseProducer(
  json: Record<string, unknown>,
  reason: Record<string, unknown>,
  source: Record<string, unknown>,
): ParsedDeadLetter {
  if (typeof reason.field !== 'string') return bad('reason.field: not a string');
  if (typeof reason.rule !== 'string' || !Object.hasOwn(PRODUCER_RULES, reason.rule))
    return bad('reason.rule: not a producer rule');
  if (typeof source.file !== 'string') return bad('source.file: not a string');
  if (!Number.isSafeInteger(source.line) || (source.line as number) < 1)
    return bad('source.line: not a positive integer');
  if (typeof json.original_base64 !== 'string') return bad('original_base64: not a string');
  if (typeof json.original_truncated !== 'boolean') return bad('original_truncated: not a boolean');
  let input: ProducerInput;
  if (json.input === undefined) {
    input = legacyInput(source.file, Buffer.from(json.original_base64, 'base64'));
  } else {
    const i = json.input;
    if (!isObject(i) || (i.format !== 'csv' && i.format !== 'ndjson'))
      return bad('input.format: not csv or ndjson');
    if (typeof i.has_event_id !== 'boolean') return bad('input.has_event_id: not a boolean');
    input = { format: i.format, has_event_id: i.has_event_id };
  }
  return {
    ok: true,
    letter: {
      service: 'producer',
      reason: {
        field: reason.field,
        rule: reason.rule as ProducerRule,
        message: reason.message as string,
      },
      source: { file: source.file, line: source.line as number },
      input,
      original_base64: json.original_base64,
      original_truncated: json.original_truncated,
    },
  };
}

function parseWriter(
  json: Record<string, unknown>,
  reason: Record<string, unknown>,
  source: Record<string, unknown>,
): ParsedDeadLetter {
  if (typeof reason.rule !== 'string' || !Object.hasOwn(WRITER_RULES, reason.rule))
    return bad('reason.rule: not a feature-writer rule');
  const rule = reason.rule as WriterRule;
  if (reason.field !== undefined && typeof reason.field !== 'string')
    return bad('reason.field: not a string');
  if (typeof source.topic !== 'string' || source.topic === '')
    return bad('source.topic: not a topic name');
  if (!Number.isSafeInteger(source.partition) || (source.partition as number) < 0)
    return bad('source.partition: not a partition number');
  if (typeof source.offset !== 'string' || !/^\d+$/.test(source.offset))
    return bad('source.offset: not an offset');
  for (const k of ['key_base64', 'original_base64'] as const) {
    if (json[k] !== null && typeof json[k] !== 'string') return bad(`${k}: not a string or null`);
  }
  return {
    ok: true,
    letter: {
      service: 'feature-writer',
      reason: {
        field: (reason.field as string | undefined) ?? WRITER_RULES[rule].field,
        rule,
        message: reason.message as string,
      },
      source: {
        service: 'feature-writer',
        topic: source.topic,
        partition: source.partition as number,
        offset: source.offset,
      },
      key_base64: json.key_base64 as string | null,
      original_base64: json.original_base64 as string | null,
    },
  };
}

/**
 * A letter from before `input` was recorded: the format by the file's name (as the producer
 * chooses it without `--format`), the EventID column by the line's column count (15).
 */
function legacyInput(file: string, original: Buffer): ProducerInput {
  if (/\.(nd)?jsonl?$/i.test(file)) return { format: 'ndjson', has_event_id: false };
  return { format: 'csv', has_event_id: original.toString('utf8').split(',').length === 15 };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const bad = (error: string): ParsedDeadLetter => ({ ok: false, error });
