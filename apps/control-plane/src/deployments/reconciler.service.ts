import { Inject, Injectable, Logger } from '@nestjs/common';
import { FstoreConfig } from '@fstore/config';
import { DeploymentEntity } from '@fstore/control-store';
import { FlinkRepository } from '../flink/flink.repository';
import { OperationsRepository } from '../operations/operations.repository';
import { OperationsService } from '../operations/operations.service';
import { ControlMetrics } from '../metrics/metrics';
import { CONFIG, DEPLOYMENTS_REPOSITORY, FLINK, OPERATIONS_REPOSITORY } from '../tokens';
import { Principal } from '../auth/api-keys.service';
import { DeploymentsRepository } from './deployments.repository';
import { DeploymentsService } from './deployments.service';

/** What the reconciler asks Flink (FlinkRepository; an in-memory one in unit tests). */
export type FlinkObserver = Pick<FlinkRepository, 'status' | 'restarts'>;

/** Who the reconciler's own operations are audited as. */
export const RECONCILER: Principal = { actor: 'system:reconciler', role: 'operator' };

/**
 * The idempotency key of the recovery of one vanished Flink job: one operation per job, however
 * many passes (or reconcilers) see it vanished.
 */
export const recoverKey = (deploymentId: string, flinkJobId: string) =>
  `recover:${deploymentId}:${flinkJobId}`;

/**
 * Compares what each deployment should be (desired) with what Flink says (observed) and records
 * drift: failed, restarted, vanished, or running/stopped against the wish. Deployments that an
 * operation owns are left to it. A deployment meant to run whose job Flink forgot (a JobManager
 * restarted without high availability) gets a `recover` operation. Also re-queues operations that
 * never reached the queue.
 */
@Injectable()
export class ReconcilerService {
  private readonly logger = new Logger('reconciler');

  constructor(
    @Inject(CONFIG) private readonly config: FstoreConfig,
    @Inject(DEPLOYMENTS_REPOSITORY) private readonly deployments: DeploymentsRepository,
    @Inject(OPERATIONS_REPOSITORY) private readonly operations: OperationsRepository,
    @Inject(FLINK) private readonly flink: FlinkObserver,
    @Inject(OperationsService) private readonly ops: OperationsService,
    @Inject(ControlMetrics) private readonly metrics: ControlMetrics,
    @Inject(DeploymentsService) private readonly deploymentsService: DeploymentsService,
  ) {}

  /** One pass; returns how many deployments it looked at. */
  async reconcile(): Promise<number> {
    const deps = await this.deployments.toObserve();
    for (const dep of deps) {
      try {
        await this.reconcileOne(dep);
      } catch (e) {
        // Flink unreachable: say so, and leave observed_at at the last real observation.
        await this.deployments.updateIfNoOperation(dep.id, {
          drift: `cannot observe: ${(e as Error).message}`,
          driftAt: new Date(),
        });
      }
    }
    await this.sweepOperations();
    this.metrics.reconciled.inc();
    return deps.length;
  }

  private async reconcileOne(dep: DeploymentEntity): Promise<void> {
    const status = await this.flink.status(dep.flinkJobId!);
    const now = new Date();
    let observed = status?.state ?? 'VANISHED';
    let restarts = dep.restarts;
    let drift: string | null = null;
    let recover = false;
    if (!status) {
      drift = `vanished: Flink does not know job ${dep.flinkJobId}`;
      if (dep.desiredState === 'running') {
        const earlier = await this.operations.byIdempotencyKey(recoverKey(dep.id, dep.flinkJobId!));
        // Tried once for this job: a failed recovery is not retried blindly; say why it stays.
        if (earlier?.status === 'failed') drift += `; recover failed: ${earlier.error}`;
        recover = !earlier;
      }
    } else {
      restarts = await this.flink.restarts(dep.flinkJobId!).catch(() => dep.restarts);
      if (dep.desiredState === 'running') {
        if (status.state === 'FAILED' || status.state === 'FAILING') {
          drift = `failed: ${status.failure ?? 'no root cause reported'}`;
        } else if (status.state === 'RESTARTING' || restarts > dep.restarts) {
          drift = `restarted: ${restarts} restart(s)${status.failure ? `; last cause: ${status.failure}` : ''}`;
        } else if (status.state !== 'RUNNING') {
          drift = `not running: Flink reports ${status.state}`;
        }
      } else if (dep.desiredState === 'paused' && status.state === 'RUNNING') {
        drift = 'running although paused';
      }
    }
    if (observed === 'RUNNING' && dep.drift?.startsWith('restarted') && restarts === dep.restarts) {
      drift = dep.drift; // keep the note until someone acts on the deployment
    }
    if (drift) observed = status?.state ?? 'VANISHED';
    const changed = dep.observedState !== observed || dep.drift !== drift;
    // Only if no operation took the deployment in the meantime.
    await this.deployments.updateIfNoOperation(dep.id, {
      observedState: observed,
      observedAt: now,
      restarts,
      ...(drift !== dep.drift ? { drift, driftAt: drift ? now : null } : {}),
    });
    if (dep.desiredState === 'running') {
      this.metrics.deploymentRunning.set(
        { deployment: dep.id },
        observed === 'RUNNING' && !drift ? 1 : 0,
      );
    } else {
      this.metrics.deploymentRunning.remove({ deployment: dep.id });
    }
    if (changed) {
      this.logger.log({ msg: 'observed', deployment: dep.id, observed, drift });
    }
    // After the observation is recorded: the operation then owns the deployment.
    if (recover) await this.queueRecover(dep);
  }

  private async queueRecover(dep: DeploymentEntity): Promise<void> {
    const key = recoverKey(dep.id, dep.flinkJobId!);
    try {
      const { operation, created } = await this.deploymentsService.transition(
        dep.id,
        'recover',
        RECONCILER,
        key,
      );
      if (created) {
        this.logger.warn({
          msg: 'recovering a vanished job',
          deployment: dep.id,
          flink_job_id: dep.flinkJobId,
          operation_id: operation.id,
        });
      }
    } catch (e) {
      // An operator's operation took the deployment in the meantime: it decides.
      this.logger.warn({
        msg: 'could not queue the recovery of a vanished job',
        deployment: dep.id,
        error: (e as Error).message,
      });
    }
  }

  /** Operations queued in PostgreSQL that Redis lost or never got (crash between the two). */
  private async sweepOperations(): Promise<void> {
    const stale = await this.operations.unfinishedSince(new Date(Date.now() - 60000), 50);
    for (const op of stale) {
      if (!(await this.ops.isQueued(op.id))) {
        this.logger.warn({ msg: 're-queueing operation missing from the queue', id: op.id });
        await this.ops.enqueue(op.id);
      }
    }
  }

  observationAgeLimitSeconds(): number {
    return this.config.control.reconcileSeconds * 3;
  }
}
