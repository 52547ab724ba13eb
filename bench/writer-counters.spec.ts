import { WriterMetrics } from '../apps/feature-writer/src/metrics';
import { countersBetween, formatWriterCounters, parseWriterCounters } from './writer-counters';

describe('the feature writer counters the freshness bench reports', () => {
  it("reads the writer's own exposition, summing a counter over its labels", async () => {
    const metrics = new WriterMetrics();
    metrics.recordsIn.inc({ feature: 'last_purchase_amount' }, 7);
    metrics.recordsIn.inc({ feature: 'purchases_1h' }, 5);
    metrics.written.inc(8);
    metrics.skippedOlder.inc(1);
    metrics.deadLettered.inc({ feature: 'purchases_1h' }, 2);
    const counters = parseWriterCounters(await metrics.registry.metrics());
    expect(counters).toEqual({ recordsIn: 12, written: 8, skippedOlder: 1, deadLettered: 2 });
  });

  it('counts a counter without a sample yet as 0, and ignores other metrics', () => {
    const text = [
      '# HELP fstore_writer_written_total Feature values written to Redis',
      '# TYPE fstore_writer_written_total counter',
      'fstore_writer_written_total 3',
      'fstore_writer_written_total_other 100',
      'process_cpu_seconds_total 9.5',
    ].join('\n');
    expect(parseWriterCounters(text)).toEqual({
      recordsIn: 0,
      written: 3,
      skippedOlder: 0,
      deadLettered: 0,
    });
  });

  it('gives what happened between two readings, per event', () => {
    const before = { recordsIn: 100, written: 60, skippedOlder: 10, deadLettered: 0 };
    const after = { recordsIn: 740, written: 550, skippedOlder: 30, deadLettered: 1 };
    const delta = countersBetween(before, after);
    expect(delta).toEqual({ recordsIn: 640, written: 490, skippedOlder: 20, deadLettered: 1 });
    expect(formatWriterCounters(delta, 100)).toBe(
      'per event: 6.40 records in, 4.90 written, 0.20 skipped as older, ' +
        '1.29 folded into a later record, 0.01 dead-lettered',
    );
    expect(formatWriterCounters(delta, 0)).toBe('no events');
    expect(formatWriterCounters(delta, 640, 'record')).toMatch(/^per record: 1\.00 records in, /);
  });
});
