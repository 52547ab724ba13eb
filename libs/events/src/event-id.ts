import { createHash } from 'crypto';

/** Namespace of every derived event_id (a fixed, random UUID: changing it changes every id). */
export const EVENT_ID_NAMESPACE = '5b7d1c1e-3c59-4f0a-9f43-0b8f5a0e6d21';
const NAMESPACE_BYTES = Buffer.from(EVENT_ID_NAMESPACE.replace(/-/g, ''), 'hex');

/** RFC 9562 UUIDv5 (SHA-1) of `name` in `namespace`. */
export function uuidV5(name: string, namespace: Buffer = NAMESPACE_BYTES): string {
  const h = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.toString('hex', 0, 16);
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * The event_id of a record whose input carries none: UUIDv5(EVENT_ID_NAMESPACE,
 * "<file basename>:<line>"), line = 1-based physical line in the file (the CSV header is line 1).
 * Same file name and line ⇒ same id, on every replay.
 */
export function deriveEventId(sourceName: string, line: number): string {
  return uuidV5(`${sourceName}:${line}`);
}
