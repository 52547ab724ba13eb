import { FlinkScriptError } from './errors';

/**
 * The lexical parts of Flink SQL text that matter for rendering and checking a script: string
 * literals ('…', '' an escaped quote), quoted identifiers (`…`, "…"), comments (-- … and
 * /* … *\/) and everything else ("code"). The same rules as the statement splitter.
 */
export type SegmentKind = 'code' | 'literal' | 'identifier' | 'line-comment' | 'block-comment';

export interface Segment {
  kind: SegmentKind;
  /** The segment's text as written (with its quotes or comment markers). */
  text: string;
  /** Offset in the script. */
  start: number;
}

export const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

export function segments(script: string): Segment[] {
  const out: Segment[] = [];
  let code = 0; // where the current code segment began
  const push = (kind: SegmentKind, start: number, end: number) => {
    if (code < start) out.push({ kind: 'code', text: script.slice(code, start), start: code });
    out.push({ kind, text: script.slice(start, end), start });
    code = end;
  };
  let i = 0;
  const n = script.length;
  while (i < n) {
    const ch = script[i];
    const next = script[i + 1];
    if (ch === '-' && next === '-') {
      const nl = script.indexOf('\n', i);
      const end = nl === -1 ? n : nl;
      push('line-comment', i, end);
      i = end;
    } else if (ch === '/' && next === '*') {
      const close = script.indexOf('*/', i + 2);
      if (close === -1) {
        throw new FlinkScriptError(`unterminated /* comment at line ${lineAt(script, i)}`);
      }
      push('block-comment', i, close + 2);
      i = close + 2;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      let j = i + 1;
      for (;;) {
        const close = script.indexOf(ch, j);
        if (close === -1) {
          const what = ch === "'" ? 'string literal' : 'quoted identifier';
          throw new FlinkScriptError(`unterminated ${what} (${ch}) at line ${lineAt(script, i)}`);
        }
        if (script[close + 1] === ch) {
          j = close + 2;
          continue;
        }
        push(ch === "'" ? 'literal' : 'identifier', i, close + 1);
        i = close + 1;
        break;
      }
    } else {
      i++;
    }
  }
  if (code < n) out.push({ kind: 'code', text: script.slice(code), start: code });
  return out;
}

/** The value of a '…' literal as written in SQL ('' is one quote). */
export function literalValue(text: string): string {
  return text.slice(1, -1).replace(/''/g, "'");
}

export interface Token {
  kind: 'word' | 'string' | 'identifier' | 'punct' | 'number';
  /** Words upper-cased; strings and identifiers unquoted. */
  value: string;
  /** Parenthesis depth at the token (its own parenthesis counts outside). */
  depth: number;
  start: number;
}

/** The tokens of one statement, comments dropped. */
export function tokens(sql: string): Token[] {
  const out: Token[] = [];
  let depth = 0;
  for (const seg of segments(sql)) {
    if (seg.kind === 'line-comment' || seg.kind === 'block-comment') continue;
    if (seg.kind === 'literal') {
      out.push({ kind: 'string', value: literalValue(seg.text), depth, start: seg.start });
      continue;
    }
    if (seg.kind === 'identifier') {
      const q = seg.text[0];
      const value = seg.text
        .slice(1, -1)
        .split(q + q)
        .join(q);
      out.push({ kind: 'identifier', value, depth, start: seg.start });
      continue;
    }
    const re = /([A-Za-z_][A-Za-z0-9_$]*)|([0-9][0-9.]*)|(\S)/g;
    for (const m of seg.text.matchAll(re)) {
      const start = seg.start + (m.index ?? 0);
      if (m[1]) out.push({ kind: 'word', value: m[1].toUpperCase(), depth, start });
      else if (m[2]) out.push({ kind: 'number', value: m[2], depth, start });
      else if (m[3] === '(') {
        out.push({ kind: 'punct', value: '(', depth, start });
        depth++;
      } else if (m[3] === ')') {
        depth--;
        out.push({ kind: 'punct', value: ')', depth, start });
      } else out.push({ kind: 'punct', value: m[3], depth, start });
    }
  }
  return out;
}
