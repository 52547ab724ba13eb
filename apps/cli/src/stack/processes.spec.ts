import { spawn } from 'child_process';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  download,
  isAlive,
  spawnDaemon,
  StackError,
  StackPaths,
  waitUntil,
  writeIfChanged,
} from './processes';

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

describe('waitUntil', () => {
  it('stops waiting when the process it waits for exits, and shows the end of its log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fstore-wait-'));
    try {
      const paths = new StackPaths(dir);
      spawnDaemon(paths, {
        name: 'doomed',
        command: 'sh',
        args: ['-c', 'echo "Could not bind port: Address already in use"; exit 1'],
      });
      const t0 = Date.now();
      const wait = waitUntil('doomed', () => Promise.reject(new Error('Connection refused')), {
        timeoutMs: 20000,
        process: { paths, name: 'doomed' },
      });
      await expect(wait).rejects.toThrow(StackError);
      await expect(wait).rejects.toThrow(
        /^doomed exited while starting; the end of its log \(.*doomed\.log\):\n(.|\n)*Could not bind port: Address already in use$/,
      );
      expect(Date.now() - t0).toBeLessThan(10000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('download', () => {
  it('says what it fetches and how big, then that it is still at it, then that it is done', async () => {
    const lines: string[] = [];
    const d = {
      what: 'X',
      size: '~1 MB',
      log: (m: string) => lines.push(m),
      heartbeatSeconds: 0.1,
    };
    const out = await download(d, 'sh', ['-c', 'sleep 0.45; echo ok']);
    expect(out).toBe('ok\n');
    expect(lines[0]).toBe('downloading X (~1 MB)');
    expect(
      lines.filter((l) => /^still downloading X, \d+ s$/.test(l)).length,
    ).toBeGreaterThanOrEqual(2);
    expect(lines[lines.length - 1]).toMatch(/^downloaded X in \d+ s$/);
  });

  it('with the folders it lands in: the size so far and the rate, then the total', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fstore-download-'));
    try {
      writeFileSync(join(dir, 'already-there'), 'x'.repeat(5_000_000)); // not this download's
      const lines: string[] = [];
      const d = {
        what: 'X',
        size: '~3 MB',
        log: (m: string) => lines.push(m),
        heartbeatSeconds: 0.2,
        into: [dir, join(dir, 'missing')],
      };
      const script = `head -c 1500000 /dev/zero > ${dir}/a; sleep 0.8; mkdir ${dir}/sub; head -c 1500000 /dev/zero > ${dir}/sub/b`;
      await download(d, 'sh', ['-c', script]);
      const still = lines.filter((l) => l.startsWith('still downloading X'));
      expect(still.length).toBeGreaterThanOrEqual(1);
      // every line has the form; by the time the first file is whole, its 1.5 MB
      for (const line of still) {
        expect(line).toMatch(/^still downloading X, \d+ s, \d+\.\d MB so far \(\d+\.\d MB\/s\)$/);
      }
      expect(still.some((l) => l.includes(', 1.5 MB so far'))).toBe(true);
      expect(lines[lines.length - 1]).toMatch(/^downloaded X in \d+ s, 3\.0 MB \(\d+\.\d MB\/s\)$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails like run(): the exit code and the last lines of output, no more heartbeats', async () => {
    const lines: string[] = [];
    const d = { what: 'X', size: '?', log: (m: string) => lines.push(m), heartbeatSeconds: 0.05 };
    const failed = download(d, 'sh', ['-c', 'echo out; echo bad >&2; exit 3']);
    await expect(failed).rejects.toThrow(StackError);
    await expect(failed).rejects.toThrow(/exited with 3:\nout\nbad/);
    await expect(download(d, 'no-such-command-fstore', [])).rejects.toThrow(/ENOENT/);
    const count = lines.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(lines.length).toBe(count);
  });
});

describe('writeIfChanged', () => {
  it('replaces a link left at the file’s name instead of writing through it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fstore-write-'));
    try {
      const target = join(dir, 'elsewhere');
      writeFileSync(target, 'precious\n');
      const file = join(dir, 'server.properties');
      symlinkSync(target, file);
      expect(writeIfChanged(file, 'port=1\n', 0o600)).toBe(true);
      expect(readFileSync(target, 'utf8')).toBe('precious\n');
      expect(lstatSync(file).isSymbolicLink()).toBe(false);
      expect([readFileSync(file, 'utf8'), lstatSync(file).mode & 0o777]).toEqual([
        'port=1\n',
        0o600,
      ]);
      // Unchanged: not written again; no temporary file left behind.
      expect(writeIfChanged(file, 'port=1\n', 0o600)).toBe(false);
      expect(readdirSync(dir).sort()).toEqual(['elsewhere', 'server.properties']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
