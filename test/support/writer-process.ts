import { ChildProcess, spawn } from 'child_process';
import { loadConfig, PROJECT_ROOT } from '@fstore/config';
import { freePort } from './free-port';

/** Where a writer of one's own reads and dead-letters, beside the stack's own writer. */
export interface WriterProcessOptions {
  /** Kafka consumer group. */
  group: string;
  /** Put before the changelog topic names: `<namespace>features.<feature>`. */
  topicNamespace: string;
  deadLetterTopic: string;
  /** How long the writer may take to consume (default 60 s). */
  startTimeoutMs?: number;
  /** Options for its node (a benchmark's `--cpu-prof`). */
  nodeOptions?: readonly string[];
}

/** A writer process of startWriterProcess, with where its Prometheus metrics are. */
export type WriterProcess = ChildProcess & { readonly metricsUrl: string };

const config = loadConfig();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the feature writer (`apps/feature-writer/src/main.ts`, the stack's own program) as a
 * process on topics of the caller's, so that its CPU is its own and a test can SIGKILL it.
 * Resolves once its `/health/ready` says it consumes; rejects with its last log lines if it exits
 * or does not get ready in time.
 */
export async function startWriterProcess(opts: WriterProcessOptions): Promise<WriterProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...(opts.nodeOptions ?? []), '-r', './bin/register.js', 'apps/feature-writer/src/main.ts'],
    {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        FSTORE_WRITER_GROUP: opts.group,
        FSTORE_WRITER_TOPIC_NAMESPACE: opts.topicNamespace,
        FSTORE_WRITER_DEAD_LETTER_TOPIC: opts.deadLetterTopic,
        FSTORE_WRITER_METRICS_PORT: String(port),
      },
    },
  );
  // Its JSON log lines: only kept to explain a failure.
  const lastLines: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    lastLines.push(...chunk.split('\n').filter(Boolean));
    lastLines.splice(0, Math.max(0, lastLines.length - 20));
  });
  const writer = Object.assign(child, { metricsUrl: `http://${config.host}:${port}/metrics` });
  let running = true;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => {
      running = false;
      reject(new Error(`the feature writer exited (${code ?? signal}): ${lastLines.join('\n')}`));
    }),
  );
  exited.catch(() => undefined); // a later exit (a test's SIGKILL) is not an error here
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60000);
  const ready = (async () => {
    while (running && Date.now() < deadline) {
      const res = await fetch(`http://${config.host}:${port}/health/ready`).catch(() => undefined);
      if (res?.status === 200) return writer;
      await sleep(200);
    }
    child.kill('SIGKILL');
    throw new Error(`the feature writer was not ready within ${opts.startTimeoutMs ?? 60000} ms`);
  })();
  ready.catch(() => undefined); // when it exited first, `exited` has the reason
  return Promise.race([ready, exited]);
}

/** Stops a writer of startWriterProcess: SIGTERM (it commits and leaves its group), SIGKILL after 10 s. */
export async function stopWriterProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(timer);
}
