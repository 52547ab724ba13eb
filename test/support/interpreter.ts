/**
 * The reference implementation of docs/design.md §7: every feature of `features/` computed by
 * plain code over a list of events, the way the definitions read in words. It shares nothing with
 * the compilers but the parsed definitions (names, expression trees): it evaluates expressions
 * itself, with exact decimals, and orders, deduplicates and windows events itself. Every engine's
 * output is compared with it. Deliberately simple and slow.
 */
import { REGISTRY } from '@fstore/contracts';
import type { Expr, Registry, ResolvedFeature, ResolvedSource } from '@fstore/definitions';

export interface OracleValue {
  /** As GET returns it: exact decimals with two places, integers, or a double. */
  value: string;
  kind: 'decimal' | 'int' | 'double';
}

/** An exact number: units × 10^-scale. */
interface Exact {
  units: bigint;
  scale: number;
}
type Value = null | boolean | string | number | Exact;

const isExact = (v: Value): v is Exact => typeof v === 'object' && v !== null;

export function eventTimeMs(text: string): number {
  const iso = text.includes('T') ? text : text.replace(' ', 'T');
  return Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
}

function exactOf(text: string): Exact {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) throw new Error(`not a number: ${text}`);
  const frac = m[3] ?? '';
  const units = BigInt(`${m[2] || '0'}${frac}`);
  return { units: m[1] ? -units : units, scale: frac.length };
}

const rescale = (x: Exact, scale: number): bigint => x.units * 10n ** BigInt(scale - x.scale);
const toDouble = (v: Value): number =>
  isExact(v) ? Number(v.units) / 10 ** v.scale : Number(v as number);

/** A raw column's value from an event, typed as the source declares it. */
function rawValue(src: ResolvedSource, event: Record<string, unknown>, name: string): Value {
  const col = src.columns.find((c) => c.name === name)!;
  const v = event[name];
  if (v === null || v === undefined || v === '') return null;
  switch (col.type.kind) {
    case 'int':
    case 'bigint':
    case 'decimal':
      return exactOf(typeof v === 'number' ? String(v) : String(v));
    case 'double':
      return Number(v);
    case 'boolean':
      return Boolean(v);
    case 'timestamp':
      return eventTimeMs(String(v));
    default:
      return String(v);
  }
}

function compare(a: Value, b: Value): number {
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (isExact(a) && isExact(b)) {
    const s = Math.max(a.scale, b.scale);
    const d = rescale(a, s) - rescale(b, s);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  }
  return Math.sign(toDouble(a) - toDouble(b));
}

function arithmetic(op: string, a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  if (op === '/') return toDouble(a) / toDouble(b);
  if (!isExact(a) || !isExact(b)) {
    const x = toDouble(a);
    const y = toDouble(b);
    return op === '+' ? x + y : op === '-' ? x - y : x * y;
  }
  if (op === '*') return { units: a.units * b.units, scale: a.scale + b.scale };
  const s = Math.max(a.scale, b.scale);
  const units = op === '+' ? rescale(a, s) + rescale(b, s) : rescale(a, s) - rescale(b, s);
  return { units, scale: s };
}

/** SQL's three-valued logic: null is unknown. */
function evaluate(e: Expr, column: (name: string) => Value): Value {
  const ev = (x: Expr) => evaluate(x, column);
  switch (e.node) {
    case 'column':
      return column(e.name);
    case 'number':
      return /[eE]/.test(e.text) ? Number(e.text) : exactOf(e.text);
    case 'string':
      return e.value;
    case 'boolean':
      return e.value;
    case 'null':
      return null;
    case 'unary': {
      const v = ev(e.arg);
      if (v === null) return null;
      if (e.op === 'NOT') return !v;
      return isExact(v) ? { units: -v.units, scale: v.scale } : -(v as number);
    }
    case 'binary': {
      if (e.op === 'AND') {
        const l = ev(e.left);
        const r = ev(e.right);
        if (l === false || r === false) return false;
        return l === null || r === null ? null : true;
      }
      if (e.op === 'OR') {
        const l = ev(e.left);
        const r = ev(e.right);
        if (l === true || r === true) return true;
        return l === null || r === null ? null : false;
      }
      const l = ev(e.left);
      const r = ev(e.right);
      if (['+', '-', '*', '/'].includes(e.op)) return arithmetic(e.op, l, r);
      if (l === null || r === null) return null;
      const c = compare(l, r);
      return { '=': c === 0, '<>': c !== 0, '<': c < 0, '<=': c <= 0, '>': c > 0, '>=': c >= 0 }[
        e.op as '=' | '<>' | '<' | '<=' | '>' | '>='
      ];
    }
    case 'is_null':
      return (ev(e.arg) === null) !== e.negated;
    case 'in': {
      const v = ev(e.arg);
      if (v === null) return null;
      const found = e.list.some((x) => {
        const y = ev(x);
        return y !== null && compare(v, y) === 0;
      });
      return found !== e.negated;
    }
    case 'between': {
      const v = ev(e.arg);
      const lo = ev(e.low);
      const hi = ev(e.high);
      if (v === null || lo === null || hi === null) return null;
      return (compare(v, lo) >= 0 && compare(v, hi) <= 0) !== e.negated;
    }
    case 'call': {
      const args = e.args.map(ev);
      if (e.fn === 'COALESCE') return args.find((a) => a !== null) ?? null;
      const [v] = args;
      if (v === null) return null;
      if (e.fn === 'ABS') {
        return isExact(v)
          ? { units: v.units < 0n ? -v.units : v.units, scale: v.scale }
          : Math.abs(v as number);
      }
      return e.fn === 'LOWER' ? String(v).toLowerCase() : String(v).toUpperCase();
    }
  }
}

interface Row {
  id: string;
  t: number;
  column: (name: string) => Value;
}

function rowsOf(src: ResolvedSource, events: readonly object[]): Row[] {
  const seen = new Map<string, Row>();
  for (const raw of events) {
    const event = raw as Record<string, unknown>;
    const id = String(event[src.eventId]);
    if (seen.has(id)) continue; // a redelivery: the first delivery counts
    const column = (name: string): Value => {
      const d = src.derived.find((x) => x.name === name);
      return d ? evaluate(d.expr, column) : rawValue(src, event, name);
    };
    seen.set(id, { id, t: eventTimeMs(String(event[src.eventTime])), column });
  }
  return [...seen.values()];
}

/** Newest first: by event time, then event id in byte order. */
function newestFirst(a: Row, b: Row): number {
  if (a.t !== b.t) return b.t - a.t;
  return Buffer.compare(Buffer.from(b.id), Buffer.from(a.id));
}

function format(f: ResolvedFeature, v: Value): OracleValue {
  if (f.type === 'double') return { value: String(toDouble(v)), kind: 'double' };
  const x = v as Exact;
  if (f.type === 'int')
    return { value: (x.units / 10n ** BigInt(x.scale)).toString(), kind: 'int' };
  const cents = rescale(x, 2);
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return { value: `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`, kind: 'decimal' };
}

function reduce(f: ResolvedFeature, reducer: string, values: Value[]): OracleValue | undefined {
  if (values.length === 0) return undefined;
  switch (reducer) {
    case 'count':
      return { value: String(values.length), kind: 'int' };
    case 'avg':
      return {
        value: String(values.reduce<number>((s, v) => s + toDouble(v), 0) / values.length),
        kind: 'double',
      };
    case 'sum':
      return format(
        f,
        values.reduce((s, v) => arithmetic('+', s, v)),
      );
    case 'min':
      return format(
        f,
        values.reduce((m, v) => (compare(v, m) < 0 ? v : m)),
      );
    case 'max':
      return format(
        f,
        values.reduce((m, v) => (compare(v, m) > 0 ? v : m)),
      );
    default:
      throw new Error(`unknown reducer ${reducer}`);
  }
}

/** The Redis key of an entity's value: `<feature>:{k1}[_{k2}]`. */
const keyOf = (f: ResolvedFeature, parts: string[]) =>
  `${f.name}:${parts.map((p) => `{${p}}`).join('_')}`;

/**
 * One feature's values, key → value, over the given events. Stream features: at the end of the
 * stream (all events seen). Batch features, and anything with `asOf`: as of that time, events in
 * (asOf − window, asOf] (or ≤ asOf for last/last_k without a window).
 */
export function featureValues(
  f: ResolvedFeature,
  events: readonly object[],
  asOf?: number,
  registry: Registry = REGISTRY,
): Map<string, OracleValue> {
  const src = registry.sources.find((s) => s.name === f.source)!;
  const a = f.aggregation;
  const qualifying = rowsOf(src, events).filter((r) => {
    if (asOf !== undefined && r.t > asOf) return false;
    if (asOf !== undefined && f.windowMs !== undefined && r.t <= asOf - f.windowMs) return false;
    if (f.filter && evaluate(f.filter, r.column) !== true) return false;
    return !f.of || evaluate(f.of.expr, r.column) !== null;
  });
  const groups = new Map<string, { parts: string[]; rows: Row[] }>();
  for (const r of qualifying) {
    const parts = f.entity.keys.map((k) => String(r.column(k)));
    const id = parts.join('\u0000');
    const g = groups.get(id) ?? { parts, rows: [] };
    g.rows.push(r);
    groups.set(id, g);
  }
  const out = new Map<string, OracleValue>();
  for (const { parts, rows } of groups.values()) {
    rows.sort(newestFirst);
    const value = (r: Row) => (f.of ? evaluate(f.of.expr, r.column) : 1);
    let result: OracleValue | undefined;
    if (a.op === 'last') result = format(f, value(rows[0]));
    else if (a.op === 'last_k') result = reduce(f, a.reduce, rows.slice(0, a.k).map(value));
    else result = reduce(f, a.op, rows.map(value));
    if (result) out.set(keyOf(f, parts), result);
  }
  return out;
}

/** A stream time window: its value depends on when it is read (windowValues), not only on events. */
export const isStreamWindow = (f: ResolvedFeature): boolean =>
  f.engine === 'stream' && f.aggregation.op !== 'last' && f.aggregation.op !== 'last_k';

/**
 * A stream time window's values as a read at `readTime` must serve them, with the bounds, by the
 * rule of docs/online-store-format.md ("Time windows") restated here: tiles of g ms end at whole
 * multiples of g; a read at t covers (e − W, e] with e the first multiple of g at or after t.
 */
export function windowValues(
  f: ResolvedFeature,
  events: readonly object[],
  readTime: number,
): { start: number; end: number; values: Map<string, OracleValue> } {
  const g = f.granularityMs!;
  let end = readTime - (readTime % g);
  if (end < readTime) end += g;
  return { start: end - f.windowMs!, end, values: featureValues(f, events, end) };
}

/**
 * Every stream feature's values once all events are in, as Redis key → value; time windows,
 * whose values depend on the read time, are left to windowValues.
 */
export function streamFeatures(events: readonly object[]): Map<string, OracleValue> {
  const out = new Map<string, OracleValue>();
  for (const f of REGISTRY.features.filter((x) => x.engine === 'stream' && !isStreamWindow(x))) {
    for (const [k, v] of featureValues(f, events)) out.set(k, v);
  }
  return out;
}

/** Every batch feature's values as of T (epoch ms), as Redis key → value. */
export function batchFeatures(events: readonly object[], asOf: number): Map<string, OracleValue> {
  const out = new Map<string, OracleValue>();
  for (const f of REGISTRY.features.filter((x) => x.engine === 'batch')) {
    for (const [k, v] of featureValues(f, events, asOf)) out.set(k, v);
  }
  return out;
}

/**
 * What the batch job's history holds as of T (epoch ms), as Redis key → value: every batch
 * feature and every stream time window as of T, over (T − W, T] (equal to the online value read at
 * any t whose tile ends at T). Stream last / last_k are online only.
 */
export function historyFeatures(events: readonly object[], asOf: number): Map<string, OracleValue> {
  const out = batchFeatures(events, asOf);
  for (const f of REGISTRY.features.filter(isStreamWindow)) {
    for (const [k, v] of featureValues(f, events, asOf)) out.set(k, v);
  }
  return out;
}

const valuesCache = new WeakMap<readonly object[], Map<string, Map<string, OracleValue>>>();

/**
 * docs/design.md §7 "Point in time": feature f's value for the entity `keyParts` in a training-set
 * row at time t (epoch ms), over these events: a stream feature over the events ≤ t (a time window
 * over (t − W, t] exactly: no tiles), a batch feature from the snapshot with the greatest as-of ≤ t
 * among `snapshots` (the as-ofs batch runs computed); undefined where there is no value.
 */
export function valueAt(
  f: ResolvedFeature,
  events: readonly object[],
  keyParts: string[],
  t: number,
  snapshots: readonly number[] = [],
): OracleValue | undefined {
  let asOf = t;
  if (f.engine === 'batch') {
    const eligible = snapshots.filter((s) => s <= t);
    if (eligible.length === 0) return undefined;
    asOf = Math.max(...eligible);
  }
  let cache = valuesCache.get(events);
  if (!cache) valuesCache.set(events, (cache = new Map()));
  const id = `${f.name}@${asOf}`;
  let values = cache.get(id);
  if (!values) cache.set(id, (values = featureValues(f, events, asOf)));
  return values.get(keyOf(f, keyParts));
}
