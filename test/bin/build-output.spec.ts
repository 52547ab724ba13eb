import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';

// bin/ is plain CommonJS (it runs before TypeScript can be loaded).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createBuild } = require('../../bin/build-output') as {
  createBuild(o: {
    root: string;
    outDir: string;
    salt: string;
    transpile: (source: string, filename: string) => string;
  }): {
    build(): { files: number; written: number; removed: number };
    readBuilt(filename: string, source: string): string | undefined;
  };
};

describe('the build ahead (bin/build-output.js)', () => {
  let root: string;
  let outDir: string;
  let calls: string[];
  const transpile = (source: string, filename: string) => {
    calls.push(filename.slice(root.length + 1));
    return `// js of ${filename.slice(root.length + 1)}\n${source.toUpperCase()}`;
  };
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  const make = (salt = 's') => createBuild({ root, outDir, salt, transpile });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'fstore-build-'));
    outDir = join(root, 'dist', 'build');
    calls = [];
    write('apps/cli/src/main.ts', 'const a = 1;');
    write('apps/cli/src/main.spec.ts', 'test');
    write('apps/cli/src/x.medium-spec.ts', 'test');
    write('apps/console/src/page.ts', 'browser');
    write('libs/config/src/index.ts', 'export {};');
    write('features/customer.ts', 'feature');
    write('scripts/other.ts', 'not built');
    write('apps/cli/README.md', 'not TypeScript');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('transpiles every .ts file that Node runs into the same path under dist/build', () => {
    expect(make().build()).toEqual({ files: 3, written: 3, removed: 0 });
    expect(calls).toEqual([
      'apps/cli/src/main.ts',
      'features/customer.ts',
      'libs/config/src/index.ts',
    ]);
    const out = readFileSync(join(outDir, 'apps/cli/src/main.js'), 'utf8');
    expect(out).toMatch(
      /^\/\/fstore-build [0-9a-f]{64}\n\/\/ js of apps\/cli\/src\/main.ts\nCONST A = 1;$/,
    );
    expect(existsSync(join(outDir, 'apps/cli/src/main.spec.js'))).toBe(false);
    expect(existsSync(join(outDir, 'apps/console'))).toBe(false);
    expect(make().readBuilt(join(root, 'apps/cli/src/main.ts'), 'const a = 1;')).toBe(
      '// js of apps/cli/src/main.ts\nCONST A = 1;',
    );
  });

  it('never hands out old code: an edited source, or another TypeScript, misses the build', () => {
    make().build();
    const main = join(root, 'apps/cli/src/main.ts');
    expect(make().readBuilt(main, 'const a = 2;')).toBeUndefined();
    expect(make('other TypeScript').readBuilt(main, 'const a = 1;')).toBeUndefined();
    // a file outside the checkout, or never built
    expect(make().readBuilt('/elsewhere/main.ts', 'const a = 1;')).toBeUndefined();
    expect(make().readBuilt(join(root, 'apps/cli/src/new.ts'), '')).toBeUndefined();
  });

  it('rebuilds only what changed and removes the outputs of deleted files', () => {
    make().build();
    calls = [];
    expect(make().build()).toEqual({ files: 3, written: 0, removed: 0 });
    write('apps/cli/src/main.ts', 'const a = 2;');
    rmSync(join(root, 'features/customer.ts'));
    expect(make().build()).toEqual({ files: 2, written: 1, removed: 1 });
    expect(calls).toEqual(['apps/cli/src/main.ts']);
    expect(make().readBuilt(join(root, 'apps/cli/src/main.ts'), 'const a = 2;')).toBe(
      '// js of apps/cli/src/main.ts\nCONST A = 2;',
    );
    expect(existsSync(join(outDir, 'features/customer.js'))).toBe(false);
  });

  it('an output that is damaged (no key line, another key) is made again', () => {
    make().build();
    const out = join(outDir, 'libs/config/src/index.js');
    writeFileSync(out, 'garbage');
    expect(make().readBuilt(join(root, 'libs/config/src/index.ts'), 'export {};')).toBeUndefined();
    expect(make().build().written).toBe(1);
    expect(make().readBuilt(join(root, 'libs/config/src/index.ts'), 'export {};')).toBe(
      '// js of libs/config/src/index.ts\nEXPORT {};',
    );
  });
});
