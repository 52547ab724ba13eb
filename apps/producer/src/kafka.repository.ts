import {
  Admin,
  CompressionTypes,
  Kafka,
  LogEntry,
  logLevel,
  Message,
  Partitioners,
  Producer,
  TopicMessages,
} from 'kafkajs';
import { ProducerError } from './errors';
import { Logger } from './logger';

export type Compression = 'none' | 'gzip';
export const COMPRESSIONS: readonly Compression[] = ['none', 'gzip'];

const CODECS: Record<Compression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
};

export interface KafkaOptions {
  brokers: string[];
  clientId?: string;
  /** How long to keep trying when no broker answers (connect and each send), ms. */
  timeoutMs: number;
  compression: Compression;
  log: Logger;
}

export type OutgoingMessage = Message;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The one place that talks to Kafka: an idempotent kafkajs producer (acks=all, one request in
 * flight so that sequence numbers stay valid), plus an admin client to check topics.
 */
export class KafkaRepository {
  private constructor(
    private readonly opts: KafkaOptions,
    private readonly producer: Producer,
    private readonly admin: Admin,
    /** kafkajs logs are dropped while connecting (we report the retries ourselves). */
    private readonly logState: { quiet: boolean },
  ) {}

  static create(opts: KafkaOptions): KafkaRepository {
    const logState = { quiet: true };
    const kafka = new Kafka({
      clientId: opts.clientId ?? 'fstore-producer',
      brokers: opts.brokers,
      connectionTimeout: 3000,
      requestTimeout: 30000,
      retry: { retries: 0 },
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log }: LogEntry) => {
          if (logState.quiet || /Limiting retries for the idempotent/.test(log.message)) {
            return;
          }
          const { message, ...rest } = log;
          (level <= logLevel.ERROR ? opts.log.error : opts.log.warn)(`kafkajs: ${message}`, rest);
        },
    });
    // Retries on send are bounded so that a lost broker ends the run: ~timeoutMs in total.
    const retries = Math.max(1, Math.ceil(opts.timeoutMs / 3000));
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries, initialRetryTime: 300, maxRetryTime: 3000 },
    });
    return new KafkaRepository(opts, producer, kafka.admin(), logState);
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
        await this.admin.connect();
        await this.producer.connect();
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

  /** The Java-compatible (murmur2) partition of a key, as kafkajs and the Java client choose it. */
  async partitioner(topic: string): Promise<{ partitions: number; of: (key: string) => number }> {
    const meta = await this.admin.fetchTopicMetadata({ topics: [topic] });
    const partitionMetadata = meta.topics[0].partitions;
    const choose = Partitioners.DefaultPartitioner();
    return {
      partitions: partitionMetadata.length,
      of: (key: string) => choose({ topic, partitionMetadata, message: { key, value: null } }),
    };
  }

  /** One produce request per broker for all partitions of all topics; resolves when acked. */
  async send(topicMessages: TopicMessages[]): Promise<void> {
    try {
      await this.producer.sendBatch({
        topicMessages,
        acks: -1,
        compression: CODECS[this.opts.compression],
      });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      throw new ProducerError(`sending to Kafka at ${this.brokers} failed: ${message}`);
    }
  }

  async disconnect(): Promise<void> {
    this.logState.quiet = true;
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }
}
