import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { createControlApiKey } from '@fstore/control-store';
import { ProcessStatus, StackComponent, StackContext } from './component';
import { ensureDir, runningPid, spawnDaemon, stopProcess, waitUntil } from './processes';
import { ownByServiceUser } from './service-user';
import { storedSecret, storeSecret } from './secrets';

const PROCESS = 'control-plane';
/** The operator key of the local stack: the CLI and the Airflow DAGs read it from secrets.env. */
const LOCAL_KEY = 'FSTORE_API_KEY';

async function ready(url: string): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
}

/**
 * The control plane (apps/control-plane): admin API, operation worker and reconciler in one
 * process; its tables are migrated at start.
 */
export class ControlPlaneComponent implements StackComponent {
  readonly name = 'control-plane';
  readonly dependsOn = ['postgres', 'redis', 'flink', 'livy'] as const;

  processNames(): string[] {
    return [PROCESS];
  }

  async install(): Promise<void> {}

  private url(ctx: StackContext, path: string): string {
    return `${ctx.config.control.url}${path}`;
  }

  async start(ctx: StackContext): Promise<number> {
    if (runningPid(ctx.paths, PROCESS) !== undefined) return 0;
    // The web console it serves under /console/ is built from apps/console (esbuild, < 1 s).
    const { buildConsole } = await import('../console/build-console');
    await buildConsole(ctx.log);
    // Where its runs write the definitions export they give a batch job (runs/definitions-arg.ts).
    ownByServiceUser(ensureDir(ctx.paths.data('definitions')));
    spawnDaemon(ctx.paths, {
      name: PROCESS,
      command: process.execPath,
      args: [join(PROJECT_ROOT, 'bin/app.js'), 'control-plane'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    return 1;
  }

  async ready(ctx: StackContext): Promise<void> {
    await waitUntil('control plane', () => ready(this.url(ctx, '/health/ready')), {
      timeoutMs: 60000,
      logFile: ctx.paths.logFile(PROCESS),
      intervalMs: 500,
    });
    await this.ensureLocalApiKey(ctx);
  }

  /**
   * Issues the local stack's operator key once (kept in secrets.env like the other generated
   * secrets), and again if the control plane no longer knows it (its database was reset). A key
   * given in the environment is the operator's own and left alone.
   */
  private async ensureLocalApiKey(ctx: StackContext): Promise<void> {
    if (process.env[LOCAL_KEY]) return;
    const stored = storedSecret(ctx.config.stackDir, LOCAL_KEY);
    if (stored) {
      const res = await fetch(this.url(ctx, '/v1/jobs'), {
        headers: { authorization: `Bearer ${stored}` },
        signal: AbortSignal.timeout(5000),
      });
      if (res.status !== 401) return;
    }
    const key = await createControlApiKey(ctx.config, 'local-stack', 'operator');
    storeSecret(ctx.config.stackDir, LOCAL_KEY, key);
    ctx.log(`control-plane: operator API key "local-stack" issued into secrets.env (${LOCAL_KEY})`);
  }

  async status(ctx: StackContext): Promise<ProcessStatus[]> {
    let healthy = true;
    let detail: string | undefined;
    try {
      await ready(this.url(ctx, '/health/ready'));
    } catch (e) {
      healthy = false;
      detail = (e as Error).message;
    }
    return [
      {
        component: this.name,
        process: PROCESS,
        pid: runningPid(ctx.paths, PROCESS),
        address: this.url(ctx, '/docs'),
        healthy,
        detail,
      },
    ];
  }

  async stop(ctx: StackContext): Promise<void> {
    await stopProcess(ctx.paths, PROCESS);
  }
}
