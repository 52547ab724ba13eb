import { extname, join } from 'path';
import { Worker } from 'worker_threads';
import { PROJECT_ROOT } from '@fstore/config';
import { Batch, BatchSpec } from './batcher';
import { ProducerError } from './errors';
import { InputFormat } from './record-decoder';

export interface ParseJob extends BatchSpec {
  file: string;
  offset: number;
  firstLine: number;
  format: InputFormat;
  sourceName: string;
  hasEventId: boolean;
  /** Batches the worker may run ahead of the main thread. */
  credits: number;
}

export type WorkerReply =
  { type: 'batch'; batch: Batch } | { type: 'end' } | { type: 'error'; message: string };

/** Starts parse.worker (through bin/register when running from TypeScript sources, like bin/fstore.js). */
function startWorker(job: ParseJob): Worker {
  const ext = extname(__filename);
  const script = join(__dirname, `parse.worker${ext}`);
  if (ext !== '.ts') return new Worker(script, { workerData: job });
  const register = join(PROJECT_ROOT, 'bin', 'register.js');
  const code = `require(${JSON.stringify(register)}); require(${JSON.stringify(script)});`;
  return new Worker(code, { eval: true, workerData: job });
}

/** Batches of a file, parsed in a worker thread; stopping the iteration stops the worker. */
export async function* batchesFromWorker(job: ParseJob): AsyncGenerator<Batch> {
  const worker = startWorker(job);
  const queue: WorkerReply[] = [];
  let wake: (() => void) | undefined;
  const push = (r: WorkerReply) => {
    queue.push(r);
    wake?.();
  };
  worker.on('message', push);
  worker.on('error', (e) => push({ type: 'error', message: e.message }));
  worker.on('exit', (code) => push({ type: 'error', message: `parse worker exited (${code})` }));
  try {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      const reply = queue.shift()!;
      if (reply.type === 'end') return;
      if (reply.type === 'error') throw new ProducerError(`parsing ${job.file}: ${reply.message}`);
      worker.postMessage('credit');
      yield reply.batch;
    }
  } finally {
    worker.removeAllListeners();
    await worker.terminate();
  }
}
