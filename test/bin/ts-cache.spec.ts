import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

// bin/ is plain CommonJS (it runs before TypeScript can be loaded).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createTranspileCache } = require('../../bin/ts-cache') as {
  createTranspileCache(o: {
    dir?: string;
    salt: string;
    transpile: (source: string, filename: string) => string;
  }): ((source: string, filename: string) => string) & {
    stats: { transpiled: number; cached: number };
  };
};

describe('the transpile cache of bin/register.js', () => {
  let dir: string;
  let calls: string[];
  const transpile = (source: string, filename: string) => {
    calls.push(source);
    return `// ${filename}\n${source.toUpperCase()}`;
  };
  const entries = () =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fstore-ts-cache-'));
    calls = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('transpiles a file once: a second process takes it from the cache', () => {
    const first = createTranspileCache({ dir, salt: 's', transpile });
    expect(first('const a = 1;', '/x/a.ts')).toBe('// /x/a.ts\nCONST A = 1;');
    const second = createTranspileCache({ dir, salt: 's', transpile });
    expect(second('const a = 1;', '/x/a.ts')).toBe('// /x/a.ts\nCONST A = 1;');
    expect(calls).toEqual(['const a = 1;']);
    expect(second.stats).toEqual({ transpiled: 0, cached: 1 });
    expect(entries()).toHaveLength(1);
    expect(entries()[0]).not.toMatch(/\.tmp$/);
  });

  it('transpiles a changed file again, and again when TypeScript or the options change', () => {
    const cache = createTranspileCache({ dir, salt: 's', transpile });
    cache('const a = 1;', '/x/a.ts');
    expect(cache('const a = 2;', '/x/a.ts')).toBe('// /x/a.ts\nCONST A = 2;');
    // same content, another name (the inline source map names the file)
    cache('const a = 1;', '/x/b.ts');
    createTranspileCache({ dir, salt: 'other TypeScript', transpile })('const a = 1;', '/x/a.ts');
    expect(calls).toHaveLength(4);
    expect(cache.stats).toEqual({ transpiled: 3, cached: 0 });
  });

  it('ignores a corrupt or truncated entry and writes it again', () => {
    createTranspileCache({ dir, salt: 's', transpile })('const a = 1;', '/x/a.ts');
    const [entry] = entries();
    writeFileSync(entry, readFileSync(entry, 'utf8').replace('CONST', 'CONS'));
    const cache = createTranspileCache({ dir, salt: 's', transpile });
    expect(cache('const a = 1;', '/x/a.ts')).toBe('// /x/a.ts\nCONST A = 1;');
    writeFileSync(entry, 'garbage');
    expect(cache('const a = 1;', '/x/a.ts')).toBe('// /x/a.ts\nCONST A = 1;');
    expect(cache.stats).toEqual({ transpiled: 2, cached: 0 });
    expect(createTranspileCache({ dir, salt: 's', transpile })('const a = 1;', '/x/a.ts')).toBe(
      '// /x/a.ts\nCONST A = 1;',
    );
    expect(calls).toHaveLength(3);
  });

  it('still transpiles when the cache cannot be written', () => {
    writeFileSync(join(dir, 'file'), '');
    const cache = createTranspileCache({ dir: join(dir, 'file', 'cache'), salt: 's', transpile });
    expect(cache('const a = 1;', '/x/a.ts')).toBe('// /x/a.ts\nCONST A = 1;');
    expect(cache('const a = 1;', '/x/a.ts')).toBe('// /x/a.ts\nCONST A = 1;');
    expect(cache.stats).toEqual({ transpiled: 2, cached: 0 });
  });
});
