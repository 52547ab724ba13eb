import type { components } from './generated/control-plane';
import { ClientOptions, JsonApi } from './http';

type Schemas = components['schemas'];
export type Feature = Schemas['FeatureDto'];
export type FeatureDetail = Schemas['FeatureDetailDto'];
export type FeatureVersion = Schemas['FeatureVersionDto'];
export type Job = Schemas['JobDto'];
export type JobDetail = Schemas['JobDetailDto'];
export type JobVersion = Schemas['JobVersionDto'];
export type Deployment = Schemas['DeploymentDto'];
export type Run = Schemas['RunDto'];
export type Operation = Schemas['OperationDto'];
export type Accepted = Schemas['AcceptedDto'];
export type AuditEntry = Schemas['AuditEntryDto'];
export type ApiKey = Schemas['ApiKeyDto'];
export type FeaturePlan = Schemas['FeaturePlanDto'];
export type FeatureApply = Schemas['FeatureApplyDto'];
export type RegisterJob = Schemas['RegisterJobDto'];
export type TriggerRun = Schemas['TriggerRunDto'];
export type Backfill = Schemas['BackfillDto'];
export type PlanRequest = Schemas['PlanRequestDto'];
export type Session = Schemas['SessionDto'];
export type ConsoleHealth = Schemas['ConsoleHealthDto'];
export type ConsoleHealthHistory = Schemas['ConsoleHealthHistoryDto'];

/**
 * Where a running backfill is, `day N of M` (N: the runs it has started so far, of its M days,
 * from the operation's progress); undefined for any other operation or state.
 */
export function backfillDay(op: {
  kind?: unknown;
  status?: unknown;
  progress?: unknown;
}): string | undefined {
  const { days, runs } = (op.progress ?? {}) as { days?: unknown; runs?: unknown };
  if (op.kind !== 'backfill' || op.status !== 'running' || !Array.isArray(days)) return undefined;
  return `day ${Array.isArray(runs) ? runs.length : 0} of ${days.length}`;
}

/**
 * Either an API key (scripts, the CLI) or, in a browser, the web console's session: its cookie
 * goes with every request by itself, and what is not a read carries the session's CSRF token.
 */
export type ControlPlaneOptions = ClientOptions &
  (
    | {
        /** A control-plane API key (fstore apikeys create). */
        apiKey: string;
      }
    | {
        /** The CSRF token of the current console session (POST /v1/session answers it). */
        csrfToken: () => string | undefined;
      }
  );

/** The header a console session's requests that are not reads carry. */
export const CSRF_HEADER = 'x-csrf-token';

/** A mutation's Idempotency-Key: the same key makes a repeated request the same operation. */
export interface Idempotent {
  idempotencyKey?: string;
}

const path = (...parts: (string | number)[]) =>
  parts.map((p) => encodeURIComponent(String(p))).join('/');

/**
 * The control plane's API (docs/openapi/control-plane.json), with an API key. Reads are retried
 * on transient failures; asynchronous mutations carry an Idempotency-Key (a new one per call
 * unless given), so they are retried too; registering a job or a version is not.
 */
export class ControlPlaneClient {
  private readonly http: JsonApi;

  constructor(options: ControlPlaneOptions) {
    if ('apiKey' in options) {
      this.http = new JsonApi(options, () => `Bearer ${options.apiKey}`);
    } else {
      const { csrfToken } = options;
      this.http = new JsonApi(
        options,
        () => undefined,
        (method): Record<string, string> => {
          const token = csrfToken();
          return method === 'GET' || method === 'HEAD' || !token ? {} : { [CSRF_HEADER]: token };
        },
      );
    }
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** Any route of the API (for what has no method here). */
  request<T>(
    method: string,
    route: string,
    options: Parameters<JsonApi['request']>[2] = {},
  ): Promise<T> {
    return this.http.request<T>(method, route, options);
  }

  async listFeatures(): Promise<Feature[]> {
    return (await this.http.request<Schemas['FeatureListDto']>('GET', '/v1/features')).features;
  }

  /** One feature; with an entity id also its stored value and event time. */
  getFeature(name: string, entityId?: string): Promise<FeatureDetail> {
    return this.http.request('GET', `/v1/features/${path(name)}`, {
      query: { entity_id: entityId },
    });
  }

  /** Every version `fstore apply` recorded of one feature, newest first. */
  async featureVersions(name: string): Promise<FeatureVersion[]> {
    return (
      await this.http.request<Schemas['FeatureVersionsDto']>(
        'GET',
        `/v1/features/${path(name)}/versions`,
      )
    ).versions;
  }

  plan(request: PlanRequest): Promise<FeaturePlan> {
    return this.http.request('POST', '/v1/features/plan', { body: request, idempotent: true });
  }

  apply(request: PlanRequest): Promise<FeatureApply> {
    return this.http.request('POST', '/v1/features/apply', { body: request });
  }

  async listJobs(): Promise<Job[]> {
    return (await this.http.request<Schemas['JobListDto']>('GET', '/v1/jobs')).jobs;
  }

  getJob(name: string): Promise<JobDetail> {
    return this.http.request('GET', `/v1/jobs/${path(name)}`);
  }

  getJobVersion(name: string, version: number): Promise<JobVersion> {
    return this.http.request('GET', `/v1/jobs/${path(name, 'versions', version)}`);
  }

  registerJob(job: RegisterJob): Promise<JobVersion> {
    return this.http.request('POST', '/v1/jobs', { body: job });
  }

  addVersion(name: string, version: Schemas['RegisterVersionDto']): Promise<JobVersion> {
    return this.http.request('POST', `/v1/jobs/${path(name, 'versions')}`, { body: version });
  }

  async listDeployments(filter: { job?: string; live?: boolean } = {}): Promise<Deployment[]> {
    const res = await this.http.request<Schemas['DeploymentListDto']>('GET', '/v1/deployments', {
      query: filter,
    });
    return res.deployments;
  }

  getDeployment(id: string): Promise<Deployment> {
    return this.http.request('GET', `/v1/deployments/${path(id)}`);
  }

  deploy(job: string, version: number, options: Idempotent = {}): Promise<Accepted> {
    return this.mutate(`/v1/jobs/${path(job, 'deployments')}`, { version }, options);
  }

  pause(deploymentId: string, options: Idempotent = {}): Promise<Accepted> {
    return this.mutate(`/v1/deployments/${path(deploymentId, 'pause')}`, {}, options);
  }

  resume(deploymentId: string, options: Idempotent = {}): Promise<Accepted> {
    return this.mutate(`/v1/deployments/${path(deploymentId, 'resume')}`, {}, options);
  }

  /** Starts a vanished Flink job again from its newest retained checkpoint or savepoint. */
  recover(deploymentId: string, options: Idempotent = {}): Promise<Accepted> {
    return this.mutate(`/v1/deployments/${path(deploymentId, 'recover')}`, {}, options);
  }

  cancel(deploymentId: string, options: Idempotent = {}): Promise<Accepted> {
    return this.mutate(`/v1/deployments/${path(deploymentId, 'cancel')}`, {}, options);
  }

  upgrade(deploymentId: string, version: number, options: Idempotent = {}): Promise<Accepted> {
    return this.mutate(`/v1/deployments/${path(deploymentId, 'upgrade')}`, { version }, options);
  }

  triggerRun(job: string, run: TriggerRun = {}, options: Idempotent = {}): Promise<Accepted> {
    return this.mutate(`/v1/jobs/${path(job, 'runs')}`, run, options);
  }

  /** One run a day from `from` to `to` (YYYY-MM-DD), as one operation that stops at a failure. */
  backfill(job: string, backfill: Backfill, options: Idempotent = {}): Promise<Accepted> {
    return this.mutate(`/v1/jobs/${path(job, 'backfills')}`, backfill, options);
  }

  async listRuns(filter: { job?: string; limit?: number } = {}): Promise<Run[]> {
    return (await this.http.request<Schemas['RunListDto']>('GET', '/v1/runs', { query: filter }))
      .runs;
  }

  getRun(id: string): Promise<Run> {
    return this.http.request('GET', `/v1/runs/${path(id)}`);
  }

  getOperation(id: string): Promise<Operation> {
    return this.http.request('GET', `/v1/operations/${path(id)}`);
  }

  /** Polls an operation until it succeeded or failed, or `timeoutMs` passed (then throws). */
  async waitForOperation(id: string, timeoutMs = 600000, pollMs = 1000): Promise<Operation> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const op = await this.getOperation(id);
      if (op.status === 'succeeded' || op.status === 'failed') return op;
      if (Date.now() > deadline) {
        throw new Error(`operation ${id} still ${op.status} after ${timeoutMs / 1000} s`);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  async audit(filter: { target?: string; actor?: string; limit?: number } = {}) {
    const res = await this.http.request<Schemas['AuditListDto']>('GET', '/v1/audit', {
      query: filter,
    });
    return res.entries;
  }

  async listApiKeys(): Promise<ApiKey[]> {
    return (await this.http.request<Schemas['ApiKeyListDto']>('GET', '/v1/apikeys')).keys;
  }

  /** Revoking twice revokes once: safe to retry. */
  revokeApiKey(id: string): Promise<ApiKey> {
    return this.http.request('POST', `/v1/apikeys/${path(id, 'revoke')}`, { idempotent: true });
  }

  /** Opens a console session (a browser keeps its cookie; the key is not kept). */
  signIn(apiKey: string, ttlSeconds?: number): Promise<Session> {
    return this.http.request('POST', '/v1/session', {
      body: { api_key: apiKey, ttl_seconds: ttlSeconds },
    });
  }

  /**
   * Opens a console session as a serving user (fstore users add): their e-mail and password, sent
   * once; the browser keeps only the cookie.
   */
  signInWithPassword(email: string, password: string, ttlSeconds?: number): Promise<Session> {
    return this.http.request('POST', '/v1/session', {
      body: { email, password, ttl_seconds: ttlSeconds },
    });
  }

  /** The console session of this browser's cookie. */
  session(): Promise<Session> {
    return this.http.request('GET', '/v1/session');
  }

  signOut(): Promise<void> {
    return this.http.request('DELETE', '/v1/session', { idempotent: true });
  }

  /** The dependencies and a few Prometheus numbers (the console's health page). */
  consoleHealth(): Promise<ConsoleHealth> {
    return this.http.request('GET', '/v1/console/health');
  }

  /** The health page's charted panels over the last `minutes` (5 to 1440; default 60). */
  consoleHealthHistory(minutes?: number): Promise<ConsoleHealthHistory> {
    return this.http.request('GET', '/v1/console/health/history', {
      query: minutes === undefined ? {} : { minutes },
    });
  }

  ready(): Promise<Schemas['ReadyDto']> {
    return this.http.request('GET', '/health/ready');
  }

  private mutate(route: string, body: object, { idempotencyKey }: Idempotent): Promise<Accepted> {
    return this.http.request('POST', route, {
      body,
      headers: { 'idempotency-key': idempotencyKey ?? globalThis.crypto.randomUUID() },
      idempotent: true,
    });
  }
}
