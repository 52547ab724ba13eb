import {
  backfillDay,
  type Accepted,
  type ControlPlaneClient,
  type Deployment,
  type Operation,
  type Run,
} from '@fstore/client';
import { useState } from 'preact/hooks';
import { call, canOperate, describeError, type Role } from '../api';
import { duration, when } from '../format';
import { useApi } from '../hooks';
import { Confirm, Problem, Scroll } from './parts';

type Action = 'pause' | 'resume' | 'cancel';
const NEEDS_OPERATOR = 'Needs the operator role';

/** Follows an accepted operation until it ends, reporting each status it passes. */
async function follow(accepted: Accepted, report: (op: Operation) => void): Promise<Operation> {
  for (;;) {
    const op = await call((c) => c.getOperation(accepted.operation_id));
    report(op);
    if (op.status === 'succeeded' || op.status === 'failed') return op;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** An operation's status line; a running backfill also says which day it is at. */
function operationStep(op: Operation): string {
  const day = backfillDay(op);
  return `${op.status}${day ? `, ${day}` : ''} (operation ${op.id})`;
}

/** Streaming deployments (operate them) and batch runs (start one), refreshed while open. */
export function JobsPage({ role }: { role: Role }) {
  const operator = canOperate(role);
  const deployments = useApi((c) => c.listDeployments({ live: true }), [], 5000);
  const runs = useApi((c) => c.listRuns({ limit: 20 }), [], 5000);
  const jobs = useApi((c) => c.listJobs(), []);
  const [progress, setProgress] = useState<string>();
  const [error, setError] = useState<string>();
  const [asking, setAsking] = useState<{ deployment: Deployment; action: Action }>();
  const [upgrading, setUpgrading] = useState<{ deployment: Deployment; version: number }>();

  /** Sends the request and follows its operation; whether the operation succeeded. */
  const start = async (
    what: string,
    request: (c: ControlPlaneClient) => Promise<Accepted>,
  ): Promise<boolean> => {
    setError(undefined);
    setProgress(`${what}: sending…`);
    let succeeded = false;
    try {
      const accepted = await call(request);
      const op = await follow(accepted, (o) => setProgress(`${what}: ${operationStep(o)}`));
      if (op.status === 'failed') setError(`${what} failed: ${op.error ?? 'no reason given'}`);
      succeeded = op.status === 'succeeded';
    } catch (e) {
      setProgress(undefined);
      setError(`${what}: ${describeError(e)}`);
    }
    deployments.reload();
    runs.reload();
    return succeeded;
  };

  const act = (d: Deployment, action: Action) => {
    const what = `${action} ${d.job} (deployment ${d.id.slice(0, 8)})`;
    const request = {
      pause: (c: ControlPlaneClient) => c.pause(d.id),
      resume: (c: ControlPlaneClient) => c.resume(d.id),
      cancel: (c: ControlPlaneClient) => c.cancel(d.id),
    }[action];
    void start(what, request);
  };

  const streamJobs = (jobs.data ?? []).filter((j) => j.kind === 'flink-sql');
  const batchJobs = (jobs.data ?? []).filter((j) => j.kind === 'pyspark');

  const deploy = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const job = (form.elements.namedItem('deploy_job') as HTMLSelectElement).value;
    const version = Number((form.elements.namedItem('deploy_version') as HTMLInputElement).value);
    void start(`deploy ${job} v${version}`, (c) => c.deploy(job, version));
  };
  const askUpgrade = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const id = (form.elements.namedItem('upgrade_deployment') as HTMLSelectElement).value;
    const version = Number((form.elements.namedItem('upgrade_version') as HTMLInputElement).value);
    const deployment = (deployments.data ?? []).find((d) => d.id === id);
    if (deployment) setUpgrading({ deployment, version });
  };
  /**
   * One operation of the control plane: a run a day of the range, each started once the one
   * before it has succeeded (the range is checked there: a refusal names the date).
   */
  const backfill = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const job = (form.elements.namedItem('backfill_job') as HTMLSelectElement).value;
    const from = (form.elements.namedItem('backfill_from') as HTMLInputElement).value;
    const to = (form.elements.namedItem('backfill_to') as HTMLInputElement).value;
    void start(`backfill ${job} ${from} to ${to}`, (c) => c.backfill(job, { from, to }));
  };
  const trigger = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const job = (form.elements.namedItem('run_job') as HTMLSelectElement).value;
    const asOf = (form.elements.namedItem('run_as_of') as HTMLInputElement).value;
    const args = (form.elements.namedItem('run_args') as HTMLInputElement).value
      .split(/\s+/)
      .filter(Boolean);
    void start(`run ${job}`, (c) =>
      c.triggerRun(job, { ...(asOf ? { as_of: asOf } : {}), ...(args.length ? { args } : {}) }),
    );
  };

  return (
    <>
      <h1>Jobs</h1>
      {!operator && <p class="notice">You are signed in as a {role}: you can look, not operate.</p>}
      <p class="progress" role="status" aria-live="polite" data-testid="progress">
        {progress}
      </p>
      <Problem error={error} />
      {asking && (
        <Confirm
          question={`Cancel ${asking.deployment.job} (deployment ${asking.deployment.id.slice(0, 8)})? It stops with a savepoint; deploying again starts a new deployment.`}
          confirmLabel="Cancel the deployment"
          onAnswer={(yes) => {
            const { deployment, action } = asking;
            setAsking(undefined);
            if (yes) act(deployment, action);
          }}
        />
      )}

      {upgrading && (
        <Confirm
          question={`Upgrade ${upgrading.deployment.job} (deployment ${upgrading.deployment.id.slice(0, 8)}) from version ${upgrading.deployment.version} to ${upgrading.version}? It stops with a savepoint and starts version ${upgrading.version} from it.`}
          confirmLabel="Upgrade the deployment"
          onAnswer={(yes) => {
            const { deployment, version } = upgrading;
            setUpgrading(undefined);
            if (yes) {
              void start(`upgrade ${deployment.job} to v${version}`, (c) =>
                c.upgrade(deployment.id, version),
              );
            }
          }}
        />
      )}

      <h2>Streaming deployments</h2>
      <Problem error={deployments.error} />
      <Scroll label="Streaming deployments">
        <table>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Version</th>
              <th scope="col">Desired</th>
              <th scope="col">Observed</th>
              <th scope="col">Drift</th>
              <th scope="col">Restarts</th>
              <th scope="col">Last savepoint</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {(deployments.data ?? []).map((d) => {
              const busy = d.pending_operation_id !== null;
              const button = (action: Action, label: string, enabled: boolean) => (
                <button
                  type="button"
                  class={action === 'cancel' ? 'danger' : undefined}
                  disabled={!operator || !enabled || busy}
                  title={!operator ? NEEDS_OPERATOR : undefined}
                  aria-label={`${label} ${d.job}`}
                  onClick={() =>
                    action === 'cancel' ? setAsking({ deployment: d, action }) : act(d, action)
                  }
                >
                  {label}
                </button>
              );
              return (
                <tr key={d.id} data-deployment={d.id}>
                  <th scope="row">
                    {d.job} <code class="id">{d.id.slice(0, 8)}</code>
                  </th>
                  <td>{d.version}</td>
                  <td data-testid="desired">{d.desired_state}</td>
                  <td data-testid="observed">
                    {d.observed_state}
                    {d.stale ? ' (stale)' : ''}
                  </td>
                  <td>{d.drift ?? '—'}</td>
                  <td>{d.restarts}</td>
                  <td>{d.last_savepoint ? <code>{d.last_savepoint}</code> : '—'}</td>
                  <td class="actions">
                    {button('pause', 'Pause', d.desired_state === 'running')}
                    {button('resume', 'Resume', d.desired_state === 'paused')}
                    {button('cancel', 'Cancel', d.desired_state !== 'cancelled')}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Scroll>
      <form class="inline" onSubmit={deploy} aria-label="Deploy a streaming job">
        <label>
          Job
          <select name="deploy_job" required disabled={!operator}>
            {streamJobs.map((j) => (
              <option key={j.name}>{j.name}</option>
            ))}
          </select>
        </label>
        <label>
          Version
          <input
            name="deploy_version"
            type="number"
            min={1}
            required
            value="1"
            disabled={!operator}
          />
        </label>
        <button type="submit" disabled={!operator} title={!operator ? NEEDS_OPERATOR : undefined}>
          Deploy
        </button>
      </form>

      <form class="inline" onSubmit={askUpgrade} aria-label="Upgrade a streaming deployment">
        <label>
          Deployment
          <select name="upgrade_deployment" required disabled={!operator}>
            {(deployments.data ?? [])
              .filter((d) => d.desired_state === 'running')
              .map((d) => (
                <option key={d.id} value={d.id}>
                  {d.job} {d.id.slice(0, 8)} (v{d.version})
                </option>
              ))}
          </select>
        </label>
        <label>
          To version
          <input
            name="upgrade_version"
            type="number"
            min={1}
            required
            value="2"
            disabled={!operator}
          />
        </label>
        <button type="submit" disabled={!operator} title={!operator ? NEEDS_OPERATOR : undefined}>
          Upgrade
        </button>
      </form>

      <h2>Batch runs</h2>
      <Problem error={runs.error} />
      <form class="inline" onSubmit={trigger} aria-label="Start a batch run">
        <label>
          Job
          <select name="run_job" required disabled={!operator}>
            {batchJobs.map((j) => (
              <option key={j.name}>{j.name}</option>
            ))}
          </select>
        </label>
        <label>
          As of (optional)
          <input name="run_as_of" type="date" disabled={!operator} />
        </label>
        <label>
          Arguments (optional)
          <input name="run_args" placeholder="--table db.t" disabled={!operator} />
        </label>
        <button type="submit" disabled={!operator} title={!operator ? NEEDS_OPERATOR : undefined}>
          Start run
        </button>
      </form>
      <form class="inline" onSubmit={backfill} aria-label="Backfill a batch job over a date range">
        <label>
          Job
          <select name="backfill_job" required disabled={!operator}>
            {batchJobs.map((j) => (
              <option key={j.name}>{j.name}</option>
            ))}
          </select>
        </label>
        <label>
          From
          <input name="backfill_from" type="date" required disabled={!operator} />
        </label>
        <label>
          To
          <input name="backfill_to" type="date" required disabled={!operator} />
        </label>
        <button
          type="submit"
          disabled={!operator}
          title={
            !operator
              ? NEEDS_OPERATOR
              : 'One run a day, each as of its day; stops at the first that fails'
          }
        >
          Backfill
        </button>
      </form>
      <Scroll label="Batch runs">
        <table>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Duration</th>
              <th scope="col">Error / log tail</th>
            </tr>
          </thead>
          <tbody>
            {(runs.data ?? []).map((r) => (
              <RunRow key={r.id} run={r} />
            ))}
          </tbody>
        </table>
      </Scroll>
    </>
  );
}

function RunRow({ run: r }: { run: Run }) {
  // Livy has a log once the run has started (queued runs have none yet).
  const started = r.state !== 'queued' && r.state !== 'starting';
  return (
    <tr data-run={r.id}>
      <th scope="row">
        {r.job} <code class="id">{r.id.slice(0, 8)}</code>
      </th>
      <td data-testid="run-state">{r.state}</td>
      <td>{when(r.created_at)}</td>
      <td>{duration(r.started_at, r.finished_at)}</td>
      <td>
        {r.error && <p class="error-text">{r.error}</p>}
        {started ? <LogTail id={r.id} /> : !r.error && '—'}
      </td>
    </tr>
  );
}

/**
 * A run's log tail, read when opened: the list of runs does not carry it (GET /v1/runs/{id}
 * does), so twenty rows refreshed every 5 s do not fetch twenty logs.
 */
function LogTail({ id }: { id: string }) {
  const [tail, setTail] = useState<string>();
  const [error, setError] = useState<string>();
  const load = (open: boolean) => {
    if (!open) return;
    setError(undefined);
    call((c) => c.getRun(id)).then(
      (run) => setTail(run.log_tail ?? ''),
      (e: unknown) => setError(describeError(e)),
    );
  };
  return (
    <details onToggle={(e) => load((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>Log tail</summary>
      {error ? (
        <p class="error-text">{error}</p>
      ) : (
        <pre data-testid="log-tail">{tail === undefined ? 'loading…' : tail || '(empty)'}</pre>
      )}
    </details>
  );
}
