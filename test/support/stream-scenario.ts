/**
 * The streaming path of one medium test against the real stack: topics, consumer groups and entity
 * ids of its own (a run prefix), the generated Flink jobs on them, a feature writer process, and
 * the producer. Tests that compare engines with the interpreter share it, so that each says only
 * what it checks.
 */
import type { ChildProcess } from 'child_process';
import { randomUUID } from 'crypto';
import { rmSync, writeFileSync } from 'fs';
import { Kafka, logLevel } from 'kafkajs';
import { join } from 'path';
import { kafkaClientConfig, loadConfig } from '@fstore/config';
import { FEATURE_TOPIC_PREFIX, REGISTRY, STREAM_FEATURES } from '@fstore/contracts';
import { compileStreamJobs } from '@fstore/definitions';
import { FlinkJobs } from '@fstore/flink';
import type { OracleEvent } from './oracle';
import { startWriterProcess } from './writer-process';
import { stackWorkDir } from './work-dir';
import { produceFile } from './cli';

const config = loadConfig();
const kafka = new Kafka({
  ...kafkaClientConfig(config, 'fstore-admin'),
  logLevel: logLevel.NOTHING,
});
export const flink = FlinkJobs.fromConfig(config);

/** The scenario's changelog topics: `test.<id>.features.<feature>` (its writer reads the same). */
const featurePrefix = (id: string) => `test.${id}.${FEATURE_TOPIC_PREFIX}`;

export class StreamScenario {
  /** Prefix of every entity id of the scenario's events. */
  readonly prefix: string;
  /** The raw-events topic. */
  readonly tx: string;
  readonly jobs = new Map<string, string>();
  private readonly writers = new Set<ChildProcess>();
  private constructor(
    readonly id: string,
    readonly work: string,
  ) {
    this.prefix = `t${id}-`;
    this.tx = `test.tx.${id}`;
  }

  /** Creates the scenario's topics (raw, dead letters, one changelog per stream feature). */
  static async create(): Promise<StreamScenario> {
    const s = new StreamScenario(randomUUID().slice(0, 8), stackWorkDir('fstore-scenario-'));
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: s.tx, numPartitions: 3 },
        { topic: `test.dlq.${s.id}`, numPartitions: 1 },
        { topic: `test.writer-dlq.${s.id}`, numPartitions: 1 },
        ...STREAM_FEATURES.map((f) => ({
          topic: `${featurePrefix(s.id)}${f.name}`,
          numPartitions: 3,
        })),
      ],
    });
    await admin.disconnect();
    return s;
  }

  /** Events as a file the producer reads (NDJSON). */
  writeFile(name: string, rows: readonly OracleEvent[]): string {
    const file = join(this.work, name);
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return file;
  }

  /** Produces a file of events to the scenario's raw topic; nothing may be dead-lettered. */
  async produce(rows: readonly OracleEvent[], name = `${this.id}-${Date.now()}.ndjson`) {
    return produceFile({
      file: this.writeFile(name, rows),
      topic: this.tx,
      dlqTopic: `test.dlq.${this.id}`,
      checkpointDir: join(this.work, 'checkpoints'),
    });
  }

  /**
   * Submits the generated job of every source (from savepoints, if given) and waits for them;
   * `jobs`: through other Flink clients (e.g. another dedupe horizon).
   */
  async startJobs(savepoints: Map<string, string> = new Map(), jobs = flink): Promise<void> {
    for (const job of compileStreamJobs(REGISTRY)) {
      const jobId = await jobs.submitScript(job.sql, {
        jobName: `test ${job.jobName} ${this.id}`,
        savepointPath: savepoints.get(job.source),
        values: {
          TRANSACTIONS_TOPIC: this.tx,
          FEATURE_TOPIC_PREFIX: featurePrefix(this.id),
          CONSUMER_GROUP: `test-${this.id}-${job.source}`,
        },
      });
      this.jobs.set(job.source, jobId);
    }
    for (const jobId of this.jobs.values()) await flink.waitUntilRunning(jobId, 120000);
  }

  /** Stops every job with a savepoint: source → savepoint path. */
  async stopJobs(): Promise<Map<string, string>> {
    const savepoints = new Map<string, string>();
    for (const [name, jobId] of this.jobs)
      savepoints.set(name, await flink.stopWithSavepoint(jobId));
    this.jobs.clear();
    return savepoints;
  }

  /** A feature writer process on the scenario's changelogs (a test may SIGKILL it). */
  async startWriter(): Promise<ChildProcess> {
    const child = await startWriterProcess({
      group: `test-writer-${this.id}`,
      topicNamespace: `test.${this.id}.`,
      deadLetterTopic: `test.writer-dlq.${this.id}`,
    });
    this.writers.add(child);
    return child;
  }

  /** Cancels the jobs, kills the writers, deletes the topics and files. */
  async cleanUp(): Promise<void> {
    for (const w of this.writers) w.kill('SIGKILL');
    await Promise.all([...this.jobs.values()].map((j) => flink.cancel(j).catch(() => undefined)));
    const admin = kafka.admin();
    await admin.connect();
    const mine = (await admin.listTopics()).filter((t) => t.includes(this.id));
    await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
    rmSync(this.work, { recursive: true, force: true });
  }
}

/** A deterministic shuffle (the same every run). */
export function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  let s = 12345;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
