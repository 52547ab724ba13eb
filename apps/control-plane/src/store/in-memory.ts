import { randomUUID } from 'crypto';
import {
  ApiKeyEntity,
  ApiKeyRole,
  AuditEntryEntity,
  BatchRunEntity,
  DeploymentEntity,
  FeatureVersionEntity,
  JobEntity,
  JobVersionEntity,
  JsonObject,
  generateApiKey,
  hashApiKey,
  OperationEntity,
} from '@fstore/control-store';
import { AuditRepository, NewAuditEntry } from '../audit/audit.repository';
import { ApiKeysRepository } from '../auth/api-keys.repository';
import {
  DeploymentChanges,
  DeploymentsRepository,
  NewDeployment,
} from '../deployments/deployments.repository';
import {
  FeatureRegistryRepository,
  LiveStreamDeployment,
  FeatureVersionRecord,
  NewFeatureVersion,
} from '../features/feature-registry.repository';
import { RegisteredFeature } from '../features/feature-plan';
import { JobsRepository, NewJob, NewJobVersion } from '../jobs/jobs.repository';
import { NewOperation, OperationsRepository } from '../operations/operations.repository';
import { NewRun, RunChanges, RunsRepository } from '../runs/runs.repository';
import { Transaction, Transactions } from './transactions';

/**
 * The control plane's tables in memory, behind the same repository interfaces as PostgreSQL, so
 * that the services' rules (transitions, drift, idempotency) are unit-tested without a database.
 * What the rules rely on is kept: unique keys (idempotency key, one live deployment per job),
 * updated_at on every update, rollback of a transaction that throws, rows read as copies. Not
 * kept: row locks and isolation between concurrent transactions (the tests run one at a time);
 * the medium tests of the TypeORM repositories cover those against PostgreSQL.
 */
export class InMemoryControlStore {
  readonly tables = new InMemoryTables();
  readonly transactions = new InMemoryTransactions(this.tables);
  readonly operations = new InMemoryOperationsRepository(this.tables);
  readonly deployments = new InMemoryDeploymentsRepository(this.tables);
  readonly jobs = new InMemoryJobsRepository(this.tables);
  readonly runs = new InMemoryRunsRepository(this.tables);
  readonly apiKeys = new InMemoryApiKeysRepository(this.tables);
  readonly audit = new InMemoryAuditRepository(this.tables);
  readonly featureRegistry = new InMemoryFeatureRegistryRepository(this.tables);
}

/** What PostgreSQL would refuse with 23505 (unique_violation). */
export class InMemoryUniqueViolation extends Error {}

class InMemoryTables {
  operations: OperationEntity[] = [];
  deployments: DeploymentEntity[] = [];
  jobs: JobEntity[] = [];
  versions: JobVersionEntity[] = [];
  runs: BatchRunEntity[] = [];
  apiKeys: ApiKeyEntity[] = [];
  audit: AuditEntryEntity[] = [];
  featureVersions: FeatureVersionEntity[] = [];
  private sequence = 0;

  /** The next bigint id (audit entries, job versions), as text like TypeORM reads it. */
  nextId(): string {
    return String(++this.sequence);
  }

  snapshot(): Omit<InMemoryTables, 'snapshot' | 'restore' | 'nextId'> {
    return clone({
      operations: this.operations,
      deployments: this.deployments,
      jobs: this.jobs,
      versions: this.versions,
      runs: this.runs,
      apiKeys: this.apiKeys,
      audit: this.audit,
      featureVersions: this.featureVersions,
    });
  }

  restore(saved: ReturnType<InMemoryTables['snapshot']>): void {
    Object.assign(this, saved);
  }
}

const IN_MEMORY_TRANSACTION: Transaction = { transaction: true };

/**
 * A deep copy of rows (plain objects, arrays, dates, JSON values), as PostgreSQL hands out a new
 * row on every read. Not structuredClone: under jest its dates come from another realm and fail
 * `instanceof Date`.
 */
function clone<T>(value: T): T {
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map((v) => clone(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)])) as T;
  }
  return value;
}

/** A row as a caller reads it: a copy, which the caller may change without writing it. */
const copy = <T>(row: T | undefined): T | null => (row ? clone(row) : null);

export class InMemoryTransactions implements Transactions {
  constructor(private readonly tables: InMemoryTables) {}

  async run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const saved = this.tables.snapshot();
    try {
      return await work(IN_MEMORY_TRANSACTION);
    } catch (e) {
      this.tables.restore(saved);
      throw e;
    }
  }

  isUniqueViolation(e: unknown): boolean {
    return e instanceof InMemoryUniqueViolation;
  }

  async ping(): Promise<void> {}
}

export class InMemoryOperationsRepository implements OperationsRepository {
  constructor(private readonly tables: InMemoryTables) {}

  private row(id: string): OperationEntity | undefined {
    return this.tables.operations.find((o) => o.id === id);
  }

  private change(id: string, changes: Partial<OperationEntity>): void {
    const row = this.row(id);
    if (row) Object.assign(row, clone(changes), { updatedAt: new Date() });
  }

  async get(id: string): Promise<OperationEntity | null> {
    return copy(this.row(id));
  }

  async byIdempotencyKey(key: string): Promise<OperationEntity | null> {
    return copy(this.tables.operations.find((o) => o.idempotencyKey === key));
  }

  async insert(operation: NewOperation): Promise<OperationEntity> {
    const key = operation.idempotencyKey;
    if (key !== null && this.tables.operations.some((o) => o.idempotencyKey === key)) {
      throw new InMemoryUniqueViolation(`operations: idempotency_key ${key} exists`);
    }
    const now = new Date();
    const row: OperationEntity = { ...clone(operation), createdAt: now, updatedAt: now };
    this.tables.operations.push(row);
    return clone(row);
  }

  async markRunning(id: string): Promise<void> {
    const row = this.row(id);
    if (row) this.change(id, { status: 'running', attempts: row.attempts + 1 });
  }

  async requeue(id: string, error: string): Promise<void> {
    this.change(id, { status: 'queued', error });
  }

  async saveProgress(id: string, progress: JsonObject): Promise<void> {
    this.change(id, { progress });
  }

  async succeed(id: string, result: JsonObject): Promise<void> {
    this.change(id, { status: 'succeeded', result, error: null, finishedAt: new Date() });
  }

  async fail(id: string, error: string): Promise<void> {
    this.change(id, { status: 'failed', error, finishedAt: new Date() });
  }

  async unfinishedSince(before: Date, limit: number): Promise<OperationEntity[]> {
    return this.tables.operations
      .filter((o) => ['queued', 'running'].includes(o.status) && o.updatedAt < before)
      .slice(0, limit)
      .map((o) => clone(o));
  }
}

export class InMemoryDeploymentsRepository implements DeploymentsRepository {
  constructor(private readonly tables: InMemoryTables) {}

  private row(id: string): DeploymentEntity | undefined {
    return this.tables.deployments.find((d) => d.id === id);
  }

  private live(jobName: string): DeploymentEntity | undefined {
    return this.tables.deployments.find(
      (d) => d.jobName === jobName && d.desiredState !== 'cancelled',
    );
  }

  async get(id: string): Promise<DeploymentEntity | null> {
    return copy(this.row(id));
  }

  async getOrFail(id: string): Promise<DeploymentEntity> {
    const row = this.row(id);
    if (!row) throw new Error(`Could not find any entity of type "DeploymentEntity" (${id})`);
    return clone(row);
  }

  async getLocked(id: string): Promise<DeploymentEntity | null> {
    return this.get(id);
  }

  async liveOfJob(jobName: string): Promise<DeploymentEntity | null> {
    return copy(this.live(jobName));
  }

  async liveOfJobLocked(jobName: string): Promise<DeploymentEntity | null> {
    return copy(this.live(jobName));
  }

  async insert(deployment: NewDeployment): Promise<DeploymentEntity> {
    const { jobName, version } = deployment;
    if (!this.tables.versions.some((v) => v.jobName === jobName && v.version === version)) {
      throw new Error(`deployments: job ${jobName} has no version ${version} (foreign key)`);
    }
    if (deployment.desiredState !== 'cancelled' && this.live(jobName)) {
      throw new InMemoryUniqueViolation(`deployments_one_live_per_job: ${jobName}`);
    }
    const now = new Date();
    const row: DeploymentEntity = {
      ...clone(deployment),
      id: randomUUID(),
      createdAt: now,
      updatedAt: now,
    };
    this.tables.deployments.push(row);
    return clone(row);
  }

  async update(id: string, changes: DeploymentChanges): Promise<void> {
    const row = this.row(id);
    if (!row) return;
    const after = { ...row, ...clone(changes) };
    if (after.desiredState !== 'cancelled') {
      const other = this.live(after.jobName);
      if (other && other.id !== id) {
        throw new InMemoryUniqueViolation(`deployments_one_live_per_job: ${after.jobName}`);
      }
    }
    Object.assign(row, after, { updatedAt: new Date() });
  }

  async updateIfNoOperation(id: string, changes: DeploymentChanges): Promise<void> {
    if (this.row(id)?.pendingOperationId === null) await this.update(id, changes);
  }

  async list(filter: { job?: string; live?: boolean }): Promise<DeploymentEntity[]> {
    return this.tables.deployments
      .map((d, inserted) => ({ d, inserted }))
      .filter(({ d }) => !filter.job || d.jobName === filter.job)
      .filter(({ d }) => !filter.live || d.desiredState !== 'cancelled')
      .sort((a, b) => b.d.createdAt.getTime() - a.d.createdAt.getTime() || b.inserted - a.inserted)
      .slice(0, 200)
      .map(({ d }) => clone(d));
  }

  async toObserve(): Promise<DeploymentEntity[]> {
    return this.tables.deployments
      .filter(
        (d) =>
          d.pendingOperationId === null && d.desiredState !== 'cancelled' && d.flinkJobId !== null,
      )
      .map((d) => clone(d));
  }
}

export class InMemoryJobsRepository implements JobsRepository {
  constructor(private readonly tables: InMemoryTables) {}

  /** Registers a job and its versions 1..n (what JobsService does through the API). */
  add(job: Omit<JobEntity, 'createdAt'>, versions: Pick<JobVersionEntity, 'source' | 'content'>[]) {
    const now = new Date();
    this.tables.jobs.push({ ...job, createdAt: now });
    versions.forEach((v, i) =>
      this.tables.versions.push({
        id: this.tables.nextId(),
        jobName: job.name,
        version: i + 1,
        source: v.source,
        content: v.content,
        sha256: '',
        parameters: {},
        createdBy: job.createdBy,
        createdAt: now,
      }),
    );
  }

  async job(name: string): Promise<JobEntity | null> {
    return copy(this.tables.jobs.find((j) => j.name === name));
  }

  async jobLocked(name: string): Promise<JobEntity | null> {
    return this.job(name);
  }

  async exists(name: string): Promise<boolean> {
    return this.tables.jobs.some((j) => j.name === name);
  }

  async list(): Promise<JobEntity[]> {
    return [...this.tables.jobs]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((j) => clone(j));
  }

  async insertJob(job: NewJob): Promise<void> {
    if (this.tables.jobs.some((j) => j.name === job.name)) {
      throw new InMemoryUniqueViolation(`jobs: ${job.name} exists`);
    }
    this.tables.jobs.push({ ...clone(job), createdAt: new Date() });
  }

  async insertVersion(version: NewJobVersion): Promise<JobVersionEntity> {
    const { jobName } = version;
    if (!this.tables.jobs.some((j) => j.name === jobName)) {
      throw new Error(`job_versions: no job ${jobName} (foreign key)`);
    }
    if (this.tables.versions.some((v) => v.jobName === jobName && v.version === version.version)) {
      throw new InMemoryUniqueViolation(`job_versions: ${jobName} ${version.version} exists`);
    }
    const row: JobVersionEntity = {
      ...clone(version),
      id: this.tables.nextId(),
      createdAt: new Date(),
    };
    this.tables.versions.push(row);
    return clone(row);
  }

  async maxVersion(jobName: string): Promise<number> {
    return Math.max(
      0,
      ...this.tables.versions.filter((v) => v.jobName === jobName).map((v) => v.version),
    );
  }

  async versionSummaries(jobName: string): Promise<JobVersionEntity[]> {
    return this.tables.versions
      .filter((v) => v.jobName === jobName)
      .sort((a, b) => a.version - b.version)
      .map((v) => {
        const summary: Partial<JobVersionEntity> = clone(v);
        delete summary.content;
        delete summary.id;
        return summary as JobVersionEntity;
      });
  }

  async hasVersion(jobName: string, version: number): Promise<boolean> {
    return this.tables.versions.some((v) => v.jobName === jobName && v.version === version);
  }

  async version(jobName: string, version: number): Promise<JobVersionEntity | null> {
    return copy(this.tables.versions.find((v) => v.jobName === jobName && v.version === version));
  }

  async latestVersion(jobName: string): Promise<JobVersionEntity | null> {
    const versions = this.tables.versions.filter((v) => v.jobName === jobName);
    return copy(versions.sort((a, b) => b.version - a.version)[0]);
  }

  async versionOrFail(jobName: string, version: number): Promise<JobVersionEntity> {
    const row = this.tables.versions.find((v) => v.jobName === jobName && v.version === version);
    if (!row) throw new Error(`Could not find any entity of type "JobVersionEntity" (${jobName})`);
    return clone(row);
  }
}

export class InMemoryAuditRepository implements AuditRepository {
  constructor(private readonly tables: InMemoryTables) {}

  async append(entry: NewAuditEntry): Promise<void> {
    this.tables.audit.push({ ...clone(entry), id: this.tables.nextId(), at: new Date() });
  }

  async list(filter: { target?: string; actor?: string; limit: number }) {
    return this.tables.audit
      .filter((a) => !filter.target || a.target === filter.target)
      .filter((a) => !filter.actor || a.actor === filter.actor)
      .sort((a, b) => Number(b.id) - Number(a.id))
      .slice(0, filter.limit)
      .map((a) => clone(a));
  }
}

export class InMemoryRunsRepository implements RunsRepository {
  constructor(private readonly tables: InMemoryTables) {}

  private row(id: string): BatchRunEntity | undefined {
    return this.tables.runs.find((r) => r.id === id);
  }

  private newestFirst(runs: BatchRunEntity[], at: (r: BatchRunEntity) => Date | null) {
    return runs
      .map((r, inserted) => ({ r, inserted }))
      .sort(
        (a, b) => (at(b.r)?.getTime() ?? 0) - (at(a.r)?.getTime() ?? 0) || b.inserted - a.inserted,
      )
      .map(({ r }) => r);
  }

  async get(id: string): Promise<BatchRunEntity | null> {
    return copy(this.row(id));
  }

  async getOrFail(id: string): Promise<BatchRunEntity> {
    const row = this.row(id);
    if (!row) throw new Error(`Could not find any entity of type "BatchRunEntity" (${id})`);
    return clone(row);
  }

  async insert(run: NewRun): Promise<BatchRunEntity> {
    const { jobName, version } = run;
    if (!this.tables.versions.some((v) => v.jobName === jobName && v.version === version)) {
      throw new Error(`batch_runs: job ${jobName} has no version ${version} (foreign key)`);
    }
    const row: BatchRunEntity = {
      ...clone(run),
      id: randomUUID(),
      createdAt: new Date(),
    };
    this.tables.runs.push(row);
    return clone(row);
  }

  async update(id: string, changes: RunChanges): Promise<void> {
    const row = this.row(id);
    if (row) Object.assign(row, clone(changes));
  }

  async list(filter: { job?: string; limit: number }): Promise<BatchRunEntity[]> {
    const runs = this.tables.runs.filter((r) => !filter.job || r.jobName === filter.job);
    return this.newestFirst(runs, (r) => r.createdAt)
      .slice(0, filter.limit)
      .map((r) => clone(r));
  }

  async lastSuccessOfSource(source: string): Promise<BatchRunEntity | null> {
    const runs = this.tables.runs.filter(
      (r) =>
        r.state === 'success' &&
        r.finishedAt !== null &&
        this.tables.versions.some(
          (v) => v.jobName === r.jobName && v.version === r.version && v.source === source,
        ),
    );
    return copy(this.newestFirst(runs, (r) => r.finishedAt)[0]);
  }

  async lastSuccessPerJob(): Promise<{ job: string; finishedAt: Date | null }[]> {
    const last = new Map<string, Date | null>();
    for (const r of this.tables.runs.filter((x) => x.state === 'success')) {
      const before = last.get(r.jobName) ?? null;
      const at = r.finishedAt && (!before || r.finishedAt > before) ? r.finishedAt : before;
      last.set(r.jobName, at);
    }
    return [...last].map(([job, finishedAt]) => ({ job, finishedAt }));
  }
}

export class InMemoryApiKeysRepository implements ApiKeysRepository {
  constructor(private readonly tables: InMemoryTables) {}

  async create(name: string, role: ApiKeyRole): Promise<{ id: string; key: string }> {
    return this.createExpiring(name, role, null);
  }

  /** A key that expires (what `fstore apikeys create --expires` records). */
  async createExpiring(
    name: string,
    role: ApiKeyRole,
    expiresAt: Date | null,
  ): Promise<{ id: string; key: string }> {
    const key = generateApiKey();
    const row: ApiKeyEntity = {
      id: randomUUID(),
      name,
      role,
      prefix: key.slice(0, 10),
      keyHash: hashApiKey(key),
      createdAt: new Date(),
      revokedAt: null,
      expiresAt,
    };
    this.tables.apiKeys.push(row);
    return { id: row.id, key };
  }

  async unrevokedByHash(keyHash: string): Promise<ApiKeyEntity | null> {
    return copy(this.tables.apiKeys.find((k) => k.keyHash === keyHash && k.revokedAt === null));
  }

  async unrevokedById(id: string): Promise<ApiKeyEntity | null> {
    return copy(this.tables.apiKeys.find((k) => k.id === id && k.revokedAt === null));
  }

  async get(id: string): Promise<ApiKeyEntity | null> {
    return copy(this.tables.apiKeys.find((k) => k.id === id));
  }

  async list(): Promise<ApiKeyEntity[]> {
    return [...this.tables.apiKeys].reverse().map((k) => clone(k));
  }

  async setRevokedAt(id: string, revokedAt: Date): Promise<void> {
    const row = this.tables.apiKeys.find((k) => k.id === id);
    if (row) row.revokedAt = new Date(revokedAt);
  }
}

export class InMemoryFeatureRegistryRepository implements FeatureRegistryRepository {
  constructor(private readonly tables: InMemoryTables) {}

  async latest(): Promise<RegisteredFeature[]> {
    const latest = new Map<string, FeatureVersionEntity>();
    for (const r of this.tables.featureVersions) {
      if ((latest.get(r.name)?.version ?? 0) < r.version) latest.set(r.name, r);
    }
    return [...latest.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((r) => ({
        name: r.name,
        version: r.version,
        computeHash: r.computeHash,
        removed: r.removed,
        appliedBy: r.appliedBy,
        appliedAt: new Date(r.appliedAt.getTime()),
        definition: clone(r.definition) as RegisteredFeature['definition'],
      }));
  }

  /** One caller at a time is all a unit test has. */
  async lockForApply(): Promise<void> {}

  async insert(row: NewFeatureVersion): Promise<void> {
    const taken = this.tables.featureVersions.some(
      (r) => r.name === row.name && r.version === row.version,
    );
    if (taken) throw new InMemoryUniqueViolation(`feature_versions (${row.name}, ${row.version})`);
    this.tables.featureVersions.push({ ...clone(row), appliedAt: new Date() });
  }

  async versions(name: string): Promise<FeatureVersionRecord[]> {
    return this.tables.featureVersions
      .filter((r) => r.name === name)
      .sort((a, b) => b.version - a.version)
      .map((r) => ({
        version: r.version,
        removed: r.removed,
        appliedBy: r.appliedBy,
        appliedAt: new Date(r.appliedAt.getTime()),
        definition: clone(r.definition),
      }));
  }

  async liveDeployments(jobPrefix: string): Promise<LiveStreamDeployment[]> {
    return this.tables.deployments
      .filter((d) => d.jobName.startsWith(jobPrefix) && d.desiredState !== 'cancelled')
      .map((d) => ({
        deployment: clone(d),
        sha256: this.tables.versions.find((v) => v.jobName === d.jobName && v.version === d.version)
          ?.sha256,
      }));
  }

  async jobsRunning(source: string): Promise<string[]> {
    return [
      ...new Set(this.tables.versions.filter((v) => v.source === source).map((v) => v.jobName)),
    ];
  }

  async newestLiveDeployment(jobs: string[]): Promise<DeploymentEntity | null> {
    const live = this.tables.deployments.filter(
      (d) => jobs.includes(d.jobName) && d.desiredState !== 'cancelled',
    );
    return copy(live.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0]);
  }

  async newestSuccessfulRun(jobs: string[]): Promise<BatchRunEntity | null> {
    const done = this.tables.runs.filter((r) => jobs.includes(r.jobName) && r.state === 'success');
    return copy(
      done.sort((a, b) => (b.finishedAt?.getTime() ?? 0) - (a.finishedAt?.getTime() ?? 0))[0],
    );
  }
}
