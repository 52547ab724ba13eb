import { ChildProcess, spawn } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaClientConfig, loadConfig, PROJECT_ROOT } from '@fstore/config';
import { TOPICS } from '@fstore/contracts';
import { generate } from '@fstore/generator';
import type { IngestSummary } from '@fstore/ingest';
import { fstoreWithEnv } from '../support/cli';

/**
 * Fault: the broker restarts while `fstore produce` sends a file. The producer must ride through
 * (reconnect and resend with the same producer id and sequence numbers) and the topic must hold
 * every record exactly once: no loss, and no duplicate from a resent request.
 *
 * On a stack of its own (a temporary stack dir, Kafka on other ports), so that the shared stack's
 * broker is not restarted under the other tests.
 */
const ROWS = 200_000;
const RATE = 20_000; // ~10 s of sending: the restart lands in the middle.

const dir = mkdtempSync(join(tmpdir(), 'fstore-kafka-restart-'));
const env = {
  FSTORE_STACK_DIR: dir,
  FSTORE_KAFKA_PORT: '29192',
  FSTORE_KAFKA_CONTROLLER_PORT: '29193',
  FSTORE_KAFKA_METRICS_PORT: '29504',
  FSTORE_KAFKA_HEAP: '256m',
};

const fstore = (...args: string[]) => fstoreWithEnv(env, ...args);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Records in a topic (end minus start offsets); retried while a broker (re)starts. */
async function recordsIn(topic: string): Promise<number> {
  // Loaded here, not once: the passwords are in the stack's secrets.env once `stack up` made it.
  const config = loadConfig({ ...process.env, ...env });
  for (let attempt = 1; ; attempt++) {
    const admin = new Kafka({
      ...kafkaClientConfig(config, 'fstore-admin'),
      logLevel: logLevel.NOTHING,
    }).admin();
    try {
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
    } catch (e) {
      if (attempt >= 20) throw e;
      await sleep(1000);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

let producer: ChildProcess | undefined;

afterAll(() => {
  producer?.kill('SIGKILL');
  fstore('stack', 'down');
  rmSync(dir, { recursive: true, force: true });
});

it('fstore produce rides through a broker restart: every record in the topic exactly once', async () => {
  const up = fstore('stack', 'up', 'kafka');
  expect([up.status, up.stderr]).toEqual([0, expect.stringContaining('kafka: started')]);
  const file = join(dir, 'events.csv');
  await generate({ rows: ROWS, seed: 7, out: file, duplicates: 0, malformed: 0 });

  const child = (producer = spawn(
    'node',
    [join(PROJECT_ROOT, 'bin/fstore.js'), 'produce', '--file', file, '--rate', String(RATE)].concat(
      ['--checkpoint-dir', join(dir, 'checkpoints'), '--json'],
    ),
    { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  ));
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

  // Restart once part of the file is in: the records before, during and after the outage count.
  const deadline = Date.now() + 60000;
  let before = 0;
  while (before === 0 && Date.now() < deadline) {
    await sleep(500);
    before = await recordsIn(TOPICS.transactions);
  }
  expect(before).toBeGreaterThan(0);
  expect(before).toBeLessThan(ROWS);
  expect(fstore('stack', 'down', 'kafka').status).toBe(0);
  await sleep(3000);
  expect(fstore('stack', 'up', 'kafka').status).toBe(0);

  expect([await exited, out.stderr.slice(-2000)]).toEqual([0, expect.any(String)]);
  const summary = JSON.parse(out.stdout.trim().split('\n').pop()!) as IngestSummary;
  expect(summary).toMatchObject({ read: ROWS, produced: ROWS, dead_lettered: 0, complete: true });
  // The client said it retried (the outage was seen, not missed) ...
  expect(out.stderr).toMatch(/Kafka request failed, retrying/);
  // ... and the broker kept each record once.
  expect(await recordsIn(TOPICS.transactions)).toBe(ROWS);
}, 300000);
