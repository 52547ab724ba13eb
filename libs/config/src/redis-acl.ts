import { createHash } from 'crypto';

/**
 * Who may do what in Redis (issue 20, finding 7): one ACL user per component, each with only the
 * commands and key patterns it uses. The local stack writes these rules into every cluster
 * node's ACL file (and the queue's), the Kubernetes manifests render the same file; the clients
 * log in with `redisCredentials`. The `default` user is switched off: a connection that does not
 * log in as one of these can run nothing.
 */

/**
 * The `default` user: off and without a password, so no connection can log in as it (AUTH
 * answers WRONGPASS, every other command NOAUTH), yet allowed every command and key. Why the
 * rights: Redis replays its append-only file as `default`, and 7.0 (the stack's, Debian's
 * 7.0.15) checks each command of a MULTI/EXEC against that user's rules again at EXEC, also
 * while loading. Script effects and BullMQ's transactions are written to the AOF as MULTI/EXEC,
 * so with `-@all` every one of them was refused on restart (`-NOPERM ACLs rules changed…` in
 * the log) and lost: the last values, tiles and queue jobs written since the last AOF rewrite.
 * redis/redis#14545 (and valkey-io/valkey#3984) skip that check for the AOF client; once the
 * stack's Redis has it, this can go back to `-@all`. test/foundation/stack.medium-spec.ts
 * restarts Redis and reads scripted and transactional writes back.
 */
const DEFAULT_USER = 'user default off resetpass resetkeys resetchannels ~* &* +@all';

/** The users of the Redis Cluster (the online store). */
export const REDIS_CLUSTER_USERS = [
  'fstore-admin',
  'replication',
  'feature-server',
  'feature-writer',
  'batch-features',
  'control-plane',
  'metrics',
] as const;
export type RedisClusterUser = (typeof REDIS_CLUSTER_USERS)[number];

/** The users of the plain queue Redis (BullMQ). */
export const REDIS_QUEUE_USERS = ['fstore-admin', 'control-plane', 'metrics'] as const;
export type RedisQueueUser = (typeof REDIS_QUEUE_USERS)[number];

/** The setting holding each cluster user's password. */
export const REDIS_PASSWORD_SETTINGS = {
  'fstore-admin': 'FSTORE_REDIS_ADMIN_PASSWORD',
  replication: 'FSTORE_REDIS_REPLICATION_PASSWORD',
  'feature-server': 'FSTORE_REDIS_SERVER_PASSWORD',
  'feature-writer': 'FSTORE_REDIS_WRITER_PASSWORD',
  'batch-features': 'FSTORE_REDIS_BATCH_PASSWORD',
  'control-plane': 'FSTORE_REDIS_CONTROL_PASSWORD',
  metrics: 'FSTORE_REDIS_METRICS_PASSWORD',
} as const satisfies Record<RedisClusterUser, string>;

/** The setting holding each queue user's password (the admin's and the exporter's are the cluster's). */
export const REDIS_QUEUE_PASSWORD_SETTINGS = {
  'fstore-admin': 'FSTORE_REDIS_ADMIN_PASSWORD',
  'control-plane': 'FSTORE_REDIS_QUEUE_PASSWORD',
  metrics: 'FSTORE_REDIS_METRICS_PASSWORD',
} as const satisfies Record<RedisQueueUser, string>;

/** A feature as far as the ACLs care: its keys start with `<name>:`, its engine writes them. */
export interface AclFeature {
  name: string;
  engine: 'stream' | 'batch';
}

/**
 * What every client of the cluster runs to find its way: the slot map, health, redirects, and
 * INFO, the client's check that a node has finished loading its data before it is used.
 */
const CLUSTER_CLIENT = [
  '+ping',
  '+info',
  '+cluster|slots',
  '+cluster|info',
  '+readonly',
  '+asking',
];

/** Reads of values, event times and windows; scripts run as the caller (same checks). */
const READS = ['+get', '+mget', '+exists', '+hget', '+hmget', '+hgetall', '+hvals', '+pttl'];
const SCRIPTS = ['+eval', '+evalsha', '+eval_ro', '+evalsha_ro'];
/** The writers load their set-if-not-older script once and call it by its SHA (EVALSHA). */
const SCRIPT_LOAD = '+script|load';
/**
 * The feature writer waits for each master's replicas to have its writes before it commits their
 * Kafka offsets (WAIT: FSTORE_WRITER_WAIT_REPLICAS).
 */
const REPLICA_WAIT = '+wait';
/** The writer finds the windows of the old layout (hashes) to pack when it starts. */
const FORMAT_0_SCAN = '+scan';
/**
 * Writes of the set-if-not-older scripts (plain values) and of time-window tiles (WRITE_TILE: a
 * record of the window's string in place; HGETALL, in READS, packs a hash of the older format).
 */
const WRITES = [
  '+set',
  '+del',
  '+hset',
  '+hdel',
  '+getrange',
  '+setrange',
  '+pexpiretime',
  '+pexpireat',
  '+pexpire',
];

/** Key patterns of the given features' keys: `<name>:…` (values, `:ts` keys, window hashes). */
function keyPatterns(features: readonly AclFeature[], readOnly: boolean): string[] {
  return features.map((f) => `${readOnly ? '%R' : ''}~${f.name}:*`);
}

/**
 * The Prometheus exporter (Debian's prometheus-redis-exporter 1.45) as user `metrics`: server
 * statistics only, no key. INFO carries nearly all its metrics, CLUSTER INFO `redis_cluster_state`;
 * it reads the slow log and latency samples and names its connection. Not CONFIG GET: the
 * exporter asks `CONFIG GET *` (maxmemory, maxclients), which would hand out `masterauth`, the
 * replication user's password; it notes the refusal (debug) and exports everything else. These
 * are the commands 1.45 runs without its key/stream/Lua options (exporter/*.go, `doRedisCmd`).
 */
const METRICS = [
  '+ping',
  '+info',
  '+cluster|info',
  '+slowlog|get',
  '+slowlog|len',
  '+latency|latest',
  '+client|setname',
];

/**
 * Each cluster user's rules (without its password): the feature server and the control plane
 * read every feature (read-only key permission: not even a script may write); the writer reads
 * and writes only the stream features' keys, the batch job only the batch features'; replicas
 * only replicate; the exporter reads server statistics; `fstore-admin` (the stack itself, admin commands, tests) may do anything.
 * Never a FLUSHALL, CONFIG, KEYS or DEBUG for a service.
 */
export function redisClusterAclRules(
  features: readonly AclFeature[],
): Record<RedisClusterUser, string[]> {
  const stream = features.filter((f) => f.engine === 'stream');
  const batch = features.filter((f) => f.engine === 'batch');
  const reader = [...CLUSTER_CLIENT, ...READS, ...SCRIPTS, ...keyPatterns(features, true)];
  return {
    'fstore-admin': ['~*', '&*', '+@all'],
    replication: ['+psync', '+replconf', '+ping'],
    'feature-server': reader,
    'control-plane': reader,
    'feature-writer': [
      ...CLUSTER_CLIENT,
      ...READS,
      ...SCRIPTS,
      SCRIPT_LOAD,
      ...WRITES,
      REPLICA_WAIT,
      FORMAT_0_SCAN,
      ...keyPatterns(stream, false),
    ],
    // redis-py's cluster client asks COMMAND for the commands' key positions.
    'batch-features': [
      ...CLUSTER_CLIENT,
      '+command',
      ...READS,
      ...SCRIPTS,
      SCRIPT_LOAD,
      ...WRITES,
      ...keyPatterns(batch, false),
    ],
    metrics: METRICS,
  };
}

/**
 * The queue Redis: the control plane may use BullMQ's keys (`bull:…`, its queues and the tests'
 * own) with the commands BullMQ runs (its Lua scripts, blocking pops, INFO for the server
 * version, CLIENT SETNAME), no admin or dangerous command otherwise. The exporter reads the same
 * server statistics as on the cluster (no CLUSTER INFO: the exporter asks it only of a node with
 * `cluster_enabled:1`).
 */
export function redisQueueAclRules(): Record<RedisQueueUser, string[]> {
  return {
    'fstore-admin': ['~*', '&*', '+@all'],
    'control-plane': [
      '~bull:*',
      '+@all',
      '-@dangerous',
      '-@admin',
      '+info',
      '+client|setname',
      '+client|getname',
      '+client|id',
    ],
    metrics: METRICS.filter((rule) => rule !== '+cluster|info'),
  };
}

const sha256 = (password: string) => createHash('sha256').update(password).digest('hex');

/**
 * An ACL file (`aclfile`): every user of `rules` switched on with its password (as its SHA-256,
 * so the file never holds one in clear), the `default` user off (DEFAULT_USER). A user without a password is
 * left off. `hash` renders a password (Kubernetes: a placeholder its start script replaces).
 */
export function redisAclFile(
  rules: Readonly<Record<string, readonly string[]>>,
  passwords: Readonly<Record<string, string | undefined>>,
  hash: (password: string) => string = sha256,
): string {
  const lines = [DEFAULT_USER];
  for (const [user, userRules] of Object.entries(rules)) {
    const password = passwords[user];
    const auth = password ? `on #${hash(password)}` : 'off';
    lines.push(`user ${user} ${auth} resetkeys resetchannels -@all ${userRules.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * The ACL file with `#@<SETTING>@` where each hash goes, for a start script that has the
 * passwords in its environment (k8s/base/redis/configmap.yaml).
 */
export function redisAclTemplate(
  rules: Readonly<Record<string, readonly string[]>>,
  settings: Readonly<Record<string, string>>,
): string {
  const placeholders = Object.fromEntries(Object.entries(settings).map(([u, s]) => [u, `@${s}@`]));
  return redisAclFile(rules, placeholders, (p) => p);
}
