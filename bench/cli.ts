/**
 * Benchmark: how fast the CLI answers. Each command is started R times (default 20) as a new
 * process, as a user types it, beside the floor of any Node CLI measured in the same run (`node
 * -e 0`: starting Node itself). Prints median, p99 and the ratio to that floor in three states:
 *   built   the build ahead (`npm run build`, run by `npm ci`) and no transpile cache
 *           (FSTORE_TS_CACHE=0): a fresh clone's first start, and every start after it
 *   cache   no build (FSTORE_BUILD=0), the transpile cache filled by a first, discarded run
 *   cold    neither (FSTORE_BUILD=0 FSTORE_TS_CACHE=0): every module transpiled on start, what a
 *           start cost before the build; now only files edited since the last build are
 * The build is brought up to date first (bin/build.js).
 *
 *   npm run bench:cli [-- --rounds R]
 *
 * Nothing is contacted: these commands answer from the checkout alone. Target (issue 17): --help
 * and --version under 1 s.
 */
import { spawnSync } from 'child_process';
import { join } from 'path';
import { PROJECT_ROOT } from '@fstore/config';
import { formatTable } from '../apps/cli/src/format-table';
import { arg } from './args';

// bin/ is plain CommonJS.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildAhead } = require('../bin/build') as { buildAhead(): { summary: string } };

const rounds = Number(arg('rounds', '20'));

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

/** Wall-clock ms of each of `n` runs of `node args` (a run that fails stops the benchmark). */
function time(args: string[], env: NodeJS.ProcessEnv, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const res = spawnSync(process.execPath, args, { cwd: PROJECT_ROOT, env, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.status !== 0) {
      throw new Error(`node ${args.join(' ')} exited ${res.status}: ${res.stderr.slice(-500)}`);
    }
    out.push(ms);
  }
  return out;
}

const fstore = join(PROJECT_ROOT, 'bin', 'fstore.js');
const commands: [string, string[]][] = [
  ['fstore --help', [fstore, '--help']],
  ['fstore --version', [fstore, '--version']],
  ['fstore jobs --help', [fstore, 'jobs', '--help']],
  ['fstore config', [fstore, 'config']],
];
const builtEnv = { ...process.env, FSTORE_TS_CACHE: '0' };
const cacheEnv = { ...process.env, FSTORE_BUILD: '0' };
const coldEnv = { ...process.env, FSTORE_BUILD: '0', FSTORE_TS_CACHE: '0' };

console.error(buildAhead().summary);
const floor = time(['-e', '0'], process.env, rounds);
const floorMedian = quantile(floor, 0.5);
const rows: string[][] = [
  ['node -e 0 (floor)', '-', floorMedian.toFixed(0), quantile(floor, 0.99).toFixed(0), '1.0'],
];
for (const [label, args] of commands) {
  time(args, cacheEnv, 1); // fills the transpile cache
  for (const [mode, env, n] of [
    ['built', builtEnv, rounds],
    ['cache', cacheEnv, rounds],
    ['cold', coldEnv, Math.max(3, Math.floor(rounds / 4))],
  ] as const) {
    const ms = time(args, env, n);
    const med = quantile(ms, 0.5);
    rows.push([
      label,
      mode,
      med.toFixed(0),
      quantile(ms, 0.99).toFixed(0),
      (med / floorMedian).toFixed(1),
    ]);
  }
}
console.log(`CLI start-up, ${rounds} runs each (cold: a quarter), wall-clock ms`);
console.log(formatTable(['command', 'start', 'median', 'p99', '× floor'], rows));
