import { loadConfig } from '@fstore/config';
import { taskManagerName } from '../../apps/cli/src/stack/flink';
import { fstore } from '../support/cli';

const config = loadConfig();

describe('fstore stack: flink', () => {
  it('reports the JobManager (web UI), the TaskManagers and the SQL Gateway as healthy', () => {
    const res = fstore('stack', 'status', 'flink');
    expect(res.status).toBe(0);
    const rows = res.stdout.split('\n').filter((l) => l.startsWith('flink '));
    const taskManagers = Array.from({ length: config.flink.taskManagers }, (_, i) =>
      taskManagerName(i + 1),
    );
    expect(rows.map((r) => r.split(/\s+/)[1])).toEqual([
      'jobmanager',
      ...taskManagers,
      'sql-gateway',
    ]);
    // pid … healthy, then the supervisor's restart count.
    for (const row of rows) expect(row).toMatch(/\s\d+\s.*healthy\s+\d+$/);
    expect(rows[0]).toContain(`${config.flink.restUrl} (web UI)`);
    expect(rows.at(-1)).toContain(config.flink.gatewayUrl);
  });

  it('is a no-op when run a second time', () => {
    const before = fstore('stack', 'status', 'flink').stdout;
    const again = fstore('stack', 'up', 'flink');
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/flink: already running, healthy/);
    expect(again.stderr).not.toMatch(/started|assembling|downloading|fetching/);
    expect(fstore('stack', 'status', 'flink').stdout).toBe(before);
  });
});
