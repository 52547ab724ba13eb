/**
 * A Redis Cluster of the benchmark's own (bench:window-read, bench:value-layouts): masters on
 * 127.0.0.1 at the given ports, no persistence, in a temporary folder, no users (the `default`
 * user); every slot served. Nothing of the stack is touched; stop() removes it. Where Redis is
 * missing (a fresh machine before the stack's first start) it installs it from Debian first.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { aptInstall, commandExists } from '../apps/cli/src/stack/processes';

export class PrivateRedisCluster {
  private readonly servers: ChildProcess[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'fstore-bench-redis-'));
  private stopping = false;

  /**
   * @param ports one per master, below 22768: each node's cluster bus (port + 10000) stays out of
   *   the ephemeral port range; never the stack's (6379-7005).
   */
  constructor(
    readonly ports: readonly number[],
    private readonly log: (m: string) => void,
  ) {
    const bad = ports.filter((p) => (p >= 6379 && p <= 7005) || p >= 22768 || p < 1024);
    if (bad.length > 0) {
      throw new Error(`port ${bad.join(', ')}: 1024-22767 outside the stack's 6379-7005`);
    }
  }

  /** The masters owning every slot, ready to serve. */
  async start(): Promise<void> {
    // A fresh machine has neither before the stack's first start: from Debian, as the stack does.
    if (!commandExists('redis-server') || !commandExists('redis-cli')) {
      await aptInstall(['redis-server', 'redis-tools'], this.log);
    }
    const taken = this.ports.filter((port) => cli(port, 'ping') !== '');
    if (taken.length > 0) throw new Error(`something already answers on port ${taken.join(', ')}`);
    for (const port of this.ports) {
      const server = spawn(
        'redis-server',
        [
          ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
          ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
          // A lone master has met no peer to learn its address from: it would announce none.
          ...['--cluster-announce-ip', '127.0.0.1'],
          ...['--dir', this.dir, '--logfile', join(this.dir, `redis-${port}.log`)],
        ],
        { stdio: 'ignore' },
      );
      this.servers.push(server);
      server.once('exit', (code) => {
        if (!this.stopping) this.log(`redis-server on ${port} exited (${code}); see its log`);
      });
    }
    await waitFor(() => this.ports.every((port) => cli(port, 'ping') === 'PONG'), 'the servers');
    if (this.ports.length === 1) {
      // redis-cli --cluster create wants 3 masters; one takes every slot itself.
      cli(this.ports[0], 'cluster', 'addslotsrange', '0', '16383');
    } else {
      execFileSync(
        'redis-cli',
        ['--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes'],
        { stdio: 'ignore' },
      );
    }
    await waitFor(
      () => this.ports.every((port) => /cluster_state:ok/.test(cli(port, 'cluster', 'info'))),
      'cluster_state:ok',
    );
  }

  /** CPU time the servers have used, ns (the scheduler's count: finer than /proc/<pid>/stat). */
  cpuNs(): number {
    return this.servers.reduce(
      (sum, s) => sum + Number(readFileSync(`/proc/${s.pid}/schedstat`, 'utf8').split(' ')[0]),
      0,
    );
  }

  /**
   * Runs `op` with `inFlight` calls at a time for `seconds` (each call gets a running count), and
   * says how many calls it made and the CPU that took in the servers and in this process, µs.
   */
  async load(
    seconds: number,
    inFlight: number,
    op: (call: number) => Promise<unknown>,
  ): Promise<{ calls: number; redisUs: number; processUs: number }> {
    let calls = 0;
    const cpu0 = process.cpuUsage();
    const redis0 = this.cpuNs();
    const until = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (Date.now() < until) await op(calls++);
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    return { calls, redisUs: (this.cpuNs() - redis0) / 1000, processUs: cpu.user + cpu.system };
  }

  stop(): void {
    this.stopping = true;
    for (const s of this.servers) if (s.exitCode === null) s.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function cli(port: number, ...args: string[]): string {
  try {
    return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return '';
  }
}

async function waitFor(ok: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
