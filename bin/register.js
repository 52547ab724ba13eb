// Lets Node run the TypeScript sources, so the code always matches the checkout. For each .ts
// file outside node_modules, in this order:
//   1. the build ahead (bin/build-output.js, dist/build/ or FSTORE_BUILD_DIR): its output for the
//      file, when it was made from the file's current content with the same TypeScript and
//      tsconfig.json (checked at each load, so an edit never runs old code);
//   2. the transpile cache (bin/ts-cache.js): node_modules/.cache/fstore-ts/ or
//      FSTORE_TS_CACHE_DIR, keyed the same way; FSTORE_TS_CACHE=0 turns it off;
//   3. TypeScript's transpileModule (bin/transpile.js), loaded only then.
// FSTORE_BUILD=0 ignores the build (to measure without it); FSTORE_BUILD=required refuses to
// transpile (the Docker image: it must start from what its build stage built).
// The @fstore/* lib aliases resolve through tsconfig-paths.
//
// Not ts-node's register: it loads Node's REPL module at start-up, and with it `domain`, which
// wraps every EventEmitter emit of the process (measured: ~10 % of a feature server's CPU).
//
// FSTORE_REGISTER_REPORT=<file>: at exit, write {built, cached, transpiled, modules} (the files
// loaded) there as JSON (what the CLI's start-up test checks).
const fs = require('fs');
const path = require('path');
const { createTranspileCache } = require('./ts-cache');
const { createBuild } = require('./build-output');
const { buildDir } = require('./build');
const { root, tsconfig, salt, transpile } = require('./transpile');

const buildMode = process.env.FSTORE_BUILD;
const built =
  buildMode === '0'
    ? undefined
    : createBuild({ root, outDir: buildDir(root), salt, transpile }).readBuilt;

const cacheOff = process.env.FSTORE_TS_CACHE === '0';
const transpileCached = createTranspileCache({
  dir: cacheOff
    ? undefined
    : process.env.FSTORE_TS_CACHE_DIR || path.join(root, 'node_modules', '.cache', 'fstore-ts'),
  salt,
  transpile,
});
const stats = { built: 0 };

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  if (filename.includes(`${path.sep}node_modules${path.sep}`)) {
    throw new Error(`refusing to transpile a TypeScript file inside node_modules: ${filename}`);
  }
  const source = fs.readFileSync(filename, 'utf8');
  const ready = built?.(filename, source);
  if (ready !== undefined) {
    stats.built++;
    module._compile(ready, filename);
    return;
  }
  if (buildMode === 'required') {
    throw new Error(
      `FSTORE_BUILD=required: ${path.relative(root, filename)} is not in the build ` +
        `(${buildDir(root)}) or changed since; run \`npm run build\``,
    );
  }
  module._compile(transpileCached(source, filename), filename);
};
process.setSourceMapsEnabled(true);

if (process.env.FSTORE_REGISTER_REPORT) {
  const report = process.env.FSTORE_REGISTER_REPORT;
  process.on('exit', () => {
    const modules = Object.keys(require.cache);
    const { transpiled, cached } = transpileCached.stats;
    fs.writeFileSync(report, JSON.stringify({ built: stats.built, cached, transpiled, modules }));
  });
}

require('tsconfig-paths').register({
  baseUrl: root,
  paths: tsconfig.compilerOptions.paths,
});
require('reflect-metadata');
module.exports = { root };
