import { ConsoleLogger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import { ChildProcess, spawn } from 'child_process';
import { randomUUID } from 'crypto';
import { rmSync } from 'fs';
import { join } from 'path';
import { fileURLToPath } from 'url';
import { Client } from 'pg';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import {
  FstoreConfig,
  kafkaClientConfig,
  loadConfig,
  PROJECT_ROOT,
  redisQueueCredentials,
} from '@fstore/config';
import { FlinkJobs, TERMINAL_STATES } from '@fstore/flink';
import { createApp } from '../src/app';
import { ControlPlaneOptions } from '../src/app.module';
import { ApiKeyEntity, createApiKey, openDatabase } from '@fstore/control-store';

// Response bodies are checked field by field against literal expectations.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/**
 * A control plane of its own for one test file, against the real stack: a throw-away PostgreSQL
 * schema, its own BullMQ queue, its own Kafka topics (test.<uuid>) and job names. Everything it
 * made is removed afterwards (Flink jobs cancelled, savepoints deleted, schema dropped).
 */
export class Harness {
  readonly id = randomUUID().slice(0, 8);
  readonly schema = `control_t_${this.id}`;
  readonly queue = `fstore-control-test-${this.id}`;
  readonly env: Record<string, string> = {
    FSTORE_CONTROL_PG_SCHEMA: this.schema,
    FSTORE_CONTROL_QUEUE: this.queue,
    FSTORE_CONTROL_LOCK_SECONDS: '4',
    FSTORE_CONTROL_RECONCILE_SECONDS: '2',
  };
  config!: FstoreConfig;
  flink!: FlinkJobs;
  kafka!: Kafka;
  app?: NestFastifyApplication;
  base = '';
  keys: Record<'admin' | 'operator' | 'viewer', string> = { admin: '', operator: '', viewer: '' };
  private readonly topics: string[] = [];
  private readonly consumers: Consumer[] = [];
  private readonly children: ChildProcess[] = [];

  async start(options: Partial<ControlPlaneOptions> = {}): Promise<void> {
    Object.assign(process.env, this.env);
    this.config = loadConfig();
    this.flink = FlinkJobs.fromConfig(this.config);
    this.kafka = new Kafka({
      clientId: `control-test-${this.id}`,
      ...kafkaClientConfig(this.config, 'fstore-admin'),
      logLevel: logLevel.NOTHING,
    });
    const db = await openDatabase(this.config);
    try {
      for (const role of ['admin', 'operator', 'viewer'] as const) {
        this.keys[role] = (
          await createApiKey(db.getRepository(ApiKeyEntity), `test-${role}`, role)
        ).key;
      }
    } finally {
      await db.destroy();
    }
    this.app = await createApp(options, new ConsoleLogger({ logLevels: ['fatal'] }));
    await this.app.listen(0, this.config.host);
    this.base = await this.app.getUrl();
  }

  async call(
    method: string,
    path: string,
    opts: { body?: unknown; key?: string | null; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: Json }> {
    const headers: Record<string, string> = { ...opts.headers };
    const key = opts.key === undefined ? this.keys.operator : opts.key;
    if (key) headers.authorization = `Bearer ${key}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    return { status: res.status, body: await res.json() };
  }

  /** Waits until the operation ends; returns it. */
  async operation(id: string, timeoutMs = 180000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await this.call('GET', `/v1/operations/${id}`, { key: this.keys.viewer });
      if (body.status === 'succeeded' || body.status === 'failed') return body;
      if (Date.now() > deadline) throw new Error(`operation ${id} still ${body.status}`);
      await sleep(300);
    }
  }

  async sql(query: string, params: unknown[] = []): Promise<Json[]> {
    const client = new Client({
      ...this.config.postgres,
      options: `-c search_path=${this.schema}`,
    });
    await client.connect();
    try {
      return (await client.query(query, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** A topic of the test's own (removed at the end): `test.<uuid>`, or the name given. */
  async topic(partitions = 2, topic = `test.${randomUUID()}`): Promise<string> {
    const admin = this.kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    this.topics.push(topic);
    return topic;
  }

  async produce(topic: string, values: object[]): Promise<void> {
    const producer = this.kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: values.map((v) => ({ value: JSON.stringify(v) })) });
    await producer.disconnect();
  }

  /** Every record of the topic from the beginning, as it arrives. */
  async collect(topic: string): Promise<{ key: string; value: string | null }[]> {
    const out: { key: string; value: string | null }[] = [];
    const consumer = this.kafka.consumer({ groupId: `test-${randomUUID()}` });
    this.consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        out.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? null });
      },
    });
    return out;
  }

  /** A worker process of this control plane (`node bin/app.js control-plane --worker-only`). */
  spawnWorker(): ChildProcess {
    const child = spawn(
      process.execPath,
      [join(PROJECT_ROOT, 'bin/app.js'), 'control-plane', '--worker-only', '--no-reconciler'],
      { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.resume();
    child.stderr?.resume();
    this.children.push(child);
    return child;
  }

  /** Flink jobs this harness's control plane submitted (named fstore/<job>/<operation>). */
  async flinkJobs(jobName: string): Promise<{ jid: string; name: string; state: string }[]> {
    const jobs = await this.flink.jobManager.jobs();
    return jobs.filter((j) => j.name.startsWith(`fstore/${jobName}/`));
  }

  async stop(jobNames: string[]): Promise<void> {
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGKILL');
    await this.app?.close();
    for (const c of this.consumers) await c.disconnect().catch(() => undefined);
    // Flink jobs and savepoints of this test.
    for (const name of jobNames) {
      for (const job of await this.flinkJobs(name).catch(() => [])) {
        if (!TERMINAL_STATES.includes(job.state as never)) {
          await this.flink.cancel(job.jid).catch(() => undefined);
        }
        rmSync(join(this.config.stackDir, 'data/flink/checkpoints', job.jid), {
          recursive: true,
          force: true,
        });
      }
    }
    const savepoints = await this.sql('SELECT last_savepoint FROM deployments').catch(() => []);
    for (const { last_savepoint: sp } of savepoints) {
      if (sp)
        rmSync(sp.startsWith('file:') ? fileURLToPath(sp) : sp, { recursive: true, force: true });
    }
    const queue = new Queue(this.queue, {
      connection: {
        host: this.config.redis.queueHost,
        port: this.config.redis.queuePort,
        ...redisQueueCredentials(this.config, 'control-plane'),
      },
    });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    const admin = this.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: this.topics }).catch(() => undefined);
    await admin.disconnect();
    const client = new Client({ ...this.config.postgres });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
    await client.end();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 90000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(300);
  }
}

/** A raw event for last_purchase_amount (docs/design.md §2 columns it reads). */
export function purchase(customer: string, seq: number, at: string, price = '10.00') {
  return {
    event_id: `e-${customer}-${seq}`,
    customer_id: customer,
    product_id: `p-${seq}`,
    category: 'Test',
    price,
    quantity: 2,
    transaction_date: at,
  };
}
