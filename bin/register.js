// Lets Node run the TypeScript sources directly, so the code always matches the checkout: each
// .ts file outside node_modules is transpiled on load (TypeScript's transpileModule, the same
// per-file transpile-only step as ts-node's, with tsconfig.json's options and inline source maps
// for stack traces), and the @fstore/* lib aliases resolve through tsconfig-paths.
//
// Not ts-node's register: it loads Node's REPL module at start-up, and with it `domain`, which
// wraps every EventEmitter emit of the process (measured: ~10 % of a feature server's CPU).
const fs = require('fs');
const path = require('path');
const ts = require('typescript');
const root = path.resolve(__dirname, '..');
const tsconfigPath = process.env.TS_NODE_PROJECT || path.join(root, 'tsconfig.json');
const tsconfig = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
if (tsconfig.error)
  throw new Error(ts.flattenDiagnosticMessageText(tsconfig.error.messageText, '\n'));
const { options } = ts.parseJsonConfigFileContent(
  tsconfig.config,
  ts.sys,
  path.dirname(tsconfigPath),
);
const compilerOptions = {
  ...options,
  sourceMap: false,
  inlineSourceMap: true,
  inlineSources: true,
};

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  if (filename.includes(`${path.sep}node_modules${path.sep}`)) {
    throw new Error(`refusing to transpile a TypeScript file inside node_modules: ${filename}`);
  }
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions,
    fileName: path.basename(filename),
  });
  module._compile(outputText, filename);
};
process.setSourceMapsEnabled(true);

require('tsconfig-paths').register({
  baseUrl: root,
  paths: tsconfig.config.compilerOptions.paths,
});
require('reflect-metadata');
module.exports = { root };
