import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { ProcessStatus, StackComponent, StackContext } from './component';
import { runningPid, spawnDaemon, stopProcess, waitUntil } from './processes';

const PROCESS = 'control-plane';

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
