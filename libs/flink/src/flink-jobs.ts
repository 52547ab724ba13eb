import { randomUUID } from 'crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { FstoreConfig, KafkaGrants } from '@fstore/config';
import {
  FlinkError,
  FlinkJobError,
  FlinkScriptError,
  FlinkSqlError,
  FlinkTimeoutError,
} from './errors';
import { ClientTlsSource, DEFAULT_HTTP, HttpOptions } from './http';
import { JobDetail, JobManagerClient, JobState, rootCause } from './jobmanager.client';
import { checkParameters, configPlaceholders, renderPlaceholders } from './placeholders';
import { withDedupeTtl } from './plan';
import { checkJobScript } from './policy';
import { SqlGatewayClient } from './sql-gateway.client';
import { splitStatements, sqlString, SqlStatement } from './statements';
import { flinkClientTls } from './tls';

export interface FlinkEndpoints {
  /** JobManager REST API, e.g. http://127.0.0.1:8081 */
  restUrl: string;
  /** SQL Gateway REST endpoint, e.g. http://127.0.0.1:8083 */
  gatewayUrl: string;
  http?: Partial<HttpOptions>;
  /** Mutual TLS of https endpoints (flinkClientTls). */
  tls?: ClientTlsSource;
}

/**
 * How jobs are submitted as compiled plans: `COMPILE PLAN` into `dir`, the event-id dedupe
 * state's TTL set in the plan (plan.ts), `EXECUTE PLAN`. `dir` must be the same path for this
 * process and the SQL Gateway (one host, or one shared volume).
 */
export interface CompiledPlans {
  dir: string;
  /** The redelivery horizon: the Deduplicate nodes' state TTL. */
  dedupeTtlMs: number;
}

export interface SubmitOptions {
  /**
   * Values of the script's `${NAME}` placeholders (added to / overriding the configured ones),
   * each checked against its type: configuration-only ones (KAFKA_BROKERS, …) cannot be given.
   */
  values?: Record<string, string>;
  /** Job name shown in the web UI (pipeline.name). */
  jobName?: string;
  /** Start from this savepoint (execution.savepoint.path). */
  savepointPath?: string;
  /** Per statement; default 120 s. */
  statementTimeoutMs?: number;
}

export interface JobStatus {
  jobId: string;
  name: string;
  state: JobState;
  startTime: number;
  durationMs: number;
  /** Records each operator chain read and wrote (as far as Flink has counted). */
  vertices: { name: string; status: string; recordsIn: number; recordsOut: number }[];
  /** Root cause of the last failure, if the job failed or restarted. */
  failure?: string;
}

/**
 * What the control plane needs from Flink: submit a SQL script as one job, stop it with a
 * savepoint, start it again from one, cancel it, and ask how it is doing. Scripts go through the
 * SQL Gateway (one short-lived session per submission); job control through the JobManager REST.
 */
export class FlinkJobs {
  readonly gateway: SqlGatewayClient;
  readonly jobManager: JobManagerClient;
  private readonly configured: Record<string, string>;
  /** The Kafka topics and groups given values may name (undefined: any the grammar allows). */
  private readonly grants: KafkaGrants | undefined;
  /** Undefined: the job statement is executed as written (no dedupe TTL). */
  private readonly plans: CompiledPlans | undefined;

  constructor(
    endpoints: FlinkEndpoints,
    placeholderValues: Record<string, string> = {},
    grants?: KafkaGrants,
    plans?: CompiledPlans,
  ) {
    const http = { ...DEFAULT_HTTP, ...endpoints.http };
    this.gateway = new SqlGatewayClient(endpoints.gatewayUrl, http, endpoints.tls);
    this.jobManager = new JobManagerClient(endpoints.restUrl, http, endpoints.tls);
    this.configured = placeholderValues;
    this.grants = grants;
    this.plans = plans;
  }

  /**
   * Clients for the project's configured Flink, with its placeholder values. `compiledPlans:
   * false` submits job statements as written (no dedupe TTL): how jobs were submitted before the
   * redelivery horizon, for tests of the switch between the two.
   */
  static fromConfig(config: FstoreConfig, { compiledPlans = true } = {}): FlinkJobs {
    return new FlinkJobs(
      {
        restUrl: config.flink.restUrl,
        gatewayUrl: config.flink.gatewayUrl,
        http: { timeoutMs: config.flink.requestTimeoutMs },
        tls: () => flinkClientTls(config),
      },
      configPlaceholders(config),
      config.flink.kafkaGrants,
      compiledPlans
        ? { dir: config.flink.planDir, dedupeTtlMs: config.flink.dedupeHorizonMs }
        : undefined,
    );
  }

  /**
   * Renders and splits the script, checking it before anything reaches Flink: the given values
   * against their placeholders' types (a configuration-only one such as KAFKA_BROKERS cannot be
   * given; a topic or group must be one the Flink user's Kafka ACLs grant, so that a version
   * stored before that check fails its deploy here), every statement against the job-script
   * policy (policy.ts), and its shape: statements that configure the session (SET, RESET, DDL)
   * followed by exactly one INSERT or STATEMENT SET.
   */
  prepare(script: string, values: Record<string, string> = {}): SqlStatement[] {
    checkParameters(values, this.grants);
    const statements = splitStatements(
      renderPlaceholders(script, { ...this.configured, ...values }),
    );
    checkJobScript(statements, { brokers: this.configured.KAFKA_BROKERS });
    const jobs = statements.filter((s) => s.kind === 'insert' || s.kind === 'statement-set');
    if (jobs.length !== 1) {
      throw new FlinkScriptError(
        `a job script needs exactly one INSERT or EXECUTE STATEMENT SET (one job), found ${jobs.length}` +
          (jobs.length > 1
            ? ` (lines ${jobs.map((s) => s.line).join(', ')}); group them in a STATEMENT SET`
            : ''),
      );
    }
    const other = statements.find(
      (s) => !['set', 'reset', 'ddl', 'insert', 'statement-set'].includes(s.kind),
    );
    if (other) {
      throw new FlinkScriptError(
        `line ${other.line}: only SET, RESET, DDL and the job's INSERT / STATEMENT SET belong in a job script, got: ${other.sql.slice(0, 80)}`,
      );
    }
    if (statements.at(-1) !== jobs[0]) {
      throw new FlinkScriptError(
        `line ${jobs[0].line}: the INSERT / STATEMENT SET must be the last statement`,
      );
    }
    return statements;
  }

  /**
   * Submits a script (SET / CREATE … / one INSERT or EXECUTE STATEMENT SET) as one streaming job
   * and returns its job id once the JobManager accepted it. A failing statement throws
   * FlinkSqlError naming the root cause and the statement's line; no job is left behind.
   */
  async submitScript(script: string, opts: SubmitOptions = {}): Promise<string> {
    const statements = this.prepare(script, opts.values);
    const properties: Record<string, string> = {};
    if (opts.jobName) properties['pipeline.name'] = opts.jobName;
    const session = await this.gateway.openSession({
      name: `fstore-${opts.jobName ?? 'job'}`,
      properties,
    });
    try {
      if (opts.savepointPath) {
        // Only the job's statement should restore; SET applies to everything after it.
        await this.gateway.execute(
          session,
          `SET 'execution.savepoint.path' = ${sqlString(opts.savepointPath)}`,
        );
      }
      let jobId: string | undefined;
      for (const statement of statements) {
        const run = (sql: string) =>
          this.gateway.execute(session, sql, {
            line: statement.line,
            timeoutMs: opts.statementTimeoutMs,
          });
        const isJob = statement.kind === 'insert' || statement.kind === 'statement-set';
        const result =
          isJob && this.plans ? await this.executeAsPlan(statement, run) : await run(statement.sql);
        jobId ??= result.jobId;
      }
      if (!jobId) throw new FlinkError('Flink accepted the script but reported no job id');
      return jobId;
    } finally {
      await this.gateway.closeSession(session).catch(() => undefined);
    }
  }

  /**
   * Runs the job statement as a compiled plan whose event-id dedupe state has the horizon as its
   * time-to-live: `COMPILE PLAN` (the gateway writes the plan), the TTL set on the Deduplicate
   * nodes (withDedupeTtl), `EXECUTE PLAN` of the result. The plan is the one the statement would
   * have run, so the job, its operator ids (below) and its other state TTLs are those of the
   * statement's job. Both files are removed once the job is submitted.
   */
  private async executeAsPlan(
    statement: SqlStatement,
    run: (sql: string) => Promise<{ jobId?: string }>,
  ) {
    const { dir, dedupeTtlMs } = this.plans!;
    // Shared by group, never with others: on Kubernetes the SQL Gateway writes the compiled plan
    // into the folder and reads the executed one through the shared volume's group (the control
    // plane runs with the Flink pods' fsGroup). A plan holds no secret (the SQL names brokers and
    // topics; the Kafka login is the Flink JVMs' JAAS file).
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, 0o770);
    }
    const base = join(dir, `plan-${randomUUID()}`);
    const compiled = `${base}.json`;
    const executed = `${base}-ttl.json`;
    try {
      // COMPILE PLAN takes the statement without its EXECUTE (`FOR STATEMENT SET BEGIN … END`).
      const job = statement.sql.replace(/^EXECUTE\s+/i, '');
      try {
        await run(`COMPILE PLAN ${sqlString(`file://${compiled}`)} FOR ${job}`);
      } catch (e) {
        // What fails to compile is the script's statement: name it, not the wrapper.
        if (e instanceof FlinkSqlError) {
          throw new FlinkSqlError(e.reason, { sql: statement.sql, line: statement.line }, e.detail);
        }
        throw e;
      }
      const { plan } = withDedupeTtl(readFileSync(compiled, 'utf8'), dedupeTtlMs);
      writeFileSync(executed, plan, { mode: 0o640, flag: 'wx' });
      // Flink would name a plan's operators after its nodes (table.exec.uid.generation
      // PLAN_ONLY); the hashes of the topology that a statement's job gets keep the savepoints of
      // jobs submitted as statements restorable, and are as stable (same statement, same ids).
      await run("SET 'table.exec.uid.generation' = 'DISABLED'");
      return await run(`EXECUTE PLAN ${sqlString(`file://${executed}`)}`);
    } finally {
      rmSync(compiled, { force: true });
      rmSync(executed, { force: true });
    }
  }

  /** Submits the script so that its job resumes from the savepoint (state and source offsets). */
  startFromSavepoint(
    script: string,
    savepointPath: string,
    opts: Omit<SubmitOptions, 'savepointPath'> = {},
  ): Promise<string> {
    return this.submitScript(script, { ...opts, savepointPath });
  }

  /**
   * Stops the job gracefully with a savepoint and returns its location (a file:// URI or path);
   * the job ends FINISHED. `targetDirectory` defaults to the cluster's savepoint directory.
   */
  async stopWithSavepoint(
    jobId: string,
    opts: { targetDirectory?: string; timeoutMs?: number } = {},
  ): Promise<string> {
    const { state } = await this.jobManager.job(jobId);
    if (state !== 'RUNNING') {
      throw new FlinkJobError(jobId, `is ${state}, not RUNNING: there is nothing to stop`);
    }
    const location = await this.jobManager.stopWithSavepoint(jobId, opts);
    await this.jobManager.waitForState(jobId, ['FINISHED'], opts.timeoutMs ?? 60000);
    return location;
  }

  /** Cancels the job (no savepoint) and waits until it is CANCELED. */
  async cancel(jobId: string, timeoutMs = 60000): Promise<void> {
    const { state } = await this.jobManager.job(jobId);
    if (['CANCELED', 'FINISHED', 'FAILED'].includes(state)) return;
    await this.jobManager.cancel(jobId);
    await this.jobManager.waitForState(jobId, ['CANCELED'], timeoutMs);
  }

  async status(jobId: string): Promise<JobStatus> {
    const job: JobDetail = await this.jobManager.job(jobId);
    const status: JobStatus = {
      jobId: job.jid,
      name: job.name,
      state: job.state,
      startTime: job['start-time'],
      durationMs: job.duration,
      vertices: job.vertices.map((v) => ({
        name: v.name,
        status: v.status,
        recordsIn: v.metrics['read-records'],
        recordsOut: v.metrics['write-records'],
      })),
    };
    if (['FAILED', 'FAILING', 'RESTARTING'].includes(job.state)) {
      const ex = await this.jobManager.exceptions(jobId).catch(() => undefined);
      if (ex?.rootException) status.failure = rootCause(ex.rootException);
    }
    return status;
  }

  /**
   * Waits until the job and every one of its tasks are RUNNING (a savepoint can only be taken
   * then); fails early if the job ends.
   */
  async waitUntilRunning(jobId: string, timeoutMs = 60000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.jobManager.waitForState(jobId, ['RUNNING'], Math.max(deadline - Date.now(), 1));
      const job = await this.jobManager.job(jobId);
      if (job.state === 'RUNNING' && job.vertices.every((v) => v.status === 'RUNNING')) return;
      if (Date.now() > deadline) {
        throw new FlinkTimeoutError(
          `the tasks of job ${jobId} are not all RUNNING after ${timeoutMs / 1000}s`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
