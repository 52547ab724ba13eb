import { OutgoingMessage } from './kafka.repository';
import { Line, isBlank } from './line-reader';
import { RecordDecoder } from './record-decoder';

/**
 * Largest record batch (one partition's share of a request) we build, in bytes of keys and
 * values: below the broker's default message.max.bytes (1 MiB) even without compression.
 */
export const MAX_PARTITION_BYTES = 900 * 1024;

/** One produce request's worth of records (plain data: it crosses worker_threads). */
export interface Batch {
  main: OutgoingMessage[];
  dlq: OutgoingMessage[];
  /** Records read (= main + dlq). */
  read: number;
  /** Bytes of message values on the main topic. */
  bytes: number;
  /** Last line consumed (blank lines included) and the byte offset after it. */
  lastLine: number;
  endOffset: number;
  /** Dead letters by field/rule. */
  rules: Record<string, { field: string; rule: string; n: number }>;
}

export interface BatchSpec {
  batchSize: number;
  partitions: number;
  dlqPartitions: number;
}

/**
 * Kafka's murmur2 (the Java client's Utils.murmur2) over a key's UTF-8 bytes, with Math.imul:
 * the same partition as the Java client and kafkajs's DefaultPartitioner, several times cheaper.
 */
export function murmur2(key: string): number {
  let bytes: Buffer | string = key;
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) > 127) {
      bytes = Buffer.from(key, 'utf8');
      break;
    }
  }
  const at =
    typeof bytes === 'string'
      ? (i: number) => (bytes as string).charCodeAt(i)
      : (i: number) => (bytes as Buffer)[i];
  const length = bytes.length;
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = at(i) | (at(i + 1) << 8) | (at(i + 2) << 16) | (at(i + 3) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= at(whole + 2) << 16;
  if (rest >= 2) h ^= at(whole + 1) << 8;
  if (rest >= 1) h = Math.imul(h ^ at(whole), m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}

/** The partition of a key among `partitions`, as the Java client (and kafkajs) choose it. */
export function keyPartitioner(partitions: number): (key: string) => number {
  return (key) => (murmur2(key) & 0x7fffffff) % partitions;
}

const newBatch = (): Batch => ({
  main: [],
  dlq: [],
  read: 0,
  bytes: 0,
  lastLine: 0,
  endOffset: 0,
  rules: {},
});

/** Decodes lines into batches: at most batchSize records and MAX_PARTITION_BYTES a partition. */
export async function* buildBatches(
  lines: AsyncIterable<Line[]>,
  decoder: RecordDecoder,
  spec: BatchSpec,
): AsyncGenerator<Batch> {
  const partitionOf = keyPartitioner(spec.partitions);
  let batch = newBatch();
  let partitionBytes = new Array<number>(spec.partitions).fill(0);
  for await (const chunk of lines) {
    for (const line of chunk) {
      if (isBlank(line)) {
        // A blank line is not a record; it only moves the checkpoint.
        batch.lastLine = line.no;
        batch.endOffset = line.end;
        continue;
      }
      const out = decoder.decode(line);
      const partition = out.ok ? partitionOf(out.key) : line.no % spec.dlqPartitions;
      const size = out.value.length + (out.ok ? out.key.length : 0);
      if (out.ok && partitionBytes[partition] + size > MAX_PARTITION_BYTES) {
        yield batch;
        batch = newBatch();
        partitionBytes = partitionBytes.fill(0);
      }
      batch.read++;
      batch.lastLine = line.no;
      batch.endOffset = line.end;
      if (out.ok) {
        batch.main.push({ key: out.key, value: out.value, partition });
        partitionBytes[partition] += size;
        batch.bytes += out.value.length;
      } else {
        batch.dlq.push({ value: out.value, headers: out.headers, partition });
        const k = `${out.reason.field}/${out.reason.rule}`;
        const r = (batch.rules[k] ??= { field: out.reason.field, rule: out.reason.rule, n: 0 });
        r.n++;
      }
      if (batch.read >= spec.batchSize) {
        yield batch;
        batch = newBatch();
        partitionBytes = partitionBytes.fill(0);
      }
    }
  }
  if (batch.read > 0 || batch.lastLine > 0) yield batch;
}
