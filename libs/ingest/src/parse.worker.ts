/**
 * The parsing half of the producer in a worker thread: reads a file from an offset, validates and
 * batches its records (buildBatches) and hands batches to the main thread, which only talks to
 * Kafka. At most a few batches run ahead (the main thread grants credits).
 */
import { createReadStream } from 'fs';
import { parentPort, workerData } from 'worker_threads';
import { GENERATED_LAYOUT, SEED_LAYOUT } from '@fstore/events';
import { buildBatches } from './batcher';
import { readLines } from './line-reader';
import { RecordDecoder } from './record-decoder';
import type { ParseJob, WorkerReply } from './parse-worker.client';

const job = workerData as ParseJob;
const port = parentPort!;
let credits = job.credits;
let wake: (() => void) | undefined;
port.on('message', (m: 'credit') => {
  if (m === 'credit') {
    credits++;
    wake?.();
  }
});
const send = (reply: WorkerReply) => port.postMessage(reply);

async function run(): Promise<void> {
  const layout =
    job.format === 'csv' ? (job.hasEventId ? GENERATED_LAYOUT : SEED_LAYOUT) : undefined;
  const decoder = new RecordDecoder(job.format, job.sourceName, layout);
  const stream = createReadStream(job.file, { start: job.offset, highWaterMark: 1 << 20 });
  for await (const batch of buildBatches(
    readLines(stream, job.firstLine, job.offset),
    decoder,
    job,
  )) {
    while (credits === 0) await new Promise<void>((r) => (wake = r));
    credits--;
    send({ type: 'batch', batch });
  }
  send({ type: 'end' });
}

run().catch((e: unknown) =>
  send({ type: 'error', message: e instanceof Error ? e.message : String(e) }),
);
