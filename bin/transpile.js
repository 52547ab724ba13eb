// How a .ts file of this checkout becomes JavaScript: TypeScript's transpileModule (per file,
// transpile-only, as ts-node's) with tsconfig.json's options and inline source maps for stack
// traces. One place for it: bin/register.js (at load) and bin/build.js (ahead) must agree, and
// `salt` names everything the output depends on besides the file itself.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const tsconfigPath = process.env.TS_NODE_PROJECT || path.join(root, 'tsconfig.json');
const tsconfigText = fs.readFileSync(tsconfigPath, 'utf8');
const overrides = { sourceMap: false, inlineSourceMap: true, inlineSources: true };

let ts;
// Loaded only when a file has to be transpiled: most starts take every file ready-made.
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
/** The JavaScript of one .ts file. */
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

const tsVersion = require('typescript/package.json').version;
// The tsconfig's path relative to the checkout: a build stays valid when the checkout moves.
const salt = JSON.stringify([
  tsVersion,
  path.relative(root, tsconfigPath),
  tsconfigText,
  overrides,
]);

module.exports = { root, tsconfig, salt, transpile };
