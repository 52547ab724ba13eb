// Lets Node run the TypeScript sources directly, so the code always matches the checkout: each
// .ts file outside node_modules is transpiled on load (TypeScript's transpileModule, the same
// per-file transpile-only step as ts-node's, with tsconfig.json's options and inline source maps
// for stack traces), and the @fstore/* lib aliases resolve through tsconfig-paths.
//
// Not ts-node's register: it loads Node's REPL module at start-up, and with it `domain`, which
// wraps every EventEmitter emit of the process (measured: ~10 % of a feature server's CPU).
//
// Transpile cache (bin/ts-cache.js): the output is kept in node_modules/.cache/fstore-ts/ (or
// FSTORE_TS_CACHE_DIR; FSTORE_TS_CACHE=0 turns it off), keyed by the sha256 of the file's content,
// its name, TypeScript's version, tsconfig.json and the options below; TypeScript itself is loaded
// only when a file is not in the cache. Measured (issue 17; 2 cores, load ~6; mean of 3 runs):
//   node bin/fstore.js --help          before 5.9 s wall, 5.4 s CPU, 1,907 modules (101 .ts
//                                      transpiled); after 0.45 s wall, 0.36 s CPU, 39 modules
//                                      (cold cache: 2.2 s wall, 1.6 s CPU)
//   fstore config / features list      before 6.0-6.4 s wall and CPU; after 0.2 s
//   fstore produce (broker unreachable) before 7.4 s wall, 5.9 s CPU; after 2.3 s, 1.3 s CPU
// (the cache does most for commands that load NestJS or kafkajs; the CLI's lazy loading,
// apps/cli/src/main.ts, does the rest).
//
// FSTORE_REGISTER_REPORT=<file>: at exit, write {transpiled, cached, modules} (the files loaded)
// there as JSON (what the CLI's start-up test checks).
const fs = require('fs');
const path = require('path');
const { createTranspileCache } = require('./ts-cache');

const root = path.resolve(__dirname, '..');
const tsconfigPath = process.env.TS_NODE_PROJECT || path.join(root, 'tsconfig.json');
const tsconfigText = fs.readFileSync(tsconfigPath, 'utf8');
const overrides = { sourceMap: false, inlineSourceMap: true, inlineSources: true };

let ts;
const typescript = () => (ts ??= require('typescript'));

/** tsconfig.json as an object: plain JSON without TypeScript; comments or `extends` need it. */
function readTsconfig() {
  try {
    const config = JSON.parse(tsconfigText);
    if (config.extends === undefined) return config;
  } catch {
    // JSON with comments or trailing commas: TypeScript's own reader below
  }
  const { config, error } = typescript().readConfigFile(tsconfigPath, typescript().sys.readFile);
  if (error) throw new Error(typescript().flattenDiagnosticMessageText(error.messageText, '\n'));
  return config;
}
const tsconfig = readTsconfig();

let compilerOptions;
function transpile(source, filename) {
  if (!compilerOptions) {
    const parsed = typescript().parseJsonConfigFileContent(
      tsconfig,
      typescript().sys,
      path.dirname(tsconfigPath),
    );
    compilerOptions = { ...parsed.options, ...overrides };
  }
  return typescript().transpileModule(source, {
    compilerOptions,
    fileName: path.basename(filename),
  }).outputText;
}

const cacheOff = process.env.FSTORE_TS_CACHE === '0';
const tsVersion = require('typescript/package.json').version;
const transpileCached = createTranspileCache({
  dir: cacheOff
    ? undefined
    : process.env.FSTORE_TS_CACHE_DIR || path.join(root, 'node_modules', '.cache', 'fstore-ts'),
  salt: JSON.stringify([tsVersion, tsconfigPath, tsconfigText, overrides]),
  transpile,
});

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  if (filename.includes(`${path.sep}node_modules${path.sep}`)) {
    throw new Error(`refusing to transpile a TypeScript file inside node_modules: ${filename}`);
  }
  module._compile(transpileCached(fs.readFileSync(filename, 'utf8'), filename), filename);
};
process.setSourceMapsEnabled(true);

if (process.env.FSTORE_REGISTER_REPORT) {
  const report = process.env.FSTORE_REGISTER_REPORT;
  process.on('exit', () => {
    const modules = Object.keys(require.cache);
    fs.writeFileSync(report, JSON.stringify({ ...transpileCached.stats, modules }));
  });
}

require('tsconfig-paths').register({
  baseUrl: root,
  paths: tsconfig.compilerOptions.paths,
});
require('reflect-metadata');
module.exports = { root };
