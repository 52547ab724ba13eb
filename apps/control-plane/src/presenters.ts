import { FstoreConfig } from '@fstore/config';
import {
  AuditEntryEntity,
  BatchRunEntity,
  DeploymentEntity,
  JobEntity,
  JobVersionEntity,
  OperationEntity,
} from '@fstore/control-store';
import { Accepted } from './operations/operations.service';
import { jobSummary } from './runs/job-output';
import {
  AcceptedDto,
  AuditEntryDto,
  DeploymentDto,
  JobDto,
  JobVersionDto,
  OperationDto,
  RunDto,
} from './responses.dto';

/** The API's JSON shapes (snake_case), from the rows. */

export const presentJob = (j: JobEntity): JobDto => ({
  name: j.name,
  kind: j.kind,
  description: j.description,
  created_by: j.createdBy,
  created_at: j.createdAt,
});

export const presentVersion = (v: JobVersionEntity, withContent = false): JobVersionDto => ({
  job: v.jobName,
  version: v.version,
  source: v.source,
  sha256: v.sha256,
  parameters: v.parameters,
  created_by: v.createdBy,
  created_at: v.createdAt,
  ...(withContent ? { content: v.content } : {}),
});

/**
 * observed_at says when Flink last confirmed the observed state; `stale` is true when that is
 * older than three reconciler intervals, so an old observation never passes for a current one.
 */
export const presentDeployment = (d: DeploymentEntity, config: FstoreConfig): DeploymentDto => {
  const age = d.observedAt ? (Date.now() - d.observedAt.getTime()) / 1000 : null;
  return {
    id: d.id,
    job: d.jobName,
    version: d.version,
    desired_state: d.desiredState,
    observed_state: d.observedState,
    observed_at: d.observedAt,
    observed_age_seconds: age === null ? null : Math.round(age),
    stale: age === null || age > config.control.reconcileSeconds * 3,
    flink_job_id: d.flinkJobId,
    last_savepoint: d.lastSavepoint,
    started_from: d.startedFrom,
    restarts: d.restarts,
    drift: d.drift,
    drift_at: d.driftAt,
    pending_operation_id: d.pendingOperationId,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
  };
};

export const presentRun = (r: BatchRunEntity, withLog = false): RunDto => ({
  id: r.id,
  job: r.jobName,
  version: r.version,
  args: r.args,
  as_of: r.asOf,
  state: r.state,
  livy_batch_id: r.livyBatchId,
  livy_state: r.livyState,
  error: r.error,
  operation_id: r.operationId,
  created_at: r.createdAt,
  started_at: r.startedAt,
  finished_at: r.finishedAt,
  observed_at: r.observedAt,
  ...(withLog ? { summary: jobSummary(r.logTail)?.value ?? null, log_tail: r.logTail } : {}),
});

export const presentOperation = (o: OperationEntity): OperationDto => ({
  id: o.id,
  kind: o.kind,
  target: o.target,
  status: o.status,
  attempts: o.attempts,
  request: o.request,
  progress: o.progress,
  result: o.result,
  error: o.error,
  actor: o.actor,
  idempotency_key: o.idempotencyKey,
  created_at: o.createdAt,
  updated_at: o.updatedAt,
  finished_at: o.finishedAt,
});

export const presentAccepted = ({ operation, created }: Accepted): AcceptedDto => ({
  operation_id: operation.id,
  status: operation.status,
  target: operation.target,
  created,
});

export const presentAudit = (a: AuditEntryEntity): AuditEntryDto => ({
  id: Number(a.id),
  at: a.at,
  actor: a.actor,
  action: a.action,
  target: a.target,
  outcome: a.outcome,
  detail: a.detail,
});
