import { randomUUID } from 'crypto';
import Redis, { Cluster } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { kafkaClientConfig, loadConfig, redisCredentials } from '@fstore/config';
import { fstore, stopStackSupervisor } from '../support/cli';

// These tests talk to the real services `fstore stack up` started (the test command starts them).
const config = loadConfig();
const host = config.host;
const redisAuth = redisCredentials(config, 'fstore-admin');
const seeds = config.redis.clusterPorts.map((port) => ({ host, port }));

describe('PostgreSQL', () => {
  it('answers a query as the project role, in the project database', async () => {
    const pg = config.postgres;
    const client = new Client({ ...pg });
    await client.connect();
    try {
      const { rows } = await client.query<{ who: string; db: string; sum: number }>(
        'SELECT current_user AS who, current_database() AS db, $1::int + $2::int AS sum',
        [40, 2],
      );
      expect(rows).toEqual([{ who: pg.user, db: pg.database, sum: 42 }]);
    } finally {
      await client.end();
    }
  });
});

describe('Redis Cluster', () => {
  let cluster: Cluster;
  beforeAll(() => {
    cluster = new Cluster(seeds, { redisOptions: redisAuth });
  });
  afterAll(() => cluster.disconnect());

  it('covers all 16384 slots with 3 masters, each with a replica', async () => {
    const slots = await cluster.cluster('SLOTS');
    const covered = slots.reduce((n, [from, to]) => n + (to - from + 1), 0);
    expect(covered).toBe(16384);
    const masters = new Set(slots.map(([, , master]) => master[1]));
    expect(masters.size).toBe(3);
    for (const range of slots) expect(range.length).toBeGreaterThanOrEqual(4); // master + replica
  });

  it('spreads keys written through the cluster client over every master', async () => {
    const prefix = `test:${randomUUID()}`;
    const keys = Array.from({ length: 300 }, (_, i) => `${prefix}:${i}`);
    await Promise.all(keys.map((k, i) => cluster.set(k, String(i), 'EX', 60)));
    // Count where each key physically lives, node by node.
    const perMaster = await Promise.all(
      cluster.nodes('master').map(async (node) => {
        let count = 0;
        let cursor = '0';
        do {
          const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          count += found.length;
          cursor = next;
        } while (cursor !== '0');
        return count;
      }),
    );
    expect(perMaster).toHaveLength(3);
    for (const count of perMaster) expect(count).toBeGreaterThan(0);
    expect(perMaster.reduce((a, b) => a + b, 0)).toBe(keys.length);
  });

  it('follows a MOVED redirect when asked at the wrong node', async () => {
    const key = `test:moved:${randomUUID()}`;
    await cluster.set(key, 'here', 'EX', 60);
    const owner = await cluster.cluster('KEYSLOT', key);
    const slots = await cluster.cluster('SLOTS');
    const wrong = slots.find(([from, to]) => owner < from || owner > to)![2][1];
    const plain = new Redis({ host, port: wrong, ...redisAuth });
    try {
      await expect(plain.get(key)).rejects.toThrow(/MOVED/);
    } finally {
      plain.disconnect();
    }
    const viaWrongSeed = new Cluster([{ host, port: wrong }], { redisOptions: redisAuth });
    try {
      expect(await viaWrongSeed.get(key)).toBe('here');
    } finally {
      viaWrongSeed.disconnect();
    }
  });
});

describe('Kafka', () => {
  it('round-trips messages through every partition of a topic', async () => {
    const kafka = new Kafka({
      ...kafkaClientConfig(config, 'fstore-admin'),
      logLevel: logLevel.NOTHING,
    });
    const topic = `test.roundtrip.${randomUUID()}`;
    const partitions = config.kafka.partitions;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: true,
    });
    const perPartition = 5;
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const sent: string[] = [];
    for (let p = 0; p < partitions; p++) {
      const messages = Array.from({ length: perPartition }, (_, i) => ({
        value: `p${p}-m${i}`,
        partition: p,
      }));
      sent.push(...messages.map((m) => m.value));
      await producer.send({ topic, messages });
    }
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = new Map<number, string[]>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for messages')), 60000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          received.set(partition, [...(received.get(partition) ?? []), String(message.value)]);
          if ([...received.values()].flat().length === sent.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();

    expect(received.size).toBe(partitions);
    for (let p = 0; p < partitions; p++) {
      // Within a partition, order is kept.
      expect(received.get(p)).toEqual(
        Array.from({ length: perPartition }, (_, i) => `p${p}-m${i}`),
      );
    }
  });
});

describe('fstore stack', () => {
  it('reports a killed process as down, and `stack up` brings it back', async () => {
    // Without the supervisor, which would restart it first (taskmanager-kill.fault covers that);
    // `stack up` starts the supervisor again.
    await stopStackSupervisor();
    const before = fstore('stack', 'status', 'redis');
    expect(before.status).toBe(0);
    const row = before.stdout
      .split('\n')
      .find((l) => l.startsWith('redis') && l.includes('redis-queue'))!;
    const pid = Number(row.split(/\s+/)[2]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');

    const down = fstore('stack', 'status', 'redis');
    expect(down.status).toBe(1);
    expect(down.stdout).toMatch(/redis-queue\s+-\s+\S+\s+DOWN/);

    const up = fstore('stack', 'up', 'redis');
    expect(up.status).toBe(0);
    expect(up.stderr).toContain('redis: started 1 process(es)');
    const after = fstore('stack', 'status', 'redis');
    expect(after.status).toBe(0);
    expect(after.stdout).toMatch(/redis-queue\s+\d+\s+\S+\s+healthy/);
    expect(fstore('stack', 'status').stdout).toMatch(/stack\s+supervisor\s+\d+\s+\S+\s+healthy/);
  });

  it('keeps scripted and transactional writes when Redis restarts (its AOF replayed)', async () => {
    // Redis logs a script's effects and a MULTI/EXEC as MULTI/EXEC, and 7.0 checked those
    // against the `default` user's rules while replaying them (redis-acl.ts, DEFAULT_USER).
    const run = randomUUID();
    const keys = Array.from({ length: 30 }, (_, i) => `test:aof:${run}:${i}`);
    const cluster = new Cluster(seeds, { redisOptions: redisAuth });
    const queue = new Redis({ host, port: config.redis.queuePort, ...redisAuth });
    try {
      for (const [i, key] of keys.entries()) {
        await cluster.eval(
          "redis.call('SET', KEYS[1], ARGV[1]); redis.call('PEXPIRE', KEYS[1], 600000)",
          1,
          key,
          `v${i}`,
        );
      }
      await queue.multi().set(`test:aof:${run}`, 'queued').expire(`test:aof:${run}`, 600).exec();
    } finally {
      cluster.disconnect();
      queue.disconnect();
    }

    expect(fstore('stack', 'down', 'redis').status).toBe(0);
    const up = fstore('stack', 'up', 'redis');
    expect(up.status).toBe(0);

    const after = new Cluster(seeds, { redisOptions: redisAuth });
    const queueAfter = new Redis({ host, port: config.redis.queuePort, ...redisAuth });
    try {
      const values = await Promise.all(keys.map((key) => after.get(key)));
      expect(values).toEqual(keys.map((_, i) => `v${i}`));
      expect(await queueAfter.get(`test:aof:${run}`)).toBe('queued');
    } finally {
      after.disconnect();
      queueAfter.disconnect();
    }
  });

  it('is a no-op when run a second time', () => {
    fstore('stack', 'up', 'core');
    const pids = processIds(fstore('stack', 'status').stdout);
    const again = fstore('stack', 'up', 'core');
    expect(again.status).toBe(0);
    for (const name of ['postgres', 'redis', 'kafka']) {
      expect(again.stderr).toMatch(new RegExp(`${name}: already running, healthy`));
    }
    expect(again.stderr).not.toMatch(/started|initializing|formatting|creating|fetching/);
    // The same processes, none restarted. Health is not compared: a component outside core that
    // an earlier test restarted may still be coming back, and that is not this command's doing.
    expect(processIds(fstore('stack', 'status').stdout)).toEqual(pids);
  });
});

/** `component process pid` of each row of `fstore stack status`. */
function processIds(statusTable: string): string[] {
  return statusTable
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(/ {2,}/).slice(0, 3).join(' '));
}
