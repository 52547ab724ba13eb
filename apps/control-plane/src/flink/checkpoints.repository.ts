import { readdir, stat } from 'fs/promises';
import { join } from 'path';
import { fileURLToPath } from 'url';

/** A state Flink can restore a job from, and when it was written. */
export interface RetainedState {
  /** What the job is submitted with (execution.savepoint.path). */
  path: string;
  kind: 'checkpoint' | 'savepoint';
  /** The modification time of its `_metadata` file, written last when Flink completes it. */
  modifiedAt: Date;
}

/**
 * The states Flink retains on its filesystem (FSTORE_FLINK_CHECKPOINT_DIR, savepoints): what the
 * recovery of a vanished job restores from. No rules here: which one to restore is the
 * executor's.
 */
export interface CheckpointsRepository {
  /**
   * The job's newest complete retained checkpoint: the `chk-<n>` with a `_metadata` file and the
   * highest n (one without it is still being written or was abandoned), if any.
   */
  latestCheckpoint(flinkJobId: string): Promise<RetainedState | undefined>;
  /**
   * The savepoint or checkpoint at that location (a deployment's last savepoint, the state its
   * job was started from), if it is still there (its `_metadata` file).
   */
  retained(location: string, kind: RetainedState['kind']): Promise<RetainedState | undefined>;
  /** Where the job's checkpoints would be, for messages. */
  checkpointsOf(flinkJobId: string): string;
}

/** Flink's `file:` URIs (file:/a, file:///a) and plain paths, as a local path. */
export function localPath(location: string): string | undefined {
  if (location.startsWith('/')) return location;
  if (!location.startsWith('file:')) return undefined; // s3://, hdfs://: not on this filesystem
  return fileURLToPath(location.replace(/^file:\/*/, 'file:///'));
}

/** Flink's job ids are 32 hex digits: nothing else becomes a path. */
const JOB_ID = /^[0-9a-f]{32}$/;

/** On the local filesystem (the stack's data folder; the flink-data volume on Kubernetes). */
export class FsCheckpointsRepository implements CheckpointsRepository {
  constructor(private readonly checkpointDir: string) {}

  checkpointsOf(flinkJobId: string): string {
    return join(this.checkpointDir, flinkJobId);
  }

  async latestCheckpoint(flinkJobId: string): Promise<RetainedState | undefined> {
    if (!JOB_ID.test(flinkJobId)) return undefined;
    const dir = this.checkpointsOf(flinkJobId);
    const numbers = (await entries(dir))
      .map((name) => /^chk-(\d+)$/.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => b - a);
    for (const n of numbers) {
      const path = join(dir, `chk-${n}`);
      const modifiedAt = await metadataTime(path);
      if (modifiedAt) return { path: `file://${path}`, kind: 'checkpoint', modifiedAt };
    }
    return undefined;
  }

  async retained(
    location: string,
    kind: RetainedState['kind'],
  ): Promise<RetainedState | undefined> {
    const path = localPath(location);
    const modifiedAt = path ? await metadataTime(path) : undefined;
    return modifiedAt && { path: location, kind, modifiedAt };
  }
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

async function metadataTime(dir: string): Promise<Date | undefined> {
  try {
    const s = await stat(join(dir, '_metadata'));
    return s.isFile() ? s.mtime : undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}
