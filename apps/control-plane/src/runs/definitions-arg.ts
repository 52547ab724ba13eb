import { createHash } from 'crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'fs';
import { join, normalize } from 'path';
import { DEFINITIONS_JOBS, REGISTRY } from '@fstore/contracts';
import { exportDefinitions, Registry } from '@fstore/definitions';

/**
 * Writes the JSON export of the definitions (what `fstore features export` prints) to
 * `<dir>/<hash of its content>.json` unless that file exists: created atomically (a temporary file
 * renamed), mode 0644 (Spark may run as another user). Returns its path.
 */
export function writeDefinitionsExport(dir: string, registry: Registry = REGISTRY): string {
  const json = `${JSON.stringify(exportDefinitions(registry), null, 2)}\n`;
  const hash = createHash('sha256').update(json).digest('hex').slice(0, 16);
  const file = join(dir, `${hash}.json`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, json, { mode: 0o644 });
  chmodSync(tmp, 0o644); // whatever the umask
  renameSync(tmp, file);
  return file;
}

/**
 * The arguments a run of `source` is submitted with: the generic batch jobs
 * (spark-jobs/batch_features.py, spark-jobs/training_set.py) compute the definitions they are
 * given, so they get
 * `--definitions <export of the control plane's current definitions>` (under
 * `<stackDir>/data/definitions/`), added last: callers never pass it. Other jobs: unchanged.
 */
export function withDefinitionsArg(
  source: string,
  args: readonly string[],
  stackDir: string,
  registry: Registry = REGISTRY,
): string[] {
  if (!DEFINITIONS_JOBS.includes(normalize(source))) return [...args];
  const file = writeDefinitionsExport(join(stackDir, 'data', 'definitions'), registry);
  return [...args, '--definitions', file];
}
