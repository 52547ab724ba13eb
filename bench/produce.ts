/**
 * Benchmark: `fstore produce` on N generated rows (default 1,000,000) against Kafka's own
 * org.apache.kafka.tools.ProducerPerformance (from the stack's Kafka jars) with the same record
 * count, record size (the mean JSON value size of our run), acks=all, idempotence and compression,
 * each into a fresh topic of its own. Prints records/s, MB/s and the ratio.
 *
 *   npm run bench:produce [-- --rows N --rounds R --compression lz4|gzip|none --work-dir DIR]
 *
 * With R rounds the two producers take turns (ours, Java, ours, Java, …) so that load from other
 * processes on the machine hits both alike; the summary is the median of the rounds.
 * The generated file is kept in the work dir (default <stack>/bench) and reused by the next run.
 * Beside the rates it prints the CPU each record cost, in the producer (user + system time of its
 * process, from the shell's `times`) and in the broker (/proc/<pid>/stat over the run): on two
 * cores shared by the producer and the broker, what a record costs in CPU bounds the rate.
 * Not a test: it takes a minute or more per round and loads the broker.
 */
import { spawnSync } from 'child_process';
import { randomUUID } from 'crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { Admin, Kafka, logLevel } from 'kafkajs';
import {
  FstoreConfig,
  KAFKA_SASL_MECHANISM,
  KAFKA_SECURITY_PROTOCOL,
  PROJECT_ROOT,
  kafkaClientConfig,
  kafkaJaasLogin,
  loadConfig,
} from '@fstore/config';
import { generate } from '@fstore/generator';
import { runningPid } from '../apps/cli/src/stack/processes';
import { stackContext } from '../apps/cli/src/stack/stack';
import { arg } from './args';
import { CpuMeter } from './serving/cpu';

interface Result {
  records: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
  recordSize: number;
  /** CPU (user + system) per record, µs: the producer's process and the broker. */
  producerCpuUs: number;
  brokerCpuUs: number;
}

/** A finished command with the CPU time (user + system, s) it and its children used. */
interface Timed {
  status: number | null;
  stdout: string;
  stderr: string;
  cpuSeconds: number;
}

/**
 * Runs a command under `sh`, whose `times` then prints its children's user and system time on
 * stderr: the exact CPU of the command, read after it ended (no sampling).
 */
function runTimed(command: string, args: string[]): Timed {
  const run = spawnSync('sh', ['-c', '"$@"; rc=$?; times >&2; exit $rc', 'sh', command, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
  const lines = run.stderr.trimEnd().split('\n');
  // `times` prints two lines, the shell's own times, then its children's: `0m3.49s 0m0.01s`.
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines.pop() ?? '');
  lines.pop();
  if (!m) throw new Error(`no CPU times from sh for ${command}`);
  const cpuSeconds = Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
  return {
    status: run.status,
    stdout: run.stdout,
    stderr: lines.join('\n'),
    cpuSeconds,
  };
}

/** The broker's CPU over `run`, µs per record. */
function withBrokerCpu<T extends { records: number }>(broker: CpuMeter, run: () => T) {
  const stop = broker.start();
  const result = run();
  return { ...result, brokerCpuUs: stop(result.records).broker };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function withTopics<T>(
  admin: Admin,
  config: FstoreConfig,
  names: string[],
  run: () => T,
): Promise<T> {
  await admin.createTopics({
    topics: names.map((topic) => ({ topic, numPartitions: config.kafka.partitions })),
    waitForLeaders: true,
  });
  try {
    return run();
  } finally {
    await admin.deleteTopics({ topics: names });
  }
}

/** `fstore produce` (the real CLI, a process of its own) into fresh topics. */
function runFstore(
  file: string,
  topic: string,
  compression: string,
  dir: string,
): Omit<Result, 'brokerCpuUs'> {
  const cp = join(dir, `checkpoints-${randomUUID()}`);
  const args = ['produce', '--file', file, '--topic', topic, '--dlq-topic', `${topic}.dlq`];
  args.push('--compression', compression, '--checkpoint-dir', cp, '--no-resume', '--json');
  const ours = runTimed('node', [join(PROJECT_ROOT, 'bin/fstore.js'), ...args]);
  rmSync(cp, { recursive: true, force: true });
  if (ours.status !== 0) {
    throw new Error(`fstore produce failed (exit ${ours.status}): ${ours.stderr.slice(-2000)}`);
  }
  const s = JSON.parse(ours.stdout.trim().split('\n').pop()!) as {
    read: number;
    produced: number;
    produced_bytes: number;
    elapsed_ms: number;
  };
  const seconds = s.elapsed_ms / 1000;
  return {
    records: s.read,
    seconds,
    recordsPerSec: s.read / seconds,
    mbPerSec: s.produced_bytes / 1048576 / seconds,
    recordSize: Math.round(s.produced_bytes / s.produced),
    producerCpuUs: (ours.cpuSeconds / s.read) * 1e6,
  };
}

/** ProducerPerformance with the same count, size, acks, idempotence and compression. */
function runJava(
  config: FstoreConfig,
  topic: string,
  records: number,
  size: number,
  compression: string,
): Omit<Result, 'brokerCpuUs'> {
  // The producer's login (the same user as `fstore produce`), in a file: never an argument.
  const password = config.kafka.passwords.producer;
  const loginFile = join(config.stackDir, 'bench', 'producer-login.properties');
  mkdirSync(dirname(loginFile), { recursive: true });
  writeFileSync(
    loginFile,
    password
      ? [
          `security.protocol=${KAFKA_SECURITY_PROTOCOL}`,
          `sasl.mechanism=${KAFKA_SASL_MECHANISM}`,
          `sasl.jaas.config=${kafkaJaasLogin('producer', password)}`,
        ].join('\n') + '\n'
      : '',
    { mode: 0o600 },
  );
  const javaArgs = [
    '-Xmx512m',
    '-cp',
    join(config.cacheDir, 'kafka-4.1.1', 'libs', '*'),
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    topic,
    '--num-records',
    String(records),
    '--record-size',
    String(size),
    '--throughput',
    '-1',
    '--producer.config',
    loginFile,
    '--producer-props',
    `bootstrap.servers=${config.kafka.brokers.join(',')}`,
    'acks=all',
    'enable.idempotence=true',
    `compression.type=${compression}`,
  ];
  const java = runTimed('java', javaArgs);
  const last = java.stdout.trim().split('\n').pop() ?? '';
  const m = /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(last);
  if (java.status !== 0 || !m) throw new Error(`ProducerPerformance failed: ${java.stderr}`);
  return {
    records: Number(m[1]),
    seconds: Number(m[1]) / Number(m[2]),
    recordsPerSec: Number(m[2]),
    mbPerSec: Number(m[3]),
    recordSize: size,
    producerCpuUs: (java.cpuSeconds / Number(m[1])) * 1e6,
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const rows = Number(arg('rows', '1000000'));
  const rounds = Math.max(1, Number(arg('rounds', '1')));
  const compression = arg('compression', config.producer.compression);
  const dir = arg('work-dir', join(config.stackDir, 'bench'));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `produce-${rows}-seed1.csv`);
  if (!existsSync(file)) {
    console.error(`generating ${rows} rows into ${file}`);
    await generate({ rows, seed: 1, out: file, duplicates: 0.01, malformed: 0 });
  }

  const brokerPid = runningPid(stackContext().paths, 'kafka');
  if (brokerPid === undefined)
    throw new Error('no Kafka broker of this stack runs: fstore stack up kafka');
  const broker = new CpuMeter({ broker: [brokerPid] });

  const admin = new Kafka({
    ...kafkaClientConfig(config, 'fstore-admin'),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  const row = (name: string, r: Result) =>
    `| ${name} | ${r.records} | ${r.seconds.toFixed(1)} | ${Math.round(r.recordsPerSec)} | ` +
    `${r.mbPerSec.toFixed(2)} | ${r.producerCpuUs.toFixed(1)} | ${r.brokerCpuUs.toFixed(1)} |`;
  const lines = [
    '| round | producer | records | seconds | records/s | MB/s | producer CPU µs/record | broker CPU µs/record |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const ratios: number[] = [];
  const ours: Result[] = [];
  const theirs: Result[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const id = randomUUID().slice(0, 8);
      console.error(
        `round ${round}/${rounds}: fstore produce --file ${file} (compression ${compression})`,
      );
      const a = await withTopics(
        admin,
        config,
        [`bench.produce.${id}`, `bench.produce.${id}.dlq`],
        () => withBrokerCpu(broker, () => runFstore(file, `bench.produce.${id}`, compression, dir)),
      );
      console.error(
        `round ${round}/${rounds}: ProducerPerformance, ${a.records} records of ${a.recordSize} B`,
      );
      const b = await withTopics(admin, config, [`bench.java.${id}`], () =>
        withBrokerCpu(broker, () =>
          runJava(config, `bench.java.${id}`, a.records, a.recordSize, compression),
        ),
      );
      ours.push(a);
      theirs.push(b);
      ratios.push(a.recordsPerSec / b.recordsPerSec);
      lines.push(
        `| ${round} ${row('fstore produce', a)}`,
        `| ${round} ${row('ProducerPerformance', b)}`,
      );
    }
  } finally {
    await admin.disconnect();
  }
  console.log(
    `\n${rows} rows, record size ${ours[0].recordSize} B (mean JSON value), compression ${compression}, ` +
      `acks=all, idempotent, ${config.kafka.partitions} partitions, ${rounds} round(s)\n`,
  );
  console.log(lines.join('\n'));
  const med = (rs: Result[], f: (r: Result) => number) => median(rs.map(f));
  console.log(
    `\nmedian fstore produce: ${Math.round(med(ours, (r) => r.recordsPerSec))} records/s, ` +
      `${med(ours, (r) => r.mbPerSec).toFixed(2)} MB/s`,
  );
  console.log(
    `median ProducerPerformance: ${Math.round(med(theirs, (r) => r.recordsPerSec))} records/s, ` +
      `${med(theirs, (r) => r.mbPerSec).toFixed(2)} MB/s`,
  );
  const cpu = (rs: Result[]) =>
    `${med(rs, (r) => r.producerCpuUs).toFixed(1)} µs in the producer + ` +
    `${med(rs, (r) => r.brokerCpuUs).toFixed(1)} µs in the broker`;
  console.log(
    `median CPU a record: fstore produce ${cpu(ours)}; ProducerPerformance ${cpu(theirs)}`,
  );
  console.log(
    `ratio fstore / ProducerPerformance (records/s): ` +
      ratios.map((r) => `${(r * 100).toFixed(1)} %`).join(', ') +
      `; median ${(median(ratios) * 100).toFixed(1)} %`,
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
