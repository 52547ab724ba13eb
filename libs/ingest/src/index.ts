/**
 * Producing raw events to Kafka (files, folders, standard input): the producer service
 * (apps/producer) and `fstore produce` run this same code.
 */
export { ProducerError } from './errors';
export type { FileProgress, IngestSummary } from './ingest.service';
export type { DeadLetter } from './record-decoder';
export { formatSummary, produce, type ProduceOptions } from './produce.command';
export { COMPRESSIONS, platformaticConnection } from './kafka.repository';
