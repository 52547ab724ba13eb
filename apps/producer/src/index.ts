// First: kafkajs must load its producer after the grouping patch is in place.
import './kafkajs-patch';
export { ProducerError } from './errors';
export {
  GENERATOR_DEFAULTS,
  MALFORMED_KINDS,
  expectedReason,
  generate,
  type GenerateOptions,
  type GenerateSummary,
  type MalformedKind,
} from './generator/generator';
export type { IngestSummary } from './ingest.service';
export type { DeadLetter } from './record-decoder';
export { formatSummary, produce, type ProduceOptions } from './produce.command';
