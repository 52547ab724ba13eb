import { operationSteps } from './jobs-command';

describe('operationSteps (the lines of a --wait)', () => {
  it('a line when the status changes, and every interval while it stays', () => {
    let clock = 0;
    const lines: string[] = [];
    const steps = operationSteps(
      (l) => lines.push(l),
      () => clock,
      30_000,
    );
    const op = { id: 12, kind: 'deploy', target: 'orders', attempts: 1 };
    steps({ ...op, status: 'queued' });
    clock = 2000;
    steps({ ...op, status: 'queued' });
    clock = 3000;
    steps({ ...op, status: 'running' });
    clock = 20_000;
    steps({ ...op, status: 'running' });
    clock = 34_000;
    steps({ ...op, status: 'running', attempts: 2 });
    clock = 40_000;
    steps({ ...op, status: 'succeeded', attempts: 2 });
    expect(lines).toEqual([
      'operation 12 (deploy orders): queued (0 s)',
      'operation 12 (deploy orders): running (3 s)',
      'operation 12 (deploy orders): still running, attempt 2 (34 s)',
      'operation 12 (deploy orders): succeeded, attempt 2 (40 s)',
    ]);
  });

  it('an operation without kind or target', () => {
    const lines: string[] = [];
    operationSteps(
      (l) => lines.push(l),
      () => 0,
    )({ id: 'x', status: 'queued' });
    expect(lines).toEqual(['operation x: queued (0 s)']);
  });

  it('a backfill: a line for each day it starts', () => {
    let clock = 0;
    const lines: string[] = [];
    const steps = operationSteps(
      (l) => lines.push(l),
      () => clock,
    );
    const op = { id: 'b', kind: 'backfill', target: 'job:daily', attempts: 1 };
    const days = ['2024-03-01T00:00:00Z', '2024-03-02T00:00:00Z'];
    steps({ ...op, status: 'queued', progress: { days, runs: [] } });
    clock = 1000;
    steps({ ...op, status: 'running', progress: { days, runs: ['r1'] } });
    clock = 2000;
    steps({ ...op, status: 'running', progress: { days, runs: ['r1'] } });
    clock = 9000;
    steps({ ...op, status: 'running', progress: { days, runs: ['r1', 'r2'] } });
    clock = 12000;
    steps({ ...op, status: 'succeeded', progress: { days, runs: ['r1', 'r2'] } });
    expect(lines).toEqual([
      'operation b (backfill job:daily): queued (0 s)',
      'operation b (backfill job:daily): running, day 1 of 2 (1 s)',
      'operation b (backfill job:daily): running, day 2 of 2 (9 s)',
      'operation b (backfill job:daily): succeeded (12 s)',
    ]);
  });
});
