import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { GENERATED_LAYOUT, parseCsvHeader, parseCsvLine, parseNdjsonLine } from '@fstore/events';
import { MALFORMED_KINDS, MalformedKind, expectedReason, generate } from './generator';
import { Prng, Zipf } from './prng';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'fstore-gen-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Prng and Zipf', () => {
  it('repeat for a seed and differ between seeds', () => {
    const a = new Prng(1);
    const b = new Prng(1);
    const c = new Prng(2);
    const xs = Array.from({ length: 5 }, () => a.u32());
    expect(Array.from({ length: 5 }, () => b.u32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.u32())).not.toEqual(xs);
  });
  it('draws low ranks far more often', () => {
    const z = new Zipf(1000, 1.1);
    const rng = new Prng(3);
    const counts = new Array<number>(1000).fill(0);
    for (let i = 0; i < 20000; i++) counts[z.sample(rng)]++;
    expect(counts[0]).toBeGreaterThan(20 * counts[500]);
    expect(counts[0]).toBeGreaterThan(counts[1]);
  });
});

describe('generate', () => {
  it('is deterministic for a seed, about 130–150 bytes a row, every row valid', async () => {
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    const s = await generate({ rows: 20000, seed: 5, out: a });
    await generate({ rows: 20000, seed: 5, out: b });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(s.bytes / s.rows).toBeGreaterThanOrEqual(125);
    expect(s.bytes / s.rows).toBeLessThanOrEqual(150);
    const [header, ...rows] = readFileSync(a, 'utf8').trimEnd().split('\n');
    expect(parseCsvHeader(header)).toBe(GENERATED_LAYOUT);
    const events = rows.map((line) => {
      const r = parseCsvLine(line, GENERATED_LAYOUT);
      if (!r.ok) throw new Error(`${line}: ${JSON.stringify(r.error)}`);
      return r.event;
    });

    // Skewed key reuse, a small set of categories.
    const perCustomer = new Map<string, number>();
    for (const e of events)
      perCustomer.set(e.customer_id, (perCustomer.get(e.customer_id) ?? 0) + 1);
    expect(Math.max(...perCustomer.values())).toBeGreaterThan(100);
    expect(new Set(events.map((e) => e.category)).size).toBeLessThanOrEqual(8);

    // Out of order, with ties (same time, and same time for the same customer).
    let late = 0;
    for (let i = 1; i < events.length; i++) {
      if (events[i].transaction_date < events[i - 1].transaction_date) late++;
    }
    expect(late).toBeGreaterThan(100);
    const times = new Map<string, number>();
    for (const e of events) {
      const k = `${e.customer_id}|${e.transaction_date}`;
      times.set(k, (times.get(k) ?? 0) + 1);
    }
    expect([...times.values()].filter((n) => n > 1).length).toBeGreaterThan(10);

    // Redeliveries: same event_id, same bytes.
    const byId = new Map<string, string>();
    let dups = 0;
    rows.forEach((line, i) => {
      const id = events[i].event_id;
      if (byId.has(id)) {
        dups++;
        expect(line).toBe(byId.get(id));
      }
      byId.set(id, line);
    });
    expect(dups).toBe(s.duplicates);
    expect(dups).toBeGreaterThan(100);
  });

  it.each(['csv', 'ndjson'] as const)(
    'injects malformed %s rows of every kind, each breaking its rule',
    async (format) => {
      const out = join(dir, `bad.${format}`);
      const bad = new Map<number, MalformedKind>();
      await generate({
        rows: 2000,
        seed: 8,
        out,
        malformed: 0.05,
        onMalformed: (l, k) => bad.set(l, k),
      });
      expect(new Set(bad.values())).toEqual(new Set(MALFORMED_KINDS));
      const lines = readFileSync(out).toString('latin1').split('\n');
      for (const [lineNo, kind] of bad) {
        const bytes = Buffer.from(lines[lineNo - 1], 'latin1');
        if (kind === 'invalid_utf8') {
          expect(bytes.toString('utf8')).toContain('\uFFFD');
          continue;
        }
        const text = bytes.toString('utf8');
        const r = format === 'csv' ? parseCsvLine(text, GENERATED_LAYOUT) : parseNdjsonLine(text);
        expect(!r.ok && { field: r.error.field, rule: r.error.rule }).toEqual(
          expectedReason(kind, format),
        );
      }
    },
  );
});
