// Lets Node run the TypeScript sources directly (transpile-only, so start-up stays quick and the
// code always matches the checkout), resolving the @fstore/* lib aliases from tsconfig.json.
const path = require('path');
const root = path.resolve(__dirname, '..');
process.env.TS_NODE_PROJECT = process.env.TS_NODE_PROJECT || path.join(root, 'tsconfig.json');
process.env.TS_NODE_TRANSPILE_ONLY = 'true';
require('ts-node/register');
require('tsconfig-paths').register({
  baseUrl: root,
  paths: require(path.join(root, 'tsconfig.json')).compilerOptions.paths,
});
require('reflect-metadata');
module.exports = { root };
