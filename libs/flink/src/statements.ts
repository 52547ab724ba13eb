import { FlinkScriptError } from './errors';

/** What a statement does, as far as submitting a script is concerned. */
export type StatementKind =
  'set' | 'reset' | 'ddl' | 'insert' | 'statement-set' | 'query' | 'other';

export interface SqlStatement {
  /** The statement's text, without its terminating semicolon. */
  sql: string;
  kind: StatementKind;
  /** 1-based line of the script where the statement's first word is. */
  line: number;
}

const DDL = new Set(['CREATE', 'DROP', 'ALTER', 'USE', 'LOAD', 'UNLOAD', 'ADD', 'REMOVE']);

function classify(words: string[]): StatementKind {
  const [a, b, c] = words;
  if (a === 'SET') return 'set';
  if (a === 'RESET') return 'reset';
  if (DDL.has(a)) return 'ddl';
  if (a === 'INSERT') return 'insert';
  if (a === 'EXECUTE' && b === 'STATEMENT' && c === 'SET') return 'statement-set';
  if (a === 'EXECUTE' && b === 'INSERT') return 'insert';
  if (a === 'SELECT' || a === 'WITH' || a === 'VALUES') return 'query';
  return 'other';
}

interface Word {
  upper: string;
  index: number;
}

const isWordStart = (ch: string) => /[A-Za-z_]/.test(ch);
const isWordChar = (ch: string) => /[A-Za-z0-9_$]/.test(ch);

/**
 * Splits a Flink SQL script into statements at top-level semicolons. Semicolons inside string
 * literals ('…', with '' as an escaped quote), quoted identifiers (`…`, "…"), line comments
 * (-- …) and block comments (/* … *\/) do not split; neither do those inside a statement set,
 * written either `EXECUTE STATEMENT SET BEGIN …; …; END;` or, as in the SQL client,
 * `BEGIN STATEMENT SET; …; END;` (rewritten to the first form, which the SQL Gateway takes).
 * Statements that hold only comments and whitespace are dropped.
 */
export function splitStatements(script: string): SqlStatement[] {
  const out: SqlStatement[] = [];
  let start = 0; // where the current statement's text begins
  let words: Word[] = []; // top-level words of the current statement
  let segment: Word[] = []; // top-level words since the last semicolon
  let block: 'execute' | 'client' | undefined;
  let clientHeaderEnd = -1; // for `BEGIN STATEMENT SET;`: where its semicolon is

  const lineOf = (index: number) => script.slice(0, index).split('\n').length;

  const finish = (end: number) => {
    if (words.length > 0) {
      let sql = script.slice(start, end);
      if (block === 'client') {
        const begin = words[0].index - start;
        sql =
          sql.slice(0, begin) +
          'EXECUTE STATEMENT SET\nBEGIN' +
          sql.slice(clientHeaderEnd - start + 1);
      }
      const upper = words.map((w) => w.upper);
      out.push({
        sql: sql.trim(),
        kind: block ? 'statement-set' : classify(upper),
        line: lineOf(words[0].index),
      });
    }
    words = [];
    segment = [];
    block = undefined;
  };

  let i = 0;
  const n = script.length;
  while (i < n) {
    const ch = script[i];
    const next = script[i + 1];
    if (ch === '-' && next === '-') {
      const nl = script.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
    } else if (ch === '/' && next === '*') {
      const close = script.indexOf('*/', i + 2);
      if (close === -1) throw new FlinkScriptError(`unterminated /* comment at line ${lineOf(i)}`);
      i = close + 2;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      // A doubled quote inside is an escaped quote.
      let j = i + 1;
      for (;;) {
        const close = script.indexOf(ch, j);
        if (close === -1) {
          const what = ch === "'" ? 'string literal' : 'quoted identifier';
          throw new FlinkScriptError(`unterminated ${what} (${ch}) at line ${lineOf(i)}`);
        }
        if (script[close + 1] === ch) {
          j = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      // A quoted token counts as a word for "the statement is not empty".
      const word = { upper: '\u0000', index: i };
      words.push(word);
      segment.push(word);
    } else if (isWordStart(ch)) {
      let j = i + 1;
      while (j < n && isWordChar(script[j])) j++;
      const word = { upper: script.slice(i, j).toUpperCase(), index: i };
      words.push(word);
      segment.push(word);
      i = j;
    } else if (ch === ';') {
      const seg = segment.map((w) => w.upper).join(' ');
      const head = words
        .slice(0, 4)
        .map((w) => w.upper)
        .join(' ');
      if (block) {
        if (seg === 'END') finish(i);
        else segment = [];
      } else if (head === 'EXECUTE STATEMENT SET BEGIN') {
        block = 'execute';
        segment = [];
      } else if (seg === 'BEGIN STATEMENT SET' && words.length === 3) {
        block = 'client';
        clientHeaderEnd = i;
        segment = [];
      } else {
        finish(i);
      }
      if (words.length === 0) start = i + 1;
      i++;
    } else {
      if (words.length === 0 && !/\s/.test(ch)) {
        // Punctuation before any word still belongs to the statement.
        const word = { upper: '\u0000', index: i };
        words.push(word);
        segment.push(word);
      }
      i++;
    }
    if (words.length === 0 && !block) {
      // Nothing but whitespace/comments so far: the next statement starts after them.
      start = i;
    }
  }
  if (block) {
    if (segment.map((w) => w.upper).join(' ') === 'END') finish(n);
    else
      throw new FlinkScriptError(
        `statement set starting at line ${lineOf(words[0].index)} is not closed by END`,
      );
  } else {
    finish(n);
  }
  return out;
}

/** A string as a Flink SQL string literal ('' escapes a quote). */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
