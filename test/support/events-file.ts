import { readFileSync, writeFileSync } from 'fs';

/**
 * Reads an NDJSON file of generated events and gives each the run's prefix before the named id
 * fields, so that a run's entities (and Redis keys) are its own.
 */
export function readEventsOfRun<T extends object = Record<string, unknown>>(
  file: string,
  prefix: string,
  fields: readonly string[],
): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const e = JSON.parse(line) as Record<string, unknown>;
      const ids = Object.fromEntries(fields.map((f) => [f, `${prefix}${String(e[f])}`]));
      return { ...e, ...ids } as T;
    });
}

/** Writes events as NDJSON, one JSON object a line. */
export function writeNdjson(file: string, rows: readonly unknown[]): void {
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}
