import calculateSlot from 'cluster-key-slot';
import { Cluster, ClusterOptions, Redis } from 'ioredis';
import { isOnlineStoreUnavailable } from './availability';
import { readFileSync } from 'fs';
import { join } from 'path';
import { FstoreConfig, PROJECT_ROOT, RedisClusterUser, redisCredentials } from '@fstore/config';
import {
  EntityName,
  entityKeyPart,
  EVENT_TIME_KEY_SUFFIX,
  eventTimeKey,
  FeatureDefinition,
  featureByName,
  featureKey,
  featureKeyPrefix,
  TiledWindow,
} from '@fstore/contracts';
import { tileSlots, WindowBounds } from '@fstore/definitions';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { SerialWaits } from './serial-waits';
import {
  encodeTile,
  mergeTiles,
  PACK_WINDOW_HASH,
  readWindow,
  Tile,
  tilePlacement,
  TILES_LUA,
  WRITE_TILE,
  WRITE_TILE_BODY,
} from './tiles';
import { TurnBatcher } from './turn-batcher';
import { formatValue } from './values';

export interface FeatureValue {
  value: number;
  /** Event time of the value, epoch milliseconds. */
  eventTime: number;
  /** A time-window feature's window at the read: events with start < event time ≤ end. */
  window?: WindowBounds;
}

export type FeatureWrite =
  | { feature: string; keyParts: readonly string[]; value: number | string; eventTime: number }
  /**
   * Deletes the value (the feature has none for this entity now). With an event time, only if
   * the stored value is not newer; without one (a changelog tombstone), unconditionally.
   */
  | { feature: string; keyParts: readonly string[]; value: null; eventTime?: number }
  /** One tile of a time-window feature; its event time is the tile's newest. */
  | { feature: string; keyParts: readonly string[]; tile: Tile };

export interface WriteResult {
  written: number;
  /** Updates not applied because the stored value is newer. */
  skippedOlder: number;
}

/** How many replicas each master that took writes should confirm, and how long to wait. */
export interface ReplicaWait {
  replicas: number;
  timeoutMs: number;
}

/** One master's answer to WAIT: its address ("host:port") and the replicas that confirmed. */
export interface ReplicaAck {
  node: string;
  acknowledged: number;
}

export interface DurableWriteResult extends WriteResult {
  /** One per master that took writes of the call. */
  acks: ReplicaAck[];
}

/**
 * What reading a feature's value needs to know about it: its key prefix (name), how a value is
 * formatted (type) and whether it is kept as time-window tiles. A checked definition
 * (`FeatureDefinition`) is one; so is a definition the control plane reads back from its
 * registry, which this process may not have booted with.
 */
export type StoredFeature = Pick<FeatureDefinition, 'name' | 'type' | 'tiles'>;

/** The online store's small interface (after Feast's): write a batch, read entities, health. */
export interface OnlineStore {
  write(rows: readonly FeatureWrite[]): Promise<WriteResult>;
  /**
   * write(), then WAIT on each master that took writes until `wait.replicas` of its replicas
   * have them or `wait.timeoutMs` has passed: the answers say how many did. Fails as write()
   * does, and when a master does not answer its WAIT.
   */
  writeAndWait(rows: readonly FeatureWrite[], wait: ReplicaWait): Promise<DurableWriteResult>;
  /**
   * For each entity (its key parts), the requested features' values; null where absent. With a
   * `parent` (a traced request's span), its Redis commands get client spans under it.
   */
  read(
    entity: EntityName,
    entities: readonly (readonly string[])[],
    features: readonly StoredFeature[],
    parent?: Span,
  ): Promise<(FeatureValue | null)[][]>;
  /** Throws unless every master answers and the cluster state is ok. */
  checkHealth(): Promise<void>;
  close(): Promise<void>;
}

export interface RedisClusterStoreOptions {
  host: string;
  ports: readonly number[];
  /** The ACL user it logs in as (libs/config/src/redis-acl.ts says what each may do). */
  username?: string;
  password?: string;
  /** Per-command deadline; a request against a dead node fails instead of hanging. */
  commandTimeoutMs?: number;
}

// The write rule: set value and event time together unless the stored event time is newer. One
// file that the batch job (spark-jobs/batch_features.py) loads too.
const SET_IF_NEWER = readFileSync(
  join(PROJECT_ROOT, 'libs', 'online-store', 'lua', 'set_if_newer.lua'),
  'utf8',
);

// Reads entities of several slots that all live on the node it runs on (Redis 7 script flags).
// ARGV: n, w, the event-time key suffix, n plain features' key prefixes, w time windows' key
// prefixes, then one entity key part per entity. For each entity, one MGET (its keys share a slot)
// of its plain value keys (prefix .. part), their event-time keys (.. suffix) and its windows'
// strings of tiles. Sending the parts, not the keys, keeps the request small; the pieces come from
// featureKeyPrefix, entityKeyPart and EVENT_TIME_KEY_SUFFIX, so the format stays theirs. The
// answer is an array: first one string, per entity n values then n event times, joined by commas,
// a missing key empty (values are plain numbers, never empty): one bulk reply instead of one per
// key is cheaper to build and to parse; then, per entity, its w windows' strings (nil: no key),
// each an element of its own. A window is not joined into the string nor looked into: every byte
// a script gets costs the node ~2 ns and every byte it joins ~5 ns more (Lua strings), as much as
// the rest of the read (bench/window-read.ts, docs/benchmarks.md).
const READ_ENTITIES = `#!lua flags=no-writes,allow-cross-slot-keys
local n, w = tonumber(ARGV[1]), tonumber(ARGV[2])
local suffix = ARGV[3]
local joined, keys, at = {}, {}, 0
local reply = { '' }
for i = n + w + 4, #ARGV do
  for j = 1, n do
    local key = ARGV[j + 3] .. ARGV[i]
    keys[j] = key
    keys[n + j] = key .. suffix
  end
  for t = 1, w do keys[2 * n + t] = ARGV[n + t + 3] .. ARGV[i] end
  local values = redis.call('MGET', unpack(keys, 1, 2 * n + w))
  for j = 1, 2 * n do joined[at + j] = values[j] or '' end
  for t = 1, w do reply[#reply + 1] = values[2 * n + t] end
  at = at + 2 * n
end
reply[1] = table.concat(joined, ',')
return reply`;

// A node's share of a batch of writes in one script call instead of one EVALSHA per key: per
// write, the same rules as above (set_if_newer.lua, WRITE_TILE), each wrapped as a function of its
// own KEYS and ARGV. ARGV per write: 'v' (a value: its key and event-time key, value, event time)
// or 't' (a tile: the window's key, then WRITE_TILE's six arguments). The keys go in ARGV, not as
// declared keys: Redis refuses declared keys of several slots (CROSSSLOT) even with the flag,
// which only lets the script touch keys of several slots of its node. Answers how many were
// written (not skipped as older); an error of one write ends the call with it (what was written
// before it stays: the rules make writing it again harmless). If a key is not on the node (the
// slot map is stale), Redis refuses it and the node's share goes as one command per write instead,
// following redirects.
const WRITE_ON_NODE = `#!lua flags=allow-cross-slot-keys
${TILES_LUA}
local function setIfNewer(KEYS, ARGV)
${SET_IF_NEWER}
end
local function writeTile(KEYS, ARGV)
${WRITE_TILE_BODY}
end
local written, a = 0, 1
while a <= #ARGV do
  local r
  if ARGV[a] == 'v' then
    r = setIfNewer({ ARGV[a + 1], ARGV[a + 2] }, { ARGV[a + 3], ARGV[a + 4] })
    a = a + 5
  else
    r = writeTile({ ARGV[a + 1] }, { unpack(ARGV, a + 2, a + 7) })
    a = a + 8
  end
  if type(r) == 'table' then return r end
  written = written + r
end
return written`;

/**
 * The most writes one WRITE_ON_NODE call carries: a script holds its node while it runs, so a
 * node's larger share goes as several calls, between which the node answers others.
 */
const WRITES_PER_SCRIPT = 500;

/** The most entities one READ_ENTITIES call reads (~1 ms of its node's time). */
const ENTITIES_PER_SCRIPT = 128;

type SetIfNewerCluster = Cluster & {
  setIfNewer(valueKey: string, tsKey: string, value: string, eventTime: string): Promise<number>;
  /** WRITE_TILE (tiles.ts): slot, lap, record, expiry, g, S. */
  writeTile(key: string, ...args: string[]): Promise<number>;
  /** PACK_WINDOW_HASH (tiles.ts): g, S. */
  packWindowHash(key: string, g: string, slots: string): Promise<number>;
};

/** A write as the scripts take it: a value and its event time ('' for none), or a tile's arguments. */
interface KeyedWrite {
  key: string;
  tile?: string[];
  value?: string;
  eventTime?: string;
}

/** The ring's g and S, the last arguments of WRITE_TILE and those of PACK_WINDOW_HASH. */
function ringArgs(tiles: TiledWindow): [string, string] {
  return [String(tiles.granularityMs), String(tileSlots(tiles.windowMs, tiles.granularityMs))];
}

/**
 * A traced read's Redis commands as client spans under `parent`, made by hand around the round
 * trip: the feature server runs without an OTel context (libs/observability's edge-sampling.ts
 * says why), so the ioredis instrumentation has nothing to find a parent in. Names and attributes
 * are the instrumentation's (the command's name only: no key, no value). Without a parent it is
 * the round trip alone (`describe`, the commands and the node's "host:port", is not called).
 */
async function commandSpans<T>(
  parent: Span | undefined,
  describe: () => { commands: readonly string[]; node?: string },
  roundTrip: () => Promise<T>,
): Promise<T> {
  if (!parent) return roundTrip();
  const { commands, node } = describe();
  const at = node?.lastIndexOf(':') ?? -1;
  const server =
    node && at > 0
      ? { 'server.address': node.slice(0, at), 'server.port': Number(node.slice(at + 1)) }
      : {};
  const ctx = trace.setSpan(ROOT_CONTEXT, parent);
  const tracer = trace.getTracer('fstore');
  const spans = commands.map((command) =>
    tracer.startSpan(
      command,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system.name': 'redis',
          'db.query.text': command,
          ...server,
        },
      },
      ctx,
    ),
  );
  try {
    return await roundTrip();
  } catch (e) {
    for (const span of spans) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
    }
    throw e;
  } finally {
    for (const span of spans) span.end();
  }
}

export class RedisClusterOnlineStore implements OnlineStore {
  private readonly cluster: SetIfNewerCluster;
  /** The reads of one event-loop turn with the same features, together (see TurnBatcher). */
  private readonly reads = new TurnBatcher(
    (features: readonly StoredFeature[]) => features.map((f) => f.name).join(','),
    (features, parts: string[], parent: Span | undefined) =>
      this.readEntities(parts, features, parent),
  );
  /** One WAIT at a time per master and wait (writeAndWait); keys "host:port replicas timeout". */
  private readonly waits = new SerialWaits((key) => {
    const [node, replicas, timeoutMs] = key.split(' ');
    const master = this.mastersByAddress().get(node);
    // A node the client is not connected to (dropped from its map) cannot be asked: as far as
    // the writer can tell, no replica has the writes.
    if (!master) return Promise.resolve(0);
    return master.wait(Number(replicas), Number(timeoutMs));
  });

  /**
   * The project's Redis Cluster as configured (host, ports, command deadline), logged in as
   * `user`: each component as its own ACL user, with only the rights it needs.
   */
  static fromConfig(
    config: FstoreConfig,
    user: RedisClusterUser,
    overrides: Partial<RedisClusterStoreOptions> = {},
    clusterOptions: ClusterOptions = {},
  ): RedisClusterOnlineStore {
    return new RedisClusterOnlineStore(
      {
        host: config.redis.host,
        ports: config.redis.clusterPorts,
        ...redisCredentials(config, user),
        commandTimeoutMs: config.redis.commandTimeoutMs,
        ...overrides,
      },
      clusterOptions,
    );
  }

  constructor(opts: RedisClusterStoreOptions, clusterOptions: ClusterOptions = {}) {
    const timeout = opts.commandTimeoutMs ?? 1000;
    this.cluster = new Cluster(
      opts.ports.map((port) => ({ host: opts.host, port })),
      {
        enableOfflineQueue: true,
        slotsRefreshTimeout: timeout,
        // Re-learn the topology regularly: a node that dropped out and came back is re-added.
        slotsRefreshInterval: 2000,
        clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
        ...clusterOptions,
        redisOptions: {
          username: opts.username,
          password: opts.password,
          commandTimeout: timeout,
          connectTimeout: timeout,
          maxRetriesPerRequest: 1,
          ...clusterOptions.redisOptions,
        },
      },
    ) as SetIfNewerCluster;
    this.cluster.defineCommand('setIfNewer', { numberOfKeys: 2, lua: SET_IF_NEWER });
    this.cluster.defineCommand('writeTile', { numberOfKeys: 1, lua: WRITE_TILE });
    this.cluster.defineCommand('packWindowHash', { numberOfKeys: 1, lua: PACK_WINDOW_HASH });
    // Errors reach callers through the failed commands; this keeps ioredis from logging them too.
    this.cluster.on('error', () => undefined);
  }

  /** The underlying client, for health details and tests. */
  get client(): Cluster {
    return this.cluster;
  }

  async write(rows: readonly FeatureWrite[]): Promise<WriteResult> {
    const { written, skippedOlder } = await this.writeRows(rows);
    return { written, skippedOlder };
  }

  async writeAndWait(
    rows: readonly FeatureWrite[],
    wait: ReplicaWait,
  ): Promise<DurableWriteResult> {
    const { written, skippedOlder, nodes } = await this.writeRows(rows);
    // WAIT counts the replicas that have every write sent on its connection so far: it goes to
    // the very connection that wrote, the node's one connection in ioredis.
    const acks = await Promise.all(
      nodes.map(async (node) => ({
        node,
        acknowledged: Number(await this.waits.wait(`${node} ${wait.replicas} ${wait.timeoutMs}`)),
      })),
    );
    return { written, skippedOlder, acks };
  }

  /** The writes, and the masters ("host:port") that took them. */
  private async writeRows(
    rows: readonly FeatureWrite[],
  ): Promise<WriteResult & { nodes: string[] }> {
    await this.ready();
    const keyed = rows.map((row): KeyedWrite => {
      const def = featureByName(row.feature);
      if (!def) throw new RangeError(`unknown feature: ${row.feature}`);
      const key = featureKey(def.name, row.keyParts);
      if ('tile' in row) {
        if (!def.tiles) throw new RangeError(`${def.name} is not a time-window feature`);
        const { tiles } = def;
        const { slot, lap, expireAt } = tilePlacement(tiles, row.tile.end);
        const record = encodeTile(tiles, row.tile);
        return { key, tile: [...[slot, lap, record, expireAt].map(String), ...ringArgs(tiles)] };
      }
      const value = row.value === null ? '' : formatValue(def.type, row.value);
      const eventTime = row.eventTime === undefined ? '' : String(Math.trunc(row.eventTime));
      return { key, value, eventTime };
    });
    const masters = this.mastersByAddress();
    const counts = await Promise.all(
      [...this.groupByNode(keyed, (r) => r.key)].flatMap(([address, indexes]) =>
        chunks(indexes, WRITES_PER_SCRIPT).map((chunk) =>
          this.writeOnNode(
            masters.get(address),
            chunk.map((i) => keyed[i]),
          ),
        ),
      ),
    );
    const written = counts.reduce((sum, n) => sum + n, 0);
    // Read after the writes: a slot that moved meanwhile (a redirect refreshed the slot map)
    // names the master that took them.
    const nodes = [...this.groupByNode(keyed, (r) => r.key).keys()];
    return { written, skippedOlder: rows.length - written, nodes };
  }

  /**
   * A master's share of the writes in one WRITE_ON_NODE call; the number written. If the client
   * has no connection to the master, or the master refuses a key it does not serve, one command
   * per write through the cluster client instead, each following its redirect.
   */
  private async writeOnNode(
    node: Redis | undefined,
    items: readonly KeyedWrite[],
  ): Promise<number> {
    if (node) {
      const args: string[] = [];
      for (const r of items) {
        if (r.tile) args.push('t', r.key, ...r.tile);
        else args.push('v', r.key, eventTimeKey(r.key), r.value!, r.eventTime!);
      }
      const written = await node
        .eval(WRITE_ON_NODE, 0, ...args)
        .catch((e: unknown) => (isStaleSlot(e) ? undefined : Promise.reject(e)));
      if (typeof written === 'number') return written;
    }
    const results = await Promise.all(
      items.map((r) =>
        r.tile
          ? this.cluster.writeTile(r.key, ...r.tile)
          : this.cluster.setIfNewer(r.key, eventTimeKey(r.key), r.value!, r.eventTime!),
      ),
    );
    return results.filter((r) => r === 1).length;
  }

  /** The masters the client is connected to, by "host:port" (groupByNode's names). */
  private mastersByAddress(): Map<string, Redis> {
    return new Map(
      this.cluster
        .nodes('master')
        .map((node) => [`${node.options.host}:${node.options.port}`, node]),
    );
  }

  async read(
    _entity: EntityName,
    entities: readonly (readonly string[])[],
    features: readonly StoredFeature[],
    parent?: Span,
  ): Promise<(FeatureValue | null)[][]> {
    if (features.length === 0) return entities.map(() => []);
    await this.ready();
    return this.reads.add(features, entities.map(entityKeyPart), parent);
  }

  private async readEntities(
    parts: readonly string[],
    features: readonly StoredFeature[],
    parent: Span | undefined,
  ): Promise<(FeatureValue | null)[][]> {
    const now = Date.now();
    const windows = features.map((f) => f.tiles && readWindow(f.tiles, now));
    // One entity's keys share a slot: one round trip. Many entities: one script per node.
    if (parts.length !== 1) return this.readPerNode(parts, features, windows, parent);
    return [await this.readOne(parts[0], features, windows, parent)];
  }

  /**
   * One entity in one round trip to its slot's node: an MGET of its plain values, their event
   * times and its time windows' strings of tiles.
   */
  private async readOne(
    part: string,
    features: readonly StoredFeature[],
    windows: readonly (WindowBounds | undefined)[],
    parent: Span | undefined,
  ): Promise<(FeatureValue | null)[]> {
    const n = features.length;
    const plain = features.flatMap((f, j) => (windows[j] ? [] : [j]));
    const tiled = features.flatMap((f, j) => (windows[j] ? [j] : []));
    const keyOf = (j: number) => featureKeyPrefix(features[j].name) + part;
    const keys = plain.map(keyOf);
    const mget = [...keys, ...keys.map(eventTimeKey), ...tiled.map(keyOf)];
    // To the slot's master through the cluster client, or to one replica.
    const roundTrip = (client: Cluster | Redis) => client.mget(...mget);
    const describe = (node?: string) => () => ({
      commands: ['mget'],
      node: node ?? this.cluster.slots[calculateSlot(part)]?.[0],
    });
    let replies: (string | null)[];
    try {
      replies = await commandSpans(parent, describe(), () => roundTrip(this.cluster));
    } catch (e) {
      // The master does not answer (killed, cut off; until the cluster has failed over): the
      // read is answered by a replica of the slot, if one answers.
      const replica = isOnlineStoreUnavailable(e) ? this.replicaOf(part) : undefined;
      if (!replica) throw e;
      replies = await commandSpans(parent, describe(replica.key), () => roundTrip(replica.node));
    }
    // The layout READ_ENTITIES answers in: n values, then n event times.
    const flat: (string | null)[] = new Array<string | null>(2 * n).fill('');
    plain.forEach((j, p) => {
      flat[j] = replies[p];
      flat[n + j] = replies[plain.length + p];
    });
    tiled.forEach((j, t) => (flat[j] = replies[2 * plain.length + t]));
    return toValues(flat, 0, features, windows);
  }

  /**
   * A replica of the slot of `part` (its key part) that the client knows, for reads while the
   * slot's master does not answer. ioredis keeps a connection per replica of the slot map in
   * READONLY mode (made when first used), so the replica answers reads of its master's slots
   * instead of redirecting them; its values may be behind its master's by the replication lag.
   */
  private replicaOf(part: string): { key: string; node: Redis } | undefined {
    const [, ...replicas] = this.cluster.slots[calculateSlot(part)] ?? [];
    const known = new Map(
      this.cluster.nodes('slave').map((n) => [`${n.options.host}:${n.options.port}`, n]),
    );
    for (const key of replicas) {
      const node = known.get(key);
      if (node && node.status !== 'end') return { key, node };
    }
    return undefined;
  }

  async checkHealth(): Promise<void> {
    await this.ready();
    const info = (await this.cluster.cluster('INFO')) as string;
    if (!/cluster_state:ok/.test(info)) throw new Error('Redis Cluster state is not ok');
    // Every slot range must be readable: its master answers, or while it does not (until the
    // cluster has failed over) a replica that reads are then sent to (readOne). ioredis forgets
    // a node that dropped, so the slot map, not the client's node list, says which there must be.
    const slots = await this.cluster.cluster('SLOTS');
    const known = new Map(
      this.cluster.nodes('all').map((n) => [`${n.options.host}:${n.options.port}`, n]),
    );
    const answers = async ([host, port]: readonly [string, number, ...unknown[]]) => {
      const node = known.get(`${host}:${port}`);
      if (!node) throw new Error('is not connected');
      await node.ping();
    };
    await Promise.all(
      slots.map(async ([from, to, master, ...replicas]) => {
        try {
          await answers(master);
        } catch (e) {
          for (const replica of replicas) {
            if (
              await answers(replica).then(
                () => true,
                () => false,
              )
            )
              return;
          }
          const [host, port] = master;
          throw new Error(`master ${host}:${port} (slots ${from}-${to}): ${(e as Error).message}`);
        }
      }),
    );
  }

  /**
   * Packs every time-window key of these features still stored as a hash (format 0, before
   * 2026-12) into its format-1 string, and returns how many it packed. A reader's MGET answers
   * nil for a hash, so such a window would read as absent until its entity's next event; the
   * writer runs this when it starts. One pass over each master's hashes (SCAN … TYPE hash), not
   * one per feature, each page's keys packed together. Idempotent.
   */
  async packFormat0Windows(features: readonly FeatureDefinition[]): Promise<number> {
    await this.ready();
    // g and S of each window's feature, by its keys' prefix (a feature name has no ':').
    const ringOf = new Map<string, [string, string]>();
    for (const def of features) {
      if (def.tiles) ringOf.set(featureKeyPrefix(def.name), ringArgs(def.tiles));
    }
    if (ringOf.size === 0) return 0;
    let packed = 0;
    for (const node of this.cluster.nodes('master')) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'COUNT', 1000, 'TYPE', 'hash');
        cursor = next;
        const done = await Promise.all(
          keys.map((key) => {
            const ring = ringOf.get(key.slice(0, key.indexOf(':') + 1));
            return ring ? this.cluster.packWindowHash(key, ...ring) : 0;
          }),
        );
        packed += done.reduce((sum, n) => sum + n, 0);
      } while (cursor !== '0');
    }
    return packed;
  }

  async close(): Promise<void> {
    this.cluster.disconnect();
    // ioredis 5.11: a slot refresh still in flight when disconnect() runs schedules the next
    // round of slotsRefreshInterval when it ends, and that timer then repeats forever, keeping
    // the process alive (seen: a CI jest run that never exited, its one live handle this timer).
    // A callback queued on that refresh runs after the reschedule; disconnecting again there
    // clears it. refreshSlotsCache is public but undocumented: drop this when ioredis checks its
    // status before rescheduling (resetNodesRefreshInterval's nextRound).
    await new Promise<void>((resolve) =>
      this.cluster.refreshSlotsCache(() => {
        this.cluster.disconnect();
        resolve();
      }),
    );
  }

  private async ready(): Promise<void> {
    if (this.cluster.status === 'ready') return;
    if (this.cluster.status === 'wait') await this.cluster.connect();
    else
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('Redis Cluster is not reachable')), 3000);
        this.cluster.once('ready', () => (clearTimeout(timer), resolve()));
      });
  }

  /** Item indexes grouped by the cluster node that owns each item's slot ("host:port"). */
  private groupByNode<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number[]> {
    const groups = new Map<string, number[]>();
    items.forEach((item, i) => {
      const node = this.cluster.slots[calculateSlot(keyOf(item))]?.[0] ?? 'unknown';
      const group = groups.get(node);
      if (group) group.push(i);
      else groups.set(node, [i]);
    });
    return groups;
  }

  /**
   * Many entities: one round trip per node, each a single script that reads every entity the
   * node owns (an MGET per entity; MGET cannot span slots, the script may). Per-command cost on
   * both sides is what limits large batches, so this is several times cheaper than one MGET per
   * entity over the network. If the slot map is stale (a slot moved), that node's part falls
   * back to one MGET per entity, each following its redirect.
   */
  private async readPerNode(
    parts: readonly string[],
    features: readonly StoredFeature[],
    windows: readonly (WindowBounds | undefined)[],
    parent: Span | undefined,
  ): Promise<(FeatureValue | null)[][]> {
    const n = features.length;
    const out: (FeatureValue | null)[][] = new Array(parts.length);
    const nodes = this.mastersByAddress();
    const prefixes = features.map((f) => featureKeyPrefix(f.name));
    const plain = features.flatMap((f, j) => (windows[j] ? [] : [j]));
    const tiled = features.flatMap((f, j) => (windows[j] ? [j] : []));
    const np = plain.length;
    // A script holds its node while it runs: each reads at most ENTITIES_PER_SCRIPT entities,
    // and a node's larger share goes as several scripts on its connection, whose answers the
    // server can start on while the node runs the next.
    const scripts = [...this.groupByNode(parts, (part) => part)].flatMap(([nodeKey, indexes]) =>
      chunks(indexes, ENTITIES_PER_SCRIPT).map((chunk) => [nodeKey, chunk] as const),
    );
    await Promise.all(
      scripts.map(async ([nodeKey, indexes]) => {
        const node = nodes.get(nodeKey);
        let reply: unknown;
        if (node) {
          reply = await commandSpans(
            parent,
            () => ({ commands: ['eval'], node: nodeKey }),
            () =>
              node.eval(
                READ_ENTITIES,
                0,
                np,
                tiled.length,
                EVENT_TIME_KEY_SUFFIX,
                ...plain.map((j) => prefixes[j]),
                ...tiled.map((j) => prefixes[j]),
                ...indexes.map((i) => parts[i]),
              ),
          ).catch(() => undefined);
        }
        const strings = reply as (string | null)[] | undefined;
        const values = typeof strings?.[0] === 'string' ? strings[0].split(',') : undefined;
        // A value with a comma in it breaks the format; the MGETs below still read it.
        if (
          strings?.length === 1 + tiled.length * indexes.length &&
          (np === 0 || values?.length === 2 * np * indexes.length)
        ) {
          const flat = new Array<string | null>(2 * n).fill('');
          indexes.forEach((i, k) => {
            for (let p = 0; p < np; p++) {
              flat[plain[p]] = values![2 * np * k + p];
              flat[n + plain[p]] = values![2 * np * k + np + p];
            }
            for (let t = 0; t < tiled.length; t++) {
              flat[tiled[t]] = strings[1 + tiled.length * k + t];
            }
            out[i] = toValues(flat, 0, features, windows);
          });
          return;
        }
        await Promise.all(
          indexes.map(
            async (i) => (out[i] = await this.readOne(parts[i], features, windows, parent)),
          ),
        );
      }),
    );
    return out;
  }
}

/**
 * One entity's n values from a flat reply at `at`: n values, then their n event times; a
 * missing key is null (or empty, in READ_ENTITIES' answer).
 */
function toValues(
  reply: readonly (string | null)[],
  at: number,
  features: readonly StoredFeature[],
  windows: readonly (WindowBounds | undefined)[],
): (FeatureValue | null)[] {
  const n = features.length;
  const row = new Array<FeatureValue | null>(n);
  for (let j = 0; j < n; j++) {
    const v = reply[at + j];
    const window = windows[j];
    if (v === null || v === '') row[j] = null;
    else if (window) row[j] = mergeTiles(features[j], v, window);
    else row[j] = { value: Number(v), eventTime: Number(reply[at + n + j] ?? 0) };
  }
  return row;
}

/**
 * Whether a node refused a script for a key it does not serve (the client's slot map is stale:
 * a slot moved), or is not serving at all: the writes go again one by one, following redirects.
 */
function isStaleSlot(e: unknown): boolean {
  return /non local key|MOVED|ASK|CLUSTERDOWN|TRYAGAIN/.test(String((e as Error)?.message ?? e));
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
