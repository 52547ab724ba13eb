import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { CheckpointStore } from './checkpoint.store';
import { ProducerError } from './errors';
import { IngestService } from './ingest.service';
import { KafkaRepository, RETRY_BACKOFF, retriesWithin } from './kafka.repository';
import { silentLogger } from '@fstore/observability';
import { formatSummary, produce } from './produce.command';

// The original system's sample data: 2,000 valid rows.
const SEED = join(PROJECT_ROOT, 'samples', 'ecommerce_transactions.csv');

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'fstore-produce-failure-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A Kafka that acknowledges `okBatches` requests, then fails every one (a broker gone for good). */
function failingKafka(okBatches: number) {
  let sent = 0;
  const kafka = {
    lanes: 1,
    partitionCount: async () => 6,
    send: async () => {
      if (sent >= okBatches) {
        throw new ProducerError('sending to Kafka at 127.0.0.1:9092 failed: Connection error');
      }
      sent++;
    },
  };
  return kafka as unknown as KafkaRepository;
}

const opts = { topic: 't', dlqTopic: 't.dlq', batchSize: 500, parseInWorker: false };

describe('a failing send', () => {
  it('ends the file with the counts Kafka acknowledged, and a checkpoint to resume from', async () => {
    const checkpoints = new CheckpointStore(join(work, 'cp'));
    const ingest = new IngestService(failingKafka(2), checkpoints, silentLogger);
    const failure = await ingest.produceFile(SEED, opts).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProducerError);
    const [summary] = (failure as ProducerError).summaries;
    expect(summary).toMatchObject({
      source: resolve(SEED),
      read: 1000,
      produced: 1000,
      dead_lettered: 0,
      complete: false,
      failed: true,
    });
    expect(formatSummary(summary)).toMatch(
      /ecommerce_transactions\.csv: read 1000, produced 1000, dead-lettered 0 .*; FAILED/,
    );
    // The two acknowledged batches are not sent again: a rerun resumes after line 1001.
    expect(checkpoints.load(resolve(SEED), 't')).toMatchObject({ line: 1001, read: 1000 });
    const rerun = new IngestService(failingKafka(100), checkpoints, silentLogger);
    expect(await rerun.produceFile(SEED, opts)).toMatchObject({
      read: 1000,
      produced: 1000,
      resumed_after_line: 1001,
      complete: true,
    });
  });

  it('with nothing acknowledged still gives the counts line (zeros) for the input', async () => {
    const saved = process.env.FSTORE_KAFKA_BROKERS;
    process.env.FSTORE_KAFKA_BROKERS = '127.0.0.1:1';
    try {
      const failure = await produce({
        file: SEED,
        connectTimeout: 1,
        checkpointDir: join(work, 'cp-unreachable'),
        log: silentLogger,
      }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ProducerError);
      expect((failure as Error).message).toMatch(/^Kafka unreachable: no broker answered/);
      const summaries = (failure as ProducerError).summaries;
      expect(summaries).toHaveLength(1);
      expect(formatSummary(summaries[0])).toMatch(
        /ecommerce_transactions\.csv: read 0, produced 0, dead-lettered 0 .*; FAILED/,
      );
    } finally {
      if (saved === undefined) delete process.env.FSTORE_KAFKA_BROKERS;
      else process.env.FSTORE_KAFKA_BROKERS = saved;
    }
  });
});

describe('retriesWithin', () => {
  it('gives the retries whose backoff covers the budget (a broker restart), bounded', () => {
    const waited = (n: number) => {
      let total = 0;
      let wait = RETRY_BACKOFF.initialRetryTime;
      for (let i = 0; i < n; i++) {
        total += wait;
        wait = Math.min(wait * 2, RETRY_BACKOFF.maxRetryTime);
      }
      return total;
    };
    for (const budget of [1000, 3000, 30000, 120000]) {
      const n = retriesWithin(budget);
      expect(waited(n)).toBeGreaterThanOrEqual(budget);
      expect(waited(n - 1)).toBeLessThan(budget);
    }
    expect(retriesWithin(30000)).toBe(13); // 0.3 + 0.6 + 1.2 + 2.4 + 9 × 3 s = 31.5 s
    expect(retriesWithin(0)).toBe(1);
  });
});

describe('a missing input', () => {
  it('fails before any Kafka connection, naming the flag', async () => {
    const started = Date.now();
    const brokers = process.env.FSTORE_KAFKA_BROKERS;
    process.env.FSTORE_KAFKA_BROKERS = '127.0.0.1:1';
    try {
      await expect(produce({ file: join(work, 'missing.csv'), log: silentLogger })).rejects.toThrow(
        `--file ${join(work, 'missing.csv')}: it does not exist`,
      );
      await expect(produce({ dir: join(work, 'nope'), log: silentLogger })).rejects.toThrow(
        `--dir ${join(work, 'nope')}: it does not exist`,
      );
      await expect(produce({ dir: SEED, log: silentLogger })).rejects.toThrow(
        'it is a file, not a folder',
      );
    } finally {
      if (brokers === undefined) delete process.env.FSTORE_KAFKA_BROKERS;
      else process.env.FSTORE_KAFKA_BROKERS = brokers;
    }
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
