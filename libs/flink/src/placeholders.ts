import { FstoreConfig, KafkaGrants, kafkaNameGranted } from '@fstore/config';
import { FEATURE_TOPIC_PREFIX, TOPICS } from '@fstore/contracts';
import { FlinkParameterError, FlinkPlaceholderError } from './errors';
import { lineAt, segments } from './lexer';

/** `${NAME}`: upper-case letters, digits and underscores; `$${…}` is a literal `${…}`. */
const PLACEHOLDER = /\$(\$?)\{([^}]*)\}/g;
const NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * What a placeholder's value may be, from its name:
 * - `config`: connection targets and paths (`KAFKA_BROKERS`, `…_BROKERS`, `…_SERVERS`, `…_HOST`,
 *   `…_URL`, `…_PATH`, `…_DIR`, `…_FILE`, `…_JAR`): from configuration only, never from a caller;
 * - `topic` (`…_TOPIC`, `…_TOPIC_PREFIX`): a Kafka topic name, 1–249 of `A-Z a-z 0-9 . _ -`;
 * - `group` (`…_GROUP`, `…_GROUP_ID`): a consumer group, 1–255 of the same characters;
 * - `name` (any other caller-given name): 1–255 of the same characters.
 */
export type PlaceholderType = 'config' | 'topic' | 'group' | 'name';

const CONFIG_ONLY = /(^|_)(BROKERS|SERVERS|BOOTSTRAP|HOSTS?|URLS?|URI|PATHS?|DIR|FILE|JARS?)$/;

export function placeholderType(name: string): PlaceholderType {
  if (CONFIG_ONLY.test(name)) return 'config';
  if (/(^|_)TOPIC(_PREFIX)?$/.test(name)) return 'topic';
  if (/(^|_)GROUP(_ID)?$/.test(name)) return 'group';
  return 'name';
}

const SAFE_NAME = /^[A-Za-z0-9._-]+$/;

/**
 * Why a caller may not give `value` for placeholder `name`, or undefined if it may. With
 * `grants` (the `flink` user's Kafka ACLs, FSTORE_FLINK_KAFKA_TOPICS/GROUPS), a topic or group
 * must also be one the Flink jobs may use: another would fail only when the job runs.
 */
export function parameterProblem(
  name: string,
  value: unknown,
  grants?: KafkaGrants,
): string | undefined {
  if (!NAME.test(name)) return 'placeholder names are upper-case letters, digits and _';
  const type = placeholderType(name);
  if (type === 'config') return 'comes from configuration only; a caller may not set it';
  if (typeof value !== 'string') return 'must be a string';
  const max = type === 'topic' ? 249 : 255;
  const what =
    type === 'topic' ? 'a Kafka topic name' : type === 'group' ? 'a consumer group' : 'a name';
  if (value.length === 0 || value.length > max || !SAFE_NAME.test(value)) {
    return `must be ${what}: 1–${max} of A-Z a-z 0-9 . _ -`;
  }
  if (type === 'topic' && (value === '.' || value === '..')) return `must be ${what}`;
  return grants ? grantProblem(name, value, grants) : undefined;
}

/** Grants as a refusal lists them. */
const list = (grants: readonly string[]) => (grants.length > 0 ? grants.join(', ') : 'none');

/**
 * Why the Flink jobs may not use the topic or group `value` of placeholder `name` (a name the
 * grammar accepts), or undefined if their Kafka ACLs grant it. The reason lists what is granted.
 */
export function grantProblem(name: string, value: string, grants: KafkaGrants): string | undefined {
  const type = placeholderType(name);
  if (type === 'group') {
    if (kafkaNameGranted(value, grants.groups)) return undefined;
    return `must be a consumer group the Flink user's Kafka ACLs grant (FSTORE_FLINK_KAFKA_GROUPS: ${list(grants.groups)})`;
  }
  if (type !== 'topic') return undefined;
  if (/(^|_)TOPIC_PREFIX$/.test(name)) {
    if (kafkaNameGranted(value, grants.topics, true)) return undefined;
    const prefixes = grants.topics.filter((g) => g.endsWith('*'));
    return `must start with a topic prefix the Flink user's Kafka ACLs grant (FSTORE_FLINK_KAFKA_TOPICS: ${list(prefixes)})`;
  }
  if (kafkaNameGranted(value, grants.topics)) return undefined;
  return `must be a topic the Flink user's Kafka ACLs grant (FSTORE_FLINK_KAFKA_TOPICS: ${list(grants.topics)})`;
}

/**
 * Checks caller-given placeholder values against their types (and, with `grants`, the Flink
 * user's Kafka ACLs); all problems in one error.
 */
export function checkParameters(
  values: Readonly<Record<string, unknown>>,
  grants?: KafkaGrants,
): void {
  const problems = Object.entries(values)
    .map(([name, value]) => ({ name, reason: parameterProblem(name, value, grants) }))
    .filter((p): p is { name: string; reason: string } => p.reason !== undefined);
  if (problems.length > 0) throw new FlinkParameterError(problems);
}

/**
 * The placeholder names a template uses (escaped ones and those in comments excluded), in order
 * of first use.
 */
export function placeholdersOf(template: string): string[] {
  const names = new Set<string>();
  for (const seg of segments(template)) {
    if (seg.kind === 'line-comment' || seg.kind === 'block-comment') continue;
    for (const m of seg.text.matchAll(PLACEHOLDER)) if (!m[1]) names.add(m[2]);
  }
  return [...names];
}

/**
 * Fills `${NAME}` placeholders. A placeholder is a value inside a string literal: it is rendered
 * there with its quotes doubled (`'` → `''`), so that no value can end the literal. A placeholder
 * in a comment is left as it is written (a comment's text is never rendered: a newline in a value
 * would end the comment); one outside a literal (bare, or in a quoted identifier) is refused.
 * Every problem is found before anything is returned: unknown names, malformed or unclosed
 * placeholders and misplaced ones fail together, so a half-rendered script never reaches Flink.
 */
export function renderPlaceholders(
  template: string,
  values: Readonly<Record<string, string>>,
): string {
  const missing = new Set<string>();
  const malformed = new Set<string>();
  const misplaced: string[] = [];
  const parts: string[] = [];
  for (const seg of segments(template)) {
    if (seg.kind === 'line-comment' || seg.kind === 'block-comment') {
      parts.push(seg.text);
      continue;
    }
    const inLiteral = seg.kind === 'literal';
    for (const m of seg.text.matchAll(PLACEHOLDER)) {
      if (m[1]) continue;
      if (!NAME.test(m[2])) malformed.add(m[0]);
      else if (!inLiteral) {
        misplaced.push(`${m[0]} (line ${lineAt(template, seg.start + (m.index ?? 0))})`);
      } else if (values[m[2]] === undefined) missing.add(m[2]);
    }
    const stripped = seg.text.replace(PLACEHOLDER, '');
    const unclosed = stripped.indexOf('${');
    if (unclosed !== -1) {
      malformed.add(stripped.slice(unclosed, unclosed + 20).split('\n')[0]);
    }
    parts.push(
      seg.text.replace(PLACEHOLDER, (whole, escaped: string, name: string) =>
        escaped ? whole.slice(1) : (values[name] ?? '').replace(/'/g, "''"),
      ),
    );
  }
  if (missing.size > 0 || malformed.size > 0 || misplaced.length > 0) {
    const problems: string[] = [];
    if (missing.size > 0) {
      const known = Object.keys(values).sort().join(', ') || 'none';
      problems.push(
        `unknown placeholder(s) ${[...missing].map((n) => `\${${n}}`).join(', ')} (known: ${known})`,
      );
    }
    if (malformed.size > 0) {
      problems.push(
        `malformed placeholder(s) ${[...malformed].join(', ')} (expected \${UPPER_CASE_NAME})`,
      );
    }
    if (misplaced.length > 0) {
      problems.push(
        `placeholder(s) outside a string literal: ${misplaced.join(', ')} (write '\${NAME}')`,
      );
    }
    throw new FlinkPlaceholderError(problems.join('; '), [...missing, ...malformed, ...misplaced]);
  }
  return parts.join('');
}

/** The values every job's SQL may use, from the project's configuration (one source of truth). */
export function configPlaceholders(config: FstoreConfig): Record<string, string> {
  return {
    KAFKA_BROKERS: config.kafka.brokers.join(','),
    TRANSACTIONS_TOPIC: TOPICS.transactions,
    DEAD_LETTER_TOPIC: TOPICS.deadLetter,
    FEATURE_TOPIC_PREFIX,
  };
}
