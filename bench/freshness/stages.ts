/**
 * Where an event's freshness goes (issue 21): the sampled events' delay split into stages by the
 * timestamps the benchmark can see. The variant's raw and changelog topics are created with
 * `message.timestamp.type=LogAppendTime`, so every record carries the broker's time of append:
 *
 *   produced (the bench's clock) → raw record appended → changelog record appended → in Redis
 *   |── producer ───────────────|── Flink ─────────────|── writer ─────────────────|
 *
 * - producer: the client's batching and the request (bench/event-producer.ts, acks=all);
 * - Flink: the source's fetch, the job, and the upsert-kafka sink's buffer until it flushes;
 * - writer: the writer's poll, decoding, the Redis write and the bench's 10 ms watch of Redis.
 * The broker runs on this machine, so its clock is the bench's.
 */
import type { Consumer, Kafka } from 'kafkajs';
import { percentile } from './report';

export type Stage = 'producer' | 'flink' | 'writer';

/** The topic configuration that makes each record's timestamp the broker's time of append. */
export const APPEND_TIME = [{ name: 'message.timestamp.type', value: 'LogAppendTime' }];

/** One sampled event: its times in ms since the epoch (undefined: not seen there). */
export interface SampleTimes {
  producedAt: number;
  rawAppendedAt?: number;
  changelogAppendedAt?: number;
  visibleAt?: number;
}

export interface StageLatency {
  p50: number;
  p99: number;
}

/** How many samples were seen at every point, and each stage's latency over them. */
export interface StageReport {
  complete: number;
  stages: Record<Stage, StageLatency>;
}

/**
 * p50 and p99 of each stage over the samples seen at every point (`complete`); a stage that ran
 * backwards by a clock's millisecond counts as 0.
 */
export function stageLatencies(samples: readonly SampleTimes[]): StageReport {
  const complete = samples.filter(
    (s) =>
      s.rawAppendedAt !== undefined &&
      s.changelogAppendedAt !== undefined &&
      s.visibleAt !== undefined,
  ) as Required<SampleTimes>[];
  const of = (f: (s: Required<SampleTimes>) => number): StageLatency => {
    const xs = complete.map((s) => Math.max(0, f(s))).sort((a, b) => a - b);
    return { p50: percentile(xs, 50), p99: percentile(xs, 99) };
  };
  return {
    complete: complete.length,
    stages: {
      producer: of((s) => s.rawAppendedAt - s.producedAt),
      flink: of((s) => s.changelogAppendedAt - s.rawAppendedAt),
      writer: of((s) => s.visibleAt - s.changelogAppendedAt),
    },
  };
}

/** The customer a changelog record is about: its key is the JSON of the key columns. */
function changelogCustomer(key: Buffer | null): string | undefined {
  if (!key) return undefined;
  try {
    const parsed = JSON.parse(key.toString()) as { customer_id?: unknown };
    return typeof parsed.customer_id === 'string' ? parsed.customer_id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the raw topic (keyed by customer_id) and the `last_purchase_amount` changelog from their
 * beginning and keeps each customer's first append time in each: the sampled customers have one
 * event each, so one record in each topic.
 */
export class AppendTimes {
  readonly raw = new Map<string, number>();
  readonly changelog = new Map<string, number>();
  private readonly consumer: Consumer;

  constructor(
    kafka: Kafka,
    readonly groupId: string,
    private readonly rawTopic: string,
    private readonly changelogTopic: string,
  ) {
    this.consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50 });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [this.rawTopic, this.changelogTopic],
      fromBeginning: true,
    });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        const at = Number(message.timestamp);
        if (topic === this.rawTopic) {
          const customer = message.key?.toString();
          if (customer !== undefined && !this.raw.has(customer)) this.raw.set(customer, at);
        } else {
          const customer = changelogCustomer(message.key);
          if (customer !== undefined && !this.changelog.has(customer))
            this.changelog.set(customer, at);
        }
      },
    });
  }

  /** Waits (at most `timeoutMs`) until every customer given has a time in both topics. */
  async waitFor(customers: readonly string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const missing = () => customers.some((c) => !this.raw.has(c) || !this.changelog.has(c));
    while (missing() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}
