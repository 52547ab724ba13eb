import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { REGISTRY } from '@fstore/contracts';
import { exportDefinitions } from '@fstore/definitions';
import { withDefinitionsArg } from './definitions-arg';

describe('withDefinitionsArg', () => {
  let stackDir: string;
  beforeEach(() => (stackDir = mkdtempSync(join(tmpdir(), 'fstore-defs-arg-'))));
  afterEach(() => rmSync(stackDir, { recursive: true, force: true }));

  it('gives the generic batch job the export of the current definitions, written once', () => {
    const args = withDefinitionsArg(
      'spark-jobs/batch_features.py',
      ['--as-of', '2024-03-15T00:00:00Z'],
      stackDir,
    );
    expect(args.slice(0, 3)).toEqual(['--as-of', '2024-03-15T00:00:00Z', '--definitions']);
    const file = args[3];
    expect(file).toMatch(new RegExp(`^${stackDir}/data/definitions/[0-9a-f]{16}\\.json$`));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(exportDefinitions(REGISTRY));
    expect(statSync(file).mode & 0o777).toBe(0o644);
    // The same definitions: the same file, no temporary left behind.
    expect(withDefinitionsArg('./spark-jobs/batch_features.py', [], stackDir)).toEqual([
      '--definitions',
      file,
    ]);
    expect(readdirSync(join(stackDir, 'data', 'definitions'))).toEqual([file.split('/').pop()]);
  });

  it('leaves other jobs alone', () => {
    expect(withDefinitionsArg('spark-jobs/load_raw_events.py', ['--input', 'x'], stackDir)).toEqual(
      ['--input', 'x'],
    );
    expect(readdirSync(stackDir)).toEqual([]);
  });
});
