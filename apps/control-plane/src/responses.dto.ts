import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import {
  API_KEY_ROLES,
  type ApiKeyRole,
  type DesiredState,
  type JobKind,
  type JsonObject,
  OPERATION_KINDS,
  type OperationKind,
  type OperationStatus,
  type RunState,
} from '@fstore/control-store';
import type { FeatureChange, JobAction } from './features/feature-plan';

/**
 * The control plane's answers. The presenters (presenters.ts) return these types, so what the API
 * sends and what docs/openapi/control-plane.json documents are one shape; a field added to a
 * presenter must be added here, or the typecheck fails.
 */

const JOB_KINDS: JobKind[] = ['flink-sql', 'pyspark'];
const DESIRED_STATES: DesiredState[] = ['running', 'paused', 'cancelled'];
const RUN_STATES: RunState[] = ['queued', 'starting', 'running', 'success', 'failed', 'killed'];
const OPERATION_STATUSES: OperationStatus[] = ['queued', 'running', 'succeeded', 'failed'];
const FEATURE_CHANGES: FeatureChange[] = ['add', 'change', 'remove', 'describe', 'none'];
const JOB_ACTIONS: JobAction[] = ['deploy', 'recompute', 'upgrade', 'resume', 'cancel', 'none'];

/** A timestamp (JSON: ISO-8601 text). */
const Time = (description?: string) =>
  ApiProperty({ type: String, format: 'date-time', ...(description ? { description } : {}) });
const TimeOrNull = (description?: string) =>
  ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    ...(description ? { description } : {}),
  });
const JSON_OBJECT = { type: 'object', additionalProperties: true } as const;

export class LiveDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}

export class ReadyChecksDto {
  @ApiProperty({ enum: ['ok'] }) postgres!: 'ok';
  @ApiProperty({ enum: ['ok'] }) queue_redis!: 'ok';
  @ApiProperty({ enum: ['ok'] }) flink!: 'ok';
}

export class ReadyDto {
  @ApiProperty({ enum: ['ready'] }) status!: 'ready';
  @ApiProperty() checks!: ReadyChecksDto;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'the first characters of the key, to recognise it' })
  prefix!: string;
  @ApiProperty({ enum: API_KEY_ROLES }) role!: ApiKeyRole;
  @Time() created_at!: Date;
  @TimeOrNull('null: never expires') expires_at!: Date | null;
  @TimeOrNull() revoked_at!: Date | null;
  @ApiProperty({ description: 'neither revoked nor expired' }) usable!: boolean;
}

export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyDto] }) keys!: ApiKeyDto[];
}

export class JobDto {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: JOB_KINDS }) kind!: JobKind;
  @ApiProperty() description!: string;
  @ApiProperty() created_by!: string;
  @Time() created_at!: Date;
}

export class JobListDto {
  @ApiProperty({ type: [JobDto] }) jobs!: JobDto[];
}

export class JobVersionDto {
  @ApiProperty() job!: string;
  @ApiProperty({ type: 'integer', minimum: 1 }) version!: number;
  @ApiProperty({ description: 'the file it was read from' }) source!: string;
  @ApiProperty({ description: 'sha256 of the content' }) sha256!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  parameters!: Record<string, string>;
  @ApiProperty() created_by!: string;
  @Time() created_at!: Date;
  @ApiPropertyOptional({ description: 'the source text (GET of one version only)' })
  content?: string;
}

export class JobDetailDto extends JobDto {
  @ApiProperty({ type: [JobVersionDto] }) versions!: JobVersionDto[];
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  live_deployment_id!: string | null;
}

export class DeploymentDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() job!: string;
  @ApiProperty({ type: 'integer' }) version!: number;
  @ApiProperty({ enum: DESIRED_STATES }) desired_state!: DesiredState;
  @ApiProperty({ description: "Flink's state as the reconciler last saw it" })
  observed_state!: string;
  @TimeOrNull() observed_at!: Date | null;
  @ApiProperty({ type: 'integer', nullable: true }) observed_age_seconds!: number | null;
  @ApiProperty({ description: 'the observation is older than three reconciler intervals' })
  stale!: boolean;
  @ApiProperty({ type: String, nullable: true }) flink_job_id!: string | null;
  @ApiProperty({ type: String, nullable: true }) last_savepoint!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'the savepoint or retained checkpoint the current Flink job was submitted from (null: empty state)',
  })
  started_from!: string | null;
  @ApiProperty({ type: 'integer' }) restarts!: number;
  @ApiProperty({ type: String, nullable: true }) drift!: string | null;
  @TimeOrNull() drift_at!: Date | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  pending_operation_id!: string | null;
  @Time() created_at!: Date;
  @Time() updated_at!: Date;
}

export class DeploymentListDto {
  @ApiProperty({ type: [DeploymentDto] }) deployments!: DeploymentDto[];
}

export class AcceptedDto {
  @ApiProperty({ format: 'uuid', description: 'poll GET /v1/operations/{id}' })
  operation_id!: string;
  @ApiProperty({ enum: OPERATION_STATUSES }) status!: OperationStatus;
  @ApiProperty() target!: string;
  @ApiProperty({ description: 'false: the Idempotency-Key named an earlier operation' })
  created!: boolean;
}

export class RunDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() job!: string;
  @ApiProperty({ type: 'integer' }) version!: number;
  @ApiProperty({ type: [String] }) args!: string[];
  @TimeOrNull() as_of!: Date | null;
  @ApiProperty({ enum: RUN_STATES }) state!: RunState;
  @ApiProperty({ type: 'integer', nullable: true }) livy_batch_id!: number | null;
  @ApiProperty({ type: String, nullable: true }) livy_state!: string | null;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ format: 'uuid' }) operation_id!: string;
  @Time() created_at!: Date;
  @TimeOrNull() started_at!: Date | null;
  @TimeOrNull() finished_at!: Date | null;
  @TimeOrNull() observed_at!: Date | null;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      "the job's summary line (<NAME>_SUMMARY {json} on its output, e.g. a training set's rows, table and path; GET of one run only)",
  })
  summary?: Record<string, unknown> | null;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'the end of its log (GET of one run only)',
  })
  log_tail?: string | null;
}

export class RunListDto {
  @ApiProperty({ type: [RunDto] }) runs!: RunDto[];
}

export class OperationDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: [...OPERATION_KINDS] }) kind!: OperationKind;
  @ApiProperty() target!: string;
  @ApiProperty({ enum: OPERATION_STATUSES }) status!: OperationStatus;
  @ApiProperty({ type: 'integer' }) attempts!: number;
  @ApiProperty(JSON_OBJECT) request!: JsonObject;
  @ApiProperty({
    ...JSON_OBJECT,
    description:
      'What is done so far; a backfill: {version, days (the as-of of each day), runs (the ids of the runs started, in order)}',
  })
  progress!: JsonObject;
  @ApiProperty({ ...JSON_OBJECT, nullable: true }) result!: JsonObject | null;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty() actor!: string;
  @ApiProperty({ type: String, nullable: true }) idempotency_key!: string | null;
  @Time() created_at!: Date;
  @Time() updated_at!: Date;
  @TimeOrNull() finished_at!: Date | null;
}

export class AuditEntryDto {
  @ApiProperty({ type: 'integer' }) id!: number;
  @Time() at!: Date;
  @ApiProperty({ example: 'key:ci' }) actor!: string;
  @ApiProperty({ example: 'deployment.deploy' }) action!: string;
  @ApiProperty() target!: string;
  @ApiProperty({ example: 'succeeded' }) outcome!: string;
  @ApiProperty(JSON_OBJECT) detail!: JsonObject;
}

export class AuditListDto {
  @ApiProperty({ type: [AuditEntryDto] }) entries!: AuditEntryDto[];
}

/** A stream feature's producer: the live deployment of its job. */
export class StreamProducerDto {
  @ApiProperty({ format: 'uuid' }) deployment_id!: string;
  @ApiProperty() job!: string;
  @ApiProperty({ type: 'integer' }) version!: number;
  @ApiProperty({ enum: DESIRED_STATES }) desired_state!: DesiredState;
  @ApiProperty() observed_state!: string;
  @TimeOrNull() observed_at!: Date | null;
  @ApiProperty({ type: String, nullable: true }) drift!: string | null;
}

/** A batch feature's producer: the last successful run of its job. */
export class BatchProducerDto {
  @ApiProperty({ format: 'uuid' }) run_id!: string;
  @ApiProperty() job!: string;
  @TimeOrNull() last_successful_run_at!: Date | null;
  @TimeOrNull() as_of!: Date | null;
}

export class FeatureDto {
  @ApiProperty() name!: string;
  @ApiProperty() entity!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'sum',
    description: 'last, last_k, sum, count, avg, min or max (null: no longer defined)',
  })
  aggregation!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '30d', description: 'null: no window' })
  window!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'catalog-ml' }) owner!: string | null;
  @ApiProperty({ type: [String], example: ['units', 'seed'] }) tags!: string[];
  @ApiProperty({ example: 'feature:avg_review:product:<product_id>' }) key_template!: string;
  @ApiProperty({ example: 'double' }) type!: string;
  @ApiProperty({ enum: ['stream', 'batch'] }) engine!: string;
  @ApiProperty({ description: 'the file whose jobs produce it' }) produced_by!: string;
  @ApiProperty() description!: string;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'latest version applied with `fstore apply` (null: never, or removed)',
  })
  registry_version!: number | null;
  @ApiProperty({ type: String, nullable: true }) applied_by!: string | null;
  @TimeOrNull() applied_at!: Date | null;
  @ApiProperty({ type: [String], description: 'jobs whose versions run produced_by' })
  jobs!: string[];
  @ApiProperty({
    description: 'how its producing job is doing; null: no job or no live deployment / run',
    oneOf: [
      { $ref: getSchemaPath(StreamProducerDto) },
      { $ref: getSchemaPath(BatchProducerDto) },
      { type: 'null' },
    ],
  })
  producer!: StreamProducerDto | BatchProducerDto | null;
}

export class FeatureListDto {
  @ApiProperty({ type: [FeatureDto] }) features!: FeatureDto[];
}

/** With ?entity_id: the value stored for that entity. */
export class FeatureDetailDto extends FeatureDto {
  @ApiPropertyOptional() entity_id?: string;
  @ApiPropertyOptional({ description: 'its Redis key' }) key?: string;
  @ApiPropertyOptional({ type: Number, nullable: true }) value?: number | null;
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  event_time?: string | null;
}

/** One applied version of a feature (GET /v1/features/{name}/versions). */
export class FeatureVersionDto {
  @ApiProperty({ type: 'integer', example: 2 }) version!: number;
  @ApiProperty({ example: 'key:alice', description: 'who applied it' }) applied_by!: string;
  @Time() applied_at!: Date;
  @ApiProperty({ description: 'this version removed the feature' }) removed!: boolean;
  @ApiProperty({
    ...JSON_OBJECT,
    description: 'the definition as applied (one feature of `fstore features export`)',
  })
  definition!: Record<string, unknown>;
}

export class FeatureVersionsDto {
  @ApiProperty() name!: string;
  @ApiProperty({ type: [FeatureVersionDto], description: 'newest first' })
  versions!: FeatureVersionDto[];
}

export class FeatureChangeDto {
  @ApiProperty() name!: string;
  @ApiProperty() engine!: string;
  @ApiProperty({ enum: FEATURE_CHANGES }) change!: FeatureChange;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: added' })
  from_version!: number | null;
  @ApiProperty({ description: 'its values must be computed again' }) recompute!: boolean;
  @ApiProperty() detail!: string;
}

export class JobChangeDto {
  @ApiProperty() job!: string;
  @ApiProperty({ type: String, nullable: true }) file!: string | null;
  @ApiProperty({ enum: JOB_ACTIONS }) action!: JobAction;
  @ApiProperty({ enum: ['kept', 'recomputed', 'none'] }) state!: 'kept' | 'recomputed' | 'none';
  @ApiProperty() reason!: string;
}

export class BackfillDto {
  @ApiProperty() feature!: string;
  @ApiProperty() reason!: string;
}

export class FeaturePlanDto {
  @ApiProperty({ type: [FeatureChangeDto] }) features!: FeatureChangeDto[];
  @ApiProperty({ type: [JobChangeDto] }) jobs!: JobChangeDto[];
  @ApiProperty({ type: [BackfillDto] }) backfills!: BackfillDto[];
  @ApiProperty() nothing_to_do!: boolean;
}

export class AppliedFeatureDto {
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'integer' }) version!: number;
}

export class FeatureApplyDto extends FeaturePlanDto {
  @ApiProperty({ type: [AppliedFeatureDto], description: 'the registry versions recorded' })
  applied!: AppliedFeatureDto[];
}

/** A web console session (POST/GET /v1/session). The session itself is an HttpOnly cookie. */
export class SessionDto {
  @ApiProperty({ example: 'key:alice' }) actor!: string;
  @ApiProperty({ enum: API_KEY_ROLES }) role!: ApiKeyRole;
  @Time('when the session ends (sign in again then)') expires_at!: string;
  @ApiProperty({
    description: 'send it as X-CSRF-Token with every request of the session that is not a read',
  })
  csrf_token!: string;
}

/** One Prometheus number the console's health page shows. */
export class HealthPanelDto {
  @ApiProperty({ example: 'serving_latency_p99_seconds' }) name!: string;
  @ApiProperty({ example: 'Feature read latency p99 (s)' }) title!: string;
  @ApiProperty({ description: 'the PromQL it is' }) query!: string;
  @ApiProperty({
    description: 'one sample per series, newest',
    type: 'array',
    items: {
      type: 'object',
      properties: {
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        value: { type: 'number', nullable: true },
      },
      required: ['labels', 'value'],
    },
  })
  series!: { labels: Record<string, string>; value: number | null }[];
}

export class ComponentHealthDto {
  @ApiProperty({ example: 'postgres' }) name!: string;
  @ApiProperty({ enum: ['ok', 'down'] }) status!: 'ok' | 'down';
  @ApiProperty({ type: String, nullable: true }) detail!: string | null;
}

/** The stack's components and a few Prometheus numbers (GET /v1/console/health). */
export class ConsoleHealthDto {
  @ApiProperty({ type: [ComponentHealthDto] }) components!: ComponentHealthDto[];
  @ApiProperty({ type: [HealthPanelDto] }) panels!: HealthPanelDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'why the panels are empty (Prometheus not configured or not answering)',
  })
  metrics_error!: string | null;
}

/** One Prometheus query over time, for a chart of the console's health page. */
export class HealthHistoryPanelDto {
  @ApiProperty({ example: 'freshness_p99_seconds' }) name!: string;
  @ApiProperty({ example: 'Event to Redis, p99 per feature (s)' }) title!: string;
  @ApiProperty({ description: 'the PromQL it is' }) query!: string;
  @ApiProperty({
    description: 'at most 12 series, each its [epoch seconds, value] points (null: not a number)',
    type: 'array',
    items: {
      type: 'object',
      properties: {
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        points: {
          type: 'array',
          items: {
            type: 'array',
            items: { type: 'number', nullable: true },
            minItems: 2,
            maxItems: 2,
          },
        },
      },
      required: ['labels', 'points'],
    },
  })
  series!: { labels: Record<string, string>; points: [number, number | null][] }[];
}

/** The health page's panels over the last minutes (GET /v1/console/health/history). */
export class ConsoleHealthHistoryDto {
  @ApiProperty({ example: 60 }) minutes!: number;
  @ApiProperty({ example: 60, description: 'seconds between two points' }) step_seconds!: number;
  @ApiProperty({ type: [HealthHistoryPanelDto] }) panels!: HealthHistoryPanelDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'why the panels are empty (Prometheus not configured or not answering)',
  })
  metrics_error!: string | null;
}
