import { randomUUID } from 'crypto';
import { spawn, spawnSync } from 'child_process';
import { join } from 'path';
import { IHeaders, Kafka, logLevel } from 'kafkajs';
import { PROJECT_ROOT, kafkaClientConfig, loadConfig } from '@fstore/config';
// The producer compresses with LZ4, a codec kafkajs only has once the producer module registered
// it: without it these consumers cannot decode a batch (kafkajs drops it silently) and time out.
import '@fstore/ingest';

/** Test helpers over the real Kafka of the local stack. */
export const config = loadConfig();
export const kafka = new Kafka({
  ...kafkaClientConfig(config, 'fstore-admin'),
  logLevel: logLevel.NOTHING,
});

export interface Received {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: IHeaders;
}

export type Offsets = Map<number, number>;

/** Creates uniquely named main + DLQ test topics (the broker does not create topics itself). */
export async function createTestTopics(): Promise<{ topic: string; dlq: string }> {
  const topic = `test.ingest.${randomUUID()}`;
  const dlq = `${topic}.dlq`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [topic, dlq].map((t) => ({ topic: t, numPartitions: config.kafka.partitions })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  return { topic, dlq };
}

export async function deleteTopics(...topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

export async function endOffsets(topic: string): Promise<Offsets> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

export const total = (o: Offsets) => [...o.values()].reduce((a, b) => a + b, 0);

/** Every message of `topic` between two offset snapshots (default: from the beginning). */
export async function readRange(topic: string, to: Offsets, from?: Offsets): Promise<Received[]> {
  const want = [...to].filter(([p, end]) => end > (from?.get(p) ?? 0));
  if (want.length === 0) return [];
  const pending = new Map(want);
  const out: Received[] = [];
  const consumer = kafka.consumer({ groupId: `test-${randomUUID()}`, maxBytes: 16 << 20 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out reading ${topic}`)), 90000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const end = pending.get(partition);
          const offset = Number(message.offset);
          if (end === undefined || offset >= end || offset < (from?.get(partition) ?? 0)) return;
          out.push({
            partition,
            offset: message.offset,
            key: message.key ? message.key.toString() : null,
            value: message.value ?? Buffer.alloc(0),
            headers: message.headers ?? {},
          });
          if (offset === end - 1) pending.delete(partition);
          if (pending.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
      if (from) {
        for (const [partition] of want) {
          consumer.seek({ topic, partition, offset: String(from.get(partition) ?? 0) });
        }
      }
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the real `fstore` command of this checkout with extra environment variables. */
export function fstoreEnv(env: Record<string, string>, ...args: string[]): Run {
  const t0 = Date.now();
  const res = spawnSync('node', [join(PROJECT_ROOT, 'bin/fstore.js'), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 300000,
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr, ms: Date.now() - t0 };
}

/** Starts `fstore` in the background (service mode, or a run to interrupt). */
export function fstoreSpawn(...args: string[]) {
  const child = spawn('node', [join(PROJECT_ROOT, 'bin/fstore.js'), ...args], {
    cwd: PROJECT_ROOT,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (output.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output, exited };
}
