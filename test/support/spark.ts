import { spawn } from 'child_process';
import { writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { LivyBatchesClient } from '@fstore/livy';
import { sparkHome, sparkProcessOptions } from '../../apps/cli/src/stack/spark';
import { StackContext } from '../../apps/cli/src/stack/component';

/** spark-submit of a script in a fresh Spark process; resolves with its stdout. */
export function sparkSubmit(ctx: StackContext, script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // As Livy's batches run (the service user when root): the warehouse's files stay theirs.
    const child = spawn(join(sparkHome(), 'bin', 'spark-submit'), [script, ...args], {
      ...sparkProcessOptions(ctx),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else {
        // Spark's own log lines are noise: keep the rest (Python's traceback), save everything.
        const file = join(tmpdir(), `fstore-spark-submit-${Date.now()}.log`);
        writeFileSync(file, `${out}\n--- stderr\n${err}`);
        const lines = err.split('\n').filter((l) => !/^\d\d\/\d\d\/\d\d \S+ (INFO|WARN) /.test(l));
        const tail = [...lines.slice(-40), '--- stdout', ...out.split('\n').slice(-10)].join('\n');
        reject(new Error(`spark-submit ${script} exited ${code} (full output: ${file}):\n${tail}`));
      }
    });
  });
}

/** The JSON of every log line of a finished Livy batch that starts with `prefix`. */
export async function batchOutput<T>(
  livy: LivyBatchesClient,
  id: number,
  prefix: string,
): Promise<T[]> {
  const state = await livy.waitForCompletion(id, { timeoutMs: 600000, pollMs: 2000 });
  const log = await livy.fullLog(id);
  if (state !== 'success') throw new Error(`batch ${id} ended ${state}:\n${log.join('\n')}`);
  const lines = log.filter((l) => l.startsWith(prefix));
  if (lines.length === 0) throw new Error(`batch ${id}: no ${prefix.trim()} line in its log`);
  return lines.map((l) => JSON.parse(l.slice(prefix.length)) as T);
}
