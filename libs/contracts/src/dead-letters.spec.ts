import { readFileSync } from 'fs';
import { join } from 'path';
import {
  PRODUCER_RULES,
  WRITER_RULES,
  deadLetterMessage,
  deadLetterOf,
  parseDeadLetter,
} from './dead-letters';

const LINE = Buffer.from('2e1533d2,fa954a98,Sports,-6,2,2024-06-01 14:13:22,1,x,55,Male,J,T,295,1');

describe('dead-letter envelope', () => {
  it("builds the producer's letter: no key, the fstore.* headers, the value parsed back equal", () => {
    const letter = deadLetterOf({
      service: 'producer',
      reason: { field: 'price', rule: 'min', message: 'must be ≥ 0' },
      file: 'f.csv',
      line: 7,
      input: { format: 'csv', has_event_id: false },
      original: LINE,
      truncated: false,
    });
    const m = deadLetterMessage(letter);
    expect(m.key).toBeNull();
    expect(m.headers).toEqual({
      'fstore.service': 'producer',
      'fstore.reason.rule': 'min',
      'fstore.reason.field': 'price',
      'fstore.source.file': 'f.csv',
      'fstore.source.line': '7',
    });
    expect(JSON.parse(m.value)).toEqual({
      service: 'producer',
      reason: { field: 'price', rule: 'min', message: 'must be ≥ 0' },
      source: { file: 'f.csv', line: 7 },
      input: { format: 'csv', has_event_id: false },
      original_base64: LINE.toString('base64'),
      original_truncated: false,
    });
    expect(parseDeadLetter(Buffer.from(m.value))).toEqual({ ok: true, letter });
  });

  it("builds the writer's letter: keyed by topic/partition/offset, the field from its rule", () => {
    const letter = deadLetterOf({
      service: 'feature-writer',
      rule: 'event_time',
      message: 'not a timestamp: x',
      topic: 'features.avg_review',
      partition: 2,
      offset: '41',
      key: Buffer.from('{"product_id":"p1"}'),
      value: null,
    });
    const m = deadLetterMessage(letter);
    expect(m.key).toBe('features.avg_review/2/41');
    expect(m.headers).toEqual({
      'fstore.service': 'feature-writer',
      'fstore.reason.rule': 'event_time',
      'fstore.reason.field': 'value',
      'fstore.source.topic': 'features.avg_review',
      'fstore.source.partition': '2',
      'fstore.source.offset': '41',
    });
    expect(JSON.parse(m.value)).toEqual({
      service: 'feature-writer',
      reason: { field: 'value', rule: 'event_time', message: 'not a timestamp: x' },
      source: {
        service: 'feature-writer',
        topic: 'features.avg_review',
        partition: 2,
        offset: '41',
      },
      key_base64: Buffer.from('{"product_id":"p1"}').toString('base64'),
      original_base64: null,
    });
    expect(parseDeadLetter(m.value)).toEqual({ ok: true, letter });
  });

  it('reads the shapes written before the envelope, completing them', () => {
    const generated = Buffer.concat([LINE, Buffer.from(',id-1')]);
    const oldProducer = {
      reason: { field: 'price', rule: 'min', message: 'm' },
      source: { file: 'old.csv', line: 3 },
      original_base64: generated.toString('base64'),
      original_truncated: false,
    };
    expect(parseDeadLetter(JSON.stringify(oldProducer))).toEqual({
      ok: true,
      letter: { service: 'producer', ...oldProducer, input: { format: 'csv', has_event_id: true } },
    });
    const ndjson = { ...oldProducer, source: { file: 'old.ndjson', line: 3 } };
    expect(parseDeadLetter(JSON.stringify(ndjson))).toMatchObject({
      ok: true,
      letter: { input: { format: 'ndjson', has_event_id: false } },
    });
    const oldWriter = {
      reason: { rule: 'json', message: 'not JSON' },
      source: { service: 'feature-writer', topic: 'features.x', partition: 0, offset: '5' },
      key_base64: null,
      original_base64: 'e30=',
    };
    expect(parseDeadLetter(JSON.stringify(oldWriter))).toEqual({
      ok: true,
      letter: {
        service: 'feature-writer',
        ...oldWriter,
        reason: { field: 'record', rule: 'json', message: 'not JSON' },
      },
    });
  });

  it.each([
    [null, 'no value'],
    ['{', 'not JSON'],
    ['[1]', 'not a JSON object'],
    ['{"source":{}}', 'reason: not an object'],
    [
      '{"reason":{"message":"m"},"source":{},"service":"spark"}',
      'service: not one of producer, feature-writer',
    ],
    [
      '{"service":"producer","reason":{"field":"f","rule":"nope","message":"m"},"source":{}}',
      'reason.rule: not a producer rule',
    ],
    [
      '{"service":"producer","reason":{"field":"f","rule":"min","message":"m"},"source":{"file":"a","line":0}}',
      'source.line: not a positive integer',
    ],
    [
      '{"service":"feature-writer","reason":{"rule":"min","message":"m"},"source":{}}',
      'reason.rule: not a feature-writer rule',
    ],
    [
      '{"service":"feature-writer","reason":{"rule":"json","message":"m"},"source":{"topic":"t","partition":0,"offset":"-1"}}',
      'source.offset: not an offset',
    ],
  ])('refuses %s: %s', (value, error) => {
    expect(parseDeadLetter(value)).toEqual({ ok: false, error });
  });

  it('docs/dead-letter-format.md describes every rule of both services', () => {
    const doc = readFileSync(join(__dirname, '../../../docs/dead-letter-format.md'), 'utf8');
    const rowsOf = (heading: string) => {
      const section = doc.split(`### ${heading}`)[1].split('\n## ')[0].split('\n### ')[0];
      return [...section.matchAll(/^\| `([a-z_0-9]+)` \|/gm)].map((m) => m[1]);
    };
    expect(rowsOf('Producer rules')).toEqual(Object.keys(PRODUCER_RULES));
    expect(rowsOf('Feature-writer rules')).toEqual(Object.keys(WRITER_RULES));
  });
});
