#!/usr/bin/env node
// Builds ahead (bin/build-output.js): `npm run build`, and once by `npm ci` (the prepare script);
// `fstore up` and `stack up` run it too, so the apps they start load built files. Incremental: a
// file whose output is current is not transpiled again.
//   node bin/build.js [--quiet]        (FSTORE_BUILD_DIR: where; default dist/build)
const fs = require('fs');
const path = require('path');
const { createBuild } = require('./build-output');

function buildDir(root) {
  return process.env.FSTORE_BUILD_DIR || path.join(root, 'dist', 'build');
}

/** Builds the checkout. Returns build()'s counts and `summary`, the line that says what it did. */
function buildAhead() {
  const { root, salt, transpile } = require('./transpile');
  const t0 = Date.now();
  const outDir = buildDir(root);
  const result = createBuild({ root, outDir, salt, transpile }).build();
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  const summary =
    `build: ${result.written} of ${result.files} files transpiled into ` +
    `${path.relative(root, outDir) || outDir}` +
    `${result.removed ? `, ${result.removed} removed` : ''} (${secs}s)`;
  return { ...result, summary };
}

module.exports = { buildAhead, buildDir };

if (require.main === module) {
  const quiet = process.argv.includes('--quiet');
  const root = path.resolve(__dirname, '..');
  if (!fs.existsSync(path.join(root, 'tsconfig.json'))) {
    // npm ci in a Docker stage that has only package.json and bin/: no sources to build yet
    if (!quiet) process.stderr.write('[fstore] build: no tsconfig.json here, nothing to build\n');
    process.exit(0);
  }
  try {
    const { summary } = buildAhead();
    if (!quiet) process.stderr.write(`[fstore] ${summary}\n`);
  } catch (e) {
    process.stderr.write(`[fstore] build failed: ${e instanceof Error ? e.message : e}\n`);
    process.exit(1);
  }
}
