/**
 * End-to-end freshness of the stream features (issue 6): the time from an event produced to
 * Kafka until its feature is visible in Redis, through the real pipeline (the four Flink SQL jobs
 * and the feature writer that `fstore pipeline up` runs).
 *
 *   npm run bench:freshness [-- --rates 1000,2500,5000,7500 --seconds 20]
 *
 * For each rate it produces events to `ecommerce.transactions` at that rate for the given time,
 * stamped with the current time as their event time. Every 20th event belongs to a new customer
 * of its own, so its `last_purchase_amount:{customer}` key appears exactly when that event has
 * gone through Flink and the writer; the benchmark watches those keys (one MGET per cluster node
 * every 10 ms) and records each one's delay. It prints p50 and p99 per rate and the highest rate
 * at which p99 stayed under 1 s. Target: p99 ≤ 1 s at ≥ 5,000 events/s.
 */
import { randomUUID } from 'crypto';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { loadavg } from 'os';
import { loadConfig } from '@fstore/config';
import { featureKey, TOPICS } from '@fstore/contracts';
import { RedisClusterOnlineStore } from '@fstore/online-store';
import { pipelineUp } from '../apps/cli/src/pipeline/pipeline';
import { stackContext } from '../apps/cli/src/stack/stack';

const SAMPLE_EVERY = 20;
const TICK_MS = 10;
const LIMIT_MS = 1000;

const t0 = Date.now();
const log = (m: string) =>
  console.log(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${m}`);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const utc = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);

function event(run: string, i: number, now: number, sampled: boolean) {
  const customer = sampled ? `fresh-${run}-${i}` : `bench-c${i % 5000}`;
  return {
    key: customer,
    value: JSON.stringify({
      event_id: `${run}-${i}`,
      customer_id: customer,
      product_id: `bench-p${i % 2000}`,
      category: `bench-cat${i % 8}`,
      price: 10 + (i % 90),
      quantity: 1 + (i % 3),
      transaction_date: utc(now),
      review_rating: i % 4 === 0 ? null : 1 + (i % 5),
      review_text: null,
      customer_age: 30,
      customer_gender: null,
      country: null,
      device_type: null,
      browsing_duration: 60,
      previous_purchases: 1,
    }),
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface RateResult {
  rate: number;
  produced: number;
  achievedRate: number;
  sampled: number;
  seen: number;
  p50: number;
  p99: number;
  max: number;
}

async function measure(
  producer: Producer,
  store: RedisClusterOnlineStore,
  rate: number,
  seconds: number,
): Promise<RateResult> {
  const run = randomUUID().slice(0, 8);
  const pending = new Map<string, number>(); // key → produced at
  const delays: number[] = [];
  let produced = 0;
  const start = Date.now();
  const end = start + seconds * 1000;
  let polling = true;
  const poller = (async () => {
    while (polling || pending.size > 0) {
      const keys = [...pending.keys()];
      if (keys.length > 0) {
        const values = await Promise.all(keys.map((k) => store.client.get(k)));
        const now = Date.now();
        keys.forEach((k, i) => {
          if (values[i] !== null) {
            delays.push(now - pending.get(k)!);
            pending.delete(k);
          }
        });
      }
      if (!polling && Date.now() > end + 30000) break; // give up on stragglers
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
  })();
  // Produce in 10 ms slices so that the rate is steady, not bursty.
  while (Date.now() < end) {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    const messages = [];
    const now = Date.now();
    for (; produced < due; produced++) {
      const sampled = produced % SAMPLE_EVERY === 0;
      const m = event(run, produced, now, sampled);
      if (sampled) pending.set(featureKey('last_purchase_amount', [m.key]), now);
      messages.push(m);
    }
    if (messages.length > 0) await producer.send({ topic: TOPICS.transactions, messages });
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  const achievedRate = produced / ((Date.now() - start) / 1000);
  polling = false;
  await poller;
  const sorted = delays.sort((a, b) => a - b);
  return {
    rate,
    produced,
    achievedRate,
    sampled: Math.ceil(produced / SAMPLE_EVERY),
    seen: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
  };
}

async function main(): Promise<void> {
  const rates = arg('rates', '1000,2500,5000,7500').split(',').map(Number);
  const seconds = Number(arg('seconds', '20'));
  const config = loadConfig();
  log('bringing the pipeline up (stack, writer, four Flink jobs)');
  await pipelineUp(stackContext(log));
  const kafka = new Kafka({ brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const store = RedisClusterOnlineStore.fromConfig(config);
  const results: RateResult[] = [];
  try {
    for (const rate of rates) {
      log(`${rate} events/s for ${seconds} s …`);
      const r = await measure(producer, store, rate, seconds);
      log(
        `  produced ${r.produced} (${r.achievedRate.toFixed(0)}/s), ${r.seen}/${r.sampled} seen, ` +
          `p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms`,
      );
      results.push(r);
    }
  } finally {
    await producer.disconnect();
    await store.close();
  }
  console.log('\nrate/s   achieved/s  seen/sampled  p50 ms  p99 ms  max ms  p99 ≤ 1 s');
  for (const r of results) {
    const ok = r.seen === r.sampled && r.p99 <= LIMIT_MS;
    console.log(
      `${String(r.rate).padEnd(8)} ${r.achievedRate.toFixed(0).padStart(10)}  ${`${r.seen}/${r.sampled}`.padStart(12)}  ` +
        `${String(r.p50).padStart(6)}  ${String(r.p99).padStart(6)}  ${String(r.max).padStart(6)}  ${ok ? 'yes' : 'no'}`,
    );
  }
  const best = results.filter((r) => r.seen === r.sampled && r.p99 <= LIMIT_MS).at(-1);
  console.log(
    `\nhighest sustained rate with p99 ≤ 1 s: ${best ? `${best.rate} events/s` : 'none of the rates tried'}` +
      ` (target: ≥ 5000 events/s); load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
}

void main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
