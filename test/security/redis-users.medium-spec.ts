import { randomUUID } from 'crypto';
import { readFileSync, statSync } from 'fs';
import { connect } from 'net';
import { join } from 'path';
import { Queue } from 'bullmq';
import IORedis, { Cluster } from 'ioredis';
import {
  FstoreConfig,
  loadConfig,
  redisCredentials,
  redisQueueCredentials,
  RedisClusterUser,
  secretsFile,
} from '@fstore/config';
import { serviceUser } from '../../apps/cli/src/stack/service-user';
import {
  ENTITIES,
  FEATURES,
  FeatureDefinition,
  featureByName,
  featureKey,
} from '@fstore/contracts';
import { RedisClusterOnlineStore } from '@fstore/online-store';

// Issue 20, finding 7: every component logs in to Redis as its own ACL user with only the
// commands and keys it needs (libs/config/src/redis-acl.ts). Each attack of the probe runs
// against the real Redis Cluster and queue Redis and is refused with Redis's own error; the
// legitimate path of each component still works.
const config: FstoreConfig = loadConfig();
const run = `sec-${randomUUID().slice(0, 8)}`;
const NOPERM_COMMAND = (cmd: string) =>
  `NOPERM this user has no permissions to run the '${cmd}' command`;
const WRONGPASS = '-WRONGPASS invalid username-password pair or user is disabled.';
const NOPERM_KEY =
  'NOPERM this user has no permissions to access one of the keys used as arguments';
/**
 * A key the user may not touch, met inside a script: the online store's writes name their keys
 * in the script's arguments (one call per master spans many slots, which declared keys may not),
 * so Redis checks each key when the script touches it and refuses the call there.
 */
const NOPERM_KEY_IN_SCRIPT =
  /^ERR The user executing the script can't access at least one of the keys mentioned in the command arguments script: [0-9a-f]{40}/;

const stream = FEATURES.find((f) => f.engine === 'stream' && !f.tiles)!;
// A time-window count (as in the online store's medium test): tiles in one string, each record
// written in place by the writer's Lua script (GETRANGE, SETRANGE), read with MGET.
const windowed = featureByName('purchases_1h')!;
const batch = FEATURES.find((f) => f.engine === 'batch')!;
const partsOf = (f: FeatureDefinition, id: string) =>
  ENTITIES[f.entity].keyColumns.map((_, i) => `${run}-${id}-${i}`);

const stores: RedisClusterOnlineStore[] = [];
function storeAs(user: RedisClusterUser): RedisClusterOnlineStore {
  const store = RedisClusterOnlineStore.fromConfig(config, user, { commandTimeoutMs: 5000 });
  stores.push(store);
  return store;
}
const admin = storeAs('fstore-admin');

/** One RESP command on a fresh connection that never logged in; Redis's first reply line. */
function rawReply(port: number, ...words: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, config.redis.host);
    let data = '';
    socket.setTimeout(5000, () => (socket.destroy(), reject(new Error('no reply'))));
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      if (data.includes('\r\n')) {
        socket.destroy();
        resolve(data.split('\r\n')[0]);
      }
    });
    const resp = `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join('')}`;
    socket.write(resp);
  });
}

/** A client of one node of the cluster (or of the queue) as `login`, without retries. */
function nodeClient(port: number, login: { username: string; password?: string }): IORedis {
  const client = new IORedis({
    host: config.redis.host,
    port,
    ...login,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  return client;
}

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected Redis to refuse the command');
}

afterAll(async () => {
  for (const node of admin.client.nodes('master')) {
    const keys = await node.keys(`*{${run}-*`);
    if (keys.length > 0) await Promise.all(keys.map((k) => admin.client.del(k)));
  }
  await Promise.all(stores.map((s) => s.close()));
});

describe('Redis users (issue 20, finding 7)', () => {
  it('a connection that does not log in can run nothing; the default user is off', async () => {
    const [port] = config.redis.clusterPorts;
    expect(await rawReply(port, 'GET', 'x')).toBe('-NOAUTH Authentication required.');
    expect(await rawReply(port, 'FLUSHALL')).toBe('-NOAUTH Authentication required.');
    // The old shared password on the default user: refused, whichever password it is.
    const adminPassword = config.redis.passwords['fstore-admin']!;
    expect(await rawReply(port, 'AUTH', adminPassword)).toBe(WRONGPASS);
    expect(await rawReply(config.redis.queuePort, 'PING')).toBe('-NOAUTH Authentication required.');
  });

  it('the feature server reads feature values, and can neither write, flush nor read the configuration', async () => {
    const parts = partsOf(stream, 'server');
    await admin.write([{ feature: stream.name, keyParts: parts, value: 7, eventTime: 1000 }]);
    const server = storeAs('feature-server');
    expect(await server.read(stream.entity, [parts], [stream])).toEqual([
      [{ value: 7, eventTime: 1000 }],
    ]);
    const many = [parts, partsOf(stream, 'none')];
    expect(await server.read(stream.entity, many, [stream])).toEqual([
      [{ value: 7, eventTime: 1000 }],
      [null],
    ]);
    await server.checkHealth();
    const key = featureKey(stream.name, parts);
    expect(await errorOf(server.client.set(key, '9'))).toBe(NOPERM_COMMAND('set'));
    expect(await errorOf(server.client.del(key))).toBe(NOPERM_COMMAND('del'));
    expect(await errorOf(server.client.nodes('master')[0].flushall())).toBe(
      NOPERM_COMMAND('flushall'),
    );
    expect(await errorOf(server.client.nodes('master')[0].config('GET', '*'))).toBe(
      NOPERM_COMMAND('config|get'),
    );
    expect(await errorOf(server.client.nodes('master')[0].keys('*'))).toBe(NOPERM_COMMAND('keys'));
    // A script runs with its caller's rights: its write is refused too.
    const write = "return redis.call('SET', KEYS[1], '9')";
    expect(await errorOf(server.client.eval(write, 1, key))).toBe(NOPERM_KEY);
    expect(await admin.client.get(key)).toBe('7');
    // Its credentials do not open the queue Redis either.
    const serverLogin = redisCredentials(config, 'feature-server');
    expect(
      await rawReply(config.redis.queuePort, 'AUTH', serverLogin.username, serverLogin.password!),
    ).toBe(WRONGPASS);
  });

  it("the writer writes the stream features' keys (values and windows' tiles) and nothing else", async () => {
    const writer = storeAs('feature-writer');
    const parts = partsOf(stream, 'writer');
    expect(
      await writer.write([{ feature: stream.name, keyParts: parts, value: 5, eventTime: 2000 }]),
    ).toEqual({ written: 1, skippedOlder: 0 });
    // A tile of a time window, ending now: the feature server reads it back.
    const end =
      Math.ceil(Date.now() / windowed.tiles!.granularityMs) * windowed.tiles!.granularityMs;
    const tileParts = partsOf(windowed, 'writer');
    expect(
      await writer.write([
        {
          feature: windowed.name,
          keyParts: tileParts,
          tile: { end, events: 1, aggregate: null, eventTime: end - 1 },
        },
      ]),
    ).toEqual({ written: 1, skippedOlder: 0 });
    const [[tile]] = await storeAs('feature-server').read(windowed.entity, [tileParts], [windowed]);
    expect(tile?.eventTime).toBe(end - 1);
    const batchParts = partsOf(batch, 'writer');
    expect(
      await errorOf(
        writer.write([{ feature: batch.name, keyParts: batchParts, value: 1, eventTime: 2000 }]),
      ),
    ).toMatch(NOPERM_KEY_IN_SCRIPT);
    expect(await errorOf(writer.client.set(`evil:{${run}}`, '1'))).toBe(NOPERM_KEY);
    expect(await errorOf(writer.client.nodes('master')[0].flushall())).toBe(
      NOPERM_COMMAND('flushall'),
    );
    expect(await admin.client.exists(featureKey(batch.name, batchParts))).toBe(0);
  });

  it("the batch job's user writes the batch features' keys only", async () => {
    const batchUser = storeAs('batch-features');
    const parts = partsOf(batch, 'batch');
    expect(
      await batchUser.write([{ feature: batch.name, keyParts: parts, value: 3, eventTime: 3000 }]),
    ).toEqual({ written: 1, skippedOlder: 0 });
    expect(
      await errorOf(
        batchUser.write([
          { feature: stream.name, keyParts: partsOf(stream, 'batch'), value: 1, eventTime: 1 },
        ]),
      ),
    ).toMatch(NOPERM_KEY_IN_SCRIPT);
    expect(await admin.client.exists(featureKey(stream.name, partsOf(stream, 'batch')))).toBe(0);
  });

  it('the control plane reads the cluster only, and uses its queue with a password of its own', async () => {
    const parts = partsOf(stream, 'control');
    await admin.write([{ feature: stream.name, keyParts: parts, value: 4, eventTime: 4000 }]);
    const control = storeAs('control-plane');
    expect(await control.read(stream.entity, [parts], [stream])).toEqual([
      [{ value: 4, eventTime: 4000 }],
    ]);
    expect(await errorOf(control.client.set(featureKey(stream.name, parts), '1'))).toBe(
      NOPERM_COMMAND('set'),
    );
    expect(config.redis.queuePasswords['control-plane']).not.toBe(
      config.redis.passwords['control-plane'],
    );
    const login = redisQueueCredentials(config, 'control-plane');
    const queue = new Queue(`fstore-security-${run}`, {
      connection: { host: config.redis.queueHost, port: config.redis.queuePort, ...login },
    });
    try {
      const job = await queue.add('op', { run }, { jobId: run });
      expect((await queue.getJob(job.id!))?.data).toEqual({ run });
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
    const raw = nodeClient(config.redis.queuePort, login);
    await raw.connect();
    expect(await errorOf(raw.flushall())).toBe(NOPERM_COMMAND('flushall'));
    expect(await errorOf(raw.config('GET', '*'))).toBe(NOPERM_COMMAND('config|get'));
    expect(await errorOf(raw.set(`not-bull-${run}`, '1'))).toBe(NOPERM_KEY);
    raw.disconnect();
    // The cluster's password of the control plane does not open the queue.
    const cross = redisCredentials(config, 'control-plane');
    expect(await rawReply(config.redis.queuePort, 'AUTH', cross.username, cross.password!)).toBe(
      WRONGPASS,
    );
  });

  it('replicas follow their masters as the replication user, which can do nothing else', async () => {
    const cluster: Cluster = admin.client;
    const replicas = cluster.nodes('slave');
    expect(replicas.length).toBe(config.redis.clusterPorts.length / 2);
    for (const replica of replicas) {
      expect(await replica.info('replication')).toMatch(/master_link_status:up/);
    }
    const replication = nodeClient(
      config.redis.clusterPorts[0],
      redisCredentials(config, 'replication'),
    );
    await replication.connect();
    expect(await errorOf(replication.get('x'))).toBe(NOPERM_COMMAND('get'));
    replication.disconnect();
  });

  it('the secrets and the Redis configuration are readable by their owner (and the service group) only', () => {
    const secrets = secretsFile(config.stackDir);
    // Root's stack: group the service user's, who reads it (docs/security.md).
    expect(statSync(secrets).mode & 0o777).toBe(serviceUser() ? 0o640 : 0o600);
    const ports = [...config.redis.clusterPorts, config.redis.queuePort];
    for (const port of ports) {
      const dir = join(config.stackDir, 'data', 'redis', String(port));
      for (const file of ['redis.conf', 'users.acl']) {
        // Root's stack: root's, the service group (the node) reads them, 640.
        expect({ file: join(dir, file), mode: statSync(join(dir, file)).mode & 0o777 }).toEqual({
          file: join(dir, file),
          mode: serviceUser() ? 0o640 : 0o600,
        });
      }
      // Passwords appear only as SHA-256 hashes.
      const acl = readFileSync(join(dir, 'users.acl'), 'utf8');
      for (const password of Object.values(config.redis.passwords)) {
        expect(acl).not.toContain(`>${password}`);
        expect(acl.includes(password!)).toBe(false);
      }
      expect(acl).toMatch(/^user default off /m);
    }
  });
});
