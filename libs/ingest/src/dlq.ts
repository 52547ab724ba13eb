/**
 * Reading the dead-letter topic back and replaying it after a fix (`fstore dlq`,
 * docs/dead-letter-format.md). An entry of its own, not in the lib's index: it logs in as the
 * admin Kafka user, which the producer service (that imports the index) must never hold.
 */
export {
  DLQ_REPLAY_GROUP,
  listDeadLetters,
  replayDeadLetters,
  ReplayError,
  type DeadLetterListing,
  type ReplayCounts,
  type ReplaySummary,
} from './dead-letter-replay';
export { KafkaDeadLetters } from './dead-letter.repository';
export {
  dlqList,
  dlqReplay,
  formatReplayCounts,
  type DlqListOptions,
  type DlqReplayOptions,
} from './dlq.command';
