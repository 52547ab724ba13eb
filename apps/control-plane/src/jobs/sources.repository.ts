import { realpathSync, readFileSync, statSync } from 'fs';
import { isAbsolute, join, normalize, sep } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { JobKind } from '@fstore/control-store';

/** Where job sources may be read from, per kind: nothing outside these folders is readable. */
export const SOURCE_FOLDERS: Record<JobKind, { folder: string; extension: string }> = {
  'flink-sql': { folder: 'flink-sql', extension: '.sql' },
  pyspark: { folder: 'spark-jobs', extension: '.py' },
};

export class SourceNotAllowedError extends Error {}

/** The checkout's job source folders (the file system); no rules beyond the path check. */
export class SourcesRepository {
  constructor(private readonly root = PROJECT_ROOT) {}

  /**
   * Reads `source` (e.g. flink-sql/avg_review.sql) if it is a regular file inside the folder of
   * its kind, after resolving symbolic links; anything else is refused.
   */
  read(kind: JobKind, source: string): string {
    const { folder, extension } = SOURCE_FOLDERS[kind];
    const rel = normalize(source);
    if (isAbsolute(source) || rel.startsWith('..') || !rel.startsWith(folder + sep)) {
      throw new SourceNotAllowedError(`must be a file under ${folder}/`);
    }
    if (!rel.endsWith(extension)) throw new SourceNotAllowedError(`must end with ${extension}`);
    const base = realpathSync(join(this.root, folder));
    let real: string;
    try {
      real = realpathSync(join(this.root, rel));
    } catch {
      throw new SourceNotAllowedError(`no such file: ${rel}`);
    }
    if (!real.startsWith(base + sep) || !statSync(real).isFile()) {
      throw new SourceNotAllowedError(`must be a file under ${folder}/`);
    }
    return readFileSync(real, 'utf8');
  }

  /**
   * Where the batch runtime finds an already-validated spark-jobs/ source: the same file name
   * under `batchJobDir` (the folder Livy whitelists, which may be another machine's path).
   */
  forBatchRuntime(source: string, batchJobDir: string): string {
    const rel = normalize(source).slice(SOURCE_FOLDERS.pyspark.folder.length + 1);
    return join(batchJobDir, rel);
  }
}
