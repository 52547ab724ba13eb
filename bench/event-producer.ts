/**
 * The producer of the benchmarks' generated load (bench:freshness, bench:soak): keyed JSON events
 * into one topic, idempotent, acks=all, each `send` resolving once the broker has them.
 *
 * It is @platformatic/kafka's client, the one `fstore produce` uses (libs/ingest), so that the
 * load is sent the way fstore sends events. Against kafkajs's producer it cost the bench process
 * ~0.03 cores less at 5,000 events/s and the broker as much more (docs/benchmarks.md, "The bench's
 * own producer"). Partitions are Kafka's Java client's (murmur2 of the key), as kafkajs chose them.
 */
import type { Producer } from '@platformatic/kafka';
import { FstoreConfig, kafkaClientConfig, KafkaUser } from '@fstore/config';
import { platformaticConnection } from '@fstore/ingest';

/** Records per produce request: a slice behind schedule (a slow send) stays well under 1 MB. */
const MAX_SEND = 1000;

export interface KeyedMessage {
  key: string;
  value: string;
}

export class EventProducer {
  private constructor(private readonly producer: Producer<string, string, string, string>) {}

  /** Connects as `user` (the bench's Kafka login); fails when no broker answers (10 retries). */
  static async connect(
    config: FstoreConfig,
    user: KafkaUser,
    clientId: string,
  ): Promise<EventProducer> {
    // An ES module: loaded when needed, as in libs/ingest.
    const { Producer, stringSerializers, compatibilityPartitioner } =
      await import('@platformatic/kafka');
    const { brokers, sasl } = kafkaClientConfig(config, user);
    const producer = new Producer({
      clientId,
      ...platformaticConnection(brokers, sasl),
      timeout: 30000,
      retries: 10,
      idempotent: true,
      autocreateTopics: false,
      partitioner: compatibilityPartitioner,
      serializers: stringSerializers,
    });
    // A broker that does not answer fails the bench here, not in its first round.
    await producer.metadata({ topics: [] });
    return new EventProducer(producer);
  }

  async send(topic: string, messages: KeyedMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += MAX_SEND) {
      const slice = messages.slice(i, i + MAX_SEND).map((m) => ({ ...m, topic }));
      await this.producer.send({ messages: slice });
    }
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
