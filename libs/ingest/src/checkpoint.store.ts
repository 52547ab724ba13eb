import { createHash } from 'crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
} from 'fs';
import { join } from 'path';

/** How far a file has been produced: every line up to `line` (ending at byte `offset`) is acked. */
export interface Checkpoint {
  version: 1;
  /** Absolute path of the input file. */
  file: string;
  /** sha-256 of the file's first HEAD_BYTES bytes (or all of it, if shorter). */
  head_sha256: string;
  topic: string;
  dlq_topic: string;
  /** Last acknowledged line (1-based; 0 = none) and the byte offset just after it. */
  line: number;
  offset: number;
  /** Totals over every run so far. */
  read: number;
  produced: number;
  dead_lettered: number;
  updated_at: string;
}

const HEAD_BYTES = 64 * 1024;

/** sha-256 of a file's first 64 KiB: identifies "the same file" even after it was appended to. */
export function fileHead(path: string): { sha256: string; bytes: number } {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    return { sha256: createHash('sha256').update(buf.subarray(0, n)).digest('hex'), bytes: n };
  } finally {
    closeSync(fd);
  }
}

/** Checkpoints as small JSON files, one per (input file, topic), written atomically. */
export class CheckpointStore {
  constructor(readonly dir: string) {}

  pathFor(file: string, topic: string): string {
    const id = createHash('sha256').update(`${file}\0${topic}`).digest('hex').slice(0, 24);
    return join(this.dir, `${id}.json`);
  }

  load(file: string, topic: string): Checkpoint | undefined {
    try {
      const cp = JSON.parse(readFileSync(this.pathFor(file, topic), 'utf8')) as Checkpoint;
      return cp.version === 1 && cp.file === file && cp.topic === topic ? cp : undefined;
    } catch {
      return undefined;
    }
  }

  save(cp: Checkpoint): void {
    mkdirSync(this.dir, { recursive: true });
    const path = this.pathFor(cp.file, cp.topic);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ ...cp, updated_at: new Date().toISOString() }, null, 2));
    renameSync(tmp, path);
  }
}
