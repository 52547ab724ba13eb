import { execFile, spawnSync } from 'child_process';
import type { IngestSummary } from '@fstore/ingest';
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
  return fstoreWithEnv({}, ...args);
}

/** Runs the real `fstore` command with settings of its own (e.g. a stack of its own). */
export function fstoreWithEnv(env: Record<string, string>, ...args: string[]): CliResult {
  const res = spawnSync('node', [join(PROJECT_ROOT, 'bin/fstore.js'), ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 300000,
    env: { ...process.env, ...env },
  });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/**
 * `fstore produce --json` of one file, as a process of its own; resolves to its summary or
 * rejects with its output. Tests produce through the CLI: the producer's Kafka client is an ES
 * module, which jest's module registry cannot load in-process.
 */
export function produceFile(opts: {
  file: string;
  topic: string;
  dlqTopic: string;
  checkpointDir: string;
  args?: string[];
}): Promise<IngestSummary> {
  const args = ['produce', '--file', opts.file, '--topic', opts.topic];
  args.push('--dlq-topic', opts.dlqTopic, '--checkpoint-dir', opts.checkpointDir, '--json');
  return new Promise((resolve, reject) =>
    execFile(
      'node',
      [join(PROJECT_ROOT, 'bin/fstore.js'), ...args, ...(opts.args ?? [])],
      { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 300000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`fstore produce failed (${error.message}): ${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as IngestSummary);
      },
    ),
  );
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
