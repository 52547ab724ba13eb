import { spawnSync } from 'child_process';
import { join } from 'path';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { StackPaths } from '../../apps/cli/src/stack/processes';
import { stopSupervisor } from '../../apps/cli/src/stack/supervisor';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `fstore` command of this checkout. */
export function fstore(...args: string[]): CliResult {
  const res = spawnSync('node', [join(PROJECT_ROOT, 'bin/fstore.js'), ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 300000,
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/**
 * Stops the local stack's supervisor, for a test that kills a process and needs it to stay down
 * (the supervisor restarts a dead process within two check intervals); `fstore stack up` starts
 * the supervisor again.
 */
export async function stopStackSupervisor(): Promise<void> {
  const config = loadConfig();
  await stopSupervisor({ config, paths: new StackPaths(config.stackDir), log: () => undefined });
}
