#!/usr/bin/env node
// The fstore command.
const path = require('path');
const { root } = require('./register');
try {
  require(path.join(root, 'apps/cli/src/main.ts'));
} catch (e) {
  // The definitions of features/ are checked when they load: a problem is the user's to fix,
  // named by file, feature and field, not a crash with a stack trace. The commands load them in
  // their actions (main.ts reports the error the same way); this catches a load at start-up.
  if (e && e.name === 'DefinitionError') {
    process.stderr.write(`[fstore] error: ${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
