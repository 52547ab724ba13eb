/**
 * Row filters and derived columns of feature definitions are SQL expressions over the source's
 * columns (docs/design.md §7). They are parsed here into a small typed tree, never passed on as text:
 * validation finds unknown columns and type errors with the definition's name, and the engines
 * get SQL re-printed from the tree (identifiers quoted, literals escaped), so a definition cannot
 * smuggle a statement into a generated job.
 *
 * The language is the part of SQL that Flink and Spark read the same way: literals, column
 * names, + - * /, comparisons, AND / OR / NOT, IS [NOT] NULL, [NOT] IN (…), BETWEEN, parentheses
 * and COALESCE / ABS / LOWER / UPPER. `/` always divides as doubles, because the two engines
 * give decimal quotients different scales.
 */

export type ColumnType =
  | { kind: 'string' }
  | { kind: 'int' }
  | { kind: 'bigint' }
  | { kind: 'double' }
  | { kind: 'boolean' }
  | { kind: 'timestamp' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'null' };

export type Expr =
  | { node: 'column'; name: string }
  | { node: 'number'; text: string }
  | { node: 'string'; value: string }
  | { node: 'boolean'; value: boolean }
  | { node: 'null' }
  | { node: 'unary'; op: '-' | 'NOT'; arg: Expr }
  | { node: 'binary'; op: BinaryOp; left: Expr; right: Expr }
  | { node: 'is_null'; arg: Expr; negated: boolean }
  | { node: 'in'; arg: Expr; list: Expr[]; negated: boolean }
  | { node: 'between'; arg: Expr; low: Expr; high: Expr; negated: boolean }
  | { node: 'call'; fn: FunctionName; args: Expr[] };

export type BinaryOp = '+' | '-' | '*' | '/' | '=' | '<>' | '<' | '<=' | '>' | '>=' | 'AND' | 'OR';
export type FunctionName = 'COALESCE' | 'ABS' | 'LOWER' | 'UPPER';
const FUNCTIONS: readonly FunctionName[] = ['COALESCE', 'ABS', 'LOWER', 'UPPER'];

export class ExpressionError extends Error {}

// --- types ----------------------------------------------------------------------------------------

/** `string`, `int`, `bigint`, `double`, `boolean`, `timestamp`, `decimal(10,2)`. */
export function parseColumnType(text: string): ColumnType | undefined {
  const t = text.trim().toLowerCase();
  if (['string', 'int', 'bigint', 'double', 'boolean', 'timestamp'].includes(t)) {
    return { kind: t } as ColumnType;
  }
  const m = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(t);
  if (!m) return undefined;
  const precision = Number(m[1]);
  const scale = Number(m[2]);
  if (precision < 1 || precision > 38 || scale > precision) return undefined;
  return { kind: 'decimal', precision, scale };
}

export function typeName(t: ColumnType): string {
  return t.kind === 'decimal' ? `decimal(${t.precision},${t.scale})` : t.kind;
}

export const isNumeric = (t: ColumnType) =>
  ['int', 'bigint', 'double', 'decimal', 'null'].includes(t.kind);
const isExact = (t: ColumnType) => ['int', 'bigint', 'decimal'].includes(t.kind);

/** An exact type as a decimal (ints have scale 0). */
function asDecimal(t: ColumnType): { precision: number; scale: number } {
  if (t.kind === 'decimal') return t;
  return { precision: t.kind === 'int' ? 10 : 19, scale: 0 };
}

const decimal = (precision: number, scale: number): ColumnType => ({
  kind: 'decimal',
  precision: Math.min(38, precision),
  scale,
});

// --- tokens ---------------------------------------------------------------------------------------

type Token =
  | { t: 'ident'; v: string }
  | { t: 'number'; v: string }
  | { t: 'string'; v: string }
  | { t: 'op'; v: string }
  | { t: 'end' };

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IS', 'NULL', 'IN', 'BETWEEN', 'TRUE', 'FALSE']);

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!;
      out.push({ t: 'ident', v: m[0] });
      i += m[0].length;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(text.slice(i))!;
      out.push({ t: 'number', v: m[0] });
      i += m[0].length;
    } else if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new ExpressionError(`unterminated string at ${i + 1}`);
        if (text[j] === "'") {
          if (text[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += text[j++];
      }
      out.push({ t: 'string', v: value });
      i = j + 1;
    } else {
      const two = text.slice(i, i + 2);
      if (['<=', '>=', '<>', '!='].includes(two)) {
        out.push({ t: 'op', v: two === '!=' ? '<>' : two });
        i += 2;
      } else if ('+-*/=<>(),'.includes(c)) {
        out.push({ t: 'op', v: c });
        i++;
      } else {
        throw new ExpressionError(`unexpected character "${c}" at ${i + 1}`);
      }
    }
  }
  out.push({ t: 'end' });
  return out;
}

// --- parser (precedence climbing) -----------------------------------------------------------------

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Expr {
    const e = this.or();
    const rest = this.peek();
    if (rest.t !== 'end') throw new ExpressionError(`unexpected ${describe(rest)}`);
    return e;
  }

  private peek(): Token {
    return this.tokens[this.i];
  }
  private next(): Token {
    return this.tokens[this.i++];
  }
  private keyword(word: string): boolean {
    const t = this.peek();
    if (t.t === 'ident' && t.v.toUpperCase() === word) {
      this.i++;
      return true;
    }
    return false;
  }
  private op(v: string): boolean {
    const t = this.peek();
    if (t.t === 'op' && t.v === v) {
      this.i++;
      return true;
    }
    return false;
  }
  private expectOp(v: string): void {
    if (!this.op(v)) throw new ExpressionError(`expected "${v}", found ${describe(this.peek())}`);
  }

  private or(): Expr {
    let left = this.and();
    while (this.keyword('OR')) left = { node: 'binary', op: 'OR', left, right: this.and() };
    return left;
  }
  private and(): Expr {
    let left = this.not();
    while (this.keyword('AND')) left = { node: 'binary', op: 'AND', left, right: this.not() };
    return left;
  }
  private not(): Expr {
    if (this.keyword('NOT')) return { node: 'unary', op: 'NOT', arg: this.not() };
    return this.predicate();
  }
  private predicate(): Expr {
    const left = this.additive();
    if (this.keyword('IS')) {
      const negated = this.keyword('NOT');
      if (!this.keyword('NULL')) throw new ExpressionError('expected NULL after IS');
      return { node: 'is_null', arg: left, negated };
    }
    const save = this.i;
    const negated = this.keyword('NOT');
    if (this.keyword('IN')) {
      this.expectOp('(');
      const list = [this.additive()];
      while (this.op(',')) list.push(this.additive());
      this.expectOp(')');
      return { node: 'in', arg: left, list, negated };
    }
    if (this.keyword('BETWEEN')) {
      const low = this.additive();
      if (!this.keyword('AND')) throw new ExpressionError('expected AND in BETWEEN');
      return { node: 'between', arg: left, low, high: this.additive(), negated };
    }
    this.i = save;
    for (const op of ['=', '<>', '<=', '>=', '<', '>'] as const) {
      if (this.op(op)) return { node: 'binary', op, left, right: this.additive() };
    }
    return left;
  }
  private additive(): Expr {
    let left = this.multiplicative();
    for (;;) {
      if (this.op('+')) left = { node: 'binary', op: '+', left, right: this.multiplicative() };
      else if (this.op('-')) left = { node: 'binary', op: '-', left, right: this.multiplicative() };
      else return left;
    }
  }
  private multiplicative(): Expr {
    let left = this.unary();
    for (;;) {
      if (this.op('*')) left = { node: 'binary', op: '*', left, right: this.unary() };
      else if (this.op('/')) left = { node: 'binary', op: '/', left, right: this.unary() };
      else return left;
    }
  }
  private unary(): Expr {
    if (this.op('-')) return { node: 'unary', op: '-', arg: this.unary() };
    return this.primary();
  }
  private primary(): Expr {
    const t = this.next();
    if (t.t === 'number') return { node: 'number', text: t.v };
    if (t.t === 'string') return { node: 'string', value: t.v };
    if (t.t === 'op' && t.v === '(') {
      const e = this.or();
      this.expectOp(')');
      return e;
    }
    if (t.t === 'ident') {
      const upper = t.v.toUpperCase();
      if (upper === 'TRUE' || upper === 'FALSE')
        return { node: 'boolean', value: upper === 'TRUE' };
      if (upper === 'NULL') return { node: 'null' };
      if (this.op('(')) {
        if (!(FUNCTIONS as readonly string[]).includes(upper)) {
          throw new ExpressionError(`unknown function ${t.v} (known: ${FUNCTIONS.join(', ')})`);
        }
        const args = [this.or()];
        while (this.op(',')) args.push(this.or());
        this.expectOp(')');
        return { node: 'call', fn: upper as FunctionName, args };
      }
      if (KEYWORDS.has(upper)) throw new ExpressionError(`unexpected ${upper}`);
      return { node: 'column', name: t.v };
    }
    throw new ExpressionError(`unexpected ${describe(t)}`);
  }
}

function describe(t: Token): string {
  return t.t === 'end' ? 'end of expression' : `"${t.v}"`;
}

export function parseExpression(text: string): Expr {
  if (text.trim() === '') throw new ExpressionError('empty expression');
  return new Parser(tokenize(text)).parse();
}

/** The column names an expression reads. */
export function columnsOf(e: Expr): string[] {
  const out = new Set<string>();
  const walk = (x: Expr): void => {
    switch (x.node) {
      case 'column':
        out.add(x.name);
        return;
      case 'unary':
      case 'is_null':
        return walk(x.arg);
      case 'binary':
        walk(x.left);
        return walk(x.right);
      case 'in':
        walk(x.arg);
        return x.list.forEach(walk);
      case 'between':
        walk(x.arg);
        walk(x.low);
        return walk(x.high);
      case 'call':
        return x.args.forEach(walk);
      default:
        return;
    }
  };
  walk(e);
  return [...out];
}

// --- types of expressions -------------------------------------------------------------------------

/**
 * The type of an expression given its columns' types; throws ExpressionError on an unknown
 * column or operands that do not fit. Exact arithmetic stays exact: decimal(p1,s1) * decimal(p2,s2)
 * is decimal(p1+p2+1, s1+s2), + and − keep the larger scale; `/` is a double.
 */
export function typeOf(e: Expr, columns: ReadonlyMap<string, ColumnType>): ColumnType {
  switch (e.node) {
    case 'column': {
      const t = columns.get(e.name);
      if (!t) throw new ExpressionError(`unknown column "${e.name}"`);
      return t;
    }
    case 'number':
      if (/[eE]/.test(e.text)) return { kind: 'double' };
      if (e.text.includes('.')) {
        const [whole, frac] = e.text.split('.');
        return decimal(Math.max(1, whole.length + frac.length), frac.length);
      }
      return e.text.length <= 9 ? { kind: 'int' } : { kind: 'bigint' };
    case 'string':
      return { kind: 'string' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'null':
      return { kind: 'null' };
    case 'unary': {
      const t = typeOf(e.arg, columns);
      if (e.op === 'NOT') return requireBoolean(t, 'NOT');
      if (!isNumeric(t)) throw new ExpressionError(`cannot negate a ${typeName(t)}`);
      return t;
    }
    case 'binary':
      return binaryType(e.op, typeOf(e.left, columns), typeOf(e.right, columns));
    case 'is_null':
      typeOf(e.arg, columns);
      return { kind: 'boolean' };
    case 'in': {
      const t = typeOf(e.arg, columns);
      for (const x of e.list) comparable(t, typeOf(x, columns), 'IN');
      return { kind: 'boolean' };
    }
    case 'between': {
      const t = typeOf(e.arg, columns);
      comparable(t, typeOf(e.low, columns), 'BETWEEN');
      comparable(t, typeOf(e.high, columns), 'BETWEEN');
      return { kind: 'boolean' };
    }
    case 'call': {
      const types = e.args.map((a) => typeOf(a, columns));
      if (e.fn === 'COALESCE') {
        return types.reduce((acc, t) => {
          if (acc.kind === 'null') return t;
          if (t.kind === 'null') return acc;
          return commonType(acc, t, 'COALESCE');
        });
      }
      if (types.length !== 1) throw new ExpressionError(`${e.fn} takes one argument`);
      if (e.fn === 'ABS') {
        if (!isNumeric(types[0])) throw new ExpressionError(`ABS of a ${typeName(types[0])}`);
        return types[0];
      }
      if (types[0].kind !== 'string') {
        throw new ExpressionError(`${e.fn} of a ${typeName(types[0])}`);
      }
      return types[0];
    }
  }
}

function requireBoolean(t: ColumnType, where: string): ColumnType {
  if (t.kind !== 'boolean' && t.kind !== 'null') {
    throw new ExpressionError(`${where} needs a boolean, not a ${typeName(t)}`);
  }
  return { kind: 'boolean' };
}

function comparable(a: ColumnType, b: ColumnType, where: string): void {
  if (a.kind === 'null' || b.kind === 'null') return;
  if (isNumeric(a) && isNumeric(b)) return;
  if (a.kind !== b.kind) {
    throw new ExpressionError(`${where} compares a ${typeName(a)} with a ${typeName(b)}`);
  }
}

function commonType(a: ColumnType, b: ColumnType, where: string): ColumnType {
  if (isNumeric(a) && isNumeric(b)) {
    if (a.kind === 'double' || b.kind === 'double') return { kind: 'double' };
    if (a.kind === 'decimal' || b.kind === 'decimal') {
      const x = asDecimal(a);
      const y = asDecimal(b);
      const scale = Math.max(x.scale, y.scale);
      return decimal(Math.max(x.precision - x.scale, y.precision - y.scale) + scale, scale);
    }
    return a.kind === 'bigint' || b.kind === 'bigint' ? { kind: 'bigint' } : { kind: 'int' };
  }
  if (a.kind !== b.kind) {
    throw new ExpressionError(`${where} mixes a ${typeName(a)} and a ${typeName(b)}`);
  }
  return a;
}

function binaryType(op: BinaryOp, a: ColumnType, b: ColumnType): ColumnType {
  if (op === 'AND' || op === 'OR') {
    requireBoolean(a, op);
    return requireBoolean(b, op);
  }
  if (['=', '<>', '<', '<=', '>', '>='].includes(op)) {
    comparable(a, b, op);
    return { kind: 'boolean' };
  }
  if (!isNumeric(a) || !isNumeric(b)) {
    throw new ExpressionError(`${op} needs numbers, not ${typeName(a)} and ${typeName(b)}`);
  }
  if (op === '/') return { kind: 'double' };
  if (a.kind === 'double' || b.kind === 'double') return { kind: 'double' };
  if (a.kind === 'null' || b.kind === 'null') return a.kind === 'null' ? b : a;
  if (op === '*' && (a.kind === 'decimal' || b.kind === 'decimal')) {
    const x = asDecimal(a);
    const y = asDecimal(b);
    return decimal(x.precision + y.precision + 1, x.scale + y.scale);
  }
  const t = commonType(a, b, op);
  if (t.kind === 'decimal') return decimal(t.precision + 1, t.scale);
  return isExact(t) && (op === '*' || a.kind === 'bigint' || b.kind === 'bigint')
    ? { kind: 'bigint' }
    : t;
}

// --- SQL ------------------------------------------------------------------------------------------

/** An identifier as both engines quote it. */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** A string literal: quotes doubled, so nothing can end it early. */
export function quoteString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

const PRECEDENCE: Record<string, number> = {
  OR: 1,
  AND: 2,
  NOT: 3,
  '=': 4,
  '<>': 4,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
};

/**
 * SQL text of an expression for Flink or Spark (the same for both: the language was chosen so),
 * every column through `column` (a plain name by default, or e.g. a derived column's expression).
 */
export function toSql(e: Expr, column: (name: string) => string = quoteIdentifier): string {
  const go = (x: Expr, parent: number): string => {
    switch (x.node) {
      case 'column':
        return column(x.name);
      case 'number':
        return x.text;
      case 'string':
        return quoteString(x.value);
      case 'boolean':
        return x.value ? 'TRUE' : 'FALSE';
      case 'null':
        return 'NULL';
      case 'unary':
        return x.op === 'NOT' ? wrap(`NOT ${go(x.arg, 3)}`, 3, parent) : `-(${go(x.arg, 0)})`;
      case 'binary': {
        const p = PRECEDENCE[x.op];
        if (x.op === '/') {
          const text = `CAST(${go(x.left, 0)} AS DOUBLE) / CAST(${go(x.right, 0)} AS DOUBLE)`;
          return wrap(text, p, parent);
        }
        // Left-associative: the right operand of an equal precedence needs parentheses.
        return wrap(`${go(x.left, p)} ${x.op} ${go(x.right, p + 1)}`, p, parent);
      }
      case 'is_null':
        return wrap(`${go(x.arg, 5)} IS ${x.negated ? 'NOT ' : ''}NULL`, 4, parent);
      case 'in':
        return wrap(
          `${go(x.arg, 5)} ${x.negated ? 'NOT ' : ''}IN (${x.list.map((l) => go(l, 0)).join(', ')})`,
          4,
          parent,
        );
      case 'between':
        return wrap(
          `${go(x.arg, 5)} ${x.negated ? 'NOT ' : ''}BETWEEN ${go(x.low, 5)} AND ${go(x.high, 5)}`,
          4,
          parent,
        );
      case 'call':
        return `${x.fn}(${x.args.map((a) => go(a, 0)).join(', ')})`;
    }
  };
  return go(e, 0);
}

function wrap(text: string, own: number, parent: number): string {
  return own < parent ? `(${text})` : text;
}
