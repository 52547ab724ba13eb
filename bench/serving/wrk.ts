import { spawn } from 'child_process';

/** What one load-generator run measured. Latencies in milliseconds. */
export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** What went wrong (non-2xx answers, socket errors, timeouts); empty for a clean run. */
  failures: string[];
}

/** The JSON line that bench/serving/requests.lua prints from wrk's done(). */
export interface WrkSummary {
  requests: number;
  duration_us: number;
  p50_us: number;
  p99_us: number;
  mean_us: number;
  max_us: number;
  connect_errors: number;
  read_errors: number;
  write_errors: number;
  status_errors: number;
  timeouts: number;
  /** Count of each non-2xx status. */
  statuses?: Record<string, number>;
}

export class BenchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchError';
  }
}

/**
 * Parses wrk's output. Non-2xx answers, socket errors and timeouts are returned as failures (the
 * runner reports them and fails the run after printing every figure); no output at all throws.
 */
export function parseWrkOutput(label: string, stdout: string): LoadResult {
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (!line) throw new BenchError(`${label}: wrk printed no result:\n${stdout}`);
  const s = JSON.parse(line.slice('BENCH_RESULT '.length)) as WrkSummary;
  if (s.requests === 0) throw new BenchError(`${label}: no request completed\n${stdout}`);
  const codes = Object.entries(s.statuses ?? {})
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ');
  const failures = [
    [s.status_errors, `non-2xx responses${codes ? ` (${codes})` : ''}`],
    [s.connect_errors, 'connect errors'],
    [s.read_errors, 'read errors'],
    [s.write_errors, 'write errors'],
    [s.timeouts, 'timeouts (no answer within 5 s)'],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, what]) => `${label}: ${n} ${what} of ${s.requests} requests`);
  return {
    requests: s.requests,
    requestsPerSecond: s.requests / (s.duration_us / 1e6),
    p50Ms: s.p50_us / 1000,
    p99Ms: s.p99_us / 1000,
    failures,
  };
}

export interface WrkRun {
  label: string;
  url: string;
  requestsFile: string;
  luaScript: string;
  connections: number;
  threads: number;
  durationSeconds: number;
  token?: string;
}

/** Runs one wrk load; the token and the requests reach the Lua script through the environment. */
export async function runWrk(run: WrkRun): Promise<LoadResult> {
  const args = [
    `-t${run.threads}`,
    `-c${run.connections}`,
    `-d${run.durationSeconds}s`,
    '--timeout',
    '5s',
    '--latency',
    '-s',
    run.luaScript,
    run.url,
  ];
  const env = { ...process.env, BENCH_REQUESTS_FILE: run.requestsFile, BENCH_TOKEN: run.token };
  const { stdout, stderr, code } = await capture('wrk', args, env);
  if (code !== 0) throw new BenchError(`${run.label}: wrk exited ${code}: ${stderr}${stdout}`);
  return parseWrkOutput(run.label, stdout);
}

/** Parses redis-benchmark --csv output: the row of the given test. */
export function parseRedisBenchmarkCsv(test: string, stdout: string): LoadResult {
  const row = stdout
    .split('\n')
    .map((l) =>
      l
        .trim()
        .split(',')
        .map((c) => c.replace(/^"|"$/g, '')),
    )
    .find((cells) => cells[0] === test);
  if (!row || row.length < 7)
    throw new BenchError(`redis-benchmark printed no ${test} row:\n${stdout}`);
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms",...
  return {
    requests: NaN,
    requestsPerSecond: Number(row[1]),
    p50Ms: Number(row[4]),
    p99Ms: Number(row[6]),
    failures: [],
  };
}

export function capture(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd?: string,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}
