import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { FsCheckpointsRepository, localPath } from './checkpoints.repository';

// Flink's retained checkpoints and savepoints as the recovery of a vanished job reads them, on a
// real folder laid out as Flink lays it out (<dir>/<job id>/chk-<n>/_metadata).
const JOB = '0123456789abcdef0123456789abcdef';
let root: string;
beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'fstore-checkpoints-'))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A state folder; with `metadata`, complete (its _metadata written at that time). */
function state(dir: string, metadata?: Date): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'state-file'), 'x');
  if (metadata) {
    writeFileSync(join(dir, '_metadata'), 'meta');
    utimesSync(join(dir, '_metadata'), metadata, metadata);
  }
  return dir;
}

describe('FsCheckpointsRepository', () => {
  it('the newest complete checkpoint is the highest chk-<n> with a _metadata file', async () => {
    const checkpoints = join(root, 'checkpoints');
    const repo = new FsCheckpointsRepository(checkpoints);
    const t = new Date('2026-01-01T00:00:09Z');
    state(join(checkpoints, JOB, 'chk-9'), t);
    state(join(checkpoints, JOB, 'chk-10'), new Date('2026-01-01T00:00:10Z'));
    state(join(checkpoints, JOB, 'chk-11')); // being written: no _metadata yet
    state(join(checkpoints, JOB, 'shared'));
    state(join(checkpoints, JOB, 'taskowned'));
    expect(await repo.latestCheckpoint(JOB)).toEqual({
      path: `file://${checkpoints}/${JOB}/chk-10`,
      kind: 'checkpoint',
      modifiedAt: new Date('2026-01-01T00:00:10Z'),
    });
    expect(repo.checkpointsOf(JOB)).toBe(join(checkpoints, JOB));
  });

  it('none for a job without checkpoints, a missing folder, or what is not a job id', async () => {
    const repo = new FsCheckpointsRepository(join(root, 'checkpoints'));
    expect(await repo.latestCheckpoint(JOB)).toBeUndefined();
    state(join(root, 'checkpoints', JOB, 'chk-1'));
    expect(await repo.latestCheckpoint(JOB)).toBeUndefined();
    state(join(root, 'checkpoints', '..', 'chk-1'), new Date());
    expect(await repo.latestCheckpoint('..')).toBeUndefined();
  });

  it('a savepoint or checkpoint by its location (file: URI or path) while its _metadata is there', async () => {
    const repo = new FsCheckpointsRepository(join(root, 'checkpoints'));
    const t = new Date('2026-01-02T03:04:05Z');
    const dir = state(join(root, 'savepoints', 'savepoint-0123ab-cdef'), t);
    for (const location of [`file:${dir}`, `file://${dir}`, dir]) {
      expect(await repo.retained(location, 'savepoint')).toEqual({
        path: location,
        kind: 'savepoint',
        modifiedAt: t,
      });
    }
    const chk = state(join(root, 'checkpoints', JOB, 'chk-4'), t);
    expect(await repo.retained(`file://${chk}`, 'checkpoint')).toEqual({
      path: `file://${chk}`,
      kind: 'checkpoint',
      modifiedAt: t,
    });
    rmSync(join(dir, '_metadata'));
    expect(await repo.retained(`file:${dir}`, 'savepoint')).toBeUndefined();
    expect(await repo.retained(`file:${join(root, 'nowhere')}`, 'savepoint')).toBeUndefined();
    expect(await repo.retained('s3://bucket/savepoint-1', 'savepoint')).toBeUndefined();
  });
});

it('localPath reads Flink’s file: URIs', () => {
  expect(localPath('file:/a/b%20c')).toBe('/a/b c');
  expect(localPath('file:///a/b')).toBe('/a/b');
  expect(localPath('/a/b')).toBe('/a/b');
  expect(localPath('hdfs://nn/a')).toBeUndefined();
});
