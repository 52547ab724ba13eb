/**
 * Benchmark: `fstore produce` on N generated rows (default 1,000,000) against Kafka's own
 * org.apache.kafka.tools.ProducerPerformance (from the stack's Kafka jars) with the same record
 * count, record size (the mean JSON value size of our run), acks=all, idempotence and compression,
 * each into a fresh topic of its own. Prints records/s, MB/s and the ratio.
 *
 *   npm run bench:produce [-- --rows N --compression lz4|gzip|none --work-dir DIR]
 *
 * The generated file is kept in the work dir (default <stack>/bench) and reused by the next run.
 *
 * Not a test: it takes a minute or two and loads the broker.
 */
import { spawnSync } from 'child_process';
import { randomUUID } from 'crypto';
import { existsSync, mkdirSync, rmSync } from 'fs';
import { join } from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { PROJECT_ROOT, loadConfig } from '@fstore/config';
import { generate } from '@fstore/producer';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

interface Result {
  name: string;
  records: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const rows = Number(arg('rows', '1000000'));
  const compression = arg('compression', config.producer.compression);
  const brokers = config.kafka.brokers.join(',');
  const dir = arg('work-dir', join(config.stackDir, 'bench'));
  mkdirSync(dir, { recursive: true });

  const file = join(dir, `produce-${rows}-seed1.csv`);
  if (!existsSync(file)) {
    console.error(`generating ${rows} rows into ${file}`);
    await generate({ rows, seed: 1, out: file, duplicates: 0.01, malformed: 0 });
  }

  const id = randomUUID().slice(0, 8);
  const topics = [`bench.produce.${id}`, `bench.produce.${id}.dlq`, `bench.java.${id}`];
  const admin = new Kafka({ brokers: config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: config.kafka.partitions })),
    waitForLeaders: true,
  });
  try {
    // 1. fstore produce (the real CLI, a process of its own).
    console.error(`fstore produce --file ${file} (compression ${compression})`);
    const cp = join(dir, `checkpoints-${id}`);
    const ours = spawnSync(
      'node',
      [
        join(PROJECT_ROOT, 'bin/fstore.js'),
        'produce',
        '--file',
        file,
        '--topic',
        topics[0],
        '--dlq-topic',
        topics[1],
        '--compression',
        compression,
        '--checkpoint-dir',
        cp,
        '--no-resume',
        '--json',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    rmSync(cp, { recursive: true, force: true });
    if (ours.status !== 0) throw new Error(`fstore produce failed (exit ${ours.status})`);
    const s = JSON.parse(ours.stdout.trim().split('\n').pop()!) as {
      read: number;
      produced: number;
      produced_bytes: number;
      elapsed_ms: number;
    };
    const recordSize = Math.round(s.produced_bytes / s.produced);
    const secs = s.elapsed_ms / 1000;
    const fstore: Result = {
      name: 'fstore produce',
      records: s.read,
      seconds: secs,
      recordsPerSec: s.read / secs,
      mbPerSec: s.produced_bytes / 1048576 / secs,
    };

    // 2. Kafka's ProducerPerformance, same count, size, acks, idempotence and compression.
    const jars = join(config.cacheDir, 'kafka-4.1.1', 'libs', '*');
    const javaArgs = [
      '-Xmx512m',
      '-cp',
      jars,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topics[2],
      '--num-records',
      String(s.read),
      '--record-size',
      String(recordSize),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${brokers}`,
      'acks=all',
      'enable.idempotence=true',
      `compression.type=${compression}`,
    ];
    console.error(`java ${javaArgs.join(' ')}`);
    const java = spawnSync('java', javaArgs, { encoding: 'utf8' });
    const last = java.stdout.trim().split('\n').pop() ?? '';
    const m = /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(last);
    if (java.status !== 0 || !m) throw new Error(`ProducerPerformance failed: ${java.stderr}`);
    const javaResult: Result = {
      name: 'ProducerPerformance',
      records: Number(m[1]),
      seconds: Number(m[1]) / Number(m[2]),
      recordsPerSec: Number(m[2]),
      mbPerSec: Number(m[3]),
    };

    console.log(
      `\n${rows} rows, record size ${recordSize} B (mean JSON value), compression ${compression}, ` +
        `acks=all, idempotent, ${config.kafka.partitions} partitions\n`,
    );
    console.log('| producer | records | seconds | records/s | MB/s |');
    console.log('|---|---|---|---|---|');
    for (const r of [fstore, javaResult]) {
      console.log(
        `| ${r.name} | ${r.records} | ${r.seconds.toFixed(1)} | ${Math.round(r.recordsPerSec)} | ${r.mbPerSec.toFixed(2)} |`,
      );
    }
    const ratio = fstore.recordsPerSec / javaResult.recordsPerSec;
    console.log(`\nratio fstore / ProducerPerformance: ${(ratio * 100).toFixed(1)} % of records/s`);
  } finally {
    await admin.deleteTopics({ topics });
    await admin.disconnect();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
