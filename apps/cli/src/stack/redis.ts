import Redis from 'ioredis';
import { join } from 'path';
import {
  redisAclFile,
  redisClusterAclRules,
  redisCredentials,
  redisQueueAclRules,
  redisQueueCredentials,
} from '@fstore/config';
import { FEATURES } from '@fstore/contracts';
import { ProcessStatus, StackComponent, StackContext } from './component';
import {
  aptInstall,
  probe,
  commandExists,
  ensureDir,
  run,
  runningPid,
  spawnDaemon,
  StackError,
  stopProcess,
  waitUntil,
  writeIfChanged,
} from './processes';
import { sharedWorkDir, shareWithServiceUser } from './service-user';

interface RedisNode {
  process: string;
  port: number;
  clustered: boolean;
}

function nodes(ctx: StackContext): RedisNode[] {
  const cluster = ctx.config.redis.clusterPorts.map((port) => ({
    process: `redis-${port}`,
    port,
    clustered: true,
  }));
  return [
    ...cluster,
    { process: 'redis-queue', port: ctx.config.redis.queuePort, clustered: false },
  ];
}

/** The stack's own login (user `fstore-admin`), on the cluster's nodes and on the queue. */
function adminLogin(ctx: StackContext, port: number): { username: string; password?: string } {
  return port === ctx.config.redis.queuePort
    ? redisQueueCredentials(ctx.config, 'fstore-admin')
    : redisCredentials(ctx.config, 'fstore-admin');
}

/**
 * The node's ACL file: one user per component (libs/config/src/redis-acl.ts), the cluster's
 * key patterns from the current feature definitions, `default` off.
 */
function aclText(ctx: StackContext, node: RedisNode): string {
  if (!node.clustered) return redisAclFile(redisQueueAclRules(), ctx.config.redis.queuePasswords);
  const features = FEATURES.map((f) => ({ name: f.name, engine: f.engine }));
  return redisAclFile(redisClusterAclRules(features), ctx.config.redis.passwords);
}

async function withNode<T>(
  ctx: StackContext,
  port: number,
  fn: (r: Redis) => Promise<T>,
): Promise<T> {
  const r = new Redis({
    host: ctx.config.host,
    port,
    ...adminLogin(ctx, port),
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // Failures surface through the awaited calls; without a listener ioredis would also print them.
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

function clusterInfo(raw: string): Record<string, string> {
  return Object.fromEntries(
    raw
      .split('\r\n')
      .filter((l) => l.includes(':'))
      .map((l) => l.split(':') as [string, string]),
  );
}

/**
 * Redis from Debian: a Redis Cluster of 3 masters + 3 replicas (features) and one plain instance
 * (job queues). Cluster membership survives restarts in each node's nodes.conf.
 */
export class RedisComponent implements StackComponent {
  readonly name = 'redis';

  processNames(ctx: StackContext): string[] {
    return nodes(ctx).map((n) => n.process);
  }

  async install(ctx: StackContext): Promise<void> {
    if (!commandExists('redis-server') || !commandExists('redis-cli')) {
      await aptInstall(['redis-server', 'redis-tools'], ctx.log);
    }
  }

  /** Writes the node's ACL file (mode 600); whether it changed. */
  private writeAcl(ctx: StackContext, node: RedisNode): boolean {
    const passwords = node.clustered ? ctx.config.redis.passwords : ctx.config.redis.queuePasswords;
    const missing = Object.entries(passwords).filter(([, pw]) => !pw);
    if (missing.length > 0) {
      throw new StackError(
        `redis: no password for user(s) ${missing.map(([u]) => u).join(', ')} (FSTORE_REDIS_*_PASSWORD)`,
      );
    }
    const changed = writeIfChanged(this.aclFile(ctx, node), aclText(ctx, node), 0o600);
    // Root's, read by the node (a rewritten file is a new one: share it again).
    shareWithServiceUser(this.aclFile(ctx, node));
    return changed;
  }

  private aclFile(ctx: StackContext, node: RedisNode): string {
    return join(ctx.paths.data('redis'), String(node.port), 'users.acl');
  }

  private writeConfig(ctx: StackContext, node: RedisNode): string {
    const dir = ensureDir(join(ctx.paths.data('redis'), String(node.port)));
    this.writeAcl(ctx, node);
    const lines = [
      `port ${node.port}`,
      `bind ${ctx.config.host}`,
      'protected-mode yes',
      'daemonize no',
      `dir ${dir}`,
      'logfile ""',
      // Users and their rights; `default` is off, so every client logs in as its own user.
      `aclfile ${this.aclFile(ctx, node)}`,
      'appendonly yes',
      'appendfsync everysec',
      'save ""',
    ];
    if (node.clustered) {
      lines.push(
        // A replica logs in to its master as the replication user (PSYNC, REPLCONF, PING only).
        'masteruser replication',
        `masterauth ${ctx.config.redis.passwords.replication}`,
        'cluster-enabled yes',
        'cluster-config-file nodes.conf',
        'cluster-node-timeout 5000',
        `cluster-announce-ip ${ctx.config.host}`,
      );
    } else {
      // Queues must never lose jobs to eviction.
      lines.push('maxmemory-policy noeviction');
    }
    const file = join(dir, 'redis.conf');
    // It holds the replication password: readable by the stack's user only.
    writeIfChanged(file, lines.join('\n') + '\n', 0o600);
    return file;
  }

  async start(ctx: StackContext): Promise<number> {
    let started = 0;
    for (const node of nodes(ctx)) {
      if (runningPid(ctx.paths, node.process) !== undefined) continue;
      const conf = this.writeConfig(ctx, node);
      // Its configuration and ACL file root's, which the node reads; its append-only files and
      // nodes.conf beside them, the node's (service-user.ts).
      sharedWorkDir(join(ctx.paths.data('redis'), String(node.port)), ['redis.conf', 'users.acl']);
      spawnDaemon(ctx.paths, { name: node.process, command: 'redis-server', args: [conf] });
      started++;
    }
    return started;
  }

  async ready(ctx: StackContext): Promise<void> {
    for (const node of nodes(ctx)) {
      await waitUntil(`redis node ${node.port}`, () => withNode(ctx, node.port, (r) => r.ping()), {
        timeoutMs: 20000,
        process: { paths: ctx.paths, name: node.process },
      });
      // A node that was already running reloads changed users (e.g. after `fstore apply` added
      // a feature, whose keys the writer and the readers need).
      if (this.writeAcl(ctx, node)) await withNode(ctx, node.port, (r) => r.acl('LOAD'));
    }
    const ports = ctx.config.redis.clusterPorts;
    const known = await withNode(ctx, ports[0], async (r) =>
      clusterInfo((await r.cluster('INFO')) as string),
    );
    if (known.cluster_known_nodes === '1') {
      ctx.log(`redis: forming the cluster (${ports.length} nodes, 1 replica per master)`);
      run(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...ports.map((p) => `${ctx.config.host}:${p}`),
          '--cluster-replicas',
          '1',
          '--cluster-yes',
          '--user',
          'fstore-admin',
        ],
        { env: { ...process.env, REDISCLI_AUTH: ctx.config.redis.passwords['fstore-admin'] } },
      );
    }
    for (const port of ports) {
      await waitUntil(`redis cluster (node ${port})`, () => this.clusterOk(ctx, port), {
        timeoutMs: 30000,
        logFile: ctx.paths.logFile(`redis-${port}`),
      });
    }
    // A restarted node rejoins after the cluster is ok again: up means every master has its
    // replica back, not only that the slots are served.
    await waitUntil('redis cluster (a replica for every master)', () => this.replicated(ctx), {
      timeoutMs: 30000,
      logFile: ctx.paths.logFile(`redis-${ports[0]}`),
    });
  }

  // Every node's view, not one: a node lists a replica in CLUSTER SLOTS only once it has
  // cleared that replica's FAIL flag, and each node clears it on its own ping (CI saw a client
  // ask a node that had not yet, right after `stack up redis` returned).
  private async replicated(ctx: StackContext): Promise<void> {
    for (const port of ctx.config.redis.clusterPorts) {
      const slots = await withNode(ctx, port, (r) => r.cluster('SLOTS'));
      const bare = slots.filter((range) => range.length < 4);
      if (bare.length > 0) {
        throw new Error(
          `node ${port} sees no replica for slots ${bare.map(([from, to]) => `${from}-${to}`).join(', ')}`,
        );
      }
    }
  }

  private async clusterOk(ctx: StackContext, port: number): Promise<void> {
    const info = await withNode(ctx, port, async (r) => {
      await r.ping();
      return clusterInfo((await r.cluster('INFO')) as string);
    });
    if (info.cluster_state !== 'ok') throw new Error(`cluster_state is ${info.cluster_state}`);
  }

  async status(ctx: StackContext): Promise<ProcessStatus[]> {
    return Promise.all(
      nodes(ctx).map(async (node) => {
        const { healthy, detail } = await probe(async () => {
          if (node.clustered) await this.clusterOk(ctx, node.port);
          else await withNode(ctx, node.port, (r) => r.ping());
        });
        return {
          component: this.name,
          process: node.process,
          pid: runningPid(ctx.paths, node.process),
          address: `${ctx.config.host}:${node.port}`,
          healthy,
          detail,
        };
      }),
    );
  }

  async stop(ctx: StackContext): Promise<void> {
    await Promise.all(nodes(ctx).map((n) => stopProcess(ctx.paths, n.process)));
  }
}
