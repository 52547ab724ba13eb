import { Job, Queue, Worker } from 'bullmq';
import IORedis, { RedisOptions } from 'ioredis';
import { FstoreConfig, redisQueueCredentials } from '@fstore/config';
import { traceContextCarrier } from '@fstore/observability';

export interface OperationJobData {
  operationId: string;
  /**
   * The trace context of the request that queued the operation (W3C `traceparent`, …): the
   * worker's span of the operation is its child. Absent when nothing was traced.
   */
  trace?: Record<string, string>;
}

/**
 * The operations queue (BullMQ on the plain queue Redis). The BullMQ job id is the operation id,
 * so adding an operation twice queues it once.
 */
export class QueueRepository {
  private readonly queue: Queue<OperationJobData>;
  private readonly connection: IORedis;
  private readonly workers: Worker<OperationJobData>[] = [];
  /** BullMQ closes only the connections it made itself; these are ours to close. */
  private readonly workerConnections: IORedis[] = [];

  constructor(private readonly config: FstoreConfig) {
    this.connection = new IORedis(this.redisOptions());
    this.queue = new Queue<OperationJobData>(config.control.queue, {
      connection: this.connection,
    });
  }

  private redisOptions(): RedisOptions {
    return {
      host: this.config.redis.queueHost,
      port: this.config.redis.queuePort,
      ...redisQueueCredentials(this.config, 'control-plane'),
      maxRetriesPerRequest: null,
    };
  }

  async enqueue(operationId: string): Promise<void> {
    const trace = traceContextCarrier();
    await this.queue.add(
      'operation',
      Object.keys(trace).length > 0 ? { operationId, trace } : { operationId },
      {
        jobId: operationId,
        attempts: this.config.control.operationAttempts,
        backoff: { type: 'exponential', delay: 2000 },
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
  }

  /** Whether BullMQ holds the operation (waiting, delayed, active, or kept after finishing). */
  async has(operationId: string): Promise<boolean> {
    return (await this.queue.getJob(operationId)) !== undefined;
  }

  /**
   * Starts a worker. A worker that dies holding a job loses its lock after `lockSeconds`; the
   * next worker's stalled-job check moves the job back to the queue and runs it again.
   */
  startWorker(
    process: (job: Job<OperationJobData>) => Promise<void>,
    onError: (e: Error) => void,
  ): Worker<OperationJobData> {
    const lockMs = this.config.control.lockSeconds * 1000;
    const connection = new IORedis(this.redisOptions());
    this.workerConnections.push(connection);
    const worker = new Worker<OperationJobData>(this.config.control.queue, process, {
      connection,
      concurrency: this.config.control.workerConcurrency,
      lockDuration: lockMs,
      stalledInterval: Math.max(1000, Math.floor(lockMs / 2)),
      maxStalledCount: 5,
    });
    worker.on('error', onError);
    this.workers.push(worker);
    return worker;
  }

  async ping(): Promise<void> {
    await this.connection.ping();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await this.queue.close();
    for (const c of [this.connection, ...this.workerConnections]) c.disconnect();
  }
}
