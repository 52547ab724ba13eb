import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { FstoreConfig } from '@fstore/config';
import { inSpan } from '@fstore/observability';
import { ReconcilerService } from '../deployments/reconciler.service';
import { ControlMetrics } from '../metrics/metrics';
import { QueueRepository } from '../queue/queue.repository';
import { OperationExecutor } from './operation-executor';
import { CONFIG, PROCESS_ROLES, QUEUE } from '../tokens';

/** What this process does besides (or instead of) answering HTTP. */
export interface ProcessRoles {
  /** Executes queued operations. */
  worker: boolean;
  /** Runs the reconciler every FSTORE_CONTROL_RECONCILE_SECONDS. */
  reconciler: boolean;
}

@Injectable()
export class WorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('worker');
  private timer?: NodeJS.Timeout;
  private reconciling?: Promise<unknown>;

  constructor(
    @Inject(CONFIG) private readonly config: FstoreConfig,
    @Inject(PROCESS_ROLES) private readonly roles: ProcessRoles,
    @Inject(QUEUE) private readonly queue: QueueRepository,
    @Inject(OperationExecutor) private readonly executor: OperationExecutor,
    @Inject(ReconcilerService) private readonly reconciler: ReconcilerService,
    @Inject(ControlMetrics) private readonly metrics: ControlMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (this.roles.worker) {
      const worker = this.queue.startWorker(
        async (job) => {
          const attempt = job.attemptsMade + 1;
          const max = job.opts.attempts ?? 1;
          const { operationId, trace } = job.data;
          // A child of the request that queued it: its Flink and Livy calls join that trace.
          await inSpan(
            'operation',
            { 'fstore.operation.id': operationId, 'fstore.operation.attempt': attempt },
            trace,
            () => this.executor.execute(operationId, attempt, max),
          );
        },
        (e) => this.logger.error({ msg: 'queue error', error: e.message }),
      );
      worker.on('completed', () => this.metrics.operations.inc({ kind: 'any', outcome: 'done' }));
      worker.on('failed', (job, e) =>
        this.logger.warn({ msg: 'attempt failed', id: job?.id, error: e.message }),
      );
      this.logger.log({ msg: 'worker started', queue: this.config.control.queue });
    }
    if (this.roles.reconciler) {
      const every = this.config.control.reconcileSeconds * 1000;
      this.timer = setInterval(() => {
        if (this.reconciling) return;
        this.reconciling = inSpan('reconcile', {}, undefined, () => this.reconciler.reconcile())
          .catch((e: Error) => this.logger.error({ msg: 'reconcile failed', error: e.message }))
          .finally(() => (this.reconciling = undefined));
      }, every);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.reconciling;
    await this.queue.close();
  }
}
