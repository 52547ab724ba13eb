import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { spawnSync } from 'child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { get } from 'http';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { TOPICS } from '@fstore/contracts';
import { RawEvent, deriveEventId } from '@fstore/events';
import { MalformedKind, expectedReason, generate } from '@fstore/generator';
import { DeadLetter } from '@fstore/ingest';
import {
  Received,
  createTestTopics,
  deleteTopics,
  endOffsets,
  fstoreEnv,
  fstoreSpawn,
  readRange,
  total,
} from './kafka-support';
import { stackWorkDir } from '../support/work-dir';

// The producer against the real Kafka of the local stack (`fstore stack up`).
// The original system's sample data, kept in the repository (samples/).
const SEED = join(PROJECT_ROOT, 'samples', 'ecommerce_transactions.csv');
const SEED_ROWS = 2000;

let work: string;
const topicsToDelete: string[] = [];
beforeAll(() => {
  work = stackWorkDir('fstore-ingest-');
});
afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  if (topicsToDelete.length) await deleteTopics(...topicsToDelete);
});

async function testTopics() {
  const t = await createTestTopics();
  topicsToDelete.push(t.topic, t.dlq);
  return t;
}

/** `fstore produce --json` into the given topics; returns the parsed summary. */
function produce(file: string, t: { topic: string; dlq: string }, ...extra: string[]) {
  const run = fstoreEnv(
    {},
    'produce',
    '--file',
    file,
    '--topic',
    t.topic,
    '--dlq-topic',
    t.dlq,
    '--checkpoint-dir',
    join(work, 'checkpoints'),
    '--json',
    ...extra,
  );
  if (run.status !== 0) throw new Error(`fstore produce failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as {
    read: number;
    produced: number;
    dead_lettered: number;
    resumed_after_line: number;
    complete: boolean;
  };
}

const events = (ms: Received[]) => ms.map((m) => JSON.parse(m.value.toString()) as RawEvent);

/** The seed under a unique file name, so that its derived event_ids are unique to this run. */
function seedCopy(name: string): string {
  const path = join(work, `${name}-${Date.now()}-${Math.random().toString(36).slice(2)}.csv`);
  copyFileSync(SEED, path);
  return path;
}

describe('fstore produce', () => {
  it('publishes the seed CSV as 2,000 valid, customer-keyed events and nothing on the DLQ', async () => {
    const t = await testTopics();
    const summary = produce(SEED, t, '--no-resume');
    expect(summary).toMatchObject({ read: SEED_ROWS, produced: SEED_ROWS, dead_lettered: 0 });
    expect(total(await endOffsets(t.topic))).toBe(SEED_ROWS);
    expect(total(await endOffsets(t.dlq))).toBe(0);
    const messages = await readRange(t.topic, await endOffsets(t.topic));
    const evs = events(messages);
    expect(new Set(evs.map((e) => e.event_id)).size).toBe(SEED_ROWS);
    messages.forEach((m, i) => expect(m.key).toBe(evs[i].customer_id));
    for (const e of evs.slice(0, 200)) {
      expect(validateSync(plainToInstance(RawEvent, e))).toEqual([]);
    }
    const first = evs.find((e) => e.event_id === deriveEventId('ecommerce_transactions.csv', 2));
    expect(first).toEqual({
      event_id: deriveEventId('ecommerce_transactions.csv', 2),
      customer_id: '2e1533d2',
      product_id: 'fa954a98',
      category: 'Sports',
      price: 6,
      quantity: 2,
      transaction_date: '2024-06-01 14:13:22',
      review_rating: 1,
      review_text: 'Grow buy east task hot only however.',
      customer_age: 55,
      customer_gender: 'Male',
      country: 'Netherlands Antilles',
      device_type: 'Tablet',
      browsing_duration: 295,
      previous_purchases: 1,
    });
  });

  it('publishes to the contract topics (ecommerce.transactions, .dlq), counted by offsets', async () => {
    const file = seedCopy('contract');
    const name = file.split('/').pop()!;
    const before = [await endOffsets(TOPICS.transactions), await endOffsets(TOPICS.deadLetter)];
    const run = fstoreEnv({}, 'produce', '--file', file, '--checkpoint-dir', join(work, 'cp2'));
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`read ${SEED_ROWS}, produced ${SEED_ROWS}, dead-lettered 0`);
    const after = [await endOffsets(TOPICS.transactions), await endOffsets(TOPICS.deadLetter)];
    // Others may write to these topics at the same time: count only this file's event_ids.
    const ours = new Set(Array.from({ length: SEED_ROWS }, (_, i) => deriveEventId(name, i + 2)));
    const main = events(await readRange(TOPICS.transactions, after[0], before[0]));
    expect(main.filter((e) => ours.has(e.event_id))).toHaveLength(SEED_ROWS);
    const dlq = await readRange(TOPICS.deadLetter, after[1], before[1]);
    const letters = dlq.map((m) => JSON.parse(m.value.toString()) as DeadLetter);
    expect(letters.filter((l) => l.source.file === name)).toHaveLength(0);
  });

  it.each([
    ['csv', []],
    ['ndjson', []],
    ['csv', ['--no-parse-worker']],
  ] as const)(
    'dead-letters exactly the malformed rows of a generated %s file %j, with the right reasons',
    async (format, flags) => {
      const t = await testTopics();
      const file = join(work, `malformed.${format}`);
      const bad = new Map<number, MalformedKind>();
      const gen = await generate({
        rows: 3000,
        seed: 42,
        out: file,
        customers: 300,
        products: 100,
        duplicates: 0.02,
        malformed: 0.02,
        onMalformed: (line, kind) => bad.set(line, kind),
      });
      expect(new Set(bad.values()).size).toBe(10); // every kind of rule broken
      const summary = produce(file, t, '--no-resume', ...flags);
      expect(summary).toMatchObject({
        read: 3000,
        produced: 3000 - bad.size,
        dead_lettered: bad.size,
      });
      expect(summary.produced + summary.dead_lettered).toBe(summary.read);
      expect(gen.malformed).toBe(bad.size);

      const lines = readFileSync(file).toString('latin1').split('\n');
      const dlq = await readRange(t.dlq, await endOffsets(t.dlq));
      expect(dlq).toHaveLength(bad.size);
      const seen = new Set<number>();
      for (const m of dlq) {
        const letter = JSON.parse(m.value.toString()) as DeadLetter;
        const kind = bad.get(letter.source.line);
        expect(kind).toBeDefined();
        expect({ kind, ...letter.reason }).toMatchObject({
          kind,
          ...expectedReason(kind!, format),
        });
        expect(letter.reason.message.length).toBeGreaterThan(0);
        expect(letter.source.file).toBe(`malformed.${format}`);
        // The original bytes, exactly (invalid UTF-8 included).
        expect(Buffer.from(letter.original_base64, 'base64').toString('latin1')).toBe(
          lines[letter.source.line - 1],
        );
        expect(m.headers['fstore.reason.rule']?.toString()).toBe(letter.reason.rule);
        seen.add(letter.source.line);
      }
      expect(seen.size).toBe(bad.size);

      const main = events(await readRange(t.topic, await endOffsets(t.topic)));
      expect(main).toHaveLength(3000 - bad.size);
      // Redeliveries: the same event_id always carries the same payload.
      const byId = new Map<string, string>();
      for (const e of main) {
        const json = JSON.stringify(e);
        expect(byId.get(e.event_id) ?? json).toBe(json);
        byId.set(e.event_id, json);
      }
      expect(byId.size).toBe(3000 - bad.size - gen.duplicates);
    },
  );

  it('yields the same event_ids when a file is replayed', async () => {
    const t = await testTopics();
    const file = seedCopy('replay');
    produce(file, t, '--no-resume');
    produce(file, t, '--no-resume');
    const evs = events(await readRange(t.topic, await endOffsets(t.topic)));
    expect(evs).toHaveLength(2 * SEED_ROWS);
    const counts = new Map<string, number>();
    for (const e of evs) counts.set(e.event_id, (counts.get(e.event_id) ?? 0) + 1);
    expect(counts.size).toBe(SEED_ROWS);
    expect([...counts.values()].every((n) => n === 2)).toBe(true);
  });

  it('resumes an interrupted file without sending again what was acknowledged', async () => {
    const t = await testTopics();
    const file = join(work, 'resume.csv');
    await generate({ rows: 20000, seed: 9, out: file, duplicates: 0 });
    const args = ['produce', '--file', file, '--topic', t.topic, '--dlq-topic', t.dlq];
    const cp = ['--checkpoint-dir', join(work, 'cp-resume')];
    const slow = fstoreSpawn(...args, ...cp, '--rate', '2000');
    for (let i = 0; i < 100 && total(await endOffsets(t.topic)) < 2000; i++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    slow.child.kill('SIGINT');
    expect(await slow.exited).toBe(0);
    expect(slow.output.stdout).toContain('stopped early');
    const sent = total(await endOffsets(t.topic));
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(20000);

    const rest = fstoreEnv({}, ...args, ...cp, '--json');
    expect(rest.status).toBe(0);
    const summary = JSON.parse(rest.stdout) as { read: number; resumed_after_line: number };
    expect(summary.read).toBe(20000 - sent);
    expect(summary.resumed_after_line).toBe(sent + 1); // the header is line 1
    const evs = events(await readRange(t.topic, await endOffsets(t.topic)));
    expect(evs).toHaveLength(20000);
    expect(new Set(evs.map((e) => e.event_id)).size).toBe(20000);

    const again = fstoreEnv({}, ...args, ...cp, '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ read: 0, produced: 0, dead_lettered: 0 });
  });

  it('reads standard input (CSV with its header) in service mode', async () => {
    const t = await testTopics();
    const input = readFileSync(SEED);
    const run = spawnSync(
      'node',
      [
        join(PROJECT_ROOT, 'bin/fstore.js'),
        'produce',
        '--stdin',
        '--topic',
        t.topic,
        '--dlq-topic',
        t.dlq,
        '--metrics-port',
        '0',
        '--json',
      ],
      { input, encoding: 'utf8', timeout: 120000 },
    );
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      source: 'stdin',
      read: SEED_ROWS,
      produced: SEED_ROWS,
      dead_lettered: 0,
    });
    const evs = events(await readRange(t.topic, await endOffsets(t.topic)));
    expect(evs.map((e) => e.event_id)).toContain(deriveEventId('stdin', 2));
  });

  it('exits non-zero with a clear message when no broker answers', () => {
    const run = fstoreEnv(
      { FSTORE_KAFKA_BROKERS: '127.0.0.1:1' },
      'produce',
      '--file',
      SEED,
      '--connect-timeout',
      '3',
      '--checkpoint-dir',
      join(work, 'cp-down'),
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /Kafka unreachable: no broker answered at 127\.0\.0\.1:1 within 3 s/,
    );
    expect(run.ms).toBeGreaterThanOrEqual(3000);
    expect(run.ms).toBeLessThan(30000);
  });

  it('runs as a service over a folder, with Prometheus metrics', async () => {
    const t = await testTopics();
    const dir = mkdtempSync(join(work, 'inbox-'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const svc = fstoreSpawn(
      'produce',
      '--dir',
      dir,
      '--topic',
      t.topic,
      '--dlq-topic',
      t.dlq,
      '--metrics-port',
      String(port),
      '--checkpoint-dir',
      join(work, 'cp-svc'),
    );
    try {
      copyFileSync(SEED, join(dir, 'a.csv'));
      const scrape = () =>
        new Promise<string>((resolve) => {
          get(`http://127.0.0.1:${port}/metrics`, (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve(text));
          }).on('error', () => resolve(''));
        });
      let body = '';
      for (let i = 0; i < 120 && !body.includes(`records_produced_total ${SEED_ROWS}`); i++) {
        await new Promise((r) => setTimeout(r, 500));
        body = await scrape();
      }
      expect(body).toContain(`fstore_producer_records_produced_total ${SEED_ROWS}`);
      expect(body).toContain(`fstore_producer_records_read_total ${SEED_ROWS}`);
      // Logs are structured: one JSON object a line.
      for (const line of svc.output.stderr.trim().split('\n')) {
        expect(JSON.parse(line)).toHaveProperty('msg');
      }
    } finally {
      svc.child.kill('SIGTERM');
    }
    expect(await svc.exited).toBe(0);
    expect(total(await endOffsets(t.topic))).toBe(SEED_ROWS);
  });
});
