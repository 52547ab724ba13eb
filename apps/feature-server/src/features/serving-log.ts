import { Kafka, logLevel, Producer } from 'kafkajs';
import { FstoreConfig, kafkaClientConfig } from '@fstore/config';
import { ENTITIES, EntityName, FeatureDefinition, TOPICS } from '@fstore/contracts';
import { windowAt } from '@fstore/definitions';
import { FeatureValue } from '@fstore/online-store';

/**
 * One served value as the serving log records it (a JSON message of the topic
 * `fstore.serving-log`; spark-jobs/consistency.py reads the same fields, docs/consistency.md).
 */
export interface ServedRecord {
  feature: string;
  entity: EntityName;
  /** The entity's key columns and values, e.g. `{customer_id: "c1"}`. */
  keys: Record<string, string>;
  /** The value served, null when the key was absent. */
  value: number | null;
  /** The served value's event time (epoch ms), null when absent. */
  event_time_ms: number | null;
  /** When the server read it (epoch ms). */
  read_time_ms: number;
  /**
   * The time the value stands for: the end of a time window's read (the served window's end, or
   * the window a read at read_time_ms covers when no tile was there), else the read time.
   */
  as_of_ms: number;
}

/** Where batches of records go (Kafka in the server, a list in unit tests). */
export interface ServingLogSink {
  send(messages: { key: string; value: string }[]): Promise<void>;
  close(): Promise<void>;
}

export interface ServingLogCounters {
  /** Records handed to the sink successfully. */
  logged(n: number): void;
  /** Records lost: the sink failed or the buffer was full. */
  dropped(n: number): void;
}

export interface ServingLogOptions {
  /** How often the buffer is sent (ms). */
  flushMs?: number;
  /** Records per send. */
  maxBatch?: number;
  /** Records held at most while sends are slow or failing; more are dropped (and counted). */
  maxBuffered?: number;
  random?: () => number;
}

/**
 * A sample of what the feature server served, sent to Kafka off the request path: `record`
 * only draws the sample and appends to a buffer; a timer sends the buffer in batches, one send
 * at a time. A failing send drops its records and counts them (fstore_serving_log_dropped_total);
 * it never fails or delays a read. At a rate of 0 nothing is created (no producer, no timer) and
 * `record` returns at its first check.
 */
export class ServingLog {
  private buffer: { key: string; value: string }[] = [];
  private timer?: NodeJS.Timeout;
  private sending?: Promise<void>;
  private sink?: ServingLogSink;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly maxBuffered: number;
  private readonly random: () => number;

  constructor(
    readonly rate: number,
    private readonly sinkFactory: () => ServingLogSink,
    private readonly counters: ServingLogCounters,
    options: ServingLogOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 200;
    this.maxBatch = options.maxBatch ?? 500;
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.random = options.random ?? Math.random;
  }

  get enabled(): boolean {
    return this.rate > 0;
  }

  /** Samples the values of one read (rows × features, as the online store returned them). */
  record(
    entity: EntityName,
    keyParts: readonly (readonly string[])[],
    features: readonly FeatureDefinition[],
    rows: readonly (readonly (FeatureValue | null)[])[],
    readTime: number,
  ): void {
    if (this.rate <= 0) return;
    const columns = ENTITIES[entity].keyColumns;
    for (let i = 0; i < rows.length; i++) {
      for (let j = 0; j < features.length; j++) {
        if (this.rate < 1 && this.random() >= this.rate) continue;
        if (this.buffer.length >= this.maxBuffered) {
          this.counters.dropped(1);
          continue;
        }
        const keys: Record<string, string> = {};
        columns.forEach((c, k) => (keys[c] = keyParts[i][k]));
        const record = servedRecord(features[j], entity, keys, rows[i][j], readTime);
        this.buffer.push({ key: keyParts[i].join('_'), value: JSON.stringify(record) });
      }
    }
    if (this.buffer.length > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.flushMs);
      this.timer.unref();
    }
  }

  /** Sends what is buffered (one send at a time); resolves when the buffer is empty or dropped. */
  async flush(): Promise<void> {
    while (this.sending) await this.sending;
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.maxBatch);
      this.sending = this.send(batch);
      await this.sending;
      this.sending = undefined;
    }
  }

  private async send(batch: { key: string; value: string }[]): Promise<void> {
    try {
      this.sink ??= this.sinkFactory();
      await this.sink.send(batch);
      this.counters.logged(batch.length);
    } catch {
      this.counters.dropped(batch.length);
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    await this.sink?.close().catch(() => undefined);
  }
}

/** The record of one served value (absent: value and event time null). */
export function servedRecord(
  feature: FeatureDefinition,
  entity: EntityName,
  keys: Record<string, string>,
  value: FeatureValue | null,
  readTime: number,
): ServedRecord {
  let asOf = readTime;
  if (value?.window) asOf = value.window.end;
  else if (feature.tiles) {
    asOf = windowAt(readTime, feature.tiles.windowMs, feature.tiles.granularityMs).end;
  }
  return {
    feature: feature.name,
    entity,
    keys,
    value: value ? value.value : null,
    event_time_ms: value?.eventTime ?? null,
    read_time_ms: readTime,
    as_of_ms: asOf,
  };
}

/** A kafkajs producer on the serving-log topic, connected on first use (leader acks only). */
export function kafkaServingLogSink(config: FstoreConfig): ServingLogSink {
  const kafka = new Kafka({
    // The feature server's Kafka user: Write on the serving-log topic only (docs/security.md).
    ...kafkaClientConfig(config, 'feature-server'),
    clientId: 'feature-server-serving-log',
    logLevel: logLevel.NOTHING,
  });
  let producer: Producer | undefined;
  let connecting: Promise<void> | undefined;
  return {
    async send(messages) {
      if (!producer) {
        const p = kafka.producer({ allowAutoTopicCreation: false });
        connecting ??= p.connect().then(() => void (producer = p));
        try {
          await connecting;
        } finally {
          connecting = undefined;
        }
      }
      await producer!.send({ topic: TOPICS.servingLog, acks: 1, messages });
    },
    async close() {
      await producer?.disconnect();
    },
  };
}
