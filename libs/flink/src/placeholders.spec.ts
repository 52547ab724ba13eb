import { loadConfig } from '@fstore/config';
import { FlinkPlaceholderError } from './errors';
import { configPlaceholders, placeholdersOf, renderPlaceholders } from './placeholders';

describe('renderPlaceholders', () => {
  const values = { KAFKA_BROKERS: 'h1:9092,h2:9092', TOPIC: 'ecommerce.transactions' };

  it('fills every ${NAME}', () => {
    expect(renderPlaceholders("'${KAFKA_BROKERS}' '${TOPIC}' '${KAFKA_BROKERS}'", values)).toBe(
      "'h1:9092,h2:9092' 'ecommerce.transactions' 'h1:9092,h2:9092'",
    );
  });

  it('leaves text without placeholders alone, and $${X} is a literal ${X}', () => {
    expect(renderPlaceholders("SELECT '$5', '{x}', 'a$'", values)).toBe("SELECT '$5', '{x}', 'a$'");
    expect(renderPlaceholders("'$${KAFKA_BROKERS}'", values)).toBe("'${KAFKA_BROKERS}'");
  });

  it('fails on unknown names, listing all of them and the known ones', () => {
    let error: unknown;
    try {
      renderPlaceholders('${NOPE} ${KAFKA_BROKERS} ${ALSO_MISSING} ${NOPE}', values);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FlinkPlaceholderError);
    expect((error as FlinkPlaceholderError).placeholders).toEqual(['NOPE', 'ALSO_MISSING']);
    expect((error as Error).message).toBe(
      'unknown placeholder(s) ${NOPE}, ${ALSO_MISSING} (known: KAFKA_BROKERS, TOPIC)',
    );
  });

  it('fails on malformed or unclosed placeholders', () => {
    expect(() => renderPlaceholders('${kafka_brokers}', values)).toThrow(
      /malformed placeholder\(s\) \$\{kafka_brokers\}/,
    );
    expect(() => renderPlaceholders('${}', values)).toThrow(/malformed/);
    expect(() => renderPlaceholders("'${KAFKA_BROKERS'", values)).toThrow(/malformed/);
  });

  it('lists the names a template uses', () => {
    expect(placeholdersOf('${A} $${B} ${C} ${A}')).toEqual(['A', 'C']);
  });
});

describe('configPlaceholders', () => {
  it('takes the brokers and topics from the configuration', () => {
    const config = loadConfig({
      FSTORE_STACK_DIR: '/nonexistent',
      FSTORE_KAFKA_BROKERS: 'k1:1,k2:2',
    });
    expect(configPlaceholders(config)).toMatchObject({
      KAFKA_BROKERS: 'k1:1,k2:2',
      TRANSACTIONS_TOPIC: 'ecommerce.transactions',
      DEAD_LETTER_TOPIC: 'ecommerce.transactions.dlq',
    });
  });
});
