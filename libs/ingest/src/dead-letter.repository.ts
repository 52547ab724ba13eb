import { Admin, Consumer, Kafka, logLevel, Producer, TopicMessages } from 'kafkajs';
import { KafkaSasl } from '@fstore/config';
import {
  DeadLetterKafka,
  DlqRecord,
  PartitionRange,
  ReplayError,
  ReplayRecord,
} from './dead-letter-replay';
import { RETRY_BACKOFF } from './kafka.repository';

export interface DeadLetterKafkaOptions {
  brokers: string[];
  /** Its login: kafkaClientConfig(config, 'fstore-admin') for `fstore dlq`. */
  sasl?: KafkaSasl;
  /** A read that receives nothing for this long while letters remain fails (ms). */
  idleTimeoutMs?: number;
}

/** DeadLetterKafka on kafkajs: an admin client, an idempotent producer, a consumer per read. */
export class KafkaDeadLetters implements DeadLetterKafka {
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly producer: Producer;
  /** The consumer of the read in progress (commits go through it). */
  private consumer: Consumer | undefined;

  constructor(private readonly opts: DeadLetterKafkaOptions) {
    this.kafka = new Kafka({
      clientId: 'fstore-dlq',
      brokers: opts.brokers,
      sasl: opts.sasl,
      retry: { ...RETRY_BACKOFF, retries: 8 },
      logLevel: logLevel.ERROR,
    });
    this.admin = this.kafka.admin();
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
  }

  async connect(): Promise<void> {
    await this.admin.connect();
    await this.producer.connect();
  }

  async disconnect(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer.disconnect();
    await this.admin.disconnect();
  }

  async partitionCount(topic: string): Promise<number> {
    const meta = await this.admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0].partitions.length;
  }

  async ranges(topic: string, group: string): Promise<PartitionRange[]> {
    const ends = await this.admin.fetchTopicOffsets(topic);
    const [committed] = await this.admin.fetchOffsets({ groupId: group, topics: [topic] });
    const at = new Map(committed.partitions.map((p) => [p.partition, BigInt(p.offset)]));
    return ends
      .map((e) => {
        const low = BigInt(e.low);
        const c = at.get(e.partition) ?? -1n;
        // None committed, or committed before what retention kept: from the earliest there is.
        const start = c < low ? low : c;
        return { partition: e.partition, start: start.toString(), end: e.high };
      })
      .sort((a, b) => a.partition - b.partition);
  }

  async groupHasMembers(group: string): Promise<boolean> {
    const { groups } = await this.admin.describeGroups([group]);
    return groups.some((g) => g.members.length > 0);
  }

  async read(
    topic: string,
    group: string,
    ranges: PartitionRange[],
    onBatch: (records: DlqRecord[]) => Promise<void>,
  ): Promise<void> {
    const end = new Map(ranges.map((r) => [r.partition, BigInt(r.end)]));
    const remaining = new Set(
      ranges.filter((r) => BigInt(r.start) < BigInt(r.end)).map((r) => r.partition),
    );
    if (remaining.size === 0) return;
    const consumer = this.kafka.consumer({ groupId: group, allowAutoTopicCreation: false });
    this.consumer = consumer;
    const idleMs = this.opts.idleTimeoutMs ?? 60_000;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        let settled = false;
        const finish = (e?: unknown) => {
          if (settled) return;
          settled = true;
          clearInterval(watch);
          if (e) reject(e);
          else resolve();
        };
        let lastProgress = Date.now();
        const watch = setInterval(() => {
          if (Date.now() - lastProgress > idleMs) {
            finish(
              new ReplayError(
                `nothing read from ${topic} for ${Math.round(idleMs / 1000)} s with partitions ` +
                  `${[...remaining].join(', ')} not read to their end`,
              ),
            );
          }
        }, 1000);
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              if (settled || !remaining.has(batch.partition)) return;
              lastProgress = Date.now();
              const stop = end.get(batch.partition)!;
              const records = batch.messages
                .filter((m) => BigInt(m.offset) < stop)
                .map((m) => ({
                  partition: batch.partition,
                  offset: m.offset,
                  timestamp: m.timestamp,
                  value: m.value,
                }));
              try {
                if (records.length > 0) await onBatch(records);
              } catch (e) {
                finish(e);
                return;
              }
              const last = batch.messages[batch.messages.length - 1];
              if (last && BigInt(last.offset) + 1n >= stop) {
                remaining.delete(batch.partition);
                consumer.pause([{ topic, partitions: [batch.partition] }]);
                if (remaining.size === 0) finish();
              }
            },
          })
          .catch(finish);
      });
    } finally {
      this.consumer = undefined;
      await consumer.disconnect();
    }
  }

  async send(records: ReplayRecord[]): Promise<void> {
    const byTopic = new Map<string, TopicMessages>();
    for (const r of records) {
      let t = byTopic.get(r.topic);
      if (!t) byTopic.set(r.topic, (t = { topic: r.topic, messages: [] }));
      t.messages.push({ partition: r.partition, key: r.key, value: r.value });
    }
    await this.producer.sendBatch({ topicMessages: [...byTopic.values()], acks: -1 });
  }

  async commit(
    topic: string,
    group: string,
    offsets: { partition: number; offset: string }[],
  ): Promise<void> {
    if (!this.consumer) throw new ReplayError(`no read in progress to commit ${group}'s offsets`);
    await this.consumer.commitOffsets(offsets.map((o) => ({ topic, ...o })));
  }
}
