import { diffSign, jsonLines, lineDiff } from './diff';

const render = (before: string[], after: string[]) =>
  lineDiff(before, after).map((l) => `${diffSign(l.kind)}${l.text}`);

describe('lineDiff (longest common subsequence of lines)', () => {
  it('unchanged text: every line kept', () => {
    expect(lineDiff(['a', 'b'], ['a', 'b'])).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'same', text: 'b' },
    ]);
  });

  it('an added line, between kept ones', () => {
    expect(render(['a', 'c'], ['a', 'b', 'c'])).toEqual([' a', '+b', ' c']);
  });

  it('a removed line, between kept ones', () => {
    expect(render(['a', 'b', 'c'], ['a', 'c'])).toEqual([' a', '-b', ' c']);
  });

  it('a changed line: the old one removed, then the new one added', () => {
    expect(render(['a', 'b', 'c'], ['a', 'B', 'c'])).toEqual([' a', '-b', '+B', ' c']);
  });

  it('from nothing every line is added; to nothing every line removed', () => {
    expect(render([], ['a', 'b'])).toEqual(['+a', '+b']);
    expect(render(['a', 'b'], [])).toEqual(['-a', '-b']);
    expect(lineDiff([], [])).toEqual([]);
  });

  it('keeps the longest common run when lines move', () => {
    expect(render(['x', 'a', 'b', 'c'], ['a', 'b', 'c', 'x'])).toEqual([
      '-x',
      ' a',
      ' b',
      ' c',
      '+x',
    ]);
  });

  it('two definitions as sorted JSON: only the changed field differs', () => {
    const v1 = { name: 'f', window: '7d', tags: ['a'] };
    const v2 = { window: '30d', tags: ['a'], name: 'f' };
    expect(render(jsonLines(v1), jsonLines(v2))).toEqual([
      ' {',
      '   "name": "f",',
      '   "tags": [',
      '     "a"',
      '   ],',
      '-  "window": "7d"',
      '+  "window": "30d"',
      ' }',
    ]);
  });
});
