import { Admin, CompressionCodecs, CompressionTypes, Kafka, LogEntry, logLevel } from 'kafkajs';
import type { MessageToProduce, Producer } from '@platformatic/kafka';
import { KafkaSasl } from '@fstore/config';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { ProducerError } from './errors';
import { kafkaLogCreator, Logger } from '@fstore/observability';

export type Compression = 'none' | 'gzip' | 'lz4';
export const COMPRESSIONS: readonly Compression[] = ['none', 'gzip', 'lz4'];

// The dead-letter tools read what the producer wrote with kafkajs, which has gzip built in; LZ4
// (the LZ4 frame format Kafka uses) comes from lz4-napi (native).
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  compress: (encoder: { buffer: Buffer }) => compressFrame(encoder.buffer),
  decompress: (buffer: Buffer) => decompressFrame(buffer),
});

export interface KafkaOptions {
  brokers: string[];
  /** Its login (kafkaClientConfig(config, 'producer')); none: a broker without auth. */
  sasl?: KafkaSasl;
  clientId?: string;
  /** How long to keep trying when no broker answers (connect and each send), ms. */
  timeoutMs: number;
  compression: Compression;
  /**
   * Idempotent producers working side by side; partition p is always sent by lane p % lanes,
   * so each partition keeps one producer, one sequence and its order, while requests overlap.
   */
  lanes: number;
  log: Logger;
}

/** A record for one topic; `partition` is always set (batcher.ts picks it as Kafka's Java client would). */
export interface OutgoingMessage {
  /** Set by KafkaRepository.send, in place: the client takes each record with its topic. */
  topic?: string;
  key?: string;
  value: string;
  partition: number;
  headers?: Record<string, string>;
}

export interface TopicMessages {
  topic: string;
  messages: OutgoingMessage[];
}

type StringProducer = Producer<string, string, string, string>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** kafkajs's backoff: 300 ms, doubling, at most 3 s a wait (each jittered by ±20 %). */
export const RETRY_BACKOFF = {
  initialRetryTime: 300,
  maxRetryTime: 3000,
  multiplier: 2,
  factor: 0.2,
};

/** The wait before retry `attempt` (1, 2, …) by RETRY_BACKOFF, without jitter. */
export function backoffMs(attempt: number): number {
  return Math.min(
    RETRY_BACKOFF.initialRetryTime * RETRY_BACKOFF.multiplier ** (attempt - 1),
    RETRY_BACKOFF.maxRetryTime,
  );
}

/** The number of retries whose waits (RETRY_BACKOFF, without jitter) add up to `budgetMs`. */
export function retriesWithin(budgetMs: number): number {
  let retries = 0;
  for (let waited = 0; waited < budgetMs;) waited += backoffMs(++retries);
  return Math.max(1, retries);
}

/** The innermost messages of an error of @platformatic/kafka (it nests one error per broker and try). */
export function errorText(e: unknown): string {
  const leaves: string[] = [];
  const walk = (x: unknown, depth: number) => {
    const nested = (x as { errors?: unknown[] })?.errors;
    if (Array.isArray(nested) && nested.length && depth < 5) {
      for (const n of nested) walk(n, depth + 1);
    } else leaves.push(x instanceof Error ? x.message : String(x));
  };
  walk(e, 0);
  const unique = [...new Set(leaves)];
  const top = e instanceof Error ? e.message : String(e);
  return unique.length === 1 && unique[0] === top ? top : `${top} (${unique.join('; ')})`;
}

/**
 * How a @platformatic/kafka client reaches the brokers: with a login (kafkaClientConfig's, in
 * kafkajs's shape) over SASL/SCRAM-SHA-512, as every fstore Kafka user.
 */
export function platformaticConnection(brokers: string[], sasl: KafkaSasl | undefined) {
  return {
    bootstrapBrokers: brokers,
    ...(sasl
      ? {
          sasl: {
            mechanism: 'SCRAM-SHA-512' as const,
            username: sasl.username,
            password: sasl.password,
          },
        }
      : {}),
    connectTimeout: 3000,
  };
}

/**
 * The one place that talks to Kafka: `lanes` idempotent producers (acks=all, each with one
 * request in flight so that its sequence numbers stay valid), plus an admin client for topics.
 *
 * The producers are @platformatic/kafka's, not kafkajs's: on this machine (bench:produce, docs/
 * ingestion.md) they send the same records at about half kafkajs's CPU per record, which is what
 * bounds `fstore produce` on two cores shared with the broker. They retry (backoff up to 3 s)
 * for about `timeoutMs`, so that a broker restart is ridden through: the client reconnects and
 * resends the failed request with the same producer id and sequence numbers, which the broker
 * deduplicates. Only after `timeoutMs` without success does a send fail.
 *
 * Topics are kafkajs's, as everywhere else in fstore: `probe` (no retries) only answers "does a
 * broker answer yet?" while connecting, so that an unreachable Kafka is reported after
 * `timeoutMs` with one log line per attempt; `admin` lists topics and partitions.
 */
export class KafkaRepository {
  private producers: StringProducer[] = [];

  private constructor(
    private readonly opts: KafkaOptions,
    private readonly admin: Admin,
    private readonly probe: Admin,
    /** kafkajs logs are dropped while connecting (we report the retries ourselves). */
    private readonly logState: { quiet: boolean },
  ) {}

  static create(opts: KafkaOptions): KafkaRepository {
    const logState = { quiet: true };
    const client = (retries: number) =>
      new Kafka({
        clientId: opts.clientId ?? 'fstore-producer',
        brokers: opts.brokers,
        sasl: opts.sasl,
        connectionTimeout: 3000,
        requestTimeout: 30000,
        retry: { ...RETRY_BACKOFF, retries },
        logLevel: logLevel.WARN,
        logCreator: () => {
          const write = kafkaLogCreator(opts.log)();
          return (entry: LogEntry) => (logState.quiet ? undefined : write(entry));
        },
      });
    const admin = client(retriesWithin(opts.timeoutMs)).admin();
    return new KafkaRepository(opts, admin, client(0).admin(), logState);
  }

  /** The producers, made once a broker answers (the client is an ES module: loaded then). */
  private async createProducers(): Promise<void> {
    if (this.producers.length) return;
    const { Producer, stringSerializers } = await import('@platformatic/kafka');
    const { brokers, sasl, timeoutMs, compression, lanes, log } = this.opts;
    // Bounded, so that a broker that does not come back ends the run: ~timeoutMs of waiting.
    const retries = retriesWithin(timeoutMs);
    const retryDelay = (_: unknown, operation: string, attempt: number, _n: number, e: Error) => {
      const jitter = 1 + RETRY_BACKOFF.factor * (2 * Math.random() - 1);
      const jittered = Math.round(backoffMs(attempt) * jitter);
      log.warn('Kafka request failed, retrying', {
        brokers,
        operation,
        attempt,
        retries,
        wait_ms: jittered,
        error: errorText(e),
      });
      return jittered;
    };
    this.producers = Array.from(
      { length: Math.max(1, lanes) },
      () =>
        new Producer({
          clientId: this.opts.clientId ?? 'fstore-producer',
          ...platformaticConnection(brokers, sasl),
          timeout: 30000,
          retries,
          retryDelay,
          idempotent: true,
          autocreateTopics: false,
          ...(compression === 'none' ? {} : { compression }),
          serializers: stringSerializers,
        }),
    );
  }

  get brokers(): string {
    return this.opts.brokers.join(', ');
  }

  /** Connects, retrying until opts.timeoutMs has passed; then fails naming the brokers. */
  async connect(): Promise<void> {
    const started = Date.now();
    const deadline = started + this.opts.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.probe.connect();
        await this.probe.disconnect();
        // A broker answers: these connect at once (with retries, should it go away meanwhile).
        await this.admin.connect();
        await this.createProducers();
        this.logState.quiet = false;
        this.opts.log.info('connected to Kafka', { brokers: this.opts.brokers, attempt });
        return;
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (Date.now() >= deadline) {
          await this.disconnect();
          throw new ProducerError(
            `Kafka unreachable: no broker answered at ${this.brokers} within ` +
              `${Math.round(this.opts.timeoutMs / 1000)} s (${attempt} attempts; last error: ${message})`,
          );
        }
        this.opts.log.warn('Kafka not reachable yet, retrying', {
          brokers: this.opts.brokers,
          attempt,
          error: message,
        });
        await sleep(Math.min(1000 * attempt, 5000, Math.max(0, deadline - Date.now())));
      }
    }
  }

  /** Fails clearly when a topic does not exist (the broker does not create topics on demand). */
  async checkTopics(topics: string[]): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length) {
      throw new ProducerError(`topic(s) ${missing.join(', ')} do not exist on ${this.brokers}`);
    }
  }

  async partitionCount(topic: string): Promise<number> {
    const meta = await this.admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0].partitions.length;
  }

  /** One produce request per broker for all partitions of all topics; resolves when acked. */
  get lanes(): number {
    return this.producers.length;
  }

  async send(topicMessages: TopicMessages[], lane = 0): Promise<void> {
    // In place, not copied: a copy per record cost 4 % of the producer's CPU (--cpu-prof).
    for (const { topic, messages } of topicMessages) for (const m of messages) m.topic = topic;
    const messages = (
      topicMessages.length === 1
        ? topicMessages[0].messages
        : topicMessages.flatMap((t) => t.messages)
    ) as MessageToProduce<string, string, string, string>[];
    try {
      await this.producers[lane].send({ messages });
    } catch (e) {
      throw new ProducerError(`sending to Kafka at ${this.brokers} failed: ${errorText(e)}`);
    }
  }

  async disconnect(): Promise<void> {
    this.logState.quiet = true;
    await Promise.allSettled([
      ...this.producers.map((p) => p.close()),
      this.admin.disconnect(),
      this.probe.disconnect(),
    ]);
  }
}
