import { FstoreConfig } from '@fstore/config';
import { FEATURE_TOPIC_PREFIX, TOPICS } from '@fstore/contracts';
import { FlinkPlaceholderError } from './errors';

/** `${NAME}`: upper-case letters, digits and underscores; `$${…}` is a literal `${…}`. */
const PLACEHOLDER = /\$(\$?)\{([^}]*)\}/g;
const NAME = /^[A-Z][A-Z0-9_]*$/;

/** The placeholder names a template uses (escaped ones excluded), in order of first use. */
export function placeholdersOf(template: string): string[] {
  const names = new Set<string>();
  for (const m of template.matchAll(PLACEHOLDER)) if (!m[1]) names.add(m[2]);
  return [...names];
}

/**
 * Fills `${NAME}` placeholders. Every problem is found before anything is returned: an unknown
 * name, a malformed placeholder or an unclosed `${` fails with all offending names listed, so a
 * half-rendered script never reaches Flink. Values are inserted verbatim (they are configuration,
 * not user input).
 */
export function renderPlaceholders(
  template: string,
  values: Readonly<Record<string, string>>,
): string {
  const missing = new Set<string>();
  const malformed = new Set<string>();
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (m[1]) continue;
    if (!NAME.test(m[2])) malformed.add(m[0]);
    else if (values[m[2]] === undefined) missing.add(m[2]);
  }
  const stripped = template.replace(PLACEHOLDER, '');
  const unclosed = stripped.indexOf('${');
  if (unclosed !== -1) {
    malformed.add(stripped.slice(unclosed, unclosed + 20).split('\n')[0]);
  }
  if (missing.size > 0 || malformed.size > 0) {
    const parts: string[] = [];
    if (missing.size > 0) {
      const known = Object.keys(values).sort().join(', ') || 'none';
      parts.push(
        `unknown placeholder(s) ${[...missing].map((n) => `\${${n}}`).join(', ')} (known: ${known})`,
      );
    }
    if (malformed.size > 0) {
      parts.push(
        `malformed placeholder(s) ${[...malformed].join(', ')} (expected \${UPPER_CASE_NAME})`,
      );
    }
    throw new FlinkPlaceholderError(parts.join('; '), [...missing, ...malformed]);
  }
  return template.replace(PLACEHOLDER, (whole, escaped: string, name: string) =>
    escaped ? whole.slice(1) : values[name],
  );
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
