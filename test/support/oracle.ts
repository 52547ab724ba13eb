/**
 * The reference implementation of DESIGN §3: the eight features computed by plain code over a
 * list of events. Every engine's output is compared with it. Deliberately simple and slow.
 */
export interface OracleEvent {
  event_id: string;
  customer_id: string;
  product_id: string;
  category: string;
  /** decimal(10,2), as text ("12.50") or number */
  price: string | number;
  quantity: number;
  /** `YYYY-MM-DD HH:MM:SS[.fff]` or ISO-8601, UTC */
  transaction_date: string;
  review_rating: number | null;
}

export interface OracleValue {
  /** As GET returns it: exact decimals with two places, integers, or a double. */
  value: string;
  kind: 'decimal' | 'int' | 'double';
}

const DAY_MS = 24 * 3600 * 1000;

export function eventTimeMs(text: string): number {
  const iso = text.includes('T') ? text : text.replace(' ', 'T');
  return Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
}

function cents(price: string | number): bigint {
  const text = typeof price === 'number' ? price.toFixed(2) : price;
  const [whole, frac = ''] = text.split('.');
  return BigInt(whole) * 100n + BigInt(frac.padEnd(2, '0').slice(0, 2));
}

const money = (c: bigint): OracleValue => {
  const sign = c < 0n ? '-' : '';
  const abs = c < 0n ? -c : c;
  return { value: `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`, kind: 'decimal' };
};
const mean = (xs: number[]): OracleValue => ({
  value: String(xs.reduce((a, b) => a + b, 0) / xs.length),
  kind: 'double',
});

interface Ev extends OracleEvent {
  t: number;
  amount: bigint;
}

/** Newest first: by event time, then event_id in byte order. */
function newestFirst(a: Ev, b: Ev): number {
  if (a.t !== b.t) return b.t - a.t;
  return Buffer.compare(Buffer.from(b.event_id), Buffer.from(a.event_id));
}

function unique(events: readonly OracleEvent[]): Ev[] {
  const seen = new Map<string, Ev>();
  for (const e of events) {
    if (!seen.has(e.event_id)) {
      seen.set(e.event_id, {
        ...e,
        t: eventTimeMs(e.transaction_date),
        amount: cents(e.price) * BigInt(e.quantity),
      });
    }
  }
  return [...seen.values()];
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const g = m.get(k);
    if (g) g.push(it);
    else m.set(k, [it]);
  }
  return m;
}

/** The four stream features, as Redis key → value. */
export function streamFeatures(events: readonly OracleEvent[]): Map<string, OracleValue> {
  const evs = unique(events).sort(newestFirst);
  const rated = evs.filter((e) => e.review_rating !== null);
  const out = new Map<string, OracleValue>();
  for (const [p, es] of groupBy(rated, (e) => e.product_id)) {
    out.set(`avg_review:{${p}}`, mean(es.slice(0, 5).map((e) => e.review_rating!)));
  }
  for (const [c, es] of groupBy(evs, (e) => e.customer_id)) {
    out.set(`last_purchase_amount:{${c}}`, money(es[0].amount));
  }
  for (const es of groupBy(rated, (e) => `${e.customer_id}\u0000${e.product_id}`).values()) {
    const e = es[0];
    out.set(`last_review:{${e.customer_id}}_{${e.product_id}}`, {
      value: String(e.review_rating),
      kind: 'int',
    });
  }
  for (const [cat, es] of groupBy(evs, (e) => e.category)) {
    out.set(`revenue_category:{${cat}}`, money(es.slice(0, 3).reduce((s, e) => s + e.amount, 0n)));
  }
  return out;
}

/** The four batch features as of T (epoch ms), over (T − 30 days, T]. */
export function batchFeatures(
  events: readonly OracleEvent[],
  asOf: number,
): Map<string, OracleValue> {
  const window = unique(events).filter((e) => e.t > asOf - 30 * DAY_MS && e.t <= asOf);
  const out = new Map<string, OracleValue>();
  for (const [p, es] of groupBy(window, (e) => e.product_id)) {
    out.set(`units_sold:{${p}}`, {
      value: String(es.reduce((s, e) => s + e.quantity, 0)),
      kind: 'int',
    });
    out.set(`revenue_by_product:{${p}}`, money(es.reduce((s, e) => s + e.amount, 0n)));
    const ratings = es.filter((e) => e.review_rating !== null).map((e) => e.review_rating!);
    if (ratings.length > 0) out.set(`avg_review_rating:{${p}}`, mean(ratings));
  }
  for (const [cat, es] of groupBy(window, (e) => e.category)) {
    out.set(`revenue_by_category:{${cat}}`, money(es.reduce((s, e) => s + e.amount, 0n)));
  }
  return out;
}

/** Whether a value read from Redis equals the oracle's (doubles to a relative 1e-9). */
export function sameValue(expected: OracleValue, actual: string | null): boolean {
  if (actual === null) return false;
  if (expected.kind !== 'double') return expected.value === actual;
  const e = Number(expected.value);
  const a = Number(actual);
  return Math.abs(a - e) <= 1e-9 * Math.max(1, Math.abs(e));
}
