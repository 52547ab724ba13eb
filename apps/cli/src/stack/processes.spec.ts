import { spawn } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { isAlive } from './processes';

const linux = existsSync('/proc/self/stat');

describe('isAlive', () => {
  it('is true for a running process and false for one that is gone', () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(2 ** 22 + 1)).toBe(false); // above Linux's pid_max
  });

  (linux ? it : it.skip)(
    'is false for a zombie (exited, not yet reaped by its parent)',
    async () => {
      // `sleep 0` is forked by sh, which then becomes `sleep 3` and never reaps it.
      const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 3'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      try {
        const pid = await new Promise<number>((resolve) =>
          parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
        );
        const state = () => {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return stat[stat.lastIndexOf(')') + 2];
        };
        for (let i = 0; i < 50 && state() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 20));
        expect(state()).toBe('Z');
        expect(() => process.kill(pid, 0)).not.toThrow(); // what stack down used to rely on
        expect(isAlive(pid)).toBe(false);
      } finally {
        parent.kill('SIGKILL');
      }
    },
  );
});
