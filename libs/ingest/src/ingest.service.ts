import { closeSync, createReadStream, openSync, readSync, statSync } from 'fs';
import { basename, resolve } from 'path';
import { Readable } from 'stream';
import { CsvLayout, parseCsvHeader } from '@fstore/events';
import { Checkpoint, CheckpointStore, fileHead } from './checkpoint.store';
import { asProducerError, ProducerError } from './errors';
import { Batch, buildBatches } from './batcher';
import { KafkaRepository, OutgoingMessage } from './kafka.repository';
import { Line, readLines } from './line-reader';
import { batchesFromWorker } from './parse-worker.client';
import { Logger } from '@fstore/observability';
import { ProducerMetrics } from './metrics';
import { InputFormat, RecordDecoder, formatOf } from './record-decoder';

export interface IngestOptions {
  topic: string;
  dlqTopic: string;
  /** Records per produce request (both topics together). */
  batchSize: number;
  /** Records per second at most (undefined = as fast as Kafka takes them). */
  rate?: number;
  /** Input format; default from the file extension. */
  format?: InputFormat;
  /** Continue after the last acknowledged line of an earlier run (default true). */
  resume?: boolean;
  /** Parse files in a worker thread while the main thread sends (default true). */
  parseInWorker?: boolean;
  signal?: AbortSignal;
  /** Called after each batch Kafka acknowledged of a file (the CLI's progress lines). */
  progress?: (p: FileProgress) => void;
}

/** How far the production of one file is. */
export interface FileProgress {
  file: string;
  /** Records read (sent or dead-lettered) by this run, and when it started (ms since epoch). */
  records: number;
  startedAt: number;
  /** Bytes of the file behind the last acknowledged batch; where this run began; the size. */
  bytesDone: number;
  bytesStart: number;
  bytesTotal: number;
}

export interface IngestSummary {
  source: string;
  /** This run: read = produced + dead_lettered. */
  read: number;
  produced: number;
  dead_lettered: number;
  /** Lines skipped because an earlier run had already sent them. */
  resumed_after_line: number;
  /** Bytes of message values sent to the main topic. */
  produced_bytes: number;
  elapsed_ms: number;
  /** False when stopped early (signal) or failed; a rerun resumes. */
  complete: boolean;
  /** Present when the input ended in a failure: the counts are what Kafka acknowledged before. */
  failed?: true;
}

/** A failure in the middle of an input, with the counts acknowledged until then. */
class PumpFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly partial: Omit<IngestSummary, 'source' | 'resumed_after_line'>,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

/** Rethrows a pump failure as a ProducerError carrying the input's partial summary. */
function withSummary(e: unknown, source: string, resumedAfter: number): never {
  if (!(e instanceof PumpFailure)) throw e;
  const error = asProducerError(e.error);
  error.summaries.push({ ...e.partial, source, resumed_after_line: resumedAfter });
  throw error;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads a file's first line (the CSV header) without reading the rest. */
function readFirstLine(path: string): { text: string; end: number } {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1 << 16);
  const n = readSync(fd, buf, 0, buf.length, 0);
  closeSync(fd);
  const nl = buf.subarray(0, n).indexOf(10);
  const raw = buf.subarray(0, nl < 0 ? n : nl);
  return { text: raw.toString('utf8').replace(/\r$/, ''), end: nl < 0 ? raw.length : nl + 1 };
}

/**
 * The ingestion pipeline: lines → validated events or dead letters → batches → Kafka, one batch
 * in flight while the next is parsed. Files are checkpointed after each acknowledged batch.
 */
export class IngestService {
  constructor(
    private readonly kafka: KafkaRepository,
    private readonly checkpoints: CheckpointStore | undefined,
    private readonly log: Logger,
    private readonly metrics?: ProducerMetrics,
  ) {}

  async produceFile(path: string, opts: IngestOptions): Promise<IngestSummary> {
    const file = resolve(path);
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      throw new ProducerError(`cannot read input file ${file}`);
    }
    const format = opts.format ?? formatOf(file);
    const name = basename(file);
    let layout: CsvLayout | undefined;
    let firstLine = 1;
    let offset = 0;
    if (format === 'csv') {
      const header = readFirstLine(file);
      const parsed = parseCsvHeader(header.text);
      if (!('columns' in parsed)) throw new ProducerError(`${file}: ${parsed.message}`);
      layout = parsed;
      firstLine = 2;
      offset = header.end;
    }
    const head = fileHead(file);
    let cp: Checkpoint = {
      version: 1,
      file,
      head_sha256: head.sha256,
      topic: opts.topic,
      dlq_topic: opts.dlqTopic,
      line: firstLine - 1,
      offset,
      read: 0,
      produced: 0,
      dead_lettered: 0,
      updated_at: '',
    };
    const previous = opts.resume === false ? undefined : this.checkpoints?.load(file, opts.topic);
    let resumedAfter = 0;
    if (previous) {
      if (previous.head_sha256 === head.sha256 && previous.offset <= size) {
        cp = { ...previous, dlq_topic: opts.dlqTopic };
        resumedAfter = previous.line;
        this.log.info('resuming from checkpoint', { file, after_line: previous.line });
      } else {
        this.log.warn('file changed since its checkpoint; starting from the beginning', { file });
      }
    }
    const spec = await this.batchSpec(opts);
    const batches = !opts.parseInWorker
      ? buildBatches(
          readLines(
            createReadStream(file, { start: cp.offset, highWaterMark: 1 << 20 }),
            cp.line + 1,
            cp.offset,
          ),
          new RecordDecoder(format, name, layout),
          spec,
        )
      : batchesFromWorker({
          ...spec,
          file,
          offset: cp.offset,
          firstLine: cp.line + 1,
          format,
          sourceName: name,
          hasEventId: layout?.hasEventId ?? false,
          credits: 2,
        });
    const progress: FileProgress = {
      file,
      records: 0,
      startedAt: Date.now(),
      bytesDone: cp.offset,
      bytesStart: cp.offset,
      bytesTotal: size,
    };
    const summary = await this.pump(batches, opts, (b) => {
      progress.records += b.read;
      progress.bytesDone = b.endOffset;
      opts.progress?.(progress);
      cp = {
        ...cp,
        line: b.lastLine,
        offset: b.endOffset,
        read: cp.read + b.read,
        produced: cp.produced + b.main.length,
        dead_lettered: cp.dead_lettered + b.dlq.length,
      };
      return cp;
    }).catch((e: unknown) => {
      // What Kafka acknowledged is kept: a rerun resumes after it.
      this.checkpoints?.save(cp);
      return withSummary(e, file, resumedAfter);
    });
    this.checkpoints?.save(cp);
    return { ...summary, source: file, resumed_after_line: resumedAfter };
  }

  /** A stream with no checkpoint (standard input): CSV needs its header as the first line. */
  async produceStream(
    stream: Readable,
    sourceName: string,
    format: InputFormat,
    opts: IngestOptions,
  ): Promise<IngestSummary> {
    let decoder: RecordDecoder | undefined;
    const lines = readLines(stream);
    let first: Line[] = [];
    if (format === 'csv') {
      const next = await lines.next();
      if (next.done) throw new ProducerError(`${sourceName}: empty input, expected a CSV header`);
      const [header, ...rest] = next.value;
      const parsed = parseCsvHeader(header.text ?? '');
      if (!('columns' in parsed)) throw new ProducerError(`${sourceName}: ${parsed.message}`);
      decoder = new RecordDecoder(format, sourceName, parsed);
      first = rest;
    } else decoder = new RecordDecoder(format, sourceName);
    async function* all(): AsyncGenerator<Line[]> {
      if (first.length) yield first;
      yield* lines;
    }
    const batches = buildBatches(all(), decoder, await this.batchSpec(opts));
    const summary = await this.pump(batches, opts, () => undefined).catch((e: unknown) =>
      withSummary(e, sourceName, 0),
    );
    return { ...summary, source: sourceName, resumed_after_line: 0 };
  }

  private async batchSpec(opts: IngestOptions) {
    return {
      batchSize: opts.rate
        ? Math.max(1, Math.min(opts.batchSize, Math.ceil(opts.rate / 10)))
        : opts.batchSize,
      partitions: await this.kafka.partitionCount(opts.topic),
      dlqPartitions: await this.kafka.partitionCount(opts.dlqTopic),
    };
  }

  /** Sends batches in order, one in flight while the next is prepared; calls onAcked per batch. */
  private async pump(
    batches: AsyncGenerator<Batch>,
    opts: IngestOptions,
    onAcked: (b: Batch) => Checkpoint | undefined,
  ): Promise<Omit<IngestSummary, 'source' | 'resumed_after_line'>> {
    const started = Date.now();
    const totals = { read: 0, produced: 0, dead_lettered: 0, produced_bytes: 0 };
    let inflight: Promise<void> = Promise.resolve();
    let failure: unknown;
    let lastSave = 0;

    const ship = async (b: Batch) => {
      await inflight;
      if (failure) throw failure;
      if (b.read === 0) {
        onAcked(b); // only blank lines: nothing to send, the checkpoint moves on
        return;
      }
      if (opts.rate) {
        const due = started + ((totals.read + b.read) / opts.rate) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      // One request per lane; a lane owns the partitions p with p % lanes = lane.
      const lanes = this.kafka.lanes;
      const perLane = Array.from({ length: lanes }, () => ({
        main: [] as OutgoingMessage[],
        dlq: [] as OutgoingMessage[],
      }));
      for (const m of b.main) perLane[m.partition! % lanes].main.push(m);
      for (const m of b.dlq) perLane[m.partition! % lanes].dlq.push(m);
      const requests = perLane.map((l, lane) => {
        const topicMessages = [];
        if (l.main.length) topicMessages.push({ topic: opts.topic, messages: l.main });
        if (l.dlq.length) topicMessages.push({ topic: opts.dlqTopic, messages: l.dlq });
        return topicMessages.length ? this.kafka.send(topicMessages, lane) : Promise.resolve();
      });
      const t0 = process.hrtime.bigint();
      inflight = Promise.all(requests).then(
        () => {
          this.metrics?.batchSeconds.observe(Number(process.hrtime.bigint() - t0) / 1e9);
          totals.read += b.read;
          totals.produced += b.main.length;
          totals.dead_lettered += b.dlq.length;
          totals.produced_bytes += b.bytes;
          if (this.metrics) {
            this.metrics.read.inc(b.read);
            this.metrics.produced.inc(b.main.length);
            for (const r of Object.values(b.rules)) {
              this.metrics.deadLettered.inc({ field: r.field, rule: r.rule }, r.n);
            }
          }
          const cp = onAcked(b);
          if (cp && this.checkpoints && Date.now() - lastSave > 1000) {
            this.checkpoints.save(cp);
            lastSave = Date.now();
          }
        },
        (e: unknown) => {
          failure = e;
        },
      );
    };

    let aborted = false;
    let thrown: unknown;
    try {
      for await (const batch of batches) {
        await ship(batch);
        if (opts.signal?.aborted) {
          aborted = true;
          break;
        }
      }
    } catch (e) {
      thrown = e;
    } finally {
      await inflight;
    }
    const error = failure ?? thrown;
    if (error !== undefined) {
      throw new PumpFailure(error, {
        ...totals,
        elapsed_ms: Date.now() - started,
        complete: false,
        failed: true,
      });
    }
    return { ...totals, elapsed_ms: Date.now() - started, complete: !aborted };
  }
}
