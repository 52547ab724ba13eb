import { KAFKA_SASL_MECHANISM, KAFKA_SECURITY_PROTOCOL } from '@fstore/config';
import { FlinkScriptPolicyError } from './errors';
import { segments, Token, tokens } from './lexer';
import { splitStatements, SqlStatement } from './statements';

/**
 * What a job script may do. A job script declares Kafka tables and views, sets a few job options,
 * and ends with its one INSERT or EXECUTE STATEMENT SET; anything that reaches past that (files,
 * jars, user code, other systems) is refused before a statement is sent:
 * - CREATE [TEMPORARY] TABLE … WITH (…) and CREATE [TEMPORARY] VIEW … AS …; no CREATE TABLE … AS
 *   (CTAS), CREATE OR REPLACE TABLE / REPLACE TABLE … AS (RTAS), no CREATE FUNCTION (with or
 *   without USING JAR), CATALOG or DATABASE, no ADD/REMOVE JAR, LOAD/UNLOAD MODULE, USE, ALTER,
 *   DROP;
 * - no EXECUTE other than the final EXECUTE STATEMENT SET (whose statements are INSERTs);
 * - SET / RESET only of the keys SET_KEYS allows;
 * - WITH options: 'connector' one of CONNECTORS, formats one of FORMATS, Kafka client options
 *   ('properties.*') only those in KAFKA_PROPERTIES, 'properties.bootstrap.servers' only the
 *   configured brokers, the login's protocol and mechanism only the broker's (KAFKA_LOGIN; no
 *   `sasl.jaas.config`: who a job logs in as is the Flink JVMs' JAAS file's business);
 * - no /*+ OPTIONS(…) *\/ hints (they would override a table's WITH options).
 */
export const CONNECTORS: readonly string[] = ['kafka', 'upsert-kafka'];
export const FORMATS: readonly string[] = ['json', 'raw', 'csv'];
export const KAFKA_PROPERTIES: readonly string[] = [
  'properties.bootstrap.servers',
  'properties.group.id',
  'properties.auto.offset.reset',
  'properties.isolation.level',
  'properties.transaction.timeout.ms',
  'properties.security.protocol',
  'properties.sasl.mechanism',
];

/** The only values a job may give the login options (libs/config/src/kafka-acl.ts). */
export const KAFKA_LOGIN: Readonly<Record<string, string>> = {
  'properties.security.protocol': KAFKA_SECURITY_PROTOCOL,
  'properties.sasl.mechanism': KAFKA_SASL_MECHANISM,
};

/**
 * SET keys a job script may use: `pipeline.name`, `parallelism.default`, `table.local-time-zone`,
 * `pipeline.auto-watermark-interval`, `pipeline.object-reuse`, `execution.buffer-timeout.interval`,
 * and every key under `execution.checkpointing.`,
 * `table.exec.` and `table.optimizer.` except those naming a location or code (a part containing
 * dir, path, file, jar, class, url or plugin: `execution.checkpointing.dir`, …).
 */
export const SET_KEYS = {
  exact: [
    'pipeline.name',
    'parallelism.default',
    'table.local-time-zone',
    'pipeline.auto-watermark-interval',
    'pipeline.object-reuse',
    'execution.buffer-timeout.interval',
  ],
  prefixes: ['execution.checkpointing.', 'table.exec.', 'table.optimizer.'],
  denied: /dir|path|file|jar|class|url|plugin/i,
} as const;

export function setKeyAllowed(key: string): boolean {
  if ((SET_KEYS.exact as readonly string[]).includes(key)) return true;
  return (
    SET_KEYS.prefixes.some((p) => key.startsWith(p) && key.length > p.length) &&
    !SET_KEYS.denied.test(key) &&
    /^[a-z0-9._-]+$/.test(key)
  );
}

export interface ScriptPolicyOptions {
  /** The configured Kafka bootstrap servers (comma-separated); tables must use exactly these. */
  brokers?: string;
}

function refuse(s: SqlStatement, reason: string): never {
  throw new FlinkScriptPolicyError(reason, s.line);
}

/** Checks every statement of a rendered job script against the policy above. */
export function checkJobScript(statements: SqlStatement[], opts: ScriptPolicyOptions = {}): void {
  for (const s of statements) checkStatement(s, opts);
}

function checkStatement(s: SqlStatement, opts: ScriptPolicyOptions): void {
  for (const seg of segments(s.sql)) {
    if (seg.kind === 'block-comment' && /^\/\*\+[\s\S]*\bOPTIONS\s*\(/i.test(seg.text)) {
      refuse(s, '/*+ OPTIONS(…) */ hints are not allowed in a job script');
    }
  }
  const toks = tokens(s.sql);
  const words = toks.filter((t) => t.kind === 'word').map((t) => t.value);
  const head = words.slice(0, 3).join(' ');
  switch (s.kind) {
    case 'set':
    case 'reset': {
      const key = settingKey(s.sql);
      if (key === undefined) refuse(s, `${words[0]} needs a key (one of the allowed SET keys)`);
      else if (!setKeyAllowed(key)) refuse(s, `${words[0]} of '${key}' is not allowed`);
      return;
    }
    case 'ddl':
      return checkDdl(s, toks, words, opts);
    case 'insert':
      if (words[0] === 'EXECUTE') {
        refuse(s, `${head} is not allowed (only the final EXECUTE STATEMENT SET)`);
      }
      return;
    case 'statement-set':
      return checkStatementSet(s);
    default:
      if (words[0] === 'REPLACE' && words[1] === 'TABLE') {
        refuse(s, 'REPLACE TABLE … AS (RTAS) is not allowed in a job script');
      }
      if (words[0] === 'EXECUTE') {
        refuse(s, `${head} is not allowed (only the final EXECUTE STATEMENT SET)`);
      }
  }
}

/** The key of `SET 'key' = …` / `SET key = …` / `RESET 'key'`, or undefined for a bare one. */
function settingKey(sql: string): string | undefined {
  const m = /^\s*(?:SET|RESET)\s+(?:'((?:[^']|'')*)'|([A-Za-z0-9_.-]+))/i.exec(sql);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/''/g, "'") : m[2];
}

function checkDdl(s: SqlStatement, toks: Token[], words: string[], opts: ScriptPolicyOptions) {
  const [first] = words;
  if (first === 'ADD' || first === 'REMOVE') {
    refuse(s, `${words.slice(0, 2).join(' ')} is not allowed in a job script`);
  }
  if (first !== 'CREATE') refuse(s, `${first} statements are not allowed in a job script`);
  let i = 1;
  let orReplace = false;
  if (words[i] === 'OR' && words[i + 1] === 'REPLACE') {
    orReplace = true;
    i += 2;
  }
  while (words[i] === 'TEMPORARY' || words[i] === 'SYSTEM') i++;
  const object = words[i];
  if (object === 'TABLE') {
    if (orReplace) refuse(s, 'CREATE OR REPLACE TABLE … AS (RTAS) is not allowed in a job script');
    const afterTable = toks.findIndex((t) => t.kind === 'word' && t.value === 'TABLE');
    if (
      toks.slice(afterTable + 1).some((t) => t.depth === 0 && t.kind === 'word' && t.value === 'AS')
    ) {
      refuse(s, 'CREATE TABLE … AS (CTAS) is not allowed in a job script');
    }
    checkTableOptions(s, toks.slice(afterTable + 1), opts);
    return;
  }
  if (object === 'VIEW') return;
  if (object === 'FUNCTION') {
    if (words.includes('USING') && words.includes('JAR')) {
      refuse(s, 'CREATE FUNCTION … USING JAR is not allowed in a job script');
    }
    refuse(s, 'CREATE FUNCTION is not allowed in a job script (no user-defined functions)');
  }
  refuse(s, `CREATE ${object ?? ''} is not allowed in a job script`.trim());
}

function checkTableOptions(s: SqlStatement, toks: Token[], opts: ScriptPolicyOptions): void {
  const withAt = toks.findIndex((t) => t.depth === 0 && t.kind === 'word' && t.value === 'WITH');
  if (withAt === -1) return;
  const open = toks[withAt + 1];
  if (!open || open.kind !== 'punct' || open.value !== '(') {
    refuse(s, "WITH must be followed by ('key' = 'value', …)");
  }
  const options = new Map<string, string>();
  let j = withAt + 2;
  for (;;) {
    const [key, eq, value, sep] = toks.slice(j, j + 4);
    if (key?.kind === 'punct' && key.value === ')' && key.depth === 0) break;
    if (key?.kind !== 'string' || eq?.value !== '=' || value?.kind !== 'string') {
      refuse(s, "WITH options must be 'key' = 'value' pairs");
    }
    if ([...options.keys()].some((k) => k.toLowerCase() === key.value.toLowerCase())) {
      refuse(s, `WITH option '${key.value}' is given twice`);
    }
    options.set(key.value, value.value);
    if (sep?.kind === 'punct' && sep.value === ',') j += 4;
    else if (sep?.kind === 'punct' && sep.value === ')' && sep.depth === 0) break;
    else refuse(s, "WITH options must be 'key' = 'value' pairs");
  }
  for (const [key, value] of options) {
    const k = key.toLowerCase();
    if (k === 'connector' && !CONNECTORS.includes(value)) {
      refuse(s, `connector '${value}' is not allowed (allowed: ${CONNECTORS.join(', ')})`);
    }
    if ((k === 'format' || k.endsWith('.format')) && !FORMATS.includes(value)) {
      refuse(s, `format '${value}' is not allowed (allowed: ${FORMATS.join(', ')})`);
    }
    if (k.startsWith('properties.') && !KAFKA_PROPERTIES.includes(k)) {
      refuse(
        s,
        `Kafka client option '${key}' is not allowed (allowed: ${KAFKA_PROPERTIES.join(', ')})`,
      );
    }
    if (KAFKA_LOGIN[k] !== undefined && value !== KAFKA_LOGIN[k]) {
      refuse(s, `'${k}' must be '${KAFKA_LOGIN[k]}' (the broker's SASL listener)`);
    }
    if (
      k === 'properties.bootstrap.servers' &&
      opts.brokers !== undefined &&
      value !== opts.brokers
    ) {
      refuse(
        s,
        "'properties.bootstrap.servers' must be the configured brokers ('${KAFKA_BROKERS}')",
      );
    }
  }
}

function checkStatementSet(s: SqlStatement): void {
  const body = s.sql.replace(/^EXECUTE\s+STATEMENT\s+SET\s+BEGIN/i, '').replace(/END\s*$/i, '');
  for (const inner of splitStatements(body)) {
    const first = /^\s*(\w+)/.exec(inner.sql)?.[1]?.toUpperCase();
    if (inner.kind !== 'insert' || first !== 'INSERT') {
      throw new FlinkScriptPolicyError(
        `a statement set holds only INSERT statements, got: ${inner.sql.slice(0, 60)}`,
        s.line + inner.line - 1,
      );
    }
    checkStatement({ ...inner, line: s.line + inner.line - 1 }, {});
  }
}
