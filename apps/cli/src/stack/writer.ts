import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { ProcessStatus, StackComponent, StackContext } from './component';
import { httpOk, probe, runningPid, spawnDaemon, stopProcess, waitUntil } from './processes';

const PROCESS = 'feature-writer';

/** The stream-cache writer (apps/feature-writer): feature changelogs → Redis Cluster. */
export class WriterComponent implements StackComponent {
  readonly name = 'writer';
  readonly dependsOn = ['redis', 'kafka'] as const;

  processNames(): string[] {
    return [PROCESS];
  }

  async install(): Promise<void> {}

  private url(ctx: StackContext, path: string): string {
    return `http://${ctx.config.host}:${ctx.config.writer.metricsPort}${path}`;
  }

  async start(ctx: StackContext): Promise<number> {
    if (runningPid(ctx.paths, PROCESS) !== undefined) return 0;
    spawnDaemon(ctx.paths, {
      name: PROCESS,
      command: process.execPath,
      args: [join(PROJECT_ROOT, 'bin/app.js'), 'feature-writer'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    return 1;
  }

  async ready(ctx: StackContext): Promise<void> {
    await waitUntil('feature writer', () => httpOk(this.url(ctx, '/health/ready')), {
      timeoutMs: 60000,
      logFile: ctx.paths.logFile(PROCESS),
      intervalMs: 500,
    });
  }

  async status(ctx: StackContext): Promise<ProcessStatus[]> {
    const { healthy, detail } = await probe(() => httpOk(this.url(ctx, '/health/ready')));
    return [
      {
        component: this.name,
        process: PROCESS,
        pid: runningPid(ctx.paths, PROCESS),
        address: this.url(ctx, '/metrics'),
        healthy,
        detail,
      },
    ];
  }

  async stop(ctx: StackContext): Promise<void> {
    await stopProcess(ctx.paths, PROCESS);
  }
}
