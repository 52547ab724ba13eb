import { spawn, SpawnOptions, spawnSync, SpawnSyncOptions } from 'child_process';
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'fs';
import { randomBytes } from 'crypto';
import { homedir } from 'os';
import { dirname, join } from 'path';
import { asServiceUser } from './service-user';

/** Where the local stack keeps what it started: one pid file and one log per process. */
export class StackPaths {
  constructor(readonly root: string) {}
  get run(): string {
    return join(this.root, 'run');
  }
  get logs(): string {
    return join(this.root, 'logs');
  }
  data(component: string): string {
    return join(this.root, 'data', component);
  }
  pidFile(process: string): string {
    return join(this.run, `${process}.pid`);
  }
  logFile(process: string): string {
    return join(this.logs, `${process}.log`);
  }
}

export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackError';
  }
}

export interface PidRecord {
  pid: number;
  command: string;
  /** Strings of which one must be in the process's command line (default: the command). */
  match?: string[];
  startedAt: string;
}

export interface SpawnSpec {
  /** Process name: pid file and log are named after it. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** An account of its own (PostgreSQL's `postgres`); by default the service user when root. */
  uid?: number;
  gid?: number;
  /**
   * `invoker`: runs as whoever runs the CLI (the supervisor, which must start processes as other
   * users). Default `service`: the stack's service user when the invoker is root (service-user.ts).
   */
  runAs?: 'service' | 'invoker';
  /** The service account for `service` (default SERVICE_USER; nginx has one of its own). */
  account?: string;
  /**
   * For a launcher script that execs another program (the pid stays, the command line changes):
   * strings of which one is in the command line of the running process, before and after exec.
   */
  match?: string[];
}

export function ensureDir(dir: string, owner?: { uid: number; gid: number }): string {
  mkdirSync(dir, { recursive: true });
  if (owner) spawnSync('chown', ['-R', `${owner.uid}:${owner.gid}`, dir]);
  return dir;
}

/**
 * Whether the process runs. A zombie does not: it has exited, but the process that started it (a
 * long-lived `fstore` or test runner) has not reaped it yet, so signal 0 still reaches its pid —
 * taking it for alive made `stack down` wait for it forever.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S …"; comm may hold spaces and parentheses, so the state is
    // the first field after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch (e) {
    // Gone in the meantime; or no /proc (not Linux), where signal 0 is all we know.
    return (e as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync('/proc/self/stat');
  }
}

/** The pid file of a process the stack started (and has not stopped), or undefined. */
export function readPidRecord(paths: StackPaths, name: string): PidRecord | undefined {
  try {
    return JSON.parse(readFileSync(paths.pidFile(name), 'utf8')) as PidRecord;
  } catch {
    // No pid file, or one being written.
    return undefined;
  }
}

/** The pid of a process this stack started and that still runs, or undefined. */
export function runningPid(paths: StackPaths, name: string): number | undefined {
  const record = readPidRecord(paths, name);
  if (!record) return undefined;
  if (!isAlive(record.pid)) return undefined;
  // A recycled pid belongs to another program: compare with the command we started.
  try {
    const cmdline = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8');
    if (!(record.match ?? [record.command]).some((m) => cmdline.includes(m))) return undefined;
  } catch {
    return undefined;
  }
  return record.pid;
}

/** Starts a long-running process detached from the CLI, output appended to its log. */
export function spawnDaemon(paths: StackPaths, spec: SpawnSpec): number {
  ensureDir(paths.run);
  ensureDir(paths.logs);
  const logFile = paths.logFile(spec.name);
  const fd = openSync(logFile, 'a');
  writeFileSync(
    fd,
    `\n--- ${new Date().toISOString()} starting ${spec.command} ${spec.args.join(' ')}\n`,
  );
  // The log stays the invoker's: the process writes to the descriptor it is given.
  const as =
    spec.uid !== undefined || spec.runAs === 'invoker'
      ? { uid: spec.uid, gid: spec.gid, env: spec.env ?? process.env }
      : asServiceUser(paths.root, spec.env ?? process.env, spec.account);
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: as.env,
    detached: true,
    stdio: ['ignore', fd, fd],
    uid: as.uid,
    gid: as.gid,
  });
  closeSync(fd);
  if (child.pid === undefined)
    throw new StackError(`${spec.name}: could not start ${spec.command}`);
  child.unref();
  const record: PidRecord = {
    pid: child.pid,
    command: spec.command,
    match: spec.match,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(paths.pidFile(spec.name), JSON.stringify(record));
  return child.pid;
}

/** Sends a signal to a process, or to its whole process group (spawnDaemon makes each a leader). */
function signalProcess(pid: number, signal: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/**
 * Stops a process this stack started; waits for it to exit, then forgets it. With `group`, the
 * signals go to its process group: the children it forked (task processes, server workers) too.
 */
export async function stopProcess(
  paths: StackPaths,
  name: string,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 20000,
  opts: { group?: boolean } = {},
): Promise<boolean> {
  const pid = runningPid(paths, name);
  const group = opts.group ?? false;
  if (pid !== undefined) {
    signalProcess(pid, signal, group);
    const deadline = Date.now() + timeoutMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) signalProcess(pid, 'SIGKILL', group);
    while (isAlive(pid)) await sleep(50);
    // Children that outlived their leader (they would hold ports and files).
    if (group) signalProcess(pid, 'SIGKILL', true);
  }
  rmSync(paths.pidFile(name), { force: true });
  return pid !== undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Retries a real round trip until it succeeds or the deadline passes; the failure names the
 * component and where to look.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T>,
  opts: {
    timeoutMs: number;
    logFile?: string;
    intervalMs?: number;
    /** The stack process being waited for (its log instead of logFile): when it exits, waiting stops with the log's tail. */
    process?: { paths: StackPaths; name: string };
  },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (e) {
      lastError = e;
      if (opts.process && runningPid(opts.process.paths, opts.process.name) === undefined) {
        const logFile = opts.process.paths.logFile(opts.process.name);
        throw new StackError(
          `${what} exited while starting; the end of its log (${logFile}):\n${logTail(logFile, 8)}`,
        );
      }
      await sleep(opts.intervalMs ?? 300);
    }
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  const logFile = opts.process ? opts.process.paths.logFile(opts.process.name) : opts.logFile;
  const where = logFile ? `; see its log: ${logFile}` : '';
  throw new StackError(
    `${what} did not become healthy within ${opts.timeoutMs / 1000}s (${reason})${where}`,
  );
}

/** The last lines of a log file, for an error message ('' when there is none). */
export function logTail(file: string, lines: number): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Runs a command to completion; a non-zero exit is an error carrying its output. */
export function run(command: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const res = spawnSync(command, args, { encoding: 'utf8', ...opts });
  if (res.error) throw new StackError(`${command}: ${res.error.message}`);
  if (res.status !== 0) {
    const out = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new StackError(`${command} ${args.join(' ')} exited with ${res.status}:\n${out}`);
  }
  return String(res.stdout ?? '');
}

/** What a download fetches, for the lines `stack up` prints while it runs. */
export interface Download {
  /** e.g. "Kafka 4.1.1 jars from Maven Central" */
  what: string;
  /** Rough size and time, e.g. "~55 MB, usually under a minute". */
  size: string;
  log: (m: string) => void;
  /** Seconds between the "still downloading" lines (default 10). */
  heartbeatSeconds?: number;
  /**
   * Folders the download lands in (Maven's local repository, pip's folder, apt's archives): their
   * growth is the size downloaded so far, shown with the rate.
   */
  into?: string[];
  /** The words of the lines (default: downloading, downloaded), e.g. for a build that fetches. */
  verbs?: { doing: string; done: string };
}

/** Bytes of the files under `paths` (missing ones count 0; links are not followed). */
export function bytesUnder(paths: string[]): number {
  let total = 0;
  const walk = (path: string) => {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return;
    }
    if (st.isFile()) total += st.size;
    else if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(path);
      } catch {
        return;
      }
      for (const name of names) walk(join(path, name));
    }
  };
  paths.forEach(walk);
  return total;
}

/** Where Maven keeps what it downloads (the stack's mvn runs use its default local repository). */
export const MAVEN_REPOSITORY = join(homedir(), '.m2', 'repository');

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * Runs a command that downloads (Maven, pip, apt-get) like run(), without blocking the event loop:
 * says first what it fetches and roughly how big it is, then every ~10 s that it is still at it
 * ("still downloading X, 40 s"), so that `stack up` is never silent for minutes.
 */
export function download(
  d: Download,
  command: string,
  args: string[],
  opts: SpawnOptions = {},
): Promise<string> {
  const { doing, done } = d.verbs ?? { doing: 'downloading', done: 'downloaded' };
  d.log(`${doing} ${d.what} (${d.size})`);
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 1000);
  const baseline = d.into ? bytesUnder(d.into) : 0;
  /** ", 23.5 MB so far (0.6 MB/s)" when the folders are known. */
  const sofar = (words: string) => {
    if (!d.into) return '';
    const bytes = Math.max(0, bytesUnder(d.into) - baseline);
    const rate = bytes / Math.max(0.001, (Date.now() - started) / 1000);
    return `, ${mb(bytes)}${words} (${mb(rate)}/s)`;
  };
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const heartbeat = setInterval(
      () => d.log(`still ${doing} ${d.what}, ${seconds()} s${sofar(' so far')}`),
      (d.heartbeatSeconds ?? 10) * 1000,
    );
    child.on('error', (e) => {
      clearInterval(heartbeat);
      reject(new StackError(`${command}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearInterval(heartbeat);
      if (code === 0) {
        d.log(`${done} ${d.what} in ${seconds()} s${sofar('')}`);
        resolve(stdout);
        return;
      }
      const out = `${stdout}${stderr}`.trim().split('\n').slice(-15).join('\n');
      const status = code ?? signal;
      reject(new StackError(`${command} ${args.join(' ')} exited with ${status}:\n${out}`));
    });
  });
}

/**
 * Copies the runtime dependencies of one of the stack's pom.xml files (jars from Maven Central)
 * into `outputDir`, as a download(); `properties` (e.g. the versions) go to Maven as -D.
 */
export function mavenCopyDependencies(
  d: Omit<Download, 'into'>,
  pom: string,
  properties: Record<string, string>,
  outputDir: string,
): Promise<string> {
  return download({ ...d, into: [MAVEN_REPOSITORY] }, 'mvn', [
    ...['-q', '-B', '-f', pom, 'dependency:copy-dependencies'],
    ...Object.entries(properties).map(([name, value]) => `-D${name}=${value}`),
    '-DincludeScope=runtime',
    `-DoutputDirectory=${outputDir}`,
  ]);
}

export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

let aptUpdated = false;
/** Installs Debian packages (the machine is root-run); `apt-get update` once per CLI run. */
export async function aptInstall(packages: string[], log: (m: string) => void): Promise<void> {
  log(`installing Debian packages: ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    await download(
      {
        what: 'the Debian package lists',
        size: '~30 MB, usually under a minute',
        log,
        into: ['/var/lib/apt/lists'],
      },
      'apt-get',
      ['update', '-q'],
      { env },
    );
    aptUpdated = true;
  }
  await download(
    {
      what: `Debian packages ${packages.join(' ')}`,
      size: 'a few MB to ~100 MB',
      log,
      into: ['/var/cache/apt/archives'],
    },
    'apt-get',
    ['install', '-y', '-q', '--no-install-recommends', ...packages],
    { env },
  );
}

/**
 * Writes the file unless it already holds `content`; whether it wrote. With `mode`, the file has
 * that mode afterwards either way (a file with secrets written by an older version is narrowed).
 * A changed file is a new one, owned by the writer, renamed into place: the CLI (root) never
 * writes through a link left at its name in a folder a service user may write.
 */
export function writeIfChanged(file: string, content: string, mode?: number): boolean {
  ensureDir(dirname(file));
  let same = false;
  try {
    same = lstatSync(file).isFile() && readFileSync(file, 'utf8') === content;
  } catch {
    // No such file yet.
  }
  if (!same) {
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    // wx: O_CREAT|O_EXCL, which never follows a link.
    writeFileSync(tmp, content, { mode: mode ?? 0o644, flag: 'wx' });
    if (mode !== undefined) chmodSync(tmp, mode);
    renameSync(tmp, file);
  } else if (mode !== undefined) {
    // Through a descriptor: never the mode of what a link swapped in meanwhile points to.
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      fchmodSync(fd, mode);
    } finally {
      closeSync(fd);
    }
  }
  return !same;
}

/** One health probe (a real round trip); a failure becomes the status row's detail. */
export async function probe(
  check: () => Promise<unknown>,
): Promise<{ healthy: boolean; detail?: string }> {
  try {
    await check();
    return { healthy: true };
  } catch (e) {
    return { healthy: false, detail: (e as Error).message };
  }
}

/** An HTTP GET (with optional headers, e.g. credentials) that must answer 2xx within 2 s. */
export async function httpOk(url: string, headers?: Record<string, string>): Promise<void> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
}
