import { ColumnType, parseExpression, toSql, typeName, typeOf } from './expressions';

const columns = new Map<string, ColumnType>([
  ['price', { kind: 'decimal', precision: 10, scale: 2 }],
  ['quantity', { kind: 'int' }],
  ['rating', { kind: 'int' }],
  ['country', { kind: 'string' }],
  ['value', { kind: 'double' }],
]);
const type = (text: string) => typeName(typeOf(parseExpression(text), columns));
const sql = (text: string) => toSql(parseExpression(text));

describe('definition expressions', () => {
  it.each([
    ['price * quantity', 'decimal(21,2)'],
    ['price + price', 'decimal(11,2)'],
    ['price / quantity', 'double'],
    ['quantity + 1', 'int'],
    ['rating IS NOT NULL', 'boolean'],
    ["country IN ('DE', 'FR') AND rating >= 4", 'boolean'],
    ['rating BETWEEN 1 AND 3', 'boolean'],
    ['COALESCE(rating, 0)', 'int'],
    ["LOWER(country) = 'de'", 'boolean'],
  ])('%s is a %s', (text, expected) => expect(type(text)).toBe(expected));

  it.each([
    ['cost * 2', /unknown column "cost"/],
    ['country + 1', /needs numbers/],
    ["rating = 'x'", /compares a int with a string/],
    ['NOT quantity', /needs a boolean/],
    ['SLEEP(5)', /unknown function SLEEP/],
    ["country = 'x' --", /unexpected character "-"|unexpected end/],
    ["'unterminated", /unterminated string/],
    ['rating IS 5', /expected NULL/],
    ['(rating', /expected "\)"/],
    ['', /empty expression/],
  ])('%s is refused', (text, message) => {
    expect(() => typeOf(parseExpression(text), columns)).toThrow(message);
  });

  it('re-prints SQL from the tree: identifiers quoted, quotes in literals doubled', () => {
    expect(sql("country = 'it''s'")).toBe("`country` = 'it''s'");
    expect(sql('price * quantity')).toBe('`price` * `quantity`');
    expect(sql('(price + 1) * quantity')).toBe('(`price` + 1) * `quantity`');
    expect(sql('price - (quantity - 1)')).toBe('`price` - (`quantity` - 1)');
    expect(sql('NOT (rating IS NULL OR rating < 3)')).toBe(
      'NOT (`rating` IS NULL OR `rating` < 3)',
    );
    expect(sql('price / 2')).toBe('CAST(`price` AS DOUBLE) / CAST(2 AS DOUBLE)');
    expect(sql('rating <> 3 AND rating != 4')).toBe('`rating` <> 3 AND `rating` <> 4');
  });

  it('a literal cannot close itself early: what was one string stays one string', () => {
    const e = parseExpression("country = 'x'' OR 1=1 --'");
    expect(e).toMatchObject({ node: 'binary', right: { node: 'string', value: "x' OR 1=1 --" } });
    expect(toSql(e)).toBe("`country` = 'x'' OR 1=1 --'");
  });
});
