import { spawnSync } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { AuditOutcome, npmAuditOutcome, pipAuditOutcome } from './dependency-audit';
import { validateProductionShape } from './k8s/validate';
import { airflowTestEnv, airflowVenv, migrateTestDatabase } from './stack/airflow';
import { stackContext, stackUp } from './stack/stack';

const VENV = join(PROJECT_ROOT, '.venv');
const venvBin = (tool: string) => join(VENV, 'bin', tool);

function step(
  log: (m: string) => void,
  title: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  log(`── ${title}: ${command} ${args.join(' ')}`);
  const res = spawnSync(command, args, { cwd: PROJECT_ROOT, stdio: 'inherit', env });
  return res.status === 0;
}

/**
 * One dependency audit: the tool's JSON report judged by `judge`; the result's name says when the
 * advisory service did not answer (not run), which does not fail the suite (docs/security.md).
 */
function auditStep(
  log: (m: string) => void,
  title: string,
  command: string,
  args: string[],
  judge: (output: string) => AuditOutcome,
): [string, boolean] {
  log(`── ${title}: ${command} ${args.join(' ')}`);
  const res = spawnSync(command, args, {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 300_000,
  });
  const outcome = judge(res.stdout ?? '');
  log(`${title}: ${outcome.verdict}: ${outcome.detail}`);
  const name = outcome.verdict === 'unavailable' ? `${title} (not run: ${outcome.detail})` : title;
  return [name, outcome.verdict !== 'fail'];
}

/** The project's Python virtual environment (ruff, pytest), created on first use. */
function ensureVenv(log: (m: string) => void): boolean {
  if (!existsSync(venvBin('python'))) {
    if (!step(log, 'python venv', 'python3', ['-m', 'venv', VENV])) return false;
  }
  return step(log, 'python tools', venvBin('pip'), ['install', '-q', '-r', 'requirements-dev.txt']);
}

/** The whole test suite; returns the exit code. Brings up the services the tests talk to. */
export async function runTests(log: (m: string) => void): Promise<number> {
  const ctx = stackContext(log);
  await stackUp(ctx, []);
  const results: [string, boolean][] = [];
  results.push([
    'typecheck',
    step(log, 'typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']),
  ]);
  results.push([
    'typecheck console',
    step(log, 'typecheck console', 'npx', ['tsc', '-p', 'apps/console/tsconfig.json']),
  ]);
  results.push(['lint', step(log, 'lint', 'npx', ['eslint', '.'])]);
  // Both APIs' OpenAPI documents: valid OpenAPI 3.1 (swagger-parser), the project's rules, and
  // the committed files (documents, client types) equal to what the apps give.
  results.push(['openapi', step(log, 'openapi', 'node', ['bin/fstore.js', 'openapi', '--check'])]);
  results.push(['format', step(log, 'format', 'npx', ['prettier', '--check', '.'])]);
  results.push([
    'alert rules',
    // promtool comes with the stack's Prometheus (the monitoring component installed it).
    step(log, 'alert rules', 'promtool', ['test', 'rules', 'monitoring/alerts.test.yml']),
  ]);
  results.push(['jest', step(log, 'jest', 'npx', ['jest', '--runInBand'])]);
  // The packages the images run (the policy's scope: runtime dependencies).
  results.push(
    auditStep(log, 'npm audit', 'npm', ['audit', '--omit=dev', '--json'], npmAuditOutcome),
  );
  const venv = ensureVenv(log);
  results.push(['python venv', venv]);
  if (venv) {
    results.push(['ruff', step(log, 'ruff', venvBin('ruff'), ['check', '.'])]);
    results.push([
      'ruff format',
      step(log, 'ruff format', venvBin('ruff'), ['format', '--check', '.']),
    ]);
    results.push(
      auditStep(
        log,
        'pip-audit',
        venvBin('pip-audit'),
        ['-l', '--format', 'json'],
        pipAuditOutcome,
      ),
    );
    // pytest exits 5 when a folder has no tests yet; that is not a failure.
    log('── pytest');
    const py = spawnSync(venvBin('pytest'), ['-q'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
    results.push(['pytest', py.status === 0 || py.status === 5]);
  }
  // The DAG tests need Airflow, which lives in its own venv (the project venv skips them), and
  // run against a SQLite home of their own, never the running stack's metadata database.
  let migrated = true;
  try {
    migrateTestDatabase(ctx);
  } catch (e) {
    log(`airflow db migrate (DAG tests' database) failed: ${(e as Error).message}`);
    migrated = false;
  }
  results.push([
    'pytest airflow-dags (Airflow venv)',
    migrated &&
      step(
        log,
        'pytest airflow-dags',
        airflowVenv(ctx).python,
        ['-m', 'pytest', '-q', 'airflow-dags'],
        { ...process.env, ...airflowTestEnv(ctx) },
      ),
  ]);
  // The production shape: k8s/overlays/production rendered and every object validated against
  // the Kubernetes schemas (the tools are built once into the cache).
  log('── k8s validate (kustomize + kubeconform)');
  let k8sValid = false;
  try {
    k8sValid = await validateProductionShape(ctx.config.cacheDir, log);
  } catch (e) {
    log(`k8s validate failed: ${(e as Error).message}`);
  }
  results.push(['k8s validate', k8sValid]);
  for (const [name, ok] of results) log(`${ok ? 'PASS' : 'FAIL'}  ${name}`);
  return results.every(([, ok]) => ok) ? 0 : 1;
}
