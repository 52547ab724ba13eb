import { ChildProcess, spawn } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { FstoreConfig, PROJECT_ROOT } from '@fstore/config';
import { FEATURE_SERVER_NODE_FLAGS } from '../../apps/cli/src/stack/serving';
import { freePort } from '../../test/support/free-port';
import { CpuMeter } from './cpu';
import { httpRequest } from './http';
import { BenchError, LoadResult, runWrk } from './wrk';

export type TracingSetting = 'off' | 'default';

const WARMUP_SECONDS = 10;

/** One round: both settings loaded at the same time, on the same machine. */
export interface TracingRound {
  off: LoadResult & { cpuMicrosPerRequest: number };
  sampled: LoadResult & { cpuMicrosPerRequest: number };
}

export interface TracingCostOptions {
  rounds: number;
  secondsPerRound: number;
  connections: number;
  requestsFile: string;
  luaScript: string;
  token: string;
  log: (m: string) => void;
  /** A folder for each instance's V8 CPU profile (--cpu-prof), written when it stops. */
  cpuProfileDir?: string;
}

/**
 * The environment of an instance at a tracing setting: `default` is the instance as deployed
 * (FSTORE_TRACING_* unset: the local Jaeger, the serving sample ratio's default), `off` has no
 * endpoint (startTracing loads nothing).
 */
function instanceEnv(setting: TracingSetting, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FSTORE_SERVING_PORT: String(port),
    NODE_ENV: 'production',
  };
  delete env.FSTORE_TRACING_SAMPLE_RATIO;
  delete env.FSTORE_TRACING_SERVING_SAMPLE_RATIO;
  delete env.FSTORE_TRACING_OTLP_ENDPOINT;
  if (setting === 'off') env.FSTORE_TRACING_OTLP_ENDPOINT = '';
  return env;
}

/**
 * V8 writes a --cpu-prof profile when the process exits, but Nest's shutdown hook re-raises
 * SIGTERM after closing, which ends the process without an exit: a preloaded listener, first in
 * line, exits instead (only in a profiled run).
 */
function cpuProfileFlags(dir: string, setting: TracingSetting): string[] {
  const exitOnTerm = join(dir, 'exit-on-sigterm.js');
  writeFileSync(exitOnTerm, "process.prependListener('SIGTERM', () => process.exit(0));\n");
  return [
    '--cpu-prof',
    '--cpu-prof-dir',
    dir,
    '--cpu-prof-name',
    `tracing-${setting}.cpuprofile`,
    '--require',
    exitOnTerm,
  ];
}

interface Instance {
  setting: TracingSetting;
  url: string;
  process: ChildProcess;
}

/** A feature-server instance of this run's own, as the serving component starts one. */
async function startInstance(
  config: FstoreConfig,
  setting: TracingSetting,
  cpuProfileDir?: string,
): Promise<Instance> {
  const port = await freePort();
  const profile = cpuProfileDir ? cpuProfileFlags(cpuProfileDir, setting) : [];
  const child = spawn(
    process.execPath,
    [...FEATURE_SERVER_NODE_FLAGS, ...profile, join(PROJECT_ROOT, 'bin/app.js'), 'feature-server'],
    { env: instanceEnv(setting, port), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `http://${config.host}:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new BenchError(`feature server (tracing ${setting}) exited: ${stderr}`);
    }
    const ready = await httpRequest(`${url}/health/ready`, { timeoutMs: 2000 }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return { setting, url, process: child };
    if (Date.now() > deadline) {
      child.kill();
      throw new BenchError(`feature server (tracing ${setting}) not ready in 60 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

async function stopInstance(instance: Instance): Promise<void> {
  if (instance.process.exitCode !== null) return;
  const exited = new Promise((resolve) => instance.process.once('exit', resolve));
  instance.process.kill('SIGTERM');
  await exited;
}

/**
 * Tracing's cost (issue 18): two feature-server instances of this run's own, one with tracing
 * off and one at the defaults, each loaded directly by a wrk of its own (no nginx: the cost is the
 * instance's, and the other processes' share of a request would only dilute it), both at the
 * same time, in short rounds.
 *
 * Why at the same time: this machine's speed drifts by tens of percent within seconds (seen:
 * 5,925 and 13,003 req/s for the same setting three minutes apart, nginx's and Redis's CPU per
 * request moving alike, and 0.69 to 1.07 between runs of the two settings five seconds apart).
 * Loaded together, both instances see the same machine, and the scheduler gives each its fair
 * share of the cores: the ratio of their throughputs is the ratio of their costs per read.
 */
export async function measureTracingCost(
  config: FstoreConfig,
  opts: TracingCostOptions,
): Promise<TracingRound[]> {
  const instances: Instance[] = [];
  try {
    for (const setting of ['off', 'default'] as const) {
      instances.push(await startInstance(config, setting, opts.cpuProfileDir));
    }
    const load = async (instance: Instance, seconds: number, label: string) => {
      const cpu = new CpuMeter({ instance: [instance.process.pid!] }).start();
      const r = await runWrk({
        label,
        url: instance.url,
        requestsFile: opts.requestsFile,
        luaScript: opts.luaScript,
        connections: opts.connections,
        threads: 1,
        token: opts.token,
        durationSeconds: seconds,
      });
      if (r.failures.length > 0) throw new BenchError(`${label}: ${r.failures[0]}`);
      return { ...r, cpuMicrosPerRequest: cpu(r.requests).instance };
    };
    const both = (seconds: number, label: string) =>
      Promise.all(instances.map((i) => load(i, seconds, `${label}, tracing ${i.setting}`)));
    // Long enough for V8 to have optimized both instances' read paths: with 3 s the first round
    // still ran the traced instance ~5 % slower than the later ones (two runs, 0.95 and 0.92).
    await both(WARMUP_SECONDS, 'warm-up');
    const rounds: TracingRound[] = [];
    for (let i = 0; i < opts.rounds; i++) {
      const [off, sampled] = await both(opts.secondsPerRound, `round ${i + 1}/${opts.rounds}`);
      opts.log(
        `round ${i + 1}/${opts.rounds}, together: tracing off ${off.requestsPerSecond.toFixed(0)} ` +
          `req/s (${off.cpuMicrosPerRequest.toFixed(0)} µs CPU a read), default ` +
          `${sampled.requestsPerSecond.toFixed(0)} req/s (${sampled.cpuMicrosPerRequest.toFixed(0)} µs): ` +
          `ratio ${(sampled.requestsPerSecond / off.requestsPerSecond).toFixed(3)}`,
      );
      rounds.push({ off, sampled });
    }
    return rounds;
  } finally {
    await Promise.all(instances.map(stopInstance));
  }
}
