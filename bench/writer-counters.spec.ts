import { WriterMetrics } from '../apps/feature-writer/src/metrics';
import {
  batchTimesBetween,
  bucketQuantile,
  countersBetween,
  formatBatchTimes,
  formatWriterCounters,
  parseBatchHistograms,
  parseHistogram,
  parseLoopDelay,
  parseWriterCounters,
} from './writer-counters';

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

describe("the writer's batch times the freshness bench reports", () => {
  it('estimates quantiles as histogram_quantile does: linear within the bucket', () => {
    const b = { le: [0.01, 0.1, 1, Infinity], counts: [50, 90, 100, 100] };
    expect(bucketQuantile(b, 0.5)).toBeCloseTo(0.01);
    expect(bucketQuantile(b, 0.25)).toBeCloseTo(0.005);
    expect(bucketQuantile(b, 0.7)).toBeCloseTo(0.01 + 0.09 * (20 / 40));
    expect(bucketQuantile(b, 0.99)).toBeCloseTo(0.1 + 0.9 * (9 / 10));
    // Past the highest finite bound: that bound.
    expect(bucketQuantile({ le: [0.1, Infinity], counts: [1, 10] }, 0.99)).toBe(0.1);
    expect(bucketQuantile({ le: [0.1, Infinity], counts: [0, 0] }, 0.5)).toBeUndefined();
  });

  it("reads the writer's own histograms, and what was observed between two readings", async () => {
    const metrics = new WriterMetrics();
    metrics.batchWait.observe(0.002);
    metrics.batchLatency.observe(0.5);
    const before = parseBatchHistograms(await metrics.registry.metrics());
    for (let i = 0; i < 100; i++) metrics.batchWait.observe(i < 99 ? 0.03 : 7);
    for (let i = 0; i < 100; i++) metrics.batchLatency.observe(0.004);
    const after = parseBatchHistograms(await metrics.registry.metrics());
    expect(
      parseHistogram(await metrics.registry.metrics(), 'fstore_writer_batch_wait_seconds'),
    ).toEqual(after.fstore_writer_batch_wait_seconds);
    const times = batchTimesBetween(before, after);
    expect(times.batches).toBe(100);
    // 0.03 s falls in (0.025, 0.05]: the median is interpolated halfway into it.
    expect(times.waitedMs.p50).toBeCloseTo(25 + 25 * (50 / 99));
    expect(times.waitedMs.p99).toBeCloseTo(50);
    expect(times.applyingMs.p50).toBeCloseTo(1 + 4 * (50 / 100));
    expect(formatBatchTimes(times)).toBe('100 writer batches: waited 38/50, applying 3/5 ms');
    expect(formatBatchTimes(batchTimesBetween(after, after))).toBe('no writer batches');
    expect(formatBatchTimes({ ...times, loopDelay: { p99Ms: 283.6, maxMs: 288.9 } })).toBe(
      '100 writer batches: waited 38/50, applying 3/5 ms, loop late 284/289 ms',
    );
  });

  it("reads how late the writer's event loop ran, from prom-client's default gauges", async () => {
    const metrics = new WriterMetrics();
    await metrics.registry.metrics(); // a scrape resets the delay's histogram
    await new Promise((r) => setTimeout(r, 30)); // its first tick after the reset
    const blockedUntil = Date.now() + 80;
    while (Date.now() < blockedUntil); // the loop held for 80 ms
    await new Promise((r) => setTimeout(r, 30));
    const delay = parseLoopDelay(await metrics.registry.metrics());
    expect(delay!.maxMs).toBeGreaterThanOrEqual(60);
    expect(delay!.maxMs).toBeGreaterThanOrEqual(delay!.p99Ms);
    expect(
      parseLoopDelay(
        'nodejs_eventloop_lag_p99_seconds 0.2836\nnodejs_eventloop_lag_max_seconds 0.2889\n',
      ),
    ).toEqual({ p99Ms: 283.6, maxMs: 288.9 });
    expect(parseLoopDelay('nodejs_eventloop_lag_p99_seconds 0.2836\n')).toBeUndefined();
  });
});
