import { deadLetterMessage, deadLetterOf, type DeadLetterService } from '@fstore/contracts';
import { SEED_COLUMNS } from '@fstore/events';
import { keyPartitioner } from './batcher';
import {
  DeadLetterKafka,
  DlqRecord,
  PartitionRange,
  ReplayRecord,
  decideReplay,
  listDeadLetters,
  replayDeadLetters,
} from './dead-letter-replay';

const GOOD =
  '2e1533d2,fa954a98,Sports,6,2,2024-06-01 14:13:22,1,Grow buy east.,55,Male,Jamaica,Tablet,295,1';
const TARGETS = { mainTopic: 'main', mainPartitions: 3, changelogPrefixes: ['features.'] };

function producerLetter(
  line: string,
  no: number,
  rule: 'min' | 'required' = 'min',
  truncated = false,
) {
  return deadLetterMessage(
    deadLetterOf({
      service: 'producer',
      reason: { field: 'price', rule, message: 'm' },
      file: 'f.csv',
      line: no,
      input: { format: 'csv', has_event_id: false },
      original: Buffer.from(line),
      truncated,
    }),
  ).value;
}

function writerLetter(offset: string, topic = 'features.avg_review') {
  return deadLetterMessage(
    deadLetterOf({
      service: 'feature-writer',
      rule: 'value',
      message: 'm',
      topic,
      partition: 1,
      offset,
      key: Buffer.from('{"product_id":"p"}'),
      value: Buffer.from('{"value":1.5}'),
    }),
  ).value;
}

describe('decideReplay', () => {
  it('replays a producer line the rules now accept, keyed and partitioned as the producer does', () => {
    const d = decideReplay(Buffer.from(producerLetter(GOOD, 9)), {}, TARGETS);
    expect(d.outcome).toBe('replayed');
    if (d.outcome !== 'replayed') return;
    expect(d.record).toMatchObject({
      topic: 'main',
      key: '2e1533d2',
      partition: keyPartitioner(3)('2e1533d2'),
    });
    const event = JSON.parse(String(d.record.value));
    expect(event).toMatchObject({ customer_id: '2e1533d2', price: 6, quantity: 2 });
    expect(event.event_id).toMatch(/^[0-9a-f-]{36}$/); // from f.csv:9, as the producer derives it
  });

  it('counts a line still invalid as still rejected, with the rule it breaks now', () => {
    const bad = GOOD.replace(',6,', ',-6,');
    expect(decideReplay(Buffer.from(producerLetter(bad, 3)), {}, TARGETS)).toMatchObject({
      outcome: 'still_rejected',
      rule: 'min',
      field: 'price',
    });
    expect(
      decideReplay(Buffer.from(producerLetter(GOOD, 3, 'min', true)), {}, TARGETS),
    ).toMatchObject({
      outcome: 'still_rejected',
      rule: 'line_length',
    });
  });

  it("sends a writer letter's bytes back to its changelog partition, and no other topic", () => {
    expect(decideReplay(Buffer.from(writerLetter('7')), {}, TARGETS)).toMatchObject({
      outcome: 'replayed',
      record: {
        topic: 'features.avg_review',
        partition: 1,
        key: Buffer.from('{"product_id":"p"}'),
        value: Buffer.from('{"value":1.5}'),
      },
    });
    expect(
      decideReplay(Buffer.from(writerLetter('7', 'ecommerce.transactions')), {}, TARGETS),
    ).toEqual({
      outcome: 'unreadable',
      error: 'source.topic: ecommerce.transactions is not a changelog (features.*)',
    });
  });

  it('skips what the filter leaves out, and calls a non-letter unreadable', () => {
    const writer = Buffer.from(writerLetter('7'));
    expect(decideReplay(writer, { service: 'producer' }, TARGETS).outcome).toBe('skipped');
    expect(decideReplay(writer, { rule: 'json' }, TARGETS).outcome).toBe('skipped');
    expect(
      decideReplay(writer, { service: 'feature-writer', rule: 'value' }, TARGETS).outcome,
    ).toBe('replayed');
    expect(decideReplay(Buffer.from('nope'), {}, TARGETS)).toEqual({
      outcome: 'unreadable',
      error: 'not JSON',
    });
  });
});

/** The topic as partitions of values, the group's committed offsets, what was sent. */
class InMemoryKafka implements DeadLetterKafka {
  readonly committed = new Map<number, string>();
  readonly sent: ReplayRecord[] = [];
  readonly commits: { partition: number; offset: string }[][] = [];
  members = false;
  failSendAt: number | undefined;

  constructor(private readonly partitions: (string | null)[][]) {}

  async partitionCount(): Promise<number> {
    return 3;
  }

  async ranges(): Promise<PartitionRange[]> {
    return this.partitions.map((p, partition) => ({
      partition,
      start: this.committed.get(partition) ?? '0',
      end: String(p.length),
    }));
  }

  async groupHasMembers(): Promise<boolean> {
    return this.members;
  }

  /** Two records a batch, partition after partition. */
  async read(
    _topic: string,
    _group: string,
    ranges: PartitionRange[],
    onBatch: (records: DlqRecord[]) => Promise<void>,
  ): Promise<void> {
    for (const r of ranges) {
      for (let o = Number(r.start); o < Number(r.end); o += 2) {
        const records = this.partitions[r.partition]
          .slice(o, Math.min(o + 2, Number(r.end)))
          .map((v, i) => ({
            partition: r.partition,
            offset: String(o + i),
            timestamp: String(1_700_000_000_000 + r.partition * 100 + o + i),
            value: v === null ? null : Buffer.from(v),
          }));
        await onBatch(records);
      }
    }
  }

  async send(records: ReplayRecord[]): Promise<void> {
    if (this.failSendAt !== undefined && this.sent.length + records.length > this.failSendAt) {
      throw new Error('broker gone');
    }
    this.sent.push(...records);
  }

  async commit(_t: string, _g: string, offsets: { partition: number; offset: string }[]) {
    this.commits.push(offsets);
    for (const o of offsets) this.committed.set(o.partition, o.offset);
  }
}

const BAD = GOOD.replace(',6,', ',-6,');
const opts = (filter: { service?: DeadLetterService; rule?: string } = {}, dryRun = false) => ({
  dlqTopic: 'dlq',
  mainTopic: 'main',
  filter,
  dryRun,
});

describe('replayDeadLetters', () => {
  const topic = () => [
    [
      producerLetter(GOOD, 2),
      producerLetter(BAD, 3),
      writerLetter('10'),
      'nope',
      writerLetter('11'),
    ],
    [writerLetter('12'), producerLetter(GOOD, 5)],
    [],
  ];

  it('replays, counts and commits every partition to its end', async () => {
    const kafka = new InMemoryKafka(topic());
    const s = await replayDeadLetters(kafka, opts());
    expect(s).toEqual({
      read: 7,
      replayed: 5,
      still_rejected: 1,
      skipped: 0,
      unreadable: 1,
      by_rule: {
        'producer/min': { replayed: 2, still_rejected: 1 },
        'feature-writer/value': { replayed: 3 },
      },
      committed: { '0': '5', '1': '2' }, // partition 2 had nothing to read
      dry_run: false,
    });
    expect(kafka.sent.map((r) => r.topic)).toEqual([
      'main',
      'features.avg_review',
      'features.avg_review',
      'features.avg_review',
      'main',
    ]);
    expect(Object.fromEntries(kafka.committed)).toEqual({ 0: '5', 1: '2' });
    // A second run finds nothing new.
    const again = await replayDeadLetters(kafka, opts());
    expect(again).toMatchObject({ read: 0, replayed: 0 });
    expect(kafka.sent).toHaveLength(5);
  });

  it('commits a partition only up to its first skipped letter, which a later run replays', async () => {
    const kafka = new InMemoryKafka(topic());
    const filtered = await replayDeadLetters(kafka, opts({ service: 'producer' }));
    expect(filtered).toMatchObject({
      read: 7,
      replayed: 2,
      still_rejected: 1,
      skipped: 3,
      unreadable: 1,
    });
    // Partition 0: producer letters at 0, 1 handled; the writer's at 2 skipped → committed 2.
    // Partition 1: the writer's at 0 skipped → nothing committed, though offset 1 was replayed.
    expect(Object.fromEntries(kafka.committed)).toEqual({ 0: '2' });
    const rest = await replayDeadLetters(kafka, opts());
    expect(rest).toMatchObject({ read: 5, replayed: 4, still_rejected: 0, unreadable: 1 });
    expect(Object.fromEntries(kafka.committed)).toEqual({ 0: '5', 1: '2' });
    // The producer letter of partition 1 went twice (once per run): its event_id is the same.
    const p1 = kafka.sent.filter(
      (r) => r.topic === 'main' && String(r.value).includes('"price":6'),
    );
    expect(p1).toHaveLength(3);
  });

  it('sends and commits nothing in a dry run', async () => {
    const kafka = new InMemoryKafka(topic());
    const s = await replayDeadLetters(kafka, opts({}, true));
    expect(s).toMatchObject({
      read: 7,
      replayed: 5,
      committed: { '0': '0', '1': '0' },
      dry_run: true,
    });
    expect(kafka.sent).toEqual([]);
    expect(kafka.commits).toEqual([]);
  });

  it('keeps what it committed when a send fails, and fails', async () => {
    const kafka = new InMemoryKafka(topic());
    kafka.failSendAt = 1; // the second batch of partition 0 cannot be sent
    await expect(replayDeadLetters(kafka, opts())).rejects.toThrow('broker gone');
    expect(Object.fromEntries(kafka.committed)).toEqual({ 0: '2' });
  });

  it('refuses to run beside another replay', async () => {
    const kafka = new InMemoryKafka(topic());
    kafka.members = true;
    await expect(replayDeadLetters(kafka, opts())).rejects.toThrow(
      'another replay is running (consumer group fstore-dlq-replay has members)',
    );
  });
});

describe('listDeadLetters', () => {
  it('counts by service and rule, most first, and keeps the newest letters first', async () => {
    const kafka = new InMemoryKafka([
      [producerLetter(BAD, 3), writerLetter('10'), writerLetter('11')],
      [producerLetter(BAD, 4, 'required')],
    ]);
    const l = await listDeadLetters(kafka, { dlqTopic: 'dlq', group: 'g', sample: 2 });
    expect(l.total).toBe(4);
    expect(l.by_rule).toEqual([
      { service: 'feature-writer', rule: 'value', count: 2 },
      { service: 'producer', rule: 'min', count: 1 },
      { service: 'producer', rule: 'required', count: 1 },
    ]);
    expect(l.newest).toEqual([
      {
        partition: 1,
        offset: '0',
        time: new Date(1_700_000_000_100).toISOString(),
        service: 'producer',
        rule: 'required',
        field: 'price',
        message: 'm',
        source: 'f.csv:4',
      },
      {
        partition: 0,
        offset: '2',
        time: new Date(1_700_000_000_002).toISOString(),
        service: 'feature-writer',
        rule: 'value',
        field: 'value',
        message: 'm',
        source: 'features.avg_review/1/11',
      },
    ]);
    expect(SEED_COLUMNS).toHaveLength(14); // the letters above are seed-layout lines
  });
});
