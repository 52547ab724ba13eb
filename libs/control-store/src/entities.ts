import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/**
 * The control plane's tables (schema in migrations/, never synchronized). Column types are
 * explicit: the sources run transpile-only, where reflected design types are not reliable.
 */

/** A jsonb document (TypeORM's partial-update types need `any` values here). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonObject = Record<string, any>;

export type JobKind = 'flink-sql' | 'pyspark';

/** An applied definition (immutable; a removal is a version with `removed`). */
@Entity({ name: 'feature_versions' })
export class FeatureVersionEntity {
  @PrimaryColumn({ type: 'text' }) name!: string;
  @PrimaryColumn({ type: 'int' }) version!: number;
  @Column({ type: 'text', name: 'compute_hash' }) computeHash!: string;
  @Column({ type: 'text' }) engine!: string;
  @Column({ type: 'text' }) source!: string;
  @Column({ type: 'jsonb' }) definition!: JsonObject;
  @Column({ type: 'boolean' }) removed!: boolean;
  @Column({ type: 'text', name: 'applied_by' }) appliedBy!: string;
  @CreateDateColumn({ type: 'timestamptz', name: 'applied_at' }) appliedAt!: Date;
}

@Entity({ name: 'jobs' })
export class JobEntity {
  @PrimaryColumn({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) kind!: JobKind;
  @Column({ type: 'text' }) description!: string;
  @Column({ type: 'text', name: 'created_by' }) createdBy!: string;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
}

/** Immutable (a trigger refuses UPDATE): what was deployed is what the row says. */
@Entity({ name: 'job_versions' })
@Index(['jobName', 'version'], { unique: true })
export class JobVersionEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ type: 'text', name: 'job_name' }) jobName!: string;
  @Column({ type: 'int' }) version!: number;
  @Column({ type: 'text' }) source!: string;
  @Column({ type: 'text' }) content!: string;
  @Column({ type: 'text' }) sha256!: string;
  @Column({ type: 'jsonb' }) parameters!: Record<string, string>;
  @Column({ type: 'text', name: 'created_by' }) createdBy!: string;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
}

export type DesiredState = 'running' | 'paused' | 'cancelled';

/** One streaming deployment of a job: what we want (desired) and what Flink says (observed). */
@Entity({ name: 'deployments' })
export class DeploymentEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', name: 'job_name' }) jobName!: string;
  @Column({ type: 'int' }) version!: number;
  @Column({ type: 'text', name: 'desired_state' }) desiredState!: DesiredState;
  /** Flink's job state as last seen (or NONE before the first submission, UNKNOWN if unreachable). */
  @Column({ type: 'text', name: 'observed_state' }) observedState!: string;
  @Column({ type: 'timestamptz', name: 'observed_at', nullable: true }) observedAt!: Date | null;
  @Column({ type: 'text', name: 'flink_job_id', nullable: true }) flinkJobId!: string | null;
  @Column({ type: 'text', name: 'last_savepoint', nullable: true }) lastSavepoint!: string | null;
  /**
   * The savepoint or retained checkpoint the current Flink job was submitted from (null: it
   * started empty). If that job vanishes before its first checkpoint, its state is still this.
   */
  @Column({ type: 'text', name: 'started_from', nullable: true }) startedFrom!: string | null;
  @Column({ type: 'int' }) restarts!: number;
  @Column({ type: 'text', nullable: true }) drift!: string | null;
  @Column({ type: 'timestamptz', name: 'drift_at', nullable: true }) driftAt!: Date | null;
  /** The operation that owns the deployment until it finishes (one at a time). */
  @Column({ type: 'uuid', name: 'pending_operation_id', nullable: true })
  pendingOperationId!: string | null;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
}

export type RunState = 'queued' | 'starting' | 'running' | 'success' | 'failed' | 'killed';

@Entity({ name: 'batch_runs' })
export class BatchRunEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', name: 'job_name' }) jobName!: string;
  @Column({ type: 'int' }) version!: number;
  @Column({ type: 'jsonb' }) args!: string[];
  @Column({ type: 'timestamptz', name: 'as_of', nullable: true }) asOf!: Date | null;
  @Column({ type: 'int', name: 'livy_batch_id', nullable: true }) livyBatchId!: number | null;
  @Column({ type: 'text' }) state!: RunState;
  @Column({ type: 'text', name: 'livy_state', nullable: true }) livyState!: string | null;
  @Column({ type: 'text', name: 'log_tail', nullable: true }) logTail!: string | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @Column({ type: 'uuid', name: 'operation_id' }) operationId!: string;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @Column({ type: 'timestamptz', name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column({ type: 'timestamptz', name: 'finished_at', nullable: true }) finishedAt!: Date | null;
  @Column({ type: 'timestamptz', name: 'observed_at', nullable: true }) observedAt!: Date | null;
}

export const OPERATION_KINDS = [
  'deploy',
  'pause',
  'resume',
  'cancel',
  'upgrade',
  'recover',
  'run',
  'backfill',
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];
export type OperationStatus = 'queued' | 'running' | 'succeeded' | 'failed';

@Entity({ name: 'operations' })
export class OperationEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text', name: 'idempotency_key', nullable: true, unique: true })
  idempotencyKey!: string | null;
  @Column({ type: 'text' }) kind!: OperationKind;
  /** What it acts on: `deployment:<id>` or `run:<id>`. */
  @Column({ type: 'text' }) target!: string;
  @Column({ type: 'jsonb' }) request!: JsonObject;
  @Column({ type: 'text' }) status!: OperationStatus;
  @Column({ type: 'int' }) attempts!: number;
  /** Steps already done, so that a retried or resumed operation skips them. */
  @Column({ type: 'jsonb' }) progress!: JsonObject;
  @Column({ type: 'jsonb', nullable: true }) result!: JsonObject | null;
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @Column({ type: 'text' }) actor!: string;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' }) updatedAt!: Date;
  @Column({ type: 'timestamptz', name: 'finished_at', nullable: true }) finishedAt!: Date | null;
}

@Entity({ name: 'audit_log' })
export class AuditEntryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ type: 'text' }) actor!: string;
  @Column({ type: 'text' }) action!: string;
  @Column({ type: 'text' }) target!: string;
  @Column({ type: 'text' }) outcome!: string;
  @Column({ type: 'jsonb' }) detail!: JsonObject;
  @CreateDateColumn({ type: 'timestamptz' }) at!: Date;
}

@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) name!: string;
  /** The first characters of the key, to recognise it in listings; never enough to use it. */
  @Column({ type: 'text' }) prefix!: string;
  /** sha256 of the key (a 256-bit random secret needs no slow hash). */
  @Column({ type: 'text', name: 'key_hash', unique: true }) keyHash!: string;
  @Column({ type: 'text' }) role!: string;
  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' }) createdAt!: Date;
  @Column({ type: 'timestamptz', name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
  /** After this the key is refused (null: it does not expire). */
  @Column({ type: 'timestamptz', name: 'expires_at', nullable: true }) expiresAt!: Date | null;
}

export const ENTITIES = [
  FeatureVersionEntity,
  JobEntity,
  JobVersionEntity,
  DeploymentEntity,
  BatchRunEntity,
  OperationEntity,
  AuditEntryEntity,
  ApiKeyEntity,
];
