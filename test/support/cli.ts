import { spawnSync } from 'child_process';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';

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
