import { kafkajsGroupingPatched } from './kafkajs-patch';
import {
  Admin,
  CompressionCodecs,
  CompressionTypes,
  Kafka,
  LogEntry,
  logLevel,
  Message,
  Producer,
  TopicMessages,
} from 'kafkajs';
import { KafkaSasl } from '@fstore/config';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { ProducerError } from './errors';
import { kafkaLogCreator, Logger } from '@fstore/observability';

export type Compression = 'none' | 'gzip' | 'lz4';
export const COMPRESSIONS: readonly Compression[] = ['none', 'gzip', 'lz4'];

const CODECS: Record<Compression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  lz4: CompressionTypes.LZ4,
};

// kafkajs has gzip built in; LZ4 (the LZ4 frame format Kafka uses) comes from lz4-napi (native).
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

export type OutgoingMessage = Message;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** kafkajs's backoff: 300 ms, doubling, at most 3 s a wait (each jittered by ±20 %). */
export const RETRY_BACKOFF = {
  initialRetryTime: 300,
  maxRetryTime: 3000,
  multiplier: 2,
  factor: 0.2,
};

/** The number of retries whose waits (RETRY_BACKOFF, without jitter) add up to `budgetMs`. */
export function retriesWithin(budgetMs: number): number {
  let retries = 0;
  let waited = 0;
  let wait = RETRY_BACKOFF.initialRetryTime;
  while (waited < budgetMs) {
    waited += wait;
    wait = Math.min(wait * RETRY_BACKOFF.multiplier, RETRY_BACKOFF.maxRetryTime);
    retries++;
  }
  return Math.max(1, retries);
}

/**
 * The one place that talks to Kafka: `lanes` idempotent kafkajs producers (acks=all, each with one
 * request in flight so that its sequence numbers stay valid), plus an admin client for topics.
 *
 * Two kafkajs clients: `probe` (no retries) only answers "does a broker answer yet?" while
 * connecting, so that an unreachable Kafka is reported after `timeoutMs` with one log line per
 * attempt; the other carries the producers and the admin client, with retries (backoff up to
 * 3 s) worth `timeoutMs`, so that a broker restart is ridden through: kafkajs reconnects,
 * refreshes metadata and resends a failed request with the same producer id and sequence numbers,
 * which the broker deduplicates. Only after `timeoutMs` without success does a send fail.
 */
export class KafkaRepository {
  private constructor(
    private readonly opts: KafkaOptions,
    private readonly producers: Producer[],
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
          const write = kafkaLogCreator(opts.log, /Limiting retries for the idempotent/)();
          return (entry: LogEntry) => (logState.quiet ? undefined : write(entry));
        },
      });
    // Bounded, so that a broker that does not come back ends the run: ~timeoutMs of waiting.
    const retries = retriesWithin(opts.timeoutMs);
    const kafka = client(retries);
    const producers = Array.from({ length: Math.max(1, opts.lanes) }, () =>
      kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        retry: { ...RETRY_BACKOFF, retries },
      }),
    );
    return new KafkaRepository(opts, producers, kafka.admin(), client(0).admin(), logState);
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
        for (const p of this.producers) await p.connect();
        this.logState.quiet = false;
        this.opts.log.info('connected to Kafka', {
          brokers: this.opts.brokers,
          attempt,
          kafkajs_grouping_patched: kafkajsGroupingPatched,
        });
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
    try {
      await this.producers[lane].sendBatch({
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
    await Promise.allSettled([
      ...this.producers.map((p) => p.disconnect()),
      this.admin.disconnect(),
      this.probe.disconnect(),
    ]);
  }
}
