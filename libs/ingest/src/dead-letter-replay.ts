import { isUtf8 } from 'buffer';
import {
  FEATURE_TOPIC_PREFIX,
  parseDeadLetter,
  type DeadLetter,
  type DeadLetterService,
  type ProducerDeadLetter,
} from '@fstore/contracts';
import { GENERATED_LAYOUT, SEED_LAYOUT } from '@fstore/events';
import { keyPartitioner } from './batcher';
import { RecordDecoder } from './record-decoder';

/**
 * `fstore dlq list|replay`: reading the dead-letter topic back, and running its letters again
 * after a fix (docs/dead-letter-format.md, "Replay"). The Kafka edges are behind DeadLetterKafka
 * (kafkajs in dead-letter.repository.ts); what happens to each letter is decided here.
 */

/** The consumer group of `fstore dlq replay`: its committed offsets are where the next run starts. */
export const DLQ_REPLAY_GROUP = 'fstore-dlq-replay';

/** One message of the dead-letter topic. */
export interface DlqRecord {
  partition: number;
  offset: string;
  /** Kafka's timestamp, epoch ms as a string (kafkajs). */
  timestamp: string;
  value: Buffer | null;
}

/** A record to send again: to the main topic (a producer letter) or to its changelog (a writer's). */
export interface ReplayRecord {
  topic: string;
  partition: number;
  key: Buffer | string | null;
  value: Buffer | string | null;
}

/** The part of a partition a run reads: from `start` (inclusive) to `end` (exclusive). */
export interface PartitionRange {
  partition: number;
  start: string;
  end: string;
}

/** Kafka, as the replay and the listing need it. */
export interface DeadLetterKafka {
  /** Partitions of a topic (the main topic's, to partition a replayed event as the producer does). */
  partitionCount(topic: string): Promise<number>;
  /** Each partition from the group's committed offset (none: the earliest) to its end offset now. */
  ranges(topic: string, group: string): Promise<PartitionRange[]>;
  /** True when the group has members now (another run). */
  groupHasMembers(group: string): Promise<boolean>;
  /**
   * Calls `onBatch` with the records of `ranges` (each partition in offset order, one batch at a
   * time), and resolves once every range was read to its end. `group`: the consumer group to read
   * in (its offsets are only moved by `commit`).
   */
  read(
    topic: string,
    group: string,
    ranges: PartitionRange[],
    onBatch: (records: DlqRecord[]) => Promise<void>,
  ): Promise<void>;
  /** Sends and resolves when every broker acknowledged (acks=all). */
  send(records: ReplayRecord[]): Promise<void>;
  /** Commits the group's next offset of each partition. */
  commit(
    topic: string,
    group: string,
    offsets: { partition: number; offset: string }[],
  ): Promise<void>;
}

export interface ReplayFilter {
  service?: DeadLetterService;
  rule?: string;
}

/** What happens to one letter. */
export type ReplayDecision =
  | { outcome: 'skipped'; letter: DeadLetter }
  | { outcome: 'unreadable'; error: string }
  | { outcome: 'still_rejected'; letter: ProducerDeadLetter; rule: string; field: string }
  | { outcome: 'replayed'; letter: DeadLetter; record: ReplayRecord };

/** Where letters go: a producer letter's event to the main topic, a writer's to its changelog. */
export interface ReplayTargets {
  mainTopic: string;
  /** The main topic's partition count (the producer's partitioning). */
  mainPartitions: number;
  /**
   * The topics a writer letter may be sent back to, by prefix (the changelogs, `features.`): a
   * letter is data anyone who may write the dead-letter topic wrote, and must not steer the
   * replay's super user into another topic.
   */
  changelogPrefixes: readonly string[];
}

/** Decides one letter's fate (no Kafka): the rules of docs/dead-letter-format.md, "Replay". */
export function decideReplay(
  value: Buffer | null,
  filter: ReplayFilter,
  targets: ReplayTargets,
): ReplayDecision {
  const parsed = parseDeadLetter(value);
  if (!parsed.ok) return { outcome: 'unreadable', error: parsed.error };
  const letter = parsed.letter;
  if (filter.service !== undefined && letter.service !== filter.service) {
    return { outcome: 'skipped', letter };
  }
  if (filter.rule !== undefined && letter.reason.rule !== filter.rule) {
    return { outcome: 'skipped', letter };
  }
  if (letter.service === 'feature-writer') {
    const { topic, partition } = letter.source;
    if (!targets.changelogPrefixes.some((p) => topic.startsWith(p))) {
      const allowed = targets.changelogPrefixes.map((p) => `${p}*`).join(', ');
      return {
        outcome: 'unreadable',
        error: `source.topic: ${topic} is not a changelog (${allowed})`,
      };
    }
    const bytes = (b64: string | null) => (b64 === null ? null : Buffer.from(b64, 'base64'));
    return {
      outcome: 'replayed',
      letter,
      record: {
        topic,
        partition,
        key: bytes(letter.key_base64),
        value: bytes(letter.original_base64),
      },
    };
  }
  const decoded = decodeAgain(letter);
  if (!decoded.ok) {
    return {
      outcome: 'still_rejected',
      letter,
      rule: decoded.reason.rule,
      field: decoded.reason.field,
    };
  }
  return {
    outcome: 'replayed',
    letter,
    record: {
      topic: targets.mainTopic,
      partition: keyPartitioner(targets.mainPartitions)(decoded.key),
      key: decoded.key,
      value: decoded.value,
    },
  };
}

/** The letter's line through the current rules, read as the producer read it. */
function decodeAgain(letter: ProducerDeadLetter) {
  const bytes = Buffer.from(letter.original_base64, 'base64');
  const { format, has_event_id } = letter.input;
  const decoder = new RecordDecoder(
    format,
    letter.source.file,
    format === 'csv' ? (has_event_id ? GENERATED_LAYOUT : SEED_LAYOUT) : undefined,
  );
  const line = { no: letter.source.line, end: 0, truncated: letter.original_truncated };
  return decoder.decode(
    isUtf8(bytes) && !line.truncated ? { ...line, text: bytes.toString() } : { ...line, bytes },
  );
}

export interface ReplayOptions {
  dlqTopic: string;
  mainTopic: string;
  /** Default: the changelogs (`features.`). */
  changelogPrefixes?: readonly string[];
  group?: string;
  filter: ReplayFilter;
  dryRun: boolean;
  /** Called after each batch with the counts so far (progress). */
  progress?: (counts: ReplayCounts) => void;
  /** Each unreadable letter, as it is met. */
  onUnreadable?: (at: { partition: number; offset: string; error: string }) => void;
}

export interface ReplayCounts {
  read: number;
  replayed: number;
  still_rejected: number;
  skipped: number;
  unreadable: number;
}

export interface ReplaySummary extends ReplayCounts {
  /** `<service>/<rule>` → outcome → count. */
  by_rule: Record<string, Partial<Record<'replayed' | 'still_rejected' | 'skipped', number>>>;
  /** The group's committed offset of each partition after the run (dry run: unchanged). */
  committed: Record<string, string>;
  dry_run: boolean;
}

export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

/**
 * Replays the letters from the group's committed offsets to the end offsets taken at start. Per
 * batch: sends the replays, waits for Kafka's acknowledgement, then commits each partition past
 * the letters handled — up to its first skipped letter, never beyond (so that a filtered run
 * leaves what it skipped for a later one). Dry run: decides and counts only.
 */
export async function replayDeadLetters(
  kafka: DeadLetterKafka,
  opts: ReplayOptions,
): Promise<ReplaySummary> {
  const group = opts.group ?? DLQ_REPLAY_GROUP;
  if (await kafka.groupHasMembers(group)) {
    throw new ReplayError(`another replay is running (consumer group ${group} has members)`);
  }
  const targets: ReplayTargets = {
    mainTopic: opts.mainTopic,
    mainPartitions: await kafka.partitionCount(opts.mainTopic),
    changelogPrefixes: opts.changelogPrefixes ?? [FEATURE_TOPIC_PREFIX],
  };
  const ranges = (await kafka.ranges(opts.dlqTopic, group)).filter(
    (r) => BigInt(r.start) < BigInt(r.end),
  );
  const summary: ReplaySummary = {
    read: 0,
    replayed: 0,
    still_rejected: 0,
    skipped: 0,
    unreadable: 0,
    by_rule: {},
    committed: Object.fromEntries(ranges.map((r) => [String(r.partition), r.start])),
    dry_run: opts.dryRun,
  };
  const end = new Map(ranges.map((r) => [r.partition, BigInt(r.end)]));
  /** Partitions whose commit stopped at a skipped letter. */
  const held = new Set<number>();
  if (ranges.length === 0) return summary;
  await kafka.read(opts.dlqTopic, group, ranges, async (records) => {
    const sends: ReplayRecord[] = [];
    const commits = new Map<number, string>();
    for (const r of records) {
      if (BigInt(r.offset) >= end.get(r.partition)!) continue; // arrived after the start
      summary.read++;
      const d = decideReplay(r.value, opts.filter, targets);
      if (d.outcome === 'unreadable') {
        summary.unreadable++;
        opts.onUnreadable?.({ partition: r.partition, offset: r.offset, error: d.error });
      } else {
        summary[d.outcome]++;
      }
      if (d.outcome !== 'unreadable') countRule(summary, d.letter, d.outcome);
      if (d.outcome === 'skipped') {
        held.add(r.partition);
        continue;
      }
      if (d.outcome === 'replayed') sends.push(d.record);
      if (!held.has(r.partition)) commits.set(r.partition, (BigInt(r.offset) + 1n).toString());
    }
    if (!opts.dryRun) {
      if (sends.length > 0) await kafka.send(sends);
      if (commits.size > 0) {
        const offsets = [...commits].map(([partition, offset]) => ({ partition, offset }));
        await kafka.commit(opts.dlqTopic, group, offsets);
        for (const o of offsets) summary.committed[String(o.partition)] = o.offset;
      }
    }
    opts.progress?.(summary);
  });
  return summary;
}

function countRule(
  summary: ReplaySummary,
  letter: DeadLetter,
  outcome: 'replayed' | 'still_rejected' | 'skipped',
) {
  const k = `${letter.service}/${letter.reason.rule}`;
  const row = (summary.by_rule[k] ??= {});
  row[outcome] = (row[outcome] ?? 0) + 1;
}

/** One letter in `fstore dlq list`'s sample. */
export interface LetterSample {
  partition: number;
  offset: string;
  time: string;
  service: DeadLetterService | null;
  rule: string | null;
  field: string | null;
  message: string;
  /** `file:line`, or `topic/partition/offset`. */
  source: string | null;
}

export interface DeadLetterListing {
  total: number;
  /** `<service>/<rule>` → count, most first; unreadable letters under `unreadable`. */
  by_rule: { service: DeadLetterService | 'unreadable'; rule: string; count: number }[];
  /** The newest letters, newest first (by Kafka timestamp, then offset). */
  newest: LetterSample[];
}

/**
 * Reads the whole topic (earliest to the end offsets at start) in a group of its own that never
 * commits, counting the letters by service and rule and keeping the newest `sample`.
 */
export async function listDeadLetters(
  kafka: DeadLetterKafka,
  opts: { dlqTopic: string; group: string; sample: number },
): Promise<DeadLetterListing> {
  const ranges = (await kafka.ranges(opts.dlqTopic, opts.group)).filter(
    (r) => BigInt(r.start) < BigInt(r.end),
  );
  const end = new Map(ranges.map((r) => [r.partition, BigInt(r.end)]));
  const counts = new Map<
    string,
    { service: DeadLetterService | 'unreadable'; rule: string; count: number }
  >();
  let newest: (LetterSample & { ts: number })[] = [];
  let total = 0;
  if (ranges.length > 0) {
    await kafka.read(opts.dlqTopic, opts.group, ranges, async (records) => {
      for (const r of records) {
        if (BigInt(r.offset) >= end.get(r.partition)!) continue;
        total++;
        const parsed = parseDeadLetter(r.value);
        const service = parsed.ok ? parsed.letter.service : 'unreadable';
        const rule = parsed.ok ? parsed.letter.reason.rule : parsed.error;
        const k = `${service}/${rule}`;
        const c = counts.get(k) ?? { service, rule, count: 0 };
        c.count++;
        counts.set(k, c);
        newest.push({
          ...sampleOf(r, parsed.ok ? parsed.letter : null, parsed.ok ? null : parsed.error),
          ts: Number(r.timestamp),
        });
      }
      newest.sort(
        (a, b) =>
          b.ts - a.ts || b.partition - a.partition || Number(BigInt(b.offset) - BigInt(a.offset)),
      );
      newest = newest.slice(0, opts.sample);
    });
  }
  return {
    total,
    by_rule: [...counts.values()].sort(
      (a, b) =>
        b.count - a.count || `${a.service}/${a.rule}`.localeCompare(`${b.service}/${b.rule}`),
    ),
    newest: newest.map(({ ts: _ts, ...s }) => s),
  };
}

function sampleOf(r: DlqRecord, letter: DeadLetter | null, error: string | null): LetterSample {
  const at = {
    partition: r.partition,
    offset: r.offset,
    time: new Date(Number(r.timestamp)).toISOString(),
  };
  if (!letter) {
    return { ...at, service: null, rule: null, field: null, message: error ?? '', source: null };
  }
  return {
    ...at,
    service: letter.service,
    rule: letter.reason.rule,
    field: letter.reason.field,
    message: letter.reason.message,
    source:
      letter.service === 'producer'
        ? `${letter.source.file}:${letter.source.line}`
        : `${letter.source.topic}/${letter.source.partition}/${letter.source.offset}`,
  };
}
