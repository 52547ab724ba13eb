import { randomUUID } from 'crypto';
import { kafkaClientConfig, loadConfig } from '@fstore/config';
import { TOPICS, type DeadLetterService } from '@fstore/contracts';
import {
  DLQ_REPLAY_GROUP,
  listDeadLetters,
  replayDeadLetters,
  type DeadLetterListing,
  type ReplayCounts,
  type ReplaySummary,
} from './dead-letter-replay';
import { KafkaDeadLetters } from './dead-letter.repository';

/** `fstore dlq list|replay` (docs/dead-letter-format.md, "Replay"), as the `fstore-admin` user. */

export interface DlqTopicsOptions {
  /** Default: TOPICS.deadLetter. */
  dlqTopic?: string;
}

export interface DlqListOptions extends DlqTopicsOptions {
  /** How many of the newest letters to show (default 10). */
  sample?: number;
}

export interface DlqReplayOptions extends DlqTopicsOptions {
  /** Where producer letters go (default: TOPICS.transactions). */
  topic?: string;
  /** Default: DLQ_REPLAY_GROUP. */
  group?: string;
  service?: DeadLetterService;
  rule?: string;
  dryRun?: boolean;
  /** Topic prefixes a writer letter may be sent back to (default: `features.`). */
  changelogPrefixes?: readonly string[];
  progress?: (counts: ReplayCounts) => void;
  log?: (message: string) => void;
}

async function withKafka<T>(run: (kafka: KafkaDeadLetters) => Promise<T>): Promise<T> {
  const kafka = new KafkaDeadLetters(kafkaClientConfig(loadConfig(), 'fstore-admin'));
  await kafka.connect();
  try {
    return await run(kafka);
  } finally {
    await kafka.disconnect();
  }
}

export function dlqList(opts: DlqListOptions): Promise<DeadLetterListing> {
  return withKafka((kafka) =>
    listDeadLetters(kafka, {
      dlqTopic: opts.dlqTopic ?? TOPICS.deadLetter,
      // A group of its own that never commits: the whole topic, and no other reader disturbed.
      group: `fstore-dlq-list-${randomUUID()}`,
      sample: opts.sample ?? 10,
    }),
  );
}

export function dlqReplay(opts: DlqReplayOptions): Promise<ReplaySummary> {
  return withKafka((kafka) =>
    replayDeadLetters(kafka, {
      dlqTopic: opts.dlqTopic ?? TOPICS.deadLetter,
      mainTopic: opts.topic ?? TOPICS.transactions,
      group: opts.group ?? DLQ_REPLAY_GROUP,
      changelogPrefixes: opts.changelogPrefixes,
      filter: { service: opts.service, rule: opts.rule },
      dryRun: opts.dryRun ?? false,
      progress: opts.progress,
      onUnreadable: (u) =>
        opts.log?.(`unreadable letter at partition ${u.partition} offset ${u.offset}: ${u.error}`),
    }),
  );
}

/** The counts line of a replay. */
export function formatReplayCounts(c: ReplayCounts): string {
  return (
    `read ${c.read}, replayed ${c.replayed}, still rejected ${c.still_rejected}, ` +
    `skipped ${c.skipped}, unreadable ${c.unreadable}`
  );
}
