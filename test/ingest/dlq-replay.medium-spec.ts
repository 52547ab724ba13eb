import { randomUUID } from 'crypto';
import { rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { kafkaClientConfig } from '@fstore/config';
import { deadLetterMessage, deadLetterOf, parseDeadLetter } from '@fstore/contracts';
import { deriveEventId, SEED_COLUMNS } from '@fstore/events';
// The replay's logic itself for the writer's letter: the CLI does not let one name a test.* topic.
import { KafkaDeadLetters, replayDeadLetters } from '@fstore/ingest/dlq';
import { config, deleteTopics, endOffsets, fstoreEnv, kafka, readRange } from './kafka-support';
import { stackWorkDir } from '../support/work-dir';

// `fstore dlq list|replay` against the real Kafka of the local stack (`fstore stack up kafka`),
// on test.* topics and a test-* group (docs/dead-letter-format.md, "Replay").

const GOOD =
  '2e1533d2,fa954a98,Sports,6,2,2024-06-01 14:13:22,1,Grow buy east.,55,Male,Jamaica,Tablet,295,1';
const BAD = GOOD.replace(',6,', ',-6,');

const id = randomUUID();
const main = `test.dlq-replay.${id}`;
const dlq = `${main}.dlq`;
const changelog = `${main}.changelog`;
const group = `test-dlq-replay-${id}`;
let work: string;

beforeAll(async () => {
  work = stackWorkDir('fstore-dlq-');
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        { topic: main, numPartitions: config.kafka.partitions },
        // One partition: the order of the letters, and so what a filtered run commits, is exact.
        { topic: dlq, numPartitions: 1 },
        { topic: changelog, numPartitions: 2 },
      ],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
});

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await deleteTopics(main, dlq, changelog);
});

async function committed(): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [dlq] });
    return t.partitions[0].offset;
  } finally {
    await admin.disconnect();
  }
}

describe('fstore dlq', () => {
  const validFile = `valid-${id}.csv`;

  it('replays the letters the current rules accept, commits up to the first skipped one, then the rest', async () => {
    // 1. A real rejection by `fstore produce` (still invalid today): offset 0.
    const file = join(work, `bad-${id}.csv`);
    writeFileSync(file, `${SEED_COLUMNS.join(',')}\n${BAD}\n`);
    const produced = fstoreEnv(
      {},
      'produce',
      '--file',
      file,
      '--topic',
      main,
      '--dlq-topic',
      dlq,
      '--checkpoint-dir',
      join(work, 'cp'),
      '--json',
      '--quiet',
    );
    expect(produced.status).toBe(0);
    expect(JSON.parse(produced.stdout.trim())).toMatchObject({ produced: 0, dead_lettered: 1 });
    // 2. A line rejected by rules since relaxed (built as the producer builds it): offset 1.
    // 3. A changelog record the writer could not apply (built as the writer builds it): offset 2.
    const producerLetter = deadLetterMessage(
      deadLetterOf({
        service: 'producer',
        reason: { field: 'review_text', rule: 'max_length', message: 'an older, stricter limit' },
        file: validFile,
        line: 2,
        input: { format: 'csv', has_event_id: false },
        original: Buffer.from(GOOD),
        truncated: false,
      }),
    );
    const writerLetter = deadLetterMessage(
      deadLetterOf({
        service: 'feature-writer',
        rule: 'value',
        message: 'a value an older writer could not hold',
        topic: changelog,
        partition: 1,
        offset: '17',
        key: Buffer.from('{"customer_id":"c1"}'),
        value: Buffer.from('{"customer_id":"c1","value":1.5,"event_time":"2024-06-01 00:00:00"}'),
      }),
    );
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: dlq,
        messages: [producerLetter, writerLetter].map((m) => ({ ...m, partition: 0 })),
      });
    } finally {
      await producer.disconnect();
    }

    // `list`: everything, by service and rule.
    const listed = fstoreEnv({}, 'dlq', 'list', '--dlq-topic', dlq, '--json', '--sample', '2');
    expect(listed.status).toBe(0);
    const listing = JSON.parse(listed.stdout);
    expect(listing.total).toBe(3);
    expect(listing.by_rule).toEqual([
      { service: 'feature-writer', rule: 'value', count: 1 },
      { service: 'producer', rule: 'max_length', count: 1 },
      { service: 'producer', rule: 'min', count: 1 },
    ]);
    expect(listing.newest.map((s: { offset: string }) => s.offset)).toEqual(['2', '1']);

    // A dry run: the same counts, nothing sent or committed.
    const dry = fstoreEnv(
      {},
      'dlq',
      'replay',
      '--dlq-topic',
      dlq,
      '--topic',
      main,
      '--group',
      group,
      '--service',
      'producer',
      '--dry-run',
      '--json',
    );
    expect(dry.status).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ read: 3, replayed: 1, dry_run: true });
    expect([...(await endOffsets(main)).values()].reduce((a, b) => a + b, 0)).toBe(0);
    expect(await committed()).toBe('-1');

    // The producer's letters only: the writer's (offset 2) is skipped, so the commit stops at 2.
    const run = fstoreEnv(
      {},
      'dlq',
      'replay',
      '--dlq-topic',
      dlq,
      '--topic',
      main,
      '--group',
      group,
      '--service',
      'producer',
      '--json',
      '--quiet',
    );
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      read: 3,
      replayed: 1,
      still_rejected: 1,
      skipped: 1,
      unreadable: 0,
      by_rule: {
        'producer/min': { still_rejected: 1 },
        'producer/max_length': { replayed: 1 },
        'feature-writer/value': { skipped: 1 },
      },
      committed: { '0': '2' },
      dry_run: false,
    });
    expect(await committed()).toBe('2');
    const events = await readRange(main, await endOffsets(main));
    expect(events).toHaveLength(1);
    expect(events[0].key).toBe('2e1533d2');
    expect(JSON.parse(events[0].value.toString())).toMatchObject({
      event_id: deriveEventId(validFile, 2),
      customer_id: '2e1533d2',
      price: 6,
    });
    // The still-rejected letter was not dead-lettered again.
    expect((await endOffsets(dlq)).get(0)).toBe(3);

    // The rest (the writer's letter), as the replay does it with this test's changelog allowed.
    const dlqKafka = new KafkaDeadLetters(kafkaClientConfig(config, 'fstore-admin'));
    await dlqKafka.connect();
    try {
      const rest = await replayDeadLetters(dlqKafka, {
        dlqTopic: dlq,
        mainTopic: main,
        group,
        changelogPrefixes: ['test.'],
        filter: {},
        dryRun: false,
      });
      expect(rest).toMatchObject({ read: 1, replayed: 1, skipped: 0, committed: { '0': '3' } });
      const again = await replayDeadLetters(dlqKafka, {
        dlqTopic: dlq,
        mainTopic: main,
        group,
        changelogPrefixes: ['test.'],
        filter: {},
        dryRun: false,
      });
      expect(again).toMatchObject({ read: 0, replayed: 0 });
    } finally {
      await dlqKafka.disconnect();
    }
    const records = await readRange(changelog, await endOffsets(changelog));
    expect(records.map((r) => [r.partition, r.key, r.value.toString()])).toEqual([
      [
        1,
        '{"customer_id":"c1"}',
        '{"customer_id":"c1","value":1.5,"event_time":"2024-06-01 00:00:00"}',
      ],
    ]);
  });

  it('the producer wrote its letter in the envelope, with the fstore.* headers', async () => {
    const [m] = await readRange(dlq, new Map([[0, 1]]));
    expect(parseDeadLetter(m.value)).toMatchObject({
      ok: true,
      letter: {
        service: 'producer',
        reason: { field: 'price', rule: 'min' },
        source: { file: `bad-${id}.csv`, line: 2 },
        input: { format: 'csv', has_event_id: false },
      },
    });
    expect(Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, String(v)]))).toEqual({
      'fstore.service': 'producer',
      'fstore.reason.rule': 'min',
      'fstore.reason.field': 'price',
      'fstore.source.file': `bad-${id}.csv`,
      'fstore.source.line': '2',
    });
  });
});
