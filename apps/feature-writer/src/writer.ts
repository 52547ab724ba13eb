import {
  Consumer,
  EachBatchPayload,
  Kafka,
  logLevel,
  Producer,
  type TopicPartitionOffset,
} from 'kafkajs';
import { KafkaSasl } from '@fstore/config';
import { inBatchSpan, inClientSpan, kafkaLogCreator, type Logger } from '@fstore/observability';
import {
  deadLetterMessage,
  deadLetterOf,
  FeatureDefinition,
  type WriterDeadLetter,
  type WriterRule,
} from '@fstore/contracts';
import {
  FeatureWrite,
  OnlineStore,
  ReplicaAck,
  ReplicaWait,
  WriteResult,
} from '@fstore/online-store';
import { changelogTopic, decodeChangelog } from './changelog';
import { GroupCommit } from './group-commit';
import { WriterMetrics } from './metrics';

export interface WriterOptions {
  brokers: string[];
  /** Its login (kafkaClientConfig(config, 'feature-writer')); none: a broker without auth. */
  sasl?: KafkaSasl;
  groupId: string;
  /** The features to apply, each from its changelog topic (default: features.<name>). */
  features: readonly FeatureDefinition[];
  topicOf?: (feature: FeatureDefinition) => string;
  deadLetterTopic: string;
  /** How long Redis may fail before the writer reports itself unready (it keeps retrying). */
  retryForMs: number;
  /**
   * Replicas of each master that took a batch's writes to wait for (WAIT) before its offsets are
   * committed, and for how long (FSTORE_WRITER_WAIT_REPLICAS, …_TIMEOUT_MS); 0 replicas: no wait.
   */
  replicaWait: ReplicaWait;
  log: Logger;
}

/**
 * Each topic partition's newest offset of `offsets` (handed over in order): while one commit is in
 * flight, several batches of a partition can be waiting for the next.
 */
export function newestPerPartition(offsets: TopicPartitionOffset[]): TopicPartitionOffset[] {
  const newest = new Map<string, TopicPartitionOffset>();
  for (const o of offsets) {
    const key = `${o.topic}\u0000${o.partition}`;
    const seen = newest.get(key);
    if (!seen || BigInt(o.offset) > BigInt(seen.offset)) newest.set(key, o);
  }
  return [...newest.values()];
}

/** Changelog partitions the writer applies at the same time. */
const PARTITIONS_IN_PARALLEL = 16;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A warning about replicas falling short at most this often (with the count since the last). */
const SHORTFALL_LOG_EVERY_MS = 30_000;

/**
 * The masters of one batch whose WAIT answered fewer replicas than `wanted` within its timeout:
 * their share of the batch is on the master only, and a failover before the replicas catch up
 * would lose it. None when waiting is off (`wanted` 0).
 */
export function replicaShortfalls(acks: readonly ReplicaAck[], wanted: number): ReplicaAck[] {
  return wanted > 0 ? acks.filter((a) => a.acknowledged < wanted) : [];
}

/**
 * The stream-cache writer: applies the Flink jobs' changelogs to Redis Cluster. Per batch it
 * keeps the last record of each key (changelog order), writes them in one pipeline per node, and
 * commits the Kafka offsets only after Redis acknowledged: each master that took writes, and
 * (WAIT) `replicaWait.replicas` of its replicas, so that a failover does not lose what was
 * committed. A replica that does not confirm in time is counted and warned about, and the offsets
 * are committed anyway: a replica down must not stop the writer. Redis applies a value only if it
 * is not older (by event time) than the stored one, so replays after a crash change nothing.
 */
export class FeatureWriter {
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly byTopic: Map<string, FeatureDefinition>;
  /** Per feature, the newest event time written (epoch ms): the gauge never moves back. */
  private readonly newestEventTime = new Map<string, number>();
  /** When the current run of failed Redis writes began (undefined: writes work). */
  private failingSince: number | undefined;
  /** When replicas falling short were last logged, and how many shortfalls since. */
  private shortfallLoggedAt: number | undefined;
  private shortfallsUnlogged = 0;
  /** Set by stop(): a batch then waits for its offset commit, before the group is left. */
  private stopping = false;
  /** The batches' Redis writes and offset commits, each group of them in one call. */
  private readonly redisWrites = new GroupCommit<FeatureWrite[], void>((groups) =>
    this.writeGroup(groups),
  );
  /**
   * The offset commits, each group of them in one call, off the batch's path: a batch is done once
   * Redis (and the replicas' WAIT) took it, and the next fetch does not wait for the commit's round
   * trip to the group coordinator. Commits stay in order (one call in flight), each partition's
   * newest offset per call.
   */
  private readonly offsetCommits = new GroupCommit<TopicPartitionOffset, void>((offsets) =>
    this.consumer.commitOffsets(newestPerPartition(offsets)),
  );

  constructor(
    private readonly opts: WriterOptions,
    private readonly store: OnlineStore,
    private readonly metrics: WriterMetrics,
  ) {
    this.kafka = new Kafka({
      clientId: 'fstore-feature-writer',
      brokers: opts.brokers,
      sasl: opts.sasl,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(opts.log),
    });
    this.consumer = this.kafka.consumer({ groupId: opts.groupId, allowAutoTopicCreation: false });
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const topicOf = opts.topicOf ?? changelogTopic;
    this.byTopic = new Map(opts.features.map((f) => [topicOf(f), f]));
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.byTopic.keys()], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // One changelog per feature: handled one batch at a time, a fetch of nine features waited
      // for nine Redis writes and nine offset commits in a row (bench:freshness at 2,000 events/s:
      // p50 2.8 s → 1.0 s with this). Each partition still sees its batches in order.
      partitionsConsumedConcurrently: PARTITIONS_IN_PARALLEL,
      eachBatch: (payload) =>
        inBatchSpan(
          {
            topic: payload.batch.topic,
            partition: payload.batch.partition,
            messages: payload.batch.messages.length,
          },
          () => this.applyBatch(payload),
        ),
    });
    this.opts.log.info('feature writer started', {
      topics: [...this.byTopic.keys()],
      group: this.opts.groupId,
    });
  }

  async stop(): Promise<void> {
    // What was written is committed before the group is left: the commits handed over so far,
    // and (stopping) those of the batches still in flight, which then wait for theirs.
    this.stopping = true;
    await this.offsetCommits.idle();
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }

  private async applyBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    if (batch.messages.length === 0) return;
    const feature = this.byTopic.get(batch.topic)!;
    const t0 = Date.now();
    this.metrics.recordsIn.inc({ feature: feature.name }, batch.messages.length);
    // Where the writer's share of the delay goes: waiting to be fetched (this) or applying
    // (batchLatency). kafkajs fetches again only once every batch of the last fetch is applied.
    const oldest = Number(batch.messages[0].timestamp);
    if (Number.isFinite(oldest)) this.metrics.batchWait.observe(Math.max(0, t0 - oldest) / 1000);
    const latest = new Map<string, FeatureWrite>();
    const rejected: WriterDeadLetter[] = [];
    for (const m of batch.messages) {
      const decoded = decodeChangelog(feature, m.key, m.value);
      if (decoded.ok) {
        latest.delete(decoded.identity); // keep changelog order: the last record of a key wins
        latest.set(decoded.identity, decoded.write);
      } else {
        rejected.push(
          this.deadLetter(batch.topic, batch.partition, m, decoded.rule, decoded.message),
        );
      }
    }
    const writes = [...latest.values()];
    const applied = await this.writeWithRetry(writes, heartbeat, () => isRunning() && !isStale());
    if (applied === 'stopped') return; // not committed: the next owner of the partition replays
    if (rejected.length > 0) await this.sendDeadLetters(rejected, feature);
    const last = batch.messages[batch.messages.length - 1].offset;
    const committed = this.commitAfter({
      topic: batch.topic,
      partition: batch.partition,
      offset: (BigInt(last) + 1n).toString(),
    });
    if (this.stopping) await committed;
    resolveOffset(last); // the next fetch starts after this batch
    this.metrics.lag.set(
      { topic: batch.topic, partition: batch.partition },
      Number(batch.offsetLag()),
    );
    this.metrics.batchLatency.observe((Date.now() - t0) / 1000);
    const now = Date.now();
    let newest = this.newestEventTime.get(feature.name) ?? -Infinity;
    for (const w of writes) {
      const eventTime = 'tile' in w ? w.tile.eventTime : w.eventTime;
      if (eventTime === undefined) continue;
      this.metrics.eventAge.observe({ feature: feature.name }, (now - eventTime) / 1000);
      newest = Math.max(newest, eventTime);
    }
    if (newest > (this.newestEventTime.get(feature.name) ?? -Infinity)) {
      this.newestEventTime.set(feature.name, newest);
      this.metrics.newestEventTime.set({ feature: feature.name }, newest / 1000);
    }
  }

  /**
   * Hands a written batch's offset to the commits without waiting for it. A commit that fails (the
   * partition was taken away in a rebalance, the coordinator moved) is counted and logged, not
   * retried: the next batch's commit carries the partition further, and what an uncommitted offset
   * costs is a replay of records Redis already holds, which the set-if-not-older rule skips.
   */
  private commitAfter(offset: TopicPartitionOffset): Promise<void> {
    return this.offsetCommits.submit(offset).catch((e: unknown) => {
      this.metrics.commitErrors.inc();
      this.opts.log.warn('offset commit failed; the next commit carries the partition further', {
        topic: offset.topic,
        partition: offset.partition,
        offset: offset.offset,
        error: (e as Error).message,
      });
    });
  }

  /** Resolves once the offsets handed over so far are committed, or their commit failed. */
  commitsSettled(): Promise<void> {
    return this.offsetCommits.idle();
  }

  /**
   * Writes until Redis takes the batch or the partition is taken away. A Redis failure is
   * transient by nature (the values were checked when decoded), so it is never dead-lettered:
   * the writer holds the batch, which pauses consumption (lag grows, the metrics and readiness
   * say so), and retries with backoff until Redis is back. Past `retryForMs` of failing it
   * reports itself unready and logs an error; it goes on retrying.
   */
  private async writeWithRetry(
    writes: FeatureWrite[],
    heartbeat: () => Promise<void>,
    running: () => boolean,
  ): Promise<'written' | 'stopped'> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.redisWrites.submit(writes);
        if (this.failingSince !== undefined) {
          this.opts.log.info('redis writes work again', {
            failed_for_s: Math.round((Date.now() - this.failingSince) / 1000),
          });
        }
        this.failingSince = undefined;
        this.metrics.redisAvailable.set(1);
        return 'written';
      } catch (e) {
        const error = (e as Error).message;
        this.metrics.writeErrors.inc();
        this.metrics.redisAvailable.set(0);
        this.failingSince ??= Date.now();
        if (!running()) return 'stopped';
        const backoff = Math.min(100 * 2 ** attempt, 5000);
        // One line when it starts failing, then one about every 30 s.
        if (attempt === 0 || attempt % 6 === 0) {
          const failing = Date.now() - this.failingSince;
          this.opts.log.warn(
            failing > this.opts.retryForMs
              ? 'redis unavailable, holding the batch'
              : 'redis write failed, retrying',
            { error, attempt, backoff_ms: backoff, failing_for_s: Math.round(failing / 1000) },
          );
        }
        await sleep(backoff);
        await heartbeat();
      }
    }
  }

  /**
   * One Redis write of the batches' writes handed over together (GroupCommit), and the replicas'
   * WAIT. A failure fails every batch of the group, and each retries on its own.
   */
  private async writeGroup(groups: FeatureWrite[][]): Promise<void> {
    const writes = groups.flat();
    const wait = this.opts.replicaWait;
    const result: WriteResult = await inClientSpan(
      'redis write',
      {
        'db.system.name': 'redis',
        'fstore.writes': writes.length,
        'fstore.batches': groups.length,
      },
      async () => {
        if (wait.replicas === 0) return this.store.write(writes);
        // A failed WAIT (the master did not answer) fails the attempt: the batches are written
        // again, which the set-if-not-older rule makes harmless.
        const durable = await this.store.writeAndWait(writes, wait);
        this.noteReplicaAcks(durable.acks);
        return durable;
      },
    );
    this.metrics.written.inc(result.written);
    this.metrics.skippedOlder.inc(result.skippedOlder);
  }

  /**
   * Counts each master whose replicas fell short, per master, and warns: at the first, then about
   * every SHORTFALL_LOG_EVERY_MS while they go on, with how many there were since.
   */
  private noteReplicaAcks(acks: readonly ReplicaAck[]): void {
    const short = replicaShortfalls(acks, this.opts.replicaWait.replicas);
    if (short.length === 0) return;
    for (const a of short) this.metrics.replicaWaitShortfall.inc({ node: a.node });
    this.shortfallsUnlogged += short.length;
    const now = Date.now();
    if (
      this.shortfallLoggedAt !== undefined &&
      now - this.shortfallLoggedAt < SHORTFALL_LOG_EVERY_MS
    ) {
      return;
    }
    this.opts.log.warn('replicas did not confirm the writes in time; offsets committed anyway', {
      level: 'warn',
      wanted: this.opts.replicaWait.replicas,
      timeout_ms: this.opts.replicaWait.timeoutMs,
      masters: short.map((a) => ({ node: a.node, acknowledged: a.acknowledged })),
      shortfalls: this.shortfallsUnlogged,
    });
    this.shortfallLoggedAt = now;
    this.shortfallsUnlogged = 0;
  }

  /** Ready while Redis takes writes, or has failed for less than `retryForMs`. */
  health(): { ready: boolean; detail: string } {
    if (this.failingSince === undefined) return { ready: true, detail: 'ok' };
    const failing = Date.now() - this.failingSince;
    const detail = `redis writes failing for ${Math.round(failing / 1000)} s; consumption paused`;
    return { ready: failing <= this.opts.retryForMs, detail };
  }

  private deadLetter(
    topic: string,
    partition: number,
    m: { key: Buffer | null; value: Buffer | null; offset: string },
    rule: WriterRule,
    message: string,
  ): WriterDeadLetter {
    return deadLetterOf({
      service: 'feature-writer',
      rule,
      message,
      topic,
      partition,
      offset: m.offset,
      key: m.key,
      value: m.value,
    });
  }

  private async sendDeadLetters(
    letters: WriterDeadLetter[],
    feature: FeatureDefinition,
  ): Promise<void> {
    await this.producer.send({
      topic: this.opts.deadLetterTopic,
      messages: letters.map(deadLetterMessage),
    });
    this.metrics.deadLettered.inc({ feature: feature.name }, letters.length);
    this.opts.log.warn('records dead-lettered', {
      count: letters.length,
      rule: letters[0].reason.rule,
    });
  }
}
