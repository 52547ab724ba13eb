import { Command } from 'commander';
import { randomUUID } from 'crypto';
import { ApiError, ApiUnavailableError, backfillDay, ControlPlaneClient } from '@fstore/client';
import { loadConfig } from '@fstore/config';
import { isoDate, isoTime, jobName, keyValue, keyValues, positiveInt, uuid } from '../options';
import { formatTable } from '../format-table';

/** A failed call to the control plane, with its error body. */
export class ControlPlaneError extends Error {}

export type Json = Record<string, unknown>;

/** The control plane's client with the configured URL and key (FSTORE_API_KEY). */
export function controlPlane(): ControlPlaneClient {
  const { control } = loadConfig();
  if (!control.apiKey) {
    throw new ControlPlaneError('set FSTORE_API_KEY (fstore apikeys create --role …)');
  }
  return new ControlPlaneClient({ baseUrl: control.url, apiKey: control.apiKey, timeoutMs: 30000 });
}

/**
 * One call to the control plane's API through @fstore/client; a non-2xx answer throws a
 * ControlPlaneError with the error body. `idempotent`: one Idempotency-Key per command
 * invocation, so the client may retry it and a retried request is the same operation.
 */
export async function call(
  method: string,
  path: string,
  body?: Json,
  idempotent = false,
): Promise<Json> {
  const client = controlPlane();
  try {
    return await client.request<Json>(method, path, {
      body,
      ...(idempotent ? { headers: { 'idempotency-key': randomUUID() }, idempotent: true } : {}),
    });
  } catch (e) {
    if (e instanceof ApiError) {
      const detail = e.errorDetail ? ` ${JSON.stringify(e.errorDetail)}` : '';
      throw new ControlPlaneError(`${e.status} ${e.errorMessage}${detail}`);
    }
    if (e instanceof ApiUnavailableError)
      throw new ControlPlaneError(`control plane at ${e.message}`);
    throw e;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The step lines of a followed operation: one when its status changes (`operation 12 (deploy
 * orders): running (3 s)`), and every `everyMs` while it stays the same, so that a wait is never
 * silent.
 */
export function operationSteps(
  log: (line: string) => void,
  now: () => number = Date.now,
  everyMs = 30_000,
): (op: Json) => void {
  const started = now();
  let step: string | undefined;
  let said = started;
  return (op) => {
    const t = now();
    // A backfill also says which day it is at.
    const day = backfillDay(op);
    const current = `${String(op.status)}${day ? `, ${day}` : ''}`;
    if (current === step && t - said < everyMs) return;
    const still = current === step ? 'still ' : '';
    step = current;
    said = t;
    const what = op.kind
      ? ` (${String(op.kind)} ${String(op.target ?? '')})`.replace(' )', ')')
      : '';
    const attempt = Number(op.attempts) > 1 ? `, attempt ${String(op.attempts)}` : '';
    const secs = Math.round((t - started) / 1000);
    log(`operation ${String(op.id)}${what}: ${still}${current}${attempt} (${secs} s)`);
  };
}

/** Where the step lines of a wait go: stderr, unless --quiet. */
const stepLog = (line: string) => process.stderr.write(`[fstore] ${line}\n`);

/**
 * Follows an operation until it ends (with --wait), or until `timeoutMs` has passed; its steps go
 * to `log` (stderr by default; undefined: none).
 */
export async function follow(
  accepted: Json,
  wait: boolean,
  timeoutMs = 600000,
  log: ((line: string) => void) | undefined = stepLog,
): Promise<Json> {
  if (!wait) return accepted;
  const deadline = Date.now() + timeoutMs;
  const steps = log ? operationSteps(log) : undefined;
  for (;;) {
    const op = await call('GET', `/v1/operations/${String(accepted.operation_id)}`);
    steps?.(op);
    if (op.status === 'succeeded') return op;
    if (op.status === 'failed')
      throw new ControlPlaneError(`operation failed: ${String(op.error)}`);
    if (Date.now() > deadline) {
      throw new ControlPlaneError(
        `operation ${String(accepted.operation_id)} still ${String(op.status)} after ${timeoutMs / 1000}s`,
      );
    }
    await sleep(1000);
  }
}

function table(rows: Json[], columns: string[]): string {
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
  return formatTable(
    columns,
    rows.map((r) => columns.map((c) => cell(r[c]))),
  );
}

const print = (v: unknown) => console.log(typeof v === 'string' ? v : JSON.stringify(v, null, 2));

/** `fstore jobs …`: the control plane's admin API from the command line (FSTORE_API_KEY). */
export function jobsCommand(): Command {
  const jobs = new Command('jobs').description(
    'Jobs on the control plane (FSTORE_CONTROL_URL, key in FSTORE_API_KEY)',
  );

  jobs
    .command('list')
    .description('Jobs, with their live deployments')
    .action(async () => {
      const [{ jobs: list }, { deployments }] = await Promise.all([
        call('GET', '/v1/jobs'),
        call('GET', '/v1/deployments?live=true'),
      ]);
      const live = new Map((deployments as Json[]).map((d) => [d.job, d]));
      const rows = (list as Json[]).map((j) => {
        const d = live.get(j.name);
        return {
          name: j.name,
          kind: j.kind,
          deployment: d?.id,
          version: d?.version,
          desired: d?.desired_state,
          observed: d?.observed_state,
          observed_at: d?.observed_at,
          drift: d?.drift,
        };
      });
      print(
        table(rows, [
          'name',
          'kind',
          'deployment',
          'version',
          'desired',
          'observed',
          'observed_at',
          'drift',
        ]),
      );
    });

  jobs
    .command('register')
    .argument('<name>', 'job name', jobName)
    .argument('<source>')
    .description('Register a job (or its next version) from flink-sql/ or spark-jobs/')
    .option('--param <KEY=VALUE...>', 'placeholder values / parameters', keyValue, [])
    .action(async (name: string, source: string, opts: { param: string[] }) => {
      const parameters = keyValues(opts.param);
      const kind = source.endsWith('.py') ? 'pyspark' : 'flink-sql';
      const exists = await call('GET', `/v1/jobs/${encodeURIComponent(name)}`).catch(() => null);
      print(
        exists
          ? await call('POST', `/v1/jobs/${encodeURIComponent(name)}/versions`, {
              source,
              parameters,
            })
          : await call('POST', '/v1/jobs', { name, kind, source, parameters }),
      );
    });

  const withWait = (c: Command) =>
    c
      .option('--wait', 'wait until the operation ends (its steps on stderr)')
      .option('--quiet', 'with --wait: no step lines');

  withWait(
    jobs
      .command('deploy')
      .argument('<name>', 'job name', jobName)
      .description('Deploy a version of a streaming job (default: the latest)')
      .option('--version <n>', 'job version', positiveInt),
  ).action(async (name: string, opts: { version?: number; wait?: boolean; quiet?: boolean }) => {
    let version = opts.version;
    if (version === undefined) {
      const job = await call('GET', `/v1/jobs/${encodeURIComponent(name)}`);
      version = Math.max(...(job.versions as Json[]).map((v) => Number(v.version)));
    }
    const accepted = await call(
      'POST',
      `/v1/jobs/${encodeURIComponent(name)}/deployments`,
      { version },
      true,
    );
    print(await follow(accepted, Boolean(opts.wait), undefined, opts.quiet ? undefined : stepLog));
  });

  const liveDeployment = async (name: string): Promise<string> => {
    const job = await call('GET', `/v1/jobs/${encodeURIComponent(name)}`);
    if (!job.live_deployment_id) throw new ControlPlaneError(`job ${name} has no live deployment`);
    return String(job.live_deployment_id);
  };

  for (const action of ['pause', 'resume', 'recover', 'cancel'] as const) {
    withWait(
      jobs
        .command(action)
        .argument('<name>', 'job name', jobName)
        .description(
          action === 'recover'
            ? "Start the live deployment's job that Flink no longer knows again, from its newest retained checkpoint or savepoint"
            : `${action} the job's live deployment`,
        ),
    ).action(async (name: string, opts: { wait?: boolean; quiet?: boolean }) => {
      const id = await liveDeployment(name);
      const accepted = await call('POST', `/v1/deployments/${id}/${action}`, {}, true);
      print(
        await follow(accepted, Boolean(opts.wait), undefined, opts.quiet ? undefined : stepLog),
      );
    });
  }

  withWait(
    jobs
      .command('upgrade')
      .argument('<name>', 'job name', jobName)
      .argument('<version>', 'job version', positiveInt)
      .description('Upgrade the running deployment to another version through a savepoint'),
  ).action(async (name: string, version: number, opts: { wait?: boolean; quiet?: boolean }) => {
    const id = await liveDeployment(name);
    const accepted = await call('POST', `/v1/deployments/${id}/upgrade`, { version }, true);
    print(await follow(accepted, Boolean(opts.wait), undefined, opts.quiet ? undefined : stepLog));
  });

  withWait(
    jobs
      .command('run')
      .argument('<name>', 'job name', jobName)
      .description('Trigger a batch run of a PySpark job through Livy')
      .option('--as-of <time>', 'as-of time T (ISO-8601)', isoTime)
      .option('--version <n>', 'job version (default: the latest)', positiveInt)
      .option('--arg <value...>', 'more arguments', []),
  ).action(
    async (
      name: string,
      opts: { asOf?: string; version?: number; arg: string[]; wait?: boolean; quiet?: boolean },
    ) => {
      const body: Json = { args: opts.arg };
      if (opts.asOf) body.as_of = opts.asOf;
      if (opts.version !== undefined) body.version = opts.version;
      const accepted = await call('POST', `/v1/jobs/${encodeURIComponent(name)}/runs`, body, true);
      print(
        await follow(accepted, Boolean(opts.wait), undefined, opts.quiet ? undefined : stepLog),
      );
    },
  );

  withWait(
    jobs
      .command('backfill')
      .argument('<name>', 'job name', jobName)
      .description(
        'One run a day from --from to --to, each as of its day (00:00 UTC), one after the other; stops at the first that fails',
      )
      .requiredOption('--from <date>', 'first day (YYYY-MM-DD)', isoDate)
      .requiredOption('--to <date>', 'last day, included (YYYY-MM-DD)', isoDate)
      .option('--version <n>', 'job version (default: the latest)', positiveInt)
      .option('--arg <value...>', "more arguments for every day's run", []),
  ).action(
    async (
      name: string,
      opts: {
        from: string;
        to: string;
        version?: number;
        arg: string[];
        wait?: boolean;
        quiet?: boolean;
      },
    ) => {
      const body: Json = { from: opts.from, to: opts.to, args: opts.arg };
      if (opts.version !== undefined) body.version = opts.version;
      const accepted = await call(
        'POST',
        `/v1/jobs/${encodeURIComponent(name)}/backfills`,
        body,
        true,
      );
      // A day's run takes minutes: a month of them, hours.
      const timeoutMs = 6 * 3600_000;
      print(
        await follow(accepted, Boolean(opts.wait), timeoutMs, opts.quiet ? undefined : stepLog),
      );
    },
  );

  jobs
    .command('runs')
    .argument('[name]', 'job name', jobName)
    .description('Batch runs (newest first); with --id, one run and its log')
    .option('--id <run id>', 'one run, with its log tail (a UUID)', uuid)
    .action(async (name: string | undefined, opts: { id?: string }) => {
      if (opts.id) {
        const run = await call('GET', `/v1/runs/${encodeURIComponent(opts.id)}`);
        const { log_tail: log, ...rest } = run;
        print(rest);
        if (log) console.log(`--- log ---\n${String(log)}`);
        return;
      }
      const q = name ? `?job=${encodeURIComponent(name)}` : '';
      const { runs } = await call('GET', `/v1/runs${q}`);
      print(
        table(runs as Json[], [
          'id',
          'job',
          'version',
          'state',
          'as_of',
          'livy_batch_id',
          'started_at',
          'finished_at',
        ]),
      );
    });

  return jobs;
}
