import { Server } from 'http';
import { accessSync, constants, readdirSync, statSync } from 'fs';
import { join, resolve } from 'path';
import { ConfigError, kafkaClientConfig, loadConfig } from '@fstore/config';
import { TOPICS } from '@fstore/contracts';
import { createLogger, Logger, serveOps } from '@fstore/observability';
import { CheckpointStore } from './checkpoint.store';
import { asProducerError, nothingAcknowledged, ProducerError } from './errors';
import { FileProgress, IngestService, IngestSummary } from './ingest.service';
import { COMPRESSIONS, Compression, KafkaRepository } from './kafka.repository';
import { ProducerMetrics } from './metrics';
import { InputFormat } from './record-decoder';

/** What `fstore produce` and the producer service take (CLI flags override the settings). */
export interface ProduceOptions {
  /** One file, then exit. */
  file?: string;
  /** Service mode: produce every *.csv / *.ndjson file of this folder, then watch it for more. */
  dir?: string;
  /** Service mode: read standard input until it ends. */
  stdin?: boolean;
  format?: InputFormat;
  topic?: string;
  dlqTopic?: string;
  rate?: number;
  batchSize?: number;
  lanes?: number;
  compression?: string;
  /** Seconds to keep trying when no broker answers. */
  connectTimeout?: number;
  resume?: boolean;
  /** Parse files in a worker thread (default true). */
  parseWorker?: boolean;
  checkpointDir?: string;
  /** Serve /metrics (service mode: default from settings; one file: only when given). */
  metricsPort?: number;
  pollSeconds?: number;
  signal?: AbortSignal;
  log?: Logger;
  /** Progress of each file (after each acknowledged batch). */
  progress?: (p: FileProgress) => void;
}

const INPUT = /\.(csv|ndjson|jsonl)$/i;

function compressionOf(value: string): Compression {
  if (!(COMPRESSIONS as readonly string[]).includes(value)) {
    throw new ConfigError(
      '--compression / FSTORE_PRODUCER_COMPRESSION',
      `expected one of ${COMPRESSIONS.join(', ')}, got "${value}"`,
    );
  }
  return value as Compression;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/** Throws a ProducerError naming the flag unless `path` is a readable file (folder). */
function checkInput(flag: string, path: string, folder: boolean): void {
  let why: string | undefined;
  try {
    const isFile = statSync(path).isFile();
    if (isFile === folder) why = folder ? 'it is a file, not a folder' : 'it is a folder';
    else accessSync(path, constants.R_OK | (folder ? constants.X_OK : 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    why = code === 'ENOENT' ? 'it does not exist' : `it cannot be read (${code})`;
  }
  if (why) throw new ProducerError(`${flag} ${path}: ${why}`);
}

/**
 * Produces a file (one shot), a folder or standard input (service mode) to Kafka. Returns one
 * summary per input; throws ProducerError on an unreachable Kafka, a missing topic or a send that
 * failed after its retries — carrying the summaries up to the failure (for one file or standard
 * input always one, zero counts if nothing was acknowledged).
 */
export async function produce(opts: ProduceOptions): Promise<IngestSummary[]> {
  const config = loadConfig();
  const p = config.producer;
  const log = opts.log ?? createLogger('producer', { level: config.logLevel });
  const modes = [opts.file, opts.dir, opts.stdin].filter(Boolean).length;
  if (modes !== 1) throw new ProducerError('give exactly one of --file, --dir or --stdin');
  // Before anything connects: a missing input fails at once, not after the Kafka timeout.
  if (opts.file) checkInput('--file', opts.file, false);
  if (opts.dir) checkInput('--dir', opts.dir, true);
  const service = !opts.file;
  const metrics = new ProducerMetrics(service);
  let server: Server | undefined;
  // Ready once connected to Kafka with both topics there; not ready again after it stops.
  let ready = false;
  const metricsPort = opts.metricsPort ?? (service ? p.metricsPort : undefined);
  if (metricsPort !== undefined) {
    const served = await serveOps({
      host: config.host,
      port: metricsPort,
      registry: metrics.registry,
      readiness: () => ({ ready, status: ready ? 'ok' : 'not connected to kafka' }),
    });
    server = served.server;
    log.info('serving metrics', { url: `http://${config.host}:${served.port}/metrics` });
  }
  const kafka = KafkaRepository.create({
    ...kafkaClientConfig(config, 'producer'),
    timeoutMs: (opts.connectTimeout ?? p.connectTimeoutSeconds) * 1000,
    compression: compressionOf(opts.compression ?? p.compression),
    lanes: Math.max(1, opts.lanes ?? p.lanes),
    log,
  });
  const ingestOpts = {
    topic: opts.topic ?? TOPICS.transactions,
    dlqTopic: opts.dlqTopic ?? TOPICS.deadLetter,
    batchSize: opts.batchSize ?? p.batchSize,
    rate: opts.rate,
    format: opts.format,
    resume: opts.resume,
    parseInWorker: opts.parseWorker,
    signal: opts.signal,
    progress: opts.progress,
  };
  const summaries: IngestSummary[] = [];
  try {
    await kafka.connect();
    metrics.connected.set(1);
    await kafka.checkTopics([ingestOpts.topic, ingestOpts.dlqTopic]);
    ready = true;
    const ingest = new IngestService(
      kafka,
      new CheckpointStore(opts.checkpointDir ?? p.checkpointDir),
      log,
      metrics,
    );
    const done = (s: IngestSummary) => {
      summaries.push(s);
      log.info('input done', { ...s });
    };
    if (opts.file) done(await ingest.produceFile(opts.file, ingestOpts));
    else if (opts.stdin) {
      done(await ingest.produceStream(process.stdin, 'stdin', opts.format ?? 'csv', ingestOpts));
    } else if (opts.dir) {
      const dir = opts.dir;
      // Every file is checkpointed, so a pass over the folder only sends what is new.
      const seen = new Map<string, number>();
      while (!opts.signal?.aborted) {
        for (const name of readdirSync(dir)
          .filter((n) => INPUT.test(n))
          .sort()) {
          const path = join(dir, name);
          const size = statSync(path).size;
          if (seen.get(path) === size) continue;
          const s = await ingest.produceFile(path, { ...ingestOpts, resume: true });
          if (s.read > 0 || !seen.has(path)) done(s);
          if (s.complete) seen.set(path, size);
          if (opts.signal?.aborted) break;
        }
        await sleep((opts.pollSeconds ?? 2) * 1000, opts.signal);
      }
    }
  } catch (e) {
    const error = asProducerError(e);
    error.summaries.unshift(...summaries);
    const current = opts.file ? resolve(opts.file) : opts.stdin ? 'stdin' : undefined;
    if (current !== undefined && !error.summaries.some((s) => s.source === current)) {
      error.summaries.push(nothingAcknowledged(current));
    }
    throw error;
  } finally {
    ready = false;
    metrics.connected.set(0);
    await kafka.disconnect();
    server?.close();
  }
  return summaries;
}

/** One line per input, e.g. `seed.csv: read 2000, produced 2000, dead-lettered 0`. */
export function formatSummary(s: IngestSummary): string {
  const rate = s.elapsed_ms > 0 ? Math.round((s.read * 1000) / s.elapsed_ms) : 0;
  let text =
    `${s.source}: read ${s.read}, produced ${s.produced}, dead-lettered ${s.dead_lettered}` +
    ` (${(s.elapsed_ms / 1000).toFixed(1)} s, ${rate} records/s)`;
  if (s.resumed_after_line > 0) text += `; resumed after line ${s.resumed_after_line}`;
  if (s.failed) text += '; FAILED (counted: what Kafka acknowledged), a rerun resumes';
  else if (!s.complete) text += '; stopped early, a rerun resumes';
  return text;
}
